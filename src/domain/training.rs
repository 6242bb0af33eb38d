//! Training mode: worked examples (正例/反例), training sessions a trainer presents, exercises
//! trainees join with a short code, and their attempts. Pure types and rules, no I/O.
//!
//! An example's annotations are never stored: they are what `lint` reports for its tables, so
//! the examples cannot drift away from the review rules.

use super::lint::{LintConfig, LintFinding, Severity, lint};
use super::{Catalog, Draft, DraftProject, DraftRow, Indicator};
use crate::text::name_key;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A realistic bad target table for one project type and its corrected version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Example {
    pub project_type: String,
    /// The project's name, e.g. 某区城市道路改扩建工程.
    pub title: String,
    pub unit_name: String,
    pub description: String,
    pub budget_wan: f64,
    /// What the trainer should point out beyond the rule findings.
    pub note: String,
    pub bad: Vec<DraftRow>,
    pub good: Vec<DraftRow>,
    /// The file it was loaded from, relative to the repository (for reviewers).
    pub source: String,
}

impl Example {
    pub fn project(&self) -> DraftProject {
        DraftProject {
            name: self.title.clone(),
            unit_name: self.unit_name.clone(),
            description: self.description.clone(),
            project_type: Some(self.project_type.clone()),
            budget_wan: Some(self.budget_wan),
            ..Default::default()
        }
    }

    /// A table of this example's project as a draft, the form `lint` checks.
    pub fn draft(&self, rows: &[DraftRow]) -> Draft {
        let epoch = DateTime::<Utc>::UNIX_EPOCH;
        Draft {
            id: format!("example-{}", self.project_type),
            project: self.project(),
            rows: rows.to_vec(),
            owner: None,
            created: epoch,
            updated: epoch,
        }
    }
}

/// A table with the findings of the review rules, per row and for the whole table.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AnnotatedTable {
    pub rows: Vec<AnnotatedRow>,
    /// Findings about the table as a whole (missing level 1, too many qualitative rows …).
    pub general: Vec<LintFinding>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AnnotatedRow {
    pub row: DraftRow,
    pub findings: Vec<LintFinding>,
}

impl AnnotatedTable {
    pub fn all(&self) -> impl Iterator<Item = &LintFinding> {
        self.general
            .iter()
            .chain(self.rows.iter().flat_map(|r| r.findings.iter()))
    }

    pub fn errors(&self) -> usize {
        self.all().filter(|f| f.severity == Severity::Error).count()
    }

    /// The rule ids found, each once, in order of first appearance.
    pub fn rules(&self) -> Vec<&'static str> {
        let mut v: Vec<&'static str> = Vec::new();
        for f in self.all() {
            if !v.contains(&f.rule) {
                v.push(f.rule);
            }
        }
        v
    }
}

/// Runs the review rules over a table and files each finding under its row.
pub fn annotate(
    draft: &Draft,
    config: &LintConfig,
    catalog: &Catalog,
    library: &dyn Fn(&str) -> Option<Indicator>,
) -> AnnotatedTable {
    let findings = lint(draft, config, catalog, library);
    AnnotatedTable {
        rows: draft
            .rows
            .iter()
            .enumerate()
            .map(|(i, r)| AnnotatedRow {
                row: r.clone(),
                findings: findings
                    .iter()
                    .filter(|f| f.row == Some(i))
                    .cloned()
                    .collect(),
            })
            .collect(),
        general: findings.into_iter().filter(|f| f.row.is_none()).collect(),
    }
}

/// A short Chinese name for each review rule, for slides and the room summary.
pub fn rule_label(rule: &str) -> &'static str {
    match rule {
        "missing-level1" => "缺少一级指标",
        "missing-level2" => "缺少必备二级指标",
        "input-as-output" => "把资金投入当作产出或效益",
        "vague-wording" => "模糊表述，无法衡量",
        "unit-value-mismatch" => "指标值与计量单位不符",
        "rate-over-100" => "比率目标超过 100%",
        "relative-without-baseline" => "相对目标未写基数",
        "budget-mismatch" => "数量 × 单位成本与预算不符",
        "too-many-qualitative" => "定性指标过多",
        "missing-value" => "未填写指标值",
        "missing-unit" => "未填写计量单位",
        "missing-explanation" => "自拟指标缺少指标解释",
        "below-typical" => "目标低于指标库参考值",
        "cost-direction" => "成本指标方向不是“≤”",
        "acceptance-below-100" => "工程验收合格率低于 100%",
        "satisfaction-range" => "满意度目标过低或为 100%",
        "quantity-vs-description" => "数量目标与项目概述不符",
        "reference-value" => "参考值未按项目确认",
        "below-last-year" => "目标低于上年实际",
        "near-duplicate" => "同一指标换了说法重复填写",
        _ => "其他",
    }
}

