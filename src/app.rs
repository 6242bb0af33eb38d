//! The application: the store, the search index and the configuration, opened together.

use crate::config::{Config, LibrarySource};
use crate::curation::release::{self, Manifest};
use crate::domain::quality;
use crate::ingest::{FileError, Library, LoadError, corpus, library};
use crate::search::{SearchIndex, Vocabulary};
use crate::store::{Store, SyncReport};
use anyhow::Context;
use std::path::PathBuf;
use std::sync::Arc;

pub struct App {
    pub config: Config,
    pub store: Store,
    pub search: SearchIndex,
    /// What the start-up load did.
    pub sync: SyncReport,
    /// Whether the index had to be rebuilt at start-up.
    pub rebuilt_index: bool,
    /// What the release of the files' edition did at this start, when it happened.
    pub release: Option<crate::curation::release::ReleaseReport>,
    /// The review rules drafts are checked against (`indicators/review_rules.toml`).
    pub lint: crate::domain::lint::LintConfig,
    /// Worked examples for training, in project-type order (none for an external corpus, whose
    /// codes the examples do not use).
    pub examples: Vec<crate::domain::training::Example>,
    /// Slots for parsing uploads, `config.uploads.parallel_parses` of them: a parse holds one
    /// until it ends, so hostile files cannot take every core or unbounded memory at once.
    pub parses: Arc<tokio::sync::Semaphore>,
}

/// Loads the library files and applies every rule: the result is either a fully valid library or
/// the complete list of problems, with file and line.
pub fn load_checked(source: &LibrarySource) -> Result<Library, LoadError> {
    match source {
        LibrarySource::Files(dir) => {
            let lib = library::load_dir(dir)?;
            let findings = quality::check_library(&lib.catalog, &lib.indicators);
            if findings.is_empty() {
                return Ok(lib);
            }
            Err(LoadError(
                findings
                    .into_iter()
                    .map(|f| {
                        let origin = f.code.as_ref().and_then(|c| lib.origins.get(c));
                        FileError {
                            file: origin
                                .map_or_else(|| dir.join("project_types.toml"), |o| o.0.clone()),
                            line: origin.map(|o| o.1),
                            code: f.code.clone(),
                            message: format!("{}（规则 {}）", f.message, f.rule),
                        }
                    })
                    .collect(),
            ))
        }
        LibrarySource::Corpus(path) => read_corpus(path).map(corpus::Corpus::into_library),
    }
}

/// A corpus in the peers' format, with the bundled library's framework and units.
fn read_corpus(path: &std::path::Path) -> Result<corpus::Corpus, LoadError> {
    let base = library::load_dir(&library::default_dir())?;
    corpus::Corpus::read(path, &base.catalog)
}

impl App {
    /// Validates the library (refusing to start on any problem), brings the store in line with
    /// it, and opens or rebuilds the search index.
    pub fn open(config: Config) -> anyhow::Result<App> {
        App::open_with(config, None)
    }

    /// `open`, reading the previous edition's files (for a new store) from `previous_dir`
    /// instead of `editions/<previous>/` beside the library.
    pub fn open_with(config: Config, previous_dir: Option<PathBuf>) -> anyhow::Result<App> {
        if let Some(dir) = &previous_dir
            && !dir.join("library.toml").exists()
        {
            anyhow::bail!(
                "{} 中没有上一版本的指标库文件（library.toml）",
                dir.display()
            );
        }
        let vocab = Vocabulary::load(&config.vocab_dir)?;
        // A large corpus already loaded is not parsed again: its hash says it is unchanged.
        let unchanged_corpus =
            |store: &Store| -> anyhow::Result<bool> {
                let LibrarySource::Corpus(path) = &config.library else {
                    return Ok(false);
                };
                let hash = corpus::file_hash(path)
                    .with_context(|| format!("无法读取 {}", path.display()))?;
                Ok(store.source_hash()?.as_deref() == Some(hash.as_str())
                    && store.catalog()?.is_some())
            };
        let lib = match &config.library {
            LibrarySource::Files(_) => Some(load_checked(&config.library)?),
            LibrarySource::Corpus(_) => None,
        };
        let examples = match &lib {
            Some(lib) => crate::ingest::examples::load_dir(
                &config.examples_dir,
                &lib.catalog,
                &lib.indicators,
            )?,
            None => Vec::new(),
        };
        std::fs::create_dir_all(&config.data_dir)
            .with_context(|| format!("无法创建数据目录 {}", config.data_dir.display()))?;
        let store = Store::open(&config.store_dir(), config.cache_bytes)
            .with_context(|| format!("无法打开数据库 {}", config.store_dir().display()))?;
        // A new edition named in release.toml is published through curation once the app is open.
        let manifest = match &config.library {
            LibrarySource::Files(dir) => Manifest::read(dir)?.map(|m| {
                let prev = previous_dir.unwrap_or_else(|| m.previous_dir(dir));
                (m, prev)
            }),
            LibrarySource::Corpus(_) => None,
        };
        let mut to_release = None;
        let sync = match (lib, &config.library) {
            (Some(lib), _) => match manifest {
                Some((m, prev)) if release::prepare(&store, &lib, &m, &prev)? => {
                    to_release = Some((lib, m));
                    SyncReport::default()
                }
                _ => store.sync_library(lib, "指标库文件")?,
            },
            (None, LibrarySource::Corpus(path)) if !unchanged_corpus(&store)? => {
                let corpus = read_corpus(path)?;
                store.sync_source(
                    &corpus.catalog,
                    &corpus.source_hash,
                    corpus.len,
                    corpus.indicators(),
                    "外部语料",
                )?
            }
            (None, _) => SyncReport::default(),
        };
        let catalog = store.catalog()?.context("数据库中没有目录信息")?;
        let (search, rebuilt_index) = SearchIndex::open_or_build(
            &config.index_dir(),
            Arc::new(vocab),
            Arc::new(catalog),
            || store.each_indicator().map(|i| i.map_err(|e| e.to_string())),
            store.generation()?,
        )?;
        let lint = match &config.library {
            LibrarySource::Files(dir) => {
                crate::web::drafts::load_rules(Some(&dir.join("review_rules.toml")))
            }
            LibrarySource::Corpus(_) => crate::web::drafts::load_rules(None),
        }
        .context("审核规则配置 review_rules.toml 有误")?;
        let mut app = App {
            release: None,
            parses: Arc::new(tokio::sync::Semaphore::new(config.uploads.parallel_parses)),
            config,
            store,
            search,
            sync,
            rebuilt_index,
            lint,
            examples,
        };
        if let Some((lib, m)) = to_release {
            let unchanged = lib.indicators.len();
            let r = release::release(&app, &lib, &m)
                .with_context(|| format!("发布 {} 版失败", lib.catalog.edition))?;
            tracing::info!(edition = %r.edition, created = r.created, changed = r.changed,
                retired = r.retired, kept = r.kept_curated.len(), "edition released through curation");
            app.sync = SyncReport {
                created: r.created,
                changed: r.changed,
                retired: r.retired,
                unchanged: unchanged.saturating_sub(r.created + r.changed),
                edition: Some(r.edition.clone()),
            };
            app.release = Some(r);
        }
        Ok(app)
    }
}
