//! Statistics kept current on import: every write of evaluations (an import, a curator's
//! decision, a candidate adopted) works out the statistics of the indicators it touches and the
//! store writes them in the same transaction as the rows, so reading them never goes through
//! the imported projects. A data directory written before they existed (or by another version
//! of them) is repaired once, from every project, by `ensure`.

use super::lock::{Held, WriteLock};
use super::stats::{self, IndicatorStats};
use crate::domain::Catalog;
use crate::domain::{EvaluatedProject, Indicator};
use crate::store::{Store, StoreError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Moves when what is stored (or how it is worked out) changes: a store written with another
/// value is rebuilt from its projects on the next read or write.
pub const VERSION: u64 = 2;

/// One indicator's statistics as stored, with what they were worked out for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredStats {
    /// The indicator's unit and direction then: the spread and the achievement depend on them.
    pub unit: String,
    pub direction: String,
    pub stats: IndicatorStats,
    /// Not serialised with `stats` (the API leaves them out); the charts need them.
    pub target_values: Vec<f64>,
    pub actual_values: Vec<f64>,
}

impl StoredStats {
    fn new(mut s: IndicatorStats, ind: &Indicator) -> StoredStats {
        StoredStats {
            unit: ind.unit.clone(),
            direction: ind.direction.label().to_string(),
            target_values: std::mem::take(&mut s.target_values),
            actual_values: std::mem::take(&mut s.actual_values),
            stats: s,
        }
    }

    /// Whether they hold for this revision of the indicator.
    pub fn fits(&self, ind: &Indicator) -> bool {
        self.unit == ind.unit && self.direction == ind.direction.label()
    }

    /// The statistics, with the project types named as the catalog names them now.
    pub fn into_stats(self, type_name: &dyn Fn(&str) -> String) -> IndicatorStats {
        let mut s = self.stats;
        s.target_values = self.target_values;
        s.actual_values = self.actual_values;
        for c in &mut s.by_type {
            c.label = type_name(&c.key);
        }
        s
    }
}

/// Codes whose statistics change when `projects` are written: every code linked or proposed
/// in their rows and in the rows of the stored versions they replace.
pub fn touched(
    store: &Store,
    projects: &[EvaluatedProject],
) -> Result<BTreeSet<String>, StoreError> {
    let mut codes = BTreeSet::new();
    for p in projects {
        let old = store.evaluation(&p.id())?;
        for r in p.rows.iter().chain(old.iter().flat_map(|o| &o.rows)) {
            if let Some(m) = &r.matched {
                codes.insert(m.code.clone());
            }
        }
    }
    Ok(codes)
}

/// Every code linked or proposed anywhere in `all`.
pub fn all_codes(all: &[EvaluatedProject]) -> BTreeSet<String> {
    all.iter()
        .flat_map(|p| &p.rows)
        .filter_map(|r| r.matched.as_ref().map(|m| m.code.clone()))
        .collect()
}

/// The statistics of `codes` over `all` (the evaluations as they stand after the write):
/// `None` where no row links or proposes a code any more, or the library has no such indicator.
pub fn recompute(
    store: &Store,
    catalog: &Catalog,
    all: &[EvaluatedProject],
    codes: &BTreeSet<String>,
) -> Result<Vec<(String, Option<StoredStats>)>, StoreError> {
    let type_name = |code: &str| catalog.project_type_name(code).to_string();
    let mut linked = stats::rows_by_code(all);
    let review = stats::review_by_code(all);
    let mut out = Vec::with_capacity(codes.len());
    for code in codes {
        let rows = linked.remove(code.as_str()).unwrap_or_default();
        let waiting = review.get(code.as_str()).copied().unwrap_or(0);
        let stored = match store.indicator(code)? {
            Some(ind) if !rows.is_empty() || waiting > 0 => Some(StoredStats::new(
                stats::indicator_stats(&ind, &rows, waiting, &type_name),
                &ind,
            )),
            _ => None,
        };
        out.push((code.clone(), stored));
    }
    Ok(out)
}

/// Rebuilds what is derived from the evaluations when the store does not hold this version of
/// it (a data directory from before, or a crash during a rebuild), under the evaluations' write
/// lock.
pub(super) fn repair(_: &Held<'_>, store: &Store, catalog: &Catalog) -> Result<(), StoreError> {
    if store.evaluation_derived_version()? == Some(VERSION) {
        return Ok(());
    }
    let all = store.evaluations()?;
    let stats = recompute(store, catalog, &all, &all_codes(&all))?;
    store.rebuild_evaluation_derived(&all, &stats, VERSION)
}

