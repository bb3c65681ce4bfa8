//! The emergency resources registry (E1/E2): rescue teams, warehouses with
//! their supplies, equipment, shelters and hospitals, with their position.

use crate::filter::{Bind, Filter, Page};
use crate::{AnyConnection, Result, StoreError};
use anjian_domain::role::Scope;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Resource {
    pub id: String,
    /// rescue_team | warehouse | equipment | shelter | hospital
    pub kind: String,
    pub name: String,
    pub region_code: String,
    pub enterprise_id: Option<String>,
    pub address: String,
    pub lon: f64,
    pub lat: f64,
    pub contact_name: String,
    pub contact_phone: String,
    pub capacity: Option<i64>,
    pub capacity_unit: Option<String>,
    /// JSON array of `{name, quantity, unit}`.
    pub items: String,
    pub notes: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLS: &str = "id, kind, name, region_code, enterprise_id, address, lon, lat, contact_name, contact_phone, \
    capacity, capacity_unit, items, notes, created_at, updated_at";

type Query<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>;

/// Binds a resource's fields, `kind` to `notes`, as `$2`–`$14` (after the id):
/// the same positions in [`insert`] and [`update`].
fn bind_fields<'q>(q: Query<'q>, r: &'q Resource) -> Query<'q> {
    q.bind(&r.kind)
        .bind(&r.name)
        .bind(&r.region_code)
        .bind(&r.enterprise_id)
        .bind(&r.address)
        .bind(r.lon)
        .bind(r.lat)
        .bind(&r.contact_name)
        .bind(&r.contact_phone)
        .bind(r.capacity)
        .bind(&r.capacity_unit)
        .bind(&r.items)
        .bind(&r.notes)
}

pub async fn insert(c: &mut AnyConnection, r: &Resource) -> Result<()> {
    let q = sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO emergency_resources ({COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
    )));
    bind_fields(q.bind(&r.id), r)
        .bind(r.created_at)
        .bind(r.updated_at)
        .execute(c)
        .await
        .map_err(StoreError::unique("id"))?;
    Ok(())
}

pub async fn update(c: &mut AnyConnection, r: &Resource) -> Result<()> {
    let q = sqlx::query(
        "UPDATE emergency_resources SET kind = $2, name = $3, region_code = $4, enterprise_id = $5, address = $6, lon = $7, \
         lat = $8, contact_name = $9, contact_phone = $10, capacity = $11, capacity_unit = $12, items = $13, notes = $14, \
         updated_at = $15 WHERE id = $1",
    );
    bind_fields(q.bind(&r.id), r).bind(r.updated_at).execute(c).await?;
    Ok(())
}

pub async fn delete(c: &mut AnyConnection, id: &str) -> Result<()> {
    sqlx::query("DELETE FROM emergency_resources WHERE id = $1").bind(id).execute(c).await?;
    Ok(())
}

pub async fn get(c: &mut AnyConnection, id: &str) -> Result<Option<Resource>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {COLS} FROM emergency_resources WHERE id = $1")))
        .bind(id)
        .fetch_optional(c)
        .await?)
}

/// The resources the scope may see (regulators: their region's; enterprise
/// users: their enterprises'), optionally of one kind, by region and name.
pub async fn list(
    c: &mut AnyConnection,
    scope: &Scope,
    kind: Option<&str>,
    region_prefix: Option<&str>,
    page: Page,
) -> Result<(Vec<Resource>, i64)> {
    let mut f = Filter::new();
    f.scope(scope, "region_code", &["enterprise_id"]);
    if let Some(k) = kind {
        f.and("kind = {}", Bind::Text(k.into()));
    }
    if let Some(p) = region_prefix {
        f.region_prefix("region_code", p);
    }
    let w = f.where_sql();
    let total: i64 = f
        .bind_scalar(sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM emergency_resources{w}"))))
        .fetch_one(&mut *c)
        .await?;
    let sql = format!("SELECT {COLS} FROM emergency_resources{w} ORDER BY region_code, kind, name, id{}", page.sql());
    Ok((f.bind_as(sqlx::query_as(sqlx::AssertSqlSafe(sql))).fetch_all(&mut *c).await?, total))
}

/// Every resource inside a bounding box (lon, lat ranges), optionally of one
/// kind: the candidates for "nearest", ranked by the caller.
pub async fn in_box(
    c: &mut AnyConnection,
    kind: Option<&str>,
    lon: (f64, f64),
    lat: (f64, f64),
) -> Result<Vec<Resource>> {
    let mut f = Filter::new();
    f.and("lon >= {}", Bind::Real(lon.0));
    f.and("lon <= {}", Bind::Real(lon.1));
    f.and("lat >= {}", Bind::Real(lat.0));
    f.and("lat <= {}", Bind::Real(lat.1));
    if let Some(k) = kind {
        f.and("kind = {}", Bind::Text(k.into()));
    }
    let sql = format!("SELECT {COLS} FROM emergency_resources{}", f.where_sql());
    Ok(f.bind_as(sqlx::query_as(sqlx::AssertSqlSafe(sql))).fetch_all(c).await?)
}
