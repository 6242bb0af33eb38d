//! Evaluation results over HTTP: importing a slice of the demonstration set (dry run, real,
//! again), refusing corrupt and mismatched files without writing anything, statistics equal to
//! those computed here from the file, the drafting assistant's reference values, the indicator
//! page's section, and a curator's decision.

use crate::helpers::{Session, TestApp, curation_app};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

const FILE: &str = "self-evaluations-2024.csv";
/// Projects in the test slice (the first ones of the 2024 file: construction types).
const SLICE_PROJECTS: usize = 40;

fn demo_path(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("evaluations/demo")
        .join(name)
}

/// The header and rows of the first `SLICE_PROJECTS` projects of the 2024 file, as CSV bytes,
/// with the generator's code for each kept row (rows keep their numbers: the slice is a prefix).
struct Slice {
    bytes: Vec<u8>,
    header: Vec<String>,
    rows: Vec<(u32, Vec<String>, String)>,
}

fn slice() -> Slice {
    let text = std::fs::read_to_string(demo_path(FILE)).unwrap();
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes());
    let all: Vec<Vec<String>> = r
        .records()
        .map(|x| x.unwrap().iter().map(str::to_string).collect())
        .collect();
    let key: HashMap<u32, String> = csv::Reader::from_path(demo_path("answer_key.csv"))
        .unwrap()
        .records()
        .map(|x| x.unwrap())
        .filter(|x| &x[0] == "self-evaluations-2024")
        .map(|x| (x[1].parse().unwrap(), x[2].to_string()))
        .collect();
    let header = all[0].clone();
    let mut projects = Vec::new();
    let mut rows = Vec::new();
    for (i, row) in all.iter().enumerate().skip(1) {
        let p = (row[0].clone(), row[1].clone());
        if !projects.contains(&p) {
            if projects.len() == SLICE_PROJECTS {
                break;
            }
            projects.push(p);
        }
        let n = i as u32 + 1;
        rows.push((n, row.clone(), key[&n].clone()));
    }
    let mut bytes = Vec::new();
    {
        let mut w = csv::Writer::from_writer(&mut bytes);
        w.write_record(&header).unwrap();
        for (_, r, _) in &rows {
            w.write_record(r).unwrap();
        }
    }
    Slice {
        bytes,
        header,
        rows,
    }
}

impl Slice {
    fn col(&self, name: &str) -> usize {
        self.header.iter().position(|h| h == name).unwrap()
    }
}

/// Imports as the test curator (编辑).
async fn import(app: &TestApp, bytes: Vec<u8>, name: &str, dry_run: bool) -> (u16, Value) {
    Session::login(app, "editor")
        .await
        .post_raw(
            &format!("/api/v1/evaluations/import?dry_run={dry_run}&file={name}"),
            bytes,
        )
        .await
}

/// A page's HTML, for anyone.
async fn page(app: &TestApp, path: &str) -> String {
    app.get(path).await.text().await.unwrap()
}

/// A value as the demo file writes it (`95`, `≥95`).
fn num(s: &str) -> Option<f64> {
    s.trim().trim_start_matches(['≥', '≤', '=']).parse().ok()
}

/// Percentile by linear interpolation between closest ranks (PERCENTILE.INC), written again
/// here so that the test does not trust the code under test.
fn pct(v: &[f64], p: f64) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    let h = (v.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(v.len() - 1);
    v[lo] + (h - lo as f64) * (v[hi] - v[lo])
}

fn close(a: &Value, b: f64, what: &str) {
    let a = a.as_f64().unwrap_or_else(|| panic!("{what}: {a}"));
    assert!((a - b).abs() < 1e-3, "{what}: API {a}, file {b}");
}

/// Everything the API must say about `code`, computed from the file rows the generator wrote
/// for it.
struct Expected {
    projects: usize,
    by_year: BTreeMap<String, usize>,
    targets: Vec<f64>,
    actuals: Vec<f64>,
    assessed: usize,
    met: usize,
    sources: Vec<u32>,
}

