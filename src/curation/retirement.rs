//! What a retired indicator became: the edition that retired it and its replacement, told the
//! same way on the indicator page, in the API and beside a draft's row that still uses it.

use crate::domain::lint::{LintFinding, Severity};
use crate::domain::{ChangeKind, Draft, Status};
use crate::store::{Result, Store};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Retired {
    pub code: String,
    /// Its current (retired) revision.
    pub revision: u32,
    /// The first edition without it in use; `None` while no edition has been frozen since.
    pub edition: Option<String>,
    pub replaced_by: Option<String>,
    pub replacement_name: Option<String>,
    /// 该指标已在 2026.2 版停用，由 GX-XH-009 代替（运维费占建设投资比例）
    pub message: String,
}

/// `None` for an indicator in use (or unknown).
pub fn retired(store: &Store, code: &str) -> Result<Option<Retired>> {
    let Some(ind) = store.indicator(code)? else {
        return Ok(None);
    };
    let Status::Retired { replaced_by } = &ind.status else {
        return Ok(None);
    };
    let revisions = store.revisions(code)?;
    let revision = revisions.last().map_or(0, |r| r.number);
    let since = revisions
        .iter()
        .rev()
        .find(|r| r.kind == ChangeKind::Retired)
        .map_or(0, |r| r.number);
    let edition = store
        .editions()?
        .into_iter()
        .find(|e| e.revision_of(code).is_some_and(|n| n >= since))
        .map(|e| e.name);
    let replaced_by = replaced_by.as_ref().map(|c| c.to_string());
    let replacement_name = match &replaced_by {
        Some(r) => store.indicator(r)?.map(|i| i.name),
        None => None,
    };
    let when = edition.as_deref().map_or_else(
        || "该指标已停用".to_string(),
        |e| format!("该指标已在 {e} 版停用"),
    );
    let message = match (&replaced_by, &replacement_name) {
        (Some(r), Some(n)) => format!("{when}，由 {r} 代替（{n}）"),
        (Some(r), None) => format!("{when}，由 {r} 代替"),
        (None, _) => format!("{when}，没有替代指标"),
    };
    Ok(Some(Retired {
        code: code.to_string(),
        revision,
        edition,
        replaced_by,
        replacement_name,
        message,
    }))
}

/// A warning beside each row of a draft that uses a retired indicator.
pub fn draft_findings(store: &Store, d: &Draft) -> Vec<LintFinding> {
    d.rows
        .iter()
        .enumerate()
        .filter_map(|(i, row)| {
            let r = retired(store, row.indicator.as_deref()?).ok().flatten()?;
            let fix = match (&r.replaced_by, &r.replacement_name) {
                (Some(c), Some(n)) => format!("改用 {c} {n}，并核对目标值与计量单位"),
                _ => "删除此行或另选指标".to_string(),
            };
            Some(LintFinding {
                rule: "retired-indicator",
                severity: Severity::Warning,
                row: Some(i),
                message: r.message,
                fix,
            })
        })
        .collect()
}
