//! Inspections and enforcement (I1–I4): versioned checklist templates,
//! inspections with their answered items, self-inspection schedules and
//! discipline reviews, enforcement documents with their numbering, duty
//! check-ins, trainings and their sign-ins.

use crate::filter::{Bind, Filter, Page};
use crate::{AnyConnection, Result, StoreError, opt_f64};
use anjian_domain::role::Scope;
use serde::Serialize;

// ---------------------------------------------------------------- templates

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct TemplateRow {
    pub id: String,
    pub code: String,
    pub version: i64,
    pub name: String,
    pub kind: String,
    pub industry: Option<String>,
    /// The template as JSON (`anjian_domain::inspection::Template`).
    pub body: String,
    pub sha256: String,
    /// `shipped` (from the platform's data files) | `custom`
    pub source: String,
    pub created_by: Option<String>,
    pub created_at: i64,
}

const TEMPLATE_COLS: &str = "id, code, version, name, kind, industry, body, sha256, source, created_by, created_at";

pub async fn insert_template(c: &mut AnyConnection, t: &TemplateRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO inspection_templates (id, code, version, name, kind, industry, body, sha256, source, created_by, \
         created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(&t.id)
    .bind(&t.code)
    .bind(t.version)
    .bind(&t.name)
    .bind(&t.kind)
    .bind(&t.industry)
    .bind(&t.body)
    .bind(&t.sha256)
    .bind(&t.source)
    .bind(&t.created_by)
    .bind(t.created_at)
    .execute(c)
    .await
    .map_err(StoreError::unique("version"))?;
    Ok(())
}

pub async fn template(c: &mut AnyConnection, id: &str) -> Result<Option<TemplateRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {TEMPLATE_COLS} FROM inspection_templates WHERE id = $1")))
        .bind(id)
        .fetch_optional(c)
        .await?)
}

/// The newest version of a template code.
pub async fn latest_template(c: &mut AnyConnection, code: &str) -> Result<Option<TemplateRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {TEMPLATE_COLS} FROM inspection_templates WHERE code = $1 ORDER BY version DESC LIMIT 1"
    )))
    .bind(code)
    .fetch_optional(c)
    .await?)
}

/// A template's heading, without its body.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct TemplateHead {
    pub id: String,
    pub code: String,
    pub version: i64,
    pub name: String,
    pub kind: String,
    pub industry: Option<String>,
    pub sha256: String,
    pub source: String,
    pub created_at: i64,
}

/// Templates, newest version of each code unless `all_versions`.
pub async fn list_templates(
    c: &mut AnyConnection,
    kind: Option<&str>,
    industry: Option<&str>,
    all_versions: bool,
) -> Result<Vec<TemplateHead>> {
    let mut f = Filter::new();
    if let Some(k) = kind {
        f.and("t.kind = {}", Bind::Text(k.into()));
    }
    if let Some(i) = industry {
        // A template for any industry serves every industry.
        f.and("(t.industry = {} OR t.industry IS NULL)", Bind::Text(i.into()));
    }
    if !all_versions {
        f.and_raw("t.version = (SELECT MAX(v.version) FROM inspection_templates v WHERE v.code = t.code)");
    }
    let sql = format!(
        "SELECT t.id, t.code, t.version, t.name, t.kind, t.industry, t.sha256, t.source, t.created_at \
         FROM inspection_templates t{} ORDER BY t.kind, t.code, t.version DESC",
        f.where_sql()
    );
    Ok(f.bind_as(sqlx::query_as(sqlx::AssertSqlSafe(sql))).fetch_all(c).await?)
}

