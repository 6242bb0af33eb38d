//! Search benchmark: `cargo bench --bench search` (figures in docs/PERFORMANCE.md).
//!
//! Loads N indicators (default 100,000: generated from the bundled library, or a corpus in the
//! peers' JSONL format given by ZHIBIAO_BENCH_CORPUS), then reports index build speed and size,
//! in-process and HTTP latency (p50/p99) for a mixed query set, suggest latency, throughput with
//! 16 concurrent clients, restart-to-first-query time and the server's peak memory.
//!
//! Environment: ZHIBIAO_BENCH_N (size), ZHIBIAO_BENCH_CORPUS (JSONL path), ZHIBIAO_BENCH_QUERIES
//! (the peers' queries.tsv), ZHIBIAO_BENCH_ROUNDS (default 5), ZHIBIAO_BENCH_SECONDS (load, default 5),
//! ZHIBIAO_BENCH_BUILDS (index builds whose median is reported, default 3).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use zhibiao::ingest::{corpus, library};
use zhibiao::search::{Filters, SearchIndex, SearchRequest, Vocabulary};

/// The server's allocator (see src/main.rs), so in-process figures are the server's own.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn env_usize(key: &str, default: usize) -> usize {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Qualifiers that turn one library name into many plausible ones.
const QUALIFIERS: &[&str] = &[
    "",
    "年度",
    "全年",
    "新增",
    "累计",
    "辖区",
    "城区",
    "农村",
    "重点",
    "市级",
    "县级",
    "街道",
    "社区",
    "园区",
    "项目区",
    "示范",
    "改造后",
    "建成",
    "在建",
    "季度",
];

/// Writes N synthetic indicators in the peers' JSONL format, derived from the bundled library.
fn generate(n: usize, path: &Path) {
    let lib = library::load_dir(&library::default_dir()).expect("bundled library");
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let inds = &lib.indicators;
    for i in 0..n {
        let base = &inds[i % inds.len()];
        let q = QUALIFIERS[(i / inds.len()) % QUALIFIERS.len()];
        let round = i / (inds.len() * QUALIFIERS.len());
        let name = if round == 0 {
            format!("{q}{}", base.name)
        } else {
            format!("{q}{}（{}）", base.name, round)
        };
        let types: Vec<String> = lib
            .catalog
            .types_of(&base.project_types, &base.natures)
            .map(|t| t.name.clone())
            .take(3)
            .collect();
        let rec = serde_json::json!({
            "id": format!("ind-{i:06}"),
            "name": name,
            "definition": base.definition,
            "level1": base.level1,
            "level2": base.level2,
            "project_types": types,
            "unit": base.unit,
        });
        writeln!(f, "{rec}").unwrap();
    }
}

