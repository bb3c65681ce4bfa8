use super::Paged;
use crate::AppState;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiQuery, Auth};
use anjian_app::monitoring::{
    self, AlarmActionInput, AlarmDetail, AlarmFilter, AlarmView, DeviceBatch, DeviceInput, DevicePatch, DeviceView,
    IngestReport, RetireInput, RuleInput, RuleUpdate, RuleView, TemplateView,
};
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

/// Devices in the caller's scope, with online state.
#[utoipa::path(get, path = "/api/v1/devices", tag = "monitoring", params(PageParams),
    responses((status = 200, body = Paged<DeviceView>)))]
pub async fn list(
    State(s): State<AppState>,
    Auth(c): Auth,
    ApiQuery(p): ApiQuery<PageParams>,
) -> ApiResult<Json<Paged<DeviceView>>> {
    Ok(Json(Paged::of(monitoring::list_devices(&s.app, &c, Page::new(p.page, p.per_page)).await?)))
}

/// Register a device. The response carries its secret, shown only this once.
#[utoipa::path(post, path = "/api/v1/devices", tag = "monitoring", request_body = DeviceInput,
    responses((status = 201, body = DeviceView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(s): State<AppState>,
    Auth(c): Auth,
    ApiJson(i): ApiJson<DeviceInput>,
) -> ApiResult<(StatusCode, Json<DeviceView>)> {
    Ok((StatusCode::CREATED, Json(monitoring::register_device(&s.app, &c, &i).await?)))
}

#[utoipa::path(get, path = "/api/v1/devices/{id}", tag = "monitoring", params(("id" = String, Path)),
    responses((status = 200, body = DeviceView), (status = 404, body = ErrorBody)))]
pub async fn get(State(s): State<AppState>, Auth(c): Auth, Path(id): Path<String>) -> ApiResult<Json<DeviceView>> {
    Ok(Json(monitoring::get_device(&s.app, &c, &id).await?))
}

