//! The drafting page and the draft's JSON body, shared by real drafts (`drafts`) and trainees'
//! attempts (`training`): the table with what the review rules find in each row.

use super::layout::Nav;
use crate::domain::lint::{LintFinding, Severity};
use crate::domain::{Draft, DraftProject, DraftRow};
use crate::drafting::form::{FormNote, heading};
use crate::drafting::service::Drafting;
use crate::training::attempts::TraineeView;
use askama::Template;
use serde::Deserialize;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct DraftBody {
    /// name, unit_name, department, implementer, period, description, annual_goal,
    /// midterm_goal, project_type, budget_wan, fiscal_wan, other_wan (万元), year, term.
    #[schema(value_type = Object)]
    pub project: DraftProject,
    /// level1, level2, name, indicator (none: a self-made 自拟 row), revision, direction,
    /// target, unit, explanation, confirmed (the 参考值 kept on purpose).
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub rows: Vec<DraftRow>,
}

/// One field of the project information block.
pub struct ProjectField {
    pub name: &'static str,
    pub label: &'static str,
    /// What the input shows (the typed text when it could not be taken).
    pub value: String,
    /// text, year, money, attribute (新增 / 延续) or long (a text area across the block).
    pub kind: &'static str,
    pub note: Option<FormNote>,
}

pub struct RowView {
    pub index: usize,
    pub row: DraftRow,
    pub findings: Vec<LintFinding>,
    /// The row as JSON, for the page's live check.
    pub json: String,
    /// `一级/二级`, the value of its heading select.
    pub heading: String,
    /// The library's reference value while the row still holds it unconfirmed (参考值).
    pub reference: Option<String>,
}

/// How many rows from `i` on share the key of row `i`, or 0 when row `i - 1` already does.
fn span<K: PartialEq>(rows: &[DraftRow], i: usize, key: impl Fn(&DraftRow) -> K) -> usize {
    if i > 0 && key(&rows[i - 1]) == key(&rows[i]) {
        return 0;
    }
    rows[i..]
        .iter()
        .take_while(|r| key(r) == key(&rows[i]))
        .count()
}

#[derive(Template)]
#[template(path = "drafts/edit.html")]
pub struct EditPage {
    pub nav: Nav,
    pub d: Draft,
    /// The project as JSON, for the page's live check.
    pub project_json: String,
    pub type_name: String,
    pub rows: Vec<RowView>,
    pub general: Vec<LintFinding>,
    pub errors: usize,
    pub warnings: usize,
    /// Where the table form posts.
    pub action: String,
    /// Set when a trainee works on an exercise: no exports, and the model-answer feedback.
    pub training: Option<TraineeView>,
    /// When an untouched draft is deleted (not for training attempts, which do not expire).
    pub expiry: Option<String>,
    /// What the last save could not take, beside the field it is about.
    pub notes: Vec<FormNote>,
    /// Where a row may move: (`一级/二级`, 一级, 二级).
    pub headings: Vec<(String, String, String)>,
    /// Money fields as the form shows them (no exponents): budget, fiscal, other.
    pub amounts: [String; 3],
}

impl EditPage {
    /// The message the last save left for a field, if any.
    pub fn note(&self, field: &str) -> Option<&FormNote> {
        self.notes.iter().find(|n| n.field == field)
    }

    /// What a field shows: the text typed into it when it could not be taken, else `saved`.
    pub fn shown(&self, field: &str, saved: &str) -> String {
        match self.note(field) {
            Some(n) if n.problem => n.value.clone(),
            _ => saved.to_string(),
        }
    }