/// `repair`, taking the write lock: for readers, which must not see half-derived statistics.
pub fn ensure(store: &Store, catalog: &Catalog, writes: &WriteLock) -> Result<(), StoreError> {
    if store.evaluation_derived_version()? == Some(VERSION) {
        return Ok(());
    }
    repair(&writes.hold(), store, catalog)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluations::service::Evaluations;
    use crate::search::SearchIndex;
    use std::collections::HashMap;
    use std::path::Path;
    use std::sync::Arc;

    fn open(dir: &Path) -> (Evaluations, Store, Arc<SearchIndex>) {
        let e = Evaluations::for_tests(dir);
        let (store, search) = (e.store.clone(), e.search.clone());
        (e, store, search)
    }

    fn import(e: &Evaluations, name: &str, bytes: &[u8]) {
        let r = e.import(name, bytes, false, "t").unwrap();
        assert!(r.written, "{name}: {}", r.message);
    }

    /// The stored statistics, the sources of excluded rows left out (they name the file).
    fn stored(store: &Store) -> HashMap<String, StoredStats> {
        store
            .evaluation_stats::<StoredStats>()
            .unwrap()
            .into_iter()
            .map(|(code, mut s)| {
                for e in &mut s.stats.coverage.excluded {
                    e.sources.clear();
                }
                (code, s)
            })
            .collect()
    }

    /// What a full recomputation from every stored project gives.
    fn recomputed(store: &Store, search: &SearchIndex) -> HashMap<String, StoredStats> {
        let all = store.evaluations().unwrap();
        recompute(store, &search.catalog(), &all, &all_codes(&all))
            .unwrap()
            .into_iter()
            .filter_map(|(code, s)| Some((code, s?)))
            .collect()
    }

    fn demo_csv() -> String {
        let p = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("evaluations/demo/self-evaluations-2024.csv");
        std::fs::read_to_string(p).unwrap()
    }

    /// The CSV cut in two between projects: (header + first part, header + the rest).
    fn halves(csv: &str) -> (String, String) {
        let lines: Vec<&str> = csv.lines().collect();
        let project = |l: &str| l.splitn(4, ',').take(3).collect::<Vec<_>>().join(",");
        let mut cut = lines.len() / 2;
        while project(lines[cut - 1]) == project(lines[cut]) {
            cut += 1;
        }
        let part = |ls: &[&str]| format!("{}\n{}\n", lines[0], ls.join("\n"));
        (part(&lines[1..cut]), part(&lines[cut..]))
    }

    #[test]
    fn statistics_imported_in_parts_equal_those_imported_whole_and_a_full_recomputation() {
        let csv = demo_csv();
        let (first, second) = halves(&csv);
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let (e, whole, search) = open(a.path());
        import(&e, "whole.csv", csv.as_bytes());
        let (e2, parts, search2) = open(b.path());
        import(&e2, "first.csv", first.as_bytes());
        import(&e2, "second.csv", second.as_bytes());

        let (w, p) = (stored(&whole), stored(&parts));
        assert!(w.len() > 50, "{} indicators", w.len());
        same(&w, &p, "in parts and whole");
        same(
            &stored_with_sources(&whole),
            &recomputed(&whole, &search),
            "whole",
        );
        same(
            &stored_with_sources(&parts),
            &recomputed(&parts, &search2),
            "parts",
        );
    }

    /// A file that replaces projects with other indicators and values: the indicators the
    /// replaced rows were linked to lose them, the new ones gain them.
    #[test]
    fn statistics_follow_replaced_projects_and_curators_decisions() {
        let csv = demo_csv();
        let (first, _) = halves(&csv);
        let dir = tempfile::tempdir().unwrap();
        let (e, store, search) = open(dir.path());
        import(&e, "first.csv", first.as_bytes());
        // The same projects, every actual value changed and every other row dropped.
        let mut changed = String::new();
        for (i, line) in first.lines().enumerate() {
            if i == 0 {
                changed += line;
            } else if i % 2 == 1 {
                let mut cells: Vec<String> = line.split(',').map(str::to_string).collect();
                cells[15] = format!("{}1", cells[15]);
                changed += &cells.join(",");
            } else {
                continue;
            }
            changed += "\n";
        }
        import(&e, "changed.csv", changed.as_bytes());
        same(
            &stored_with_sources(&store),
            &recomputed(&store, &search),
            "after a replacement",
        );

        let p = store.evaluations().unwrap().remove(0);
        let i = p.rows.iter().position(|r| r.matched.is_some()).unwrap();
        e.apply_decision(&p.id(), i, crate::evaluations::Decision::New, "t")
            .unwrap();
        same(
            &stored_with_sources(&store),
            &recomputed(&store, &search),
            "after a decision",
        );
    }

    /// Equal, or the first code that differs and how.
    fn same(a: &HashMap<String, StoredStats>, b: &HashMap<String, StoredStats>, what: &str) {
        let codes: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
        for code in codes {
            assert_eq!(a.get(code), b.get(code), "{what}: {code}");
        }
    }

    fn stored_with_sources(store: &Store) -> HashMap<String, StoredStats> {
        store.evaluation_stats().unwrap().into_iter().collect()
    }

    #[test]
    fn a_store_without_derived_statistics_is_repaired_from_its_projects() {
        let dir = tempfile::tempdir().unwrap();
        let (e, store, search) = open(dir.path());
        import(&e, "whole.csv", demo_csv().as_bytes());
        let before = stored_with_sources(&store);
        // As a data directory from before: statistics and their version gone.
        store
            .rebuild_evaluation_derived(&[], &[] as &[(String, Option<StoredStats>)], 0)
            .unwrap();
        assert!(stored_with_sources(&store).is_empty());
        ensure(&store, &search.catalog(), &e.writes).unwrap();
        assert_eq!(stored_with_sources(&store), before);
    }
}
