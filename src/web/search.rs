//! Runs a search request for the page and the API alike: filters checked against the catalog, misses recorded for curators.

use super::error::AppError;
use super::state::AppState;
use crate::search::SearchRequest;

/// Runs a search on the worker thread. A query is bounded (≤ 200 characters, ≤ 100 hits) and
/// takes well under a millisecond at 100,000 indicators (docs/PERFORMANCE.md), less than a hop to
/// the blocking pool would add; heavier work (drafting, exports) goes through `spawn_blocking`.
pub async fn run_search(
    app: AppState,
    req: SearchRequest,
) -> Result<crate::search::SearchResults, AppError> {
    let checked = req.filters.check(&app.search.catalog());
    checked.map_err(|m| AppError::bad("invalid_filter", m))?;
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
