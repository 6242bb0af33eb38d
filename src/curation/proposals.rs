//! Opening proposals: create (numbered in its type's series, near duplicates named), edit,
//! retire, merge, restore, a bulk import's batch, and turning a create into an alias of the
//! indicator it duplicates. Each refuses what breaks the schema or a library rule, and what an
//! open proposal already changes.

use super::{Actor, Curation, CurationError, Result, require_reason};
use crate::domain::quality::normalized_name;
use crate::domain::revision::diff;
use crate::domain::{
    AuditEntry, Indicator, Proposal, ProposalKind, ProposalState, ProposedChange, Role, Status,
};
use crate::ingest::library::IndicatorInput;
use crate::search::SearchRequest;
use crate::store::Decision;
use crate::text::bigram_dice;
use chrono::Utc;
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// An existing indicator that a new or changed one may duplicate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NearDuplicate {
    pub code: String,
    pub name: String,
    pub why: String,
}

impl NearDuplicate {
    pub fn warning(&self) -> String {
        format!(
            "可能与已有指标 {} “{}”重复（{}），可考虑合并",
            self.code, self.name, self.why
        )
    }
}

/// Codes taken by published indicators or by open proposals.
pub struct CodeBook {
    taken: HashSet<String>,
    /// Prefix (e.g. `JZ`) used for each project type or spending nature.
    prefixes: HashMap<String, String>,
}

impl CodeBook {
    pub fn load(curation: &Curation) -> Result<CodeBook> {
        let mut taken = HashSet::new();
        let mut prefixes: HashMap<String, String> = HashMap::new();
        for i in curation.store.indicators()? {
            let code = i.code.to_string();
            if let Some((prefix, _)) = code.rsplit_once('-') {
                for key in i.project_types.iter().chain(&i.natures) {
                    prefixes
                        .entry(key.clone())
                        .or_insert_with(|| prefix.to_string());
                }
            }
            taken.insert(code);
        }
        for p in curation.store.proposals(Some(ProposalState::Open))? {
            for c in p.codes() {
                taken.insert(c.to_string());
            }
        }
        Ok(CodeBook { taken, prefixes })
    }

    pub fn is_taken(&self, code: &str) -> bool {
        self.taken.contains(code)
    }

    pub fn take(&mut self, code: &str) {
        self.taken.insert(code.to_string());
    }

    /// The next free code in the series of the indicator's first project type (or nature),
    /// e.g. `JZ-031`; `ZB-0001` when the type has no series yet.
    pub fn next_for(&mut self, input: &IndicatorInput) -> String {
        let prefix = input
            .natures
            .iter()
            .chain(&input.project_types)
            .find_map(|k| self.prefixes.get(k))
            .cloned()
            .unwrap_or_else(|| "ZB".to_string());
        let code = (1..)
            .map(|n| format!("{prefix}-{n:03}"))
            .find(|c| !self.taken.contains(c))
            .expect("an unbounded range finds a free code");
        self.take(&code);
        code
    }
}

/// A proposal withdrawn in the transaction that opens the one replacing it, with its audit entry.
type Replacing = Option<(Decision, AuditEntry)>;

impl Curation {
    /// Published indicators that `ind` may duplicate: the same name once normalised, or a close name
    /// with the same unit and level-2, or a search hit that is almost the same name. Candidates come
    /// from the search index, so this stays cheap on a large library.
    pub fn near_duplicates(&self, ind: &Indicator) -> Result<Vec<NearDuplicate>> {
        let mut req = SearchRequest::new(&ind.name);
        req.limit = 20;
        let res = self.search.search(&req)?;
        let own = normalized_name(&ind.name);
        let mut out = Vec::new();
        for h in res.hits {
            let other = &h.indicator;
            if other.code == ind.code {
                continue;
            }
            let sim = bigram_dice(&normalized_name(&ind.name), &normalized_name(&other.name));
            let why = if normalized_name(&other.name) == own
                || other.aliases.iter().any(|a| normalized_name(a) == own)
            {
                "名称规范化后相同".to_string()
            } else if sim >= 0.6 && other.unit == ind.unit && other.level2 == ind.level2 {
                format!(
                    "名称相近（相似度 {:.0}%），计量单位与二级指标相同",
                    sim * 100.0
                )
            } else if sim >= 0.8 {
                format!("名称高度相似（相似度 {:.0}%）", sim * 100.0)
            } else {
                continue;
            };
            out.push(NearDuplicate {
                code: other.code.to_string(),
                name: other.name.clone(),
                why,
            });
            if out.len() == 5 {
                break;
            }
        }
        Ok(out)
    }

