//! Inspections (I1–I2): checklist templates as versioned data, inspections
//! of an enterprise or project filled item by item (failing items become
//! hazards in the submitting transaction), self-inspection schedules and
//! the discipline view (late, missing and suspicious self-inspections with
//! the penalty rule that applies), and regulators' reviews of those flags.

use crate::hazards::{FindingTerms, Placement};
use crate::registry::visible_enterprise;
use crate::{App, AppError, Caller, Result, audit, ledger, time};
use anjian_domain::ids::RegionCode;
use anjian_domain::inspection::{self as rules, InspectionKind, Outcome, ResultInput, Template, TemplateKind};
use anjian_domain::role::Role;
use anjian_store::filter::Page;
use anjian_store::inspections::{self as store, Inspection, InspectionQuery, ResultRow, TemplateRow};
use anjian_store::{AnyConnection, enterprises, hazards, new_id, now_ms, projects};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::HashMap;

// ---------------------------------------------------------------- templates

/// The templates the platform ships (crates/app/data/inspections/).
const SHIPPED: &[&str] = &[
    include_str!("../data/inspections/jgj59.json"),
    include_str!("../data/inspections/self-construction.json"),
    include_str!("../data/inspections/self-hazardous-chemicals.json"),
    include_str!("../data/inspections/self-mining.json"),
    include_str!("../data/inspections/self-manufacturing.json"),
    include_str!("../data/inspections/self-trade.json"),
    include_str!("../data/inspections/expert-hazardous-chemicals.json"),
    include_str!("../data/inspections/expert-mining.json"),
    include_str!("../data/inspections/enforcement-general.json"),
];

/// The shipped templates, parsed.
pub fn shipped() -> Result<Vec<Template>> {
    SHIPPED
        .iter()
        .map(|s| serde_json::from_str::<Template>(s).map_err(|e| AppError::Internal(format!("shipped template: {e}"))))
        .collect()
}

fn body_hash(t: &Template) -> Result<String> {
    // The version is not part of what a template says.
    let mut v = serde_json::to_value(t).map_err(|e| AppError::Internal(e.to_string()))?;
    v["version"] = json!(0);
    ledger::content_hash(&v)
}

fn check_template(app: &App, t: &Template) -> Result<()> {
    t.validate(|code| app.knowledge.item(code).is_some())?;
    Ok(())
}

/// Loads the shipped templates into the database: a template not there yet
/// becomes version 1 (or the file's version); one whose content changed
/// since the last shipped version becomes the next version. Custom versions
/// made through the API are left alone. Idempotent; run at start-up.
pub async fn ensure_templates(app: &App) -> Result<usize> {
    let mut added = 0;
    let mut tx = app.db.begin().await?;
    for mut t in shipped()? {
        check_template(app, &t)?;
        let sha = body_hash(&t)?;
        let all = store::list_templates(&mut tx, None, None, true).await?;
        let versions: Vec<_> = all.iter().filter(|h| h.code == t.code).collect();
        let last_shipped = versions.iter().filter(|h| h.source == "shipped").max_by_key(|h| h.version);
        if last_shipped.is_some_and(|h| h.sha256 == sha) {
            continue;
        }
        let next = versions.iter().map(|h| h.version).max().map(|v| v + 1).unwrap_or(i64::from(t.version));
        t.version = next as u32;
        insert_template(&mut tx, &Caller::system(), &t, &sha, "shipped").await?;
        added += 1;
    }
    tx.commit().await?;
    Ok(added)
}

