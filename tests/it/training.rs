//! Training mode over HTTP: worked examples checked against the lint engine, sessions, slides,
//! exercises, the room's summary, edition permalinks and the printable handbook (to PDF).

use crate::helpers::{Session, curation_app, shared_app};
use scraper::{Html, Selector};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use zhibiao::domain::lint::{Severity, lint};
use zhibiao::ingest::{examples, library};

fn sel(s: &str) -> Selector {
    Selector::parse(s).unwrap()
}

/// Rule ids per row, and for the table, as a JSON table from the API gives them.
fn api_rules(table: &Value) -> (Vec<Vec<String>>, Vec<String>) {
    let rules = |list: &Value| -> Vec<String> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|f| f["rule"].as_str().unwrap().to_string())
            .collect()
    };
    (
        table["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| rules(&r["findings"]))
            .collect(),
        rules(&table["general"]),
    )
}

#[tokio::test]
async fn every_examples_annotations_equal_what_the_lint_engine_reports() {
    // Recomputed here from the files, independently of the server.
    let lib = library::load_dir(&library::default_dir()).unwrap();
    let list = examples::load_dir(&examples::default_dir(), &lib.catalog, &lib.indicators)
        .unwrap_or_else(|e| panic!("{e}"));
    let types: BTreeSet<&str> = list.iter().map(|e| e.project_type.as_str()).collect();
    for t in &lib.catalog.project_types {
        assert!(types.contains(t.code.as_str()), "no example for {}", t.code);
    }
    let config = zhibiao::domain::lint::LintConfig::bundled();
    let by_code = |c: &str| {
        lib.indicators
            .iter()
            .find(|i| i.code.as_str() == c)
            .cloned()
    };
    let app = shared_app();
    for ex in &list {
        let (s, body) = app
            .json(&format!("/api/v1/training/examples/{}", ex.project_type))
            .await;
        assert_eq!(s, 200, "{body}");
        for (which, rows) in [("bad", &ex.bad), ("good", &ex.good)] {
            let found = lint(&ex.draft(rows), &config, &lib.catalog, &by_code);
            let errors = found
                .iter()
                .filter(|f| f.severity == Severity::Error)
                .count();
            if which == "bad" {
                assert!(errors >= 1, "{}: the bad table breaks no rule", ex.source);
            } else {
                assert_eq!(
                    errors, 0,
                    "{}: the corrected table has errors: {found:?}",
                    ex.source
                );
            }
            let per_row: Vec<Vec<String>> = (0..rows.len())
                .map(|i| {
                    found
                        .iter()
                        .filter(|f| f.row == Some(i))
                        .map(|f| f.rule.to_string())
                        .collect()
                })
                .collect();
            let general: Vec<String> = found
                .iter()
                .filter(|f| f.row.is_none())
                .map(|f| f.rule.to_string())
                .collect();
            assert_eq!(
                api_rules(&body[which]),
                (per_row, general),
                "{} {which}: shown annotations differ from lint",
                ex.source
            );
        }
    }
}

/// A signed-in editor and a session with every kind of item.
pub(crate) async fn session_with_everything(app: &crate::helpers::TestApp) -> (Session, Value) {
    let editor = Session::login(app, "editor").await;
    let (s, body) = editor
        .post(
            "/api/v1/training/sessions",
            json!({ "title": "2026 年绩效目标编制培训", "items": [
                { "kind": "framework", "part": "levels" },
                { "kind": "framework", "part": "central2021" },
                { "kind": "framework", "part": "rules" },
                { "kind": "indicator", "code": "DL-001" },
                { "kind": "example", "project_type": "road" },
                { "kind": "exercise", "project_type": "road", "start": "bad" },
            ]}),
        )
        .await;
    assert_eq!(s, 201, "{body}");
    (editor, body)
}

