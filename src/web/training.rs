//! Training mode: worked examples, sessions a trainer assembles and presents, exercises trainees
//! join with a short code, the room's anonymous summary, and the printable handbook.
//!
//! Creating and changing a session needs a signed-in account (编辑 or above): it does not change
//! the library, but it names its trainer and reads the room's results. Presenting needs only the
//! session's unguessable link, and trainees join anonymously; their work lives in training's own
//! trees, never in the library or in real drafts.

use super::auth::{Nav, Viewer};
use super::draft_page::{DraftBody, draft_page};
use super::error::{ApiError, AppError, PageError};
use super::extract::{Editor, Form, Json, Path, Query, Require};
use super::response::{Page, html};
use super::state::AppState;
use super::throttle::{Guards, too_many};
use crate::domain::Role;
use crate::domain::lint::{LintFinding, Severity};
use crate::domain::training::{Attempt, Exercise, FrameworkPart, TrainingSession, rule_label};
use crate::training::answers::{
    AttemptAnswer, ExampleAnswer, ExamplesAnswer, SessionAnswer, SummaryAnswer,
};
use crate::training::slides::{ItemView, Slide};
use crate::training::{ExampleView, ExerciseSummary, ItemSpec};
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

/// The exercise a join code opens. Wrong codes are counted per client address (each lookup is
/// counted when it starts, given back if the code exists), and a client that has used up its
/// budget is refused before the lookup, so codes cannot be guessed fast (nor learnt from which
/// guesses are refused).
fn exercise(
    app: &AppState,
    guards: &Guards,
    viewer: &Viewer,
    code: &str,
) -> Result<Exercise, AppError> {
    let key = viewer.limit_key();
    guards
        .join_codes
        .take(&key)
        .map_err(|wait| too_many("join_throttled", "练习码输错次数过多", wait))?;
    let ex = app.training.exercise(code)?;
    guards.join_codes.refund(&key);
    Ok(ex)
}

/// The session `id`, for its trainer or an administrator: trainers may change (and read the
/// room's results of) their own sessions, administrators any.
fn editable_session(
    app: &AppState,
    viewer: &Viewer,
    id: &str,
) -> Result<TrainingSession, AppError> {
    let s = app.training.session(id)?;
    let actor = viewer.require(Role::Editor)?;
    if actor.user != s.owner && !actor.role.allows(Role::Admin) {
        return Err(AppError::Forbidden {
            code: "forbidden",
            message: format!("这个培训课程由 {} 创建，只有创建人可以修改", s.owner),
        });
    }
    Ok(s)
}

/// The address trainees type: this server as the trainer's browser reached it.
fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let scheme = headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("http");
    format!("{scheme}://{host}")
}

// ---- examples ----

#[derive(Template)]
#[template(path = "training/examples.html")]
pub struct ExamplesPage {
    pub nav: Nav,
    pub examples: Vec<ExampleView>,
}

pub async fn examples_page(State(app): State<AppState>, viewer: Viewer) -> Page {
    let examples = app
        .examples
        .iter()
        .map(|e| app.training.example_view(e))
        .collect();
    html(&ExamplesPage {
        nav: viewer.nav(),
        examples,
    })
}

#[derive(Template)]
#[template(path = "training/example.html")]
pub struct ExamplePage {
    pub nav: Nav,
    pub v: ExampleView,
}

pub async fn example_page(
    State(app): State<AppState>,
    viewer: Viewer,
    Path(project_type): Path<String>,
) -> Page {
    let v = app
        .training
        .example_view(app.training.example(&project_type)?);
    html(&ExamplePage {
        nav: viewer.nav(),
        v,
    })
}

pub async fn examples_api(State(app): State<AppState>) -> Json<ExamplesAnswer> {
    Json(app.training.examples_answer())
}

pub async fn example_api(
    State(app): State<AppState>,
    Path(project_type): Path<String>,
) -> Result<Json<ExampleAnswer>, ApiError> {
    let ex = app.training.example(&project_type)?;
    Ok(Json(app.training.example_view(ex).into()))
}

// ---- sessions ----

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct SessionBody {
    pub title: String,
    #[serde(default)]
    pub items: Vec<ItemSpec>,
}

pub async fn create_api(
    State(app): State<AppState>,
    Require(actor, _): Require<Editor>,
    headers: HeaderMap,
    Json(b): Json<SessionBody>,
) -> Result<(StatusCode, Json<SessionAnswer>), ApiError> {
    let s = app.training.create_session(actor.user, &b.title, b.items)?;
    let answer = app.training.session_answer(s, &base_url(&headers));
    Ok((StatusCode::CREATED, Json(answer)))
}

