//! The reviewer's rules applied to a draft target table (绩效目标申报表).
//!
//! Rules and thresholds come from one configuration file (`indicators/review_rules.toml`) that a
//! bureau can change; each finding names its rule, severity, row, a Chinese message and a fix.

use super::{Catalog, Direction, Draft, DraftRow, Framework, Indicator, UnitKind};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn label(self) -> &'static str {
        match self {
            Severity::Error => "错误",
            Severity::Warning => "提示",
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LintConfig {
    /// Largest share of qualitative rows before `too-many-qualitative`.
    pub max_qualitative_share: f64,
    /// Allowed relative gap between quantity × unit cost and the budget.
    pub budget_tolerance: f64,
    /// Level 1 headings every table must have.
    pub required_level1: Vec<String>,
    pub vague_words: Vec<String>,
    pub input_words: Vec<String>,
    /// Words of a relative target (较上年提高 …) that need a stated baseline.
    pub relative_words: Vec<String>,
    /// Rule id -> severity; rules not listed are errors.
    #[serde(default)]
    pub warnings: Vec<String>,
    /// Headings a table must carry under a framework other than the default one (framework code ->
    /// rules): 部门整体支出 has 决策/过程 and files 满意度 under 效益, so `required_level1` does not fit it.
    #[serde(default)]
    pub frameworks: BTreeMap<String, FrameworkRules>,
    /// Cost-heading rows that are floors, not ceilings (人均财政补助标准 ≥ the national standard):
    /// `cost-direction` leaves them alone.
    #[serde(default = "default_cost_floor_words")]
    pub cost_floor_words: Vec<String>,
    /// Words of an acceptance rate that must be met in full (工程验收合格率): `acceptance-below-100`.
    #[serde(default = "default_acceptance_words")]
    pub acceptance_words: Vec<String>,
    /// The lowest target such a rate may have, in %.
    #[serde(default = "default_min_acceptance_rate")]
    pub min_acceptance_rate: f64,
    /// Satisfaction targets below this (in %) or at 100% are flagged: `satisfaction-range`.
    #[serde(default = "default_min_satisfaction")]
    pub min_satisfaction: f64,
    /// How far (as a share) a quantity target may be from the count the description gives
    /// before `quantity-vs-description` flags it.
    #[serde(default = "default_quantity_tolerance")]
    pub quantity_tolerance: f64,
}

/// The headings a table written against one framework must carry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrameworkRules {
    pub required_level1: Vec<String>,
    /// Level 2 headings that must appear under the level 1 the framework files them under.
    #[serde(default)]
    pub required_level2: Vec<String>,
}

fn default_cost_floor_words() -> Vec<String> {
    ["标准", "节约率"].map(String::from).to_vec()
}
fn default_acceptance_words() -> Vec<String> {
    ["工程验收合格率", "竣工验收合格率", "工程质量验收合格率"]
        .map(String::from)
        .to_vec()
}
fn default_min_acceptance_rate() -> f64 {
    100.0
}
fn default_min_satisfaction() -> f64 {
    80.0
}
fn default_quantity_tolerance() -> f64 {
    0.5
}

impl LintConfig {
    pub fn parse(text: &str) -> Result<LintConfig, String> {
        toml::from_str(text).map_err(|e| format!("审核规则配置有误：{}", e.message()))
    }

    pub fn bundled() -> LintConfig {
        Self::parse(include_str!("../../indicators/review_rules.toml"))
            .expect("the bundled review rules parse")
    }

