//! Spreadsheets (.xlsx) and CSV from untrusted uploads, read within limits that are checked
//! before anything sized by the file is allocated.
//!
//! An `.xlsx` is a zip of XML parts whose headers say whatever the sender wants, so nothing in
//! them is trusted: every entry is first inflated into nothing, counting the bytes that really
//! come out (each entry, the total, against its compressed size), and the shared strings, which
//! calamine loads whole when it opens the workbook (reserving room for the count they claim),
//! are counted the same way. Only then does calamine open the file, and the cells are read as a
//! stream into a sparse grid whose rows, columns, cells and text are counted as they arrive; the
//! declared `<dimension>` is checked before the first cell. calamine's `worksheet_range` (which
//! allocates the declared or spanned rectangle) is never called.

use calamine::{Data, DataRef, Reader, Xlsx, XlsxError};
use std::borrow::Cow;
use std::io::{Cursor, Read};

/// How much of an upload is read. The defaults serve finance files of 100,000 rows; every field
/// is a setting (`config::Limits`, documented in docs/SECURITY.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SheetLimits {
    /// The file as uploaded (413 `upload_too_large`).
    pub upload_bytes: u64,
    /// Entries in the zip (413 `zip_too_many_entries`).
    pub zip_entries: usize,
    /// Bytes one zip entry really inflates to (413 `zip_entry_too_large`).
    pub entry_bytes: u64,
    /// Bytes all entries together really inflate to (413 `zip_too_large`).
    pub unzipped_bytes: u64,
    /// Inflated ÷ compressed size of an entry, once it is past 1 MiB (413 `zip_ratio_too_high`).
    pub zip_ratio: u64,
    /// Highest row number holding a value, declared or actual (422 `too_many_rows`).
    pub rows: u32,
    /// Highest column holding a value (422 `too_many_columns`).
    pub columns: u32,
    /// Cells kept, counting the gaps left of a row's last value; also the most shared strings a
    /// workbook may hold (422 `too_many_cells`, `too_many_shared_strings`).
    pub cells: u64,
    /// Characters in one cell: Excel's own limit (422 `cell_too_long`).
    pub cell_chars: usize,
    /// Bytes of text kept from all cells, and bytes of the shared-strings part (413 `text_too_large`).
    pub text_bytes: u64,
}

const MIB: u64 = 1 << 20;

impl Default for SheetLimits {
    fn default() -> SheetLimits {
        SheetLimits {
            upload_bytes: 16 * MIB,
            zip_entries: 1_000,
            entry_bytes: 128 * MIB,
            unzipped_bytes: 256 * MIB,
            zip_ratio: 100,
            rows: 100_000,
            columns: 256,
            cells: 2_000_000,
            cell_chars: 32_767,
            text_bytes: 64 * MIB,
        }
    }
}

impl SheetLimits {
    /// The ceiling for anonymous draft imports: a target table has at most 80 indicator rows,
    /// so its file is small whatever the settings allow curators.
    pub const DRAFT_CEILING: SheetLimits = SheetLimits {
        upload_bytes: 2 * MIB,
        zip_entries: 100,
        entry_bytes: 16 * MIB,
        unzipped_bytes: 32 * MIB,
        zip_ratio: 100,
        rows: 1_000,
        columns: 64,
        cells: 20_000,
        cell_chars: 32_767,
        text_bytes: 4 * MIB,
    };

    /// Each limit, no higher than `ceiling`'s.
    pub fn capped(&self, ceiling: &SheetLimits) -> SheetLimits {
        SheetLimits {
            upload_bytes: self.upload_bytes.min(ceiling.upload_bytes),
            zip_entries: self.zip_entries.min(ceiling.zip_entries),
            entry_bytes: self.entry_bytes.min(ceiling.entry_bytes),
            unzipped_bytes: self.unzipped_bytes.min(ceiling.unzipped_bytes),
            zip_ratio: self.zip_ratio.min(ceiling.zip_ratio),
            rows: self.rows.min(ceiling.rows),
            columns: self.columns.min(ceiling.columns),
            cells: self.cells.min(ceiling.cells),
            cell_chars: self.cell_chars.min(ceiling.cell_chars),
            text_bytes: self.text_bytes.min(ceiling.text_bytes),
        }
    }

