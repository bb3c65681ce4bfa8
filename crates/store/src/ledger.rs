//! Storage of the evidence ledger: pending records written by business
//! transactions, sequenced entries with their leaf hashes, the Merkle tree's
//! stored hashes (by stored-hash index), signed checkpoints and witness
//! cosignatures. The hashing itself lives in `anjian-ledger`; this module
//! only keeps bytes.

use crate::{AnyConnection, Backend, Result};
use serde::Serialize;
use sqlx::AssertSqlSafe;
use std::collections::HashMap;

/// A record waiting for the sequencer.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Pending {
    pub id: String,
    pub record: String,
    pub subject: String,
    pub created_at: i64,
}

/// A sequenced ledger entry.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Entry {
    pub idx: i64,
    /// The id the business event gave its record (e.g. the hazard event id).
    pub id: String,
    /// The canonical JSON record: its bytes are the leaf data.
    pub record: String,
    #[serde(skip)]
    pub leaf_hash: Vec<u8>,
    /// What the record is about (hazard id, attachment hash …), for lookups.
    pub subject: String,
    pub created_at: i64,
    pub sequenced_at: i64,
}

const ENTRY_COLS: &str = "idx, id, record, leaf_hash, subject, created_at, sequenced_at";

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct CheckpointRow {
    pub size: i64,
    pub root: Vec<u8>,
    pub note: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Cosignature {
    pub size: i64,
    pub witness: String,
    pub line: String,
    pub signed_at: i64,
    pub received_at: i64,
}

/// Queues a record inside the caller's transaction.
pub async fn enqueue(c: &mut AnyConnection, p: &Pending) -> Result<()> {
    enqueue_many(c, std::slice::from_ref(p)).await
}

/// Queues many records with multi-row INSERTs (a batch of reports).
pub async fn enqueue_many(c: &mut AnyConnection, ps: &[Pending]) -> Result<()> {
    for chunk in ps.chunks(crate::bulk_rows(c, 4)) {
        let sql = format!(
            "INSERT INTO ledger_pending (id, record, subject, created_at) VALUES {}",
            crate::placeholders(chunk.len(), 4)
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for p in chunk {
            q = q.bind(&p.id).bind(&p.record).bind(&p.subject).bind(p.created_at);
        }
        q.execute(&mut *c).await?;
    }
    Ok(())
}

pub async fn pending_count(c: &mut AnyConnection) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM ledger_pending").fetch_one(c).await?)
}

/// The oldest pending records, up to `limit`.
pub async fn pending(c: &mut AnyConnection, limit: i64) -> Result<Vec<Pending>> {
    Ok(sqlx::query_as("SELECT id, record, subject, created_at FROM ledger_pending ORDER BY id LIMIT $1")
        .bind(limit)
        .fetch_all(c)
        .await?)
}

/// Takes the sequencer's lock for this transaction. On PostgreSQL several
/// replicas may run a sequencer: a transaction-scoped advisory lock elects
/// one per pass (the others skip). On SQLite the single writer already
/// serialises them.
pub async fn try_lock_sequencer(c: &mut AnyConnection, backend: Backend) -> Result<bool> {
    match backend {
        Backend::Sqlite => Ok(true),
        Backend::Postgres => {
            // 0x616e6a69616e ("anjian") as the lock key.
            let got: bool =
                sqlx::query_scalar("SELECT pg_try_advisory_xact_lock(107105420830062)").fetch_one(c).await?;
            Ok(got)
        }
    }
}

/// The number of sequenced entries (the next leaf index).
pub async fn size(c: &mut AnyConnection) -> Result<u64> {
    let n: Option<i64> = sqlx::query_scalar("SELECT MAX(idx) FROM ledger_entries").fetch_one(c).await?;
    Ok(n.map_or(0, |n| n as u64 + 1))
}

fn placeholders(from: usize, n: usize) -> String {
    (from..from + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(",")
}

/// Stored hashes by stored-hash index. Missing ones are absent from the map.
pub async fn read_hashes(c: &mut AnyConnection, indexes: &[u64]) -> Result<HashMap<u64, Vec<u8>>> {
    let mut out = HashMap::with_capacity(indexes.len());
    for chunk in indexes.chunks(500) {
        let sql = format!("SELECT idx, hash FROM ledger_hashes WHERE idx IN ({})", placeholders(1, chunk.len()));
        let mut q = sqlx::query_as::<_, (i64, Vec<u8>)>(AssertSqlSafe(sql));
        for i in chunk {
            q = q.bind(*i as i64);
        }
        for (i, h) in q.fetch_all(&mut *c).await? {
            out.insert(i as u64, h);
        }
    }
    Ok(out)
}

/// Stored hashes with index in `from..to`, in index order.
pub async fn hashes_range(c: &mut AnyConnection, from: u64, to: u64) -> Result<Vec<(u64, Vec<u8>)>> {
    let rows: Vec<(i64, Vec<u8>)> =
        sqlx::query_as("SELECT idx, hash FROM ledger_hashes WHERE idx >= $1 AND idx < $2 ORDER BY idx")
            .bind(from as i64)
            .bind(to as i64)
            .fetch_all(c)
            .await?;
    Ok(rows.into_iter().map(|(i, h)| (i as u64, h)).collect())
}

/// Inserts stored hashes (many rows per statement).
pub async fn insert_hashes(c: &mut AnyConnection, hashes: &[(u64, [u8; 32])]) -> Result<()> {
    for chunk in hashes.chunks(400) {
        let values: Vec<String> = (0..chunk.len()).map(|i| format!("(${}, ${})", 2 * i + 1, 2 * i + 2)).collect();
        let sql = format!("INSERT INTO ledger_hashes (idx, hash) VALUES {}", values.join(","));
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for (i, h) in chunk {
            q = q.bind(*i as i64).bind(h.to_vec());
        }
        q.execute(&mut *c).await?;
    }
    Ok(())
}

/// Inserts sequenced entries and removes them from the pending queue.
pub async fn insert_entries(c: &mut AnyConnection, entries: &[Entry]) -> Result<()> {
    for chunk in entries.chunks(100) {
        let values: Vec<String> = (0..chunk.len())
            .map(|i| {
                let b = 7 * i;
                format!("(${}, ${}, ${}, ${}, ${}, ${}, ${})", b + 1, b + 2, b + 3, b + 4, b + 5, b + 6, b + 7)
            })
            .collect();
        let sql = format!("INSERT INTO ledger_entries ({ENTRY_COLS}) VALUES {}", values.join(","));
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for e in chunk {
            q = q
                .bind(e.idx)
                .bind(&e.id)
                .bind(&e.record)
                .bind(&e.leaf_hash)
                .bind(&e.subject)
                .bind(e.created_at)
                .bind(e.sequenced_at);
        }
        q.execute(&mut *c).await?;
        let sql = format!("DELETE FROM ledger_pending WHERE id IN ({})", placeholders(1, chunk.len()));
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for e in chunk {
            q = q.bind(&e.id);
        }
        q.execute(&mut *c).await?;
    }
    Ok(())
}

pub async fn entry(c: &mut AnyConnection, idx: u64) -> Result<Option<Entry>> {
    Ok(sqlx::query_as(AssertSqlSafe(format!("SELECT {ENTRY_COLS} FROM ledger_entries WHERE idx = $1")))
        .bind(idx as i64)
        .fetch_optional(c)
        .await?)
}

pub async fn entry_by_leaf_hash(c: &mut AnyConnection, leaf: &[u8]) -> Result<Option<Entry>> {
    Ok(sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {ENTRY_COLS} FROM ledger_entries WHERE leaf_hash = $1 ORDER BY idx LIMIT 1"
    )))
    .bind(leaf.to_vec())
    .fetch_optional(c)
    .await?)
}

