//! Revisions: every published state of an indicator, kept forever, with who, when and why.

use super::indicator::Indicator;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// How much a revision changes what the indicator means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// First revision.
    New,
    /// Changes what is measured or how (name, levels, unit, direction, formula, definition ...).
    Material,
    /// Wording, aliases, reference values, sources: targets written against it stay valid.
    Immaterial,
    Retired,
}

impl ChangeKind {
    pub fn label(self) -> &'static str {
        match self {
            ChangeKind::New => "新增",
            ChangeKind::Material => "实质性修改",
            ChangeKind::Immaterial => "非实质性修改",
            ChangeKind::Retired => "停用",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Revision {
    /// 1, 2, 3 ... per indicator.
    pub number: u32,
    pub indicator: Indicator,
    pub at: DateTime<Utc>,
    pub author: String,
    #[serde(default)]
    pub reviewer: Option<String>,
    pub reason: String,
    pub kind: ChangeKind,
}

/// One field that differs between two revisions, with both values as displayed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: &'static str,
    pub label: &'static str,
    pub before: String,
    pub after: String,
    pub material: bool,
}

/// The fields compared between revisions: (key, Chinese label, material?, value as text).
type FieldView = (&'static str, &'static str, bool, fn(&Indicator) -> String);

const FIELDS: &[FieldView] = &[
    ("name", "指标名称", true, |i| i.name.clone()),
    ("aliases", "别名", false, |i| i.aliases.join("、")),
    ("level1", "一级指标", true, |i| i.level1.clone()),
    ("level2", "二级指标", true, |i| i.level2.clone()),
    ("definition", "指标解释", true, |i| i.definition.clone()),
    ("formula", "计算公式", true, |i| i.formula.clone()),
    ("value_type", "指标值类型", true, |i| {
        i.value_type.label().into()
    }),
    ("direction", "指标方向", true, |i| {
        i.direction.label().into()
    }),
    ("unit", "计量单位", true, |i| i.unit.clone()),
    ("target", "参考值", false, |i| i.target.clone()),
    ("basis", "取值依据", false, |i| i.basis.label().into()),
    ("basis_doc", "依据文件", false, |i| i.basis_doc.clone()),
    ("valid_year", "适用年度", false, |i| {
        i.valid_year.clone()
    }),
    ("data_source", "数据来源", false, |i| {
        i.data_source.clone()
    }),
    ("scoring", "评(扣)分标准", true, |i| i.scoring.clone()),
    ("weight", "分值", false, |i| i.weight.to_string()),
    ("project_types", "适用项目类型", false, |i| {
        i.project_types.join("、")
    }),
    ("natures", "适用支出性质", false, |i| {
        i.natures.join("、")
    }),
    ("core", "核心指标类型", false, |i| i.core.join("、")),
    ("term", "目标期限", true, |i| i.term.label().into()),
    ("cost_kind", "成本类型", false, |i| {
        i.cost_kind
            .map(|k| k.label().to_string())
            .unwrap_or_default()
    }),
    ("provenance", "来源", false, |i| {
        i.provenance.label().into()
    }),
    ("status", "状态", true, |i| match &i.status {
        super::Status::Active => "启用".into(),
        super::Status::Retired { replaced_by } => match replaced_by {
            Some(c) => format!("停用（由 {c} 替代）"),
            None => "停用".into(),
        },
    }),
];

/// Field-level differences from `before` to `after`.
pub fn diff(before: &Indicator, after: &Indicator) -> Vec<FieldChange> {
    FIELDS
        .iter()
        .filter_map(|(field, label, material, view)| {
            let (b, a) = (view(before), view(after));
            (b != a).then_some(FieldChange {
                field,
                label,
                before: b,
                after: a,
                material: *material,
            })
        })
        .collect()
}

/// Classifies a change for the revision log and release notes.
pub fn classify(before: Option<&Indicator>, after: &Indicator) -> Option<ChangeKind> {
    let Some(before) = before else {
        return Some(ChangeKind::New);
    };
    if before.is_active() && !after.is_active() {
        return Some(ChangeKind::Retired);
    }
    let changes = diff(before, after);
    if changes.is_empty() {
        None
    } else if changes.iter().any(|c| c.material) {
        Some(ChangeKind::Material)
    } else {
        Some(ChangeKind::Immaterial)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::library::{default_dir, load_dir};

    #[test]
    fn the_document_and_the_year_of_a_value_show_in_a_diff_as_immaterial() {
        let lib = load_dir(&default_dir()).unwrap();
        let before = lib
            .indicators
            .iter()
            .find(|i| !i.valid_year.is_empty())
            .unwrap()
            .clone();
        let mut after = before.clone();
        after.basis_doc = "《另一份文件》（某财〔2026〕1号）".into();
        after.valid_year = "2026".into();
        let fields: Vec<&str> = diff(&before, &after).iter().map(|c| c.label).collect();
        assert_eq!(fields, vec!["依据文件", "适用年度"]);
        assert_eq!(
            classify(Some(&before), &after),
            Some(ChangeKind::Immaterial)
        );
    }
}
