use super::Paged;
use crate::AppState;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiQuery, Auth};
use anjian_app::hazards::{
    self, ActionInput, ClassifyInput, GradeChangeInput, HazardCounts, HazardFilter, HazardView, ListingInput,
    MajorView, PlanInput, ReportInput, Timeline,
};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};

pub(crate) fn idempotency_key(h: &HeaderMap) -> Option<String> {
    h.get("idempotency-key").and_then(|v| v.to_str().ok()).map(|s| s.trim().to_string())
}

/// Report a hazard from any channel. An `Idempotency-Key` header makes a
/// retry return the hazard created the first time.
#[utoipa::path(post, path = "/api/v1/hazards", tag = "hazards", request_body = ReportInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "client-chosen key; the same key never creates two hazards")),
    responses((status = 201, body = HazardView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn report(
    State(s): State<AppState>,
    Auth(c): Auth,
    headers: HeaderMap,
    ApiJson(i): ApiJson<ReportInput>,
) -> ApiResult<(StatusCode, Json<HazardView>)> {
    let key = idempotency_key(&headers);
    Ok((StatusCode::CREATED, Json(hazards::report(&s.app, &c, &i, key.as_deref()).await?)))
}

/// Hazards in the caller's scope, filtered, newest first.
#[utoipa::path(get, path = "/api/v1/hazards", tag = "hazards", params(HazardFilter),
    responses((status = 200, body = Paged<HazardView>), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    Auth(c): Auth,
    ApiQuery(f): ApiQuery<HazardFilter>,
) -> ApiResult<Json<Paged<HazardView>>> {
    Ok(Json(Paged::of(hazards::list(&s.app, &c, &f).await?)))
}

/// Found / rectified / in progress / overdue and the rectification rate for
/// the hazards matching the same filters.
#[utoipa::path(get, path = "/api/v1/hazards/counts", tag = "hazards", params(HazardFilter),
    responses((status = 200, body = HazardCounts), (status = 403, body = ErrorBody)))]
pub async fn counts(
    State(s): State<AppState>,
    Auth(c): Auth,
    ApiQuery(f): ApiQuery<HazardFilter>,
) -> ApiResult<Json<HazardCounts>> {
    Ok(Json(hazards::counts(&s.app, &c, &f).await?))
}

#[utoipa::path(get, path = "/api/v1/hazards/{id}", tag = "hazards", params(("id" = String, Path)),
    responses((status = 200, body = HazardView), (status = 404, body = ErrorBody)))]
pub async fn get(State(s): State<AppState>, Auth(c): Auth, Path(id): Path<String>) -> ApiResult<Json<HazardView>> {
    Ok(Json(hazards::get(&s.app, &c, &id).await?))
}

/// Every event of the hazard with actor, time, states and attachment hashes.
#[utoipa::path(get, path = "/api/v1/hazards/{id}/timeline", tag = "hazards", params(("id" = String, Path)),
    responses((status = 200, body = Timeline), (status = 404, body = ErrorBody)))]
pub async fn timeline(State(s): State<AppState>, Auth(c): Auth, Path(id): Path<String>) -> ApiResult<Json<Timeline>> {
    Ok(Json(hazards::timeline(&s.app, &c, &id).await?))
}

/// A lifecycle action: dispatch, dismiss, start, dispute, reassign,
/// request/approve/refuse extension, submit, accept, reject.
#[utoipa::path(post, path = "/api/v1/hazards/{id}/actions", tag = "hazards", params(("id" = String, Path)), request_body = ActionInput,
    responses((status = 200, body = HazardView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn act(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
    ApiJson(a): ApiJson<ActionInput>,
) -> ApiResult<Json<HazardView>> {
    Ok(Json(hazards::act(&s.app, &c, &id, &a).await?))
}

/// Classify a queued report by hand (regulators).
#[utoipa::path(post, path = "/api/v1/hazards/{id}/classify", tag = "hazards", params(("id" = String, Path)), request_body = ClassifyInput,
    responses((status = 200, body = HazardView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn classify(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
    ApiJson(i): ApiJson<ClassifyInput>,
) -> ApiResult<Json<HazardView>> {
    Ok(Json(hazards::classify(&s.app, &c, &id, &i).await?))
}

/// Change the grade. Raising to major is immediate; lowering a major hazard
/// needs a second regulator to confirm with the same call.
#[utoipa::path(post, path = "/api/v1/hazards/{id}/grade", tag = "hazards", params(("id" = String, Path)), request_body = GradeChangeInput,
    responses((status = 200, body = HazardView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn grade(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
    ApiJson(i): ApiJson<GradeChangeInput>,
) -> ApiResult<Json<HazardView>> {
    Ok(Json(hazards::change_grade(&s.app, &c, &id, &i).await?))
}

/// A major hazard's governance plan, 挂牌督办 listing and re-check status.
#[utoipa::path(get, path = "/api/v1/hazards/{id}/major", tag = "hazards", params(("id" = String, Path)),
    responses((status = 200, body = MajorView), (status = 404, body = ErrorBody)))]
pub async fn major(State(s): State<AppState>, Auth(c): Auth, Path(id): Path<String>) -> ApiResult<Json<MajorView>> {
    Ok(Json(hazards::major(&s.app, &c, &id).await?))
}

/// Submit or revise the seven-part governance plan (治理方案) of a major hazard.
#[utoipa::path(put, path = "/api/v1/hazards/{id}/plan", tag = "hazards", params(("id" = String, Path)), request_body = PlanInput,
    responses((status = 200, body = MajorView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn plan(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
    ApiJson(p): ApiJson<PlanInput>,
) -> ApiResult<Json<MajorView>> {
    Ok(Json(hazards::put_plan(&s.app, &c, &id, &p).await?))
}

/// List a major hazard for supervision (挂牌督办).
#[utoipa::path(post, path = "/api/v1/hazards/{id}/listing", tag = "hazards", params(("id" = String, Path)), request_body = ListingInput,
    responses((status = 200, body = MajorView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn listing(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
    ApiJson(i): ApiJson<ListingInput>,
) -> ApiResult<Json<MajorView>> {
    Ok(Json(hazards::list_for_supervision(&s.app, &c, &id, &i).await?))
}

/// The hazard taxonomy (domain → class → item) with each item's accident
/// category, default grade, deadline and guidance.
#[utoipa::path(get, path = "/api/v1/taxonomy", tag = "hazards", responses((status = 200, body = Vec<anjian_app::knowledge::TaxonomyNode>)))]
pub async fn taxonomy(Auth(_c): Auth) -> Json<Vec<anjian_app::knowledge::TaxonomyNode>> {
    Json(anjian_app::knowledge::taxonomy_tree())
}

/// The API's codes with their Chinese labels: hazard states, grades and
/// channels, industries, scales, roles, alarm levels, device types.
#[utoipa::path(get, path = "/api/v1/vocabularies", tag = "hazards",
    responses((status = 200, body = anjian_app::vocabulary::Vocabularies), (status = 401, body = ErrorBody)))]
pub async fn vocabularies(Auth(_c): Auth) -> Json<anjian_app::vocabulary::Vocabularies> {
    Json(anjian_app::vocabulary::all())
}
