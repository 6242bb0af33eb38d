//! Completed evaluations (自评, 重点评价) imported to grow the library.

use serde::{Deserialize, Serialize};

/// 优 (≥90), 良 (80–89), 中 (60–79), 差 (<60).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
}

/// Where an imported row came from, so every statistic can be traced back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceRef {
    pub file: String,
    pub sheet: String,
    pub row: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvaluationRow {
    pub level1: String,
    pub level2: String,
    pub name: String,
    pub unit: String,
    pub direction: String,
    pub target: String,
    pub actual: String,
    pub score: Option<f64>,
    #[serde(default)]
    pub deviation_reason: String,
    /// The library indicator it was matched to, how, and how sure.
    #[serde(default)]
    pub matched: Option<(String, String, f32)>,
    pub source: SourceRef,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvaluatedProject {
    pub name: String,
    pub unit_name: String,
    pub year: i32,
    pub project_type: Option<String>,
    pub budget_wan: f64,
    pub execution_rate: f64,
    pub score: f64,
    pub grade: Grade,
    pub rows: Vec<EvaluationRow>,
}

#[cfg(test)]
mod tests {
    use super::Grade;

    #[test]
    fn grades_follow_the_bureau_thresholds() {
        assert_eq!(Grade::from_score(90.0), Grade::Excellent);
        assert_eq!(Grade::from_score(89.9), Grade::Good);
        assert_eq!(Grade::from_score(80.0), Grade::Good);
        assert_eq!(Grade::from_score(60.0), Grade::Fair);
        assert_eq!(Grade::from_score(59.5), Grade::Poor);
    }
}
