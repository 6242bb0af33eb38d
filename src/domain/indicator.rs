//! The indicator (三级指标) and the closed vocabularies of its fields.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A stable indicator code such as `DL-001` or `GX-JS-004`. Codes are never reused: a retired
/// indicator keeps its code and its history.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Code(String);

impl Code {
    /// Codes are ASCII letters, digits, `-`, `_` and `.`, 1..=64 long, so they are safe in URLs,
    /// file names and sled keys. Letters are kept as written (the synthetic corpora use lower case).
    pub fn parse(s: &str) -> Result<Code, String> {
        let s = s.trim();
        if s.is_empty() {
            return Err("指标编码为空".into());
        }
        if s.len() > 64 {
            return Err(format!("指标编码过长（{} 个字符，最多 64）", s.len()));
        }
        if let Some(c) = s
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        {
            return Err(format!(
                "指标编码“{s}”含有不允许的字符“{c}”（只允许字母、数字、-、_、.）"
            ));
        }
        Ok(Code(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Declares a closed vocabulary whose serialized form is its Chinese label, so data files, JSON
/// and pages all show the words a finance officer uses.
macro_rules! label_enum {
    ($(#[$m:meta])* $name:ident, $what:literal { $($variant:ident => $label:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name {
            $(#[serde(rename = $label)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }

            pub fn parse(s: &str) -> Result<$name, String> {
                match s.trim() {
                    $($label => Ok($name::$variant),)+
                    other => Err(format!(
                        "{}“{}”不在允许范围内（可选：{}）",
                        $what,
                        other,
                        [$($label),+].join("、")
                    )),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.label())
            }
        }
    };
}

label_enum!(
    /// 定量 (a number is measured) or 定性 (a graded judgement).
    ValueType, "指标值类型" { Quantitative => "定量", Qualitative => "定性" }
);
label_enum!(
    /// How the actual value is compared with the target.
    Direction, "指标方向" { AtLeast => "≥", AtMost => "≤", Exactly => "=", Qualitative => "定性" }
);
/// A target is annual unless it says it is medium-term.
impl Default for Term {
    fn default() -> Term {
        Term::Annual
    }
}

impl Direction {
    /// A direction as people type it in forms, spreadsheets and worked examples: a label, or
    /// `>=` / `<=` for ≥ / ≤. Library files take the labels only (`parse`).
    pub fn parse_typed(s: &str) -> Option<Direction> {
        Direction::parse(match s.trim() {
            ">=" => "≥",
            "<=" => "≤",
            label => label,
        })
        .ok()
    }
}

label_enum!(
    /// 取值依据: where the typical target value comes from. 预算支出标准 is a budget expenditure
    /// standard (a training day rate); 政策标准 a value fixed by a policy document (补助标准).
    Basis, "取值依据" {
        Plan => "计划标准",
        Industry => "行业标准",
        History => "历史标准",
        Budget => "预算支出标准",
        Policy => "政策标准",
        Other => "其他",
    }
);
label_enum!(
    /// 共性 indicators fit every project of a spending nature; 个性 ones one sector or type.
    Scope, "适用范围" { Common => "共性", Specific => "个性" }
);
label_enum!(
    /// 年度 (annual) or 中期 (medium-term) target.
    Term, "目标期限" { Annual => "年度", MidTerm => "中期" }
);
label_enum!(
    /// Sub-type of a cost indicator in the 2021 central framework.
    CostKind, "成本类型" { Economic => "经济成本", Social => "社会成本", Ecological => "生态环境成本" }
);
label_enum!(
    /// Where an indicator comes from.
    Provenance, "来源" {
        National => "国家指南",
        Provincial => "省级指标库",
        Local => "地方参考",
        Evaluations => "评价沉淀",
        Submitted => "单位提交",
    }
);

/// Whether an indicator may be chosen for new targets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Status {
    #[default]
    Active,
    /// Retired; links to it lead to the replacement when there is one.
    Retired { replaced_by: Option<Code> },
}

/// One level-3 indicator with every field a reviewer expects (see GLOSSARY.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Indicator {
    pub code: Code,
    pub name: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    pub level1: String,
    pub level2: String,
    pub definition: String,
    #[serde(default)]
    pub formula: String,
    pub value_type: ValueType,
    pub direction: Direction,
    pub unit: String,
    #[serde(default)]
    pub target: String,
    pub basis: Basis,
    /// 依据文件: the standard or policy the value is taken from, with its 文号, where there is one.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub basis_doc: String,
    /// 适用年度 (and region) of a time-bound value, e.g. `2025` or `2024—2026`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub valid_year: String,
    #[serde(default)]
    pub data_source: String,
    #[serde(default)]
    pub scoring: String,
    pub weight: u32,
    /// Project type codes this indicator is written for (个性).
    #[serde(default)]
    pub project_types: Vec<String>,
    /// Spending natures whose projects all carry it (共性).
    #[serde(default)]
    pub natures: Vec<String>,
    /// Project type codes for which it is a core (mandatory) indicator.
    #[serde(default)]
    pub core: Vec<String>,
    pub term: Term,
    #[serde(default)]
    pub cost_kind: Option<CostKind>,
    pub provenance: Provenance,
    #[serde(default)]
    pub status: Status,
}

impl Indicator {
    pub fn scope(&self) -> Scope {
        if self.natures.is_empty() {
            Scope::Specific
        } else {
            Scope::Common
        }
    }

    /// Whether the indicator fits a project type: written for it, or common to its spending nature.
    pub fn fits(&self, t: &super::ProjectType) -> bool {
        self.project_types.contains(&t.code) || self.natures.iter().any(|n| t.natures.contains(n))
    }

    pub fn is_active(&self) -> bool {
        self.status == Status::Active
    }

    /// A rate is measured in % or ‰ and needs a formula with numerator and denominator.
    pub fn is_rate(&self) -> bool {
        matches!(self.unit.as_str(), "%" | "‰")
    }

    /// How the target reads in a table: `≥95%`, `≤3000万元/公里`, `合格`.
    pub fn target_display(&self) -> String {
        if self.target.is_empty() {
            return String::new();
        }
        match self.direction {
            Direction::Qualitative => self.target.clone(),
            d => format!("{}{}{}", d.label(), self.target, self.unit),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_accept_library_and_corpus_forms() {
        assert!(Code::parse("DL-001").is_ok());
        assert!(Code::parse("GX-JS-004").is_ok());
        assert!(Code::parse("ind-000123").is_ok());
    }

    #[test]
    fn codes_reject_what_would_break_urls_or_keys() {
        assert!(Code::parse("").unwrap_err().contains("为空"));
        assert!(Code::parse("DL 001").unwrap_err().contains("不允许的字符"));
        assert!(Code::parse("道路-1").is_err());
        assert!(Code::parse(&"A".repeat(65)).unwrap_err().contains("过长"));
    }

    #[test]
    fn labels_round_trip_and_unknown_labels_list_the_choices() {
        for d in Direction::ALL {
            assert_eq!(Direction::parse(d.label()).unwrap(), *d);
        }
        let err = Direction::parse(">=").unwrap_err();
        assert!(err.contains("≥") && err.contains("定性"), "{err}");
    }

    #[test]
    fn typed_directions_take_ascii_comparisons_too() {
        for d in Direction::ALL {
            assert_eq!(
                Direction::parse_typed(&format!(" {} ", d.label())),
                Some(*d)
            );
        }
        assert_eq!(Direction::parse_typed(">="), Some(Direction::AtLeast));
        assert_eq!(Direction::parse_typed("<="), Some(Direction::AtMost));
        assert_eq!(Direction::parse_typed(">"), None);
    }
}
