//! The tantivy tokenizers: jieba words, character bigrams and pinyin.
//!
//! All of them tokenize the normalised text (see `text::normalize`). Offsets point into the
//! original text: normalisation keeps the character count, so byte offsets are mapped back.

use super::vocab::Vocabulary;
use crate::text::{RECENT_TEXT, Recent, is_word_char, normalize, syllables};
use jieba_rs::Jieba;
use rustc_hash::FxHashSet;
use std::borrow::Cow;
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

pub const ZH: &str = "zh";
pub const GRAM: &str = "gram";
pub const PINYIN: &str = "py";
pub const INITIALS: &str = "pyi";
pub const PREFIX: &str = "prefix";
pub const LIST: &str = "list";

/// Longest name prefix indexed as a term. Longer typed prefixes are found through their trigrams
/// and a check of the name: they are rare, selective queries, while every prefix indexed is a
/// term of its own (a name of eight characters would add eight mostly unique terms).
pub const PREFIX_CHARS: usize = 4;

/// Marks the pinyin of a name's first syllable (`^manyidu`): pinyin typed from the start of a
/// name ranks its completions first.
pub const START: char = '^';

/// Longest pinyin run indexed, in syllables. Queries are prefix matches against these terms, so
/// a short run keeps the number of terms sharing a prefix small (bounded by what can follow,
/// not by the number of names); nobody types more than four syllables of pinyin.
const PINYIN_SPAN: usize = 4;

/// A token stream over tokens computed up front (names and definitions are short).
pub struct VecStream {
    tokens: Vec<Token>,
    next: usize,
}

impl VecStream {
    fn new(tokens: Vec<Token>) -> VecStream {
        VecStream { tokens, next: 0 }
    }
}

impl TokenStream for VecStream {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }
    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }
    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

/// Byte offset in the original text of each character boundary of the normalised text.
struct OffsetMap {
    norm: String,
    /// original byte offset per normalised byte offset (only when they differ)
    map: Option<Vec<usize>>,
}

impl OffsetMap {
    fn new(original: &str) -> OffsetMap {
        let norm = normalize(original);
        if norm.len() == original.len() {
            return OffsetMap { norm, map: None };
        }
        let mut map = vec![0; norm.len() + 1];
        let mut orig = original.char_indices().map(|(i, _)| i);
        for (i, _) in norm.char_indices() {
            map[i] = orig.next().unwrap_or(original.len());
        }
        map[norm.len()] = original.len();
        OffsetMap {
            norm,
            map: Some(map),
        }
    }
    fn orig(&self, byte: usize) -> usize {
        self.map.as_ref().map_or(byte, |m| m[byte])
    }
}

/// jieba in search mode (words and their dictionary sub-words), HMM off: with HMM, unknown
/// characters merge across word boundaries and substrings stop matching.
#[derive(Clone)]
pub struct JiebaTokenizer {
    jieba: Arc<Jieba>,
    /// Looked up for every word of every definition: a fast hasher, as the keys are our own.
    stop_words: Arc<FxHashSet<String>>,
    /// Tells this tokenizer's (and its clones') remembered results from those of another
    /// vocabulary on the same thread.
    id: u64,
}

impl JiebaTokenizer {
    pub fn new(vocab: &Vocabulary) -> JiebaTokenizer {
        static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        JiebaTokenizer {
            jieba: vocab.jieba(),
            stop_words: Arc::new(vocab.stop_words.iter().cloned().collect()),
            id: NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        }
    }

    /// Query-side segmentation: default mode (a word stays one term), no stop words or
    /// punctuation. Search mode at query time would turn a word into a phrase of its parts.
    pub fn query_words(&self, normalized: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for t in self.jieba.cut(normalized, false) {
            let w = t.word.trim();
            if w.chars().any(is_word_char)
                && !self.stop_words.contains(w)
                && !out.iter().any(|o| o == w)
            {
                out.push(w.to_string());
            }
        }
        out
    }

    /// The sub-words of a word of two characters or more (口袋公园 → 口袋, 公园), as search mode
    /// indexes them; the word itself left out.
    pub fn sub_words(&self, word: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for t in self.jieba.cut_for_search(word, false) {
            let w = t.word.trim();
            if w != word
                && w.chars().count() >= 2
                && !self.stop_words.contains(w)
                && !out.iter().any(|o| o == w)
            {
                out.push(w.to_string());
            }
        }
        out
    }

