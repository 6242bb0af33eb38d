//! How an indicator name written in a self-evaluation table is read for comparison, the same way
//! for library names, aliases, imported rows and candidate clusters: a `Key`.
//!
//! The key folds what budget units change without changing what is measured: width, case and
//! traditional characters (`text::normalize`); numbering (1、 （一）); bracketed notes
//! （%） (单位：公里); years (2025年, 2024—2025年度); the search vocabulary's synonyms, each group
//! to its first word (按时/如期 → 按期) plus a few form words (达成率 → 完成率, a closing
//! 比例/比率/占比 → 率); stop words (的, 年度, 情况); and filler at either end, on word boundaries
//! (本年度, 全年, 完成, 实际, 辖区, 全县, 本项目 … 指标, 完成情况). What it cannot fold — word
//! order and same-sound typos — the key keeps comparable: its characters, and its sounds (one
//! toneless pinyin syllable per character, packed in a `u64`).

use super::units;
use crate::search::Vocabulary;
use crate::text::{char_pinyin, normalize};
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use jieba_rs::Jieba;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock};

/// Word groups that forms use interchangeably in indicator names but the search keeps apart
/// (the first word of a group is the one kept).
const FORM_SYNONYMS: &[&[&str]] = &[&["完成率", "达成率"], &["满意度", "满意率"]];

/// Words at the start of a name that do not change what is measured (全区新建道路里程 =
/// 新建道路里程), besides `TIME_FILLER`; longest first where one begins another.
const LEADING: &[&str] = &[
    "确保",
    "实现",
    "达到",
    "保持",
    "实际完成",
    "累计完成",
    "完成",
    "实际",
    "累计",
    "本项目",
    "项目区",
    "该项目",
    "项目",
    "本单位",
    "本部门",
    "辖区内",
    "辖区",
    "全区",
    "全县",
    "全市",
    "全镇",
    "全乡",
    "全省",
    "本区",
    "本县",
    "本市",
    "本镇",
    "区级",
    "县级",
    "市级",
    "城区",
];

/// Words of time that do not change what is measured wherever they stand (道路全年照明亮灯率 =
/// 道路照明亮灯率): a form's filler moved inside the name with the words around it.
const TIME_FILLER: &[&str] = &[
    "本年度",
    "本年",
    "年度",
    "全年",
    "当年",
    "今年",
    "年内",
    "本期",
    "当期",
];

/// Words at the end of a name that do not change what is measured.
const TRAILING: &[&str] = &[
    "完成情况",
    "情况",
    "指标",
    "完成值",
    "实际值",
    "实现值",
    "目标值",
    "数值",
    "实际完成",
    "完成数",
    "完成量",
    "完成",
];

/// Name endings that mean "rate" in forms: folded to 率 (达标比例 = 达标率).
const RATE_ENDINGS: &[&str] = &["比例", "比率", "占比"];

/// A name as the matcher and the clustering compare it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key {
    /// The folded name.
    pub text: String,
    pub chars: Vec<char>,
    /// One toneless syllable per character (the character itself where it has none).
    pub sounds: Vec<u64>,
    // Sorted once: every comparison reads them.
    sorted_chars: Vec<char>,
    sorted_sounds: Vec<u64>,
    sorted_grams: Vec<(u64, u64)>,
}

