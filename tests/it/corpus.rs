//! Serving an external corpus in the peers' JSONL format (`serve --library corpus.jsonl`): a
//! corpus larger than one write chunk is loaded whole and searchable, and a changed corpus is
//! applied as changes (new revisions, retirements) at the next start.

use crate::helpers::{enc, start};
use std::io::Write;
use std::path::Path;
use zhibiao::app::App;
use zhibiao::config::{Config, LibrarySource};

/// More than two of the store's 5,000-indicator write chunks.
const LINES: usize = 10_007;

fn write_corpus(path: &Path, name_of: impl Fn(usize) -> Option<String>) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for i in 0..LINES {
        let Some(name) = name_of(i) else { continue };
        let line = serde_json::json!({
            "id": format!("ind-{i:06}"),
            "name": name,
            "definition": format!("第{i}项指标的定义"),
            "level1": "产出指标",
            "level2": "数量指标",
            "project_types": ["道路建设"],
            "unit": "%",
        });
        writeln!(f, "{line}").unwrap();
    }
    f.flush().unwrap();
}

fn config(data: &Path, corpus: &Path) -> Config {
    let mut c = Config::for_tests(data);
    c.library = LibrarySource::Corpus(corpus.to_path_buf());
    c
}

fn name(i: usize) -> String {
    format!("第{i}号路段养护完成率")
}

#[tokio::test]
async fn a_corpus_larger_than_one_write_chunk_is_served_whole() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus.jsonl");
    write_corpus(&corpus, |i| Some(name(i)));
    let app = start(config(&dir.path().join("data"), &corpus), Some(dir));
    let (status, body) = app
        .json(&format!(
            "/api/v1/search?q={}&limit=3",
            enc(&name(LINES - 1))
        ))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["total"].as_u64().map(|n| n > 0), Some(true), "{body}");
    assert_eq!(
        body["hits"][0]["id"],
        format!("ind-{:06}", LINES - 1),
        "{body}"
    );
    let (_, all) = app
        .json(&format!(
            "/api/v1/search?level1={}&limit=1",
            enc("产出指标")
        ))
        .await;
    assert_eq!(all["total"], LINES as u64, "every line is indexed: {all}");
}

#[test]
fn a_changed_corpus_is_applied_as_changes_at_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus.jsonl");
    let data = dir.path().join("data");
    write_corpus(&corpus, |i| Some(name(i)));
    {
        let app = App::open(config(&data, &corpus)).unwrap();
        assert_eq!(app.sync.created, LINES);
        assert_eq!(app.store.revisions("ind-000007").unwrap().len(), 1);
    }
    // Line 7 renamed, line 9 gone, everything else as before.
    write_corpus(&corpus, |i| match i {
        7 => Some("第7号路段养护验收合格率".into()),
        9 => None,
        i => Some(name(i)),
    });
    let app = App::open(config(&data, &corpus)).unwrap();
    let s = &app.sync;
    assert_eq!(
        (s.created, s.changed, s.retired, s.unchanged),
        (0, 1, 1, LINES - 2),
        "{s:?}"
    );
    let revs = app.store.revisions("ind-000007").unwrap();
    assert_eq!(revs.len(), 2);
    assert_eq!(revs[1].indicator.name, "第7号路段养护验收合格率");
    let gone = app.store.indicator("ind-000009").unwrap().unwrap();
    assert!(
        !gone.is_active(),
        "a line gone from the corpus retires its indicator"
    );
    assert_eq!(app.store.last_revision("ind-000009").unwrap(), 2);
    let found = app
        .search
        .search(&zhibiao::search::SearchRequest::new("验收合格率"))
        .unwrap();
    assert_eq!(found.hits[0].indicator.code.as_str(), "ind-000007");
}
