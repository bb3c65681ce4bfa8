//! Ready-mixed concrete traceability (L2): plants, mix designs, production
//! batches, delivery tickets, authorised receivers, time-limit warnings,
//! specimens, GB/T 50107 acceptances and the step log (`concrete_events`).
//!
//! Who sees what: a regulator sees a batch, ticket, specimen or acceptance
//! when the project *or* the plant lies in their region; an enterprise user
//! when their enterprise is the plant's or one of the project's three
//! parties (see [`scope_clause`]).

use crate::filter::{Bind, Filter, Page};
use crate::{AnyConnection, Result, StoreError, opt_f64};
use anjian_domain::role::Scope;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Plant {
    pub id: String,
    pub enterprise_id: String,
    pub name: String,
    pub address: String,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    pub licence_no: Option<String>,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Mix {
    pub id: String,
    pub plant_id: String,
    pub code: String,
    pub grade: String,
    pub marks: String,
    pub slump_mm: i64,
    pub slump_tolerance_mm: i64,
    /// JSON array of `{kind, name, kg_per_m3}`.
    pub materials: String,
    pub water_binder: f64,
    pub density_kg_m3: f64,
    pub retarding: i64,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Batch {
    pub id: String,
    pub plant_id: String,
    pub mix_id: String,
    pub project_id: String,
    pub pour_location: String,
    pub planned_m3: f64,
    /// YYYY-MM-DD
    pub produced_on: String,
    pub acceptance_id: Option<String>,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Ticket {
    pub id: String,
    /// The public code in the QR URL.
    pub code: String,
    /// The plant's ticket number.
    pub number: String,
    pub batch_id: String,
    pub plant_id: String,
    pub project_id: String,
    pub truck: String,
    pub volume_m3: f64,
    pub slump_mm: i64,
    pub temperature_c: f64,
    pub mixed_at: i64,
    pub departed_at: i64,
    pub arrived_at: Option<i64>,
    pub placed_at: Option<i64>,
    pub site_slump_mm: Option<i64>,
    pub site_temperature_c: Option<f64>,
    /// issued | received | placed | rejected
    pub status: String,
    pub issued_by: Option<String>,
    pub received_by: Option<String>,
    pub received_at: Option<i64>,
    pub reject_reason: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Warning {
    pub id: String,
    pub ticket_id: String,
    pub project_id: String,
    /// transport | placing
    pub kind: String,
    pub limit_min: i64,
    pub elapsed_ms: i64,
    pub over_ms: i64,
    pub message: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Specimen {
    pub id: String,
    pub batch_id: String,
    pub ticket_id: Option<String>,
    pub project_id: String,
    pub code: String,
    /// standard | same_condition
    pub curing: String,
    pub age_days: i64,
    pub specimen_mm: i64,
    pub sampled_at: i64,
    /// JSON `[a, b, c]` MPa once tested.
    pub strengths: Option<String>,
    pub tested_at: Option<i64>,
    pub report_no: Option<String>,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Acceptance {
    pub id: String,
    pub project_id: String,
    pub grade: String,
    /// JSON array of batch ids.
    pub batch_ids: String,
    /// JSON array of the specimen ids assessed, in order.
    pub specimen_ids: String,
    pub sigma0: Option<f64>,
    pub method: String,
    pub n: i64,
    pub pass: i64,
    /// The calculator's whole output, JSON.
    pub result: String,
    pub hazard_id: Option<String>,
    pub assessed_by: Option<String>,
    pub created_at: i64,
}

/// One step of a plant, batch, ticket, specimen or acceptance; `content` is
/// the canonical content its ledger record hashes (`id` is the record's id).
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Event {
    pub id: String,
    pub subject_id: String,
    pub kind: String,
    pub at: i64,
    pub actor_id: Option<String>,
    pub content: String,
}

// ------------------------------------------------------------------ context

/// What a batch (or a ticket, through its batch) needs from its plant, mix
/// and project: names for display, the parties and regions for access.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Context {
    pub ctx_pour_location: String,
    pub ctx_plant_name: String,
    pub ctx_plant_enterprise_id: String,
    pub ctx_plant_enterprise_name: String,
    pub ctx_plant_region: String,
    pub ctx_plant_licence_no: Option<String>,
    pub ctx_project_name: String,
    pub ctx_project_address: String,
    pub ctx_project_region: String,
    pub ctx_project_lon: Option<f64>,
    pub ctx_project_lat: Option<f64>,
    pub ctx_builder_id: String,
    pub ctx_contractor_id: String,
    pub ctx_supervisor_id: String,
    pub ctx_mix_code: String,
    pub ctx_grade: String,
    pub ctx_marks: String,
    pub ctx_retarding: i64,
    pub ctx_design_slump_mm: i64,
    pub ctx_slump_tolerance_mm: i64,
    pub ctx_acceptance_id: Option<String>,
}

/// The context columns for the batch aliased `b`, with the joins they need
/// (`pr` project, `pl` plant, `pe` the plant's enterprise, `m` mix).
fn context(b: &str) -> (String, String) {
    let cols = format!(
        "{b}.pour_location AS ctx_pour_location, pl.name AS ctx_plant_name, pl.enterprise_id AS ctx_plant_enterprise_id, \
         pe.name AS ctx_plant_enterprise_name, pe.region_code AS ctx_plant_region, pl.licence_no AS ctx_plant_licence_no, \
         pr.name AS ctx_project_name, pr.address AS ctx_project_address, pr.region_code AS ctx_project_region, \
         pr.lon AS ctx_project_lon, pr.lat AS ctx_project_lat, pr.builder_id AS ctx_builder_id, \
         pr.contractor_id AS ctx_contractor_id, pr.supervisor_id AS ctx_supervisor_id, m.code AS ctx_mix_code, \
         m.grade AS ctx_grade, m.marks AS ctx_marks, m.retarding AS ctx_retarding, m.slump_mm AS ctx_design_slump_mm, \
         m.slump_tolerance_mm AS ctx_slump_tolerance_mm, {b}.acceptance_id AS ctx_acceptance_id"
    );
    let joins = format!(
        "JOIN projects pr ON pr.id = {b}.project_id JOIN concrete_plants pl ON pl.id = {b}.plant_id \
         JOIN enterprises pe ON pe.id = pl.enterprise_id JOIN concrete_mixes m ON m.id = {b}.mix_id"
    );
    (cols, joins)
}

// -------------------------------------------------------------------- scope

/// Restricts rows joined as `pr` (projects) and `pe` (the plant's
/// enterprise, joined through `pl`) to what `scope` may see.
fn scope_clause(f: &mut Filter, scope: &Scope) {
    match scope {
        Scope::All => {}
        Scope::Region(r) => {
            let (lo, hi) = crate::prefix_range(r.prefix());
            let (a, b) = (f.next(Bind::Text(lo.clone())), f.next(Bind::Text(hi.clone())));
            let (c, d) = (f.next(Bind::Text(lo)), f.next(Bind::Text(hi)));
            f.and_raw(format!(
                "((pr.region_code >= {a} AND pr.region_code < {b}) OR (pe.region_code >= {c} AND pe.region_code < {d}))"
            ));
        }
        Scope::Enterprises(_) => {
            f.scope(
                scope,
                "pr.region_code",
                &["pl.enterprise_id", "pr.builder_id", "pr.contractor_id", "pr.supervisor_id"],
            );
        }
    }
}

// ------------------------------------------------------------------- plants

const PLANT_COLS: &str = "pl.id, pl.enterprise_id, pl.name, pl.address, pl.lon, pl.lat, pl.licence_no, pl.created_at";

pub async fn insert_plant(c: &mut AnyConnection, p: &Plant) -> Result<()> {
    sqlx::query(
        "INSERT INTO concrete_plants (id, enterprise_id, name, address, lon, lat, licence_no, created_at) \
         VALUES ($1, $2, $3, $4, NULLIF($5, 'NaN'), NULLIF($6, 'NaN'), $7, $8)",
    )
    .bind(&p.id)
    .bind(&p.enterprise_id)
    .bind(&p.name)
    .bind(&p.address)
    .bind(opt_f64(p.lon))
    .bind(opt_f64(p.lat))
    .bind(&p.licence_no)
    .bind(p.created_at)
    .execute(c)
    .await
    .map_err(StoreError::unique("name"))?;
    Ok(())
}

pub async fn plant(c: &mut AnyConnection, id: &str) -> Result<Option<Plant>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {PLANT_COLS} FROM concrete_plants pl WHERE pl.id = $1")))
        .bind(id)
        .fetch_optional(c)
        .await?)
}

/// Plants the scope may see (by the plant's enterprise), with the
/// enterprise's name and region.
pub async fn plants(
    c: &mut AnyConnection,
    scope: &Scope,
    enterprise_id: Option<&str>,
    region_prefix: Option<&str>,
) -> Result<Vec<(Plant, String, String)>> {
    let mut f = Filter::new();
    f.scope(scope, "pe.region_code", &["pl.enterprise_id"]);
    if let Some(e) = enterprise_id {
        f.and("pl.enterprise_id = {}", Bind::Text(e.into()));
    }
    if let Some(p) = region_prefix {
        f.region_prefix("pe.region_code", p);
    }
    let sql = format!(
        "SELECT {PLANT_COLS}, pe.name AS enterprise_name, pe.region_code AS region_code FROM concrete_plants pl \
         JOIN enterprises pe ON pe.id = pl.enterprise_id{} ORDER BY pe.region_code, pl.name, pl.id",
        f.where_sql()
    );
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        p: Plant,
        enterprise_name: String,
        region_code: String,
    }
    let rows: Vec<Row> = f.bind_as(sqlx::query_as(sqlx::AssertSqlSafe(sql))).fetch_all(c).await?;
    Ok(rows.into_iter().map(|r| (r.p, r.enterprise_name, r.region_code)).collect())
}

// --------------------------------------------------------------------- mixes

const MIX_COLS: &str = "id, plant_id, code, grade, marks, slump_mm, slump_tolerance_mm, materials, water_binder, \
                        density_kg_m3, retarding, created_at";

pub async fn insert_mix(c: &mut AnyConnection, m: &Mix) -> Result<()> {
    sqlx::query(
        "INSERT INTO concrete_mixes (id, plant_id, code, grade, marks, slump_mm, slump_tolerance_mm, materials, \
         water_binder, density_kg_m3, retarding, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(&m.id)
    .bind(&m.plant_id)
    .bind(&m.code)
    .bind(&m.grade)
    .bind(&m.marks)
    .bind(m.slump_mm)
    .bind(m.slump_tolerance_mm)
    .bind(&m.materials)
    .bind(m.water_binder)
    .bind(m.density_kg_m3)
    .bind(m.retarding)
    .bind(m.created_at)
    .execute(c)
    .await
    .map_err(StoreError::unique("code"))?;
    Ok(())
}

pub async fn mix(c: &mut AnyConnection, id: &str) -> Result<Option<Mix>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {MIX_COLS} FROM concrete_mixes WHERE id = $1")))
        .bind(id)
        .fetch_optional(c)
        .await?)
}

pub async fn mixes_of(c: &mut AnyConnection, plant_id: &str) -> Result<Vec<Mix>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {MIX_COLS} FROM concrete_mixes WHERE plant_id = $1 ORDER BY grade, code"
    )))
    .bind(plant_id)
    .fetch_all(c)
    .await?)
}

