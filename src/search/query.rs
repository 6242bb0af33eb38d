//! Turning what a user typed into a ranked, filtered, faceted and explained result.
//!
//! Each whitespace- or punctuation-separated segment of the query must match; within a segment,
//! several channels compete, and their fixed weights give the ranking tiers:
//!
//! | channel | weight |
//! |---|---|
//! | code typed exactly, in either case (a code with punctuation is one segment) | 200 |
//! | whole name equals the segment | 100 |
//! | an alias equals the segment | 60 |
//! | name starts with the segment | 40 |
//! | segment inside the name (a gram term, or trigrams checked against the name) | 25 |
//! | the same through a synonym | 22 / 10 |
//! | pinyin from the name's start / from any word start; initials likewise | 20 / 10, 8 / 4 |
//! | segment inside an alias | 12 |
//! | segment inside the name of a project type the indicator fits | 6 |
//! | each jieba word (its idf × 0.3) in name ×3, alias ×2, project types ×1, definition ×0.6 | ~0.1–10 |
//!
//! so a name match always outranks a definition-only match, and a completion of a half-typed word
//! (污水处 -> 污水处理率) outranks a name that merely contains its words (污水投诉处理率). A match
//! scores the sum of the weights it earns, minus 0.01 per character of its name: among equals the
//! shorter, closer name first. Every weight is fixed per query, which lets `matcher` compute the
//! matches as bitsets and score them without walking tantivy's scorers (docs/PERFORMANCE.md).

use super::collect::TopCount;
use super::highlight::Marks;
use super::index::{SearchError, SearchIndex};
use super::matcher::{Channel, Found, How, Matcher, Part};
use super::per_segment::FacetColumns;
use super::schema::Fields;
use super::tokenizer::{PREFIX_CHARS, START};
use crate::domain::{Catalog, Indicator};
use crate::text::{is_word_char, looks_like_pinyin, normalize};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::StrColumn;
use tantivy::query::{BooleanQuery, Occur, PhrasePrefixQuery, PhraseQuery, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocAddress, DocId, Score, Searcher, SegmentReader, Term};

pub const MAX_QUERY_CHARS: usize = 200;
pub const MAX_LIMIT: usize = 100;
pub const MAX_OFFSET: usize = 10_000;
/// A word's idf is unbounded (rare words weigh much); scaled down so that words order results
/// within a tier instead of jumping tiers.
const WORDS_WEIGHT: f32 = 0.3;
/// Share of definitions above which a word of a several-word segment is no longer looked for in
/// definitions (see `words_channel`).
const COMMON_IN_DEFINITIONS: f64 = 0.2;
/// Syllables of a segment's pinyin looked for when it may hold a same-sound typo: the index keeps
/// pinyin runs of up to four syllables from each word start.
const PINYIN_SYLLABLES: usize = 4;
/// A query whose words together match fewer documents than this (or than the page asked for,
/// if smaller) is relaxed: a first page of a search box.
const RELAX_BELOW: usize = 10;
/// More segments than this are ignored: nobody types ten separate words into a search box.
const MAX_SEGMENTS: usize = 8;
/// What an indicator of a project type the query names (`query_types`) earns when it also holds
/// one of the query's informative words: more than a second shared word from another domain
/// earns (乡村 + 生活 for 农村生活污水治理), less than the whole query found in a name (25 and up).
const NAMED_TYPE_WEIGHT: f32 = 10.0;
/// The best matches of the whole query whose project types stand for the query's type when it
/// names none (`types_of_best`).
const TYPE_EVIDENCE: usize = 5;
/// Segments of at least this many characters are read as project names (`plan_segment`).
const BOILERPLATE_FROM: usize = 6;
/// What a generic word of a project name (`index/generic.txt`: 运营, 建设, 城市) weighs against a
/// word of its subject, when the name has both.
const GENERIC_WEIGHT: Score = 0.5;

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub struct Filters {
    pub level1: Option<String>,
    pub level2: Option<String>,
    pub project_type: Option<String>,
    pub sector: Option<String>,
    pub scope: Option<String>,
    /// Core indicators only (of `project_type` when given, else of any type).
    #[serde(default)]
    pub core: bool,
}

impl Filters {
    pub fn is_empty(&self) -> bool {
        *self == Filters::default()
    }
}

#[derive(Debug, Clone)]
pub struct SearchRequest {
    pub q: String,
    pub limit: usize,
    pub offset: usize,
    pub filters: Filters,
    pub explain: bool,
    /// Set aside words when all of them together match fewer than a page (see `Relaxed`).
    pub relax: bool,
    /// When relaxed, rank the words of the subject above generic ones (`index/generic.txt`), so
    /// the page shows the subject's indicators first. The drafting assistant asks for the plain
    /// weights: its table takes name hits within a share of the best one, and a generic word
    /// (培训, 监测) is often what a row of the table needs.
    pub subject_first: bool,
    /// Count facets over every match. They cost a pass over all matching documents' columns,
    /// so only callers that show them (the search page, API calls with `facets=1`) ask.
    pub facets: bool,
}

