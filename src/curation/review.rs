//! Review: approving proposals together (published in one transaction, then the index),
//! rejecting, withdrawing, and each change as a reviewer sees it.

use super::{Actor, Approval, Curation, CurationError, Result};
use crate::domain::revision::diff;
use crate::domain::{ChangeKind, FieldChange, Indicator, Proposal, ProposalState, Role};
use crate::store::{ChangeMeta, Commit, Decision};
use serde::Serialize;
use std::collections::HashSet;

/// One change of a proposal as a reviewer sees it: the published state and the field diff.
#[derive(Debug, Clone, Serialize)]
pub struct ChangeView {
    pub code: String,
    pub name: String,
    pub base: Option<u32>,
    /// The revision now published (differs from `base` when the proposal is stale).
    pub current: Option<u32>,
    pub kind: ChangeKind,
    pub fields: Vec<FieldChange>,
    pub after: Indicator,
    /// The project types and spending natures of `after`, named as users know them.
    pub applies_to: String,
}

impl Curation {
    /// Approves proposals together: every change is published in one transaction (all or none),
    /// then the search index is updated, so search and pages show the new revisions at once.
    /// The checks below give early answers; the store makes them again in the transaction that
    /// publishes (still open, not the reviewer's own, every base still current), so two reviewers
    /// approving at once publish a proposal once and the second is refused.
    pub fn approve(&self, actor: &Actor, ids: &[u64], comment: &str) -> Result<Approval> {
        if !actor.role.allows(Role::Reviewer) {
            return Err(CurationError::Forbidden(
                "只有审核或管理员角色可以审核提案".into(),
            ));
        }
        if ids.is_empty() {
            return Err(CurationError::BadRequest("没有选择要审核的提案".into()));
        }
        let mut proposals = Vec::new();
        let mut seen_codes: HashSet<String> = HashSet::new();
        for &id in ids {
            let p = self.proposal(id)?;
            if !p.is_open() {
                return Err(CurationError::Conflict(format!(
                    "提案 P{id} 已{}，不能再审核",
                    p.state.label().trim_start_matches('已')
                )));
            }
            if p.author == actor.user {
                return Err(CurationError::Forbidden(format!(
                    "不能审核自己提出的修改（提案 P{id}），请由其他审核人员审核"
                )));
            }
            for c in &p.changes {
                let code = c.after.code.to_string();
                if !seen_codes.insert(code.clone()) {
                    return Err(CurationError::Conflict(format!(
                        "所选提案中有多个修改同一指标 {code}，请分别审核"
                    )));
                }
            }
            proposals.push(p);
        }
        // Proposals that pass one by one may clash together (two new indicators taking one alias).
        let after: Vec<Indicator> = proposals
            .iter()
            .flat_map(|p| p.changes.iter().map(|c| c.after.clone()))
            .collect();
        self.library_allows(&after)?;
        let comment = comment.trim().to_string();
        let reason = proposals
            .iter()
            .map(|p| format!("{}（P{}）", p.reason, p.id))
            .collect::<Vec<_>>()
            .join("；");
        let authors: Vec<String> = {
            let mut a: Vec<String> = proposals.iter().map(|p| p.author.clone()).collect();
            a.dedup();
            a
        };
        let meta = ChangeMeta {
            author: authors.join("、"),
            reviewer: Some(actor.user.clone()),
            reason,
        };
        let decisions = proposals
            .iter()
            .map(|p| Decision {
                id: p.id,
                state: ProposalState::Approved,
                by: Some(actor.user.clone()),
                comment: comment.clone(),
            })
            .collect();
        let audit = proposals
            .iter()
            .map(|p| actor.audit("审核通过", &format!("P{}", p.id), p.title.clone()))
            .collect();
        let published = self.publish(
            Commit {
                decisions,
                audit,
                ..Commit::default()
            },
            &meta,
        )?;
        // An indicator proposed from an evaluation candidate (new, or an existing one the
        // candidate's wording was folded into) takes over that candidate's rows.
        for p in &proposals {
            let (Some(id), Some(change)) = (super::candidates::source(p), p.changes.first()) else {
                continue;
            };
            let code = change.after.code.as_str();
            let n = self.evaluations.adopt_candidate(code, &id, &actor.user)?;
            if n > 0 {
                tracing::info!(code, rows = n, "evaluation rows linked to the indicator");
            } else {
                tracing::warn!(code, candidate = %id, "the candidate is gone: no rows linked");
            }
        }
        Ok(Approval {
            proposals: published.committed.proposals,
            index_stale: published.index_stale,
        })
    }

