//! HTML pages: one template struct per page beside its handler.

use super::auth::{Nav, Viewer};
use super::error::{AppError, PageError};
use super::extract::Path;
use super::layout::{ErrorPage, People};
use super::params::Params;
use super::response::{Page, html};
use super::search::run_search;
use super::state::AppState;
use crate::curation::retirement::{Retired, retired};
use crate::domain::browse::{self, ClassView, Level1Block, TypeCount, type_tree};
use crate::domain::quality::{self, Stats};
use crate::domain::{Framework, Indicator, ProjectType, Revision, Status, Unit};
use crate::evaluations::practice;
use crate::search::SearchResults;
use crate::search::service::{self, ResultsView};
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};

#[derive(Template)]
#[template(path = "search.html")]
pub struct SearchPage {
    pub nav: Nav,
    pub q: String,
    pub view: ResultsView,
    /// Each hit with the project types it applies to, named (two 教职工满意度 differ by type).
    pub cards: Vec<(service::HitView, String)>,
    pub groups: Vec<(String, Vec<ProjectType>)>,
    pub edition: String,
    pub indicators: usize,
}

pub async fn search(State(app): State<AppState>, viewer: Viewer, p: Params) -> Page {
    let mut req = p.search_request(20)?;
    req.facets = true;
    let res = if service::asks(&req) {
        run_search(app.clone(), req.clone()).await?
    } else {
        SearchResults {
            total: 0,
            hits: vec![],
            facets: Default::default(),
            relaxed: None,
        }
    };
    let catalog = app.search.catalog();
    let mut view = service::results_view(&req, &res, &p.0, &catalog);
    let cards = std::mem::take(&mut view.hits)
        .into_iter()
        .zip(&res.hits)
        .map(|(v, h)| (v, type_line(&catalog, &h.indicator)))
        .collect();
    html(&SearchPage {
        nav: viewer.nav(),
        view,
        cards,
        q: req.q,
        groups: browse::groups(&catalog),
        edition: catalog.edition.clone(),
        indicators: app.search.len(),
    })
}

/// The project types a hit applies to, for its card: one or two by name, then how many more.
fn type_line(catalog: &crate::domain::Catalog, ind: &Indicator) -> String {
    let names: Vec<&str> = catalog
        .types_of(&ind.project_types, &ind.natures)
        .map(|t| t.name.as_str())
        .collect();
    match names.len() {
        0 => String::new(),
        1 | 2 => names.join("、"),
        n => format!("{}等 {n} 类项目", names[..2].join("、")),
    }
}

pub struct TypeRef {
    pub code: String,
    pub name: String,
    pub core: bool,
}

#[derive(Template)]
#[template(path = "indicator.html")]
pub struct IndicatorPage {
    pub nav: Nav,
    pub ind: Indicator,
    pub types: Vec<TypeRef>,
    pub natures: Vec<String>,
    pub revisions: Vec<Revision>,
    /// The revision shown, and whether it is the current one.
    pub shown: u32,
    pub current: u32,
    /// The newest frozen edition holding the revision shown (its permanent link names it).
    pub edition: Option<String>,
    /// Set when the page was reached through an edition's permanent link.
    pub via_edition: Option<String>,
    /// Set when the revision shown is retired: since when and what replaces it.
    pub retired_note: Option<Retired>,
    /// The retired indicator whose old link led here (`?from=`).
    pub came_from: Option<Retired>,
    /// What imported evaluations say about it (the 评价实践 section).
    pub practice: Option<std::sync::Arc<practice::PracticeView>>,
    /// Who wrote and reviewed each revision, by name.
    pub people: People,
    /// Whether the rows behind the statistics may be listed to this caller.
    pub rows_visible: bool,
}

