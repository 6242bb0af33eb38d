//! Edition 2026.2 released through curation: a new server tells both editions; a store left on
//! 2026.1 is upgraded at start, keeping a curator's revision, with retired indicators pointing to
//! their replacements in the API, on their pages and beside a draft that still uses them.

use crate::helpers::{TestApp, fresh_app, start};
use serde_json::Value;
use std::path::Path;
use zhibiao::config::Config;
use zhibiao::domain::{Draft, DraftProject, DraftRow, Indicator, Term};
use zhibiao::ingest::library;
use zhibiao::store::{ChangeMeta, Commit, DraftQuota, Store};

const RETIRED: &str = "XX-018";
const REPLACEMENT: &str = "GX-XH-009";
const CURATED: &str = "DL-008";
const RETIRED_EARLY: &str = "XX-010";
const CURATED_SOURCE: &str = "区建设工程质量监督站检测报告（审核人员补充）";

fn previous_files() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("indicators/editions/2026.1")
}

/// A data directory as a server on edition 2026.1 left it: the 2026.1 files loaded, a curator's
/// approved revision of DL-008 (its data source), and a unit's draft using XX-018.
fn store_on_2026_1(config: &Config) -> String {
    std::fs::create_dir_all(&config.data_dir).unwrap();
    let store = Store::open(&config.store_dir(), 8 << 20).unwrap();
    let lib = library::load_published(&previous_files()).unwrap();
    assert_eq!(lib.catalog.edition, "2026.1");
    assert_eq!(lib.catalog.project_types.len(), 38);
    assert_eq!(lib.indicators.len(), 1207);
    store.sync_library(lib, "指标库文件").unwrap();
    let mut curated: Indicator = store.indicator(CURATED).unwrap().unwrap();
    curated.data_source = CURATED_SOURCE.into();
    // Retired on 2026.1 already, without a replacement: the release adds the one it names.
    let mut early = store.indicator(RETIRED_EARLY).unwrap().unwrap();
    early.status = zhibiao::domain::Status::Retired { replaced_by: None };
    store
        .commit(
            Commit {
                changes: vec![curated, early],
                ..Commit::default()
            },
            &ChangeMeta {
                author: "editor".into(),
                reviewer: Some("reviewer".into()),
                reason: "数据来源写明检测机构".into(),
            },
        )
        .unwrap();
    assert_eq!(store.last_revision(CURATED).unwrap(), 2);
    let now = chrono::Utc::now();
    let row = |code: &str, name: &str, unit: &str| DraftRow {
        level1: "产出指标".into(),
        level2: "数量指标".into(),
        name: name.into(),
        indicator: Some(code.into()),
        revision: Some(1),
        direction: zhibiao::domain::Direction::parse("≤").unwrap(),
        target: "15".into(),
        unit: unit.into(),
        explanation: String::new(),
        confirmed: false,
    };
    let draft = Draft {
        id: "release-upgrade-draft-0001".into(),
        project: DraftProject {
            name: "区政务服务平台建设".into(),
            unit_name: "区数据局".into(),
            description: String::new(),
            project_type: Some("it_system".into()),
            budget_wan: Some(300.0),
            year: Some(2026),
            term: Term::Annual,
            ..Default::default()
        },
        rows: vec![
            row(RETIRED, "年运维费用占建设投资比例", "%"),
            row("XX-001", "系统建设功能模块数", "个"),
        ],
        owner: None,
        created: now,
        updated: now,
    };
    store
        .save_draft(
            &draft,
            &DraftQuota {
                max_bytes: 1 << 20,
                total_bytes: 1 << 30,
            },
        )
        .unwrap();
    draft.id
}

/// The editions the API lists, oldest first.
async fn edition_names(app: &TestApp) -> Vec<String> {
    let (s, eds) = app.json("/api/v1/editions").await;
    assert_eq!(s, 200);
    eds["editions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap().to_string())
        .collect()
}

fn kinds(notes: &Value) -> Vec<String> {
    let mut k: Vec<String> = notes
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap().to_string())
        .collect();
    k.sort();
    k.dedup();
    k
}

