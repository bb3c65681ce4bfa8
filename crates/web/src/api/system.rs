//! Liveness, readiness, metrics, the OpenAPI document and its docs page.

use crate::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

/// Liveness: the process answers.
pub async fn healthz() -> impl IntoResponse {
    Json(serde_json::json!({"status": "ok"}))
}

/// Readiness: the database answers.
pub async fn readyz(State(s): State<AppState>) -> Response {
    match s.app.db.ping().await {
        Ok(()) => Json(serde_json::json!({"status": "ready", "database": s.app.db.backend().as_str()})).into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({"status": "unavailable", "error": "database unreachable"})),
            )
                .into_response()
        }
    }
}

pub async fn metrics(State(s): State<AppState>) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], s.metrics.render()).into_response()
}

pub async fn openapi(State(s): State<AppState>) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], s.openapi_json.as_str().to_owned()).into_response()
}

pub async fn docs() -> Html<&'static str> {
    Html(
        r##"<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>安监平台 API 文档</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/assets/swagger-ui/swagger-ui.css"></head>
<body><div id="ui"></div>
<script src="/assets/swagger-ui/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({url: "/api/v1/openapi.json", dom_id: "#ui"});</script>
</body></html>"##,
    )
}

pub async fn swagger_js() -> Response {
    static JS: &[u8] = include_bytes!("../../assets/vendor/swagger-ui/swagger-ui-bundle.js");
    ([(header::CONTENT_TYPE, "text/javascript"), (header::CACHE_CONTROL, "public, max-age=86400")], JS).into_response()
}

pub async fn swagger_css() -> Response {
    static CSS: &[u8] = include_bytes!("../../assets/vendor/swagger-ui/swagger-ui.css");
    ([(header::CONTENT_TYPE, "text/css"), (header::CACHE_CONTROL, "public, max-age=86400")], CSS).into_response()
}
