//! Accounts, sessions, proposals, the audit log and the curator inbox.
//!
//! A proposal is opened and decided in transactions that check what they rely on as the
//! store then is: one open proposal per indicator (`open_codes`), changes made against the
//! revision still published, a decision only on a proposal still open.

use super::{
    Abort, ChangeMeta, Commit, Result, Store, StoreError, TxResult, checked_tx, decode, decode_kv,
    decode_tx, encode, head_tx, refuse, tx_result,
};
use crate::domain::{AuditEntry, Edition, Indicator, Proposal, ProposalState, Session, User};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sled::transaction::{
    ConflictableTransactionError, TransactionError, Transactional, TransactionalTree,
};

const PROPOSAL_COUNTER: &[u8] = b"proposal_counter";

/// A write refused because the stored state moved on; answered as 409.
pub type StoreConflict = String;

/// A search that found nothing, kept without anything about who searched.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Miss {
    pub query: String,
    pub count: u64,
    pub last: DateTime<Utc>,
}

/// A decision on an open proposal. The store applies it to the proposal as stored, in the
/// transaction of the commit that carries it, and refuses it if the proposal was decided
/// meanwhile; an approval also publishes the proposal's changes (as stored), provided each was
/// made against the revision still published and the approver is not the author.
#[derive(Debug, Clone)]
pub struct Decision {
    pub id: u64,
    /// `Approved`, `Rejected` or `Withdrawn`.
    pub state: ProposalState,
    /// Who decided (`None` when the author withdraws).
    pub by: Option<String>,
    pub comment: String,
}

impl Decision {
    /// What the decision does, as a refusal names it.
    fn verb(&self) -> &'static str {
        match self.state {
            ProposalState::Approved => "审核",
            ProposalState::Rejected => "驳回",
            _ => "撤回",
        }
    }
}

/// Why a change's base no longer holds, in words for the person who asked.
fn moved_message(code: &str, base: Option<u32>, now: Option<u32>) -> String {
    match (base, now) {
        (None, Some(_)) => format!("指标编码 {code} 已被使用（编码永不复用），请重新提出"),
        (Some(b), Some(n)) => format!(
            "指标 {code} 在提案提出后已修改（提案基于第 {b} 版，当前为第 {n} 版），请重新提出"
        ),
        _ => format!("指标 {code} 的状态已变化，请重新提出"),
    }
}

/// Refuses when any change of `p` was made against another revision than the one now
/// published, or touches an indicator another open proposal changes.
fn check_changes(
    p: &Proposal,
    heads: &TransactionalTree,
    open: &TransactionalTree,
) -> TxResult<()> {
    for c in &p.changes {
        let code = c.after.code.as_str();
        if let Some(v) = open.get(code.as_bytes())? {
            let other = u64::from_be_bytes(v.as_ref().try_into().unwrap_or_default());
            if other != p.id {
                return refuse(StoreError::Conflict(format!(
                    "指标 {code} 已有待审核的修改（提案 P{other}），请先处理该提案"
                )));
            }
        }
        let now = head_tx(heads, code)?;
        if now != c.base {
            return refuse(StoreError::Conflict(moved_message(code, c.base, now)));
        }
    }
    Ok(())
}

