//! Emergency resources (E1/E2) and the ones nearest an alarm.

use super::Paged;
use crate::AppState;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiQuery, Auth};
use anjian_app::resources::{self, NearestParams, NearestResources, ResourceFilter, ResourceInput, ResourceView};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;

/// Emergency resources in the caller's scope (regulators: their region's; enterprise users: their own).
#[utoipa::path(get, path = "/api/v1/emergency-resources", tag = "monitoring", params(ResourceFilter),
    responses((status = 200, body = Paged<ResourceView>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    Auth(c): Auth,
    ApiQuery(f): ApiQuery<ResourceFilter>,
) -> ApiResult<Json<Paged<ResourceView>>> {
    Ok(Json(Paged::of(resources::list(&s.app, &c, &f).await?)))
}

/// Register a rescue team, warehouse, equipment, shelter or hospital.
#[utoipa::path(post, path = "/api/v1/emergency-resources", tag = "monitoring", request_body = ResourceInput,
    responses((status = 201, body = ResourceView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(s): State<AppState>,
    Auth(c): Auth,
    ApiJson(i): ApiJson<ResourceInput>,
) -> ApiResult<(StatusCode, Json<ResourceView>)> {
    Ok((StatusCode::CREATED, Json(resources::create(&s.app, &c, &i).await?)))
}

#[utoipa::path(get, path = "/api/v1/emergency-resources/{id}", tag = "monitoring", params(("id" = String, Path)),
    responses((status = 200, body = ResourceView), (status = 404, body = ErrorBody)))]
pub async fn get(State(s): State<AppState>, Auth(c): Auth, Path(id): Path<String>) -> ApiResult<Json<ResourceView>> {
    Ok(Json(resources::get(&s.app, &c, &id).await?))
}

/// Replace a resource's record.
#[utoipa::path(put, path = "/api/v1/emergency-resources/{id}", tag = "monitoring", params(("id" = String, Path)),
    request_body = ResourceInput,
    responses((status = 200, body = ResourceView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
    ApiJson(i): ApiJson<ResourceInput>,
) -> ApiResult<Json<ResourceView>> {
    Ok(Json(resources::update(&s.app, &c, &id, &i).await?))
}

#[utoipa::path(delete, path = "/api/v1/emergency-resources/{id}", tag = "monitoring", params(("id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete(State(s): State<AppState>, Auth(c): Auth, Path(id): Path<String>) -> ApiResult<StatusCode> {
    resources::delete(&s.app, &c, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The emergency resources nearest an alarm's device, by great-circle distance.
#[utoipa::path(get, path = "/api/v1/alarms/{id}/resources", tag = "monitoring", params(("id" = String, Path), NearestParams),
    responses((status = 200, body = NearestResources), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn nearest(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
    ApiQuery(p): ApiQuery<NearestParams>,
) -> ApiResult<Json<NearestResources>> {
    Ok(Json(resources::nearest_to_alarm(&s.app, &c, &id, &p).await?))
}
