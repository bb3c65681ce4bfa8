//! HTTP layer of anjian (axum): the JSON API under `/api/v1` with its
//! OpenAPI 3.1 document, auth extractors, health and metrics.
//! Handlers are thin: extract, call one `anjian-app` use case, map.

pub mod api;
pub mod error;
pub mod extract;
pub mod metrics;

use anjian_app::App;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use axum::Router;
use std::sync::Arc;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Largest accepted request body (attachments get their own limit later).
pub const BODY_LIMIT: usize = 2 * 1024 * 1024;

#[derive(Clone)]
pub struct AppState {
    pub app: App,
    pub metrics: metrics::Metrics,
    pub openapi_json: Arc<String>,
    /// Mark the session cookie `Secure` (browsers keep such cookies on
    /// http://localhost too).
    pub cookie_secure: bool,
}

#[derive(OpenApi)]
#[openapi(
    info(title = "anjian 安监 API", description = "安全生产监管平台 HTTP API。时间以 Asia/Shanghai 显示；错误为 {\"error\":{\"code\",\"message\",\"field\"}}。"),
    tags(
        (name = "auth", description = "登录、会话与 API 令牌"),
        (name = "users", description = "账号管理"),
        (name = "registry", description = "基础数据：区域、企业、项目、人员"),
        (name = "audit", description = "审计日志"),
    ),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

struct BearerAuth;
impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
        let comps = openapi.components.get_or_insert_with(Default::default);
        comps.add_security_scheme("bearer", SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()));
        openapi.security = Some(vec![SecurityRequirement::new("bearer", Vec::<String>::new())]);
    }
}

fn api_router() -> OpenApiRouter<AppState> {
    use api::*;
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(auth::login))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::me))
        .routes(routes!(auth::create_token, auth::list_tokens))
        .routes(routes!(auth::revoke_token))
        .routes(routes!(users::list, users::create))
        .routes(routes!(audit::list))
        .routes(routes!(regions::list, regions::create))
        .routes(routes!(regions::get))
        .routes(routes!(enterprises::list, enterprises::create))
        .routes(routes!(enterprises::get, enterprises::update))
        .routes(routes!(enterprises::licences, enterprises::add_licence))
        .routes(routes!(projects::list, projects::create))
        .routes(routes!(projects::get))
        .routes(routes!(people::list, people::create))
        .routes(routes!(people::get))
}

/// The OpenAPI document of the API, as served at `/api/v1/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api_router().into_openapi()
}

/// The whole HTTP application.
pub fn router(app: App, cookie_secure: bool) -> Router {
    let (api, doc) = api_router().split_for_parts();
    let metrics = metrics::Metrics::new();
    let state = AppState {
        app,
        metrics: metrics.clone(),
        openapi_json: Arc::new(doc.to_pretty_json().unwrap_or_default()),
        cookie_secure,
    };
    let api = api.fallback(|| async {
        error::ApiError::new(axum::http::StatusCode::NOT_FOUND, "not_found", "接口不存在")
    });
    Router::new()
        .route("/", get(api::system::home))
        .route("/healthz", get(api::system::healthz))
        .route("/readyz", get(api::system::readyz))
        .route("/metrics", get(api::system::metrics))
        .route("/api/v1/openapi.json", get(api::system::openapi))
        .route("/api/docs", get(api::system::docs))
        .route("/assets/swagger-ui/swagger-ui-bundle.js", get(api::system::swagger_js))
        .route("/assets/swagger-ui/swagger-ui.css", get(api::system::swagger_css))
        .merge(api)
        .layer(axum::middleware::from_fn_with_state(metrics, metrics::track))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
