//! The printable handbook: the library (whole, or one project type) or a training session as one
//! print-ready HTML document (A4, cover, contents, the framework, one block per indicator with
//! every field). Browsers print it to PDF; a test prints it with headless Chromium. What it
//! holds comes from `training::handbook`.

use super::error::AppError;
use super::extract::Path;
use super::response::{Page, blocking};
use super::state::AppState;
use crate::training::TrainingError;
use crate::training::handbook::Handbook;
use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse};

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

/// Gathering and rendering a handbook reads and formats every indicator it holds (the whole
/// library, for the library's): CPU work, done off the async workers.
async fn printed(build: impl FnOnce() -> Result<Handbook, TrainingError> + Send + 'static) -> Page {
    let page = blocking(move || {
        HandbookPage { h: build()? }
            .render()
            .map_err(AppError::from)
    })
    .await?;
    Ok(Html(page).into_response())
}

pub async fn library(State(app): State<AppState>) -> Page {
    printed(move || app.training.library_handbook()).await
}

pub async fn project_type(State(app): State<AppState>, Path(code): Path<String>) -> Page {
    printed(move || app.training.type_handbook(&code)).await
}

/// A session's handout: its framework pages, the indicators as taught (their pinned revisions),
/// its examples and its practice cases.
pub async fn session(State(app): State<AppState>, Path(id): Path<String>) -> Page {
    printed(move || app.training.session_handbook(&id)).await
}
