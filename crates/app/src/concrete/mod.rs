//! Ready-mixed concrete traceability (L2, seed 000 混凝土质量区块链平台):
//! batching plants and their mix designs ([`plants`]); production batches,
//! delivery tickets with a public QR code, sign-off on site by an
//! authorised receiver, and time-limit warnings ([`delivery`]); test
//! specimens and GB/T 50107 acceptance, a failed lot opening a quality
//! hazard on the project ([`quality`]); the public ticket page with its
//! ledger inclusion proofs ([`public`]).
//!
//! Every step is one transaction with its audit row, a `concrete_events`
//! row and an evidence-ledger record (`concrete.<thing>.<step>`) whose
//! `content` is exactly that row's canonical JSON: ids, codes, times and
//! values, never a person's name, so the public page can show it and anyone
//! can recompute its hash.

pub mod delivery;
pub mod plants;
pub mod public;
pub mod quality;

use crate::{App, AppError, Caller, Result};
use anjian_domain::concrete::TimeLimits;
use anjian_domain::ids::RegionCode;
use anjian_domain::role::Role;
use anjian_store::concrete::{self as store, Context, Event};
use anjian_store::{AnyConnection, new_id};
use serde_json::Value;

/// A time may lie this far in the future (clocks of phones and plant
/// systems differ a little).
pub const CLOCK_SKEW_MS: i64 = 5 * 60_000;

/// A decimal quantity as it goes into ledger content: a string with fixed
/// places (canonical JSON holds integers only).
pub(crate) fn dec(x: f64, places: usize) -> Value {
    Value::String(format!("{x:.places$}"))
}

/// Records one step inside the caller's transaction: the event row with its
/// canonical content and the evidence-ledger record that hashes it. Returns
/// the record's id.
pub(crate) async fn step(
    c: &mut AnyConnection,
    kind: &str,
    subject: &str,
    actor: &Caller,
    at: i64,
    fields: Value,
    content: Value,
) -> Result<String> {
    let id = new_id();
    let canonical = anjian_ledger::canonical_json(&content).map_err(|e| AppError::Internal(format!("{kind}: {e}")))?;
    store::insert_event(
        c,
        &Event {
            id: id.clone(),
            subject_id: subject.into(),
            kind: kind.into(),
            at,
            actor_id: actor.actor_id(),
            content: canonical,
        },
    )
    .await?;
    let actor_id = crate::ledger::actor_of(actor);
    crate::ledger::append(
        c,
        &id,
        &crate::ledger::Record { kind, subject, actor: &actor_id, time_ms: at, fields, content },
    )
    .await?;
    Ok(id)
}

/// A time given as RFC 3339 with an offset (`2026-11-25T08:30:00+08:00`),
/// not in the future; epoch ms.
pub(crate) fn parse_time(field: &str, s: &str, now: i64) -> Result<i64> {
    let ts: jiff::Timestamp = s
        .trim()
        .parse()
        .map_err(|_| AppError::field(field, "时间格式应为 RFC 3339，例如 2026-11-25T08:30:00+08:00"))?;
    let ms = ts.as_millisecond();
    if ms > now + CLOCK_SKEW_MS {
        return Err(AppError::field(field, "时间不能晚于当前时间"));
    }
    Ok(ms)
}

pub(crate) fn opt_time(field: &str, s: Option<&str>, now: i64) -> Result<Option<i64>> {
    s.map(|s| parse_time(field, s, now)).transpose()
}

pub(crate) fn fmt_opt(ms: Option<i64>) -> Option<String> {
    ms.map(crate::time::fmt_local)
}

fn region(code: &str) -> Result<RegionCode> {
    RegionCode::parse("region", code).map_err(|e| AppError::Internal(e.to_string()))
}

