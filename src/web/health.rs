//! `/healthz`: whether the service can write (store and search index), for monitors.

use super::extract::Json;
use super::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// 200 while the store and the index take writes; 503 with the reasons (in Chinese) while one
/// cannot: the store's last write failed (a full or read-only disk), or the index misses a
/// published change. Reads the state the writes left, so it stays as cheap as a static answer.
pub async fn healthz(State(app): State<AppState>) -> Response {
    let h = app.health();
    if h.is_ok() {
        return Json(json!({ "status": "ok", "store": "ok", "index": "ok" })).into_response();
    }
    let mut reasons = Vec::new();
    match &h.store {
        Some(why) if h.store_stuck => reasons.push(format!("数据库无法写入（{why}）")),
        Some(why) => reasons.push(format!(
            "数据库无法写入（{why}）：请检查数据目录所在磁盘的剩余空间和写权限，恢复后服务会自动重新打开数据库"
        )),
        None => {}
    }
    if h.index.is_some() {
        reasons.push("检索索引落后于已发布的指标库，正在后台重建".to_string());
    }
    let store = match (&h.store, h.store_stuck) {
        (_, true) => "stuck",
        (Some(_), false) => "unwritable",
        (None, false) => "ok",
    };
    let body = json!({
        "status": "degraded",
        "store": store,
        "index": if h.index.is_some() { "stale" } else { "ok" },
        "error": { "code": "degraded", "message": reasons.join("；") },
    });
    (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response()
}
