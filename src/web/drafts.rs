//! Drafting target tables: suggestions, checking, saving under an unguessable link, export and
//! import, as JSON API and as pages. Drafts are anonymous, so each has a size quota, new ones
//! are rate-limited per client address, and untouched ones expire.

use super::auth::{Nav, Viewer};
use super::draft_page::{DraftBody, PrintPage, draft_page};
use super::error::{ApiError, AppError, PageError};
use super::extract::{Form, Json, Path};
use super::response::attachment;
use super::state::AppState;
use super::throttle::Guards;
use super::uploads;
use crate::domain::Draft;
use crate::drafting::{self, DraftRequest};
use crate::ingest::xlsx;
use askama::Template;
use axum::body::{Body, Bytes};
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{Html, Redirect, Response};
use serde::Deserialize;
use serde_json::{Value, json};

/// Deletes drafts untouched for `draft_expiry` now and every `draft_sweep_every`, off the async
/// workers, for as long as the server runs.
pub fn spawn_expiry(app: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(app.config.limits.draft_sweep_every);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            let app = app.clone();
            let swept = tokio::task::spawn_blocking(move || app.drafting.expire()).await;
            match swept {
                Ok(Ok(0)) => {}
                Ok(Ok(n)) => tracing::info!(drafts = n, "expired drafts deleted"),
                Ok(Err(e)) => tracing::warn!(error = %e, "could not delete expired drafts"),
                Err(e) => tracing::warn!(error = %e, "the draft expiry task failed"),
            }
        }
    })
}

pub async fn suggest_targets(
    State(app): State<AppState>,
    Json(input): Json<DraftRequest>,
) -> Result<Json<Value>, ApiError> {
    let s = tokio::task::spawn_blocking(move || app.drafting.suggest(&input)).await??;
    let notice = s
        .project_type
        .is_none()
        .then_some(drafting::Suggestions::NO_TYPE);
    Ok(Json(json!({
        "project_type": s.project_type,
        "candidates": s.candidates,
        "notice": notice,
        "groups": s.groups,
    })))
}

/// Most codes `exclude` may name (a table has at most `max_rows` rows; more are ignored).
const MAX_EXCLUDED: usize = 500;

/// `GET /api/v1/drafting/suggest?q=…&type=…&exclude=A,B`: what the 添加指标 box of a draft
/// offers, the draft's project type first and without the rows the table already has.
pub async fn suggest_to_add(
    State(app): State<AppState>,
    p: super::params::Params,
) -> Result<Json<Value>, ApiError> {
    let q = p.text("q").unwrap_or_default();
    let limit = p.number("limit", 8)?;
    let project_type = p.text("type").filter(|t| !t.is_empty());
    let exclude = p.text("exclude").unwrap_or_default();
    let suggestions = tokio::task::spawn_blocking(move || {
        let taken: Vec<&str> = exclude
            .split(',')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .take(MAX_EXCLUDED)
            .collect();
        app.drafting
            .suggest_to_add(&q, project_type.as_deref(), &taken, limit)
    })
    .await??;
    Ok(Json(json!({ "suggestions": suggestions })))
}

pub async fn lint_api(
    State(app): State<AppState>,
    Json(b): Json<DraftBody>,
) -> Result<Json<Value>, ApiError> {
    let findings = app.drafting.check(b.project, b.rows)?;
    Ok(Json(json!({ "findings": findings })))
}

pub async fn create_api(
    State(app): State<AppState>,
    guards: Guards,
    viewer: Viewer,
    Json(input): Json<DraftRequest>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let draft = app.drafting.new_draft(&input)?;
    guards.admit_draft(&viewer)?;
    app.drafting.save(&draft)?;
    let f = app.drafting.findings(&draft);
    Ok((
        StatusCode::CREATED,
        Json(
            json!({ "id": draft.id, "url": format!("/drafts/{}", draft.id), "draft": draft, "findings": f }),
        ),
    ))
}

pub async fn get_api(
    State(app): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let d = app.drafting.load(&id)?;
    let f = app.drafting.findings(&d);
    Ok(Json(json!({ "draft": d, "findings": f })))
}

pub async fn put_api(
    State(app): State<AppState>,
    Path(id): Path<String>,
    Json(b): Json<DraftBody>,
) -> Result<Json<Value>, ApiError> {
    let d = app.drafting.replace(&id, b.project, b.rows)?;
    let f = app.drafting.findings(&d);
    Ok(Json(json!({ "draft": d, "findings": f })))
}

