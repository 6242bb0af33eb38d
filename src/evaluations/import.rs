//! Reading self-evaluation tables (自评表) from `.xlsx`, CSV or JSON into evaluated projects, with
//! a Chinese error for every bad cell (file, sheet, row, column) and the source of every row kept.
//!
//! The layout: one row per indicator, the project's columns repeated on every row (or left blank
//! under the first row, as merged cells read). JSON is an array of projects with nested
//! `indicators`, with the same fields under English or Chinese names.

use super::units::{self, UnitTable};
use crate::domain::evaluation::project_id;
use crate::domain::{Catalog, EvaluatedProject, EvaluationRow, Grade, SourceRef};
use crate::ingest::sheet::{self, LimitError, ReadError, SheetLimits, Workbook};
use crate::text::{compact, normalize};
use serde::Serialize;
use std::collections::HashMap;

/// The columns of the template, in order, and whether a file must have them.
pub const COLUMNS: [(&str, bool); 18] = [
    ("项目名称", true),
    ("预算单位", true),
    ("年度", true),
    ("项目类型", true),
    ("预算金额(万元)", true),
    ("预算执行率(%)", true),
    ("自评得分", true),
    ("评价等级", false),
    ("一级指标", true),
    ("二级指标", true),
    ("三级指标", true),
    ("指标编码", false),
    ("计量单位", true),
    ("指标方向", false),
    ("年度目标值", true),
    ("实际完成值", true),
    ("得分", false),
    ("偏差原因", false),
];

/// Other headings forms use for the same columns (compared after folding width and spaces).
const HEADER_ALIASES: &[(&str, &str)] = &[
    ("预算金额", "预算金额(万元)"),
    ("项目金额(万元)", "预算金额(万元)"),
    ("预算执行率", "预算执行率(%)"),
    ("执行率(%)", "预算执行率(%)"),
    ("项目得分", "自评得分"),
    ("评价得分", "自评得分"),
    ("总得分", "自评得分"),
    ("等级", "评价等级"),
    ("自评等级", "评价等级"),
    ("指标名称", "三级指标"),
    ("编码", "指标编码"),
    ("单位", "计量单位"),
    ("方向", "指标方向"),
    ("目标值", "年度目标值"),
    ("年度指标值", "年度目标值"),
    ("指标值", "年度目标值"),
    ("实际值", "实际完成值"),
    ("完成值", "实际完成值"),
    ("全年实际完成值", "实际完成值"),
    ("指标得分", "得分"),
    ("未完成原因", "偏差原因"),
    ("偏差原因分析及改进措施", "偏差原因"),
];

/// Longest text in one cell of an evaluation row (the file's own limits are `SheetLimits`).
const MAX_CELL_CHARS: usize = 2_000;

/// A problem with the whole file: nothing of it can be read.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum ImportFileError {
    #[error("文件为空")]
    Empty,
    #[error("不是有效的 Excel (.xlsx) 文件：{0}")]
    NotXlsx(String),
    #[error("CSV 文件不是 UTF-8 编码（请在 Excel 中另存为“CSV UTF-8”）")]
    NotUtf8,
    #[error("CSV 文件无法读取：{0}")]
    BadCsv(String),
    #[error("JSON 文件无法解析：{0}")]
    BadJson(String),
    #[error(
        "找不到自评表的表头：前 20 行中没有同时含“项目名称”和“三级指标”的一行（请使用下载的模板）"
    )]
    NoHeader,
    #[error("工作表“{sheet}”缺少必需的列：{}（请使用下载的模板）", missing.join("、"))]
    MissingColumns { sheet: String, missing: Vec<String> },
    #[error("文件中没有指标行")]
    NoRows,
    /// The file passed a size or count limit.
    #[error(transparent)]
    Limit(#[from] LimitError),
}

impl From<ReadError> for ImportFileError {
    fn from(e: ReadError) -> ImportFileError {
        match e {
            ReadError::Limit(l) => ImportFileError::Limit(l),
            ReadError::NotXlsx(m) => ImportFileError::NotXlsx(m),
            ReadError::Csv(m) => ImportFileError::BadCsv(m),
        }
    }
}

impl ImportFileError {
    /// A stable code for the API.
    pub fn code(&self) -> &'static str {
        match self {
            ImportFileError::Empty | ImportFileError::NoRows => "empty_file",
            ImportFileError::NotXlsx(_) => "not_xlsx",
            ImportFileError::NotUtf8 | ImportFileError::BadCsv(_) => "invalid_csv",
            ImportFileError::BadJson(_) => "invalid_json",
            ImportFileError::NoHeader | ImportFileError::MissingColumns { .. } => "missing_columns",
            ImportFileError::Limit(l) => l.code(),
        }
    }
}