// -------------------------------------------------------------- inspections

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Inspection {
    pub id: String,
    pub number: String,
    /// self | expert | enforcement
    pub kind: String,
    pub template_id: String,
    pub enterprise_id: String,
    pub project_id: Option<String>,
    pub region_code: String,
    pub inspector_id: Option<String>,
    pub inspector_name: String,
    /// draft | submitted
    pub state: String,
    /// `YYYY-MM` the self-inspection reports on.
    pub period: Option<String>,
    pub started_at: i64,
    pub submitted_at: Option<i64>,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    pub items: i64,
    pub passed: i64,
    pub failed: i64,
    pub not_applicable: i64,
    pub score: Option<f64>,
    pub grade: Option<String>,
    pub idempotency_key: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

const INSPECTION_COLS: &str = "i.id, i.number, i.kind, i.template_id, i.enterprise_id, i.project_id, i.region_code, \
    i.inspector_id, i.inspector_name, i.state, i.period, i.started_at, i.submitted_at, i.lon, i.lat, i.items, i.passed, \
    i.failed, i.not_applicable, i.score, i.grade, i.idempotency_key, i.created_at, i.updated_at";

pub async fn insert_inspection(c: &mut AnyConnection, i: &Inspection) -> Result<()> {
    sqlx::query(
        "INSERT INTO inspections (id, number, kind, template_id, enterprise_id, project_id, region_code, inspector_id, \
         inspector_name, state, period, started_at, submitted_at, lon, lat, items, passed, failed, not_applicable, score, \
         grade, idempotency_key, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, \
         NULLIF($14, 'NaN'), NULLIF($15, 'NaN'), $16, $17, $18, $19, NULLIF($20, 'NaN'), $21, $22, $23, $24)",
    )
    .bind(&i.id)
    .bind(&i.number)
    .bind(&i.kind)
    .bind(&i.template_id)
    .bind(&i.enterprise_id)
    .bind(&i.project_id)
    .bind(&i.region_code)
    .bind(&i.inspector_id)
    .bind(&i.inspector_name)
    .bind(&i.state)
    .bind(&i.period)
    .bind(i.started_at)
    .bind(i.submitted_at)
    .bind(opt_f64(i.lon))
    .bind(opt_f64(i.lat))
    .bind(i.items)
    .bind(i.passed)
    .bind(i.failed)
    .bind(i.not_applicable)
    .bind(opt_f64(i.score))
    .bind(&i.grade)
    .bind(&i.idempotency_key)
    .bind(i.created_at)
    .bind(i.updated_at)
    .execute(c)
    .await
    .map_err(StoreError::unique("idempotency_key"))?;
    Ok(())
}

/// Writes back a draft's answers summary or its submission; only while it
/// is still a draft (a submitted inspection is final).
pub async fn update_inspection(c: &mut AnyConnection, i: &Inspection) -> Result<()> {
    let r = sqlx::query(
        "UPDATE inspections SET state = $2, period = $3, submitted_at = $4, lon = NULLIF($5, 'NaN'), \
         lat = NULLIF($6, 'NaN'), items = $7, passed = $8, failed = $9, not_applicable = $10, \
         score = NULLIF($11, 'NaN'), grade = $12, updated_at = $13 WHERE id = $1 AND state = 'draft'",
    )
    .bind(&i.id)
    .bind(&i.state)
    .bind(&i.period)
    .bind(i.submitted_at)
    .bind(opt_f64(i.lon))
    .bind(opt_f64(i.lat))
    .bind(i.items)
    .bind(i.passed)
    .bind(i.failed)
    .bind(i.not_applicable)
    .bind(opt_f64(i.score))
    .bind(&i.grade)
    .bind(i.updated_at)
    .execute(c)
    .await?;
    if r.rows_affected() == 0 {
        return Err(StoreError::Conflict { field: "state" });
    }
    Ok(())
}

pub async fn inspection(c: &mut AnyConnection, id: &str) -> Result<Option<Inspection>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {INSPECTION_COLS} FROM inspections i WHERE i.id = $1")))
        .bind(id)
        .fetch_optional(c)
        .await?)
}

pub async fn inspection_by_key(c: &mut AnyConnection, key: &str) -> Result<Option<Inspection>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {INSPECTION_COLS} FROM inspections i WHERE i.idempotency_key = $1"
    )))
    .bind(key)
    .fetch_optional(c)
    .await?)
}

