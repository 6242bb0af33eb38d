//! The `zhibiao` command: parse the command line, start tracing, dispatch.

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use zhibiao::app::{App, load_checked};
use zhibiao::config::{Config, LibrarySource, UploadLimits};
use zhibiao::domain::quality;
use zhibiao::ingest::{export, review_rules};
use zhibiao::search::SearchRequest;

/// jemalloc returns the large buffers of a first load (sled's write batches, tantivy's indexing
/// arenas) to the system; glibc's malloc kept them, and the first load of a 100,000-indicator
/// corpus peaked well above the 300 MB target (docs/PERFORMANCE.md).
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[derive(Parser)]
#[command(
    name = "zhibiao",
    version,
    about = "预算绩效指标库：检索、编报与指标库维护"
)]
struct Cli {
    /// Data directory (store and index).
    #[arg(long, global = true, env = "ZHIBIAO_DATA_DIR", default_value = "data")]
    data_dir: PathBuf,
    /// Library folder (default: the bundled `indicators/`).
    #[arg(long, global = true, env = "ZHIBIAO_INDICATORS")]
    indicators: Option<PathBuf>,
    /// Serve an external corpus in the peers' JSONL format instead of the library files.
    #[arg(long, global = true, env = "ZHIBIAO_LIBRARY")]
    library: Option<PathBuf>,
    /// Search vocabulary folder (default: the bundled `index/`).
    #[arg(long, global = true, env = "ZHIBIAO_VOCAB")]
    vocab: Option<PathBuf>,
    /// Log format: text (default) or json, one object per line for a log collector.
    #[arg(
        long,
        global = true,
        env = "ZHIBIAO_LOG_FORMAT",
        value_enum,
        default_value = "text"
    )]
    log_format: zhibiao::ops::logs::LogFormat,
    /// Upload limits, from the `ZHIBIAO_MAX_*` variables (docs/SECURITY.md); read in `main`.
    #[arg(skip)]
    uploads: UploadLimits,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Jsonl,
    Csv,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the pages and the JSON API.
    Serve {
        #[arg(long, env = "ZHIBIAO_BIND", default_value = "127.0.0.1:8080")]
        bind: SocketAddr,
        #[command(flatten)]
        settings: ServeSettings,
    },
    /// Validate the library files (schema and reviewer rules); non-zero exit on any problem.
    Check {
        /// Also print coverage statistics.
        #[arg(long)]
        stats: bool,
        /// Also print what the review rules find in every worked example (training/examples).
        #[arg(long)]
        examples: bool,
        /// Also print a random sample of this many indicators for a reviewer (Markdown table).
        #[arg(long, value_name = "N")]
        sample: Option<usize>,
        /// Seed of the sample: the same seed draws the same indicators from the same library.
        #[arg(long, default_value_t = 2026)]
        seed: u64,
    },
    /// Rebuild the search index from the store.
    Reindex,
    /// Search from the terminal.
    Search {
        query: String,
        #[arg(long, default_value_t = 10)]
        limit: usize,
        #[arg(long)]
        explain: bool,
    },
    /// Import evaluation results (自评表: .xlsx, .csv or .json); all or nothing per file.
    ImportEvaluations {
        files: Vec<PathBuf>,
        /// Check and link only; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Export the library: one indicator per line (jsonl) or row (csv); or, with `--edition`
    /// and `--to`, an edition as library files that load back as the same edition.
    Export {
        #[arg(long, value_enum, default_value = "jsonl")]
        format: Format,
        /// Output file (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Export this edition (default: the published state).
        #[arg(long)]
        edition: Option<String>,
        /// Write library files (library.toml, common/, types/ ...) into this folder.
        #[arg(long)]
        to: Option<PathBuf>,
    },
    /// Measure relevance on case files (`query<TAB>on-topic keywords<TAB>wrong-domain keywords`):
    /// search hits, precision@10, wrong-domain share, and the drafting tables, per case and overall.
    /// Uses the library files and vocabulary (not the store), so it runs beside a server.
    Eval {
        files: Vec<PathBuf>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Publish the library files as a new edition through curation (proposals by the library
    /// maintainers, approved and frozen), then write its release notes into the CHANGELOG. A new
    /// data directory first loads the previous edition named in `release.toml`. Run it on a new
    /// data directory to regenerate the notes (indicators/README.md).
    Release {
        /// The edition to publish: the one `library.toml` names.
        edition: String,
        /// The previous edition's files (default: `editions/<previous>/` in the library folder).
        #[arg(long)]
        from: Option<PathBuf>,
        /// The CHANGELOG to write the notes into (default: CHANGELOG.md in the library folder).
        #[arg(long)]
        changelog: Option<PathBuf>,
    },
    /// Back up the store to FILE (docs/OPERATIONS.md). While `serve` runs on the same data
    /// directory, the server takes the backup (writes wait meanwhile); otherwise it is read here.
    Backup {
        #[arg(long, value_name = "FILE")]
        to: PathBuf,
    },
    /// Restore a backup into the data directory (checked whole first), then rebuild the index.
    Restore {
        file: PathBuf,
        /// Replace a data directory that already holds a store (it is renamed aside, not deleted).
        #[arg(long)]
        force: bool,
        /// Only check the file (layout, counts, checksum); write nothing.
        #[arg(long)]
        check: bool,
    },
    /// Curator accounts.
    User {
        #[command(subcommand)]
        action: UserAction,
    },
}

/// What `serve` allows callers (docs/SECURITY.md); unset means the default in `Limits`.
#[derive(clap::Args, Default)]
struct ServeSettings {
    /// Mark cookies `Secure` (when users reach the server over HTTPS, e.g. behind a proxy);
    /// the variable takes 1/0, true/false, yes/no, on/off.
    #[arg(long, env = "ZHIBIAO_SECURE_COOKIES", action = clap::ArgAction::SetTrue,
          value_parser = clap::builder::BoolishValueParser::new())]
    secure_cookies: bool,
    /// Let anonymous visitors read evaluation results project by project (default: signed-in
    /// staff only; the statistics drawn from them are public either way).
    #[arg(long, env = "ZHIBIAO_EVALUATIONS_PUBLIC", action = clap::ArgAction::SetTrue,
          value_parser = clap::builder::BoolishValueParser::new())]
    evaluations_public: bool,
    /// Reverse proxies whose X-Forwarded-For names the client, e.g. 127.0.0.1,::1 or
    /// 10.0.0.0/8 (default: none; the peer address is the client).
    #[arg(long, env = "ZHIBIAO_TRUSTED_PROXIES")]
    trusted_proxies: Option<String>,
    /// Failed logins per client address per hour (default 100).
    #[arg(long, env = "ZHIBIAO_LOGIN_FAILURES_PER_HOUR", value_parser = clap::value_parser!(u32).range(1..))]
    login_failures_per_hour: Option<u32>,
    /// Longest wait, in seconds, that failed logins impose on an account (default 300).
    #[arg(long, env = "ZHIBIAO_LOGIN_MAX_DELAY_SECS")]
    login_max_delay_secs: Option<u64>,
    /// Most bytes one draft may take (default 262144).
    #[arg(long, env = "ZHIBIAO_DRAFT_MAX_BYTES", value_parser = clap::value_parser!(u64).range(1024..))]
    draft_max_bytes: Option<u64>,
    /// Most rows one draft may have (default 80).
    #[arg(long, env = "ZHIBIAO_DRAFT_MAX_ROWS", value_parser = clap::value_parser!(u64).range(1..))]
    draft_max_rows: Option<u64>,
    /// New drafts per client address per hour (default 60).
    #[arg(long, env = "ZHIBIAO_DRAFTS_PER_HOUR", value_parser = clap::value_parser!(u32).range(1..))]
    drafts_per_hour: Option<u32>,
    /// Most megabytes all drafts together may take (default 1024).
    #[arg(long, env = "ZHIBIAO_DRAFTS_TOTAL_MB", value_parser = clap::value_parser!(u64).range(1..))]
    drafts_total_mb: Option<u64>,
    /// Days after which a draft nobody modified is deleted (default 180).
    #[arg(long, env = "ZHIBIAO_DRAFT_EXPIRY_DAYS", value_parser = clap::value_parser!(u64).range(1..=36_500))]
    draft_expiry_days: Option<u64>,
    /// Wrong join codes per client address per hour (default 60).
    #[arg(long, env = "ZHIBIAO_JOIN_FAILURES_PER_HOUR", value_parser = clap::value_parser!(u32).range(1..))]
    join_failures_per_hour: Option<u32>,
    /// Addresses or networks that may read /metrics without signing in (default
    /// 127.0.0.0/8,::1; `none`: administrators only).
    #[arg(long, env = "ZHIBIAO_METRICS_ALLOW")]
    metrics_allow: Option<String>,
}

