//! Risk registers (R3): major hazard sources and risk points, and the
//! four-colour risk map.

use crate::AppState;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiQuery, Auth};
use anjian_app::risk::{
    self, PointFilter, RiskPointInput, RiskPointView, SourceFilter, SourceUnitDetail, SourceUnitInput, SourceUnitView,
};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::Value;

/// An enterprise's major hazard source units (GB 18218), graded ones first.
#[utoipa::path(get, path = "/api/v1/enterprises/{id}/hazard-sources", tag = "risk", params(("id" = String, Path)),
    responses((status = 200, body = Vec<SourceUnitView>), (status = 404, body = ErrorBody)))]
pub async fn units_of(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<SourceUnitView>>> {
    let f = SourceFilter { enterprise_id: Some(id), ..SourceFilter::default() };
    Ok(Json(risk::list_units(&s.app, &c, &f).await?))
}

/// Register a production or storage unit with its hazardous chemicals: it is
/// identified and graded at once; a major one notifies the region's supervisors.
#[utoipa::path(post, path = "/api/v1/enterprises/{id}/hazard-sources", tag = "risk", params(("id" = String, Path)),
    request_body = SourceUnitInput,
    responses((status = 201, body = SourceUnitDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_unit(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
    ApiJson(i): ApiJson<SourceUnitInput>,
) -> ApiResult<(StatusCode, Json<SourceUnitDetail>)> {
    Ok((StatusCode::CREATED, Json(risk::add_unit(&s.app, &c, &id, &i).await?)))
}

/// Major hazard source units in your scope (filter by region, enterprise, major only).
#[utoipa::path(get, path = "/api/v1/hazard-sources", tag = "risk", params(SourceFilter),
    responses((status = 200, body = Vec<SourceUnitView>), (status = 422, body = ErrorBody)))]
pub async fn units(
    State(s): State<AppState>,
    Auth(c): Auth,
    ApiQuery(f): ApiQuery<SourceFilter>,
) -> ApiResult<Json<Vec<SourceUnitView>>> {
    Ok(Json(risk::list_units(&s.app, &c, &f).await?))
}

/// One unit with every version of its assessment.
#[utoipa::path(get, path = "/api/v1/hazard-sources/{id}", tag = "risk", params(("id" = String, Path)),
    responses((status = 200, body = SourceUnitDetail), (status = 404, body = ErrorBody)))]
pub async fn unit(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<SourceUnitDetail>> {
    Ok(Json(risk::get_unit(&s.app, &c, &id).await?))
}

/// Replace a unit's substances or exposed people: a new version, re-graded;
/// a change of grade notifies the region's supervisors.
#[utoipa::path(put, path = "/api/v1/hazard-sources/{id}", tag = "risk", params(("id" = String, Path)), request_body = SourceUnitInput,
    responses((status = 200, body = SourceUnitDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_unit(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
    ApiJson(i): ApiJson<SourceUnitInput>,
) -> ApiResult<Json<SourceUnitDetail>> {
    Ok(Json(risk::update_unit(&s.app, &c, &id, &i).await?))
}

/// An enterprise's risk points, reddest first.
#[utoipa::path(get, path = "/api/v1/enterprises/{id}/risk-points", tag = "risk", params(("id" = String, Path)),
    responses((status = 200, body = Vec<RiskPointView>), (status = 404, body = ErrorBody)))]
pub async fn points_of(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<RiskPointView>>> {
    let f = PointFilter { enterprise_id: Some(id), region: None };
    Ok(Json(risk::list_points(&s.app, &c, &f).await?))
}

/// Register a risk point assessed by LEC (`{"l","e","c"}`) or LS (`{"l","s"}`).
#[utoipa::path(post, path = "/api/v1/enterprises/{id}/risk-points", tag = "risk", params(("id" = String, Path)),
    request_body = RiskPointInput,
    responses((status = 201, body = RiskPointView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_point(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
    ApiJson(i): ApiJson<RiskPointInput>,
) -> ApiResult<(StatusCode, Json<RiskPointView>)> {
    Ok((StatusCode::CREATED, Json(risk::add_point(&s.app, &c, &id, &i).await?)))
}

/// Risk points in your scope, reddest first.
#[utoipa::path(get, path = "/api/v1/risk-points", tag = "risk", params(PointFilter),
    responses((status = 200, body = Vec<RiskPointView>), (status = 422, body = ErrorBody)))]
pub async fn points(
    State(s): State<AppState>,
    Auth(c): Auth,
    ApiQuery(f): ApiQuery<PointFilter>,
) -> ApiResult<Json<Vec<RiskPointView>>> {
    Ok(Json(risk::list_points(&s.app, &c, &f).await?))
}

/// Re-assess and replace a risk point.
#[utoipa::path(put, path = "/api/v1/risk-points/{id}", tag = "risk", params(("id" = String, Path)), request_body = RiskPointInput,
    responses((status = 200, body = RiskPointView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_point(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
    ApiJson(i): ApiJson<RiskPointInput>,
) -> ApiResult<Json<RiskPointView>> {
    Ok(Json(risk::update_point(&s.app, &c, &id, &i).await?))
}

/// The four-colour risk map (GeoJSON): an enterprise's risk points with
/// `enterprise_id`, else one feature per enterprise of the region coloured by
/// its reddest risk point or major hazard source grade.
#[utoipa::path(get, path = "/api/v1/risk-map", tag = "risk", params(PointFilter),
    responses((status = 200, body = Object, description = "GeoJSON FeatureCollection with `summary` {red, orange, yellow, blue}"),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn map(
    State(s): State<AppState>,
    Auth(c): Auth,
    ApiQuery(f): ApiQuery<PointFilter>,
) -> ApiResult<Json<Value>> {
    Ok(Json(risk::risk_map(&s.app, &c, &f).await?))
}