    /// Words and sub-words of a normalised text, as byte spans, punctuation and stop words left
    /// out. A name's spans are remembered a little while: its pinyin fields need its word starts
    /// just after (see `name_pinyin`), on the same indexing thread.
    fn spans(&self, norm: &str) -> Spans {
        thread_local! {
            static RECENT: RefCell<Recent<(u64, String), Spans>> = const {
                RefCell::new(Recent::new())
            };
        }
        let split = || -> Spans {
            Rc::new(
                self.jieba
                    .cut_for_search(norm, false)
                    .into_iter()
                    .filter(|t| {
                        t.word.chars().any(is_word_char) && !self.stop_words.contains(t.word)
                    })
                    .map(|t| (t.byte_start, t.byte_end))
                    .collect(),
            )
        };
        if norm.len() > RECENT_TEXT {
            return split();
        }
        RECENT.with_borrow_mut(|r| {
            r.get_or_make(
                |(id, t)| *id == self.id && t == norm,
                || (self.id, norm.to_string()),
                split,
            )
        })
    }
}

/// Byte spans of tokens in a normalised text.
type Spans = Rc<Vec<(usize, usize)>>;

impl Tokenizer for JiebaTokenizer {
    type TokenStream<'a> = SpanStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> SpanStream {
        let m = OffsetMap::new(text);
        let spans = self.spans(&m.norm);
        SpanStream::new(m, spans)
    }
}

/// Tokens that are slices of the normalised text, written one after another into one token:
/// tantivy copies each token's text into its own arena, so a fresh string per token would only
/// be allocated and freed again.
pub struct SpanStream {
    map: OffsetMap,
    spans: Spans,
    next: usize,
    token: Token,
}

impl SpanStream {
    fn new(map: OffsetMap, spans: Spans) -> SpanStream {
        SpanStream {
            map,
            spans,
            next: 0,
            token: Token::default(),
        }
    }
}

impl TokenStream for SpanStream {
    fn advance(&mut self) -> bool {
        let Some(&(from, to)) = self.spans.get(self.next) else {
            return false;
        };
        self.token.text.clear();
        self.token.text.push_str(&self.map.norm[from..to]);
        self.token.offset_from = self.map.orig(from);
        self.token.offset_to = self.map.orig(to);
        self.token.position = self.next;
        self.next += 1;
        true
    }
    fn token(&self) -> &Token {
        &self.token
    }
    fn token_mut(&mut self) -> &mut Token {
        &mut self.token
    }
}

/// A list of terms split beforehand, one per line. Project-type words are split by jieba once
/// per type, not once per indicator (see `index::TypeWords`); tantivy's own pre-tokenized values
/// would cost more, as it passes them through JSON.
#[derive(Clone, Default)]
pub struct ListTokenizer;

/// Separates the terms of a `ListTokenizer` text.
pub const LIST_SEPARATOR: char = '\n';

impl Tokenizer for ListTokenizer {
    type TokenStream<'a> = SpanStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> SpanStream {
        let mut spans = Vec::new();
        let mut from = 0;
        for (i, _) in text.match_indices(LIST_SEPARATOR).chain([(text.len(), "")]) {
            if i > from {
                spans.push((from, i));
            }
            from = i + LIST_SEPARATOR.len_utf8();
        }
        let map = OffsetMap {
            norm: text.to_string(),
            map: None,
        };
        SpanStream::new(map, Rc::new(spans))
    }
}

/// Each word character with the bigram and trigram it starts: any run of up to three characters
/// is one term, and a longer run is found through the trigrams covering it (see
/// `plan::name_run`). No positions are kept, so no markers either: "starts with" is checked
/// against the name itself.
#[derive(Clone, Default)]
pub struct GramTokenizer;

impl Tokenizer for GramTokenizer {
    type TokenStream<'a> = GramStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> GramStream {
        let m = OffsetMap::new(text);
        let chars = m
            .norm
            .char_indices()
            .filter(|(_, c)| is_word_char(*c))
            .map(|(i, c)| (c, m.orig(i), m.orig(i + c.len_utf8())))
            .collect();
        GramStream {
            chars,
            start: 0,
            len: 0,
            token: Token::default(),
        }
    }
}

/// The grams of `GramTokenizer`, made one at a time in one token (see `SpanStream`).
pub struct GramStream {
    /// (char, byte start, byte end) in original offsets, word characters only.
    chars: Vec<(char, usize, usize)>,
    start: usize,
    /// Characters in the current gram.
    len: usize,
    token: Token,
}

