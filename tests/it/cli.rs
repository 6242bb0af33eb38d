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
    assert!(stdout.contains("按支出功能分类"), "{stdout}");
    assert!(stdout.contains("212 城乡社区支出"), "{stdout}");
}

#[test]
fn check_refuses_a_vocabulary_that_drops_a_unit_or_joins_two_units() {
    let vocab = tempfile::tempdir().unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("index");
    for f in ["user_dict.txt", "synonyms.txt", "stop_words.txt"] {
        std::fs::copy(src.join(f), vocab.path().join(f)).unwrap();
    }
    let stops = vocab.path().join("stop_words.txt");
    let text = std::fs::read_to_string(&stops).unwrap();
    std::fs::write(&stops, text + "本\n").unwrap();
    let syn = vocab.path().join("synonyms.txt");
    let text = std::fs::read_to_string(&syn).unwrap();
    std::fs::write(&syn, text + "学时 课时\n").unwrap();
    let out = bin()
        .args(["check", "--vocab"])
        .arg(vocab.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("stopword-is-unit"), "{stderr}");
    assert!(stderr.contains("synonym-joins-units"), "{stderr}");
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
fn check_refuses_broken_review_rules_as_the_server_does() {
    let lib = library_copy();
    let rules = lib.path().join("review_rules.toml");
    std::fs::write(&rules, "max_qualitative_share = \"很多\"\n").unwrap();
    let stderr = check_fails(lib.path());
    assert!(
        stderr.contains("review_rules.toml") && stderr.contains("审核规则配置有误"),
        "{stderr}"
    );

    let data = tempfile::tempdir().unwrap();
    let mut config = Config::for_tests(data.path());
    config.library = LibrarySource::Files(lib.path().to_path_buf());
    let err = App::open(config)
        .err()
        .expect("broken review rules are refused");
    assert!(format!("{err:#}").contains("review_rules.toml"), "{err:#}");
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
    let headers = r.headers().unwrap().clone();
    assert!(
        headers.iter().any(|h| h == "依据文件") && headers.iter().any(|h| h == "适用年度"),
        "{headers:?}"
    );
    let rows = r.records().count();
    assert!(rows >= 1000, "{rows}");
}

#[test]
fn an_edition_exported_as_files_passes_check_and_loads_as_that_edition() {
    let data = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("indicators");
    let o = bin()
        .arg("--data-dir")
        .arg(data.path())
        .args(["export", "--edition", "2026.2", "--to"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("2026.2"));
    let o = bin()
        .arg("--indicators")
        .arg(&dir)
        .arg("check")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let exported = zhibiao::ingest::library::load_dir(&dir).unwrap();
    let bundled =
        zhibiao::ingest::library::load_dir(&zhibiao::ingest::library::default_dir()).unwrap();
    let sorted = |mut v: Vec<zhibiao::domain::Indicator>| {
        v.sort_by(|a, b| a.code.cmp(&b.code));
        v
    };
    assert_eq!(sorted(exported.indicators), sorted(bundled.indicators));
    assert_eq!(exported.catalog, bundled.catalog);
}

#[test]
fn users_are_added_from_the_command_line_without_storing_the_password() {
    let data = tempfile::tempdir().unwrap();
    let o = bin()
        .arg("--data-dir")
        .arg(data.path())
        .args([
            "user",
            "add",
            "zhang",
            "--role",
            "admin",
            "--display",
            "张三",
        ])
        .env("ZHIBIAO_PASSWORD", "一个足够长的密码123")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("管理员"));
    let o = bin()
        .arg("--data-dir")
        .arg(data.path())
        .args(["user", "add", "li", "--role", "root"])
        .env("ZHIBIAO_PASSWORD", "一个足够长的密码123")
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("角色"));
    let store = zhibiao::store::Store::open(&data.path().join("store"), 8 << 20).unwrap();
    let u = store.user("zhang").unwrap().unwrap();
    assert!(u.password_hash.starts_with("$argon2id$"));
    let raw = std::fs::read_dir(data.path().join("store"))
        .unwrap()
        .filter_map(|e| std::fs::read(e.ok()?.path()).ok())
        .any(|b| {
            b.windows("一个足够长的密码123".len())
                .any(|w| w == "一个足够长的密码123".as_bytes())
        });
    assert!(!raw, "the password is nowhere in the database files");
}
