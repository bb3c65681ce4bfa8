use crate::AppState;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiQuery, Auth};
use anjian_app::registry::{self, NewRegion, RegionFilter, RegionView};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;

/// Regions the caller may see (their subtree), optionally the children of one.
#[utoipa::path(get, path = "/api/v1/regions", tag = "registry", params(RegionFilter),
    responses((status = 200, body = Vec<RegionView>), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    Auth(c): Auth,
    ApiQuery(f): ApiQuery<RegionFilter>,
) -> ApiResult<Json<Vec<RegionView>>> {
    Ok(Json(registry::list_regions(&s.app, &c, &f).await?))
}

/// One region with its GeoJSON polygon.
#[utoipa::path(get, path = "/api/v1/regions/{code}", tag = "registry", params(("code" = String, Path)),
    responses((status = 200, body = RegionView), (status = 404, body = ErrorBody)))]
pub async fn get(State(s): State<AppState>, Auth(c): Auth, Path(code): Path<String>) -> ApiResult<Json<RegionView>> {
    Ok(Json(registry::get_region(&s.app, &c, &code).await?))
}

/// Add a region under its parent (regulators, inside their region).
#[utoipa::path(post, path = "/api/v1/regions", tag = "registry", request_body = NewRegion,
    responses((status = 201, body = RegionView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(s): State<AppState>,
    Auth(c): Auth,
    ApiJson(r): ApiJson<NewRegion>,
) -> ApiResult<(StatusCode, Json<RegionView>)> {
    Ok((StatusCode::CREATED, Json(registry::create_region(&s.app, &c, &r).await?)))
}
