//! Analytics for regulators (A3): co-occurrence of hazard types and
//! per-region forecasts with their backtest.

use crate::AppState;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiQuery, Auth};
use anjian_app::analytics::{
    self, CoOccurrenceParams, CoOccurrenceView, EnterpriseProfile, ForecastParams, ForecastView, GradingConfig,
    HeatmapParams, LicenceParams, LicenceView, OverdueParams, OverdueView, RankingParams, RankingView, StatsParams,
    StatsView,
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
/// `region`, for drill-down), industry, channel, taxonomy level, grade or state,
/// or by up to three of these at once (`by=region,month,state`).
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

/// The enterprises with the most open hazards past their deadline now
/// (default 20), with how many are major and how late the oldest is.
#[utoipa::path(get, path = "/api/v1/analytics/overdue-enterprises", tag = "analytics", params(OverdueParams),
    responses((status = 200, body = OverdueView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn overdue_enterprises(
    State(s): State<AppState>,
    Auth(c): Auth,
    ApiQuery(p): ApiQuery<OverdueParams>,
) -> ApiResult<Json<OverdueView>> {
    Ok(Json(analytics::overdue_enterprises(&s.app, &c, &p).await?))
}

/// Regions at a level (default streets) or enterprises ranked by the weighted
/// indicators, each with its ABCD grade (分级评定).
#[utoipa::path(get, path = "/api/v1/analytics/ranking", tag = "analytics", params(RankingParams),
    responses((status = 200, body = RankingView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn ranking(
    State(s): State<AppState>,
    Auth(c): Auth,
    ApiQuery(p): ApiQuery<RankingParams>,
) -> ApiResult<Json<RankingView>> {
    Ok(Json(analytics::ranking(&s.app, &c, &p).await?))
}

/// The ranking indicators, their weights and the ABCD thresholds in force.
#[utoipa::path(get, path = "/api/v1/analytics/grading", tag = "analytics",
    responses((status = 200, body = GradingConfig), (status = 403, body = ErrorBody)))]
pub async fn grading(State(s): State<AppState>, Auth(c): Auth) -> ApiResult<Json<GradingConfig>> {
    c.require(c.role.is_regulator() || c.is_admin()).map_err(crate::error::ApiError::from)?;
    Ok(Json(analytics::grading(&s.app).await?))
}

/// Replace the indicators, weights and thresholds (super admin or city supervisor).
#[utoipa::path(put, path = "/api/v1/analytics/grading", tag = "analytics", request_body = GradingConfig,
    responses((status = 200, body = GradingConfig), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_grading(
    State(s): State<AppState>,
    Auth(c): Auth,
    ApiJson(cfg): ApiJson<GradingConfig>,
) -> ApiResult<Json<GradingConfig>> {
    Ok(Json(analytics::set_grading(&s.app, &c, &cfg).await?))
}

/// Licence-overdue rate by industry, with the maximum, minimum and average.
#[utoipa::path(get, path = "/api/v1/analytics/licences", tag = "analytics", params(LicenceParams),
    responses((status = 200, body = LicenceView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn licences(
    State(s): State<AppState>,
    Auth(c): Auth,
    ApiQuery(p): ApiQuery<LicenceParams>,
) -> ApiResult<Json<LicenceView>> {
    Ok(Json(analytics::licences(&s.app, &c, &p).await?))
}

/// An enterprise's safety profile (企业安全画像) over the last 12 months:
/// facts, a score with every deduction explained, and its grade.
#[utoipa::path(get, path = "/api/v1/enterprises/{id}/profile", tag = "analytics", params(("id" = String, Path)),
    responses((status = 200, body = EnterpriseProfile), (status = 404, body = ErrorBody)))]
pub async fn profile(
    State(s): State<AppState>,
    Auth(c): Auth,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> ApiResult<Json<EnterpriseProfile>> {
    Ok(Json(analytics::profile(&s.app, &c, &id).await?))
}
