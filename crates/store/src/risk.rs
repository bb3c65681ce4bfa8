//! Risk registers (R3): major hazard source units (GB 18218) with their
//! version history, and risk points (LEC/LS) with their four colours.

use crate::filter::{Bind, Filter};
use crate::{AnyConnection, Result, StoreError};
use anjian_domain::role::Scope;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct SourceUnit {
    pub id: String,
    pub enterprise_id: String,
    pub name: String,
    /// `production` | `storage`
    pub kind: String,
    pub exposed_people: i64,
    /// JSON array of the substances as entered.
    pub substances: String,
    pub s: f64,
    pub is_major: i64,
    pub r: Option<f64>,
    pub grade: Option<i64>,
    pub standard: String,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

const UNIT_COLS: &str = "u.id, u.enterprise_id, u.name, u.kind, u.exposed_people, u.substances, u.s, u.is_major, u.r, \
                         u.grade, u.standard, u.version, u.created_at, u.updated_at";

/// One version of a unit, as it was after a change.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct SourceVersion {
    pub unit_id: String,
    pub version: i64,
    pub at: i64,
    pub actor_id: Option<String>,
    pub actor_name: String,
    pub exposed_people: i64,
    pub substances: String,
    pub s: f64,
    pub is_major: i64,
    pub r: Option<f64>,
    pub grade: Option<i64>,
}

/// Inserts a new unit (version 1 or later is the caller's) or writes back a
/// changed one, and records the version. `r` is NULL for a unit that is not
/// major (see "Optional floats" in lib.rs: bound as NaN).
pub async fn save_unit(c: &mut AnyConnection, u: &SourceUnit, v: &SourceVersion) -> Result<()> {
    if u.version == 1 {
        sqlx::query(
            "INSERT INTO hazard_source_units (id, enterprise_id, name, kind, exposed_people, substances, s, is_major, r, \
             grade, standard, version, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULLIF($9, 'NaN'), $10, $11, $12, $13, $14)",
        )
        .bind(&u.id)
        .bind(&u.enterprise_id)
        .bind(&u.name)
        .bind(&u.kind)
        .bind(u.exposed_people)
        .bind(&u.substances)
        .bind(u.s)
        .bind(u.is_major)
        .bind(crate::opt_f64(u.r))
        .bind(u.grade)
        .bind(&u.standard)
        .bind(u.version)
        .bind(u.created_at)
        .bind(u.updated_at)
        .execute(&mut *c)
        .await
        .map_err(StoreError::unique("name"))?;
    } else {
        let r = sqlx::query(
            "UPDATE hazard_source_units SET name = $2, kind = $3, exposed_people = $4, substances = $5, s = $6, \
             is_major = $7, r = NULLIF($8, 'NaN'), grade = $9, standard = $10, version = $11, updated_at = $12 \
             WHERE id = $1 AND version = $11 - 1",
        )
        .bind(&u.id)
        .bind(&u.name)
        .bind(&u.kind)
        .bind(u.exposed_people)
        .bind(&u.substances)
        .bind(u.s)
        .bind(u.is_major)
        .bind(crate::opt_f64(u.r))
        .bind(u.grade)
        .bind(&u.standard)
        .bind(u.version)
        .bind(u.updated_at)
        .execute(&mut *c)
        .await
        .map_err(StoreError::unique("name"))?;
        if r.rows_affected() == 0 {
            // Someone else saved a newer version in between.
            return Err(StoreError::Conflict { field: "version" });
        }
    }
    sqlx::query(
        "INSERT INTO hazard_source_versions (unit_id, version, at, actor_id, actor_name, exposed_people, substances, s, \
         is_major, r, grade) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULLIF($10, 'NaN'), $11)",
    )
    .bind(&v.unit_id)
    .bind(v.version)
    .bind(v.at)
    .bind(&v.actor_id)
    .bind(&v.actor_name)
    .bind(v.exposed_people)
    .bind(&v.substances)
    .bind(v.s)
    .bind(v.is_major)
    .bind(crate::opt_f64(v.r))
    .bind(v.grade)
    .execute(&mut *c)
    .await?;
    Ok(())
}

pub async fn unit(c: &mut AnyConnection, id: &str) -> Result<Option<SourceUnit>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {UNIT_COLS} FROM hazard_source_units u WHERE u.id = $1")))
        .bind(id)
        .fetch_optional(c)
        .await?)
}

pub async fn versions(c: &mut AnyConnection, unit_id: &str) -> Result<Vec<SourceVersion>> {
    Ok(sqlx::query_as(
        "SELECT unit_id, version, at, actor_id, actor_name, exposed_people, substances, s, is_major, r, grade \
         FROM hazard_source_versions WHERE unit_id = $1 ORDER BY version",
    )
    .bind(unit_id)
    .fetch_all(c)
    .await?)
}

