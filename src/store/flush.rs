//! Flushing with a deadline.
//!
//! sled 0.34 can leave `flush` waiting forever on a full disk:
//! - a value too large for its log buffers (over a quarter of a 512 KiB segment) goes to a blob
//!   file; when that file cannot be written, the log buffer keeps a writer that never finishes
//!   (`Log::reserve_inner` returns the error after claiming its slot), so the buffer is never
//!   written and no flush returns again. Only a restart clears this.
//! - a failed background write of the log records the error without waking the threads
//!   waiting for it (`Log::exit_reservation`); a later flush that finds the error wakes them.
//!
//! So each flush runs on a thread of its own. Past `NUDGE` a second flush wakes waiters of the
//! second kind; past `GIVE_UP` the store is stuck: the caller gets an error instead of hanging
//! with whatever it holds, and the service says a restart is needed.

use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Duration;

const NUDGE: Duration = Duration::from_secs(2);
const GIVE_UP: Duration = Duration::from_secs(4);

pub(super) enum FlushError {
    Sled(sled::Error),
    /// The flush never returned.
    Stuck,
}

/// Flushes `db`, giving up after `NUDGE + GIVE_UP`.
pub(super) fn flush(db: &sled::Db) -> Result<(), FlushError> {
    let Some(first) = flush_on_a_thread(db) else {
        return db.flush().map(drop).map_err(FlushError::Sled);
    };
    match first.recv_timeout(NUDGE) {
        Ok(r) => return r.map_err(FlushError::Sled),
        Err(RecvTimeoutError::Disconnected) => return Err(FlushError::Stuck),
        Err(RecvTimeoutError::Timeout) => {}
    }
    tracing::warn!("a flush of the store is taking long; flushing again to wake it");
    let _nudge = flush_on_a_thread(db);
    match first.recv_timeout(GIVE_UP) {
        Ok(r) => r.map_err(FlushError::Sled),
        Err(_) => Err(FlushError::Stuck),
    }
}

fn flush_on_a_thread(db: &sled::Db) -> Option<Receiver<sled::Result<()>>> {
    let (tx, rx) = std::sync::mpsc::channel();
    let db = db.clone();
    std::thread::Builder::new()
        .name("store-flush".into())
        .spawn(move || {
            let flushed = db.flush().map(drop);
            // Let go of the database before answering: the caller may close it right after.
            drop(db);
            let _ = tx.send(flushed);
        })
        .ok()?;
    Some(rx)
}
