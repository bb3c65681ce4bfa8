//! Emergency response (E1): a red alarm opens a response record — who was
//! notified, when the first person acknowledged (against the seed's
//! 15-minute target, flagged when missed), the measures taken, and the
//! close-out review. Every change is audited.

use crate::{App, AppError, Caller, Result, audit};
use anjian_domain::ids::RegionCode;
use anjian_store::emergency::{self, Response};
use anjian_store::monitoring::Alarm;
use anjian_store::{AnyConnection, new_id, now_ms};
use serde::{Deserialize, Serialize};

/// The response target: someone acknowledges a red alarm within 15 minutes.
pub const RESPONSE_TARGET_MS: i64 = 15 * 60_000;

/// Opens the response of a red alarm (once per alarm) in the alarm's transaction.
pub(crate) async fn open_for_red(c: &mut AnyConnection, alarm: &Alarm, title: &str, notified: &[String]) -> Result<()> {
    if emergency::of_alarm(c, &alarm.id).await?.is_some() {
        return Ok(());
    }
    let mut to: Vec<&String> = notified.iter().collect();
    to.sort();
    to.dedup();
    let r = Response {
        id: new_id(),
        alarm_id: alarm.id.clone(),
        enterprise_id: alarm.enterprise_id.clone(),
        region_code: alarm.region_code.clone(),
        title: title.into(),
        opened_at: alarm.level_at,
        notified: serde_json::to_string(&to).unwrap_or_else(|_| "[]".into()),
        acknowledged_at: None,
        acknowledged_by: None,
        measures: "[]".into(),
        closed_at: None,
        closed_by: None,
        review: None,
    };
    emergency::insert(c, &r).await?;
    audit::record::<(), _>(c, &Caller::system(), "open", "emergency", &r.id, None, Some(&r)).await
}

/// The first acknowledgement of the alarm counts as the response.
pub(crate) async fn acknowledged(c: &mut AnyConnection, alarm_id: &str, caller: &Caller, at: i64) -> Result<()> {
    let Some(mut r) = emergency::of_alarm(c, alarm_id).await? else { return Ok(()) };
    if r.acknowledged_at.is_some() {
        return Ok(());
    }
    let before = r.clone();
    r.acknowledged_at = Some(at);
    r.acknowledged_by = Some(caller.display_name.clone());
    emergency::update(c, &r).await?;
    audit::record(c, caller, "acknowledge", "emergency", &r.id, Some(&before), Some(&r)).await
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Measure {
    pub at: String,
    pub by: String,
    pub text: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EmergencyView {
    pub id: String,
    pub alarm_id: String,
    pub enterprise_id: String,
    pub region_code: String,
    pub title: String,
    /// open | closed
    pub state: String,
    pub opened_at: String,
    /// Accounts notified when it opened.
    pub notified: Vec<String>,
    pub acknowledged_at: Option<String>,
    pub acknowledged_by: Option<String>,
    /// Minutes from the red alarm to the first acknowledgement.
    pub response_minutes: Option<f64>,
    /// The 15-minute target was missed (or is already missed while nobody has responded).
    pub late: bool,
    pub measures: Vec<Measure>,
    pub closed_at: Option<String>,
    pub closed_by: Option<String>,
    pub review: Option<String>,
}

fn view(r: Response, now: i64) -> EmergencyView {
    let waited = r.acknowledged_at.unwrap_or(now) - r.opened_at;
    EmergencyView {
        state: if r.closed_at.is_some() { "closed" } else { "open" }.into(),
        opened_at: crate::time::fmt_local(r.opened_at),
        notified: serde_json::from_str(&r.notified).unwrap_or_default(),
        acknowledged_at: r.acknowledged_at.map(crate::time::fmt_local),
        response_minutes: r.acknowledged_at.map(|a| ((a - r.opened_at) as f64 / 6_000.0).round() / 10.0),
        late: waited > RESPONSE_TARGET_MS,
        measures: serde_json::from_str(&r.measures).unwrap_or_default(),
        closed_at: r.closed_at.map(crate::time::fmt_local),
        id: r.id,
        alarm_id: r.alarm_id,
        enterprise_id: r.enterprise_id,
        region_code: r.region_code,
        title: r.title,
        acknowledged_by: r.acknowledged_by,
        closed_by: r.closed_by,
        review: r.review,
    }
}

async fn visible(c: &mut AnyConnection, caller: &Caller, id: &str) -> Result<Response> {
    let r = emergency::get(c, id).await?.ok_or(AppError::NotFound)?;
    let region = RegionCode::parse("region", &r.region_code).map_err(|e| AppError::Internal(e.to_string()))?;
    if caller.scope.allows(&region, Some(&r.enterprise_id)) { Ok(r) } else { Err(AppError::NotFound) }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct EmergencyFilter {
    /// Only those not closed.
    #[serde(default)]
    pub open: bool,
}

/// Responses in the caller's scope, newest first.
pub async fn list(app: &App, caller: &Caller, f: &EmergencyFilter) -> Result<Vec<EmergencyView>> {
    let mut c = app.db.read().await?;
    let now = now_ms();
    Ok(emergency::list(&mut c, &caller.scope, f.open, 200).await?.into_iter().map(|r| view(r, now)).collect())
}

pub async fn get(app: &App, caller: &Caller, id: &str) -> Result<EmergencyView> {
    let mut c = app.db.read().await?;
    Ok(view(visible(&mut c, caller, id).await?, now_ms()))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct EmergencyAction {
    /// `measure` (record a measure taken) | `close` (with the close-out review)
    pub action: String,
    /// The measure, or the review for `close`.
    pub text: String,
}

/// Records a measure, or closes the response with its review.
pub async fn act(app: &App, caller: &Caller, id: &str, i: &EmergencyAction) -> Result<EmergencyView> {
    let text = i.text.trim();
    if text.is_empty() || text.chars().count() > 2000 {
        return Err(AppError::field("text", "内容不能为空，且不超过2000字"));
    }
    let mut tx = app.db.begin().await?;
    let mut r = visible(&mut tx, caller, id).await?;
    if r.closed_at.is_some() {
        return Err(AppError::field("action", "应急响应已结束"));
    }
    let before = r.clone();
    let now = now_ms();
    match i.action.as_str() {
        "measure" => {
            let mut ms: Vec<Measure> = serde_json::from_str(&r.measures).unwrap_or_default();
            ms.push(Measure { at: crate::time::fmt_local(now), by: caller.display_name.clone(), text: text.into() });
            r.measures = serde_json::to_string(&ms).map_err(|e| AppError::Internal(e.to_string()))?;
        }
        "close" => {
            caller.require(caller.role.is_regulator() || caller.role == anjian_domain::role::Role::EnterpriseHead)?;
            if r.acknowledged_at.is_none() {
                return Err(AppError::field("action", "告警尚未确认，不能结束应急响应"));
            }
            r.closed_at = Some(now);
            r.closed_by = Some(caller.display_name.clone());
            r.review = Some(text.into());
        }
        other => return Err(AppError::field("action", format!("未知操作: {other}（可选 measure、close）"))),
    }
    emergency::update(&mut tx, &r).await?;
    audit::record(&mut tx, caller, &i.action, "emergency", &r.id, Some(&before), Some(&r)).await?;
    tx.commit().await?;
    Ok(view(r, now))
}
