//! Anonymous drafts: each under its unguessable id, with a size limit per draft, a cap on all
//! drafts together (checked in the transaction that writes), and the last-modified time of each
//! kept in a small tree of its own so that expired drafts are found without reading them.

use super::{Db, Result, Store, StoreError, decode, encode, read};
use crate::domain::Draft;
use chrono::{DateTime, Utc};
use sled::transaction::{ConflictableTransactionError, TransactionError, Transactional};

/// Key of the running total in the `draft_usage` tree: bytes of all drafts' JSON.
const BYTES: &[u8] = b"bytes";

/// What one save may take.
#[derive(Debug, Clone, Copy)]
pub struct DraftQuota {
    /// Most bytes one draft (its JSON) may take.
    pub max_bytes: usize,
    /// Most bytes all drafts together may take.
    pub total_bytes: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum DraftError {
    #[error("申报表草稿过大（{bytes} 字节，每份最多 {max} 字节）：请精简指标解释等长文本")]
    TooLarge { bytes: usize, max: usize },
    #[error(
        "草稿存储空间已满（所有草稿合计上限 {cap} 字节），暂时无法保存更多内容，请稍后再试或联系管理员"
    )]
    Full { cap: u64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn millis(t: &DateTime<Utc>) -> [u8; 8] {
    t.timestamp_millis().max(0).to_be_bytes()
}

fn number(bytes: Option<&[u8]>) -> u64 {
    bytes
        .and_then(|b| <[u8; 8]>::try_from(b).ok())
        .map_or(0, u64::from_be_bytes)
}

/// Only the field the index needs, so a draft written before the index existed is indexed
/// without decoding all of it into memory twice.
#[derive(serde::Deserialize)]
struct Touched {
    updated: DateTime<Utc>,
}

impl Store {
    /// Saves a draft (insert or replace) within `quota`, flushed before returning. A save that
    /// does not grow the drafts is never refused for the total, so a full store can still shrink.
    pub fn save_draft(&self, d: &Draft, quota: &DraftQuota) -> std::result::Result<(), DraftError> {
        let bytes = encode(d);
        if bytes.len() > quota.max_bytes {
            return Err(DraftError::TooLarge {
                bytes: bytes.len(),
                max: quota.max_bytes,
            });
        }
        let key = d.id.as_bytes();
        let refused = self.write(|db| {
            let result = (&db.drafts, &db.draft_touched, &db.draft_usage).transaction(
                |(drafts, touched, usage)| {
                    let old = drafts.get(key)?.map_or(0, |v| v.len() as u64);
                    let total = number(usage.get(BYTES)?.as_deref());
                    let new_total = total.saturating_sub(old) + bytes.len() as u64;
                    if new_total > total && new_total > quota.total_bytes {
                        return Err(ConflictableTransactionError::Abort(quota.total_bytes));
                    }
                    drafts.insert(key, bytes.as_slice())?;
                    touched.insert(key, &millis(&d.updated))?;
                    usage.insert(BYTES, &new_total.to_be_bytes())?;
                    Ok(())
                },
            );
            match result {
                Ok(()) => Ok(None),
                Err(TransactionError::Abort(cap)) => Ok(Some(cap)),
                Err(TransactionError::Storage(e)) => Err(StoreError::Sled(e)),
            }
        })?;
        match refused {
            Some(cap) => Err(DraftError::Full { cap }),
            None => Ok(()),
        }
    }

    pub fn draft(&self, id: &str) -> Result<Option<Draft>> {
        self.with(|db| read(&db.drafts, id.as_bytes()))
    }

    /// Bytes all drafts take (their JSON).
    pub fn drafts_bytes(&self) -> Result<u64> {
        self.with(|db| Ok(number(db.draft_usage.get(BYTES)?.as_deref())))
    }

    /// Deletes every draft last modified before `cutoff`; returns how many. A draft saved while
    /// this runs is kept: each deletion checks, in its transaction, that the draft is unchanged.
    pub fn expire_drafts(&self, cutoff: DateTime<Utc>) -> Result<usize> {
        let cutoff = u64::from_be_bytes(millis(&cutoff));
        let old = self.with(|db| {
            let mut old = Vec::new();
            for kv in db.draft_touched.iter() {
                let (k, v) = kv?;
                if number(Some(&v)) < cutoff {
                    old.push((k, v));
                }
            }
            Ok(old)
        })?;
        if old.is_empty() {
            return Ok(0);
        }
        self.write(|db| {
            let mut removed = 0;
            for (key, seen) in &old {
                let done = (&db.drafts, &db.draft_touched, &db.draft_usage).transaction(
                    |(drafts, touched, usage)| {
                        if touched.get(key)?.as_deref() != Some(&seen[..]) {
                            return Ok(false);
                        }
                        let len = drafts.remove(key)?.map_or(0, |v| v.len() as u64);
                        touched.remove(key)?;
                        let total = number(usage.get(BYTES)?.as_deref());
                        usage.insert(BYTES, &total.saturating_sub(len).to_be_bytes())?;
                        Ok(true)
                    },
                );
                match done {
                    Ok(true) => removed += 1,
                    Ok(false) => {}
                    Err(TransactionError::Abort(())) => {}
                    Err(TransactionError::Storage(e)) => return Err(e.into()),
                }
            }
            Ok(removed)
        })
    }
}

impl Db {
    /// Builds the last-modified index and the total for drafts saved before they existed (once:
    /// the total's presence says it is done).
    pub(super) fn index_drafts(&self) -> Result<()> {
        if self.draft_usage.get(BYTES)?.is_some() {
            return Ok(());
        }
        let mut total = 0u64;
        for kv in self.drafts.iter() {
            let (k, v) = kv?;
            let t: Touched = decode(&k, &v)?;
            self.draft_touched.insert(&k, &millis(&t.updated))?;
            total += v.len() as u64;
        }
        self.draft_usage.insert(BYTES, &total.to_be_bytes())?;
        self.db.flush()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::DraftProject;

    fn draft(id: &str, text: &str, updated: DateTime<Utc>) -> Draft {
        Draft {
            id: id.into(),
            project: DraftProject {
                name: "道路养护".into(),
                description: text.into(),
                ..Default::default()
            },
            rows: vec![],
            owner: None,
            created: updated,
            updated,
        }
    }

    const ROOMY: DraftQuota = DraftQuota {
        max_bytes: 10_000,
        total_bytes: 1 << 20,
    };

    #[test]
    fn a_draft_over_its_size_or_the_total_is_refused_and_the_total_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 1 << 20).unwrap();
        let now = Utc::now();
        let e = store
            .save_draft(&draft("a", &"长".repeat(5_000), now), &ROOMY)
            .unwrap_err();
        assert!(matches!(e, DraftError::TooLarge { max: 10_000, .. }), "{e}");
        assert_eq!(store.draft("a").unwrap(), None);

        store.save_draft(&draft("a", "短", now), &ROOMY).unwrap();
        let one = store.drafts_bytes().unwrap();
        assert!(one > 0);
        let tight = DraftQuota {
            max_bytes: 10_000,
            total_bytes: one + 10,
        };
        let e = store
            .save_draft(&draft("b", "短", now), &tight)
            .unwrap_err();
        assert!(matches!(e, DraftError::Full { .. }), "{e}");
        // Replacing a draft by one of the same size is not growth.
        store.save_draft(&draft("a", "长", now), &tight).unwrap();
        assert_eq!(store.drafts_bytes().unwrap(), one);
    }

    #[test]
    fn expiry_deletes_only_drafts_untouched_since_the_cutoff() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 1 << 20).unwrap();
        let now = Utc::now();
        let old = now - chrono::Duration::days(200);
        store.save_draft(&draft("old", "旧", old), &ROOMY).unwrap();
        store.save_draft(&draft("new", "新", now), &ROOMY).unwrap();
        let before = store.drafts_bytes().unwrap();
        let cutoff = now - chrono::Duration::days(180);
        assert_eq!(store.expire_drafts(cutoff).unwrap(), 1);
        assert_eq!(store.draft("old").unwrap(), None);
        assert!(store.draft("new").unwrap().is_some());
        assert!(store.drafts_bytes().unwrap() < before);
        assert_eq!(store.expire_drafts(cutoff).unwrap(), 0);
    }

    #[test]
    fn drafts_saved_before_the_index_are_indexed_when_the_store_opens() {
        let dir = tempfile::tempdir().unwrap();
        let old = Utc::now() - chrono::Duration::days(400);
        {
            let store = Store::open(dir.path(), 1 << 20).unwrap();
            store.save_draft(&draft("old", "旧", old), &ROOMY).unwrap();
            // As a store from before the index: the draft alone.
            store
                .write(|db| {
                    db.draft_usage.clear()?;
                    db.draft_touched.clear()?;
                    Ok(())
                })
                .unwrap();
        }
        let store = Store::open(dir.path(), 1 << 20).unwrap();
        assert!(store.drafts_bytes().unwrap() > 0);
        assert_eq!(
            store
                .expire_drafts(Utc::now() - chrono::Duration::days(180))
                .unwrap(),
            1
        );
    }
}
