//! Extractors that turn every kind of bad input into a JSON 4xx naming the
//! field: bodies, query strings, and the caller's credentials.

use crate::AppState;
use crate::error::ApiError;
use anjian_app::{Caller, auth};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode, header};
use serde::de::DeserializeOwned;

pub const SESSION_COOKIE: &str = "anjian_session";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// A JSON body. Malformed JSON → 400 `malformed_json`; a wrong type or a
/// missing field → 422 `invalid` with the field path; too large → 413.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("application/json") || ct.contains("+json"));
        if !is_json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "请求体应为 JSON（Content-Type: application/json）",
            ));
        }
        let _ = state;
        let bytes = axum::body::to_bytes(req.into_body(), crate::BODY_LIMIT).await.map_err(|_| {
            ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "请求体过大（JSON 不超过 2 MB）")
        })?;
        parse_json(&bytes).map(ApiJson)
    }
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            return ApiError::new(StatusCode::BAD_REQUEST, "malformed_json", format!("JSON 格式错误: {inner}"));
        }
        let msg = inner.to_string();
        // serde reports a missing field at its parent's path; name the field.
        let field = match missing_field(&msg) {
            Some(f) if path == "." || path.is_empty() => f.to_string(),
            Some(f) => format!("{path}.{f}"),
            None => path,
        };
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", format!("字段 {field} 无效: {msg}"))
            .with_field(field)
    })
}

fn missing_field(msg: &str) -> Option<&str> {
    let rest = msg.strip_prefix("missing field `")?;
    rest.split('`').next()
}

/// A query string. Wrong types → 400 `invalid` naming the parameter.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let q = parts.uri.query().unwrap_or("");
        let de = serde_urlencoded_de(q);
        de.map(ApiQuery)
    }
}

fn serde_urlencoded_de<T: DeserializeOwned>(q: &str) -> Result<T, ApiError> {
    axum::extract::Query::<T>::try_from_uri(
        &format!("/?{q}")
            .parse()
            .map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, "invalid", "查询字符串格式错误"))?,
    )
    .map(|axum::extract::Query(v)| v)
    .map_err(|e| {
        let text = e.body_text();
        let field = text.split(':').nth(1).map(|s| s.trim().to_string()).filter(|s| !s.contains(' '));
        let mut err = ApiError::new(StatusCode::BAD_REQUEST, "invalid", format!("查询参数无效: {text}"));
        if let Some(f) = field {
            err = err.with_field(f);
        }
        err
    })
}

/// The authenticated caller: `Authorization: Bearer <token>` or the session
/// cookie. Cookie-authenticated requests that change state must carry the
/// session's CSRF token in `X-CSRF-Token`.
pub struct Auth(pub Caller);

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| t.trim().to_string());
        let (token, via_cookie) = match bearer {
            Some(t) => (t, false),
            None => match cookie(parts, SESSION_COOKIE) {
                Some(t) => (t, true),
                None => return Err(anjian_app::AppError::Unauthorized.into()),
            },
        };
        let caller = auth::authenticate(&state.app, &token).await?;
        if via_cookie && !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) {
            let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
            if sent.is_none() || sent != caller.csrf.as_deref() {
                return Err(
                    ApiError::new(StatusCode::FORBIDDEN, "csrf", "缺少或错误的 CSRF 令牌").with_field(CSRF_HEADER)
                );
            }
        }
        Ok(Auth(caller))
    }
}

/// The raw credential of the request (for logout).
pub fn credential(parts: &Parts) -> Option<String> {
    parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_string())
        .or_else(|| cookie(parts, SESSION_COOKIE))
}

fn cookie(parts: &Parts, name: &str) -> Option<String> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct B {
        uscc: String,
        n: i64,
        inner: Option<Inner>,
    }
    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Inner {
        x: f64,
    }

    #[test]
    fn json_errors_name_the_field() {
        let e = parse_json::<B>(br#"{"n": 1}"#).unwrap_err();
        assert_eq!((e.status, e.field.as_deref()), (StatusCode::UNPROCESSABLE_ENTITY, Some("uscc")));
        let e = parse_json::<B>(br#"{"uscc": "x", "n": "one"}"#).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("n"));
        let e = parse_json::<B>(br#"{"uscc": "x", "n": 1, "inner": {}}"#).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("inner.x"));
        let e = parse_json::<B>(br#"{"uscc": "#).unwrap_err();
        assert_eq!((e.status, e.code), (StatusCode::BAD_REQUEST, "malformed_json"));
    }
}
