//! People (R4 basic): workers with ID numbers stored encrypted. The store
//! only sees ciphertext, the masked form and a keyed digest for dedupe; the
//! app encrypts and decrypts.

use crate::filter::{Bind, Filter, Page};
use crate::{AnyConnection, Result, StoreError};
use anjian_domain::role::Scope;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Person {
    pub id: String,
    pub enterprise_id: String,
    pub name: String,
    pub id_number_enc: Vec<u8>,
    pub id_number_masked: String,
    pub id_number_digest: String,
    pub job: String,
    /// JSON array of certificates.
    pub certificates: String,
    pub created_at: i64,
}

const COLS: &str = "p.id, p.enterprise_id, p.name, p.id_number_enc, p.id_number_masked, p.id_number_digest, p.job, p.certificates, p.created_at";

pub async fn insert(c: &mut AnyConnection, p: &Person) -> Result<()> {
    sqlx::query(
        "INSERT INTO people (id, enterprise_id, name, id_number_enc, id_number_masked, id_number_digest, job, certificates, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&p.id)
    .bind(&p.enterprise_id)
    .bind(&p.name)
    .bind(&p.id_number_enc)
    .bind(&p.id_number_masked)
    .bind(&p.id_number_digest)
    .bind(&p.job)
    .bind(&p.certificates)
    .bind(p.created_at)
    .execute(c)
    .await
    .map_err(StoreError::unique("id_number"))?;
    Ok(())
}

/// The person and the region of their enterprise (for scope checks).
pub async fn get(c: &mut AnyConnection, id: &str) -> Result<Option<(Person, String)>> {
    let sql = format!(
        "SELECT {COLS}, e.region_code FROM people p JOIN enterprises e ON e.id = p.enterprise_id WHERE p.id = $1"
    );
    let row: Option<PersonWithRegion> = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(c).await?;
    Ok(row.map(|r| (r.person, r.region_code)))
}

#[derive(sqlx::FromRow)]
struct PersonWithRegion {
    #[sqlx(flatten)]
    person: Person,
    region_code: String,
}

pub async fn list(
    c: &mut AnyConnection,
    scope: &Scope,
    enterprise_id: Option<&str>,
    page: Page,
) -> Result<(Vec<Person>, i64)> {
    let mut f = Filter::new();
    f.scope(scope, "e.region_code", &["p.enterprise_id"]);
    if let Some(e) = enterprise_id {
        f.and("p.enterprise_id = {}", Bind::Text(e.into()));
    }
    let w = f.where_sql();
    let from = "FROM people p JOIN enterprises e ON e.id = p.enterprise_id";
    let total: i64 = f
        .bind_scalar(sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) {from}{w}"))))
        .fetch_one(&mut *c)
        .await?;
    let sql = format!("SELECT {COLS} {from}{w} ORDER BY p.enterprise_id, p.name, p.id{}", page.sql());
    let items = f.bind_as(sqlx::query_as(sqlx::AssertSqlSafe(sql))).fetch_all(&mut *c).await?;
    Ok((items, total))
}
