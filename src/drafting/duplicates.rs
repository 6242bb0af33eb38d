//! Near-duplicate rows within one target table (系统功能需求实现率 beside 需求功能实现率): a
//! reviewer sends such a table back, since one result would be scored twice.
//!
//! Tuned on the bundled library: over every project type's indicators (its own and its
//! natures' common ones, 2,788 indicators in 130 types), the rule pairs only 需求功能实现率 /
//! 系统功能需求实现率 and 重大网络安全事件发生次数 / 网络安全事件发生次数; a looser one (three
//! added characters, or no exception for satisfaction) also paired 新认定 / 重新认定通过 and
//! 学生 / 学生家长满意度, which are different indicators.

use crate::domain::DraftRow;
use crate::text::name_key;

/// The most characters the longer name may add to the shorter one's (a qualifier: 系统, 重大).
const MAX_EXTRA_CHARS: usize = 2;
/// Shorter names share their characters with too many others (完成率, 合格率).
const MIN_CHARS: usize = 4;

/// Whether two indicator names say the same thing: equal once normalised, or every character
/// of the shorter within the longer (in any order), which adds at most `MAX_EXTRA_CHARS`. For
/// satisfaction the words before 满意度 name who is asked, and words added after them name
/// someone else (学生满意度 / 学生家长满意度), while words added before them only narrow the same
/// people (居民 / 小区居民).
pub fn near_duplicate(a: &str, b: &str) -> bool {
    let (a, b) = (name_key(a), name_key(b));
    if a.is_empty() || b.is_empty() {
        return false;
    }
    if a == b {
        return true;
    }
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if short.len() < MIN_CHARS || long.len() - short.len() > MAX_EXTRA_CHARS {
        return false;
    }
    let mut rest = long.clone();
    for c in &short {
        match rest.iter().position(|x| x == c) {
            Some(p) => {
                rest.swap_remove(p);
            }
            None => return false,
        }
    }
    let tail = short
        .iter()
        .rev()
        .zip(long.iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let shared: String = short[short.len() - tail..].iter().collect();
    let (who_short, who_long) = (&short[..short.len() - tail], &long[..long.len() - tail]);
    let another_respondent =
        shared.ends_with("满意度") && !who_short.is_empty() && who_long.starts_with(who_short);
    !another_respondent
}

/// For each row that repeats an earlier one, `(earlier, later)`: the same indicator twice, or
/// near-duplicate names with the same unit (or no unit yet).
pub fn pairs(rows: &[DraftRow]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for (j, later) in rows.iter().enumerate() {
        if let Some(i) = rows[..j].iter().position(|earlier| repeats(earlier, later)) {
            out.push((i, j));
        }
    }
    out
}

/// Whether `row` would repeat `other` in one table.
pub fn repeats(other: &DraftRow, row: &DraftRow) -> bool {
    if other.indicator.is_some() && other.indicator == row.indicator {
        return true;
    }
    let (u, v) = (other.unit.trim(), row.unit.trim());
    (u.is_empty() || v.is_empty() || u == v) && near_duplicate(&other.name, &row.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_say_the_same_thing_are_near_duplicates() {
        for (a, b) in [
            ("系统功能需求实现率", "需求功能实现率"),
            ("工程验收合格率", "工程质量验收合格率"),
            ("居民满意度", "小区居民满意度"),
            ("道路养护里程", "道路养护里程（公里）"),
        ] {
            assert!(near_duplicate(a, b), "{a} / {b}");
        }
    }

    #[test]
    fn different_indicators_with_shared_words_are_not() {
        for (a, b) in [
            ("普通高中学生满意度", "普通高中学生家长满意度"),
            ("新认定高新技术企业数", "高新技术企业重新认定通过数"),
            ("新建道路长度", "改建道路长度"),
            ("培训人次", "培训人数"),
            ("完成率", "工程完成率"),
            ("改造小区数量", "改造小区户数"),
        ] {
            assert!(!near_duplicate(a, b), "{a} / {b}");
        }
    }

    #[test]
    fn a_row_repeats_an_earlier_one_with_the_same_unit() {
        let row = |name: &str, unit: &str| DraftRow {
            unit: unit.into(),
            ..DraftRow::self_made("产出指标", "质量指标", name)
        };
        let rows = [
            row("系统功能需求实现率", "%"),
            row("系统上线运行天数", "天"),
            row("需求功能实现率", "%"),
            row("需求功能实现率", "个"),
        ];
        assert_eq!(pairs(&rows), vec![(0, 2)]);
    }
}
