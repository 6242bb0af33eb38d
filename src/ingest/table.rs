//! Plain tables (a header row, then one record per row) from `.xlsx` or CSV files, as finance
//! staff keep them: Excel workbooks, or CSV saved by Excel in UTF-8 (with or without BOM) or in
//! GBK/GB18030, which Excel on Chinese Windows writes by default.

use calamine::{Data, Reader, Xlsx};
use rust_xlsxwriter::{Format, FormatBorder, Workbook, XlsxError};
use std::io::Cursor;

#[derive(Debug, thiserror::Error)]
pub enum TableError {
    #[error("不是有效的 Excel (.xlsx) 文件：{0}")]
    NotXlsx(String),
    #[error("CSV 文件无法读取：{0}")]
    Csv(String),
    #[error("文件为空，或找不到含“{0}”的表头行")]
    NoHeader(String),
    #[error("无法生成 Excel 文件：{0}")]
    Write(#[from] XlsxError),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Sheet name (`CSV` for a CSV file).
    pub sheet: String,
    pub headers: Vec<String>,
    /// (row number as the spreadsheet shows it, 1-based; cells), blank rows left out.
    pub rows: Vec<(u32, Vec<String>)>,
}

impl Table {
    pub fn column(&self, title: &str) -> Option<usize> {
        self.headers.iter().position(|h| h == title)
    }
}

fn xlsx_cell(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        other => other.to_string().trim().to_string(),
    }
}

/// Whether the bytes are a zip container (an `.xlsx`).
pub fn is_xlsx(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
}

/// Reads the first sheet (or CSV) whose header row contains `marker`; that row gives the headers.
pub fn read(bytes: &[u8], marker: &str) -> Result<Table, TableError> {
    let (sheet, grid) = if is_xlsx(bytes) {
        let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes))
            .map_err(|e: calamine::XlsxError| TableError::NotXlsx(e.to_string()))?;
        let mut found = None;
        for name in book.sheet_names() {
            let range = book
                .worksheet_range(&name)
                .map_err(|e| TableError::NotXlsx(e.to_string()))?;
            let start = range.start().map_or(0, |s| s.0);
            let grid: Vec<(u32, Vec<String>)> = range
                .rows()
                .enumerate()
                .map(|(i, r)| (start + i as u32 + 1, r.iter().map(xlsx_cell).collect()))
                .collect();
            if grid.iter().any(|(_, r)| r.iter().any(|c| c == marker)) {
                found = Some((name, grid));
                break;
            }
        }
        found.ok_or_else(|| TableError::NoHeader(marker.into()))?
    } else {
        let text = decode_text(bytes);
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        let mut grid = Vec::new();
        for (i, rec) in rdr.records().enumerate() {
            let rec = rec.map_err(|e| TableError::Csv(e.to_string()))?;
            grid.push((
                i as u32 + 1,
                rec.iter()
                    .map(|c| super::csv_safe::restore(c).trim().to_string())
                    .collect(),
            ));
        }
        ("CSV".to_string(), grid)
    };
    let header_at = grid
        .iter()
        .position(|(_, r)| r.iter().any(|c| c == marker))
        .ok_or_else(|| TableError::NoHeader(marker.into()))?;
    let headers = grid[header_at].1.clone();
    let rows = grid
        .into_iter()
        .skip(header_at + 1)
        .filter(|(_, r)| r.iter().any(|c| !c.is_empty()))
        .collect();
    Ok(Table {
        sheet,
        headers,
        rows,
    })
}

/// UTF-8 (a BOM is dropped) when valid, else GB18030 (a superset of GBK).
pub fn decode_text(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => encoding_rs::GB18030.decode(bytes).0.into_owned(),
    }
}

/// A one-sheet workbook: bold header row, frozen, with column widths and a note row above.
pub fn write_xlsx(
    sheet: &str,
    note: &str,
    headers: &[&str],
    widths: &[f64],
    rows: &[Vec<String>],
) -> Result<Vec<u8>, TableError> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(sheet)?;
    let head = Format::new().set_bold().set_border(FormatBorder::Thin);
    let body = Format::new().set_border(FormatBorder::Thin).set_text_wrap();
    ws.write_string(0, 0, note)?;
    for (c, h) in headers.iter().enumerate() {
        ws.write_string_with_format(1, c as u16, *h, &head)?;
        ws.set_column_width(c as u16, widths.get(c).copied().unwrap_or(14.0))?;
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            ws.write_string_with_format(r as u32 + 2, c as u16, v, &body)?;
        }
    }
    ws.set_freeze_panes(2, 0)?;
    Ok(wb.save_to_buffer()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_xlsx_written_here_reads_back_with_spreadsheet_row_numbers() {
        let bytes = write_xlsx(
            "表",
            "说明",
            &["编码", "指标名称"],
            &[],
            &[
                vec!["A-1".into(), "甲".into()],
                vec!["".into(), "乙".into()],
            ],
        )
        .unwrap();
        let t = read(&bytes, "指标名称").unwrap();
        assert_eq!(t.headers, vec!["编码", "指标名称"]);
        assert_eq!(t.rows[0], (3, vec!["A-1".to_string(), "甲".to_string()]));
        assert_eq!(t.rows[1].0, 4);
    }

    #[test]
    fn gbk_csv_from_chinese_excel_is_decoded() {
        let (gbk, _, _) = encoding_rs::GBK.encode("编码,指标名称\nA-1,新建道路里程\n");
        let t = read(&gbk, "指标名称").unwrap();
        assert_eq!(t.rows[0].1[1], "新建道路里程");
        assert_eq!(t.rows[0].0, 2);
    }

    #[test]
    fn a_file_without_the_header_is_refused() {
        assert!(matches!(
            read("a,b\n1,2\n".as_bytes(), "指标名称"),
            Err(TableError::NoHeader(_))
        ));
        assert!(matches!(
            read(b"PK\x03\x04garbage", "指标名称"),
            Err(TableError::NotXlsx(_))
        ));
    }
}
