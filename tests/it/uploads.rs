//! Hostile uploads: sparse sheets, zip bombs, shared-string bombs and oversized CSV, sent to every
//! import route of a real server process, which must refuse each with a 4xx naming the limit,
//! keep serving, and stay within 200 MB of the memory it had before.

use super::helpers::{ServerProcess, run_cli};
use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};
use zip::write::SimpleFileOptions;

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>"#;
const RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
const WORKBOOK: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="绩效目标申报表" sheetId="1" r:id="rId1"/></sheets></workbook>"#;
const WORKBOOK_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#;
const SHEET_HEAD: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">"#;

/// A one-sheet workbook zipped by hand: the sheet and the shared strings are written by the
/// callbacks in chunks, so a part of hundreds of MB never sits in the test's memory.
pub fn workbook(
    sheet: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
    shared: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Vec<u8> {
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let deflated =
        SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, text) in [
        ("[Content_Types].xml", CONTENT_TYPES),
        ("_rels/.rels", RELS),
        ("xl/workbook.xml", WORKBOOK),
        ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
    ] {
        z.start_file(name, deflated).unwrap();
        z.write_all(text.as_bytes()).unwrap();
    }
    z.start_file("xl/worksheets/sheet1.xml", deflated).unwrap();
    sheet(&mut z).unwrap();
    z.start_file("xl/sharedStrings.xml", deflated).unwrap();
    shared(&mut z).unwrap();
    z.finish().unwrap().into_inner()
}

fn no_strings(w: &mut dyn Write) -> std::io::Result<()> {
    w.write_all(
        br#"<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="0" uniqueCount="0"></sst>"#,
    )
}

/// Only A1 and XFD1048576, and a declared dimension of the whole sheet (1.6 KB).
pub fn sparse_sheet() -> Vec<u8> {
    workbook(
        |w| {
            write!(
                w,
                r#"{SHEET_HEAD}<dimension ref="A1:XFD1048576"/><sheetData><row r="1"><c r="A1"><v>1</v></c></row><row r="1048576"><c r="XFD1048576"><v>2</v></c></row></sheetData></worksheet>"#
            )
        },
        no_strings,
    )
}

/// The same two cells without a `dimension`: only the cells' positions give them away.
pub fn sparse_cells() -> Vec<u8> {
    workbook(
        |w| {
            write!(
                w,
                r#"{SHEET_HEAD}<sheetData><row r="1"><c r="A1"><v>1</v></c></row><row r="1048576"><c r="XFD1048576"><v>2</v></c></row></sheetData></worksheet>"#
            )
        },
        no_strings,
    )
}

/// About 280 MB of sheet XML (a million rows of 18 numbers) deflated to a few hundred KB.
pub fn sheet_bomb() -> Vec<u8> {
    workbook(
        |w| {
            w.write_all(SHEET_HEAD.as_bytes())?;
            w.write_all(b"<sheetData>")?;
            let row = format!("<row>{}</row>", "<c><v>1</v></c>".repeat(18));
            let chunk = row.repeat(1000);
            for _ in 0..1000 {
                w.write_all(chunk.as_bytes())?;
            }
            w.write_all(b"</sheetData></worksheet>")
        },
        no_strings,
    )
}