/// The framework explainer slides a session can include.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FrameworkPart {
    /// 产出 / 效益 / 满意度 and their level 2 headings.
    Levels,
    /// The 2021 central framework (财预〔2021〕101号): cost as its own level 1.
    Central2021,
    /// What reviewers send back: the review rules in plain words.
    Rules,
}

impl FrameworkPart {
    pub const ALL: &'static [FrameworkPart] = &[
        FrameworkPart::Levels,
        FrameworkPart::Central2021,
        FrameworkPart::Rules,
    ];

    pub fn title(self) -> &'static str {
        match self {
            FrameworkPart::Levels => "绩效指标的三个层级：产出、效益、满意度",
            FrameworkPart::Central2021 => "财预〔2021〕101号框架：成本指标单列",
            FrameworkPart::Rules => "审核常见问题：这些目标会被退回",
        }
    }

    pub fn parse(s: &str) -> Option<FrameworkPart> {
        match s {
            "levels" => Some(FrameworkPart::Levels),
            "central2021" => Some(FrameworkPart::Central2021),
            "rules" => Some(FrameworkPart::Rules),
            _ => None,
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            FrameworkPart::Levels => "levels",
            FrameworkPart::Central2021 => "central2021",
            FrameworkPart::Rules => "rules",
        }
    }
}

/// One step of a training session, in the order the trainer presents them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SessionItem {
    Framework {
        part: FrameworkPart,
    },
    /// An indicator as it was when it was added: slides keep showing what was taught.
    Indicator {
        code: String,
        revision: u32,
        /// The frozen edition holding that revision, when there is one.
        #[serde(default)]
        edition: Option<String>,
    },
    Example {
        project_type: String,
    },
    Exercise {
        /// The join code trainees type.
        code: String,
    },
}

/// A trainer's session: saved under an unguessable link and presented full-screen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TrainingSession {
    pub id: String,
    pub title: String,
    /// The account that created it.
    pub owner: String,
    pub items: Vec<SessionItem>,
    #[schema(value_type = String, format = DateTime)]
    pub created: DateTime<Utc>,
    #[schema(value_type = String, format = DateTime)]
    pub updated: DateTime<Utc>,
}

/// Where trainees start: an empty table, or the example's bad table to correct.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExerciseStart {
    Blank,
    Bad,
}

impl ExerciseStart {
    pub fn label(self) -> &'static str {
        match self {
            ExerciseStart::Blank => "从空白申报表开始",
            ExerciseStart::Bad => "修改一张有问题的申报表",
        }
    }
}

/// A practice case trainees open with a short code. The project and the model answer are
/// copied from the example when the exercise is created, so a later edit of the example file
/// does not change an exercise a room is working on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Exercise {
    pub code: String,
    pub session: String,
    pub project_type: String,
    pub project: DraftProject,
    pub start: ExerciseStart,
    pub start_rows: Vec<DraftRow>,
    pub model: Vec<DraftRow>,
    pub created: DateTime<Utc>,
}

/// One trainee's work on an exercise: anonymous, known only by its unguessable id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attempt {
    pub id: String,
    pub exercise: String,
    pub draft: Draft,
    /// When the trainee last submitted it for feedback.
    #[serde(default)]
    pub submitted: Option<DateTime<Utc>>,
    /// Rules the table broke at the last submission (for the room summary).
    #[serde(default)]
    pub rules: Vec<String>,
}

/// Letters and digits nobody confuses on a projector (no 0/O, 1/I/L).
pub const JOIN_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
pub const JOIN_LEN: usize = 6;

/// A join code from random bytes (the caller supplies the randomness).
pub fn join_code(random: &[u8]) -> String {
    random
        .iter()
        .take(JOIN_LEN)
        .map(|b| JOIN_ALPHABET[*b as usize % JOIN_ALPHABET.len()] as char)
        .collect()
}

/// What people type is upper-cased, with spaces and dashes dropped; `None` if it cannot be a code.
pub fn normalize_join_code(s: &str) -> Option<String> {
    let c: String = s
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (c.len() == JOIN_LEN && c.bytes().all(|b| JOIN_ALPHABET.contains(&b))).then_some(c)
}

