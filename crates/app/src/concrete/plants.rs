//! Batching plants (搅拌站, each belonging to an enterprise of the registry)
//! and their mix designs (配合比).

use super::{dec, plant_operator, step};
use crate::registry::visible_enterprise;
use crate::{App, AppError, Caller, Result, audit};
use anjian_domain::concrete::{self as rules, MixInput};
use anjian_domain::registry::validate_point;
use anjian_domain::role::Role;
use anjian_store::concrete::{self as store, Mix, Plant};
use anjian_store::{AnyConnection, new_id, now_ms};
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct PlantInput {
    /// The enterprise that runs the plant.
    pub enterprise_id: String,
    pub name: String,
    pub address: String,
    pub lng: Option<f64>,
    pub lat: Option<f64>,
    /// 预拌混凝土专业承包资质证书编号, when known.
    pub licence_no: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlantView {
    pub id: String,
    pub enterprise_id: String,
    pub enterprise_name: String,
    pub region_code: String,
    pub name: String,
    pub address: String,
    pub lng: Option<f64>,
    pub lat: Option<f64>,
    pub licence_no: Option<String>,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MaterialView {
    pub kind: String,
    pub kind_label: String,
    pub name: String,
    pub kg_per_m3: f64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MixView {
    pub id: String,
    pub plant_id: String,
    /// The plant's mix-design number.
    pub code: String,
    /// Strength class, e.g. C30.
    pub grade: String,
    pub marks: String,
    pub slump_mm: i64,
    pub slump_tolerance_mm: i64,
    pub materials: Vec<MaterialView>,
    pub water_binder: f64,
    pub density_kg_m3: f64,
    /// Contains a retarding admixture (longer placing limits).
    pub retarding: bool,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlantDetail {
    #[serde(flatten)]
    pub plant: PlantView,
    pub mixes: Vec<MixView>,
}

fn plant_view(p: Plant, enterprise_name: String, region_code: String) -> PlantView {
    PlantView {
        id: p.id,
        enterprise_id: p.enterprise_id,
        enterprise_name,
        region_code,
        name: p.name,
        address: p.address,
        lng: p.lon,
        lat: p.lat,
        licence_no: p.licence_no,
        created_at: crate::time::fmt_local(p.created_at),
    }
}

pub(crate) fn mix_view(m: Mix) -> MixView {
    let materials: Vec<rules::Material> = serde_json::from_str(&m.materials).unwrap_or_default();
    MixView {
        materials: materials
            .into_iter()
            .map(|x| MaterialView {
                kind_label: rules::material_label(&x.kind).unwrap_or("").into(),
                kind: x.kind,
                name: x.name,
                kg_per_m3: x.kg_per_m3,
            })
            .collect(),
        id: m.id,
        plant_id: m.plant_id,
        code: m.code,
        grade: m.grade,
        marks: m.marks,
        slump_mm: m.slump_mm,
        slump_tolerance_mm: m.slump_tolerance_mm,
        water_binder: m.water_binder,
        density_kg_m3: m.density_kg_m3,
        retarding: m.retarding != 0,
        created_at: crate::time::fmt_local(m.created_at),
    }
}

/// Registers a batching plant of an enterprise: its head, or a regulator
/// whose scope holds the enterprise.
pub async fn add_plant(app: &App, caller: &Caller, i: &PlantInput) -> Result<PlantDetail> {
    let name = i.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::field("name", "搅拌站名称不能为空，且不超过100个字符"));
    }
    let address = i.address.trim();
    if address.is_empty() || address.chars().count() > 200 {
        return Err(AppError::field("address", "请填写搅拌站地址（不超过200个字符）"));
    }
    validate_point(i.lng, i.lat).map_err(|e| {
        let field = if e.field == "lon" { "lng" } else { "lat" };
        AppError::field(field, e.message)
    })?;
    let licence_no = i.licence_no.as_deref().map(str::trim).filter(|s| !s.is_empty());
    if licence_no.is_some_and(|l| l.chars().count() > 100) {
        return Err(AppError::field("licence_no", "资质证书编号不超过100个字符"));
    }
    let mut tx = app.db.begin().await?;
    let e = visible_enterprise(&mut tx, caller, &i.enterprise_id).await?;
    caller.require(caller.role.is_regulator() || caller.role == Role::EnterpriseHead)?;
    let p = Plant {
        id: new_id(),
        enterprise_id: e.id.clone(),
        name: name.into(),
        address: address.into(),
        lon: i.lng,
        lat: i.lat,
        licence_no: licence_no.map(Into::into),
        created_at: now_ms(),
    };
    store::insert_plant(&mut tx, &p).await?;
    record_plant(&mut tx, caller, &p).await?;
    tx.commit().await?;
    Ok(PlantDetail { plant: plant_view(p, e.name, e.region_code), mixes: vec![] })
}

/// The audit row and ledger record of a new plant (also used by the demo loader).
pub async fn record_plant(c: &mut AnyConnection, caller: &Caller, p: &Plant) -> Result<()> {
    audit::record::<(), _>(c, caller, "create", "concrete_plant", &p.id, None, Some(p)).await?;
    let content = serde_json::json!({"plant_id": p.id, "enterprise_id": p.enterprise_id, "name": p.name,
        "address": p.address, "licence_no": p.licence_no});
    let fields = serde_json::json!({"enterprise_id": p.enterprise_id});
    step(c, "concrete.plant.registered", &p.id, caller, p.created_at, fields, content).await?;
    Ok(())
}

async fn visible_plant(c: &mut AnyConnection, caller: &Caller, id: &str) -> Result<(Plant, String, String)> {
    let p = store::plant(c, id).await?.ok_or(AppError::NotFound)?;
    let e = visible_enterprise(c, caller, &p.enterprise_id).await?;
    Ok((p, e.name, e.region_code))
}

/// A plant with its mix designs.
pub async fn get_plant(app: &App, caller: &Caller, id: &str) -> Result<PlantDetail> {
    let mut c = app.db.read().await?;
    let (p, name, region) = visible_plant(&mut c, caller, id).await?;
    let mixes = store::mixes_of(&mut c, &p.id).await?.into_iter().map(mix_view).collect();
    Ok(PlantDetail { plant: plant_view(p, name, region), mixes })
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct PlantFilter {
    /// Region subtree (GB/T 2260 code) of the plant's enterprise.
    pub region: Option<String>,
    pub enterprise_id: Option<String>,
}

/// Plants in the caller's scope.
pub async fn list_plants(app: &App, caller: &Caller, f: &PlantFilter) -> Result<Vec<PlantView>> {
    let region = f.region.as_deref().map(|r| anjian_domain::ids::RegionCode::parse("region", r)).transpose()?;
    let mut c = app.db.read().await?;
    let rows =
        store::plants(&mut c, &caller.scope, f.enterprise_id.as_deref(), region.as_ref().map(|r| r.prefix())).await?;
    Ok(rows.into_iter().map(|(p, n, r)| plant_view(p, n, r)).collect())
}

/// Registers a mix design of a plant (its own accounts).
pub async fn add_mix(app: &App, caller: &Caller, plant_id: &str, i: &MixInput) -> Result<MixView> {
    let assessed = rules::check_mix(i)?;
    let mut tx = app.db.begin().await?;
    let (p, ..) = visible_plant(&mut tx, caller, plant_id).await?;
    caller.require(plant_operator(caller, &p.enterprise_id))?;
    let materials: Vec<rules::Material> = i
        .materials
        .iter()
        .map(|m| rules::Material { kind: m.kind.clone(), name: m.name.trim().into(), kg_per_m3: m.kg_per_m3 })
        .collect();
    let m = Mix {
        id: new_id(),
        plant_id: p.id.clone(),
        code: i.code.trim().into(),
        grade: assessed.grade.clone(),
        marks: i.marks.trim().into(),
        slump_mm: i64::from(i.slump_mm),
        slump_tolerance_mm: i64::from(i.slump_tolerance_mm),
        materials: serde_json::to_string(&materials).map_err(|e| AppError::Internal(e.to_string()))?,
        water_binder: assessed.water_binder,
        density_kg_m3: assessed.density_kg_m3,
        retarding: i64::from(assessed.retarding),
        created_at: now_ms(),
    };
    store::insert_mix(&mut tx, &m).await?;
    record_mix(&mut tx, caller, &m, &materials).await?;
    tx.commit().await?;
    Ok(mix_view(m))
}

/// The audit row and ledger record of a new mix design.
pub async fn record_mix(c: &mut AnyConnection, caller: &Caller, m: &Mix, materials: &[rules::Material]) -> Result<()> {
    audit::record::<(), _>(c, caller, "create", "concrete_mix", &m.id, None, Some(m)).await?;
    let mats: Vec<serde_json::Value> = materials
        .iter()
        .map(|x| serde_json::json!({"kind": x.kind, "name": x.name, "kg_per_m3": dec(x.kg_per_m3, 1)}))
        .collect();
    let content = serde_json::json!({"mix_id": m.id, "plant_id": m.plant_id, "code": m.code, "grade": m.grade,
        "marks": m.marks, "slump_mm": m.slump_mm, "slump_tolerance_mm": m.slump_tolerance_mm, "materials": mats,
        "water_binder": dec(m.water_binder, 2), "retarding": m.retarding != 0});
    let fields = serde_json::json!({"plant_id": m.plant_id, "code": m.code, "grade": m.grade});
    step(c, "concrete.mix.registered", &m.id, caller, m.created_at, fields, content).await?;
    Ok(())
}

/// A plant's mix designs.
pub async fn list_mixes(app: &App, caller: &Caller, plant_id: &str) -> Result<Vec<MixView>> {
    Ok(get_plant(app, caller, plant_id).await?.mixes)
}
