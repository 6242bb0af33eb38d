//! Change proposals: every change to the published library is proposed by one person and
//! approved by another. The published revision stays live until approval; a rejected proposal
//! changes nothing.

use super::indicator::Indicator;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProposalKind {
    Create,
    Edit,
    /// Retire, optionally pointing old links at a replacement.
    Retire,
    /// Retire one indicator into another, which takes over its name as an alias.
    Merge,
    /// Bring back an old revision (as a new revision).
    Restore,
    /// A bulk import: many creations and changes approved together.
    Import,
}

impl ProposalKind {
    pub fn label(self) -> &'static str {
        match self {
            ProposalKind::Create => "新增指标",
            ProposalKind::Edit => "修改指标",
            ProposalKind::Retire => "停用指标",
            ProposalKind::Merge => "合并指标",
            ProposalKind::Restore => "恢复历史版本",
            ProposalKind::Import => "批量导入",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProposalState {
    Open,
    Approved,
    Rejected,
    Withdrawn,
}

impl ProposalState {
    pub fn label(self) -> &'static str {
        match self {
            ProposalState::Open => "待审核",
            ProposalState::Approved => "已通过",
            ProposalState::Rejected => "已驳回",
            ProposalState::Withdrawn => "已撤回",
        }
    }

    pub fn parse(s: &str) -> Option<ProposalState> {
        match s {
            "open" | "待审核" => Some(ProposalState::Open),
            "approved" | "已通过" => Some(ProposalState::Approved),
            "rejected" | "已驳回" => Some(ProposalState::Rejected),
            "withdrawn" | "已撤回" => Some(ProposalState::Withdrawn),
            _ => None,
        }
    }
}

/// The new state of one indicator, and the revision it was proposed against.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProposedChange {
    /// Current revision number when proposed; `None` for a new indicator. Approval refuses a
    /// change whose indicator was revised in the meantime.
    pub base: Option<u32>,
    pub after: Indicator,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Proposal {
    pub id: u64,
    pub kind: ProposalKind,
    /// One line for lists, e.g. 修改指标 DL-001 新建道路里程.
    pub title: String,
    pub reason: String,
    pub author: String,
    pub created: DateTime<Utc>,
    pub changes: Vec<ProposedChange>,
    /// Near-duplicates and other advice found when it was made.
    #[serde(default)]
    pub warnings: Vec<String>,
    /// Published indicators a new one may duplicate, as (code, name): the proposal can be turned
    /// into adding its name to one of them as an alias.
    #[serde(default)]
    pub duplicates: Vec<(String, String)>,
    pub state: ProposalState,
    #[serde(default)]
    pub decided_by: Option<String>,
    #[serde(default)]
    pub decided_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub comment: String,
    /// The revisions it published, as (code, revision) once approved.
    #[serde(default)]
    pub published: Vec<(String, u32)>,
    /// The evaluation candidate (its id) it was made from: once approved, that candidate's rows
    /// are linked to the indicator it publishes. By id, since two candidates may share a name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub candidate: Option<String>,
}

impl Proposal {
    pub fn is_open(&self) -> bool {
        self.state == ProposalState::Open
    }

    /// The codes it touches.
    pub fn codes(&self) -> Vec<&str> {
        self.changes.iter().map(|c| c.after.code.as_str()).collect()
    }
}