// ------------------------------------------------------------------- batches

const BATCH_COLS: &str = "x.id, x.plant_id, x.mix_id, x.project_id, x.pour_location, x.planned_m3, x.produced_on, \
                          x.acceptance_id, x.created_at";

pub async fn insert_batch(c: &mut AnyConnection, b: &Batch) -> Result<()> {
    sqlx::query(
        "INSERT INTO concrete_batches (id, plant_id, mix_id, project_id, pour_location, planned_m3, produced_on, \
         acceptance_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&b.id)
    .bind(&b.plant_id)
    .bind(&b.mix_id)
    .bind(&b.project_id)
    .bind(&b.pour_location)
    .bind(b.planned_m3)
    .bind(&b.produced_on)
    .bind(&b.acceptance_id)
    .bind(b.created_at)
    .execute(c)
    .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct BatchRow {
    #[sqlx(flatten)]
    b: Batch,
    #[sqlx(flatten)]
    ctx: Context,
}

/// A batch with its context.
pub async fn batch(c: &mut AnyConnection, id: &str) -> Result<Option<(Batch, Context)>> {
    let (cols, joins) = context("x");
    let sql = format!("SELECT {BATCH_COLS}, {cols} FROM concrete_batches x {joins} WHERE x.id = $1");
    let r: Option<BatchRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(c).await?;
    Ok(r.map(|r| (r.b, r.ctx)))
}

#[derive(Debug, Clone, Default)]
pub struct BatchQuery {
    pub project_id: Option<String>,
    pub plant_id: Option<String>,
    /// Only batches not yet in an acceptance lot (`Some(false)`), or only accepted ones.
    pub accepted: Option<bool>,
}

/// Batches the scope may see, newest first, one page and the total.
pub async fn batches(
    c: &mut AnyConnection,
    scope: &Scope,
    q: &BatchQuery,
    page: Page,
) -> Result<(Vec<(Batch, Context)>, i64)> {
    let (cols, joins) = context("x");
    let mut f = Filter::new();
    scope_clause(&mut f, scope);
    if let Some(p) = &q.project_id {
        f.and("x.project_id = {}", Bind::Text(p.clone()));
    }
    if let Some(p) = &q.plant_id {
        f.and("x.plant_id = {}", Bind::Text(p.clone()));
    }
    match q.accepted {
        Some(true) => f.and_raw("x.acceptance_id IS NOT NULL"),
        Some(false) => f.and_raw("x.acceptance_id IS NULL"),
        None => &mut f,
    };
    let w = f.where_sql();
    let total: i64 = f
        .bind_scalar(sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM concrete_batches x {joins}{w}"
        ))))
        .fetch_one(&mut *c)
        .await?;
    let sql = format!(
        "SELECT {BATCH_COLS}, {cols} FROM concrete_batches x {joins}{w} ORDER BY x.created_at DESC, x.id{}",
        page.sql()
    );
    let rows: Vec<BatchRow> = f.bind_as(sqlx::query_as(sqlx::AssertSqlSafe(sql))).fetch_all(&mut *c).await?;
    Ok((rows.into_iter().map(|r| (r.b, r.ctx)).collect(), total))
}

