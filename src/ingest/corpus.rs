//! External corpora in the peers' JSONL format (one indicator per line: id, name, definition,
//! level1, level2, project_types, unit), so zhibiao can be measured on the very data the peer
//! engines were. Every field that pages and the API show is checked before anything is stored:
//! levels from the framework, units from the unit table, bounded lengths, no control characters.

use super::library::{FileError, LoadError};
use crate::digest::sha256_hex;
use crate::domain::{
    Basis, Catalog, Code, Direction, Indicator, Library, Provenance, Status, Term, ValueType,
};
use serde::Deserialize;
use std::collections::BTreeSet;
use std::path::Path;

#[derive(Deserialize)]
struct Line {
    id: serde_json::Value,
    name: String,
    #[serde(default)]
    definition: String,
    #[serde(default)]
    level1: String,
    #[serde(default)]
    level2: String,
    #[serde(default)]
    project_types: Vec<String>,
    #[serde(default)]
    unit: String,
}

/// The hash `load_jsonl` records for a corpus file, without parsing it.
pub fn file_hash(path: &Path) -> std::io::Result<String> {
    Ok(sha256_hex(std::fs::read(path)?))
}

/// A corpus file checked whole: every line parses and has a valid code. Its indicators are
/// parsed again, one at a time, as they are written: held all at once, 100,000 of them take
/// about 150 MB, half the memory a first load may use.
pub struct Corpus {
    text: String,
    pub catalog: Catalog,
    pub source_hash: String,
    /// Indicators in the file.
    pub len: usize,
}

impl Corpus {
    /// Reads and checks a corpus; `base` supplies the framework and units.
    pub fn read(path: &Path, base: &Catalog) -> Result<Corpus, LoadError> {
        let err = |line: Option<usize>, message: String| {
            LoadError(vec![FileError {
                file: path.to_path_buf(),
                line,
                code: None,
                message,
            }])
        };
        let text =
            std::fs::read_to_string(path).map_err(|e| err(None, format!("无法读取文件：{e}")))?;
        let mut types = BTreeSet::new();
        let mut len = 0;
        for (i, l) in lines(&text) {
            let ind = parse(l)
                .and_then(|line| check(&line, base).map(|()| line))
                .and_then(to_indicator)
                .map_err(|e| err(Some(i + 1), e))?;
            types.extend(ind.project_types);
            len += 1;
        }
        let types: Vec<String> = types.into_iter().collect();
        Ok(Corpus {
            catalog: Catalog::for_corpus(&types, base),
            source_hash: sha256_hex(&text),
            len,
            text,
        })
    }

    /// The indicators, in file order.
    pub fn indicators(&self) -> impl Iterator<Item = Indicator> + '_ {
        lines(&self.text)
            .map(|(_, l)| indicator(l).expect("every line was checked by Corpus::read"))
    }

    pub fn into_library(self) -> Library {
        Library {
            indicators: self.indicators().collect(),
            catalog: self.catalog,
            source_hash: self.source_hash,
            origins: Default::default(),
        }
    }
}

/// Reads a corpus whole; `base` supplies the framework and units.
pub fn load_jsonl(path: &Path, base: &Catalog) -> Result<Library, LoadError> {
    Corpus::read(path, base).map(Corpus::into_library)
}

/// The non-blank lines, with their index.
fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
}

fn indicator(l: &str) -> Result<Indicator, String> {
    parse(l).and_then(to_indicator)
}

fn parse(l: &str) -> Result<Line, String> {
    serde_json::from_str(l).map_err(|e| format!("JSON 格式错误：{e}"))
}

/// Longest name, definition and project type name (characters), and most project types.
const MAX_NAME: usize = 200;
const MAX_DEFINITION: usize = 5_000;
const MAX_TYPE_NAME: usize = 100;
const MAX_TYPES: usize = 50;

