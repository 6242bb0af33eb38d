//! What the training API answers, as types: each field is named once, here, and the web layer
//! only serialises them; the OpenAPI document describes them from these same types.

use super::attempts::Submitted;
use super::{ExampleView, ExerciseSummary, Training};
use crate::domain::lint::LintFinding;
use crate::domain::training::{AnnotatedTable, Comparison, Exercise, TrainingSession};
use serde::Serialize;
use utoipa::ToSchema;

/// A worked example with its two tables annotated by the review rules.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExampleAnswer {
    pub project_type: String,
    pub type_name: String,
    pub title: String,
    pub unit_name: String,
    pub description: String,
    pub budget_wan: f64,
    pub note: String,
    pub source: String,
    pub bad: AnnotatedTable,
    pub good: AnnotatedTable,
}

impl From<ExampleView> for ExampleAnswer {
    fn from(v: ExampleView) -> ExampleAnswer {
        ExampleAnswer {
            project_type: v.ex.project_type,
            type_name: v.type_name,
            title: v.ex.title,
            unit_name: v.ex.unit_name,
            description: v.ex.description,
            budget_wan: v.ex.budget_wan,
            note: v.ex.note,
            source: v.ex.source,
            bad: v.bad,
            good: v.good,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExamplesAnswer {
    pub examples: Vec<ExampleAnswer>,
}

/// A session with the addresses of its pages and of each exercise.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionAnswer {
    pub session: TrainingSession,
    pub url: String,
    pub present: String,
    pub handbook: String,
    pub exercises: Vec<ExerciseLink>,
}

/// An exercise of a session: the address trainees open and how many attempts it has.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExerciseLink {
    pub code: String,
    pub url: String,
    pub attempts: usize,
}

/// A whole attempt submitted: where it can be opened, what the rules found, and how it
/// compares with the model answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttemptAnswer {
    pub id: String,
    pub url: String,
    pub findings: Vec<LintFinding>,
    pub comparison: Comparison,
}

impl AttemptAnswer {
    pub fn of(ex: &Exercise, s: Submitted) -> AttemptAnswer {
        AttemptAnswer {
            url: format!("/t/{}/a/{}", ex.code, s.attempt.id),
            id: s.attempt.id,
            findings: s.findings,
            comparison: s.comparison,
        }
    }
}

/// The room's anonymous summary of a session.
#[derive(Serialize, ToSchema)]
pub struct SummaryAnswer {
    /// The session's id.
    pub session: String,
    pub exercises: Vec<ExerciseSummary>,
}

impl Training {
    /// `s` as the API shows it; `base` is this server as the trainer's browser reached it.
    pub fn session_answer(&self, s: TrainingSession, base: &str) -> SessionAnswer {
        SessionAnswer {
            exercises: self
                .exercise_counts(&s)
                .into_iter()
                .map(|(code, attempts)| ExerciseLink {
                    url: format!("{base}/t/{code}"),
                    code,
                    attempts,
                })
                .collect(),
            url: format!("/training/sessions/{}", s.id),
            present: format!("/training/sessions/{}/present", s.id),
            handbook: format!("/training/sessions/{}/handbook", s.id),
            session: s,
        }
    }

    /// Every worked example, in project-type order.
    pub fn examples_answer(&self) -> ExamplesAnswer {
        ExamplesAnswer {
            examples: self
                .examples
                .iter()
                .map(|e| self.example_view(e).into())
                .collect(),
        }
    }

    /// The room's summary of `s`.
    pub fn summary_answer(&self, s: &TrainingSession) -> super::Result<SummaryAnswer> {
        Ok(SummaryAnswer {
            session: s.id.clone(),
            exercises: self.summaries(s)?,
        })
    }
}
