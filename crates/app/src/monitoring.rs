//! IoT monitoring use cases (M1–M3): devices with their own secrets, rules
//! attached to devices, ingest of readings (HTTP batches and MQTT), alarm
//! raising/escalation/clearing by the rules, acknowledgement and clearing by
//! people, and notification of the right people.
//!
//! One device batch is one transaction: its good readings, the rules'
//! state, the alarms and notifications commit together; bad readings are
//! counted by reason and never stop the good ones beside them.

use crate::{App, AppError, Caller, Result, audit};
use anjian_domain::ids::RegionCode;
use anjian_domain::monitor::{Decision, Level, Rule, RuleState, templates};
use anjian_domain::role::Role;
use anjian_store::filter::Page;
use anjian_store::monitoring::{self, Alarm, AlarmEvent, Device, DeviceRule};
use anjian_store::readings::Reading;
use anjian_store::{AnyConnection, enterprises, new_id, notifications, now_ms};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// (code, label) of the device types.
pub const DEVICE_TYPES: &[(&str, &str)] = &[
    ("tower_crane", "塔式起重机"),
    ("scaffold", "脚手架"),
    ("deep_pit", "深基坑"),
    ("rainfall_gauge", "雨量计"),
    ("gas_detector", "气体检测仪"),
    ("temperature", "温度传感器"),
    ("dust", "扬尘/PM监测"),
    ("dcs_point", "DCS点位"),
    ("camera", "视频监控"),
    ("face_terminal", "人脸识别考勤机"),
];

