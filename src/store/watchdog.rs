//! Noticing a store that stopped answering after a disk failure.
//!
//! When sled fails to write a large value to its blob file (a full disk), one of its log
//! buffers keeps a writer that never finishes: that buffer is never written, and everything
//! that waits for it to reach the disk waits forever, flushes and reads of pages whose newest
//! version is in it alike (see `flush`). Only a restart clears that. This watchdog, armed while
//! a disk failure is recorded, declares the store stuck once an operation has run for longer
//! than `STUCK_AFTER`; `zhibiao serve` then exits for its supervisor to restart it. Without a
//! recorded failure nothing is declared stuck, however slow the disk.

use std::collections::BTreeMap;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// Longer than a bounded flush (`flush`), far longer than any operation on a failed disk,
/// which answers with the error at once.
const STUCK_AFTER: Duration = Duration::from_secs(8);
const TICK: Duration = Duration::from_secs(1);

#[derive(Default)]
struct Ops {
    /// Operations in progress, by ticket (tickets grow, so the first is the oldest).
    started: BTreeMap<u64, Instant>,
    next_ticket: u64,
    /// A disk failure is recorded: watch.
    armed: bool,
    /// The store is gone.
    stop: bool,
}

#[derive(Default)]
pub(super) struct Watchdog {
    ops: Mutex<Ops>,
    changed: Condvar,
}

/// An operation in progress, until dropped.
pub(super) struct Op<'a> {
    watchdog: &'a Watchdog,
    ticket: u64,
}

impl Drop for Op<'_> {
    fn drop(&mut self) {
        self.watchdog.lock().started.remove(&self.ticket);
    }
}

impl Watchdog {
    fn lock(&self) -> std::sync::MutexGuard<'_, Ops> {
        self.ops.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn op(&self) -> Op<'_> {
        let mut ops = self.lock();
        let ticket = ops.next_ticket;
        ops.next_ticket += 1;
        ops.started.insert(ticket, Instant::now());
        Op {
            watchdog: self,
            ticket,
        }
    }

    /// Watches from now on (a disk failure was recorded) or no longer.
    pub(super) fn arm(&self, armed: bool) {
        let mut ops = self.lock();
        if ops.armed != armed {
            ops.armed = armed;
            drop(ops);
            self.changed.notify_all();
        }
    }

    pub(super) fn stop(&self) {
        self.lock().stop = true;
        self.changed.notify_all();
    }

    /// Starts watching, until `stop`; `stuck` is called once an operation has run too long.
    pub(super) fn start(self: &Arc<Self>, stuck: impl FnOnce() + Send + 'static) {
        let watchdog = self.clone();
        let spawned = std::thread::Builder::new()
            .name("store-watchdog".into())
            .spawn(move || watchdog.run(stuck));
        if let Err(e) = spawned {
            tracing::error!(error = %e, "could not start the store watchdog");
        }
    }

    fn run(&self, stuck: impl FnOnce()) {
        let mut ops = self.lock();
        loop {
            if ops.stop {
                return;
            }
            if !ops.armed {
                ops = self.changed.wait(ops).unwrap_or_else(|e| e.into_inner());
                continue;
            }
            let oldest = ops.started.values().next().map(Instant::elapsed);
            if oldest.is_some_and(|waited| waited > STUCK_AFTER) {
                drop(ops);
                stuck();
                return;
            }
            ops = self
                .changed
                .wait_timeout(ops, TICK)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }
}
