//! The points of the one-map (一张图) of a region: unrectified hazards,
//! enterprises, devices and open alarms with their coordinates, compact rows
//! for drawing, each query restricted by the caller's scope.

use crate::filter::{Bind, Filter};
use crate::{AnyConnection, Result};
use anjian_domain::role::Scope;

/// An unrectified hazard (reported, pending, rectifying or awaiting acceptance).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct HazardPoint {
    pub id: String,
    pub code: String,
    pub lon: f64,
    pub lat: f64,
    pub grade: String,
    pub state: String,
    pub deadline_ms: Option<i64>,
    pub enterprise_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct EnterprisePoint {
    pub id: String,
    pub name: String,
    pub industry: String,
    pub lon: f64,
    pub lat: f64,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct DevicePoint {
    pub id: String,
    pub name: String,
    pub device_type: String,
    pub enterprise_id: String,
    pub lon: f64,
    pub lat: f64,
    pub interval_s: i64,
    pub last_seen_at: Option<i64>,
}

/// An open alarm (active or acknowledged) at its device's position (when
/// the device has one).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct AlarmPoint {
    pub id: String,
    pub device_id: String,
    pub device_name: Option<String>,
    pub enterprise_id: String,
    pub level: String,
    pub state: String,
    pub metric: String,
    pub last_value: f64,
    pub level_at: i64,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
}

fn within(scope: &Scope, prefix: Option<&str>, region_col: &str, enterprise_col: &str) -> Filter {
    let mut f = Filter::new();
    f.scope(scope, region_col, &[enterprise_col]);
    if let Some(p) = prefix {
        f.region_prefix(region_col, p);
    }
    f
}

/// Unrectified hazards with coordinates in the scope and region subtree,
/// overdue first, at most `limit`.
pub async fn open_hazards(
    c: &mut AnyConnection,
    scope: &Scope,
    prefix: Option<&str>,
    now: i64,
    limit: i64,
) -> Result<Vec<HazardPoint>> {
    let mut f = within(scope, prefix, "region_code", "enterprise_id");
    f.and_raw("state IN ('reported', 'pending', 'rectifying', 'awaiting_acceptance')");
    f.and_raw("lon IS NOT NULL AND lat IS NOT NULL");
    let now_p = f.next(Bind::Int(now));
    let sql = format!(
        "SELECT id, code, lon, lat, grade, state, deadline_ms, enterprise_id FROM hazards{} \
         ORDER BY CASE WHEN deadline_ms IS NOT NULL AND deadline_ms < {now_p} THEN 0 ELSE 1 END, reported_at DESC \
         LIMIT {limit}",
        f.where_sql()
    );
    Ok(f.bind_as(sqlx::query_as(sqlx::AssertSqlSafe(sql))).fetch_all(c).await?)
}

pub async fn enterprises(
    c: &mut AnyConnection,
    scope: &Scope,
    prefix: Option<&str>,
    limit: i64,
) -> Result<Vec<EnterprisePoint>> {
    let mut f = within(scope, prefix, "region_code", "id");
    f.and_raw("lon IS NOT NULL AND lat IS NOT NULL");
    let sql = format!(
        "SELECT id, name, industry, lon, lat FROM enterprises{} ORDER BY region_code, id LIMIT {limit}",
        f.where_sql()
    );
    Ok(f.bind_as(sqlx::query_as(sqlx::AssertSqlSafe(sql))).fetch_all(c).await?)
}

pub async fn devices(
    c: &mut AnyConnection,
    scope: &Scope,
    prefix: Option<&str>,
    limit: i64,
) -> Result<Vec<DevicePoint>> {
    let mut f = within(scope, prefix, "region_code", "enterprise_id");
    f.and_raw("lon IS NOT NULL AND lat IS NOT NULL AND status = 'active'");
    let sql = format!(
        "SELECT id, name, device_type, enterprise_id, lon, lat, interval_s, last_seen_at FROM devices{} \
         ORDER BY region_code, id LIMIT {limit}",
        f.where_sql()
    );
    Ok(f.bind_as(sqlx::query_as(sqlx::AssertSqlSafe(sql))).fetch_all(c).await?)
}

pub async fn open_alarms(
    c: &mut AnyConnection,
    scope: &Scope,
    prefix: Option<&str>,
    limit: i64,
) -> Result<Vec<AlarmPoint>> {
    let mut f = within(scope, prefix, "a.region_code", "a.enterprise_id");
    f.and_raw("a.open_key IS NOT NULL");
    let sql = format!(
        "SELECT a.id, a.device_id, d.name AS device_name, a.enterprise_id, a.level, a.state, a.metric, a.last_value, \
         a.level_at, d.lon, d.lat \
         FROM alarms a LEFT JOIN devices d ON d.id = a.device_id{} ORDER BY a.level_at DESC, a.id LIMIT {limit}",
        f.where_sql()
    );
    Ok(f.bind_as(sqlx::query_as(sqlx::AssertSqlSafe(sql))).fetch_all(c).await?)
}
