//! The public page of a delivery ticket (the QR code's target, no login):
//! the ticket as printed, its sign-off, warnings and the strength result of
//! its batch, and every step's evidence-ledger entry with an inclusion proof
//! against the latest signed checkpoint — checked here, and given in full so
//! the page (or anyone) can check it again without trusting the server.
//!
//! Nothing personal is shown: the receiving signatory's name is masked, a
//! refusal's reason is not shown (only its hash is on the ledger).

use super::delivery::status_label;
use crate::{App, AppError, Result};
use anjian_ledger::{Checkpoint, NoteVerifier, canonical_json, leaf_hash};
use anjian_store::concrete as store;
use anjian_store::ledger as ledger_store;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicWarning {
    pub kind: String,
    pub label: String,
    pub limit_min: i64,
    pub elapsed_min: f64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicAcceptance {
    pub pass: bool,
    pub method: String,
    pub grade: String,
    pub n: i64,
    pub mean: Option<f64>,
    pub min: Option<f64>,
    pub assessed_at: String,
}

/// One step on the ledger with everything needed to check it offline.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicEntry {
    /// The record's id (the leaf's `id`).
    pub id: String,
    pub kind: String,
    pub label: String,
    pub at: String,
    /// The business content; its canonical JSON hashes to the leaf's `content`.
    #[schema(value_type = Object)]
    pub content: Value,
    /// Leaf index; null while the record waits to be sequenced (about a second).
    pub index: Option<u64>,
    /// The leaf data (canonical JSON) exactly as logged.
    pub record: Option<String>,
    /// SHA-256(0x00 ‖ record), base64.
    pub leaf_hash: Option<String>,
    /// Audit path from the leaf to the root of the checkpoint, base64.
    pub proof: Vec<String>,
    /// The server's own check of this entry against the signed checkpoint.
    pub verified: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicLedger {
    /// The ledger's verifier key (compare with the published one, `/api/v1/ledger/key`).
    pub vkey: String,
    /// The latest signed checkpoint (C2SP signed note).
    pub checkpoint: String,
    pub size: u64,
    /// The checkpoint's root hash, base64.
    pub root_hash: String,
    /// The checkpoint's signature checks with `vkey`.
    pub checkpoint_verified: bool,
    pub entries: Vec<PublicEntry>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicTicket {
    pub code: String,
    pub number: String,
    pub status: String,
    pub status_label: String,
    pub plant: String,
    pub plant_enterprise: String,
    pub plant_licence_no: Option<String>,
    pub project: String,
    pub project_address: String,
    pub pour_location: String,
    pub grade: String,
    pub marks: String,
    pub mix_code: String,
    pub slump_mm: i64,
    pub volume_m3: f64,
    pub truck: String,
    pub temperature_c: f64,
    pub mixed_at: String,
    pub departed_at: String,
    pub arrived_at: Option<String>,
    pub placed_at: Option<String>,
    pub site_slump_mm: Option<i64>,
    /// The receiving signatory, masked (e.g. 王**).
    pub receiver: Option<String>,
    pub received_at: Option<String>,
    pub warnings: Vec<PublicWarning>,
    /// The strength acceptance of the ticket's batch, once assessed.
    pub acceptance: Option<PublicAcceptance>,
    pub ledger: PublicLedger,
}

fn label(kind: &str) -> &'static str {
    match kind {
        "concrete.ticket.issued" => "搅拌站发货",
        "concrete.ticket.received" => "现场扫码签收",
        "concrete.ticket.rejected" => "现场拒收",
        "concrete.ticket.placed" => "浇筑完成",
        "concrete.warning.raised" => "质量预警",
        "concrete.acceptance.assessed" => "强度检验评定",
        _ => "",
    }
}

/// A name with all but its first character hidden.
pub fn mask_name(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => format!("{first}{}", "*".repeat(chars.count().clamp(1, 2))),
        None => String::new(),
    }
}

/// Whether a ticket has this public code.
pub async fn exists(app: &App, code: &str) -> Result<bool> {
    let mut c = app.db.read().await?;
    Ok(store::ticket(&mut c, code).await?.is_some_and(|(t, _)| t.code == code))
}

