//! Durability and rebuilds: a process killed mid-load leaves the store either untouched or
//! complete, and a vocabulary change rebuilds the index so documents are found under it.

use crate::helpers::{run_cli as cli, serve};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;
use zhibiao::app::App;
use zhibiao::config::Config;
use zhibiao::search::SearchRequest;
use zhibiao::store::Store;

/// Every state a reader can find after a crash must be one of the two consistent ones.
fn assert_consistent(data: &Path, expected: usize) -> bool {
    let store = Store::open(&data.join("store"), 16 << 20).expect("the store opens after a kill");
    let Some(catalog) = store.catalog().unwrap() else {
        assert!(
            store.indicators().unwrap().is_empty(),
            "indicators without a catalog"
        );
        assert_eq!(store.generation().unwrap(), 0);
        return false;
    };
    let inds = store.indicators().unwrap();
    assert_eq!(inds.len(), expected, "a half-applied load");
    for i in inds.iter().step_by(97) {
        let revs = store.revisions(i.code.as_str()).unwrap();
        assert_eq!(
            revs.last().map(|r| &r.indicator),
            Some(i),
            "{} current ≠ last revision",
            i.code
        );
    }
    let ed = store
        .edition(&catalog.edition)
        .unwrap()
        .expect("the edition was frozen with the load");
    assert_eq!(ed.members.len(), expected);
    true
}

#[test]
fn a_kill_during_the_first_load_leaves_the_store_empty_or_complete() {
    let expected = zhibiao::app::load_checked(&Config::for_tests(Path::new("x")).library)
        .unwrap()
        .indicators
        .len();
    let mut complete = 0;
    for (i, delay_ms) in [5u64, 20, 40, 60, 80, 120, 160, 250]
        .into_iter()
        .enumerate()
    {
        let data = tempfile::tempdir().unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_zhibiao"))
            .arg("--data-dir")
            .arg(data.path())
            .args(["serve", "--bind", "127.0.0.1:0"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms * (1 + i as u64 % 2)));
        child.kill().unwrap(); // SIGKILL: no destructor, no flush
        child.wait().unwrap();
        if data.path().join("store").exists() && assert_consistent(data.path(), expected) {
            complete += 1;
        }
        // And the app starts on whatever was left, serving the whole library.
        let app = App::open(Config::for_tests(data.path())).expect("restart after a kill");
        assert_eq!(app.search.len(), expected);
    }
    eprintln!("{complete} of 8 kills came after the load had committed");
}

#[test]
fn a_vocabulary_change_rebuilds_the_index_and_its_words_are_found() {
    let data = tempfile::tempdir().unwrap();
    let vocab = tempfile::tempdir().unwrap();
    let bundled = zhibiao::search::vocab::default_dir();
    for f in ["user_dict.txt", "synonyms.txt", "stop_words.txt"] {
        std::fs::copy(bundled.join(f), vocab.path().join(f)).unwrap();
    }
    let mut config = Config::for_tests(data.path());
    config.vocab_dir = vocab.path().to_path_buf();
    let first = App::open(config.clone()).unwrap();
    assert!(first.rebuilt_index);
    drop(first);
    let again = App::open(config.clone()).unwrap();
    assert!(
        !again.rebuilt_index,
        "an unchanged vocabulary reuses the index"
    );
    drop(again);

    // 改造提升 is no dictionary word: jieba splits it, so as a query it is two words.
    let dict = vocab.path().join("user_dict.txt");
    let mut text = std::fs::read_to_string(&dict).unwrap();
    text.push_str("\n改造提升 3000 n\n");
    std::fs::write(&dict, text).unwrap();
    let app = App::open(config).unwrap();
    assert!(app.rebuilt_index, "a changed vocabulary rebuilds the index");
    let mut req = SearchRequest::new("改造提升");
    req.explain = true;
    req.limit = 50;
    let res = app.search.search(&req).unwrap();
    assert!(res.total > 0);
    for h in res
        .hits
        .iter()
        .filter(|h| h.indicator.name.contains("改造提升"))
    {
        assert!(
            h.explain
                .iter()
                .any(|e| e.starts_with("词语（名称）改造提升")),
            "{} was not found as the new word: {:?}",
            h.indicator.name,
            h.explain
        );
    }
}

