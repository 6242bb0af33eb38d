//! The store: sled trees for the published indicators, every revision, editions, drafts and
//! evaluations. The rest of the crate sees only `Store`, so the engine can be swapped.
//!
//! Every versioned edit is one transaction over all the trees it touches and is flushed before
//! it is acknowledged; the generation counter tells the search index whether it is current.

mod drafts;
mod evaluations;
mod training;

pub use drafts::{DraftError, DraftQuota};

use crate::domain::revision::classify;
mod curation;

pub use curation::{Miss, StoreConflict};

use crate::domain::{
    AuditEntry, Catalog, ChangeKind, Edition, EvaluatedProject, Indicator, Proposal, Revision,
    Status,
};
use crate::ingest::Library;
use chrono::Utc;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sled::Tree;
use sled::transaction::{ConflictableTransactionError, TransactionError, Transactional};
use std::collections::HashMap;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("数据库错误：{0}")]
    Sled(#[from] sled::Error),
    #[error("数据库记录损坏（{key}）：{message}")]
    Corrupt { key: String, message: String },
    /// A write that no longer fits what is stored (e.g. approving a stale proposal).
    #[error("{0}")]
    Conflict(String),
}

pub type Result<T> = std::result::Result<T, StoreError>;

const CATALOG: &[u8] = b"catalog";
const GENERATION: &[u8] = b"generation";
const SOURCE_HASH: &[u8] = b"source_hash";
/// Indicators per transaction when loading a library (the bundled one fits in one).
const SYNC_CHUNK: usize = 5_000;

pub struct Store {
    db: sled::Db,
    /// code -> current revision of the indicator (JSON `Indicator`).
    indicators: Tree,
    /// code 0x00 revision(u32 BE) -> JSON `Revision`.
    revisions: Tree,
    /// code -> its last revision number (u32 BE), written with the revision. Freezing an edition
    /// reads these few bytes per indicator instead of pulling every revision through sled's
    /// cache (60 MB at the end of a 100,000-indicator first load).
    heads: Tree,
    meta: Tree,
    /// edition name -> JSON `Edition`.
    editions: Tree,
    /// draft id -> JSON `Draft`.
    drafts: Tree,
    /// draft id -> when it was last modified (ms since the epoch, u64 BE), for expiry.
    draft_touched: Tree,
    /// `bytes` -> bytes of all drafts' JSON (u64 BE), for the cap on all drafts together.
    draft_usage: Tree,
    /// evaluation id -> JSON `EvaluatedProject`.
    evaluations: Tree,
    /// login name -> JSON `User`.
    users: Tree,
    /// SHA-256 of the session token -> JSON `Session`.
    sessions: Tree,
    /// id (u64 BE) -> JSON `Proposal`.
    proposals: Tree,
    /// sequence (u64 BE) -> JSON `AuditEntry`; only ever appended to.
    audit: Tree,
    /// normalised query -> JSON `Miss` (searches that found nothing, no user data).
    misses: Tree,
    /// code -> hash of the indicator as the library files last gave it. Loading changed files
    /// applies only what changed in the files, so curated changes made since are kept.
    file_states: Tree,
}

/// Everything one versioned write changes, committed as one transaction.
#[derive(Default)]
pub struct Commit<'a> {
    pub changes: Vec<Indicator>,
    /// The reason of each change, when they differ (changes of several approved proposals);
    /// empty: `ChangeMeta::reason` for all.
    pub reasons: Vec<String>,
    pub catalog: Option<&'a Catalog>,
    pub source_hash: Option<&'a str>,
    pub freeze: Option<&'a str>,
    /// Proposals whose new state is written with the revisions.
    pub proposals: Vec<Proposal>,
    pub audit: Vec<AuditEntry>,
    /// (code, hash of its state in the library files; `None` when no longer there).
    pub file_states: Vec<(String, Option<String>)>,
}

/// Who made a change and why, for the revision log.
#[derive(Debug, Clone)]
pub struct ChangeMeta {
    pub author: String,
    pub reviewer: Option<String>,
    pub reason: String,
}

