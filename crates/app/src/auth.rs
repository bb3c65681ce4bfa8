//! Accounts, sessions and API tokens (P1).
//!
//! A login creates a session (`ajs_…`), usable as a bearer token or as the
//! session cookie; API tokens (`ajt_…`) are long-lived, named and revocable.
//! Both are stored only as SHA-256 hashes.

use crate::crypto::{Secrets, hash_password, random_token, token_hash, verify_password};
use crate::{App, AppError, Caller, Result, audit};
use anjian_domain::ids::MobileNumber;
use anjian_domain::ids::RegionCode;
use anjian_domain::role::{Role, Scope};
use anjian_store::accounts::{self, ApiToken, Session, User};
use anjian_store::filter::Page;
use anjian_store::{AnyConnection, enterprises, new_id, now_ms, regions};
use serde::{Deserialize, Serialize};

pub const SESSION_TTL_MS: i64 = 12 * 3_600_000;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LoginResponse {
    /// Bearer token for `Authorization: Bearer …` (also set as a cookie).
    pub token: String,
    /// Send as `X-CSRF-Token` on state-changing requests made with the cookie.
    pub csrf_token: String,
    pub expires_at: String,
    pub user: UserView,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UserView {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub role_label: String,
    pub region_code: Option<String>,
    pub enterprise_ids: Vec<String>,
}

impl UserView {
    fn of(u: &User, enterprise_ids: Vec<String>) -> UserView {
        let label = Role::parse("role", &u.role).map(|r| r.label()).unwrap_or("");
        UserView {
            id: u.id.clone(),
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            role: u.role.clone(),
            role_label: label.into(),
            region_code: u.region_code.clone(),
            enterprise_ids,
        }
    }
}

impl From<&Caller> for UserView {
    fn from(c: &Caller) -> UserView {
        UserView {
            id: c.user_id.clone(),
            username: c.username.clone(),
            display_name: c.display_name.clone(),
            role: c.role.as_str().into(),
            role_label: c.role.label().into(),
            region_code: c.region_code.clone(),
            enterprise_ids: c.enterprise_ids.clone(),
        }
    }
}

/// A precomputed hash so unknown usernames cost as much as wrong passwords.
fn dummy_hash() -> &'static str {
    static H: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    H.get_or_init(|| hash_password("anjian-timing-equaliser").unwrap_or_default())
}

pub async fn login(app: &App, req: &LoginRequest) -> Result<LoginResponse> {
    let mut c = app.db.read().await?;
    let user = accounts::user_by_name(&mut c, req.username.trim()).await?;
    drop(c);
    let Some(user) = user else {
        verify_password(&req.password, dummy_hash());
        return Err(AppError::Unauthorized);
    };
    if user.disabled != 0 || !verify_password(&req.password, &user.password_hash) {
        return Err(AppError::Unauthorized);
    }
    let token = random_token("ajs");
    let csrf = random_token("csrf");
    let now = now_ms();
    let session = Session {
        token_hash: token_hash(&token),
        user_id: user.id.clone(),
        csrf: csrf.clone(),
        created_at: now,
        expires_at: now + SESSION_TTL_MS,
    };
    let mut tx = app.db.begin().await?;
    accounts::insert_session(&mut tx, &session).await?;
    let caller = caller_for(&mut tx, &user, None).await?;
    audit::record::<(), _>(&mut tx, &caller, "login", "user", &user.id, None, Some(&serde_json::json!({}))).await?;
    tx.commit().await?;
    Ok(LoginResponse {
        token,
        csrf_token: csrf,
        expires_at: crate::time::fmt_local(session.expires_at),
        user: UserView::from(&caller),
    })
}

/// The caller behind a bearer token or session cookie value.
pub async fn authenticate(app: &App, token: &str) -> Result<Caller> {
    let is_session = token.starts_with("ajs_");
    if !is_session && !token.starts_with("ajt_") {
        return Err(AppError::Unauthorized);
    }
    let mut c = app.db.read().await?;
    let (user, csrf) = accounts::user_by_credential(&mut c, &token_hash(token), is_session, now_ms())
        .await?
        .ok_or(AppError::Unauthorized)?;
    if user.disabled != 0 {
        return Err(AppError::Unauthorized);
    }
    caller_for(&mut c, &user, csrf).await
}

async fn caller_for(c: &mut AnyConnection, user: &User, csrf: Option<String>) -> Result<Caller> {
    let role = Role::parse("role", &user.role).map_err(|_| AppError::Internal(format!("bad role {}", user.role)))?;
    // Only enterprise accounts are linked to enterprises: skip the query otherwise.
    let enterprise_ids = if role.is_regulator() { vec![] } else { accounts::enterprises_of(c, &user.id).await? };
    let scope = match role {
        Role::SuperAdmin => Scope::All,
        Role::CitySupervisor | Role::RegionOfficer => {
            let code =
                user.region_code.as_deref().ok_or_else(|| AppError::Internal("regulator without region".into()))?;
            Scope::Region(RegionCode::parse("region", code).map_err(|e| AppError::Internal(e.to_string()))?)
        }
        Role::EnterpriseHead | Role::EnterpriseStaff => Scope::Enterprises(enterprise_ids.clone()),
    };
    Ok(Caller {
        user_id: user.id.clone(),
        username: user.username.clone(),
        display_name: user.display_name.clone(),
        role,
        region_code: user.region_code.clone(),
        enterprise_ids,
        scope,
        csrf,
    })
}

