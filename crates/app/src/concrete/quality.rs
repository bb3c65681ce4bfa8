//! Test specimens (试块) sampled from a batch's pour, their strength
//! results, and the acceptance of a lot (检验批) of batches by GB/T 50107;
//! a failed lot opens a quality hazard on the project.

use super::delivery::visible_batch;
use super::{dec, fmt_opt, opt_time, project_party, project_regulator, sees, step};
use crate::{App, AppError, Caller, Result, audit};
use anjian_domain::calc::gb50107::{self, Criterion, Gb50107Output, Method};
use anjian_domain::concrete as rules;
use anjian_store::concrete::{self as store, Acceptance, Batch, Context, Specimen};
use anjian_store::{AnyConnection, new_id, now_ms, projects};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

// ---------------------------------------------------------------- specimens

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct SpecimenInput {
    /// The group's number on site (试块编号), unique within the project.
    pub code: String,
    /// `standard` (标准养护, default; the groups acceptance uses) | `same_condition` (同条件养护)
    pub curing: Option<String>,
    /// Test age, days (default 28).
    pub age_days: Option<u32>,
    /// Cube edge, mm: 100, 150 (default) or 200.
    pub specimen_mm: Option<u32>,
    /// When the group was cast, RFC 3339 (default: now).
    pub sampled_at: Option<String>,
    /// The truck the sample was taken from.
    pub ticket_id: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ResultInput {
    /// The three cube strengths, MPa.
    pub strengths_mpa: Vec<f64>,
    /// When they were tested, RFC 3339 (default: now).
    pub tested_at: Option<String>,
    /// The laboratory's report number.
    pub report_no: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SpecimenView {
    pub id: String,
    pub batch_id: String,
    pub ticket_id: Option<String>,
    pub code: String,
    pub curing: String,
    pub curing_label: String,
    pub age_days: i64,
    pub specimen_mm: i64,
    pub sampled_at: String,
    pub strengths_mpa: Option<Vec<f64>>,
    /// The group's representative value by GB/T 50107 (converted to the
    /// 150 mm cube), MPa; null until tested or when the group is invalid.
    pub group_value: Option<f64>,
    /// Why the group does not count, when it does not.
    pub invalid_reason: Option<String>,
    pub tested_at: Option<String>,
    pub report_no: Option<String>,
}

/// The group value of three cubes for a class, or why there is none.
fn group_value(grade: &str, specimen_mm: i64, cubes: &[f64]) -> (Option<f64>, Option<String>) {
    let input = gb50107::Gb50107Input {
        grade: grade.into(),
        specimen_mm: specimen_mm as u32,
        groups: vec![cubes.to_vec()],
        sigma0: None,
    };
    match gb50107::assess(&input) {
        Ok(o) => (o.group_values.first().copied(), None),
        Err(e) if e.field == "groups" => (None, Some("最大值和最小值与中间值之差均超过中间值的15%，该组无效".into())),
        Err(e) => (None, Some(e.message)),
    }
}

pub(crate) fn specimen_view(s: Specimen, grade: &str) -> SpecimenView {
    let strengths: Option<Vec<f64>> = s.strengths.as_deref().and_then(|j| serde_json::from_str(j).ok());
    let (group_value, invalid_reason) = match &strengths {
        Some(c) => group_value(grade, s.specimen_mm, c),
        None => (None, None),
    };
    SpecimenView {
        curing_label: rules::curing_label(&s.curing).unwrap_or("").into(),
        sampled_at: crate::time::fmt_local(s.sampled_at),
        tested_at: fmt_opt(s.tested_at),
        strengths_mpa: strengths,
        group_value,
        invalid_reason,
        id: s.id,
        batch_id: s.batch_id,
        ticket_id: s.ticket_id,
        code: s.code,
        curing: s.curing,
        age_days: s.age_days,
        specimen_mm: s.specimen_mm,
        report_no: s.report_no,
    }
}

/// Who records specimens and results: an account of one of the project's
/// parties, or a regulator over the project.
fn require_quality_recorder(caller: &Caller, ctx: &Context) -> Result<()> {
    caller.require(
        project_party(caller, super::parties(ctx), false) || project_regulator(caller, &ctx.ctx_project_region)?,
    )
}

/// Records a specimen group cast from a batch's pour.
pub async fn add_specimen(app: &App, caller: &Caller, batch_id: &str, i: &SpecimenInput) -> Result<SpecimenView> {
    let now = now_ms();
    let code = i.code.trim();
    if code.is_empty() || code.chars().count() > 50 {
        return Err(AppError::field("code", "请填写试块编号（不超过50个字符）"));
    }
    let curing = i.curing.clone().unwrap_or_else(|| "standard".into());
    if rules::curing_label(&curing).is_none() {
        return Err(AppError::field("curing", "养护方式应为 standard（标准养护）或 same_condition（同条件养护）"));
    }
    let age = i.age_days.unwrap_or(28);
    if !(1..=365).contains(&age) {
        return Err(AppError::field("age_days", "龄期应为 1 到 365 天"));
    }
    let size = i.specimen_mm.unwrap_or(150);
    if ![100, 150, 200].contains(&size) {
        return Err(AppError::field("specimen_mm", "试件边长应为 100、150 或 200 mm"));
    }
    let sampled_at = opt_time("sampled_at", i.sampled_at.as_deref(), now)?.unwrap_or(now);
    let mut tx = app.db.begin().await?;
    let (b, ctx) = visible_batch(&mut tx, caller, batch_id).await?;
    require_quality_recorder(caller, &ctx)?;
    if size != 150 && gb50107::parse_grade("grade", &ctx.ctx_grade).is_ok_and(|f| f >= 60) {
        return Err(AppError::field("specimen_mm", "C60 及以上强度等级应采用 150 mm 标准试件"));
    }
    if let Some(tid) = &i.ticket_id {
        let (t, _) = store::ticket(&mut tx, tid)
            .await?
            .filter(|(t, _)| t.batch_id == b.id)
            .ok_or_else(|| AppError::field("ticket_id", "该批次没有这张发货单"))?;
        if sampled_at < t.departed_at {
            return Err(AppError::field("sampled_at", "取样时间不能早于该车出站时间"));
        }
    }
    let s = Specimen {
        id: new_id(),
        batch_id: b.id.clone(),
        ticket_id: i.ticket_id.clone(),
        project_id: b.project_id.clone(),
        code: code.into(),
        curing,
        age_days: i64::from(age),
        specimen_mm: i64::from(size),
        sampled_at,
        strengths: None,
        tested_at: None,
        report_no: None,
        created_at: now,
    };
    store::insert_specimen(&mut tx, &s).await?;
    record_sampled(&mut tx, caller, &s).await?;
    tx.commit().await?;
    Ok(specimen_view(s, &ctx.ctx_grade))
}

/// The audit row and ledger record of a specimen group cast.
pub async fn record_sampled(c: &mut AnyConnection, caller: &Caller, s: &Specimen) -> Result<()> {
    audit::record::<(), _>(c, caller, "sample", "concrete_specimen", &s.id, None, Some(s)).await?;
    let content = json!({"specimen_id": s.id, "batch_id": s.batch_id, "ticket_id": s.ticket_id, "code": s.code,
        "curing": s.curing, "age_days": s.age_days, "specimen_mm": s.specimen_mm, "sampled_at": s.sampled_at});
    let fields = json!({"batch_id": s.batch_id, "ticket_id": s.ticket_id, "project_id": s.project_id});
    step(c, "concrete.specimen.sampled", &s.id, caller, s.created_at, fields, content).await?;
    Ok(())
}

/// Records a specimen group's strength result (once: results are evidence).
pub async fn set_result(app: &App, caller: &Caller, specimen_id: &str, i: &ResultInput) -> Result<SpecimenView> {
    let now = now_ms();
    let cubes = rules::check_strengths("strengths_mpa", &i.strengths_mpa)?;
    let tested_at = opt_time("tested_at", i.tested_at.as_deref(), now)?.unwrap_or(now);
    let report_no = i.report_no.as_deref().map(str::trim).filter(|r| !r.is_empty());
    if report_no.is_some_and(|r| r.chars().count() > 50) {
        return Err(AppError::field("report_no", "报告编号不超过50个字符"));
    }
    let mut tx = app.db.begin().await?;
    let old = store::specimen(&mut tx, specimen_id).await?.ok_or(AppError::NotFound)?;
    let (_, ctx) = visible_batch(&mut tx, caller, &old.batch_id).await?;
    require_quality_recorder(caller, &ctx)?;
    if old.tested_at.is_some() {
        return Err(AppError::field("strengths_mpa", "该组试块已有检测结果，不能改写"));
    }
    if tested_at < old.sampled_at {
        return Err(AppError::field("tested_at", "检测时间不能早于取样时间"));
    }
    let strengths = serde_json::to_string(&cubes).map_err(|e| AppError::Internal(e.to_string()))?;
    store::set_result(&mut tx, &old.id, &strengths, tested_at, report_no).await?;
    let s = Specimen {
        strengths: Some(strengths),
        tested_at: Some(tested_at),
        report_no: report_no.map(Into::into),
        ..old.clone()
    };
    record_tested(&mut tx, caller, &old, &s, &cubes, now).await?;
    tx.commit().await?;
    Ok(specimen_view(s, &ctx.ctx_grade))
}

/// The audit row and ledger record of a specimen result.
pub async fn record_tested(
    c: &mut AnyConnection,
    caller: &Caller,
    before: &Specimen,
    s: &Specimen,
    cubes: &[f64; 3],
    at: i64,
) -> Result<()> {
    audit::record(c, caller, "test", "concrete_specimen", &s.id, Some(before), Some(s)).await?;
    let content = json!({"specimen_id": s.id, "batch_id": s.batch_id, "code": s.code,
        "strengths_mpa": cubes.iter().map(|x| dec(*x, 1)).collect::<Vec<_>>(), "tested_at": s.tested_at,
        "report_no": s.report_no});
    let fields = json!({"batch_id": s.batch_id, "project_id": s.project_id});
    step(c, "concrete.specimen.tested", &s.id, caller, at, fields, content).await?;
    Ok(())
}

// -------------------------------------------------------------- acceptance

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct AcceptanceInput {
    /// The batches of one lot (检验批): one project, one strength class.
    pub batch_ids: Vec<String>,
    /// Known σ0 of the plant's previous period (≥ 2.5 MPa): selects the σ0 method.
    pub sigma0: Option<f64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AcceptanceView {
    pub id: String,
    pub project_id: String,
    pub grade: String,
    pub batch_ids: Vec<String>,
    /// The standard-cured groups assessed, in order of casting.
    pub specimen_ids: Vec<String>,
    pub sigma0: Option<f64>,
    /// statistical | sigma0 | non_statistical
    pub method: String,
    pub n: i64,
    pub pass: bool,
    /// The calculator's output (`POST /api/v1/calc/gb50107`): group values,
    /// mean, sd, min, limits, λ, failed criteria.
    #[schema(value_type = Object)]
    pub result: Value,
    /// The quality hazard opened on the project when the lot failed.
    pub hazard_id: Option<String>,
    pub created_at: String,
}

pub(crate) fn acceptance_view(a: Acceptance) -> AcceptanceView {
    AcceptanceView {
        batch_ids: serde_json::from_str(&a.batch_ids).unwrap_or_default(),
        specimen_ids: serde_json::from_str(&a.specimen_ids).unwrap_or_default(),
        result: serde_json::from_str(&a.result).unwrap_or(Value::Null),
        pass: a.pass != 0,
        created_at: crate::time::fmt_local(a.created_at),
        id: a.id,
        project_id: a.project_id,
        grade: a.grade,
        sigma0: a.sigma0,
        method: a.method,
        n: a.n,
        hazard_id: a.hazard_id,
    }
}

pub fn method_name(m: Method) -> &'static str {
    match m {
        Method::Statistical => "statistical",
        Method::Sigma0 => "sigma0",
        Method::NonStatistical => "non_statistical",
    }
}

fn method_label(m: Method) -> &'static str {
    match m {
        Method::Statistical => "统计方法",
        Method::Sigma0 => "标准差已知的统计方法",
        Method::NonStatistical => "非统计方法",
    }
}

/// The lot's batches, checked: visible, one project, one class, none
/// accepted before. Errors name `batch_ids[i]`.
async fn lot(c: &mut AnyConnection, caller: &Caller, ids: &[String]) -> Result<Vec<(Batch, Context)>> {
    if ids.is_empty() || ids.len() > 100 {
        return Err(AppError::field("batch_ids", "一个检验批应包含 1 到 100 个生产批次"));
    }
    let mut out: Vec<(Batch, Context)> = Vec::with_capacity(ids.len());
    for (k, id) in ids.iter().enumerate() {
        let field = format!("batch_ids[{k}]");
        if ids[..k].contains(id) {
            return Err(AppError::field(&field, "批次重复"));
        }
        // An unknown id is bad input; a batch outside the caller's scope is not found.
        if store::batch(c, id).await?.is_none() {
            return Err(AppError::field(&field, "批次不存在"));
        }
        let (b, ctx) = visible_batch(c, caller, id).await?;
        if let Some((first, fctx)) = out.first() {
            if b.project_id != first.project_id {
                return Err(AppError::field(&field, "一个检验批的批次应属于同一项目"));
            }
            if ctx.ctx_grade != fctx.ctx_grade {
                return Err(AppError::field(&field, "一个检验批的批次应为同一强度等级"));
            }
        }
        if b.acceptance_id.is_some() {
            return Err(AppError::field(&field, "该批次已经验收"));
        }
        out.push((b, ctx));
    }
    Ok(out)
}

/// Assesses a lot by GB/T 50107 from its standard-cured, tested specimen
/// groups (heads of the project's parties, or regulators over it). A failed
/// lot opens a quality hazard on the project through the hazard lifecycle.
pub async fn accept(app: &App, caller: &Caller, i: &AcceptanceInput) -> Result<AcceptanceView> {
    let mut tx = app.db.begin().await?;
    let batches = lot(&mut tx, caller, &i.batch_ids).await?;
    let (first, ctx) = &batches[0];
    caller.require(
        project_party(caller, super::parties(ctx), true) || project_regulator(caller, &ctx.ctx_project_region)?,
    )?;
    let mut specimens = Vec::new();
    for (b, _) in &batches {
        specimens.extend(
            store::specimens_of_batch(&mut tx, &b.id)
                .await?
                .into_iter()
                .filter(|s| s.curing == "standard" && s.strengths.is_some()),
        );
    }
    specimens.sort_by(|a, b| (a.sampled_at, &a.code).cmp(&(b.sampled_at, &b.code)));
    let Some(size) = specimens.first().map(|s| s.specimen_mm) else {
        return Err(AppError::field("batch_ids", "这些批次还没有已出检测结果的标准养护试块"));
    };
    if specimens.iter().any(|s| s.specimen_mm != size) {
        return Err(AppError::field("batch_ids", "同一检验批的试件尺寸应一致"));
    }
    let groups: Vec<Vec<f64>> = specimens
        .iter()
        .map(|s| serde_json::from_str(s.strengths.as_deref().unwrap_or("[]")).unwrap_or_default())
        .collect();
    let input =
        gb50107::Gb50107Input { grade: ctx.ctx_grade.clone(), specimen_mm: size as u32, groups, sigma0: i.sigma0 };
    let out = gb50107::assess(&input).map_err(|e| {
        if e.field == "sigma0" { AppError::Invalid(e) } else { AppError::field("batch_ids", e.message) }
    })?;
    let id = new_id();
    let now = now_ms();
    let project = projects::get(&mut tx, &first.project_id).await?.ok_or(AppError::NotFound)?;
    let hazard_id = if out.pass {
        None
    } else {
        let locations: Vec<&str> = batches.iter().map(|(_, c)| c.ctx_pour_location.as_str()).collect();
        Some(open_hazard(app, &mut tx, &project, &id, &locations.join("、"), &out).await?)
    };
    let batch_ids: Vec<String> = batches.iter().map(|(b, _)| b.id.clone()).collect();
    let specimen_ids: Vec<String> = specimens.iter().map(|s| s.id.clone()).collect();
    let a = Acceptance {
        id: id.clone(),
        project_id: project.id.clone(),
        grade: out.grade.clone(),
        batch_ids: serde_json::to_string(&batch_ids).unwrap_or_default(),
        specimen_ids: serde_json::to_string(&specimen_ids).unwrap_or_default(),
        sigma0: i.sigma0,
        method: method_name(out.method).into(),
        n: out.n as i64,
        pass: i64::from(out.pass),
        result: serde_json::to_string(&out).map_err(|e| AppError::Internal(e.to_string()))?,
        hazard_id,
        assessed_by: caller.actor_id(),
        created_at: now,
    };
    store::insert_acceptance(&mut tx, &a).await?;
    store::set_acceptance(&mut tx, &batch_ids, &id).await?;
    record_acceptance(&mut tx, caller, &a, &out).await?;
    if let Some(h) = &a.hazard_id {
        notify_failure(app, &mut tx, ctx, &project.name, &out, h).await?;
    }
    tx.commit().await?;
    Ok(acceptance_view(a))
}

/// Opens the quality hazard of a failed lot on its project (through the
/// hazard lifecycle: reported, classified CONS-09-01, dispatched to the
/// contractor); returns its id.
pub async fn open_hazard(
    app: &App,
    c: &mut AnyConnection,
    project: &projects::Project,
    acceptance_id: &str,
    locations: &str,
    out: &Gb50107Output,
) -> Result<String> {
    let description = failure_text(&project.name, locations, out);
    Ok(crate::hazards::report_from_acceptance(app, c, project, acceptance_id, &description).await?.id)
}

/// A failed lot is also told to the closest supervisors of the project and
/// the heads of its three parties (the hazard's dispatch tells the
/// contractor what to do).
async fn notify_failure(
    app: &App,
    c: &mut AnyConnection,
    ctx: &Context,
    project: &str,
    out: &Gb50107Output,
    hazard_id: &str,
) -> Result<()> {
    let sups = anjian_store::notifications::supervisors_of(c, &ctx.ctx_project_region).await?;
    let mut to = crate::hazards::closest_supervisors(&sups, &ctx.ctx_project_region);
    for e in super::parties(ctx) {
        to.extend(anjian_store::notifications::enterprise_users(c, e, "enterprise-head").await?);
    }
    let title = format!("混凝土强度评定不合格：{project} {}", out.grade);
    let body =
        format!("{}，平均值 {:.1} MPa，最小值 {:.1} MPa，已生成质量隐患", method_label(out.method), out.mean, out.min);
    crate::hazards::notify_users(app, c, &to, "concrete_failed", &title, &body, Some(hazard_id)).await
}

/// The hazard text of a failed lot: where, which method, which criterion.
pub fn failure_text(project: &str, locations: &str, out: &Gb50107Output) -> String {
    let mut why = Vec::new();
    for c in &out.failed {
        why.push(match c {
            Criterion::Mean => format!("强度平均值 {:.1} MPa 低于 {} MPa", out.mean, out.limits.mean),
            Criterion::Min => format!("强度最小值 {:.1} MPa 低于 {} MPa", out.min, out.limits.min),
        });
    }
    format!(
        "{project}（{locations}）{} 混凝土检验批强度评定不合格（GB/T 50107，{}，{} 组）：{}。请对该部位进行实体检测并按鉴定结论处理",
        out.grade,
        method_label(out.method),
        out.n,
        why.join("；")
    )
}

/// The audit row and ledger record of an acceptance.
pub async fn record_acceptance(
    c: &mut AnyConnection,
    caller: &Caller,
    a: &Acceptance,
    out: &Gb50107Output,
) -> Result<()> {
    audit::record::<(), _>(c, caller, "assess", "concrete_acceptance", &a.id, None, Some(&acceptance_view(a.clone())))
        .await?;
    let failed: Vec<&str> = out.failed.iter().map(|c| if *c == Criterion::Mean { "mean" } else { "min" }).collect();
    let content = json!({
        "acceptance_id": a.id, "project_id": a.project_id, "grade": a.grade,
        "batch_ids": serde_json::from_str::<Value>(&a.batch_ids).unwrap_or(Value::Null),
        "specimen_ids": serde_json::from_str::<Value>(&a.specimen_ids).unwrap_or(Value::Null),
        "group_values": out.group_values.iter().map(|v| dec(*v, 1)).collect::<Vec<_>>(),
        "method": a.method, "n": a.n, "mean": dec(out.mean, 1), "sd": out.sd.map(|s| dec(s, 2)),
        "min": dec(out.min, 1), "limits": {"mean": dec(out.limits.mean, 4), "min": dec(out.limits.min, 4)},
        "sigma0": a.sigma0.map(|s| dec(s, 2)), "pass": a.pass != 0, "failed": failed, "hazard_id": a.hazard_id,
    });
    let fields = json!({"project_id": a.project_id, "batch_ids": content["batch_ids"], "pass": a.pass != 0,
        "hazard_id": a.hazard_id});
    step(c, "concrete.acceptance.assessed", &a.id, caller, a.created_at, fields, content).await?;
    Ok(())
}

/// One acceptance, visible with its batches.
pub async fn get_acceptance(app: &App, caller: &Caller, id: &str) -> Result<AcceptanceView> {
    let mut c = app.db.read().await?;
    let a = store::acceptance(&mut c, id).await?.ok_or(AppError::NotFound)?;
    let first: Vec<String> = serde_json::from_str(&a.batch_ids).unwrap_or_default();
    let (_, ctx) =
        store::batch(&mut c, first.first().map(String::as_str).unwrap_or_default()).await?.ok_or(AppError::NotFound)?;
    if !sees(caller, &ctx)? {
        return Err(AppError::NotFound);
    }
    Ok(acceptance_view(a))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct AcceptanceFilter {
    pub project_id: String,
}

/// A project's acceptances, newest first.
pub async fn list_acceptances(app: &App, caller: &Caller, f: &AcceptanceFilter) -> Result<Vec<AcceptanceView>> {
    let mut c = app.db.read().await?;
    let p = projects::get(&mut c, &f.project_id).await?.ok_or(AppError::NotFound)?;
    if !crate::registry::project_visible(caller, &p) {
        return Err(AppError::NotFound);
    }
    Ok(store::acceptances_of_project(&mut c, &p.id).await?.into_iter().map(acceptance_view).collect())
}