    /// The limits for anonymous draft imports.
    pub fn for_drafts(&self) -> SheetLimits {
        self.capped(&SheetLimits::DRAFT_CEILING)
    }
}

/// A limit an upload went past: a stable code, an HTTP status, a Chinese message naming it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitError {
    #[error("文件过大：上限为 {}", bytes(*limit))]
    Upload { limit: u64 },
    #[error("压缩包中的文件过多：上限为 {limit} 个")]
    ZipEntries { limit: usize },
    #[error("压缩包中的“{entry}”解压后过大：每个部件上限为 {}", bytes(*limit))]
    ZipEntry { entry: String, limit: u64 },
    #[error("文件解压后过大：上限为 {}", bytes(*limit))]
    Unzipped { limit: u64 },
    #[error("压缩包中的“{entry}”压缩比异常：上限为 {limit} 倍")]
    ZipRatio { entry: String, limit: u64 },
    #[error("工作表“{sheet}”声明的范围 {range} 超出上限：最多 {rows} 行、{columns} 列")]
    Dimension {
        sheet: String,
        range: String,
        rows: u32,
        columns: u32,
    },
    #[error("表格行数超出上限：最多 {limit} 行")]
    Rows { limit: u32 },
    #[error("表格列数超出上限：最多 {limit} 列")]
    Columns { limit: u32 },
    #[error("表格单元格数超出上限：最多 {limit} 个")]
    Cells { limit: u64 },
    #[error("共享字符串过多：上限为 {limit} 个")]
    SharedStrings { limit: u64 },
    #[error("单元格内容过长（第 {row} 行）：每格最多 {limit} 字")]
    CellChars { row: u32, limit: usize },
    #[error("表格文字总量过大：上限为 {}", bytes(*limit))]
    Text { limit: u64 },
}

fn bytes(n: u64) -> String {
    if n >= MIB && n.is_multiple_of(MIB) {
        format!("{} MiB", n / MIB)
    } else {
        format!("{n} 字节")
    }
}

impl LimitError {
    /// A stable code for the API, naming the limit.
    pub fn code(&self) -> &'static str {
        match self {
            LimitError::Upload { .. } => "upload_too_large",
            LimitError::ZipEntries { .. } => "zip_too_many_entries",
            LimitError::ZipEntry { .. } => "zip_entry_too_large",
            LimitError::Unzipped { .. } => "zip_too_large",
            LimitError::ZipRatio { .. } => "zip_ratio_too_high",
            LimitError::Dimension { .. } => "sheet_dimension_too_large",
            LimitError::Rows { .. } => "too_many_rows",
            LimitError::Columns { .. } => "too_many_columns",
            LimitError::Cells { .. } => "too_many_cells",
            LimitError::SharedStrings { .. } => "too_many_shared_strings",
            LimitError::CellChars { .. } => "cell_too_long",
            LimitError::Text { .. } => "text_too_large",
        }
    }

    /// 413 for bytes (the file, inflated or not), 422 for what the table holds.
    pub fn status(&self) -> u16 {
        match self {
            LimitError::Upload { .. }
            | LimitError::ZipEntries { .. }
            | LimitError::ZipEntry { .. }
            | LimitError::Unzipped { .. }
            | LimitError::ZipRatio { .. }
            | LimitError::Text { .. } => 413,
            _ => 422,
        }
    }
}

/// Why a file could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ReadError {
    #[error(transparent)]
    Limit(#[from] LimitError),
    #[error("不是有效的 Excel (.xlsx) 文件：{0}")]
    NotXlsx(String),
    #[error("CSV 文件无法读取：{0}")]
    Csv(String),
}

/// One sheet as text: (row number as the spreadsheet shows it, 1-based; cells from column A),
/// in row order, rows without any value left out. Cells are trimmed.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Sheet {
    pub name: String,
    pub rows: Vec<(u32, Vec<String>)>,
}

/// Whether the bytes are a zip container (an `.xlsx`).
pub fn is_xlsx(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
}

