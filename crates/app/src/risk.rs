//! Risk registers (R3): major hazard source units identified and graded by
//! GB 18218 on every change, with their history; risk points assessed by
//! LEC or LS in four colours, with control measures and the person
//! responsible; four-colour risk maps of an enterprise and of a region.

use crate::hazards::notify_users;
use crate::registry::visible_enterprise;
use crate::{App, AppError, Caller, Result, audit};
use anjian_domain::calc::{gb18218, risk as calc};
use anjian_domain::registry::{validate_date, validate_point};
use anjian_domain::role::Role;
use anjian_store::risk::{self as store, RiskPoint, SourceUnit, SourceVersion};
use anjian_store::{AnyConnection, enterprises, new_id, notifications, now_ms, projects};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Who may change an enterprise's registers: its head, or a regulator whose
/// scope holds the enterprise.
fn require_editor(caller: &Caller) -> Result<()> {
    caller.require(caller.role.is_regulator() || caller.role == Role::EnterpriseHead)
}

// ------------------------------------------------------ major hazard sources

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct SourceUnitInput {
    /// The unit's name, unique within the enterprise (e.g. 液氯储罐区).
    pub name: String,
    /// `production` (生产单元) | `storage` (储存单元)
    pub kind: String,
    /// People within 500 m of the unit's boundary (sets α).
    pub exposed_people: i64,
    /// `[{"name","quantity_t","critical_t"?,"beta"?,"class"?}]` as for `POST /api/v1/calc/gb18218`.
    #[schema(value_type = Vec<Object>)]
    pub substances: Vec<gb18218::SubstanceInput>,
    /// On update: the version being replaced (refused when someone saved a newer one).
    pub version: Option<i64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SourceUnitView {
    pub id: String,
    pub enterprise_id: String,
    pub enterprise_name: String,
    pub region_code: String,
    pub name: String,
    pub kind: String,
    pub kind_label: String,
    pub exposed_people: i64,
    /// The substances with their Q, β and q/Q.
    #[schema(value_type = Vec<Object>)]
    pub substances: Vec<gb18218::SubstanceResult>,
    pub s: f64,
    pub is_major: bool,
    pub alpha: f64,
    pub r: Option<f64>,
    /// 1 (一级) … 4 (四级) when major.
    pub grade: Option<i64>,
    pub grade_label: Option<String>,
    /// red / orange / yellow / blue for 一级 … 四级.
    pub color: Option<String>,
    pub standard: String,
    pub version: i64,
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SourceVersionView {
    pub version: i64,
    pub at: String,
    pub actor_name: String,
    pub exposed_people: i64,
    pub s: f64,
    pub is_major: bool,
    pub r: Option<f64>,
    pub grade: Option<i64>,
    #[schema(value_type = Vec<Object>)]
    pub substances: Value,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SourceUnitDetail {
    #[serde(flatten)]
    pub unit: SourceUnitView,
    pub history: Vec<SourceVersionView>,
}

fn kind_label(k: &str) -> &'static str {
    match k {
        "production" => "生产单元",
        "storage" => "储存单元",
        _ => "",
    }
}

fn grade_label(g: i64) -> &'static str {
    ["", "一级", "二级", "三级", "四级"].get(g as usize).copied().unwrap_or("")
}

/// 一级 red, 二级 orange, 三级 yellow, 四级 blue.
fn grade_color(g: i64) -> &'static str {
    ["", "red", "orange", "yellow", "blue"].get(g as usize).copied().unwrap_or("")
}

fn unit_view(u: SourceUnit, enterprise_name: String, region_code: String) -> Result<SourceUnitView> {
    let input = gb18218::Gb18218Input {
        substances: serde_json::from_str(&u.substances).map_err(|e| AppError::Internal(e.to_string()))?,
        exposed_people: u.exposed_people,
    };
    // The stored figures are what was decided at the time; the detail is
    // recomputed from the stored input with the same table.
    let detail = gb18218::assess(&input).map_err(|e| AppError::Internal(format!("stored unit {}: {e}", u.id)))?;
    Ok(SourceUnitView {
        kind_label: kind_label(&u.kind).into(),
        substances: detail.substances,
        alpha: detail.alpha,
        is_major: u.is_major != 0,
        grade_label: u.grade.map(|g| grade_label(g).into()),
        color: u.grade.map(|g| grade_color(g).into()),
        updated_at: crate::time::fmt_local(u.updated_at),
        id: u.id,
        enterprise_id: u.enterprise_id,
        enterprise_name,
        region_code,
        name: u.name,
        kind: u.kind,
        exposed_people: u.exposed_people,
        s: u.s,
        r: u.r,
        grade: u.grade,
        standard: u.standard,
        version: u.version,
    })
}

