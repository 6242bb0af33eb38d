//! The reviewer's rules applied to the library itself, and its coverage statistics.
//!
//! Each rule has a stable id (documented in indicators/README.md); `zhibiao check` fails on any
//! finding, and the server refuses a library with findings, so the bundled library stays clean.

mod category;
mod overlap;
mod sample;
mod vocabulary;

pub use sample::review_sample;
pub use vocabulary::check_vocabulary;

use super::{Basis, Catalog, CostKind, Direction, Indicator, UnitKind, ValueType};
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

/// A value a policy guarantees is named "…标准"/"…定额" together with one of these words; it is
/// paid in full (`=`), so `≤` misreads it as a cost ceiling.
const GUARANTEE_WORDS: &[&str] = &[
    "补助",
    "资助",
    "补贴",
    "保障",
    "供养",
    "救助",
    "公用经费",
    "津贴",
    "报酬",
];

/// Words saying a case was found: counting found cases against a target of zero penalises the
/// checking itself (the more a bureau looks, the worse it scores).
const DETECTION_WORDS: &[&str] = &["查实", "查处", "查出", "检出", "发现问题"];
const DETECTION_DEFINITION_WORDS: &[&str] = &["查实的", "检查中发现", "审计发现", "检查发现"];

/// Measures that are not interchangeable: an alias ending in one of them must not stand for a
/// name ending in another (路灯完好率 is not 路灯亮灯率; 合格 and 达标 differ, see index/synonyms.txt).
const DISTINCT_MEASURES: &[&str] = &[
    "完好率",
    "亮灯率",
    "合格率",
    "达标率",
    "知晓率",
    "参与率",
    "覆盖率",
    "完成率",
];

/// Measures a name and its definition must not mix (YQ-020 年新增产值 summed as 营业收入).
const DIFFERENT_MEASURES: &[(&str, &str)] = &[("产值", "营业收入"), ("产值", "销售收入")];

/// Steps of managing a project (self-evaluation, reporting, publishing, filing, booking): done
/// well they are quality of the work, never its effect (ZQ-013 绩效自评覆盖率 under 可持续影响).
const PROCESS_WORDS: &[&str] = &["自评", "填报", "公示", "归档", "入账", "公开率", "报送率"];

/// Endings of a name that is a share, and of one that is an amount.
const SHARE_ENDINGS: &[&str] = &["率", "比例", "占比", "比重"];
const AMOUNT_ENDINGS: &[&str] = &[
    "面积", "人数", "户数", "件数", "个数", "数量", "金额", "长度", "里程", "人次",
];

/// Words in an effect's name that name something built, planted, made, issued or designated —
/// a quantity delivered, which is an output.
const DELIVERY_WORDS: &[&str] = &[
    "新增绿",
    "绿化面积",
    "绿地面积",
    "复绿",
    "新建",
    "建成",
    "改造",
    "铺设",
    "种植",
    "补植",
    "创作",
    "作品数",
    "发布数",
    "示范",
    "开放面积",
    "形成",
    "印发",
];

/// Words that make a counted quantity a change or an effect after all (jobs created, pollution
/// removed, people served ...).
const EFFECT_WORDS: &[&str] = &[
    "就业",
    "岗位",
    "产能",
    "产值",
    "收入",
    "减少",
    "削减",
    "节约",
    "节水",
    "节能",
    "消除",
    "受益",
    "惠及",
    "带动",
    "服务人口",
    "关注",
    "专利",
    "研发人员",
    "事故",
    "首贷",
    "粮食",
    "违法建设",
    "人才",
    "转化",
    "占用",
    "传播",
    "制度",
    "入驻",
    "入库",
];

/// Words of a benefit paid to whoever qualifies (应保尽保): how many receive it follows
/// eligibility, so a count with `≥` rewards inflating the rolls (ZZ-002, JZ-001).
const ENTITLEMENT_WORDS: &[&str] = &[
    "低保",
    "特困",
    "孤儿",
    "无人抚养",
    "抚恤",
    "优抚",
    "高龄津贴",
    "助学金",
    "免学费",
    "免学杂费",
    "幼儿资助",
    "补贴发放人数",
    "补助对象人数",
    "待遇领取",
    "临时救助",
    "医疗救助",
    "倾斜救助",
    "慢特病",
    "救助人次",
    "倒损",
    "损坏住房",
    "孤残儿童",
    "救治人数",
    "因灾倒塌",
    "优惠乘车",
    "免费乘车",
    "流浪乞讨",
    "离岗乡村医生",
    "在岗乡村医生",
    "资助参保",
    "代缴",
    "优待金",
    "退役士兵一次性",
    "乡村教师生活补助",
    "康复救助",
    "在保户",
    "租赁补贴户",
    "地力保护补贴",
    "公用经费保障",
];