/// A problem in one row (and column) of the file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RowError {
    pub source: SourceRef,
    pub column: Option<String>,
    pub message: String,
}

/// What a file holds: the projects it describes, in file order, and every row's problems.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub format: &'static str,
    pub projects: Vec<EvaluatedProject>,
    pub rows: usize,
    pub errors: Vec<RowError>,
}

/// One table row as text, in `COLUMNS` order ("" where the file has no such column).
struct Record {
    source: SourceRef,
    cells: Vec<String>,
}

fn col(name: &str) -> usize {
    COLUMNS
        .iter()
        .position(|(c, _)| *c == name)
        .expect("a template column")
}

/// Maps a header row to template columns; errors name the missing required ones.
fn header_map(sheet: &str, header: &[String]) -> Result<Vec<Option<usize>>, ImportFileError> {
    let canon: HashMap<String, usize> = COLUMNS
        .iter()
        .enumerate()
        .map(|(i, (c, _))| (compact(c), i))
        .chain(HEADER_ALIASES.iter().map(|(a, c)| (compact(a), col(c))))
        .collect();
    let map: Vec<Option<usize>> = header
        .iter()
        .map(|h| canon.get(&compact(h)).copied())
        .collect();
    let missing: Vec<String> = COLUMNS
        .iter()
        .enumerate()
        .filter(|(i, (_, required))| *required && !map.contains(&Some(*i)))
        .map(|(_, (c, _))| c.to_string())
        .collect();
    if missing.is_empty() {
        Ok(map)
    } else {
        Err(ImportFileError::MissingColumns {
            sheet: sheet.to_string(),
            missing,
        })
    }
}

fn is_header(cells: &[String]) -> bool {
    let f: Vec<String> = cells.iter().map(|c| compact(c)).collect();
    f.iter().any(|c| c == "项目名称") && f.iter().any(|c| c == "三级指标" || c == "指标名称")
}

/// Rows of one sheet (already text, with their sheet row numbers) to records.
fn records_of(
    file: &str,
    sheet: &str,
    rows: Vec<(u32, Vec<String>)>,
    limits: &SheetLimits,
    out: &mut Vec<Record>,
) -> Result<bool, ImportFileError> {
    let Some(h) = rows.iter().take(20).position(|(_, r)| is_header(r)) else {
        return Ok(false);
    };
    let map = header_map(sheet, &rows[h].1)?;
    for (n, cells) in rows.into_iter().skip(h + 1) {
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let mut rec = vec![String::new(); COLUMNS.len()];
        for (i, c) in cells.into_iter().enumerate() {
            if let Some(Some(k)) = map.get(i) {
                rec[*k] = c.trim().to_string();
            }
        }
        out.push(Record {
            source: SourceRef {
                file: file.to_string(),
                sheet: sheet.to_string(),
                row: n,
            },
            cells: rec,
        });
        too_many(out.len(), limits)?;
    }
    Ok(true)
}

/// Indicator rows across a file's sheets (or JSON projects) are bounded like a sheet's rows.
fn too_many(records: usize, limits: &SheetLimits) -> Result<(), ImportFileError> {
    if records > limits.rows as usize {
        return Err(LimitError::Rows { limit: limits.rows }.into());
    }
    Ok(())
}

fn read_xlsx(
    file: &str,
    bytes: &[u8],
    limits: &SheetLimits,
) -> Result<Vec<Record>, ImportFileError> {
    let mut book = Workbook::open(bytes, limits)?;
    let mut out = Vec::new();
    let mut any = false;
    for name in book.sheet_names() {
        let rows = book.sheet(&name)?.rows;
        any |= records_of(file, &name, rows, limits, &mut out)?;
    }
    if !any {
        return Err(ImportFileError::NoHeader);
    }
    Ok(out)
}

fn read_csv(
    file: &str,
    bytes: &[u8],
    limits: &SheetLimits,
) -> Result<Vec<Record>, ImportFileError> {
    let text = std::str::from_utf8(bytes).map_err(|_| ImportFileError::NotUtf8)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let rows = sheet::read_csv(text, limits)?.rows;
    let mut out = Vec::new();
    if !records_of(file, "CSV", rows, limits, &mut out)? {
        return Err(ImportFileError::NoHeader);
    }
    Ok(out)
}

