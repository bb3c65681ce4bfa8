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
/// metric, time) is skipped. Returns the readings that were new. Those
/// before `late_before` (the minute seal, [`Seals::minutes`]) are marked
/// `rolled`: their rollups are written by the caller at once.
///
/// On PostgreSQL a plain INSERT is tried first under a savepoint: `ON
/// CONFLICT DO NOTHING` checks every row speculatively, which costs about
/// half again as much (measured: 2,000 rows in 18 ms against 31 ms), while
/// duplicates are rare (a device retrying an upload it did not see
/// acknowledged). Only a batch that does hit a stored reading is redone
/// with the conflict clause.
pub async fn insert_readings(
    c: &mut AnyConnection,
    rows: &[Reading],
    received_at: i64,
    late_before: i64,
) -> Result<Vec<Reading>> {
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
        "INSERT INTO readings (device_id, metric, at, value, received_at, rolled) \
         SELECT {}, {}, {a}, {}, $2, CASE WHEN {a} < $3 THEN 1 ELSE 0 END FROM {from} WHERE true",
        e[0],
        e[1],
        e[3],
        a = e[2]
    );
    if c.backend_name() == "PostgreSQL" && distinct(rows) {
        sqlx::query("SAVEPOINT readings_insert").execute(&mut *c).await?;
        match sqlx::query(sqlx::AssertSqlSafe(insert.clone()))
            .bind(&json)
            .bind(received_at)
            .bind(late_before)
            .execute(&mut *c)
            .await
        {
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
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(json).bind(received_at).bind(late_before).fetch_all(c).await?)
}

/// Whether no two rows share a device, metric and time (a batch repeating a
/// reading inside itself goes the conflict-checking way at once).
fn distinct(rows: &[Reading]) -> bool {
    let mut keys: Vec<(&str, &str, i64)> =
        rows.iter().map(|r| (r.device_id.as_str(), r.metric.as_str(), r.at)).collect();
    keys.sort_unstable();
    keys.windows(2).all(|w| w[0] != w[1])
}

/// The rollup steps' lengths (buckets start at multiples of them, UTC).
pub const MINUTE_MS: i64 = 60_000;
pub const HOUR_MS: i64 = 3_600_000;

const ROLLUP_COLS: &str = "device_id, metric, step, bucket, n, sum_value, min_value, max_value, last_at, last_value";

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

/// Where the rollups stand (epoch ms; `hours` ≤ `summed` ≤ `minutes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct Seals {
    /// A reading before it is late: its rollups are written at ingest and it
    /// is marked `rolled` (moved on by [`close_minutes`]).
    pub minutes: i64,
    /// The minutes before it have every reading in their rows; the readings
    /// from it to `minutes` not marked `rolled` are still to be added (by
    /// [`sum_minutes`]).
    pub summed: i64,
    /// The hours before it have their rows (see [`seal_hours`]).
    pub hours: i64,
}

/// The rollups of `readings` to be added to the stored ones: only those of
/// late readings, of minutes (and hours) already sealed. A reading of a
/// minute not yet sealed is summed into its minute row by [`seal_minutes`],
/// and a minute of an hour not yet sealed into its hour row by
/// [`seal_hours`]; until then the series read the readings and minutes
/// themselves.
pub fn rollups_of(readings: &[Reading], seals: Seals) -> Vec<Rollup> {
    let mut m: std::collections::BTreeMap<(&str, &str, &str, i64), Rollup> = Default::default();
    for r in readings {
        let steps: &[(&str, i64)] = if r.at < seals.hours {
            &[("minute", MINUTE_MS), ("hour", HOUR_MS)]
        } else if r.at < seals.minutes {
            &[("minute", MINUTE_MS)]
        } else {
            &[]
        };
        for &(step, ms) in steps {
            let bucket = r.at.div_euclid(ms) * ms;
            let one = Rollup { step: step.into(), bucket, ..Rollup::of_reading(r) };
            m.entry((&r.device_id, &r.metric, step, bucket)).and_modify(|e| e.add(&one)).or_insert(one);
        }
    }
    m.into_values().collect()
}

