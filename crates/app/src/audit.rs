//! Recording and querying the audit trail (P1).

use crate::{App, AppError, Caller, Result};
use anjian_store::audit::{self, AuditEntry, AuditQuery};
use anjian_store::filter::Page;
use anjian_store::{AnyConnection, new_id, now_ms};
use serde::{Deserialize, Serialize};

/// Writes one audit row inside the caller's transaction. `before`/`after`
/// are the serialised states; personal identifiers must already be masked.
pub async fn record<B: Serialize, A: Serialize>(
    c: &mut AnyConnection,
    caller: &Caller,
    action: &str,
    entity: &str,
    entity_id: &str,
    before: Option<&B>,
    after: Option<&A>,
) -> Result<()> {
    audit::insert(c, &entry(caller, action, entity, entity_id, before, after)).await?;
    Ok(())
}

/// The audit row [`record`] writes (for writers that insert many at once).
pub fn entry<B: Serialize, A: Serialize>(
    caller: &Caller,
    action: &str,
    entity: &str,
    entity_id: &str,
    before: Option<&B>,
    after: Option<&A>,
) -> AuditEntry {
    AuditEntry {
        id: new_id(),
        at: now_ms(),
        actor_id: caller.actor_id(),
        actor_name: caller.username.clone(),
        action: action.into(),
        entity: entity.into(),
        entity_id: entity_id.into(),
        before_json: before.map(|b| serde_json::to_string(b).unwrap_or_default()),
        after_json: after.map(|a| serde_json::to_string(a).unwrap_or_default()),
    }
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams, utoipa::ToSchema)]
pub struct AuditFilter {
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    pub actor_id: Option<String>,
    /// Epoch milliseconds, inclusive.
    pub since_ms: Option<i64>,
    /// Epoch milliseconds, exclusive.
    pub until_ms: Option<i64>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuditView {
    pub id: String,
    /// Asia/Shanghai time.
    pub at: String,
    pub at_ms: i64,
    pub actor_id: Option<String>,
    pub actor_name: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    #[schema(value_type = Object)]
    pub before: Option<serde_json::Value>,
    #[schema(value_type = Object)]
    pub after: Option<serde_json::Value>,
}

/// The audit log, newest first. Super admins only.
pub async fn list(app: &App, caller: &Caller, f: &AuditFilter) -> Result<(Vec<AuditView>, i64)> {
    if !caller.is_admin() {
        return Err(AppError::Forbidden);
    }
    let q = AuditQuery {
        entity: f.entity.clone(),
        entity_id: f.entity_id.clone(),
        actor_id: f.actor_id.clone(),
        since_ms: f.since_ms,
        until_ms: f.until_ms,
    };
    let mut c = app.db.read().await?;
    let (rows, total) = audit::list(&mut c, &q, Page::new(f.page, f.per_page)).await?;
    let parse = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
    let items = rows
        .into_iter()
        .map(|r| AuditView {
            at: crate::time::fmt_local(r.at),
            at_ms: r.at,
            id: r.id,
            actor_id: r.actor_id,
            actor_name: r.actor_name,
            action: r.action,
            entity: r.entity,
            entity_id: r.entity_id,
            before: parse(r.before_json),
            after: parse(r.after_json),
        })
        .collect();
    Ok((items, total))
}

/// Used by use cases to turn "not visible" into 404 without revealing existence.
pub(crate) fn hidden<T>() -> Result<T> {
    Err(AppError::NotFound)
}
