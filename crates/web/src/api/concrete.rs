//! Concrete traceability (L2): plants, mix designs, batches, delivery
//! tickets with their QR code, sign-off on site, warnings, specimens and
//! GB/T 50107 acceptance; the public ticket (JSON and the page `/c/{code}`,
//! `crates/web/assets/concrete_ticket.html`). Registered by [`routes`].

use super::Paged;
use crate::AppState;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiQuery, Auth};
use anjian_app::concrete::delivery::{
    self, BatchDetail, BatchFilter, BatchInput, BatchView, PlacementInput, ReceiptInput, ReceiverInput, ReceiverView,
    TicketDetail, TicketFilter, TicketInput, TicketView, WarningFilter, WarningView,
};
use anjian_app::concrete::plants::{self, MixView, PlantDetail, PlantFilter, PlantInput, PlantView};
use anjian_app::concrete::public::{self as public_ticket, PublicTicket};
use anjian_app::concrete::quality::{
    self, AcceptanceFilter, AcceptanceInput, AcceptanceView, ResultInput, SpecimenInput, SpecimenView,
};
use anjian_app::concrete::{self as concrete};
use anjian_domain::concrete::{MixInput, TimeLimits};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The concrete endpoints, added to the API router in one call.
pub fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(list_plants, add_plant))
        .routes(routes!(plant))
        .routes(routes!(mixes, add_mix))
        .routes(routes!(list_batches, add_batch))
        .routes(routes!(batch))
        .routes(routes!(issue_ticket))
        .routes(routes!(add_specimen))
        .routes(routes!(list_tickets))
        .routes(routes!(ticket))
        .routes(routes!(receive))
        .routes(routes!(place))
        .routes(routes!(warnings))
        .routes(routes!(receivers, grant_receiver))
        .routes(routes!(revoke_receiver))
        .routes(routes!(set_result))
        .routes(routes!(list_acceptances, accept))
        .routes(routes!(acceptance))
        .routes(routes!(time_limits, set_time_limits))
        .routes(routes!(public_json))
}

// ------------------------------------------------------------------ plants

/// Batching plants in your scope (by the plant's enterprise).
#[utoipa::path(get, path = "/api/v1/concrete/plants", tag = "concrete", params(PlantFilter),
    responses((status = 200, body = Vec<PlantView>), (status = 422, body = ErrorBody)))]
pub async fn list_plants(
    State(s): State<AppState>,
    Auth(c): Auth,
    ApiQuery(f): ApiQuery<PlantFilter>,
) -> ApiResult<Json<Vec<PlantView>>> {
    Ok(Json(plants::list_plants(&s.app, &c, &f).await?))
}

/// Register a batching plant (搅拌站) of an enterprise: its head, or a regulator over it.
#[utoipa::path(post, path = "/api/v1/concrete/plants", tag = "concrete", request_body = PlantInput,
    responses((status = 201, body = PlantDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_plant(
    State(s): State<AppState>,
    Auth(c): Auth,
    ApiJson(i): ApiJson<PlantInput>,
) -> ApiResult<(StatusCode, Json<PlantDetail>)> {
    Ok((StatusCode::CREATED, Json(plants::add_plant(&s.app, &c, &i).await?)))
}

/// A plant with its mix designs.
#[utoipa::path(get, path = "/api/v1/concrete/plants/{id}", tag = "concrete", params(("id" = String, Path)),
    responses((status = 200, body = PlantDetail), (status = 404, body = ErrorBody)))]
pub async fn plant(State(s): State<AppState>, Auth(c): Auth, Path(id): Path<String>) -> ApiResult<Json<PlantDetail>> {
    Ok(Json(plants::get_plant(&s.app, &c, &id).await?))
}

#[utoipa::path(get, path = "/api/v1/concrete/plants/{id}/mixes", tag = "concrete", params(("id" = String, Path)),
    responses((status = 200, body = Vec<MixView>), (status = 404, body = ErrorBody)))]
pub async fn mixes(State(s): State<AppState>, Auth(c): Auth, Path(id): Path<String>) -> ApiResult<Json<Vec<MixView>>> {
    Ok(Json(plants::list_mixes(&s.app, &c, &id).await?))
}