/// JSON field names (English, as the API writes them, or Chinese) → template column.
const JSON_PROJECT_FIELDS: &[(&str, &str)] = &[
    ("name", "项目名称"),
    ("unit_name", "预算单位"),
    ("year", "年度"),
    ("project_type", "项目类型"),
    ("budget_wan", "预算金额(万元)"),
    ("execution_rate", "预算执行率(%)"),
    ("score", "自评得分"),
    ("grade", "评价等级"),
];
const JSON_ROW_FIELDS: &[(&str, &str)] = &[
    ("level1", "一级指标"),
    ("level2", "二级指标"),
    ("name", "三级指标"),
    ("code", "指标编码"),
    ("unit", "计量单位"),
    ("direction", "指标方向"),
    ("target", "年度目标值"),
    ("actual", "实际完成值"),
    ("score", "得分"),
    ("deviation_reason", "偏差原因"),
];

fn json_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// JSON values a file may hold: each costs tens of bytes once parsed, so a file of `[0,0,…]`
/// would grow many times its size; counted on the bytes before parsing, bounded like cells.
fn json_values(bytes: &[u8]) -> u64 {
    let (mut values, mut in_string, mut escaped) = (1u64, false, false);
    for &b in bytes {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
        } else {
            match b {
                b'"' => in_string = true,
                b',' | b'[' | b'{' | b':' => values += 1,
                _ => {}
            }
        }
    }
    values
}

fn read_json(
    file: &str,
    bytes: &[u8],
    limits: &SheetLimits,
) -> Result<Vec<Record>, ImportFileError> {
    if json_values(bytes) > limits.cells {
        return Err(LimitError::Cells {
            limit: limits.cells,
        }
        .into());
    }
    let v: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| ImportFileError::BadJson(e.to_string()))?;
    let projects = match &v {
        serde_json::Value::Array(a) => a,
        serde_json::Value::Object(o) => o
            .get("projects")
            .or_else(|| o.get("项目"))
            .and_then(|p| p.as_array())
            .ok_or_else(|| {
                ImportFileError::BadJson("应为项目数组，或含 projects 数组的对象".into())
            })?,
        _ => return Err(ImportFileError::BadJson("应为项目数组".into())),
    };
    let mut out = Vec::new();
    for (p, proj) in projects.iter().enumerate() {
        let sheet = format!("projects[{p}]");
        let obj = proj
            .as_object()
            .ok_or_else(|| ImportFileError::BadJson(format!("第 {} 个项目不是对象", p + 1)))?;
        let field = |o: &serde_json::Map<String, serde_json::Value>, en: &str, zh: &str| {
            o.get(en)
                .or_else(|| o.get(zh))
                .map(json_text)
                .unwrap_or_default()
        };
        let mut head = vec![String::new(); COLUMNS.len()];
        for (en, zh) in JSON_PROJECT_FIELDS {
            head[col(zh)] = field(obj, en, zh);
        }
        let rows = obj
            .get("indicators")
            .or_else(|| obj.get("指标"))
            .and_then(|r| r.as_array())
            .ok_or_else(|| {
                ImportFileError::BadJson(format!("第 {} 个项目缺少 indicators 数组", p + 1))
            })?;
        for (i, row) in rows.iter().enumerate() {
            let o = row.as_object().ok_or_else(|| {
                ImportFileError::BadJson(format!(
                    "第 {} 个项目的第 {} 个指标不是对象",
                    p + 1,
                    i + 1
                ))
            })?;
            let mut cells = head.clone();
            for (en, zh) in JSON_ROW_FIELDS {
                cells[col(zh)] = field(o, en, zh).trim().to_string();
            }
            out.push(Record {
                source: SourceRef {
                    file: file.to_string(),
                    sheet: sheet.clone(),
                    row: i as u32 + 1,
                },
                cells,
            });
            too_many(out.len(), limits)?;
        }
    }
    Ok(out)
}

/// Which reader a file needs: by its bytes first (a renamed file still reads), then its name.
pub fn detect(file: &str, bytes: &[u8]) -> &'static str {
    if bytes.starts_with(b"PK\x03\x04") {
        return "xlsx";
    }
    let first = bytes
        .strip_prefix("\u{feff}".as_bytes())
        .unwrap_or(bytes)
        .iter()
        .find(|b| !b.is_ascii_whitespace());
    if matches!(first, Some(b'[' | b'{')) {
        return "json";
    }
    if file.to_ascii_lowercase().ends_with(".xlsx") {
        return "xlsx";
    }
    "csv"
}

