//! Devices, their rules and rule state, readings and alarms (M1–M4).

use crate::filter::{Bind, Filter, Page};
use crate::{AnyConnection, Result, StoreError};
use anjian_domain::role::Scope;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Device {
    pub id: String,
    pub name: String,
    pub device_type: String,
    pub enterprise_id: String,
    pub project_id: Option<String>,
    pub region_code: String,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    /// JSON array of `{name, unit}`.
    pub metrics: String,
    #[serde(skip)]
    pub secret_enc: Vec<u8>,
    pub interval_s: i64,
    pub last_seen_at: Option<i64>,
    pub created_at: i64,
    /// active | retired
    pub status: String,
    pub retired_at: Option<i64>,
    /// Grows with every change of the device or its rules (see [`lock_device`]).
    pub revision: i64,
}

impl Device {
    pub fn is_retired(&self) -> bool {
        self.status == "retired"
    }
}

pub(crate) const DEVICE_COLS: &str = "id, name, device_type, enterprise_id, project_id, region_code, lon, lat, metrics, secret_enc, interval_s, last_seen_at, created_at, status, retired_at, revision";

pub async fn insert_device(c: &mut AnyConnection, d: &Device) -> Result<()> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO devices ({DEVICE_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
    )))
    .persistent(crate::can_prepare_null_f64(c)) // see "Optional floats" in lib.rs
    .bind(&d.id)
    .bind(&d.name)
    .bind(&d.device_type)
    .bind(&d.enterprise_id)
    .bind(&d.project_id)
    .bind(&d.region_code)
    .bind(d.lon)
    .bind(d.lat)
    .bind(&d.metrics)
    .bind(&d.secret_enc)
    .bind(d.interval_s)
    .bind(d.last_seen_at)
    .bind(d.created_at)
    .bind(&d.status)
    .bind(d.retired_at)
    .bind(d.revision)
    .execute(c)
    .await
    .map_err(StoreError::unique("id"))?;
    Ok(())
}

/// Moves the device-change counter and the device's revision, taking both
/// rows' locks for the rest of the transaction: a change to a device or to
/// its rules calls this first. The counter's lock waits for the ingest
/// transactions in progress, which share-lock it (`readings::batch_locks`),
/// and keeps new ones waiting until the change commits; a moved counter
/// makes every process drop its device cache at its next batch. The counter
/// is always the first lock such a transaction takes. False when there is
/// no such device.
pub async fn lock_device(c: &mut AnyConnection, id: &str) -> Result<bool> {
    sqlx::query("UPDATE device_changes SET n = n + 1 WHERE id = 1").execute(&mut *c).await?;
    let r = sqlx::query("UPDATE devices SET revision = revision + 1 WHERE id = $1").bind(id).execute(c).await?;
    Ok(r.rows_affected() > 0)
}

/// Writes a device's editable fields, secret and status (not its revision,
/// which [`lock_device`] moves, nor its last-seen time).
pub async fn update_device(c: &mut AnyConnection, d: &Device) -> Result<()> {
    sqlx::query(
        "UPDATE devices SET name = $2, project_id = $3, lon = $4, lat = $5, metrics = $6, secret_enc = $7, \
         interval_s = $8, status = $9, retired_at = $10 WHERE id = $1",
    )
    .persistent(crate::can_prepare_null_f64(c)) // see "Optional floats" in lib.rs
    .bind(&d.id)
    .bind(&d.name)
    .bind(&d.project_id)
    .bind(d.lon)
    .bind(d.lat)
    .bind(&d.metrics)
    .bind(&d.secret_enc)
    .bind(d.interval_s)
    .bind(&d.status)
    .bind(d.retired_at)
    .execute(c)
    .await?;
    Ok(())
}

pub async fn device(c: &mut AnyConnection, id: &str) -> Result<Option<Device>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {DEVICE_COLS} FROM devices WHERE id = $1")))
        .bind(id)
        .fetch_optional(c)
        .await?)
}

