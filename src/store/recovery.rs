//! Keeping the store usable through I/O failures (a full or read-only disk): what the last
//! write found, and reopening the database once the disk takes writes again.
//!
//! sled remembers the first I/O error of its log writer for the life of the open database and
//! refuses every later write with it, even after space is freed. Reads that reach a node whose
//! split or merge was cut short by the error help finish it, which is a write, so they fail the
//! same way, until the process restarts. Only opening the database again clears that state,
//! and it also drops what was applied in memory but never reached the disk (the writes whose
//! callers were answered with an error). Opening needs a little room on the disk, so the old
//! handle keeps serving reads until a probe file shows there is some.

use super::watchdog::Watchdog;
use super::{Db, Store, StoreError};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

/// Room the disk must have before the database is closed to be opened again: opening writes a
/// snapshot and a log segment, and a failed opening leaves reads without a database. Written in
/// blocks of `PROBE_BLOCK`.
const ROOM_NEEDED: usize = 8 << 20;
const PROBE_BLOCK: usize = 64 << 10;
const PROBE_FILE: &str = "zhibiao-space-probe";
const FIRST_PAUSE: Duration = Duration::from_millis(100);
const LONGEST_PAUSE: Duration = Duration::from_secs(3);
/// How long a reopening waits for operations still using the old handle.
const DRAIN: Duration = Duration::from_secs(5);

/// Whether the store can write, as the last write found; shared with whoever watches it.
#[derive(Default)]
pub struct StoreHealth {
    /// Why the last write failed; cleared by a write that reaches the disk.
    fault: Mutex<Option<String>>,
    /// How many times the database was reopened. What it shows may have gone back to what was
    /// on disk, so whatever follows the store (the search index) checks itself again.
    reopened: AtomicU64,
    /// A recovery thread is running.
    recovering: AtomicBool,
    /// An operation never returned: sled cannot write again in this process (see `flush`).
    stuck: AtomicBool,
    /// Armed while a failure is recorded.
    pub(super) watchdog: Arc<Watchdog>,
}

impl StoreHealth {
    /// Why the store cannot write, if the last write failed.
    pub fn fault(&self) -> Option<String> {
        self.fault.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn reopened(&self) -> u64 {
        self.reopened.load(Ordering::SeqCst)
    }

    /// Whether writes are refused until the service restarts.
    pub fn stuck(&self) -> bool {
        self.stuck.load(Ordering::SeqCst)
    }

    fn set_fault(&self, why: Option<String>) {
        self.watchdog.arm(why.is_some());
        *self.fault.lock().unwrap_or_else(|e| e.into_inner()) = why;
    }

    /// Records that an operation never returned. Writes are refused from now on; reads go on
    /// where they can, and `zhibiao serve` exits for its supervisor to restart it.
    pub(super) fn declare_stuck(&self) {
        if self.stuck.swap(true, Ordering::SeqCst) {
            return;
        }
        tracing::error!("an operation of the store never returned; it needs a restart");
        *self.fault.lock().unwrap_or_else(|e| e.into_inner()) =
            Some("写入停滞：磁盘写满时存储引擎卡住了一次写入，腾出磁盘空间后需要重启服务".into());
    }
}

/// A handle on the store that does not keep the database open (for background threads).
#[derive(Clone)]
pub struct StoreWatch {
    health: Arc<StoreHealth>,
    inner: Weak<super::Inner>,
}

impl StoreWatch {
    pub fn health(&self) -> &StoreHealth {
        &self.health
    }

    /// The store, while it is open.
    pub fn store(&self) -> Option<Store> {
        self.inner.upgrade().map(|inner| Store { inner })
    }
}

/// What went wrong with the disk, in words for an operator (the error itself is logged).
fn describe(e: &StoreError) -> String {
    use std::io::ErrorKind;
    match e {
        StoreError::Sled(sled::Error::Io(io)) => match io.kind() {
            ErrorKind::StorageFull => "磁盘空间已满".into(),
            ErrorKind::ReadOnlyFilesystem => "文件系统只读".into(),
            ErrorKind::PermissionDenied => "没有写入权限".into(),
            kind => format!("读写失败：{kind}"),
        },
        StoreError::Sled(sled::Error::Corruption { .. }) => "读到损坏的数据".into(),
        _ => "数据库内部错误".into(),
    }
}

/// An error that says the database itself failed, not the request.
fn is_io(e: &StoreError) -> bool {
    matches!(
        e,
        StoreError::Sled(
            sled::Error::Io(_) | sled::Error::Corruption { .. } | sled::Error::ReportableBug(_)
        )
    )
}

impl Store {
    pub fn watch(&self) -> StoreWatch {
        StoreWatch {
            health: self.inner.health.clone(),
            inner: Arc::downgrade(&self.inner),
        }
    }

    pub fn health(&self) -> &StoreHealth {
        &self.inner.health
    }

