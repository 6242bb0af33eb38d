//! The application: the store, the search index and the configuration, opened together, the
//! feature services built once over them, and a background repair that keeps the index in line
//! with the store.

use crate::accounts::Accounts;
use crate::config::{Config, LibrarySource};
use crate::curation::Curation;
use crate::curation::publish::rebuild;
use crate::curation::release::{self, Manifest};
use crate::domain::quality;
use crate::drafting::service::{DraftLimits, Drafting};
use crate::evaluations::lock::WriteLock;
use crate::evaluations::practice::PracticeStats;
use crate::evaluations::service::Evaluations;
use crate::ingest::{FileError, Library, LoadError, corpus, library, review_rules};
use crate::search::{SearchIndex, Vocabulary};
use crate::store::{Store, StoreWatch, SyncReport};
use crate::training::Training;
use anyhow::Context;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Weak};
use std::time::Duration;

/// How often the background repair looks at the index, and the longest it waits between
/// failed rebuilds.
const REPAIR_PAUSE: Duration = Duration::from_secs(1);
const LONGEST_REPAIR_PAUSE: Duration = Duration::from_secs(30);
use std::path::PathBuf;

pub struct App {
    pub config: Config,
    pub store: Store,
    pub search: Arc<SearchIndex>,
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
    /// Users, passwords, sessions, API tokens and the audit log.
    pub accounts: Accounts,
    /// Proposals, review, editions and bulk import; publishing in commit order.
    pub curation: Curation,
    /// Suggestions, drafts and their checks, for drafts and training attempts alike.
    pub drafting: Arc<Drafting>,
    /// Evaluation statistics, computed once per state of the evaluations and the library.
    pub practice: Arc<PracticeStats>,
    /// Imports of evaluations, the projects imported, curators' decisions on their rows.
    pub evaluations: Arc<Evaluations>,
    /// Worked examples, sessions, join codes, trainees' attempts and the room's summary.
    pub training: Training,
    /// Request, search, import and backup figures for `/metrics`.
    pub metrics: Arc<crate::ops::metrics::Metrics>,
    /// Stops the background repair of the index when the app is dropped.
    repair: Option<(Sender<()>, std::thread::JoinHandle<()>)>,
}

/// What keeps the service from writing: `None` when everything is fine.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Health {
    /// Why the store cannot write (the last write failed; cleared by one that succeeds).
    pub store: Option<String>,
    /// The store cannot write again before the service restarts.
    pub store_stuck: bool,
    /// Why the search index misses published changes (until it is rebuilt).
    pub index: Option<String>,
}

