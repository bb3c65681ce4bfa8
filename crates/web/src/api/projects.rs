use super::Paged;
use crate::AppState;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiQuery, Auth};
use anjian_app::registry::{self, ProjectFilter, ProjectInput, ProjectView};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;

/// Construction projects visible to the caller (regulators by location; an
/// enterprise when it is one of the three parties).
#[utoipa::path(get, path = "/api/v1/projects", tag = "registry", params(ProjectFilter),
    responses((status = 200, body = Paged<ProjectView>), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    Auth(c): Auth,
    ApiQuery(f): ApiQuery<ProjectFilter>,
) -> ApiResult<Json<Paged<ProjectView>>> {
    Ok(Json(Paged::of(registry::list_projects(&s.app, &c, &f).await?)))
}

#[utoipa::path(post, path = "/api/v1/projects", tag = "registry", request_body = ProjectInput,
    responses((status = 201, body = ProjectView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(s): State<AppState>,
    Auth(c): Auth,
    ApiJson(i): ApiJson<ProjectInput>,
) -> ApiResult<(StatusCode, Json<ProjectView>)> {
    Ok((StatusCode::CREATED, Json(registry::create_project(&s.app, &c, &i).await?)))
}

#[utoipa::path(get, path = "/api/v1/projects/{id}", tag = "registry", params(("id" = String, Path)),
    responses((status = 200, body = ProjectView), (status = 404, body = ErrorBody)))]
pub async fn get(State(s): State<AppState>, Auth(c): Auth, Path(id): Path<String>) -> ApiResult<Json<ProjectView>> {
    Ok(Json(registry::get_project(&s.app, &c, &id).await?))
}