/// (class, query, filters) — the peers' classes plus filtered and faceted ones.
fn queries() -> Vec<(String, String, Filters)> {
    if let Ok(path) = std::env::var("ZHIBIAO_BENCH_QUERIES") {
        let text = std::fs::read_to_string(path).expect("queries.tsv");
        return text
            .lines()
            .filter_map(|l| l.split_once('\t'))
            .map(|(c, q)| (c.to_string(), q.to_string(), Filters::default()))
            .collect();
    }
    let mut out = Vec::new();
    let mut add = |class: &str, list: &[&str]| {
        for q in list {
            out.push((class.to_string(), q.to_string(), Filters::default()));
        }
    };
    add(
        "prefix2",
        &[
            "满意", "完成", "合格", "道路", "覆盖", "及时", "培训", "污水", "校舍", "受益", "验收",
            "成本", "处理", "就业", "企业",
        ],
    );
    add("prefix1", &["满", "完", "道", "合"]);
    add(
        "word",
        &[
            "满意度",
            "完成率",
            "合格率",
            "覆盖率",
            "达标率",
            "及时率",
            "验收合格率",
            "培训人次",
            "知晓率",
            "单位成本",
            "响应时间",
            "优良率",
            "完好率",
        ],
    );
    add(
        "multi",
        &[
            "道路 完成率",
            "学生 满意度",
            "污水 达标率",
            "农田 灌溉",
            "培训 人次",
            "垃圾 分类",
        ],
    );
    add(
        "compound",
        &[
            "道路里程",
            "学生满意度",
            "污水处理量",
            "校舍面积",
            "企业数量",
        ],
    );
    add(
        "typing",
        &[
            "道路完",
            "学生满",
            "污水处",
            "校舍改",
            "受益群众满",
            "培训人",
            "食品抽检合",
            "养老服",
        ],
    );
    add(
        "ptype",
        &[
            "高标准农田建设",
            "老旧小区改造",
            "垃圾分类",
            "黑臭水体治理",
            "政务信息化",
        ],
    );
    add("defn", &["计算公式", "问卷调查", "验收报告", "监测报告"]);
    add(
        "pinyin",
        &[
            "manyidu",
            "wanchenglv",
            "daolu",
            "hegelv",
            "wushui",
            "jishilv",
            "myd",
            "wcl",
        ],
    );
    for (q, l1) in [
        ("道路", "产出指标"),
        ("满意", "满意度指标"),
        ("培训", "效益指标"),
    ] {
        out.push((
            "filtered".into(),
            q.into(),
            Filters {
                level1: Some(l1.into()),
                ..Filters::default()
            },
        ));
    }
    for l2 in ["数量指标", "质量指标"] {
        out.push((
            "faceted".into(),
            String::new(),
            Filters {
                level2: Some(l2.into()),
                ..Filters::default()
            },
        ));
    }
    out
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn summary(mut v: Vec<f64>) -> (f64, f64) {
    v.sort_by(f64::total_cmp);
    (percentile(&v, 0.5), percentile(&v, 0.99))
}

fn url_for(port: u16, class: &str, q: &str, f: &Filters) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    s.append_pair("q", q);
    s.append_pair("limit", "10");
    if class == "faceted" {
        s.append_pair("facets", "1");
    }
    if let Some(l) = &f.level1 {
        s.append_pair("level1", l);
    }
    if let Some(l) = &f.level2 {
        s.append_pair("level2", l);
    }
    format!("http://127.0.0.1:{port}/api/v1/search?{}", s.finish())
}

/// Milliseconds for one GET answered with success, body read in full.
async fn timed_get(client: &reqwest::Client, url: &str) -> f64 {
    let t = Instant::now();
    let r = client.get(url).send().await.unwrap();
    assert!(r.status().is_success(), "{url}");
    let _ = r.bytes().await.unwrap();
    t.elapsed().as_secs_f64() * 1000.0
}

struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start(corpus: &Path, data: &Path) -> (Server, Duration) {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let t = Instant::now();
        let child = Command::new(env!("CARGO_BIN_EXE_zhibiao"))
            .arg("--data-dir")
            .arg(data)
            .arg("--library")
            .arg(corpus)
            .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .expect("zhibiao serve starts");
        let url = url_for(port, "word", "满意度", &Filters::default());
        loop {
            if let Ok(r) = wait::http_ok(&url)
                && r
            {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
            assert!(
                t.elapsed() < Duration::from_secs(300),
                "server did not start"
            );
        }
        (Server { child, port }, t.elapsed())
    }

    fn peak_rss_mib(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        status
            .lines()
            .find(|l| l.starts_with("VmHWM:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(f64::NAN, |kb| kb / 1024.0)
    }

    fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A blocking GET that needs no runtime (used only while waiting for start-up): is it a 200?
mod wait {
    pub fn http_ok(url: &str) -> Result<bool, ()> {
        let u = url.strip_prefix("http://").ok_or(())?;
        let (host, path) = u.split_once('/').ok_or(())?;
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(host).map_err(|_| ())?;
        write!(
            s,
            "GET /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
        )
        .map_err(|_| ())?;
        let mut buf = String::new();
        s.read_to_string(&mut buf).map_err(|_| ())?;
        Ok(buf.starts_with("HTTP/1.1 200"))
    }
}

/// About a thousand distinct inputs as a unit types them: the first two to five characters of a name,
/// or a run from its second or third character (a unit seldom remembers how a name begins).
/// Each is asked once, so no answer of its own is cached.
fn typed_inputs(lib: &library::Library) -> Vec<String> {
    let step = (lib.indicators.len() / 2_000).max(1);
    let mut out: Vec<String> = lib
        .indicators
        .iter()
        .enumerate()
        .step_by(step)
        .filter_map(|(i, ind)| {
            let chars: Vec<char> = ind.name.chars().collect();
            let (start, len) = (i % 3, 2 + i % 4);
            (chars.len() >= start + len).then(|| chars[start..start + len].iter().collect())
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

fn suggest_url(port: u16, q: &str) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    s.append_pair("q", q);
    format!(
        "http://127.0.0.1:{port}/api/v1/suggest?limit=8&{}",
        s.finish()
    )
}

/// Project names as budgets write them (the relevance evaluation sets), on the bundled library:
/// search for the name (relaxed when its words together match too little) and the whole
/// suggest-targets answer (type recognition, table), in process.
fn project_names(base: &library::Library, vocab: &Arc<Vocabulary>, rounds: usize) {
    let index = SearchIndex::in_ram(
        vocab.clone(),
        Arc::new(base.catalog.clone()),
        base.indicators.clone(),
    )
    .unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut names = Vec::new();
    for f in [
        root.join("tests/relevance/projects_functional.tsv"),
        root.join("tests/relevance/projects_holdout.tsv"),
        root.join("../shared/eval/projects_dev.tsv"),
    ] {
        if let Ok(text) = std::fs::read_to_string(&f) {
            names.extend(
                zhibiao::relevance::parse_cases(&text)
                    .unwrap()
                    .into_iter()
                    .map(|c| c.query),
            );
        }
    }
    let (mut search, mut targets) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        for q in &names {
            let t = Instant::now();
            std::hint::black_box(index.search(&SearchRequest::new(q)).unwrap());
            search.push(t.elapsed().as_secs_f64() * 1000.0);
            let input = zhibiao::drafting::DraftRequest::named(q);
            let t = Instant::now();
            std::hint::black_box(zhibiao::drafting::suggest(&index, &input).unwrap());
            targets.push(t.elapsed().as_secs_f64() * 1000.0);
        }
    }
    let (s50, s99) = summary(search);
    let (t50, t99) = summary(targets);
    println!(
        "| project-name search, bundled library, {} names | p50 {s50:.3} ms, p99 {s99:.3} ms |",
        names.len()
    );
    println!(
        "| suggest-targets in process, bundled library (target p99 ≤ 10 ms) | p50 {t50:.3} ms, p99 {t99:.3} ms |"
    );
}

fn main() {
    let n = env_usize("ZHIBIAO_BENCH_N", 100_000);
    let rounds = env_usize("ZHIBIAO_BENCH_ROUNDS", 5);
    let load_secs = env_usize("ZHIBIAO_BENCH_SECONDS", 5) as u64;
    let tmp = tempfile::tempdir().unwrap();
    let corpus_path: PathBuf = match std::env::var("ZHIBIAO_BENCH_CORPUS") {
        Ok(p) => PathBuf::from(p),
        Err(_) => {
            let p = tmp.path().join("corpus.jsonl");
            generate(n, &p);
            p
        }
    };
    let base = library::load_dir(&library::default_dir()).unwrap();
    let lib = corpus::load_jsonl(&corpus_path, &base.catalog).expect("corpus loads");
    let n = lib.indicators.len();
    println!("# zhibiao search benchmark: {n} indicators, {rounds} rounds\n");

    // Index build, in process.
    let vocab = Arc::new(Vocabulary::load(&zhibiao::search::vocab::default_dir()).unwrap());
    let _ = vocab.jieba(); // dictionary load is start-up cost, not indexing
    // Built `builds` times from scratch (the machine's noise moves one build by a third); the
    // median counts, and the last index is searched.
    let builds = env_usize("ZHIBIAO_BENCH_BUILDS", 3).max(1);
    let mut times = Vec::new();
    let mut built = None;
    for i in 0..builds {
        let index_dir = tmp.path().join(format!("index{i}"));
        drop(built.take());
        let t = Instant::now();
        let (index, _) = SearchIndex::open_or_build(
            &index_dir,
            vocab.clone(),
            Arc::new(lib.catalog.clone()),
            || lib.indicators.iter().cloned().map(Ok),
            1,
        )
        .unwrap();
        times.push(t.elapsed().as_secs_f64());
        built = Some(index);
        if i + 1 < builds {
            let _ = std::fs::remove_dir_all(&index_dir);
        }
    }
    let index = built.expect("at least one build");
    let spread: Vec<String> = times.iter().map(|t| format!("{t:.2}")).collect();
    times.sort_by(f64::total_cmp);
    let build = times[times.len() / 2];
    let size_mib = index.size_on_disk() as f64 / 1048576.0;
    println!("| measure | value |\n|---|---|");
    println!(
        "| index build, median of {builds} | {build:.2} s ({:.0} indicators/s; each: {} s) |",
        n as f64 / build,
        spread.join(", ")
    );
    println!("| index size | {size_mib:.1} MiB |");

    // In-process latency per class.
    let qs = queries();
    let mut by_class: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    let mut all = Vec::new();
    let mut first_round = Vec::new();
    for round in 0..rounds {
        for (class, q, f) in &qs {
            let mut req = SearchRequest::new(q);
            req.filters = f.clone();
            req.facets = class == "faceted";
            let t = Instant::now();
            let r = index.search(&req).unwrap();
            let ms = t.elapsed().as_secs_f64() * 1000.0;
            std::hint::black_box(r);
            by_class.entry(class.clone()).or_default().push(ms);
            all.push(ms);
            if round == 0 {
                first_round.push(ms);
            }
        }
    }
    let (p50, p99) = summary(all);
    println!(
        "| search in process, all {} queries | p50 {p50:.3} ms, p99 {p99:.3} ms |",
        qs.len()
    );
    // The first round meets every query for the first time: no shown hit and no term set of its
    // own is cached yet (words shared with earlier queries are).
    let (p50, p99) = summary(first_round);
    println!("| search in process, first round only | p50 {p50:.3} ms, p99 {p99:.3} ms |");
    let mut suggest = Vec::new();
    for _ in 0..rounds {
        for (_, q, _) in qs.iter().filter(|(c, _, _)| c != "faceted") {
            let t = Instant::now();
            std::hint::black_box(index.suggest(q, 8).unwrap());
            suggest.push(t.elapsed().as_secs_f64() * 1000.0);
        }
    }
    let (s50, s99) = summary(suggest);
    println!("| suggest in process | p50 {s50:.3} ms, p99 {s99:.3} ms |");
    project_names(&base, &vocab, rounds);
    let typed = typed_inputs(&lib);
    let mut first_time = Vec::new();
    for q in &typed {
        let t = Instant::now();
        std::hint::black_box(index.suggest(q, 8).unwrap());
        first_time.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let (t50, t99) = summary(first_time);
    println!(
        "| suggest in process, {} inputs cut from names, each once | p50 {t50:.3} ms, p99 {t99:.3} ms |",
        typed.len()
    );
    let pinyin_answered = qs
        .iter()
        .filter(|(c, _, _)| c == "pinyin")
        .filter(|(_, q, _)| index.search(&SearchRequest::new(q)).unwrap().total > 0)
        .count();
    let pinyin_total = qs.iter().filter(|(c, _, _)| c == "pinyin").count();
    drop(index);

    // The real server, over HTTP on loopback.
    let data = tmp.path().join("data");
    // One client waits for one answer at a time: a current-thread runtime polls its socket on
    // the thread that waits, as wrk does. A multi-thread runtime would add a hand-over between
    // its I/O thread and the waiting thread to every request (0.03-0.04 ms at p50 here,
    // docs/PERFORMANCE.md); the concurrent clients below use one.
    let single = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = reqwest::Client::new();
    let (server, first_start) = Server::start(&corpus_path, &data);
    let port = server.port;
    let urls: Vec<(String, String)> = qs
        .iter()
        .map(|(c, q, f)| (c.clone(), url_for(port, c, q, f)))
        .collect();
    let mut http_by_class: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    let mut http_all = Vec::new();
    let mut http_first = Vec::new();
    let mut http_suggest = Vec::new();
    let mut http_floor = Vec::new();
    let mut http_typed = Vec::new();
    let health = format!("http://127.0.0.1:{port}/healthz");
    single.block_on(async {
        for round in 0..rounds {
            // The cost of a request that does no work: what HTTP on loopback adds to a search.
            for _ in 0..urls.len() {
                http_floor.push(timed_get(&client, &health).await);
            }
            for (class, url) in &urls {
                let ms = timed_get(&client, url).await;
                http_by_class.entry(class.clone()).or_default().push(ms);
                http_all.push(ms);
                if round == 0 {
                    http_first.push(ms);
                }
            }
            for (_, q, _) in qs.iter().filter(|(c, _, _)| c != "faceted") {
                http_suggest.push(timed_get(&client, &suggest_url(port, q)).await);
            }
        }
        for q in &typed {
            http_typed.push(timed_get(&client, &suggest_url(port, q)).await);
        }
    });
    let (h50, h99) = summary(http_all);
    let (hf50, hf99) = summary(http_first);
    let (hs50, hs99) = summary(http_suggest);
    let (f50, f99) = summary(http_floor);
    println!("| HTTP floor (GET /healthz, same client) | p50 {f50:.3} ms, p99 {f99:.3} ms |");
    println!("| search over HTTP, single client | p50 {h50:.3} ms, p99 {h99:.3} ms |");
    println!("| search over HTTP, first round only | p50 {hf50:.3} ms, p99 {hf99:.3} ms |");
    println!("| suggest over HTTP | p50 {hs50:.3} ms, p99 {hs99:.3} ms |");
    let (ht50, ht99) = summary(http_typed);
    println!(
        "| suggest over HTTP, {} inputs cut from names, each once | p50 {ht50:.3} ms, p99 {ht99:.3} ms |",
        typed.len()
    );

    // Throughput: 16 concurrent clients for a bounded time.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let client = reqwest::Client::new();
    let deadline = Duration::from_secs(load_secs);
    let done = rt.block_on(async {
        let urls = Arc::new(urls.iter().map(|(_, u)| u.clone()).collect::<Vec<_>>());
        let mut tasks = Vec::new();
        let start = Instant::now();
        for w in 0..16 {
            let urls = urls.clone();
            let client = client.clone();
            tasks.push(tokio::spawn(async move {
                let mut n = 0usize;
                let mut i = w;
                while start.elapsed() < deadline {
                    let r = client.get(&urls[i % urls.len()]).send().await.unwrap();
                    let _ = r.bytes().await.unwrap();
                    n += 1;
                    i += 7;
                }
                n
            }));
        }
        let mut total = 0;
        for t in tasks {
            total += t.await.unwrap();
        }
        total as f64 / start.elapsed().as_secs_f64()
    });
    println!("| throughput, 16 concurrent clients, {load_secs} s | {done:.0} requests/s |");
    let rss = server.peak_rss_mib();
    server.stop();
    println!("| server peak memory (VmHWM) | {rss:.0} MiB |");
    println!(
        "| first start (load corpus, build store and index) to first answer | {:.2} s |",
        first_start.as_secs_f64()
    );
    let (server, restart) = Server::start(&corpus_path, &data);
    server.stop();
    println!(
        "| restart on existing store and index to first answer | {:.3} s |",
        restart.as_secs_f64()
    );
    println!("| pinyin queries answered | {pinyin_answered}/{pinyin_total} |");

    println!(
        "\n| class | queries | in-process p50 / p99 ms | HTTP p50 / p99 ms |\n|---|---|---|---|"
    );
    for (class, v) in &by_class {
        let (a, b) = summary(v.clone());
        let (c, d) = summary(http_by_class.get(class).cloned().unwrap_or_default());
        println!(
            "| {class} | {} | {a:.3} / {b:.3} | {c:.3} / {d:.3} |",
            v.len() / rounds
        );
    }
}
