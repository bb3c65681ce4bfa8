//! The evidence ledger (区块链存证): every governance event is written as a
//! canonical JSON record into the ledger's queue inside the transaction of
//! the event itself; the sequencer turns queued records into leaves of an
//! RFC 6962 Merkle log in batches and signs a C2SP checkpoint for each batch.
//! Anyone with the public key can then check, offline, that a record is in
//! the log and that the log only ever grew.
//!
//! A leaf never holds personal data in clear: only ids, state names, SHA-256
//! hashes and the SHA-256 of the full business record (`content`), which the
//! holder of the record can recompute.

use crate::{App, AppError, Caller, Result};
use anjian_ledger::{
    Checkpoint, CosignatureVerifier, Frontier, Hash, HashReader, NoteSigner, NoteVerifier, canonical_json, leaf_hash,
};
use anjian_store::ledger::{self as store, CheckpointRow, Cosignature, Entry, Pending};
use anjian_store::{AnyConnection, now_ms, settings};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::Serialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::OnceCell;

/// Records per sequencer transaction.
pub const BATCH: i64 = 5_000;

/// Ledger settings from configuration.
#[derive(Debug, Clone, Default)]
pub struct LedgerConfig {
    /// The log's origin line, used only when the key is first created.
    pub origin: Option<String>,
    /// Verifier keys of the witnesses whose cosignatures are accepted.
    pub witnesses: Vec<String>,
}

/// The ledger's runtime state: configuration and the signing key (loaded
/// from the database, or created there at first start).
#[derive(Default)]
pub struct Ledger {
    pub config: LedgerConfig,
    signer: OnceCell<Arc<NoteSigner>>,
}

impl Ledger {
    pub fn new(config: LedgerConfig) -> Ledger {
        Ledger { config, signer: OnceCell::new() }
    }
}

/// One record to log. `content` is the full business record: it is hashed,
/// never stored in the leaf; `fields` are small public facts (state names,
/// attachment hashes) stored in the leaf as they are.
#[derive(Debug, Clone)]
pub struct Record<'a> {
    /// What happened, e.g. `hazard.dispatch`, `attachment.stored`.
    pub kind: &'a str,
    /// The id of what it happened to (hazard id, attachment SHA-256 …).
    pub subject: &'a str,
    /// The acting account's id, `system` or `public`.
    pub actor: &'a str,
    pub time_ms: i64,
    pub fields: Value,
    pub content: Value,
}

fn err(e: anjian_ledger::LedgerError) -> AppError {
    AppError::Internal(format!("ledger: {e}"))
}

/// SHA-256 hex of a value's canonical JSON. The log's canonical JSON admits
/// integers only; a business record may hold decimals (coordinates, scores,
/// readings), so before hashing each non-integer number is replaced by its
/// shortest round-trip decimal string (what ECMAScript's `String(x)` and
/// Rust's `Display` both write), which keeps the hash reproducible.
pub fn content_hash(v: &Value) -> Result<String> {
    let c = canonical_json(&decimals_as_strings(v)).map_err(err)?;
    Ok(hex::encode(Sha256::digest(c.as_bytes())))
}

fn decimals_as_strings(v: &Value) -> Value {
    match v {
        Value::Number(n) if n.as_i64().is_none() && n.as_u64().is_none() => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => json!(f as i64),
            Some(f) => Value::String(f.to_string()),
            None => Value::String(n.to_string()),
        },
        Value::Array(a) => Value::Array(a.iter().map(decimals_as_strings).collect()),
        Value::Object(m) => Value::Object(m.iter().map(|(k, x)| (k.clone(), decimals_as_strings(x))).collect()),
        other => other.clone(),
    }
}

/// The leaf data of a record: canonical JSON (RFC 8785).
pub fn leaf_record(id: &str, r: &Record<'_>) -> Result<String> {
    let v = json!({
        "v": 1,
        "id": id,
        "type": r.kind,
        "subject": r.subject,
        "actor": r.actor,
        "time": r.time_ms,
        "fields": r.fields,
        "content": content_hash(&r.content)?,
    });
    canonical_json(&v).map_err(err)
}

/// Queues a record inside the caller's transaction: it is sequenced into the
/// log if and only if that transaction commits. `id` links the entry back to
/// the business row (a hazard event id, an attachment hash …) and is unique.
pub async fn append(c: &mut AnyConnection, id: &str, r: &Record<'_>) -> Result<()> {
    store::enqueue(c, &pending(id, r)?).await?;
    Ok(())
}

