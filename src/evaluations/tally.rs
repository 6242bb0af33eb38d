//! One indicator's statistics kept as sums over projects (`Tally`): what a project's rows add
//! when it is written is taken away again when it is replaced, so a write brings the statistics
//! of the indicators it touches up to date from its own projects and the versions they replace,
//! never from the other stored projects. Targets and actuals are kept as counts of each
//! distinct value (projects write 95, 100, 98.5 over and over), so a tally grows with the
//! values in use, not with the rows, and a write reads and writes little. The statistics shown
//! (`IndicatorStats`) are read off a tally; they equal `indicator_stats` over the same
//! rows, the values sorted.

use super::import::number;
use super::stats::{self, Achievement, Count, Coverage, Exclusion, IndicatorStats, Spread};
use super::units;
use crate::domain::{Direction, EvaluatedProject, Grade, Indicator};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Sums of one indicator's rows: counters, and the multisets of its values, sorted.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Tally {
    /// The indicator's unit and direction they were counted for (values are converted to that
    /// unit). An empty direction: the library had no such indicator; only `rows` and
    /// `in_review` are counted, so that the code's rows are known to exist.
    pub unit: String,
    pub direction: String,
    /// Rows counted (linked with certainty).
    pub rows: i64,
    pub projects: i64,
    pub by_year: BTreeMap<i32, i64>,
    pub by_type: BTreeMap<String, i64>,
    /// By grade label (优 …).
    pub by_grade: BTreeMap<String, i64>,
    /// Each distinct target (converted to the unit) with how many rows give it, by value.
    pub targets: Values,
    pub actuals: Values,
    pub assessed: i64,
    pub met: i64,
    pub automatic: i64,
    pub confirmed: i64,
    pub in_review: i64,
    pub with_values: i64,
    pub converted: i64,
    /// Counted rows whose values stay out of the spread, in the store's order (project id,
    /// row), every one of them: which are "the first few" depends on all.
    pub excluded: Vec<Excluded>,
}

/// Distinct values with their counts, sorted by value (once `sort`ed), counts above zero.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Values(Vec<(f64, i64)>);

impl Values {
    fn push(&mut self, v: f64) {
        self.0.push((v, 1));
    }

    /// Sorted, equal values summed, none left at zero.
    fn sort(&mut self) {
        self.0.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut out: Vec<(f64, i64)> = Vec::with_capacity(self.0.len());
        for (v, n) in self.0.drain(..) {
            match out.last_mut() {
                Some(last) if last.0.total_cmp(&v).is_eq() => last.1 += n,
                _ => out.push((v, n)),
            }
        }
        out.retain(|(_, n)| *n > 0);
        self.0 = out;
    }

    fn merge(&mut self, plus: &Values, minus: &Values) {
        self.0.extend_from_slice(&plus.0);
        self.0.extend(minus.0.iter().map(|&(v, n)| (v, -n)));
        self.sort();
    }

    /// Every value, as many times as it was given, in order.
    pub fn expand(&self) -> Vec<f64> {
        self.0
            .iter()
            .flat_map(|&(v, n)| std::iter::repeat_n(v, n.max(0) as usize))
            .collect()
    }
}

/// A counted row whose values stay out of the spread.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Excluded {
    pub project_id: String,
    pub row: u32,
    pub reason: String,
    /// Where it comes from (file › sheet › row).
    pub source: String,
}

/// (unit, direction) of the indicator a tally is counted for; ("", "") when there is none.
pub fn fit_of(ind: Option<&Indicator>) -> (String, String) {
    ind.map_or_else(Default::default, |i| {
        (i.unit.clone(), i.direction.label().to_string())
    })
}

impl Tally {
    /// Nothing counted yet, for this revision of the indicator (or for none).
    pub fn empty(ind: Option<&Indicator>) -> Tally {
        let (unit, direction) = fit_of(ind);
        Tally {
            unit,
            direction,
            ..Tally::default()
        }
    }

    /// Whether it was counted for this revision of the indicator (or for no indicator).
    pub fn fits(&self, ind: Option<&Indicator>) -> bool {
        (self.unit.as_str(), self.direction.as_str())
            == ind.map_or(("", ""), |i| (i.unit.as_str(), i.direction.label()))
    }

    /// Nothing counted and nothing waiting: the code no longer needs an entry.
    pub fn is_empty(&self) -> bool {
        self.rows == 0 && self.in_review == 0
    }

