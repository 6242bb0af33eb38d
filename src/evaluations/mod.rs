//! Growing the library from completed evaluations: import self-evaluation tables (`import`),
//! link their rows to library indicators (`matching`), learn per-indicator statistics
//! (`stats`), and cluster what matched nothing into candidates for new indicators (`cluster`).
//! The app builds one `service::Evaluations`, through which the web layer does all of it.
//!
//! An import is all or nothing: a file with any bad row writes nothing, a file already imported
//! (same sha256) is recognised and changes nothing, and the projects, the batch record and the
//! recomputed candidates are written in one transaction (`Store::write_evaluation_import`)
//! with the statistics of the indicators it touches (`derived`). Writes take turns under the
//! service's `lock::WriteLock`, one per store.

pub mod charts;
pub mod cluster;
pub mod derived;
pub mod import;
pub mod listing;
pub mod lock;
pub mod matching;
pub mod practice;
pub mod service;
pub mod stats;
pub mod tally;
pub mod units;
pub mod wording;
pub mod writes;

use crate::domain::{Candidate, EvaluatedProject};
use crate::store::StoreError;
use import::{ImportFileError, RowError};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{0}")]
    File(#[from] ImportFileError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What an import did (or, in a dry run, would do).
#[derive(Debug, Clone, Serialize, Default)]
pub struct ImportReport {
    pub file: String,
    pub sha256: String,
    pub format: String,
    pub dry_run: bool,
    /// The same file (by hash) was imported before: nothing was done.
    pub already_imported: bool,
    /// Whether anything was written.
    pub written: bool,
    pub projects: usize,
    pub rows: usize,
    pub new_projects: usize,
    /// Projects already stored (same year, unit and name) that this file replaces.
    pub replaced_projects: usize,
    /// Rows linked, by method (`code`, `exact`, `name`, `alias`, `similar`, `curator`).
    pub matched: BTreeMap<String, usize>,
    /// Linked with certainty (counted in statistics).
    pub certain: usize,
    /// Linked below the certainty threshold: waiting on the review page.
    pub uncertain: usize,
    pub unmatched: usize,
    /// certain / rows.
    pub link_rate: f64,
    /// Candidates for new indicators after this import (all evaluations).
    pub candidates: usize,
    /// Linked rows whose values were converted to the indicator's unit (元 → 万元).
    pub converted: usize,
    /// Linked rows whose unit cannot be converted to the indicator's: their values stay out of
    /// the statistics.
    pub unit_problems: Vec<UnitNote>,
    pub errors: Vec<RowError>,
    /// A one-line summary in Chinese.
    pub message: String,
}

/// A linked row whose values cannot be put in its indicator's unit.
#[derive(Debug, Clone, Serialize)]
pub struct UnitNote {
    pub source: crate::domain::SourceRef,
    pub name: String,
    pub unit: String,
    pub code: String,
    pub indicator_unit: String,
    /// In Chinese: 单位“个百分点”不能换算为“%”.
    pub reason: String,
}

/// A curator's decision on one imported row.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// The proposed match is right.
    Confirm,
    /// The row measures this library indicator instead.
    Link(String),
    /// No library indicator fits: the row joins the new-indicator candidates.
    New,
}

