//! Versioned, forward-only migrations, one SQL file per version per backend
//! (`migrations/sqlite/NNNN_name.sql`, `migrations/postgres/NNNN_name.sql`),
//! embedded in the binary and applied at start-up inside a transaction each.

use crate::{Backend, Db, Result, StoreError, now_ms};
use sqlx::{AssertSqlSafe, Executor};

/// (version, name, sql) for one backend.
pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

macro_rules! migrations {
    ($dir:literal: $($v:literal $name:literal),* $(,)?) => {
        &[$(Migration {
            version: $v,
            name: $name,
            sql: include_str!(concat!("../../../migrations/", $dir, "/", $name, ".sql")),
        }),*]
    };
}

pub const SQLITE: &[Migration] = migrations!("sqlite": 1 "0001_foundation", 2 "0002_hazards", 3 "0003_major_hazards", 4 "0004_counters", 5 "0005_monitoring", 6 "0006_ledger", 7 "0007_contacts", 8 "0008_risk_registers", 9 "0009_emergency", 10 "0010_inspections", 11 "0011_monitoring_storage", 12 "0012_concrete", 13 "0013_hazard_rollup", 14 "0014_device_upkeep", 15 "0015_hour_rollups_sealed", 16 "0016_readings_unreferenced", 17 "0017_device_changes", 18 "0018_readings_by_key_only", 19 "0019_minute_rollups_sealed", 20 "0020_minute_seal_without_pause");
pub const POSTGRES: &[Migration] = migrations!("postgres": 1 "0001_foundation", 2 "0002_hazards", 3 "0003_major_hazards", 4 "0004_counters", 5 "0005_monitoring", 6 "0006_ledger", 7 "0007_contacts", 8 "0008_risk_registers", 9 "0009_emergency", 10 "0010_inspections", 11 "0011_monitoring_storage", 12 "0012_concrete", 13 "0013_hazard_rollup", 14 "0014_device_upkeep", 15 "0015_hour_rollups_sealed", 16 "0016_readings_unreferenced", 17 "0017_device_changes", 18 "0018_readings_by_key_only", 19 "0019_minute_rollups_sealed", 20 "0020_minute_seal_without_pause");

pub fn for_backend(b: Backend) -> &'static [Migration] {
    match b {
        Backend::Sqlite => SQLITE,
        Backend::Postgres => POSTGRES,
    }
}

/// Applies every migration newer than the database's version. Returns how
/// many were applied.
pub async fn run(db: &Db) -> Result<usize> {
    let mut tx = db.begin().await?;
    tx.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
    )
    .await?;
    tx.commit().await?;
    let mut applied = 0;
    for m in for_backend(db.backend()) {
        let mut tx = db.begin().await?;
        let done: Option<(i64,)> = sqlx::query_as("SELECT version FROM schema_migrations WHERE version = $1")
            .bind(m.version)
            .fetch_optional(&mut *tx)
            .await?;
        if done.is_some() {
            continue;
        }
        tx.execute(AssertSqlSafe(m.sql))
            .await
            .map_err(|e| StoreError::Migration { version: m.version, message: e.to_string() })?;
        sqlx::query("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)")
            .bind(m.version)
            .bind(m.name)
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        tracing::info!(version = m.version, name = m.name, "applied migration");
        applied += 1;
    }
    Ok(applied)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_and_postgres_migrations_pair_up() {
        assert_eq!(SQLITE.len(), POSTGRES.len());
        for (s, p) in SQLITE.iter().zip(POSTGRES) {
            assert_eq!((s.version, s.name), (p.version, p.name));
        }
        for w in SQLITE.windows(2) {
            assert!(w[0].version < w[1].version, "versions must increase");
        }
    }

    #[test]
    fn migration_files_on_disk_are_all_registered() {
        for (dir, list) in [("sqlite", SQLITE), ("postgres", POSTGRES)] {
            let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../migrations/").to_string() + dir;
            let files = std::fs::read_dir(path).unwrap().count();
            assert_eq!(files, list.len(), "{dir}: every .sql file must be listed in migrate.rs");
        }
    }
}
