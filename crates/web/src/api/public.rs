//! Public reporting without an account (H1 public, 随手拍).

use crate::AppState;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::parse_json;
use anjian_app::hazards::{self, PublicReceipt, PublicReportInput, PublicStatus};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use std::net::IpAddr;

/// The client address: the socket peer, or the first X-Forwarded-For hop
/// when the server is configured to trust a proxy.
pub(crate) fn client_ip(s: &AppState, req: &Request) -> IpAddr {
    if s.trust_forwarded
        && let Some(ip) = req
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .and_then(|v| v.trim().parse().ok())
    {
        return ip;
    }
    req.extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::from([0, 0, 0, 0]))
}

/// Report a hazard anonymously: JSON `{"description","lat","lng","contact"?}`
/// or multipart with those fields and `photos` files. Rate-limited per IP.
/// The same `Idempotency-Key` returns the same tracking code.
#[utoipa::path(post, path = "/api/v1/public/hazards", tag = "public", request_body = PublicReportInput,
    params(("Idempotency-Key" = Option<String>, Header)),
    responses((status = 201, body = PublicReceipt), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)),
    security(()))]
pub async fn report(State(s): State<AppState>, req: Request) -> ApiResult<(StatusCode, Json<PublicReceipt>)> {
    let ip = client_ip(&s, &req);
    if s.public_limiter.check_key(&ip).is_err() {
        return Err(ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", "提交过于频繁，请稍后再试"));
    }
    let headers: HeaderMap = req.headers().clone();
    let key = super::hazards::idempotency_key(&headers);
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let input = if ct.starts_with("multipart/form-data") {
        let mut mp = Multipart::from_request(req, &s)
            .await
            .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid", format!("表单格式错误: {e}")))?;
        let mut fields = std::collections::HashMap::new();
        let mut attachments = Vec::new();
        while let Some(f) = mp.next_field().await.map_err(|e| multipart_error(&e))? {
            let name = f.name().unwrap_or("").to_string();
            if name == "photos" || name == "photo" {
                let bytes = f.bytes().await.map_err(|e| multipart_error(&e))?;
                let field = format!("photos[{}]", attachments.len());
                let a = anjian_app::attachments::upload(&s.app, None, &field, &bytes).await?;
                attachments.push(a.sha256);
            } else {
                fields.insert(name, f.text().await.map_err(|e| multipart_error(&e))?);
            }
        }
        let num = |k: &str| -> ApiResult<f64> {
            fields
                .get(k)
                .ok_or_else(|| {
                    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", format!("缺少字段 {k}")).with_field(k)
                })?
                .trim()
                .parse()
                .map_err(|_| {
                    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", format!("{k} 应为数字")).with_field(k)
                })
        };
        PublicReportInput {
            description: fields.get("description").cloned().unwrap_or_default(),
            lat: num("lat")?,
            lng: num("lng")?,
            contact: fields.get("contact").cloned(),
            attachments,
        }
    } else if ct.starts_with("application/json") {
        let bytes = Bytes::from_request(req, &s)
            .await
            .map_err(|_| ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "请求体过大"))?;
        parse_json(&bytes)?
    } else {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "请使用 JSON 或 multipart/form-data",
        ));
    };
    Ok((StatusCode::CREATED, Json(hazards::report_public(&s.app, &input, key.as_deref()).await?)))
}

fn multipart_error(e: &axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "上传内容过大")
    } else {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid", format!("表单格式错误: {e}"))
    }
}

/// Follow a public report by its tracking code: state and the public steps.
#[utoipa::path(get, path = "/api/v1/public/hazards/{code}", tag = "public", params(("code" = String, Path)),
    responses((status = 200, body = PublicStatus), (status = 404, body = ErrorBody)), security(()))]
pub async fn status(State(s): State<AppState>, Path(code): Path<String>) -> ApiResult<Json<PublicStatus>> {
    Ok(Json(hazards::public_status(&s.app, &code).await?))
}
