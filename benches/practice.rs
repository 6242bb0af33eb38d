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
//! Environment: ZHIBIAO_BENCH_PROJECTS, ZHIBIAO_BENCH_ROUNDS (requests per figure, default 40).

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
fn synthetic_csv(lib: &library::Library, n: usize) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(zhibiao::evaluations::import::COLUMNS.map(|(c, _)| c))
        .unwrap();
    let types = &lib.catalog.project_types;
    for i in 0..n {
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

/// Median milliseconds of `rounds` answers (after two unmeasured ones).
async fn median_ms(rounds: usize, request: impl Fn() -> reqwest::RequestBuilder) -> f64 {
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
    times[times.len() / 2]
}

/// Medians of suggest-targets and of the indicator page.
async fn measure(
    client: &reqwest::Client,
    base: &str,
    body: &serde_json::Value,
    code: &str,
    rounds: usize,
) -> (f64, f64) {
    let suggest = median_ms(rounds, || {
        client
            .post(format!("{base}/api/v1/suggest-targets"))
            .json(body)
    })
    .await;
    let page = median_ms(rounds, || client.get(format!("{base}/indicators/{code}"))).await;
    (suggest, page)
}

fn main() {
    let projects = env_usize("ZHIBIAO_BENCH_PROJECTS", 1_900);
    let rounds = env_usize("ZHIBIAO_BENCH_ROUNDS", 40);
    let dir = tempfile::tempdir().unwrap();
    let app = Arc::new(App::open(Config::for_tests(dir.path())).expect("the app opens"));
    let base = format!("http://{}", serve(app.clone()));
    let client = reqwest::Client::new();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let lib = library::load_dir(&library::default_dir()).unwrap();
    // An indicator the synthetic projects use, and a project of its type.
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
    let (suggest0, page0) = rt.block_on(measure(&client, &base, &body, &code, rounds));

    let csv = synthetic_csv(&lib, projects);
    let start = Instant::now();
    let report = zhibiao::evaluations::import_file(
        &app.store,
        &app.search,
        "synthetic.csv",
        &csv,
        false,
        "bench",
        &SheetLimits::default(),
    )
    .expect("the synthetic evaluations import");
    assert_eq!(
        report.projects, projects,
        "every synthetic project imported"
    );
    let stored = app.store.evaluations().unwrap().len();
    println!(
        "imported {stored} projects, {} rows in {:.1} s",
        report.rows,
        start.elapsed().as_secs_f64()
    );
    let (suggest1, page1) = rt.block_on(measure(&client, &base, &body, &code, rounds));

    println!("median of {rounds} requests, ms    no evaluations   {stored} projects   ratio");
    println!(
        "POST /api/v1/suggest-targets       {suggest0:>14.2}   {suggest1:>12.2}   {:.2}",
        suggest1 / suggest0
    );
    println!(
        "GET /indicators/{code:<18} {page0:>14.2}   {page1:>12.2}   {:.2}",
        page1 / page0
    );
}