#[derive(Debug, Clone, Default)]
pub struct InspectionQuery {
    pub region_prefix: Option<String>,
    pub enterprise_id: Option<String>,
    pub project_id: Option<String>,
    pub kind: Option<String>,
    pub state: Option<String>,
    pub period: Option<String>,
    /// started_at ≥, epoch ms.
    pub since: Option<i64>,
    /// started_at <, epoch ms.
    pub until: Option<i64>,
}

fn inspection_filter(scope: &Scope, q: &InspectionQuery) -> Filter {
    let mut f = Filter::new();
    f.scope(scope, "i.region_code", &["i.enterprise_id"]);
    if let Some(p) = &q.region_prefix {
        f.region_prefix("i.region_code", p);
    }
    for (col, v) in [
        ("i.enterprise_id", &q.enterprise_id),
        ("i.project_id", &q.project_id),
        ("i.kind", &q.kind),
        ("i.state", &q.state),
        ("i.period", &q.period),
    ] {
        if let Some(v) = v {
            f.and(&format!("{col} = {{}}"), Bind::Text(v.clone()));
        }
    }
    if let Some(s) = q.since {
        f.and("i.started_at >= {}", Bind::Int(s));
    }
    if let Some(u) = q.until {
        f.and("i.started_at < {}", Bind::Int(u));
    }
    f
}

/// Inspections in scope, newest first, with the total.
pub async fn list_inspections(
    c: &mut AnyConnection,
    scope: &Scope,
    q: &InspectionQuery,
    page: Page,
) -> Result<(Vec<Inspection>, i64)> {
    let f = inspection_filter(scope, q);
    let w = f.where_sql();
    let total: i64 = f
        .bind_scalar(sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM inspections i{w}"))))
        .fetch_one(&mut *c)
        .await?;
    let sql =
        format!("SELECT {INSPECTION_COLS} FROM inspections i{w} ORDER BY i.started_at DESC, i.id DESC{}", page.sql());
    let items = f.bind_as(sqlx::query_as(sqlx::AssertSqlSafe(sql))).fetch_all(&mut *c).await?;
    Ok((items, total))
}

/// Submitted inspections in scope within a window (for discipline and
/// statistics): kind, enterprise, period, submission time and findings.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct SubmittedRow {
    pub enterprise_id: String,
    pub kind: String,
    pub period: Option<String>,
    pub started_at: i64,
    pub submitted_at: i64,
    pub failed: i64,
}

