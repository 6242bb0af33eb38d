//! The tantivy tokenizers: jieba words, character bigrams and pinyin.
//!
//! All of them tokenize the normalised text (see `text::normalize`). Offsets point into the
//! original text: normalisation keeps the character count, so byte offsets are mapped back.

use super::text::{is_word_char, normalize, syllables};
use super::vocab::Vocabulary;
use jieba_rs::Jieba;
use std::collections::HashSet;
use std::sync::Arc;
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

pub const ZH: &str = "zh";
pub const GRAM: &str = "gram";
pub const PINYIN: &str = "py";
pub const INITIALS: &str = "pyi";
pub const PREFIX: &str = "prefix";

/// Longest name prefix indexed as a term; longer typed prefixes fall back to a bigram phrase.
pub const PREFIX_CHARS: usize = 16;

/// Start and end markers of the bigram field: a phrase that begins with `^x` matches only at the
/// start of a name, so a half-typed word ranks its completions first.
pub const START: char = '^';
pub const END: char = '$';

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

/// Character bigrams and trigrams with start and end markers, at the position of their first
/// character, so that a phrase of them finds any contiguous substring whatever the segmentation.
#[derive(Clone, Default)]
pub struct GramTokenizer;

/// The bigrams of a normalised string, markers included when asked for.
pub fn bigrams(chars: &[char]) -> Vec<String> {
    chars
        .windows(2)
        .map(|w| w.iter().collect::<String>())
        .collect()
}

impl Tokenizer for GramTokenizer {
    type TokenStream<'a> = VecStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecStream {
        let m = OffsetMap::new(text);
        // (char, byte start, byte end) in original offsets, word characters only.
        let mut chars: Vec<(char, usize, usize)> = vec![(START, m.orig(0), m.orig(0))];
        for (i, c) in m.norm.char_indices() {
            if is_word_char(c) {
                chars.push((c, m.orig(i), m.orig(i + c.len_utf8())));
            }
        }
        let end = m.orig(m.norm.len());
        chars.push((END, end, end));
        let mut tokens = Vec::with_capacity(chars.len() * 3);
        for (pos, w) in chars.windows(2).enumerate() {
            // The character itself shares the bigram's position: a one-character query is then a
            // single term, and phrases of bigrams are not disturbed.
            if pos > 0 {
                tokens.push(Token {
                    offset_from: w[0].1,
                    offset_to: w[0].2,
                    position: pos,
                    text: w[0].0.to_string(),
                    position_length: 1,
                });
            }
            tokens.push(Token {
                offset_from: w[0].1,
                offset_to: w[1].2,
                position: pos,
                text: [w[0].0, w[1].0].iter().collect(),
                position_length: 1,
            });
            // Trigrams too: a three-character query is one term, a longer one a phrase of
            // fewer, rarer terms; phrases are the costliest part of a search.
            if let Some(third) = chars.get(pos + 2) {
                tokens.push(Token {
                    offset_from: w[0].1,
                    offset_to: third.2,
                    position: pos,
                    text: [w[0].0, w[1].0, third.0].iter().collect(),
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
        let syl: Vec<String> = syllables(&norm)
            .into_iter()
            .map(|(_, p)| {
                if self.initials {
                    p.chars().next().map(String::from).unwrap_or_default()
                } else {
                    p
                }
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
    fn bigrams_carry_start_and_end_markers_and_skip_punctuation() {
        assert_eq!(
            texts(GramTokenizer, "满意度（%）"),
            vec![
                "^满",
                "^满意",
                "满",
                "满意",
                "满意度",
                "意",
                "意度",
                "意度%",
                "度",
                "度%",
                "度%$",
                "%",
                "%$"
            ]
        );
        assert_eq!(texts(GramTokenizer, "率"), vec!["^率", "^率$", "率", "率$"]);
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
        for _ in 0..4 {
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
