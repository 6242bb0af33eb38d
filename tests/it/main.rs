//! Integration tests: the real app (real sled, real tantivy index, temp data directory) served
//! on a free loopback port and spoken to over HTTP.

mod abuse;
mod api;
mod api_edge;
mod api_fuzz;
mod browser;
mod cli;
mod concurrency;
mod corpus;
mod curation;
mod deploy;
mod drafting;
mod drafting_browser;
mod drift;
mod durability;
mod escaping;
mod evaluations;
mod health;
mod helpers;
mod openapi;
mod ops;
mod pages;
mod pages_browser;
mod project_names;
mod release;
mod relevance;
mod reworded;
mod site;
mod training;
mod upload_fuzz;
mod uploads;
mod webdriver;