pub async fn submitted(c: &mut AnyConnection, scope: &Scope, q: &InspectionQuery) -> Result<Vec<SubmittedRow>> {
    let mut f = inspection_filter(scope, q);
    f.and_raw("i.state = 'submitted'");
    let sql = format!(
        "SELECT i.enterprise_id, i.kind, i.period, i.started_at, i.submitted_at, i.failed FROM inspections i{} \
         ORDER BY i.enterprise_id, i.submitted_at",
        f.where_sql()
    );
    Ok(f.bind_as(sqlx::query_as(sqlx::AssertSqlSafe(sql))).fetch_all(c).await?)
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct ResultRow {
    pub inspection_id: String,
    pub item_code: String,
    pub instance: i64,
    pub section_code: String,
    pub outcome: String,
    pub problem_code: Option<String>,
    pub deduction: Option<f64>,
    pub note: Option<String>,
    /// JSON array of SHA-256.
    pub attachments: String,
    pub hazard_id: Option<String>,
}

/// Replaces an inspection's answers.
pub async fn replace_results(c: &mut AnyConnection, inspection_id: &str, rows: &[ResultRow]) -> Result<()> {
    sqlx::query("DELETE FROM inspection_results WHERE inspection_id = $1").bind(inspection_id).execute(&mut *c).await?;
    for chunk in rows.chunks(12) {
        let sql = format!(
            "INSERT INTO inspection_results (inspection_id, item_code, instance, section_code, outcome, problem_code, \
             deduction, note, attachments, hazard_id) VALUES {}",
            crate::placeholders_nan_null(chunk.len(), 10, &[6])
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for r in chunk {
            q = q
                .bind(&r.inspection_id)
                .bind(&r.item_code)
                .bind(r.instance)
                .bind(&r.section_code)
                .bind(&r.outcome)
                .bind(&r.problem_code)
                .bind(opt_f64(r.deduction))
                .bind(&r.note)
                .bind(&r.attachments)
                .bind(&r.hazard_id);
        }
        q.execute(&mut *c).await?;
    }
    Ok(())
}

pub async fn results(c: &mut AnyConnection, inspection_id: &str) -> Result<Vec<ResultRow>> {
    Ok(sqlx::query_as(
        "SELECT inspection_id, item_code, instance, section_code, outcome, problem_code, deduction, note, attachments, \
         hazard_id FROM inspection_results WHERE inspection_id = $1 ORDER BY section_code, item_code, instance",
    )
    .bind(inspection_id)
    .fetch_all(c)
    .await?)
}

pub async fn set_result_hazard(
    c: &mut AnyConnection,
    inspection_id: &str,
    item_code: &str,
    instance: i64,
    hazard_id: &str,
) -> Result<()> {
    sqlx::query(
        "UPDATE inspection_results SET hazard_id = $4 WHERE inspection_id = $1 AND item_code = $2 AND instance = $3",
    )
    .bind(inspection_id)
    .bind(item_code)
    .bind(instance)
    .bind(hazard_id)
    .execute(c)
    .await?;
    Ok(())
}

/// Inspections whose answers carry an attachment (for access checks).
pub async fn inspections_with_attachment(c: &mut AnyConnection, sha256: &str) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar("SELECT DISTINCT inspection_id FROM inspection_results WHERE attachments LIKE $1")
        .bind(format!("%\"{sha256}\"%"))
        .fetch_all(c)
        .await?)
}

/// The next number of a per-(department, kind, year) series, 1, 2, … —
/// one row updated in place, so numbers never repeat or skip within a
/// committed series.
pub async fn next_in_series(c: &mut AnyConnection, department: &str, kind: &str, year: i64) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO document_counters (department_code, kind, year, last) VALUES ($1, $2, $3, 1) \
         ON CONFLICT (department_code, kind, year) DO UPDATE SET last = document_counters.last + 1 RETURNING last",
    )
    .bind(department)
    .bind(kind)
    .bind(year)
    .fetch_one(c)
    .await?)
}

// --------------------------------------------------------------- schedules

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Schedule {
    pub enterprise_id: String,
    /// monthly | quarterly
    pub period: String,
    pub due_day: i64,
    pub template_code: Option<String>,
    pub active: i64,
    pub updated_at: i64,
}

pub async fn schedule(c: &mut AnyConnection, enterprise_id: &str) -> Result<Option<Schedule>> {
    Ok(sqlx::query_as(
        "SELECT enterprise_id, period, due_day, template_code, active, updated_at FROM inspection_schedules \
         WHERE enterprise_id = $1",
    )
    .bind(enterprise_id)
    .fetch_optional(c)
    .await?)
}

pub async fn schedules(c: &mut AnyConnection) -> Result<Vec<Schedule>> {
    Ok(sqlx::query_as(
        "SELECT enterprise_id, period, due_day, template_code, active, updated_at FROM inspection_schedules",
    )
    .fetch_all(c)
    .await?)
}

