//! Hazards and their event timeline (H1–H7).

use crate::filter::{Bind, Filter, Page};
use crate::{AnyConnection, Result, StoreError};
use anjian_domain::role::Scope;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Hazard {
    pub id: String,
    pub code: String,
    pub tracking_code: String,
    pub channel: String,
    pub description: String,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    pub region_code: String,
    pub enterprise_id: Option<String>,
    pub project_id: Option<String>,
    pub taxonomy_item: Option<String>,
    pub classify_confidence: Option<f64>,
    pub needs_classification: i64,
    pub grade: String,
    /// JSON `{standard, article, text}` when graded major by a rule.
    pub grade_basis: Option<String>,
    pub state: String,
    pub deadline_ms: Option<i64>,
    pub extension_until_ms: Option<i64>,
    pub escalation_level: i64,
    pub assignee_user_id: Option<String>,
    pub reporter_user_id: Option<String>,
    #[serde(skip)]
    pub reporter_contact_enc: Option<Vec<u8>>,
    #[serde(skip)]
    pub idempotency_key: Option<String>,
    pub reported_at: i64,
    pub updated_at: i64,
    pub closed_at: Option<i64>,
    pub reminded_at: Option<i64>,
    /// Major hazards: when the unit applied for close-out (the re-check clock starts).
    pub closeout_applied_at: Option<i64>,
    /// Major hazards: when the regulator re-checked (accepted or rejected).
    pub rechecked_at: Option<i64>,
}

pub const COLS: &str = "id, code, tracking_code, channel, description, lon, lat, region_code, enterprise_id, project_id, \
    taxonomy_item, classify_confidence, needs_classification, grade, grade_basis, state, deadline_ms, extension_until_ms, \
    escalation_level, assignee_user_id, reporter_user_id, reporter_contact_enc, idempotency_key, reported_at, updated_at, \
    closed_at, reminded_at, closeout_applied_at, rechecked_at";

pub async fn insert(c: &mut AnyConnection, h: &Hazard) -> Result<()> {
    insert_many(c, std::slice::from_ref(h)).await
}

/// Writes back every mutable field.
pub async fn update(c: &mut AnyConnection, h: &Hazard) -> Result<()> {
    let r = sqlx::query(
        "UPDATE hazards SET enterprise_id = $2, project_id = $3, taxonomy_item = $4, classify_confidence = NULLIF($5, 'NaN'), \
         needs_classification = $6, grade = $7, grade_basis = $8, state = $9, deadline_ms = $10, extension_until_ms = $11, \
         escalation_level = $12, assignee_user_id = $13, updated_at = $14, closed_at = $15, reminded_at = $16, \
         region_code = $17, closeout_applied_at = $18, rechecked_at = $19 WHERE id = $1",
    )
    .bind(&h.id)
    .bind(&h.enterprise_id)
    .bind(&h.project_id)
    .bind(&h.taxonomy_item)
    .bind(crate::opt_f64(h.classify_confidence)) // see "Optional floats" in lib.rs
    .bind(h.needs_classification)
    .bind(&h.grade)
    .bind(&h.grade_basis)
    .bind(&h.state)
    .bind(h.deadline_ms)
    .bind(h.extension_until_ms)
    .bind(h.escalation_level)
    .bind(&h.assignee_user_id)
    .bind(h.updated_at)
    .bind(h.closed_at)
    .bind(h.reminded_at)
    .bind(&h.region_code)
    .bind(h.closeout_applied_at)
    .bind(h.rechecked_at)
    .execute(c)
    .await?;
    if r.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

async fn one_by(c: &mut AnyConnection, col: &str, v: &str) -> Result<Option<Hazard>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {COLS} FROM hazards WHERE {col} = $1")))
        .bind(v)
        .fetch_optional(c)
        .await?)
}

pub async fn get(c: &mut AnyConnection, id: &str) -> Result<Option<Hazard>> {
    one_by(c, "id", id).await
}

pub async fn by_tracking_code(c: &mut AnyConnection, code: &str) -> Result<Option<Hazard>> {
    one_by(c, "tracking_code", code).await
}

pub async fn by_idempotency_key(c: &mut AnyConnection, key: &str) -> Result<Option<Hazard>> {
    one_by(c, "idempotency_key", key).await
}