impl Health {
    pub fn is_ok(&self) -> bool {
        self.store.is_none() && self.index.is_none()
    }
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
        let store = open_store(&config)?;
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
                review_rules::load_rules(Some(&dir.join(review_rules::FILE)))
            }
            LibrarySource::Corpus(_) => review_rules::load_rules(None),
        }
        .context("审核规则配置 review_rules.toml 有误")?;
        let search = Arc::new(search);
        let (stop, stopped) = std::sync::mpsc::channel();
        let (watch, weak) = (store.watch(), Arc::downgrade(&search));
        let repair = std::thread::Builder::new()
            .name("index-repair".into())
            .spawn(move || repair_in_background(weak, watch, stopped))
            .context("无法启动索引修复线程")?;
        let writes = Arc::new(WriteLock::default());
        let practice = Arc::new(PracticeStats::new(
            store.clone(),
            search.clone(),
            writes.clone(),
        ));
        let evaluations = Arc::new(Evaluations {
            store: store.clone(),
            search: search.clone(),
            sheet: config.uploads.sheet,
            practice: practice.clone(),
            writes,
        });
        let curation = Curation {
            store: store.clone(),
            search: search.clone(),
            sheet: config.uploads.sheet,
            evaluations: evaluations.clone(),
        };
        let l = &config.limits;
        let drafting = Arc::new(Drafting {
            practice: practice.clone(),
            store: store.clone(),
            search: search.clone(),
            lint: lint.clone(),
            limits: DraftLimits {
                max_rows: l.draft_max_rows,
                max_bytes: l.draft_max_bytes,
                total_bytes: l.drafts_total_bytes,
                expiry: l.draft_expiry,
            },
        });
        let accounts = Accounts {
            store: store.clone(),
            limits: config.limits.clone(),
        };
        let training = Training {
            store: store.clone(),
            search: search.clone(),
            lint: lint.clone(),
            examples: examples.clone(),
            drafting: drafting.clone(),
        };
        let mut app = App {
            release: None,
            accounts,
            curation,
            drafting,
            practice,
            evaluations,
            training,
            parses: Arc::new(tokio::sync::Semaphore::new(config.uploads.parallel_parses)),
            config,
            store,
            search,
            sync,
            rebuilt_index,
            lint,
            examples,
            metrics: Default::default(),
            repair: Some((stop, repair)),
        };
        if let Some((lib, m)) = to_release {
            let unchanged = lib.indicators.len();
            let r = app
                .curation
                .release(&lib, &m)
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

    /// Rebuilds the search index from the store (`zhibiao reindex`).
    pub fn rebuild_index(&self) -> Result<(), String> {
        let _order = self.search.ordered();
        rebuild(&self.store, &self.search)
    }

    /// What keeps the service from writing (`/healthz`).
    pub fn health(&self) -> Health {
        Health {
            store: self.store.health().fault(),
            store_stuck: self.store.health().stuck(),
            index: self.search.stale(),
        }
    }
}

impl Drop for App {
    fn drop(&mut self) {
        // The repair thread may hold the store open for a moment: let it finish, so the data
        // directory can be opened again as soon as the app is gone.
        if let Some((stop, thread)) = self.repair.take() {
            drop(stop);
            let _ = thread.join();
        }
    }
}

/// Opens the store, saying so when a running server holds it.
fn open_store(config: &Config) -> anyhow::Result<Store> {
    let dir = config.store_dir();
    Store::open(&dir, config.cache_bytes).map_err(|e| {
        let why = if e.is_locked() {
            format!(
                "无法打开数据库 {}：它正被另一个进程使用（zhibiao serve 是否正在运行？请先停止服务）",
                dir.display()
            )
        } else {
            format!("无法打开数据库 {}", dir.display())
        };
        anyhow::Error::new(e).context(why)
    })
}

/// Rebuilds the index whenever it missed a change, or when the store was reopened after a
/// failure and may now hold another state than the index (writes lost from memory, or a write
/// answered as failed that reached the disk after all). Holds the store and the index only
/// while it works, and stops when the app is dropped.
fn repair_in_background(search: Weak<SearchIndex>, store: StoreWatch, stop: Receiver<()>) {
    let mut reopened = store.health().reopened();
    let mut pause = REPAIR_PAUSE;
    loop {
        match stop.recv_timeout(pause) {
            Err(RecvTimeoutError::Timeout) => {}
            _ => return,
        }
        let now_reopened = store.health().reopened();
        let Some(search) = search.upgrade() else {
            return;
        };
        if search.stale().is_none() && now_reopened == reopened {
            continue;
        }
        let Some(store) = store.store() else {
            return;
        };
        let _order = search.ordered();
        if now_reopened != reopened {
            let Ok(generation) = store.generation() else {
                continue;
            };
            reopened = now_reopened;
            if generation != search.generation() && search.stale().is_none() {
                search.mark_stale("数据库重新打开后，检索索引与数据库的版本不一致".into());
            }
        }
        if search.stale().is_none() {
            continue;
        }
        match rebuild(&store, &search) {
            Ok(()) => {
                tracing::info!("the search index was rebuilt and is current again");
                pause = REPAIR_PAUSE;
            }
            Err(why) => {
                tracing::warn!(%why, "the search index could not be rebuilt yet");
                pause = (pause * 2).min(LONGEST_REPAIR_PAUSE);
            }
        }
    }
}
