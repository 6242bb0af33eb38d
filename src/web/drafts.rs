//! Drafting target tables: suggestions, checking, saving under an unguessable link, export and
//! import, as JSON API and as pages. Drafts are anonymous, so each has a size quota, new ones
//! are rate-limited per client address, and untouched ones expire.

use super::AppState;
use super::auth::{Nav, Viewer};
use super::error::{ApiError, AppError, PageError};
use super::extract::{Form, Json, Path};
use super::throttle::{Guards, too_many};
use super::uploads;
use crate::domain::lint::{LintConfig, LintFinding, lint};
use crate::domain::{Draft, DraftProject, DraftRow, Term};
use crate::drafting::{self, DraftingError, ProjectInput};
use crate::ingest::xlsx;
use crate::store::{DraftError, DraftQuota};
use askama::Template;
use axum::body::{Body, Bytes};
use axum::extract::{Multipart, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::{Value, json};

/// Longest text in any one cell (rows and bytes per draft are settings: `Limits`).
const MAX_CELL_CHARS: usize = 2_000;

impl From<DraftingError> for AppError {
    fn from(e: DraftingError) -> AppError {
        match e {
            DraftingError::BadInput(m) => AppError::bad("invalid_project", m),
            DraftingError::Search(s) => s.into(),
        }
    }
}

impl From<DraftError> for AppError {
    fn from(e: DraftError) -> AppError {
        let (status, code) = match &e {
            DraftError::TooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "draft_too_large"),
            DraftError::Full { .. } => (StatusCode::INSUFFICIENT_STORAGE, "draft_storage_full"),
            DraftError::Store(_) => return AppError::Internal(e.to_string()),
        };
        AppError::Refused {
            status,
            code,
            message: e.to_string(),
        }
    }
}

/// Saves a draft within its quota and the cap on all drafts.
fn save(app: &AppState, d: &Draft) -> Result<(), AppError> {
    let l = &app.config.limits;
    let quota = DraftQuota {
        max_bytes: l.draft_max_bytes,
        total_bytes: l.drafts_total_bytes,
    };
    Ok(app.store.save_draft(d, &quota)?)
}

/// Whether this caller may start one more draft (or training attempt) now: counts it if so.
pub(crate) fn admit(guards: &Guards, viewer: &Viewer) -> Result<(), AppError> {
    guards
        .drafts
        .take(&viewer.limit_key())
        .map_err(|wait| too_many("draft_rate_limited", "新建草稿过于频繁", wait))
}

/// The size quota for what is not stored as a draft (training attempts), checked the same way.
pub(crate) fn check_size(app: &AppState, d: &Draft) -> Result<(), AppError> {
    let bytes = serde_json::to_vec(d).map_or(0, |b| b.len());
    let max = app.config.limits.draft_max_bytes;
    if bytes > max {
        return Err(DraftError::TooLarge { bytes, max }.into());
    }
    Ok(())
}

/// Deletes drafts untouched for `draft_expiry` now and every `draft_sweep_every`, off the async
/// workers, for as long as the server runs.
pub fn spawn_expiry(app: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(app.config.limits.draft_sweep_every);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            let app = app.clone();
            let swept = tokio::task::spawn_blocking(move || {
                let expiry = chrono::Duration::from_std(app.config.limits.draft_expiry)
                    .unwrap_or(chrono::Duration::MAX);
                let cutoff = chrono::Utc::now()
                    .checked_sub_signed(expiry)
                    .unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC);
                app.store.expire_drafts(cutoff)
            })
            .await;
            match swept {
                Ok(Ok(0)) => {}
                Ok(Ok(n)) => tracing::info!(drafts = n, "expired drafts deleted"),
                Ok(Err(e)) => tracing::warn!(error = %e, "could not delete expired drafts"),
                Err(e) => tracing::warn!(error = %e, "the draft expiry task failed"),
            }
        }
    })
}

