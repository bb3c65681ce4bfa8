//! Hazard governance use cases (H1–H7): report from every channel, classify
//! and grade, dispatch with notifications, drive the lifecycle, answer the
//! public tracking page, and list/count within the caller's scope.
//!
//! Every change writes the hazard row, a timeline event, the audit row,
//! notifications and follow-up jobs in ONE transaction.

use crate::knowledge::{ItemInfo, MajorBasis};
use crate::{App, AppError, Caller, Result, audit};
use anjian_domain::hazard::{self, Event, Grade, HazardStatus, Party, State, TransitionError};
use anjian_domain::ids::RegionCode;
use anjian_domain::role::{Role, Scope};
use anjian_store::filter::Page;
use anjian_store::hazards::{self, Hazard, HazardEvent, HazardQuery};
use anjian_store::{AnyConnection, enterprises, jobs, new_id, notifications, now_ms, regions};
use serde::{Deserialize, Serialize};

pub const DAY_MS: i64 = 86_400_000;
/// Reminders go out this long before a deadline.
pub const REMINDER_BEFORE_MS: i64 = 72 * 3_600_000;
/// After an escalation the next level is given this long before escalating again.
pub const ESCALATION_STEP_MS: i64 = 3 * DAY_MS;
/// The regulator re-checks a major hazard within this long of the close-out application.
pub const RECHECK_WINDOW_MS: i64 = 10 * DAY_MS;

/// (code, label) of every reporting channel.
pub const CHANNELS: &[(&str, &str)] = &[
    ("enterprise_self_check", "企业自查"),
    ("expert_check", "专家检查"),
    ("enforcement_check", "执法检查"),
    ("grid_patrol", "网格巡查"),
    ("public", "群众举报"),
    ("hotline", "12345/12350 热线"),
    ("iot_alarm", "物联网告警"),
    ("camera_event", "视频智能识别"),
    ("concrete_acceptance", "混凝土强度验收"),
];

pub fn channel_label(code: &str) -> Option<&'static str> {
    CHANNELS.iter().find(|(c, _)| *c == code).map(|(_, l)| *l)
}

// ------------------------------------------------------------------ views

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HazardView {
    pub id: String,
    /// Human-readable number, e.g. YH20261125-0001.
    pub code: String,
    pub channel: String,
    pub channel_label: String,
    pub description: String,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    pub region_code: String,
    pub enterprise_id: Option<String>,
    pub project_id: Option<String>,
    pub taxonomy_item: Option<String>,
    pub taxonomy: Option<ItemInfo>,
    pub classify_confidence: Option<f64>,
    pub needs_classification: bool,
    pub grade: String,
    pub grade_label: String,
    pub grade_basis: Option<MajorBasis>,
    pub state: String,
    pub state_label: String,
    pub deadline: Option<String>,
    pub deadline_ms: Option<i64>,
    pub overdue: bool,
    pub escalation_level: i64,
    pub extension_requested_until: Option<String>,
    pub assignee_user_id: Option<String>,
    pub reported_at: String,
    pub closed_at: Option<String>,
    /// Major hazards: the re-check is due by (10 days after the close-out application).
    pub recheck_due: Option<String>,
    /// Major hazards: the re-check is overdue, or was done after its due date.
    pub recheck_late: bool,
    /// Actions the state allows (the caller's role decides which succeed).
    pub actions: Vec<String>,
    /// The actions the caller's side (regulator or enterprise) may take now.
    pub my_actions: Vec<String>,
}

fn view(app: &App, caller: &Caller, h: &Hazard, now: i64) -> HazardView {
    let state = State::parse(&h.state).unwrap_or(State::Reported);
    let grade = Grade::parse(&h.grade).unwrap_or(Grade::General);
    let status = status_of(h);
    HazardView {
        id: h.id.clone(),
        code: h.code.clone(),
        channel: h.channel.clone(),
        channel_label: channel_label(&h.channel).unwrap_or("").into(),
        description: h.description.clone(),
        lon: h.lon,
        lat: h.lat,
        region_code: h.region_code.clone(),
        enterprise_id: h.enterprise_id.clone(),
        project_id: h.project_id.clone(),
        taxonomy: h.taxonomy_item.as_deref().and_then(|c| app.knowledge.item(c)),
        taxonomy_item: h.taxonomy_item.clone(),
        classify_confidence: h.classify_confidence,
        needs_classification: h.needs_classification != 0,
        grade: grade.as_str().into(),
        grade_label: grade.label().into(),
        grade_basis: h.grade_basis.as_deref().and_then(|b| serde_json::from_str(b).ok()),
        state: state.as_str().into(),
        state_label: state.label().into(),
        deadline: h.deadline_ms.map(crate::time::fmt_local),
        deadline_ms: h.deadline_ms,
        overdue: status.is_overdue(now),
        escalation_level: h.escalation_level,
        extension_requested_until: h.extension_until_ms.map(crate::time::fmt_local),
        assignee_user_id: h.assignee_user_id.clone(),
        reported_at: crate::time::fmt_local(h.reported_at),
        closed_at: h.closed_at.map(crate::time::fmt_local),
        recheck_due: h.closeout_applied_at.map(|a| crate::time::fmt_local(a + RECHECK_WINDOW_MS)),
        recheck_late: h.closeout_applied_at.is_some_and(|a| h.rechecked_at.unwrap_or(now) > a + RECHECK_WINDOW_MS),
        actions: hazard::available_events(state).iter().map(|s| s.to_string()).collect(),
        my_actions: hazard::actions_for(&status, party_of(caller), now).into_iter().map(String::from).collect(),
    }
}

/// The lifecycle status a hazard row is in.
pub fn status_of(h: &Hazard) -> HazardStatus {
    HazardStatus {
        state: State::parse(&h.state).unwrap_or(State::Reported),
        deadline_ms: h.deadline_ms,
        extension_requested_until_ms: h.extension_until_ms,
        escalation_level: h.escalation_level.clamp(0, 255) as u8,
    }
}

/// Writes a lifecycle status back onto the row.
pub fn set_status(h: &mut Hazard, s: &HazardStatus) {
    h.state = s.state.as_str().into();
    h.deadline_ms = s.deadline_ms;
    h.extension_until_ms = s.extension_requested_until_ms;
    h.escalation_level = i64::from(s.escalation_level);
}

/// The `data` of a lifecycle event: where the hazard stands after it.
pub fn transition_data(h: &Hazard) -> serde_json::Value {
    serde_json::json!({
        "deadline_ms": h.deadline_ms, "extension_until_ms": h.extension_until_ms,
        "escalation_level": h.escalation_level, "assignee_user_id": h.assignee_user_id,
        "enterprise_id": h.enterprise_id,
    })
}

/// The `data` of a hazard's `report` event.
pub fn report_data(
    channel: &str,
    grade: Grade,
    basis: Option<&MajorBasis>,
    confidence: Option<f64>,
) -> serde_json::Value {
    serde_json::json!({"channel": channel, "grade": grade.as_str(), "basis": basis, "confidence": confidence})
}

