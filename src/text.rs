//! Text folding and pinyin: the one searchable form of a text, shared by every layer that compares
//! text (indexing, querying, highlighting, matching, identity keys).
//!
//! Normalisation works character by character and never changes the number of characters, so a
//! match found in normalised text marks exactly the same characters in the original.

use pinyin::ToPinyin;
use std::borrow::Cow;
use unicode_normalization::UnicodeNormalization;

/// Folds one character: full-width forms to ASCII (NFKC when it yields one character), ASCII to
/// lower case, traditional to simplified Chinese.
fn fold_char(c: char) -> char {
    // Common CJK ideographs are their own NFKC form: skip the normaliser for them (hot path).
    let c = if c.is_ascii() || ('\u{4E00}'..='\u{9FFF}').contains(&c) {
        c
    } else {
        let mut it = std::iter::once(c).nfkc();
        match (it.next(), it.next()) {
            (Some(n), None) => n,
            _ => c,
        }
    };
    c.to_ascii_lowercase()
}

/// Results worked out lately for a few short texts of a thread. Indexing makes several fields
/// from one name in a row (words, grams, prefixes, pinyin, initials), so the same name comes back
/// at once; definitions are long and seldom repeat, so callers only remember texts up to
/// `RECENT_TEXT` bytes.
pub(crate) struct Recent<K, V>(Vec<(K, V)>);

/// Longest text worth remembering in a `Recent`.
pub(crate) const RECENT_TEXT: usize = 96;

impl<K, V: Clone> Recent<K, V> {
    pub const fn new() -> Self {
        Recent(Vec::new())
    }

    /// The value remembered under a key `is` accepts; else `make`'s, remembered under `key()`
    /// in place of the oldest of four.
    pub fn get_or_make(
        &mut self,
        is: impl Fn(&K) -> bool,
        key: impl FnOnce() -> K,
        make: impl FnOnce() -> V,
    ) -> V {
        if let Some((_, v)) = self.0.iter().find(|(k, _)| is(k)) {
            return v.clone();
        }
        let v = make();
        if self.0.len() == 4 {
            self.0.remove(0);
        }
        self.0.push((key(), v.clone()));
        v
    }
}

/// The searchable form of a text, with exactly as many characters as the input.
pub fn normalize(text: &str) -> String {
    thread_local! {
        static RECENT: std::cell::RefCell<Recent<String, String>> = const {
            std::cell::RefCell::new(Recent::new())
        };
    }
    if text.len() > RECENT_TEXT {
        return fold(text);
    }
    RECENT.with_borrow_mut(|r| r.get_or_make(|t| t == text, || text.to_string(), || fold(text)))
}

fn fold(text: &str) -> String {
    let mut folded = String::with_capacity(text.len());
    let mut traditional = false;
    for c in text.chars().map(fold_char) {
        traditional |= may_simplify(c);
        folded.push(c);
    }
    if !traditional {
        return folded;
    }
    // fast2s maps character to character (with a little context), keeping the count.
    let simplified = fast2s::convert(&folded);
    debug_assert_eq!(simplified.chars().count(), text.chars().count());
    simplified
}

/// Whether fast2s could change this character. It looks every three-byte character up in three
/// hash maps, while names and definitions are nearly always simplified already: a bitmap of the
/// characters it changes lets such texts skip it, with exactly the same result.
fn may_simplify(c: char) -> bool {
    use std::sync::LazyLock;
    // fast2s converts only characters of three UTF-8 bytes.
    const FIRST: u32 = 0x800;
    const LAST: u32 = 0xFFFF;
    static CHANGED: LazyLock<Vec<u64>> = LazyLock::new(|| {
        let all: Vec<char> = (FIRST..=LAST).filter_map(char::from_u32).collect();
        let text: String = all.iter().collect();
        let mut bits = vec![0u64; ((LAST - FIRST) / 64 + 1) as usize];
        let mut mark = |c: char| {
            let i = (c as u32 - FIRST) as usize;
            bits[i / 64] |= 1 << (i % 64);
        };
        // Converted in one pass, a character changes unless a neighbour prevents it; the only
        // characters whose conversion depends on a neighbour are marked below as well.
        for (a, b) in all.iter().zip(fast2s::convert(&text).chars()) {
            if *a != b {
                mark(*a);
            }
        }
        "兒覆夥藉瞭麽幺於乾著苧闔鍾讎畫".chars().for_each(mark);
        bits
    });
    let code = c as u32;
    if !(FIRST..=LAST).contains(&code) {
        return false;
    }
    let i = (code - FIRST) as usize;
    CHANGED[i / 64] & (1 << (i % 64)) != 0
}

/// A text as an identity key or a header compares it: normalised, white space removed, so
/// spacing and full-width forms do not make two of one thing.
pub fn compact(text: &str) -> String {
    normalize(text)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

/// A name as two names are compared: normalised, letters, digits and per-cent signs only, so
/// punctuation, spacing, width and traditional forms do not tell two names apart.
pub fn name_key(name: &str) -> String {
    normalize(name)
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, '%' | '‰'))
        .collect()
}

