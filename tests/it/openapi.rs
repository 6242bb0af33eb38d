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

/// What in `value` does not fit `schema` (resolved in `doc`): a key the schema does not declare,
/// a required key missing, a value of another type or outside an enum. `at` is where, for the
/// message.
fn misfits(doc: &Value, schema: &Value, value: &Value, at: &str, out: &mut Vec<String>) {
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.trim_start_matches("#/components/schemas/");
        let target = &doc["components"]["schemas"][name];
        assert!(target.is_object(), "{at}: {r} is not in the document");
        return misfits(doc, target, value, at, out);
    }
    for all in schema["allOf"].as_array().into_iter().flatten() {
        misfits(doc, all, value, at, out);
    }
    let alternatives = schema["oneOf"].as_array().or(schema["anyOf"].as_array());
    if let Some(alts) = alternatives {
        let fits = alts.iter().any(|alt| {
            let mut o = Vec::new();
            misfits(doc, alt, value, at, &mut o);
            o.is_empty()
        });
        if !fits {
            out.push(format!("{at}: {value} fits none of {alts:?}"));
        }
        return;
    }
    let kind = match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_f64() => "number",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !types.is_empty()
        && !types
            .iter()
            .any(|t| *t == kind || (*t == "number" && kind == "integer"))
    {
        out.push(format!("{at}: a {kind} where the schema says {types:?}"));
        return;
    }
    if let Some(allowed) = schema["enum"].as_array()
        && !allowed.contains(value)
    {
        out.push(format!("{at}: {value} is none of {allowed:?}"));
    }
    match value {
        Value::Object(map) => {
            let declared = schema["properties"].as_object();
            for (k, v) in map {
                match declared.and_then(|d| d.get(k)) {
                    Some(s) => misfits(doc, s, v, &format!("{at}.{k}"), out),
                    None => out.push(format!("{at}.{k}: not in the schema")),
                }
            }
            for k in schema["required"].as_array().into_iter().flatten() {
                let k = k.as_str().unwrap();
                if !map.contains_key(k) {
                    out.push(format!("{at}.{k}: required, missing"));
                }
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                misfits(doc, &schema["items"], v, &format!("{at}[{i}]"), out);
            }
        }
        _ => {}
    }
}

/// Checks one answer against the schema the document gives its operation and status, which
/// must be a named type, not a free-form object.
fn assert_documented(doc: &Value, method: &str, path: &str, status: u16, answer: &Value) {
    let schema = &doc["paths"][path][method]["responses"][status.to_string()]["content"]["application/json"]
        ["schema"];
    assert!(
        schema["$ref"].is_string(),
        "{method} {path} {status} is not described by a type: {schema}"
    );
    let mut out = Vec::new();
    misfits(doc, schema, answer, "answer", &mut out);
    assert!(
        out.is_empty(),
        "{method} {path} {status}: {out:#?}\n{answer}"
    );
}

#[tokio::test]
async fn training_answers_have_the_shape_the_document_gives_them() {
    let app = crate::helpers::curation_app();
    let (status, doc) = app.json("/api/v1/openapi.json").await;
    assert_eq!(status, 200);
    let (editor, created) = crate::training::session_with_everything(&app).await;
    assert_documented(&doc, "post", "/api/v1/training/sessions", 201, &created);
    let id = created["session"]["id"].as_str().unwrap();
    let code = created["exercises"][0]["code"].as_str().unwrap();

    let (s, examples) = app.json("/api/v1/training/examples").await;
    assert_eq!(s, 200, "{examples}");
    assert_documented(&doc, "get", "/api/v1/training/examples", 200, &examples);
    let (s, example) = app.json("/api/v1/training/examples/road").await;
    assert_eq!(s, 200, "{example}");
    let path = "/api/v1/training/examples/{project_type}";
    assert_documented(&doc, "get", path, 200, &example);
    let (s, session) = editor.get(&format!("/api/v1/training/sessions/{id}")).await;
    assert_eq!(s, 200, "{session}");
    assert_documented(&doc, "get", "/api/v1/training/sessions/{id}", 200, &session);

    let (s, attempt) = editor
        .post(
            &format!("/api/v1/training/exercises/{code}/attempts"),
            serde_json::json!({ "project": { "name": "练习", "term": "年度" }, "rows": [
                { "level1": "产出指标", "level2": "数量指标", "name": "道路建设", "direction": "≥",
                  "target": "", "unit": "" }
            ]}),
        )
        .await;
    assert_eq!(s, 201, "{attempt}");
    let path = "/api/v1/training/exercises/{code}/attempts";
    assert_documented(&doc, "post", path, 201, &attempt);
    let (s, summary) = editor
        .get(&format!("/api/v1/training/sessions/{id}/summary"))
        .await;
    assert_eq!(s, 200, "{summary}");
    assert!(
        !summary["exercises"][0]["rules"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let path = "/api/v1/training/sessions/{id}/summary";
    assert_documented(&doc, "get", path, 200, &summary);
}
