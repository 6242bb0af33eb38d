//! Trainees' side of an exercise: the exercise a join code opens, their attempts started,
//! edited, submitted and compared with the model answer. Attempts are checked like drafts
//! (the same rules and size quota) but stored in training's own trees.

use super::{Result, Training, TrainingError};
use crate::domain::lint::LintFinding;
use crate::domain::training::{
    Attempt, Comparison, Exercise, SessionItem, TrainingSession, model_answer_coverage,
    normalize_join_code,
};
use crate::domain::{Draft, DraftRow, Role};
use chrono::Utc;

/// What the drafting page shows a trainee beyond the normal review check.
pub struct TraineeView {
    pub code: String,
    pub submitted: bool,
    pub comparison: Comparison,
    /// The trainee's row names, by index (for the rows the model answer does not have).
    pub names: Vec<String>,
    pub note: String,
}

impl TraineeView {
    pub fn extra_names(&self) -> Vec<&str> {
        self.comparison
            .extra
            .iter()
            .filter_map(|i| self.names.get(*i).map(String::as_str))
            .collect()
    }
}

/// A whole attempt sent in one call, checked, compared and submitted.
pub struct Submitted {
    pub attempt: Attempt,
    pub findings: Vec<LintFinding>,
    pub comparison: Comparison,
}

impl Training {
    /// The exercise a join code opens (typed loosely: case, spaces and dashes do not matter).
    pub fn exercise(&self, code: &str) -> Result<Exercise> {
        let found = match normalize_join_code(code) {
            Some(code) => self.store.exercise(&code)?,
            None => None,
        };
        found.ok_or_else(|| TrainingError::NotFound {
            code: "exercise_not_found",
            message: "没有这个练习码，请核对后重新输入".into(),
        })
    }

    pub fn attempt(&self, ex: &Exercise, id: &str) -> Result<Attempt> {
        self.store
            .attempt(&ex.code, id)?
            .ok_or_else(|| TrainingError::NotFound {
                code: "attempt_not_found",
                message: "没有这份练习（链接可能有误）".into(),
            })
    }

    /// A new attempt at `ex`, stored, starting from the exercise's rows.
    pub fn start_attempt(&self, ex: &Exercise) -> Result<Attempt> {
        let a = new_attempt(ex);
        self.store.put_attempt(&a)?;
        Ok(a)
    }

    /// How the attempt compares with the model answer, for its drafting page.
    pub fn trainee_view(&self, ex: &Exercise, a: &Attempt) -> TraineeView {
        TraineeView {
            code: ex.code.clone(),
            submitted: a.submitted.is_some(),
            comparison: model_answer_coverage(&ex.model, &a.draft.rows),
            names: a.draft.rows.iter().map(|r| r.name.clone()).collect(),
            note: self
                .example(&ex.project_type)
                .map(|e| e.note.clone())
                .unwrap_or_default(),
        }
    }

    /// Applies the drafting page's form to an attempt, submits it when the form says `submit=1`,
    /// and stores it; returns whether it was submitted.
    pub fn save_form(&self, a: &mut Attempt, fields: &[(String, String)]) -> Result<bool> {
        let notes = self.drafting.apply_form(&mut a.draft, fields)?;
        // A trainee's form is small: a field it cannot take is refused as before.
        if let Some(n) = notes.into_iter().find(|n| n.problem) {
            let e = crate::drafting::DraftingError::Invalid {
                code: "invalid_row",
                message: n.message,
            };
            return Err(e.into());
        }
        self.drafting.check_size(&a.draft)?;
        let submitted = fields.iter().any(|(k, v)| k == "submit" && v == "1");
        if submitted {
            submit(a, self.drafting.findings(&a.draft));
        }
        self.store.put_attempt(a)?;
        Ok(submitted)
    }