/// Applies decisions to the stored proposals inside a commit's transaction: each must still be
/// open; its indicators are released from `open_codes`. Returns each decided proposal (not yet
/// written: its published revisions are known only once the commit has numbered them) with the
/// changes an approval publishes.
pub(super) fn decide_tx(
    props: &TransactionalTree,
    open: &TransactionalTree,
    heads: &TransactionalTree,
    decisions: &[Decision],
) -> TxResult<Vec<(Proposal, Vec<Indicator>)>> {
    let now = Utc::now();
    let mut out = Vec::with_capacity(decisions.len());
    let mut published = std::collections::HashSet::new();
    for d in decisions {
        let key = d.id.to_be_bytes();
        let Some(v) = props.get(key)? else {
            return refuse(StoreError::Conflict(format!("提案 P{} 不存在", d.id)));
        };
        let mut p: Proposal = decode_tx(&key, &v)?;
        if !p.is_open() {
            return refuse(StoreError::Conflict(format!(
                "提案 P{} 已是“{}”状态，不能再{}",
                p.id,
                p.state.label(),
                d.verb()
            )));
        }
        let mut publish = Vec::new();
        if d.state == ProposalState::Approved {
            if d.by.as_deref() == Some(p.author.as_str()) {
                return refuse(StoreError::Forbidden(format!(
                    "不能审核自己提出的修改（提案 P{}），请由其他审核人员审核",
                    p.id
                )));
            }
            check_changes(&p, heads, open)?;
            // Each change is checked against the heads before any is written: two changes of
            // one indicator in one commit would both pass.
            for code in p.codes() {
                if !published.insert(code.to_string()) {
                    return refuse(StoreError::Conflict(format!(
                        "所选提案中有多个修改同一指标 {code}，请分别审核"
                    )));
                }
            }
            publish = p.changes.iter().map(|c| c.after.clone()).collect();
        }
        for code in p.codes() {
            if open.get(code.as_bytes())?.as_deref() == Some(&key[..]) {
                open.remove(code.as_bytes())?;
            }
        }
        p.state = d.state;
        p.decided_at = Some(now);
        if d.by.is_some() {
            p.decided_by = d.by.clone();
        }
        if !d.comment.is_empty() {
            p.comment = d.comment.clone();
        }
        out.push((p, publish));
    }
    Ok(out)
}

/// The longest query text kept in the curator inbox.
const MAX_MISS_CHARS: usize = 50;

impl Store {
    /// Adds or replaces a user, flushed, with its audit entry in the same transaction.
    pub fn put_user(&self, user: &User, audit: AuditEntry) -> Result<()> {
        self.write(|d| {
            let mut audit = audit;
            audit.seq = d.db.generate_id()?;
            let r: std::result::Result<(), TransactionError<()>> = (&d.users, &d.audit)
                .transaction(|(u, log)| {
                    u.insert(user.name.as_bytes(), encode(user))?;
                    log.insert(&audit.seq.to_be_bytes(), encode(&audit))?;
                    Ok::<(), ConflictableTransactionError<()>>(())
                });
            tx_result(r)
        })
    }

    pub fn user(&self, name: &str) -> Result<Option<User>> {
        self.with(|d| {
            d.users
                .get(name.as_bytes())?
                .map(|v| decode(name.as_bytes(), &v))
                .transpose()
        })
    }

    pub fn users(&self) -> Result<Vec<User>> {
        self.with(|d| d.users.iter().map(decode_kv).collect())
    }

    /// The enabled user whose API token hashes to `hash`.
    pub fn user_by_token(&self, hash: &str) -> Result<Option<User>> {
        Ok(self
            .users()?
            .into_iter()
            .find(|u| !u.disabled && u.token_hash.as_deref() == Some(hash)))
    }

    pub fn put_session(&self, hash: &str, s: &Session) -> Result<()> {
        self.write(|d| {
            d.sessions.insert(hash.as_bytes(), encode(s))?;
            Ok(())
        })
    }

    /// A live session; expired ones are removed when met.
    pub fn session(&self, hash: &str) -> Result<Option<Session>> {
        self.with(|d| {
            let Some(v) = d.sessions.get(hash.as_bytes())? else {
                return Ok(None);
            };
            let s: Session = decode(hash.as_bytes(), &v)?;
            if s.expires <= Utc::now() {
                d.sessions.remove(hash.as_bytes())?;
                return Ok(None);
            }
            Ok(Some(s))
        })
    }

    pub fn delete_session(&self, hash: &str) -> Result<()> {
        self.write(|d| {
            d.sessions.remove(hash.as_bytes())?;
            Ok(())
        })
    }

    /// Ends every session of a user (after a password change or when disabled).
    pub fn delete_sessions_of(&self, user: &str) -> Result<()> {
        self.write(|d| {
            for kv in d.sessions.iter() {
                let (k, v) = kv?;
                let s: Session = decode(&k, &v)?;
                if s.user == user {
                    d.sessions.remove(k)?;
                }
            }
            Ok(())
        })
    }

