//! The evaluations' part of the store: imported projects (`evaluations`, by project id), import
//! batches (`evaluation_imports`, by file sha256) and new-indicator candidates
//! (`evaluation_candidates`, by id), and what is derived from them and kept current with them:
//! each touched indicator's statistics (`evaluation_stats`, by code, changed by the caller's
//! `StatChange` inside the transaction), the unmatched rows of each project
//! (`evaluation_unmatched`, by project id: what new-indicator candidates are clustered from,
//! so a write reads them and not every project) and the version of that derivation
//! (`evaluation_derived`). Each import or curator decision is
//! one transaction over the trees it touches, flushed before it returns, so a crash applies all
//! of it or nothing.

use super::evaluation_list::{ListedProject, ProjectQuery, main_key};
use super::{Abort, Result, Store, StoreError, checked_tx, decode_kv, encode, read, refuse};
use crate::domain::{Candidate, EvaluatedProject, ImportBatch, ImportSummary};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sled::Tree;
use sled::transaction::{TransactionError, Transactional};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::Ordering;

/// Changes of the list for one write.
#[derive(Default)]
struct ListChanges {
    remove: Vec<Vec<u8>>,
    insert: Vec<(Vec<u8>, Vec<u8>)>,
    counts: BTreeMap<String, i64>,
}

/// How a write changes one code's stored statistics: from what is stored under the code (if
/// anything) to what to store (`None`: remove the entry). Runs inside the write's transaction
/// (perhaps more than once); an error refuses the whole write.
pub type StatChange<'a> = (
    String,
    Box<dyn Fn(Option<&[u8]>) -> std::result::Result<Option<Vec<u8>>, String> + 'a>,
);

/// A project's unmatched rows, as `evaluation_unmatched` keeps them; `None` when it has none.
pub fn unmatched_of(p: &EvaluatedProject) -> Option<EvaluatedProject> {
    p.rows.iter().any(|r| r.matched.is_none()).then(|| {
        let mut slim = p.clone();
        slim.rows.retain(|r| r.matched.is_none());
        slim
    })
}

/// Key of the derivation's version in `evaluation_derived`.
const VERSION_KEY: &[u8] = b"version";

impl Store {
    fn evaluation_trees(&self) -> Result<(Tree, Tree, Tree)> {
        // sled returns the already-open tree: cheap after the first call.
        self.with(|d| {
            Ok((
                d.db.open_tree("evaluation_imports")?,
                d.db.open_tree("evaluation_candidates")?,
                d.evaluations.clone(),
            ))
        })
    }

    /// (`evaluation_stats`, `evaluation_derived`).
    fn derived_trees(&self) -> Result<(Tree, Tree)> {
        self.with(|d| {
            Ok((
                d.db.open_tree("evaluation_stats")?,
                d.db.open_tree("evaluation_derived")?,
            ))
        })
    }

    fn list_tree(&self) -> Result<Tree> {
        self.with(|d| Ok(d.db.open_tree("evaluation_list")?))
    }

    fn unmatched_tree(&self) -> Result<Tree> {
        self.with(|d| Ok(d.db.open_tree("evaluation_unmatched")?))
    }

    /// Every stored project with its unmatched rows only (those without any left out), in
    /// the order of their ids: what candidates are clustered from.
    pub fn evaluation_unmatched(&self) -> Result<Vec<EvaluatedProject>> {
        self.unmatched_tree()?.iter().map(decode_kv).collect()
    }

    /// Calls `f` with every stored project in the order of their ids, one decoded at a time.
    pub fn for_each_evaluation(
        &self,
        mut f: impl FnMut(EvaluatedProject) -> Result<()>,
    ) -> Result<()> {
        let (_, _, evaluations) = self.evaluation_trees()?;
        for kv in evaluations.iter() {
            f(decode_kv(kv)?)?;
        }
        Ok(())
    }

    /// A counter of the list (`n:projects`, `n:rows`, `n:year:2024` …).
    pub fn evaluation_count(&self, key: &str) -> Result<u64> {
        let (_, derived) = self.derived_trees()?;
        Ok(read::<i64>(&derived, key.as_bytes())?.unwrap_or(0).max(0) as u64)
    }