// -------------------------------------------------------------- reporting

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct ReportInput {
    /// enterprise_self_check | expert_check | enforcement_check | grid_patrol |
    /// hotline | iot_alarm | camera_event (public reports use the public endpoint)
    pub channel: String,
    pub description: String,
    /// WGS-84 longitude; snapped to the grid that contains it.
    pub lng: Option<f64>,
    pub lat: Option<f64>,
    pub enterprise_id: Option<String>,
    pub project_id: Option<String>,
    /// A taxonomy item chosen by the reporter; otherwise the text is classified.
    pub taxonomy_item: Option<String>,
    /// SHA-256 of attachments uploaded before (`POST /api/v1/attachments`).
    #[serde(default)]
    pub attachments: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct PublicReportInput {
    pub description: String,
    pub lat: f64,
    pub lng: f64,
    /// Optional phone number for call-backs; stored encrypted, never shown.
    pub contact: Option<String>,
    #[serde(default)]
    pub attachments: Vec<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PublicReceipt {
    pub tracking_code: String,
}

/// Snaps a point to the grid polygon containing it.
pub async fn grid_of(app: &App, c: &mut AnyConnection, lon: f64, lat: f64) -> Result<Option<String>> {
    let grids = app.grids(c).await?;
    Ok(grids.locate(lon, lat))
}

fn check_description(d: &str) -> Result<String> {
    let d = d.trim();
    if d.is_empty() {
        return Err(AppError::field("description", "隐患描述不能为空"));
    }
    if d.chars().count() > 2000 {
        return Err(AppError::field("description", "隐患描述不超过2000字"));
    }
    Ok(d.to_string())
}

fn check_point(lng: Option<f64>, lat: Option<f64>) -> Result<Option<(f64, f64)>> {
    anjian_domain::registry::validate_point(lng, lat).map_err(|e| {
        let field = if e.field == "lon" { "lng" } else { "lat" };
        AppError::field(field, e.message)
    })?;
    Ok(lng.zip(lat))
}

fn tracking_code() -> String {
    tracking_code_from(crate::crypto::random_bytes::<10>())
}

/// A public tracking code from 10 random bytes: unambiguous characters only
/// (no 0/O, 1/I/L), ~50 bits.
pub fn tracking_code_from(bytes: [u8; 10]) -> String {
    const A: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
    bytes.iter().map(|b| A[*b as usize % A.len()] as char).collect()
}

/// Everything a new report needs, decided before the transaction commits.
#[derive(Clone)]
pub(crate) struct Placement {
    pub(crate) region_code: String,
    pub(crate) enterprise_id: Option<String>,
    pub(crate) project_id: Option<String>,
    pub(crate) point: Option<(f64, f64)>,
}

/// Reports a hazard (H1). Returns the hazard; the same idempotency key
/// returns the hazard it created the first time.
pub async fn report(
    app: &App,
    caller: &Caller,
    input: &ReportInput,
    idempotency_key: Option<&str>,
) -> Result<HazardView> {
    let label = channel_label(&input.channel).ok_or_else(|| {
        let list: Vec<&str> = CHANNELS.iter().map(|(c, _)| *c).filter(|c| *c != "public").collect();
        AppError::field("channel", format!("未知渠道（可选: {}）", list.join(", ")))
    })?;
    let _ = label;
    let allowed = match caller.role {
        Role::EnterpriseHead | Role::EnterpriseStaff => input.channel == "enterprise_self_check",
        _ => input.channel != "public" && input.channel != "enterprise_self_check" || caller.is_admin(),
    };
    if !allowed {
        return Err(AppError::field("channel", "当前角色不能使用该上报渠道"));
    }
    let description = check_description(&input.description)?;
    let point = check_point(input.lng, input.lat)?;
    if let Some(key) = idempotency_key {
        check_key(key)?;
        let mut c = app.db.read().await?;
        if let Some(h) = hazards::by_idempotency_key(&mut c, &scoped_key(Some(caller), key)).await? {
            return Ok(view(app, caller, &h, now_ms()));
        }
    }
    let mut tx = app.db.begin().await?;
    let placement = place(app, &mut tx, caller, input, point).await?;
    let h = create(
        app,
        &mut tx,
        Some(caller),
        &input.channel,
        &description,
        placement,
        input.taxonomy_item.as_deref(),
        &input.attachments,
        None,
        idempotency_key.map(|k| scoped_key(Some(caller), k)),
    )
    .await?;
    tx.commit().await?;
    Ok(view(app, caller, &h, now_ms()))
}

/// Anonymous report (H1 public): rate-limited by the web layer; returns the
/// tracking code. The same idempotency key returns the same code.
pub async fn report_public(
    app: &App,
    input: &PublicReportInput,
    idempotency_key: Option<&str>,
) -> Result<PublicReceipt> {
    let description = check_description(&input.description)?;
    let point = check_point(Some(input.lng), Some(input.lat))?.expect("both given");
    if let Some(c) = &input.contact
        && c.chars().count() > 50
    {
        return Err(AppError::field("contact", "联系方式不超过50个字符"));
    }
    if let Some(key) = idempotency_key {
        check_key(key)?;
        let mut c = app.db.read().await?;
        if let Some(h) = hazards::by_idempotency_key(&mut c, &scoped_key(None, key)).await? {
            return Ok(PublicReceipt { tracking_code: h.tracking_code });
        }
    }
    for (i, a) in input.attachments.iter().enumerate() {
        let mut c = app.db.read().await?;
        if anjian_store::attachments::get(&mut c, a).await?.is_none() {
            return Err(AppError::field(&format!("attachments[{i}]"), "附件不存在，请先上传"));
        }
    }
    let region = {
        let mut c = app.db.read().await?;
        grid_of(app, &mut c, point.0, point.1).await?
    }
    .ok_or_else(|| AppError::field("lat", "该位置不在本平台管辖范围内"))?;
    let placement = Placement { region_code: region, enterprise_id: None, project_id: None, point: Some(point) };
    let contact = input.contact.as_deref().filter(|c| !c.trim().is_empty()).map(|c| app.secrets.encrypt(c.trim()));
    let key = idempotency_key.map(|k| scoped_key(None, k));
    // Classified here, on the request's own task; stored by the group-commit writer.
    let assessed = assess(app, &description, None)?;
    let draft = crate::report_queue::Draft {
        description,
        placement,
        assessed,
        attachments: input.attachments.clone(),
        contact,
        idempotency_key: key.clone(),
    };
    match app.report_queue().submit(draft).await {
        Err(AppError::Conflict { .. }) if key.is_some() => {
            // A concurrent retry with the same key won the race: answer with its code.
            let mut c = app.db.read().await?;
            let h = hazards::by_idempotency_key(&mut c, key.as_deref().unwrap_or_default())
                .await?
                .ok_or(AppError::NotFound)?;
            Ok(PublicReceipt { tracking_code: h.tracking_code })
        }
        Err(e) => Err(e),
        Ok(h) => Ok(PublicReceipt { tracking_code: h.tracking_code }),
    }
}

fn check_key(key: &str) -> Result<()> {
    if key.is_empty() || key.len() > 200 || !key.is_ascii() {
        return Err(AppError::field("Idempotency-Key", "幂等键应为1到200个ASCII字符"));
    }
    Ok(())
}

/// Idempotency keys are per account, so two clients cannot collide.
fn scoped_key(caller: Option<&Caller>, key: &str) -> String {
    match caller {
        Some(c) => format!("u:{}:{key}", c.user_id),
        None => format!("p:{key}"),
    }
}

async fn place(
    app: &App,
    c: &mut AnyConnection,
    caller: &Caller,
    input: &ReportInput,
    point: Option<(f64, f64)>,
) -> Result<Placement> {
    let mut enterprise_id = input.enterprise_id.clone();
    let mut project_id = None;
    if let Some(pid) = &input.project_id {
        let p =
            anjian_store::projects::get(c, pid).await?.ok_or_else(|| AppError::field("project_id", "项目不存在"))?;
        let region = RegionCode::parse("region", &p.region_code).map_err(|e| AppError::Internal(e.to_string()))?;
        let visible =
            [&p.builder_id, &p.contractor_id, &p.supervisor_id].iter().any(|e| caller.scope.allows(&region, Some(e)));
        if !visible {
            return Err(AppError::NotFound);
        }
        enterprise_id.get_or_insert(p.contractor_id.clone());
        project_id = Some(p.id);
    }
    if matches!(caller.scope, Scope::Enterprises(_)) && enterprise_id.is_none() {
        enterprise_id = caller.enterprise_ids.first().cloned();
    }
    let mut enterprise_point = None;
    let mut enterprise_region = None;
    if let Some(eid) = &enterprise_id {
        let e = enterprises::get(c, eid).await?.ok_or(AppError::NotFound)?;
        let region = RegionCode::parse("region", &e.region_code).map_err(|e| AppError::Internal(e.to_string()))?;
        if !caller.scope.allows(&region, Some(eid)) {
            return Err(AppError::NotFound);
        }
        enterprise_point = e.lon.zip(e.lat);
        enterprise_region = Some(e.region_code);
    }
    let point = point.or(enterprise_point);
    let region_code = match (point, enterprise_region) {
        (Some((lon, lat)), fallback) => match grid_of(app, c, lon, lat).await? {
            Some(g) => g,
            None => fallback.ok_or_else(|| AppError::field("lat", "该位置不在本平台管辖范围内"))?,
        },
        (None, Some(r)) => r,
        (None, None) => return Err(AppError::field("lat", "请提供位置或所属企业")),
    };
    let region = RegionCode::parse("region", &region_code).map_err(|e| AppError::Internal(e.to_string()))?;
    if caller.role.is_regulator() && !caller.scope.allows_region(&region) {
        return Err(AppError::Forbidden);
    }
    Ok(Placement { region_code, enterprise_id, project_id, point })
}

#[allow(clippy::too_many_arguments)]
async fn create(
    app: &App,
    c: &mut AnyConnection,
    caller: Option<&Caller>,
    channel: &str,
    description: &str,
    p: Placement,
    chosen_item: Option<&str>,
    attachments: &[String],
    contact: Option<Vec<u8>>,
    idempotency_key: Option<String>,
) -> Result<Hazard> {
    create_with(app, c, caller, channel, description, p, chosen_item, attachments, contact, idempotency_key, None).await
}

/// What a checklist decides for a finding instead of the item's defaults:
/// the grade (the determination rules may still make it major) and the
/// rectification deadline.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FindingTerms {
    pub(crate) grade: Grade,
    pub(crate) deadline_days: u32,
}

#[allow(clippy::too_many_arguments)]
async fn create_with(
    app: &App,
    c: &mut AnyConnection,
    caller: Option<&Caller>,
    channel: &str,
    description: &str,
    p: Placement,
    chosen_item: Option<&str>,
    attachments: &[String],
    contact: Option<Vec<u8>>,
    idempotency_key: Option<String>,
    terms: Option<FindingTerms>,
) -> Result<Hazard> {
    for (i, a) in attachments.iter().enumerate() {
        if anjian_store::attachments::get(c, a).await?.is_none() {
            return Err(AppError::field(&format!("attachments[{i}]"), "附件不存在，请先上传"));
        }
    }
    let now = now_ms();
    let mut assessed = assess(app, description, chosen_item)?;
    if let Some(t) = terms
        && assessed.grade == Grade::General
    {
        assessed.grade = t.grade;
    }
    let (needs, grade, basis) = (assessed.needs, assessed.grade, assessed.basis.clone());
    let n = hazards::next_number(c, app.db.backend()).await?;
    let reporter = caller.and_then(|c| c.actor_id());
    let mut h = new_hazard(n, now, channel, description, p, &assessed, reporter, contact, idempotency_key);
    hazards::insert(c, &h).await?;
    let actor = caller.cloned().unwrap_or_else(public_actor);
    let party = caller.map(party_of).unwrap_or(Party::System);
    let data = report_data(channel, grade, basis.as_ref(), assessed.confidence);
    event(c, &h, &actor, party, "report", None, None, data, attachments, true).await?;
    audit::record::<(), _>(c, &actor, "report", "hazard", &h.id, None, Some(&audit_view(&h))).await?;
    // Classified and placed at an enterprise: dispatch at once (H3).
    if !needs && h.enterprise_id.is_some() {
        let days = match terms {
            Some(t) => Some(t.deadline_days),
            None => h.taxonomy_item.as_deref().and_then(|i| app.knowledge.item(i)).map(|i| i.deadline_days),
        };
        let deadline = now + i64::from(days.unwrap_or(default_days(grade))) * DAY_MS;
        let system = Caller::system();
        h = apply(app, c, &system, Party::Regulator, h, Event::Dispatch { deadline_ms: deadline }, None, &[]).await?;
    } else {
        notify_supervisors_new(app, c, &h).await?;
    }
    Ok(h)
}

/// A hazard opened by the system because a device rule keeps alarming
/// (issue 6): channel `iot_alarm`, at the device's enterprise and place, one
/// open hazard per rule at a time (its key starts `alarm-rule:{rule}:`).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn report_from_alarms(
    app: &App,
    c: &mut AnyConnection,
    device: &anjian_store::monitoring::Device,
    rule_id: &str,
    rule_name: &str,
    alarm: &anjian_store::monitoring::Alarm,
    alarms: i64,
    window_days: u32,
) -> Result<Option<Hazard>> {
    let key = format!("alarm-rule:{rule_id}:");
    if hazards::open_with_key_prefix(c, &key).await? {
        return Ok(None);
    }
    let description = format!(
        "{}（{}）{}天内报警{}次，最近一次 {} = {}，请排查设备所在部位的安全隐患",
        device.name, rule_name, window_days, alarms, alarm.metric, alarm.last_value
    );
    let placement = Placement {
        region_code: device.region_code.clone(),
        enterprise_id: Some(device.enterprise_id.clone()),
        project_id: device.project_id.clone(),
        point: device.lon.zip(device.lat),
    };
    let system = Caller::system();
    let h = create(
        app,
        c,
        Some(&system),
        "iot_alarm",
        &description,
        placement,
        None,
        &[],
        None,
        Some(format!("{key}{}", alarm.id)),
    )
    .await?;
    Ok(Some(h))
}