pub async fn devices(c: &mut AnyConnection, scope: &Scope, page: Page) -> Result<(Vec<Device>, i64)> {
    let mut f = Filter::new();
    f.scope(scope, "region_code", &["enterprise_id"]);
    let w = f.where_sql();
    let total: i64 = f
        .bind_scalar(sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM devices{w}"))))
        .fetch_one(&mut *c)
        .await?;
    let sql = format!("SELECT {DEVICE_COLS} FROM devices{w} ORDER BY region_code, name, id{}", page.sql());
    Ok((f.bind_as(sqlx::query_as(sqlx::AssertSqlSafe(sql))).fetch_all(&mut *c).await?, total))
}

pub async fn touch_device(c: &mut AnyConnection, id: &str, seen_at: i64) -> Result<()> {
    sqlx::query("UPDATE devices SET last_seen_at = $2 WHERE id = $1 AND (last_seen_at IS NULL OR last_seen_at < $2)")
        .bind(id)
        .bind(seen_at)
        .execute(c)
        .await?;
    Ok(())
}

/// Also read from a JSON array of its columns in this order (see
/// `readings::rules_of_devices`).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, sqlx::FromRow)]
pub struct DeviceRule {
    pub id: String,
    pub device_id: String,
    pub name: String,
    pub template_key: Option<String>,
    /// The rule as JSON (`anjian_domain::monitor::Rule`).
    pub rule: String,
    /// The rule's running state as JSON (`RuleState`).
    pub state: String,
    pub enabled: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

pub(crate) const RULE_COLS: &str = "id, device_id, name, template_key, rule, state, enabled, created_at, updated_at";

pub async fn insert_rule(c: &mut AnyConnection, r: &DeviceRule) -> Result<()> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO device_rules ({RULE_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    )))
    .bind(&r.id)
    .bind(&r.device_id)
    .bind(&r.name)
    .bind(&r.template_key)
    .bind(&r.rule)
    .bind(&r.state)
    .bind(r.enabled)
    .bind(r.created_at)
    .bind(r.updated_at)
    .execute(c)
    .await?;
    Ok(())
}

pub async fn rules_of(c: &mut AnyConnection, device_id: &str) -> Result<Vec<DeviceRule>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {RULE_COLS} FROM device_rules WHERE device_id = $1 ORDER BY created_at, id"
    )))
    .bind(device_id)
    .fetch_all(c)
    .await?)
}

pub async fn rule(c: &mut AnyConnection, id: &str) -> Result<Option<DeviceRule>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {RULE_COLS} FROM device_rules WHERE id = $1")))
        .bind(id)
        .fetch_optional(c)
        .await?)
}

/// Writes a rule's name, definition, template, state and enabled flag.
pub async fn update_rule(c: &mut AnyConnection, r: &DeviceRule) -> Result<()> {
    sqlx::query(
        "UPDATE device_rules SET name = $2, template_key = $3, rule = $4, state = $5, enabled = $6, updated_at = $7 \
         WHERE id = $1",
    )
    .bind(&r.id)
    .bind(&r.name)
    .bind(&r.template_key)
    .bind(&r.rule)
    .bind(&r.state)
    .bind(r.enabled)
    .bind(r.updated_at)
    .execute(c)
    .await?;
    Ok(())
}

pub async fn save_rule_state(c: &mut AnyConnection, id: &str, state: &str, now: i64) -> Result<()> {
    sqlx::query("UPDATE device_rules SET state = $2, updated_at = $3 WHERE id = $1")
        .bind(id)
        .bind(state)
        .bind(now)
        .execute(c)
        .await?;
    Ok(())
}

pub async fn readings(
    c: &mut AnyConnection,
    device_id: &str,
    metric: &str,
    from: i64,
    to: i64,
    limit: i64,
) -> Result<Vec<(i64, f64)>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT at, value FROM readings WHERE device_id = $1 AND metric = $2 AND at >= $3 AND at < $4 ORDER BY at LIMIT {limit}"
    )))
    .bind(device_id)
    .bind(metric)
    .bind(from)
    .bind(to)
    .fetch_all(c)
    .await?)
}

pub async fn count_readings(c: &mut AnyConnection, device_id: &str) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM readings WHERE device_id = $1").bind(device_id).fetch_one(c).await?)
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Alarm {
    pub id: String,
    pub device_id: String,
    pub rule_id: String,
    #[serde(skip)]
    pub open_key: Option<String>,
    pub region_code: String,
    pub enterprise_id: String,
    pub metric: String,
    pub level: String,
    /// active | acknowledged | cleared
    pub state: String,
    pub raised_at: i64,
    pub level_at: i64,
    pub last_value: f64,
    pub peak_value: f64,
    pub acknowledged_by: Option<String>,
    pub acknowledged_at: Option<i64>,
    pub cleared_by: Option<String>,
    pub cleared_at: Option<i64>,
}

const ALARM_COLS: &str = "id, device_id, rule_id, open_key, region_code, enterprise_id, metric, level, state, raised_at, level_at, \
    last_value, peak_value, acknowledged_by, acknowledged_at, cleared_by, cleared_at";