    /// The framework a draft is written against (its project type's) and the headings it must carry:
    /// the framework's own rules when the configuration has them, else `required_level1`.
    fn required<'a>(
        &'a self,
        draft: &Draft,
        catalog: &'a Catalog,
    ) -> (&'a Framework, &'a [String], &'a [String]) {
        let framework = draft
            .project
            .project_type
            .as_deref()
            .and_then(|c| catalog.project_type(c))
            .map_or_else(|| catalog.framework(), |t| catalog.framework_of(t));
        let (l1, l2) = self.required_under(framework);
        (framework, l1, l2)
    }

    /// The level 1 and level 2 headings a table written against `framework` must carry: the
    /// framework's own rules when the configuration has them, else `required_level1`.
    pub fn required_under(&self, framework: &Framework) -> (&[String], &[String]) {
        match self.frameworks.get(&framework.code) {
            Some(r) => (&r.required_level1, &r.required_level2),
            None => (&self.required_level1, &[]),
        }
    }

    pub fn severity(&self, rule: &str) -> Severity {
        if self.warnings.iter().any(|w| w == rule) {
            Severity::Warning
        } else {
            Severity::Error
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct LintFinding {
    pub rule: &'static str,
    pub severity: Severity,
    /// 0-based row index, when the finding is about one row.
    pub row: Option<usize>,
    pub message: String,
    pub fix: String,
}

fn number(s: &str) -> Option<f64> {
    super::number::parse_plain(s).ok()
}

/// 元-based costs are converted to 万元 to compare with the budget.
fn to_wan(value: f64, unit: &str) -> Option<(f64, String)> {
    let (money, per) = unit.split_once('/')?;
    let factor = match money {
        "万元" => 1.0,
        "元" => 0.0001,
        "亿元" => 10000.0,
        _ => return None,
    };
    Some((value * factor, per.to_string()))
}

/// How many distinct characters two names share (which quantity a unit cost is about).
fn shared_chars(a: &str, b: &str) -> usize {
    let b: std::collections::HashSet<char> = b.chars().collect();
    a.chars()
        .collect::<std::collections::HashSet<char>>()
        .intersection(&b)
        .count()
}

/// Checks a draft; `library` looks up the indicator a row was taken from.
pub fn lint(
    draft: &Draft,
    config: &LintConfig,
    catalog: &Catalog,
    library: &dyn Fn(&str) -> Option<Indicator>,
) -> Vec<LintFinding> {
    let mut out = Vec::new();
    let mut push = |rule: &'static str, row: Option<usize>, message: String, fix: String| {
        out.push(LintFinding {
            rule,
            severity: config.severity(rule),
            row,
            message,
            fix,
        })
    };
    let (framework, required_level1, required_level2) = config.required(draft, catalog);
    for l1 in required_level1 {
        if !draft.rows.iter().any(|r| &r.level1 == l1) {
            push(
                "missing-level1",
                None,
                format!("缺少{l1}"),
                format!("从指标库为本项目添加至少一个{l1}"),
            );
        }
    }
    for l2 in required_level2 {
        let l1 = framework.level1_of(l2).unwrap_or_default();
        if !draft.rows.iter().any(|r| &r.level2 == l2 && r.level1 == l1) {
            push(
                "missing-level2",
                None,
                format!("缺少{l1}下的{l2}（{}）", framework.name),
                format!("添加至少一个{l2}，列在{l1}之下"),
            );
        }
    }
    let qualitative = draft
        .rows
        .iter()
        .filter(|r| r.direction == Direction::Qualitative)
        .count();
    if !draft.rows.is_empty()
        && qualitative as f64 / draft.rows.len() as f64 > config.max_qualitative_share
    {
        push(
            "too-many-qualitative",
            None,
            format!(
                "定性指标 {qualitative} 个，占 {:.0}%，超过 {:.0}%",
                qualitative as f64 * 100.0 / draft.rows.len() as f64,
                config.max_qualitative_share * 100.0
            ),
            "尽量改用可量化的定量指标".into(),
        );
    }
    for (i, r) in draft.rows.iter().enumerate() {
        let row = Some(i);
        let unit_kind = catalog.unit(&r.unit).map(|u| u.kind);
        if r.target.trim().is_empty() {
            push(
                "missing-value",
                row,
                format!("“{}”未填写指标值", r.name),
                "填写具体的目标值".into(),
            );
        }
        if r.unit.trim().is_empty() && r.direction != Direction::Qualitative {
            push(
                "missing-unit",
                row,
                format!("“{}”未填写计量单位", r.name),
                "从受控列表选择计量单位".into(),
            );
        }
        if r.explanation.trim().is_empty() && r.indicator.is_none() {
            push(
                "missing-explanation",
                row,
                format!("自拟指标“{}”缺少指标解释", r.name),
                "写明统计口径、计算方法和数据来源".into(),
            );
        }
        let text = format!("{} {}", r.name, r.target);
        for w in super::wording::vague_words_in(&text, &config.vague_words) {
            push(
                "vague-wording",
                row,
                format!("“{}”含模糊表述“{w}”，无法衡量", r.name),
                "改为具体的数值目标，如“≥95%”".into(),
            );
        }
        // Under 过程指标 (部门整体支出) budget execution is what is measured: an input only
        // misleads where an output, an effect or a cost is expected.
        if matches!(r.level1.as_str(), "产出指标" | "效益指标" | "成本指标") {
            for w in &config.input_words {
                if r.name.contains(w.as_str()) {
                    push(
                        "input-as-output",
                        row,
                        format!("“{}”衡量资金投入，不是{}", r.name, r.level1),
                        "删除该行，改填项目交付的产出或带来的效益".into(),
                    );
                }
            }
        }
        let value = number(&r.target);
        if r.direction != Direction::Qualitative && !r.target.trim().is_empty() {
            match value {
                None => push(
                    "unit-value-mismatch",
                    row,
                    format!("“{}”的指标值“{}”不是数字", r.name, r.target),
                    "填写数字，单位写在计量单位栏".into(),
                ),
                Some(_) if r.target.contains('%') && unit_kind != Some(UnitKind::Rate) => push(
                    "unit-value-mismatch",
                    row,
                    format!("“{}”的指标值带 %，计量单位却是“{}”", r.name, r.unit),
                    "比率类指标的计量单位填 %".into(),
                ),
                _ => {}
            }
        }
        if unit_kind == Some(UnitKind::Rate)
            && let Some(v) = value
            && (v > 100.0 || (v == 100.0 && r.direction == Direction::AtLeast))
        {
            push(
                "rate-over-100",
                row,
                format!(
                    "“{}”的目标为{}{}%，比率不可能超过 100%",
                    r.name,
                    r.direction.label(),
                    r.target.trim_end_matches('%')
                ),
                "写“=100%”或可实现的下限，如“≥98%”".into(),
            );
        }
        if r.level2.contains("成本")
            && r.direction == Direction::AtLeast
            && !config
                .cost_floor_words
                .iter()
                .any(|w| r.name.contains(w.as_str()))
        {
            push(
                "cost-direction",
                row,
                format!(
                    "“{}”是成本指标，方向写成了“≥”，成本应控制在上限以内",
                    r.name
                ),
                "方向改为“≤”，指标值填成本上限".into(),
            );
        }
        if unit_kind == Some(UnitKind::Rate)
            && let Some(v) = value
            && v < config.min_acceptance_rate
            && config
                .acceptance_words
                .iter()
                .any(|w| r.name.contains(w.as_str()))
        {
            push(
                "acceptance-below-100",
                row,
                format!(
                    "“{}”的目标为 {}%，工程验收须全部合格",
                    r.name,
                    r.target.trim_end_matches('%')
                ),
                format!(
                    "改为“={}%”；分阶段验收的，写明本年度验收的范围",
                    config.min_acceptance_rate
                ),
            );
        }
        let satisfaction = r.level1.contains("满意度") || r.name.contains("满意度");
        if satisfaction
            && unit_kind == Some(UnitKind::Rate)
            && let Some(v) = value
        {
            if v < config.min_satisfaction {
                push(
                    "satisfaction-range",
                    row,
                    format!(
                        "“{}”的目标 {}% 低于 {}%，达不到服务对象基本满意",
                        r.name,
                        r.target.trim_end_matches('%'),
                        config.min_satisfaction
                    ),
                    "满意度目标一般定在 85%—95%，并写明调查方法".into(),
                );
            } else if v >= 100.0 {
                push(
                    "satisfaction-range",
                    row,
                    format!("“{}”的目标为 100%，问卷调查几乎不可能全部满意", r.name),
                    "改为可实现的目标，如“≥90%”".into(),
                );
            }
        }
        // A relative target (较上年提高 …) needs the baseline figure stated in the explanation.
        let text = format!("{}{}", r.name, r.target);
        if config
            .relative_words
            .iter()
            .any(|w| text.contains(w.as_str()))
            && !r.explanation.chars().any(|c| c.is_ascii_digit())
        {
            push(
                "relative-without-baseline",
                row,
                format!("“{}”是相对目标，但未写明基数", r.name),
                "写明上年实际值，或直接填写绝对目标值".into(),
            );
        }
        if let Some(code) = &r.indicator
            && let Some(ind) = library(code)
            && let (Some(v), Some(typical)) = (value, number(&ind.target))
        {
            let low = match r.direction {
                Direction::AtLeast => v < typical,
                Direction::AtMost => v > typical,
                _ => false,
            };
            // A count (小区个数, 加装电梯数量) follows the project's size, not a typical figure.
            let quantity = r.level2.contains("数量");
            if low && ind.unit == r.unit && !quantity {
                push(
                    "below-typical",
                    row,
                    format!(
                        "“{}”的目标 {} 低于指标库参考值 {}",
                        r.name,
                        r.target,
                        ind.target_display()
                    ),
                    format!(
                        "参考值依据：{}；如确需降低请在说明中写明原因",
                        ind.basis.label()
                    ),
                );
            }
        }
    }
    if let Some(budget) = draft.project.budget_wan.filter(|b| *b > 0.0) {
        for (i, cost) in draft.rows.iter().enumerate() {
            // Only a cost row is a unit cost: 户均增收 (元/户) under 经济效益 is a benefit.
            if !cost.level2.contains("成本") {
                continue;
            }
            let Some((unit_cost, per)) = number(&cost.target).and_then(|v| to_wan(v, &cost.unit))
            else {
                continue;
            };
            let quantities: Vec<(&DraftRow, f64)> = draft
                .rows
                .iter()
                .filter(|q| q.level2 == "数量指标" && q.unit == per)
                .filter_map(|q| number(&q.target).map(|n| (q, n)))
                .collect();
            let gap = |n: f64| (n * unit_cost - budget).abs() / budget;
            // With several quantities in that unit (改造户数, 入户走访户数) the cost may belong to
            // any of them: one that fits the budget is enough.
            if quantities
                .iter()
                .any(|(_, n)| gap(*n) <= config.budget_tolerance)
            {
                continue;
            }
            let Some((q, n)) = quantities
                .iter()
                .max_by_key(|(q, _)| shared_chars(&q.name, &cost.name))
                .copied()
            else {
                continue;
            };
            push(
                "budget-mismatch",
                Some(i),
                format!(
                    "“{}”{}{} × “{}”{}{} ≈ {:.1} 万元，与预算 {:.1} 万元相差 {:.0}%",
                    q.name,
                    n,
                    q.unit,
                    cost.name,
                    cost.target,
                    cost.unit,
                    n * unit_cost,
                    budget,
                    gap(n) * 100.0
                ),
                "核对数量、单位成本与预算金额是否匹配".into(),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{DraftProject, DraftRow};
    use crate::ingest::library::{default_dir, load_dir};

    fn row(l1: &str, l2: &str, name: &str, dir: Direction, target: &str, unit: &str) -> DraftRow {
        DraftRow {
            level1: l1.into(),
            level2: l2.into(),
            name: name.into(),
            indicator: None,
            revision: None,
            direction: dir,
            target: target.into(),
            unit: unit.into(),
            explanation: "统计口径见项目实施方案。".into(),
            confirmed: false,
        }
    }

    /// A table a reviewer accepts: every rule passes on it.
    fn good() -> Draft {
        let now = chrono::Utc::now();
        Draft {
            id: "t".into(),
            project: DraftProject {
                name: "城市道路改扩建工程".into(),
                project_type: Some("road".into()),
                budget_wan: Some(3000.0),
                ..Default::default()
            },
            rows: vec![
                row(
                    "产出指标",
                    "数量指标",
                    "改扩建道路里程",
                    Direction::AtLeast,
                    "1.5",
                    "公里",
                ),
                row(
                    "产出指标",
                    "成本指标",
                    "每公里综合造价",
                    Direction::AtMost,
                    "2000",
                    "万元/公里",
                ),
                row(
                    "产出指标",
                    "质量指标",
                    "工程验收合格率",
                    Direction::Exactly,
                    "100",
                    "%",
                ),
                row(
                    "效益指标",
                    "社会效益指标",
                    "道路通行时间缩短比例",
                    Direction::AtLeast,
                    "15",
                    "%",
                ),
                row(
                    "满意度指标",
                    "服务对象满意度指标",
                    "沿线居民满意度",
                    Direction::AtLeast,
                    "90",
                    "%",
                ),
            ],
            owner: None,
            created: now,
            updated: now,
        }
    }

    fn rules(d: &Draft) -> Vec<&'static str> {
        let lib = load_dir(&default_dir()).unwrap();
        let by_code = |c: &str| {
            lib.indicators
                .iter()
                .find(|i| i.code.as_str() == c)
                .cloned()
        };
        lint(d, &LintConfig::bundled(), &lib.catalog, &by_code)
            .into_iter()
            .map(|f| f.rule)
            .collect()
    }

    type Breaker = fn(&mut Draft);

    /// Each case breaks a passing table in one way; its rule must fire.
    fn assert_each_fires(base: fn() -> Draft, cases: &[(&str, Breaker)]) {
        for (rule, breaker) in cases {
            let mut d = base();
            breaker(&mut d);
            assert!(
                rules(&d).contains(rule),
                "{rule} did not fire: {:?}",
                rules(&d)
            );
        }
    }

    #[test]
    fn the_good_table_passes_every_rule() {
        assert!(rules(&good()).is_empty(), "{:?}", rules(&good()));
    }

    /// Each rule: the good table broken in one way, and the rule that must fire.
    #[test]
    fn each_rule_fires_on_its_failing_table() {
        let cases: &[(&str, Breaker)] = &[
            ("missing-level1", |d| {
                d.rows.retain(|r| r.level1 != "满意度指标")
            }),
            ("input-as-output", |d| {
                d.rows[0].name = "项目资金到位率".into()
            }),
            ("vague-wording", |d| d.rows[3].target = "明显提高".into()),
            ("vague-wording", |d| {
                d.rows[3].name = "道路通行能力有效提升比例".into()
            }),
            ("unit-value-mismatch", |d| {
                d.rows[0].target = "一点五".into()
            }),
            ("unit-value-mismatch", |d| d.rows[0].target = "95%".into()),
            ("rate-over-100", |d| {
                d.rows[2].direction = Direction::AtLeast;
                d.rows[2].target = "100".into()
            }),
            ("rate-over-100", |d| d.rows[3].target = "120".into()),
            ("relative-without-baseline", |d| {
                d.rows[3].name = "通行时间较上年缩短".into()
            }),
            ("budget-mismatch", |d| d.project.budget_wan = Some(800.0)),
            ("too-many-qualitative", |d| {
                for r in d.rows.iter_mut().take(3) {
                    r.direction = Direction::Qualitative;
                    r.target = "达标".into();
                    r.unit = "等级".into();
                }
            }),
            ("missing-value", |d| d.rows[1].target.clear()),
            ("missing-unit", |d| d.rows[0].unit.clear()),
            ("missing-explanation", |d| d.rows[0].explanation.clear()),
            ("below-typical", |d| {
                d.rows[4].indicator = Some("GX-JS-012".into());
                d.rows[4].target = "60".into()
            }),
            // Issue 25, item 7: the comments reviewers wrote that no rule made.
            ("cost-direction", |d| {
                d.rows[1].direction = Direction::AtLeast
            }),
            ("acceptance-below-100", |d| d.rows[2].target = "80".into()),
            ("satisfaction-range", |d| d.rows[4].target = "75".into()),
            ("satisfaction-range", |d| {
                d.rows[4].direction = Direction::Exactly;
                d.rows[4].target = "100".into()
            }),
        ];
        assert_each_fires(good, cases);
    }

    /// JX-024 (良好及以上), 有效率 and 有效投资 name measures: the words are vague only elsewhere.
    #[test]
    fn measure_terms_with_vague_words_pass() {
        let mut d = good();
        d.rows[3].name = "学业质量监测良好及以上比例".into();
        d.rows[4].name = "带动社会有效投资".into();
        d.rows[4].level1 = "效益指标".into();
        d.rows[4].level2 = "经济效益指标".into();
        d.rows[4].unit = "万元".into();
        d.rows[4].target = "500".into();
        d.rows.push(row(
            "满意度指标",
            "服务对象满意度指标",
            "患者治疗有效率",
            Direction::AtLeast,
            "90",
            "%",
        ));
        assert!(!rules(&d).contains(&"vague-wording"), "{:?}", rules(&d));
    }

    /// A benefit in 元/户 is not a unit cost, and a unit cost pairs with the quantity it fits,
    /// not with the first row that has the same unit.
    #[test]
    fn budget_check_uses_cost_rows_and_the_quantity_that_fits() {
        let mut d = good();
        d.project.budget_wan = Some(500.0);
        d.rows[0] = row(
            "产出指标",
            "数量指标",
            "入户走访户数",
            Direction::AtLeast,
            "8000",
            "户",
        );
        d.rows.push(row(
            "产出指标",
            "数量指标",
            "改造户数",
            Direction::AtLeast,
            "1000",
            "户",
        ));
        d.rows[1] = row(
            "产出指标",
            "成本指标",
            "户均改造成本",
            Direction::AtMost,
            "5000",
            "元/户",
        );
        d.rows.push(row(
            "效益指标",
            "经济效益指标",
            "户均年增收",
            Direction::AtLeast,
            "3000",
            "元/户",
        ));
        assert!(!rules(&d).contains(&"budget-mismatch"), "{:?}", rules(&d));
        d.project.budget_wan = Some(10000.0);
        assert!(rules(&d).contains(&"budget-mismatch"));
    }

    /// A 部门整体支出 table (framework `department`) as a finance bureau accepts it: 决策 and 过程
    /// headings, 预算执行率 under 过程指标, 满意度 under 效益指标.
    fn good_department() -> Draft {
        let mut d = good();
        d.project.name = "某区消防救援大队部门整体支出".into();
        d.project.project_type = Some("department_overall".into());
        d.project.budget_wan = Some(1800.0);
        d.rows = vec![
            row(
                "决策指标",
                "预算编制指标",
                "在职人员控制率",
                Direction::AtMost,
                "100",
                "%",
            ),
            row(
                "过程指标",
                "预算执行指标",
                "预算执行率",
                Direction::AtLeast,
                "95",
                "%",
            ),
            row(
                "产出指标",
                "职责履行数量指标",
                "年度重点工作任务完成率",
                Direction::AtLeast,
                "95",
                "%",
            ),
            row(
                "效益指标",
                "社会效益指标",
                "整体绩效目标效益指标实现率",
                Direction::AtLeast,
                "90",
                "%",
            ),
            row(
                "效益指标",
                "服务对象满意度指标",
                "部门服务对象满意度",
                Direction::AtLeast,
                "90",
                "%",
            ),
        ];
        d
    }

    #[test]
    fn a_department_table_passes_under_its_own_framework() {
        assert!(
            rules(&good_department()).is_empty(),
            "{:?}",
            rules(&good_department())
        );
    }

    /// What a 部门整体支出 table must carry, each broken once; the local framework's 满意度指标
    /// level 1 is not one of them.
    #[test]
    fn department_rules_fire_on_their_failing_tables() {
        let cases: &[(&str, Breaker)] = &[
            // No satisfaction at all.
            ("missing-level2", |d| {
                d.rows.retain(|r| r.level2 != "服务对象满意度指标")
            }),
            // Satisfaction filed as its own level 1, the project framework's way.
            ("missing-level2", |d| d.rows[4].level1 = "满意度指标".into()),
            // No budget execution under 过程指标.
            ("missing-level2", |d| {
                d.rows[1].level2 = "预算管理指标".into()
            }),
            ("missing-level1", |d| {
                d.rows.retain(|r| r.level1 != "决策指标")
            }),
            // Budget execution is still an input when it is filed as an output.
            ("input-as-output", |d| {
                d.rows[2].name = "部门预算执行率".into()
            }),
        ];
        assert_each_fires(good_department, cases);
        let mut d = good_department();
        d.rows[4].level1 = "满意度指标".into();
        assert!(!rules(&d).contains(&"missing-level1"), "{:?}", rules(&d));
    }

    #[test]
    fn thresholds_come_from_the_configuration() {
        let mut cfg = LintConfig::bundled();
        cfg.budget_tolerance = 10.0;
        let mut d = good();
        d.project.budget_wan = Some(800.0);
        let lib = load_dir(&default_dir()).unwrap();
        let none = |_: &str| None;
        assert!(
            lint(&d, &cfg, &lib.catalog, &none)
                .iter()
                .all(|f| f.rule != "budget-mismatch")
        );
        assert_eq!(cfg.severity("below-typical"), Severity::Warning);
        assert!(
            LintConfig::parse("max_qualitative_share = \"x\"")
                .unwrap_err()
                .contains("审核规则配置")
        );
    }
}