fn expected(s: &Slice, code: &str, indicator_direction: &str) -> Expected {
    let (cp, cu, cy, cd, ct, ca) = (
        s.col("项目名称"),
        s.col("预算单位"),
        s.col("年度"),
        s.col("指标方向"),
        s.col("年度目标值"),
        s.col("实际完成值"),
    );
    let mut projects = BTreeSet::new();
    let mut by_year: BTreeMap<String, BTreeSet<(String, String)>> = BTreeMap::new();
    let mut e = Expected {
        projects: 0,
        by_year: BTreeMap::new(),
        targets: vec![],
        actuals: vec![],
        assessed: 0,
        met: 0,
        sources: vec![],
    };
    for (n, r, k) in &s.rows {
        if k != code {
            continue;
        }
        e.sources.push(*n);
        let p = (r[cp].clone(), r[cu].clone());
        projects.insert(p.clone());
        by_year.entry(r[cy].clone()).or_default().insert(p);
        let (t, a) = (num(&r[ct]).unwrap(), num(&r[ca]).unwrap());
        e.targets.push(t);
        e.actuals.push(a);
        let dir = if !r[cd].is_empty() {
            r[cd].clone()
        } else if r[ct].starts_with('≥') {
            "≥".into()
        } else if r[ct].starts_with('≤') {
            "≤".into()
        } else {
            indicator_direction.to_string()
        };
        e.assessed += 1;
        e.met += match dir.as_str() {
            "≥" => a >= t,
            "≤" => a <= t,
            _ => (a - t).abs() < 1e-9,
        } as usize;
    }
    e.projects = projects.len();
    e.by_year = by_year.into_iter().map(|(y, p)| (y, p.len())).collect();
    e
}