/// Puts batches into an acceptance lot; fails with a conflict on
/// `batch_ids` when one of them is already in a lot.
pub async fn set_acceptance(c: &mut AnyConnection, batch_ids: &[String], acceptance_id: &str) -> Result<()> {
    for b in batch_ids {
        let r = sqlx::query("UPDATE concrete_batches SET acceptance_id = $2 WHERE id = $1 AND acceptance_id IS NULL")
            .bind(b)
            .bind(acceptance_id)
            .execute(&mut *c)
            .await?;
        if r.rows_affected() == 0 {
            return Err(StoreError::Conflict { field: "batch_ids" });
        }
    }
    Ok(())
}

// ------------------------------------------------------------------- tickets

const TICKET_COLS: &str = "x.id, x.code, x.number, x.batch_id, x.plant_id, x.project_id, x.truck, x.volume_m3, \
                           x.slump_mm, x.temperature_c, x.mixed_at, x.departed_at, x.arrived_at, x.placed_at, \
                           x.site_slump_mm, x.site_temperature_c, x.status, x.issued_by, x.received_by, x.received_at, \
                           x.reject_reason, x.created_at, x.updated_at";

pub async fn insert_ticket(c: &mut AnyConnection, t: &Ticket) -> Result<()> {
    sqlx::query(
        "INSERT INTO concrete_tickets (id, code, number, batch_id, plant_id, project_id, truck, volume_m3, slump_mm, \
         temperature_c, mixed_at, departed_at, arrived_at, placed_at, site_slump_mm, site_temperature_c, status, \
         issued_by, received_by, received_at, reject_reason, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, \
         $7, $8, $9, $10, $11, $12, $13, $14, $15, NULLIF($16, 'NaN'), $17, $18, $19, $20, $21, $22, $23)",
    )
    .bind(&t.id)
    .bind(&t.code)
    .bind(&t.number)
    .bind(&t.batch_id)
    .bind(&t.plant_id)
    .bind(&t.project_id)
    .bind(&t.truck)
    .bind(t.volume_m3)
    .bind(t.slump_mm)
    .bind(t.temperature_c)
    .bind(t.mixed_at)
    .bind(t.departed_at)
    .bind(t.arrived_at)
    .bind(t.placed_at)
    .bind(t.site_slump_mm)
    .bind(opt_f64(t.site_temperature_c))
    .bind(&t.status)
    .bind(&t.issued_by)
    .bind(&t.received_by)
    .bind(t.received_at)
    .bind(&t.reject_reason)
    .bind(t.created_at)
    .bind(t.updated_at)
    .execute(c)
    .await
    .map_err(StoreError::unique("number"))?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct TicketRow {
    #[sqlx(flatten)]
    t: Ticket,
    #[sqlx(flatten)]
    ctx: Context,
}

fn ticket_select() -> String {
    let (cols, joins) = context("b");
    format!("SELECT {TICKET_COLS}, {cols} FROM concrete_tickets x JOIN concrete_batches b ON b.id = x.batch_id {joins}")
}

/// A ticket with its batch's context, by id or by its public code.
pub async fn ticket(c: &mut AnyConnection, id_or_code: &str) -> Result<Option<(Ticket, Context)>> {
    let sql = format!("{} WHERE x.id = $1 OR x.code = $1", ticket_select());
    let r: Option<TicketRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id_or_code).fetch_optional(c).await?;
    Ok(r.map(|r| (r.t, r.ctx)))
}

