//! A data directory that cannot be written: `/healthz` answers 503 with the reason, reads keep
//! answering, and once the disk has room again writes, reads and `/healthz` recover without a
//! restart. The full disk is a small tmpfs, so the test needs root (it skips, saying so,
//! where it cannot mount one).

use crate::helpers::{Session, TestApp, active_codes, run_cli as cli, seed_users, serve, start};
use serde_json::{Value, json};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use zhibiao::config::Config;

/// A tmpfs mounted on a temporary directory, unmounted when dropped.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    /// `None` (with the reason printed) where mounting is not allowed.
    fn mount(size: &str) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output();
        match out {
            Ok(o) if o.status.success() => Some(Tmpfs { dir }),
            Ok(o) => {
                eprintln!(
                    "skipped: cannot mount a tmpfs to fill (needs root): {}",
                    String::from_utf8_lossy(&o.stderr).trim()
                );
                None
            }
            Err(e) => {
                eprintln!("skipped: cannot run mount: {e}");
                None
            }
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        // Lazy: the server may still hold files open when the test ends.
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

/// Writes a file until the disk is full; returns its path.
fn fill(dir: &Path) -> PathBuf {
    let path = dir.join("filler");
    // Appends, so calling it again takes back whatever the database or the index freed since.
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .unwrap();
    let block = vec![0x5a_u8; 64 << 10];
    while f.write_all(&block).is_ok() {}
    let _ = f.sync_all();
    path
}

async fn health(app: &TestApp) -> (u16, Value) {
    let r = app.get("/healthz").await;
    let s = r.status().as_u16();
    (s, r.json().await.expect("/healthz answers JSON"))
}

async fn assert_reads_answer(app: &TestApp, paths: &[&str], when: &str) {
    for path in paths {
        let r = app.get(path).await;
        assert_eq!(r.status(), 200, "{path} {when}");
    }
}

async fn propose(editor: &Session, code: &str, data_source: &str, reason: &str) -> (u16, Value) {
    editor
        .post(
            "/api/v1/proposals",
            json!({ "kind": "edit", "code": code, "indicator": { "data_source": data_source },
                    "reason": reason }),
        )
        .await
}

#[tokio::test]
async fn a_full_disk_degrades_health_and_everything_recovers_once_it_has_room() {
    let Some(disk) = Tmpfs::mount("48m") else {
        return;
    };
    let mut config = Config::for_tests(&disk.path().join("data"));
    // The current edition alone (no 2026.1 history to release from): the store stays the size
    // this test's disk was measured for, and its writes small enough for sled's in-place path.
    let current = tempfile::tempdir().unwrap();
    copy_without_editions(&zhibiao::ingest::library::default_dir(), current.path());
    config.library = zhibiao::config::LibrarySource::Files(current.path().to_path_buf());
    seed_users(&config);
    let app = start(config, None);
    let editor = Session::login(&app, "editor").await;
    let reviewer = Session::login(&app, "reviewer").await;
    let (s, h) = health(&app).await;
    assert_eq!((s, &h["status"]), (200, &json!("ok")), "{h}");
    let (s, p) = propose(&editor, "JZ-001", "满盘前提出", "磁盘测试").await;
    assert_eq!(s, 201, "{p}");
    let before_full = p["id"].as_u64().unwrap();

    let filler = fill(disk.path());
    // A write may still fit in space the database had already taken; more soon do not. Each
    // stays far below sled's blob threshold (a quarter of a 512 KiB segment per node), whose
    // failure is another story (the test below).
    let reason = "磁盘已满时提出的修改。".repeat(150);
    let mut failed = None;
    // As many codes as it takes (JZ-001 and JZ-003 are read below).
    let codes: Vec<String> = active_codes(&app, "")
        .into_iter()
        .filter(|c| c != "JZ-001" && c != "JZ-003")
        .collect();
    for code in codes {
        // Merges and segment reuse free space between writes: the disk stays full for each.
        fill(disk.path());
        let (s, b) = propose(&editor, &code, "满盘时提出", &reason).await;
        if s >= 500 {
            failed = Some(code);
            break;
        }
        assert_eq!(s, 201, "{b}");
    }
    let failed = failed.expect("a write fails on a full disk");
    let (s, b) = reviewer
        .post(
            &format!("/api/v1/proposals/{before_full}/approve"),
            json!({}),
        )
        .await;
    assert!(s >= 500, "an approval on a full disk: {s} {b}");
    let (s, h) = health(&app).await;
    assert_eq!(s, 503, "{h}");
    assert_eq!(
        (&h["status"], &h["store"]),
        (&json!("degraded"), &json!("unwritable")),
        "{h}"
    );
    let message = h["error"]["message"].as_str().unwrap();
    assert!(message.contains("数据库无法写入"), "{message}");
    // Reads keep answering: from the open database, or with an error where sled refuses a read
    // that would finish a split its failed write cut short. Never a hang.
    for path in [
        "/api/v1/indicators/JZ-003",
        "/indicators/JZ-003",
        "/api/v1/search?q=%E4%BD%8E%E4%BF%9D",
    ] {
        let s = app.get(path).await.status().as_u16();
        assert!(s == 200 || s == 500, "{path} on a full disk: {s}");
    }
    std::fs::remove_file(filler).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (s, h) = health(&app).await;
        if s == 200 {
            assert_eq!(h["status"], "ok", "{h}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "still degraded with room on the disk: {h}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Reads and writes work again, without a restart; the writes that failed never happened.
    let reads = [
        "/api/v1/indicators/JZ-001",
        "/indicators/JZ-001",
        "/api/v1/search?q=%E4%BD%8E%E4%BF%9D",
    ];
    assert_reads_answer(&app, &reads, "after the disk has room").await;
    let (_, ind) = app.json("/api/v1/indicators/JZ-001").await;
    assert_ne!(ind["indicator"]["data_source"], "满盘前提出", "{ind}");
    assert_eq!(
        app.app.store.open_proposal_on(&failed).unwrap(),
        None,
        "the proposal answered with an error on {failed} is not kept"
    );
    let (s, b) = reviewer
        .post(
            &format!("/api/v1/proposals/{before_full}/approve"),
            json!({}),
        )
        .await;
    assert_eq!(
        (s, &b["search_index"]["status"]),
        (200, &json!("current")),
        "{b}"
    );
    let (_, ind) = app.json("/api/v1/indicators/JZ-001").await;
    assert_eq!(ind["indicator"]["data_source"], "满盘前提出", "{ind}");
    assert_eq!(
        app.app.search.get("JZ-001").unwrap().data_source,
        "满盘前提出"
    );
    for code in ["JZ-001", failed.as_str()] {
        let (s, p) = propose(&editor, code, "恢复后提出", "磁盘测试").await;
        assert_eq!(s, 201, "{code} takes a new proposal: {p}");
    }
}

/// A value too large for sled's log buffers goes to a blob file; when that file cannot be
/// written, sled can never write again in this process and reads that need the lost write wait
/// forever (see `store/flush.rs`). The server then exits (status 75) for its supervisor to
/// restart it, rather than hang; a restart once the disk has room serves everything again. The
/// server runs as a child process here, so that it can exit.
#[tokio::test]
async fn a_large_write_on_a_full_disk_never_leaves_the_server_hanging() {
    let Some(disk) = Tmpfs::mount("48m") else {
        return;
    };
    let data = disk.path().join("data");
    cli(&data, &["user", "add", "editor", "--role", "editor"]);
    let token = cli(&data, &["user", "token", "editor"]).trim().to_string();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let propose = |addr: &str, code: &str, reason: String| {
        client
            .post(format!("{addr}/api/v1/proposals"))
            .bearer_auth(&token)
            .json(&json!({ "kind": "edit", "code": code,
                           "indicator": { "data_source": "满盘时提出" }, "reason": reason }))
            .send()
    };
    let mut server = serve(&data);
    let huge = "磁盘已满时提出的大段修改理由。".repeat(20_000);
    let filler = disk.path().join("filler");
    let mut answers = Vec::new();
    for (code, reason) in [
        ("JZ-001", huge),
        ("JZ-002", "小修改".into()),
        ("JZ-003", "小修改".into()),
    ] {
        // Fill again before each write: a merge of the index or sled's reuse of a segment
        // frees a little room, enough for a small write to succeed.
        fill(disk.path());
        match propose(&server.base, code, reason).await {
            Ok(r) => {
                let s = r.status().as_u16();
                assert!(s == 201 || s >= 500, "{code}: {s}");
                answers.push(format!("{code}: {s}"));
            }
            // The server exited while answering.
            Err(e) => {
                assert!(!e.is_timeout(), "{code} hung: {e}");
                answers.push(format!("{code}: {e}"));
            }
        }
    }
    // Either the store says it cannot write (health), or the server exits. A stuck store is
    // noticed by a watchdog that polls, so "stuck" is a state on the way to the exit.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut last_health = Value::Null;
    let exited = loop {
        if let Some(status) = server.proc.try_wait().unwrap() {
            assert_eq!(status.code(), Some(75), "exit status of a stuck store");
            break true;
        }
        if let Ok(r) = client.get(format!("{}/healthz", server.base)).send().await {
            last_health = r.json().await.unwrap_or(Value::Null);
            if last_health["store"] == "unwritable" {
                break false;
            }
        }
        assert!(
            Instant::now() < deadline,
            "neither degraded nor exited; writes answered {answers:?}, health {last_health}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    std::fs::remove_file(filler).unwrap();
    if exited {
        eprintln!("sled was stuck after the failed blob write: the server exited; restarting it");
        server = serve(&data);
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while client
        .get(format!("{}/healthz", server.base))
        .send()
        .await
        .map_or(true, |r| r.status() != 200)
    {
        assert!(Instant::now() < deadline, "not healthy again");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let r = client
        .get(format!("{}/api/v1/indicators/JZ-004", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = propose(&server.base, "JZ-005", "恢复后提出".into())
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    server.proc.kill().unwrap();
    server.proc.wait().unwrap();
}

/// The library files of `from` in `to`, without the previous editions kept under `editions/`.
fn copy_without_editions(from: &std::path::Path, to: &std::path::Path) {
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            if e.file_name() != "editions" {
                std::fs::create_dir_all(&target).unwrap();
                copy_without_editions(&e.path(), &target);
            }
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}
