//! Target tables as spreadsheets: written with rust_xlsxwriter in the layout of a
//! 绩效目标申报表 (project block, then 一级/二级/三级 rows with merged cells), read back with
//! calamine (through the bounded reader `sheet`), so that a table exported and imported again is
//! the same draft.

use super::sheet::{
    ReadError, SheetLimits, Workbook as SheetReader, check_upload, decode_text, is_xlsx, read_csv,
};
use crate::domain::{Direction, Draft, DraftProject, DraftRow, Term};
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, XlsxError};

pub const SHEET: &str = "绩效目标申报表";
/// The hidden sheet that ties rows to the library (indicator code, revision), so that a table
/// exported and imported again is the same draft while the form itself shows no internal codes.
pub const REFS_SHEET: &str = "指标库引用";
const HEADER: [&str; 8] = [
    "一级指标",
    "二级指标",
    "三级指标",
    "指标方向",
    "指标值",
    "计量单位",
    "指标解释",
    "指标来源",
];
const REFS_HEADER: [&str; 5] = ["序号", "三级指标", "指标编码", "指标版本", "参考值已确认"];
/// Columns of the printed form.
const COLS: u16 = 8;

/// The labels of the project block, as the form and the CSV write them.
mod label {
    pub const NAME: &str = "项目名称";
    pub const UNIT: &str = "预算单位";
    pub const DEPARTMENT: &str = "主管部门";
    pub const IMPLEMENTER: &str = "实施单位";
    pub const TYPE: &str = "项目类型";
    pub const PERIOD: &str = "项目期限";
    pub const YEAR: &str = "预算年度";
    pub const TERM: &str = "目标期限";
    pub const BUDGET: &str = "资金总额（万元）";
    pub const FISCAL: &str = "其中：财政拨款（万元）";
    pub const OTHER: &str = "其他资金（万元）";
    pub const ANNUAL_GOAL: &str = "年度总体目标";
    pub const MIDTERM_GOAL: &str = "中期目标";
    pub const DESCRIPTION: &str = "项目概述";
    /// Read from files exported before the form had the labels above.
    pub const OLD_BUDGET: &str = "预算金额（万元）";
    pub const OLD_TYPE_CODE: &str = "项目类型编码";
    pub const ALL: [&str; 16] = [
        NAME,
        UNIT,
        DEPARTMENT,
        IMPLEMENTER,
        TYPE,
        PERIOD,
        YEAR,
        TERM,
        BUDGET,
        FISCAL,
        OTHER,
        ANNUAL_GOAL,
        MIDTERM_GOAL,
        DESCRIPTION,
        OLD_BUDGET,
        OLD_TYPE_CODE,
    ];
}

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

/// A project-block value: text, or a number Excel can add up.
enum Value {
    Text(String),
    Number(Option<f64>),
}

