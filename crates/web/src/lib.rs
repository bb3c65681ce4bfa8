//! HTTP layer of anjian (axum): the JSON API under `/api/v1` with its
//! OpenAPI 3.1 document, auth extractors, health and metrics.
//! Handlers are thin: extract, call one `anjian-app` use case, map.

pub mod api;
pub mod compress;
pub mod error;
pub mod extract;
pub mod metrics;
pub mod pages;

use anjian_app::App;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use std::sync::Arc;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Largest accepted JSON body (enforced by `extract::ApiJson`).
pub const BODY_LIMIT: usize = 2 * 1024 * 1024;
/// Largest accepted upload (raw attachment or a multipart public report).
pub const UPLOAD_LIMIT: usize = 64 * 1024 * 1024;

#[derive(Clone)]
pub struct AppState {
    pub app: App,
    pub metrics: metrics::Metrics,
    pub openapi_json: Arc<String>,
    /// Mark the session cookie `Secure` (browsers keep such cookies on
    /// http://localhost too).
    pub cookie_secure: bool,
    /// Per-IP limit on anonymous reports.
    pub public_limiter: Arc<governor::DefaultKeyedRateLimiter<std::net::IpAddr>>,
    /// Per-IP limit on the login-free calculators.
    pub calc_limiter: Arc<governor::DefaultKeyedRateLimiter<std::net::IpAddr>>,
    /// Take the client address from X-Forwarded-For (behind a trusted proxy).
    pub trust_forwarded: bool,
    /// The public base URL (`https://…`) that QR codes point at; default: the request's host.
    pub public_url: Option<String>,
}

/// Options of the HTTP layer.
#[derive(Debug, Clone)]
pub struct WebOptions {
    pub cookie_secure: bool,
    /// Anonymous reports per IP per minute.
    pub public_reports_per_minute: u32,
    /// Calculator requests (`/api/v1/calc/…`, no login) per IP per minute.
    pub calc_per_minute: u32,
    pub trust_forwarded: bool,
    /// The public base URL that QR codes point at (e.g. `https://anjian.example.gov.cn`).
    pub public_url: Option<String>,
}

impl Default for WebOptions {
    fn default() -> Self {
        WebOptions {
            cookie_secure: true,
            public_reports_per_minute: 10,
            calc_per_minute: 600,
            trust_forwarded: false,
            public_url: None,
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "anjian 安监 API", description = "安全生产监管平台 HTTP API。时间以 Asia/Shanghai 显示；错误为 {\"error\":{\"code\",\"message\",\"field\"}}。"),
    tags(
        (name = "auth", description = "登录、会话与 API 令牌"),
        (name = "users", description = "账号管理"),
        (name = "registry", description = "基础数据：区域、企业、项目、人员"),
        (name = "audit", description = "审计日志"),
        (name = "hazards", description = "隐患排查治理"),
        (name = "public", description = "公众举报（无需登录）"),
        (name = "monitoring", description = "物联网监测与四级预警"),
        (name = "analytics", description = "统计分析：隐患共现、分区域预测与回测"),
        (name = "risk", description = "风险分级管控：重大危险源（GB 18218）、风险点（LEC/LS）与四色风险图"),
        (name = "calc", description = "标准计算器（无需登录、不存储数据）：GB 18218、GB/T 50107、JGJ 59、LEC、LS"),
        (name = "inspections", description = "检查与执法：检查模板、企业自查、专家与执法检查、自查纪律"),
        (name = "attendance", description = "领导带班、考勤与培训签到"),
        (name = "concrete", description = "混凝土质量追溯：搅拌站、配合比、生产批次、发货单与扫码签收、时限预警、试块与 GB/T 50107 强度评定"),
        (name = "ledger", description = "存证账本：签名检查点、包含与一致性证明（C2SP tlog-tiles 位于 /ledger/）"),
    ),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

struct BearerAuth;
impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
        let comps = openapi.components.get_or_insert_with(Default::default);
        comps.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        openapi.security = Some(vec![SecurityRequirement::new("bearer", Vec::<String>::new())]);
    }
}