    /// The project information as the page edits it.
    pub fn project_fields(&self) -> Vec<ProjectField> {
        let p = &self.d.project;
        let year = p.year.map(|y| y.to_string()).unwrap_or_default();
        let [budget, fiscal, other] = &self.amounts;
        let field = |name: &'static str, label: &'static str, saved: &str, kind: &'static str| {
            ProjectField {
                name,
                label,
                value: self.shown(name, saved),
                kind,
                note: self.note(name).cloned(),
            }
        };
        let mut out = vec![
            field("project_name", "项目名称", &p.name, "text"),
            field("year", "预算年度", &year, "year"),
            field("unit_name", "预算单位", &p.unit_name, "text"),
            field("department", "主管部门", &p.department, "text"),
            field("implementer", "实施单位", &p.implementer, "text"),
            field("period", "项目期限", &p.period, "text"),
            field("attribute", "项目属性", &p.attribute, "attribute"),
            field("budget_wan", "资金总额（万元）", budget, "money"),
            field("fiscal_wan", "其中：财政拨款（万元）", fiscal, "money"),
            field("other_wan", "其他资金（万元）", other, "money"),
            field("annual_goal", "年度总体目标", &p.annual_goal, "long"),
        ];
        out.push(field("midterm_goal", "中期目标", &p.midterm_goal, "long"));
        out.push(field("description", "项目概述", &p.description, "long"));
        out
    }

    /// Whether the project information opens by itself: while a field the 申报表 needs is
    /// empty, or the last save could not take one. Complete, it folds to one line so the table
    /// starts on the first screen (at 1366×768 it began at y = 970).
    pub fn project_open(&self) -> bool {
        let p = &self.d.project;
        let midterm = p.term == crate::domain::Term::MidTerm && p.midterm_goal.trim().is_empty();
        midterm
            || p.budget_wan.is_none()
            || [
                &p.unit_name,
                &p.department,
                &p.implementer,
                &p.period,
                &p.annual_goal,
            ]
            .iter()
            .any(|f| f.trim().is_empty())
            || self.project_fields().iter().any(|f| f.note.is_some())
    }

    /// The folded project information: unit, amount and period.
    pub fn project_summary(&self) -> String {
        let p = &self.d.project;
        let mut parts = vec![p.unit_name.trim().to_string()];
        if !self.amounts[0].is_empty() {
            parts.push(format!("资金 {} 万元", self.amounts[0]));
        }
        parts.push(p.period.trim().to_string());
        parts.retain(|s| !s.is_empty());
        parts.join(" · ")
    }

    /// A row field's name in the form, e.g. `rows[3].target`.
    pub fn row_field(&self, index: &usize, field: &str) -> String {
        format!("rows[{index}].{field}")
    }

    /// Whether the last save left a field it could not take.
    pub fn has_problems(&self) -> bool {
        self.notes.iter().any(|n| n.problem)
    }
}

/// The drafting page for a draft, shared by real drafts and trainees' attempts.
pub fn draft_page(
    drafting: &Drafting,
    nav: Nav,
    d: Draft,
    action: String,
    training: Option<TraineeView>,
) -> EditPage {
    let f = drafting.findings(&d);
    let references = drafting.pending_references(&d);
    let rows = d
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| RowView {
            index: i,
            row: r.clone(),
            findings: f.iter().filter(|x| x.row == Some(i)).cloned().collect(),
            json: serde_json::to_string(r).unwrap_or_default(),
            heading: heading(&r.level1, &r.level2),
            reference: references.get(i).cloned().flatten(),
        })
        .collect();
    let headings = drafting
        .headings(&d)
        .into_iter()
        .map(|(l1, l2)| (heading(&l1, &l2), l1, l2))
        .collect();
    let show = |v: Option<f64>| v.map(crate::domain::number::show).unwrap_or_default();
    let amounts = [
        show(d.project.budget_wan),
        show(d.project.fiscal_wan),
        show(d.project.other_wan),
    ];
    let errors = f.iter().filter(|x| x.severity == Severity::Error).count();
    let expiry = training
        .is_none()
        .then(|| expiry_note(drafting.limits.expiry, &d));
    EditPage {
        expiry,
        nav,
        project_json: serde_json::to_string(&d.project).unwrap_or_default(),
        type_name: drafting.type_name(&d),
        general: f.iter().filter(|x| x.row.is_none()).cloned().collect(),
        warnings: f.len() - errors,
        errors,
        rows,
        d,
        action,
        training,
        notes: Vec::new(),
        headings,
        amounts,
    }
}

