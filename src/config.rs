//! Every setting, from a flag or the environment, with defaults that serve the bundled library.

use crate::ingest::sheet::SheetLimits;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Where the library comes from.
#[derive(Debug, Clone)]
pub enum LibrarySource {
    /// The curated files (`indicators/`).
    Files(PathBuf),
    /// An external corpus in the peers' JSONL format.
    Corpus(PathBuf),
}

#[derive(Debug, Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    pub bind: SocketAddr,
    pub library: LibrarySource,
    pub vocab_dir: PathBuf,
    /// Worked examples for training (`training/examples/`); only read with the library files.
    pub examples_dir: PathBuf,
    /// sled page cache, bytes. Small: searches are answered by the index, not the store, and a
    /// larger cache raised the first-load peak of a 100,000-indicator corpus past 300 MB.
    pub cache_bytes: u64,
    /// Mark cookies `Secure` (when served over HTTPS, e.g. behind a reverse proxy).
    pub secure_cookies: bool,
    /// How much of an uploaded spreadsheet or CSV is read, and how many are parsed at once.
    pub uploads: UploadLimits,
}

/// Upload limits (docs/SECURITY.md): `sheet` for curators' imports; anonymous draft imports are
/// further capped by `SheetLimits::DRAFT_CEILING`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadLimits {
    pub sheet: SheetLimits,
    /// Uploads parsed at once (on the blocking pool); others wait up to
    /// `web::uploads::PARSE_WAIT`, then get 503. Two: the machines this serves have two cores.
    pub parallel_parses: usize,
}

impl Default for UploadLimits {
    fn default() -> UploadLimits {
        UploadLimits {
            sheet: SheetLimits::default(),
            parallel_parses: 2,
        }
    }
}

/// Sets one upload limit.
type SetLimit = fn(&mut UploadLimits, u64);

/// Each upload setting: its environment variable and the field it sets.
const LIMIT_SETTINGS: [(&str, SetLimit); 11] = [
    ("ZHIBIAO_MAX_UPLOAD_BYTES", |l, v| l.sheet.upload_bytes = v),
    ("ZHIBIAO_MAX_ZIP_ENTRIES", |l, v| {
        l.sheet.zip_entries = usize::try_from(v).unwrap_or(usize::MAX)
    }),
    ("ZHIBIAO_MAX_ENTRY_BYTES", |l, v| l.sheet.entry_bytes = v),
    ("ZHIBIAO_MAX_UNZIPPED_BYTES", |l, v| {
        l.sheet.unzipped_bytes = v
    }),
    ("ZHIBIAO_MAX_ZIP_RATIO", |l, v| l.sheet.zip_ratio = v),
    ("ZHIBIAO_MAX_ROWS", |l, v| {
        l.sheet.rows = u32::try_from(v).unwrap_or(u32::MAX)
    }),
    ("ZHIBIAO_MAX_COLUMNS", |l, v| {
        l.sheet.columns = u32::try_from(v).unwrap_or(u32::MAX)
    }),
    ("ZHIBIAO_MAX_CELLS", |l, v| l.sheet.cells = v),
    ("ZHIBIAO_MAX_CELL_CHARS", |l, v| {
        l.sheet.cell_chars = usize::try_from(v).unwrap_or(usize::MAX)
    }),
    ("ZHIBIAO_MAX_TEXT_BYTES", |l, v| l.sheet.text_bytes = v),
    ("ZHIBIAO_MAX_PARALLEL_PARSES", |l, v| {
        l.parallel_parses = usize::try_from(v).unwrap_or(usize::MAX)
    }),
];

impl UploadLimits {
    /// The defaults, changed by whichever `ZHIBIAO_MAX_*` variables `var` finds; each must be a
    /// positive whole number.
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Result<UploadLimits, String> {
        let mut limits = UploadLimits::default();
        for (name, set) in LIMIT_SETTINGS {
            let Some(raw) = var(name) else { continue };
            match raw.trim().replace('_', "").parse::<u64>() {
                Ok(v) if v > 0 => set(&mut limits, v),
                _ => return Err(format!("环境变量 {name}=“{raw}”应为正整数")),
            }
        }
        Ok(limits)
    }
}

impl Config {
    pub fn new(data_dir: PathBuf, bind: SocketAddr) -> Config {
        Config {
            data_dir,
            bind,
            library: LibrarySource::Files(crate::ingest::library::default_dir()),
            vocab_dir: crate::search::vocab::default_dir(),
            examples_dir: crate::ingest::examples::default_dir(),
            cache_bytes: 8 << 20,
            secure_cookies: false,
            uploads: UploadLimits::default(),
        }
    }

    /// The bundled library in a temporary data directory, on any free port.
    pub fn for_tests(data_dir: &Path) -> Config {
        Config::new(
            data_dir.to_path_buf(),
            "127.0.0.1:0".parse().expect("valid"),
        )
    }

    pub fn store_dir(&self) -> PathBuf {
        self.data_dir.join("store")
    }

    pub fn index_dir(&self) -> PathBuf {
        self.data_dir.join("index")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upload_limits_are_read_from_the_environment_and_checked() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert_eq!(
            UploadLimits::from_env(env(&[])).unwrap(),
            UploadLimits::default()
        );
        let l = UploadLimits::from_env(env(&[
            ("ZHIBIAO_MAX_UPLOAD_BYTES", "1_048_576"),
            ("ZHIBIAO_MAX_ROWS", "500"),
            ("ZHIBIAO_MAX_PARALLEL_PARSES", "4"),
        ]))
        .unwrap();
        assert_eq!(
            (l.sheet.upload_bytes, l.sheet.rows, l.parallel_parses),
            (1 << 20, 500, 4)
        );
        assert_eq!(l.sheet.cells, SheetLimits::default().cells);
        for bad in ["0", "-1", "十", ""] {
            let e = UploadLimits::from_env(move |k: &str| {
                (k == "ZHIBIAO_MAX_CELLS").then(|| bad.to_string())
            })
            .unwrap_err();
            assert!(e.contains("ZHIBIAO_MAX_CELLS"), "{e}");
        }
    }
}
