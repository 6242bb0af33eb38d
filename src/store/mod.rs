//! The store: sled trees for the published indicators, every revision, editions, drafts and
//! evaluations. The rest of the crate sees only `Store`, so the engine can be swapped.
//!
//! Every versioned edit is one transaction over all the trees it touches and is flushed before
//! it is acknowledged; the generation counter tells the search index whether it is current.

mod curation;
pub use evaluation_list::{ListedProject, ProjectQuery};
pub use evaluations::{StatChange, unmatched_of};
mod drafts;
mod evaluation_list;
mod evaluations;
mod flush;
mod recovery;
mod snapshot;
mod training;
mod watchdog;

pub use curation::{Decision, Miss, StoreConflict};
pub use recovery::{StoreHealth, StoreWatch};
pub use snapshot::{Paused, RawWriter};

pub use drafts::{DraftError, DraftQuota};

use crate::domain::revision::classify;
use crate::domain::{
    AuditEntry, Catalog, ChangeKind, Edition, EvaluatedProject, Indicator, Library, Proposal,
    Revision, Status,
};
use chrono::Utc;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sled::Tree;
use sled::transaction::{
    ConflictableTransactionError, TransactionError, Transactional, TransactionalTree,
};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("数据库错误：{0}")]
    Sled(#[from] sled::Error),
    #[error("数据库记录损坏（{key}）：{message}")]
    Corrupt { key: String, message: String },
    /// A write that no longer fits what is stored (e.g. approving a stale proposal).
    #[error("{0}")]
    Conflict(String),
    /// A write the stored state does not allow this person (e.g. approving one's own proposal).
    #[error("{0}")]
    Forbidden(String),
    /// The database is being reopened after an I/O failure.
    #[error("数据库正在从磁盘故障中恢复，请稍后再试")]
    Unavailable,
    /// A flush never returned (see `flush`): writes are refused until the service restarts.
    #[error("数据库写入停滞，需要重启服务")]
    Stuck,
}

pub type Result<T> = std::result::Result<T, StoreError>;

impl StoreError {
    /// Another process (or a handle not yet closed) holds the database.
    pub fn is_locked(&self) -> bool {
        matches!(self, StoreError::Sled(sled::Error::Io(io))
            if io.to_string().contains("could not acquire lock"))
    }
}

const CATALOG: &[u8] = b"catalog";
const GENERATION: &[u8] = b"generation";
const SOURCE_HASH: &[u8] = b"source_hash";
/// Indicators per transaction when loading a library (the bundled one fits in one).
const SYNC_CHUNK: usize = 5_000;
/// How long opening waits for a database whose file is still locked.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(2);
/// Tries of a commit that freezes an edition while other commits move revision heads.
const FREEZE_TRIES: usize = 5;

/// The store: one sled database, reopened in place after an I/O failure (see `recovery`).
/// A clone is another handle on the same database: the app and each service hold one.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    dir: PathBuf,
    cache_bytes: u64,
    /// `None` only while the database is being reopened.
    db: RwLock<Option<Arc<Db>>>,
    health: Arc<StoreHealth>,
    /// Writes to the evaluations' trees so far (see `Store::evaluations_version`).
    evaluation_writes: std::sync::atomic::AtomicU64,
    /// Every flushed write holds it shared; a backup holds it alone, so that what it reads is
    /// the state between two writes (`snapshot`).
    pause: RwLock<()>,
}

impl Inner {
    fn open_db(&self) -> Option<Arc<Db>> {
        self.db.read().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.health.watchdog.stop();
    }
}

/// The open database and its trees.
struct Db {
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
    /// code -> id (u64 BE) of the open proposal that changes it. Transactions cannot scan a
    /// tree, so this is how opening a proposal checks, in its own transaction, that no other
    /// is open on the same indicator; it is written with every proposal opened or decided.
    open_codes: Tree,
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
    /// New states published as they are (library files); approvals publish their proposals'.
    pub changes: Vec<Indicator>,
    /// The reason of each change, when they differ (changes of several approved proposals);
    /// empty: `ChangeMeta::reason` for all.
    pub reasons: Vec<String>,
    pub catalog: Option<&'a Catalog>,
    pub source_hash: Option<&'a str>,
    pub freeze: Option<&'a str>,
    /// Decisions on open proposals, checked against the stored proposals in the transaction.
    pub decisions: Vec<Decision>,
    pub audit: Vec<AuditEntry>,
    /// (code, hash of its state in the library files; `None` when no longer there).
    pub file_states: Vec<(String, Option<String>)>,
}

