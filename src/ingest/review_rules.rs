//! The review rules drafts are checked against: `review_rules.toml` beside the library files, or
//! the bundled rules for an external corpus.

use crate::domain::lint::LintConfig;

/// The bundled review rules, or the bureau's file when one is configured.
pub fn load_rules(path: Option<&std::path::Path>) -> anyhow::Result<LintConfig> {
    match path {
        None => Ok(LintConfig::bundled()),
        Some(p) => Ok(LintConfig::parse(&std::fs::read_to_string(p)?).map_err(anyhow::Error::msg)?),
    }
}
