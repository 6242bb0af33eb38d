//! What a caller asks of the index (`SearchRequest`, `Filters`) and what it gets back
//! (`SearchResults`, `Hit`, `Facets`, `Relaxed`, `Suggestion`), with the bounds a request is held to.

use crate::domain::{Catalog, Indicator};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

pub const MAX_QUERY_CHARS: usize = 200;
pub const MAX_LIMIT: usize = 100;
pub const MAX_OFFSET: usize = 10_000;

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub struct Filters {
    pub level1: Option<String>,
    pub level2: Option<String>,
    pub project_type: Option<String>,
    pub sector: Option<String>,
    pub scope: Option<String>,
    /// Core indicators only (of `project_type` when given, else of any type).
    #[serde(default)]
    pub core: bool,
}

impl Filters {
    pub fn is_empty(&self) -> bool {
        *self == Filters::default()
    }

    /// Checks the values against the catalog, so a mistyped filter is explained (the message
    /// lists the choices), not silently empty.
    pub fn check(&self, catalog: &Catalog) -> Result<(), String> {
        let f = self;
        // Every framework's headings are valid filters (部门整体支出 files indicators under 决策指标,
        // 过程指标 …): /framework links each of them, and one with no indicator yet answers an empty
        // result, not an error.
        let level1 = catalog.headings();
        let bad = |what: &str, v: &str, allowed: Vec<String>| {
            format!("筛选条件 {what}=“{v}”无效；可选：{}", allowed.join("、"))
        };
        let distinct = |names: Vec<String>| {
            let mut seen = std::collections::HashSet::new();
            names
                .into_iter()
                .filter(|n| seen.insert(n.clone()))
                .collect::<Vec<_>>()
        };
        if let Some(v) = &f.level1
            && !level1.iter().any(|l| &l.name == v)
        {
            return Err(bad(
                "level1",
                v,
                distinct(level1.iter().map(|l| l.name.clone()).collect()),
            ));
        }
        if let Some(v) = &f.level2 {
            let all = distinct(level1.iter().flat_map(|l| l.level2.clone()).collect());
            if !all.contains(v) {
                return Err(bad("level2", v, all));
            }
        }
        if let Some(v) = &f.scope
            && v != "共性"
            && v != "个性"
        {
            return Err(bad("scope", v, vec!["共性".into(), "个性".into()]));
        }
        if let Some(v) = &f.project_type
            && catalog.project_type(v).is_none()
        {
            return Err(format!(
                "筛选条件 project_type=“{v}”不是已知的项目类型编码（见 /api/v1/project-types）"
            ));
        }
        if let Some(v) = &f.sector
            && !catalog.sectors.contains(v)
            && !catalog.project_types.iter().any(|t| t.sectors.contains(v))
        {
            return Err(bad("sector", v, catalog.sectors.clone()));
        }
        Ok(())
    }
}

#[derive(Debug, Clone)]
pub struct SearchRequest {
    pub q: String,
    pub limit: usize,
    pub offset: usize,
    pub filters: Filters,
    pub explain: bool,
    /// Set aside words when all of them together match fewer than a page (see `Relaxed`).
    pub relax: bool,
    /// When relaxed, rank the words of the subject above generic ones (`index/generic.txt`), so
    /// the page shows the subject's indicators first. The drafting assistant asks for the plain
    /// weights: its table takes name hits within a share of the best one, and a generic word
    /// (培训, 监测) is often what a row of the table needs.
    pub subject_first: bool,
    /// Count facets over every match. They cost a pass over all matching documents' columns,
    /// so only callers that show them (the search page, API calls with `facets=1`) ask.
    pub facets: bool,
}

impl SearchRequest {
    pub fn new(q: &str) -> SearchRequest {
        SearchRequest {
            q: q.to_string(),
            limit: 10,
            offset: 0,
            filters: Filters::default(),
            explain: false,
            relax: true,
            subject_first: true,
            facets: false,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Hit {
    pub indicator: Arc<Indicator>,
    pub score: f32,
    /// The name with matched characters in `<mark>` (HTML-escaped).
    pub name_html: String,
    /// A window of the definition around the first match (HTML-escaped, with `<mark>`).
    pub snippet_html: String,
    /// With `explain`: which channels matched and what each contributed.
    pub explain: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FacetCount {
    pub value: String,
    pub label: String,
    pub count: u64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Facets {
    pub level1: Vec<FacetCount>,
    pub level2: Vec<FacetCount>,
    pub project_type: Vec<FacetCount>,
    pub sector: Vec<FacetCount>,
    pub scope: Vec<FacetCount>,
    pub core: Vec<FacetCount>,
}

/// The facet fields, in the order the facet collector counts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Facet {
    Level1,
    Level2,
    ProjectType,
    Sector,
    Scope,
    Core,
}

impl Facet {
    pub(super) const ALL: [Facet; 6] = [
        Facet::Level1,
        Facet::Level2,
        Facet::ProjectType,
        Facet::Sector,
        Facet::Scope,
        Facet::Core,
    ];
    pub(super) fn field_name(self) -> &'static str {
        match self {
            Facet::Level1 => "level1",
            Facet::Level2 => "level2",
            Facet::ProjectType => "project_type",
            Facet::Sector => "sector",
            Facet::Scope => "scope",
            Facet::Core => "core",
        }
    }
}

#[derive(Debug, Clone)]
pub struct SearchResults {
    pub total: usize,
    pub hits: Vec<Hit>,
    pub facets: Facets,
    /// Set when words were set aside: the query's words together matched fewer than a page, or
    /// a project name's boilerplate was left out of its words (`segment_words_channel`).
    pub relaxed: Option<Relaxed>,
}

/// How a query whose words together matched too little was relaxed, in the manner of
/// Meilisearch's `matchingStrategy: frequency` and Elasticsearch's `minimum_should_match`.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Relaxed {
    /// The informative words matches were looked for with, in the query's order.
    pub words: Vec<String>,
    /// A match holds at least this many of them (more matched words rank first).
    pub min_words: usize,
    /// Words set aside: project-name boilerplate and numbers, then the least informative words
    /// a match may lack, least informative first.
    pub set_aside: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Suggestion {
    pub code: String,
    pub name: String,
    pub name_html: String,
    pub level1: String,
    pub level2: String,
    pub unit: String,
}