/// Entries with index in `from..to`, in order.
pub async fn entries_range(c: &mut AnyConnection, from: u64, to: u64) -> Result<Vec<Entry>> {
    Ok(sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {ENTRY_COLS} FROM ledger_entries WHERE idx >= $1 AND idx < $2 ORDER BY idx"
    )))
    .bind(from as i64)
    .bind(to as i64)
    .fetch_all(c)
    .await?)
}

/// The ledger positions of records by their ids (e.g. a hazard's events).
pub async fn indexes_of(c: &mut AnyConnection, ids: &[String]) -> Result<HashMap<String, i64>> {
    let mut out = HashMap::new();
    for chunk in ids.chunks(500) {
        let sql = format!("SELECT id, idx FROM ledger_entries WHERE id IN ({})", placeholders(1, chunk.len()));
        let mut q = sqlx::query_as::<_, (String, i64)>(AssertSqlSafe(sql));
        for id in chunk {
            q = q.bind(id);
        }
        out.extend(q.fetch_all(&mut *c).await?);
    }
    Ok(out)
}

pub async fn entries_of_subject(c: &mut AnyConnection, subject: &str) -> Result<Vec<Entry>> {
    Ok(sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {ENTRY_COLS} FROM ledger_entries WHERE subject = $1 ORDER BY idx"
    )))
    .bind(subject)
    .fetch_all(c)
    .await?)
}