#[tokio::test]
async fn a_store_on_2026_1_is_upgraded_through_approved_proposals_keeping_a_curators_revision() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config::for_tests(dir.path());
    let draft = store_on_2026_1(&config);
    let app = start(config, Some(dir));

    // Both editions, 2026.2 frozen after 2026.1 and current.
    assert_eq!(edition_names(&app).await, vec!["2026.1", "2026.2"]);
    let (_, ed) = app.json("/api/v1/editions/2026.2").await;
    assert_eq!(ed["previous"], "2026.1");
    assert_eq!(
        kinds(&ed["notes"]),
        vec!["immaterial", "material", "new", "retired"]
    );
    let (_, old) = app.json("/api/v1/editions/2026.1").await;
    assert_eq!(old["indicators"], 1207);

    // Every change went through proposals, all approved by the release reviewer, none left open.
    let proposals = app.app.store.proposals(None).unwrap();
    assert!(proposals.len() > 30, "{}", proposals.len());
    assert!(proposals.iter().all(|p| p.author == "指标库文件"
        && p.state == zhibiao::domain::ProposalState::Approved
        && p.decided_by.as_deref() == Some("版本发布-2026.2")));

    // The curator's revision survives: its field stays, the files' own change comes on top.
    let files = library::load_dir(&library::default_dir()).unwrap();
    let in_files = files
        .indicators
        .iter()
        .find(|i| i.code.as_str() == CURATED)
        .unwrap();
    let (_, ind) = app.json(&format!("/api/v1/indicators/{CURATED}")).await;
    assert_eq!(ind["indicator"]["data_source"], CURATED_SOURCE);
    assert_eq!(ind["indicator"]["basis_doc"], in_files.basis_doc.as_str());
    assert_ne!(in_files.data_source, CURATED_SOURCE);
    let revs = ind["revisions"].as_array().unwrap();
    assert_eq!(revs.len(), 3, "files 2026.1, curator, release 2026.2");
    assert_eq!(revs[1]["author"], "editor");
    assert_eq!(revs[2]["author"], "指标库文件");
    assert_eq!(ind["retired"], Value::Null);
    let report = app.app.release.as_ref().unwrap();
    assert!(report.kept_curated.iter().any(|c| c == CURATED));

    // The retired indicator points to its replacement in the API ...
    let (_, gone) = app.json(&format!("/api/v1/indicators/{RETIRED}")).await;
    assert_eq!(
        gone["indicator"]["status"]["replaced_by"], REPLACEMENT,
        "{}",
        gone["indicator"]["status"]
    );
    assert_eq!(gone["retired"]["edition"], "2026.2");
    assert_eq!(gone["retired"]["replaced_by"], REPLACEMENT);
    let message = gone["retired"]["message"].as_str().unwrap().to_string();
    assert!(
        message.starts_with(&format!("该指标已在 2026.2 版停用，由 {REPLACEMENT} 代替")),
        "{message}"
    );
    let last = gone["revision"].as_u64().unwrap();
    assert!(
        gone["revisions"][last as usize - 1]["reason"]
            .as_str()
            .unwrap()
            .contains("运维费占建设投资比例")
    );

    let (_, early) = app
        .json(&format!("/api/v1/indicators/{RETIRED_EARLY}"))
        .await;
    assert_eq!(
        early["retired"]["replaced_by"], "GX-XH-005",
        "{}",
        early["retired"]
    );

    // ... and on its pages: an old link leads to the replacement, which says why.
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = client
        .get(app.url(&format!("/indicators/{RETIRED}")))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_redirection());
    let to = r.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(to, format!("/indicators/{REPLACEMENT}?from={RETIRED}"));
    let page = app.get(&to).await.text().await.unwrap();
    assert!(page.contains(&message), "the replacement's page tells");
    let page = app
        .get(&format!("/indicators/{RETIRED}/r/{last}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains(&message), "the retired revision's page tells");

    // A draft written on 2026.1 with the retired indicator shows the change beside its row.
    let (s, d) = app.json(&format!("/api/v1/drafts/{draft}")).await;
    assert_eq!(s, 200, "{d}");
    let findings: Vec<&Value> = d["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "retired-indicator")
        .collect();
    assert_eq!(findings.len(), 1, "{}", d["findings"]);
    assert_eq!(findings[0]["row"], 0);
    assert_eq!(findings[0]["message"], message.as_str());
    let page = app
        .get(&format!("/drafts/{draft}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains(&message));
}

#[tokio::test]
async fn a_new_server_tells_both_editions_with_2026_2_current() {
    let app = fresh_app();
    assert_eq!(edition_names(&app).await, vec!["2026.1", "2026.2"]);
    let page = app.get("/editions").await.text().await.unwrap();
    assert!(page.contains("2026.1") && page.contains("2026.2"));
    let (_, ind) = app.json("/api/v1/indicators/DL-001").await;
    assert_eq!(ind["edition"], "2026.2");
    // Every indicator of the files is in 2026.2 as the files give it.
    let files = library::load_dir(&library::default_dir()).unwrap();
    let ed = app.app.store.edition("2026.2").unwrap().unwrap();
    for i in &files.indicators {
        let n = ed.revision_of(i.code.as_str()).unwrap();
        let r = app.app.store.revision(i.code.as_str(), n).unwrap().unwrap();
        assert_eq!(&r.indicator, i, "{}", i.code);
    }
}

/// `zhibiao release` writes the notes into a CHANGELOG in place of "Unreleased"; a second run
/// writes the same text.
#[test]
fn the_release_command_writes_the_same_notes_twice() {
    let data = tempfile::tempdir().unwrap();
    let log = data.path().join("CHANGELOG.md");
    std::fs::write(
        &log,
        "# 版本记录\n\n## Unreleased (next edition)\n\n- 待发布\n\n## 2026.1\n\nFirst edition.\n",
    )
    .unwrap();
    let run = || {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_zhibiao"))
            .arg("--data-dir")
            .arg(data.path().join("data"))
            .args(["release", "2026.2", "--changelog"])
            .arg(&log)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        std::fs::read_to_string(&log).unwrap()
    };
    let first = run();
    assert!(!first.contains("Unreleased") && first.contains("## 2026.1\n\nFirst edition."));
    for heading in ["### 新增", "### 实质性修改", "### 非实质性修改", "### 停用"] {
        assert!(first.contains(heading), "{heading}");
    }
    assert!(first.contains(&format!(
        "{RETIRED} 年运维费用占建设投资比例，由 {REPLACEMENT}"
    )));
    assert_eq!(run(), first);
    let wrong = std::process::Command::new(env!("CARGO_BIN_EXE_zhibiao"))
        .arg("--data-dir")
        .arg(data.path().join("data"))
        .args(["release", "2027.1"])
        .output()
        .unwrap();
    assert!(!wrong.status.success());
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("library.toml"));
}