    /// Years with projects, newest first, with their numbers of projects.
    pub fn evaluation_years(&self) -> Result<Vec<(i32, u64)>> {
        let (_, derived) = self.derived_trees()?;
        let mut v = Vec::new();
        for kv in derived.scan_prefix(b"n:year:") {
            let (k, val) = kv?;
            let n: i64 = super::decode(&k, &val)?;
            let year = String::from_utf8_lossy(&k[7..]).parse::<i32>().unwrap_or(0);
            if n > 0 {
                v.push((year, n as u64));
            }
        }
        v.sort_by_key(|y| std::cmp::Reverse(y.0));
        Ok(v)
    }

    /// One page of the list of projects, and how many match (`None`: the page was not read to
    /// the end of the matches, see `ProjectQuery`). Reads the index from the most selective
    /// filter's prefix: the page and the matches before it, not every project.
    pub fn evaluation_list(&self, q: &ProjectQuery) -> Result<(Vec<ListedProject>, usize)> {
        let list = self.list_tree()?;
        let (prefix, secondary) = q.prefix();
        let mut page = Vec::new();
        let mut matched = 0;
        for kv in list.scan_prefix(&prefix) {
            let (k, v) = kv?;
            let p: ListedProject = if secondary {
                let main = main_key(&k);
                match list.get(&main)? {
                    Some(v) => super::decode(&main, &v)?,
                    None => continue,
                }
            } else {
                super::decode(&k, &v)?
            };
            if !q.accepts(&p) {
                continue;
            }
            if matched >= q.offset && page.len() < q.limit {
                page.push(p);
            } else if q.counted() && page.len() >= q.limit {
                break;
            }
            matched += 1;
        }
        let total = if q.counted() {
            match q.year {
                Some(y) => self.evaluation_count(&format!("n:year:{y}"))? as usize,
                None => self.evaluation_count("n:projects")? as usize,
            }
        } else {
            matched
        };
        Ok((page, total))
    }

    /// The version of the derived statistics the store holds (`None`: never derived).
    pub fn evaluation_derived_version(&self) -> Result<Option<u64>> {
        let (_, derived) = self.derived_trees()?;
        read(&derived, VERSION_KEY)
    }

    /// Every stored indicator's statistics, by code: one entry per indicator ever linked, so
    /// the time it takes follows the library, not the evaluations.
    pub fn evaluation_stats<T: DeserializeOwned>(&self) -> Result<Vec<(String, T)>> {
        let (stats, _) = self.derived_trees()?;
        stats
            .iter()
            .map(|kv| {
                let (k, v) = kv?;
                Ok((
                    String::from_utf8_lossy(&k).into_owned(),
                    super::decode(&k, &v)?,
                ))
            })
            .collect()
    }

    /// One indicator's stored statistics.
    pub fn evaluation_stat<T: DeserializeOwned>(&self, code: &str) -> Result<Option<T>> {
        let (stats, _) = self.derived_trees()?;
        read(&stats, code.as_bytes())
    }

    /// What writing `projects` changes in the list: the keys of the versions they replace go,
    /// theirs come, and the counters move by the difference.
    fn list_changes(
        &self,
        batch: Option<&ImportBatch>,
        projects: &[EvaluatedProject],
        evaluations: &Tree,
    ) -> Result<ListChanges> {
        let mut files: HashMap<String, String> = HashMap::new();
        if let Some(b) = batch {
            files.insert(b.sha256.clone(), b.file.clone());
        }
        let mut c = ListChanges::default();
        for p in projects {
            let id = p.id();
            if let Some(old) = read::<EvaluatedProject>(evaluations, id.as_bytes())? {
                let old = ListedProject::of(&old, "");
                let (main, others) = old.keys();
                c.remove.push(main);
                c.remove.extend(others);
                for (k, n) in old.counts() {
                    *c.counts.entry(k).or_default() -= n;
                }
            }
            if !files.contains_key(&p.import) {
                let file = self
                    .evaluation_import(&p.import)?
                    .map(|b| b.file)
                    .unwrap_or_default();
                files.insert(p.import.clone(), file);
            }
            let new = ListedProject::of(p, &files[&p.import]);
            let (main, others) = new.keys();
            c.insert.push((main, encode(&new)));
            c.insert.extend(others.into_iter().map(|k| (k, Vec::new())));
            for (k, n) in new.counts() {
                *c.counts.entry(k).or_default() += n;
            }
        }
        // A key both removed and inserted stays: inserts run after removals.
        Ok(c)
    }

