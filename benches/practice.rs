//! Evaluation statistics benchmark: `cargo bench --bench practice` (or, without a release build,
//! `cargo bench --profile dev --bench practice`).
//!
//! The drafting assistant's suggestions (`POST /api/v1/suggest-targets`) and the indicator page
//! both show what imported evaluations say about each indicator. This measures both with no
//! evaluations, then again after importing ZHIBIAO_BENCH_PROJECTS synthetic projects (default
//! 1,900, about eight rows each, written from the library's own indicators), and reports the
//! medians and their ratio: the statistics are computed once per state of the evaluations, so
//! the ratio should stay near 1 (the bar: at most 1.3).
//!
//! At province scale (`ZHIBIAO_BENCH_PROJECTS=100000`, about 0.8 million rows) it also reports
//! the import's rows per second (the projects imported as files of ZHIBIAO_BENCH_FILE_PROJECTS,
//! default 10,000, as counties would send them), the peak resident memory while importing and
//! while serving (VmHWM, reset in between), and the p99 of suggest-targets, the indicator page
//! and the first page of `/evaluations`.
//!
//! The import runs in a child process, which also measures the reads after it; a second child
//! then opens the data directory afresh and measures them again with its own peak memory: a
//! serving process's figure, without the heap the import leaves behind.
//!
//! Environment: ZHIBIAO_BENCH_PROJECTS, ZHIBIAO_BENCH_FILE_PROJECTS, ZHIBIAO_BENCH_ROUNDS
//! (requests per figure, default 40). ZHIBIAO_BENCH_STAGE and ZHIBIAO_BENCH_DIR are set by the
//! bench for its children.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;
use zhibiao::app::App;
use zhibiao::config::Config;
use zhibiao::ingest::{library, sheet::SheetLimits};

fn env_usize(key: &str, default: usize) -> usize {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A self-evaluation CSV (the import template's columns) of `n` projects over the library's
/// types, each with up to eight of its type's indicators, named and coded as the library has
/// them so the import links them with certainty.
fn synthetic_csv(lib: &library::Library, range: std::ops::Range<usize>) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(zhibiao::evaluations::import::COLUMNS.map(|(c, _)| c))
        .unwrap();
    let types = &lib.catalog.project_types;
    for i in range {
        let t = &types[i % types.len()];
        let inds = lib
            .indicators
            .iter()
            .filter(|ind| ind.project_types.contains(&t.code))
            .take(8);
        let (year, budget) = (2022 + (i % 4), 50 + (i * 37) % 900);
        for (k, ind) in inds.enumerate() {
            let target = 80 + (i + k) % 20;
            let actual = target - (i % 3);
            w.write_record([
                format!("{}第{}期项目", t.name, i / types.len() + 1),
                format!("区第{}局", i % 40 + 1),
                year.to_string(),
                t.name.clone(),
                budget.to_string(),
                "96".into(),
                "92".into(),
                "优".into(),
                ind.level1.clone(),
                ind.level2.clone(),
                ind.name.clone(),
                ind.code.to_string(),
                ind.unit.clone(),
                String::new(),
                format!("≥{target}"),
                actual.to_string(),
                "5".into(),
                String::new(),
            ])
            .unwrap();
        }
    }
    w.into_inner().unwrap()
}

/// Starts the app's router on a free loopback port in a runtime of its own thread.
fn serve(app: Arc<App>) -> SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            axum::serve(
                listener,
                zhibiao::web::router(app).into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
            .unwrap();
        });
    });
    rx.recv().unwrap()
}

/// Peak resident memory of this process in MiB (VmHWM).
fn peak_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// CPU seconds this process has used (user + system, every thread), from /proc/self/stat in
/// clock ticks of 1/100 s: on a shared machine, what a file cost whatever the others ran.
fn cpu_s() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let f: Vec<f64> = after
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0.0))
        .collect();
    // After the command's name: state is field 0, utime 11, stime 12.
    (f.get(11).unwrap_or(&0.0) + f.get(12).unwrap_or(&0.0)) / 100.0
}

