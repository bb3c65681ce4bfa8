//! Enterprises and their licences (R2).

use crate::filter::{Bind, Filter, Page};
use crate::{AnyConnection, Result, StoreError};
use anjian_domain::role::Scope;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Enterprise {
    pub id: String,
    pub uscc: String,
    pub name: String,
    pub industry: String,
    pub address: String,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    pub region_code: String,
    pub scale: String,
    /// JSON array of `{role, name, phone}`.
    pub responsible: String,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLS: &str =
    "id, uscc, name, industry, address, lon, lat, region_code, scale, responsible, created_at, updated_at";

pub async fn insert(c: &mut AnyConnection, e: &Enterprise) -> Result<()> {
    sqlx::query(
        "INSERT INTO enterprises (id, uscc, name, industry, address, lon, lat, region_code, scale, responsible, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .persistent(crate::can_prepare_null_f64(c)) // see "Optional floats" in lib.rs
    .bind(&e.id)
    .bind(&e.uscc)
    .bind(&e.name)
    .bind(&e.industry)
    .bind(&e.address)
    .bind(e.lon)
    .bind(e.lat)
    .bind(&e.region_code)
    .bind(&e.scale)
    .bind(&e.responsible)
    .bind(e.created_at)
    .bind(e.updated_at)
    .execute(c)
    .await
    .map_err(StoreError::unique("uscc"))?;
    Ok(())
}

pub async fn update(c: &mut AnyConnection, e: &Enterprise) -> Result<()> {
    let r = sqlx::query(
        "UPDATE enterprises SET uscc = $2, name = $3, industry = $4, address = $5, lon = $6, lat = $7, \
         region_code = $8, scale = $9, responsible = $10, updated_at = $11 WHERE id = $1",
    )
    .persistent(crate::can_prepare_null_f64(c)) // see "Optional floats" in lib.rs
    .bind(&e.id)
    .bind(&e.uscc)
    .bind(&e.name)
    .bind(&e.industry)
    .bind(&e.address)
    .bind(e.lon)
    .bind(e.lat)
    .bind(&e.region_code)
    .bind(&e.scale)
    .bind(&e.responsible)
    .bind(e.updated_at)
    .execute(c)
    .await
    .map_err(StoreError::unique("uscc"))?;
    if r.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub async fn get(c: &mut AnyConnection, id: &str) -> Result<Option<Enterprise>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {COLS} FROM enterprises WHERE id = $1")))
        .bind(id)
        .fetch_optional(c)
        .await?)
}

#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub region_prefix: Option<String>,
    pub industry: Option<String>,
    /// Substring of the name or the USCC.
    pub q: Option<String>,
}