#[derive(Debug, Default, Clone, PartialEq, Serialize)]
pub struct SyncReport {
    pub created: usize,
    pub changed: usize,
    pub retired: usize,
    pub unchanged: usize,
    pub edition: Option<String>,
}

fn rev_key(code: &str, n: u32) -> Vec<u8> {
    let mut k = code.as_bytes().to_vec();
    k.push(0);
    k.extend_from_slice(&n.to_be_bytes());
    k
}

fn rev_prefix(code: &str) -> Vec<u8> {
    let mut k = code.as_bytes().to_vec();
    k.push(0);
    k
}

fn decode<T: DeserializeOwned>(key: &[u8], bytes: &[u8]) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt {
        key: String::from_utf8_lossy(key).into_owned(),
        message: e.to_string(),
    })
}

/// A `heads` value: the revision number, 4 bytes big-endian.
fn head_number(key: &[u8], value: &[u8]) -> Result<u32> {
    let bytes: [u8; 4] = value.try_into().map_err(|_| StoreError::Corrupt {
        key: String::from_utf8_lossy(key).into_owned(),
        message: format!("修订号应为 4 字节，实为 {} 字节", value.len()),
    })?;
    Ok(u32::from_be_bytes(bytes))
}

/// The outcome of a transaction whose closure never aborts.
fn tx_result<T>(r: std::result::Result<T, TransactionError<()>>) -> Result<T> {
    match r {
        Ok(v) => Ok(v),
        Err(TransactionError::Storage(e)) => Err(e.into()),
        Err(TransactionError::Abort(())) => unreachable!("the transaction never aborts"),
    }
}

/// Decodes one entry of a tree scan.
fn decode_kv<T: DeserializeOwned>(kv: sled::Result<(sled::IVec, sled::IVec)>) -> Result<T> {
    let (k, v) = kv?;
    decode(&k, &v)
}

/// (code, hash of its state in the library files; `None` once gone from them).
type FileState = (String, Option<String>);

/// Indicators to write, and beside them the file state each leaves behind.
fn with_file_states(
    pending: impl Iterator<Item = (Indicator, Option<String>)>,
) -> (Vec<Indicator>, Vec<FileState>) {
    pending
        .map(|(i, h)| {
            let state = (i.code.to_string(), h);
            (i, state)
        })
        .unzip()
}

/// Hash of an indicator as the library files give it.
pub fn file_hash(i: &Indicator) -> String {
    use sha2::{Digest, Sha256};
    format!("{:x}", Sha256::digest(encode(i)))
}

fn encode<T: Serialize>(v: &T) -> Vec<u8> {
    serde_json::to_vec(v).expect("domain types serialize")
}

impl Store {
    /// Opens (or creates) the store in `dir`. `cache_bytes` bounds sled's page cache, whose
    /// default (1 GiB) is too much for a small server.
    pub fn open(dir: &Path, cache_bytes: u64) -> Result<Store> {
        let db = sled::Config::new()
            .path(dir)
            .cache_capacity(cache_bytes)
            .open()?;
        let store = Store {
            indicators: db.open_tree("indicators")?,
            revisions: db.open_tree("revisions")?,
            heads: db.open_tree("heads")?,
            meta: db.open_tree("meta")?,
            editions: db.open_tree("editions")?,
            drafts: db.open_tree("drafts")?,
            draft_touched: db.open_tree("draft_touched")?,
            draft_usage: db.open_tree("draft_usage")?,
            evaluations: db.open_tree("evaluations")?,
            users: db.open_tree("users")?,
            sessions: db.open_tree("sessions")?,
            proposals: db.open_tree("proposals")?,
            audit: db.open_tree("audit")?,
            misses: db.open_tree("misses")?,
            file_states: db.open_tree("file_states")?,
            db,
        };
        store.fill_heads()?;
        store.index_drafts()?;
        Ok(store)
    }

