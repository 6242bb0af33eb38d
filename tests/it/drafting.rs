//! The drafting assistant over HTTP: suggestions, drafts, checking, Excel export and import.

use crate::helpers::shared_app;
use serde_json::{Value, json};

async fn post(path: &str, body: Value) -> (u16, Value) {
    let r = shared_app()
        .client
        .post(shared_app().url(path))
        .json(&body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

/// Project names a unit really files, with the project type they must be recognised as.
const PROJECTS: &[(&str, &str)] = &[
    ("城市道路改扩建工程", "road"),
    ("黑臭水体治理", "water_env"),
    ("老旧小区改造", "old_community"),
    ("中小学校舍维修", "school_building"),
    ("教师培训", "training"),
    ("中小企业发展专项资金", "sme_support"),
    ("政务信息化系统建设", "it_system"),
    ("困难群众救助补助资金", "assistance"),
];

#[tokio::test]
async fn suggestions_cover_the_framework_with_the_types_core_indicators_first() {
    for (name, expected) in PROJECTS {
        let (s, body) = post("/api/v1/suggest-targets", json!({ "project_name": name })).await;
        assert_eq!(s, 200, "{name}: {body}");
        assert_eq!(
            body["project_type"]["code"], *expected,
            "{name} was typed as {}",
            body["project_type"]
        );
        let groups = body["groups"].as_array().unwrap();
        for l1 in ["产出指标", "效益指标", "满意度指标"] {
            assert!(groups.iter().any(|g| g["level1"] == l1), "{name}: no {l1}");
        }
        // Every core indicator of the type is suggested, and ahead of the rest of its group.
        let (_, core) = shared_app()
            .json(&format!(
                "/api/v1/search?project_type={expected}&core=1&limit=100"
            ))
            .await;
        for c in core["hits"].as_array().unwrap() {
            let g = groups
                .iter()
                .find(|g| g["level2"] == c["level2"] && g["level1"] == c["level1"])
                .expect("its group");
            let list = g["indicators"].as_array().unwrap();
            let pos = list
                .iter()
                .position(|i| i["code"] == c["code"])
                .unwrap_or_else(|| panic!("{name}: core {} missing", c["name"]));
            assert!(
                list[..pos].iter().all(|i| i["core"] == true),
                "{name}: core {} after a non-core",
                c["name"]
            );
        }
        // Nothing from an unrelated domain in the first five of any group: all fit the type.
        let (_, of_type) = shared_app()
            .json(&format!("/api/v1/search?project_type={expected}&limit=100"))
            .await;
        let fits: Vec<&Value> = of_type["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| &h["code"])
            .collect();
        for g in groups {
            for i in g["indicators"].as_array().unwrap().iter().take(5) {
                assert!(
                    fits.contains(&&i["code"]),
                    "{name}: {} does not fit {expected}",
                    i["name"]
                );
                assert!(!i["reason"].as_str().unwrap().is_empty());
            }
        }
    }
}

#[tokio::test]
async fn a_draft_is_saved_under_an_unguessable_link_and_checked() {
    let (s, body) = post(
        "/api/v1/drafts",
        json!({ "project_name": "城市道路改扩建工程", "budget_wan": 3000 }),
    )
    .await;
    assert_eq!(s, 201, "{body}");
    let id = body["id"].as_str().unwrap();
    assert!(
        id.len() >= 32 && id.chars().all(|c| c.is_ascii_hexdigit()),
        "{id}"
    );
    let rows = body["draft"]["rows"].as_array().unwrap();
    assert!(rows.len() >= 8);
    for r in rows {
        let code = r["indicator"].as_str().unwrap();
        let (_, ind) = shared_app()
            .json(&format!("/api/v1/indicators/{code}"))
            .await;
        assert_eq!(
            r["revision"], ind["revision"],
            "{code} at its current revision"
        );
    }
    let (s, got) = shared_app().json(&format!("/api/v1/drafts/{id}")).await;
    assert_eq!(s, 200);
    assert_eq!(got["draft"]["rows"], body["draft"]["rows"]);

    // A bad edit (unknown indicator) is refused and the saved draft is untouched.
    let mut bad = got["draft"].clone();
    bad["rows"][0]["indicator"] = json!("NOPE-1");
    let r = shared_app()
        .client
        .put(shared_app().url(&format!("/api/v1/drafts/{id}")))
        .json(&bad)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"]["code"],
        "unknown_indicator"
    );
    let (_, again) = shared_app().json(&format!("/api/v1/drafts/{id}")).await;
    assert_eq!(again["draft"], got["draft"]);

    // The page shows the table and the check.
    let html = shared_app()
        .get(&format!("/drafts/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("审核检查") && html.contains("rows[0].target"));
}

#[tokio::test]
async fn lint_reports_rule_row_message_and_fix() {
    let rows = json!([
        { "level1": "产出指标", "level2": "数量指标", "name": "新建道路里程", "direction": "≥", "target": "", "unit": "公里", "explanation": "x" },
        { "level1": "产出指标", "level2": "质量指标", "name": "资金到位率", "direction": "≥", "target": "100", "unit": "%", "explanation": "x" },
        { "level1": "效益指标", "level2": "社会效益指标", "name": "通行条件明显改善", "direction": "定性", "target": "明显改善", "unit": "等级", "explanation": "x" },
    ]);
    let (s, body) = post(
        "/api/v1/lint",
        json!({ "project": { "name": "测试", "term": "年度" }, "rows": rows }),
    )
    .await;
    assert_eq!(s, 200, "{body}");
    let f = body["findings"].as_array().unwrap();
    let has = |rule: &str, row: Option<u64>| {
        f.iter()
            .any(|x| x["rule"] == rule && x["row"].as_u64() == row)
    };
    assert!(has("missing-level1", None), "{body}");
    assert!(has("missing-value", Some(0)));
    assert!(has("input-as-output", Some(1)));
    assert!(has("rate-over-100", Some(1)));
    assert!(has("vague-wording", Some(2)));
    assert!(
        f.iter().all(|x| !x["message"].as_str().unwrap().is_empty()
            && !x["fix"].as_str().unwrap().is_empty())
    );
}

#[tokio::test]
async fn the_xlsx_export_reads_back_with_merges_and_reimports_to_the_same_draft() {
    let (_, body) = post("/api/v1/drafts", json!({ "project_name": "黑臭水体治理", "description": "整治 3 条黑臭河道", "budget_wan": 800.5 })).await;
    let id = body["id"].as_str().unwrap();
    let draft = &body["draft"];
    let r = shared_app().get(&format!("/drafts/{id}/export.xlsx")).await;
    assert_eq!(r.status().as_u16(), 200);
    let bytes = r.bytes().await.unwrap().to_vec();

    use calamine::Reader;
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.clone())).unwrap();
    let range = book.worksheet_range("绩效目标申报表").unwrap();
    assert_eq!(
        range.get_value((0, 0)).unwrap().to_string(),
        "项目支出绩效目标申报表"
    );
    assert_eq!(range.get_value((3, 0)).unwrap().to_string(), "项目名称");
    assert_eq!(range.get_value((3, 1)).unwrap().to_string(), "黑臭水体治理");
    let header = (0..30u32)
        .find(|r| {
            range
                .get_value((*r, 2))
                .is_some_and(|v| matches!(v, calamine::Data::String(s) if s == "三级指标"))
        })
        .expect("the table header");
    assert_eq!(
        range.get_value((header + 1, 2)).unwrap().to_string(),
        draft["rows"][0]["name"].as_str().unwrap()
    );
    let merges = book.merge_cells_by_sheet_name("绩效目标申报表").unwrap();
    let merged = |col: u32| {
        merges
            .iter()
            .any(|d| d.start.1 == col && d.start.0 > header && d.end.0 > d.start.0)
    };
    assert!(
        merged(0) && merged(1),
        "level-1 and level-2 cells are merged: {merges:?}"
    );

    let (status, imported) = shared_app()
        .post_bytes("/api/v1/drafts/import", bytes)
        .await;
    assert_eq!(status, 201);
    assert_eq!(
        imported["draft"]["rows"], draft["rows"],
        "rows survive the round trip"
    );
    assert_eq!(
        imported["draft"]["project"]["name"],
        draft["project"]["name"]
    );
    assert_eq!(
        imported["draft"]["project"]["budget_wan"],
        draft["project"]["budget_wan"]
    );
    assert_eq!(
        imported["draft"]["project"]["project_type"],
        draft["project"]["project_type"]
    );
    assert_eq!(
        imported["draft"]["project"]["description"],
        draft["project"]["description"]
    );
}

#[tokio::test]
async fn the_xlsx_opens_in_libreoffice_when_available() {
    let (_, body) = post("/api/v1/drafts", json!({ "project_name": "教师培训" })).await;
    let id = body["id"].as_str().unwrap();
    let bytes = shared_app()
        .get(&format!("/drafts/{id}/export.xlsx"))
        .await
        .bytes()
        .await
        .unwrap();
    let Some(csv) = libreoffice_csv(&bytes, "draft") else {
        return;
    };
    assert!(
        csv.contains("三级指标") && csv.contains("教师培训"),
        "{csv}"
    );
}

/// The form's first sheet as LibreOffice reads it (converted to CSV; the file is kept as
/// `NAME.xlsx` in the test directory for a person to open), or `None`, with the reason printed,
/// where LibreOffice is not installed.
fn libreoffice_csv(bytes: &[u8], name: &str) -> Option<String> {
    let Some(bin) = which("soffice").or_else(|| which("libreoffice")) else {
        assert!(
            std::env::var_os("ZHIBIAO_REQUIRE_TOOLS").is_none(),
            "LibreOffice missing"
        );
        eprintln!("SKIPPED reading {name}.xlsx with LibreOffice: LibreOffice is not installed");
        return None;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("t.xlsx");
    std::fs::write(&file, bytes).unwrap();
    let out = std::process::Command::new(bin)
        .args([
            "--headless",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,true,true",
            "--outdir",
        ])
        .arg(dir.path())
        .arg(&file)
        .env("HOME", dir.path())
        .output()
        .unwrap();
    std::fs::copy(
        &file,
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}.xlsx")),
    )
    .unwrap();
    Some(
        std::fs::read_to_string(dir.path().join("t.csv")).unwrap_or_else(|_| {
            panic!(
                "LibreOffice did not convert: {} {}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        }),
    )
}

/// The project information a unit fills in on the drafting page (issue 25), sent through the API.
pub(crate) fn project_info(draft: &Value) -> Value {
    let mut d = draft.clone();
    let p = &mut d["project"];
    p["unit_name"] = json!("区住房和城乡建设局");
    p["department"] = json!("区人民政府");
    p["implementer"] = json!("区老旧小区改造办公室");
    p["period"] = json!("2026年1月—2026年12月");
    p["attribute"] = json!("新增项目");
    p["fiscal_wan"] = json!(450.0);
    p["other_wan"] = json!(50.0);
    p["annual_goal"] = json!("完成 12 个老旧小区改造，惠及居民 3200 户，加装电梯 8 部");
    d
}

/// Issue 25: suggested values were the library's (加装电梯 30 台 for a description saying 8部)
/// and nothing marked a value the unit had not touched.
#[tokio::test]
async fn counts_in_the_description_become_targets_and_untouched_references_are_counted() {
    let (s, body) = post(
        "/api/v1/drafts",
        json!({ "project_name": "2026年老旧小区改造", "budget_wan": 500, "year": 2026,
                "description": "改造 12 个小区、3200户，加装电梯8部" }),
    )
    .await;
    assert_eq!(s, 201, "{body}");
    let rows = body["draft"]["rows"].as_array().unwrap();
    let target = |name: &str| {
        rows.iter()
            .find(|r| r["name"].as_str().unwrap().contains(name))
            .map(|r| r["target"].as_str().unwrap().to_string())
    };
    assert_eq!(target("小区个数").as_deref(), Some("12"), "{rows:?}");
    assert_eq!(target("加装电梯").as_deref(), Some("8"), "{rows:?}");
    assert_eq!(target("户数").as_deref(), Some("3200"), "{rows:?}");
    // Quantities and amounts are flagged on their rows; rates and qualitative values left at
    // the library's norm are counted in one finding for the table.
    let pending = |f: &Value| {
        f.as_array()
            .unwrap()
            .iter()
            .filter(|x| x["rule"] == "reference-value" && x["row"].is_u64())
            .count()
    };
    let before = pending(&body["findings"]);
    assert!(before >= 3, "{}", body["findings"]);
    assert!(
        body["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["rule"] != "reference-value" || f["row"].as_u64().is_none_or(|r| r > 2)),
        "values from the description are the project's own"
    );
    // Confirming one, and changing another, each take one off the count.
    let mut d = body["draft"].clone();
    let at = body["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "reference-value")
        .filter_map(|f| f["row"].as_u64().map(|r| r as usize))
        .collect::<Vec<_>>();
    d["rows"][at[0]]["confirmed"] = json!(true);
    d["rows"][at[1]]["target"] = json!("96");
    let id = body["id"].as_str().unwrap();
    let r = shared_app()
        .client
        .put(shared_app().url(&format!("/api/v1/drafts/{id}")))
        .json(&d)
        .send()
        .await
        .unwrap();
    let after: Value = r.json().await.unwrap();
    assert_eq!(
        pending(&after["findings"]),
        before - 2,
        "{}",
        after["findings"]
    );
}

/// The columns of the form's indicator table.
pub(crate) const FORM_COLUMNS: [&str; 8] = [
    "一级指标",
    "二级指标",
    "三级指标",
    "指标方向",
    "指标值",
    "计量单位",
    "指标解释",
    "备注",
];

/// What a page or an export answers, as bytes.
async fn download(path: &str) -> Vec<u8> {
    shared_app().get(path).await.bytes().await.unwrap().to_vec()
}

/// The cells of the form's sheet as calamine reads them, and its merged ranges.
type Cells = Vec<(u32, u32, calamine::Data)>;

fn form_cells(bytes: &[u8]) -> (Cells, Vec<calamine::Dimensions>, Vec<calamine::Sheet>) {
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let range = book.worksheet_range("绩效目标申报表").unwrap();
    let cells = range
        .cells()
        .map(|(r, c, v)| (r as u32, c as u32, v.clone()))
        .collect();
    let merges = book.merge_cells_by_sheet_name("绩效目标申报表").unwrap();
    let sheets = book.sheets_metadata().to_vec();
    (cells, merges, sheets)
}

/// Where a text stands in the form.
fn at(cells: &Cells, text: &str) -> (u32, u32) {
    cells
        .iter()
        .find(|(_, _, v)| matches!(v, calamine::Data::String(s) if s == text))
        .map(|(r, c, _)| (*r, *c))
        .unwrap_or_else(|| panic!("“{text}” is not in the form"))
}

/// The first filled cell right of a label on its line.
fn right_of(cells: &Cells, label: &str) -> calamine::Data {
    let (r, c) = at(cells, label);
    cells
        .iter()
        .find(|(rr, cc, v)| *rr == r && *cc > c && !matches!(v, calamine::Data::Empty))
        .map(|(_, _, v)| v.clone())
        .unwrap_or(calamine::Data::Empty)
}

/// Issue 25: the 申报表 lacked the project information, wrote numbers as text and showed the
/// type code. The form now follows the 项目支出绩效目标申报表: title and year, 填报单位, the
/// project block, 资金情况 over three lines, the goals, the indicator table with 备注, lines to
/// sign. Read here by calamine and by LibreOffice (a second reader, which also tells number
/// cells from text cells).
#[tokio::test]
async fn the_xlsx_form_has_the_project_information_numbers_as_numbers_and_no_codes() {
    let (_, body) = post(
        "/api/v1/drafts",
        json!({ "project_name": "老旧小区改造", "budget_wan": 500, "year": 2026,
                "description": "改造 12 个小区、3200户，加装电梯8部" }),
    )
    .await;
    let id = body["id"].as_str().unwrap();
    assert_eq!(body["draft"]["project"]["project_type"], "old_community");
    let mut d = project_info(&body["draft"]);
    let mut own = d["rows"][0].clone();
    own["name"] = json!("社区议事协商会议次数");
    own["indicator"] = Value::Null;
    own["revision"] = Value::Null;
    own["target"] = json!("6");
    own["unit"] = json!("次");
    d["rows"].as_array_mut().unwrap().insert(1, own);
    crate::drafting_browser::put_draft(id, &d).await;
    let (_, got) = shared_app().json(&format!("/api/v1/drafts/{id}")).await;
    assert_eq!(
        (
            &got["draft"]["project"]["department"],
            &got["draft"]["project"]["attribute"]
        ),
        (&json!("区人民政府"), &json!("新增项目")),
        "the API keeps it"
    );
    let bytes = download(&format!("/drafts/{id}/export.xlsx")).await;

    use calamine::{Data, SheetVisible};
    let (cells, merges, sheets) = form_cells(&bytes);
    let text = |v: &Data| v.to_string();
    assert_eq!(at(&cells, "项目支出绩效目标申报表"), (0, 0));
    assert_eq!(at(&cells, "（2026年度）"), (1, 0));
    assert_eq!(
        text(&right_of(&cells, "填报单位（盖章）")),
        "区住房和城乡建设局"
    );
    assert_eq!(text(&right_of(&cells, "项目名称")), "老旧小区改造");
    assert_eq!(text(&right_of(&cells, "主管部门")), "区人民政府");
    assert_eq!(text(&right_of(&cells, "实施单位")), "区老旧小区改造办公室");
    assert_eq!(text(&right_of(&cells, "项目属性")), "新增项目");
    assert_eq!(text(&right_of(&cells, "项目期限")), "2026年1月—2026年12月");
    assert_eq!(text(&right_of(&cells, "项目类型")), "老旧小区改造");
    assert_eq!(right_of(&cells, "预算年度"), Data::Float(2026.0));
    // 资金情况 spans its three lines, each amount a number cell.
    let money = at(&cells, "资金情况\n（万元）");
    assert!(
        merges
            .iter()
            .any(|m| m.start == money && m.end == (money.0 + 2, money.1)),
        "资金情况 spans three lines: {merges:?}"
    );
    for (label, amount, line) in [
        ("年度资金总额", 500.0, 0),
        ("其中：财政拨款", 450.0, 1),
        ("其他资金", 50.0, 2),
    ] {
        assert_eq!(at(&cells, label).0, money.0 + line, "{label}");
        assert_eq!(
            right_of(&cells, label),
            Data::Float(amount),
            "{label}: a number cell"
        );
    }
    assert!(text(&right_of(&cells, "年度总体目标")).contains("加装电梯 8 部"));
    assert!(
        !cells.iter().any(|(_, _, v)| text(v) == "中期目标"),
        "an annual project has no 中期目标"
    );
    // The indicator table: its title, the columns of the form, targets as numbers.
    let header = at(&cells, "三级指标").0;
    assert_eq!(at(&cells, "年度绩效指标").0, header - 1);
    let heads: Vec<String> = (0..8)
        .map(|c| {
            cells
                .iter()
                .find(|(r, cc, _)| *r == header && *cc == c)
                .map(|(_, _, v)| text(v))
                .unwrap_or_default()
        })
        .collect();
    assert_eq!(heads, FORM_COLUMNS);
    let column = |c: u32| -> Vec<&Data> {
        cells
            .iter()
            .filter(|(r, cc, _)| *r > header && *cc == c)
            .map(|(_, _, v)| v)
            .collect()
    };
    assert!(
        column(4).contains(&&Data::Float(8.0)),
        "targets are numbers: {:?}",
        column(4)
    );
    assert!(column(4).contains(&&Data::Float(6.0)), "{:?}", column(4));
    assert!(
        column(4)
            .iter()
            .all(|v| !matches!(v, Data::String(s) if s.parse::<f64>().is_ok())),
        "a number written as text: {:?}",
        column(4)
    );
    let own_row = at(&cells, "社区议事协商会议次数").0;
    assert_eq!(text(&right_of(&cells, "社区议事协商会议次数")), "≥");
    assert!(
        cells
            .iter()
            .any(|(r, c, v)| *r == own_row && *c == 7 && text(v) == "自拟指标")
    );
    assert!(
        merges
            .iter()
            .any(|m| m.start.1 == 0 && m.start.0 > header && m.end.0 > m.start.0),
        "一级指标 merged over its rows: {merges:?}"
    );
    assert!(
        cells
            .iter()
            .any(|(r, _, v)| *r > own_row && text(v).starts_with("填报人"))
    );
    for (_, _, v) in &cells {
        let t = text(v);
        assert!(
            !t.contains("old_community") && !t.contains("LX-") && !t.contains("指标库"),
            "an internal code or source in the form: {t}"
        );
    }
    // The library references are kept, on a hidden sheet.
    assert!(
        sheets
            .iter()
            .any(|s| s.name == "指标库引用" && s.visible == SheetVisible::Hidden),
        "{sheets:?}"
    );

    // Imported again, the same draft with its project information.
    let (status, imported) = shared_app()
        .post_bytes("/api/v1/drafts/import", bytes.clone())
        .await;
    assert_eq!(status, 201, "{imported}");
    let p = &imported["draft"]["project"];
    assert_eq!(p["project_type"], "old_community");
    assert_eq!(p["department"], "区人民政府");
    assert_eq!(p["unit_name"], "区住房和城乡建设局");
    assert_eq!(p["attribute"], "新增项目");
    assert_eq!(
        (
            p["fiscal_wan"].as_f64(),
            p["other_wan"].as_f64(),
            p["year"].as_i64()
        ),
        (Some(450.0), Some(50.0), Some(2026))
    );
    assert_eq!(p["annual_goal"], got["draft"]["project"]["annual_goal"]);
    assert_eq!(imported["draft"]["rows"], got["draft"]["rows"]);

    // The CSV export carries the same, and imports back too.
    let csv = shared_app()
        .get(&format!("/drafts/{id}/export.csv"))
        .await
        .bytes()
        .await
        .unwrap()
        .to_vec();
    let csv_text = String::from_utf8_lossy(&csv);
    assert!(csv_text.contains("主管部门,区人民政府") && !csv_text.contains("old_community"));
    let (status, from_csv) = shared_app().post_bytes("/api/v1/drafts/import", csv).await;
    assert_eq!(status, 201, "{from_csv}");
    assert_eq!(from_csv["draft"]["rows"], got["draft"]["rows"]);
    assert_eq!(
        from_csv["draft"]["project"]["annual_goal"],
        p["annual_goal"]
    );
    assert_eq!(from_csv["draft"]["project"]["attribute"], "新增项目");

    // A second reader: LibreOffice converts the form to CSV, quoting text cells only, so a
    // number cell shows bare and a number written as text shows quoted.
    let Some(lo) = libreoffice_csv(&bytes, "draft-form") else {
        return;
    };
    let line = |has: &str| {
        lo.lines()
            .find(|l| l.contains(has))
            .unwrap_or_else(|| panic!("no line with {has} in {lo}"))
            .to_string()
    };
    assert!(line("主管部门").contains("\"区人民政府\""), "{lo}");
    assert!(line("年度总体目标").contains("加装电梯 8 部"), "{lo}");
    assert!(
        line("年度资金总额").contains(",500.00,") || line("年度资金总额").ends_with(",500.00"),
        "the budget a number: {lo}"
    );
    assert!(line("其中：财政拨款").contains("450.00"), "{lo}");
    let own = line("社区议事协商会议次数");
    assert!(
        own.contains(",6,") && !own.contains("\"6\""),
        "the target a number: {own}"
    );
    assert!(own.contains("\"自拟指标\""), "{own}");
    assert!(!lo.contains("old_community") && !lo.contains("LX-"), "{lo}");
}

/// A multi-year project: 中期目标 and 年度目标 side by side, and a 中期绩效指标 table; both goals
/// and the term come back on import.
#[tokio::test]
async fn a_multi_year_project_has_its_midterm_and_annual_goals_side_by_side() {
    let (_, body) = post(
        "/api/v1/drafts",
        json!({ "project_name": "黑臭水体治理", "budget_wan": 800, "term": "midterm" }),
    )
    .await;
    let id = body["id"].as_str().unwrap();
    let mut d = body["draft"].clone();
    d["project"]["midterm_goal"] = json!("三年内消除建成区黑臭水体");
    d["project"]["annual_goal"] = json!("本年度整治 3 条河道");
    crate::drafting_browser::put_draft(id, &d).await;
    let bytes = download(&format!("/drafts/{id}/export.xlsx")).await;
    let (cells, merges, _) = form_cells(&bytes);
    let (mid, annual) = (at(&cells, "中期目标"), at(&cells, "年度目标"));
    assert_eq!(mid.0, annual.0, "side by side");
    assert_eq!(at(&cells, "三年内消除建成区黑臭水体"), (mid.0 + 1, mid.1));
    assert_eq!(at(&cells, "本年度整治 3 条河道"), (annual.0 + 1, annual.1));
    let goals = at(&cells, "总体目标");
    assert!(
        merges
            .iter()
            .any(|m| m.start == goals && m.end == (goals.0 + 1, 0)),
        "{merges:?}"
    );
    assert_eq!(at(&cells, "中期绩效指标").0 + 1, at(&cells, "三级指标").0);

    let (status, imported) = shared_app()
        .post_bytes("/api/v1/drafts/import", bytes)
        .await;
    assert_eq!(status, 201, "{imported}");
    let p = &imported["draft"]["project"];
    assert_eq!(
        (&p["term"], &p["midterm_goal"], &p["annual_goal"]),
        (
            &json!("中期"),
            &json!("三年内消除建成区黑臭水体"),
            &json!("本年度整治 3 条河道")
        ),
    );
}

/// The 101号 layout as an option: 成本指标 becomes its own level 1 between 产出 and 效益, in the
/// xlsx and in the print view; the default keeps cost under 产出指标.
#[tokio::test]
async fn the_101_layout_puts_cost_as_its_own_level_one() {
    let (_, body) = post(
        "/api/v1/drafts",
        json!({ "project_name": "老旧小区改造", "budget_wan": 500 }),
    )
    .await;
    let id = body["id"].as_str().unwrap();
    let cost = body["draft"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["level2"] == "成本指标")
        .expect("a cost row")["name"]
        .as_str()
        .unwrap()
        .to_string();
    // The 一级 / 二级 cells over a row (merged cells hold their text in their first row).
    let headings = |bytes: &[u8], name: &str| {
        let (cells, _, _) = form_cells(bytes);
        let row = at(&cells, name).0;
        let above = |c: u32| {
            (0..=row)
                .rev()
                .find_map(|r| {
                    cells
                        .iter()
                        .find(|(rr, cc, v)| *rr == r && *cc == c && !v.to_string().is_empty())
                        .map(|(_, _, v)| v.to_string())
                })
                .unwrap()
        };
        (above(0), above(1))
    };
    let get = |path: String| async move {
        shared_app()
            .get(&path)
            .await
            .bytes()
            .await
            .unwrap()
            .to_vec()
    };
    let local = get(format!("/drafts/{id}/export.xlsx")).await;
    assert_eq!(
        headings(&local, &cost),
        ("产出指标".to_string(), "成本指标".to_string())
    );
    let central = get(format!("/drafts/{id}/export.xlsx?layout=101")).await;
    let (l1, l2) = headings(&central, &cost);
    assert_eq!(l1, "成本指标");
    assert!(l2.ends_with("成本指标") && l2 != "成本指标", "{l2}");
    let (cells, _, _) = form_cells(&central);
    let first_of = |l1: &str| at(&cells, l1).0;
    assert!(
        first_of("产出指标") < first_of("成本指标") && first_of("成本指标") < first_of("效益指标"),
        "产出, 成本, 效益 in this order"
    );
    // The print view's 一级指标 cells.
    let level1 = |html: String| -> Vec<String> {
        html.split("class=\"l1\"")
            .skip(1)
            .filter_map(|s| {
                s.split_once('>')?
                    .1
                    .split_once('<')
                    .map(|(t, _)| t.to_string())
            })
            .collect()
    };
    let print = String::from_utf8(get(format!("/drafts/{id}/print?layout=101")).await).unwrap();
    assert_eq!(
        level1(print),
        ["产出指标", "成本指标", "效益指标", "满意度指标"]
    );
    let print = String::from_utf8(get(format!("/drafts/{id}/print")).await).unwrap();
    assert_eq!(level1(print), ["产出指标", "效益指标", "满意度指标"]);
}

/// Issue 25: without JavaScript (a plain form post), an unknown name in 添加指标 and a bad budget
/// gave a 400 page and lost every other edit of the save.
#[tokio::test]
async fn a_plain_form_post_keeps_every_edit_it_can_and_says_what_it_could_not() {
    let (_, body) = post("/api/v1/drafts", json!({ "project_name": "老旧小区改造" })).await;
    let id = body["id"].as_str().unwrap();
    let app = shared_app();
    let page = app.get(&format!("/drafts/{id}")).await;
    let cookie = page
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("zb_csrf="))
        .expect("the anonymous form's CSRF cookie")
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let send = |fields: Vec<(&'static str, &'static str)>| {
        let (client, cookie) = (&client, &cookie);
        async move {
            let mut all = fields;
            all.push(("csrf", &cookie["zb_csrf=".len()..]));
            client
                .post(app.url(&format!("/drafts/{id}")))
                .header("cookie", cookie.as_str())
                .form(&all)
                .send()
                .await
                .unwrap()
        }
    };
    let r = send(vec![
        ("rows[0].target", "１２"),
        ("department", "区人民政府"),
        ("budget_wan", "五百"),
        ("add", "楼道照明改造数量"),
    ])
    .await;
    assert_eq!(
        r.status().as_u16(),
        200,
        "the page comes back, not an error"
    );
    let html = r.text().await.unwrap();
    assert!(
        html.contains("“五百”不是金额") && html.contains("value=\"五百\""),
        "typed text kept"
    );
    assert!(html.contains("楼道照明改造数量") && html.contains("自拟"));
    let (_, got) = app.json(&format!("/api/v1/drafts/{id}")).await;
    let d = &got["draft"];
    assert_eq!(d["rows"][0]["target"], "12");
    assert_eq!(d["project"]["department"], "区人民政府");
    assert!(d["project"]["budget_wan"].is_null());
    let own = d["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "楼道照明改造数量")
        .expect("the self-made row");
    assert!(own["indicator"].is_null());
    let r = send(vec![("budget_wan", "1,200万元")]).await;
    assert_eq!(r.status().as_u16(), 303);
    let (_, got) = app.json(&format!("/api/v1/drafts/{id}")).await;
    assert_eq!(got["draft"]["project"]["budget_wan"], 1200.0);
}

/// Issue 25: a CSV upload answered a raw English "Zip error"; corrupt files too.
#[tokio::test]
async fn imports_answer_in_chinese() {
    for junk in [
        b"PK\x03\x04corrupt zip".to_vec(),
        "项目名称,某项目\n随便写点什么".as_bytes().to_vec(),
    ] {
        let (status, body) = shared_app().post_bytes("/api/v1/drafts/import", junk).await;
        let message = body["error"]["message"].as_str().unwrap();
        assert_eq!(status, 400, "{body}");
        assert!(
            !message.to_lowercase().contains("zip") && message.contains("文件"),
            "{message}"
        );
    }
}

fn which(name: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|d| std::path::Path::new(d).join(name))
        .find(|p| p.exists())
}

#[tokio::test]
async fn bad_drafting_input_gets_a_clear_error() {
    let big = "很".repeat(3_500_000); // ≈ 10 MB
    let (s, body) = post(
        "/api/v1/suggest-targets",
        json!({ "project_name": "道路", "description": big }),
    )
    .await;
    assert_eq!(
        (s, body["error"]["code"].as_str()),
        (400, Some("invalid_project"))
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("项目概述过长")
    );
    let (s, body) = post("/api/v1/suggest-targets", json!({ "project_name": "" })).await;
    assert_eq!(
        (s, body["error"]["code"].as_str()),
        (400, Some("invalid_project"))
    );
    for junk in [
        b"not a spreadsheet".to_vec(),
        b"PK\x03\x04corrupt zip".to_vec(),
    ] {
        let (status, body) = shared_app().post_bytes("/api/v1/drafts/import", junk).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (400, Some("not_xlsx"))
        );
    }
    let (s, _) = shared_app()
        .json("/api/v1/drafts/0123456789abcdef0123456789abcdef")
        .await;
    assert_eq!(s, 404);
}