/// Whether the caller may see a batch or ticket of this context: a
/// regulator over the project's or the plant's region, an account of the
/// plant's enterprise or of one of the project's three parties.
pub(crate) fn sees(caller: &Caller, ctx: &Context) -> Result<bool> {
    let project = region(&ctx.ctx_project_region)?;
    let plant = region(&ctx.ctx_plant_region)?;
    let parties = [&ctx.ctx_builder_id, &ctx.ctx_contractor_id, &ctx.ctx_supervisor_id];
    Ok(caller.scope.allows(&plant, Some(&ctx.ctx_plant_enterprise_id))
        || parties.iter().any(|e| caller.scope.allows(&project, Some(e))))
}

/// An account (head or staff) of the plant's enterprise, or a super admin.
pub(crate) fn plant_operator(caller: &Caller, plant_enterprise_id: &str) -> bool {
    caller.is_admin()
        || (matches!(caller.role, Role::EnterpriseHead | Role::EnterpriseStaff)
            && caller.enterprise_ids.iter().any(|e| e == plant_enterprise_id))
}

/// The project's parties (建设/施工/监理) the caller belongs to: any
/// enterprise account, or only heads.
pub(crate) fn project_party(caller: &Caller, parties: [&str; 3], heads_only: bool) -> bool {
    let role_ok = match caller.role {
        Role::EnterpriseHead => true,
        Role::EnterpriseStaff => !heads_only,
        _ => false,
    };
    role_ok && caller.enterprise_ids.iter().any(|e| parties.contains(&e.as_str()))
}

/// A regulator whose region holds the project.
pub(crate) fn project_regulator(caller: &Caller, project_region: &str) -> Result<bool> {
    Ok(caller.role.is_regulator() && caller.scope.allows_region(&region(project_region)?))
}

pub(crate) fn parties(ctx: &Context) -> [&str; 3] {
    [&ctx.ctx_builder_id, &ctx.ctx_contractor_id, &ctx.ctx_supervisor_id]
}

// ------------------------------------------------------------- time limits

const LIMITS_KEY: &str = "concrete.time_limits";

/// The time limits in force: the deployment's (`PUT
/// /api/v1/concrete/time-limits`), else the shipped table (standards.md §2).
pub async fn time_limits(app: &App) -> Result<TimeLimits> {
    let mut c = app.db.read().await?;
    limits_in(&mut c).await
}

pub(crate) async fn limits_in(c: &mut AnyConnection) -> Result<TimeLimits> {
    Ok(match anjian_store::settings::get(c, LIMITS_KEY).await? {
        Some(v) => serde_json::from_str(&v).map_err(|e| AppError::Internal(format!("stored time limits: {e}")))?,
        None => TimeLimits::default(),
    })
}

/// Replaces the time-limit table (super admin or city supervisor): audited
/// and logged on the evidence ledger, since warnings are decided by it.
pub async fn set_time_limits(app: &App, caller: &Caller, l: &TimeLimits) -> Result<TimeLimits> {
    caller.require(matches!(caller.role, Role::SuperAdmin | Role::CitySupervisor))?;
    l.validate()?;
    let mut tx = app.db.begin().await?;
    let before = limits_in(&mut tx).await?;
    let text = serde_json::to_string(l).map_err(|e| AppError::Internal(e.to_string()))?;
    anjian_store::settings::set(&mut tx, LIMITS_KEY, &text).await?;
    crate::audit::record(&mut tx, caller, "update", "concrete_time_limits", LIMITS_KEY, Some(&before), Some(l)).await?;
    let content = serde_json::json!({
        "transport_min": l.transport_min, "hot_above_c": dec(l.hot_above_c, 1),
        "plain_min": l.plain_min, "retarded_min": l.retarded_min, "basis": l.basis,
    });
    let hash = crate::ledger::content_hash(&content)?;
    step(
        &mut tx,
        "concrete.limits.changed",
        LIMITS_KEY,
        caller,
        anjian_store::now_ms(),
        serde_json::json!({"sha256": hash}),
        content,
    )
    .await?;
    tx.commit().await?;
    Ok(l.clone())
}
