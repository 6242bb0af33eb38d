//! The drafting service, built once by the app: suggestions with the evaluations' reference
//! values, drafts checked against the library and the review rules, stored within their quotas
//! and expired, and the edit form applied. Real drafts and training attempts both go through it.

use super::{DraftRequest, DraftingError, Suggestions, new_draft};
use crate::domain::lint::{LintConfig, LintFinding, Severity, lint};
use crate::domain::number::parse_plain;
use crate::domain::{Direction, Draft, DraftProject, DraftRow, Term};
use crate::evaluations::practice::PracticeStats;
use crate::search::{SearchIndex, Suggestion};
use crate::store::{DraftError, DraftQuota, Store};
use std::sync::Arc;
use std::time::Duration;

/// The review's rule id for a value still equal to the library's reference (参考值).
pub const REFERENCE_RULE: &str = "reference-value";

/// The review's rule id for a quantity far from the count the description gives.
pub const QUANTITY_RULE: &str = "quantity-vs-description";

/// The review's rule id for a target below last year's actual (from imported evaluations).
pub const LAST_YEAR_RULE: &str = "below-last-year";

/// The review's rule id for a row repeating another one of the table in other words.
pub const DUPLICATE_RULE: &str = "near-duplicate";

/// Most suggestions the 添加指标 box asks for at once.
pub const MAX_ADD_SUGGESTIONS: usize = 20;

/// Longest text in any one cell (rows and bytes per draft are settings: `DraftLimits`).
const MAX_CELL_CHARS: usize = 2_000;

/// How large drafts may grow and how long an untouched one is kept (from `config::Limits`).
#[derive(Debug, Clone, Copy)]
pub struct DraftLimits {
    pub max_rows: usize,
    pub max_bytes: usize,
    pub total_bytes: u64,
    pub expiry: Duration,
}

pub struct Drafting {
    pub store: Store,
    pub search: Arc<SearchIndex>,
    /// The review rules drafts are checked against.
    pub lint: LintConfig,
    pub limits: DraftLimits,
    /// What imported evaluations say about each indicator, shared with the indicator pages.
    pub practice: Arc<PracticeStats>,
}

type Result<T> = std::result::Result<T, DraftingError>;

impl Drafting {
    /// Suggested indicators for a project, with reference values from imported evaluations.
    pub fn suggest(&self, input: &DraftRequest) -> Result<Suggestions> {
        let practice = self.practice.current()?;
        super::suggest_with(&self.search, input, &practice.practice)
    }

    /// What to offer in a draft's 添加指标 box for what the unit typed: the indicators of the
    /// draft's project type (its own and its natures' common ones) whose names match first,
    /// then the library's name suggestions; none the table already has (`taken`: codes) and no
    /// name twice. For 居民满意度 in a 老旧小区改造 draft, 改造小区居民满意度 comes first.
    pub fn suggest_to_add(
        &self,
        q: &str,
        project_type: Option<&str>,
        taken: &[&str],
        limit: usize,
    ) -> Result<Vec<Suggestion>> {
        let limit = limit.clamp(1, MAX_ADD_SUGGESTIONS);
        let general = self.search.suggest(q, limit * 2)?;
        let mut own = Vec::new();
        if let Some(t) = project_type.filter(|t| self.search.catalog().project_type(t).is_some()) {
            let mut req = crate::search::SearchRequest::new(q);
            req.limit = limit * 2;
            req.filters.project_type = Some(t.to_string());
            // Only hits whose name itself holds most of what was typed: a definition that
            // mentions the words, or a name sharing only 次数, is not what a unit typing a name
            // looks for.
            own = self
                .search
                .search(&req)?
                .hits
                .into_iter()
                .filter(|h| names_the_query(&h.name_html, q) && h.indicator.is_active())
                .map(|h| Suggestion {
                    code: h.indicator.code.to_string(),
                    name: h.indicator.name.clone(),
                    name_html: h.name_html,
                    level1: h.indicator.level1.clone(),
                    level2: h.indicator.level2.clone(),
                    unit: h.indicator.unit.clone(),
                })
                .collect();
        }
        let mut names: Vec<String> = Vec::new();
        let mut out = Vec::with_capacity(limit);
        for s in own.into_iter().chain(general) {
            let key = crate::text::name_key(&s.name);
            if taken.contains(&s.code.as_str()) || names.contains(&key) {
                continue;
            }
            names.push(key);
            out.push(s);
            if out.len() == limit {
                break;
            }
        }
        Ok(out)
    }

    /// A new draft for a project (not stored yet).
    pub fn new_draft(&self, input: &DraftRequest) -> Result<Draft> {
        let revision_of = |code: &str| self.store.revisions(code).ok()?.last().map(|r| r.number);
        new_draft(&self.search, input, &revision_of)
    }