pub async fn insert_checkpoint(c: &mut AnyConnection, cp: &CheckpointRow) -> Result<()> {
    sqlx::query("INSERT INTO ledger_checkpoints (size, root, note, created_at) VALUES ($1, $2, $3, $4)")
        .bind(cp.size)
        .bind(&cp.root)
        .bind(&cp.note)
        .bind(cp.created_at)
        .execute(c)
        .await?;
    Ok(())
}

pub async fn latest_checkpoint(c: &mut AnyConnection) -> Result<Option<CheckpointRow>> {
    Ok(sqlx::query_as("SELECT size, root, note, created_at FROM ledger_checkpoints ORDER BY size DESC LIMIT 1")
        .fetch_optional(c)
        .await?)
}

pub async fn checkpoint(c: &mut AnyConnection, size: u64) -> Result<Option<CheckpointRow>> {
    Ok(sqlx::query_as("SELECT size, root, note, created_at FROM ledger_checkpoints WHERE size = $1")
        .bind(size as i64)
        .fetch_optional(c)
        .await?)
}

/// Stores a witness cosignature (a witness's newer line for the same
/// checkpoint replaces its older one).
pub async fn put_cosignature(c: &mut AnyConnection, s: &Cosignature) -> Result<()> {
    sqlx::query("DELETE FROM ledger_cosignatures WHERE size = $1 AND witness = $2")
        .bind(s.size)
        .bind(&s.witness)
        .execute(&mut *c)
        .await?;
    sqlx::query(
        "INSERT INTO ledger_cosignatures (size, witness, line, signed_at, received_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(s.size)
    .bind(&s.witness)
    .bind(&s.line)
    .bind(s.signed_at)
    .bind(s.received_at)
    .execute(c)
    .await?;
    Ok(())
}

pub async fn cosignatures(c: &mut AnyConnection, size: u64) -> Result<Vec<Cosignature>> {
    Ok(sqlx::query_as(
        "SELECT size, witness, line, signed_at, received_at FROM ledger_cosignatures WHERE size = $1 ORDER BY witness",
    )
    .bind(size as i64)
    .fetch_all(c)
    .await?)
}

/// The largest checkpoint size that has at least one cosignature.
pub async fn latest_cosigned_size(c: &mut AnyConnection) -> Result<Option<u64>> {
    let n: Option<i64> = sqlx::query_scalar("SELECT MAX(size) FROM ledger_cosignatures").fetch_one(c).await?;
    Ok(n.map(|n| n as u64))
}