/// The project types an indicator applies to (core or not) and its spending natures, named.
fn type_refs(catalog: &crate::domain::Catalog, ind: &Indicator) -> (Vec<TypeRef>, Vec<String>) {
    let types = catalog
        .types_of(&ind.project_types, &ind.natures)
        .map(|t| TypeRef {
            code: t.code.clone(),
            name: t.name.clone(),
            core: ind.core.contains(&t.code),
        })
        .collect();
    let natures = ind
        .natures
        .iter()
        .map(|n| catalog.natures.get(n).cloned().unwrap_or_else(|| n.clone()))
        .collect();
    (types, natures)
}

fn revision_of(revisions: &[Revision], code: &str, n: u32) -> Result<Indicator, AppError> {
    let r = revisions.iter().find(|r| r.number == n).ok_or_else(|| {
        AppError::not_found("revision_not_found", format!("指标 {code} 没有第 {n} 版。"))
    })?;
    Ok(r.indicator.clone())
}

fn indicator_page(
    app: &AppState,
    nav: Nav,
    code: &str,
    revision: Option<u32>,
) -> Result<IndicatorPage, AppError> {
    let current = app.store.indicator(code)?.ok_or_else(|| {
        AppError::not_found("indicator_not_found", format!("没有编码为“{code}”的指标。"))
    })?;
    let revisions = app.store.revisions(code)?;
    let current_n = revisions.last().map_or(0, |r| r.number);
    let (ind, shown) = match revision {
        None => (current, current_n),
        Some(n) => (revision_of(&revisions, code, n)?, n),
    };
    let (types, natures) = type_refs(&app.search.catalog(), &ind);
    let retired_note = match &ind.status {
        Status::Active => None,
        Status::Retired { .. } => retired(&app.store, code)?,
    };
    let practice = app.practice.view(&ind)?;
    // The newest frozen edition holding the revision shown.
    let edition = app
        .store
        .editions()?
        .into_iter()
        .rfind(|e| e.revision_of(code) == Some(shown))
        .map(|e| e.name);
    Ok(IndicatorPage {
        people: People::load(&app.store)?,
        rows_visible: app.config.evaluations_public || nav.user.is_some(),
        nav,
        practice,
        ind,
        types,
        natures,
        revisions,
        shown,
        current: current_n,
        edition,
        via_edition: None,
        retired_note,
        came_from: None,
    })
}

pub async fn indicator(
    State(app): State<AppState>,
    viewer: Viewer,
    Path(code): Path<String>,
    p: Params,
) -> Response {
    match indicator_page(&app, viewer.nav(), &code, None) {
        // Old links to a retired indicator lead to its replacement, which says so.
        Ok(p)
            if p.retired_note
                .as_ref()
                .is_some_and(|r| r.replacement_name.is_some()) =>
        {
            let r = p
                .retired_note
                .and_then(|r| r.replaced_by)
                .unwrap_or_default();
            Redirect::to(&format!("/indicators/{r}?from={code}")).into_response()
        }
        Ok(mut page) => {
            page.came_from = p
                .get("from")
                .and_then(|from| retired(&app.store, from).ok().flatten())
                .filter(|r| r.replaced_by.as_deref() == Some(code.as_str()));
            html(&page).into_response()
        }
        Err(e) => PageError(e).into_response(),
    }
}

pub async fn revision(
    State(app): State<AppState>,
    viewer: Viewer,
    Path((code, revision)): Path<(String, String)>,
) -> Page {
    let n: u32 = revision
        .parse()
        .map_err(|_| AppError::bad("invalid_parameter", format!("版本号“{revision}”不是整数")))?;
    html(&indicator_page(&app, viewer.nav(), &code, Some(n))?)
}

/// `/editions/{edition}/indicators/{code}`: the revision that edition holds, for good. Handouts
/// and slides link here so they keep showing what was taught after the library moves on.
pub async fn edition_indicator(
    State(app): State<AppState>,
    viewer: Viewer,
    Path((name, code)): Path<(String, String)>,
) -> Page {
    let edition = app.store.edition(&name)?.ok_or_else(|| {
        AppError::not_found(
            "edition_not_found",
            format!("没有名为“{name}”的指标库版本。"),
        )
    })?;
    let n = edition.revision_of(&code).ok_or_else(|| {
        AppError::not_found(
            "indicator_not_in_edition",
            format!("指标库 {name} 版没有收录编码为“{code}”的指标。"),
        )
    })?;
    let mut p = indicator_page(&app, viewer.nav(), &code, Some(n))?;
    p.edition = Some(name.clone());
    p.via_edition = Some(name);
    html(&p)
}

