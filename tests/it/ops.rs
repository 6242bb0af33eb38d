//! Operations: a backup taken from a running server restores onto a fresh data directory that
//! serves the same library, drafts, proposals, editions and evaluations; a damaged backup is
//! refused and changes nothing; `/metrics` parses as Prometheus text and counts requests.

use crate::helpers::{ServerProcess, Session, fresh_app, fresh_app_with, seed_users};
use serde_json::{Value, json};
use std::path::Path;
use std::process::Command;
use zhibiao::config::Config;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_zhibiao"))
}

/// Runs `zhibiao --data-dir DATA args…`: exit success, stdout, stderr.
fn zhibiao(data: &Path, args: &[&str]) -> (bool, String, String) {
    let out = bin()
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The first `lines` lines of a demonstration evaluation file.
fn evaluation_slice(lines: usize) -> Vec<u8> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("evaluations/demo/self-evaluations-2024.csv");
    let text = std::fs::read_to_string(path).unwrap();
    let mut out: String = text.lines().take(lines).collect::<Vec<_>>().join("\n");
    out.push('\n');
    out.into_bytes()
}

/// What the data directory serves, read over HTTP: the same paths on both sides of a restore.
async fn served(base: &str, draft: &str, code: &str) -> Vec<(String, Value)> {
    let reviewer = Session::login_at(base, "reviewer").await;
    let anonymous = Session::anonymous_at(base);
    let mut out = Vec::new();
    for path in [
        "/api/v1/indicators/JZ-001".to_string(),
        "/api/v1/indicators/JZ-001/revisions".to_string(),
        "/api/v1/editions".to_string(),
        "/api/v1/editions/2026.3".to_string(),
        "/api/v1/editions/2026.2/diff/2026.3".to_string(),
        format!("/api/v1/drafts/{draft}"),
        "/api/v1/evaluations?limit=100".to_string(),
        format!("/api/v1/indicators/{code}/stats"),
        "/api/v1/evaluations/candidates".to_string(),
        "/api/v1/stats".to_string(),
    ] {
        let (s, body) = anonymous.get(&path).await;
        assert_eq!(s, 200, "{path}: {body}");
        out.push((path, body));
    }
    for path in ["/api/v1/proposals", "/api/v1/inbox"] {
        let (s, body) = reviewer.get(path).await;
        assert_eq!(s, 200, "{path}: {body}");
        out.push((path.to_string(), body));
    }
    // The index is rebuilt from the restored store: the approved name is found.
    let (_, hits) = anonymous
        .get("/api/v1/search?q=%E5%9F%8E%E4%B9%A1%E4%BD%8E%E4%BF%9D%E5%9C%A8%E5%86%8C%E4%BF%9D%E9%9A%9C%E4%BA%BA%E6%95%B0&limit=3")
        .await;
    let first = hits["hits"][0]["indicator"]["code"].clone();
    out.push((
        "search 城乡低保在册保障人数".into(),
        json!({ "first": first, "total": hits["total"] }),
    ));
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_of_a_running_server_restores_onto_a_fresh_directory_that_serves_the_same() {
    let root = tempfile::tempdir().unwrap();
    let (data, copy, file) = (
        root.path().join("data"),
        root.path().join("copy"),
        root.path().join("备份 2026-12-07.zbk"),
    );
    seed_users(&Config::for_tests(&data));
    // Results open to anonymous readers, so that one anonymous session compares everything
    // served before and after the restore (by default only signed-in staff read them).
    let public = [("ZHIBIAO_EVALUATIONS_PUBLIC", "1")];
    let server = ServerProcess::start(&data, &public);
    let base = server.base.clone();
    let (editor, reviewer, admin) = (
        Session::login_at(&base, "editor").await,
        Session::login_at(&base, "reviewer").await,
        Session::login_at(&base, "admin").await,
    );

    // Library: an approved edit and an open proposal; an edition frozen after them.
    let (s, p) = editor
        .post(
            "/api/v1/proposals",
            json!({ "kind": "edit", "code": "JZ-001",
                    "indicator": { "name": "城乡低保在册保障人数", "target": "12500" },
                    "reason": "按民政统计口径调整名称" }),
        )
        .await;
    assert_eq!(s, 201, "{p}");
    let (s, r) = reviewer
        .post(&format!("/api/v1/proposals/{}/approve", p["id"]), json!({}))
        .await;
    assert_eq!(s, 200, "{r}");
    let (s, open) = editor
        .post(
            "/api/v1/proposals",
            json!({ "kind": "edit", "code": "JZ-002", "indicator": { "target": "99" },
                    "reason": "待审核的修改" }),
        )
        .await;
    assert_eq!(s, 201, "{open}");
    let (s, ed) = admin
        .post("/api/v1/editions", json!({ "name": "2026.3" }))
        .await;
    assert_eq!(s, 201, "{ed}");
    // A draft, and evaluations imported through the API.
    let (s, d) = Session::anonymous_at(&base)
        .post(
            "/api/v1/drafts",
            json!({ "project_name": "城市道路改扩建工程", "budget_wan": 3000 }),
        )
        .await;
    assert_eq!(s, 201, "{d}");
    let draft = d["id"].as_str().unwrap().to_string();
    let (s, imported) = editor
        .post_raw(
            "/api/v1/evaluations/import?dry_run=false&file=self-evaluations-2024.csv",
            evaluation_slice(400),
        )
        .await;
    assert_eq!(s, 201, "{imported}");
    assert!(
        imported["report"]["rows"].as_u64().unwrap() > 300,
        "{imported}"
    );
    let (_, list) = Session::anonymous_at(&base)
        .get("/api/v1/evaluations?limit=100")
        .await;
    assert!(list["total"].as_u64().unwrap() > 10, "{list}");
    // An indicator the imported rows were linked to: its statistics are compared too.
    let code = linked_code(&base, &list).await;

    // The backup is taken while the server runs and drafts are being saved.
    let writer = {
        let base = base.clone();
        tokio::spawn(async move {
            let c = Session::anonymous_at(&base);
            let mut saved = 0;
            for n in 0..20 {
                let (s, _) = c
                    .post(
                        "/api/v1/drafts",
                        json!({ "project_name": format!("备份期间的草稿{n}") }),
                    )
                    .await;
                assert_eq!(s, 201, "a write during the backup waits, then succeeds");
                saved += 1;
            }
            saved
        })
    };
    let (ok, out, err) = {
        let (data, file) = (data.clone(), file.clone());
        tokio::task::spawn_blocking(move || {
            zhibiao(&data, &["backup", "--to", file.to_str().unwrap()])
        })
        .await
        .unwrap()
    };
    assert!(ok, "{out}{err}");
    assert!(out.contains("由运行中的服务读取"), "{out}");
    assert!(out.contains("评价项目"), "{out}");
    assert_eq!(writer.await.unwrap(), 20);
    let before = served(&base, &draft, &code).await;

    // Restored onto a fresh data directory, a new server serves the same.
    let (ok, out, err) = zhibiao(&copy, &["restore", file.to_str().unwrap()]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("检索索引已重建"), "{out}");
    let restored = ServerProcess::start(&copy, &public);
    let after = served(&restored.base, &draft, &code).await;
    assert_eq!(before.len(), after.len());
    for ((path, a), (_, b)) in before.iter().zip(&after) {
        assert_eq!(a, b, "{path} differs after the restore");
    }
    let proposals = &after
        .iter()
        .find(|(p, _)| p == "/api/v1/proposals")
        .unwrap()
        .1;
    assert!(
        proposals["proposals"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["state"] == "open" && p["codes"].to_string().contains("JZ-002")),
        "the open proposal is restored: {proposals}"
    );
    // The old server's proposals are there, and the restored users can still sign in.
    Session::login_at(&restored.base, "admin").await;

    // Restoring again onto a data directory with a store is refused without --force.
    let (ok, _, err) = zhibiao(&copy, &["restore", file.to_str().unwrap()]);
    assert!(!ok);
    assert!(err.contains("--force"), "{err}");
    // And never onto the store of a running server.
    let (ok, _, err) = zhibiao(&copy, &["restore", "--force", file.to_str().unwrap()]);
    assert!(!ok);
    assert!(err.contains("正被运行中的服务使用"), "{err}");
}

/// The code of an indicator that the imported evaluations count rows for.
async fn linked_code(base: &str, list: &Value) -> String {
    let anonymous = Session::anonymous_at(base);
    let projects = list["projects"].as_array().expect("projects listed");
    for p in projects {
        let id = p["id"].as_str().unwrap();
        let (_, project) = anonymous
            .get(&format!("/api/v1/evaluations/projects/{}", urlenc(id)))
            .await;
        for row in project["project"]["rows"].as_array().into_iter().flatten() {
            if let Some(code) = row["matched"]["code"].as_str() {
                return code.to_string();
            }
        }
    }
    panic!("no imported row was linked to an indicator: {list}");
}

fn urlenc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Every file under `dir` with its bytes' hash, for "nothing changed".
fn fingerprint(dir: &Path) -> Vec<(String, String)> {
    use sha2::{Digest, Sha256};
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            } else {
                let bytes = std::fs::read(e.path()).unwrap();
                out.push((
                    e.path().display().to_string(),
                    format!("{:x}", Sha256::digest(&bytes)),
                ));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn a_cut_or_damaged_backup_is_refused_in_chinese_and_leaves_the_target_untouched() {
    let root = tempfile::tempdir().unwrap();
    let (data, target, file) = (
        root.path().join("data"),
        root.path().join("target"),
        root.path().join("b.zbk"),
    );
    seed_users(&Config::for_tests(&data));
    // The library loaded, as a first `serve` would.
    drop(zhibiao::app::App::open(Config::for_tests(&data)).unwrap());
    seed_users(&Config::for_tests(&target));
    let (ok, out, err) = zhibiao(&data, &["backup", "--to", file.to_str().unwrap()]);
    assert!(ok, "{out}{err}");
    assert!(
        !out.contains("由运行中的服务读取"),
        "no server: read directly: {out}"
    );
    let whole = std::fs::read(&file).unwrap();
    let before = fingerprint(&target);

    let cut = root.path().join("cut.zbk");
    std::fs::write(&cut, &whole[..whole.len() * 2 / 3]).unwrap();
    let mut flipped = whole.clone();
    let at = flipped.len() / 2;
    flipped[at] ^= 0x20;
    let damaged = root.path().join("damaged.zbk");
    std::fs::write(&damaged, &flipped).unwrap();
    let other = root.path().join("not-a-backup.zbk");
    std::fs::write(&other, "项目名称,指标名称\n").unwrap();
    for (path, expected) in [
        (&cut, "备份文件不完整"),
        (&damaged, "备份文件"),
        (&other, "不是 zhibiao 备份文件"),
    ] {
        let (ok, out, err) = zhibiao(&target, &["restore", "--force", path.to_str().unwrap()]);
        assert!(!ok, "{} was restored: {out}", path.display());
        assert!(err.contains(expected), "{}: {err}", path.display());
        assert!(err.contains("错误"), "{err}");
        assert_eq!(
            fingerprint(&target),
            before,
            "{} changed the target",
            path.display()
        );
        let (ok, _, err) = zhibiao(&target, &["restore", "--check", path.to_str().unwrap()]);
        assert!(!ok && err.contains(expected), "{err}");
    }
    // Onto a directory that does not exist: refused, and nothing is created.
    let absent = root.path().join("absent");
    let (ok, _, _) = zhibiao(&absent, &["restore", cut.to_str().unwrap()]);
    assert!(!ok && !absent.exists());
    // The whole file is fine, and replaces the target only with --force.
    let (ok, out, err) = zhibiao(&target, &["restore", "--check", file.to_str().unwrap()]);
    assert!(ok && out.contains("备份文件完好"), "{out}{err}");
    let (ok, out, err) = zhibiao(&target, &["restore", "--force", file.to_str().unwrap()]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("原数据库已改名保留"), "{out}");
}

#[tokio::test]
async fn metrics_parse_as_prometheus_text_and_count_requests_by_route_template() {
    let app = fresh_app();
    for q in ["满意度", "道路"] {
        let r = app.get(&format!("/api/v1/search?q={}", urlenc(q))).await;
        assert_eq!(r.status(), 200);
    }
    app.get("/indicators/NO-SUCH-CODE").await;
    // An invented method is answered, and counted under one label.
    let odd = reqwest::Method::from_bytes(b"BREW").unwrap();
    app.client
        .request(odd, app.url("/healthz"))
        .send()
        .await
        .unwrap();
    app.get(&format!("/nothing/{}", uuid_like())).await;
    let r = app.get("/metrics").await;
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let text = r.text().await.unwrap();
    let samples = parse_exposition(&text);
    let value = |name: &str, labels: &[(&str, &str)]| -> Option<f64> {
        samples
            .iter()
            .find(|s| {
                s.name == name
                    && labels
                        .iter()
                        .all(|(k, v)| s.labels.iter().any(|(a, b)| a == k && b == v))
            })
            .map(|s| s.value)
    };
    let search = [
        ("method", "GET"),
        ("route", "/api/v1/search"),
        ("status", "200"),
    ];
    assert_eq!(
        value("zhibiao_http_requests_total", &search),
        Some(2.0),
        "{text}"
    );
    // The route template, never the raw path: one series for every code.
    let page = [("route", "/indicators/{code}"), ("status", "404")];
    assert_eq!(
        value("zhibiao_http_requests_total", &page),
        Some(1.0),
        "{text}"
    );
    assert!(
        !text.contains("NO-SUCH-CODE") && !text.contains("/nothing/"),
        "{text}"
    );
    assert!(value("zhibiao_http_requests_total", &[("route", "unmatched")]).is_some());
    assert!(!text.contains("BREW"), "{text}");
    assert!(
        value(
            "zhibiao_http_requests_total",
            &[("method", "other"), ("route", "/healthz")]
        )
        .is_some(),
        "{text}"
    );
    assert!(
        text.contains("zhibiao_search_duration_seconds_count{kind=\"search\"} 2"),
        "{text}"
    );
    let docs = value("zhibiao_index_documents", &[]).unwrap();
    assert_eq!(docs as usize, app.app.search.len());
    assert!(value("zhibiao_store_size_bytes", &[]).unwrap() > 0.0);
    assert!(value("zhibiao_index_size_bytes", &[]).unwrap() > 0.0);
    assert_eq!(
        value("zhibiao_index_generation", &[]),
        Some(app.app.store.generation().unwrap() as f64)
    );
    assert!(text.contains("# TYPE zhibiao_http_request_duration_seconds histogram"));

    // Scraped again, the scrape itself has been counted.
    let again = app.get("/metrics").await.text().await.unwrap();
    assert!(
        again.contains(
            r#"zhibiao_http_requests_total{method="GET",route="/metrics",status="200"} 1"#
        ),
        "{again}"
    );
    // A request forwarded by a proxy the app does not trust is not a local one.
    let r = app
        .client
        .get(app.url("/metrics"))
        .header("x-forwarded-for", "203.0.113.9")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "metrics_forbidden");
}

#[tokio::test]
async fn metrics_are_refused_to_addresses_outside_the_allowed_ones() {
    let app = fresh_app_with(|c| c.metrics_allow = Vec::new());
    let r = app.get("/metrics").await;
    assert_eq!(r.status(), 403);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("监控指标")
    );
    // Through a trusted proxy, the forwarded client's address is the one checked.
    let app = fresh_app_with(|c| {
        c.limits.trusted_proxies = zhibiao::config::parse_proxies("127.0.0.1").unwrap();
        c.metrics_allow = zhibiao::config::parse_proxies("198.51.100.0/24").unwrap();
    });
    let get = |xff: &'static str| {
        app.client
            .get(app.url("/metrics"))
            .header("x-forwarded-for", xff)
            .send()
    };
    assert_eq!(get("198.51.100.7").await.unwrap().status(), 200);
    assert_eq!(get("203.0.113.9").await.unwrap().status(), 403);
}

