use crate::AppState;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, Auth, SESSION_COOKIE, credential};
use anjian_app::auth::{self, LoginRequest, LoginResponse, NewToken, TokenView, UserView};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Log in with username and password; returns a bearer token and sets the
/// session cookie.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn login(State(s): State<AppState>, ApiJson(req): ApiJson<LoginRequest>) -> ApiResult<Response> {
    let res = auth::login(&s.app, &req).await?;
    let secure = if s.cookie_secure { "; Secure" } else { "" };
    let cookie = format!(
        "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
        res.token,
        auth::SESSION_TTL_MS / 1000
    );
    Ok(([(header::SET_COOKIE, cookie)], Json(res)).into_response())
}

/// End the current session.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn logout(State(s): State<AppState>, Auth(_c): Auth, parts: Parts) -> ApiResult<Response> {
    if let Some(t) = credential(&parts) {
        auth::logout(&s.app, &t).await?;
    }
    let clear = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, clear)]).into_response())
}

/// The caller, and the session's CSRF token for the pages.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Me {
    #[serde(flatten)]
    pub user: UserView,
    /// Send as `X-CSRF-Token` on state-changing requests made with the
    /// session cookie (null for API tokens, which need none).
    pub csrf_token: Option<String>,
}

/// Who am I (and, for a session, its CSRF token: a page reloaded after
/// login learns it here; the cookie itself is HttpOnly).
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth",
    responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
pub async fn me(Auth(c): Auth) -> Json<Me> {
    Json(Me { user: UserView::from(&c), csrf_token: c.csrf.clone() })
}

/// Create a long-lived API token for the caller. The secret is shown once.
#[utoipa::path(post, path = "/api/v1/auth/tokens", tag = "auth", request_body = NewToken,
    responses((status = 201, body = TokenView), (status = 422, body = ErrorBody)))]
pub async fn create_token(
    State(s): State<AppState>,
    Auth(c): Auth,
    ApiJson(req): ApiJson<NewToken>,
) -> ApiResult<(StatusCode, Json<TokenView>)> {
    Ok((StatusCode::CREATED, Json(auth::create_token(&s.app, &c, &req).await?)))
}

/// The caller's API tokens (secrets are never shown again).
#[utoipa::path(get, path = "/api/v1/auth/tokens", tag = "auth", responses((status = 200, body = Vec<TokenView>)))]
pub async fn list_tokens(State(s): State<AppState>, Auth(c): Auth) -> ApiResult<Json<Vec<TokenView>>> {
    Ok(Json(auth::list_tokens(&s.app, &c).await?))
}

/// Revoke an API token.
#[utoipa::path(delete, path = "/api/v1/auth/tokens/{id}", tag = "auth",
    params(("id" = String, Path)), responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn revoke_token(State(s): State<AppState>, Auth(c): Auth, Path(id): Path<String>) -> ApiResult<StatusCode> {
    auth::revoke_token(&s.app, &c, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[allow(dead_code)]
fn _unused(_: ApiError) {}