/// One row of the model answer and whether the trainee's table has it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ModelRow {
    pub row: DraftRow,
    /// Index of the trainee's row that covers it.
    pub covered_by: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Comparison {
    pub model: Vec<ModelRow>,
    pub covered: usize,
    /// The trainee's rows that match no model row (not wrong in themselves).
    pub extra: Vec<usize>,
}

/// Compares a trainee's table with the model answer: a model row is covered by a row taken from
/// the same library indicator, or one whose name is the same once normalised.
pub fn model_answer_coverage(model: &[DraftRow], attempt: &[DraftRow]) -> Comparison {
    let mut used = vec![false; attempt.len()];
    let rows: Vec<ModelRow> = model
        .iter()
        .map(|m| {
            let hit = attempt.iter().enumerate().position(|(i, a)| {
                !used[i]
                    && ((m.indicator.is_some() && a.indicator == m.indicator)
                        || name_key(&a.name) == name_key(&m.name))
            });
            if let Some(i) = hit {
                used[i] = true;
            }
            ModelRow {
                row: m.clone(),
                covered_by: hit,
            }
        })
        .collect();
    Comparison {
        covered: rows.iter().filter(|r| r.covered_by.is_some()).count(),
        model: rows,
        extra: (0..attempt.len()).filter(|i| !used[*i]).collect(),
    }
}

/// The room's anonymous summary: for each rule, how many submitted attempts broke it, most
/// frequent first.
pub fn rule_counts<'a>(attempts: impl IntoIterator<Item = &'a Attempt>) -> Vec<(String, usize)> {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for a in attempts.into_iter().filter(|a| a.submitted.is_some()) {
        for r in &a.rules {
            *counts.entry(r.clone()).or_default() += 1;
        }
    }
    let mut v: Vec<(String, usize)> = counts.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Direction;

    fn row(name: &str, code: Option<&str>) -> DraftRow {
        DraftRow {
            level1: "产出指标".into(),
            level2: "数量指标".into(),
            name: name.into(),
            indicator: code.map(str::to_string),
            revision: None,
            direction: Direction::AtLeast,
            target: "1".into(),
            unit: "个".into(),
            explanation: String::new(),
            confirmed: false,
        }
    }

    #[test]
    fn join_codes_use_only_the_unambiguous_alphabet_and_normalise_what_people_type() {
        let c = join_code(&[0, 1, 2, 3, 30, 31, 200]);
        assert_eq!(c.len(), JOIN_LEN);
        assert!(!c.contains(['0', 'O', '1', 'I', 'L']));
        assert_eq!(
            normalize_join_code(&format!(" {}-{} ", &c[..3].to_lowercase(), &c[3..])),
            Some(c)
        );
        assert_eq!(normalize_join_code("ABC0EF"), None);
        assert_eq!(normalize_join_code("ABCDE"), None);
    }

    #[test]
    fn a_model_row_is_covered_by_the_same_indicator_or_the_same_name() {
        let model = vec![
            row("新建道路里程", Some("DL-001")),
            row("出行群众满意度", Some("DL-028")),
            row("道路通行时间缩短", None),
        ];
        let attempt = vec![
            row("出行 群众满意度", None),
            row("道路里程", Some("DL-001")),
            row("项目资金到位率", None),
        ];
        let c = model_answer_coverage(&model, &attempt);
        assert_eq!(c.covered, 2);
        assert_eq!(c.model[0].covered_by, Some(1));
        assert_eq!(c.model[1].covered_by, Some(0));
        assert_eq!(c.model[2].covered_by, None);
        assert_eq!(c.extra, vec![2]);
    }

    #[test]
    fn the_room_summary_counts_each_rule_once_per_submitted_attempt() {
        let now = Utc::now();
        let draft = Draft {
            id: "x".into(),
            project: DraftProject {
                name: "p".into(),
                ..Default::default()
            },
            rows: vec![],
            owner: None,
            created: now,
            updated: now,
        };
        let at = |rules: &[&str], submitted: bool| Attempt {
            id: "a".into(),
            exercise: "E".into(),
            draft: draft.clone(),
            submitted: submitted.then_some(now),
            rules: rules.iter().map(|r| r.to_string()).collect(),
        };
        let all = [
            at(&["vague-wording", "missing-unit"], true),
            at(&["vague-wording"], true),
            at(&["rate-over-100"], false),
        ];
        assert_eq!(
            rule_counts(&all),
            vec![
                ("vague-wording".to_string(), 2),
                ("missing-unit".to_string(), 1)
            ]
        );
    }
}
