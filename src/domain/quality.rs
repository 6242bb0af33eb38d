//! The reviewer's rules applied to the library itself, and its coverage statistics.
//!
//! Each rule has a stable id (documented in indicators/README.md); `zhibiao check` fails on any
//! finding, and the server refuses a library with findings, so the bundled library stays clean.

use super::{Catalog, Direction, Indicator, ValueType};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub rule: &'static str,
    pub code: Option<String>,
    pub message: String,
}

/// Words that make a name or target unmeasurable.
pub const VAGUE_WORDS: &[&str] = &[
    "进一步",
    "明显",
    "有效",
    "显著",
    "大幅",
    "较大",
    "逐步",
    "不断",
    "积极",
    "努力",
    "力争",
    "稳步",
    "持续改善",
    "有所",
    "基本实现",
    "尽量",
    "全面提升",
];

/// Inputs (money in, money out) that reviewers reject as outputs or effects.
pub const INPUT_WORDS: &[&str] = &[
    "资金到位率",
    "预算执行率",
    "支出金额",
    "资金拨付率",
    "资金支付率",
    "资金使用率",
    "资金执行率",
    "预算支出",
    "经费支出",
    "资金到位",
];

/// Verbs that start a description of work rather than a result.
pub const WORK_VERBS: &[&str] = &[
    "开展", "组织", "推进", "加强", "落实", "做好", "完善", "推动", "促进", "强化", "深化",
];

/// Filler that does not change what a name measures (for near-duplicate detection).
const FILLER: &[&str] = &["情况", "的", "总", "累计", "全年", "年度", "数量", "个数"];

pub fn normalized_name(name: &str) -> String {
    let mut s: String = name
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, '%' | '‰'))
        .collect();
    for f in FILLER {
        s = s.replace(f, "");
    }
    s
}

fn number(s: &str) -> Option<f64> {
    s.trim().parse::<f64>().ok()
}

/// Rules on one indicator alone.
pub fn check_indicator(i: &Indicator) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut f = |rule, message: String| {
        out.push(Finding {
            rule,
            code: Some(i.code.to_string()),
            message,
        })
    };
    for (field, text) in [("data_source", &i.data_source), ("scoring", &i.scoring)] {
        if text.trim().is_empty() {
            f(
                "missing-field",
                format!(
                    "缺少{}",
                    if field == "scoring" {
                        "评(扣)分标准"
                    } else {
                        "数据来源"
                    }
                ),
            );
        }
    }
    if i.is_rate() && i.formula.trim().is_empty() {
        f(
            "rate-without-formula",
            format!("比率指标“{}”缺少计算公式（分子÷分母×100%）", i.name),
        );
    }
    let target = number(&i.target);
    if i.is_rate() {
        if i.direction == Direction::AtLeast && target == Some(100.0) {
            f(
                "rate-100-ge",
                format!("“{}”的目标写成 ≥100%，应写“=100%”或可实现的下限", i.name),
            );
        } else if matches!(i.direction, Direction::AtLeast | Direction::Exactly)
            && target.is_some_and(|t| t > 100.0)
        {
            f(
                "rate-over-100",
                format!("“{}”的目标 {}% 超过 100%", i.name, i.target),
            );
        }
    }
    if i.value_type == ValueType::Quantitative && !i.target.is_empty() && target.is_none() {
        f(
            "unit-value-mismatch",
            format!("定量指标的参考值“{}”不是数字", i.target),
        );
    }
    if i.target.contains('%') && !i.is_rate() {
        f(
            "unit-value-mismatch",
            format!("参考值“{}”带百分号，但计量单位是“{}”", i.target, i.unit),
        );
    }
    for w in VAGUE_WORDS {
        if i.name.contains(w) || i.target.contains(w) {
            f(
                "vague-wording",
                format!("“{}”含模糊表述“{w}”，无法衡量", i.name),
            );
        }
    }
    for w in INPUT_WORDS {
        if i.name.contains(w) {
            f(
                "input-as-output",
                format!("“{}”衡量的是资金投入（{w}），不是产出或效益", i.name),
            );
        }
    }
    for v in WORK_VERBS {
        if i.name.starts_with(v) {
            f(
                "work-content",
                format!("“{}”描述的是工作内容（{v}…），应写成可衡量的结果", i.name),
            );
        }
    }
    let ends = |s: &str| i.name.ends_with(s);
    if (ends("合格率") || ends("达标率")) && i.level1 == "效益指标" {
        f(
            "wrong-category",
            format!("“{}”衡量质量，应列在产出指标—质量指标下", i.name),
        );
    }
    if i.name.contains("满意") && i.level1 != "满意度指标" {
        f(
            "wrong-category",
            format!("“{}”是满意度，应列在满意度指标下", i.name),
        );
    }
    if i.name.ends_with("及时率") && i.level2 != "时效指标" {
        f(
            "wrong-category",
            format!("“{}”衡量时效，应列在时效指标下", i.name),
        );
    }
    out
}