impl SearchRequest {
    pub fn new(q: &str) -> SearchRequest {
        SearchRequest {
            q: q.to_string(),
            limit: 10,
            offset: 0,
            filters: Filters::default(),
            explain: false,
            relax: true,
            subject_first: true,
            facets: false,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Hit {
    pub indicator: Arc<Indicator>,
    pub score: f32,
    /// The name with matched characters in `<mark>` (HTML-escaped).
    pub name_html: String,
    /// A window of the definition around the first match (HTML-escaped, with `<mark>`).
    pub snippet_html: String,
    /// With `explain`: which channels matched and what each contributed.
    pub explain: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FacetCount {
    pub value: String,
    pub label: String,
    pub count: u64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Facets {
    pub level1: Vec<FacetCount>,
    pub level2: Vec<FacetCount>,
    pub project_type: Vec<FacetCount>,
    pub sector: Vec<FacetCount>,
    pub scope: Vec<FacetCount>,
    pub core: Vec<FacetCount>,
}

/// The facet fields, in the order the facet collector counts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Facet {
    Level1,
    Level2,
    ProjectType,
    Sector,
    Scope,
    Core,
}

impl Facet {
    const ALL: [Facet; 6] = [
        Facet::Level1,
        Facet::Level2,
        Facet::ProjectType,
        Facet::Sector,
        Facet::Scope,
        Facet::Core,
    ];
    fn field_name(self) -> &'static str {
        match self {
            Facet::Level1 => "level1",
            Facet::Level2 => "level2",
            Facet::ProjectType => "project_type",
            Facet::Sector => "sector",
            Facet::Scope => "scope",
            Facet::Core => "core",
        }
    }
}

#[derive(Debug, Clone)]
pub struct SearchResults {
    pub total: usize,
    pub hits: Vec<Hit>,
    pub facets: Facets,
    /// Set when words were set aside: the query's words together matched fewer than a page, or
    /// a project name's boilerplate was left out of its words (`segment_words_channel`).
    pub relaxed: Option<Relaxed>,
}

/// How a query whose words together matched too little was relaxed, in the manner of
/// Meilisearch's `matchingStrategy: frequency` and Elasticsearch's `minimum_should_match`.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Relaxed {
    /// The informative words matches were looked for with, in the query's order.
    pub words: Vec<String>,
    /// A match holds at least this many of them (more matched words rank first).
    pub min_words: usize,
    /// Words set aside: project-name boilerplate and numbers, then the least informative words
    /// a match may lack, least informative first.
    pub set_aside: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Suggestion {
    pub code: String,
    pub name: String,
    pub name_html: String,
    pub level1: String,
    pub level2: String,
    pub unit: String,
}

/// Which fields a query plan reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reach {
    /// Names and aliases only (suggestions).
    Names,
    /// Names, aliases, project types and definitions.
    Full,
    /// Also substrings of project type names (the fallback for few results).
    WithTypeNames,
}

struct Plan {
    matcher: Matcher,
    marks: Marks,
}

/// Splits normalised text into segments at whitespace and punctuation, and where Chinese
/// characters meet Latin letters: `道路yanshou` is 道路 and the pinyin `yanshou`.
fn segments(norm: &str) -> Vec<String> {
    let mut out = Vec::new();
    for part in norm
        .split(|c: char| !is_word_char(c))
        .filter(|s| !s.is_empty())
    {
        let mut start = 0;
        let mut prev: Option<char> = None;
        for (i, c) in part.char_indices() {
            if let Some(p) = prev
                && ((crate::text::is_cjk(p) && c.is_ascii_alphabetic())
                    || (p.is_ascii_alphabetic() && crate::text::is_cjk(c)))
            {
                out.push(part[start..i].to_string());
                start = i;
            }
            prev = Some(c);
        }
        out.push(part[start..].to_string());
    }
    out.truncate(MAX_SEGMENTS);
    out
}

fn term(field: Field, text: &str) -> Term {
    Term::from_field_text(field, text)
}

fn term_query(field: Field, text: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(term(field, text), IndexRecordOption::Basic))
}

fn term_of(field: Field, text: &str) -> Option<How> {
    Some(How::Term(term(field, text)))
}

/// Where the trigrams covering a run of `n > 3` characters start, the last flush with its end:
/// 4 characters are two overlapping trigrams, 6 are two adjacent ones.
fn covering(n: usize) -> Vec<usize> {
    let mut starts: Vec<usize> = (0..n - 2).step_by(3).collect();
    if starts.last() != Some(&(n - 3)) {
        starts.push(n - 3);
    }
    starts
}

/// Names holding `chars` as a run, through `name_gram`: one term for a run of up to three
/// characters; otherwise the trigrams covering it, and each candidate's name checked by the
/// matcher.
fn name_run(field: Field, chars: &[char]) -> Option<How> {
    let text: String = chars.iter().collect();
    match chars.len() {
        0 => None,
        1..=3 => term_of(field, &text),
        _ => Some(How::Contains {
            grams: trigrams(field, chars),
            text,
            anchored: false,
        }),
    }
}

/// The trigrams covering a run of more than three characters.
fn trigrams(field: Field, chars: &[char]) -> Vec<Term> {
    covering(chars.len())
        .into_iter()
        .map(|i| term(field, &chars[i..i + 3].iter().collect::<String>()))
        .collect()
}

/// Names starting with `chars`: the name-prefix term of up to `PREFIX_CHARS` characters. A longer
/// run is checked name by name, on the names that start with its first `PREFIX_CHARS` characters
/// and hold its trigrams: without the prefix term every name holding the run anywhere (thousands,
/// for 预算执行率) would be checked.
fn name_start(f: &Fields, chars: &[char]) -> Option<How> {
    let text: String = chars.iter().collect();
    if chars.len() <= PREFIX_CHARS {
        return term_of(f.name_prefix, &text);
    }
    let head: String = chars[..PREFIX_CHARS].iter().collect();
    // Trigrams first: one without documents ends the lookup before the prefix is read.
    let mut grams = trigrams(f.name_gram, chars);
    grams.push(term(f.name_prefix, &head));
    Some(How::Contains {
        grams,
        text,
        anchored: true,
    })
}

/// Aliases holding `chars` as a run: one term, or a phrase of the trigrams covering it (an
/// indicator has several aliases and no column to check a run against).
fn alias_run(field: Field, chars: &[char]) -> Option<How> {
    match chars.len() {
        0 => None,
        1..=3 => term_of(field, &chars.iter().collect::<String>()),
        n => {
            let terms: Vec<(usize, Term)> = covering(n)
                .into_iter()
                .map(|i| (i, term(field, &chars[i..i + 3].iter().collect::<String>())))
                .collect();
            Some(How::Query(Box::new(PhraseQuery::new_with_offset(terms))))
        }
    }
}

fn prefix_query(field: Field, prefix: &str) -> Option<How> {
    // A one-term phrase prefix is a range scan of the term dictionary: no regex to compile.
    Some(How::Query(Box::new(PhrasePrefixQuery::new(vec![term(
        field, prefix,
    )]))))
}

impl SearchIndex {
    /// BM25's inverse document frequency: what finding this word in this field says.
    fn idf(&self, searcher: &Searcher, t: &Term) -> Score {
        let n = searcher.num_docs() as f64;
        let df = self.doc_freqs.get(searcher, t) as f64;
        (1.0 + (n - df + 0.5) / (df + 0.5)).ln() as Score
    }
}

/// The channels of one segment.
#[derive(Default)]
struct Channels(Vec<Channel>);

impl Channels {
    fn add(&mut self, label: String, how: Option<How>, weight: Score) {
        if let Some(how) = how {
            self.0.push(Channel {
                label,
                weight,
                how,
                parts: Vec::new(),
            });
        }
    }
}

impl SearchIndex {
    /// The words channel: the segment's jieba words, each found in the name, aliases, project
    /// types or definition; with three or more words, two thirds of them suffice. Each word earns
    /// its BM25 weight at an average length (its idf) in each field it is found in, times the
    /// field's boost: a fixed weight, so a match is scored by which bits it has.
    ///
    /// A word found in more than `COMMON_IN_DEFINITIONS` of all definitions (项目, 资金: "……项目
    /// 实施后……") says next to nothing there (its idf is under 0.25), so, as with Lucene's cutoff
    /// frequency, it is looked for in names, aliases and project types only. If every word is that
    /// common, the rule is off.
    fn words_channel(
        &self,
        searcher: &Searcher,
        label: &str,
        words: &[String],
        weight: Score,
        name_only: bool,
    ) -> Option<Channel> {
        let n = words.len();
        let min = if n <= 2 { n } else { (2 * n).div_ceil(3) };
        let groups: Vec<Vec<String>> = words.iter().map(|w| vec![w.clone()]).collect();
        self.word_groups_channel(searcher, label, &groups, &[], min, weight, name_only)
    }

    /// The words channel of a segment of `chars` characters. A long segment is a project name:
    /// boilerplate (工作经费, 建设) is left out, else two such words of three (河湖长制工作经费)
    /// would stand for the whole name, find another domain's 经费 indicators and keep the name
    /// from being relaxed (`relaxed_plan` then sets aside words and says which).
    fn segment_words_channel(
        &self,
        searcher: &Searcher,
        label: &str,
        words: &[String],
        chars: usize,
        share: Score,
        name_only: bool,
    ) -> Option<Channel> {
        let weight = WORDS_WEIGHT * share;
        if name_only || chars < BOILERPLATE_FROM {
            return self.words_channel(searcher, label, words, weight, name_only);
        }
        let own: Vec<String> = words
            .iter()
            .filter(|w| !self.vocab.is_boilerplate(w))
            .cloned()
            .collect();
        if !own.iter().any(|w| w.chars().count() > 1) {
            return self.words_channel(searcher, label, words, weight, name_only);
        }
        self.words_channel(searcher, label, &own, weight, name_only)
    }

