use super::Paged;
use crate::AppState;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiQuery, Auth};
use anjian_app::audit::{self, AuditFilter, AuditView};
use axum::Json;
use axum::extract::State;

/// The audit log, newest first (super admin).
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditFilter),
    responses((status = 200, body = Paged<AuditView>), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    Auth(c): Auth,
    ApiQuery(f): ApiQuery<AuditFilter>,
) -> ApiResult<Json<Paged<AuditView>>> {
    Ok(Json(Paged::of(audit::list(&s.app, &c, &f).await?)))
}