/// Readings further in the future than this are rejected (clock skew allowance).
pub const MAX_FUTURE_MS: i64 = 5 * 60_000;
/// Readings older than this are rejected (a device replaying history by mistake).
pub const MAX_AGE_MS: i64 = 7 * 86_400_000;
/// Largest batch accepted in one request or message.
pub const MAX_READINGS: usize = 10_000;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct MetricSpec {
    pub name: String,
    pub unit: String,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct DeviceInput {
    pub name: String,
    /// tower_crane | scaffold | deep_pit | rainfall_gauge | gas_detector | temperature | dust | dcs_point | camera
    pub device_type: String,
    pub enterprise_id: String,
    pub project_id: Option<String>,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    pub metrics: Vec<MetricSpec>,
    /// Expected reporting interval in seconds (for offline detection).
    pub interval_s: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DeviceView {
    pub id: String,
    pub name: String,
    pub device_type: String,
    pub device_type_label: String,
    pub enterprise_id: String,
    pub project_id: Option<String>,
    pub region_code: String,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    pub metrics: Vec<MetricSpec>,
    pub interval_s: i64,
    pub last_seen_at: Option<String>,
    /// Missed three intervals (never for a retired device).
    pub offline: bool,
    /// active | retired (a retired device is kept with its history; its
    /// readings are refused and its rules no longer evaluated).
    pub status: String,
    pub retired_at: Option<String>,
    /// The device's secret: shown only in the response that creates the device.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

/// The device's metrics (stored as JSON).
fn metric_specs(d: &Device) -> Vec<MetricSpec> {
    serde_json::from_str(&d.metrics).unwrap_or_default()
}

fn device_view(d: &Device, now: i64, secret: Option<String>) -> DeviceView {
    DeviceView {
        id: d.id.clone(),
        name: d.name.clone(),
        device_type: d.device_type.clone(),
        device_type_label: DEVICE_TYPES.iter().find(|(c, _)| *c == d.device_type).map(|(_, l)| *l).unwrap_or("").into(),
        enterprise_id: d.enterprise_id.clone(),
        project_id: d.project_id.clone(),
        region_code: d.region_code.clone(),
        lon: d.lon,
        lat: d.lat,
        metrics: metric_specs(d),
        interval_s: d.interval_s,
        last_seen_at: d.last_seen_at.map(crate::time::fmt_local),
        offline: !d.is_retired()
            && anjian_domain::monitor::is_offline(
                d.last_seen_at,
                now,
                d.interval_s.clamp(1, u32::MAX as i64) as u32,
                3,
            ),
        status: d.status.clone(),
        retired_at: d.retired_at.map(crate::time::fmt_local),
        secret,
    }
}

async fn visible_device(c: &mut AnyConnection, caller: &Caller, id: &str) -> Result<Device> {
    let d = monitoring::device(c, id).await?.ok_or(AppError::NotFound)?;
    let r = RegionCode::parse("region", &d.region_code).map_err(|e| AppError::Internal(e.to_string()))?;
    if caller.scope.allows(&r, Some(&d.enterprise_id)) { Ok(d) } else { Err(AppError::NotFound) }
}

/// Who may register and change devices and their rules: regulators and
/// enterprise heads (each within their scope).
fn may_manage_devices(caller: &Caller) -> Result<()> {
    caller.require(caller.role.is_regulator() || caller.role == Role::EnterpriseHead)
}

/// The device a change is about, read after taking its row lock
/// ([`monitoring::lock_device`], which also moves the device-change counter
/// so every process's device cache notices): 404 when the caller may not see it, a
/// field error on `status` when it is retired (a retired device is history).
async fn device_for_change(c: &mut AnyConnection, caller: &Caller, id: &str) -> Result<Device> {
    may_manage_devices(caller)?;
    if !monitoring::lock_device(c, id).await? {
        return Err(AppError::NotFound);
    }
    let d = visible_device(c, caller, id).await?;
    if d.is_retired() {
        return Err(AppError::field("status", "设备已退役，不能再修改"));
    }
    Ok(d)
}

fn check_device_name(name: &str) -> Result<()> {
    if name.trim().is_empty() || name.chars().count() > 100 {
        return Err(AppError::field("name", "设备名称不能为空且不超过100个字符"));
    }
    Ok(())
}

fn check_metrics(metrics: &[MetricSpec]) -> Result<()> {
    if metrics.is_empty() {
        return Err(AppError::field("metrics", "至少需要一个监测指标"));
    }
    let mut seen = std::collections::HashSet::new();
    for (n, m) in metrics.iter().enumerate() {
        let ok =
            !m.name.is_empty() && m.name.len() <= 64 && m.name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !ok || !seen.insert(m.name.clone()) {
            return Err(AppError::field(&format!("metrics[{n}].name"), "指标名应为唯一的字母、数字或下划线"));
        }
    }
    Ok(())
}

fn check_interval(interval_s: i64) -> Result<()> {
    if !(1..=86_400).contains(&interval_s) {
        return Err(AppError::field("interval_s", "上报间隔应为1到86400秒"));
    }
    Ok(())
}

/// A device's project must exist and have the device's enterprise among its parties.
async fn check_project(c: &mut AnyConnection, project_id: &str, enterprise_id: &str) -> Result<()> {
    let p =
        anjian_store::projects::get(c, project_id).await?.ok_or_else(|| AppError::field("project_id", "项目不存在"))?;
    if ![&p.builder_id, &p.contractor_id, &p.supervisor_id].iter().any(|id| id.as_str() == enterprise_id) {
        return Err(AppError::field("project_id", "该企业不是此项目的参建单位"));
    }
    Ok(())
}

/// Registers a device; its secret is returned once and stored encrypted.
pub async fn register_device(app: &App, caller: &Caller, i: &DeviceInput) -> Result<DeviceView> {
    may_manage_devices(caller)?;
    let mut tx = app.db.begin().await?;
    let e = enterprises::get(&mut tx, &i.enterprise_id).await?.ok_or(AppError::NotFound)?;
    let region = RegionCode::parse("region", &e.region_code).map_err(|e| AppError::Internal(e.to_string()))?;
    if !caller.scope.allows(&region, Some(&e.id)) {
        return Err(AppError::NotFound);
    }
    check_device_name(&i.name)?;
    if !DEVICE_TYPES.iter().any(|(c, _)| *c == i.device_type) {
        let list: Vec<&str> = DEVICE_TYPES.iter().map(|(c, _)| *c).collect();
        return Err(AppError::field("device_type", format!("未知设备类型（可选: {}）", list.join(", "))));
    }
    check_metrics(&i.metrics)?;
    check_interval(i.interval_s)?;
    anjian_domain::registry::validate_point(i.lon, i.lat)?;
    if let Some(p) = &i.project_id {
        check_project(&mut tx, p, &e.id).await?;
    }
    let secret = crate::crypto::random_token("ajd");
    let now = now_ms();
    let d = Device {
        id: new_id(),
        name: i.name.trim().into(),
        device_type: i.device_type.clone(),
        enterprise_id: e.id.clone(),
        project_id: i.project_id.clone(),
        region_code: e.region_code.clone(),
        lon: i.lon.or(e.lon),
        lat: i.lat.or(e.lat),
        metrics: serde_json::to_string(&i.metrics).unwrap_or_else(|_| "[]".into()),
        secret_enc: app.secrets.encrypt(&secret),
        interval_s: i.interval_s,
        last_seen_at: None,
        created_at: now,
        status: "active".into(),
        retired_at: None,
        revision: 0,
    };
    monitoring::insert_device(&mut tx, &d).await?;
    let view = device_view(&d, now, None);
    audit::record::<(), _>(&mut tx, caller, "create", "device", &d.id, None, Some(&view)).await?;
    tx.commit().await?;
    Ok(device_view(&d, now, Some(secret)))
}

pub async fn list_devices(app: &App, caller: &Caller, page: Page) -> Result<(Vec<DeviceView>, i64)> {
    let mut c = app.db.read().await?;
    let (rows, total) = monitoring::devices(&mut c, &caller.scope, page).await?;
    let now = now_ms();
    Ok((rows.iter().map(|d| device_view(d, now, None)).collect(), total))
}

pub async fn get_device(app: &App, caller: &Caller, id: &str) -> Result<DeviceView> {
    let mut c = app.db.read().await?;
    Ok(device_view(&visible_device(&mut c, caller, id).await?, now_ms(), None))
}

/// Reads a field that may be absent (`None`: leave as is) or null
/// (`Some(None)`: remove).
fn absent_or_null<'de, D, T>(d: D) -> std::result::Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// The fields of a device that may change; an absent field stays as it is.
/// Type and enterprise never change (register a new device instead).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DevicePatch {
    pub name: Option<String>,
    /// null: the device belongs to no project.
    #[serde(default, deserialize_with = "absent_or_null")]
    #[schema(value_type = Option<String>)]
    pub project_id: Option<Option<String>>,
    /// Both coordinates or neither (null and null: no position).
    #[serde(default, deserialize_with = "absent_or_null")]
    #[schema(value_type = Option<f64>)]
    pub lon: Option<Option<f64>>,
    #[serde(default, deserialize_with = "absent_or_null")]
    #[schema(value_type = Option<f64>)]
    pub lat: Option<Option<f64>>,
    pub interval_s: Option<i64>,
    /// The whole new list: metrics may be added and units changed; a metric
    /// one of the device's rules uses cannot be removed.
    pub metrics: Option<Vec<MetricSpec>>,
}

/// Edits a device (one transaction with its audit row); the ingest path
/// sees the change at its next batch.
pub async fn update_device(app: &App, caller: &Caller, id: &str, i: &DevicePatch) -> Result<DeviceView> {
    let mut tx = app.db.begin().await?;
    let d = device_for_change(&mut tx, caller, id).await?;
    let mut n = d.clone();
    if let Some(name) = &i.name {
        check_device_name(name)?;
        n.name = name.trim().into();
    }
    if let Some(metrics) = &i.metrics {
        check_metrics(metrics)?;
        for r in monitoring::rules_of(&mut tx, &d.id).await? {
            let Ok(rule) = serde_json::from_str::<Rule>(&r.rule) else { continue };
            if !rule.is_offline() && !metrics.iter().any(|m| m.name == rule.metric) {
                return Err(AppError::field(
                    "metrics",
                    format!("指标 {} 被规则「{}」使用，不能删除（可先停用或修改该规则）", rule.metric, r.name),
                ));
            }
        }
        n.metrics = serde_json::to_string(metrics).unwrap_or_else(|_| "[]".into());
    }
    if let Some(s) = i.interval_s {
        check_interval(s)?;
        n.interval_s = s;
    }
    if let Some(lon) = i.lon {
        n.lon = lon;
    }
    if let Some(lat) = i.lat {
        n.lat = lat;
    }
    anjian_domain::registry::validate_point(n.lon, n.lat)?;
    if let Some(p) = &i.project_id {
        if let Some(p) = p {
            check_project(&mut tx, p, &d.enterprise_id).await?;
        }
        n.project_id = p.clone();
    }
    let now = now_ms();
    if n == d {
        return Ok(device_view(&d, now, None)); // nothing to change (the transaction rolls back)
    }
    monitoring::update_device(&mut tx, &n).await?;
    let (before, after) = (device_view(&d, now, None), device_view(&n, now, None));
    audit::record(&mut tx, caller, "update", "device", &d.id, Some(&before), Some(&after)).await?;
    tx.commit().await?;
    app.device_cache.forget(&d.id);
    Ok(after)
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct RetireInput {
    /// Why the device is retired (kept in the history of every alarm it clears).
    pub note: String,
}

/// Retires a device: it stays listed with its history, its readings are
/// refused (`retired_device`), its rules are no longer evaluated and the
/// offline job leaves it alone. Its open alarms are cleared by the caller
/// with the note, as a person clears an alarm. One way: a device back in
/// service is registered again.
pub async fn retire_device(app: &App, caller: &Caller, id: &str, i: &RetireInput) -> Result<DeviceView> {
    if i.note.trim().is_empty() {
        return Err(AppError::field("note", "退役须填写原因"));
    }
    let mut tx = app.db.begin().await?;
    let d = device_for_change(&mut tx, caller, id).await?;
    let now = now_ms();
    let mut n = d.clone();
    n.status = "retired".into();
    n.retired_at = Some(now);
    monitoring::update_device(&mut tx, &n).await?;
    for mut a in monitoring::open_alarms_of_device(&mut tx, &d.id).await? {
        let before = a.clone();
        clear_by_person(&mut tx, caller, &mut a, now).await?;
        record_person_action(&mut tx, caller, &before, &a, "clear", Some(i.note.trim()), now).await?;
    }
    let (before, after) = (device_view(&d, now, None), device_view(&n, now, None));
    audit::record(&mut tx, caller, "retire", "device", &d.id, Some(&before), Some(&after)).await?;
    tx.commit().await?;
    app.device_cache.forget(&d.id);
    Ok(after)
}

/// Gives a device a new secret, returned once (as at registration) and
/// stored encrypted; the old one is refused from the next batch on, in
/// every process.
pub async fn rotate_secret(app: &App, caller: &Caller, id: &str) -> Result<DeviceView> {
    let mut tx = app.db.begin().await?;
    let d = device_for_change(&mut tx, caller, id).await?;
    let secret = crate::crypto::random_token("ajd");
    let mut n = d.clone();
    n.secret_enc = app.secrets.encrypt(&secret);
    monitoring::update_device(&mut tx, &n).await?;
    let now = now_ms();
    let (before, after) = (device_view(&d, now, None), device_view(&n, now, None));
    audit::record(&mut tx, caller, "rotate_secret", "device", &d.id, Some(&before), Some(&after)).await?;
    tx.commit().await?;
    app.device_cache.forget(&d.id);
    Ok(device_view(&n, now, Some(secret)))
}

// ------------------------------------------------------------------ rules

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct RuleInput {
    /// A shipped template (`GET /api/v1/rule-templates`), or …
    pub template: Option<String>,
    /// … a rule of your own (overrides the template when both are given).
    #[schema(value_type = Object)]
    pub rule: Option<Rule>,
    pub name: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RuleView {
    pub id: String,
    pub device_id: String,
    pub name: String,
    pub template_key: Option<String>,
    #[schema(value_type = Object)]
    pub rule: Rule,
    pub enabled: bool,
    /// The level of the rule's active alarm, if any.
    pub active_level: Option<String>,
    /// The last value the rule computed (value, change or sum).
    pub last_measure: Option<f64>,
}

fn rule_view(r: &DeviceRule) -> RuleView {
    let state: RuleState = serde_json::from_str(&r.state).unwrap_or_default();
    RuleView {
        id: r.id.clone(),
        device_id: r.device_id.clone(),
        name: r.name.clone(),
        template_key: r.template_key.clone(),
        rule: serde_json::from_str(&r.rule).unwrap_or_else(|_| templates()[0].rule.clone()),
        enabled: r.enabled != 0,
        active_level: state.active.map(|l| l.as_str().to_string()),
        last_measure: state.last_measure,
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TemplateView {
    pub key: String,
    pub name: String,
    pub device_type: String,
    pub basis: String,
    #[schema(value_type = Object)]
    pub rule: Rule,
}

pub fn rule_templates() -> Vec<TemplateView> {
    templates()
        .into_iter()
        .map(|t| TemplateView { key: t.key, name: t.name, device_type: t.device_type, basis: t.basis, rule: t.rule })
        .collect()
}

/// A rule must be valid and watch one of the device's metrics (or its silence).
fn check_rule(rule: &Rule, d: &Device) -> Result<()> {
    rule.validate().map_err(|e| AppError::field(&format!("rule.{}", e.field), e.message))?;
    let metrics = metric_specs(d);
    if !rule.is_offline() && !metrics.iter().any(|m| m.name == rule.metric) {
        return Err(AppError::field("rule.metric", format!("设备没有指标 {}", rule.metric)));
    }
    Ok(())
}

pub async fn add_rule(app: &App, caller: &Caller, device_id: &str, i: &RuleInput) -> Result<RuleView> {
    let mut tx = app.db.begin().await?;
    let d = device_for_change(&mut tx, caller, device_id).await?;
    let template = match &i.template {
        Some(k) => Some(
            templates()
                .into_iter()
                .find(|t| &t.key == k)
                .ok_or_else(|| AppError::field("template", format!("未知模板: {k}")))?,
        ),
        None => None,
    };
    let rule = match (&i.rule, &template) {
        (Some(r), _) => r.clone(),
        (None, Some(t)) => t.rule.clone(),
        (None, None) => return Err(AppError::field("rule", "请给出规则或模板")),
    };
    check_rule(&rule, &d)?;
    let now = now_ms();
    let r = DeviceRule {
        id: new_id(),
        device_id: d.id.clone(),
        name: i
            .name
            .clone()
            .or_else(|| template.as_ref().map(|t| t.name.clone()))
            .unwrap_or_else(|| rule.metric.clone()),
        template_key: template.map(|t| t.key),
        rule: serde_json::to_string(&rule).unwrap_or_default(),
        state: serde_json::to_string(&RuleState::default()).unwrap_or_default(),
        enabled: 1,
        created_at: now,
        updated_at: now,
    };
    monitoring::insert_rule(&mut tx, &r).await?;
    let view = rule_view(&r);
    audit::record::<(), _>(&mut tx, caller, "create", "device_rule", &r.id, None, Some(&view)).await?;
    tx.commit().await?;
    Ok(view)
}

/// A change to a rule; an absent field stays as it is.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleUpdate {
    /// The rule's new definition (validated as a new rule's).
    #[schema(value_type = Object)]
    pub rule: Option<Rule>,
    pub name: Option<String>,
    /// false: readings are still stored but the rule is no longer evaluated
    /// (neither at ingest nor by the offline job).
    pub enabled: Option<bool>,
}

/// Changes a rule's definition, name or enabled flag. A new definition, or
/// turning the rule off or on, starts its evaluation afresh (windows and
/// durations forgotten). An open alarm of the rule is never dropped by the
/// change: it stays open until a person clears it or the new definition's
/// evaluation does (the fresh state keeps the alarm's level, so a reading
/// below every new threshold clears it and one above a higher level
/// escalates it). A turned-off rule's open alarm waits for a person.
pub async fn update_rule(
    app: &App,
    caller: &Caller,
    device_id: &str,
    rule_id: &str,
    i: &RuleUpdate,
) -> Result<RuleView> {
    let mut tx = app.db.begin().await?;
    let d = device_for_change(&mut tx, caller, device_id).await?;
    let old = monitoring::rule(&mut tx, rule_id).await?.filter(|r| r.device_id == d.id).ok_or(AppError::NotFound)?;
    if i.rule.is_none() && i.name.is_none() && i.enabled.is_none() {
        return Err(AppError::field("rule", "请给出新的规则、名称或启用状态"));
    }
    let mut r = old.clone();
    let mut afresh = false;
    if let Some(rule) = &i.rule {
        check_rule(rule, &d)?;
        if serde_json::from_str::<Rule>(&old.rule).ok().as_ref() != Some(rule) {
            r.rule = serde_json::to_string(rule).unwrap_or_default();
            // The template's name stays only while the rule is still the template's.
            r.template_key =
                old.template_key.clone().filter(|k| templates().iter().any(|t| &t.key == k && &t.rule == rule));
            afresh = true;
        }
    }
    if let Some(name) = &i.name {
        if name.trim().is_empty() || name.chars().count() > 100 {
            return Err(AppError::field("name", "规则名称不能为空且不超过100个字符"));
        }
        r.name = name.trim().into();
    }
    if let Some(enabled) = i.enabled
        && i64::from(enabled) != old.enabled
    {
        r.enabled = i64::from(enabled);
        afresh = true;
    }
    if r == old {
        return Ok(rule_view(&old)); // nothing to change (the transaction rolls back)
    }
    if afresh {
        let open = monitoring::open_alarm(&mut tx, &r.id).await?;
        let state = RuleState { active: open.map(|a| parse_level(&a.level)), ..RuleState::default() };
        r.state = serde_json::to_string(&state).unwrap_or_default();
    }
    r.updated_at = now_ms();
    monitoring::update_rule(&mut tx, &r).await?;
    let view = rule_view(&r);
    audit::record(&mut tx, caller, "update", "device_rule", &r.id, Some(&rule_view(&old)), Some(&view)).await?;
    tx.commit().await?;
    Ok(view)
}

pub async fn list_rules(app: &App, caller: &Caller, device_id: &str) -> Result<Vec<RuleView>> {
    let mut c = app.db.read().await?;
    visible_device(&mut c, caller, device_id).await?;
    Ok(monitoring::rules_of(&mut c, device_id).await?.iter().map(rule_view).collect())
}

// ----------------------------------------------------------------- ingest

/// A time as epoch milliseconds or an RFC 3339 string.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum Ts {
    Millis(i64),
    Text(String),
}

impl Ts {
    fn millis(&self) -> Option<i64> {
        match self {
            Ts::Millis(m) => Some(*m),
            Ts::Text(s) => s.parse::<jiff::Timestamp>().ok().map(|t| t.as_millisecond()),
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
pub struct ReadingIn {
    pub ts: Ts,
    /// metric name → value (numbers; anything else is rejected).
    #[schema(value_type = Object)]
    pub values: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
pub struct DeviceBatch {
    pub device_id: String,
    pub secret: String,
    pub readings: Vec<ReadingIn>,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq, utoipa::ToSchema)]
pub struct IngestReport {
    /// Values stored (a value already stored is counted as a duplicate).
    pub accepted: u64,
    pub duplicates: u64,
    /// Rejected values by reason: unknown_device, bad_secret, retired_device,
    /// unknown_metric, not_a_number, non_finite, bad_timestamp,
    /// future_timestamp, too_old, too_many.
    pub rejected: BTreeMap<String, u64>,
    /// Alarm decisions taken: raise, escalate, clear.
    pub alarms: BTreeMap<String, u64>,
    /// The reading times (epoch ms) of the raises and escalations, for the
    /// alarm-latency measurement.
    #[serde(skip)]
    pub alarm_reading_times: Vec<i64>,
}

impl IngestReport {
    fn reject(&mut self, reason: &str, n: u64) {
        *self.rejected.entry(reason.into()).or_default() += n;
    }
    fn count(&mut self, d: Decision, at: i64) {
        let name = match d {
            Decision::Raise(_) => "raise",
            Decision::Escalate(_) => "escalate",
            Decision::Clear => "clear",
        };
        *self.alarms.entry(name.into()).or_default() += 1;
        if d != Decision::Clear {
            self.alarm_reading_times.push(at);
        }
    }
    pub fn merge(&mut self, o: IngestReport) {
        self.alarm_reading_times.extend(o.alarm_reading_times);
        self.accepted += o.accepted;
        self.duplicates += o.duplicates;
        for (k, v) in o.rejected {
            *self.rejected.entry(k).or_default() += v;
        }
        for (k, v) in o.alarms {
            *self.alarms.entry(k).or_default() += v;
        }
    }
}

fn values_in(b: &DeviceBatch) -> u64 {
    b.readings.iter().map(|r| r.values.len() as u64).sum()
}

pub(crate) fn same(a: &str, b: &str) -> bool {
    // Constant-time over the longer input, so timing reveals nothing.
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut diff = a.len() ^ b.len();
    for i in 0..a.len().max(b.len()) {
        diff |= usize::from(a.get(i).copied().unwrap_or(0) ^ b.get(i).copied().unwrap_or(0));
    }
    diff == 0
}

/// A device as the ingest path needs it: the row, its secret in clear and
/// its metric names. The entries are good while the device-change counter
/// is the one they were read at: every change of a device or its rules
/// (edit, retire, new secret, rule change) moves it, and each ingest reads
/// it first (one row), so a change made through any process is seen at the
/// next batch; the process that made it also drops its entry.
pub struct CachedDevice {
    pub device: Device,
    secret: String,
    metrics: Vec<String>,
    /// The device's `last_seen_at` as this process last wrote (or read) it.
    seen_written: std::sync::atomic::AtomicI64,
}

/// How far a device's last-seen time may lag behind its newest reading
/// before the ingest path writes it again: half the device's interval, at
/// most 30 s. Writing it for every batch made the `devices` row update the
/// costliest statement of a batch of one-reading messages on PostgreSQL
/// (500 of 1,780 ms); the offline job compares it with whole intervals.
fn last_seen_step_ms(d: &Device) -> i64 {
    (d.interval_s * 500).clamp(0, 30_000)
}

/// How long a rule's state may go unsaved while only its last reading time
/// and last measure changed (nothing that decides a future alarm: the
/// window, the since-times and the active level are saved whenever they
/// change).
const RULE_STATE_REFRESH_MS: i64 = 30_000;

/// Devices seen by the ingest path, by id, with the device-change count
/// they were read at (saves two queries, one of a row per device, and a
/// decryption per device per batch).
#[derive(Default, Clone)]
pub struct DeviceCache(std::sync::Arc<std::sync::Mutex<CacheEntries>>);

#[derive(Default)]
struct CacheEntries {
    /// The device-change count the entries were read at (None: never read).
    changes: Option<i64>,
    devices: std::collections::HashMap<String, std::sync::Arc<CachedDevice>>,
}

impl DeviceCache {
    fn get(&self, id: &str) -> Option<std::sync::Arc<CachedDevice>> {
        self.0.lock().ok()?.devices.get(id).cloned()
    }
    fn put(&self, d: CachedDevice) {
        if let Ok(mut m) = self.0.lock() {
            m.devices.insert(d.device.id.clone(), std::sync::Arc::new(d));
        }
    }
    /// Drops every entry when the device-change count has moved since they
    /// were read (a device changed in some process).
    fn at_changes(&self, n: i64) {
        if let Ok(mut m) = self.0.lock()
            && m.changes != Some(n)
        {
            m.devices.clear();
            m.changes = Some(n);
        }
    }
    /// Drops a device's entry (after a change to the device).
    pub fn forget(&self, id: &str) {
        if let Ok(mut m) = self.0.lock() {
            m.devices.remove(id);
        }
    }
}

/// Ingests one device's batch (HTTP or MQTT). Never fails for bad readings:
/// they are counted. Fails only when the database does.
pub async fn ingest(app: &App, b: &DeviceBatch) -> Result<IngestReport> {
    ingest_many(app, std::slice::from_ref(b)).await
}

/// Ingests many devices' batches in one transaction: every good reading
/// (one multi-row statement), the rollups of the late ones among them (the
/// rest are summed by [`seal_minutes`]), the devices' last-seen times, the
/// rules' state, and the alarms and notifications the rules decide commit
/// together. Only readings not stored before are
/// evaluated, so a redelivered message never counts twice. Bad readings are
/// counted by reason and never stop the good ones beside them. Fails only
/// when the database does (then nothing of the batch is stored).
///
/// Two batches of one device may run at the same moment (HTTP and MQTT, or
/// two replicas). Each saves its rules' state only where it is still the one
/// it read; when the other batch saved first, the batch rolls back and runs
/// again, this time holding its rules' row locks from before it reads them,
/// so it evaluates on the state the other saved and no batch's readings are
/// lost from a rule's window. (SQLite runs one write transaction at a time.)
pub async fn ingest_many(app: &App, batches: &[DeviceBatch]) -> Result<IngestReport> {
    if let Some(report) = ingest_attempt(app, batches, false).await? {
        return Ok(report);
    }
    tracing::debug!("rule state saved meanwhile by another batch: running the batch again under the rules' locks");
    ingest_attempt(app, batches, true)
        .await?
        .ok_or_else(|| AppError::Internal("rules' state changed under their row locks".into()))
}

/// One attempt of [`ingest_many`], with the rules' row locks taken before
/// they are read when `lock_rules`: None when a rule's state was saved by
/// another batch meanwhile (then nothing of this one is stored).
async fn ingest_attempt(app: &App, batches: &[DeviceBatch], lock_rules: bool) -> Result<Option<IngestReport>> {
    let mut report = IngestReport::default();
    let now = now_ms();
    // The batch's transaction starts with a share lock on the device-change
    // counter and the seals (one row each, one statement): no device or
    // rule changes and no minute or hour is sealed until it commits, and a
    // change or seal in progress is waited for. Devices then come from the cache while the
    // counter has not moved since it was read, the rest in one query.
    let ids: Vec<&str> = {
        let mut seen = std::collections::HashSet::new();
        batches.iter().map(|b| b.device_id.as_str()).filter(|id| seen.insert(*id)).collect()
    };
    let mut tx = app.db.begin().await?;
    let (changes, seals) = anjian_store::readings::batch_locks(&mut tx).await?;
    app.device_cache.at_changes(changes);
    let missing: Vec<&str> = ids.iter().copied().filter(|id| app.device_cache.get(id).is_none()).collect();
    if !missing.is_empty() {
        for d in anjian_store::readings::devices_by_id(&mut tx, &missing).await? {
            let secret = app.secrets.decrypt(&d.secret_enc)?;
            let metrics = metric_specs(&d);
            app.device_cache.put(CachedDevice {
                metrics: metrics.into_iter().map(|m| m.name).collect(),
                secret,
                seen_written: std::sync::atomic::AtomicI64::new(d.last_seen_at.unwrap_or(i64::MIN / 2)),
                device: d,
            });
        }
    }
    let mut good: Vec<Reading> = Vec::new();
    let mut devices: BTreeMap<String, std::sync::Arc<CachedDevice>> = BTreeMap::new();
    for b in batches {
        let total = values_in(b);
        if b.readings.len() > MAX_READINGS {
            report.reject("too_many", total);
            continue;
        }
        let Some(d) = app.device_cache.get(&b.device_id) else {
            report.reject("unknown_device", total);
            continue;
        };
        if !same(&d.secret, &b.secret) {
            report.reject("bad_secret", total);
            continue;
        }
        if d.device.is_retired() {
            report.reject("retired_device", total);
            continue;
        }
        for r in &b.readings {
            let n = r.values.len() as u64;
            let Some(at) = r.ts.millis() else {
                report.reject("bad_timestamp", n);
                continue;
            };
            if at > now + MAX_FUTURE_MS {
                report.reject("future_timestamp", n);
                continue;
            }
            if at < now - MAX_AGE_MS {
                report.reject("too_old", n);
                continue;
            }
            for (metric, v) in &r.values {
                if !d.metrics.iter().any(|m| m == metric) {
                    report.reject("unknown_metric", 1);
                    continue;
                }
                // JSON has no NaN/Infinity; strings like "NaN" are not numbers either.
                let Some(x) = v.as_f64() else {
                    report.reject("not_a_number", 1);
                    continue;
                };
                if !x.is_finite() {
                    report.reject("non_finite", 1);
                    continue;
                }
                good.push(Reading { device_id: d.device.id.clone(), metric: metric.clone(), at, value: x });
            }
        }
        devices.insert(d.device.id.clone(), d);
    }
    if good.is_empty() {
        tx.rollback().await?;
        return Ok(Some(report));
    }
    let mut new = anjian_store::readings::insert_readings(&mut tx, &good, now, seals.minutes).await?;
    report.accepted = new.len() as u64;
    report.duplicates = good.len() as u64 - report.accepted;
    // Only late readings (of minutes already sealed) have rollups written here.
    anjian_store::readings::add_rollups(&mut tx, &anjian_store::readings::rollups_of(&new, seals)).await?;
    let mut seen: BTreeMap<&str, i64> = BTreeMap::new();
    for r in &good {
        let e = seen.entry(r.device_id.as_str()).or_insert(r.at);
        *e = (*e).max(r.at);
    }
    let seen: Vec<(String, i64)> = seen.into_iter().map(|(d, a)| (d.to_string(), a)).collect();
    let touch: Vec<(String, i64)> = seen
        .iter()
        .filter(|(id, at)| {
            devices.get(id).is_none_or(|c| {
                *at >= c.seen_written.load(std::sync::atomic::Ordering::Relaxed) + last_seen_step_ms(&c.device)
            })
        })
        .cloned()
        .collect();
    let ids: Vec<&str> = seen.iter().map(|(d, _)| d.as_str()).collect();
    anjian_store::readings::touch_devices(&mut tx, &touch).await?;
    // Rules see each device's new readings in time order.
    new.sort_by(|a, b| (&a.device_id, a.at, &a.metric).cmp(&(&b.device_id, b.at, &b.metric)));
    if lock_rules {
        anjian_store::readings::lock_rules_of_devices(&mut tx, &ids).await?;
    }
    let rules = anjian_store::readings::rules_of_devices(&mut tx, &ids).await?;
    let mut states = Vec::new();
    for rule_row in rules.iter().filter(|r| r.enabled != 0) {
        let Some(d) = devices.get(&rule_row.device_id) else { continue };
        let Ok(rule) = serde_json::from_str::<Rule>(&rule_row.rule) else { continue };
        let mut state: RuleState = serde_json::from_str(&rule_row.state).unwrap_or_default();
        let before = state.clone();
        let lo = new.partition_point(|r| r.device_id < rule_row.device_id);
        let hi = new.partition_point(|r| r.device_id <= rule_row.device_id);
        let mine = &new[lo..hi];
        if rule.is_offline() {
            // A reading ends a silence alarm; nothing to do otherwise.
            let Some(last) = mine.last() else { continue };
            if state.active.is_none() {
                continue;
            }
            let at = last.at.max(state.last_at.unwrap_or(last.at));
            if let Some(decision) = state.observe(&rule, at, 0.0, local_md(at)) {
                report.count(decision, at);
                apply_decision(app, &mut tx, &d.device, rule_row, &rule.metric, 0.0, at, decision).await?;
            }
        } else {
            let mut any = false;
            for r in mine.iter().filter(|r| r.metric == rule.metric) {
                any = true;
                if let Some(decision) = state.observe(&rule, r.at, r.value, local_md(r.at)) {
                    report.count(decision, r.at);
                    apply_decision(app, &mut tx, &d.device, rule_row, &r.metric, r.value, r.at, decision).await?;
                }
            }
            if !any {
                continue;
            }
        }
        if !state.same_course(&before) || rule_row.updated_at < now - RULE_STATE_REFRESH_MS {
            states.push((
                rule_row.id.clone(),
                rule_row.state.clone(),
                serde_json::to_string(&state).unwrap_or_default(),
            ));
        }
    }
    if !anjian_store::readings::save_rule_states(&mut tx, &states, now).await? {
        tx.rollback().await?;
        return Ok(None);
    }
    tx.commit().await?;
    for (id, at) in &touch {
        if let Some(c) = devices.get(id) {
            c.seen_written.fetch_max(*at, std::sync::atomic::Ordering::Relaxed);
        }
    }
    Ok(Some(report))
}

/// Raises (or escalates) the offline alarm of every device that has missed
/// the intervals its offline rule names; the alarm goes through the same
/// path as a reading's (dedup, notification, emergency for red). A reading
/// clears it (see [`ingest_many`]). Returns the decisions taken.
pub async fn check_offline(app: &App, now: i64) -> Result<u64> {
    let mut c = app.db.read().await?;
    let candidates = monitoring::offline_rules(&mut c).await?;
    drop(c);
    let mut n = 0;
    for (rule_row, d) in candidates {
        let Ok(rule) = serde_json::from_str::<Rule>(&rule_row.rule) else { continue };
        let mut state: RuleState = serde_json::from_str(&rule_row.state).unwrap_or_default();
        let interval = d.interval_s.clamp(1, u32::MAX as i64) as u32;
        if anjian_domain::monitor::missed_intervals(d.last_seen_at, now, interval) < 1.0 && state.active.is_none() {
            continue;
        }
        // The stored last-seen time may lag the newest reading by up to one
        // step (see `last_seen_step_ms`): the silence counts from the newest
        // stored reading.
        let mut c = app.db.read().await?;
        let heard = last_heard(&mut c, &d).await?;
        drop(c);
        let missed = anjian_domain::monitor::missed_intervals(heard, now, interval);
        if missed < 1.0 && state.active.is_none() {
            continue;
        }
        let Some(decision) = state.observe(&rule, now, missed, local_md(now)) else { continue };
        if decision == Decision::Clear {
            // Silence clears only by a reading (the device may report late).
            continue;
        }
        let mut tx = app.db.begin().await?;
        // The device may have reported, been retired, or its rule changed
        // since the read: look again inside the transaction, under the
        // device's lock (see `monitoring::lock_device`).
        monitoring::lock_device(&mut tx, &d.id).await?;
        let fresh = monitoring::device(&mut tx, &d.id).await?.ok_or(AppError::NotFound)?;
        if fresh.is_retired() || last_heard(&mut tx, &fresh).await? != heard {
            continue;
        }
        let unchanged = monitoring::rule(&mut tx, &rule_row.id)
            .await?
            .is_some_and(|r| r.enabled != 0 && r.rule == rule_row.rule && r.state == rule_row.state);
        if !unchanged {
            continue;
        }
        apply_decision(app, &mut tx, &d, &rule_row, &rule.metric, missed, now, decision).await?;
        monitoring::save_rule_state(&mut tx, &rule_row.id, &serde_json::to_string(&state).unwrap_or_default(), now)
            .await?;
        tx.commit().await?;
        n += 1;
    }
    Ok(n)
}

/// When the device was last heard of: the newest of its stored last-seen
/// time and its stored readings (one index lookup per metric).
async fn last_heard(c: &mut AnyConnection, d: &Device) -> Result<Option<i64>> {
    let metrics = metric_specs(d);
    let mut heard = d.last_seen_at;
    for m in &metrics {
        let at = anjian_store::readings::last_reading_at(c, &d.id, &m.name).await?;
        heard = heard.max(at);
    }
    Ok(heard)
}

/// How long after a minute ends its readings are summed into its minute
/// row (readings arriving later for it still reach it: see
/// [`anjian_store::readings::rollups_of`]).
const MINUTE_SEAL_LAG_MS: i64 = 60_000;

/// How long after an hour ends its minutes are summed into its hour row.
const SEAL_LAG_MS: i64 = 2 * 60_000;

/// Seals the minute rollups of the minutes that ended at least
/// [`MINUTE_SEAL_LAG_MS`] before `now`, in steps of at most
/// [`anjian_store::readings::MINUTE_SEAL_PASS_MS`]: each moves the seal on
/// in one short transaction ([`anjian_store::readings::close_minutes`];
/// batches wait only for that) and then sums the readings left behind it in
/// another, which batches do not wait for
/// ([`anjian_store::readings::sum_minutes`]). A step a stop cut in half is
/// finished first. Returns the minute rows written, or None when there was
/// nothing to seal.
pub async fn seal_minutes(app: &App, now: i64) -> Result<Option<u64>> {
    use anjian_store::readings::MINUTE_MS;
    let until = (now - MINUTE_SEAL_LAG_MS).div_euclid(MINUTE_MS) * MINUTE_MS;
    let mut total = None;
    loop {
        let mut c = app.db.read().await?;
        let s = anjian_store::readings::seals(&mut c).await?;
        drop(c);
        if s.summed < s.minutes {
            let mut tx = app.db.begin().await?;
            let n = anjian_store::readings::sum_minutes(&mut tx).await?;
            tx.commit().await?;
            total = Some(total.unwrap_or(0) + n);
            continue;
        }
        if until <= s.minutes {
            return Ok(total);
        }
        // Moves the seal on, unless another process's seal did meanwhile: either
        // way the next look sums or returns.
        let mut tx = app.db.begin().await?;
        anjian_store::readings::close_minutes(&mut tx, until).await?;
        tx.commit().await?;
    }
}

/// Seals the hour rollups of the hours that ended at least [`SEAL_LAG_MS`]
/// before `now` and whose minutes are sealed (see
/// [`anjian_store::readings::seal_hours`]). Returns the hour rows written,
/// or None when there was nothing to seal.
pub async fn seal_hours(app: &App, now: i64) -> Result<Option<u64>> {
    use anjian_store::readings::HOUR_MS;
    let mut c = app.db.read().await?;
    let seals = anjian_store::readings::seals(&mut c).await?;
    drop(c);
    let until = (now - SEAL_LAG_MS).div_euclid(HOUR_MS) * HOUR_MS;
    if until.min(seals.summed.div_euclid(HOUR_MS) * HOUR_MS) <= seals.hours {
        return Ok(None);
    }
    let mut tx = app.db.begin().await?;
    let n = anjian_store::readings::seal_hours(&mut tx, until).await?;
    tx.commit().await?;
    Ok(n)
}

/// Deletes raw readings older than `retention_days` (the rollups stay).
pub async fn prune_readings(app: &App, now: i64, retention_days: u32) -> Result<u64> {
    prune(app, now, retention_days, Retained::Readings).await
}

/// Deletes minute rollups older than `retention_days` whose hour is sealed
/// (the hour rows stay, forever).
pub async fn prune_minute_rollups(app: &App, now: i64, retention_days: u32) -> Result<u64> {
    prune(app, now, retention_days, Retained::MinuteRollups).await
}

/// What a retention pass deletes.
enum Retained {
    Readings,
    MinuteRollups,
}

/// One retention pass, audited when it deleted anything.
async fn prune(app: &App, now: i64, retention_days: u32, what: Retained) -> Result<u64> {
    let before = now - i64::from(retention_days.max(1)) * 86_400_000;
    let mut tx = app.db.begin().await?;
    let (n, entity, id) = match what {
        Retained::Readings => {
            (anjian_store::readings::delete_readings_before(&mut tx, before).await?, "readings", "retention")
        }
        Retained::MinuteRollups => (
            anjian_store::readings::delete_minute_rollups_before(&mut tx, before).await?,
            "reading_rollups",
            "minute_retention",
        ),
    };
    if n > 0 {
        let what = serde_json::json!({"deleted": n, "before": before});
        audit::record::<(), _>(&mut tx, &Caller::system(), "prune", entity, id, None, Some(&what)).await?;
    }
    tx.commit().await?;
    Ok(n)
}

/// Monitoring upkeep settings (from the configuration).
#[derive(Debug, Clone, Copy)]
pub struct Upkeep {
    /// Raw readings are kept this many days.
    pub retention_days: u32,
    /// Minute rollups are kept this many days (hour rollups forever).
    pub minute_retention_days: u32,
    /// How often offline detection runs.
    pub every: std::time::Duration,
}

impl Default for Upkeep {
    fn default() -> Self {
        Upkeep { retention_days: 90, minute_retention_days: 365, every: std::time::Duration::from_secs(30) }
    }
}

/// Runs offline detection and the minute and hour seals every `every`, and the retentions
/// once an hour, forever.
pub async fn run_upkeep(app: App, upkeep: Upkeep) {
    let mut tick = tokio::time::interval(upkeep.every);
    let mut last_prune = 0i64;
    loop {
        tick.tick().await;
        let now = now_ms();
        match check_offline(&app, now).await {
            Ok(n) if n > 0 => tracing::info!(decisions = n, "offline detection"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "offline detection failed"),
        }
        match seal_minutes(&app, now).await {
            Ok(Some(n)) => tracing::debug!(minute_rows = n, "minute rollups sealed"),
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "sealing minute rollups failed"),
        }
        match seal_hours(&app, now).await {
            Ok(Some(n)) => tracing::info!(hour_rows = n, "hour rollups sealed"),
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "sealing hour rollups failed"),
        }
        if now - last_prune >= 3_600_000 {
            match prune_readings(&app, now, upkeep.retention_days).await {
                Ok(n) => {
                    last_prune = now;
                    if n > 0 {
                        tracing::info!(deleted = n, days = upkeep.retention_days, "raw readings pruned");
                    }
                }
                Err(e) => tracing::warn!(error = %e, "readings retention failed"),
            }
            match prune_minute_rollups(&app, now, upkeep.minute_retention_days).await {
                Ok(n) if n > 0 => {
                    tracing::info!(deleted = n, days = upkeep.minute_retention_days, "minute rollups pruned")
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "minute rollups retention failed"),
            }
        }
    }
}

fn local_md(at_ms: i64) -> (u8, u8) {
    jiff::Timestamp::from_millisecond(at_ms)
        .map(|t| {
            let d = t.to_zoned_datetime(crate::time::shanghai()).date();
            (d.month() as u8, d.day() as u8)
        })
        .unwrap_or((1, 1))
}

#[allow(clippy::too_many_arguments)]
async fn apply_decision(
    app: &App,
    c: &mut AnyConnection,
    d: &Device,
    rule: &DeviceRule,
    metric: &str,
    x: f64,
    at: i64,
    decision: Decision,
) -> Result<()> {
    let open = monitoring::open_alarm(c, &rule.id).await?;
    let (alarm, event, level) = match (decision, open) {
        (Decision::Raise(l) | Decision::Escalate(l), None) => {
            let a = Alarm {
                id: new_id(),
                device_id: d.id.clone(),
                rule_id: rule.id.clone(),
                open_key: Some(rule.id.clone()),
                region_code: d.region_code.clone(),
                enterprise_id: d.enterprise_id.clone(),
                metric: metric.into(),
                level: l.as_str().into(),
                state: "active".into(),
                raised_at: at,
                level_at: at,
                last_value: x,
                peak_value: x,
                acknowledged_by: None,
                acknowledged_at: None,
                cleared_by: None,
                cleared_at: None,
            };
            monitoring::insert_alarm(c, &a).await?;
            (a, "raise", l)
        }
        (Decision::Raise(l) | Decision::Escalate(l), Some(mut a)) => {
            // Escalation re-opens attention: an acknowledged alarm becomes active again.
            a.level = l.as_str().into();
            a.level_at = at;
            a.state = "active".into();
            a.last_value = x;
            a.peak_value = if x.abs() > a.peak_value.abs() { x } else { a.peak_value };
            monitoring::update_alarm(c, &a).await?;
            (a, "escalate", l)
        }
        (Decision::Clear, Some(mut a)) => {
            a.state = "cleared".into();
            a.open_key = None;
            a.cleared_at = Some(at);
            a.cleared_by = Some("rule".into());
            a.last_value = x;
            monitoring::update_alarm(c, &a).await?;
            let l = parse_level(&a.level);
            (a, "clear", l)
        }
        (Decision::Clear, None) => return Ok(()),
    };
    let ev = AlarmEvent {
        id: new_id(),
        alarm_id: alarm.id.clone(),
        at,
        actor_name: "规则".into(),
        event: event.into(),
        level: level.as_str().into(),
        value: Some(x),
        note: None,
    };
    record_alarm_event(c, &alarm, &ev, "system").await?;
    audit::record::<(), _>(c, &Caller::system(), event, "alarm", &alarm.id, None, Some(&alarm)).await?;
    if event != "clear" {
        // The enterprise head always; the region's supervisors: all levels for red, the closest otherwise.
        let mut to = notifications::enterprise_users(c, &d.enterprise_id, "enterprise-head").await?;
        let sups = notifications::supervisors_of(c, &d.region_code).await?;
        let closest = sups.first().map(|(_, _, r)| r.clone());
        to.extend(
            sups.into_iter().filter(|(_, _, r)| level == Level::Red || Some(r) == closest.as_ref()).map(|(id, ..)| id),
        );
        let title = format!("【{}】{} {}", level.label(), d.name, rule.name);
        let body = format!("{metric} = {x}（{}）", crate::time::fmt_local(at));
        crate::hazards::notify_users(app, c, &to, "alarm", &title, &body, None).await?;
        if level == Level::Red {
            crate::emergency::open_for_red(c, &alarm, &title, &to).await?;
        }
    }
    if event == "raise" {
        // A rule that keeps alarming points at a hazard on site.
        let repeat = serde_json::from_str::<anjian_domain::monitor::Rule>(&rule.rule)
            .map(|r| r.repeat_to_hazard)
            .unwrap_or_default();
        let since = at - i64::from(repeat.window_days) * 86_400_000;
        let n = monitoring::alarms_of_rule_since(c, &rule.id, since).await?;
        if n >= i64::from(repeat.count) {
            crate::hazards::report_from_alarms(app, c, d, &rule.id, &rule.name, &alarm, n, repeat.window_days).await?;
        }
    }
    Ok(())
}

fn parse_level(s: &str) -> Level {
    Level::ALL.into_iter().find(|l| l.as_str() == s).unwrap_or(Level::Blue)
}

// ----------------------------------------------------------------- alarms

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AlarmView {
    pub id: String,
    pub device_id: String,
    pub rule_id: String,
    pub region_code: String,
    pub enterprise_id: String,
    pub metric: String,
    pub level: String,
    pub level_label: String,
    /// active | acknowledged | cleared
    pub state: String,
    pub raised_at: String,
    pub level_at: String,
    pub last_value: f64,
    pub peak_value: f64,
    pub acknowledged_at: Option<String>,
    pub cleared_at: Option<String>,
}

fn alarm_view(a: &Alarm) -> AlarmView {
    AlarmView {
        id: a.id.clone(),
        device_id: a.device_id.clone(),
        rule_id: a.rule_id.clone(),
        region_code: a.region_code.clone(),
        enterprise_id: a.enterprise_id.clone(),
        metric: a.metric.clone(),
        level: a.level.clone(),
        level_label: parse_level(&a.level).label().into(),
        state: a.state.clone(),
        raised_at: crate::time::fmt_local(a.raised_at),
        level_at: crate::time::fmt_local(a.level_at),
        last_value: a.last_value,
        peak_value: a.peak_value,
        acknowledged_at: a.acknowledged_at.map(crate::time::fmt_local),
        cleared_at: a.cleared_at.map(crate::time::fmt_local),
    }
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct AlarmFilter {
    /// open | active | acknowledged | cleared
    pub state: Option<String>,
    pub device_id: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

pub async fn list_alarms(app: &App, caller: &Caller, f: &AlarmFilter) -> Result<(Vec<AlarmView>, i64)> {
    if let Some(s) = &f.state
        && !["open", "active", "acknowledged", "cleared"].contains(&s.as_str())
    {
        return Err(AppError::field("state", "应为 open、active、acknowledged 或 cleared"));
    }
    let mut c = app.db.read().await?;
    let (rows, total) = monitoring::alarms(
        &mut c,
        &caller.scope,
        f.state.as_deref(),
        f.device_id.as_deref(),
        Page::new(f.page, f.per_page),
    )
    .await?;
    Ok((rows.iter().map(alarm_view).collect(), total))
}

async fn visible_alarm(c: &mut AnyConnection, caller: &Caller, id: &str) -> Result<Alarm> {
    let a = monitoring::alarm(c, id).await?.ok_or(AppError::NotFound)?;
    let r = RegionCode::parse("region", &a.region_code).map_err(|e| AppError::Internal(e.to_string()))?;
    if caller.scope.allows(&r, Some(&a.enterprise_id)) { Ok(a) } else { Err(AppError::NotFound) }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AlarmDetail {
    pub alarm: AlarmView,
    pub events: Vec<AlarmEventView>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AlarmEventView {
    pub at: String,
    pub actor_name: String,
    pub event: String,
    pub level: String,
    pub value: Option<f64>,
    pub note: Option<String>,
}

pub async fn get_alarm(app: &App, caller: &Caller, id: &str) -> Result<AlarmDetail> {
    let mut c = app.db.read().await?;
    let a = visible_alarm(&mut c, caller, id).await?;
    let events = monitoring::alarm_events(&mut c, id)
        .await?
        .into_iter()
        .map(|e| AlarmEventView {
            at: crate::time::fmt_local(e.at),
            actor_name: e.actor_name,
            event: e.event,
            level: e.level,
            value: e.value,
            note: e.note,
        })
        .collect();
    Ok(AlarmDetail { alarm: alarm_view(&a), events })
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct AlarmActionInput {
    /// acknowledge | clear
    pub action: String,
    pub note: Option<String>,
}

/// A person acknowledges (active → acknowledged) or clears an alarm.
/// Stores an alarm's event and puts it on the evidence ledger (same
/// transaction). Readings are logged as text: the ledger's canonical JSON
/// holds integers only.
async fn record_alarm_event(c: &mut AnyConnection, a: &Alarm, ev: &AlarmEvent, actor: &str) -> Result<()> {
    monitoring::insert_alarm_event(c, ev).await?;
    let fields = serde_json::json!({
        "device": a.device_id, "rule": a.rule_id, "level": ev.level, "state": a.state,
        "value": ev.value.map(|v| v.to_string()),
    });
    let content = serde_json::json!({
        "id": ev.id, "alarm_id": ev.alarm_id, "at": ev.at, "actor_name": ev.actor_name, "event": ev.event,
        "level": ev.level, "value": ev.value.map(|v| v.to_string()), "note": ev.note,
    });
    let kind = format!("alarm.{}", ev.event);
    crate::ledger::append(
        c,
        &ev.id,
        &crate::ledger::Record { kind: &kind, subject: &a.id, actor, time_ms: ev.at, fields, content },
    )
    .await
}

pub async fn act_on_alarm(app: &App, caller: &Caller, id: &str, i: &AlarmActionInput) -> Result<AlarmView> {
    let mut tx = app.db.begin().await?;
    let mut a = visible_alarm(&mut tx, caller, id).await?;
    let before = a.clone();
    let now = now_ms();
    match (i.action.as_str(), a.state.as_str()) {
        ("acknowledge", "active") => {
            a.state = "acknowledged".into();
            a.acknowledged_by = caller.actor_id();
            a.acknowledged_at = Some(now);
        }
        ("clear", "active" | "acknowledged") => {
            if i.note.as_deref().is_none_or(|n| n.trim().is_empty()) {
                return Err(AppError::field("note", "人工解除须填写原因"));
            }
            clear_by_person(&mut tx, caller, &mut a, now).await?;
        }
        ("acknowledge" | "clear", s) => {
            return Err(AppError::field("action", format!("告警当前状态为 {s}，不能执行该操作")));
        }
        (other, _) => return Err(AppError::field("action", format!("未知操作: {other}"))),
    }
    record_person_action(&mut tx, caller, &before, &a, &i.action, i.note.as_deref(), now).await?;
    if i.action == "acknowledge" {
        crate::emergency::acknowledged(&mut tx, &a.id, caller, now).await?;
    }
    tx.commit().await?;
    Ok(alarm_view(&a))
}

/// A person clears an open alarm: the rule starts afresh (if the condition
/// persists it raises a new alarm).
async fn clear_by_person(c: &mut AnyConnection, caller: &Caller, a: &mut Alarm, now: i64) -> Result<()> {
    a.state = "cleared".into();
    a.open_key = None;
    a.cleared_by = caller.actor_id();
    a.cleared_at = Some(now);
    if let Some(r) = monitoring::rule(c, &a.rule_id).await? {
        let mut st: RuleState = serde_json::from_str(&r.state).unwrap_or_default();
        st.reset();
        monitoring::save_rule_state(c, &r.id, &serde_json::to_string(&st).unwrap_or_default(), now).await?;
    }
    Ok(())
}

/// Stores a person's change of an alarm with its event (on the ledger) and audit row.
async fn record_person_action(
    c: &mut AnyConnection,
    caller: &Caller,
    before: &Alarm,
    a: &Alarm,
    action: &str,
    note: Option<&str>,
    now: i64,
) -> Result<()> {
    monitoring::update_alarm(c, a).await?;
    let ev = AlarmEvent {
        id: new_id(),
        alarm_id: a.id.clone(),
        at: now,
        actor_name: caller.display_name.clone(),
        event: action.into(),
        level: a.level.clone(),
        value: None,
        note: note.map(Into::into),
    };
    record_alarm_event(c, a, &ev, &crate::ledger::actor_of(caller)).await?;
    audit::record(c, caller, action, "alarm", &a.id, Some(before), Some(a)).await
}

// ----------------------------------------------------------------- series

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct SeriesParams {
    /// The metric (one of the device's).
    pub metric: String,
    /// Start (epoch ms or RFC 3339; default 24 hours before `to`).
    pub from: Option<String>,
    /// End, exclusive (epoch ms or RFC 3339; default now).
    pub to: Option<String>,
    /// raw | minute | hour (default minute).
    pub step: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SeriesPoint {
    /// Epoch ms UTC (a reading's time, or its bucket's start).
    pub at: i64,
    /// The reading (raw), or the bucket's mean.
    pub value: f64,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub count: Option<i64>,
    /// The bucket's last reading.
    pub last: Option<f64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Series {
    pub device_id: String,
    pub metric: String,
    pub unit: String,
    pub step: String,
    pub from: i64,
    pub to: i64,
    pub points: Vec<SeriesPoint>,
    /// More points than the limit (10,000) lay in the range.
    pub truncated: bool,
}

/// Most points returned by one series request.
pub const SERIES_LIMIT: i64 = 10_000;

fn parse_time(field: &str, s: &str) -> Result<i64> {
    if let Ok(ms) = s.parse::<i64>() {
        return Ok(ms);
    }
    s.parse::<jiff::Timestamp>()
        .map(|t| t.as_millisecond())
        .map_err(|_| AppError::field(field, "应为毫秒时间戳或 RFC 3339 时间"))
}

/// A device's readings of one metric over time, raw or as minute/hour
/// rollups (min, max, mean, count, last per bucket).
pub async fn series(app: &App, caller: &Caller, device_id: &str, p: &SeriesParams) -> Result<Series> {
    let step = p.step.as_deref().unwrap_or("minute");
    if !["raw", "minute", "hour"].contains(&step) {
        return Err(AppError::field("step", "应为 raw、minute 或 hour"));
    }
    let now = now_ms();
    let to = p.to.as_deref().map(|t| parse_time("to", t)).transpose()?.unwrap_or(now);
    let from = p.from.as_deref().map(|t| parse_time("from", t)).transpose()?.unwrap_or(to - 86_400_000);
    if from >= to {
        return Err(AppError::field("from", "起始时间应早于结束时间"));
    }
    let mut c = app.db.read().await?;
    let d = visible_device(&mut c, caller, device_id).await?;
    let metrics = metric_specs(&d);
    let Some(m) = metrics.iter().find(|m| m.name == p.metric) else {
        return Err(AppError::field("metric", format!("设备没有指标 {}", p.metric)));
    };
    let points: Vec<SeriesPoint> = if step == "raw" {
        anjian_store::readings::raw_series(&mut c, &d.id, &m.name, from, to, SERIES_LIMIT + 1)
            .await?
            .into_iter()
            .map(|(at, value)| SeriesPoint { at, value, min: None, max: None, count: None, last: None })
            .collect()
    } else {
        let ms = if step == "hour" { 3_600_000 } else { 60_000 };
        let first = from.div_euclid(ms) * ms;
        anjian_store::readings::rollup_series(&mut c, &d.id, &m.name, step, first, to, SERIES_LIMIT + 1)
            .await?
            .into_iter()
            .map(|r| SeriesPoint {
                at: r.bucket,
                value: r.sum_value / r.n.max(1) as f64,
                min: Some(r.min_value),
                max: Some(r.max_value),
                count: Some(r.n),
                last: Some(r.last_value),
            })
            .collect()
    };
    let truncated = points.len() as i64 > SERIES_LIMIT;
    let mut points = points;
    points.truncate(SERIES_LIMIT as usize);
    Ok(Series {
        device_id: d.id,
        metric: m.name.clone(),
        unit: m.unit.clone(),
        step: step.into(),
        from,
        to,
        points,
        truncated,
    })
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct LatestParams {
    /// Region code (default: the caller's own); must lie in the caller's scope.
    pub region: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LatestValue {
    pub metric: String,
    pub unit: String,
    pub value: f64,
    /// Asia/Shanghai.
    pub at: String,
    pub at_ms: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DeviceLatest {
    pub device_id: String,
    pub name: String,
    pub device_type: String,
    pub enterprise_id: String,
    pub region_code: String,
    pub offline: bool,
    pub values: Vec<LatestValue>,
}

/// The latest value of every metric of the region's devices (a page of
/// devices by region and name), with their offline flag.
pub async fn latest(app: &App, caller: &Caller, p: &LatestParams) -> Result<(Vec<DeviceLatest>, i64)> {
    let region = match p.region.as_deref().or(caller.region_code.as_deref()) {
        Some(r) => Some(RegionCode::parse("region", r)?),
        None => None,
    };
    if let (Some(r), anjian_domain::role::Scope::Region(own)) = (&region, &caller.scope)
        && !own.contains(r)
    {
        return Err(AppError::Forbidden);
    }
    let mut c = app.db.read().await?;
    let (rows, total) = anjian_store::readings::latest_values(
        &mut c,
        &caller.scope,
        region.as_ref().map(|r| r.prefix()),
        Page::new(p.page, p.per_page),
    )
    .await?;
    let now = now_ms();
    let mut out: Vec<DeviceLatest> = Vec::new();
    let mut units: std::collections::HashMap<String, Vec<MetricSpec>> = Default::default();
    for r in rows {
        if out.last().is_none_or(|d| d.device_id != r.device_id) {
            out.push(DeviceLatest {
                device_id: r.device_id.clone(),
                name: r.name.clone(),
                device_type: r.device_type.clone(),
                enterprise_id: r.enterprise_id.clone(),
                region_code: r.region_code.clone(),
                offline: anjian_domain::monitor::is_offline(
                    r.last_seen_at,
                    now,
                    r.interval_s.clamp(1, u32::MAX as i64) as u32,
                    3,
                ),
                values: vec![],
            });
        }
        if let (Some(metric), Some(at), Some(value)) = (r.metric, r.at, r.value) {
            if !units.contains_key(&r.device_id) {
                units.insert(r.device_id.clone(), serde_json::from_str(&r.metrics).unwrap_or_default());
            }
            let unit =
                units[&r.device_id].iter().find(|m| m.name == metric).map(|m| m.unit.clone()).unwrap_or_default();
            if let Some(d) = out.last_mut() {
                d.values.push(LatestValue { metric, unit, value, at: crate::time::fmt_local(at), at_ms: at });
            }
        }
    }
    Ok((out, total))
}