    /// An early, friendly refusal; the store checks again in the transaction that opens the
    /// proposal, where it counts.
    fn no_open_proposal_on(&self, codes: &[&str]) -> Result<()> {
        for c in codes {
            if let Some(id) = self.store.open_proposal_on(c)? {
                return Err(CurationError::Conflict(format!(
                    "指标 {c} 已有待审核的修改（提案 P{id}），请先处理该提案"
                )));
            }
        }
        Ok(())
    }

    /// Opens `p` once the whole-library rules allow its changes, withdrawing `replacing` in the
    /// same transaction.
    fn open(&self, actor: &Actor, p: Proposal, replacing: Replacing) -> Result<Proposal> {
        let after: Vec<Indicator> = p.changes.iter().map(|c| c.after.clone()).collect();
        self.library_allows(&after)?;
        let audit = actor.audit("提出修改", "", p.title.clone());
        Ok(self.store.create_proposal(p, audit, replacing)?)
    }

    /// Proposes a new indicator. Without a code, the next free one of its type's series is given
    /// (again, if someone takes it meanwhile).
    pub fn propose_create(
        &self,
        actor: &Actor,
        input: IndicatorInput,
        reason: &str,
    ) -> Result<Proposal> {
        self.propose_create_from(actor, input, reason, None)
    }

    /// `propose_create`, from evaluation candidate `candidate` when given.
    pub(super) fn propose_create_from(
        &self,
        actor: &Actor,
        input: IndicatorInput,
        reason: &str,
        candidate: Option<&str>,
    ) -> Result<Proposal> {
        let reason = require_reason(reason)?;
        let numbered = input.code.trim().is_empty();
        let mut tries = 0;
        loop {
            match self.try_propose_create(actor, input.clone(), &reason, candidate) {
                Err(CurationError::Conflict(_)) if numbered && tries < 5 => tries += 1,
                r => return r,
            }
        }
    }

    fn try_propose_create(
        &self,
        actor: &Actor,
        mut input: IndicatorInput,
        reason: &str,
        candidate: Option<&str>,
    ) -> Result<Proposal> {
        let mut book = CodeBook::load(self)?;
        if input.code.trim().is_empty() {
            input.code = book.next_for(&input);
        } else if book.is_taken(input.code.trim()) {
            return Err(CurationError::Conflict(format!(
                "指标编码 {} 已被使用（编码永不复用）",
                input.code.trim()
            )));
        }
        if input.provenance.is_empty() {
            input.provenance = "地方参考".into();
        }
        let ind = self.check(input)?;
        let dups = self.near_duplicates(&ind)?;
        let title = format!("新增指标 {} {}", ind.code, ind.name);
        let changes = vec![ProposedChange {
            base: None,
            after: ind,
        }];
        let warnings = dups.iter().map(NearDuplicate::warning).collect();
        let p = new_proposal(
            actor,
            ProposalKind::Create,
            title,
            reason.to_string(),
            changes,
            warnings,
        );
        let duplicates = dups.into_iter().map(|d| (d.code, d.name)).collect();
        let candidate = candidate.map(str::to_string);
        let p = Proposal {
            duplicates,
            candidate,
            ..p
        };
        self.open(actor, p, None)
    }

    /// Turns an open proposal for a new indicator into adding its name (and aliases) to an existing
    /// indicator it duplicates: the edit is proposed, then the original proposal is withdrawn.
    pub fn fold_into(&self, actor: &Actor, id: u64, into: &str) -> Result<Proposal> {
        let p = self.proposal(id)?;
        if !p.is_open() || p.kind != ProposalKind::Create {
            return Err(CurationError::Conflict(format!(
                "提案 P{id} 不是待审核的新增指标提案"
            )));
        }
        if p.author != actor.user && !actor.role.allows(Role::Reviewer) {
            return Err(CurationError::Forbidden(
                "只有提出人或审核人员可以把新增提案改为合并".into(),
            ));
        }
        let new = p.changes[0].after.clone();
        let target = self.active(into)?;
        let mut input = IndicatorInput::from(&target);
        for a in std::iter::once(&new.name).chain(&new.aliases) {
            if *a != target.name && !input.aliases.contains(a) {
                input.aliases.push(a.clone());
            }
        }
        let reason = format!(
            "{}（由新增提案 P{id}“{}”改为在已有指标增加别名）",
            p.reason, new.name
        );
        let comment = format!("改为合并到 {into}");
        let withdrawn = Decision {
            id,
            state: ProposalState::Withdrawn,
            by: None,
            comment: comment.clone(),
        };
        let audit = actor.audit("改为合并", &format!("P{id}"), comment);
        // One transaction opens the edit and withdraws the create: never both open, never neither.
        // A candidate's rows follow its wording to the indicator it joins.
        let replacing = Some((withdrawn, audit));
        self.edit_proposal(actor, into, input, &reason, replacing, p.candidate)
    }

