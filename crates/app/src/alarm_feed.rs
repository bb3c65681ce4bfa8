//! The live alarm feed behind `GET /api/v1/alarms/stream`.
//!
//! It is driven from the database, not from an in-process channel, so a
//! change made by any replica reaches the subscribers of every replica: one
//! poller per process reads the alarm events recorded since the last poll
//! (every second, only while someone listens) and fans them out to the
//! subscribers, each of whom keeps the changes its scope allows.
//!
//! Event ids are UUIDv7 (creation order). A transaction may commit after a
//! later one, so each poll looks back [`LOOK_BACK_MS`] before the newest id
//! seen and skips the ids it already sent.

use crate::{App, Caller, Result};
use anjian_domain::ids::RegionCode;
use anjian_store::alarm_changes::{self, AlarmChange};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::broadcast;

/// How far back each poll looks for events committed late.
pub const LOOK_BACK_MS: i64 = 10_000;
/// Poll interval.
pub const POLL: Duration = Duration::from_secs(1);
/// Most changes read by one query.
const BATCH: i64 = 2_000;
/// Changes a slow subscriber may fall behind before it misses some (it is
/// then told to reload).
const CAPACITY: usize = 1_024;

/// One change of an alarm, as sent to the pages.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AlarmChangeView {
    /// The alarm event's id (also the SSE `id:`, for `Last-Event-ID`).
    pub event_id: String,
    /// raise | escalate | clear | acknowledge | …
    pub event: String,
    pub at: String,
    pub at_ms: i64,
    pub value: Option<f64>,
    pub alarm_id: String,
    /// The alarm's level and state after the change.
    pub level: String,
    pub level_label: String,
    /// active | acknowledged | cleared
    pub state: String,
    pub metric: String,
    pub region_code: String,
    pub enterprise_id: String,
    pub device_id: String,
    pub device_name: Option<String>,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
}

fn view(c: AlarmChange) -> AlarmChangeView {
    AlarmChangeView {
        at: crate::time::fmt_local(c.at),
        at_ms: c.at,
        level_label: level_label(&c.level).into(),
        event_id: c.event_id,
        event: c.event,
        value: c.value,
        alarm_id: c.alarm_id,
        level: c.level,
        state: c.state,
        metric: c.metric,
        region_code: c.region_code,
        enterprise_id: c.enterprise_id,
        device_id: c.device_id,
        device_name: c.device_name,
        lon: c.lon,
        lat: c.lat,
    }
}

/// The Chinese label of an alarm level code.
pub fn level_label(code: &str) -> &'static str {
    anjian_domain::monitor::Level::ALL.into_iter().find(|l| l.as_str() == code).map(|l| l.label()).unwrap_or("")
}

/// Which changes a subscriber gets: its scope, narrowed to a region subtree.
#[derive(Debug, Clone)]
pub struct Interest {
    caller: Caller,
    region: Option<RegionCode>,
}

impl Interest {
    /// The caller's changes, within `region` when given (refused when the
    /// region and the caller's own do not overlap).
    pub fn new(caller: Caller, region: Option<&str>) -> Result<Interest> {
        let region = region.map(|r| RegionCode::parse("region", r)).transpose()?;
        if let (Some(r), anjian_domain::role::Scope::Region(own)) = (&region, &caller.scope)
            && !own.contains(r)
            && !r.contains(own)
        {
            return Err(crate::AppError::Forbidden);
        }
        Ok(Interest { caller, region })
    }

    pub fn caller(&self) -> &Caller {
        &self.caller
    }

    /// Whether this change is for the subscriber.
    pub fn wants(&self, c: &AlarmChangeView) -> bool {
        RegionCode::parse("region", &c.region_code).is_ok_and(|r| {
            self.caller.scope.allows(&r, Some(&c.enterprise_id)) && self.region.as_ref().is_none_or(|x| x.contains(&r))
        })
    }
}

/// The changes for `who` recorded after event `after` (at most `limit`,
/// oldest first): what a reconnecting page missed.
pub async fn replay(app: &App, who: &Interest, after: &str, limit: i64) -> Result<Vec<AlarmChangeView>> {
    let mut c = app.db.read().await?;
    let rows = alarm_changes::after(&mut c, Some(&who.caller.scope), after, limit.clamp(1, BATCH)).await?;
    Ok(rows.into_iter().map(view).filter(|v| who.wants(v)).collect())
}