/// What a commit wrote.
#[derive(Debug, Default)]
pub struct Committed {
    pub revisions: Vec<Revision>,
    /// The decided proposals as stored.
    pub proposals: Vec<Proposal>,
    /// The generation after the commit. It moves only when revisions are written or the
    /// catalog's types change, i.e. when the search index has something to take.
    pub generation: u64,
    /// Whether this commit moved the generation.
    pub moved: bool,
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

/// Why a checked transaction stopped.
enum Abort {
    /// A check refused the write.
    Refused(StoreError),
    /// The revision heads an edition was listed from moved meanwhile: list them again.
    HeadsMoved,
}

type TxResult<T> = std::result::Result<T, ConflictableTransactionError<Abort>>;

/// The outcome of a checked transaction; `None` when the heads moved (try again).
fn checked_tx<T>(r: std::result::Result<T, TransactionError<Abort>>) -> Result<Option<T>> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(TransactionError::Storage(e)) => Err(e.into()),
        Err(TransactionError::Abort(Abort::Refused(e))) => Err(e),
        Err(TransactionError::Abort(Abort::HeadsMoved)) => Ok(None),
    }
}

/// Aborts a transaction, refusing the write with `e`.
fn refuse<T>(e: StoreError) -> TxResult<T> {
    Err(ConflictableTransactionError::Abort(Abort::Refused(e)))
}

/// Decodes a value read inside a transaction; a bad record aborts it.
fn decode_tx<T: DeserializeOwned>(key: &[u8], bytes: &[u8]) -> TxResult<T> {
    decode(key, bytes).map_err(|e| ConflictableTransactionError::Abort(Abort::Refused(e)))
}

/// The revision head of `code` as read inside a transaction (`None`: never published).
fn head_tx(heads: &TransactionalTree, code: &str) -> TxResult<Option<u32>> {
    heads
        .get(code.as_bytes())?
        .map(|v| {
            head_number(code.as_bytes(), &v)
                .map_err(|e| ConflictableTransactionError::Abort(Abort::Refused(e)))
        })
        .transpose()
}

/// Decodes one entry of a tree scan.
/// The value stored under `key` in `tree`, decoded.
fn read<T: DeserializeOwned>(tree: &Tree, key: impl AsRef<[u8]>) -> Result<Option<T>> {
    let key = key.as_ref();
    tree.get(key)?.map(|v| decode(key, &v)).transpose()
}

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
    crate::digest::sha256_hex(encode(i))
}

fn encode<T: Serialize>(v: &T) -> Vec<u8> {
    serde_json::to_vec(v).expect("domain types serialize")
}

