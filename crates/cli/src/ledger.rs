//! `anjian ledger …`: export the evidence ledger as a C2SP tlog-tiles tree
//! of files, verify such a copy offline (or the live database), and print
//! the verifier key.

use crate::{DbArgs, describe, load_config, open_app};
use anjian_ledger::{Mismatch, TileSource};
use anyhow::{Context, bail};
use clap::Subcommand;
use std::path::{Path, PathBuf};

#[derive(Subcommand)]
pub enum LedgerCommand {
    /// Print the verifier key (signed-note vkey) of the ledger's checkpoints.
    Key {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Sequence queued records now and sign a checkpoint (the server does this every second).
    Sequence {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Write the log as files in the C2SP tlog-tiles layout: `checkpoint`, `tile/…`,
    /// `tile/entries/…`, plus `vkey`. The copy can be verified offline and served statically.
    Export {
        #[command(flatten)]
        db: DbArgs,
        /// Output directory (created if missing).
        #[arg(long)]
        out: PathBuf,
    },
    /// Verify a log. With --dir: an exported or mirrored copy, offline, against --key; without:
    /// the live database against its latest signed checkpoint. Reports the first altered entry
    /// or node exactly; with --record, also proves that record's inclusion.
    Verify {
        #[command(flatten)]
        db: DbArgs,
        /// Directory holding `checkpoint` and `tile/…` (offline verification).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// The verifier key, or a file holding it (default: <dir>/vkey — only trust that if you
        /// made the copy yourself; take the key from a source you trust).
        #[arg(long)]
        key: Option<String>,
        /// A record (file with the exact leaf bytes) whose inclusion to prove.
        #[arg(long)]
        record: Option<PathBuf>,
    },
}

struct Dir(PathBuf);

impl TileSource for Dir {
    fn read(&self, path: &str) -> Option<Vec<u8>> {
        std::fs::read(self.0.join(path)).ok()
    }
}

fn describe_mismatch(m: &Mismatch) -> String {
    match m {
        Mismatch::Checkpoint { reason } => format!("检查点无效: {reason}"),
        Mismatch::Entry { index } => format!("第 {index} 条记录被改动（与树中的叶哈希不符）"),
        Mismatch::Node { level, index } => format!("第 {level} 层第 {index} 个节点哈希被改动"),
        Mismatch::Root { size } => format!("重算的根哈希与已签名检查点（大小 {size}）不符"),
        Mismatch::MissingTile { path } => format!("缺少 {path}"),
    }
}

fn read_key(key: Option<&str>, dir: &Path) -> anyhow::Result<String> {
    let k = match key {
        Some(k) if k.contains('+') => k.to_string(),
        Some(f) => std::fs::read_to_string(f).with_context(|| format!("无法读取公钥文件 {f}"))?,
        None => std::fs::read_to_string(dir.join("vkey")).context("未给出 --key，且目录中没有 vkey 文件")?,
    };
    Ok(k.trim().to_string())
}

pub async fn run(config: Option<&PathBuf>, command: LedgerCommand) -> anyhow::Result<()> {
    match command {
        LedgerCommand::Key { db } => {
            let app = open_app(&load_config(config, None, &db)?).await?;
            println!("{}", anjian_app::ledger::vkey(&app).await.map_err(describe)?);
            app.db.close().await;
            Ok(())
        }
        LedgerCommand::Sequence { db } => {
            let app = open_app(&load_config(config, None, &db)?).await?;
            let r = anjian_app::ledger::sequence_all(&app).await.map_err(describe)?;
            println!("新增 {} 条，账本共 {} 条", r.appended, r.size);
            app.db.close().await;
            Ok(())
        }
        LedgerCommand::Export { db, out } => {
            let app = open_app(&load_config(config, None, &db)?).await?;
            let note = anjian_app::ledger::checkpoint_note(&app).await.map_err(describe)?;
            let body = note.split_once("\n\n").map_or(note.clone(), |(b, _)| format!("{b}\n"));
            let cp = anjian_ledger::Checkpoint::parse(&body).map_err(|e| anyhow::anyhow!("{e}"))?;
            std::fs::create_dir_all(&out).with_context(|| format!("无法创建 {}", out.display()))?;
            let mut files = 0;
            for t in anjian_ledger::tiles_for_size(cp.size) {
                let path = t.path();
                let (data, _) = anjian_app::ledger::tile(&app, &path).await.map_err(describe)?;
                let file = out.join(&path);
                if let Some(parent) = file.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                std::fs::write(&file, data).with_context(|| format!("无法写入 {}", file.display()))?;
                files += 1;
            }
            std::fs::write(out.join("checkpoint"), &note)?;
            std::fs::write(out.join("vkey"), format!("{}\n", anjian_app::ledger::vkey(&app).await.map_err(describe)?))?;
            println!("已导出 {} 条记录（{files} 个瓦片）到 {}", cp.size, out.display());
            app.db.close().await;
            Ok(())
        }
        LedgerCommand::Verify { db, dir: Some(dir), key, record } => {
            let _ = db;
            let vkey = read_key(key.as_deref(), &dir)?;
            let src = Dir(dir.clone());
            match anjian_ledger::verify_log(&src, &vkey) {
                Ok(r) => {
                    println!("验证通过: {} 条记录，{} 个瓦片，根哈希 {}", r.size, r.tiles_checked, hex::encode(r.root))
                }
                Err(m) => bail!("验证失败: {}", describe_mismatch(&m)),
            }
            if let Some(f) = record {
                let bytes = std::fs::read(&f).with_context(|| format!("无法读取 {}", f.display()))?;
                match anjian_ledger::prove_inclusion_offline(&src, &vkey, &bytes) {
                    Ok((index, proof)) => {
                        println!("记录在账本中: 第 {index} 条，包含证明 {} 个哈希，已对照检查点验证", proof.len())
                    }
                    Err(m) => bail!("记录不在账本中: {}", describe_mismatch(&m)),
                }
            }
            Ok(())
        }
        LedgerCommand::Verify { db, dir: None, key: _, record } => {
            if record.is_some() {
                bail!("--record 需要与 --dir 一起使用（离线验证导出的账本）");
            }
            let app = open_app(&load_config(config, None, &db)?).await?;
            let r = anjian_app::ledger::audit(&app).await.map_err(describe)?;
            app.db.close().await;
            match r.first_mismatch {
                None => {
                    println!("验证通过: {} 条记录与已签名检查点一致", r.size);
                    Ok(())
                }
                Some(m) => bail!("验证失败: {}（已核对 {} 条）", m.message, r.entries_checked),
            }
        }
    }
}