/// The per-process fan-out. Cheap to clone; the poller runs only while
/// there are subscribers.
#[derive(Clone, Default)]
pub struct Feed {
    slot: Arc<Mutex<Option<broadcast::Sender<Arc<AlarmChangeView>>>>>,
}

impl Feed {
    /// A receiver of every change from now on (must be called inside the
    /// Tokio runtime: the first subscriber starts the poller).
    pub fn subscribe(&self, app: &App) -> broadcast::Receiver<Arc<AlarmChangeView>> {
        let mut slot = self.slot.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(tx) = slot.as_ref() {
            return tx.subscribe();
        }
        let (tx, rx) = broadcast::channel(CAPACITY);
        *slot = Some(tx.clone());
        tokio::spawn(poll(app.clone(), self.slot.clone(), tx));
        rx
    }
}

/// Sent ids by creation time, forgotten once older than the look-back.
#[derive(Default)]
struct Seen {
    ids: HashMap<String, i64>,
    newest_ms: i64,
}

impl Seen {
    fn floor(&self) -> String {
        alarm_changes::id_floor(self.newest_ms - LOOK_BACK_MS)
    }

    /// Records `id`; false when it was seen before.
    fn insert(&mut self, id: &str) -> bool {
        let t = alarm_changes::id_time_ms(id).unwrap_or(self.newest_ms);
        self.newest_ms = self.newest_ms.max(t);
        self.ids.insert(id.to_string(), t).is_none()
    }

    fn prune(&mut self) {
        let keep_from = self.newest_ms - LOOK_BACK_MS;
        self.ids.retain(|_, t| *t >= keep_from);
    }
}

async fn poll(
    app: App,
    slot: Arc<Mutex<Option<broadcast::Sender<Arc<AlarmChangeView>>>>>,
    tx: broadcast::Sender<Arc<AlarmChangeView>>,
) {
    let mut seen = Seen { newest_ms: anjian_store::now_ms(), ..Seen::default() };
    // What happened before the first subscriber came is not news: prime.
    let _ = read_new(&app, &mut seen).await;
    let mut tick = tokio::time::interval(POLL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        {
            let mut s = slot.lock().unwrap_or_else(|e| e.into_inner());
            if tx.receiver_count() == 0 {
                *s = None;
                return;
            }
        }
        match read_new(&app, &mut seen).await {
            Ok(changes) => {
                for c in changes {
                    let _ = tx.send(Arc::new(c));
                }
            }
            Err(e) => tracing::warn!(error = %e, "alarm feed poll failed"),
        }
    }
}

/// The changes not sent yet, oldest first.
async fn read_new(app: &App, seen: &mut Seen) -> Result<Vec<AlarmChangeView>> {
    let mut out = Vec::new();
    let mut c = app.db.read().await?;
    let mut after = seen.floor();
    loop {
        let rows = alarm_changes::after(&mut c, None, &after, BATCH).await?;
        let full = rows.len() as i64 == BATCH;
        if let Some(last) = rows.last() {
            after = last.event_id.clone();
        }
        for r in rows {
            if seen.insert(&r.event_id) {
                out.push(view(r));
            }
        }
        if !full {
            break;
        }
    }
    seen.prune();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seen_ids_are_skipped_and_forgotten_after_the_look_back() {
        let t0 = 1_764_000_000_000;
        // A UUIDv7-shaped id created at `ms`.
        let id = |ms: i64| format!("{}7", &alarm_changes::id_floor(ms)[..35]);
        let mut s = Seen { newest_ms: t0, ..Seen::default() };
        let a = id(t0 + 5);
        assert!(s.insert(&a));
        assert!(!s.insert(&a), "sent once");
        assert_eq!(s.newest_ms, t0 + 5);
        assert!(s.floor() < a, "the look-back window still covers a");
        let b = id(t0 + LOOK_BACK_MS + 100);
        assert!(s.insert(&b));
        s.prune();
        assert!(!s.ids.contains_key(&a), "older than the look-back: forgotten");
        assert!(s.floor() > a, "and no longer read");
    }
}
