//! Publishing: a commit to the store and the search index brought in line with it, in commit
//! order, so search shows what curation approved.

use super::Curation;
use crate::search::SearchIndex;
use crate::store::{ChangeMeta, Commit, Committed, Store, StoreError};

/// What a commit published, and whether search took it.
pub struct Published {
    pub committed: Committed,
    /// Why search does not show the change yet (it is published all the same; the index is
    /// rebuilt in the background, at the next change or at the next start).
    pub index_stale: Option<String>,
}

impl Curation {
    /// Commits to the store and brings the search index in line, in commit order. The commit
    /// stands even when the index fails to take it: the answer then says search is behind
    /// (`index_stale`), and the index is rebuilt in the background.
    pub fn publish(&self, c: Commit<'_>, meta: &ChangeMeta) -> Result<Published, StoreError> {
        let _order = self.search.ordered();
        let committed = self.store.commit(c, meta)?;
        let index_stale = if committed.moved {
            follow(&self.store, &self.search, &committed).err()
        } else {
            None
        };
        Ok(Published {
            committed,
            index_stale,
        })
    }
}

/// Brings the index to the store's state after `committed` (under `SearchIndex::ordered`).
fn follow(store: &Store, search: &SearchIndex, committed: &Committed) -> Result<(), String> {
    if search.stale().is_some() {
        return rebuild(store, search);
    }
    let changed: Vec<_> = committed
        .revisions
        .iter()
        .map(|r| r.indicator.clone())
        .collect();
    search
        .upsert(&changed, committed.generation)
        .map_err(|e| e.to_string())
}

/// Rebuilds the index from every indicator of the store (under `SearchIndex::ordered`).
pub(crate) fn rebuild(store: &Store, search: &SearchIndex) -> Result<(), String> {
    let generation = store.generation().map_err(|e| e.to_string())?;
    search
        .rebuild_from(
            store.each_indicator().map(|i| i.map_err(|e| e.to_string())),
            generation,
        )
        .map_err(|e| e.to_string())
}