/// The project block: pairs of (label, value) laid out two to a line.
fn project_block(d: &Draft, type_name: &str) -> Vec<[(&'static str, Value); 2]> {
    let p = &d.project;
    let t = |s: &str| Value::Text(s.to_string());
    vec![
        [(label::NAME, t(&p.name)), (label::UNIT, t(&p.unit_name))],
        [
            (label::DEPARTMENT, t(&p.department)),
            (label::IMPLEMENTER, t(&p.implementer)),
        ],
        [(label::TYPE, t(type_name)), (label::PERIOD, t(&p.period))],
        [
            (label::YEAR, Value::Number(p.year.map(f64::from))),
            (label::TERM, t(p.term.label())),
        ],
        [
            (label::BUDGET, Value::Number(p.budget_wan)),
            (label::FISCAL, Value::Number(p.fiscal_wan)),
        ],
        [(label::OTHER, Value::Number(p.other_wan)), ("", t(""))],
    ]
}

/// The long texts under the block, each on a line of its own.
fn project_texts(d: &Draft) -> Vec<(&'static str, &str)> {
    let p = &d.project;
    let mut out = vec![(label::ANNUAL_GOAL, p.annual_goal.as_str())];
    if p.term == Term::MidTerm || !p.midterm_goal.is_empty() {
        out.push((label::MIDTERM_GOAL, p.midterm_goal.as_str()));
    }
    out.push((label::DESCRIPTION, p.description.as_str()));
    out
}

/// A target as a number when it is one, so that the bureau's sheet can compute with it.
fn target_number(r: &DraftRow) -> Option<f64> {
    if r.direction == Direction::Qualitative {
        return None;
    }
    crate::domain::number::parse_plain(&r.target).ok()
}

/// Lines a text needs in a merged cell of `width` characters' room (CJK counts double).
fn lines(text: &str, width: f64) -> f64 {
    let units: f64 = text
        .chars()
        .map(|c| if c.is_ascii() { 1.0 } else { 2.0 })
        .sum();
    (units / width).ceil().max(1.0)
}

/// The draft as an `.xlsx` file in the layout of the 项目支出绩效目标申报表: the project block,
/// the goals, and the indicator table with merged 一级/二级 cells. `type_name` is the project
/// type as people name it (never its code).
pub fn write_draft(d: &Draft, type_name: &str) -> Result<Vec<u8>, SheetError> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(SHEET)?;
    let border = Format::new()
        .set_border(FormatBorder::Thin)
        .set_text_wrap()
        .set_align(FormatAlign::VerticalCenter);
    let number = border.clone().set_num_format("#,##0.00");
    let count = border.clone().set_num_format("General");
    let label_format = border.clone().set_bold().set_background_color("#EEF1F5");
    let centered = label_format.clone().set_align(FormatAlign::Center);
    let title = Format::new()
        .set_bold()
        .set_font_size(16)
        .set_align(FormatAlign::Center);
    let last = COLS - 1;
    ws.merge_range(0, 0, 0, last, "项目支出绩效目标申报表", &title)?;
    let year = d
        .project
        .year
        .map(|y| format!("{y} 年度，"))
        .unwrap_or_default();
    ws.merge_range(
        1,
        0,
        1,
        last,
        &format!("（{year}{}目标）", d.project.term.label()),
        &Format::new().set_align(FormatAlign::Center),
    )?;
    let mut r = 2u32;
    for pair in project_block(d, type_name) {
        for (n, (l, v)) in pair.iter().enumerate() {
            let c = (n as u16) * 4;
            if l.is_empty() {
                ws.merge_range(r, c, r, c + 3, "", &border)?;
                continue;
            }
            ws.write_string_with_format(r, c, *l, &label_format)?;
            ws.merge_range(r, c + 1, r, c + 3, "", &border)?;
            match v {
                Value::Text(t) => ws.write_string_with_format(r, c + 1, t, &border)?,
                Value::Number(Some(x)) if *l == label::YEAR => {
                    ws.write_number_with_format(r, c + 1, *x, &count)?
                }
                Value::Number(Some(x)) => ws.write_number_with_format(r, c + 1, *x, &number)?,
                Value::Number(None) => ws.write_blank(r, c + 1, &border)?,
            };
        }
        r += 1;
    }
    for (l, text) in project_texts(d) {
        ws.write_string_with_format(r, 0, l, &label_format)?;
        ws.merge_range(r, 1, r, last, text, &border)?;
        ws.set_row_height(r, 16.0 * lines(text, 120.0).min(12.0) + 4.0)?;
        r += 1;
    }
    ws.merge_range(r, 0, r, last, "绩效指标", &centered)?;
    r += 1;
    let header_row = r;
    for (c, h) in HEADER.iter().enumerate() {
        ws.write_string_with_format(header_row, c as u16, *h, &centered)?;
    }
    let first = header_row + 1;
    for (n, row) in d.rows.iter().enumerate() {
        let r = first + n as u32;
        let text = [
            row.level1.as_str(),
            &row.level2,
            &row.name,
            row.direction.label(),
            &row.target,
            &row.unit,
            &row.explanation,
            if row.is_self_made() {
                "自拟"
            } else {
                "指标库"
            },
        ];
        for (c, v) in text.iter().enumerate() {
            match target_number(row) {
                Some(x) if c == 4 => ws.write_number_with_format(r, 4, x, &count)?,
                _ => ws.write_string_with_format(r, c as u16, *v, &border)?,
            };
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
                    &border.clone().set_align(FormatAlign::Center),
                )?;
            }
            start = end + 1;
        }
    }
    for (c, w) in [12.0, 14.0, 28.0, 9.0, 11.0, 10.0, 48.0, 9.0]
        .iter()
        .enumerate()
    {
        ws.set_column_width(c as u16, *w)?;
    }
    ws.set_landscape();
    ws.set_paper_size(9); // A4
    ws.set_print_fit_to_pages(1, 0);
    ws.set_repeat_rows(header_row, header_row)?;

    let refs = wb.add_worksheet();
    refs.set_name(REFS_SHEET)?;
    for (c, h) in REFS_HEADER.iter().enumerate() {
        refs.write_string(0, c as u16, *h)?;
    }
    for (n, row) in d.rows.iter().enumerate() {
        let r = n as u32 + 1;
        refs.write_number(r, 0, (n + 1) as f64)?;
        refs.write_string(r, 1, &row.name)?;
        if let Some(code) = &row.indicator {
            refs.write_string(r, 2, code)?;
        }
        if let Some(v) = row.revision {
            refs.write_number(r, 3, f64::from(v))?;
        }
        if row.confirmed {
            refs.write_string(r, 4, "是")?;
        }
    }
    refs.set_hidden(true);
    Ok(wb.save_to_buffer()?)
}

