//! Values from the project itself: the counts a unit writes in its description (12 个小区、
//! 3200户、加装电梯8部、培训600人次) fill the matching quantity rows of a new table, and unit
//! costs follow from the budget, instead of the library's typical figures.

use crate::domain::number::show;
use crate::domain::{Direction, DraftRow};

/// Units a description counts in, longest first so that 平方米 is not read as 米.
const UNITS: [&str; 33] = [
    "平方公里",
    "平方米",
    "立方米",
    "公里",
    "千米",
    "人次",
    "万元",
    "亿元",
    "户次",
    "个",
    "户",
    "部",
    "台",
    "套",
    "米",
    "亩",
    "人",
    "名",
    "所",
    "家",
    "条",
    "处",
    "座",
    "间",
    "场",
    "次",
    "期",
    "辆",
    "吨",
    "盏",
    "棵",
    "株",
    "项",
];

/// Units that count the same things (a lift is 部 or 台; people 人 or 名).
fn same_kind(a: &str, b: &str) -> bool {
    const GROUPS: [&[&str]; 5] = [
        &["部", "台", "套"],
        &["人", "名"],
        &["个", "处", "座", "所", "家"],
        &["公里", "千米"],
        &["人次", "户次"],
    ];
    a == b || GROUPS.iter().any(|g| g.contains(&a) && g.contains(&b))
}

/// A count in the description: its value, unit and the words around it.
#[derive(Debug, Clone, PartialEq)]
pub struct Mention {
    pub value: f64,
    pub unit: String,
    /// The words before the number and after the unit, up to the nearest punctuation.
    pub context: String,
}

fn is_digit(c: char) -> bool {
    c.is_ascii_digit() || ('０'..='９').contains(&c)
}

/// The counts a description states, in order.
pub fn mentions(description: &str) -> Vec<Mention> {
    let text: Vec<char> = crate::text::normalize(description).chars().collect();
    let boundary = |c: char| "，。；、,.;：:（）() \n\t".contains(c);
    let mut out = Vec::new();
    let mut i = 0;
    while i < text.len() {
        if !is_digit(text[i]) || (i > 0 && (is_digit(text[i - 1]) || text[i - 1] == '.')) {
            i += 1;
            continue;
        }
        let start = i;
        let mut j = i;
        while j < text.len()
            && (is_digit(text[j])
                || (matches!(text[j], '.' | ',') && j + 1 < text.len() && is_digit(text[j + 1])))
        {
            j += 1;
        }
        let number: String = text[start..j].iter().collect();
        let mut k = j;
        while k < text.len() && text[k] == ' ' {
            k += 1;
        }
        let rest: String = text[k..text.len().min(k + 5)].iter().collect();
        // 1.2 万名: 万 multiplies unless it is part of 万元.
        let (multiplier, rest, skip) = if rest.starts_with('万') && !rest.starts_with("万元") {
            (10_000.0, rest['万'.len_utf8()..].to_string(), 1)
        } else {
            (1.0, rest, 0)
        };
        let Some(unit) = UNITS.iter().find(|u| rest.starts_with(*u)) else {
            i = j;
            continue;
        };
        let Ok(value) = crate::domain::number::parse_plain(&number) else {
            i = j;
            continue;
        };
        let end = k + skip + unit.chars().count();
        let before: String = text[..start]
            .iter()
            .rev()
            .take_while(|c| !boundary(**c) && !is_digit(**c))
            .take(8)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        let after: String = text[end..]
            .iter()
            .take_while(|c| !boundary(**c) && !is_digit(**c))
            .take(6)
            .collect();
        out.push(Mention {
            value: value * multiplier,
            unit: unit.to_string(),
            context: format!("{before}{after}"),
        });
        i = end;
    }
    out
}

/// Characters of a row name that say nothing about what is counted.
const PLAIN: &str = "数量量数的个总完成新增累计项目实施年度全年";

fn overlap(context: &str, name: &str) -> usize {
    let name = crate::text::normalize(name);
    let mut seen = std::collections::HashSet::new();
    context
        .chars()
        .filter(|c| !PLAIN.contains(*c) && name.contains(*c) && seen.insert(*c))
        .count()
}

