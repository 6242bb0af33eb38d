//! Search never drifts from the published library for good: a change the index could not take
//! is answered as published, repaired in the background or at the next write, and rebuilt at
//! the next start; `zhibiao reindex` leaves a running server's index alone.

use crate::helpers::{Session, TestApp, curation_app, enc};
use serde_json::{Value, json};
use std::process::Command;
use std::time::{Duration, Instant};

/// Proposes to add `alias` to `code` and approves it; returns the approval's answer.
async fn approve_alias(app: &TestApp, code: &str, alias: &str) -> (u16, Value) {
    let editor = Session::login(app, "editor").await;
    let reviewer = Session::login(app, "reviewer").await;
    let (_, ind) = app.json(&format!("/api/v1/indicators/{code}")).await;
    let mut aliases = ind["indicator"]["aliases"].as_array().unwrap().clone();
    aliases.push(json!(alias));
    let (s, p) = editor
        .post(
            "/api/v1/proposals",
            json!({ "kind": "edit", "code": code, "indicator": { "aliases": aliases },
                    "reason": "增加常用叫法" }),
        )
        .await;
    assert_eq!(s, 201, "{p}");
    reviewer
        .post(&format!("/api/v1/proposals/{}/approve", p["id"]), json!({}))
        .await
}

/// The code of the first hit for `q`.
async fn top_hit(app: &TestApp, q: &str) -> Option<String> {
    let (s, body) = app.json(&format!("/api/v1/search?q={}", enc(q))).await;
    assert_eq!(s, 200, "{body}");
    body["hits"][0]["code"].as_str().map(str::to_string)
}

/// Every published indicator is in the index exactly as the store holds it, and nothing else.
fn assert_search_equals_store(app: &TestApp) {
    let store = &app.app.store;
    let mut active = 0;
    for ind in store.indicators().unwrap() {
        let indexed = app.app.search.get(ind.code.as_str());
        if ind.is_active() {
            active += 1;
            assert_eq!(indexed.as_deref(), Some(&ind), "{} in the index", ind.code);
        } else {
            assert!(indexed.is_none(), "retired {} still in the index", ind.code);
        }
    }
    assert_eq!(app.app.search.len(), active);
}

async fn health(app: &TestApp) -> (u16, Value) {
    let r = app.get("/healthz").await;
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_change_the_index_could_not_take_is_published_and_search_catches_up() {
    let app = curation_app();
    app.app.search.fail_next_writes(1);
    let (s, a) = approve_alias(&app, "JZ-001", "漂移校验甲").await;
    // The next write finds the index behind and brings it in line.
    let (s2, b) = approve_alias(&app, "JZ-002", "漂移校验乙").await;
    assert_eq!(
        (s2, &b["search_index"]["status"]),
        (200, &json!("current")),
        "{b}"
    );
    assert_eq!(top_hit(&app, "漂移校验甲").await.as_deref(), Some("JZ-001"));
    assert_eq!(top_hit(&app, "漂移校验乙").await.as_deref(), Some("JZ-002"));
    let app = app.restart();
    assert_search_equals_store(&app);
    assert_eq!(top_hit(&app, "漂移校验甲").await.as_deref(), Some("JZ-001"));

    // The failed write was answered as what it is: published, with search to follow.
    assert_eq!(s, 200, "{a}");
    assert_eq!(a["approved"][0]["state"], "approved", "{a}");
    assert_eq!(a["search_index"]["status"], "stale", "{a}");
    assert_eq!(a["search_index"]["code"], "index_stale", "{a}");
    assert!(
        a["search_index"]["message"]
            .as_str()
            .unwrap()
            .contains("已发布"),
        "{a}"
    );
}

#[tokio::test]
async fn an_index_left_behind_is_rebuilt_at_the_next_start() {
    let app = curation_app();
    // Every index write fails, the background retry's included, until the restart.
    app.app.search.fail_next_writes(usize::MAX);
    let (s, a) = approve_alias(&app, "JZ-003", "重启重建校验").await;
    assert_eq!(
        (s, &a["search_index"]["status"]),
        (200, &json!("stale")),
        "{a}"
    );
    let (_, ind) = app.json("/api/v1/indicators/JZ-003").await;
    assert!(
        ind["indicator"]["aliases"]
            .as_array()
            .unwrap()
            .contains(&json!("重启重建校验")),
        "the change is published: {ind}"
    );
    let (hs, h) = health(&app).await;
    assert_eq!(hs, 503, "{h}");
    assert_eq!(h["index"], "stale", "{h}");
    assert!(
        h["error"]["message"].as_str().unwrap().contains("索引"),
        "{h}"
    );

    let app = app.restart();
    assert!(app.app.rebuilt_index, "the stale index is rebuilt at start");
    assert_search_equals_store(&app);
    assert_eq!(
        top_hit(&app, "重启重建校验").await.as_deref(),
        Some("JZ-003")
    );
    assert_eq!(health(&app).await.0, 200);
}

#[tokio::test]
async fn a_background_retry_repairs_the_index_without_another_write() {
    let app = curation_app();
    app.app.search.fail_next_writes(1);
    let (s, a) = approve_alias(&app, "JZ-004", "后台重建校验").await;
    assert_eq!(
        (s, &a["search_index"]["status"]),
        (200, &json!("stale")),
        "{a}"
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while top_hit(&app, "后台重建校验").await.as_deref() != Some("JZ-004") {
        assert!(
            Instant::now() < deadline,
            "the index was not repaired in time"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_search_equals_store(&app);
    let (hs, h) = health(&app).await;
    assert_eq!((hs, &h["status"]), (200, &json!("ok")), "{h}");
}

#[tokio::test]
async fn reindex_refuses_to_run_beside_a_server_and_leaves_its_index_alone() {
    let app = curation_app();
    let data = app.app.config.data_dir.clone();
    let listing = |dir: &std::path::Path| {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let before = listing(&data.join("index"));
    let out = Command::new(env!("CARGO_BIN_EXE_zhibiao"))
        .arg("--data-dir")
        .arg(&data)
        .arg("reindex")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "reindex ran beside the server: {stderr}"
    );
    assert!(data.join("index").is_dir(), "the index directory is gone");
    assert_eq!(
        listing(&data.join("index")),
        before,
        "the index was touched"
    );
    assert!(
        stderr.contains("zhibiao serve"),
        "the refusal says why: {stderr}"
    );
    // The server keeps publishing and searching.
    let (s, b) = approve_alias(&app, "JZ-005", "重建命令校验").await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        top_hit(&app, "重建命令校验").await.as_deref(),
        Some("JZ-005")
    );
}
