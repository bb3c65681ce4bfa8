use anjian_domain::FieldError;
use anjian_store::StoreError;

/// Every way a use case can fail. The web layer maps these to HTTP in one
/// place; the CLI prints the message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AppError {
    #[error(transparent)]
    Invalid(#[from] FieldError),
    #[error("未登录或凭证无效")]
    Unauthorized,
    #[error("无权执行此操作")]
    Forbidden,
    #[error("资源不存在")]
    NotFound,
    #[error("{field} 已存在")]
    Conflict { field: String },
    /// The record is in a state that does not allow the action (409 with the
    /// field that holds the state and a message saying why).
    #[error("{message}")]
    State { field: String, message: String },
    #[error("内部错误: {0}")]
    Internal(String),
}

impl AppError {
    pub fn field(field: &str, message: impl Into<String>) -> AppError {
        AppError::Invalid(FieldError::new(field, message))
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict { field } => AppError::Conflict { field: field.to_string() },
            StoreError::NotFound => AppError::NotFound,
            other => {
                tracing::error!(error = %other, "store error");
                AppError::Internal(other.to_string())
            }
        }
    }
}

impl From<anjian_domain::DomainError> for AppError {
    fn from(e: anjian_domain::DomainError) -> Self {
        match e {
            anjian_domain::DomainError::Field(f) => AppError::Invalid(f),
            anjian_domain::DomainError::NotAllowed(_) => AppError::Forbidden,
            _ => AppError::Internal(e.to_string()),
        }
    }
}

impl From<anjian_store::SqlxError> for AppError {
    fn from(e: anjian_store::SqlxError) -> Self {
        AppError::from(StoreError::Db(e))
    }
}