    /// A whole attempt from rows sent at once, checked but not stored (`submit_whole` does).
    /// The practice case is the trainer's: a trainee changes the rows, not the project.
    pub fn whole_attempt(&self, ex: &Exercise, mut rows: Vec<DraftRow>) -> Result<Attempt> {
        self.drafting.validate(&ex.project, &mut rows)?;
        let mut a = new_attempt(ex);
        a.draft.rows = rows;
        self.drafting.check_size(&a.draft)?;
        Ok(a)
    }

    /// Submits and stores an attempt from `whole_attempt`.
    pub fn submit_whole(&self, ex: &Exercise, mut a: Attempt) -> Result<Submitted> {
        let findings = self.drafting.findings(&a.draft);
        let findings = submit(&mut a, findings);
        self.store.put_attempt(&a)?;
        Ok(Submitted {
            comparison: model_answer_coverage(&ex.model, &a.draft.rows),
            attempt: a,
            findings,
        })
    }

    /// The sessions a signed-in person may change: their own, or all for an administrator.
    pub fn sessions_of(&self, user: &str, role: Role) -> Result<Vec<TrainingSession>> {
        if !role.allows(Role::Editor) {
            return Ok(vec![]);
        }
        Ok(self
            .store
            .training_sessions()?
            .into_iter()
            .filter(|s| s.owner == user || role.allows(Role::Admin))
            .collect())
    }

    /// A session's exercises with how many attempts each has.
    pub fn exercise_counts(&self, s: &TrainingSession) -> Vec<(String, usize)> {
        s.items
            .iter()
            .filter_map(|i| match i {
                SessionItem::Exercise { code } => {
                    let n = self.store.attempts(code).map(|a| a.len()).unwrap_or(0);
                    Some((code.clone(), n))
                }
                _ => None,
            })
            .collect()
    }
}

/// A new attempt at `ex` (not stored yet).
pub fn new_attempt(ex: &Exercise) -> Attempt {
    let now = Utc::now();
    let id = crate::drafting::new_id();
    Attempt {
        id: id.clone(),
        exercise: ex.code.clone(),
        draft: Draft {
            id,
            project: ex.project.clone(),
            rows: ex.start_rows.clone(),
            owner: None,
            created: now,
            updated: now,
        },
        submitted: None,
        rules: vec![],
    }
}

/// Records a submission: the rules the table breaks now, for the room's summary.
pub fn submit(a: &mut Attempt, f: Vec<LintFinding>) -> Vec<LintFinding> {
    let mut rules: Vec<String> = f.iter().map(|x| x.rule.to_string()).collect();
    rules.sort();
    rules.dedup();
    a.rules = rules;
    a.submitted = Some(Utc::now());
    f
}

#[cfg(test)]
mod tests {
    use super::super::testing::{exercise_session, service};
    use super::*;

    #[test]
    fn a_trainee_attempt_is_checked_submitted_and_counted() {
        let dir = tempfile::tempdir().unwrap();
        let t = service(dir.path());
        let (s, ex) = exercise_session(&t);
        let typed = ex.code.to_lowercase();
        assert_eq!(t.exercise(&typed).unwrap().code, ex.code);
        assert!(matches!(
            t.exercise("ZZZZZZ").unwrap_err(),
            TrainingError::NotFound {
                code: "exercise_not_found",
                ..
            }
        ));

        let a = t.whole_attempt(&ex, ex.model.clone()).unwrap();
        let done = t.submit_whole(&ex, a).unwrap();
        assert_eq!(done.comparison.covered, ex.model.len());
        assert!(done.attempt.submitted.is_some());
        assert_eq!(t.exercise_counts(&s), vec![(ex.code.clone(), 1)]);
        let stored = t.attempt(&ex, &done.attempt.id).unwrap();
        assert!(t.trainee_view(&ex, &stored).submitted);

        let mut started = t.start_attempt(&ex).unwrap();
        let form = [("submit".to_string(), "1".to_string())];
        assert!(t.save_form(&mut started, &form).unwrap());
        assert_eq!(t.summaries(&s).unwrap()[0].submitted, 2);
    }
}