/// Register a mix design (配合比) of the plant (its own accounts).
#[utoipa::path(post, path = "/api/v1/concrete/plants/{id}/mixes", tag = "concrete", params(("id" = String, Path)),
    request_body(content = serde_json::Value, description = "`{\"code\",\"grade\":\"C30\",\"marks\"?,\"slump_mm\",\"slump_tolerance_mm\",\
\"materials\":[{\"kind\":\"cement|water|sand|stone|mineral|admixture|retarder\",\"name\",\"kg_per_m3\"}]}`; \
a `retarder` material selects the longer placing limits",
        example = json!({"code": "HB-C30-01", "grade": "C30", "marks": "P8", "slump_mm": 180, "slump_tolerance_mm": 30,
            "materials": [{"kind": "cement", "name": "P·O 42.5", "kg_per_m3": 300}, {"kind": "water", "name": "自来水", "kg_per_m3": 171}]})),
    responses((status = 201, body = MixView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_mix(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
    ApiJson(i): ApiJson<MixInput>,
) -> ApiResult<(StatusCode, Json<MixView>)> {
    Ok((StatusCode::CREATED, Json(plants::add_mix(&s.app, &c, &id, &i).await?)))
}

// ----------------------------------------------------------------- batches

/// Production batches in your scope, newest first.
#[utoipa::path(get, path = "/api/v1/concrete/batches", tag = "concrete", params(BatchFilter),
    responses((status = 200, body = Paged<BatchView>), (status = 422, body = ErrorBody)))]
pub async fn list_batches(
    State(s): State<AppState>,
    Auth(c): Auth,
    ApiQuery(f): ApiQuery<BatchFilter>,
) -> ApiResult<Json<Paged<BatchView>>> {
    Ok(Json(Paged::of(delivery::list_batches(&s.app, &c, &f).await?)))
}

/// Open a production batch: a plant's mix design for one pour of a project (the plant's accounts).
#[utoipa::path(post, path = "/api/v1/concrete/batches", tag = "concrete", request_body = BatchInput,
    responses((status = 201, body = BatchView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_batch(
    State(s): State<AppState>,
    Auth(c): Auth,
    ApiJson(i): ApiJson<BatchInput>,
) -> ApiResult<(StatusCode, Json<BatchView>)> {
    Ok((StatusCode::CREATED, Json(delivery::add_batch(&s.app, &c, &i).await?)))
}

/// A batch with its tickets, specimens and acceptance.
#[utoipa::path(get, path = "/api/v1/concrete/batches/{id}", tag = "concrete", params(("id" = String, Path)),
    responses((status = 200, body = BatchDetail), (status = 404, body = ErrorBody)))]
pub async fn batch(State(s): State<AppState>, Auth(c): Auth, Path(id): Path<String>) -> ApiResult<Json<BatchDetail>> {
    Ok(Json(delivery::get_batch(&s.app, &c, &id).await?))
}

/// Issue the delivery ticket (发货单) of one truck of the batch. The ticket's
/// `qr_path` is its QR code (SVG), pointing at the public page `public_path`.
#[utoipa::path(post, path = "/api/v1/concrete/batches/{id}/tickets", tag = "concrete", params(("id" = String, Path)),
    request_body = TicketInput,
    responses((status = 201, body = TicketDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn issue_ticket(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
    ApiJson(i): ApiJson<TicketInput>,
) -> ApiResult<(StatusCode, Json<TicketDetail>)> {
    Ok((StatusCode::CREATED, Json(delivery::issue_ticket(&s.app, &c, &id, &i).await?)))
}

/// Record a group of test specimens (试块) cast from the batch's pour.
#[utoipa::path(post, path = "/api/v1/concrete/batches/{id}/specimens", tag = "concrete", params(("id" = String, Path)),
    request_body = SpecimenInput,
    responses((status = 201, body = SpecimenView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_specimen(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
    ApiJson(i): ApiJson<SpecimenInput>,
) -> ApiResult<(StatusCode, Json<SpecimenView>)> {
    Ok((StatusCode::CREATED, Json(quality::add_specimen(&s.app, &c, &id, &i).await?)))
}

// ----------------------------------------------------------------- tickets

/// Delivery tickets in your scope, latest departure first.
#[utoipa::path(get, path = "/api/v1/concrete/tickets", tag = "concrete", params(TicketFilter),
    responses((status = 200, body = Paged<TicketView>), (status = 422, body = ErrorBody)))]
pub async fn list_tickets(
    State(s): State<AppState>,
    Auth(c): Auth,
    ApiQuery(f): ApiQuery<TicketFilter>,
) -> ApiResult<Json<Paged<TicketView>>> {
    Ok(Json(Paged::of(delivery::list_tickets(&s.app, &c, &f).await?)))
}

/// A ticket (by id or by its QR code) with its warnings and ledger steps.
#[utoipa::path(get, path = "/api/v1/concrete/tickets/{ticket}", tag = "concrete", params(("ticket" = String, Path, description = "id or public code")),
    responses((status = 200, body = TicketDetail), (status = 404, body = ErrorBody)))]
pub async fn ticket(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(key): Path<String>,
) -> ApiResult<Json<TicketDetail>> {
    Ok(Json(delivery::get_ticket(&s.app, &c, &key).await?))
}

