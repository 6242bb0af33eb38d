//! The drafting assistant: from a project (name, description, type, budget) to suggested
//! indicators grouped by the framework, each with the reason it was suggested.

use crate::domain::{
    Catalog, Direction, Draft, DraftProject, DraftRow, Indicator, ProjectType, Term,
};
use crate::search::{Filters, MAX_QUERY_CHARS, SearchError, SearchIndex, SearchRequest};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// What a budget unit says about its project.
#[derive(Debug, Clone, Deserialize)]
pub struct ProjectInput {
    pub project_name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub project_type: Option<String>,
    #[serde(default)]
    pub budget_wan: Option<f64>,
    #[serde(default)]
    pub term: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TypeGuess {
    pub code: String,
    pub name: String,
    /// 1.0 when given by the user; otherwise the share of the best type's keyword score.
    pub confidence: f32,
    pub given: bool,
    /// Other plausible types, best first.
    pub alternatives: Vec<(String, String)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Suggested {
    pub id: String,
    pub code: String,
    pub name: String,
    pub level1: String,
    pub level2: String,
    pub unit: String,
    pub direction: String,
    pub reference_value: String,
    pub core: bool,
    pub reason: String,
    /// What imported evaluations say about it (absent when none used it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evaluations: Option<PracticeReference>,
}

/// Statistics from imported evaluations, by indicator code (see `evaluations::all_stats`).
pub type Practice = HashMap<String, crate::evaluations::stats::IndicatorStats>;

/// The evaluation-derived reference values of a suggested indicator, e.g.
/// “2024–2025 年 23 个项目：目标中位数 95%，实际中位数 97%，达成率 87%”.
#[derive(Debug, Clone, Serialize)]
pub struct PracticeReference {
    pub projects: usize,
    /// Of them, projects of the type being drafted.
    pub projects_of_type: usize,
    pub first_year: i32,
    pub last_year: i32,
    pub target_median: Option<f64>,
    pub actual_median: Option<f64>,
    /// Share of targets met, 0..=1.
    pub achievement_rate: Option<f64>,
    pub text: String,
}

impl PracticeReference {
    fn of(s: &crate::evaluations::stats::IndicatorStats, type_code: &str) -> PracticeReference {
        let (first_year, last_year) = s.years.unwrap_or_default();
        PracticeReference {
            projects: s.projects,
            projects_of_type: s.projects_of_type(type_code),
            first_year,
            last_year,
            target_median: s.target.as_ref().map(|t| t.median),
            actual_median: s.actual.as_ref().map(|t| t.median),
            achievement_rate: s.achievement.as_ref().map(|a| a.rate),
            text: crate::evaluations::stats::reference_text(s),
        }
    }
}

/// The most the evaluations may add to an indicator's relevance when ordering suggestions: an
/// indicator used by many projects of the type, with its targets met, moves up among the
/// non-core ones, but never past a clear text match (name matches score 25 and more).
pub const PRACTICE_BOOST: f32 = 3.0;

/// `PRACTICE_BOOST` × (projects of the type, up to 10, / 10) × achievement rate; nothing below
/// 3 projects of the type.
pub fn practice_boost(s: &crate::evaluations::stats::IndicatorStats, type_code: &str) -> f32 {
    let n = s.projects_of_type(type_code);
    if n < 3 {
        return 0.0;
    }
    let rate = s.achievement.as_ref().map_or(0.0, |a| a.rate) as f32;
    PRACTICE_BOOST * (n.min(10) as f32 / 10.0) * rate
}

#[derive(Debug, Clone, Serialize)]
pub struct Group {
    pub level1: String,
    pub level2: String,
    pub indicators: Vec<Suggested>,
}

/// Candidates shown per level-2 heading (core indicators are always all shown).
pub const PER_GROUP: usize = 5;

/// Scores each project type by the keywords found in the project's name (×3) and description;
/// longer keywords weigh more, so 黑臭水体 outweighs 水.
pub fn guess_type<'a>(
    catalog: &'a Catalog,
    name: &str,
    description: &str,
) -> Vec<(f32, &'a ProjectType)> {
    let name = crate::search::text::normalize(name);
    let description = crate::search::text::normalize(description);
    let mut scored: Vec<(f32, &ProjectType)> = catalog
        .project_types
        .iter()
        .map(|t| {
            let mut s = 0.0;
            for k in t.keywords.iter().chain(std::iter::once(&t.name)) {
                let w = k.chars().count() as f32;
                if name.contains(k.as_str()) {
                    s += 3.0 * w;
                }
                if description.contains(k.as_str()) {
                    s += w;
                }
            }
            (s, t)
        })
        .filter(|(s, _)| *s > 0.0)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.code.cmp(&b.1.code)));
    scored
}

