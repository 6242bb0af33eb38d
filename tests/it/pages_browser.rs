//! Pages of issue 26 in headless Chromium: evaluation charts whose labels are drawn whole beside
//! their bars for every project type, a project page that never scrolls sideways, a 改为 code
//! that names no indicator answered beside its row, the evaluations list paged with project
//! links that open pages, a bulk-import dry run listing every problem of a row, and curation
//! at 1366 (header on one line, legible 核心 boxes, types and people by name). Skipped, with
//! the reason, without Chromium.

use crate::browser::{screenshot_dir, webdriver_tools};
use crate::helpers::{PASSWORD, Session, TestApp, curation_app};
use crate::webdriver::Browser;
use serde_json::{Value, json};

/// A curator's app holding the 2025 demonstration self-evaluations.
async fn app_with_evaluations() -> TestApp {
    let app = curation_app();
    let bytes = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("evaluations/demo/self-evaluations-2025.csv"),
    )
    .unwrap();
    let (s, body) = Session::login(&app, "editor")
        .await
        .post_raw(
            "/api/v1/evaluations/import?dry_run=false&file=self-evaluations-2025.csv",
            bytes,
        )
        .await;
    assert_eq!(s, 201, "{}", body["report"]["message"]);
    app
}

async fn sign_in(b: &Browser, app: &TestApp, name: &str) {
    b.goto(&app.url("/login")).await;
    b.send_keys(
        &b.find("form[action='/login'] input[name=name]").await,
        name,
    )
    .await;
    b.send_keys(
        &b.find("form[action='/login'] input[name=password]").await,
        PASSWORD,
    )
    .await;
    b.click(&b.find("form[action='/login'] button").await).await;
    b.wait_for("return !location.pathname.startsWith('/login')")
        .await;
}

/// Each bar chart's labels as drawn (their lines joined), whether any label reaches into a
/// bar, and how many bars the project-type chart has against the types the section lists.
const CHARTS: &str = r#"
const out = { charts: [], overlaps: [], typeBars: 0, typesListed: 0 };
document.querySelectorAll('section.practice svg.bars').forEach((svg) => {
  const labels = [];
  svg.querySelectorAll('g.bar').forEach((g) => {
    const t = g.querySelector('text.label'), r = g.querySelector('rect');
    labels.push(t.textContent);
    const tb = t.getBBox(), rb = r.getBBox();
    const vertical = tb.y < rb.y + rb.height && rb.y < tb.y + tb.height;
    if (vertical && tb.x + tb.width > rb.x) out.overlaps.push(t.textContent + ' ends at ' + (tb.x + tb.width) + ', bar at ' + rb.x);
  });
  out.charts.push({ title: svg.getAttribute('aria-label'), labels });
  if (svg.getAttribute('aria-label') === '按项目类型的项目数') out.typeBars = labels.length;
});
const dts = [...document.querySelectorAll('section.practice dt')];
const types = dts.find((dt) => dt.textContent === '项目类型');
if (types) out.typesListed = types.nextElementSibling.textContent.split('，').length;
out.typeNames = types ? types.nextElementSibling.textContent.split('，').map((s) => s.replace(/ \d+$/, '')) : [];
return out;
"#;