impl Rollup {
    /// A reading as a rollup of one (step and bucket left for the caller).
    fn of_reading(r: &Reading) -> Rollup {
        Rollup {
            device_id: r.device_id.clone(),
            metric: r.metric.clone(),
            step: String::new(),
            bucket: 0,
            n: 1,
            sum_value: r.value,
            min_value: r.value,
            max_value: r.value,
            last_at: r.at,
            last_value: r.value,
        }
    }

    /// Adds another rollup of the same series into this one (as [`MERGE`] does).
    fn add(&mut self, o: &Rollup) {
        self.n += o.n;
        self.sum_value += o.sum_value;
        self.min_value = self.min_value.min(o.min_value);
        self.max_value = self.max_value.max(o.max_value);
        if o.last_at >= self.last_at {
            self.last_at = o.last_at;
            self.last_value = o.last_value;
        }
    }
}

/// Adds rollup rows to the stored ones of the same device, metric, step and bucket.
const MERGE: &str = "ON CONFLICT (device_id, metric, step, bucket) DO UPDATE SET \
    n = reading_rollups.n + excluded.n, \
    sum_value = reading_rollups.sum_value + excluded.sum_value, \
    min_value = CASE WHEN excluded.min_value < reading_rollups.min_value THEN excluded.min_value ELSE reading_rollups.min_value END, \
    max_value = CASE WHEN excluded.max_value > reading_rollups.max_value THEN excluded.max_value ELSE reading_rollups.max_value END, \
    last_value = CASE WHEN excluded.last_at >= reading_rollups.last_at THEN excluded.last_value ELSE reading_rollups.last_value END, \
    last_at = CASE WHEN excluded.last_at >= reading_rollups.last_at THEN excluded.last_at ELSE reading_rollups.last_at END";

/// Where the rollups stand, under a lock on the row on PostgreSQL when
/// `lock` is one (" FOR UPDATE": batches wait; " FOR NO KEY UPDATE": they
/// do not, other seals do).
pub async fn seals_locked(c: &mut AnyConnection, lock: &str) -> Result<Seals> {
    let lock = if c.backend_name() == "PostgreSQL" { lock } else { "" };
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT minutes_sealed_before AS minutes, minutes_summed_before AS summed, sealed_before AS hours \
         FROM rollup_seal WHERE id = 1{lock}"
    )))
    .fetch_one(c)
    .await?)
}

/// Where the rollups stand (no lock).
pub async fn seals(c: &mut AnyConnection) -> Result<Seals> {
    seals_locked(c, "").await
}

/// The first statement of an ingest transaction: the device-change count
/// (see `monitoring::lock_device`) and the seals, under a share lock on
/// both rows on PostgreSQL (SQLite has one writer at a time). Held to the
/// commit, it keeps every change of a device or its rules, every move of
/// the minute seal and every hour seal out of the batch's way: the batch's
/// cached devices are exact, its rules' state cannot be overwritten by a
/// change (nor overwrite one), and the minutes it stores readings of
/// without their rollups stay open. The seal's row is only key-share
/// locked, so the summing step of the minute seal ([`sum_minutes`]) never
/// waits for batches nor they for it.
pub async fn batch_locks(c: &mut AnyConnection) -> Result<(i64, Seals)> {
    let lock = if c.backend_name() == "PostgreSQL" { " FOR SHARE OF d FOR KEY SHARE OF s" } else { "" };
    let (n, minutes, summed, hours): (i64, i64, i64, i64) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT d.n, s.minutes_sealed_before, s.minutes_summed_before, s.sealed_before \
         FROM device_changes d, rollup_seal s WHERE d.id = 1 AND s.id = 1{lock}"
    )))
    .fetch_one(c)
    .await?;
    Ok((n, Seals { minutes, summed, hours }))
}

/// The longest stretch of readings one minute seal sums (a seal catching
/// up after a stop goes in steps of this, each its own transactions).
pub const MINUTE_SEAL_PASS_MS: i64 = 10 * MINUTE_MS;

