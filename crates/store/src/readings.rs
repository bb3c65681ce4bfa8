//! Readings storage for the hot ingest path and for charts: many readings
//! per statement, minute and hour rollups kept with them, retention of raw
//! rows, a device's series and a region's latest values (issue 6 §6).
//!
//! The bulk statements take their rows as one JSON parameter
//! (`json_to_recordset` on PostgreSQL, `json_each` on SQLite), so a batch of
//! any size is one statement with one parameter on both backends (SQLite's
//! cost per statement grows with the square of its parameters; see
//! `bulk_rows` in lib.rs).

use crate::filter::{Filter, Page};
use crate::monitoring::{Device, DeviceRule};
use crate::{AnyConnection, Result};
use anjian_domain::role::Scope;
use serde::Serialize;

/// The row source of a JSON array of objects bound at `$param`, with each
/// key's PostgreSQL type: (the column expressions, the FROM item).
fn json_source(c: &AnyConnection, param: usize, cols: &[(&str, &str)]) -> (Vec<String>, String) {
    if c.backend_name() == "PostgreSQL" {
        let types: Vec<String> = cols.iter().map(|(k, t)| format!("{k} {t}")).collect();
        (
            cols.iter().map(|(k, _)| format!("x.{k}")).collect(),
            format!("json_to_recordset(${param}::json) AS x({})", types.join(", ")),
        )
    } else {
        (cols.iter().map(|(k, _)| format!("(x.value ->> '{k}')")).collect(), format!("json_each(${param}) AS x"))
    }
}

/// One reading: device, metric, time (epoch ms), value.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Reading {
    pub device_id: String,
    pub metric: String,
    pub at: i64,
    pub value: f64,
}

/// Stores readings in one statement; a reading already stored (same device,
/// metric, time) is skipped. Returns the readings that were new.
///
/// On PostgreSQL a plain INSERT is tried first under a savepoint: `ON
/// CONFLICT DO NOTHING` checks every row speculatively, which costs about
/// half again as much (measured: 2,000 rows in 18 ms against 31 ms), while
/// duplicates are rare (a device retrying an upload it did not see
/// acknowledged). Only a batch that does hit a stored reading is redone
/// with the conflict clause.
pub async fn insert_readings(c: &mut AnyConnection, rows: &[Reading], received_at: i64) -> Result<Vec<Reading>> {
    if rows.is_empty() {
        return Ok(vec![]);
    }
    // Serialized straight from the rows (no JSON value tree per reading: this is the hot path).
    #[derive(Serialize)]
    struct Row<'a> {
        d: &'a str,
        m: &'a str,
        a: i64,
        v: f64,
    }
    let json = serde_json::to_string(
        &rows.iter().map(|r| Row { d: &r.device_id, m: &r.metric, a: r.at, v: r.value }).collect::<Vec<_>>(),
    )
    .unwrap_or_default(); // strings and numbers always serialize
    let (e, from) = json_source(c, 1, &[("d", "text"), ("m", "text"), ("a", "bigint"), ("v", "float8")]);
    let insert = format!(
        "INSERT INTO readings (device_id, metric, at, value, received_at) SELECT {}, {}, {}, {}, $2 FROM {from} WHERE true",
        e[0], e[1], e[2], e[3]
    );
    if c.backend_name() == "PostgreSQL" && distinct(rows) {
        sqlx::query("SAVEPOINT readings_insert").execute(&mut *c).await?;
        match sqlx::query(sqlx::AssertSqlSafe(insert.clone())).bind(&json).bind(received_at).execute(&mut *c).await {
            Ok(_) => {
                sqlx::query("RELEASE SAVEPOINT readings_insert").execute(&mut *c).await?;
                return Ok(rows.to_vec());
            }
            Err(err) if err.as_database_error().and_then(|d| d.code()).as_deref() == Some("23505") => {
                sqlx::query("ROLLBACK TO SAVEPOINT readings_insert").execute(&mut *c).await?;
            }
            Err(err) => return Err(err.into()),
        }
    }
    let sql = format!("{insert} ON CONFLICT (device_id, metric, at) DO NOTHING RETURNING device_id, metric, at, value");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(json).bind(received_at).fetch_all(c).await?)
}

