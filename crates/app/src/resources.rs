//! The emergency resources registry (E1/E2): rescue teams, warehouses and
//! their supplies, equipment, shelters, hospitals — where they are, whom to
//! call, how much they hold — and the ones nearest an alarm.

use crate::{App, AppError, Caller, Result, audit};
use anjian_domain::geo::haversine_m;
use anjian_domain::ids::RegionCode;
use anjian_domain::role::Role;
use anjian_store::filter::Page;
use anjian_store::resources::{self, Resource};
use anjian_store::{AnyConnection, enterprises, new_id, now_ms, regions};
use serde::{Deserialize, Serialize};

/// (code, label) of the resource kinds.
pub const KINDS: &[(&str, &str)] = &[
    ("rescue_team", "救援队伍"),
    ("warehouse", "应急物资库"),
    ("equipment", "救援装备"),
    ("shelter", "避难场所"),
    ("hospital", "医疗机构"),
];

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct Item {
    pub name: String,
    pub quantity: f64,
    pub unit: String,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct ResourceInput {
    /// rescue_team | warehouse | equipment | shelter | hospital
    pub kind: String,
    pub name: String,
    /// The region it belongs to (default: the enterprise's).
    pub region_code: Option<String>,
    /// The enterprise that holds it (an enterprise's own team or store), if any.
    pub enterprise_id: Option<String>,
    pub address: String,
    pub lon: f64,
    pub lat: f64,
    pub contact_name: String,
    pub contact_phone: String,
    /// People (team, shelter), beds (hospital) …
    pub capacity: Option<i64>,
    pub capacity_unit: Option<String>,
    /// Supplies or equipment held.
    #[serde(default)]
    pub items: Vec<Item>,
    pub notes: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ResourceView {
    pub id: String,
    pub kind: String,
    pub kind_label: String,
    pub name: String,
    pub region_code: String,
    pub enterprise_id: Option<String>,
    pub address: String,
    pub lon: f64,
    pub lat: f64,
    pub contact_name: String,
    pub contact_phone: String,
    pub capacity: Option<i64>,
    pub capacity_unit: Option<String>,
    pub items: Vec<Item>,
    pub notes: Option<String>,
    pub updated_at: String,
}

fn view(r: &Resource) -> ResourceView {
    ResourceView {
        id: r.id.clone(),
        kind: r.kind.clone(),
        kind_label: KINDS.iter().find(|(k, _)| *k == r.kind).map(|(_, l)| *l).unwrap_or("").into(),
        name: r.name.clone(),
        region_code: r.region_code.clone(),
        enterprise_id: r.enterprise_id.clone(),
        address: r.address.clone(),
        lon: r.lon,
        lat: r.lat,
        contact_name: r.contact_name.clone(),
        contact_phone: r.contact_phone.clone(),
        capacity: r.capacity,
        capacity_unit: r.capacity_unit.clone(),
        items: serde_json::from_str(&r.items).unwrap_or_default(),
        notes: r.notes.clone(),
        updated_at: crate::time::fmt_local(r.updated_at),
    }
}

fn text(field: &str, v: &str, max: usize) -> Result<String> {
    let t = v.trim();
    if t.is_empty() || t.chars().count() > max {
        return Err(AppError::field(field, format!("不能为空且不超过{max}个字符")));
    }
    Ok(t.to_string())
}

/// Validates an input and checks the caller may keep a resource there:
/// regulators in their region, enterprise heads for their own enterprise.
async fn checked(c: &mut AnyConnection, caller: &Caller, i: &ResourceInput, id: String, now: i64) -> Result<Resource> {
    caller.require(caller.role.is_regulator() || caller.role == Role::EnterpriseHead)?;
    if !KINDS.iter().any(|(k, _)| *k == i.kind) {
        let list: Vec<&str> = KINDS.iter().map(|(k, _)| *k).collect();
        return Err(AppError::field("kind", format!("未知资源类型（可选: {}）", list.join(", "))));
    }
    let name = text("name", &i.name, 100)?;
    let address = text("address", &i.address, 200)?;
    let contact_name = text("contact_name", &i.contact_name, 50)?;
    let contact_phone = text("contact_phone", &i.contact_phone, 30)?;
    if !contact_phone.chars().all(|ch| ch.is_ascii_digit() || "-+ ()".contains(ch)) {
        return Err(AppError::field("contact_phone", "电话号码只能包含数字和 - + ( )"));
    }
    anjian_domain::registry::validate_point(Some(i.lon), Some(i.lat))?;
    if i.capacity.is_some_and(|n| n < 0) {
        return Err(AppError::field("capacity", "容量不能为负"));
    }
    for (n, it) in i.items.iter().enumerate() {
        text(&format!("items[{n}].name"), &it.name, 100)?;
        if !it.quantity.is_finite() || it.quantity < 0.0 {
            return Err(AppError::field(&format!("items[{n}].quantity"), "数量应为非负数"));
        }
    }
    let enterprise = match &i.enterprise_id {
        Some(e) => Some(enterprises::get(c, e).await?.ok_or_else(|| AppError::field("enterprise_id", "企业不存在"))?),
        None => None,
    };
    let region_code = match (&i.region_code, &enterprise) {
        (Some(r), _) => RegionCode::parse("region_code", r)?.as_str().to_string(),
        (None, Some(e)) => e.region_code.clone(),
        (None, None) => return Err(AppError::field("region_code", "请给出所属区域或企业")),
    };
    if regions::get(c, &region_code).await?.is_none() {
        return Err(AppError::field("region_code", "区域不存在"));
    }
    let region = RegionCode::parse("region_code", &region_code)?;
    if caller.role == Role::EnterpriseHead && enterprise.is_none() {
        return Err(AppError::field("enterprise_id", "企业负责人只能登记本企业的应急资源"));
    }
    if !caller.scope.allows(&region, enterprise.as_ref().map(|e| e.id.as_str())) {
        return Err(AppError::Forbidden);
    }
    Ok(Resource {
        id,
        kind: i.kind.clone(),
        name,
        region_code,
        enterprise_id: enterprise.map(|e| e.id),
        address,
        lon: i.lon,
        lat: i.lat,
        contact_name,
        contact_phone,
        capacity: i.capacity,
        capacity_unit: i.capacity_unit.as_deref().map(str::trim).filter(|u| !u.is_empty()).map(String::from),
        items: serde_json::to_string(&i.items).unwrap_or_else(|_| "[]".into()),
        notes: i.notes.as_deref().map(str::trim).filter(|n| !n.is_empty()).map(String::from),
        created_at: now,
        updated_at: now,
    })
}

async fn visible(c: &mut AnyConnection, caller: &Caller, id: &str) -> Result<Resource> {
    let r = resources::get(c, id).await?.ok_or(AppError::NotFound)?;
    let region = RegionCode::parse("region", &r.region_code).map_err(|e| AppError::Internal(e.to_string()))?;
    if caller.scope.allows(&region, r.enterprise_id.as_deref()) { Ok(r) } else { Err(AppError::NotFound) }
}

pub async fn create(app: &App, caller: &Caller, i: &ResourceInput) -> Result<ResourceView> {
    let mut tx = app.db.begin().await?;
    let r = checked(&mut tx, caller, i, new_id(), now_ms()).await?;
    resources::insert(&mut tx, &r).await?;
    let v = view(&r);
    audit::record::<(), _>(&mut tx, caller, "create", "emergency_resource", &r.id, None, Some(&v)).await?;
    tx.commit().await?;
    Ok(v)
}

pub async fn update(app: &App, caller: &Caller, id: &str, i: &ResourceInput) -> Result<ResourceView> {
    let mut tx = app.db.begin().await?;
    let before = visible(&mut tx, caller, id).await?;
    let mut r = checked(&mut tx, caller, i, before.id.clone(), now_ms()).await?;
    r.created_at = before.created_at;
    resources::update(&mut tx, &r).await?;
    let v = view(&r);
    audit::record(&mut tx, caller, "update", "emergency_resource", &r.id, Some(&view(&before)), Some(&v)).await?;
    tx.commit().await?;
    Ok(v)
}

pub async fn delete(app: &App, caller: &Caller, id: &str) -> Result<()> {
    caller.require(caller.role.is_regulator() || caller.role == Role::EnterpriseHead)?;
    let mut tx = app.db.begin().await?;
    let before = visible(&mut tx, caller, id).await?;
    if caller.role == Role::EnterpriseHead && before.enterprise_id.is_none() {
        return Err(AppError::Forbidden);
    }
    resources::delete(&mut tx, id).await?;
    audit::record::<_, ()>(&mut tx, caller, "delete", "emergency_resource", id, Some(&view(&before)), None).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn get(app: &App, caller: &Caller, id: &str) -> Result<ResourceView> {
    let mut c = app.db.read().await?;
    Ok(view(&visible(&mut c, caller, id).await?))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct ResourceFilter {
    pub kind: Option<String>,
    /// Region code (subtree), inside the caller's scope.
    pub region: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

fn check_kind(kind: Option<&str>) -> Result<()> {
    if let Some(k) = kind
        && !KINDS.iter().any(|(c, _)| *c == k)
    {
        return Err(AppError::field("kind", "未知资源类型"));
    }
    Ok(())
}

pub async fn list(app: &App, caller: &Caller, f: &ResourceFilter) -> Result<(Vec<ResourceView>, i64)> {
    check_kind(f.kind.as_deref())?;
    let prefix = caller.region_filter("region", f.region.as_deref())?;
    let mut c = app.db.read().await?;
    let (rows, total) =
        resources::list(&mut c, &caller.scope, f.kind.as_deref(), prefix.as_deref(), Page::new(f.page, f.per_page))
            .await?;
    Ok((rows.iter().map(view).collect(), total))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct NearestParams {
    pub kind: Option<String>,
    /// How many (default 10, at most 50).
    pub limit: Option<usize>,
    /// Search radius in km (default 50, at most 500).
    pub within_km: Option<f64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NearResource {
    pub distance_m: f64,
    pub resource: ResourceView,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NearestResources {
    pub alarm_id: String,
    pub device_id: String,
    pub lon: f64,
    pub lat: f64,
    /// Nearest first (great-circle distance). Across region boundaries: in an
    /// emergency the neighbouring district's hospital counts.
    pub resources: Vec<NearResource>,
}

/// The emergency resources nearest an alarm's device (anyone who may see
/// the alarm may see them).
pub async fn nearest_to_alarm(
    app: &App,
    caller: &Caller,
    alarm_id: &str,
    p: &NearestParams,
) -> Result<NearestResources> {
    check_kind(p.kind.as_deref())?;
    let limit = p.limit.unwrap_or(10);
    if !(1..=50).contains(&limit) {
        return Err(AppError::field("limit", "应为 1 到 50"));
    }
    let km = p.within_km.unwrap_or(50.0);
    if !km.is_finite() || !(0.1..=500.0).contains(&km) {
        return Err(AppError::field("within_km", "应为 0.1 到 500"));
    }
    let alarm = crate::monitoring::get_alarm(app, caller, alarm_id).await?.alarm;
    let mut c = app.db.read().await?;
    let d = anjian_store::monitoring::device(&mut c, &alarm.device_id).await?.ok_or(AppError::NotFound)?;
    let (Some(lon), Some(lat)) = (d.lon, d.lat) else {
        return Err(AppError::field("alarm", "告警设备没有位置，无法计算距离"));
    };
    // A box around the circle (1° latitude ≈ 111 km), then exact distances.
    let dlat = km / 111.0;
    let dlon = km / (111.0 * lat.to_radians().cos().max(0.01));
    let candidates =
        resources::in_box(&mut c, p.kind.as_deref(), (lon - dlon, lon + dlon), (lat - dlat, lat + dlat)).await?;
    let mut near: Vec<NearResource> = candidates
        .iter()
        .map(|r| NearResource { distance_m: haversine_m(lon, lat, r.lon, r.lat).round(), resource: view(r) })
        .filter(|n| n.distance_m <= km * 1000.0)
        .collect();
    near.sort_by(|a, b| a.distance_m.total_cmp(&b.distance_m).then_with(|| a.resource.id.cmp(&b.resource.id)));
    near.truncate(limit);
    Ok(NearestResources { alarm_id: alarm.id, device_id: d.id, lon, lat, resources: near })
}