    /// Stores a new proposal under the next number, with its audit entry, in one transaction
    /// that refuses it (`Conflict`) when another open proposal changes one of its indicators
    /// or when one of them was revised since the proposal was made (a new code: taken since).
    /// `replacing` is withdrawn in the same transaction (a new indicator folded into an edit).
    pub fn create_proposal(
        &self,
        mut p: Proposal,
        audit: AuditEntry,
        replacing: Option<(Decision, AuditEntry)>,
    ) -> Result<Proposal> {
        let id = self.write(|d| {
            let mut audit = audit;
            audit.seq = d.db.generate_id()?;
            let replacing = match replacing {
                Some((decision, mut a)) => {
                    a.seq = d.db.generate_id()?;
                    Some((decision, a))
                }
                None => None,
            };
            let r = (&d.meta, &d.proposals, &d.audit, &d.open_codes, &d.heads).transaction(
                |(m, props, log, open, heads)| {
                    if let Some((decision, a)) = &replacing {
                        for (old, _) in
                            decide_tx(props, open, heads, std::slice::from_ref(decision))?
                        {
                            props.insert(&old.id.to_be_bytes(), encode(&old))?;
                        }
                        log.insert(&a.seq.to_be_bytes(), encode(a))?;
                    }
                    let next = match m.get(PROPOSAL_COUNTER)? {
                        Some(v) => serde_json::from_slice::<u64>(&v).unwrap_or(0) + 1,
                        None => 1,
                    };
                    let mut p = p.clone();
                    p.id = next;
                    check_changes(&p, heads, open)?;
                    m.insert(PROPOSAL_COUNTER, encode(&next))?;
                    for code in p.codes() {
                        open.insert(code.as_bytes(), &next.to_be_bytes())?;
                    }
                    let mut a = audit.clone();
                    a.target = format!("P{next}");
                    props.insert(&next.to_be_bytes(), encode(&p))?;
                    log.insert(&a.seq.to_be_bytes(), encode(&a))?;
                    Ok::<u64, ConflictableTransactionError<Abort>>(next)
                },
            );
            Ok(checked_tx(r)?.expect("opening a proposal lists no heads"))
        })?;
        p.id = id;
        Ok(p)
    }

    /// Stores new proposals under the next numbers, in order, with their audit entries, in one
    /// transaction that refuses them all (`Conflict`) on the checks `create_proposal` makes.
    pub fn create_proposals(&self, ps: Vec<(Proposal, AuditEntry)>) -> Result<Vec<Proposal>> {
        let first = self.write(|d| {
            let mut ps = ps.clone();
            for (_, a) in &mut ps {
                a.seq = d.db.generate_id()?;
            }
            let r = (&d.meta, &d.proposals, &d.audit, &d.open_codes, &d.heads).transaction(
                |(m, props, log, open, heads)| {
                    let first = match m.get(PROPOSAL_COUNTER)? {
                        Some(v) => serde_json::from_slice::<u64>(&v).unwrap_or(0) + 1,
                        None => 1,
                    };
                    for (i, (p, a)) in ps.iter().enumerate() {
                        let id = first + i as u64;
                        let mut p = p.clone();
                        p.id = id;
                        check_changes(&p, heads, open)?;
                        for code in p.codes() {
                            open.insert(code.as_bytes(), &id.to_be_bytes())?;
                        }
                        let mut a = a.clone();
                        a.target = format!("P{id}");
                        props.insert(&id.to_be_bytes(), encode(&p))?;
                        log.insert(&a.seq.to_be_bytes(), encode(&a))?;
                    }
                    m.insert(PROPOSAL_COUNTER, encode(&(first + ps.len() as u64 - 1)))?;
                    Ok::<u64, ConflictableTransactionError<Abort>>(first)
                },
            );
            Ok(checked_tx(r)?.expect("opening proposals lists no heads"))
        })?;
        Ok(ps
            .into_iter()
            .enumerate()
            .map(|(i, (mut p, _))| {
                p.id = first + i as u64;
                p
            })
            .collect())
    }

    pub fn proposal(&self, id: u64) -> Result<Option<Proposal>> {
        self.with(|d| {
            d.proposals
                .get(id.to_be_bytes())?
                .map(|v| decode(&id.to_be_bytes(), &v))
                .transpose()
        })
    }

    /// Proposals, newest first, optionally in one state.
    pub fn proposals(&self, state: Option<ProposalState>) -> Result<Vec<Proposal>> {
        self.with(|d| {
            let mut out = Vec::new();
            for kv in d.proposals.iter().rev() {
                let (k, v) = kv?;
                let p: Proposal = decode(&k, &v)?;
                if state.is_none_or(|s| s == p.state) {
                    out.push(p);
                }
            }
            Ok(out)
        })
    }

