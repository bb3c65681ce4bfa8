//! Analytics for regulators (A3): co-occurrence of hazard types and
//! per-region forecasts with their backtest.

use crate::AppState;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiQuery, Auth};
use anjian_app::analytics::{self, CoOccurrenceParams, CoOccurrenceView, ForecastParams, ForecastView};
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
