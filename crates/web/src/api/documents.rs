//! Enforcement documents (I3): drafted from an inspection, issued as PDF
//! (numbered, hashed on the evidence ledger, locked), revised as new versions.

use super::Paged;
use crate::AppState;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiQuery, Auth};
use anjian_app::documents::{self, DocumentFilter, DocumentView, DraftInput, EditInput};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;

/// Draft a 现场检查记录, 责令限期整改指令书 or 整改复查意见书 from a
/// submitted expert or enforcement inspection (regulators).
#[utoipa::path(post, path = "/api/v1/inspections/{id}/documents", tag = "inspections", params(("id" = String, Path)),
    request_body = DraftInput,
    responses((status = 201, body = DocumentView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn draft(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
    ApiJson(i): ApiJson<DraftInput>,
) -> ApiResult<(StatusCode, Json<DocumentView>)> {
    Ok((StatusCode::CREATED, Json(documents::draft(&s.app, &c, &id, &i).await?)))
}

/// Enforcement documents in your scope, newest first.
#[utoipa::path(get, path = "/api/v1/documents", tag = "inspections", params(DocumentFilter),
    responses((status = 200, body = Paged<DocumentView>), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    Auth(c): Auth,
    ApiQuery(f): ApiQuery<DocumentFilter>,
) -> ApiResult<Json<Paged<DocumentView>>> {
    Ok(Json(Paged::of(documents::list(&s.app, &c, &f).await?)))
}

#[utoipa::path(get, path = "/api/v1/documents/{id}", tag = "inspections", params(("id" = String, Path)),
    responses((status = 200, body = DocumentView), (status = 404, body = ErrorBody)))]
pub async fn get(State(s): State<AppState>, Auth(c): Auth, Path(id): Path<String>) -> ApiResult<Json<DocumentView>> {
    Ok(Json(documents::get(&s.app, &c, &id).await?))
}

/// Edit a draft. An issued document is locked: 409, make a new version.
#[utoipa::path(put, path = "/api/v1/documents/{id}", tag = "inspections", params(("id" = String, Path)), request_body = EditInput,
    responses((status = 200, body = DocumentView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "issued documents are locked"), (status = 422, body = ErrorBody)))]
pub async fn edit(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
    ApiJson(i): ApiJson<EditInput>,
) -> ApiResult<Json<DocumentView>> {
    Ok(Json(documents::edit(&s.app, &c, &id, &i).await?))
}

/// Issue a draft: numbered per department, kind and year, rendered as PDF,
/// its SHA-256 on the evidence ledger; a new version supersedes the old.
#[utoipa::path(post, path = "/api/v1/documents/{id}/issue", tag = "inspections", params(("id" = String, Path)),
    responses((status = 200, body = DocumentView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn issue(State(s): State<AppState>, Auth(c): Auth, Path(id): Path<String>) -> ApiResult<Json<DocumentView>> {
    Ok(Json(documents::issue(&s.app, &c, &id).await?))
}

/// Start a new version of an issued document (a draft that names it).
#[utoipa::path(post, path = "/api/v1/documents/{id}/revise", tag = "inspections", params(("id" = String, Path)),
    responses((status = 201, body = DocumentView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn revise(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
) -> ApiResult<(StatusCode, Json<DocumentView>)> {
    Ok((StatusCode::CREATED, Json(documents::revise(&s.app, &c, &id).await?)))
}

/// The PDF (issued: the stored bytes whose hash is on the ledger; draft: a preview).
#[utoipa::path(get, path = "/api/v1/documents/{id}/pdf", tag = "inspections", params(("id" = String, Path)),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>), (status = 404, body = ErrorBody)))]
pub async fn pdf(State(s): State<AppState>, Auth(c): Auth, Path(id): Path<String>) -> ApiResult<impl IntoResponse> {
    let bytes = documents::pdf(&s.app, &c, &id).await?;
    Ok(([(header::CONTENT_TYPE, "application/pdf")], bytes))
}
