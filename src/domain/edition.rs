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