/// Fills the quantity rows a description gives counts for, and unit costs from the budget;
/// returns the indices of the rows it changed.
pub fn fill_from_description(
    rows: &mut [DraftRow],
    description: &str,
    budget_wan: Option<f64>,
) -> Vec<usize> {
    let found = mentions(description);
    // Every plausible (score, mention, row) pair, best first; each mention and row used once.
    let mut pairs = Vec::new();
    for (m, mention) in found.iter().enumerate() {
        let candidates: Vec<usize> = rows
            .iter()
            .enumerate()
            .filter(|(_, r)| r.level2.contains("数量") && same_kind(&mention.unit, &r.unit))
            .map(|(i, _)| i)
            .collect();
        for &i in &candidates {
            let score = overlap(&mention.context, &rows[i].name);
            // With one row in that unit and one count of it, they belong together.
            let alone = candidates.len() == 1
                && found
                    .iter()
                    .filter(|o| same_kind(&o.unit, &mention.unit))
                    .count()
                    == 1;
            if score >= 2 || alone {
                pairs.push((score, m, i));
            }
        }
    }
    pairs.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let (mut used_m, mut changed) = (Vec::new(), Vec::new());
    for (_, m, i) in pairs {
        if used_m.contains(&m) || changed.contains(&i) {
            continue;
        }
        used_m.push(m);
        changed.push(i);
        rows[i].target = show(found[m].value);
        // The unit's own figure, even where it happens to equal the library's.
        rows[i].confirmed = true;
    }
    if let Some(budget) = budget_wan.filter(|b| *b > 0.0) {
        for c in 0..rows.len() {
            let Some((money, per)) = rows[c].unit.split_once('/') else {
                continue;
            };
            let factor = match money {
                "万元" => 1.0,
                "元" => 10_000.0,
                _ => continue,
            };
            if !rows[c].level2.contains("成本") {
                continue;
            }
            let per = per.to_string();
            let quantity = changed
                .iter()
                .map(|&q| &rows[q])
                .filter(|q| same_kind(&q.unit, &per))
                .max_by_key(|q| overlap(&q.name, &rows[c].name));
            if let Some(q) = quantity
                && let Ok(n) = crate::domain::number::parse_plain(&q.target)
                && n > 0.0
            {
                rows[c].target = show((budget / n * factor * 100.0).round() / 100.0);
                rows[c].direction = Direction::AtMost;
                rows[c].confirmed = true;
                changed.push(c);
            }
        }
    }
    changed
}

/// Quantity rows whose target is more than `tolerance` (a share) away from the count the
/// description gives for the same thing: (row index, that count).
pub fn far_from_description(
    rows: &[DraftRow],
    description: &str,
    tolerance: f64,
) -> Vec<(usize, Mention)> {
    let found = mentions(description);
    let mut out = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        if !r.level2.contains("数量") {
            continue;
        }
        let Ok(target) = crate::domain::number::parse_plain(&r.target) else {
            continue;
        };
        let best = found
            .iter()
            .filter(|m| same_kind(&m.unit, &r.unit) && m.value > 0.0)
            .map(|m| (overlap(&m.context, &r.name), m))
            .filter(|(score, _)| *score >= 2)
            .max_by_key(|(score, _)| *score);
        if let Some((_, m)) = best
            && (target - m.value).abs() / m.value > tolerance
        {
            out.push((i, m.clone()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(l2: &str, name: &str, target: &str, unit: &str) -> DraftRow {
        let mut r = DraftRow::self_made("产出指标", l2, name);
        r.target = target.into();
        r.unit = unit.into();
        r
    }

    #[test]
    fn counts_are_read_with_their_units_and_words() {
        let m = mentions(
            "改造 12 个小区、3200户，加装电梯8部，培训600人次，为 1.2 万名妇女筛查，投资 500 万元",
        );
        let got: Vec<(f64, &str)> = m.iter().map(|m| (m.value, m.unit.as_str())).collect();
        assert_eq!(
            got,
            [
                (12.0, "个"),
                (3200.0, "户"),
                (8.0, "部"),
                (600.0, "人次"),
                (12000.0, "名"),
                (500.0, "万元")
            ]
        );
        assert!(m[0].context.contains("小区"), "{m:?}");
        assert!(m[2].context.contains("电梯"), "{m:?}");
    }

    /// Issue 25: 加装电梯 30 台 and 培训人次 500 stayed the library's figures when the
    /// description said 8部 and 600人次.
    #[test]
    fn the_description_fills_the_matching_quantity_rows_and_the_unit_cost() {
        let mut rows = vec![
            row("数量指标", "改造老旧小区数量", "5", "个"),
            row("数量指标", "加装电梯数量", "30", "台"),
            row("数量指标", "受益居民户数", "1000", "户"),
            row("数量指标", "培训人次", "500", "人次"),
            row("数量指标", "新建道路里程", "3", "公里"),
            row("成本指标", "小区改造平均成本", "300", "万元/个"),
        ];
        let changed = fill_from_description(
            &mut rows,
            "改造老旧小区12个，涉及居民3200户，加装电梯8部，开展培训600人次",
            Some(600.0),
        );
        let targets: Vec<&str> = rows.iter().map(|r| r.target.as_str()).collect();
        assert_eq!(targets, ["12", "8", "3200", "600", "3", "50"]);
        assert_eq!(rows[5].direction, Direction::AtMost);
        assert!(
            !changed.contains(&4),
            "a count the description does not give stays"
        );
    }

    #[test]
    fn a_quantity_far_from_the_description_is_found() {
        let rows = vec![
            row("数量指标", "加装电梯数量", "30", "台"),
            row("数量指标", "改造老旧小区数量", "11", "个"),
        ];
        let far = far_from_description(&rows, "改造老旧小区12个，加装电梯8部", 0.5);
        assert_eq!(far.len(), 1, "{far:?}");
        assert_eq!((far[0].0, far[0].1.value), (0, 8.0));
    }
}