/// The queued row of a record (for writers that insert many at once).
pub fn pending(id: &str, r: &Record<'_>) -> Result<Pending> {
    Ok(Pending { id: id.into(), record: leaf_record(id, r)?, subject: r.subject.into(), created_at: r.time_ms })
}

/// The actor field of a leaf for a caller.
pub fn actor_of(c: &Caller) -> String {
    c.actor_id().unwrap_or_else(|| if c.username == "public" { "public".into() } else { "system".into() })
}

// ---------------------------------------------------------------- the key

const KEY_SETTING: &str = "ledger.signing_key";
const ORIGIN_SETTING: &str = "ledger.origin";

/// The signing key, created at first use and kept (encrypted with the
/// platform's secret key) in the database, so every replica signs alike.
pub async fn signer(app: &App) -> Result<Arc<NoteSigner>> {
    app.ledger
        .signer
        .get_or_try_init(|| async {
            let mut tx = app.db.begin().await?;
            let origin = match &app.ledger.config.origin {
                Some(o) => o.clone(),
                None => format!("anjian.local/ledger/{}", hex::encode(crate::crypto::random_bytes::<4>())),
            };
            let origin = settings::set_if_absent(&mut tx, ORIGIN_SETTING, &origin).await?;
            let fresh = NoteSigner::generate(&origin);
            let enc = hex::encode(app.secrets.encrypt(&hex::encode(fresh.seed())));
            let stored = settings::set_if_absent(&mut tx, KEY_SETTING, &enc).await?;
            let seed_hex =
                app.secrets.decrypt(&hex::decode(&stored).map_err(|_| AppError::Internal("ledger key".into()))?)?;
            let seed: [u8; 32] = hex::decode(seed_hex.trim())
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| AppError::Internal("ledger key is not 32 bytes".into()))?;
            let signer = NoteSigner::from_seed(&origin, &seed).map_err(err)?;
            // The empty tree's checkpoint, so there is always one to serve.
            if store::latest_checkpoint(&mut tx).await?.is_none() {
                let cp = Checkpoint::new(&origin, 0, anjian_ledger::EMPTY_ROOT);
                let note = cp.sign(&signer).map_err(err)?;
                store::insert_checkpoint(
                    &mut tx,
                    &CheckpointRow { size: 0, root: cp.root.to_vec(), note, created_at: now_ms() },
                )
                .await?;
            }
            tx.commit().await?;
            Ok::<_, AppError>(Arc::new(signer))
        })
        .await
        .cloned()
}

/// The verifier key (signed-note vkey form) that checks the checkpoints.
pub async fn vkey(app: &App) -> Result<String> {
    Ok(signer(app).await?.vkey())
}

// ---------------------------------------------------------- the sequencer

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SequenceReport {
    pub appended: u64,
    pub size: u64,
}

/// Stored hashes by index, fetched in one query, as the ledger crate reads them.
type Map = HashMap<u64, Hash>;

async fn read_map(c: &mut AnyConnection, indexes: &[u64]) -> Result<Map> {
    let raw = store::read_hashes(c, indexes).await?;
    let mut m = HashMap::with_capacity(raw.len());
    for (i, h) in raw {
        let h: Hash = h.try_into().map_err(|_| AppError::Internal(format!("ledger hash {i} is not 32 bytes")))?;
        m.insert(i, h);
    }
    Ok(m)
}

/// Sequences up to [`BATCH`] queued records in one transaction: gives them
/// leaf indexes, stores the tree's new hashes and a signed checkpoint.
pub async fn sequence(app: &App) -> Result<SequenceReport> {
    let signer = signer(app).await?;
    let mut tx = app.db.begin().await?;
    if !store::try_lock_sequencer(&mut tx, app.db.backend()).await? {
        return Ok(SequenceReport::default());
    }
    let pending = store::pending(&mut tx, BATCH).await?;
    let n = store::size(&mut tx).await?;
    if pending.is_empty() {
        return Ok(SequenceReport { appended: 0, size: n });
    }
    let map = read_map(&mut tx, &Frontier::indexes(n)).await?;
    let mut frontier = Frontier::resume(n, &map).map_err(err)?;
    let now = now_ms();
    let mut entries = Vec::with_capacity(pending.len());
    let mut hashes = Vec::with_capacity(pending.len() * 2);
    for p in pending {
        let leaf = leaf_hash(p.record.as_bytes());
        let idx = frontier.size();
        hashes.extend(frontier.append(leaf));
        entries.push(Entry {
            idx: idx as i64,
            id: p.id,
            record: p.record,
            leaf_hash: leaf.to_vec(),
            subject: p.subject,
            created_at: p.created_at,
            sequenced_at: now,
        });
    }
    store::insert_entries(&mut tx, &entries).await?;
    store::insert_hashes(&mut tx, &hashes).await?;
    let size = frontier.size();
    let cp = Checkpoint::new(signer.name(), size, frontier.root());
    let note = cp.sign(&signer).map_err(err)?;
    store::insert_checkpoint(
        &mut tx,
        &CheckpointRow { size: size as i64, root: cp.root.to_vec(), note, created_at: now },
    )
    .await?;
    tx.commit().await?;
    Ok(SequenceReport { appended: entries.len() as u64, size })
}

