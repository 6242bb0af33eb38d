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
}

/// One row of the target table. A row taken from the library remembers the indicator and the
/// revision it came from, so a later change of the library can be shown against it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DraftRow {
    pub level1: String,
    pub level2: String,
    pub name: String,
    #[serde(default)]
    pub indicator: Option<String>,
    #[serde(default)]
    pub revision: Option<u32>,
    pub direction: Direction,
    #[serde(default)]
    pub target: String,
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub explanation: String,
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
        }
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
