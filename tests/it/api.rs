//! The JSON API over HTTP.

use crate::helpers::{enc, shared_app};
use serde_json::Value;

fn names(body: &Value) -> Vec<String> {
    body["hits"]
        .as_array()
        .expect("hits")
        .iter()
        .map(|h| h["name"].as_str().unwrap().to_string())
        .collect()
}

async fn search(q: &str, extra: &str) -> Value {
    let (status, body) = shared_app()
        .json(&format!("/api/v1/search?q={}{extra}", enc(q)))
        .await;
    assert_eq!(status, 200, "search {q}: {body}");
    body
}

#[tokio::test]
async fn searching_man_yi_finds_satisfaction_indicators() {
    let body = search("满意", "&limit=10").await;
    assert!(body["total"].as_u64().unwrap() >= 30, "{body}");
    for n in names(&body) {
        assert!(n.ends_with("满意度"), "满意 found {n}");
    }
    let hit = &body["hits"][0];
    for key in [
        "id",
        "code",
        "name",
        "level1",
        "level2",
        "unit",
        "direction",
        "project_types",
        "snippet",
        "score",
    ] {
        assert!(!hit[key].is_null(), "hit lacks {key}: {hit}");
    }
    assert!(
        hit["name_html"]
            .as_str()
            .unwrap()
            .contains("<mark>满意</mark>")
    );
}

#[tokio::test]
async fn searching_yan_shou_finds_project_acceptance_rate_through_its_alias() {
    let body = search("验收", "&limit=50").await;
    assert!(
        names(&body).contains(&"工程验收合格率".to_string()),
        "{:?}",
        names(&body)
    );
    let body = search("项目验收合格率", "&limit=3").await;
    assert_eq!(names(&body)[0], "工程验收合格率");
}

#[tokio::test]
async fn a_word_only_in_definitions_finds_them_below_name_matches() {
    // 监理 appears only in definitions.
    let body = search("监理", "&limit=20").await;
    let found = names(&body);
    assert!(
        found.contains(&"质量问题整改完成率".to_string()),
        "{found:?}"
    );
    // 抽样 appears in names and in definitions: every name match ranks above every other.
    let body = search("抽样", "&limit=60").await;
    let found = names(&body);
    let first_other = found
        .iter()
        .position(|n| !n.contains("抽样"))
        .expect("definition hits");
    assert!(first_other > 0, "{found:?}");
    assert!(
        found[first_other..].iter().all(|n| !n.contains("抽样")),
        "a name match ranked below a definition match: {found:?}"
    );
}

#[tokio::test]
async fn facets_count_level1_level2_and_project_types() {
    let body = search("道路", "&facets=1").await;
    let f = &body["facets"];
    let total: u64 = f["level1"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["count"].as_u64().unwrap())
        .sum();
    assert_eq!(total, body["total"].as_u64().unwrap());
    assert!(!f["level2"].as_array().unwrap().is_empty());
    let road = f["project_type"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["value"] == "road");
    assert_eq!(road.expect("road facet")["label"], "城市道路建设与改造");
}

