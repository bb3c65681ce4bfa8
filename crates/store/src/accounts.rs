//! Users, their enterprise links, sessions and API tokens (P1). Secrets are
//! stored only as hashes.

use crate::filter::{Filter, Page};
use crate::{AnyConnection, Result, StoreError};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct User {
    pub id: String,
    pub username: String,
    pub display_name: String,
    #[serde(skip)]
    pub password_hash: String,
    pub role: String,
    pub region_code: Option<String>,
    pub disabled: i64,
    pub created_at: i64,
}

const COLS: &str = "id, username, display_name, password_hash, role, region_code, disabled, created_at";

pub async fn insert_user(c: &mut AnyConnection, u: &User, enterprise_ids: &[String]) -> Result<()> {
    sqlx::query(
        "INSERT INTO users (id, username, display_name, password_hash, role, region_code, disabled, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&u.id)
    .bind(&u.username)
    .bind(&u.display_name)
    .bind(&u.password_hash)
    .bind(&u.role)
    .bind(&u.region_code)
    .bind(u.disabled)
    .bind(u.created_at)
    .execute(&mut *c)
    .await
    .map_err(StoreError::unique("username"))?;
    for e in enterprise_ids {
        sqlx::query("INSERT INTO user_enterprises (user_id, enterprise_id) VALUES ($1, $2)")
            .bind(&u.id)
            .bind(e)
            .execute(&mut *c)
            .await?;
    }
    Ok(())
}

pub async fn user_by_name(c: &mut AnyConnection, username: &str) -> Result<Option<User>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {COLS} FROM users WHERE username = $1")))
        .bind(username)
        .fetch_optional(c)
        .await?)
}

pub async fn user_by_id(c: &mut AnyConnection, id: &str) -> Result<Option<User>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {COLS} FROM users WHERE id = $1")))
        .bind(id)
        .fetch_optional(c)
        .await?)
}

pub async fn enterprises_of(c: &mut AnyConnection, user_id: &str) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar("SELECT enterprise_id FROM user_enterprises WHERE user_id = $1 ORDER BY enterprise_id")
        .bind(user_id)
        .fetch_all(c)
        .await?)
}

pub async fn list_users(c: &mut AnyConnection, page: Page) -> Result<(Vec<User>, i64)> {
    let f = Filter::new();
    let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(&mut *c).await?;
    let sql = format!("SELECT {COLS} FROM users{} ORDER BY username{}", f.where_sql(), page.sql());
    let items = sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(&mut *c).await?;
    Ok((items, total))
}

pub async fn set_password(c: &mut AnyConnection, user_id: &str, hash: &str) -> Result<()> {
    sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1").bind(user_id).bind(hash).execute(c).await?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Session {
    pub token_hash: String,
    pub user_id: String,
    pub csrf: String,
    pub created_at: i64,
    pub expires_at: i64,
}

pub async fn insert_session(c: &mut AnyConnection, s: &Session) -> Result<()> {
    sqlx::query("INSERT INTO sessions (token_hash, user_id, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(&s.token_hash)
        .bind(&s.user_id)
        .bind(&s.csrf)
        .bind(s.created_at)
        .bind(s.expires_at)
        .execute(c)
        .await?;
    Ok(())
}

pub async fn session(c: &mut AnyConnection, token_hash: &str, now: i64) -> Result<Option<Session>> {
    Ok(sqlx::query_as(
        "SELECT token_hash, user_id, csrf, created_at, expires_at FROM sessions WHERE token_hash = $1 AND expires_at > $2",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(c)
    .await?)
}

pub async fn delete_session(c: &mut AnyConnection, token_hash: &str) -> Result<bool> {
    let r = sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(c).await?;
    Ok(r.rows_affected() > 0)
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ApiToken {
    pub id: String,
    pub user_id: String,
    pub name: String,
    #[serde(skip)]
    pub token_hash: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
    pub last_used_at: Option<i64>,
}

const TOKEN_COLS: &str = "id, user_id, name, token_hash, created_at, revoked_at, last_used_at";

pub async fn insert_token(c: &mut AnyConnection, t: &ApiToken) -> Result<()> {
    sqlx::query(
        "INSERT INTO api_tokens (id, user_id, name, token_hash, created_at, revoked_at, last_used_at) VALUES ($1, $2, $3, $4, $5, NULL, NULL)",
    )
    .bind(&t.id)
    .bind(&t.user_id)
    .bind(&t.name)
    .bind(&t.token_hash)
    .bind(t.created_at)
    .execute(c)
    .await?;
    Ok(())
}

/// A live (not revoked) token by hash.
pub async fn token_by_hash(c: &mut AnyConnection, token_hash: &str) -> Result<Option<ApiToken>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {TOKEN_COLS} FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL"
    )))
    .bind(token_hash)
    .fetch_optional(c)
    .await?)
}