/// Work done on the rolls (低保家庭经济状况核对户数) is an output a unit plans, not a benefit.
const ENTITLEMENT_WORK: &[&str] = &["核对", "核查", "检查", "走访", "培训"];

/// Words of a per-unit amount in a name and the unit denominators that fit them: 每处 is
/// 万元/处, not 万元/项 (ZH-012); a monthly amount is 元/人·月 or 元/户·月 (JZ-012, ZL-011).
const PER_WORDS: &[(&[&str], &[&str])] = &[
    (&["单处", "每处"], &["处"]),
    (&["单站", "每站"], &["处", "个"]),
    (&["单批次", "每批次"], &["批次"]),
    (
        &[
            "月标准",
            "月人均",
            "人均月",
            "户均月",
            "每月",
            "月均",
            "按月",
        ],
        &["人·月", "户·月", "平方米·月"],
    ),
];

/// A count named in person-times or household-times (检查家次) takes that unit, not 家.
const TIMES_UNITS: &[&str] = &["家次", "户次", "台次", "人次"];

/// Words that make a cost a cost per unit of output.
const PER_UNIT_WORDS: &[&str] = &[
    "单位", "单个", "单座", "单台", "单次", "单场", "单项", "单份", "单株", "单盏", "单批", "单家",
    "单户", "单门", "每", "人均", "户均", "生均", "次均", "亩均", "平均",
];

/// Filler that does not change what a name measures (for near-duplicate detection).
const FILLER: &[&str] = &["情况", "的", "总", "累计", "全年", "年度", "数量", "个数"];

