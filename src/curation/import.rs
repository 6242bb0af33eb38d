//! Bulk import of new and changed indicators from a spreadsheet: a dry run that reports per row
//! and per cell what would be created, changed or rejected and why; applying it opens one batch
//! proposal, all or nothing.

use super::proposals::CodeBook;
use super::{Actor, Curation, CurationError, Result};
use crate::domain::quality::normalized_name;
use crate::domain::revision::diff;
use crate::domain::{Catalog, Code, Indicator, Proposal, ProposedChange};
use crate::ingest::library::IndicatorInput;
use crate::ingest::sheet::ReadError;
use crate::ingest::table::{self, Table, TableError};
use serde::Serialize;
use std::collections::HashMap;

/// The columns of the import file, in the template's order, with the field each one fills.
pub const COLUMNS: &[(&str, &str)] = &[
    ("编码", "code"),
    ("指标名称", "name"),
    ("别名", "aliases"),
    ("一级指标", "level1"),
    ("二级指标", "level2"),
    ("指标解释", "definition"),
    ("计算公式", "formula"),
    ("指标值类型", "value_type"),
    ("指标方向", "direction"),
    ("计量单位", "unit"),
    ("参考值", "target"),
    ("取值依据", "basis"),
    ("依据文件", "basis_doc"),
    ("适用年度", "valid_year"),
    ("数据来源", "data_source"),
    ("评(扣)分标准", "scoring"),
    ("分值", "weight"),
    ("适用项目类型", "project_types"),
    ("适用支出性质", "natures"),
    ("核心指标类型", "core"),
    ("目标期限", "term"),
    ("成本类型", "cost_kind"),
    ("来源", "provenance"),
];

/// The code a new row without one is checked under before it is given a real one.
const PROBE_CODE: &str = "ZB-999";

/// Columns of the library's CSV export that are derived, so a re-imported export is accepted.
const DERIVED: &[&str] = &["适用范围", "状态"];

fn column_of(field: &str) -> &'static str {
    COLUMNS
        .iter()
        .find(|(_, f)| *f == field)
        .map_or("—", |(c, _)| c)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RowAction {
    Create,
    Change,
    Unchanged,
    Reject,
}