#[derive(Debug, Clone, Default)]
pub struct HazardQuery {
    pub region_prefix: Option<String>,
    pub enterprise_id: Option<String>,
    pub channel: Option<String>,
    /// Taxonomy item code or a prefix of it (domain/class).
    pub taxonomy_prefix: Option<String>,
    pub grade: Option<String>,
    pub state: Option<String>,
    /// Open and past the deadline at `now_ms`.
    pub overdue_at: Option<i64>,
    pub needs_classification: Option<bool>,
    pub reported_from: Option<i64>,
    pub reported_to: Option<i64>,
    pub text: Option<String>,
    pub assignee_user_id: Option<String>,
    /// Only hazards listed for supervision (挂牌督办) and not delisted.
    pub listed: Option<bool>,
    /// Major hazards whose re-check is (or was) later than `recheck_days` after the application.
    pub recheck_late_at: Option<(i64, i64)>,
}

fn filter(scope: &Scope, q: &HazardQuery) -> Filter {
    let mut f = Filter::new();
    f.scope(scope, "region_code", &["enterprise_id"]);
    if let Some(p) = &q.region_prefix {
        f.region_prefix("region_code", p);
    }
    if let Some(v) = &q.enterprise_id {
        f.and("enterprise_id = {}", Bind::Text(v.clone()));
    }
    if let Some(v) = &q.channel {
        f.and("channel = {}", Bind::Text(v.clone()));
    }
    if let Some(v) = &q.taxonomy_prefix {
        f.region_prefix("taxonomy_item", v);
    }
    if let Some(v) = &q.grade {
        f.and("grade = {}", Bind::Text(v.clone()));
    }
    if let Some(v) = &q.state {
        f.and("state = {}", Bind::Text(v.clone()));
    }
    if let Some(now) = q.overdue_at {
        f.and_raw("state IN ('pending', 'rectifying', 'awaiting_acceptance')");
        f.and("deadline_ms < {}", Bind::Int(now));
    }
    if let Some(v) = q.needs_classification {
        f.and("needs_classification = {}", Bind::Int(i64::from(v)));
    }
    if let Some(v) = q.reported_from {
        f.and("reported_at >= {}", Bind::Int(v));
    }
    if let Some(v) = q.reported_to {
        f.and("reported_at < {}", Bind::Int(v));
    }
    if let Some(v) = &q.text {
        let pat = format!("%{}%", v.replace(['%', '_'], ""));
        f.and("description LIKE {}", Bind::Text(pat));
    }
    if let Some(v) = &q.assignee_user_id {
        f.and("assignee_user_id = {}", Bind::Text(v.clone()));
    }
    if let Some(true) = q.listed {
        f.and_raw("id IN (SELECT hazard_id FROM hazard_listings WHERE delisted_at IS NULL)");
    }
    if let Some((now, window)) = q.recheck_late_at {
        // Applied and either still waiting past the window, or re-checked after it.
        let a = f.next(Bind::Int(window));
        let b = f.next(Bind::Int(now));
        let c = f.next(Bind::Int(window));
        f.and_raw(format!(
            "closeout_applied_at IS NOT NULL AND ((rechecked_at IS NULL AND closeout_applied_at + {a} < {b}) \
             OR (rechecked_at IS NOT NULL AND rechecked_at > closeout_applied_at + {c}))"
        ));
    }
    f
}

pub async fn list(c: &mut AnyConnection, scope: &Scope, q: &HazardQuery, page: Page) -> Result<(Vec<Hazard>, i64)> {
    let f = filter(scope, q);
    let w = f.where_sql();
    let total: i64 = f
        .bind_scalar(sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM hazards{w}"))))
        .fetch_one(&mut *c)
        .await?;
    let sql = format!("SELECT {COLS} FROM hazards{w} ORDER BY reported_at DESC, id DESC{}", page.sql());
    let items = f.bind_as(sqlx::query_as(sqlx::AssertSqlSafe(sql))).fetch_all(&mut *c).await?;
    Ok((items, total))
}

/// Counts by state for the hazards matching `q` in `scope`, plus the
/// number overdue at `now_ms`.
pub async fn counts_by_state(
    c: &mut AnyConnection,
    scope: &Scope,
    q: &HazardQuery,
    now_ms: i64,
) -> Result<(Vec<(String, i64)>, i64)> {
    let f = filter(scope, q);
    let w = f.where_sql();
    let rows: Vec<(String, i64)> = f
        .bind_as(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT state, COUNT(*) FROM hazards{w} GROUP BY state ORDER BY state"
        ))))
        .fetch_all(&mut *c)
        .await?;
    let mut q2 = q.clone();
    q2.overdue_at = Some(now_ms);
    let f2 = filter(scope, &q2);
    let overdue: i64 = f2
        .bind_scalar(sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM hazards{}", f2.where_sql()))))
        .fetch_one(&mut *c)
        .await?;
    Ok((rows, overdue))
}

