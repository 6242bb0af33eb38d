//! Target tables as spreadsheets: written with rust_xlsxwriter in the layout of a
//! 绩效目标申报表 (project block, then 一级/二级/三级 rows with merged cells), read back with
//! calamine (through the bounded reader `sheet`), so that a table exported and imported again is
//! the same draft.

use super::sheet::{
    ReadError, SheetLimits, Workbook as SheetReader, check_upload, decode_text, is_xlsx, read_csv,
};
use crate::domain::{Direction, Draft, DraftProject, DraftRow, Term};
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError};

pub const SHEET: &str = "绩效目标申报表";
/// The hidden sheet that ties rows to the library (indicator code, revision), so that a table
/// exported and imported again is the same draft while the form itself shows no internal codes.
pub const REFS_SHEET: &str = "指标库引用";
/// The indicator table's columns, as the 项目支出绩效目标申报表 and the provincial forms after
/// it name them (the national form writes direction, value and unit in one 指标值 cell; the
/// budget systems and most provinces split them, and add 指标解释 and 备注).
const HEADER: [&str; 8] = [
    "一级指标",
    "二级指标",
    "三级指标",
    "指标方向",
    "指标值",
    "计量单位",
    "指标解释",
    "备注",
];
const REFS_HEADER: [&str; 5] = ["序号", "三级指标", "指标编码", "指标版本", "参考值已确认"];
/// Columns of the printed form (A–H) and their widths in characters: 一级 must hold 满意度指标
/// on one line; the whole fits an A4 landscape page at about 80%.
const WIDTHS: [f64; 8] = [12.0, 13.0, 30.0, 8.0, 10.0, 9.0, 40.0, 11.0];
/// What a self-made row says in the 备注 column.
const SELF_MADE: &str = "自拟指标";

