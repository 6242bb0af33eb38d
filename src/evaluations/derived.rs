//! Statistics kept current on import: every write of evaluations (an import, a curator's
//! decision, a candidate adopted) works out what its projects add to the statistics of the
//! indicators they touch and what the versions they replace took away (`tally::Tally`), and
//! the store merges both into the stored statistics in the same transaction as the rows, so
//! neither a write nor a read goes through the other imported projects. A data directory
//! written before they existed (or by another version of them) is repaired once, from every
//! project read one at a time, by `ensure`.

use super::lock::{Held, WriteLock};
use super::tally::Tally;
use crate::domain::{Catalog, EvaluatedProject, Indicator};
use crate::store::{StatChange, Store, StoreError};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// Moves when what is stored (or how it is worked out) changes: a store written with another
/// value is rebuilt from its projects on the next read or write. 3: tallies (sums and sorted
/// values) instead of finished statistics, and the unmatched rows by project.
pub const VERSION: u64 = 3;

/// The library's indicators as a write reads them, each once.
struct Indicators<'s> {
    store: &'s Store,
    seen: HashMap<String, Option<Indicator>>,
    error: Option<StoreError>,
}

impl<'s> Indicators<'s> {
    fn new(store: &'s Store) -> Indicators<'s> {
        Indicators {
            store,
            seen: HashMap::new(),
            error: None,
        }
    }

    fn get(&mut self, code: &str) -> Option<Indicator> {
        if let Some(i) = self.seen.get(code) {
            return i.clone();
        }
        let i = match self.store.indicator(code) {
            Ok(i) => i,
            Err(e) => {
                self.error.get_or_insert(e);
                None
            }
        };
        self.seen.insert(code.to_string(), i.clone());
        i
    }

    /// The tallies of `projects`, those of `only` (every code when `None`).
    fn tally<'p>(
        &mut self,
        projects: impl IntoIterator<Item = &'p EvaluatedProject>,
        only: Option<&BTreeSet<String>>,
    ) -> Result<BTreeMap<String, Tally>, StoreError> {
        let mut out = BTreeMap::new();
        for p in projects {
            self.add(&mut out, p, only);
        }
        self.finish(out)
    }

    fn add(
        &mut self,
        tallies: &mut BTreeMap<String, Tally>,
        p: &EvaluatedProject,
        only: Option<&BTreeSet<String>>,
    ) {
        match only {
            None => Tally::add_project(tallies, p, &mut |c| self.get(c)),
            Some(codes) => {
                if !p
                    .rows
                    .iter()
                    .any(|r| r.matched.as_ref().is_some_and(|m| codes.contains(&m.code)))
                {
                    return;
                }
                let mut own = p.clone();
                own.rows
                    .retain(|r| r.matched.as_ref().is_some_and(|m| codes.contains(&m.code)));
                Tally::add_project(tallies, &own, &mut |c| self.get(c));
            }
        }
    }

    fn finish(
        &mut self,
        mut tallies: BTreeMap<String, Tally>,
    ) -> Result<BTreeMap<String, Tally>, StoreError> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        tallies.values_mut().for_each(Tally::sort);
        Ok(tallies)
    }
}