    /// Rejects a proposal with a comment; nothing published changes.
    pub fn reject(&self, actor: &Actor, id: u64, comment: &str) -> Result<Proposal> {
        if !actor.role.allows(Role::Reviewer) {
            return Err(CurationError::Forbidden(
                "只有审核或管理员角色可以驳回提案".into(),
            ));
        }
        let comment = comment.trim();
        if comment.is_empty() {
            return Err(CurationError::BadRequest(
                "驳回时请填写意见（comment）".into(),
            ));
        }
        let p = self.proposal(id)?;
        if !p.is_open() {
            return Err(CurationError::Conflict(format!(
                "提案 P{id} 已是“{}”状态",
                p.state.label()
            )));
        }
        if p.author == actor.user {
            return Err(CurationError::Forbidden(
                "不能审核自己提出的修改；撤回请使用“撤回”".into(),
            ));
        }
        Ok(self.store.decide(
            Decision {
                id,
                state: ProposalState::Rejected,
                by: Some(actor.user.clone()),
                comment: comment.to_string(),
            },
            actor.audit("驳回", &format!("P{id}"), format!("{}：{comment}", p.title)),
        )?)
    }

    /// The author takes an open proposal back.
    pub fn withdraw(&self, actor: &Actor, id: u64) -> Result<Proposal> {
        let p = self.proposal(id)?;
        if p.author != actor.user {
            return Err(CurationError::Forbidden("只有提出人可以撤回提案".into()));
        }
        if !p.is_open() {
            return Err(CurationError::Conflict(format!(
                "提案 P{id} 已是“{}”状态",
                p.state.label()
            )));
        }
        Ok(self.store.decide(
            Decision {
                id,
                state: ProposalState::Withdrawn,
                by: None,
                comment: String::new(),
            },
            actor.audit("撤回", &format!("P{id}"), p.title.clone()),
        )?)
    }

    pub fn change_views(&self, p: &Proposal) -> Result<Vec<ChangeView>> {
        let catalog = self.search.catalog();
        p.changes
            .iter()
            .map(|c| {
                let code = c.after.code.as_str();
                // Compare with the state it was proposed against, so a reviewer sees what the author
                // meant even when the proposal has been decided since.
                let before = match c.base {
                    Some(n) => self.store.revision(code, n)?.map(|r| r.indicator),
                    None => None,
                };
                let kind = crate::domain::revision::classify(before.as_ref(), &c.after)
                    .unwrap_or(ChangeKind::Immaterial);
                Ok(ChangeView {
                    code: code.to_string(),
                    name: c.after.name.clone(),
                    base: c.base,
                    current: self.base_of(code)?,
                    kind,
                    fields: before
                        .as_ref()
                        .map(|b| diff(b, &c.after))
                        .unwrap_or_default()
                        .into_iter()
                        .map(|mut f| {
                            if matches!(f.field, "project_types" | "core" | "natures") {
                                f.before = named_list(&catalog, f.field, &f.before);
                                f.after = named_list(&catalog, f.field, &f.after);
                            }
                            f
                        })
                        .collect(),
                    applies_to: catalog
                        .types_of(&c.after.project_types, &[])
                        .map(|t| t.name.clone())
                        .chain(c.after.natures.iter().map(|n| {
                            let name = catalog.natures.get(n).cloned().unwrap_or_else(|| n.clone());
                            format!("{name}（共性）")
                        }))
                        .collect::<Vec<_>>()
                        .join("、"),
                    after: c.after.clone(),
                })
            })
            .collect()
    }
}

/// A list of project type or spending nature codes ("irrigation、farmland") as their names.
fn named_list(catalog: &crate::domain::Catalog, field: &str, codes: &str) -> String {
    codes
        .split('、')
        .filter(|c| !c.is_empty())
        .map(|c| match field {
            "natures" => catalog.natures.get(c).cloned().unwrap_or_else(|| c.into()),
            _ => catalog.project_type_name(c).to_string(),
        })
        .collect::<Vec<_>>()
        .join("、")
}