    /// Proposes a new state of a published indicator.
    pub fn propose_edit(
        &self,
        actor: &Actor,
        code: &str,
        input: IndicatorInput,
        reason: &str,
    ) -> Result<Proposal> {
        self.edit_proposal(actor, code, input, reason, None, None)
    }

    fn edit_proposal(
        &self,
        actor: &Actor,
        code: &str,
        input: IndicatorInput,
        reason: &str,
        replacing: Replacing,
        candidate: Option<String>,
    ) -> Result<Proposal> {
        let reason = require_reason(reason)?;
        let before = self.active(code)?;
        self.no_open_proposal_on(&[code])?;
        if input.code.trim() != code {
            return Err(CurationError::BadRequest(
                "指标编码不能修改（需要新编码时请新增指标并停用旧指标）".into(),
            ));
        }
        let after = self.check(input)?;
        let changes = diff(&before, &after);
        if changes.is_empty() {
            return Err(CurationError::BadRequest(
                "提交的内容与当前版本相同，没有需要审核的修改".into(),
            ));
        }
        let warnings = if before.name != after.name {
            self.near_duplicates(&after)?
                .iter()
                .map(NearDuplicate::warning)
                .collect()
        } else {
            vec![]
        };
        let title = format!(
            "修改指标 {code} {}（{}）",
            before.name,
            changes
                .iter()
                .map(|c| c.label)
                .collect::<Vec<_>>()
                .join("、")
        );
        let changes = vec![self.change_to(after)?];
        let p = Proposal {
            candidate,
            ..new_proposal(actor, ProposalKind::Edit, title, reason, changes, warnings)
        };
        self.open(actor, p, replacing)
    }

