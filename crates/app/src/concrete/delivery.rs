//! Production batches, delivery tickets (one per truck, the fields of
//! standards.md §2), the project's authorised receivers, sign-off on site,
//! the end of placing, and time-limit warnings.

use super::{
    dec, fmt_opt, limits_in, opt_time, parse_time, parties, plant_operator, project_party, project_regulator, sees,
    step,
};
use crate::hazards::{closest_supervisors, notify_users};
use crate::registry::project_visible;
use crate::{App, AppError, Caller, Result, audit};
use anjian_domain::concrete::{self as rules, DeliveryTimes, Finding, LimitKind};
use anjian_domain::registry::validate_date;
use anjian_domain::role::Role;
use anjian_store::concrete::{self as store, Batch, BatchQuery, Context, Ticket, TicketQuery, Warning};
use anjian_store::filter::Page;
use anjian_store::{AnyConnection, accounts, new_id, notifications, now_ms, projects};
use serde::{Deserialize, Serialize};
use serde_json::json;

pub const TICKET_STATUSES: &[(&str, &str)] =
    &[("issued", "运输中"), ("received", "已签收"), ("placed", "已浇筑"), ("rejected", "已拒收")];

pub fn status_label(s: &str) -> &'static str {
    TICKET_STATUSES.iter().find(|(k, _)| *k == s).map(|(_, l)| *l).unwrap_or("")
}

