//! The OpenAPI document: an OpenAPI 3.1 description of every `/api/v1` route the router serves,
//! with the same methods, and each operation's error answers in the one error shape.

use crate::helpers::shared_app;
use serde_json::Value;
use std::collections::BTreeSet;

const METHODS: [&str; 5] = ["get", "post", "put", "delete", "patch"];

/// The `/api/v1` paths the router holds, read from the router itself (its `Debug` output lists
/// every registered path), so that a route added without documentation fails this test.
fn routed_paths() -> BTreeSet<String> {
    let router = zhibiao::web::router(shared_app().app.clone());
    let text = format!("{router:?}");
    let mut paths = BTreeSet::new();
    for piece in text.split('"').skip(1).step_by(2) {
        if piece.starts_with("/api/v1/") {
            paths.insert(piece.to_string());
        }
    }
    paths
}

async fn document() -> Value {
    let (status, doc) = shared_app().json("/api/v1/openapi.json").await;
    assert_eq!(status, 200, "{doc}");
    doc
}

/// A path of the document with each `{param}` filled in.
fn concrete(path: &str) -> String {
    let mut out = String::new();
    let mut in_param = false;
    for c in path.chars() {
        match c {
            '{' => in_param = true,
            '}' => {
                in_param = false;
                out.push_str("x1");
            }
            c if !in_param => out.push(c),
            _ => {}
        }
    }
    out
}

#[tokio::test]
async fn every_api_route_of_the_router_is_in_the_document_and_no_other() {
    let doc = document().await;
    assert_eq!(doc["openapi"], "3.1.0");
    let documented: BTreeSet<String> = doc["paths"].as_object().unwrap().keys().cloned().collect();
    let routed = routed_paths();
    assert!(
        routed.len() >= 40,
        "the router's paths could not be read from its Debug output: {routed:?}"
    );
    let missing: Vec<_> = routed.difference(&documented).collect();
    assert!(
        missing.is_empty(),
        "routes missing from the OpenAPI document: {missing:?}"
    );
    let extra: Vec<_> = documented.difference(&routed).collect();
    assert!(
        extra.is_empty(),
        "documented paths the router lacks: {extra:?}"
    );
}

/// The methods of each path as the router answers them: a documented method is served (never
/// 405), any other is 405.
#[tokio::test]
async fn each_documented_path_has_exactly_the_documented_methods() {
    let doc = document().await;
    let app = shared_app();
    for (path, item) in doc["paths"].as_object().unwrap() {
        let url = app.url(&concrete(path));
        for m in METHODS {
            let documented = item.get(m).is_some();
            let method = reqwest::Method::from_bytes(m.to_uppercase().as_bytes()).unwrap();
            // Empty bodies: nothing is created, every write is refused before it writes.
            let r = app.client.request(method, &url).send().await.unwrap();
            let status = r.status().as_u16();
            if documented {
                assert_ne!(status, 405, "{m} {path} is documented but not routed");
                let body: Value = r.json().await.unwrap_or(Value::Null);
                assert_ne!(
                    body["error"]["code"], "route_not_found",
                    "{m} {path} is documented but not routed"
                );
            } else {
                assert_eq!(status, 405, "{m} {path} is routed but not documented");
            }
        }
    }
}

#[tokio::test]
async fn every_operation_lists_its_error_answers_in_the_error_shape() {
    let doc = document().await;
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
    for (path, item) in doc["paths"].as_object().unwrap() {
        for m in METHODS {
            let Some(op) = item.get(m) else { continue };
            let responses = op["responses"].as_object().unwrap();
            let secured = op["security"].as_array().is_some_and(|s| !s.is_empty());
            let mut needed = vec!["400", "404", "500"];
            if secured {
                needed.extend(["401", "403"]);
            }
            if op.get("requestBody").is_some() {
                needed.extend(["413", "415"]);
            }
            for status in needed {
                assert_eq!(
                    responses
                        .get(status)
                        .map(|r| &r["content"]["application/json"]["schema"]["$ref"]),
                    Some(&Value::from("#/components/schemas/ErrorBody")),
                    "{m} {path} lacks its {status} answer"
                );
            }
            // Every path parameter of the template is described.
            let params: BTreeSet<&str> = op["parameters"]
                .as_array()
                .map(|ps| {
                    ps.iter()
                        .filter(|p| p["in"] == "path")
                        .map(|p| p["name"].as_str().unwrap())
                        .collect()
                })
                .unwrap_or_default();
            let in_template: BTreeSet<&str> = path
                .split('{')
                .skip(1)
                .map(|s| s.split('}').next().unwrap())
                .collect();
            assert_eq!(params, in_template, "{m} {path}");
        }
    }
}
