//! Every setting, from a flag or the environment, with defaults that serve the bundled library.

use crate::ingest::sheet::SheetLimits;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

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
    /// What one caller may do: logins, anonymous drafts, join-code guesses (docs/SECURITY.md).
    pub limits: Limits,
    /// Client addresses that may read `/metrics` without signing in (administrators always
    /// may); default this machine only. Empty: administrators only.
    pub metrics_allow: Vec<ipnet::IpNet>,
    /// Whether anonymous visitors may read evaluation results project by project (the list,
    /// project pages, the rows behind a statistic, candidates' evidence). Default no: results
    /// name budget units, budgets and scores before a bureau has published them; the statistics
    /// drawn from them (reference values, percentiles) stay public (docs/SECURITY.md).
    pub evaluations_public: bool,
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

/// Limits on hostile or careless callers. Every anonymous limit is per client address, which is
/// the peer address unless the peer is a trusted proxy (then its `X-Forwarded-For`).
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// Reverse proxies whose `X-Forwarded-For` names the client; nobody else's is believed.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Longest login name and password accepted at all; longer ones are refused before they are
    /// hashed, counted or logged (stored names have at most 32 characters).
    pub login_name_chars: usize,
    pub login_password_bytes: usize,
    /// Failed logins on one account before each further attempt has to wait.
    pub login_free_failures: u32,
    /// The first wait; it doubles with every further failure, up to `login_max_delay`. The owner
    /// is slowed, never locked out.
    pub login_delay: Duration,
    pub login_max_delay: Duration,
    /// Failed logins per client address per hour (all of them may come at once). Generous: a
    /// whole bureau may reach the server through one NAT address.
    pub login_failures_per_hour: u32,
    /// Most bytes one draft takes in the store (its JSON), and most rows it may have.
    pub draft_max_bytes: usize,
    pub draft_max_rows: usize,
    /// New drafts (and training attempts) per client address per hour (all may come at once).
    pub drafts_per_hour: u32,
    /// Most bytes all drafts together take in the store; beyond it new drafts are refused.
    pub drafts_total_bytes: u64,
    /// Drafts not modified for this long are deleted.
    pub draft_expiry: Duration,
    /// How often expired drafts are looked for (also once at start-up).
    pub draft_sweep_every: Duration,
    /// Failed join-code lookups per client address per hour (all may come at once).
    pub join_failures_per_hour: u32,
    /// Most clients (addresses or login names) each limiter remembers; the least recently seen
    /// are forgotten first, so memory stays bounded whatever callers send.
    pub limiter_keys: usize,
}

pub const DAY: Duration = Duration::from_secs(24 * 3600);

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            trusted_proxies: Vec::new(),
            login_name_chars: 64,
            login_password_bytes: 256,
            login_free_failures: 3,
            login_delay: Duration::from_secs(2),
            login_max_delay: Duration::from_secs(5 * 60),
            login_failures_per_hour: 100,
            draft_max_bytes: 256 * 1024,
            draft_max_rows: 80,
            drafts_per_hour: 60,
            drafts_total_bytes: 1 << 30,
            draft_expiry: 180 * DAY,
            draft_sweep_every: Duration::from_secs(3600),
            join_failures_per_hour: 60,
            limiter_keys: 10_000,
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

/// This machine: who may read `/metrics` by default.
pub const LOOPBACK: &str = "127.0.0.0/8,::1";

/// `127.0.0.1,::1,10.0.0.0/8`: addresses or networks, separated by commas or spaces.
pub fn parse_proxies(s: &str) -> Result<Vec<ipnet::IpNet>, String> {
    s.split([',', ' '])
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.parse::<ipnet::IpNet>()
                .or_else(|_| p.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| format!("“{p}”不是 IP 地址或网段（如 127.0.0.1、10.0.0.0/8）"))
        })
        .collect()
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
            limits: Limits::default(),
            metrics_allow: parse_proxies(LOOPBACK).expect("valid networks"),
            evaluations_public: false,
        }
    }

    /// The bundled library in a temporary data directory, on any free port.
    /// Evaluation results are public here: most tests read them without signing in; the
    /// default (signed-in staff only) has its own test.
    pub fn for_tests(data_dir: &Path) -> Config {
        let mut c = Config::new(
            data_dir.to_path_buf(),
            "127.0.0.1:0".parse().expect("valid"),
        );
        c.evaluations_public = true;
        c
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

    #[test]
    fn trusted_proxies_parse_as_addresses_or_networks() {
        let p = parse_proxies("127.0.0.1, ::1,10.0.0.0/8").unwrap();
        assert_eq!(p.len(), 3);
        assert!(p[0].contains(&"127.0.0.1".parse::<std::net::IpAddr>().unwrap()));
        assert!(p[2].contains(&"10.1.2.3".parse::<std::net::IpAddr>().unwrap()));
        assert!(parse_proxies("").unwrap().is_empty());
        let e = parse_proxies("127.0.0.1,proxy.local").unwrap_err();
        assert!(e.contains("proxy.local"), "{e}");
    }

    #[test]
    fn the_defaults_are_the_documented_ones() {
        let l = Limits::default();
        assert!(
            l.trusted_proxies.is_empty(),
            "no forwarded address is believed by default"
        );
        assert_eq!((l.login_name_chars, l.login_password_bytes), (64, 256));
        assert_eq!(l.draft_expiry, 180 * DAY);
        assert_eq!((l.draft_max_bytes, l.draft_max_rows), (256 * 1024, 80));
        assert!(!Config::for_tests(Path::new("x")).secure_cookies);
    }
}
