//! Leader on duty (带班), attendance and training (I4).

use crate::AppState;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiQuery, Auth};
use anjian_app::attendance::{
    self, CheckinFilter, CheckinInput, CheckinView, DeviceCheckinReport, DeviceCheckins, DutyRateParams, DutyRatesView,
    SigninInput, TrainingInput, TrainingView,
};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;

/// A check-in at an enterprise (leader on duty or worker; a special
/// operation is checked against the person's certificates and an
/// uncertified one alerts the head and the region's officers). The same
/// `key` returns the first check-in (200).
#[utoipa::path(post, path = "/api/v1/enterprises/{id}/checkins", tag = "attendance", params(("id" = String, Path)),
    request_body = CheckinInput,
    responses((status = 201, body = CheckinView), (status = 200, body = CheckinView, description = "already recorded under this key"),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn check_in(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
    ApiJson(i): ApiJson<CheckinInput>,
) -> ApiResult<(StatusCode, Json<CheckinView>)> {
    let (v, created) = attendance::check_in(&s.app, &c, &id, &i).await?;
    Ok((if created { StatusCode::CREATED } else { StatusCode::OK }, Json(v)))
}

/// Check-ins from a face-recognition terminal, authenticated by the
/// device's own secret (no account). Bad entries are reported by index;
/// the good ones beside them are kept.
#[utoipa::path(post, path = "/api/v1/attendance/device-checkins", tag = "attendance", request_body = DeviceCheckins,
    security(()),
    responses((status = 200, body = DeviceCheckinReport), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn device_check_in(
    State(s): State<AppState>,
    ApiJson(b): ApiJson<DeviceCheckins>,
) -> ApiResult<Json<DeviceCheckinReport>> {
    Ok(Json(attendance::device_check_in(&s.app, &b).await?))
}

/// Check-ins in your scope, newest first.
#[utoipa::path(get, path = "/api/v1/attendance/checkins", tag = "attendance", params(CheckinFilter),
    responses((status = 200, body = Vec<CheckinView>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn checkins(
    State(s): State<AppState>,
    Auth(c): Auth,
    ApiQuery(f): ApiQuery<CheckinFilter>,
) -> ApiResult<Json<Vec<CheckinView>>> {
    Ok(Json(attendance::checkins(&s.app, &c, &f).await?))
}

/// On-duty (带班) rates: shifts covered by a leader's check-in over the
/// shifts that needed one, by enterprise, industry and month.
#[utoipa::path(get, path = "/api/v1/attendance/duty-rates", tag = "attendance", params(DutyRateParams),
    responses((status = 200, body = DutyRatesView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn duty_rates(
    State(s): State<AppState>,
    Auth(c): Auth,
    ApiQuery(p): ApiQuery<DutyRateParams>,
) -> ApiResult<Json<DutyRatesView>> {
    Ok(Json(attendance::duty_rates(&s.app, &c, &p).await?))
}

/// An enterprise's safety trainings with their sign-ins.
#[utoipa::path(get, path = "/api/v1/enterprises/{id}/trainings", tag = "attendance", params(("id" = String, Path)),
    responses((status = 200, body = Vec<TrainingView>), (status = 404, body = ErrorBody)))]
pub async fn trainings(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<TrainingView>>> {
    Ok(Json(attendance::trainings(&s.app, &c, &id).await?))
}

/// Schedule a safety training (the enterprise's head or a regulator).
#[utoipa::path(post, path = "/api/v1/enterprises/{id}/trainings", tag = "attendance", params(("id" = String, Path)),
    request_body = TrainingInput,
    responses((status = 201, body = TrainingView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_training(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
    ApiJson(i): ApiJson<TrainingInput>,
) -> ApiResult<(StatusCode, Json<TrainingView>)> {
    Ok((StatusCode::CREATED, Json(attendance::add_training(&s.app, &c, &id, &i).await?)))
}

#[utoipa::path(get, path = "/api/v1/trainings/{id}", tag = "attendance", params(("id" = String, Path)),
    responses((status = 200, body = TrainingView), (status = 404, body = ErrorBody)))]
pub async fn training(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<TrainingView>> {
    Ok(Json(attendance::get_training(&s.app, &c, &id).await?))
}

/// A person signs in to a training (on the evidence ledger; once per person).
#[utoipa::path(post, path = "/api/v1/trainings/{id}/signins", tag = "attendance", params(("id" = String, Path)),
    request_body = SigninInput,
    responses((status = 200, body = TrainingView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn sign_in(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
    ApiJson(i): ApiJson<SigninInput>,
) -> ApiResult<Json<TrainingView>> {
    Ok(Json(attendance::sign_in(&s.app, &c, &id, &i).await?))
}