/// Every rule over the whole library.
pub fn check_library(catalog: &Catalog, indicators: &[Indicator]) -> Vec<Finding> {
    let mut out: Vec<Finding> = indicators
        .iter()
        .filter(|i| i.is_active())
        .flat_map(check_indicator)
        .collect();
    // An alias that is another indicator's name makes search and evaluation matching ambiguous.
    let names: HashMap<&str, &Indicator> = indicators
        .iter()
        .filter(|i| i.is_active())
        .map(|i| (i.name.as_str(), i))
        .collect();
    for i in indicators.iter().filter(|i| i.is_active()) {
        for a in &i.aliases {
            if let Some(other) = names.get(a.as_str()).filter(|o| o.code != i.code) {
                out.push(Finding {
                    rule: "alias-is-other-name",
                    code: Some(i.code.to_string()),
                    message: format!(
                        "别名“{a}”是指标 {} 的名称：检索和评价结果匹配将无法区分两者",
                        other.code
                    ),
                });
            }
        }
    }
    let framework = catalog.framework();
    for t in &catalog.project_types {
        let fits: Vec<&Indicator> = indicators
            .iter()
            .filter(|i| i.is_active() && i.fits(t))
            .collect();
        for l1 in &framework.level1 {
            if l1.name == "成本指标" {
                continue;
            }
            if !fits.iter().any(|i| i.level1 == l1.name) {
                out.push(Finding {
                    rule: "type-missing-level1",
                    code: None,
                    message: format!("项目类型“{}”没有{}", t.name, l1.name),
                });
            }
        }
        if !fits.iter().any(|i| i.core.contains(&t.code)) {
            out.push(Finding {
                rule: "type-missing-core",
                code: None,
                message: format!("项目类型“{}”没有核心指标", t.name),
            });
        }
        let mut seen: HashMap<String, &Indicator> = HashMap::new();
        let mut seen_near: HashMap<(String, &str), &Indicator> = HashMap::new();
        for i in &fits {
            if let Some(first) = seen.insert(i.name.clone(), i) {
                out.push(Finding {
                    rule: "duplicate-name",
                    code: Some(i.code.to_string()),
                    message: format!("项目类型“{}”中“{}”与 {} 同名", t.name, i.name, first.code),
                });
                continue;
            }
            if let Some(first) = seen_near.insert((normalized_name(&i.name), &i.level2), i) {
                out.push(Finding {
                    rule: "near-duplicate-name",
                    code: Some(i.code.to_string()),
                    message: format!(
                        "项目类型“{}”中“{}”与 {}“{}”仅差虚词，实为同一指标",
                        t.name, i.name, first.code, first.name
                    ),
                });
            }
        }
    }
    // A finding about a common indicator repeats for every type it fits: report it once.
    out.dedup_by(|a, b| {
        a.rule == b.rule && a.code.is_some() && a.code == b.code && a.message == b.message
    });
    out
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct TypeStats {
    pub code: String,
    pub name: String,
    pub group: String,
    pub total: usize,
    pub specific: usize,
    pub common: usize,
    pub core: usize,
    /// Count per level 1, in framework order.
    pub by_level1: Vec<(String, usize)>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Stats {
    pub edition: String,
    pub indicators: usize,
    pub project_types: usize,
    pub groups: usize,
    pub by_type: Vec<TypeStats>,
    pub by_level1: Vec<(String, usize)>,
    pub by_level2: Vec<(String, String, usize)>,
    pub by_scope: Vec<(String, usize)>,
    pub by_provenance: Vec<(String, usize)>,
    pub rates: usize,
    pub qualitative: usize,
    /// Field -> share of indicators (percent) that have it.
    pub completeness: Vec<(String, f64)>,
    pub findings: usize,
}

pub fn stats(catalog: &Catalog, indicators: &[Indicator]) -> Stats {
    let active: Vec<&Indicator> = indicators.iter().filter(|i| i.is_active()).collect();
    let n = active.len().max(1) as f64;
    let framework = catalog.framework();
    let share = |p: &dyn Fn(&Indicator) -> bool| {
        (active.iter().filter(|i| p(i)).count() as f64 * 1000.0 / n).round() / 10.0
    };
    let rates: Vec<&&Indicator> = active.iter().filter(|i| i.is_rate()).collect();
    let mut completeness = vec![
        (
            "指标解释".to_string(),
            share(&|i| !i.definition.trim().is_empty()),
        ),
        ("计量单位".to_string(), share(&|i| !i.unit.is_empty())),
        ("指标方向".to_string(), 100.0),
        ("参考值".to_string(), share(&|i| !i.target.is_empty())),
        (
            "评(扣)分标准".to_string(),
            share(&|i| !i.scoring.trim().is_empty()),
        ),
        (
            "数据来源".to_string(),
            share(&|i| !i.data_source.trim().is_empty()),
        ),
        ("别名".to_string(), share(&|i| !i.aliases.is_empty())),
    ];
    let rates_with_formula = if rates.is_empty() {
        100.0
    } else {
        (rates
            .iter()
            .filter(|i| !i.formula.trim().is_empty())
            .count() as f64
            * 1000.0
            / rates.len() as f64)
            .round()
            / 10.0
    };
    completeness.push(("比率指标计算公式".to_string(), rates_with_formula));
    let count_by = |key: &dyn Fn(&Indicator) -> String| {
        let mut m: BTreeMap<String, usize> = BTreeMap::new();
        for i in &active {
            *m.entry(key(i)).or_default() += 1;
        }
        m.into_iter().collect::<Vec<_>>()
    };
    let by_type = catalog
        .project_types
        .iter()
        .map(|t| {
            let fits: Vec<&&Indicator> = active.iter().filter(|i| i.fits(t)).collect();
            TypeStats {
                code: t.code.clone(),
                name: t.name.clone(),
                group: t.group.clone(),
                total: fits.len(),
                specific: fits.iter().filter(|i| i.natures.is_empty()).count(),
                common: fits.iter().filter(|i| !i.natures.is_empty()).count(),
                core: fits.iter().filter(|i| i.core.contains(&t.code)).count(),
                by_level1: framework
                    .level1
                    .iter()
                    .map(|l| {
                        (
                            l.name.clone(),
                            fits.iter().filter(|i| i.level1 == l.name).count(),
                        )
                    })
                    .collect(),
            }
        })
        .collect();
    let by_level2 = framework
        .level1
        .iter()
        .flat_map(|l1| {
            l1.level2.iter().map(|l2| {
                (
                    l1.name.clone(),
                    l2.clone(),
                    active
                        .iter()
                        .filter(|i| i.level1 == l1.name && &i.level2 == l2)
                        .count(),
                )
            })
        })
        .collect();
    Stats {
        edition: catalog.edition.clone(),
        indicators: active.len(),
        project_types: catalog.project_types.len(),
        groups: catalog.groups.len(),
        by_type,
        by_level1: framework
            .level1
            .iter()
            .map(|l| {
                (
                    l.name.clone(),
                    active.iter().filter(|i| i.level1 == l.name).count(),
                )
            })
            .collect(),
        by_level2,
        by_scope: count_by(&|i| i.scope().label().to_string()),
        by_provenance: count_by(&|i| i.provenance.label().to_string()),
        rates: rates.len(),
        qualitative: active
            .iter()
            .filter(|i| i.value_type == ValueType::Qualitative)
            .count(),
        completeness,
        findings: check_library(catalog, indicators).len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::library::{default_dir, load_dir};

    fn sample() -> (Catalog, Indicator) {
        let lib = load_dir(&default_dir()).unwrap();
        let i = lib
            .indicators
            .iter()
            .find(|i| i.is_rate() && i.level2 == "质量指标" && i.natures.is_empty())
            .unwrap()
            .clone();
        (lib.catalog, i)
    }

    fn rules(i: &Indicator) -> Vec<&'static str> {
        check_indicator(i).into_iter().map(|f| f.rule).collect()
    }

    #[test]
    fn the_sample_passes_every_rule() {
        let (_, i) = sample();
        assert!(rules(&i).is_empty(), "{:?}", check_indicator(&i));
    }

    /// Each rule: a failing example made from a passing one, with the rule id expected.
    #[test]
    fn each_indicator_rule_catches_its_failing_example() {
        let (_, good) = sample();
        type Breaker = fn(&mut Indicator);
        let cases: &[(&str, Breaker)] = &[
            ("missing-field", |i| i.scoring.clear()),
            ("rate-without-formula", |i| i.formula.clear()),
            ("rate-100-ge", |i| {
                i.direction = Direction::AtLeast;
                i.target = "100".into()
            }),
            ("rate-over-100", |i| {
                i.direction = Direction::AtLeast;
                i.target = "120".into()
            }),
            ("unit-value-mismatch", |i| i.target = "较好".into()),
            ("unit-value-mismatch", |i| {
                i.unit = "万元".into();
                i.formula.clear();
                i.target = "95%".into()
            }),
            ("vague-wording", |i| i.name = "群众生活水平明显改善".into()),
            ("input-as-output", |i| i.name = "项目资金到位率".into()),
            ("work-content", |i| i.name = "开展道路巡查".into()),
            ("wrong-category", |i| {
                i.level1 = "效益指标".into();
                i.name = "工程验收合格率".into()
            }),
            ("wrong-category", |i| i.name = "群众满意率".into()),
            ("wrong-category", |i| i.name = "整改及时率".into()),
        ];
        for (rule, breaker) in cases {
            let mut bad = good.clone();
            breaker(&mut bad);
            assert!(
                rules(&bad).contains(rule),
                "rule {rule} did not fire for {:?}: got {:?}",
                bad.name,
                rules(&bad)
            );
        }
    }

    #[test]
    fn library_rules_catch_duplicates_gaps_and_missing_core() {
        let (catalog, good) = sample();
        let t = good.project_types[0].clone();
        let mut dup = good.clone();
        dup.code = crate::domain::Code::parse("ZZ-999").unwrap();
        let mut near = good.clone();
        near.code = crate::domain::Code::parse("ZZ-998").unwrap();
        near.name = format!("{}情况", good.name);
        let mut plain = good.clone();
        plain.core.clear();
        let mut alias = good.clone();
        alias.code = crate::domain::Code::parse("ZZ-997").unwrap();
        alias.name = "完全不同的指标名称".into();
        alias.aliases = vec![good.name.clone()];
        let found: Vec<&str> = check_library(&catalog, &[good.clone(), dup, near, alias])
            .iter()
            .map(|f| f.rule)
            .collect();
        assert!(found.contains(&"duplicate-name"), "{found:?}");
        assert!(found.contains(&"near-duplicate-name"), "{found:?}");
        assert!(found.contains(&"alias-is-other-name"), "{found:?}");
        let only = check_library(&catalog, &[plain]);
        let for_type = |rule: &str| {
            only.iter()
                .any(|f| f.rule == rule && f.message.contains(catalog.project_type_name(&t)))
        };
        assert!(for_type("type-missing-level1"));
        assert!(for_type("type-missing-core"));
    }

    #[test]
    fn the_bundled_library_has_no_findings() {
        let lib = load_dir(&default_dir()).unwrap();
        let findings = check_library(&lib.catalog, &lib.indicators);
        assert!(findings.is_empty(), "{findings:#?}");
    }
}