/// UTF-8 (a BOM is dropped) when valid, else GB18030 (a superset of GBK), which Excel on
/// Chinese Windows writes by default.
pub fn decode_text(bytes: &[u8]) -> Cow<'_, str> {
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => encoding_rs::GB18030.decode(bytes).0,
    }
}

/// The uploaded file's size, before it is decoded or unzipped.
pub fn check_upload(len: usize, limits: &SheetLimits) -> Result<(), LimitError> {
    if len as u64 > limits.upload_bytes {
        return Err(LimitError::Upload {
            limit: limits.upload_bytes,
        });
    }
    Ok(())
}

/// What the grid has taken so far, across the sheets of one workbook.
#[derive(Debug, Default)]
struct Budget {
    cells: u64,
    text: u64,
}

/// Builds one sheet's rows from cells in any order, counting against the limits as it goes.
struct Grid<'l> {
    limits: &'l SheetLimits,
    rows: Vec<(u32, Vec<String>)>,
    sorted: bool,
}

impl<'l> Grid<'l> {
    fn new(limits: &'l SheetLimits) -> Grid<'l> {
        Grid {
            limits,
            rows: Vec::new(),
            sorted: true,
        }
    }

    /// Puts a non-empty value at (row, column), both 0-based.
    fn put(
        &mut self,
        budget: &mut Budget,
        row: u32,
        col: u32,
        value: String,
    ) -> Result<(), LimitError> {
        let l = self.limits;
        if row >= l.rows {
            return Err(LimitError::Rows { limit: l.rows });
        }
        if col >= l.columns {
            return Err(LimitError::Columns { limit: l.columns });
        }
        check_cell(&value, row + 1, l)?;
        budget.text += value.len() as u64;
        if budget.text > l.text_bytes {
            return Err(LimitError::Text {
                limit: l.text_bytes,
            });
        }
        let number = row + 1;
        let at = match self.rows.last() {
            Some((n, _)) if *n == number => self.rows.len() - 1,
            last => {
                if last.is_some_and(|(n, _)| *n > number) {
                    self.sorted = false;
                }
                self.rows.push((number, Vec::new()));
                self.rows.len() - 1
            }
        };
        let cells = &mut self.rows[at].1;
        let col = col as usize;
        if col >= cells.len() {
            budget.cells += (col + 1 - cells.len()) as u64;
            if budget.cells > l.cells {
                return Err(LimitError::Cells { limit: l.cells });
            }
            cells.resize(col + 1, String::new());
        }
        cells[col] = value;
        Ok(())
    }

    /// Rows in order; a row written in several places is merged (later values win).
    fn finish(mut self, name: &str) -> Sheet {
        if !self.sorted {
            self.rows.sort_by_key(|(n, _)| *n);
            let mut merged: Vec<(u32, Vec<String>)> = Vec::with_capacity(self.rows.len());
            for (n, cells) in self.rows {
                match merged.last_mut() {
                    Some((m, into)) if *m == n => {
                        if into.len() < cells.len() {
                            into.resize(cells.len(), String::new());
                        }
                        for (i, c) in cells.into_iter().enumerate() {
                            if !c.is_empty() {
                                into[i] = c;
                            }
                        }
                    }
                    _ => merged.push((n, cells)),
                }
            }
            self.rows = merged;
        }
        Sheet {
            name: name.to_string(),
            rows: self.rows,
        }
    }
}

fn check_cell(value: &str, row: u32, l: &SheetLimits) -> Result<(), LimitError> {
    // Counting characters only when the bytes could exceed the limit keeps this cheap.
    if value.len() > l.cell_chars && value.chars().count() > l.cell_chars {
        return Err(LimitError::CellChars {
            row,
            limit: l.cell_chars,
        });
    }
    Ok(())
}

/// A cell as text: numbers without float noise (whole numbers without `.0`), text trimmed.
fn cell_text(v: DataRef<'_>) -> String {
    match v {
        DataRef::Empty => String::new(),
        DataRef::String(s) if s.trim().len() == s.len() => s,
        DataRef::String(s) => s.trim().to_string(),
        DataRef::SharedString(s) => s.trim().to_string(),
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) if !f.is_finite() || f.abs() >= 1e15 => f.to_string(),
        DataRef::Float(f) if f.fract() == 0.0 => format!("{}", f as i64),
        // Shortest text that reads back as the same number (no 0.30000000000000004).
        DataRef::Float(f) => format!("{}", (f * 1e9).round() / 1e9),
        other => Data::from(other).to_string().trim().to_string(),
    }
}