/// The shown fields of one line against the rules (and `base`'s framework and units).
fn check(line: &Line, base: &Catalog) -> Result<(), String> {
    if line.name.trim().is_empty() {
        return Err("字段 name（指标名称）不能为空".into());
    }
    plain_text("name", &line.name, MAX_NAME, false)?;
    plain_text("definition", &line.definition, MAX_DEFINITION, true)?;
    for (field, v) in [
        ("level1", &line.level1),
        ("level2", &line.level2),
        ("unit", &line.unit),
    ] {
        plain_text(field, v, MAX_NAME, false)?;
    }
    let level1s = base.frameworks.iter().flat_map(|f| &f.level1);
    if !line.level1.is_empty() && !level1s.clone().any(|l| l.name == line.level1) {
        let names: BTreeSet<&str> = level1s.map(|l| l.name.as_str()).collect();
        return Err(format!(
            "字段 level1 的值“{}”不是指标体系中的一级指标（可选：{}）",
            line.level1,
            names.into_iter().collect::<Vec<_>>().join("、")
        ));
    }
    if !line.level2.is_empty() {
        let under = |l: &&crate::domain::Level1Def| line.level1.is_empty() || l.name == line.level1;
        let level1s = base.frameworks.iter().flat_map(|f| &f.level1);
        if !level1s
            .clone()
            .filter(under)
            .any(|l| l.level2.contains(&line.level2))
        {
            let names: BTreeSet<&str> = level1s
                .filter(under)
                .flat_map(|l| l.level2.iter().map(String::as_str))
                .collect();
            return Err(format!(
                "字段 level2 的值“{}”不是指标体系中{}的二级指标（可选：{}）",
                line.level2,
                if line.level1.is_empty() {
                    String::new()
                } else {
                    format!("“{}”下", line.level1)
                },
                names.into_iter().collect::<Vec<_>>().join("、")
            ));
        }
    }
    if !line.unit.is_empty() && base.unit(&line.unit).is_none() {
        return Err(format!(
            "字段 unit 的值“{}”不是计量单位表中的单位（见 indicators/units.toml）",
            line.unit
        ));
    }
    if line.project_types.len() > MAX_TYPES {
        return Err(format!(
            "字段 project_types 最多 {MAX_TYPES} 项，收到 {} 项",
            line.project_types.len()
        ));
    }
    for t in &line.project_types {
        if t.trim().is_empty() {
            return Err("字段 project_types 中有空的项目类型名称".into());
        }
        plain_text("project_types", t, MAX_TYPE_NAME, false)?;
    }
    Ok(())
}

/// Text without control characters (line breaks and tabs only where `multiline`) or the
/// direction overrides that make text read differently from what it holds, and not too long.
fn plain_text(field: &str, v: &str, max: usize, multiline: bool) -> Result<(), String> {
    let n = v.chars().count();
    if n > max {
        return Err(format!("字段 {field} 过长：最多 {max} 个字符，收到 {n} 个"));
    }
    let bidi = |c: char| matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    if let Some(c) = v
        .chars()
        .find(|&c| (c.is_control() && !(multiline && matches!(c, '\n' | '\t'))) || bidi(c))
    {
        return Err(format!(
            "字段 {field} 含有控制字符 U+{:04X}（“{}”）",
            c as u32,
            v.chars().take(30).collect::<String>().escape_debug()
        ));
    }
    Ok(())
}

