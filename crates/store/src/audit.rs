//! The audit log (P1): who changed what, when, before and after. Written in
//! the same transaction as the change it records.

use crate::filter::{Bind, Filter, Page};
use crate::{AnyConnection, Result};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct AuditEntry {
    pub id: String,
    pub at: i64,
    pub actor_id: Option<String>,
    pub actor_name: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
}

const COLS: &str = "id, at, actor_id, actor_name, action, entity, entity_id, before_json, after_json";

pub async fn insert(c: &mut AnyConnection, e: &AuditEntry) -> Result<()> {
    insert_many(c, std::slice::from_ref(e)).await
}

/// Inserts entries with multi-row INSERTs (a batch of reports).
pub async fn insert_many(c: &mut AnyConnection, es: &[AuditEntry]) -> Result<()> {
    for chunk in es.chunks(crate::bulk_rows(c, 9)) {
        let sql = format!("INSERT INTO audit_log ({COLS}) VALUES {}", crate::placeholders(chunk.len(), 9));
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for e in chunk {
            q = q
                .bind(&e.id)
                .bind(e.at)
                .bind(&e.actor_id)
                .bind(&e.actor_name)
                .bind(&e.action)
                .bind(&e.entity)
                .bind(&e.entity_id)
                .bind(&e.before_json)
                .bind(&e.after_json);
        }
        q.execute(&mut *c).await?;
    }
    Ok(())
}

#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    pub actor_id: Option<String>,
    pub since_ms: Option<i64>,
    pub until_ms: Option<i64>,
}

/// Newest first.
pub async fn list(c: &mut AnyConnection, q: &AuditQuery, page: Page) -> Result<(Vec<AuditEntry>, i64)> {
    let mut f = Filter::new();
    if let Some(v) = &q.entity {
        f.and("entity = {}", Bind::Text(v.clone()));
    }
    if let Some(v) = &q.entity_id {
        f.and("entity_id = {}", Bind::Text(v.clone()));
    }
    if let Some(v) = &q.actor_id {
        f.and("actor_id = {}", Bind::Text(v.clone()));
    }
    if let Some(v) = q.since_ms {
        f.and("at >= {}", Bind::Int(v));
    }
    if let Some(v) = q.until_ms {
        f.and("at < {}", Bind::Int(v));
    }
    let w = f.where_sql();
    let total: i64 = f
        .bind_scalar(sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM audit_log{w}"))))
        .fetch_one(&mut *c)
        .await?;
    let sql = format!("SELECT {COLS} FROM audit_log{w} ORDER BY at DESC, id DESC{}", page.sql());
    let items = f.bind_as(sqlx::query_as(sqlx::AssertSqlSafe(sql))).fetch_all(&mut *c).await?;
    Ok((items, total))
}
