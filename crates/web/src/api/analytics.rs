//! Analytics for regulators (A3): co-occurrence of hazard types and
//! per-region forecasts with their backtest.

use crate::AppState;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiQuery, Auth};
use anjian_app::analytics::{
    self, CoOccurrenceParams, CoOccurrenceView, ForecastParams, ForecastView, HeatmapParams, StatsParams, StatsView,
};
use axum::Json;
use axum::extract::State;

/// Pairs of hazard types that follow each other at the same enterprise within
/// a window more often than chance predicts (lift, support, confidence,
/// Benjamini–Hochberg q-value); significant pairs only.
#[utoipa::path(get, path = "/api/v1/analytics/co-occurrence", tag = "analytics", params(CoOccurrenceParams),
    responses((status = 200, body = CoOccurrenceView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn co_occurrence(
    State(s): State<AppState>,
    Auth(c): Auth,
    ApiQuery(p): ApiQuery<CoOccurrenceParams>,
) -> ApiResult<Json<CoOccurrenceView>> {
    Ok(Json(analytics::co_occurrence(&s.app, &c, &p).await?))
}

/// Hazard counts for the next months for a region and each of its children,
/// with a seasonal model and its backtest against seasonal naive.
#[utoipa::path(get, path = "/api/v1/analytics/forecast", tag = "analytics", params(ForecastParams),
    responses((status = 200, body = ForecastView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn forecast(
    State(s): State<AppState>,
    Auth(c): Auth,
    ApiQuery(p): ApiQuery<ForecastParams>,
) -> ApiResult<Json<ForecastView>> {
    Ok(Json(analytics::forecast(&s.app, &c, &p).await?))
}

/// Hazard and risk density for a time window (GeoJSON): per grid of the region
/// with its polygon, or per equal hexagon (`cells=hex`, `hex_km`); counts of
/// hazards, open and major hazards, risk points by colour, hazards per km².
#[utoipa::path(get, path = "/api/v1/analytics/heatmap", tag = "analytics", params(HeatmapParams),
    responses((status = 200, body = Object, description = "GeoJSON FeatureCollection with `summary`"),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn heatmap(
    State(s): State<AppState>,
    Auth(c): Auth,
    ApiQuery(p): ApiQuery<HeatmapParams>,
) -> ApiResult<Json<serde_json::Value>> {
    Ok(Json(analytics::heatmap(&s.app, &c, &p).await?))
}

/// Counts and rates (found, rectified, in progress, overdue, rectification and
/// on-time rates, mean days to rectify) grouped by time, region (children of
/// `region`, for drill-down), industry, channel, taxonomy level, grade or state.
#[utoipa::path(get, path = "/api/v1/analytics/stats", tag = "analytics", params(StatsParams),
    responses((status = 200, body = StatsView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn stats(
    State(s): State<AppState>,
    Auth(c): Auth,
    ApiQuery(p): ApiQuery<StatsParams>,
) -> ApiResult<Json<StatsView>> {
    Ok(Json(analytics::stats(&s.app, &c, &p).await?))
}
