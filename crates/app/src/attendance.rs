//! Leader on duty (带班) and attendance (I4): check-ins of leaders and
//! workers by face recognition, QR scan or the API (from a person's account
//! or from a registered face terminal with its own secret); a special
//! operation is checked against the person's certificates at check-in;
//! on-duty rates by enterprise, industry and month; safety trainings and
//! their sign-ins. Every check-in and sign-in is on the evidence ledger.

use crate::hazards::notify_users;
use crate::registry::visible_enterprise;
use crate::{App, AppError, Caller, Result, audit, ledger, time};
use anjian_domain::ids::RegionCode;
use anjian_domain::inspection as rules;
use anjian_domain::role::Role;
use anjian_store::inspections::{self as store, Checkin, CheckinQuery, Training};
use anjian_store::{AnyConnection, enterprises, new_id, notifications, now_ms, people};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::{BTreeMap, HashMap, HashSet};

// ---------------------------------------------------------------- duty rules

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DutyRule {
    pub shifts: u32,
    /// `HH:MM` the first shift starts.
    pub first_shift_start: String,
    #[serde(default)]
    pub basis: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DutyRules {
    pub version: u32,
    #[serde(default)]
    pub note: String,
    /// Industries that need a leader on duty, by industry code.
    pub industries: BTreeMap<String, DutyRule>,
}

const DUTY: &str = include_str!("../data/duty.json");

pub fn duty_rules() -> Result<DutyRules> {
    serde_json::from_str(DUTY).map_err(|e| AppError::Internal(format!("duty.json: {e}")))
}

impl DutyRule {
    fn first_start_min(&self) -> u32 {
        let (h, m) = self.first_shift_start.split_once(':').unwrap_or(("0", "0"));
        h.parse::<u32>().unwrap_or(0) * 60 + m.parse::<u32>().unwrap_or(0)
    }
}

/// (`YYYY-MM-DD`, minute of day) in Shanghai.
fn local_day_minute(ms: i64) -> (String, u32) {
    let z = jiff::Timestamp::from_millisecond(ms).unwrap_or_default().to_zoned_datetime(time::shanghai());
    (z.date().to_string(), z.hour() as u32 * 60 + z.minute() as u32)
}

/// The duty day and shift of a check-in: a night shift that began the day
/// before belongs to that day.
fn duty_slot(rule: Option<&DutyRule>, ms: i64) -> (String, i64) {
    let (day, minute) = local_day_minute(ms);
    let Some(r) = rule else { return (day, 0) };
    let start = r.first_start_min();
    let shift = rules::shift_of(minute, r.shifts, start);
    if minute < start {
        let (prev, _) = local_day_minute(ms - 86_400_000);
        return (prev, i64::from(shift));
    }
    (day, i64::from(shift))
}

// ------------------------------------------------------------------ check-in

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct CheckinInput {
    /// A person of the enterprise's registry.
    pub person_id: String,
    /// leader (带班领导) | worker
    pub role: String,
    /// face | qr | manual
    pub method: String,
    /// The special operation the worker is about to do (e.g. 低压电工作业):
    /// checked against the person's certificates.
    pub operation: Option<String>,
    /// Face-match confidence from the terminal, 0–1.
    pub match_score: Option<f64>,
    /// When (RFC 3339); default now.
    pub at: Option<String>,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    /// A client-chosen key: the same key never records two check-ins.
    pub key: Option<String>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct DeviceCheckins {
    /// A registered `face_terminal` device.
    pub device_id: String,
    pub secret: String,
    pub checkins: Vec<CheckinInput>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CheckinView {
    pub id: String,
    pub enterprise_id: String,
    pub person_id: String,
    pub person_name: String,
    pub role: String,
    pub method: String,
    pub device_id: Option<String>,
    pub operation: Option<String>,
    /// For a special operation: a valid certificate covers it.
    pub certified: Option<bool>,
    pub match_score: Option<f64>,
    pub at: String,
    pub day: String,
    pub shift: i64,
}

#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub struct DeviceCheckinReport {
    pub accepted: usize,
    pub duplicates: usize,
    pub rejected: Vec<Rejected>,
    pub checkins: Vec<CheckinView>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Rejected {
    pub index: usize,
    pub field: String,
    pub message: String,
}

#[derive(Debug, Deserialize)]
struct Certificate {
    kind: String,
    #[serde(default)]
    expires_on: Option<String>,
}

/// Whether one of the certificates (JSON array) covers `operation` on `day`.
fn certified_for(certificates: &str, operation: &str, day: &str) -> bool {
    let certs: Vec<Certificate> = serde_json::from_str(certificates).unwrap_or_default();
    certs.iter().any(|c| c.kind.contains(operation) && c.expires_on.as_deref().is_none_or(|e| e >= day))
}

fn check_input(i: &CheckinInput, now: i64) -> Result<i64> {
    if i.role != "leader" && i.role != "worker" {
        return Err(AppError::field("role", "身份应为 leader（带班领导）或 worker"));
    }
    if !["face", "qr", "manual"].contains(&i.method.as_str()) {
        return Err(AppError::field("method", "方式应为 face、qr 或 manual"));
    }
    if let Some(s) = i.match_score
        && (!s.is_finite() || !(0.0..=1.0).contains(&s))
    {
        return Err(AppError::field("match_score", "比对分数应在 0 到 1 之间"));
    }
    if let Some(o) = &i.operation
        && (o.trim().is_empty() || o.chars().count() > 50)
    {
        return Err(AppError::field("operation", "作业类别不能为空且不超过50个字符"));
    }
    if let Some(k) = &i.key
        && (k.is_empty() || k.len() > 200)
    {
        return Err(AppError::field("key", "幂等键长度应为 1 到 200 个字符"));
    }
    anjian_domain::registry::validate_point(i.lng, i.lat)
        .map_err(|e| AppError::field(if e.field == "lon" { "lng" } else { "lat" }, e.message))?;
    let at = match &i.at {
        Some(s) => time::parse_instant("at", s)?,
        None => now,
    };
    if at > now + 5 * 60_000 {
        return Err(AppError::field("at", "考勤时间不能晚于当前时间"));
    }
    if at < now - 30 * 86_400_000 {
        return Err(AppError::field("at", "只能补录30天内的考勤"));
    }
    Ok(at)
}

/// Records one check-in inside `c`; None when its key was seen before.
async fn record(
    app: &App,
    c: &mut AnyConnection,
    actor: &Caller,
    enterprise: &enterprises::Enterprise,
    device_id: Option<&str>,
    i: &CheckinInput,
    key: Option<String>,
) -> Result<Option<(Checkin, String)>> {
    let now = now_ms();
    let at = check_input(i, now)?;
    if let Some(k) = &key
        && store::checkin_by_key(c, k).await?.is_some()
    {
        return Ok(None);
    }
    let (person, _) = people::get(c, &i.person_id).await?.ok_or_else(|| AppError::field("person_id", "人员不存在"))?;
    if person.enterprise_id != enterprise.id {
        return Err(AppError::field("person_id", "该人员不属于本企业"));
    }
    let duty = duty_rules()?;
    let (day, shift) = duty_slot(duty.industries.get(&enterprise.industry), at);
    let certified = i.operation.as_deref().map(|o| certified_for(&person.certificates, o.trim(), &day));
    let k = Checkin {
        id: new_id(),
        enterprise_id: enterprise.id.clone(),
        region_code: enterprise.region_code.clone(),
        person_id: person.id.clone(),
        role: i.role.clone(),
        method: i.method.clone(),
        device_id: device_id.map(Into::into),
        operation: i.operation.as_deref().map(|o| o.trim().to_string()),
        certified: certified.map(i64::from),
        match_score: i.match_score,
        at,
        day,
        shift,
        lon: i.lng,
        lat: i.lat,
        idempotency_key: key,
        created_at: now,
    };
    store::insert_checkin(c, &k).await?;
    audit::record::<(), _>(c, actor, "checkin", "attendance", &k.id, None, Some(&k)).await?;
    let fields = json!({"checkin": k.id, "enterprise": k.enterprise_id, "person": k.person_id, "role": k.role,
        "method": k.method, "device": k.device_id, "day": k.day, "shift": k.shift, "certified": certified});
    ledger::append(
        c,
        &format!("attendance/{}", k.id),
        &ledger::Record {
            kind: "attendance.checkin",
            subject: &k.id,
            actor: &device_id.map(|d| format!("device:{d}")).unwrap_or_else(|| ledger::actor_of(actor)),
            time_ms: k.at,
            content: serde_json::to_value(&k).map_err(|e| AppError::Internal(e.to_string()))?,
            fields,
        },
    )
    .await?;
    if certified == Some(false) {
        // An uncertified worker about to do a special operation: tell the
        // enterprise's head and the region's officers at once.
        let mut to = notifications::enterprise_users(c, &enterprise.id, Role::EnterpriseHead.as_str()).await?;
        let sups = notifications::supervisors_of(c, &enterprise.region_code).await?;
        to.extend(crate::hazards::closest_supervisors(&sups, &enterprise.region_code));
        let title = format!("未持证人员拟从事特种作业：{}", enterprise.name);
        let body = format!(
            "{} 于 {} 考勤拟从事「{}」，未查到有效的特种作业操作证，请立即制止并核查。",
            person.name,
            time::fmt_local(k.at),
            k.operation.as_deref().unwrap_or_default()
        );
        notify_users(app, c, &to, "uncertified", &title, &body, None).await?;
    }
    Ok(Some((k, person.name)))
}

fn checkin_view(k: Checkin, person_name: String) -> CheckinView {
    CheckinView {
        at: time::fmt_local(k.at),
        certified: k.certified.map(|v| v != 0),
        id: k.id,
        enterprise_id: k.enterprise_id,
        person_id: k.person_id,
        person_name,
        role: k.role,
        method: k.method,
        device_id: k.device_id,
        operation: k.operation,
        match_score: k.match_score,
        day: k.day,
        shift: k.shift,
    }
}

/// A check-in entered by an account of the enterprise (or a regulator in
/// scope). The same `key` (or `Idempotency-Key`) returns the first check-in.
pub async fn check_in(
    app: &App,
    caller: &Caller,
    enterprise_id: &str,
    i: &CheckinInput,
) -> Result<(CheckinView, bool)> {
    let key = i.key.as_ref().map(|k| format!("u:{}:{k}", caller.user_id));
    let mut tx = app.db.begin().await?;
    let e = visible_enterprise(&mut tx, caller, enterprise_id).await?;
    match record(app, &mut tx, caller, &e, None, i, key.clone()).await? {
        Some((k, name)) => {
            tx.commit().await?;
            Ok((checkin_view(k, name), true))
        }
        None => {
            let k =
                store::checkin_by_key(&mut tx, key.as_deref().unwrap_or_default()).await?.ok_or(AppError::NotFound)?;
            let name = people::get(&mut tx, &k.person_id).await?.map(|(p, _)| p.name).unwrap_or_default();
            Ok((checkin_view(k, name), false))
        }
    }
}

/// Check-ins from a face terminal, authenticated by the device's own
/// secret. Each is stored on its own: a bad one is reported by index and
/// never drops the good ones beside it.
pub async fn device_check_in(app: &App, b: &DeviceCheckins) -> Result<DeviceCheckinReport> {
    if b.checkins.len() > 1000 {
        return Err(AppError::field("checkins", "每批最多1000条"));
    }
    let d = {
        let mut c = app.db.read().await?;
        anjian_store::monitoring::device(&mut c, &b.device_id).await?
    };
    let Some(d) = d else { return Err(AppError::Unauthorized) };
    let secret = app.secrets.decrypt(&d.secret_enc)?;
    if !crate::monitoring::same(&secret, &b.secret) {
        return Err(AppError::Unauthorized);
    }
    if d.device_type != "face_terminal" {
        return Err(AppError::field("device_id", "只有人脸识别考勤机可以上传考勤"));
    }
    let actor = Caller { username: format!("device:{}", d.id), display_name: d.name.clone(), ..Caller::system() };
    let mut report = DeviceCheckinReport::default();
    for (n, i) in b.checkins.iter().enumerate() {
        let key = i.key.as_ref().map(|k| format!("d:{}:{k}", d.id));
        let mut tx = app.db.begin().await?;
        let e = enterprises::get(&mut tx, &d.enterprise_id).await?.ok_or(AppError::NotFound)?;
        match record(app, &mut tx, &actor, &e, Some(&d.id), i, key).await {
            Ok(Some((k, name))) => {
                tx.commit().await?;
                report.accepted += 1;
                report.checkins.push(checkin_view(k, name));
            }
            Ok(None) => report.duplicates += 1,
            Err(AppError::Invalid(f)) => {
                report.rejected.push(Rejected { index: n, field: f.field, message: f.message })
            }
            Err(e) => return Err(e),
        }
    }
    Ok(report)
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct CheckinFilter {
    pub region: Option<String>,
    pub enterprise_id: Option<String>,
    /// leader | worker
    pub role: Option<String>,
    /// `YYYY-MM-DD`, inclusive.
    pub from: Option<String>,
    pub to: Option<String>,
    /// Only special operations without a valid certificate.
    #[serde(default)]
    pub uncertified: bool,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

fn region_prefix(caller: &Caller, r: Option<&str>) -> Result<Option<String>> {
    let Some(r) = r else { return Ok(None) };
    let r = RegionCode::parse("region", r)?;
    if !caller.scope.allows_region(&r) {
        return Err(AppError::Forbidden);
    }
    Ok(Some(r.prefix().to_string()))
}

pub async fn checkins(app: &App, caller: &Caller, f: &CheckinFilter) -> Result<Vec<CheckinView>> {
    for (field, d) in [("from", &f.from), ("to", &f.to)] {
        if let Some(d) = d {
            anjian_domain::registry::validate_date(field, d)?;
        }
    }
    let q = CheckinQuery {
        region_prefix: region_prefix(caller, f.region.as_deref())?,
        enterprise_id: f.enterprise_id.clone(),
        role: f.role.clone(),
        from_day: f.from.clone(),
        to_day: f.to.clone(),
        uncertified_only: f.uncertified,
    };
    let mut c = app.db.read().await?;
    if let Some(e) = &f.enterprise_id {
        visible_enterprise(&mut c, caller, e).await?;
    }
    let ks =
        store::checkins(&mut c, &caller.scope, &q, Some(anjian_store::filter::Page::new(f.page, f.per_page))).await?;
    let mut names: HashMap<String, String> = HashMap::new();
    let mut out = Vec::with_capacity(ks.len());
    for k in ks {
        if !names.contains_key(&k.person_id) {
            let n = people::get(&mut c, &k.person_id).await?.map(|(p, _)| p.name).unwrap_or_default();
            names.insert(k.person_id.clone(), n);
        }
        let n = names[&k.person_id].clone();
        out.push(checkin_view(k, n));
    }
    Ok(out)
}

// ---------------------------------------------------------------- duty rates

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct DutyRateParams {
    pub region: Option<String>,
    /// `YYYY-MM`; default this month (up to today).
    pub month: Option<String>,
    /// Months back from `month` for the monthly trend (1–24, default 6).
    pub months: Option<u32>,
}

#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct DutyRate {
    /// Shifts that needed a leader on duty.
    pub required: u64,
    /// Of those, shifts with a leader's check-in.
    pub covered: u64,
    pub rate: Option<f64>,
}

impl DutyRate {
    fn add(&mut self, required: u64, covered: u64) {
        self.required += required;
        self.covered += covered;
        self.rate = rules::duty_rate(self.required, self.covered);
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EnterpriseDuty {
    pub enterprise_id: String,
    pub enterprise_name: String,
    pub industry: String,
    pub region_code: String,
    #[serde(flatten)]
    pub rate: DutyRate,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MonthDuty {
    pub month: String,
    #[serde(flatten)]
    pub rate: DutyRate,
    pub by_industry: BTreeMap<String, DutyRate>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DutyRatesView {
    pub month: String,
    /// The industries that need a leader on duty, with shifts per day.
    #[schema(value_type = Object)]
    pub rules: BTreeMap<String, DutyRule>,
    pub total: DutyRate,
    pub by_industry: BTreeMap<String, DutyRate>,
    /// Lowest rate first.
    pub enterprises: Vec<EnterpriseDuty>,
    /// Oldest month first, ending with `month`.
    pub trend: Vec<MonthDuty>,
}

/// The days of a month that count: up to yesterday for the current month
/// (today is not over), none for a future month.
fn days_counted(month: &str, today: &str) -> Result<Vec<String>> {
    let first = time::parse_month("month", month)?;
    let mut out = Vec::new();
    let mut d = first;
    while d.month() == first.month() && d.to_string().as_str() < today {
        out.push(d.to_string());
        d = d.tomorrow().map_err(|e| AppError::Internal(e.to_string()))?;
    }
    Ok(out)
}

/// On-duty (带班) rates by enterprise, industry and month, within scope.
pub async fn duty_rates(app: &App, caller: &Caller, p: &DutyRateParams) -> Result<DutyRatesView> {
    caller.require(caller.role.is_regulator() || caller.is_admin() || caller.role == Role::EnterpriseHead)?;
    let now = now_ms();
    let today = time::today_local(now);
    let month = match &p.month {
        Some(m) => {
            time::parse_month("month", m)?;
            m.clone()
        }
        None => time::month_of(now),
    };
    let months = p.months.unwrap_or(6);
    if !(1..=24).contains(&months) {
        return Err(AppError::field("months", "月数应为 1 到 24"));
    }
    let prefix = region_prefix(caller, p.region.as_deref())?;
    let rules_ = duty_rules()?;
    let first_month = time::add_months(&month, 1 - months as i32);
    let mut c = app.db.read().await?;
    let ents: Vec<_> = enterprises::all_in_scope(&mut c, &caller.scope, prefix.as_deref())
        .await?
        .into_iter()
        .filter(|e| rules_.industries.contains_key(&e.industry))
        .collect();
    let (from_day, _) = (format!("{first_month}-01"), ());
    let to_day = format!("{month}-31");
    let covered: HashSet<(String, String, i64)> =
        store::leader_shifts(&mut c, &caller.scope, prefix.as_deref(), &from_day, &to_day).await?.into_iter().collect();
    drop(c);
    let mut trend = Vec::new();
    let mut this = (DutyRate::default(), BTreeMap::new(), Vec::new());
    for k in 0..months as i32 {
        let m = time::add_months(&first_month, k);
        let days = days_counted(&m, &today)?;
        let mut total = DutyRate::default();
        let mut by_industry: BTreeMap<String, DutyRate> = BTreeMap::new();
        let mut per_ent = Vec::new();
        for e in &ents {
            let shifts = i64::from(rules_.industries[&e.industry].shifts.max(1));
            let required = days.len() as u64 * shifts as u64;
            let got = days
                .iter()
                .map(|d| (0..shifts).filter(|s| covered.contains(&(e.id.clone(), d.clone(), *s))).count() as u64)
                .sum::<u64>();
            total.add(required, got);
            by_industry.entry(e.industry.clone()).or_default().add(required, got);
            if m == month {
                let mut r = DutyRate::default();
                r.add(required, got);
                per_ent.push(EnterpriseDuty {
                    enterprise_id: e.id.clone(),
                    enterprise_name: e.name.clone(),
                    industry: e.industry.clone(),
                    region_code: e.region_code.clone(),
                    rate: r,
                });
            }
        }
        if m == month {
            this = (total.clone(), by_industry.clone(), per_ent);
        }
        trend.push(MonthDuty { month: m, rate: total, by_industry });
    }
    let (total, by_industry, mut enterprises) = this;
    enterprises.sort_by(|a, b| {
        a.rate.rate.unwrap_or(1.0).total_cmp(&b.rate.rate.unwrap_or(1.0)).then(a.enterprise_id.cmp(&b.enterprise_id))
    });
    Ok(DutyRatesView { month, rules: rules_.industries, total, by_industry, enterprises, trend })
}

// ------------------------------------------------------------------ training

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct TrainingInput {
    pub title: String,
    pub hours: f64,
    /// RFC 3339.
    pub starts_at: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SigninView {
    pub person_id: String,
    pub person_name: String,
    pub at: String,
    pub method: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TrainingView {
    pub id: String,
    pub enterprise_id: String,
    pub title: String,
    pub hours: f64,
    pub starts_at: String,
    pub signins: Vec<SigninView>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct SigninInput {
    pub person_id: String,
    /// face | qr | manual
    pub method: String,
}

fn require_manager(caller: &Caller) -> Result<()> {
    caller.require(caller.role.is_regulator() || caller.role == Role::EnterpriseHead || caller.is_admin())
}

pub async fn add_training(app: &App, caller: &Caller, enterprise_id: &str, i: &TrainingInput) -> Result<TrainingView> {
    require_manager(caller)?;
    if i.title.trim().is_empty() || i.title.chars().count() > 100 {
        return Err(AppError::field("title", "培训名称不能为空，且不超过100个字符"));
    }
    if !i.hours.is_finite() || i.hours <= 0.0 || i.hours > 200.0 {
        return Err(AppError::field("hours", "学时应大于0且不超过200"));
    }
    let starts_at = time::parse_instant("starts_at", &i.starts_at)?;
    let mut tx = app.db.begin().await?;
    let e = visible_enterprise(&mut tx, caller, enterprise_id).await?;
    let t = Training {
        id: new_id(),
        enterprise_id: e.id,
        title: i.title.trim().into(),
        hours: i.hours,
        starts_at,
        created_by: caller.actor_id(),
        created_at: now_ms(),
    };
    store::insert_training(&mut tx, &t).await?;
    audit::record::<(), _>(&mut tx, caller, "create", "training", &t.id, None, Some(&t)).await?;
    tx.commit().await?;
    Ok(TrainingView {
        id: t.id,
        enterprise_id: t.enterprise_id,
        title: t.title,
        hours: t.hours,
        starts_at: time::fmt_local(t.starts_at),
        signins: vec![],
    })
}

async fn visible_training(c: &mut AnyConnection, caller: &Caller, id: &str) -> Result<Training> {
    let t = store::training(c, id).await?.ok_or(AppError::NotFound)?;
    visible_enterprise(c, caller, &t.enterprise_id).await?;
    Ok(t)
}

async fn training_view(c: &mut AnyConnection, t: Training) -> Result<TrainingView> {
    let mut signins = Vec::new();
    for (person_id, at, method) in store::signins(c, &t.id).await? {
        let person_name = people::get(c, &person_id).await?.map(|(p, _)| p.name).unwrap_or_default();
        signins.push(SigninView { person_id, person_name, at: time::fmt_local(at), method });
    }
    Ok(TrainingView {
        id: t.id,
        enterprise_id: t.enterprise_id,
        title: t.title,
        hours: t.hours,
        starts_at: time::fmt_local(t.starts_at),
        signins,
    })
}

pub async fn get_training(app: &App, caller: &Caller, id: &str) -> Result<TrainingView> {
    let mut c = app.db.read().await?;
    let t = visible_training(&mut c, caller, id).await?;
    training_view(&mut c, t).await
}

pub async fn trainings(app: &App, caller: &Caller, enterprise_id: &str) -> Result<Vec<TrainingView>> {
    let mut c = app.db.read().await?;
    visible_enterprise(&mut c, caller, enterprise_id).await?;
    let mut out = Vec::new();
    for t in store::trainings_of(&mut c, enterprise_id).await? {
        out.push(training_view(&mut c, t).await?);
    }
    Ok(out)
}

/// A person's sign-in to a training (once per person; again is a no-op).
pub async fn sign_in(app: &App, caller: &Caller, training_id: &str, i: &SigninInput) -> Result<TrainingView> {
    if !["face", "qr", "manual"].contains(&i.method.as_str()) {
        return Err(AppError::field("method", "方式应为 face、qr 或 manual"));
    }
    let mut tx = app.db.begin().await?;
    let t = visible_training(&mut tx, caller, training_id).await?;
    let (p, _) = people::get(&mut tx, &i.person_id).await?.ok_or_else(|| AppError::field("person_id", "人员不存在"))?;
    if p.enterprise_id != t.enterprise_id {
        return Err(AppError::field("person_id", "该人员不属于举办培训的企业"));
    }
    let at = now_ms();
    if store::sign_in(&mut tx, &t.id, &p.id, at, &i.method).await? {
        let fields = json!({"training": t.id, "enterprise": t.enterprise_id, "person": p.id, "method": i.method});
        audit::record::<(), _>(&mut tx, caller, "signin", "training", &t.id, None, Some(&fields)).await?;
        ledger::append(
            &mut tx,
            &format!("training/{}/{}", t.id, p.id),
            &ledger::Record {
                kind: "training.signin",
                subject: &t.id,
                actor: &ledger::actor_of(caller),
                time_ms: at,
                content: json!({"training": t, "person": p.id, "at": at, "method": i.method}),
                fields,
            },
        )
        .await?;
    }
    let v = training_view(&mut tx, t).await?;
    tx.commit().await?;
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certificates_cover_operations_until_they_expire() {
        let certs = r#"[{"kind":"特种作业操作证（低压电工作业）","number":"T1","expires_on":"2027-03-01"}]"#;
        assert!(certified_for(certs, "低压电工作业", "2026-12-01"));
        assert!(certified_for(certs, "低压电工作业", "2027-03-01"));
        assert!(!certified_for(certs, "低压电工作业", "2027-03-02"), "expired");
        assert!(!certified_for(certs, "熔化焊接与热切割作业", "2026-12-01"), "another operation");
        assert!(!certified_for("[]", "低压电工作业", "2026-12-01"));
    }

    #[test]
    fn a_night_shift_belongs_to_the_day_it_began() {
        let rule = DutyRule { shifts: 3, first_shift_start: "08:00".into(), basis: String::new() };
        // 2026-11-25T03:00+08:00 is the third shift of the 24th.
        let ms = time::parse_instant("t", "2026-11-25T03:00:00+08:00").unwrap();
        assert_eq!(duty_slot(Some(&rule), ms), ("2026-11-24".to_string(), 2));
        let ms = time::parse_instant("t", "2026-11-25T09:00:00+08:00").unwrap();
        assert_eq!(duty_slot(Some(&rule), ms), ("2026-11-25".to_string(), 0));
        assert_eq!(duty_slot(None, ms), ("2026-11-25".to_string(), 0));
        assert!(duty_rules().unwrap().industries.contains_key("mining"));
    }

    #[test]
    fn the_current_month_counts_up_to_yesterday() {
        assert_eq!(days_counted("2026-11", "2026-11-04").unwrap(), vec!["2026-11-01", "2026-11-02", "2026-11-03"]);
        assert_eq!(days_counted("2026-02", "2026-12-01").unwrap().len(), 28);
        assert!(days_counted("2027-01", "2026-12-01").unwrap().is_empty());
    }
}
