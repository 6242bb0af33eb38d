//! What completed evaluations say about the library's indicators (参考实践): every linked
//! indicator's statistics for the drafting assistant, one indicator's for its page and the API,
//! and the page's charts.

use super::charts;
use super::stats::{self, IndicatorStats};
use crate::domain::Indicator;
use crate::search::SearchIndex;
use crate::store::{Store, StoreError};
use std::collections::HashMap;

/// Statistics of every linked indicator, by code (`drafting::Practice`).
pub type Practice = HashMap<String, IndicatorStats>;

/// Statistics of every indicator linked in the stored evaluations.
pub fn practice(store: &Store, search: &SearchIndex) -> Result<Practice, StoreError> {
    let projects = store.evaluations()?;
    if projects.is_empty() {
        return Ok(Practice::new());
    }
    let catalog = search.catalog();
    let lookup = |code: &str| store.indicator(code).ok().flatten();
    let type_name = |code: &str| catalog.project_type_name(code).to_string();
    Ok(super::all_stats(&projects, &lookup, &type_name))
}

/// One indicator's statistics (zero counts when no evaluation used it).
pub fn stats_of(
    store: &Store,
    search: &SearchIndex,
    ind: &Indicator,
) -> Result<IndicatorStats, StoreError> {
    let projects = store.evaluations()?;
    let by_code = stats::rows_by_code(&projects);
    let in_review = stats::review_by_code(&projects)
        .get(ind.code.as_str())
        .copied()
        .unwrap_or(0);
    let catalog = search.catalog();
    let type_name = |code: &str| catalog.project_type_name(code).to_string();
    let rows = by_code.get(ind.code.as_str()).map_or(&[][..], |v| &v[..]);
    Ok(stats::indicator_stats(ind, rows, in_review, &type_name))
}

/// The 评价实践 section of an indicator page.
pub struct PracticeView {
    pub s: IndicatorStats,
    pub reference: String,
    pub spread_svg: String,
    pub year_svg: String,
    pub grade_svg: String,
    pub type_svg: String,
}

pub fn practice_view(
    store: &Store,
    search: &SearchIndex,
    ind: &Indicator,
) -> Result<Option<PracticeView>, StoreError> {
    let s = stats_of(store, search, ind)?;
    if s.rows == 0 && s.coverage.in_review == 0 {
        return Ok(None);
    }
    let top_types: Vec<stats::Count> = s.by_type.iter().take(6).cloned().collect();
    Ok(Some(PracticeView {
        reference: stats::reference_text(&s),
        spread_svg: charts::spread_svg(&s).unwrap_or_default(),
        year_svg: charts::bars_svg("按年度的项目数", &s.by_year, "#3b6ea5").unwrap_or_default(),
        grade_svg: charts::bars_svg("按评价等级的项目数", &s.by_grade, "#5a9e6f")
            .unwrap_or_default(),
        type_svg: charts::bars_svg("按项目类型的项目数", &top_types, "#8a6fb0").unwrap_or_default(),
        s,
    }))
}