#[derive(Debug, thiserror::Error)]
pub enum DecisionError {
    #[error("没有这个项目：{0}")]
    NoProject(String),
    #[error("项目中没有第 {0} 条指标")]
    NoRow(usize),
    #[error("这一行还没有匹配的指标，无法确认；请选择一个指标或标为新指标")]
    NothingToConfirm,
    #[error("指标“{0}”不存在或已停用")]
    UnknownIndicator(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A library indicator near a row or a candidate, for a curator to choose from.
#[derive(Debug, Clone, Serialize)]
pub struct Nearby {
    pub code: String,
    pub name: String,
    /// Similarity with the row's evidence weighed in (about 0..1).
    pub score: f64,
}

/// The `n` library indicators most like `row` (of a project of `project_type`), leaving out
/// `except` (the one already proposed).
pub fn alternatives(
    matcher: &matching::Matcher,
    row: &crate::domain::EvaluationRow,
    project_type: Option<&str>,
    except: Option<&str>,
    n: usize,
) -> Vec<Nearby> {
    matcher
        .nearest(row, project_type, n + 1)
        .into_iter()
        .filter(|(code, _)| Some(code.as_str()) != except)
        .take(n)
        .filter_map(|(code, score)| {
            let name = matcher.indicator(&code)?.name.clone();
            Some(Nearby { code, name, score })
        })
        .collect()
}

/// The library indicators most like a candidate: what it was compared with before it became
/// one (all below the review threshold, or it would be waiting for review).
pub fn nearest_to_candidate(matcher: &matching::Matcher, c: &Candidate, n: usize) -> Vec<Nearby> {
    let Some(first) = c.evidence.first() else {
        return Vec::new();
    };
    let row = crate::domain::EvaluationRow {
        level1: c.level1.clone(),
        level2: c.level2.clone(),
        name: c.name.clone(),
        code: None,
        unit: c.unit.clone(),
        direction: c.direction.clone(),
        target: String::new(),
        actual: String::new(),
        score: None,
        deviation_reason: String::new(),
        matched: None,
        source: first.source.clone(),
    };
    let project_type = c.evidence.iter().find_map(|e| e.project_type.clone());
    alternatives(matcher, &row, project_type.as_deref(), None, n)
}

/// Statistics of every indicator linked in `projects`, by code.
pub fn all_stats(
    projects: &[EvaluatedProject],
    indicator: &dyn Fn(&str) -> Option<crate::domain::Indicator>,
    type_name: &dyn Fn(&str) -> String,
) -> HashMap<String, stats::IndicatorStats> {
    let review = stats::review_by_code(projects);
    stats::rows_by_code(projects)
        .into_iter()
        .filter_map(|(code, rows)| {
            let ind = indicator(code)?;
            let waiting = review.get(code).copied().unwrap_or(0);
            Some((
                code.to_string(),
                tally::indicator_stats(&ind, &rows, waiting, type_name),
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::library;
    use crate::search::{SearchIndex, Vocabulary};
    use std::path::Path;
    use std::sync::Arc;

    fn demo(name: &str) -> (String, Vec<u8>) {
        let p = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("evaluations/demo")
            .join(name);
        (name.to_string(), std::fs::read(p).unwrap())
    }

    /// (file stem, row) -> the code the generator wrote the row from (or NEW:…).
    fn answer_key() -> HashMap<(String, u32), String> {
        let (_, bytes) = demo("answer_key.csv");
        let mut r = csv::Reader::from_reader(bytes.as_slice());
        r.records()
            .map(|rec| {
                let rec = rec.unwrap();
                (
                    (rec[0].to_string(), rec[1].parse().unwrap()),
                    rec[2].to_string(),
                )
            })
            .collect()
    }

    /// The bar: ≥ 90% of the demo set's rows linked automatically (with certainty), and
    /// those links right (checked against the generator's answer key); the indicators the
    /// library lacks are not linked with certainty.
    #[test]
    fn the_demo_set_links_at_least_90_percent_automatically_and_correctly() {
        let lib = library::load_dir(&library::default_dir()).unwrap();
        let vocab = Vocabulary::load(&crate::search::vocab::default_dir()).unwrap();
        let search = SearchIndex::in_ram(
            Arc::new(vocab),
            Arc::new(lib.catalog.clone()),
            lib.indicators.clone(),
        )
        .unwrap();
        let matcher = matching::Matcher::new(&search, lib.indicators.clone());
        let key = answer_key();
        let (mut rows, mut certain, mut wrong, mut new_rows, mut new_linked) = (0, 0, 0, 0, 0);
        let mut mistakes = Vec::new();
        for file in ["self-evaluations-2024.csv", "self-evaluations-2025.xlsx"] {
            let (name, bytes) = demo(file);
            let parsed = import::parse(&name, &bytes, &lib.catalog, &Default::default()).unwrap();
            assert!(
                parsed.errors.is_empty(),
                "{file}: {:?}",
                &parsed.errors[..3.min(parsed.errors.len())]
            );
            let stem = file.rsplit_once('.').unwrap().0.to_string();
            for p in &parsed.projects {
                for r in &p.rows {
                    rows += 1;
                    let truth = &key[&(stem.clone(), r.source.row)];
                    let m = matcher.match_row(r, p.project_type.as_deref());
                    let sure = m.as_ref().filter(|m| m.is_certain());
                    if truth.starts_with("NEW:") {
                        new_rows += 1;
                        new_linked += sure.is_some() as usize;
                        continue;
                    }
                    if let Some(m) = sure {
                        certain += 1;
                        if &m.code != truth {
                            wrong += 1;
                            mistakes.push(format!(
                                "{} -> {} (should be {truth}, {:?} {})",
                                r.name, m.code, m.method, m.confidence
                            ));
                        }
                    }
                }
            }
        }
        // Rows of indicators the library lacks cannot be linked: the rate is over library rows.
        let rate = certain as f64 / (rows - new_rows) as f64;
        eprintln!(
            "demo set: {rows} rows, {certain} of the library rows linked automatically ({:.1}%), {wrong} wrong; {new_rows} rows of new indicators, {new_linked} linked",
            rate * 100.0
        );
        for m in mistakes.iter().take(30) {
            eprintln!("  {m}");
        }
        assert!(rate >= 0.90, "automatic linking {:.1}% < 90%", rate * 100.0);
        assert!(
            (wrong as f64) / (certain as f64) < 0.02,
            "{wrong} of {certain} automatic links are wrong"
        );
        assert!(
            new_linked * 10 < new_rows,
            "{new_linked} of {new_rows} new-indicator rows were linked"
        );
    }

    #[test]
    fn the_demo_xlsx_reads_exactly_like_its_csv() {
        let catalog = library::load_dir(&library::default_dir()).unwrap().catalog;
        let read = |f: &str| {
            let (name, bytes) = demo(f);
            let mut p = import::parse(&name, &bytes, &catalog, &Default::default()).unwrap();
            assert!(p.errors.is_empty());
            for r in p.projects.iter_mut().flat_map(|p| p.rows.iter_mut()) {
                r.source.file.clear();
                r.source.sheet.clear();
            }
            p.projects
        };
        let (x, c) = (
            read("self-evaluations-2025.xlsx"),
            read("self-evaluations-2025.csv"),
        );
        assert!(x.len() >= 150);
        assert_eq!(x, c);
    }
}