/// The draft in the layout `?layout=101` asks for (财预〔2021〕101号: 成本指标 as its own level
/// 1), else as the unit wrote it.
fn laid_out(app: &AppState, d: Draft, p: &super::params::Params) -> Draft {
    match p.text("layout").as_deref() {
        Some("101") => app.drafting.in_central2021(d),
        _ => d,
    }
}

pub async fn export_xlsx(
    State(app): State<AppState>,
    Path(id): Path<String>,
    p: super::params::Params,
) -> Result<Response, PageError> {
    let d = laid_out(&app, app.drafting.load(&id)?, &p);
    let bytes = xlsx::write_draft(&d, &app.drafting.type_name(&d))?;
    Ok(attachment(
        bytes,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &file_name(&d, "xlsx"),
    ))
}

pub async fn export_csv(
    State(app): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let d = app.drafting.load(&id)?;
    let bytes = xlsx::draft_csv(&d, &app.drafting.type_name(&d))
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(attachment(
        bytes,
        "text/csv; charset=utf-8",
        &file_name(&d, "csv"),
    ))
}

/// What a draft is saved as: 项目名称-绩效目标申报表.xlsx.
fn file_name(d: &Draft, ext: &str) -> String {
    format!("{}-绩效目标申报表.{ext}", d.project.name)
}

/// A new draft from an uploaded 申报表 (.xlsx): multipart field `file`, or the raw body. Anyone
/// may send one, so it is read within the draft ceiling of the upload limits, off the async
/// workers, in one of the bounded parse slots.
async fn import_bytes(
    app: &AppState,
    guards: &Guards,
    viewer: &Viewer,
    bytes: Bytes,
) -> Result<Draft, AppError> {
    if bytes.is_empty() {
        return Err(AppError::bad("not_xlsx", "未收到文件"));
    }
    let limits = app.config.uploads.sheet.for_drafts();
    let (project, rows) =
        uploads::parse(app, move || Ok(xlsx::read_draft(&bytes, &limits)?)).await?;
    let d = app.drafting.imported(project, rows)?;
    guards.admit_draft(viewer)?;
    app.drafting.save(&d)?;
    Ok(d)
}

async fn upload(app: &AppState, mut mp: Multipart) -> Result<Bytes, AppError> {
    let limits = app.config.uploads.sheet.for_drafts();
    let bad = |e| uploads::multipart_error(e, &limits);
    while let Some(field) = mp.next_field().await.map_err(bad)? {
        if field.name() == Some("file") {
            return field.bytes().await.map_err(bad);
        }
    }
    Err(AppError::bad(
        "invalid_upload",
        "请选择要导入的 .xlsx 文件（表单字段 file）",
    ))
}

pub async fn import_api(
    State(app): State<AppState>,
    guards: Guards,
    viewer: Viewer,
    body: Body,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let bytes = uploads::read_body(body, &app.config.uploads.sheet.for_drafts()).await?;
    let d = import_bytes(&app, &guards, &viewer, bytes).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "id": d.id, "url": format!("/drafts/{}", d.id), "draft": d })),
    ))
}

pub async fn import_page(
    State(app): State<AppState>,
    guards: Guards,
    viewer: Viewer,
    mp: Multipart,
) -> Result<Redirect, PageError> {
    let bytes = upload(&app, mp).await?;
    let d = import_bytes(&app, &guards, &viewer, bytes).await?;
    Ok(Redirect::to(&format!("/drafts/{}", d.id)))
}

// ---- pages ----

#[derive(Template)]
#[template(path = "drafts/new.html")]
pub struct NewPage {
    pub nav: Nav,
    pub types: Vec<(String, String, String)>,
    /// The form as sent, when it comes back with a problem (`error`) beside a field.
    pub sent: Option<NewForm>,
    pub error: Option<String>,
}

impl NewPage {
    fn new(app: &AppState, nav: Nav) -> NewPage {
        let c = app.search.catalog();
        let types = c
            .project_types
            .iter()
            .map(|t| (t.code.clone(), t.name.clone(), t.group.clone()))
            .collect();
        NewPage {
            nav,
            types,
            sent: None,
            error: None,
        }
    }

