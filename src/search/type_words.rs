//! The recognition words of each project type (its name and keywords, normalised, each with what it
//! says about a project's subject), worked out once per catalog: type recognition reads them on
//! every suggest-targets call and every search for a project name.

use super::vocab::Vocabulary;
use crate::domain::catalog::Catalog;
use crate::text::normalize;

/// What a keyword must say about the subject (`Vocabulary::subject_chars`) to name a project's
/// type by ending its name (`CatalogWords::head_type`).
pub const HEAD_KEYWORD: f32 = 3.0;

/// One keyword (or the type's name) of a project type.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeKeyword {
    /// Normalised (`text::normalize`).
    pub text: String,
    /// `Vocabulary::subject_chars` of `text`.
    pub subject: f32,
    /// Characters of `text`.
    pub chars: usize,
}

/// A project type's recognition words.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeWords {
    pub code: String,
    /// Its keywords, then its name.
    pub keywords: Vec<TypeKeyword>,
    /// Its name, keywords and description, normalised and joined by spaces: what a word of a
    /// project name is looked for in to count as accounted for by the type.
    pub own: String,
}

/// The recognition words of every type of a catalog, in the catalog's order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CatalogWords {
    pub types: Vec<TypeWords>,
}

impl CatalogWords {
    pub fn new(catalog: &Catalog, vocab: &Vocabulary) -> CatalogWords {
        let types = catalog
            .project_types
            .iter()
            .map(|t| {
                let keywords = t
                    .keywords
                    .iter()
                    .chain(std::iter::once(&t.name))
                    .map(|k| {
                        let text = normalize(k);
                        TypeKeyword {
                            subject: vocab.subject_chars(&text),
                            chars: text.chars().count(),
                            text,
                        }
                    })
                    .collect();
                let mut own = normalize(&t.name);
                for k in &t.keywords {
                    own.push(' ');
                    own.push_str(&normalize(k));
                }
                own.push(' ');
                own.push_str(&normalize(&t.description));
                TypeWords {
                    code: t.code.clone(),
                    keywords,
                    own,
                }
            })
            .collect();
        CatalogWords { types }
    }

    /// The type whose keyword ends a project name, before boilerplate only (`Vocabulary::
    /// is_boilerplate_tail`), and says at least `HEAD_KEYWORD` about the subject: what is funded,
    /// whatever the unit's name before it says (县消防救援大队整体支出, 乡村医生补助资金). The type of
    /// the weightiest such keyword, if any. `name` is normalised.
    pub fn head_type(&self, vocab: &Vocabulary, name: &str) -> Option<&TypeWords> {
        let mut best: Option<(f32, &TypeWords)> = None;
        for t in &self.types {
            for k in &t.keywords {
                let Some(at) = name.rfind(k.text.as_str()) else {
                    continue;
                };
                if k.subject >= HEAD_KEYWORD
                    && vocab.is_boilerplate_tail(&name[at + k.text.len()..])
                    && best.is_none_or(|(b, _)| k.subject > b)
                {
                    best = Some((k.subject, t));
                }
            }
        }
        best.map(|(_, t)| t)
    }

    /// The words of the type `code`.
    pub fn of(&self, code: &str) -> Option<&TypeWords> {
        self.types.iter().find(|t| t.code == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::library;
    use crate::search::vocab;

    #[test]
    fn every_type_s_keywords_are_normalised_and_weighed_by_their_subject() {
        let vocab = Vocabulary::load(&vocab::default_dir()).unwrap();
        let mut catalog = library::load_dir(&library::default_dir()).unwrap().catalog;
        let t = &mut catalog.project_types[0];
        t.keywords.push("ＡＢ 污水".into());
        let (code, name) = (t.code.clone(), t.name.clone());
        let words = CatalogWords::new(&catalog, &vocab);
        assert_eq!(words.types.len(), catalog.project_types.len());
        let w = words.of(&code).expect("the type's words");
        assert_eq!(
            w.keywords.last().map(|k| k.text.as_str()),
            Some(name.as_str())
        );
        let added = &w.keywords[w.keywords.len() - 2];
        assert_eq!(added.text, normalize("ＡＢ 污水"));
        assert_ne!(added.text, "ＡＢ 污水", "normalised");
        for k in words.types.iter().flat_map(|t| &t.keywords) {
            assert_eq!(k.subject, vocab.subject_chars(&k.text), "{}", k.text);
            assert_eq!(k.chars, k.text.chars().count(), "{}", k.text);
        }
        assert!(w.own.starts_with(&normalize(&name)));
        assert!(words.of("no_such_type").is_none());
    }
}