/// The public view of the ticket with this code.
pub async fn ticket(app: &App, code: &str) -> Result<PublicTicket> {
    let signer = crate::ledger::signer(app).await?;
    let mut c = app.db.read().await?;
    let (t, ctx) = store::ticket(&mut c, code).await?.filter(|(t, _)| t.code == code).ok_or(AppError::NotFound)?;
    let receiver = match &t.received_by {
        Some(u) => anjian_store::accounts::user_by_id(&mut c, u).await?.map(|u| mask_name(&u.display_name)),
        None => None,
    };
    let warnings = store::warnings_of_ticket(&mut c, &t.id)
        .await?
        .into_iter()
        .map(|w| PublicWarning {
            label: if w.kind == "transport" { "运输超时" } else { "浇筑超时" }.into(),
            elapsed_min: anjian_domain::concrete::minutes(w.elapsed_ms),
            kind: w.kind,
            limit_min: w.limit_min,
        })
        .collect();
    let mut events = store::events_of(&mut c, &t.id).await?;
    let acceptance = match &ctx.ctx_acceptance_id {
        Some(a) => {
            events.extend(store::events_of(&mut c, a).await?);
            store::acceptance(&mut c, a).await?.map(|a| {
                let r: Value = serde_json::from_str(&a.result).unwrap_or(Value::Null);
                PublicAcceptance {
                    pass: a.pass != 0,
                    method: a.method,
                    grade: a.grade,
                    n: a.n,
                    mean: r["mean"].as_f64(),
                    min: r["min"].as_f64(),
                    assessed_at: crate::time::fmt_local(a.created_at),
                }
            })
        }
        None => None,
    };
    let cp = ledger_store::latest_checkpoint(&mut c).await?.ok_or(AppError::NotFound)?;
    drop(c);
    let size = cp.size as u64;
    let verifier = NoteVerifier::from_vkey(&signer.vkey()).map_err(|e| AppError::Internal(e.to_string()))?;
    let checkpoint_verified = anjian_ledger::open_note(&cp.note, std::slice::from_ref(&verifier))
        .ok()
        .and_then(|n| Checkpoint::parse(&n.text).ok())
        .is_some_and(|p| p.size == size && p.root.as_slice() == cp.root.as_slice());
    let root: anjian_ledger::Hash =
        cp.root.as_slice().try_into().map_err(|_| AppError::Internal("checkpoint root is not 32 bytes".into()))?;
    let mut entries = Vec::with_capacity(events.len());
    let ids: Vec<String> = events.iter().map(|e| e.id.clone()).collect();
    let indexes = {
        let mut c = app.db.read().await?;
        crate::ledger::indexes_of(&mut c, &ids).await?
    };
    for e in events {
        let content: Value = serde_json::from_str(&e.content).unwrap_or(Value::Null);
        let mut entry = PublicEntry {
            label: label(&e.kind).into(),
            at: crate::time::fmt_local(e.at),
            kind: e.kind,
            content,
            index: None,
            record: None,
            leaf_hash: None,
            proof: vec![],
            verified: false,
            id: e.id,
        };
        if let Some(idx) = indexes.get(&entry.id).map(|i| *i as u64).filter(|i| *i < size) {
            let p = crate::ledger::inclusion(app, Some(idx), None, Some(size)).await?;
            let record = {
                let mut c = app.db.read().await?;
                ledger_store::entry(&mut c, idx).await?.map(|r| r.record)
            };
            entry.verified = checkpoint_verified && verify_entry(record.as_deref(), &entry.content, &p, &root);
            entry.index = Some(idx);
            entry.record = record;
            entry.leaf_hash = Some(p.leaf_hash);
            entry.proof = p.proof;
        }
        entries.push(entry);
    }
    Ok(PublicTicket {
        status_label: status_label(&t.status).into(),
        mixed_at: crate::time::fmt_local(t.mixed_at),
        departed_at: crate::time::fmt_local(t.departed_at),
        arrived_at: super::fmt_opt(t.arrived_at),
        placed_at: super::fmt_opt(t.placed_at),
        received_at: super::fmt_opt(t.received_at),
        code: t.code,
        number: t.number,
        status: t.status,
        plant: ctx.ctx_plant_name,
        plant_enterprise: ctx.ctx_plant_enterprise_name,
        plant_licence_no: ctx.ctx_plant_licence_no,
        project: ctx.ctx_project_name,
        project_address: ctx.ctx_project_address,
        pour_location: ctx.ctx_pour_location,
        grade: ctx.ctx_grade,
        marks: ctx.ctx_marks,
        mix_code: ctx.ctx_mix_code,
        slump_mm: t.slump_mm,
        volume_m3: t.volume_m3,
        truck: t.truck,
        temperature_c: t.temperature_c,
        site_slump_mm: t.site_slump_mm,
        receiver,
        warnings,
        acceptance,
        ledger: PublicLedger {
            vkey: signer.vkey(),
            checkpoint: cp.note,
            size,
            root_hash: B64.encode(root),
            checkpoint_verified,
            entries,
        },
    })
}

/// The record hashes to the proven leaf, names the content's hash, and the
/// audit path leads from the leaf to the signed root.
fn verify_entry(
    record: Option<&str>,
    content: &Value,
    p: &crate::ledger::InclusionProof,
    root: &anjian_ledger::Hash,
) -> bool {
    let Some(record) = record else { return false };
    let leaf = leaf_hash(record.as_bytes());
    if B64.encode(leaf) != p.leaf_hash {
        return false;
    }
    let logged: Value = serde_json::from_str(record).unwrap_or(Value::Null);
    let content_ok = canonical_json(content)
        .map(|c| hex::encode(<sha2::Sha256 as sha2::Digest>::digest(c.as_bytes())))
        .is_ok_and(|h| logged["content"].as_str() == Some(h.as_str()));
    let proof: Option<Vec<anjian_ledger::Hash>> =
        p.proof.iter().map(|h| B64.decode(h).ok().and_then(|b| b.try_into().ok())).collect();
    content_ok && proof.is_some_and(|proof| anjian_ledger::check_record(&proof, p.size, root, p.index, &leaf).is_ok())
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_are_masked() {
        assert_eq!(super::mask_name("王伟"), "王*");
        assert_eq!(super::mask_name("鑫达安平·王伟"), "鑫**");
        assert_eq!(super::mask_name("李"), "李*");
        assert_eq!(super::mask_name(""), "");
    }
}
