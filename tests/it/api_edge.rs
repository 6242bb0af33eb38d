//! The API's edge: every `/api/` answer of 400 or more is `{"error":{"code","message"}}` —
//! extractor rejections, 404, 405 and 413 included — while pages answer the Chinese error page;
//! and a caller without the role is told so before anything it sent is looked at.

use crate::helpers::{Session, TestApp, curation_app, shared_app};
use serde_json::Value;

/// Status, content type and body of a raw request.
async fn raw(
    client: &reqwest::Client,
    method: &str,
    url: String,
    content_type: Option<&str>,
    body: Vec<u8>,
    csrf: Option<&str>,
) -> (u16, String, String) {
    let mut b = client.request(reqwest::Method::from_bytes(method.as_bytes()).unwrap(), url);
    if let Some(ct) = content_type {
        b = b.header("content-type", ct);
    }
    if let Some(t) = csrf {
        b = b.header("x-csrf-token", t);
    }
    let r = b.body(body).send().await.expect("an answer");
    let status = r.status().as_u16();
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    (status, ct, r.text().await.unwrap_or_default())
}

/// The JSON error's code, after checking the whole shape.
fn error_code(what: &str, ct: &str, body: &str) -> String {
    assert!(
        ct.starts_with("application/json"),
        "{what}: answered as {ct:?}, not JSON: {body:?}"
    );
    let v: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{what}: {e}: {body}"));
    let message = v["error"]["message"].as_str().unwrap_or("");
    assert!(
        message
            .chars()
            .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
        "{what}: the message is for people, in Chinese: {body}"
    );
    v["error"]["code"].as_str().unwrap_or_default().to_string()
}

async fn api(
    app: &TestApp,
    method: &str,
    path: &str,
    content_type: Option<&str>,
    body: &[u8],
) -> (u16, String) {
    let (s, ct, text) = raw(
        &app.client,
        method,
        app.url(path),
        content_type,
        body.to_vec(),
        None,
    )
    .await;
    let code = if s >= 400 {
        error_code(&format!("{method} {path}"), &ct, &text)
    } else {
        String::new()
    };
    (s, code)
}

#[tokio::test]
async fn signing_in_with_the_wrong_content_type_or_bad_json_gets_the_json_error() {
    let app = shared_app();
    let login = br#"{"name":"x","password":"y"}"#;
    assert_eq!(
        api(app, "POST", "/api/v1/session", Some("text/plain"), login).await,
        (415, "unsupported_media_type".into())
    );
    assert_eq!(
        api(app, "POST", "/api/v1/session", None, login).await,
        (415, "unsupported_media_type".into())
    );
    for bad in [&b"{\"name\":"[..], b"[1,2]", b"{\"name\": 5}", b"\xff\xfe"] {
        assert_eq!(
            api(
                app,
                "POST",
                "/api/v1/session",
                Some("application/json"),
                bad
            )
            .await,
            (400, "invalid_json".into()),
            "{}",
            String::from_utf8_lossy(bad)
        );
    }
}

#[tokio::test]
async fn comparing_revisions_without_numbers_gets_the_json_error() {
    let app = shared_app();
    for q in [
        "",
        "?a=1",
        "?b=2",
        "?a=x&b=2",
        "?a=1&b=-2",
        "?a=1&b=99999999999",
    ] {
        let path = format!("/api/v1/indicators/JZ-001/compare{q}");
        assert_eq!(
            api(app, "GET", &path, None, b"").await,
            (400, "invalid_parameter".into()),
            "{path}"
        );
    }
    let (s, _) = api(
        app,
        "GET",
        "/api/v1/indicators/JZ-001/compare?a=1&b=1",
        None,
        b"",
    )
    .await;
    assert_eq!(s, 200);
}

#[tokio::test]
async fn an_invalid_utf8_escape_in_a_path_gets_the_json_error_on_the_api_and_the_page_on_pages() {
    let app = shared_app();
    for path in [
        "/api/v1/indicators/%FF",
        "/api/v1/indicators/%E4%B8/revisions",
        "/api/v1/drafts/%FF",
        "/api/v1/editions/%FF/diff/2026.1",
        "/api/v1/training/examples/%C0%AF",
    ] {
        assert_eq!(
            api(app, "GET", path, None, b"").await,
            (400, "invalid_path".into()),
            "{path}"
        );
    }
    // A browser on a page never gets JSON: the Chinese error page.
    let (s, ct, body) = raw(
        &app.client,
        "GET",
        app.url("/indicators/%FF"),
        None,
        vec![],
        None,
    )
    .await;
    assert_eq!(s, 400);
    assert!(ct.starts_with("text/html"), "{ct}: {body}");
    assert!(
        body.contains("出错了") && body.contains("路径中的参数无效"),
        "{body}"
    );
}

#[tokio::test]
async fn every_wrong_method_gets_405_with_the_json_error_and_the_allowed_methods() {
    let app = shared_app();
    let (_, doc) = app.json("/api/v1/openapi.json").await;
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        let concrete = path.replace(['{', '}'], "");
        for m in ["get", "post", "put", "delete", "patch"] {
            if item.get(m).is_some() {
                continue;
            }
            let (s, ct, body) = raw(
                &app.client,
                &m.to_uppercase(),
                app.url(&concrete),
                None,
                vec![],
                None,
            )
            .await;
            assert_eq!(s, 405, "{m} {path}");
            assert_eq!(
                error_code(&format!("{m} {path}"), &ct, &body),
                "method_not_allowed"
            );
            checked += 1;
        }
    }
    assert!(checked > 150, "{checked}");
    let r = app
        .client
        .put(app.url("/api/v1/search"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["allow"], "GET,HEAD");
    // Pages answer the error page, not an empty body.
    let (s, ct, body) = raw(&app.client, "DELETE", app.url("/stats"), None, vec![], None).await;
    assert!(s == 405 || s == 403, "{s}");
    assert!(
        ct.starts_with("text/html") && body.contains("出错了"),
        "{ct}: {body}"
    );
}

