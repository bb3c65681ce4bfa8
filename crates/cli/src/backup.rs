//! Backup and restore. SQLite: `VACUUM INTO` a consistent copy while the
//! server runs; restore checks the copy's integrity, then swaps it in
//! (server stopped). PostgreSQL: `pg_dump --format=custom` and
//! `pg_restore --clean --if-exists`, the standard tools.

use anjian_store::{Backend, Db};
use anyhow::{Context, bail};
use sqlx::{AssertSqlSafe, Connection, Executor};
use std::path::{Path, PathBuf};

fn sqlite_path(url: &str) -> PathBuf {
    let rest = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
    PathBuf::from(rest.split('?').next().unwrap_or(rest))
}

pub async fn backup(url: &str, out: &Path) -> anyhow::Result<()> {
    if out.exists() {
        bail!("目标文件已存在: {}", out.display());
    }
    match Backend::from_url(url)? {
        Backend::Sqlite => {
            let db = Db::open(url).await.context("无法打开数据库")?;
            let target = out.to_str().context("路径必须是 UTF-8")?.replace('\'', "''");
            let mut c = db.read().await?;
            c.execute(AssertSqlSafe(format!("VACUUM INTO '{target}'"))).await.context("VACUUM INTO 失败")?;
            drop(c);
            db.close().await;
            Ok(())
        }
        Backend::Postgres => {
            let status = std::process::Command::new("pg_dump")
                .args(["--format=custom", "--no-owner", "--file"])
                .arg(out)
                .arg(url)
                .status()
                .context("无法运行 pg_dump（请安装 PostgreSQL 客户端）")?;
            if !status.success() {
                bail!("pg_dump 失败: {status}");
            }
            Ok(())
        }
    }
}

pub async fn restore(url: &str, from: &Path) -> anyhow::Result<()> {
    if !from.is_file() {
        bail!("备份文件不存在: {}", from.display());
    }
    match Backend::from_url(url)? {
        Backend::Sqlite => {
            check_sqlite_backup(from).await?;
            let target = sqlite_path(url);
            if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)?;
            }
            let tmp = target.with_extension("restore-tmp");
            std::fs::copy(from, &tmp).context("复制备份失败")?;
            // The old WAL belongs to the old file: remove it before the swap.
            for ext in ["db-wal", "db-shm"] {
                let _ = std::fs::remove_file(target.with_extension(ext));
            }
            std::fs::rename(&tmp, &target).context("替换数据库文件失败")?;
            // Migrate the restored copy if it is older than this binary.
            let db = Db::open(url).await?;
            db.close().await;
            Ok(())
        }
        Backend::Postgres => {
            let status = std::process::Command::new("pg_restore")
                .args(["--clean", "--if-exists", "--no-owner", "--single-transaction", "--dbname"])
                .arg(url)
                .arg(from)
                .status()
                .context("无法运行 pg_restore（请安装 PostgreSQL 客户端）")?;
            if !status.success() {
                bail!("pg_restore 失败: {status}");
            }
            Ok(())
        }
    }
}

async fn check_sqlite_backup(path: &Path) -> anyhow::Result<()> {
    sqlx::any::install_default_drivers();
    let url = format!("sqlite://{}?mode=ro", path.display());
    let mut c = sqlx::AnyConnection::connect(&url).await.context("备份文件不是可读的 SQLite 数据库")?;
    let ok: String = sqlx::query_scalar("PRAGMA integrity_check").fetch_one(&mut c).await.context("完整性检查失败")?;
    if ok != "ok" {
        bail!("备份文件已损坏: {ok}");
    }
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM schema_migrations")
        .fetch_one(&mut c)
        .await
        .context("备份文件不是 anjian 数据库（缺少 schema_migrations）")?;
    if n == 0 {
        bail!("备份文件不含任何迁移记录");
    }
    c.close().await.ok();
    Ok(())
}
