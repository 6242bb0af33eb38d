//! The library as one source gives it (files or a corpus): what the store brings itself in line with.

use super::{Catalog, Indicator};
use std::collections::HashMap;
use std::path::PathBuf;

/// The library as loaded from files.
#[derive(Debug, Clone)]
pub struct Library {
    pub catalog: Catalog,
    pub indicators: Vec<Indicator>,
    /// SHA-256 over every file's path and bytes: tells the store whether the files changed.
    pub source_hash: String,
    /// Where each indicator is written (file, line), for the quality report.
    pub origins: HashMap<String, (PathBuf, usize)>,
}
