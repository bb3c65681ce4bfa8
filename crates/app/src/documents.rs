//! Enforcement documents (I3): 现场检查记录, 责令限期整改指令书 and
//! 整改复查意见书, drafted from an inspection, edited while drafts, then
//! issued: numbered per issuing department, kind and year, rendered as PDF
//! with embedded Chinese fonts (`anjian-docs`), stored content-addressed,
//! its SHA-256 on the evidence ledger, and locked. A change after issue is
//! a new version that names the one it replaces.

use crate::registry::visible_enterprise;
use crate::{App, AppError, Caller, Result, audit, ledger, time};
use anjian_docs::enforcement::{self as doc, Finding, Inspector, Kind, Reference, Remedies, Review, Unit};
use anjian_domain::ids::RegionCode;
use anjian_domain::inspection::Template;
use anjian_store::filter::Page;
use anjian_store::inspections::{self as store, Document, DocumentQuery};
use anjian_store::{AnyConnection, attachments, hazards, new_id, now_ms, regions};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// (code, label, number abbreviation) of the document kinds.
pub const KINDS: &[(&str, &str, &str)] = &[
    ("site_record", "现场检查记录", "检记"),
    ("rectification_order", "责令限期整改指令书", "责改"),
    ("recheck_opinion", "整改复查意见书", "复查"),
];

fn kind_of(code: &str) -> Result<Kind> {
    match code {
        "site_record" => Ok(Kind::InspectionRecord),
        "rectification_order" => Ok(Kind::RectificationOrder),
        "recheck_opinion" => Ok(Kind::ReviewOpinion),
        _ => Err(AppError::field("kind", "文书类型应为 site_record、rectification_order 或 recheck_opinion")),
    }
}

fn abbreviation(code: &str) -> &'static str {
    KINDS.iter().find(|k| k.0 == code).map(|k| k.2).unwrap_or("文书")
}

/// The number shown on a draft (numbers are given at issue).
const DRAFT_NUMBER: &str = "（草稿，签发时编号）";

/// The part of a department name used in document numbers: 安澜市 → 安澜.
fn short_name(region_name: &str) -> String {
    let n = region_name.trim();
    match n.chars().last() {
        Some('市' | '区' | '县' | '镇' | '乡') if n.chars().count() > 2 => {
            n.chars().take(n.chars().count() - 1).collect()
        }
        _ => n.to_string(),
    }
}

/// The issuing department of a regulator: their own region's emergency
/// management bureau (or the street's safety station).
async fn department(c: &mut AnyConnection, caller: &Caller) -> Result<(String, String, Remedies)> {
    let code = caller.region_code.clone().ok_or(AppError::Forbidden)?;
    let r = regions::get(c, &code).await?.ok_or(AppError::NotFound)?;
    // The full name: 安澜市东城区 for a district of 安澜市.
    let mut names = vec![r.name.clone()];
    let mut parent = r.parent_code.clone();
    while let Some(p) = parent {
        let Some(pr) = regions::get(c, &p).await? else { break };
        names.push(pr.name.clone());
        parent = pr.parent_code;
    }
    names.reverse();
    let full = names.join("");
    let issuer = match r.level.as_str() {
        "street" | "community" | "grid" => format!("{full}安全生产监督管理站"),
        _ => format!("{full}应急管理局"),
    };
    let superior = if names.len() > 1 {
        format!("{}应急管理局", names[..names.len() - 1].join(""))
    } else {
        "省应急管理厅".into()
    };
    let top = names.first().cloned().unwrap_or_default();
    let remedies = Remedies {
        government: format!("{top}人民政府"),
        department: superior,
        court: format!("{}人民法院", if names.len() > 1 { full.clone() } else { top.clone() }),
    };
    Ok((code, issuer, remedies))
}

fn civil(ms: i64) -> jiff::civil::DateTime {
    jiff::Timestamp::from_millisecond(ms).unwrap_or_default().to_zoned_datetime(time::shanghai()).datetime()
}

fn require_regulator(caller: &Caller) -> Result<()> {
    caller.require(caller.role.is_regulator() && caller.region_code.is_some())
}

