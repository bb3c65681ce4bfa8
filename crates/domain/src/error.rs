//! The domain's one error type: which field was wrong and why.

/// A validation failure naming the offending input field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    /// The input field (JSON name) that failed, e.g. `uscc`.
    pub field: String,
    /// A user-facing message in Chinese.
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum DomainError {
    #[error(transparent)]
    Field(#[from] FieldError),
    #[error("不允许的操作: {0}")]
    NotAllowed(String),
}