impl Key {
    fn new(text: String) -> Key {
        let chars: Vec<char> = text.chars().collect();
        let sounds: Vec<u64> = chars.iter().map(|&c| sound(c)).collect();
        let mut sorted_chars = chars.clone();
        sorted_chars.sort_unstable();
        let mut sorted_sounds = sounds.clone();
        sorted_sounds.sort_unstable();
        let mut sorted_grams: Vec<(u64, u64)> = if sounds.len() == 1 {
            vec![(sounds[0], 0)]
        } else {
            sounds.windows(2).map(|w| (w[0], w[1])).collect()
        };
        sorted_grams.sort_unstable();
        Key {
            text,
            chars,
            sounds,
            sorted_chars,
            sorted_sounds,
            sorted_grams,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.chars.is_empty()
    }

    /// The characters in order of code point: equal for names that differ only in word order.
    pub fn char_bag(&self) -> String {
        self.sorted_chars.iter().collect()
    }

    /// The characters, sorted.
    pub fn sorted_chars(&self) -> &[char] {
        &self.sorted_chars
    }

    /// The sounds, sorted: equal for names that differ in order and by same-sound characters.
    pub fn sound_bag(&self) -> &[u64] {
        &self.sorted_sounds
    }

    /// Sound bigrams, sorted (a single sound for one-character keys).
    pub fn sound_grams(&self) -> &[(u64, u64)] {
        &self.sorted_grams
    }
}

/// The toneless pinyin of a character packed in a `u64` (syllables are at most six letters); a
/// character without pinyin stands for itself, tagged so it never equals a syllable.
pub fn sound(c: char) -> u64 {
    match char_pinyin(c) {
        Some(p) if p.len() <= 7 => p.bytes().fold(0u64, |acc, b| (acc << 8) | b as u64),
        _ => (1u64 << 63) | c as u64,
    }
}

/// Every toneless reading of a character, packed as `sound` packs them (the one `sound` uses
/// first): a same-sound typo may take any of them (地 is read di and de).
pub fn readings(c: char) -> Vec<u64> {
    use pinyin::ToPinyinMulti;
    let first = sound(c);
    let mut v = vec![first];
    if let Some(multi) = c.to_pinyin_multi() {
        for p in multi {
            let plain = p.plain().replace('ü', "v");
            if plain.len() <= 7 {
                let s = plain.bytes().fold(0u64, |acc, b| (acc << 8) | b as u64);
                if !v.contains(&s) {
                    v.push(s);
                }
            }
        }
    }
    v
}

/// Reads names into keys with one vocabulary: its synonyms, stop words and dictionary.
pub struct Wording {
    jieba: Arc<Jieba>,
    stop_words: HashSet<String>,
    /// Every synonym of two characters or more, leftmost-longest.
    synonyms: AhoCorasick,
    /// For each pattern of `synonyms`: the word it becomes.
    canonical: Vec<String>,
}

impl Wording {
    pub fn new(vocab: &Vocabulary) -> Wording {
        let mut words: Vec<String> = Vec::new();
        let mut canonical: Vec<String> = Vec::new();
        let groups = FORM_SYNONYMS
            .iter()
            .map(|g| g.iter().map(|w| normalize(w)).collect::<Vec<_>>())
            .chain(vocab.synonyms.iter().cloned());
        for g in groups {
            let first = g[0].clone();
            for w in g {
                // A word in two groups keeps its first group; lone characters would fold
                // inside unrelated words.
                if w.chars().count() >= 2 && !words.contains(&w) {
                    words.push(w);
                    canonical.push(first.clone());
                }
            }
        }
        let synonyms = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&words)
            .expect("synonyms are short literal patterns");
        Wording {
            jieba: vocab.jieba(),
            stop_words: vocab.stop_words.clone(),
            synonyms,
            canonical,
        }
    }

    /// One `Wording` per vocabulary (by its hash): building one costs the synonym automaton.
    pub fn shared(vocab: &Vocabulary) -> Arc<Wording> {
        static CACHE: OnceLock<Mutex<HashMap<String, Arc<Wording>>>> = OnceLock::new();
        let mut cache = CACHE
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        cache
            .entry(vocab.hash.clone())
            .or_insert_with(|| Arc::new(Wording::new(vocab)))
            .clone()
    }

    /// The key of a name (see the module comment).
    pub fn key(&self, name: &str) -> Key {
        self.read(name, true)
    }

    /// The key, then (when they differ) the key with the words as written, synonyms and stop
    /// words kept: a same-sound typo inside a synonym (道露 for 道路) escapes the folding, and
    /// one that writes a stop word (得 for 地) would lose a character, so names are compared as
    /// written too; and the whole name, filler and bracketed words kept: characters swapped
    /// across a filler word (区灌项目溉 for 项目区灌溉) leave no filler to strip, and words
    /// moved into a bracket would be lost with the note, so only the whole name compares.
    pub fn keys(&self, name: &str) -> Vec<Key> {
        let mut keys = vec![self.read(name, true)];
        for k in [self.read(name, false), self.read_whole(name)] {
            if keys.iter().all(|x| x.text != k.text) {
                keys.push(k);
            }
        }
        keys
    }