/// What a file of the 申报表 layout holds. The project type comes as written (a name, or a code
/// in files from before), for the drafting service to resolve.
pub type ReadDraft = (DraftProject, Vec<DraftRow>);

/// Reads a target table written by `write_draft` or `draft_csv` (or laid out the same way by
/// hand): an `.xlsx`, or a CSV file (UTF-8 or GB18030).
pub fn read_draft(bytes: &[u8], limits: &SheetLimits) -> Result<ReadDraft, SheetError> {
    if !is_xlsx(bytes) {
        check_upload(bytes.len(), limits).map_err(ReadError::from)?;
        let text = decode_text(bytes);
        let sheet = read_csv(&text, limits)?;
        if !has_table(&sheet.rows) {
            return Err(ReadError::NotXlsx(
                "既不是 Excel 工作簿，也不是本系统导出的申报表 CSV（找不到表头“三级指标”）".into(),
            )
            .into());
        }
        return parse_sheet(&sheet.rows, &[]);
    }
    let mut book = SheetReader::open(bytes, limits).map_err(|e| match e {
        ReadError::NotXlsx(_) => ReadError::NotXlsx("文件已损坏，或不是 Excel 工作簿".into()),
        e => e,
    })?;
    let names = book.sheet_names();
    let name = names
        .iter()
        .find(|n| n.as_str() == SHEET)
        .or_else(|| names.iter().find(|n| n.as_str() != REFS_SHEET))
        .cloned()
        .ok_or(SheetError::NoTable)?;
    let rows = book.sheet(&name)?.rows;
    let refs = if names.iter().any(|n| n == REFS_SHEET) {
        book.sheet(REFS_SHEET)?.rows
    } else {
        Vec::new()
    };
    parse_sheet(&rows, &refs)
}

fn cell(cells: &[String], c: usize) -> String {
    cells.get(c).cloned().unwrap_or_default()
}

fn has_table(rows: &[(u32, Vec<String>)]) -> bool {
    rows.iter()
        .any(|(_, r)| (0..12).any(|c| cell(r, c) == "三级指标"))
}

