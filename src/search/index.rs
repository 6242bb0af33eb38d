//! The index's life cycle: open or rebuild, write, and the in-memory table of indicators hits
//! are read from.

use super::schema::{self, Fields, SCHEMA_VERSION};
use super::tokenizer::{
    GRAM, GramTokenizer, INITIALS, JiebaTokenizer, LIST, LIST_SEPARATOR, ListTokenizer, PINYIN,
    PREFIX, PinyinTokenizer, PrefixTokenizer, ZH,
};
use super::type_words::CatalogWords;
use super::vocab::Vocabulary;
use crate::domain::{Catalog, Indicator};
use crate::text::{normalize, word_chars};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use tantivy::index::SegmentId;
use tantivy::schema::{Schema, Value};
use tantivy::tokenizer::{TokenStream, Tokenizer};
use tantivy::{DocId, Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term, doc};

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("索引错误：{0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("索引目录错误：{0}")]
    Io(#[from] std::io::Error),
    #[error("查询过长：最多 {max} 个字符，收到 {got} 个")]
    QueryTooLong { max: usize, got: usize },
    #[error("{0}")]
    BadRequest(String),
    #[error("读取指标失败：{0}")]
    Source(String),
}

const META_FILE: &str = "zhibiao-index.json";

/// A hit as shown: the indicator, with its name and definition normalised for highlighting.
pub(super) struct Shown {
    pub indicator: Arc<Indicator>,
    pub name: Vec<char>,
    /// Normalised when a snippet first needs it: suggestions show names only.
    definition: std::sync::OnceLock<Vec<char>>,
}

impl Shown {
    pub fn definition(&self) -> &[char] {
        self.definition
            .get_or_init(|| normalize(&self.indicator.definition).chars().collect())
    }
}

/// Hits shown lately, by segment and document (a segment never changes, so neither does an
/// entry). The same indicators come up query after query (满意度 ones above all), and reading one
/// from the doc store, parsing its JSON and normalising its text cost as much as matching a small
/// query. Entries of merged-away segments are never asked for again: the map is emptied when full.
#[derive(Default)]
struct ShownCache(Mutex<HashMap<(SegmentId, DocId), Arc<Shown>>>);

const SHOWN_CAPACITY: usize = 4096;

/// The words of project types, split once per write: a catalog has a few dozen types, and every
/// indicator of a type repeats its words. Keyed by type code (a catalog type: its name and
/// keywords) or by name (a type the catalog does not know).
#[derive(Default)]
struct TypeWords(FxHashMap<String, Vec<String>>);

impl TypeWords {
    fn of<'t>(
        &mut self,
        words: &JiebaTokenizer,
        key: &str,
        texts: impl IntoIterator<Item = &'t String>,
    ) -> &[String] {
        if !self.0.contains_key(key) {
            let mut found = Vec::new();
            for text in texts {
                let mut stream = words.clone().token_stream(text);
                while stream.advance() {
                    found.push(stream.token().text.clone());
                }
            }
            found.sort_unstable();
            found.dedup();
            self.0.insert(key.to_string(), found);
        }
        &self.0[key]
    }
}

/// What an index on disk was built from; any difference means a rebuild.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct IndexMeta {
    schema: u32,
    vocabulary: String,
    /// The store generation the index reflects.
    generation: u64,
}

pub struct SearchIndex {
    pub(super) reader: IndexReader,
    index: Index,
    /// Serialises writers. A writer is created per write and dropped after its commit: it holds a
    /// memory arena (tens of MiB) that an idle server should not keep.
    write_lock: Mutex<()>,
    pub(super) fields: Fields,
    pub(super) words: JiebaTokenizer,
    pub(super) vocab: Arc<Vocabulary>,
    /// The catalog the indicators are shown with (project type names, framework order), with
    /// its types' recognition words, replaced together.
    catalog: RwLock<(Arc<Catalog>, Arc<CatalogWords>)>,
    pub(super) facet_columns: super::per_segment::FacetColumns,
    pub(super) name_lengths: super::collect::NameLengths,
    pub(super) names: super::matcher::NameColumns,
    pub(super) term_sets: super::matcher::TermSets,
    pub(super) doc_freqs: super::doc_freqs::DocFreqs,
    shown: ShownCache,
    dir: Option<PathBuf>,
    /// Test-only (see `fail_next_writes`): how many of the next writes fail.
    failures_to_inject: AtomicUsize,
    /// Held from a store commit that changes what is indexed until the index has taken it
    /// (`ordered`), so generations are recorded in the order the store made them.
    order: Mutex<()>,
    /// Which store generation the index holds, and whether it missed a change since.
    taken: Mutex<Taken>,
}