pub async fn save_schedule(c: &mut AnyConnection, s: &Schedule) -> Result<()> {
    sqlx::query(
        "INSERT INTO inspection_schedules (enterprise_id, period, due_day, template_code, active, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (enterprise_id) DO UPDATE SET period = $2, due_day = $3, \
         template_code = $4, active = $5, updated_at = $6",
    )
    .bind(&s.enterprise_id)
    .bind(&s.period)
    .bind(s.due_day)
    .bind(&s.template_code)
    .bind(s.active)
    .bind(s.updated_at)
    .execute(c)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Review {
    pub id: String,
    pub enterprise_id: String,
    pub period: String,
    pub flag: String,
    /// penalised | excused | follow_up
    pub decision: String,
    pub penalty_code: Option<String>,
    pub note: Option<String>,
    pub reviewer_id: Option<String>,
    pub reviewer_name: String,
    pub reviewed_at: i64,
}

pub async fn insert_review(c: &mut AnyConnection, r: &Review) -> Result<()> {
    sqlx::query(
        "INSERT INTO discipline_reviews (id, enterprise_id, period, flag, decision, penalty_code, note, reviewer_id, \
         reviewer_name, reviewed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&r.id)
    .bind(&r.enterprise_id)
    .bind(&r.period)
    .bind(&r.flag)
    .bind(&r.decision)
    .bind(&r.penalty_code)
    .bind(&r.note)
    .bind(&r.reviewer_id)
    .bind(&r.reviewer_name)
    .bind(r.reviewed_at)
    .execute(c)
    .await
    .map_err(StoreError::unique("flag"))?;
    Ok(())
}

/// Reviews of the periods given (empty: all).
pub async fn reviews(c: &mut AnyConnection, periods: &[String]) -> Result<Vec<Review>> {
    let mut f = Filter::new();
    if !periods.is_empty() {
        let ps: Vec<String> = periods.iter().map(|p| f.next(Bind::Text(p.clone()))).collect();
        f.and_raw(format!("period IN ({})", ps.join(", ")));
    }
    let sql = format!(
        "SELECT id, enterprise_id, period, flag, decision, penalty_code, note, reviewer_id, reviewer_name, reviewed_at \
         FROM discipline_reviews{}",
        f.where_sql()
    );
    Ok(f.bind_as(sqlx::query_as(sqlx::AssertSqlSafe(sql))).fetch_all(c).await?)
}

// --------------------------------------------------------------- documents

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Document {
    pub id: String,
    /// site_record | rectification_order | recheck_opinion
    pub kind: String,
    pub number: Option<String>,
    pub department_code: String,
    pub year: Option<i64>,
    pub seq: Option<i64>,
    pub inspection_id: Option<String>,
    pub enterprise_id: String,
    pub region_code: String,
    pub version: i64,
    pub supersedes_id: Option<String>,
    /// draft | issued | superseded
    pub state: String,
    /// The document's content as JSON.
    pub body: String,
    pub pdf_sha256: Option<String>,
    pub issued_at: Option<i64>,
    pub issued_by: Option<String>,
    pub created_by: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

const DOCUMENT_COLS: &str = "d.id, d.kind, d.number, d.department_code, d.year, d.seq, d.inspection_id, d.enterprise_id, \
    d.region_code, d.version, d.supersedes_id, d.state, d.body, d.pdf_sha256, d.issued_at, d.issued_by, d.created_by, \
    d.created_at, d.updated_at";

pub async fn insert_document(c: &mut AnyConnection, d: &Document) -> Result<()> {
    sqlx::query(
        "INSERT INTO enforcement_documents (id, kind, number, department_code, year, seq, inspection_id, enterprise_id, \
         region_code, version, supersedes_id, state, body, pdf_sha256, issued_at, issued_by, created_by, created_at, \
         updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)",
    )
    .bind(&d.id)
    .bind(&d.kind)
    .bind(&d.number)
    .bind(&d.department_code)
    .bind(d.year)
    .bind(d.seq)
    .bind(&d.inspection_id)
    .bind(&d.enterprise_id)
    .bind(&d.region_code)
    .bind(d.version)
    .bind(&d.supersedes_id)
    .bind(&d.state)
    .bind(&d.body)
    .bind(&d.pdf_sha256)
    .bind(d.issued_at)
    .bind(&d.issued_by)
    .bind(&d.created_by)
    .bind(d.created_at)
    .bind(d.updated_at)
    .execute(c)
    .await
    .map_err(StoreError::unique("number"))?;
    Ok(())
}

/// Changes a draft's content; refused once issued (documents are locked).
pub async fn update_draft(c: &mut AnyConnection, id: &str, body: &str, now: i64) -> Result<()> {
    let r =
        sqlx::query("UPDATE enforcement_documents SET body = $2, updated_at = $3 WHERE id = $1 AND state = 'draft'")
            .bind(id)
            .bind(body)
            .bind(now)
            .execute(c)
            .await?;
    if r.rows_affected() == 0 {
        return Err(StoreError::Conflict { field: "state" });
    }
    Ok(())
}

/// Issues a draft: its number, hash and time are fixed from now on.
pub async fn mark_issued(c: &mut AnyConnection, d: &Document) -> Result<()> {
    let r = sqlx::query(
        "UPDATE enforcement_documents SET state = 'issued', number = $2, year = $3, seq = $4, body = $5, \
         pdf_sha256 = $6, issued_at = $7, issued_by = $8, updated_at = $7 WHERE id = $1 AND state = 'draft'",
    )
    .bind(&d.id)
    .bind(&d.number)
    .bind(d.year)
    .bind(d.seq)
    .bind(&d.body)
    .bind(&d.pdf_sha256)
    .bind(d.issued_at)
    .bind(&d.issued_by)
    .execute(c)
    .await
    .map_err(StoreError::unique("number"))?;
    if r.rows_affected() == 0 {
        return Err(StoreError::Conflict { field: "state" });
    }
    Ok(())
}

/// Marks an issued document as replaced by a newer version.
pub async fn mark_superseded(c: &mut AnyConnection, id: &str, now: i64) -> Result<()> {
    let r = sqlx::query(
        "UPDATE enforcement_documents SET state = 'superseded', updated_at = $2 WHERE id = $1 AND state = 'issued'",
    )
    .bind(id)
    .bind(now)
    .execute(c)
    .await?;
    if r.rows_affected() == 0 {
        return Err(StoreError::Conflict { field: "supersedes_id" });
    }
    Ok(())
}

pub async fn document(c: &mut AnyConnection, id: &str) -> Result<Option<Document>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {DOCUMENT_COLS} FROM enforcement_documents d WHERE d.id = $1"
    )))
    .bind(id)
    .fetch_optional(c)
    .await?)
}