pub async fn insert_alarm(c: &mut AnyConnection, a: &Alarm) -> Result<()> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO alarms ({ALARM_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)"
    )))
    .persistent(crate::can_prepare_null_f64(c)) // see "Optional floats" in lib.rs
    .bind(&a.id)
    .bind(&a.device_id)
    .bind(&a.rule_id)
    .bind(&a.open_key)
    .bind(&a.region_code)
    .bind(&a.enterprise_id)
    .bind(&a.metric)
    .bind(&a.level)
    .bind(&a.state)
    .bind(a.raised_at)
    .bind(a.level_at)
    .bind(a.last_value)
    .bind(a.peak_value)
    .bind(&a.acknowledged_by)
    .bind(a.acknowledged_at)
    .bind(&a.cleared_by)
    .bind(a.cleared_at)
    .execute(c)
    .await
    .map_err(StoreError::unique("alarm"))?;
    Ok(())
}

pub async fn update_alarm(c: &mut AnyConnection, a: &Alarm) -> Result<()> {
    sqlx::query(
        "UPDATE alarms SET open_key = $2, level = $3, state = $4, level_at = $5, last_value = $6, peak_value = $7, \
         acknowledged_by = $8, acknowledged_at = $9, cleared_by = $10, cleared_at = $11 WHERE id = $1",
    )
    .persistent(crate::can_prepare_null_f64(c)) // see "Optional floats" in lib.rs
    .bind(&a.id)
    .bind(&a.open_key)
    .bind(&a.level)
    .bind(&a.state)
    .bind(a.level_at)
    .bind(a.last_value)
    .bind(a.peak_value)
    .bind(&a.acknowledged_by)
    .bind(a.acknowledged_at)
    .bind(&a.cleared_by)
    .bind(a.cleared_at)
    .execute(c)
    .await?;
    Ok(())
}

pub async fn alarm(c: &mut AnyConnection, id: &str) -> Result<Option<Alarm>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {ALARM_COLS} FROM alarms WHERE id = $1")))
        .bind(id)
        .fetch_optional(c)
        .await?)
}

/// The open (not cleared) alarms of a device.
pub async fn open_alarms_of_device(c: &mut AnyConnection, device_id: &str) -> Result<Vec<Alarm>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ALARM_COLS} FROM alarms WHERE device_id = $1 AND open_key IS NOT NULL ORDER BY raised_at, id"
    )))
    .bind(device_id)
    .fetch_all(c)
    .await?)
}

/// The open (not cleared) alarm of a rule, if any.
pub async fn open_alarm(c: &mut AnyConnection, rule_id: &str) -> Result<Option<Alarm>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {ALARM_COLS} FROM alarms WHERE open_key = $1")))
        .bind(rule_id)
        .fetch_optional(c)
        .await?)
}

