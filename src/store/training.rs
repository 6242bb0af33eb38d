//! Training's part of the store, kept apart from the library and from real drafts:
//! `training_sessions` (id → session), `training_exercises` (join code → exercise) and
//! `training_attempts` (join code 0x00 attempt id → attempt). Nothing here touches the
//! library's trees or the `drafts` tree, so a room of trainees cannot change either.

use super::{Result, Store, decode_kv, encode, read, tx_result};
use crate::domain::training::{Attempt, Exercise, TrainingSession};
use sled::Tree;
use sled::transaction::{ConflictableTransactionError, TransactionError, Transactional};

fn attempt_key(exercise: &str, id: &str) -> Vec<u8> {
    let mut k = exercise.as_bytes().to_vec();
    k.push(0);
    k.extend_from_slice(id.as_bytes());
    k
}

impl Store {
    fn training_trees(&self) -> Result<(Tree, Tree, Tree)> {
        self.with(|d| {
            Ok((
                d.db.open_tree("training_sessions")?,
                d.db.open_tree("training_exercises")?,
                d.db.open_tree("training_attempts")?,
            ))
        })
    }

    pub fn training_session(&self, id: &str) -> Result<Option<TrainingSession>> {
        let (sessions, _, _) = self.training_trees()?;
        read(&sessions, id.as_bytes())
    }

    /// Every session, newest first.
    pub fn training_sessions(&self) -> Result<Vec<TrainingSession>> {
        let (sessions, _, _) = self.training_trees()?;
        let mut v: Vec<TrainingSession> = sessions.iter().map(decode_kv).collect::<Result<_>>()?;
        v.sort_by_key(|s| std::cmp::Reverse(s.updated));
        Ok(v)
    }

    /// Writes a session with the exercises it created, in one transaction, flushed.
    pub fn put_training_session(&self, s: &TrainingSession, new: &[Exercise]) -> Result<()> {
        let (sessions, exercises, _) = self.training_trees()?;
        // Inside `write`: flushed, and a backup sees all of it or none.
        self.write(|_| {
            let result: std::result::Result<(), TransactionError<()>> = (&sessions, &exercises)
                .transaction(|(st, ex)| {
                    st.insert(s.id.as_bytes(), encode(s))?;
                    for e in new {
                        ex.insert(e.code.as_bytes(), encode(e))?;
                    }
                    Ok::<(), ConflictableTransactionError<()>>(())
                });
            tx_result(result)
        })
    }

    pub fn exercise(&self, code: &str) -> Result<Option<Exercise>> {
        let (_, exercises, _) = self.training_trees()?;
        read(&exercises, code.as_bytes())
    }

    pub fn put_attempt(&self, a: &Attempt) -> Result<()> {
        let (_, _, attempts) = self.training_trees()?;
        self.note(
            attempts
                .insert(attempt_key(&a.exercise, &a.id), encode(a))
                .map_err(Into::into),
            false,
        )?;
        self.flush()
    }

    pub fn attempt(&self, exercise: &str, id: &str) -> Result<Option<Attempt>> {
        let (_, _, attempts) = self.training_trees()?;
        let k = attempt_key(exercise, id);
        read(&attempts, &k)
    }

    /// Every attempt at one exercise.
    pub fn attempts(&self, exercise: &str) -> Result<Vec<Attempt>> {
        let (_, _, attempts) = self.training_trees()?;
        let mut prefix = exercise.as_bytes().to_vec();
        prefix.push(0);
        attempts.scan_prefix(prefix).map(decode_kv).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::training::{ExerciseStart, SessionItem};
    use crate::domain::{Draft, DraftProject};
    use chrono::Utc;

    fn project() -> DraftProject {
        DraftProject {
            name: "练习".into(),
            project_type: Some("road".into()),
            budget_wan: Some(100.0),
            ..Default::default()
        }
    }

    #[test]
    fn training_data_lives_in_its_own_trees_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 8 << 20).unwrap();
        let now = Utc::now();
        let ex = Exercise {
            code: "ABCDEF".into(),
            session: "s1".into(),
            project_type: "road".into(),
            project: project(),
            start: ExerciseStart::Blank,
            start_rows: vec![],
            model: vec![],
            created: now,
        };
        let s = TrainingSession {
            id: "s1".into(),
            title: "培训".into(),
            owner: "editor".into(),
            items: vec![SessionItem::Exercise {
                code: "ABCDEF".into(),
            }],
            created: now,
            updated: now,
        };
        store
            .put_training_session(&s, std::slice::from_ref(&ex))
            .unwrap();
        assert_eq!(store.training_session("s1").unwrap(), Some(s));
        assert_eq!(store.exercise("ABCDEF").unwrap(), Some(ex));
        let a = Attempt {
            id: "a1".into(),
            exercise: "ABCDEF".into(),
            draft: Draft {
                id: "a1".into(),
                project: project(),
                rows: vec![],
                owner: None,
                created: now,
                updated: now,
            },
            submitted: None,
            rules: vec![],
        };
        store.put_attempt(&a).unwrap();
        assert_eq!(store.attempts("ABCDEF").unwrap(), vec![a.clone()]);
        assert!(store.attempts("ABCDEG").unwrap().is_empty());
        assert_eq!(store.attempt("ABCDEF", "a1").unwrap(), Some(a));
        // Not a real draft.
        assert_eq!(store.draft("a1").unwrap(), None);
    }
}
