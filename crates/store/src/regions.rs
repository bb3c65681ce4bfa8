//! The region tree (R1): GB/T 2260 codes down to grids, polygons as GeoJSON.

use crate::filter::{Bind, Filter};
use crate::{AnyConnection, Result, StoreError};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Region {
    pub code: String,
    pub parent_code: Option<String>,
    pub name: String,
    pub level: String,
    pub centroid_lon: Option<f64>,
    pub centroid_lat: Option<f64>,
}

#[derive(Debug, Clone)]
pub struct NewRegion {
    pub code: String,
    pub parent_code: Option<String>,
    pub name: String,
    pub level: String,
    /// GeoJSON geometry as text.
    pub geometry: Option<String>,
    pub centroid_lon: Option<f64>,
    pub centroid_lat: Option<f64>,
}

const COLS: &str = "code, parent_code, name, level, centroid_lon, centroid_lat";

pub async fn insert(c: &mut AnyConnection, r: &NewRegion, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO regions (code, parent_code, name, level, geometry, centroid_lon, centroid_lat, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .persistent(crate::can_prepare_null_f64(c)) // see "Optional floats" in lib.rs
    .bind(&r.code)
    .bind(&r.parent_code)
    .bind(&r.name)
    .bind(&r.level)
    .bind(&r.geometry)
    .bind(r.centroid_lon)
    .bind(r.centroid_lat)
    .bind(now)
    .execute(c)
    .await
    .map_err(StoreError::unique("code"))?;
    Ok(())
}

pub async fn get(c: &mut AnyConnection, code: &str) -> Result<Option<Region>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {COLS} FROM regions WHERE code = $1")))
        .bind(code)
        .fetch_optional(c)
        .await?)
}

pub async fn geometry(c: &mut AnyConnection, code: &str) -> Result<Option<String>> {
    let row: Option<(Option<String>,)> =
        sqlx::query_as("SELECT geometry FROM regions WHERE code = $1").bind(code).fetch_optional(c).await?;
    Ok(row.and_then(|r| r.0))
}

pub async fn exists(c: &mut AnyConnection, code: &str) -> Result<bool> {
    Ok(get(c, code).await?.is_some())
}

fn list_filter(parent: Option<&str>, prefix: Option<&str>, level: Option<&str>) -> Filter {
    let mut f = Filter::new();
    if let Some(p) = parent {
        f.and("parent_code = {}", Bind::Text(p.into()));
    }
    if let Some(p) = prefix {
        f.region_prefix("code", p);
    }
    if let Some(l) = level {
        f.and("level = {}", Bind::Text(l.into()));
    }
    f
}

/// Regions matching the filters, ordered by code.
pub async fn list(
    c: &mut AnyConnection,
    parent: Option<&str>,
    prefix: Option<&str>,
    level: Option<&str>,
) -> Result<Vec<Region>> {
    let f = list_filter(parent, prefix, level);
    let sql = format!("SELECT {COLS} FROM regions{} ORDER BY code", f.where_sql());
    Ok(f.bind_as(sqlx::query_as(sqlx::AssertSqlSafe(sql))).fetch_all(c).await?)
}

/// The GeoJSON geometries (as text) of the regions [`list`] returns.
pub async fn list_geometries(
    c: &mut AnyConnection,
    parent: Option<&str>,
    prefix: Option<&str>,
    level: Option<&str>,
) -> Result<Vec<(String, Option<String>)>> {
    let f = list_filter(parent, prefix, level);
    let sql = format!("SELECT code, geometry FROM regions{} ORDER BY code", f.where_sql());
    Ok(f.bind_as(sqlx::query_as(sqlx::AssertSqlSafe(sql))).fetch_all(c).await?)
}

/// Leaf regions (grids) with their polygons, for snapping a point to a grid.
pub async fn grid_geometries(c: &mut AnyConnection) -> Result<Vec<(String, String)>> {
    Ok(sqlx::query_as("SELECT code, geometry FROM regions WHERE level = 'grid' AND geometry IS NOT NULL ORDER BY code")
        .fetch_all(c)
        .await?)
}

pub async fn count(c: &mut AnyConnection) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM regions").fetch_one(c).await?)
}