/// A hazard found by an inspection (I1): the channel of the inspection's
/// kind, at its enterprise (and project) and place, with the taxonomy item,
/// grade and deadline of the checklist's standard problem. `key` makes it
/// once per inspection item. Runs in the inspection's transaction.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn report_finding(
    app: &App,
    c: &mut AnyConnection,
    caller: &Caller,
    channel: &str,
    description: &str,
    placement: Placement,
    taxonomy_item: &str,
    terms: FindingTerms,
    attachments: &[String],
    key: String,
) -> Result<Hazard> {
    if let Some(h) = hazards::by_idempotency_key(c, &key).await? {
        return Ok(h);
    }
    create_with(
        app,
        c,
        Some(caller),
        channel,
        description,
        placement,
        Some(taxonomy_item),
        attachments,
        None,
        Some(key),
        Some(terms),
    )
    .await
}

/// A quality hazard opened by the system because a lot of concrete failed
/// its GB/T 50107 acceptance (issue 8): channel `concrete_acceptance`, type
/// CONS-09-01, at the project (its contractor, its place), dispatched at once
/// like any classified report. One per acceptance (its key).
pub(crate) async fn report_from_acceptance(
    app: &App,
    c: &mut AnyConnection,
    project: &anjian_store::projects::Project,
    acceptance_id: &str,
    description: &str,
) -> Result<Hazard> {
    let point = project.lon.zip(project.lat);
    let region_code = match point {
        Some((lon, lat)) => grid_of(app, c, lon, lat).await?.unwrap_or_else(|| project.region_code.clone()),
        None => project.region_code.clone(),
    };
    let placement = Placement {
        region_code,
        enterprise_id: Some(project.contractor_id.clone()),
        project_id: Some(project.id.clone()),
        point,
    };
    let system = Caller::system();
    create(
        app,
        c,
        Some(&system),
        "concrete_acceptance",
        description,
        placement,
        Some(CONCRETE_ITEM),
        &[],
        None,
        Some(format!("concrete-acceptance:{acceptance_id}")),
    )
    .await
}

/// The taxonomy item of a failed concrete strength acceptance.
pub const CONCRETE_ITEM: &str = "CONS-09-01";

/// A new hazard row, numbered `n`, as reported.
#[allow(clippy::too_many_arguments)]
pub(crate) fn new_hazard(
    n: i64,
    now: i64,
    channel: &str,
    description: &str,
    p: Placement,
    a: &Assessed,
    reporter_user_id: Option<String>,
    contact: Option<Vec<u8>>,
    idempotency_key: Option<String>,
) -> Hazard {
    let day = crate::time::today_local(now).replace('-', "");
    Hazard {
        id: new_id(),
        code: format!("YH{day}-{n:06}"),
        tracking_code: tracking_code(),
        channel: channel.into(),
        description: description.into(),
        lon: p.point.map(|x| x.0),
        lat: p.point.map(|x| x.1),
        region_code: p.region_code,
        enterprise_id: p.enterprise_id,
        project_id: p.project_id,
        taxonomy_item: a.item.clone(),
        classify_confidence: a.confidence,
        needs_classification: i64::from(a.needs),
        grade: a.grade.as_str().into(),
        grade_basis: a.basis.as_ref().map(|b| serde_json::to_string(b).unwrap_or_default()),
        state: State::Reported.as_str().into(),
        deadline_ms: None,
        extension_until_ms: None,
        escalation_level: 0,
        assignee_user_id: None,
        reporter_user_id,
        reporter_contact_enc: contact,
        idempotency_key,
        reported_at: now,
        updated_at: now,
        closed_at: None,
        reminded_at: None,
        closeout_applied_at: None,
        rechecked_at: None,
    }
}

/// What the platform makes of a report's text before storing it.
pub(crate) struct Assessed {
    pub(crate) item: Option<String>,
    pub(crate) confidence: Option<f64>,
    /// Waits for a person to classify it.
    pub(crate) needs: bool,
    pub(crate) grade: Grade,
    pub(crate) basis: Option<MajorBasis>,
}

/// Classification (the reporter's choice, else the classifier's if
/// confident) and grading by the determination rules.
pub(crate) fn assess(app: &App, description: &str, chosen_item: Option<&str>) -> Result<Assessed> {
    let (item, confidence, needs) = match chosen_item {
        Some(code) => {
            app.knowledge
                .item(code)
                .ok_or_else(|| AppError::field("taxonomy_item", format!("未知隐患类别: {code}")))?;
            (Some(code.to_string()), None, false)
        }
        None => match app.knowledge.classify(description).first() {
            Some((code, conf)) if *conf >= app.knowledge.threshold() => (Some(code.clone()), Some(*conf), false),
            Some((_, conf)) => (None, Some(*conf), true),
            None => (None, None, true),
        },
    };
    let (grade, basis) = grade_for(app, item.as_deref(), description);
    Ok(Assessed { item, confidence, needs, grade, basis })
}

pub(crate) fn public_actor() -> Caller {
    Caller { username: "public".into(), display_name: "公众".into(), ..Caller::system() }
}

fn default_days(g: Grade) -> u32 {
    match g {
        Grade::General => 15,
        Grade::Major => 60,
    }
}

/// Grade by the determination rules (major with the article), else the
/// item's default, else general.
fn grade_for(app: &App, item: Option<&str>, text: &str) -> (Grade, Option<MajorBasis>) {
    let Some(item) = item else { return (Grade::General, None) };
    if let Some(b) = app.knowledge.major_basis(item, text) {
        return (Grade::Major, Some(b));
    }
    (app.knowledge.item(item).map(|i| i.default_grade).unwrap_or(Grade::General), None)
}

fn party_of(c: &Caller) -> Party {
    if c.role.is_regulator() { Party::Regulator } else { Party::Enterprise }
}

pub(crate) fn audit_view(h: &Hazard) -> serde_json::Value {
    serde_json::json!({
        "code": h.code, "state": h.state, "grade": h.grade, "region_code": h.region_code,
        "enterprise_id": h.enterprise_id, "taxonomy_item": h.taxonomy_item, "deadline_ms": h.deadline_ms,
        "extension_until_ms": h.extension_until_ms, "escalation_level": h.escalation_level,
        "assignee_user_id": h.assignee_user_id,
    })
}

#[allow(clippy::too_many_arguments)]
async fn event(
    c: &mut AnyConnection,
    h: &Hazard,
    actor: &Caller,
    party: Party,
    name: &str,
    before: Option<&str>,
    note: Option<&str>,
    data: serde_json::Value,
    attachments: &[String],
    public: bool,
) -> Result<()> {
    let e = event_row(h, actor, party, name, before, note, data, attachments, public, now_ms());
    let seq = hazards::append_event(c, &e).await?;
    let e = HazardEvent { seq, ..e };
    anjian_store::ledger::enqueue(c, &event_pending(h, &e, actor, attachments)?).await?;
    Ok(())
}