/// One row of the printed indicator table.
pub struct PrintRow {
    pub row: DraftRow,
    /// Rows its 一级 / 二级 cell spans (0: merged into the one above), as the printed form
    /// merges them.
    pub l1_span: usize,
    pub l2_span: usize,
}

/// The 申报表 as it is printed and handed in: the layout of the xlsx (`ingest::xlsx`), on an A4
/// landscape page, with no review output, links or controls.
#[derive(Template)]
#[template(path = "drafts/print.html")]
pub struct PrintPage {
    pub d: Draft,
    pub type_name: String,
    pub rows: Vec<PrintRow>,
    /// 年度资金总额, 其中：财政拨款, 其他资金 as a finance form writes them (1,200.00).
    pub amounts: [String; 3],
    /// 中期目标 beside 年度目标: multi-year projects, or a draft that wrote one.
    pub midterm: bool,
}

impl PrintPage {
    pub fn new(drafting: &Drafting, d: Draft) -> PrintPage {
        let rows = (0..d.rows.len())
            .map(|i| PrintRow {
                row: d.rows[i].clone(),
                l1_span: span(&d.rows, i, |r| r.level1.clone()),
                l2_span: span(&d.rows, i, |r| (r.level1.clone(), r.level2.clone())),
            })
            .collect();
        let p = &d.project;
        let amounts =
            [p.budget_wan, p.fiscal_wan, p.other_wan].map(|v| v.map(money).unwrap_or_default());
        PrintPage {
            type_name: drafting.type_name(&d),
            midterm: p.term == crate::domain::Term::MidTerm || !p.midterm_goal.trim().is_empty(),
            rows,
            amounts,
            d,
        }
    }

    /// The title of the indicator table.
    pub fn table_title(&self) -> &'static str {
        match self.d.project.term {
            crate::domain::Term::MidTerm => "中期绩效指标",
            crate::domain::Term::Annual => "年度绩效指标",
        }
    }
}

/// An amount of 万元 as finance forms write it: thousands separated, two decimals.
fn money(v: f64) -> String {
    let s = format!("{:.2}", v.abs());
    let (int, frac) = s.split_once('.').unwrap_or((&s, "00"));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if v < 0.0 { "-" } else { "" };
    format!("{sign}{grouped}.{frac}")
}

/// What the draft page says about expiry, e.g. 草稿 180 天未修改将被删除（最后修改 …）.
fn expiry_note(expiry: std::time::Duration, d: &Draft) -> String {
    let span = match expiry.as_secs() {
        s if s >= 86_400 => format!("{} 天", s / 86_400),
        s if s >= 3_600 => format!("{} 小时", s / 3_600),
        s => format!("{} 分钟", s.div_ceil(60)),
    };
    let at = |t: &chrono::DateTime<chrono::Utc>| {
        super::state::local_time(t)
            .format("%Y-%m-%d %H:%M")
            .to_string()
    };
    let deadline = chrono::Duration::from_std(expiry)
        .ok()
        .and_then(|e| d.updated.checked_add_signed(e));
    format!(
        "草稿 {span}未修改将被删除（最后修改 {}{}）",
        at(&d.updated),
        deadline
            .map(|t| format!("，不再修改则于 {} 后删除", at(&t)))
            .unwrap_or_default()
    )
}

#[cfg(test)]
mod tests {
    use super::money;

    #[test]
    fn amounts_are_written_as_finance_forms_write_them() {
        assert_eq!(money(500.0), "500.00");
        assert_eq!(money(1200.5), "1,200.50");
        assert_eq!(money(1234567.891), "1,234,567.89");
        assert_eq!(money(-12.0), "-12.00");
    }
}