struct Sample {
    name: String,
    labels: Vec<(String, String)>,
    value: f64,
}

/// Parses the Prometheus text format (version 0.0.4) strictly: every line is a `# HELP` or
/// `# TYPE` comment for a metric family declared once, or a sample of a declared family
/// (`name{label="value",…} value`), label values with only the `\\`, `\"` and `\n` escapes. Panics
/// on anything else, naming the line. (The small crates that parse it split label values at
/// `}`, which route templates such as `/indicators/{code}` contain.)
fn parse_exposition(text: &str) -> Vec<Sample> {
    let name_ok = |n: &str| {
        !n.is_empty()
            && n.chars().enumerate().all(|(i, c)| {
                c.is_ascii_alphabetic() || c == '_' || c == ':' || (i > 0 && c.is_ascii_digit())
            })
    };
    let mut families: std::collections::HashMap<String, String> = Default::default();
    let mut samples = Vec::new();
    for line in text.lines().filter(|l| !l.is_empty()) {
        if let Some(rest) = line.strip_prefix("# ") {
            let mut parts = rest.splitn(3, ' ');
            let (kind, name, what) = (parts.next(), parts.next(), parts.next());
            let name = name.unwrap_or_else(|| panic!("bad comment: {line}"));
            assert!(name_ok(name), "bad metric name: {line}");
            match kind {
                Some("HELP") => {}
                Some("TYPE") => {
                    let t = what.unwrap_or("");
                    assert!(
                        ["counter", "gauge", "histogram", "summary", "untyped"].contains(&t),
                        "bad type: {line}"
                    );
                    assert!(
                        families.insert(name.into(), t.into()).is_none(),
                        "declared twice: {line}"
                    );
                }
                _ => panic!("bad comment: {line}"),
            }
            continue;
        }
        let end = line
            .find(['{', ' '])
            .unwrap_or_else(|| panic!("no value: {line}"));
        let name = &line[..end];
        assert!(name_ok(name), "bad metric name: {line}");
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|s| {
                name.strip_suffix(s)
                    .filter(|f| families.get(*f).is_some_and(|t| t == "histogram"))
            })
            .unwrap_or(name);
        assert!(
            families.contains_key(family),
            "sample before its TYPE: {line}"
        );
        let mut rest = &line[end..];
        let mut labels = Vec::new();
        if let Some(r) = rest.strip_prefix('{') {
            // Index-based: a label value may hold any character, `}` and `,` included.
            let mut at = 0;
            loop {
                if r[at..].starts_with('}') {
                    rest = &r[at + 1..];
                    break;
                }
                let eq = at
                    + r[at..]
                        .find("=\"")
                        .unwrap_or_else(|| panic!("bad label: {line}"));
                let key = &r[at..eq];
                assert!(name_ok(key), "bad label name: {line}");
                let mut value = String::new();
                let mut it = r[eq + 2..].char_indices();
                let close = loop {
                    match it.next() {
                        Some((i, '"')) => break eq + 2 + i,
                        Some((_, '\\')) => match it.next() {
                            Some((_, 'n')) => value.push('\n'),
                            Some((_, c @ ('\\' | '"'))) => value.push(c),
                            _ => panic!("bad escape: {line}"),
                        },
                        Some((_, c)) => value.push(c),
                        None => panic!("unclosed label value: {line}"),
                    }
                };
                labels.push((key.to_string(), value));
                at = close + 1;
                if r[at..].starts_with(',') {
                    at += 1;
                } else {
                    assert!(r[at..].starts_with('}'), "bad label list: {line}");
                }
            }
        }
        let mut fields = rest.split_whitespace();
        let value = fields.next().unwrap_or_else(|| panic!("no value: {line}"));
        let value: f64 = match value {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            "NaN" => f64::NAN,
            v => v.parse().unwrap_or_else(|_| panic!("bad value: {line}")),
        };
        if let Some(ts) = fields.next() {
            ts.parse::<i64>()
                .unwrap_or_else(|_| panic!("bad timestamp: {line}"));
        }
        assert!(fields.next().is_none(), "trailing text: {line}");
        samples.push(Sample {
            name: name.to_string(),
            labels,
            value,
        });
    }
    samples
}

/// A path segment no route has, different on every run.
fn uuid_like() -> String {
    format!(
        "{:x}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    )
}
