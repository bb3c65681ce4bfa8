//! The one place where errors become HTTP: `{"error":{"code","message","field"?}}`.

use anjian_app::AppError;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Machine-readable: invalid, malformed_json, unauthorized, forbidden,
    /// not_found, conflict, payload_too_large, unsupported_media_type, internal.
    pub code: String,
    /// Human-readable, in Chinese.
    pub message: String,
    /// The input field at fault, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { status, code, message: message.into(), field: None }
    }
    pub fn with_field(mut self, field: impl Into<String>) -> ApiError {
        self.field = Some(field.into());
        self
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> ApiError {
        match e {
            AppError::Invalid(f) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", f.message).with_field(f.field)
            }
            AppError::Unauthorized => ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", e.to_string()),
            AppError::Forbidden => ApiError::new(StatusCode::FORBIDDEN, "forbidden", e.to_string()),
            AppError::NotFound => ApiError::new(StatusCode::NOT_FOUND, "not_found", e.to_string()),
            AppError::Conflict { field } => {
                ApiError::new(StatusCode::CONFLICT, "conflict", format!("{field} 已存在")).with_field(field)
            }
            AppError::State { field, message } => {
                ApiError::new(StatusCode::CONFLICT, "conflict", message).with_field(field)
            }
            other => {
                tracing::error!(error = %other, "internal error");
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "服务器内部错误")
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body =
            ErrorBody { error: ErrorDetail { code: self.code.into(), message: self.message, field: self.field } };
        (self.status, Json(body)).into_response()
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
