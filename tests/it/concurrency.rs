//! Review under concurrency: proposals and approvals racing on the same indicators lose no
//! acknowledged change and write no revision or audit entry twice.

use crate::helpers::{Session, TestApp, active_codes, curation_app};
use serde_json::json;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use zhibiao::domain::ProposalState;

/// The audit entries of approvals, by proposal (`P12` → how many).
/// Approvals in the audit log by proposal, the release's own (edition 2026.2) left out.
fn approvals_audited(app: &TestApp) -> HashMap<String, usize> {
    let mut by_target = HashMap::new();
    for e in app.app.store.audit(0, usize::MAX).unwrap() {
        if e.action == "审核通过" && !e.actor.starts_with("版本发布") {
            *by_target.entry(e.target).or_insert(0) += 1;
        }
    }
    by_target
}

#[tokio::test]
async fn two_hundred_racing_proposals_and_approvals_lose_no_acknowledged_change() {
    let app = curation_app();
    let proposers = Arc::new([
        Session::login(&app, "editor").await,
        Session::login(&app, "admin").await,
    ]);
    let reviewers = Arc::new([
        Session::login(&app, "reviewer").await,
        Session::login(&app, "reviewer2").await,
    ]);
    let codes: Vec<String> = (1..=5).map(|n| format!("JZ-{n:03}")).collect();
    // The library's own revisions (editions 2026.1 and 2026.2) come before the test's.
    let library_revisions: HashMap<String, usize> = codes
        .iter()
        .map(|c| (c.clone(), app.app.store.revisions(c).unwrap().len()))
        .collect();
    // Each pair proposes a change of one field to a value of its own, then has it approved.
    let mut pairs = Vec::new();
    for i in 0..200usize {
        let (proposers, reviewers) = (proposers.clone(), reviewers.clone());
        let code = codes[i % codes.len()].clone();
        pairs.push(tokio::spawn(async move {
            let value = format!("并发审核测试来源第 {i} 号");
            let (s, p) = proposers[i % 2]
                .post(
                    "/api/v1/proposals",
                    json!({ "kind": "edit", "code": code, "indicator": { "data_source": value },
                            "reason": format!("并发测试 {i}") }),
                )
                .await;
            assert!(s == 201 || s == 409, "proposal {i}: {s} {p}");
            if s != 201 {
                return (code, value, None, None);
            }
            let id = p["id"].as_u64().unwrap();
            let (s, b) = reviewers[i % 2]
                .post(&format!("/api/v1/proposals/{id}/approve"), json!({}))
                .await;
            assert!(s == 200 || s == 409, "approval of P{id}: {s} {b}");
            (code, value, Some(id), Some(s))
        }));
    }
    let mut created = 0;
    let mut approved: BTreeMap<u64, (String, String)> = BTreeMap::new();
    for p in pairs {
        let (code, value, id, status) = p.await.unwrap();
        if let Some(id) = id {
            created += 1;
            if status == Some(200) {
                approved.insert(id, (code, value));
            }
        }
    }
    assert!(
        created >= codes.len(),
        "every code got a proposal: {created}"
    );
    // One open proposal per indicator: nothing can move an indicator between a proposal and its
    // approval, so every proposal acknowledged with 201 is approved.
    assert_eq!(
        approved.len(),
        created,
        "proposals accepted ({created}) but not all approved ({})",
        approved.len()
    );

    let store = &app.app.store;
    let audited = approvals_audited(&app);
    for (id, (code, value)) in &approved {
        assert_eq!(audited.get(&format!("P{id}")), Some(&1), "audit of P{id}");
        let p = store.proposal(*id).unwrap().unwrap();
        assert_eq!(p.state, ProposalState::Approved);
        let [(c, n)] = p.published.as_slice() else {
            panic!("P{id} published {:?}", p.published)
        };
        assert_eq!(c, code);
        let r = store
            .revision(code, *n)
            .unwrap()
            .unwrap_or_else(|| panic!("P{id}: {code} has no revision {n}"));
        assert_eq!(
            &r.indicator.data_source, value,
            "P{id}'s revision {code}/{n} holds another change"
        );
        assert!(r.reason.contains(&format!("P{id}")), "{}", r.reason);
    }
    assert_eq!(audited.values().sum::<usize>(), approved.len());
    for code in &codes {
        let revs = store.revisions(code).unwrap();
        let numbers: Vec<u32> = revs.iter().map(|r| r.number).collect();
        let expected: Vec<u32> = (1..=numbers.len() as u32).collect();
        assert_eq!(numbers, expected, "{code}: revisions numbered without gaps");
        let on_code = approved.values().filter(|(c, _)| c == code).count();
        assert_eq!(
            revs.len(),
            on_code + library_revisions[code],
            "{code}: one revision per approval ({on_code}) after the library's"
        );
        assert_eq!(
            store.indicator(code).unwrap().as_ref(),
            revs.last().map(|r| &r.indicator),
            "{code}: the published state is the last revision"
        );
        // Search shows the last approved change.
        assert_eq!(
            app.app.search.get(code).map(|i| i.data_source.clone()),
            revs.last().map(|r| r.indicator.data_source.clone()),
            "{code}: the index holds the published state"
        );
    }
}

