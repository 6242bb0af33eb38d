//! zhibiao: a versioned budget-performance indicator library (预算绩效指标库) with Chinese search.
//!
//! Layers import downward only: `web` → the feature services (`accounts`, `drafting`,
//! `curation`, `evaluations`, `training`) → `store`, `search`, `ingest` → `domain` → `text` and
//! `digest`. `app` builds the store, the index and the services once for `serve` and the tests;
//! `main` is the command line.

/// Service: users, passwords, sessions, API tokens and the audit log.
pub mod accounts;
/// The application: store, index and configuration opened together, the index kept in line.
pub mod app;
/// Every setting, from a flag or the environment.
pub mod config;
/// Service: changes to the library as proposals another person approves; numbered editions.
pub mod curation;
/// Content fingerprints: the one hex SHA-256.
pub mod digest;
/// Pure domain types and rules (indicators, revisions, drafts, evaluations, lint): no I/O.
pub mod domain;
/// Service: from a project to a suggested target table.
pub mod drafting;
/// Service: completed evaluations imported, matched to indicators, and their statistics.
pub mod evaluations;
/// Files in and out: library files, corpora, exports, worked examples, uploaded spreadsheets.
pub mod ingest;
/// Operations: backup and restore, the control socket, metrics, the log format.
pub mod ops;
/// Relevance evaluation of search and drafting (`zhibiao eval`).
pub mod relevance;
/// The tantivy index: schema, tokenizers, vocabulary, query plan, matching, highlighting.
pub mod search;
/// The sled store: every write and the checks that guard it in one transaction.
pub mod store;
/// Text folding and pinyin: the one searchable form of a text, and name keys built on it.
pub mod text;
/// Service: training sessions, worked examples, join codes and submissions.
pub mod training;
/// The web layer: HTML pages and the JSON API, one router.
pub mod web;
