//! Growing the library from completed evaluations: import self-evaluation tables (`import`),
//! link their rows to library indicators (`matching`), learn per-indicator statistics
//! (`stats`), and cluster what matched nothing into candidates for new indicators (`cluster`).
//! The app builds one `service::Evaluations`, through which the web layer does all of it.
//!
//! An import is all or nothing: a file with any bad row writes nothing, a file already imported
//! (same sha256) is recognised and changes nothing, and the projects, the batch record and the
//! recomputed candidates are written in one transaction (`Store::write_evaluation_import`)
//! with the statistics of the indicators it touches (`derived`).

pub mod charts;
pub mod cluster;
pub mod derived;
pub mod import;
pub mod listing;
pub mod matching;
pub mod practice;
pub mod service;
pub mod stats;
pub mod units;
pub mod wording;

use crate::domain::{Candidate, EvaluatedProject, ImportBatch, Match, MatchMethod};
use crate::search::SearchIndex;
use crate::store::{Store, StoreError};
use import::{ImportFileError, RowError};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

/// Serialises writes of evaluations: each recomputes the candidates from everything stored.
static WRITE_LOCK: Mutex<()> = Mutex::new(());

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

/// Checks the unit of every linked row against its indicator's.
fn check_units(
    projects: &[EvaluatedProject],
    matcher: &matching::Matcher,
    report: &mut ImportReport,
) {
    let table = units::table();
    for r in projects.iter().flat_map(|p| &p.rows) {
        let Some(ind) = r.matched.as_ref().and_then(|m| matcher.indicator(&m.code)) else {
            continue;
        };
        if ind.direction == crate::domain::Direction::Qualitative {
            continue;
        }
        match table.factor(&r.unit, &ind.unit) {
            Ok(f) if f != 1.0 => report.converted += 1,
            Ok(_) => {}
            Err(problem) => report.unit_problems.push(UnitNote {
                source: r.source.clone(),
                name: r.name.clone(),
                unit: r.unit.clone(),
                code: ind.code.to_string(),
                indicator_unit: ind.unit.clone(),
                reason: problem.to_string(),
            }),
        }
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Curator decisions of a project being replaced, kept for rows worded the same way.
fn carry_over(old: &EvaluatedProject, new: &mut EvaluatedProject) {
    let decided: HashMap<(String, String, String), &Match> = old
        .rows
        .iter()
        .filter_map(|r| {
            let m = r.matched.as_ref().filter(|m| m.confirmed_by.is_some())?;
            Some(((r.name.clone(), r.level2.clone(), r.unit.clone()), m))
        })
        .collect();
    for r in &mut new.rows {
        if let Some(m) = decided.get(&(r.name.clone(), r.level2.clone(), r.unit.clone())) {
            r.matched = Some((*m).clone());
        }
    }
}

/// Reads, checks and links a file; unless `dry_run` (or the file has errors or was imported
/// before), writes it in one transaction. `by` is the curator, recorded on the batch; the file
/// is read within `limits`.
pub fn import_file(
    store: &Store,
    search: &SearchIndex,
    file: &str,
    bytes: &[u8],
    dry_run: bool,
    by: &str,
    limits: &crate::ingest::sheet::SheetLimits,
) -> Result<ImportReport, ImportError> {
    let sha = sha256_hex(bytes);
    let mut report = ImportReport {
        file: file.to_string(),
        sha256: sha.clone(),
        dry_run,
        ..ImportReport::default()
    };
    if let Some(b) = store.evaluation_import(&sha)? {
        report.already_imported = true;
        report.format = b.format.clone();
        report.projects = b.projects.len();
        report.rows = b.rows;
        report.message = format!(
            "此文件已于 {} 导入（{}，{} 个项目，{} 行），未做任何更改。",
            b.imported_at.format("%Y-%m-%d %H:%M"),
            b.file,
            b.projects.len(),
            b.rows
        );
        return Ok(report);
    }
    let catalog = search.catalog();
    let parsed = import::parse(file, bytes, &catalog, limits)?;
    report.format = parsed.format.to_string();
    report.rows = parsed.rows;
    report.projects = parsed.projects.len();
    report.errors = parsed.errors;
    let mut projects = parsed.projects;
    let matcher = matching::Matcher::new(search, store.indicators()?);
    for p in &mut projects {
        p.import = sha.clone();
    }
    matcher.match_projects(&mut projects);
    let _guard = WRITE_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    derived::repair(store, &search.catalog())?;
    let mut stored: BTreeMap<String, EvaluatedProject> = store
        .evaluations()?
        .into_iter()
        .map(|p| (p.id(), p))
        .collect();
    for p in &mut projects {
        match stored.get(&p.id()) {
            Some(old) => {
                report.replaced_projects += 1;
                carry_over(old, p);
            }
            None => report.new_projects += 1,
        }
    }
    // Before clustering, a wording of one project near a library name goes to review.
    let replaced: std::collections::HashSet<String> = projects.iter().map(|p| p.id()).collect();
    cluster::review_lone_near(
        &mut projects,
        stored.values().filter(|s| !replaced.contains(&s.id())),
        &matcher,
    );
    for p in &projects {
        for r in &p.rows {
            match &r.matched {
                None => report.unmatched += 1,
                Some(m) => {
                    *report
                        .matched
                        .entry(m.method.key().to_string())
                        .or_default() += 1;
                    if m.is_certain() {
                        report.certain += 1;
                    } else {
                        report.uncertain += 1;
                    }
                }
            }
        }
    }
    let linked_rows = report.certain + report.uncertain + report.unmatched;
    report.link_rate = if linked_rows == 0 {
        0.0
    } else {
        stats::round(report.certain as f64 / linked_rows as f64)
    };
    check_units(&projects, &matcher, &mut report);
    for p in &projects {
        stored.insert(p.id(), p.clone());
    }
    let all: Vec<EvaluatedProject> = stored.into_values().collect();
    let candidates = cluster::candidates(&all, matcher.wording());
    report.candidates = candidates.len();
    if !report.errors.is_empty() {
        report.message = format!(
            "文件有 {} 处错误，未导入任何内容；请修改后重新上传。",
            report.errors.len()
        );
        return Ok(report);
    }
    let mut summary = format!(
        "{} 个项目（新增 {}，替换 {}），{} 行指标：自动关联 {} 行（{}%），待确认 {} 行，未匹配 {} 行；新指标候选共 {} 个。",
        report.projects,
        report.new_projects,
        report.replaced_projects,
        linked_rows,
        report.certain,
        stats::fmt_num(report.link_rate * 100.0),
        report.uncertain,
        report.unmatched,
        report.candidates
    );
    if report.converted > 0 {
        summary += &format!(
            "{} 行的数值已换算为所关联指标的计量单位。",
            report.converted
        );
    }
    if !report.unit_problems.is_empty() {
        summary += &format!(
            "{} 行的计量单位无法换算为所关联指标的单位，其数值不计入统计（见下方列表）。",
            report.unit_problems.len()
        );
    }
    if dry_run {
        report.message = format!("试导入（未写入）：{summary}");
        return Ok(report);
    }
    let batch = ImportBatch {
        sha256: sha,
        file: file.to_string(),
        format: report.format.clone(),
        imported_at: chrono::Utc::now(),
        imported_by: by.to_string(),
        projects: projects.iter().map(|p| p.id()).collect(),
        rows: linked_rows,
    };
    let touched = derived::touched(store, &projects)?;
    let stats = derived::recompute(store, &search.catalog(), &all, &touched)?;
    store.write_evaluation_import(&batch, &projects, &candidates, &stats)?;
    report.written = true;
    report.message = format!("已导入：{summary}");
    Ok(report)
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

/// Applies a curator's decision to row `index` of a project and recomputes the candidates, in
/// one transaction.
pub fn decide(
    store: &Store,
    search: &SearchIndex,
    project_id: &str,
    index: usize,
    decision: Decision,
    by: &str,
) -> Result<EvaluatedProject, DecisionError> {
    let _guard = WRITE_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    derived::repair(store, &search.catalog())?;
    let mut p = store
        .evaluation(project_id)?
        .ok_or_else(|| DecisionError::NoProject(project_id.to_string()))?;
    let row = p.rows.get_mut(index).ok_or(DecisionError::NoRow(index))?;
    match decision {
        Decision::Confirm => {
            let m = row
                .matched
                .as_mut()
                .ok_or(DecisionError::NothingToConfirm)?;
            m.confirmed_by = Some(by.to_string());
        }
        Decision::Link(code) => {
            let ok = store.indicator(&code)?.is_some_and(|i| i.is_active());
            if !ok {
                return Err(DecisionError::UnknownIndicator(code));
            }
            row.matched = Some(Match {
                code,
                method: MatchMethod::Curator,
                confidence: 1.0,
                confirmed_by: Some(by.to_string()),
            });
        }
        Decision::New => row.matched = None,
    }
    // In the store's order (by id), as a full recomputation reads them: the statistics'
    // values keep that order.
    let all: Vec<EvaluatedProject> = store
        .evaluations()?
        .into_iter()
        .map(|q| if q.id() == p.id() { p.clone() } else { q })
        .collect();
    let wording = wording::Wording::shared(search.vocabulary());
    let candidates = cluster::candidates(&all, &wording);
    let touched = derived::touched(store, std::slice::from_ref(&p))?;
    let stats = derived::recompute(store, &search.catalog(), &all, &touched)?;
    store.write_evaluation_decision(&p, &candidates, &stats)?;
    Ok(p)
}

/// Once the indicator drafted from a candidate is published as `code`, links every row of the
/// candidate's evidence to it (method: curator), so its statistics start with that evidence.
/// Returns how many rows were linked; 0 when no candidate drafts that code. The other
/// candidates stay as they are: clusters are connected components, so removing one whole
/// cluster's rows changes no other.
pub fn adopt_candidate(
    store: &Store,
    catalog: &crate::domain::Catalog,
    code: &str,
    by: &str,
) -> Result<usize, StoreError> {
    let _guard = WRITE_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    derived::repair(store, catalog)?;
    let Some(c) = store
        .evaluation_candidates()?
        .into_iter()
        .find(|c| cluster::candidate_to_indicator(c, catalog).code.as_str() == code)
    else {
        return Ok(0);
    };
    let mut all = store.evaluations()?;
    let mut changed: Vec<usize> = Vec::new();
    let mut linked = 0;
    for e in &c.evidence {
        let Some(pi) = all.iter().position(|p| p.id() == e.project_id) else {
            continue;
        };
        for row in all[pi].rows.iter_mut().filter(|r| r.source == e.source) {
            row.matched = Some(Match {
                code: code.to_string(),
                method: MatchMethod::Curator,
                confidence: 1.0,
                confirmed_by: Some(by.to_string()),
            });
            linked += 1;
        }
        if !changed.contains(&pi) {
            changed.push(pi);
        }
    }
    let candidates: Vec<Candidate> = store
        .evaluation_candidates()?
        .into_iter()
        .filter(|other| other.id != c.id)
        .collect();
    let projects: Vec<EvaluatedProject> = changed.iter().map(|&i| all[i].clone()).collect();
    let touched = derived::touched(store, &projects)?;
    let stats = derived::recompute(store, catalog, &all, &touched)?;
    store.write_evaluation_decisions(&projects, &candidates, &stats)?;
    Ok(linked)
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
                stats::indicator_stats(&ind, &rows, waiting, type_name),
            ))
        })
        .collect()
}

/// A fresh store holding the bundled library and an in-memory index over it, for the unit tests
/// of the services (evaluations, drafting) that need both.
#[cfg(test)]
pub(crate) fn test_store_and_index(
    dir: &std::path::Path,
) -> (
    crate::store::Store,
    std::sync::Arc<crate::search::SearchIndex>,
) {
    use crate::ingest::library;
    use std::sync::Arc;
    let lib = library::load_dir(&library::default_dir()).unwrap();
    let store = crate::store::Store::open(&dir.join("store"), 8 << 20).unwrap();
    store.sync_library(lib.clone(), "test").unwrap();
    let vocab = crate::search::Vocabulary::load(&crate::search::vocab::default_dir()).unwrap();
    let search = crate::search::SearchIndex::in_ram(
        Arc::new(vocab),
        Arc::new(lib.catalog.clone()),
        lib.indicators,
    )
    .unwrap();
    (store, Arc::new(search))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::library;
    use crate::search::Vocabulary;
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
