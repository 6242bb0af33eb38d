//! Curation over HTTP: proposals (create, edit, retire, merge, restore, import), review,
//! editions, the curator inbox. Pages and JSON API call the same `Curation` methods.

use super::auth::{Nav, Viewer};
use super::error::{ApiError, AppError, PageError, Rejected};
use super::extract::{Admin, Editor, Form, Json, JsonBody, Path, Query, Require, Reviewer};
use super::layout::People;
use super::response::{Page, attachment, blocking, html};
use super::state::AppState;
use super::uploads;
use crate::curation::Approval;
use crate::curation::import::{self as bulk, ImportReport};
use crate::curation::request::{Change, NewProposal, Verdict};
use crate::curation::review::ChangeView;
use crate::domain::edition::NoteEntry;
use crate::domain::{Edition, FieldChange, Proposal, ProposalState, Role};
use crate::ingest::library::IndicatorInput;
use crate::store::Miss;
use askama::Template;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;

type Api<T> = Result<T, ApiError>;

/// A proposal's number from the path, written `P12` or `12`; any other is not found.
pub struct ProposalId(pub u64);

impl<S: Send + Sync> FromRequestParts<S> for ProposalId {
    type Rejection = Rejected;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<ProposalId, Rejected> {
        let Path(s) = Path::<String>::from_request_parts(parts, state).await?;
        s.trim_start_matches(['P', 'p'])
            .parse()
            .map(ProposalId)
            .map_err(|_| {
                let e = AppError::not_found("not_found", format!("提案编号“{s}”无效"));
                Rejected::at(parts.uri.path(), e)
            })
    }
}

// ---------------------------------------------------------------- JSON API

pub async fn create_api(
    State(app): State<AppState>,
    Require(actor, _): Require<Editor>,
    JsonBody(body): JsonBody<NewProposal>,
) -> Api<(StatusCode, Json<Proposal>)> {
    let p = blocking(move || Ok(app.curation.propose_json(&actor, body)?)).await?;
    Ok((StatusCode::CREATED, Json(p)))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    #[serde(default)]
    pub state: Option<String>,
}

fn state_filter(s: &Option<String>) -> Result<Option<ProposalState>, AppError> {
    match s.as_deref() {
        None | Some("") | Some("all") => Ok(None),
        Some(v) => ProposalState::parse(v).map(Some).ok_or_else(|| {
            AppError::bad(
                "invalid_filter",
                format!("state=“{v}”无效；可选：open、approved、rejected、withdrawn、all"),
            )
        }),
    }
}

pub async fn list_api(
    State(app): State<AppState>,
    _: Require<Editor>,
    Query(q): Query<ListQuery>,
) -> Api<Json<Value>> {
    let state = state_filter(&q.state)?;
    let list: Vec<Value> = app
        .store
        .proposals(state)?
        .iter()
        .map(|p| {
            json!({
                "id": p.id, "kind": p.kind, "title": p.title, "author": p.author,
                "created": p.created, "state": p.state, "codes": p.codes(),
                "warnings": p.warnings, "decided_by": p.decided_by,
            })
        })
        .collect();
    Ok(Json(json!({ "total": list.len(), "proposals": list })))
}

