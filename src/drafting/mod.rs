//! The drafting assistant: from a project (name, description, type, budget) to suggested
//! indicators grouped by the framework, each with the reason it was suggested.

use crate::domain::{Catalog, Draft, DraftProject, DraftRow, Indicator, ProjectType, Term};
use crate::search::type_words::CatalogWords;
use crate::search::{Filters, MAX_QUERY_CHARS, SearchError, SearchIndex, SearchRequest};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

pub mod duplicates;
pub mod form;
pub mod service;
pub mod values;

/// What a budget unit asks the drafting assistant with: its project as typed in. A draft made
/// from it keeps the project as a `DraftProject`.
#[derive(Debug, Clone, Deserialize)]
pub struct DraftRequest {
    pub project_name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub project_type: Option<String>,
    #[serde(default)]
    pub budget_wan: Option<f64>,
    #[serde(default)]
    pub term: Option<String>,
    /// 预算单位, when the unit gives it at the start.
    #[serde(default)]
    pub unit_name: String,
    /// 预算年度.
    #[serde(default)]
    pub year: Option<i32>,
}

impl DraftRequest {
    /// A project known by its name alone, as relevance checks and benchmarks ask.
    pub fn named(project_name: &str) -> DraftRequest {
        DraftRequest {
            project_name: project_name.to_string(),
            description: String::new(),
            project_type: None,
            budget_wan: None,
            term: None,
            unit_name: String::new(),
            year: None,
        }
    }

    /// From the new-draft form, where every field is text and an empty budget or type is none.
    pub fn from_form(
        project_name: String,
        description: String,
        project_type: String,
        budget_wan: &str,
        term: String,
    ) -> Result<DraftRequest, DraftingError> {
        let budget_wan = match budget_wan.trim() {
            "" => None,
            b => Some(
                crate::domain::number::parse_wan(b).map_err(|e| DraftingError::Invalid {
                    code: "invalid_project",
                    message: format!("预算金额：{e}"),
                })?,
            ),
        };
        Ok(DraftRequest {
            project_name,
            description,
            project_type: Some(project_type).filter(|t| !t.is_empty()),
            budget_wan,
            term: Some(term),
            unit_name: String::new(),
            year: None,
        })
    }

