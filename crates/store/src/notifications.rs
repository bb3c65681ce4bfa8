//! The notification inbox (dispatch, reminders, escalation).

use crate::{AnyConnection, Result};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Notification {
    pub id: String,
    pub user_id: String,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub hazard_id: Option<String>,
    pub created_at: i64,
    pub read_at: Option<i64>,
}

pub async fn insert(c: &mut AnyConnection, n: &Notification) -> Result<()> {
    insert_many(c, std::slice::from_ref(n)).await
}

/// Inserts unread notifications with multi-row INSERTs (a batch of reports).
pub async fn insert_many(c: &mut AnyConnection, ns: &[Notification]) -> Result<()> {
    for chunk in ns.chunks(crate::bulk_rows(c, 7)) {
        let sql = format!(
            "INSERT INTO notifications (id, user_id, kind, title, body, hazard_id, created_at) VALUES {}",
            crate::placeholders(chunk.len(), 7)
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for n in chunk {
            q = q
                .bind(&n.id)
                .bind(&n.user_id)
                .bind(&n.kind)
                .bind(&n.title)
                .bind(&n.body)
                .bind(&n.hazard_id)
                .bind(n.created_at);
        }
        q.execute(&mut *c).await?;
    }
    Ok(())
}

pub async fn inbox(c: &mut AnyConnection, user_id: &str, unread_only: bool, limit: i64) -> Result<Vec<Notification>> {
    let extra = if unread_only { " AND read_at IS NULL" } else { "" };
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT id, user_id, kind, title, body, hazard_id, created_at, read_at FROM notifications \
         WHERE user_id = $1{extra} ORDER BY created_at DESC, id DESC LIMIT {limit}"
    )))
    .bind(user_id)
    .fetch_all(c)
    .await?)
}

pub async fn mark_read(c: &mut AnyConnection, user_id: &str, id: &str, now: i64) -> Result<bool> {
    let r = sqlx::query("UPDATE notifications SET read_at = $3 WHERE id = $1 AND user_id = $2 AND read_at IS NULL")
        .bind(id)
        .bind(user_id)
        .bind(now)
        .execute(c)
        .await?;
    Ok(r.rows_affected() > 0)
}

/// Users who supervise `region_code`: regulators whose region contains it.
pub async fn supervisors_of(c: &mut AnyConnection, region_code: &str) -> Result<Vec<(String, String, String)>> {
    supervisors_of_many(c, &[region_code]).await
}

/// The region codes whose regulators oversee `code`: the code itself and its
/// ancestors (grid, community, street, district, city, province).
pub fn overseeing_regions(code: &str) -> Vec<String> {
    let mut prefixes = Vec::new();
    for len in [15usize, 12, 9, 6] {
        if code.len() >= len {
            prefixes.push(code[..len].to_string());
        }
    }
    if code.len() >= 4 {
        prefixes.push(format!("{}00", &code[..4]));
    }
    if code.len() >= 2 {
        prefixes.push(format!("{}0000", &code[..2]));
    }
    prefixes.sort();
    prefixes.dedup();
    prefixes
}

/// Active supervisors (id, role, region) overseeing any of `codes`, the
/// most specific region first; one query for a batch. Keep those of one
/// code with [`overseeing_regions`].
pub async fn supervisors_of_many(c: &mut AnyConnection, codes: &[&str]) -> Result<Vec<(String, String, String)>> {
    let mut prefixes: Vec<String> = codes.iter().flat_map(|c| overseeing_regions(c)).collect();
    prefixes.sort();
    prefixes.dedup();
    if prefixes.is_empty() {
        return Ok(vec![]);
    }
    let ps: Vec<String> = (1..=prefixes.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT id, role, region_code FROM users WHERE disabled = 0 AND role IN ('city-supervisor', 'region-officer') \
         AND region_code IN ({}) ORDER BY region_code DESC, username",
        ps.join(", ")
    );
    let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql));
    for p in &prefixes {
        q = q.bind(p.clone());
    }
    Ok(q.fetch_all(c).await?)
}

/// Heads (and optionally staff) of an enterprise.
pub async fn enterprise_users(c: &mut AnyConnection, enterprise_id: &str, role: &str) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT u.id FROM users u JOIN user_enterprises ue ON ue.user_id = u.id \
         WHERE ue.enterprise_id = $1 AND u.role = $2 AND u.disabled = 0 ORDER BY u.username",
    )
    .bind(enterprise_id)
    .bind(role)
    .fetch_all(c)
    .await?)
}

pub async fn get(c: &mut AnyConnection, id: &str) -> Result<Option<Notification>> {
    Ok(sqlx::query_as(
        "SELECT id, user_id, kind, title, body, hazard_id, created_at, read_at FROM notifications WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(c)
    .await?)
}