/// A number as written in a form: `98.5`, `98.5%`, `≥95`, `1,200`, `５.２公里` (leading direction
/// signs and trailing units are ignored). `None` for text such as 达到预期.
pub fn number(s: &str) -> Option<f64> {
    let s = normalize(s);
    let s = s
        .trim()
        .trim_start_matches(['≥', '≤', '>', '<', '=', '约', '不', '低', '高', '于']);
    let num: String = s
        .chars()
        .take_while(|c| c.is_ascii_digit() || matches!(c, '.' | ',' | '-' | '+'))
        .filter(|c| *c != ',')
        .collect();
    if num.is_empty() {
        return None;
    }
    num.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// A direction as forms write it: ≥ >= 正向 不低于 → `≥`; ≤ <= 反向 不高于 → `≤`; = → `=`;
/// 定性 → `定性`.
pub fn direction(s: &str) -> Option<&'static str> {
    match normalize(s).trim() {
        "≥" | ">=" | ">" | "正向" | "不低于" | "不少于" | "大于等于" => Some("≥"),
        "≤" | "<=" | "<" | "反向" | "不高于" | "不超过" | "小于等于" => Some("≤"),
        "=" | "等于" | "==" => Some("="),
        "定性" => Some("定性"),
        _ => None,
    }
}

/// A value's leading direction sign (≥95 → ≥), and the value without it.
fn split_sign(v: &str) -> (Option<&'static str>, String) {
    let t = v.trim();
    for (prefix, d) in [
        ("≥", "≥"),
        (">=", "≥"),
        ("≤", "≤"),
        ("<=", "≤"),
        ("＞＝", "≥"),
        ("＜＝", "≤"),
        ("=", "="),
    ] {
        if let Some(rest) = t.strip_prefix(prefix) {
            return (Some(d), rest.trim().to_string());
        }
    }
    (None, t.to_string())
}

/// Level 2 as the catalog writes it: `社会效益` → `社会效益指标`.
fn level2_name(catalog: &Catalog, level1: &str, s: &str) -> Option<String> {
    let s = compact(s);
    let fw = catalog
        .frameworks
        .iter()
        .flat_map(|f| f.level1.iter())
        .filter(|l| level1.is_empty() || l.name == level1);
    for l in fw {
        for l2 in &l.level2 {
            if *l2 == s || l2.strip_suffix("指标") == Some(s.as_str()) {
                return Some(l2.clone());
            }
        }
    }
    None
}

fn level1_name(catalog: &Catalog, s: &str) -> Option<String> {
    let s = compact(s);
    catalog
        .frameworks
        .iter()
        .flat_map(|f| f.level1.iter())
        .find(|l| l.name == s || l.name.strip_suffix("指标") == Some(s.as_str()))
        .map(|l| l.name.clone())
}

/// Project type by code or name.
fn project_type(catalog: &Catalog, s: &str) -> Option<String> {
    let s = s.trim();
    catalog
        .project_types
        .iter()
        .find(|t| t.code == s || t.name == s)
        .map(|t| t.code.clone())
}

/// Project columns, filled down from the row above when left blank (merged cells).
const PROJECT_COLUMNS: [&str; 8] = [
    "项目名称",
    "预算单位",
    "年度",
    "项目类型",
    "预算金额(万元)",
    "预算执行率(%)",
    "自评得分",
    "评价等级",
];

