use super::Paged;
use crate::AppState;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiQuery, Auth};
use anjian_app::auth::{self, NewUser, PhoneUpdate, PhoneView, UserView};
use anjian_store::filter::Page;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct PageParams {
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// All accounts (super admin).
#[utoipa::path(get, path = "/api/v1/users", tag = "users", params(PageParams),
    responses((status = 200, body = Paged<UserView>), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    Auth(c): Auth,
    ApiQuery(p): ApiQuery<PageParams>,
) -> ApiResult<Json<Paged<UserView>>> {
    Ok(Json(Paged::of(auth::list_users(&s.app, &c, Page::new(p.page, p.per_page)).await?)))
}

/// Create an account (super admin).
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = NewUser,
    responses((status = 201, body = UserView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(s): State<AppState>,
    Auth(c): Auth,
    ApiJson(u): ApiJson<NewUser>,
) -> ApiResult<(StatusCode, Json<UserView>)> {
    Ok((StatusCode::CREATED, Json(auth::add_user(&s.app, &c, &u).await?)))
}

/// A user's mobile number, masked (the user themself or a super admin).
#[utoipa::path(get, path = "/api/v1/users/{id}/phone", tag = "users", params(("id" = String, Path)),
    responses((status = 200, body = PhoneView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn phone(State(s): State<AppState>, Auth(c): Auth, Path(id): Path<String>) -> ApiResult<Json<PhoneView>> {
    Ok(Json(auth::phone(&s.app, &c, &id).await?))
}

/// Set or remove a user's mobile number for SMS notifications (the user
/// themself or a super admin). Stored encrypted; answered masked.
#[utoipa::path(put, path = "/api/v1/users/{id}/phone", tag = "users", params(("id" = String, Path)), request_body = PhoneUpdate,
    responses((status = 200, body = PhoneView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_phone(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
    ApiJson(u): ApiJson<PhoneUpdate>,
) -> ApiResult<Json<PhoneView>> {
    Ok(Json(auth::set_phone(&s.app, &c, &id, &u).await?))
}