#[tokio::test]
async fn a_body_over_16_mib_gets_413_with_the_json_error() {
    let app = curation_app();
    let editor = Session::login(&app, "editor").await;
    let huge = vec![b' '; 16 * 1024 * 1024 + 1];
    // A JSON route read by our extractor, and a route that reads the raw body.
    let (s, ct, body) = raw(
        &app.client,
        "POST",
        app.url("/api/v1/lint"),
        Some("application/json"),
        huge.clone(),
        None,
    )
    .await;
    assert_eq!(
        (s, error_code("lint", &ct, &body).as_str()),
        (413, "body_too_large")
    );
    let (s, ct, body) = raw(
        &editor.client,
        "POST",
        app.url("/api/v1/proposals"),
        Some("application/json"),
        huge,
        Some(&editor.csrf),
    )
    .await;
    assert_eq!(
        (s, error_code("proposals", &ct, &body).as_str()),
        (413, "body_too_large")
    );
}

#[tokio::test]
async fn an_unknown_api_path_gets_404_with_the_json_error() {
    let app = shared_app();
    for path in [
        "/api/v1/nothing",
        "/api/v2/search",
        "/api/",
        "/api/v1/indicators/JZ-001/x",
    ] {
        assert_eq!(
            api(app, "GET", path, None, b"").await,
            (404, "route_not_found".into()),
            "{path}"
        );
    }
}

#[tokio::test]
async fn the_role_is_checked_before_the_query_and_the_body() {
    let app = curation_app();
    // Anonymous: 401 whatever was sent.
    for (method, path, ct, body) in [
        ("GET", "/api/v1/audit?offset=-1", None, &b""[..]),
        (
            "GET",
            "/api/v1/proposals?state=open&state=approved",
            None,
            b"",
        ),
        ("GET", "/api/v1/proposals/%FF", None, b""),
        (
            "POST",
            "/api/v1/training/sessions",
            Some("application/json"),
            b"{",
        ),
        (
            "POST",
            "/api/v1/evaluations/decisions",
            Some("text/plain"),
            b"x",
        ),
        ("POST", "/api/v1/import?dry_run=maybe", None, b"x"),
        ("GET", "/api/v1/training/sessions/nope/summary", None, b""),
    ] {
        assert_eq!(
            api(&app, method, path, ct, body).await,
            (401, "unauthorized".into()),
            "{method} {path}"
        );
    }
    // Signed in with too small a role: 403, still before the input.
    let editor = Session::login(&app, "editor").await;
    let (s, ct, body) = raw(
        &editor.client,
        "GET",
        app.url("/api/v1/audit?offset=-1"),
        None,
        vec![],
        None,
    )
    .await;
    assert_eq!(
        (s, error_code("audit", &ct, &body).as_str()),
        (403, "forbidden")
    );
    // With the role, the input is checked: the JSON error.
    let admin = Session::login(&app, "admin").await;
    for path in [
        "/api/v1/audit?offset=-1",
        "/api/v1/audit?limit=x",
        "/api/v1/proposals?state=open&state=approved",
    ] {
        let (s, ct, body) = raw(&admin.client, "GET", app.url(path), None, vec![], None).await;
        assert_eq!(
            (s, error_code(path, &ct, &body).as_str()),
            (400, "invalid_parameter"),
            "{path}"
        );
    }
}

/// A browser-like anonymous client: its cookie jar holds the anonymous CSRF cookie.
async fn anonymous_browser(app: &TestApp) -> (reqwest::Client, String) {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let r = client.get(app.url("/")).send().await.unwrap();
    let csrf = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("zb_csrf="))
        .and_then(|c| c.split(';').next())
        .expect("the anonymous CSRF cookie")
        .to_string();
    (client, csrf)
}

#[tokio::test]
async fn curator_pages_send_an_anonymous_caller_to_sign_in_whatever_it_posted() {
    let app = curation_app();
    let (client, csrf) = anonymous_browser(&app).await;
    for (path, ct, body) in [
        ("/evaluations/import", "multipart/form-data", &b"x"[..]),
        ("/evaluations/import", "text/plain", b"x"),
        (
            "/evaluations/review",
            "application/x-www-form-urlencoded",
            b"index=x",
        ),
        ("/import", "multipart/form-data; boundary=zz", b"--zz\r\n"),
        (
            "/proposals/batch",
            "application/x-www-form-urlencoded",
            b"ids=%FF%FE",
        ),
    ] {
        let r = client
            .post(app.url(path))
            .header("content-type", ct)
            .header("x-csrf-token", &csrf)
            .body(body.to_vec())
            .send()
            .await
            .unwrap();
        let s = r.status().as_u16();
        assert_eq!(s, 303, "{path}");
        assert_eq!(r.headers()["location"], "/login", "{path}");
    }
    // Signed in, a malformed form gets the Chinese error page, never axum's text.
    let editor = Session::login(&app, "editor").await;
    let r = editor
        .client
        .post(app.url("/evaluations/review"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-csrf-token", &editor.csrf)
        .body("index=x")
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let ct = r.headers()["content-type"].to_str().unwrap().to_string();
    let body = r.text().await.unwrap();
    assert_eq!(status, 400, "{body}");
    assert!(
        ct.starts_with("text/html") && body.contains("表单内容无效"),
        "{ct}: {body}"
    );
}
