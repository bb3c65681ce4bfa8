//! Registry use cases (R1, R2, R4 basic): regions, enterprises, licences,
//! construction projects and people. Out-of-scope records answer 404 (their
//! existence is not revealed); out-of-scope writes answer 403.

use crate::audit::hidden;
use crate::{App, AppError, Caller, Result, audit};
use anjian_domain::ids::{IdNumber, RegionCode, Uscc, mask_id};
use anjian_domain::registry::{industry_label, project_status_label, scale_label, validate_date, validate_point};
use anjian_domain::role::{Role, Scope};
use anjian_store::filter::Page;
use anjian_store::{AnyConnection, enterprises, new_id, now_ms, people, projects, regions};
use serde::{Deserialize, Serialize};

// ---------------------------------------------------------------- regions

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RegionView {
    pub code: String,
    pub parent_code: Option<String>,
    pub name: String,
    /// province | city | district | street | community | grid
    pub level: String,
    pub centroid: Option<[f64; 2]>,
    /// GeoJSON geometry (on single-region reads, and on lists asked with `geometry=true`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Object)]
    pub geometry: Option<serde_json::Value>,
}

impl RegionView {
    fn of(r: regions::Region) -> RegionView {
        RegionView {
            centroid: r.centroid_lon.zip(r.centroid_lat).map(|(a, b)| [a, b]),
            code: r.code,
            parent_code: r.parent_code,
            name: r.name,
            level: r.level,
            geometry: None,
        }
    }
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct RegionFilter {
    /// Direct children of this region.
    pub parent: Option<String>,
    /// province | city | district | street | community | grid
    pub level: Option<String>,
    /// Include each region's GeoJSON polygon (for drawing a map of them).
    pub geometry: Option<bool>,
}

/// Whether the caller may see region `code`: regulators their subtree (and
/// its ancestors, to draw the path); enterprise users the ancestors of their
/// enterprises' regions.
async fn region_visible(c: &mut AnyConnection, caller: &Caller, code: &RegionCode) -> Result<bool> {
    Ok(match &caller.scope {
        Scope::All => true,
        Scope::Region(r) => r.contains(code) || code.contains(r),
        Scope::Enterprises(ids) => {
            let mut ok = false;
            for id in ids {
                if let Some(e) = enterprises::get(c, id).await?
                    && RegionCode::parse("region", &e.region_code).is_ok_and(|er| code.contains(&er))
                {
                    ok = true;
                    break;
                }
            }
            ok
        }
    })
}

pub async fn list_regions(app: &App, caller: &Caller, f: &RegionFilter) -> Result<Vec<RegionView>> {
    let parent = f.parent.as_deref().map(|p| RegionCode::parse("parent", p)).transpose()?;
    if let Some(l) = &f.level
        && !["province", "city", "district", "street", "community", "grid"].contains(&l.as_str())
    {
        return Err(AppError::field("level", format!("未知层级: {l}")));
    }
    let mut c = app.db.read().await?;
    if let Some(p) = &parent
        && !region_visible(&mut c, caller, p).await?
    {
        return Err(AppError::Forbidden);
    }
    let prefix = match &caller.scope {
        Scope::Region(r) if parent.is_none() => Some(r.prefix().to_string()),
        _ => None,
    };
    let (parent, level) = (parent.as_ref().map(|p| p.as_str()), f.level.as_deref());
    let rows = regions::list(&mut c, parent, prefix.as_deref(), level).await?;
    let mut geometries = if f.geometry == Some(true) {
        regions::list_geometries(&mut c, parent, prefix.as_deref(), level).await?.into_iter().collect()
    } else {
        std::collections::HashMap::new()
    };
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let code = RegionCode::parse("code", &r.code).map_err(|e| AppError::Internal(e.to_string()))?;
        if region_visible(&mut c, caller, &code).await? {
            let geometry = geometries.remove(&r.code).flatten().and_then(|g| serde_json::from_str(&g).ok());
            out.push(RegionView { geometry, ..RegionView::of(r) });
        }
    }
    Ok(out)
}