pub async fn get_api(
    State(app): State<AppState>,
    _: Require<Editor>,
    ProposalId(id): ProposalId,
) -> Api<Json<Value>> {
    let p = app
        .store
        .proposal(id)?
        .ok_or_else(|| AppError::not_found("not_found", format!("提案 P{id} 不存在")))?;
    let changes = app.curation.change_views(&p)?;
    Ok(Json(json!({ "proposal": p, "changes": changes })))
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
pub struct Decision {
    #[serde(default)]
    pub comment: String,
    #[serde(default)]
    pub ids: Vec<u64>,
}

pub async fn approve_api(
    State(app): State<AppState>,
    Require(actor, _): Require<Reviewer>,
    ProposalId(id): ProposalId,
    JsonBody(Decision { comment, .. }): JsonBody<Decision>,
) -> Api<Json<Value>> {
    let done = blocking(move || Ok(app.curation.approve(&actor, &[id], &comment)?)).await?;
    Ok(Json(approval_json(done)))
}

pub async fn approve_batch_api(
    State(app): State<AppState>,
    Require(actor, _): Require<Reviewer>,
    JsonBody(d): JsonBody<Decision>,
) -> Api<Json<Value>> {
    let done = blocking(move || Ok(app.curation.approve(&actor, &d.ids, &d.comment)?)).await?;
    Ok(Json(approval_json(done)))
}

/// An approval's answer: the approved proposals, and whether search shows them yet. A change
/// the index could not take is published all the same, so it is a success (200) that says
/// search follows later, never an error that would invite a second approval.
fn approval_json(a: Approval) -> Value {
    let search_index = match a.index_stale {
        None => json!({ "status": "current" }),
        Some(_) => json!({
            "status": "stale",
            "code": "index_stale",
            "message": "修改已发布：指标库已更新并记录了新版本，无需重新提交。检索索引暂未能更新，系统正在后台重建；完成前搜索结果可能仍是旧内容。",
        }),
    };
    json!({ "approved": a.proposals, "search_index": search_index })
}

pub async fn reject_api(
    State(app): State<AppState>,
    Require(actor, _): Require<Reviewer>,
    ProposalId(id): ProposalId,
    JsonBody(Decision { comment, .. }): JsonBody<Decision>,
) -> Api<Json<Proposal>> {
    Ok(Json(
        blocking(move || Ok(app.curation.reject(&actor, id, &comment)?)).await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct FoldBody {
    pub into: String,
}

/// `POST /api/v1/proposals/{id}/fold` `{"into": code}`: a new-indicator proposal becomes an
/// alias on an existing indicator.
pub async fn fold_api(
    State(app): State<AppState>,
    Require(actor, _): Require<Editor>,
    ProposalId(id): ProposalId,
    JsonBody(b): JsonBody<FoldBody>,
) -> Api<(StatusCode, Json<Proposal>)> {
    let p = blocking(move || Ok(app.curation.fold_into(&actor, id, &b.into)?)).await?;
    Ok((StatusCode::CREATED, Json(p)))
}

pub async fn withdraw_api(
    State(app): State<AppState>,
    Require(actor, _): Require<Editor>,
    ProposalId(id): ProposalId,
) -> Api<Json<Proposal>> {
    Ok(Json(
        blocking(move || Ok(app.curation.withdraw(&actor, id)?)).await?,
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CompareQuery {
    pub a: u32,
    pub b: u32,
}

pub async fn compare_api(
    State(app): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<CompareQuery>,
) -> Api<Json<Value>> {
    let (_, _, d) = app.curation.compare_revisions(&code, q.a, q.b)?;
    Ok(Json(
        json!({ "code": code, "a": q.a, "b": q.b, "changes": d }),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct FreezeBody {
    pub name: String,
}

pub async fn freeze_api(
    State(app): State<AppState>,
    Require(actor, _): Require<Admin>,
    JsonBody(b): JsonBody<FreezeBody>,
) -> Api<(StatusCode, Json<Value>)> {
    let (ed, notes) = blocking(move || {
        let ed = app.curation.freeze(&actor, &b.name)?;
        let (_, notes) = app.curation.release_notes(&ed.name)?;
        Ok((ed, notes))
    })
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(
            json!({ "name": ed.name, "frozen_at": ed.frozen_at, "frozen_by": ed.frozen_by,
                     "indicators": ed.members.len(), "notes": notes }),
        ),
    ))
}

pub async fn edition_api(
    State(app): State<AppState>,
    Path(name): Path<String>,
) -> Api<Json<Value>> {
    let ed = app.curation.edition(&name)?;
    let (prev, notes) = app.curation.release_notes(&name)?;
    Ok(Json(json!({
        "name": ed.name, "frozen_at": ed.frozen_at, "frozen_by": ed.frozen_by,
        "indicators": ed.members.len(), "previous": prev, "notes": notes,
    })))
}

pub async fn edition_diff_api(
    State(app): State<AppState>,
    Path((a, b)): Path<(String, String)>,
) -> Api<Json<Value>> {
    let notes = app.curation.edition_diff(&a, &b)?;
    Ok(Json(
        json!({ "from": a, "to": b, "summary": summary(&notes), "notes": notes }),
    ))
}

fn summary(notes: &[NoteEntry]) -> Value {
    use crate::domain::ChangeKind::*;
    let n = |k| notes.iter().filter(|e| e.kind == k).count();
    json!({ "new": n(New), "material": n(Material), "immaterial": n(Immaterial), "retired": n(Retired) })
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    #[serde(default)]
    pub dry_run: Option<bool>,
    #[serde(default)]
    pub file: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
}

/// `POST /api/v1/import?dry_run=true|false&file=名称.xlsx` with the file as the body.
pub async fn import_api(
    State(app): State<AppState>,
    Require(actor, _): Require<Editor>,
    Query(q): Query<ImportQuery>,
    body: Body,
) -> Result<Response, ApiError> {
    let body = uploads::read_body(body, &app.config.uploads.sheet).await?;
    if body.is_empty() {
        return Err(AppError::bad("empty_file", "请求体为空：请上传 .xlsx 或 .csv 文件").into());
    }
    let file = q.file.unwrap_or_else(|| "导入文件".into());
    let dry = q.dry_run.unwrap_or(true);
    let reason = q.reason.unwrap_or_default();
    let work = app.clone();
    let report = uploads::parse(&app, move || {
        Ok(work.curation.import(&actor, &file, &body, !dry, &reason)?.0)
    })
    .await?;
    super::metrics::library_import(&app, report.dry_run, report.proposal.is_some());
    Ok(import_response(report))
}

fn import_response(report: ImportReport) -> Response {
    if !report.dry_run && report.proposal.is_none() {
        let message = if report.rejected > 0 {
            format!(
                "有 {} 行被拒绝，未导入任何指标：请按报告修正后重新导入",
                report.rejected
            )
        } else {
            "文件中没有新增或修改的指标".to_string()
        };
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({ "error": { "code": "import_rejected", "message": message }, "report": report })),
        )
            .into_response();
    }
    let status = if report.proposal.is_some() {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    (status, Json(report)).into_response()
}

pub async fn inbox_api(State(app): State<AppState>, viewer: Viewer) -> Api<Json<Value>> {
    viewer.require(Role::Editor)?;
    let open = app.store.proposals(Some(ProposalState::Open))?;
    let misses = app.store.misses(50)?;
    Ok(Json(json!({
        "awaiting_review": open.iter().map(|p| json!({"id": p.id, "title": p.title, "author": p.author, "created": p.created})).collect::<Vec<_>>(),
        "searches_without_results": misses,
    })))
}

pub async fn template_xlsx() -> Result<Response, PageError> {
    let bytes = bulk::template_xlsx().map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(attachment(
        bytes,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "指标导入模板.xlsx",
    ))
}

pub async fn template_csv() -> Response {
    attachment(
        bulk::template_csv(),
        "text/csv; charset=utf-8",
        "指标导入模板.csv",
    )
}

// ---------------------------------------------------------------- pages

pub struct ProposalRow {
    pub p: Proposal,
}

#[derive(Template)]
#[template(path = "curation/inbox.html")]
pub struct InboxPage {
    pub nav: Nav,
    pub open: Vec<Proposal>,
    pub misses: Vec<Miss>,
    pub reviewer: bool,
    pub me: String,
    pub people: People,
}

pub async fn inbox_page(State(app): State<AppState>, viewer: Viewer) -> Page {
    let actor = viewer.require(Role::Editor)?;
    html(&InboxPage {
        nav: viewer.nav(),
        open: app.store.proposals(Some(ProposalState::Open))?,
        misses: app.store.misses(30)?,
        reviewer: actor.role.allows(Role::Reviewer),
        me: actor.user,
        people: People::load(&app.store)?,
    })
}

#[derive(Template)]
#[template(path = "curation/proposals.html")]
pub struct ProposalsPage {
    pub nav: Nav,
    pub state: String,
    pub list: Vec<Proposal>,
    pub people: People,
}

pub async fn proposals_page(
    State(app): State<AppState>,
    viewer: Viewer,
    _: Require<Editor>,
    Query(q): Query<ListQuery>,
) -> Page {
    let state = state_filter(&q.state)?;
    html(&ProposalsPage {
        nav: viewer.nav(),
        state: q.state.unwrap_or_default(),
        list: app.store.proposals(state)?,
        people: People::load(&app.store)?,
    })
}

#[derive(Template)]
#[template(path = "curation/proposal.html")]
pub struct ProposalPage {
    pub nav: Nav,
    pub p: Proposal,
    pub changes: Vec<ChangeView>,
    pub can_decide: bool,
    pub own: bool,
    pub people: People,
}

pub async fn proposal_page(
    State(app): State<AppState>,
    viewer: Viewer,
    Require(actor, _): Require<Editor>,
    ProposalId(id): ProposalId,
) -> Page {
    let p = app
        .store
        .proposal(id)?
        .ok_or_else(|| AppError::not_found("not_found", format!("提案 P{id} 不存在")))?;
    let changes = app.curation.change_views(&p)?;
    html(&ProposalPage {
        nav: viewer.nav(),
        can_decide: p.is_open() && actor.role.allows(Role::Reviewer) && p.author != actor.user,
        own: p.is_open() && p.author == actor.user,
        p,
        changes,
        people: People::load(&app.store)?,
    })
}

/// Fields of a form as posted (repeated keys kept).
type Fields = Vec<(String, String)>;

fn field<'a>(f: &'a Fields, k: &str) -> &'a str {
    f.iter()
        .find(|(key, _)| key == k)
        .map_or("", |(_, v)| v.as_str())
}

fn all(f: &Fields, k: &str) -> Vec<String> {
    f.iter()
        .filter(|(key, v)| key == k && !v.trim().is_empty())
        .map(|(_, v)| v.trim().to_string())
        .collect()
}

pub async fn decide_page(
    State(app): State<AppState>,
    viewer: Viewer,
    _: Require<Editor>,
    ProposalId(id): ProposalId,
    Form(f): Form<Fields>,
) -> Page {
    let action = field(&f, "action");
    let d = Verdict::parse(action, field(&f, "into"))
        .ok_or_else(|| AppError::bad("invalid_request", format!("未知操作“{action}”")));
    let actor = viewer.require(d.as_ref().map_or(Role::Reviewer, |d| d.role()))?;
    let (d, comment) = (d?, field(&f, "comment").to_string());
    let next = blocking(move || Ok(app.curation.decide(&actor, id, d, &comment)?)).await?;
    Ok(Redirect::to(&format!("/proposals/{next}")).into_response())
}

pub async fn batch_page(
    State(app): State<AppState>,
    Require(actor, _): Require<Reviewer>,
    Form(f): Form<Fields>,
) -> Page {
    let ids: Vec<u64> = all(&f, "id")
        .iter()
        .filter_map(|s| s.parse().ok())
        .collect();
    let comment = field(&f, "comment").to_string();
    blocking(move || Ok(app.curation.approve(&actor, &ids, &comment)?)).await?;
    Ok(Redirect::to("/curation").into_response())
}

pub struct TypeChoice {
    pub code: String,
    pub name: String,
    pub group: String,
    pub checked: bool,
    pub core: bool,
}

#[derive(Template)]
#[template(path = "curation/edit.html")]
pub struct EditPage {
    pub nav: Nav,
    /// `None` for a new indicator.
    pub code: Option<String>,
    pub input: IndicatorInput,
    pub reason: String,
    pub error: Option<String>,
    pub problems: Vec<(String, String)>,
    pub types: Vec<TypeChoice>,
    pub natures: Vec<(String, String, bool)>,
    pub level1: Vec<(String, Vec<String>)>,
    pub units: Vec<String>,
    pub value_types: Vec<&'static str>,
    pub directions: Vec<&'static str>,
    pub bases: Vec<&'static str>,
    pub terms: Vec<&'static str>,
    pub cost_kinds: Vec<&'static str>,
    pub provenances: Vec<&'static str>,
    pub revisions: Vec<u32>,
}

fn edit_page(
    app: &AppState,
    nav: Nav,
    code: Option<String>,
    input: IndicatorInput,
    reason: String,
    error: Option<AppError>,
) -> Result<EditPage, AppError> {
    use crate::domain::{Basis, CostKind, Direction, Provenance, Term, ValueType};
    let catalog = app.search.catalog();
    let fw = catalog.framework();
    let revisions = match &code {
        Some(c) => app.store.revisions(c)?.iter().map(|r| r.number).collect(),
        None => vec![],
    };
    let (error, problems) = match error {
        None => (None, vec![]),
        Some(AppError::Invalid { message, problems }) => (Some(message), problems),
        Some(e) => (Some(e.message()), vec![]),
    };
    Ok(EditPage {
        nav,
        types: catalog
            .project_types
            .iter()
            .map(|t| TypeChoice {
                code: t.code.clone(),
                name: t.name.clone(),
                group: t.group.clone(),
                checked: input.project_types.contains(&t.code),
                core: input.core.contains(&t.code),
            })
            .collect(),
        natures: catalog
            .natures
            .iter()
            .map(|(c, n)| (c.clone(), n.clone(), input.natures.contains(c)))
            .collect(),
        level1: fw
            .level1
            .iter()
            .map(|l| (l.name.clone(), l.level2.clone()))
            .collect(),
        units: catalog.units.iter().map(|u| u.name.clone()).collect(),
        value_types: ValueType::ALL.iter().map(|v| v.label()).collect(),
        directions: Direction::ALL.iter().map(|v| v.label()).collect(),
        bases: Basis::ALL.iter().map(|v| v.label()).collect(),
        terms: Term::ALL.iter().map(|v| v.label()).collect(),
        cost_kinds: CostKind::ALL.iter().map(|v| v.label()).collect(),
        provenances: Provenance::ALL.iter().map(|v| v.label()).collect(),
        code,
        input,
        reason,
        error,
        problems,
        revisions,
    })
}

fn split_list(s: &str) -> Vec<String> {
    s.split(['、', ',', '，', ';', '；', '\n'])
        .map(|x| x.trim().to_string())
        .filter(|x| !x.is_empty())
        .collect()
}

fn input_from_form(f: &Fields, code: &str) -> IndicatorInput {
    IndicatorInput {
        code: code.to_string(),
        name: field(f, "name").trim().to_string(),
        aliases: split_list(field(f, "aliases")),
        level1: field(f, "level1").to_string(),
        level2: field(f, "level2").to_string(),
        definition: field(f, "definition").to_string(),
        formula: field(f, "formula").to_string(),
        value_type: field(f, "value_type").to_string(),
        direction: field(f, "direction").to_string(),
        unit: field(f, "unit").to_string(),
        target: field(f, "target").to_string(),
        basis: field(f, "basis").to_string(),
        basis_doc: field(f, "basis_doc").trim().to_string(),
        valid_year: field(f, "valid_year").trim().to_string(),
        data_source: field(f, "data_source").to_string(),
        scoring: field(f, "scoring").to_string(),
        weight: field(f, "weight").trim().parse().unwrap_or(0),
        project_types: all(f, "project_types"),
        natures: all(f, "natures"),
        core: all(f, "core"),
        term: Some(field(f, "term").to_string()),
        cost_kind: Some(field(f, "cost_kind").to_string()),
        provenance: field(f, "provenance").to_string(),
    }
}

pub async fn new_form(State(app): State<AppState>, viewer: Viewer) -> Page {
    viewer.require(Role::Editor)?;
    let input = IndicatorInput {
        level1: "产出指标".into(),
        level2: "数量指标".into(),
        value_type: "定量".into(),
        direction: "≥".into(),
        basis: "计划标准".into(),
        weight: 10,
        term: Some("年度".into()),
        provenance: "地方参考".into(),
        ..IndicatorInput::default()
    };
    html(&edit_page(
        &app,
        viewer.nav(),
        None,
        input,
        String::new(),
        None,
    )?)
}

pub async fn edit_form(
    State(app): State<AppState>,
    viewer: Viewer,
    _: Require<Editor>,
    Path(code): Path<String>,
) -> Page {
    let ind = app
        .store
        .indicator(&code)?
        .ok_or_else(|| AppError::not_found("not_found", format!("指标 {code} 不存在")))?;
    html(&edit_page(
        &app,
        viewer.nav(),
        Some(code),
        IndicatorInput::from(&ind),
        String::new(),
        None,
    )?)
}

/// The change the edit page's form asks for (its `action` button).
fn change_of_form(
    f: &Fields,
    code: Option<String>,
    input: IndicatorInput,
) -> Result<Change, AppError> {
    let action = field(f, "action");
    Ok(match (action, code) {
        ("create", _) => Change::Create(input),
        ("edit", Some(code)) => Change::Edit { code, input },
        ("retire", Some(code)) => Change::Retire {
            code,
            replaced_by: Some(field(f, "replaced_by").to_string()),
        },
        ("merge", Some(code)) => Change::Merge {
            code,
            into: field(f, "into").to_string(),
        },
        ("restore", Some(code)) => Change::Restore {
            code,
            revision: field(f, "revision")
                .parse()
                .map_err(|_| AppError::bad("missing_field", "请选择要恢复的版本"))?,
        },
        (other, _) => {
            return Err(AppError::bad(
                "invalid_request",
                format!("未知操作“{other}”"),
            ));
        }
    })
}

/// Handles the edit page's forms: a new or changed indicator, retire, merge, restore.
pub async fn propose_page(
    State(app): State<AppState>,
    viewer: Viewer,
    Require(actor, _): Require<Editor>,
    code: Option<Path<String>>,
    Form(f): Form<Fields>,
) -> Page {
    let code = code.map(|c| c.0);
    let reason = field(&f, "reason").to_string();
    let input = input_from_form(&f, code.as_deref().unwrap_or(field(&f, "code")));
    let change = change_of_form(&f, code.clone(), input.clone());
    let app2 = app.clone();
    let result = blocking(move || Ok(app2.curation.propose(&actor, change?, &reason)?)).await;
    match result {
        Ok(p) => Ok(Redirect::to(&format!("/proposals/{}", p.id)).into_response()),
        // The form comes back with what was typed and every problem named.
        Err(
            e
            @ (AppError::Invalid { .. } | AppError::BadRequest { .. } | AppError::Conflict { .. }),
        ) => {
            let status = e.status();
            let reason = field(&f, "reason").into();
            let page = edit_page(&app, viewer.nav(), code, input, reason, Some(e))?;
            Ok((status, Html(page.render().map_err(AppError::from)?)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "curation/compare.html")]
pub struct ComparePage {
    pub nav: Nav,
    pub code: String,
    pub name: String,
    pub a: u32,
    pub b: u32,
    pub changes: Vec<FieldChange>,
    pub revisions: Vec<u32>,
}

pub async fn compare_page(
    State(app): State<AppState>,
    viewer: Viewer,
    Path(code): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Page {
    let revisions: Vec<u32> = app
        .store
        .revisions(&code)?
        .iter()
        .map(|r| r.number)
        .collect();
    let Some(&last) = revisions.last() else {
        return Err(AppError::not_found("not_found", format!("指标 {code} 不存在")).into());
    };
    let num = |k: &str, d: u32| q.get(k).and_then(|v| v.parse().ok()).unwrap_or(d);
    let (a, b) = (num("a", last.saturating_sub(1).max(1)), num("b", last));
    let (_, ib, changes) = app.curation.compare_revisions(&code, a, b)?;
    html(&ComparePage {
        nav: viewer.nav(),
        name: ib.name,
        code,
        a,
        b,
        changes,
        revisions,
    })
}

#[derive(Template)]
#[template(path = "curation/editions.html")]
pub struct EditionsPage {
    pub nav: Nav,
    pub editions: Vec<Edition>,
    pub error: Option<String>,
}

pub async fn editions_page(State(app): State<AppState>, viewer: Viewer) -> Page {
    let mut editions = app.store.editions()?;
    editions.reverse();
    html(&EditionsPage {
        nav: viewer.nav(),
        editions,
        error: None,
    })
}

pub async fn freeze_page(
    State(app): State<AppState>,
    viewer: Viewer,
    Require(actor, _): Require<Admin>,
    Form(f): Form<Fields>,
) -> Page {
    let name = field(&f, "name").trim().to_string();
    let app2 = app.clone();
    match blocking(move || Ok(app2.curation.freeze(&actor, &name)?)).await {
        Ok(ed) => Ok(Redirect::to(&format!("/editions/{}", enc(&ed.name))).into_response()),
        Err(e @ (AppError::BadRequest { .. } | AppError::Conflict { .. })) => {
            let mut editions = app.store.editions()?;
            editions.reverse();
            let page = EditionsPage {
                nav: viewer.nav(),
                editions,
                error: Some(e.message()),
            };
            Ok((e.status(), Html(page.render().map_err(AppError::from)?)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[derive(Template)]
#[template(path = "curation/edition.html")]
pub struct EditionPage {
    pub nav: Nav,
    pub title: String,
    pub from: Option<String>,
    pub to: String,
    pub notes: Vec<NoteEntry>,
    pub counts: [(&'static str, usize); 4],
    pub editions: Vec<String>,
}

fn counts(notes: &[NoteEntry]) -> [(&'static str, usize); 4] {
    use crate::domain::ChangeKind::*;
    let n = |k| notes.iter().filter(|e| e.kind == k).count();
    [
        ("新增", n(New)),
        ("实质性修改", n(Material)),
        ("非实质性修改", n(Immaterial)),
        ("停用", n(Retired)),
    ]
}

pub async fn edition_page(
    State(app): State<AppState>,
    viewer: Viewer,
    Path(name): Path<String>,
) -> Page {
    let (from, notes) = app.curation.release_notes(&name)?;
    html(&EditionPage {
        nav: viewer.nav(),
        title: format!("{name} 版发布说明"),
        counts: counts(&notes),
        from,
        to: name,
        notes,
        editions: app.store.editions()?.into_iter().map(|e| e.name).collect(),
    })
}

pub async fn edition_diff_page(
    State(app): State<AppState>,
    viewer: Viewer,
    Path((a, b)): Path<(String, String)>,
) -> Page {
    let notes = app.curation.edition_diff(&a, &b)?;
    html(&EditionPage {
        nav: viewer.nav(),
        title: format!("{a} 版 → {b} 版 对比"),
        counts: counts(&notes),
        from: Some(a),
        to: b,
        notes,
        editions: app.store.editions()?.into_iter().map(|e| e.name).collect(),
    })
}

#[derive(Template)]
#[template(path = "curation/import.html")]
pub struct ImportPage {
    pub nav: Nav,
    pub report: Option<ImportReport>,
    pub error: Option<String>,
}

pub async fn import_form(viewer: Viewer) -> Page {
    viewer.require(Role::Editor)?;
    html(&ImportPage {
        nav: viewer.nav(),
        report: None,
        error: None,
    })
}

/// The import form: the file, whether to apply it, and why.
#[derive(Default)]
struct ImportForm {
    file: String,
    bytes: Bytes,
    apply: bool,
    reason: String,
}

async fn read_import_form(
    app: &AppState,
    mut mp: axum::extract::Multipart,
) -> Result<ImportForm, AppError> {
    let mut form = ImportForm::default();
    let bad = |e| uploads::multipart_error(e, &app.config.uploads.sheet);
    while let Some(field) = mp.next_field().await.map_err(bad)? {
        match field.name() {
            Some("file") => {
                form.file = field.file_name().unwrap_or("导入文件").to_string();
                form.bytes = field.bytes().await.map_err(bad)?;
            }
            Some("apply") => form.apply = field.text().await.unwrap_or_default() == "1",
            Some("reason") => form.reason = field.text().await.unwrap_or_default(),
            _ => {}
        }
    }
    Ok(form)
}

/// The import page with a message; a file past a limit keeps the limit's own status.
fn import_error(viewer: &Viewer, e: AppError) -> Page {
    let mut page = html(&ImportPage {
        nav: viewer.nav(),
        report: None,
        error: Some(e.message()),
    })?;
    if let AppError::Refused { status, .. } = e {
        *page.status_mut() = status;
    }
    Ok(page)
}

pub async fn import_page(
    State(app): State<AppState>,
    viewer: Viewer,
    Require(actor, _): Require<Editor>,
    mp: axum::extract::Multipart,
) -> Page {
    let f = read_import_form(&app, mp).await?;
    if f.bytes.is_empty() {
        let e = AppError::bad("missing_file", "请选择要导入的 .xlsx 或 .csv 文件");
        return import_error(&viewer, e);
    }
    let work = app.clone();
    let r = uploads::parse(&app, move || {
        Ok(work
            .curation
            .import(&actor, &f.file, &f.bytes, f.apply, &f.reason)?)
    })
    .await;
    if let Ok((report, p)) = &r {
        super::metrics::library_import(&app, report.dry_run, p.is_some());
    }
    match r {
        Ok((_, Some(p))) => Ok(Redirect::to(&format!("/proposals/{}", p.id)).into_response()),
        Ok((report, None)) => html(&ImportPage {
            nav: viewer.nav(),
            error: (!report.dry_run).then(|| {
                format!(
                    "有 {} 行被拒绝或没有可导入的内容，未导入任何指标。",
                    report.rejected
                )
            }),
            report: Some(report),
        }),
        Err(
            e
            @ (AppError::BadRequest { .. } | AppError::Conflict { .. } | AppError::Refused { .. }),
        ) => import_error(&viewer, e),
        Err(e) => Err(e.into()),
    }
}
