//! Training mode: worked examples, sessions a trainer assembles and presents, exercises trainees
//! join with a short code, the room's anonymous summary, and the printable handbook.
//!
//! Creating and changing a session needs a signed-in account (编辑 or above): it does not change
//! the library, but it names its trainer and reads the room's results. Presenting needs only the
//! session's unguessable link, and trainees join anonymously; their work lives in training's own
//! trees, never in the library or in real drafts.

use super::AppState;
use super::auth::{Nav, Viewer};
use super::draft_page::{DraftBody, TraineeView, draft_page};
use super::error::{ApiError, AppError, PageError};
use super::extract::{Editor, Form, Json, Path, Query, Require};
use super::throttle::{Guards, too_many};
use crate::domain::lint::{LintFinding, Severity};
use crate::domain::training::{
    Attempt, Exercise, FrameworkPart, SessionItem, TrainingSession, compare, normalize_join_code,
    rule_label,
};
use crate::domain::{Framework, Indicator, Role};
use crate::training::{self, ExampleView, ExerciseSummary, ItemSpec};
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::{Value, json};

type Page = Result<Html<String>, PageError>;

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
    let found = match normalize_join_code(code) {
        Some(code) => app.store.exercise(&code)?,
        None => None,
    };
    let ex = found.ok_or_else(|| {
        AppError::not_found("exercise_not_found", "没有这个练习码，请核对后重新输入")
    })?;
    guards.join_codes.refund(&key);
    Ok(ex)
}

/// Trainers may change their own sessions; administrators any.
fn may_edit(viewer: &Viewer, s: &TrainingSession) -> Result<(), AppError> {
    let actor = viewer.require(Role::Editor)?;
    if actor.user != s.owner && !actor.role.allows(Role::Admin) {
        return Err(AppError::Forbidden {
            code: "forbidden",
            message: format!("这个培训课程由 {} 创建，只有创建人可以修改", s.owner),
        });
    }
    Ok(())
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
    Ok(Html(
        ExamplesPage {
            nav: viewer.nav(),
            examples,
        }
        .render()?,
    ))
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
    Ok(Html(
        ExamplePage {
            nav: viewer.nav(),
            v,
        }
        .render()?,
    ))
}

fn example_json(v: &ExampleView) -> Value {
    json!({
        "project_type": v.ex.project_type,
        "type_name": v.type_name,
        "title": v.ex.title,
        "unit_name": v.ex.unit_name,
        "description": v.ex.description,
        "budget_wan": v.ex.budget_wan,
        "note": v.ex.note,
        "source": v.ex.source,
        "bad": v.bad,
        "good": v.good,
    })
}

pub async fn examples_api(State(app): State<AppState>) -> Json<Value> {
    let list: Vec<Value> = app
        .examples
        .iter()
        .map(|e| example_json(&app.training.example_view(e)))
        .collect();
    Json(json!({ "examples": list }))
}

pub async fn example_api(
    State(app): State<AppState>,
    Path(project_type): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let ex = app.training.example(&project_type)?;
    Ok(Json(example_json(&app.training.example_view(ex))))
}

// ---- sessions ----

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct SessionBody {
    pub title: String,
    #[serde(default)]
    pub items: Vec<ItemSpec>,
}

fn session_json(app: &AppState, s: &TrainingSession, headers: &HeaderMap) -> Value {
    let base = base_url(headers);
    let exercises: Vec<Value> = s
        .items
        .iter()
        .filter_map(|i| match i {
            SessionItem::Exercise { code } => Some(json!({
                "code": code,
                "url": format!("{base}/t/{code}"),
                "attempts": app.store.attempts(code).map(|a| a.len()).unwrap_or(0),
            })),
            _ => None,
        })
        .collect();
    json!({
        "session": s,
        "url": format!("/training/sessions/{}", s.id),
        "present": format!("/training/sessions/{}/present", s.id),
        "handbook": format!("/training/sessions/{}/handbook", s.id),
        "exercises": exercises,
    })
}

pub async fn create_api(
    State(app): State<AppState>,
    viewer: Viewer,
    _: Require<Editor>,
    headers: HeaderMap,
    Json(b): Json<SessionBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let s = app
        .training
        .create_session(viewer.require(Role::Editor)?.user, &b.title, b.items)?;
    Ok((StatusCode::CREATED, Json(session_json(&app, &s, &headers))))
}