/// What the draft page says about expiry, e.g. 草稿 180 天未修改将被删除（最后修改 …）.
fn expiry_note(app: &AppState, d: &Draft) -> String {
    let expiry = app.config.limits.draft_expiry;
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

impl From<xlsx::SheetError> for AppError {
    fn from(e: xlsx::SheetError) -> AppError {
        match e {
            xlsx::SheetError::Write(w) => AppError::Internal(w.to_string()),
            xlsx::SheetError::Read(r) => r.into(),
            other => AppError::bad("invalid_sheet", other.to_string()),
        }
    }
}

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

/// Checks sizes and that every referenced library indicator exists; fills in revisions.
pub(crate) fn validate(
    app: &AppState,
    project: &DraftProject,
    rows: &mut [DraftRow],
) -> Result<(), AppError> {
    if project.name.trim().is_empty() {
        return Err(AppError::bad("invalid_project", "请填写项目名称"));
    }
    let max_rows = app.config.limits.draft_max_rows;
    if rows.len() > max_rows {
        return Err(AppError::Refused {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            code: "too_many_rows",
            message: format!("指标最多 {max_rows} 行，收到 {} 行", rows.len()),
        });
    }
    let long = |s: &str| s.chars().count() > MAX_CELL_CHARS;
    if long(&project.description) || long(&project.name) || long(&project.unit_name) {
        return Err(AppError::bad(
            "field_too_long",
            format!("项目信息每项最多 {MAX_CELL_CHARS} 字"),
        ));
    }
    if let Some(t) = &project.project_type
        && !t.is_empty()
        && app.search.catalog().project_type(t).is_none()
    {
        return Err(AppError::bad(
            "invalid_project",
            format!("项目类型编码“{t}”不存在"),
        ));
    }
    for (i, r) in rows.iter_mut().enumerate() {
        if [
            &r.name,
            &r.target,
            &r.unit,
            &r.explanation,
            &r.level1,
            &r.level2,
        ]
        .iter()
        .any(|s| long(s))
        {
            return Err(AppError::bad(
                "field_too_long",
                format!("第 {} 行内容过长", i + 1),
            ));
        }
        if let Some(code) = &r.indicator {
            let Some(ind) = app.store.indicator(code)? else {
                return Err(AppError::bad(
                    "unknown_indicator",
                    format!("第 {} 行引用的指标“{code}”不存在", i + 1),
                ));
            };
            if r.revision.is_none() {
                r.revision = app.store.revisions(code)?.last().map(|v| v.number);
            }
            if r.name.trim().is_empty() {
                r.name = ind.name;
            }
        }
    }
    Ok(())
}

pub(crate) fn findings(app: &AppState, d: &Draft) -> Vec<LintFinding> {
    let catalog = app.search.catalog();
    let lookup = |code: &str| app.store.indicator(code).ok().flatten();
    let mut out = lint(d, &app.lint, &catalog, &lookup);
    out.extend(crate::curation::retirement::draft_findings(&app.store, d));
    out
}

fn load(app: &AppState, id: &str) -> Result<Draft, AppError> {
    app.store
        .draft(id)?
        .ok_or_else(|| AppError::not_found("draft_not_found", "没有这份申报表草稿（链接可能有误）"))
}

pub async fn suggest_targets(
    State(app): State<AppState>,
    Json(input): Json<ProjectInput>,
) -> Result<Json<Value>, ApiError> {
    let s = tokio::task::spawn_blocking(move || {
        let practice = super::evaluations::practice(&app)?;
        Ok::<_, AppError>(drafting::suggest_with(&app.search, &input, &practice)?)
    })
    .await??;
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

pub async fn lint_api(
    State(app): State<AppState>,
    Json(mut b): Json<DraftBody>,
) -> Result<Json<Value>, ApiError> {
    validate(&app, &b.project, &mut b.rows)?;
    let now = chrono::Utc::now();
    let d = Draft {
        id: String::new(),
        project: b.project,
        rows: b.rows,
        owner: None,
        created: now,
        updated: now,
    };
    Ok(Json(json!({ "findings": findings(&app, &d) })))
}

fn revision_of(app: &AppState) -> impl Fn(&str) -> Option<u32> + '_ {
    move |code| app.store.revisions(code).ok()?.last().map(|r| r.number)
}

pub async fn create_api(
    State(app): State<AppState>,
    guards: Guards,
    viewer: Viewer,
    Json(input): Json<ProjectInput>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let draft = drafting::new_draft(&app.search, &input, &revision_of(&app))?;
    admit(&guards, &viewer)?;
    save(&app, &draft)?;
    let f = findings(&app, &draft);
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
    let d = load(&app, &id)?;
    let f = findings(&app, &d);
    Ok(Json(json!({ "draft": d, "findings": f })))
}

pub async fn put_api(
    State(app): State<AppState>,
    Path(id): Path<String>,
    Json(mut b): Json<DraftBody>,
) -> Result<Json<Value>, ApiError> {
    let mut d = load(&app, &id)?;
    validate(&app, &b.project, &mut b.rows)?;
    d.project = b.project;
    d.rows = b.rows;
    d.updated = chrono::Utc::now();
    save(&app, &d)?;
    let f = findings(&app, &d);
    Ok(Json(json!({ "draft": d, "findings": f })))
}

fn type_name(app: &AppState, d: &Draft) -> String {
    d.project
        .project_type
        .as_deref()
        .map(|t| app.search.catalog().project_type_name(t).to_string())
        .unwrap_or_default()
}

pub async fn export_xlsx(
    State(app): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let d = load(&app, &id)?;
    let bytes = xlsx::write_draft(&d, &type_name(&app, &d))?;
    Ok(download(
        bytes,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &d,
        "xlsx",
    ))
}

pub async fn export_csv(
    State(app): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let d = load(&app, &id)?;
    let bytes = xlsx::draft_csv(&d).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(download(bytes, "text/csv; charset=utf-8", &d, "csv"))
}

fn download(bytes: Vec<u8>, mime: &str, d: &Draft, ext: &str) -> Response {
    let name: String = form_urlencoded::byte_serialize(
        format!("{}-绩效目标申报表.{ext}", d.project.name).as_bytes(),
    )
    .collect();
    (
        [
            (header::CONTENT_TYPE, mime.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename*=UTF-8''{name}"),
            ),
        ],
        bytes,
    )
        .into_response()
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
    let (project, mut rows) =
        uploads::parse(app, move || Ok(xlsx::read_draft(&bytes, &limits)?)).await?;
    validate(app, &project, &mut rows)?;
    let now = chrono::Utc::now();
    let d = Draft {
        id: drafting::new_id(),
        project,
        rows,
        owner: None,
        created: now,
        updated: now,
    };
    admit(guards, viewer)?;
    save(app, &d)?;
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
}

pub async fn new_page(
    State(app): State<AppState>,
    viewer: Viewer,
) -> Result<Html<String>, PageError> {
    let c = app.search.catalog();
    let types = c
        .project_types
        .iter()
        .map(|t| (t.code.clone(), t.name.clone(), t.group.clone()))
        .collect();
    Ok(Html(
        NewPage {
            nav: viewer.nav(),
            types,
        }
        .render()?,
    ))
}

#[derive(Deserialize)]
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
}