#[tokio::test]
async fn a_slice_of_the_demo_set_imports_once_and_its_statistics_equal_the_files() {
    let app = curation_app();
    let s = slice();

    // Dry run: the report, nothing written.
    let (status, body) = import(&app, s.bytes.clone(), FILE, true).await;
    assert_eq!(status, 200, "{body}");
    let r = &body["report"];
    assert_eq!(r["written"], false);
    assert_eq!(r["projects"], SLICE_PROJECTS);
    assert_eq!(r["rows"], s.rows.len());
    assert!(r["errors"].as_array().unwrap().is_empty());
    assert!(r["link_rate"].as_f64().unwrap() >= 0.9, "{r}");
    let (_, list) = app.json("/api/v1/evaluations").await;
    assert_eq!(list["total"], 0, "a dry run writes nothing");

    // The real import.
    let (status, body) = import(&app, s.bytes.clone(), FILE, false).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["report"]["written"], true);
    assert_eq!(body["report"]["new_projects"], SLICE_PROJECTS);
    let (_, list) = app.json("/api/v1/evaluations?limit=1000").await;
    assert_eq!(list["total"], SLICE_PROJECTS);

    // The indicator used most in the slice (by the generator's answer key) among those whose
    // every row the import linked with certainty: the statistics count only such rows, and a
    // row waiting for a curator would make the file and the API differ by design.
    let mut uses: HashMap<&str, usize> = HashMap::new();
    for (_, _, k) in &s.rows {
        *uses.entry(k.as_str()).or_default() += 1;
    }
    let mut ranked: Vec<(&str, usize)> = uses
        .into_iter()
        .filter(|(k, _)| !k.starts_with("NEW:"))
        .collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let mut code = None;
    for (c, n) in ranked.iter().take(10) {
        let (_, st) = app.json(&format!("/api/v1/indicators/{c}/stats")).await;
        if st["stats"]["rows"] == *n {
            code = Some(c.to_string());
            break;
        }
    }
    let code = code.expect("one of the ten most used indicators is linked on every row");
    let (_, ind) = app.json(&format!("/api/v1/indicators/{code}")).await;
    let dir = ind["indicator"]["direction"]
        .as_str()
        .or(ind["direction"].as_str())
        .unwrap_or("≥")
        .to_string();
    let e = expected(&s, &code, &dir);
    assert!(
        e.projects >= 10,
        "{code} is used by {} projects",
        e.projects
    );

    let (status, st) = app.json(&format!("/api/v1/indicators/{code}/stats")).await;
    assert_eq!(status, 200, "{st}");
    let got = &st["stats"];
    assert_eq!(got["projects"], e.projects, "{code}: {got}");
    assert_eq!(got["rows"], e.sources.len());
    for c in got["by_year"].as_array().unwrap() {
        assert_eq!(c["count"], e.by_year[c["key"].as_str().unwrap()]);
    }
    for (what, values) in [("target", &e.targets), ("actual", &e.actuals)] {
        close(&got[what]["p25"], pct(values, 0.25), &format!("{what} P25"));
        // A value left in 米 would stand out at the top.
        close(&got[what]["max"], pct(values, 1.0), &format!("{what} max"));
        close(
            &got[what]["median"],
            pct(values, 0.5),
            &format!("{what} median"),
        );
        close(&got[what]["p75"], pct(values, 0.75), &format!("{what} P75"));
        assert_eq!(got[what]["n"], values.len());
    }
    assert_eq!(got["achievement"]["assessed"], e.assessed);
    assert_eq!(got["achievement"]["met"], e.met);

    // The drafting assistant carries the same reference values.
    // A project type that used it most.
    let ptype = got["by_type"][0]["key"].as_str().unwrap().to_string();
    let r = app
        .client
        .post(app.url("/api/v1/suggest-targets"))
        .json(&json!({ "project_name": "测试项目", "project_type": ptype }))
        .send()
        .await
        .unwrap();
    let sug: Value = r.json().await.unwrap();
    let hit = sug["groups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["indicators"].as_array().unwrap())
        .find(|i| i["code"] == code.as_str())
        .unwrap_or_else(|| panic!("{code} is suggested for {ptype}: {sug}"));
    let ev = &hit["evaluations"];
    assert_eq!(ev["projects"], e.projects, "{hit}");
    close(
        &ev["target_median"],
        pct(&e.targets, 0.5),
        "assistant target median",
    );
    close(
        &ev["actual_median"],
        pct(&e.actuals, 0.5),
        "assistant actual median",
    );
    close(
        &ev["achievement_rate"],
        e.met as f64 / e.assessed as f64,
        "assistant achievement rate",
    );
    let text = ev["text"].as_str().unwrap();
    assert!(
        text.starts_with(&format!("2024 年 {} 个项目：目标中位数", e.projects)),
        "{text}"
    );

    // The indicator page shows the section and its charts; every row behind it is traceable.
    let html = page(&app, &format!("/indicators/{code}")).await;
    let doc = scraper::Html::parse_document(&html);
    let sel = scraper::Selector::parse("section.practice svg").unwrap();
    assert!(doc.select(&sel).count() >= 3, "the section has charts");
    assert!(html.contains("评价实践") && html.contains(text));
    let rows_html = page(&app, &format!("/evaluations/rows?indicator={code}")).await;
    let doc = scraper::Html::parse_document(&rows_html);
    let sel = scraper::Selector::parse("td.source").unwrap();
    let mut sources: Vec<String> = doc
        .select(&sel)
        .map(|t| t.text().collect::<String>())
        .collect();
    sources.sort();
    let mut want: Vec<String> = e
        .sources
        .iter()
        .map(|n| format!("{FILE} › CSV › 第 {n} 行"))
        .collect();
    want.sort();
    assert_eq!(
        sources, want,
        "each statistic traces back to file, sheet and row"
    );

    // The same file again: recognised, nothing changes.
    let (status, again) = import(&app, s.bytes.clone(), FILE, false).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["report"]["already_imported"], true);
    assert_eq!(again["report"]["written"], false);
    let (_, list2) = app.json("/api/v1/evaluations?limit=1000").await;
    assert_eq!(list2, list);
    let (_, st2) = app.json(&format!("/api/v1/indicators/{code}/stats")).await;
    assert_eq!(st2, st);

    // The same projects in another file (a different hash) replace, never duplicate.
    let mut other = s.bytes.clone();
    other.extend_from_slice(b"\n");
    let (status, body) = import(&app, other, "copy.csv", false).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["report"]["replaced_projects"], SLICE_PROJECTS);
    assert_eq!(body["report"]["new_projects"], 0);
    let (_, list3) = app.json("/api/v1/evaluations?limit=1000").await;
    assert_eq!(list3["total"], SLICE_PROJECTS);
    let (_, st3) = app.json(&format!("/api/v1/indicators/{code}/stats")).await;
    assert_eq!(st3["stats"]["projects"], st["stats"]["projects"]);

    // Corrupt and mismatched files change nothing and say why.
    let before = app.json("/api/v1/evaluations?limit=1000").await.1;
    let cands_before = app.json("/api/v1/evaluations/candidates").await.1;
    let xlsx = zhibiao::evaluations::import::template_xlsx().unwrap();
    let cases: Vec<(Vec<u8>, &str, u16, &str)> = vec![
        (xlsx[..xlsx.len() / 2].to_vec(), "cut.xlsx", 400, "not_xlsx"),
        (
            "项目名称,三级指标\n甲,乙\n".into(),
            "few.csv",
            400,
            "missing_columns",
        ),
        (
            vec![0xff, 0xfe, 0x00, 0x41],
            "utf16.csv",
            400,
            "invalid_csv",
        ),
        (
            b"{\"projects\": 3}".to_vec(),
            "bad.json",
            400,
            "invalid_json",
        ),
        (vec![], "empty.csv", 400, "empty_file"),
    ];
    for (bytes, name, want_status, want_code) in cases {
        let (status, body) = import(&app, bytes, name, false).await;
        assert_eq!(status, want_status, "{name}: {body}");
        assert_eq!(body["error"]["code"], want_code, "{name}: {body}");
        assert!(!body["error"]["message"].as_str().unwrap().is_empty());
    }
    // One bad cell in an otherwise good file: the whole file is refused, the row named.
    let mut bad = String::from_utf8(s.bytes.clone()).unwrap();
    bad = bad.replacen(",2024,", ",二〇二四,", 1);
    let (status, body) = import(&app, bad.into_bytes(), "bad.csv", false).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["code"], "invalid_rows");
    let err = &body["report"]["errors"][0];
    assert_eq!(err["source"]["row"], 2);
    assert_eq!(err["column"], "年度");
    assert_eq!(body["report"]["written"], false);
    assert_eq!(app.json("/api/v1/evaluations?limit=1000").await.1, before);
    assert_eq!(
        app.json("/api/v1/evaluations/candidates").await.1,
        cands_before
    );
}