/// What writing `new` (replacing `old`, the stored versions of those of its projects already
/// stored) changes in the statistics, as the store applies it inside the write's transaction:
/// for each code either rows, merged into what is stored, or a tally worked out again from every
/// project when what is stored was counted for another revision of the indicator (its unit or
/// direction changed since), which reads the store once.
pub fn changes(
    store: &Store,
    old: &[EvaluatedProject],
    new: &[EvaluatedProject],
) -> Result<Vec<StatChange<'static>>, StoreError> {
    let mut indicators = Indicators::new(store);
    let mut plus = indicators.tally(new, None)?;
    let mut minus = indicators.tally(old, None)?;
    let codes: BTreeSet<String> = plus.keys().chain(minus.keys()).cloned().collect();
    let mut out: Vec<StatChange<'static>> = Vec::with_capacity(codes.len());
    let mut again = BTreeSet::new();
    for code in codes {
        let ind = indicators.get(&code);
        let stored: Option<Tally> = store.evaluation_stat(&code)?;
        if stored.as_ref().is_some_and(|s| !s.fits(ind.as_ref())) {
            again.insert(code);
            continue;
        }
        let p = plus
            .remove(&code)
            .unwrap_or_else(|| Tally::empty(ind.as_ref()));
        let m = minus
            .remove(&code)
            .unwrap_or_else(|| Tally::empty(ind.as_ref()));
        let change = move |bytes: Option<&[u8]>| {
            let mut t: Tally = match bytes {
                Some(b) => serde_json::from_slice(b).map_err(|e| e.to_string())?,
                None => Tally::empty(ind.as_ref()),
            };
            if (&t.unit, &t.direction) != (&p.unit, &p.direction) {
                return Err("计量单位或方向已变".to_string());
            }
            t.merge(&p, &m);
            Ok((!t.is_empty()).then(|| serde_json::to_vec(&t).expect("tallies serialize")))
        };
        out.push((code, Box::new(change)));
    }
    if !again.is_empty() {
        let replaced: HashSet<String> = new.iter().map(EvaluatedProject::id).collect();
        let mut tallies = BTreeMap::new();
        store.for_each_evaluation(|p| {
            if !replaced.contains(&p.id()) {
                indicators.add(&mut tallies, &p, Some(&again));
            }
            Ok(())
        })?;
        for p in new {
            indicators.add(&mut tallies, p, Some(&again));
        }
        let mut tallies = indicators.finish(tallies)?;
        for code in again {
            let t = tallies.remove(&code).filter(|t| !t.is_empty());
            let bytes = t.map(|t| serde_json::to_vec(&t).expect("tallies serialize"));
            out.push((code, Box::new(move |_: Option<&[u8]>| Ok(bytes.clone()))));
        }
    }
    Ok(out)
}

/// The tallies of `codes` over every stored project, worked out again (for an indicator whose
/// current revision the stored ones do not fit); none for a code no row links any more.
pub fn recount(
    store: &Store,
    codes: &BTreeSet<String>,
) -> Result<BTreeMap<String, Tally>, StoreError> {
    let mut indicators = Indicators::new(store);
    let mut tallies = BTreeMap::new();
    store.for_each_evaluation(|p| {
        indicators.add(&mut tallies, &p, Some(codes));
        Ok(())
    })?;
    let mut t = indicators.finish(tallies)?;
    t.retain(|_, t| !t.is_empty());
    Ok(t)
}

/// The tally of one indicator over every stored project, counted for revision `ind` (an
/// indicator page showing a revision of another unit or direction than the current one).
pub fn tally_of(store: &Store, ind: &Indicator) -> Result<Tally, StoreError> {
    let code = ind.code.to_string();
    let mut tallies = BTreeMap::new();
    store.for_each_evaluation(|mut p| {
        p.rows
            .retain(|r| r.matched.as_ref().is_some_and(|m| m.code == code));
        if !p.rows.is_empty() {
            Tally::add_project(&mut tallies, &p, &mut |_| Some(ind.clone()));
        }
        Ok(())
    })?;
    let mut t = tallies
        .remove(&code)
        .unwrap_or_else(|| Tally::empty(Some(ind)));
    t.sort();
    Ok(t)
}

