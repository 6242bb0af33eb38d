//! What the library learns from imported evaluations, per indicator: how many projects used it
//! (by year, project type and grade), the spread of targets and actuals, and how often targets
//! were met. Only rows linked with certainty (or confirmed by a curator) count.
//!
//! Percentiles use linear interpolation between closest ranks (Excel's PERCENTILE.INC, numpy's
//! default): for sorted values x[0..n] and p in [0,1], h = (n−1)·p and
//! P = x[⌊h⌋] + (h−⌊h⌋)·(x[⌊h⌋+1] − x[⌊h⌋]).
//!
//! Values count toward the spread when they read as numbers; a value written in another unit
//! of the same quantity (元 for 万元, 千米 for 公里, ％ for %) is converted to the indicator's
//! unit first (`units`), and one whose unit cannot be converted is left out and counted, with
//! its reason, in the statistics' `coverage` — as are the rows still waiting for a curator.

use super::import::number;
use crate::domain::{EvaluatedProject, EvaluationRow, SourceRef};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Fewer values than this and a page shows their range, not percentiles: a P25 of two projects
/// says nothing a reader can rely on.
pub const MIN_FOR_PERCENTILES: usize = 5;

/// The percentile `p` (0..=1) of `sorted` values, by the method in the module comment.
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let h = (sorted.len() - 1) as f64 * p.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    Some(sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo]))
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    pub n: usize,
    pub min: f64,
    pub p25: f64,
    pub median: f64,
    pub p75: f64,
    pub max: f64,
}

impl Spread {
    pub fn of(values: &[f64]) -> Option<Spread> {
        let mut v: Vec<f64> = values.to_vec();
        v.sort_by(f64::total_cmp);
        Some(Spread {
            n: v.len(),
            min: *v.first()?,
            p25: round(percentile(&v, 0.25)?),
            median: round(percentile(&v, 0.5)?),
            p75: round(percentile(&v, 0.75)?),
            max: *v.last()?,
        })
    }
}

/// Rounded to 4 decimals, so that JSON shows 95.5, not 95.49999999999999.
pub fn round(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// Whether a row met its target: ≥ actual ≥ target, ≤ actual ≤ target, = equal (to 1e-9);
/// 定性 when the actual repeats the target or says it was reached. `None` when it cannot tell.
pub fn met(direction: &str, target: &str, actual: &str) -> Option<bool> {
    if direction == "定性" || (number(target).is_none() && number(actual).is_none()) {
        let a = actual.trim();
        if a.is_empty() {
            return None;
        }
        let reached = [
            "达到",
            "达标",
            "已完成",
            "完成",
            "实现",
            "合格",
            "良好",
            "优",
            "是",
        ];
        let missed = ["未", "不", "部分", "基本"];
        if a == target.trim() {
            return Some(true);
        }
        return Some(
            reached.iter().any(|w| a.starts_with(w)) && !missed.iter().any(|w| a.contains(w)),
        );
    }
    let (t, a) = (number(target)?, number(actual)?);
    match direction {
        "≥" => Some(a >= t),
        "≤" => Some(a <= t),
        "=" => Some((a - t).abs() < 1e-9),
        _ => None,
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Count {
    pub key: String,
    pub label: String,
    pub count: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Achievement {
    /// Rows where it could be told whether the target was met.
    pub assessed: usize,
    pub met: usize,
    /// met / assessed, 0..=1 (rounded to 4 decimals).
    pub rate: f64,
}

/// Everything the evaluations say about one indicator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndicatorStats {
    pub code: String,
    pub unit: String,
    /// Indicator rows linked to it.
    pub rows: usize,
    /// Distinct projects that used it.
    pub projects: usize,
    /// Projects by year (ascending).
    pub by_year: Vec<Count>,
    /// Projects by project type (most first).
    pub by_type: Vec<Count>,
    /// Projects by grade (优, 良, 中, 差).
    pub by_grade: Vec<Count>,
    pub target: Option<Spread>,
    pub actual: Option<Spread>,
    pub achievement: Option<Achievement>,
    /// First and last year seen.
    pub years: Option<(i32, i32)>,
    /// The values behind `target` and `actual` (for the charts).
    #[serde(skip)]
    pub target_values: Vec<f64>,
    #[serde(skip)]
    pub actual_values: Vec<f64>,
    /// What the statistics rest on: rows counted, rows waiting, rows left out and why.
    pub coverage: Coverage,
}

/// What an indicator's statistics rest on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Coverage {
    /// Rows counted because the matcher linked them with certainty.
    pub automatic: usize,
    /// Rows counted because a curator confirmed or chose the link.
    pub confirmed: usize,
    /// Rows proposed for this indicator that wait for a curator: not counted.
    pub in_review: usize,
    /// Counted rows with at least one value in the spread of targets and actuals.
    pub with_values: usize,
    /// Of those, rows whose values were converted from another unit (元 → 万元).
    pub converted: usize,
    /// Counted rows (they count for projects and achievement) whose values are not in the
    /// spread, by reason.
    pub excluded: Vec<Exclusion>,
}

/// Counted rows whose values were left out of the spread for one reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Exclusion {
    /// In Chinese: 单位“个百分点”不能换算为“%” …
    pub reason: String,
    pub rows: usize,
    /// Where the first few come from (file › sheet › row).
    pub sources: Vec<String>,
}

impl Coverage {
    /// Rows counted in the statistics.
    pub fn counted(&self) -> usize {
        self.automatic + self.confirmed
    }

    pub fn excluded_rows(&self) -> usize {
        self.excluded.iter().map(|e| e.rows).sum()
    }

    /// One line in Chinese: 依据 23 行（自动关联 20，人工确认 3）；另有 2 行待确认未计入；……
    pub fn summary(&self) -> String {
        let mut s = format!(
            "依据 {} 行评价记录（自动关联 {}，人工确认 {}）",
            self.counted(),
            self.automatic,
            self.confirmed
        );
        if self.converted > 0 {
            s += &format!("，其中 {} 行的数值已按单位换算", self.converted);
        }
        if self.in_review > 0 {
            s += &format!("；另有 {} 行待人工确认，未计入", self.in_review);
        }
        for e in &self.excluded {
            s += &format!("；{} 行{}，未计入目标值与实际值分布", e.rows, e.reason);
        }
        s + "。"
    }
}

impl IndicatorStats {
    /// Projects of one type that used it.
    pub fn projects_of_type(&self, code: &str) -> usize {
        self.by_type
            .iter()
            .find(|c| c.key == code)
            .map_or(0, |c| c.count)
    }
}

/// One linked row with its project, as listed for tracing a statistic to its sources.
#[derive(Debug, Clone, Serialize)]
pub struct LinkedRow<'a> {
    pub project: &'a EvaluatedProject,
    pub row: &'a EvaluationRow,
}