#[tokio::test]
async fn sessions_need_an_account_and_are_presented_by_their_link() {
    let app = curation_app();
    let (s, body) = app
        .client
        .post(app.url("/api/v1/training/sessions"))
        .json(&json!({ "title": "无账号" }))
        .send()
        .await
        .map(|r| (r.status().as_u16(), r))
        .unwrap();
    assert_eq!(s, 401, "{:?}", body.text().await);
    let (editor, body) = session_with_everything(&app).await;
    let id = body["session"]["id"].as_str().unwrap();
    let code = body["exercises"][0]["code"].as_str().unwrap();
    assert_eq!(code.len(), 6);
    assert!(
        body["exercises"][0]["url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/t/{code}"))
    );

    // Presenting needs only the link.
    let html = app
        .get(&format!("/training/sessions/{id}/present"))
        .await
        .text()
        .await
        .unwrap();
    let doc = Html::parse_document(&html);
    // Title, 3 framework pages (the eight review rules on two slides), 1 indicator, the
    // example's bad table, its nine-row corrected table on two slides and notes, 1 exercise.
    assert_eq!(doc.select(&sel("section.slide")).count(), 11);
    assert!(
        doc.select(&sel("header.top")).next().is_none(),
        "no site chrome"
    );
    let join: Vec<String> = doc
        .select(&sel("[data-join-code]"))
        .map(|e| e.text().collect())
        .collect();
    assert_eq!(join, vec![code.to_string()]);
    assert!(html.contains("新建道路里程") && html.contains("2026.2 版"));
    assert!(!html.contains("有更新版本"));

    // The editor page changes the order and removes items; another editor may not.
    let (s, loc) = editor
        .form(
            &format!("/training/sessions/{id}"),
            &[("action", "down"), ("index", "0")],
        )
        .await;
    assert_eq!(s, 303, "{loc}");
    let (_, after) = editor.get(&format!("/api/v1/training/sessions/{id}")).await;
    assert_eq!(after["session"]["items"][0]["part"], "central2021");
    let (s, _) = editor
        .form(
            &format!("/training/sessions/{id}"),
            &[("action", "add"), ("kind", "indicator"), ("code", "NOPE-1")],
        )
        .await;
    // Said beside the form (the page again, with what was typed), not an error page.
    assert_eq!(s, 422);
    let admin_free = Session::login(&app, "reviewer").await;
    let (s, _) = admin_free
        .form(
            &format!("/training/sessions/{id}"),
            &[("action", "remove"), ("index", "0")],
        )
        .await;
    assert_eq!(s, 403);
    let (s, page) = editor.page(&format!("/training/sessions/{id}")).await;
    assert_eq!(s, 200);
    assert!(page.contains("练习码"), "{page}");
}

#[tokio::test]
async fn example_slides_show_exactly_the_rules_lint_reports() {
    let app = curation_app();
    let editor = Session::login(&app, "editor").await;
    let types: Vec<String> = app
        .app
        .examples
        .iter()
        .map(|e| e.project_type.clone())
        .collect();
    let items: Vec<Value> = types
        .iter()
        .map(|t| json!({ "kind": "example", "project_type": t }))
        .collect();
    let (s, body) = editor
        .post(
            "/api/v1/training/sessions",
            json!({ "title": "全部示例", "items": items }),
        )
        .await;
    assert_eq!(s, 201, "{body}");
    let id = body["session"]["id"].as_str().unwrap();
    let html = app
        .get(&format!("/training/sessions/{id}/present"))
        .await
        .text()
        .await
        .unwrap();
    let doc = Html::parse_document(&html);
    // Each example is its bad table, its corrected table (each on as many slides as it takes,
    // at most seven rows a slide) and a note, in the order of the items.
    let mut tables: Vec<(String, Vec<Vec<String>>, Vec<String>)> = Vec::new();
    // The table of the slide before, if it had one: a slide continues it when it shows the same.
    let mut previous: Option<String> = None;
    for slide in doc.select(&sel("section.slide")) {
        let which = slide
            .select(&sel("table.annotated"))
            .next()
            .map(|t| t.value().attr("data-table").unwrap().to_string());
        let Some(which) = which else {
            previous = None;
            continue;
        };
        let rows: Vec<Vec<String>> = slide
            .select(&sel("table.annotated tbody tr"))
            .map(|tr| {
                tr.select(&sel("[data-rule]"))
                    .map(|s| s.value().attr("data-rule").unwrap().to_string())
                    .collect()
            })
            .collect();
        assert!(rows.len() <= 7, "a slide of {} rows", rows.len());
        let general: Vec<String> = slide
            .select(&sel("ul.general [data-rule]"))
            .map(|s| s.value().attr("data-rule").unwrap().to_string())
            .collect();
        if previous.as_deref() == Some(which.as_str()) {
            let last = tables.last_mut().unwrap();
            last.1.extend(rows);
            last.2.extend(general);
        } else {
            tables.push((which.clone(), rows, general));
        }
        previous = Some(which);
    }
    for (n, t) in types.iter().enumerate() {
        let (_, api) = app.json(&format!("/api/v1/training/examples/{t}")).await;
        for (k, which) in [(0, "bad"), (1, "good")] {
            let (w, shown, general) = &tables[2 * n + k];
            assert_eq!(w, which);
            assert_eq!(
                (shown.clone(), general.clone()),
                api_rules(&api[which]),
                "{t} {which}"
            );
        }
    }
}

