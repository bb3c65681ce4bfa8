use crate::AppState;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiQuery, Auth};
use anjian_app::hazards::{self, NotificationView};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct InboxParams {
    pub unread: Option<bool>,
}

/// The caller's notification inbox, newest first.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "hazards", params(InboxParams),
    responses((status = 200, body = Vec<NotificationView>)))]
pub async fn inbox(
    State(s): State<AppState>,
    Auth(c): Auth,
    ApiQuery(p): ApiQuery<InboxParams>,
) -> ApiResult<Json<Vec<NotificationView>>> {
    Ok(Json(hazards::inbox(&s.app, &c, p.unread.unwrap_or(false)).await?))
}

#[utoipa::path(post, path = "/api/v1/notifications/{id}/read", tag = "hazards", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn mark_read(State(s): State<AppState>, Auth(c): Auth, Path(id): Path<String>) -> ApiResult<StatusCode> {
    hazards::mark_read(&s.app, &c, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
