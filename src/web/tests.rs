//! Router tests: requests through `router()` with `tower::ServiceExt::oneshot`, no socket.
//! One app over the bundled library serves them all (opening it builds the index once).

use super::{AppState, router};
use crate::app::App;
use crate::config::Config;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use axum::response::Response;
use std::sync::{Arc, OnceLock};
use tower::ServiceExt;

/// A CSRF token as the browser holds it, for page writes that must pass the check.
const CSRF: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn app() -> AppState {
    static APP: OnceLock<(tempfile::TempDir, AppState)> = OnceLock::new();
    APP.get_or_init(|| {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let app = App::open(Config::for_tests(dir.path())).expect("the app opens");
        (dir, Arc::new(app))
    })
    .1
    .clone()
}

async fn send(req: Request<Body>) -> (StatusCode, String, String) {
    let res: Response = router(app()).oneshot(req).await.expect("infallible");
    let status = res.status();
    let kind = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let body = axum::body::to_bytes(res.into_body(), 1 << 24)
        .await
        .expect("a body");
    (status, kind, String::from_utf8_lossy(&body).into_owned())
}

fn get(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).expect("a request")
}

/// A JSON error body's code, asserting the shape `{"error":{"code","message"}}`.
fn error_code(body: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(body).expect("a JSON body");
    let message = v["error"]["message"].as_str().expect("error.message");
    assert!(!message.is_empty(), "an empty message in {body}");
    v["error"]["code"].as_str().expect("error.code").to_string()
}

#[tokio::test]
async fn malformed_json_gets_the_json_error_shape() {
    let req = Request::post("/api/v1/session")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{\"name\": "))
        .expect("a request");
    let (status, kind, body) = send(req).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(kind.starts_with("application/json"), "{kind}");
    error_code(&body);
}

#[tokio::test]
async fn a_json_route_refuses_another_content_type_in_json() {
    let req = Request::post("/api/v1/session")
        .header(header::CONTENT_TYPE, "text/plain")
        .body(Body::from("name=a"))
        .expect("a request");
    let (status, _, body) = send(req).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{body}");
    error_code(&body);
}

#[tokio::test]
async fn a_form_rejection_on_a_page_is_the_chinese_error_page() {
    let req = Request::post("/login")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::COOKIE, format!("zb_csrf={CSRF}"))
        .header("x-csrf-token", CSRF)
        .body(Body::from("{}"))
        .expect("a request");
    let (status, kind, body) = send(req).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{body}");
    assert!(kind.starts_with("text/html"), "{kind}");
    assert!(body.contains("lang=\"zh"), "not the house page: {body}");
    assert!(
        !body.contains("Expected request with"),
        "axum's own text: {body}"
    );
}

#[tokio::test]
async fn the_search_page_renders_hits() {
    let (status, kind, body) = send(get("/?q=%E9%81%93%E8%B7%AF")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(kind.starts_with("text/html"), "{kind}");
    let page = scraper::Html::parse_document(&body);
    let hits = scraper::Selector::parse("ol.hits > li").expect("a selector");
    assert!(page.select(&hits).count() > 0, "no hit listed for 道路");
}

#[tokio::test]
async fn an_indicator_page_renders_its_name() {
    let ind = app().store.indicators().expect("indicators")[0].clone();
    let (status, _, body) = send(get(&format!("/indicators/{}", ind.code))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains(&ind.name), "{} missing", ind.name);
}

#[tokio::test]
async fn admin_routes_refuse_anonymous_callers() {
    let (status, _, body) = send(get("/api/v1/users")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(error_code(&body), "unauthorized");
    let (status, _, body) = send(get("/admin/users")).await;
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "the login page, not the users: {body}"
    );
}

#[tokio::test]
async fn a_page_write_without_its_csrf_token_is_refused_in_chinese() {
    let req = Request::post("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("name=a&password=b"))
        .expect("a request");
    let (status, kind, body) = send(req).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(
        kind.starts_with("text/html") && body.contains("安全校验失败"),
        "{body}"
    );
}

#[tokio::test]
async fn unknown_addresses_answer_in_their_surface_shape() {
    let (status, _, body) = send(get("/api/v1/no-such-thing")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    error_code(&body);
    let (status, kind, body) = send(get("/no-such-page")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        kind.starts_with("text/html") && body.contains("页面不存在"),
        "{body}"
    );
}

#[tokio::test]
async fn a_wrong_password_is_refused_through_the_accounts_service() {
    let req = Request::post("/api/v1/session")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            r#"{"name":"nobody","password":"wrong password"}"#,
        ))
        .expect("a request");
    let (status, _, body) = send(req).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(error_code(&body), "unauthorized");
    let (audit, _) = app().accounts.audit(0, 10).expect("the audit log");
    assert!(
        audit
            .iter()
            .any(|a| a.action == "登录失败" && a.target == "nobody")
    );
}
