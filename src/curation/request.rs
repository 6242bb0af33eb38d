//! What a caller asks curation to change: the API's JSON proposal and the edit page's form
//! both become one `Change`, which `Curation::propose` opens as a proposal.

use super::import::ImportReport;
use super::proposals::patched;
use super::{Actor, Curation, CurationError, Result};
use crate::domain::{FieldChange, Indicator, Proposal, ProposalKind, Role};
use crate::ingest::library::IndicatorInput;
use serde::Deserialize;
use serde_json::Value;

/// One change to the published library, as a proposal opens it.
pub enum Change {
    Create(IndicatorInput),
    Edit {
        code: String,
        input: IndicatorInput,
    },
    Retire {
        code: String,
        replaced_by: Option<String>,
    },
    Merge {
        code: String,
        into: String,
    },
    Restore {
        code: String,
        revision: u32,
    },
}

/// What a person does with an open proposal.
pub enum Verdict {
    Approve,
    Reject,
    Withdraw,
    /// Folds it into another open proposal (the code it changes).
    Fold {
        into: String,
    },
}

impl Verdict {
    /// The decision a form's `action` names; `None` for an unknown one.
    pub fn parse(action: &str, into: &str) -> Option<Verdict> {
        Some(match action {
            "approve" => Verdict::Approve,
            "reject" => Verdict::Reject,
            "withdraw" => Verdict::Withdraw,
            "fold" => Verdict::Fold { into: into.into() },
            _ => return None,
        })
    }

    /// Withdrawing or folding one's own proposal is an editor's; approving and rejecting a
    /// reviewer's.
    pub fn role(&self) -> Role {
        match self {
            Verdict::Withdraw | Verdict::Fold { .. } => Role::Editor,
            Verdict::Approve | Verdict::Reject => Role::Reviewer,
        }
    }
}

/// `POST /api/v1/proposals`: a proposal as JSON.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProposal {
    /// `create`, `edit`, `retire`, `merge` or `restore`.
    #[schema(value_type = String)]
    pub kind: ProposalKind,
    #[serde(default)]
    pub code: Option<String>,
    /// Create: the whole indicator as in a library file. Edit: only the fields that change.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub indicator: Option<serde_json::Map<String, Value>>,
    #[serde(default)]
    pub replaced_by: Option<String>,
    #[serde(default)]
    pub into: Option<String>,
    #[serde(default)]
    pub revision: Option<u32>,
    #[serde(default)]
    pub reason: String,
}

fn need<'a, T>(v: &'a Option<T>, what: &str) -> Result<&'a T> {
    v.as_ref().ok_or_else(|| CurationError::Bad {
        code: "missing_field",
        message: format!("缺少字段 {what}"),
    })
}

impl Curation {
    /// Opens the proposal of one change.
    pub fn propose(&self, actor: &Actor, change: Change, reason: &str) -> Result<Proposal> {
        match change {
            Change::Create(input) => self.propose_create(actor, input, reason),
            Change::Edit { code, input } => self.propose_edit(actor, &code, input, reason),
            Change::Retire { code, replaced_by } => {
                self.propose_retire(actor, &code, replaced_by.as_deref(), reason)
            }
            Change::Merge { code, into } => self.propose_merge(actor, &code, &into, reason),
            Change::Restore { code, revision } => {
                self.propose_restore(actor, &code, revision, reason)
            }
        }
    }

    /// Opens the proposal a JSON body asks for; an edit names only the fields that change.
    pub fn propose_json(&self, actor: &Actor, p: NewProposal) -> Result<Proposal> {
        let change = self.change_of(&p)?;
        self.propose(actor, change, &p.reason)
    }

    /// Decides on proposal `id`; answers the proposal to show next (a fold's target).
    pub fn decide(&self, actor: &Actor, id: u64, d: Verdict, comment: &str) -> Result<u64> {
        match d {
            Verdict::Fold { into } => return Ok(self.fold_into(actor, id, &into)?.id),
            Verdict::Approve => {
                self.approve(actor, &[id], comment)?;
            }
            Verdict::Reject => {
                self.reject(actor, id, comment)?;
            }
            Verdict::Withdraw => {
                self.withdraw(actor, id)?;
            }
        }
        Ok(id)
    }

    /// A bulk import from a spreadsheet: checked only, or (`apply`) opened as one proposal.
    pub fn import(
        &self,
        actor: &Actor,
        file: &str,
        bytes: &[u8],
        apply: bool,
        reason: &str,
    ) -> Result<(ImportReport, Option<Proposal>)> {
        if apply {
            self.apply_import(actor, file, bytes, reason)
        } else {
            Ok((self.plan_import(file, bytes)?.0, None))
        }
    }

    /// Two revisions of an indicator and the fields that differ from the first to the second.
    pub fn compare_revisions(
        &self,
        code: &str,
        a: u32,
        b: u32,
    ) -> Result<(Indicator, Indicator, Vec<FieldChange>)> {
        let get = |n: u32| -> Result<Indicator> {
            Ok(self
                .store
                .revision(code, n)?
                .ok_or_else(|| CurationError::NotFound(format!("指标 {code} 没有第 {n} 版")))?
                .indicator)
        };
        let (ia, ib) = (get(a)?, get(b)?);
        let d = crate::domain::revision::diff(&ia, &ib);
        Ok((ia, ib, d))
    }

    fn change_of(&self, p: &NewProposal) -> Result<Change> {
        let code = p.code.as_deref().map(str::trim).unwrap_or("").to_string();
        Ok(match p.kind {
            ProposalKind::Create => {
                let mut obj = need(&p.indicator, "indicator")?.clone();
                if !code.is_empty() {
                    obj.insert("code".into(), Value::String(code));
                }
                obj.entry("code").or_insert(Value::String(String::new()));
                Change::Create(serde_json::from_value(Value::Object(obj)).map_err(|e| {
                    CurationError::Bad {
                        code: "invalid_indicator",
                        message: format!("指标内容无法识别：{e}（字段见 indicators/README.md）"),
                    }
                })?)
            }
            ProposalKind::Edit => {
                let current = self
                    .store
                    .indicator(&code)?
                    .ok_or_else(|| CurationError::NotFound(format!("指标 {code} 不存在")))?;
                let input = patched(&current, need(&p.indicator, "indicator")?)?;
                Change::Edit { code, input }
            }
            ProposalKind::Retire => Change::Retire {
                code,
                replaced_by: p.replaced_by.clone(),
            },
            ProposalKind::Merge => Change::Merge {
                into: need(&p.into, "into")?.clone(),
                code,
            },
            ProposalKind::Restore => Change::Restore {
                revision: *need(&p.revision, "revision")?,
                code,
            },
            ProposalKind::Import => {
                return Err(CurationError::BadRequest(
                    "批量导入请使用 POST /api/v1/import".into(),
                ));
            }
        })
    }
}