impl Db {
    fn open(dir: &Path, cache_bytes: u64) -> Result<Db> {
        let db = sled::Config::new()
            .path(dir)
            .cache_capacity(cache_bytes)
            .open()?;
        let d = Db {
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
            open_codes: db.open_tree("open_codes")?,
            audit: db.open_tree("audit")?,
            misses: db.open_tree("misses")?,
            file_states: db.open_tree("file_states")?,
            db,
        };
        d.fill_heads()?;
        d.index_drafts()?;
        d.fill_open_codes()?;
        Ok(d)
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

    /// Brings `open_codes` in line with the open proposals (stores written before it existed;
    /// it is otherwise kept by every transaction that opens or decides a proposal).
    fn fill_open_codes(&self) -> Result<()> {
        let mut wanted: HashMap<Vec<u8>, [u8; 8]> = HashMap::new();
        for kv in self.proposals.iter() {
            let p: Proposal = decode_kv(kv)?;
            if p.is_open() {
                for code in p.codes() {
                    wanted.insert(code.as_bytes().to_vec(), p.id.to_be_bytes());
                }
            }
        }
        let mut batch = sled::Batch::default();
        let mut changed = false;
        for kv in self.open_codes.iter() {
            let (k, v) = kv?;
            match wanted.remove(k.as_ref()) {
                Some(id) if v.as_ref() == id => {}
                Some(id) => {
                    batch.insert(k, &id);
                    changed = true;
                }
                None => {
                    batch.remove(k);
                    changed = true;
                }
            }
        }
        for (k, id) in wanted {
            batch.insert(k, &id);
            changed = true;
        }
        if changed {
            self.open_codes.apply_batch(batch)?;
            self.db.flush()?;
        }
        Ok(())
    }
}

impl Store {
    /// Opens (or creates) the store in `dir`. `cache_bytes` bounds sled's page cache, whose
    /// default (1 GiB) is too much for a small server.
    pub fn open(dir: &Path, cache_bytes: u64) -> Result<Store> {
        // sled's shared I/O threads may hold a database's file (and its lock) a moment after
        // its last handle is dropped: a store closed and opened again in one process waits.
        let deadline = std::time::Instant::now() + LOCK_WAIT;
        let db = loop {
            match Db::open(dir, cache_bytes) {
                Err(e) if e.is_locked() && std::time::Instant::now() < deadline => {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                r => break r?,
            }
        };
        let health: Arc<StoreHealth> = Default::default();
        let watched = health.clone();
        health.watchdog.start(move || watched.declare_stuck());
        Ok(Store {
            inner: Arc::new(Inner {
                dir: dir.to_path_buf(),
                cache_bytes,
                db: RwLock::new(Some(Arc::new(db))),
                health,
                evaluation_writes: Default::default(),
                pause: RwLock::new(()),
            }),
        })
    }

    /// The open database (`Unavailable` while it is being reopened).
    fn db(&self) -> Result<Arc<Db>> {
        self.inner.open_db().ok_or(StoreError::Unavailable)
    }

    /// Runs a read (or a write that need not reach the disk at once) on the open database.
    fn with<T>(&self, f: impl FnOnce(&Db) -> Result<T>) -> Result<T> {
        let op = self.inner.health.watchdog.op();
        let r = self.db().and_then(|d| f(&d));
        drop(op);
        self.note(r, false)
    }

    /// Runs a write and flushes it before returning: once it returns `Ok`, it is on disk.
    fn write<T>(&self, f: impl FnOnce(&Db) -> Result<T>) -> Result<T> {
        if self.inner.health.stuck() {
            // Refused before it is applied in memory: it could never reach the disk.
            return Err(StoreError::Stuck);
        }
        // Never taken again inside `f`: a backup waiting for the pause would deadlock it.
        let _writing = self.inner.pause.read().unwrap_or_else(|e| e.into_inner());
        let op = self.inner.health.watchdog.op();
        let r = self.db().and_then(|d| {
            let v = f(&d)?;
            flush::flush(&d.db).map_err(|e| match e {
                flush::FlushError::Sled(e) => StoreError::Sled(e),
                flush::FlushError::Stuck => StoreError::Stuck,
            })?;
            Ok(v)
        });
        drop(op);
        self.note(r, true)
    }

    /// Flushes what was written to the disk.
    fn flush(&self) -> Result<()> {
        self.write(|_| Ok(()))
    }

    fn meta_get<T: DeserializeOwned>(&self, key: &[u8]) -> Result<Option<T>> {
        self.with(|d| read(&d.meta, key))
    }

    /// Hash of the library source last loaded (files or corpus).
    pub fn source_hash(&self) -> Result<Option<String>> {
        self.meta_get(SOURCE_HASH)
    }

    pub fn catalog(&self) -> Result<Option<Catalog>> {
        self.meta_get(CATALOG)
    }

    /// Increases with every commit that gives the search index something to take (revisions,
    /// a catalog whose types changed); 0 for a new store.
    pub fn generation(&self) -> Result<u64> {
        Ok(self.meta_get(GENERATION)?.unwrap_or(0))
    }

    pub fn indicator(&self, code: &str) -> Result<Option<Indicator>> {
        self.with(|d| read(&d.indicators, code.as_bytes()))
    }

    /// Every indicator in its current revision, retired ones included, by code.
    pub fn indicators(&self) -> Result<Vec<Indicator>> {
        self.each_indicator().collect()
    }

    /// Every indicator's current record, read one at a time.
    pub fn each_indicator(&self) -> impl Iterator<Item = Result<Indicator>> + '_ {
        let (scan, failed) = match self.db() {
            Ok(d) => (Some(d.indicators.iter()), None),
            Err(e) => (None, Some(Err(e))),
        };
        scan.into_iter()
            .flatten()
            .map(|kv| self.note(decode_kv(kv), false))
            .chain(failed)
    }

    pub fn revisions(&self, code: &str) -> Result<Vec<Revision>> {
        self.with(|d| {
            d.revisions
                .scan_prefix(rev_prefix(code))
                .map(decode_kv)
                .collect()
        })
    }

    pub fn revision(&self, code: &str, n: u32) -> Result<Option<Revision>> {
        let k = rev_key(code, n);
        self.with(|d| read(&d.revisions, &k))
    }