/// How alike two keys are, 0..=1: the Sørensen–Dice coefficient of their sets of character
/// bigrams (a one-character key is its own bigram).
pub fn bigram_dice(a: &str, b: &str) -> f32 {
    fn grams(s: &str) -> std::collections::HashSet<(char, char)> {
        let cs: Vec<char> = s.chars().collect();
        if cs.len() == 1 {
            return std::collections::HashSet::from([(cs[0], cs[0])]);
        }
        cs.windows(2).map(|w| (w[0], w[1])).collect()
    }
    let (ga, gb) = (grams(a), grams(b));
    if ga.is_empty() || gb.is_empty() {
        return 0.0;
    }
    2.0 * ga.intersection(&gb).count() as f32 / (ga.len() + gb.len()) as f32
}

/// The normalised word characters of a text, as the gram tokenizer sees them.
pub fn word_chars(text: &str) -> String {
    normalize(text)
        .chars()
        .filter(|c| is_word_char(*c))
        .collect()
}

/// Characters that carry meaning for search (CJK, letters, digits, a few symbols used in names).
pub fn is_word_char(c: char) -> bool {
    // Common ideographs first: `is_alphanumeric` looks them up in a slow table.
    ('\u{4E00}'..='\u{9FFF}').contains(&c)
        || c.is_alphanumeric()
        || matches!(c, '%' | '‰' | '.' | '+' | '#')
}

pub fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FFFF)
}

/// Plain pinyin of one character, `ü` written `v` as on a keyboard; digits and letters stand for
/// themselves; anything else has none.
pub fn char_pinyin(c: char) -> Option<Cow<'static, str>> {
    if c.is_ascii_alphanumeric() {
        return Some(Cow::Owned(c.to_ascii_lowercase().to_string()));
    }
    // Readings that matter in indicator names and that the default (most common) reading misses.
    let fixed = match c {
        '率' => Some("lv"),
        '长' => Some("chang"),
        '量' => Some("liang"),
        '重' => Some("zhong"),
        '行' => Some("xing"),
        '处' => Some("chu"),
        '供' => Some("gong"),
        '期' => Some("qi"),
        _ => None,
    };
    if let Some(f) = fixed {
        return Some(Cow::Borrowed(f));
    }
    c.to_pinyin().map(|p| {
        let plain = p.plain();
        if plain.contains('ü') {
            Cow::Owned(plain.replace('ü', "v"))
        } else {
            Cow::Borrowed(plain)
        }
    })
}

/// The pinyin syllables of a text, one entry per character that has one.
pub fn syllables(text: &str) -> Vec<(usize, Cow<'static, str>)> {
    text.chars()
        .enumerate()
        .filter_map(|(i, c)| char_pinyin(c).map(|p| (i, p)))
        .collect()
}

/// Whether a query segment should be read as pinyin (letters only, at least two).
pub fn looks_like_pinyin(segment: &str) -> bool {
    segment.len() >= 2 && segment.chars().all(|c| c.is_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation_folds_width_case_and_traditional_characters() {
        assert_eq!(normalize("滿意度"), "满意度");
        assert_eq!(normalize("培訓人次"), "培训人次");
        assert_eq!(normalize("ＬＥＤ路灯"), "led路灯");
        assert_eq!(normalize("PM2.5"), "pm2.5");
    }

    #[test]
    fn normalisation_keeps_the_character_count_for_highlighting() {
        for s in ["㎡改造面积", "（一）滿意度", "ⅣⅤ类水体", "Ａ级"] {
            assert_eq!(normalize(s).chars().count(), s.chars().count(), "{s}");
        }
    }

    #[test]
    fn only_characters_fast2s_would_change_take_the_slow_path() {
        assert!(may_simplify('滿') && may_simplify('訓') && may_simplify('畫'));
        assert!(!may_simplify('满') && !may_simplify('率') && !may_simplify('a'));
        // Every character alone, and the context-dependent pairs, fold as through fast2s.
        let slow = |s: &str| fast2s::convert(&s.chars().map(fold_char).collect::<String>());
        for c in ('\u{3400}'..='\u{9FFF}').chain('\u{F900}'..='\u{FFEF}') {
            let s = c.to_string();
            assert_eq!(fold(&s), slow(&s), "{c}");
        }
        for s in [
            "計畫",
            "企畫案",
            "藉口",
            "憑藉",
            "慰藉",
            "看著",
            "乾隆",
            "乾淨",
            "苧麻",
        ] {
            assert_eq!(fold(s), slow(s), "{s}");
        }
    }

    #[test]
    fn name_keys_ignore_punctuation_width_and_traditional_forms() {
        assert_eq!(name_key("（一）培訓 人次"), name_key("一培训人次"));
        assert_eq!(name_key("ＬＥＤ路灯完好率%"), "led路灯完好率%");
        assert_eq!(compact(" 2025 年　道路 "), "2025年道路");
    }

    #[test]
    fn bigram_dice_counts_shared_pairs_of_characters() {
        assert_eq!(bigram_dice("完好率", "完好率"), 1.0);
        assert_eq!(bigram_dice("故障修复时间", "一般故障修复时间"), 10.0 / 12.0);
        assert!(bigram_dice("城市道路完好率", "设施设备完好率") < 0.6);
        assert_eq!(bigram_dice("率", "率"), 1.0);
        assert_eq!(bigram_dice("", "率"), 0.0);
    }

    #[test]
    fn pinyin_uses_the_reading_of_rates() {
        let s: Vec<Cow<str>> = syllables("及时率").into_iter().map(|(_, p)| p).collect();
        assert_eq!(s.concat(), "jishilv");
        let s: Vec<Cow<str>> = syllables("满意度").into_iter().map(|(_, p)| p).collect();
        assert_eq!(s.concat(), "manyidu");
    }
}