/// QR sign-off on site: an authorised receiver of the ticket's project
/// receives (or refuses) the load; anyone else gets 403. The time limits are
/// checked and a limit exceeded raises a quality warning.
#[utoipa::path(post, path = "/api/v1/concrete/tickets/{ticket}/receipt", tag = "concrete",
    params(("ticket" = String, Path, description = "id or public code")), request_body = ReceiptInput,
    responses((status = 200, body = TicketDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn receive(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(key): Path<String>,
    ApiJson(i): ApiJson<ReceiptInput>,
) -> ApiResult<Json<TicketDetail>> {
    Ok(Json(delivery::receive(&s.app, &c, &key, &i).await?))
}

/// Record the end of placing of a received load (an authorised receiver).
#[utoipa::path(post, path = "/api/v1/concrete/tickets/{ticket}/placement", tag = "concrete",
    params(("ticket" = String, Path, description = "id or public code")), request_body = PlacementInput,
    responses((status = 200, body = TicketDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn place(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(key): Path<String>,
    ApiJson(i): ApiJson<PlacementInput>,
) -> ApiResult<Json<TicketDetail>> {
    Ok(Json(delivery::place(&s.app, &c, &key, &i).await?))
}

/// Quality warnings (time limits exceeded) in your scope, newest first.
#[utoipa::path(get, path = "/api/v1/concrete/warnings", tag = "concrete", params(WarningFilter),
    responses((status = 200, body = Paged<WarningView>)))]
pub async fn warnings(
    State(s): State<AppState>,
    Auth(c): Auth,
    ApiQuery(f): ApiQuery<WarningFilter>,
) -> ApiResult<Json<Paged<WarningView>>> {
    Ok(Json(Paged::of(delivery::list_warnings(&s.app, &c, &f).await?)))
}

// --------------------------------------------------------------- receivers

/// The project's authorised concrete receivers (who may sign tickets off on site).
#[utoipa::path(get, path = "/api/v1/projects/{id}/concrete-receivers", tag = "concrete", params(("id" = String, Path)),
    responses((status = 200, body = Vec<ReceiverView>), (status = 404, body = ErrorBody)))]