pub async fn get_api(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<SessionAnswer>, ApiError> {
    let s = app.training.session(&id)?;
    Ok(Json(app.training.session_answer(s, &base_url(&headers))))
}

#[derive(Template)]
#[template(path = "training/index.html")]
pub struct IndexPage {
    pub nav: Nav,
    pub sessions: Vec<TrainingSession>,
    pub examples: usize,
}

pub async fn index(State(app): State<AppState>, viewer: Viewer) -> Page {
    let sessions = match &viewer.user {
        Some(u) => app.training.sessions_of(&u.name, u.role)?,
        None => vec![],
    };
    html(&IndexPage {
        nav: viewer.nav(),
        sessions,
        examples: app.examples.len(),
    })
}

#[derive(Deserialize)]
pub struct NewSessionForm {
    title: String,
    /// `standard` adds the framework pages; anything else starts empty.
    #[serde(default)]
    template: String,
}

pub async fn create_page(
    State(app): State<AppState>,
    Require(actor, _): Require<Editor>,
    Form(f): Form<NewSessionForm>,
) -> Result<Redirect, PageError> {
    let specs = if f.template == "standard" {
        ItemSpec::framework_pages()
    } else {
        vec![]
    };
    let s = app.training.create_session(actor.user, &f.title, specs)?;
    Ok(Redirect::to(&format!("/training/sessions/{}", s.id)))
}

#[derive(Template)]
#[template(path = "training/session.html")]
pub struct SessionPage {
    pub nav: Nav,
    pub s: TrainingSession,
    pub items: Vec<ItemView>,
    pub parts: Vec<(&'static str, &'static str)>,
    pub types: Vec<(String, String)>,
    /// What was wrong with the last addition, shown beside the form (with what was typed).
    pub error: Option<(String, String)>,
}

fn session_view(
    app: &AppState,
    viewer: &Viewer,
    s: TrainingSession,
    error: Option<(String, String)>,
) -> Result<String, AppError> {
    let e = app.training.editor(&s);
    Ok(SessionPage {
        nav: viewer.nav(),
        items: e.items,
        parts: e.parts,
        types: e.types,
        s,
        error,
    }
    .render()?)
}

pub async fn session_page(
    State(app): State<AppState>,
    viewer: Viewer,
    _: Require<Editor>,
    Path(id): Path<String>,
) -> Page {
    let s = editable_session(&app, &viewer, &id)?;
    Ok(Html(session_view(&app, &viewer, s, None)?).into_response())
}

/// The editor's form (see `Training::edit_session`).
pub async fn session_submit(
    State(app): State<AppState>,
    viewer: Viewer,
    _: Require<Editor>,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let mut s = editable_session(&app, &viewer, &id)?;
    match app.training.edit_session(&mut s, &fields) {
        Ok(()) => Ok(Redirect::to(&format!("/training/sessions/{}#items", s.id)).into_response()),
        // A name that is no indicator, or several: said beside the form, the typing kept.
        Err(crate::training::TrainingError::Invalid { message, .. }) => {
            let typed = fields
                .iter()
                .find(|(k, _)| k == "code")
                .map(|(_, v)| v.clone())
                .unwrap_or_default();
            let s = app.training.session(&id)?;
            let page = session_view(&app, &viewer, s, Some((message, typed)))?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page)).into_response())
        }
        Err(e) => Err(AppError::from(e).into()),
    }
}

// ---- presentation ----

#[derive(Template)]
#[template(path = "training/present.html")]
pub struct PresentPage {
    pub s: TrainingSession,
    pub slides: Vec<Slide>,
    pub base: String,
    /// The slide this address shows (1-based): each slide has its own address, so the
    /// presentation advances by links where JavaScript is off.
    pub current: usize,
}

impl PresentPage {
    fn sev(&self, f: &LintFinding) -> &'static str {
        if f.severity == Severity::Error {
            "err"
        } else {
            "warn"
        }
    }

    fn label(&self, rule: &str) -> &'static str {
        rule_label(rule)
    }
}

