//! The frame every HTML page shares: the header's `Nav` and the error page; and file downloads.

use crate::domain::Role;
use askama::Template;
use axum::http::header;
use axum::response::{IntoResponse, Response};

/// What the page header shows.
#[derive(Debug, Clone, Default)]
pub struct Nav {
    pub user: Option<String>,
    pub role: Option<Role>,
    pub csrf: String,
}

impl Nav {
    pub fn can(&self, role: &Role) -> bool {
        self.role.is_some_and(|r| r.allows(*role))
    }

    pub fn is_curator(&self) -> bool {
        self.can(&Role::Editor)
    }

    pub fn is_reviewer(&self) -> bool {
        self.can(&Role::Reviewer)
    }

    pub fn is_admin(&self) -> bool {
        self.can(&Role::Admin)
    }
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub nav: Nav,
    pub status: u16,
    pub message: String,
}

/// A file to save as `name` (percent-encoded, so Chinese names survive every browser).
pub fn download(bytes: Vec<u8>, mime: &str, name: &str) -> Response {
    let enc: String = form_urlencoded::byte_serialize(name.as_bytes()).collect();
    (
        [
            (header::CONTENT_TYPE, mime.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename*=UTF-8''{enc}"),
            ),
        ],
        bytes,
    )
        .into_response()
}
