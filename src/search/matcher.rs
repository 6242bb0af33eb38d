//! Runs a query plan with one bitset per channel and segment.
//!
//! tantivy's boolean machinery scores every match through nested unions and intersections, and
//! checks phrase positions for documents that another part of the query then rejects; a search of
//! 100,000 indicators spent 55 ns per match there (docs/PERFORMANCE.md). Here every channel of the
//! plan is read once, without scores, into a bitset of its documents; the query's matches are
//! unions and intersections of those bitsets ("two thirds of the words" is a bit-sliced counter),
//! the total is a population count, and a match's score is the sum of the fixed weights of the
//! channels and word parts whose bits it has.

use super::collect::TopCount;
use super::per_segment::PerSegment;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::index::SegmentId;
use tantivy::postings::TermInfo;
use tantivy::query::{EnableScoring, Query, Weight};
use tantivy::schema::IndexRecordOption;
use tantivy::{
    COLLECT_BLOCK_BUFFER_LEN, DocAddress, DocId, DocSet, InvertedIndexReader, Score, Searcher,
    SegmentReader, TERMINATED, Term,
};

/// The documents of one segment, one bit each.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Bits(Vec<u64>);

impl Bits {
    pub fn empty(max_doc: DocId) -> Bits {
        Bits(vec![0; (max_doc as usize).div_ceil(64)])
    }

    pub fn full(max_doc: DocId) -> Bits {
        let mut b = Bits(vec![u64::MAX; (max_doc as usize).div_ceil(64)]);
        let tail = max_doc % 64;
        if tail != 0
            && let Some(last) = b.0.last_mut()
        {
            *last = (1u64 << tail) - 1;
        }
        b
    }

    pub fn insert(&mut self, doc: DocId) {
        self.0[(doc / 64) as usize] |= 1 << (doc % 64);
    }

    pub fn remove(&mut self, doc: DocId) {
        self.0[(doc / 64) as usize] &= !(1 << (doc % 64));
    }

    /// Keeps the documents `keep` says yes to.
    pub fn retain(&mut self, mut keep: impl FnMut(DocId) -> bool) {
        for (i, word) in self.0.iter_mut().enumerate() {
            let mut w = *word;
            while w != 0 {
                let bit = w.trailing_zeros();
                w &= w - 1;
                if !keep(i as DocId * 64 + bit) {
                    *word &= !(1 << bit);
                }
            }
        }
    }

    pub fn contains(&self, doc: DocId) -> bool {
        self.0[(doc / 64) as usize] & (1 << (doc % 64)) != 0
    }

    pub fn union_with(&mut self, other: &Bits) {
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a |= b;
        }
    }

    pub fn intersect_with(&mut self, other: &Bits) {
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a &= b;
        }
    }

    /// The documents, leaving this set empty (same size).
    pub fn take(&mut self) -> Bits {
        let none = Bits(vec![0; self.0.len()]);
        std::mem::replace(self, none)
    }

    pub fn len(&self) -> usize {
        self.0.iter().map(|w| w.count_ones() as usize).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|w| *w == 0)
    }

    pub fn docs(&self) -> impl Iterator<Item = DocId> + '_ {
        self.0.iter().enumerate().flat_map(|(i, &w)| {
            let mut w = w;
            std::iter::from_fn(move || {
                (w != 0).then(|| {
                    let bit = w.trailing_zeros();
                    w &= w - 1;
                    i as DocId * 64 + bit
                })
            })
        })
    }

    /// Documents in at least `min` of `sets`: per 64 documents, `at[k]` holds those seen in at
    /// least `k + 1` sets so far.
    pub fn at_least(sets: &[Bits], min: usize, max_doc: DocId) -> Bits {
        let mut out = Bits::empty(max_doc);
        if min == 0 || sets.len() < min {
            return out;
        }
        let mut at = vec![0u64; min];
        for (i, word) in out.0.iter_mut().enumerate() {
            at.fill(0);
            for s in sets {
                let b = s.0[i];
                for k in (1..min).rev() {
                    at[k] |= at[k - 1] & b;
                }
                at[0] |= b;
            }
            *word = at[min - 1];
        }
        out
    }
}

