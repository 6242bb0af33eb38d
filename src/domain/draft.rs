//! A budget unit's performance target table (绩效目标申报表) while it is being drafted.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::indicator::{Direction, Indicator, Term};

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
