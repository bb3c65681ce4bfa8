//! The crate's one error type: which input field was wrong and why.

/// Invalid input to an analysis. `field` names the offending input
/// (`values[3]`, `config.window_ms`, …) so a caller can point at it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
#[non_exhaustive]
pub struct AnalyticsError {
    /// The input field, e.g. `values[3]` or `config.fdr`.
    pub field: String,
    /// Why it was rejected (English, for logs and API messages).
    pub reason: String,
}

impl AnalyticsError {
    pub(crate) fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self { field: field.into(), reason: reason.into() }
    }
}