/// Reads and checks a whole file. A file-level problem (unreadable, too large, no header, missing
/// columns) is an `Err`; problems in rows are listed in `Parsed::errors` beside what could be read.
pub fn parse(
    file: &str,
    bytes: &[u8],
    catalog: &Catalog,
    limits: &SheetLimits,
) -> Result<Parsed, ImportFileError> {
    sheet::check_upload(bytes.len(), limits)?;
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(ImportFileError::Empty);
    }
    let format = detect(file, bytes);
    let mut records = match format {
        "xlsx" => read_xlsx(file, bytes, limits)?,
        "json" => read_json(file, bytes, limits)?,
        _ => read_csv(file, bytes, limits)?,
    };
    if records.is_empty() {
        return Err(ImportFileError::NoRows);
    }
    // Fill down blank project cells and level 1/2 (merged cells keep their text in the first row).
    let mut prev: Option<Vec<String>> = None;
    for r in &mut records {
        if let Some(p) = &prev
            && r.cells[col("项目名称")].is_empty()
            && p[0] == r.source.sheet
        {
            for c in PROJECT_COLUMNS.iter().chain(&["一级指标", "二级指标"]) {
                let k = col(c);
                if r.cells[k].is_empty() {
                    r.cells[k] = p[k + 1].clone();
                }
            }
        } else if let Some(p) = &prev
            && p[0] == r.source.sheet
            && p[col("项目名称") + 1] == r.cells[col("项目名称")]
        {
            for c in ["一级指标", "二级指标"] {
                let k = col(c);
                if r.cells[k].is_empty() {
                    r.cells[k] = p[k + 1].clone();
                }
            }
        }
        let mut p = vec![r.source.sheet.clone()];
        p.extend(r.cells.iter().cloned());
        prev = Some(p);
    }

    let mut errors = Vec::new();
    let mut projects: Vec<EvaluatedProject> = Vec::new();
    let mut index: HashMap<String, (usize, u32)> = HashMap::new();
    let rows = records.len();
    for rec in records {
        let mut errs: Vec<(String, String)> = Vec::new();
        let cell = |name: &str| rec.cells[col(name)].as_str();
        for (i, v) in rec.cells.iter().enumerate() {
            if v.chars().count() > MAX_CELL_CHARS {
                errs.push((
                    COLUMNS[i].0.to_string(),
                    format!("内容过长（最多 {MAX_CELL_CHARS} 字）"),
                ));
            }
        }
        let mut need = |name: &str| -> String {
            let v = cell(name).to_string();
            if v.is_empty() {
                errs.push((name.to_string(), "不能为空".into()));
            }
            v
        };
        let name = need("项目名称");
        let unit_name = need("预算单位");
        let year_text = need("年度");
        let type_text = need("项目类型");
        let budget_text = need("预算金额(万元)");
        let rate_text = need("预算执行率(%)");
        let score_text = need("自评得分");
        let l1_text = need("一级指标");
        let l2_text = need("二级指标");
        let ind_name = need("三级指标");
        let target_text = need("年度目标值");
        let actual_text = need("实际完成值");
        let mut bad = |c: &str, m: String| errs.push((c.to_string(), m));

        let year = year_text
            .trim_end_matches('年')
            .trim()
            .parse::<i32>()
            .ok()
            .filter(|y| (2000..=2100).contains(y));
        if year.is_none() && !year_text.is_empty() {
            bad("年度", format!("“{year_text}”不是年份（如 2024）"));
        }
        let ptype = project_type(catalog, &type_text);
        if ptype.is_none() && !type_text.is_empty() {
            bad(
                "项目类型",
                format!("“{type_text}”不是指标库中的项目类型（填写类型名称或编码，见 /browse）"),
            );
        }
        let mut num = |c: &str, v: &str, lo: f64, hi: f64| -> Option<f64> {
            if v.is_empty() {
                return None;
            }
            match number(v) {
                Some(x) if (lo..=hi).contains(&x) => Some(x),
                Some(x) => {
                    bad(c, format!("{x} 超出范围（{lo}–{hi}）"));
                    None
                }
                None => {
                    bad(c, format!("“{v}”不是数字"));
                    None
                }
            }
        };
        let budget = num("预算金额(万元)", &budget_text, 0.0, 1e9);
        let rate = num("预算执行率(%)", &rate_text, 0.0, 100.0);
        let score = num("自评得分", &score_text, 0.0, 100.0);
        let row_score = num("得分", cell("得分"), 0.0, 100.0);
        let grade = match (cell("评价等级"), score) {
            ("", Some(s)) => Some(Grade::from_score(s)),
            ("", None) => None,
            (g, s) => match Grade::parse(g) {
                None => {
                    bad("评价等级", format!("“{g}”无效（应为 优、良、中 或 差）"));
                    None
                }
                Some(g) if s.is_some_and(|s| Grade::from_score(s) != g) => {
                    bad(
                        "评价等级",
                        format!(
                            "“{g}”与自评得分 {} 不符（优 ≥90，良 80–89，中 60–79，差 <60）",
                            s.unwrap_or_default()
                        ),
                    );
                    None
                }
                Some(g) => Some(g),
            },
        };
        let level1 = level1_name(catalog, &l1_text);
        if level1.is_none() && !l1_text.is_empty() {
            bad(
                "一级指标",
                format!("“{l1_text}”不是一级指标（产出指标、效益指标、满意度指标、成本指标）"),
            );
        }
        let level2 = level2_name(catalog, level1.as_deref().unwrap_or(""), &l2_text);
        if level2.is_none() && !l2_text.is_empty() && level1.is_some() {
            bad(
                "二级指标",
                format!("“{l2_text}”不是“{l1_text}”下的二级指标"),
            );
        }
        let code = Some(cell("指标编码").to_string()).filter(|c| !c.is_empty());
        if let Some(c) = &code
            && crate::domain::Code::parse(c).is_err()
        {
            bad("指标编码", format!("“{c}”不是有效的指标编码"));
        }
        let (sign, target) = split_sign(&target_text);
        let dir_text = cell("指标方向");
        let dir = if dir_text.is_empty() {
            Some(sign.unwrap_or(""))
        } else {
            direction(dir_text)
        };
        if dir.is_none() {
            bad(
                "指标方向",
                format!("“{dir_text}”无效（应为 ≥、≤、= 或 定性）"),
            );
        }
        let (_, actual) = split_sign(&actual_text);

        let id = year.map(|y| project_id(y, &unit_name, &name));
        // The same project on several rows must say the same about the project.
        if let (Some(id), Some(y), Some(t), Some(b), Some(r), Some(s), Some(g)) =
            (&id, year, &ptype, budget, rate, score, grade)
        {
            match index.get(id) {
                Some((i, first_row)) => {
                    let p = &projects[*i];
                    let differs = [
                        ("项目类型", p.project_type.as_deref() != Some(t.as_str())),
                        ("预算金额(万元)", p.budget_wan != b),
                        ("预算执行率(%)", p.execution_rate != r),
                        ("自评得分", p.score != s),
                    ];
                    for (c, d) in differs {
                        if d {
                            errs.push((
                                c.to_string(),
                                format!("与同一项目第 {first_row} 行的“{c}”不一致"),
                            ));
                        }
                    }
                }
                None => {
                    index.insert(id.clone(), (projects.len(), rec.source.row));
                    projects.push(EvaluatedProject {
                        name: name.clone(),
                        unit_name: unit_name.clone(),
                        year: y,
                        project_type: Some(t.clone()),
                        budget_wan: b,
                        execution_rate: r,
                        score: s,
                        grade: g,
                        rows: vec![],
                        import: String::new(),
                    });
                }
            }
        }
        if !errs.is_empty() {
            errors.extend(errs.into_iter().map(|(c, m)| RowError {
                source: rec.source.clone(),
                column: Some(c),
                message: m,
            }));
            continue;
        }
        let (Some(id), Some(level1), Some(level2), Some(dir)) = (id, level1, level2, dir) else {
            continue;
        };
        let i = index[&id].0;
        projects[i].rows.push(EvaluationRow {
            level1,
            level2,
            name: ind_name.trim().to_string(),
            code,
            unit: unit_of(&ind_name, cell("计量单位")),
            direction: dir.to_string(),
            target,
            actual,
            score: row_score,
            deviation_reason: cell("偏差原因").to_string(),
            matched: None,
            source: rec.source,
        });
    }
    projects.retain(|p| !p.rows.is_empty() || errors.is_empty());
    Ok(Parsed {
        format,
        projects,
        rows,
        errors,
    })
}

