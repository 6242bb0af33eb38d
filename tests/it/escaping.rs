//! Data shown in the browser stays data: the corpus loader refuses fields that are not what the
//! pages expect, the server escapes what it highlights, and the script puts API strings into the
//! page as text, never as markup.

use crate::helpers::{TestApp, enc, start};
use std::path::Path;
use zhibiao::app::App;
use zhibiao::config::{Config, LibrarySource};

fn corpus_config(data: &Path, corpus: &Path) -> Config {
    let mut c = Config::for_tests(data);
    c.library = LibrarySource::Corpus(corpus.to_path_buf());
    c
}

fn write_lines(path: &Path, lines: &[serde_json::Value]) {
    let text: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    std::fs::write(path, text.join("\n")).unwrap();
}

const MARKUP: &str = "<img src=x onerror=alert(1)>";

#[test]
fn a_corpus_with_markup_or_control_characters_in_shown_fields_is_refused_with_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus.jsonl");
    let good = serde_json::json!({ "id": "a1", "name": "道路养护完成率", "level1": "产出指标",
        "level2": "数量指标", "unit": "%", "project_types": ["道路建设"] });
    for (field, value) in [
        ("level2", serde_json::json!(MARKUP)),
        ("unit", serde_json::json!(format!("%{MARKUP}"))),
        ("level1", serde_json::json!("产出指标\u{7}")),
        (
            "project_types",
            serde_json::json!([format!("道路{MARKUP}\n")]),
        ),
    ] {
        let mut bad = good.clone();
        bad["id"] = "a2".into();
        bad[field] = value;
        write_lines(&corpus, &[good.clone(), bad]);
        let err = App::open(corpus_config(&dir.path().join("data"), &corpus))
            .err()
            .unwrap_or_else(|| panic!("a corpus with a bad {field} was served"));
        let text = format!("{err:#}");
        assert!(
            text.contains(field) && text.contains(":2"),
            "{field}: the error names the field and the line: {text}"
        );
    }
}

async fn corpus_app(names: &[&str]) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus.jsonl");
    let lines: Vec<serde_json::Value> = names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            serde_json::json!({ "id": format!("x-{i}"), "name": n, "level1": "产出指标",
                "level2": "数量指标", "unit": "%", "project_types": ["道路建设"] })
        })
        .collect();
    write_lines(&corpus, &lines);
    start(corpus_config(&dir.path().join("data"), &corpus), Some(dir))
}

/// Markup in a name (a name may hold any printable text) comes back escaped in the highlights:
/// `name_html` and `snippet` carry no element but `<mark>`.
#[tokio::test]
async fn highlights_escape_the_text_they_mark() {
    let app = corpus_app(&[&format!("道路{MARKUP}养护率"), "道路\"引号'养护率"]).await;
    for path in [
        format!("/api/v1/search?q={}", enc("道路")),
        format!("/api/v1/suggest?q={}", enc("道路")),
    ] {
        let (s, body) = app.json(&path).await;
        assert_eq!(s, 200, "{body}");
        let list = body["hits"]
            .as_array()
            .or(body["suggestions"].as_array())
            .unwrap();
        assert_eq!(list.len(), 2, "{body}");
        for h in list {
            for key in ["name_html", "snippet"] {
                let Some(html) = h[key].as_str() else {
                    continue;
                };
                let bare = html.replace("<mark>", "").replace("</mark>", "");
                assert!(
                    !bare.contains(['<', '>', '"', '\'']),
                    "{key} lets markup through: {html}"
                );
            }
        }
        assert!(
            body.to_string()
                .contains("&lt;img src=x onerror=alert(1)&gt;"),
            "{body}"
        );
    }
}

#[test]
fn the_script_never_parses_api_data_as_html() {
    let script = include_str!("../../templates/static/app.js");
    for sink in [
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "createContextualFragment",
    ] {
        assert!(!script.contains(sink), "app.js uses {sink}");
    }
}

/// No element the data carried is in the page (`ids`: those it would have made), and the hit is
/// still marked.
async fn only_text_and_the_mark(b: &crate::webdriver::Browser, ids: &str) {
    let injected = b
        .eval(&format!(
            "return document.querySelectorAll('#suggestions b, #suggestions img, {ids}').length"
        ))
        .await;
    assert_eq!(injected, 0);
    let marked = b
        .eval("return document.querySelector('#suggestions li mark').textContent")
        .await;
    assert_eq!(marked, "养护");
}

/// In a real browser: a suggestion whose name holds markup shows it as text, and the hit is
/// still marked.
#[tokio::test]
async fn suggestions_show_markup_in_a_name_as_text() {
    let Some(chromium) =
        crate::browser::webdriver_tools("suggestions_show_markup_in_a_name_as_text")
    else {
        return;
    };
    let app = corpus_app(&[
        "养护<b id=injected>粗</b><img src=x onerror=\"document.title='pwned'\">完成率",
    ])
    .await;
    let b = crate::webdriver::Browser::start(&chromium).await;
    b.goto(&app.url("/")).await;
    let input = b.find("#q").await;
    b.send_keys(&input, "养护").await;
    let n = b
        .wait_for("return document.querySelectorAll('#suggestions li').length")
        .await;
    assert_eq!(n, 1);
    let text = b
        .eval("return document.querySelector('#suggestions li span').textContent")
        .await;
    assert!(
        text.as_str().unwrap().contains("<b id=injected>粗</b><img"),
        "{text}"
    );
    only_text_and_the_mark(&b, "#injected").await;
    let small = b
        .eval("return document.querySelector('#suggestions li small').textContent")
        .await;
    assert_eq!(small, "数量指标 · %");
    // Whatever the API sends (an unescaped highlight, markup in level 2 or the unit), the script
    // shows it as text: the answer is replaced in the page's own fetch.
    b.eval(
        r#"window.fetch = async () => new Response(JSON.stringify({ suggestions: [{
            code: 'x', name_html: '<mark>养护</mark><img id=n src=x onerror="document.title=1">',
            level2: '<b id=l2>二级</b>', unit: '<img id=u src=x onerror="document.title=2">' }] }));
           return 1"#,
    )
    .await;
    b.send_keys(&input, "率").await;
    let text = b
        .wait_for("const s = document.querySelector('#suggestions li small'); return s && s.textContent.includes('二级') && s.textContent")
        .await;
    assert_eq!(
        text,
        "<b id=l2>二级</b> · <img id=u src=x onerror=\"document.title=2\">"
    );
    only_text_and_the_mark(&b, "#n, #u, #l2").await;
    let title = b.eval("return document.title").await;
    assert!(title != "1" && title != "2", "{title}");
    b.close().await;
}
