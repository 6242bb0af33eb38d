//! Property test over the JSON API as its OpenAPI document describes it: hostile path
//! parameters, query strings, bodies and content types, sent anonymously and with an
//! administrator's session. Whatever is sent: no 5xx, no dropped connection, every `/api/` answer
//! of 400 or more is `{"error":{"code","message"}}`, and an anonymous call to an operation that
//! needs a role is told 401 before anything it sent is looked at.

use crate::helpers::{Session, TestApp, curation_app};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{Value, json};

/// One operation of the document.
#[derive(Debug, Clone)]
struct Op {
    method: String,
    path: String,
    query: Vec<String>,
    /// The documented content type and example body, if the operation reads a body.
    body: Option<(String, Option<Value>)>,
    secured: bool,
}

fn operations(doc: &Value) -> Vec<Op> {
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().unwrap() {
            if !["get", "post", "put", "delete", "patch"].contains(&method.as_str()) {
                continue;
            }
            let query = op["parameters"]
                .as_array()
                .map(|ps| {
                    ps.iter()
                        .filter(|p| p["in"] == "query")
                        .map(|p| p["name"].as_str().unwrap().to_string())
                        .collect()
                })
                .unwrap_or_default();
            let body = op["requestBody"]["content"].as_object().and_then(|c| {
                c.iter()
                    .next()
                    .map(|(ct, media)| (ct.clone(), media.get("example").cloned()))
            });
            ops.push(Op {
                method: method.to_uppercase(),
                path: path.clone(),
                query,
                body,
                secured: op["security"].as_array().is_some_and(|s| !s.is_empty()),
            });
        }
    }
    ops
}

/// A request as generated: everything already in wire form.
#[derive(Debug, Clone)]
struct Req {
    op: usize,
    /// Another method than the documented one (for 405 answers).
    method: Option<&'static str>,
    segments: Vec<String>,
    query: Vec<(String, String)>,
    content_type: Option<&'static str>,
    body: Body,
    admin: bool,
    csrf: bool,
}

#[derive(Debug, Clone)]
enum Body {
    None,
    Example {
        leaf: usize,
        value: Value,
    },
    Json(Value),
    Bytes(Vec<u8>),
    /// Just over the 16 MiB request limit.
    Huge,
}

fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Text an attacker would try: control characters, markup, invalid escapes, long runs.
fn hostile_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9_.-]{0,12}",
        "\\PC{0,24}",
        any::<String>(),
        Just("<script>alert(1)</script>".to_string()),
        Just("'\"; DROP TABLE x; --".to_string()),
        Just("=cmd|' /C calc'!A0".to_string()),
        Just("\u{0}\u{1b}[31m\r\n".to_string()),
        Just("满意度".repeat(400)),
        Just("-1".to_string()),
        Just("18446744073709551616".to_string()),
        Just("1e309".to_string()),
        Just("JZ-001".to_string()),
        Just("P1".to_string()),
    ]
}

/// A path segment in wire form: encoded text, or raw escapes that decode to nothing valid.
fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => hostile_text().prop_map(|s| enc(&s)),
        1 => Just("%FF".to_string()),
        1 => Just("%E4%B8".to_string()),
        1 => Just("%00".to_string()),
        1 => Just("..%2F..%2Fetc%2Fpasswd".to_string()),
        1 => Just("a".repeat(5000)),
    ]
}

fn query_value() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => hostile_text().prop_map(|s| enc(&s)),
        1 => Just("%FF".to_string()),
        1 => Just("%ZZ".to_string()),
        1 => Just("true".to_string()),
        1 => "-?[0-9]{1,25}",
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        Just(json!(u64::MAX)),
        hostile_text().prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            prop::collection::btree_map("[a-z_]{1,10}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn body() -> impl Strategy<Value = Body> {
    prop_oneof![
        2 => Just(Body::None),
        6 => (any::<usize>(), json_value()).prop_map(|(leaf, value)| Body::Example { leaf, value }),
        3 => json_value().prop_map(Body::Json),
        2 => prop::collection::vec(any::<u8>(), 0..300).prop_map(Body::Bytes),
        2 => "\\PC{0,40}".prop_map(|s| Body::Bytes(s.into_bytes())),
        1 => Just(Body::Huge),
    ]
}