pub async fn present(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Page {
    present_page(&app, &headers, &id, 1)
}

/// `/training/sessions/{id}/present/{n}`: the presentation open at slide `n`.
pub async fn present_slide(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path((id, n)): Path<(String, usize)>,
) -> Page {
    present_page(&app, &headers, &id, n)
}

fn present_page(app: &AppState, headers: &HeaderMap, id: &str, current: usize) -> Page {
    let s = app.training.session(id)?;
    let base = base_url(headers);
    let slides = app.training.slides(&s, &base)?;
    if current == 0 || current > slides.len() {
        return Err(AppError::not_found(
            "slide_not_found",
            format!("这个课程只有 {} 页幻灯片。", slides.len()),
        )
        .into());
    }
    html(&PresentPage {
        s,
        slides,
        base,
        current,
    })
}

// ---- trainees ----

#[derive(Template)]
#[template(path = "training/join.html")]
pub struct JoinPage {
    pub nav: Nav,
    pub ex: Option<Exercise>,
    pub type_name: String,
    pub error: Option<String>,
}

/// `/t`: a box to type the code into (what the exercise slide tells trainees to open).
pub async fn join_form(viewer: Viewer) -> Page {
    html(&JoinPage {
        nav: viewer.nav(),
        ex: None,
        type_name: String::new(),
        error: None,
    })
}

#[derive(Deserialize)]
pub struct CodeQuery {
    #[serde(default)]
    code: String,
}

pub async fn join_lookup(
    Query(q): Query<CodeQuery>,
    State(app): State<AppState>,
    guards: Guards,
    viewer: Viewer,
) -> Result<Response, PageError> {
    match exercise(&app, &guards, &viewer, &q.code) {
        Ok(e) => Ok(Redirect::to(&format!("/t/{}", e.code)).into_response()),
        Err(e @ (AppError::NotFound { .. } | AppError::Refused { .. })) => Ok((
            e.status(),
            Html(
                JoinPage {
                    nav: viewer.nav(),
                    ex: None,
                    type_name: String::new(),
                    error: Some(e.message()),
                }
                .render()?,
            ),
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

pub async fn join_page(
    State(app): State<AppState>,
    guards: Guards,
    viewer: Viewer,
    Path(code): Path<String>,
) -> Page {
    let ex = exercise(&app, &guards, &viewer, &code)?;
    html(&JoinPage {
        nav: viewer.nav(),
        type_name: app
            .search
            .catalog()
            .project_type_name(&ex.project_type)
            .to_string(),
        ex: Some(ex),
        error: None,
    })
}

pub async fn start_attempt(
    State(app): State<AppState>,
    guards: Guards,
    viewer: Viewer,
    Path(code): Path<String>,
) -> Result<Redirect, PageError> {
    let ex = exercise(&app, &guards, &viewer, &code)?;
    guards.admit_draft(&viewer)?;
    let a = app.training.start_attempt(&ex)?;
    Ok(Redirect::to(&format!("/t/{}/a/{}", ex.code, a.id)))
}

fn attempt(
    app: &AppState,
    guards: &Guards,
    viewer: &Viewer,
    code: &str,
    id: &str,
) -> Result<(Exercise, Attempt), AppError> {
    let ex = exercise(app, guards, viewer, code)?;
    let a = app.training.attempt(&ex, id)?;
    Ok((ex, a))
}

pub async fn attempt_page(
    State(app): State<AppState>,
    guards: Guards,
    viewer: Viewer,
    Path((code, id)): Path<(String, String)>,
) -> Page {
    let (ex, a) = attempt(&app, &guards, &viewer, &code, &id)?;
    let view = app.training.trainee_view(&ex, &a);
    let action = format!("/t/{}/a/{}", ex.code, a.id);
    html(&draft_page(
        &app.drafting,
        viewer.nav(),
        a.draft,
        action,
        Some(view),
    ))
}

pub async fn attempt_submit(
    State(app): State<AppState>,
    guards: Guards,
    viewer: Viewer,
    Path((code, id)): Path<(String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Redirect, PageError> {
    let (ex, mut a) = attempt(&app, &guards, &viewer, &code, &id)?;
    let submitted = app.training.save_form(&mut a, &fields)?;
    let anchor = if submitted { "#feedback" } else { "#table" };
    Ok(Redirect::to(&format!("/t/{}/a/{}{anchor}", ex.code, a.id)))
}

/// A whole attempt in one call: the rows, checked, compared and (by default) submitted.
pub async fn attempt_api(
    State(app): State<AppState>,
    guards: Guards,
    viewer: Viewer,
    Path(code): Path<String>,
    Json(b): Json<DraftBody>,
) -> Result<(StatusCode, Json<AttemptAnswer>), ApiError> {
    let ex = exercise(&app, &guards, &viewer, &code)?;
    let a = app.training.whole_attempt(&ex, b.rows)?;
    guards.admit_draft(&viewer)?;
    let s = app.training.submit_whole(&ex, a)?;
    Ok((StatusCode::CREATED, Json(AttemptAnswer::of(&ex, s))))
}

// ---- the room's summary ----

#[derive(Template)]
#[template(path = "training/summary.html")]
pub struct SummaryPage {
    pub nav: Nav,
    pub s: TrainingSession,
    pub exercises: Vec<ExerciseSummary>,
}

pub async fn summary_page(
    State(app): State<AppState>,
    viewer: Viewer,
    _: Require<Editor>,
    Path(id): Path<String>,
) -> Page {
    let s = editable_session(&app, &viewer, &id)?;
    let exercises = app.training.summaries(&s)?;
    html(&SummaryPage {
        nav: viewer.nav(),
        s,
        exercises,
    })
}

pub async fn summary_api(
    State(app): State<AppState>,
    viewer: Viewer,
    _: Require<Editor>,
    Path(id): Path<String>,
) -> Result<Json<SummaryAnswer>, ApiError> {
    let s = editable_session(&app, &viewer, &id)?;
    Ok(Json(app.training.summary_answer(&s)?))
}
