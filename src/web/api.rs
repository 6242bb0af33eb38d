//! The JSON API under `/api/v1/`.

use super::error::{ApiError, AppError};
use super::extract::{Json, Path};
use super::params::Params;
use super::search::run_search;
use super::state::AppState;
use crate::domain::browse::groups;
use crate::domain::{Catalog, Indicator, ProjectType, Revision, quality};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Value, json};

#[derive(Serialize)]
struct ApiHit<'a> {
    id: &'a str,
    code: &'a str,
    name: &'a str,
    name_html: &'a str,
    level1: &'a str,
    level2: &'a str,
    unit: &'a str,
    direction: &'a str,
    project_types: &'a [String],
    scope: &'a str,
    snippet: &'a str,
    score: f32,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    explain: &'a Vec<String>,
}

/// A search's answer, serialised straight from the hits: no intermediate JSON tree.
#[derive(Serialize)]
struct SearchBody<'a> {
    total: usize,
    hits: Vec<ApiHit<'a>>,
    /// Only when asked for (`facets=1`).
    #[serde(skip_serializing_if = "Option::is_none")]
    facets: Option<&'a crate::search::Facets>,
    /// When the query's words together matched too little: the words used and set aside.
    #[serde(skip_serializing_if = "Option::is_none")]
    relaxed: Option<&'a crate::search::Relaxed>,
}

pub async fn search(State(app): State<AppState>, p: Params) -> Result<Response, ApiError> {
    let req = p.search_request(10)?;
    let with_facets = req.facets;
    let res = run_search(app, req).await?;
    let hits = res
        .hits
        .iter()
        .map(|h| ApiHit {
            id: h.indicator.code.as_str(),
            code: h.indicator.code.as_str(),
            name: &h.indicator.name,
            name_html: &h.name_html,
            level1: &h.indicator.level1,
            level2: &h.indicator.level2,
            unit: &h.indicator.unit,
            direction: h.indicator.direction.label(),
            project_types: &h.indicator.project_types,
            scope: h.indicator.scope().label(),
            snippet: &h.snippet_html,
            score: h.score,
            explain: &h.explain,
        })
        .collect();
    let body = SearchBody {
        total: res.total,
        hits,
        facets: with_facets.then_some(&res.facets),
        relaxed: res.relaxed.as_ref(),
    };
    Ok(Json(body).into_response())
}

#[derive(Serialize)]
struct SuggestBody {
    suggestions: Vec<crate::search::Suggestion>,
}

pub async fn suggest(State(app): State<AppState>, p: Params) -> Result<Response, ApiError> {
    let q = p.get("q").unwrap_or("").to_string();
    let limit = p.number("limit", 8)?;
    // Bounded like a search (see `run_search`): answered on the worker thread.
    let started = std::time::Instant::now();
    let suggestions = app.search.suggest(&q, limit)?;
    app.metrics
        .search("suggest", started.elapsed().as_secs_f64());
    Ok(Json(SuggestBody { suggestions }).into_response())
}

/// An indicator's current record, whether it is published, and its revision log.
fn indicator_json(app: &AppState, code: &str) -> Result<(Indicator, Vec<Revision>), AppError> {
    let ind = app.store.indicator(code)?.ok_or_else(|| {
        AppError::not_found("indicator_not_found", format!("没有编码为“{code}”的指标"))
    })?;
    let revs = app.store.revisions(code)?;
    Ok((ind, revs))
}

pub async fn indicator(
    State(app): State<AppState>,
    Path(code): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let (ind, revisions) = indicator_json(&app, &code)?;
    let catalog = app.search.catalog();
    let types: Vec<Value> = catalog
        .types_of(&ind.project_types, &ind.natures)
        .map(|t| json!({ "code": t.code, "name": t.name, "core": ind.core.contains(&t.code) }))
        .collect();
    Ok(Json(json!({
        "id": ind.code,
        "scope": ind.scope().label(),
        "indicator": ind,
        "fits_project_types": types,
        "revision": revisions.last().map(|r| r.number),
        "revisions": revisions,
        "edition": catalog.edition,
        // Since which edition it is retired and what replaces it (null while in use).
        "retired": crate::curation::retirement::retired(&app.store, &code)?,
    })))
}

pub async fn revisions(
    State(app): State<AppState>,
    Path(code): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let (_, revisions) = indicator_json(&app, &code)?;
    Ok(Json(json!({ "code": code, "revisions": revisions })))
}

/// One project type with its spending classes and indicator counts.
fn type_json(catalog: &Catalog, stats: &quality::Stats, t: &ProjectType) -> Value {
    let s = stats.by_type.iter().find(|s| s.code == t.code);
    let functions: Vec<Value> = t
        .functions
        .iter()
        .map(|f| json!({ "code": f, "name": catalog.function_name(f) }))
        .collect();
    let classes: Vec<Value> = catalog
        .classes_of(t)
        .iter()
        .map(|c| json!({ "code": c.code, "name": c.name }))
        .collect();
    json!({
        "code": t.code, "name": t.name, "subgroup": t.subgroup,
        "sectors": t.sectors, "natures": t.natures, "keywords": t.keywords,
        "description": t.description,
        "functions": functions, "function_classes": classes,
        "indicators": s.map_or(0, |s| s.total),
        "core_indicators": s.map_or(0, |s| s.core),
    })
}

pub async fn project_types(State(app): State<AppState>) -> Json<Value> {
    let catalog = app.search.catalog();
    let indicators = app.store.indicators().unwrap_or_default();
    let stats = quality::stats(&catalog, &indicators);
    let groups: Vec<Value> = groups(&catalog)
        .iter()
        .map(|(g, types)| {
            let types: Vec<Value> = types
                .iter()
                .map(|t| type_json(&catalog, &stats, t))
                .collect();
            json!({ "group": g, "project_types": types })
        })
        .collect();
    // The same types by 支出功能分类 类, with the 类 that have project spending and no type yet.
    let functions: Vec<Value> = stats
        .by_function
        .iter()
        .map(|f| {
            json!({
                "code": f.code, "name": f.name, "project_spending": f.project_spending,
                "project_types": f.types, "indicators": f.indicators,
            })
        })
        .collect();
    Json(json!({
        "edition": catalog.edition, "groups": groups, "sectors": catalog.sectors,
        "function_classes": functions,
    }))
}

pub async fn framework(State(app): State<AppState>) -> Json<Value> {
    let catalog = app.search.catalog();
    Json(
        json!({ "default": catalog.default_framework, "frameworks": catalog.frameworks, "units": catalog.units }),
    )
}

pub async fn stats(State(app): State<AppState>) -> Result<Json<quality::Stats>, ApiError> {
    let catalog = app.search.catalog();
    let indicators = app.store.indicators()?;
    Ok(Json(quality::stats(&catalog, &indicators)))
}

pub async fn editions(State(app): State<AppState>) -> Result<Json<Value>, ApiError> {
    let eds: Vec<Value> = app
        .store
        .editions()?
        .into_iter()
        .map(|e| json!({ "name": e.name, "frozen_at": e.frozen_at, "frozen_by": e.frozen_by, "indicators": e.members.len() }))
        .collect();
    Ok(Json(json!({ "editions": eds })))
}

pub async fn not_found() -> ApiError {
    ApiError(AppError::not_found(
        "route_not_found",
        "没有这个 API 路径；可用路径见 README。",
    ))
}