/// Starts a new peak: VmHWM falls back to the current resident size (Linux ≥ 4.0).
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// (median, p99) milliseconds of `rounds` answers (after two unmeasured ones).
async fn times_ms(rounds: usize, request: impl Fn() -> reqwest::RequestBuilder) -> (f64, f64) {
    let mut times = Vec::with_capacity(rounds);
    for i in 0..rounds + 2 {
        let start = Instant::now();
        let r = request().send().await.unwrap();
        assert!(r.status().is_success(), "{}", r.status());
        let _ = r.bytes().await.unwrap();
        if i >= 2 {
            times.push(start.elapsed().as_secs_f64() * 1000.0);
        }
    }
    times.sort_by(f64::total_cmp);
    let p99 = times[((times.len() as f64 * 0.99).ceil() as usize).clamp(1, times.len()) - 1];
    (times[times.len() / 2], p99)
}

/// (median, p99) of suggest-targets, of the indicator page and of the first page of
/// `/evaluations`.
async fn measure(
    client: &reqwest::Client,
    base: &str,
    body: &serde_json::Value,
    code: &str,
    rounds: usize,
) -> [(f64, f64); 3] {
    let suggest = times_ms(rounds, || {
        client
            .post(format!("{base}/api/v1/suggest-targets"))
            .json(body)
    })
    .await;
    let page = times_ms(rounds, || client.get(format!("{base}/indicators/{code}"))).await;
    let list = times_ms(rounds, || client.get(format!("{base}/evaluations"))).await;
    [suggest, page, list]
}

fn main() {
    match std::env::var("ZHIBIAO_BENCH_STAGE").as_deref() {
        Ok("import") => import_stage(),
        Ok("serve") => serve_stage(),
        _ => {
            let dir = tempfile::tempdir().unwrap();
            let lib = library::load_dir(&library::default_dir()).unwrap();
            let (code, body) = probe(&lib);
            for stage in ["import", "serve"] {
                let status = std::process::Command::new(std::env::current_exe().unwrap())
                    .env("ZHIBIAO_BENCH_STAGE", stage)
                    .env("ZHIBIAO_BENCH_DIR", dir.path())
                    .env("ZHIBIAO_BENCH_CODE", &code)
                    .env("ZHIBIAO_BENCH_BODY", body.to_string())
                    .status()
                    .expect("the bench runs itself");
                assert!(status.success(), "the {stage} stage failed: {status}");
            }
        }
    }
}

fn data_dir() -> std::path::PathBuf {
    std::env::var_os("ZHIBIAO_BENCH_DIR")
        .expect("set by the bench")
        .into()
}

/// An indicator the synthetic projects use, and a suggest-targets request of its type.
fn probe(lib: &library::Library) -> (String, serde_json::Value) {
    let t = &lib.catalog.project_types[0];
    let code = lib
        .indicators
        .iter()
        .find(|i| i.project_types.contains(&t.code))
        .map(|i| i.code.to_string())
        .unwrap();
    let body = serde_json::json!({
        "project_name": format!("{}项目", t.name),
        "description": t.name,
        "project_type": t.code,
    });
    (code, body)
}

