//! The drafting page's edit form applied to a draft: project information, row edits (value,
//! unit, direction, name, heading, order, removal, 参考值 confirmation) and the 添加指标 field.
//! A field that cannot be taken keeps its previous value and comes back as a `FormNote` beside
//! it; every other edit of the same save is kept, so a typing slip never loses work.

use super::DraftingError;
use super::service::Drafting;
use crate::domain::number::{parse_wan, show};
use crate::domain::{Direction, Draft, DraftRow, Indicator, Term};
use serde::Serialize;
use std::sync::Arc;

/// Longest text a form field takes (the same bound as the API's cells).
const MAX_FIELD_CHARS: usize = 2_000;

/// Something the page says beside one field after a save.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FormNote {
    /// The form field it is about (`budget_wan`, `rows[3].target`, `add`).
    pub field: String,
    /// What was typed, shown again in the field so nothing is lost.
    pub value: String,
    pub message: String,
    /// A problem (the field kept its previous value), or only information (a self-made row added).
    pub problem: bool,
}

/// The framework headings a row may sit under, as `一级/二级`.
pub fn heading(level1: &str, level2: &str) -> String {
    format!("{level1}/{level2}")
}

impl Drafting {
    /// The headings a draft's rows may move to: its framework's, then any the rows already use.
    pub fn headings(&self, d: &Draft) -> Vec<(String, String)> {
        let catalog = self.search.catalog();
        let fw = d
            .project
            .project_type
            .as_deref()
            .and_then(|t| catalog.project_type(t))
            .map_or_else(|| catalog.framework(), |t| catalog.framework_of(t));
        let mut out: Vec<(String, String)> = fw
            .level1
            .iter()
            .flat_map(|l1| l1.level2.iter().map(|l2| (l1.name.clone(), l2.clone())))
            .collect();
        for r in &d.rows {
            let h = (r.level1.clone(), r.level2.clone());
            if !out.contains(&h) {
                out.push(h);
            }
        }
        out
    }

    /// Applies the edit form (`rows[i].field` pairs, `remove` row indices, `add` an indicator
    /// code or name, project fields) to a draft. What cannot be taken is returned as notes and
    /// leaves that field as it was; the caller stores the draft either way.
    pub fn apply_form(
        &self,
        d: &mut Draft,
        fields: &[(String, String)],
    ) -> Result<Vec<FormNote>, DraftingError> {
        let mut notes = Vec::new();
        let get = |k: &str| {
            fields
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.trim().to_string())
        };
        let mut problem = |field: &str, value: &str, message: String| {
            notes.push(FormNote {
                field: field.to_string(),
                value: value.to_string(),
                message,
                problem: true,
            })
        };
        let too_long = |v: &str| v.chars().count() > MAX_FIELD_CHARS;
        let long_message = format!("内容过长（最多 {MAX_FIELD_CHARS} 字），未保存此项");

        // Project information: each field read when the page sent it.
        let p = &mut d.project;
        for (field, slot) in [
            ("project_name", &mut p.name),
            ("unit_name", &mut p.unit_name),
            ("department", &mut p.department),
            ("implementer", &mut p.implementer),
            ("period", &mut p.period),
            ("attribute", &mut p.attribute),
            ("description", &mut p.description),
            ("annual_goal", &mut p.annual_goal),
            ("midterm_goal", &mut p.midterm_goal),
        ] {
            let Some(v) = get(field) else { continue };
            if too_long(&v) {
                problem(field, &v, long_message.clone());
            } else if field == "project_name" && v.is_empty() {
                problem(field, &v, "项目名称不能为空，已保留原名称".into());
            } else {
                *slot = v;
            }
        }
        for (field, slot) in [
            ("budget_wan", &mut p.budget_wan),
            ("fiscal_wan", &mut p.fiscal_wan),
            ("other_wan", &mut p.other_wan),
        ] {
            let Some(v) = get(field) else { continue };
            if v.is_empty() {
                *slot = None;
                continue;
            }
            match parse_wan(&v) {
                Ok(n) => *slot = Some(n),
                Err(e) => problem(field, &v, e),
            }
        }
        if let Some(v) = get("year") {
            match crate::domain::number::parse_year(&v) {
                Ok(y) => p.year = y,
                Err(m) => problem("year", &v, m),
            }
        }
        if let Some(v) = get("term") {
            p.term = match v.as_str() {
                "midterm" | "中期" => Term::MidTerm,
                _ => Term::Annual,
            };
        }