/// About 340 MB of shared strings deflated to a few hundred KB.
pub fn strings_bomb() -> Vec<u8> {
    workbook(
        |w| write!(w, r#"{SHEET_HEAD}<sheetData/></worksheet>"#),
        |w| {
            w.write_all(
                br#"<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">"#,
            )?;
            let chunk = "<si><t>a</t></si>".repeat(10_000);
            for _ in 0..2_000 {
                w.write_all(chunk.as_bytes())?;
            }
            w.write_all(b"</sst>")
        },
    )
}

/// One shared string that claims four billion: calamine reserves room for what it claims.
pub fn strings_claim() -> Vec<u8> {
    workbook(
        |w| write!(w, r#"{SHEET_HEAD}<sheetData/></worksheet>"#),
        |w| {
            w.write_all(
                br#"<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="4294967295"><si><t>a</t></si></sst>"#,
            )
        },
    )
}

/// 150,000 rows of distinct numbers: an ordinary compression ratio, too many rows.
pub fn long_sheet() -> Vec<u8> {
    workbook(
        |w| {
            w.write_all(SHEET_HEAD.as_bytes())?;
            w.write_all(b"<sheetData>")?;
            for r in 1..=150_000u32 {
                write!(
                    w,
                    r#"<row r="{r}"><c r="A{r}"><v>{}</v></c></row>"#,
                    r.wrapping_mul(2_654_435_761)
                )?;
            }
            w.write_all(b"</sheetData></worksheet>")
        },
        no_strings,
    )
}

pub fn csv_many_rows() -> Vec<u8> {
    "a\n".repeat(6_000_000).into_bytes()
}

pub fn csv_many_columns() -> Vec<u8> {
    let mut v = "a,".repeat(7_000_000).into_bytes();
    v.push(b'\n');
    v
}

pub fn csv_huge_field() -> Vec<u8> {
    let mut v = b"\xe9\xa1\xb9\xe7\x9b\xae\xe5\x90\x8d\xe7\xa7\xb0,\"".to_vec();
    v.extend(std::iter::repeat_n(b'x', 15 << 20));
    v.extend(b"\"\n");
    v
}

/// A server child process with an editor's API token, so its memory is its own.
struct Server {
    child: ServerProcess,
    base: String,
    token: String,
    client: reqwest::Client,
    _data: tempfile::TempDir,
}

impl Server {
    fn start() -> Server {
        let data = tempfile::tempdir().unwrap();
        run_cli(data.path(), &["user", "add", "editor", "--role", "editor"]);
        let token = run_cli(data.path(), &["user", "token", "editor"])
            .trim()
            .to_string();
        let child = ServerProcess::start(data.path(), &[]);
        Server {
            base: child.base.clone(),
            child,
            token,
            client: reqwest::Client::builder()
                .pool_max_idle_per_host(0)
                .cookie_store(true)
                .timeout(Duration::from_secs(120))
                .build()
                .unwrap(),
            _data: data,
        }
    }

    /// A line of `/proc/PID/status`, in MB.
    fn status_mb(&self, key: &str) -> u64 {
        let s = std::fs::read_to_string(format!("/proc/{}/status", self.child.proc.id()))
            .expect("the server process is alive");
        let kb: u64 = s
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.trim_start_matches(':').split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{key} in {s}"));
        kb / 1024
    }

    /// Forgets the process's peak resident size, so `VmHWM` is the peak from now on.
    fn reset_peak(&self) -> bool {
        std::fs::write(format!("/proc/{}/clear_refs", self.child.proc.id()), "5").is_ok()
    }

    async fn healthz(&self) -> Duration {
        let t = Instant::now();
        let r = self
            .client
            .get(format!("{}/healthz", self.base))
            .send()
            .await
            .expect("/healthz answers");
        assert_eq!(r.status(), 200);
        t.elapsed()
    }

    /// POSTs a file to an API route (with the editor's token); the status and the error code.
    async fn api(&self, route: &str, bytes: Vec<u8>) -> (u16, String) {
        let mut req = self
            .client
            .post(format!("{}{route}", self.base))
            .body(bytes);
        if !route.starts_with("/api/v1/drafts") {
            req = req.bearer_auth(&self.token);
        }
        let r = req.send().await.unwrap_or_else(|e| {
            panic!("{route}: no answer ({e}); the server process may have died")
        });
        let status = r.status().as_u16();
        let body: serde_json::Value = r
            .json()
            .await
            .unwrap_or_else(|e| panic!("{route}: {status} without a JSON body ({e})"));
        let code = body["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        (status, code)
    }

    /// Uploads a file through the anonymous draft import form, as a browser does.
    async fn draft_form(&self, bytes: Vec<u8>) -> (u16, String) {
        let page = self
            .client
            .get(format!("{}/drafts/new", self.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = page
            .split("name=\"csrf\" value=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .expect("the form carries a CSRF token")
            .to_string();
        let form = reqwest::multipart::Form::new().text("csrf", csrf).part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name("申报表.xlsx"),
        );
        let r = self
            .client
            .post(format!("{}/drafts/import", self.base))
            .multipart(form)
            .send()
            .await
            .expect("the form is answered");
        (r.status().as_u16(), r.text().await.unwrap())
    }
}

/// What a zip bomb runs into first: its ratio, or the inflated size of its entry or archive.
const BOMB: &[&str] = &["zip_ratio_too_high", "zip_entry_too_large", "zip_too_large"];
/// Shared strings are also held to the text limit.
const STRINGS_BOMB: &[&str] = &[
    "zip_ratio_too_high",
    "zip_entry_too_large",
    "zip_too_large",
    "text_too_large",
    "too_many_shared_strings",
];

const ROUTES: [&str; 3] = [
    "/api/v1/drafts/import",
    "/api/v1/evaluations/import?dry_run=true&file=upload.xlsx",
    "/api/v1/import?dry_run=true&file=upload.xlsx",
];

#[tokio::test]
async fn hostile_uploads_are_refused_by_limit_and_the_server_keeps_serving_in_bounded_memory() {
    let server = Server::start();
    server.healthz().await;
    // A real import first, so what every later request shares is already in memory.
    let demo = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("evaluations/demo/self-evaluations-2025.xlsx"),
    )
    .unwrap();
    let (s, _) = server.api(ROUTES[1], demo).await;
    assert_eq!(s, 200, "the demo file imports (dry run)");
    let rss_before = server.status_mb("VmRSS");
    let peak_reset = server.reset_peak();

    // (name, file, acceptable codes on the draft route, acceptable codes on the other routes)
    type Case = (
        &'static str,
        Vec<u8>,
        &'static [&'static str],
        &'static [&'static str],
    );
    let cases: Vec<Case> = vec![
        (
            "sparse sheet",
            sparse_sheet(),
            &["sheet_dimension_too_large"],
            &["sheet_dimension_too_large"],
        ),
        (
            "sparse cells",
            sparse_cells(),
            &["too_many_rows", "too_many_columns"],
            &["too_many_rows", "too_many_columns"],
        ),
        ("sheet bomb", sheet_bomb(), BOMB, BOMB),
        (
            "shared strings bomb",
            strings_bomb(),
            STRINGS_BOMB,
            STRINGS_BOMB,
        ),
        (
            "shared strings claim",
            strings_claim(),
            &["too_many_shared_strings"],
            &["too_many_shared_strings"],
        ),
        (
            "long sheet",
            long_sheet(),
            &["too_many_rows"],
            &["too_many_rows"],
        ),
        (
            "CSV of millions of rows",
            csv_many_rows(),
            &["upload_too_large"],
            &["too_many_rows"],
        ),
        (
            "CSV of millions of columns",
            csv_many_columns(),
            &["upload_too_large"],
            &["too_many_columns"],
        ),
        (
            "CSV with a 15 MB field",
            csv_huge_field(),
            &["upload_too_large"],
            &["cell_too_long"],
        ),
    ];
    let mut peak = rss_before;
    for (name, bytes, draft_codes, other_codes) in &cases {
        server.reset_peak();
        let ext = if bytes.starts_with(b"PK") {
            "xlsx"
        } else {
            "csv"
        };
        for route in ROUTES {
            let route = route.replace("upload.xlsx", &format!("upload.{ext}"));
            let route = route.as_str();
            let (status, code) = server.api(route, bytes.clone()).await;
            let expected = if route == ROUTES[0] {
                draft_codes
            } else {
                other_codes
            };
            assert!(
                matches!(status, 413 | 422) && expected.contains(&code.as_str()),
                "{name} on {route}: {status} {code}, expected 413/422 with one of {expected:?}"
            );
            server.healthz().await;
        }
        let case_peak = server.status_mb("VmHWM");
        eprintln!("{name}: {} bytes, peak {case_peak} MB", bytes.len());
        peak = peak.max(case_peak);
    }
    for (name, bytes) in [
        ("sparse sheet", sparse_sheet()),
        ("sheet bomb", sheet_bomb()),
    ] {
        let (status, page) = server.draft_form(bytes).await;
        assert!(
            matches!(status, 413 | 422) && page.contains("上限"),
            "{name} on the import form: {status} {page}"
        );
    }

    // Four bombs at once while /healthz is asked every 50 ms.
    let bomb = sheet_bomb();
    let attacks =
        futures_util::future::join_all((0..4).map(|_| server.api(ROUTES[0], bomb.clone())));
    let probe = async {
        let mut worst = Duration::ZERO;
        for _ in 0..20 {
            worst = worst.max(server.healthz().await);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        worst
    };
    let (answers, worst) = tokio::join!(attacks, probe);
    for (status, code) in answers {
        assert!(
            status == 413 && BOMB.contains(&code.as_str()),
            "{status} {code}"
        );
    }
    eprintln!("slowest /healthz while four bombs were parsed: {worst:?}");

    let rss_after = server.status_mb("VmRSS");
    let peak = if peak_reset {
        peak.max(server.status_mb("VmHWM"))
    } else {
        rss_after
    };
    eprintln!("RSS before {rss_before} MB, after {rss_after} MB, peak {peak} MB");
    assert!(
        peak.saturating_sub(rss_before) < 200,
        "memory grew from {rss_before} MB to a peak of {peak} MB"
    );
    // And it still imports real files.
    let demo = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("evaluations/demo/self-evaluations-2024.csv"),
    )
    .unwrap();
    let (s, code) = server
        .api(
            "/api/v1/evaluations/import?dry_run=true&file=self-evaluations-2024.csv",
            demo,
        )
        .await;
    assert_eq!((s, code.as_str()), (200, ""));
}

#[tokio::test]
async fn an_upload_waits_for_a_free_parse_slot() {
    let app = super::helpers::fresh_app();
    let r = app
        .client
        .post(app.url("/api/v1/drafts"))
        .json(&serde_json::json!({ "project_name": "黑臭水体治理", "description": "整治 3 条黑臭河道" }))
        .send()
        .await
        .unwrap();
    let id = r.json::<serde_json::Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let xlsx = app
        .get(&format!("/drafts/{id}/export.xlsx"))
        .await
        .bytes()
        .await
        .unwrap()
        .to_vec();
    // Every slot taken, as by parses still running.
    let slots = app.app.config.uploads.parallel_parses as u32;
    let held = app
        .app
        .parses
        .clone()
        .acquire_many_owned(slots)
        .await
        .unwrap();
    let url = app.url("/api/v1/drafts/import");
    let client = app.client.clone();
    let upload = tokio::spawn(async move {
        let r = client.post(url).body(xlsx).send().await.unwrap();
        r.status().as_u16()
    });
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(
        !upload.is_finished(),
        "the upload waits while no slot is free"
    );
    drop(held);
    assert_eq!(upload.await.unwrap(), 201, "and is imported once one is");
}

#[tokio::test]
async fn limits_are_settings_read_at_start_and_named_in_the_answer() {
    // A lowered row limit, in the configuration an embedding program or a test builds.
    let dir = tempfile::tempdir().unwrap();
    let mut config = zhibiao::config::Config::for_tests(dir.path());
    config.uploads.sheet.rows = 500;
    let app = super::helpers::start(config, Some(dir));
    let demo = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("evaluations/demo/self-evaluations-2025.xlsx"),
    )
    .unwrap();
    let (status, body) = app.post_bytes("/api/v1/drafts/import", demo).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("sheet_dimension_too_large")),
        "{body}"
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("最多 500 行"),
        "{body}"
    );

    // The same settings from the environment, as `zhibiao serve` reads them.
    let data = tempfile::tempdir().unwrap();
    let child = ServerProcess::start(data.path(), &[("ZHIBIAO_MAX_UPLOAD_BYTES", "1000")]);
    let r = reqwest::Client::new()
        .post(format!("{}/api/v1/drafts/import", child.base))
        .body(vec![b'x'; 2000])
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let body: serde_json::Value = r.json().await.unwrap();
    drop(child);
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (413, Some("upload_too_large"))
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("1000 字节"),
        "{body}"
    );

    // A setting that is not a positive whole number stops the server with its name.
    let out = Command::new(env!("CARGO_BIN_EXE_zhibiao"))
        .arg("--data-dir")
        .arg(data.path())
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("ZHIBIAO_MAX_ROWS", "十万")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("ZHIBIAO_MAX_ROWS"));
}
