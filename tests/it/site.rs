//! The site as its users meet it: every link on the main pages answers (anonymous and admin),
//! the favicon, the framework page's filters, evaluation project pages, a dry run that reports
//! every problem at once, and a training session that takes an indicator by name.

use crate::helpers::{Session, TestApp, curation_app};
use std::collections::{BTreeMap, HashSet, VecDeque};

/// The demonstration evaluations, imported by the test editor.
async fn with_evaluations(app: &TestApp) {
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("evaluations/demo/self-evaluations-2024.csv");
    let (status, body) = Session::login(app, "editor")
        .await
        .post_raw(
            "/api/v1/evaluations/import?dry_run=false&file=self-evaluations-2024.csv",
            std::fs::read(file).unwrap(),
        )
        .await;
    assert_eq!(status, 201, "{body}");
}

/// Every `href` of a page that stays on the site (not static files, not fragments).
fn links(html: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(|h| h.replace("&amp;", "&"))
        .map(|h| h.split('#').next().unwrap_or_default().to_string())
        .filter(|h| h.starts_with('/') && !h.starts_with("//") && !h.starts_with("/static/"))
        .collect()
}

/// What makes two links "the same page": the path with codes and numbers folded, and the
/// names of its query parameters. A few of each shape are enough to find a broken template.
fn shape(link: &str) -> String {
    let (path, query) = link.split_once('?').unwrap_or((link, ""));
    let path: Vec<String> = path
        .split('/')
        .map(|seg| {
            if seg.chars().any(|c| c.is_ascii_digit()) || seg.contains('%') {
                "*".to_string()
            } else {
                seg.to_string()
            }
        })
        .collect();
    let mut keys: Vec<&str> = query
        .split('&')
        .filter_map(|kv| kv.split('=').next())
        .filter(|k| !k.is_empty())
        .collect();
    keys.sort_unstable();
    format!("{}?{}", path.join("/"), keys.join("&"))
}

/// Crawls from `start` breadth first, at most `per_shape` pages of each shape, and returns the
/// links that answered 4xx or 5xx (with the page that linked them) and how many were fetched.
async fn crawl(
    client: &reqwest::Client,
    base: &str,
    start: &[&str],
    per_shape: usize,
) -> (Vec<String>, usize) {
    let mut queue: VecDeque<(String, String)> = start
        .iter()
        .map(|s| (s.to_string(), "(start)".to_string()))
        .collect();
    let mut seen: HashSet<String> = HashSet::new();
    let mut shapes: BTreeMap<String, usize> = BTreeMap::new();
    let mut broken = Vec::new();
    let mut fetched = 0;
    while let Some((link, from)) = queue.pop_front() {
        if !seen.insert(link.clone()) {
            continue;
        }
        let n = shapes.entry(shape(&link)).or_default();
        if *n >= per_shape {
            continue;
        }
        *n += 1;
        let r = client
            .get(format!("{base}{link}"))
            .header("accept", "text/html")
            .send()
            .await
            .unwrap();
        fetched += 1;
        let status = r.status().as_u16();
        if status >= 400 {
            broken.push(format!("{status} {link} (linked from {from})"));
            continue;
        }
        let html = r
            .headers()
            .get("content-type")
            .is_some_and(|c| c.to_str().unwrap_or_default().starts_with("text/html"));
        if html {
            let body = r.text().await.unwrap();
            for l in links(&body) {
                if !seen.contains(&l) {
                    queue.push_back((l, link.clone()));
                }
            }
        }
    }
    (broken, fetched)
}

const MAIN_PAGES: &[&str] = &[
    "/",
    "/?q=%E6%BB%A1%E6%84%8F%E5%BA%A6",
    "/browse",
    "/framework",
    "/stats",
    "/editions",
    "/drafts/new",
    "/evaluations",
    "/evaluations/candidates",
    "/training",
    "/training/examples",
    "/handbook/road",
    "/indicators/DL-001",
];