/// The store generation the index holds; `stale` (why) once a write failed: the index then
/// misses a published change, records no generation and is rebuilt (`rebuild_from`).
#[derive(Debug, Default)]
struct Taken {
    generation: u64,
    stale: Option<String>,
}

/// Hits are read from the doc store one by one: small blocks keep each read to one indicator or
/// two instead of decompressing 16 KiB (the default) for every hit.
fn settings() -> tantivy::IndexSettings {
    tantivy::IndexSettings {
        docstore_blocksize: 2048,
        // Compressing on the indexing threads costs less than handing every small block to a
        // thread of its own (a channel send and a wake-up each): about 8 % of a full build's CPU.
        docstore_compress_dedicated_thread: false,
        ..Default::default()
    }
}

fn register_tokenizers(index: &Index, vocab: &Vocabulary) -> JiebaTokenizer {
    let words = JiebaTokenizer::new(vocab);
    let t = index.tokenizers();
    t.register(ZH, words.clone());
    t.register(GRAM, GramTokenizer);
    t.register(PREFIX, PrefixTokenizer);
    t.register(LIST, ListTokenizer);
    t.register(PINYIN, PinyinTokenizer::new(&words, false));
    t.register(INITIALS, PinyinTokenizer::new(&words, true));
    words
}

impl SearchIndex {
    /// Opens the index in `dir` when it was built from the same schema, vocabulary and store
    /// generation; otherwise rebuilds it from `indicators`. Returns whether it rebuilt.
    /// `indicators` is only called when the index has to be rebuilt, and is read one indicator
    /// at a time: a 100,000-indicator library is never held in memory beside the indexer.
    pub fn open_or_build<I>(
        dir: &Path,
        vocab: Arc<Vocabulary>,
        catalog: Arc<Catalog>,
        indicators: impl FnOnce() -> I,
        generation: u64,
    ) -> Result<(SearchIndex, bool), SearchError>
    where
        I: IntoIterator<Item = Result<Indicator, String>>,
    {
        let wanted = IndexMeta {
            schema: SCHEMA_VERSION,
            vocabulary: vocab.hash.clone(),
            generation,
        };
        let current: Option<IndexMeta> = std::fs::read(dir.join(META_FILE))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok());
        if current.as_ref() == Some(&wanted)
            && let Ok(index) = Index::open_in_dir(dir)
        {
            let s = Self::with_index(index, vocab, catalog, Some(dir.into()))?;
            s.taken().generation = generation;
            return Ok((s, false));
        }
        if dir.exists() {
            std::fs::remove_dir_all(dir)?;
        }
        std::fs::create_dir_all(dir)?;
        let index = Index::builder()
            .schema(schema::build().0)
            .settings(settings())
            .create_in_dir(dir)?;
        let s = Self::with_index(index, vocab, catalog, Some(dir.into()))?;
        s.rebuild(indicators(), generation)?;
        Ok((s, true))
    }

    /// An index in memory (tests, benchmarks of the engine alone).
    pub fn in_ram(
        vocab: Arc<Vocabulary>,
        catalog: Arc<Catalog>,
        indicators: Vec<Indicator>,
    ) -> Result<SearchIndex, SearchError> {
        let index = Index::builder()
            .schema(schema::build().0)
            .settings(settings())
            .create_in_ram()?;
        let s = Self::with_index(index, vocab, catalog, None)?;
        s.rebuild(indicators.into_iter().map(Ok), 0)?;
        Ok(s)
    }

    fn with_index(
        index: Index,
        vocab: Arc<Vocabulary>,
        catalog: Arc<Catalog>,
        dir: Option<PathBuf>,
    ) -> Result<SearchIndex, SearchError> {
        let words = register_tokenizers(&index, &vocab);
        let catalog_words = Arc::new(CatalogWords::new(&catalog, &vocab));
        let fields = fields_of(&index.schema());
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(SearchIndex {
            reader,
            index,
            write_lock: Mutex::new(()),
            fields,
            words,
            vocab,
            catalog: RwLock::new((catalog, catalog_words)),
            facet_columns: Default::default(),
            name_lengths: Default::default(),
            names: Default::default(),
            term_sets: Default::default(),
            doc_freqs: Default::default(),
            shown: Default::default(),
            dir,
            failures_to_inject: AtomicUsize::new(0),
            order: Mutex::new(()),
            taken: Mutex::new(Taken::default()),
        })
    }

    /// Test-only: the next `n` index writes fail as they would on a full disk, before they
    /// touch the index (`usize::MAX`: every write until the index is opened again). Integration
    /// tests use it to check what a published change the index could not take leads to; the
    /// application never calls it.
    #[doc(hidden)]
    pub fn fail_next_writes(&self, n: usize) {
        self.failures_to_inject.store(n, Ordering::SeqCst);
    }

    fn injected_failure(&self) -> Result<(), SearchError> {
        let left = self.failures_to_inject.load(Ordering::SeqCst);
        if left == 0 {
            return Ok(());
        }
        if left != usize::MAX {
            self.failures_to_inject.store(left - 1, Ordering::SeqCst);
        }
        Err(SearchError::Io(std::io::Error::other(
            "injected index write failure (test)",
        )))
    }

    /// One writer thread: on two cores it is as fast as two and leaves one segment per commit.
    fn writer(&self) -> Result<IndexWriter, SearchError> {
        Ok(self.index.writer_with_num_threads(1, 32_000_000)?)
    }

    fn document(
        &self,
        ind: &Indicator,
        catalog: &Catalog,
        type_words: &mut TypeWords,
    ) -> TantivyDocument {
        let f = &self.fields;
        // An indicator's JSON is about a kilobyte: one allocation instead of a doubling series.
        let mut json = Vec::with_capacity(1024);
        serde_json::to_writer(&mut json, ind).expect("indicators serialize");
        let mut d = doc!(
            f.code => ind.code.as_str(),
            f.name => ind.name.as_str(),
            f.name_gram => ind.name.as_str(),
            f.name_exact => normalize(&ind.name),
            f.name_prefix => ind.name.as_str(),
            f.definition => ind.definition.as_str(),
            f.pinyin => ind.name.as_str(),
            f.initials => ind.name.as_str(),
            f.level1 => ind.level1.as_str(),
            f.level2 => ind.level2.as_str(),
            f.scope => ind.scope().label(),
            f.name_len => ind.name.chars().count() as u64,
            f.name_chars => word_chars(&ind.name),
            f.json => json,
        );
        let code_lc = ind.code.as_str().to_ascii_lowercase();
        if code_lc != ind.code.as_str() {
            d.add_text(f.code_lc, code_lc);
        }
        for a in &ind.aliases {
            d.add_text(f.aliases, a);
            d.add_text(f.alias_gram, a);
            d.add_text(f.alias_exact, normalize(a));
        }
        let mut sectors: Vec<&str> = Vec::new();
        let mut words: Vec<String> = Vec::new();
        for t in catalog.types_of(&ind.project_types, &ind.natures) {
            d.add_text(f.project_type, &t.code);
            // A common indicator fits every type of its spending natures: dozens of type names
            // and keywords would let it match almost any project name through them alone. It is
            // found by its natures' labels instead (补助补贴类), and filters by every type.
            if ind.natures.is_empty() {
                let texts = std::iter::once(&t.name).chain(&t.keywords);
                words.extend_from_slice(type_words.of(&self.words, &t.code, texts));
            }
            for s in &t.sectors {
                if !sectors.contains(&s.as_str()) {
                    sectors.push(s);
                }
            }
        }
        for n in &ind.natures {
            if let Some(label) = catalog.natures.get(n) {
                let key = format!("nature:{n}");
                words.extend_from_slice(type_words.of(&self.words, &key, [label]));
            }
        }
        // Types named by the indicator but unknown to the catalog (external corpora) still filter.
        for t in &ind.project_types {
            if catalog.project_type(t).is_none() {
                d.add_text(f.project_type, t);
                words.extend_from_slice(type_words.of(&self.words, t, [t]));
            }
        }
        if !words.is_empty() {
            // The field keeps documents only, so a word named by two types counts once anyway.
            words.sort_unstable();
            words.dedup();
            d.add_text(f.types, words.join(&LIST_SEPARATOR.to_string()));
        }
        for s in sectors {
            d.add_text(f.sector, s);
        }
        for c in &ind.core {
            d.add_text(f.core, c);
        }
        if !ind.core.is_empty() {
            d.add_text(f.core, "*");
        }
        d
    }

    fn rebuild(
        &self,
        indicators: impl IntoIterator<Item = Result<Indicator, String>>,
        generation: u64,
    ) -> Result<(), SearchError> {
        let catalog = self.catalog();
        let _guard = self.write_lock.lock().unwrap_or_else(|e| e.into_inner());
        self.injected_failure()?;
        // A full rebuild tokenizes on two threads while this one builds documents.
        // 64 MB per thread: a 100,000-indicator library ends in two segments, which search as
        // fast as one merged segment (a merge would add half the build time).
        let mut w = self.index.writer_with_num_threads(2, 128_000_000)?;
        w.delete_all_documents()?;
        let mut type_words = TypeWords::default();
        for ind in indicators {
            let ind = ind.map_err(SearchError::Source)?;
            if ind.is_active() {
                w.add_document(self.document(&ind, &catalog, &mut type_words))?;
            }
        }
        w.commit()?;
        w.wait_merging_threads()?;
        self.reader.reload()?;
        self.write_meta(generation)?;
        *self.taken() = Taken {
            generation,
            stale: None,
        };
        Ok(())
    }

    /// Rebuilds the index from every indicator of the store at `generation` (read under
    /// `ordered`): how an index that missed a change is brought back in line.
    pub fn rebuild_from(
        &self,
        indicators: impl IntoIterator<Item = Result<Indicator, String>>,
        generation: u64,
    ) -> Result<(), SearchError> {
        self.rebuild(indicators, generation)
            .inspect_err(|e| self.mark_stale(e.to_string()))
    }

    /// Replaces the given indicators (retired ones leave the index) and commits, so the next
    /// search sees them; then records `generation`, the store's after the commit that wrote
    /// them (call under `ordered`). A failure marks the index stale.
    pub fn upsert(&self, indicators: &[Indicator], generation: u64) -> Result<(), SearchError> {
        self.take(indicators)
            .and_then(|()| match self.stale() {
                // Changes before these are missing: only a rebuild may record a generation.
                Some(_) => Ok(()),
                None => self.write_meta(generation),
            })
            .inspect_err(|e| self.mark_stale(e.to_string()))?;
        let mut taken = self.taken();
        if taken.stale.is_none() {
            taken.generation = generation;
        }
        Ok(())
    }

    fn take(&self, indicators: &[Indicator]) -> Result<(), SearchError> {
        if indicators.is_empty() {
            return Ok(());
        }
        let catalog = self.catalog();
        {
            let _guard = self.write_lock.lock().unwrap_or_else(|e| e.into_inner());
            self.injected_failure()?;
            let mut w = self.writer()?;
            let mut type_words = TypeWords::default();
            for ind in indicators {
                w.delete_term(Term::from_field_text(self.fields.code, ind.code.as_str()));
                if ind.is_active() {
                    w.add_document(self.document(ind, &catalog, &mut type_words))?;
                }
            }
            w.commit()?;
            w.wait_merging_threads()?;
        }
        self.reader.reload()?;
        Ok(())
    }

    /// Held while a store commit and the index update that follows it run, so the index takes
    /// changes and records generations in the order the store made them.
    pub fn ordered(&self) -> std::sync::MutexGuard<'_, ()> {
        self.order.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The store generation the index holds every change of.
    pub fn generation(&self) -> u64 {
        self.taken().generation
    }

    /// Why the index misses a published change, until it is rebuilt.
    pub fn stale(&self) -> Option<String> {
        self.taken().stale.clone()
    }

    /// Records that the index misses a published change. The recorded generation is removed
    /// from disk (which needs no free space), so the next start rebuilds even if nothing else
    /// gets to.
    pub fn mark_stale(&self, why: String) {
        tracing::error!(%why, "the search index missed a published change; it will be rebuilt");
        if let Some(dir) = &self.dir
            && let Err(e) = std::fs::remove_file(dir.join(META_FILE))
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::error!(error = %e, "could not mark the index stale on disk");
        }
        self.taken().stale = Some(why);
    }

    fn taken(&self) -> std::sync::MutexGuard<'_, Taken> {
        self.taken.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn write_meta(&self, generation: u64) -> Result<(), SearchError> {
        let Some(dir) = &self.dir else { return Ok(()) };
        let meta = IndexMeta {
            schema: SCHEMA_VERSION,
            vocabulary: self.vocab.hash.clone(),
            generation,
        };
        let tmp = dir.join(format!("{META_FILE}.tmp"));
        std::fs::write(&tmp, serde_json::to_vec(&meta).expect("meta serializes"))?;
        std::fs::rename(tmp, dir.join(META_FILE))?;
        Ok(())
    }

    /// Shows indicators with a new catalog (e.g. after an edition is frozen); the documents are
    /// unchanged, so nothing is reindexed.
    pub fn set_catalog(&self, catalog: Catalog) {
        // Weighed before the lock is taken: readers wait for the swap only.
        let words = Arc::new(CatalogWords::new(&catalog, &self.vocab));
        *self.catalog.write().unwrap_or_else(|e| e.into_inner()) = (Arc::new(catalog), words);
    }

    pub fn catalog(&self) -> Arc<Catalog> {
        self.catalog_words().0
    }

    /// The catalog and its types' recognition words, of the same generation.
    pub fn catalog_words(&self) -> (Arc<Catalog>, Arc<CatalogWords>) {
        self.catalog
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The published indicator stored with a hit.
    pub(super) fn indicator_at(
        &self,
        searcher: &tantivy::Searcher,
        addr: tantivy::DocAddress,
    ) -> Option<Arc<Indicator>> {
        let d: TantivyDocument = searcher.doc(addr).ok()?;
        let bytes = d.get_first(self.fields.json)?.as_bytes()?;
        serde_json::from_slice(bytes).ok().map(Arc::new)
    }

    /// A hit ready to be shown, from the cache when it was shown lately.
    pub(super) fn shown(
        &self,
        searcher: &tantivy::Searcher,
        addr: tantivy::DocAddress,
    ) -> Option<Arc<Shown>> {
        let key = (
            searcher.segment_reader(addr.segment_ord).segment_id(),
            addr.doc_id,
        );
        let cache = || self.shown.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(s) = cache().get(&key) {
            return Some(s.clone());
        }
        let indicator = self.indicator_at(searcher, addr)?;
        let shown = Arc::new(Shown {
            name: normalize(&indicator.name).chars().collect(),
            definition: Default::default(),
            indicator,
        });
        let mut map = cache();
        if map.len() >= SHOWN_CAPACITY {
            map.clear();
        }
        map.insert(key, shown.clone());
        Some(shown)
    }

    /// A published (active) indicator by code.
    pub fn get(&self, code: &str) -> Option<Arc<Indicator>> {
        let searcher = self.reader.searcher();
        let q = tantivy::query::TermQuery::new(
            Term::from_field_text(self.fields.code, code),
            tantivy::schema::IndexRecordOption::Basic,
        );
        let top = searcher
            .search(
                &q,
                &tantivy::collector::TopDocs::with_limit(1).order_by_score(),
            )
            .ok()?;
        top.first()
            .and_then(|(_, a)| self.indicator_at(&searcher, *a))
    }

    /// Number of published indicators in the index.
    pub fn len(&self) -> usize {
        self.reader.searcher().num_docs() as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes used by the index files (0 in memory).
    pub fn size_on_disk(&self) -> u64 {
        let Some(dir) = &self.dir else { return 0 };
        std::fs::read_dir(dir)
            .map(|rd| {
                rd.filter_map(|e| e.ok())
                    .filter_map(|e| e.metadata().ok())
                    .map(|m| m.len())
                    .sum()
            })
            .unwrap_or(0)
    }

    pub fn vocabulary(&self) -> &Vocabulary {
        &self.vocab
    }
}

fn fields_of(schema: &Schema) -> Fields {
    let f = |name: &str| schema.get_field(name).expect("schema has every field");
    Fields {
        code: f("code"),
        code_lc: f("code_lc"),
        name: f("name"),
        name_gram: f("name_gram"),
        name_exact: f("name_exact"),
        name_prefix: f("name_prefix"),
        aliases: f("aliases"),
        alias_gram: f("alias_gram"),
        alias_exact: f("alias_exact"),
        definition: f("definition"),
        types: f("types"),
        pinyin: f("pinyin"),
        initials: f("initials"),
        level1: f("level1"),
        level2: f("level2"),
        project_type: f("project_type"),
        sector: f("sector"),
        scope: f("scope"),
        core: f("core"),
        name_len: f("name_len"),
        name_chars: f("name_chars"),
        json: f("json"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::library;
    use crate::search::vocab;

    fn open(dir: &Path, inds: &[Indicator], generation: u64) -> (SearchIndex, bool) {
        let lib = library::load_dir(&library::default_dir()).unwrap();
        let all = inds.to_vec();
        SearchIndex::open_or_build(
            dir,
            Arc::new(Vocabulary::load(&vocab::default_dir()).unwrap()),
            Arc::new(lib.catalog),
            || all.into_iter().map(Ok),
            generation,
        )
        .unwrap()
    }

    /// A failed write leaves the index stale: no later write records a generation (so the
    /// next start rebuilds) until a rebuild from the store brings it back in line.
    #[test]
    fn an_index_that_missed_a_change_records_no_generation_until_rebuilt() {
        let dir = tempfile::tempdir().unwrap();
        let lib = library::load_dir(&library::default_dir()).unwrap();
        let mut inds: Vec<Indicator> = lib.indicators.into_iter().take(5).collect();
        let (index, rebuilt) = open(dir.path(), &inds, 1);
        assert!(rebuilt);
        inds[0].target = "1".into();
        index.upsert(&inds[..1], 2).unwrap();
        assert_eq!((index.generation(), index.stale()), (2, None));

        index.fail_next_writes(1);
        inds[1].target = "2".into();
        assert!(index.upsert(&inds[1..2], 3).is_err());
        assert!(index.stale().is_some());
        assert!(!dir.path().join(META_FILE).exists(), "stale on disk too");
        inds[2].target = "3".into();
        index.upsert(&inds[2..3], 4).unwrap();
        assert_eq!(index.generation(), 2, "generation 3 is missing");
        assert!(!dir.path().join(META_FILE).exists());
        drop(index);
        let (index, rebuilt) = open(dir.path(), &inds, 4);
        assert!(rebuilt, "a stale index is rebuilt at the next start");
        assert_eq!(index.get(inds[1].code.as_str()).unwrap().target, "2");

        index.mark_stale("test".into());
        index.rebuild_from(inds.iter().cloned().map(Ok), 4).unwrap();
        assert_eq!((index.generation(), index.stale()), (4, None));
        drop(index);
        assert!(!open(dir.path(), &inds, 4).1, "a current index is reused");
    }
}