#[tokio::test]
async fn xlsx_and_json_files_import_and_filters_are_checked() {
    let app = curation_app();
    let s = slice();
    // The slice as a real .xlsx, written by the crate's sheet writer.
    let mut table = vec![s.header.clone()];
    table.extend(s.rows.iter().take(30).map(|(_, r, _)| r.clone()));
    let xlsx = zhibiao::evaluations::import::table_xlsx("自评表", &table).unwrap();
    let (status, body) = import(&app, xlsx, "slice.xlsx", false).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["report"]["format"], "xlsx");
    let json_file = json!([{
        "name": "JSON 示例项目", "unit_name": "区教育体育局", "year": 2025, "project_type": "training",
        "budget_wan": 50, "execution_rate": 97, "score": 88, "grade": "良",
        "indicators": [
            { "level1": "产出指标", "level2": "数量指标", "name": "培训人次", "unit": "人次",
              "direction": "≥", "target": 500, "actual": 520 },
            { "level1": "满意度指标", "level2": "服务对象满意度指标", "name": "参训人员满意度",
              "unit": "%", "direction": "≥", "target": 90, "actual": 95 }
        ]
    }]);
    let (status, body) = import(&app, json_file.to_string().into_bytes(), "p.json", false).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["report"]["format"], "json");
    assert_eq!(body["report"]["certain"], 2, "{body}");

    let (_, y) = app.json("/api/v1/evaluations?year=2025").await;
    assert_eq!(y["total"], 1);
    assert_eq!(y["projects"][0]["name"], "JSON 示例项目");
    let (_, g) = app.json("/api/v1/evaluations?type=培训&grade=良").await;
    assert_eq!(g["total"], 1, "type by name, grade by label: {g}");
    for bad in ["year=今年", "type=nope", "grade=A"] {
        let (status, body) = app.json(&format!("/api/v1/evaluations?{bad}")).await;
        assert_eq!(status, 400, "{bad}");
        assert_eq!(body["error"]["code"], "invalid_filter");
    }
    let (status, body) = app.json("/api/v1/indicators/NOPE-1/stats").await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "indicator_not_found");

    // The templates download and read back.
    for (path, ext) in [
        ("/evaluations/template.xlsx", "xlsx"),
        ("/evaluations/template.csv", "csv"),
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status().as_u16(), 200);
        let bytes = r.bytes().await.unwrap().to_vec();
        let (status, body) = import(&app, bytes, &format!("t.{ext}"), true).await;
        assert_eq!(status, 200, "{path}: {body}");
        assert_eq!(body["report"]["projects"], 1);
    }
}

