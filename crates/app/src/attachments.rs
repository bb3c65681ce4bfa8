//! Attachments (H1, H6): photos, videos and PDFs, checked by their content
//! (not their name), size-limited, stored content-addressed by SHA-256, with
//! EXIF GPS position and time read when present.

use crate::{App, AppError, Caller, Result};
use anjian_store::attachments::{self, Attachment};
use anjian_store::now_ms;
use serde::Serialize;

/// The largest attachment accepted.
pub const MAX_BYTES: usize = 20 * 1024 * 1024;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AttachmentView {
    pub sha256: String,
    pub mime: String,
    pub size: i64,
    pub exif_lat: Option<f64>,
    pub exif_lon: Option<f64>,
    /// EXIF DateTimeOriginal as written by the camera (local time, no zone).
    pub exif_time: Option<String>,
}

/// The type of a file by its first bytes; only the accepted kinds.
pub fn sniff(b: &[u8]) -> Option<&'static str> {
    if b.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if b.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if b.len() >= 12 && &b[0..4] == b"RIFF" && &b[8..12] == b"WEBP" {
        Some("image/webp")
    } else if b.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if b.len() >= 12 && &b[4..8] == b"ftyp" {
        Some("video/mp4")
    } else {
        None
    }
}

/// GPS position and original time from a JPEG's EXIF block, when present.
pub fn read_exif(bytes: &[u8]) -> (Option<f64>, Option<f64>, Option<String>) {
    let Ok(ex) = exif::Reader::new().read_from_container(&mut std::io::Cursor::new(bytes)) else {
        return (None, None, None);
    };
    let coord = |tag, ref_tag, neg: &str| -> Option<f64> {
        let f = ex.get_field(tag, exif::In::PRIMARY)?;
        let v = match &f.value {
            exif::Value::Rational(r) if r.len() >= 3 => r[0].to_f64() + r[1].to_f64() / 60.0 + r[2].to_f64() / 3600.0,
            _ => return None,
        };
        let sign = ex
            .get_field(ref_tag, exif::In::PRIMARY)
            .map(|r| r.display_value().to_string())
            .is_some_and(|s| s.starts_with(neg));
        Some(if sign { -v } else { v })
    };
    let lat = coord(exif::Tag::GPSLatitude, exif::Tag::GPSLatitudeRef, "S");
    let lon = coord(exif::Tag::GPSLongitude, exif::Tag::GPSLongitudeRef, "W");
    let time = ex
        .get_field(exif::Tag::DateTimeOriginal, exif::In::PRIMARY)
        .or_else(|| ex.get_field(exif::Tag::DateTime, exif::In::PRIMARY))
        .map(|f| f.display_value().to_string());
    (lat.filter(|v| v.is_finite()), lon.filter(|v| v.is_finite()), time)
}

/// Stores an upload. `field` names the form field in errors.
pub async fn upload(app: &App, caller: Option<&Caller>, field: &str, bytes: &[u8]) -> Result<AttachmentView> {
    if bytes.is_empty() {
        return Err(AppError::field(field, "文件为空"));
    }
    if bytes.len() > MAX_BYTES {
        return Err(AppError::field(field, format!("文件不能超过 {} MB", MAX_BYTES / 1024 / 1024)));
    }
    let mime =
        sniff(bytes).ok_or_else(|| AppError::field(field, "只接受 JPEG、PNG、WebP 图片，PDF 文件或 MP4 视频"))?;
    let (exif_lat, exif_lon, exif_time) = if mime == "image/jpeg" { read_exif(bytes) } else { (None, None, None) };
    let a = Attachment {
        sha256: crate::crypto::sha256_hex(bytes),
        mime: mime.into(),
        size: bytes.len() as i64,
        content: bytes.to_vec(),
        exif_lat,
        exif_lon,
        exif_time,
        created_at: now_ms(),
    };
    let mut tx = app.db.begin().await?;
    if attachments::put(&mut tx, &a).await? {
        // New content: its hash goes on the evidence ledger (never the content).
        let actor = caller.map_or_else(|| "public".to_string(), crate::ledger::actor_of);
        let fields = serde_json::json!({"sha256": a.sha256, "mime": a.mime, "size": a.size});
        crate::ledger::append(
            &mut tx,
            &format!("attachment/{}", a.sha256),
            &crate::ledger::Record {
                kind: "attachment.stored",
                subject: &a.sha256,
                actor: &actor,
                time_ms: a.created_at,
                content: fields.clone(),
                fields,
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(AttachmentView {
        sha256: a.sha256,
        mime: a.mime,
        size: a.size,
        exif_lat: a.exif_lat,
        exif_lon: a.exif_lon,
        exif_time: a.exif_time,
    })
}

/// The content of an attachment, if the caller may see a hazard that uses it
/// (or uploaded it within a hazard not yet visible: then 404).
pub async fn download(app: &App, caller: &Caller, sha256: &str) -> Result<(String, Vec<u8>)> {
    if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(AppError::NotFound);
    }
    let mut c = app.db.read().await?;
    let hazards: Vec<String> = sqlx_hazards_using(&mut c, sha256).await?;
    let mut visible = false;
    for id in hazards {
        if crate::hazards::get(app, caller, &id).await.is_ok() {
            visible = true;
            break;
        }
    }
    if !visible {
        for id in anjian_store::inspections::inspections_with_attachment(&mut c, sha256).await? {
            if crate::inspections::get(app, caller, &id).await.is_ok() {
                visible = true;
                break;
            }
        }
    }
    if !visible {
        for id in anjian_store::inspections::documents_with_pdf(&mut c, sha256).await? {
            if crate::documents::get(app, caller, &id).await.is_ok() {
                visible = true;
                break;
            }
        }
    }
    if !visible {
        return Err(AppError::NotFound);
    }
    let a = attachments::get(&mut c, sha256).await?.ok_or(AppError::NotFound)?;
    Ok((a.mime, a.content))
}

async fn sqlx_hazards_using(c: &mut anjian_store::AnyConnection, sha256: &str) -> Result<Vec<String>> {
    Ok(anjian_store::hazards::hazards_with_attachment(c, sha256).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_by_content_not_name() {
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0]), Some("image/jpeg"));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff(b"%PDF-1.7"), Some("application/pdf"));
        assert_eq!(sniff(b"\0\0\0\x18ftypmp42"), Some("video/mp4"));
        assert_eq!(sniff(b"MZ\x90\0 an exe"), None);
        assert_eq!(sniff(b"<svg onload=alert(1)>"), None);
        assert_eq!(read_exif(b"not an image"), (None, None, None));
    }
}