/// Whether no two rows share a device, metric and time (a batch repeating a
/// reading inside itself goes the conflict-checking way at once).
fn distinct(rows: &[Reading]) -> bool {
    let mut keys: Vec<(&str, &str, i64)> =
        rows.iter().map(|r| (r.device_id.as_str(), r.metric.as_str(), r.at)).collect();
    keys.sort_unstable();
    keys.windows(2).all(|w| w[0] != w[1])
}

/// Minute and hour buckets.
pub const STEPS: [(&str, i64); 2] = [("minute", 60_000), ("hour", 3_600_000)];

/// The summary of one device × metric × step × bucket.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Rollup {
    pub device_id: String,
    pub metric: String,
    pub step: String,
    pub bucket: i64,
    pub n: i64,
    pub sum_value: f64,
    pub min_value: f64,
    pub max_value: f64,
    pub last_at: i64,
    pub last_value: f64,
}

/// The minute and hour rollups of `readings` (to be added to the stored ones).
pub fn rollups_of(readings: &[Reading]) -> Vec<Rollup> {
    let mut m: std::collections::BTreeMap<(&str, &str, &str, i64), Rollup> = Default::default();
    for r in readings {
        for (step, ms) in STEPS {
            let bucket = r.at.div_euclid(ms) * ms;
            let e = m.entry((&r.device_id, &r.metric, step, bucket)).or_insert_with(|| Rollup {
                device_id: r.device_id.clone(),
                metric: r.metric.clone(),
                step: step.into(),
                bucket,
                n: 0,
                sum_value: 0.0,
                min_value: r.value,
                max_value: r.value,
                last_at: r.at,
                last_value: r.value,
            });
            e.n += 1;
            e.sum_value += r.value;
            e.min_value = e.min_value.min(r.value);
            e.max_value = e.max_value.max(r.value);
            if r.at >= e.last_at {
                e.last_at = r.at;
                e.last_value = r.value;
            }
        }
    }
    m.into_values().collect()
}

/// Adds rollups to the stored ones (one statement).
pub async fn add_rollups(c: &mut AnyConnection, rows: &[Rollup]) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let json: Vec<serde_json::Value> = rows
        .iter()
        .map(|r| {
            serde_json::json!({"d": r.device_id, "m": r.metric, "s": r.step, "b": r.bucket, "n": r.n,
                "t": r.sum_value, "lo": r.min_value, "hi": r.max_value, "la": r.last_at, "lv": r.last_value})
        })
        .collect();
    let (e, from) = json_source(
        c,
        1,
        &[
            ("d", "text"),
            ("m", "text"),
            ("s", "text"),
            ("b", "bigint"),
            ("n", "bigint"),
            ("t", "float8"),
            ("lo", "float8"),
            ("hi", "float8"),
            ("la", "bigint"),
            ("lv", "float8"),
        ],
    );
    let sql = format!(
        "INSERT INTO reading_rollups (device_id, metric, step, bucket, n, sum_value, min_value, max_value, last_at, last_value) \
         SELECT {} FROM {from} WHERE true \
         ON CONFLICT (device_id, metric, step, bucket) DO UPDATE SET \
         n = reading_rollups.n + excluded.n, \
         sum_value = reading_rollups.sum_value + excluded.sum_value, \
         min_value = CASE WHEN excluded.min_value < reading_rollups.min_value THEN excluded.min_value ELSE reading_rollups.min_value END, \
         max_value = CASE WHEN excluded.max_value > reading_rollups.max_value THEN excluded.max_value ELSE reading_rollups.max_value END, \
         last_value = CASE WHEN excluded.last_at >= reading_rollups.last_at THEN excluded.last_value ELSE reading_rollups.last_value END, \
         last_at = CASE WHEN excluded.last_at >= reading_rollups.last_at THEN excluded.last_at ELSE reading_rollups.last_at END",
        e.join(", ")
    );
    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(serde_json::Value::Array(json).to_string()).execute(c).await?;
    Ok(())
}

