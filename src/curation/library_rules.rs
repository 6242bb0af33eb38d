//! The rules a proposed change must pass: the schema and the single-indicator rules (`check`),
//! and the whole-library rules of `zhibiao check`: a change may not bring a finding the published
//! library does not have (a cross-type duplicate of a common indicator, an alias a second
//! indicator claims, one name under two headings ...).

use super::{Curation, CurationError, Result};
use crate::domain::quality::{self, Finding, check_library};
use crate::domain::{Catalog, Indicator};
use crate::ingest::library::{IndicatorInput, Problems, validate};
use std::collections::HashSet;

/// Findings of the library with `changes` applied that the published library does not have.
pub fn new_findings(
    catalog: &Catalog,
    published: &[Indicator],
    changes: &[Indicator],
) -> Vec<Finding> {
    let key = |f: &Finding| (f.rule, f.code.clone(), f.message.clone());
    let before: HashSet<_> = check_library(catalog, published).iter().map(key).collect();
    let mut after: Vec<Indicator> = published
        .iter()
        .filter(|p| !changes.iter().any(|c| c.code == p.code))
        .cloned()
        .collect();
    after.extend(changes.iter().cloned());
    check_library(catalog, &after)
        .into_iter()
        .filter(|f| !before.contains(&key(f)))
        .collect()
}

/// Whether a finding concerns `code`: it is about that indicator or names it.
pub fn concerns(f: &Finding, code: &str) -> bool {
    // Whole codes only: JS-001 is not named by GX-JS-001.
    let part = |c: char| c.is_ascii_alphanumeric() || c == '-';
    f.code.as_deref() == Some(code)
        || f.message.match_indices(code).any(|(at, _)| {
            !f.message[..at].ends_with(part) && !f.message[at + code.len()..].starts_with(part)
        })
}

impl Curation {
    /// Validates an indicator as written against the schema, the catalog and the single-indicator
    /// library rules.
    pub(super) fn check(&self, input: IndicatorInput) -> Result<Indicator> {
        let catalog = self.search.catalog();
        let ind = validate(input, &catalog).map_err(|(_, problems)| CurationError::Invalid {
            message: format!(
                "指标内容有 {} 处问题：{}",
                problems.len(),
                joined(&problems)
            ),
            problems,
        })?;
        refuse(quality::check_indicator_in(&ind, &catalog))?;
        Ok(ind)
    }

    /// The findings `zhibiao check` would report on the published library with `changes` applied
    /// that it does not report now (duplicates across types, aliases with two owners ...).
    pub(super) fn library_findings(&self, changes: &[Indicator]) -> Result<Vec<quality::Finding>> {
        let catalog = self.search.catalog();
        Ok(new_findings(&catalog, &self.store.indicators()?, changes))
    }

    /// Refuses changes that would give the library a finding `zhibiao check` reports.
    pub(super) fn library_allows(&self, changes: &[Indicator]) -> Result<()> {
        refuse(self.library_findings(changes)?)
    }
}

/// The findings as the error that refuses a proposal, or nothing when there are none.
fn refuse(findings: Vec<quality::Finding>) -> Result<()> {
    if findings.is_empty() {
        return Ok(());
    }
    let problems: Problems = findings
        .iter()
        .map(|f| ("rule", format!("{}（规则 {}）", f.message, f.rule)))
        .collect();
    Err(CurationError::Invalid {
        message: format!("指标不符合指标库规则：{}", joined(&problems)),
        problems,
    })
}

/// The problems' messages in one line, as the error message shows them.
fn joined(problems: &Problems) -> String {
    problems
        .iter()
        .map(|(_, m)| m.as_str())
        .collect::<Vec<_>>()
        .join("；")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::library::{default_dir, load_dir};

    #[test]
    fn a_finding_concerns_the_codes_it_names_whole() {
        let f = Finding {
            rule: "shared-alias",
            code: Some("GX-JS-001".into()),
            message: "别名同时属于 2 个指标（GX-JS-001、DL-002）".into(),
        };
        assert!(concerns(&f, "DL-002") && concerns(&f, "GX-JS-001"));
        assert!(!concerns(&f, "JS-001") && !concerns(&f, "DL-00"));
    }

    #[test]
    fn only_what_a_change_adds_is_reported() {
        let lib = load_dir(&default_dir()).unwrap();
        let mut same = lib.indicators[0].clone();
        same.target = "1".into();
        assert!(new_findings(&lib.catalog, &lib.indicators, &[same]).is_empty());
        let owner = lib
            .indicators
            .iter()
            .find(|i| i.is_active() && !i.aliases.is_empty())
            .unwrap();
        let mut second = lib
            .indicators
            .iter()
            .find(|i| i.is_active() && i.code != owner.code && i.natures.is_empty())
            .unwrap()
            .clone();
        second.aliases.push(owner.aliases[0].clone());
        let found = new_findings(&lib.catalog, &lib.indicators, &[second.clone()]);
        assert!(
            found
                .iter()
                .any(|f| f.rule == "shared-alias" && concerns(f, second.code.as_str())),
            "{found:?}"
        );
    }
}
