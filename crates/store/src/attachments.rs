//! Attachments, content-addressed by SHA-256 and stored in the database.

use crate::{AnyConnection, Result};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Attachment {
    pub sha256: String,
    pub mime: String,
    pub size: i64,
    pub content: Vec<u8>,
    pub exif_lat: Option<f64>,
    pub exif_lon: Option<f64>,
    pub exif_time: Option<String>,
    pub created_at: i64,
}

/// Stores the attachment unless the same content is already there. Returns
/// whether it was new.
pub async fn put(c: &mut AnyConnection, a: &Attachment) -> Result<bool> {
    let r = sqlx::query(
        "INSERT INTO attachments (sha256, mime, size, content, exif_lat, exif_lon, exif_time, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (sha256) DO NOTHING",
    )
    .persistent(crate::can_prepare_null_f64(c)) // see "Optional floats" in lib.rs
    .bind(&a.sha256)
    .bind(&a.mime)
    .bind(a.size)
    .bind(&a.content)
    .bind(a.exif_lat)
    .bind(a.exif_lon)
    .bind(&a.exif_time)
    .bind(a.created_at)
    .execute(c)
    .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn get(c: &mut AnyConnection, sha256: &str) -> Result<Option<Attachment>> {
    Ok(sqlx::query_as(
        "SELECT sha256, mime, size, content, exif_lat, exif_lon, exif_time, created_at FROM attachments WHERE sha256 = $1",
    )
    .bind(sha256)
    .fetch_optional(c)
    .await?)
}