pub async fn receivers(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<ReceiverView>>> {
    Ok(Json(delivery::list_receivers(&s.app, &c, &id).await?))
}

/// Authorise an account of one of the project's parties as a receiver
/// (heads of the parties, or regulators over the project).
#[utoipa::path(post, path = "/api/v1/projects/{id}/concrete-receivers", tag = "concrete", params(("id" = String, Path)),
    request_body = ReceiverInput,
    responses((status = 201, body = Vec<ReceiverView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn grant_receiver(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
    ApiJson(i): ApiJson<ReceiverInput>,
) -> ApiResult<(StatusCode, Json<Vec<ReceiverView>>)> {
    Ok((StatusCode::CREATED, Json(delivery::grant_receiver(&s.app, &c, &id, &i).await?)))
}

/// Withdraw a receiver's authorisation.
#[utoipa::path(delete, path = "/api/v1/projects/{id}/concrete-receivers/{user_id}", tag = "concrete",
    params(("id" = String, Path), ("user_id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn revoke_receiver(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path((id, user_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    delivery::revoke_receiver(&s.app, &c, &id, &user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ------------------------------------------------------- specimens, acceptance

/// Record the strength result of a specimen group (once; results are never rewritten).
#[utoipa::path(put, path = "/api/v1/concrete/specimens/{id}/result", tag = "concrete", params(("id" = String, Path)),
    request_body = ResultInput,
    responses((status = 200, body = SpecimenView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn set_result(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
    ApiJson(i): ApiJson<ResultInput>,
) -> ApiResult<Json<SpecimenView>> {
    Ok(Json(quality::set_result(&s.app, &c, &id, &i).await?))
}

/// A project's strength acceptances (GB/T 50107), newest first.
#[utoipa::path(get, path = "/api/v1/concrete/acceptances", tag = "concrete", params(AcceptanceFilter),
    responses((status = 200, body = Vec<AcceptanceView>), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_acceptances(
    State(s): State<AppState>,
    Auth(c): Auth,
    ApiQuery(f): ApiQuery<AcceptanceFilter>,
) -> ApiResult<Json<Vec<AcceptanceView>>> {
    Ok(Json(quality::list_acceptances(&s.app, &c, &f).await?))
}

/// Assess a lot (检验批) of a project's batches by GB/T 50107 from their
/// standard-cured specimen results. A failed lot opens a quality hazard
/// (type CONS-09-01) on the project, dispatched to its contractor.
#[utoipa::path(post, path = "/api/v1/concrete/acceptances", tag = "concrete", request_body = AcceptanceInput,
    responses((status = 201, body = AcceptanceView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn accept(
    State(s): State<AppState>,
    Auth(c): Auth,
    ApiJson(i): ApiJson<AcceptanceInput>,
) -> ApiResult<(StatusCode, Json<AcceptanceView>)> {
    Ok((StatusCode::CREATED, Json(quality::accept(&s.app, &c, &i).await?)))
}

#[utoipa::path(get, path = "/api/v1/concrete/acceptances/{id}", tag = "concrete", params(("id" = String, Path)),
    responses((status = 200, body = AcceptanceView), (status = 404, body = ErrorBody)))]
pub async fn acceptance(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<AcceptanceView>> {
    Ok(Json(quality::get_acceptance(&s.app, &c, &id).await?))
}

// ------------------------------------------------------------- time limits

/// The delivery time limits in force (standards.md §2, marked [verify]:
/// a deployment may replace them).
#[utoipa::path(get, path = "/api/v1/concrete/time-limits", tag = "concrete",
    responses((status = 200, body = serde_json::Value, description = "`{transport_min, hot_above_c, plain_min:[cool,hot], retarded_min:[cool,hot], basis}`")))]
pub async fn time_limits(State(s): State<AppState>, Auth(_c): Auth) -> ApiResult<Json<TimeLimits>> {
    Ok(Json(concrete::time_limits(&s.app).await?))
}

/// Replace the time-limit table (super admin or city supervisor); audited and on the ledger.
#[utoipa::path(put, path = "/api/v1/concrete/time-limits", tag = "concrete",
    request_body(content = serde_json::Value, example = json!({"transport_min": 90, "hot_above_c": 25.0, "plain_min": [90, 60],
        "retarded_min": [150, 120], "basis": "GB/T 14902；GB 50666"})),
    responses((status = 200, body = serde_json::Value), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_time_limits(
    State(s): State<AppState>,
    Auth(c): Auth,
    ApiJson(l): ApiJson<TimeLimits>,
) -> ApiResult<Json<TimeLimits>> {
    Ok(Json(concrete::set_time_limits(&s.app, &c, &l).await?))
}

// ------------------------------------------------------------------ public

/// A delivery ticket by its QR code, without login: what was delivered
/// where and when, its sign-off and warnings, the batch's strength result,
/// and each step's ledger entry with its inclusion proof against the latest
/// signed checkpoint (`verified` is the server's check; the page at
/// `/c/{code}` checks again in the browser).
#[utoipa::path(get, path = "/api/v1/public/concrete/tickets/{code}", tag = "public", params(("code" = String, Path)),
    responses((status = 200, body = PublicTicket), (status = 404, body = ErrorBody)), security(()))]
pub async fn public_json(State(s): State<AppState>, Path(code): Path<String>) -> ApiResult<Json<PublicTicket>> {
    Ok(Json(public_ticket::ticket(&s.app, &code).await?))
}

/// `/c/{code}`: the public page (self-contained HTML; it loads the JSON above).
pub async fn page(State(s): State<AppState>, Path(code): Path<String>) -> Response {
    static PAGE: &str = include_str!("../../assets/concrete_ticket.html");
    let known = public_ticket::exists(&s.app, &code).await.unwrap_or(false);
    let status = if known { StatusCode::OK } else { StatusCode::NOT_FOUND };
    (
        status,
        [(header::CONTENT_SECURITY_POLICY, "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'")],
        Html(PAGE),
    )
        .into_response()
}

/// `/c/{code}/qr.svg`: the ticket's QR code, encoding the page's absolute URL.
pub async fn qr(State(s): State<AppState>, Path(code): Path<String>, headers: HeaderMap) -> ApiResult<Response> {
    if !public_ticket::exists(&s.app, &code).await? {
        return Err(ApiError::from(anjian_app::AppError::NotFound));
    }
    let url = format!("{}/c/{code}", base_url(&s, &headers));
    let svg = qr_svg(&url).map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e))?;
    Ok(([(header::CONTENT_TYPE, "image/svg+xml"), (header::CACHE_CONTROL, "public, max-age=86400")], svg)
        .into_response())
}

/// The public base URL: the configured one, else this request's host.
fn base_url(s: &AppState, headers: &HeaderMap) -> String {
    if let Some(u) = &s.public_url {
        return u.trim_end_matches('/').to_string();
    }
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    let https = s.trust_forwarded
        && headers
            .get("x-forwarded-proto")
            .and_then(|h| h.to_str().ok())
            .is_some_and(|p| p.eq_ignore_ascii_case("https"));
    format!("{}://{host}", if https { "https" } else { "http" })
}

/// A QR code (error correction M) of `text` as a standalone SVG.
pub fn qr_svg(text: &str) -> Result<String, String> {
    let code =
        qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M).map_err(|e| e.to_string())?;
    Ok(code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(240, 240)
        .quiet_zone(true)
        .dark_color(qrcode::render::svg::Color("#000000"))
        .light_color(qrcode::render::svg::Color("#ffffff"))
        .build())
}
