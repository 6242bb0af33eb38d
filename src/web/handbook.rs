//! The printable handbook: the library (whole, or one project type) or a training session as one
//! print-ready HTML document (A4, cover, contents, the framework, one block per indicator with
//! every field). Browsers print it to PDF; a test prints it with headless Chromium. What it
//! holds comes from `training::handbook`.

use super::AppState;
use super::error::PageError;
use super::extract::Path;
use crate::training::handbook::Handbook;
use askama::Template;
use axum::extract::State;
use axum::response::Html;

type Page = Result<Html<String>, PageError>;

#[derive(Template)]
#[template(path = "training/handbook.html")]
pub struct HandbookPage {
    pub h: Handbook,
}

/// The template reads the handbook's fields as its own.
impl std::ops::Deref for HandbookPage {
    type Target = Handbook;
    fn deref(&self) -> &Handbook {
        &self.h
    }
}

fn render(h: Handbook) -> Page {
    Ok(Html(HandbookPage { h }.render()?))
}

pub async fn library(State(app): State<AppState>) -> Page {
    render(app.training.library_handbook()?)
}

pub async fn project_type(State(app): State<AppState>, Path(code): Path<String>) -> Page {
    render(app.training.type_handbook(&code)?)
}

/// A session's handout: its framework pages, the indicators as taught (their pinned revisions),
/// its examples and its practice cases.
pub async fn session(State(app): State<AppState>, Path(id): Path<String>) -> Page {
    render(app.training.session_handbook(&id)?)
}