    /// What project `p` adds to the tallies of its codes, `indicator` giving each code's
    /// indicator (the one the tally is counted for).
    pub fn add_project(
        tallies: &mut BTreeMap<String, Tally>,
        p: &EvaluatedProject,
        indicator: &mut dyn FnMut(&str) -> Option<Indicator>,
    ) {
        let table = units::table();
        let id = p.id();
        let mut counted: Vec<&str> = Vec::new();
        for (i, r) in p.rows.iter().enumerate() {
            let Some(m) = &r.matched else { continue };
            let code = m.code.as_str();
            if !tallies.contains_key(code) {
                let ind = indicator(code);
                tallies.insert(code.to_string(), Tally::empty(ind.as_ref()));
            }
            let t = tallies.get_mut(code).expect("inserted above");
            if !m.is_certain() {
                t.in_review += 1;
                continue;
            }
            t.rows += 1;
            if !counted.contains(&code) {
                counted.push(code);
            }
            if t.direction.is_empty() {
                continue;
            }
            if m.confirmed_by.is_some() {
                t.confirmed += 1;
            } else {
                t.automatic += 1;
            }
            let qualitative = t.direction == Direction::Qualitative.label();
            let (tv, av) = (number(&r.target), number(&r.actual));
            if !qualitative {
                let mut exclude = |reason: String| {
                    t.excluded.push(Excluded {
                        project_id: id.clone(),
                        row: i as u32,
                        reason,
                        source: r.source.to_string(),
                    })
                };
                match (tv.is_some() || av.is_some(), table.factor(&r.unit, &t.unit)) {
                    (false, _) => exclude("目标值和实际值都不是数字".into()),
                    (true, Err(problem)) => exclude(problem.to_string()),
                    (true, Ok(f)) => {
                        let conv = |v: f64| table.convert(v, &r.unit, &t.unit).unwrap_or(v);
                        if let Some(v) = tv {
                            t.targets.push(conv(v));
                        }
                        if let Some(v) = av {
                            t.actuals.push(conv(v));
                        }
                        t.with_values += 1;
                        if f != 1.0 {
                            t.converted += 1;
                        }
                    }
                }
            }
            let dir = if r.direction.is_empty() {
                t.direction.as_str()
            } else {
                r.direction.as_str()
            };
            if let Some(met) = stats::met(dir, &r.target, &r.actual) {
                t.assessed += 1;
                t.met += met as i64;
            }
        }
        for code in counted {
            let t = tallies.get_mut(code).expect("counted codes have tallies");
            t.projects += 1;
            if t.direction.is_empty() {
                continue;
            }
            *t.by_year.entry(p.year).or_default() += 1;
            *t.by_type
                .entry(p.project_type.clone().unwrap_or_default())
                .or_default() += 1;
            *t.by_grade.entry(p.grade.label().to_string()).or_default() += 1;
        }
    }

    /// Puts values and exclusions in order (after `add_project`, which appends).
    pub fn sort(&mut self) {
        self.targets.sort();
        self.actuals.sort();
        self.excluded
            .sort_by(|a, b| (&a.project_id, a.row).cmp(&(&b.project_id, b.row)));
    }

    /// Adds `plus` and takes away `minus` (both counted for the same indicator revision as
    /// this, sorted): the tally of the projects after a write from the one before it.
    pub fn merge(&mut self, plus: &Tally, minus: &Tally) {
        fn counts<K: Ord + Clone>(
            to: &mut BTreeMap<K, i64>,
            plus: &BTreeMap<K, i64>,
            minus: &BTreeMap<K, i64>,
        ) {
            for (k, n) in plus {
                *to.entry(k.clone()).or_default() += n;
            }
            for (k, n) in minus {
                *to.entry(k.clone()).or_default() -= n;
            }
            to.retain(|_, n| *n != 0);
        }
        macro_rules! scalar {
            ($($f:ident),*) => { $( self.$f += plus.$f - minus.$f; )* };
        }
        scalar!(
            rows,
            projects,
            assessed,
            met,
            automatic,
            confirmed,
            in_review,
            with_values,
            converted
        );
        counts(&mut self.by_year, &plus.by_year, &minus.by_year);
        counts(&mut self.by_type, &plus.by_type, &minus.by_type);
        counts(&mut self.by_grade, &plus.by_grade, &minus.by_grade);
        self.targets.merge(&plus.targets, &minus.targets);
        self.actuals.merge(&plus.actuals, &minus.actuals);
        self.excluded.retain(|e| {
            !minus
                .excluded
                .iter()
                .any(|m| m.project_id == e.project_id && m.row == e.row)
        });
        self.excluded.extend(plus.excluded.iter().cloned());
        self.excluded
            .sort_by(|a, b| (&a.project_id, a.row).cmp(&(&b.project_id, b.row)));
    }

