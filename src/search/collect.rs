//! The ranking collector: the best documents and the number of matches, in one pass.
//!
//! It replaces tantivy's `TopDocs::tweak_score` plus `Count` (two collectors, and each match's name
//! length read through the column's optional-value index). Counted instructions barely moved (a
//! few percent of a search was collection; docs/PERFORMANCE.md): it is one pass, not a speed-up.

use super::per_segment::PerSegment;
use std::cmp::Ordering;
use std::sync::Arc;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Cardinality, ColumnValues};
use tantivy::{DocAddress, DocId, Score, SegmentReader};

/// Among equal scores, shorter names first: this much is taken off per character.
const PER_NAME_CHAR: f32 = 0.01;

/// Keeps the `offset + limit` best documents by score minus the name-length penalty (ties:
/// earlier documents first), and counts every match.
pub(super) struct TopCount<'a> {
    pub limit: usize,
    pub offset: usize,
    pub lengths: &'a NameLengths,
}

/// Each segment's name-length column, opened once.
#[derive(Default)]
pub(super) struct NameLengths(PerSegment<Option<Arc<dyn ColumnValues<u64>>>>);

impl NameLengths {
    fn of(
        &self,
        reader: &SegmentReader,
    ) -> tantivy::Result<Arc<Option<Arc<dyn ColumnValues<u64>>>>> {
        // Every document has a name length: read the values directly where the column says so,
        // instead of going through the optional-value index for each match.
        self.0.get_or(reader, |reader| {
            Ok(reader.fast_fields().u64("name_len").ok().map(|col| {
                if col.get_cardinality() == Cardinality::Full {
                    col.values
                } else {
                    col.first_or_default_col(0)
                }
            }))
        })
    }
}

pub(super) struct TopCountSegment {
    segment: u32,
    name_len: Option<Arc<dyn ColumnValues<u64>>>,
    keep: usize,
    found: Vec<(Score, DocId)>,
    /// The worst score still kept once `found` has been cut back to `keep`.
    floor: Score,
    count: usize,
}

/// Higher score first; among equals, the earlier document (by id, or by segment then id).
fn best_first<T: Ord>(a: &(Score, T), b: &(Score, T)) -> Ordering {
    b.0.total_cmp(&a.0).then(a.1.cmp(&b.1))
}

impl Collector for TopCount<'_> {
    type Fruit = (Vec<(Score, DocAddress)>, usize);
    type Child = TopCountSegment;

    fn for_segment(&self, segment: u32, reader: &SegmentReader) -> tantivy::Result<Self::Child> {
        Ok(TopCountSegment::new(
            segment,
            Option::clone(&*self.lengths.of(reader)?),
            self.limit + self.offset,
        ))
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    fn merge_fruits(
        &self,
        fruits: Vec<(Vec<(Score, DocAddress)>, usize)>,
    ) -> tantivy::Result<Self::Fruit> {
        let mut all: Vec<(Score, DocAddress)> = Vec::new();
        let mut count = 0;
        for (found, n) in fruits {
            all.extend(found);
            count += n;
        }
        all.sort_by(best_first);
        let page = all.into_iter().skip(self.offset).take(self.limit).collect();
        Ok((page, count))
    }
}

impl TopCountSegment {
    fn new(
        segment: u32,
        name_len: Option<Arc<dyn ColumnValues<u64>>>,
        keep: usize,
    ) -> TopCountSegment {
        TopCountSegment {
            segment,
            name_len,
            keep,
            found: Vec::new(),
            floor: Score::NEG_INFINITY,
            count: 0,
        }
    }

    fn cut(&mut self) {
        let keep = self.keep;
        if keep == 0 {
            self.found.clear();
            return;
        }
        // After the selection the element at `keep - 1` is the worst of the kept ones.
        let (_, worst, _) = self.found.select_nth_unstable_by(keep - 1, best_first);
        self.floor = worst.0;
        self.found.truncate(keep);
    }
}

impl SegmentCollector for TopCountSegment {
    type Fruit = (Vec<(Score, DocAddress)>, usize);

    fn collect(&mut self, doc: DocId, score: Score) {
        self.count += 1;
        // Every name has a character: a match that cannot beat the floor even so is not read.
        if score - PER_NAME_CHAR <= self.floor {
            return;
        }
        let len = self.name_len.as_ref().map_or(0, |c| c.get_val(doc));
        let score = score - len as f32 * PER_NAME_CHAR;
        // Documents arrive in increasing order, so one tied with the worst kept one ranks below it.
        if score <= self.floor {
            return;
        }
        self.found.push((score, doc));
        if self.found.len() >= 2 * self.keep.max(8) {
            self.cut();
        }
    }

    fn harvest(mut self) -> Self::Fruit {
        if self.found.len() > self.keep {
            self.cut();
        }
        self.found.sort_by(best_first);
        let segment = self.segment;
        let found = self
            .found
            .into_iter()
            .map(|(s, doc)| (s, DocAddress::new(segment, doc)))
            .collect();
        (found, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_best_and_counts_all_with_ties_in_document_order() {
        let mut s = TopCountSegment::new(0, None, 3);
        // Many more documents than kept, so the buffer is cut several times.
        for doc in 0..100u32 {
            s.collect(doc, (doc % 7) as f32);
        }
        let (found, count) = s.harvest();
        assert_eq!(count, 100);
        let docs: Vec<u32> = found.iter().map(|(_, a)| a.doc_id).collect();
        // Score 6 first falls on documents 6, 13, 20.
        assert_eq!(docs, vec![6, 13, 20]);
    }

    #[test]
    fn the_page_skips_the_offset_across_segments() {
        let c = TopCount {
            limit: 2,
            offset: 1,
            lengths: &NameLengths::default(),
        };
        let a = (
            vec![(5.0, DocAddress::new(0, 1)), (3.0, DocAddress::new(0, 2))],
            10,
        );
        let b = (vec![(4.0, DocAddress::new(1, 0))], 7);
        let (page, count) = c.merge_fruits(vec![a, b]).unwrap();
        assert_eq!(count, 17);
        assert_eq!(
            page,
            vec![(4.0, DocAddress::new(1, 0)), (3.0, DocAddress::new(0, 2))]
        );
    }
}