/// A timeline event of `h` as it stands after the event (its `seq` is
/// assigned when stored).
#[allow(clippy::too_many_arguments)]
pub(crate) fn event_row(
    h: &Hazard,
    actor: &Caller,
    party: Party,
    name: &str,
    before: Option<&str>,
    note: Option<&str>,
    data: serde_json::Value,
    attachments: &[String],
    public: bool,
    at: i64,
) -> HazardEvent {
    HazardEvent {
        id: new_id(),
        hazard_id: h.id.clone(),
        seq: 0,
        at,
        actor_id: actor.actor_id(),
        actor_name: actor.display_name.clone(),
        party: format!("{party:?}").to_lowercase(),
        event: name.into(),
        state_before: before.map(Into::into),
        state_after: h.state.clone(),
        note: note.map(Into::into),
        data: data.to_string(),
        attachments: serde_json::to_string(attachments).unwrap_or_else(|_| "[]".into()),
        public: i64::from(public),
    }
}

/// The evidence-ledger record of a stored event, queued in the event's
/// transaction: state names, photo hashes, and the hash of the whole event
/// (its note may name people).
pub(crate) fn event_pending(
    h: &Hazard,
    e: &HazardEvent,
    actor: &Caller,
    attachments: &[String],
) -> Result<anjian_store::ledger::Pending> {
    let content = serde_json::to_value(e).map_err(|x| AppError::Internal(x.to_string()))?;
    let fields = serde_json::json!({
        "code": h.code, "from": e.state_before, "to": e.state_after, "party": e.party,
        "grade": h.grade, "attachments": attachments,
    });
    let kind = format!("hazard.{}", e.event);
    let actor_id = crate::ledger::actor_of(actor);
    crate::ledger::pending(
        &e.id,
        &crate::ledger::Record { kind: &kind, subject: &h.id, actor: &actor_id, time_ms: e.at, fields, content },
    )
}

// -------------------------------------------------------------- lifecycle

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct ActionInput {
    /// dispatch | dismiss | start | dispute | reassign | request_extension |
    /// approve_extension | refuse_extension | submit | accept | reject
    pub action: String,
    /// For dispatch/reassign: days from now (default by grade and type).
    pub deadline_days: Option<u32>,
    /// For request_extension: the new deadline, `YYYY-MM-DD` (end of day, Shanghai).
    pub until: Option<String>,
    /// For dispatch/reassign: the officer or enterprise user in charge.
    pub assignee_user_id: Option<String>,
    /// For dispatch/reassign: the responsible enterprise, when not yet known.
    pub enterprise_id: Option<String>,
    pub note: Option<String>,
    /// SHA-256 of photos (required for submit and accept/reject).
    #[serde(default)]
    pub attachments: Vec<String>,
}

/// Loads a hazard the caller may see, or 404.
async fn visible(c: &mut AnyConnection, caller: &Caller, id: &str) -> Result<Hazard> {
    let h = hazards::get(c, id).await?.ok_or(AppError::NotFound)?;
    let region = RegionCode::parse("region", &h.region_code).map_err(|e| AppError::Internal(e.to_string()))?;
    if caller.scope.allows(&region, h.enterprise_id.as_deref()) { Ok(h) } else { Err(AppError::NotFound) }
}

pub async fn get(app: &App, caller: &Caller, id: &str) -> Result<HazardView> {
    let mut c = app.db.read().await?;
    let h = visible(&mut c, caller, id).await?;
    Ok(view(app, caller, &h, now_ms()))
}

fn end_of_day_ms(date: &str) -> Result<i64> {
    let d: jiff::civil::Date = date.parse().map_err(|_| AppError::field("until", "日期格式应为 YYYY-MM-DD"))?;
    let zdt = d
        .at(23, 59, 59, 0)
        .to_zoned_datetime(crate::time::shanghai())
        .map_err(|_| AppError::field("until", "日期无效"))?;
    Ok(zdt.timestamp().as_millisecond())
}

/// Applies one lifecycle action (H4, H6).
pub async fn act(app: &App, caller: &Caller, id: &str, a: &ActionInput) -> Result<HazardView> {
    let mut tx = app.db.begin().await?;
    let h = visible(&mut tx, caller, id).await?;
    let now = now_ms();
    let grade = Grade::parse(&h.grade).unwrap_or(Grade::General);
    let deadline_for = |days: Option<u32>, h: &Hazard| -> Result<i64> {
        if days.is_some_and(|d| d == 0 || d > 365) {
            return Err(AppError::field("deadline_days", "整改期限应为1到365天"));
        }
        let default = h.taxonomy_item.as_deref().and_then(|i| app.knowledge.item(i)).map(|i| i.deadline_days);
        Ok(now + i64::from(days.or(default).unwrap_or(default_days(grade))) * DAY_MS)
    };
    let ev = match a.action.as_str() {
        "dispatch" => Event::Dispatch { deadline_ms: deadline_for(a.deadline_days, &h)? },
        "reassign" => Event::Reassign { deadline_ms: deadline_for(a.deadline_days, &h)? },
        "dismiss" => Event::Dismiss,
        "start" => Event::Start,
        "dispute" => Event::Dispute,
        "request_extension" => {
            let until = a.until.as_deref().ok_or_else(|| AppError::field("until", "请填写申请延期到的日期"))?;
            Event::RequestExtension { until_ms: end_of_day_ms(until)? }
        }
        "approve_extension" => Event::ApproveExtension,
        "refuse_extension" => Event::RefuseExtension,
        "submit" => Event::Submit,
        "accept" => Event::Accept,
        "reject" => Event::Reject,
        other => return Err(AppError::field("action", format!("未知操作: {other}"))),
    };
    if matches!(ev, Event::Submit | Event::Accept | Event::Reject) && a.attachments.is_empty() {
        return Err(AppError::field("attachments", "整改验收须附现场照片"));
    }
    if matches!(ev, Event::Dismiss | Event::Dispute | Event::Reject | Event::RefuseExtension)
        && a.note.as_deref().is_none_or(|n| n.trim().is_empty())
    {
        return Err(AppError::field("note", "请填写理由"));
    }
    if a.note.as_deref().is_some_and(|n| n.chars().count() > 2000) {
        return Err(AppError::field("note", "说明不超过2000字"));
    }
    for (i, s) in a.attachments.iter().enumerate() {
        if anjian_store::attachments::get(&mut tx, s).await?.is_none() {
            return Err(AppError::field(&format!("attachments[{i}]"), "附件不存在，请先上传"));
        }
    }
    let mut h = h;
    if let Some(eid) = &a.enterprise_id {
        if !matches!(ev, Event::Dispatch { .. } | Event::Reassign { .. }) {
            return Err(AppError::field("enterprise_id", "只有派发或重新指派时可以指定企业"));
        }
        let e = enterprises::get(&mut tx, eid).await?.ok_or_else(|| AppError::field("enterprise_id", "企业不存在"))?;
        let region = RegionCode::parse("region", &e.region_code).map_err(|e| AppError::Internal(e.to_string()))?;
        if !caller.scope.allows(&region, Some(eid)) {
            return Err(AppError::field("enterprise_id", "企业不在您的辖区内"));
        }
        h.enterprise_id = Some(eid.clone());
    }
    if let Some(u) = &a.assignee_user_id {
        let user = anjian_store::accounts::user_by_id(&mut tx, u)
            .await?
            .ok_or_else(|| AppError::field("assignee_user_id", "用户不存在"))?;
        h.assignee_user_id = Some(user.id);
    }
    if matches!(ev, Event::Dispatch { .. }) && h.taxonomy_item.is_none() {
        return Err(AppError::field("action", "请先确定隐患类别再派发"));
    }
    let h = apply(app, &mut tx, caller, party_of(caller), h, ev, a.note.as_deref(), &a.attachments).await?;
    tx.commit().await?;
    Ok(view(app, caller, &h, now))
}

/// The transition, its timeline event, audit row, notifications and jobs.
#[allow(clippy::too_many_arguments)]
async fn apply(
    app: &App,
    c: &mut AnyConnection,
    actor: &Caller,
    party: Party,
    mut h: Hazard,
    ev: Event,
    note: Option<&str>,
    attachments: &[String],
) -> Result<Hazard> {
    let now = now_ms();
    let before = status_of(&h);
    let before_audit = audit_view(&h);
    let major = h.grade == Grade::Major.as_str();
    if major && matches!(ev, Event::Submit) && hazards::plan(c, &h.id).await?.is_none() {
        return Err(AppError::field("plan", "重大事故隐患须先提交治理方案，方可申请销号"));
    }
    let next = hazard::transition(&before, &ev, party, now).map_err(|e| match e {
        TransitionError::WrongParty { .. } => AppError::Forbidden,
        other => AppError::field("action", other.to_string()),
    })?;
    set_status(&mut h, &next);
    h.updated_at = now;
    if next.state == State::Closed {
        h.closed_at = Some(now);
    }
    if major && matches!(ev, Event::Submit) {
        h.closeout_applied_at = Some(now);
        h.rechecked_at = None;
    }
    if major && matches!(ev, Event::Accept | Event::Reject) {
        h.rechecked_at = Some(now);
    }
    if matches!(ev, Event::Dispute) {
        h.enterprise_id = None;
        h.assignee_user_id = None;
    }
    if matches!(ev, Event::Dispatch { .. } | Event::Reassign { .. }) && h.assignee_user_id.is_none() {
        h.assignee_user_id = grid_officer(c, &h.region_code).await?;
    }
    hazards::update(c, &h).await?;
    let public = ev.is_public();
    let data = transition_data(&h);
    event(c, &h, actor, party, ev.name(), Some(before.state.as_str()), note, data, attachments, public).await?;
    audit::record(c, actor, ev.name(), "hazard", &h.id, Some(&before_audit), Some(&audit_view(&h))).await?;
    after_transition(app, c, &h, &ev).await?;
    Ok(h)
}

