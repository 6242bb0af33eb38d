//! Completed evaluations (自评, 重点评价) imported to grow the library: the evaluated project, its
//! indicator rows with their source, the link of each row to a library indicator, the import
//! batch (recognised by the file's hash) and the candidates for new indicators.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// 优 (≥90), 良 (80–89), 中 (60–79), 差 (<60).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Grade {
    #[serde(rename = "优")]
    Excellent,
    #[serde(rename = "良")]
    Good,
    #[serde(rename = "中")]
    Fair,
    #[serde(rename = "差")]
    Poor,
}

impl Grade {
    pub const ALL: [Grade; 4] = [Grade::Excellent, Grade::Good, Grade::Fair, Grade::Poor];

    pub fn from_score(score: f64) -> Grade {
        match score {
            s if s >= 90.0 => Grade::Excellent,
            s if s >= 80.0 => Grade::Good,
            s if s >= 60.0 => Grade::Fair,
            _ => Grade::Poor,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Grade::Excellent => "优",
            Grade::Good => "良",
            Grade::Fair => "中",
            Grade::Poor => "差",
        }
    }

    /// The label, or the words forms use for it (优秀, 良好, 合格/一般, 较差/不合格).
    pub fn parse(s: &str) -> Option<Grade> {
        match s.trim() {
            "优" | "优秀" => Some(Grade::Excellent),
            "良" | "良好" => Some(Grade::Good),
            "中" | "中等" | "一般" | "合格" => Some(Grade::Fair),
            "差" | "较差" | "不合格" => Some(Grade::Poor),
            _ => None,
        }
    }
}

impl fmt::Display for Grade {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Where an imported row came from, so every statistic can be traced back.
/// `row` is the 1-based row number as a spreadsheet shows it (header = row 1), or for JSON the
/// 1-based position of the indicator within its project (`sheet` then names the project).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SourceRef {
    pub file: String,
    pub sheet: String,
    pub row: u32,
}

impl fmt::Display for SourceRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} › {} › 第 {} 行", self.file, self.sheet, self.row)
    }
}

/// How an imported row was linked to a library indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchMethod {
    /// The row carried the indicator's code.
    Code,
    /// Same normalised name, unit and level 2.
    Exact,
    /// Same normalised name (unit or level 2 differ).
    Name,
    /// Same normalised name as one of the indicator's aliases.
    Alias,
    /// The same words in another order, or a same-sound character (补/捕).
    Reworded,
    /// The best search hit, similar enough by characters.
    Similar,
    /// Chosen or confirmed by a curator.
    Curator,
}

impl MatchMethod {
    pub const ALL: [MatchMethod; 7] = [
        MatchMethod::Code,
        MatchMethod::Exact,
        MatchMethod::Name,
        MatchMethod::Alias,
        MatchMethod::Reworded,
        MatchMethod::Similar,
        MatchMethod::Curator,
    ];

    pub fn label(self) -> &'static str {
        match self {
            MatchMethod::Code => "指标编码",
            MatchMethod::Exact => "名称+单位+二级指标",
            MatchMethod::Name => "名称",
            MatchMethod::Alias => "别名",
            MatchMethod::Reworded => "词序或同音字不同",
            MatchMethod::Similar => "相似度",
            MatchMethod::Curator => "人工确认",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            MatchMethod::Code => "code",
            MatchMethod::Exact => "exact",
            MatchMethod::Name => "name",
            MatchMethod::Alias => "alias",
            MatchMethod::Reworded => "reworded",
            MatchMethod::Similar => "similar",
            MatchMethod::Curator => "curator",
        }
    }
}

/// Matches at or above this confidence count without review; below it they wait for a curator
/// on the review page and stay out of the statistics.
pub const CERTAIN: f64 = 0.8;

/// The library indicator a row was linked to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Match {
    pub code: String,
    pub method: MatchMethod,
    /// 0..=1: 1 for code and exact matches, lower for name, alias and similarity matches.
    pub confidence: f64,
    /// The curator who confirmed or corrected it.
    #[serde(default)]
    pub confirmed_by: Option<String>,
}