/// Edit a device: name, position, reporting interval, metrics (a metric a
/// rule uses cannot be removed), project. Absent fields stay; null removes
/// the project or the position. A retired device cannot be edited.
#[utoipa::path(patch, path = "/api/v1/devices/{id}", tag = "monitoring", params(("id" = String, Path)), request_body = DevicePatch,
    responses((status = 200, body = DeviceView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
    ApiJson(i): ApiJson<DevicePatch>,
) -> ApiResult<Json<DeviceView>> {
    Ok(Json(monitoring::update_device(&s.app, &c, &id, &i).await?))
}

/// Retire a device, with the reason. It stays listed (`status: retired`)
/// with its readings and alarms; from now on its readings are refused
/// (counted as `retired_device`), its rules are not evaluated and offline
/// detection leaves it alone. Its open alarms are cleared by the caller
/// with the reason, as when a person clears an alarm. One way.
#[utoipa::path(post, path = "/api/v1/devices/{id}/retire", tag = "monitoring", params(("id" = String, Path)), request_body = RetireInput,
    responses((status = 200, body = DeviceView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn retire(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
    ApiJson(i): ApiJson<RetireInput>,
) -> ApiResult<Json<DeviceView>> {
    Ok(Json(monitoring::retire_device(&s.app, &c, &id, &i).await?))
}

/// Give a device a new secret. The response carries it, shown only this
/// once; the old secret is refused from now on.
#[utoipa::path(post, path = "/api/v1/devices/{id}/secret", tag = "monitoring", params(("id" = String, Path)),
    responses((status = 200, body = DeviceView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn rotate_secret(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<DeviceView>> {
    Ok(Json(monitoring::rotate_secret(&s.app, &c, &id).await?))
}

/// Change a rule: its definition (validated as a new rule's), name, or
/// `enabled` (false: readings are still stored, the rule is not evaluated).
/// A new definition, or turning the rule off or on, restarts its evaluation.
/// An open alarm of the rule is not cleared by the change: it stays until a
/// person clears it or the new definition's evaluation does (a reading below
/// every new threshold clears it, one past a higher level escalates it); a
/// turned-off rule's open alarm waits for a person. Rules are not deleted
/// (their alarms refer to them): turn them off.
#[utoipa::path(put, path = "/api/v1/devices/{id}/rules/{rule_id}", tag = "monitoring",
    params(("id" = String, Path), ("rule_id" = String, Path)), request_body = RuleUpdate,
    responses((status = 200, body = RuleView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_rule(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path((id, rule_id)): Path<(String, String)>,
    ApiJson(i): ApiJson<RuleUpdate>,
) -> ApiResult<Json<RuleView>> {
    Ok(Json(monitoring::update_rule(&s.app, &c, &id, &rule_id, &i).await?))
}

#[utoipa::path(get, path = "/api/v1/devices/{id}/rules", tag = "monitoring", params(("id" = String, Path)),
    responses((status = 200, body = Vec<RuleView>), (status = 404, body = ErrorBody)))]
pub async fn rules(State(s): State<AppState>, Auth(c): Auth, Path(id): Path<String>) -> ApiResult<Json<Vec<RuleView>>> {
    Ok(Json(monitoring::list_rules(&s.app, &c, &id).await?))
}

/// Attach a rule to a device, from a template or written out.
#[utoipa::path(post, path = "/api/v1/devices/{id}/rules", tag = "monitoring", params(("id" = String, Path)), request_body = RuleInput,
    responses((status = 201, body = RuleView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_rule(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
    ApiJson(i): ApiJson<RuleInput>,
) -> ApiResult<(StatusCode, Json<RuleView>)> {
    Ok((StatusCode::CREATED, Json(monitoring::add_rule(&s.app, &c, &id, &i).await?)))
}

/// The rule templates shipped with the platform.
#[utoipa::path(get, path = "/api/v1/rule-templates", tag = "monitoring", responses((status = 200, body = Vec<TemplateView>)))]
pub async fn templates(Auth(_c): Auth) -> Json<Vec<TemplateView>> {
    Json(monitoring::rule_templates())
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct IngestBody {
    pub batches: Vec<DeviceBatch>,
}

/// Readings from devices (no user login: each batch carries its device's id
/// and secret). Bad readings are counted by reason and never stop the good
/// ones beside them.
#[utoipa::path(post, path = "/api/v1/ingest", tag = "monitoring", request_body = IngestBody,
    responses((status = 200, body = IngestReport), (status = 400, body = ErrorBody), (status = 413, body = ErrorBody)), security(()))]
pub async fn ingest(State(s): State<AppState>, ApiJson(body): ApiJson<IngestBody>) -> ApiResult<Json<IngestReport>> {
    let report: IngestReport = monitoring::ingest_many(&s.app, &body.batches).await?;
    s.metrics.count_ingest(&report);
    Ok(Json(report))
}

#[utoipa::path(get, path = "/api/v1/alarms", tag = "monitoring", params(AlarmFilter),
    responses((status = 200, body = Paged<AlarmView>), (status = 422, body = ErrorBody)))]
pub async fn alarms(
    State(s): State<AppState>,
    Auth(c): Auth,
    ApiQuery(f): ApiQuery<AlarmFilter>,
) -> ApiResult<Json<Paged<AlarmView>>> {
    Ok(Json(Paged::of(monitoring::list_alarms(&s.app, &c, &f).await?)))
}

#[utoipa::path(get, path = "/api/v1/alarms/{id}", tag = "monitoring", params(("id" = String, Path)),
    responses((status = 200, body = AlarmDetail), (status = 404, body = ErrorBody)))]
pub async fn alarm(State(s): State<AppState>, Auth(c): Auth, Path(id): Path<String>) -> ApiResult<Json<AlarmDetail>> {
    Ok(Json(monitoring::get_alarm(&s.app, &c, &id).await?))
}

/// Acknowledge or clear an alarm.
#[utoipa::path(post, path = "/api/v1/alarms/{id}/actions", tag = "monitoring", params(("id" = String, Path)), request_body = AlarmActionInput,
    responses((status = 200, body = AlarmView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn alarm_action(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
    ApiJson(i): ApiJson<AlarmActionInput>,
) -> ApiResult<Json<AlarmView>> {
    Ok(Json(monitoring::act_on_alarm(&s.app, &c, &id, &i).await?))
}

/// Emergency responses opened by red alarms, newest first (`open=true`: not yet closed).
#[utoipa::path(get, path = "/api/v1/emergencies", tag = "monitoring", params(anjian_app::emergency::EmergencyFilter),
    responses((status = 200, body = Vec<anjian_app::emergency::EmergencyView>)))]
pub async fn emergencies(
    State(s): State<AppState>,
    Auth(c): Auth,
    ApiQuery(f): ApiQuery<anjian_app::emergency::EmergencyFilter>,
) -> ApiResult<Json<Vec<anjian_app::emergency::EmergencyView>>> {
    Ok(Json(anjian_app::emergency::list(&s.app, &c, &f).await?))
}

/// One emergency response: who was notified, response time against the
/// 15-minute target, measures, review.
#[utoipa::path(get, path = "/api/v1/emergencies/{id}", tag = "monitoring", params(("id" = String, Path)),
    responses((status = 200, body = anjian_app::emergency::EmergencyView), (status = 404, body = ErrorBody)))]
pub async fn emergency(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<anjian_app::emergency::EmergencyView>> {
    Ok(Json(anjian_app::emergency::get(&s.app, &c, &id).await?))
}

/// Record a measure taken, or close the response with its review (after the alarm was acknowledged).
#[utoipa::path(post, path = "/api/v1/emergencies/{id}/actions", tag = "monitoring", params(("id" = String, Path)),
    request_body = anjian_app::emergency::EmergencyAction,
    responses((status = 200, body = anjian_app::emergency::EmergencyView), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn emergency_action(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
    ApiJson(i): ApiJson<anjian_app::emergency::EmergencyAction>,
) -> ApiResult<Json<anjian_app::emergency::EmergencyView>> {
    Ok(Json(anjian_app::emergency::act(&s.app, &c, &id, &i).await?))
}

/// A device's readings of one metric over time: raw, or minute/hour rollups
/// (min, max, mean, count, last per bucket).
#[utoipa::path(get, path = "/api/v1/devices/{id}/series", tag = "monitoring",
    params(("id" = String, Path), monitoring::SeriesParams),
    responses((status = 200, body = monitoring::Series), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn series(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
    ApiQuery(p): ApiQuery<monitoring::SeriesParams>,
) -> ApiResult<Json<monitoring::Series>> {
    Ok(Json(monitoring::series(&s.app, &c, &id, &p).await?))
}

/// The latest value of every metric of a region's devices (default: the caller's region).
#[utoipa::path(get, path = "/api/v1/monitoring/latest", tag = "monitoring", params(monitoring::LatestParams),
    responses((status = 200, body = Paged<monitoring::DeviceLatest>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn latest(
    State(s): State<AppState>,
    Auth(c): Auth,
    ApiQuery(p): ApiQuery<monitoring::LatestParams>,
) -> ApiResult<Json<Paged<monitoring::DeviceLatest>>> {
    Ok(Json(Paged::of(monitoring::latest(&s.app, &c, &p).await?)))
}
