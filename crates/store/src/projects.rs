//! Construction projects with their three responsible parties (建设/施工/监理).

use crate::filter::{Filter, Page};
use crate::{AnyConnection, Result};
use anjian_domain::role::Scope;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Project {
    pub id: String,
    pub name: String,
    pub region_code: String,
    pub address: String,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    pub builder_id: String,
    pub contractor_id: String,
    pub supervisor_id: String,
    pub start_on: Option<String>,
    pub status: String,
    pub created_at: i64,
}

const COLS: &str =
    "id, name, region_code, address, lon, lat, builder_id, contractor_id, supervisor_id, start_on, status, created_at";

pub async fn insert(c: &mut AnyConnection, p: &Project) -> Result<()> {
    sqlx::query(
        "INSERT INTO projects (id, name, region_code, address, lon, lat, builder_id, contractor_id, supervisor_id, start_on, status, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .persistent(crate::can_prepare_null_f64(c)) // see "Optional floats" in lib.rs
    .bind(&p.id)
    .bind(&p.name)
    .bind(&p.region_code)
    .bind(&p.address)
    .bind(p.lon)
    .bind(p.lat)
    .bind(&p.builder_id)
    .bind(&p.contractor_id)
    .bind(&p.supervisor_id)
    .bind(&p.start_on)
    .bind(&p.status)
    .bind(p.created_at)
    .execute(c)
    .await?;
    Ok(())
}

pub async fn get(c: &mut AnyConnection, id: &str) -> Result<Option<Project>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {COLS} FROM projects WHERE id = $1")))
        .bind(id)
        .fetch_optional(c)
        .await?)
}

/// Projects visible to `scope`: regulators by location, enterprise users
/// when their enterprise is one of the three parties.
pub async fn list(
    c: &mut AnyConnection,
    scope: &Scope,
    region_prefix: Option<&str>,
    page: Page,
) -> Result<(Vec<Project>, i64)> {
    let mut f = Filter::new();
    f.scope(scope, "region_code", &["builder_id", "contractor_id", "supervisor_id"]);
    if let Some(p) = region_prefix {
        f.region_prefix("region_code", p);
    }
    let w = f.where_sql();
    let total: i64 = f
        .bind_scalar(sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM projects{w}"))))
        .fetch_one(&mut *c)
        .await?;
    let sql = format!("SELECT {COLS} FROM projects{w} ORDER BY region_code, name, id{}", page.sql());
    let items = f.bind_as(sqlx::query_as(sqlx::AssertSqlSafe(sql))).fetch_all(&mut *c).await?;
    Ok((items, total))
}