    /// Stores written before `heads` existed get it from their revision keys, once.
    fn fill_heads(&self) -> Result<()> {
        if !self.heads.is_empty() || self.revisions.is_empty() {
            return Ok(());
        }
        let mut batch = sled::Batch::default();
        for k in self.revisions.iter().keys() {
            let k = k?;
            let (code, n) = k.split_at(k.len() - 5);
            batch.insert(code, &n[1..]);
        }
        self.heads.apply_batch(batch)?;
        self.db.flush()?;
        Ok(())
    }

    fn meta_get<T: DeserializeOwned>(&self, key: &[u8]) -> Result<Option<T>> {
        self.meta.get(key)?.map(|v| decode(key, &v)).transpose()
    }

    /// Hash of the library source last loaded (files or corpus).
    pub fn source_hash(&self) -> Result<Option<String>> {
        self.meta_get(SOURCE_HASH)
    }

    pub fn catalog(&self) -> Result<Option<Catalog>> {
        self.meta_get(CATALOG)
    }

    /// Increases with every committed change; 0 for a new store.
    pub fn generation(&self) -> Result<u64> {
        Ok(self.meta_get(GENERATION)?.unwrap_or(0))
    }

    pub fn indicator(&self, code: &str) -> Result<Option<Indicator>> {
        self.indicators
            .get(code.as_bytes())?
            .map(|v| decode(code.as_bytes(), &v))
            .transpose()
    }

    /// Every indicator in its current revision, retired ones included, by code.
    pub fn indicators(&self) -> Result<Vec<Indicator>> {
        self.each_indicator().collect()
    }