/// A query's documents in a segment, read without scores; `None` when it has none (most
/// channels of most queries: no allocation for them).
fn pour(weight: &dyn Weight, reader: &SegmentReader) -> tantivy::Result<Option<Bits>> {
    let mut docs = weight.scorer(reader, 1.0)?;
    if docs.doc() == TERMINATED {
        return Ok(None);
    }
    let mut bits = Bits::empty(reader.max_doc());
    let mut buffer = [0; COLLECT_BLOCK_BUFFER_LEN];
    loop {
        let n = docs.fill_buffer(&mut buffer);
        for &d in &buffer[..n] {
            bits.insert(d);
        }
        if n < buffer.len() {
            return Ok(Some(bits));
        }
    }
}

/// A term's documents in a segment, straight from its posting blocks.
fn pour_term(
    inverted: &InvertedIndexReader,
    info: &TermInfo,
    max_doc: DocId,
) -> tantivy::Result<Bits> {
    let mut block = inverted.read_block_postings_from_terminfo(info, IndexRecordOption::Basic)?;
    let mut bits = Bits::empty(max_doc);
    loop {
        let docs = block.docs();
        if docs.is_empty() {
            return Ok(bits);
        }
        for &d in docs {
            bits.insert(d);
        }
        block.advance();
    }
}

/// The document sets of the terms searches read again and again, per index segment: 满意度,
/// 完成率 or 项目 in each field, and the grams a half-typed word shares with its next keystroke.
/// Every set the matcher reads is a non-scoring clause, which is what Lucene's query cache
/// keeps; as there, only sets worth more than a lookup are kept (a few posting blocks or more),
/// the least recently used go first, and the whole is bounded in bytes.
#[derive(Default)]
pub(super) struct TermSets(Mutex<TermSetsInner>);

#[derive(Default)]
struct TermSetsInner {
    sets: HashMap<(SegmentId, Term), (Arc<Bits>, u64)>,
    bytes: usize,
    tick: u64,
}

impl TermSets {
    /// Terms with fewer documents in a segment are read from their postings each time.
    const MIN_DOCS: u32 = 256;
    /// 16 MiB: about 2,700 sets of a 50,000-document segment.
    const MAX_BYTES: usize = 16 << 20;

    fn lock(&self) -> std::sync::MutexGuard<'_, TermSetsInner> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `term`'s documents in the segment of `reader`; `None` when it has none.
    fn get(&self, term: &Term, reader: &SegmentReader) -> tantivy::Result<Option<Arc<Bits>>> {
        let key = (reader.segment_id(), term.clone());
        {
            let mut inner = self.lock();
            inner.tick += 1;
            let tick = inner.tick;
            if let Some((bits, used)) = inner.sets.get_mut(&key) {
                *used = tick;
                return Ok(Some(bits.clone()));
            }
        }
        let inverted = reader.inverted_index(term.field())?;
        let Some(info) = inverted.get_term_info(term)? else {
            return Ok(None);
        };
        let bits = Arc::new(pour_term(&inverted, &info, reader.max_doc())?);
        if info.doc_freq >= Self::MIN_DOCS {
            let mut inner = self.lock();
            let size = bits.0.len() * 8;
            if inner.bytes + size > Self::MAX_BYTES {
                inner.evict_oldest_quarter();
            }
            let tick = inner.tick;
            if inner.sets.insert(key, (bits.clone(), tick)).is_none() {
                inner.bytes += size;
            }
        }
        Ok(Some(bits))
    }
}

impl TermSetsInner {
    /// Drops the least recently used quarter, so eviction is paid once per many insertions.
    /// Sets of segments gone after a rebuild or merge age out the same way.
    fn evict_oldest_quarter(&mut self) {
        let mut ticks: Vec<u64> = self.sets.values().map(|(_, t)| *t).collect();
        let cut = ticks.len() / 4;
        let (_, limit, _) = ticks.select_nth_unstable(cut);
        let limit = *limit;
        self.sets.retain(|_, (_, t)| *t > limit);
        self.bytes = self.sets.values().map(|(b, _)| b.0.len() * 8).sum();
    }
}

/// Documents with every one of `terms`.
fn pour_all(
    terms: &[Term],
    reader: &SegmentReader,
    sets: &TermSets,
) -> tantivy::Result<Option<Arc<Bits>>> {
    let mut found: Option<Arc<Bits>> = None;
    for t in terms {
        let Some(docs) = sets.get(t, reader)? else {
            return Ok(None);
        };
        match &mut found {
            Some(f) => Arc::make_mut(f).intersect_with(&docs),
            None => found = Some(docs),
        }
    }
    Ok(found)
}