pub async fn logout(app: &App, token: &str) -> Result<()> {
    let mut tx = app.db.begin().await?;
    accounts::delete_session(&mut tx, &token_hash(token)).await?;
    tx.commit().await?;
    Ok(())
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct NewUser {
    pub username: String,
    pub display_name: Option<String>,
    /// super-admin | city-supervisor | region-officer | enterprise-head | enterprise-staff
    pub role: String,
    /// Required for city supervisors and region officers.
    pub region: Option<String>,
    /// Required for enterprise heads and staff.
    #[serde(default)]
    pub enterprise_ids: Vec<String>,
    pub password: String,
    /// Mobile number for SMS notifications (optional; stored encrypted).
    pub phone: Option<String>,
}

/// Creates an account. Super admins only (the CLI acts as the system).
pub async fn add_user(app: &App, caller: &Caller, u: &NewUser) -> Result<UserView> {
    caller.require(caller.is_admin())?;
    let hash = {
        validate_password(&u.password)?;
        hash_password(&u.password)?
    };
    add_user_with_hash(app, caller, u, hash).await
}

/// As [`add_user`], with an already computed password hash (bulk demo load).
pub async fn add_user_with_hash(app: &App, caller: &Caller, u: &NewUser, hash: String) -> Result<UserView> {
    caller.require(caller.is_admin())?;
    let mut tx = app.db.begin().await?;
    let view = insert_user(&mut tx, &app.secrets, caller, u, hash).await?;
    tx.commit().await?;
    Ok(view)
}

pub fn validate_password(p: &str) -> Result<()> {
    if p.chars().count() < 8 {
        return Err(AppError::field("password", "密码至少8位"));
    }
    Ok(())
}

/// Validates and inserts a user inside an open transaction.
pub async fn insert_user(
    c: &mut AnyConnection,
    secrets: &Secrets,
    caller: &Caller,
    u: &NewUser,
    hash: String,
) -> Result<UserView> {
    let username = u.username.trim();
    if username.is_empty() || username.len() > 64 || username.chars().any(char::is_whitespace) {
        return Err(AppError::field("username", "用户名不能为空、不能含空格，且不超过64个字符"));
    }
    let role = Role::parse("role", &u.role)?;
    let region = match (role, &u.region) {
        (Role::CitySupervisor | Role::RegionOfficer, None) => {
            return Err(AppError::field("region", "监管人员必须指定所辖区域"));
        }
        (_, Some(r)) => {
            let code = RegionCode::parse("region", r)?;
            if !regions::exists(c, code.as_str()).await? {
                return Err(AppError::field("region", format!("区域不存在: {code}")));
            }
            Some(code.as_str().to_string())
        }
        (_, None) => None,
    };
    let ents = match role {
        Role::EnterpriseHead | Role::EnterpriseStaff => {
            if u.enterprise_ids.is_empty() {
                return Err(AppError::field("enterprise_ids", "企业用户必须关联至少一个企业"));
            }
            for (i, e) in u.enterprise_ids.iter().enumerate() {
                if enterprises::get(c, e).await?.is_none() {
                    return Err(AppError::field(&format!("enterprise_ids[{i}]"), format!("企业不存在: {e}")));
                }
            }
            u.enterprise_ids.clone()
        }
        _ => vec![],
    };
    let user = User {
        id: new_id(),
        username: username.into(),
        display_name: u.display_name.clone().unwrap_or_else(|| username.into()),
        password_hash: hash,
        role: role.as_str().into(),
        region_code: region,
        disabled: 0,
        created_at: now_ms(),
    };
    let phone = u.phone.as_deref().map(|p| MobileNumber::parse("phone", p)).transpose()?;
    accounts::insert_user(c, &user, &ents).await?;
    if let Some(p) = &phone {
        accounts::set_phone(c, &user.id, &app_phone(secrets, p), user.created_at).await?;
    }
    let view = UserView::of(&user, ents);
    audit::record::<(), _>(c, caller, "create", "user", &user.id, None, Some(&view)).await?;
    Ok(view)
}

fn app_phone(secrets: &Secrets, p: &MobileNumber) -> accounts::Phone {
    accounts::Phone { phone_enc: secrets.encrypt(p.expose()), phone_masked: p.masked() }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct PhoneUpdate {
    /// Mainland mobile number (`13800138000`, `+86 138 0013 8000`); null removes it.
    pub phone: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PhoneView {
    pub user_id: String,
    /// Masked (`138****8000`); null when none is set.
    pub phone: Option<String>,
}

/// A user's mobile number, masked (the user or a super admin).
pub async fn phone(app: &App, caller: &Caller, user_id: &str) -> Result<PhoneView> {
    caller.require(caller.user_id == user_id || caller.is_admin())?;
    let mut c = app.db.read().await?;
    if accounts::user_by_id(&mut c, user_id).await?.is_none() {
        return Err(AppError::NotFound);
    }
    let p = accounts::phone_of(&mut c, user_id).await?;
    Ok(PhoneView { user_id: user_id.into(), phone: p.map(|p| p.phone_masked) })
}

/// Sets or removes a user's mobile number (the user or a super admin); audited
/// with masked values only.
pub async fn set_phone(app: &App, caller: &Caller, user_id: &str, u: &PhoneUpdate) -> Result<PhoneView> {
    caller.require(caller.user_id == user_id || caller.is_admin())?;
    let phone = u.phone.as_deref().map(|p| MobileNumber::parse("phone", p)).transpose()?;
    let mut tx = app.db.begin().await?;
    if accounts::user_by_id(&mut tx, user_id).await?.is_none() {
        return Err(AppError::NotFound);
    }
    let before = accounts::phone_of(&mut tx, user_id).await?.map(|p| p.phone_masked);
    match &phone {
        Some(p) => accounts::set_phone(&mut tx, user_id, &app_phone(&app.secrets, p), now_ms()).await?,
        None => {
            accounts::clear_phone(&mut tx, user_id).await?;
        }
    }
    let after = phone.as_ref().map(MobileNumber::masked);
    audit::record(&mut tx, caller, "set_phone", "user", user_id, Some(&before), Some(&after)).await?;
    tx.commit().await?;
    Ok(PhoneView { user_id: user_id.into(), phone: after })
}

pub async fn list_users(app: &App, caller: &Caller, page: Page) -> Result<(Vec<UserView>, i64)> {
    caller.require(caller.is_admin())?;
    let mut c = app.db.read().await?;
    let (users, total) = accounts::list_users(&mut c, page).await?;
    let mut out = Vec::with_capacity(users.len());
    for u in &users {
        let ents = accounts::enterprises_of(&mut c, &u.id).await?;
        out.push(UserView::of(u, ents));
    }
    Ok((out, total))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct NewToken {
    pub name: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TokenView {
    pub id: String,
    pub name: String,
    pub created_at: String,
    pub revoked_at: Option<String>,
    /// Only present in the response that creates the token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

impl TokenView {
    fn of(t: &ApiToken, secret: Option<String>) -> TokenView {
        TokenView {
            id: t.id.clone(),
            name: t.name.clone(),
            created_at: crate::time::fmt_local(t.created_at),
            revoked_at: t.revoked_at.map(crate::time::fmt_local),
            token: secret,
        }
    }
}

pub async fn create_token(app: &App, caller: &Caller, req: &NewToken) -> Result<TokenView> {
    let name = req.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::field("name", "令牌名称不能为空且不超过100个字符"));
    }
    let secret = random_token("ajt");
    let t = ApiToken {
        id: new_id(),
        user_id: caller.user_id.clone(),
        name: name.into(),
        token_hash: token_hash(&secret),
        created_at: now_ms(),
        revoked_at: None,
        last_used_at: None,
    };
    let mut tx = app.db.begin().await?;
    accounts::insert_token(&mut tx, &t).await?;
    let view = TokenView::of(&t, None);
    audit::record::<(), _>(&mut tx, caller, "create", "api_token", &t.id, None, Some(&view)).await?;
    tx.commit().await?;
    Ok(TokenView::of(&t, Some(secret)))
}

pub async fn list_tokens(app: &App, caller: &Caller) -> Result<Vec<TokenView>> {
    let mut c = app.db.read().await?;
    Ok(accounts::tokens_of(&mut c, &caller.user_id).await?.iter().map(|t| TokenView::of(t, None)).collect())
}

/// Revokes one of the caller's own tokens (super admins: anyone's).
pub async fn revoke_token(app: &App, caller: &Caller, id: &str) -> Result<()> {
    let mut tx = app.db.begin().await?;
    let t = accounts::token(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    if t.user_id != caller.user_id && !caller.is_admin() {
        return Err(AppError::NotFound);
    }
    let before = TokenView::of(&t, None);
    accounts::revoke_token(&mut tx, id, now_ms()).await?;
    let after = TokenView::of(&accounts::token(&mut tx, id).await?.ok_or(AppError::NotFound)?, None);
    audit::record(&mut tx, caller, "revoke", "api_token", id, Some(&before), Some(&after)).await?;
    tx.commit().await?;
    Ok(())
}