impl RowAction {
    pub fn label(self) -> &'static str {
        match self {
            RowAction::Create => "新增",
            RowAction::Change => "修改",
            RowAction::Unchanged => "无变化",
            RowAction::Reject => "拒绝",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CellProblem {
    pub column: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RowReport {
    /// Row number as the spreadsheet shows it.
    pub row: u32,
    pub code: String,
    pub name: String,
    pub action: RowAction,
    pub problems: Vec<CellProblem>,
    pub warnings: Vec<String>,
    /// Labels of the fields a change touches.
    pub changed_fields: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImportReport {
    pub file: String,
    pub sheet: String,
    pub dry_run: bool,
    pub created: usize,
    pub changed: usize,
    pub unchanged: usize,
    pub rejected: usize,
    pub ignored_columns: Vec<String>,
    pub rows: Vec<RowReport>,
    /// The batch proposal opened by a successful apply.
    pub proposal: Option<u64>,
}

/// Splits a list cell: 、 , ， ; ； and line breaks all separate.
fn list(cell: &str) -> Vec<String> {
    cell.split(['、', ',', '，', ';', '；', '\n', '/'])
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// Project types by code or name.
fn type_codes(
    cell: &str,
    catalog: &Catalog,
    problems: &mut Vec<CellProblem>,
    col: &str,
) -> Vec<String> {
    list(cell)
        .into_iter()
        .filter_map(|v| {
            let found = catalog
                .project_types
                .iter()
                .find(|t| t.code == v || t.name == v)
                .map(|t| t.code.clone());
            if found.is_none() {
                problems.push(CellProblem {
                    column: col.into(),
                    message: format!("项目类型“{v}”不存在（可填编码或名称，见“按项目类型浏览”）"),
                });
            }
            found
        })
        .collect()
}

fn nature_codes(cell: &str, catalog: &Catalog, problems: &mut Vec<CellProblem>) -> Vec<String> {
    list(cell)
        .into_iter()
        .filter_map(|v| {
            let found = catalog
                .natures
                .iter()
                .find(|(code, name)| **code == v || **name == v)
                .map(|(code, _)| code.clone());
            if found.is_none() {
                problems.push(CellProblem {
                    column: "适用支出性质".into(),
                    message: format!(
                        "支出性质“{v}”不存在（可选：{}）",
                        catalog
                            .natures
                            .values()
                            .cloned()
                            .collect::<Vec<_>>()
                            .join("、")
                    ),
                });
            }
            found
        })
        .collect()
}

/// Fills `input` from the non-empty cells of a row (an empty cell keeps the current value).
fn apply_cells(
    input: &mut IndicatorInput,
    get: &dyn Fn(&str) -> Option<String>,
    catalog: &Catalog,
    problems: &mut Vec<CellProblem>,
) {
    for (col, field) in COLUMNS {
        let Some(v) = get(col).filter(|v| !v.is_empty()) else {
            continue;
        };
        match *field {
            "code" => {}
            "name" => input.name = v,
            "aliases" => input.aliases = list(&v),
            "level1" => input.level1 = v,
            "level2" => input.level2 = v,
            "definition" => input.definition = v,
            "formula" => input.formula = v,
            "value_type" => input.value_type = v,
            "direction" => input.direction = v,
            "unit" => input.unit = v,
            "target" => input.target = v,
            "basis" => input.basis = v,
            "basis_doc" => input.basis_doc = v,
            "valid_year" => input.valid_year = v,
            "data_source" => input.data_source = v,
            "scoring" => input.scoring = v,
            "weight" => match v.parse::<i64>() {
                Ok(w) => input.weight = w,
                Err(_) => problems.push(CellProblem {
                    column: (*col).into(),
                    message: format!("分值“{v}”不是整数"),
                }),
            },
            "project_types" => input.project_types = type_codes(&v, catalog, problems, col),
            "natures" => input.natures = nature_codes(&v, catalog, problems),
            "core" => input.core = type_codes(&v, catalog, problems, col),
            "term" => input.term = Some(v),
            "cost_kind" => input.cost_kind = Some(v),
            "provenance" => input.provenance = v,
            _ => unreachable!("every column has a field"),
        }
    }
}

impl Curation {
    /// Reads the file and works out what each row would do. Nothing is written.
    pub(super) fn plan_import(
        &self,
        file: &str,
        bytes: &[u8],
    ) -> Result<(ImportReport, Vec<ProposedChange>, Vec<String>)> {
        let t: Table = table::read(bytes, "指标名称", &self.sheet).map_err(|e| match e {
            TableError::NoHeader(_) => CurationError::BadRequest(format!(
                "{e}：请使用导入模板（表头须含“指标名称”，新增时还须含“一级指标”“二级指标”等列）"
            )),
            TableError::Read(ReadError::Limit(l)) => CurationError::Limit(l),
            e => CurationError::BadRequest(e.to_string()),
        })?;
        let catalog = self.search.catalog();
        let ignored_columns: Vec<String> = t
            .headers
            .iter()
            .filter(|h| {
                !h.is_empty()
                    && !COLUMNS.iter().any(|(c, _)| c == h)
                    && !DERIVED.contains(&h.as_str())
            })
            .cloned()
            .collect();
        let mut book = CodeBook::load(self)?;
        let mut seen_codes: HashMap<String, u32> = HashMap::new();
        let mut seen_names: HashMap<String, u32> = HashMap::new();
        let mut rows = Vec::new();
        let mut changes = Vec::new();
        let mut warnings = Vec::new();
        for (n, cells) in &t.rows {
            let get = |col: &str| -> Option<String> {
                t.column(col)
                    .map(|i| cells.get(i).cloned().unwrap_or_default())
            };
            let mut problems = Vec::new();
            let mut row_warnings = Vec::new();
            let code_cell = get("编码").unwrap_or_default();
            let existing = if code_cell.is_empty() {
                None
            } else {
                match Code::parse(&code_cell) {
                    Err(m) => {
                        problems.push(CellProblem {
                            column: "编码".into(),
                            message: m,
                        });
                        None
                    }
                    Ok(_) => self.store.indicator(&code_cell)?,
                }
            };
            if !code_cell.is_empty() {
                if let Some(first) = seen_codes.get(&code_cell) {
                    problems.push(CellProblem {
                        column: "编码".into(),
                        message: format!("编码 {code_cell} 与第 {first} 行重复"),
                    });
                } else {
                    seen_codes.insert(code_cell.clone(), *n);
                }
            }
            let mut input = match &existing {
                Some(cur) => IndicatorInput::from(cur),
                None => {
                    if !code_cell.is_empty() && book.is_taken(&code_cell) {
                        problems.push(CellProblem {
                            column: "编码".into(),
                            message: format!("编码 {code_cell} 已被待审核的提案占用"),
                        });
                    }
                    IndicatorInput {
                        code: code_cell.clone(),
                        provenance: "地方参考".into(),
                        ..IndicatorInput::default()
                    }
                }
            };
            apply_cells(&mut input, &get, &catalog, &mut problems);
            // A retired indicator cannot be changed by an import; a row that repeats it (an export
            // imported back) is simply unchanged.
            let retired = existing.as_ref().filter(|cur| !cur.is_active());
            let unchanged_retired = retired.is_some_and(|cur| input == IndicatorInput::from(cur));
            if retired.is_some() && !unchanged_retired {
                problems.push(CellProblem {
                    column: "编码".into(),
                    message: format!("指标 {code_cell} 已停用，不能通过导入修改"),
                });
            }
            // Every problem of the row at once: the whole indicator is checked even when a cell
            // was already refused, and a column that has its own complaint gets no second one
            // (an unreadable 分值 is not also "out of range").
            if !unchanged_retired {
                let mut probe = input.clone();
                if existing.is_none() && code_cell.is_empty() {
                    probe.code = PROBE_CODE.into();
                }
                match self.check(probe) {
                    Err(CurationError::Invalid { problems: ps, .. }) => {
                        let refused: Vec<String> =
                            problems.iter().map(|p| p.column.clone()).collect();
                        problems.extend(
                            ps.into_iter()
                                .map(|(field, message)| CellProblem {
                                    column: column_of(field).into(),
                                    message,
                                })
                                .filter(|p| p.column == "—" || !refused.contains(&p.column)),
                        );
                    }
                    Err(e) => return Err(e),
                    Ok(_) => {}
                }
            }
            let name = input.name.clone();
            if problems.is_empty() && existing.is_none() && code_cell.is_empty() {
                input.code = book.next_for(&input);
            } else if existing.is_none() && !code_cell.is_empty() {
                book.take(&code_cell);
            }
            let code = input.code.clone();
            let mut action = RowAction::Reject;
            let mut changed_fields = Vec::new();
            if unchanged_retired && problems.is_empty() {
                action = RowAction::Unchanged;
            } else if problems.is_empty() {
                match self.check(input) {
                    Err(CurationError::Invalid { problems: ps, .. }) => {
                        problems.extend(ps.into_iter().map(|(field, message)| CellProblem {
                            column: column_of(field).into(),
                            message,
                        }));
                    }
                    Err(e) => return Err(e),
                    Ok(ind) => {
                        let key = normalized_name(&ind.name);
                        if let Some(first) = seen_names.get(&key) {
                            row_warnings.push(format!("名称与第 {first} 行相同或几乎相同"));
                        } else {
                            seen_names.insert(key, *n);
                        }
                        match &existing {
                            None => {
                                action = RowAction::Create;
                                row_warnings.extend(
                                    self.near_duplicates(&ind)?.iter().map(|d| d.warning()),
                                );
                                changes.push(ProposedChange {
                                    base: None,
                                    after: ind,
                                });
                            }
                            Some(cur) => {
                                let d = diff(cur, &ind);
                                if d.is_empty() {
                                    action = RowAction::Unchanged;
                                } else {
                                    action = RowAction::Change;
                                    changed_fields =
                                        d.iter().map(|c| c.label.to_string()).collect();
                                    if cur.name != ind.name {
                                        row_warnings.extend(
                                            self.near_duplicates(&ind)?.iter().map(|d| d.warning()),
                                        );
                                    }
                                    changes.push(ProposedChange {
                                        base: Some(self.store.last_revision(&code)?),
                                        after: ind,
                                    });
                                }
                            }
                        }
                    }
                }
            }
            warnings.extend(
                row_warnings
                    .iter()
                    .map(|w| format!("第 {n} 行 {code}：{w}")),
            );
            rows.push(RowReport {
                row: *n,
                code,
                name,
                action,
                problems,
                warnings: row_warnings,
                changed_fields,
            });
        }
        // The rules over the whole library, for the batch as it would be published.
        let batch: Vec<Indicator> = changes.iter().map(|c| c.after.clone()).collect();
        for f in self.library_findings(&batch)? {
            for r in rows
                .iter_mut()
                .filter(|r| matches!(r.action, RowAction::Create | RowAction::Change))
                .filter(|r| super::library_rules::concerns(&f, &r.code))
            {
                r.action = RowAction::Reject;
                r.problems.push(CellProblem {
                    column: "—".into(),
                    message: format!("{}（规则 {}）", f.message, f.rule),
                });
            }
        }
        changes.retain(|c| {
            rows.iter()
                .any(|r| r.code == c.after.code.as_str() && r.action != RowAction::Reject)
        });
        let count = |a: RowAction| rows.iter().filter(|r| r.action == a).count();
        let report = ImportReport {
            file: file.to_string(),
            sheet: t.sheet,
            dry_run: true,
            created: count(RowAction::Create),
            changed: count(RowAction::Change),
            unchanged: count(RowAction::Unchanged),
            rejected: count(RowAction::Reject),
            ignored_columns,
            rows,
            proposal: None,
        };
        Ok((report, changes, warnings))
    }

    /// Applies an import: refused as a whole when any row is rejected; otherwise the new and changed
    /// indicators become one batch proposal.
    pub(super) fn apply_import(
        &self,
        actor: &Actor,
        file: &str,
        bytes: &[u8],
        reason: &str,
    ) -> Result<(ImportReport, Option<Proposal>)> {
        let (mut report, changes, warnings) = self.plan_import(file, bytes)?;
        report.dry_run = false;
        if report.rejected > 0 || changes.is_empty() {
            return Ok((report, None));
        }
        let reason = if reason.trim().is_empty() {
            format!("批量导入 {file}")
        } else {
            reason.to_string()
        };
        let p = self.propose_import(actor, file, changes, warnings, &reason)?;
        report.proposal = Some(p.id);
        Ok((report, Some(p)))
    }
}

/// The import template: the columns and one filled example row.
pub fn template_rows() -> (Vec<&'static str>, Vec<String>) {
    let headers: Vec<&str> = COLUMNS.iter().map(|(c, _)| *c).collect();
    let example = [
        "",
        "新建口袋公园数量",
        "口袋公园建设数",
        "产出指标",
        "数量指标",
        "反映年度内新建成并对外开放的口袋公园（面积 400–10000 平方米的小型公园绿地）个数。",
        "",
        "定量",
        "≥",
        "个",
        "5",
        "计划标准",
        "",
        "",
        "项目竣工验收资料、园林部门台账",
        "完成值÷目标值×分值，最高得满分。",
        "10",
        "园林绿化养护",
        "",
        "",
        "年度",
        "",
        "地方参考",
    ];
    (headers, example.iter().map(|s| s.to_string()).collect())
}

pub const TEMPLATE_NOTE: &str = "说明：每行一个指标。“编码”留空为新增（系统自动编码）；填写已有编码为修改，空白单元格保持原值。多个值用顿号“、”分隔；项目类型可填名称或编码。导入先试运行，确认后生成一个待审核的批量提案。";

pub fn template_xlsx() -> std::result::Result<Vec<u8>, TableError> {
    let (headers, example) = template_rows();
    let widths: Vec<f64> = headers
        .iter()
        .map(|h| match *h {
            "指标解释" | "评(扣)分标准" | "计算公式" => 36.0,
            "指标名称" | "数据来源" | "适用项目类型" | "依据文件" => 20.0,
            _ => 11.0,
        })
        .collect();
    table::write_xlsx("指标导入", TEMPLATE_NOTE, &headers, &widths, &[example])
}

pub fn template_csv() -> Vec<u8> {
    let (headers, example) = template_rows();
    let headers: Vec<String> = headers.iter().map(|h| h.to_string()).collect();
    crate::ingest::csv_safe::to_bytes([headers, example]).expect("in memory")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_has_a_column_for_the_document_and_the_year_of_a_value() {
        let (headers, example) = template_rows();
        assert_eq!(headers.len(), example.len());
        for c in ["依据文件", "适用年度"] {
            assert!(headers.contains(&c), "{headers:?}");
        }
    }
}