/// The minute seal's first step: under the exclusive lock (batches in
/// progress commit first, new ones wait a moment), moves the minute seal on
/// to `until` (minute-aligned; at most [`MINUTE_SEAL_PASS_MS`] past the
/// summed end), so every later batch writes the rollups of readings before
/// it at once. Returns whether it moved: not when the last step's readings
/// are still to be summed ([`sum_minutes`] first) or it stands there already.
pub async fn close_minutes(c: &mut AnyConnection, until: i64) -> Result<bool> {
    let s = seals_locked(&mut *c, " FOR UPDATE").await?;
    let until = until.min(s.summed + MINUTE_SEAL_PASS_MS);
    if s.summed < s.minutes || until <= s.minutes {
        return Ok(false);
    }
    sqlx::query("UPDATE rollup_seal SET minutes_sealed_before = $1 WHERE id = 1").bind(until).execute(&mut *c).await?;
    Ok(true)
}

/// The minute seal's second step: sums the readings from the summed end to
/// the minute seal that are not `rolled` into their minute rows (one key
/// range per device and metric) and moves the summed end to the seal. It
/// locks out other seals but not batches: no batch can store an unrolled
/// reading before the seal any more (see [`close_minutes`]). Returns the
/// minute rows written.
pub async fn sum_minutes(c: &mut AnyConnection) -> Result<u64> {
    let s = seals_locked(&mut *c, " FOR NO KEY UPDATE").await?;
    if s.summed >= s.minutes {
        return Ok(0);
    }
    // A minute's last value is its newest reading's (one key lookup per minute row).
    seal_range(c, s.summed, s.minutes, "minutes_summed_before", |cols, src| {
        format!(
            "INSERT INTO reading_rollups ({ROLLUP_COLS}) \
             SELECT g.device_id, g.metric, 'minute', g.b, g.n, g.t, g.lo, g.hi, g.la, l.value FROM (\
               SELECT r.device_id, r.metric, r.at - r.at % {MINUTE_MS} AS b, CAST(COUNT(*) AS BIGINT) AS n, \
               SUM(r.value) AS t, MIN(r.value) AS lo, MAX(r.value) AS hi, MAX(r.at) AS la \
               FROM (SELECT {} AS d, {} AS m FROM {src}) dm JOIN readings r ON r.device_id = dm.d AND r.metric = dm.m \
               AND r.at >= $2 AND r.at < $3 AND r.rolled = 0 \
               GROUP BY r.device_id, r.metric, r.at - r.at % {MINUTE_MS}) g \
             JOIN readings l ON l.device_id = g.device_id AND l.metric = g.metric AND l.at = g.la WHERE true {MERGE}",
            cols[0], cols[1]
        )
    })
    .await
}

/// One seal's pass: runs `insert` (built from the device × metric pairs'
/// column expressions and FROM item; `$1` binds the pairs, `$2` `from` and
/// `$3` `until`) over every device's metrics, then moves the seal's
/// `column` to `until`. Returns the rollup rows written.
async fn seal_range(
    c: &mut AnyConnection,
    from: i64,
    until: i64,
    column: &'static str,
    insert: impl Fn(&[String], &str) -> String,
) -> Result<u64> {
    let all = all_device_metrics(c).await?;
    let pairs: Vec<Pair> = all.iter().map(|(d, m)| Pair { d: d.as_str(), m: m.clone() }).collect();
    let mut n = 0;
    if !pairs.is_empty() {
        let (cols, src) = json_source(c, 1, &[("d", "text"), ("m", "text")]);
        n = sqlx::query(sqlx::AssertSqlSafe(insert(&cols, &src)))
            .bind(serde_json::to_string(&pairs).unwrap_or_default())
            .bind(from)
            .bind(until)
            .execute(&mut *c)
            .await?
            .rows_affected();
    }
    sqlx::query(sqlx::AssertSqlSafe(format!("UPDATE rollup_seal SET {column} = $1 WHERE id = 1")))
        .bind(until)
        .execute(&mut *c)
        .await?;
    Ok(n)
}

/// Hour rows summed from minute rollups: `minutes` is the FROM item (and
/// its conditions) naming the minute rows as `r`. Columns as [`Rollup`];
/// an hour's last reading is its newest minute's.
fn hours_from_minutes(minutes: &str) -> String {
    format!(
        "SELECT g.device_id, g.metric, 'hour' AS step, g.hb AS bucket, g.n, g.t AS sum_value, g.lo AS min_value, g.hi AS max_value, \
         m.last_at, m.last_value FROM (\
           SELECT r.device_id, r.metric, r.bucket - r.bucket % {HOUR_MS} AS hb, CAST(SUM(r.n) AS BIGINT) AS n, SUM(r.sum_value) AS t, \
           MIN(r.min_value) AS lo, MAX(r.max_value) AS hi, MAX(r.bucket) AS lb \
           FROM {minutes} GROUP BY r.device_id, r.metric, r.bucket - r.bucket % {HOUR_MS}) g \
         JOIN reading_rollups m ON m.device_id = g.device_id AND m.metric = g.metric AND m.step = 'minute' AND m.bucket = g.lb"
    )
}

