//! Integration tests: the real app (real sled, real tantivy index, temp data directory) served
//! on a free loopback port and spoken to over HTTP.

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
mod relevance;
mod reworded;
mod training;
mod webdriver;
