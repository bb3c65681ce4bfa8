use super::Paged;
use crate::AppState;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiQuery, Auth};
use anjian_app::registry::{self, EnterpriseFilter, EnterpriseInput, EnterpriseView, LicenceInput, LicenceView};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;

/// Enterprises in the caller's scope, filtered and paged.
#[utoipa::path(get, path = "/api/v1/enterprises", tag = "registry", params(EnterpriseFilter),
    responses((status = 200, body = Paged<EnterpriseView>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    Auth(c): Auth,
    ApiQuery(f): ApiQuery<EnterpriseFilter>,
) -> ApiResult<Json<Paged<EnterpriseView>>> {
    Ok(Json(Paged::of(registry::list_enterprises(&s.app, &c, &f).await?)))
}

/// Register an enterprise (regulators). The USCC is checksum-validated.
#[utoipa::path(post, path = "/api/v1/enterprises", tag = "registry", request_body = EnterpriseInput,
    responses((status = 201, body = EnterpriseView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(s): State<AppState>,
    Auth(c): Auth,
    ApiJson(i): ApiJson<EnterpriseInput>,
) -> ApiResult<(StatusCode, Json<EnterpriseView>)> {
    Ok((StatusCode::CREATED, Json(registry::create_enterprise(&s.app, &c, &i).await?)))
}

#[utoipa::path(get, path = "/api/v1/enterprises/{id}", tag = "registry", params(("id" = String, Path)),
    responses((status = 200, body = EnterpriseView), (status = 404, body = ErrorBody)))]
pub async fn get(State(s): State<AppState>, Auth(c): Auth, Path(id): Path<String>) -> ApiResult<Json<EnterpriseView>> {
    Ok(Json(registry::get_enterprise(&s.app, &c, &id).await?))
}

/// Replace an enterprise's details.
#[utoipa::path(put, path = "/api/v1/enterprises/{id}", tag = "registry", params(("id" = String, Path)), request_body = EnterpriseInput,
    responses((status = 200, body = EnterpriseView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
    ApiJson(i): ApiJson<EnterpriseInput>,
) -> ApiResult<Json<EnterpriseView>> {
    Ok(Json(registry::update_enterprise(&s.app, &c, &id, &i).await?))
}

/// An enterprise's licences and certificates with their expiry status.
#[utoipa::path(get, path = "/api/v1/enterprises/{id}/licences", tag = "registry", params(("id" = String, Path)),
    responses((status = 200, body = Vec<LicenceView>), (status = 404, body = ErrorBody)))]
pub async fn licences(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<LicenceView>>> {
    Ok(Json(registry::list_licences(&s.app, &c, &id).await?))
}

#[utoipa::path(post, path = "/api/v1/enterprises/{id}/licences", tag = "registry", params(("id" = String, Path)), request_body = LicenceInput,
    responses((status = 201, body = LicenceView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_licence(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
    ApiJson(i): ApiJson<LicenceInput>,
) -> ApiResult<(StatusCode, Json<LicenceView>)> {
    Ok((StatusCode::CREATED, Json(registry::add_licence(&s.app, &c, &id, &i).await?)))
}
