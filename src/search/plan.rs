//! Turning what a user typed into a plan: per segment, the channels that may match it and
//! their weights.
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

use super::highlight::Marks;
use super::index::SearchIndex;
use super::matcher::{Channel, How, Matcher, Part};
use super::request::Filters;
use super::schema::Fields;
use super::tokenizer::{PREFIX_CHARS, START};
use crate::text::{is_word_char, looks_like_pinyin, normalize};
use tantivy::query::{BooleanQuery, Occur, PhrasePrefixQuery, PhraseQuery, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{Score, Searcher, Term};

/// A word's idf is unbounded (rare words weigh much); scaled down so that words order results
/// within a tier instead of jumping tiers.
pub(super) const WORDS_WEIGHT: f32 = 0.3;
/// Share of definitions above which a word of a several-word segment is no longer looked for in
/// definitions (see `words_channel`).
const COMMON_IN_DEFINITIONS: f64 = 0.2;
/// Syllables of a segment's pinyin looked for when it may hold a same-sound typo: the index keeps
/// pinyin runs of up to four syllables from each word start.
const PINYIN_SYLLABLES: usize = 4;
/// More segments than this are ignored: nobody types ten separate words into a search box.
const MAX_SEGMENTS: usize = 8;
/// Segments of at least this many characters are read as project names (`plan_segment`).
pub(super) const BOILERPLATE_FROM: usize = 6;

/// Which fields a query plan reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Reach {
    /// Names and aliases only (suggestions).
    Names,
    /// Names, aliases, project types and definitions.
    Full,
    /// Also substrings of project type names (the fallback for few results).
    WithTypeNames,
}

pub(super) struct Plan {
    pub(super) matcher: Matcher,
    pub(super) marks: Marks,
}

/// Splits normalised text into segments at whitespace and punctuation, and where Chinese
/// characters meet Latin letters: `道路yanshou` is 道路 and the pinyin `yanshou`.
pub(super) fn segments(norm: &str) -> Vec<String> {
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

pub(super) fn term(field: Field, text: &str) -> Term {
    Term::from_field_text(field, text)
}

pub(super) fn term_query(field: Field, text: &str) -> Box<dyn Query> {
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

    /// The words channel over groups of interchangeable words (a word and its synonyms): a
    /// group is found when any of its words is; at least `min` groups must be. Each group's
    /// weight is scaled by its entry in `scale` (1 where there is none).
    #[expect(
        clippy::too_many_arguments,
        reason = "one private builder of the words channels"
    )]
    pub(super) fn word_groups_channel(
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

    pub(super) fn plan(
        &self,
        searcher: &Searcher,
        q: &str,
        filters: &Filters,
        reach: Reach,
    ) -> Plan {
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

    /// The query as one indicator code, when it is one: a code such as GX-HD-001 holds
    /// punctuation, which would otherwise split it into segments (gx, hd, 001) that each must
    /// match. Text that only looks like a code (2023-2024) is split as usual.
    pub(super) fn whole_code<'q>(&self, searcher: &Searcher, norm: &'q str) -> Option<&'q str> {
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
}
