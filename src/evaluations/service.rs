//! The evaluations service, built once by the app: imports of self-evaluation tables, the
//! projects imported (listed and filtered), the rows waiting for a curator and their decisions,
//! the rows behind an indicator's statistics, and the statistics themselves.

use super::listing::ProjectPage;
use super::lock::WriteLock;
use super::practice::PracticeStats;
use super::stats::{self, IndicatorStats};
use super::{Decision, DecisionError, ImportError, ImportReport, Nearby, import, matching};
use crate::domain::{Candidate, EvaluatedProject, EvaluationRow, Grade, Indicator};
use crate::ingest::sheet::SheetLimits;
use crate::search::SearchIndex;
use crate::store::{ProjectQuery, Store, StoreError};
use serde::Serialize;
use std::sync::Arc;

pub struct Evaluations {
    pub store: Store,
    pub search: Arc<SearchIndex>,
    /// What an uploaded table may hold (from `config.uploads.sheet`).
    pub sheet: SheetLimits,
    /// The statistics, computed once per state of the evaluations and the library.
    pub practice: Arc<PracticeStats>,
    /// Writes of evaluations take turns (shared with `practice`, which repairs what is derived).
    pub writes: Arc<WriteLock>,
}

#[derive(Debug, thiserror::Error)]
pub enum EvaluationsError {
    /// `code` is the error code the API answers.
    #[error("{message}")]
    Invalid { code: &'static str, message: String },
    #[error("{message}")]
    NotFound { code: &'static str, message: String },
    #[error(transparent)]
    Import(#[from] ImportError),
    #[error(transparent)]
    Decision(#[from] DecisionError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

type Result<T> = std::result::Result<T, EvaluationsError>;

fn invalid(code: &'static str, message: String) -> EvaluationsError {
    EvaluationsError::Invalid { code, message }
}

/// A row waiting for a curator.
#[derive(Debug, Clone, Serialize)]
pub struct ReviewItem {
    pub project_id: String,
    pub project: String,
    pub year: i32,
    pub type_name: String,
    pub index: usize,
    pub name: String,
    pub level1: String,
    pub level2: String,
    pub unit: String,
    pub target: String,
    pub actual: String,
    pub code: String,
    pub indicator: String,
    pub indicator_unit: String,
    pub method: String,
    pub confidence: f64,
    pub source: String,
    /// Other library indicators the row may be.
    pub alternatives: Vec<Nearby>,
}

/// One row of an imported project as its page shows it: the library indicator it counts for, named.
pub struct ProjectRow {
    pub row: EvaluationRow,
    /// (code, name) of the linked indicator.
    pub indicator: Option<(String, String)>,
    pub method: &'static str,
    pub certain: bool,
}

/// A row counted in an indicator's statistics, with where it came from.
#[derive(Debug)]
pub struct SourceRow {
    pub project_id: String,
    pub project: String,
    pub unit_name: String,
    pub year: i32,
    pub grade: Grade,
    pub name: String,
    pub unit: String,
    pub direction: String,
    pub target: String,
    pub actual: String,
    pub met: String,
    pub reason: String,
    pub method: String,
    pub confidence: f64,
    pub source: String,
}

impl Evaluations {
    /// Reads, matches and (unless a dry run) writes one uploaded file, all or nothing.
    pub fn import(
        &self,
        file: &str,
        bytes: &[u8],
        dry_run: bool,
        by: &str,
    ) -> Result<ImportReport> {
        if bytes.is_empty() {
            return Err(ImportError::File(import::ImportFileError::Empty).into());
        }
        Ok(self.import_within(file, bytes, dry_run, by, &self.sheet)?)
    }

    /// The list's filters from the query's texts: a year, a project type (code or name), a grade,
    /// the budget unit and part of the name; paging is the caller's.
    pub fn filter(
        &self,
        year: Option<&str>,
        project_type: Option<&str>,
        grade: Option<&str>,
        unit: Option<String>,
        name: Option<String>,
    ) -> Result<ProjectQuery> {
        let year =
            match year {
                None => None,
                Some(y) => Some(y.parse::<i32>().map_err(|_| {
                    invalid("invalid_filter", format!("筛选条件 year=“{y}”不是年份"))
                })?),
            };
        let catalog = self.search.catalog();
        let project_type = match project_type {
            None => None,
            Some(t) => Some(
                catalog
                    .project_types
                    .iter()
                    .find(|x| x.code == t || x.name == t)
                    .map(|x| x.code.clone())
                    .ok_or_else(|| {
                        invalid(
                            "invalid_filter",
                            format!(
                                "筛选条件 type=“{t}”不是已知的项目类型（见 /api/v1/project-types）"
                            ),
                        )
                    })?,
            ),
        };
        let grade = match grade {
            None => None,
            Some(g) => Some(Grade::parse(g).ok_or_else(|| {
                invalid(
                    "invalid_filter",
                    format!("筛选条件 grade=“{g}”无效；可选：优、良、中、差"),
                )
            })?),
        };
        Ok(ProjectQuery {
            year,
            project_type,
            grade,
            unit,
            name,
            offset: 0,
            limit: 0,
        })
    }

    /// One page of the projects imported that pass the filters, from the list's index, with the
    /// totals over everything imported.
    pub fn page(&self, q: &ProjectQuery) -> Result<ProjectPage> {
        Ok(super::listing::page(
            &self.store,
            &self.search.catalog(),
            &self.writes,
            q,
        )?)
    }

    /// One imported project with its rows, matches and sources.
    pub fn project(&self, id: &str) -> Result<EvaluatedProject> {
        self.store
            .evaluation(id)?
            .ok_or_else(|| EvaluationsError::NotFound {
                code: "project_not_found",
                message: format!("没有这个项目：{id}"),
            })
    }

    /// A project's rows, each with the name of the library indicator it is linked to.
    pub fn project_rows(&self, p: &EvaluatedProject) -> Result<Vec<ProjectRow>> {
        p.rows
            .iter()
            .map(|r| {
                let indicator = match &r.matched {
                    Some(m) => {
                        let ind = self.store.indicator(&m.code)?;
                        Some((m.code.clone(), ind.map(|i| i.name).unwrap_or_default()))
                    }
                    None => None,
                };
                Ok(ProjectRow {
                    method: r.matched.as_ref().map_or("未匹配", |m| m.method.label()),
                    certain: r.certain_code().is_some(),
                    indicator,
                    row: r.clone(),
                })
            })
            .collect()
    }

    /// A new-indicator candidate, by id.
    pub fn candidate(&self, id: &str) -> Result<Candidate> {
        self.store
            .evaluation_candidates()?
            .into_iter()
            .find(|c| c.id == id)
            .ok_or_else(|| EvaluationsError::NotFound {
                code: "candidate_not_found",
                message: format!("没有这个新指标候选：{id}"),
            })
    }

    fn indicator(&self, code: &str, message: String) -> Result<Indicator> {
        self.store
            .indicator(code)?
            .ok_or(EvaluationsError::NotFound {
                code: "indicator_not_found",
                message,
            })
    }

    /// What the evaluations say about one indicator.
    pub fn stats(&self, code: &str) -> Result<IndicatorStats> {
        let ind = self.indicator(code, format!("没有编码为“{code}”的指标"))?;
        Ok(self.practice.stats_of(&ind)?)
    }

    /// The rows linked below the certainty threshold, most confident first.
    pub fn review(&self) -> Result<Vec<ReviewItem>> {
        let catalog = self.search.catalog();
        let matcher = matching::Matcher::new(&self.search, self.store.indicators()?);
        let mut v = Vec::new();
        for p in self.store.evaluations()? {
            for (i, r) in p.rows.iter().enumerate() {
                let Some(m) = r.matched.as_ref().filter(|m| !m.is_certain()) else {
                    continue;
                };
                let ind = self.store.indicator(&m.code)?;
                v.push(ReviewItem {
                    project_id: p.id(),
                    project: p.name.clone(),
                    year: p.year,
                    type_name: p
                        .project_type
                        .as_deref()
                        .map(|t| catalog.project_type_name(t).to_string())
                        .unwrap_or_default(),
                    index: i,
                    name: r.name.clone(),
                    level1: r.level1.clone(),
                    level2: r.level2.clone(),
                    unit: r.unit.clone(),
                    target: r.target.clone(),
                    actual: r.actual.clone(),
                    code: m.code.clone(),
                    indicator: ind.as_ref().map(|i| i.name.clone()).unwrap_or_default(),
                    indicator_unit: ind.map(|i| i.unit).unwrap_or_default(),
                    method: m.method.label().to_string(),
                    confidence: m.confidence,
                    source: r.source.to_string(),
                    alternatives: super::alternatives(
                        &matcher,
                        r,
                        p.project_type.as_deref(),
                        Some(&m.code),
                        2,
                    ),
                });
            }
        }
        v.sort_by(|a, b| {
            a.confidence
                .total_cmp(&b.confidence)
                .reverse()
                .then(a.name.cmp(&b.name))
        });
        Ok(v)
    }

    /// A curator's decision on row `index` of a project: `action` is `confirm`, `link` (with
    /// `code`, of which the first word counts) or `new`.
    pub fn decide(
        &self,
        project_id: &str,
        index: usize,
        action: &str,
        code: &str,
        by: &str,
    ) -> Result<EvaluatedProject> {
        let d = match action {
            "confirm" => Decision::Confirm,
            "link" if !code.trim().is_empty() => Decision::Link(
                code.split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_string(),
            ),
            "link" => return Err(invalid("invalid_decision", "请填写要关联的指标编码".into())),
            "new" => Decision::New,
            other => {
                return Err(invalid(
                    "invalid_decision",
                    format!("操作“{other}”无效（confirm、link 或 new）"),
                ));
            }
        };
        Ok(self.apply_decision(project_id, index, d, by)?)
    }

    /// Every row counted in an indicator's statistics, oldest year first.
    pub fn source_rows(&self, code: &str) -> Result<(Indicator, Vec<SourceRow>)> {
        let ind = self.indicator(code, format!("没有编码为“{code}”的指标。"))?;
        let projects = self.store.evaluations()?;
        let by_code = stats::rows_by_code(&projects);
        let mut rows: Vec<SourceRow> = by_code
            .get(ind.code.as_str())
            .map(|v| &v[..])
            .unwrap_or_default()
            .iter()
            .map(|lr| {
                let r = lr.row;
                let m = r.matched.as_ref().expect("linked rows have a match");
                let dir = if r.direction.is_empty() {
                    ind.direction.label()
                } else {
                    r.direction.as_str()
                };
                SourceRow {
                    project_id: lr.project.id(),
                    project: lr.project.name.clone(),
                    unit_name: lr.project.unit_name.clone(),
                    year: lr.project.year,
                    grade: lr.project.grade,
                    name: r.name.clone(),
                    unit: r.unit.clone(),
                    direction: dir.to_string(),
                    target: r.target.clone(),
                    actual: r.actual.clone(),
                    met: match stats::met(dir, &r.target, &r.actual) {
                        Some(true) => "达成".into(),
                        Some(false) => "未达成".into(),
                        None => "—".into(),
                    },
                    reason: r.deviation_reason.clone(),
                    method: m.method.label().to_string(),
                    confidence: m.confidence,
                    source: r.source.to_string(),
                }
            })
            .collect();
        rows.sort_by(|a, b| a.year.cmp(&b.year).then(a.project.cmp(&b.project)));
        Ok((ind, rows))
    }
}

impl Evaluations {
    /// The service over a fresh store holding the bundled library and an in-memory index over
    /// it, for the unit tests of the services built on it (evaluations, drafting, training).
    #[cfg(test)]
    pub(crate) fn for_tests(dir: &std::path::Path) -> Evaluations {
        use crate::ingest::library;
        let lib = library::load_dir(&library::default_dir()).unwrap();
        let store = Store::open(&dir.join("store"), 8 << 20).unwrap();
        store.sync_library(lib.clone(), "test").unwrap();
        let vocab = crate::search::Vocabulary::load(&crate::search::vocab::default_dir()).unwrap();
        let search = Arc::new(
            SearchIndex::in_ram(
                Arc::new(vocab),
                Arc::new(lib.catalog.clone()),
                lib.indicators,
            )
            .unwrap(),
        );
        let writes = Arc::new(WriteLock::default());
        Evaluations {
            practice: Arc::new(PracticeStats::new(
                store.clone(),
                search.clone(),
                writes.clone(),
            )),
            store,
            search,
            sheet: SheetLimits::default(),
            writes,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(dir: &std::path::Path) -> Evaluations {
        Evaluations::for_tests(dir)
    }

    fn code(e: EvaluationsError) -> &'static str {
        match e {
            EvaluationsError::Invalid { code, .. } | EvaluationsError::NotFound { code, .. } => {
                code
            }
            other => panic!("not a coded error: {other:?}"),
        }
    }

    #[test]
    fn filters_are_read_from_text_or_refused_with_a_code() {
        let dir = tempfile::tempdir().unwrap();
        let e = service(dir.path());
        let t = e.search.catalog().project_types[0].clone();
        let f = e
            .filter(Some("2024"), Some(&t.name), Some("优"), None, None)
            .unwrap();
        assert_eq!(f.year, Some(2024));
        assert_eq!(f.project_type.as_deref(), Some(t.code.as_str()));
        assert_eq!(f.grade, Grade::parse("优"));
        assert_eq!(
            code(e.filter(Some("去年"), None, None, None, None).unwrap_err()),
            "invalid_filter"
        );
        assert_eq!(
            code(e.filter(None, Some("火星"), None, None, None).unwrap_err()),
            "invalid_filter"
        );
        assert_eq!(
            code(e.filter(None, None, Some("甲"), None, None).unwrap_err()),
            "invalid_filter"
        );
    }

    #[test]
    fn an_imported_file_is_listed_reviewed_and_traced_to_its_rows() {
        let dir = tempfile::tempdir().unwrap();
        let e = service(dir.path());
        let empty = e.import("x.csv", b"", false, "t").unwrap_err();
        assert!(matches!(empty, EvaluationsError::Import(_)), "{empty:?}");
        let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("evaluations/demo/self-evaluations-2024.csv");
        let r = e
            .import("2024.csv", &std::fs::read(file).unwrap(), false, "t")
            .unwrap();
        assert!(r.written && r.errors.is_empty(), "{}", r.message);

        let everything = ProjectQuery {
            limit: 10_000,
            ..ProjectQuery::default()
        };
        let o = e.page(&everything).unwrap();
        let all = &o.projects;
        assert_eq!((o.total, o.years.clone()), (all.len(), vec![2024]));
        assert_eq!(o.rows as usize, r.rows);
        assert_eq!(o.linked as usize, r.certain);
        let none = ProjectQuery {
            year: Some(1999),
            ..everything.clone()
        };
        assert_eq!(e.page(&none).unwrap().total, 0);
        assert_eq!(e.project(&all[0].id).unwrap().id(), all[0].id);
        assert_eq!(code(e.project("nothing").unwrap_err()), "project_not_found");

        let review = e.review().unwrap();
        assert_eq!(review.len(), r.uncertain);
        assert!(
            review
                .windows(2)
                .all(|w| w[0].confidence >= w[1].confidence)
        );

        let (linked, _) = e
            .store
            .evaluations()
            .unwrap()
            .iter()
            .flat_map(|p| p.rows.iter())
            .find_map(|row| row.certain_code().map(|c| (c.to_string(), ())))
            .unwrap();
        let (ind, rows) = e.source_rows(&linked).unwrap();
        assert_eq!(ind.code.as_str(), linked);
        assert!(!rows.is_empty());
        assert_eq!(e.stats(&linked).unwrap().rows, rows.len());
        assert_eq!(
            code(e.source_rows("NO-SUCH").unwrap_err()),
            "indicator_not_found"
        );
    }

    #[test]
    fn a_decision_names_a_known_action() {
        let dir = tempfile::tempdir().unwrap();
        let e = service(dir.path());
        assert_eq!(
            code(e.decide("p", 0, "link", " ", "t").unwrap_err()),
            "invalid_decision"
        );
        assert_eq!(
            code(e.decide("p", 0, "delete", "", "t").unwrap_err()),
            "invalid_decision"
        );
        let missing = e.decide("p", 0, "confirm", "", "t").unwrap_err();
        assert!(
            matches!(
                missing,
                EvaluationsError::Decision(DecisionError::NoProject(_))
            ),
            "{missing:?}"
        );
        assert_eq!(code(e.candidate("c-1").unwrap_err()), "candidate_not_found");
    }
}
