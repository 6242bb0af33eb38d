//! Pure domain types and rules of the indicator library: no I/O here.

pub mod account;
pub mod browse;
pub mod catalog;
pub mod draft;
pub mod edition;
pub mod evaluation;
pub mod indicator;
pub mod library;
pub mod lint;
pub mod number;
pub mod proposal;
pub mod quality;
pub mod revision;
pub mod training;
pub mod wording;

pub use account::{AuditEntry, Role, Session, User};
pub use catalog::{Catalog, Framework, Level1Def, ProjectType, Unit, UnitKind};
pub use draft::{Draft, DraftProject, DraftRow};
pub use edition::Edition;
pub use evaluation::{
    Candidate, EvaluatedProject, EvaluationRow, Evidence, Grade, ImportBatch, ImportSummary, Match,
    MatchMethod, SourceRef,
};
pub use indicator::{
    Basis, Code, CostKind, Direction, Indicator, Provenance, Scope, Status, Term, ValueType,
};
pub use library::Library;
pub use proposal::{Proposal, ProposalKind, ProposalState, ProposedChange};
pub use revision::{ChangeKind, FieldChange, Revision};