/// The labels of the form, as the xlsx and the CSV write them.
mod label {
    pub const TITLE: &str = "项目支出绩效目标申报表";
    pub const FILER: &str = "填报单位（盖章）";
    pub const MONEY_UNIT: &str = "金额单位：万元";
    pub const NAME: &str = "项目名称";
    pub const UNIT: &str = "预算单位";
    pub const DEPARTMENT: &str = "主管部门";
    pub const IMPLEMENTER: &str = "实施单位";
    pub const ATTRIBUTE: &str = "项目属性";
    pub const PERIOD: &str = "项目期限";
    pub const TYPE: &str = "项目类型";
    pub const YEAR: &str = "预算年度";
    pub const MONEY: &str = "资金情况\n（万元）";
    pub const BUDGET: &str = "年度资金总额";
    pub const FISCAL: &str = "其中：财政拨款";
    pub const OTHER: &str = "其他资金";
    pub const GOALS: &str = "总体目标";
    pub const ANNUAL_GOAL: &str = "年度总体目标";
    /// Beside 中期目标, for multi-year projects; the text is on the line below.
    pub const ANNUAL_SIDE: &str = "年度目标";
    pub const MIDTERM_GOAL: &str = "中期目标";
    pub const DESCRIPTION: &str = "项目概述";
    pub const ANNUAL_TABLE: &str = "年度绩效指标";
    pub const MIDTERM_TABLE: &str = "中期绩效指标";
    pub const SIGNED: &str =
        "填报人：　　　　　　　　联系电话：　　　　　　　　填报日期：　　　　年　　月　　日";
    /// Read from files exported before the form had the labels above.
    pub const OLD_TERM: &str = "目标期限";
    pub const OLD_BUDGET: &str = "资金总额（万元）";
    pub const OLD_FISCAL: &str = "其中：财政拨款（万元）";
    pub const OLD_OTHER: &str = "其他资金（万元）";
    pub const OLDER_BUDGET: &str = "预算金额（万元）";
    pub const OLD_TYPE_CODE: &str = "项目类型编码";
    pub const ALL: [&str; 30] = [
        TITLE,
        FILER,
        MONEY_UNIT,
        NAME,
        UNIT,
        DEPARTMENT,
        IMPLEMENTER,
        ATTRIBUTE,
        PERIOD,
        TYPE,
        YEAR,
        MONEY,
        BUDGET,
        FISCAL,
        OTHER,
        GOALS,
        ANNUAL_GOAL,
        ANNUAL_SIDE,
        MIDTERM_GOAL,
        DESCRIPTION,
        ANNUAL_TABLE,
        MIDTERM_TABLE,
        SIGNED,
        OLD_TERM,
        OLD_BUDGET,
        OLD_FISCAL,
        OLD_OTHER,
        OLDER_BUDGET,
        OLD_TYPE_CODE,
        "绩效指标",
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

/// A value of the form: text, or a number Excel can add up.
enum Value {
    Text(String),
    Number(Option<f64>),
}

/// The project information as (label, value) lines, in the form's order: what the CSV writes.
fn project_lines(d: &Draft, type_name: &str) -> Vec<(&'static str, Value)> {
    let p = &d.project;
    let t = |s: &str| Value::Text(s.to_string());
    let mut out = vec![
        (label::NAME, t(&p.name)),
        (label::UNIT, t(&p.unit_name)),
        (label::DEPARTMENT, t(&p.department)),
        (label::IMPLEMENTER, t(&p.implementer)),
        (label::ATTRIBUTE, t(&p.attribute)),
        (label::PERIOD, t(&p.period)),
        (label::TYPE, t(type_name)),
        (label::YEAR, Value::Number(p.year.map(f64::from))),
        (label::BUDGET, Value::Number(p.budget_wan)),
        (label::FISCAL, Value::Number(p.fiscal_wan)),
        (label::OTHER, Value::Number(p.other_wan)),
        (label::ANNUAL_GOAL, t(&p.annual_goal)),
    ];
    if has_midterm(&p.midterm_goal, p.term) {
        out.push((label::MIDTERM_GOAL, t(&p.midterm_goal)));
    }
    out.push((label::DESCRIPTION, t(&p.description)));
    out.push((
        label::OLD_TERM,
        t(if p.term == Term::MidTerm {
            "中期"
        } else {
            "年度"
        }),
    ));
    out
}

/// Whether the form shows a 中期目标 beside the 年度目标: multi-year projects, or any draft that
/// wrote one.
fn has_midterm(midterm_goal: &str, term: Term) -> bool {
    term == Term::MidTerm || !midterm_goal.trim().is_empty()
}

/// A target as a number when it is one, so that the bureau's sheet can compute with it.
fn target_number(r: &DraftRow) -> Option<f64> {
    if r.direction == Direction::Qualitative {
        return None;
    }
    crate::domain::number::parse_plain(&r.target).ok()
}

/// Lines a text needs in a cell of `width` characters' room (CJK counts double; each line
/// break starts a line).
fn lines(text: &str, width: f64) -> f64 {
    text.split('\n')
        .map(|line| {
            let units: f64 = line
                .chars()
                .map(|c| if c.is_ascii() { 1.0 } else { 2.0 })
                .sum();
            (units / width).ceil().max(1.0)
        })
        .sum::<f64>()
        .max(1.0)
}

/// Room, in characters, of columns `from..=to`.
fn room(from: u16, to: u16) -> f64 {
    WIDTHS[from as usize..=to as usize].iter().sum::<f64>() - 1.0
}

/// The formats of the form.
struct Formats {
    cell: Format,
    centered: Format,
    label: Format,
    label_centered: Format,
    money: Format,
    number: Format,
}

impl Formats {
    fn new() -> Formats {
        let cell = Format::new()
            .set_border(FormatBorder::Thin)
            .set_text_wrap()
            .set_align(FormatAlign::VerticalCenter);
        let label = cell
            .clone()
            .set_bold()
            .set_background_color("#EEF1F5")
            .set_align(FormatAlign::Center);
        Formats {
            centered: cell.clone().set_align(FormatAlign::Center),
            label_centered: label.clone(),
            label,
            money: cell.clone().set_num_format("#,##0.00"),
            number: cell.clone().set_num_format("General"),
            cell,
        }
    }
}

/// Writes `text` over columns `from..=to` of row `r` (merged when more than one).
fn span(
    ws: &mut Worksheet,
    r: u32,
    from: u16,
    to: u16,
    text: &str,
    f: &Format,
) -> Result<(), XlsxError> {
    if from == to {
        ws.write_string_with_format(r, from, text, f)?;
    } else {
        ws.merge_range(r, from, r, to, text, f)?;
    }
    Ok(())
}

/// Writes a number (or a blank) over columns `from..=to` of row `r`.
fn number_span(
    ws: &mut Worksheet,
    r: u32,
    from: u16,
    to: u16,
    v: Option<f64>,
    f: &Format,
) -> Result<(), XlsxError> {
    ws.merge_range(r, from, r, to, "", f)?;
    match v {
        Some(x) => ws.write_number_with_format(r, from, x, f)?,
        None => ws.write_blank(r, from, f)?,
    };
    Ok(())
}

/// The draft as an `.xlsx` file in the layout of the 项目支出绩效目标申报表: title and year,
/// 填报单位, the project block (项目名称; 主管部门, 实施单位; 项目属性, 项目期限; 资金情况 with
/// 年度资金总额, 其中：财政拨款 and 其他资金), the 总体目标 (中期目标 and 年度目标 side by side
/// for multi-year projects), then the indicator table with 一级/二级 cells merged over their rows,
/// targets as numbers, and lines to sign. `type_name` is the project type as people name it
/// (never its code); the library references go to a hidden sheet.
pub fn write_draft(d: &Draft, type_name: &str) -> Result<Vec<u8>, SheetError> {
    let p = &d.project;
    let f = Formats::new();
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(SHEET)?;
    let title = Format::new()
        .set_bold()
        .set_font_size(18)
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter);
    ws.merge_range(0, 0, 0, 7, label::TITLE, &title)?;
    ws.set_row_height(0, 30.0)?;
    let year = p.year.map(|y| y.to_string()).unwrap_or("　　　　".into());
    ws.merge_range(
        1,
        0,
        1,
        7,
        &format!("（{year}年度）"),
        &Format::new().set_align(FormatAlign::Center),
    )?;
    let plain = Format::new().set_align(FormatAlign::VerticalCenter);
    ws.write_string_with_format(2, 0, label::FILER, &plain.clone().set_bold())?;
    ws.merge_range(2, 1, 2, 4, &p.unit_name, &plain)?;
    ws.merge_range(
        2,
        5,
        2,
        7,
        label::MONEY_UNIT,
        &plain.clone().set_align(FormatAlign::Right),
    )?;

    let mut r = 3u32;
    // A label in A and its text over B–H, as tall as the text needs.
    let wide = |ws: &mut Worksheet, r: u32, l: &str, text: &str| -> Result<(), XlsxError> {
        ws.write_string_with_format(r, 0, l, &f.label)?;
        span(ws, r, 1, 7, text, &f.cell)?;
        ws.set_row_height(r, 15.0 * lines(text, room(1, 7)).min(15.0) + 5.0)?;
        Ok(())
    };
    wide(ws, r, label::NAME, &p.name)?;
    r += 1;
    // Two label/text pairs on a line: A, B–D and E, F–H.
    let pairs: [[(&str, Value); 2]; 3] = [
        [
            (label::DEPARTMENT, Value::Text(p.department.clone())),
            (label::IMPLEMENTER, Value::Text(p.implementer.clone())),
        ],
        [
            (label::ATTRIBUTE, Value::Text(p.attribute.clone())),
            (label::PERIOD, Value::Text(p.period.clone())),
        ],
        [
            (label::TYPE, Value::Text(type_name.to_string())),
            (label::YEAR, Value::Number(p.year.map(f64::from))),
        ],
    ];
    for pair in pairs {
        let mut tallest: f64 = 1.0;
        for (n, (l, v)) in pair.iter().enumerate() {
            let (at, from, to) = if n == 0 { (0, 1, 3) } else { (4, 5, 7) };
            ws.write_string_with_format(r, at, *l, &f.label)?;
            match v {
                Value::Text(t) => {
                    span(ws, r, from, to, t, &f.cell)?;
                    tallest = tallest.max(lines(t, room(from, to)));
                }
                Value::Number(x) => number_span(ws, r, from, to, *x, &f.number)?,
            }
        }
        ws.set_row_height(r, 15.0 * tallest.min(6.0) + 5.0)?;
        r += 1;
    }
    ws.merge_range(r, 0, r + 2, 0, label::MONEY, &f.label)?;
    for (l, v) in [
        (label::BUDGET, p.budget_wan),
        (label::FISCAL, p.fiscal_wan),
        (label::OTHER, p.other_wan),
    ] {
        span(ws, r, 1, 3, l, &f.label)?;
        number_span(ws, r, 4, 7, v, &f.money)?;
        r += 1;
    }
    if has_midterm(&p.midterm_goal, p.term) {
        ws.merge_range(r, 0, r + 1, 0, label::GOALS, &f.label)?;
        span(ws, r, 1, 3, label::MIDTERM_GOAL, &f.label_centered)?;
        span(ws, r, 4, 7, label::ANNUAL_SIDE, &f.label_centered)?;
        span(ws, r + 1, 1, 3, &p.midterm_goal, &f.cell)?;
        span(ws, r + 1, 4, 7, &p.annual_goal, &f.cell)?;
        let tall = lines(&p.midterm_goal, room(1, 3)).max(lines(&p.annual_goal, room(4, 7)));
        ws.set_row_height(r + 1, 15.0 * tall.min(15.0) + 5.0)?;
        r += 2;
    } else {
        wide(ws, r, label::ANNUAL_GOAL, &p.annual_goal)?;
        r += 1;
    }
    wide(ws, r, label::DESCRIPTION, &p.description)?;
    r += 1;

    let table_title = if p.term == Term::MidTerm {
        label::MIDTERM_TABLE
    } else {
        label::ANNUAL_TABLE
    };
    ws.merge_range(r, 0, r, 7, table_title, &f.label_centered)?;
    r += 1;
    let header_row = r;
    for (c, h) in HEADER.iter().enumerate() {
        ws.write_string_with_format(header_row, c as u16, *h, &f.label_centered)?;
    }
    let first = header_row + 1;
    for (n, row) in d.rows.iter().enumerate() {
        let r = first + n as u32;
        let note = if row.is_self_made() { SELF_MADE } else { "" };
        for (c, v) in [
            (0, row.level1.as_str()),
            (1, &row.level2),
            (2, &row.name),
            (3, row.direction.label()),
            (5, &row.unit),
            (6, &row.explanation),
            (7, note),
        ] {
            let format = if matches!(c, 0 | 1 | 3 | 5) {
                &f.centered
            } else {
                &f.cell
            };
            ws.write_string_with_format(r, c, v, format)?;
        }
        match target_number(row) {
            Some(x) => ws.write_number_with_format(r, 4, x, &f.number)?,
            None => ws.write_string_with_format(r, 4, &row.target, &f.centered)?,
        };
        let tall = lines(&row.name, room(2, 2))
            .max(lines(&row.explanation, room(6, 6)))
            .max(lines(&row.level2, room(1, 1)));
        ws.set_row_height(r, 15.0 * tall.min(10.0) + 5.0)?;
    }
    // Merge runs of equal level 1 and (within them) level 2, as the printed form does.
    for col in [0u16, 1] {
        let key = |i: usize| {
            let r = &d.rows[i];
            (
                r.level1.as_str(),
                if col == 0 { "" } else { r.level2.as_str() },
            )
        };
        let mut start = 0;
        while start < d.rows.len() {
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
                let (a, b) = (first + start as u32, first + end as u32);
                ws.merge_range(a, col, b, col, text, &f.centered)?;
            }
            start = end + 1;
        }
    }
    let last = first + d.rows.len() as u32;
    ws.merge_range(last + 1, 0, last + 1, 7, label::SIGNED, &plain)?;

