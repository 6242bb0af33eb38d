//! The evaluations' write lock: writes of evaluations (imports, curators' decisions, adopted
//! candidates) and the repair of what is derived from them take turns, one store at a time.

use std::sync::{Mutex, MutexGuard};

/// Serialises the writes of evaluations of one store: built once with the service and shared,
/// never a global, so two apps in one process (the tests) do not wait for each other.
#[derive(Debug, Default)]
pub struct WriteLock(Mutex<()>);

/// Proof that the caller holds the `WriteLock` (what `derived::repair` asks for).
pub struct Held<'a>(#[expect(dead_code, reason = "held for its drop")] MutexGuard<'a, ()>);

impl WriteLock {
    /// Waits for the other writers; a writer that panicked left the store consistent (its
    /// transaction either happened or did not), so the lock is taken all the same.
    pub fn hold(&self) -> Held<'_> {
        Held(self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }
}
