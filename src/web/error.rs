//! One error type for the web layer: a status, a stable code for the API, a Chinese message.
//! User-input errors are not logged; internal ones are logged once and answered generically.
//! Every `/api/` answer of 400 or more is `{"error":{"code","message"}}` (`ErrorBody`); pages
//! answer the Chinese error page. `uniform` holds that for what no handler or extractor sees.

use crate::accounts::AccountError;
use crate::curation::CurationError;
use crate::drafting::DraftingError;
use crate::ingest::xlsx::SheetError;
use crate::search::SearchError;
use crate::store::{DraftError, StoreError};
use crate::training::TrainingError;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use serde::Serialize;

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
    /// Refused before any handler logic, or a limit reached: a method the route lacks (405), a
    /// body over the limit (413), a content type the route does not read (415), too many rows or
    /// cells (422), too many requests (429), no upload parse slot free (503), storage full (507);
    /// the code names it.
    Refused {
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
            AppError::Refused { status, .. } => *status,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            AppError::NotFound { code, .. }
            | AppError::BadRequest { code, .. }
            | AppError::Forbidden { code, .. }
            | AppError::Conflict { code, .. }
            | AppError::Refused { code, .. } => code,
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
            | AppError::Refused { message, .. } => message.clone(),
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
            StoreError::Forbidden(m) => AppError::Forbidden {
                code: "forbidden",
                message: m,
            },
            // Both pass: the store reopens itself, or the supervisor restarts a stuck service.
            e @ (StoreError::Unavailable | StoreError::Stuck) => AppError::Refused {
                status: StatusCode::SERVICE_UNAVAILABLE,
                code: "store_unavailable",
                message: e.to_string(),
            },
            e => AppError::Internal(e.to_string()),
        }
    }
}

impl From<AccountError> for AppError {
    fn from(e: AccountError) -> AppError {
        match e {
            AccountError::Invalid { code, message } => AppError::bad(code, message),
            AccountError::Unauthorized(m) => AppError::Unauthorized(m),
            AccountError::Internal(m) => AppError::Internal(m),
            AccountError::Store(e) => e.into(),
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
            CurationError::Bad { code, message } => AppError::bad(code, message),
            CurationError::Limit(l) => l.into(),
            CurationError::Store(e) => e.into(),
            CurationError::Search(e) => e.into(),
        }
    }
}

impl From<DraftingError> for AppError {
    fn from(e: DraftingError) -> AppError {
        match e {
            DraftingError::BadInput(m) => AppError::bad("invalid_project", m),
            DraftingError::Search(s) => s.into(),
            DraftingError::Invalid { code, message } => AppError::bad(code, message),
            DraftingError::TooManyRows { .. } => AppError::Refused {
                status: StatusCode::PAYLOAD_TOO_LARGE,
                code: "too_many_rows",
                message: e.to_string(),
            },
            DraftingError::NotFound => AppError::not_found("draft_not_found", e.to_string()),
            DraftingError::Draft(d) => d.into(),
            DraftingError::Store(s) => s.into(),
        }
    }
}

impl From<DraftError> for AppError {
    fn from(e: DraftError) -> AppError {
        let (status, code) = match &e {
            DraftError::TooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "draft_too_large"),
            DraftError::Full { .. } => (StatusCode::INSUFFICIENT_STORAGE, "draft_storage_full"),
            DraftError::Store(_) => return AppError::Internal(e.to_string()),
        };
        AppError::Refused {
            status,
            code,
            message: e.to_string(),
        }
    }
}

impl From<SheetError> for AppError {
    fn from(e: SheetError) -> AppError {
        match e {
            SheetError::Write(w) => AppError::Internal(w.to_string()),
            SheetError::Read(r) => r.into(),
            other => AppError::bad("invalid_sheet", other.to_string()),
        }
    }
}