fn content_type() -> impl Strategy<Value = Option<&'static str>> {
    prop_oneof![
        Just(None),
        Just(Some("application/json")),
        Just(Some("application/json; charset=gbk")),
        Just(Some("text/plain")),
        Just(Some("application/x-www-form-urlencoded")),
        Just(Some("multipart/form-data")),
        Just(Some("multipart/form-data; boundary=zz")),
        Just(Some("application/octet-stream")),
        Just(Some(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )),
    ]
}

fn request(n_ops: usize) -> impl Strategy<Value = Req> {
    (
        0..n_ops,
        prop_oneof![
            8 => Just(None),
            1 => prop::sample::select(vec!["GET", "POST", "PUT", "DELETE", "PATCH"]).prop_map(Some),
        ],
        prop::collection::vec(segment(), 2),
        prop::collection::vec(
            (
                prop_oneof![3 => Just(None), 1 => "[a-z_]{1,8}".prop_map(Some)],
                query_value(),
            ),
            0..5,
        ),
        (content_type(), body()),
        (any::<bool>(), prop::bool::weighted(0.9)),
    )
        .prop_map(
            |(op, method, segments, query, (content_type, body), (admin, csrf))| Req {
                op,
                method,
                segments,
                // A `None` key stands for one of the operation's documented names, chosen later.
                query: query
                    .into_iter()
                    .map(|(k, v)| (k.unwrap_or_default(), v))
                    .collect(),
                content_type,
                body,
                admin,
                csrf,
            },
        )
}

/// The example with one of its nodes (the whole, an object, a leaf) replaced by a hostile value.
fn mutate(example: &Value, node: usize, value: Value) -> Value {
    fn count(v: &Value) -> usize {
        1 + match v {
            Value::Object(m) => m.values().map(count).sum(),
            Value::Array(a) => a.iter().map(count).sum(),
            _ => 0,
        }
    }
    let mut body = example.clone();
    let n = node % count(&body);
    replace_nth(&mut body, n, &mut 0, value);
    body
}

fn replace_nth(v: &mut Value, n: usize, i: &mut usize, value: Value) -> bool {
    if *i == n {
        *v = value;
        return true;
    }
    *i += 1;
    match v {
        Value::Object(m) => m.values_mut().any(|x| replace_nth(x, n, i, value.clone())),
        Value::Array(a) => a.iter_mut().any(|x| replace_nth(x, n, i, value.clone())),
        _ => false,
    }
}

struct Target<'a> {
    app: &'a TestApp,
    admin: &'a Session,
    ops: &'a [Op],
}

