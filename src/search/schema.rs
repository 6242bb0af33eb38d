//! The tantivy schema: one place, with the reason for each field's options.

use super::tokenizer::{GRAM, INITIALS, LIST, PINYIN, PREFIX, ZH};
use tantivy::schema::{
    FAST, Field, IndexRecordOption, STORED, STRING, Schema, SchemaBuilder, TextFieldIndexing,
    TextOptions,
};

/// Bumped whenever fields or tokenizers change: an index of another version is rebuilt.
pub const SCHEMA_VERSION: u32 = 13;

#[derive(Debug, Clone, Copy)]
pub struct Fields {
    /// Indicator code as written: replaces and finds an indicator's document. Not stored: hits
    /// are read from `json`.
    pub code: Field,
    /// The code lower-cased, only where that differs from `code` (a code is a term of its own,
    /// and most are written in one case): a typed code is looked for in both.
    pub code_lc: Field,
    /// Name in jieba search mode. Documents only: a word earns a fixed weight from its document
    /// frequency (see `plan::words_channel`), so neither frequencies nor positions are read.
    pub name: Field,
    /// Name as character uni-, bi- and trigrams: any contiguous substring is one term (up to three
    /// characters) or the trigrams covering it, checked against `name_chars`; no positions.
    pub name_gram: Field,
    /// Whole normalised name, for the exact-match tier.
    pub name_exact: Field,
    /// Every prefix of the name (word characters, up to `tokenizer::PREFIX_CHARS`): "the name
    /// starts with" is then one term instead of a phrase of bigrams.
    pub name_prefix: Field,
    pub aliases: Field,
    pub alias_gram: Field,
    /// Whole normalised aliases, for the exact-alias tier.
    pub alias_exact: Field,
    pub definition: Field,
    /// Words of the names and keywords of the project types the indicator fits, split by jieba
    /// once per type and indexed as a list.
    pub types: Field,
    /// Pinyin of the name from each word start; prefix matches only, so no frequencies.
    pub pinyin: Field,
    pub initials: Field,
    // Filters and facet counts: raw strings with fast-field columns.
    pub level1: Field,
    pub level2: Field,
    pub project_type: Field,
    pub sector: Field,
    pub scope: Field,
    /// Type codes for which the indicator is core, plus `*` when it is core for any.
    pub core: Field,
    /// Name length in characters: among equal scores the shorter (closer) name ranks first.
    pub name_len: Field,
    /// The name's word characters, normalised (what `name_gram` is made of), as a column: a
    /// phrase of trigrams is checked against it instead of against positions.
    pub name_chars: Field,
    /// The whole published indicator as JSON, so hits are read from the index (compressed doc
    /// store, cached blocks) instead of a copy of the library kept in memory.
    pub json: Field,
}

fn text(tokenizer: &str, record: IndexRecordOption) -> TextOptions {
    TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(tokenizer)
            .set_index_option(record),
    )
}

pub fn build() -> (Schema, Fields) {
    let mut b = SchemaBuilder::new();
    let positions = IndexRecordOption::WithFreqsAndPositions;
    let basic = IndexRecordOption::Basic;
    let facet = STRING | FAST;
    let fields = Fields {
        code: b.add_text_field("code", STRING),
        code_lc: b.add_text_field("code_lc", STRING),
        name: b.add_text_field("name", text(ZH, basic)),
        name_gram: b.add_text_field("name_gram", text(GRAM, basic)),
        name_exact: b.add_text_field("name_exact", STRING),
        name_prefix: b.add_text_field("name_prefix", text(PREFIX, basic)),
        aliases: b.add_text_field("aliases", text(ZH, basic)),
        // Aliases are several per indicator, with no column to check a run against: a run of
        // four or more characters is a phrase of trigrams, so positions stay.
        alias_gram: b.add_text_field("alias_gram", text(GRAM, positions)),
        alias_exact: b.add_text_field("alias_exact", STRING),
        definition: b.add_text_field("definition", text(ZH, basic)),
        types: b.add_text_field("types", text(LIST, basic)),
        pinyin: b.add_text_field("pinyin", text(PINYIN, basic)),
        initials: b.add_text_field("initials", text(INITIALS, basic)),
        level1: b.add_text_field("level1", facet.clone()),
        level2: b.add_text_field("level2", facet.clone()),
        project_type: b.add_text_field("project_type", facet.clone()),
        sector: b.add_text_field("sector", facet.clone()),
        scope: b.add_text_field("scope", facet.clone()),
        core: b.add_text_field("core", facet),
        name_len: b.add_u64_field("name_len", FAST),
        name_chars: b.add_text_field("name_chars", FAST),
        json: b.add_bytes_field("json", STORED),
    };
    (b.build(), fields)
}