    pub fn editions(&self) -> Result<Vec<Edition>> {
        let mut eds: Vec<Edition> =
            self.with(|d| d.editions.iter().map(decode_kv).collect::<Result<_>>())?;
        eds.sort_by_key(|e| e.frozen_at);
        Ok(eds)
    }

    pub fn edition(&self, name: &str) -> Result<Option<Edition>> {
        self.with(|d| read(&d.editions, name.as_bytes()))
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
        let committed = self.commit(
            Commit {
                changes,
                catalog,
                source_hash,
                freeze,
                ..Commit::default()
            },
            meta,
        )?;
        Ok(committed.revisions)
    }

    /// The hash of an indicator as the library files last gave it (`None` if they never did, or
    /// no longer do).
    pub fn file_state(&self, code: &str) -> Result<Option<String>> {
        self.with(|d| {
            Ok(d.file_states
                .get(code.as_bytes())?
                .map(|v| String::from_utf8_lossy(&v).into_owned()))
        })
    }

    /// The last revision number of an indicator (0 when it has none).
    pub fn last_revision(&self, code: &str) -> Result<u32> {
        self.with(|d| match d.heads.get(code.as_bytes())? {
            Some(v) => head_number(code.as_bytes(), &v),
            None => Ok(0),
        })
    }

    /// Every indicator's last revision number, with the generation they were read at.
    fn heads_snapshot(&self) -> Result<(HashMap<String, u32>, u64)> {
        let generation = self.generation()?;
        let heads = self.with(|d| {
            d.heads
                .iter()
                .map(|kv| {
                    let (k, v) = kv?;
                    Ok((
                        String::from_utf8_lossy(&k).into_owned(),
                        head_number(&k, &v)?,
                    ))
                })
                .collect::<Result<HashMap<_, _>>>()
        })?;
        Ok((heads, generation))
    }

    /// Commits revisions, catalog, edition, proposal decisions and audit entries in one sled
    /// transaction over every tree involved, flushed before returning: a crash leaves all of it
    /// or none of it.
    ///
    /// Everything a concurrent commit could invalidate is checked and computed inside the
    /// transaction: each decided proposal is still open, an approver is not its author, every
    /// approved change was made against the revision still published, and revision numbers
    /// follow the heads as they are then. A refused check aborts the whole commit (`Conflict`
    /// or `Forbidden`), audit entries included.
    pub fn commit(&self, c: Commit<'_>, meta: &ChangeMeta) -> Result<Committed> {
        for _ in 0..FREEZE_TRIES {
            if let Some(done) = self.try_commit(&c, meta)? {
                return Ok(done);
            }
        }
        Err(StoreError::Conflict(
            "发布版本时指标库持续有新的修改，请稍后再试".into(),
        ))
    }

