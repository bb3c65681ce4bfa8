//! The store's one error type.

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    /// A unique constraint was hit; `field` names the input field it guards.
    #[error("conflict on {field}")]
    Conflict { field: &'static str },
    #[error("not found")]
    NotFound,
    #[error("configuration: {0}")]
    Config(String),
    #[error("migration {version}: {message}")]
    Migration { version: i64, message: String },
    #[error("corrupt row: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// Maps a unique violation to `Conflict { field }`, anything else to `Db`.
    pub fn unique(field: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
        move |e| {
            let unique = e.as_database_error().is_some_and(|d| d.is_unique_violation());
            if unique { StoreError::Conflict { field } } else { StoreError::Db(e) }
        }
    }
}
