//! Highlighting by characters: the matched characters of the original text are marked, for every
//! channel (words, substrings, synonyms, pinyin), so marks never land on the wrong characters.

use crate::text::{normalize, syllables};
use std::borrow::Cow;

/// What to mark: normalised strings, and pinyin (full or initials) typed by the user.
#[derive(Debug, Default, Clone)]
pub struct Marks {
    pub strings: Vec<String>,
    pub pinyin: Vec<String>,
}

impl Marks {
    pub fn add(&mut self, s: &str) {
        if !s.is_empty() && !self.strings.iter().any(|x| x == s) {
            self.strings.push(s.to_string());
        }
    }

    /// Which characters of `text` match (by character index).
    fn mask(&self, text: &str) -> Vec<bool> {
        self.mask_of(&normalize(text).chars().collect::<Vec<char>>())
    }

    /// The same for a text already normalised (one character per character of the original).
    fn mask_of(&self, norm: &[char]) -> Vec<bool> {
        let mut mask = vec![false; norm.len()];
        for s in &self.strings {
            let pat: Vec<char> = s.chars().collect();
            if pat.is_empty() || pat.len() > norm.len() {
                continue;
            }
            for start in 0..=norm.len() - pat.len() {
                // First character first: most starts fail there, without a slice comparison.
                if norm[start] == pat[0] && norm[start..start + pat.len()] == pat[..] {
                    mask[start..start + pat.len()]
                        .iter_mut()
                        .for_each(|m| *m = true);
                }
            }
        }
        if !self.pinyin.is_empty() {
            let norm: String = norm.iter().collect();
            let syl = syllables(&norm);
            for q in &self.pinyin {
                mark_pinyin(&syl, q, &mut mask);
            }
        }
        mask
    }

    /// `text` as HTML with `<mark>` around matched characters.
    pub fn html(&self, text: &str) -> String {
        render(text, &self.mask(text), 0, text.chars().count())
    }

    /// `html` for a text whose normalised form is known.
    pub fn html_of(&self, text: &str, norm: &[char]) -> String {
        render(text, &self.mask_of(norm), 0, norm.len())
    }

    /// A window of about `width` characters around the first match (the start when none).
    pub fn snippet(&self, text: &str, width: usize) -> String {
        self.snippet_of(text, &normalize(text).chars().collect::<Vec<char>>(), width)
    }

    /// `snippet` for a text whose normalised form is known.
    pub fn snippet_of(&self, text: &str, norm: &[char], width: usize) -> String {
        let mask = self.mask_of(norm);
        let n = mask.len();
        let first = mask.iter().position(|m| *m).unwrap_or(0);
        let start = first.saturating_sub(width / 4);
        let end = (start + width).min(n);
        let start = end.saturating_sub(width).min(start);
        let mut out = String::new();
        if start > 0 {
            out.push('…');
        }
        out.push_str(&render(text, &mask, start, end));
        if end < n {
            out.push('…');
        }
        out
    }
}

/// Marks the characters whose pinyin (full syllables, or initials) spells `q` from a syllable start.
fn mark_pinyin(syl: &[(usize, Cow<str>)], q: &str, mask: &mut [bool]) {
    for initials in [false, true] {
        for i in 0..syl.len() {
            let mut spelled = String::new();
            let mut j = i;
            while spelled.len() < q.len() && j < syl.len() {
                let s: &str = &syl[j].1;
                spelled.push_str(if initials { &s[..1] } else { s });
                j += 1;
            }
            let hit = if initials {
                spelled == q
            } else {
                spelled.starts_with(q)
            };
            if hit {
                for (c, _) in &syl[i..j] {
                    mask[*c] = true;
                }
                return;
            }
        }
    }
}

fn render(text: &str, mask: &[bool], start: usize, end: usize) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut open = false;
    for (i, c) in text.chars().enumerate().skip(start).take(end - start) {
        let m = mask.get(i).copied().unwrap_or(false);
        if m && !open {
            out.push_str("<mark>");
            open = true;
        } else if !m && open {
            out.push_str("</mark>");
            open = false;
        }
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    if open {
        out.push_str("</mark>");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marks(strings: &[&str], pinyin: &[&str]) -> Marks {
        Marks {
            strings: strings.iter().map(|s| s.to_string()).collect(),
            pinyin: pinyin.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn substrings_are_marked_on_the_original_characters() {
        assert_eq!(
            marks(&["满意"], &[]).html("服务对象滿意度"),
            "服务对象<mark>滿意</mark>度"
        );
    }

    #[test]
    fn pinyin_marks_the_characters_it_spells() {
        assert_eq!(
            marks(&[], &["daolu"]).html("新建道路里程"),
            "新建<mark>道路</mark>里程"
        );
        assert_eq!(
            marks(&[], &["myd"]).html("群众满意度"),
            "群众<mark>满意度</mark>"
        );
        assert_eq!(
            marks(&[], &["wushuich"]).html("污水处理率"),
            "<mark>污水处</mark>理率"
        );
    }

    #[test]
    fn every_occurrence_is_marked_overlapping_ones_too() {
        assert_eq!(
            marks(&["验收"], &[]).html("验收合格率与验收及时率"),
            "<mark>验收</mark>合格率与<mark>验收</mark>及时率"
        );
        assert_eq!(marks(&["aa"], &[]).html("aaab"), "<mark>aaa</mark>b");
        assert_eq!(marks(&["率"], &[]).html("完成率"), "完成<mark>率</mark>");
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(marks(&["a"], &[]).html("<a>"), "&lt;<mark>a</mark>&gt;");
    }

    #[test]
    fn snippets_centre_on_the_first_match() {
        let text = "反映年度内按设计标准建成并通过交工验收的新建城市道路长度，以交工验收报告为准。";
        let s = marks(&["验收"], &[]).snippet(text, 12);
        assert!(s.starts_with('…') && s.contains("<mark>验收</mark>"), "{s}");
    }
}