/// Units the scope may see, optionally of one enterprise, under a region
/// prefix, or major only; with the enterprise's name and region.
pub async fn units(
    c: &mut AnyConnection,
    scope: &Scope,
    enterprise_id: Option<&str>,
    region_prefix: Option<&str>,
    major_only: bool,
) -> Result<Vec<(SourceUnit, String, String)>> {
    let mut f = Filter::new();
    f.scope(scope, "e.region_code", &["u.enterprise_id"]);
    if let Some(e) = enterprise_id {
        f.and("u.enterprise_id = {}", Bind::Text(e.into()));
    }
    if let Some(p) = region_prefix {
        f.region_prefix("e.region_code", p);
    }
    if major_only {
        f.and_raw("u.is_major = 1");
    }
    let sql = format!(
        "SELECT {UNIT_COLS}, e.name AS enterprise_name, e.region_code AS region_code FROM hazard_source_units u \
         JOIN enterprises e ON e.id = u.enterprise_id{} ORDER BY COALESCE(u.grade, 9), e.region_code, e.name, u.name",
        f.where_sql()
    );
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        u: SourceUnit,
        enterprise_name: String,
        region_code: String,
    }
    let rows: Vec<Row> = f.bind_as(sqlx::query_as(sqlx::AssertSqlSafe(sql))).fetch_all(c).await?;
    Ok(rows.into_iter().map(|r| (r.u, r.enterprise_name, r.region_code)).collect())
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct RiskPoint {
    pub id: String,
    pub enterprise_id: String,
    pub project_id: Option<String>,
    pub name: String,
    pub location: String,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    /// `lec` | `ls`
    pub method: String,
    /// JSON of the factors as entered (`{"l","e","c"}` or `{"l","s"}`).
    pub factors: String,
    /// D (LEC) or R (LS).
    pub score: f64,
    pub level: String,
    /// red | orange | yellow | blue
    pub color: String,
    /// JSON array of control measures.
    pub measures: String,
    pub responsible: String,
    /// YYYY-MM-DD of the next review.
    pub review_on: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

const POINT_COLS: &str = "p.id, p.enterprise_id, p.project_id, p.name, p.location, p.lon, p.lat, p.method, p.factors, \
                          p.score, p.level, p.color, p.measures, p.responsible, p.review_on, p.created_at, p.updated_at";

/// Inserts or replaces a risk point (by id).
pub async fn save_point(c: &mut AnyConnection, p: &RiskPoint, new: bool) -> Result<()> {
    let sql = if new {
        "INSERT INTO risk_points (id, enterprise_id, project_id, name, location, lon, lat, method, factors, score, level, \
         color, measures, responsible, review_on, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, NULLIF($6, 'NaN'), \
         NULLIF($7, 'NaN'), $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)"
    } else {
        "UPDATE risk_points SET enterprise_id = $2, project_id = $3, name = $4, location = $5, lon = NULLIF($6, 'NaN'), \
         lat = NULLIF($7, 'NaN'), method = $8, factors = $9, score = $10, level = $11, color = $12, measures = $13, \
         responsible = $14, review_on = $15, created_at = $16, updated_at = $17 WHERE id = $1"
    };
    let r = sqlx::query(sql)
        .bind(&p.id)
        .bind(&p.enterprise_id)
        .bind(&p.project_id)
        .bind(&p.name)
        .bind(&p.location)
        .bind(crate::opt_f64(p.lon))
        .bind(crate::opt_f64(p.lat))
        .bind(&p.method)
        .bind(&p.factors)
        .bind(p.score)
        .bind(&p.level)
        .bind(&p.color)
        .bind(&p.measures)
        .bind(&p.responsible)
        .bind(&p.review_on)
        .bind(p.created_at)
        .bind(p.updated_at)
        .execute(c)
        .await?;
    if r.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub async fn point(c: &mut AnyConnection, id: &str) -> Result<Option<RiskPoint>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {POINT_COLS} FROM risk_points p WHERE p.id = $1")))
        .bind(id)
        .fetch_optional(c)
        .await?)
}

/// Risk points the scope may see, of one enterprise or under a region
/// prefix, reddest first.
pub async fn points(
    c: &mut AnyConnection,
    scope: &Scope,
    enterprise_id: Option<&str>,
    region_prefix: Option<&str>,
) -> Result<Vec<(RiskPoint, String, String)>> {
    let mut f = Filter::new();
    f.scope(scope, "e.region_code", &["p.enterprise_id"]);
    if let Some(e) = enterprise_id {
        f.and("p.enterprise_id = {}", Bind::Text(e.into()));
    }
    if let Some(pr) = region_prefix {
        f.region_prefix("e.region_code", pr);
    }
    let sql = format!(
        "SELECT {POINT_COLS}, e.name AS enterprise_name, e.region_code AS region_code FROM risk_points p \
         JOIN enterprises e ON e.id = p.enterprise_id{} \
         ORDER BY CASE p.color WHEN 'red' THEN 0 WHEN 'orange' THEN 1 WHEN 'yellow' THEN 2 ELSE 3 END, p.score DESC, p.name",
        f.where_sql()
    );
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        p: RiskPoint,
        enterprise_name: String,
        region_code: String,
    }
    let rows: Vec<Row> = f.bind_as(sqlx::query_as(sqlx::AssertSqlSafe(sql))).fetch_all(c).await?;
    Ok(rows.into_iter().map(|r| (r.p, r.enterprise_name, r.region_code)).collect())
}
