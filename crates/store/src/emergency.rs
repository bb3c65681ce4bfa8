//! Emergency responses (E1), opened by red alarms.

use crate::filter::Filter;
use crate::{AnyConnection, Result, StoreError};
use anjian_domain::role::Scope;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Response {
    pub id: String,
    pub alarm_id: String,
    pub enterprise_id: String,
    pub region_code: String,
    pub title: String,
    pub opened_at: i64,
    /// JSON array of the user ids notified.
    pub notified: String,
    pub acknowledged_at: Option<i64>,
    pub acknowledged_by: Option<String>,
    /// JSON array of `{at, by, text}`.
    pub measures: String,
    pub closed_at: Option<i64>,
    pub closed_by: Option<String>,
    pub review: Option<String>,
}

const COLS: &str = "id, alarm_id, enterprise_id, region_code, title, opened_at, notified, acknowledged_at, \
                    acknowledged_by, measures, closed_at, closed_by, review";

pub async fn insert(c: &mut AnyConnection, r: &Response) -> Result<()> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO emergency_responses ({COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
    )))
    .bind(&r.id)
    .bind(&r.alarm_id)
    .bind(&r.enterprise_id)
    .bind(&r.region_code)
    .bind(&r.title)
    .bind(r.opened_at)
    .bind(&r.notified)
    .bind(r.acknowledged_at)
    .bind(&r.acknowledged_by)
    .bind(&r.measures)
    .bind(r.closed_at)
    .bind(&r.closed_by)
    .bind(&r.review)
    .execute(c)
    .await
    .map_err(StoreError::unique("alarm_id"))?;
    Ok(())
}

/// Writes back the mutable fields.
pub async fn update(c: &mut AnyConnection, r: &Response) -> Result<()> {
    let done = sqlx::query(
        "UPDATE emergency_responses SET acknowledged_at = $2, acknowledged_by = $3, measures = $4, closed_at = $5, \
         closed_by = $6, review = $7 WHERE id = $1",
    )
    .bind(&r.id)
    .bind(r.acknowledged_at)
    .bind(&r.acknowledged_by)
    .bind(&r.measures)
    .bind(r.closed_at)
    .bind(&r.closed_by)
    .bind(&r.review)
    .execute(c)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub async fn get(c: &mut AnyConnection, id: &str) -> Result<Option<Response>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {COLS} FROM emergency_responses WHERE id = $1")))
        .bind(id)
        .fetch_optional(c)
        .await?)
}

pub async fn of_alarm(c: &mut AnyConnection, alarm_id: &str) -> Result<Option<Response>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {COLS} FROM emergency_responses WHERE alarm_id = $1")))
        .bind(alarm_id)
        .fetch_optional(c)
        .await?)
}

/// Responses the scope may see, newest first; open ones only if asked.
pub async fn list(c: &mut AnyConnection, scope: &Scope, open_only: bool, limit: i64) -> Result<Vec<Response>> {
    let mut f = Filter::new();
    f.scope(scope, "region_code", &["enterprise_id"]);
    if open_only {
        f.and_raw("closed_at IS NULL");
    }
    let sql = format!(
        "SELECT {COLS} FROM emergency_responses{} ORDER BY opened_at DESC, id LIMIT {}",
        f.where_sql(),
        limit.clamp(1, 500)
    );
    Ok(f.bind_as(sqlx::query_as(sqlx::AssertSqlSafe(sql))).fetch_all(c).await?)
}