        let headings = self.headings(d);
        let mut rows = Vec::new();
        for (i, r) in d.rows.iter().enumerate() {
            if fields
                .iter()
                .any(|(n, v)| n == "remove" && v == &i.to_string())
            {
                continue;
            }
            let mut r = r.clone();
            let name = |f: &str| format!("rows[{i}].{f}");
            let f = |field: &str| get(&name(field));
            let before = r.target.clone();
            for (field, slot) in [
                ("target", &mut r.target),
                ("unit", &mut r.unit),
                ("explanation", &mut r.explanation),
            ] {
                if let Some(v) = f(field) {
                    if too_long(&v) {
                        problem(&name(field), &v, long_message.clone());
                    } else {
                        *slot = v;
                    }
                }
            }
            if r.target != before {
                r.target = tidy_target(&r.target);
            }
            if let Some(v) = f("name") {
                if v.is_empty() {
                    problem(&name("name"), &v, "指标名称不能为空，已保留原名称".into());
                } else if too_long(&v) {
                    problem(&name("name"), &v, long_message.clone());
                } else {
                    r.name = v;
                }
            }
            if let Some(v) = f("direction") {
                match Direction::parse_typed(&v) {
                    Some(dir) => r.direction = dir,
                    None => problem(
                        &name("direction"),
                        &v,
                        format!("指标方向“{v}”无效（应为 ≥、≤、= 或 定性）"),
                    ),
                }
            }
            if let Some(v) = f("heading") {
                match headings.iter().find(|(a, b)| heading(a, b) == v) {
                    Some((l1, l2)) => {
                        r.level1 = l1.clone();
                        r.level2 = l2.clone();
                    }
                    None => problem(&name("heading"), &v, format!("指标体系中没有“{v}”")),
                }
            }
            if f("confirm_shown").is_some() {
                r.confirmed = f("confirmed").is_some_and(|v| !v.is_empty());
            }
            let order = match f("order") {
                None => i as f64,
                Some(o) => match o.parse::<f64>() {
                    Ok(n) if n.is_finite() => n,
                    _ => {
                        problem(&name("order"), &o, format!("顺序“{o}”不是数字，未调整"));
                        i as f64
                    }
                },
            };
            rows.push((order, r));
        }
        // Stable: equal numbers keep their order, so "3" moves a row among the others.
        rows.sort_by(|a, b| a.0.total_cmp(&b.0));
        d.rows = rows.into_iter().map(|(_, r)| r).collect();

        if let Some(typed) = get("add").filter(|c| !c.is_empty()) {
            if too_long(&typed) {
                problem("add", &typed, long_message.clone());
            } else if d.rows.len() >= self.limits.max_rows {
                problem(
                    "add",
                    &typed,
                    format!("指标最多 {} 行，未添加", self.limits.max_rows),
                );
            } else {
                let wanted = get("add_heading").unwrap_or_default();
                let under = headings.iter().find(|(a, b)| heading(a, b) == wanted);
                match self.find_indicator(&typed)? {
                    Some(ind) => {
                        let rev = self
                            .store
                            .revisions(ind.code.as_str())?
                            .last()
                            .map(|r| r.number);
                        insert_under_heading(&mut d.rows, DraftRow::from_indicator(&ind, rev));
                    }
                    None => {
                        let (l1, l2) = under
                            .cloned()
                            .unwrap_or_else(|| guess_heading(&typed, &headings));
                        let row = DraftRow::self_made(&l1, &l2, &typed);
                        insert_under_heading(&mut d.rows, row);
                        notes.push(FormNote {
                            field: "add".into(),
                            value: String::new(),
                            message: format!(
                                "指标库中没有“{typed}”，已作为自拟指标添加到“{l1} / {l2}”：请填写指标值、计量单位和指标解释"
                            ),
                            problem: false,
                        });
                    }
                }
            }
        }
        self.validate(&d.project, &mut d.rows)?;
        d.updated = chrono::Utc::now();
        Ok(notes)
    }

    /// The library indicator the 添加指标 field names: a code (the suggestion list sends
    /// `代码 名称`), or exactly its name or an alias. `None` when the text is the unit's own.
    fn find_indicator(&self, typed: &str) -> Result<Option<Arc<Indicator>>, DraftingError> {
        let first = typed.split_whitespace().next().unwrap_or_default();
        if let Some(i) = self.search.get(first).filter(|i| i.is_active()) {
            return Ok(Some(i));
        }
        let key = crate::text::name_key(typed);
        let mut req = crate::search::SearchRequest::new(typed);
        req.limit = 20;
        let hits = self.search.search(&req)?.hits;
        Ok(hits
            .into_iter()
            .map(|h| h.indicator)
            .filter(|i| i.is_active())
            .find(|i| {
                crate::text::name_key(&i.name) == key
                    || i.aliases.iter().any(|a| crate::text::name_key(a) == key)
            }))
    }
}

