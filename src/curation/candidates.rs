//! New-indicator candidates from the evaluations as curators see them (each with the indicator
//! drafted from it, what the library rules would say and the nearest library indicators), and a
//! candidate turned into a proposal to create its indicator (provenance 评价沉淀).

use super::library_rules::concerns;
use super::{Actor, Curation, Result};
use crate::domain::{Candidate, Grade, Indicator, Proposal};
use crate::evaluations::{self, Nearby, cluster::candidate_to_indicator, matching::Matcher};
use crate::ingest::library::IndicatorInput;

pub struct CandidateView {
    pub c: Candidate,
    pub draft: Indicator,
    pub findings: Vec<String>,
    pub type_names: Vec<String>,
    /// The library indicators it was compared with: the nearest, all too far to link.
    pub nearest: Vec<Nearby>,
}

impl Curation {
    /// Every candidate with its indicator draft, its findings and its nearest indicators.
    pub fn candidate_views(&self) -> Result<Vec<CandidateView>> {
        let catalog = self.search.catalog();
        let matcher = Matcher::new(&self.search, self.store.indicators()?);
        let candidates = self.store.evaluation_candidates()?;
        let drafts: Vec<Indicator> = candidates
            .iter()
            .map(|c| candidate_to_indicator(c, &catalog))
            .collect();
        // The rules a proposal of the draft would meet, the whole-library ones included.
        let library = self.library_findings(&drafts)?;
        Ok(candidates
            .into_iter()
            .zip(drafts)
            .map(|(c, draft)| CandidateView {
                // A draft is new to the library, so every finding on it is among these.
                findings: library
                    .iter()
                    .filter(|f| concerns(f, draft.code.as_str()))
                    .map(|f| f.message.clone())
                    .collect(),
                type_names: draft
                    .project_types
                    .iter()
                    .map(|t| catalog.project_type_name(t).to_string())
                    .collect(),
                nearest: evaluations::nearest_to_candidate(&matcher, &c, 2),
                draft,
                c,
            })
            .collect())
    }

    /// Turns a candidate (`Evaluations::candidate`) into a proposal to create its indicator,
    /// with the evidence in the reason, so reviewers see which projects used it and how they did.
    /// The indicator gets the next code of its type's series (JZ-031), as every indicator a
    /// curator adds: the candidate's own key (PJ-2025-D7D5C3F691) means nothing to a reader.
    /// A candidate already waiting in an open proposal is not proposed again.
    pub fn propose_candidate(&self, actor: &Actor, c: &Candidate) -> Result<Proposal> {
        let open = self
            .store
            .proposals(Some(crate::domain::ProposalState::Open))?;
        if let Some(p) = open.iter().find(|p| source(p).as_ref() == Some(&c.id)) {
            return Err(super::CurationError::Conflict(format!(
                "该候选已在待审核的提案 P{} 中",
                p.id
            )));
        }
        let ind = candidate_to_indicator(c, &self.search.catalog());
        let mut input = IndicatorInput::from(&ind);
        input.code.clear();
        self.propose_create_from(actor, input, &evidence(c), Some(&c.id))
    }
}

/// The reason of a candidate's proposal: how many projects of which years used it, under which
/// names, and how those projects were graded.
fn evidence(c: &Candidate) -> String {
    let mut years: Vec<i32> = c.evidence.iter().map(|e| e.year).collect();
    years.sort_unstable();
    years.dedup();
    let grades: Vec<String> = Grade::ALL
        .iter()
        .map(|g| {
            let n = c.evidence.iter().filter(|e| e.grade == *g).count();
            format!("{}{n}", g.label())
        })
        .collect();
    format!(
        "由评价结果沉淀：{} 个项目（{} 年）使用，表述 {}；项目等级 {}。证据见 {}",
        c.projects(),
        years
            .iter()
            .map(i32::to_string)
            .collect::<Vec<_>>()
            .join("、"),
        std::iter::once(&c.name)
            .chain(&c.variants)
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join("、"),
        grades.join(" "),
        candidate_marker(&c.id)
    )
}

/// How a proposal's reason ends when it came from candidate `id` (its evidence's address).
fn candidate_marker(id: &str) -> String {
    format!("{MARKER}{id}")
}

const MARKER: &str = "/evaluations/candidates#c-";

/// The candidate a proposal was made from: its `candidate`, or for a proposal stored before it
/// had one, the id its reason's evidence address names.
pub(super) fn source(p: &Proposal) -> Option<String> {
    p.candidate.clone().or_else(|| {
        let (_, rest) = p.reason.rsplit_once(MARKER)?;
        let id: String = rest.chars().take_while(char::is_ascii_hexdigit).collect();
        (!id.is_empty()).then_some(id)
    })
}
