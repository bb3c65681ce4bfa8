//! `anjian bench ledger`: evidence-ledger throughput and proof latency.
//!
//! 1. Appends: `--entries` records of realistic size are queued the way
//!    business transactions queue them (100 per transaction), then the real
//!    sequencer turns them into leaves, stored hashes and signed checkpoints.
//!    Reported as appends/s, against the raw SHA-256 rate of this machine
//!    over the same records measured in the same run (the physical limit:
//!    the log must at least hash every record once).
//! 2. Proof latency: a log of `--proof-log` entries (default 10 million) is
//!    built with the same `Frontier` code, written straight into the ledger
//!    tables in large transactions (the queue would only add time), then
//!    random inclusion proofs are served by the same use case the API calls.

use anjian_app::App;
use anjian_app::crypto::Secrets;
use anjian_app::ledger::{self, LedgerConfig};
use anjian_ledger::{Frontier, leaf_hash};
use anjian_store::ledger::{Entry, Pending};
use anyhow::Context;
use std::time::Instant;

pub struct Args {
    pub database: Option<String>,
    pub entries: u64,
    pub proof_log: u64,
    pub proofs: u64,
}

/// A record shaped like a hazard event leaf (about 330 bytes).
fn record(i: u64) -> String {
    format!(
        "{{\"actor\":\"0193a1b2-c3d4-7e5f-8a9b-{i:012x}\",\"content\":\"{:064x}\",\"fields\":{{\"attachments\":[],\"code\":\"YH20261125{i:06}\",\"from\":\"pending\",\"grade\":\"general\",\"party\":\"enterprise\",\"to\":\"in_progress\"}},\"id\":\"0193a1b2-c3d4-7e5f-9a9b-{i:012x}\",\"subject\":\"0193a1b2-c3d4-7e5f-aa9b-{i:012x}\",\"time\":1795564800000,\"type\":\"hazard.start\",\"v\":1}}",
        u128::from(i) * 0x9E37_79B9_7F4A_7C15
    )
}

async fn open(url: &str) -> anyhow::Result<App> {
    let db = anjian_store::Db::open(url).await.context("无法打开数据库")?;
    Ok(App::new(db, Secrets::from_key(&[42; 32]))
        .with_ledger(LedgerConfig { origin: Some("bench.anjian/ledger".into()), witnesses: vec![] }))
}

fn fresh_url(database: &Option<String>, name: &str) -> anyhow::Result<String> {
    match database {
        Some(u) => Ok(u.clone()),
        None => {
            let dir = std::env::temp_dir().join(format!("anjian-bench-ledger-{}", std::process::id()));
            std::fs::create_dir_all(&dir)?;
            Ok(format!("sqlite://{}/{name}.db", dir.display()))
        }
    }
}