/// A row's unit: its cell, or when that is blank the unit written into the name (完成率/%,
/// 资金（万元）), so that values in it are converted rather than read in the indicator's unit.
fn unit_of(name: &str, cell: &str) -> String {
    if !UnitTable::blank(cell) {
        return cell.to_string();
    }
    units::unit_in_name(name).map_or_else(|| cell.to_string(), |(_, u)| u.to_string())
}

/// The template's example row, in `COLUMNS` order.
pub const EXAMPLE: [&str; 18] = [
    "示例：城区主次干道改造工程",
    "区住房和城乡建设局",
    "2024",
    "城市道路建设与改造",
    "1200",
    "96.5",
    "92.5",
    "优",
    "产出指标",
    "数量指标",
    "改造提升道路里程",
    "DL-002",
    "公里",
    "≥",
    "8",
    "8.3",
    "10",
    "",
];

/// The downloadable template: header and one example row, as `.xlsx`.
pub fn template_xlsx() -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let header: Vec<String> = COLUMNS.iter().map(|(c, _)| c.to_string()).collect();
    let example: Vec<String> = EXAMPLE.iter().map(|c| c.to_string()).collect();
    table_xlsx("自评表", &[header, example])
}

/// The template as CSV (UTF-8 with BOM, for Excel).
pub fn template_csv() -> Vec<u8> {
    let header: Vec<&str> = COLUMNS.iter().map(|(c, _)| *c).collect();
    crate::ingest::csv_safe::to_bytes([header, EXAMPLE.to_vec()]).expect("in memory")
}

