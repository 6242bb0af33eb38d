//! Writes of evaluations: an import, a curator's decision on a row, a candidate's rows adopted
//! by the indicator published from it. Each reads the projects it replaces, never every
//! stored one: the candidates are clustered again from the stored unmatched rows, and the
//! statistics of what it touches change by what its projects add and the replaced ones took
//! (`derived::changes`). They take turns under the service's `lock::WriteLock`.

use super::service::Evaluations;
use super::{
    Decision, DecisionError, ImportError, ImportReport, UnitNote, cluster, derived, import,
    matching, stats, units, wording,
};
use crate::digest::sha256_hex;
use crate::domain::{Candidate, EvaluatedProject, ImportBatch, Match, MatchMethod};
use crate::store::StoreError;
use std::collections::{BTreeMap, HashMap};

impl Evaluations {
    /// Reads, checks and links a file; unless `dry_run` (or the file has errors or was imported
    /// before), writes it in one transaction. `by` is the curator, recorded on the batch; the file
    /// is read within `limits`.
    pub fn import_within(
        &self,
        file: &str,
        bytes: &[u8],
        dry_run: bool,
        by: &str,
        limits: &crate::ingest::sheet::SheetLimits,
    ) -> Result<ImportReport, ImportError> {
        let (store, search) = (&self.store, &*self.search);
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
        let held = self.writes.hold();
        derived::repair(&held, store, &search.catalog())?;
        dedupe(&mut projects);
        // The stored versions this file replaces: what they counted is taken away.
        let mut old = Vec::new();
        for p in &mut projects {
            match store.evaluation(&p.id())? {
                Some(o) => {
                    report.replaced_projects += 1;
                    carry_over(&o, p);
                    old.push(o);
                }
                None => report.new_projects += 1,
            }
        }
        // Candidates come from unmatched rows only: the stored ones are read, not every project.
        let mut unmatched: BTreeMap<String, EvaluatedProject> = store
            .evaluation_unmatched()?
            .into_iter()
            .map(|p| (p.id(), p))
            .collect();
        // Before clustering, a wording of one project near a library name goes to review.
        for p in &projects {
            unmatched.remove(&p.id());
        }
        cluster::review_lone_near(&mut projects, unmatched.values(), &matcher);
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
            if let Some(slim) = crate::store::unmatched_of(p) {
                unmatched.insert(p.id(), slim);
            }
        }
        let candidates = cluster::candidates(unmatched.values(), matcher.wording());
        drop(unmatched);
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
        let stats = derived::changes(store, &old, &projects)?;
        store.write_evaluation_import(&batch, &projects, &candidates, &stats)?;
        report.written = true;
        report.message = format!("已导入：{summary}");
        Ok(report)
    }

    /// Applies a curator's decision to row `index` of a project and recomputes the candidates, in
    /// one transaction.
    pub fn apply_decision(
        &self,
        project_id: &str,
        index: usize,
        decision: Decision,
        by: &str,
    ) -> Result<EvaluatedProject, DecisionError> {
        let (store, search) = (&self.store, &*self.search);
        let held = self.writes.hold();
        derived::repair(&held, store, &search.catalog())?;
        let old = store
            .evaluation(project_id)?
            .ok_or_else(|| DecisionError::NoProject(project_id.to_string()))?;
        let mut p = old.clone();
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
        let mut unmatched: BTreeMap<String, EvaluatedProject> = store
            .evaluation_unmatched()?
            .into_iter()
            .map(|q| (q.id(), q))
            .collect();
        unmatched.remove(&p.id());
        if let Some(slim) = crate::store::unmatched_of(&p) {
            unmatched.insert(p.id(), slim);
        }
        let wording = wording::Wording::shared(search.vocabulary());
        let candidates = cluster::candidates(unmatched.values(), &wording);
        let stats = derived::changes(store, std::slice::from_ref(&old), std::slice::from_ref(&p))?;
        store.write_evaluation_decision(&p, &candidates, &stats)?;
        Ok(p)
    }

    /// Once a proposal made from candidate `id` is published as `code`, links every row of the
    /// candidate's evidence to it (method: curator), so its statistics start with that evidence.
    /// By id only: two candidates may share a name (under 产出 and 效益, in 个 and 万元), and a
    /// candidate clustered again since (its id changed) is left for a curator rather than guessed.
    /// Returns how many rows were linked; 0 when no candidate has that id. The other
    /// candidates stay as they are: clusters are connected components, so removing one whole
    /// cluster's rows changes no other.
    pub fn adopt_candidate(&self, code: &str, id: &str, by: &str) -> Result<usize, StoreError> {
        let (store, catalog) = (&self.store, &*self.search.catalog());
        let held = self.writes.hold();
        derived::repair(&held, store, catalog)?;
        let Some(c) = store.evaluation_candidate(id)? else {
            return Ok(0);
        };
        // The projects of the candidate's evidence, each read once.
        let mut old: Vec<EvaluatedProject> = Vec::new();
        let mut projects: Vec<EvaluatedProject> = Vec::new();
        let mut linked = 0;
        for e in &c.evidence {
            let pi = match projects.iter().position(|p| p.id() == e.project_id) {
                Some(pi) => pi,
                None => {
                    let Some(p) = store.evaluation(&e.project_id)? else {
                        continue;
                    };
                    old.push(p.clone());
                    projects.push(p);
                    projects.len() - 1
                }
            };
            for row in projects[pi]
                .rows
                .iter_mut()
                .filter(|r| r.source == e.source)
            {
                row.matched = Some(Match {
                    code: code.to_string(),
                    method: MatchMethod::Curator,
                    confidence: 1.0,
                    confirmed_by: Some(by.to_string()),
                });
                linked += 1;
            }
        }
        let candidates: Vec<Candidate> = store
            .evaluation_candidates()?
            .into_iter()
            .filter(|other| other.id != c.id)
            .collect();
        let stats = derived::changes(store, &old, &projects)?;
        store.write_evaluation_decisions(&projects, &candidates, &stats)?;
        Ok(linked)
    }
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

/// One project per id, the last of a file's (as writing them one after the other would leave
/// it): the statistics count each stored project once.
fn dedupe(projects: &mut Vec<EvaluatedProject>) {
    let mut seen = std::collections::HashSet::new();
    let mut keep: Vec<bool> = projects.iter().rev().map(|p| seen.insert(p.id())).collect();
    keep.reverse();
    let mut k = keep.into_iter();
    projects.retain(|_| k.next().unwrap_or(true));
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
