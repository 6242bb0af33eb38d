//! The static files (styles, scripts, icon), compiled into the binary.

use axum::http::{StatusCode, header};
use axum::response::IntoResponse;

pub(super) async fn css() -> impl IntoResponse {
    static_text(
        "text/css; charset=utf-8",
        include_str!("../../templates/static/app.css"),
    )
}

pub(super) async fn js() -> impl IntoResponse {
    static_text(
        "text/javascript; charset=utf-8",
        include_str!("../../templates/static/app.js"),
    )
}

/// Browsers ask for `/favicon.ico` on every page; an SVG answers it in every current browser.
pub(super) async fn favicon() -> impl IntoResponse {
    static_text(
        "image/svg+xml",
        include_str!("../../templates/static/favicon.svg"),
    )
}

/// The drafting page's own styles and script, apart from the shared ones.
pub(super) async fn draft_css() -> impl IntoResponse {
    static_text(
        "text/css; charset=utf-8",
        include_str!("../../templates/static/draft.css"),
    )
}

pub(super) async fn draft_js() -> impl IntoResponse {
    static_text(
        "text/javascript; charset=utf-8",
        include_str!("../../templates/static/draft.js"),
    )
}

fn static_text(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        body,
    )
}
