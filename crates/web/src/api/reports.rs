//! Periodic reports for regulators: a region's weekly or monthly report as
//! PDF or XLSX.

use crate::AppState;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiQuery, Auth};
use anjian_app::reports::{self, ReportParams};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};

/// The weekly (`week=2026-W44`) or monthly (`month=2026-10`) report of a
/// region: key figures against the previous period and the same period a
/// year before, daily trend, children, hazard types, ranking with ABCD
/// grades, alarms, and a narrative paragraph (rule-based, or rewritten by the
/// configured language model; header `X-Anjian-Narrative: rules | llm |
/// fallback`). `format=pdf` (default) or `xlsx`.
#[utoipa::path(get, path = "/api/v1/reports/region", tag = "analytics", params(ReportParams),
    responses((status = 200, content_type = "application/pdf", description = "the report (PDF or XLSX)"),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn region(
    State(s): State<AppState>,
    Auth(c): Auth,
    ApiQuery(p): ApiQuery<ReportParams>,
) -> ApiResult<Response> {
    let r = reports::region_report(&s.app, &c, &p).await?;
    let disposition = format!("attachment; filename=\"{}\"", r.file_name);
    Ok((
        [
            (header::CONTENT_TYPE, r.content_type.to_string()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::HeaderName::from_static("x-anjian-narrative"), r.narrative.as_str().to_string()),
        ],
        r.bytes,
    )
        .into_response())
}