// ------------------------------------------------------------------- views

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DocumentView {
    pub id: String,
    /// site_record | rectification_order | recheck_opinion
    pub kind: String,
    pub kind_label: String,
    /// Given at issue, e.g. 安澜应急责改〔2026〕15号.
    pub number: Option<String>,
    pub department_code: String,
    pub inspection_id: Option<String>,
    pub enterprise_id: String,
    pub version: i64,
    /// The document this version replaces.
    pub supersedes_id: Option<String>,
    /// draft | issued | superseded
    pub state: String,
    /// SHA-256 of the issued PDF (on the evidence ledger).
    pub pdf_sha256: Option<String>,
    pub issued_at: Option<String>,
    /// The document's content as printed.
    #[schema(value_type = Object)]
    pub content: doc::Document,
    pub created_at: String,
}

fn view(d: Document) -> Result<DocumentView> {
    let content: doc::Document =
        serde_json::from_str(&d.body).map_err(|e| AppError::Internal(format!("document {}: {e}", d.id)))?;
    Ok(DocumentView {
        kind_label: KINDS.iter().find(|k| k.0 == d.kind).map(|k| k.1).unwrap_or_default().into(),
        issued_at: d.issued_at.map(time::fmt_local),
        created_at: time::fmt_local(d.created_at),
        id: d.id,
        kind: d.kind,
        number: d.number,
        department_code: d.department_code,
        inspection_id: d.inspection_id,
        enterprise_id: d.enterprise_id,
        version: d.version,
        supersedes_id: d.supersedes_id,
        state: d.state,
        pdf_sha256: d.pdf_sha256,
        content,
    })
}

async fn visible(c: &mut AnyConnection, caller: &Caller, id: &str) -> Result<Document> {
    let d = store::document(c, id).await?.ok_or(AppError::NotFound)?;
    let region = RegionCode::parse("region", &d.region_code).map_err(|e| AppError::Internal(e.to_string()))?;
    if caller.scope.allows(&region, Some(&d.enterprise_id)) { Ok(d) } else { Err(AppError::NotFound) }
}