impl TokenStream for GramStream {
    fn advance(&mut self) -> bool {
        if self.len == 3 || self.start + self.len == self.chars.len() {
            self.start += 1;
            self.len = 0;
            self.token.text.clear();
        }
        let Some(&(c, _, end)) = self.chars.get(self.start + self.len) else {
            return false;
        };
        self.token.text.push(c);
        self.token.offset_from = self.chars[self.start].1;
        self.token.offset_to = end;
        self.token.position = self.start;
        self.len += 1;
        true
    }
    fn token(&self) -> &Token {
        &self.token
    }
    fn token_mut(&mut self) -> &mut Token {
        &mut self.token
    }
}

/// Every prefix of the normalised text's word characters, up to `PREFIX_CHARS`: 满意度 gives
/// 满, 满意, 满意度. A half-typed name is then found by one term lookup, the cheapest query there is.
#[derive(Clone, Default)]
pub struct PrefixTokenizer;

impl Tokenizer for PrefixTokenizer {
    type TokenStream<'a> = VecStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecStream {
        let m = OffsetMap::new(text);
        let mut prefix = String::new();
        let mut tokens = Vec::new();
        for (i, c) in m.norm.char_indices().filter(|(_, c)| is_word_char(*c)) {
            if tokens.len() == PREFIX_CHARS {
                break;
            }
            prefix.push(c);
            tokens.push(Token {
                offset_from: m.orig(0),
                offset_to: m.orig(i + c.len_utf8()),
                position: tokens.len(),
                text: prefix.clone(),
                position_length: 1,
            });
        }
        VecStream::new(tokens)
    }
}

/// Pinyin of the text from each of its word starts (up to `PINYIN_SPAN` syllables), full or
/// initials only; the pinyin that starts the text is also indexed with a `^` so that prefix
/// matches can rank first. Queries are prefix (regex) matches against these terms, so `daolu`
/// finds 新建道路里程 and `jishilv` finds 完成及时率 even though jieba splits 及时 + 率.
///
/// Word starts are those of jieba in search mode (stop words aside), sub-words included (验收合格率 starts 验收,
/// 合格, 合格率): pinyin is typed from the start of a word, and a suffix from every syllable
/// would double the field's terms for spellings nobody types (`yidu` for 满意度).
#[derive(Clone)]
pub struct PinyinTokenizer {
    words: JiebaTokenizer,
    initials: bool,
}

impl PinyinTokenizer {
    pub fn new(words: &JiebaTokenizer, initials: bool) -> PinyinTokenizer {
        PinyinTokenizer {
            words: words.clone(),
            initials,
        }
    }
}

impl Tokenizer for PinyinTokenizer {
    type TokenStream<'a> = VecStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecStream {
        let norm = normalize(text);
        let name = name_pinyin(&self.words, &norm);
        // Syllables are ASCII (`ü` is written `v`): an initial is the first byte.
        let syl: Vec<&str> = name
            .syllables
            .iter()
            .map(|p| {
                if self.initials {
                    &p[..1.min(p.len())]
                } else {
                    p
                }
            })
            .collect();
        let mut tokens = Vec::with_capacity(name.starts.len() + 1);
        let mut push = |text: String| {
            tokens.push(Token {
                offset_from: 0,
                offset_to: text.len().min(norm.len()),
                position: tokens.len(),
                text,
                position_length: 1,
            })
        };
        for &i in &name.starts {
            let s = syl[i..(i + PINYIN_SPAN).min(syl.len())].concat();
            if i == 0 {
                push(format!("{START}{s}"));
            }
            push(s);
        }
        VecStream::new(tokens)
    }
}

/// A name's syllables, and the indexes of those that start a word (the first always does).
struct NamePinyin {
    syllables: Vec<Cow<'static, str>>,
    starts: Vec<usize>,
}