    /// The open proposal that changes `code`, if any.
    pub fn open_proposal_on(&self, code: &str) -> Result<Option<u64>> {
        self.with(|d| {
            Ok(d.open_codes
                .get(code.as_bytes())?
                .and_then(|v| v.as_ref().try_into().ok().map(u64::from_be_bytes)))
        })
    }

    /// Records a decision that publishes nothing (reject, withdraw), with its audit entry;
    /// refused (`Conflict`) when the proposal was decided meanwhile. Returns it as stored.
    pub fn decide(&self, decision: Decision, audit: AuditEntry) -> Result<Proposal> {
        debug_assert_ne!(decision.state, ProposalState::Approved, "approvals publish");
        let committed = self.commit(
            Commit {
                decisions: vec![decision],
                audit: vec![audit],
                ..Commit::default()
            },
            &ChangeMeta {
                author: String::new(),
                reviewer: None,
                reason: String::new(),
            },
        )?;
        Ok(committed
            .proposals
            .into_iter()
            .next()
            .expect("one decision, one proposal"))
    }

    /// Freezes the current published state as edition `name`, which becomes the catalog's edition.
    pub fn freeze_edition(&self, name: &str, by: &str, audit: AuditEntry) -> Result<Edition> {
        if self.edition(name)?.is_some() {
            return Err(StoreError::Conflict(format!("版本“{name}”已存在")));
        }
        let mut catalog = self
            .catalog()?
            .ok_or_else(|| StoreError::Conflict("数据库中没有目录信息".into()))?;
        catalog.edition = name.to_string();
        self.commit(
            Commit {
                catalog: Some(&catalog),
                freeze: Some(name),
                audit: vec![audit],
                ..Commit::default()
            },
            &ChangeMeta {
                author: by.to_string(),
                reviewer: None,
                reason: format!("冻结版本 {name}"),
            },
        )?;
        self.edition(name)?
            .ok_or_else(|| StoreError::Conflict(format!("版本“{name}”未写入")))
    }

    /// Appends to the audit log (writes that carry no versioned change).
    pub fn append_audit(&self, mut a: AuditEntry) -> Result<()> {
        self.write(|d| {
            a.seq = d.db.generate_id()?;
            d.audit.insert(a.seq.to_be_bytes(), encode(&a))?;
            Ok(())
        })
    }

    /// Audit entries, newest first: `skip` then at most `limit`.
    pub fn audit(&self, skip: usize, limit: usize) -> Result<Vec<AuditEntry>> {
        self.with(|d| {
            d.audit
                .iter()
                .rev()
                .skip(skip)
                .take(limit)
                .map(decode_kv)
                .collect()
        })
    }

    pub fn audit_len(&self) -> usize {
        self.db().map_or(0, |d| d.audit.len())
    }

    /// Counts a search that found nothing. Not flushed: losing the last few counts in a crash
    /// is harmless, and searches must stay cheap.
    pub fn record_miss(&self, query: &str) -> Result<()> {
        // Counted in normalised form, so one query typed two ways is one line of the inbox.
        let query: String = crate::text::normalize(query.trim())
            .chars()
            .take(MAX_MISS_CHARS)
            .collect();
        let query = query.as_str();
        let key = query.as_bytes();
        let now = Utc::now();
        self.with(|d| {
            d.misses.fetch_and_update(key, |old| {
                let count = old
                    .and_then(|v| serde_json::from_slice::<Miss>(v).ok())
                    .map_or(1, |m| m.count + 1);
                Some(encode(&Miss {
                    query: query.to_string(),
                    count,
                    last: now,
                }))
            })?;
            Ok(())
        })
    }

    /// Searches that found nothing, most frequent first.
    pub fn misses(&self, limit: usize) -> Result<Vec<Miss>> {
        let mut all: Vec<Miss> =
            self.with(|d| d.misses.iter().map(decode_kv).collect::<Result<_>>())?;
        all.sort_by(|a, b| b.count.cmp(&a.count).then(b.last.cmp(&a.last)));
        all.truncate(limit);
        Ok(all)
    }