    /// Saves a draft within its quota and the cap on all drafts.
    pub fn save(&self, d: &Draft) -> Result<()> {
        let quota = DraftQuota {
            max_bytes: self.limits.max_bytes,
            total_bytes: self.limits.total_bytes,
        };
        Ok(self.store.save_draft(d, &quota)?)
    }

    pub fn load(&self, id: &str) -> Result<Draft> {
        self.store.draft(id)?.ok_or(DraftingError::NotFound)
    }

    /// The size quota for what is not stored as a draft (training attempts), checked the same way.
    pub fn check_size(&self, d: &Draft) -> Result<()> {
        let bytes = serde_json::to_vec(d).map_or(0, |b| b.len());
        let max = self.limits.max_bytes;
        if bytes > max {
            return Err(DraftError::TooLarge { bytes, max }.into());
        }
        Ok(())
    }

    /// Deletes drafts untouched for the expiry; returns how many.
    pub fn expire(&self) -> Result<usize> {
        let expiry =
            chrono::Duration::from_std(self.limits.expiry).unwrap_or(chrono::Duration::MAX);
        let cutoff = chrono::Utc::now()
            .checked_sub_signed(expiry)
            .unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC);
        Ok(self.store.expire_drafts(cutoff)?)
    }

    /// Checks sizes and that every referenced library indicator exists; fills in revisions.
    pub fn validate(&self, project: &DraftProject, rows: &mut [DraftRow]) -> Result<()> {
        let bad = |code, message: String| DraftingError::Invalid { code, message };
        if project.name.trim().is_empty() {
            return Err(bad("invalid_project", "请填写项目名称".into()));
        }
        let max_rows = self.limits.max_rows;
        if rows.len() > max_rows {
            return Err(DraftingError::TooManyRows {
                max: max_rows,
                got: rows.len(),
            });
        }
        let long = |s: &str| s.chars().count() > MAX_CELL_CHARS;
        if let Some((label, _)) = project.texts().into_iter().find(|(_, t)| long(t)) {
            return Err(bad(
                "field_too_long",
                format!("{label}过长：项目信息每项最多 {MAX_CELL_CHARS} 字"),
            ));
        }
        for (label, v) in [
            ("预算金额", project.budget_wan),
            ("财政拨款", project.fiscal_wan),
            ("其他资金", project.other_wan),
        ] {
            if let Some(v) = v
                && !(v.is_finite() && (0.0..=crate::domain::number::MAX_WAN).contains(&v))
            {
                return Err(bad(
                    "invalid_project",
                    format!("{label}应为 0 到 1 万亿元之间的金额（单位：万元）"),
                ));
            }
        }
        if let Some(t) = &project.project_type
            && !t.is_empty()
            && self.search.catalog().project_type(t).is_none()
        {
            return Err(bad("invalid_project", format!("项目类型编码“{t}”不存在")));
        }
        for (i, r) in rows.iter_mut().enumerate() {
            if [
                &r.name,
                &r.target,
                &r.unit,
                &r.explanation,
                &r.level1,
                &r.level2,
            ]
            .iter()
            .any(|s| long(s))
            {
                return Err(bad("field_too_long", format!("第 {} 行内容过长", i + 1)));
            }
            if let Some(code) = &r.indicator {
                let Some(ind) = self.store.indicator(code)? else {
                    return Err(bad(
                        "unknown_indicator",
                        format!("第 {} 行引用的指标“{code}”不存在", i + 1),
                    ));
                };
                if r.revision.is_none() {
                    r.revision = self.store.revisions(code)?.last().map(|v| v.number);
                }
                if r.name.trim().is_empty() {
                    r.name = ind.name;
                }
            }
        }
        Ok(())
    }

    /// What the review rules find in a draft, against the current library.
    pub fn findings(&self, d: &Draft) -> Vec<LintFinding> {
        let catalog = self.search.catalog();
        let lookup = |code: &str| self.store.indicator(code).ok().flatten();
        let mut out = lint(d, &self.lint, &catalog, &lookup);
        out.extend(crate::curation::retirement::draft_findings(&self.store, d));
        out.extend(self.below_last_year(d));
        let tolerance = self.lint.quantity_tolerance;
        for (i, m) in
            super::values::far_from_description(&d.rows, &d.project.description, tolerance)
        {
            out.push(LintFinding {
                rule: QUANTITY_RULE,
                severity: self.lint.severity(QUANTITY_RULE),
                row: Some(i),
                message: format!(
                    "“{}”的目标 {}{} 与项目概述所写的 {}{} 相差较大",
                    d.rows[i].name,
                    d.rows[i].target,
                    d.rows[i].unit,
                    crate::domain::number::show(m.value),
                    m.unit
                ),
                fix: "按概述中的建设规模填写，或修改概述".into(),
            });
        }
        for (i, j) in super::duplicates::pairs(&d.rows) {
            out.push(LintFinding {
                rule: DUPLICATE_RULE,
                severity: self.lint.severity(DUPLICATE_RULE),
                row: Some(j),
                message: format!(
                    "“{}”与第 {} 行“{}”说的是同一件事，同一结果会被重复计分",
                    d.rows[j].name,
                    i + 1,
                    d.rows[i].name
                ),
                fix: "保留其中一项；确为不同指标的，改用能区分两者的名称".into(),
            });
        }
        out.extend(self.reference_findings(d));
        out
    }

    /// Values still equal to the library's reference. A quantity, an amount or a time limit is
    /// the project's own figure, so each such row is flagged beside it; a rate or a qualitative
    /// value (合格率 100%, 满意度 ≥90%) is usually a norm the project shares, so those rows are
    /// counted in one finding rather than flooding a new table (measured over every type's
    /// default table: 8.6 findings each, one per row, before).
    fn reference_findings(&self, d: &Draft) -> Vec<LintFinding> {
        let mut out = Vec::new();
        let mut norms = Vec::new();
        for (i, reference) in self.pending_references(d).into_iter().enumerate() {
            let Some(reference) = reference else { continue };
            let r = &d.rows[i];
            let rate = matches!(r.unit.trim(), "%" | "‰") || r.direction == Direction::Qualitative;
            if rate {
                norms.push(i);
                continue;
            }
            out.push(LintFinding {
                rule: REFERENCE_RULE,
                severity: Severity::Warning,
                row: Some(i),
                message: format!(
                    "“{}”的指标值仍是指标库参考值 {reference}，尚未按本项目填写",
                    r.name
                ),
                fix: "按本项目的实际填写指标值，或勾选“参考值，确认”".into(),
            });
        }
        if !norms.is_empty() {
            let at: Vec<String> = norms.iter().map(|i| (i + 1).to_string()).collect();
            out.push(LintFinding {
                rule: REFERENCE_RULE,
                severity: Severity::Warning,
                row: None,
                message: format!(
                    "{} 个比率或定性指标沿用指标库参考值，尚未确认适用于本项目（第 {} 行）",
                    norms.len(),
                    at.join("、")
                ),
                fix: "逐行核对：适用的勾选“参考值，确认”，不适用的改为本项目的目标".into(),
            });
        }
        out
    }

    /// Rows whose target is below what the project achieved last year, where last year's
    /// self-evaluation of the same project (same budget unit; the name with its year moved
    /// back) has been imported.
    pub fn below_last_year(&self, d: &Draft) -> Vec<LintFinding> {
        let (Some(year), unit) = (d.project.year, d.project.unit_name.trim()) else {
            return Vec::new();
        };
        if unit.is_empty() {
            return Vec::new();
        }
        let back = d
            .project
            .name
            .replace(&year.to_string(), &(year - 1).to_string());
        let Some(last) = [back, d.project.name.clone()].iter().find_map(|n| {
            let id = crate::domain::evaluation::project_id(year - 1, unit, n);
            self.store.evaluation(&id).ok().flatten()
        }) else {
            return Vec::new();
        };
        let key = crate::text::name_key;
        let mut out = Vec::new();
        for (i, r) in d.rows.iter().enumerate() {
            if r.direction != crate::domain::Direction::AtLeast {
                continue;
            }
            let Ok(target) = parse_plain(&r.target) else {
                continue;
            };
            let same = |e: &&crate::domain::EvaluationRow| {
                (r.indicator.is_some() && e.certain_code() == r.indicator.as_deref())
                    || key(&e.name) == key(&r.name)
            };
            let Some(actual) = last
                .rows
                .iter()
                .filter(same)
                .find_map(|e| parse_plain(e.actual.trim_start_matches(['≥', '≤', '='])).ok())
            else {
                continue;
            };
            if target < actual {
                out.push(LintFinding {
                    rule: LAST_YEAR_RULE,
                    severity: self.lint.severity(LAST_YEAR_RULE),
                    row: Some(i),
                    message: format!(
                        "“{}”的目标 {}{} 低于上年（{} 年）实际完成的 {}{}",
                        r.name,
                        r.target,
                        r.unit,
                        year - 1,
                        crate::domain::number::show(actual),
                        r.unit
                    ),
                    fix: "目标一般不低于上年实际；确需降低的，在指标解释中写明原因".into(),
                });
            }
        }
        out
    }

    /// For each row, the library's reference value when the row still holds it and the unit has
    /// not confirmed it (参考值): a suggested table starts with them, and they are the library's
    /// typical figures, not this project's.
    pub fn pending_references(&self, d: &Draft) -> Vec<Option<String>> {
        d.rows
            .iter()
            .map(|r| {
                let code = r.indicator.as_deref().filter(|_| !r.confirmed)?;
                let ind = self.store.indicator(code).ok().flatten()?;
                let same = match (parse_plain(&r.target), parse_plain(&ind.target)) {
                    (Ok(a), Ok(b)) => a == b,
                    _ => r.target.trim() == ind.target.trim(),
                };
                (same && !ind.target.trim().is_empty()).then(|| ind.target_display())
            })
            .collect()
    }

    /// The name of the draft's project type, or nothing.
    pub fn type_name(&self, d: &Draft) -> String {
        d.project
            .project_type
            .as_deref()
            .map(|t| self.search.catalog().project_type_name(t).to_string())
            .unwrap_or_default()
    }

    /// The draft laid out as 财预〔2021〕101号 has it, for the 申报表 of a bureau that asks for
    /// it: 成本指标 as its own level 1, each cost row under the sub-type its indicator names.
    pub fn in_central2021(&self, mut d: Draft) -> Draft {
        let kind = |r: &DraftRow| {
            let code = r.indicator.as_deref()?;
            self.store.indicator(code).ok().flatten()?.cost_kind
        };
        d.rows = crate::domain::draft::rows_in_central2021(&d.rows, kind);
        d
    }

    /// A copy of a draft for next year (not stored yet): a new link, the year moved on in the
    /// budget year, the name and the period (2026年老旧小区改造 → 2027年老旧小区改造), the same
    /// rows with every 参考值 to be confirmed again.
    pub fn next_year(&self, mut d: Draft) -> Draft {
        d.id = super::new_id();
        let this_year = chrono::Datelike::year(&chrono::Utc::now());
        let from = d.project.year.unwrap_or(this_year);
        d.project.year = Some(from + 1);
        d.project.name = bump_year(&d.project.name, from);
        d.project.period = bump_year(&d.project.period, from);
        d.project.annual_goal = bump_year(&d.project.annual_goal, from);
        if !d.project.name.contains(&(from + 1).to_string()) {
            d.project.name = format!("{}（{} 年度）", d.project.name, from + 1);
        }
        for r in &mut d.rows {
            r.confirmed = false;
        }
        d.project.term = Term::Annual;
        // Next year's table of a project already funded is a 延续项目 on the form.
        d.project.attribute = "延续项目".into();
        d.created = chrono::Utc::now();
        d.updated = d.created;
        d
    }

    /// A unit tells the curators that the library has no type for its project: the project
    /// name joins the searches that found nothing in the curator inbox.
    pub fn report_gap(&self, d: &Draft) -> Result<()> {
        Ok(self.store.record_miss(&d.project.name)?)
    }

    /// A draft (not stored) from a project and rows that arrived whole (an uploaded 申报表),
    /// checked like an edited one.
    pub fn imported(&self, mut project: DraftProject, mut rows: Vec<DraftRow>) -> Result<Draft> {
        // A 申报表 names its project type as people do; files from before carry the code.
        if let Some(t) = project.project_type.take() {
            let catalog = self.search.catalog();
            project.project_type = catalog
                .project_types
                .iter()
                .find(|p| p.code == t || p.name == t)
                .map(|p| p.code.clone());
        }
        self.validate(&project, &mut rows)?;
        let now = chrono::Utc::now();
        Ok(Draft {
            id: super::new_id(),
            project,
            rows,
            owner: None,
            created: now,
            updated: now,
        })
    }

    /// What the review rules find in a table that is not stored (the live check).
    pub fn check(&self, project: DraftProject, rows: Vec<DraftRow>) -> Result<Vec<LintFinding>> {
        let mut d = self.imported(project, rows)?;
        d.id = String::new();
        Ok(self.findings(&d))
    }

    /// Replaces a stored draft's project and rows (checked), and stores it.
    pub fn replace(
        &self,
        id: &str,
        project: DraftProject,
        mut rows: Vec<DraftRow>,
    ) -> Result<Draft> {
        let mut d = self.load(id)?;
        self.validate(&project, &mut rows)?;
        d.project = project;
        d.rows = rows;
        d.updated = chrono::Utc::now();
        self.save(&d)?;
        Ok(d)
    }
}