fn api_router() -> OpenApiRouter<AppState> {
    use api::*;
    let r = OpenApiRouter::with_openapi(ApiDoc::openapi());
    concrete::routes(r)
        .routes(routes!(auth::login))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::me))
        .routes(routes!(auth::create_token, auth::list_tokens))
        .routes(routes!(auth::revoke_token))
        .routes(routes!(users::list, users::create))
        .routes(routes!(users::phone, users::set_phone))
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
        .routes(routes!(hazards::report, hazards::list))
        .routes(routes!(import::hotline))
        .routes(routes!(hazards::counts))
        .routes(routes!(hazards::get))
        .routes(routes!(hazards::timeline))
        .routes(routes!(hazards::act))
        .routes(routes!(hazards::classify))
        .routes(routes!(hazards::grade))
        .routes(routes!(hazards::major))
        .routes(routes!(hazards::taxonomy))
        .routes(routes!(hazards::vocabularies))
        .routes(routes!(hazards::plan))
        .routes(routes!(hazards::listing))
        .routes(routes!(attachments::upload))
        .routes(routes!(attachments::download))
        .routes(routes!(notifications::inbox))
        .routes(routes!(notifications::mark_read))
        .routes(routes!(monitoring::list, monitoring::create))
        .routes(routes!(monitoring::get, monitoring::update))
        .routes(routes!(monitoring::retire))
        .routes(routes!(monitoring::rotate_secret))
        .routes(routes!(monitoring::series))
        .routes(routes!(monitoring::latest))
        .routes(routes!(resources::list, resources::create))
        .routes(routes!(resources::get, resources::update, resources::delete))
        .routes(routes!(resources::nearest))
        .routes(routes!(monitoring::rules, monitoring::add_rule))
        .routes(routes!(monitoring::update_rule))
        .routes(routes!(monitoring::templates))
        .routes(routes!(monitoring::ingest))
        .routes(routes!(monitoring::alarms))
        .routes(routes!(alarm_stream::stream))
        .routes(routes!(monitoring::alarm))
        .routes(routes!(monitoring::alarm_action))
        .routes(routes!(monitoring::emergencies))
        .routes(routes!(monitoring::emergency))
        .routes(routes!(monitoring::emergency_action))
        .routes(routes!(ledger::key))
        .routes(routes!(ledger::api_checkpoint))
        .routes(routes!(ledger::cosigned))
        .routes(routes!(ledger::inclusion))
        .routes(routes!(ledger::consistency))
        .routes(routes!(ledger::entry))
        .routes(routes!(ledger::subject))
        .routes(routes!(ledger::verify))
        .routes(routes!(ledger::witness))
        .routes(routes!(public::report))
        .routes(routes!(public::status))
        .routes(routes!(analytics::co_occurrence))
        .routes(routes!(analytics::forecast))
        .routes(routes!(analytics::heatmap))
        .routes(routes!(analytics::stats))
        .routes(routes!(analytics::overdue_enterprises))
        .routes(routes!(analytics::ranking))
        .routes(routes!(analytics::grading, analytics::set_grading))
        .routes(routes!(analytics::licences))
        .routes(routes!(analytics::profile))
        .routes(routes!(reports::region))
        .routes(routes!(map::layers))
        .routes(routes!(risk::units_of, risk::add_unit))
        .routes(routes!(risk::units))
        .routes(routes!(risk::unit, risk::update_unit))
        .routes(routes!(risk::points_of, risk::add_point))
        .routes(routes!(risk::points))
        .routes(routes!(risk::update_point))
        .routes(routes!(risk::map))
        .routes(routes!(calc::gb18218))
        .routes(routes!(calc::substances))
        .routes(routes!(calc::gb50107))
        .routes(routes!(calc::jgj59))
        .routes(routes!(calc::lec))
        .routes(routes!(calc::ls))
        .routes(routes!(inspections::templates, inspections::publish))
        .routes(routes!(inspections::template))
        .routes(routes!(inspections::create, inspections::list))
        .routes(routes!(inspections::get, inspections::update))
        .routes(routes!(inspections::submit))
        .routes(routes!(inspections::discipline))
        .routes(routes!(inspections::review))
        .routes(routes!(inspections::schedule, inspections::set_schedule))
        .routes(routes!(documents::draft))
        .routes(routes!(documents::list))
        .routes(routes!(documents::get, documents::edit))
        .routes(routes!(documents::issue))
        .routes(routes!(documents::revise))
        .routes(routes!(documents::pdf))
        .routes(routes!(attendance::check_in))
        .routes(routes!(attendance::device_check_in))
        .routes(routes!(attendance::checkins))
        .routes(routes!(attendance::duty_rates))
        .routes(routes!(attendance::trainings, attendance::add_training))
        .routes(routes!(attendance::training))
        .routes(routes!(attendance::sign_in))
}

