//! The drafting service, built once by the app: suggestions with the evaluations' reference
//! values, drafts checked against the library and the review rules, stored within their quotas
//! and expired, and the edit form applied. Real drafts and training attempts both go through it.

use super::{DraftRequest, DraftingError, Suggestions, new_draft};
use crate::domain::lint::{LintConfig, LintFinding, lint};
use crate::domain::{Direction, Draft, DraftProject, DraftRow, Term};
use crate::evaluations::practice::PracticeStats;
use crate::search::SearchIndex;
use crate::store::{DraftError, DraftQuota, Store};
use std::sync::Arc;
use std::time::Duration;

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
        if long(&project.description) || long(&project.name) || long(&project.unit_name) {
            return Err(bad(
                "field_too_long",
                format!("项目信息每项最多 {MAX_CELL_CHARS} 字"),
            ));
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
        out
    }

    /// The name of the draft's project type, or nothing.
    pub fn type_name(&self, d: &Draft) -> String {
        d.project
            .project_type
            .as_deref()
            .map(|t| self.search.catalog().project_type_name(t).to_string())
            .unwrap_or_default()
    }

    /// A copy of a draft for next year: a new link, the same project and rows (not stored yet).
    pub fn next_year(&self, mut d: Draft) -> Draft {
        d.id = super::new_id();
        d.project.year = d.project.year.map(|y| y + 1);
        d.project.term = Term::Annual;
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
    pub fn imported(&self, project: DraftProject, mut rows: Vec<DraftRow>) -> Result<Draft> {
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

    /// Applies the edit form (`rows[i].field` pairs, `remove` row indices, `add` an indicator
    /// code) to a draft and checks the result (the caller stores it).
    pub fn apply_form(&self, d: &mut Draft, fields: &[(String, String)]) -> Result<()> {
        let get = |k: &str| {
            fields
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.trim().to_string())
        };
        let bad = |code, message: String| DraftingError::Invalid { code, message };
        if let Some(n) = get("project_name").filter(|n| !n.is_empty()) {
            d.project.name = n;
        }
        d.project.unit_name = get("unit_name").unwrap_or_else(|| d.project.unit_name.clone());
        d.project.description = get("description").unwrap_or_else(|| d.project.description.clone());
        if let Some(b) = get("budget_wan") {
            d.project.budget_wan = if b.is_empty() {
                None
            } else {
                Some(
                    b.parse()
                        .map_err(|_| bad("invalid_project", format!("预算金额“{b}”不是数字")))?,
                )
            };
        }
        let mut rows = Vec::new();
        for (i, r) in d.rows.iter().enumerate() {
            if fields
                .iter()
                .any(|(n, v)| n == "remove" && v == &i.to_string())
            {
                continue;
            }
            let mut r = r.clone();
            let f = |name: &str| get(&format!("rows[{i}].{name}"));
            if let Some(v) = f("target") {
                r.target = v;
            }
            if let Some(v) = f("unit") {
                r.unit = v;
            }
            if let Some(v) = f("explanation") {
                r.explanation = v;
            }
            if let Some(v) = f("direction") {
                r.direction = Direction::parse_typed(&v).ok_or_else(|| {
                    bad("invalid_row", format!("第 {} 行指标方向“{v}”无效", i + 1))
                })?;
            }
            let order: f64 = f("order").and_then(|o| o.parse().ok()).unwrap_or(i as f64);
            rows.push((order, r));
        }
        rows.sort_by(|a, b| a.0.total_cmp(&b.0));
        d.rows = rows.into_iter().map(|(_, r)| r).collect();
        if let Some(code) = get("add").filter(|c| !c.is_empty()) {
            let code = code
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_string();
            let ind = self
                .store
                .indicator(&code)?
                .ok_or_else(|| bad("unknown_indicator", format!("指标“{code}”不存在")))?;
            let rev = self.store.revisions(&code)?.last().map(|r| r.number);
            // Keep the framework order: after the last row of the same level 2, else at the end.
            let at = d
                .rows
                .iter()
                .rposition(|r| r.level1 == ind.level1 && r.level2 == ind.level2)
                .map_or(d.rows.len(), |p| p + 1);
            d.rows.insert(at, DraftRow::from_indicator(&ind, rev));
        }
        self.validate(&d.project, &mut d.rows)?;
        d.updated = chrono::Utc::now();
        Ok(())
    }
}

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
    fn the_edit_form_reads_directions_and_adds_indicators_under_their_heading() {
        let dir = tempfile::tempdir().unwrap();
        let drafting = for_tests(dir.path());
        let mut d = drafting.new_draft(&request("妇女两癌筛查项目")).unwrap();
        let n = d.rows.len();
        let bad = [("rows[0].direction".to_string(), "大约".to_string())];
        assert!(drafting.apply_form(&mut d.clone(), &bad).is_err());
        let code = drafting.store.indicators().unwrap()[0].code.to_string();
        let form = [
            ("rows[0].direction".to_string(), ">=".to_string()),
            ("add".to_string(), format!("{code} 某指标")),
        ];
        drafting.apply_form(&mut d, &form).unwrap();
        assert_eq!(d.rows[0].direction, Direction::AtLeast);
        assert_eq!(d.rows.len(), n + 1);
        assert!(
            d.rows
                .iter()
                .any(|r| r.indicator.as_deref() == Some(code.as_str()))
        );
    }
}