/// The pinyin of a normalised name. Both pinyin fields are made from the same name one after the
/// other on one indexing thread, so the pinyin of the last few names is remembered.
fn name_pinyin(words: &JiebaTokenizer, norm: &str) -> Rc<NamePinyin> {
    thread_local! {
        static RECENT: RefCell<Recent<(u64, String), Rc<NamePinyin>>> = const {
            RefCell::new(Recent::new())
        };
    }
    let make = || {
        let (chars, syllables): (Vec<usize>, Vec<Cow<'static, str>>) =
            syllables(norm).into_iter().unzip();
        let mut starts = Vec::new();
        if !chars.is_empty() {
            starts.push(0);
            let char_of: Vec<usize> = norm.char_indices().map(|(b, _)| b).collect();
            for &(from, _) in words.spans(norm).iter() {
                let c = char_of.partition_point(|&b| b < from);
                // The syllable of the word's first character, or of the next one that has one.
                let i = chars.partition_point(|&sc| sc < c);
                if i < chars.len() {
                    starts.push(i);
                }
            }
            starts.sort_unstable();
            starts.dedup();
        }
        Rc::new(NamePinyin { syllables, starts })
    };
    RECENT.with_borrow_mut(|r| {
        r.get_or_make(
            |(id, t)| *id == words.id && t == norm,
            || (words.id, norm.to_string()),
            make,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts<T: Tokenizer>(mut t: T, s: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut st = t.token_stream(s);
        while st.advance() {
            out.push(st.token().text.clone());
        }
        out
    }

    #[test]
    fn grams_are_every_run_of_up_to_three_word_characters() {
        assert_eq!(
            texts(GramTokenizer, "满意度（%）"),
            vec![
                "满",
                "满意",
                "满意度",
                "意",
                "意度",
                "意度%",
                "度",
                "度%",
                "%"
            ]
        );
        assert_eq!(texts(GramTokenizer, "率"), vec!["率"]);
    }

    #[test]
    fn a_list_is_split_at_its_separator_only() {
        assert_eq!(
            texts(ListTokenizer, "道路\n道路 建设\n\n养护"),
            vec!["道路", "道路 建设", "养护"]
        );
        assert!(texts(ListTokenizer, "").is_empty());
    }

    #[test]
    fn prefixes_skip_punctuation_and_stop_at_the_limit() {
        assert_eq!(
            texts(PrefixTokenizer, "滿意度（%）"),
            vec!["满", "满意", "满意度", "满意度%"]
        );
        let long = "一".repeat(PREFIX_CHARS + 5);
        assert_eq!(texts(PrefixTokenizer, &long).len(), PREFIX_CHARS);
    }

    #[test]
    fn bigram_offsets_point_into_the_original_text() {
        let text = "滿意度";
        let mut t = GramTokenizer;
        let mut st = t.token_stream(text);
        for _ in 0..2 {
            st.advance();
        }
        let tok = st.token();
        assert_eq!(tok.text, "满意");
        assert_eq!(&text[tok.offset_from..tok.offset_to], "滿意");
    }

    #[test]
    fn jieba_indexes_words_and_sub_words_without_punctuation() {
        let t = JiebaTokenizer::new(&Vocabulary::empty());
        let toks = texts(t, "服务对象满意度（%）");
        assert!(toks.contains(&"满意度".to_string()), "{toks:?}");
        assert!(toks.contains(&"满意".to_string()), "{toks:?}");
        assert!(!toks.iter().any(|t| t == "（" || t == "）"), "{toks:?}");
    }

    #[test]
    fn tokenizers_of_two_vocabularies_on_one_thread_keep_their_own_words() {
        let plain = JiebaTokenizer::new(&Vocabulary::empty());
        let vocab = Vocabulary::parse("", "", "合格\n", std::path::Path::new(".")).unwrap();
        let no_pass = JiebaTokenizer::new(&vocab);
        // The same short text, one after the other: each remembers its own split.
        let pass = "合格".to_string();
        assert!(texts(plain.clone(), "验收合格").contains(&pass));
        assert!(!texts(no_pass.clone(), "验收合格").contains(&pass));
        assert!(!texts(no_pass.clone(), "资料合格").contains(&pass));
        assert!(texts(plain.clone(), "资料合格").contains(&pass));
    }

    #[test]
    fn pinyin_starts_at_every_word_start() {
        let words = JiebaTokenizer::new(&Vocabulary::empty());
        let pinyin = |initials, text| texts(PinyinTokenizer::new(&words, initials), text);
        assert_eq!(
            pinyin(false, "新建道路"),
            vec!["^xinjiandaolu", "xinjiandaolu", "daolu"]
        );
        assert_eq!(pinyin(true, "满意度"), vec!["^myd", "myd"]);
        // Across words (及时 + 率), and from a word inside a longer one (合格 in 验收合格率).
        assert!(pinyin(false, "完成及时率").contains(&"jishilv".to_string()));
        assert!(pinyin(true, "验收合格率").contains(&"hgl".to_string()));
        // Punctuation and letters: the first syllable still starts a word.
        assert_eq!(
            pinyin(true, "（一）PM2.5"),
            vec!["^ypm2", "ypm2", "pm25", "5"]
        );
        assert!(pinyin(false, "（）").is_empty());
    }
}
