//! Curation over HTTP: proposals, review, history, editions, bulk import, accounts and roles.

use crate::helpers::{PASSWORD, Session, TestApp, curation_app, enc};
use serde_json::{Value, json};

async fn search_names(app: &TestApp, q: &str) -> Vec<(String, String)> {
    let (s, body) = app
        .json(&format!("/api/v1/search?q={}&limit=20", enc(q)))
        .await;
    assert_eq!(s, 200);
    body["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["code"].as_str().unwrap_or_default().to_string(),
                h["name"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_whole_cycle_from_proposal_to_edition_and_back_to_files() {
    let app = curation_app();
    let editor = Session::login(&app, "editor").await;
    let reviewer = Session::login(&app, "reviewer").await;
    let admin = Session::login(&app, "admin").await;

    // The curator proposes a material change (unit stays, name and target change).
    let (s, p) = editor
        .post(
            "/api/v1/proposals",
            json!({
                "kind": "edit", "code": "JZ-001",
                "indicator": { "name": "城乡低保在册保障人数", "target": "12500" },
                "reason": "按 2026 年民政统计口径调整名称，目标按上年实际上调"
            }),
        )
        .await;
    assert_eq!(s, 201, "{p}");
    let id = p["id"].as_u64().unwrap();
    // Until approval the published revision stays live.
    let (_, ind) = app.json("/api/v1/indicators/JZ-001").await;
    assert_eq!(ind["indicator"]["name"], "城乡低保保障人数");
    assert!(
        search_names(&app, "城乡低保在册保障人数")
            .await
            .iter()
            .all(|(_, n)| n != "城乡低保在册保障人数")
    );

    // The reviewer sees the field-level diff against the published revision.
    let (s, view) = reviewer.get(&format!("/api/v1/proposals/{id}")).await;
    assert_eq!(s, 200);
    let fields: Vec<&str> = view["changes"][0]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["name", "target"]);
    assert_eq!(view["changes"][0]["kind"], "material");
    let (s, page) = reviewer.page(&format!("/proposals/{id}")).await;
    assert_eq!(s, 200);
    assert!(
        page.contains("<del>城乡低保保障人数</del>")
            && page.contains("<ins>城乡低保在册保障人数</ins>")
    );

    // A new indicator proposed alongside.
    let (s, created) = editor
        .post(
            "/api/v1/proposals",
            json!({
                "kind": "create",
                "indicator": {
                    "name": "临时救助资金发放及时率", "level1": "产出指标", "level2": "时效指标",
                    "definition": "反映临时救助资金在审批后规定时限（5 个工作日）内发放到位的情况。",
                    "formula": "规定时限内发放的临时救助笔数÷审批通过的临时救助笔数×100%",
                    "value_type": "定量", "direction": "≥", "unit": "%", "target": "95",
                    "basis": "计划标准", "data_source": "社会救助信息系统发放记录",
                    "scoring": "完成值÷目标值×分值，最高得满分。", "weight": 5,
                    "project_types": ["assistance"], "term": "年度"
                },
                "reason": "审核中发现各单位普遍自拟此指标"
            }),
        )
        .await;
    assert_eq!(s, 201, "{created}");
    let new_code = created["changes"][0]["after"]["code"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        new_code.starts_with("JZ-"),
        "numbered in the type's series: {new_code}"
    );

    // Approval publishes both at once: the index and the page show them immediately.
    let new_id = created["id"].as_u64().unwrap();
    let (s, done) = reviewer
        .post(
            "/api/v1/proposals/approve",
            json!({ "ids": [id, new_id], "comment": "同意" }),
        )
        .await;
    assert_eq!(s, 200, "{done}");
    let hits = search_names(&app, "城乡低保在册保障人数").await;
    assert_eq!(hits[0], ("JZ-001".into(), "城乡低保在册保障人数".into()));
    let hits = search_names(&app, "临时救助资金发放及时率").await;
    assert_eq!(hits[0].0, new_code);
    let page = app.get("/indicators/JZ-001").await.text().await.unwrap();
    assert!(page.contains("城乡低保在册保障人数"));
    let (_, revs) = app.json("/api/v1/indicators/JZ-001/revisions").await;
    let last = revs["revisions"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["author"], "editor");
    assert_eq!(last["reviewer"], "reviewer");
    assert_eq!(last["kind"], "material");
    assert!(last["reason"].as_str().unwrap().contains("民政统计口径"));
    // The edit follows the library's own revisions (editions 2026.1 and 2026.2).
    let n = last["number"].as_u64().unwrap();
    assert!(page.contains(&format!("第 {n} 版")));
    let (_, cmp) = app
        .json(&format!(
            "/api/v1/indicators/JZ-001/compare?a={}&b={n}",
            n - 1
        ))
        .await;
    assert_eq!(cmp["changes"].as_array().unwrap().len(), 2);

    // An admin freezes 2026.3; its release notes list both changes.
    let (s, ed) = admin
        .post("/api/v1/editions", json!({ "name": "2026.3" }))
        .await;
    assert_eq!(s, 201, "{ed}");
    let (_, notes) = app.json("/api/v1/editions/2026.2/diff/2026.3").await;
    assert_eq!(
        notes["summary"],
        json!({"new": 1, "material": 1, "immaterial": 0, "retired": 0})
    );
    let kinds: Vec<(String, String)> = notes["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["code"].as_str().unwrap().into(),
                n["kind"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert!(kinds.contains(&("JZ-001".into(), "material".into())));
    assert!(kinds.contains(&(new_code.clone(), "new".into())));
    let page = app.get("/editions/2026.3").await.text().await.unwrap();
    assert!(page.contains("实质性修改") && page.contains(&new_code));
    let (_, eds) = app.json("/api/v1/editions").await;
    assert!(eds.to_string().contains("2026.3"));

    // The edition written as library files loads back as the same indicators, and a fresh
    // server started on those files serves edition 2026.3 with them.
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("indicators");
    let inds = app.app.curation.edition_indicators("2026.3").unwrap();
    let active: Vec<_> = inds.into_iter().filter(|i| i.is_active()).collect();
    zhibiao::ingest::export::library_dir(
        &dir,
        &zhibiao::ingest::library::default_dir(),
        "2026.3",
        &active,
    )
    .unwrap();
    let lib = zhibiao::app::load_checked(&zhibiao::config::LibrarySource::Files(dir.clone()))
        .expect("the exported files pass every check");
    assert_eq!(lib.catalog.edition, "2026.3");
    let mut a = active.clone();
    let mut b = lib.indicators.clone();
    a.sort_by(|x, y| x.code.cmp(&y.code));
    b.sort_by(|x, y| x.code.cmp(&y.code));
    assert_eq!(a, b, "round trip");
    let data = tempfile::tempdir().unwrap();
    let mut config = zhibiao::config::Config::for_tests(data.path());
    config.library = zhibiao::config::LibrarySource::Files(dir);
    let reloaded = crate::helpers::start(config, Some(data));
    let (_, ind) = reloaded.json("/api/v1/indicators/JZ-001").await;
    assert_eq!(ind["indicator"]["name"], "城乡低保在册保障人数");
    let (_, eds) = reloaded.json("/api/v1/editions").await;
    assert!(eds.to_string().contains("2026.3"));
}

#[tokio::test]
async fn a_rejected_proposal_changes_nothing_and_nobody_approves_their_own() {
    let app = curation_app();
    let reviewer = Session::login(&app, "reviewer").await;
    let reviewer2 = Session::login(&app, "reviewer2").await;
    let (s, p) = reviewer
        .post(
            "/api/v1/proposals",
            json!({ "kind": "edit", "code": "JZ-002", "indicator": { "target": "1" }, "reason": "试" }),
        )
        .await;
    assert_eq!(s, 201, "{p}");
    let id = p["id"].as_u64().unwrap();
    let (s, e) = reviewer
        .post(&format!("/api/v1/proposals/{id}/approve"), json!({}))
        .await;
    assert_eq!(s, 403, "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("自己"));
    let (s, e) = reviewer2
        .post(&format!("/api/v1/proposals/{id}/reject"), json!({}))
        .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (400, Some("invalid_request")),
        "a comment is required"
    );
    let (s, _) = reviewer2
        .post(
            &format!("/api/v1/proposals/{id}/reject"),
            json!({ "comment": "目标值过低" }),
        )
        .await;
    assert_eq!(s, 200);
    let (_, ind) = app.json("/api/v1/indicators/JZ-002").await;
    assert_eq!(ind["indicator"]["target"], "100");
    let (_, revs) = app.json("/api/v1/indicators/JZ-002/revisions").await;
    let last = revs["revisions"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(
        last["author"], "指标库文件",
        "the last revision is the release's"
    );
    let (s, _) = reviewer2
        .post(&format!("/api/v1/proposals/{id}/approve"), json!({}))
        .await;
    assert_eq!(s, 409, "a decided proposal cannot be approved");
}

#[tokio::test]
async fn retire_merge_restore_and_stale_proposals() {
    let app = curation_app();
    let editor = Session::login(&app, "editor").await;
    let reviewer = Session::login(&app, "reviewer").await;
    let approve = |id: u64| {
        let r = &reviewer;
        async move {
            let (s, b) = r
                .post(&format!("/api/v1/proposals/{id}/approve"), json!({}))
                .await;
            assert_eq!(s, 200, "{b}");
        }
    };
    // Retire with a replacement: old links lead to the replacement.
    let (s, p) = editor
        .post("/api/v1/proposals", json!({ "kind": "retire", "code": "JZ-003", "replaced_by": "JZ-002", "reason": "口径并入" }))
        .await;
    assert_eq!(s, 201, "{p}");
    approve(p["id"].as_u64().unwrap()).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = client
        .get(app.url("/indicators/JZ-003"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert!(
        r.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/indicators/JZ-002")
    );
    assert!(
        search_names(&app, "JZ-003")
            .await
            .iter()
            .all(|(c, _)| c != "JZ-003")
    );

    // Merge: the source retires into the target, whose aliases take the old name.
    let (_, src) = app.json("/api/v1/indicators/JZ-004").await;
    let (s, p) = editor
        .post(
            "/api/v1/proposals",
            json!({ "kind": "merge", "code": "JZ-004", "into": "JZ-005", "reason": "重复" }),
        )
        .await;
    assert_eq!(s, 201, "{p}");
    approve(p["id"].as_u64().unwrap()).await;
    let (_, target) = app.json("/api/v1/indicators/JZ-005").await;
    assert!(
        target["indicator"]["aliases"]
            .as_array()
            .unwrap()
            .contains(&src["indicator"]["name"])
    );

    // A proposal made against the published revision is refused once a newer one is published.
    let (_, revs) = app.json("/api/v1/indicators/JZ-006/revisions").await;
    let published = revs["revisions"].as_array().unwrap().len();
    let (_, a) = editor
        .post("/api/v1/proposals", json!({ "kind": "edit", "code": "JZ-006", "indicator": {"target": "9"}, "reason": "甲" }))
        .await;
    let (s, b) = editor
        .post("/api/v1/proposals", json!({ "kind": "edit", "code": "JZ-006", "indicator": {"target": "8"}, "reason": "乙" }))
        .await;
    assert_eq!(s, 409, "one open proposal per indicator: {b}");
    approve(a["id"].as_u64().unwrap()).await;

    // Restore the revision the edit replaced as a new proposal.
    let (s, p) = editor
        .post(
            "/api/v1/proposals",
            json!({ "kind": "restore", "code": "JZ-006", "revision": published, "reason": "恢复原值" }),
        )
        .await;
    assert_eq!(s, 201, "{p}");
    approve(p["id"].as_u64().unwrap()).await;
    let (_, revs) = app.json("/api/v1/indicators/JZ-006/revisions").await;
    let revs = revs["revisions"].as_array().unwrap();
    assert_eq!(revs.len(), published + 2);
    assert_eq!(
        revs[published + 1]["indicator"]["target"],
        revs[published - 1]["indicator"]["target"]
    );

    // Invalid content is refused with every problem named.
    let (s, e) = editor
        .post("/api/v1/proposals", json!({ "kind": "edit", "code": "JZ-007", "indicator": {"unit": "斤", "level2": "满意度"}, "reason": "x" }))
        .await;
    assert_eq!(s, 422, "{e}");
    assert_eq!(e["error"]["code"], "invalid_indicator");
    assert!(e["error"]["problems"].as_array().unwrap().len() >= 2);
}

#[tokio::test]
async fn near_duplicates_are_flagged_on_creation() {
    let app = curation_app();
    let editor = Session::login(&app, "editor").await;
    let (_, existing) = app.json("/api/v1/indicators/JZ-001").await;
    let (s, p) = editor
        .post(
            "/api/v1/proposals",
            json!({ "kind": "create", "reason": "补充",
                "indicator": {
                    "name": existing["indicator"]["name"].as_str().unwrap().replace("低保", "低保在册"),
                    "level1": "产出指标", "level2": "数量指标", "definition": "反映低保保障人数。",
                    "value_type": "定量", "direction": "=", "unit": "人", "target": "100",
                    "basis": "历史标准", "scoring": "完成值÷目标值×分值。", "weight": 5,
                    "project_types": ["assistance"], "data_source": "系统" } }),
        )
        .await;
    assert_eq!(s, 201, "{p}");
    let warnings = p["warnings"].to_string();
    assert!(
        warnings.contains("JZ-001") && warnings.contains("合并"),
        "{warnings}"
    );
}

fn csv_file(rows: &[&str]) -> Vec<u8> {
    let header = "编码,指标名称,一级指标,二级指标,指标解释,计算公式,指标值类型,指标方向,计量单位,参考值,取值依据,数据来源,评(扣)分标准,分值,适用项目类型";
    let mut s = String::from(header);
    for r in rows {
        s.push('\n');
        s.push_str(r);
    }
    s.push('\n');
    s.into_bytes()
}

#[tokio::test]
async fn a_dry_run_reports_bad_rows_precisely_and_applies_nothing() {
    let app = curation_app();
    let editor = Session::login(&app, "editor").await;
    let good = "JZ-001,,,,,,,,,13000,,,,,";
    let file = csv_file(&[
        good,
        ",养老床位数,产出指标,数量指标,反映养老床位数。,,定量,≥,斤,100,计划标准,台账,按比例,5,养老服务",
        ",,产出指标,数量指标,反映……,,定量,≥,个,1,计划标准,台账,按比例,5,养老服务",
        "JZ-001,,,,,,,,,14000,,,,,",
        ",护理员培训人次,产出指标,满意度,反映培训人次。,,定量,≥,人次,100,计划标准,台账,按比例,5,养老服务",
    ]);
    let (s, r) = editor
        .post_raw("/api/v1/import?dry_run=true&file=bad.csv", file.clone())
        .await;
    assert_eq!(s, 200, "{r}");
    let rows = r["rows"].as_array().unwrap();
    let row = |n: u64| rows.iter().find(|x| x["row"] == n).unwrap();
    assert_eq!(row(2)["action"], "change");
    assert_eq!(row(3)["action"], "reject");
    assert_eq!(row(3)["problems"][0]["column"], "计量单位");
    assert!(
        row(3)["problems"][0]["message"]
            .as_str()
            .unwrap()
            .contains("斤")
    );
    assert_eq!(row(4)["problems"][0]["column"], "指标名称");
    assert_eq!(row(5)["problems"][0]["column"], "编码");
    assert!(
        row(5)["problems"][0]["message"]
            .as_str()
            .unwrap()
            .contains("第 2 行")
    );
    assert_eq!(row(6)["problems"][0]["column"], "二级指标");
    assert_eq!(r["rejected"], 4);
    // Applying the same file is refused as a whole.
    let (s, r) = editor
        .post_raw("/api/v1/import?dry_run=false&file=bad.csv", file)
        .await;
    assert_eq!(s, 422, "{r}");
    assert_eq!(r["error"]["code"], "import_rejected");
    let (_, list) = editor.get("/api/v1/proposals").await;
    let ours = list["proposals"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["author"] != "指标库文件")
        .count();
    assert_eq!(ours, 0, "nothing applied: {list}");
    let (_, ind) = app.json("/api/v1/indicators/JZ-001").await;
    assert_eq!(ind["indicator"]["target"], "12000");
}

#[tokio::test]
async fn an_xlsx_import_becomes_one_batch_proposal() {
    let app = curation_app();
    let editor = Session::login(&app, "editor").await;
    let reviewer = Session::login(&app, "reviewer").await;
    // The downloadable template is a real workbook whose example row imports as a creation.
    let t = app.get("/import/template.xlsx").await;
    assert_eq!(t.status(), 200);
    let bytes = t.bytes().await.unwrap().to_vec();
    assert!(bytes.starts_with(b"PK"));
    let (s, r) = editor
        .post_raw(
            "/api/v1/import?dry_run=false&file=模板.xlsx&reason=补充口袋公园指标",
            bytes,
        )
        .await;
    assert_eq!(s, 201, "{r}");
    assert_eq!(
        (r["created"].as_u64(), r["rejected"].as_u64()),
        (Some(1), Some(0))
    );
    let id = r["proposal"].as_u64().unwrap();
    let (_, p) = editor.get(&format!("/api/v1/proposals/{id}")).await;
    assert_eq!(p["proposal"]["kind"], "import");
    let (s, _) = reviewer
        .post(&format!("/api/v1/proposals/{id}/approve"), json!({}))
        .await;
    assert_eq!(s, 200);
    let hits = search_names(&app, "新建口袋公园数量").await;
    assert_eq!(hits[0].1, "新建口袋公园数量");
}

/// The lowest role each API write route asks for (`None`: open to anonymous callers, as drafting,
/// linting, logging in and trainees' attempts are). The test below fails when the router has an
/// API write route that is not listed here.
const API_WRITE_ROLES: &[(&str, &str, Option<&str>)] = &[
    ("POST", "/api/v1/proposals", Some("editor")),
    ("POST", "/api/v1/import", Some("editor")),
    ("POST", "/api/v1/tokens", Some("editor")),
    ("POST", "/api/v1/proposals/{id}/withdraw", Some("editor")),
    ("POST", "/api/v1/proposals/{id}/fold", Some("editor")),
    ("POST", "/api/v1/proposals/{id}/approve", Some("reviewer")),
    ("POST", "/api/v1/proposals/{id}/reject", Some("reviewer")),
    ("POST", "/api/v1/proposals/approve", Some("reviewer")),
    ("POST", "/api/v1/editions", Some("admin")),
    ("POST", "/api/v1/users", Some("admin")),
    ("POST", "/api/v1/evaluations/import", Some("editor")),
    ("POST", "/api/v1/evaluations/decisions", Some("editor")),
    (
        "POST",
        "/api/v1/evaluations/candidates/{id}/propose",
        Some("editor"),
    ),
    ("POST", "/api/v1/training/sessions", Some("editor")),
    ("POST", "/api/v1/training/exercises/{code}/attempts", None),
    ("POST", "/api/v1/suggest-targets", None),
    ("POST", "/api/v1/lint", None),
    ("POST", "/api/v1/drafts", None),
    ("POST", "/api/v1/drafts/import", None),
    ("PUT", "/api/v1/drafts/{id}", None),
    ("POST", "/api/v1/session", None),
    ("DELETE", "/api/v1/session", None),
];

/// Every (method, path) that writes, as the web layer's source adds it to the router:
/// `.route("path", …post(…)…)` in any file of `src/web/`, so a route added anywhere is seen.
fn write_routes() -> Vec<(String, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/web");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let src = std::fs::read_to_string(&path).unwrap();
        let mut rest = src.as_str();
        while let Some(at) = rest.find(".route(") {
            rest = &rest[at + ".route(".len()..];
            // The call's arguments, up to its closing parenthesis.
            let mut depth = 1;
            let end = rest
                .char_indices()
                .find(|&(_, c)| {
                    depth += match c {
                        '(' => 1,
                        ')' => -1,
                        _ => 0,
                    };
                    depth == 0
                })
                .map(|(i, _)| i)
                .unwrap();
            let call = &rest[..end];
            let Some(route) = call.split('"').nth(1) else {
                continue;
            };
            for method in ["post", "put", "delete", "patch"] {
                let called = call
                    .match_indices(&format!("{method}("))
                    .any(|(i, _)| !call[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_'));
                if called {
                    out.push((method.to_uppercase(), route.to_string()));
                }
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

#[tokio::test]
async fn every_write_route_checks_the_caller_and_the_csrf_token() {
    let app = curation_app();
    let editor = Session::login(&app, "editor").await;
    let reviewer = Session::login(&app, "reviewer").await;
    let (_, p) = editor
        .post("/api/v1/proposals", json!({ "kind": "edit", "code": "JZ-001", "indicator": {"target": "1"}, "reason": "x" }))
        .await;
    let id = p["id"].as_u64().unwrap();
    let body = json!({});
    let routes = write_routes();
    // The scan must see the router (a scan that finds nothing would check nothing).
    assert!(routes.len() >= 40, "{routes:?}");
    assert!(routes.contains(&("POST".into(), "/api/v1/proposals".into())));
    // Every API write route of the router has a row here, and every row is a route.
    let api: Vec<&(String, String)> = routes
        .iter()
        .filter(|(_, p)| p.starts_with("/api/"))
        .collect();
    for (method, path) in &api {
        assert!(
            API_WRITE_ROLES
                .iter()
                .any(|(m, p, _)| m == method && p == path),
            "{method} {path} is a write route of the router missing from API_WRITE_ROLES: add it with the lowest role it needs"
        );
    }
    for (m, p, _) in API_WRITE_ROLES {
        assert!(
            api.iter().any(|(method, path)| method == m && path == p),
            "{m} {p} is in API_WRITE_ROLES but not a route of the router"
        );
    }
    let concrete = |path: &str| {
        path.replace("{id}", &id.to_string())
            .replace("{code}", "JZ-001")
            .replace("{name}", "2026.1")
    };
    let send = |client: &reqwest::Client, method: &str, route: &str| {
        let url = app.url(route);
        match method {
            "POST" => client.post(url),
            "PUT" => client.put(url),
            "DELETE" => client.delete(url),
            "PATCH" => client.patch(url),
            other => panic!("method {other}"),
        }
        .json(&body)
    };
    let anon = reqwest::Client::new();
    for (method, path) in &routes {
        let route = concrete(path);
        // A session without its CSRF token, or with a wrong one, is refused before anything.
        for token in [None, Some("0".repeat(64))] {
            let mut req = send(&reviewer.client, method, &route);
            if let Some(t) = &token {
                req = req.header("x-csrf-token", t);
            }
            let r = req.send().await.unwrap();
            assert_eq!(r.status(), 403, "csrf {method} {route} {token:?}");
            if path.starts_with("/api/") {
                let j: Value = r.json().await.unwrap();
                assert_eq!(j["error"]["code"], "csrf_failed", "{method} {route}");
            }
        }
        let Some((_, _, Some(role))) = API_WRITE_ROLES
            .iter()
            .find(|(m, p, _)| m == method && p == path)
        else {
            continue;
        };
        let r = send(&anon, method, &route).send().await.unwrap();
        assert_eq!(r.status(), 401, "anonymous {method} {route}");
        let j: Value = r.json().await.unwrap();
        assert_eq!(j["error"]["code"], "unauthorized");
        let lower = match *role {
            "reviewer" => Some(&editor),
            "admin" => Some(&reviewer),
            _ => None,
        };
        if let Some(s) = lower {
            let r = send(&s.client, method, &route)
                .header("x-csrf-token", &s.csrf)
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let j: Value = r.json().await.unwrap();
            assert_eq!(
                (status, j["error"]["code"].as_str()),
                (403, Some("forbidden")),
                "{method} {route}"
            );
        }
    }
    let (s, _) = app.json("/api/v1/audit").await;
    assert_eq!(s, 401);
    let (s, _) = reviewer.get("/api/v1/audit").await;
    assert_eq!(s, 403);

    // Page forms: a missing or wrong token is refused, the page's own token works.
    let (s, _) = reviewer
        .client
        .post(app.url(&format!("/proposals/{id}")))
        .form(&[("action", "reject"), ("comment", "x")])
        .send()
        .await
        .map(|r| (r.status().as_u16(), ()))
        .unwrap();
    assert_eq!(s, 403);
    let (s, _) = reviewer
        .form(
            &format!("/proposals/{id}"),
            &[("action", "reject"), ("comment", "不同意")],
        )
        .await;
    assert_eq!(s, 303);
    // Anonymous forms (drafting) carry the cookie's token too.
    let r = anon
        .post(app.url("/drafts"))
        .form(&[("project_name", "道路")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // Pages that need a role send visitors to the login page.
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(app.url("/curation"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/login");
}

#[tokio::test]
async fn passwords_are_hashed_logins_are_rate_limited_and_writes_are_audited() {
    let app = curation_app();
    for u in app.app.store.users().unwrap() {
        assert!(u.password_hash.starts_with("$argon2id$"));
        assert!(!u.password_hash.contains(PASSWORD));
    }
    let admin = Session::login(&app, "admin").await;
    let client = reqwest::Client::new();
    for _ in 0..3 {
        let r = client
            .post(app.url("/api/v1/session"))
            .json(&json!({ "name": "editor", "password": "wrong password" }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
    }
    let r = client
        .post(app.url("/api/v1/session"))
        .json(&json!({ "name": "editor", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429, "slowed even with the right password");
    let j: Value = r.json().await.unwrap();
    assert!(j["error"]["message"].as_str().unwrap().contains("秒后再试"));

    // API tokens work without cookies or CSRF, and an admin sees and exports the audit log.
    let (s, t) = admin.post("/api/v1/tokens", json!({})).await;
    assert_eq!(s, 201);
    let token = t["token"].as_str().unwrap();
    let r = client
        .post(app.url("/api/v1/editions"))
        .bearer_auth(token)
        .json(&json!({ "name": "2026.1a" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = client
        .get(app.url("/api/v1/audit?limit=50"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let log: Value = r.json().await.unwrap();
    let text = log.to_string();
    assert!(text.contains("登录失败") && text.contains("发布版本") && text.contains("127.0.0.1"));
    assert!(!text.contains(PASSWORD) && !text.contains("wrong password"));
    let csv = client
        .get(app.url("/api/v1/audit?format=csv"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(csv.contains("操作人") && csv.contains("发布版本"));
    let r = client
        .get(app.url("/api/v1/audit"))
        .bearer_auth("f".repeat(64))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "a wrong token");
}

#[tokio::test]
async fn the_inbox_lists_searches_without_results_and_open_proposals() {
    let app = curation_app();
    let editor = Session::login(&app, "editor").await;
    for _ in 0..2 {
        app.json(&format!("/api/v1/search?q={}", enc("量子纠缠观测站")))
            .await;
    }
    let (_, p) = editor
        .post("/api/v1/proposals", json!({ "kind": "edit", "code": "JZ-001", "indicator": {"target": "2"}, "reason": "x" }))
        .await;
    let (s, inbox) = editor.get("/api/v1/inbox").await;
    assert_eq!(s, 200);
    let miss = inbox["searches_without_results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["query"] == "量子纠缠观测站")
        .expect("the miss is listed");
    assert_eq!(miss["count"], 2);
    assert!(miss.get("address").is_none(), "anonymised");
    assert_eq!(inbox["awaiting_review"][0]["id"], p["id"]);
    let (s, page) = editor.page("/curation").await;
    assert_eq!(s, 200);
    assert!(page.contains("量子纠缠观测站") && page.contains(&format!("P{}", p["id"])));
}

/// `zhibiao check` rules over the whole library hold for proposals too: a new indicator that
/// repeats a common indicator of its type, or takes an alias another indicator owns, is refused
/// with the reason in Chinese, and nothing is proposed.
#[tokio::test]
async fn proposals_that_break_whole_library_rules_are_refused() {
    let app = curation_app();
    let editor = Session::login(&app, "editor").await;
    // A zero-event quality indicator: only its name, aliases and type change below.
    let new = |name: &str, aliases: Value, types: Value| {
        json!({ "kind": "create", "reason": "补充",
            "indicator": {
                "name": name, "aliases": aliases, "level1": "产出指标", "level2": "质量指标",
                "definition": format!("反映{name}。"), "value_type": "定量", "direction": "=",
                "unit": "次", "target": "0", "basis": "计划标准", "data_source": "台账",
                "scoring": "未发生得满分；每发生1次扣分值的50%，扣完为止。", "weight": 5,
                "project_types": types } })
    };
    // GX-JS-004 施工安全事故发生次数 is a common indicator of every construction type.
    let (s, e) = editor
        .post(
            "/api/v1/proposals",
            new("道路项目施工安全事故发生次数", json!([]), json!(["road"])),
        )
        .await;
    assert_eq!(s, 422, "{e}");
    assert_eq!(e["error"]["code"], "invalid_indicator");
    let m = e["error"]["message"].as_str().unwrap();
    assert!(
        m.contains("GX-JS-004") && m.contains("重复") && m.contains("cross-scope-duplicate"),
        "{m}"
    );
    // 低保人数 is an alias of JZ-001.
    let (s, e) = editor
        .post(
            "/api/v1/proposals",
            new(
                "临时救助差错发生次数",
                json!(["低保人数"]),
                json!(["assistance"]),
            ),
        )
        .await;
    assert_eq!(s, 422, "{e}");
    let m = e["error"]["message"].as_str().unwrap();
    assert!(
        m.contains("别名“低保人数”") && m.contains("JZ-001") && m.contains("shared-alias"),
        "{m}"
    );
    // The same through an edit of an existing indicator.
    let (s, e) = editor
        .post(
            "/api/v1/proposals",
            json!({ "kind": "edit", "code": "JZ-006",
            "indicator": { "aliases": ["低保人数"] }, "reason": "补充别名" }),
        )
        .await;
    assert_eq!(s, 422, "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("低保人数"));
    let (_, list) = editor.get("/api/v1/proposals?state=open").await;
    assert_eq!(list["total"], 0, "nothing proposed");
    // Without the clash the same content is accepted.
    let (s, p) = editor
        .post(
            "/api/v1/proposals",
            new(
                "临时救助差错发生次数",
                json!(["临时救助差错次数"]),
                json!(["assistance"]),
            ),
        )
        .await;
    assert_eq!(s, 201, "{p}");
}