/// Open hazards whose deadline is before `before_ms` (for the scheduler).
pub async fn open_with_deadline_before(c: &mut AnyConnection, before_ms: i64, limit: i64) -> Result<Vec<Hazard>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM hazards WHERE state IN ('pending', 'rectifying', 'awaiting_acceptance') \
         AND deadline_ms < $1 ORDER BY deadline_ms LIMIT {limit}"
    )))
    .bind(before_ms)
    .fetch_all(c)
    .await?)
}

pub async fn count(c: &mut AnyConnection) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM hazards").fetch_one(c).await?)
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct HazardEvent {
    pub id: String,
    pub hazard_id: String,
    pub seq: i64,
    pub at: i64,
    pub actor_id: Option<String>,
    pub actor_name: String,
    pub party: String,
    pub event: String,
    pub state_before: Option<String>,
    pub state_after: String,
    pub note: Option<String>,
    /// JSON object with event details (deadline, extension, grade …).
    pub data: String,
    /// JSON array of SHA-256 hex of attachments.
    pub attachments: String,
    pub public: i64,
}

const EVENT_COLS: &str = "id, hazard_id, seq, at, actor_id, actor_name, party, event, state_before, state_after, note, data, attachments, public";

/// Appends an event with the next sequence number of its hazard.
/// Appends an event as its hazard's next (`seq` is ignored and assigned in
/// the same statement); returns the sequence number it got.
pub async fn append_event(c: &mut AnyConnection, e: &HazardEvent) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO hazard_events (id, hazard_id, seq, at, actor_id, actor_name, party, event, state_before, \
         state_after, note, data, attachments, public) VALUES ($1, $2, \
         (SELECT COALESCE(MAX(seq), 0) + 1 FROM hazard_events WHERE hazard_id = $2), \
         $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING seq",
    )
    .bind(&e.id)
    .bind(&e.hazard_id)
    .bind(e.at)
    .bind(&e.actor_id)
    .bind(&e.actor_name)
    .bind(&e.party)
    .bind(&e.event)
    .bind(&e.state_before)
    .bind(&e.state_after)
    .bind(&e.note)
    .bind(&e.data)
    .bind(&e.attachments)
    .bind(e.public)
    .fetch_one(c)
    .await?)
}

pub async fn events_of(c: &mut AnyConnection, hazard_id: &str) -> Result<Vec<HazardEvent>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {EVENT_COLS} FROM hazard_events WHERE hazard_id = $1 ORDER BY seq"
    )))
    .bind(hazard_id)
    .fetch_all(c)
    .await?)
}

/// The next hazard number: unique and increasing (gaps are possible when a
/// transaction rolls back, as with any sequence).
/// One hazard as the statistics and analytics see it, with its enterprise's industry.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct StatRow {
    pub region_code: String,
    pub enterprise_id: Option<String>,
    pub industry: Option<String>,
    pub channel: String,
    pub taxonomy_item: Option<String>,
    pub grade: String,
    pub state: String,
    pub reported_at: i64,
    pub deadline_ms: Option<i64>,
    pub closed_at: Option<i64>,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
}

/// A filter on hazards `h` within the caller's scope and, when given, under
/// `region_prefix` (the start of every statistics and overdue query).
pub(crate) fn scoped(scope: &Scope, region_prefix: Option<&str>) -> Filter {
    let mut f = Filter::new();
    f.scope(scope, "h.region_code", &["h.enterprise_id"]);
    if let Some(p) = region_prefix {
        f.region_prefix("h.region_code", p);
    }
    f
}

/// Narrows `f` to hazards `h` open and past their deadline at `now`.
pub(crate) fn overdue_at(f: &mut Filter, now: i64) {
    f.and_raw("h.state IN ('pending', 'rectifying', 'awaiting_acceptance')");
    f.and("h.deadline_ms < {}", Bind::Int(now));
}

/// Every hazard the scope may see under a region prefix reported in
/// `[since, until)`, oldest first (dismissed ones included: the caller
/// decides).
pub async fn stat_rows(
    c: &mut AnyConnection,
    scope: &Scope,
    region_prefix: Option<&str>,
    since: i64,
    until: i64,
) -> Result<Vec<StatRow>> {
    let mut f = scoped(scope, region_prefix);
    f.and("h.reported_at >= {}", Bind::Int(since));
    f.and("h.reported_at < {}", Bind::Int(until));
    let sql = format!(
        "SELECT h.region_code, h.enterprise_id, e.industry, h.channel, h.taxonomy_item, h.grade, h.state, h.reported_at, \
         h.deadline_ms, h.closed_at, h.lon, h.lat FROM hazards h LEFT JOIN enterprises e ON e.id = h.enterprise_id{} \
         ORDER BY h.reported_at",
        f.where_sql()
    );
    Ok(f.bind_as(sqlx::query_as(sqlx::AssertSqlSafe(sql))).fetch_all(c).await?)
}

