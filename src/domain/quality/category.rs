//! Rules from the third library review: the unit's own work filed as an effect, on-time rates
//! outside 时效, counts others assign scored with ≥, and aliases that name another stage of
//! handling (响应 for 修复).

use super::Finding;
use crate::domain::Indicator;

/// Name endings that measure how well the unit did its own work (complaints closed, replies
/// given, hidden dangers handled, procedures followed, documents issued, information published,
/// green products bought): quality or timeliness of the output, never the project's effect
/// (LH-023 投诉办结率, GH-023 意见回复率, GK-015 规划条件依据详细规划出具率, SB-024 节能环保产品采购占比).
const OWN_WORK_ENDINGS: &[&str] = &[
    "办结率",
    "回复率",
    "答复率",
    "处置率",
    "合规率",
    "出具率",
    "公开率",
    "采购占比",
    "采购比例",
    "比对率",
];

/// Handling a problem that is an outcome after all: 无害化处置率 (waste made harmless) measures
/// what happens to the environment, not a procedure.
const OUTCOME_DISPOSAL: &[&str] = &["无害化", "资源化", "利用"];

/// Words that make a rate a measure of keeping time: 按时/按期/按月 … 率 (SJC-014 环境质量信息按月
/// 公开率), 及时…率 (及时处置率), 限时/准时 … 率.
const ON_TIME_WORDS: &[&str] = &[
    "及时", "按时", "按期", "按月", "按季", "按年", "限时", "准时", "如期", "逾期",
];

/// What others do on time because the project helped them (borrowers repay, plants reach
/// capacity): an effect, not the unit keeping its own deadlines.
const OTHERS_ON_TIME: &[&str] = &["还款", "还贷", "达产", "投产"];

/// Stages of handling a report or a fault, in order, with the words for each: a time or rate of
/// one stage is not one of another (ZM-014 修复时长 had the alias 报修响应时间; XC-014 处置时间
/// had 响应时间). 到场/到达 and 办结/结案 say the same stage.
const STAGES: &[&[&str]] = &[
    &["受理"],
    &["响应"],
    &["到场", "到达"],
    &["处置"],
    &["修复"],
    &["办结", "结案"],
];

/// Counts a higher level assigns (卫片图斑 issued for checking) or the public brings (举报线索):
/// how many there are is not the unit's result, so `≥` a guessed number misjudges full work
/// (GD-003 图斑核查数 ≥800 scored 75% when 600 were issued and all checked).
const ASSIGNED_WORDS: &[&str] = &["图斑核查", "图斑调查", "调查图斑", "线索核查", "举报核查"];

fn finding(i: &Indicator, rule: &'static str, message: String) -> Finding {
    Finding {
        rule,
        code: Some(i.code.to_string()),
        message,
    }
}

