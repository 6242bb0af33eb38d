//! One error type for the web layer: a status, a stable code for the API, a Chinese message.
//! User-input errors are not logged; internal ones are logged once and answered generically.

use crate::curation::CurationError;
use crate::search::SearchError;
use crate::store::StoreError;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

#[derive(Debug)]
pub enum AppError {
    NotFound {
        code: &'static str,
        message: String,
    },
    BadRequest {
        code: &'static str,
        message: String,
    },
    /// Nobody is signed in (401); pages send the browser to the login page.
    Unauthorized(String),
    /// Signed in, but not allowed (403).
    Forbidden {
        code: &'static str,
        message: String,
    },
    /// The stored state moved on (409).
    Conflict {
        code: &'static str,
        message: String,
    },
    /// Content that breaks the schema or a rule (422), with the problems by field.
    Invalid {
        message: String,
        problems: Vec<(String, String)>,
    },
    TooManyRequests(String),
    /// A limit reached: 413 (too large), 422 (too many rows or cells) or 503 (no upload parse
    /// slot free); the code names it.
    Limited {
        status: StatusCode,
        code: &'static str,
        message: String,
    },
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
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden { .. } => StatusCode::FORBIDDEN,
            AppError::Conflict { .. } => StatusCode::CONFLICT,
            AppError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::Limited { status, .. } => *status,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            AppError::NotFound { code, .. }
            | AppError::BadRequest { code, .. }
            | AppError::Forbidden { code, .. }
            | AppError::Conflict { code, .. }
            | AppError::Limited { code, .. } => code,
            AppError::Unauthorized(_) => "unauthorized",
            AppError::Invalid { .. } => "invalid_indicator",
            AppError::TooManyRequests(_) => "too_many_requests",
            AppError::Internal(_) => "internal_error",
        }
    }

    pub fn message(&self) -> String {
        match self {
            AppError::NotFound { message, .. }
            | AppError::BadRequest { message, .. }
            | AppError::Forbidden { message, .. }
            | AppError::Conflict { message, .. }
            | AppError::Invalid { message, .. }
            | AppError::Limited { message, .. } => message.clone(),
            AppError::Unauthorized(m) | AppError::TooManyRequests(m) => m.clone(),
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
        match e {
            StoreError::Conflict(m) => AppError::Conflict {
                code: "conflict",
                message: m,
            },
            e => AppError::Internal(e.to_string()),
        }
    }
}

impl From<CurationError> for AppError {
    fn from(e: CurationError) -> AppError {
        match e {
            CurationError::Invalid { message, problems } => AppError::Invalid {
                message,
                problems: problems
                    .into_iter()
                    .map(|(f, m)| (f.to_string(), m))
                    .collect(),
            },
            CurationError::NotFound(m) => AppError::not_found("not_found", m),
            CurationError::Forbidden(m) => AppError::Forbidden {
                code: "forbidden",
                message: m,
            },
            CurationError::Conflict(m) => AppError::Conflict {
                code: "conflict",
                message: m,
            },
            CurationError::BadRequest(m) => AppError::bad("invalid_request", m),
            CurationError::Limit(l) => l.into(),
            CurationError::Store(e) => e.into(),
            CurationError::Search(e) => e.into(),
        }
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
        let mut body = serde_json::json!({
            "error": { "code": self.0.code(), "message": self.0.message() }
        });
        if let AppError::Invalid { problems, .. } = &self.0 {
            body["error"]["problems"] = problems
                .iter()
                .map(|(f, m)| serde_json::json!({ "field": f, "message": m }))
                .collect();
        }
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
        if let AppError::Unauthorized(_) = self.0 {
            return axum::response::Redirect::to("/login").into_response();
        }
        let page = super::pages::ErrorPage {
            nav: Default::default(),
            status: self.0.status().as_u16(),
            message: self.0.message(),
        };
        let html = askama::Template::render(&page).unwrap_or_else(|_| self.0.message());
        (self.0.status(), Html(html)).into_response()
    }
}