impl ServeSettings {
    fn apply(&self, c: &mut Config) -> anyhow::Result<()> {
        use std::time::Duration;
        c.secure_cookies = self.secure_cookies;
        c.evaluations_public = self.evaluations_public;
        let l = &mut c.limits;
        if let Some(p) = &self.trusted_proxies {
            l.trusted_proxies = zhibiao::config::parse_proxies(p)
                .map_err(|e| anyhow::anyhow!("ZHIBIAO_TRUSTED_PROXIES：{e}"))?;
        }
        if let Some(n) = self.login_failures_per_hour {
            l.login_failures_per_hour = n;
        }
        if let Some(s) = self.login_max_delay_secs {
            l.login_max_delay = Duration::from_secs(s);
        }
        if let Some(n) = self.draft_max_bytes {
            l.draft_max_bytes = usize::try_from(n)?;
        }
        if let Some(n) = self.draft_max_rows {
            l.draft_max_rows = usize::try_from(n)?;
        }
        if let Some(n) = self.drafts_per_hour {
            l.drafts_per_hour = n;
        }
        if let Some(mb) = self.drafts_total_mb {
            l.drafts_total_bytes = mb.saturating_mul(1 << 20);
        }
        if let Some(d) = self.draft_expiry_days {
            l.draft_expiry = zhibiao::config::DAY * u32::try_from(d)?;
        }
        if let Some(n) = self.join_failures_per_hour {
            l.join_failures_per_hour = n;
        }
        if let Some(a) = &self.metrics_allow {
            c.metrics_allow = if a.trim() == "none" {
                Vec::new()
            } else {
                zhibiao::config::parse_proxies(a)
                    .map_err(|e| anyhow::anyhow!("ZHIBIAO_METRICS_ALLOW：{e}"))?
            };
        }
        Ok(())
    }
}