    /// The new-draft form's budget unit and year (text; an empty year is none).
    pub fn dated(mut self, unit_name: &str, year: &str) -> Result<DraftRequest, DraftingError> {
        self.unit_name = unit_name.trim().to_string();
        self.year =
            crate::domain::number::parse_year(year).map_err(|message| DraftingError::Invalid {
                code: "invalid_project",
                message,
            })?;
        Ok(self)
    }
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

/// A project type ranked for a project, with its scores (`recognise`).
#[derive(Debug, Clone, Serialize)]
pub struct TypeCandidate {
    pub code: String,
    pub name: String,
    /// Keywords and search evidence, each scaled to the best type: 0..=2.
    pub score: f32,
    /// Share of the name's information the type accounts for: 0..=1. A type is taken without the
    /// user's word from `MIN_COVERAGE`.
    pub coverage: f32,
}

/// What the drafting assistant suggests for a project.
#[derive(Debug, Clone, Serialize)]
pub struct Suggestions {
    /// The type given, or recognised with enough confidence; `None` when the library has no
    /// type for the project.
    pub project_type: Option<TypeGuess>,
    /// The best-ranked types, for the user to confirm or change.
    pub candidates: Vec<TypeCandidate>,
    pub groups: Vec<Group>,
}

impl Suggestions {
    /// Said on the page and in the API when no project type fits.
    pub const NO_TYPE: &'static str = "指标库尚无该类项目的个性指标：下表由与项目名称相关的指标和同类支出的共性指标组成，请结合项目实际补充自拟指标，或告知指标库维护人员。";
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
    /// Where the suggestion comes from: 项目类型 (the recognised type's indicators), 检索 (a
    /// search for the project's own words), 共性 (common indicators of its spending nature).
    pub source: &'static str,
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

/// Scores each project type by the keywords found in the project's name (×3) and description.
/// A keyword weighs what it says about the subject (`Vocabulary::subject_chars`: 黑臭水体
/// outweighs 水, 教学设备 outweighs 设备采购), and in the name more the later it ends: a Chinese
/// project name ends with what is funded and starts with who spends (县消防救援大队整体支出 is a
/// 部门整体支出, not a fire-fighting project).
fn keyword_scores<'a>(
    catalog: &'a Catalog,
    words: &CatalogWords,
    name: &str,
    description: &str,
) -> Vec<(f32, &'a ProjectType)> {
    let norm = crate::text::normalize;
    let name = norm(name);
    let description = norm(description);
    let length = name.chars().count().max(1) as f32;
    let mut scored: Vec<(f32, &ProjectType)> = catalog
        .project_types
        .iter()
        .zip(&words.types)
        .map(|(t, tw)| {
            let mut s = 0.0;
            for k in &tw.keywords {
                let (k, w) = (k.text.as_str(), k.subject);
                if let Some(at) = name.rfind(k) {
                    let end = name[..at].chars().count() + k.chars().count();
                    s += 3.0 * w * (1.0 + end as f32 / length);
                }
                if description.contains(k) {
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

/// Hits of a search for the project's name that recognition and the table draw on.
const NAME_HITS: usize = 50;
/// Best hits of one type that count towards its score, so a type with many indicators does
/// not win on numbers alone.
const HITS_PER_TYPE: usize = 5;
/// A type is taken without the user's word only when it accounts for this share of the
/// information in the project's name: 绿道 in 城市绿道建设 is not accounted for by a fire-safety
/// type that shares 城市, and a table of fire-safety indicators would mislead.
pub const MIN_COVERAGE: f32 = 0.6;

/// A type short of `MIN_COVERAGE` is still taken when it leads every other by this much (its
/// keywords and the search both point to it, no other type comes near) ...
pub const CLEAR_MARGIN: f32 = 0.75;
/// ... and accounts for this share of the name: 档案数字化加工 is an archives project although no
/// archives indicator says 加工.
pub const CLEAR_COVERAGE: f32 = 0.4;

/// Whether the best-ranked type leads clearly (`CLEAR_MARGIN`, `CLEAR_COVERAGE`).
fn clear_lead(ranked: &[Recognised]) -> bool {
    let Some(best) = ranked.first() else {
        return false;
    };
    let second = ranked.get(1).map_or(0.0, |r| r.score);
    best.coverage >= CLEAR_COVERAGE && best.score - second >= CLEAR_MARGIN
}

/// A project type ranked for a project.
pub struct Recognised<'a> {
    pub project_type: &'a ProjectType,
    /// Keywords and search, each scaled to the best type: 0..=2.
    pub score: f32,
    /// Share of the name's information (its informative words weighted by idf) that the type
    /// accounts for, through its name, keywords and description or the indicators of it the
    /// search found: 0..=1.
    pub coverage: f32,
}

/// Ranks the project types for a project, using the whole library: the type's name and keywords
/// found in the name and description, and the project types of the indicators a search for the
/// name finds, each signal scaled to its best type (0..=2), so a type added to the library is
/// recognised without code changes; with coverage: `words` are the name's informative words and
/// their weights
/// (`SearchIndex::informative_words`).
pub fn recognise<'a>(
    catalog: &'a Catalog,
    type_words: &CatalogWords,
    name: &str,
    description: &str,
    name_hits: &[crate::search::Hit],
    words: &[(String, f32)],
) -> Vec<Recognised<'a>> {
    let ranked = score_types(catalog, type_words, name, description, name_hits);
    let total: f32 = words.iter().map(|(_, w)| w).sum();
    let norm = crate::text::normalize;
    ranked
        .into_iter()
        .map(|(score, t)| {
            let own = type_words.of(&t.code).map_or("", |w| w.own.as_str());
            let hits: Vec<String> = name_hits
                .iter()
                .filter(|h| {
                    h.indicator.natures.is_empty() && h.indicator.project_types.contains(&t.code)
                })
                .map(|h| {
                    let i = &h.indicator;
                    norm(&format!(
                        "{} {} {}",
                        i.name,
                        i.aliases.join(" "),
                        i.definition
                    ))
                })
                .collect();
            let covered: f32 = words
                .iter()
                .filter(|(w, _)| {
                    own.contains(w.as_str()) || hits.iter().any(|h| h.contains(w.as_str()))
                })
                .map(|(_, weight)| weight)
                .sum();
            Recognised {
                project_type: t,
                score,
                coverage: if total > 0.0 { covered / total } else { 0.0 },
            }
        })
        .collect()
}

fn score_types<'a>(
    catalog: &'a Catalog,
    type_words: &CatalogWords,
    name: &str,
    description: &str,
    name_hits: &[crate::search::Hit],
) -> Vec<(f32, &'a ProjectType)> {
    let keywords = keyword_scores(catalog, type_words, name, description);
    let best_kw = keywords.first().map_or(0.0, |k| k.0);
    let mut by_type: HashMap<&str, Vec<f32>> = HashMap::new();
    for (rank, h) in name_hits.iter().enumerate() {
        // Common indicators fit every type of a nature: they say nothing about which type.
        if !h.indicator.natures.is_empty() {
            continue;
        }
        let weight = h.score / (1.0 + rank as f32 / 10.0);
        for t in &h.indicator.project_types {
            by_type.entry(t.as_str()).or_default().push(weight);
        }
    }
    let search: HashMap<&str, f32> = by_type
        .into_iter()
        .map(|(t, mut w)| {
            w.sort_by(|a, b| b.total_cmp(a));
            (t, w.iter().take(HITS_PER_TYPE).sum())
        })
        .collect();
    let best_search = search.values().copied().fold(0.0, f32::max);
    let mut scored: Vec<(f32, &ProjectType)> = catalog
        .project_types
        .iter()
        .map(|t| {
            let kw = keywords
                .iter()
                .find(|(_, k)| k.code == t.code)
                .map_or(0.0, |(s, _)| s / best_kw);
            let s = search.get(t.code.as_str()).map_or(0.0, |s| s / best_search);
            (kw + s, t)
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
    /// A draft's content refused; `code` is the error code the API answers.
    #[error("{message}")]
    Invalid { code: &'static str, message: String },
    #[error("指标最多 {max} 行，收到 {got} 行")]
    TooManyRows { max: usize, got: usize },
    #[error("没有这份申报表草稿（链接可能有误）")]
    NotFound,
    /// Over the draft's size quota or the cap on all drafts, or the store failed.
    #[error(transparent)]
    Draft(#[from] crate::store::DraftError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

fn check_input(input: &DraftRequest) -> Result<(), DraftingError> {
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
        && !(b.is_finite() && (0.0..=crate::domain::number::MAX_WAN).contains(&b))
    {
        return Err(DraftingError::BadInput(
            "预算金额应为 0 到 1 万亿元之间的金额（单位：万元）".into(),
        ));
    }
    if input.unit_name.chars().count() > 100 {
        return Err(DraftingError::BadInput(
            "预算单位名称过长（最多 100 字）".into(),
        ));
    }
    Ok(())
}

/// The project type (given or guessed) and the suggested indicators by framework heading.
pub fn suggest(search: &SearchIndex, input: &DraftRequest) -> Result<Suggestions, DraftingError> {
    suggest_with(search, input, &Practice::new())
}

/// `suggest`, with reference values from imported evaluations and their bounded ranking nudge.
pub fn suggest_with(
    search: &SearchIndex,
    input: &DraftRequest,
    practice: &Practice,
) -> Result<Suggestions, DraftingError> {
    check_input(input)?;
    let (catalog, type_words) = search.catalog_words();
    // One search for the name feeds recognition and the rows from the project's own words.
    let mut req = SearchRequest::new(input.project_name.trim());
    req.limit = NAME_HITS;
    // Plain weights: the table takes hits within a share of the best, and a generic word of the
    // name (培训, 监测) is often what one of its rows needs.
    req.subject_first = false;
    let name_hits = search.search(&req)?.hits;
    let words = search.informative_words(&input.project_name);
    let recognised = recognise(
        &catalog,
        &type_words,
        &input.project_name,
        &input.description,
        &name_hits,
        &words,
    );
    let head = type_words.head_type(
        search.vocabulary(),
        &crate::text::normalize(&input.project_name),
    );
    let ranked: Vec<(f32, &ProjectType)> = recognised
        .iter()
        .map(|r| (r.score, r.project_type))
        .collect();
    // Other plausible types, best first.
    let alternatives = |code: &str| -> Vec<(String, String)> {
        ranked
            .iter()
            .filter(|(_, o)| o.code != code)
            .take(3)
            .map(|(_, t)| (t.code.clone(), t.name.clone()))
            .collect()
    };
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
                alternatives: alternatives(&t.code),
            })
        }
        None => recognised
            .iter()
            .take(3)
            .find(|r| head.is_some_and(|h| h.code == r.project_type.code))
            .or_else(|| {
                recognised
                    .iter()
                    .take(3)
                    .enumerate()
                    .filter(|(n, r)| {
                        r.coverage >= MIN_COVERAGE || (*n == 0 && clear_lead(&recognised))
                    })
                    .map(|(_, r)| r)
                    .max_by(|a, b| (a.score + a.coverage).total_cmp(&(b.score + b.coverage)))
            })
            .map(|r| (r.coverage, r.project_type))
            .map(|(coverage, t)| TypeGuess {
                code: t.code.clone(),
                name: t.name.clone(),
                confidence: (coverage * 100.0).round() / 100.0,
                given: false,
                alternatives: alternatives(&t.code),
            }),
    };
    let t = guess
        .as_ref()
        .and_then(|g| catalog.project_type(&g.code))
        .cloned();

    // Relevance of each candidate to what the unit wrote.
    let text: String = format!("{} {}", input.project_name, input.description)
        .chars()
        .take(MAX_QUERY_CHARS)
        .collect();
    let mut relevance: HashMap<String, f32> = HashMap::new();
    if let Some(t) = &t {
        let mut req = SearchRequest::new(&text);
        req.limit = crate::search::MAX_LIMIT;
        req.filters = Filters {
            project_type: Some(t.code.clone()),
            ..Filters::default()
        };
        for h in search.search(&req)?.hits {
            relevance.insert(h.indicator.code.to_string(), h.score);
        }
    }

    // Candidates: the type's indicators, the name's best hits, the common indicators of the
    // spending natures the name reveals (and the type's).
    let mut pool: Vec<(Arc<Indicator>, &'static str)> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    if let Some(t) = &t {
        for i in all_of(
            search,
            Filters {
                project_type: Some(t.code.clone()),
                ..Filters::default()
            },
        )? {
            if seen.insert(i.code.to_string()) {
                pool.push((i, "项目类型"));
            }
        }
    }
    // Without a type, the name's best hits are the specific indicators the table can offer; with
    // one, its own indicators make the table (other types' hits joined into it measured one
    // point more on-topic tables on one set only, and pushed other types into its first rows).
    let best_hit = name_hits.first().map_or(0.0, |h| h.score);
    for h in name_hits
        .iter()
        .take(if t.is_some() { 0 } else { NAME_ROWS })
    {
        if h.score >= best_hit * RELATED_SHARE
            && coverage(&h.indicator, &words) >= RELATED_COVERAGE
            && seen.insert(h.indicator.code.to_string())
        {
            relevance
                .entry(h.indicator.code.to_string())
                .or_insert(h.score);
            pool.push((h.indicator.clone(), "检索"));
        }
    }
    let mut natures: Vec<String> = search
        .vocabulary()
        .natures_of(&crate::text::normalize(&input.project_name))
        .into_iter()
        .map(str::to_string)
        .collect();
    if t.is_some() {
        // The type's own natures already bring their common indicators.
        natures.clear();
    } else if natures.is_empty() {
        // No cue in the name: the natures of the types its words point to.
        natures.extend(ranked.iter().take(1).flat_map(|(_, t)| t.natures.clone()));
    }
    if !natures.is_empty() {
        for i in all_of(
            search,
            Filters {
                scope: Some("共性".into()),
                ..Filters::default()
            },
        )? {
            if i.natures.iter().any(|n| natures.contains(n)) && seen.insert(i.code.to_string()) {
                pool.push((i, "共性"));
            }
        }
    }

    let type_code = t.as_ref().map(|t| t.code.clone()).unwrap_or_default();
    let term_wanted = match input.term.as_deref() {
        Some("midterm") | Some("中期") => Term::MidTerm,
        _ => Term::Annual,
    };
    let is_core = |i: &Indicator| !type_code.is_empty() && i.core.contains(&type_code);
    let mut groups = Vec::new();
    // A 部门整体支出 table is written under its own framework (决策/过程/产出/效益).
    let framework = t
        .as_ref()
        .map_or_else(|| catalog.framework(), |t| catalog.framework_of(t));
    for l1 in &framework.level1 {
        for l2 in &l1.level2 {
            let mut cands: Vec<&(Arc<Indicator>, &'static str)> = pool
                .iter()
                .filter(|(i, _)| i.level1 == l1.name && &i.level2 == l2 && i.is_active())
                .filter(|(i, _)| {
                    term_wanted == Term::MidTerm || i.term == Term::Annual || is_core(i)
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
                        .map_or(0.0, |s| practice_boost(s, &type_code))
            };
            // A recognised type's own indicators come first: other types' hits only fill the
            // places its own leave in a heading.
            let own = |source: &str| source != "检索";
            cands.sort_by(|(a, sa), (b, sb)| {
                is_core(b)
                    .cmp(&is_core(a))
                    .then((t.is_some() && own(sb)).cmp(&(t.is_some() && own(sa))))
                    .then(rel(b).total_cmp(&rel(a)))
                    .then(a.natures.is_empty().cmp(&b.natures.is_empty()).reverse())
                    .then(a.code.cmp(&b.code))
            });
            let cores = cands.iter().filter(|(i, _)| is_core(i)).count();
            let indicators = cands
                .into_iter()
                .take(PER_GROUP.max(cores))
                .map(|(i, source)| {
                    let mut s = suggested(i, t.as_ref(), &catalog, source, text_rel(i) > 0.0);
                    if let Some(st) = practice.get(i.code.as_str()) {
                        let r = PracticeReference::of(st, &type_code);
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
    let candidates = recognised
        .iter()
        .take(5)
        .map(|r| TypeCandidate {
            code: r.project_type.code.clone(),
            name: r.project_type.name.clone(),
            score: (r.score * 100.0).round() / 100.0,
            coverage: (r.coverage * 100.0).round() / 100.0,
        })
        .collect();
    Ok(Suggestions {
        project_type: guess,
        candidates,
        groups,
    })
}

/// Hits of the name search taken into the table (those scoring at least `RELATED_SHARE` of the
/// best), wherever they come from.
const NAME_ROWS: usize = 30;
const RELATED_SHARE: f32 = 0.3;
/// ... and accounting for at least this share of the name's information: an indicator that
/// shares only 乡村 with 乡村旅游示范点建设 is another domain's.
const RELATED_COVERAGE: f32 = 0.15;

/// Share of the weighted words found in an indicator's name, aliases or definition.
fn coverage(i: &Indicator, words: &[(String, f32)]) -> f32 {
    let text = crate::text::normalize(&format!(
        "{} {} {}",
        i.name,
        i.aliases.join(" "),
        i.definition
    ));
    let total: f32 = words.iter().map(|(_, w)| w).sum();
    if total <= 0.0 {
        return 0.0;
    }
    words
        .iter()
        .filter(|(w, _)| text.contains(w.as_str()))
        .map(|(_, w)| w)
        .sum::<f32>()
        / total
}

/// Every active indicator under `filters`.
fn all_of(search: &SearchIndex, filters: Filters) -> Result<Vec<Arc<Indicator>>, DraftingError> {
    let mut all = Vec::new();
    let mut offset = 0;
    loop {
        let mut req = SearchRequest::new("");
        req.limit = crate::search::MAX_LIMIT;
        req.offset = offset;
        req.filters = filters.clone();
        let page = search.search(&req)?;
        let n = page.hits.len();
        all.extend(page.hits.into_iter().map(|h| h.indicator));
        offset += n;
        if n == 0 || offset >= page.total {
            break;
        }
    }
    Ok(all)
}

fn suggested(
    i: &Indicator,
    t: Option<&ProjectType>,
    catalog: &Catalog,
    source: &'static str,
    relevant: bool,
) -> Suggested {
    let core = t.is_some_and(|t| i.core.contains(&t.code));
    let mut reasons = Vec::new();
    if let Some(t) = t.filter(|_| core) {
        reasons.push(format!("{}的核心指标", t.name));
    }
    if relevant {
        reasons.push("与项目名称或概述的用词相关".to_string());
    }
    if i.natures.is_empty() {
        let types: Vec<&str> = i
            .project_types
            .iter()
            .map(|c| catalog.project_type_name(c))
            .collect();
        reasons.push(format!("{}的个性指标", types.join("、")));
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
        source,
        reason: reasons.join("；"),
        evaluations: None,
    }
}

/// A new draft for a project: the type's core indicators and each heading's top suggestion,
/// ready to be edited.
pub fn new_draft(
    search: &SearchIndex,
    input: &DraftRequest,
    revision_of: &dyn Fn(&str) -> Option<u32>,
) -> Result<Draft, DraftingError> {
    let Suggestions {
        project_type: guess,
        groups,
        ..
    } = suggest(search, input)?;
    // The table: each heading's core and best suggestion; after them, the other quantity
    // suggestions, kept only where the description gives their count (加装电梯8部).
    // A suggestion repeating a row already taken (a common 系统功能需求实现率 beside the type's
    // 需求功能实现率) gives way to the heading's next one.
    let (mut rows, mut extra): (Vec<DraftRow>, Vec<DraftRow>) = (Vec::new(), Vec::new());
    for g in &groups {
        let mut best_taken = false;
        for s in &g.indicators {
            let Some(i) = search.get(&s.code) else {
                continue;
            };
            if !s.core && best_taken {
                continue;
            }
            let row = DraftRow::from_indicator(&i, revision_of(&s.code));
            if rows.iter().any(|r| duplicates::repeats(r, &row)) {
                continue;
            }
            rows.push(row);
            best_taken = true;
        }
    }
    if let Some(t) = &guess {
        let of_type = Filters {
            project_type: Some(t.code.clone()),
            ..Filters::default()
        };
        for i in all_of(search, of_type)? {
            if !(i.level2.contains("数量") && i.is_active()) {
                continue;
            }
            let row = DraftRow::from_indicator(&i, revision_of(i.code.as_str()));
            if !rows
                .iter()
                .chain(&extra)
                .any(|r| duplicates::repeats(r, &row))
            {
                extra.push(row);
            }
        }
    }
    let main = rows.len();
    rows.extend(extra);
    let changed = values::fill_from_description(&mut rows, &input.description, input.budget_wan);
    let extra: Vec<DraftRow> = rows
        .drain(main..)
        .enumerate()
        .filter(|(n, _)| changed.contains(&(main + n)))
        .map(|(_, r)| r)
        .collect();
    for r in extra {
        let at = rows
            .iter()
            .rposition(|o| o.level1 == r.level1 && o.level2 == r.level2)
            .map_or(rows.len(), |p| p + 1);
        rows.insert(at, r);
    }
    let now = chrono::Utc::now();
    Ok(Draft {
        id: new_id(),
        project: DraftProject {
            name: input.project_name.trim().to_string(),
            unit_name: input.unit_name.trim().to_string(),
            description: input.description.trim().to_string(),
            project_type: guess.map(|g| g.code),
            budget_wan: input.budget_wan,
            year: input.year.filter(|y| (2000..=2100).contains(y)),
            term: match input.term.as_deref() {
                Some("midterm") | Some("中期") => Term::MidTerm,
                _ => Term::Annual,
            },
            ..Default::default()
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