/// Keeps the framework order: after the last row of the same heading, else at the end.
fn insert_under_heading(rows: &mut Vec<DraftRow>, row: DraftRow) {
    let at = rows
        .iter()
        .rposition(|r| r.level1 == row.level1 && r.level2 == row.level2)
        .map_or(rows.len(), |p| p + 1);
    rows.insert(at, row);
}

/// Where a self-made indicator goes when the unit did not say: satisfaction by its wording,
/// rates to quality, otherwise the first heading (quantity).
fn guess_heading(name: &str, headings: &[(String, String)]) -> (String, String) {
    let pick = |word: &str| headings.iter().find(|(_, l2)| l2.contains(word)).cloned();
    let by_word = if name.contains("满意") {
        pick("满意")
    } else if ["成本", "单价", "造价", "费用"]
        .iter()
        .any(|w| name.contains(w))
    {
        pick("成本")
    } else if ["及时", "按期", "时限", "周期"]
        .iter()
        .any(|w| name.contains(w))
    {
        pick("时效")
    } else if ["合格率", "达标率", "完好率", "准确率"]
        .iter()
        .any(|w| name.contains(w))
    {
        pick("质量")
    } else {
        None
    };
    by_word
        .or_else(|| headings.first().cloned())
        .unwrap_or_else(|| ("产出指标".into(), "数量指标".into()))
}

/// A target as typed, tidied where it is plainly a number: `1,200` → `1200`, `１２００` → `1200`.
/// Anything else stays as typed for the review to judge.
fn tidy_target(t: &str) -> String {
    let has_digits = t
        .chars()
        .any(|c| c.is_ascii_digit() || ('０'..='９').contains(&c));
    match crate::domain::number::parse_plain(t) {
        Ok(v) if has_digits => {
            let pct = if t.trim_end().ends_with(['%', '％']) {
                "%"
            } else {
                ""
            };
            format!("{}{pct}", show(v))
        }
        _ => t.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_targets_are_tidied_only_when_they_are_numbers() {
        assert_eq!(tidy_target("1,200"), "1200");
        assert_eq!(tidy_target("１２００"), "1200");
        assert_eq!(tidy_target("95%"), "95%");
        assert_eq!(tidy_target("明显提高"), "明显提高");
        assert_eq!(tidy_target("1e20"), "1e20");
    }

    #[test]
    fn a_self_made_row_goes_under_the_heading_its_words_suggest() {
        let h: Vec<(String, String)> = [
            ("产出指标", "数量指标"),
            ("产出指标", "质量指标"),
            ("满意度指标", "服务对象满意度指标"),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        assert_eq!(
            guess_heading("改造小区居民满意度", &h).1,
            "服务对象满意度指标"
        );
        assert_eq!(guess_heading("管网验收合格率", &h).1, "质量指标");
        assert_eq!(guess_heading("新建停车位", &h).1, "数量指标");
    }
}