/// Notifications and scheduled work that follow a transition (H3, H4).
async fn after_transition(app: &App, c: &mut AnyConnection, h: &Hazard, ev: &Event) -> Result<()> {
    let grade = Grade::parse(&h.grade).unwrap_or(Grade::General);
    match ev {
        Event::Dispatch { .. } | Event::Reassign { .. } | Event::ApproveExtension => {
            let title = format!("【{}】隐患 {} 待整改", grade.label(), h.code);
            let body = format!(
                "{}；整改期限 {}",
                truncate(&h.description, 80),
                h.deadline_ms.map(crate::time::fmt_local).unwrap_or_default()
            );
            let mut to = Vec::new();
            if let Some(e) = &h.enterprise_id {
                to.extend(notifications::enterprise_users(c, e, "enterprise-head").await?);
            }
            if let Some(u) = &h.assignee_user_id {
                to.push(u.clone());
            }
            if grade == Grade::Major {
                // Major: the region's supervisors at every level, at once.
                to.extend(notifications::supervisors_of(c, &h.region_code).await?.into_iter().map(|(id, ..)| id));
            }
            notify(app, c, &to, "dispatch", &title, &body, &h.id).await?;
            schedule_deadline_jobs(c, h).await?;
        }
        Event::RequestExtension { .. } => {
            let to: Vec<String> = h.assignee_user_id.iter().cloned().collect();
            let to = if to.is_empty() { supervisor_ids(c, &h.region_code).await? } else { to };
            notify(
                app,
                c,
                &to,
                "extension_request",
                &format!("隐患 {} 申请延期", h.code),
                &truncate(&h.description, 80),
                &h.id,
            )
            .await?;
        }
        Event::Submit => {
            let mut to: Vec<String> = h.assignee_user_id.iter().cloned().collect();
            if grade == Grade::Major || to.is_empty() {
                to.extend(supervisor_ids(c, &h.region_code).await?);
            }
            notify(
                app,
                c,
                &to,
                "acceptance_request",
                &format!("隐患 {} 申请验收销号", h.code),
                &truncate(&h.description, 80),
                &h.id,
            )
            .await?;
        }
        Event::Reject | Event::Accept => {
            if let Some(e) = &h.enterprise_id {
                let to = notifications::enterprise_users(c, e, "enterprise-head").await?;
                let title = if matches!(ev, Event::Accept) {
                    format!("隐患 {} 已销号", h.code)
                } else {
                    format!("隐患 {} 验收未通过，请继续整改", h.code)
                };
                notify(app, c, &to, ev.name(), &title, &truncate(&h.description, 80), &h.id).await?;
            }
        }
        _ => {}
    }
    Ok(())
}

async fn supervisor_ids(c: &mut AnyConnection, region: &str) -> Result<Vec<String>> {
    Ok(notifications::supervisors_of(c, region).await?.into_iter().map(|(id, ..)| id).collect())
}

/// New reports that wait for a person: the grid's officers are told.
async fn notify_supervisors_new(app: &App, c: &mut AnyConnection, h: &Hazard) -> Result<()> {
    let sups = notifications::supervisors_of(c, &h.region_code).await?;
    let to = closest_supervisors(&sups, &h.region_code);
    let (title, body) = new_report_text(h);
    notify(app, c, &to, "new_report", &title, &body, &h.id).await
}

/// Of supervisors (most specific region first, as the store lists them),
/// those at the closest level overseeing `region`.
pub(crate) fn closest_supervisors(sups: &[(String, String, String)], region: &str) -> Vec<String> {
    let over = notifications::overseeing_regions(region);
    let mine: Vec<&(String, String, String)> = sups.iter().filter(|(_, _, r)| over.contains(r)).collect();
    let Some(closest) = mine.first().map(|(_, _, r)| r.clone()) else { return vec![] };
    mine.into_iter().filter(|(_, _, r)| *r == closest).map(|(id, ..)| id.clone()).collect()
}

pub(crate) fn new_report_text(h: &Hazard) -> (String, String) {
    let what = if h.needs_classification != 0 { "待分类" } else { "待派发" };
    (format!("新隐患 {} {what}", h.code), truncate(&h.description, 80))
}

/// The officer of the point's grid, or the closest officer above it.
async fn grid_officer(c: &mut AnyConnection, region: &str) -> Result<Option<String>> {
    let sups = notifications::supervisors_of(c, region).await?;
    Ok(sups.into_iter().find(|(_, role, _)| role == "region-officer").map(|(id, ..)| id))
}

async fn notify(
    app: &App,
    c: &mut AnyConnection,
    to: &[String],
    kind: &str,
    title: &str,
    body: &str,
    hazard_id: &str,
) -> Result<()> {
    notify_users(app, c, to, kind, title, body, Some(hazard_id)).await
}

/// Stores one notification per distinct user and queues its outbound delivery.
pub(crate) async fn notify_users(
    app: &App,
    c: &mut AnyConnection,
    to: &[String],
    kind: &str,
    title: &str,
    body: &str,
    hazard_id: Option<&str>,
) -> Result<()> {
    let rows = notification_rows(to, kind, title, body, hazard_id, now_ms());
    notifications::insert_many(c, &rows).await?;
    for n in &rows {
        crate::outbound::enqueue(c, &app.outbound, n).await?;
    }
    Ok(())
}

/// One unread notification per distinct user.
pub(crate) fn notification_rows(
    to: &[String],
    kind: &str,
    title: &str,
    body: &str,
    hazard_id: Option<&str>,
    now: i64,
) -> Vec<notifications::Notification> {
    let mut seen = std::collections::HashSet::new();
    to.iter()
        .filter(|u| seen.insert(u.as_str()))
        .map(|u| notifications::Notification {
            id: new_id(),
            user_id: u.clone(),
            kind: kind.into(),
            title: title.into(),
            body: body.into(),
            hazard_id: hazard_id.map(Into::into),
            created_at: now,
            read_at: None,
        })
        .collect()
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n { s.to_string() } else { s.chars().take(n).collect::<String>() + "…" }
}

/// A reminder 72 h before the deadline and an escalation check just after
/// it. Keys include the deadline, so a new deadline gets new jobs and an old
/// job finds the deadline changed and does nothing.
async fn schedule_deadline_jobs(c: &mut AnyConnection, h: &Hazard) -> Result<()> {
    let Some(d) = h.deadline_ms else { return Ok(()) };
    let payload = serde_json::json!({"hazard_id": h.id, "deadline_ms": d}).to_string();
    let remind_at = d - REMINDER_BEFORE_MS;
    if remind_at > now_ms() {
        jobs::schedule(c, "hazard_reminder", &format!("reminder:{}:{d}", h.id), &payload, remind_at).await?;
    }
    jobs::schedule(c, "hazard_escalation", &format!("escalate:{}:{d}:{}", h.id, h.escalation_level), &payload, d + 1)
        .await?;
    Ok(())
}

// ------------------------------------------------------- scheduled work

