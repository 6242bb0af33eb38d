//! Text normalisation and pinyin, shared by indexing, querying and highlighting.
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

/// The searchable form of a text, with exactly as many characters as the input.
pub fn normalize(text: &str) -> String {
    // Indexing normalises each name once per field made from it (words, grams, prefixes, pinyin,
    // initials): the last few short texts of this thread are remembered.
    const SHORT: usize = 96;
    thread_local! {
        static RECENT: std::cell::RefCell<Vec<(String, String)>> = const {
            std::cell::RefCell::new(Vec::new())
        };
    }
    if text.len() > SHORT {
        return fold(text);
    }
    RECENT.with(|recent| {
        let mut recent = recent.borrow_mut();
        if let Some((_, norm)) = recent.iter().find(|(t, _)| t == text) {
            return norm.clone();
        }
        let norm = fold(text);
        if recent.len() == 4 {
            recent.remove(0);
        }
        recent.push((text.to_string(), norm.clone()));
        norm
    })
}

fn fold(text: &str) -> String {
    let folded: String = text.chars().map(fold_char).collect();
    // fast2s maps character to character (with a little context), keeping the count.
    let simplified = fast2s::convert(&folded);
    debug_assert_eq!(simplified.chars().count(), text.chars().count());
    simplified
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
    fn pinyin_uses_the_reading_of_rates() {
        let s: Vec<Cow<str>> = syllables("及时率").into_iter().map(|(_, p)| p).collect();
        assert_eq!(s.concat(), "jishilv");
        let s: Vec<Cow<str>> = syllables("满意度").into_iter().map(|(_, p)| p).collect();
        assert_eq!(s.concat(), "manyidu");
    }
}