/// Sequences until the queue is empty.
pub async fn sequence_all(app: &App) -> Result<SequenceReport> {
    let mut total = SequenceReport::default();
    loop {
        let r = sequence(app).await?;
        total.appended += r.appended;
        total.size = r.size;
        if r.appended < BATCH as u64 {
            return Ok(total);
        }
    }
}

/// Runs the sequencer forever: a checkpoint at most `every` after a record
/// arrives.
pub async fn run_forever(app: App, every: std::time::Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = sequence_all(&app).await {
            tracing::warn!(error = %e, "ledger sequencing failed");
        }
    }
}

// ------------------------------------------------------------------ reads

/// The latest signed checkpoint with the cosignatures collected for it.
pub async fn checkpoint_note(app: &App) -> Result<String> {
    signer(app).await?;
    let mut c = app.db.read().await?;
    let cp = store::latest_checkpoint(&mut c).await?.ok_or(AppError::NotFound)?;
    with_cosignatures(&mut c, cp).await
}

async fn with_cosignatures(c: &mut AnyConnection, cp: CheckpointRow) -> Result<String> {
    let mut note = cp.note;
    for s in store::cosignatures(c, cp.size as u64).await? {
        note.push_str(&s.line);
        if !s.line.ends_with('\n') {
            note.push('\n');
        }
    }
    Ok(note)
}

/// The latest checkpoint that a witness has cosigned (or the one of `size`).
pub async fn cosigned_note(app: &App, size: Option<u64>) -> Result<String> {
    let mut c = app.db.read().await?;
    let size = match size {
        Some(s) => s,
        None => store::latest_cosigned_size(&mut c).await?.ok_or(AppError::NotFound)?,
    };
    let cp = store::checkpoint(&mut c, size).await?.ok_or(AppError::NotFound)?;
    if store::cosignatures(&mut c, size).await?.is_empty() {
        return Err(AppError::NotFound);
    }
    with_cosignatures(&mut c, cp).await
}