    /// Proposes to retire an indicator; links to it will lead to `replaced_by` when given.
    pub fn propose_retire(
        &self,
        actor: &Actor,
        code: &str,
        replaced_by: Option<&str>,
        reason: &str,
    ) -> Result<Proposal> {
        let reason = require_reason(reason)?;
        let before = self.active(code)?;
        self.no_open_proposal_on(&[code])?;
        let replacement = match replaced_by.map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(r) if r == code => {
                return Err(CurationError::BadRequest(
                    "替代指标不能是被停用的指标本身".into(),
                ));
            }
            Some(r) => Some(self.active(r)?),
        };
        let mut after = before.clone();
        after.status = Status::Retired {
            replaced_by: replacement.as_ref().map(|r| r.code.clone()),
        };
        let title = match &replacement {
            Some(r) => format!(
                "停用指标 {code} {}，由 {} {} 替代",
                before.name, r.code, r.name
            ),
            None => format!("停用指标 {code} {}", before.name),
        };
        self.open(
            actor,
            new_proposal(
                actor,
                ProposalKind::Retire,
                title,
                reason,
                vec![self.change_to(after)?],
                vec![],
            ),
            None,
        )
    }

    /// Proposes to merge `code` into `into`: `code` is retired with `into` as replacement, and
    /// `into` takes over its name and aliases as aliases and its project types.
    pub fn propose_merge(
        &self,
        actor: &Actor,
        code: &str,
        into: &str,
        reason: &str,
    ) -> Result<Proposal> {
        let reason = require_reason(reason)?;
        if code == into {
            return Err(CurationError::BadRequest("不能把指标合并到它自身".into()));
        }
        let from = self.active(code)?;
        let target = self.active(into)?;
        self.no_open_proposal_on(&[code, into])?;
        let mut retired = from.clone();
        retired.status = Status::Retired {
            replaced_by: Some(target.code.clone()),
        };
        let mut kept = target.clone();
        for a in std::iter::once(&from.name).chain(&from.aliases) {
            if *a != kept.name && !kept.aliases.contains(a) {
                kept.aliases.push(a.clone());
            }
        }
        for t in &from.project_types {
            if !kept.project_types.contains(t) {
                kept.project_types.push(t.clone());
            }
        }
        let title = format!("合并指标 {code} {} → {into} {}", from.name, target.name);
        self.open(
            actor,
            new_proposal(
                actor,
                ProposalKind::Merge,
                title,
                reason,
                vec![self.change_to(retired)?, self.change_to(kept)?],
                vec![],
            ),
            None,
        )
    }

    /// Proposes to bring back revision `n` of an indicator as its next revision.
    pub fn propose_restore(
        &self,
        actor: &Actor,
        code: &str,
        n: u32,
        reason: &str,
    ) -> Result<Proposal> {
        let reason = require_reason(reason)?;
        let before = self.current(code)?;
        self.no_open_proposal_on(&[code])?;
        let old = self
            .store
            .revision(code, n)?
            .ok_or_else(|| CurationError::NotFound(format!("指标 {code} 没有第 {n} 版")))?;
        if diff(&before, &old.indicator).is_empty() {
            return Err(CurationError::BadRequest(format!(
                "第 {n} 版与当前版本内容相同，无需恢复"
            )));
        }
        let title = format!("恢复指标 {code} {} 的第 {n} 版", before.name);
        self.open(
            actor,
            new_proposal(
                actor,
                ProposalKind::Restore,
                title,
                reason,
                vec![self.change_to(old.indicator)?],
                vec![],
            ),
            None,
        )
    }

    /// Opens the batch proposal of a bulk import.
    pub fn propose_import(
        &self,
        actor: &Actor,
        file: &str,
        changes: Vec<ProposedChange>,
        warnings: Vec<String>,
        reason: &str,
    ) -> Result<Proposal> {
        let reason = require_reason(reason)?;
        if changes.is_empty() {
            return Err(CurationError::BadRequest(
                "文件中没有新增或修改的指标".into(),
            ));
        }
        let codes: Vec<&str> = changes.iter().map(|c| c.after.code.as_str()).collect();
        self.no_open_proposal_on(&codes)?;
        let title = format!("批量导入 {file}（{} 个指标）", changes.len());
        self.open(
            actor,
            new_proposal(
                actor,
                ProposalKind::Import,
                title,
                reason,
                changes,
                warnings,
            ),
            None,
        )
    }
}

/// An open proposal by `actor`, not yet stored.
pub(super) fn new_proposal(
    actor: &Actor,
    kind: ProposalKind,
    title: String,
    reason: String,
    changes: Vec<ProposedChange>,
    warnings: Vec<String>,
) -> Proposal {
    Proposal {
        id: 0,
        kind,
        title,
        reason,
        author: actor.user.clone(),
        created: Utc::now(),
        changes,
        warnings,
        duplicates: Vec::new(),
        state: ProposalState::Open,
        decided_by: None,
        decided_at: None,
        comment: String::new(),
        published: vec![],
        candidate: None,
    }
}

/// Applies a JSON object of changed fields (as written in a library file) to an indicator.
pub fn patched(
    ind: &Indicator,
    patch: &serde_json::Map<String, serde_json::Value>,
) -> Result<IndicatorInput> {
    let mut v = serde_json::to_value(IndicatorInput::from(ind)).expect("inputs serialize");
    let obj = v.as_object_mut().expect("an object");
    for (k, val) in patch {
        if k == "code" && val.as_str() != Some(ind.code.as_str()) {
            return Err(CurationError::BadRequest(
                "指标编码不能修改（需要新编码时请新增指标并停用旧指标）".into(),
            ));
        }
        obj.insert(k.clone(), val.clone());
    }
    serde_json::from_value(v).map_err(|e| {
        CurationError::BadRequest(format!(
            "修改内容无法识别：{e}（字段名见 indicators/README.md）"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_similarity_ignores_filler_and_punctuation() {
        let similarity = |a, b| bigram_dice(&normalized_name(a), &normalized_name(b));
        assert!(similarity("新建道路里程", "新建道路总里程") > 0.9);
        assert!(similarity("新建道路里程", "道路养护面积") < 0.5);
        assert_eq!(similarity("", "道路"), 0.0);
    }
}
