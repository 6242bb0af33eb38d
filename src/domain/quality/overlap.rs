//! Rules on indicators that overlap: a specific indicator repeating a common one of its type, an
//! alias several indicators claim, one name filed under two headings.

use super::{Finding, normalized_name};
use crate::domain::{Catalog, Indicator, ProjectType};
use crate::text::bigram_dice;
use std::collections::{HashMap, HashSet};

/// Words that differ between two names without changing the measure (购置/采购, 时长/时间), and
/// qualifiers a specific indicator adds to a common one (平均, 单个, 年).
const SAME_MEASURE: &[(&str, &str)] = &[
    ("购置", "采购"),
    ("时长", "时间"),
    ("平均", ""),
    ("单个", ""),
    ("年", ""),
];

/// A name reduced to what it measures, for comparing a specific indicator with a common one.
fn measure_key(name: &str) -> String {
    let mut s = normalized_name(name);
    for (from, to) in SAME_MEASURE {
        s = s.replace(from, to);
    }
    s
}

/// Whether the characters of `short` appear in order in `long` (运维费占建设投资比例 in
/// 年运维费用占建设投资比例): a specific name that only adds qualifiers to a common one.
fn is_subsequence(short: &str, long: &str) -> bool {
    let mut it = long.chars();
    short.chars().all(|c| it.any(|l| l == c))
}

/// Why two indicators of one heading and unit kind measure the same thing, if they do.
fn same_measure(a: &Indicator, b: &Indicator) -> Option<String> {
    let (ka, kb) = (measure_key(&a.name), measure_key(&b.name));
    if ka == kb {
        return Some("名称仅差同义词或修饰语".into());
    }
    let (short, long) = if ka.chars().count() <= kb.chars().count() {
        (&ka, &kb)
    } else {
        (&kb, &ka)
    };
    if short.chars().count() >= 4 && is_subsequence(short, long) {
        return Some(format!("“{long}”只是在“{short}”上加了限定语"));
    }
    if bigram_dice(&ka, &kb) >= 0.6 {
        return Some("名称高度相似".into());
    }
    let keys = |i: &Indicator| -> HashSet<String> {
        std::iter::once(&i.name)
            .chain(&i.aliases)
            .map(|n| measure_key(n))
            .collect()
    };
    let shared: Vec<String> = keys(a).intersection(&keys(b)).cloned().collect();
    (!shared.is_empty()).then(|| format!("别名相同（{}）", shared.join("、")))
}

/// `cross-scope-duplicate`: a type-specific indicator that repeats a common indicator of the
/// same type (same level 2, same kind of unit): a drafter would be offered both.
pub fn cross_scope_duplicates(
    catalog: &Catalog,
    t: &ProjectType,
    fits: &[&Indicator],
) -> Vec<Finding> {
    let kind = |i: &Indicator| catalog.unit(&i.unit).map(|u| u.kind);
    let (common, specific): (Vec<&Indicator>, Vec<&Indicator>) =
        fits.iter().copied().partition(|i| !i.natures.is_empty());
    let mut out = Vec::new();
    for s in &specific {
        for c in &common {
            if s.level2 != c.level2 || kind(s) != kind(c) {
                continue;
            }
            if let Some(why) = same_measure(s, c) {
                out.push(Finding {
                    rule: "cross-scope-duplicate",
                    code: Some(s.code.to_string()),
                    message: format!(
                        "项目类型“{}”中个性指标“{}”与共性指标 {}“{}”重复（{why}）：删除个性指标，或写明两者衡量的不同内容",
                        t.name, s.name, c.code, c.name
                    ),
                });
            }
        }
    }
    out
}

/// `shared-alias`: an alias carried by several active indicators (search and evaluation matching
/// could not tell which one is meant), unless library.toml lists it in `shared_aliases`.
pub fn shared_aliases(catalog: &Catalog, indicators: &[Indicator]) -> Vec<Finding> {
    let allowed: HashSet<&str> = catalog.shared_aliases.iter().map(String::as_str).collect();
    let mut owners: HashMap<&str, Vec<&Indicator>> = HashMap::new();
    for i in indicators.iter().filter(|i| i.is_active()) {
        let mut seen = HashSet::new();
        for a in i.aliases.iter().filter(|a| seen.insert(a.as_str())) {
            owners.entry(a.as_str()).or_default().push(i);
        }
    }
    let mut out: Vec<Finding> = owners
        .into_iter()
        .filter(|(a, list)| list.len() > 1 && !allowed.contains(a))
        .map(|(a, list)| {
            let codes: Vec<String> = list.iter().map(|i| i.code.to_string()).collect();
            Finding {
                rule: "shared-alias",
                code: Some(codes[0].clone()),
                message: format!(
                    "别名“{a}”同时属于 {} 个指标（{}）：别名只能指向一个指标；确属通用说法的，列入 library.toml 的 shared_aliases",
                    list.len(),
                    codes.join("、")
                ),
            }
        })
        .collect();
    out.sort_by(|a, b| a.code.cmp(&b.code).then(a.message.cmp(&b.message)));
    out
}

/// `inconsistent-category`: one name filed under different headings (or with different units)
/// in different types: the same measure cannot be output in one type and effect in another.
pub fn inconsistent_categories(indicators: &[Indicator]) -> Vec<Finding> {
    let mut first: HashMap<String, &Indicator> = HashMap::new();
    let mut out = Vec::new();
    for i in indicators.iter().filter(|i| i.is_active()) {
        let Some(f) = first.get(&normalized_name(&i.name)).copied() else {
            first.insert(normalized_name(&i.name), i);
            continue;
        };
        if (f.level1.as_str(), f.level2.as_str(), f.unit.as_str())
            != (i.level1.as_str(), i.level2.as_str(), i.unit.as_str())
        {
            out.push(Finding {
                rule: "inconsistent-category",
                code: Some(i.code.to_string()),
                message: format!(
                    "“{}”列在{}/{}（{}），而同名指标 {} 列在{}/{}（{}）：同一指标的类别和单位应一致",
                    i.name, i.level1, i.level2, i.unit, f.code, f.level1, f.level2, f.unit
                ),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_only_add_qualifiers_or_synonyms_measure_the_same() {
        assert!(is_subsequence(
            "运维费占建设投资比例",
            "年运维费用占建设投资比例"
        ));
        assert_eq!(
            measure_key("设备平均购置单价"),
            measure_key("设备平均采购单价")
        );
        assert!(bigram_dice("故障修复时间", "一般故障修复时间") > 0.6);
        assert!(bigram_dice("城市道路完好率", "设施设备完好率") < 0.6);
    }
}
