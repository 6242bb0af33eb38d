//! Plain tables (a header row, then one record per row) from `.xlsx` or CSV files, as finance
//! staff keep them: Excel workbooks, or CSV saved by Excel in UTF-8 (with or without BOM) or in
//! GBK/GB18030, which Excel on Chinese Windows writes by default.

use super::sheet::{self, ReadError, SheetLimits, Workbook};
use rust_xlsxwriter::{Format, FormatBorder, Workbook as XlsxWriter, XlsxError};

#[derive(Debug, thiserror::Error)]
pub enum TableError {
    #[error(transparent)]
    Read(#[from] ReadError),
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

pub use sheet::{decode_text, is_xlsx};

/// Reads the first sheet (or CSV) whose header row contains `marker`; that row gives the headers.
pub fn read(bytes: &[u8], marker: &str, limits: &SheetLimits) -> Result<Table, TableError> {
    let has_marker = |r: &(u32, Vec<String>)| r.1.iter().any(|c| c == marker);
    let found = if is_xlsx(bytes) {
        let mut book = Workbook::open(bytes, limits)?;
        let mut found = None;
        for name in book.sheet_names() {
            let s = book.sheet(&name)?;
            if s.rows.iter().any(has_marker) {
                found = Some(s);
                break;
            }
        }
        found
    } else {
        sheet::check_upload(bytes.len(), limits).map_err(ReadError::from)?;
        Some(sheet::read_csv(&decode_text(bytes), limits)?)
    };
    let no_header = || TableError::NoHeader(marker.into());
    let s = found.ok_or_else(no_header)?;
    let header_at = s.rows.iter().position(has_marker).ok_or_else(no_header)?;
    let mut rows = s.rows;
    let headers = rows[header_at].1.clone();
    rows.drain(..=header_at);
    Ok(Table {
        sheet: s.name,
        headers,
        rows,
    })
}

/// A one-sheet workbook: bold header row, frozen, with column widths and a note row above.
pub fn write_xlsx(
    sheet: &str,
    note: &str,
    headers: &[&str],
    widths: &[f64],
    rows: &[Vec<String>],
) -> Result<Vec<u8>, TableError> {
    let mut wb = XlsxWriter::new();
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
        let t = read(&bytes, "指标名称", &SheetLimits::default()).unwrap();
        assert_eq!(t.headers, vec!["编码", "指标名称"]);
        assert_eq!(t.rows[0], (3, vec!["A-1".to_string(), "甲".to_string()]));
        assert_eq!(t.rows[1].0, 4);
    }

    #[test]
    fn gbk_csv_from_chinese_excel_is_decoded() {
        let (gbk, _, _) = encoding_rs::GBK.encode("编码,指标名称\nA-1,新建道路里程\n");
        let t = read(&gbk, "指标名称", &SheetLimits::default()).unwrap();
        assert_eq!(t.rows[0].1[1], "新建道路里程");
        assert_eq!(t.rows[0].0, 2);
    }

    #[test]
    fn a_file_without_the_header_is_refused() {
        assert!(matches!(
            read("a,b\n1,2\n".as_bytes(), "指标名称", &SheetLimits::default()),
            Err(TableError::NoHeader(_))
        ));
        assert!(matches!(
            read(b"PK\x03\x04garbage", "指标名称", &SheetLimits::default()),
            Err(TableError::Read(ReadError::NotXlsx(_)))
        ));
    }
}