    /// Forgets a miss once a curator has dealt with it.
    pub fn dismiss_miss(&self, query: &str) -> Result<()> {
        self.with(|d| {
            d.misses.remove(query.as_bytes())?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ProposalKind, Role};

    fn entry() -> AuditEntry {
        AuditEntry {
            seq: 0,
            at: Utc::now(),
            actor: "t".into(),
            action: "test".into(),
            target: String::new(),
            detail: String::new(),
            address: "127.0.0.1".into(),
        }
    }

    /// A store with the bundled library loaded, and a proposal by `a` to change `code`'s target.
    fn library_store(dir: &std::path::Path) -> Store {
        let store = Store::open(dir, 8 << 20).unwrap();
        let lib = crate::ingest::library::load_dir(&crate::ingest::library::default_dir()).unwrap();
        store.sync_library(lib, "test").unwrap();
        store
    }

    /// An open proposal by `a`, not yet stored.
    fn open_by_a(kind: ProposalKind, changes: Vec<crate::domain::ProposedChange>) -> Proposal {
        Proposal {
            id: 0,
            kind,
            title: "x".into(),
            reason: "r".into(),
            author: "a".into(),
            created: Utc::now(),
            changes,
            warnings: vec![],
            duplicates: vec![],
            state: ProposalState::Open,
            decided_by: None,
            decided_at: None,
            comment: String::new(),
            published: vec![],
            candidate: None,
        }
    }

    fn edit(store: &Store, code: &str, target: &str, base: u32) -> Proposal {
        let mut after = store.indicator(code).unwrap().unwrap();
        after.target = target.into();
        let change = crate::domain::ProposedChange {
            base: Some(base),
            after,
        };
        open_by_a(ProposalKind::Edit, vec![change])
    }

    fn approval(id: u64, by: &str) -> Commit<'static> {
        Commit {
            decisions: vec![Decision {
                id,
                state: ProposalState::Approved,
                by: Some(by.into()),
                comment: String::new(),
            }],
            audit: vec![entry()],
            ..Commit::default()
        }
    }

    fn meta() -> ChangeMeta {
        ChangeMeta {
            author: "a".into(),
            reviewer: Some("r".into()),
            reason: "r".into(),
        }
    }

    fn refused<T: std::fmt::Debug>(r: Result<T>) -> String {
        match r {
            Err(StoreError::Conflict(m) | StoreError::Forbidden(m)) => m,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn one_open_proposal_per_indicator_and_each_decision_is_taken_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = library_store(dir.path());
        let p = store
            .create_proposal(edit(&store, "JZ-001", "1", 1), entry(), None)
            .unwrap();
        let m = refused(store.create_proposal(edit(&store, "JZ-001", "2", 1), entry(), None));
        assert!(m.contains(&format!("P{}", p.id)), "{m}");
        assert_eq!(store.open_proposal_on("JZ-001").unwrap(), Some(p.id));

        let logged = store.audit_len();
        let m = refused(store.commit(approval(p.id, "a"), &meta()));
        assert!(m.contains("自己"), "{m}");
        let done = store.commit(approval(p.id, "r"), &meta()).unwrap();
        assert_eq!(done.revisions.len(), 1);
        assert_eq!(done.revisions[0].number, 2);
        assert_eq!(done.proposals[0].published, vec![("JZ-001".to_string(), 2)]);
        assert_eq!(done.proposals[0].decided_by.as_deref(), Some("r"));
        assert!(done.moved);
        assert_eq!(store.audit_len(), logged + 1);
        // The second approval is refused and leaves no trace.
        let m = refused(store.commit(approval(p.id, "r"), &meta()));
        assert!(m.contains("已通过"), "{m}");
        assert_eq!(store.audit_len(), logged + 1);
        assert_eq!(store.revisions("JZ-001").unwrap().len(), 2);
        assert_eq!(store.open_proposal_on("JZ-001").unwrap(), None);
        // The indicator is free again, but only against the revision now published.
        let m = refused(store.create_proposal(edit(&store, "JZ-001", "3", 1), entry(), None));
        assert!(m.contains("第 2 版"), "{m}");
        store
            .create_proposal(edit(&store, "JZ-001", "3", 2), entry(), None)
            .unwrap();
    }

    #[test]
    fn an_approval_made_against_an_old_revision_publishes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = library_store(dir.path());
        let p = store
            .create_proposal(edit(&store, "JZ-002", "1", 1), entry(), None)
            .unwrap();
        // Published meanwhile, e.g. from the library files.
        let mut other = store.indicator("JZ-002").unwrap().unwrap();
        other.target = "9".into();
        store
            .publish(vec![other], &meta(), None, None, None)
            .unwrap();
        let generation = store.generation().unwrap();
        let m = refused(store.commit(approval(p.id, "r"), &meta()));
        assert!(m.contains("第 1 版") && m.contains("第 2 版"), "{m}");
        assert_eq!(store.generation().unwrap(), generation);
        assert!(store.proposal(p.id).unwrap().unwrap().is_open());
    }

    #[test]
    fn the_generation_moves_only_with_what_the_index_takes() {
        let dir = tempfile::tempdir().unwrap();
        let store = library_store(dir.path());
        let g = store.generation().unwrap();
        let p = store
            .create_proposal(edit(&store, "JZ-003", "1", 1), entry(), None)
            .unwrap();
        let rejected = store
            .decide(
                Decision {
                    id: p.id,
                    state: ProposalState::Rejected,
                    by: Some("r".into()),
                    comment: "不同意".into(),
                },
                entry(),
            )
            .unwrap();
        assert_eq!(rejected.state, ProposalState::Rejected);
        assert_eq!(rejected.comment, "不同意");
        // An edition renames the catalog's edition only: nothing to index.
        store.freeze_edition("2099.1", "admin", entry()).unwrap();
        assert_eq!(store.generation().unwrap(), g);
        let mut changed = store.indicator("JZ-003").unwrap().unwrap();
        changed.target = "7".into();
        store
            .publish(vec![changed], &meta(), None, None, None)
            .unwrap();
        assert_eq!(store.generation().unwrap(), g + 1);
    }

    /// Stores written before `open_codes` get it from their open proposals when opened.
    #[test]
    fn open_proposals_are_indexed_by_code_when_the_store_opens() {
        let dir = tempfile::tempdir().unwrap();
        let id = {
            let store = library_store(dir.path());
            let p = store
                .create_proposal(edit(&store, "JZ-004", "1", 1), entry(), None)
                .unwrap();
            let d = store.db().unwrap();
            d.open_codes.clear().unwrap();
            d.db.flush().unwrap();
            p.id
        };
        let store = Store::open(dir.path(), 8 << 20).unwrap();
        assert_eq!(store.open_proposal_on("JZ-004").unwrap(), Some(id));
        refused(store.create_proposal(edit(&store, "JZ-004", "2", 1), entry(), None));
    }

    #[test]
    fn proposals_are_numbered_and_audited() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 8 << 20).unwrap();
        let p = open_by_a(ProposalKind::Create, vec![]);
        let a = store.create_proposal(p.clone(), entry(), None).unwrap();
        let b = store.create_proposal(p, entry(), None).unwrap();
        assert_eq!((a.id, b.id), (1, 2));
        assert_eq!(store.proposals(Some(ProposalState::Open)).unwrap().len(), 2);
        let log = store.audit(0, 10).unwrap();
        assert_eq!(log.len(), 2);
        assert_eq!(log[0].target, "P2");
        assert!(log[0].seq > log[1].seq);
    }

    #[test]
    fn users_sessions_and_misses() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 8 << 20).unwrap();
        let u = User {
            name: "li".into(),
            display: "李".into(),
            role: Role::Editor,
            password_hash: "x".into(),
            token_hash: Some("h".into()),
            created: Utc::now(),
            disabled: false,
        };
        store.put_user(&u, entry()).unwrap();
        assert_eq!(store.user_by_token("h").unwrap().unwrap().name, "li");
        let s = Session {
            user: "li".into(),
            csrf: "c".into(),
            created: Utc::now(),
            expires: Utc::now() - chrono::Duration::seconds(1),
        };
        store.put_session("k", &s).unwrap();
        assert!(store.session("k").unwrap().is_none(), "expired");
        store.record_miss("无人机").unwrap();
        store.record_miss("无人机").unwrap();
        store.record_miss("碳汇").unwrap();
        let m = store.misses(10).unwrap();
        assert_eq!((m[0].query.as_str(), m[0].count), ("无人机", 2));
        // Traditional characters and spaces around are the same query; long ones are cut.
        store.record_miss("  無人機 ").unwrap();
        store.record_miss(&"碳".repeat(80)).unwrap();
        let m = store.misses(10).unwrap();
        assert_eq!((m[0].query.as_str(), m[0].count), ("无人机", 3));
        let long = m.iter().find(|x| x.query.starts_with("碳碳")).unwrap();
        assert_eq!(long.query.chars().count(), MAX_MISS_CHARS);
    }
}