pub async fn tickets_of_batch(c: &mut AnyConnection, batch_id: &str) -> Result<Vec<Ticket>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {TICKET_COLS} FROM concrete_tickets x WHERE x.batch_id = $1 ORDER BY x.departed_at, x.id"
    )))
    .bind(batch_id)
    .fetch_all(c)
    .await?)
}

#[derive(Debug, Clone, Default)]
pub struct TicketQuery {
    pub project_id: Option<String>,
    pub plant_id: Option<String>,
    pub batch_id: Option<String>,
    pub status: Option<String>,
}

/// Tickets the scope may see, latest departure first, one page and the total.
pub async fn tickets(
    c: &mut AnyConnection,
    scope: &Scope,
    q: &TicketQuery,
    page: Page,
) -> Result<(Vec<(Ticket, Context)>, i64)> {
    let (_, joins) = context("b");
    let from = format!("concrete_tickets x JOIN concrete_batches b ON b.id = x.batch_id {joins}");
    let mut f = Filter::new();
    scope_clause(&mut f, scope);
    for (col, v) in [
        ("x.project_id", &q.project_id),
        ("x.plant_id", &q.plant_id),
        ("x.batch_id", &q.batch_id),
        ("x.status", &q.status),
    ] {
        if let Some(v) = v {
            f.and(&format!("{col} = {{}}"), Bind::Text(v.clone()));
        }
    }
    let w = f.where_sql();
    let total: i64 = f
        .bind_scalar(sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {from}{w}"))))
        .fetch_one(&mut *c)
        .await?;
    let sql = format!("{}{w} ORDER BY x.departed_at DESC, x.id{}", ticket_select(), page.sql());
    let rows: Vec<TicketRow> = f.bind_as(sqlx::query_as(sqlx::AssertSqlSafe(sql))).fetch_all(&mut *c).await?;
    Ok((rows.into_iter().map(|r| (r.t, r.ctx)).collect(), total))
}

/// Records the sign-off of an issued ticket (received or rejected). Fails
/// with a conflict on `status` if it was already signed.
pub async fn sign_ticket(c: &mut AnyConnection, t: &Ticket) -> Result<()> {
    let r = sqlx::query(
        "UPDATE concrete_tickets SET status = $2, arrived_at = $3, placed_at = $4, site_slump_mm = $5, \
         site_temperature_c = NULLIF($6, 'NaN'), received_by = $7, received_at = $8, reject_reason = $9, updated_at = $10 \
         WHERE id = $1 AND status = 'issued'",
    )
    .bind(&t.id)
    .bind(&t.status)
    .bind(t.arrived_at)
    .bind(t.placed_at)
    .bind(t.site_slump_mm)
    .bind(opt_f64(t.site_temperature_c))
    .bind(&t.received_by)
    .bind(t.received_at)
    .bind(&t.reject_reason)
    .bind(t.updated_at)
    .execute(c)
    .await?;
    if r.rows_affected() == 0 {
        return Err(StoreError::Conflict { field: "status" });
    }
    Ok(())
}

/// Records the end of placing of a received ticket (conflict on `status` otherwise).
pub async fn place_ticket(c: &mut AnyConnection, id: &str, placed_at: i64, now: i64) -> Result<()> {
    let r = sqlx::query(
        "UPDATE concrete_tickets SET status = 'placed', placed_at = $2, updated_at = $3 WHERE id = $1 AND status = 'received'",
    )
    .bind(id)
    .bind(placed_at)
    .bind(now)
    .execute(c)
    .await?;
    if r.rows_affected() == 0 {
        return Err(StoreError::Conflict { field: "status" });
    }
    Ok(())
}

// ----------------------------------------------------------------- receivers

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Receiver {
    pub project_id: String,
    pub user_id: String,
    pub username: String,
    pub display_name: String,
    pub granted_by: Option<String>,
    pub granted_at: i64,
}

pub async fn grant_receiver(
    c: &mut AnyConnection,
    project_id: &str,
    user_id: &str,
    granted_by: Option<&str>,
    now: i64,
) -> Result<()> {
    sqlx::query("INSERT INTO concrete_receivers (project_id, user_id, granted_by, granted_at) VALUES ($1, $2, $3, $4)")
        .bind(project_id)
        .bind(user_id)
        .bind(granted_by)
        .bind(now)
        .execute(c)
        .await
        .map_err(StoreError::unique("user_id"))?;
    Ok(())
}

pub async fn revoke_receiver(c: &mut AnyConnection, project_id: &str, user_id: &str) -> Result<bool> {
    let r = sqlx::query("DELETE FROM concrete_receivers WHERE project_id = $1 AND user_id = $2")
        .bind(project_id)
        .bind(user_id)
        .execute(c)
        .await?;
    Ok(r.rows_affected() > 0)
}

pub async fn receivers(c: &mut AnyConnection, project_id: &str) -> Result<Vec<Receiver>> {
    Ok(sqlx::query_as(
        "SELECT r.project_id, r.user_id, u.username, u.display_name, r.granted_by, r.granted_at \
         FROM concrete_receivers r JOIN users u ON u.id = r.user_id WHERE r.project_id = $1 ORDER BY u.username",
    )
    .bind(project_id)
    .fetch_all(c)
    .await?)
}

/// Whether the (active) user may sign tickets off on the project.
pub async fn is_receiver(c: &mut AnyConnection, project_id: &str, user_id: &str) -> Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM concrete_receivers r JOIN users u ON u.id = r.user_id \
         WHERE r.project_id = $1 AND r.user_id = $2 AND u.disabled = 0",
    )
    .bind(project_id)
    .bind(user_id)
    .fetch_one(c)
    .await?;
    Ok(n > 0)
}

