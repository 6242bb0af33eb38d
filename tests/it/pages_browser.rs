//! Evaluation pages in headless Chromium (issue 26): charts whose labels are drawn whole beside
//! their bars for every project type, a project page that never scrolls sideways, and a 改为
//! code that names no indicator answered beside its row. Skipped, with the reason, without
//! Chromium.

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