#[tokio::test]
async fn a_curator_confirms_or_corrects_uncertain_matches_and_unmatched_rows_become_candidates() {
    let app = curation_app();
    let s = slice();
    let (status, _) = import(&app, s.bytes.clone(), FILE, false).await;
    assert_eq!(status, 201);
    let curator = Session::login(&app, "editor").await;
    let (s, _) = app.json("/api/v1/evaluations/review").await;
    assert_eq!(s, 401, "the review queue is for curators");
    let (_, review) = curator.get("/api/v1/evaluations/review").await;
    let items = review["items"].as_array().unwrap();
    assert!(!items.is_empty(), "the slice has uncertain matches");
    let first = items[0].clone();
    let code = first["code"].as_str().unwrap();
    let stats_before = app
        .json(&format!("/api/v1/indicators/{code}/stats"))
        .await
        .1;

    let post = |body: Value| {
        let curator = &curator;
        async move { curator.post("/api/v1/evaluations/decisions", body).await }
    };
    let (status, body) = post(json!({
        "project_id": first["project_id"], "index": first["index"], "action": "confirm"
    }))
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["row"]["matched"]["confirmed_by"].is_string());
    let (_, review2) = curator.get("/api/v1/evaluations/review").await;
    assert_eq!(
        review2["total"].as_u64().unwrap() + 1,
        review["total"].as_u64().unwrap()
    );
    let stats_after = app
        .json(&format!("/api/v1/indicators/{code}/stats"))
        .await
        .1;
    assert_eq!(
        stats_after["stats"]["rows"].as_u64().unwrap(),
        stats_before["stats"]["rows"].as_u64().unwrap() + 1,
        "a confirmed match counts"
    );
    // The statistics say what they rest on: the row moved from "in review" to "confirmed".
    let cov = |v: &Value, k: &str| v["stats"]["coverage"][k].as_u64().unwrap();
    assert!(cov(&stats_before, "in_review") >= 1, "{stats_before}");
    assert_eq!(
        cov(&stats_after, "in_review") + 1,
        cov(&stats_before, "in_review")
    );
    assert_eq!(
        cov(&stats_after, "confirmed"),
        cov(&stats_before, "confirmed") + 1
    );

    // Correcting to an unknown code is refused; marking as new sends the row to the candidates.
    let second = review2["items"][0].clone();
    let (status, body) = post(json!({
        "project_id": second["project_id"], "index": second["index"], "action": "link", "code": "NOPE-1"
    }))
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "unknown_indicator");
    let (_, before) = app.json("/api/v1/evaluations/candidates").await;
    let (status, _) = post(json!({
        "project_id": second["project_id"], "index": second["index"], "action": "new"
    }))
    .await;
    assert_eq!(status, 200);
    let (_, after) = app.json("/api/v1/evaluations/candidates").await;
    let evidence = |v: &Value| -> usize {
        v["candidates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["candidate"]["evidence"].as_array().unwrap().len())
            .sum()
    };
    assert_eq!(evidence(&after), evidence(&before) + 1);
    let c = &after["candidates"][0];
    assert_eq!(c["indicator"]["provenance"], "评价沉淀");
    assert!(
        c["indicator"]["code"]
            .as_str()
            .unwrap()
            .starts_with("PJ-2024-")
    );
    let html = app
        .get("/evaluations/candidates")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("新指标候选") && html.contains(FILE));

    // The candidate goes to the review queue as a proposal with its evidence; once another
    // person approves it, it is a library indicator (评价沉淀) whose statistics are its evidence.
    let id = c["candidate"]["id"].as_str().unwrap();
    let rows = c["candidate"]["evidence"].as_array().unwrap().len() as u64;
    let p = propose(&curator, id).await;
    assert!(p["reason"].as_str().unwrap().contains("由评价结果沉淀"));
    let code = p["changes"][0]["after"]["code"]
        .as_str()
        .unwrap()
        .to_string();
    // Issue 26: numbered in its type's series (JZ-031) like every indicator, not by the
    // candidate's key (PJ-2024-D7D5C3F691); and not proposed twice.
    let (series, number) = code.rsplit_once('-').unwrap();
    assert!(
        !code.starts_with("PJ-") && number.len() <= 4 && number.parse::<u32>().is_ok(),
        "{code}"
    );
    assert!(
        series.chars().all(|c| c.is_ascii_uppercase() || c == '-'),
        "{code}"
    );
    let (status, again) = curator
        .post(
            &format!("/api/v1/evaluations/candidates/{id}/propose"),
            json!({}),
        )
        .await;
    assert_eq!(status, 409, "{again}");
    let reviewer = Session::login(&app, "reviewer").await;
    let (status, body) = reviewer
        .post(&format!("/api/v1/proposals/{}/approve", p["id"]), json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, ind) = app.json(&format!("/api/v1/indicators/{code}")).await;
    assert_eq!(ind["indicator"]["provenance"], "评价沉淀");
    let (_, st) = app.json(&format!("/api/v1/indicators/{code}/stats")).await;
    assert_eq!(st["stats"]["rows"].as_u64(), Some(rows), "{st}");
    let (_, left) = app.json("/api/v1/evaluations/candidates").await;
    assert!(!left.to_string().contains(id), "the candidate is adopted");
}