#[tokio::test]
async fn filters_combine_with_a_query_and_alone_list_everything_in_them() {
    let body = search("道路", &format!("&level1={}&limit=100", enc("满意度指标"))).await;
    assert!(body["total"].as_u64().unwrap() > 0);
    for h in body["hits"].as_array().unwrap() {
        assert_eq!(h["level1"], "满意度指标");
    }
    let (_, all) = shared_app()
        .json("/api/v1/search?project_type=road&limit=100")
        .await;
    let (_, types) = shared_app().json("/api/v1/project-types").await;
    let road = types["groups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["project_types"].as_array().unwrap().iter())
        .find(|t| t["code"] == "road")
        .unwrap()
        .clone();
    assert_eq!(
        all["total"], road["indicators"],
        "filter-only search lists the whole type"
    );
    let (_, core) = shared_app()
        .json("/api/v1/search?project_type=road&core=1&limit=100")
        .await;
    assert_eq!(core["total"], road["core_indicators"]);
}

#[tokio::test]
async fn an_indicator_comes_with_every_field_and_its_revisions() {
    let (status, body) = shared_app().json("/api/v1/indicators/GX-JS-002").await;
    assert_eq!(status, 200, "{body}");
    let ind = &body["indicator"];
    for key in [
        "name",
        "definition",
        "formula",
        "unit",
        "direction",
        "target",
        "basis",
        "data_source",
        "scoring",
        "weight",
        "provenance",
    ] {
        assert!(!ind[key].is_null(), "missing {key}");
    }
    assert_eq!(body["revisions"][0]["number"], 1);
    assert_eq!(body["revisions"][0]["kind"], "new");
    assert!(body["fits_project_types"].as_array().unwrap().len() >= 10);
    let (status, revs) = shared_app()
        .json("/api/v1/indicators/GX-JS-002/revisions")
        .await;
    assert_eq!(status, 200);
    // Every revision, up to the current one (2026.2 revised it after 2026.1).
    assert_eq!(
        revs["revisions"].as_array().unwrap().len() as u64,
        body["revision"].as_u64().unwrap()
    );
}

#[tokio::test]
async fn catalog_endpoints_describe_types_framework_stats_and_editions() {
    let (_, types) = shared_app().json("/api/v1/project-types").await;
    assert_eq!(types["edition"], "2026.2");
    let road = types["groups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["project_types"].as_array().unwrap())
        .find(|t| t["code"] == "road")
        .unwrap();
    assert_eq!(road["functions"][0]["code"], "21203");
    assert_eq!(road["functions"][0]["name"], "城乡社区公共设施");
    assert_eq!(road["function_classes"][0]["name"], "城乡社区支出");
    let classes = types["function_classes"].as_array().unwrap();
    let c212 = classes.iter().find(|c| c["code"] == "212").unwrap();
    assert!(
        c212["project_types"]
            .as_array()
            .unwrap()
            .contains(&"road".into())
    );
    let (_, fw) = shared_app().json("/api/v1/framework").await;
    assert_eq!(fw["frameworks"].as_array().unwrap().len(), 3);
    let (_, stats) = shared_app().json("/api/v1/stats").await;
    assert!(stats["indicators"].as_u64().unwrap() >= 1000);
    assert_eq!(stats["findings"], 0);
    let (_, eds) = shared_app().json("/api/v1/editions").await;
    assert_eq!(eds["editions"][0]["name"], "2026.1");
}

#[tokio::test]
async fn suggestions_complete_a_half_typed_name() {
    let (status, body) = shared_app()
        .json(&format!("/api/v1/suggest?q={}", enc("验收合")))
        .await;
    assert_eq!(status, 200);
    let first = body["suggestions"][0]["name"].as_str().unwrap();
    assert!(first.contains("验收合格率"), "{body}");
    let (_, body) = shared_app()
        .json(&format!("/api/v1/suggest?q={}", enc("满")))
        .await;
    let list = body["suggestions"].as_array().unwrap();
    assert!(
        !list.is_empty()
            && list
                .iter()
                .all(|s| s["name"].as_str().unwrap().contains('满'))
    );
}

/// Bad input: a clear 4xx with a stable code, never a 500.
#[tokio::test]
async fn bad_input_gets_a_4xx_with_a_stable_code() {
    let long = "a".repeat(10_000);
    let long_cjk = "满".repeat(3_000);
    let cases: Vec<(String, u16, &str)> = vec![
        (
            format!("/api/v1/search?q={}", enc(&long)),
            400,
            "query_too_long",
        ),
        (
            "/api/v1/search?q=a&limit=abc".into(),
            400,
            "invalid_parameter",
        ),
        (
            "/api/v1/search?q=a&limit=1000".into(),
            400,
            "invalid_parameter",
        ),
        (
            "/api/v1/search?q=a&offset=-1".into(),
            400,
            "invalid_parameter",
        ),
        (
            "/api/v1/search?q=a&offset=999999".into(),
            400,
            "invalid_parameter",
        ),
        (
            format!("/api/v1/search?q=a&level1={}", enc("投入指标")),
            400,
            "invalid_filter",
        ),
        (
            "/api/v1/search?q=a&project_type=nope".into(),
            400,
            "invalid_filter",
        ),
        (
            "/api/v1/indicators/NOPE-999".into(),
            404,
            "indicator_not_found",
        ),
        (
            "/api/v1/indicators/%E9%81%93".into(),
            404,
            "indicator_not_found",
        ),
        ("/api/v1/nothing-here".into(), 404, "route_not_found"),
        (
            format!("/api/v1/suggest?q={}", enc(&long)),
            400,
            "query_too_long",
        ),
        (
            format!("/api/v1/search?q={}", enc(&long_cjk)),
            400,
            "query_too_long",
        ),
    ];
    for (path, status, code) in cases {
        let (s, body) = shared_app().json(&path).await;
        assert_eq!(
            (s, body["error"]["code"].as_str()),
            (status, Some(code)),
            "{path}: {body}"
        );
        assert!(!body["error"]["message"].as_str().unwrap().is_empty());
    }
}

#[tokio::test]
async fn empty_punctuation_and_malformed_queries_give_an_empty_result() {
    for q in [
        "",
        "%20%20",
        "%EF%BC%81%EF%BC%9F%E3%80%82",
        "%E4%B8",
        "%ZZ",
        "()[]{}*:~^\"\\",
    ] {
        let (s, body) = shared_app().json(&format!("/api/v1/search?q={q}")).await;
        assert_eq!(s, 200, "{q}: {body}");
        assert!(body["total"].as_u64().unwrap() <= 1200, "{q}");
        if q != "%E4%B8" && q != "%ZZ" {
            assert_eq!(body["total"], 0, "{q}: {body}");
        }
    }
}
