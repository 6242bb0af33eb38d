//! What a search reads from a segment besides postings (decoded names, opened fast-field
//! columns), made once per segment and kept for the segment's life: opening a column costs more
//! than ranking a small result.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tantivy::SegmentReader;
use tantivy::columnar::StrColumn;
use tantivy::index::SegmentId;

/// Facet columns of each segment, opened once: opening six dictionary-encoded columns costs more
/// than counting a small result (opened by `facets`, which knows them).
pub(super) type FacetColumns = PerSegment<Vec<Option<StrColumn>>>;

pub(super) struct PerSegment<T>(Mutex<HashMap<SegmentId, Arc<T>>>);

impl<T> Default for PerSegment<T> {
    fn default() -> Self {
        PerSegment(Mutex::new(HashMap::new()))
    }
}

impl<T> PerSegment<T> {
    /// The segment's value, made by `make` the first time it is asked for.
    pub fn get_or(
        &self,
        reader: &SegmentReader,
        make: impl FnOnce(&SegmentReader) -> tantivy::Result<T>,
    ) -> tantivy::Result<Arc<T>> {
        let lock = || self.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(v) = lock().get(&reader.segment_id()) {
            return Ok(v.clone());
        }
        // Made outside the lock: decoding a segment's names takes milliseconds, and searches of
        // other segments need not wait for it. Two racing searches both make it; one is kept.
        let v = Arc::new(make(reader)?);
        let mut map = lock();
        // Segments die on merges and rebuilds; an occasional reset keeps the map small.
        if map.len() > 64 {
            map.clear();
        }
        Ok(map.entry(reader.segment_id()).or_insert(v).clone())
    }
}
