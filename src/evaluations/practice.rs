//! What completed evaluations say about the library's indicators (参考实践): every linked
//! indicator's statistics for the drafting assistant, one indicator's for its page and the API,
//! and the page's charts.
//!
//! Reading every imported project and working out every statistic takes time in proportion to
//! the evaluations (≈ 50 ms for 1,900 projects), so it is done once per state of the evaluations
//! and of the library and shared by every request until an import, a curator's decision or a
//! published change moves one of them.

use super::charts;
use super::stats::{self, IndicatorStats, LinkedRow};
use crate::domain::{EvaluatedProject, Indicator};
use crate::search::SearchIndex;
use crate::store::{Store, StoreError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Statistics of every linked indicator, by code (`drafting::Practice`).
pub type Practice = HashMap<String, IndicatorStats>;

/// The statistics, kept for as long as the evaluations and the library stay as they were.
pub struct PracticeStats {
    store: Store,
    search: Arc<SearchIndex>,
    last: Mutex<Option<Arc<Snapshot>>>,
}

/// An indicator's code, unit and direction: what its statistics depend on besides the rows.
type ViewKey = (String, String, &'static str);

/// What the evaluations said in one state of the store.
pub struct Snapshot {
    /// (evaluations version, library generation) when it was read.
    key: (u64, u64),
    projects: Vec<EvaluatedProject>,
    /// Rows linked with certainty to each code, as (project, row) positions in `projects`.
    linked: HashMap<String, Vec<(usize, usize)>>,
    /// Rows waiting for a curator, by the code proposed for them.
    in_review: HashMap<String, usize>,
    /// Every linked indicator's statistics, for the drafting assistant.
    pub practice: Practice,
    /// Indicator pages' sections as shown so far, by what the statistics depend on: the code,
    /// the unit and the direction of the revision shown.
    views: Mutex<HashMap<ViewKey, Option<Arc<PracticeView>>>>,
}

impl PracticeStats {
    pub fn new(store: Store, search: Arc<SearchIndex>) -> PracticeStats {
        PracticeStats {
            store,
            search,
            last: Mutex::new(None),
        }
    }

    /// The statistics as the store holds them now: those already worked out unless the
    /// evaluations or the library changed since.
    pub fn current(&self) -> Result<Arc<Snapshot>, StoreError> {
        // Read before the evaluations themselves: a write in between only costs a recomputation.
        let key = (self.store.evaluations_version(), self.store.generation()?);
        // Held while computing, so concurrent requests after an import compute it once.
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(s) = last.as_ref().filter(|s| s.key == key) {
            return Ok(s.clone());
        }
        let s = Arc::new(self.read(key)?);
        *last = Some(s.clone());
        Ok(s)
    }

    fn read(&self, key: (u64, u64)) -> Result<Snapshot, StoreError> {
        let projects = self.store.evaluations()?;
        let practice = if projects.is_empty() {
            Practice::new()
        } else {
            let lookup = |code: &str| self.store.indicator(code).ok().flatten();
            let catalog = self.search.catalog();
            let type_name = |code: &str| catalog.project_type_name(code).to_string();
            super::all_stats(&projects, &lookup, &type_name)
        };
        let mut linked: HashMap<String, Vec<(usize, usize)>> = HashMap::new();
        for (p, project) in projects.iter().enumerate() {
            for (r, row) in project.rows.iter().enumerate() {
                if let Some(code) = row.certain_code() {
                    linked.entry(code.to_string()).or_default().push((p, r));
                }
            }
        }
        let in_review = stats::review_by_code(&projects)
            .into_iter()
            .map(|(code, n)| (code.to_string(), n))
            .collect();
        Ok(Snapshot {
            key,
            projects,
            linked,
            in_review,
            practice,
            views: Mutex::default(),
        })
    }

    /// One indicator's statistics (zero counts when no evaluation used it), for the revision
    /// given (the indicator page may show an older one).
    pub fn stats_of(&self, ind: &Indicator) -> Result<IndicatorStats, StoreError> {
        let s = self.current()?;
        let rows: Vec<LinkedRow> = s.linked.get(ind.code.as_str()).map_or(vec![], |at| {
            at.iter()
                .map(|&(p, r)| LinkedRow {
                    project: &s.projects[p],
                    row: &s.projects[p].rows[r],
                })
                .collect()
        });
        let in_review = s.in_review.get(ind.code.as_str()).copied().unwrap_or(0);
        let catalog = self.search.catalog();
        let type_name = |code: &str| catalog.project_type_name(code).to_string();
        Ok(stats::indicator_stats(ind, &rows, in_review, &type_name))
    }

    /// The 评价实践 section of an indicator page, when any evaluation used the indicator: its
    /// charts are drawn once per state of the evaluations.
    pub fn view(&self, ind: &Indicator) -> Result<Option<Arc<PracticeView>>, StoreError> {
        let snapshot = self.current()?;
        let key = (
            ind.code.to_string(),
            ind.unit.clone(),
            ind.direction.label(),
        );
        if let Some(v) = snapshot
            .views
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
        {
            return Ok(v.clone());
        }
        let view = draw(self.stats_of(ind)?).map(Arc::new);
        let mut views = snapshot.views.lock().unwrap_or_else(|e| e.into_inner());
        views.insert(key, view.clone());
        Ok(view)
    }
}

/// The section's figures and charts; nothing when no evaluation used the indicator.
fn draw(s: IndicatorStats) -> Option<PracticeView> {
    if s.rows == 0 && s.coverage.in_review == 0 {
        return None;
    }
    let top_types: Vec<stats::Count> = s.by_type.iter().take(6).cloned().collect();
    Some(PracticeView {
        reference: stats::reference_text(&s),
        spread_svg: charts::spread_svg(&s).unwrap_or_default(),
        year_svg: charts::bars_svg("按年度的项目数", &s.by_year, "#3b6ea5").unwrap_or_default(),
        grade_svg: charts::bars_svg("按评价等级的项目数", &s.by_grade, "#5a9e6f")
            .unwrap_or_default(),
        type_svg: charts::bars_svg("按项目类型的项目数", &top_types, "#8a6fb0").unwrap_or_default(),
        s,
    })
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::library;
    use crate::ingest::sheet::SheetLimits;
    use crate::search::Vocabulary;
    use std::path::Path;

    #[test]
    fn statistics_are_worked_out_once_per_state_of_the_evaluations() {
        let dir = tempfile::tempdir().unwrap();
        let lib = library::load_dir(&library::default_dir()).unwrap();
        let store = Store::open(&dir.path().join("store"), 8 << 20).unwrap();
        store.sync_library(lib.clone(), "test").unwrap();
        let vocab = Vocabulary::load(&crate::search::vocab::default_dir()).unwrap();
        let search = Arc::new(
            SearchIndex::in_ram(
                Arc::new(vocab),
                Arc::new(lib.catalog.clone()),
                lib.indicators.clone(),
            )
            .unwrap(),
        );
        let stats = PracticeStats::new(store.clone(), search.clone());
        let before = stats.current().unwrap();
        assert!(before.practice.is_empty());
        assert!(
            Arc::ptr_eq(&before, &stats.current().unwrap()),
            "read again"
        );

        let file = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("evaluations/demo/self-evaluations-2024.csv");
        let bytes = std::fs::read(&file).unwrap();
        let limits = SheetLimits::default();
        crate::evaluations::import_file(&store, &search, "2024.csv", &bytes, false, "t", &limits)
            .unwrap();
        let after = stats.current().unwrap();
        assert!(!after.practice.is_empty(), "the import is not seen");
        let (code, s) = after.practice.iter().next().unwrap();
        let ind = store.indicator(code).unwrap().unwrap();
        assert_eq!(
            &stats.stats_of(&ind).unwrap(),
            s,
            "the page and drafting agree"
        );
        assert!(Arc::ptr_eq(&after, &stats.current().unwrap()), "read again");
    }
}