/// Runs one due job (called by the scheduler inside its own transaction).
/// Returns a short description of what it did.
pub async fn run_job(app: &App, c: &mut AnyConnection, job: &jobs::Job) -> Result<String> {
    let p: serde_json::Value = serde_json::from_str(&job.payload).map_err(|e| AppError::Internal(e.to_string()))?;
    let id = p["hazard_id"].as_str().unwrap_or_default();
    let deadline = p["deadline_ms"].as_i64();
    let Some(mut h) = hazards::get(c, id).await? else { return Ok("hazard gone".into()) };
    let status = status_of(&h);
    if !status.state.is_open() || h.deadline_ms != deadline {
        return Ok("no longer applies".into());
    }
    let now = now_ms();
    match job.kind.as_str() {
        "hazard_reminder" => {
            let mut to: Vec<String> = h.assignee_user_id.iter().cloned().collect();
            if let Some(e) = &h.enterprise_id {
                to.extend(notifications::enterprise_users(c, e, "enterprise-head").await?);
            }
            let title = format!("隐患 {} 将于72小时内到期", h.code);
            notify(app, c, &to, "reminder", &title, &truncate(&h.description, 80), &h.id).await?;
            h.reminded_at = Some(now);
            hazards::update(c, &h).await?;
            Ok(format!("reminded {} users", to.len()))
        }
        "hazard_escalation" => {
            let system = Caller::system();
            let next = match hazard::transition(&status, &Event::Escalate, Party::System, now) {
                Ok(n) => n,
                Err(_) => return Ok("not escalated (top level or not overdue)".into()),
            };
            let before = audit_view(&h);
            h.escalation_level = i64::from(next.escalation_level);
            h.updated_at = now;
            hazards::update(c, &h).await?;
            let data = serde_json::json!({"escalation_level": h.escalation_level, "deadline_ms": h.deadline_ms});
            event(c, &h, &system, Party::System, "escalate", Some(status.state.as_str()), None, data, &[], false)
                .await?;
            audit::record(c, &system, "escalate", "hazard", &h.id, Some(&before), Some(&audit_view(&h))).await?;
            // Tell the level above the one that let it run over.
            let sups = notifications::supervisors_of(c, &h.region_code).await?;
            let mut levels: Vec<String> = sups.iter().map(|(_, _, r)| r.clone()).collect();
            levels.dedup();
            let idx = (h.escalation_level as usize).min(levels.len().saturating_sub(1));
            let target = levels.get(idx).cloned();
            let to: Vec<String> =
                sups.into_iter().filter(|(_, _, r)| Some(r) == target.as_ref()).map(|(id, ..)| id).collect();
            let title = format!("隐患 {} 已超期，升级督办（第{}级）", h.code, h.escalation_level);
            notify(app, c, &to, "escalation", &title, &truncate(&h.description, 80), &h.id).await?;
            // Still open later? escalate again one step up.
            let payload = serde_json::json!({"hazard_id": h.id, "deadline_ms": h.deadline_ms}).to_string();
            if h.escalation_level < i64::from(hazard::MAX_ESCALATION) {
                jobs::schedule(
                    c,
                    "hazard_escalation",
                    &format!("escalate:{}:{}:{}", h.id, h.deadline_ms.unwrap_or(0), h.escalation_level),
                    &payload,
                    now + ESCALATION_STEP_MS,
                )
                .await?;
            }
            Ok(format!("escalated to level {}", h.escalation_level))
        }
        other => Err(AppError::Internal(format!("unknown job kind {other}"))),
    }
}

// --------------------------------------------------------------- reading

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TimelineEvent {
    pub seq: i64,
    pub at: String,
    pub actor_name: String,
    pub party: String,
    pub event: String,
    pub event_label: String,
    pub state_before: Option<String>,
    pub state_after: String,
    pub state_after_label: String,
    pub note: Option<String>,
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    /// SHA-256 of the attachments of this event.
    pub attachments: Vec<String>,
    /// The event's leaf index on the evidence ledger (`null` for the second
    /// or so until the sequencer has run): prove it with
    /// `GET /api/v1/ledger/proof/inclusion?index=…`.
    pub ledger_index: Option<i64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Timeline {
    pub events: Vec<TimelineEvent>,
}

fn event_label(name: &str) -> &'static str {
    match name {
        "report" => "上报",
        "classify" => "确定类别",
        "grade_change_request" => "申请调整等级",
        "grade_change" => "调整等级",
        "dispatch" => "派发整改",
        "dismiss" => "不予受理",
        "start" => "开始整改",
        "dispute" => "提出异议",
        "reassign" => "重新指派",
        "request_extension" => "申请延期",
        "approve_extension" => "批准延期",
        "refuse_extension" => "驳回延期",
        "submit" => "申请验收销号",
        "accept" => "验收通过（销号）",
        "reject" => "验收不通过",
        "escalate" => "超期升级",
        "plan_submitted" => "提交治理方案",
        "plan_revised" => "修改治理方案",
        "listed" => "挂牌督办",
        _ => "",
    }
}

fn timeline_event(e: HazardEvent, ledger_index: Option<i64>) -> TimelineEvent {
    let after = State::parse(&e.state_after).unwrap_or(State::Reported);
    TimelineEvent {
        seq: e.seq,
        at: crate::time::fmt_local(e.at),
        event_label: event_label(&e.event).into(),
        actor_name: e.actor_name,
        party: e.party,
        event: e.event,
        state_before: e.state_before,
        state_after: e.state_after,
        state_after_label: after.label().into(),
        note: e.note,
        data: serde_json::from_str(&e.data).unwrap_or_default(),
        attachments: serde_json::from_str(&e.attachments).unwrap_or_default(),
        ledger_index,
    }
}

