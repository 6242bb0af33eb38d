//! Relaxation: when a query's words together match too little (a project name carries words no
//! indicator has), matching with fewer of its informative words, the subject's words weighing more
//! than generic ones, and the indicators of the project type it names ranking up.

use super::index::SearchIndex;
use super::matcher::{Channel, How};
use super::plan::{BOILERPLATE_FROM, Plan, Reach, WORDS_WEIGHT, segments, term, term_query};
use super::request::{Relaxed, SearchRequest};
use crate::text::{looks_like_pinyin, normalize};
use tantivy::query::{BooleanQuery, Occur, Query};
use tantivy::{DocAddress, Score, Searcher};

/// What an indicator of a project type the query names (`query_types`) earns when it also holds
/// one of the query's informative words: more than a second shared word from another domain
/// earns (乡村 + 生活 for 农村生活污水治理), less than the whole query found in a name (25 and up).
const NAMED_TYPE_WEIGHT: f32 = 10.0;
/// The best matches of the whole query whose project types stand for the query's type when it
/// names none (`types_of_best`).
const TYPE_EVIDENCE: usize = 5;
/// What a generic word of a project name (`index/generic.txt`: 运营, 建设, 城市) weighs against a
/// word of its subject, when the name has both.
pub(super) const GENERIC_WEIGHT: Score = 0.5;

impl SearchIndex {
    /// What `segment_words_channel` did to a one-segment project name, for explain: the words
    /// it matched with (at least two thirds of them) and the boilerplate it left out.
    pub(super) fn boilerplate_left_out(&self, q: &str) -> Option<Relaxed> {
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

    /// The words of a query for relaxed matching: informative words, each with its synonyms, and
    /// the boilerplate set aside. Synonyms come from the vocabulary's groups; a rewrite that is
    /// not one word of the index (jieba would split it) is left out.
    pub(super) fn relaxable_words(&self, norm: &str) -> (Vec<Vec<String>>, Vec<String>) {
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
    pub(super) fn relaxed_plan(
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
    pub(super) fn query_types(&self, norm: &str) -> Vec<String> {
        let (_, words) = self.catalog_words();
        let mut best = 0;
        let mut out = Vec::new();
        for t in &words.types {
            let score: usize = t
                .keywords
                .iter()
                .filter(|k| k.chars >= 2 && norm.contains(k.text.as_str()))
                .map(|k| k.chars)
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
    pub(super) fn types_of_best(
        &self,
        searcher: &Searcher,
        top: &[(Score, DocAddress)],
    ) -> Vec<String> {
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
    pub(super) fn named_type_channel(
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

    /// How much each word group of a project name says about its subject: a generic word
    /// (`index/generic.txt`) weighs `GENERIC_WEIGHT` beside a word of the subject, so 敬老院运营补助
    /// ranks 敬老院 indicators above another domain's 运营 ones. A name of generic words only
    /// (运行维护) keeps them whole.
    pub(super) fn topic_weights(&self, groups: &[Vec<String>]) -> Vec<Score> {
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
    pub(super) fn frequency(&self, searcher: &Searcher, w: &str) -> u64 {
        let f = &self.fields;
        self.doc_freqs.get(searcher, &term(f.name, w))
            + self.doc_freqs.get(searcher, &term(f.definition, w))
    }
}