fn to_indicator(line: Line) -> Result<Indicator, String> {
    let id = match &line.id {
        serde_json::Value::String(s) => s.clone(),
        v => v.to_string(),
    };
    Ok(Indicator {
        code: Code::parse(&id)?,
        name: line.name,
        aliases: vec![],
        level1: line.level1,
        level2: line.level2,
        definition: line.definition,
        formula: String::new(),
        value_type: ValueType::Quantitative,
        direction: Direction::AtLeast,
        unit: line.unit,
        target: String::new(),
        basis: Basis::Other,
        basis_doc: String::new(),
        valid_year: String::new(),
        data_source: String::new(),
        scoring: String::new(),
        weight: 10,
        project_types: line.project_types,
        natures: vec![],
        core: vec![],
        term: Term::Annual,
        cost_kind: None,
        provenance: Provenance::Submitted,
        status: Status::Active,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::library;
    use serde_json::json;

    fn base() -> Catalog {
        library::load_dir(&library::default_dir()).unwrap().catalog
    }

    fn read(text: &str) -> Result<Corpus, LoadError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("corpus.jsonl");
        std::fs::write(&path, text).unwrap();
        Corpus::read(&path, &base())
    }

    #[test]
    fn a_corpus_gives_its_indicators_in_order_with_its_types_in_the_catalog() {
        let c = read(concat!(
            r#"{"id":"ind-000001","name":"道路养护完成率","project_types":["道路建设"],"unit":"%"}"#,
            "\n\n",
            r#"{"id":2,"name":"受益群众满意度","definition":"调查","project_types":["乡村振兴"]}"#,
            "\n",
        ))
        .unwrap();
        assert_eq!(c.len, 2);
        let inds: Vec<Indicator> = c.indicators().collect();
        assert_eq!(inds.len(), 2);
        assert_eq!(inds[0].code.as_str(), "ind-000001");
        assert_eq!(inds[1].code.as_str(), "2");
        assert_eq!(inds[1].definition, "调查");
        for t in ["道路建设", "乡村振兴"] {
            assert!(
                c.catalog.project_types.iter().any(|p| p.name == t),
                "{t} is a project type of the corpus"
            );
        }
        assert_eq!(c.source_hash.len(), 64);
    }

    #[test]
    fn a_bad_line_is_refused_with_its_line_number() {
        let err = read(concat!(
            r#"{"id":"ind-1","name":"道路养护完成率"}"#,
            "\n",
            r#"{"id":"ind-2","name":"#,
            "\n",
        ))
        .err()
        .expect("a broken line is an error");
        assert_eq!(err.0.len(), 1);
        assert_eq!(err.0[0].line, Some(2));
        assert!(err.0[0].message.contains("JSON"), "{}", err.0[0].message);
    }

    /// What pages and the API show from a corpus is checked before anything is stored: a line
    /// with markup where a level or unit belongs, a control character or an overlong name is
    /// refused with its line number and the reason.
    #[test]
    fn shown_fields_must_come_from_the_framework_and_units_and_be_plain_text() {
        let ok = r#"{"id":"a1","name":"道路养护完成率","level1":"产出指标","level2":"数量指标","unit":"%","definition":"第一行\n第二行"}"#;
        assert!(read(ok).is_ok());
        // The 2021 central framework's levels are levels too.
        assert!(read(r#"{"id":"a2","name":"单位成本","level1":"成本指标","level2":"经济成本指标","unit":"万元"}"#).is_ok());
        let long = "长".repeat(201);
        let cases = [
            ("level2", json!("<img src=x onerror=alert(1)>"), None),
            ("level2", json!("服务对象满意度指标"), Some("产出指标")),
            ("level1", json!("投入指标"), None),
            ("unit", json!("<script>alert(1)</script>"), None),
            ("unit", json!("公里\u{0}"), None),
            ("name", json!(long), None),
            ("name", json!("道路\u{202e}率成完"), None),
            ("name", json!("  "), None),
            ("definition", json!("\u{1b}[31m红色"), None),
            ("project_types", json!(["道路\r建设"]), None),
            ("project_types", json!(vec!["道路"; 51]), None),
        ];
        for (field, value, level1) in cases {
            let mut bad = json!({ "id": "b", "name": "完成率" });
            if let Some(l) = level1 {
                bad["level1"] = json!(l);
            }
            bad[field] = value.clone();
            let err = read(&format!("{ok}\n{bad}\n"))
                .err()
                .unwrap_or_else(|| panic!("{bad} was accepted"));
            assert_eq!(err.0[0].line, Some(2), "{bad}");
            assert!(
                err.0[0].message.contains(field),
                "{bad}: {}",
                err.0[0].message
            );
        }
    }
}