    /// Replaces everything derived from the evaluations by what the stored projects give
    /// (`stats`: every code's statistics, worked out by the caller), then records `version`.
    /// The projects are read one at a time and written in batches, not one transaction (a
    /// province's evaluations would not fit one): the version goes last, so a crash midway
    /// leaves it unrecorded and the rebuild runs again.
    pub fn rebuild_evaluation_derived(
        &self,
        stats: &[(String, Option<impl Serialize>)],
        version: u64,
    ) -> Result<()> {
        let (stats_tree, derived) = self.derived_trees()?;
        let (list, unmatched) = (self.list_tree()?, self.unmatched_tree()?);
        derived.remove(VERSION_KEY)?;
        self.flush()?;
        stats_tree.clear()?;
        list.clear()?;
        unmatched.clear()?;
        derived.clear()?;
        let (imports, _, _) = self.evaluation_trees()?;
        let files: HashMap<String, String> = imports
            .iter()
            .map(decode_kv::<ImportBatch>)
            .map(|b| b.map(|b| (b.sha256, b.file)))
            .collect::<Result<_>>()?;
        let mut counts: BTreeMap<String, i64> = BTreeMap::new();
        let (mut batch, mut slim, mut n) = (sled::Batch::default(), sled::Batch::default(), 0);
        self.for_each_evaluation(|p| {
            let file = files.get(&p.import).map_or("", String::as_str);
            let listed = ListedProject::of(&p, file);
            let (main, others) = listed.keys();
            batch.insert(main, encode(&listed));
            for k in others {
                batch.insert(k, Vec::new());
            }
            for (k, n) in listed.counts() {
                *counts.entry(k).or_default() += n;
            }
            if let Some(u) = unmatched_of(&p) {
                slim.insert(p.id().as_bytes(), encode(&u));
            }
            n += 1;
            if n % 5_000 == 0 {
                list.apply_batch(std::mem::take(&mut batch))?;
                unmatched.apply_batch(std::mem::take(&mut slim))?;
            }
            Ok(())
        })?;
        list.apply_batch(batch)?;
        unmatched.apply_batch(slim)?;
        for (k, n) in counts {
            derived.insert(k.as_bytes(), encode(&n))?;
        }
        let mut batch = sled::Batch::default();
        for (code, s) in stats {
            if let Some(s) = s {
                batch.insert(code.as_bytes(), encode(s));
            }
        }
        stats_tree.apply_batch(batch)?;
        derived.insert(VERSION_KEY, encode(&version))?;
        self.inner.evaluation_writes.fetch_add(1, Ordering::SeqCst);
        self.flush()
    }

    pub fn evaluation(&self, id: &str) -> Result<Option<EvaluatedProject>> {
        self.with(|d| read(&d.evaluations, id.as_bytes()))
    }

    /// The import of the file with this sha256, if it was imported.
    pub fn evaluation_import(&self, sha256: &str) -> Result<Option<ImportBatch>> {
        let (imports, _, _) = self.evaluation_trees()?;
        read(&imports, sha256.as_bytes())
    }

    /// The latest `n` imports, newest first, without the ids of their projects.
    pub fn evaluation_recent_imports(&self, n: usize) -> Result<Vec<ImportSummary>> {
        let (imports, _, _) = self.evaluation_trees()?;
        let mut v: Vec<ImportSummary> = imports.iter().map(decode_kv).collect::<Result<_>>()?;
        v.sort_by_key(|b| std::cmp::Reverse(b.imported_at));
        v.truncate(n);
        Ok(v)
    }

    pub fn evaluation_candidates(&self) -> Result<Vec<Candidate>> {
        let (_, cands, _) = self.evaluation_trees()?;
        let mut v: Vec<Candidate> = cands.iter().map(decode_kv).collect::<Result<_>>()?;
        v.sort_by(|a, b| b.projects().cmp(&a.projects()).then(a.name.cmp(&b.name)));
        Ok(v)
    }

    /// How many candidates there are, without reading them.
    pub fn evaluation_candidate_count(&self) -> Result<usize> {
        let (_, cands, _) = self.evaluation_trees()?;
        Ok(cands.len())
    }

    pub fn evaluation_candidate(&self, id: &str) -> Result<Option<Candidate>> {
        let (_, cands, _) = self.evaluation_trees()?;
        read(&cands, id.as_bytes())
    }