#[tokio::test]
async fn a_crawl_of_the_main_pages_finds_no_broken_link_anonymous_or_admin() {
    let app = curation_app();
    with_evaluations(&app).await;
    let base = format!("http://{}", app.addr);
    let anonymous = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::limited(3))
        .build()
        .unwrap();
    let (broken, fetched) = crawl(&anonymous, &base, MAIN_PAGES, 3).await;
    assert!(broken.is_empty(), "anonymous: {broken:#?}");
    assert!(fetched > 150, "the crawl reached only {fetched} pages");

    let admin = Session::login(&app, "admin").await;
    let mut start = MAIN_PAGES.to_vec();
    start.extend([
        "/curation",
        "/proposals",
        "/import",
        "/admin/users",
        "/admin/audit",
        "/account",
        "/evaluations/review",
    ]);
    let (broken, fetched) = crawl(&admin.client, &base, &start, 3).await;
    assert!(broken.is_empty(), "admin: {broken:#?}");
    assert!(fetched > 150, "the crawl reached only {fetched} pages");
}

#[tokio::test]
async fn every_heading_on_the_framework_page_links_to_a_search_that_answers() {
    let app = crate::helpers::shared_app();
    let html = app.get("/framework").await.text().await.unwrap();
    let filters: Vec<String> = links(&html)
        .into_iter()
        .filter(|l| l.starts_with("/?level2="))
        .collect();
    assert!(filters.len() >= 12, "{filters:?}");
    for l in &filters {
        let r = app.get(l).await;
        assert_eq!(r.status(), 200, "{l}");
    }
    // A heading of the 2021 central framework no indicator uses yet: an empty result, said so.
    let r = app
        .get("/?level2=%E7%BB%8F%E6%B5%8E%E6%88%90%E6%9C%AC%E6%8C%87%E6%A0%87")
        .await;
    assert_eq!(r.status(), 200);
    // A heading that is in no framework is still explained.
    let r = app.get("/?level2=%E4%B8%8D%E5%AD%98%E5%9C%A8").await;
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn the_favicon_answers_on_every_page() {
    let app = crate::helpers::shared_app();
    for path in ["/favicon.ico", "/static/favicon.svg"] {
        let r = app.get(path).await;
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(r.headers()["content-type"], "image/svg+xml");
        assert!(r.text().await.unwrap().starts_with("<svg"));
    }
    let html = app.get("/").await.text().await.unwrap();
    assert!(html.contains(r#"<link rel="icon" href="/static/favicon.svg""#));
}

#[tokio::test]
async fn a_browser_gets_html_error_pages_and_the_api_json_ones() {
    let app = crate::helpers::shared_app();
    for path in [
        "/drafts/nonexistent/export.xlsx",
        "/drafts/abcdefghijklmnopqrstuvwxyz012345/export.csv",
        "/evaluations/projects/nope",
        "/training/sessions/nope/present/1",
    ] {
        let r = app
            .client
            .get(app.url(path))
            .header("accept", "text/html,application/xhtml+xml")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404, "{path}");
        let ct = r.headers()["content-type"].to_str().unwrap().to_string();
        assert!(ct.starts_with("text/html"), "{path}: {ct}");
    }
    let (status, body) = app.json("/api/v1/evaluations/projects/nope").await;
    assert_eq!(status, 404);
    assert!(body["error"]["code"].is_string(), "{body}");
}

#[tokio::test]
async fn the_evaluations_list_is_paged_and_links_to_project_pages() {
    let app = curation_app();
    with_evaluations(&app).await;
    let html = app.get("/evaluations").await.text().await.unwrap();
    let projects: Vec<String> = links(&html)
        .into_iter()
        .filter(|l| l.starts_with("/evaluations/projects/"))
        .collect();
    assert_eq!(projects.len(), 50, "one page of 50 of the 152 projects");
    assert!(html.contains("共 4 页"), "paged");
    assert!(!html.contains("href=\"/api/v1/evaluations/projects/"));
    let r = app.get(&projects[0]).await;
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let page = r.text().await.unwrap();
    assert!(
        page.contains("<h1>") && page.contains("绩效指标（"),
        "{page}"
    );
    // Its rows name the indicator they count for, linked.
    assert!(page.contains("href=\"/indicators/"), "{page}");
    assert!(
        page.contains("/api/v1/evaluations/projects/"),
        "the JSON is one link away"
    );
}

/// The template's header with one row: `cells` by column name, the rest empty.
/// A template row with six problems: a level 2 outside its level 1, a direction, a unit, a
/// score and a project type that are not known, and no 指标解释.
pub fn six_problems() -> Vec<u8> {
    template_row(&[
        ("指标名称", "河道巡查公里数"),
        ("一级指标", "产出指标"),
        ("二级指标", "效果指标"),
        ("指标值类型", "定量"),
        ("指标方向", "大约"),
        ("计量单位", "斤斤"),
        ("参考值", "100"),
        ("数据来源", "巡查台账"),
        ("分值", "十"),
        ("适用项目类型", "不存在的类型"),
    ])
}

fn template_row(cells: &[(&str, &str)]) -> Vec<u8> {
    let header: Vec<&str> = zhibiao::curation::import::COLUMNS
        .iter()
        .map(|(c, _)| *c)
        .collect();
    let row: Vec<&str> = header
        .iter()
        .map(|h| cells.iter().find(|(c, _)| c == h).map_or("", |(_, v)| *v))
        .collect();
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&header).unwrap();
    w.write_record(&row).unwrap();
    w.into_inner().unwrap()
}

#[tokio::test]
async fn a_dry_run_reports_all_six_problems_of_a_row_at_once_in_the_templates_words() {
    let app = curation_app();
    let file = six_problems();
    let (status, body) = Session::login(&app, "editor")
        .await
        .post_raw("/api/v1/import?dry_run=true&file=six.csv", file)
        .await;
    assert_eq!(status, 200, "{body}");
    let problems = body["rows"][0]["problems"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"));
    let mut columns: Vec<&str> = problems
        .iter()
        .map(|p| p["column"].as_str().unwrap())
        .collect();
    columns.sort_unstable();
    assert_eq!(
        columns,
        [
            "二级指标",
            "分值",
            "指标方向",
            "指标解释",
            "计量单位",
            "适用项目类型"
        ],
        "{problems:#?}"
    );
    let text = body.to_string();
    for internal in [
        "definition",
        "units.toml",
        "project_types",
        "basis_doc",
        "local",
    ] {
        assert!(!text.contains(internal), "{internal} leaks: {text}");
    }
}

/// A training session made through the API; its id.
async fn new_session(editor: &Session, body: serde_json::Value) -> String {
    let (status, created) = editor.post("/api/v1/training/sessions", body).await;
    assert_eq!(status, 201, "{created}");
    created["session"]["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_trainer_adds_an_indicator_by_name_and_an_unclear_name_is_explained_inline() {
    let app = curation_app();
    let editor = Session::login(&app, "editor").await;
    let id = new_session(&editor, serde_json::json!({ "title": "培训", "items": [] })).await;
    let path = format!("/training/sessions/{id}");
    let name = app.app.store.indicator("DL-001").unwrap().unwrap().name;
    let (status, location) = editor
        .form(
            &path,
            &[("action", "add"), ("kind", "indicator"), ("code", &name)],
        )
        .await;
    assert_eq!(status, 303, "{location}");
    let (_, page) = editor.page(&path).await;
    assert!(page.contains("（DL-001）"), "added by its name");

    let (status, _) = editor
        .form(
            &path,
            &[("action", "add"), ("kind", "indicator"), ("code", "满意度")],
        )
        .await;
    assert_eq!(status, 422);
    let r = editor
        .client
        .post(app.url(&path))
        .form(&[
            ("action", "add"),
            ("kind", "indicator"),
            ("code", "满意度"),
            ("csrf", editor.csrf.as_str()),
        ])
        .send()
        .await
        .unwrap();
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"add-indicator-error\""), "{html}");
    assert!(html.contains("对应多个指标"), "{html}");
    assert!(html.contains("value=\"满意度\""), "what was typed is kept");
}

#[tokio::test]
async fn every_slide_has_an_address_of_its_own() {
    let app = curation_app();
    let editor = Session::login(&app, "editor").await;
    let id = new_session(
        &editor,
        serde_json::json!({ "title": "放映", "items": [
            { "kind": "framework", "part": "levels" },
            { "kind": "example", "project_type": "water_env" }
        ] }),
    )
    .await;
    let (status, html) = editor
        .page(&format!("/training/sessions/{id}/present/2"))
        .await;
    assert_eq!(status, 200);
    assert!(
        html.contains(r#"<section class="slide active" data-slide="2">"#),
        "{html}"
    );
    assert!(html.contains(&format!(
        r#"<a href="/training/sessions/{id}/present/3" rel="next""#
    )));
    assert!(html.contains(&format!(
        r#"<a href="/training/sessions/{id}/present/1" rel="prev""#
    )));
    // The example's corrected table has 9 rows: two slides, none over seven rows.
    assert!(html.contains("正例：修改后的申报表（1/2）"), "{html}");
    for part in html.split("<tbody>").skip(1) {
        let rows = part
            .split("</tbody>")
            .next()
            .unwrap()
            .matches("<tr>")
            .count();
        assert!(rows <= 7, "a slide with {rows} rows");
    }
    let (status, _) = editor
        .page(&format!("/training/sessions/{id}/present/99"))
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn by_default_only_signed_in_staff_read_evaluations_project_by_project() {
    let app = crate::helpers::curation_app_with(|c| c.evaluations_public = false);
    with_evaluations(&app).await;
    // Anonymous: the totals and the statistics, no project.
    let html = app.get("/evaluations").await.text().await.unwrap();
    assert!(html.contains("id=\"projects-restricted\""), "{html}");
    assert!(!html.contains("/evaluations/projects/"));
    let no_redirect = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for path in ["/api/v1/evaluations", "/api/v1/evaluations/candidates"] {
        assert_eq!(app.get(path).await.status(), 401, "{path}");
    }
    // Pages send a browser to sign in.
    for path in [
        "/evaluations/candidates",
        "/evaluations/rows?indicator=DL-001",
    ] {
        let r = no_redirect.get(app.url(path)).send().await.unwrap();
        let to = r
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_string())
            .unwrap_or_default();
        assert!(
            r.status() == 401 || to.starts_with("/login"),
            "{path}: {} {to}",
            r.status()
        );
    }
    let (status, stats) = app.json("/api/v1/indicators/DL-001/stats").await;
    assert_eq!(status, 200, "{stats}");
    let page = app.get("/indicators/DL-001").await.text().await.unwrap();
    assert!(
        !page.contains("/evaluations/rows?"),
        "no link to rows it may not read"
    );
    // Nothing an anonymous visitor is shown leads to a refusal.
    let base = format!("http://{}", app.addr);
    let (broken, _) = crawl(&reqwest::Client::new(), &base, MAIN_PAGES, 2).await;
    assert!(broken.is_empty(), "{broken:#?}");
    // Signed in, the projects are listed and open.
    let editor = Session::login(&app, "editor").await;
    let (status, html) = editor.page("/evaluations").await;
    assert_eq!(status, 200);
    let project = links(&html)
        .into_iter()
        .find(|l| l.starts_with("/evaluations/projects/"))
        .expect("a project link");
    assert_eq!(editor.page(&project).await.0, 200);
}
