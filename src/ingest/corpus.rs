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
            let ind = indicator(l).map_err(|e| err(Some(i + 1), e))?;
            types.extend(ind.project_types);
            len += 1;
        }
        let types: Vec<String> = types.into_iter().collect();
        Ok(Corpus {
            catalog: Catalog::for_corpus(&types, base),
            source_hash: format!("{:x}", Sha256::digest(text.as_bytes())),
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
    let line: Line = serde_json::from_str(l).map_err(|e| format!("JSON 格式错误：{e}"))?;
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
}
