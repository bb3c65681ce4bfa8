use crate::AppState;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::Auth;
use anjian_app::attachments::{self, AttachmentView};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Upload a photo, video or PDF as the raw request body. Its type is checked
/// by content; EXIF position and time are read from JPEGs. Reference the
/// returned `sha256` in reports and actions.
#[utoipa::path(post, path = "/api/v1/attachments", tag = "hazards",
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = AttachmentView), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn upload(
    State(s): State<AppState>,
    Auth(c): Auth,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> ApiResult<(StatusCode, Json<AttachmentView>)> {
    let body = body.map_err(|_| ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "文件过大"))?;
    Ok((StatusCode::CREATED, Json(attachments::upload(&s.app, Some(&c), "file", &body).await?)))
}

/// Download an attachment of a hazard the caller may see.
#[utoipa::path(get, path = "/api/v1/attachments/{sha256}", tag = "hazards", params(("sha256" = String, Path)),
    responses((status = 200, content_type = "application/octet-stream"), (status = 404, body = ErrorBody)))]
pub async fn download(State(s): State<AppState>, Auth(c): Auth, Path(sha): Path<String>) -> ApiResult<Response> {
    let (mime, bytes) = attachments::download(&s.app, &c, &sha).await?;
    Ok(([(header::CONTENT_TYPE, mime), (header::CACHE_CONTROL, "private, max-age=86400".into())], bytes)
        .into_response())
}
