//! The domain of partimap, without any I/O.
//!
//! A state-wide participation portal gathers the *procedures* of many
//! *organisations* (municipalities, districts, regional governments,
//! ministries, state agencies, arranged in the administrative hierarchy of
//! the state). Some procedures are defect reporters ("Mängelmelder"), in which
//! citizens file *reports* at places inside the procedure's area.
//!
//! - [`organisation`]: [`Organisation`], its [`OrganisationKind`], its
//!   official municipality key [`Ags`] and its parent.
//! - [`procedure`]: [`Procedure`], its [`ProcedureKind`], its
//!   [`ProcedureStatus`] (derived from the dates unless set), its [`Area`] and
//!   the report [`Category`]s of defect reporters.
//! - [`report`]: [`Report`], its [`ReportStatus`] and the reporter's private
//!   [`Contact`], which never leaves the store.
//! - [`problem`]: validation does not stop at the first problem: every draft
//!   validates into a domain value or into the [`Problems`] found, each naming
//!   the field it concerns.
//!
//! - [`changes`]: [`Changes`], a batch of rows changed and ids gone, as the
//!   store's change feed reads it and the index applies it.
//!
//! Drafts ([`OrganisationDraft`], [`ProcedureDraft`], [`ReportDraft`]) carry
//! the raw values a file or a request brings; `validate` parses them once into
//! the domain types, which are therefore valid by construction.

pub mod changes;
pub mod geometry;
pub mod ids;
pub mod organisation;
pub mod problem;
pub mod procedure;
pub mod report;

pub use changes::Changes;
pub use ids::{OrganisationId, ProcedureId, ReportId};
pub use organisation::{
    Ags, ORIGIN_FORM, Organisation, OrganisationDraft, OrganisationKind, check_embed_origins,
    is_origin,
};
pub use problem::{Problem, Problems};
pub use procedure::{
    Area, Category, Moderation, Procedure, ProcedureDraft, ProcedureKind, ProcedureStatus,
};
pub use report::{Contact, Decision, DecisionDraft, Report, ReportDraft, ReportStatus};