pub async fn create_page(
    State(app): State<AppState>,
    guards: Guards,
    viewer: Viewer,
    Form(f): Form<NewForm>,
) -> Result<Redirect, PageError> {
    let budget_wan = match f.budget_wan.trim() {
        "" => None,
        b => Some(
            b.parse::<f64>()
                .map_err(|_| AppError::bad("invalid_project", format!("预算金额“{b}”不是数字")))?,
        ),
    };
    let input = ProjectInput {
        project_name: f.project_name,
        description: f.description,
        project_type: Some(f.project_type).filter(|t| !t.is_empty()),
        budget_wan,
        term: Some(f.term),
    };
    let draft = drafting::new_draft(&app.search, &input, &revision_of(&app))?;
    admit(&guards, &viewer)?;
    save(&app, &draft)?;
    Ok(Redirect::to(&format!("/drafts/{}", draft.id)))
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
    pub training: Option<super::training::TraineeView>,
    /// When an untouched draft is deleted (not for training attempts, which do not expire).
    pub expiry: Option<String>,
}

fn edit_page(app: &AppState, nav: Nav, d: Draft, print: bool) -> Result<Html<String>, PageError> {
    let action = format!("/drafts/{}", d.id);
    Ok(Html(
        draft_page(app, nav, d, print, action, None)?.render()?,
    ))
}

/// The drafting page for a draft, shared by real drafts and trainees' attempts.
pub(crate) fn draft_page(
    app: &AppState,
    nav: Nav,
    d: Draft,
    print: bool,
    action: String,
    training: Option<super::training::TraineeView>,
) -> Result<EditPage, AppError> {
    let f = findings(app, &d);
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
    let errors = f
        .iter()
        .filter(|x| x.severity == crate::domain::lint::Severity::Error)
        .count();
    let expiry = training.is_none().then(|| expiry_note(app, &d));
    Ok(EditPage {
        expiry,
        nav,
        project_json: serde_json::to_string(&d.project).unwrap_or_default(),
        type_name: type_name(app, &d),
        general: f.iter().filter(|x| x.row.is_none()).cloned().collect(),
        warnings: f.len() - errors,
        errors,
        rows,
        d,
        print,
        action,
        training,
    })
}

/// A unit tells the curators that the library has no type for its project: the project name
/// joins the searches that found nothing in the curator inbox.
pub async fn report_gap(
    State(app): State<AppState>,
    Path(id): Path<String>,
) -> Result<Redirect, PageError> {
    let d = load(&app, &id)?;
    let name: String = crate::text::normalize(d.project.name.trim())
        .chars()
        .take(50)
        .collect();
    app.store.record_miss(&name)?;
    Ok(Redirect::to(&format!("/drafts/{}", d.id)))
}