    /// The name's characters as written, only years and numbering removed; what brackets hold
    /// is kept, for words moved into them (屋面防水工程（保修期限年）).
    fn read_whole(&self, name: &str) -> Key {
        let s = strip_years(&without_target(&unnumbered(name)));
        Key::new(s.chars().filter(|&c| is_name_char(c)).collect())
    }

    fn read(&self, name: &str, fold: bool) -> Key {
        let s = without_target(&unnumbered(name));
        let s = strip_brackets(&s);
        let s = strip_years(&s);
        let s: String = s.chars().filter(|&c| is_name_char(c)).collect();
        let s = if fold {
            // Words of time out first: 道路全年照明 must fold as 道路照明 does.
            let rest: Vec<&str> = self
                .jieba
                .cut(&s, false)
                .into_iter()
                .map(|t| t.word)
                .filter(|w| !TIME_FILLER.contains(w))
                .collect();
            let s = if rest.concat().chars().count() >= 2 {
                rest.concat()
            } else {
                s
            };
            self.synonyms.replace_all(&s, &self.canonical)
        } else {
            s
        };
        let words: Vec<&str> = self
            .jieba
            .cut(&s, false)
            .into_iter()
            .map(|t| t.word)
            .filter(|w| !fold || !self.stop_words.contains(*w))
            .collect();
        let text = if words.is_empty() {
            s.clone()
        } else {
            strip_filler(&words)
        };
        Key::new(fold_rate_ending(text))
    }
}

/// Characters that carry a name: ideographs, letters, digits.
fn is_name_char(c: char) -> bool {
    ('\u{4E00}'..='\u{9FFF}').contains(&c) || c.is_alphanumeric()
}

/// The name normalised, without its list numbering. Circled numbers go before normalising,
/// which reads ① as 1 (①2025年度… would become 12025年度…, a number that is no year); the
/// rest after, which makes （一） and １、 plain.
fn unnumbered(name: &str) -> String {
    strip_numbering(&normalize(&strip_numbering(name)))
}

/// Leading list numbering: 1. 1、 (1) 一、 （一） ①.
fn strip_numbering(s: &str) -> String {
    let t = s.trim_start();
    let cs: Vec<char> = t.chars().collect();
    let numeral = |c: char| c.is_ascii_digit() || "一二三四五六七八九十".contains(c);
    let mut i = 0;
    if cs.first().is_some_and(|c| ('①'..='⑳').contains(c)) {
        return cs[1..].iter().collect();
    }
    let open = cs.first().is_some_and(|c| matches!(c, '(' | '['));
    if open {
        i = 1;
    }
    let start = i;
    while i < cs.len() && i - start < 3 && numeral(cs[i]) {
        i += 1;
    }
    if i == start || i >= cs.len() {
        return t.to_string();
    }
    let closes = if open {
        matches!(cs[i], ')' | ']')
    } else {
        matches!(cs[i], '、' | '.' | ')' | ',' | ':' | ' ')
    };
    if closes {
        cs[i + 1..].iter().collect()
    } else {
        t.to_string()
    }
}

/// The name without what forms write after it besides words: a unit (完成率/%, 资金（万元）)
/// and a target (合格率≥95%, 满意度不低于90%, 面积达到3000平方米), in either order.
fn without_target(s: &str) -> String {
    let unit = |s: &str| {
        units::unit_in_name(s)
            .map_or(s, |(head, _)| head)
            .to_string()
    };
    unit(&strip_target(&unit(s)))
}

/// Words that put a target after a name (合格率不低于95%).
const COMPARATORS: &[&str] = &[
    "大于等于",
    "小于等于",
    "不低于",
    "不高于",
    "不少于",
    "不多于",
    "不超过",
    "不大于",
    "不小于",
    "控制在",
    "达到",
    "≥",
    "≤",
    ">=",
    "<=",
    ">",
    "<",
    "=",
    "为",
    ":",
];