/// Seals the hours before `until` (hour-aligned), as far as their minutes
/// are sealed: under an exclusive lock on the seal (ingest batches still
/// writing late minutes of those hours commit first), sums every device's
/// minute rollups of the hours from the last seal to `until` into hour rows
/// (one index range per device and metric) and moves the seal on. Returns
/// the hour rows written, or None when those hours were sealed already.
pub async fn seal_hours(c: &mut AnyConnection, until: i64) -> Result<Option<u64>> {
    let seals = seals_locked(&mut *c, " FOR UPDATE").await?;
    let from = seals.hours;
    let until = until.min(seals.summed.div_euclid(HOUR_MS) * HOUR_MS);
    if until <= from {
        return Ok(None);
    }
    let n = seal_range(c, from, until, "sealed_before", |cols, src| {
        let minutes = format!(
            "(SELECT {} AS d, {} AS m FROM {src}) dm JOIN reading_rollups r ON r.device_id = dm.d AND r.metric = dm.m \
             AND r.step = 'minute' AND r.bucket >= $2 AND r.bucket < $3",
            cols[0], cols[1]
        );
        format!(
            "INSERT INTO reading_rollups ({ROLLUP_COLS}) SELECT {ROLLUP_COLS} FROM ({}) h WHERE true {MERGE}",
            hours_from_minutes(&minutes)
        )
    })
    .await?;
    Ok(Some(n))
}

/// Every (device, metric) that may have rollups: each device's metrics,
/// retired devices included (they keep their history).
async fn all_device_metrics(c: &mut AnyConnection) -> Result<Vec<(String, String)>> {
    let devices: Vec<(String, String)> = sqlx::query_as("SELECT id, metrics FROM devices").fetch_all(&mut *c).await?;
    Ok(devices.into_iter().flat_map(|(d, m)| metric_names(&m).into_iter().map(move |m| (d.clone(), m))).collect())
}

/// A device and one of its metrics, as a JSON row source (`d`, `m`).
#[derive(Serialize)]
struct Pair<'a> {
    d: &'a str,
    m: String,
}

/// The metric names of a device's `metrics` JSON (`[{name, unit}]`).
fn metric_names(metrics: &str) -> Vec<String> {
    serde_json::from_str::<Vec<serde_json::Value>>(metrics)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|m| m.get("name").and_then(|n| n.as_str()).map(String::from))
        .collect()
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
    let sql =
        format!("INSERT INTO reading_rollups ({ROLLUP_COLS}) SELECT {} FROM {from} WHERE true {MERGE}", e.join(", "));
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

/// The time of a device's newest stored reading of one metric (a backward
/// scan of the primary key).
pub async fn last_reading_at(c: &mut AnyConnection, device_id: &str, metric: &str) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar("SELECT MAX(at) FROM readings WHERE device_id = $1 AND metric = $2")
        .bind(device_id)
        .bind(metric)
        .fetch_one(c)
        .await?)
}

/// The rules of these devices that are still active (a retired device's
/// rules are not evaluated), each device's in creation order. They come as
/// one JSON array in one row: a row per rule cost about 10 µs each through
/// the SQLite driver, a tenth of a batch of one-reading messages.
pub async fn rules_of_devices(c: &mut AnyConnection, ids: &[&str]) -> Result<Vec<DeviceRule>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let (e, from) = json_source(c, 1, &[("d", "text")]);
    let agg = if c.backend_name() == "PostgreSQL" {
        "CAST(COALESCE(json_agg(json_build_array(id, device_id, name, template_key, rule, state, enabled, created_at, updated_at)), '[]') AS TEXT)"
    } else {
        "json_group_array(json_array(id, device_id, name, template_key, rule, state, enabled, created_at, updated_at))"
    };
    let sql = format!(
        "SELECT {agg} FROM device_rules WHERE device_id IN (SELECT {} FROM {from}) \
         AND device_id IN (SELECT id FROM devices WHERE status = 'active')",
        e[0]
    );
    let json: String = sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(ids_json(ids)).fetch_one(c).await?;
    // Each rule is an array of its columns in the struct's field order.
    let mut rules: Vec<DeviceRule> =
        serde_json::from_str(&json).map_err(|e| crate::StoreError::Corrupt(format!("device rules: {e}")))?;
    rules.sort_by(|a, b| (&a.device_id, a.created_at, &a.id).cmp(&(&b.device_id, b.created_at, &b.id)));
    Ok(rules)
}

