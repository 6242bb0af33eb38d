//! Real-browser tests (headless Chromium from Debian's packages). Skipped, with the reason
//! printed, where Chromium is not installed; `.ci/run` installs it.

use crate::helpers::{enc, shared_app};
use std::path::PathBuf;
use std::process::Command;

fn chromium() -> Option<PathBuf> {
    [
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
    ]
    .into_iter()
    .map(PathBuf::from)
    .find(|p| p.exists())
}

/// Headless Chromium with the flags this machine needs (no background networking: its connections
/// are refused here), a 1280×720 window and its own profile.
pub fn headless(browser: &PathBuf, profile: &tempfile::TempDir) -> Command {
    let mut c = Command::new(browser);
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        "--window-size=1280,720",
    ])
    .arg(format!("--user-data-dir={}", profile.path().display()))
    .stderr(std::process::Stdio::null());
    c
}

#[test]
fn the_search_page_renders_in_chromium_with_highlights() {
    let Some(browser) = chromium() else {
        eprintln!(
            "SKIPPED the_search_page_renders_in_chromium_with_highlights: chromium is not installed (apt-get install chromium)"
        );
        return;
    };
    let app = shared_app();
    let url = app.url(&format!("/?q={}", enc("满意")));
    let profile = tempfile::tempdir().unwrap();
    let out = headless(&browser, &profile)
        .args(["--virtual-time-budget=3000", "--dump-dom"])
        .arg(&url)
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(
        dom.contains("<mark>满意</mark>"),
        "no highlight in the DOM Chromium built: {}",
        &dom[..dom.len().min(500)]
    );
    assert!(dom.contains("class=\"facets\""));

    let shot = profile.path().join("search.png");
    let status = headless(&browser, &profile)
        .arg(format!("--screenshot={}", shot.display()))
        .arg(&url)
        .status()
        .unwrap();
    assert!(status.success());
    let png = std::fs::read(&shot).unwrap();
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "screenshot is {} bytes",
        png.len()
    );
}

/// Where the tests leave screenshots for a person to look at.
pub fn screenshot_dir() -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[tokio::test]
async fn suggestions_appear_while_typing_and_the_keyboard_picks_one() {
    let Some(chromium) =
        webdriver_tools("suggestions_appear_while_typing_and_the_keyboard_picks_one")
    else {
        return;
    };
    let app = shared_app();
    let b = crate::webdriver::Browser::start(&chromium).await;
    b.goto(&app.url("/")).await;
    let input = b.find("#q").await;
    b.send_keys(&input, "验收合").await;
    let n = b
        .wait_for("return document.querySelectorAll('#suggestions li').length")
        .await;
    assert!(n.as_u64().unwrap() >= 1);
    let first = b
        .eval("return document.querySelector('#suggestions li span').textContent")
        .await;
    assert!(first.as_str().unwrap().contains("验收合格率"), "{first}");
    let marked = b
        .eval("return document.querySelector('#suggestions li mark').textContent")
        .await;
    assert_eq!(marked, "验收合");
    std::fs::write(screenshot_dir().join("suggest.png"), b.screenshot().await).unwrap();

    b.send_keys(&input, crate::webdriver::ARROW_DOWN).await;
    let selected = b
        .eval("return document.querySelector('#suggestions li').getAttribute('aria-selected')")
        .await;
    assert_eq!(selected, "true");
    b.send_keys(&input, crate::webdriver::ENTER).await;
    let path = b
        .wait_for("return location.pathname.startsWith('/indicators/') && location.pathname")
        .await;
    let h1 = b
        .eval("return document.querySelector('h1').textContent")
        .await;
    assert!(h1.as_str().unwrap().contains("验收合格率"), "{path} {h1}");
    b.close().await;
}

#[tokio::test]
async fn without_javascript_the_form_still_searches() {
    let Some(chromium) = chromium() else {
        eprintln!("SKIPPED without_javascript_the_form_still_searches: chromium is not installed");
        return;
    };
    let profile = tempfile::tempdir().unwrap();
    let out = headless(&chromium, &profile)
        .args(["--disable-javascript", "--dump-dom"])
        .arg(shared_app().url(&format!("/?q={}", enc("污水处"))))
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(
        dom.contains("<mark>污水处</mark>"),
        "{}",
        &dom[..dom.len().min(3000)]
    );
}