/// A CSV file (decoded, its size checked by `check_upload`) as one sheet named `CSV`; row
/// numbers are the lines rows start on.
pub fn read_csv(text: &str, limits: &SheetLimits) -> Result<Sheet, ReadError> {
    check_csv_shape(text, limits)?;
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut grid = Grid::new(limits);
    let mut budget = Budget::default();
    let mut rec = csv::StringRecord::new();
    let mut count: u32 = 0;
    loop {
        match rdr.read_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(ReadError::Csv(e.to_string())),
        }
        count += 1;
        if count > limits.rows {
            return Err(LimitError::Rows { limit: limits.rows }.into());
        }
        if rec.len() > limits.columns as usize {
            return Err(LimitError::Columns {
                limit: limits.columns,
            }
            .into());
        }
        let line = rec
            .position()
            .map_or(count, |p| u32::try_from(p.line()).unwrap_or(u32::MAX));
        let row = line.max(1) - 1;
        for (c, v) in rec.iter().enumerate() {
            // The leading apostrophe our CSV exports add to formula-like cells comes off again.
            let v = super::csv_safe::restore(v).trim();
            if !v.is_empty() {
                grid.put(&mut budget, row, c as u32, v.to_string())?;
            }
        }
    }
    Ok(grid.finish("CSV"))
}

/// The shape of a CSV file, measured with csv-core (which keeps nothing) before the csv crate
/// builds a single record: a record of millions of fields, or a field of megabytes, would be
/// buffered whole before it could be looked at.
fn check_csv_shape(text: &str, limits: &SheetLimits) -> Result<(), LimitError> {
    use csv_core::ReadFieldResult;
    let mut rdr = csv_core::Reader::new();
    let mut input = text.as_bytes();
    let mut out = [0u8; 8 * 1024];
    // Bytes, not characters: a character is at most four; `Grid::put` counts them exactly.
    let max_field = limits.cell_chars.saturating_mul(4);
    let (mut field, mut fields, mut filled) = (0usize, 0u32, 0u32);
    let (mut records, mut cells) = (0u32, 0u64);
    loop {
        let (res, nin, nout) = rdr.read_field(input, &mut out);
        input = &input[nin..];
        field += nout;
        if field > max_field {
            return Err(LimitError::CellChars {
                row: records + 1,
                limit: limits.cell_chars,
            });
        }
        match res {
            ReadFieldResult::InputEmpty | ReadFieldResult::OutputFull => {}
            ReadFieldResult::Field { record_end } => {
                fields += 1;
                if fields > limits.columns {
                    return Err(LimitError::Columns {
                        limit: limits.columns,
                    });
                }
                if field > 0 {
                    filled = fields;
                }
                field = 0;
                if record_end {
                    records += 1;
                    if records > limits.rows {
                        return Err(LimitError::Rows { limit: limits.rows });
                    }
                    cells += u64::from(filled);
                    if cells > limits.cells {
                        return Err(LimitError::Cells {
                            limit: limits.cells,
                        });
                    }
                    (fields, filled) = (0, 0);
                }
            }
            ReadFieldResult::End => return Ok(()),
        }
    }
}

/// Chunk of inflated bytes read at a time while measuring an entry.
const CHUNK: usize = 64 * 1024;
/// An entry may always inflate this far before its compression ratio is judged: small parts
/// (styles, relationships) compress unevenly.
const RATIO_FLOOR: u64 = MIB;