/// Takes the row locks of these devices' rules, in id order (PostgreSQL;
/// SQLite has one writer at a time): a batch that lost the race to save
/// their state (see [`save_rule_states`]) runs again holding them, so it
/// cannot lose it twice.
pub async fn lock_rules_of_devices(c: &mut AnyConnection, ids: &[&str]) -> Result<()> {
    if ids.is_empty() || c.backend_name() != "PostgreSQL" {
        return Ok(());
    }
    let (e, from) = json_source(c, 1, &[("d", "text")]);
    let sql =
        format!("SELECT id FROM device_rules WHERE device_id IN (SELECT {} FROM {from}) ORDER BY id FOR UPDATE", e[0]);
    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(ids_json(ids)).execute(c).await?;
    Ok(())
}

/// Saves many rules' running state in one statement: (rule id, the state
/// read, the new state), each only where the stored state is still the one
/// read. Returns false when some rule's state was saved meanwhile by another
/// batch of the same device (the caller rolls back and runs the batch again
/// on the new state); on PostgreSQL that batch's row lock is waited for.
pub async fn save_rule_states(c: &mut AnyConnection, states: &[(String, String, String)], now: i64) -> Result<bool> {
    if states.is_empty() {
        return Ok(true);
    }
    // In id order, so two batches lock their common rules in the same order.
    let mut states: Vec<&(String, String, String)> = states.iter().collect();
    states.sort_by(|a, b| a.0.cmp(&b.0));
    let json: Vec<serde_json::Value> =
        states.iter().map(|(i, o, s)| serde_json::json!({"i": i, "o": o, "s": s})).collect();
    let (e, from) = json_source(c, 1, &[("i", "text"), ("o", "text"), ("s", "text")]);
    let sql = format!(
        "UPDATE device_rules SET state = {}, updated_at = $2 FROM {from} WHERE device_rules.id = {} AND device_rules.state = {}",
        e[2], e[0], e[1]
    );
    let n = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(serde_json::Value::Array(json).to_string())
        .bind(now)
        .execute(c)
        .await?
        .rows_affected();
    Ok(n == states.len() as u64)
}

/// Deletes raw readings older than `before` (rollups are kept), one key
/// range per device and metric (readings have no index on the time alone).
/// Returns how many.
pub async fn delete_readings_before(c: &mut AnyConnection, before: i64) -> Result<u64> {
    // Readings of minutes not yet summed stay whatever their age: they are their minute's only record.
    let before = before.min(seals(&mut *c).await?.summed);
    delete_key_ranges(c, "DELETE FROM readings WHERE device_id = $1 AND metric = $2 AND at < $3", before).await
}

/// Runs a delete of one device × metric's rows before a time (`$1`, `$2`,
/// `$3`) for every device and metric. Returns the rows deleted.
async fn delete_key_ranges(c: &mut AnyConnection, delete: &'static str, before: i64) -> Result<u64> {
    let mut n = 0;
    for (d, m) in all_device_metrics(c).await? {
        n += sqlx::query(delete).bind(d).bind(m).bind(before).execute(&mut *c).await?.rows_affected();
    }
    Ok(n)
}