impl From<TrainingError> for AppError {
    fn from(e: TrainingError) -> AppError {
        match e {
            TrainingError::NotFound { code, message } => AppError::not_found(code, message),
            TrainingError::Invalid { code, message } => AppError::bad(code, message),
            TrainingError::NoJoinCode => AppError::Internal(e.to_string()),
            TrainingError::Drafting(d) => d.into(),
            TrainingError::Store(s) => s.into(),
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

/// The body of every API error: `{"error": {"code", "message"}}`, with the problems by field
/// for content that breaks the schema or a rule.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable, English, for programs: `invalid_json`, `unauthorized`, `method_not_allowed` …
    pub code: String,
    /// For people, in Chinese.
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problems: Option<Vec<Problem>>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    pub field: String,
    pub message: String,
}

impl ErrorBody {
    pub fn of(e: &AppError) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                code: e.code().to_string(),
                message: e.message(),
                problems: match e {
                    AppError::Invalid { problems, .. } => Some(
                        problems
                            .iter()
                            .map(|(f, m)| Problem {
                                field: f.clone(),
                                message: m.clone(),
                            })
                            .collect(),
                    ),
                    _ => None,
                },
            },
        }
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
        // Serialised here rather than through `extract::Json`: the extractors answer their
        // refusals with this type, so it must not need them.
        let body = serde_json::to_vec(&ErrorBody::of(&self.0)).unwrap_or_default();
        (
            self.0.status(),
            [(header::CONTENT_TYPE, "application/json")],
            body,
        )
            .into_response()
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
        let page = super::layout::ErrorPage {
            nav: Default::default(),
            status: self.0.status().as_u16(),
            message: self.0.message(),
        };
        let html = askama::Template::render(&page).unwrap_or_else(|_| self.0.message());
        (self.0.status(), Html(html)).into_response()
    }
}

/// An extractor's refusal, answered in the shape of where it happened: JSON under `/api/`,
/// the Chinese error page elsewhere.
#[derive(Debug)]
pub struct Rejected {
    pub error: AppError,
    pub api: bool,
}

impl Rejected {
    pub fn at(path: &str, error: AppError) -> Rejected {
        Rejected {
            error,
            api: is_api(path),
        }
    }
}

impl IntoResponse for Rejected {
    fn into_response(self) -> Response {
        if self.api {
            ApiError(self.error).into_response()
        } else {
            PageError(self.error).into_response()
        }
    }
}

pub fn is_api(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

/// The safety net under every route: an error answer that is not in its surface's shape (axum's
/// empty 405, the body limit's text 413, a multipart rejection's text 400 …) is replaced by the
/// JSON error under `/api/` and by the Chinese error page elsewhere. Headers such as
/// `Set-Cookie` are kept.
pub async fn uniform(req: Request, next: Next) -> Response {
    let api = is_api(req.uri().path());
    let method = req.method().clone();
    let res = next.run(req).await;
    let status = res.status();
    if status.as_u16() < 400 {
        return res;
    }
    let ct = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let fits = if api {
        ct.starts_with("application/json")
    } else {
        // Pages keep whatever they chose to send (the error page, a download's JSON report);
        // only bare or plain-text answers come from below the handlers.
        !(ct.is_empty() || ct.starts_with("text/plain"))
    };
    if fits {
        return res;
    }
    let error = from_status(status, &method, api);
    if status.is_server_error() {
        tracing::error!(%status, "an error answer without a body reached the safety net");
    }
    let mut out = if api {
        ApiError(error).into_response()
    } else {
        PageError(error).into_response()
    };
    for (name, value) in res.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            out.headers_mut().append(name, value.clone());
        }
    }
    out
}

/// An error for a bare status, with a Chinese message saying what to do.
fn from_status(status: StatusCode, method: &axum::http::Method, api: bool) -> AppError {
    let refused = |code, message: String| AppError::Refused {
        status,
        code,
        message,
    };
    match status {
        StatusCode::UNAUTHORIZED => AppError::Unauthorized("请先登录".into()),
        StatusCode::NOT_FOUND if api => refused(
            "route_not_found",
            "没有这个 API 路径；可用路径见 /api/v1/openapi.json。".into(),
        ),
        StatusCode::NOT_FOUND => refused("not_found", "页面不存在".into()),
        // axum adds `Allow` after this layer has run: the header, not the message, lists them.
        StatusCode::METHOD_NOT_ALLOWED => refused(
            "method_not_allowed",
            format!("此路径不支持 {method} 请求（可用的方法见响应头 Allow）"),
        ),
        StatusCode::PAYLOAD_TOO_LARGE => refused(
            "body_too_large",
            format!(
                "上传内容过大（最大 {} MiB）",
                super::state::MAX_BODY_BYTES >> 20
            ),
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => refused(
            "unsupported_media_type",
            "不支持的请求内容类型（Content-Type）".into(),
        ),
        StatusCode::TOO_MANY_REQUESTS => {
            AppError::TooManyRequests("请求过于频繁，请稍后再试".into())
        }
        s if s.is_server_error() => refused(
            "internal_error",
            "服务器内部错误，请稍后再试；问题已记录。".into(),
        ),
        StatusCode::FORBIDDEN => refused("forbidden", "没有权限执行此操作".into()),
        StatusCode::CONFLICT => refused("conflict", "数据已被修改，请刷新后重试".into()),
        _ => refused("bad_request", "请求无效，无法处理".into()),
    }
}