// ------------------------------------------------------------------ warnings

const WARNING_COLS: &str =
    "w.id, w.ticket_id, w.project_id, w.kind, w.limit_min, w.elapsed_ms, w.over_ms, w.message, w.created_at";

/// Stores a warning unless the ticket already has one of that kind;
/// returns whether it was new.
pub async fn insert_warning(c: &mut AnyConnection, w: &Warning) -> Result<bool> {
    let r = sqlx::query(
        "INSERT INTO concrete_warnings (id, ticket_id, project_id, kind, limit_min, elapsed_ms, over_ms, message, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (ticket_id, kind) DO NOTHING",
    )
    .bind(&w.id)
    .bind(&w.ticket_id)
    .bind(&w.project_id)
    .bind(&w.kind)
    .bind(w.limit_min)
    .bind(w.elapsed_ms)
    .bind(w.over_ms)
    .bind(&w.message)
    .bind(w.created_at)
    .execute(c)
    .await?;
    Ok(r.rows_affected() > 0)
}

pub async fn warnings_of_ticket(c: &mut AnyConnection, ticket_id: &str) -> Result<Vec<Warning>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {WARNING_COLS} FROM concrete_warnings w WHERE w.ticket_id = $1 ORDER BY w.created_at, w.kind"
    )))
    .bind(ticket_id)
    .fetch_all(c)
    .await?)
}

