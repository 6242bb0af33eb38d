//! Responses: the one result type of page handlers, rendering a template, downloads, and
//! running blocking work (store transactions, index commits, spreadsheets) off the async workers.

use super::error::{AppError, PageError};
use askama::Template;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};

/// What a page handler answers: the page, or the Chinese error page.
pub type Page = Result<Response, PageError>;

/// A rendered template as an HTML page.
pub fn html<T: Template>(t: &T) -> Page {
    Ok(Html(t.render().map_err(AppError::from)?).into_response())
}

/// A file to download, named in UTF-8 (RFC 5987) with an ASCII fallback for old clients.
pub fn attachment(bytes: Vec<u8>, content_type: &str, name: &str) -> Response {
    let encoded: String = form_urlencoded::byte_serialize(name.as_bytes()).collect();
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"export\"; filename*=UTF-8''{encoded}"),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// Runs blocking work off the async workers.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    tokio::task::spawn_blocking(f).await?
}
