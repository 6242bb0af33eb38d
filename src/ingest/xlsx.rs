//! Target tables as spreadsheets: written with rust_xlsxwriter in the layout of a
//! 绩效目标申报表 (project block, then 一级/二级/三级 rows with merged cells), read back with
//! calamine (through the bounded reader `sheet`), so that a table exported and imported again is
//! the same draft.

use super::sheet::{ReadError, SheetLimits, Workbook as SheetReader};
use crate::domain::{Direction, Draft, DraftProject, DraftRow, Term};
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, XlsxError};

pub const SHEET: &str = "绩效目标申报表";
const HEADER: [&str; 9] = [
    "一级指标",
    "二级指标",
    "三级指标",
    "指标方向",
    "指标值",
    "计量单位",
    "指标解释",
    "指标编码",
    "指标版本",
];
/// Row (0-based) of the indicator table header.
const TABLE_HEADER_ROW: u32 = 7;

#[derive(Debug, thiserror::Error)]
pub enum SheetError {
    #[error("无法生成 Excel 文件：{0}")]
    Write(#[from] XlsxError),
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error("文件中找不到“{SHEET}”表（或表头“三级指标”）")]
    NoTable,
    #[error("第 {row} 行：{message}")]
    Row { row: u32, message: String },
}

/// The draft as an `.xlsx` file.
pub fn write_draft(d: &Draft, catalog_type_name: &str) -> Result<Vec<u8>, SheetError> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(SHEET)?;
    let border = Format::new()
        .set_border(FormatBorder::Thin)
        .set_text_wrap()
        .set_align(FormatAlign::VerticalCenter);
    let label = border.clone().set_bold().set_background_color("#EEF1F5");
    let title = Format::new()
        .set_bold()
        .set_font_size(16)
        .set_align(FormatAlign::Center);
    ws.merge_range(0, 0, 0, 8, "项目支出绩效目标申报表", &title)?;
    ws.merge_range(
        1,
        0,
        1,
        8,
        &format!("（{}目标）", d.project.term.label()),
        &Format::new().set_align(FormatAlign::Center),
    )?;
    let info: [(&str, String, &str, String); 3] = [
        (
            "项目名称",
            d.project.name.clone(),
            "预算单位",
            d.project.unit_name.clone(),
        ),
        (
            "项目类型",
            catalog_type_name.to_string(),
            "预算金额（万元）",
            d.project
                .budget_wan
                .map(|b| b.to_string())
                .unwrap_or_default(),
        ),
        (
            "目标期限",
            d.project.term.label().to_string(),
            "项目类型编码",
            d.project.project_type.clone().unwrap_or_default(),
        ),
    ];
    for (n, (l1, v1, l2, v2)) in info.iter().enumerate() {
        let r = 2 + n as u32;
        ws.write_string_with_format(r, 0, *l1, &label)?;
        ws.merge_range(r, 1, r, 3, v1, &border)?;
        ws.merge_range(r, 4, r, 5, l2, &label)?;
        ws.merge_range(r, 6, r, 8, v2, &border)?;
    }
    ws.write_string_with_format(5, 0, "项目概述", &label)?;
    ws.merge_range(5, 1, 5, 8, &d.project.description, &border)?;
    ws.set_row_height(5, 48)?;
    ws.merge_range(
        6,
        0,
        6,
        8,
        "绩效指标",
        &label.clone().set_align(FormatAlign::Center),
    )?;
    for (c, h) in HEADER.iter().enumerate() {
        ws.write_string_with_format(TABLE_HEADER_ROW, c as u16, *h, &label)?;
    }
    let first = TABLE_HEADER_ROW + 1;
    for (n, row) in d.rows.iter().enumerate() {
        let r = first + n as u32;
        let cells = [
            row.level1.clone(),
            row.level2.clone(),
            row.name.clone(),
            row.direction.label().to_string(),
            row.target.clone(),
            row.unit.clone(),
            row.explanation.clone(),
            row.indicator.clone().unwrap_or_default(),
            row.revision.map(|v| v.to_string()).unwrap_or_default(),
        ];
        for (c, v) in cells.iter().enumerate() {
            ws.write_string_with_format(r, c as u16, v, &border)?;
        }
    }
    // Merge runs of equal level 1 and (within them) level 2, as the printed form does.
    for col in [0u16, 1] {
        let mut start = 0;
        while start < d.rows.len() {
            let key = |i: usize| {
                let r = &d.rows[i];
                if col == 0 {
                    (r.level1.as_str(), "")
                } else {
                    (r.level1.as_str(), r.level2.as_str())
                }
            };
            let mut end = start;
            while end + 1 < d.rows.len() && key(end + 1) == key(start) {
                end += 1;
            }
            if end > start {
                let text = if col == 0 {
                    &d.rows[start].level1
                } else {
                    &d.rows[start].level2
                };
                ws.merge_range(
                    first + start as u32,
                    col,
                    first + end as u32,
                    col,
                    text,
                    &border,
                )?;
            }
            start = end + 1;
        }
    }
    for (c, w) in [12.0, 14.0, 26.0, 8.0, 10.0, 10.0, 48.0, 12.0, 8.0]
        .iter()
        .enumerate()
    {
        ws.set_column_width(c as u16, *w)?;
    }
    ws.set_landscape();
    ws.set_paper_size(9); // A4
    ws.set_print_fit_to_pages(1, 0);
    ws.set_repeat_rows(TABLE_HEADER_ROW, TABLE_HEADER_ROW)?;
    Ok(wb.save_to_buffer()?)
}