pub async fn edit(
    State(app): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Html<String>, PageError> {
    edit_page(&app, viewer.nav(), load(&app, &id)?, false)
}

pub async fn print(
    State(app): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Html<String>, PageError> {
    edit_page(&app, viewer.nav(), load(&app, &id)?, true)
}

/// The edit form: `rows[i].field` pairs, `remove` (row indices), `add` (an indicator code).
pub async fn save_page(
    State(app): State<AppState>,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Redirect, PageError> {
    let mut d = load(&app, &id)?;
    apply_form(&app, &mut d, &fields)?;
    save(&app, &d)?;
    Ok(Redirect::to(&format!("/drafts/{}#table", d.id)))
}

/// Applies the edit form to a draft and checks the result (the caller stores it).
pub(crate) fn apply_form(
    app: &AppState,
    d: &mut Draft,
    fields: &[(String, String)],
) -> Result<(), AppError> {
    let get = |k: &str| {
        fields
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim().to_string())
    };
    if let Some(n) = get("project_name").filter(|n| !n.is_empty()) {
        d.project.name = n;
    }
    d.project.unit_name = get("unit_name").unwrap_or_else(|| d.project.unit_name.clone());
    d.project.description = get("description").unwrap_or_else(|| d.project.description.clone());
    if let Some(b) = get("budget_wan") {
        d.project.budget_wan =
            if b.is_empty() {
                None
            } else {
                Some(b.parse().map_err(|_| {
                    AppError::bad("invalid_project", format!("预算金额“{b}”不是数字"))
                })?)
            };
    }
    let mut rows = Vec::new();
    for (i, r) in d.rows.iter().enumerate() {
        if fields
            .iter()
            .any(|(n, v)| n == "remove" && v == &i.to_string())
        {
            continue;
        }
        let mut r = r.clone();
        let f = |name: &str| get(&format!("rows[{i}].{name}"));
        if let Some(v) = f("target") {
            r.target = v;
        }
        if let Some(v) = f("unit") {
            r.unit = v;
        }
        if let Some(v) = f("explanation") {
            r.explanation = v;
        }
        if let Some(v) = f("direction") {
            r.direction = drafting::parse_direction(&v).ok_or_else(|| {
                AppError::bad("invalid_row", format!("第 {} 行指标方向“{v}”无效", i + 1))
            })?;
        }
        let order: f64 = f("order").and_then(|o| o.parse().ok()).unwrap_or(i as f64);
        rows.push((order, r));
    }
    rows.sort_by(|a, b| a.0.total_cmp(&b.0));
    d.rows = rows.into_iter().map(|(_, r)| r).collect();
    if let Some(code) = get("add").filter(|c| !c.is_empty()) {
        let code = code
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_string();
        let ind = app
            .store
            .indicator(&code)?
            .ok_or_else(|| AppError::bad("unknown_indicator", format!("指标“{code}”不存在")))?;
        let rev = app.store.revisions(&code)?.last().map(|r| r.number);
        // Keep the framework order: after the last row of the same level 2, else at the end.
        let at = d
            .rows
            .iter()
            .rposition(|r| r.level1 == ind.level1 && r.level2 == ind.level2)
            .map_or(d.rows.len(), |p| p + 1);
        d.rows.insert(at, drafting::row_from(&ind, rev));
    }
    validate(app, &d.project, &mut d.rows)?;
    d.updated = chrono::Utc::now();
    Ok(())
}

/// Copies a draft (e.g. to next year): a new link, the same project and rows.
pub async fn copy_page(
    State(app): State<AppState>,
    guards: Guards,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Redirect, PageError> {
    let mut d = load(&app, &id)?;
    d.id = drafting::new_id();
    d.project.year = d.project.year.map(|y| y + 1);
    d.project.term = Term::Annual;
    d.created = chrono::Utc::now();
    d.updated = d.created;
    admit(&guards, &viewer)?;
    save(&app, &d)?;
    Ok(Redirect::to(&format!("/drafts/{}", d.id)))
}

/// The bundled review rules, or the bureau's file when one is configured.
pub fn load_rules(path: Option<&std::path::Path>) -> anyhow::Result<LintConfig> {
    match path {
        None => Ok(LintConfig::bundled()),
        Some(p) => Ok(LintConfig::parse(&std::fs::read_to_string(p)?).map_err(anyhow::Error::msg)?),
    }
}
