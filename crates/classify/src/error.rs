use thiserror::Error;

/// Everything that can go wrong in this crate: bad data files and unknown codes.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// A data file (taxonomy, categories, rules, training set) does not parse.
    #[error("{file}: {reason}")]
    Data { file: &'static str, reason: String },
    /// A data file parses but breaks an invariant (duplicate code, dangling reference…).
    #[error("{file}: {what}")]
    Invalid { file: &'static str, what: String },
    /// A taxonomy item code that does not exist.
    #[error("unknown taxonomy item `{0}`")]
    UnknownItem(String),
}

impl Error {
    pub(crate) fn data(file: &'static str, reason: impl ToString) -> Error {
        Error::Data { file, reason: reason.to_string() }
    }
    pub(crate) fn invalid(file: &'static str, what: impl Into<String>) -> Error {
        Error::Invalid { file, what: what.into() }
    }
}
