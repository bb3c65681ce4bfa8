//! The one-map (一张图) of a region: its outline and the path to it, and the
//! points drawn on it in four layers — unrectified hazards (overdue ones
//! flagged), enterprises, devices (offline flagged) and open alarms — all
//! within the caller's scope.

use crate::{App, AppError, Caller, Result};
use anjian_domain::ids::RegionCode;
use anjian_domain::role::Scope;
use anjian_store::{map, now_ms, regions};
use serde::{Deserialize, Serialize};

/// Most points of one layer sent at once (`truncated` says when more exist).
pub const LAYER_LIMIT: i64 = 20_000;

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct LayersParams {
    /// Region subtree (GB/T 2260 code); default: your own region.
    pub region: Option<String>,
    /// Only these layers, comma-separated: hazards, enterprises, devices,
    /// alarms (default: all four; the others come back empty).
    pub only: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RegionRef {
    pub code: String,
    pub name: String,
    pub level: String,
}

/// `[lon, lat, id, label, …]` rows keep the response small: a city has
/// thousands of points.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Layer {
    /// The meaning of each column of `rows`.
    pub columns: Vec<&'static str>,
    #[schema(value_type = Vec<Vec<Object>>)]
    pub rows: Vec<serde_json::Value>,
    /// More points exist than were sent.
    pub truncated: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MapLayers {
    /// The region drawn (null: everything the caller may see).
    pub region: Option<RegionRef>,
    /// From the top region down to `region`.
    pub path: Vec<RegionRef>,
    /// Unrectified hazards: reported, pending, rectifying, awaiting acceptance.
    pub hazards: Layer,
    pub enterprises: Layer,
    pub devices: Layer,
    /// Open (active or acknowledged) alarms at their device (lon/lat null
    /// when the device has no position).
    pub alarms: Layer,
    /// Server time of the snapshot (Asia/Shanghai).
    pub as_of: String,
}

fn layer<T>(rows: Vec<T>, columns: Vec<&'static str>, row: impl Fn(&T) -> serde_json::Value) -> Layer {
    let truncated = rows.len() as i64 >= LAYER_LIMIT;
    Layer { columns, rows: rows.iter().map(row).collect(), truncated }
}

/// The region the caller asked for (or their own), refused outside their scope.
fn region_of(caller: &Caller, asked: Option<&str>) -> Result<Option<RegionCode>> {
    let region = match asked {
        Some(r) => Some(RegionCode::parse("region", r)?),
        None => caller.region_code.as_deref().map(|r| RegionCode::parse("region", r)).transpose()?,
    };
    if let (Some(r), Scope::Region(own)) = (&region, &caller.scope)
        && !own.contains(r)
    {
        return Err(AppError::Forbidden);
    }
    Ok(region)
}

/// The points of the one-map for a region (default: the caller's own).
pub async fn layers(app: &App, caller: &Caller, p: &LayersParams) -> Result<MapLayers> {
    let region = region_of(caller, p.region.as_deref())?;
    const NAMES: [&str; 4] = ["hazards", "enterprises", "devices", "alarms"];
    let wanted: Vec<&str> = match p.only.as_deref() {
        Some(list) => list.split(',').map(str::trim).filter(|s| !s.is_empty()).collect(),
        None => NAMES.to_vec(),
    };
    if let Some(bad) = wanted.iter().find(|w| !NAMES.contains(w)) {
        return Err(AppError::field("only", format!("未知图层 {bad}（应为 hazards、enterprises、devices、alarms）")));
    }
    let want = |name: &str| wanted.contains(&name);
    let prefix = region.as_ref().map(|r| r.prefix().to_string());
    let prefix = prefix.as_deref();
    let now = now_ms();
    let mut c = app.db.read().await?;
    let mut path = Vec::new();
    let mut at = match &region {
        Some(r) => Some(regions::get(&mut c, r.as_str()).await?.ok_or(AppError::NotFound)?),
        None => None,
    };
    while let Some(r) = at {
        let parent = r.parent_code.clone();
        path.push(RegionRef { code: r.code, name: r.name, level: r.level });
        at = match parent {
            Some(code) => regions::get(&mut c, &code).await?,
            None => None,
        };
    }
    path.reverse();
    let scope = &caller.scope;
    let hazards =
        if want("hazards") { map::open_hazards(&mut c, scope, prefix, now, LAYER_LIMIT).await? } else { vec![] };
    let enterprises =
        if want("enterprises") { map::enterprises(&mut c, scope, prefix, LAYER_LIMIT).await? } else { vec![] };
    let devices = if want("devices") { map::devices(&mut c, scope, prefix, LAYER_LIMIT).await? } else { vec![] };
    let alarms = if want("alarms") { map::open_alarms(&mut c, scope, prefix, LAYER_LIMIT).await? } else { vec![] };
    use serde_json::json;
    Ok(MapLayers {
        region: path.last().map(|r| RegionRef { code: r.code.clone(), name: r.name.clone(), level: r.level.clone() }),
        path,
        hazards: layer(hazards, vec!["lon", "lat", "id", "code", "grade", "state", "overdue", "enterprise_id"], |h| {
            let overdue = h.state != "reported" && h.deadline_ms.is_some_and(|d| d < now);
            json!([h.lon, h.lat, h.id, h.code, h.grade, h.state, overdue, h.enterprise_id])
        }),
        enterprises: layer(enterprises, vec!["lon", "lat", "id", "name", "industry", "industry_label"], |e| {
            let label = anjian_domain::registry::industry_label("industry", &e.industry).unwrap_or("");
            json!([e.lon, e.lat, e.id, e.name, e.industry, label])
        }),
        devices: layer(devices, vec!["lon", "lat", "id", "name", "device_type", "offline", "enterprise_id"], |d| {
            let interval = d.interval_s.clamp(1, u32::MAX as i64) as u32;
            let offline = anjian_domain::monitor::is_offline(d.last_seen_at, now, interval, 3);
            json!([d.lon, d.lat, d.id, d.name, d.device_type, offline, d.enterprise_id])
        }),
        alarms: layer(
            alarms,
            vec![
                "lon",
                "lat",
                "id",
                "level",
                "level_label",
                "state",
                "device_id",
                "device_name",
                "metric",
                "value",
                "at",
                "enterprise_id",
            ],
            |a| {
                let label = crate::alarm_feed::level_label(&a.level);
                let at = crate::time::fmt_local(a.level_at);
                json!([
                    a.lon,
                    a.lat,
                    a.id,
                    a.level,
                    label,
                    a.state,
                    a.device_id,
                    a.device_name,
                    a.metric,
                    a.last_value,
                    at,
                    a.enterprise_id
                ])
            },
        ),
        as_of: crate::time::fmt_local(now),
    })
}