/// Chromium and chromedriver for a WebDriver test, or `None` with the skip reason printed
/// (CI, with ZHIBIAO_REQUIRE_TOOLS set, fails instead of skipping).
pub fn webdriver_tools(test: &str) -> Option<PathBuf> {
    let Some(chromium) = chromium() else {
        eprintln!("SKIPPED {test}: chromium is not installed");
        return None;
    };
    if which_chromedriver().is_none() {
        assert!(
            std::env::var_os("ZHIBIAO_REQUIRE_TOOLS").is_none(),
            "chromedriver missing"
        );
        eprintln!("SKIPPED {test}: chromedriver is not installed");
        return None;
    }
    Some(chromium)
}

fn which_chromedriver() -> Option<PathBuf> {
    ["/usr/bin/chromedriver", "/usr/local/bin/chromedriver"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

#[tokio::test]
async fn the_drafting_page_checks_edits_live() {
    let Some(chromium) = webdriver_tools("the_drafting_page_checks_edits_live") else {
        return;
    };
    let app = shared_app();
    let created: serde_json::Value = app
        .client
        .post(app.url("/api/v1/drafts"))
        .json(&serde_json::json!({ "project_name": "老旧小区改造", "budget_wan": 2000 }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap();
    let b = crate::webdriver::Browser::start(&chromium).await;
    b.goto(&app.url(&format!("/drafts/{id}"))).await;
    let target = b.find("input[name='rows[0].target']").await;
    b.eval("document.querySelector(\"input[name='rows[0].target']\").value = ''; return 1")
        .await;
    b.send_keys(&target, "明显提高").await;
    let text = b
        .wait_for("const t = document.getElementById('lint').textContent; return [...document.querySelectorAll('#lint li')].some((li) => li.dataset.rule === 'vague-wording') && !/[a-z]-[a-z]/.test(t) && t")
        .await;
    assert!(text.as_str().unwrap().contains("第 1 行"), "{text}");
    std::fs::write(screenshot_dir().join("draft.png"), b.screenshot().await).unwrap();
    // The browser remembers the draft, and the new-draft page lists it.
    b.goto(&app.url("/drafts/new")).await;
    let mine = b
        .wait_for(
            "const s = document.getElementById('my-drafts'); return !s.hidden && s.textContent",
        )
        .await;
    assert!(mine.as_str().unwrap().contains("老旧小区改造"), "{mine}");
    b.close().await;
}

/// The PNG's width and height, from its header.
fn png_size(png: &[u8]) -> (u32, u32) {
    let n = |i: usize| u32::from_be_bytes(png[i..i + 4].try_into().unwrap());
    (n(16), n(20))
}

/// Everything on the active slide that would need a scroll bar, the slide's font size, the
/// counter, and the viewport.
const SLIDE_CHECK: &str = r#"
const s = document.querySelector('.slide.active');
const bad = [];
for (const el of [s, ...s.querySelectorAll('*')]) {
  const tall = el.clientHeight > 0 && el.scrollHeight > el.clientHeight + 1;
  const wide = el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1;
  if (tall || wide) bad.push(el.tagName + '.' + el.className + ' ' + el.scrollWidth + 'x' + el.scrollHeight + ' in ' + el.clientWidth + 'x' + el.clientHeight);
}
const d = document.documentElement;
if (d.scrollHeight > d.clientHeight + 1 || d.scrollWidth > d.clientWidth + 1) bad.push('document');
const small = [...s.querySelectorAll('*')].filter((el) => el.childElementCount === 0 && el.textContent.trim() && parseFloat(getComputedStyle(el).fontSize) < 12).map((el) => el.textContent.trim().slice(0, 20));
const text = [...s.querySelectorAll('*')].filter((el) => el.childElementCount === 0 && el.textContent.trim() && !el.closest('.keys, .permalink'));
const body = Math.min(...text.map((el) => parseFloat(getComputedStyle(el).fontSize)));
const rows = Math.max(0, ...[...s.querySelectorAll('tbody')].map((t) => t.rows.length));
return { bad, small, body, rows, font: parseFloat(getComputedStyle(s).fontSize), counter: document.getElementById('counter').textContent, slide: s.dataset.slide, path: location.pathname, w: innerWidth, h: innerHeight };
"#;

#[tokio::test]
async fn a_training_session_runs_in_the_browser_from_slides_to_feedback() {
    use crate::webdriver::{ARROW_LEFT, ARROW_RIGHT, Browser, ENTER, PAGE_DOWN, PAGE_UP};
    let Some(chromium) =
        webdriver_tools("a_training_session_runs_in_the_browser_from_slides_to_feedback")
    else {
        return;
    };
    let app = crate::helpers::curation_app();
    let shots = screenshot_dir();

    // The trainer signs in and assembles a session on the pages.
    let b = Browser::start(&chromium).await;
    b.goto(&app.url("/login")).await;
    b.send_keys(&b.find("input[name=name]").await, "editor")
        .await;
    b.send_keys(
        &b.find("input[name=password]").await,
        crate::helpers::PASSWORD,
    )
    .await;
    b.click(&b.find("form[action='/login'] button").await).await;
    b.wait_for("return location.pathname === '/curation'").await;
    b.goto(&app.url("/training")).await;
    b.send_keys(
        &b.find("input[name=title]").await,
        "绩效目标编制培训（第一期）",
    )
    .await;
    b.click(&b.find("form[action='/training/sessions'] button").await)
        .await;
    let path = b
        .wait_for("return location.pathname.startsWith('/training/sessions/') && location.pathname")
        .await;
    let id = path
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();
    b.send_keys(&b.find("#add-indicator").await, "DL-001").await;
    b.click(&b.find("#add-indicator-button").await).await;
    b.wait_for("return document.querySelectorAll('.session-items li').length === 4")
        .await;
    b.click(&b.find("#add-example").await).await;
    b.wait_for("return document.querySelectorAll('.session-items li').length === 5")
        .await;
    b.click(&b.find("#add-exercise").await).await;
    b.wait_for("return document.querySelectorAll('.session-items li').length === 6")
        .await;

    // Present it on a 1920×1080 projector, with the keyboard only.
    b.set_viewport(1920, 1080).await;
    b.goto(&app.url(&format!("/training/sessions/{id}/present")))
        .await;
    let total = b
        .eval("return document.querySelectorAll('.slide').length")
        .await
        .as_u64()
        .unwrap();
    // Title, three framework pages (the rules on two), one indicator, the example's bad table,
    // its corrected table (two slides when it has more than seven rows) and notes, one exercise.
    assert!(total >= 10, "{total} slides");
    let mut join_code = String::new();
    for n in 1..=total {
        let v = b.eval(SLIDE_CHECK).await;
        assert_eq!((v["w"].as_u64(), v["h"].as_u64()), (Some(1920), Some(1080)));
        assert_eq!(v["counter"], format!("{n} / {total}"), "{v}");
        assert!(
            v["path"]
                .as_str()
                .unwrap()
                .ends_with(&format!("/present/{n}")),
            "each slide has its address: {v}"
        );
        assert!(
            v["bad"].as_array().unwrap().is_empty(),
            "slide {n} overflows: {v}"
        );
        assert!(
            v["body"].as_f64().unwrap() >= 32.0,
            "slide {n}: body text under 32 px, unreadable from the back of a room: {v}"
        );
        assert!(v["rows"].as_u64().unwrap() <= 7, "slide {n}: {v}");
        assert!(v["small"].as_array().unwrap().is_empty(), "slide {n}: {v}");
        let png = b.screenshot().await;
        assert_eq!(png_size(&png), (1920, 1080));
        std::fs::write(shots.join(format!("training-slide-{n:02}.png")), &png).unwrap();
        let code = b
            .eval("const c = document.querySelector('.slide.active [data-join-code]'); return c ? c.textContent : ''")
            .await;
        if let Some(c) = code.as_str().filter(|c| !c.is_empty()) {
            join_code = c.to_string();
        }
        // Every way forward works.
        b.press([ARROW_RIGHT, PAGE_DOWN, " "][n as usize % 3]).await;
    }
    assert_eq!(join_code.len(), 6, "the exercise slide shows the join code");
    b.press(PAGE_UP).await;
    b.press(ARROW_LEFT).await;
    let v = b.eval(SLIDE_CHECK).await;
    assert_eq!(v["counter"], format!("{} / {total}", total - 2));
    let path = b.eval("return location.pathname").await;
    assert!(
        path.as_str()
            .unwrap()
            .ends_with(&format!("/present/{}", total - 2)),
        "{path}"
    );
    b.press("f").await;
    let full = b
        .wait_for("return document.fullscreenElement !== null")
        .await;
    assert_eq!(full, true);

    // A trainee opens the code on their own laptop and corrects the bad table.
    let t = Browser::start(&chromium).await;
    t.goto(&app.url("/t")).await;
    let input = t.find("input[name=code]").await;
    t.send_keys(&input, &join_code.to_lowercase()).await;
    t.send_keys(&input, ENTER).await;
    t.wait_for(&format!("return location.pathname === '/t/{join_code}'"))
        .await;
    t.click(&t.find("#start-attempt").await).await;
    t.wait_for(
        "return location.pathname.includes('/a/') && document.getElementById('lint-summary')",
    )
    .await;
    // The live check reacts as on the normal drafting page.
    t.eval("const s = document.querySelector(\"select[name='rows[2].direction']\"); s.value = '='; s.dispatchEvent(new Event('change', { bubbles: true })); return 1")
        .await;
    t.wait_for("const rules = [...document.querySelectorAll('#lint li')].map((li) => li.dataset.rule); return rules.includes('input-as-output') && !rules.includes('rate-over-100')")
        .await;
    t.click(&t.find("#submit-attempt").await).await;
    let head = t
        .wait_for("const h = document.querySelector('#feedback h2'); return h && h.textContent")
        .await;
    assert!(head.as_str().unwrap().contains("覆盖"), "{head}");
    let lint = t
        .eval("return document.getElementById('lint-summary').textContent")
        .await;
    assert!(lint.as_str().unwrap().contains("个错误"), "{lint}");
    std::fs::write(shots.join("training-feedback.png"), t.screenshot().await).unwrap();
    t.close().await;

    // The trainer sees the room's anonymous summary.
    b.goto(&app.url(&format!("/training/sessions/{id}/summary")))
        .await;
    let summary = b
        .eval("return document.querySelector('.rule-counts').textContent")
        .await;
    let summary = summary.as_str().unwrap();
    // Rules by their Chinese names (issue 26), never their ids.
    assert!(
        summary.contains("把资金投入当作产出或效益") && summary.contains("缺少一级指标"),
        "{summary}"
    );
    assert!(
        !summary.contains("比率目标超过") && !summary.contains("missing-level1"),
        "{summary}"
    );
    b.close().await;
}

#[tokio::test]
async fn a_curator_proposes_in_the_browser_and_a_reviewer_approves_it() {
    let Some(chromium) =
        webdriver_tools("a_curator_proposes_in_the_browser_and_a_reviewer_approves_it")
    else {
        return;
    };
    let app = crate::helpers::curation_app();
    let pw = crate::helpers::PASSWORD;
    let b = crate::webdriver::Browser::start(&chromium).await;
    let login = |name: &'static str| {
        let (b, app) = (&b, &app);
        async move {
            b.goto(&app.url("/login")).await;
            let n = b.find("input[name=name]").await;
            b.send_keys(&n, name).await;
            let p = b.find("input[name=password]").await;
            b.send_keys(&p, pw).await;
            b.eval("document.querySelector('main form button').click(); return 1")
                .await;
            b.wait_for("return location.pathname === '/curation'").await;
        }
    };
    login("editor").await;
    // The editor opens the indicator, changes the target and gives a reason.
    b.goto(&app.url("/indicators/JZ-001")).await;
    b.eval("document.querySelector('a[href=\"/indicators/JZ-001/edit\"]').click(); return 1")
        .await;
    b.wait_for("return location.pathname === '/indicators/JZ-001/edit'")
        .await;
    b.eval("document.querySelector('input[name=target]').value = ''; return 1")
        .await;
    let target = b.find("input[name=target]").await;
    b.send_keys(&target, "12800").await;
    let reason = b.find("form.indicator-form textarea[name=reason]").await;
    b.send_keys(&reason, "按 2026 年在册人数上调").await;
    b.eval("document.querySelector('form.indicator-form button[type=submit]').click(); return 1")
        .await;
    let page = b
        .wait_for("return location.pathname.startsWith('/proposals/') && document.body.innerText")
        .await;
    let page = page.as_str().unwrap();
    assert!(page.contains("待审核") && page.contains("12800"), "{page}");
    assert!(
        page.contains("需由其他审核人员审核"),
        "no approve button for the author"
    );
    // The reviewer signs in (after the editor signs out) and approves on the page.
    let proposal = b.eval("return location.pathname").await;
    b.eval("document.querySelector('header form button').click(); return 1")
        .await;
    b.wait_for("return location.pathname === '/'").await;
    login("reviewer").await;
    b.goto(&app.url(proposal.as_str().unwrap())).await;
    std::fs::write(screenshot_dir().join("proposal.png"), b.screenshot().await).unwrap();
    b.eval("document.querySelector('button[value=approve]').click(); return 1")
        .await;
    b.wait_for("return document.body.innerText.includes('已通过')")
        .await;
    b.goto(&app.url("/indicators/JZ-001")).await;
    let text = b.eval("return document.body.innerText").await;
    let text = text.as_str().unwrap();
    assert!(text.contains("12800") && text.contains("第 2 版"), "{text}");
    b.close().await;
}

/// Where the first result, the search button and the header are on a 390×844 phone.
const PHONE_CHECK: &str = r#"
const hit = document.querySelector('.hit');
const button = document.querySelector('form.search button');
const line = parseFloat(getComputedStyle(button).lineHeight) || parseFloat(getComputedStyle(button).fontSize) * 1.6;
return { first: hit.getBoundingClientRect().top, button: button.getBoundingClientRect().height, line,
  header: document.querySelector('header.top').getBoundingClientRect().height,
  type: hit.querySelector('.tag.type') ? hit.querySelector('.tag.type').textContent : '',
  w: innerWidth, h: innerHeight, scrollWidth: document.documentElement.scrollWidth };
"#;

#[tokio::test]
async fn on_a_phone_the_first_result_is_on_the_first_screen() {
    use crate::webdriver::{ARROW_DOWN, Browser};
    let Some(chromium) = webdriver_tools("on_a_phone_the_first_result_is_on_the_first_screen")
    else {
        return;
    };
    let app = shared_app();
    let b = Browser::start(&chromium).await;
    b.set_viewport(390, 844).await;
    b.goto(&app.url(&format!("/?q={}", enc("教职工满意度"))))
        .await;
    let v = b.eval(PHONE_CHECK).await;
    assert_eq!((v["w"].as_u64(), v["h"].as_u64()), (Some(390), Some(844)));
    assert!(
        v["first"].as_f64().unwrap() < 800.0,
        "first result below the first screen: {v}"
    );
    assert!(
        v["button"].as_f64().unwrap() < 2.0 * v["line"].as_f64().unwrap(),
        "the 搜索 button wraps: {v}"
    );
    assert!(
        v["scrollWidth"].as_u64().unwrap() <= 390,
        "the page scrolls sideways: {v}"
    );
    assert!(
        !v["type"].as_str().unwrap().is_empty(),
        "the card names the project type: {v}"
    );
    std::fs::write(
        screenshot_dir().join("phone-search.png"),
        b.screenshot().await,
    )
    .unwrap();
    // The facets are one tap away.
    let folded = b
        .eval("return document.querySelector('details.facet-fold').open")
        .await;
    assert_eq!(folded, false);
    b.click(&b.find("details.facet-fold > summary").await).await;
    let shown = b
        .eval("return document.querySelector('.facets').getBoundingClientRect().height > 100")
        .await;
    assert_eq!(shown, true);

    // The suggestion list is a WAI-ARIA combobox; Esc closes it and keeps the query.
    b.goto(&app.url("/")).await;
    let input = b.find("#q").await;
    b.send_keys(&input, "验收合").await;
    b.wait_for("return document.querySelectorAll('#suggestions li').length")
        .await;
    let roles = b
        .eval("const q = document.getElementById('q'); return [q.getAttribute('role'), q.getAttribute('aria-expanded'), q.getAttribute('aria-controls'), document.getElementById('suggestions').getAttribute('role')]")
        .await;
    assert_eq!(
        roles,
        serde_json::json!(["combobox", "true", "suggestions", "listbox"])
    );
    b.send_keys(&input, ARROW_DOWN).await;
    let active = b
        .eval("const id = document.getElementById('q').getAttribute('aria-activedescendant'); const li = id && document.getElementById(id); return li ? li.getAttribute('aria-selected') : 'none'")
        .await;
    assert_eq!(active, "true");
    b.send_keys(&input, "\u{E00C}").await;
    let after = b
        .eval("const q = document.getElementById('q'); return [q.value, document.getElementById('suggestions').hidden, q.getAttribute('aria-expanded'), q.hasAttribute('aria-activedescendant')]")
        .await;
    assert_eq!(after, serde_json::json!(["验收合", true, "false", false]));
    b.close().await;
}

#[test]
fn without_javascript_each_slide_is_a_page_of_its_own() {
    let Some(chromium) = chromium() else {
        eprintln!(
            "SKIPPED without_javascript_each_slide_is_a_page_of_its_own: chromium is not installed"
        );
        return;
    };
    let app = shared_app();
    let id = app
        .app
        .training
        .create_session(
            "admin".into(),
            "无脚本放映",
            zhibiao::training::ItemSpec::framework_pages(),
        )
        .unwrap()
        .id;
    let profile = tempfile::tempdir().unwrap();
    let out = headless(&chromium, &profile)
        .args(["--disable-javascript", "--dump-dom"])
        .arg(app.url(&format!("/training/sessions/{id}/present/3")))
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&out.stdout);
    let shown: Vec<&str> = dom
        .split("<section class=\"slide")
        .skip(1)
        .filter(|s| !s.split('>').next().unwrap().contains("hidden"))
        .collect();
    assert_eq!(shown.len(), 1, "{dom}");
    assert!(
        shown[0].starts_with(" active\" data-slide=\"3\""),
        "{}",
        shown[0]
    );
    assert!(
        dom.contains(&format!(
            "href=\"/training/sessions/{id}/present/4\" rel=\"next\""
        )),
        "a link to the next slide"
    );
}

/// The main pages at a laptop's, a projector's and a phone's size. Kept in docs/screenshots/
/// when ZHIBIAO_SCREENSHOTS names that folder (README: how to regenerate them); otherwise in the
/// test's own folder.
#[tokio::test]
async fn screenshots_of_the_main_pages_at_three_sizes() {
    use crate::webdriver::Browser;
    let Some(chromium) = webdriver_tools("screenshots_of_the_main_pages_at_three_sizes") else {
        return;
    };
    let dir = std::env::var_os("ZHIBIAO_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(screenshot_dir);
    std::fs::create_dir_all(&dir).unwrap();
    let app = crate::helpers::curation_app();
    let demo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("evaluations/demo/self-evaluations-2024.csv");
    let editor = crate::helpers::Session::login(&app, "editor").await;
    let (status, _) = editor
        .post_raw(
            "/api/v1/evaluations/import?dry_run=false&file=self-evaluations-2024.csv",
            std::fs::read(demo).unwrap(),
        )
        .await;
    assert_eq!(status, 201);
    let (_, session) = editor
        .post(
            "/api/v1/training/sessions",
            serde_json::json!({ "title": "绩效目标编制培训", "items": [
                { "kind": "example", "project_type": "water_env" }
            ] }),
        )
        .await;
    let sid = session["session"]["id"].as_str().unwrap().to_string();
    let project = {
        let html = app.get("/evaluations").await.text().await.unwrap();
        let at = html.find("href=\"/evaluations/projects/").unwrap() + 6;
        html[at..].split('"').next().unwrap().to_string()
    };
    let pages: Vec<(&str, String)> = vec![
        ("search", format!("/?q={}", enc("道路 满意度"))),
        ("indicator", "/indicators/DL-001".into()),
        ("browse", "/browse/road".into()),
        ("drafting", "/drafts/new".into()),
        ("evaluations", "/evaluations".into()),
        ("evaluation-project", project),
        (
            "training-slide",
            format!("/training/sessions/{sid}/present/2"),
        ),
    ];
    let b = Browser::start(&chromium).await;
    for (w, h) in [(1366, 768), (1920, 1080), (390, 844)] {
        b.set_viewport(w, h).await;
        for (name, path) in &pages {
            b.goto(&app.url(path)).await;
            b.wait_for("return document.readyState === 'complete'")
                .await;
            let png = b.screenshot().await;
            assert_eq!(png_size(&png), (w as u32, h as u32), "{name}");
            std::fs::write(dir.join(format!("{name}-{w}x{h}.png")), png).unwrap();
        }
    }
    b.close().await;
}