pub async fn get_api(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let s = app.training.session(&id)?;
    Ok(Json(session_json(&app, &s, &headers)))
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
        Some(u) if u.role.allows(Role::Editor) => app
            .store
            .training_sessions()?
            .into_iter()
            .filter(|s| s.owner == u.name || u.role.allows(Role::Admin))
            .collect(),
        _ => vec![],
    };
    Ok(Html(
        IndexPage {
            nav: viewer.nav(),
            sessions,
            examples: app.examples.len(),
        }
        .render()?,
    ))
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
    viewer: Viewer,
    _: Require<Editor>,
    Form(f): Form<NewSessionForm>,
) -> Result<Redirect, PageError> {
    let specs = if f.template == "standard" {
        FrameworkPart::ALL
            .iter()
            .map(|p| ItemSpec::Framework {
                part: p.key().into(),
            })
            .collect()
    } else {
        vec![]
    };
    let s = app
        .training
        .create_session(viewer.require(Role::Editor)?.user, &f.title, specs)?;
    Ok(Redirect::to(&format!("/training/sessions/{}", s.id)))
}

/// One line of the session editor.
pub struct ItemView {
    pub kind: &'static str,
    pub label: String,
    pub detail: String,
}

fn item_view(app: &AppState, item: &SessionItem) -> ItemView {
    let catalog = app.search.catalog();
    match item {
        SessionItem::Framework { part } => ItemView {
            kind: "指标体系",
            label: part.title().into(),
            detail: String::new(),
        },
        SessionItem::Indicator {
            code,
            revision,
            edition,
        } => {
            let name = app
                .store
                .revision(code, *revision)
                .ok()
                .flatten()
                .map(|r| r.indicator.name)
                .unwrap_or_else(|| "（已不存在）".into());
            ItemView {
                kind: "指标",
                label: format!("{name}（{code}）"),
                detail: match edition {
                    Some(e) => format!("{e} 版，第 {revision} 版"),
                    None => format!("第 {revision} 版"),
                },
            }
        }
        SessionItem::Example { project_type } => ItemView {
            kind: "正例/反例",
            label: catalog.project_type_name(project_type).to_string(),
            detail: String::new(),
        },
        SessionItem::Exercise { code } => {
            let ex = app.store.exercise(code).ok().flatten();
            ItemView {
                kind: "练习",
                label: ex
                    .as_ref()
                    .map(|e| e.project.name.clone())
                    .unwrap_or_default(),
                detail: format!(
                    "练习码 {code}{}",
                    ex.map(|e| format!("，{}", e.start.label()))
                        .unwrap_or_default()
                ),
            }
        }
    }
}

#[derive(Template)]
#[template(path = "training/session.html")]
pub struct SessionPage {
    pub nav: Nav,
    pub s: TrainingSession,
    pub items: Vec<ItemView>,
    pub parts: Vec<(&'static str, &'static str)>,
    pub types: Vec<(String, String)>,
}

pub async fn session_page(
    State(app): State<AppState>,
    viewer: Viewer,
    _: Require<Editor>,
    Path(id): Path<String>,
) -> Page {
    let s = app.training.session(&id)?;
    may_edit(&viewer, &s)?;
    let catalog = app.search.catalog();
    Ok(Html(
        SessionPage {
            nav: viewer.nav(),
            items: s.items.iter().map(|i| item_view(&app, i)).collect(),
            parts: FrameworkPart::ALL
                .iter()
                .map(|p| (p.key(), p.title()))
                .collect(),
            types: app
                .examples
                .iter()
                .map(|e| {
                    (
                        e.project_type.clone(),
                        catalog.project_type_name(&e.project_type).to_string(),
                    )
                })
                .collect(),
            s,
        }
        .render()?,
    ))
}