/// Moves each device's `last_seen_at` forward to the given time (never back).
pub async fn touch_devices(c: &mut AnyConnection, seen: &[(String, i64)]) -> Result<()> {
    if seen.is_empty() {
        return Ok(());
    }
    let json: Vec<serde_json::Value> = seen.iter().map(|(d, a)| serde_json::json!({"d": d, "a": a})).collect();
    let (e, from) = json_source(c, 1, &[("d", "text"), ("a", "bigint")]);
    let sql = format!(
        "UPDATE devices SET last_seen_at = {a} FROM {from} WHERE devices.id = {d} \
         AND (devices.last_seen_at IS NULL OR devices.last_seen_at < {a})",
        a = e[1],
        d = e[0]
    );
    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(serde_json::Value::Array(json).to_string()).execute(c).await?;
    Ok(())
}

fn ids_json(ids: &[&str]) -> String {
    serde_json::Value::Array(ids.iter().map(|i| serde_json::json!({"d": i})).collect()).to_string()
}

/// The devices with these ids (in no particular order).
pub async fn devices_by_id(c: &mut AnyConnection, ids: &[&str]) -> Result<Vec<Device>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let (e, from) = json_source(c, 1, &[("d", "text")]);
    let sql =
        format!("SELECT {} FROM devices WHERE id IN (SELECT {} FROM {from})", crate::monitoring::DEVICE_COLS, e[0]);
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(ids_json(ids)).fetch_all(c).await?)
}

/// (id, revision) of the devices with these ids that exist.
pub async fn device_revisions(c: &mut AnyConnection, ids: &[&str]) -> Result<Vec<(String, i64)>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let (e, from) = json_source(c, 1, &[("d", "text")]);
    let sql = format!("SELECT id, revision FROM devices WHERE id IN (SELECT {} FROM {from})", e[0]);
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(ids_json(ids)).fetch_all(c).await?)
}

/// The time of a device's newest stored reading of one metric (a backward
/// scan of the primary key).
pub async fn last_reading_at(c: &mut AnyConnection, device_id: &str, metric: &str) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar("SELECT MAX(at) FROM readings WHERE device_id = $1 AND metric = $2")
        .bind(device_id)
        .bind(metric)
        .fetch_one(c)
        .await?)
}

/// Takes a share lock on these devices' rows (PostgreSQL; SQLite has one
/// writer at a time). A change to a device or its rules takes the row's
/// exclusive lock first (`monitoring::lock_device`), so an ingest holding
/// the share lock reads and saves rule state the change cannot overwrite
/// or be overwritten by (the last-seen update alone gave it only to the
/// devices whose row it changed).
pub async fn share_lock_devices(c: &mut AnyConnection, ids: &[&str]) -> Result<()> {
    if ids.is_empty() || c.backend_name() != "PostgreSQL" {
        return Ok(());
    }
    let (e, from) = json_source(c, 1, &[("d", "text")]);
    let sql = format!("SELECT id FROM devices WHERE id IN (SELECT {} FROM {from}) ORDER BY id FOR SHARE", e[0]);
    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(ids_json(ids)).execute(c).await?;
    Ok(())
}

/// The rules of these devices that are still active (a retired device's
/// rules are not evaluated), each device's in creation order.
pub async fn rules_of_devices(c: &mut AnyConnection, ids: &[&str]) -> Result<Vec<DeviceRule>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let (e, from) = json_source(c, 1, &[("d", "text")]);
    let sql = format!(
        "SELECT {} FROM device_rules WHERE device_id IN (SELECT {} FROM {from}) \
         AND device_id IN (SELECT id FROM devices WHERE status = 'active') ORDER BY device_id, created_at, id",
        crate::monitoring::RULE_COLS,
        e[0]
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(ids_json(ids)).fetch_all(c).await?)
}