pub async fn get_region(app: &App, caller: &Caller, code: &str) -> Result<RegionView> {
    let code = RegionCode::parse("code", code).map_err(|_| AppError::NotFound)?;
    let mut c = app.db.read().await?;
    if !region_visible(&mut c, caller, &code).await? {
        return hidden();
    }
    let r = regions::get(&mut c, code.as_str()).await?.ok_or(AppError::NotFound)?;
    let geometry = regions::geometry(&mut c, code.as_str()).await?.and_then(|g| serde_json::from_str(&g).ok());
    Ok(RegionView { geometry, ..RegionView::of(r) })
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct NewRegion {
    /// GB/T 2260 code (6 digits), 9 for streets, 12 for communities, 15 for grids.
    pub code: String,
    pub name: String,
    /// GeoJSON Polygon or MultiPolygon.
    #[schema(value_type = Object)]
    pub geometry: Option<serde_json::Value>,
    pub centroid: Option<[f64; 2]>,
}

/// Adds a region under its parent (derived from the code). Regulators within
/// their subtree; the parent must exist unless the region is a province or
/// a city created by a super admin.
pub async fn create_region(app: &App, caller: &Caller, r: &NewRegion) -> Result<RegionView> {
    caller.require(caller.role.is_regulator())?;
    let code = RegionCode::parse("code", &r.code)?;
    let name = r.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::field("name", "名称不能为空且不超过100个字符"));
    }
    if let Some(g) = &r.geometry {
        let t = g.get("type").and_then(|t| t.as_str()).unwrap_or("");
        if !matches!(t, "Polygon" | "MultiPolygon") || g.get("coordinates").is_none() {
            return Err(AppError::field("geometry", "应为 GeoJSON Polygon 或 MultiPolygon"));
        }
    }
    if let Some([lon, lat]) = r.centroid {
        validate_point(Some(lon), Some(lat)).map_err(|e| AppError::field("centroid", e.message))?;
    }
    caller.require(caller.scope.allows_region(&code) && caller.scope != Scope::Region(code.clone()))?;
    let mut tx = app.db.begin().await?;
    let parent = match code.parent() {
        Some(p) if regions::exists(&mut tx, p.as_str()).await? => Some(p.as_str().to_string()),
        Some(p) if !caller.is_admin() || code.level() > anjian_domain::ids::RegionLevel::City => {
            return Err(AppError::field("code", format!("上级区域不存在: {p}")));
        }
        _ => None,
    };
    let new = regions::NewRegion {
        code: code.as_str().into(),
        parent_code: parent,
        name: name.into(),
        level: code.level().as_str().into(),
        geometry: r.geometry.as_ref().map(|g| g.to_string()),
        centroid_lon: r.centroid.map(|c| c[0]),
        centroid_lat: r.centroid.map(|c| c[1]),
    };
    regions::insert(&mut tx, &new, now_ms()).await?;
    let view = RegionView::of(regions::get(&mut tx, code.as_str()).await?.ok_or(AppError::NotFound)?);
    audit::record::<(), _>(&mut tx, caller, "create", "region", code.as_str(), None, Some(&view)).await?;
    tx.commit().await?;
    app.invalidate_grids();
    Ok(view)
}

