//! The HTML pages over HTTP, checked with CSS selectors.

use crate::helpers::{enc, shared_app};
use scraper::{Html, Selector};

async fn page(path: &str) -> (u16, Html) {
    let r = shared_app().get(path).await;
    let status = r.status().as_u16();
    let ct = r.headers()["content-type"].to_str().unwrap().to_string();
    assert!(ct.starts_with("text/html"), "{path}: {ct}");
    (status, Html::parse_document(&r.text().await.unwrap()))
}

fn texts(doc: &Html, sel: &str) -> Vec<String> {
    let s = Selector::parse(sel).unwrap();
    doc.select(&s)
        .map(|e| e.text().collect::<String>())
        .collect()
}

fn count(doc: &Html, sel: &str) -> usize {
    doc.select(&Selector::parse(sel).unwrap()).count()
}

#[tokio::test]
async fn the_home_page_offers_search_and_the_project_types() {
    let (status, doc) = page("/").await;
    assert_eq!(status, 200);
    assert_eq!(count(&doc, "form.search input[name=q]"), 1);
    assert!(count(&doc, ".groups a[href^='/browse/']") >= 30);
    // One whole document: a parser always makes one <html>, so count the tags as sent.
    let raw = shared_app().get("/").await.text().await.unwrap();
    assert!(raw.trim_start().starts_with("<!doctype html>"), "{raw:.80}");
    assert_eq!(
        (raw.matches("<html").count(), raw.matches("</html>").count()),
        (1, 1)
    );
    assert!(doc.root_element().html().contains("lang=\"zh-CN\""));
}

#[tokio::test]
async fn search_results_are_highlighted_with_facets_and_links() {
    let (status, doc) = page(&format!("/?q={}", enc("满意"))).await;
    assert_eq!(status, 200);
    let marks = texts(&doc, ".hit .name mark");
    assert!(
        !marks.is_empty() && marks.iter().all(|m| m == "满意"),
        "{marks:?}"
    );
    assert!(count(&doc, ".hit a.name[href^='/indicators/']") >= 10);
    let facets = texts(&doc, ".facet h3");
    for f in ["一级指标", "二级指标", "项目类型"] {
        assert!(facets.iter().any(|t| t == f), "{facets:?}");
    }
    assert!(texts(&doc, ".summary")[0].contains("共"));
}

#[tokio::test]
async fn a_facet_link_filters_the_results() {
    let (_, doc) = page(&format!("/?q={}&level2={}", enc("道路"), enc("质量指标"))).await;
    let levels = texts(&doc, ".hit .meta .tag:nth-child(2)");
    assert!(
        !levels.is_empty() && levels.iter().all(|l| l == "质量指标"),
        "{levels:?}"
    );
    assert_eq!(count(&doc, ".active-filters .chip"), 1);
}

#[tokio::test]
async fn the_indicator_page_shows_every_field_and_the_history() {
    let (status, doc) = page("/indicators/GX-JS-002").await;
    assert_eq!(status, 200);
    let labels = texts(&doc, ".fields dt");
    for l in [
        "指标解释",
        "计算公式",
        "计量单位",
        "指标方向",
        "参考值",
        "数据来源",
        "评(扣)分标准",
        "适用项目类型",
    ] {
        assert!(labels.iter().any(|t| t == l), "missing {l}: {labels:?}");
    }
    // Revision 1 from 2026.1, revision 2 from the release of 2026.2.
    assert_eq!(count(&doc, ".history tbody tr"), 2);
    assert!(count(&doc, ".permalink a[href='/indicators/GX-JS-002/r/2']") == 1);
    let (status, _) = page("/indicators/GX-JS-002/r/1").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn browse_goes_from_project_type_to_the_framework_tree() {
    let (_, doc) = page("/browse").await;
    assert!(count(&doc, "a[href='/browse/water_env']") == 1);
    let (status, doc) = page("/browse/water_env").await;
    assert_eq!(status, 200);
    assert_eq!(
        texts(&doc, ".tree h2"),
        vec!["产出指标", "效益指标", "满意度指标"]
    );
    assert!(count(&doc, ".core") >= 4);
}

#[tokio::test]
async fn browse_groups_types_by_functional_class_and_names_each_type_s_codes() {
    let (status, doc) = page("/browse?by=function").await;
    assert_eq!(status, 200);
    let headings = texts(&doc, ".groups h2");
    assert!(
        headings.iter().any(|h| h == "212 城乡社区支出"),
        "{headings:?}"
    );
    assert_eq!(count(&doc, "#f212 a[href='/browse/road']"), 1);
    assert_eq!(count(&doc, "#f210 a[href='/browse/public_health']"), 1);
    let (_, doc) = page("/browse/public_health").await;
    let line = texts(&doc, ".functions").join("");
    assert!(
        line.contains("21004") && line.contains("公共卫生"),
        "{line}"
    );
}

#[tokio::test]
async fn the_indicator_page_shows_the_document_and_the_year_a_value_comes_from() {
    let (status, doc) = page("/indicators/GX-HY-007").await;
    assert_eq!(status, 200);
    let labels = texts(&doc, ".fields dt");
    assert!(labels.iter().any(|t| t == "依据文件"), "{labels:?}");
    assert!(labels.iter().any(|t| t == "适用年度"), "{labels:?}");
    assert!(texts(&doc, ".basis-doc")[0].contains("财行〔2016〕214号"));
    assert_eq!(texts(&doc, ".valid-year"), vec!["2016起"]);
}

#[tokio::test]
async fn framework_and_statistics_pages_render() {
    let (status, doc) = page("/framework").await;
    assert_eq!(status, 200);
    assert!(texts(&doc, "h2").iter().any(|h| h.contains("2021")));
    let (status, doc) = page("/stats").await;
    assert_eq!(status, 200);
    assert!(count(&doc, ".by-type tbody tr") >= 30);
}

#[tokio::test]
async fn errors_render_the_chinese_error_page() {
    for (path, status) in [
        ("/indicators/NOPE-1", 404),
        ("/browse/nope", 404),
        ("/no/such/page", 404),
        ("/?q=a&limit=abc", 400),
        ("/indicators/GX-JS-002/r/abc", 400),
        ("/indicators/GX-JS-002/r/99", 404),
    ] {
        let (s, doc) = page(path).await;
        assert_eq!(s, status, "{path}");
        let msg = texts(&doc, ".error .message").concat();
        assert!(
            msg.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "{path}: {msg}"
        );
    }
}

#[tokio::test]
async fn user_text_is_escaped() {
    let q = "<script>alert(1)</script>";
    let r = shared_app().get(&format!("/?q={}", enc(q))).await;
    assert_eq!(r.status(), 200);
    let raw = r.text().await.unwrap();
    assert!(!raw.contains("<script>alert"), "sent unescaped");
    let doc = Html::parse_document(&raw);
    assert_eq!(count(&doc, "main script"), 0);
    // Shown back as text: escaped, not dropped.
    let shown = Selector::parse("input[name=q]").unwrap();
    assert_eq!(
        doc.select(&shown)
            .next()
            .and_then(|e| e.value().attr("value")),
        Some(q)
    );
}