/// Warnings the scope may see (through their ticket), newest first.
pub async fn warnings(
    c: &mut AnyConnection,
    scope: &Scope,
    project_id: Option<&str>,
    page: Page,
) -> Result<(Vec<Warning>, i64)> {
    let mut f = Filter::new();
    scope_clause(&mut f, scope);
    if let Some(p) = project_id {
        f.and("x.project_id = {}", Bind::Text(p.into()));
    }
    let w = f.where_sql();
    let (_, joins) = context("b");
    let from = format!(
        "concrete_warnings w JOIN concrete_tickets x ON x.id = w.ticket_id JOIN concrete_batches b ON b.id = x.batch_id {joins}"
    );
    let total: i64 = f
        .bind_scalar(sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {from}{w}"))))
        .fetch_one(&mut *c)
        .await?;
    let sql = format!("SELECT {WARNING_COLS} FROM {from}{w} ORDER BY w.created_at DESC, w.id{}", page.sql());
    let items = f.bind_as(sqlx::query_as(sqlx::AssertSqlSafe(sql))).fetch_all(&mut *c).await?;
    Ok((items, total))
}

// ----------------------------------------------------------------- specimens

const SPECIMEN_COLS: &str = "id, batch_id, ticket_id, project_id, code, curing, age_days, specimen_mm, sampled_at, \
                             strengths, tested_at, report_no, created_at";

pub async fn insert_specimen(c: &mut AnyConnection, s: &Specimen) -> Result<()> {
    sqlx::query(
        "INSERT INTO concrete_specimens (id, batch_id, ticket_id, project_id, code, curing, age_days, specimen_mm, \
         sampled_at, strengths, tested_at, report_no, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(&s.id)
    .bind(&s.batch_id)
    .bind(&s.ticket_id)
    .bind(&s.project_id)
    .bind(&s.code)
    .bind(&s.curing)
    .bind(s.age_days)
    .bind(s.specimen_mm)
    .bind(s.sampled_at)
    .bind(&s.strengths)
    .bind(s.tested_at)
    .bind(&s.report_no)
    .bind(s.created_at)
    .execute(c)
    .await
    .map_err(StoreError::unique("code"))?;
    Ok(())
}

pub async fn specimen(c: &mut AnyConnection, id: &str) -> Result<Option<Specimen>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {SPECIMEN_COLS} FROM concrete_specimens WHERE id = $1")))
        .bind(id)
        .fetch_optional(c)
        .await?)
}

