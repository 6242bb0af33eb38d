//! Evaluation results: import (page and API), the projects imported, the curator's review of
//! uncertain matches, the new-indicator candidates, the rows behind a statistic, per-indicator
//! statistics, and the downloadable template.
//!
//! Writes (import, match decisions, proposing a candidate) need the curator role (编辑 or
//! higher); reading is open, so units can see what the library learned.

use super::auth::{Nav, Viewer};
use super::error::{ApiError, AppError, PageError};
use super::extract::{Editor, Form, Json, Path, Require};
use super::params::Params;
use super::response::{Page, attachment, html};
use super::state::AppState;
use super::uploads;
use crate::curation::candidates::CandidateView;
use crate::domain::{EvaluatedProject, Indicator, Role};
use crate::evaluations::import::ImportFileError;
use crate::evaluations::service::{EvaluationsError, ProjectRow, ReviewItem, SourceRow};
use crate::evaluations::stats;
use crate::evaluations::{self, DecisionError, ImportError, ImportReport};
use crate::store::ProjectQuery;
use askama::Template;
use axum::body::{Body, Bytes};
use axum::extract::{Multipart, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::{Value, json};

/// Whether this caller may read results project by project (`Config::evaluations_public`).
pub fn may_read_projects(app: &AppState, viewer: &Viewer) -> bool {
    app.config.evaluations_public || viewer.user.is_some()
}

fn require_reader(app: &AppState, viewer: &Viewer) -> Result<(), AppError> {
    if may_read_projects(app, viewer) {
        Ok(())
    } else {
        Err(AppError::Unauthorized(
            "评价结果按项目查看仅对登录的工作人员开放；指标页的评价统计对所有人公开。".into(),
        ))
    }
}

impl From<ImportError> for AppError {
    fn from(e: ImportError) -> AppError {
        match e {
            ImportError::File(ImportFileError::Limit(l)) => l.into(),
            ImportError::File(f) => AppError::bad(f.code(), f.to_string()),
            ImportError::Store(s) => s.into(),
        }
    }
}

impl From<DecisionError> for AppError {
    fn from(e: DecisionError) -> AppError {
        match e {
            DecisionError::NoProject(_) => AppError::not_found("project_not_found", e.to_string()),
            DecisionError::NoRow(_) => AppError::not_found("row_not_found", e.to_string()),
            DecisionError::NothingToConfirm => AppError::bad("nothing_to_confirm", e.to_string()),
            DecisionError::UnknownIndicator(_) => AppError::bad("unknown_indicator", e.to_string()),
            DecisionError::Store(s) => s.into(),
        }
    }
}

impl From<EvaluationsError> for AppError {
    fn from(e: EvaluationsError) -> AppError {
        match e {
            EvaluationsError::Invalid { code, message } => AppError::bad(code, message),
            EvaluationsError::NotFound { code, message } => AppError::not_found(code, message),
            EvaluationsError::Import(e) => e.into(),
            EvaluationsError::Decision(e) => e.into(),
            EvaluationsError::Store(e) => e.into(),
        }
    }
}

// ---- import ----

async fn run_import(
    app: AppState,
    file: String,
    bytes: Bytes,
    dry_run: bool,
    by: String,
) -> Result<ImportReport, AppError> {
    // Parsing, matching (searches) and the transaction are CPU and disk work, in a parse slot.
    let work = app.clone();
    let report = uploads::parse(&app, move || {
        Ok(work.evaluations.import(&file, &bytes, dry_run, &by)?)
    })
    .await;
    super::metrics::evaluation_import(&app, report.as_ref().ok());
    report
}

fn file_name(p: &Params, headers: &HeaderMap) -> String {
    p.text("file")
        .or_else(|| {
            headers
                .get("x-file-name")
                .and_then(|v| v.to_str().ok())
                .map(|v| {
                    form_urlencoded::parse(format!("n={v}").as_bytes())
                        .next()
                        .map(|(_, v)| v.into_owned())
                        .unwrap_or_default()
                })
        })
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "上传文件".to_string())
        .chars()
        .take(200)
        .collect()
}