/// Every document's `name_chars` in one segment, one after the other in document order (a check
/// walks candidates in that order, so it reads memory forwards).
pub(super) struct Names {
    bytes: Vec<u8>,
    /// Where each document's name ends in `bytes`.
    ends: Vec<u32>,
}

impl Names {
    fn get(&self, doc: DocId) -> &[u8] {
        let d = doc as usize;
        let start = if d == 0 { 0 } else { self.ends[d - 1] as usize };
        &self.bytes[start..self.ends[d] as usize]
    }

    /// Whether the name of `doc` holds `text` (starts with it, when `anchored`).
    fn has(&self, doc: DocId, text: &str, anchored: bool) -> bool {
        let name = self.get(doc);
        if anchored {
            name.starts_with(text.as_bytes())
        } else {
            holds(name, text.as_bytes())
        }
    }
}

/// Whether `hay` contains `needle` (at least two bytes). Names are a few dozen bytes: a plain
/// scan beats a general substring searcher's set-up. The first two bytes of a Chinese character
/// are shared by hundreds of others, so the needle's last byte is compared too before the rest.
fn holds(hay: &[u8], needle: &[u8]) -> bool {
    let n = needle.len();
    let (a, b, z) = (needle[0], needle[1], needle[n - 1]);
    hay.windows(n)
        .any(|w| w[0] == a && w[1] == b && w[n - 1] == z && w == needle)
}

/// The name column of each segment, decoded once (a few megabytes at 100,000 indicators) and
/// kept for the life of the segment, like the facet columns.
#[derive(Default)]
pub(super) struct NameColumns(PerSegment<Names>);

impl NameColumns {
    fn of(&self, reader: &SegmentReader) -> tantivy::Result<Arc<Names>> {
        self.0.get_or(reader, Names::decode)
    }

    /// The name's searchable characters (`word_chars`): tells names apart without reading the
    /// document store.
    pub(super) fn word_chars(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<String> {
        Ok(String::from_utf8_lossy(self.of(reader)?.get(doc)).into_owned())
    }
}

impl Names {
    fn decode(reader: &SegmentReader) -> tantivy::Result<Names> {
        let mut bytes = Vec::new();
        let mut ends = Vec::with_capacity(reader.max_doc() as usize);
        if let Some(col) = reader.fast_fields().str("name_chars")? {
            let mut texts: Vec<Vec<u8>> = Vec::with_capacity(col.num_terms());
            let mut terms = col.dictionary().stream()?;
            while terms.advance() {
                texts.push(terms.key().to_vec());
            }
            for doc in 0..reader.max_doc() {
                if let Some(t) = col
                    .term_ords(doc)
                    .next()
                    .and_then(|o| texts.get(o as usize))
                {
                    bytes.extend_from_slice(t);
                }
                ends.push(bytes.len() as u32);
            }
        } else {
            ends.resize(reader.max_doc() as usize, 0);
        }
        Ok(Names { bytes, ends })
    }
}

/// A word of a segment, scored in one field.
pub(super) struct Part {
    pub label: String,
    pub weight: Score,
    pub term: Term,
}

pub(super) enum How {
    /// The documents of a term.
    Term(Term),
    /// Names holding `text` (at their start when `anchored`): the documents of every trigram,
    /// then each candidate's name checked against the segment's name column. tantivy's phrase
    /// query reads and compares positions for every candidate, which was the largest cost of
    /// searches with four characters or more.
    Contains {
        grams: Vec<Term>,
        text: String,
        anchored: bool,
    },
    /// The documents of a query.
    Query(Box<dyn Query>),
    /// At least `min` of the words, each found through any of its parts (indices into the
    /// channel's parts).
    Words { words: Vec<Vec<usize>>, min: usize },
}

/// One way a segment of the query can match: its documents, and what a match earns.
pub(super) struct Channel {
    pub label: String,
    pub weight: Score,
    pub how: How,
    /// Scored for the documents this channel matches.
    pub parts: Vec<Part>,
}

/// Every segment (space-separated part of the query) must match through one of its channels,
/// and every filter must match.
pub(super) struct Matcher {
    pub segments: Vec<Vec<Channel>>,
    pub filters: Vec<Term>,
}

/// A channel ready to run on every index segment: a query's weight is built once.
struct Prepared<'a> {
    channel: &'a Channel,
    query: Option<Box<dyn Weight>>,
    /// Index of the channel's label; its parts' labels follow it.
    label: usize,
}