    /// What `segment_words_channel` did to a one-segment project name, for explain: the words
    /// it matched with (at least two thirds of them) and the boilerplate it left out.
    fn boilerplate_left_out(&self, q: &str) -> Option<Relaxed> {
        let norm = normalize(q);
        let [seg] = segments(&norm).try_into().ok()?;
        if seg.chars().count() < BOILERPLATE_FROM {
            return None;
        }
        let (own, aside): (Vec<String>, Vec<String>) = self
            .words
            .query_words(&seg)
            .into_iter()
            .partition(|w| !self.vocab.is_boilerplate(w));
        if aside.is_empty() || !own.iter().any(|w| w.chars().count() > 1) {
            return None;
        }
        let n = own.len();
        Some(Relaxed {
            min_words: if n <= 2 { n } else { (2 * n).div_ceil(3) },
            words: own,
            set_aside: aside,
        })
    }

    /// The words channel over groups of interchangeable words (a word and its synonyms): a
    /// group is found when any of its words is; at least `min` groups must be. Each group's
    /// weight is scaled by its entry in `scale` (1 where there is none).
    #[expect(
        clippy::too_many_arguments,
        reason = "one private builder of the words channels"
    )]
    fn word_groups_channel(
        &self,
        searcher: &Searcher,
        label: &str,
        groups: &[Vec<String>],
        scale: &[Score],
        min: usize,
        weight: Score,
        name_only: bool,
    ) -> Option<Channel> {
        let words: Vec<&String> = groups.iter().flatten().collect();
        if words.is_empty() {
            return None;
        }
        let f = &self.fields;
        let fields = [
            ("名称", f.name, 3.0),
            ("别名", f.aliases, 2.0),
            ("项目类型", f.types, 1.0),
            ("定义", f.definition, 0.6),
        ];
        let take = if name_only { 2 } else { fields.len() };
        let cutoff = searcher.num_docs() as f64 * COMMON_IN_DEFINITIONS;
        let common: Vec<bool> = words
            .iter()
            .map(|w| {
                !name_only && self.doc_freqs.get(searcher, &term(f.definition, w)) as f64 > cutoff
            })
            .collect();
        let all_common = common.iter().all(|c| *c);
        let mut parts = Vec::new();
        let mut per_word = Vec::new();
        let mut common = common.into_iter();
        for (g, group) in groups.iter().enumerate() {
            let scale = scale.get(g).copied().unwrap_or(1.0);
            let mut found_by = Vec::new();
            for w in group {
                let common = common.next().unwrap_or(false);
                for (l, field, boost) in fields.iter().take(take) {
                    if *field == f.definition && common && !all_common {
                        continue;
                    }
                    let t = term(*field, w);
                    found_by.push(parts.len());
                    parts.push(Part {
                        label: format!("{label}（{l}）{w}"),
                        weight: weight * scale * boost * self.idf(searcher, &t),
                        term: t,
                    });
                }
            }
            per_word.push(found_by);
        }
        let shown: Vec<&str> = groups
            .iter()
            .filter_map(|g| g.first())
            .map(String::as_str)
            .collect();
        Some(Channel {
            label: format!("{label} {}", shown.join("/")),
            weight: 0.0,
            how: How::Words {
                words: per_word,
                min,
            },
            parts,
        })
    }

    /// Indicators of every project type whose name contains `seg`. There are a few dozen types,
    /// so their names are matched here rather than indexed with every indicator. Types unknown to
    /// the catalog (external corpora) are indexed under their name.
    fn types_containing(&self, searcher: &Searcher, seg: &str) -> Option<How> {
        let catalog = self.catalog();
        let mut values: Vec<String> = Vec::new();
        for reader in searcher.segment_readers() {
            let Ok(inverted) = reader.inverted_index(self.fields.project_type) else {
                continue;
            };
            let Ok(mut terms) = inverted.terms().stream() else {
                continue;
            };
            while terms.advance() {
                let Ok(value) = std::str::from_utf8(terms.key()) else {
                    continue;
                };
                let name = catalog
                    .project_type(value)
                    .map_or(value, |t| t.name.as_str());
                if normalize(name).contains(seg) && !values.iter().any(|v| v == value) {
                    values.push(value.to_string());
                }
            }
        }
        if values.is_empty() {
            return None;
        }
        let f = self.fields.project_type;
        Some(How::Query(Box::new(BooleanQuery::new(
            values
                .iter()
                .map(|v| (Occur::Should, term_query(f, v)))
                .collect(),
        ))))
    }

    fn plan_segment(
        &self,
        searcher: &Searcher,
        seg: &str,
        reach: Reach,
        marks: &mut Marks,
    ) -> Vec<Channel> {
        let f = self.fields;
        let mut p = Channels::default();
        let name_only = reach == Reach::Names;
        let chars: Vec<char> = seg.chars().collect();
        let name_start = name_start(&f, &chars);
        let words = self.words.query_words(seg);
        let label = if name_only { "名称词语" } else { "词语" };
        // `seg` is lower-cased: a code written in lower case is in `code`, any other in `code_lc`.
        let code = |field| {
            if seg.is_ascii() {
                term_of(field, seg)
            } else {
                None
            }
        };
        let channels = [
            ("编码", code(f.code), 200.0),
            ("编码", code(f.code_lc), 200.0),
            ("名称完全一致", term_of(f.name_exact, seg), 100.0),
            ("别名完全一致", term_of(f.alias_exact, seg), 60.0),
            ("名称开头", name_start, 40.0),
            ("名称包含", name_run(f.name_gram, &chars), 25.0),
            ("别名包含", alias_run(f.alias_gram, &chars), 12.0),
        ];
        for (l, q, w) in channels {
            p.add(format!("{l} {seg}"), q, w);
        }
        // Whole words of a type name are found through `types`; this channel is for a type name
        // typed half-way (养老服), so it starts at three characters and spares short queries.
        if reach == Reach::WithTypeNames && chars.len() >= 3 {
            let q = self.types_containing(searcher, seg);
            p.add(format!("项目类型包含 {seg}"), q, 6.0);
        }
        // A character of the same sound typed by mistake (严收 for 验收) leaves a pair of
        // characters that no name holds; then names are also looked for by the pinyin of the
        // segment, below every match of its characters.
        if reach == Reach::WithTypeNames && self.suspect_homophone(searcher, &chars) {
            let py: String = crate::text::syllables(seg)
                .into_iter()
                .take(PINYIN_SYLLABLES)
                .map(|(_, s)| s)
                .collect();
            p.add(
                format!("同音开头 {seg}"),
                prefix_query(f.pinyin, &format!("{START}{py}")),
                18.0,
            );
            p.add(format!("同音 {seg}"), prefix_query(f.pinyin, &py), 9.0);
        }
        p.0.extend(self.segment_words_channel(
            searcher,
            label,
            &words,
            chars.len(),
            1.0,
            name_only,
        ));
        marks.add(seg);
        for w in &words {
            // A lone character would light up every occurrence; the segment itself covers it.
            if w.chars().count() > 1 || chars.len() == 1 {
                marks.add(w);
            }
        }
        for r in self.vocab.rewrites(seg) {
            let rc: Vec<char> = r.chars().collect();
            let rw = self.words.query_words(&r);
            let channels = [
                ("名称", name_run(f.name_gram, &rc), 22.0),
                ("别名", alias_run(f.alias_gram, &rc), 10.0),
            ];
            for (l, q, w) in channels {
                p.add(format!("同义词 {r}（{l}）"), q, w);
            }
            let label = format!("同义词 {r}（词语）");
            let n = r.chars().count();
            p.0.extend(self.segment_words_channel(searcher, &label, &rw, n, 0.8, name_only));
            marks.add(&r);
        }
        if looks_like_pinyin(seg) {
            let start = format!("{START}{seg}");
            let channels = [
                ("拼音开头", prefix_query(f.pinyin, &start), 20.0),
                ("拼音", prefix_query(f.pinyin, seg), 10.0),
                ("首字母开头", prefix_query(f.initials, &start), 8.0),
                ("首字母", prefix_query(f.initials, seg), 4.0),
            ];
            for (l, q, w) in channels {
                p.add(format!("{l} {seg}"), q, w);
            }
            marks.pinyin.push(seg.to_string());
        }
        p.0
    }

    fn plan(&self, searcher: &Searcher, q: &str, filters: &Filters, reach: Reach) -> Plan {
        let norm = normalize(q);
        let mut marks = Marks::default();
        let segments = match self.whole_code(searcher, &norm) {
            Some(code) => vec![self.plan_segment(searcher, code, reach, &mut marks)],
            None => segments(&norm)
                .iter()
                .map(|s| self.plan_segment(searcher, s, reach, &mut marks))
                .collect(),
        };
        Plan {
            matcher: Matcher {
                segments,
                filters: self.filter_terms(filters),
            },
            marks,
        }
    }

    fn filter_terms(&self, filters: &Filters) -> Vec<Term> {
        let f = &self.fields;
        let mut must: Vec<Term> = Vec::new();
        let filter = |field: Field, v: &Option<String>| v.as_deref().map(|v| term(field, v.trim()));
        must.extend(filter(f.level1, &filters.level1));
        must.extend(filter(f.level2, &filters.level2));
        must.extend(filter(f.project_type, &filters.project_type));
        must.extend(filter(f.sector, &filters.sector));
        must.extend(filter(f.scope, &filters.scope));
        if filters.core {
            let which = filters.project_type.as_deref().unwrap_or("*");
            must.push(term(f.core, which));
        }
        must
    }

    /// The words of a query for relaxed matching: informative words, each with its synonyms, and
    /// the boilerplate set aside. Synonyms come from the vocabulary's groups; a rewrite that is
    /// not one word of the index (jieba would split it) is left out.
    fn relaxable_words(&self, norm: &str) -> (Vec<Vec<String>>, Vec<String>) {
        let mut groups: Vec<Vec<String>> = Vec::new();
        let mut aside: Vec<String> = Vec::new();
        let searcher = self.reader.searcher();
        for seg in segments(norm) {
            if looks_like_pinyin(&seg) {
                continue;
            }
            // A word no name or definition holds (口袋公园) is looked for by its sub-words.
            let words = self.words.query_words(&seg).into_iter().flat_map(|w| {
                // Only sub-words the library holds: 第四 and 四次 of 第四次 would each weigh as
                // much as a word of the project's subject.
                let subs = if self.frequency(&searcher, &w) == 0 {
                    let mut subs = self.words.sub_words(&w);
                    subs.retain(|s| self.frequency(&searcher, s) > 0);
                    subs
                } else {
                    Vec::new()
                };
                if subs.is_empty() { vec![w] } else { subs }
            });
            for w in words {
                // A lone character says too little to stand for the query on its own.
                if self.vocab.is_boilerplate(&w) || w.chars().count() < 2 {
                    if !aside.contains(&w) {
                        aside.push(w);
                    }
                    continue;
                }
                if groups.iter().any(|g| g[0] == w) {
                    continue;
                }
                let mut group = vec![w.clone()];
                for r in self.vocab.rewrites(&w) {
                    let rw = self.words.query_words(&r);
                    if rw.len() == 1 && !group.contains(&rw[0]) {
                        group.push(rw[0].clone());
                    }
                }
                groups.push(group);
            }
        }
        (groups, aside)
    }

    /// `strict` widened: every segment may also match through at least `min` of the word
    /// groups, anywhere in the indicator. What the strict plan matched still matches, and keeps
    /// its channels' weights, so it stays ahead.
    fn relaxed_plan(
        &self,
        searcher: &Searcher,
        req: &SearchRequest,
        groups: &[Vec<String>],
        min: usize,
        types: &[String],
    ) -> Plan {
        let mut plan = self.plan(searcher, &req.q, &req.filters, Reach::WithTypeNames);
        let scale = if req.subject_first {
            self.topic_weights(groups)
        } else {
            Vec::new()
        };
        for w in groups.iter().flatten() {
            plan.marks.add(w);
        }
        for seg in &mut plan.matcher.segments {
            seg.extend(self.word_groups_channel(
                searcher,
                "放宽词语",
                groups,
                &scale,
                min,
                WORDS_WEIGHT,
                false,
            ));
            seg.extend(self.named_type_channel(searcher, types, groups, &scale));
        }
        plan
    }

    /// Project types the query names through the type's name or keywords (the library's own
    /// words: a type added to the library counts at once). Each keyword found counts its
    /// characters, so 污水处理 outweighs 采购; only the best-scoring types are kept, all of them on
    /// a tie.
    fn query_types(&self, norm: &str) -> Vec<String> {
        let catalog = self.catalog();
        let mut best = 0;
        let mut out = Vec::new();
        for t in &catalog.project_types {
            let score: usize = t
                .keywords
                .iter()
                .chain(std::iter::once(&t.name))
                .map(|k| normalize(k))
                .filter(|k| k.chars().count() >= 2 && norm.contains(k.as_str()))
                .map(|k| k.chars().count())
                .sum();
            if score == 0 || score < best {
                continue;
            }
            if score > best {
                best = score;
                out.clear();
            }
            out.push(t.code.clone());
        }
        out
    }

    /// The project type most of the best few matches (specific indicators only) fit, when it is
    /// at least half of them.
    fn types_of_best(&self, searcher: &Searcher, top: &[(Score, DocAddress)]) -> Vec<String> {
        let mut counts: Vec<(String, usize)> = Vec::new();
        let mut seen = 0;
        for (_, addr) in top.iter().take(TYPE_EVIDENCE) {
            let Some(shown) = self.shown(searcher, *addr) else {
                continue;
            };
            let i = &shown.indicator;
            if !i.natures.is_empty() {
                continue;
            }
            seen += 1;
            for t in &i.project_types {
                match counts.iter_mut().find(|(c, _)| c == t) {
                    Some((_, n)) => *n += 1,
                    None => counts.push((t.clone(), 1)),
                }
            }
        }
        counts.sort_by_key(|c| std::cmp::Reverse(c.1));
        counts
            .into_iter()
            .take(1)
            .filter(|(_, n)| 2 * n >= seen)
            .map(|(t, _)| t)
            .collect()
    }

    /// The specific indicators of `types` that hold at least one of the informative words, in any field:
    /// the query's type counts when the words alone do not decide (a project name's words are
    /// often as rare in the library as each other), and never brings an indicator that shares no
    /// word with the query.
    fn named_type_channel(
        &self,
        searcher: &Searcher,
        types: &[String],
        groups: &[Vec<String>],
        scale: &[Score],
    ) -> Option<Channel> {
        if types.is_empty() || groups.is_empty() {
            return None;
        }
        // Among them, those holding more and rarer words (of the subject, with `scale`) first,
        // as with the words channel.
        let words = self.word_groups_channel(
            searcher,
            "所指类型词语",
            groups,
            scale,
            1,
            WORDS_WEIGHT,
            false,
        )?;
        let f = &self.fields;
        let of_type = BooleanQuery::new(
            types
                .iter()
                .map(|t| (Occur::Should, term_query(f.project_type, t)))
                .collect(),
        );
        let any_word = BooleanQuery::new(
            groups
                .iter()
                .flatten()
                .flat_map(|w| {
                    [f.name, f.aliases, f.definition]
                        .map(|field| (Occur::Should, term_query(field, w)))
                })
                .collect(),
        );
        let catalog = self.catalog();
        let names: Vec<&str> = types.iter().map(|t| catalog.project_type_name(t)).collect();
        Some(Channel {
            label: format!("项目名称所指类型 {}", names.join("、")),
            weight: NAMED_TYPE_WEIGHT,
            how: How::Query(Box::new(BooleanQuery::new(vec![
                (Occur::Must, Box::new(of_type) as Box<dyn Query>),
                (Occur::Must, Box::new(any_word)),
                // Common indicators fit every type of a spending nature: the type says nothing
                // about them.
                (Occur::MustNot, term_query(f.scope, "共性")),
            ]))),
            parts: words.parts,
        })
    }

    /// Whether a segment of Chinese characters holds a pair of adjacent characters that no name
    /// holds: the mark of a same-sound typo (严收合格率), while a correctly typed name part has
    /// every pair in some name.
    fn suspect_homophone(&self, searcher: &Searcher, chars: &[char]) -> bool {
        chars.len() >= 2
            && chars.len() <= 12
            && chars.iter().all(|c| crate::text::is_cjk(*c))
            && chars.windows(2).any(|w| {
                let pair: String = w.iter().collect();
                self.doc_freqs
                    .get(searcher, &term(self.fields.name_gram, &pair))
                    == 0
            })
    }

    /// How much each word group of a project name says about its subject: a generic word
    /// (`index/generic.txt`) weighs `GENERIC_WEIGHT` beside a word of the subject, so 敬老院运营补助
    /// ranks 敬老院 indicators above another domain's 运营 ones. A name of generic words only
    /// (运行维护) keeps them whole.
    fn topic_weights(&self, groups: &[Vec<String>]) -> Vec<Score> {
        let generic: Vec<bool> = groups
            .iter()
            .map(|g| g.first().is_some_and(|w| self.vocab.is_generic(w)))
            .collect();
        let all = generic.iter().all(|g| *g);
        generic
            .into_iter()
            .map(|g| if g && !all { GENERIC_WEIGHT } else { 1.0 })
            .collect()
    }

    /// The informative words of a text (boilerplate and numbers set aside), each with what it
    /// says: its inverse frequency over names and definitions.
    pub fn informative_words(&self, text: &str) -> Vec<(String, f32)> {
        let searcher = self.reader.searcher();
        let n = 2.0 * searcher.num_docs() as f64;
        self.relaxable_words(&normalize(text))
            .0
            .into_iter()
            .map(|g| {
                let df = self.frequency(&searcher, &g[0]) as f64;
                let idf = (1.0 + (n - df + 0.5) / (df + 0.5)).ln() as f32;
                (g.into_iter().next().unwrap_or_default(), idf)
            })
            .collect()
    }

    /// How often a word is found in names and definitions: the less, the more it says.
    fn frequency(&self, searcher: &Searcher, w: &str) -> u64 {
        let f = &self.fields;
        self.doc_freqs.get(searcher, &term(f.name, w))
            + self.doc_freqs.get(searcher, &term(f.definition, w))
    }

    /// The query as one indicator code, when it is one: a code such as GX-HD-001 holds
    /// punctuation, which would otherwise split it into segments (gx, hd, 001) that each must
    /// match. Text that only looks like a code (2023-2024) is split as usual.
    fn whole_code<'q>(&self, searcher: &Searcher, norm: &'q str) -> Option<&'q str> {
        let code = norm.trim();
        let looks_like_code = code.is_ascii()
            && code.chars().any(|c| c.is_ascii_alphanumeric())
            && code.chars().any(|c| !is_word_char(c))
            && !code.chars().any(|c| c.is_whitespace());
        if !looks_like_code {
            return None;
        }
        let known = [self.fields.code, self.fields.code_lc]
            .iter()
            .any(|&f| searcher.doc_freq(&term(f, code)).is_ok_and(|n| n > 0));
        known.then_some(code)
    }

    fn check(q: &str, limit: usize, offset: usize) -> Result<(), SearchError> {
        let n = q.chars().count();
        if n > MAX_QUERY_CHARS {
            return Err(SearchError::QueryTooLong {
                max: MAX_QUERY_CHARS,
                got: n,
            });
        }
        if limit == 0 || limit > MAX_LIMIT {
            return Err(SearchError::BadRequest(format!(
                "每页条数 limit 应在 1–{MAX_LIMIT} 之间，收到 {limit}"
            )));
        }
        if offset > MAX_OFFSET {
            return Err(SearchError::BadRequest(format!(
                "起始位置 offset 不能超过 {MAX_OFFSET}，收到 {offset}"
            )));
        }
        Ok(())
    }

    pub fn search(&self, req: &SearchRequest) -> Result<SearchResults, SearchError> {
        Self::check(&req.q, req.limit, req.offset)?;
        // Nothing searchable (empty, or only punctuation) and no filter: an empty result, not
        // the whole library. Filters alone list everything in them.
        let searchable = !segments(&normalize(&req.q)).is_empty();
        if !searchable && (!req.q.trim().is_empty() || req.filters.is_empty()) {
            return Ok(SearchResults {
                total: 0,
                hits: Vec::new(),
                facets: Facets::default(),
                relaxed: None,
            });
        }
        let searcher = self.reader.searcher();
        // Longer queries are usually project names: their first page should show every level 1
        // (output, effect, satisfaction) that has a fair candidate, not only outputs.
        let balance = req.q.chars().filter(|c| is_word_char(*c)).count() >= 4;
        let window = if balance {
            (req.offset + req.limit).max(BALANCE_WINDOW)
        } else {
            req.limit
        };
        let top = TopCount {
            limit: window,
            offset: if balance { 0 } else { req.offset },
            lengths: &self.name_lengths,
        };
        let facets = FacetCollector {
            cache: &self.facet_columns,
        };
        let run = |plan: &Plan| {
            plan.matcher.run(
                &searcher,
                &self.names,
                &self.term_sets,
                &top,
                req.facets.then_some(&facets),
                req.explain,
            )
        };
        let mut plan = self.plan(&searcher, &req.q, &req.filters, Reach::Full);
        let mut found = run(&plan)?;
        // Too few results: widen to half-typed project type names (养老服 -> 养老服务), a channel
        // that would otherwise add thousands of weak matches to every query.
        if found.total < req.limit {
            let wider = self.plan(&searcher, &req.q, &req.filters, Reach::WithTypeNames);
            let more = run(&wider)?;
            if more.total > found.total {
                (found, plan) = (more, wider);
            }
        }
        // Still too few: a project name carries words no indicator has (专项经费, 2024年, the
        // unit's name). Set aside boilerplate, then the least informative words, until a page is
        // found or one word is left; more matched words still rank first.
        let mut relaxed = None;
        let page = req.limit.min(RELAX_BELOW);
        // Enough matches, but a project name may share a generic word (运营) with another domain
        // as much as with its own: when it names a project type (敬老院), the type's indicators
        // that share a word with it rank up.
        let named = if balance && req.relax && found.total >= page {
            self.query_types(&normalize(&req.q))
        } else {
            Vec::new()
        };
        if let [seg] = plan.matcher.segments.as_mut_slice()
            && !named.is_empty()
        {
            let words = self.relaxable_words(&normalize(&req.q)).0;
            // Plain weights: the strict plan found a page, and a type's indicators that share the
            // name's generic word (社区日间照料中心运营数) belong there above another domain's.
            seg.extend(self.named_type_channel(&searcher, &named, &words, &[]));
            found = run(&plan)?;
        }
        if req.relax
            && found.total < page
            && self.whole_code(&searcher, &normalize(&req.q)).is_none()
        {
            let (groups, aside) = self.relaxable_words(&normalize(&req.q));
            // A project name that names a project type: that type's indicators sharing a word
            // with it rank up. With no type named in so many words, the one that most of the few
            // whole-query matches belong to (农村生活污水治理 finds three 污水 indicators first).
            let types = match self.query_types(&normalize(&req.q)) {
                named if !named.is_empty() => named,
                _ if balance => self.types_of_best(&searcher, &found.top),
                _ => Vec::new(),
            };
            let n = groups.len();
            if n > 0 {
                let mut by_frequency: Vec<(u64, &str)> = groups
                    .iter()
                    .map(|g| (self.frequency(&searcher, &g[0]), g[0].as_str()))
                    .collect();
                by_frequency.sort_by_key(|w| std::cmp::Reverse(w.0));
                for min in (1..=n).rev() {
                    let p = self.relaxed_plan(&searcher, req, &groups, min, &types);
                    let more = run(&p)?;
                    if more.total > found.total {
                        let mut set_aside = aside.clone();
                        set_aside
                            .extend(by_frequency[..n - min].iter().map(|(_, w)| w.to_string()));
                        relaxed = Some(Relaxed {
                            words: groups.iter().map(|g| g[0].clone()).collect(),
                            min_words: min,
                            set_aside,
                        });
                        (found, plan) = (more, p);
                    }
                    if found.total >= page {
                        break;
                    }
                }
            }
        }
        if relaxed.is_none() && req.relax {
            relaxed = self.boilerplate_left_out(&req.q);
        }
        let Found {
            top,
            total,
            facets: counts,
            explain,
        } = found;
        let mut found: Vec<(Score, DocAddress)> = top;
        if balance {
            // Level 1 of each candidate from its fast-field column: only the page is decoded.
            // A candidate is promoted only when its name holds one of the query's own words:
            // a satisfaction indicator that shares a generic word (出行群众满意度 for a 背街小巷
            // project) is not about the project.
            // Read only when some candidate could be promoted.
            let topic = std::cell::OnceCell::new();
            let about = |a: DocAddress| {
                let topic: &Vec<String> = topic.get_or_init(|| {
                    let groups = self.relaxable_words(&normalize(&req.q)).0;
                    groups.into_iter().flatten().collect()
                });
                topic.is_empty()
                    || self
                        .names
                        .word_chars(searcher.segment_reader(a.segment_ord), a.doc_id)
                        .is_ok_and(|n| topic.iter().any(|w| n.contains(w.as_str())))
            };
            let mut with_l1: Vec<(Score, (DocAddress, String))> = found
                .into_iter()
                .map(|(s, a)| (s, (a, self.level1_of(&searcher, a))))
                .collect();
            balance_first_page(&mut with_l1, |(_, l1)| l1.as_str(), |(a, _)| about(*a));
            found = with_l1
                .into_iter()
                .skip(req.offset)
                .take(req.limit)
                .map(|(s, (a, _))| (s, a))
                .collect();
        }
        let mut hits = Vec::with_capacity(found.len());
        for (score, addr) in found {
            let Some(shown) = self.shown(&searcher, addr) else {
                continue;
            };
            let explain = explain
                .iter()
                .find(|(a, _)| *a == addr)
                .map(|(_, e)| e.clone())
                .unwrap_or_default();
            let ind = &shown.indicator;
            hits.push(Hit {
                name_html: plan.marks.html_of(&ind.name, &shown.name),
                snippet_html: plan
                    .marks
                    .snippet_of(&ind.definition, shown.definition(), 60),
                indicator: ind.clone(),
                score,
                explain,
            });
        }
        let facets = match counts {
            Some(counts) => self.facets(counts, &req.filters),
            None => Facets::default(),
        };
        Ok(SearchResults {
            total,
            hits,
            facets,
            relaxed,
        })
    }

    /// Indicator names for a half-typed input, best first, each name once.
    pub fn suggest(&self, q: &str, limit: usize) -> Result<Vec<Suggestion>, SearchError> {
        Self::check(q, limit, 0)?;
        let searcher = self.reader.searcher();
        let plan = self.plan(&searcher, q, &Filters::default(), Reach::Names);
        if plan.matcher.segments.is_empty() {
            return Ok(Vec::new());
        }
        let top = TopCount {
            limit: limit * 3,
            offset: 0,
            lengths: &self.name_lengths,
        };
        let found = plan.matcher.run(
            &searcher,
            &self.names,
            &self.term_sets,
            &top,
            None::<&FacetCollector>,
            false,
        )?;
        let top = found.top;
        let mut out: Vec<Suggestion> = Vec::with_capacity(limit);
        // Names that differ only in punctuation, case or traditional characters are one
        // suggestion. Telling them apart by the name column skips reading and decoding the
        // stored indicator of every repeat (a large library repeats common names many times).
        let mut seen: Vec<String> = Vec::with_capacity(limit);
        for (_, addr) in top {
            let reader = searcher.segment_reader(addr.segment_ord);
            let chars = self.names.word_chars(reader, addr.doc_id)?;
            if seen.contains(&chars) {
                continue;
            }
            let Some(shown) = self.shown(&searcher, addr) else {
                continue;
            };
            seen.push(chars);
            let ind = &shown.indicator;
            out.push(Suggestion {
                code: ind.code.to_string(),
                name_html: plan.marks.html_of(&ind.name, &shown.name),
                name: ind.name.clone(),
                level1: ind.level1.clone(),
                level2: ind.level2.clone(),
                unit: ind.unit.clone(),
            });
            if out.len() == limit {
                break;
            }
        }
        Ok(out)
    }

    /// A document's level 1, from the segment's facet columns (opened once per segment).
    fn level1_of(&self, searcher: &Searcher, addr: DocAddress) -> String {
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

    fn facets(&self, counts: Vec<HashMap<String, u64>>, filters: &Filters) -> Facets {
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

/// How many top candidates are considered when balancing the first page.
const BALANCE_WINDOW: usize = 60;
/// The first page: each level 1 present among the candidates gets at least this many places...
const BALANCE_PER_LEVEL1: usize = 2;
/// ... in the first this many results ...
const BALANCE_PAGE: usize = 10;
/// ... when its candidate scores at least this share of the place it takes on the page: a
/// satisfaction indicator that shares only a generic word with the query (出行群众满意度 for a
/// 背街小巷 project) does not push out an output that holds its subject.
const BALANCE_MIN_SHARE: f32 = 0.2;

/// Moves the best candidates of under-represented level 1s into the first page, keeping every
/// other result in score order. Deterministic, so pages stay consistent.
fn balance_first_page<T>(
    found: &mut Vec<(Score, T)>,
    level1: impl Fn(&T) -> &str,
    about: impl Fn(&T) -> bool,
) {
    let page = BALANCE_PAGE.min(found.len());
    let Some(last) = page.checked_sub(1).map(|p| found[p].0) else {
        return;
    };
    let mut level1s: Vec<String> = Vec::new();
    for (_, t) in found.iter() {
        if !level1s.iter().any(|l| l == level1(t)) {
            level1s.push(level1(t).to_string());
        }
    }
    let mut promote = Vec::new();
    for l1 in &level1s {
        let have = found[..page]
            .iter()
            .filter(|(_, t)| level1(t) == l1)
            .count();
        let missing = BALANCE_PER_LEVEL1.saturating_sub(have);
        let candidates = || {
            found
                .iter()
                .enumerate()
                .skip(page)
                .filter(|(_, (s, t))| level1(t) == l1 && *s >= last * BALANCE_MIN_SHARE)
        };
        let before = promote.len();
        promote.extend(
            candidates()
                .filter(|(_, (_, t))| about(t))
                .take(missing)
                .map(|(n, _)| n),
        );
        // A level absent from the page still gets its best candidate when none is about the
        // query: a target table needs every level, and the page is where a unit looks first.
        if have == 0 && promote.len() == before {
            promote.extend(candidates().take(1).map(|(n, _)| n));
        }
    }
    if promote.is_empty() {
        return;
    }
    promote.sort_unstable();
    let moved: Vec<(Score, T)> = promote.iter().rev().map(|&n| found.remove(n)).collect();
    let at = page.saturating_sub(moved.len());
    for m in moved {
        found.insert(at, m);
    }
    // Within the first page keep score order, so promoted hits sit where their score puts them.
    found[..page].sort_by(|a, b| b.0.total_cmp(&a.0));
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
struct FacetCollector<'a> {
    cache: &'a FacetColumns,
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

struct FacetSegment {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::library;
    use crate::search::{Vocabulary, vocab};

    #[test]
    fn balancing_promotes_only_candidates_about_the_query() {
        // (score, (level 1, about the query)): a page of outputs, then two satisfaction
        // candidates, the better of which shares no word with the query.
        let mut found: Vec<(Score, (&str, bool))> = (0..10)
            .map(|i| (50.0 - i as Score, ("产出指标", true)))
            .collect();
        found.push((39.0, ("满意度指标", false)));
        found.push((38.0, ("满意度指标", true)));
        balance_first_page(&mut found, |t| t.0, |t| t.1);
        let page: Vec<(&str, bool)> = found[..10].iter().map(|(_, t)| *t).collect();
        assert!(page.contains(&("满意度指标", true)), "{page:?}");
        assert!(!page.contains(&("满意度指标", false)), "{page:?}");
    }

    fn ind(code: &str, name: &str, definition: &str) -> Indicator {
        serde_json::from_value(serde_json::json!({
            "code": code, "name": name, "level1": "产出指标", "level2": "数量指标",
            "definition": definition, "value_type": "定量", "direction": "≥", "unit": "%",
            "basis": "计划标准", "weight": 10, "term": "年度", "provenance": "地方参考"
        }))
        .unwrap()
    }

    /// Names found for `q` in an index of two candidates and 20 fillers whose definitions
    /// mention 项目 or not.
    fn names_found(q: &str, fillers_say_project: bool) -> Vec<String> {
        let mut inds = vec![
            ind("C001", "桥梁完好率", "反映桥梁的完好情况。"),
            // Matches only 完好率 in its name and 项目 in its definition.
            ind("C002", "路灯完好率", "反映项目实施后路灯的完好情况。"),
        ];
        for i in 0..20 {
            let def = if fillers_say_project {
                "反映项目实施后的受益情况。"
            } else {
                "反映实施后的受益情况。"
            };
            inds.push(ind(&format!("F{i:03}"), &format!("受益人数{i}"), def));
        }
        let (_dir, index) = index_of(inds);
        let mut req = SearchRequest::new(q);
        req.limit = 50;
        // The rule under test is the strict plan's; relaxation would add what it leaves out.
        req.relax = false;
        let res = index.search(&req).unwrap();
        res.hits.iter().map(|h| h.indicator.name.clone()).collect()
    }

    /// An index of `inds` with the bundled catalog and vocabulary, in a temporary directory.
    fn index_of(inds: Vec<Indicator>) -> (tempfile::TempDir, SearchIndex) {
        let dir = tempfile::tempdir().unwrap();
        let lib = library::load_dir(&library::default_dir()).unwrap();
        let (index, _) = SearchIndex::open_or_build(
            dir.path(),
            Arc::new(Vocabulary::load(&vocab::default_dir()).unwrap()),
            Arc::new(lib.catalog),
            || inds.into_iter().map(Ok),
            1,
        )
        .unwrap();
        (dir, index)
    }

    /// An index of indicators with these names and one plain definition.
    fn index_of_names(names: &[&str]) -> (tempfile::TempDir, SearchIndex) {
        let inds = names
            .iter()
            .enumerate()
            .map(|(i, n)| ind(&format!("N{i:03}"), n, "反映情况。"))
            .collect();
        index_of(inds)
    }

    /// A relaxed project name: two indicators share two generic words of it (运营, 补助), one
    /// holds its subject (敬老院). Plain weights put the two generic words first; subject first
    /// puts the subject's indicator first.
    fn relaxed_order(subject_first: bool) -> Vec<String> {
        let mut inds = vec![
            ind("A01", "运营补助车辆数", "反映车辆情况。"),
            ind("A02", "运营补助资金到位率", "反映资金情况。"),
            ind("B01", "敬老院床位数", "反映床位情况。"),
        ];
        for i in 0..20 {
            inds.push(ind(
                &format!("F{i:03}"),
                &format!("受益人数{i}"),
                "反映受益情况。",
            ));
        }
        let (_dir, index) = index_of(inds);
        let mut req = SearchRequest::new("城市敬老院运营补助");
        req.subject_first = subject_first;
        let res = index.search(&req).unwrap();
        assert!(res.relaxed.is_some(), "the name is relaxed");
        res.hits.iter().map(|h| h.indicator.name.clone()).collect()
    }

    #[test]
    fn a_relaxed_name_ranks_its_subject_above_its_generic_words() {
        let subject = relaxed_order(true);
        assert_eq!(
            subject.first().map(String::as_str),
            Some("敬老院床位数"),
            "{subject:?}"
        );
        let plain = relaxed_order(false);
        assert_ne!(
            plain.first().map(String::as_str),
            Some("敬老院床位数"),
            "{plain:?}"
        );
    }

    #[test]
    fn generic_words_weigh_less_only_beside_a_subject() {
        let (_dir, index) = index_of(vec![ind("A01", "敬老院床位数", "反映床位情况。")]);
        let g =
            |w: &[&str]| -> Vec<Vec<String>> { w.iter().map(|w| vec![w.to_string()]).collect() };
        assert_eq!(
            index.topic_weights(&g(&["敬老院", "运营", "城市"])),
            vec![1.0, GENERIC_WEIGHT, GENERIC_WEIGHT]
        );
        assert_eq!(index.topic_weights(&g(&["运行", "维护"])), vec![1.0, 1.0]);
    }

    #[test]
    fn a_code_is_found_typed_in_either_case_whatever_case_it_is_written_in() {
        let inds = vec![
            ind("GX-HD-001", "培训人次", "反映培训的人次。"),
            ind("ind-000002", "验收合格率", "反映验收合格的比例。"),
            ind("Mx-7", "路灯完好率", "反映路灯的完好情况。"),
        ];
        let (_dir, index) = index_of(inds);
        for (q, name) in [
            ("GX-HD-001", "培训人次"),
            ("gx-hd-001", "培训人次"),
            ("IND-000002", "验收合格率"),
            ("ind-000002", "验收合格率"),
            ("mx-7", "路灯完好率"),
            ("MX-7", "路灯完好率"),
        ] {
            let res = index.search(&SearchRequest::new(q)).unwrap();
            assert_eq!(
                res.hits.first().map(|h| h.indicator.name.as_str()),
                Some(name),
                "{q}"
            );
        }
        assert!(index.get("ind-000002").is_some() && index.get("IND-000002").is_none());
    }

    #[test]
    fn a_long_segment_needs_its_characters_in_a_row_not_only_its_trigrams() {
        // 甲乙丙乙丙丁 holds both trigrams of 甲乙丙丁 (甲乙丙, 乙丙丁) but not the run itself.
        let (_dir, index) = index_of_names(&["甲乙丙丁数量", "甲乙丙乙丙丁数量", "戊己数量"]);
        // The strict plan's check is under test: relaxation would add names by their words.
        let found = |q: &str| {
            let mut req = SearchRequest::new(q);
            req.relax = false;
            let res = index.search(&req).unwrap();
            let names: Vec<String> = res.hits.iter().map(|h| h.indicator.name.clone()).collect();
            (res.total, names)
        };
        assert_eq!(found("甲乙丙丁"), (1, vec!["甲乙丙丁数量".to_string()]));
        assert_eq!(
            found("乙丙乙丙丁"),
            (1, vec!["甲乙丙乙丙丁数量".to_string()])
        );
        // The same run at the start of the name ranks first, and explains why.
        let mut req = SearchRequest::new("甲乙丙丁数");
        req.explain = true;
        req.relax = false;
        let res = index.search(&req).unwrap();
        assert_eq!(res.total, 1, "{:?}", res.hits);
        let why = res.hits[0].explain.join(" ");
        assert!(
            why.contains("名称开头 甲乙丙丁数") && why.contains("名称包含"),
            "{why}"
        );
    }

    #[test]
    fn a_long_run_starts_a_name_only_where_the_name_begins_with_all_of_it() {
        // The second name begins with the run's first four characters and holds the whole run
        // later: the name-prefix term lets it through, the check must not.
        let (_dir, index) =
            index_of_names(&["甲乙丙丁戊数量", "甲乙丙丁己甲乙丙丁戊", "庚甲乙丙丁戊"]);
        let mut req = SearchRequest::new("甲乙丙丁戊");
        req.explain = true;
        let res = index.search(&req).unwrap();
        assert_eq!(res.total, 3, "{:?}", res.hits);
        for h in &res.hits {
            let why = h.explain.join(" ");
            let starts = h.indicator.name.starts_with("甲乙丙丁戊");
            assert_eq!(
                why.contains("名称开头"),
                starts,
                "{}: {why}",
                h.indicator.name
            );
            assert!(why.contains("名称包含"), "{}: {why}", h.indicator.name);
        }
        assert_eq!(res.hits[0].indicator.name, "甲乙丙丁戊数量");
        assert_eq!(
            index.suggest("甲乙丙丁戊", 8).unwrap()[0].name,
            "甲乙丙丁戊数量"
        );
    }

    #[test]
    fn a_run_taken_on_trust_is_checked_before_its_weight_counts() {
        // 乙丙丁甲乙丙 holds both trigrams of 甲乙丙丁 but not the run; it matches through its
        // definition, so the name is checked only once it reaches the page, and then loses the
        // substring's weight: the longer name holding the run ranks first.
        let inds = vec![
            ind("T001", "甲乙丙丁数量统计指标", "反映情况。"),
            ind("T002", "乙丙丁甲乙丙", "甲乙丙丁的情况。"),
        ];
        let (_dir, index) = index_of(inds);
        let mut req = SearchRequest::new("甲乙丙丁");
        req.explain = true;
        let res = index.search(&req).unwrap();
        let names: Vec<&str> = res.hits.iter().map(|h| h.indicator.name.as_str()).collect();
        assert_eq!(
            names,
            vec!["甲乙丙丁数量统计指标", "乙丙丁甲乙丙"],
            "{res:?}"
        );
        assert_eq!(res.total, 2);
        let why = res.hits[1].explain.join(" ");
        assert!(!why.contains("名称包含"), "{why}");
        assert!(why.contains("定义"), "{why}");
        // Suggestions come from the same check.
        let s = index.suggest("甲乙丙丁", 8).unwrap();
        assert_eq!(s[0].name, "甲乙丙丁数量统计指标");
    }

    #[test]
    fn a_word_in_most_definitions_need_not_match_there() {
        // A segment this long reads as a project name, whose boilerplate (项目) is left out of
        // its words: however rare 项目 is in definitions, 路灯完好率 holds only one word of two.
        // (Before boilerplate was left out, a rare 项目 counted there like any word and found it.)
        let rare = names_found("项目桥梁完好率", false);
        assert_eq!(rare, vec!["桥梁完好率"], "rare: {rare:?}");
        // 项目 in 21 of 22: 路灯完好率 holds only one other word, and drops out.
        let common = names_found("项目桥梁完好率", true);
        assert_eq!(common, vec!["桥梁完好率"], "common: {common:?}");
    }

    #[test]
    fn suggestions_show_a_name_once_whatever_its_punctuation_or_script() {
        let (_dir, index) = index_of_names(&[
            "群众满意度",
            "群眾滿意度",
            "群众 满意度",
            "群众满意度",
            "群众满意率",
        ]);
        let names: Vec<String> = index
            .suggest("群众满意", 8)
            .unwrap()
            .into_iter()
            .map(|s| s.name)
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
        assert!(names.contains(&"群众满意率".to_string()), "{names:?}");
    }
}