/// A plain table as an `.xlsx` sheet: the first row bold, numbers written as numbers.
pub fn table_xlsx(
    sheet: &str,
    rows: &[Vec<String>],
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(sheet)?;
    let bold = Format::new().set_bold().set_background_color("#EEF1F5");
    let numeric = [
        "年度",
        "预算金额(万元)",
        "预算执行率(%)",
        "自评得分",
        "得分",
    ];
    let numeric_cols: Vec<bool> = rows
        .first()
        .map(|h| h.iter().map(|c| numeric.contains(&c.as_str())).collect())
        .unwrap_or_default();
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            let (r, c16) = (r as u32, c as u16);
            if r == 0 {
                ws.write_string_with_format(r, c16, v, &bold)?;
            } else if numeric_cols.get(c) == Some(&true)
                && let Ok(x) = v.parse::<f64>()
            {
                ws.write_number(r, c16, x)?;
            } else {
                ws.write_string(r, c16, v)?;
            }
        }
    }
    for (c, (name, _)) in COLUMNS.iter().enumerate() {
        let w = match *name {
            "项目名称" | "三级指标" | "偏差原因" => 28.0,
            "预算单位" | "项目类型" => 20.0,
            _ => 11.0,
        };
        ws.set_column_width(c as u16, w)?;
    }
    ws.set_freeze_panes(1, 0)?;
    wb.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::library;

    fn catalog() -> Catalog {
        library::load_dir(&library::default_dir()).unwrap().catalog
    }

    fn csv_of(rows: &[&[&str]]) -> Vec<u8> {
        let mut out = Vec::new();
        {
            let mut w = csv::Writer::from_writer(&mut out);
            w.write_record(COLUMNS.iter().map(|(c, _)| *c)).unwrap();
            for r in rows {
                w.write_record(*r).unwrap();
            }
        }
        out
    }

    #[test]
    fn the_template_example_reads_back_as_one_project() {
        let c = catalog();
        for (name, bytes) in [
            ("t.csv", template_csv()),
            ("t.xlsx", template_xlsx().unwrap()),
        ] {
            let p = parse(name, &bytes, &c, &SheetLimits::default()).unwrap();
            assert!(p.errors.is_empty(), "{name}: {:?}", p.errors);
            assert_eq!(p.projects.len(), 1);
            let pr = &p.projects[0];
            assert_eq!(pr.project_type.as_deref(), Some("road"));
            assert_eq!((pr.score, pr.grade), (92.5, Grade::Excellent));
            let r = &pr.rows[0];
            assert_eq!((r.target.as_str(), r.actual.as_str()), ("8", "8.3"));
            assert_eq!(r.source.row, 2, "{name}: header is row 1");
            assert_eq!(r.code.as_deref(), Some("DL-002"));
        }
    }

    #[test]
    fn every_bad_cell_is_named_with_row_and_column() {
        let c = catalog();
        let mut good = EXAMPLE.to_vec();
        good[0] = "项目甲";
        let mut bad_year = good.clone();
        bad_year[2] = "二〇二四";
        let mut bad_grade = good.clone();
        bad_grade[7] = "差";
        let mut bad_type = good.clone();
        bad_type[3] = "不存在的类型";
        let mut bad_l2 = good.clone();
        bad_l2[9] = "社会效益";
        let mut bad_dir = good.clone();
        bad_dir[13] = "大概";
        let mut empty_actual = good.clone();
        empty_actual[15] = "";
        let bytes = csv_of(&[
            &good,
            &bad_year,
            &bad_grade,
            &bad_type,
            &bad_l2,
            &bad_dir,
            &empty_actual,
        ]);
        let p = parse("bad.csv", &bytes, &c, &SheetLimits::default()).unwrap();
        let at = |row: u32, col: &str| {
            p.errors
                .iter()
                .find(|e| e.source.row == row && e.column.as_deref() == Some(col))
                .unwrap_or_else(|| panic!("no error at row {row} {col}: {:?}", p.errors))
                .message
                .clone()
        };
        assert!(at(3, "年度").contains("不是年份"));
        assert!(at(4, "评价等级").contains("不符"));
        assert!(at(5, "项目类型").contains("不是指标库中的项目类型"));
        assert!(at(6, "二级指标").contains("不是“产出指标”下的二级指标"));
        assert!(at(7, "指标方向").contains("无效"));
        assert!(at(8, "实际完成值").contains("不能为空"));
        assert_eq!(p.errors.len(), 6, "{:?}", p.errors);
    }

    #[test]
    fn a_project_repeated_with_other_facts_is_an_error_and_blank_cells_fill_down() {
        let c = catalog();
        let first = EXAMPLE.to_vec();
        let mut second = vec![""; 18];
        second[10] = "人行道铺装面积";
        second[12] = "万平方米";
        second[14] = "≥3";
        second[15] = "3.1";
        let mut third = EXAMPLE.to_vec();
        third[6] = "70";
        third[7] = "";
        let p = parse(
            "x.csv",
            &csv_of(&[&first, &second, &third]),
            &c,
            &SheetLimits::default(),
        )
        .unwrap();
        assert_eq!(p.errors.len(), 1, "{:?}", p.errors);
        assert_eq!(p.errors[0].source.row, 4);
        assert!(p.errors[0].message.contains("第 2 行"), "{:?}", p.errors);
        let rows = &p.projects[0].rows;
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].level2, "数量指标", "level 2 filled down");
        assert_eq!(
            (rows[1].direction.as_str(), rows[1].target.as_str()),
            ("≥", "3")
        );
    }

    #[test]
    fn corrupt_and_mismatched_files_are_refused_with_the_reason() {
        let c = catalog();
        let e = parse("x.xlsx", b"PK\x03\x04garbage", &c, &SheetLimits::default()).unwrap_err();
        assert_eq!(e.code(), "not_xlsx");
        let e = parse(
            "x.csv",
            "项目名称,三级指标\n甲,乙\n".as_bytes(),
            &c,
            &SheetLimits::default(),
        )
        .unwrap_err();
        assert!(e.to_string().contains("缺少必需的列"), "{e}");
        assert!(e.to_string().contains("年度目标值"), "{e}");
        let e = parse(
            "x.csv",
            "a,b\n1,2\n".as_bytes(),
            &c,
            &SheetLimits::default(),
        )
        .unwrap_err();
        assert_eq!(e, ImportFileError::NoHeader);
        let e = parse(
            "x.csv",
            &[0xff, 0xfe, 0x41, 0x00],
            &c,
            &SheetLimits::default(),
        )
        .unwrap_err();
        assert_eq!(e, ImportFileError::NotUtf8);
        let e = parse("x.json", b"[{\"name\": 1}]", &c, &SheetLimits::default()).unwrap_err();
        assert_eq!(e.code(), "invalid_json");
        assert_eq!(
            parse("x.csv", b"  ", &c, &SheetLimits::default()).unwrap_err(),
            ImportFileError::Empty
        );
    }

    #[test]
    fn json_projects_with_nested_indicators_read_like_rows() {
        let c = catalog();
        let json = serde_json::json!([{
            "name": "示例项目", "unit_name": "区交通局", "year": 2025, "project_type": "road",
            "budget_wan": 800, "execution_rate": 99.1, "score": 85, "grade": "良",
            "indicators": [
                { "level1": "产出指标", "level2": "数量指标", "name": "新建道路里程", "unit": "公里",
                  "direction": "≥", "target": 5, "actual": 4.6, "deviation_reason": "天气原因" },
                { "一级指标": "满意度指标", "二级指标": "服务对象满意度", "三级指标": "群众满意度",
                  "计量单位": "%", "年度目标值": "≥90", "实际完成值": "93" }
            ]
        }]);
        let p = parse(
            "x.json",
            json.to_string().as_bytes(),
            &c,
            &SheetLimits::default(),
        )
        .unwrap();
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        let rows = &p.projects[0].rows;
        assert_eq!(rows[0].target, "5");
        assert_eq!(rows[1].level2, "服务对象满意度指标");
        assert_eq!(rows[1].direction, "≥");
        assert_eq!(rows[1].source.sheet, "projects[0]");
        assert_eq!(rows[1].source.row, 2);
    }

    #[test]
    fn files_past_the_upload_limits_are_refused_by_name() {
        let c = catalog();
        let limits = SheetLimits {
            rows: 3,
            ..SheetLimits::default()
        };
        let rows: Vec<&[&str]> = vec![&EXAMPLE; 4];
        let e = parse("x.csv", &csv_of(&rows), &c, &limits).unwrap_err();
        assert_eq!(e.code(), "too_many_rows", "{e}");
        // `[0,0,…]` grows many times its size once parsed: its values are counted first.
        let json = format!("[{}]", vec!["0"; 50].join(","));
        let limits = SheetLimits {
            cells: 40,
            ..SheetLimits::default()
        };
        let e = parse("x.json", json.as_bytes(), &c, &limits).unwrap_err();
        assert_eq!(e.code(), "too_many_cells", "{e}");
        let tiny = SheetLimits {
            upload_bytes: 10,
            ..SheetLimits::default()
        };
        let e = parse("x.csv", &csv_of(&[&EXAMPLE]), &c, &tiny).unwrap_err();
        assert_eq!(e, ImportFileError::Limit(LimitError::Upload { limit: 10 }));
        assert!(e.to_string().contains("10 字节"), "{e}");
    }

    #[test]
    fn numbers_are_read_as_forms_write_them() {
        assert_eq!(number("98.5%"), Some(98.5));
        assert_eq!(number("≥95"), Some(95.0));
        assert_eq!(number("1,200"), Some(1200.0));
        assert_eq!(number("５.２公里"), Some(5.2));
        assert_eq!(number("达到预期"), None);
        assert_eq!(direction("正向"), Some("≥"));
        assert_eq!(direction(">="), Some("≥"));
    }
}
