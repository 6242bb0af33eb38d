//! Accounts, sessions, proposals, the audit log and the curator inbox.

use super::{ChangeMeta, Commit, Result, Store, StoreError, decode, decode_kv, encode, tx_result};
use crate::domain::{AuditEntry, Edition, Proposal, ProposalState, Session, User};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sled::transaction::{ConflictableTransactionError, TransactionError, Transactional};

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

impl Store {
    /// Adds or replaces a user, flushed, with its audit entry in the same transaction.
    pub fn put_user(&self, user: &User, audit: AuditEntry) -> Result<()> {
        let mut audit = audit;
        audit.seq = self.db.generate_id()?;
        let r: std::result::Result<(), TransactionError<()>> = (&self.users, &self.audit)
            .transaction(|(u, log)| {
                u.insert(user.name.as_bytes(), encode(user))?;
                log.insert(&audit.seq.to_be_bytes(), encode(&audit))?;
                Ok::<(), ConflictableTransactionError<()>>(())
            });
        tx_result(r)?;
        self.db.flush()?;
        Ok(())
    }

    pub fn user(&self, name: &str) -> Result<Option<User>> {
        self.users
            .get(name.as_bytes())?
            .map(|v| decode(name.as_bytes(), &v))
            .transpose()
    }

    pub fn users(&self) -> Result<Vec<User>> {
        self.users.iter().map(decode_kv).collect()
    }

    /// The enabled user whose API token hashes to `hash`.
    pub fn user_by_token(&self, hash: &str) -> Result<Option<User>> {
        Ok(self
            .users()?
            .into_iter()
            .find(|u| !u.disabled && u.token_hash.as_deref() == Some(hash)))
    }

    pub fn put_session(&self, hash: &str, s: &Session) -> Result<()> {
        self.sessions.insert(hash.as_bytes(), encode(s))?;
        self.db.flush()?;
        Ok(())
    }

    /// A live session; expired ones are removed when met.
    pub fn session(&self, hash: &str) -> Result<Option<Session>> {
        let Some(v) = self.sessions.get(hash.as_bytes())? else {
            return Ok(None);
        };
        let s: Session = decode(hash.as_bytes(), &v)?;
        if s.expires <= Utc::now() {
            self.sessions.remove(hash.as_bytes())?;
            return Ok(None);
        }
        Ok(Some(s))
    }

    pub fn delete_session(&self, hash: &str) -> Result<()> {
        self.sessions.remove(hash.as_bytes())?;
        self.db.flush()?;
        Ok(())
    }

    /// Ends every session of a user (after a password change or when disabled).
    pub fn delete_sessions_of(&self, user: &str) -> Result<()> {
        for kv in self.sessions.iter() {
            let (k, v) = kv?;
            let s: Session = decode(&k, &v)?;
            if s.user == user {
                self.sessions.remove(k)?;
            }
        }
        self.db.flush()?;
        Ok(())
    }

    /// Stores a new proposal under the next number, with its audit entry, in one transaction.
    pub fn create_proposal(&self, p: Proposal, audit: AuditEntry) -> Result<Proposal> {
        let mut out = self.create_proposals(vec![(p, audit)])?;
        Ok(out.pop().expect("one proposal in, one out"))
    }

    /// Stores new proposals under the next numbers, in order, with their audit entries, in one
    /// transaction.
    pub fn create_proposals(&self, ps: Vec<(Proposal, AuditEntry)>) -> Result<Vec<Proposal>> {
        let mut ps = ps;
        for (_, a) in &mut ps {
            a.seq = self.db.generate_id()?;
        }
        let r: std::result::Result<u64, TransactionError<()>> =
            (&self.meta, &self.proposals, &self.audit).transaction(|(m, props, log)| {
                let first = match m.get(PROPOSAL_COUNTER)? {
                    Some(v) => serde_json::from_slice::<u64>(&v).unwrap_or(0) + 1,
                    None => 1,
                };
                for (i, (p, a)) in ps.iter().enumerate() {
                    let id = first + i as u64;
                    let mut p = p.clone();
                    p.id = id;
                    let mut a = a.clone();
                    a.target = format!("P{id}");
                    props.insert(&id.to_be_bytes(), encode(&p))?;
                    log.insert(&a.seq.to_be_bytes(), encode(&a))?;
                }
                m.insert(PROPOSAL_COUNTER, encode(&(first + ps.len() as u64 - 1)))?;
                Ok::<u64, ConflictableTransactionError<()>>(first)
            });
        let first = tx_result(r)?;
        self.db.flush()?;
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
        self.proposals
            .get(id.to_be_bytes())?
            .map(|v| decode(&id.to_be_bytes(), &v))
            .transpose()
    }

    /// Proposals, newest first, optionally in one state.
    pub fn proposals(&self, state: Option<ProposalState>) -> Result<Vec<Proposal>> {
        let mut out = Vec::new();
        for kv in self.proposals.iter().rev() {
            let (k, v) = kv?;
            let p: Proposal = decode(&k, &v)?;
            if state.is_none_or(|s| s == p.state) {
                out.push(p);
            }
        }
        Ok(out)
    }

    /// Records a decision that publishes nothing (reject, withdraw), with its audit entry.
    pub fn close_proposal(&self, p: &Proposal, audit: AuditEntry) -> Result<()> {
        self.commit(
            Commit {
                proposals: vec![p.clone()],
                audit: vec![audit],
                ..Commit::default()
            },
            &ChangeMeta {
                author: String::new(),
                reviewer: None,
                reason: String::new(),
            },
        )?;
        Ok(())
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
        a.seq = self.db.generate_id()?;
        self.audit.insert(a.seq.to_be_bytes(), encode(&a))?;
        self.db.flush()?;
        Ok(())
    }

    /// Audit entries, newest first: `skip` then at most `limit`.
    pub fn audit(&self, skip: usize, limit: usize) -> Result<Vec<AuditEntry>> {
        self.audit
            .iter()
            .rev()
            .skip(skip)
            .take(limit)
            .map(decode_kv)
            .collect()
    }

    pub fn audit_len(&self) -> usize {
        self.audit.len()
    }

    /// Counts a search that found nothing. Not flushed: losing the last few counts in a crash
    /// is harmless, and searches must stay cheap.
    pub fn record_miss(&self, query: &str) -> Result<()> {
        let key = query.as_bytes();
        let now = Utc::now();
        self.misses.fetch_and_update(key, |old| {
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
    }

    /// Searches that found nothing, most frequent first.
    pub fn misses(&self, limit: usize) -> Result<Vec<Miss>> {
        let mut all: Vec<Miss> = self.misses.iter().map(decode_kv).collect::<Result<_>>()?;
        all.sort_by(|a, b| b.count.cmp(&a.count).then(b.last.cmp(&a.last)));
        all.truncate(limit);
        Ok(all)
    }

    /// Forgets a miss once a curator has dealt with it.
    pub fn dismiss_miss(&self, query: &str) -> Result<()> {
        self.misses.remove(query.as_bytes())?;
        Ok(())
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

    #[test]
    fn proposals_are_numbered_and_audited() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 8 << 20).unwrap();
        let p = Proposal {
            id: 0,
            kind: ProposalKind::Create,
            title: "x".into(),
            reason: "r".into(),
            author: "a".into(),
            created: Utc::now(),
            changes: vec![],
            warnings: vec![],
            duplicates: vec![],
            state: ProposalState::Open,
            decided_by: None,
            decided_at: None,
            comment: String::new(),
            published: vec![],
        };
        let a = store.create_proposal(p.clone(), entry()).unwrap();
        let b = store.create_proposal(p, entry()).unwrap();
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
    }
}