/// Inflates every entry into nothing, counting, and counts the shared strings: what calamine
/// will allocate when it opens the workbook is bounded before it does.
fn check_zip(bytes: &[u8], limits: &SheetLimits) -> Result<(), ReadError> {
    check_upload(bytes.len(), limits)?;
    let not_xlsx = |e: zip::result::ZipError| ReadError::NotXlsx(e.to_string());
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(not_xlsx)?;
    if zip.len() > limits.zip_entries {
        return Err(LimitError::ZipEntries {
            limit: limits.zip_entries,
        }
        .into());
    }
    let mut total: u64 = 0;
    let mut buf = vec![0u8; CHUNK];
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).map_err(not_xlsx)?;
        if !matches!(
            entry.compression(),
            zip::CompressionMethod::Stored | zip::CompressionMethod::Deflated
        ) {
            return Err(ReadError::NotXlsx(format!(
                "部件“{}”的压缩方式不受支持",
                entry.name().unwrap_or_default()
            )));
        }
        let name = entry.name().map(|n| n.into_owned()).unwrap_or_default();
        let compressed = entry.compressed_size().min(bytes.len() as u64);
        let is_strings = name
            .replace('\\', "/")
            .to_ascii_lowercase()
            .ends_with("sharedstrings.xml");
        let mut meter = Meter {
            inner: &mut entry,
            name: &name,
            entry: 0,
            total: &mut total,
            compressed,
            limits,
            entry_cap: if is_strings {
                limits.entry_bytes.min(limits.text_bytes)
            } else {
                limits.entry_bytes
            },
            over: None,
        };
        let result = if is_strings {
            count_shared_strings(&mut meter, limits)
        } else {
            loop {
                match meter.read(&mut buf) {
                    Ok(0) => break Ok(()),
                    Ok(_) => {}
                    Err(e) => break Err(ReadError::NotXlsx(e.to_string())),
                }
            }
        };
        if let Some(over) = meter.over {
            return Err(over.into());
        }
        result?;
    }
    Ok(())
}

/// A zip entry's reader that stops, remembering why, once a size limit is passed.
struct Meter<'a, R: Read> {
    inner: &'a mut R,
    name: &'a str,
    entry: u64,
    total: &'a mut u64,
    compressed: u64,
    limits: &'a SheetLimits,
    entry_cap: u64,
    over: Option<LimitError>,
}

impl<R: Read> Read for Meter<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.over.is_some() {
            return Err(std::io::Error::other("limit"));
        }
        let n = self.inner.read(buf)?;
        self.entry += n as u64;
        *self.total += n as u64;
        let l = self.limits;
        self.over = if self.entry > self.entry_cap {
            if self.entry_cap < l.entry_bytes {
                Some(LimitError::Text {
                    limit: l.text_bytes,
                })
            } else {
                Some(LimitError::ZipEntry {
                    entry: self.name.to_string(),
                    limit: l.entry_bytes,
                })
            }
        } else if *self.total > l.unzipped_bytes {
            Some(LimitError::Unzipped {
                limit: l.unzipped_bytes,
            })
        } else if self.entry > RATIO_FLOOR
            && self.entry > self.compressed.max(1).saturating_mul(l.zip_ratio)
        {
            Some(LimitError::ZipRatio {
                entry: self.name.to_string(),
                limit: l.zip_ratio,
            })
        } else {
            None
        };
        if self.over.is_some() {
            return Err(std::io::Error::other("limit"));
        }
        Ok(n)
    }
}

/// Counts `si` elements and checks what every `sst` element claims (`uniqueCount`, which
/// calamine reserves room for), within the entry's size limits.
fn count_shared_strings<R: Read>(
    meter: &mut Meter<'_, R>,
    limits: &SheetLimits,
) -> Result<(), ReadError> {
    use quick_xml::events::Event;
    let too_many = || {
        ReadError::from(LimitError::SharedStrings {
            limit: limits.cells,
        })
    };
    let mut xml = quick_xml::Reader::from_reader(std::io::BufReader::new(meter));
    let mut buf = Vec::new();
    let mut strings: u64 = 0;
    loop {
        buf.clear();
        let event = xml
            .read_event_into(&mut buf)
            .map_err(|e| ReadError::NotXlsx(format!("共享字符串无法解析：{e}")))?;
        match event {
            Event::Start(e) | Event::Empty(e) => match e.local_name().as_ref() {
                "si" => {
                    strings += 1;
                    if strings > limits.cells {
                        return Err(too_many());
                    }
                }
                "sst" => {
                    for a in e.attributes().flatten() {
                        if a.key.local_name().as_ref() == "uniqueCount"
                            && claimed_count(a.value.as_bytes()) > limits.cells
                        {
                            return Err(too_many());
                        }
                    }
                }
                _ => {}
            },
            Event::Eof => return Ok(()),
            _ => {}
        }
    }
}