/// The probe the bench passed down to a stage.
fn probe_from_env() -> (String, serde_json::Value) {
    let var = |k: &str| std::env::var(k).expect("set by the bench");
    (
        var("ZHIBIAO_BENCH_CODE"),
        serde_json::from_str(&var("ZHIBIAO_BENCH_BODY")).unwrap(),
    )
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

const NAMES: [&str; 3] = [
    "POST /api/v1/suggest-targets",
    "GET /indicators/{code}",
    "GET /evaluations",
];

fn import_stage() {
    let projects = env_usize("ZHIBIAO_BENCH_PROJECTS", 1_900);
    let per_file = env_usize("ZHIBIAO_BENCH_FILE_PROJECTS", 10_000).max(1);
    let rounds = env_usize("ZHIBIAO_BENCH_ROUNDS", 40);
    let app = Arc::new(App::open(Config::for_tests(&data_dir())).expect("the app opens"));
    let base = format!("http://{}", serve(app.clone()));
    let client = reqwest::Client::new();
    let rt = runtime();
    let lib = library::load_dir(&library::default_dir()).unwrap();
    let (code, body) = probe_from_env();
    let before = rt.block_on(measure(&client, &base, &body, &code, rounds));

    reset_peak();
    let (mut rows, mut import_s, mut import_cpu) = (0, 0.0, 0.0);
    for start in (0..projects).step_by(per_file) {
        let end = (start + per_file).min(projects);
        let csv = synthetic_csv(&lib, start..end);
        let (clock, cpu) = (Instant::now(), cpu_s());
        let report = app
            .evaluations
            .import_within(
                &format!("synthetic-{start}.csv"),
                &csv,
                false,
                "bench",
                // A county's file, bigger than an upload may be.
                &SheetLimits {
                    upload_bytes: 1 << 30,
                    rows: 10_000_000,
                    cells: u64::MAX,
                    text_bytes: 1 << 30,
                    ..SheetLimits::default()
                },
            )
            .expect("the synthetic evaluations import");
        let (took, cpu) = (clock.elapsed().as_secs_f64(), cpu_s() - cpu);
        assert!(report.written, "{}", report.message);
        assert_eq!(
            report.projects,
            end - start,
            "every synthetic project imported"
        );
        rows += report.rows;
        import_s += took;
        import_cpu += cpu;
        println!(
            "  file {}: {} projects, {} rows in {took:.1} s ({:.0} rows/s), {cpu:.1} s of CPU ({:.0} rows per CPU second)",
            start / per_file + 1,
            end - start,
            report.rows,
            report.rows as f64 / took,
            report.rows as f64 / cpu.max(0.01)
        );
    }
    let import_peak = peak_mib();
    let stored = app.store.evaluation_count("n:projects").unwrap();
    println!(
        "imported {stored} projects, {rows} rows in {import_s:.1} s: {:.0} rows/s ({:.0} rows per CPU second); peak memory while importing {import_peak:.0} MiB",
        rows as f64 / import_s,
        rows as f64 / import_cpu.max(0.01)
    );
    reset_peak();
    let after = rt.block_on(measure(&client, &base, &body, &code, rounds));
    println!(
        "peak memory while serving in the importing process {:.0} MiB",
        peak_mib()
    );
    println!(
        "ms over {rounds} requests          no evaluations (median / p99)   {stored} projects, importing process (median / p99)"
    );
    for (name, (b, a)) in NAMES.iter().zip(before.iter().zip(after.iter())) {
        let name = name.replace("{code}", &code);
        println!(
            "{name:<32} {:>10.2} / {:<10.2}          {:>10.2} / {:<10.2}",
            b.0, b.1, a.0, a.1
        );
    }
}

/// A fresh process on the imported data directory, as a restarted server would be: its peak
/// memory covers opening the store and the index and answering.
fn serve_stage() {
    let rounds = env_usize("ZHIBIAO_BENCH_ROUNDS", 40);
    let clock = Instant::now();
    let app = Arc::new(App::open(Config::for_tests(&data_dir())).expect("the app opens"));
    let opened = clock.elapsed().as_secs_f64();
    let base = format!("http://{}", serve(app.clone()));
    let client = reqwest::Client::new();
    let (code, body) = probe_from_env();
    let after = runtime().block_on(measure(&client, &base, &body, &code, rounds));
    let stored = app.store.evaluation_count("n:projects").unwrap();
    println!(
        "fresh process on {stored} projects: opened in {opened:.1} s, peak memory while serving {:.0} MiB",
        peak_mib()
    );
    println!("ms over {rounds} requests, fresh process (median / p99)");
    for (name, a) in NAMES.iter().zip(after.iter()) {
        let name = name.replace("{code}", &code);
        println!("{name:<32} {:>10.2} / {:<10.2}", a.0, a.1);
    }
}