/// A closing target removed: a comparator, a number and a unit, or a number and a unit (合格率
/// 100%). A bare number closing a name may be part of it, and stays.
fn strip_target(s: &str) -> String {
    let t = s.trim_end();
    let t = ["及以上", "以上", "及以下", "以下"]
        .iter()
        .find_map(|w| t.strip_suffix(w))
        .unwrap_or(t);
    let Some((last, _)) = t.char_indices().rev().find(|(_, c)| c.is_ascii_digit()) else {
        return s.to_string();
    };
    let after = t[last + 1..].trim();
    if !after.is_empty() && units::table().canonical(after).is_none() {
        return s.to_string();
    }
    let start = t[..=last]
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_ascii_digit() || matches!(c, '.' | ','))
        .last()
        .map_or(last, |(i, _)| i);
    let head = t[..start].trim_end();
    let compared = COMPARATORS.iter().find_map(|c| head.strip_suffix(c));
    if compared.is_none() && after.is_empty() {
        return s.to_string();
    }
    let head = compared.unwrap_or(head).trim_end();
    if head.chars().filter(|&c| is_name_char(c)).count() < 2
        || head.ends_with(|c: char| c.is_ascii_digit())
    {
        return s.to_string();
    }
    head.to_string()
}

/// Bracketed notes removed ((%)、【公里】); the brackets' content is kept when nothing else is.
fn strip_brackets(s: &str) -> String {
    let mut out = String::new();
    let mut depth = 0usize;
    for c in s.chars() {
        match c {
            '(' | '[' | '【' | '〔' | '{' | '<' | '〈' => depth += 1,
            ')' | ']' | '】' | '〕' | '}' | '>' | '〉' => depth = depth.saturating_sub(1),
            c if depth == 0 => out.push(c),
            _ => {}
        }
    }
    if out.chars().any(is_name_char) {
        out
    } else {
        s.to_string()
    }
}

/// Years removed: a year (1990–2099) followed by 年 or 年度, or opening the name; a span
/// (2024—2025年) as one.
fn strip_years(s: &str) -> String {
    let cs: Vec<char> = s.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    let is_year = |k: usize| -> bool {
        k + 4 <= cs.len()
            && cs[k..k + 4].iter().all(|c| c.is_ascii_digit())
            && (k == 0 || !cs[k - 1].is_ascii_digit())
            && cs.get(k + 4).is_none_or(|c| !c.is_ascii_digit())
            && {
                let y: u32 = cs[k..k + 4].iter().collect::<String>().parse().unwrap_or(0);
                (1990..=2099).contains(&y)
            }
    };
    while i < cs.len() {
        if is_year(i) {
            let mut j = i + 4;
            // A span: 2024-2025年, 2024至2025年度.
            if j < cs.len()
                && matches!(cs[j], '-' | '—' | '–' | '~' | '～' | '至' | '到')
                && is_year(j + 1)
            {
                j += 5;
            }
            let year_word = cs.get(j) == Some(&'年');
            if year_word || out.trim().is_empty() {
                if year_word {
                    j += 1;
                    if cs.get(j) == Some(&'度') {
                        j += 1;
                    }
                }
                i = j;
                continue;
            }
        }
        out.push(cs[i]);
        i += 1;
    }
    out
}

/// The words joined, without filler at either end (on word boundaries, at least two characters
/// left).
fn strip_filler(words: &[&str]) -> String {
    let mut text: String = words.concat();
    // Byte offsets where a word starts or ends.
    let mut bounds: Vec<usize> = vec![0];
    for w in words {
        bounds.push(bounds.last().copied().unwrap_or(0) + w.len());
    }
    let (mut lo, mut hi) = (0usize, text.len());
    let left = |lo: usize, hi: usize, f: &str| text[lo..hi].chars().count() - f.chars().count();
    loop {
        let lead = TIME_FILLER.iter().chain(LEADING).find(|f| {
            text[lo..hi].starts_with(**f)
                && bounds.contains(&(lo + f.len()))
                && left(lo, hi, f) >= 2
        });
        if let Some(f) = lead {
            lo += f.len();
            continue;
        }
        let trail = TRAILING.iter().find(|f| {
            text[lo..hi].ends_with(**f) && bounds.contains(&(hi - f.len())) && left(lo, hi, f) >= 2
        });
        if let Some(f) = trail {
            hi -= f.len();
            continue;
        }
        break;
    }
    text.truncate(hi);
    text.split_off(lo)
}

