//! Raw access to every tree for backups: a read of the whole database between two writes, and
//! the writer that fills a new database from such a read (restore).
//!
//! sled has no snapshots, so consistency comes from `Inner::pause`: every flushed write
//! (`Store::write`, which every multi-tree transaction goes through) holds it shared, and
//! `Store::paused` holds it alone while it reads. Writes wait meanwhile; reads go on. Only
//! single-key writes that are not flushed (search-miss counters, removing an expired session)
//! may land during the read: each is one key, with nothing in another tree depending on it.

use super::{Result, Store, StoreError};
use sled::Tree;
use std::path::Path;

/// The database as it is while writes wait (see `Store::paused`).
pub struct Paused {
    db: sled::Db,
}

impl Paused {
    /// Every tree with its name, sled's default tree included, in name order.
    pub fn trees(&self) -> Result<Vec<(Vec<u8>, Tree)>> {
        let mut names: Vec<Vec<u8>> = self
            .db
            .tree_names()
            .into_iter()
            .map(|n| n.to_vec())
            .collect();
        names.sort();
        names
            .into_iter()
            .map(|n| Ok((n.clone(), self.db.open_tree(&n)?)))
            .collect()
    }
}

impl Store {
    /// Runs `f` on the whole database while no flushed write is in flight or can start:
    /// writes wait until `f` returns (a pause as long as `f`), reads do not.
    pub fn paused<T>(&self, f: impl FnOnce(&Paused) -> T) -> Result<T> {
        let _alone = self.inner.pause.write().unwrap_or_else(|e| e.into_inner());
        let db = self.db()?;
        Ok(f(&Paused { db: db.db.clone() }))
    }
}

/// Entries written per batch while filling a new database.
const BATCH: usize = 10_000;

/// Fills a new, empty database tree by tree (a restore), then flushes it.
pub struct RawWriter {
    db: sled::Db,
    tree: Option<(Tree, sled::Batch, usize)>,
}

impl RawWriter {
    /// Creates the database in `dir`, which must not hold one yet.
    pub fn create(dir: &Path) -> Result<RawWriter> {
        if dir.exists() && std::fs::read_dir(dir).map_err(io)?.next().is_some() {
            return Err(StoreError::Conflict(format!(
                "{} 不是空目录，不能在其中新建数据库",
                dir.display()
            )));
        }
        let db = sled::Config::new()
            .path(dir)
            .cache_capacity(8 << 20)
            .open()?;
        Ok(RawWriter { db, tree: None })
    }

    /// Starts writing into the tree `name`.
    pub fn tree(&mut self, name: &[u8]) -> Result<()> {
        self.finish_tree()?;
        self.tree = Some((self.db.open_tree(name)?, sled::Batch::default(), 0));
        Ok(())
    }

    /// Adds an entry to the current tree.
    pub fn put(&mut self, key: &[u8], value: &[u8]) -> Result<()> {
        let Some((tree, batch, n)) = &mut self.tree else {
            return Err(StoreError::Corrupt {
                key: String::from_utf8_lossy(key).into_owned(),
                message: "记录不属于任何数据表".into(),
            });
        };
        batch.insert(key, value);
        *n += 1;
        if *n == BATCH {
            tree.apply_batch(std::mem::take(batch))?;
            *n = 0;
        }
        Ok(())
    }

    fn finish_tree(&mut self) -> Result<()> {
        if let Some((tree, batch, _)) = self.tree.take() {
            tree.apply_batch(batch)?;
        }
        Ok(())
    }

    /// Writes what is pending and flushes the database to disk, then closes it.
    pub fn finish(mut self) -> Result<()> {
        self.finish_tree()?;
        self.db.flush()?;
        Ok(())
    }
}

fn io(e: std::io::Error) -> StoreError {
    StoreError::Sled(sled::Error::Io(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_paused_read_lets_reads_through_and_holds_writes_back() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 8 << 20).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::scope(|s| {
            store
                .paused(|_| {
                    let writer = s.spawn(|| {
                        store.append_audit(entry()).unwrap();
                        tx.send(()).unwrap();
                    });
                    // A read during the pause answers at once.
                    assert_eq!(store.audit_len(), 0);
                    assert!(
                        rx.recv_timeout(std::time::Duration::from_millis(300))
                            .is_err(),
                        "a write went through during the pause"
                    );
                    writer
                })
                .unwrap()
                .join()
                .unwrap();
        });
        assert_eq!(store.audit_len(), 1, "the held write lands after the pause");
    }

    fn entry() -> crate::domain::AuditEntry {
        crate::domain::AuditEntry {
            seq: 0,
            at: chrono::Utc::now(),
            actor: "t".into(),
            action: "a".into(),
            target: String::new(),
            detail: String::new(),
            address: "-".into(),
        }
    }
}
