//! Curation: changes to the published library as proposals that another person approves, and
//! numbered editions. The web layer only translates requests into these calls, so the pages and
//! the JSON API follow the same rules.

pub mod candidates;
pub mod import;
mod library_rules;
pub mod publish;
pub mod release;
mod request;
pub mod retirement;

pub use library_rules::concerns;
pub use request::{Change, NewProposal, Verdict};

use crate::domain::edition::{NoteEntry, notes_between};
use crate::domain::quality::{self, normalized_name};
use crate::domain::revision::diff;
use crate::domain::{
    AuditEntry, ChangeKind, Code, Edition, FieldChange, Indicator, Proposal, ProposalKind,
    ProposalState, ProposedChange, Provenance, Role, Status,
};
use crate::ingest::library::{IndicatorInput, Problems, validate};
use crate::ingest::sheet::SheetLimits;
use crate::search::{SearchIndex, SearchRequest};
use crate::store::{ChangeMeta, Commit, Decision, Store, StoreError};
use crate::text::bigram_dice;
use chrono::Utc;
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// Curation's service, built once by the app: what proposals, reviews, editions and bulk imports
/// need. The functions of this module take it as `app`.
pub struct Curation {
    pub store: Store,
    pub search: Arc<SearchIndex>,
    /// How much of an uploaded spreadsheet a bulk import reads.
    pub sheet: SheetLimits,
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

/// Published indicators that `ind` may duplicate: the same name once normalised, or a close name
/// with the same unit and level-2, or a search hit that is almost the same name. Candidates come
/// from the search index, so this stays cheap on a large library.
pub fn near_duplicates(app: &Curation, ind: &Indicator) -> Result<Vec<NearDuplicate>> {
    let mut req = SearchRequest::new(&ind.name);
    req.limit = 20;
    let res = app.search.search(&req)?;
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

/// Codes taken by published indicators or by open proposals.
pub struct CodeBook {
    taken: HashSet<String>,
    /// Prefix (e.g. `JZ`) used for each project type or spending nature.
    prefixes: HashMap<String, String>,
}

impl CodeBook {
    pub fn load(app: &Curation) -> Result<CodeBook> {
        let mut taken = HashSet::new();
        let mut prefixes: HashMap<String, String> = HashMap::new();
        for i in app.store.indicators()? {
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
        for p in app.store.proposals(Some(ProposalState::Open))? {
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

/// Validates an indicator as written against the schema, the catalog and the single-indicator
/// library rules.
pub fn check(app: &Curation, input: IndicatorInput) -> Result<Indicator> {
    let catalog = app.search.catalog();
    let ind = validate(input, &catalog).map_err(|(_, problems)| CurationError::Invalid {
        message: format!(
            "指标内容有 {} 处问题：{}",
            problems.len(),
            joined(&problems)
        ),
        problems,
    })?;
    refuse(quality::check_indicator_in(&ind, &catalog))?;
    Ok(ind)
}

/// The findings as the error that refuses a proposal, or nothing when there are none.
fn refuse(findings: Vec<quality::Finding>) -> Result<()> {
    if findings.is_empty() {
        return Ok(());
    }
    let problems: Problems = findings
        .iter()
        .map(|f| ("rule", format!("{}（规则 {}）", f.message, f.rule)))
        .collect();
    Err(CurationError::Invalid {
        message: format!("指标不符合指标库规则：{}", joined(&problems)),
        problems,
    })
}

/// The problems' messages in one line, as the error message shows them.
fn joined(problems: &Problems) -> String {
    problems
        .iter()
        .map(|(_, m)| m.as_str())
        .collect::<Vec<_>>()
        .join("；")
}

/// The findings `zhibiao check` would report on the published library with `changes` applied
/// that it does not report now (duplicates across types, aliases with two owners ...).
pub fn library_findings(app: &Curation, changes: &[Indicator]) -> Result<Vec<quality::Finding>> {
    let catalog = app.search.catalog();
    Ok(library_rules::new_findings(
        &catalog,
        &app.store.indicators()?,
        changes,
    ))
}

/// Refuses changes that would give the library a finding `zhibiao check` reports.
fn library_allows(app: &Curation, changes: &[Indicator]) -> Result<()> {
    refuse(library_findings(app, changes)?)
}

fn current(app: &Curation, code: &str) -> Result<Indicator> {
    app.store
        .indicator(code)?
        .ok_or_else(|| CurationError::NotFound(format!("指标 {code} 不存在")))
}

fn active(app: &Curation, code: &str) -> Result<Indicator> {
    let i = current(app, code)?;
    if !i.is_active() {
        return Err(CurationError::Conflict(format!("指标 {code} 已停用")));
    }
    Ok(i)
}

/// An early, friendly refusal; the store checks again in the transaction that opens the
/// proposal, where it counts.
fn no_open_proposal_on(app: &Curation, codes: &[&str]) -> Result<()> {
    for c in codes {
        if let Some(id) = app.store.open_proposal_on(c)? {
            return Err(CurationError::Conflict(format!(
                "指标 {c} 已有待审核的修改（提案 P{id}），请先处理该提案"
            )));
        }
    }
    Ok(())
}

fn require_reason(reason: &str) -> Result<String> {
    let r = reason.trim();
    if r.is_empty() {
        return Err(CurationError::BadRequest("请填写修改理由（reason）".into()));
    }
    Ok(r.to_string())
}

/// A proposal withdrawn in the transaction that opens the one replacing it, with its audit entry.
type Replacing = Option<(Decision, AuditEntry)>;

/// Opens a proposal; `duplicates` are the (code, name) pairs a create may be folded into.
#[allow(clippy::too_many_arguments)]
fn open_proposal(
    app: &Curation,
    actor: &Actor,
    kind: ProposalKind,
    title: String,
    reason: String,
    changes: Vec<ProposedChange>,
    warnings: Vec<String>,
    duplicates: Vec<(String, String)>,
) -> Result<Proposal> {
    let after: Vec<Indicator> = changes.iter().map(|c| c.after.clone()).collect();
    library_allows(app, &after)?;
    let p = new_proposal(actor, kind, title, reason, changes, warnings);
    open_replacing(app, actor, Proposal { duplicates, ..p }, None)
}

/// An open proposal by `actor`, not yet stored.
fn new_proposal(
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
    }
}

fn open_replacing(
    app: &Curation,
    actor: &Actor,
    p: Proposal,
    replacing: Replacing,
) -> Result<Proposal> {
    let audit = actor.audit("提出修改", "", p.title.clone());
    Ok(app.store.create_proposal(p, audit, replacing)?)
}

fn base_of(app: &Curation, code: &str) -> Result<Option<u32>> {
    let n = app.store.last_revision(code)?;
    Ok((n > 0).then_some(n))
}

/// Proposes a new indicator. Without a code, the next free one of its type's series is given
/// (again, if someone takes it meanwhile).
pub fn propose_create(
    app: &Curation,
    actor: &Actor,
    input: IndicatorInput,
    reason: &str,
) -> Result<Proposal> {
    let reason = require_reason(reason)?;
    let numbered = input.code.trim().is_empty();
    let mut tries = 0;
    loop {
        match try_propose_create(app, actor, input.clone(), &reason) {
            Err(CurationError::Conflict(_)) if numbered && tries < 5 => tries += 1,
            r => return r,
        }
    }
}

fn try_propose_create(
    app: &Curation,
    actor: &Actor,
    mut input: IndicatorInput,
    reason: &str,
) -> Result<Proposal> {
    let mut book = CodeBook::load(app)?;
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
    let ind = check(app, input)?;
    let dups = near_duplicates(app, &ind)?;
    let title = format!("新增指标 {} {}", ind.code, ind.name);
    open_proposal(
        app,
        actor,
        ProposalKind::Create,
        title,
        reason.to_string(),
        vec![ProposedChange {
            base: None,
            after: ind,
        }],
        dups.iter().map(NearDuplicate::warning).collect(),
        dups.into_iter().map(|d| (d.code, d.name)).collect(),
    )
}

/// Turns an open proposal for a new indicator into adding its name (and aliases) to an existing
/// indicator it duplicates: the edit is proposed, then the original proposal is withdrawn.
pub fn fold_into(app: &Curation, actor: &Actor, id: u64, into: &str) -> Result<Proposal> {
    let p = proposal(app, id)?;
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
    let target = active(app, into)?;
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
    edit_proposal(app, actor, into, input, &reason, Some((withdrawn, audit)))
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

/// Proposes a new state of a published indicator.
pub fn propose_edit(
    app: &Curation,
    actor: &Actor,
    code: &str,
    input: IndicatorInput,
    reason: &str,
) -> Result<Proposal> {
    edit_proposal(app, actor, code, input, reason, None)
}

fn edit_proposal(
    app: &Curation,
    actor: &Actor,
    code: &str,
    input: IndicatorInput,
    reason: &str,
    replacing: Replacing,
) -> Result<Proposal> {
    let reason = require_reason(reason)?;
    let before = active(app, code)?;
    no_open_proposal_on(app, &[code])?;
    if input.code.trim() != code {
        return Err(CurationError::BadRequest(
            "指标编码不能修改（需要新编码时请新增指标并停用旧指标）".into(),
        ));
    }
    let after = check(app, input)?;
    let changes = diff(&before, &after);
    if changes.is_empty() {
        return Err(CurationError::BadRequest(
            "提交的内容与当前版本相同，没有需要审核的修改".into(),
        ));
    }
    let warnings = if before.name != after.name {
        near_duplicates(app, &after)?
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
    library_allows(app, std::slice::from_ref(&after))?;
    let changes = vec![ProposedChange {
        base: base_of(app, code)?,
        after,
    }];
    let p = new_proposal(actor, ProposalKind::Edit, title, reason, changes, warnings);
    open_replacing(app, actor, p, replacing)
}

/// Proposes to retire an indicator; links to it will lead to `replaced_by` when given.
pub fn propose_retire(
    app: &Curation,
    actor: &Actor,
    code: &str,
    replaced_by: Option<&str>,
    reason: &str,
) -> Result<Proposal> {
    let reason = require_reason(reason)?;
    let before = active(app, code)?;
    no_open_proposal_on(app, &[code])?;
    let replacement = match replaced_by.map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(r) if r == code => {
            return Err(CurationError::BadRequest(
                "替代指标不能是被停用的指标本身".into(),
            ));
        }
        Some(r) => Some(active(app, r)?),
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
    open_proposal(
        app,
        actor,
        ProposalKind::Retire,
        title,
        reason,
        vec![ProposedChange {
            base: base_of(app, code)?,
            after,
        }],
        vec![],
        Vec::new(),
    )
}

/// Proposes to merge `code` into `into`: `code` is retired with `into` as replacement, and
/// `into` takes over its name and aliases as aliases and its project types.
pub fn propose_merge(
    app: &Curation,
    actor: &Actor,
    code: &str,
    into: &str,
    reason: &str,
) -> Result<Proposal> {
    let reason = require_reason(reason)?;
    if code == into {
        return Err(CurationError::BadRequest("不能把指标合并到它自身".into()));
    }
    let from = active(app, code)?;
    let target = active(app, into)?;
    no_open_proposal_on(app, &[code, into])?;
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
    open_proposal(
        app,
        actor,
        ProposalKind::Merge,
        title,
        reason,
        vec![
            ProposedChange {
                base: base_of(app, code)?,
                after: retired,
            },
            ProposedChange {
                base: base_of(app, into)?,
                after: kept,
            },
        ],
        vec![],
        Vec::new(),
    )
}

/// Proposes to bring back revision `n` of an indicator as its next revision.
pub fn propose_restore(
    app: &Curation,
    actor: &Actor,
    code: &str,
    n: u32,
    reason: &str,
) -> Result<Proposal> {
    let reason = require_reason(reason)?;
    let before = current(app, code)?;
    no_open_proposal_on(app, &[code])?;
    let old = app
        .store
        .revision(code, n)?
        .ok_or_else(|| CurationError::NotFound(format!("指标 {code} 没有第 {n} 版")))?;
    if diff(&before, &old.indicator).is_empty() {
        return Err(CurationError::BadRequest(format!(
            "第 {n} 版与当前版本内容相同，无需恢复"
        )));
    }
    let title = format!("恢复指标 {code} {} 的第 {n} 版", before.name);
    open_proposal(
        app,
        actor,
        ProposalKind::Restore,
        title,
        reason,
        vec![ProposedChange {
            base: base_of(app, code)?,
            after: old.indicator,
        }],
        vec![],
        Vec::new(),
    )
}

/// Opens the batch proposal of a bulk import.
pub fn propose_import(
    app: &Curation,
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
    no_open_proposal_on(app, &codes)?;
    let title = format!("批量导入 {file}（{} 个指标）", changes.len());
    open_proposal(
        app,
        actor,
        ProposalKind::Import,
        title,
        reason,
        changes,
        warnings,
        Vec::new(),
    )
}

fn proposal(app: &Curation, id: u64) -> Result<Proposal> {
    app.store
        .proposal(id)?
        .ok_or_else(|| CurationError::NotFound(format!("提案 P{id} 不存在")))
}

/// Approves proposals together: every change is published in one transaction (all or none),
/// then the search index is updated, so search and pages show the new revisions at once.
/// The checks below give early answers; the store makes them again in the transaction that
/// publishes (still open, not the reviewer's own, every base still current), so two reviewers
/// approving at once publish a proposal once and the second is refused.
pub fn approve(app: &Curation, actor: &Actor, ids: &[u64], comment: &str) -> Result<Approval> {
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
        let p = proposal(app, id)?;
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
    library_allows(app, &after)?;
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
    let published = app.publish(
        Commit {
            decisions,
            audit,
            ..Commit::default()
        },
        &meta,
    )?;
    // A new indicator drafted from evaluation practice takes over the rows it was drafted from.
    let catalog = app.search.catalog();
    for ind in published
        .committed
        .revisions
        .iter()
        .map(|r| &r.indicator)
        .filter(|i| i.provenance == Provenance::Evaluations)
    {
        let n = crate::evaluations::adopt_candidate(
            &app.store,
            &catalog,
            ind.code.as_str(),
            &actor.user,
        )?;
        if n > 0 {
            tracing::info!(code = %ind.code, rows = n, "evaluation rows linked to the new indicator");
        }
    }
    Ok(Approval {
        proposals: published.committed.proposals,
        index_stale: published.index_stale,
    })
}

/// Rejects a proposal with a comment; nothing published changes.
pub fn reject(app: &Curation, actor: &Actor, id: u64, comment: &str) -> Result<Proposal> {
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
    let p = proposal(app, id)?;
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
    Ok(app.store.decide(
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
pub fn withdraw(app: &Curation, actor: &Actor, id: u64) -> Result<Proposal> {
    let p = proposal(app, id)?;
    if p.author != actor.user {
        return Err(CurationError::Forbidden("只有提出人可以撤回提案".into()));
    }
    if !p.is_open() {
        return Err(CurationError::Conflict(format!(
            "提案 P{id} 已是“{}”状态",
            p.state.label()
        )));
    }
    Ok(app.store.decide(
        Decision {
            id,
            state: ProposalState::Withdrawn,
            by: None,
            comment: String::new(),
        },
        actor.audit("撤回", &format!("P{id}"), p.title.clone()),
    )?)
}

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

pub fn change_views(app: &Curation, p: &Proposal) -> Result<Vec<ChangeView>> {
    let catalog = app.search.catalog();
    p.changes
        .iter()
        .map(|c| {
            let code = c.after.code.as_str();
            // Compare with the state it was proposed against, so a reviewer sees what the author
            // meant even when the proposal has been decided since.
            let before = match c.base {
                Some(n) => app.store.revision(code, n)?.map(|r| r.indicator),
                None => None,
            };
            let kind = crate::domain::revision::classify(before.as_ref(), &c.after)
                .unwrap_or(ChangeKind::Immaterial);
            Ok(ChangeView {
                code: code.to_string(),
                name: c.after.name.clone(),
                base: c.base,
                current: base_of(app, code)?,
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

/// Checks an edition name: `2026.2`, `2027.1-试行` ...
pub fn check_edition_name(name: &str) -> Result<()> {
    let n = name.trim();
    if n.is_empty() || n.chars().count() > 32 {
        return Err(CurationError::BadRequest(
            "版本号应为 1–32 个字符，例如 2026.2".into(),
        ));
    }
    if n.chars().any(|c| c.is_whitespace() || "/\\?#%".contains(c)) {
        return Err(CurationError::BadRequest(
            "版本号不能含空格或 / \\ ? # %".into(),
        ));
    }
    Ok(())
}

/// Freezes the published state as a new edition (admin only).
pub fn freeze(app: &Curation, actor: &Actor, name: &str) -> Result<Edition> {
    if !actor.role.allows(Role::Admin) {
        return Err(CurationError::Forbidden("只有管理员可以发布版本".into()));
    }
    check_edition_name(name)?;
    let name = name.trim();
    let ed = app.store.freeze_edition(
        name,
        &actor.user,
        actor.audit("发布版本", name, "冻结当前已发布指标"),
    )?;
    app.search.set_catalog(
        app.store
            .catalog()?
            .ok_or_else(|| CurationError::Conflict("数据库中没有目录信息".into()))?,
    );
    Ok(ed)
}

pub fn edition(app: &Curation, name: &str) -> Result<Edition> {
    app.store
        .edition(name)?
        .ok_or_else(|| CurationError::NotFound(format!("版本 {name} 不存在")))
}

/// Release notes from edition `a` to edition `b`.
pub fn edition_diff(app: &Curation, a: &str, b: &str) -> Result<Vec<NoteEntry>> {
    let (ea, eb) = (edition(app, a)?, edition(app, b)?);
    Ok(notes_between(&ea, &eb, |code, n| {
        app.store
            .revision(code, n)
            .ok()
            .flatten()
            .map(|r| r.indicator)
    }))
}

/// Release notes of an edition against the one frozen before it (all new for the first).
pub fn release_notes(app: &Curation, name: &str) -> Result<(Option<String>, Vec<NoteEntry>)> {
    let eds = app.store.editions()?;
    let Some(pos) = eds.iter().position(|e| e.name == name) else {
        return Err(CurationError::NotFound(format!("版本 {name} 不存在")));
    };
    let empty = Edition {
        name: String::new(),
        frozen_at: eds[pos].frozen_at,
        frozen_by: String::new(),
        members: vec![],
        source_hash: None,
    };
    let prev = if pos > 0 { &eds[pos - 1] } else { &empty };
    let notes = notes_between(prev, &eds[pos], |code, n| {
        app.store
            .revision(code, n)
            .ok()
            .flatten()
            .map(|r| r.indicator)
    });
    Ok(((pos > 0).then(|| prev.name.clone()), notes))
}

/// The indicators of an edition, each in the revision it holds.
pub fn edition_indicators(app: &Curation, name: &str) -> Result<Vec<Indicator>> {
    let ed = edition(app, name)?;
    let mut out = Vec::with_capacity(ed.members.len());
    for (code, n) in &ed.members {
        let r = app.store.revision(code, *n)?.ok_or_else(|| {
            CurationError::Conflict(format!("版本 {name} 引用的 {code} 第 {n} 版缺失"))
        })?;
        out.push(r.indicator);
    }
    Ok(out)
}

/// Parses a code given by a user, with a clear error.
pub fn parse_code(s: &str) -> Result<Code> {
    Code::parse(s).map_err(CurationError::BadRequest)
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

    #[test]
    fn edition_names_are_checked() {
        assert!(check_edition_name("2026.2").is_ok());
        assert!(check_edition_name("").is_err());
        assert!(check_edition_name("2026 2").is_err());
        assert!(check_edition_name("a/b").is_err());
    }
}