/// What one search found.
pub(super) struct Found {
    /// The `offset + limit` best (or the page only, see `Matcher::run`), best first.
    pub top: Vec<(Score, DocAddress)>,
    pub total: usize,
    /// Per facet collector fruit, when asked.
    pub facets: Option<Vec<HashMap<String, u64>>>,
    /// With `explain`: for each document of `top`, the channels and parts it matched.
    pub explain: Vec<(DocAddress, Vec<String>)>,
}

impl Matcher {
    /// Labels of channels and parts in the order `Prepared::label` counts them.
    fn labels(&self) -> Vec<&str> {
        let mut out = Vec::new();
        for ch in self.segments.iter().flatten() {
            out.push(ch.label.as_str());
            out.extend(ch.parts.iter().map(|p| p.label.as_str()));
        }
        out
    }

    /// Runs the plan over every segment of `searcher`. `top` picks and counts; `facets`, when
    /// given, counts facet values over all matches.
    pub fn run<F>(
        &self,
        searcher: &Searcher,
        names: &NameColumns,
        sets: &TermSets,
        top: &TopCount,
        facets: Option<&F>,
        explain: bool,
    ) -> tantivy::Result<Found>
    where
        F: Collector<Fruit = Vec<HashMap<String, u64>>>,
    {
        let scoring = EnableScoring::disabled_from_searcher(searcher);
        let mut label = 0;
        let mut segments = Vec::with_capacity(self.segments.len());
        for seg in &self.segments {
            let mut channels = Vec::with_capacity(seg.len());
            for channel in seg {
                let query = match &channel.how {
                    How::Query(q) => Some(q.weight(scoring)?),
                    _ => None,
                };
                channels.push(Prepared {
                    channel,
                    query,
                    label,
                });
                label += 1 + channel.parts.len();
            }
            segments.push(channels);
        }
        let labels = if explain { self.labels() } else { Vec::new() };

        let mut tops = Vec::new();
        let mut facet_fruits = Vec::new();
        let mut explained = Vec::new();
        for (ord, reader) in searcher.segment_readers().iter().enumerate() {
            let ord = ord as u32;
            let (matched, mut scored, mut unsure) =
                match_segment(&segments, &self.filters, reader, names, sets)?;
            // Scored as if every unchecked run held; the page's documents are then checked, and
            // if one did not hold, the segment is scored again without it (rare: trigrams of a
            // run seldom meet in a name without the run).
            let fruit = loop {
                let mut child = top.for_segment(ord, reader)?;
                score_into(&matched, &scored, |doc, score| child.collect(doc, score));
                let fruit = child.harvest();
                let docs: Vec<DocId> = fruit.0.iter().map(|(_, a)| a.doc_id).collect();
                if !settle(&docs, &mut scored, &mut unsure) {
                    break fruit;
                }
            };
            if explain {
                for (_, addr) in &fruit.0 {
                    let said = scored
                        .iter()
                        .filter(|e| e.contains(addr.doc_id))
                        .map(|e| format!("{}：{:.2}", labels[e.label], e.weight))
                        .collect();
                    explained.push((*addr, said));
                }
            }
            tops.push(fruit);
            if let Some(f) = facets {
                let mut child = f.for_segment(ord, reader)?;
                for doc in matched.docs() {
                    child.collect(doc, 0.0);
                }
                facet_fruits.push(child.harvest());
            }
        }
        let (top, total) = top.merge_fruits(tops)?;
        let facets = match facets {
            Some(f) => Some(f.merge_fruits(facet_fruits)?),
            None => None,
        };
        Ok(Found {
            top,
            total,
            facets,
            explain: explained,
        })
    }
}

/// What a match earns: `weight` for each document of `docs` (and of `within`, when given: a
/// word part earns only where its channel matched). Sets are shared with the term cache, so a
/// part is masked when scored rather than intersected in a copy.
struct Earner {
    label: usize,
    weight: Score,
    docs: Arc<Bits>,
    within: Option<Arc<Bits>>,
}