// ------------------------------------------------------------------ batches

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct BatchInput {
    pub plant_id: String,
    pub mix_id: String,
    pub project_id: String,
    /// 浇筑部位, e.g. 3号楼 十二层 梁板.
    pub pour_location: String,
    /// Ordered volume, m³.
    pub planned_m3: f64,
    /// Production date, YYYY-MM-DD.
    pub produced_on: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BatchView {
    pub id: String,
    pub plant_id: String,
    pub plant_name: String,
    pub mix_id: String,
    pub mix_code: String,
    pub grade: String,
    pub marks: String,
    pub project_id: String,
    pub project_name: String,
    pub pour_location: String,
    pub planned_m3: f64,
    pub produced_on: String,
    /// The acceptance lot (检验批) the batch was assessed in.
    pub acceptance_id: Option<String>,
    pub created_at: String,
}

pub(crate) fn batch_view(b: Batch, ctx: Context) -> BatchView {
    BatchView {
        id: b.id,
        plant_id: b.plant_id,
        plant_name: ctx.ctx_plant_name,
        mix_id: b.mix_id,
        mix_code: ctx.ctx_mix_code,
        grade: ctx.ctx_grade,
        marks: ctx.ctx_marks,
        project_id: b.project_id,
        project_name: ctx.ctx_project_name,
        pour_location: b.pour_location,
        planned_m3: b.planned_m3,
        produced_on: b.produced_on,
        acceptance_id: b.acceptance_id,
        created_at: crate::time::fmt_local(b.created_at),
    }
}

/// A batch the caller may see, or 404.
pub(crate) async fn visible_batch(c: &mut AnyConnection, caller: &Caller, id: &str) -> Result<(Batch, Context)> {
    let (b, ctx) = store::batch(c, id).await?.ok_or(AppError::NotFound)?;
    if sees(caller, &ctx)? { Ok((b, ctx)) } else { Err(AppError::NotFound) }
}

/// Opens a production batch: a plant's mix for one pour of a project (the
/// plant's own accounts).
pub async fn add_batch(app: &App, caller: &Caller, i: &BatchInput) -> Result<BatchView> {
    let location = i.pour_location.trim();
    if location.is_empty() || location.chars().count() > 100 {
        return Err(AppError::field("pour_location", "请填写浇筑部位（不超过100个字符）"));
    }
    if !i.planned_m3.is_finite() || i.planned_m3 <= 0.0 || i.planned_m3 > 100_000.0 {
        return Err(AppError::field("planned_m3", "计划方量应为大于 0、不超过 100000 的数（m³）"));
    }
    validate_date("produced_on", &i.produced_on)?;
    let mut tx = app.db.begin().await?;
    let plant = store::plant(&mut tx, &i.plant_id).await?.ok_or_else(|| AppError::field("plant_id", "搅拌站不存在"))?;
    caller.require(plant_operator(caller, &plant.enterprise_id))?;
    let mix = store::mix(&mut tx, &i.mix_id)
        .await?
        .filter(|m| m.plant_id == plant.id)
        .ok_or_else(|| AppError::field("mix_id", "该搅拌站没有这个配合比"))?;
    let project =
        projects::get(&mut tx, &i.project_id).await?.ok_or_else(|| AppError::field("project_id", "项目不存在"))?;
    if matches!(project.status.as_str(), "suspended" | "completed") {
        return Err(AppError::field("project_id", "项目已停工或竣工，不能供应混凝土"));
    }
    let b = Batch {
        id: new_id(),
        plant_id: plant.id.clone(),
        mix_id: mix.id.clone(),
        project_id: project.id.clone(),
        pour_location: location.into(),
        planned_m3: i.planned_m3,
        produced_on: i.produced_on.clone(),
        acceptance_id: None,
        created_at: now_ms(),
    };
    store::insert_batch(&mut tx, &b).await?;
    record_batch(&mut tx, caller, &b).await?;
    let (b, ctx) = store::batch(&mut tx, &b.id).await?.ok_or(AppError::NotFound)?;
    tx.commit().await?;
    Ok(batch_view(b, ctx))
}

/// The audit row and ledger record of a new batch.
pub async fn record_batch(c: &mut AnyConnection, caller: &Caller, b: &Batch) -> Result<()> {
    audit::record::<(), _>(c, caller, "create", "concrete_batch", &b.id, None, Some(b)).await?;
    let content = json!({"batch_id": b.id, "plant_id": b.plant_id, "mix_id": b.mix_id, "project_id": b.project_id,
        "pour_location": b.pour_location, "planned_m3": dec(b.planned_m3, 1), "produced_on": b.produced_on});
    let fields = json!({"plant_id": b.plant_id, "mix_id": b.mix_id, "project_id": b.project_id});
    step(c, "concrete.batch.created", &b.id, caller, b.created_at, fields, content).await?;
    Ok(())
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct BatchFilter {
    pub project_id: Option<String>,
    pub plant_id: Option<String>,
    /// `false`: only batches not yet accepted; `true`: only accepted ones.
    pub accepted: Option<bool>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

pub async fn list_batches(app: &App, caller: &Caller, f: &BatchFilter) -> Result<(Vec<BatchView>, i64)> {
    let mut c = app.db.read().await?;
    let q = BatchQuery { project_id: f.project_id.clone(), plant_id: f.plant_id.clone(), accepted: f.accepted };
    let (rows, total) = store::batches(&mut c, &caller.scope, &q, Page::new(f.page, f.per_page)).await?;
    Ok((rows.into_iter().map(|(b, ctx)| batch_view(b, ctx)).collect(), total))
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BatchDetail {
    #[serde(flatten)]
    pub batch: BatchView,
    pub tickets: Vec<TicketView>,
    pub specimens: Vec<super::quality::SpecimenView>,
    pub acceptance: Option<super::quality::AcceptanceView>,
}

/// A batch with its tickets, specimens and acceptance.
pub async fn get_batch(app: &App, caller: &Caller, id: &str) -> Result<BatchDetail> {
    let mut c = app.db.read().await?;
    let (b, ctx) = visible_batch(&mut c, caller, id).await?;
    let tickets =
        store::tickets_of_batch(&mut c, &b.id).await?.into_iter().map(|t| ticket_view(t, ctx.clone())).collect();
    let specimens = store::specimens_of_batch(&mut c, &b.id)
        .await?
        .into_iter()
        .map(|s| super::quality::specimen_view(s, &ctx.ctx_grade))
        .collect();
    let acceptance = match &b.acceptance_id {
        Some(a) => store::acceptance(&mut c, a).await?.map(super::quality::acceptance_view),
        None => None,
    };
    Ok(BatchDetail { batch: batch_view(b, ctx), tickets, specimens, acceptance })
}

// ------------------------------------------------------------------ tickets

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct TicketInput {
    /// The plant's ticket number (unique per plant).
    pub number: String,
    /// Truck (plate number or fleet number).
    pub truck: String,
    /// Load, m³.
    pub volume_m3: f64,
    /// Slump measured at the plant, mm.
    pub slump_mm: u32,
    /// Air temperature, °C (selects the placing limit).
    pub temperature_c: f64,
    /// Start of mixing (water added), RFC 3339.
    pub mixed_at: String,
    /// Departure from the plant, RFC 3339.
    pub departed_at: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TicketView {
    pub id: String,
    /// Public code: the QR code opens `public_path`.
    pub code: String,
    pub number: String,
    /// issued | received | placed | rejected
    pub status: String,
    pub status_label: String,
    pub batch_id: String,
    pub plant_id: String,
    pub plant_name: String,
    pub project_id: String,
    pub project_name: String,
    pub pour_location: String,
    pub grade: String,
    pub marks: String,
    pub mix_code: String,
    pub truck: String,
    pub volume_m3: f64,
    pub slump_mm: i64,
    pub temperature_c: f64,
    pub mixed_at: String,
    pub departed_at: String,
    pub arrived_at: Option<String>,
    pub placed_at: Option<String>,
    pub site_slump_mm: Option<i64>,
    /// The site slump lies within the mix design's slump ± tolerance.
    pub site_slump_ok: Option<bool>,
    pub site_temperature_c: Option<f64>,
    /// The receiving signatory's account.
    pub received_by: Option<String>,
    pub received_at: Option<String>,
    pub reject_reason: Option<String>,
    /// The public page of the ticket (no login), e.g. `/c/7KX3M9QH2P`.
    pub public_path: String,
    /// The ticket's QR code (SVG) pointing at the public page.
    pub qr_path: String,
}

pub(crate) fn ticket_view(t: Ticket, ctx: Context) -> TicketView {
    let ok = t
        .site_slump_mm
        .map(|m| rules::slump_ok(ctx.ctx_design_slump_mm as u32, ctx.ctx_slump_tolerance_mm as u32, m.max(0) as u32));
    TicketView {
        status_label: status_label(&t.status).into(),
        public_path: format!("/c/{}", t.code),
        qr_path: format!("/c/{}/qr.svg", t.code),
        mixed_at: crate::time::fmt_local(t.mixed_at),
        departed_at: crate::time::fmt_local(t.departed_at),
        arrived_at: fmt_opt(t.arrived_at),
        placed_at: fmt_opt(t.placed_at),
        received_at: fmt_opt(t.received_at),
        site_slump_ok: ok,
        id: t.id,
        code: t.code,
        number: t.number,
        status: t.status,
        batch_id: t.batch_id,
        plant_id: t.plant_id,
        plant_name: ctx.ctx_plant_name,
        project_id: t.project_id,
        project_name: ctx.ctx_project_name,
        pour_location: ctx.ctx_pour_location,
        grade: ctx.ctx_grade,
        marks: ctx.ctx_marks,
        mix_code: ctx.ctx_mix_code,
        truck: t.truck,
        volume_m3: t.volume_m3,
        slump_mm: t.slump_mm,
        temperature_c: t.temperature_c,
        site_slump_mm: t.site_slump_mm,
        site_temperature_c: t.site_temperature_c,
        received_by: t.received_by,
        reject_reason: t.reject_reason,
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WarningView {
    pub id: String,
    pub ticket_id: String,
    pub project_id: String,
    /// transport | placing
    pub kind: String,
    pub kind_label: String,
    pub limit_min: i64,
    pub elapsed_min: f64,
    pub over_min: f64,
    pub message: String,
    pub created_at: String,
}

fn warning_view(w: Warning) -> WarningView {
    let label = match w.kind.as_str() {
        "transport" => LimitKind::Transport.label(),
        _ => LimitKind::Placing.label(),
    };
    WarningView {
        kind_label: label.into(),
        elapsed_min: rules::minutes(w.elapsed_ms),
        over_min: rules::minutes(w.over_ms),
        created_at: crate::time::fmt_local(w.created_at),
        id: w.id,
        ticket_id: w.ticket_id,
        project_id: w.project_id,
        kind: w.kind,
        limit_min: w.limit_min,
        message: w.message,
    }
}

/// One recorded step with its place on the evidence ledger.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StepView {
    /// The ledger record's id.
    pub id: String,
    /// e.g. `concrete.ticket.received`
    pub kind: String,
    pub at: String,
    /// Leaf index once sequenced (within about a second).
    pub ledger_index: Option<i64>,
}

pub(crate) async fn steps(c: &mut AnyConnection, subject: &str) -> Result<Vec<StepView>> {
    let events = store::events_of(c, subject).await?;
    let ids: Vec<String> = events.iter().map(|e| e.id.clone()).collect();
    let idx = crate::ledger::indexes_of(c, &ids).await?;
    Ok(events
        .into_iter()
        .map(|e| StepView {
            ledger_index: idx.get(&e.id).copied(),
            at: crate::time::fmt_local(e.at),
            id: e.id,
            kind: e.kind,
        })
        .collect())
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TicketDetail {
    #[serde(flatten)]
    pub ticket: TicketView,
    /// The receiving signatory's display name (only to those who may see the ticket).
    pub received_by_name: Option<String>,
    pub warnings: Vec<WarningView>,
    pub steps: Vec<StepView>,
}

async fn detail(c: &mut AnyConnection, t: Ticket, ctx: Context) -> Result<TicketDetail> {
    let received_by_name = match &t.received_by {
        Some(u) => accounts::user_by_id(c, u).await?.map(|u| u.display_name),
        None => None,
    };
    let warnings = store::warnings_of_ticket(c, &t.id).await?.into_iter().map(warning_view).collect();
    let steps = steps(c, &t.id).await?;
    Ok(TicketDetail { ticket: ticket_view(t, ctx), received_by_name, warnings, steps })
}

fn check_text(field: &str, s: &str, max: usize, what: &str) -> Result<String> {
    let t = s.trim();
    if t.is_empty() || t.chars().count() > max {
        return Err(AppError::field(field, format!("请填写{what}（不超过{max}个字符）")));
    }
    Ok(t.into())
}

/// Issues the delivery ticket of one truck of a batch (the plant's own
/// accounts). Its public code goes into the QR code printed on it.
pub async fn issue_ticket(app: &App, caller: &Caller, batch_id: &str, i: &TicketInput) -> Result<TicketDetail> {
    let now = now_ms();
    let number = check_text("number", &i.number, 50, "发货单号")?;
    let truck = check_text("truck", &i.truck, 20, "车辆（车牌号或车号）")?;
    rules::check_volume("volume_m3", i.volume_m3)?;
    rules::check_slump("slump_mm", i.slump_mm)?;
    rules::check_temperature("temperature_c", i.temperature_c)?;
    let mixed_at = parse_time("mixed_at", &i.mixed_at, now)?;
    let departed_at = parse_time("departed_at", &i.departed_at, now)?;
    DeliveryTimes { mixed_at, departed_at, arrived_at: None, placed_at: None }.validate()?;
    let mut tx = app.db.begin().await?;
    let (b, ctx) = visible_batch(&mut tx, caller, batch_id).await?;
    caller.require(plant_operator(caller, &ctx.ctx_plant_enterprise_id))?;
    if b.acceptance_id.is_some() {
        return Err(AppError::field("batch_id", "该批次已完成强度验收，不能再发货"));
    }
    let t = Ticket {
        id: new_id(),
        code: crate::hazards::tracking_code_from(crate::crypto::random_bytes::<10>()),
        number,
        batch_id: b.id.clone(),
        plant_id: b.plant_id.clone(),
        project_id: b.project_id.clone(),
        truck,
        volume_m3: i.volume_m3,
        slump_mm: i64::from(i.slump_mm),
        temperature_c: i.temperature_c,
        mixed_at,
        departed_at,
        arrived_at: None,
        placed_at: None,
        site_slump_mm: None,
        site_temperature_c: None,
        status: "issued".into(),
        issued_by: caller.actor_id(),
        received_by: None,
        received_at: None,
        reject_reason: None,
        created_at: now,
        updated_at: now,
    };
    store::insert_ticket(&mut tx, &t).await?;
    record_issue(&mut tx, caller, &t, &ctx).await?;
    let d = detail(&mut tx, t, ctx).await?;
    tx.commit().await?;
    Ok(d)
}

/// The audit row and ledger record of an issued ticket: the content is the
/// ticket as printed (what the public page shows and lets anyone re-hash).
pub async fn record_issue(c: &mut AnyConnection, caller: &Caller, t: &Ticket, ctx: &Context) -> Result<()> {
    audit::record::<(), _>(c, caller, "issue", "concrete_ticket", &t.id, None, Some(t)).await?;
    let content = json!({
        "ticket_id": t.id, "code": t.code, "number": t.number, "batch_id": t.batch_id,
        "plant_id": t.plant_id, "plant": ctx.ctx_plant_name, "project_id": t.project_id, "project": ctx.ctx_project_name,
        "pour_location": ctx.ctx_pour_location, "grade": ctx.ctx_grade, "marks": ctx.ctx_marks, "mix": ctx.ctx_mix_code,
        "slump_mm": t.slump_mm, "volume_m3": dec(t.volume_m3, 1), "truck": t.truck,
        "temperature_c": dec(t.temperature_c, 1), "mixed_at": t.mixed_at, "departed_at": t.departed_at,
    });
    let fields = json!({"code": t.code, "batch_id": t.batch_id, "plant_id": t.plant_id, "project_id": t.project_id});
    step(c, "concrete.ticket.issued", &t.id, caller, t.created_at, fields, content).await?;
    Ok(())
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct TicketFilter {
    pub project_id: Option<String>,
    pub plant_id: Option<String>,
    pub batch_id: Option<String>,
    /// issued | received | placed | rejected
    pub status: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

pub async fn list_tickets(app: &App, caller: &Caller, f: &TicketFilter) -> Result<(Vec<TicketView>, i64)> {
    if let Some(s) = &f.status
        && status_label(s).is_empty()
    {
        return Err(AppError::field("status", "状态应为 issued、received、placed 或 rejected"));
    }
    let mut c = app.db.read().await?;
    let q = TicketQuery {
        project_id: f.project_id.clone(),
        plant_id: f.plant_id.clone(),
        batch_id: f.batch_id.clone(),
        status: f.status.clone(),
    };
    let (rows, total) = store::tickets(&mut c, &caller.scope, &q, Page::new(f.page, f.per_page)).await?;
    Ok((rows.into_iter().map(|(t, ctx)| ticket_view(t, ctx)).collect(), total))
}

/// A ticket (by id or public code) with its warnings and steps.
pub async fn get_ticket(app: &App, caller: &Caller, key: &str) -> Result<TicketDetail> {
    let mut c = app.db.read().await?;
    let (t, ctx) = store::ticket(&mut c, key).await?.ok_or(AppError::NotFound)?;
    if !sees(caller, &ctx)? {
        return Err(AppError::NotFound);
    }
    detail(&mut c, t, ctx).await
}

// ------------------------------------------------------------ sign-off

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct ReceiptInput {
    /// Arrival on site, RFC 3339 (default: now).
    pub arrived_at: Option<String>,
    /// Slump measured on site, mm.
    pub site_slump_mm: Option<u32>,
    /// Air temperature on site, °C (when given, it selects the placing limit).
    pub site_temperature_c: Option<f64>,
    /// `false` refuses the load (a reason is then required). Default `true`.
    pub accept: Option<bool>,
    pub reason: Option<String>,
    /// End of placing, when it is already over, RFC 3339.
    pub placed_at: Option<String>,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct PlacementInput {
    /// End of placing, RFC 3339 (default: now).
    pub placed_at: Option<String>,
}

/// The ticket of a sign-off, for an authorised receiver of its project only
/// (403 for anyone else, whatever else they may see).
async fn for_receiver(c: &mut AnyConnection, caller: &Caller, key: &str) -> Result<(Ticket, Context)> {
    let (t, ctx) = store::ticket(c, key).await?.ok_or(AppError::NotFound)?;
    if caller.user_id.is_empty() || !store::is_receiver(c, &t.project_id, &caller.user_id).await? {
        return Err(AppError::Forbidden);
    }
    Ok((t, ctx))
}

fn temperature(t: &Ticket) -> f64 {
    t.site_temperature_c.unwrap_or(t.temperature_c)
}

fn times(t: &Ticket) -> DeliveryTimes {
    DeliveryTimes { mixed_at: t.mixed_at, departed_at: t.departed_at, arrived_at: t.arrived_at, placed_at: t.placed_at }
}

/// Signs a ticket off on site (QR sign-off): the load is received (or
/// refused), the arrival recorded and the time limits checked; a limit
/// exceeded raises a quality warning to the project's people and the
/// region's supervisors.
pub async fn receive(app: &App, caller: &Caller, key: &str, i: &ReceiptInput) -> Result<TicketDetail> {
    let now = now_ms();
    let arrived_at = opt_time("arrived_at", i.arrived_at.as_deref(), now)?.unwrap_or(now);
    let placed_at = opt_time("placed_at", i.placed_at.as_deref(), now)?;
    if let Some(s) = i.site_slump_mm {
        rules::check_slump("site_slump_mm", s)?;
    }
    if let Some(t) = i.site_temperature_c {
        rules::check_temperature("site_temperature_c", t)?;
    }
    let accept = i.accept.unwrap_or(true);
    let reason = i.reason.as_deref().map(str::trim).filter(|r| !r.is_empty());
    if !accept && reason.is_none() {
        return Err(AppError::field("reason", "拒收时请填写原因"));
    }
    if reason.is_some_and(|r| r.chars().count() > 500) {
        return Err(AppError::field("reason", "原因不超过500个字符"));
    }
    if !accept && placed_at.is_some() {
        return Err(AppError::field("placed_at", "拒收的混凝土不能记录浇筑"));
    }
    let mut tx = app.db.begin().await?;
    let (old, ctx) = for_receiver(&mut tx, caller, key).await?;
    if old.status != "issued" {
        return Err(AppError::field("status", format!("该发货单已{}，不能重复签收", status_label(&old.status))));
    }
    let t = Ticket {
        status: match (accept, placed_at) {
            (false, _) => "rejected",
            (true, Some(_)) => "placed",
            (true, None) => "received",
        }
        .into(),
        arrived_at: Some(arrived_at),
        placed_at,
        site_slump_mm: i.site_slump_mm.map(i64::from),
        site_temperature_c: i.site_temperature_c,
        received_by: caller.actor_id(),
        received_at: Some(now),
        reject_reason: reason.map(Into::into),
        updated_at: now,
        ..old.clone()
    };
    times(&t).validate()?;
    store::sign_ticket(&mut tx, &t).await.map_err(|e| match e {
        anjian_store::StoreError::Conflict { .. } => AppError::field("status", "该发货单已被签收"),
        other => other.into(),
    })?;
    record_receipt(&mut tx, caller, &old, &t, reason).await?;
    if let Some(p) = placed_at {
        record_placed(&mut tx, caller, &t, p, now).await?;
    }
    if accept {
        check_limits(app, &mut tx, caller, &t, &ctx).await?;
    }
    let d = detail(&mut tx, t, ctx).await?;
    tx.commit().await?;
    Ok(d)
}

/// The audit row and ledger record of a sign-off (received or refused, at
/// `t.received_at`); a refusal's reason goes on the ledger as its hash only.
pub async fn record_receipt(
    c: &mut AnyConnection,
    caller: &Caller,
    before: &Ticket,
    t: &Ticket,
    reason: Option<&str>,
) -> Result<()> {
    let accept = t.status != "rejected";
    let status = if accept { "received" } else { "rejected" };
    audit::record(
        c,
        caller,
        if accept { "receive" } else { "reject" },
        "concrete_ticket",
        &t.id,
        Some(before),
        Some(t),
    )
    .await?;
    let signed_at = t.received_at.unwrap_or(t.updated_at);
    let content = json!({
        "ticket_id": t.id, "code": t.code, "status": status, "arrived_at": t.arrived_at,
        "site_slump_mm": t.site_slump_mm, "site_temperature_c": t.site_temperature_c.map(|x| dec(x, 1)),
        "receiver_id": t.received_by, "signed_at": signed_at,
        "reason_sha256": reason.map(|r| hex::encode(<sha2::Sha256 as sha2::Digest>::digest(r.as_bytes()))),
    });
    let fields = json!({"code": t.code, "project_id": t.project_id, "status": status});
    step(c, &format!("concrete.ticket.{status}"), &t.id, caller, signed_at, fields, content).await?;
    Ok(())
}

/// The ledger record of the end of placing (recorded at `now`).
pub async fn record_placed(c: &mut AnyConnection, caller: &Caller, t: &Ticket, placed_at: i64, now: i64) -> Result<()> {
    let content = json!({"ticket_id": t.id, "code": t.code, "placed_at": placed_at, "receiver_id": caller.actor_id()});
    let fields = json!({"code": t.code, "project_id": t.project_id});
    step(c, "concrete.ticket.placed", &t.id, caller, now, fields, content).await?;
    Ok(())
}

/// Records the end of placing of a received load (an authorised receiver of
/// the project) and checks the mixing → placing limit.
pub async fn place(app: &App, caller: &Caller, key: &str, i: &PlacementInput) -> Result<TicketDetail> {
    let now = now_ms();
    let placed_at = opt_time("placed_at", i.placed_at.as_deref(), now)?.unwrap_or(now);
    let mut tx = app.db.begin().await?;
    let (old, ctx) = for_receiver(&mut tx, caller, key).await?;
    if old.status != "received" {
        return Err(AppError::field("status", format!("该发货单{}，不能记录浇筑", status_label(&old.status))));
    }
    let t = Ticket { status: "placed".into(), placed_at: Some(placed_at), updated_at: now, ..old.clone() };
    times(&t).validate()?;
    store::place_ticket(&mut tx, &t.id, placed_at, now).await.map_err(|e| match e {
        anjian_store::StoreError::Conflict { .. } => AppError::field("status", "该发货单已记录浇筑"),
        other => other.into(),
    })?;
    audit::record(&mut tx, caller, "place", "concrete_ticket", &t.id, Some(&old), Some(&t)).await?;
    record_placed(&mut tx, caller, &t, placed_at, now).await?;
    check_limits(app, &mut tx, caller, &t, &ctx).await?;
    let d = detail(&mut tx, t, ctx).await?;
    tx.commit().await?;
    Ok(d)
}

fn warning_message(t: &Ticket, ctx: &Context, f: &Finding, temperature_c: f64) -> String {
    let (elapsed, over) = (rules::minutes(f.elapsed_ms), rules::minutes(f.over_ms));
    match f.kind {
        LimitKind::Transport => format!(
            "发货单 {}（{}，{}）运输 {elapsed} 分钟，超过 {} 分钟时限 {over} 分钟",
            t.number, ctx.ctx_plant_name, t.truck, f.limit_min
        ),
        LimitKind::Placing => {
            let admixture = if ctx.ctx_retarding != 0 { "掺缓凝剂" } else { "不掺缓凝剂" };
            let what = if f.placed { "自搅拌至浇筑完成" } else { "自搅拌至到场已" };
            let tail = if f.placed { "" } else { "，无法在时限内浇筑完毕" };
            format!(
                "发货单 {}（{} {}）{what} {elapsed} 分钟，超过 {} 分钟时限 {over} 分钟（气温 {temperature_c:.1} ℃，{admixture}）{tail}",
                t.number, ctx.ctx_grade, ctx.ctx_pour_location, f.limit_min
            )
        }
    }
}

/// Checks the limits in force on a ticket's times; every newly exceeded one
/// becomes a warning row, a ledger record and notifications.
async fn check_limits(app: &App, c: &mut AnyConnection, caller: &Caller, t: &Ticket, ctx: &Context) -> Result<()> {
    let limits = limits_in(c).await?;
    let temp = temperature(t);
    let findings = rules::check(&times(t), temp, ctx.ctx_retarding != 0, &limits);
    for f in &findings {
        let w = warning_row(t, ctx, f, temp, now_ms());
        if !store::insert_warning(c, &w).await? {
            continue;
        }
        record_warning(c, caller, t, &w, &limits.basis).await?;
        let to = warning_recipients(c, t, ctx).await?;
        let title = format!("混凝土质量预警：{} {}", f.kind.label(), ctx.ctx_project_name);
        notify_users(app, c, &to, "concrete_warning", &title, &w.message, None).await?;
    }
    Ok(())
}

/// The audit row and ledger record of a stored warning.
pub async fn record_warning(
    c: &mut AnyConnection,
    caller: &Caller,
    t: &Ticket,
    w: &Warning,
    basis: &str,
) -> Result<()> {
    let content = json!({"warning_id": w.id, "ticket_id": t.id, "code": t.code, "kind": w.kind,
        "limit_min": w.limit_min, "elapsed_ms": w.elapsed_ms, "basis": basis});
    let fields = json!({"code": t.code, "project_id": t.project_id, "kind": w.kind});
    step(c, "concrete.warning.raised", &t.id, caller, w.created_at, fields, content).await?;
    audit::record::<(), _>(c, caller, "warn", "concrete_ticket", &t.id, None, Some(w)).await?;
    Ok(())
}

/// A warning row for a finding on a ticket, with its message.
pub fn warning_row(t: &Ticket, ctx: &Context, f: &Finding, temperature_c: f64, at: i64) -> Warning {
    Warning {
        id: new_id(),
        ticket_id: t.id.clone(),
        project_id: t.project_id.clone(),
        kind: f.kind.as_str().into(),
        limit_min: i64::from(f.limit_min),
        elapsed_ms: f.elapsed_ms,
        over_ms: f.over_ms,
        message: warning_message(t, ctx, f, temperature_c),
        created_at: at,
    }
}

/// The project's people (accounts of its three parties and its receivers)
/// and the closest supervisors of the project's region.
async fn warning_recipients(c: &mut AnyConnection, t: &Ticket, ctx: &Context) -> Result<Vec<String>> {
    let mut to = Vec::new();
    for e in parties(ctx) {
        for role in ["enterprise-head", "enterprise-staff"] {
            to.extend(notifications::enterprise_users(c, e, role).await?);
        }
    }
    to.extend(store::receivers(c, &t.project_id).await?.into_iter().map(|r| r.user_id));
    let sups = notifications::supervisors_of(c, &ctx.ctx_project_region).await?;
    to.extend(closest_supervisors(&sups, &ctx.ctx_project_region));
    Ok(to)
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct WarningFilter {
    pub project_id: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// Quality warnings in the caller's scope, newest first.
pub async fn list_warnings(app: &App, caller: &Caller, f: &WarningFilter) -> Result<(Vec<WarningView>, i64)> {
    let mut c = app.db.read().await?;
    let (rows, total) =
        store::warnings(&mut c, &caller.scope, f.project_id.as_deref(), Page::new(f.page, f.per_page)).await?;
    Ok((rows.into_iter().map(warning_view).collect(), total))
}

// ------------------------------------------------------------------ receivers

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ReceiverInput {
    /// An account (head or staff) of one of the project's three parties.
    pub user_id: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReceiverView {
    pub user_id: String,
    pub username: String,
    pub display_name: String,
    pub granted_at: String,
}

async fn visible_project(c: &mut AnyConnection, caller: &Caller, id: &str) -> Result<projects::Project> {
    let p = projects::get(c, id).await?.ok_or(AppError::NotFound)?;
    if project_visible(caller, &p) { Ok(p) } else { Err(AppError::NotFound) }
}

/// Heads of the project's parties and regulators over the project manage its receivers.
fn require_receiver_manager(caller: &Caller, p: &projects::Project) -> Result<()> {
    let parties = [p.builder_id.as_str(), p.contractor_id.as_str(), p.supervisor_id.as_str()];
    caller.require(project_party(caller, parties, true) || project_regulator(caller, &p.region_code)?)
}

pub async fn list_receivers(app: &App, caller: &Caller, project_id: &str) -> Result<Vec<ReceiverView>> {
    let mut c = app.db.read().await?;
    let p = visible_project(&mut c, caller, project_id).await?;
    receivers_of(&mut c, &p.id).await
}

async fn receivers_of(c: &mut AnyConnection, project_id: &str) -> Result<Vec<ReceiverView>> {
    Ok(store::receivers(c, project_id)
        .await?
        .into_iter()
        .map(|r| ReceiverView {
            user_id: r.user_id,
            username: r.username,
            display_name: r.display_name,
            granted_at: crate::time::fmt_local(r.granted_at),
        })
        .collect())
}

/// Authorises an account of one of the project's parties to sign concrete off on site.
pub async fn grant_receiver(
    app: &App,
    caller: &Caller,
    project_id: &str,
    i: &ReceiverInput,
) -> Result<Vec<ReceiverView>> {
    let mut tx = app.db.begin().await?;
    let p = visible_project(&mut tx, caller, project_id).await?;
    require_receiver_manager(caller, &p)?;
    let u = accounts::user_by_id(&mut tx, &i.user_id)
        .await?
        .filter(|u| u.disabled == 0)
        .ok_or_else(|| AppError::field("user_id", "账号不存在或已停用"))?;
    let role = Role::parse("role", &u.role).map_err(|e| AppError::Internal(e.to_string()))?;
    let ents = accounts::enterprises_of(&mut tx, &u.id).await?;
    let parties = [&p.builder_id, &p.contractor_id, &p.supervisor_id];
    if !matches!(role, Role::EnterpriseHead | Role::EnterpriseStaff) || !ents.iter().any(|e| parties.contains(&e)) {
        return Err(AppError::field("user_id", "签收人应为本项目建设、施工或监理单位的账号"));
    }
    let now = now_ms();
    store::grant_receiver(&mut tx, &p.id, &u.id, caller.actor_id().as_deref(), now).await?;
    record_grant(&mut tx, caller, &p.id, &u.id, now).await?;
    let list = receivers_of(&mut tx, &p.id).await?;
    tx.commit().await?;
    Ok(list)
}

/// The audit row and ledger record of a receiver's authorisation.
pub async fn record_grant(
    c: &mut AnyConnection,
    caller: &Caller,
    project_id: &str,
    user_id: &str,
    at: i64,
) -> Result<()> {
    audit::record::<(), _>(
        c,
        caller,
        "grant",
        "concrete_receiver",
        project_id,
        None,
        Some(&json!({"user_id": user_id})),
    )
    .await?;
    let content = json!({"project_id": project_id, "user_id": user_id, "granted_at": at});
    step(c, "concrete.receiver.granted", project_id, caller, at, json!({"user_id": user_id}), content).await?;
    Ok(())
}

/// Withdraws a receiver's authorisation.
pub async fn revoke_receiver(app: &App, caller: &Caller, project_id: &str, user_id: &str) -> Result<()> {
    let mut tx = app.db.begin().await?;
    let p = visible_project(&mut tx, caller, project_id).await?;
    require_receiver_manager(caller, &p)?;
    if !store::revoke_receiver(&mut tx, &p.id, user_id).await? {
        return Err(AppError::NotFound);
    }
    let now = now_ms();
    audit::record::<_, ()>(
        &mut tx,
        caller,
        "revoke",
        "concrete_receiver",
        &p.id,
        Some(&json!({"user_id": user_id})),
        None,
    )
    .await?;
    let content = json!({"project_id": p.id, "user_id": user_id, "revoked_at": now});
    step(&mut tx, "concrete.receiver.revoked", &p.id, caller, now, json!({"user_id": user_id}), content).await?;
    tx.commit().await?;
    Ok(())
}