/// Drafts already revising `id` (at most one may be open).
pub async fn open_revision_of(c: &mut AnyConnection, id: &str) -> Result<Option<String>> {
    Ok(sqlx::query_scalar("SELECT id FROM enforcement_documents WHERE supersedes_id = $1 AND state = 'draft'")
        .bind(id)
        .fetch_optional(c)
        .await?)
}

#[derive(Debug, Clone, Default)]
pub struct DocumentQuery {
    pub enterprise_id: Option<String>,
    pub inspection_id: Option<String>,
    pub kind: Option<String>,
    pub state: Option<String>,
}

pub async fn list_documents(
    c: &mut AnyConnection,
    scope: &Scope,
    q: &DocumentQuery,
    page: Page,
) -> Result<(Vec<Document>, i64)> {
    let mut f = Filter::new();
    f.scope(scope, "d.region_code", &["d.enterprise_id"]);
    for (col, v) in [
        ("d.enterprise_id", &q.enterprise_id),
        ("d.inspection_id", &q.inspection_id),
        ("d.kind", &q.kind),
        ("d.state", &q.state),
    ] {
        if let Some(v) = v {
            f.and(&format!("{col} = {{}}"), Bind::Text(v.clone()));
        }
    }
    let w = f.where_sql();
    let total: i64 = f
        .bind_scalar(sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM enforcement_documents d{w}"
        ))))
        .fetch_one(&mut *c)
        .await?;
    let sql = format!(
        "SELECT {DOCUMENT_COLS} FROM enforcement_documents d{w} ORDER BY d.created_at DESC, d.id DESC{}",
        page.sql()
    );
    let items = f.bind_as(sqlx::query_as(sqlx::AssertSqlSafe(sql))).fetch_all(&mut *c).await?;
    Ok((items, total))
}