// ------------------------------------------------------------------ drafts

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct InspectorInput {
    pub name: String,
    /// 执法证号
    pub certificate: String,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct FindingReview {
    /// Index of the finding in the order reviewed.
    pub index: usize,
    pub rectified: bool,
    pub note: String,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct DraftInput {
    /// site_record | rectification_order | recheck_opinion
    pub kind: String,
    /// The inspectors and their enforcement certificate numbers (at least two
    /// by law; default: you, without a number).
    #[serde(default)]
    pub inspectors: Vec<InspectorInput>,
    /// 检查场所; default the enterprise's address.
    pub place: Option<String>,
    /// 检查情况 / 复查意见.
    pub situation: Option<String>,
    /// The provision under which an order is given.
    pub order_basis: Option<String>,
    /// For a recheck opinion: the issued rectification order reviewed.
    pub review_of: Option<String>,
    /// For a recheck opinion: each finding's outcome (default from its hazard's state).
    #[serde(default)]
    pub reviews: Vec<FindingReview>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct EditInput {
    #[serde(default)]
    pub inspectors: Option<Vec<InspectorInput>>,
    pub place: Option<String>,
    pub situation: Option<String>,
    pub order_basis: Option<String>,
    /// Replace the findings' descriptions, bases and deadlines (`YYYY-MM-DD`).
    #[schema(value_type = Option<Vec<Object>>)]
    pub findings: Option<Vec<Finding>>,
}

const DEFAULT_ORDER_BASIS: &str = "《中华人民共和国安全生产法》第六十五条第一款第（三）项";

fn check_text(field: &str, s: &str, max: usize) -> Result<String> {
    let t = s.trim();
    if t.chars().count() > max {
        return Err(AppError::field(field, format!("不超过{max}个字符")));
    }
    Ok(t.to_string())
}

fn inspectors(caller: &Caller, given: &[InspectorInput]) -> Result<Vec<Inspector>> {
    if given.is_empty() {
        return Ok(vec![Inspector { name: caller.display_name.clone(), certificate: String::new() }]);
    }
    given
        .iter()
        .enumerate()
        .map(|(k, i)| {
            if i.name.trim().is_empty() {
                return Err(AppError::field(&format!("inspectors[{k}].name"), "执法人员姓名不能为空"));
            }
            Ok(Inspector {
                name: check_text(&format!("inspectors[{k}].name"), &i.name, 20)?,
                certificate: check_text(&format!("inspectors[{k}].certificate"), &i.certificate, 40)?,
            })
        })
        .collect()
}

/// The inspected unit as the registry has it.
fn unit_of(e: &anjian_store::enterprises::Enterprise) -> Unit {
    #[derive(Deserialize)]
    struct Resp {
        #[serde(default)]
        role: String,
        #[serde(default)]
        name: String,
        #[serde(default)]
        phone: Option<String>,
    }
    let people: Vec<Resp> = serde_json::from_str(&e.responsible).unwrap_or_default();
    let head =
        people.iter().find(|p| p.role.contains("法定代表人") || p.role.contains("主要负责人")).or(people.first());
    Unit {
        name: e.name.clone(),
        address: e.address.clone(),
        representative: head.map(|p| p.name.clone()).unwrap_or_default(),
        position: head.map(|p| p.role.clone()).unwrap_or_default(),
        phone: head.and_then(|p| p.phone.clone()).unwrap_or_default(),
    }
}

/// Drafts a document from an inspection (regulators whose scope holds it).
pub async fn draft(app: &App, caller: &Caller, inspection_id: &str, i: &DraftInput) -> Result<DocumentView> {
    require_regulator(caller)?;
    let kind = kind_of(&i.kind)?;
    let mut tx = app.db.begin().await?;
    let ins = store::inspection(&mut tx, inspection_id).await?.ok_or(AppError::NotFound)?;
    let e = visible_enterprise(&mut tx, caller, &ins.enterprise_id).await?;
    if ins.state != "submitted" {
        return Err(AppError::field("inspection_id", "检查提交后才能制作文书"));
    }
    if ins.kind == "self" {
        return Err(AppError::field("inspection_id", "企业自查不制作执法文书"));
    }
    let template =
        store::template(&mut tx, &ins.template_id).await?.ok_or_else(|| AppError::Internal("template".into()))?;
    let t: Template = serde_json::from_str(&template.body).map_err(|e| AppError::Internal(e.to_string()))?;
    let (dept, issuer, remedies) = department(&mut tx, caller).await?;
    let rows = store::results(&mut tx, &ins.id).await?;
    // The findings: each failing item with its standard problem, basis and the hazard's deadline.
    let mut findings = Vec::new();
    for r in rows.iter().filter(|r| r.outcome == "fail") {
        let item = t.item(&r.item_code).map(|(_, it)| it);
        let problem = item.and_then(|it| it.problems.iter().find(|p| Some(&p.code) == r.problem_code.as_ref()));
        let mut description = problem.map(|p| p.text.clone()).unwrap_or_else(|| r.item_code.clone());
        if let Some(n) = r.note.as_deref().filter(|n| !n.is_empty()) {
            description = format!("{description}（{n}）");
        }
        let hazard = match &r.hazard_id {
            Some(h) => hazards::get(&mut tx, h).await?,
            None => None,
        };
        let deadline = hazard.as_ref().and_then(|h| h.extension_until_ms.or(h.deadline_ms)).map(|ms| civil(ms).date());
        let review = match (kind, &hazard) {
            (Kind::ReviewOpinion, Some(h)) => Some(Review {
                rectified: matches!(h.state.as_str(), "closed" | "awaiting_acceptance"),
                note: String::new(),
            }),
            (Kind::ReviewOpinion, None) => Some(Review { rectified: false, note: String::new() }),
            _ => None,
        };
        findings.push(Finding {
            description,
            basis: item.map(|it| it.basis.clone()).unwrap_or_default(),
            deadline: (kind != Kind::InspectionRecord).then_some(deadline).flatten(),
            review,
        });
    }
    let mut review_of = None;
    if kind == Kind::ReviewOpinion {
        let order_id =
            i.review_of.as_deref().ok_or_else(|| AppError::field("review_of", "复查意见书须注明所复查的指令书"))?;
        let order =
            visible(&mut tx, caller, order_id).await.map_err(|_| AppError::field("review_of", "指令书不存在"))?;
        if order.kind != "rectification_order" || order.state != "issued" || order.enterprise_id != ins.enterprise_id {
            return Err(AppError::field("review_of", "应为同一企业已签发的责令限期整改指令书"));
        }
        let o: doc::Document = serde_json::from_str(&order.body).map_err(|e| AppError::Internal(e.to_string()))?;
        review_of = Some(Reference { number: o.number.clone(), date: o.issued });
        // The recheck reviews the order's findings.
        findings = o
            .findings
            .into_iter()
            .zip(findings.into_iter().map(Some).chain(std::iter::repeat(None)))
            .map(|(f, mine)| Finding {
                review: mine.and_then(|m| m.review).or(Some(Review { rectified: false, note: String::new() })),
                ..f
            })
            .collect();
        for (k, r) in i.reviews.iter().enumerate() {
            let f = findings
                .get_mut(r.index)
                .ok_or_else(|| AppError::field(&format!("reviews[{k}].index"), "没有这一项问题"))?;
            f.review =
                Some(Review { rectified: r.rectified, note: check_text(&format!("reviews[{k}].note"), &r.note, 200)? });
        }
    }
    if kind == Kind::RectificationOrder && findings.is_empty() {
        return Err(AppError::field("inspection_id", "本次检查未发现问题，无需下达整改指令"));
    }
    let started = civil(ins.started_at);
    let ended = civil(ins.submitted_at.unwrap_or(ins.started_at));
    let situation = match &i.situation {
        Some(s) => check_text("situation", s, 2000)?,
        None => format!(
            "依据《{}》对该单位进行{}，共检查{}项，发现问题{}项{}。",
            t.name,
            anjian_domain::inspection::InspectionKind::parse(&ins.kind).map(|k| k.label()).unwrap_or("检查"),
            ins.items,
            ins.failed,
            if ins.failed > 0 { "，详见下列问题" } else { "" }
        ),
    };
    let content = doc::Document {
        kind,
        number: DRAFT_NUMBER.into(),
        issuer,
        unit: unit_of(&e),
        place: check_text("place", i.place.as_deref().unwrap_or(&e.address), 200)?,
        started,
        ended,
        inspectors: inspectors(caller, &i.inspectors)?,
        situation,
        findings,
        order_basis: check_text("order_basis", i.order_basis.as_deref().unwrap_or(DEFAULT_ORDER_BASIS), 200)?,
        review_of,
        remedies,
        issued: civil(now_ms()).date(),
        supersedes: None,
    };
    let now = now_ms();
    let d = Document {
        id: new_id(),
        kind: i.kind.clone(),
        number: None,
        department_code: dept,
        year: None,
        seq: None,
        inspection_id: Some(ins.id.clone()),
        enterprise_id: e.id.clone(),
        region_code: e.region_code.clone(),
        version: 1,
        supersedes_id: None,
        state: "draft".into(),
        body: serde_json::to_string(&content).map_err(|e| AppError::Internal(e.to_string()))?,
        pdf_sha256: None,
        issued_at: None,
        issued_by: None,
        created_by: caller.actor_id(),
        created_at: now,
        updated_at: now,
    };
    store::insert_document(&mut tx, &d).await?;
    audit::record::<(), _>(
        &mut tx,
        caller,
        "create",
        "enforcement_document",
        &d.id,
        None,
        Some(&json!({
        "kind": d.kind, "inspection": d.inspection_id, "enterprise": d.enterprise_id})),
    )
    .await?;
    tx.commit().await?;
    view(d)
}

/// Edits a draft; an issued document is locked (409: make a new version).
pub async fn edit(app: &App, caller: &Caller, id: &str, i: &EditInput) -> Result<DocumentView> {
    require_regulator(caller)?;
    let mut tx = app.db.begin().await?;
    let mut d = visible(&mut tx, caller, id).await?;
    if d.state != "draft" {
        return Err(AppError::State { field: "state".into(), message: "文书已签发，不能再修改".into() });
    }
    let mut content: doc::Document = serde_json::from_str(&d.body).map_err(|e| AppError::Internal(e.to_string()))?;
    let before = content.clone();
    if let Some(ins) = &i.inspectors {
        content.inspectors = inspectors(caller, ins)?;
    }
    if let Some(p) = &i.place {
        content.place = check_text("place", p, 200)?;
    }
    if let Some(s) = &i.situation {
        content.situation = check_text("situation", s, 2000)?;
    }
    if let Some(b) = &i.order_basis {
        content.order_basis = check_text("order_basis", b, 200)?;
    }
    if let Some(fs) = &i.findings {
        for (k, f) in fs.iter().enumerate() {
            if f.description.trim().is_empty() {
                return Err(AppError::field(&format!("findings[{k}].description"), "问题描述不能为空"));
            }
            check_text(&format!("findings[{k}].description"), &f.description, 500)?;
            check_text(&format!("findings[{k}].basis"), &f.basis, 200)?;
        }
        content.findings = fs.clone();
    }
    d.body = serde_json::to_string(&content).map_err(|e| AppError::Internal(e.to_string()))?;
    d.updated_at = now_ms();
    store::update_draft(&mut tx, &d.id, &d.body, d.updated_at).await?;
    audit::record(&mut tx, caller, "update", "enforcement_document", &d.id, Some(&before), Some(&content)).await?;
    tx.commit().await?;
    view(d)
}

/// Renders with the deployment's fonts (the bundled subset, then `pdf_font`).
fn render(app: &App, content: &doc::Document) -> Result<Vec<u8>> {
    doc::render_with(content, app.reports.fonts()).map_err(|e| match e {
        anjian_docs::Error::Invalid { field, message } => AppError::field(&field, message),
        anjian_docs::Error::MissingGlyphs(chars) => {
            AppError::field("content", format!("字体缺少以下字符：{}", chars.iter().collect::<String>()))
        }
        other => AppError::Internal(other.to_string()),
    })
}

/// An issued document names at least two inspectors, each with the number
/// of their enforcement certificate (《行政处罚法》第四十二条: 执法人员不得少于两人;
/// 《安全生产执法程序规定》: 出示执法证件). A draft may lack them.
fn check_inspectors(given: &[Inspector]) -> Result<()> {
    if given.len() < 2 {
        return Err(AppError::field("inspectors", "签发前须填写不少于两名执法人员及其执法证号"));
    }
    if let Some(k) = given.iter().position(|i| i.certificate.trim().is_empty()) {
        return Err(AppError::field(&format!("inspectors[{k}].certificate"), "签发前须填写执法证号"));
    }
    Ok(())
}

/// Issues a draft: numbered, rendered, stored, its hash on the ledger, locked.
pub async fn issue(app: &App, caller: &Caller, id: &str) -> Result<DocumentView> {
    require_regulator(caller)?;
    let mut tx = app.db.begin().await?;
    let mut d = visible(&mut tx, caller, id).await?;
    if d.state != "draft" {
        return Err(AppError::State { field: "state".into(), message: "文书已签发，不能重复签发".into() });
    }
    let mut content: doc::Document = serde_json::from_str(&d.body).map_err(|e| AppError::Internal(e.to_string()))?;
    check_inspectors(&content.inspectors)?;
    let now = now_ms();
    let issued = civil(now).date();
    let year = i64::from(issued.year());
    let seq = store::next_in_series(&mut tx, &d.department_code, &d.kind, year).await?;
    let dept = regions::get(&mut tx, &d.department_code).await?.map(|r| r.name).unwrap_or_default();
    let number = format!("{}应急{}〔{year}〕{seq}号", short_name(&dept), abbreviation(&d.kind));
    content.number = number.clone();
    content.issued = issued;
    let superseded = match &d.supersedes_id {
        Some(old) => {
            let o = store::document(&mut tx, old).await?.ok_or_else(|| AppError::Internal("superseded".into()))?;
            content.supersedes = o.number.clone();
            Some(o)
        }
        None => None,
    };
    let pdf = render(app, &content)?;
    let sha = crate::crypto::sha256_hex(&pdf);
    attachments::put(
        &mut tx,
        &attachments::Attachment {
            sha256: sha.clone(),
            mime: "application/pdf".into(),
            size: pdf.len() as i64,
            content: pdf,
            exif_lat: None,
            exif_lon: None,
            exif_time: None,
            created_at: now,
        },
    )
    .await?;
    d.number = Some(number.clone());
    d.year = Some(year);
    d.seq = Some(seq);
    d.body = serde_json::to_string(&content).map_err(|e| AppError::Internal(e.to_string()))?;
    d.pdf_sha256 = Some(sha.clone());
    d.issued_at = Some(now);
    d.issued_by = caller.actor_id();
    store::mark_issued(&mut tx, &d).await?;
    if let Some(o) = &superseded {
        store::mark_superseded(&mut tx, &o.id, now).await?;
        audit::record(
            &mut tx,
            caller,
            "supersede",
            "enforcement_document",
            &o.id,
            Some(&json!({"state": "issued"})),
            Some(&json!({"state": "superseded", "by": d.id})),
        )
        .await?;
    }
    audit::record(
        &mut tx,
        caller,
        "issue",
        "enforcement_document",
        &d.id,
        Some(&json!({"state": "draft"})),
        Some(&json!({
        "state": "issued", "number": number, "pdf_sha256": sha})),
    )
    .await?;
    let fields = json!({"document": d.id, "kind": d.kind, "number": number, "version": d.version,
        "enterprise": d.enterprise_id, "inspection": d.inspection_id, "pdf_sha256": sha,
        "supersedes": superseded.as_ref().map(|o| o.id.clone())});
    ledger::append(
        &mut tx,
        &format!("document/{}/issued", d.id),
        &ledger::Record {
            kind: "document.issued",
            subject: &d.id,
            actor: &ledger::actor_of(caller),
            time_ms: now,
            content: json!({"document": content, "pdf_sha256": sha}),
            fields,
        },
    )
    .await?;
    tx.commit().await?;
    view(d)
}

/// A new draft version of an issued document (the issued one stays valid
/// until the new version is issued).
pub async fn revise(app: &App, caller: &Caller, id: &str) -> Result<DocumentView> {
    require_regulator(caller)?;
    let mut tx = app.db.begin().await?;
    let old = visible(&mut tx, caller, id).await?;
    if old.state != "issued" {
        return Err(AppError::field("id", "只有已签发且现行有效的文书可以修订"));
    }
    if let Some(open) = store::open_revision_of(&mut tx, &old.id).await? {
        return Err(AppError::field("id", format!("已有修订草稿 {open}")));
    }
    let mut content: doc::Document = serde_json::from_str(&old.body).map_err(|e| AppError::Internal(e.to_string()))?;
    content.number = DRAFT_NUMBER.into();
    content.supersedes = old.number.clone();
    let now = now_ms();
    let d = Document {
        id: new_id(),
        number: None,
        year: None,
        seq: None,
        version: old.version + 1,
        supersedes_id: Some(old.id.clone()),
        state: "draft".into(),
        body: serde_json::to_string(&content).map_err(|e| AppError::Internal(e.to_string()))?,
        pdf_sha256: None,
        issued_at: None,
        issued_by: None,
        created_by: caller.actor_id(),
        created_at: now,
        updated_at: now,
        ..old.clone()
    };
    store::insert_document(&mut tx, &d).await?;
    audit::record::<(), _>(
        &mut tx,
        caller,
        "revise",
        "enforcement_document",
        &d.id,
        None,
        Some(&json!({
        "supersedes": old.id, "version": d.version})),
    )
    .await?;
    tx.commit().await?;
    view(d)
}

pub async fn get(app: &App, caller: &Caller, id: &str) -> Result<DocumentView> {
    let mut c = app.db.read().await?;
    view(visible(&mut c, caller, id).await?)
}

/// The PDF: the stored, hashed bytes of an issued document; a draft is
/// rendered as a preview.
pub async fn pdf(app: &App, caller: &Caller, id: &str) -> Result<Vec<u8>> {
    let mut c = app.db.read().await?;
    let d = visible(&mut c, caller, id).await?;
    match &d.pdf_sha256 {
        Some(sha) => Ok(attachments::get(&mut c, sha).await?.ok_or_else(|| AppError::Internal("pdf".into()))?.content),
        None => render(app, &serde_json::from_str(&d.body).map_err(|e| AppError::Internal(e.to_string()))?),
    }
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct DocumentFilter {
    pub enterprise_id: Option<String>,
    pub inspection_id: Option<String>,
    pub kind: Option<String>,
    /// draft | issued | superseded
    pub state: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

pub async fn list(app: &App, caller: &Caller, f: &DocumentFilter) -> Result<(Vec<DocumentView>, i64)> {
    if let Some(k) = &f.kind {
        kind_of(k)?;
    }
    let q = DocumentQuery {
        enterprise_id: f.enterprise_id.clone(),
        inspection_id: f.inspection_id.clone(),
        kind: f.kind.clone(),
        state: f.state.clone(),
    };
    let mut c = app.db.read().await?;
    if let Some(e) = &f.enterprise_id {
        visible_enterprise(&mut c, caller, e).await?;
    }
    let (items, total) = store::list_documents(&mut c, &caller.scope, &q, Page::new(f.page, f.per_page)).await?;
    Ok((items.into_iter().map(view).collect::<Result<_>>()?, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn department_names_shorten_for_numbers() {
        assert_eq!(short_name("安澜市"), "安澜");
        assert_eq!(short_name("东城区"), "东城");
        assert_eq!(short_name("城区"), "城区");
        assert_eq!(abbreviation("rectification_order"), "责改");
    }
}