// ------------------------------------------------------------ enterprises

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct ResponsiblePerson {
    /// e.g. 法定代表人, 安全负责人, 主要负责人
    pub role: String,
    pub name: String,
    pub phone: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EnterpriseView {
    pub id: String,
    pub uscc: String,
    pub name: String,
    pub industry: String,
    pub industry_label: String,
    pub address: String,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    pub region_code: String,
    pub scale: String,
    pub scale_label: String,
    pub responsible: Vec<ResponsiblePerson>,
    pub created_at: String,
    pub updated_at: String,
}

impl EnterpriseView {
    pub fn of(e: enterprises::Enterprise) -> EnterpriseView {
        EnterpriseView {
            industry_label: industry_label("industry", &e.industry).unwrap_or("").into(),
            scale_label: scale_label("scale", &e.scale).unwrap_or("").into(),
            responsible: serde_json::from_str(&e.responsible).unwrap_or_default(),
            created_at: crate::time::fmt_local(e.created_at),
            updated_at: crate::time::fmt_local(e.updated_at),
            id: e.id,
            uscc: e.uscc,
            name: e.name,
            industry: e.industry,
            address: e.address,
            lon: e.lon,
            lat: e.lat,
            region_code: e.region_code,
            scale: e.scale,
        }
    }
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct EnterpriseFilter {
    /// Region code: the enterprises in that subtree.
    pub region: Option<String>,
    pub industry: Option<String>,
    /// Part of the name or the USCC.
    pub q: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// Narrows the caller's scope by an optional region filter; a filter outside
/// the caller's own region is refused.
fn region_filter(caller: &Caller, region: Option<&str>) -> Result<Option<String>> {
    let Some(r) = region else { return Ok(None) };
    let code = RegionCode::parse("region", r)?;
    if let Scope::Region(own) = &caller.scope
        && !own.contains(&code)
        && !code.contains(own)
    {
        return Err(AppError::Forbidden);
    }
    Ok(Some(code.prefix().to_string()))
}

pub async fn list_enterprises(app: &App, caller: &Caller, f: &EnterpriseFilter) -> Result<(Vec<EnterpriseView>, i64)> {
    let region_prefix = region_filter(caller, f.region.as_deref())?;
    if let Some(i) = &f.industry {
        industry_label("industry", i)?;
    }
    let q = enterprises::ListQuery { region_prefix, industry: f.industry.clone(), q: f.q.clone() };
    let mut c = app.db.read().await?;
    let (rows, total) = enterprises::list(&mut c, &caller.scope, &q, Page::new(f.page, f.per_page)).await?;
    Ok((rows.into_iter().map(EnterpriseView::of).collect(), total))
}

/// Loads an enterprise the caller may see, or 404.
pub(crate) async fn visible_enterprise(
    c: &mut AnyConnection,
    caller: &Caller,
    id: &str,
) -> Result<enterprises::Enterprise> {
    let e = enterprises::get(c, id).await?.ok_or(AppError::NotFound)?;
    let region = RegionCode::parse("region", &e.region_code).map_err(|e| AppError::Internal(e.to_string()))?;
    if caller.scope.allows(&region, Some(&e.id)) { Ok(e) } else { hidden() }
}

pub async fn get_enterprise(app: &App, caller: &Caller, id: &str) -> Result<EnterpriseView> {
    let mut c = app.db.read().await?;
    Ok(EnterpriseView::of(visible_enterprise(&mut c, caller, id).await?))
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EnterpriseInput {
    /// 统一社会信用代码 (GB 32100, checksum-validated).
    pub uscc: String,
    pub name: String,
    /// construction | hazardous_chemicals | mining | manufacturing | trade
    pub industry: String,
    pub address: String,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    /// The region (usually a grid) the enterprise lies in.
    pub region_code: String,
    /// large | medium | small | micro
    pub scale: String,
    #[serde(default)]
    pub responsible: Vec<ResponsiblePerson>,
}

async fn validate_enterprise(c: &mut AnyConnection, i: &EnterpriseInput) -> Result<(Uscc, RegionCode)> {
    let uscc = Uscc::parse("uscc", &i.uscc)?;
    let name = i.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(AppError::field("name", "企业名称不能为空且不超过200个字符"));
    }
    industry_label("industry", &i.industry)?;
    scale_label("scale", &i.scale)?;
    if i.address.chars().count() > 300 {
        return Err(AppError::field("address", "地址不超过300个字符"));
    }
    validate_point(i.lon, i.lat)?;
    let region = RegionCode::parse("region_code", &i.region_code)?;
    if !regions::exists(c, region.as_str()).await? {
        return Err(AppError::field("region_code", format!("区域不存在: {region}")));
    }
    for (n, p) in i.responsible.iter().enumerate() {
        if p.name.trim().is_empty() {
            return Err(AppError::field(&format!("responsible[{n}].name"), "姓名不能为空"));
        }
        if p.role.trim().is_empty() {
            return Err(AppError::field(&format!("responsible[{n}].role"), "职务不能为空"));
        }
    }
    Ok((uscc, region))
}

/// Registers an enterprise. Regulators, inside their region.
pub async fn create_enterprise(app: &App, caller: &Caller, i: &EnterpriseInput) -> Result<EnterpriseView> {
    caller.require(caller.role.is_regulator())?;
    let mut tx = app.db.begin().await?;
    let (uscc, region) = validate_enterprise(&mut tx, i).await?;
    caller.require(caller.scope.allows_region(&region))?;
    let now = now_ms();
    let e = enterprises::Enterprise {
        id: new_id(),
        uscc: uscc.as_str().into(),
        name: i.name.trim().into(),
        industry: i.industry.clone(),
        address: i.address.trim().into(),
        lon: i.lon,
        lat: i.lat,
        region_code: region.as_str().into(),
        scale: i.scale.clone(),
        responsible: serde_json::to_string(&i.responsible).unwrap_or_else(|_| "[]".into()),
        created_at: now,
        updated_at: now,
    };
    enterprises::insert(&mut tx, &e).await?;
    let view = EnterpriseView::of(e);
    audit::record::<(), _>(&mut tx, caller, "create", "enterprise", &view.id, None, Some(&view)).await?;
    tx.commit().await?;
    Ok(view)
}

/// Replaces an enterprise's details. Regulators in scope may change
/// everything; the enterprise's own head everything but USCC and region.
pub async fn update_enterprise(app: &App, caller: &Caller, id: &str, i: &EnterpriseInput) -> Result<EnterpriseView> {
    let mut tx = app.db.begin().await?;
    let before = visible_enterprise(&mut tx, caller, id).await?;
    caller.require(caller.role.is_regulator() || caller.role == Role::EnterpriseHead)?;
    let (uscc, region) = validate_enterprise(&mut tx, i).await?;
    if caller.role == Role::EnterpriseHead && (uscc.as_str() != before.uscc || region.as_str() != before.region_code) {
        return Err(AppError::field("uscc", "企业用户不能修改统一社会信用代码或所属区域"));
    }
    caller.require(caller.scope.allows(&region, Some(id)))?;
    let after = enterprises::Enterprise {
        uscc: uscc.as_str().into(),
        name: i.name.trim().into(),
        industry: i.industry.clone(),
        address: i.address.trim().into(),
        lon: i.lon,
        lat: i.lat,
        region_code: region.as_str().into(),
        scale: i.scale.clone(),
        responsible: serde_json::to_string(&i.responsible).unwrap_or_else(|_| "[]".into()),
        updated_at: now_ms(),
        ..before.clone()
    };
    enterprises::update(&mut tx, &after).await?;
    let (bv, av) = (EnterpriseView::of(before), EnterpriseView::of(after));
    audit::record(&mut tx, caller, "update", "enterprise", id, Some(&bv), Some(&av)).await?;
    tx.commit().await?;
    Ok(av)
}

// ---------------------------------------------------------------- licences

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LicenceView {
    pub id: String,
    pub enterprise_id: String,
    pub kind: String,
    pub number: String,
    pub issued_on: Option<String>,
    pub expires_on: Option<String>,
    /// valid | expiring (within 30 days) | expired | no_expiry
    pub status: String,
}

impl LicenceView {
    fn of(l: enterprises::Licence, today: &str) -> LicenceView {
        let status = match &l.expires_on {
            None => "no_expiry",
            Some(d) if d.as_str() < today => "expired",
            Some(d) if d.as_str() <= add_days(today, 30).as_str() => "expiring",
            Some(_) => "valid",
        };
        LicenceView {
            status: status.into(),
            id: l.id,
            enterprise_id: l.enterprise_id,
            kind: l.kind,
            number: l.number,
            issued_on: l.issued_on,
            expires_on: l.expires_on,
        }
    }
}

fn add_days(date: &str, days: i64) -> String {
    date.parse::<jiff::civil::Date>()
        .ok()
        .and_then(|d| d.checked_add(jiff::Span::new().days(days)).ok())
        .map(|d| d.to_string())
        .unwrap_or_else(|| date.to_string())
}

pub async fn list_licences(app: &App, caller: &Caller, enterprise_id: &str) -> Result<Vec<LicenceView>> {
    let mut c = app.db.read().await?;
    visible_enterprise(&mut c, caller, enterprise_id).await?;
    let today = crate::time::today_local(now_ms());
    Ok(enterprises::licences_of(&mut c, enterprise_id).await?.into_iter().map(|l| LicenceView::of(l, &today)).collect())
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct LicenceInput {
    /// e.g. 安全生产许可证, 危险化学品经营许可证, 特种作业操作证
    pub kind: String,
    pub number: String,
    /// YYYY-MM-DD
    pub issued_on: Option<String>,
    /// YYYY-MM-DD
    pub expires_on: Option<String>,
}

pub async fn add_licence(app: &App, caller: &Caller, enterprise_id: &str, i: &LicenceInput) -> Result<LicenceView> {
    let mut tx = app.db.begin().await?;
    visible_enterprise(&mut tx, caller, enterprise_id).await?;
    caller.require(caller.role.is_regulator() || caller.role == Role::EnterpriseHead)?;
    if i.kind.trim().is_empty() {
        return Err(AppError::field("kind", "证照类型不能为空"));
    }
    if i.number.trim().is_empty() {
        return Err(AppError::field("number", "证照编号不能为空"));
    }
    if let Some(d) = &i.issued_on {
        validate_date("issued_on", d)?;
    }
    if let Some(d) = &i.expires_on {
        validate_date("expires_on", d)?;
        if i.issued_on.as_ref().is_some_and(|s| s > d) {
            return Err(AppError::field("expires_on", "有效期截止日不能早于发证日"));
        }
    }
    let l = enterprises::Licence {
        id: new_id(),
        enterprise_id: enterprise_id.into(),
        kind: i.kind.trim().into(),
        number: i.number.trim().into(),
        issued_on: i.issued_on.clone(),
        expires_on: i.expires_on.clone(),
        created_at: now_ms(),
    };
    enterprises::insert_licence(&mut tx, &l).await?;
    let view = LicenceView::of(l, &crate::time::today_local(now_ms()));
    audit::record::<(), _>(&mut tx, caller, "create", "licence", &view.id, None, Some(&view)).await?;
    tx.commit().await?;
    Ok(view)
}

// ---------------------------------------------------------------- projects

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProjectView {
    pub id: String,
    pub name: String,
    pub region_code: String,
    pub address: String,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    /// 建设单位
    pub builder_id: String,
    /// 施工单位
    pub contractor_id: String,
    /// 监理单位
    pub supervisor_id: String,
    pub start_on: Option<String>,
    pub status: String,
    pub status_label: String,
}

impl ProjectView {
    fn of(p: projects::Project) -> ProjectView {
        ProjectView {
            status_label: project_status_label("status", &p.status).unwrap_or("").into(),
            id: p.id,
            name: p.name,
            region_code: p.region_code,
            address: p.address,
            lon: p.lon,
            lat: p.lat,
            builder_id: p.builder_id,
            contractor_id: p.contractor_id,
            supervisor_id: p.supervisor_id,
            start_on: p.start_on,
            status: p.status,
        }
    }
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct ProjectFilter {
    pub region: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

pub async fn list_projects(app: &App, caller: &Caller, f: &ProjectFilter) -> Result<(Vec<ProjectView>, i64)> {
    let prefix = region_filter(caller, f.region.as_deref())?;
    let mut c = app.db.read().await?;
    let (rows, total) = projects::list(&mut c, &caller.scope, prefix.as_deref(), Page::new(f.page, f.per_page)).await?;
    Ok((rows.into_iter().map(ProjectView::of).collect(), total))
}

pub(crate) fn project_visible(caller: &Caller, p: &projects::Project) -> bool {
    let Ok(region) = RegionCode::parse("region", &p.region_code) else { return false };
    [&p.builder_id, &p.contractor_id, &p.supervisor_id].iter().any(|e| caller.scope.allows(&region, Some(e)))
}

pub async fn get_project(app: &App, caller: &Caller, id: &str) -> Result<ProjectView> {
    let mut c = app.db.read().await?;
    let p = projects::get(&mut c, id).await?.ok_or(AppError::NotFound)?;
    if !project_visible(caller, &p) {
        return hidden();
    }
    Ok(ProjectView::of(p))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ProjectInput {
    pub name: String,
    pub region_code: String,
    pub address: String,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    pub builder_id: String,
    pub contractor_id: String,
    pub supervisor_id: String,
    pub start_on: Option<String>,
    /// planned | active | suspended | completed
    pub status: String,
}

pub async fn create_project(app: &App, caller: &Caller, i: &ProjectInput) -> Result<ProjectView> {
    caller.require(caller.role.is_regulator())?;
    if i.name.trim().is_empty() {
        return Err(AppError::field("name", "项目名称不能为空"));
    }
    let region = RegionCode::parse("region_code", &i.region_code)?;
    validate_point(i.lon, i.lat)?;
    project_status_label("status", &i.status)?;
    if let Some(d) = &i.start_on {
        validate_date("start_on", d)?;
    }
    caller.require(caller.scope.allows_region(&region))?;
    let mut tx = app.db.begin().await?;
    if !regions::exists(&mut tx, region.as_str()).await? {
        return Err(AppError::field("region_code", format!("区域不存在: {region}")));
    }
    for (field, id) in
        [("builder_id", &i.builder_id), ("contractor_id", &i.contractor_id), ("supervisor_id", &i.supervisor_id)]
    {
        let e = enterprises::get(&mut tx, id).await?;
        match e {
            None => return Err(AppError::field(field, format!("企业不存在: {id}"))),
            Some(e) if field == "contractor_id" && e.industry != "construction" => {
                return Err(AppError::field(field, "施工单位应为建筑施工行业企业"));
            }
            Some(_) => {}
        }
    }
    let p = projects::Project {
        id: new_id(),
        name: i.name.trim().into(),
        region_code: region.as_str().into(),
        address: i.address.trim().into(),
        lon: i.lon,
        lat: i.lat,
        builder_id: i.builder_id.clone(),
        contractor_id: i.contractor_id.clone(),
        supervisor_id: i.supervisor_id.clone(),
        start_on: i.start_on.clone(),
        status: i.status.clone(),
        created_at: now_ms(),
    };
    projects::insert(&mut tx, &p).await?;
    let view = ProjectView::of(p);
    audit::record::<(), _>(&mut tx, caller, "create", "project", &view.id, None, Some(&view)).await?;
    tx.commit().await?;
    Ok(view)
}

// ------------------------------------------------------------------ people

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PersonView {
    pub id: String,
    pub enterprise_id: String,
    pub name: String,
    /// Masked (e.g. `1101**********002X`) unless the caller may see it.
    pub id_number: String,
    pub id_number_masked: bool,
    pub job: String,
    #[schema(value_type = Object)]
    pub certificates: serde_json::Value,
}

fn person_view(app: &App, caller: &Caller, p: people::Person) -> Result<PersonView> {
    let clear = caller.role.sees_personal_ids();
    let id_number = if clear { app.secrets.decrypt(&p.id_number_enc)? } else { p.id_number_masked.clone() };
    Ok(PersonView {
        id: p.id,
        enterprise_id: p.enterprise_id,
        name: p.name,
        id_number,
        id_number_masked: !clear,
        job: p.job,
        certificates: serde_json::from_str(&p.certificates).unwrap_or(serde_json::json!([])),
    })
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct PeopleFilter {
    pub enterprise_id: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

pub async fn list_people(app: &App, caller: &Caller, f: &PeopleFilter) -> Result<(Vec<PersonView>, i64)> {
    let mut c = app.db.read().await?;
    if let Some(e) = &f.enterprise_id {
        visible_enterprise(&mut c, caller, e).await?;
    }
    let (rows, total) =
        people::list(&mut c, &caller.scope, f.enterprise_id.as_deref(), Page::new(f.page, f.per_page)).await?;
    let items = rows.into_iter().map(|p| person_view(app, caller, p)).collect::<Result<_>>()?;
    Ok((items, total))
}

pub async fn get_person(app: &App, caller: &Caller, id: &str) -> Result<PersonView> {
    let mut c = app.db.read().await?;
    let (p, region) = people::get(&mut c, id).await?.ok_or(AppError::NotFound)?;
    let region = RegionCode::parse("region", &region).map_err(|e| AppError::Internal(e.to_string()))?;
    if !caller.scope.allows(&region, Some(&p.enterprise_id)) {
        return hidden();
    }
    person_view(app, caller, p)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct PersonInput {
    pub enterprise_id: String,
    pub name: String,
    /// 居民身份证号码 (GB 11643, checksum-validated); stored encrypted.
    pub id_number: String,
    pub job: String,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub certificates: serde_json::Value,
}

/// Validates and encrypts a person for insertion (also used by bulk loads).
pub fn prepare_person(app: &App, i: &PersonInput) -> Result<people::Person> {
    let name = i.name.trim();
    if name.is_empty() || name.chars().count() > 50 {
        return Err(AppError::field("name", "姓名不能为空且不超过50个字符"));
    }
    let id = IdNumber::parse("id_number", &i.id_number)?;
    let certificates = match &i.certificates {
        serde_json::Value::Null => "[]".to_string(),
        v @ serde_json::Value::Array(_) => v.to_string(),
        _ => return Err(AppError::field("certificates", "应为数组")),
    };
    Ok(people::Person {
        id: new_id(),
        enterprise_id: i.enterprise_id.clone(),
        name: name.into(),
        id_number_enc: app.secrets.encrypt(id.expose()),
        id_number_masked: mask_id(id.expose()),
        id_number_digest: app.secrets.digest(id.expose()),
        job: i.job.trim().into(),
        certificates,
        created_at: now_ms(),
    })
}

pub async fn create_person(app: &App, caller: &Caller, i: &PersonInput) -> Result<PersonView> {
    let p = prepare_person(app, i)?;
    let mut tx = app.db.begin().await?;
    // An enterprise outside the caller's scope answers 404 like a missing one.
    visible_enterprise(&mut tx, caller, &i.enterprise_id).await?;
    caller.require(caller.role.is_regulator() || caller.role == Role::EnterpriseHead)?;
    people::insert(&mut tx, &p).await?;
    // The audit trail never holds the clear identity number.
    let audit_view = PersonView {
        id: p.id.clone(),
        enterprise_id: p.enterprise_id.clone(),
        name: p.name.clone(),
        id_number: p.id_number_masked.clone(),
        id_number_masked: true,
        job: p.job.clone(),
        certificates: serde_json::from_str(&p.certificates).unwrap_or_default(),
    };
    audit::record::<(), _>(&mut tx, caller, "create", "person", &p.id, None, Some(&audit_view)).await?;
    tx.commit().await?;
    person_view(app, caller, p)
}