#[tokio::test]
async fn a_kill_during_an_approval_applies_the_whole_batch_or_none_of_it() {
    let data = tempfile::tempdir().unwrap();
    cli(data.path(), &["user", "add", "editor", "--role", "editor"]);
    cli(
        data.path(),
        &["user", "add", "reviewer", "--role", "reviewer"],
    );
    let editor = cli(data.path(), &["user", "token", "editor"])
        .trim()
        .to_string();
    let reviewer = cli(data.path(), &["user", "token", "reviewer"])
        .trim()
        .to_string();
    let codes: Vec<String> = zhibiao::app::load_checked(&Config::for_tests(data.path()).library)
        .unwrap()
        .indicators
        .iter()
        .map(|i| i.code.to_string())
        .collect();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let (mut applied, mut untouched) = (0, 0);
    for (round, delay_ms) in [0u64, 15, 40, 80, 150, 300, 600, 1500]
        .into_iter()
        .enumerate()
    {
        let source = format!("批量修订后的数据来源（第 {round} 轮）");
        let mut csv = String::from("编码,指标名称,数据来源\n");
        for c in &codes {
            csv.push_str(&format!("{c},,{source}\n"));
        }
        let server = serve(data.path());
        let base = server.base.clone();
        let r = client
            .post(format!("{base}/api/v1/import?dry_run=false&file=all.csv"))
            .bearer_auth(&editor)
            .body(csv)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let report: serde_json::Value = r.json().await.unwrap();
        let id = report["proposal"].as_u64().unwrap();
        assert_eq!(report["changed"].as_u64(), Some(codes.len() as u64));
        let approve = client
            .post(format!("{base}/api/v1/proposals/{id}/approve"))
            .bearer_auth(&reviewer)
            .send();
        let mut server = server;
        let killer = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(delay_ms));
            server.proc.kill().unwrap(); // SIGKILL mid-approval
            server.proc.wait().unwrap();
        });
        let _ = approve.await; // the connection may die with the server
        killer.join().unwrap();

        let store = Store::open(&data.path().join("store"), 16 << 20).unwrap();
        let inds = store.indicators().unwrap();
        let changed = inds.iter().filter(|i| i.data_source == source).count();
        let p = store.proposal(id).unwrap().unwrap();
        match changed {
            0 => {
                assert!(p.is_open(), "nothing applied, the proposal stays open");
                untouched += 1;
            }
            n if n == codes.len() => {
                assert_eq!(p.state, zhibiao::domain::ProposalState::Approved);
                applied += 1;
            }
            n => panic!("a half-applied batch: {n} of {}", codes.len()),
        }
        for i in inds.iter().step_by(53) {
            let revs = store.revisions(i.code.as_str()).unwrap();
            assert_eq!(revs.last().map(|r| &r.indicator), Some(i));
        }
        // An open proposal left by the kill is withdrawn so the next round can propose again.
        if p.is_open() {
            store
                .decide(
                    zhibiao::store::Decision {
                        id: p.id,
                        state: zhibiao::domain::ProposalState::Withdrawn,
                        by: None,
                        comment: String::new(),
                    },
                    zhibiao::domain::AuditEntry {
                        seq: 0,
                        at: chrono::Utc::now(),
                        actor: "test".into(),
                        action: "撤回".into(),
                        target: String::new(),
                        detail: String::new(),
                        address: "-".into(),
                    },
                )
                .unwrap();
        }
        drop(store);
        // The restarted server's index agrees with the store.
        let server = serve(data.path());
        let r: serde_json::Value = client
            .get(format!("{}/api/v1/indicators/{}", server.base, codes[0]))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            r["indicator"]["data_source"] == source.as_str(),
            changed == codes.len()
        );
        drop(server); // kills it
    }
    eprintln!("{applied} approvals committed before the kill, {untouched} left nothing");
    assert_eq!(applied + untouched, 8);
}
