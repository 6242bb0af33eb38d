//! The evaluations' part of the store: imported projects (`evaluations`, by project id), import
//! batches (`evaluation_imports`, by file sha256) and new-indicator candidates
//! (`evaluation_candidates`, by id), and what is derived from them and kept current with them:
//! each touched indicator's statistics (`evaluation_stats`, by code, worked out by the caller)
//! and the version of that derivation (`evaluation_derived`). Each import or curator decision is
//! one transaction over the trees it touches, flushed before it returns, so a crash applies all
//! of it or nothing.

use super::{Result, Store, decode_kv, encode, read, tx_result};
use crate::domain::{Candidate, EvaluatedProject, ImportBatch};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sled::Tree;
use sled::transaction::{ConflictableTransactionError, TransactionError, Transactional};
use std::sync::atomic::Ordering;

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

    /// Replaces everything derived from the evaluations by what `all` gives (`stats`: every
    /// code's statistics), then records `version`. Written in batches, not one transaction
    /// (a province's evaluations would not fit one): the version goes last, so a crash
    /// midway leaves it unrecorded and the rebuild runs again.
    pub fn rebuild_evaluation_derived(
        &self,
        _all: &[EvaluatedProject],
        stats: &[(String, Option<impl Serialize>)],
        version: u64,
    ) -> Result<()> {
        let (stats_tree, derived) = self.derived_trees()?;
        derived.remove(VERSION_KEY)?;
        self.flush()?;
        stats_tree.clear()?;
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

    /// Every import, oldest first.
    pub fn evaluation_imports(&self) -> Result<Vec<ImportBatch>> {
        let (imports, _, _) = self.evaluation_trees()?;
        let mut v: Vec<ImportBatch> = imports.iter().map(decode_kv).collect::<Result<_>>()?;
        v.sort_by_key(|b| b.imported_at);
        Ok(v)
    }

    pub fn evaluation_candidates(&self) -> Result<Vec<Candidate>> {
        let (_, cands, _) = self.evaluation_trees()?;
        let mut v: Vec<Candidate> = cands.iter().map(decode_kv).collect::<Result<_>>()?;
        v.sort_by(|a, b| b.projects().cmp(&a.projects()).then(a.name.cmp(&b.name)));
        Ok(v)
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
        stats: &[(String, Option<impl Serialize>)],
    ) -> Result<()> {
        self.write_evaluations(Some(batch), projects, candidates, stats)
    }

    /// Writes one project after a curator's decision, with the recomputed candidates and
    /// statistics.
    pub fn write_evaluation_decision(
        &self,
        project: &EvaluatedProject,
        candidates: &[Candidate],
        stats: &[(String, Option<impl Serialize>)],
    ) -> Result<()> {
        self.write_evaluations(None, std::slice::from_ref(project), candidates, stats)
    }

    /// Several projects changed by one decision (e.g. a candidate's rows linked at once).
    pub fn write_evaluation_decisions(
        &self,
        projects: &[EvaluatedProject],
        candidates: &[Candidate],
        stats: &[(String, Option<impl Serialize>)],
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
        stats: &[(String, Option<impl Serialize>)],
    ) -> Result<()> {
        let (imports, cands, evaluations) = self.evaluation_trees()?;
        let (stats_tree, _) = self.derived_trees()?;
        let old_candidates: Vec<sled::IVec> = cands.iter().keys().collect::<sled::Result<_>>()?;
        let encoded: Vec<(String, Vec<u8>)> =
            projects.iter().map(|p| (p.id(), encode(p))).collect();
        let stats: Vec<(&str, Option<Vec<u8>>)> = stats
            .iter()
            .map(|(code, s)| (code.as_str(), s.as_ref().map(encode)))
            .collect();
        let result: std::result::Result<(), TransactionError<()>> =
            (&evaluations, &imports, &cands, &stats_tree).transaction(|(ev, im, ca, st)| {
                for (code, s) in &stats {
                    match s {
                        Some(bytes) => st.insert(code.as_bytes(), bytes.as_slice())?,
                        None => st.remove(code.as_bytes())?,
                    };
                }
                for (id, bytes) in &encoded {
                    ev.insert(id.as_bytes(), bytes.as_slice())?;
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
                Ok::<(), ConflictableTransactionError<()>>(())
            });
        // Counted whatever the outcome: a failed write may still have reached the disk.
        self.inner.evaluation_writes.fetch_add(1, Ordering::SeqCst);
        self.note(tx_result(result), false)?;
        self.flush()
    }
}