#[test]
fn the_cli_dry_run_reports_in_chinese_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let slice_file = dir.path().join("slice.csv");
    std::fs::write(&slice_file, slice().bytes).unwrap();
    let run = |extra: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_zhibiao"))
            .arg("--data-dir")
            .arg(dir.path().join("data"))
            .arg("import-evaluations")
            .args(extra)
            .arg(&slice_file)
            .output()
            .unwrap()
    };
    let out = run(&["--dry-run"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("试导入（未写入）") && stdout.contains("自动关联"),
        "{stdout}"
    );
    let out = run(&[]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("已导入"));
    let out = run(&[]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("未做任何更改"));
}

/// Values written in another unit of the same quantity (米 and 千米 for 公里) reach the
/// statistics converted; a unit that cannot be converted is reported by the import and left out
/// of the spread with its reason, and the indicator page and the API say what the statistics
/// rest on.
#[tokio::test]
async fn values_in_other_units_are_converted_and_unconvertible_ones_reported() {
    let app = curation_app();
    let s = slice();
    let (cu, ct, ca, cc, cn) = (
        s.col("计量单位"),
        s.col("年度目标值"),
        s.col("实际完成值"),
        s.col("指标编码"),
        s.col("三级指标"),
    );
    // The indicator in 公里 used most in the slice.
    let mut uses: HashMap<&str, usize> = HashMap::new();
    for (_, r, k) in &s.rows {
        if r[cu] == "公里" && !k.starts_with("NEW:") {
            *uses.entry(k.as_str()).or_default() += 1;
        }
    }
    let (code, n) = uses
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .map(|(c, n)| (c.to_string(), *n))
        .expect("the slice has indicators in 公里");
    assert!(n >= 4, "{code} is used on {n} rows");
    // Its rows respelled in turn: 米 (values ×1000; after the first, written into the name
    // with the unit cell left empty), 千米, and one 公里（双向） nobody can read.
    let scale = |v: &str, f: f64| -> String {
        let sign: String = v.chars().take_while(|c| !c.is_ascii_digit()).collect();
        let x: f64 = v[sign.len()..].parse().unwrap();
        format!("{sign}{}", x * f)
    };
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut k = 0;
    for (_, r, key) in &s.rows {
        let mut r = r.clone();
        if *key == code {
            // The code keeps every row linked: this test is about units, not names.
            r[cc] = code.clone();
            match k % 3 {
                _ if k == 1 => {
                    r[cu] = "公里（双向）".into();
                }
                0 => {
                    if k == 0 {
                        r[cu] = "米".into();
                    } else {
                        r[cn] = format!("{}/米", r[cn]);
                        r[cu].clear();
                    }
                    r[ct] = scale(&r[ct], 1000.0);
                    r[ca] = scale(&r[ca], 1000.0);
                }
                _ => r[cu] = "千米".into(),
            }
            k += 1;
        }
        rows.push(r);
    }
    // What the statistics must say, from the values in 公里.
    let in_km = |col: usize| -> Vec<f64> {
        rows.iter()
            .zip(&s.rows)
            .filter(|(r, (_, _, key))| *key == code && r[cu] != "公里（双向）")
            .map(|(r, _)| {
                let in_m = r[cu] == "米" || r[cn].ends_with("/米");
                num(&r[col]).unwrap() / if in_m { 1000.0 } else { 1.0 }
            })
            .collect()
    };
    let (targets, actuals) = (in_km(ct), in_km(ca));
    let mut bytes = Vec::new();
    {
        let mut w = csv::Writer::from_writer(&mut bytes);
        w.write_record(&s.header).unwrap();
        for r in &rows {
            w.write_record(r).unwrap();
        }
    }
    let (status, body) = import(&app, bytes, "units.csv", false).await;
    assert_eq!(status, 201, "{body}");
    let report = &body["report"];
    assert!(
        report["converted"].as_u64().unwrap() >= (n as u64) / 3,
        "{report}"
    );
    let problems = report["unit_problems"].as_array().unwrap();
    let p = problems
        .iter()
        .find(|p| p["code"] == code.as_str())
        .unwrap_or_else(|| panic!("the 公里（双向） row is reported: {report}"));
    assert_eq!(p["unit"], "公里（双向）");
    assert!(p["reason"].as_str().unwrap().contains("无法识别"), "{p}");
    assert!(report["message"].as_str().unwrap().contains("无法换算"));

    let (_, st) = app.json(&format!("/api/v1/indicators/{code}/stats")).await;
    let got = &st["stats"];
    assert_eq!(got["rows"], n, "every row is linked: {got}");
    let cov = &got["coverage"];
    assert_eq!(cov["automatic"], n);
    assert_eq!(cov["with_values"], n - 1);
    assert!(cov["converted"].as_u64().unwrap() >= (n as u64) / 3);
    assert_eq!(cov["excluded"][0]["rows"], 1);
    assert!(
        cov["excluded"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("公里（双向）")
    );
    for (what, values) in [("target", &targets), ("actual", &actuals)] {
        assert_eq!(got[what]["n"], values.len(), "{what}");
        close(
            &got[what]["median"],
            pct(values, 0.5),
            &format!("{what} median"),
        );
        close(&got[what]["p25"], pct(values, 0.25), &format!("{what} P25"));
        // A value left in 米 would stand out at the top.
        close(&got[what]["max"], pct(values, 1.0), &format!("{what} max"));
    }
    let coverage = st["coverage"].as_str().unwrap();
    assert!(
        coverage.contains("已按单位换算") && coverage.contains("未计入"),
        "{coverage}"
    );

    // The indicator page says the same.
    let html = page(&app, &format!("/indicators/{code}")).await;
    let doc = scraper::Html::parse_document(&html);
    let sel = scraper::Selector::parse("section.practice p.coverage").unwrap();
    let line: String = doc
        .select(&sel)
        .next()
        .expect("the practice section says what it rests on")
        .text()
        .collect();
    assert!(line.contains(&format!("依据 {n} 行")), "{line}");
    assert!(line.contains("公里（双向）"), "{line}");
}

/// A wording no library indicator has, used by three groups of projects: under 产出 in 个 (three
/// projects of 2024), under 效益 in 个 (two of 2023, another type) and under 产出 in 万元 (two
/// of 2025, a third type).
const SHARED: &str = "中蜂蜂群越冬保有箱数";

/// Imports the `SHARED` rows; the candidates named so, as (id, level 1, rows).
async fn same_name_candidates(app: &TestApp) -> Vec<(String, String, usize)> {
    let header = "项目名称,预算单位,年度,项目类型,预算金额(万元),预算执行率(%),自评得分,评价等级,一级指标,二级指标,三级指标,指标编码,计量单位,指标方向,年度目标值,实际完成值,得分,偏差原因";
    let mut csv = format!("{header}\n");
    // (projects, year, type, level 1, level 2, unit)
    let groups = [
        (3, 2024, "城市道路建设与改造", "产出指标", "数量指标", "个"),
        (
            2,
            2023,
            "市政管网建设与改造",
            "效益指标",
            "社会效益指标",
            "个",
        ),
        (2, 2025, "城市照明设施建设", "产出指标", "数量指标", "万元"),
    ];
    for (g, (n, year, ptype, l1, l2, unit)) in groups.iter().enumerate() {
        for i in 0..*n {
            csv.push_str(&format!(
                "蜂业项目{g}-{i},县农业农村局,{year},{ptype},50,95,92,优,{l1},{l2},{SHARED},,{unit},≥,10,12,10,\n"
            ));
        }
    }
    let (status, body) = import(app, csv.into_bytes(), "蜂业.csv", false).await;
    assert_eq!(status, 201, "{body}");
    named(&app.json("/api/v1/evaluations/candidates").await.1)
}

/// Candidate `id` proposed as a new indicator by `curator`: the proposal.
async fn propose(curator: &Session, id: &str) -> Value {
    let (status, p) = curator
        .post(
            &format!("/api/v1/evaluations/candidates/{id}/propose"),
            json!({}),
        )
        .await;
    assert_eq!(status, 201, "{p}");
    p
}

/// The candidates named `SHARED`, as (id, level 1, rows).
fn named(v: &Value) -> Vec<(String, String, usize)> {
    v["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["candidate"])
        .filter(|c| c["name"] == SHARED)
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_string(),
                c["level1"].as_str().unwrap().to_string(),
                c["evidence"].as_array().unwrap().len(),
            )
        })
        .collect()
}

