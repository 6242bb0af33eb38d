//! HTML pages: one template struct per page beside its handler.

use super::auth::{Nav, Viewer};
use super::error::{AppError, PageError};
use super::extract::Path;
use super::layout::ErrorPage;
use super::params::Params;
use super::response::{Page, html};
use super::{AppState, run_search};
use crate::curation::retirement::{Retired, retired};
use crate::domain::quality::{self, Stats};
use crate::domain::{Catalog, Framework, Indicator, ProjectType, Revision, Status, Unit};
use crate::evaluations::practice;
use crate::search::{FacetCount, SearchResults};
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};

pub struct FacetItem {
    pub label: String,
    pub count: u64,
    pub url: String,
    pub active: bool,
}

pub struct FacetView {
    pub title: &'static str,
    pub items: Vec<FacetItem>,
}

pub struct HitView {
    pub code: String,
    pub name_html: String,
    pub snippet_html: String,
    pub level1: String,
    pub level2: String,
    pub unit: String,
    pub target: String,
    pub scope: &'static str,
    pub explain: Vec<String>,
}

#[derive(Template)]
#[template(path = "search.html")]
pub struct SearchPage {
    pub nav: Nav,
    pub q: String,
    pub searched: bool,
    pub total: usize,
    pub hits: Vec<HitView>,
    pub facets: Vec<FacetView>,
    pub active_filters: Vec<FacetItem>,
    pub prev_url: Option<String>,
    pub next_url: Option<String>,
    pub page: usize,
    pub pages: usize,
    pub groups: Vec<(String, Vec<ProjectType>)>,
    pub edition: String,
    pub indicators: usize,
}

/// The current query string with `key` set to `value` (or removed), and the page reset.
fn url_with(p: &Params, key: &str, value: Option<&str>) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in &p.0 {
        if k != key && k != "offset" && !v.is_empty() {
            s.append_pair(k, v);
        }
    }
    if let Some(v) = value {
        s.append_pair(key, v);
    }
    let q = s.finish();
    if q.is_empty() {
        "/".into()
    } else {
        format!("/?{q}")
    }
}

fn groups(catalog: &Catalog) -> Vec<(String, Vec<ProjectType>)> {
    catalog
        .groups
        .iter()
        .map(|g| {
            (
                g.clone(),
                catalog
                    .project_types
                    .iter()
                    .filter(|t| &t.group == g)
                    .cloned()
                    .collect(),
            )
        })
        .collect()
}