/// Rows proposed for each indicator code that wait for a curator (not counted).
pub fn review_by_code(projects: &[EvaluatedProject]) -> HashMap<&str, usize> {
    let mut m: HashMap<&str, usize> = HashMap::new();
    for r in projects.iter().flat_map(|p| &p.rows) {
        if let Some(m_) = r.matched.as_ref().filter(|m| !m.is_certain()) {
            *m.entry(m_.code.as_str()).or_default() += 1;
        }
    }
    m
}

/// Rows linked (with certainty) to each indicator code.
pub fn rows_by_code(projects: &[EvaluatedProject]) -> HashMap<&str, Vec<LinkedRow<'_>>> {
    let mut m: HashMap<&str, Vec<LinkedRow>> = HashMap::new();
    for p in projects {
        for r in &p.rows {
            if let Some(c) = r.certain_code() {
                m.entry(c)
                    .or_default()
                    .push(LinkedRow { project: p, row: r });
            }
        }
    }
    m
}

/// A number as people read it: at most two decimals, no trailing zeros.
pub fn fmt_num(x: f64) -> String {
    let s = format!("{:.2}", x);
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The reference line the drafting assistant shows, e.g.
/// `2024–2025 年 23 个项目：目标中位数 95%，实际中位数 97%，达成率 87%`.
pub fn reference_text(s: &IndicatorStats) -> String {
    let years = match s.years {
        Some((a, b)) if a == b => format!("{a} 年"),
        Some((a, b)) => format!("{a}–{b} 年"),
        None => String::new(),
    };
    let mut parts = Vec::new();
    if let Some(t) = &s.target {
        parts.push(format!("目标中位数 {}{}", fmt_num(t.median), s.unit));
    }
    if let Some(a) = &s.actual {
        parts.push(format!("实际中位数 {}{}", fmt_num(a.median), s.unit));
    }
    if let Some(a) = &s.achievement {
        parts.push(format!("达成率 {}%", fmt_num(a.rate * 100.0)));
    }
    format!("{years} {} 个项目：{}", s.projects, parts.join("，"))
}

/// Where a row came from, for lists: `file › sheet › 第 n 行`.
pub fn source_label(s: &SourceRef) -> String {
    s.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_interpolate_between_closest_ranks() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(percentile(&v, 0.5), Some(2.5));
        assert_eq!(percentile(&v, 0.25), Some(1.75));
        assert_eq!(percentile(&v, 0.75), Some(3.25));
        assert_eq!(percentile(&[7.0], 0.25), Some(7.0));
        assert_eq!(percentile(&[], 0.5), None);
        let s = Spread::of(&[95.0, 90.0, 100.0]).unwrap();
        assert_eq!(
            (s.min, s.p25, s.median, s.p75, s.max),
            (90.0, 92.5, 95.0, 97.5, 100.0)
        );
    }

    #[test]
    fn targets_are_met_by_direction() {
        assert_eq!(met("≥", "95", "96.2"), Some(true));
        assert_eq!(met("≥", "95%", "94"), Some(false));
        assert_eq!(met("≤", "30", "28"), Some(true));
        assert_eq!(met("=", "100", "100"), Some(true));
        assert_eq!(met("=", "100", "98"), Some(false));
        assert_eq!(met("定性", "达到预期", "达到预期"), Some(true));
        assert_eq!(met("定性", "达到预期", "基本达到"), Some(false));
        assert_eq!(met("≥", "95", ""), None);
    }

    #[test]
    fn the_reference_line_reads_like_a_sentence() {
        let s = IndicatorStats {
            code: "X".into(),
            unit: "%".into(),
            rows: 23,
            projects: 23,
            by_year: vec![],
            by_type: vec![],
            by_grade: vec![],
            target: Spread::of(&[95.0]),
            actual: Spread::of(&[97.0]),
            achievement: Some(Achievement {
                assessed: 23,
                met: 20,
                rate: round(20.0 / 23.0),
            }),
            years: Some((2024, 2025)),
            target_values: vec![],
            actual_values: vec![],
            coverage: Coverage::default(),
        };
        assert_eq!(
            reference_text(&s),
            "2024–2025 年 23 个项目：目标中位数 95%，实际中位数 97%，达成率 86.96%"
        );
    }
}
