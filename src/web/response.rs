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

/// A file to download, named in UTF-8 (RFC 5987, percent-encoded, so Chinese names survive every
/// browser) with an ASCII fallback for old clients that keeps the name's extension.
pub fn attachment(bytes: Vec<u8>, content_type: &str, name: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CONTENT_DISPOSITION, disposition(name)),
        ],
        bytes,
    )
        .into_response()
}

fn disposition(name: &str) -> String {
    let encoded: String = form_urlencoded::byte_serialize(name.as_bytes()).collect();
    let fallback = match name.rsplit_once('.') {
        Some((_, ext)) if !ext.is_empty() && ext.chars().all(|c| c.is_ascii_alphanumeric()) => {
            format!("export.{ext}")
        }
        _ => "export".to_string(),
    };
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

/// Runs blocking work off the async workers.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    tokio::task::spawn_blocking(f).await?
}

#[cfg(test)]
mod tests {
    use super::disposition;

    #[test]
    fn a_chinese_file_name_is_sent_encoded_with_an_ascii_fallback_of_its_kind() {
        assert_eq!(
            disposition("审计日志.csv"),
            "attachment; filename=\"export.csv\"; \
             filename*=UTF-8''%E5%AE%A1%E8%AE%A1%E6%97%A5%E5%BF%97.csv"
        );
        // A quote or a path in what follows the last dot never reaches the fallback.
        assert!(disposition("a.\"x").starts_with("attachment; filename=\"export\";"));
        assert!(disposition("无扩展名").starts_with("attachment; filename=\"export\";"));
    }
}