/// The OpenAPI document of the API, as served at `/api/v1/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api_router().into_openapi()
}

/// The whole HTTP application with default options.
pub fn router(app: App, cookie_secure: bool) -> Router {
    router_with(app, WebOptions { cookie_secure, ..WebOptions::default() })
}

/// The whole HTTP application.
pub fn router_with(app: App, opts: WebOptions) -> Router {
    router_with_metrics(app, opts, metrics::Metrics::new())
}

/// The whole HTTP application, sharing `metrics` with other parts of the
/// process (the MQTT subscriber counts into it too).
pub fn router_with_metrics(app: App, opts: WebOptions, metrics: metrics::Metrics) -> Router {
    let per_minute = std::num::NonZeroU32::new(opts.public_reports_per_minute.max(1)).expect("nonzero");
    let public_limiter = Arc::new(governor::RateLimiter::keyed(governor::Quota::per_minute(per_minute)));
    let calc_per_minute = std::num::NonZeroU32::new(opts.calc_per_minute.max(1)).expect("nonzero");
    let calc_limiter = Arc::new(governor::RateLimiter::keyed(governor::Quota::per_minute(calc_per_minute)));
    let (api, doc) = api_router().split_for_parts();
    let state = AppState {
        app,
        metrics: metrics.clone(),
        openapi_json: Arc::new(doc.to_pretty_json().unwrap_or_default()),
        cookie_secure: opts.cookie_secure,
        public_limiter,
        calc_limiter,
        trust_forwarded: opts.trust_forwarded,
        public_url: opts.public_url,
    };
    let api = api
        .fallback(|| async { error::ApiError::new(axum::http::StatusCode::NOT_FOUND, "not_found", "接口不存在") });
    Router::new()
        .merge(pages::routes())
        .route("/healthz", get(api::system::healthz))
        .route("/readyz", get(api::system::readyz))
        .route("/metrics", get(api::system::metrics))
        .route("/api/v1/openapi.json", get(api::system::openapi))
        .route("/api/docs", get(api::system::docs))
        .route("/c/{code}", get(api::concrete::page))
        .route("/c/{code}/qr.svg", get(api::concrete::qr))
        .route("/ledger/checkpoint", get(api::ledger::checkpoint))
        .route("/ledger/tile/{*rest}", get(api::ledger::tile))
        .route("/assets/swagger-ui/swagger-ui-bundle.js", get(api::system::swagger_js))
        .route("/assets/swagger-ui/swagger-ui.css", get(api::system::swagger_css))
        .merge(api)
        .layer(axum::middleware::from_fn(compress::json))
        .layer(DefaultBodyLimit::max(UPLOAD_LIMIT))
        .layer(axum::middleware::from_fn_with_state(metrics, metrics::track))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