    fn try_commit(&self, c: &Commit<'_>, meta: &ChangeMeta) -> Result<Option<Committed>> {
        let now = Utc::now();
        // An edition lists every indicator's head: read outside the transaction (it cannot
        // scan), and refused inside it if the heads moved since (another commit wrote).
        let frozen_from = match c.freeze {
            Some(_) => Some(self.heads_snapshot()?),
            None => None,
        };
        self.write(|d| {
            let mut audit = c.audit.clone();
            for a in &mut audit {
                a.seq = d.db.generate_id()?;
            }
            let trees = [
                &d.indicators,
                &d.revisions,
                &d.meta,
                &d.editions,
                &d.proposals,
                &d.audit,
                &d.file_states,
                &d.heads,
                &d.open_codes,
            ];
            checked_tx(trees.as_slice().transaction(|t| {
                let (ind, rev, m, ed, props, log, files, heads, open) = (
                    &t[0], &t[1], &t[2], &t[3], &t[4], &t[5], &t[6], &t[7], &t[8],
                );
                let generation: u64 = match m.get(GENERATION)? {
                    Some(v) => decode_tx(GENERATION, &v)?,
                    None => 0,
                };
                if let Some((_, read_at)) = &frozen_from
                    && *read_at != generation
                {
                    return Err(ConflictableTransactionError::Abort(Abort::HeadsMoved));
                }
                let decided = curation::decide_tx(props, open, heads, &c.decisions)?;
                let mut revisions: Vec<Revision> = Vec::new();
                // Each revision gives its own reason: the files' per-change reasons, and for an
                // approval its proposal's, also when several are approved together.
                let given = c.changes.iter().enumerate().map(|(i, after)| {
                    (
                        after,
                        c.reasons
                            .get(i)
                            .cloned()
                            .unwrap_or_else(|| meta.reason.clone()),
                    )
                });
                let approved = decided.iter().flat_map(|(p, after)| {
                    after
                        .iter()
                        .map(move |a| (a, format!("{}（P{}）", p.reason, p.id)))
                });
                for (after, reason) in given.chain(approved) {
                    let key = after.code.as_str().as_bytes();
                    let current: Option<Indicator> = match ind.get(key)? {
                        Some(v) => Some(decode_tx(key, &v)?),
                        None => None,
                    };
                    let Some(kind) = classify(current.as_ref(), after) else {
                        continue;
                    };
                    let code = after.code.as_str();
                    let number = head_tx(heads, code)?.unwrap_or(0) + 1;
                    let r = Revision {
                        number,
                        indicator: after.clone(),
                        at: now,
                        author: meta.author.clone(),
                        reviewer: meta.reviewer.clone(),
                        reason,
                        kind,
                    };
                    ind.insert(key, encode(&r.indicator))?;
                    rev.insert(rev_key(code, number), encode(&r))?;
                    heads.insert(key, &number.to_be_bytes())?;
                    revisions.push(r);
                }
                let mut proposals = Vec::new();
                for (mut p, _) in decided {
                    p.published = p
                        .changes
                        .iter()
                        .filter_map(|ch| {
                            let code = ch.after.code.as_str();
                            revisions
                                .iter()
                                .rfind(|r| r.indicator.code.as_str() == code)
                                .map(|r| (code.to_string(), r.number))
                        })
                        .collect();
                    props.insert(&p.id.to_be_bytes(), encode(&p))?;
                    proposals.push(p);
                }
                // Indexed documents use the catalog's types, not the edition's name.
                let mut catalog_moved = false;
                if let Some(cat) = c.catalog {
                    let old: Option<Catalog> = match m.get(CATALOG)? {
                        Some(v) => Some(decode_tx(CATALOG, &v)?),
                        None => None,
                    };
                    catalog_moved = old.is_none_or(|mut old| {
                        old.edition.clone_from(&cat.edition);
                        old != *cat
                    });
                    m.insert(CATALOG, encode(cat))?;
                }
                if let Some(h) = c.source_hash {
                    m.insert(SOURCE_HASH, encode(&h))?;
                }
                if let (Some(name), Some((heads_then, _))) = (c.freeze, &frozen_from) {
                    let mut members = heads_then.clone();
                    for r in &revisions {
                        members.insert(r.indicator.code.to_string(), r.number);
                    }
                    let mut members: Vec<(String, u32)> = members.into_iter().collect();
                    members.sort();
                    let e = Edition {
                        name: name.to_string(),
                        frozen_at: now,
                        frozen_by: meta.author.clone(),
                        members,
                        source_hash: c.source_hash.map(str::to_string),
                    };
                    ed.insert(e.name.as_bytes(), encode(&e))?;
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
                let moved = !revisions.is_empty() || catalog_moved;
                let generation = if moved { generation + 1 } else { generation };
                if moved {
                    m.insert(GENERATION, encode(&generation))?;
                }
                Ok(Committed {
                    revisions,
                    proposals,
                    generation,
                    moved,
                })
            }))
        })
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
        let loaded: HashMap<String, String> = self.with(|d| {
            d.file_states
                .iter()
                .map(|kv| {
                    let (k, v) = kv?;
                    Ok((
                        String::from_utf8_lossy(&k).into_owned(),
                        String::from_utf8_lossy(&v).into_owned(),
                    ))
                })
                .collect::<Result<_>>()
        })?;
        let no_indicators = self.with(|d| Ok(d.indicators.is_empty()))?;
        // Stores written before file states were kept compare with the published state.
        let legacy = loaded.is_empty() && !no_indicators;
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
        let first_load = no_indicators;
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
            self.with(|d| {
                d.indicators
                    .iter()
                    .keys()
                    .map(|k| Ok(String::from_utf8_lossy(&k?).into_owned()))
                    .collect::<Result<_>>()
            })?
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
        self.write(|d| {
            d.evaluations.insert(id.as_bytes(), encode(project))?;
            Ok(())
        })
    }

    pub fn evaluations(&self) -> Result<Vec<EvaluatedProject>> {
        self.with(|d| d.evaluations.iter().map(decode_kv).collect())
    }

    /// Bytes used by the database on disk.
    pub fn size_on_disk(&self) -> u64 {
        self.db()
            .ok()
            .and_then(|d| d.db.size_on_disk().ok())
            .unwrap_or(0)
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
            let d = store.db().unwrap();
            d.heads.clear().unwrap();
            d.db.flush().unwrap();
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
