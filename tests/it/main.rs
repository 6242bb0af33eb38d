//! Integration tests: the real app (real sled, real tantivy index, temp data directory) served
//! on a free loopback port and spoken to over HTTP.

mod abuse;
mod api;
mod browser;
mod cli;
mod corpus;
mod curation;
mod drafting;
mod durability;
mod evaluations;
mod helpers;
mod pages;
mod project_names;
mod relevance;
mod training;
mod webdriver;