/// Saves many rules' running state in one statement: (rule id, state JSON).
pub async fn save_rule_states(c: &mut AnyConnection, states: &[(String, String)], now: i64) -> Result<()> {
    if states.is_empty() {
        return Ok(());
    }
    let json: Vec<serde_json::Value> = states.iter().map(|(i, s)| serde_json::json!({"i": i, "s": s})).collect();
    let (e, from) = json_source(c, 1, &[("i", "text"), ("s", "text")]);
    let sql = format!(
        "UPDATE device_rules SET state = {}, updated_at = $2 FROM {from} WHERE device_rules.id = {}",
        e[1], e[0]
    );
    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(serde_json::Value::Array(json).to_string()).bind(now).execute(c).await?;
    Ok(())
}

/// Deletes raw readings older than `before` (rollups are kept). Returns how many.
pub async fn delete_readings_before(c: &mut AnyConnection, before: i64) -> Result<u64> {
    Ok(sqlx::query("DELETE FROM readings WHERE at < $1").bind(before).execute(c).await?.rows_affected())
}

/// A device's raw readings of a metric in `[from, to)`, oldest first.
pub async fn raw_series(
    c: &mut AnyConnection,
    device_id: &str,
    metric: &str,
    from: i64,
    to: i64,
    limit: i64,
) -> Result<Vec<(i64, f64)>> {
    crate::monitoring::readings(c, device_id, metric, from, to, limit).await
}

/// A device's rollups of a metric at a step whose buckets start in `[from, to)`.
pub async fn rollup_series(
    c: &mut AnyConnection,
    device_id: &str,
    metric: &str,
    step: &str,
    from: i64,
    to: i64,
    limit: i64,
) -> Result<Vec<Rollup>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT device_id, metric, step, bucket, n, sum_value, min_value, max_value, last_at, last_value FROM reading_rollups \
         WHERE device_id = $1 AND metric = $2 AND step = $3 AND bucket >= $4 AND bucket < $5 ORDER BY bucket LIMIT {limit}"
    )))
    .bind(device_id)
    .bind(metric)
    .bind(step)
    .bind(from)
    .bind(to)
    .fetch_all(c)
    .await?)
}

/// One device's latest value of one metric (metric and value are None for
/// a device that never reported).
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct LatestRow {
    pub device_id: String,
    pub name: String,
    pub device_type: String,
    pub enterprise_id: String,
    pub region_code: String,
    pub interval_s: i64,
    pub last_seen_at: Option<i64>,
    /// The device's metrics (JSON array of `{name, unit}`).
    pub metrics: String,
    pub metric: Option<String>,
    pub at: Option<i64>,
    pub value: Option<f64>,
}

/// The latest value of every metric of the devices the scope may see under
/// a region prefix (a page of devices, by region and name): from the newest
/// hour rollup, whose last value is the latest reading. Returns the rows and
/// the number of devices. Retired devices are left out.
pub async fn latest_values(
    c: &mut AnyConnection,
    scope: &Scope,
    region_prefix: Option<&str>,
    page: Page,
) -> Result<(Vec<LatestRow>, i64)> {
    let mut f = Filter::new();
    f.scope(scope, "region_code", &["enterprise_id"]);
    f.and_raw("status = 'active'");
    if let Some(p) = region_prefix {
        f.region_prefix("region_code", p);
    }
    let w = f.where_sql();
    let total: i64 = f
        .bind_scalar(sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM devices{w}"))))
        .fetch_one(&mut *c)
        .await?;
    let sql = format!(
        "SELECT d.id AS device_id, d.name, d.device_type, d.enterprise_id, d.region_code, d.interval_s, d.last_seen_at, d.metrics, \
         r.metric, r.last_at AS at, r.last_value AS value \
         FROM (SELECT id, name, device_type, enterprise_id, region_code, interval_s, last_seen_at, metrics FROM devices{w} \
               ORDER BY region_code, name, id{}) d \
         LEFT JOIN reading_rollups r ON r.device_id = d.id AND r.step = 'hour' AND r.bucket = \
           (SELECT MAX(r2.bucket) FROM reading_rollups r2 WHERE r2.device_id = d.id AND r2.metric = r.metric AND r2.step = 'hour') \
         ORDER BY d.region_code, d.name, d.id, r.metric",
        page.sql()
    );
    Ok((f.bind_as(sqlx::query_as(sqlx::AssertSqlSafe(sql))).fetch_all(&mut *c).await?, total))
}