#[tokio::test]
async fn indicator_slides_keep_their_revision_and_flag_a_newer_one() {
    let app = curation_app();
    let (_, body) = session_with_everything(&app).await;
    let id = body["session"]["id"].as_str().unwrap();
    let store = &app.app.store;
    let mut ind = store.indicator("DL-001").unwrap().unwrap();
    let old_definition = ind.definition.clone();
    ind.definition = format!("{old_definition}（2026 年修订：含人行道）");
    store
        .publish(
            vec![ind],
            &zhibiao::store::ChangeMeta {
                author: "test".into(),
                reviewer: None,
                reason: "修订".into(),
            },
            None,
            None,
            None,
        )
        .unwrap();
    let html = app
        .get(&format!("/training/sessions/{id}/present"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("有更新版本（当前第 2 版）"),
        "no newer-revision flag"
    );
    assert!(html.contains(&old_definition) && !html.contains("2026 年修订"));
    assert!(html.contains("/editions/2026.2/indicators/DL-001"));

    // The edition's permanent link still shows revision 1, and says a newer one exists.
    let r = app.get("/editions/2026.2/indicators/DL-001").await;
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    assert!(page.contains(&old_definition) && !page.contains("2026 年修订"));
    assert!(page.contains("有更新版本"), "{page}");
    // The indicator page shows its revision's permanent link (revision 2 is in no edition yet).
    let page = app.get("/indicators/DL-002").await.text().await.unwrap();
    assert!(page.contains("/editions/2026.2/indicators/DL-002"));
    let page = app.get("/indicators/DL-001").await.text().await.unwrap();
    assert!(page.contains("/indicators/DL-001/r/2") && page.contains("尚未收入已发布的版本"));
    assert_eq!(
        app.get("/editions/2026.1/indicators/NOPE").await.status(),
        404
    );
    assert_eq!(
        app.get("/editions/1999.9/indicators/DL-001").await.status(),
        404
    );
}

#[tokio::test]
async fn trainees_get_feedback_and_nothing_reaches_drafts_or_the_library() {
    let app = curation_app();
    let (editor, body) = session_with_everything(&app).await;
    let id = body["session"]["id"].as_str().unwrap();
    let code = body["exercises"][0]["code"].as_str().unwrap();
    let generation = app.app.store.generation().unwrap();

    // The join page, with the code typed in lower case and with a space.
    let typed = format!("{} {}", &code[..3].to_lowercase(), &code[3..]);
    let r = app
        .get(&format!("/t/go?code={}", crate::helpers::enc(&typed)))
        .await;
    assert!(
        r.url().path().ends_with(&format!("/t/{code}")),
        "{}",
        r.url()
    );
    assert_eq!(app.get("/t/go?code=ZZZZZZ").await.status(), 404);

    let row = |name: &str, code: Option<&str>, target: &str, unit: &str| {
        json!({ "level1": "产出指标", "level2": "数量指标", "name": name, "indicator": code,
                "direction": "≥", "target": target, "unit": unit, "explanation": "按验收资料统计" })
    };
    let submit = |rows: Vec<Value>| {
        let url = app.url(&format!("/api/v1/training/exercises/{code}/attempts"));
        let client = app.client.clone();
        async move {
            let r = client
                .post(url)
                .json(&json!({ "project": { "name": "x", "term": "年度" }, "rows": rows }))
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let (s, a) = submit(vec![
        row("改造道路长度", None, "明显增加", ""),
        row("改造提升道路里程", Some("DL-002"), "8", "公里"),
    ])
    .await;
    assert_eq!(s, 201, "{a}");
    let rules: BTreeSet<&str> = a["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(
        rules.contains("vague-wording") && rules.contains("missing-level1"),
        "{rules:?}"
    );
    assert_eq!(a["comparison"]["covered"], 1, "{}", a["comparison"]);
    let (s, b) = submit(vec![row("道路建设", None, "", "")]).await;
    assert_eq!(s, 201, "{b}");

    // Nothing of it is a real draft, and the library did not move.
    for att in [&a, &b] {
        let aid = att["id"].as_str().unwrap();
        assert_eq!(app.app.store.draft(aid).unwrap(), None);
        assert_eq!(app.get(&format!("/drafts/{aid}")).await.status(), 404);
    }
    assert_eq!(app.app.store.generation().unwrap(), generation);

    // The trainer's anonymous summary: each rule once per submitted attempt.
    let (s, sum) = editor
        .get(&format!("/api/v1/training/sessions/{id}/summary"))
        .await;
    assert_eq!(s, 200, "{sum}");
    let ex = &sum["exercises"][0];
    assert_eq!(
        (ex["attempts"].as_u64(), ex["submitted"].as_u64()),
        (Some(2), Some(2))
    );
    let count = |rule: &str| {
        ex["rules"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["rule"] == rule)
            .map(|r| r["attempts"].as_u64().unwrap())
    };
    assert_eq!(count("missing-level1"), Some(2));
    assert_eq!(count("vague-wording"), Some(1));
    assert_eq!(count("missing-value"), Some(1));
    assert!(
        !sum.to_string().contains(a["id"].as_str().unwrap()),
        "summary is anonymous"
    );
    let (s, _) = Session::login(&app, "reviewer")
        .await
        .get(&format!("/api/v1/training/sessions/{id}/summary"))
        .await;
    assert_eq!(s, 403);
    let (s, page) = editor
        .page(&format!("/training/sessions/{id}/summary"))
        .await;
    assert_eq!(s, 200);
    assert!(page.contains("模糊表述"), "{page}");
    // Issue 26: the room sees each rule's Chinese name, never its id.
    let doc = Html::parse_document(&page);
    let cells: Vec<String> = doc
        .select(&sel("table.rule-counts tbody td:first-child"))
        .map(|td| td.text().collect::<String>())
        .collect();
    assert!(cells.len() >= 3, "{page}");
    for c in &cells {
        assert!(
            !c.is_ascii() && !c.contains("missing-") && !c.contains("vague-"),
            "a rule id in the summary: {c:?}"
        );
    }
}

#[tokio::test]
async fn a_trainee_drafts_with_the_drafting_page_and_submits_for_feedback() {
    let app = curation_app();
    let (_, body) = session_with_everything(&app).await;
    let code = body["exercises"][0]["code"].as_str().unwrap();
    let trainee = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = trainee
        .get(app.url(&format!("/t/{code}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = Html::parse_document(&page)
        .select(&sel("input[name=csrf]"))
        .next()
        .unwrap()
        .value()
        .attr("value")
        .unwrap()
        .to_string();
    let r = trainee
        .post(app.url(&format!("/t/{code}")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let at = r.headers()["location"].to_str().unwrap().to_string();
    let page = trainee
        .get(app.url(&at))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // The bad table to correct, in the normal drafting page, with the review check.
    assert!(
        page.contains("工程验收合格率") && page.contains("比率不可能超过 100%"),
        "{page}"
    );
    assert!(page.contains("提交并对照参考答案"));
    assert!(
        !page.contains("导出 Excel"),
        "no exports of a practice table"
    );
    // Fix the rate, drop the funding row, add a library indicator, submit.
    let r = trainee
        .post(app.url(&at))
        .form(&[
            ("csrf", csrf.as_str()),
            ("rows[2].direction", "="),
            ("remove", "3"),
            ("add", "DL-028"),
            ("submit", "1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let page = trainee
        .get(app.url(&at))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let doc = Html::parse_document(&page);
    let head: String = doc
        .select(&sel("#feedback h2"))
        .next()
        .expect("feedback after submitting")
        .text()
        .collect();
    assert!(head.contains("覆盖 1 / 8"), "{head}");
    assert!(!page.contains("衡量资金投入"), "the funding row is gone");
    assert!(page.contains("讲解要点"));
}

#[tokio::test]
async fn the_handbook_has_every_field_of_every_indicator_of_the_type() {
    let app = shared_app();
    let r = app.get("/handbook/road").await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    let doc = Html::parse_document(&html);
    let (_, hits) = app.json("/api/v1/search?project_type=road&limit=100").await;
    let total = hits["total"].as_u64().unwrap() as usize;
    let blocks: Vec<_> = doc.select(&sel("article.indicator-block")).collect();
    assert_eq!(blocks.len(), total);
    for b in &blocks {
        let text: String = b.text().collect();
        for field in [
            "指标解释",
            "计算公式",
            "指标方向",
            "计量单位",
            "参考值",
            "取值依据",
            "数据来源",
            "评(扣)分标准",
            "默认分值",
            "适用项目类型",
            "来源与版本",
        ] {
            assert!(text.contains(field), "{field} missing in {text}");
        }
    }
    assert!(html.contains("@page") && html.contains("size: A4"));
    assert!(
        doc.select(&sel(".toc a[href='#framework']"))
            .next()
            .is_some()
    );
    assert!(
        doc.select(&sel("#ex-road")).next().is_some(),
        "the type's example"
    );
    assert_eq!(app.get("/handbook/nope").await.status(), 404);
    let whole = app.get("/handbook").await.text().await.unwrap();
    assert!(
        Html::parse_document(&whole)
            .select(&sel("article.indicator-block"))
            .count()
            > 1000
    );
}

/// Headless Chromium, or `None` with the reason printed (CI requires it).
fn chromium() -> Option<std::path::PathBuf> {
    let found = [
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
    ]
    .into_iter()
    .map(std::path::PathBuf::from)
    .find(|p| p.exists());
    if found.is_none() {
        assert!(
            std::env::var_os("ZHIBIAO_REQUIRE_TOOLS").is_none(),
            "chromium missing"
        );
        eprintln!(
            "SKIPPED the handbook PDF test: chromium is not installed (apt-get install chromium)"
        );
    }
    found
}

/// PDF text strings: `(literal)` or `<FEFF…>` UTF-16BE hex.
fn pdf_string(raw: &[u8]) -> String {
    if raw.first() == Some(&b'<') {
        let hex = std::str::from_utf8(&raw[1..raw.len() - 1]).unwrap();
        let bytes: Vec<u8> = (0..hex.len() / 2)
            .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap())
            .collect();
        let units: Vec<u16> = bytes[2..]
            .chunks(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .collect();
        String::from_utf16_lossy(&units)
    } else {
        String::from_utf8_lossy(&raw[1..raw.len() - 1]).into_owned()
    }
}

/// The page count and the outline (bookmark) titles of a PDF Chromium wrote.
fn pdf_pages_and_outline(pdf: &[u8]) -> (usize, Vec<String>) {
    let text = String::from_utf8_lossy(pdf);
    let pages = text.matches("/Type /Page").count() - text.matches("/Type /Pages").count();
    let mut titles = Vec::new();
    let mut rest = pdf;
    while let Some(p) = rest.windows(6).position(|w| w == b"/Title") {
        let after = &rest[p + 6..];
        let start = after.iter().position(|b| *b == b'<' || *b == b'(').unwrap();
        let close = if after[start] == b'<' { b'>' } else { b')' };
        let end = start + after[start..].iter().position(|b| *b == close).unwrap();
        titles.push(pdf_string(&after[start..=end]));
        rest = &after[end..];
    }
    (pages, titles)
}

#[test]
fn the_handbook_of_one_type_prints_to_a_pdf_with_the_expected_pages_and_headings() {
    let Some(browser) = chromium() else { return };
    let app = shared_app();
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("road.pdf");
    let status = crate::browser::headless(&browser, &dir)
        .args(["--no-pdf-header-footer", "--generate-pdf-document-outline"])
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(app.url("/handbook/road"))
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let bytes = std::fs::read(&pdf).unwrap();
    assert!(bytes.starts_with(b"%PDF"));
    let (pages, titles) = pdf_pages_and_outline(&bytes);
    let store = &app.app.store;
    let t = app
        .app
        .search
        .catalog()
        .project_type("road")
        .cloned()
        .unwrap();
    let names: Vec<String> = store
        .indicators()
        .unwrap()
        .into_iter()
        .filter(|i| i.is_active() && i.fits(&t))
        .map(|i| i.name)
        .collect();
    // Cover, contents and the framework take a page each at least; blocks never split, so at
    // least two and at most six indicators fit on an A4 page; the example adds a page or two.
    let n = names.len();
    let (low, high) = (3 + n / 6, 6 + n / 2 + 3);
    eprintln!(
        "handbook/road: {n} indicators, {pages} PDF pages, {} outline entries",
        titles.len()
    );
    assert!(
        (low..=high).contains(&pages),
        "{pages} pages for {n} indicators, expected {low}..={high}"
    );
    eprintln!("{titles:?}");
    // Chromium sometimes repeats a heading's text in its bookmark: compare by containment.
    for h in [
        "城市道路建设与改造指标手册",
        "目录",
        "一、指标体系说明",
        "二、产出指标",
        "三、效益指标",
        "四、满意度指标",
        "数量指标",
        "反例与正例",
    ] {
        assert!(
            titles.iter().any(|t| t.contains(h)),
            "heading {h} not in the outline: {titles:?}"
        );
    }
    for name in &names {
        assert!(
            titles.iter().any(|t| t.contains(name.as_str())),
            "{name} not in the outline"
        );
    }
    std::fs::copy(
        &pdf,
        crate::browser::screenshot_dir().join("handbook-road.pdf"),
    )
    .unwrap();
}
