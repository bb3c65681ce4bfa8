//! A fresh database per test: a temporary SQLite file, or a uniquely named
//! PostgreSQL database dropped when the guard goes. Integration tests of
//! every crate use this, so the same test runs against both backends.
//!
//! The PostgreSQL server is taken from `ANJIAN_TEST_PG` (default
//! `postgres://postgres@127.0.0.1:5432`). If it is unreachable the test fails
//! with a clear message: it never skips.

use crate::{Backend, Db};
use sqlx::{AssertSqlSafe, Connection, Executor};

pub struct TestDb {
    pub db: Db,
    backend: Backend,
    pg_name: Option<String>,
    _dir: Option<TempDir>,
}

/// A directory removed on drop (std-only, to keep dev-deps small).
pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("anjian-{tag}-{}", uuid::Uuid::now_v7().simple()));
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }
    pub fn path(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn pg_server_url() -> String {
    std::env::var("ANJIAN_TEST_PG").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

impl TestDb {
    /// A migrated, empty database on `backend`.
    pub async fn new(backend: Backend) -> TestDb {
        sqlx::any::install_default_drivers();
        match backend {
            Backend::Sqlite => {
                let dir = TempDir::new("sqlite");
                let url = format!("sqlite://{}/test.db", dir.path().display());
                let db = Db::open(&url).await.expect("open sqlite test db");
                TestDb { db, backend, pg_name: None, _dir: Some(dir) }
            }
            Backend::Postgres => {
                let server = pg_server_url();
                let name = format!("anjian_t_{}", uuid::Uuid::now_v7().simple());
                let mut admin = sqlx::AnyConnection::connect(&format!("{server}/postgres")).await.unwrap_or_else(|e| {
                    panic!("PostgreSQL test server {server} is unreachable ({e}); the PostgreSQL suite does not skip")
                });
                admin.execute(AssertSqlSafe(format!("CREATE DATABASE {name}"))).await.expect("create test database");
                admin.close().await.ok();
                let db = Db::open(&format!("{server}/{name}")).await.expect("open postgres test db");
                TestDb { db, backend, pg_name: Some(name), _dir: None }
            }
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Closes the pools and drops the PostgreSQL database.
    pub async fn cleanup(mut self) {
        self.db.close().await;
        if let Some(name) = self.pg_name.take()
            && let Ok(mut admin) = sqlx::AnyConnection::connect(&format!("{}/postgres", pg_server_url())).await
        {
            let _ = admin.execute(AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))).await;
            let _ = admin.close().await;
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        // A test that panicked never reached cleanup(): drop the database on a
        // separate thread with its own runtime so nothing is left behind.
        if let Some(name) = self.pg_name.take() {
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build();
                if let Ok(rt) = rt {
                    rt.block_on(async move {
                        if let Ok(mut admin) =
                            sqlx::AnyConnection::connect(&format!("{}/postgres", pg_server_url())).await
                        {
                            let _ = admin
                                .execute(AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
                                .await;
                        }
                    });
                }
            })
            .join();
        }
    }
}

/// Defines one async test per backend: `name::sqlite` and `name::postgres`.
/// The body is an async fn taking a [`Backend`].
#[macro_export]
macro_rules! both_backends {
    ($(#[$m:meta])* async fn $name:ident($b:ident : Backend) $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            async fn run($b: $crate::Backend) $body
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() { run($crate::Backend::Sqlite).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() { run($crate::Backend::Postgres).await }
        }
    };
}