pub async fn specimens_of_batch(c: &mut AnyConnection, batch_id: &str) -> Result<Vec<Specimen>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {SPECIMEN_COLS} FROM concrete_specimens WHERE batch_id = $1 ORDER BY sampled_at, code"
    )))
    .bind(batch_id)
    .fetch_all(c)
    .await?)
}

/// Records a specimen group's test result once (conflict on `strengths_mpa`
/// when it already has one: results are evidence, never overwritten).
pub async fn set_result(
    c: &mut AnyConnection,
    id: &str,
    strengths: &str,
    tested_at: i64,
    report_no: Option<&str>,
) -> Result<()> {
    let r = sqlx::query(
        "UPDATE concrete_specimens SET strengths = $2, tested_at = $3, report_no = $4 WHERE id = $1 AND tested_at IS NULL",
    )
    .bind(id)
    .bind(strengths)
    .bind(tested_at)
    .bind(report_no)
    .execute(c)
    .await?;
    if r.rows_affected() == 0 {
        return Err(StoreError::Conflict { field: "strengths_mpa" });
    }
    Ok(())
}

// --------------------------------------------------------------- acceptances

const ACCEPTANCE_COLS: &str = "id, project_id, grade, batch_ids, specimen_ids, sigma0, method, n, pass, result, \
                               hazard_id, assessed_by, created_at";