/// A name's key (`text::name_key`) without filler, for near-duplicate detection.
pub fn normalized_name(name: &str) -> String {
    let mut s = crate::text::name_key(name);
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
    // Every definition reads the same way, so a drafter can copy it into a target table.
    if !i.definition.trim().is_empty() && !i.definition.trim_start().starts_with("反映") {
        f(
            "definition-form",
            format!(
                "“{}”的指标解释应以“反映”开头，写成一句完整的话（反映……的……）",
                i.name
            ),
        );
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
    // YW-008: 99.9% scored 每低1个百分点: everything that can happen lies within one step.
    if i.is_rate()
        && i.direction == Direction::AtLeast
        && target.is_some_and(|t| t > 99.0 && t < 100.0)
        && i.scoring.contains("每低1个百分点")
    {
        f(
            "scoring-cannot-discriminate",
            format!(
                "“{}”的目标 {}% 与 100% 相差不到 1 个百分点，评分“每低1个百分点扣分”区分不出实际差异：按 0.1 个百分点计扣",
                i.name, i.target
            ),
        );
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
    let text = format!("{} {}", i.name, i.target);
    for w in super::wording::vague_words_in(&text, VAGUE_WORDS) {
        f(
            "vague-wording",
            format!("“{}”含模糊表述“{w}”，无法衡量", i.name),
        );
    }
    // Under 过程指标 (部门整体支出) budget execution is what is measured, not an input in disguise.
    let output_or_effect = i.level1 == "产出指标" || i.level1 == "效益指标";
    for w in INPUT_WORDS {
        if output_or_effect && i.name.contains(w) {
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
    if let Some(w) = ["预计", "预期"].iter().find(|w| i.name.contains(*w)) {
        f(
            "forecast-as-result",
            format!(
                "“{}”是{w}值，年终无法用实际数据考核：改为已实现的实际值",
                i.name
            ),
        );
    }
    for (a, b) in DIFFERENT_MEASURES {
        for (n, d) in [(a, b), (b, a)] {
            if i.name.contains(n)
                && i.definition.contains(d)
                && !i.definition.contains(&format!("不含{d}"))
            {
                f(
                    "name-definition-mismatch",
                    format!(
                        "“{}”名称是{n}，指标解释却按{d}计：两者口径不同，名称与解释应一致",
                        i.name
                    ),
                );
            }
        }
    }
    if i.level1 == "效益指标"
        && let Some(w) = PROCESS_WORDS.iter().find(|w| i.name.contains(*w))
    {
        f(
            "process-as-effect",
            format!(
                "“{}”衡量的是管理程序（{w}），不是项目带来的变化，应列在产出指标—质量或时效指标下",
                i.name
            ),
        );
    }
    if i.name.contains("满意") && !i.level2.contains("满意度") {
        f(
            "wrong-category",
            format!("“{}”是满意度，应列在满意度指标下", i.name),
        );
    }
    if i.name.ends_with("及时率") && !i.level2.contains("时效") {
        f(
            "wrong-category",
            format!("“{}”衡量时效，应列在时效指标下", i.name),
        );
    }
    let guaranteed = is_guaranteed_standard(i);
    if guaranteed && i.direction == Direction::AtMost {
        f(
            "guaranteed-standard-direction",
            format!(
                "“{}”是应足额保障的标准，方向应为“=”（按标准足额发放），不能写“≤”",
                i.name
            ),
        );
    }
    // A rate of change bounded at 0 (三公经费变动率 ≤ 0, the 部门整体支出 standard of 财预〔2013〕53号)
    // is a ceiling on growth, not an event that should not happen.
    let change_bound = i.is_rate() && i.name.ends_with("变动率");
    if i.value_type == ValueType::Quantitative && target == Some(0.0) && !change_bound {
        if i.direction != Direction::Exactly {
            f(
                "zero-event-direction",
                format!(
                    "“{}”以 0 为目标（零事件指标），方向统一写“=0”，不写“{}0”",
                    i.name, i.direction
                ),
            );
        }
        if i.scoring.contains("÷目标值") {
            f(
                "zero-event-direction",
                format!("“{}”目标为 0，评分标准不能按“÷目标值”计算", i.name),
            );
        }
    }
    let detects = DETECTION_WORDS.iter().any(|w| i.name.contains(w))
        || DETECTION_DEFINITION_WORDS
            .iter()
            .any(|w| i.definition.contains(w));
    if detects
        && !i.is_rate()
        && i.value_type == ValueType::Quantitative
        && matches!(i.direction, Direction::AtMost | Direction::Exactly)
    {
        f(
            "detection-penalised",
            format!(
                "“{}”按查实（发现）的件数扣分，查得越多得分越低；应衡量查实问题的整改率、追回率等",
                i.name
            ),
        );
    }
    let money = i.unit.contains('元');
    if i.valid_year.trim().is_empty()
        && money
        && (guaranteed || matches!(i.basis, Basis::Policy | Basis::Budget))
    {
        f(
            "time-bound-without-year",
            format!(
                "“{}”的参考值 {}{} 取自有时效的标准或政策，须填写适用年度（valid_year）",
                i.name, i.target, i.unit
            ),
        );
    }
    // A rate's alias that names an amount (水价改革实施面积 for …实施面积占比), or the reverse.
    let share = |s: &str| SHARE_ENDINGS.iter().any(|e| s.ends_with(e)) && !s.ends_with("功率");
    let amount = |s: &str| AMOUNT_ENDINGS.iter().any(|e| s.ends_with(e));
    for a in &i.aliases {
        if (i.is_rate() && amount(a) && !share(a)) || (!i.is_rate() && share(a)) {
            f(
                "alias-other-measure",
                format!(
                    "别名“{a}”与指标“{}”（计量单位 {}）一个是比率、一个是数量，不是同一指标",
                    i.name, i.unit
                ),
            );
        }
    }
    let measure = |s: &str| DISTINCT_MEASURES.iter().copied().find(|m| s.ends_with(m));
    if let Some(m) = measure(&i.name) {
        for a in &i.aliases {
            if let Some(am) = measure(a).filter(|am| *am != m) {
                f(
                    "alias-other-measure",
                    format!(
                        "别名“{a}”衡量的是{am}，与指标“{}”（{m}）不是同一指标",
                        i.name
                    ),
                );
            }
        }
    }
    out.extend(category::check(i));
    out
}

/// Whether the indicator is a per-capita (per-unit) amount a policy guarantees: 低保标准,
/// 助学金资助标准, 生均公用经费基准定额 ...
fn is_guaranteed_standard(i: &Indicator) -> bool {
    (i.name.contains("标准") || i.name.contains("定额"))
        && GUARANTEE_WORDS.iter().any(|w| i.name.contains(w))
        && i.value_type == ValueType::Quantitative
}

/// Rules on one indicator that need the catalog (the kind of its unit).
pub fn check_indicator_in(i: &Indicator, catalog: &Catalog) -> Vec<Finding> {
    let mut out = check_indicator(i);
    let target = number(&i.target);
    let kind = catalog.unit(&i.unit).map(|u| u.kind);
    let mut f = |rule, message: String| {
        out.push(Finding {
            rule,
            code: Some(i.code.to_string()),
            message,
        })
    };
    let quantity = matches!(
        kind,
        Some(UnitKind::Count | UnitKind::Length | UnitKind::Area | UnitKind::Volume)
    );
    if i.level1 == "效益指标"
        && quantity
        && DELIVERY_WORDS.iter().any(|w| i.name.contains(w))
        && !EFFECT_WORDS.iter().any(|w| i.name.contains(w))
    {
        f(
            "output-as-effect",
            format!(
                "“{}”是交付的数量（建成、新增、创作、发布……），应列在产出指标—数量指标下；效益指标应反映由此带来的变化",
                i.name
            ),
        );
    }
    for (words, pers) in PER_WORDS {
        let per = i.unit.split_once('/').map(|(_, p)| p);
        if kind == Some(UnitKind::UnitCost)
            && let Some(w) = words.iter().find(|w| i.name.contains(*w))
            && !per.is_some_and(|p| pers.contains(&p))
        {
            f(
                "unit-name-mismatch",
                format!(
                    "“{}”按“{w}”计，计量单位“{}”与名称不符，应为“…/{}”",
                    i.name,
                    i.unit,
                    pers.join("”或“…/")
                ),
            );
        }
    }
    if let Some(t) = TIMES_UNITS
        .iter()
        .find(|t| i.name.contains(*t) && i.unit.chars().count() == 1 && t.starts_with(&i.unit))
    {
        f(
            "unit-name-mismatch",
            format!("“{}”以{t}计，计量单位应为“{t}”，不是“{}”", i.name, i.unit),
        );
    }
    // 耕地地力保护补贴 is paid on every eligible 亩: an area follows eligibility as a count does.
    let count_like = matches!(kind, Some(UnitKind::Count | UnitKind::Area));
    if i.level2 == "数量指标"
        && i.direction == Direction::AtLeast
        && count_like
        && let Some(w) = ENTITLEMENT_WORDS.iter().find(|w| i.name.contains(*w))
        && !ENTITLEMENT_WORK.iter().any(|v| i.name.contains(v))
    {
        f(
            "entitlement-count-at-least",
            format!(
                "“{}”是按条件认定、应保尽保的受助数（{w}），多少取决于符合条件的对象：不写“≥”，写“=”认定数并按应保尽保评分，或改用应保尽保（应助尽助）率",
                i.name
            ),
        );
    }
    if i.level2.contains("成本") {
        let money_like = matches!(
            kind,
            Some(UnitKind::Money | UnitKind::UnitCost | UnitKind::Rate)
        );
        if target == Some(0.0) && !money_like {
            f(
                "incident-as-cost",
                format!(
                    "“{}”以 0 为目标，是应避免的事件，不是项目耗费的成本；列在质量指标或效益指标下",
                    i.name
                ),
            );
        } else if i.cost_kind.is_none_or(|k| k == CostKind::Economic) && !money_like {
            f(
                "incident-as-cost",
                format!(
                    "“{}”是经济成本，应以金额、单位成本或费率衡量，不能用“{}”",
                    i.name, i.unit
                ),
            );
        }
    }
    if i.level2.contains("成本") && kind == Some(UnitKind::Money) {
        if PER_UNIT_WORDS.iter().any(|w| i.name.contains(w)) {
            f(
                "cost-unit-mismatch",
                format!(
                    "“{}”是单位成本，计量单位应写明“元/人”“元/平方米”等（每什么），不能只写“{}”",
                    i.name, i.unit
                ),
            );
        } else {
            f(
                "cost-within-budget",
                format!(
                    "“{}”以总金额（{}）作成本指标，等于“总成本≤批复预算”，恒成立、无法评价；应改用单位成本、费率或成本节约率",
                    i.name, i.unit
                ),
            );
        }
    }
    out
}

/// Every rule over the whole library.
pub fn check_library(catalog: &Catalog, indicators: &[Indicator]) -> Vec<Finding> {
    let mut out: Vec<Finding> = indicators
        .iter()
        .filter(|i| i.is_active())
        .flat_map(|i| check_indicator_in(i, catalog))
        .collect();
    out.extend(overlap::shared_aliases(catalog, indicators));
    out.extend(overlap::inconsistent_categories(indicators));
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
    for t in &catalog.project_types {
        let framework = catalog.framework_of(t);
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
        // 财预〔2021〕101号 makes cost a level 1 of its own: every type names the cost a target
        // table must carry (under whichever heading its framework files cost).
        let costs = framework
            .level1
            .iter()
            .flat_map(|l| &l.level2)
            .any(|l2| l2.contains("成本"));
        if costs
            && !fits
                .iter()
                .any(|i| i.level2.contains("成本") && i.core.contains(&t.code))
        {
            out.push(Finding {
                rule: "type-missing-core-cost",
                code: None,
                message: format!(
                    "项目类型“{}”没有核心成本指标（财预〔2021〕101号将成本指标单列，每类项目应至少有一个必选成本指标）",
                    t.name
                ),
            });
        }
        out.extend(overlap::cross_scope_duplicates(catalog, t, &fits));
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
    /// 支出功能分类 codes (类 or 款) the type is budgeted under.
    pub functions: Vec<String>,
    pub total: usize,
    pub specific: usize,
    pub common: usize,
    pub core: usize,
    /// Count per level 1, in framework order.
    pub by_level1: Vec<(String, usize)>,
}

/// Coverage of one 类 of the 支出功能分类科目.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FunctionStats {
    pub code: String,
    pub name: String,
    pub project_spending: bool,
    /// Codes of the project types budgeted under it.
    pub types: Vec<String>,
    /// Active indicators that fit at least one of those types.
    pub indicators: usize,
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
    /// Coverage by 类, in code order.
    pub by_function: Vec<FunctionStats>,
    /// 类 with project spending that no project type covers (`201 一般公共服务支出`).
    pub uncovered_functions: Vec<String>,
}

pub fn stats(catalog: &Catalog, indicators: &[Indicator]) -> Stats {
    let active: Vec<&Indicator> = indicators.iter().filter(|i| i.is_active()).collect();
    let n = active.len().max(1) as f64;
    // Every framework's headings (部门整体支出 files under 决策/过程): a heading no indicator uses
    // (central2021's 成本指标) is left out below.
    let headings = catalog.headings();
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
                functions: t.functions.clone(),
                total: fits.len(),
                specific: fits.iter().filter(|i| i.natures.is_empty()).count(),
                common: fits.iter().filter(|i| !i.natures.is_empty()).count(),
                core: fits.iter().filter(|i| i.core.contains(&t.code)).count(),
                by_level1: catalog
                    .framework_of(t)
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
    let by_level2: Vec<(String, String, usize)> = headings
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
        .filter(|(_, _, n)| *n > 0)
        .collect();
    let by_function: Vec<FunctionStats> = catalog
        .functions
        .iter()
        .map(|c| {
            let types: Vec<&crate::domain::ProjectType> = catalog
                .project_types
                .iter()
                .filter(|t| catalog.classes_of(t).iter().any(|k| k.code == c.code))
                .collect();
            FunctionStats {
                code: c.code.clone(),
                name: c.name.clone(),
                project_spending: c.project_spending,
                types: types.iter().map(|t| t.code.clone()).collect(),
                indicators: active
                    .iter()
                    .filter(|i| types.iter().any(|t| i.fits(t)))
                    .count(),
            }
        })
        .collect();
    let uncovered_functions = by_function
        .iter()
        .filter(|f| f.project_spending && f.types.is_empty())
        .map(|f| format!("{} {}", f.code, f.name))
        .collect();
    Stats {
        edition: catalog.edition.clone(),
        indicators: active.len(),
        project_types: catalog.project_types.len(),
        groups: catalog.groups.len(),
        by_type,
        by_level1: headings
            .iter()
            .map(|l| {
                (
                    l.name.clone(),
                    active.iter().filter(|i| i.level1 == l.name).count(),
                )
            })
            .filter(|(_, n)| *n > 0)
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
        by_function,
        uncovered_functions,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Basis;
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

    /// 三公经费变动率 ≤ 0 bounds a change (部门整体支出); a count of events at 0 stays `= 0`.
    #[test]
    fn a_change_rate_bounded_at_zero_is_not_a_zero_event() {
        let (_, mut i) = sample();
        i.name = "三公经费变动率".into();
        i.direction = Direction::AtMost;
        i.target = "0".into();
        i.scoring = "变动率≤0得满分；每超过1个百分点扣分值的10%，扣完为止。".into();
        assert!(
            !rules(&i).contains(&"zero-event-direction"),
            "{:?}",
            rules(&i)
        );
        i.name = "三公经费超支次数".into();
        i.unit = "次".into();
        i.formula.clear();
        assert!(
            rules(&i).contains(&"zero-event-direction"),
            "{:?}",
            rules(&i)
        );
    }

    /// Each rule: a failing example made from a passing one, with the rule id expected.
    #[test]
    fn each_indicator_rule_catches_its_failing_example() {
        let (_, good) = sample();
        type Breaker = fn(&mut Indicator);
        let cases: &[(&str, Breaker)] = &[
            ("missing-field", |i| i.scoring.clear()),
            // 69 definitions read "指……" where the others read "反映……".
            ("definition-form", |i| {
                i.definition = "指年度内建成的道路长度。".into()
            }),
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
            ("scoring-cannot-discriminate", |i| {
                i.name = "系统可用率".into();
                i.direction = Direction::AtLeast;
                i.target = "99.9".into();
                i.scoring = "达到目标值得满分；每低1个百分点扣分值的10%，扣完为止。".into()
            }),
            ("unit-value-mismatch", |i| {
                i.unit = "万元".into();
                i.formula.clear();
                i.target = "95%".into()
            }),
            ("vague-wording", |i| i.name = "群众生活水平明显改善".into()),
            ("vague-wording", |i| i.name = "服务能力有效提升".into()),
            ("input-as-output", |i| i.name = "项目资金到位率".into()),
            ("work-content", |i| i.name = "开展道路巡查".into()),
            ("wrong-category", |i| {
                i.level1 = "效益指标".into();
                i.name = "工程验收合格率".into()
            }),
            ("wrong-category", |i| i.name = "群众满意率".into()),
            // TJ-027 scored the tax a signed agreement forecast.
            ("forecast-as-result", |i| {
                i.name = "落地项目达产后预计年税收".into()
            }),
            // YQ-020, RC-013: 产值 in the name, 营业收入 in the definition.
            ("name-definition-mismatch", |i| {
                i.name = "人才项目年新增产值".into();
                i.definition = "反映获资助人才创新创业项目年度新增的产值（营业收入）。".into()
            }),
            // ZQ-013, SJC-014, GH-023, GX-YJ-008 were filed as effects.
            ("process-as-effect", |i| {
                i.level1 = "效益指标".into();
                i.level2 = "可持续影响指标".into();
                i.name = "债券项目绩效自评覆盖率".into()
            }),
            ("wrong-category", |i| i.name = "整改及时率".into()),
            // ZZ-017/018/019: a guaranteed standard written as a ceiling.
            ("guaranteed-standard-direction", |i| {
                i.name = "普通高中国家助学金生均资助标准".into();
                i.unit = "元/人".into();
                i.formula.clear();
                i.direction = Direction::AtMost;
                i.target = "2000".into();
            }),
            // GX-JS-004 wrote ≤0, WJZ-010 =0: one direction for zero events.
            ("zero-event-direction", |i| {
                i.name = "施工安全事故发生次数".into();
                i.unit = "次".into();
                i.formula.clear();
                i.direction = Direction::AtMost;
                i.target = "0".into();
            }),
            // JY-012: fewer cases found scores higher, so not looking pays.
            ("detection-penalised", |i| {
                i.name = "就业补贴违规申领查实件数".into();
                i.unit = "件".into();
                i.formula.clear();
                i.direction = Direction::Exactly;
                i.target = "0".into();
            }),
            // WJ-018: 94元 is the 2024 national standard.
            ("time-bound-without-year", |i| {
                i.name = "人均基本公共卫生服务经费补助标准".into();
                i.unit = "元/人".into();
                i.formula.clear();
                i.direction = Direction::Exactly;
                i.target = "94".into();
                i.basis = Basis::Policy;
                i.valid_year.clear();
            }),
            // SL-025: 水价改革实施面积 is an area, the indicator its share.
            ("alias-other-measure", |i| {
                i.aliases = vec!["水价改革实施面积".into()]
            }),
            // SS-010: 路灯完好率 is another measure than 亮灯率.
            ("alias-other-measure", |i| {
                i.name = "路灯亮灯率".into();
                i.aliases = vec!["路灯完好率".into()];
            }),
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

    /// Rules that need the catalog (unit kinds), each with the defect that motivated it.
    #[test]
    fn each_catalog_rule_catches_its_failing_example() {
        let (catalog, good) = sample();
        assert!(check_indicator_in(&good, &catalog).is_empty());
        type Breaker = fn(&mut Indicator);
        let cases: &[(&str, Breaker)] = &[
            // LX-025: new green area is what was built, not its ecological effect.
            ("output-as-effect", |i| {
                i.name = "改造小区新增绿化面积".into();
                i.level1 = "效益指标".into();
                i.level2 = "生态效益指标".into();
                i.unit = "平方米".into();
                i.formula.clear();
                i.target = "5000".into();
            }),
            // JZ-020, XX-017, KY-016: a total that can never exceed the approved budget.
            ("cost-within-budget", |i| {
                i.name = "系统建设总成本".into();
                i.level2 = "成本指标".into();
                i.unit = "万元".into();
                i.formula.clear();
                i.direction = Direction::AtMost;
                i.target = "500".into();
            }),
            // ZH-012: 每处 priced per 项.
            ("unit-name-mismatch", |i| {
                i.name = "治理工程每处平均投资".into();
                i.level2 = "成本指标".into();
                i.unit = "万元/项".into();
                i.formula.clear();
                i.direction = Direction::AtMost;
                i.target = "300".into();
            }),
            // JZ-012, ZL-011: a monthly amount in 元/人 or 元/户.
            ("unit-name-mismatch", |i| {
                i.name = "户均月租赁补贴额".into();
                i.level2 = "成本指标".into();
                i.unit = "元/户".into();
                i.formula.clear();
                i.direction = Direction::Exactly;
                i.target = "300".into();
            }),
            // JD-005: 家次 counted in 家.
            ("unit-name-mismatch", |i| {
                i.name = "易制毒化学品企业检查家次".into();
                i.level2 = "数量指标".into();
                i.unit = "家".into();
                i.formula.clear();
                i.direction = Direction::AtLeast;
                i.target = "50".into();
            }),
            // ZZ-002, JZ-001, GX-BZ-001: more beneficiaries of an entitlement is not better.
            ("entitlement-count-at-least", |i| {
                i.name = "普通高中国家助学金资助人数".into();
                i.level2 = "数量指标".into();
                i.unit = "人".into();
                i.formula.clear();
                i.direction = Direction::AtLeast;
                i.target = "1200".into();
            }),
            // JM-016: medical assistance follows who falls ill among the eligible.
            ("entitlement-count-at-least", |i| {
                i.name = "医疗救助人次".into();
                i.level2 = "数量指标".into();
                i.unit = "人次".into();
                i.formula.clear();
                i.direction = Direction::AtLeast;
                i.target = "20000".into();
            }),
            // ZJ-002: houses to rebuild follow the disaster's damage, not a plan to exceed.
            ("entitlement-count-at-least", |i| {
                i.name = "倒损住房恢复重建户数".into();
                i.level2 = "数量指标".into();
                i.unit = "户".into();
                i.formula.clear();
                i.direction = Direction::AtLeast;
                i.target = "50".into();
            }),
            // GE-004 (round 4): surgery follows the children assessed as needing it.
            ("entitlement-count-at-least", |i| {
                i.name = "孤残儿童手术康复救治人数".into();
                i.level2 = "数量指标".into();
                i.unit = "人".into();
                i.formula.clear();
                i.direction = Direction::AtLeast;
                i.target = "10".into();
            }),
            // SGJ-005: free rides are the basis of the loss subsidy; more is not better.
            ("entitlement-count-at-least", |i| {
                i.name = "政策性优惠乘车人次".into();
                i.level2 = "数量指标".into();
                i.unit = "万人次".into();
                i.formula.clear();
                i.direction = Direction::AtLeast;
                i.target = "600".into();
            }),
            // TD-015: an incident to avoid filed as a (social) cost.
            ("incident-as-cost", |i| {
                i.name = "征收引发群体性事件次数".into();
                i.level2 = "成本指标".into();
                i.unit = "次".into();
                i.formula.clear();
                i.direction = Direction::Exactly;
                i.target = "0".into();
                i.cost_kind = Some(CostKind::Social);
            }),
            ("incident-as-cost", |i| {
                i.name = "项目用工人数".into();
                i.level2 = "成本指标".into();
                i.unit = "人".into();
                i.formula.clear();
                i.direction = Direction::AtMost;
                i.target = "20".into();
                i.cost_kind = Some(CostKind::Economic);
            }),
            // XX-016: a price per function point in 元.
            ("cost-unit-mismatch", |i| {
                i.name = "单位功能点开发成本".into();
                i.level2 = "成本指标".into();
                i.unit = "元".into();
                i.formula.clear();
                i.direction = Direction::AtMost;
                i.target = "1800".into();
            }),
        ];
        for (rule, breaker) in cases {
            let mut bad = good.clone();
            breaker(&mut bad);
            let found: Vec<&str> = check_indicator_in(&bad, &catalog)
                .into_iter()
                .map(|f| f.rule)
                .collect();
            assert!(found.contains(rule), "rule {rule} did not fire: {found:?}");
        }
    }

    /// The fixed forms of the examples above pass: what the rules ask for is writable.
    #[test]
    fn the_fixed_forms_pass() {
        let (catalog, good) = sample();
        type Fixer = fn(&mut Indicator);
        let cases: &[Fixer] = &[
            |i| i.name = "慢性病规范治疗有效率".into(),
            |i| i.name = "学业质量监测良好及以上比例".into(),
            |i| {
                i.name = "治理工程每处平均投资".into();
                i.level2 = "成本指标".into();
                i.unit = "万元/处".into();
                i.formula.clear();
                i.direction = Direction::AtMost;
                i.target = "300".into();
            },
            |i| {
                i.name = "低保家庭经济状况核对户数".into();
                i.level2 = "数量指标".into();
                i.unit = "户".into();
                i.formula.clear();
                i.direction = Direction::AtLeast;
                i.target = "6000".into();
            },
            |i| {
                i.name = "普通高中国家助学金资助人数".into();
                i.level2 = "数量指标".into();
                i.unit = "人".into();
                i.formula.clear();
                i.direction = Direction::Exactly;
                i.target = "1200".into();
            },
        ];
        for fix in cases {
            let mut i = good.clone();
            i.aliases.clear();
            fix(&mut i);
            let found = check_indicator_in(&i, &catalog);
            assert!(found.is_empty(), "{}: {found:?}", i.name);
        }
    }

    /// XX-018 repeated GX-XH-009; 群众满意度 was an alias of seven indicators; 进水BOD5浓度 was
    /// 生态效益 in GW-024 and 可持续影响 in WS-026; cost was core in 1 type of 38.
    #[test]
    fn library_rules_catch_overlaps_across_scopes_and_types() {
        let lib = load_dir(&default_dir()).unwrap();
        let by = |c: &str| {
            lib.indicators
                .iter()
                .find(|i| i.code.as_str() == c)
                .unwrap()
                .clone()
        };
        let common = lib
            .indicators
            .iter()
            .find(|i| !i.natures.is_empty() && i.level2 == "成本指标" && i.is_rate())
            .unwrap()
            .clone();
        let t = lib
            .catalog
            .types_of(&[], &common.natures)
            .next()
            .unwrap()
            .code
            .clone();
        let mut specific = common.clone();
        specific.code = crate::domain::Code::parse("ZZ-999").unwrap();
        specific.natures.clear();
        specific.project_types = vec![t];
        specific.core.clear();
        specific.name = format!("年{}", common.name);
        specific.aliases.clear();
        let mut alias_a = by("DL-001");
        alias_a.aliases.push("群众满意度".into());
        let mut alias_b = by("DL-002");
        alias_b.aliases.push("群众满意度".into());
        let mut moved = by("DL-002");
        moved.code = crate::domain::Code::parse("ZZ-998").unwrap();
        moved.level2 = "质量指标".into();
        moved.aliases.clear();
        let mut inds: Vec<Indicator> = lib
            .indicators
            .iter()
            .filter(|i| !["DL-001", "DL-002"].contains(&i.code.as_str()))
            .cloned()
            .collect();
        inds.extend([specific, alias_a, alias_b, moved]);
        for i in inds.iter_mut().filter(|i| i.level2 == "成本指标") {
            i.core.clear();
        }
        let found: Vec<&str> = check_library(&lib.catalog, &inds)
            .into_iter()
            .map(|f| f.rule)
            .collect();
        for rule in [
            "cross-scope-duplicate",
            "shared-alias",
            "inconsistent-category",
            "type-missing-core-cost",
        ] {
            assert!(found.contains(&rule), "{rule} not in {found:?}");
        }
        let mut allowed = lib.catalog.clone();
        allowed.shared_aliases.push("群众满意度".into());
        assert!(
            !check_library(&allowed, &inds)
                .iter()
                .any(|f| f.rule == "shared-alias" && f.message.contains("群众满意度")),
            "an alias listed in shared_aliases is shared on purpose"
        );
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