/// The three rules on one indicator.
pub fn check(i: &Indicator) -> Vec<Finding> {
    let mut out = Vec::new();
    if i.level1 == "效益指标"
        && let Some(e) = OWN_WORK_ENDINGS.iter().find(|e| i.name.ends_with(*e))
        && !OUTCOME_DISPOSAL.iter().any(|w| i.name.contains(w))
    {
        out.push(finding(
            i,
            "own-work-as-effect",
            format!(
                "“{}”（…{e}）衡量的是本单位工作的完成质量，不是项目带来的变化：应列在产出指标—质量指标（或时效指标）下",
                i.name
            ),
        ));
    }
    let rate = i.name.ends_with('率') || i.is_rate();
    if rate
        && !i.level2.contains("时效")
        && !OTHERS_ON_TIME.iter().any(|w| i.name.contains(w))
        && let Some(w) = ON_TIME_WORDS.iter().find(|w| i.name.contains(*w))
    {
        out.push(finding(
            i,
            "timeliness-outside-time",
            format!(
                "“{}”（{w}…）衡量是否按时完成，应列在产出指标—时效指标下",
                i.name
            ),
        ));
    }
    if i.level2 == "数量指标"
        && i.direction == crate::domain::Direction::AtLeast
        && !i.is_rate()
        && let Some(w) = ASSIGNED_WORDS.iter().find(|w| i.name.contains(*w))
    {
        out.push(finding(
            i,
            "assigned-count-at-least",
            format!(
                "“{}”（{w}）的数量由上级下发或受理量决定，不是本单位能决定的成绩：写“=”下发（受理）数并按全部完成评分，或改用完成率",
                i.name
            ),
        ));
    }
    let stages_in = |s: &str| -> Vec<&[&str]> {
        STAGES
            .iter()
            .copied()
            .filter(|words| words.iter().any(|w| s.contains(w)))
            .collect()
    };
    let own = stages_in(&i.name);
    if !own.is_empty() {
        for a in &i.aliases {
            if let Some(other) = stages_in(a).into_iter().find(|s| !own.contains(s)) {
                out.push(finding(
                    i,
                    "alias-other-stage",
                    format!(
                        "别名“{a}”衡量的是{}环节，指标“{}”衡量的是{}：不是同一指标",
                        other[0],
                        i.name,
                        own.iter().map(|s| s[0]).collect::<Vec<_>>().join("、")
                    ),
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::library::{default_dir, load_dir};

    /// A passing indicator of the library to break one field at a time.
    fn good() -> Indicator {
        let lib = load_dir(&default_dir()).unwrap();
        let i = lib
            .indicators
            .into_iter()
            .find(|i| i.is_rate() && i.level2 == "质量指标" && i.natures.is_empty())
            .unwrap();
        assert!(check(&i).is_empty(), "{:?}", check(&i));
        i
    }

    fn rules(i: &Indicator) -> Vec<&'static str> {
        check(i).into_iter().map(|f| f.rule).collect()
    }

    #[test]
    fn own_work_under_effect_is_caught_and_outcomes_are_not() {
        let mut i = good();
        i.level1 = "效益指标".into();
        i.level2 = "社会效益指标".into();
        // LH-023 was filed under 社会效益.
        i.name = "绿化养护投诉办结率".into();
        assert_eq!(rules(&i), ["own-work-as-effect"]);
        i.name = "节能环保产品采购占比".into();
        assert_eq!(rules(&i), ["own-work-as-effect"]);
        // Waste made harmless is an effect on the environment.
        i.name = "病死畜禽无害化处置率".into();
        assert!(rules(&i).is_empty());
        // Under 质量 the same name is right.
        i.name = "绿化养护投诉办结率".into();
        i.level1 = "产出指标".into();
        i.level2 = "质量指标".into();
        assert!(rules(&i).is_empty());
    }

    #[test]
    fn on_time_rates_belong_under_timeliness() {
        let mut i = good();
        // SJC-014 was filed under 社会效益; the existing rule only saw names ending in 及时率.
        i.name = "环境质量信息按月公开率".into();
        assert_eq!(rules(&i), ["timeliness-outside-time"]);
        i.name = "隐患及时处置率".into();
        assert_eq!(rules(&i), ["timeliness-outside-time"]);
        i.level2 = "时效指标".into();
        assert!(rules(&i).is_empty());
        // Borrowers repaying on time is the effect of a loan guarantee, not the unit's deadline.
        i.level2 = "可持续影响指标".into();
        i.name = "创业担保贷款按期还款率".into();
        assert!(rules(&i).is_empty());
    }

    #[test]
    fn assigned_counts_are_not_scored_at_least() {
        let mut i = good();
        // GD-003 before round 3's fix.
        i.name = "土地卫片执法图斑核查数".into();
        i.level2 = "数量指标".into();
        i.unit = "个".into();
        i.formula.clear();
        i.direction = crate::domain::Direction::AtLeast;
        i.target = "800".into();
        assert_eq!(rules(&i), ["assigned-count-at-least"]);
        i.direction = crate::domain::Direction::Exactly;
        assert!(rules(&i).is_empty());
        // A planned quantity of restoration work is the unit's own target.
        i.direction = crate::domain::Direction::AtLeast;
        i.name = "完成修复的废弃矿山图斑数".into();
        assert!(rules(&i).is_empty());
    }

    #[test]
    fn an_alias_of_another_stage_is_caught() {
        let mut i = good();
        i.name = "质保期路灯故障修复时长".into();
        i.aliases = vec!["路灯报修响应时间".into()];
        assert_eq!(rules(&i), ["alias-other-stage"]);
        i.aliases = vec!["质保期路灯修复时长".into()];
        assert!(rules(&i).is_empty());
        // 到场 and 到达 are one stage.
        i.name = "暴发疫情现场处置到达时限".into();
        i.aliases = vec!["流调队伍到场时间".into()];
        assert!(rules(&i).is_empty());
        // A name that names no stage takes any alias.
        i.name = "路灯故障时长".into();
        i.aliases = vec!["路灯报修响应时间".into()];
        assert!(rules(&i).is_empty());
    }
}
