//! The list of imported projects as an index (`evaluation_list`), kept with the projects in
//! the same transaction: a key per project in the list's order (year, newest first; project
//! type; name; id) holding what a row of the list shows, and beside it keys by project type,
//! grade and budget unit pointing at it, so a page of the list, filtered or not, reads that
//! page and not every project. Counts (all projects, their rows, projects per year) live in
//! `evaluation_derived` under `n:` keys.

use crate::domain::{EvaluatedProject, Grade};
use serde::{Deserialize, Serialize};

/// A project as a row of the list shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListedProject {
    pub id: String,
    pub name: String,
    pub unit_name: String,
    pub year: i32,
    pub project_type: Option<String>,
    pub budget_wan: f64,
    pub execution_rate: f64,
    pub score: f64,
    pub grade: Grade,
    pub rows: usize,
    /// Rows linked with certainty.
    pub linked: usize,
    pub uncertain: usize,
    pub unmatched: usize,
    /// The file it was last imported from.
    pub file: String,
}

impl ListedProject {
    pub fn of(p: &EvaluatedProject, file: &str) -> ListedProject {
        let linked = p.rows.iter().filter(|r| r.certain_code().is_some()).count();
        let unmatched = p.rows.iter().filter(|r| r.matched.is_none()).count();
        ListedProject {
            id: p.id(),
            name: p.name.clone(),
            unit_name: p.unit_name.clone(),
            year: p.year,
            project_type: p.project_type.clone(),
            budget_wan: p.budget_wan,
            execution_rate: p.execution_rate,
            score: p.score,
            grade: p.grade,
            rows: p.rows.len(),
            uncertain: p.rows.len() - linked - unmatched,
            linked,
            unmatched,
            file: file.to_string(),
        }
    }

    /// The key after the index's one-letter tag: year (newest first), type, name, id.
    fn order(&self) -> Vec<u8> {
        let mut k = year_prefix(self.year);
        k.extend_from_slice(self.project_type.as_deref().unwrap_or("").as_bytes());
        k.push(0);
        k.extend_from_slice(self.name.as_bytes());
        k.push(0);
        k.extend_from_slice(self.id.as_bytes());
        k
    }

    /// The main key (holding the row) and the keys by type, grade and unit (pointing at it).
    pub fn keys(&self) -> (Vec<u8>, [Vec<u8>; 3]) {
        let order = self.order();
        let main = [b"p".as_slice(), &order].concat();
        let by = |tag: u8, value: &str| [&[tag], value.as_bytes(), &[0], &order].concat();
        (
            main,
            [
                by(b't', self.project_type.as_deref().unwrap_or("")),
                by(b'g', self.grade.label()),
                by(b'u', &self.unit_name),
            ],
        )
    }

    /// The counters this project adds to, and by how much.
    pub fn counts(&self) -> [(String, i64); 6] {
        [
            ("n:projects".into(), 1),
            ("n:rows".into(), self.rows as i64),
            ("n:linked".into(), self.linked as i64),
            ("n:uncertain".into(), self.uncertain as i64),
            ("n:unmatched".into(), self.unmatched as i64),
            (format!("n:year:{}", self.year), 1),
        ]
    }
}

/// Years sort newest first: 9999 − year, four digits.
fn year_prefix(year: i32) -> Vec<u8> {
    format!("{:04}", 9999 - year.clamp(0, 9999)).into_bytes()
}

/// Which projects a page of the list shows.
#[derive(Debug, Clone, Default)]
pub struct ProjectQuery {
    pub year: Option<i32>,
    /// A project type code.
    pub project_type: Option<String>,
    pub grade: Option<Grade>,
    /// The budget unit, as written.
    pub unit: Option<String>,
    /// Part of the project's name.
    pub name: Option<String>,
    pub offset: usize,
    pub limit: usize,
}

impl ProjectQuery {
    /// The index prefix to read: the most selective filter's, narrowed by the year.
    pub(super) fn prefix(&self) -> (Vec<u8>, bool) {
        let year = self.year.map(year_prefix).unwrap_or_default();
        let by = |tag: u8, value: &str| [&[tag], value.as_bytes(), &[0], &year].concat();
        if let Some(u) = &self.unit {
            (by(b'u', u), true)
        } else if let Some(t) = &self.project_type {
            (by(b't', t), true)
        } else if let Some(g) = self.grade {
            (by(b'g', g.label()), true)
        } else {
            ([b"p".as_slice(), &year].concat(), false)
        }
    }

    pub(super) fn accepts(&self, p: &ListedProject) -> bool {
        self.year.is_none_or(|y| p.year == y)
            && (self.project_type.is_none() || p.project_type == self.project_type)
            && self.grade.is_none_or(|g| p.grade == g)
            && self.unit.as_ref().is_none_or(|u| &p.unit_name == u)
            && self
                .name
                .as_ref()
                .is_none_or(|n| p.name.contains(n.as_str()))
    }

    /// Whether the counters answer the total (no filter but the year).
    pub(super) fn counted(&self) -> bool {
        self.project_type.is_none()
            && self.grade.is_none()
            && self.unit.is_none()
            && self.name.is_none()
    }
}

/// The main key a key of a secondary index points at.
pub(super) fn main_key(secondary: &[u8]) -> Vec<u8> {
    let rest = secondary
        .iter()
        .position(|&b| b == 0)
        .map_or(&[][..], |i| &secondary[i + 1..]);
    [b"p".as_slice(), rest].concat()
}