impl Match {
    /// Counted in statistics: sure enough, or confirmed by a curator.
    pub fn is_certain(&self) -> bool {
        self.confirmed_by.is_some() || self.confidence >= CERTAIN
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvaluationRow {
    pub level1: String,
    pub level2: String,
    pub name: String,
    /// The indicator code written in the file, if any.
    #[serde(default)]
    pub code: Option<String>,
    pub unit: String,
    /// As written (≥, ≤, =, 定性), normalised from >=, 正向 and the like.
    pub direction: String,
    pub target: String,
    pub actual: String,
    pub score: Option<f64>,
    #[serde(default)]
    pub deviation_reason: String,
    /// The library indicator it was matched to, how, and how sure; `None` = unmatched.
    #[serde(default)]
    pub matched: Option<Match>,
    pub source: SourceRef,
}

impl EvaluationRow {
    /// The code of the library indicator this row counts for in statistics.
    pub fn certain_code(&self) -> Option<&str> {
        self.matched
            .as_ref()
            .filter(|m| m.is_certain())
            .map(|m| m.code.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvaluatedProject {
    pub name: String,
    pub unit_name: String,
    pub year: i32,
    /// Project type code (from the catalog).
    pub project_type: Option<String>,
    pub budget_wan: f64,
    pub execution_rate: f64,
    pub score: f64,
    pub grade: Grade,
    pub rows: Vec<EvaluationRow>,
    /// sha256 of the file it was imported from (the import batch).
    #[serde(default)]
    pub import: String,
}

impl EvaluatedProject {
    /// A project's identity across files: year, budget unit and normalised name. Importing a
    /// project with the same identity replaces it.
    pub fn id(&self) -> String {
        project_id(self.year, &self.unit_name, &self.name)
    }
}

/// The identity key of a project (see `EvaluatedProject::id`): `year|unit|name` with whitespace
/// removed and full-width forms folded, so spacing and punctuation width do not make duplicates.
pub fn project_id(year: i32, unit_name: &str, name: &str) -> String {
    use crate::text::compact;
    format!("{year}|{}|{}", compact(unit_name), compact(name))
}

/// One imported file. Its hash recognises a re-import of the same file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportBatch {
    pub sha256: String,
    pub file: String,
    pub format: String,
    pub imported_at: DateTime<Utc>,
    pub imported_by: String,
    /// Ids of the projects it brought.
    pub projects: Vec<String>,
    pub rows: usize,
}

/// An import as lists show it: how many projects it brought, not their ids (a county's file
/// brings thousands, and a list of recent imports must not read them all).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ImportSummary {
    pub sha256: String,
    pub file: String,
    pub format: String,
    pub imported_at: DateTime<Utc>,
    pub imported_by: String,
    #[serde(deserialize_with = "count_items")]
    pub projects: usize,
    pub rows: usize,
}

/// The length of a sequence, skipping its items unread.
fn count_items<'de, D: serde::Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
    struct Count;
    impl<'de> serde::de::Visitor<'de> for Count {
        type Value = usize;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a sequence")
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<usize, A::Error> {
            let mut n = 0;
            while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {
                n += 1;
            }
            Ok(n)
        }
    }
    d.deserialize_seq(Count)
}

/// One project's use of an unmatched indicator: the evidence behind a candidate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    pub project_id: String,
    pub project: String,
    pub unit_name: String,
    pub year: i32,
    pub project_type: Option<String>,
    pub name: String,
    pub unit: String,
    pub direction: String,
    pub target: String,
    pub actual: String,
    pub grade: Grade,
    pub source: SourceRef,
}

/// A new indicator seen in practice: unmatched rows whose names are near-identical, clustered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// Stable for the same cluster: derived from its level 1, the kind of its unit and its
    /// normalised representative name; unique among the candidates.
    pub id: String,
    /// The most frequent wording (ties: the shortest, then the first in order).
    pub name: String,
    /// Every other wording seen.
    pub variants: Vec<String>,
    pub level1: String,
    pub level2: String,
    pub unit: String,
    pub direction: String,
    pub evidence: Vec<Evidence>,
}

impl Candidate {
    /// Distinct projects behind the candidate.
    pub fn projects(&self) -> usize {
        let mut ids: Vec<&str> = self
            .evidence
            .iter()
            .map(|e| e.project_id.as_str())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_import_summary_counts_the_projects_of_a_stored_batch() {
        let batch = ImportBatch {
            sha256: "ab".into(),
            file: "2025年自评.xlsx".into(),
            format: "xlsx".into(),
            imported_at: Utc::now(),
            imported_by: "editor".into(),
            projects: vec![
                "2025|甲|一".into(),
                "2025|乙|二".into(),
                "2025|丙|三".into(),
            ],
            rows: 30,
        };
        let s: ImportSummary =
            serde_json::from_slice(&serde_json::to_vec(&batch).unwrap()).unwrap();
        assert_eq!(
            (s.projects, s.rows, s.file.as_str()),
            (3, 30, "2025年自评.xlsx")
        );
        assert_eq!(s.imported_at, batch.imported_at);
    }

    #[test]
    fn grades_follow_the_bureau_thresholds() {
        assert_eq!(Grade::from_score(90.0), Grade::Excellent);
        assert_eq!(Grade::from_score(89.9), Grade::Good);
        assert_eq!(Grade::from_score(80.0), Grade::Good);
        assert_eq!(Grade::from_score(60.0), Grade::Fair);
        assert_eq!(Grade::from_score(59.5), Grade::Poor);
    }

    #[test]
    fn grade_words_of_the_forms_parse() {
        assert_eq!(Grade::parse("优秀"), Some(Grade::Excellent));
        assert_eq!(Grade::parse(" 良 "), Some(Grade::Good));
        assert_eq!(Grade::parse("A"), None);
    }

    #[test]
    fn project_identity_ignores_spacing_and_width() {
        assert_eq!(
            project_id(2024, "区交通局", "城市道路 改造工程"),
            project_id(2024, "区交通局", "城市道路改造工程")
        );
        assert_ne!(
            project_id(2024, "区交通局", "道路"),
            project_id(2025, "区交通局", "道路")
        );
    }
}