pub async fn timeline(app: &App, caller: &Caller, id: &str) -> Result<Timeline> {
    let mut c = app.db.read().await?;
    visible(&mut c, caller, id).await?;
    let events = hazards::events_of(&mut c, id).await?;
    let ids: Vec<String> = events.iter().map(|e| e.id.clone()).collect();
    let on_ledger = crate::ledger::indexes_of(&mut c, &ids).await?;
    Ok(Timeline {
        events: events
            .into_iter()
            .map(|e| {
                let idx = on_ledger.get(&e.id).copied();
                timeline_event(e, idx)
            })
            .collect(),
    })
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PublicStatus {
    pub tracking_code: String,
    pub state: String,
    pub state_label: String,
    pub reported_at: String,
    pub closed_at: Option<String>,
    pub timeline: Vec<PublicEvent>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PublicEvent {
    pub at: String,
    pub event: String,
    pub event_label: String,
    pub state: String,
    pub state_label: String,
}

/// What the public may see of a report: state and the public steps, never
/// the reporter, actors, notes or internal events.
pub async fn public_status(app: &App, code: &str) -> Result<PublicStatus> {
    let code = code.trim().to_ascii_uppercase();
    if code.len() != 10 {
        return Err(AppError::NotFound);
    }
    let mut c = app.db.read().await?;
    let h = hazards::by_tracking_code(&mut c, &code).await?.ok_or(AppError::NotFound)?;
    let events = hazards::events_of(&mut c, &h.id).await?;
    let state = State::parse(&h.state).unwrap_or(State::Reported);
    Ok(PublicStatus {
        tracking_code: h.tracking_code,
        state: state.as_str().into(),
        state_label: state.label().into(),
        reported_at: crate::time::fmt_local(h.reported_at),
        closed_at: h.closed_at.map(crate::time::fmt_local),
        timeline: events
            .into_iter()
            .filter(|e| e.public != 0)
            .map(|e| {
                let s = State::parse(&e.state_after).unwrap_or(State::Reported);
                PublicEvent {
                    at: crate::time::fmt_local(e.at),
                    event_label: event_label(&e.event).into(),
                    event: e.event,
                    state: s.as_str().into(),
                    state_label: s.label().into(),
                }
            })
            .collect(),
    })
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
pub struct HazardFilter {
    /// Region code: the hazards in that subtree.
    pub region: Option<String>,
    pub enterprise_id: Option<String>,
    pub channel: Option<String>,
    /// Taxonomy code or prefix.
    pub taxonomy: Option<String>,
    /// general | major
    pub grade: Option<String>,
    /// reported | pending | rectifying | awaiting_acceptance | closed | dismissed
    pub state: Option<String>,
    /// Only open hazards past their deadline.
    pub overdue: Option<bool>,
    /// Only reports waiting for a person to classify them.
    pub needs_classification: Option<bool>,
    /// Reported on or after, `YYYY-MM-DD` (Shanghai).
    pub from: Option<String>,
    /// Reported before, `YYYY-MM-DD` (Shanghai).
    pub to: Option<String>,
    /// Words in the description.
    pub q: Option<String>,
    /// Only hazards assigned to me.
    pub mine: Option<bool>,
    /// Only hazards listed for supervision (挂牌督办).
    pub listed: Option<bool>,
    /// Only major hazards whose regulator re-check is late (over 10 days).
    pub recheck_late: Option<bool>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

fn start_of_day_ms(field: &str, date: &str) -> Result<i64> {
    let d: jiff::civil::Date = date.parse().map_err(|_| AppError::field(field, "日期格式应为 YYYY-MM-DD"))?;
    let z = d.to_zoned_datetime(crate::time::shanghai()).map_err(|_| AppError::field(field, "日期无效"))?;
    Ok(z.timestamp().as_millisecond())
}

fn query_of(caller: &Caller, f: &HazardFilter) -> Result<HazardQuery> {
    let region_prefix = match &f.region {
        Some(r) => {
            let code = RegionCode::parse("region", r)?;
            if let Scope::Region(own) = &caller.scope
                && !own.contains(&code)
                && !code.contains(own)
            {
                return Err(AppError::Forbidden);
            }
            Some(code.prefix().to_string())
        }
        None => None,
    };
    if let Some(ch) = &f.channel {
        channel_label(ch).ok_or_else(|| AppError::field("channel", format!("未知渠道: {ch}")))?;
    }
    if let Some(g) = &f.grade {
        Grade::parse(g).ok_or_else(|| AppError::field("grade", "应为 general 或 major"))?;
    }
    if let Some(s) = &f.state {
        State::parse(s).ok_or_else(|| AppError::field("state", format!("未知状态: {s}")))?;
    }
    Ok(HazardQuery {
        region_prefix,
        enterprise_id: f.enterprise_id.clone(),
        channel: f.channel.clone(),
        taxonomy_prefix: f.taxonomy.clone(),
        grade: f.grade.clone(),
        state: f.state.clone(),
        overdue_at: f.overdue.filter(|o| *o).map(|_| now_ms()),
        needs_classification: f.needs_classification,
        reported_from: f.from.as_deref().map(|d| start_of_day_ms("from", d)).transpose()?,
        reported_to: f.to.as_deref().map(|d| start_of_day_ms("to", d).map(|t| t + DAY_MS)).transpose()?,
        text: f.q.clone().filter(|q| !q.trim().is_empty()),
        assignee_user_id: f.mine.filter(|m| *m).map(|_| caller.user_id.clone()),
        listed: f.listed,
        recheck_late_at: f.recheck_late.filter(|r| *r).map(|_| (now_ms(), RECHECK_WINDOW_MS)),
    })
}

pub async fn list(app: &App, caller: &Caller, f: &HazardFilter) -> Result<(Vec<HazardView>, i64)> {
    let q = query_of(caller, f)?;
    let mut c = app.db.read().await?;
    let (rows, total) = hazards::list(&mut c, &caller.scope, &q, Page::new(f.page, f.per_page)).await?;
    let now = now_ms();
    Ok((rows.iter().map(|h| view(app, caller, h, now)).collect(), total))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HazardCounts {
    /// All reports found (excluding dismissed ones).
    pub found: i64,
    pub reported: i64,
    pub pending: i64,
    pub rectifying: i64,
    pub awaiting_acceptance: i64,
    /// 已销号
    pub rectified: i64,
    pub dismissed: i64,
    /// pending + rectifying + awaiting_acceptance
    pub in_progress: i64,
    pub overdue: i64,
    /// rectified / (rectified + in_progress), 0 when nothing was dispatched.
    pub rectification_rate: f64,
}

pub async fn counts(app: &App, caller: &Caller, f: &HazardFilter) -> Result<HazardCounts> {
    let q = query_of(caller, f)?;
    let mut c = app.db.read().await?;
    let (rows, overdue) = hazards::counts_by_state(&mut c, &caller.scope, &q, now_ms()).await?;
    let get = |s: &str| rows.iter().find(|(k, _)| k == s).map(|(_, n)| *n).unwrap_or(0);
    let (reported, pending, rectifying, awaiting, closed, dismissed) = (
        get("reported"),
        get("pending"),
        get("rectifying"),
        get("awaiting_acceptance"),
        get("closed"),
        get("dismissed"),
    );
    let in_progress = pending + rectifying + awaiting;
    let dispatched = in_progress + closed;
    Ok(HazardCounts {
        found: reported + in_progress + closed,
        reported,
        pending,
        rectifying,
        awaiting_acceptance: awaiting,
        rectified: closed,
        dismissed,
        in_progress,
        overdue,
        rectification_rate: if dispatched == 0 { 0.0 } else { closed as f64 / dispatched as f64 },
    })
}

// ---------------------------------------------- classification and grade

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct ClassifyInput {
    pub taxonomy_item: String,
}

/// A person classifies a queued report (H2); grading follows the rules.
pub async fn classify(app: &App, caller: &Caller, id: &str, i: &ClassifyInput) -> Result<HazardView> {
    caller.require(caller.role.is_regulator())?;
    let mut tx = app.db.begin().await?;
    let mut h = visible(&mut tx, caller, id).await?;
    let item = app
        .knowledge
        .item(&i.taxonomy_item)
        .ok_or_else(|| AppError::field("taxonomy_item", format!("未知隐患类别: {}", i.taxonomy_item)))?;
    if State::parse(&h.state) != Some(State::Reported) {
        return Err(AppError::field("taxonomy_item", "只有待派发的隐患可以重新分类"));
    }
    let before = audit_view(&h);
    let (grade, basis) = grade_for(app, Some(&item.code), &h.description);
    // Classifying never silently lowers a major grade (H7: that needs approval).
    if h.grade == Grade::Major.as_str() && grade == Grade::General {
        h.taxonomy_item = Some(item.code.clone());
    } else {
        h.taxonomy_item = Some(item.code.clone());
        h.grade = grade.as_str().into();
        h.grade_basis = basis.as_ref().map(|b| serde_json::to_string(b).unwrap_or_default());
    }
    h.needs_classification = 0;
    h.updated_at = now_ms();
    hazards::update(&mut tx, &h).await?;
    let data = serde_json::json!({"taxonomy_item": item.code, "grade": h.grade, "basis": basis});
    event(&mut tx, &h, caller, Party::Regulator, "classify", Some(&h.state), None, data, &[], false).await?;
    audit::record(&mut tx, caller, "classify", "hazard", &h.id, Some(&before), Some(&audit_view(&h))).await?;
    tx.commit().await?;
    Ok(view(app, caller, &h, now_ms()))
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct GradeChangeInput {
    /// general | major
    pub grade: String,
    pub reason: String,
}

/// Raising to major takes effect at once. Lowering a major hazard is a
/// request that a second regulator must approve (H7).
pub async fn change_grade(app: &App, caller: &Caller, id: &str, i: &GradeChangeInput) -> Result<HazardView> {
    caller.require(caller.role.is_regulator())?;
    let to = Grade::parse(&i.grade).ok_or_else(|| AppError::field("grade", "应为 general 或 major"))?;
    if i.reason.trim().is_empty() {
        return Err(AppError::field("reason", "请填写理由"));
    }
    let mut tx = app.db.begin().await?;
    let mut h = visible(&mut tx, caller, id).await?;
    let from = Grade::parse(&h.grade).unwrap_or(Grade::General);
    if from == to {
        return Err(AppError::field("grade", "等级未变化"));
    }
    let before = audit_view(&h);
    if to == Grade::Major {
        h.grade = to.as_str().into();
        h.grade_basis = Some(
            serde_json::to_string(&MajorBasis {
                standard: "人工判定".into(),
                article: String::new(),
                text: i.reason.clone(),
            })
            .unwrap_or_default(),
        );
        h.updated_at = now_ms();
        hazards::update(&mut tx, &h).await?;
        event(
            &mut tx,
            &h,
            caller,
            Party::Regulator,
            "grade_change",
            Some(&h.state),
            Some(&i.reason),
            serde_json::json!({"from": from.as_str(), "to": "major"}),
            &[],
            false,
        )
        .await?;
        audit::record(&mut tx, caller, "grade_change", "hazard", &h.id, Some(&before), Some(&audit_view(&h))).await?;
        tx.commit().await?;
        return Ok(view(app, caller, &h, now_ms()));
    }
    // Downgrade: find an open request by someone else.
    let events = hazards::events_of(&mut tx, &h.id).await?;
    let open_request = events.iter().rev().find(|e| e.event == "grade_change_request" || e.event == "grade_change");
    match open_request {
        Some(r) if r.event == "grade_change_request" => {
            if r.actor_id.as_deref() == Some(caller.user_id.as_str()) {
                return Err(AppError::field("grade", "降级须由另一名监管人员复核批准"));
            }
            h.grade = Grade::General.as_str().into();
            h.grade_basis = None;
            h.updated_at = now_ms();
            hazards::update(&mut tx, &h).await?;
            let data = serde_json::json!({"from": "major", "to": "general", "requested_by": r.actor_id});
            event(
                &mut tx,
                &h,
                caller,
                Party::Regulator,
                "grade_change",
                Some(&h.state),
                Some(&i.reason),
                data,
                &[],
                false,
            )
            .await?;
            audit::record(&mut tx, caller, "grade_change", "hazard", &h.id, Some(&before), Some(&audit_view(&h)))
                .await?;
        }
        _ => {
            let data = serde_json::json!({"from": "major", "to": "general"});
            event(
                &mut tx,
                &h,
                caller,
                Party::Regulator,
                "grade_change_request",
                Some(&h.state),
                Some(&i.reason),
                data,
                &[],
                false,
            )
            .await?;
            audit::record(&mut tx, caller, "grade_change_request", "hazard", &h.id, Some(&before), Some(&before))
                .await?;
            let to: Vec<String> =
                supervisor_ids(&mut tx, &h.region_code).await?.into_iter().filter(|u| *u != caller.user_id).collect();
            notify(
                app,
                &mut tx,
                &to,
                "grade_change_request",
                &format!("重大隐患 {} 申请降级，待复核", h.code),
                &i.reason,
                &h.id,
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(view(app, caller, &h, now_ms()))
}

// ---------------------------------------------------------------- inbox

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NotificationView {
    pub id: String,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub hazard_id: Option<String>,
    pub created_at: String,
    pub read: bool,
}

pub async fn inbox(app: &App, caller: &Caller, unread_only: bool) -> Result<Vec<NotificationView>> {
    let mut c = app.db.read().await?;
    Ok(notifications::inbox(&mut c, &caller.user_id, unread_only, 200)
        .await?
        .into_iter()
        .map(|n| NotificationView {
            id: n.id,
            kind: n.kind,
            title: n.title,
            body: n.body,
            hazard_id: n.hazard_id,
            created_at: crate::time::fmt_local(n.created_at),
            read: n.read_at.is_some(),
        })
        .collect())
}

pub async fn mark_read(app: &App, caller: &Caller, id: &str) -> Result<()> {
    let mut tx = app.db.begin().await?;
    if !notifications::mark_read(&mut tx, &caller.user_id, id, now_ms()).await? {
        return Err(AppError::NotFound);
    }
    tx.commit().await?;
    Ok(())
}

/// Polygons, each a list of rings of `[lon, lat]`.
type Polygons = Vec<Vec<Vec<[f64; 2]>>>;

/// All grid polygons, loaded once and indexed by bounding box.
pub struct GridIndex {
    /// (grid code, bounding box, polygons)
    cells: Vec<(String, [f64; 4], Polygons)>,
}

impl GridIndex {
    pub fn build(rows: Vec<(String, String)>) -> GridIndex {
        let mut cells = Vec::with_capacity(rows.len());
        for (code, geom) in rows {
            let Ok(v) = serde_json::from_str::<serde_json::Value>(&geom) else { continue };
            let polys = anjian_domain::geo::polygons_of(&v);
            if let Some(b) = anjian_domain::geo::bbox(&polys) {
                cells.push((code, b, polys));
            }
        }
        GridIndex { cells }
    }

    pub fn locate(&self, lon: f64, lat: f64) -> Option<String> {
        self.cells
            .iter()
            .filter(|(_, b, _)| lon >= b[0] && lon <= b[2] && lat >= b[1] && lat <= b[3])
            .find(|(_, _, polys)| polys.iter().any(|p| anjian_domain::geo::point_in_polygon(lon, lat, p)))
            .map(|(c, ..)| c.clone())
    }

    pub fn len(&self) -> usize {
        self.cells.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }
}

/// Loads the grid index from the database.
pub async fn load_grids(c: &mut AnyConnection) -> Result<GridIndex> {
    Ok(GridIndex::build(regions::grid_geometries(c).await?))
}

// ------------------------------------------------------- major hazards (H5)

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PlanInput {
    /// 治理的目标和任务
    pub objective: String,
    /// 采取的方法和措施
    pub methods: String,
    /// 经费和物资的落实
    pub funds: String,
    /// 负责治理的机构和人员
    pub responsible: String,
    /// 治理的时限和要求, `YYYY-MM-DD`
    pub deadline_on: String,
    /// 安全措施
    pub safety_measures: String,
    /// 应急预案
    pub emergency_plan: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ListingView {
    /// city | district
    pub level: String,
    pub note: String,
    pub listed_at: String,
    pub delisted_at: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MajorView {
    pub plan: Option<PlanInput>,
    pub plan_submitted_at: Option<String>,
    pub listing: Option<ListingView>,
    pub recheck_due: Option<String>,
    pub recheck_late: bool,
}

async fn major_hazard(c: &mut AnyConnection, caller: &Caller, id: &str) -> Result<Hazard> {
    let h = visible(c, caller, id).await?;
    if h.grade != Grade::Major.as_str() {
        return Err(AppError::field("grade", "仅重大事故隐患需要治理方案和挂牌督办"));
    }
    Ok(h)
}

pub async fn major(app: &App, caller: &Caller, id: &str) -> Result<MajorView> {
    let mut c = app.db.read().await?;
    let h = visible(&mut c, caller, id).await?;
    let plan = hazards::plan(&mut c, &h.id).await?;
    let listing = hazards::listing(&mut c, &h.id).await?;
    let v = view(app, caller, &h, now_ms());
    Ok(MajorView {
        plan_submitted_at: plan.as_ref().map(|p| crate::time::fmt_local(p.submitted_at)),
        plan: plan.map(|p| PlanInput {
            objective: p.objective,
            methods: p.methods,
            funds: p.funds,
            responsible: p.responsible,
            deadline_on: p.deadline_on,
            safety_measures: p.safety_measures,
            emergency_plan: p.emergency_plan,
        }),
        listing: listing.map(|l| ListingView {
            level: l.level,
            note: l.note,
            listed_at: crate::time::fmt_local(l.listed_at),
            delisted_at: l.delisted_at.map(crate::time::fmt_local),
        }),
        recheck_due: v.recheck_due,
        recheck_late: v.recheck_late,
    })
}

/// Submits or revises the governance plan (治理方案) of a major hazard: the
/// responsible enterprise's head, or a regulator in scope.
pub async fn put_plan(app: &App, caller: &Caller, id: &str, p: &PlanInput) -> Result<MajorView> {
    caller.require(caller.role.is_regulator() || caller.role == Role::EnterpriseHead)?;
    let mut tx = app.db.begin().await?;
    let h = major_hazard(&mut tx, caller, id).await?;
    let parts = [
        ("objective", &p.objective),
        ("methods", &p.methods),
        ("funds", &p.funds),
        ("responsible", &p.responsible),
        ("safety_measures", &p.safety_measures),
        ("emergency_plan", &p.emergency_plan),
    ];
    for (field, v) in parts {
        if v.trim().is_empty() {
            return Err(AppError::field(field, "治理方案的七项内容均须填写"));
        }
        if v.chars().count() > 5000 {
            return Err(AppError::field(field, "每项不超过5000字"));
        }
    }
    anjian_domain::registry::validate_date("deadline_on", &p.deadline_on)?;
    let now = now_ms();
    let before = hazards::plan(&mut tx, &h.id).await?;
    let row = hazards::Plan {
        hazard_id: h.id.clone(),
        objective: p.objective.trim().into(),
        methods: p.methods.trim().into(),
        funds: p.funds.trim().into(),
        responsible: p.responsible.trim().into(),
        deadline_on: p.deadline_on.clone(),
        safety_measures: p.safety_measures.trim().into(),
        emergency_plan: p.emergency_plan.trim().into(),
        submitted_by: caller.actor_id(),
        submitted_at: before.as_ref().map(|b| b.submitted_at).unwrap_or(now),
        updated_at: now,
    };
    hazards::put_plan(&mut tx, &row).await?;
    let name = if before.is_some() { "plan_revised" } else { "plan_submitted" };
    event(
        &mut tx,
        &h,
        caller,
        party_of(caller),
        name,
        Some(&h.state),
        None,
        serde_json::json!({"deadline_on": p.deadline_on}),
        &[],
        false,
    )
    .await?;
    audit::record(&mut tx, caller, name, "hazard_plan", &h.id, before.as_ref(), Some(&row)).await?;
    tx.commit().await?;
    major(app, caller, id).await
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct ListingInput {
    /// city | district: who supervises the listing.
    pub level: String,
    pub note: String,
}

/// Lists a major hazard for supervision (挂牌督办). Regulators.
pub async fn list_for_supervision(app: &App, caller: &Caller, id: &str, i: &ListingInput) -> Result<MajorView> {
    caller.require(caller.role.is_regulator())?;
    let mut tx = app.db.begin().await?;
    let h = major_hazard(&mut tx, caller, id).await?;
    if !matches!(i.level.as_str(), "city" | "district") {
        return Err(AppError::field("level", "应为 city 或 district"));
    }
    if i.note.trim().is_empty() {
        return Err(AppError::field("note", "请填写督办要求"));
    }
    if hazards::listing(&mut tx, &h.id).await?.is_some_and(|l| l.delisted_at.is_none()) {
        return Err(AppError::State {
            field: "listing".into(), message: "该隐患已挂牌督办，尚未摘牌".into()
        });
    }
    let l = hazards::Listing {
        hazard_id: h.id.clone(),
        level: i.level.clone(),
        note: i.note.trim().into(),
        listed_by: caller.actor_id(),
        listed_at: now_ms(),
        delisted_at: None,
    };
    hazards::put_listing(&mut tx, &l).await?;
    event(
        &mut tx,
        &h,
        caller,
        Party::Regulator,
        "listed",
        Some(&h.state),
        Some(&l.note),
        serde_json::json!({"level": l.level}),
        &[],
        true,
    )
    .await?;
    audit::record::<(), _>(&mut tx, caller, "listed", "hazard_listing", &h.id, None, Some(&l)).await?;
    if let Some(e) = &h.enterprise_id {
        let to = notifications::enterprise_users(&mut tx, e, "enterprise-head").await?;
        notify(app, &mut tx, &to, "listed", &format!("重大隐患 {} 已挂牌督办", h.code), &l.note, &h.id).await?;
    }
    tx.commit().await?;
    major(app, caller, id).await
}

/// Inserts hotline tickets in ONE transaction: all or nothing. Returns
/// (imported, duplicates, tracking codes). Row errors name `tickets[i].field`.
pub async fn import_hotline(
    app: &App,
    caller: &Caller,
    tickets: &[crate::hotline::Ticket],
) -> Result<(usize, usize, Vec<String>)> {
    let mut tx = app.db.begin().await?;
    let (mut imported, mut dupes, mut codes) = (0, 0, Vec::new());
    for (i, t) in tickets.iter().enumerate() {
        let key = format!("hotline:{}", t.ticket_no.trim());
        if hazards::by_idempotency_key(&mut tx, &key).await?.is_some() {
            dupes += 1;
            continue;
        }
        let description = check_description(&t.description)
            .map_err(|_| AppError::field(&format!("tickets[{i}].description"), "描述无效"))?;
        let region = grid_of(app, &mut tx, t.lng, t.lat)
            .await?
            .ok_or_else(|| AppError::field(&format!("tickets[{i}].lat"), "该位置不在本平台管辖范围内"))?;
        let region_code = RegionCode::parse("region", &region).map_err(|e| AppError::Internal(e.to_string()))?;
        if !caller.scope.allows_region(&region_code) {
            return Err(AppError::field(&format!("tickets[{i}].lat"), "该位置不在您的辖区内"));
        }
        let placement =
            Placement { region_code: region, enterprise_id: None, project_id: None, point: Some((t.lng, t.lat)) };
        let contact = t.contact.as_deref().filter(|c| !c.trim().is_empty()).map(|c| app.secrets.encrypt(c.trim()));
        let h = create(app, &mut tx, Some(caller), "hotline", &description, placement, None, &[], contact, Some(key))
            .await?;
        codes.push(h.tracking_code);
        imported += 1;
    }
    tx.commit().await?;
    Ok((imported, dupes, codes))
}
