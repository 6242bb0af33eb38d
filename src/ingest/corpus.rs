//! External corpora in the peers' JSONL format (one indicator per line: id, name, definition,
//! level1, level2, project_types, unit), so zhibiao can be measured on the very data the peer
//! engines were.

use super::library::{FileError, Library, LoadError};
use crate::domain::{
    Basis, Catalog, Code, Direction, Indicator, Provenance, Status, Term, ValueType,
};
use serde::Deserialize;
use sha2::{Digest, Sha256};
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
    Ok(format!("{:x}", Sha256::digest(std::fs::read(path)?)))
}

/// Reads a corpus; `base` supplies the framework and units.
pub fn load_jsonl(path: &Path, base: &Catalog) -> Result<Library, LoadError> {
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
    let mut indicators = Vec::new();
    let mut types = BTreeSet::new();
    for (i, l) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let line: Line =
            serde_json::from_str(l).map_err(|e| err(Some(i + 1), format!("JSON 格式错误：{e}")))?;
        let id = match &line.id {
            serde_json::Value::String(s) => s.clone(),
            v => v.to_string(),
        };
        let code = Code::parse(&id).map_err(|e| err(Some(i + 1), e))?;
        types.extend(line.project_types.iter().cloned());
        indicators.push(Indicator {
            code,
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
        });
    }
    let types: Vec<String> = types.into_iter().collect();
    Ok(Library {
        catalog: Catalog::for_corpus(&types, base),
        indicators,
        source_hash: format!("{:x}", Sha256::digest(text.as_bytes())),
        origins: Default::default(),
    })
}
