//! A budget unit's performance target table (绩效目标申报表) while it is being drafted.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::indicator::{CostKind, Direction, Indicator, Term};

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DraftProject {
    pub name: String,
    #[serde(default)]
    pub unit_name: String,
    #[serde(default)]
    pub description: String,
    /// Project type code, when known.
    #[serde(default)]
    pub project_type: Option<String>,
    #[serde(default)]
    pub budget_wan: Option<f64>,
    #[serde(default)]
    pub year: Option<i32>,
    pub term: Term,
    /// 主管部门: the department the budget unit answers to.
    #[serde(default)]
    pub department: String,
    /// 实施单位: who carries the project out, when not the budget unit itself.
    #[serde(default)]
    pub implementer: String,
    /// 项目期限 as the form writes it, e.g. 2026年1月—2026年12月.
    #[serde(default)]
    pub period: String,
    /// 项目属性 as the form writes it: 新增项目 or 延续项目 (empty: not said yet).
    #[serde(default)]
    pub attribute: String,
    /// 资金来源: 财政拨款 (万元).
    #[serde(default)]
    pub fiscal_wan: Option<f64>,
    /// 资金来源: 其他资金 (万元).
    #[serde(default)]
    pub other_wan: Option<f64>,
    /// 年度总体目标: what the year's money achieves, in a sentence or two.
    #[serde(default)]
    pub annual_goal: String,
    /// 中期目标, for multi-year projects.
    #[serde(default)]
    pub midterm_goal: String,
}

impl DraftProject {
    /// The free-text fields with their labels, for the size check and the exports.
    pub fn texts(&self) -> [(&'static str, &str); 10] {
        [
            ("项目名称", &self.name),
            ("预算单位", &self.unit_name),
            ("主管部门", &self.department),
            ("实施单位", &self.implementer),
            ("项目期限", &self.period),
            ("项目属性", &self.attribute),
            ("项目概述", &self.description),
            ("年度总体目标", &self.annual_goal),
            ("中期目标", &self.midterm_goal),
            ("项目类型", self.project_type.as_deref().unwrap_or("")),
        ]
    }
}

/// One row of the target table. A row taken from the library remembers the indicator and the
/// revision it came from, so a later change of the library can be shown against it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DraftRow {
    pub level1: String,
    pub level2: String,
    pub name: String,
    #[serde(default)]
    pub indicator: Option<String>,
    #[serde(default)]
    pub revision: Option<u32>,
    /// ≥, ≤, = or 定性.
    #[schema(value_type = String, example = "≥")]
    pub direction: Direction,
    #[serde(default)]
    pub target: String,
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub explanation: String,
    /// The unit kept the library's reference value on purpose (参考值 confirmed): the review
    /// stops counting it as untouched.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub confirmed: bool,
}

impl DraftRow {
    /// A row taken from a library indicator, remembering its revision.
    pub fn from_indicator(i: &Indicator, revision: Option<u32>) -> DraftRow {
        DraftRow {
            level1: i.level1.clone(),
            level2: i.level2.clone(),
            name: i.name.clone(),
            indicator: Some(i.code.to_string()),
            revision,
            direction: i.direction,
            target: i.target.clone(),
            unit: i.unit.clone(),
            explanation: i.definition.clone(),
            confirmed: false,
        }
    }

    /// A self-made (自拟) row: the unit's own indicator, not taken from the library.
    pub fn self_made(level1: &str, level2: &str, name: &str) -> DraftRow {
        DraftRow {
            level1: level1.to_string(),
            level2: level2.to_string(),
            name: name.to_string(),
            indicator: None,
            revision: None,
            direction: Direction::AtLeast,
            target: String::new(),
            unit: String::new(),
            explanation: String::new(),
            confirmed: false,
        }
    }

    /// Whether the unit wrote this indicator itself (自拟) rather than taking it from the library.
    pub fn is_self_made(&self) -> bool {
        self.indicator.is_none()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Draft {
    /// Unguessable id used in the shareable link.
    pub id: String,
    pub project: DraftProject,
    pub rows: Vec<DraftRow>,
    #[serde(default)]
    pub owner: Option<String>,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
}

/// The rows in the layout of 财预〔2021〕101号, where cost is its own level 1: 产出指标 without
/// its 成本指标, then 成本指标 with the sub-type each cost row's indicator names (经济成本指标
/// when it names none), then the rest in their order. `cost_kind` tells a row's sub-type.
pub fn rows_in_central2021(
    rows: &[DraftRow],
    cost_kind: impl Fn(&DraftRow) -> Option<CostKind>,
) -> Vec<DraftRow> {
    let is_cost =
        |r: &DraftRow| r.level1 == "成本指标" || (r.level1 == "产出指标" && r.level2 == "成本指标");
    let mut costs: Vec<DraftRow> = rows
        .iter()
        .filter(|r| is_cost(r))
        .map(|r| {
            let mut r = r.clone();
            if r.level1 == "产出指标" {
                r.level2 = match cost_kind(&r) {
                    Some(CostKind::Social) => "社会成本指标",
                    Some(CostKind::Ecological) => "生态环境成本指标",
                    Some(CostKind::Economic) | None => "经济成本指标",
                }
                .into();
                r.level1 = "成本指标".into();
            }
            r
        })
        .collect();
    let order = ["经济成本指标", "社会成本指标", "生态环境成本指标"];
    costs.sort_by_key(|r| {
        order
            .iter()
            .position(|o| *o == r.level2)
            .unwrap_or(order.len())
    });
    let outputs = rows
        .iter()
        .filter(|r| r.level1 == "产出指标" && !is_cost(r));
    let rest = rows
        .iter()
        .filter(|r| r.level1 != "产出指标" && !is_cost(r));
    outputs.cloned().chain(costs).chain(rest.cloned()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(l1: &str, l2: &str, name: &str) -> DraftRow {
        let mut r = DraftRow::self_made(l1, l2, name);
        r.target = "1".into();
        r
    }

    #[test]
    fn the_101_layout_makes_cost_its_own_level_one_after_output() {
        let rows = vec![
            row("产出指标", "数量指标", "a"),
            row("产出指标", "成本指标", "b"),
            row("产出指标", "成本指标", "c"),
            row("产出指标", "时效指标", "d"),
            row("效益指标", "社会效益指标", "e"),
        ];
        let got = rows_in_central2021(&rows, |r| (r.name == "b").then_some(CostKind::Social));
        let shape: Vec<(&str, &str, &str)> = got
            .iter()
            .map(|r| (r.level1.as_str(), r.level2.as_str(), r.name.as_str()))
            .collect();
        assert_eq!(
            shape,
            [
                ("产出指标", "数量指标", "a"),
                ("产出指标", "时效指标", "d"),
                ("成本指标", "经济成本指标", "c"),
                ("成本指标", "社会成本指标", "b"),
                ("效益指标", "社会效益指标", "e"),
            ]
        );
    }
}