pub async fn search(State(app): State<AppState>, viewer: Viewer, p: Params) -> Page {
    let mut req = p.search_request(20)?;
    req.facets = true;
    let catalog = app.search.catalog();
    let searched = !req.q.trim().is_empty() || !req.filters.is_empty();
    let (limit, offset) = (req.limit, req.offset);
    let res = if searched {
        run_search(app.clone(), req.clone()).await?
    } else {
        SearchResults {
            total: 0,
            hits: vec![],
            facets: Default::default(),
            relaxed: None,
        }
    };
    let facet =
        |title, key: &'static str, list: &[FacetCount], current: &Option<String>| FacetView {
            title,
            items: list
                .iter()
                .map(|f| FacetItem {
                    label: f.label.clone(),
                    count: f.count,
                    active: current.as_deref() == Some(f.value.as_str()),
                    url: url_with(&p, key, Some(&f.value)),
                })
                .collect(),
        };
    let fl = &req.filters;
    let mut facets = vec![
        facet("一级指标", "level1", &res.facets.level1, &fl.level1),
        facet("二级指标", "level2", &res.facets.level2, &fl.level2),
        facet(
            "项目类型",
            "project_type",
            &res.facets.project_type,
            &fl.project_type,
        ),
        facet("行业", "sector", &res.facets.sector, &fl.sector),
        facet("适用范围", "scope", &res.facets.scope, &fl.scope),
    ];
    let core_count = res.facets.core.iter().map(|c| c.count).max().unwrap_or(0);
    facets.push(FacetView {
        title: "核心指标",
        items: vec![FacetItem {
            label: "只看核心指标".into(),
            count: core_count,
            url: url_with(&p, "core", Some("1")),
            active: fl.core,
        }],
    });
    let mut active_filters = Vec::new();
    for (key, label, v) in [
        ("level1", "一级", &fl.level1),
        ("level2", "二级", &fl.level2),
        ("project_type", "类型", &fl.project_type),
        ("sector", "行业", &fl.sector),
        ("scope", "范围", &fl.scope),
    ] {
        if let Some(v) = v {
            let shown = if key == "project_type" {
                catalog.project_type_name(v).to_string()
            } else {
                v.clone()
            };
            active_filters.push(FacetItem {
                label: format!("{label}：{shown}"),
                count: 0,
                url: url_with(&p, key, None),
                active: true,
            });
        }
    }
    if fl.core {
        active_filters.push(FacetItem {
            label: "核心指标".into(),
            count: 0,
            url: url_with(&p, "core", None),
            active: true,
        });
    }
    let page_url = |off: usize| {
        let base = url_with(&p, "offset", None);
        let sep = if base.contains('?') { '&' } else { '?' };
        if off == 0 {
            base
        } else {
            format!("{base}{sep}offset={off}")
        }
    };
    let hits = res
        .hits
        .iter()
        .map(|h| HitView {
            code: h.indicator.code.to_string(),
            name_html: h.name_html.clone(),
            snippet_html: h.snippet_html.clone(),
            level1: h.indicator.level1.clone(),
            level2: h.indicator.level2.clone(),
            unit: h.indicator.unit.clone(),
            target: h.indicator.target_display(),
            scope: h.indicator.scope().label(),
            explain: h.explain.clone(),
        })
        .collect();
    let last = res.total.min(crate::search::MAX_OFFSET + limit);
    html(&SearchPage {
        nav: viewer.nav(),
        q: req.q.clone(),
        searched,
        total: res.total,
        hits,
        facets,
        active_filters,
        prev_url: (offset > 0).then(|| page_url(offset.saturating_sub(limit))),
        next_url: (offset + limit < last).then(|| page_url(offset + limit)),
        page: offset / limit + 1,
        pages: last.div_ceil(limit).max(1),
        groups: groups(&catalog),
        edition: catalog.edition.clone(),
        indicators: app.search.len(),
    })
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
        Some(n) => {
            let r = revisions.iter().find(|r| r.number == n).ok_or_else(|| {
                AppError::not_found("revision_not_found", format!("指标 {code} 没有第 {n} 版。"))
            })?;
            (r.indicator.clone(), n)
        }
    };
    let catalog = app.search.catalog();
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
    let retired_note = match &ind.status {
        Status::Active => None,
        Status::Retired { .. } => retired(&app.store, code)?,
    };
    let practice = app.practice.view(&ind)?;
    let edition = app
        .store
        .editions()?
        .into_iter()
        .rev()
        .find(|e| e.revision_of(code) == Some(shown))
        .map(|e| e.name);
    Ok(IndicatorPage {
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

/// A project type with its indicator count and core count.
pub type TypeCount = (ProjectType, usize, usize);

/// One 类 of the 支出功能分类科目 on the browse page: code, name, whether a county budget has
/// project spending under it, and its project types.
pub struct ClassView {
    pub code: String,
    pub name: String,
    pub project_spending: bool,
    pub types: Vec<TypeCount>,
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
    let count = |t: ProjectType| {
        let s = stats.by_type.iter().find(|s| s.code == t.code);
        (t, s.map_or(0, |s| s.total), s.map_or(0, |s| s.core))
    };
    let by_function = p.get("by") == Some("function");
    let groups = groups(&catalog)
        .into_iter()
        .map(|(g, types)| (g, types.into_iter().map(count).collect()))
        .collect();
    let classes = catalog
        .functions
        .iter()
        .map(|c| ClassView {
            code: c.code.clone(),
            name: c.name.clone(),
            project_spending: c.project_spending,
            types: catalog
                .project_types
                .iter()
                .filter(|t| catalog.classes_of(t).iter().any(|k| k.code == c.code))
                .cloned()
                .map(count)
                .collect(),
        })
        .filter(|c| c.project_spending || !c.types.is_empty())
        .collect();
    html(&BrowsePage {
        nav: viewer.nav(),
        by_function,
        groups,
        classes,
        edition: catalog.edition.clone(),
    })
}

pub struct Level2Block {
    pub name: String,
    pub indicators: Vec<(Indicator, bool)>,
}

pub struct Level1Block {
    pub name: String,
    pub level2: Vec<Level2Block>,
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
    let tree = catalog
        .framework_of(&t)
        .level1
        .iter()
        .map(|l1| Level1Block {
            name: l1.name.clone(),
            level2: l1
                .level2
                .iter()
                .map(|l2| {
                    let mut v: Vec<(Indicator, bool)> = fits
                        .iter()
                        .filter(|i| i.level1 == l1.name && &i.level2 == l2)
                        .map(|i| ((*i).clone(), i.core.contains(&t.code)))
                        .collect();
                    // Core first, then type-specific before common, then by code.
                    v.sort_by(|a, b| {
                        b.1.cmp(&a.1)
                            .then(
                                a.0.natures
                                    .is_empty()
                                    .cmp(&b.0.natures.is_empty())
                                    .reverse(),
                            )
                            .then(a.0.code.cmp(&b.0.code))
                    });
                    Level2Block {
                        name: l2.clone(),
                        indicators: v,
                    }
                })
                .filter(|b| !b.indicators.is_empty())
                .collect(),
        })
        .collect();
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