#[tokio::test]
async fn evaluation_charts_draw_every_type_with_whole_labels_beside_their_bars() {
    let Some(chromium) =
        webdriver_tools("evaluation_charts_draw_every_type_with_whole_labels_beside_their_bars")
    else {
        return;
    };
    let app = app_with_evaluations().await;
    let b = Browser::start(&chromium).await;
    b.set_viewport(1366, 768).await;
    // 工程验收合格率 is used by the projects of many construction types.
    b.goto(&app.url("/indicators/GX-JS-002")).await;
    let v = b.eval(CHARTS).await;
    b.eval("document.querySelector('section.practice .charts').scrollIntoView(); return 1")
        .await;
    std::fs::write(
        screenshot_dir().join("practice-charts-1366.png"),
        b.screenshot().await,
    )
    .unwrap();
    assert!(v["typesListed"].as_u64().unwrap() > 6, "{v}");
    assert_eq!(v["typeBars"], v["typesListed"], "every type has a bar: {v}");
    assert!(
        v["overlaps"].as_array().unwrap().is_empty(),
        "a bar covers a label: {v}"
    );
    let types = v["charts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["title"] == "按项目类型的项目数")
        .unwrap();
    assert_eq!(
        types["labels"], v["typeNames"],
        "labels are the types' whole names: {v}"
    );
    b.close().await;
}

#[tokio::test]
async fn an_evaluated_project_never_scrolls_sideways_and_a_bad_code_is_answered_beside_its_row() {
    let Some(chromium) = webdriver_tools(
        "an_evaluated_project_never_scrolls_sideways_and_a_bad_code_is_answered_beside_its_row",
    ) else {
        return;
    };
    let app = app_with_evaluations().await;
    let (_, list) = Session::login(&app, "editor")
        .await
        .get("/api/v1/evaluations?limit=1")
        .await;
    let id = list["projects"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{list}"))
        .to_string();
    let b = Browser::start(&chromium).await;
    sign_in(&b, &app, "editor").await;
    let path: String = form_urlencoded::byte_serialize(id.as_bytes()).collect();
    for (w, h) in [(1366, 768), (1920, 1080), (390, 844)] {
        b.set_viewport(w, h).await;
        b.goto(&app.url(&format!("/evaluations/projects/{path}")))
            .await;
        let v = b
            .eval("return { page: document.documentElement.scrollWidth, w: innerWidth, rows: document.querySelectorAll('table.project-rows tbody tr').length }")
            .await;
        std::fs::write(
            screenshot_dir().join(format!("evaluation-project-{w}.png")),
            b.screenshot().await,
        )
        .unwrap();
        assert!(v["rows"].as_u64().unwrap() > 0, "{v}");
        assert!(
            v["page"].as_u64().unwrap() <= w,
            "the page scrolls sideways at {w}: {v}"
        );
    }

    // A 改为 code that names no indicator: the review page again, the message beside the row
    // and what was typed still in the field.
    b.set_viewport(1366, 768).await;
    b.goto(&app.url("/evaluations/review")).await;
    b.eval(
        "const f = document.querySelector('table.review form'); f.code.value = 'NO-SUCH-999'; f.querySelector('button[value=link]').click(); return 1",
    )
    .await;
    let v: Value = b
        .wait_for(
            "const n = document.getElementById('decision-note'); return n && { note: n.textContent, title: document.title, path: location.pathname, typed: document.querySelector('#decision-row input[name=code]').value, top: document.getElementById('decision-error').textContent }",
        )
        .await;
    assert_eq!(v["path"], "/evaluations/review", "{v}");
    assert!(v["title"].as_str().unwrap().contains("待确认匹配"), "{v}");
    assert!(v["note"].as_str().unwrap().contains("NO-SUCH-999"), "{v}");
    assert_eq!(v["typed"], json!("NO-SUCH-999"), "{v}");
    b.close().await;

    // Without a browser: the form post answers the review page (422), not the error page.
    let editor = Session::login(&app, "editor").await;
    let (_, review) = editor.get("/api/v1/evaluations/review").await;
    let item = &review["items"][0];
    let index = item["index"].as_u64().unwrap().to_string();
    let r = editor
        .client
        .post(app.url("/evaluations/review"))
        .form(&[
            ("project_id", item["project_id"].as_str().unwrap()),
            ("index", index.as_str()),
            ("action", "link"),
            ("code", "NO-SUCH-999"),
            ("csrf", editor.csrf.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("id=\"decision-note\"") && html.contains("<table class=\"review\">"),
        "{html}"
    );
}

/// The visible text's luminance contrast helpers: a colour's background is the first opaque
/// one up its ancestors.
const CONTRAST: &str = r#"
const rgb = (s) => (s.match(/[\d.]+/g) || []).map(Number);
const lum = (c) => { const [r, g, b] = c.slice(0, 3).map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
const bg = (el) => { for (; el; el = el.parentElement) { const c = rgb(getComputedStyle(el).backgroundColor); if (c.length === 3 || c[3] > 0) return c.slice(0, 3); } return [255, 255, 255]; };
"#;

/// Issue 26, curation as a signed-in admin sees it at 1366×768: the header on one line, the
/// 核心 checkboxes legible (they were red on red), project types named in Chinese on a proposal
/// page (not `irrigation`), and people named by their 姓名 in proposals and revision logs.
#[tokio::test]
async fn signed_in_at_1366_the_header_is_one_line_and_curation_pages_name_types_and_people() {
    let Some(chromium) = webdriver_tools(
        "signed_in_at_1366_the_header_is_one_line_and_curation_pages_name_types_and_people",
    ) else {
        return;
    };
    let app = curation_app();
    for (login, display, role) in [
        ("editor", "张编辑", zhibiao::domain::Role::Editor),
        ("reviewer", "李审核", zhibiao::domain::Role::Reviewer),
        // A long 姓名 in the header, as an admin may write one.
        (
            "admin",
            "欧阳晓明（市财政局预算绩效管理科）",
            zhibiao::domain::Role::Admin,
        ),
    ] {
        zhibiao::accounts::save_user(
            &app.app.store,
            zhibiao::accounts::NewUser {
                name: login.into(),
                display: display.into(),
                role: role.label().into(),
                password: String::new(),
            },
            zhibiao::accounts::audit_entry("test", "setup", login, "-"),
        )
        .unwrap();
    }
    let editor = Session::login(&app, "editor").await;
    let (s, p) = editor
        .post(
            "/api/v1/proposals",
            json!({ "kind": "edit", "code": "DL-001", "indicator": {"project_types": ["road", "irrigation"]}, "reason": "灌区道路也适用" }),
        )
        .await;
    assert_eq!(s, 201, "{p}");
    let id = p["id"].as_u64().unwrap();
    let irrigation = app
        .app
        .search
        .catalog()
        .project_type("irrigation")
        .unwrap()
        .name
        .clone();

    let b = Browser::start(&chromium).await;
    b.set_viewport(1366, 768).await;
    sign_in(&b, &app, "admin").await;
    b.goto(&app.url(&format!("/proposals/{id}"))).await;
    let v = b
        .eval("return { text: document.querySelector('main').innerText, tops: [...document.querySelectorAll('header.top a, header.top button, header.top .brand')].filter((e) => e.offsetParent).map((e) => Math.round(e.getBoundingClientRect().top)) }")
        .await;
    std::fs::write(
        screenshot_dir().join("proposal-admin-1366.png"),
        b.screenshot().await,
    )
    .unwrap();
    // Each finding is collected, so that one run names every one that fails.
    let mut wrong: Vec<String> = Vec::new();
    let text = v["text"].as_str().unwrap();
    if !text.contains(&irrigation) || text.contains("irrigation") {
        wrong.push(format!(
            "project types by code on the proposal page: {text}"
        ));
    }
    if !text.contains("张编辑") {
        wrong.push(format!("the proposal's author not by 姓名: {text}"));
    }
    let tops: Vec<i64> = v["tops"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_i64().unwrap())
        .collect();
    let spread = tops.iter().max().unwrap() - tops.iter().min().unwrap();
    if tops.len() < 6 || spread > 12 {
        wrong.push(format!("the header wraps at 1366: tops {tops:?}"));
    }

    // The 核心 checkboxes: legible text, a box that stands out from its label.
    b.goto(&app.url("/indicators/DL-001/edit")).await;
    let core = b
        .eval(&format!(
            "{CONTRAST} const l = document.querySelector('label.check.core'); const i = l.querySelector('input'); const back = bg(l); const accent = getComputedStyle(i).accentColor; return {{ back, text: ratio(rgb(getComputedStyle(l).color), back), box: ratio(accent === 'auto' ? [0, 117, 255] : rgb(accent), back) }}"
        ))
        .await;
    if core["text"].as_f64().unwrap() < 4.5
        || core["box"].as_f64().unwrap() < 3.0
        || core["back"] == json!([179, 38, 30])
    {
        wrong.push(format!("the 核心 checkboxes are hard to read: {core}"));
    }

    // Approved, the revision log names author and reviewer by 姓名.
    let reviewer = Session::login(&app, "reviewer").await;
    let (s, body) = reviewer
        .post(&format!("/api/v1/proposals/{id}/approve"), json!({}))
        .await;
    assert_eq!(s, 200, "{body}");
    b.goto(&app.url("/indicators/DL-001")).await;
    let log = b
        .eval("return document.querySelector('section.history').innerText")
        .await;
    let log = log.as_str().unwrap();
    if !log.contains("张编辑") || !log.contains("李审核") {
        wrong.push(format!("the revision log names logins, not 姓名: {log}"));
    }
    b.close().await;
    assert!(wrong.is_empty(), "{wrong:#?}");
}

/// Issue 26, in the browser: the evaluations list is paged (it was 21,000 px tall), its pages
/// follow one another, and a project's link opens an HTML page (it was raw JSON).
#[tokio::test]
async fn the_evaluations_list_is_paged_and_a_project_link_opens_a_page() {
    let Some(chromium) =
        webdriver_tools("the_evaluations_list_is_paged_and_a_project_link_opens_a_page")
    else {
        return;
    };
    let app = app_with_evaluations().await;
    let b = Browser::start(&chromium).await;
    sign_in(&b, &app, "editor").await;
    b.set_viewport(1366, 768).await;
    b.goto(&app.url("/evaluations")).await;
    const LIST: &str = "return { links: [...document.querySelectorAll('a[href^=\"/evaluations/projects/\"]')].map((a) => a.getAttribute('href')), height: document.documentElement.scrollHeight, pager: (document.querySelector('nav.pager') || {}).textContent || '' }";
    let first = b.eval(LIST).await;
    let links = first["links"].as_array().unwrap();
    assert!(
        !links.is_empty() && links.len() <= 50,
        "{} project links",
        links.len()
    );
    assert!(
        first["pager"].as_str().unwrap().contains("共"),
        "a pager: {first}"
    );
    assert!(
        first["height"].as_u64().unwrap() < 12_000,
        "one page is {} px tall",
        first["height"]
    );
    b.click(&b.find("nav.pager a[rel=next]").await).await;
    b.wait_for("return location.search.includes('offset=50')")
        .await;
    let second = b.eval(LIST).await;
    assert!(
        second["links"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| !links.contains(l)),
        "page 2 lists other projects"
    );
    b.click(&b.find("a[href^=\"/evaluations/projects/\"]").await)
        .await;
    let v = b
        .wait_for("return location.pathname.startsWith('/evaluations/projects/') && { type: document.contentType, h1: (document.querySelector('h1') || {}).textContent || '' }")
        .await;
    assert_eq!(v["type"], "text/html", "{v}");
    assert!(!v["h1"].as_str().unwrap().is_empty(), "{v}");
    b.close().await;
}

/// Issue 26, in the browser: a bulk-import dry run of a row with six problems lists all six at
/// once, each under the template's column name, with no internal names.
#[tokio::test]
async fn an_import_dry_run_in_the_browser_lists_all_six_problems_of_a_row() {
    let Some(chromium) =
        webdriver_tools("an_import_dry_run_in_the_browser_lists_all_six_problems_of_a_row")
    else {
        return;
    };
    let app = curation_app();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("六处问题.csv");
    std::fs::write(&file, crate::site::six_problems()).unwrap();
    let b = Browser::start(&chromium).await;
    b.set_viewport(1366, 768).await;
    sign_in(&b, &app, "editor").await;
    b.goto(&app.url("/import")).await;
    b.send_keys(
        &b.find("form[action='/import'] input[type=file]").await,
        file.to_str().unwrap(),
    )
    .await;
    b.click(&b.find("form[action='/import'] button[value='0']").await)
        .await;
    let v = b
        .wait_for("const t = document.querySelector('table.import-report'); return t && { problems: [...t.querySelectorAll('tbody tr:first-child div.error')].map((d) => d.textContent), text: document.querySelector('main').innerText }")
        .await;
    std::fs::write(
        screenshot_dir().join("import-dry-run-1366.png"),
        b.screenshot().await,
    )
    .unwrap();
    let problems = v["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 6, "{v}");
    let text = v["text"].as_str().unwrap();
    assert!(text.contains("未写入"), "{text}");
    for internal in [
        "definition",
        "units.toml",
        "project_types",
        "（definition）",
    ] {
        assert!(!text.contains(internal), "{internal} leaks: {text}");
    }
    b.close().await;
}
