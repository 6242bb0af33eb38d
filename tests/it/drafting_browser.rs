//! The drafting page in headless Chromium (issue 25): a 20-row table with findings readable at
//! 1366×768, fixing a value clearing its row message and the summary together, an unknown name
//! keeping the other edits as a self-made row, project information edited and exported, and a
//! print view without review output or links. Skipped, with the reason, without Chromium.

use crate::browser::{screenshot_dir, webdriver_tools};
use crate::helpers::shared_app;
use crate::webdriver::Browser;
use serde_json::{Value, json};

async fn new_draft(body: Value) -> (String, Value) {
    let app = shared_app();
    let created: Value = app
        .client
        .post(app.url("/api/v1/drafts"))
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (
        created["id"].as_str().unwrap().to_string(),
        created["draft"].clone(),
    )
}

/// Saves a draft's whole body through the API.
pub(crate) async fn put_draft(id: &str, d: &Value) {
    let app = shared_app();
    let r = app
        .client
        .put(app.url(&format!("/api/v1/drafts/{id}")))
        .json(d)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

/// Every direction, unit, order and value control whose text does not fit in it, measured with
/// the control's own font; and whether the table or the page needs a horizontal scroll bar.
const LAYOUT: &str = r#"
const ctx = document.createElement('canvas').getContext('2d');
const bad = [];
const fits = (el, text, room) => {
  ctx.font = getComputedStyle(el).font;
  const w = ctx.measureText(text).width + room;
  if (w > el.clientWidth) bad.push(el.name + ' "' + text + '" needs ' + Math.ceil(w) + 'px, has ' + el.clientWidth);
};
document.querySelectorAll('select.dir').forEach((s) => { fits(s, '定性', 24); fits(s, s.value, 24); });
document.querySelectorAll('input.unit, input.order, input.value').forEach((i) => fits(i, i.value, 8));
const t = document.querySelector('table.targets');
if (t.scrollWidth > t.parentElement.clientWidth + 1) bad.push('table ' + t.scrollWidth + ' in ' + t.parentElement.clientWidth);
if (document.documentElement.scrollWidth > innerWidth + 1) bad.push('page ' + document.documentElement.scrollWidth);
const widths = (sel) => [...document.querySelectorAll(sel)].map((e) => e.offsetWidth);
return { bad, rows: document.querySelectorAll('tr.target-row').length,
  shown: document.querySelectorAll('tr.row-findings:not([hidden])').length,
  dir: Math.min(...widths('select.dir')), unit: Math.min(...widths('input.unit')), order: Math.min(...widths('input.order')),
  w: innerWidth, h: innerHeight };
"#;

/// The number of errors the summary states.
fn errors_in(summary: &Value) -> u64 {
    let s = summary.as_str().unwrap_or_default();
    s.split("个错误")
        .next()
        .and_then(|x| x.rsplit('：').next())
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn a_twenty_row_table_with_findings_stays_readable_at_1366_and_a_fix_clears_its_message() {
    let Some(chromium) = webdriver_tools(
        "a_twenty_row_table_with_findings_stays_readable_at_1366_and_a_fix_clears_its_message",
    ) else {
        return;
    };
    let app = shared_app();
    let (id, draft) = new_draft(json!({ "project_name": "老旧小区改造", "budget_wan": 500,
        "description": "改造 12 个小区、3200户，加装电梯8部" }))
    .await;
    let mut rows = draft["rows"].as_array().unwrap().clone();
    // A rate over 100% (an error), then self-made rows with long names and nothing filled in.
    let rate = rows
        .iter()
        .position(|r| r["unit"] == "%" && r["direction"] == "≥")
        .unwrap();
    rows[rate]["target"] = json!("120");
    let mut n = 0;
    while rows.len() < 20 {
        n += 1;
        rows.push(json!({ "level1": "产出指标", "level2": "数量指标",
            "name": format!("改造小区内破损道路及公共活动场地硬化铺装面积（含步道）{n}"),
            "direction": "≥", "target": "", "unit": "平方米", "explanation": "" }));
    }
    let mut d = draft.clone();
    d["rows"] = json!(rows);
    put_draft(&id, &d).await;

    let b = Browser::start(&chromium).await;
    b.set_viewport(1366, 768).await;
    b.goto(&app.url(&format!("/drafts/{id}"))).await;
    let v = b.eval(LAYOUT).await;
    std::fs::write(
        screenshot_dir().join("draft-1366.png"),
        b.screenshot().await,
    )
    .unwrap();
    assert_eq!((v["w"].as_u64(), v["h"].as_u64()), (Some(1366), Some(768)));
    assert_eq!(v["rows"], 20, "{v}");
    assert!(
        v["shown"].as_u64().unwrap() >= 9,
        "findings beside their rows: {v}"
    );
    assert!(
        v["bad"].as_array().unwrap().is_empty(),
        "cut off at 1366: {v}"
    );
    assert!(
        v["dir"].as_u64().unwrap() >= 56,
        "the direction select: {v}"
    );
    assert!(
        v["unit"].as_u64().unwrap() >= 60 && v["order"].as_u64().unwrap() >= 36,
        "{v}"
    );

    // Fixing the value clears its row's message and the summary's count together.
    let beside = format!("document.querySelector('tr.row-findings[data-for=\"{rate}\"]')");
    let before = b
        .eval(&format!(
            "return {beside}.hidden ? '' : {beside}.textContent"
        ))
        .await;
    assert!(before.as_str().unwrap().contains("超过 100%"), "{before}");
    let summary = b
        .eval("return document.getElementById('lint-summary').textContent")
        .await;
    let input = b.find(&format!("input[name='rows[{rate}].target']")).await;
    b.eval(&format!(
        "document.querySelector(\"input[name='rows[{rate}].target']\").value = ''; return 1"
    ))
    .await;
    b.send_keys(&input, "98").await;
    let after = b
        .wait_for(&format!(
            "const tr = {beside}; return (tr.hidden || !tr.textContent.includes('超过 100%')) && document.getElementById('lint-summary').textContent"
        ))
        .await;
    assert_eq!(
        errors_in(&after),
        errors_in(&summary) - 1,
        "{summary} → {after}"
    );
    let listed = b
        .eval("return [...document.querySelectorAll('#lint li')].map((li) => li.dataset.rule).join(' ')")
        .await;
    assert!(
        !listed.as_str().unwrap().contains("rate-over-100"),
        "{listed}"
    );
    // Every direction is still legible after the live check re-drew the findings.
    let v = b.eval(LAYOUT).await;
    assert!(v["bad"].as_array().unwrap().is_empty(), "{v}");
    b.close().await;
}

#[tokio::test]
async fn an_unknown_name_keeps_the_other_edits_and_the_project_information_is_exported() {
    let Some(chromium) = webdriver_tools(
        "an_unknown_name_keeps_the_other_edits_and_the_project_information_is_exported",
    ) else {
        return;
    };
    let app = shared_app();
    let (id, _) = new_draft(json!({ "project_name": "老旧小区改造", "budget_wan": 500 })).await;
    let b = Browser::start(&chromium).await;
    b.set_viewport(1366, 768).await;
    b.goto(&app.url(&format!("/drafts/{id}"))).await;
    let clear_and_type = |name: &'static str, text: &'static str| {
        let b = &b;
        async move {
            b.eval(&format!(
                "document.querySelector(\"[name='{name}']\").value = ''; return 1"
            ))
            .await;
            b.send_keys(&b.find(&format!("[name='{name}']")).await, text)
                .await;
        }
    };
    clear_and_type("rows[0].target", "15").await;
    clear_and_type("unit_name", "区住房和城乡建设局").await;
    clear_and_type("department", "区人民政府").await;
    clear_and_type("annual_goal", "完成 15 个老旧小区改造").await;
    clear_and_type("fiscal_wan", "450万元").await;
    clear_and_type("budget_wan", "1e20").await;
    b.eval("document.querySelector(\"[name='attribute']\").value = '延续项目'; return 1")
        .await;
    clear_and_type("add", "社区议事协商会议次数").await;
    b.press("\u{E00C}").await; // Escape: no suggestion picked
    b.click(&b.find("#save").await).await;
    let notes = b
        .wait_for("const n = document.getElementById('save-notes'); return n && n.textContent")
        .await;
    assert!(notes.as_str().unwrap().contains("科学计数法"), "{notes}");
    let v = b
        .eval(
            r#"const q = (s) => document.querySelector(s);
            const own = [...document.querySelectorAll('tr.self-made')].find((tr) => tr.querySelector('input.name').value === '社区议事协商会议次数');
            const beside = own && document.querySelector('tr.row-findings[data-for="' + own.dataset.index + '"]');
            return { budget: q("[name='budget_wan']").value, note: q('.pf.has-note .field-note').textContent,
              target: q("[name='rows[0].target']").value, unit: q("[name='unit_name']").value,
              fiscal: q("[name='fiscal_wan']").value, own: !!own,
              badge: own ? own.querySelector('.self-made-badge').textContent : '',
              findings: beside ? beside.textContent : '' };"#,
        )
        .await;
    assert_eq!(
        v["budget"], "1e20",
        "what was typed stays in the field: {v}"
    );
    assert!(v["note"].as_str().unwrap().contains("科学计数法"), "{v}");
    assert_eq!(v["target"], "15", "{v}");
    assert_eq!(v["unit"], "区住房和城乡建设局", "{v}");
    assert_eq!(v["fiscal"], "450", "{v}");
    assert_eq!(
        (&v["own"], &v["badge"]),
        (&json!(true), &json!("自拟")),
        "{v}"
    );
    assert!(v["findings"].as_str().unwrap().contains("自拟指标"), "{v}");
    std::fs::write(
        screenshot_dir().join("draft-notes.png"),
        b.screenshot().await,
    )
    .unwrap();

    // The budget fixed, the save goes through.
    clear_and_type("budget_wan", "500万元").await;
    b.click(&b.find("#save").await).await;
    b.wait_for("return location.hash === '#table' && !document.getElementById('save-notes')")
        .await;
    let (_, got) = app.json(&format!("/api/v1/drafts/{id}")).await;
    let p = &got["draft"]["project"];
    assert_eq!(
        (p["budget_wan"].as_f64(), p["fiscal_wan"].as_f64()),
        (Some(500.0), Some(450.0))
    );
    assert_eq!(
        (&p["department"], &p["attribute"]),
        (&json!("区人民政府"), &json!("延续项目"))
    );
    let bytes = app
        .get(&format!("/drafts/{id}/export.xlsx"))
        .await
        .bytes()
        .await
        .unwrap();
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let range = book.worksheet_range("绩效目标申报表").unwrap();
    let all: Vec<String> = range.cells().map(|(_, _, v)| v.to_string()).collect();
    for wanted in [
        "区住房和城乡建设局",
        "区人民政府",
        "完成 15 个老旧小区改造",
        "社区议事协商会议次数",
        "自拟指标",
        "延续项目",
    ] {
        assert!(
            all.iter().any(|c| c == wanted),
            "{wanted} not in the form: {all:?}"
        );
    }

    // The print view: the form alone (no review output, links or controls), laid out as the
    // 申报表, with 一级指标 on one line and every direction and unit whole.
    b.goto(&app.url(&format!("/drafts/{id}/print"))).await;
    let v = b
        .eval(
            r#"const a = document.querySelector('article.draft-page');
            const lines = [...document.querySelectorAll('.targets td.l1')].map((td) => { const r = document.createRange(); r.selectNodeContents(td); return new Set([...r.getClientRects()].map((x) => Math.round(x.top))).size; });
            const clipped = [...document.querySelectorAll('.targets td.dir, .targets td.unit, .targets td.value, .targets td.l1')].filter((td) => td.scrollWidth > td.clientWidth + 1).map((td) => td.textContent);
            const head = [...document.querySelectorAll('table.head th')].map((th) => th.textContent.trim());
            const right = (label) => { const th = [...document.querySelectorAll('table.head th')].find((t) => t.textContent.trim() === label); return th && th.nextElementSibling ? th.nextElementSibling.textContent.trim() : null; };
            return { links: document.querySelectorAll('a').length, lint: !!document.querySelector('#lint, .lint, .row-findings, .save-notes'), text: a.textContent,
              inputs: document.querySelectorAll('input, select, textarea, button, form').length, lines: Math.max(...lines), clipped, head,
              department: right('主管部门'), attribute: right('项目属性'), budget: right('年度资金总额'), fiscal: right('其中：财政拨款'),
              goal: right('年度总体目标'), own: [...document.querySelectorAll('.targets tr')].filter((tr) => tr.textContent.includes('社区议事协商会议次数')).map((tr) => tr.querySelector('td.note').textContent)[0],
              columns: [...document.querySelectorAll('.targets thead th')].map((th) => th.textContent) };"#,
        )
        .await;
    std::fs::write(
        screenshot_dir().join("draft-print.png"),
        b.screenshot().await,
    )
    .unwrap();
    assert_eq!(
        (v["links"].as_u64(), v["lint"].as_bool()),
        (Some(0), Some(false)),
        "{v}"
    );
    assert_eq!(v["inputs"], 0, "{v}");
    assert_eq!(v["lines"], 1, "一级指标 wraps: {v}");
    assert_eq!(v["clipped"], json!([]), "{v}");
    for label in [
        "项目名称",
        "主管部门",
        "实施单位",
        "项目属性",
        "项目期限",
        "年度资金总额",
        "其中：财政拨款",
        "其他资金",
        "年度总体目标",
    ] {
        assert!(
            v["head"].as_array().unwrap().iter().any(|h| h == label),
            "{label} not in the form: {v}"
        );
    }
    assert_eq!(
        (
            &v["department"],
            &v["attribute"],
            &v["budget"],
            &v["fiscal"]
        ),
        (
            &json!("区人民政府"),
            &json!("延续项目"),
            &json!("500.00"),
            &json!("450.00")
        ),
        "{v}"
    );
    assert_eq!(v["goal"], "完成 15 个老旧小区改造", "{v}");
    assert_eq!(v["own"], "自拟指标", "{v}");
    assert_eq!(v["columns"], json!(crate::drafting::FORM_COLUMNS));
    let text = v["text"].as_str().unwrap();
    assert!(
        !text.contains("审核检查")
            && !text.contains("草稿")
            && !text.contains(&id)
            && !text.contains("old_community"),
        "{text}"
    );
    b.close().await;
}

/// The print view of a 20-row table prints on A4 landscape pages (as Chromium prints it to PDF),
/// one page wide.
#[tokio::test]
async fn the_print_view_prints_on_a4_landscape() {
    let Some(chromium) = webdriver_tools("the_print_view_prints_on_a4_landscape") else {
        return;
    };
    let app = shared_app();
    let (id, draft) = new_draft(json!({ "project_name": "老旧小区改造", "budget_wan": 500,
        "description": "改造 12 个小区、3200户，加装电梯8部" }))
    .await;
    let mut d = crate::drafting::project_info(&draft);
    let mut rows = d["rows"].as_array().unwrap().clone();
    while rows.len() < 20 {
        rows.push(json!({ "level1": "产出指标", "level2": "数量指标",
            "name": format!("改造小区内破损道路及公共活动场地硬化铺装面积 {}", rows.len()),
            "direction": "≥", "target": "1200", "unit": "平方米",
            "explanation": "反映年度内完成硬化铺装并通过验收的道路和公共活动场地面积。" }));
    }
    d["rows"] = json!(rows);
    put_draft(&id, &d).await;
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("form.pdf");
    let status = crate::browser::headless(&chromium, &dir)
        .arg("--no-pdf-header-footer")
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(app.url(&format!("/drafts/{id}/print")))
        .status()
        .unwrap();
    assert!(status.success());
    let bytes = std::fs::read(&pdf).unwrap();
    std::fs::copy(&pdf, screenshot_dir().join("draft-print.pdf")).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    let boxes: Vec<(f64, f64)> = text
        .match_indices("/MediaBox")
        .map(|(at, _)| {
            let rest = &text[at..];
            let inside = &rest[rest.find('[').unwrap() + 1..rest.find(']').unwrap()];
            let n: Vec<f64> = inside
                .split_whitespace()
                .map(|x| x.parse().unwrap())
                .collect();
            (n[2] - n[0], n[3] - n[1])
        })
        .collect();
    assert!(!boxes.is_empty());
    for (w, h) in &boxes {
        // A4 landscape: 297 × 210 mm = 841.9 × 595.3 pt.
        assert!(
            (w - 841.9).abs() < 2.0 && (h - 595.3).abs() < 2.0,
            "{boxes:?}"
        );
    }
    assert!(boxes.len() <= 3, "20 rows on {} pages", boxes.len());
}

/// Issue 25: the project information pushed the table below the first screen at 1366×768 (the
/// table began at y = 970), and 添加指标 offered 基本公共卫生服务满意度 first for 居民满意度 in a
/// 老旧小区改造 draft, and indicators the table already held.
#[tokio::test]
async fn complete_project_information_folds_and_the_add_box_offers_the_drafts_type_first() {
    let Some(chromium) = webdriver_tools(
        "complete_project_information_folds_and_the_add_box_offers_the_drafts_type_first",
    ) else {
        return;
    };
    let app = shared_app();
    let (id, draft) = new_draft(
        json!({ "project_name": "2026年老旧小区改造", "budget_wan": 500,
        "year": 2026, "description": "改造 12 个小区、3200户，加装电梯8部" }),
    )
    .await;
    let mut d = crate::drafting::project_info(&draft);
    // The unit took the satisfaction row out and now adds one back.
    let rows: Vec<Value> = draft["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| !r["name"].as_str().unwrap().contains("满意度"))
        .cloned()
        .collect();
    let kept: Vec<String> = rows
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_string())
        .collect();
    d["rows"] = json!(rows);
    put_draft(&id, &d).await;

    let b = Browser::start(&chromium).await;
    for (w, h) in [(1366, 768), (1920, 1080), (390, 844)] {
        b.set_viewport(w, h).await;
        b.goto(&app.url(&format!("/drafts/{id}"))).await;
        let v = b
            .eval(
                r#"const p = document.querySelector('details#project');
                const first = document.querySelector('tr.target-row').getBoundingClientRect();
                return { details: !!p, open: p ? p.open : null, summary: p ? p.querySelector('summary').textContent : '',
                  first_row_bottom: first.bottom, h: innerHeight, w: innerWidth,
                  page: document.documentElement.scrollWidth,
                  ids: document.getElementById('lint').textContent.match(/[a-z]+-[a-z0-9-]+/g) };"#,
            )
            .await;
        std::fs::write(
            screenshot_dir().join(format!("draft-folded-{w}.png")),
            b.screenshot().await,
        )
        .unwrap();
        assert_eq!(
            (v["details"].as_bool(), v["open"].as_bool()),
            (Some(true), Some(false)),
            "complete project information folds: {v}"
        );
        assert!(
            v["summary"]
                .as_str()
                .unwrap()
                .contains("区住房和城乡建设局"),
            "{v}"
        );
        assert!(
            v["page"].as_u64().unwrap() <= w,
            "the table scrolls in its box, not the page, at {w}: {v}"
        );
        assert!(v["ids"].is_null(), "rule ids on the page: {v}");
        if w > 390 {
            assert!(
                v["first_row_bottom"].as_f64().unwrap() <= h as f64,
                "the table's first row on the first screen at {w}×{h}: {v}"
            );
        }
    }

    b.set_viewport(1366, 768).await;
    let add = b.find("#add").await;
    b.send_keys(&add, "居民满意度").await;
    let first = b
        .wait_for("const li = document.querySelector('#add-suggestions li span'); return li && li.textContent")
        .await;
    assert_eq!(first, "改造小区居民满意度", "the draft's type first");
    let before = b
        .eval("return JSON.stringify([...document.querySelectorAll('#add-suggestions li span')].map((s) => s.textContent))")
        .await;
    let before = before.as_str().unwrap().to_string();
    // What the table holds is not offered again.
    b.eval("document.getElementById('add').value = ''; return 1")
        .await;
    b.send_keys(&add, "改造").await;
    let offered = b
        .wait_for(&format!("const l = [...document.querySelectorAll('#add-suggestions li span')].map((s) => s.textContent); return l.length && JSON.stringify(l) !== '{}' && l", before),
        )
        .await;
    assert!(offered.as_array().unwrap().len() >= 3, "{offered}");
    for name in offered.as_array().unwrap() {
        assert!(
            !kept.iter().any(|k| k == name.as_str().unwrap()),
            "{name} is in the table already: {offered}"
        );
    }

    // A draft missing its 预算单位 opens the block by itself.
    let (id, _) = new_draft(json!({ "project_name": "老旧小区改造", "budget_wan": 500 })).await;
    b.goto(&app.url(&format!("/drafts/{id}"))).await;
    let open = b
        .eval("return document.querySelector('details#project').open")
        .await;
    assert_eq!(open, json!(true));
    b.close().await;
}