#[derive(Template)]
#[template(path = "browse.html")]
pub struct BrowsePage {
    pub nav: Nav,
    /// `by=function`: types grouped by 支出功能分类 类 instead of by type group.
    pub by_function: bool,
    pub groups: Vec<(String, Vec<TypeCount>)>,
    pub classes: Vec<ClassView>,
    pub edition: String,
}

pub async fn browse(State(app): State<AppState>, viewer: Viewer, p: Params) -> Page {
    let catalog = app.search.catalog();
    let stats = quality::stats(&catalog, &app.store.indicators()?);
    html(&BrowsePage {
        nav: viewer.nav(),
        by_function: p.get("by") == Some("function"),
        groups: browse::counted_groups(&catalog, &stats),
        classes: browse::classes(&catalog, &stats),
        edition: catalog.edition.clone(),
    })
}

#[derive(Template)]
#[template(path = "browse_type.html")]
pub struct BrowseTypePage {
    pub nav: Nav,
    pub t: ProjectType,
    pub tree: Vec<Level1Block>,
    pub total: usize,
    pub natures: Vec<String>,
    /// 支出功能分类 codes with their official names and their 类 (the anchor on /browse).
    pub functions: Vec<(String, String, String)>,
}

pub async fn browse_type(
    State(app): State<AppState>,
    viewer: Viewer,
    Path(code): Path<String>,
) -> Page {
    let catalog = app.search.catalog();
    let t = catalog.project_type(&code).cloned().ok_or_else(|| {
        AppError::not_found(
            "project_type_not_found",
            format!("没有编码为“{code}”的项目类型。"),
        )
    })?;
    let all = app.store.indicators()?;
    let fits: Vec<&Indicator> = all.iter().filter(|i| i.is_active() && i.fits(&t)).collect();
    let tree = type_tree(&catalog, &t, &fits);
    let natures = t
        .natures
        .iter()
        .map(|n| catalog.natures.get(n).cloned().unwrap_or_else(|| n.clone()))
        .collect();
    let functions = t
        .functions
        .iter()
        .map(|f| {
            let name = catalog.function_name(f).unwrap_or_default().to_string();
            (f.clone(), name, f.chars().take(3).collect())
        })
        .collect();
    html(&BrowseTypePage {
        nav: viewer.nav(),
        total: fits.len(),
        functions,
        t,
        tree,
        natures,
    })
}

#[derive(Template)]
#[template(path = "framework.html")]
pub struct FrameworkPage {
    pub nav: Nav,
    pub frameworks: Vec<Framework>,
    pub units: Vec<Unit>,
}

pub async fn framework(State(app): State<AppState>, viewer: Viewer) -> Page {
    let catalog = app.search.catalog();
    html(&FrameworkPage {
        nav: viewer.nav(),
        frameworks: catalog.frameworks.clone(),
        units: catalog.units.clone(),
    })
}

#[derive(Template)]
#[template(path = "stats.html")]
pub struct StatsPage {
    pub nav: Nav,
    pub s: Stats,
}

pub async fn stats(State(app): State<AppState>, viewer: Viewer) -> Page {
    let catalog = app.search.catalog();
    html(&StatsPage {
        nav: viewer.nav(),
        s: quality::stats(&catalog, &app.store.indicators()?),
    })
}

pub async fn not_found() -> Response {
    let page = ErrorPage {
        nav: Nav::default(),
        status: 404,
        message: "页面不存在。请从首页搜索指标，或按项目类型浏览。".into(),
    };
    match page.render() {
        Ok(h) => (StatusCode::NOT_FOUND, Html(h)).into_response(),
        Err(e) => PageError(AppError::from(e)).into_response(),
    }
}