/// Sends `n` requests at once, alternating between the sessions; returns (status, body) of each.
async fn at_once(
    sessions: &[&Session],
    n: usize,
    path: &str,
    body: impl Fn(usize) -> serde_json::Value,
) -> Vec<(u16, serde_json::Value)> {
    let calls = (0..n).map(|i| sessions[i % sessions.len()].post(path, body(i)));
    futures_util::future::join_all(calls).await
}

/// Exactly one request was accepted with `ok`; every other one was refused with 409.
fn one_accepted(results: &[(u16, serde_json::Value)], ok: u16) -> &serde_json::Value {
    let accepted: Vec<_> = results.iter().filter(|(s, _)| *s == ok).collect();
    assert_eq!(accepted.len(), 1, "one accepted: {results:?}");
    for (s, b) in results.iter().filter(|(s, _)| *s != ok) {
        assert_eq!(
            (*s, b["error"]["code"].as_str()),
            (409, Some("conflict")),
            "{b}"
        );
    }
    &accepted[0].1
}

#[tokio::test]
async fn reviewers_approving_one_proposal_at_once_publish_it_once() {
    let app = curation_app();
    let editor = Session::login(&app, "editor").await;
    let reviewers = [
        &Session::login(&app, "reviewer").await,
        &Session::login(&app, "reviewer2").await,
    ];
    for n in 11..=18 {
        let code = format!("JZ-{n:03}");
        // The library's own revisions (editions 2026.1 and 2026.2) come first.
        let before = app.app.store.revisions(&code).unwrap().len();
        let (s, p) = editor
            .post(
                "/api/v1/proposals",
                json!({ "kind": "edit", "code": code, "indicator": { "data_source": "同时审核" },
                        "reason": "并发审核" }),
            )
            .await;
        assert_eq!(s, 201, "{p}");
        let id = p["id"].as_u64().unwrap();
        let path = format!("/api/v1/proposals/{id}/approve");
        // Two approvals, and then six, at once.
        let count = if n == 11 { 2 } else { 6 };
        one_accepted(&at_once(&reviewers, count, &path, |_| json!({})).await, 200);
        assert_eq!(
            approvals_audited(&app).get(&format!("P{id}")),
            Some(&1),
            "P{id} is audited once"
        );
        assert_eq!(
            app.app.store.revisions(&code).unwrap().len(),
            before + 1,
            "{code}"
        );
    }
}

#[tokio::test]
async fn editors_proposing_on_one_indicator_at_once_open_one_proposal() {
    let app = curation_app();
    let editors = [
        &Session::login(&app, "editor").await,
        &Session::login(&app, "admin").await,
    ];
    // Ten codes of the library as it is (codes retired from the files leave gaps).
    let codes: Vec<String> = active_codes(&app, "JZ-")
        .into_iter()
        .skip(12)
        .take(10)
        .collect();
    assert_eq!(codes.len(), 10);
    for (k, code) in codes.into_iter().enumerate() {
        let count = if k == 0 { 2 } else { 6 };
        let results = at_once(&editors, count, "/api/v1/proposals", |i| {
            json!({ "kind": "edit", "code": code, "indicator": { "data_source": format!("第 {i} 个修改") },
                    "reason": "同时提出" })
        })
        .await;
        one_accepted(&results, 201);
        let open = app
            .app
            .store
            .proposals(Some(ProposalState::Open))
            .unwrap()
            .into_iter()
            .filter(|p| p.codes().contains(&code.as_str()))
            .count();
        assert_eq!(open, 1, "{code}: one open proposal");
    }
}