fn dry_run_flag(p: &Params) -> Result<bool, AppError> {
    match p.get("dry_run") {
        None | Some("" | "false" | "0") => Ok(false),
        Some("true" | "1") => Ok(true),
        Some(v) => Err(AppError::bad(
            "invalid_parameter",
            format!("参数 dry_run 应为 true 或 false，收到“{v}”"),
        )),
    }
}

/// `POST /api/v1/evaluations/import?dry_run=true|false&file=<name>`: the file is the raw body
/// (`.xlsx`, CSV or JSON). 201 when written; 200 for a dry run or a file imported before; 422
/// with the per-row errors when any row is bad (nothing written); 400 for an unreadable file.
pub async fn import_api(
    State(app): State<AppState>,
    Require(actor, _): Require<Editor>,
    headers: HeaderMap,
    p: Params,
    body: Body,
) -> Result<Response, ApiError> {
    let by = actor.user;
    let dry_run = dry_run_flag(&p)?;
    let bytes = uploads::read_body(body, &app.config.uploads.sheet).await?;
    let report = run_import(app, file_name(&p, &headers), bytes, dry_run, by).await?;
    let status = if !report.errors.is_empty() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else if report.written {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let body = if report.errors.is_empty() {
        json!({ "report": report })
    } else {
        json!({
            "error": { "code": "invalid_rows", "message": report.message },
            "report": report,
        })
    };
    Ok((status, Json(body)).into_response())
}

async fn upload(app: &AppState, mut mp: Multipart) -> Result<(String, Bytes, bool), AppError> {
    let bad = |e| uploads::multipart_error(e, &app.config.uploads.sheet);
    let (mut file, mut dry_run) = (None, false);
    while let Some(field) = mp.next_field().await.map_err(bad)? {
        match field.name() {
            Some("file") => {
                let name = field.file_name().unwrap_or("上传文件").to_string();
                file = Some((name, field.bytes().await.map_err(bad)?));
            }
            Some("dry_run") => {
                dry_run = matches!(
                    field.text().await.map_err(bad)?.as_str(),
                    "1" | "true" | "on"
                )
            }
            _ => {}
        }
    }
    let (name, bytes) = file.ok_or_else(|| {
        AppError::bad(
            "invalid_upload",
            "请选择要导入的自评表文件（.xlsx、.csv 或 .json）",
        )
    })?;
    Ok((name, bytes, dry_run))
}

#[derive(Template)]
#[template(path = "evaluations/report.html")]
pub struct ReportPage {
    pub nav: Nav,
    pub r: ImportReport,
    pub methods: Vec<(&'static str, usize)>,
}

fn methods(r: &ImportReport) -> Vec<(&'static str, usize)> {
    crate::domain::MatchMethod::ALL
        .iter()
        .filter_map(|m| r.matched.get(m.key()).map(|n| (m.label(), *n)))
        .collect()
}

pub async fn import_page(
    State(app): State<AppState>,
    viewer: Viewer,
    Require(actor, _): Require<Editor>,
    mp: Multipart,
) -> Page {
    let by = actor.user;
    let (name, bytes, dry_run) = upload(&app, mp).await?;
    let r = run_import(app, name, bytes, dry_run, by).await?;
    html(&ReportPage {
        nav: viewer.nav(),
        methods: methods(&r),
        r,
    })
}

// ---- projects ----

pub use crate::evaluations::listing::ProjectSummary;

/// Filters of the project list: year, type (code or name), grade, budget unit, part of the name.
fn project_filter(app: &AppState, p: &Params) -> Result<ProjectQuery, AppError> {
    let t = p.text("type").or_else(|| p.text("project_type"));
    let (year, grade) = (p.text("year"), p.text("grade"));
    Ok(app.evaluations.filter(
        year.as_deref(),
        t.as_deref(),
        grade.as_deref(),
        p.text("unit"),
        p.text("name"),
    )?)
}

/// `GET /api/v1/evaluations?year=&type=&grade=&unit=&name=&limit=&offset=`: the projects imported.
pub async fn list_api(
    State(app): State<AppState>,
    viewer: Viewer,
    p: Params,
) -> Result<Json<Value>, ApiError> {
    require_reader(&app, &viewer)?;
    let mut q = project_filter(&app, &p)?;
    q.limit = p.number("limit", 100)?.clamp(1, 1000);
    q.offset = p.number("offset", 0)?;
    let page = app.evaluations.page(&q)?;
    Ok(Json(
        json!({ "total": page.total, "projects": page.projects }),
    ))
}

/// `GET /api/v1/evaluations/projects/{id}`: one project with its rows, matches and sources.
pub async fn project_api(
    State(app): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    require_reader(&app, &viewer)?;
    let p = app.evaluations.project(&id)?;
    Ok(Json(json!({ "id": p.id(), "project": p })))
}

#[derive(Template)]
#[template(path = "evaluations/project.html")]
pub struct ProjectPage {
    pub nav: Nav,
    pub p: EvaluatedProject,
    pub type_name: String,
    pub rows: Vec<ProjectRow>,
    pub json: String,
}

/// `/evaluations/projects/{id}`: one project, its rows, what each is linked to and where it came
/// from (the page the list links to; the same data as JSON is `/api/v1/evaluations/projects/{id}`).
pub async fn project_page(
    State(app): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Page {
    require_reader(&app, &viewer)?;
    let p = app.evaluations.project(&id)?;
    let catalog = app.search.catalog();
    let rows = app.evaluations.project_rows(&p)?;
    html(&ProjectPage {
        nav: viewer.nav(),
        type_name: p
            .project_type
            .as_deref()
            .map(|t| catalog.project_type_name(t).to_string())
            .unwrap_or_else(|| "未识别".into()),
        json: format!(
            "/api/v1/evaluations/projects/{}",
            form_urlencoded::byte_serialize(id.as_bytes()).collect::<String>()
        ),
        rows,
        p,
    })
}

/// `GET /api/v1/indicators/{code}/stats`.
pub async fn stats_api(
    State(app): State<AppState>,
    Path(code): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let s = app.evaluations.stats(&code)?;
    Ok(Json(json!({
        "stats": s,
        "reference": stats::reference_text(&s),
        "coverage": s.coverage.summary(),
    })))
}

// ---- pages ----

#[derive(Template)]
#[template(path = "evaluations/index.html")]
pub struct IndexPage {
    pub nav: Nav,
    pub projects: Vec<ProjectSummary>,
    pub total: usize,
    pub imports: Vec<crate::domain::ImportSummary>,
    pub rows: usize,
    pub linked: usize,
    pub uncertain: usize,
    pub unmatched: usize,
    pub candidates: usize,
    pub years: Vec<i32>,
    pub types: Vec<(String, String)>,
    pub year: String,
    pub project_type: String,
    pub grade: String,
    pub unit: String,
    pub name: String,
    /// Links to the previous and next pages (filters kept).
    pub previous: Option<String>,
    pub next: Option<String>,
    pub page_no: usize,
    pub pages: usize,
    /// False for anonymous visitors where results are for signed-in staff only: the page then
    /// shows the totals and says how to see the projects.
    pub projects_visible: bool,
}

/// Projects on one page of `/evaluations`.
const PAGE: usize = 50;

/// The list page at `offset` with the same filters.
fn page_link(q: &ProjectQuery, offset: usize) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (k, v) in [
        ("year", q.year.map(|y| y.to_string())),
        ("type", q.project_type.clone()),
        ("grade", q.grade.map(|g| g.label().to_string())),
        ("unit", q.unit.clone()),
        ("name", q.name.clone()),
    ] {
        if let Some(v) = v {
            query.append_pair(k, &v);
        }
    }
    query.append_pair("offset", &offset.to_string());
    format!("/evaluations?{}", query.finish())
}

pub async fn index(State(app): State<AppState>, viewer: Viewer, p: Params) -> Page {
    let mut q = project_filter(&app, &p)?;
    q.limit = PAGE;
    q.offset = p.number("offset", 0)?;
    let projects_visible = may_read_projects(&app, &viewer);
    let mut page = app.evaluations.page(&q)?;
    if !projects_visible {
        page.projects.clear();
    }
    let link = |offset: usize| page_link(&q, offset);
    let (page_no, pages) = page.page_of();
    let imports = app.store.evaluation_recent_imports(20)?;
    html(&IndexPage {
        nav: viewer.nav(),
        total: page.total,
        rows: page.rows as usize,
        linked: page.linked as usize,
        uncertain: page.uncertain as usize,
        unmatched: page.unmatched as usize,
        candidates: app.store.evaluation_candidate_count()?,
        imports,
        previous: page.previous_offset().map(link),
        next: page.next_offset().map(link),
        page_no,
        pages,
        projects_visible,
        years: page.years,
        projects: page.projects,
        types: app.search.catalog().type_choices(),
        year: q.year.map(|y| y.to_string()).unwrap_or_default(),
        project_type: q.project_type.unwrap_or_default(),
        grade: q.grade.map(|g| g.label().to_string()).unwrap_or_default(),
        unit: q.unit.unwrap_or_default(),
        name: q.name.unwrap_or_default(),
    })
}

pub async fn template_xlsx() -> Result<Response, ApiError> {
    let bytes =
        evaluations::import::template_xlsx().map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(attachment(
        bytes,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "绩效自评表模板.xlsx",
    ))
}

pub async fn template_csv() -> Response {
    attachment(
        evaluations::import::template_csv(),
        "text/csv; charset=utf-8",
        "绩效自评表模板.csv",
    )
}

#[derive(Template)]
#[template(path = "evaluations/review.html")]
pub struct ReviewPage {
    pub nav: Nav,
    pub items: Vec<ReviewItem>,
    pub total: usize,
    /// A decision that could not be applied, shown beside its row.
    pub error: Option<RefusedDecision>,
}

/// Why a curator's decision on a row was refused, with what they typed.
pub struct RefusedDecision {
    pub project_id: String,
    pub index: usize,
    pub code: String,
    pub message: String,
}

impl ReviewPage {
    /// The refused decision, when it is about this row.
    pub fn error_for(&self, i: &ReviewItem) -> Option<&RefusedDecision> {
        self.error
            .as_ref()
            .filter(|e| e.project_id == i.project_id && e.index == i.index)
    }
}

fn review_page(app: &AppState, viewer: &Viewer, error: Option<RefusedDecision>) -> Page {
    let items = app.evaluations.review()?;
    html(&ReviewPage {
        nav: viewer.nav(),
        total: items.len(),
        items: items.into_iter().take(300).collect(),
        error,
    })
}

pub async fn review(State(app): State<AppState>, viewer: Viewer) -> Page {
    viewer.require(Role::Editor)?;
    review_page(&app, &viewer, None)
}

pub async fn review_api(
    State(app): State<AppState>,
    viewer: Viewer,
) -> Result<Json<Value>, ApiError> {
    viewer.require(Role::Editor)?;
    let items = app.evaluations.review()?;
    Ok(Json(json!({ "total": items.len(), "items": items })))
}

/// A curator's decision: `action` = `confirm` | `link` (with `code`) | `new`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct DecisionBody {
    pub project_id: String,
    pub index: usize,
    pub action: String,
    #[serde(default)]
    pub code: String,
}

async fn apply(app: AppState, b: DecisionBody, by: String) -> Result<EvaluatedProject, AppError> {
    Ok(tokio::task::spawn_blocking(move || {
        let e = &app.evaluations;
        e.decide(&b.project_id, b.index, &b.action, &b.code, &by)
    })
    .await??)
}

/// `POST /api/v1/evaluations/decisions`.
pub async fn decide_api(
    State(app): State<AppState>,
    Require(actor, _): Require<Editor>,
    Json(b): Json<DecisionBody>,
) -> Result<Json<Value>, ApiError> {
    let by = actor.user;
    let index = b.index;
    let p = apply(app, b, by).await?;
    Ok(Json(json!({ "id": p.id(), "row": p.rows.get(index) })))
}

pub async fn decide_page(
    State(app): State<AppState>,
    viewer: Viewer,
    Require(actor, _): Require<Editor>,
    Form(b): Form<DecisionBody>,
) -> Result<Response, PageError> {
    let by = actor.user;
    let (project_id, index, code) = (b.project_id.clone(), b.index, b.code.clone());
    match apply(app.clone(), b, by).await {
        Ok(_) => Ok(Redirect::to("/evaluations/review").into_response()),
        // A code that names no indicator (or a decision the row cannot take) comes back beside
        // the row with what was typed, not as an error page.
        Err(e @ (AppError::BadRequest { .. } | AppError::NotFound { .. })) => {
            let error = RefusedDecision {
                project_id,
                index,
                code,
                message: e.message(),
            };
            let page = review_page(&app, &viewer, Some(error))?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "evaluations/candidates.html")]
pub struct CandidatesPage {
    pub nav: Nav,
    pub items: Vec<CandidateView>,
}

pub async fn candidates(State(app): State<AppState>, viewer: Viewer) -> Page {
    require_reader(&app, &viewer)?;
    html(&CandidatesPage {
        nav: viewer.nav(),
        items: app.curation.candidate_views()?,
    })
}

/// `GET /api/v1/evaluations/candidates`: candidates with their evidence and indicator draft.
pub async fn candidates_api(
    State(app): State<AppState>,
    viewer: Viewer,
) -> Result<Json<Value>, ApiError> {
    require_reader(&app, &viewer)?;
    let items: Vec<Value> = app
        .curation
        .candidate_views()?
        .into_iter()
        .map(|v| {
            json!({
                "candidate": v.c,
                "projects": v.c.projects(),
                "indicator": v.draft,
                "findings": v.findings,
                "nearest": v.nearest,
            })
        })
        .collect();
    Ok(Json(json!({ "total": items.len(), "candidates": items })))
}

#[derive(Template)]
#[template(path = "evaluations/rows.html")]
pub struct RowsPage {
    pub nav: Nav,
    pub ind: Indicator,
    pub rows: Vec<SourceRow>,
}

/// `/evaluations/rows?indicator=CODE`: every row counted in the indicator's statistics, with
/// its file, sheet and row.
pub async fn rows(State(app): State<AppState>, viewer: Viewer, p: Params) -> Page {
    require_reader(&app, &viewer)?;
    let code = p
        .text("indicator")
        .ok_or_else(|| AppError::bad("invalid_parameter", "请指定指标编码：?indicator=编码"))?;
    let (ind, rows) = app.evaluations.source_rows(&code)?;
    html(&RowsPage {
        nav: viewer.nav(),
        ind,
        rows,
    })
}

/// A candidate as a proposal to create its indicator (provenance 评价沉淀).
fn propose_candidate(
    app: &AppState,
    actor: &crate::curation::Actor,
    id: &str,
) -> Result<crate::domain::Proposal, AppError> {
    let c = app.evaluations.candidate(id)?;
    Ok(app.curation.propose_candidate(actor, &c)?)
}

/// `POST /evaluations/candidates/{id}/propose`.
pub async fn propose_candidate_page(
    State(app): State<AppState>,
    Require(actor, _): Require<Editor>,
    Path(id): Path<String>,
) -> Result<Redirect, PageError> {
    let p = tokio::task::spawn_blocking(move || propose_candidate(&app, &actor, &id))
        .await
        .map_err(AppError::from)??;
    Ok(Redirect::to(&format!("/proposals/{}", p.id)))
}

/// `POST /api/v1/evaluations/candidates/{id}/propose`.
pub async fn propose_candidate_api(
    State(app): State<AppState>,
    Require(actor, _): Require<Editor>,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<crate::domain::Proposal>), ApiError> {
    let p = tokio::task::spawn_blocking(move || propose_candidate(&app, &actor, &id))
        .await
        .map_err(AppError::from)??;
    Ok((StatusCode::CREATED, Json(p)))
}