/// Issue 26: two candidates may share a name (one wording used under 产出 by some projects and
/// under 效益 by others, of other types and years; or counted in 个 by some and in 万元 by
/// others). Each is its own candidate with its own id, and approving the proposal made from
/// one links that one's rows, never the other's.
#[tokio::test]
async fn candidates_sharing_a_name_are_proposed_and_adopted_each_with_its_own_rows() {
    let app = curation_app();
    let cands = same_name_candidates(&app).await;
    let mut ids: Vec<&str> = cands.iter().map(|c| c.0.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(
        (cands.len(), ids.len()),
        (3, 3),
        "three candidates, three ids: {cands:?}"
    );
    let curator = Session::login(&app, "editor").await;
    let reviewer = Session::login(&app, "reviewer").await;
    // A smaller one: a lookup by name finds the largest (listed first) instead. Once it is
    // published, the library refuses the same name under another category, so one is enough.
    let mut order = cands.clone();
    order.sort_by_key(|c| c.2);
    let (id, level1, rows) = &order[0];
    let p = propose(&curator, id).await;
    let code = p["changes"][0]["after"]["code"].as_str().unwrap();
    let (status, body) = reviewer
        .post(&format!("/api/v1/proposals/{}/approve", p["id"]), json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, st) = app.json(&format!("/api/v1/indicators/{code}/stats")).await;
    assert_eq!(
        st["stats"]["rows"].as_u64(),
        Some(*rows as u64),
        "{code} from {level1} candidate {id}: {st}"
    );
    let mut left: Vec<String> = named(&app.json("/api/v1/evaluations/candidates").await.1)
        .into_iter()
        .map(|c| c.0)
        .collect();
    left.sort();
    let mut others: Vec<String> = order[1..].iter().map(|c| c.0.clone()).collect();
    others.sort();
    assert_eq!(left, others, "only {id} is adopted");
}

/// Issue 26: a candidate's proposal turned into an alias of an existing indicator (改为合并)
/// takes the candidate's rows, and only its rows, to that indicator once approved.
#[tokio::test]
async fn a_candidate_folded_into_an_indicator_brings_its_own_rows_to_it() {
    let app = curation_app();
    let mut cands = same_name_candidates(&app).await;
    cands.sort_by_key(|c| c.2);
    let (id, _, rows) = &cands[0];
    let curator = Session::login(&app, "editor").await;
    let reviewer = Session::login(&app, "reviewer").await;
    let p = propose(&curator, id).await;
    let into = "DL-001";
    let rows_of = |v: &Value| v["stats"]["rows"].as_u64().unwrap_or(0);
    let before = rows_of(
        &app.json(&format!("/api/v1/indicators/{into}/stats"))
            .await
            .1,
    );
    let (status, edit) = curator
        .post(
            &format!("/api/v1/proposals/{}/fold", p["id"]),
            json!({ "into": into }),
        )
        .await;
    assert_eq!(status, 201, "{edit}");
    let (status, body) = reviewer
        .post(
            &format!("/api/v1/proposals/{}/approve", edit["id"]),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let after = rows_of(
        &app.json(&format!("/api/v1/indicators/{into}/stats"))
            .await
            .1,
    );
    assert_eq!(
        after,
        before + *rows as u64,
        "the candidate's rows follow it"
    );
    let left: Vec<String> = named(&app.json("/api/v1/evaluations/candidates").await.1)
        .into_iter()
        .map(|c| c.0)
        .collect();
    assert_eq!(left.len(), 2, "{left:?}");
    assert!(!left.contains(id), "{left:?}");
}