fn fold_rate_ending(text: String) -> String {
    for e in RATE_ENDINGS {
        if let Some(stem) = text.strip_suffix(e)
            && stem.chars().count() >= 2
        {
            return format!("{stem}率");
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wording() -> Arc<Wording> {
        let v = Vocabulary::load(&crate::search::vocab::default_dir()).unwrap();
        Wording::shared(&v)
    }

    fn key(s: &str) -> String {
        wording().key(s).text
    }

    /// Every wording keys as `plain` does.
    fn all_read_as(plain: &str, written: &[&str]) {
        let plain = key(plain);
        for w in written {
            assert_eq!(key(w), plain, "{w}");
        }
    }

    #[test]
    fn keys_drop_notes_years_numbering_and_filler() {
        let plain = key("新建道路里程");
        all_read_as(
            "新建道路里程",
            &[
                "新建道路里程（公里）",
                "2025年新建道路里程",
                "2024—2025年度新建道路里程",
                "（一）新建道路里程",
                "1、新建道路里程",
                "年度新建道路里程",
                "全年完成新建道路里程",
                "新建道路里程完成情况",
            ],
        );
        assert_eq!(key("項目驗收合格率"), key("项目验收合格率"));
        // A number that is not a year stays.
        assert_eq!(key("12345热线接通率"), "12345热线接通率");
        assert_eq!(key("PM2.5年均浓度"), key("pm25年均浓度"));
        // A circled number before a year: both go.
        assert_eq!(key("①2025年度新建道路里程（公里）"), plain);
        assert_eq!(key("⑩新建道路里程"), plain);
        // Filler is kept when little would remain.
        assert_eq!(key("完成率"), "完成率");
        // Words of time moved inside the name.
        assert_eq!(key("道路全年照明亮灯率"), key("道路照明亮灯率"));
    }

    #[test]
    fn keys_drop_a_target_or_a_unit_written_into_the_name() {
        all_read_as(
            "项目验收合格率",
            &[
                "项目验收合格率≥95%",
                "项目验收合格率 ≥ 95 %",
                "项目验收合格率不低于95％",
                "项目验收合格率达到95百分比",
                "项目验收合格率100%",
                "项目验收合格率/%",
                "项目验收合格率（%）≥95%",
                "项目验收合格率≥95%/%",
                "项目验收合格率95%以上",
                "确保项目验收合格率达到95%",
                "项目验收合格率[%]",
            ],
        );
        assert_eq!(key("人均补助标准≤2000元/人"), key("人均补助标准"));
        assert_eq!(key("园区绿化面积不低于30000平方米"), key("园区绿化面积"));
        assert_eq!(key("财政资金投入/万元"), key("财政资金投入"));
        // A number that closes a name without a comparator or unit is part of it.
        assert_eq!(key("PM2.5"), "pm25");
        assert_ne!(key("国三及以上排放标准车辆数"), key("排放标准车辆数"));
    }

    #[test]
    fn keys_fold_synonyms_and_rate_endings() {
        assert_eq!(key("建设任务达成率"), key("建设任务完成率"));
        assert_eq!(key("群众满意率"), key("群众满意度"));
        assert_eq!(key("补助资金如期发放率"), key("补助资金按时发放率"));
        assert_eq!(key("绿色建材应用比例"), key("绿色建材应用率"));
        assert_eq!(key("工程竣工验收率"), key("工程完工验收率"));
    }

    #[test]
    fn order_and_same_sound_typos_leave_the_bags_equal() {
        let w = wording();
        let (a, b) = (w.key("学生家长满意度"), w.key("家长学生满意度"));
        assert_ne!(a.text, b.text);
        assert_eq!(a.char_bag(), b.char_bag());
        let (a, b) = (w.key("补助资金按时发放率"), w.key("捕助资金按时发放率"));
        assert_ne!(a.text, b.text);
        assert_eq!(a.sounds, b.sounds);
        // Characters swapped across filler: the whole names keep equal bags.
        let bags = |s: &str| -> Vec<String> { w.keys(s).iter().map(Key::char_bag).collect() };
        let (a, b) = (bags("项目区灌溉设计保证率"), bags("区灌项目溉设计保证率"));
        assert!(a.iter().any(|x| b.contains(x)), "{a:?} {b:?}");
    }
}
