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

fn headless(browser: &PathBuf, profile: &tempfile::TempDir) -> Command {
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
    .arg(format!("--user-data-dir={}", profile.path().display()));
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
