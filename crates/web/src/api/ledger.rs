//! The evidence ledger (L1): checkpoints, proofs and entries under
//! `/api/v1/ledger`, and the C2SP tlog-tiles read layout under `/ledger/`
//! (`/ledger/checkpoint`, `/ledger/tile/…`) so standard tooling can mirror
//! the log. Reads need no login: a transparency log is for anyone to check,
//! and its leaves hold only ids and hashes. Re-verifying the whole log is
//! for super admins.

use crate::AppState;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiQuery, Auth};
use anjian_app::ledger::{self, AuditReport, ConsistencyProof, EntryView, InclusionProof};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

fn text(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8"), (header::CACHE_CONTROL, "no-cache")], body).into_response()
}

/// The latest signed checkpoint (C2SP tlog-checkpoint signed note), with
/// the witness cosignatures collected for it.
pub async fn checkpoint(State(s): State<AppState>) -> ApiResult<Response> {
    Ok(text(ledger::checkpoint_note(&s.app).await?))
}

/// `GET /ledger/tile/{L}/{N}[.p/{W}]` and `/ledger/tile/entries/{N}[.p/{W}]`.
pub async fn tile(State(s): State<AppState>, Path(rest): Path<String>) -> ApiResult<Response> {
    let (data, full) = ledger::tile(&s.app, &format!("tile/{rest}")).await?;
    let cache = if full { "public, max-age=31536000, immutable" } else { "no-cache" };
    Ok(([(header::CONTENT_TYPE, "application/octet-stream"), (header::CACHE_CONTROL, cache)], data).into_response())
}

/// The verifier key of the log's checkpoints, in signed-note vkey form
/// (`<name>+<key id>+<base64 key>`). `text/plain` by default; JSON
/// `{"vkey","origin"}` when the client accepts only JSON.
#[utoipa::path(get, path = "/api/v1/ledger/key", tag = "ledger",
    responses((status = 200, description = "the vkey", content_type = "text/plain")), security(()))]
pub async fn key(State(s): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    let vkey = ledger::vkey(&s.app).await?;
    let json_only = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json") && !a.contains("text/plain") && !a.contains("*/*"));
    if json_only {
        let origin = vkey.split('+').next().unwrap_or_default().to_string();
        return Ok(Json(serde_json::json!({"vkey": vkey, "origin": origin})).into_response());
    }
    Ok(text(format!("{vkey}\n")))
}

/// The latest checkpoint, as `GET /ledger/checkpoint` serves it.
#[utoipa::path(get, path = "/api/v1/ledger/checkpoint", tag = "ledger",
    responses((status = 200, description = "signed note", content_type = "text/plain")), security(()))]
pub async fn api_checkpoint(State(s): State<AppState>) -> ApiResult<Response> {
    checkpoint(State(s)).await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct InclusionQuery {
    /// Leaf index (or give `leaf_hash`).
    pub index: Option<u64>,
    /// Leaf hash, base64 or hex: SHA-256(0x00 ‖ record).
    pub leaf_hash: Option<String>,
    /// Tree size (default: the latest checkpoint).
    pub size: Option<u64>,
}

/// Inclusion proof of an entry (by index or leaf hash) in the tree of
/// `size`; hashes are base64.
#[utoipa::path(get, path = "/api/v1/ledger/proof/inclusion", tag = "ledger", params(InclusionQuery),
    responses((status = 200, body = InclusionProof), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)), security(()))]
pub async fn inclusion(
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<InclusionQuery>,
) -> ApiResult<Json<InclusionProof>> {
    Ok(Json(ledger::inclusion(&s.app, q.index, q.leaf_hash.as_deref(), q.size).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ConsistencyQuery {
    pub from: u64,
    /// Default: the latest checkpoint.
    pub to: Option<u64>,
}

/// Consistency proof between two tree sizes (the older tree is a prefix of
/// the newer one); hashes are base64.
#[utoipa::path(get, path = "/api/v1/ledger/proof/consistency", tag = "ledger", params(ConsistencyQuery),
    responses((status = 200, body = ConsistencyProof), (status = 422, body = ErrorBody)), security(()))]
pub async fn consistency(
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<ConsistencyQuery>,
) -> ApiResult<Json<ConsistencyProof>> {
    Ok(Json(ledger::consistency(&s.app, q.from, q.to).await?))
}

/// An entry by leaf index: its record and whether it still matches the tree.
#[utoipa::path(get, path = "/api/v1/ledger/entries/{index}", tag = "ledger", params(("index" = u64, Path)),
    responses((status = 200, body = EntryView), (status = 404, body = ErrorBody)), security(()))]
pub async fn entry(State(s): State<AppState>, Path(index): Path<u64>) -> ApiResult<Json<EntryView>> {
    Ok(Json(ledger::entry(&s.app, index).await?))
}

/// Re-verifies the whole stored log against the latest signed checkpoint and
/// reports the first altered entry or node (super admins).
#[utoipa::path(get, path = "/api/v1/ledger/verify", tag = "ledger",
    responses((status = 200, body = AuditReport), (status = 403, body = ErrorBody)))]
pub async fn verify(State(s): State<AppState>, Auth(c): Auth) -> ApiResult<Json<AuditReport>> {
    if !c.is_admin() {
        return Err(anjian_app::AppError::Forbidden.into());
    }
    Ok(Json(ledger::audit(&s.app).await?))
}

/// A witness submits its cosignature: the checkpoint note as served, with
/// its signature line(s) appended (C2SP tlog-cosignature, or an Ed25519
/// note signature). Only configured witness keys are accepted. Returns the
/// checkpoint with every cosignature collected.
#[utoipa::path(post, path = "/api/v1/ledger/witness", tag = "ledger", request_body(content = String, content_type = "text/plain"),
    responses((status = 200, description = "cosigned checkpoint", content_type = "text/plain"), (status = 422, body = ErrorBody)), security(()))]
pub async fn witness(State(s): State<AppState>, body: String) -> ApiResult<Response> {
    Ok(text(ledger::add_cosignature(&s.app, &body).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct CosignedQuery {
    /// Tree size (default: the newest cosigned checkpoint).
    pub size: Option<u64>,
}

/// The newest checkpoint that a witness has cosigned, with all its
/// signatures: what an outside party holds the platform to.
#[utoipa::path(get, path = "/api/v1/ledger/checkpoint/cosigned", tag = "ledger", params(CosignedQuery),
    responses((status = 200, description = "cosigned note", content_type = "text/plain"), (status = 404, body = ErrorBody)), security(()))]
pub async fn cosigned(State(s): State<AppState>, ApiQuery(q): ApiQuery<CosignedQuery>) -> ApiResult<Response> {
    Ok(text(ledger::cosigned_note(&s.app, q.size).await?))
}

/// Ledger entries about one subject (a hazard, alarm or attachment hash).
#[utoipa::path(get, path = "/api/v1/ledger/subjects/{id}", tag = "ledger", params(("id" = String, Path)),
    responses((status = 200, body = Vec<EntryView>)), security(()))]
pub async fn subject(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<Vec<EntryView>>> {
    Ok(Json(ledger::entries_of(&s.app, &id).await?))
}