async fn latest_size(c: &mut AnyConnection) -> Result<u64> {
    Ok(store::latest_checkpoint(c).await?.map_or(0, |cp| cp.size as u64))
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EntryView {
    pub index: u64,
    pub id: String,
    /// The leaf data: the canonical JSON record, parsed.
    pub record: Value,
    /// SHA-256(0x00 ‖ record), base64.
    pub leaf_hash: String,
    /// Whether the stored record still hashes to the leaf the tree was built
    /// from. `false` means the row was altered after it was logged.
    pub consistent: bool,
    pub sequenced_at: String,
}

fn entry_view(e: Entry, tree_leaf: Option<&[u8]>) -> EntryView {
    let recomputed = leaf_hash(e.record.as_bytes());
    let consistent = e.leaf_hash == recomputed && tree_leaf.is_none_or(|t| t == recomputed);
    EntryView {
        index: e.idx as u64,
        record: serde_json::from_str(&e.record).unwrap_or(Value::String(e.record.clone())),
        id: e.id,
        leaf_hash: B64.encode(recomputed),
        consistent,
        sequenced_at: crate::time::fmt_local(e.sequenced_at),
    }
}

/// An entry by its leaf index, checked against the tree's stored leaf hash.
pub async fn entry(app: &App, index: u64) -> Result<EntryView> {
    let mut c = app.db.read().await?;
    let e = store::entry(&mut c, index).await?.ok_or(AppError::NotFound)?;
    let tree = store::read_hashes(&mut c, &[anjian_ledger::stored_hash_index(0, index)]).await?;
    let tree_leaf = tree.values().next().cloned();
    Ok(entry_view(e, tree_leaf.as_deref()))
}

/// The ledger entries recorded about one subject (e.g. a hazard's events),
/// with their positions.
pub async fn entries_of(app: &App, subject: &str) -> Result<Vec<EntryView>> {
    let mut c = app.db.read().await?;
    Ok(store::entries_of_subject(&mut c, subject).await?.into_iter().map(|e| entry_view(e, None)).collect())
}

/// Leaf indexes of records by their ids (`None` while still queued).
pub async fn indexes_of(c: &mut AnyConnection, ids: &[String]) -> Result<HashMap<String, i64>> {
    Ok(store::indexes_of(c, ids).await?)
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InclusionProof {
    pub index: u64,
    pub size: u64,
    /// base64
    pub leaf_hash: String,
    /// The tree head of `size`, base64.
    pub root_hash: String,
    /// Audit path, leaf to root, base64 hashes.
    pub proof: Vec<String>,
    /// The signed checkpoint of `size`, when one was issued.
    pub checkpoint: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ConsistencyProof {
    pub from: u64,
    pub to: u64,
    pub from_root: String,
    pub to_root: String,
    pub proof: Vec<String>,
    pub checkpoint: Option<String>,
}

fn b64s(hs: &[Hash]) -> Vec<String> {
    hs.iter().map(|h| B64.encode(h)).collect()
}

/// Parses a hash given as base64 or 64 hex characters.
pub fn parse_hash(field: &str, s: &str) -> Result<Hash> {
    let bytes = if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
        hex::decode(s).ok()
    } else {
        B64.decode(s).ok().or_else(|| base64::engine::general_purpose::URL_SAFE.decode(s).ok())
    };
    bytes
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| AppError::field(field, "应为 32 字节哈希（base64 或 64 位十六进制）"))
}

async fn tree_size_arg(c: &mut AnyConnection, size: Option<u64>) -> Result<u64> {
    let latest = latest_size(c).await?;
    match size {
        None => Ok(latest),
        Some(s) if s <= latest => Ok(s),
        Some(_) => Err(AppError::field("size", format!("不能超过最新检查点的大小 {latest}"))),
    }
}

/// Inclusion proof of leaf `index` (or of the leaf with `leaf_hash`) in the
/// tree of `size` (default: the latest checkpoint).
pub async fn inclusion(app: &App, index: Option<u64>, leaf: Option<&str>, size: Option<u64>) -> Result<InclusionProof> {
    let mut c = app.db.read().await?;
    let size = tree_size_arg(&mut c, size).await?;
    let index = match (index, leaf) {
        (Some(i), _) => i,
        (None, Some(h)) => {
            let h = parse_hash("leaf_hash", h)?;
            store::entry_by_leaf_hash(&mut c, &h).await?.ok_or(AppError::NotFound)?.idx as u64
        }
        (None, None) => return Err(AppError::field("index", "需要 index 或 leaf_hash")),
    };
    if index >= size {
        return Err(AppError::field("index", format!("应小于树的大小 {size}")));
    }
    let mut need = anjian_ledger::prove_record_indexes(size, index);
    need.extend(anjian_ledger::tree_hash_indexes(size));
    need.push(anjian_ledger::stored_hash_index(0, index));
    let map = read_map(&mut c, &need).await?;
    let proof = anjian_ledger::prove_record(size, index, &map).map_err(err)?;
    let root = anjian_ledger::tree_hash(size, &map).map_err(err)?;
    let leaf = map.read_hashes(&[anjian_ledger::stored_hash_index(0, index)]).map_err(err)?[0];
    let checkpoint = store::checkpoint(&mut c, size).await?.map(|cp| cp.note);
    Ok(InclusionProof {
        index,
        size,
        leaf_hash: B64.encode(leaf),
        root_hash: B64.encode(root),
        proof: b64s(&proof),
        checkpoint,
    })
}

/// Consistency proof that the tree of `from` is a prefix of the tree of `to`.
pub async fn consistency(app: &App, from: u64, to: Option<u64>) -> Result<ConsistencyProof> {
    let mut c = app.db.read().await?;
    let to = tree_size_arg(&mut c, to).await?;
    if from > to {
        return Err(AppError::field("from", format!("不能大于 to（{to}）")));
    }
    let mut need = anjian_ledger::prove_tree_indexes(to, from);
    need.extend(anjian_ledger::tree_hash_indexes(to));
    need.extend(anjian_ledger::tree_hash_indexes(from));
    let map = read_map(&mut c, &need).await?;
    let proof = anjian_ledger::prove_tree(to, from, &map).map_err(err)?;
    Ok(ConsistencyProof {
        from,
        to,
        from_root: B64.encode(anjian_ledger::tree_hash(from, &map).map_err(err)?),
        to_root: B64.encode(anjian_ledger::tree_hash(to, &map).map_err(err)?),
        proof: b64s(&proof),
        checkpoint: store::checkpoint(&mut c, to).await?.map(|cp| cp.note),
    })
}

// ------------------------------------------------------------------ tiles

/// A C2SP tlog-tiles resource (`tile/L/N[.p/W]`, `tile/entries/N[.p/W]`)
/// for the latest checkpoint. Returns the bytes and whether they can never
/// change (full tiles).
pub async fn tile(app: &App, path: &str) -> Result<(Vec<u8>, bool)> {
    let t = anjian_ledger::Tile::parse(path).map_err(|_| AppError::NotFound)?;
    let mut c = app.db.read().await?;
    let size = latest_size(&mut c).await?;
    let available = anjian_ledger::tile_at(size, t.level, t.n).map_or(0, |a| u64::from(a.width));
    let width = u64::from(t.width);
    if width > available {
        return Err(AppError::NotFound);
    }
    let full = width == anjian_ledger::TILE_WIDTH;
    let data = match t.level {
        anjian_ledger::TileLevel::Entries => {
            let start = t.n * anjian_ledger::TILE_WIDTH;
            let rows = store::entries_range(&mut c, start, start + width).await?;
            if rows.len() as u64 != width {
                return Err(AppError::Internal(format!("ledger entries missing in tile {path}")));
            }
            let refs: Vec<&[u8]> = rows.iter().map(|e| e.record.as_bytes()).collect();
            anjian_ledger::encode_entry_bundle(&refs).map_err(err)?
        }
        anjian_ledger::TileLevel::Hashes(_) => {
            let idx = anjian_ledger::tile_hash_indexes(&t);
            let map = read_map(&mut c, &idx).await?;
            map.read_hashes(&idx).map_err(err)?.concat()
        }
    };
    Ok((data, full))
}

// -------------------------------------------------------------- witnesses

/// Accepts a checkpoint cosigned by a configured witness: `note` is one of
/// our checkpoints (body unchanged) followed by the witness's signature
/// line(s). Returns the checkpoint with every cosignature collected so far.
pub async fn add_cosignature(app: &App, note: &str) -> Result<String> {
    if app.ledger.config.witnesses.is_empty() {
        return Err(AppError::field("note", "未配置见证方公钥（ledger_witnesses）"));
    }
    let (body, sigs) = note
        .split_once("\n\n")
        .map(|(b, s)| (format!("{b}\n"), s))
        .ok_or_else(|| AppError::field("note", "不是签名文本（缺少正文与签名之间的空行）"))?;
    let cp = Checkpoint::parse(&body).map_err(|e| AppError::field("note", format!("检查点格式错误: {e}")))?;
    let mut c = app.db.read().await?;
    let ours = store::checkpoint(&mut c, cp.size)
        .await?
        .ok_or_else(|| AppError::field("note", "本平台未签发该大小的检查点"))?;
    drop(c);
    if !ours.note.starts_with(&body) || ours.note.as_bytes().get(body.len()) != Some(&b'\n') {
        return Err(AppError::field("note", "检查点内容与本平台签发的不一致"));
    }
    let mut accepted = Vec::new();
    for line in sigs.lines().filter(|l| l.starts_with("— ")) {
        for w in &app.ledger.config.witnesses {
            let line_nl = format!("{line}\n");
            if let Ok(v) = CosignatureVerifier::from_vkey(w) {
                if line.split(' ').nth(1) == Some(v.name())
                    && let Ok(ts) = v.verify_line(&body, &line_nl)
                {
                    accepted.push((v.name().to_string(), line_nl, ts as i64 * 1000));
                }
            } else if let Ok(v) = NoteVerifier::from_vkey(w) {
                let single = format!("{body}\n{line_nl}");
                if line.split(' ').nth(1) == Some(v.name())
                    && anjian_ledger::open_note(&single, std::slice::from_ref(&v)).is_ok()
                {
                    accepted.push((v.name().to_string(), line_nl, now_ms()));
                }
            }
        }
    }
    if accepted.is_empty() {
        return Err(AppError::field("note", "没有来自已配置见证方的有效签名"));
    }
    let mut tx = app.db.begin().await?;
    for (witness, line, signed_at) in accepted {
        store::put_cosignature(
            &mut tx,
            &Cosignature { size: cp.size as i64, witness, line, signed_at, received_at: now_ms() },
        )
        .await?;
    }
    tx.commit().await?;
    cosigned_note(app, Some(cp.size)).await
}

// ---------------------------------------------------------- verification

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Mismatch {
    /// entry | node | root | checkpoint | missing
    pub kind: String,
    /// The leaf index (entry) or the node's index at its level.
    pub index: Option<u64>,
    pub level: Option<u32>,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AuditReport {
    pub ok: bool,
    pub size: u64,
    pub entries_checked: u64,
    pub first_mismatch: Option<Mismatch>,
}

fn mismatch(kind: &str, index: Option<u64>, level: Option<u32>, message: String) -> Mismatch {
    Mismatch { kind: kind.into(), index, level, message }
}

/// Re-verifies the whole stored log against the latest signed checkpoint:
/// every record must hash to its stored leaf, every stored node must be the
/// hash of its children, and the root must be the one signed. Reports the
/// first mismatch exactly. Streams tile by tile (constant memory).
pub async fn audit(app: &App) -> Result<AuditReport> {
    let signer = signer(app).await?;
    let verifier = NoteVerifier::from_vkey(&signer.vkey()).map_err(err)?;
    let mut c = app.db.read().await?;
    let cp_row = store::latest_checkpoint(&mut c).await?.ok_or(AppError::NotFound)?;
    let size = cp_row.size as u64;
    let report = |checked: u64, m: Option<Mismatch>| AuditReport {
        ok: m.is_none(),
        size,
        entries_checked: checked,
        first_mismatch: m,
    };
    let checkpoint = match anjian_ledger::open_note(&cp_row.note, std::slice::from_ref(&verifier))
        .map_err(|e| e.to_string())
        .and_then(|n| Checkpoint::parse(&n.text).map_err(|e| e.to_string()))
    {
        Ok(cp) if cp.size == size => cp,
        Ok(_) => return Ok(report(0, Some(mismatch("checkpoint", None, None, "检查点大小与记录不符".into())))),
        Err(e) => return Ok(report(0, Some(mismatch("checkpoint", None, None, format!("检查点签名无效: {e}"))))),
    };
    let mut frontier = Frontier::new();
    const STEP: u64 = 4_096;
    let mut start = 0;
    while start < size {
        let end = (start + STEP).min(size);
        let rows = store::entries_range(&mut c, start, end).await?;
        let stored: HashMap<u64, Vec<u8>> =
            store::hashes_range(&mut c, anjian_ledger::stored_hash_count(start), anjian_ledger::stored_hash_count(end))
                .await?
                .into_iter()
                .collect();
        let mut rows = rows.into_iter().peekable();
        for i in start..end {
            let Some(e) = rows.next_if(|e| e.idx as u64 == i) else {
                return Ok(report(i, Some(mismatch("missing", Some(i), None, format!("第 {i} 条记录缺失")))));
            };
            let leaf = leaf_hash(e.record.as_bytes());
            if e.leaf_hash != leaf {
                return Ok(report(i, Some(mismatch("entry", Some(i), None, format!("第 {i} 条记录内容被改动")))));
            }
            for (si, h) in frontier.append(leaf) {
                let (level, k) = anjian_ledger::split_stored_hash_index(si);
                if stored.get(&si).map(Vec::as_slice) != Some(&h[..]) {
                    let m = if level == 0 {
                        mismatch("entry", Some(k), None, format!("第 {k} 条记录与树中的叶哈希不符"))
                    } else {
                        mismatch("node", Some(k), Some(level), format!("第 {level} 层第 {k} 个节点哈希被改动"))
                    };
                    return Ok(report(i, Some(m)));
                }
            }
        }
        start = end;
    }
    if frontier.root() != checkpoint.root {
        return Ok(report(size, Some(mismatch("root", Some(size), None, "重算的根哈希与已签名检查点不符".into()))));
    }
    Ok(report(size, None))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_with_decimals_hashes_reproducibly() {
        let a = content_hash(&json!({"lat": 36.7512, "score": 94.44, "n": 3, "whole": 50.0})).unwrap();
        let b = content_hash(&json!({"whole": 50, "n": 3, "score": 94.44, "lat": 36.7512})).unwrap();
        assert_eq!(a, b, "key order and 50.0 vs 50 do not change the hash");
        assert_ne!(a, content_hash(&json!({"lat": 36.7513, "score": 94.44, "n": 3, "whole": 50})).unwrap());
        assert_eq!(decimals_as_strings(&json!([0.97, 1])), json!(["0.97", 1]));
    }
}
