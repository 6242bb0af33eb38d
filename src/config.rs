//! Every setting, from a flag or the environment, with defaults that serve the bundled library.

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