/// A count as calamine reads it (ASCII digits, any number of leading zeros), saturating;
/// 0 when it is not one, as calamine then reserves nothing.
fn claimed_count(raw: &[u8]) -> u64 {
    if raw.is_empty() || !raw.iter().all(u8::is_ascii_digit) {
        return 0;
    }
    raw.iter().fold(0u64, |n, d| {
        n.saturating_mul(10).saturating_add(u64::from(d - b'0'))
    })
}

/// An `.xlsx` workbook opened within limits; sheets are read one at a time, sharing one
/// budget of cells and text.
pub struct Workbook<'a> {
    book: Xlsx<Cursor<&'a [u8]>>,
    limits: SheetLimits,
    budget: Budget,
}

/// Runs calamine on hostile input: a panic inside it (its arithmetic on cell references
/// overflows in debug builds) is an unreadable file, not a failed request.
fn guarded<T>(f: impl FnOnce() -> Result<T, ReadError>) -> Result<T, ReadError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .unwrap_or_else(|_| Err(ReadError::NotXlsx("文件结构无法解析".into())))
}

fn xlsx_error(e: XlsxError) -> ReadError {
    ReadError::NotXlsx(e.to_string())
}

impl<'a> Workbook<'a> {
    pub fn open(bytes: &'a [u8], limits: &SheetLimits) -> Result<Workbook<'a>, ReadError> {
        if !is_xlsx(bytes) {
            return Err(ReadError::NotXlsx("文件不是 zip 格式".into()));
        }
        check_zip(bytes, limits)?;
        let book = guarded(|| Xlsx::new(Cursor::new(bytes)).map_err(xlsx_error))?;
        Ok(Workbook {
            book,
            limits: *limits,
            budget: Budget::default(),
        })
    }

    pub fn sheet_names(&self) -> Vec<String> {
        self.book.sheet_names()
    }

    /// One sheet's values; its declared dimension is checked before any cell is read.
    pub fn sheet(&mut self, name: &str) -> Result<Sheet, ReadError> {
        let Workbook {
            book,
            limits,
            budget,
        } = self;
        guarded(|| {
            let mut cells = book.worksheet_cells_reader(name).map_err(xlsx_error)?;
            let d = cells.dimensions();
            let (last_row, last_col) = (d.start.0.max(d.end.0), d.start.1.max(d.end.1));
            if last_row >= limits.rows || last_col >= limits.columns {
                return Err(LimitError::Dimension {
                    sheet: name.to_string(),
                    range: format!(
                        "{}{}:{}{}",
                        column_name(d.start.1),
                        u64::from(d.start.0) + 1,
                        column_name(d.end.1),
                        u64::from(d.end.0) + 1
                    ),
                    rows: limits.rows,
                    columns: limits.columns,
                }
                .into());
            }
            let mut grid = Grid::new(limits);
            while let Some(cell) = cells.next_cell().map_err(xlsx_error)? {
                let (row, col) = cell.get_position();
                let text = cell_text(cell.get_value().clone());
                if !text.is_empty() {
                    grid.put(budget, row, col, text)?;
                }
            }
            Ok(grid.finish(name))
        })
    }
}

/// `A`, `B`, … `Z`, `AA`, … for a 0-based column.
fn column_name(col: u32) -> String {
    let mut n = u64::from(col) + 1;
    let mut out = Vec::new();
    while n > 0 {
        let d = ((n - 1) % 26) as u8;
        out.push(b'A' + d);
        n = (n - 1) / 26;
    }
    out.reverse();
    String::from_utf8(out).expect("ASCII")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> SheetLimits {
        SheetLimits {
            rows: 10,
            columns: 5,
            cells: 20,
            cell_chars: 8,
            // Also the shared-strings part, XML included.
            text_bytes: 1024,
            ..SheetLimits::default()
        }
    }

    fn xlsx(rows: &[(u32, u16, &str)]) -> Vec<u8> {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        for (r, c, v) in rows {
            ws.write_string(*r, *c, *v).unwrap();
        }
        wb.save_to_buffer().unwrap()
    }

    #[test]
    fn cells_come_back_at_their_positions_with_spreadsheet_row_numbers() {
        let bytes = xlsx(&[(1, 2, " 甲 "), (3, 0, "乙"), (1, 0, "丙")]);
        let mut wb = Workbook::open(&bytes, &small()).unwrap();
        let name = wb.sheet_names()[0].clone();
        let s = wb.sheet(&name).unwrap();
        assert_eq!(
            s.rows,
            vec![
                (2, vec!["丙".to_string(), String::new(), "甲".to_string()]),
                (4, vec!["乙".to_string()]),
            ]
        );
    }

    #[test]
    fn each_table_limit_names_itself() {
        let l = small();
        let read = |rows: &[(u32, u16, &str)]| {
            let bytes = xlsx(rows);
            let mut wb = Workbook::open(&bytes, &l).unwrap();
            let name = wb.sheet_names()[0].clone();
            wb.sheet(&name).unwrap_err()
        };
        let code = |e: ReadError| match e {
            ReadError::Limit(l) => l.code(),
            other => panic!("{other}"),
        };
        assert_eq!(code(read(&[(10, 0, "a")])), "sheet_dimension_too_large");
        assert_eq!(code(read(&[(0, 5, "a")])), "sheet_dimension_too_large");
        assert_eq!(code(read(&[(0, 0, "123456789")])), "cell_too_long");
        let many: Vec<(u32, u16, &str)> = (0..10).map(|r| (r, 4, "a")).collect();
        assert_eq!(code(read(&many)), "too_many_cells");
        let text: Vec<(u32, u16, &str)> = (0..9).map(|r| (r, 0, "汉")).collect();
        let l = SheetLimits {
            text_bytes: 20,
            ..l
        };
        let bytes = xlsx(&text);
        let e = Workbook::open(&bytes, &l)
            .err()
            .expect("shared strings over the text limit");
        assert_eq!(code(e), "text_too_large");
    }

    #[test]
    fn csv_rows_columns_and_fields_are_bounded() {
        let l = small();
        let code = |t: &str| match read_csv(t, &l).unwrap_err() {
            ReadError::Limit(l) => l.code(),
            other => panic!("{other}"),
        };
        assert_eq!(code(&"a\n".repeat(11)), "too_many_rows");
        assert_eq!(code("a,b,c,d,e,f\n"), "too_many_columns");
        assert_eq!(code("\"123456789\"\n"), "cell_too_long");
        let l = SheetLimits {
            text_bytes: 40,
            ..l
        };
        let e = read_csv(&"1234567\n".repeat(6), &l).unwrap_err();
        assert_eq!(e, ReadError::Limit(LimitError::Text { limit: 40 }));
        let s = read_csv("编码,名称\n A-1 ,甲\n\"多\n行\",乙\n丙,丁\n", &l).unwrap();
        assert_eq!(s.rows[1], (2, vec!["A-1".to_string(), "甲".to_string()]));
        assert_eq!(s.rows[2].1[0], "多\n行");
        assert_eq!(s.rows[3].0, 5, "a row's number is the line it starts on");
    }

    #[test]
    fn claimed_counts_read_as_calamine_reads_them() {
        assert_eq!(claimed_count(b"0004294967295"), 4_294_967_295);
        assert_eq!(claimed_count(b"99999999999999999999999"), u64::MAX);
        assert_eq!(claimed_count(b"+5"), 0);
        assert_eq!(claimed_count(b""), 0);
    }

    #[test]
    fn column_names_run_as_excel_writes_them() {
        assert_eq!(column_name(0), "A");
        assert_eq!(column_name(25), "Z");
        assert_eq!(column_name(26), "AA");
        assert_eq!(column_name(16_383), "XFD");
    }

    #[test]
    fn numbers_read_without_float_noise() {
        assert_eq!(cell_text(DataRef::Float(0.1 + 0.2)), "0.3");
        assert_eq!(cell_text(DataRef::Float(12.0)), "12");
        assert_eq!(
            cell_text(DataRef::Float(1e300)),
            "1e300".parse::<f64>().unwrap().to_string()
        );
        assert_eq!(cell_text(DataRef::SharedString(" 甲 ")), "甲");
    }
}
