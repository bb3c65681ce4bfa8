//! Hotline import (H1): tickets from 12345/12350 as CSV (UTF-8, optional
//! BOM) or JSON. The batch is validated row by row first; if any row is bad
//! nothing is stored and every problem is reported with its row and field.
//! A ticket number seen before is skipped, so re-importing a file is safe.

use crate::hazards::{self, PublicReportInput};
use crate::{App, AppError, Caller, Result};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
pub struct Ticket {
    /// The hotline's ticket number (工单号): the dedupe key.
    pub ticket_no: String,
    pub description: String,
    pub lat: f64,
    pub lng: f64,
    /// Caller's phone; stored encrypted.
    #[serde(default)]
    pub contact: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RowError {
    /// 1-based data row (CSV header is row 0).
    pub row: usize,
    pub field: String,
    pub message: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    pub imported: usize,
    /// Tickets already imported before (skipped).
    pub duplicates: usize,
    pub errors: Vec<RowError>,
    /// Tracking codes of the imported tickets, in file order.
    pub tracking_codes: Vec<String>,
}

/// Parses CSV with the header `ticket_no,description,lat,lng[,contact]`.
pub fn parse_csv(bytes: &[u8]) -> std::result::Result<Vec<Ticket>, Vec<RowError>> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut rdr = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(bytes);
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (i, rec) in rdr.deserialize::<Ticket>().enumerate() {
        match rec {
            Ok(t) => out.push(t),
            Err(e) => {
                let field = match e.kind() {
                    csv::ErrorKind::Deserialize { err, .. } => err
                        .field()
                        .and_then(|f| ["ticket_no", "description", "lat", "lng", "contact"].get(f as usize))
                        .map(|s| s.to_string()),
                    _ => None,
                };
                errors.push(RowError { row: i + 1, field: field.unwrap_or_default(), message: e.to_string() });
            }
        }
    }
    if errors.is_empty() { Ok(out) } else { Err(errors) }
}

/// Imports tickets as public-channel hazards of channel `hotline`.
pub async fn import(app: &App, caller: &Caller, tickets: &[Ticket]) -> Result<ImportReport> {
    caller.require(caller.role.is_regulator())?;
    if tickets.is_empty() {
        return Err(AppError::field("tickets", "没有可导入的工单"));
    }
    if tickets.len() > 10_000 {
        return Err(AppError::field("tickets", "单次最多导入10000条"));
    }
    let mut errors = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, t) in tickets.iter().enumerate() {
        let row = i + 1;
        let no = t.ticket_no.trim();
        if no.is_empty() || no.len() > 64 || !no.is_ascii() {
            errors.push(RowError {
                row, field: "ticket_no".into(), message: "工单号应为1到64个ASCII字符".into()
            });
        } else if !seen.insert(no.to_string()) {
            errors.push(RowError { row, field: "ticket_no".into(), message: "文件内工单号重复".into() });
        }
        if t.description.trim().is_empty() {
            errors.push(RowError { row, field: "description".into(), message: "描述不能为空".into() });
        }
        if anjian_domain::registry::validate_point(Some(t.lng), Some(t.lat)).is_err() {
            errors.push(RowError { row, field: "lat".into(), message: "坐标无效".into() });
        }
    }
    if !errors.is_empty() {
        return Ok(ImportReport { imported: 0, duplicates: 0, errors, tracking_codes: vec![] });
    }
    let (imported, duplicates, codes) = hazards::import_hotline(app, caller, tickets).await.map_err(|e| match e {
        AppError::Invalid(f) => AppError::Invalid(f),
        other => other,
    })?;
    Ok(ImportReport { imported, duplicates, errors: vec![], tracking_codes: codes })
}

impl From<&Ticket> for PublicReportInput {
    fn from(t: &Ticket) -> Self {
        PublicReportInput {
            description: t.description.clone(),
            lat: t.lat,
            lng: t.lng,
            contact: t.contact.clone(),
            attachments: vec![],
        }
    }
}