impl Earner {
    fn word(&self, i: usize) -> u64 {
        let w = self.docs.0[i];
        match &self.within {
            Some(m) => w & m.0[i],
            None => w,
        }
    }

    fn contains(&self, doc: DocId) -> bool {
        self.docs.contains(doc) && self.within.as_ref().is_none_or(|m| m.contains(doc))
    }
}

type Scored = Vec<Earner>;

/// A channel's documents in one segment. A substring channel owes a check of its candidates
/// (its trigrams only say "maybe"): `check` holds the text and whether it must start the name.
struct ChannelDocs<'a> {
    label: usize,
    weight: Score,
    docs: Arc<Bits>,
    check: Option<(&'a str, bool)>,
}

/// Documents a substring channel earns its weight for on trust so far: they match through
/// another channel of their segment anyway, so only their score depends on the check, and only
/// the page's documents are checked (`settle`).
struct Unsure {
    label: usize,
    text: String,
    docs: Bits,
    names: Arc<Names>,
}

/// Once a document of the page fails its check, its channel's other trusted documents are as
/// likely to fail, and each that reached the page would cost another scoring of the segment: up
/// to this many are then checked at once (a check is one short scan; a scoring visits every match).
const SETTLE_AT_ONCE: usize = 4096;

/// Checks the documents of `page` still taken on trust; a document whose name does not hold the
/// run loses that channel's weight. Whether any did (the page must then be scored again).
fn settle(page: &[DocId], scored: &mut Scored, unsure: &mut [Unsure]) -> bool {
    let mut changed = false;
    for u in unsure.iter_mut() {
        let mut lost = Vec::new();
        for &doc in page {
            if u.docs.contains(doc) {
                u.docs.remove(doc);
                if !u.names.has(doc, &u.text, false) {
                    lost.push(doc);
                }
            }
        }
        if lost.is_empty() {
            continue;
        }
        if u.docs.len() <= SETTLE_AT_ONCE {
            let rest = u.docs.take();
            lost.extend(rest.docs().filter(|&d| !u.names.has(d, &u.text, false)));
        }
        for e in scored.iter_mut().filter(|e| e.label == u.label) {
            let docs = Arc::make_mut(&mut e.docs);
            for &doc in &lost {
                docs.remove(doc);
            }
        }
        changed = true;
    }
    changed
}

