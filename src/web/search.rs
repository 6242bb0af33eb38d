//! Runs a search request for the page and the API alike: filters checked against the catalog, misses recorded for curators.

use super::error::AppError;
use super::state::AppState;
use crate::app::App;
use crate::search::{Filters, SearchRequest};

/// Checks filter values against the catalog, so a mistyped filter is explained, not silently empty.
fn check_filters(app: &App, f: &Filters) -> Result<(), AppError> {
    let catalog = app.search.catalog();
    // Every framework's headings are valid filters (部门整体支出 files indicators under 决策指标,
    // 过程指标 …): /framework links each of them, and one with no indicator yet answers an empty
    // result, not an error.
    let level1 = catalog.headings();
    let bad = |what: &str, v: &str, allowed: Vec<String>| {
        AppError::bad(
            "invalid_filter",
            format!("筛选条件 {what}=“{v}”无效；可选：{}", allowed.join("、")),
        )
    };
    let distinct = |names: Vec<String>| {
        let mut seen = std::collections::HashSet::new();
        names
            .into_iter()
            .filter(|n| seen.insert(n.clone()))
            .collect::<Vec<_>>()
    };
    if let Some(v) = &f.level1
        && !level1.iter().any(|l| &l.name == v)
    {
        return Err(bad(
            "level1",
            v,
            distinct(level1.iter().map(|l| l.name.clone()).collect()),
        ));
    }
    if let Some(v) = &f.level2 {
        let all = distinct(level1.iter().flat_map(|l| l.level2.clone()).collect());
        if !all.contains(v) {
            return Err(bad("level2", v, all));
        }
    }
    if let Some(v) = &f.scope
        && v != "共性"
        && v != "个性"
    {
        return Err(bad("scope", v, vec!["共性".into(), "个性".into()]));
    }
    if let Some(v) = &f.project_type
        && catalog.project_type(v).is_none()
    {
        return Err(AppError::bad(
            "invalid_filter",
            format!(
                "筛选条件 project_type=“{v}”不是已知的项目类型编码（见 /api/v1/project-types）"
            ),
        ));
    }
    if let Some(v) = &f.sector
        && !catalog.sectors.contains(v)
        && !catalog.project_types.iter().any(|t| t.sectors.contains(v))
    {
        return Err(bad("sector", v, catalog.sectors.clone()));
    }
    Ok(())
}

/// Runs a search on the worker thread. A query is bounded (≤ 200 characters, ≤ 100 hits) and
/// takes well under a millisecond at 100,000 indicators (docs/PERFORMANCE.md), less than a hop to
/// the blocking pool would add; heavier work (drafting, exports) goes through `spawn_blocking`.
pub async fn run_search(
    app: AppState,
    req: SearchRequest,
) -> Result<crate::search::SearchResults, AppError> {
    check_filters(&app, &req.filters)?;
    let started = std::time::Instant::now();
    let res = app.search.search(&req)?;
    app.metrics
        .search("search", started.elapsed().as_secs_f64());
    // What people look for and do not find feeds the curator inbox (the query only): no hit at
    // all, or hits only for fewer than half of the query's informative words.
    let mostly_missed = res
        .relaxed
        .as_ref()
        .is_some_and(|r| r.min_words * 2 < r.words.len());
    if (res.total == 0 || mostly_missed)
        && req.offset == 0
        && !req.q.trim().is_empty()
        && let Err(e) = app.store.record_miss(&req.q)
    {
        tracing::warn!(error = %e, "could not record a search without results");
    }
    Ok(res)
}