/// Documents whose rendered PDF is an attachment (for access checks).
pub async fn documents_with_pdf(c: &mut AnyConnection, sha256: &str) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar("SELECT id FROM enforcement_documents WHERE pdf_sha256 = $1")
        .bind(sha256)
        .fetch_all(c)
        .await?)
}

// --------------------------------------------------------------- attendance

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Checkin {
    pub id: String,
    pub enterprise_id: String,
    pub region_code: String,
    pub person_id: String,
    /// leader | worker
    pub role: String,
    /// face | qr | manual
    pub method: String,
    pub device_id: Option<String>,
    /// The special operation about to be done (e.g. 低压电工作业).
    pub operation: Option<String>,
    /// For a special operation: whether a valid certificate covers it.
    pub certified: Option<i64>,
    pub match_score: Option<f64>,
    pub at: i64,
    /// `YYYY-MM-DD` in Shanghai.
    pub day: String,
    pub shift: i64,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    pub idempotency_key: Option<String>,
    pub created_at: i64,
}

const CHECKIN_COLS: &str = "k.id, k.enterprise_id, k.region_code, k.person_id, k.role, k.method, k.device_id, \
    k.operation, k.certified, k.match_score, k.at, k.day, k.shift, k.lon, k.lat, k.idempotency_key, k.created_at";

pub async fn insert_checkin(c: &mut AnyConnection, k: &Checkin) -> Result<()> {
    sqlx::query(
        "INSERT INTO duty_checkins (id, enterprise_id, region_code, person_id, role, method, device_id, operation, \
         certified, match_score, at, day, shift, lon, lat, idempotency_key, created_at) VALUES ($1, $2, $3, $4, $5, $6, \
         $7, $8, $9, NULLIF($10, 'NaN'), $11, $12, $13, NULLIF($14, 'NaN'), NULLIF($15, 'NaN'), $16, $17)",
    )
    .bind(&k.id)
    .bind(&k.enterprise_id)
    .bind(&k.region_code)
    .bind(&k.person_id)
    .bind(&k.role)
    .bind(&k.method)
    .bind(&k.device_id)
    .bind(&k.operation)
    .bind(k.certified)
    .bind(opt_f64(k.match_score))
    .bind(k.at)
    .bind(&k.day)
    .bind(k.shift)
    .bind(opt_f64(k.lon))
    .bind(opt_f64(k.lat))
    .bind(&k.idempotency_key)
    .bind(k.created_at)
    .execute(c)
    .await
    .map_err(StoreError::unique("idempotency_key"))?;
    Ok(())
}

pub async fn checkin_by_key(c: &mut AnyConnection, key: &str) -> Result<Option<Checkin>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {CHECKIN_COLS} FROM duty_checkins k WHERE k.idempotency_key = $1"
    )))
    .bind(key)
    .fetch_optional(c)
    .await?)
}

#[derive(Debug, Clone, Default)]
pub struct CheckinQuery {
    pub region_prefix: Option<String>,
    pub enterprise_id: Option<String>,
    pub role: Option<String>,
    /// Days `from..=to` (`YYYY-MM-DD`).
    pub from_day: Option<String>,
    pub to_day: Option<String>,
    pub uncertified_only: bool,
}

pub async fn checkins(
    c: &mut AnyConnection,
    scope: &Scope,
    q: &CheckinQuery,
    page: Option<Page>,
) -> Result<Vec<Checkin>> {
    let mut f = Filter::new();
    f.scope(scope, "k.region_code", &["k.enterprise_id"]);
    if let Some(p) = &q.region_prefix {
        f.region_prefix("k.region_code", p);
    }
    if let Some(e) = &q.enterprise_id {
        f.and("k.enterprise_id = {}", Bind::Text(e.clone()));
    }
    if let Some(r) = &q.role {
        f.and("k.role = {}", Bind::Text(r.clone()));
    }
    if let Some(d) = &q.from_day {
        f.and("k.day >= {}", Bind::Text(d.clone()));
    }
    if let Some(d) = &q.to_day {
        f.and("k.day <= {}", Bind::Text(d.clone()));
    }
    if q.uncertified_only {
        f.and_raw("k.certified = 0");
    }
    let sql = format!(
        "SELECT {CHECKIN_COLS} FROM duty_checkins k{} ORDER BY k.at DESC, k.id DESC{}",
        f.where_sql(),
        page.map(|p| p.sql()).unwrap_or_default()
    );
    Ok(f.bind_as(sqlx::query_as(sqlx::AssertSqlSafe(sql))).fetch_all(c).await?)
}

