//! Editions: numbered, frozen states of the whole library that budget units can rely on.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A frozen library state: which revision of each indicator it contains.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Edition {
    /// e.g. `2026.1`.
    pub name: String,
    pub frozen_at: DateTime<Utc>,
    pub frozen_by: String,
    /// (indicator code, revision number), sorted by code.
    pub members: Vec<(String, u32)>,
    /// Hash of the library files it was loaded from, when it came from `indicators/`.
    #[serde(default)]
    pub source_hash: Option<String>,
}

impl Edition {
    pub fn revision_of(&self, code: &str) -> Option<u32> {
        self.members
            .binary_search_by(|(c, _)| c.as_str().cmp(code))
            .ok()
            .map(|i| self.members[i].1)
    }
}

use super::indicator::Indicator;
use super::revision::{ChangeKind, FieldChange, classify, diff};

/// One line of release notes: what happened to an indicator between two editions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NoteEntry {
    pub code: String,
    pub name: String,
    pub kind: ChangeKind,
    pub from: Option<u32>,
    pub to: Option<u32>,
    pub fields: Vec<FieldChange>,
}

/// Release notes from edition `a` to edition `b` (new, changed materially or immaterially,
/// retired), by code. `state` reads an indicator at a revision.
pub fn notes_between(
    a: &Edition,
    b: &Edition,
    state: impl Fn(&str, u32) -> Option<Indicator>,
) -> Vec<NoteEntry> {
    let mut out = Vec::new();
    for (code, to) in &b.members {
        let from = a.revision_of(code);
        if from == Some(*to) {
            continue;
        }
        let Some(after) = state(code, *to) else {
            continue;
        };
        let before = from.and_then(|n| state(code, n));
        let kind = match (&before, after.is_active()) {
            // Retired before `a` and still retired: nothing to tell.
            (None, false) => continue,
            (Some(b), false) if !b.is_active() => continue,
            (None, true) => ChangeKind::New,
            (Some(b), true) if !b.is_active() => ChangeKind::Material,
            (Some(b), _) => match classify(Some(b), &after) {
                Some(k) => k,
                None => continue,
            },
        };
        let fields = before.as_ref().map(|b| diff(b, &after)).unwrap_or_default();
        out.push(NoteEntry {
            code: code.clone(),
            name: after.name.clone(),
            kind,
            from,
            to: Some(*to),
            fields,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Status;

    fn ind(code: &str, name: &str) -> Indicator {
        serde_json::from_value(serde_json::json!({
            "code": code, "name": name, "level1": "产出指标", "level2": "数量指标",
            "definition": "反映……", "value_type": "定量", "direction": "≥", "unit": "个",
            "basis": "计划标准", "weight": 10, "term": "年度", "provenance": "地方参考"
        }))
        .unwrap()
    }

    fn ed(name: &str, members: &[(&str, u32)]) -> Edition {
        Edition {
            name: name.into(),
            frozen_at: Utc::now(),
            frozen_by: "t".into(),
            members: members.iter().map(|(c, n)| (c.to_string(), *n)).collect(),
            source_hash: None,
        }
    }

    #[test]
    fn release_notes_tell_new_material_immaterial_and_retired() {
        let state = |code: &str, n: u32| -> Option<Indicator> {
            let mut i = ind(code, "甲");
            match (code, n) {
                ("A", 2) => i.aliases.push("别名".into()),
                ("B", 2) => i.unit = "台".into(),
                ("C", 2) => i.status = Status::Retired { replaced_by: None },
                _ => {}
            }
            Some(i)
        };
        let a = ed("1", &[("A", 1), ("B", 1), ("C", 1), ("E", 1)]);
        let b = ed("2", &[("A", 2), ("B", 2), ("C", 2), ("D", 1), ("E", 1)]);
        let notes = notes_between(&a, &b, state);
        let kinds: Vec<(&str, ChangeKind)> =
            notes.iter().map(|n| (n.code.as_str(), n.kind)).collect();
        assert_eq!(
            kinds,
            vec![
                ("A", ChangeKind::Immaterial),
                ("B", ChangeKind::Material),
                ("C", ChangeKind::Retired),
                ("D", ChangeKind::New),
            ]
        );
        assert_eq!(notes[1].fields[0].field, "unit");
    }
}