    /// The statistics of indicator `code` as pages and the API show them, the project types
    /// named by `type_name`.
    pub fn stats(&self, code: &str, type_name: &dyn Fn(&str) -> String) -> IndicatorStats {
        let n = |x: i64| x.max(0) as usize;
        let mut coverage = Coverage {
            automatic: n(self.automatic),
            confirmed: n(self.confirmed),
            in_review: n(self.in_review),
            with_values: n(self.with_values),
            converted: n(self.converted),
            excluded: Vec::new(),
        };
        for e in &self.excluded {
            match coverage.excluded.iter_mut().find(|x| x.reason == e.reason) {
                Some(x) => {
                    x.rows += 1;
                    if x.sources.len() < 5 {
                        x.sources.push(e.source.clone());
                    }
                }
                None => coverage.excluded.push(Exclusion {
                    reason: e.reason.clone(),
                    rows: 1,
                    sources: vec![e.source.clone()],
                }),
            }
        }
        let mut types: Vec<Count> = self
            .by_type
            .iter()
            .map(|(k, &count)| Count {
                label: type_name(k),
                key: k.clone(),
                count: n(count),
            })
            .collect();
        types.sort_by(|a, b| b.count.cmp(&a.count).then(a.key.cmp(&b.key)));
        let (targets, actuals) = (self.targets.expand(), self.actuals.expand());
        IndicatorStats {
            code: code.to_string(),
            unit: self.unit.clone(),
            rows: n(self.rows),
            projects: n(self.projects),
            years: self
                .by_year
                .keys()
                .next()
                .copied()
                .zip(self.by_year.keys().next_back().copied()),
            by_year: self
                .by_year
                .iter()
                .map(|(y, &count)| Count {
                    key: y.to_string(),
                    label: format!("{y}年"),
                    count: n(count),
                })
                .collect(),
            by_type: types,
            by_grade: Grade::ALL
                .iter()
                .map(|g| Count {
                    key: g.label().into(),
                    label: g.label().into(),
                    count: self.by_grade.get(g.label()).copied().map_or(0, n),
                })
                .collect(),
            target: Spread::of(&targets),
            actual: Spread::of(&actuals),
            target_values: targets,
            actual_values: actuals,
            achievement: (self.assessed > 0).then(|| Achievement {
                assessed: n(self.assessed),
                met: n(self.met),
                rate: stats::round(self.met as f64 / self.assessed as f64),
            }),
            coverage,
        }
    }
}

/// The statistics of one indicator from the rows linked to it; `in_review` rows wait for a
/// curator (reported in the coverage, not counted). Counted as a write counts them
/// (`Tally`), each project's rows together.
pub fn indicator_stats(
    ind: &Indicator,
    rows: &[stats::LinkedRow<'_>],
    in_review: usize,
    type_name: &dyn Fn(&str) -> String,
) -> IndicatorStats {
    let mut projects: BTreeMap<String, EvaluatedProject> = BTreeMap::new();
    for lr in rows {
        let p = lr.project;
        projects
            .entry(p.id())
            .or_insert_with(|| EvaluatedProject {
                name: p.name.clone(),
                unit_name: p.unit_name.clone(),
                year: p.year,
                project_type: p.project_type.clone(),
                budget_wan: p.budget_wan,
                execution_rate: p.execution_rate,
                score: p.score,
                grade: p.grade,
                rows: Vec::new(),
                import: p.import.clone(),
            })
            .rows
            .push(lr.row.clone());
    }
    let code = ind.code.to_string();
    let mut tallies = BTreeMap::new();
    for p in projects.values() {
        Tally::add_project(&mut tallies, p, &mut |_| Some(ind.clone()));
    }
    let mut t = tallies
        .remove(&code)
        .unwrap_or_else(|| Tally::empty(Some(ind)));
    t.sort();
    t.in_review = in_review as i64;
    t.stats(&code, type_name)
}