/// Whether an open hazard has an idempotency key starting with `prefix`
/// (hazards opened by the system for one cause, e.g. a rule's repeated alarms).
pub async fn open_with_key_prefix(c: &mut AnyConnection, prefix: &str) -> Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM hazards WHERE idempotency_key LIKE $1 AND state NOT IN ('closed', 'dismissed')",
    )
    .bind(format!("{}%", prefix.replace(['%', '_'], "")))
    .fetch_one(c)
    .await?;
    Ok(n > 0)
}

/// `n` next hazard numbers in one round trip (a batch of reports).
pub async fn next_numbers(c: &mut AnyConnection, backend: crate::Backend, n: usize) -> Result<Vec<i64>> {
    let n = n as i64;
    match backend {
        crate::Backend::Postgres => {
            Ok(sqlx::query_scalar("SELECT nextval('hazard_number_seq') FROM generate_series(1, $1::int)")
                .bind(n)
                .fetch_all(c)
                .await?)
        }
        crate::Backend::Sqlite => {
            let last: i64 = sqlx::query_scalar(
                "INSERT INTO counters (key, value) VALUES ('hazard_number', $1) \
                 ON CONFLICT (key) DO UPDATE SET value = counters.value + $1 RETURNING value",
            )
            .bind(n)
            .fetch_one(c)
            .await?;
            Ok((last - n + 1..=last).collect())
        }
    }
}

pub async fn next_number(c: &mut AnyConnection, backend: crate::Backend) -> Result<i64> {
    Ok(match backend {
        crate::Backend::Postgres => sqlx::query_scalar("SELECT nextval('hazard_number_seq')").fetch_one(c).await?,
        crate::Backend::Sqlite => {
            sqlx::query_scalar(
                "INSERT INTO counters (key, value) VALUES ('hazard_number', 1) \
                 ON CONFLICT (key) DO UPDATE SET value = counters.value + 1 RETURNING value",
            )
            .fetch_one(c)
            .await?
        }
    })
}

/// Hazards whose timeline references an attachment.
pub async fn hazards_with_attachment(c: &mut AnyConnection, sha256: &str) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar("SELECT DISTINCT hazard_id FROM hazard_events WHERE attachments LIKE $1")
        .bind(format!("%\"{sha256}\"%"))
        .fetch_all(c)
        .await?)
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Plan {
    pub hazard_id: String,
    pub objective: String,
    pub methods: String,
    pub funds: String,
    pub responsible: String,
    pub deadline_on: String,
    pub safety_measures: String,
    pub emergency_plan: String,
    pub submitted_by: Option<String>,
    pub submitted_at: i64,
    pub updated_at: i64,
}

const PLAN_COLS: &str = "hazard_id, objective, methods, funds, responsible, deadline_on, safety_measures, emergency_plan, submitted_by, submitted_at, updated_at";

pub async fn plan(c: &mut AnyConnection, hazard_id: &str) -> Result<Option<Plan>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {PLAN_COLS} FROM hazard_plans WHERE hazard_id = $1")))
        .bind(hazard_id)
        .fetch_optional(c)
        .await?)
}

/// Inserts or replaces the plan of a hazard.
pub async fn put_plan(c: &mut AnyConnection, p: &Plan) -> Result<()> {
    sqlx::query("DELETE FROM hazard_plans WHERE hazard_id = $1").bind(&p.hazard_id).execute(&mut *c).await?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO hazard_plans ({PLAN_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
    )))
    .bind(&p.hazard_id)
    .bind(&p.objective)
    .bind(&p.methods)
    .bind(&p.funds)
    .bind(&p.responsible)
    .bind(&p.deadline_on)
    .bind(&p.safety_measures)
    .bind(&p.emergency_plan)
    .bind(&p.submitted_by)
    .bind(p.submitted_at)
    .bind(p.updated_at)
    .execute(c)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Listing {
    pub hazard_id: String,
    pub level: String,
    pub note: String,
    pub listed_by: Option<String>,
    pub listed_at: i64,
    pub delisted_at: Option<i64>,
}

pub async fn listing(c: &mut AnyConnection, hazard_id: &str) -> Result<Option<Listing>> {
    Ok(sqlx::query_as(
        "SELECT hazard_id, level, note, listed_by, listed_at, delisted_at FROM hazard_listings WHERE hazard_id = $1",
    )
    .bind(hazard_id)
    .fetch_optional(c)
    .await?)
}

