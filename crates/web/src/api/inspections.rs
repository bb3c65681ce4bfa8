//! Inspections (I1–I2): checklist templates, inspections filled item by
//! item (failing items become hazards on submission), self-inspection
//! schedules and the discipline view with regulators' reviews.

use super::Paged;
use super::hazards::idempotency_key;
use crate::AppState;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiQuery, Auth};
use anjian_app::inspections::{
    self, DisciplineParams, DisciplineView, DraftInput, InspectionDetail, InspectionFilter, InspectionInput,
    InspectionView, ReviewInput, ScheduleInput, ScheduleView, TemplateFilter, TemplateSummary, TemplateView,
};
use anjian_domain::inspection::Template;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde_json::Value;

/// Checklist templates (newest version of each unless `all_versions`).
#[utoipa::path(get, path = "/api/v1/inspection-templates", tag = "inspections", params(TemplateFilter),
    responses((status = 200, body = Paged<TemplateSummary>), (status = 422, body = ErrorBody)))]
pub async fn templates(
    State(s): State<AppState>,
    Auth(c): Auth,
    ApiQuery(f): ApiQuery<TemplateFilter>,
) -> ApiResult<Json<Paged<TemplateSummary>>> {
    let items = inspections::list_templates(&s.app, &c, &f).await?;
    let total = items.len() as i64;
    Ok(Json(Paged { items, total }))
}

/// Publish a template, or a new version of a template code (super admin,
/// city supervisor). Validated: standard problems with existing taxonomy
/// items, JGJ 59 sub-tables of 100 points with 60 for guarantee items.
#[utoipa::path(post, path = "/api/v1/inspection-templates", tag = "inspections", request_body = Object,
    responses((status = 201, body = TemplateView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn publish(
    State(s): State<AppState>,
    Auth(c): Auth,
    ApiJson(t): ApiJson<Template>,
) -> ApiResult<(StatusCode, Json<TemplateView>)> {
    Ok((StatusCode::CREATED, Json(inspections::publish_template(&s.app, &c, &t).await?)))
}

/// One template version with its sections, items and standard problems.
#[utoipa::path(get, path = "/api/v1/inspection-templates/{id}", tag = "inspections", params(("id" = String, Path)),
    responses((status = 200, body = TemplateView), (status = 404, body = ErrorBody)))]
pub async fn template(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<TemplateView>> {
    Ok(Json(inspections::get_template(&s.app, &c, &id).await?))
}

/// Start an inspection (a draft) or record it at once with `submit: true`:
/// every item must be answered, failing items become hazards in the same
/// transaction. The same `Idempotency-Key` returns the first inspection (200).
#[utoipa::path(post, path = "/api/v1/inspections", tag = "inspections", request_body = InspectionInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "client-chosen key; the same key never creates two inspections")),
    responses((status = 201, body = InspectionDetail), (status = 200, body = InspectionDetail, description = "already recorded under this key"),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(s): State<AppState>,
    Auth(c): Auth,
    headers: HeaderMap,
    ApiJson(i): ApiJson<InspectionInput>,
) -> ApiResult<(StatusCode, Json<InspectionDetail>)> {
    let key = idempotency_key(&headers);
    let (d, created) = inspections::create(&s.app, &c, &i, key.as_deref()).await?;
    Ok((if created { StatusCode::CREATED } else { StatusCode::OK }, Json(d)))
}

/// Inspections in your scope, newest first.
#[utoipa::path(get, path = "/api/v1/inspections", tag = "inspections", params(InspectionFilter),
    responses((status = 200, body = Paged<InspectionView>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    Auth(c): Auth,
    ApiQuery(f): ApiQuery<InspectionFilter>,
) -> ApiResult<Json<Paged<InspectionView>>> {
    Ok(Json(Paged::of(inspections::list(&s.app, &c, &f).await?)))
}

/// One inspection with its answers, unanswered items and JGJ 59 score.
#[utoipa::path(get, path = "/api/v1/inspections/{id}", tag = "inspections", params(("id" = String, Path)),
    responses((status = 200, body = InspectionDetail), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<InspectionDetail>> {
    Ok(Json(inspections::get(&s.app, &c, &id).await?))
}

/// Replace a draft's answers (its inspector, or the head for self-inspections).
#[utoipa::path(put, path = "/api/v1/inspections/{id}", tag = "inspections", params(("id" = String, Path)), request_body = DraftInput,
    responses((status = 200, body = InspectionDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "already submitted"), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
    ApiJson(i): ApiJson<DraftInput>,
) -> ApiResult<Json<InspectionDetail>> {
    Ok(Json(inspections::update_draft(&s.app, &c, &id, &i).await?))
}

/// Submit a draft: every item answered; failing items become hazards.
#[utoipa::path(post, path = "/api/v1/inspections/{id}/submit", tag = "inspections", params(("id" = String, Path)),
    responses((status = 200, body = InspectionDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn submit(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<InspectionDetail>> {
    Ok(Json(inspections::submit(&s.app, &c, &id).await?))
}

/// Self-inspection discipline of a month: late (with days), missing and
/// suspicious (always passed while others found hazards) self-inspections,
/// the penalty rule that applies, reviews, and completion rates.
#[utoipa::path(get, path = "/api/v1/discipline/self-inspections", tag = "inspections", params(DisciplineParams),
    responses((status = 200, body = DisciplineView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn discipline(
    State(s): State<AppState>,
    Auth(c): Auth,
    ApiQuery(p): ApiQuery<DisciplineParams>,
) -> ApiResult<Json<DisciplineView>> {
    Ok(Json(inspections::discipline(&s.app, &c, &p).await?))
}

/// Record a regulator's decision on a discipline flag (penalised with a
/// rule of discipline.json, excused, or follow-up).
#[utoipa::path(post, path = "/api/v1/discipline/reviews", tag = "inspections", request_body = ReviewInput,
    responses((status = 201, body = Object), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn review(
    State(s): State<AppState>,
    Auth(c): Auth,
    ApiJson(i): ApiJson<ReviewInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let r = inspections::review(&s.app, &c, &i).await?;
    Ok((StatusCode::CREATED, Json(serde_json::to_value(r).unwrap_or_default())))
}

/// An enterprise's self-inspection schedule (monthly by default).
#[utoipa::path(get, path = "/api/v1/enterprises/{id}/inspection-schedule", tag = "inspections", params(("id" = String, Path)),
    responses((status = 200, body = ScheduleView), (status = 404, body = ErrorBody)))]
pub async fn schedule(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<ScheduleView>> {
    Ok(Json(inspections::get_schedule(&s.app, &c, &id).await?))
}

/// Set an enterprise's self-inspection schedule (regulators).
#[utoipa::path(put, path = "/api/v1/enterprises/{id}/inspection-schedule", tag = "inspections", params(("id" = String, Path)),
    request_body = ScheduleInput,
    responses((status = 200, body = ScheduleView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_schedule(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
    ApiJson(i): ApiJson<ScheduleInput>,
) -> ApiResult<Json<ScheduleView>> {
    Ok(Json(inspections::set_schedule(&s.app, &c, &id, &i).await?))
}
