//! Database access for anjian. One code path serves SQLite (the embedded
//! default) and PostgreSQL through sqlx's `Any` driver: plain SQL in the
//! subset both understand, `$1…$n` placeholders, ids as TEXT (UUIDv7), times
//! as BIGINT epoch milliseconds UTC, JSON as TEXT.
//!
//! Reads go through [`Db::read`]; every multi-step write goes through one
//! transaction from [`Db::begin`], so nothing is ever half-written.
//!
//! # Optional floats
//!
//! sqlx-core 0.9.0's `Any` driver declares a NULL `f64` as FLOAT4 (the
//! `Real`/`Double` arms are swapped). PostgreSQL keeps the parameter types
//! of a cached prepared statement, so once a connection has run a
//! statement with a NULL coordinate, the next run with a value fails
//! ("incorrect binary data format"). Two ways around it:
//!
//! - The hazard statements (the hot path of every report and transition)
//!   never bind a NULL `f64`: an `Option<f64>` is bound through [`opt_f64`]
//!   (None → NaN) into `NULLIF($n, 'NaN')`, which stores NULL on both
//!   backends (SQLite also stores a bound NaN as NULL), so they stay
//!   prepared and cached. Valid data never holds NaN: inputs are checked to
//!   be finite.
//! - The other statements that may bind an `Option<f64>` (registry,
//!   devices, attachments: cold paths) are sent unprepared on PostgreSQL
//!   (`.persistent(can_prepare_null_f64(c))`).
//!
//! The store test `optional_coordinates_bind_after_a_null_on_one_connection`
//! holds us to both. Remove them when sqlx fixes the mapping.

pub mod accounts;
pub mod alarm_changes;
pub mod attachments;
pub mod audit;
pub mod concrete;
pub mod emergency;
pub mod enterprises;
mod error;
pub mod filter;
pub mod hazards;
pub mod inspections;
pub mod jobs;
pub mod ledger;
pub mod map;
pub mod migrate;
pub mod monitoring;
pub mod notifications;
pub mod people;
pub mod projects;
pub mod readings;
pub mod regions;
pub mod resources;
pub mod risk;
pub mod rollup;
pub mod settings;
pub mod testing;

pub use error::StoreError;

/// Whether a statement that may bind a NULL `f64` can be a cached prepared
/// statement on this connection (see "Optional floats" above).
pub(crate) fn can_prepare_null_f64(c: &AnyConnection) -> bool {
    c.backend_name() != "PostgreSQL"
}

/// `($1, …, $n), ($n+1, …)` for `rows` rows of `cols` placeholders.
pub(crate) fn placeholders(rows: usize, cols: usize) -> String {
    placeholders_nan_null(rows, cols, &[])
}

/// As [`placeholders`], with the 0-based columns in `optional_f64` written
/// `NULLIF($k, 'NaN')`: they are bound with [`crate::opt_f64`].
pub(crate) fn placeholders_nan_null(rows: usize, cols: usize, optional_f64: &[usize]) -> String {
    let mut s = String::with_capacity(rows * cols * 5);
    for r in 0..rows {
        s.push_str(if r == 0 { "(" } else { ", (" });
        for k in 0..cols {
            if k > 0 {
                s.push_str(", ");
            }
            let n = r * cols + k + 1;
            if optional_f64.contains(&k) {
                s.push_str(&format!("NULLIF(${n}, 'NaN')"));
            } else {
                s.push_str(&format!("${n}"));
            }
        }
        s.push(')');
    }
    s
}

/// Rows per INSERT. PostgreSQL: about 2,000 parameters (fewer round
/// trips). SQLite: about 120 — sqlx asks SQLite for every parameter's `$N`
/// name, which SQLite finds by scanning a list, so a statement's cost grows
/// with the square of its parameters (500 rows of 29 took minutes for the
/// demo history), while every statement also pays a hand-off to sqlx's
/// SQLite worker thread (one row per statement: 29 s; ~120 parameters: see
/// docs/benchmarks.md).
pub(crate) fn bulk_rows(c: &AnyConnection, cols: usize) -> usize {
    let params = if c.backend_name() == "SQLite" { 120 } else { 2_000 };
    (params / cols).max(1)
}

/// An optional float as a bindable `f64` (None → NaN), for a parameter
/// written `NULLIF($n, 'NaN')` (see "Optional floats" above).
pub(crate) fn opt_f64(v: Option<f64>) -> f64 {
    v.unwrap_or(f64::NAN)
}
pub use sqlx::{Any, AnyConnection, Error as SqlxError, Transaction};

use sqlx::any::AnyPoolOptions;
use sqlx::pool::PoolConnection;
use sqlx::{AnyPool, Executor};
use std::time::Duration;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
pub type Tx = Transaction<'static, Any>;

/// Which database engine a [`Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Result<Self> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::Config(format!("unsupported database URL (expected sqlite:// or postgres://): {url}")))
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// A handle to the database: a read pool and a write pool. On SQLite the
/// write pool has one connection, so writers queue in sqlx instead of
/// failing with SQLITE_BUSY; on PostgreSQL both are the same pool.
#[derive(Clone)]
pub struct Db {
    read: AnyPool,
    write: AnyPool,
    backend: Backend,
    url: String,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db").field("backend", &self.backend).finish()
    }
}

impl Db {
    /// Connects and applies pending migrations.
    pub async fn open(url: &str) -> Result<Db> {
        let db = Self::connect(url).await?;
        migrate::run(&db).await?;
        Ok(db)
    }

    /// Connects without migrating.
    pub async fn connect(url: &str) -> Result<Db> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url)?;
        match backend {
            Backend::Sqlite => {
                let url = sqlite_url_with_create(url);
                let write = sqlite_pool(&url, 1).await?;
                let read = sqlite_pool(&url, 8).await?;
                Ok(Db { read, write, backend, url })
            }
            Backend::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(32)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect(url)
                    .await?;
                Ok(Db { read: pool.clone(), write: pool, backend, url: url.to_string() })
            }
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// The pool for reads.
    pub fn read_pool(&self) -> &AnyPool {
        &self.read
    }

    /// A pooled connection for a sequence of reads.
    pub async fn read(&self) -> Result<PoolConnection<Any>> {
        Ok(self.read.acquire().await?)
    }

    /// Starts a write transaction (`BEGIN IMMEDIATE` on SQLite so the write
    /// lock is taken up front rather than on the first write).
    pub async fn begin(&self) -> Result<Tx> {
        let tx = match self.backend {
            Backend::Sqlite => self.write.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.write.begin().await?,
        };
        Ok(tx)
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.read).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.write.close().await;
        self.read.close().await;
    }
}

fn sqlite_url_with_create(url: &str) -> String {
    if url.contains("mode=") || url.contains(":memory:") {
        url.to_string()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    }
}

async fn sqlite_pool(url: &str, max: u32) -> Result<AnyPool> {
    Ok(AnyPoolOptions::new()
        .max_connections(max)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(30))
        .after_connect(|conn, _meta| {
            Box::pin(async move {
                conn.execute(
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; \
                     PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000;",
                )
                .await?;
                Ok(())
            })
        })
        .connect(url)
        .await?)
}

/// A new time-ordered id (UUIDv7, lowercase).
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Now, in epoch milliseconds UTC.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// A `LIKE`-free, index-friendly range over a region subtree: every code
/// that starts with `prefix` is `>= prefix` and `< prefix + ':'` (':' sorts
/// right after '9'; PostgreSQL columns use `COLLATE "C"` for this).
pub fn prefix_range(prefix: &str) -> (String, String) {
    (prefix.to_string(), format!("{prefix}:"))
}