/// `text` with the years `from` and `from + 1` (as 2026年, 2026-, 2026 年度 …) moved on by one,
/// later years first so that 2026—2027 becomes 2027—2028.
fn bump_year(text: &str, from: i32) -> String {
    let next = (from + 1).to_string();
    let after = (from + 2).to_string();
    text.replace(&next, "\u{0}")
        .replace(&from.to_string(), &next)
        .replace('\u{0}', &after)
}

/// Whether a highlighted name (`<mark>` around the matched characters) holds at least
/// `NAMED_SHARE` of the query's word characters.
fn names_the_query(name_html: &str, q: &str) -> bool {
    let wanted = crate::text::word_chars(q).chars().count();
    let mut marked = 0;
    for part in name_html.split("<mark>").skip(1) {
        let inside = part.split("</mark>").next().unwrap_or_default();
        marked += crate::text::word_chars(inside).chars().count();
    }
    wanted > 0 && marked as f64 >= NAMED_SHARE * wanted as f64
}

/// Share of the typed characters an indicator's name must hold to come first in 添加指标.
const NAMED_SHARE: f64 = 0.6;

/// A drafting service over a fresh store holding the bundled library, for unit tests here and
/// in the services built on it.
#[cfg(test)]
pub fn for_tests(dir: &std::path::Path) -> Drafting {
    let e = crate::evaluations::service::Evaluations::for_tests(dir);
    Drafting {
        practice: e.practice.clone(),
        store: e.store.clone(),
        search: e.search.clone(),
        lint: LintConfig::bundled(),
        limits: DraftLimits {
            max_rows: 50,
            max_bytes: 64 << 10,
            total_bytes: 1 << 20,
            expiry: Duration::from_secs(3600),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Direction;

    fn request(name: &str) -> DraftRequest {
        DraftRequest::from_form(
            name.into(),
            "为全县 1.2 万名农村适龄妇女提供两癌免费筛查".into(),
            String::new(),
            "120",
            String::new(),
        )
        .unwrap()
    }

    #[test]
    fn the_new_draft_form_needs_a_number_for_the_budget() {
        let e = DraftRequest::from_form(
            "项目".into(),
            String::new(),
            String::new(),
            "一百万",
            String::new(),
        )
        .unwrap_err();
        assert!(
            matches!(&e, DraftingError::Invalid { code: "invalid_project", message } if message.contains("一百万")),
            "{e:?}"
        );
        let r = request("妇女两癌筛查项目");
        assert_eq!((r.budget_wan, r.project_type), (Some(120.0), None));
    }

    #[test]
    fn a_whole_table_is_checked_before_it_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let drafting = for_tests(dir.path());
        let d = drafting.new_draft(&request("妇女两癌筛查项目")).unwrap();
        assert!(!d.rows.is_empty(), "the type's indicators start the table");
        drafting.save(&d).unwrap();

        let mut bad = d.rows.clone();
        bad[0].indicator = Some("NO-SUCH-001".into());
        let e = drafting.check(d.project.clone(), bad.clone()).unwrap_err();
        assert!(
            matches!(
                e,
                DraftingError::Invalid {
                    code: "unknown_indicator",
                    ..
                }
            ),
            "{e:?}"
        );
        assert!(drafting.replace(&d.id, d.project.clone(), bad).is_err());
        assert_eq!(
            drafting.load(&d.id).unwrap().rows,
            d.rows,
            "a refused table changes nothing"
        );

        let mut fewer = d.rows.clone();
        fewer.truncate(1);
        let kept = drafting.replace(&d.id, d.project.clone(), fewer).unwrap();
        assert_eq!(drafting.load(&d.id).unwrap().rows.len(), 1);
        assert!(kept.updated >= d.updated);
        let findings = drafting.check(d.project.clone(), kept.rows).unwrap();
        assert!(
            findings.iter().any(|f| f.row.is_none()),
            "one row cannot cover the framework: {findings:?}"
        );
    }

    /// 部门整体支出 is drafted under its own framework, and the new table passes the review rules'
    /// heading checks (决策/过程 present, 满意度 under 效益).
    #[test]
    fn a_department_draft_uses_the_department_framework() {
        let dir = tempfile::tempdir().unwrap();
        let drafting = for_tests(dir.path());
        let mut req = request("某区街道办事处2026年部门整体支出");
        req.project_type = Some("department_overall".into());
        let d = drafting.new_draft(&req).unwrap();
        assert_eq!(
            d.project.project_type.as_deref(),
            Some("department_overall")
        );
        let has = |l1: &str, l2: &str| d.rows.iter().any(|r| r.level1 == l1 && r.level2 == l2);
        assert!(has("决策指标", "目标设定指标"), "{:?}", d.rows);
        assert!(has("过程指标", "预算执行指标"), "{:?}", d.rows);
        assert!(has("效益指标", "服务对象满意度指标"), "{:?}", d.rows);
        let findings = drafting.check(d.project.clone(), d.rows.clone()).unwrap();
        assert!(
            findings
                .iter()
                .all(|f| !f.rule.starts_with("missing-level") && f.rule != "input-as-output"),
            "{findings:?}"
        );
    }

    #[test]
    fn a_copy_for_next_year_moves_the_year_on() {
        let dir = tempfile::tempdir().unwrap();
        let drafting = for_tests(dir.path());
        let mut d = drafting
            .new_draft(&request("2026年妇女两癌筛查项目"))
            .unwrap();
        d.project.year = Some(2026);
        d.project.period = "2026年1月—2026年12月".into();
        d.rows[0].confirmed = true;
        let id = d.id.clone();
        let next = drafting.next_year(d);
        assert_ne!(next.id, id);
        assert_eq!(next.project.year, Some(2027));
        assert_eq!(next.project.name, "2027年妇女两癌筛查项目");
        assert_eq!(next.project.period, "2027年1月—2027年12月");
        assert!(next.rows.iter().all(|r| !r.confirmed));
        assert_eq!(bump_year("2026—2027年", 2026), "2027—2028年");
        let mut plain = drafting.new_draft(&request("妇女两癌筛查项目")).unwrap();
        plain.project.year = Some(2026);
        assert_eq!(
            drafting.next_year(plain).project.name,
            "妇女两癌筛查项目（2027 年度）"
        );
    }

    /// Issue 25, item 7: a target below last year's actual, where the evaluations hold it.
    #[test]
    fn a_target_below_last_years_actual_is_flagged() {
        let dir = tempfile::tempdir().unwrap();
        let drafting = for_tests(dir.path());
        let evaluations = crate::evaluations::service::Evaluations {
            store: drafting.store.clone(),
            search: drafting.search.clone(),
            sheet: crate::ingest::sheet::SheetLimits::default(),
            practice: drafting.practice.clone(),
            writes: drafting.practice.write_lock(),
        };
        let csv = "项目名称,预算单位,年度,项目类型,预算金额(万元),预算执行率(%),自评得分,评价等级,一级指标,二级指标,三级指标,指标编码,计量单位,指标方向,年度目标值,实际完成值,得分,偏差原因\n\
            2025年龙泉小区改造提升项目,区城市管理局,2025,老旧小区改造,544.55,91,86.7,良,产出指标,数量指标,城区改造老旧小区个数,,个,≥,18,19,10.3,\n";
        let r = evaluations
            .import("2025.csv", csv.as_bytes(), false, "t")
            .unwrap();
        assert!(r.written, "{}", r.message);
        let mut d = drafting
            .new_draft(&request("2026年龙泉小区改造提升项目"))
            .unwrap();
        d.project.year = Some(2026);
        d.project.unit_name = "区城市管理局".into();
        let mut row = DraftRow::self_made("产出指标", "数量指标", "城区改造老旧小区个数");
        row.target = "15".into();
        row.unit = "个".into();
        d.rows.push(row);
        // The suggested 改造老旧小区个数 (12) is below last year's 19 too: the row added here
        // is the one looked at.
        let last = d.rows.len() - 1;
        let rule = |d: &Draft| {
            drafting
                .findings(d)
                .into_iter()
                .filter(|f| f.rule == LAST_YEAR_RULE && f.row == Some(last))
                .count()
        };
        assert_eq!(rule(&d), 1);
        d.rows.last_mut().unwrap().target = "20".into();
        assert_eq!(rule(&d), 0);
        d.rows.last_mut().unwrap().target = "15".into();
        d.project.unit_name = "别的单位".into();
        assert_eq!(rule(&d), 0, "another unit's project is not this one");
    }

    fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_edit_form_reads_directions_and_adds_indicators_under_their_heading() {
        let dir = tempfile::tempdir().unwrap();
        let drafting = for_tests(dir.path());
        let mut d = drafting.new_draft(&request("妇女两癌筛查项目")).unwrap();
        let n = d.rows.len();
        let code = drafting.store.indicators().unwrap()[0].code.to_string();
        let add = format!("{code} 某指标");
        let notes = drafting
            .apply_form(
                &mut d,
                &form(&[("rows[0].direction", ">="), ("add", add.as_str())]),
            )
            .unwrap();
        assert!(notes.is_empty(), "{notes:?}");
        assert_eq!(d.rows[0].direction, Direction::AtLeast);
        assert_eq!(d.rows.len(), n + 1);
        assert!(
            d.rows
                .iter()
                .any(|r| r.indicator.as_deref() == Some(code.as_str()))
        );
    }

    /// Issue 25: an unknown name in 添加指标 and a bad budget gave a 400 page and lost every
    /// other edit of the save.
    #[test]
    fn an_unknown_name_becomes_a_self_made_row_and_no_edit_is_lost() {
        let dir = tempfile::tempdir().unwrap();
        let drafting = for_tests(dir.path());
        let mut d = drafting.new_draft(&request("妇女两癌筛查项目")).unwrap();
        let n = d.rows.len();
        let notes = drafting
            .apply_form(
                &mut d,
                &form(&[
                    ("rows[0].target", "1,200"),
                    ("rows[1].direction", "大约"),
                    ("rows[1].name", "筛查对象改名后"),
                    ("budget_wan", "一百万"),
                    ("unit_name", "县卫生健康局"),
                    ("department", "县卫生健康委员会"),
                    ("fiscal_wan", "100万元"),
                    ("other_wan", "20"),
                    ("annual_goal", "完成 1.2 万名妇女两癌筛查"),
                    ("add", "流动妇女随访完成数"),
                ]),
            )
            .unwrap();
        assert_eq!(d.rows[0].target, "1200", "typed numbers are tidied");
        assert_eq!(d.rows[1].name, "筛查对象改名后");
        assert_eq!(d.project.unit_name, "县卫生健康局");
        assert_eq!(d.project.department, "县卫生健康委员会");
        assert_eq!(
            (d.project.fiscal_wan, d.project.other_wan),
            (Some(100.0), Some(20.0))
        );
        assert_eq!(d.project.annual_goal, "完成 1.2 万名妇女两癌筛查");
        assert_eq!(
            d.project.budget_wan,
            Some(120.0),
            "a bad budget keeps the old one"
        );
        let fields: Vec<(&str, bool)> = notes
            .iter()
            .map(|n| (n.field.as_str(), n.problem))
            .collect();
        assert!(fields.contains(&("budget_wan", true)), "{notes:?}");
        assert!(fields.contains(&("rows[1].direction", true)), "{notes:?}");
        assert!(fields.contains(&("add", false)), "{notes:?}");
        assert_eq!(d.rows.len(), n + 1);
        let own = d
            .rows
            .iter()
            .find(|r| r.name == "流动妇女随访完成数")
            .unwrap();
        assert!(own.is_self_made());
        // Reviewed by the same rules: no value, no explanation.
        drafting.save(&d).unwrap();
        let at = d.rows.iter().position(|r| r.name == "流动妇女随访完成数");
        let rules: Vec<&str> = drafting
            .findings(&d)
            .into_iter()
            .filter(|f| f.row == at)
            .map(|f| f.rule)
            .collect();
        assert!(
            rules.contains(&"missing-value") && rules.contains(&"missing-explanation"),
            "{rules:?}"
        );
    }

    #[test]
    fn rows_move_between_headings_and_a_name_in_the_library_adds_that_indicator() {
        let dir = tempfile::tempdir().unwrap();
        let drafting = for_tests(dir.path());
        let mut d = drafting.new_draft(&request("妇女两癌筛查项目")).unwrap();
        let lib = drafting.store.indicators().unwrap();
        let known = lib.iter().find(|i| i.is_active()).unwrap();
        let notes = drafting
            .apply_form(
                &mut d,
                &form(&[
                    ("rows[0].heading", "效益指标/社会效益指标"),
                    ("add", known.name.as_str()),
                ]),
            )
            .unwrap();
        assert!(notes.is_empty(), "{notes:?}");
        assert!(
            d.rows
                .iter()
                .any(|r| r.indicator.as_deref() == Some(known.code.as_str()))
        );
        let moved = d.rows.iter().filter(|r| r.level2 == "社会效益指标").count();
        assert!(moved >= 1);
        let notes = drafting
            .apply_form(&mut d, &form(&[("rows[0].heading", "不存在/的标题")]))
            .unwrap();
        assert_eq!(notes[0].field, "rows[0].heading");
    }
}

/// Measured over the default table of every project type in the bundled library (issue 25).
#[cfg(test)]
mod default_tables {
    use super::*;

    fn default_tables(drafting: &Drafting) -> Vec<(String, Draft)> {
        let catalog = drafting.search.catalog();
        catalog
            .project_types
            .iter()
            .map(|t| {
                let req = DraftRequest {
                    project_name: t.name.clone(),
                    description: String::new(),
                    project_type: Some(t.code.clone()),
                    budget_wan: Some(500.0),
                    term: None,
                    unit_name: String::new(),
                    year: None,
                };
                (t.code.clone(), drafting.new_draft(&req).unwrap())
            })
            .collect()
    }

    /// No default table repeats an indicator in other words (政务信息化 held 系统功能需求实现率
    /// and 需求功能实现率), and a fresh table is not flooded with 参考值 findings: before, every
    /// row had one (1,122 over 130 tables, 8.6 each).
    #[test]
    fn default_tables_hold_no_near_duplicates_and_few_reference_findings() {
        let dir = tempfile::tempdir().unwrap();
        let drafting = for_tests(dir.path());
        let tables = default_tables(&drafting);
        assert!(tables.len() >= 100, "{}", tables.len());
        let (mut references, mut rows, mut pending) = (0, 0, 0);
        for (code, d) in &tables {
            let f = drafting.findings(d);
            let dups: Vec<&LintFinding> = f.iter().filter(|x| x.rule == DUPLICATE_RULE).collect();
            assert!(dups.is_empty(), "{code}: {dups:?}");
            references += f.iter().filter(|x| x.rule == REFERENCE_RULE).count();
            rows += d.rows.len();
            pending += drafting
                .pending_references(d)
                .iter()
                .filter(|r| r.is_some())
                .count();
        }
        let per_table = references as f64 / tables.len() as f64;
        eprintln!(
            "{} tables, {rows} rows, {pending} unconfirmed reference values, {references} 参考值 findings ({per_table:.1} a table)",
            tables.len()
        );
        assert!(
            pending * 2 > rows,
            "the values are still marked: {pending} of {rows}"
        );
        assert!(per_table <= 5.0, "{per_table:.1} 参考值 findings a table");
        let it = &tables.iter().find(|(c, _)| c == "it_system").unwrap().1;
        let names: Vec<&str> = it.rows.iter().map(|r| r.name.as_str()).collect();
        assert!(
            !(names.contains(&"系统功能需求实现率") && names.contains(&"需求功能实现率")),
            "{names:?}"
        );
    }

    /// A rate left at the library's norm is counted once for the table; a quantity left at the
    /// library's figure is flagged on its row.
    #[test]
    fn reference_rates_are_counted_once_and_quantities_flagged_on_their_row() {
        let dir = tempfile::tempdir().unwrap();
        let drafting = for_tests(dir.path());
        let (_, d) = default_tables(&drafting)
            .into_iter()
            .find(|(c, _)| c == "old_community")
            .unwrap();
        let f = drafting.findings(&d);
        let refs: Vec<&LintFinding> = f.iter().filter(|x| x.rule == REFERENCE_RULE).collect();
        let general: Vec<&&LintFinding> = refs.iter().filter(|x| x.row.is_none()).collect();
        assert_eq!(general.len(), 1, "{refs:?}");
        for x in refs.iter().filter(|x| x.row.is_some()) {
            assert_ne!(d.rows[x.row.unwrap()].unit, "%", "{x:?}");
        }
        assert!(refs.iter().any(|x| x.row.is_some()), "{refs:?}");
    }

    /// A row added twice in other words is a finding on the later row.
    #[test]
    fn a_near_duplicate_row_is_a_finding_on_the_later_row() {
        let dir = tempfile::tempdir().unwrap();
        let drafting = for_tests(dir.path());
        let (_, mut d) = default_tables(&drafting)
            .into_iter()
            .find(|(c, _)| c == "it_system")
            .unwrap();
        let n = d.rows.len();
        let first = d
            .rows
            .iter()
            .position(|r| r.name == "系统功能需求实现率")
            .expect("a core indicator of the type");
        let mut row = DraftRow::self_made("产出指标", "质量指标", "需求功能实现率");
        row.unit = "%".into();
        d.rows.push(row);
        let f = drafting.findings(&d);
        let dup: Vec<&LintFinding> = f.iter().filter(|x| x.rule == DUPLICATE_RULE).collect();
        assert_eq!(dup.len(), 1, "{dup:?}");
        assert_eq!(dup[0].row, Some(n));
        assert!(
            dup[0].message.contains(&format!("第 {} 行", first + 1)),
            "{}",
            dup[0].message
        );
        assert_eq!(dup[0].severity, Severity::Warning);
    }

    /// Issue 25, item 6: 居民满意度 in a 老旧小区改造 draft offered 基本公共卫生服务满意度 first and
    /// 改造小区居民满意度 eighth.
    #[test]
    fn the_add_box_offers_the_drafts_type_first_and_nothing_the_table_holds() {
        let dir = tempfile::tempdir().unwrap();
        let drafting = for_tests(dir.path());
        let s = drafting
            .suggest_to_add("居民满意度", Some("old_community"), &[], 8)
            .unwrap();
        assert_eq!(
            s.first().map(|s| s.name.as_str()),
            Some("改造小区居民满意度"),
            "{s:?}"
        );
        let first = s[0].code.clone();
        let s = drafting
            .suggest_to_add("居民满意度", Some("old_community"), &[first.as_str()], 8)
            .unwrap();
        assert!(s.iter().all(|x| x.code != first), "{s:?}");
        assert!(!s.is_empty());
        let mut names: Vec<String> = s.iter().map(|x| crate::text::name_key(&x.name)).collect();
        names.dedup();
        assert_eq!(names.len(), s.len(), "no name twice: {s:?}");
        // Without a type (or with an unknown one) it is the library's name suggestions.
        let plain = drafting.suggest_to_add("居民满意度", None, &[], 8).unwrap();
        let unknown = drafting
            .suggest_to_add("居民满意度", Some("no_such_type"), &[], 8)
            .unwrap();
        assert_eq!(plain.len(), unknown.len());
    }
}
