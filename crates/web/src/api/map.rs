//! The one-map (一张图): the points of a region's four layers.

use crate::AppState;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiQuery, Auth};
use anjian_app::map::{self, LayersParams, MapLayers};
use axum::Json;
use axum::extract::State;

/// Unrectified hazards (overdue flagged), enterprises, devices (offline
/// flagged) and open alarms of a region with coordinates, as compact rows,
/// and the path from the top region down to it. Within the caller's scope.
#[utoipa::path(get, path = "/api/v1/map/layers", tag = "analytics", params(LayersParams),
    responses((status = 200, body = MapLayers), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn layers(
    State(s): State<AppState>,
    Auth(c): Auth,
    ApiQuery(p): ApiQuery<LayersParams>,
) -> ApiResult<Json<MapLayers>> {
    Ok(Json(map::layers(&s.app, &c, &p).await?))
}