/// Rebuilds what is derived from the evaluations when the store does not hold this version of
/// it (a data directory from before, or a crash during a rebuild), under the evaluations' write
/// lock. Reads the projects one at a time: its memory follows the statistics, not the rows.
pub(super) fn repair(_: &Held<'_>, store: &Store, _catalog: &Catalog) -> Result<(), StoreError> {
    if store.evaluation_derived_version()? == Some(VERSION) {
        return Ok(());
    }
    let mut indicators = Indicators::new(store);
    let mut tallies = BTreeMap::new();
    store.for_each_evaluation(|p| {
        indicators.add(&mut tallies, &p, None);
        Ok(())
    })?;
    let stats: Vec<(String, Option<Tally>)> = indicators
        .finish(tallies)?
        .into_iter()
        .map(|(code, t)| (code, (!t.is_empty()).then_some(t)))
        .collect();
    store.rebuild_evaluation_derived(&stats, VERSION)
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
    use crate::evaluations::stats::{self, IndicatorStats};
    use crate::search::SearchIndex;
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

    /// The stored tallies, the sources of excluded rows left out (they name the file).
    fn stored(store: &Store) -> HashMap<String, Tally> {
        store
            .evaluation_stats::<Tally>()
            .unwrap()
            .into_iter()
            .map(|(code, mut t)| {
                for e in &mut t.excluded {
                    e.source.clear();
                }
                (code, t)
            })
            .collect()
    }

    fn stored_with_sources(store: &Store) -> HashMap<String, Tally> {
        store.evaluation_stats().unwrap().into_iter().collect()
    }

    /// What counting every stored project again gives.
    fn recounted(store: &Store) -> HashMap<String, Tally> {
        let all = store.evaluations().unwrap();
        let codes: BTreeSet<String> = all
            .iter()
            .flat_map(|p| &p.rows)
            .filter_map(|r| r.matched.as_ref().map(|m| m.code.clone()))
            .collect();
        recount(store, &codes).unwrap().into_iter().collect()
    }

    /// The statistics as `tally::indicator_stats` works them out from every stored row (the
    /// way they were computed before tallies), the values sorted.
    fn from_rows(store: &Store, search: &SearchIndex) -> HashMap<String, IndicatorStats> {
        let catalog = search.catalog();
        let type_name = |code: &str| catalog.project_type_name(code).to_string();
        let all = store.evaluations().unwrap();
        let review = stats::review_by_code(&all);
        let mut linked = stats::rows_by_code(&all);
        let codes: BTreeSet<&str> = review.keys().chain(linked.keys()).copied().collect();
        codes
            .into_iter()
            .filter_map(|code| {
                let ind = store.indicator(code).unwrap()?;
                let rows = linked.remove(code).unwrap_or_default();
                let waiting = review.get(code).copied().unwrap_or(0);
                let mut s =
                    crate::evaluations::tally::indicator_stats(&ind, &rows, waiting, &type_name);
                s.target_values.sort_by(f64::total_cmp);
                s.actual_values.sort_by(f64::total_cmp);
                Some((code.to_string(), s))
            })
            .collect()
    }

    /// The stored tallies read as statistics equal `from_rows`.
    fn same_as_from_rows(store: &Store, search: &SearchIndex, what: &str) {
        let catalog = search.catalog();
        let type_name = |code: &str| catalog.project_type_name(code).to_string();
        let expected = from_rows(store, search);
        let got: HashMap<String, IndicatorStats> = stored_with_sources(store)
            .into_iter()
            .filter(|(code, _)| store.indicator(code).unwrap().is_some())
            .map(|(code, t)| {
                let s = t.stats(&code, &type_name);
                (code, s)
            })
            .collect();
        assert!(expected.len() > 20, "{what}: {} indicators", expected.len());
        let codes: BTreeSet<&String> = expected.keys().chain(got.keys()).collect();
        for code in codes {
            assert_eq!(got.get(code), expected.get(code), "{what}: {code}");
        }
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
        same(&stored_with_sources(&whole), &recounted(&whole), "whole");
        same(&stored_with_sources(&parts), &recounted(&parts), "parts");
        same_as_from_rows(&whole, &search, "whole");
        same_as_from_rows(&parts, &search2, "parts");
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
            &recounted(&store),
            "after a replacement",
        );
        same_as_from_rows(&store, &search, "after a replacement");

        let p = store.evaluations().unwrap().remove(0);
        let i = p.rows.iter().position(|r| r.matched.is_some()).unwrap();
        e.apply_decision(&p.id(), i, crate::evaluations::Decision::New, "t")
            .unwrap();
        same(
            &stored_with_sources(&store),
            &recounted(&store),
            "after a decision",
        );
        same_as_from_rows(&store, &search, "after a decision");
    }

    /// Equal, or the first code that differs and how.
    fn same(a: &HashMap<String, Tally>, b: &HashMap<String, Tally>, what: &str) {
        let codes: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
        for code in codes {
            assert_eq!(a.get(code), b.get(code), "{what}: {code}");
        }
    }

    #[test]
    fn a_store_without_derived_statistics_is_repaired_from_its_projects() {
        let dir = tempfile::tempdir().unwrap();
        let (e, store, search) = open(dir.path());
        import(&e, "whole.csv", demo_csv().as_bytes());
        let before = stored_with_sources(&store);
        let unmatched = store.evaluation_unmatched().unwrap();
        assert!(!unmatched.is_empty());
        // As a data directory from before: statistics, unmatched rows and their version gone.
        store
            .rebuild_evaluation_derived(&[] as &[(String, Option<Tally>)], 0)
            .unwrap();
        assert!(stored_with_sources(&store).is_empty());
        ensure(&store, &search.catalog(), &e.writes).unwrap();
        assert_eq!(stored_with_sources(&store), before);
        assert_eq!(store.evaluation_unmatched().unwrap(), unmatched);
    }

    /// Candidates as stored equal clustering every stored project's unmatched rows; their
    /// names and evidence, without the file names.
    fn candidates_of(store: &Store) -> Vec<(String, String, usize)> {
        let mut v: Vec<_> = store
            .evaluation_candidates()
            .unwrap()
            .into_iter()
            .map(|c| (c.id, c.name, c.evidence.len()))
            .collect();
        v.sort();
        v
    }

    fn clustered_from_every_project(
        store: &Store,
        search: &SearchIndex,
    ) -> Vec<(String, String, usize)> {
        let wording = crate::evaluations::wording::Wording::shared(search.vocabulary());
        let mut v: Vec<_> =
            crate::evaluations::cluster::candidates(&store.evaluations().unwrap(), &wording)
                .into_iter()
                .map(|c| (c.id, c.name, c.evidence.len()))
                .collect();
        v.sort();
        v
    }

    #[test]
    fn a_data_directory_of_the_previous_version_is_migrated_before_it_is_written() {
        let csv = demo_csv();
        let (first, second) = halves(&csv);
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let (e, store, search) = open(a.path());
        import(&e, "first.csv", first.as_bytes());
        // As version 2 left a data directory: finished statistics under each code, no
        // unmatched rows by project.
        store
            .paused(|db| {
                for (name, tree) in db.trees().unwrap() {
                    match name.as_slice() {
                        b"evaluation_unmatched" => tree.clear().unwrap(),
                        b"evaluation_derived" => {
                            tree.insert("version", serde_json::to_vec(&2u64).unwrap())
                                .unwrap();
                        }
                        b"evaluation_stats" => {
                            let old = r#"{"unit":"%","direction":"≥","stats":{},"target_values":[],"actual_values":[]}"#;
                            for k in tree.iter().keys() {
                                tree.insert(k.unwrap(), old.as_bytes()).unwrap();
                            }
                        }
                        _ => {}
                    }
                }
            })
            .unwrap();
        assert!(store.evaluation_unmatched().unwrap().is_empty());
        import(&e, "second.csv", second.as_bytes());
        // The same two files into a data directory that was never migrated.
        let (e2, control, _) = open(b.path());
        import(&e2, "first.csv", first.as_bytes());
        import(&e2, "second.csv", second.as_bytes());
        assert_eq!(store.evaluation_derived_version().unwrap(), Some(VERSION));
        same(
            &stored_with_sources(&store),
            &stored_with_sources(&control),
            "migrated",
        );
        same(
            &stored_with_sources(&store),
            &recounted(&store),
            "migrated, recounted",
        );
        assert_eq!(
            store.evaluation_unmatched().unwrap(),
            control.evaluation_unmatched().unwrap()
        );
        let cands = candidates_of(&store);
        assert!(cands.len() > 5, "{cands:?}");
        assert_eq!(cands, candidates_of(&control));
        assert_eq!(cands, clustered_from_every_project(&store, &search));
    }
}