    /// A field of the form as sent, or empty.
    pub fn sent(&self, field: &str) -> String {
        let Some(f) = &self.sent else {
            return String::new();
        };
        match field {
            "project_name" => f.project_name.clone(),
            "description" => f.description.clone(),
            "project_type" => f.project_type.clone(),
            "budget_wan" => f.budget_wan.clone(),
            "unit_name" => f.unit_name.clone(),
            "year" => f.year.clone(),
            "term" => f.term.clone(),
            _ => String::new(),
        }
    }
}

pub async fn new_page(
    State(app): State<AppState>,
    viewer: Viewer,
) -> Result<Html<String>, PageError> {
    Ok(Html(NewPage::new(&app, viewer.nav()).render()?))
}

#[derive(Deserialize, Clone)]
pub struct NewForm {
    project_name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    project_type: String,
    #[serde(default)]
    budget_wan: String,
    #[serde(default)]
    term: String,
    #[serde(default)]
    unit_name: String,
    #[serde(default)]
    year: String,
}

pub async fn create_page(
    State(app): State<AppState>,
    guards: Guards,
    viewer: Viewer,
    Form(f): Form<NewForm>,
) -> Result<Response, PageError> {
    use axum::response::IntoResponse;
    let sent = f.clone();
    let input = DraftRequest::from_form(
        f.project_name,
        f.description,
        f.project_type,
        &f.budget_wan,
        f.term,
    )
    .and_then(|i| i.dated(&f.unit_name, &f.year));
    // A slip in the form comes back on the form, with everything typed still in it.
    let input = match input {
        Ok(i) => i,
        Err(e) => {
            let mut page = NewPage::new(&app, viewer.nav());
            page.sent = Some(sent);
            page.error = Some(e.to_string());
            let html = Html(page.render()?);
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response());
        }
    };
    let draft = app.drafting.new_draft(&input)?;
    guards.admit_draft(&viewer)?;
    app.drafting.save(&draft)?;
    Ok(Redirect::to(&format!("/drafts/{}", draft.id)).into_response())
}

/// A unit tells the curators that the library has no type for its project: the project name
/// joins the searches that found nothing in the curator inbox.
pub async fn report_gap(
    State(app): State<AppState>,
    Path(id): Path<String>,
) -> Result<Redirect, PageError> {
    let d = app.drafting.load(&id)?;
    app.drafting.report_gap(&d)?;
    Ok(Redirect::to(&format!("/drafts/{}", d.id)))
}

pub async fn edit(
    State(app): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Html<String>, PageError> {
    let d = app.drafting.load(&id)?;
    let action = format!("/drafts/{}", d.id);
    let page = draft_page(&app.drafting, viewer.nav(), d, action, None);
    Ok(Html(page.render()?))
}

/// The 申报表 to print: the form alone, without review output, links or controls.
pub async fn print(
    State(app): State<AppState>,
    Path(id): Path<String>,
    p: super::params::Params,
) -> Result<Html<String>, PageError> {
    let d = laid_out(&app, app.drafting.load(&id)?, &p);
    Ok(Html(PrintPage::new(&app.drafting, d).render()?))
}

/// The edit form: project fields, `rows[i].field` pairs, `remove` (row indices), `add` (an
/// indicator code or name). Everything that can be taken is saved; when a field could not be,
/// the page comes back at once with the message beside it and the typed text still in it.
pub async fn save_page(
    State(app): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    use axum::response::IntoResponse;
    let mut d = app.drafting.load(&id)?;
    let notes = app.drafting.apply_form(&mut d, &fields)?;
    app.drafting.save(&d)?;
    if notes.is_empty() {
        return Ok(Redirect::to(&format!("/drafts/{}#table", d.id)).into_response());
    }
    let action = format!("/drafts/{}", d.id);
    let mut page = draft_page(&app.drafting, viewer.nav(), d, action, None);
    page.notes = notes;
    Ok(Html(page.render()?).into_response())
}

/// Copies a draft (e.g. to next year): a new link, the same project and rows.
pub async fn copy_page(
    State(app): State<AppState>,
    guards: Guards,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Redirect, PageError> {
    let d = app.drafting.next_year(app.drafting.load(&id)?);
    guards.admit_draft(&viewer)?;
    app.drafting.save(&d)?;
    Ok(Redirect::to(&format!("/drafts/{}", d.id)))
}