/// Deletes the minute rollups of buckets before `before` that are summed into
/// their hour already (before the seal; a minute of an hour not yet sealed
/// stays whatever its age). One key range per device and metric. Returns how
/// many.
pub async fn delete_minute_rollups_before(c: &mut AnyConnection, before: i64) -> Result<u64> {
    let before = before.min(seals(&mut *c).await?.hours);
    delete_key_ranges(
        c,
        "DELETE FROM reading_rollups WHERE device_id = $1 AND metric = $2 AND step = 'minute' AND bucket < $3",
        before,
    )
    .await
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

/// A device's rollups of a metric at a step ("minute" or "hour") whose
/// buckets start in `[from, to)`, at most `limit`, oldest first. Sealed
/// minutes and hours are stored rows; the later ones are summed here from
/// the minutes after the hour seal and the readings not in a minute row
/// (after the minute seal, or between the summed end and the seal and not
/// `rolled`), all read in one statement (one moment of the seals and the
/// rows).
pub async fn rollup_series(
    c: &mut AnyConnection,
    device_id: &str,
    metric: &str,
    step: &str,
    from: i64,
    to: i64,
    limit: i64,
) -> Result<Vec<Rollup>> {
    let ms = if step == "hour" { HOUR_MS } else { MINUTE_MS };
    // The buckets starting in [from, to) hold the times in [from, to) rounded up to the step.
    let up = |t: i64| t.div_euclid(ms) * ms + if t.rem_euclid(ms) == 0 { 0 } else { ms };
    let (lo, hi) = (up(from), up(to));
    const M: &str = "(SELECT minutes_sealed_before FROM rollup_seal WHERE id = 1)";
    const S: &str = "(SELECT minutes_summed_before FROM rollup_seal WHERE id = 1)";
    const H: &str = "(SELECT sealed_before FROM rollup_seal WHERE id = 1)";
    let stored = |s: &str, sealed: &str| {
        format!(
            "SELECT * FROM (SELECT {ROLLUP_COLS} FROM reading_rollups WHERE device_id = $1 AND metric = $2 \
             AND step = '{s}' AND bucket >= $3 AND bucket < $4 AND bucket < {sealed} ORDER BY bucket LIMIT {limit}) s_{s}"
        )
    };
    let readings = format!(
        "SELECT device_id, metric, 'reading', at, 1, value, value, value, at, value FROM readings \
         WHERE device_id = $1 AND metric = $2 AND at >= $3 AND at < $4 AND at >= {S} AND (at >= {M} OR rolled = 0)"
    );
    let sql = if step == "hour" {
        format!(
            "{} UNION ALL SELECT {ROLLUP_COLS} FROM reading_rollups WHERE device_id = $1 AND metric = $2 \
             AND step = 'minute' AND bucket >= $3 AND bucket < $4 AND bucket >= {H} AND bucket < {M} UNION ALL {readings}",
            stored("hour", H)
        )
    } else {
        format!("{} UNION ALL {readings}", stored("minute", M))
    };
    let rows: Vec<Rollup> =
        sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(device_id).bind(metric).bind(lo).bind(hi).fetch_all(c).await?;
    let mut out: std::collections::BTreeMap<i64, Rollup> = Default::default();
    for r in rows {
        let bucket = r.bucket.div_euclid(ms) * ms;
        out.entry(bucket).and_modify(|e| e.add(&r)).or_insert(Rollup { step: step.into(), bucket, ..r });
    }
    Ok(out.into_values().take(usize::try_from(limit).unwrap_or(0)).collect())
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
/// minute rollup, whose last value is the latest reading. Returns the rows and
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
    let devices: Vec<LatestRow> = f
        .bind_as(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT id AS device_id, name, device_type, enterprise_id, region_code, interval_s, last_seen_at, metrics, \
             CAST(NULL AS TEXT) AS metric, CAST(NULL AS BIGINT) AS at, CAST(NULL AS DOUBLE PRECISION) AS value \
             FROM devices{w} ORDER BY region_code, name, id{}",
            page.sql()
        ))))
        .fetch_all(&mut *c)
        .await?;
    // The newest reading of each device's metric, and its newest minute
    // rollup for when the readings are past their retention: one backward
    // step along a primary key each per pair. The newer of the two is the
    // latest value.
    let pairs: Vec<Pair> = devices
        .iter()
        .flat_map(|d| metric_names(&d.metrics).into_iter().map(move |m| Pair { d: d.device_id.as_str(), m }))
        .collect();
    let mut latest: std::collections::HashMap<String, Vec<(String, i64, f64)>> = Default::default();
    if !pairs.is_empty() {
        let (cols, src) = json_source(c, 1, &[("d", "text"), ("m", "text")]);
        let sql = format!(
            "WITH dm AS (SELECT {} AS d, {} AS m FROM {src}) \
             SELECT dm.d, dm.m, r.at, r.value FROM dm JOIN readings r ON r.device_id = dm.d AND r.metric = dm.m AND r.at = \
               (SELECT MAX(r2.at) FROM readings r2 WHERE r2.device_id = dm.d AND r2.metric = dm.m) \
             UNION ALL \
             SELECT dm.d, dm.m, r.last_at, r.last_value FROM dm JOIN reading_rollups r ON r.device_id = dm.d AND r.metric = dm.m \
               AND r.step = 'minute' AND r.bucket = \
               (SELECT MAX(r2.bucket) FROM reading_rollups r2 WHERE r2.device_id = dm.d AND r2.metric = dm.m AND r2.step = 'minute')",
            cols[0], cols[1]
        );
        let json = serde_json::to_string(&pairs).unwrap_or_default();
        let rows: Vec<(String, String, i64, f64)> =
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(json).fetch_all(&mut *c).await?;
        for (d, m, at, v) in rows {
            let mine = latest.entry(d).or_default();
            match mine.iter_mut().find(|x| x.0 == m) {
                Some(x) if x.1 < at => *x = (m, at, v),
                Some(_) => {}
                None => mine.push((m, at, v)),
            }
        }
    }
    let mut out = Vec::with_capacity(pairs.len().max(devices.len()));
    for d in devices {
        let mut mine = latest.remove(&d.device_id).unwrap_or_default();
        mine.sort_by(|a, b| a.0.cmp(&b.0));
        if mine.is_empty() {
            out.push(d);
            continue;
        }
        for (m, at, v) in mine {
            out.push(LatestRow { metric: Some(m), at: Some(at), value: Some(v), ..d.clone() });
        }
    }
    Ok((out, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(at: i64, value: f64) -> Reading {
        Reading { device_id: "d".into(), metric: "m".into(), at, value }
    }

    #[test]
    fn only_late_readings_get_rollups_at_ingest() {
        let seals =
            Seals { minutes: 2 * HOUR_MS + 5 * MINUTE_MS, summed: 2 * HOUR_MS + 5 * MINUTE_MS, hours: 2 * HOUR_MS };
        let readings = [
            r(HOUR_MS + 10, 1.0),                // an hour already sealed: its minute and hour
            r(HOUR_MS + 20, 3.0),                // the same minute and hour
            r(2 * HOUR_MS + MINUTE_MS, 2.0),     // a sealed minute of an unsealed hour: its minute only
            r(2 * HOUR_MS + 5 * MINUTE_MS, 9.0), // the first unsealed minute: nothing yet
            r(3 * HOUR_MS, 4.0),                 // later still: nothing
        ];
        // (step, bucket, n, sum, min, max, last at, last value)
        type Row = (String, i64, i64, f64, f64, f64, i64, f64);
        let got: Vec<Row> = rollups_of(&readings, seals)
            .into_iter()
            .map(|x| (x.step, x.bucket, x.n, x.sum_value, x.min_value, x.max_value, x.last_at, x.last_value))
            .collect();
        assert_eq!(
            got,
            vec![
                ("hour".into(), HOUR_MS, 2, 4.0, 1.0, 3.0, HOUR_MS + 20, 3.0),
                ("minute".into(), HOUR_MS, 2, 4.0, 1.0, 3.0, HOUR_MS + 20, 3.0),
                ("minute".into(), 2 * HOUR_MS + MINUTE_MS, 1, 2.0, 2.0, 2.0, 2 * HOUR_MS + MINUTE_MS, 2.0),
            ]
        );
    }

    #[test]
    fn adding_rollups_keeps_the_newest_last_value_whatever_the_order() {
        let one = |at, v| Rollup { step: "minute".into(), bucket: 0, ..Rollup::of_reading(&r(at, v)) };
        let mut a = one(30, 5.0);
        a.add(&one(10, 7.0));
        a.add(&one(20, -1.0));
        assert_eq!(
            (a.n, a.sum_value, a.min_value, a.max_value, a.last_at, a.last_value),
            (3, 11.0, -1.0, 7.0, 30, 5.0)
        );
    }
}