async fn ensure_empty(app: &App) -> anyhow::Result<()> {
    let mut c = app.db.read().await?;
    let n = anjian_store::ledger::size(&mut c).await?;
    let p = anjian_store::ledger::pending_count(&mut c).await?;
    if n > 0 || p > 0 {
        anyhow::bail!("基准测试需要空账本（该数据库已有 {n} 条账本记录、{p} 条待排序记录）：请换一个数据库");
    }
    Ok(())
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

pub async fn run(a: Args) -> anyhow::Result<()> {
    // ---- raw SHA-256 over the same records (the physical limit)
    let records: Vec<String> = (0..a.entries).map(record).collect();
    let bytes: usize = records.iter().map(String::len).sum();
    let t = Instant::now();
    let mut acc = 0u8;
    for r in &records {
        acc ^= leaf_hash(r.as_bytes())[0];
    }
    let sha_secs = t.elapsed().as_secs_f64();
    std::hint::black_box(acc);
    let sha_rate = a.entries as f64 / sha_secs;
    println!(
        "raw SHA-256 (one core): {:.0} leaves/s over {} records of {} bytes on average",
        sha_rate,
        a.entries,
        bytes / records.len().max(1)
    );

    // ---- appends through the queue and the sequencer
    let url = fresh_url(&a.database, "appends")?;
    let app = open(&url).await?;
    ensure_empty(&app).await?;
    ledger::signer(&app).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let t = Instant::now();
    for (chunk_no, chunk) in records.chunks(100).enumerate() {
        let mut tx = app.db.begin().await?;
        for (k, r) in chunk.iter().enumerate() {
            let i = chunk_no * 100 + k;
            anjian_store::ledger::enqueue(
                &mut tx,
                &Pending { id: format!("bench-{i:012}"), record: r.clone(), subject: format!("s{i}"), created_at: 0 },
            )
            .await?;
        }
        tx.commit().await?;
    }
    let enqueue_secs = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let rep = ledger::sequence_all(&app).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let seq_secs = t.elapsed().as_secs_f64();
    anyhow::ensure!(rep.size == a.entries, "sequenced {} of {}", rep.size, a.entries);
    let audit = ledger::audit(&app).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    anyhow::ensure!(audit.ok, "the benchmark log does not verify: {:?}", audit.first_mismatch);
    let seq_rate = a.entries as f64 / seq_secs;
    let total_rate = a.entries as f64 / (enqueue_secs + seq_secs);
    println!("backend: {}", app.db.backend().as_str());
    println!("queue (100 records per transaction): {:.0} records/s", a.entries as f64 / enqueue_secs);
    println!(
        "sequencer (batches of {}, stored hashes + signed checkpoint per batch): {seq_rate:.0} appends/s = {:.4} of raw SHA-256",
        ledger::BATCH,
        seq_rate / sha_rate
    );
    println!("queue + sequencer end to end: {total_rate:.0} appends/s = {:.4} of raw SHA-256", total_rate / sha_rate);
    app.db.close().await;

    // ---- inclusion proofs on a large log
    if a.proof_log == 0 {
        return Ok(());
    }
    let url = fresh_url(&a.database.as_ref().map(|_| url.clone()), "proofs")?;
    let app = if a.database.is_some() {
        // Same database: continue the log from where the append phase left it.
        open(&url).await?
    } else {
        let app = open(&url).await?;
        ensure_empty(&app).await?;
        app
    };
    let signer = ledger::signer(&app).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let start_size = {
        let mut c = app.db.read().await?;
        anjian_store::ledger::size(&mut c).await?
    };
    let target = a.proof_log.max(start_size);
    let mut frontier = {
        let mut c = app.db.read().await?;
        let raw = anjian_store::ledger::read_hashes(&mut c, &Frontier::indexes(start_size)).await?;
        let map: std::collections::HashMap<u64, [u8; 32]> =
            raw.into_iter().map(|(k, v)| (k, v.try_into().unwrap_or([0; 32]))).collect();
        Frontier::resume(start_size, &map)?
    };
    let t = Instant::now();
    const CHUNK: u64 = 50_000;
    while frontier.size() < target {
        let n = CHUNK.min(target - frontier.size());
        let mut entries = Vec::with_capacity(n as usize);
        let mut hashes = Vec::with_capacity(2 * n as usize);
        for _ in 0..n {
            let i = frontier.size();
            let r = record(i);
            let leaf = leaf_hash(r.as_bytes());
            hashes.extend(frontier.append(leaf));
            entries.push(Entry {
                idx: i as i64,
                id: format!("bulk-{i:012}"),
                record: r,
                leaf_hash: leaf.to_vec(),
                subject: format!("s{i}"),
                created_at: 0,
                sequenced_at: 0,
            });
        }
        let mut tx = app.db.begin().await?;
        anjian_store::ledger::insert_entries(&mut tx, &entries).await?;
        anjian_store::ledger::insert_hashes(&mut tx, &hashes).await?;
        if frontier.size() == target {
            let cp = anjian_ledger::Checkpoint::new(signer.name(), target, frontier.root());
            let note = cp.sign(&signer)?;
            anjian_store::ledger::insert_checkpoint(
                &mut tx,
                &anjian_store::ledger::CheckpointRow {
                    size: target as i64,
                    root: cp.root.to_vec(),
                    note,
                    created_at: anjian_store::now_ms(),
                },
            )
            .await?;
        }
        tx.commit().await?;
        if frontier.size() % 1_000_000 < CHUNK {
            eprintln!("  {} entries ({:.0} s)", frontier.size(), t.elapsed().as_secs_f64());
        }
    }
    println!("built a log of {target} entries in {:.0} s", t.elapsed().as_secs_f64());
    let root = frontier.root();
    let mut lat = Vec::with_capacity(a.proofs as usize);
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    for _ in 0..a.proofs {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let i = x % target;
        let t = Instant::now();
        let p = ledger::inclusion(&app, Some(i), None, Some(target)).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        lat.push(t.elapsed().as_secs_f64() * 1000.0);
        // Check every proof: a fast wrong answer is no answer.
        let proof: Vec<[u8; 32]> = p.proof.iter().map(|h| decode(h)).collect::<anyhow::Result<_>>()?;
        anjian_ledger::check_record(&proof, target, &root, i, &decode(&p.leaf_hash)?)?;
    }
    lat.sort_by(f64::total_cmp);
    println!(
        "inclusion proof, log of {target}: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms over {} random leaves (all verified)",
        pct(&lat, 0.5),
        pct(&lat, 0.99),
        lat.last().copied().unwrap_or(0.0),
        lat.len()
    );
    app.db.close().await;
    Ok(())
}

fn decode(b64: &str) -> anyhow::Result<[u8; 32]> {
    use base64::Engine;
    let v = base64::engine::general_purpose::STANDARD.decode(b64)?;
    v.try_into().map_err(|_| anyhow::anyhow!("hash is not 32 bytes"))
}
