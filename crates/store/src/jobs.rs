//! The durable job queue: reminders, escalations and other scheduled work.
//! A job has a unique key, so scheduling the same work twice is a no-op and
//! nothing is sent twice; a claimed job is locked for a lease and retried
//! after a crash when the lease runs out.

use crate::{AnyConnection, Backend, Db, Result, new_id};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Job {
    pub id: String,
    pub kind: String,
    pub unique_key: String,
    pub payload: String,
    pub run_at: i64,
    pub attempts: i64,
    pub locked_until: Option<i64>,
    pub done_at: Option<i64>,
    pub last_error: Option<String>,
}

/// Schedules a job unless one with the same key exists. Returns whether a
/// new job was created.
pub async fn schedule(c: &mut AnyConnection, kind: &str, unique_key: &str, payload: &str, run_at: i64) -> Result<bool> {
    let exists: Option<String> = sqlx::query_scalar("SELECT id FROM jobs WHERE unique_key = $1")
        .bind(unique_key)
        .fetch_optional(&mut *c)
        .await?;
    if exists.is_some() {
        return Ok(false);
    }
    sqlx::query("INSERT INTO jobs (id, kind, unique_key, payload, run_at, attempts, locked_until, done_at, last_error) VALUES ($1, $2, $3, $4, $5, 0, NULL, NULL, NULL)")
        .bind(new_id())
        .bind(kind)
        .bind(unique_key)
        .bind(payload)
        .bind(run_at)
        .execute(c)
        .await?;
    Ok(true)
}

/// Claims up to `limit` due jobs for `lease_ms`. On PostgreSQL concurrent
/// workers skip each other's rows (`FOR UPDATE SKIP LOCKED`); on SQLite the
/// single write connection serialises claims.
pub async fn claim_due(db: &Db, now: i64, lease_ms: i64, limit: i64) -> Result<Vec<Job>> {
    let mut tx = db.begin().await?;
    let lock = if db.backend() == Backend::Postgres { " FOR UPDATE SKIP LOCKED" } else { "" };
    let jobs: Vec<Job> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT id, kind, unique_key, payload, run_at, attempts, locked_until, done_at, last_error FROM jobs \
         WHERE done_at IS NULL AND run_at <= $1 AND (locked_until IS NULL OR locked_until < $1) \
         ORDER BY run_at LIMIT {limit}{lock}"
    )))
    .bind(now)
    .fetch_all(&mut *tx)
    .await?;
    for j in &jobs {
        sqlx::query("UPDATE jobs SET locked_until = $2, attempts = attempts + 1 WHERE id = $1")
            .bind(&j.id)
            .bind(now + lease_ms)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(jobs)
}

/// Marks a job done inside the transaction that did its work, so the work
/// and the completion commit together.
pub async fn complete(c: &mut AnyConnection, id: &str, now: i64) -> Result<()> {
    sqlx::query("UPDATE jobs SET done_at = $2, locked_until = NULL WHERE id = $1")
        .bind(id)
        .bind(now)
        .execute(c)
        .await?;
    Ok(())
}

pub async fn fail(c: &mut AnyConnection, id: &str, error: &str, retry_at: i64) -> Result<()> {
    sqlx::query("UPDATE jobs SET last_error = $2, run_at = $3, locked_until = NULL WHERE id = $1")
        .bind(id)
        .bind(error)
        .bind(retry_at)
        .execute(c)
        .await?;
    Ok(())
}

pub async fn pending_count(c: &mut AnyConnection) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE done_at IS NULL").fetch_one(c).await?)
}
