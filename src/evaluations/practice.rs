//! What completed evaluations say about the library's indicators (参考实践): every linked
//! indicator's statistics for the drafting assistant, one indicator's for its page and the API,
//! and the page's charts.
//!
//! They are kept in the store, worked out by each write of evaluations for the indicators it
//! touches (`derived`), so reading them takes time in proportion to the library's linked
//! indicators, not to the evaluations. They are still read once per state of the evaluations
//! and of the library and shared by every request until an import, a curator's decision or a
//! published change moves one of them. Only an indicator whose unit or direction differs from
//! the revision they were worked out for (an older revision shown, a revision published since)
//! is worked out again from the projects.

use super::charts;
use super::derived;
use super::lock::WriteLock;
use super::stats::{self, IndicatorStats};
use super::tally::Tally;
use crate::domain::Indicator;
use crate::search::SearchIndex;
use crate::store::{Store, StoreError};
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

/// Statistics of every linked indicator, by code (`drafting::Practice`).
pub type Practice = HashMap<String, IndicatorStats>;

/// The statistics, kept for as long as the evaluations and the library stay as they were.
pub struct PracticeStats {
    store: Store,
    search: Arc<SearchIndex>,
    /// The evaluations' write lock, taken when what is derived must be repaired first.
    writes: Arc<WriteLock>,
    last: Mutex<Option<Arc<Snapshot>>>,
}

/// An indicator's code, unit and direction: what its statistics depend on besides the rows.
type ViewKey = (String, String, &'static str);

/// What the evaluations said in one state of the store.
pub struct Snapshot {
    /// (evaluations version, library generation) when it was read.
    key: (u64, u64),
    /// Every indicator's stored statistics, rows waiting for a curator included.
    stored: HashMap<String, Tally>,
    /// Every linked indicator's statistics, for the drafting assistant.
    pub practice: Practice,
    /// Indicator pages' sections as shown so far, by what the statistics depend on: the code,
    /// the unit and the direction of the revision shown.
    views: Mutex<HashMap<ViewKey, Option<Arc<PracticeView>>>>,
}

impl PracticeStats {
    pub fn new(store: Store, search: Arc<SearchIndex>, writes: Arc<WriteLock>) -> PracticeStats {
        PracticeStats {
            store,
            search,
            writes,
            last: Mutex::new(None),
        }
    }

    /// The lock the evaluations' writes take turns on, for a service writing beside these stats.
    pub fn write_lock(&self) -> Arc<WriteLock> {
        self.writes.clone()
    }

    /// The statistics as the store holds them now: those already read unless the evaluations
    /// or the library changed since.
    pub fn current(&self) -> Result<Arc<Snapshot>, StoreError> {
        derived::ensure(&self.store, &self.search.catalog(), &self.writes)?;
        // Read before the statistics themselves: a write in between only costs a re-read.
        let key = (self.store.evaluations_version(), self.store.generation()?);
        // Held while reading, so concurrent requests after an import read it once.
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(s) = last.as_ref().filter(|s| s.key == key) {
            return Ok(s.clone());
        }
        let s = Arc::new(self.read(key)?);
        *last = Some(s.clone());
        Ok(s)
    }

    fn read(&self, key: (u64, u64)) -> Result<Snapshot, StoreError> {
        let catalog = self.search.catalog();
        let type_name = |code: &str| catalog.project_type_name(code).to_string();
        let mut stored: HashMap<String, Tally> =
            self.store.evaluation_stats()?.into_iter().collect();
        // Indicators whose current revision the stored statistics do not fit: worked out again.
        let mut stale = BTreeSet::new();
        let mut practice = Practice::new();
        for (code, s) in &stored {
            match self.store.indicator(code)? {
                None => {}
                Some(ind) if !s.fits(Some(&ind)) => {
                    stale.insert(code.clone());
                }
                Some(_) if s.rows > 0 => {
                    practice.insert(code.clone(), s.stats(code, &type_name));
                }
                Some(_) => {}
            }
        }
        if !stale.is_empty() {
            let mut again = derived::recount(&self.store, &stale)?;
            for code in stale {
                match again.remove(&code) {
                    Some(s) => {
                        if s.rows > 0 {
                            practice.insert(code.clone(), s.stats(&code, &type_name));
                        }
                        stored.insert(code, s);
                    }
                    None => {
                        stored.remove(&code);
                    }
                }
            }
        }
        Ok(Snapshot {
            key,
            stored,
            practice,
            views: Mutex::default(),
        })
    }

    /// One indicator's statistics (zero counts when no evaluation used it), for the revision
    /// given (the indicator page may show an older one).
    pub fn stats_of(&self, ind: &Indicator) -> Result<IndicatorStats, StoreError> {
        let s = self.current()?;
        let catalog = self.search.catalog();
        let type_name = |code: &str| catalog.project_type_name(code).to_string();
        let code = ind.code.as_str();
        match s.stored.get(code) {
            None => Ok(super::tally::indicator_stats(ind, &[], 0, &type_name)),
            Some(st) if st.fits(Some(ind)) => Ok(st.stats(code, &type_name)),
            // A revision of another unit or direction than the current one: from the rows.
            Some(_) => Ok(derived::tally_of(&self.store, ind)?.stats(code, &type_name)),
        }
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
    Some(PracticeView {
        reference: stats::reference_text(&s),
        spread_svg: charts::spread_svg(&s).unwrap_or_default(),
        year_svg: charts::bars_svg("按年度的项目数", &s.by_year, "#3b6ea5").unwrap_or_default(),
        grade_svg: charts::bars_svg("按评价等级的项目数", &s.by_grade, "#5a9e6f")
            .unwrap_or_default(),
        type_svg: charts::bars_svg("按项目类型的项目数", &s.by_type, "#8a6fb0").unwrap_or_default(),
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
    use std::path::Path;

    #[test]
    fn statistics_are_worked_out_once_per_state_of_the_evaluations() {
        let dir = tempfile::tempdir().unwrap();
        let e = crate::evaluations::service::Evaluations::for_tests(dir.path());
        let (store, stats) = (&e.store, &e.practice);
        let before = stats.current().unwrap();
        assert!(before.practice.is_empty());
        assert!(
            Arc::ptr_eq(&before, &stats.current().unwrap()),
            "read again"
        );

        let file = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("evaluations/demo/self-evaluations-2024.csv");
        let bytes = std::fs::read(&file).unwrap();
        e.import("2024.csv", &bytes, false, "t").unwrap();
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