fn check_unit(i: &SourceUnitInput) -> Result<gb18218::Gb18218Output> {
    if i.name.trim().is_empty() || i.name.chars().count() > 100 {
        return Err(AppError::field("name", "单元名称不能为空，且不超过100个字符"));
    }
    if kind_label(&i.kind).is_empty() {
        return Err(AppError::field("kind", "单元类型应为 production（生产单元）或 storage（储存单元）"));
    }
    let out =
        gb18218::assess(&gb18218::Gb18218Input { substances: i.substances.clone(), exposed_people: i.exposed_people })?;
    Ok(out)
}

/// Registers a unit, identifies and grades it; a major one notifies the
/// region's supervisors.
pub async fn add_unit(
    app: &App,
    caller: &Caller,
    enterprise_id: &str,
    i: &SourceUnitInput,
) -> Result<SourceUnitDetail> {
    let out = check_unit(i)?;
    let mut tx = app.db.begin().await?;
    let e = visible_enterprise(&mut tx, caller, enterprise_id).await?;
    require_editor(caller)?;
    let now = now_ms();
    let u = SourceUnit {
        id: new_id(),
        enterprise_id: e.id.clone(),
        name: i.name.trim().into(),
        kind: i.kind.clone(),
        exposed_people: i.exposed_people,
        substances: serde_json::to_string(&i.substances).map_err(|x| AppError::Internal(x.to_string()))?,
        s: out.s,
        is_major: i64::from(out.is_major),
        r: out.r,
        grade: out.grade.map(i64::from),
        standard: out.standard.clone(),
        version: 1,
        created_at: now,
        updated_at: now,
    };
    store::save_unit(&mut tx, &u, &version_of(&u, caller, now)).await?;
    let view = unit_view(u.clone(), e.name.clone(), e.region_code.clone())?;
    audit::record::<(), _>(&mut tx, caller, "create", "hazard_source", &u.id, None, Some(&audit_view(&view))).await?;
    if view.is_major {
        let title = format!("重大危险源辨识：{} {}", e.name, view.name);
        let body = format!(
            "S = {:.3}，R = {:.2}，{}重大危险源",
            view.s,
            view.r.unwrap_or(0.0),
            view.grade_label.as_deref().unwrap_or("")
        );
        notify_supervisors(app, &mut tx, &e.region_code, &title, &body).await?;
    }
    tx.commit().await?;
    Ok(SourceUnitDetail { history: history(&mut *app.db.read().await?, &u.id).await?, unit: view })
}

