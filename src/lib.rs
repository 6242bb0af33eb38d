//! zhibiao: a versioned budget-performance indicator library (预算绩效指标库) with Chinese search.
//!
//! The layers, each behind one module: `domain` (pure types and rules), `ingest` (library files and
//! spreadsheets in and out), `store` (sled, every revision kept), `search` (tantivy + jieba),
//! `web` (axum pages and the JSON API). `app` wires them together for `serve` and the tests.

pub mod app;
pub mod config;
pub mod curation;
pub mod domain;
pub mod drafting;
pub mod evaluations;
pub mod ingest;
pub mod relevance;
pub mod search;
pub mod store;
pub mod text;
pub mod web;