/// A page of the enterprises `scope` may see, and the total that match.
pub async fn list(c: &mut AnyConnection, scope: &Scope, q: &ListQuery, page: Page) -> Result<(Vec<Enterprise>, i64)> {
    let mut f = Filter::new();
    f.scope(scope, "region_code", &["id"]);
    if let Some(p) = &q.region_prefix {
        f.region_prefix("region_code", p);
    }
    if let Some(i) = &q.industry {
        f.and("industry = {}", Bind::Text(i.clone()));
    }
    if let Some(s) = &q.q {
        let pat = format!("%{}%", s.replace(['%', '_'], ""));
        let a = f.next(Bind::Text(pat.clone()));
        let b = f.next(Bind::Text(pat));
        f.and_raw(format!("(name LIKE {a} OR uscc LIKE {b})"));
    }
    let w = f.where_sql();
    let total: i64 = f
        .bind_scalar(sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM enterprises{w}"))))
        .fetch_one(&mut *c)
        .await?;
    let sql = format!("SELECT {COLS} FROM enterprises{w} ORDER BY region_code, name, id{}", page.sql());
    let items = f.bind_as(sqlx::query_as(sqlx::AssertSqlSafe(sql))).fetch_all(&mut *c).await?;
    Ok((items, total))
}

/// Every enterprise `scope` may see (optionally under a region prefix),
/// for computations over all of them (discipline, duty rates).
pub async fn all_in_scope(
    c: &mut AnyConnection,
    scope: &Scope,
    region_prefix: Option<&str>,
) -> Result<Vec<Enterprise>> {
    let mut f = Filter::new();
    f.scope(scope, "region_code", &["id"]);
    if let Some(p) = region_prefix {
        f.region_prefix("region_code", p);
    }
    let sql = format!("SELECT {COLS} FROM enterprises{} ORDER BY region_code, name, id", f.where_sql());
    Ok(f.bind_as(sqlx::query_as(sqlx::AssertSqlSafe(sql))).fetch_all(c).await?)
}

pub async fn count(c: &mut AnyConnection) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM enterprises").fetch_one(c).await?)
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Licence {
    pub id: String,
    pub enterprise_id: String,
    pub kind: String,
    pub number: String,
    pub issued_on: Option<String>,
    pub expires_on: Option<String>,
    pub created_at: i64,
}

pub async fn insert_licence(c: &mut AnyConnection, l: &Licence) -> Result<()> {
    sqlx::query(
        "INSERT INTO licences (id, enterprise_id, kind, number, issued_on, expires_on, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&l.id)
    .bind(&l.enterprise_id)
    .bind(&l.kind)
    .bind(&l.number)
    .bind(&l.issued_on)
    .bind(&l.expires_on)
    .bind(l.created_at)
    .execute(c)
    .await?;
    Ok(())
}

/// An enterprise with the expiry dates of its licences.
#[derive(Debug, Clone, PartialEq)]
pub struct LicenceExpiries {
    pub id: String,
    pub name: String,
    pub region_code: String,
    pub industry: String,
    /// One per licence (None: no expiry); empty when it holds none.
    pub expiries: Vec<Option<String>>,
}

/// Enterprises the scope may see under a region prefix, each with the
/// expiry dates of its licences.
pub async fn with_licence_expiries(
    c: &mut AnyConnection,
    scope: &Scope,
    region_prefix: Option<&str>,
) -> Result<Vec<LicenceExpiries>> {
    let mut f = Filter::new();
    f.scope(scope, "e.region_code", &["e.id"]);
    if let Some(p) = region_prefix {
        f.region_prefix("e.region_code", p);
    }
    let sql = format!(
        "SELECT e.id, e.name, e.region_code, e.industry, l.id AS licence_id, l.expires_on FROM enterprises e \
         LEFT JOIN licences l ON l.enterprise_id = e.id{} ORDER BY e.id",
        f.where_sql()
    );
    #[derive(sqlx::FromRow)]
    struct Row {
        id: String,
        name: String,
        region_code: String,
        industry: String,
        licence_id: Option<String>,
        expires_on: Option<String>,
    }
    let rows: Vec<Row> = f.bind_as(sqlx::query_as(sqlx::AssertSqlSafe(sql))).fetch_all(c).await?;
    let mut out: Vec<LicenceExpiries> = Vec::new();
    for r in rows {
        if out.last().is_none_or(|l| l.id != r.id) {
            out.push(LicenceExpiries {
                id: r.id,
                name: r.name,
                region_code: r.region_code,
                industry: r.industry,
                expiries: vec![],
            });
        }
        if r.licence_id.is_some() {
            out.last_mut().expect("pushed").expiries.push(r.expires_on);
        }
    }
    Ok(out)
}

pub async fn licences_of(c: &mut AnyConnection, enterprise_id: &str) -> Result<Vec<Licence>> {
    Ok(sqlx::query_as(
        "SELECT id, enterprise_id, kind, number, issued_on, expires_on, created_at FROM licences \
         WHERE enterprise_id = $1 ORDER BY expires_on, id",
    )
    .bind(enterprise_id)
    .fetch_all(c)
    .await?)
}