/// The segment's matches (alive documents only), the sets that score them, and what is still
/// taken on trust.
fn match_segment(
    segments: &[Vec<Prepared>],
    filters: &[Term],
    reader: &SegmentReader,
    names: &NameColumns,
    sets: &TermSets,
) -> tantivy::Result<(Bits, Scored, Vec<Unsure>)> {
    let max_doc = reader.max_doc();
    let mut scored: Scored = Vec::new();
    // Per segment of the query, each channel's documents.
    let mut found: Vec<Vec<ChannelDocs>> = Vec::new();
    for seg in segments {
        let mut channels = Vec::new();
        for prepared in seg {
            let ch = prepared.channel;
            let mut parts = Vec::with_capacity(ch.parts.len());
            for p in &ch.parts {
                parts.push((p.weight, sets.get(&p.term, reader)?));
            }
            let mut check = None;
            let docs = match (&ch.how, &prepared.query) {
                (How::Term(t), _) => sets.get(t, reader)?,
                (
                    How::Contains {
                        grams,
                        text,
                        anchored,
                    },
                    _,
                ) => {
                    check = Some((text.as_str(), *anchored));
                    pour_all(grams, reader, sets)?
                }
                (How::Query(_), Some(w)) => pour(w.as_ref(), reader)?.map(Arc::new),
                (How::Query(_), None) => None,
                (How::Words { words, min }, _) => {
                    let mut per_word: Vec<Bits> = words
                        .iter()
                        .map(|idx| {
                            let mut b = Bits::empty(max_doc);
                            for p in idx.iter().filter_map(|&i| parts[i].1.as_ref()) {
                                b.union_with(p);
                            }
                            b
                        })
                        .collect();
                    let docs = if per_word.len() == 1 {
                        per_word.pop()
                    } else {
                        Some(Bits::at_least(&per_word, *min, max_doc))
                    };
                    docs.map(Arc::new)
                }
            };
            let Some(docs) = docs.filter(|d| !d.is_empty()) else {
                continue;
            };
            for (i, (weight, bits)) in parts.into_iter().enumerate() {
                if let Some(bits) = bits {
                    scored.push(Earner {
                        label: prepared.label + 1 + i,
                        weight,
                        docs: bits,
                        within: Some(docs.clone()),
                    });
                }
            }
            channels.push(ChannelDocs {
                label: prepared.label,
                weight: ch.weight,
                docs,
                check,
            });
        }
        found.push(channels);
    }
    let matched_by = |found: &[Vec<ChannelDocs>]| {
        let mut matched: Option<Bits> = None;
        for channels in found {
            let mut any = Bits::empty(max_doc);
            for c in channels {
                any.union_with(&c.docs);
            }
            match &mut matched {
                Some(m) => m.intersect_with(&any),
                None => matched = Some(any),
            }
        }
        matched.unwrap_or_else(|| Bits::full(max_doc))
    };
    let mut matched = matched_by(&found);
    for f in filters {
        if matched.is_empty() {
            break;
        }
        match sets.get(f, reader)? {
            Some(docs) => matched.intersect_with(&docs),
            None => matched = Bits::empty(max_doc),
        }
    }
    // Substrings are checked only where the rest of the query matches too: a long segment beside
    // a selective one checks a handful of names, not thousands. A name's start is one comparison
    // and is checked at once; a run anywhere in the name is checked at once only where the
    // segment has no other way to match (the match itself depends on it), and otherwise only for
    // the documents that reach the page (see `Unsure`).
    let mut unsure = Vec::new();
    let owed = found.iter().flatten().any(|c| c.check.is_some());
    if owed && !matched.is_empty() {
        let names = names.of(reader)?;
        for c in found.iter_mut().flatten() {
            if let Some((text, true)) = c.check {
                c.check = None;
                let docs = Arc::make_mut(&mut c.docs);
                docs.intersect_with(&matched);
                docs.retain(|d| names.has(d, text, true));
            }
        }
        for channels in found.iter_mut() {
            if !channels.iter().any(|c| c.check.is_some()) {
                continue;
            }
            let mut sure = Bits::empty(max_doc);
            for c in channels.iter().filter(|c| c.check.is_none()) {
                sure.union_with(&c.docs);
            }
            for c in channels.iter_mut() {
                let Some((text, _)) = c.check.take() else {
                    continue;
                };
                let docs = Arc::make_mut(&mut c.docs);
                docs.intersect_with(&matched);
                docs.retain(|d| sure.contains(d) || names.has(d, text, false));
                let mut trusted = docs.clone();
                trusted.intersect_with(&sure);
                if !trusted.is_empty() {
                    unsure.push(Unsure {
                        label: c.label,
                        text: text.to_string(),
                        docs: trusted,
                        names: names.clone(),
                    });
                }
            }
        }
        matched.intersect_with(&matched_by(&found));
    }
    if let Some(alive) = reader.alive_bitset() {
        matched.retain(|d| alive.is_alive(d));
    }
    for c in found.into_iter().flatten() {
        scored.push(Earner {
            label: c.label,
            weight: c.weight,
            docs: c.docs,
            within: None,
        });
    }
    scored.retain(|e| e.weight != 0.0);
    Ok((matched, scored, unsure))
}

