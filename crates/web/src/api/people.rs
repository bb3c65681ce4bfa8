use super::Paged;
use crate::AppState;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiQuery, Auth};
use anjian_app::registry::{self, PeopleFilter, PersonInput, PersonView};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;

/// People (workers) in the caller's scope; ID numbers masked unless the
/// caller's role may see them.
#[utoipa::path(get, path = "/api/v1/people", tag = "registry", params(PeopleFilter),
    responses((status = 200, body = Paged<PersonView>), (status = 404, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    Auth(c): Auth,
    ApiQuery(f): ApiQuery<PeopleFilter>,
) -> ApiResult<Json<Paged<PersonView>>> {
    Ok(Json(Paged::of(registry::list_people(&s.app, &c, &f).await?)))
}

/// Register a person; the ID number is validated (GB 11643) and stored encrypted.
#[utoipa::path(post, path = "/api/v1/people", tag = "registry", request_body = PersonInput,
    responses((status = 201, body = PersonView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(s): State<AppState>,
    Auth(c): Auth,
    ApiJson(i): ApiJson<PersonInput>,
) -> ApiResult<(StatusCode, Json<PersonView>)> {
    Ok((StatusCode::CREATED, Json(registry::create_person(&s.app, &c, &i).await?)))
}

#[utoipa::path(get, path = "/api/v1/people/{id}", tag = "registry", params(("id" = String, Path)),
    responses((status = 200, body = PersonView), (status = 404, body = ErrorBody)))]
pub async fn get(State(s): State<AppState>, Auth(c): Auth, Path(id): Path<String>) -> ApiResult<Json<PersonView>> {
    Ok(Json(registry::get_person(&s.app, &c, &id).await?))
}
