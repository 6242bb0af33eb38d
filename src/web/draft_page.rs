//! The drafting page and the draft's JSON body, shared by real drafts (`drafts`) and trainees'
//! attempts (`training`): the table with what the review rules find in each row.

use super::layout::Nav;
use crate::domain::lint::{LintFinding, Severity};
use crate::domain::{Draft, DraftProject, DraftRow};
use crate::drafting::service::Drafting;
use crate::training::TraineeView;
use askama::Template;
use serde::Deserialize;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct DraftBody {
    /// name, unit_name, description, project_type, budget_wan, year, term.
    #[schema(value_type = Object)]
    pub project: DraftProject,
    /// level1, level2, name, indicator, revision, direction, target, unit, explanation.
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub rows: Vec<DraftRow>,
}

pub struct RowView {
    pub index: usize,
    pub row: DraftRow,
    pub findings: Vec<LintFinding>,
    /// The row as JSON, for the page's live check.
    pub json: String,
}

#[derive(Template)]
#[template(path = "drafts/edit.html")]
pub struct EditPage {
    pub nav: Nav,
    pub d: Draft,
    /// The project as JSON, for the page's live check.
    pub project_json: String,
    pub type_name: String,
    pub rows: Vec<RowView>,
    pub general: Vec<LintFinding>,
    pub errors: usize,
    pub warnings: usize,
    pub print: bool,
    /// Where the table form posts.
    pub action: String,
    /// Set when a trainee works on an exercise: no exports, and the model-answer feedback.
    pub training: Option<TraineeView>,
    /// When an untouched draft is deleted (not for training attempts, which do not expire).
    pub expiry: Option<String>,
}

/// The drafting page for a draft, shared by real drafts and trainees' attempts.
pub fn draft_page(
    drafting: &Drafting,
    nav: Nav,
    d: Draft,
    print: bool,
    action: String,
    training: Option<TraineeView>,
) -> EditPage {
    let f = drafting.findings(&d);
    let rows = d
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| RowView {
            index: i,
            row: r.clone(),
            findings: f.iter().filter(|x| x.row == Some(i)).cloned().collect(),
            json: serde_json::to_string(r).unwrap_or_default(),
        })
        .collect();
    let errors = f.iter().filter(|x| x.severity == Severity::Error).count();
    let expiry = training
        .is_none()
        .then(|| expiry_note(drafting.limits.expiry, &d));
    EditPage {
        expiry,
        nav,
        project_json: serde_json::to_string(&d.project).unwrap_or_default(),
        type_name: drafting.type_name(&d),
        general: f.iter().filter(|x| x.row.is_none()).cloned().collect(),
        warnings: f.len() - errors,
        errors,
        rows,
        d,
        print,
        action,
        training,
    }
}

/// What the draft page says about expiry, e.g. 草稿 180 天未修改将被删除（最后修改 …）.
fn expiry_note(expiry: std::time::Duration, d: &Draft) -> String {
    let span = match expiry.as_secs() {
        s if s >= 86_400 => format!("{} 天", s / 86_400),
        s if s >= 3_600 => format!("{} 小时", s / 3_600),
        s => format!("{} 分钟", s.div_ceil(60)),
    };
    let at = |t: &chrono::DateTime<chrono::Utc>| {
        super::local_time(t).format("%Y-%m-%d %H:%M").to_string()
    };
    let deadline = chrono::Duration::from_std(expiry)
        .ok()
        .and_then(|e| d.updated.checked_add_signed(e));
    format!(
        "草稿 {span}未修改将被删除（最后修改 {}{}）",
        at(&d.updated),
        deadline
            .map(|t| format!("，不再修改则于 {} 后删除", at(&t)))
            .unwrap_or_default()
    )
}
