//! The evaluations' part of the store: imported projects (`evaluations`, by project id), import
//! batches (`evaluation_imports`, by file sha256) and new-indicator candidates
//! (`evaluation_candidates`, by id). Each import or curator decision is one transaction over the
//! trees it touches, flushed before it returns, so a crash applies all of it or nothing.

use super::{Result, Store, decode_kv, encode, read, tx_result};
use crate::domain::{Candidate, EvaluatedProject, ImportBatch};
use sled::Tree;
use sled::transaction::{ConflictableTransactionError, TransactionError, Transactional};
use std::sync::atomic::Ordering;

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
    ) -> Result<()> {
        self.write_evaluations(Some(batch), projects, candidates)
    }

    /// Writes one project after a curator's decision, with the recomputed candidates.
    pub fn write_evaluation_decision(
        &self,
        project: &EvaluatedProject,
        candidates: &[Candidate],
    ) -> Result<()> {
        self.write_evaluations(None, std::slice::from_ref(project), candidates)
    }

    /// Several projects changed by one decision (e.g. a candidate's rows linked at once).
    pub fn write_evaluation_decisions(
        &self,
        projects: &[EvaluatedProject],
        candidates: &[Candidate],
    ) -> Result<()> {
        self.write_evaluations(None, projects, candidates)
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
    ) -> Result<()> {
        let (imports, cands, evaluations) = self.evaluation_trees()?;
        let old_candidates: Vec<sled::IVec> = cands.iter().keys().collect::<sled::Result<_>>()?;
        let encoded: Vec<(String, Vec<u8>)> =
            projects.iter().map(|p| (p.id(), encode(p))).collect();
        // Inside `write`: flushed, and a backup sees all of it or none.
        let written = self.write(|_| {
            let result: std::result::Result<(), TransactionError<()>> =
                (&evaluations, &imports, &cands).transaction(|(ev, im, ca)| {
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
            tx_result(result)
        });
        // Counted whatever the outcome: a failed write may still have reached the disk.
        self.inner.evaluation_writes.fetch_add(1, Ordering::SeqCst);
        written
    }
}