#[derive(Subcommand)]
enum UserAction {
    /// Create a user or reset an existing one's role and password. The password is asked for
    /// on the terminal, or read from the environment variable ZHIBIAO_PASSWORD.
    Add {
        name: String,
        /// 编辑/editor, 审核/reviewer or 管理员/admin.
        #[arg(long)]
        role: String,
        /// Name shown in revision logs, e.g. 张三（预算科）.
        #[arg(long, default_value = "")]
        display: String,
    },
    /// List users.
    List,
    /// Issue a new API token for a user (printed once).
    Token { name: String },
}

impl Cli {
    fn config(&self, bind: Option<SocketAddr>) -> Config {
        let mut c = Config::new(
            self.data_dir.clone(),
            bind.unwrap_or_else(|| "127.0.0.1:8080".parse().expect("valid")),
        );
        if let Some(dir) = &self.indicators {
            c.library = LibrarySource::Files(dir.clone());
        }
        if let Some(path) = &self.library {
            c.library = LibrarySource::Corpus(path.clone());
        }
        if let Some(v) = &self.vocab {
            c.vocab_dir = v.clone();
        }
        c.uploads = self.uploads;
        c
    }
}

fn main() -> ExitCode {
    let mut cli = Cli::parse();
    zhibiao::ops::logs::init(cli.log_format);
    cli.uploads = match UploadLimits::from_env(|k| std::env::var(k).ok()) {
        Ok(u) => u,
        Err(e) => {
            eprintln!("错误：{e}");
            return ExitCode::FAILURE;
        }
    };
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("错误：{e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Exit status when the store is stuck (EX_TEMPFAIL): a supervisor restarts the service.
const STUCK_EXIT: i32 = 75;

/// Ends the process when the store is stuck (a failed large write on a full disk leaves sled
/// unable to write, and reads that need the lost write wait forever; see `store/flush.rs`).
/// The disk holds a consistent state, which a restart opens once there is room again.
fn exit_when_stuck(store: zhibiao::store::StoreWatch) {
    std::thread::spawn(move || {
        loop {
            std::thread::sleep(std::time::Duration::from_millis(500));
            if store.health().stuck() {
                tracing::error!("the store is stuck; exiting so that the service restarts");
                eprintln!(
                    "错误：数据库写入停滞（磁盘写满时卡住了一次写入），进程退出以便重启；请先腾出磁盘空间。"
                );
                std::process::exit(STUCK_EXIT);
            }
        }
    });
}

/// `zhibiao release`: opening the app releases the files' edition (see `App::open_with`); the
/// notes are then read back from the store, so a second run writes the same text.
fn release(
    cli: &Cli,
    edition: &str,
    from: Option<PathBuf>,
    changelog: Option<PathBuf>,
) -> anyhow::Result<()> {
    use zhibiao::curation::release::splice_changelog;
    let config = cli.config(None);
    let dir = match &config.library {
        LibrarySource::Files(dir) => dir.clone(),
        LibrarySource::Corpus(_) => {
            anyhow::bail!("只能发布指标库文件，不能发布外部语料（--library）")
        }
    };
    let files = load_checked(&config.library)?;
    if files.catalog.edition != edition {
        anyhow::bail!(
            "library.toml 中的版本为 {}，与要发布的 {edition} 不符：请先修改 library.toml",
            files.catalog.edition
        );
    }
    let started = std::time::Instant::now();
    let app = App::open_with(config, from)?;
    let took = started.elapsed();
    if app.store.edition(edition)?.is_none() {
        anyhow::bail!("数据库未能发布 {edition} 版（没有 release.toml，或数据库不在其上一版本上）");
    }
    match &app.release {
        Some(r) => {
            println!(
                "已发布 {edition} 版（上一版本 {}）：新增 {}，修改 {}，停用 {}；提案 {} 个，均已审核通过；用时 {:.1} 秒。",
                r.previous,
                r.created,
                r.changed,
                r.retired,
                r.proposals.len(),
                took.as_secs_f64()
            );
            if !r.kept_curated.is_empty() {
                println!(
                    "保留了审核人员在上一版本后的修改：{}",
                    r.kept_curated.join("、")
                );
            }
            for (code, fields) in &r.overridden {
                println!(
                    "注意：{code} 的 {} 同时被指标库文件和审核人员修改，以文件为准",
                    fields.join("、")
                );
            }
            if !r.unexplained.is_empty() {
                println!(
                    "注意：以下指标已从文件中删除但 release.toml 未写明原因和替代指标：{}",
                    r.unexplained.join("、")
                );
            }
        }
        None => println!("{edition} 版已在数据库中发布，只重新生成版本说明。"),
    }
    let path = changelog.unwrap_or_else(|| dir.join("CHANGELOG.md"));
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let section = app.curation.changelog_section(edition)?;
    std::fs::write(&path, splice_changelog(&text, edition, &section))
        .with_context(|| format!("无法写入 {}", path.display()))?;
    println!("版本说明已写入 {}", path.display());
    Ok(())
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match &cli.command {
        Command::Serve { bind, settings } => {
            let mut config = cli.config(Some(*bind));
            settings.apply(&mut config)?;
            let app = App::open(config)?;
            tracing::info!(sync = ?app.sync, rebuilt_index = app.rebuilt_index, indicators = app.search.len(), "library loaded");
            exit_when_stuck(app.store.watch());
            let _control = control_socket(&app);
            let rt = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            rt.block_on(zhibiao::web::serve(app))?;
        }
        Command::Check {
            stats,
            examples,
            sample,
            seed,
        } => {
            let config = cli.config(None);
            match load_checked(&config.library) {
                Ok(lib) => {
                    // The search vocabulary is checked against the library it searches.
                    let vocab = zhibiao::search::vocab::Vocabulary::load(&config.vocab_dir)?;
                    let problems = quality::check_vocabulary(
                        &lib.catalog,
                        &lib.indicators,
                        &vocab.synonyms,
                        &vocab.stop_words,
                    );
                    if !problems.is_empty() {
                        eprintln!("检索词表有 {} 处问题：", problems.len());
                        for f in &problems {
                            let code = f.code.as_ref().map(|c| format!(" {c}"));
                            eprintln!(
                                "  {}: [{}{}] {}",
                                config.vocab_dir.display(),
                                f.rule,
                                code.unwrap_or_default(),
                                f.message
                            );
                        }
                        return Ok(ExitCode::FAILURE);
                    }
                    // The review rules drafts are checked against are part of the library.
                    let rules = match &config.library {
                        LibrarySource::Files(dir) => Some(dir.join(review_rules::FILE)),
                        LibrarySource::Corpus(_) => None,
                    };
                    let rules = match review_rules::load_rules(rules.as_deref()) {
                        Ok(rules) => rules,
                        Err(e) => {
                            eprint!("{e}");
                            return Ok(ExitCode::FAILURE);
                        }
                    };
                    println!(
                        "指标库检查通过：{} 版，{} 个项目类型，{} 个指标，0 处问题。",
                        lib.catalog.edition,
                        lib.catalog.project_types.len(),
                        lib.indicators.len()
                    );
                    if *stats {
                        print_stats(&quality::stats(&lib.catalog, &lib.indicators));
                    }
                    if let Some(n) = sample {
                        print_sample(&lib, *n, *seed);
                    }
                    match zhibiao::ingest::examples::load_dir(
                        &config.examples_dir,
                        &lib.catalog,
                        &lib.indicators,
                    ) {
                        Ok(list) => {
                            println!("培训示例检查通过：{} 个项目类型的正例/反例。", list.len());
                            if *examples {
                                print_examples(&lib, &list, &rules);
                            }
                        }
                        Err(e) => {
                            eprint!("{e}");
                            return Ok(ExitCode::FAILURE);
                        }
                    }
                }
                Err(e) => {
                    eprint!("{e}");
                    return Ok(ExitCode::FAILURE);
                }
            }
        }
        Command::Release {
            edition,
            from,
            changelog,
        } => release(&cli, edition, from.clone(), changelog.clone())?,
        Command::Reindex => {
            // The store is opened (and locked) first: beside a running server this stops here,
            // before anything touches the index that server is using.
            let app = App::open(cli.config(None))?;
            app.rebuild_index()
                .map_err(|e| anyhow::anyhow!("索引重建失败：{e}"))?;
            println!("索引已重建：{} 个指标。", app.search.len());
        }
        Command::Search {
            query,
            limit,
            explain,
        } => {
            let app = App::open(cli.config(None))?;
            let mut req = SearchRequest::new(query);
            req.limit = *limit;
            req.explain = *explain;
            let res = app.search.search(&req)?;
            println!("“{query}”共 {} 条：", res.total);
            for (n, h) in res.hits.iter().enumerate() {
                let i = &h.indicator;
                println!(
                    "{:>2}. {:<10} {}  [{}/{}] {}  ({:.1})",
                    n + 1,
                    i.code,
                    i.name,
                    i.level1,
                    i.level2,
                    i.unit,
                    h.score
                );
                for e in &h.explain {
                    println!("      {e}");
                }
            }
        }
        Command::ImportEvaluations { files, dry_run } => {
            let app = App::open(cli.config(None))?;
            let mut failed = false;
            for f in files {
                let bytes =
                    std::fs::read(f).with_context(|| format!("无法读取 {}", f.display()))?;
                let name = f
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                // AUTH: the command line acts as the local curator.
                match app.evaluations.import(&name, &bytes, *dry_run, "命令行") {
                    Ok(r) => {
                        println!("{}：{}", f.display(), r.message);
                        if !r.matched.is_empty() {
                            let by: Vec<String> =
                                r.matched.iter().map(|(k, n)| format!("{k} {n}")).collect();
                            println!("  关联方式：{}", by.join("，"));
                        }
                        for e in r.errors.iter().take(50) {
                            println!(
                                "  {}{}：{}",
                                e.source,
                                e.column
                                    .as_ref()
                                    .map(|c| format!("【{c}】"))
                                    .unwrap_or_default(),
                                e.message
                            );
                        }
                        if r.errors.len() > 50 {
                            println!("  …… 共 {} 处错误", r.errors.len());
                        }
                        failed |= !r.errors.is_empty();
                    }
                    Err(e) => {
                        eprintln!("{}：{e}，未导入任何内容。", f.display());
                        failed = true;
                    }
                }
            }
            if failed {
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::Eval { files, json } => {
            let config = cli.config(None);
            let lib = load_checked(&config.library)?;
            let vocab = zhibiao::search::Vocabulary::load(&config.vocab_dir)?;
            let index = zhibiao::search::SearchIndex::in_ram(
                std::sync::Arc::new(vocab),
                std::sync::Arc::new(lib.catalog),
                lib.indicators,
            )?;
            let mut cases = Vec::new();
            for f in files {
                let text = std::fs::read_to_string(f)
                    .with_context(|| format!("无法读取 {}", f.display()))?;
                cases.extend(
                    zhibiao::relevance::parse_cases(&text)
                        .map_err(|e| anyhow::anyhow!("{}：{e}", f.display()))?,
                );
            }
            let rules = match &config.library {
                LibrarySource::Files(dir) => Some(dir.join(review_rules::FILE)),
                LibrarySource::Corpus(_) => None,
            };
            let rules = review_rules::load_rules(rules.as_deref())?;
            let report = zhibiao::relevance::evaluate_under(&index, &cases, &rules)?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{}", zhibiao::relevance::render(&report));
            }
        }
        Command::User { action } => return user_command(&cli, action),
        Command::Backup { to } => backup(&cli, to)?,
        Command::Restore { file, force, check } => restore(&cli, file, *force, *check)?,
        Command::Export {
            format,
            out,
            edition,
            to,
        } => {
            let config = cli.config(None);
            let app = App::open(config.clone())?;
            let inds: Vec<_> = match edition {
                Some(name) => app.curation.edition_indicators(name)?,
                None => app.store.indicators()?,
            }
            .into_iter()
            .filter(|i| i.is_active())
            .collect();
            if let Some(dir) = to {
                let LibrarySource::Files(from) = &config.library else {
                    anyhow::bail!("--to 需要以指标库文件运行（不能与 --library 语料同用）");
                };
                let name = match edition {
                    Some(e) => e.clone(),
                    None => app.search.catalog().edition.clone(),
                };
                let n = export::library_dir(dir, from, &name, &inds)?;
                println!("已将 {name} 版的 {n} 个指标写入 {}。", dir.display());
                return Ok(ExitCode::SUCCESS);
            }
            let mut w: Box<dyn std::io::Write> = match out {
                Some(p) => Box::new(std::io::BufWriter::new(
                    std::fs::File::create(p)
                        .with_context(|| format!("无法写入 {}", p.display()))?,
                )),
                None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
            };
            match format {
                Format::Jsonl => export::jsonl(&mut w, &inds)?,
                Format::Csv => export::csv(&mut w, &inds, &app.search.catalog())?,
            }
            w.flush()?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Listens for backup requests on the data directory's control socket (`ops::control`). A
/// server without it still serves; backups then need it stopped.
#[cfg(unix)]
fn control_socket(app: &App) -> Option<zhibiao::ops::control::Control> {
    let metrics = app.metrics.clone();
    let on_backup = Box::new(
        move |r: &Result<zhibiao::ops::backup::Manifest, zhibiao::ops::backup::BackupError>| {
            metrics.backup(
                r.is_ok(),
                r.as_ref().map_or(0.0, |m| m.pause_ms as f64 / 1000.0),
            )
        },
    );
    match zhibiao::ops::control::listen(&app.config.data_dir, app.store.watch(), on_backup) {
        Ok(c) => Some(c),
        Err(e) => {
            tracing::warn!(error = %e, "no control socket: `zhibiao backup` needs the server stopped");
            None
        }
    }
}

#[cfg(not(unix))]
fn control_socket(_: &App) -> Option<()> {
    None
}

/// `zhibiao backup --to FILE`: read here when no server holds the store, else asked of it.
fn backup(cli: &Cli, to: &std::path::Path) -> anyhow::Result<()> {
    use zhibiao::ops::backup::{self, BackupError};
    use zhibiao::store::Store;
    let config = cli.config(None);
    let dir = config.store_dir();
    anyhow::ensure!(
        dir.join("conf").exists(),
        "数据目录 {} 中没有数据库，没有可备份的内容",
        config.data_dir.display()
    );
    let started = std::time::Instant::now();
    #[cfg(unix)]
    let by_server = zhibiao::ops::control::server_listening(&config.data_dir);
    #[cfg(not(unix))]
    let by_server = false;
    let manifest = backup::to_file(to, |file| {
        #[cfg(unix)]
        if by_server {
            return zhibiao::ops::control::request_backup(&config.data_dir, file);
        }
        let store = Store::open(&dir, 8 << 20).map_err(|e| {
            if e.is_locked() {
                BackupError::Service(
                    "数据库正被另一个进程使用，且没有可连接的控制接口：请先停止该进程再备份".into(),
                )
            } else {
                BackupError::Store(e)
            }
        })?;
        backup::write(&store, file).map(drop)
    })
    .map_err(|e| anyhow::anyhow!("备份失败：{e}"))?;
    let size = std::fs::metadata(to).map(|m| m.len()).unwrap_or(0);
    println!(
        "已备份到 {}（{:.1} MB，用时 {:.1} 秒{}）",
        to.display(),
        size as f64 / 1e6,
        started.elapsed().as_secs_f64(),
        if by_server {
            format!("；由运行中的服务读取，写入暂停 {} 毫秒", manifest.pause_ms)
        } else {
            String::new()
        }
    );
    println!("{}", manifest.summary());
    println!("SHA-256：{}", manifest.sha256);
    Ok(())
}

/// `zhibiao restore FILE [--force] [--check]`.
fn restore(cli: &Cli, file: &std::path::Path, force: bool, check: bool) -> anyhow::Result<()> {
    if check {
        let m = zhibiao::ops::backup::verify(file)
            .map_err(|e| anyhow::anyhow!("{}：{e}", file.display()))?;
        println!(
            "备份文件完好：{} 写于 {}（zhibiao {}）。",
            file.display(),
            zhibiao::web::local_time(&m.created_at).format("%Y-%m-%d %H:%M:%S"),
            m.version
        );
        println!("{}", m.summary());
        return Ok(());
    }
    let config = cli.config(None);
    let r = zhibiao::ops::restore::restore(&config, file, force)?;
    println!(
        "已从 {} 恢复到 {}：{}",
        file.display(),
        config.data_dir.display(),
        r.manifest.summary()
    );
    println!("检索索引已重建：{} 个指标。", r.indexed);
    if let Some(old) = r.replaced {
        println!("原数据库已改名保留在 {}，确认无误后可删除。", old.display());
    }
    Ok(())
}

fn user_command(cli: &Cli, action: &UserAction) -> anyhow::Result<ExitCode> {
    use zhibiao::domain::User;
    use zhibiao::store::Store;
    let config = cli.config(None);
    std::fs::create_dir_all(&config.data_dir)?;
    let store = Store::open(&config.store_dir(), 8 << 20).with_context(|| {
        format!(
            "无法打开数据库 {}（服务正在运行时请先停止，或在“用户管理”页面操作）",
            config.store_dir().display()
        )
    })?;
    let audit = |action: &str, target: &str| zhibiao::domain::AuditEntry {
        seq: 0,
        at: chrono::Utc::now(),
        actor: "命令行".into(),
        action: action.into(),
        target: target.into(),
        detail: String::new(),
        address: "本机".into(),
    };
    match action {
        UserAction::Add {
            name,
            role,
            display,
        } => {
            let password = match std::env::var("ZHIBIAO_PASSWORD") {
                Ok(p) => p,
                Err(_) => {
                    let p = rpassword::prompt_password(format!(
                        "为 {name} 设置密码（至少 10 个字符）："
                    ))?;
                    let again = rpassword::prompt_password("再次输入密码：")?;
                    anyhow::ensure!(p == again, "两次输入的密码不一致");
                    p
                }
            };
            let u = zhibiao::accounts::save_user(
                &store,
                zhibiao::accounts::NewUser {
                    name: name.clone(),
                    display: display.clone(),
                    role: role.clone(),
                    password,
                },
                audit("保存用户", name),
            )
            .map_err(|e| anyhow::anyhow!(e.to_string()))?;
            println!("已保存用户 {}（角色：{}）。", u.name, u.role);
        }
        UserAction::List => {
            for u in store.users()? {
                println!(
                    "{:<16} {:<6} {}{}",
                    u.name,
                    u.role.label(),
                    u.display,
                    if u.disabled { "（已停用）" } else { "" }
                );
            }
        }
        UserAction::Token { name } => {
            let u: User = store
                .user(name)?
                .with_context(|| format!("用户 {name} 不存在"))?;
            let token = zhibiao::accounts::issue_token(&store, u, audit("生成 API 令牌", name))?;
            println!("{token}");
            eprintln!("以上为 {name} 的新 API 令牌（只显示一次）；旧令牌已失效。");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The sample as a Markdown table with what a reviewer reads first; the review column is theirs.
fn print_sample(lib: &zhibiao::ingest::Library, n: usize, seed: u64) {
    let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
    println!("\n随机抽样 {n} 个指标（种子 {seed}）：\n");
    println!("| # | 编码 | 指标名称 | 适用 | 一级/二级 | 方向·参考值 | 取值依据 | 评审意见 |");
    println!("|---|---|---|---|---|---|---|---|");
    for (k, i) in quality::review_sample(&lib.indicators, n, seed)
        .iter()
        .enumerate()
    {
        let fits = if i.natures.is_empty() {
            i.project_types.join("、")
        } else {
            format!("共性：{}", i.natures.join("、"))
        };
        println!(
            "| {} | {} | {} | {} | {}/{} | {} | {}{} | |",
            k + 1,
            i.code,
            cell(&i.name),
            cell(&fits),
            i.level1,
            i.level2,
            cell(&i.target_display()),
            i.basis,
            if i.basis_doc.is_empty() {
                String::new()
            } else {
                format!(" {}", cell(&i.basis_doc))
            },
        );
    }
}

fn print_stats(s: &quality::Stats) {
    println!(
        "\n项目类型 {} 个（{} 个大类），指标 {} 个，比率指标 {} 个，定性指标 {} 个。",
        s.project_types, s.groups, s.indicators, s.rates, s.qualitative
    );
    println!("\n字段完整度：");
    for (f, p) in &s.completeness {
        println!("  {f:<12} {p:>6.1}%");
    }
    println!("\n按一级/二级指标：");
    for (l1, l2, n) in &s.by_level2 {
        println!("  {l1} / {l2:<12} {n:>5}");
    }
    println!("\n按适用范围：");
    for (k, n) in &s.by_scope {
        println!("  {k} {n:>5}");
    }
    println!("\n按项目类型（指标数 个性/共性 核心 支出功能分类）：");
    for t in &s.by_type {
        println!(
            "  {:<8} {:<14} {:>4}  {:>3}/{:<3} 核心 {:<3} {}",
            t.group,
            t.name,
            t.total,
            t.specific,
            t.common,
            t.core,
            t.functions.join(" ")
        );
    }
    println!("\n按支出功能分类（类级科目：项目类型数 指标数）：");
    for f in &s.by_function {
        let mark = if !f.project_spending {
            "（不设项目）"
        } else if f.types.is_empty() {
            "  ← 有项目支出，尚无项目类型"
        } else {
            ""
        };
        println!(
            "  {} {:<14} {:>3} {:>5}{mark}",
            f.code,
            f.name,
            f.types.len(),
            f.indicators
        );
    }
    if s.uncovered_functions.is_empty() {
        println!("有项目支出的类级科目均已有项目类型。");
    } else {
        println!(
            "有项目支出但没有项目类型的类级科目 {} 个：{}",
            s.uncovered_functions.len(),
            s.uncovered_functions.join("、")
        );
    }
    println!("\n质量规则问题：{} 处", s.findings);
}

/// Each example's tables with what the review rules report, for whoever writes examples.
fn print_examples(
    lib: &zhibiao::domain::Library,
    list: &[zhibiao::domain::training::Example],
    config: &zhibiao::domain::lint::LintConfig,
) {
    use zhibiao::domain::training::annotate;
    let by_code = |c: &str| {
        lib.indicators
            .iter()
            .find(|i| i.code.as_str() == c)
            .cloned()
    };
    for ex in list {
        println!(
            "\n== {} {}（{} 万元）",
            ex.project_type, ex.title, ex.budget_wan
        );
        for (label, rows) in [("反例", &ex.bad), ("正例", &ex.good)] {
            let t = annotate(&ex.draft(rows), config, &lib.catalog, &by_code);
            println!("  {label}：{} 个错误；规则 {:?}", t.errors(), t.rules());
            for f in &t.general {
                println!("    [表] {} {}", f.rule, f.message);
            }
            for r in &t.rows {
                let rules: Vec<&str> = r.findings.iter().map(|f| f.rule).collect();
                println!(
                    "    {} {}{}{} {:?}",
                    r.row.name, r.row.direction, r.row.target, r.row.unit, rules
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serve_config(args: &[&str]) -> anyhow::Result<Config> {
        let cli = Cli::try_parse_from(["zhibiao", "serve"].iter().chain(args))?;
        let Command::Serve { bind, settings } = &cli.command else {
            unreachable!("parsed as serve")
        };
        let mut c = cli.config(Some(*bind));
        settings.apply(&mut c)?;
        Ok(c)
    }

    #[test]
    fn serve_takes_every_limit_from_its_flags() {
        let c = serve_config(&[
            "--secure-cookies",
            "--trusted-proxies",
            "127.0.0.1,::1",
            "--login-failures-per-hour",
            "7",
            "--login-max-delay-secs",
            "30",
            "--draft-max-bytes",
            "4096",
            "--draft-max-rows",
            "12",
            "--drafts-per-hour",
            "5",
            "--drafts-total-mb",
            "3",
            "--draft-expiry-days",
            "30",
            "--join-failures-per-hour",
            "9",
        ])
        .unwrap();
        let l = &c.limits;
        assert!(c.secure_cookies);
        assert_eq!(l.trusted_proxies.len(), 2);
        assert_eq!(l.login_failures_per_hour, 7);
        assert_eq!(l.login_max_delay, std::time::Duration::from_secs(30));
        assert_eq!((l.draft_max_bytes, l.draft_max_rows), (4096, 12));
        assert_eq!(l.drafts_per_hour, 5);
        assert_eq!(l.drafts_total_bytes, 3 << 20);
        assert_eq!(l.draft_expiry, zhibiao::config::DAY * 30);
        assert_eq!(l.join_failures_per_hour, 9);
    }

    #[test]
    fn serve_without_settings_keeps_the_defaults_and_refuses_nonsense() {
        let c = serve_config(&[]).unwrap();
        assert!(!c.secure_cookies);
        assert_eq!(c.limits, zhibiao::config::Limits::default());
        assert!(serve_config(&["--trusted-proxies", "proxy.local"]).is_err());
        assert!(serve_config(&["--drafts-per-hour", "0"]).is_err());
        assert!(serve_config(&["--draft-expiry-days", "0"]).is_err());
    }
}