/// The project block and the indicator table of one sheet; `refs` is the hidden sheet.
fn parse_sheet(
    rows: &[(u32, Vec<String>)],
    refs: &[(u32, Vec<String>)],
) -> Result<ReadDraft, SheetError> {
    let header = rows
        .iter()
        .position(|(_, r)| (0..12).any(|c| cell(r, c) == "三级指标"))
        .ok_or(SheetError::NoTable)?;
    let head = &rows[header].1;
    let col = |title: &str| (0..16).find(|&c| cell(head, c) == title);
    // The value of a label: the next non-empty cell on its line that is not another label.
    let value_of = |wanted: &str| -> (u32, String) {
        for (n, r) in &rows[..header] {
            for c in 0..16 {
                if cell(r, c) == wanted {
                    let v = ((c + 1)..(c + 8))
                        .map(|cc| cell(r, cc))
                        .find(|v| !v.is_empty())
                        .filter(|v| !label::ALL.contains(&v.as_str()))
                        .unwrap_or_default();
                    return (*n, v);
                }
            }
        }
        (0, String::new())
    };
    let text = |l: &str| value_of(l).1;
    let amount = |labels: &[&str]| -> Result<Option<f64>, SheetError> {
        let Some((n, v)) = labels
            .iter()
            .map(|l| value_of(l))
            .find(|(_, v)| !v.is_empty())
        else {
            return Ok(None);
        };
        crate::domain::number::parse_wan(&v)
            .map(Some)
            .map_err(|message| SheetError::Row { row: n, message })
    };
    let (year_row, year) = value_of(label::YEAR);
    let year = match year.as_str() {
        "" => None,
        y => Some(
            y.trim_end_matches('年')
                .parse::<i32>()
                .ok()
                .filter(|y| (2000..=2100).contains(y))
                .ok_or_else(|| SheetError::Row {
                    row: year_row,
                    message: format!("预算年度“{y}”应为 2000—2100 之间的年份"),
                })?,
        ),
    };
    let type_written = Some(text(label::TYPE))
        .filter(|t| !t.is_empty())
        .or_else(|| Some(text(label::OLD_TYPE_CODE)).filter(|t| !t.is_empty()));
    let project = DraftProject {
        name: text(label::NAME),
        unit_name: text(label::UNIT),
        department: text(label::DEPARTMENT),
        implementer: text(label::IMPLEMENTER),
        period: text(label::PERIOD),
        description: text(label::DESCRIPTION),
        annual_goal: text(label::ANNUAL_GOAL),
        midterm_goal: text(label::MIDTERM_GOAL),
        project_type: type_written,
        budget_wan: amount(&[label::BUDGET, label::OLD_BUDGET])?,
        fiscal_wan: amount(&[label::FISCAL])?,
        other_wan: amount(&[label::OTHER])?,
        year,
        term: match text(label::TERM).as_str() {
            "中期" => Term::MidTerm,
            _ => Term::Annual,
        },
    };
    let (c1, c2, c3) = (
        col("一级指标"),
        col("二级指标"),
        col("三级指标").ok_or(SheetError::NoTable)?,
    );
    let c_confirmed = col("参考值已确认");
    let (cd, cv, cu, ce, cc, cr) = (
        col("指标方向"),
        col("指标值"),
        col("计量单位"),
        col("指标解释"),
        col("指标编码"),
        col("指标版本"),
    );
    let get = |r: &[String], c: Option<usize>| c.map(|c| cell(r, c)).unwrap_or_default();
    // The hidden sheet's lines by position in the table (序号, 1-based).
    let refs: Vec<(usize, String, String, String, bool)> = refs
        .iter()
        .skip(1)
        .filter_map(|(_, r)| {
            let n = cell(r, 0).parse::<usize>().ok()?;
            Some((n, cell(r, 1), cell(r, 2), cell(r, 3), cell(r, 4) == "是"))
        })
        .collect();
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
        // The library reference: the hidden line of this position when it names this row (a
        // row moved by hand finds its line by name), else a code column of older files.
        let position = out.len() + 1;
        let reference = refs
            .iter()
            .find(|(n, ref_name, ..)| *n == position && *ref_name == name)
            .or_else(|| refs.iter().find(|(_, ref_name, ..)| *ref_name == name));
        let (code, revision, confirmed) = match reference {
            Some((_, _, code, rev, confirmed)) => (code.clone(), rev.clone(), *confirmed),
            None => (get(r, cc), get(r, cr), get(r, c_confirmed) == "是"),
        };
        out.push(DraftRow {
            level1: last1.clone(),
            level2: last2.clone(),
            name,
            indicator: Some(code).filter(|s| !s.is_empty()),
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
            confirmed,
        });
    }
    Ok((project, out))
}

/// The draft as CSV (UTF-8 with BOM, for Excel; formulas neutralised): the project block as
/// label, value lines, then the indicator table with the library reference of each row.
pub fn draft_csv(d: &Draft, type_name: &str) -> Result<Vec<u8>, csv::Error> {
    let mut out = Vec::new();
    {
        let mut w = super::csv_safe::Writer::new(&mut out)?;
        let show = |v: Option<f64>| v.map(crate::domain::number::show).unwrap_or_default();
        // Excel wants every line as wide as the table.
        let wide = |cells: &[&str]| {
            let mut v: Vec<String> = cells.iter().map(|c| c.to_string()).collect();
            v.resize(HEADER.len() + 3, String::new());
            v
        };
        for pair in project_block(d, type_name) {
            for (l, v) in pair {
                if l.is_empty() {
                    continue;
                }
                let v = match v {
                    Value::Text(t) => t,
                    Value::Number(n) => show(n),
                };
                w.row(wide(&[l, v.as_str()]))?;
            }
        }
        for (l, t) in project_texts(d) {
            w.row(wide(&[l, t]))?;
        }
        let mut header: Vec<&str> = HEADER.to_vec();
        header.extend(["指标编码", "指标版本", "参考值已确认"]);
        w.row(header)?;
        for r in &d.rows {
            w.row([
                r.level1.as_str(),
                &r.level2,
                &r.name,
                r.direction.label(),
                &r.target,
                &r.unit,
                &r.explanation,
                if r.is_self_made() {
                    "自拟"
                } else {
                    "指标库"
                },
                r.indicator.as_deref().unwrap_or(""),
                &r.revision.map(|v| v.to_string()).unwrap_or_default(),
                if r.confirmed { "是" } else { "" },
            ])?;
        }
        w.finish()?;
    }
    Ok(out)
}