#[derive(Debug, thiserror::Error)]
pub enum DraftingError {
    #[error("{0}")]
    BadInput(String),
    #[error(transparent)]
    Search(#[from] SearchError),
}

fn check_input(input: &ProjectInput) -> Result<(), DraftingError> {
    if input.project_name.trim().is_empty() {
        return Err(DraftingError::BadInput("请填写项目名称".into()));
    }
    if input.project_name.chars().count() > 100 {
        return Err(DraftingError::BadInput(
            "项目名称过长（最多 100 字）".into(),
        ));
    }
    if input.description.chars().count() > 5000 {
        return Err(DraftingError::BadInput(format!(
            "项目概述过长（{} 字，最多 5000 字）",
            input.description.chars().count()
        )));
    }
    if let Some(b) = input.budget_wan
        && !(b.is_finite() && b >= 0.0)
    {
        return Err(DraftingError::BadInput("预算金额应为非负数（万元）".into()));
    }
    Ok(())
}

/// The project type (given or guessed) and the suggested indicators by framework heading.
pub fn suggest(
    search: &SearchIndex,
    input: &ProjectInput,
) -> Result<(Option<TypeGuess>, Vec<Group>), DraftingError> {
    suggest_with(search, input, &Practice::new())
}

/// `suggest`, with reference values from imported evaluations and their bounded ranking nudge.
pub fn suggest_with(
    search: &SearchIndex,
    input: &ProjectInput,
    practice: &Practice,
) -> Result<(Option<TypeGuess>, Vec<Group>), DraftingError> {
    check_input(input)?;
    let catalog = search.catalog();
    let guesses = guess_type(&catalog, &input.project_name, &input.description);
    let guess = match input.project_type.as_deref().filter(|t| !t.is_empty()) {
        Some(code) => {
            let t = catalog
                .project_type(code)
                .ok_or_else(|| DraftingError::BadInput(format!("项目类型编码“{code}”不存在")))?;
            Some(TypeGuess {
                code: t.code.clone(),
                name: t.name.clone(),
                confidence: 1.0,
                given: true,
                alternatives: vec![],
            })
        }
        None => guesses.first().map(|(best, t)| {
            let total: f32 = guesses.iter().take(3).map(|g| g.0).sum();
            TypeGuess {
                code: t.code.clone(),
                name: t.name.clone(),
                confidence: (best / total * 100.0).round() / 100.0,
                given: false,
                alternatives: guesses
                    .iter()
                    .skip(1)
                    .take(3)
                    .map(|(_, t)| (t.code.clone(), t.name.clone()))
                    .collect(),
            }
        }),
    };
    let Some(guess) = guess else {
        return Ok((None, vec![]));
    };
    let t = catalog
        .project_type(&guess.code)
        .expect("the guess is a catalog type")
        .clone();

    // Relevance of each of the type's indicators to what the unit wrote.
    let text: String = format!("{} {}", input.project_name, input.description)
        .chars()
        .take(MAX_QUERY_CHARS)
        .collect();
    let mut req = SearchRequest::new(&text);
    req.limit = crate::search::MAX_LIMIT;
    req.filters = Filters {
        project_type: Some(t.code.clone()),
        ..Filters::default()
    };
    let relevance: HashMap<String, f32> = search
        .search(&req)?
        .hits
        .into_iter()
        .map(|h| (h.indicator.code.to_string(), h.score))
        .collect();

    let mut all = Vec::new();
    let mut offset = 0;
    loop {
        let mut req = SearchRequest::new("");
        req.limit = crate::search::MAX_LIMIT;
        req.offset = offset;
        req.filters.project_type = Some(t.code.clone());
        let page = search.search(&req)?;
        let n = page.hits.len();
        all.extend(page.hits.into_iter().map(|h| h.indicator));
        offset += n;
        if n == 0 || offset >= page.total {
            break;
        }
    }
    let term_wanted = match input.term.as_deref() {
        Some("midterm") | Some("中期") => Term::MidTerm,
        _ => Term::Annual,
    };
    let mut groups = Vec::new();
    for l1 in &catalog.framework().level1 {
        for l2 in &l1.level2 {
            let mut cands: Vec<&Indicator> = all
                .iter()
                .map(|i| i.as_ref())
                .filter(|i| i.level1 == l1.name && &i.level2 == l2)
                .filter(|i| {
                    term_wanted == Term::MidTerm
                        || i.term == Term::Annual
                        || i.core.contains(&t.code)
                })
                .collect();
            if cands.is_empty() {
                continue;
            }
            let text_rel = |i: &Indicator| relevance.get(i.code.as_str()).copied().unwrap_or(0.0);
            let rel = |i: &Indicator| {
                text_rel(i)
                    + practice
                        .get(i.code.as_str())
                        .map_or(0.0, |s| practice_boost(s, &t.code))
            };
            cands.sort_by(|a, b| {
                b.core
                    .contains(&t.code)
                    .cmp(&a.core.contains(&t.code))
                    .then(rel(b).total_cmp(&rel(a)))
                    .then(a.natures.is_empty().cmp(&b.natures.is_empty()).reverse())
                    .then(a.code.cmp(&b.code))
            });
            let cores = cands.iter().filter(|i| i.core.contains(&t.code)).count();
            let indicators = cands
                .into_iter()
                .take(PER_GROUP.max(cores))
                .map(|i| {
                    let mut s = suggested(i, &t, &catalog, text_rel(i) > 0.0);
                    if let Some(st) = practice.get(i.code.as_str()) {
                        let r = PracticeReference::of(st, &t.code);
                        if r.projects_of_type >= 3 {
                            s.reason.push_str(&format!(
                                "；{} 个同类项目评价中使用",
                                r.projects_of_type
                            ));
                        }
                        s.evaluations = Some(r);
                    }
                    s
                })
                .collect();
            groups.push(Group {
                level1: l1.name.clone(),
                level2: l2.clone(),
                indicators,
            });
        }
    }
    Ok((Some(guess), groups))
}

fn suggested(i: &Indicator, t: &ProjectType, catalog: &Catalog, relevant: bool) -> Suggested {
    let core = i.core.contains(&t.code);
    let mut reasons = Vec::new();
    if core {
        reasons.push(format!("{}的核心指标", t.name));
    }
    if relevant {
        reasons.push("与项目名称或概述的用词相关".to_string());
    }
    if i.natures.is_empty() {
        reasons.push(format!("{}的个性指标", t.name));
    } else {
        let natures: Vec<&str> = i
            .natures
            .iter()
            .filter_map(|n| catalog.natures.get(n).map(String::as_str))
            .collect();
        reasons.push(format!("共性指标（{}）", natures.join("、")));
    }
    Suggested {
        id: i.code.to_string(),
        code: i.code.to_string(),
        name: i.name.clone(),
        level1: i.level1.clone(),
        level2: i.level2.clone(),
        unit: i.unit.clone(),
        direction: i.direction.label().to_string(),
        reference_value: i.target_display(),
        core,
        reason: reasons.join("；"),
        evaluations: None,
    }
}

/// A row of a target table taken from a library indicator (remembering its revision).
pub fn row_from(i: &Indicator, revision: Option<u32>) -> DraftRow {
    DraftRow {
        level1: i.level1.clone(),
        level2: i.level2.clone(),
        name: i.name.clone(),
        indicator: Some(i.code.to_string()),
        revision,
        direction: i.direction,
        target: i.target.clone(),
        unit: i.unit.clone(),
        explanation: i.definition.clone(),
    }
}

/// A new draft for a project: the type's core indicators and the best two of every other
/// heading, ready to be edited.
pub fn new_draft(
    search: &SearchIndex,
    input: &ProjectInput,
    revision_of: &dyn Fn(&str) -> Option<u32>,
) -> Result<Draft, DraftingError> {
    let (guess, groups) = suggest(search, input)?;
    let mut rows = Vec::new();
    for g in &groups {
        for (n, s) in g.indicators.iter().enumerate() {
            if (s.core || n < 1)
                && let Some(i) = search.get(&s.code)
            {
                rows.push(row_from(&i, revision_of(&s.code)));
            }
        }
    }
    let now = chrono::Utc::now();
    Ok(Draft {
        id: new_id(),
        project: DraftProject {
            name: input.project_name.trim().to_string(),
            unit_name: String::new(),
            description: input.description.trim().to_string(),
            project_type: guess.map(|g| g.code),
            budget_wan: input.budget_wan,
            year: None,
            term: match input.term.as_deref() {
                Some("midterm") | Some("中期") => Term::MidTerm,
                _ => Term::Annual,
            },
        },
        rows,
        owner: None,
        created: now,
        updated: now,
    })
}

/// An unguessable id for a shareable link (122 random bits).
pub fn new_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Whether a direction label parses (for form input).
pub fn parse_direction(s: &str) -> Option<Direction> {
    match s.trim() {
        "≥" | ">=" => Some(Direction::AtLeast),
        "≤" | "<=" => Some(Direction::AtMost),
        "=" => Some(Direction::Exactly),
        "定性" => Some(Direction::Qualitative),
        _ => None,
    }
}
