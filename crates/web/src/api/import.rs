use crate::AppState;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Auth, parse_json};
use anjian_app::hotline::{self, ImportReport, Ticket};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

#[derive(Deserialize, utoipa::ToSchema)]
pub struct TicketBatch {
    pub tickets: Vec<Ticket>,
}

/// Import 12345/12350 hotline tickets: `text/csv` with the header
/// `ticket_no,description,lat,lng[,contact]`, or JSON `{"tickets":[…]}`.
/// All or nothing: any bad row → 422 with every row error, nothing stored.
/// Ticket numbers imported before are skipped.
#[utoipa::path(post, path = "/api/v1/hazards/import", tag = "hazards", request_body = TicketBatch,
    responses((status = 200, body = ImportReport), (status = 403, body = ErrorBody), (status = 422, body = ImportReport)))]
pub async fn hotline(State(s): State<AppState>, Auth(c): Auth, headers: HeaderMap, body: Bytes) -> ApiResult<Response> {
    if body.len() > crate::UPLOAD_LIMIT {
        return Err(ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "文件过大"));
    }
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let tickets = if ct.starts_with("text/csv") {
        match hotline::parse_csv(&body) {
            Ok(t) => t,
            Err(rows) => return Ok(rejected(rows)),
        }
    } else if ct.starts_with("application/json") {
        parse_json::<TicketBatch>(&body)?.tickets
    } else {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "请使用 text/csv 或 application/json",
        ));
    };
    let report = hotline::import(&s.app, &c, &tickets).await?;
    if !report.errors.is_empty() {
        return Ok(rejected(report.errors));
    }
    Ok(Json(report).into_response())
}

fn rejected(rows: Vec<hotline::RowError>) -> Response {
    let first = rows.first().map(|r| format!("tickets[{}].{}", r.row - 1, r.field)).unwrap_or_default();
    let body = serde_json::json!({
        "error": {"code": "invalid", "message": format!("{} 处错误，未导入任何工单", rows.len()), "field": first},
        "imported": 0, "duplicates": 0, "tracking_codes": [], "errors": rows,
    });
    (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response()
}
