//! The training service, built once by the app: worked examples annotated by the review rules,
//! sessions a trainer assembles (items resolved, exercises given join codes), trainees'
//! attempts and submissions, and the room's summary. Trainees' work lives in training's own
//! trees, never in the library or in real drafts.
//!
//! `Training` (here: examples, sessions, summaries) is the service; its other methods are
//! spread over the files below by job, and each file imports this one, never the other way:
//! `attempts` (the trainees' side), `slides` (what a session shows), `handbook` (the printable
//! handbook) and `answers` (what the JSON API answers).

use crate::domain::DraftRow;
use crate::domain::lint::LintConfig;
use crate::domain::training::{
    AnnotatedTable, Attempt, Example, Exercise, ExerciseStart, FrameworkPart, SessionItem,
    TrainingSession, annotate, join_code, model_answer_coverage, rule_counts, rule_label,
};
use crate::drafting::service::Drafting;
use crate::search::SearchIndex;
use crate::store::{Store, StoreError};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

pub mod answers;
pub mod attempts;
pub mod handbook;
pub mod slides;

/// Most items in one session: a long day of training is well under this.
pub const MAX_ITEMS: usize = 200;

#[derive(Debug, thiserror::Error)]
pub enum TrainingError {
    /// `code` is the error code the API answers.
    #[error("{message}")]
    NotFound { code: &'static str, message: String },
    #[error("{message}")]
    Invalid { code: &'static str, message: String },
    #[error("no free join code")]
    NoJoinCode,
    #[error(transparent)]
    Drafting(#[from] crate::drafting::DraftingError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

type Result<T> = std::result::Result<T, TrainingError>;

fn invalid(code: &'static str, message: String) -> TrainingError {
    TrainingError::Invalid { code, message }
}

/// A session already holds `MAX_ITEMS`.
pub fn too_many_items() -> TrainingError {
    invalid("too_many_items", format!("一个培训课程最多 {MAX_ITEMS} 项"))
}

pub struct Training {
    pub store: Store,
    pub search: Arc<SearchIndex>,
    /// The review rules the examples' tables are annotated with.
    pub lint: LintConfig,
    /// Worked examples, in project-type order.
    pub examples: Vec<Example>,
    /// Attempts are checked and quota'd like drafts.
    pub drafting: Arc<Drafting>,
}

/// What a trainer asks to add to a session (JSON API and forms alike).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ItemSpec {
    Framework {
        part: String,
    },
    Indicator {
        code: String,
    },
    Example {
        project_type: String,
    },
    Exercise {
        project_type: String,
        #[serde(default)]
        start: Option<String>,
    },
}

impl ItemSpec {
    /// Every framework page, in order: how a standard session starts.
    pub fn framework_pages() -> Vec<ItemSpec> {
        FrameworkPart::ALL
            .iter()
            .map(|p| ItemSpec::Framework {
                part: p.key().into(),
            })
            .collect()
    }
}

impl Training {
    /// An example with its tables annotated by the review rules.
    pub fn example_view(&self, ex: &Example) -> ExampleView {
        ExampleView {
            type_name: self
                .search
                .catalog()
                .project_type_name(&ex.project_type)
                .to_string(),
            bad: self.annotated(ex, &ex.bad),
            good: self.annotated(ex, &ex.good),
            ex: ex.clone(),
        }
    }

    /// What reviewers send back, from the configured rules (so slides follow the bureau's settings).
    pub fn rule_lines(&self) -> Vec<(String, String)> {
        let c = &self.lint;
        let take = |v: &[String]| v.iter().take(6).cloned().collect::<Vec<_>>().join("、");
        vec![
            (
                "把投入当产出".into(),
                format!("{} 等衡量的是花钱，不是交付的成果", take(&c.input_words)),
            ),
            (
                "模糊表述".into(),
                format!("{} 等无法衡量，改写为具体数值", take(&c.vague_words)),
            ),
            (
                "比率超过 100%".into(),
                "合格率、完成率写“=100%”或“≥98%”，不写“≥100%”".into(),
            ),
            (
                "相对目标没有基数".into(),
                format!("{} 须写明上年实际值", take(&c.relative_words)),
            ),
            (
                "缺少一级指标".into(),
                format!("每张表都要有{}", c.required_level1.join("、")),
            ),
            (
                "定性指标过多".into(),
                format!(
                    "定性指标不超过 {:.0}%，能量化的要量化",
                    c.max_qualitative_share * 100.0
                ),
            ),
            (
                "缺值、缺单位".into(),
                "每个定量指标都要有指标值和受控列表中的计量单位".into(),
            ),
            (
                "与预算不匹配".into(),
                format!(
                    "数量 × 单位成本与预算相差不超过 {:.0}%",
                    c.budget_tolerance * 100.0
                ),
            ),
        ]
    }

    pub fn example(&self, project_type: &str) -> Result<&Example> {
        self.examples
            .iter()
            .find(|e| e.project_type == project_type)
            .ok_or_else(|| TrainingError::NotFound {
                code: "example_not_found",
                message: format!("项目类型“{project_type}”没有培训示例"),
            })
    }

    /// The review rules over one of an example's tables, with the store's current library.
    pub fn annotated(&self, ex: &Example, rows: &[DraftRow]) -> AnnotatedTable {
        let catalog = self.search.catalog();
        let lookup = |code: &str| self.store.indicator(code).ok().flatten();
        annotate(&ex.draft(rows), &self.lint, &catalog, &lookup)
    }

    pub fn session(&self, id: &str) -> Result<TrainingSession> {
        self.store
            .training_session(id)?
            .ok_or_else(|| TrainingError::NotFound {
                code: "session_not_found",
                message: "没有这个培训课程（链接可能有误）".into(),
            })
    }

    /// The newest frozen edition that holds this revision of the indicator.
    pub fn edition_of(&self, code: &str, revision: u32) -> Result<Option<String>> {
        Ok(self
            .store
            .editions()?
            .into_iter()
            .rev()
            .find(|e| e.revision_of(code) == Some(revision))
            .map(|e| e.name))
    }

    /// The indicator a trainer typed: its code, or its name (as the suggestions offer it) when
    /// that name is one indicator's.
    fn indicator_code(&self, typed: &str) -> Result<String> {
        let typed = typed.trim();
        let first = typed.split_whitespace().next().unwrap_or_default();
        if self.store.indicator(first)?.is_some() {
            return Ok(first.to_string());
        }
        if typed.is_empty() {
            return Err(invalid("unknown_indicator", "请输入指标编码或名称".into()));
        }
        let found = self.search.suggest(typed, 8).unwrap_or_default();
        let key = crate::text::name_key(typed);
        let same: Vec<_> = found
            .iter()
            .filter(|s| crate::text::name_key(&s.name) == key)
            .collect();
        // An exact name decides; else a single suggestion does; else the trainer chooses.
        let list: Vec<_> = if same.is_empty() {
            found.iter().collect()
        } else {
            same
        };
        match list.as_slice() {
            [one] => Ok(one.code.clone()),
            [] => Err(invalid(
                "unknown_indicator",
                format!("没有名称或编码为“{typed}”的指标"),
            )),
            _ => {
                let names: Vec<String> = list
                    .iter()
                    .take(5)
                    .map(|s| format!("{}（{}）", s.name, s.code))
                    .collect();
                Err(invalid(
                    "ambiguous_indicator",
                    format!(
                        "“{typed}”对应多个指标：{}；请输入编码或从建议中选择",
                        names.join("、")
                    ),
                ))
            }
        }
    }

    /// Turns a request into a session item; an exercise gets its join code here.
    pub fn resolve(
        &self,
        session_id: &str,
        spec: ItemSpec,
    ) -> Result<(SessionItem, Option<Exercise>)> {
        Ok(match spec {
            ItemSpec::Framework { part } => {
                let part = FrameworkPart::parse(&part).ok_or_else(|| {
                    invalid(
                        "invalid_item",
                        format!("指标体系说明页“{part}”不存在（可选：levels、central2021、rules）"),
                    )
                })?;
                (SessionItem::Framework { part }, None)
            }
            ItemSpec::Indicator { code } => {
                let code = self.indicator_code(&code)?;
                let revision = self.store.last_revision(&code)?;
                let edition = self.edition_of(&code, revision)?;
                (
                    SessionItem::Indicator {
                        code,
                        revision,
                        edition,
                    },
                    None,
                )
            }
            ItemSpec::Example { project_type } => {
                self.example(&project_type)?;
                (SessionItem::Example { project_type }, None)
            }
            ItemSpec::Exercise {
                project_type,
                start,
            } => {
                let ex = self.example(&project_type)?;
                let start = match start.as_deref() {
                    None | Some("") | Some("blank") => ExerciseStart::Blank,
                    Some("bad") => ExerciseStart::Bad,
                    Some(o) => {
                        return Err(invalid(
                            "invalid_item",
                            format!("练习起点“{o}”无效（可选：blank、bad）"),
                        ));
                    }
                };
                let code = self.new_join_code()?;
                let exercise = Exercise {
                    code: code.clone(),
                    session: session_id.to_string(),
                    project_type,
                    project: ex.project(),
                    start,
                    start_rows: match start {
                        ExerciseStart::Blank => vec![],
                        ExerciseStart::Bad => ex.bad.clone(),
                    },
                    model: ex.good.clone(),
                    created: Utc::now(),
                };
                (SessionItem::Exercise { code }, Some(exercise))
            }
        })
    }

    /// A join code no other exercise uses (31⁶ ≈ 9 × 10⁸ codes: collisions are rare but checked).
    fn new_join_code(&self) -> Result<String> {
        for _ in 0..20 {
            let code = join_code(uuid::Uuid::new_v4().as_bytes());
            if self.store.exercise(&code)?.is_none() {
                return Ok(code);
            }
        }
        Err(TrainingError::NoJoinCode)
    }

    /// A new session of `owner`: its items resolved, its exercises given join codes, stored.
    pub fn create_session(
        &self,
        owner: String,
        title: &str,
        specs: Vec<ItemSpec>,
    ) -> Result<TrainingSession> {
        let title = check_title(title)?;
        if specs.len() > MAX_ITEMS {
            return Err(too_many_items());
        }
        let now = Utc::now();
        let mut s = TrainingSession {
            id: crate::drafting::new_id(),
            title,
            owner,
            items: Vec::new(),
            created: now,
            updated: now,
        };
        let mut new = Vec::new();
        for spec in specs {
            let (item, ex) = self.resolve(&s.id, spec)?;
            s.items.push(item);
            new.extend(ex);
        }
        self.store.put_training_session(&s, &new)?;
        Ok(s)
    }

    /// Applies the session editor's form to `s` and stores it: `action` is one of title, add
    /// (`kind` and its fields), remove, up, down (`index`).
    pub fn edit_session(&self, s: &mut TrainingSession, fields: &[(String, String)]) -> Result<()> {
        let get = |k: &str| {
            fields
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.trim().to_string())
                .unwrap_or_default()
        };
        let index = || -> Result<usize> {
            get("index")
                .parse::<usize>()
                .ok()
                .filter(|i| *i < s.items.len())
                .ok_or_else(|| invalid("invalid_item", "没有这一项".into()))
        };
        let mut new = Vec::new();
        match get("action").as_str() {
            "title" => s.title = check_title(&get("title"))?,
            "remove" => {
                let i = index()?;
                s.items.remove(i);
            }
            "up" => {
                let i = index()?;
                if i > 0 {
                    s.items.swap(i, i - 1);
                }
            }
            "down" => {
                let i = index()?;
                if i + 1 < s.items.len() {
                    s.items.swap(i, i + 1);
                }
            }
            "add" => {
                if s.items.len() >= MAX_ITEMS {
                    return Err(too_many_items());
                }
                let spec = match get("kind").as_str() {
                    "framework" => ItemSpec::Framework { part: get("part") },
                    "indicator" => ItemSpec::Indicator { code: get("code") },
                    "example" => ItemSpec::Example {
                        project_type: get("project_type"),
                    },
                    "exercise" => ItemSpec::Exercise {
                        project_type: get("project_type"),
                        start: Some(get("start")),
                    },
                    k => {
                        return Err(invalid("invalid_item", format!("未知的内容类型“{k}”")));
                    }
                };
                let (item, ex) = self.resolve(&s.id, spec)?;
                s.items.push(item);
                new.extend(ex);
            }
            a => return Err(invalid("invalid_action", format!("未知操作“{a}”"))),
        }
        s.updated = Utc::now();
        self.store.put_training_session(s, &new)?;
        Ok(())
    }

    pub fn summaries(&self, s: &TrainingSession) -> Result<Vec<ExerciseSummary>> {
        let mut out = Vec::new();
        for item in &s.items {
            let SessionItem::Exercise { code } = item else {
                continue;
            };
            let Some(ex) = self.store.exercise(code)? else {
                continue;
            };
            let attempts = self.store.attempts(code)?;
            let submitted: Vec<&Attempt> =
                attempts.iter().filter(|a| a.submitted.is_some()).collect();
            let coverage = (!submitted.is_empty() && !ex.model.is_empty()).then(|| {
                submitted
                    .iter()
                    .map(|a| {
                        model_answer_coverage(&ex.model, &a.draft.rows).covered as f64
                            / ex.model.len() as f64
                    })
                    .sum::<f64>()
                    * 100.0
                    / submitted.len() as f64
            });
            out.push(ExerciseSummary {
                code: code.clone(),
                title: ex.project.name.clone(),
                attempts: attempts.len(),
                submitted: submitted.len(),
                rules: rule_counts(&attempts)
                    .into_iter()
                    .map(|(r, n)| {
                        let label = rule_label(&r);
                        (r, label, n)
                    })
                    .collect(),
                coverage,
            });
        }
        Ok(out)
    }
}

pub fn check_title(title: &str) -> Result<String> {
    let t = title.trim();
    if t.is_empty() || t.chars().count() > 100 {
        return Err(invalid(
            "invalid_session",
            "请填写培训课程名称（最多 100 字）".into(),
        ));
    }
    Ok(t.to_string())
}

#[derive(Clone)]
pub struct ExampleView {
    pub ex: Example,
    pub type_name: String,
    pub bad: AnnotatedTable,
    pub good: AnnotatedTable,
}

/// One exercise of the room's summary (the page's and the API's).
#[derive(Serialize, utoipa::ToSchema)]
pub struct ExerciseSummary {
    pub code: String,
    pub title: String,
    pub attempts: usize,
    pub submitted: usize,
    /// Share of model rows covered, averaged over submitted attempts (0..=100).
    #[serde(rename = "coverage_percent")]
    pub coverage: Option<f64>,
    /// (rule, label, attempts that broke it); the API names the three.
    #[serde(serialize_with = "rule_tallies")]
    #[schema(value_type = Vec<RuleTally>)]
    pub rules: Vec<(String, &'static str, usize)>,
}

/// One rule of the summary: how many submitted attempts broke it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RuleTally<'a> {
    /// The rule's id.
    rule: &'a str,
    /// What the rule checks, in Chinese.
    label: &'a str,
    attempts: usize,
}

/// The summary's rule counts as `RuleTally` objects.
fn rule_tallies<S: serde::Serializer>(
    rules: &[(String, &'static str, usize)],
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    s.collect_seq(rules.iter().map(|(rule, label, attempts)| RuleTally {
        rule,
        label,
        attempts: *attempts,
    }))
}

/// What the module's tests share: a service on a temporary store, and a session with an
/// exercise.
#[cfg(test)]
pub(crate) mod testing {
    use super::*;
    use crate::ingest::{examples, library};

    pub fn service(dir: &std::path::Path) -> Training {
        let drafting = Arc::new(crate::drafting::service::for_tests(dir));
        let lib = library::load_dir(&library::default_dir()).unwrap();
        Training {
            store: drafting.store.clone(),
            search: drafting.search.clone(),
            lint: LintConfig::bundled(),
            examples: examples::load_dir(&examples::default_dir(), &lib.catalog, &lib.indicators)
                .unwrap(),
            drafting,
        }
    }

    pub fn exercise_session(t: &Training) -> (TrainingSession, Exercise) {
        let project_type = t.examples[0].project_type.clone();
        let specs = vec![
            ItemSpec::Example {
                project_type: project_type.clone(),
            },
            ItemSpec::Exercise {
                project_type,
                start: None,
            },
        ];
        let s = t.create_session("zhang".into(), "培训", specs).unwrap();
        let SessionItem::Exercise { code } = &s.items[1] else {
            panic!("{:?}", s.items)
        };
        let ex = t.store.exercise(code).unwrap().unwrap();
        (s, ex)
    }
}
