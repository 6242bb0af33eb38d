//! Search: a tantivy index of the published indicators with Chinese tokenization (jieba words,
//! character bi- and trigrams for infix recall, name prefixes, pinyin), synonyms, facets, explanations and highlights.

mod balance;
mod collect;
mod doc_freqs;
mod facets;
pub mod highlight;
mod index;
mod matcher;
mod per_segment;
mod plan;
mod query;
mod relax;
mod request;
pub mod schema;
pub mod service;
pub mod tokenizer;
pub mod type_words;
pub mod vocab;

pub use index::{SearchError, SearchIndex};
pub use request::{
    Facet, FacetCount, Facets, Filters, Hit, MAX_LIMIT, MAX_OFFSET, MAX_QUERY_CHARS, Relaxed,
    SearchRequest, SearchResults, Suggestion,
};
pub use vocab::Vocabulary;