/// Distinct (enterprise, day, shift) covered by a leader's check-in in a
/// day range, within scope.
pub async fn leader_shifts(
    c: &mut AnyConnection,
    scope: &Scope,
    region_prefix: Option<&str>,
    from_day: &str,
    to_day: &str,
) -> Result<Vec<(String, String, i64)>> {
    let mut f = Filter::new();
    f.scope(scope, "k.region_code", &["k.enterprise_id"]);
    if let Some(p) = region_prefix {
        f.region_prefix("k.region_code", p);
    }
    f.and("k.day >= {}", Bind::Text(from_day.into()));
    f.and("k.day <= {}", Bind::Text(to_day.into()));
    f.and_raw("k.role = 'leader'");
    let sql = format!(
        "SELECT DISTINCT k.enterprise_id, k.day, k.shift FROM duty_checkins k{} ORDER BY 1, 2, 3",
        f.where_sql()
    );
    Ok(f.bind_as(sqlx::query_as(sqlx::AssertSqlSafe(sql))).fetch_all(c).await?)
}

// ---------------------------------------------------------------- training

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Training {
    pub id: String,
    pub enterprise_id: String,
    pub title: String,
    pub hours: f64,
    pub starts_at: i64,
    pub created_by: Option<String>,
    pub created_at: i64,
}

pub async fn insert_training(c: &mut AnyConnection, t: &Training) -> Result<()> {
    sqlx::query(
        "INSERT INTO trainings (id, enterprise_id, title, hours, starts_at, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&t.id)
    .bind(&t.enterprise_id)
    .bind(&t.title)
    .bind(t.hours)
    .bind(t.starts_at)
    .bind(&t.created_by)
    .bind(t.created_at)
    .execute(c)
    .await?;
    Ok(())
}

pub async fn training(c: &mut AnyConnection, id: &str) -> Result<Option<Training>> {
    Ok(sqlx::query_as(
        "SELECT id, enterprise_id, title, hours, starts_at, created_by, created_at FROM trainings WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(c)
    .await?)
}

pub async fn trainings_of(c: &mut AnyConnection, enterprise_id: &str) -> Result<Vec<Training>> {
    Ok(sqlx::query_as(
        "SELECT id, enterprise_id, title, hours, starts_at, created_by, created_at FROM trainings \
         WHERE enterprise_id = $1 ORDER BY starts_at DESC",
    )
    .bind(enterprise_id)
    .fetch_all(c)
    .await?)
}

/// Records a sign-in; false when the person had already signed in.
pub async fn sign_in(c: &mut AnyConnection, training_id: &str, person_id: &str, at: i64, method: &str) -> Result<bool> {
    let r = sqlx::query(
        "INSERT INTO training_signins (training_id, person_id, at, method) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (training_id, person_id) DO NOTHING",
    )
    .bind(training_id)
    .bind(person_id)
    .bind(at)
    .bind(method)
    .execute(c)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// (person id, time, method) of a training's sign-ins, in order.
pub async fn signins(c: &mut AnyConnection, training_id: &str) -> Result<Vec<(String, i64, String)>> {
    Ok(sqlx::query_as(
        "SELECT person_id, at, method FROM training_signins WHERE training_id = $1 ORDER BY at, person_id",
    )
    .bind(training_id)
    .fetch_all(c)
    .await?)
}