pub async fn token(c: &mut AnyConnection, id: &str) -> Result<Option<ApiToken>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {TOKEN_COLS} FROM api_tokens WHERE id = $1")))
        .bind(id)
        .fetch_optional(c)
        .await?)
}

pub async fn tokens_of(c: &mut AnyConnection, user_id: &str) -> Result<Vec<ApiToken>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {TOKEN_COLS} FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC"
    )))
    .bind(user_id)
    .fetch_all(c)
    .await?)
}

pub async fn revoke_token(c: &mut AnyConnection, id: &str, now: i64) -> Result<()> {
    sqlx::query("UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
        .bind(id)
        .bind(now)
        .execute(c)
        .await?;
    Ok(())
}

pub async fn count_users(c: &mut AnyConnection) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(c).await?)
}

/// The user behind a live session or API token, in one query.
pub async fn user_by_credential(
    c: &mut AnyConnection,
    token_hash: &str,
    is_session: bool,
    now: i64,
) -> Result<Option<(User, Option<String>)>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        user: User,
        csrf: Option<String>,
    }
    let sql = if is_session {
        "SELECT u.id, u.username, u.display_name, u.password_hash, u.role, u.region_code, u.disabled, u.created_at, s.csrf \
         FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND s.expires_at > $2"
    } else {
        "SELECT u.id, u.username, u.display_name, u.password_hash, u.role, u.region_code, u.disabled, u.created_at, \
         CAST(NULL AS TEXT) AS csrf FROM api_tokens t JOIN users u ON u.id = t.user_id \
         WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND $2 >= 0"
    };
    let row: Option<Row> = sqlx::query_as(sql).bind(token_hash).bind(now).fetch_optional(c).await?;
    Ok(row.map(|r| (r.user, r.csrf)))
}

/// A user's mobile number: encrypted, with its masked form for display.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Phone {
    pub phone_enc: Vec<u8>,
    pub phone_masked: String,
}

/// Sets (or replaces) a user's mobile number.
pub async fn set_phone(c: &mut AnyConnection, user_id: &str, p: &Phone, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO user_phones (user_id, phone_enc, phone_masked, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (user_id) DO UPDATE SET phone_enc = excluded.phone_enc, phone_masked = excluded.phone_masked, \
         updated_at = excluded.updated_at",
    )
    .bind(user_id)
    .bind(&p.phone_enc)
    .bind(&p.phone_masked)
    .bind(now)
    .execute(c)
    .await?;
    Ok(())
}

/// Removes a user's mobile number; true when there was one.
pub async fn clear_phone(c: &mut AnyConnection, user_id: &str) -> Result<bool> {
    Ok(sqlx::query("DELETE FROM user_phones WHERE user_id = $1").bind(user_id).execute(c).await?.rows_affected() > 0)
}

pub async fn phone_of(c: &mut AnyConnection, user_id: &str) -> Result<Option<Phone>> {
    Ok(sqlx::query_as("SELECT phone_enc, phone_masked FROM user_phones WHERE user_id = $1")
        .bind(user_id)
        .fetch_optional(c)
        .await?)
}
