//! The list of imported projects, a page at a time, filtered by year, project type, grade,
//! budget unit and name: answered from the store's index of the list (`Store::evaluation_list`)
//! and its counters, so a page costs the same with 2,000 projects or 100,000.

use super::lock::WriteLock;
use crate::domain::Catalog;
use crate::store::{ListedProject, ProjectQuery, Store, StoreError};
use serde::Serialize;

/// A row of the list: the project as the list's index holds it, with its type's name from
/// the catalog (which may rename a type after the project was listed).
#[derive(Debug, Clone, Serialize)]
pub struct ProjectSummary {
    #[serde(flatten)]
    pub project: ListedProject,
    pub type_name: String,
}

/// The list page reads the project's fields as the row's own.
impl std::ops::Deref for ProjectSummary {
    type Target = ListedProject;
    fn deref(&self) -> &ListedProject {
        &self.project
    }
}

impl ProjectSummary {
    fn of(project: ListedProject, catalog: &Catalog) -> ProjectSummary {
        ProjectSummary {
            type_name: project
                .project_type
                .as_deref()
                .map(|t| catalog.project_type_name(t).to_string())
                .unwrap_or_default(),
            project,
        }
    }
}

/// One page of the list and what the page around it shows.
#[derive(Debug, Clone, Serialize)]
pub struct ProjectPage {
    pub projects: Vec<ProjectSummary>,
    /// Projects matching the filters.
    pub total: usize,
    pub offset: usize,
    pub limit: usize,
    /// Every year with projects, newest first.
    pub years: Vec<i32>,
    /// Over all projects: rows, linked with certainty, waiting for a curator, unmatched.
    pub rows: u64,
    pub linked: u64,
    pub uncertain: u64,
    pub unmatched: u64,
}

impl ProjectPage {
    /// 1-based number of this page, and how many pages there are.
    pub fn page_of(&self) -> (usize, usize) {
        let limit = self.limit.max(1);
        (self.offset / limit + 1, self.total.div_ceil(limit).max(1))
    }

    pub fn previous_offset(&self) -> Option<usize> {
        (self.offset > 0).then(|| self.offset.saturating_sub(self.limit))
    }

    pub fn next_offset(&self) -> Option<usize> {
        (self.offset + self.limit < self.total).then_some(self.offset + self.limit)
    }
}

/// The page `query` asks for (the store's derived list repaired first if it is missing).
pub fn page(
    store: &Store,
    catalog: &Catalog,
    writes: &WriteLock,
    query: &ProjectQuery,
) -> Result<ProjectPage, StoreError> {
    super::derived::ensure(store, catalog, writes)?;
    let (projects, total) = store.evaluation_list(query)?;
    Ok(ProjectPage {
        projects: projects
            .into_iter()
            .map(|p| ProjectSummary::of(p, catalog))
            .collect(),
        total,
        offset: query.offset,
        limit: query.limit,
        years: store
            .evaluation_years()?
            .into_iter()
            .map(|(y, _)| y)
            .collect(),
        rows: store.evaluation_count("n:rows")?,
        linked: store.evaluation_count("n:linked")?,
        uncertain: store.evaluation_count("n:uncertain")?,
        unmatched: store.evaluation_count("n:unmatched")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn pages_and_filters_answer_from_the_index_as_a_scan_would() {
        let dir = tempfile::tempdir().unwrap();
        let e = crate::evaluations::service::Evaluations::for_tests(dir.path());
        let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("evaluations/demo");
        for f in ["self-evaluations-2024.csv", "self-evaluations-2025.csv"] {
            let bytes = std::fs::read(demo.join(f)).unwrap();
            e.import(f, &bytes, false, "t").unwrap();
        }
        let store = &e.store;
        let all = store.evaluations().unwrap();
        let query = |q: ProjectQuery| e.page(&q).unwrap();
        let first = query(ProjectQuery {
            limit: 50,
            ..Default::default()
        });
        assert_eq!(first.total, all.len());
        assert_eq!(first.projects.len(), 50);
        assert_eq!(first.years, vec![2025, 2024]);
        assert_eq!(
            first.rows as usize,
            all.iter().map(|p| p.rows.len()).sum::<usize>()
        );
        // Pages follow each other without gaps or repeats, newest year first.
        let mut seen: Vec<String> = Vec::new();
        let mut offset = 0;
        loop {
            let p = query(ProjectQuery {
                limit: 50,
                offset,
                ..Default::default()
            });
            seen.extend(p.projects.iter().map(|s| s.id.clone()));
            match p.next_offset() {
                Some(o) => offset = o,
                None => break,
            }
        }
        let mut ids: Vec<String> = all.iter().map(|p| p.id()).collect();
        assert_eq!(seen.len(), ids.len());
        assert!(seen.first().unwrap().starts_with("2025"));
        seen.sort();
        ids.sort();
        assert_eq!(seen, ids);

        // Each filter, and two at once, give what a scan of every project gives.
        let p0 = &all[all.len() / 2];
        let filters = [
            ProjectQuery {
                project_type: p0.project_type.clone(),
                ..Default::default()
            },
            ProjectQuery {
                grade: Some(p0.grade),
                year: Some(p0.year),
                ..Default::default()
            },
            ProjectQuery {
                unit: Some(p0.unit_name.clone()),
                ..Default::default()
            },
            ProjectQuery {
                name: Some(p0.name.chars().take(2).collect()),
                year: Some(p0.year),
                ..Default::default()
            },
        ];
        for f in filters {
            let expected = all
                .iter()
                .filter(|p| {
                    f.year.is_none_or(|y| p.year == y)
                        && (f.project_type.is_none() || p.project_type == f.project_type)
                        && f.grade.is_none_or(|g| p.grade == g)
                        && f.unit.as_ref().is_none_or(|u| &p.unit_name == u)
                        && f.name.as_ref().is_none_or(|n| p.name.contains(n.as_str()))
                })
                .count();
            let got = query(ProjectQuery {
                limit: 1000,
                ..f.clone()
            });
            assert!(expected > 0, "{f:?}");
            assert_eq!(
                (got.total, got.projects.len()),
                (expected, expected),
                "{f:?}"
            );
        }
    }
}