    /// Every indicator's current record, read one at a time.
    pub fn each_indicator(&self) -> impl Iterator<Item = Result<Indicator>> + '_ {
        self.indicators.iter().map(decode_kv)
    }

    pub fn revisions(&self, code: &str) -> Result<Vec<Revision>> {
        self.revisions
            .scan_prefix(rev_prefix(code))
            .map(decode_kv)
            .collect()
    }

    pub fn revision(&self, code: &str, n: u32) -> Result<Option<Revision>> {
        let k = rev_key(code, n);
        self.revisions.get(&k)?.map(|v| decode(&k, &v)).transpose()
    }

    pub fn editions(&self) -> Result<Vec<Edition>> {
        let mut eds: Vec<Edition> = self.editions.iter().map(decode_kv).collect::<Result<_>>()?;
        eds.sort_by_key(|e| e.frozen_at);
        Ok(eds)
    }

    pub fn edition(&self, name: &str) -> Result<Option<Edition>> {
        self.editions
            .get(name.as_bytes())?
            .map(|v| decode(name.as_bytes(), &v))
            .transpose()
    }

    /// Publishes new states of indicators (each becomes a new revision), and optionally a new
    /// catalog and a frozen edition, in one transaction, flushed before returning.
    /// Indicators whose content did not change get no revision.
    pub fn publish(
        &self,
        changes: Vec<Indicator>,
        meta: &ChangeMeta,
        catalog: Option<&Catalog>,
        source_hash: Option<&str>,
        freeze: Option<&str>,
    ) -> Result<Vec<Revision>> {
        self.commit(
            Commit {
                changes,
                catalog,
                source_hash,
                freeze,
                ..Commit::default()
            },
            meta,
        )
    }

    /// The hash of an indicator as the library files last gave it (`None` if they never did, or
    /// no longer do).
    pub fn file_state(&self, code: &str) -> Result<Option<String>> {
        Ok(self
            .file_states
            .get(code.as_bytes())?
            .map(|v| String::from_utf8_lossy(&v).into_owned()))
    }

    /// The last revision number of an indicator (0 when it has none).
    pub fn last_revision(&self, code: &str) -> Result<u32> {
        match self.heads.get(code.as_bytes())? {
            Some(v) => head_number(code.as_bytes(), &v),
            None => Ok(0),
        }
    }

    /// Commits revisions, catalog, edition, proposal states and audit entries in one sled
    /// transaction over every tree involved, flushed before returning: a crash leaves all of it
    /// or none of it.
    pub fn commit(&self, c: Commit<'_>, meta: &ChangeMeta) -> Result<Vec<Revision>> {
        let now = Utc::now();
        let mut revisions = Vec::new();
        let mut next_numbers: HashMap<String, u32> = HashMap::new();
        let mut reasons = c.reasons.into_iter();
        for ind in c.changes {
            let reason = reasons.next().unwrap_or_else(|| meta.reason.clone());
            let code = ind.code.to_string();
            let current = self.indicator(&code)?;
            let Some(kind) = classify(current.as_ref(), &ind) else {
                continue;
            };
            let last = self.last_revision(&code)?;
            let n = next_numbers.entry(code).or_insert(last);
            *n += 1;
            revisions.push(Revision {
                number: *n,
                indicator: ind,
                at: now,
                author: meta.author.clone(),
                reviewer: meta.reviewer.clone(),
                reason,
                kind,
            });
        }
        let generation = self.generation()? + 1;
        let edition = match c.freeze {
            None => None,
            Some(name) => {
                let mut current: HashMap<String, u32> = HashMap::new();
                for kv in self.heads.iter() {
                    let (k, v) = kv?;
                    let n = head_number(&k, &v)?;
                    current.insert(String::from_utf8_lossy(&k).into_owned(), n);
                }
                for r in &revisions {
                    current.insert(r.indicator.code.to_string(), r.number);
                }
                let mut members: Vec<(String, u32)> = current.into_iter().collect();
                members.sort();
                Some(Edition {
                    name: name.to_string(),
                    frozen_at: now,
                    frozen_by: meta.author.clone(),
                    members,
                    source_hash: c.source_hash.map(str::to_string),
                })
            }
        };
        let mut audit = c.audit;
        for a in &mut audit {
            a.seq = self.db.generate_id()?;
        }
        let trees = [
            &self.indicators,
            &self.revisions,
            &self.meta,
            &self.editions,
            &self.proposals,
            &self.audit,
            &self.file_states,
            &self.heads,
        ];
        let result: std::result::Result<(), TransactionError<()>> =
            trees.as_slice().transaction(|t| {
                let (ind, rev, m, ed, props, log, files, heads) =
                    (&t[0], &t[1], &t[2], &t[3], &t[4], &t[5], &t[6], &t[7]);
                for r in &revisions {
                    let code = r.indicator.code.as_str();
                    ind.insert(code.as_bytes(), encode(&r.indicator))?;
                    rev.insert(rev_key(code, r.number), encode(r))?;
                    heads.insert(code.as_bytes(), &r.number.to_be_bytes())?;
                }
                if let Some(cat) = c.catalog {
                    m.insert(CATALOG, encode(cat))?;
                }
                if let Some(h) = c.source_hash {
                    m.insert(SOURCE_HASH, encode(&h))?;
                }
                if let Some(e) = &edition {
                    ed.insert(e.name.as_bytes(), encode(e))?;
                }
                for p in &c.proposals {
                    props.insert(&p.id.to_be_bytes(), encode(p))?;
                }
                for a in &audit {
                    log.insert(&a.seq.to_be_bytes(), encode(a))?;
                }
                for (code, h) in &c.file_states {
                    match h {
                        Some(h) => files.insert(code.as_bytes(), h.as_bytes())?,
                        None => files.remove(code.as_bytes())?,
                    };
                }
                m.insert(GENERATION, encode(&generation))?;
                Ok::<(), ConflictableTransactionError<()>>(())
            });
        tx_result(result)?;
        self.db.flush()?;
        Ok(revisions)
    }

    /// Brings the store in line with library files: indicators new in the files are added,
    /// ones whose file entry changed get a revision, ones removed from the files are retired;
    /// the edition is frozen when new. Nothing happens when the files are the ones last loaded.
    ///
    /// The comparison is with the files as last loaded, not with the published state: a change
    /// approved in the application since then (or an indicator created there) is kept unless
    /// the files change that same indicator.
    ///
    /// The library is consumed: each chunk's indicators are freed once written, so a large
    /// corpus and the store's write buffers do not peak together.
    pub fn sync_library(&self, lib: Library, author: &str) -> Result<SyncReport> {
        let len = lib.indicators.len();
        self.sync_source(&lib.catalog, &lib.source_hash, len, lib.indicators, author)
    }

    /// `sync_library` for a source read one indicator at a time (a large corpus), given its
    /// catalog, hash and number of indicators.
    pub fn sync_source(
        &self,
        catalog: &Catalog,
        source_hash: &str,
        len: usize,
        indicators: impl IntoIterator<Item = Indicator>,
        author: &str,
    ) -> Result<SyncReport> {
        let last: Option<String> = self.meta_get(SOURCE_HASH)?;
        if last.as_deref() == Some(source_hash) && self.catalog()?.is_some() {
            return Ok(SyncReport {
                unchanged: len,
                ..SyncReport::default()
            });
        }
        let mut report = SyncReport::default();
        let loaded: HashMap<String, String> = self
            .file_states
            .iter()
            .map(|kv| {
                let (k, v) = kv?;
                Ok((
                    String::from_utf8_lossy(&k).into_owned(),
                    String::from_utf8_lossy(&v).into_owned(),
                ))
            })
            .collect::<Result<_>>()?;
        // Stores written before file states were kept compare with the published state.
        let legacy = loaded.is_empty() && !self.indicators.is_empty();
        let edition = catalog.edition.clone();
        let freeze = self
            .edition(&edition)?
            .is_none()
            .then_some(edition.as_str());
        report.edition = freeze.map(str::to_string);
        let meta = ChangeMeta {
            author: author.to_string(),
            reviewer: None,
            reason: format!("载入指标库文件（{} 版）", catalog.edition),
        };
        // A large corpus is written in chunks as it is compared (one transaction holds all its
        // writes in memory, and a list of every change would hold 50 MB per 100,000); the
        // catalog, source hash and edition go with the last chunk, so a load cut short is simply
        // resumed at the next start (chunks already written compare unchanged).
        let mut pending: Vec<(Indicator, Option<String>)> = Vec::new();
        let write = |pending: &mut Vec<(Indicator, Option<String>)>| -> Result<()> {
            let (changes, file_states) = with_file_states(pending.drain(..));
            self.commit(
                Commit {
                    changes,
                    file_states,
                    ..Commit::default()
                },
                &meta,
            )?;
            Ok(())
        };
        // A first load compares with nothing: no lookup per indicator in a tree being written.
        let first_load = self.indicators.is_empty();
        let mut in_files = std::collections::HashSet::new();
        let mut same: Vec<FileState> = Vec::new();
        for ind in indicators {
            let code = ind.code.to_string();
            let h = file_hash(&ind);
            in_files.insert(code.clone());
            if loaded.get(&code) == Some(&h) {
                report.unchanged += 1;
                continue;
            }
            let current = if first_load {
                None
            } else {
                self.indicator(&code)?
            };
            match classify(current.as_ref(), &ind) {
                None => {
                    report.unchanged += 1;
                    same.push((code, Some(h)));
                    continue;
                }
                Some(ChangeKind::New) => report.created += 1,
                Some(_) => report.changed += 1,
            }
            pending.push((ind, Some(h)));
            if pending.len() == SYNC_CHUNK {
                write(&mut pending)?;
            }
        }
        // Gone from the files: retired if it came from them (every indicator, for a legacy store).
        let gone: Vec<String> = if legacy {
            self.indicators
                .iter()
                .keys()
                .map(|k| Ok(String::from_utf8_lossy(&k?).into_owned()))
                .collect::<Result<_>>()?
        } else {
            loaded.into_keys().collect()
        };
        for code in gone.into_iter().filter(|c| !in_files.contains(c)) {
            match self.indicator(&code)? {
                Some(ind) if ind.is_active() => {
                    let mut retired = ind;
                    retired.status = Status::Retired { replaced_by: None };
                    report.retired += 1;
                    pending.push((retired, None));
                    if pending.len() == SYNC_CHUNK {
                        write(&mut pending)?;
                    }
                }
                _ if !legacy => same.push((code, None)),
                _ => {}
            }
        }
        let (changes, mut file_states) = with_file_states(pending.into_iter());
        file_states.extend(same);
        self.commit(
            Commit {
                changes,
                catalog: Some(catalog),
                source_hash: Some(source_hash),
                freeze,
                file_states,
                ..Commit::default()
            },
            &meta,
        )?;
        Ok(report)
    }

    /// Saves an evaluated project under its id (re-importing the same project replaces it).
    pub fn put_evaluation(&self, id: &str, project: &EvaluatedProject) -> Result<()> {
        self.evaluations.insert(id.as_bytes(), encode(project))?;
        self.db.flush()?;
        Ok(())
    }

    pub fn evaluations(&self) -> Result<Vec<EvaluatedProject>> {
        self.evaluations.iter().map(decode_kv).collect()
    }

    /// Bytes used by the database on disk.
    pub fn size_on_disk(&self) -> u64 {
        self.db.size_on_disk().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::library;

    fn bundled() -> Library {
        library::load_dir(&library::default_dir()).unwrap()
    }

    #[test]
    fn loading_the_library_creates_one_revision_each_and_freezes_the_edition() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 16 << 20).unwrap();
        let lib = bundled();
        let r = store.sync_library(lib.clone(), "test").unwrap();
        assert_eq!(r.created, lib.indicators.len());
        assert_eq!(r.edition.as_deref(), Some(lib.catalog.edition.as_str()));
        let code = lib.indicators[0].code.as_str();
        let revs = store.revisions(code).unwrap();
        assert_eq!(revs.len(), 1);
        assert_eq!(revs[0].kind, ChangeKind::New);
        let ed = store.edition(&lib.catalog.edition).unwrap().unwrap();
        assert_eq!(ed.members.len(), lib.indicators.len());
        assert_eq!(ed.revision_of(code), Some(1));
        // The same files again: nothing to do.
        let again = store.sync_library(lib.clone(), "test").unwrap();
        assert_eq!(again.created + again.changed + again.retired, 0);
    }

    #[test]
    fn a_changed_file_adds_a_revision_and_a_removed_indicator_is_retired() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 16 << 20).unwrap();
        let mut lib = bundled();
        store.sync_library(lib.clone(), "test").unwrap();
        let gen1 = store.generation().unwrap();
        lib.source_hash = "changed".into();
        lib.indicators[0].aliases.push("新别名".into());
        let gone = lib.indicators.pop().unwrap();
        let r = store.sync_library(lib.clone(), "test").unwrap();
        assert_eq!((r.changed, r.retired), (1, 1));
        assert!(store.generation().unwrap() > gen1);
        let revs = store.revisions(lib.indicators[0].code.as_str()).unwrap();
        assert_eq!(revs.len(), 2);
        assert_eq!(revs[1].kind, ChangeKind::Immaterial);
        let retired = store.indicator(gone.code.as_str()).unwrap().unwrap();
        assert!(!retired.is_active());
        assert_eq!(
            store.revisions(gone.code.as_str()).unwrap()[1].kind,
            ChangeKind::Retired
        );
    }

    /// A store written before revision heads were kept gets them at its next opening: revision
    /// numbers continue and an edition frozen afterwards names every indicator's last revision.
    #[test]
    fn a_store_without_revision_heads_gets_them_when_opened() {
        let dir = tempfile::tempdir().unwrap();
        let lib = bundled();
        let (a, b) = (lib.indicators[0].clone(), lib.indicators[1].clone());
        {
            let store = Store::open(dir.path(), 8 << 20).unwrap();
            store.sync_library(lib.clone(), "test").unwrap();
            let mut changed = a.clone();
            changed.target = "99".into();
            let meta = ChangeMeta {
                author: "editor".into(),
                reviewer: None,
                reason: "test".into(),
            };
            store
                .publish(vec![changed], &meta, None, None, None)
                .unwrap();
            assert_eq!(store.last_revision(a.code.as_str()).unwrap(), 2);
            store.heads.clear().unwrap();
            store.db.flush().unwrap();
            assert_eq!(store.last_revision(a.code.as_str()).unwrap(), 0);
        }
        let store = Store::open(dir.path(), 8 << 20).unwrap();
        assert_eq!(store.last_revision(a.code.as_str()).unwrap(), 2);
        assert_eq!(store.last_revision(b.code.as_str()).unwrap(), 1);
        let audit = AuditEntry {
            seq: 0,
            at: Utc::now(),
            actor: "test".into(),
            action: "freeze".into(),
            target: "2027".into(),
            detail: String::new(),
            address: "127.0.0.1".into(),
        };
        let ed = store.freeze_edition("2027", "test", audit).unwrap();
        assert_eq!(ed.members.len(), lib.indicators.len());
        assert_eq!(ed.revision_of(a.code.as_str()), Some(2));
        assert_eq!(ed.revision_of(b.code.as_str()), Some(1));
    }

    /// A corpus larger than one write chunk is written in several transactions; every indicator
    /// gets its record, one revision and its place in the edition.
    #[test]
    fn a_library_larger_than_one_chunk_is_written_whole() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 8 << 20).unwrap();
        let mut lib = bundled();
        let base = lib.indicators.clone();
        let n = 2 * SYNC_CHUNK + 7;
        lib.indicators = (0..n)
            .map(|i| {
                let mut ind = base[i % base.len()].clone();
                ind.code = crate::domain::indicator::Code::parse(&format!("T{i:06}")).unwrap();
                ind
            })
            .collect();
        let r = store.sync_library(lib.clone(), "test").unwrap();
        assert_eq!(r.created, n);
        assert_eq!(store.indicators().unwrap().len(), n);
        let last = format!("T{:06}", n - 1);
        assert_eq!(store.revisions(&last).unwrap().len(), 1);
        let ed = store.edition(&lib.catalog.edition).unwrap().unwrap();
        assert_eq!(ed.members.len(), n);
        assert_eq!(store.source_hash().unwrap(), Some(lib.source_hash.clone()));
        let again = store.sync_library(lib, "test").unwrap();
        assert_eq!(again.unchanged, n);
    }

    #[test]
    fn changed_files_keep_what_was_curated_in_the_application() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 16 << 20).unwrap();
        let mut lib = bundled();
        store.sync_library(lib.clone(), "test").unwrap();
        let meta = ChangeMeta {
            author: "editor".into(),
            reviewer: Some("reviewer".into()),
            reason: "审核通过".into(),
        };
        // Curated in the application: one indicator changed, one created.
        let mut curated = lib.indicators[0].clone();
        curated.target = "99".into();
        let mut created = lib.indicators[1].clone();
        created.code = crate::domain::Code::parse("NEW-001").unwrap();
        created.name = "应用内新增的指标".into();
        store
            .publish(
                vec![curated.clone(), created.clone()],
                &meta,
                None,
                None,
                None,
            )
            .unwrap();
        // The files then change another indicator.
        lib.source_hash = "next".into();
        lib.indicators[2].aliases.push("文件里的新别名".into());
        let r = store.sync_library(lib.clone(), "files").unwrap();
        assert_eq!((r.changed, r.retired, r.created), (1, 0, 0));
        let code0 = curated.code.as_str();
        assert_eq!(store.indicator(code0).unwrap().unwrap().target, "99");
        assert!(store.indicator("NEW-001").unwrap().unwrap().is_active());
        // A file change to the curated indicator itself does win.
        lib.source_hash = "again".into();
        lib.indicators[0].data_source = "文件修改".into();
        store.sync_library(lib.clone(), "files").unwrap();
        assert_eq!(
            store.indicator(code0).unwrap().unwrap().data_source,
            "文件修改"
        );
    }

    #[test]
    fn the_store_survives_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let lib = bundled();
        {
            let store = Store::open(dir.path(), 16 << 20).unwrap();
            store.sync_library(lib.clone(), "test").unwrap();
        }
        let store = Store::open(dir.path(), 16 << 20).unwrap();
        assert_eq!(store.indicators().unwrap().len(), lib.indicators.len());
        assert_eq!(
            store.catalog().unwrap().unwrap().edition,
            lib.catalog.edition
        );
    }
}
