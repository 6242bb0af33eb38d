//! The tantivy tokenizers: jieba words, character bigrams and pinyin.
//!
//! All of them tokenize the normalised text (see `text::normalize`). Offsets point into the
//! original text: normalisation keeps the character count, so byte offsets are mapped back.

use super::text::{is_word_char, normalize, syllables};
use super::vocab::Vocabulary;
use jieba_rs::Jieba;
use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::Arc;
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

pub const ZH: &str = "zh";
pub const GRAM: &str = "gram";
pub const PINYIN: &str = "py";
pub const INITIALS: &str = "pyi";
pub const PREFIX: &str = "prefix";

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
    stop_words: Arc<HashSet<String>>,
}

impl JiebaTokenizer {
    pub fn new(vocab: &Vocabulary) -> JiebaTokenizer {
        JiebaTokenizer {
            jieba: vocab.jieba(),
            stop_words: Arc::new(vocab.stop_words.clone()),
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
}

impl Tokenizer for JiebaTokenizer {
    type TokenStream<'a> = VecStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecStream {
        let m = OffsetMap::new(text);
        let mut tokens = Vec::new();
        for t in self.jieba.cut_for_search(&m.norm, false) {
            if !t.word.chars().any(is_word_char) || self.stop_words.contains(t.word) {
                continue;
            }
            tokens.push(Token {
                offset_from: m.orig(t.byte_start),
                offset_to: m.orig(t.byte_end),
                position: tokens.len(),
                text: t.word.to_string(),
                position_length: 1,
            });
        }
        VecStream::new(tokens)
    }
}

/// Each word character with the bigram and trigram it starts: any run of up to three characters
/// is one term, and a longer run is found through the trigrams covering it (see
/// `query::gram_query`). No positions are kept, so no markers either: "starts with" is checked
/// against the name itself.
#[derive(Clone, Default)]
pub struct GramTokenizer;

impl Tokenizer for GramTokenizer {
    type TokenStream<'a> = VecStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecStream {
        let m = OffsetMap::new(text);
        // (char, byte start, byte end) in original offsets, word characters only.
        let chars: Vec<(char, usize, usize)> = m
            .norm
            .char_indices()
            .filter(|(_, c)| is_word_char(*c))
            .map(|(i, c)| (c, m.orig(i), m.orig(i + c.len_utf8())))
            .collect();
        let mut tokens = Vec::with_capacity(chars.len() * 3);
        for (pos, &(_, from, to)) in chars.iter().enumerate() {
            let mut text = String::with_capacity(12);
            for (k, &(next, _, end)) in chars[pos..].iter().take(3).enumerate() {
                text.push(next);
                tokens.push(Token {
                    offset_from: from,
                    offset_to: if k == 0 { to } else { end },
                    position: pos,
                    text: text.clone(),
                    position_length: 1,
                });
            }
        }
        VecStream::new(tokens)
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

/// Pinyin of every suffix of the text (up to 8 syllables), full or initials only; the suffix that
/// starts the text is also indexed with a `^` so that prefix matches can rank first. Queries are
/// prefix (regex) matches against these terms, so `daolu` finds 新建道路里程 and `jishilv` finds
/// 完成及时率 even though jieba splits 及时 + 率.
#[derive(Clone)]
pub struct PinyinTokenizer {
    pub initials: bool,
}

impl Tokenizer for PinyinTokenizer {
    type TokenStream<'a> = VecStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecStream {
        let norm = normalize(text);
        // Syllables are ASCII (`ü` is written `v`): an initial is the first byte.
        let syl: Vec<Cow<str>> = syllables(&norm)
            .into_iter()
            .map(|(_, p)| match p {
                Cow::Borrowed(p) if self.initials => Cow::Borrowed(&p[..1.min(p.len())]),
                Cow::Owned(p) if self.initials => Cow::Owned(p[..1.min(p.len())].to_string()),
                p => p,
            })
            .collect();
        let mut tokens = Vec::new();
        let mut push = |text: String| {
            tokens.push(Token {
                offset_from: 0,
                offset_to: text.len().min(norm.len()),
                position: tokens.len(),
                text,
                position_length: 1,
            })
        };
        for i in 0..syl.len() {
            let s = syl[i..(i + PINYIN_SPAN).min(syl.len())].concat();
            if i == 0 {
                push(format!("{START}{s}"));
            }
            push(s);
        }
        VecStream::new(tokens)
    }
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
    fn pinyin_suffixes_cover_every_syllable_start() {
        let toks = texts(PinyinTokenizer { initials: false }, "新建道路");
        assert_eq!(
            toks,
            vec!["^xinjiandaolu", "xinjiandaolu", "jiandaolu", "daolu", "lu"]
        );
        let toks = texts(PinyinTokenizer { initials: true }, "满意度");
        assert_eq!(toks, vec!["^myd", "myd", "yd", "d"]);
    }
}
