//! Curation: changes to the published library as proposals that another person approves, and
//! numbered editions. `Curation` is the service, built once by the app; its methods are spread
//! over this module's files by job (proposals, review, editions, bulk import, release,
//! evaluation candidates), and the web layer only translates requests into them, so the pages
//! and the JSON API follow the same rules.

pub mod candidates;
pub mod editions;
pub mod import;
mod library_rules;
pub mod proposals;
pub mod publish;
pub mod release;
pub mod request;
pub mod retirement;
pub mod review;

use crate::domain::{AuditEntry, Code, Indicator, Proposal, ProposedChange, Role};
use crate::evaluations::service::Evaluations;
use crate::ingest::library::Problems;
use crate::ingest::sheet::SheetLimits;
use crate::search::SearchIndex;
use crate::store::{Store, StoreError};
use chrono::Utc;
use serde::Serialize;
use std::sync::Arc;

/// Curation's service, built once by the app: what proposals, reviews, editions and bulk imports
/// need.
pub struct Curation {
    pub store: Store,
    pub search: Arc<SearchIndex>,
    /// How much of an uploaded spreadsheet a bulk import reads.
    pub sheet: SheetLimits,
    /// A new indicator drafted from evaluation practice takes over the rows it was drafted from.
    pub evaluations: Arc<Evaluations>,
}

#[derive(Debug, thiserror::Error)]
pub enum CurationError {
    /// The proposed content breaks the schema or a library rule: every problem, by field.
    #[error("{message}")]
    Invalid { message: String, problems: Problems },
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    BadRequest(String),
    /// Input that names its own stable code (a missing field, an unreadable indicator).
    #[error("{message}")]
    Bad { code: &'static str, message: String },
    /// An uploaded file past a size or count limit.
    #[error(transparent)]
    Limit(#[from] crate::ingest::sheet::LimitError),
    #[error(transparent)]
    Store(StoreError),
    #[error(transparent)]
    Search(#[from] crate::search::SearchError),
}

pub type Result<T> = std::result::Result<T, CurationError>;

impl From<StoreError> for CurationError {
    /// Refusals of the store's checks are the curation rules' refusals.
    fn from(e: StoreError) -> CurationError {
        match e {
            StoreError::Conflict(m) => CurationError::Conflict(m),
            StoreError::Forbidden(m) => CurationError::Forbidden(m),
            e => CurationError::Store(e),
        }
    }
}

/// What an approval published.
#[derive(Debug, Clone, Serialize)]
pub struct Approval {
    pub proposals: Vec<Proposal>,
    /// Why search does not show the published changes yet; they are published all the same.
    pub index_stale: Option<String>,
}

/// Who acts, as recorded in revisions and the audit log.
#[derive(Debug, Clone)]
pub struct Actor {
    /// Login name.
    pub user: String,
    /// How revisions show the person, e.g. 张三（zhang）.
    pub shown: String,
    pub role: Role,
    pub address: String,
}

impl Actor {
    pub fn audit(&self, action: &str, target: &str, detail: impl Into<String>) -> AuditEntry {
        AuditEntry {
            seq: 0,
            at: Utc::now(),
            actor: self.user.clone(),
            action: action.to_string(),
            target: target.to_string(),
            detail: detail.into(),
            address: self.address.clone(),
        }
    }
}

impl Curation {
    /// The published indicator `code`, whatever its status.
    fn current(&self, code: &str) -> Result<Indicator> {
        self.store
            .indicator(code)?
            .ok_or_else(|| CurationError::NotFound(format!("指标 {code} 不存在")))
    }

    /// The published indicator `code`, refused when it is retired.
    fn active(&self, code: &str) -> Result<Indicator> {
        let i = self.current(code)?;
        if !i.is_active() {
            return Err(CurationError::Conflict(format!("指标 {code} 已停用")));
        }
        Ok(i)
    }

    /// The change of a published indicator to `after`, made against its current revision.
    fn change_to(&self, after: Indicator) -> Result<ProposedChange> {
        let base = self.base_of(after.code.as_str())?;
        Ok(ProposedChange { base, after })
    }

    /// The revision a change of `code` is made against (none for a new code).
    fn base_of(&self, code: &str) -> Result<Option<u32>> {
        let n = self.store.last_revision(code)?;
        Ok((n > 0).then_some(n))
    }

    fn proposal(&self, id: u64) -> Result<Proposal> {
        self.store
            .proposal(id)?
            .ok_or_else(|| CurationError::NotFound(format!("提案 P{id} 不存在")))
    }
}

fn require_reason(reason: &str) -> Result<String> {
    let r = reason.trim();
    if r.is_empty() {
        return Err(CurationError::BadRequest("请填写修改理由（reason）".into()));
    }
    Ok(r.to_string())
}

/// Parses a code given by a user, with a clear error.
pub fn parse_code(s: &str) -> Result<Code> {
    Code::parse(s).map_err(CurationError::BadRequest)
}
