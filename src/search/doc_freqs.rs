//! Document frequencies remembered per searcher generation, for the query planner's idf.

use std::collections::HashMap;
use tantivy::{Searcher, Term};

/// Document frequencies of the words queries look for, for one searcher generation. A word's
/// frequency takes a term-dictionary lookup per field and segment (a tenth of a small query),
/// and the same words (满意度, 完成率) come back query after query.
#[derive(Default)]
pub(super) struct DocFreqs(std::sync::Mutex<(u64, HashMap<Term, u64>)>);

impl DocFreqs {
    pub(super) fn get(&self, searcher: &Searcher, t: &Term) -> u64 {
        let generation = searcher.generation().generation_id();
        let lock = || self.0.lock().unwrap_or_else(|e| e.into_inner());
        {
            let cache = lock();
            if cache.0 == generation
                && let Some(n) = cache.1.get(t)
            {
                return *n;
            }
        }
        let n = searcher.doc_freq(t).unwrap_or(0);
        let mut cache = lock();
        if cache.0 != generation || cache.1.len() >= 100_000 {
            *cache = (generation, HashMap::new());
        }
        cache.1.insert(t.clone(), n);
        n
    }
}