async fn insert_template(
    c: &mut AnyConnection,
    caller: &Caller,
    t: &Template,
    sha: &str,
    source: &str,
) -> Result<TemplateRow> {
    let row = TemplateRow {
        id: new_id(),
        code: t.code.clone(),
        version: i64::from(t.version),
        name: t.name.clone(),
        kind: t.kind.as_str().into(),
        industry: t.industry.clone(),
        body: serde_json::to_string(t).map_err(|e| AppError::Internal(e.to_string()))?,
        sha256: sha.into(),
        source: source.into(),
        created_by: caller.actor_id(),
        created_at: now_ms(),
    };
    store::insert_template(c, &row).await?;
    audit::record::<(), _>(
        c,
        caller,
        "create",
        "inspection_template",
        &row.id,
        None,
        Some(&json!({
        "code": row.code, "version": row.version, "sha256": row.sha256, "source": row.source})),
    )
    .await?;
    let fields = json!({"template": row.id, "code": row.code, "version": row.version, "sha256": row.sha256});
    ledger::append(
        c,
        &format!("inspection_template/{}", row.id),
        &ledger::Record {
            kind: "inspection_template.published",
            subject: &row.id,
            actor: &ledger::actor_of(caller),
            time_ms: row.created_at,
            content: json!({"sha256": row.sha256}),
            fields,
        },
    )
    .await?;
    Ok(row)
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TemplateSummary {
    pub id: String,
    pub code: String,
    pub version: i64,
    pub name: String,
    /// self | expert | enforcement | jgj59
    pub kind: String,
    pub industry: Option<String>,
    /// `shipped` | `custom`
    pub source: String,
    pub sha256: String,
    pub created_at: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TemplateView {
    #[serde(flatten)]
    pub summary: TemplateSummary,
    pub standard: String,
    /// Sections with their items and standard problems.
    #[schema(value_type = Vec<Object>)]
    pub sections: Vec<rules::Section>,
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct TemplateFilter {
    /// self | expert | enforcement | jgj59
    pub kind: Option<String>,
    /// Templates for this industry (and those for any industry).
    pub industry: Option<String>,
    /// Every version, not just the newest of each code.
    #[serde(default)]
    pub all_versions: bool,
}

fn summary(h: store::TemplateHead) -> TemplateSummary {
    TemplateSummary {
        created_at: time::fmt_local(h.created_at),
        id: h.id,
        code: h.code,
        version: h.version,
        name: h.name,
        kind: h.kind,
        industry: h.industry,
        source: h.source,
        sha256: h.sha256,
    }
}

pub async fn list_templates(app: &App, _caller: &Caller, f: &TemplateFilter) -> Result<Vec<TemplateSummary>> {
    if let Some(k) = &f.kind
        && TemplateKind::parse(k).is_none()
    {
        return Err(AppError::field("kind", "模板类型应为 self、expert、enforcement 或 jgj59"));
    }
    if let Some(i) = &f.industry {
        anjian_domain::registry::industry_label("industry", i)?;
    }
    let mut c = app.db.read().await?;
    let heads = store::list_templates(&mut c, f.kind.as_deref(), f.industry.as_deref(), f.all_versions).await?;
    Ok(heads.into_iter().map(summary).collect())
}

fn parse_body(row: &TemplateRow) -> Result<Template> {
    serde_json::from_str(&row.body).map_err(|e| AppError::Internal(format!("template {}: {e}", row.id)))
}

fn template_view(row: TemplateRow) -> Result<TemplateView> {
    let t = parse_body(&row)?;
    Ok(TemplateView {
        standard: t.standard,
        sections: t.sections,
        summary: TemplateSummary {
            created_at: time::fmt_local(row.created_at),
            id: row.id,
            code: row.code,
            version: row.version,
            name: row.name,
            kind: row.kind,
            industry: row.industry,
            source: row.source,
            sha256: row.sha256,
        },
    })
}

pub async fn get_template(app: &App, _caller: &Caller, id: &str) -> Result<TemplateView> {
    let mut c = app.db.read().await?;
    template_view(store::template(&mut c, id).await?.ok_or(AppError::NotFound)?)
}

/// A new template, or a new version of an existing code (super admins and
/// city supervisors). The version is the next one of the code.
pub async fn publish_template(app: &App, caller: &Caller, t: &Template) -> Result<TemplateView> {
    caller.require(caller.is_admin() || caller.role == Role::CitySupervisor)?;
    let mut t = t.clone();
    t.version = 1;
    check_template(app, &t)?;
    let sha = body_hash(&t)?;
    let mut tx = app.db.begin().await?;
    if let Some(last) = store::latest_template(&mut tx, &t.code).await? {
        if last.sha256 == sha {
            return Err(AppError::field("sections", format!("与现行版本 v{} 内容相同", last.version)));
        }
        t.version = last.version as u32 + 1;
    }
    let row = insert_template(&mut tx, caller, &t, &sha, "custom").await?;
    tx.commit().await?;
    template_view(row)
}

// -------------------------------------------------------------- inspections

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct InspectionInput {
    pub template_id: String,
    /// The enterprise inspected (or give `project_id`: its contractor is taken).
    pub enterprise_id: Option<String>,
    pub project_id: Option<String>,
    /// self | expert | enforcement; default: `self` for enterprise accounts,
    /// `expert` for expert templates, else `enforcement`.
    pub kind: Option<String>,
    /// When the inspection began (RFC 3339); default now.
    pub started_at: Option<String>,
    /// The month a self-inspection reports on (`YYYY-MM`); default the month it began.
    pub period: Option<String>,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    /// Submit at once: every item must be answered; failing items become hazards.
    #[serde(default)]
    pub submit: bool,
    #[schema(value_type = Vec<Object>)]
    #[serde(default)]
    pub results: Vec<ResultInput>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct DraftInput {
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    #[schema(value_type = Vec<Object>)]
    pub results: Vec<ResultInput>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ResultView {
    pub section_code: String,
    pub item_code: String,
    pub instance: i64,
    pub outcome: String,
    pub problem_code: Option<String>,
    pub deduction: Option<f64>,
    pub note: Option<String>,
    pub attachments: Vec<String>,
    /// The hazard a failing item became.
    pub hazard_id: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct InspectionView {
    pub id: String,
    pub number: String,
    pub kind: String,
    pub kind_label: String,
    pub template_id: String,
    pub enterprise_id: String,
    pub project_id: Option<String>,
    pub region_code: String,
    pub inspector_name: String,
    /// draft | submitted
    pub state: String,
    pub period: Option<String>,
    pub started_at: String,
    pub submitted_at: Option<String>,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    pub items: i64,
    pub passed: i64,
    pub failed: i64,
    pub not_applicable: i64,
    /// JGJ 59 total and grade (优良 / 合格 / 不合格).
    pub score: Option<f64>,
    pub grade: Option<String>,
    /// Hazards opened from failing items.
    pub hazards: Vec<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct InspectionDetail {
    #[serde(flatten)]
    pub inspection: InspectionView,
    pub results: Vec<ResultView>,
    /// Items not yet answered (drafts).
    pub unanswered: Vec<String>,
    /// The JGJ 59 score in full (sub-tables, kinds), for JGJ 59 templates.
    #[schema(value_type = Option<Object>)]
    pub jgj59: Option<serde_json::Value>,
}

fn view(i: Inspection, results: &[ResultRow]) -> InspectionView {
    let kind_label = InspectionKind::parse(&i.kind).map(|k| k.label()).unwrap_or_default().to_string();
    InspectionView {
        hazards: results.iter().filter_map(|r| r.hazard_id.clone()).collect(),
        kind_label,
        started_at: time::fmt_local(i.started_at),
        submitted_at: i.submitted_at.map(time::fmt_local),
        lat: i.lat,
        lng: i.lon,
        id: i.id,
        number: i.number,
        kind: i.kind,
        template_id: i.template_id,
        enterprise_id: i.enterprise_id,
        project_id: i.project_id,
        region_code: i.region_code,
        inspector_name: i.inspector_name,
        state: i.state,
        period: i.period,
        items: i.items,
        passed: i.passed,
        failed: i.failed,
        not_applicable: i.not_applicable,
        score: i.score,
        grade: i.grade,
    }
}

fn result_inputs(rows: &[ResultRow]) -> Vec<ResultInput> {
    rows.iter()
        .map(|r| ResultInput {
            item_code: r.item_code.clone(),
            instance: r.instance as u32,
            outcome: Outcome::parse(&r.outcome).unwrap_or(Outcome::Na),
            problem_code: r.problem_code.clone(),
            note: r.note.clone(),
            deduction: r.deduction,
            attachments: serde_json::from_str(&r.attachments).unwrap_or_default(),
        })
        .collect()
}

fn result_rows(t: &Template, inspection_id: &str, rs: &[ResultInput], e: &rules::Evaluation) -> Vec<ResultRow> {
    rs.iter()
        .map(|r| {
            let section = t.item(&r.item_code).map(|(s, _)| s.code.clone()).unwrap_or_default();
            let finding = e.findings.iter().find(|f| f.item_code == r.item_code && f.instance == r.instance);
            ResultRow {
                inspection_id: inspection_id.into(),
                item_code: r.item_code.clone(),
                instance: i64::from(r.instance),
                section_code: section,
                outcome: r.outcome.as_str().into(),
                problem_code: finding.map(|f| f.problem_code.clone()).or_else(|| r.problem_code.clone()),
                deduction: finding.map(|f| f.deduction),
                note: r.note.clone().filter(|n| !n.trim().is_empty()),
                attachments: serde_json::to_string(&r.attachments).unwrap_or_else(|_| "[]".into()),
                hazard_id: None,
            }
        })
        .collect()
}

fn check_point(lng: Option<f64>, lat: Option<f64>) -> Result<()> {
    anjian_domain::registry::validate_point(lng, lat).map_err(|e| {
        let field = if e.field == "lon" { "lng" } else { "lat" };
        AppError::field(field, e.message)
    })
}

fn key_of(caller: &Caller, key: &str) -> Result<String> {
    if key.is_empty() || key.len() > 200 {
        return Err(AppError::field("Idempotency-Key", "幂等键长度应为 1 到 200 个字符"));
    }
    Ok(format!("u:{}:{key}", caller.user_id))
}

async fn check_attachments(c: &mut AnyConnection, rs: &[ResultInput]) -> Result<()> {
    for (k, r) in rs.iter().enumerate() {
        for (j, a) in r.attachments.iter().enumerate() {
            if anjian_store::attachments::get(c, a).await?.is_none() {
                return Err(AppError::field(&format!("results[{k}].attachments[{j}]"), "附件不存在，请先上传"));
            }
        }
    }
    Ok(())
}

/// Who may change an inspection: its inspector, or (for self-inspections)
/// the enterprise's head.
fn may_edit(caller: &Caller, i: &Inspection) -> bool {
    caller.actor_id().as_deref() == i.inspector_id.as_deref()
        || (i.kind == "self" && caller.role == Role::EnterpriseHead && caller.enterprise_ids.contains(&i.enterprise_id))
        || caller.is_admin()
}

/// Starts an inspection (a draft) or records it in one go (`submit`).
/// Returns the inspection and whether it was created now (false: the same
/// idempotency key made it before).
pub async fn create(
    app: &App,
    caller: &Caller,
    input: &InspectionInput,
    idempotency_key: Option<&str>,
) -> Result<(InspectionDetail, bool)> {
    let key = idempotency_key.map(|k| key_of(caller, k)).transpose()?;
    if let Some(k) = &key {
        let mut c = app.db.read().await?;
        if let Some(i) = store::inspection_by_key(&mut c, k).await? {
            drop(c);
            return Ok((get(app, caller, &i.id).await?, false));
        }
    }
    check_point(input.lng, input.lat)?;
    let now = now_ms();
    let started_at = match &input.started_at {
        Some(s) => time::parse_instant("started_at", s)?,
        None => now,
    };
    if started_at > now + 10 * 60_000 {
        return Err(AppError::field("started_at", "检查时间不能晚于当前时间"));
    }
    let mut tx = app.db.begin().await?;
    let row = store::template(&mut tx, &input.template_id)
        .await?
        .ok_or_else(|| AppError::field("template_id", "检查模板不存在"))?;
    let t = parse_body(&row)?;
    // The unit inspected: an enterprise in scope, or a project in scope (its
    // site is where the inspection happens, whoever registered its parties).
    let (e, project_id, region_code) = match (&input.enterprise_id, &input.project_id) {
        (_, Some(pid)) => {
            let p = projects::get(&mut tx, pid).await?.ok_or_else(|| AppError::field("project_id", "项目不存在"))?;
            let region = RegionCode::parse("region", &p.region_code).map_err(|e| AppError::Internal(e.to_string()))?;
            let parties = [&p.builder_id, &p.contractor_id, &p.supervisor_id];
            if !parties.iter().any(|e| caller.scope.allows(&region, Some(e))) {
                return Err(AppError::NotFound);
            }
            let eid = input.enterprise_id.clone().unwrap_or_else(|| p.contractor_id.clone());
            if !parties.contains(&&eid) {
                return Err(AppError::field("enterprise_id", "该企业不是项目的参建单位"));
            }
            if matches!(caller.scope, anjian_domain::role::Scope::Enterprises(_))
                && !caller.enterprise_ids.contains(&eid)
            {
                return Err(AppError::field("enterprise_id", "企业只能自查本单位"));
            }
            let e = enterprises::get(&mut tx, &eid).await?.ok_or(AppError::NotFound)?;
            (e, Some(p.id), p.region_code)
        }
        (Some(eid), None) => {
            let e = visible_enterprise(&mut tx, caller, eid).await?;
            let r = e.region_code.clone();
            (e, None, r)
        }
        (None, None) => return Err(AppError::field("enterprise_id", "请选择被检查企业或项目")),
    };
    if let Some(ind) = &t.industry
        && ind != &e.industry
        && t.kind != TemplateKind::Jgj59
    {
        return Err(AppError::field("template_id", "该模板不适用于被检查企业的行业"));
    }
    let enterprise_user = matches!(caller.role, Role::EnterpriseHead | Role::EnterpriseStaff);
    let kind = match input.kind.as_deref() {
        Some(k) => InspectionKind::parse(k)
            .ok_or_else(|| AppError::field("kind", "检查类型应为 self、expert 或 enforcement"))?,
        None if enterprise_user => InspectionKind::SelfCheck,
        None if t.kind == TemplateKind::Expert => InspectionKind::Expert,
        None => InspectionKind::Enforcement,
    };
    if enterprise_user != (kind == InspectionKind::SelfCheck) {
        return Err(AppError::field("kind", "企业账号只能做自查，监管账号只能做专家或执法检查"));
    }
    if !kind.accepts(t.kind) {
        return Err(AppError::field("template_id", format!("{}不能使用该类模板", kind.label())));
    }
    let period = match (&input.period, kind) {
        (Some(p), InspectionKind::SelfCheck) => {
            time::parse_month("period", p)?;
            if p.as_str() > time::month_of(now).as_str() {
                return Err(AppError::field("period", "不能为将来的月份自查"));
            }
            Some(p.clone())
        }
        (Some(_), _) => return Err(AppError::field("period", "只有企业自查有所属月份")),
        (None, InspectionKind::SelfCheck) => Some(time::month_of(started_at)),
        (None, _) => None,
    };
    let evaluation = rules::evaluate(&t, &input.results, input.submit)?;
    check_attachments(&mut tx, &input.results).await?;
    let number = {
        let year: i64 = time::today_local(now)[..4].parse().unwrap_or(1970);
        let prefix = match kind {
            InspectionKind::SelfCheck => "ZC",
            InspectionKind::Expert => "ZJ",
            InspectionKind::Enforcement => "ZF",
        };
        let n = store::next_in_series(&mut tx, "", &format!("inspection.{}", kind.as_str()), year).await?;
        format!("{prefix}{year}-{n:06}")
    };
    let mut i = Inspection {
        id: new_id(),
        number,
        kind: kind.as_str().into(),
        template_id: row.id.clone(),
        enterprise_id: e.id.clone(),
        project_id,
        region_code,
        inspector_id: caller.actor_id(),
        inspector_name: caller.display_name.clone(),
        state: "draft".into(),
        period,
        started_at,
        submitted_at: None,
        lon: input.lng,
        lat: input.lat,
        items: 0,
        passed: 0,
        failed: 0,
        not_applicable: 0,
        score: None,
        grade: None,
        idempotency_key: key,
        created_at: now,
        updated_at: now,
    };
    summarise(&mut i, &evaluation);
    store::insert_inspection(&mut tx, &i).await.map_err(|e| match e {
        anjian_store::StoreError::Conflict { .. } => AppError::Conflict { field: "Idempotency-Key".into() },
        other => other.into(),
    })?;
    let mut rows = result_rows(&t, &i.id, &input.results, &evaluation);
    store::replace_results(&mut tx, &i.id, &rows).await?;
    audit::record::<(), _>(&mut tx, caller, "create", "inspection", &i.id, None, Some(&i)).await?;
    log_event(&mut tx, caller, &i, "inspection.created", &row, &rows).await?;
    if input.submit {
        submit_in(app, &mut tx, caller, &mut i, &t, &row, &evaluation, &mut rows).await?;
    }
    tx.commit().await?;
    Ok((get(app, caller, &i.id).await?, true))
}

fn summarise(i: &mut Inspection, e: &rules::Evaluation) {
    i.items = e.items as i64;
    i.passed = e.passed as i64;
    i.failed = e.failed as i64;
    i.not_applicable = e.not_applicable as i64;
    i.score = e.jgj59.as_ref().map(|s| s.total);
    i.grade = e.jgj59.as_ref().map(|s| s.grade.label().to_string());
}

/// The evidence-ledger record of an inspection's state change: ids,
/// counts, the template's hash and a hash of the answers (notes may name
/// people, so only their hash).
async fn log_event(
    c: &mut AnyConnection,
    caller: &Caller,
    i: &Inspection,
    kind: &str,
    template: &TemplateRow,
    rows: &[ResultRow],
) -> Result<()> {
    let answers = serde_json::to_value(rows).map_err(|e| AppError::Internal(e.to_string()))?;
    let hazards: Vec<&str> = rows.iter().filter_map(|r| r.hazard_id.as_deref()).collect();
    let fields = json!({
        "inspection": i.id, "number": i.number, "kind": i.kind, "state": i.state, "enterprise": i.enterprise_id,
        "template": template.id, "template_sha256": template.sha256, "items": i.items, "failed": i.failed,
        "score": i.score.map(|x| format!("{x:.2}")), "hazards": hazards, "answers_sha256": ledger::content_hash(&answers)?,
    });
    let at = i.updated_at;
    ledger::append(
        c,
        &format!("inspection/{}/{kind}/{at}", i.id),
        &ledger::Record {
            kind,
            subject: &i.id,
            actor: &ledger::actor_of(caller),
            time_ms: at,
            content: json!({"inspection": i, "answers": answers}),
            fields,
        },
    )
    .await
}

/// Submits inside `tx`: each finding becomes a hazard (channel of the
/// inspection's kind, the checklist's taxonomy item, grade and deadline),
/// linked from its answer; the inspection becomes final.
#[allow(clippy::too_many_arguments)]
async fn submit_in(
    app: &App,
    tx: &mut AnyConnection,
    caller: &Caller,
    i: &mut Inspection,
    t: &Template,
    template: &TemplateRow,
    e: &rules::Evaluation,
    rows: &mut [ResultRow],
) -> Result<()> {
    let kind = InspectionKind::parse(&i.kind).ok_or_else(|| AppError::Internal("inspection kind".into()))?;
    let point = i.lon.zip(i.lat);
    for f in &e.findings {
        let where_ = match point {
            Some((lon, lat)) => crate::hazards::grid_of(app, tx, lon, lat).await?,
            None => None,
        };
        let placement = Placement {
            region_code: where_.unwrap_or_else(|| i.region_code.clone()),
            enterprise_id: Some(i.enterprise_id.clone()),
            project_id: i.project_id.clone(),
            point,
        };
        let item_text = t.item(&f.item_code).map(|(_, it)| it.text.as_str()).unwrap_or_default();
        let description =
            format!("{}（{} {} 第{}项：{}）", f.description, kind.label(), i.number, f.item_code, item_text);
        let h = crate::hazards::report_finding(
            app,
            tx,
            caller,
            kind.channel(),
            &description,
            placement,
            &f.taxonomy_item,
            FindingTerms { grade: f.grade, deadline_days: f.deadline_days },
            &f.attachments,
            format!("inspection:{}:{}:{}", i.id, f.item_code, f.instance),
        )
        .await?;
        store::set_result_hazard(tx, &i.id, &f.item_code, i64::from(f.instance), &h.id).await?;
        if let Some(r) = rows.iter_mut().find(|r| r.item_code == f.item_code && r.instance == i64::from(f.instance)) {
            r.hazard_id = Some(h.id.clone());
        }
    }
    let before = i.clone();
    let now = now_ms();
    i.state = "submitted".into();
    i.submitted_at = Some(now);
    i.updated_at = now;
    summarise(i, e);
    store::update_inspection(tx, i).await?;
    audit::record(tx, caller, "submit", "inspection", &i.id, Some(&before), Some(&*i)).await?;
    log_event(tx, caller, i, "inspection.submitted", template, rows).await
}

async fn visible(c: &mut AnyConnection, caller: &Caller, id: &str) -> Result<Inspection> {
    let i = store::inspection(c, id).await?.ok_or(AppError::NotFound)?;
    let region = RegionCode::parse("region", &i.region_code).map_err(|e| AppError::Internal(e.to_string()))?;
    if caller.scope.allows(&region, Some(&i.enterprise_id)) { Ok(i) } else { Err(AppError::NotFound) }
}

pub async fn get(app: &App, caller: &Caller, id: &str) -> Result<InspectionDetail> {
    let mut c = app.db.read().await?;
    let i = visible(&mut c, caller, id).await?;
    let rows = store::results(&mut c, &i.id).await?;
    let row = store::template(&mut c, &i.template_id).await?.ok_or_else(|| AppError::Internal("template".into()))?;
    let t = parse_body(&row)?;
    let e = rules::evaluate(&t, &result_inputs(&rows), false).ok();
    let results = rows
        .iter()
        .map(|r| ResultView {
            section_code: r.section_code.clone(),
            item_code: r.item_code.clone(),
            instance: r.instance,
            outcome: r.outcome.clone(),
            problem_code: r.problem_code.clone(),
            deduction: r.deduction,
            note: r.note.clone(),
            attachments: serde_json::from_str(&r.attachments).unwrap_or_default(),
            hazard_id: r.hazard_id.clone(),
        })
        .collect();
    let unanswered = e.as_ref().map(|e| e.unanswered.clone()).unwrap_or_default();
    let jgj59 = e.and_then(|e| e.jgj59).and_then(|s| serde_json::to_value(s).ok());
    Ok(InspectionDetail { inspection: view(i, &rows), results, unanswered, jgj59 })
}

/// Replaces a draft's answers (and place).
pub async fn update_draft(app: &App, caller: &Caller, id: &str, input: &DraftInput) -> Result<InspectionDetail> {
    check_point(input.lng, input.lat)?;
    let mut tx = app.db.begin().await?;
    let mut i = visible(&mut tx, caller, id).await?;
    caller.require(may_edit(caller, &i))?;
    if i.state != "draft" {
        return Err(AppError::State { field: "state".into(), message: "检查已提交，不能再修改".into() });
    }
    let row = store::template(&mut tx, &i.template_id).await?.ok_or_else(|| AppError::Internal("template".into()))?;
    let t = parse_body(&row)?;
    let e = rules::evaluate(&t, &input.results, false)?;
    check_attachments(&mut tx, &input.results).await?;
    let before = i.clone();
    if input.lat.is_some() {
        i.lat = input.lat;
        i.lon = input.lng;
    }
    i.updated_at = now_ms();
    summarise(&mut i, &e);
    store::update_inspection(&mut tx, &i).await?;
    store::replace_results(&mut tx, &i.id, &result_rows(&t, &i.id, &input.results, &e)).await?;
    audit::record(&mut tx, caller, "update", "inspection", &i.id, Some(&before), Some(&i)).await?;
    tx.commit().await?;
    get(app, caller, id).await
}

/// Submits a draft: every item must be answered; failing items become hazards.
pub async fn submit(app: &App, caller: &Caller, id: &str) -> Result<InspectionDetail> {
    let mut tx = app.db.begin().await?;
    let mut i = visible(&mut tx, caller, id).await?;
    caller.require(may_edit(caller, &i))?;
    if i.state != "draft" {
        return Err(AppError::State { field: "state".into(), message: "检查已提交，不能重复提交".into() });
    }
    let row = store::template(&mut tx, &i.template_id).await?.ok_or_else(|| AppError::Internal("template".into()))?;
    let t = parse_body(&row)?;
    let mut rows = store::results(&mut tx, &i.id).await?;
    let e = rules::evaluate(&t, &result_inputs(&rows), true)?;
    submit_in(app, &mut tx, caller, &mut i, &t, &row, &e, &mut rows).await?;
    tx.commit().await?;
    get(app, caller, id).await
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct InspectionFilter {
    pub region: Option<String>,
    pub enterprise_id: Option<String>,
    pub project_id: Option<String>,
    /// self | expert | enforcement
    pub kind: Option<String>,
    /// draft | submitted
    pub state: Option<String>,
    /// Self-inspections for this month, `YYYY-MM`.
    pub period: Option<String>,
    /// Started on or after this day, `YYYY-MM-DD`.
    pub from: Option<String>,
    /// Started on or before this day, `YYYY-MM-DD`.
    pub to: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

fn day_ms(field: &str, d: &str) -> Result<i64> {
    anjian_domain::registry::validate_date(field, d)?;
    let date: jiff::civil::Date = d.parse().map_err(|_| AppError::field(field, "日期格式应为 YYYY-MM-DD"))?;
    Ok(time::day_start(date))
}

pub async fn list(app: &App, caller: &Caller, f: &InspectionFilter) -> Result<(Vec<InspectionView>, i64)> {
    if let Some(k) = &f.kind
        && InspectionKind::parse(k).is_none()
    {
        return Err(AppError::field("kind", "检查类型应为 self、expert 或 enforcement"));
    }
    if let Some(s) = &f.state
        && s != "draft"
        && s != "submitted"
    {
        return Err(AppError::field("state", "状态应为 draft 或 submitted"));
    }
    if let Some(p) = &f.period {
        time::parse_month("period", p)?;
    }
    let region_prefix = caller.region_filter("region", f.region.as_deref())?;
    let mut c = app.db.read().await?;
    if let Some(e) = &f.enterprise_id {
        visible_enterprise(&mut c, caller, e).await?;
    }
    let q = InspectionQuery {
        region_prefix,
        enterprise_id: f.enterprise_id.clone(),
        project_id: f.project_id.clone(),
        kind: f.kind.clone(),
        state: f.state.clone(),
        period: f.period.clone(),
        since: f.from.as_deref().map(|d| day_ms("from", d)).transpose()?,
        until: f.to.as_deref().map(|d| day_ms("to", d).map(|m| m + 86_400_000)).transpose()?,
    };
    let (items, total) = store::list_inspections(&mut c, &caller.scope, &q, Page::new(f.page, f.per_page)).await?;
    let mut out = Vec::with_capacity(items.len());
    for i in items {
        let rows = if i.failed > 0 { store::results(&mut c, &i.id).await? } else { Vec::new() };
        out.push(view(i, &rows));
    }
    Ok((out, total))
}

// -------------------------------------------------------- discipline rules

/// Self-inspection discipline rules as data (crates/app/data/discipline.json).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DisciplineRules {
    pub version: u32,
    #[schema(value_type = Object)]
    pub schedule: ScheduleDefault,
    #[schema(value_type = Object)]
    pub suspicious: SuspicionConfig,
    #[schema(value_type = Vec<Object>)]
    pub penalties: Vec<rules::PenaltyRule>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScheduleDefault {
    pub period: String,
    pub due_day: u32,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SuspicionConfig {
    pub months: u32,
    pub min_other_findings: u32,
    #[serde(default)]
    pub note: String,
}

const DISCIPLINE: &str = include_str!("../data/discipline.json");

pub fn discipline_rules() -> Result<DisciplineRules> {
    serde_json::from_str(DISCIPLINE).map_err(|e| AppError::Internal(format!("discipline.json: {e}")))
}

// --------------------------------------------------------------- schedules

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ScheduleView {
    pub enterprise_id: String,
    /// monthly | quarterly
    pub period: String,
    /// Due by the end of this day of the month after the period.
    pub due_day: u32,
    /// The template expected (its code), if fixed.
    pub template_code: Option<String>,
    pub active: bool,
    /// Whether this is the platform default (no schedule set).
    #[serde(default)]
    pub default: bool,
}

fn default_schedule(r: &DisciplineRules, enterprise_id: &str) -> ScheduleView {
    ScheduleView {
        enterprise_id: enterprise_id.into(),
        period: r.schedule.period.clone(),
        due_day: r.schedule.due_day,
        template_code: None,
        active: true,
        default: true,
    }
}

fn schedule_view(s: store::Schedule) -> ScheduleView {
    ScheduleView {
        enterprise_id: s.enterprise_id,
        period: s.period,
        due_day: s.due_day as u32,
        template_code: s.template_code,
        active: s.active != 0,
        default: false,
    }
}

pub async fn get_schedule(app: &App, caller: &Caller, enterprise_id: &str) -> Result<ScheduleView> {
    let mut c = app.db.read().await?;
    visible_enterprise(&mut c, caller, enterprise_id).await?;
    Ok(match store::schedule(&mut c, enterprise_id).await? {
        Some(s) => schedule_view(s),
        None => default_schedule(&discipline_rules()?, enterprise_id),
    })
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct ScheduleInput {
    /// monthly | quarterly
    pub period: String,
    /// 1–28
    pub due_day: u32,
    pub template_code: Option<String>,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

/// Sets an enterprise's self-inspection schedule (regulators in scope).
pub async fn set_schedule(app: &App, caller: &Caller, enterprise_id: &str, i: &ScheduleInput) -> Result<ScheduleView> {
    caller.require(caller.role.is_regulator() || caller.is_admin())?;
    if i.period != "monthly" && i.period != "quarterly" {
        return Err(AppError::field("period", "周期应为 monthly 或 quarterly"));
    }
    if !(1..=28).contains(&i.due_day) {
        return Err(AppError::field("due_day", "截止日应为每月 1 到 28 日"));
    }
    let mut tx = app.db.begin().await?;
    visible_enterprise(&mut tx, caller, enterprise_id).await?;
    if let Some(code) = &i.template_code
        && store::latest_template(&mut tx, code).await?.is_none()
    {
        return Err(AppError::field("template_code", "检查模板不存在"));
    }
    let before = store::schedule(&mut tx, enterprise_id).await?;
    let s = store::Schedule {
        enterprise_id: enterprise_id.into(),
        period: i.period.clone(),
        due_day: i64::from(i.due_day),
        template_code: i.template_code.clone(),
        active: i64::from(i.active),
        updated_at: now_ms(),
    };
    store::save_schedule(&mut tx, &s).await?;
    audit::record(&mut tx, caller, "update", "inspection_schedule", enterprise_id, before.as_ref(), Some(&s)).await?;
    tx.commit().await?;
    Ok(schedule_view(s))
}

// -------------------------------------------------------------- discipline

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct DisciplineParams {
    pub region: Option<String>,
    /// The period (`YYYY-MM`); default the last month.
    pub month: Option<String>,
    pub industry: Option<String>,
    /// Only enterprises with this flag: late | missing | suspicious.
    pub flag: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DisciplineRow {
    pub enterprise_id: String,
    pub enterprise_name: String,
    pub industry: String,
    pub region_code: String,
    pub period: String,
    /// When the self-inspection was due (end of the due day).
    pub due_at: String,
    pub submitted_at: Option<String>,
    /// on_time | late | missing | pending | not_scheduled
    pub status: String,
    pub status_label: String,
    pub days_late: i64,
    /// Every self-inspection of the suspicion window passed while others found hazards.
    pub suspicious: bool,
    /// Hazards found at the enterprise by others in the suspicion window.
    pub found_by_others: u32,
    /// late | missing | suspicious
    pub flags: Vec<String>,
    /// The penalty rules that apply, by flag.
    #[schema(value_type = Vec<Object>)]
    pub penalties: Vec<rules::PenaltyRule>,
    /// Regulators' decisions on these flags.
    #[schema(value_type = Vec<Object>)]
    pub reviews: Vec<store::Review>,
}

#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct DisciplineSummary {
    /// Enterprises with a self-inspection due for the period.
    pub required: u64,
    pub on_time: u64,
    pub late: u64,
    pub missing: u64,
    pub pending: u64,
    pub suspicious: u64,
    /// (on time + late) / due, when anything was due.
    pub completion_rate: Option<f64>,
    /// on time / due.
    pub on_time_rate: Option<f64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DisciplineView {
    pub period: String,
    pub summary: DisciplineSummary,
    /// The same summary per industry.
    pub by_industry: HashMap<String, DisciplineSummary>,
    pub enterprises: Vec<DisciplineRow>,
}

impl DisciplineSummary {
    fn add(&mut self, status: &str, suspicious: bool) {
        match status {
            "on_time" => self.on_time += 1,
            "late" => self.late += 1,
            "missing" => self.missing += 1,
            "pending" => self.pending += 1,
            _ => return,
        }
        self.required += 1;
        if suspicious {
            self.suspicious += 1;
        }
    }
    fn finish(&mut self) {
        let due = self.on_time + self.late + self.missing;
        if due > 0 {
            self.completion_rate = Some((self.on_time + self.late) as f64 / due as f64);
            self.on_time_rate = Some(self.on_time as f64 / due as f64);
        }
    }
}

/// The end of the due day for a period: `due_day` of the month after it
/// (quarterly: after the quarter's last month), 24:00 Shanghai.
fn due_ms(period: &str, sched: &ScheduleView) -> Result<i64> {
    let month: i32 = period[5..7].parse().unwrap_or(1);
    let after = if sched.period == "quarterly" { 3 - (month - 1) % 3 } else { 1 };
    let due_month = time::add_months(period, after);
    let d = time::parse_month("month", &due_month)?;
    let day = d
        .checked_add(jiff::Span::new().days(i64::from(sched.due_day)))
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(time::day_start(day))
}

/// Whether a period needs a self-inspection under a schedule.
fn period_due(period: &str, sched: &ScheduleView) -> bool {
    sched.active && (sched.period == "monthly" || period[5..7].parse::<i32>().is_ok_and(|m| m % 3 == 0))
}

/// Late, missing and suspicious self-inspections of a period for the
/// enterprises in scope, with the penalty rule that applies and any review.
pub async fn discipline(app: &App, caller: &Caller, p: &DisciplineParams) -> Result<DisciplineView> {
    caller.require(caller.role.is_regulator() || caller.is_admin() || caller.role == Role::EnterpriseHead)?;
    let rules_ = discipline_rules()?;
    let now = now_ms();
    let period = match &p.month {
        Some(m) => {
            time::parse_month("month", m)?;
            m.clone()
        }
        None => time::add_months(&time::month_of(now), -1),
    };
    if let Some(f) = &p.flag
        && !["late", "missing", "suspicious"].contains(&f.as_str())
    {
        return Err(AppError::field("flag", "标记应为 late、missing 或 suspicious"));
    }
    if let Some(i) = &p.industry {
        anjian_domain::registry::industry_label("industry", i)?;
    }
    let prefix = caller.region_filter("region", p.region.as_deref())?;
    let window = rules_.suspicious.months.max(1) as i32;
    let first_period = time::add_months(&period, 1 - window);
    let (win_start, _) = time::month_bounds("month", &first_period)?;
    let (_, period_end) = time::month_bounds("month", &period)?;
    let mut c = app.db.read().await?;
    let ents = enterprises::all_in_scope(&mut c, &caller.scope, prefix.as_deref()).await?;
    let schedules: HashMap<String, ScheduleView> =
        store::schedules(&mut c).await?.into_iter().map(|s| (s.enterprise_id.clone(), schedule_view(s))).collect();
    // Self-inspections of the window, per enterprise and period: the first
    // submission and its findings.
    let q = InspectionQuery { region_prefix: prefix.clone(), kind: Some("self".into()), ..InspectionQuery::default() };
    let mut selfs: HashMap<(String, String), (i64, i64)> = HashMap::new();
    for r in store::submitted(&mut c, &caller.scope, &q).await? {
        let Some(per) = r.period else { continue };
        if per < first_period || per > period {
            continue;
        }
        let e = selfs.entry((r.enterprise_id, per)).or_insert((r.submitted_at, r.failed));
        if r.submitted_at < e.0 {
            *e = (r.submitted_at, e.1.max(r.failed));
        } else {
            e.1 = e.1.max(r.failed);
        }
    }
    // Hazards found by anyone else at each enterprise in the window.
    let mut others: HashMap<String, u32> = HashMap::new();
    for h in hazards::stat_rows(&mut c, &caller.scope, prefix.as_deref(), win_start, period_end).await? {
        if h.channel != "enterprise_self_check"
            && h.state != "dismissed"
            && let Some(e) = h.enterprise_id
        {
            *others.entry(e).or_default() += 1;
        }
    }
    let mut reviews: HashMap<String, Vec<store::Review>> = HashMap::new();
    for r in store::reviews(&mut c, std::slice::from_ref(&period)).await? {
        reviews.entry(r.enterprise_id.clone()).or_default().push(r);
    }
    drop(c);
    let rule = rules::SuspicionRule {
        months: rules_.suspicious.months,
        min_other_findings: rules_.suspicious.min_other_findings,
    };
    let mut summary = DisciplineSummary::default();
    let mut by_industry: HashMap<String, DisciplineSummary> = HashMap::new();
    let mut rows = Vec::new();
    for e in ents {
        if p.industry.as_ref().is_some_and(|i| i != &e.industry) {
            continue;
        }
        let sched = schedules.get(&e.id).cloned().unwrap_or_else(|| default_schedule(&rules_, &e.id));
        let due = due_ms(&period, &sched)?;
        let submitted = selfs.get(&(e.id.clone(), period.clone())).map(|s| s.0);
        let (status, days) = if !period_due(&period, &sched) {
            ("not_scheduled", 0)
        } else {
            match rules::punctuality(due, submitted, now) {
                rules::Punctuality::OnTime => ("on_time", 0),
                rules::Punctuality::Late { days } => ("late", days),
                rules::Punctuality::Missing { days } => ("missing", days),
                rules::Punctuality::Pending => ("pending", 0),
            }
        };
        let history: Vec<Option<u32>> = (0..window)
            .map(|k| {
                let per = time::add_months(&first_period, k);
                selfs.get(&(e.id.clone(), per)).map(|s| s.1 as u32)
            })
            .collect();
        let found_by_others = others.get(&e.id).copied().unwrap_or(0);
        let suspicious = rules::suspicious(&rule, &history, found_by_others);
        let mut flags = Vec::new();
        if status == "late" || status == "missing" {
            flags.push(status.to_string());
        }
        if suspicious {
            flags.push("suspicious".to_string());
        }
        if p.flag.as_ref().is_some_and(|f| !flags.contains(f)) {
            continue;
        }
        summary.add(status, suspicious);
        by_industry.entry(e.industry.clone()).or_default().add(status, suspicious);
        let penalties = flags
            .iter()
            .filter_map(|f| rules::penalty_for(&rules_.penalties, f, if f == "suspicious" { 0 } else { days }).cloned())
            .collect();
        let label = if status == "not_scheduled" {
            "本期无需自查"
        } else {
            rules::punctuality(due, submitted, now).label()
        };
        rows.push(DisciplineRow {
            reviews: reviews.remove(&e.id).unwrap_or_default(),
            enterprise_id: e.id,
            enterprise_name: e.name,
            industry: e.industry,
            region_code: e.region_code,
            period: period.clone(),
            due_at: time::fmt_local(due),
            submitted_at: submitted.map(time::fmt_local),
            status: status.into(),
            status_label: label.into(),
            days_late: days,
            suspicious,
            found_by_others,
            flags,
            penalties,
        });
    }
    summary.finish();
    for s in by_industry.values_mut() {
        s.finish();
    }
    // Worst first: missing, late (by days), suspicious.
    rows.sort_by(|a, b| {
        (b.flags.len(), b.days_late).cmp(&(a.flags.len(), a.days_late)).then(a.enterprise_id.cmp(&b.enterprise_id))
    });
    Ok(DisciplineView { period, summary, by_industry, enterprises: rows })
}

/// One enterprise's self-inspection record over a window.
#[derive(Debug, Clone, Copy, Default, Serialize, utoipa::ToSchema)]
pub struct SelfCompletion {
    /// Periods whose self-inspection fell due in the window.
    pub due: u64,
    /// Of those, filed (on time or late).
    pub done: u64,
    pub late: u64,
    pub missing: u64,
}

impl SelfCompletion {
    pub fn rate(&self) -> Option<f64> {
        (self.due > 0).then(|| self.done as f64 / self.due as f64)
    }
}

/// Per enterprise in scope: its self-inspections due in `[since, until)`
/// (and by now) and how they stand, counted from the enterprise's first
/// filed period (before it the platform was not recording them).
pub(crate) async fn self_completion(
    c: &mut AnyConnection,
    scope: &anjian_domain::role::Scope,
    prefix: Option<&str>,
    since: i64,
    until: i64,
    now: i64,
) -> Result<HashMap<String, SelfCompletion>> {
    let rules_ = discipline_rules()?;
    let schedules: HashMap<String, ScheduleView> =
        store::schedules(c).await?.into_iter().map(|s| (s.enterprise_id.clone(), schedule_view(s))).collect();
    let q = InspectionQuery {
        region_prefix: prefix.map(Into::into),
        kind: Some("self".into()),
        ..InspectionQuery::default()
    };
    let mut filed: HashMap<(String, String), i64> = HashMap::new();
    let mut first: HashMap<String, String> = HashMap::new();
    for r in store::submitted(c, scope, &q).await? {
        let Some(per) = r.period else { continue };
        let f = first.entry(r.enterprise_id.clone()).or_insert_with(|| per.clone());
        if per < *f {
            *f = per.clone();
        }
        let e = filed.entry((r.enterprise_id, per)).or_insert(r.submitted_at);
        *e = (*e).min(r.submitted_at);
    }
    let mut out = HashMap::new();
    // Periods whose due day may fall in the window: from the month before it began.
    let (from, to) = (time::add_months(&time::month_of(since), -3), time::month_of(until));
    for e in enterprises::all_in_scope(c, scope, prefix).await? {
        let sched = schedules.get(&e.id).cloned().unwrap_or_else(|| default_schedule(&rules_, &e.id));
        let start = first.get(&e.id).cloned().unwrap_or_else(|| time::month_of(since));
        let mut s = SelfCompletion::default();
        let mut per = from.clone();
        while per <= to {
            let due = due_ms(&per, &sched)?;
            if per >= start && period_due(&per, &sched) && (since..until).contains(&due) && due <= now {
                s.due += 1;
                match rules::punctuality(due, filed.get(&(e.id.clone(), per.clone())).copied(), now) {
                    rules::Punctuality::OnTime => s.done += 1,
                    rules::Punctuality::Late { .. } => {
                        s.done += 1;
                        s.late += 1;
                    }
                    _ => s.missing += 1,
                }
            }
            per = time::add_months(&per, 1);
        }
        out.insert(e.id, s);
    }
    Ok(out)
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct ReviewInput {
    pub enterprise_id: String,
    /// `YYYY-MM`
    pub period: String,
    /// late | missing | suspicious
    pub flag: String,
    /// penalised | excused | follow_up
    pub decision: String,
    /// The penalty rule applied (a code of discipline.json), for `penalised`.
    pub penalty_code: Option<String>,
    pub note: Option<String>,
}

/// A regulator's decision on a discipline flag; one per enterprise, period and flag.
pub async fn review(app: &App, caller: &Caller, i: &ReviewInput) -> Result<store::Review> {
    caller.require(caller.role.is_regulator() || caller.is_admin())?;
    time::parse_month("period", &i.period)?;
    if !["late", "missing", "suspicious"].contains(&i.flag.as_str()) {
        return Err(AppError::field("flag", "标记应为 late、missing 或 suspicious"));
    }
    if !["penalised", "excused", "follow_up"].contains(&i.decision.as_str()) {
        return Err(AppError::field("decision", "处理结果应为 penalised、excused 或 follow_up"));
    }
    let rules_ = discipline_rules()?;
    match (&i.penalty_code, i.decision.as_str()) {
        (None, "penalised") => return Err(AppError::field("penalty_code", "处罚须注明适用的处罚规则")),
        (Some(code), _) if !rules_.penalties.iter().any(|p| &p.code == code && p.when == i.flag) => {
            return Err(AppError::field("penalty_code", format!("没有适用于该标记的处罚规则 {code}")));
        }
        _ => {}
    }
    if let Some(n) = &i.note
        && n.chars().count() > 1000
    {
        return Err(AppError::field("note", "说明不超过1000字"));
    }
    let mut tx = app.db.begin().await?;
    visible_enterprise(&mut tx, caller, &i.enterprise_id).await?;
    let r = store::Review {
        id: new_id(),
        enterprise_id: i.enterprise_id.clone(),
        period: i.period.clone(),
        flag: i.flag.clone(),
        decision: i.decision.clone(),
        penalty_code: i.penalty_code.clone(),
        note: i.note.clone(),
        reviewer_id: caller.actor_id(),
        reviewer_name: caller.display_name.clone(),
        reviewed_at: now_ms(),
    };
    store::insert_review(&mut tx, &r).await?;
    audit::record::<(), _>(&mut tx, caller, "review", "self_inspection_discipline", &r.id, None, Some(&r)).await?;
    tx.commit().await?;
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_templates_and_rules_are_valid() {
        let app_items = anjian_classify::taxonomy();
        let ts = shipped().unwrap();
        assert!(ts.len() >= 9);
        for t in &ts {
            t.validate(|c| app_items.contains(c)).unwrap_or_else(|e| panic!("{}: {e}", t.code));
        }
        // The JGJ 59 template covers the ten rows of the summary table.
        let j = ts.iter().find(|t| t.kind == TemplateKind::Jgj59).unwrap();
        let kinds: std::collections::HashSet<&str> = j
            .sections
            .iter()
            .map(|s| anjian_domain::calc::jgj59::kind_of(s.jgj59_table.as_deref().unwrap()).unwrap().name)
            .collect();
        assert_eq!(kinds.len(), 10, "{kinds:?}");
        for ind in ["construction", "hazardous_chemicals", "mining", "manufacturing", "trade"] {
            assert!(
                ts.iter().any(|t| t.kind == TemplateKind::SelfCheck && t.industry.as_deref() == Some(ind)),
                "{ind}"
            );
        }
        assert!(ts.iter().any(|t| t.kind == TemplateKind::Enforcement));
        let r = discipline_rules().unwrap();
        for flag in ["late", "missing", "suspicious"] {
            assert!(r.penalties.iter().any(|p| p.when == flag), "{flag}");
        }
    }

    #[test]
    fn due_times_follow_the_schedule() {
        let r = discipline_rules().unwrap();
        let s = default_schedule(&r, "e");
        let due = due_ms("2026-10", &s).unwrap();
        let d = r.schedule.due_day;
        assert_eq!(time::fmt_local(due - 1)[..10], format!("2026-11-{d:02}"));
        let q = ScheduleView { period: "quarterly".into(), due_day: 10, ..s.clone() };
        assert!(!period_due("2026-10", &q) && !period_due("2026-11", &q) && period_due("2026-12", &q));
        assert_eq!(time::fmt_local(due_ms("2026-12", &q).unwrap() - 1)[..10], *"2027-01-10");
    }
}