/// Reads a target table written by `write_draft` (or laid out the same way by hand).
pub fn read_draft(
    bytes: &[u8],
    limits: &SheetLimits,
) -> Result<(DraftProject, Vec<DraftRow>), SheetError> {
    let mut book = SheetReader::open(bytes, limits)?;
    let names = book.sheet_names();
    let name = names
        .iter()
        .find(|n| n.as_str() == SHEET)
        .or_else(|| names.first())
        .cloned()
        .ok_or(SheetError::NoTable)?;
    let rows = book.sheet(&name)?.rows;
    let cell = |cells: &[String], c: usize| cells.get(c).cloned().unwrap_or_default();
    let header = rows
        .iter()
        .position(|(_, r)| (0..9).any(|c| cell(r, c) == "三级指标"))
        .ok_or(SheetError::NoTable)?;
    let head = &rows[header].1;
    let col = |title: &str| (0..12).find(|&c| cell(head, c) == title);
    let value_right_of = |label: &str| -> String {
        for (_, r) in &rows[..header] {
            for c in 0..9 {
                if cell(r, c) == label {
                    return ((c + 1)..12)
                        .map(|cc| cell(r, cc))
                        .find(|v| !v.is_empty())
                        .unwrap_or_default();
                }
            }
        }
        String::new()
    };
    let term = match value_right_of("目标期限").as_str() {
        "中期" => Term::MidTerm,
        _ => Term::Annual,
    };
    let budget = value_right_of("预算金额（万元）");
    let budget_wan = if budget.is_empty() {
        None
    } else {
        Some(budget.parse::<f64>().map_err(|_| SheetError::Row {
            row: 0,
            message: format!("预算金额“{budget}”不是数字"),
        })?)
    };
    let code = value_right_of("项目类型编码");
    let project = DraftProject {
        name: value_right_of("项目名称"),
        unit_name: value_right_of("预算单位"),
        description: value_right_of("项目概述"),
        project_type: (!code.is_empty()).then_some(code),
        budget_wan,
        year: None,
        term,
    };
    let (c1, c2, c3) = (
        col("一级指标"),
        col("二级指标"),
        col("三级指标").ok_or(SheetError::NoTable)?,
    );
    let (cd, cv, cu, ce, cc, cr) = (
        col("指标方向"),
        col("指标值"),
        col("计量单位"),
        col("指标解释"),
        col("指标编码"),
        col("指标版本"),
    );
    let get = |r: &[String], c: Option<usize>| c.map(|c| cell(r, c)).unwrap_or_default();
    let mut out = Vec::new();
    let (mut last1, mut last2) = (String::new(), String::new());
    for (number, r) in &rows[header + 1..] {
        let name = cell(r, c3);
        let (l1, l2) = (get(r, c1), get(r, c2));
        // Merged cells hold their text in the first row only.
        if !l1.is_empty() {
            last1 = l1;
            last2.clear();
        }
        if !l2.is_empty() {
            last2 = l2;
        }
        if name.is_empty() {
            continue;
        }
        let dir = get(r, cd);
        let direction = Direction::parse_typed(&dir).ok_or_else(|| SheetError::Row {
            row: *number,
            message: format!("指标方向“{dir}”无效（应为 ≥、≤、= 或 定性）"),
        })?;
        let revision = get(r, cr);
        out.push(DraftRow {
            level1: last1.clone(),
            level2: last2.clone(),
            name,
            indicator: Some(get(r, cc)).filter(|s| !s.is_empty()),
            revision: if revision.is_empty() {
                None
            } else {
                Some(revision.parse().map_err(|_| SheetError::Row {
                    row: *number,
                    message: format!("指标版本“{revision}”不是整数"),
                })?)
            },
            direction,
            target: get(r, cv),
            unit: get(r, cu),
            explanation: get(r, ce),
        });
    }
    Ok((project, out))
}

/// The draft as CSV (UTF-8 with BOM, for Excel; formulas neutralised).
pub fn draft_csv(d: &Draft) -> Result<Vec<u8>, csv::Error> {
    let mut out = Vec::new();
    {
        let mut w = super::csv_safe::Writer::new(&mut out)?;
        w.row(["项目名称", &d.project.name, "", "", "", "", "", "", ""])?;
        w.row(HEADER)?;
        for r in &d.rows {
            w.row([
                r.level1.as_str(),
                &r.level2,
                &r.name,
                r.direction.label(),
                &r.target,
                &r.unit,
                &r.explanation,
                r.indicator.as_deref().unwrap_or(""),
                &r.revision.map(|v| v.to_string()).unwrap_or_default(),
            ])?;
        }
        w.finish()?;
    }
    Ok(out)
}