/// The editor's form (see `Training::edit_session`).
pub async fn session_submit(
    State(app): State<AppState>,
    viewer: Viewer,
    _: Require<Editor>,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Redirect, PageError> {
    let mut s = app.training.session(&id)?;
    may_edit(&viewer, &s)?;
    app.training.edit_session(&mut s, &fields)?;
    Ok(Redirect::to(&format!("/training/sessions/{}#items", s.id)))
}

// ---- presentation ----

/// One slide; the presentation template matches on it.
pub enum Slide {
    Title {
        title: String,
        subtitle: String,
    },
    Framework {
        part: FrameworkPart,
        local: Framework,
        central: Option<Framework>,
        rules: Vec<(String, String)>,
    },
    Indicator {
        ind: Box<Indicator>,
        revision: u32,
        edition: Option<String>,
        current: u32,
        permalink: String,
    },
    ExampleBad {
        v: Box<ExampleView>,
    },
    ExampleGood {
        v: Box<ExampleView>,
    },
    ExampleNote {
        v: Box<ExampleView>,
    },
    Exercise {
        code: String,
        join_url: String,
        title: String,
        description: String,
        budget: f64,
        start: &'static str,
    },
    Gone {
        what: String,
    },
}

fn slides(app: &AppState, s: &TrainingSession, base: &str) -> Result<Vec<Slide>, AppError> {
    let catalog = app.search.catalog();
    let local = catalog.framework().clone();
    let central = catalog
        .frameworks
        .iter()
        .find(|f| f.code == "central2021")
        .cloned();
    let mut out = vec![Slide::Title {
        title: s.title.clone(),
        subtitle: format!(
            "预算绩效目标编制培训 · {}",
            s.updated.format("%Y年%m月%d日")
        ),
    }];
    for item in &s.items {
        match item {
            SessionItem::Framework { part } => out.push(Slide::Framework {
                part: *part,
                local: local.clone(),
                central: central.clone(),
                rules: app.training.rule_lines(),
            }),
            SessionItem::Indicator {
                code,
                revision,
                edition,
            } => match app.store.revision(code, *revision)? {
                Some(r) => out.push(Slide::Indicator {
                    ind: Box::new(r.indicator),
                    revision: *revision,
                    current: app.store.last_revision(code)?,
                    permalink: match edition {
                        Some(e) => format!("/editions/{e}/indicators/{code}"),
                        None => format!("/indicators/{code}/r/{revision}"),
                    },
                    edition: edition.clone(),
                }),
                None => out.push(Slide::Gone {
                    what: format!("指标 {code} 第 {revision} 版"),
                }),
            },
            SessionItem::Example { project_type } => match app.training.example(project_type) {
                Ok(ex) => {
                    let v = app.training.example_view(ex);
                    out.push(Slide::ExampleBad {
                        v: Box::new(ExampleView {
                            ex: v.ex.clone(),
                            type_name: v.type_name.clone(),
                            bad: v.bad.clone(),
                            good: v.good.clone(),
                        }),
                    });
                    out.push(Slide::ExampleGood {
                        v: Box::new(app.training.example_view(ex)),
                    });
                    out.push(Slide::ExampleNote { v: Box::new(v) });
                }
                Err(_) => out.push(Slide::Gone {
                    what: format!("项目类型 {project_type} 的示例"),
                }),
            },
            SessionItem::Exercise { code } => match app.store.exercise(code)? {
                Some(e) => out.push(Slide::Exercise {
                    code: code.clone(),
                    join_url: format!("{base}/t/{code}"),
                    title: e.project.name.clone(),
                    description: e.project.description.clone(),
                    budget: e.project.budget_wan.unwrap_or_default(),
                    start: e.start.label(),
                }),
                None => out.push(Slide::Gone {
                    what: format!("练习 {code}"),
                }),
            },
        }
    }
    Ok(out)
}

#[derive(Template)]
#[template(path = "training/present.html")]
pub struct PresentPage {
    pub s: TrainingSession,
    pub slides: Vec<Slide>,
    pub base: String,
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
    let s = app.training.session(&id)?;
    let base = base_url(&headers);
    let slides = slides(&app, &s, &base)?;
    Ok(Html(PresentPage { s, slides, base }.render()?))
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
    Ok(Html(
        JoinPage {
            nav: viewer.nav(),
            ex: None,
            type_name: String::new(),
            error: None,
        }
        .render()?,
    ))
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
    Ok(Html(
        JoinPage {
            nav: viewer.nav(),
            type_name: app
                .search
                .catalog()
                .project_type_name(&ex.project_type)
                .to_string(),
            ex: Some(ex),
            error: None,
        }
        .render()?,
    ))
}

pub async fn start_attempt(
    State(app): State<AppState>,
    guards: Guards,
    viewer: Viewer,
    Path(code): Path<String>,
) -> Result<Redirect, PageError> {
    let ex = exercise(&app, &guards, &viewer, &code)?;
    guards.admit_draft(&viewer)?;
    let a = training::new_attempt(&ex);
    app.store.put_attempt(&a)?;
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
    let a = app
        .store
        .attempt(&ex.code, id)?
        .ok_or_else(|| AppError::not_found("attempt_not_found", "没有这份练习（链接可能有误）"))?;
    Ok((ex, a))
}

fn trainee_view(app: &AppState, ex: &Exercise, a: &Attempt) -> TraineeView {
    TraineeView {
        code: ex.code.clone(),
        submitted: a.submitted.is_some(),
        comparison: compare(&ex.model, &a.draft.rows),
        names: a.draft.rows.iter().map(|r| r.name.clone()).collect(),
        note: app
            .training
            .example(&ex.project_type)
            .map(|e| e.note.clone())
            .unwrap_or_default(),
    }
}

pub async fn attempt_page(
    State(app): State<AppState>,
    guards: Guards,
    viewer: Viewer,
    Path((code, id)): Path<(String, String)>,
) -> Page {
    let (ex, a) = attempt(&app, &guards, &viewer, &code, &id)?;
    let view = trainee_view(&app, &ex, &a);
    let action = format!("/t/{}/a/{}", ex.code, a.id);
    Ok(Html(
        draft_page(
            &app.drafting,
            viewer.nav(),
            a.draft,
            false,
            action,
            Some(view),
        )
        .render()?,
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
    app.drafting.apply_form(&mut a.draft, &fields)?;
    app.drafting.check_size(&a.draft)?;
    let submitted = fields.iter().any(|(k, v)| k == "submit" && v == "1");
    if submitted {
        let f = app.drafting.findings(&a.draft);
        training::submit(&mut a, f);
    }
    app.store.put_attempt(&a)?;
    let anchor = if submitted { "#feedback" } else { "#table" };
    Ok(Redirect::to(&format!("/t/{}/a/{}{anchor}", ex.code, a.id)))
}

/// A whole attempt in one call: the rows, checked, compared and (by default) submitted.
pub async fn attempt_api(
    State(app): State<AppState>,
    guards: Guards,
    viewer: Viewer,
    Path(code): Path<String>,
    Json(mut b): Json<DraftBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let ex = exercise(&app, &guards, &viewer, &code)?;
    // The practice case is the trainer's: a trainee changes the rows, not the project.
    app.drafting.validate(&ex.project, &mut b.rows)?;
    let mut a = training::new_attempt(&ex);
    a.draft.rows = b.rows;
    app.drafting.check_size(&a.draft)?;
    guards.admit_draft(&viewer)?;
    let f = app.drafting.findings(&a.draft);
    let f = training::submit(&mut a, f);
    app.store.put_attempt(&a)?;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "id": a.id,
            "url": format!("/t/{}/a/{}", ex.code, a.id),
            "findings": f,
            "comparison": compare(&ex.model, &a.draft.rows),
        })),
    ))
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
    let s = app.training.session(&id)?;
    may_edit(&viewer, &s)?;
    let exercises = app.training.summaries(&s)?;
    Ok(Html(
        SummaryPage {
            nav: viewer.nav(),
            s,
            exercises,
        }
        .render()?,
    ))
}

pub async fn summary_api(
    State(app): State<AppState>,
    viewer: Viewer,
    _: Require<Editor>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let s = app.training.session(&id)?;
    may_edit(&viewer, &s)?;
    let list: Vec<Value> = app.training.summaries(&s)?
        .into_iter()
        .map(|e| {
            json!({
                "code": e.code,
                "title": e.title,
                "attempts": e.attempts,
                "submitted": e.submitted,
                "coverage_percent": e.coverage,
                "rules": e.rules.iter().map(|(r, l, n)| json!({ "rule": r, "label": l, "attempts": n })).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(Json(json!({ "session": s.id, "exercises": list })))
}
