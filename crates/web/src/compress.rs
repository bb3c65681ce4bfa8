//! gzip for JSON responses: a city's one-map layers are ~0.5 MB of JSON
//! that shrink ~8×. API bodies are built in memory anyway, so the middleware
//! buffers those of `application/json` above [`MIN_BYTES`] and compresses
//! them when the client takes gzip. Streams (SSE), files and small bodies
//! pass untouched.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Smaller bodies are sent as they are (gzip would not pay).
pub const MIN_BYTES: usize = 1400;
/// Larger bodies are not buffered here.
const MAX_BYTES: usize = 64 * 1024 * 1024;

pub fn accepts_gzip(h: &axum::http::HeaderMap) -> bool {
    h.get_all(header::ACCEPT_ENCODING).iter().filter_map(|v| v.to_str().ok()).any(|v| {
        v.split(',').any(|e| {
            let mut it = e.trim().split(';');
            it.next().is_some_and(|n| n.trim() == "gzip") && !it.any(|q| q.trim() == "q=0")
        })
    })
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = libflate::gzip::Encoder::new(Vec::with_capacity(bytes.len() / 4)).expect("gzip header");
    enc.write_all(bytes).expect("in-memory write");
    enc.finish().into_result().expect("in-memory gzip")
}

pub async fn json(req: Request, next: Next) -> Response {
    let wants = accepts_gzip(req.headers());
    let res = next.run(req).await;
    let is_json =
        res.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !wants || !is_json || res.headers().contains_key(header::CONTENT_ENCODING) {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BYTES).await else {
        return (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "response too large").into_response();
    };
    parts.headers.append(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    if bytes.len() < MIN_BYTES {
        return Response::from_parts(parts, Body::from(bytes));
    }
    let gz = match tokio::task::spawn_blocking(move || gzip(&bytes)).await {
        Ok(gz) => gz,
        Err(_) => return (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "compression failed").into_response(),
    };
    parts.headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(gz))
}