pub async fn alarms(
    c: &mut AnyConnection,
    scope: &Scope,
    state: Option<&str>,
    device_id: Option<&str>,
    page: Page,
) -> Result<(Vec<Alarm>, i64)> {
    let mut f = Filter::new();
    f.scope(scope, "region_code", &["enterprise_id"]);
    if let Some(s) = state {
        if s == "open" {
            f.and_raw("open_key IS NOT NULL");
        } else {
            f.and("state = {}", Bind::Text(s.into()));
        }
    }
    if let Some(d) = device_id {
        f.and("device_id = {}", Bind::Text(d.into()));
    }
    let w = f.where_sql();
    let total: i64 = f
        .bind_scalar(sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM alarms{w}"))))
        .fetch_one(&mut *c)
        .await?;
    let sql = format!("SELECT {ALARM_COLS} FROM alarms{w} ORDER BY level_at DESC, id DESC{}", page.sql());
    Ok((f.bind_as(sqlx::query_as(sqlx::AssertSqlSafe(sql))).fetch_all(&mut *c).await?, total))
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct AlarmEvent {
    pub id: String,
    pub alarm_id: String,
    pub at: i64,
    pub actor_name: String,
    pub event: String,
    pub level: String,
    pub value: Option<f64>,
    pub note: Option<String>,
}

pub async fn insert_alarm_event(c: &mut AnyConnection, e: &AlarmEvent) -> Result<()> {
    sqlx::query("INSERT INTO alarm_events (id, alarm_id, at, actor_name, event, level, value, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
        .persistent(crate::can_prepare_null_f64(c)) // see "Optional floats" in lib.rs
        .bind(&e.id)
        .bind(&e.alarm_id)
        .bind(e.at)
        .bind(&e.actor_name)
        .bind(&e.event)
        .bind(&e.level)
        .bind(e.value)
        .bind(&e.note)
        .execute(c)
        .await?;
    Ok(())
}

pub async fn alarm_events(c: &mut AnyConnection, alarm_id: &str) -> Result<Vec<AlarmEvent>> {
    Ok(sqlx::query_as("SELECT id, alarm_id, at, actor_name, event, level, value, note FROM alarm_events WHERE alarm_id = $1 ORDER BY at, id")
        .bind(alarm_id)
        .fetch_all(c)
        .await?)
}

/// (all, red) alarms raised at an enterprise since `since`.
pub async fn alarm_counts_of(c: &mut AnyConnection, enterprise_id: &str, since: i64) -> Result<(i64, i64)> {
    Ok(sqlx::query_as(
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN level = 'red' THEN 1 ELSE 0 END), 0) FROM alarms \
         WHERE enterprise_id = $1 AND raised_at >= $2",
    )
    .bind(enterprise_id)
    .bind(since)
    .fetch_one(c)
    .await?)
}

/// The alarms the scope may see under a region prefix raised in `[since, until)`.
fn alarms_in_window(
    scope: &anjian_domain::role::Scope,
    region_prefix: Option<&str>,
    since: i64,
    until: i64,
) -> crate::filter::Filter {
    use crate::filter::{Bind, Filter};
    let mut f = Filter::new();
    f.scope(scope, "region_code", &["enterprise_id"]);
    if let Some(p) = region_prefix {
        f.region_prefix("region_code", p);
    }
    f.and("raised_at >= {}", Bind::Int(since));
    f.and("raised_at < {}", Bind::Int(until));
    f
}

/// (enterprise, raised_at) of every red alarm the scope may see under a
/// region prefix raised in `[since, until)`.
pub async fn red_alarms(
    c: &mut AnyConnection,
    scope: &anjian_domain::role::Scope,
    region_prefix: Option<&str>,
    since: i64,
    until: i64,
) -> Result<Vec<(String, i64)>> {
    let mut f = alarms_in_window(scope, region_prefix, since, until);
    f.and_raw("level = 'red'");
    let sql = format!("SELECT enterprise_id, raised_at FROM alarms{} ORDER BY raised_at", f.where_sql());
    Ok(f.bind_as(sqlx::query_as(sqlx::AssertSqlSafe(sql))).fetch_all(c).await?)
}

/// (level, count) of the alarms the scope may see under a region prefix
/// raised in `[since, until)`, by their current level.
pub async fn alarm_level_counts(
    c: &mut AnyConnection,
    scope: &anjian_domain::role::Scope,
    region_prefix: Option<&str>,
    since: i64,
    until: i64,
) -> Result<Vec<(String, i64)>> {
    let f = alarms_in_window(scope, region_prefix, since, until);
    let sql = format!("SELECT level, COUNT(*) FROM alarms{} GROUP BY level ORDER BY level", f.where_sql());
    Ok(f.bind_as(sqlx::query_as(sqlx::AssertSqlSafe(sql))).fetch_all(c).await?)
}

/// Alarms a rule raised since `since`.
pub async fn alarms_of_rule_since(c: &mut AnyConnection, rule_id: &str, since: i64) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM alarms WHERE rule_id = $1 AND raised_at >= $2")
        .bind(rule_id)
        .bind(since)
        .fetch_one(c)
        .await?)
}

/// The enabled offline rules (measure `offline`) of active devices that
/// have reported at least once, with their device.
pub async fn offline_rules(c: &mut AnyConnection) -> Result<Vec<(DeviceRule, Device)>> {
    let rules: Vec<DeviceRule> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {RULE_COLS} FROM device_rules WHERE enabled = 1 AND rule LIKE '%\"type\":\"offline\"%' \
         AND device_id IN (SELECT id FROM devices WHERE last_seen_at IS NOT NULL AND status = 'active') ORDER BY device_id, id"
    )))
    .fetch_all(&mut *c)
    .await?;
    let ids: Vec<&str> = rules.iter().map(|r| r.device_id.as_str()).collect();
    let devices = crate::readings::devices_by_id(c, &ids).await?;
    let by_id: std::collections::HashMap<&str, &Device> = devices.iter().map(|d| (d.id.as_str(), d)).collect();
    Ok(rules.iter().filter_map(|r| by_id.get(r.device_id.as_str()).map(|d| (r.clone(), (*d).clone()))).collect())
}
