//! The review rules drafts are checked against: `review_rules.toml` beside the library files, or
//! the bundled rules for an external corpus. Read at start-up and by `zhibiao check`, so a bad
//! file is refused before any server starts on it.

use super::{FileError, LoadError};
use crate::domain::lint::LintConfig;
use std::path::Path;

/// The file's name in the library folder.
pub const FILE: &str = "review_rules.toml";

/// The bundled review rules (`None`), or the bureau's file when one is configured.
pub fn load_rules(path: Option<&Path>) -> Result<LintConfig, LoadError> {
    let Some(p) = path else {
        return Ok(LintConfig::bundled());
    };
    let problem = |message: String| {
        LoadError(vec![FileError {
            file: p.to_path_buf(),
            line: None,
            code: None,
            message,
        }])
    };
    let text = std::fs::read_to_string(p).map_err(|e| problem(format!("无法读取审核规则：{e}")))?;
    LintConfig::parse(&text).map_err(problem)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_rules_file_is_refused_with_its_path() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(FILE);
        std::fs::write(&p, "warnings = 3\n").unwrap();
        let e = load_rules(Some(&p)).unwrap_err().to_string();
        assert!(e.contains(FILE) && e.contains("审核规则配置有误"), "{e}");
        let e = load_rules(Some(&dir.path().join("none.toml")))
            .unwrap_err()
            .to_string();
        assert!(e.contains("无法读取审核规则"), "{e}");
    }

    #[test]
    fn the_bundled_file_loads() {
        let p = crate::ingest::library::default_dir().join(FILE);
        assert_eq!(
            load_rules(Some(&p)).unwrap().warnings,
            LintConfig::bundled().warnings
        );
    }
}