    for (c, w) in WIDTHS.iter().enumerate() {
        ws.set_column_width(c as u16, *w)?;
    }
    ws.set_landscape();
    ws.set_paper_size(9); // A4
    ws.set_margins(0.5, 0.5, 0.6, 0.7, 0.3, 0.3);
    ws.set_print_center_horizontally(true);
    ws.set_print_fit_to_pages(1, 0);
    ws.set_print_area(0, 0, last + 1, 7)?;
    ws.set_repeat_rows(header_row, header_row)?;
    ws.set_footer("&C第 &P 页，共 &N 页");

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
    // The value of a label: the next non-empty cell on its line that is not another label; for
    // the goals side by side (中期目标 | 年度目标), the cell below the label.
    let value_of = |wanted: &str| -> (u32, String) {
        for (i, (n, r)) in rows[..header].iter().enumerate() {
            for c in 0..16 {
                if cell(r, c) != wanted {
                    continue;
                }
                let v = ((c + 1)..(c + 8))
                    .map(|cc| cell(r, cc))
                    .find(|v| !v.is_empty())
                    .filter(|v| !label::ALL.contains(&v.as_str()))
                    .unwrap_or_default();
                let below = rows[..header]
                    .get(i + 1)
                    .filter(|(m, _)| *m == n + 1)
                    .map(|(m, r)| (*m, cell(r, c)))
                    .filter(|(_, v)| !label::ALL.contains(&v.as_str()));
                return match below {
                    Some(b)
                        if v.is_empty()
                            && [label::ANNUAL_SIDE, label::MIDTERM_GOAL].contains(&wanted) =>
                    {
                        b
                    }
                    _ => (*n, v),
                };
            }
        }
        (0, String::new())
    };
    let text = |l: &str| value_of(l).1;
    // The first of `labels` the sheet fills in (a label of this form, or of an older one).
    let first = |labels: &[&str]| -> (u32, String) {
        labels
            .iter()
            .map(|l| value_of(l))
            .find(|(_, v)| !v.is_empty())
            .unwrap_or_default()
    };
    let amount = |labels: &[&str]| -> Result<Option<f64>, SheetError> {
        let (n, v) = first(labels);
        if v.is_empty() {
            return Ok(None);
        }
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
    let type_written =
        Some(first(&[label::TYPE, label::OLD_TYPE_CODE]).1).filter(|t| !t.is_empty());
    // The term: written out (CSV, older files), else the title of the indicator table.
    let midterm_table = rows[..header]
        .iter()
        .any(|(_, r)| (0..16).any(|c| cell(r, c) == label::MIDTERM_TABLE));
    let term = match text(label::OLD_TERM).as_str() {
        "中期" => Term::MidTerm,
        "" if midterm_table => Term::MidTerm,
        _ => Term::Annual,
    };
    let project = DraftProject {
        name: text(label::NAME),
        unit_name: first(&[label::FILER, label::UNIT]).1,
        department: text(label::DEPARTMENT),
        implementer: text(label::IMPLEMENTER),
        attribute: text(label::ATTRIBUTE),
        period: text(label::PERIOD),
        description: text(label::DESCRIPTION),
        annual_goal: first(&[label::ANNUAL_GOAL, label::ANNUAL_SIDE]).1,
        midterm_goal: text(label::MIDTERM_GOAL),
        project_type: type_written,
        budget_wan: amount(&[label::BUDGET, label::OLD_BUDGET, label::OLDER_BUDGET])?,
        fiscal_wan: amount(&[label::FISCAL, label::OLD_FISCAL])?,
        other_wan: amount(&[label::OTHER, label::OLD_OTHER])?,
        year,
        term,
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
        for (l, v) in project_lines(d, type_name) {
            let v = match v {
                Value::Text(t) => t,
                Value::Number(n) => show(n),
            };
            w.row(wide(&[l, v.as_str()]))?;
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
                if r.is_self_made() { SELF_MADE } else { "" },
                r.indicator.as_deref().unwrap_or(""),
                &r.revision.map(|v| v.to_string()).unwrap_or_default(),
                if r.confirmed { "是" } else { "" },
            ])?;
        }
        w.finish()?;
    }
    Ok(out)
}