pub async fn put_listing(c: &mut AnyConnection, l: &Listing) -> Result<()> {
    sqlx::query("DELETE FROM hazard_listings WHERE hazard_id = $1").bind(&l.hazard_id).execute(&mut *c).await?;
    sqlx::query("INSERT INTO hazard_listings (hazard_id, level, note, listed_by, listed_at, delisted_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(&l.hazard_id)
        .bind(&l.level)
        .bind(&l.note)
        .bind(&l.listed_by)
        .bind(l.listed_at)
        .bind(l.delisted_at)
        .execute(c)
        .await?;
    Ok(())
}

/// Inserts many hazards with multi-row INSERTs (imports and the demo
/// history). The caller's transaction makes it all or nothing.
pub async fn insert_many(c: &mut AnyConnection, hs: &[Hazard]) -> Result<()> {
    for chunk in hs.chunks(crate::bulk_rows(c, 29)) {
        // lon, lat and classify_confidence are optional f64: see "Optional floats" in lib.rs.
        let sql = format!(
            "INSERT INTO hazards ({COLS}) VALUES {}",
            crate::placeholders_nan_null(chunk.len(), 29, &[5, 6, 11])
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for h in chunk {
            q = q
                .bind(&h.id)
                .bind(&h.code)
                .bind(&h.tracking_code)
                .bind(&h.channel)
                .bind(&h.description)
                .bind(crate::opt_f64(h.lon))
                .bind(crate::opt_f64(h.lat))
                .bind(&h.region_code)
                .bind(&h.enterprise_id)
                .bind(&h.project_id)
                .bind(&h.taxonomy_item)
                .bind(crate::opt_f64(h.classify_confidence))
                .bind(h.needs_classification)
                .bind(&h.grade)
                .bind(&h.grade_basis)
                .bind(&h.state)
                .bind(h.deadline_ms)
                .bind(h.extension_until_ms)
                .bind(h.escalation_level)
                .bind(&h.assignee_user_id)
                .bind(&h.reporter_user_id)
                .bind(&h.reporter_contact_enc)
                .bind(&h.idempotency_key)
                .bind(h.reported_at)
                .bind(h.updated_at)
                .bind(h.closed_at)
                .bind(h.reminded_at)
                .bind(h.closeout_applied_at)
                .bind(h.rechecked_at);
        }
        q.execute(&mut *c).await.map_err(StoreError::unique("idempotency_key"))?;
    }
    Ok(())
}

/// Inserts events with the sequence numbers they carry (imports: the
/// caller numbers each hazard's events 1, 2, …).
pub async fn insert_events_many(c: &mut AnyConnection, es: &[HazardEvent]) -> Result<()> {
    for chunk in es.chunks(crate::bulk_rows(c, 14)) {
        let sql = format!("INSERT INTO hazard_events ({EVENT_COLS}) VALUES {}", crate::placeholders(chunk.len(), 14));
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for e in chunk {
            q = q
                .bind(&e.id)
                .bind(&e.hazard_id)
                .bind(e.seq)
                .bind(e.at)
                .bind(&e.actor_id)
                .bind(&e.actor_name)
                .bind(&e.party)
                .bind(&e.event)
                .bind(&e.state_before)
                .bind(&e.state_after)
                .bind(&e.note)
                .bind(&e.data)
                .bind(&e.attachments)
                .bind(e.public);
        }
        q.execute(&mut *c).await?;
    }
    Ok(())
}

/// Makes the next hazard number greater than `n` (after an import that
/// numbered its own hazards).
pub async fn reserve_numbers(c: &mut AnyConnection, backend: crate::Backend, n: i64) -> Result<()> {
    match backend {
        crate::Backend::Postgres => {
            sqlx::query("SELECT setval('hazard_number_seq', GREATEST($1, (SELECT last_value FROM hazard_number_seq)))")
                .bind(n)
                .execute(c)
                .await?;
        }
        crate::Backend::Sqlite => {
            sqlx::query(
                "INSERT INTO counters (key, value) VALUES ('hazard_number', $1) \
                 ON CONFLICT (key) DO UPDATE SET value = MAX(counters.value, excluded.value)",
            )
            .bind(n)
            .execute(c)
            .await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn placeholders_number_rows_then_columns() {
        assert_eq!(crate::placeholders(2, 3), "($1, $2, $3), ($4, $5, $6)");
        assert_eq!(crate::placeholders(1, 1), "($1)");
        assert_eq!(crate::placeholders_nan_null(2, 2, &[1]), "($1, NULLIF($2, 'NaN')), ($3, NULLIF($4, 'NaN'))");
    }
}
