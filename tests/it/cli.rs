//! The command line: `check` on good and broken libraries, and refusing to serve a broken one.

use std::path::Path;
use std::process::Command;
use zhibiao::app::App;
use zhibiao::config::{Config, LibrarySource};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_zhibiao"))
}

/// A copy of the bundled library that a test may break.
fn library_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("indicators");
    for sub in ["", "common", "types"] {
        std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        for e in std::fs::read_dir(src.join(sub)).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_file() {
                std::fs::copy(e.path(), dir.path().join(sub).join(e.file_name())).unwrap();
            }
        }
    }
    dir
}

/// Runs `check` on a library that must fail it; returns what it printed on stderr.
fn check_fails(dir: &Path) -> String {
    let out = bin()
        .args(["check", "--indicators"])
        .arg(dir)
        .output()
        .unwrap();
    assert!(!out.status.success(), "check passed on a broken library");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn check_passes_on_the_bundled_library_and_reports_statistics() {
    let out = bin().args(["check", "--stats"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("0 处问题"), "{stdout}");
    assert!(stdout.contains("比率指标计算公式"), "{stdout}");
}

#[test]
fn check_names_file_line_and_reason_and_the_server_refuses_the_same_library() {
    let lib = library_copy();
    let road = lib.path().join("types/road.toml");
    let text = std::fs::read_to_string(&road).unwrap();
    let broken = text.replacen("unit = \"公里\"", "unit = \"公理\"", 1);
    assert_ne!(text, broken, "the fixture has a 公里 unit to break");
    std::fs::write(&road, &broken).unwrap();
    let line = broken.lines().position(|l| l.contains("公理")).unwrap() + 1;

    let stderr = check_fails(lib.path());
    assert!(stderr.contains(&format!("road.toml:{line}")), "{stderr}");
    assert!(stderr.contains("公理"), "{stderr}");

    let data = tempfile::tempdir().unwrap();
    let mut config = Config::for_tests(data.path());
    config.library = LibrarySource::Files(lib.path().to_path_buf());
    let err = App::open(config)
        .err()
        .expect("a broken library is refused");
    assert!(
        format!("{err:#}").contains(&format!("road.toml:{line}")),
        "{err:#}"
    );
    // Nothing was half-loaded.
    assert!(!data.path().join("store").exists());
}

#[test]
fn check_enforces_reviewer_rules_too() {
    let lib = library_copy();
    let road = lib.path().join("types/road.toml");
    let text = std::fs::read_to_string(&road).unwrap();
    let name_line = text
        .lines()
        .find(|l| l.starts_with("name = "))
        .unwrap()
        .to_string();
    std::fs::write(
        &road,
        text.replacen(&name_line, "name = \"道路通行能力明显提升\"", 1),
    )
    .unwrap();
    let stderr = check_fails(lib.path());
    assert!(
        stderr.contains("vague-wording") && stderr.contains("road.toml:"),
        "{stderr}"
    );
}

#[test]
fn search_and_export_work_from_the_terminal() {
    let data = tempfile::tempdir().unwrap();
    let out = bin()
        .args(["--data-dir"])
        .arg(data.path())
        .args(["search", "满意度", "--limit", "3"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.lines().filter(|l| l.contains("满意度")).count() >= 3,
        "{stdout}"
    );

    let csv = data.path().join("lib.csv");
    let out = bin()
        .args(["--data-dir"])
        .arg(data.path())
        .args(["export", "--format", "csv", "--out"])
        .arg(&csv)
        .output()
        .unwrap();
    assert!(out.status.success());
    let mut r = csv::Reader::from_path(&csv).unwrap();
    let rows = r.records().count();
    assert!(rows >= 1000, "{rows}");
}
