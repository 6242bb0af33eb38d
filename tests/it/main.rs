//! Integration tests: the real app (real sled, real tantivy index, temp data directory) served
//! on a free loopback port and spoken to over HTTP.

mod api;
mod browser;
mod cli;
mod concurrency;
mod corpus;
mod curation;
mod drafting;
mod drift;
mod durability;
mod evaluations;
mod health;
mod helpers;
mod pages;
mod relevance;
mod training;
mod webdriver;
