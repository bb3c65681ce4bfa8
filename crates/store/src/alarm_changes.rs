//! Alarm changes in the order they were recorded, for the live feed: every
//! alarm event after a given event id, with its alarm and device.
//!
//! Event ids are UUIDv7, so their text order is the order in which the
//! events were created (millisecond timestamp first, fixed-width lowercase
//! hex with dashes in the same places: the same order under byte-wise and
//! locale collations). [`id_floor`] gives the smallest id of a millisecond,
//! so a reader can look back over a window for events whose transaction
//! committed after later ones.

use crate::filter::{Bind, Filter};
use crate::{AnyConnection, Result};
use anjian_domain::role::Scope;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct AlarmChange {
    pub event_id: String,
    pub event: String,
    pub at: i64,
    pub event_level: String,
    pub value: Option<f64>,
    pub alarm_id: String,
    pub level: String,
    pub state: String,
    pub metric: String,
    pub region_code: String,
    pub enterprise_id: String,
    pub device_id: String,
    pub device_name: Option<String>,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
}

/// The smallest UUIDv7 (as text) created at `ms`: every id made at or after
/// that millisecond compares greater or equal.
pub fn id_floor(ms: i64) -> String {
    let ms = ms.max(0) as u64 & 0xFFFF_FFFF_FFFF;
    format!("{:08x}-{:04x}-0000-0000-000000000000", ms >> 16, ms & 0xFFFF)
}

/// The creation time (epoch ms) of a UUIDv7 given as text.
pub fn id_time_ms(id: &str) -> Option<i64> {
    let hex: String = id.chars().filter(|c| *c != '-').take(12).collect();
    if hex.len() != 12 {
        return None;
    }
    i64::from_str_radix(&hex, 16).ok()
}

/// Alarm events with ids greater than `after` (any scope when `scope` is
/// `None`), oldest first, at most `limit`.
pub async fn after(c: &mut AnyConnection, scope: Option<&Scope>, after: &str, limit: i64) -> Result<Vec<AlarmChange>> {
    let mut f = Filter::new();
    if let Some(s) = scope {
        f.scope(s, "a.region_code", &["a.enterprise_id"]);
    }
    f.and("e.id > {}", Bind::Text(after.into()));
    let sql = format!(
        "SELECT e.id AS event_id, e.event, e.at, e.level AS event_level, e.value, a.id AS alarm_id, a.level, a.state, \
         a.metric, a.region_code, a.enterprise_id, a.device_id, d.name AS device_name, d.lon, d.lat \
         FROM alarm_events e JOIN alarms a ON a.id = e.alarm_id LEFT JOIN devices d ON d.id = a.device_id{} \
         ORDER BY e.id LIMIT {limit}",
        f.where_sql()
    );
    Ok(f.bind_as(sqlx::query_as(sqlx::AssertSqlSafe(sql))).fetch_all(c).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_floor_of_a_millisecond_orders_before_its_ids_and_after_earlier_ones() {
        let ms = 1_764_000_000_123;
        let floor = id_floor(ms);
        assert_eq!(id_time_ms(&floor), Some(ms));
        let at = uuid::Uuid::new_v7(uuid::Timestamp::from_unix(
            uuid::NoContext,
            (ms / 1000) as u64,
            (ms % 1000) as u32 * 1_000_000,
        ));
        let later = uuid::Uuid::new_v7(uuid::Timestamp::from_unix(uuid::NoContext, (ms / 1000) as u64 + 1, 0));
        let earlier = uuid::Uuid::new_v7(uuid::Timestamp::from_unix(uuid::NoContext, (ms / 1000) as u64 - 1, 0));
        assert!(floor.as_str() <= at.to_string().as_str());
        assert!(floor < later.to_string());
        assert!(floor > earlier.to_string());
        assert_eq!(id_time_ms(&at.to_string()), Some(ms));
    }
}