    /// Writes a whole import: its projects (replacing those with the same id), the batch record
    /// and the new set of candidates, in one transaction, flushed.
    pub fn write_evaluation_import(
        &self,
        batch: &ImportBatch,
        projects: &[EvaluatedProject],
        candidates: &[Candidate],
        stats: &[StatChange<'_>],
    ) -> Result<()> {
        self.write_evaluations(Some(batch), projects, candidates, stats)
    }

    /// Writes one project after a curator's decision, with the recomputed candidates and
    /// statistics.
    pub fn write_evaluation_decision(
        &self,
        project: &EvaluatedProject,
        candidates: &[Candidate],
        stats: &[StatChange<'_>],
    ) -> Result<()> {
        self.write_evaluations(None, std::slice::from_ref(project), candidates, stats)
    }

    /// Several projects changed by one decision (e.g. a candidate's rows linked at once).
    pub fn write_evaluation_decisions(
        &self,
        projects: &[EvaluatedProject],
        candidates: &[Candidate],
        stats: &[StatChange<'_>],
    ) -> Result<()> {
        self.write_evaluations(None, projects, candidates, stats)
    }

    /// Moves with every write to the evaluations and every reopening of the database: what is
    /// derived from the evaluations (their statistics) is current while it stays the same. Read
    /// it before reading the evaluations, so a write in between only makes the next reader
    /// derive them again.
    pub fn evaluations_version(&self) -> u64 {
        self.inner.evaluation_writes.load(Ordering::SeqCst) + self.health().reopened()
    }

    fn write_evaluations(
        &self,
        batch: Option<&ImportBatch>,
        projects: &[EvaluatedProject],
        candidates: &[Candidate],
        stats: &[StatChange<'_>],
    ) -> Result<()> {
        let (imports, cands, evaluations) = self.evaluation_trees()?;
        let (stats_tree, derived) = self.derived_trees()?;
        let (list, unmatched) = (self.list_tree()?, self.unmatched_tree()?);
        let changes = self.list_changes(batch, projects, &evaluations)?;
        let slim: Vec<(String, Option<Vec<u8>>)> = projects
            .iter()
            .map(|p| (p.id(), unmatched_of(p).map(|u| encode(&u))))
            .collect();
        let old_candidates: Vec<sled::IVec> = cands.iter().keys().collect::<sled::Result<_>>()?;
        let encoded: Vec<(String, Vec<u8>)> =
            projects.iter().map(|p| (p.id(), encode(p))).collect();
        // Inside `write`: flushed, and a backup sees all of it or none.
        let written = self.write(|_| {
            let result: std::result::Result<(), TransactionError<Abort>> = (
                &evaluations,
                &imports,
                &cands,
                &stats_tree,
                &list,
                &derived,
                &unmatched,
            )
                .transaction(|(ev, im, ca, st, li, de, un)| {
                    for k in &changes.remove {
                        li.remove(k.as_slice())?;
                    }
                    for (k, v) in &changes.insert {
                        li.insert(k.as_slice(), v.as_slice())?;
                    }
                    for (key, delta) in &changes.counts {
                        let now: i64 = de
                            .get(key.as_bytes())?
                            .and_then(|v| serde_json::from_slice(&v).ok())
                            .unwrap_or(0);
                        de.insert(key.as_bytes(), encode(&(now + delta)))?;
                    }
                    for (code, change) in stats {
                        let old = st.get(code.as_bytes())?;
                        match change(old.as_deref()) {
                            Ok(Some(bytes)) => st.insert(code.as_bytes(), bytes)?,
                            Ok(None) => st.remove(code.as_bytes())?,
                            Err(e) => {
                                return refuse(StoreError::Conflict(format!(
                                    "指标 {code} 的统计与存储不一致：{e}"
                                )));
                            }
                        };
                    }
                    for (id, bytes) in &encoded {
                        ev.insert(id.as_bytes(), bytes.as_slice())?;
                    }
                    for (id, bytes) in &slim {
                        match bytes {
                            Some(b) => un.insert(id.as_bytes(), b.as_slice())?,
                            None => un.remove(id.as_bytes())?,
                        };
                    }
                    if let Some(b) = batch {
                        im.insert(b.sha256.as_bytes(), encode(b))?;
                    }
                    for k in &old_candidates {
                        ca.remove(k)?;
                    }
                    for c in candidates {
                        ca.insert(c.id.as_bytes(), encode(c))?;
                    }
                    Ok(())
                });
            checked_tx(result).map(|_| ())
        });
        // Counted whatever the outcome: a failed write may still have reached the disk.
        self.inner.evaluation_writes.fetch_add(1, Ordering::SeqCst);
        written
    }
}
