//! One error type for the web layer: a status, a stable code for the API, a Chinese message.
//! User-input errors are not logged; internal ones are logged once and answered generically.

use crate::search::SearchError;
use crate::store::StoreError;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

#[derive(Debug)]
pub enum AppError {
    NotFound { code: &'static str, message: String },
    BadRequest { code: &'static str, message: String },
    Internal(String),
}

impl AppError {
    pub fn bad(code: &'static str, message: impl Into<String>) -> AppError {
        AppError::BadRequest {
            code,
            message: message.into(),
        }
    }

    pub fn not_found(code: &'static str, message: impl Into<String>) -> AppError {
        AppError::NotFound {
            code,
            message: message.into(),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound { .. } => StatusCode::NOT_FOUND,
            AppError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            AppError::NotFound { code, .. } | AppError::BadRequest { code, .. } => code,
            AppError::Internal(_) => "internal_error",
        }
    }

    pub fn message(&self) -> String {
        match self {
            AppError::NotFound { message, .. } | AppError::BadRequest { message, .. } => {
                message.clone()
            }
            AppError::Internal(_) => "服务器内部错误，请稍后再试；问题已记录。".into(),
        }
    }

    fn log(&self) {
        if let AppError::Internal(detail) = self {
            tracing::error!(%detail, "internal error");
        }
    }
}

impl From<SearchError> for AppError {
    fn from(e: SearchError) -> AppError {
        match e {
            SearchError::QueryTooLong { .. } => AppError::bad("query_too_long", e.to_string()),
            SearchError::BadRequest(m) => AppError::bad("invalid_parameter", m),
            e => AppError::Internal(e.to_string()),
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> AppError {
        AppError::Internal(e.to_string())
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> AppError {
        AppError::Internal(format!("template: {e}"))
    }
}

impl From<tokio::task::JoinError> for AppError {
    fn from(e: tokio::task::JoinError) -> AppError {
        AppError::Internal(format!("task: {e}"))
    }
}

/// An error answered as JSON: `{"error": {"code", "message"}}`.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl<E: Into<AppError>> From<E> for ApiError {
    fn from(e: E) -> ApiError {
        ApiError(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.0.log();
        let body = serde_json::json!({
            "error": { "code": self.0.code(), "message": self.0.message() }
        });
        (self.0.status(), Json(body)).into_response()
    }
}

/// An error answered as the house error page, in Chinese.
#[derive(Debug)]
pub struct PageError(pub AppError);

impl<E: Into<AppError>> From<E> for PageError {
    fn from(e: E) -> PageError {
        PageError(e.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        self.0.log();
        let page = super::pages::ErrorPage {
            status: self.0.status().as_u16(),
            message: self.0.message(),
        };
        let html = askama::Template::render(&page).unwrap_or_else(|_| self.0.message());
        (self.0.status(), Html(html)).into_response()
    }
}