/// Sends one request; returns the path asked, the status, the content type and the body.
async fn send(t: &Target<'_>, r: &Req) -> Result<(String, u16, String, Vec<u8>), String> {
    let op = &t.ops[r.op];
    let mut segs = r.segments.iter();
    let mut path = String::new();
    for part in op.path.split('/').skip(1) {
        path.push('/');
        if part.starts_with('{') {
            path.push_str(segs.next().map_or("x", String::as_str));
        } else {
            path.push_str(part);
        }
    }
    let query: Vec<String> = r
        .query
        .iter()
        .enumerate()
        .map(|(i, (k, v))| {
            let k = if k.is_empty() {
                op.query
                    .get(i % op.query.len().max(1))
                    .cloned()
                    .unwrap_or("q".into())
            } else {
                k.clone()
            };
            format!("{k}={v}")
        })
        .collect();
    if !query.is_empty() {
        path = format!("{path}?{}", query.join("&"));
    }
    let method = r.method.unwrap_or(op.method.as_str());
    // Signing out would end the administrator's session for the cases after this one.
    let admin = r.admin && !(op.path == "/api/v1/session" && method == "DELETE");
    let client = if admin {
        &t.admin.client
    } else {
        &t.app.client
    };
    let mut b = client.request(
        reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
        t.app.url(&path),
    );
    if admin && r.csrf {
        b = b.header("x-csrf-token", &t.admin.csrf);
    }
    let content_type = r
        .content_type
        .or(op.body.as_ref().map(|(ct, _)| match ct.as_str() {
            "application/json" => "application/json",
            _ => "application/octet-stream",
        }));
    if let Some(ct) = content_type {
        b = b.header("content-type", ct);
    }
    let bytes = match &r.body {
        Body::None => Vec::new(),
        Body::Example { leaf, value } => match op.body.as_ref().and_then(|(_, e)| e.as_ref()) {
            Some(example) => serde_json::to_vec(&mutate(example, *leaf, value.clone())).unwrap(),
            None => serde_json::to_vec(value).unwrap(),
        },
        Body::Json(v) => serde_json::to_vec(v).unwrap(),
        Body::Bytes(b) => b.clone(),
        Body::Huge => vec![b'{'; 16 * 1024 * 1024 + 1],
    };
    let res = b
        .body(bytes)
        .send()
        .await
        .map_err(|e| format!("{method} {path}: no answer ({e})"))?;
    let status = res.status().as_u16();
    let ct = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let body = res
        .bytes()
        .await
        .map_err(|e| format!("{method} {path}: {e}"))?;
    Ok((format!("{method} {path}"), status, ct, body.to_vec()))
}

fn check(
    t: &Target<'_>,
    r: &Req,
    answer: Result<(String, u16, String, Vec<u8>), String>,
) -> Result<(), TestCaseError> {
    let (asked, status, ct, body) = match answer {
        Ok(a) => a,
        // A server may answer a body over the limit early and close the connection while the
        // client still writes it: the client then sees no answer. Anything else must answer.
        Err(_) if matches!(r.body, Body::Huge) => return Ok(()),
        Err(e) => return Err(TestCaseError::fail(e)),
    };
    let asked: String = asked.chars().take(200).collect();
    let shown: String = String::from_utf8_lossy(&body).chars().take(300).collect();
    prop_assert!(status < 500, "{asked} answered {status}: {shown}");
    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    if status >= 400 {
        prop_assert!(
            ct.starts_with("application/json") && v.is_object(),
            "{asked} answered {status} as {ct:?}, not the JSON error: {shown:?}"
        );
        let code = v["error"]["code"].as_str().unwrap_or("");
        prop_assert!(
            !code.is_empty() && code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
            "{asked}: {status} without a stable code: {shown}"
        );
        prop_assert!(
            v["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{asked}: {status} without a message: {shown}"
        );
    }
    let op = &t.ops[r.op];
    // An empty or dot segment ("/proposals/./fold" is "/proposals/fold") may leave the route.
    let unrouted = (status == 404 && v["error"]["code"] == "route_not_found") || status == 405;
    if op.secured && !r.admin && r.method.is_none() && !unrouted {
        prop_assert!(
            status == 401,
            "{asked} needs a role: an anonymous caller must be told 401 whatever it sent, not {status}: {shown}"
        );
    }
    Ok(())
}

#[test]
fn hostile_requests_to_every_documented_operation_get_no_5xx_and_only_json_errors() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let app = curation_app();
    let admin = rt.block_on(Session::login(&app, "admin"));
    let (status, doc) = rt.block_on(app.json("/api/v1/openapi.json"));
    assert_eq!(status, 200);
    let ops = operations(&doc);
    assert!(ops.len() >= 45, "{} operations", ops.len());
    let target = Target {
        app: &app,
        admin: &admin,
        ops: &ops,
    };
    let cases = std::env::var("ZHIBIAO_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 300,
        ..Config::default()
    });
    let result = runner.run(&request(ops.len()), |r| {
        let answer = rt.block_on(send(&target, &r));
        check(&target, &r, answer)
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}