    /// Notes the outcome of an operation: a database failure is remembered and starts the
    /// recovery; a write that reached the disk (`durable`) clears an earlier failure.
    pub(super) fn note<T>(&self, r: super::Result<T>, durable: bool) -> super::Result<T> {
        match &r {
            Err(StoreError::Stuck) => self.inner.health.declare_stuck(),
            // Only a restart helps now: keep saying so.
            _ if self.inner.health.stuck() => {}
            Err(e) if is_io(e) => {
                tracing::error!(error = %e, "the store failed; reopening it once the disk takes writes");
                self.inner.health.set_fault(Some(describe(e)));
                self.start_recovery();
            }
            Ok(_) if durable => self.inner.health.set_fault(None),
            _ => {}
        }
        r
    }

    fn start_recovery(&self) {
        if self.inner.health.recovering.swap(true, Ordering::SeqCst) {
            return;
        }
        let inner = Arc::downgrade(&self.inner);
        let spawned = std::thread::Builder::new()
            .name("store-recovery".into())
            .spawn(move || recover_until_writable(inner));
        if let Err(e) = spawned {
            tracing::error!(error = %e, "could not start the store recovery");
            self.inner.health.recovering.store(false, Ordering::SeqCst);
        }
    }

    /// Reopens the database when the disk has room, then proves it writes.
    fn recover(&self) -> Result<(), String> {
        room_to_write(&self.inner.dir)
            .map_err(|e| describe(&StoreError::Sled(sled::Error::Io(e))))?;
        self.reopen().map_err(|e| describe(&e))?;
        self.probe().map_err(|e| describe(&e))
    }

    /// A small write that must reach the disk.
    fn probe(&self) -> super::Result<()> {
        self.write(|d| {
            d.meta
                .insert(b"probe", chrono::Utc::now().to_rfc3339().as_bytes())?;
            Ok(())
        })
    }

    /// Closes the database and opens it again. Operations in flight finish on the old handle;
    /// new ones are refused (`Unavailable`) until the new one is open.
    fn reopen(&self) -> super::Result<()> {
        let old = self
            .inner
            .db
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(mut old) = old {
            let deadline = Instant::now() + DRAIN;
            loop {
                match Arc::try_unwrap(old) {
                    // A stuck flush holds sled's own handle: reopening would fail on its lock
                    // and leave reads without a database.
                    Ok(db) if self.inner.health.stuck() => {
                        *self.inner.db.write().unwrap_or_else(|e| e.into_inner()) =
                            Some(Arc::new(db));
                        return Err(StoreError::Stuck);
                    }
                    Ok(db) => {
                        drop(db);
                        break;
                    }
                    Err(still) if Instant::now() > deadline => {
                        *self.inner.db.write().unwrap_or_else(|e| e.into_inner()) = Some(still);
                        return Err(StoreError::Unavailable);
                    }
                    Err(still) => {
                        old = still;
                        std::thread::sleep(Duration::from_millis(5));
                    }
                }
            }
        }
        // sled's own threads let go of the file lock a moment after the last handle.
        let deadline = Instant::now() + DRAIN;
        let db = loop {
            match Db::open(&self.inner.dir, self.inner.cache_bytes) {
                Err(e) if e.is_locked() && Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(50));
                }
                r => break r?,
            }
        };
        *self.inner.db.write().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(db));
        self.inner.health.reopened.fetch_add(1, Ordering::SeqCst);
        tracing::info!("the store was reopened");
        Ok(())
    }
}

/// Tries, with growing pauses, until the store writes again or is dropped.
fn recover_until_writable(inner: Weak<super::Inner>) {
    let mut pause = FIRST_PAUSE;
    loop {
        std::thread::sleep(pause);
        pause = (pause * 2).min(LONGEST_PAUSE);
        let Some(inner) = inner.upgrade() else {
            return;
        };
        let store = Store { inner };
        let health = &store.inner.health;
        if health.stuck() {
            // The stuck flush holds the database: it cannot be reopened in this process.
            health.recovering.store(false, Ordering::SeqCst);
            return;
        }
        match store.recover() {
            Ok(()) => {
                health.recovering.store(false, Ordering::SeqCst);
                // A failure noted while this one was being repaired needs another round.
                if health.fault().is_none() || health.recovering.swap(true, Ordering::SeqCst) {
                    return;
                }
            }
            Err(why) => {
                tracing::warn!(%why, "the store is not writable yet");
                health.set_fault(Some(why));
            }
        }
    }
}

/// Whether the disk under `dir` takes a small file, written through to the disk.
fn room_to_write(dir: &Path) -> std::io::Result<()> {
    use std::io::Write;
    let path = dir.join(PROBE_FILE);
    let written = (|| {
        let mut f = std::fs::File::create(&path)?;
        let block = vec![0u8; PROBE_BLOCK];
        for _ in 0..ROOM_NEEDED / PROBE_BLOCK {
            f.write_all(&block)?;
        }
        f.sync_all()
    })();
    let _ = std::fs::remove_file(&path);
    written
}