/// Replaces a unit's substances or people; re-identifies and re-grades it
/// as a new version. A change of grade (or of being major) notifies the
/// region's supervisors.
pub async fn update_unit(app: &App, caller: &Caller, id: &str, i: &SourceUnitInput) -> Result<SourceUnitDetail> {
    let out = check_unit(i)?;
    let mut tx = app.db.begin().await?;
    let old = store::unit(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    let e = visible_enterprise(&mut tx, caller, &old.enterprise_id).await?;
    require_editor(caller)?;
    if let Some(v) = i.version
        && v != old.version
    {
        return Err(AppError::field(
            "version",
            format!("该单元已被他人更新（当前版本 {}），请刷新后再改", old.version),
        ));
    }
    let now = now_ms();
    let u = SourceUnit {
        name: i.name.trim().into(),
        kind: i.kind.clone(),
        exposed_people: i.exposed_people,
        substances: serde_json::to_string(&i.substances).map_err(|x| AppError::Internal(x.to_string()))?,
        s: out.s,
        is_major: i64::from(out.is_major),
        r: out.r,
        grade: out.grade.map(i64::from),
        standard: out.standard.clone(),
        version: old.version + 1,
        updated_at: now,
        ..old.clone()
    };
    store::save_unit(&mut tx, &u, &version_of(&u, caller, now)).await.map_err(|x| match x {
        anjian_store::StoreError::Conflict { field: "version" } => {
            AppError::field("version", "该单元已被他人更新，请刷新后再改")
        }
        other => other.into(),
    })?;
    let before = unit_view(old.clone(), e.name.clone(), e.region_code.clone())?;
    let view = unit_view(u.clone(), e.name.clone(), e.region_code.clone())?;
    audit::record(
        &mut tx,
        caller,
        "update",
        "hazard_source",
        &u.id,
        Some(&audit_view(&before)),
        Some(&audit_view(&view)),
    )
    .await?;
    if (old.is_major, old.grade) != (u.is_major, u.grade) {
        let was = describe_grade(&before);
        let now_is = describe_grade(&view);
        let title = format!("重大危险源等级变化：{} {}", e.name, view.name);
        let body = format!("由「{was}」变为「{now_is}」（S = {:.3}）", view.s);
        notify_supervisors(app, &mut tx, &e.region_code, &title, &body).await?;
    }
    tx.commit().await?;
    Ok(SourceUnitDetail { history: history(&mut *app.db.read().await?, &u.id).await?, unit: view })
}

fn describe_grade(v: &SourceUnitView) -> String {
    match &v.grade_label {
        Some(g) if v.is_major => format!("{g}重大危险源"),
        _ => "非重大危险源".into(),
    }
}

fn version_of(u: &SourceUnit, caller: &Caller, now: i64) -> SourceVersion {
    SourceVersion {
        unit_id: u.id.clone(),
        version: u.version,
        at: now,
        actor_id: caller.actor_id(),
        actor_name: caller.display_name.clone(),
        exposed_people: u.exposed_people,
        substances: u.substances.clone(),
        s: u.s,
        is_major: u.is_major,
        r: u.r,
        grade: u.grade,
    }
}

fn audit_view(v: &SourceUnitView) -> Value {
    serde_json::json!({"name": v.name, "kind": v.kind, "exposed_people": v.exposed_people, "s": v.s,
        "is_major": v.is_major, "r": v.r, "grade": v.grade, "version": v.version,
        "substances": v.substances.iter().map(|s| serde_json::json!({"name": s.name, "q": s.q})).collect::<Vec<_>>()})
}

async fn notify_supervisors(app: &App, c: &mut AnyConnection, region: &str, title: &str, body: &str) -> Result<()> {
    let to: Vec<String> = notifications::supervisors_of(c, region).await?.into_iter().map(|(id, ..)| id).collect();
    notify_users(app, c, &to, "hazard_source", title, body, None).await
}

async fn history(c: &mut AnyConnection, unit_id: &str) -> Result<Vec<SourceVersionView>> {
    Ok(store::versions(c, unit_id)
        .await?
        .into_iter()
        .map(|v| SourceVersionView {
            version: v.version,
            at: crate::time::fmt_local(v.at),
            actor_name: v.actor_name,
            exposed_people: v.exposed_people,
            s: v.s,
            is_major: v.is_major != 0,
            r: v.r,
            grade: v.grade,
            substances: serde_json::from_str(&v.substances).unwrap_or(Value::Null),
        })
        .collect())
}

/// One unit with its history.
pub async fn get_unit(app: &App, caller: &Caller, id: &str) -> Result<SourceUnitDetail> {
    let mut c = app.db.read().await?;
    let u = store::unit(&mut c, id).await?.ok_or(AppError::NotFound)?;
    let e = visible_enterprise(&mut c, caller, &u.enterprise_id).await?;
    let view = unit_view(u, e.name, e.region_code)?;
    Ok(SourceUnitDetail { history: history(&mut c, id).await?, unit: view })
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct SourceFilter {
    /// Region subtree (GB/T 2260 code).
    pub region: Option<String>,
    pub enterprise_id: Option<String>,
    /// Only major hazard sources.
    #[serde(default)]
    pub major: bool,
}

/// Units in the caller's scope, graded ones first (一级 … 四级, then the rest).
pub async fn list_units(app: &App, caller: &Caller, f: &SourceFilter) -> Result<Vec<SourceUnitView>> {
    let region = f.region.as_deref().map(|r| anjian_domain::ids::RegionCode::parse("region", r)).transpose()?;
    let mut c = app.db.read().await?;
    if let Some(e) = &f.enterprise_id {
        visible_enterprise(&mut c, caller, e).await?;
    }
    let rows =
        store::units(&mut c, &caller.scope, f.enterprise_id.as_deref(), region.as_ref().map(|r| r.prefix()), f.major)
            .await?;
    rows.into_iter().map(|(u, n, r)| unit_view(u, n, r)).collect()
}

// ---------------------------------------------------------------- risk points

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct RiskPointInput {
    pub name: String,
    /// Where it is (e.g. 二号车间喷涂线).
    pub location: String,
    pub lng: Option<f64>,
    pub lat: Option<f64>,
    pub project_id: Option<String>,
    /// `lec` | `ls`
    pub method: String,
    /// `{"l","e","c"}` for LEC, `{"l","s"}` for LS.
    #[schema(value_type = Object)]
    pub factors: Value,
    /// Control measures (at least one).
    pub measures: Vec<String>,
    /// The person responsible for the controls.
    pub responsible: String,
    /// Next review, YYYY-MM-DD.
    pub review_on: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RiskPointView {
    pub id: String,
    pub enterprise_id: String,
    pub enterprise_name: String,
    pub region_code: String,
    pub project_id: Option<String>,
    pub name: String,
    pub location: String,
    pub lng: Option<f64>,
    pub lat: Option<f64>,
    pub method: String,
    #[schema(value_type = Object)]
    pub factors: Value,
    /// D (LEC) or R (LS).
    pub score: f64,
    pub level: String,
    /// red | orange | yellow | blue
    pub color: String,
    /// 红 | 橙 | 黄 | 蓝
    pub color_label: String,
    pub measures: Vec<String>,
    pub responsible: String,
    pub review_on: Option<String>,
    pub updated_at: String,
}

fn color_label(c: &str) -> &'static str {
    match c {
        "red" => "红",
        "orange" => "橙",
        "yellow" => "黄",
        "blue" => "蓝",
        _ => "",
    }
}

fn point_view(p: RiskPoint, enterprise_name: String, region_code: String) -> RiskPointView {
    RiskPointView {
        color_label: color_label(&p.color).into(),
        factors: serde_json::from_str(&p.factors).unwrap_or(Value::Null),
        measures: serde_json::from_str(&p.measures).unwrap_or_default(),
        updated_at: crate::time::fmt_local(p.updated_at),
        id: p.id,
        enterprise_id: p.enterprise_id,
        enterprise_name,
        region_code,
        project_id: p.project_id,
        name: p.name,
        location: p.location,
        lng: p.lon,
        lat: p.lat,
        method: p.method,
        score: p.score,
        level: p.level,
        color: p.color,
        responsible: p.responsible,
        review_on: p.review_on,
    }
}

/// Field errors of the factors carry their path (`factors.l`).
fn in_factors(e: anjian_domain::FieldError) -> AppError {
    AppError::field(&format!("factors.{}", e.field), e.message)
}

/// (score, level, color) of the factors by the method.
fn assess(method: &str, factors: &Value) -> Result<(f64, String, String)> {
    let bad = |m: &str| AppError::field("factors", m.to_string());
    match method {
        "lec" => {
            let i: calc::LecInput =
                serde_json::from_value(factors.clone()).map_err(|_| bad("LEC 法应给出 {\"l\",\"e\",\"c\"} 三个数"))?;
            let o = calc::lec(&i, &calc::LecBands::default()).map_err(in_factors)?;
            Ok((o.d, o.level, color_name(&o.color)))
        }
        "ls" => {
            let i: calc::LsInput = serde_json::from_value(factors.clone())
                .map_err(|_| bad("LS 法应给出 {\"l\",\"s\"} 两个 1–5 的整数"))?;
            let o = calc::ls(&i, &calc::LsBands::default()).map_err(in_factors)?;
            Ok((f64::from(o.r), o.level, color_name(&o.color)))
        }
        _ => Err(AppError::field("method", "评价方法应为 lec 或 ls")),
    }
}

fn color_name<T: Serialize>(c: &T) -> String {
    serde_json::to_value(c).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default()
}

async fn check_point_input(c: &mut AnyConnection, i: &RiskPointInput) -> Result<(f64, String, String, Vec<String>)> {
    if i.name.trim().is_empty() || i.name.chars().count() > 100 {
        return Err(AppError::field("name", "风险点名称不能为空，且不超过100个字符"));
    }
    if i.location.trim().is_empty() {
        return Err(AppError::field("location", "请填写风险点位置"));
    }
    validate_point(i.lng, i.lat).map_err(|e| {
        let field = if e.field == "lon" { "lng".to_string() } else { e.field };
        AppError::Invalid(anjian_domain::FieldError::new(field, e.message))
    })?;
    let measures: Vec<String> = i.measures.iter().map(|m| m.trim().to_string()).filter(|m| !m.is_empty()).collect();
    if measures.is_empty() {
        return Err(AppError::field("measures", "至少填写一项管控措施"));
    }
    if i.responsible.trim().is_empty() {
        return Err(AppError::field("responsible", "请填写管控责任人"));
    }
    if let Some(d) = &i.review_on {
        validate_date("review_on", d)?;
    }
    if let Some(p) = &i.project_id
        && projects::get(c, p).await?.is_none()
    {
        return Err(AppError::field("project_id", format!("项目不存在: {p}")));
    }
    let (score, level, color) = assess(&i.method, &i.factors)?;
    Ok((score, level, color, measures))
}

/// The stored row of a checked input: (score, level, colour, measures) as
/// [`check_point_input`] gives them.
fn point_row(
    id: String,
    enterprise_id: String,
    created_at: i64,
    updated_at: i64,
    i: &RiskPointInput,
    (score, level, color, measures): (f64, String, String, Vec<String>),
) -> RiskPoint {
    RiskPoint {
        id,
        enterprise_id,
        project_id: i.project_id.clone(),
        name: i.name.trim().into(),
        location: i.location.trim().into(),
        lon: i.lng,
        lat: i.lat,
        method: i.method.clone(),
        factors: i.factors.to_string(),
        score,
        level,
        color,
        measures: serde_json::to_string(&measures).unwrap_or_else(|_| "[]".into()),
        responsible: i.responsible.trim().into(),
        review_on: i.review_on.clone(),
        created_at,
        updated_at,
    }
}

/// Registers a risk point of an enterprise.
pub async fn add_point(app: &App, caller: &Caller, enterprise_id: &str, i: &RiskPointInput) -> Result<RiskPointView> {
    let mut tx = app.db.begin().await?;
    let e = visible_enterprise(&mut tx, caller, enterprise_id).await?;
    require_editor(caller)?;
    let assessed = check_point_input(&mut tx, i).await?;
    let now = now_ms();
    let p = point_row(new_id(), e.id.clone(), now, now, i, assessed);
    store::save_point(&mut tx, &p, true).await?;
    let view = point_view(p, e.name, e.region_code);
    audit::record::<(), _>(&mut tx, caller, "create", "risk_point", &view.id, None, Some(&view)).await?;
    tx.commit().await?;
    Ok(view)
}

/// Re-assesses and replaces a risk point.
pub async fn update_point(app: &App, caller: &Caller, id: &str, i: &RiskPointInput) -> Result<RiskPointView> {
    let mut tx = app.db.begin().await?;
    let old = store::point(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    let e = visible_enterprise(&mut tx, caller, &old.enterprise_id).await?;
    require_editor(caller)?;
    let assessed = check_point_input(&mut tx, i).await?;
    let p = point_row(old.id.clone(), old.enterprise_id.clone(), old.created_at, now_ms(), i, assessed);
    store::save_point(&mut tx, &p, false).await?;
    let before = point_view(old, e.name.clone(), e.region_code.clone());
    let view = point_view(p, e.name, e.region_code);
    audit::record(&mut tx, caller, "update", "risk_point", &view.id, Some(&before), Some(&view)).await?;
    tx.commit().await?;
    Ok(view)
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct PointFilter {
    /// Region subtree (GB/T 2260 code).
    pub region: Option<String>,
    pub enterprise_id: Option<String>,
}

/// Risk points in the caller's scope, reddest first.
pub async fn list_points(app: &App, caller: &Caller, f: &PointFilter) -> Result<Vec<RiskPointView>> {
    let region = f.region.as_deref().map(|r| anjian_domain::ids::RegionCode::parse("region", r)).transpose()?;
    let mut c = app.db.read().await?;
    if let Some(e) = &f.enterprise_id {
        visible_enterprise(&mut c, caller, e).await?;
    }
    let rows =
        store::points(&mut c, &caller.scope, f.enterprise_id.as_deref(), region.as_ref().map(|r| r.prefix())).await?;
    Ok(rows.into_iter().map(|(p, n, r)| point_view(p, n, r)).collect())
}

const COLORS: [&str; 4] = ["red", "orange", "yellow", "blue"];

/// The four-colour risk map as GeoJSON. For one enterprise: its risk points
/// (at their own position, else the enterprise's). For a region: one
/// feature per enterprise with risk points or hazard source units, coloured
/// by its reddest risk point or its major hazard source grade, whichever is
/// redder, with its counts per colour. `summary` counts per colour.
pub async fn risk_map(app: &App, caller: &Caller, f: &PointFilter) -> Result<Value> {
    let points = list_points(app, caller, f).await?;
    let units = list_units(
        app,
        caller,
        &SourceFilter { region: f.region.clone(), enterprise_id: f.enterprise_id.clone(), major: true },
    )
    .await?;
    let mut c = app.db.read().await?;
    let mut summary = serde_json::Map::new();
    for col in COLORS {
        summary.insert(col.into(), points.iter().filter(|p| p.color == col).count().into());
    }
    let mut features = Vec::new();
    let mut locations: std::collections::HashMap<String, Option<(f64, f64)>> = std::collections::HashMap::new();
    let mut location_of = async |c: &mut AnyConnection, id: &str| -> Result<Option<(f64, f64)>> {
        if let Some(l) = locations.get(id) {
            return Ok(*l);
        }
        let e = enterprises::get(c, id).await?;
        let l = e.and_then(|e| Some((e.lon?, e.lat?)));
        locations.insert(id.into(), l);
        Ok(l)
    };
    if f.enterprise_id.is_some() {
        for p in &points {
            let at = match (p.lng, p.lat) {
                (Some(x), Some(y)) => Some((x, y)),
                _ => location_of(&mut c, &p.enterprise_id).await?,
            };
            let Some((x, y)) = at else { continue };
            features.push(serde_json::json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [x, y]},
                "properties": {"id": p.id, "name": p.name, "location": p.location, "level": p.level, "color": p.color,
                    "score": p.score, "method": p.method, "responsible": p.responsible}}));
        }
    } else {
        let mut ents: std::collections::BTreeMap<String, (String, [usize; 4], Option<i64>)> = Default::default();
        for p in &points {
            let e = ents.entry(p.enterprise_id.clone()).or_insert_with(|| (p.enterprise_name.clone(), [0; 4], None));
            if let Some(k) = COLORS.iter().position(|c| *c == p.color) {
                e.1[k] += 1;
            }
        }
        for u in &units {
            let e = ents.entry(u.enterprise_id.clone()).or_insert_with(|| (u.enterprise_name.clone(), [0; 4], None));
            if let Some(g) = u.grade {
                e.2 = Some(e.2.map_or(g, |h| h.min(g)));
            }
        }
        for (id, (name, counts, grade)) in ents {
            let Some((x, y)) = location_of(&mut c, &id).await? else { continue };
            // Reddest of the risk points and the hazard source grade (一级 = red).
            let by_points = counts.iter().position(|n| *n > 0).unwrap_or(4);
            let by_grade = grade.map_or(4, |g| (g - 1).clamp(0, 3) as usize);
            let color = COLORS.get(by_points.min(by_grade)).copied().unwrap_or("blue");
            features.push(serde_json::json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [x, y]},
                "properties": {"enterprise_id": id, "name": name, "color": color,
                    "red": counts[0], "orange": counts[1], "yellow": counts[2], "blue": counts[3],
                    "major_hazard_source_grade": grade}}));
        }
    }
    Ok(serde_json::json!({"type": "FeatureCollection", "features": features, "summary": summary}))
}