/// Calls `each` with every match and its score, in document order.
fn score_into(matched: &Bits, scored: &Scored, mut each: impl FnMut(DocId, Score)) {
    let mut local = [0.0 as Score; 64];
    for (i, &m) in matched.0.iter().enumerate() {
        if m == 0 {
            continue;
        }
        for e in scored {
            let mut b = e.word(i) & m;
            while b != 0 {
                local[b.trailing_zeros() as usize] += e.weight;
                b &= b - 1;
            }
        }
        let mut b = m;
        while b != 0 {
            let j = b.trailing_zeros() as usize;
            b &= b - 1;
            each(i as DocId * 64 + j as DocId, local[j]);
            local[j] = 0.0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bits(max: DocId, docs: &[DocId]) -> Bits {
        let mut b = Bits::empty(max);
        for d in docs {
            b.insert(*d);
        }
        b
    }

    #[test]
    fn at_least_counts_the_sets_a_document_is_in() {
        let sets = [
            bits(200, &[1, 2, 3, 130]),
            bits(200, &[2, 3, 130, 199]),
            bits(200, &[3, 5, 199]),
        ];
        let docs = |min| Bits::at_least(&sets, min, 200).docs().collect::<Vec<_>>();
        assert_eq!(docs(1), vec![1, 2, 3, 5, 130, 199]);
        assert_eq!(docs(2), vec![2, 3, 130, 199]);
        assert_eq!(docs(3), vec![3]);
        assert!(docs(4).is_empty());
    }

    #[test]
    fn term_sets_drop_the_least_recently_used_quarter() {
        let field = tantivy::schema::Field::from_field_id(0);
        let mut inner = TermSetsInner::default();
        for i in 0..8u64 {
            let key = (SegmentId::generate_random(), Term::from_field_u64(field, i));
            inner.sets.insert(key, (Arc::new(Bits::empty(640)), i));
            inner.bytes += 80;
        }
        inner.evict_oldest_quarter();
        let mut left: Vec<u64> = inner.sets.values().map(|(_, t)| *t).collect();
        left.sort_unstable();
        assert_eq!(left, vec![3, 4, 5, 6, 7]);
        assert_eq!(inner.bytes, 5 * 80);
    }

    #[test]
    fn holds_finds_a_run_anywhere_in_a_name() {
        let name = "甲乙丙乙丙丁数量".as_bytes();
        assert!(holds(name, "乙丙丁".as_bytes()));
        assert!(holds(name, "甲乙丙乙".as_bytes()));
        assert!(holds(name, "数量".as_bytes()));
        assert!(!holds(name, "甲乙丙丁".as_bytes()));
        assert!(!holds("数量".as_bytes(), "数量指标".as_bytes()));
    }

    #[test]
    fn full_sets_only_the_segment_s_documents() {
        let f = Bits::full(130);
        assert_eq!(f.len(), 130);
        assert_eq!(f.docs().last(), Some(129));
        assert_eq!(Bits::full(128).len(), 128);
    }

    #[test]
    fn scores_add_the_weights_a_document_earns() {
        let matched = bits(100, &[3, 70, 99]);
        let earner = |weight, docs: &[DocId], within: Option<&[DocId]>| Earner {
            label: 0,
            weight,
            docs: Arc::new(bits(100, docs)),
            within: within.map(|w| Arc::new(bits(100, w))),
        };
        let scored: Scored = vec![
            earner(25.0, &[3, 70, 80], None),
            earner(0.5, &[70, 99], None),
            // A word part earns only where its channel matched.
            earner(3.0, &[3, 99], Some(&[99])),
        ];
        let mut got = Vec::new();
        score_into(&matched, &scored, |d, s| got.push((d, s)));
        assert_eq!(got, vec![(3, 25.0), (70, 25.5), (99, 3.5)]);
    }

    #[test]
    fn a_failed_check_on_the_page_settles_the_channel_s_other_trusted_documents() {
        let list = [
            "食品抽检合格率",
            "食品抽检数量",
            "抽检合格食品数",
            "食品抽检合格批次",
        ];
        let mut names = Names {
            bytes: Vec::new(),
            ends: Vec::new(),
        };
        for n in list {
            names.bytes.extend_from_slice(n.as_bytes());
            names.ends.push(names.bytes.len() as u32);
        }
        let all = bits(4, &[0, 1, 2, 3]);
        let mut scored: Scored = vec![Earner {
            label: 7,
            weight: 10.0,
            docs: Arc::new(all.clone()),
            within: None,
        }];
        let mut unsure = vec![Unsure {
            label: 7,
            text: "食品抽检合".into(),
            docs: all,
            names: Arc::new(names),
        }];
        // The page holds document 0, which passes: nothing changes, nothing else is checked.
        assert!(!settle(&[0], &mut scored, &mut unsure));
        assert_eq!(unsure[0].docs.docs().collect::<Vec<_>>(), vec![1, 2, 3]);
        // Document 1 fails: document 2 (not on the page) is settled with it, 3 keeps its weight.
        assert!(settle(&[1], &mut scored, &mut unsure));
        assert_eq!(scored[0].docs.docs().collect::<Vec<_>>(), vec![0, 3]);
        assert!(unsure[0].docs.is_empty());
        assert!(!settle(&[0, 3], &mut scored, &mut unsure));
    }
}