pub async fn insert_acceptance(c: &mut AnyConnection, a: &Acceptance) -> Result<()> {
    sqlx::query(
        "INSERT INTO concrete_acceptances (id, project_id, grade, batch_ids, specimen_ids, sigma0, method, n, pass, \
         result, hazard_id, assessed_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, NULLIF($6, 'NaN'), $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(&a.id)
    .bind(&a.project_id)
    .bind(&a.grade)
    .bind(&a.batch_ids)
    .bind(&a.specimen_ids)
    .bind(opt_f64(a.sigma0))
    .bind(&a.method)
    .bind(a.n)
    .bind(a.pass)
    .bind(&a.result)
    .bind(&a.hazard_id)
    .bind(&a.assessed_by)
    .bind(a.created_at)
    .execute(c)
    .await?;
    Ok(())
}

pub async fn acceptance(c: &mut AnyConnection, id: &str) -> Result<Option<Acceptance>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {ACCEPTANCE_COLS} FROM concrete_acceptances WHERE id = $1")))
        .bind(id)
        .fetch_optional(c)
        .await?)
}

pub async fn acceptances_of_project(c: &mut AnyConnection, project_id: &str) -> Result<Vec<Acceptance>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ACCEPTANCE_COLS} FROM concrete_acceptances WHERE project_id = $1 ORDER BY created_at DESC, id"
    )))
    .bind(project_id)
    .fetch_all(c)
    .await?)
}

// -------------------------------------------------------------------- events

pub async fn insert_event(c: &mut AnyConnection, e: &Event) -> Result<()> {
    sqlx::query(
        "INSERT INTO concrete_events (id, subject_id, kind, at, actor_id, content) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&e.id)
    .bind(&e.subject_id)
    .bind(&e.kind)
    .bind(e.at)
    .bind(&e.actor_id)
    .bind(&e.content)
    .execute(c)
    .await?;
    Ok(())
}

/// Events of several rows at once (the demo loader), in chunks that suit the backend.
pub async fn insert_events_many(c: &mut AnyConnection, es: &[Event]) -> Result<()> {
    for chunk in es.chunks(crate::bulk_rows(c, 6)) {
        let sql = format!(
            "INSERT INTO concrete_events (id, subject_id, kind, at, actor_id, content) VALUES {}",
            crate::placeholders(chunk.len(), 6)
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for e in chunk {
            q = q.bind(&e.id).bind(&e.subject_id).bind(&e.kind).bind(e.at).bind(&e.actor_id).bind(&e.content);
        }
        q.execute(&mut *c).await?;
    }
    Ok(())
}

pub async fn events_of(c: &mut AnyConnection, subject_id: &str) -> Result<Vec<Event>> {
    Ok(sqlx::query_as(
        "SELECT id, subject_id, kind, at, actor_id, content FROM concrete_events WHERE subject_id = $1 ORDER BY at, id",
    )
    .bind(subject_id)
    .fetch_all(c)
    .await?)
}
