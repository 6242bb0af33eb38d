//! Facet counts over every match, read from fast-field columns, labelled and ordered for display.

use super::index::SearchIndex;
use super::per_segment::FacetColumns;
use super::request::{Facet, FacetCount, Facets, Filters};
use crate::domain::Catalog;
use std::collections::HashMap;
use std::sync::Arc;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::StrColumn;
use tantivy::{DocAddress, DocId, Score, Searcher, SegmentReader};

impl SearchIndex {
    /// A document's level 1, from the segment's facet columns (opened once per segment).
    pub(super) fn level1_of(&self, searcher: &Searcher, addr: DocAddress) -> String {
        let mut out = String::new();
        let level1 = Facet::ALL.iter().position(|f| *f == Facet::Level1);
        if let Ok(cols) = self
            .facet_columns
            .of(searcher.segment_reader(addr.segment_ord))
            && let Some(Some(col)) = level1.and_then(|i| cols.get(i))
            && let Some(ord) = col.term_ords(addr.doc_id).next()
        {
            let _ = col.ord_to_str(ord, &mut out);
        }
        out
    }

    pub(super) fn facets(&self, counts: Vec<HashMap<String, u64>>, filters: &Filters) -> Facets {
        let catalog = self.catalog();
        let mut by_facet: HashMap<&'static str, Vec<FacetCount>> = HashMap::new();
        for (facet, counts) in Facet::ALL.iter().zip(counts) {
            let mut list: Vec<FacetCount> = counts
                .into_iter()
                .filter(|(v, _)| {
                    !(*facet == Facet::Core
                        && v != "*"
                        && filters.project_type.as_deref() != Some(v))
                })
                .map(|(value, count)| FacetCount {
                    label: facet_label(&catalog, *facet, &value),
                    value,
                    count,
                })
                .collect();
            list.sort_by(|a, b| {
                facet_order(&catalog, *facet, &a.value)
                    .cmp(&facet_order(&catalog, *facet, &b.value))
                    .then(b.count.cmp(&a.count))
                    .then(a.value.cmp(&b.value))
            });
            by_facet.insert(facet.field_name(), list);
        }
        let mut take = |k| by_facet.remove(k).unwrap_or_default();
        Facets {
            level1: take("level1"),
            level2: take("level2"),
            project_type: take("project_type"),
            sector: take("sector"),
            scope: take("scope"),
            core: take("core"),
        }
    }
}

fn facet_label(catalog: &Catalog, facet: Facet, value: &str) -> String {
    match facet {
        Facet::ProjectType => catalog.project_type_name(value).to_string(),
        Facet::Core => "核心指标".to_string(),
        _ => value.to_string(),
    }
}

/// Framework facets follow the framework's order; the others sort by count.
fn facet_order(catalog: &Catalog, facet: Facet, value: &str) -> usize {
    let fw = catalog.framework();
    match facet {
        Facet::Level1 => fw.level1.iter().position(|l| l.name == value),
        Facet::Level2 => fw
            .level1
            .iter()
            .flat_map(|l| l.level2.iter())
            .position(|l| l == value),
        _ => Some(0),
    }
    .unwrap_or(usize::MAX)
}

/// Counts the values of every facet field over all matching documents, from fast-field columns.
pub(super) struct FacetCollector<'a> {
    pub(super) cache: &'a FacetColumns,
}

impl FacetColumns {
    fn of(&self, reader: &SegmentReader) -> tantivy::Result<Arc<Vec<Option<StrColumn>>>> {
        self.get_or(reader, |reader| {
            Facet::ALL
                .iter()
                .map(|f| reader.fast_fields().str(f.field_name()))
                .collect()
        })
    }
}

pub(super) struct FacetSegment {
    columns: Arc<Vec<Option<StrColumn>>>,
    counts: Vec<Vec<u64>>,
}

impl Collector for FacetCollector<'_> {
    type Fruit = Vec<HashMap<String, u64>>;
    type Child = FacetSegment;

    fn for_segment(&self, _: u32, reader: &SegmentReader) -> tantivy::Result<FacetSegment> {
        let columns = self.cache.of(reader)?;
        let counts = columns
            .iter()
            .map(|c| vec![0; c.as_ref().map_or(0, |c| c.num_terms())])
            .collect();
        Ok(FacetSegment { columns, counts })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Self::Fruit>) -> tantivy::Result<Self::Fruit> {
        let mut out: Vec<HashMap<String, u64>> = vec![HashMap::new(); Facet::ALL.len()];
        for fruit in fruits {
            for (acc, m) in out.iter_mut().zip(fruit) {
                for (k, v) in m {
                    *acc.entry(k).or_default() += v;
                }
            }
        }
        Ok(out)
    }
}

impl SegmentCollector for FacetSegment {
    type Fruit = Vec<HashMap<String, u64>>;

    fn collect(&mut self, doc: DocId, _: Score) {
        for (col, counts) in self.columns.iter().zip(self.counts.iter_mut()) {
            if let Some(col) = col {
                for ord in col.term_ords(doc) {
                    counts[ord as usize] += 1;
                }
            }
        }
    }

    fn harvest(self) -> Self::Fruit {
        self.columns
            .iter()
            .zip(self.counts)
            .map(|(col, counts)| {
                let mut m = HashMap::new();
                let Some(col) = col else { return m };
                let mut s = String::new();
                for (ord, n) in counts.into_iter().enumerate().filter(|(_, n)| *n > 0) {
                    s.clear();
                    if col.ord_to_str(ord as u64, &mut s).unwrap_or(false) {
                        m.insert(s.clone(), n);
                    }
                }
                m
            })
            .collect()
    }
}
