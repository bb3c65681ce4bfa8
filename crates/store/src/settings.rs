//! Small key/value settings kept in the database (e.g. the demo marker).

use crate::{AnyConnection, Result};

pub async fn get(c: &mut AnyConnection, key: &str) -> Result<Option<String>> {
    Ok(sqlx::query_scalar("SELECT value FROM settings WHERE key = $1").bind(key).fetch_optional(c).await?)
}

pub async fn set(c: &mut AnyConnection, key: &str, value: &str) -> Result<()> {
    sqlx::query("DELETE FROM settings WHERE key = $1").bind(key).execute(&mut *c).await?;
    sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2)").bind(key).bind(value).execute(c).await?;
    Ok(())
}

/// Sets `key` unless it is set already (safe when several processes race to
/// initialise it); returns the value that is stored afterwards.
pub async fn set_if_absent(c: &mut AnyConnection, key: &str, value: &str) -> Result<String> {
    sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
        .bind(key)
        .bind(value)
        .execute(&mut *c)
        .await?;
    Ok(sqlx::query_scalar("SELECT value FROM settings WHERE key = $1").bind(key).fetch_one(c).await?)
}
