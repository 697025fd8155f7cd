//! The ingestion service of partimap: the only writer of data.
//!
//! - [`features`]: reading GeoJSON features into the model's drafts, with
//!   every problem of a feature named by a JSON pointer into the input.
//! - [`sample`]: the sample data of `data/`, compiled in, loaded into an
//!   empty store on first start.
//! - [`reports`]: the participation API of defect reporters — citizens'
//!   reports ([`citizen`]: the rules a report must meet, duplicates, a
//!   per-client [`ratelimit`]) and their moderation ([`moderation`]: scoped
//!   tokens, status transitions, the audit log); [`open311`], the same as
//!   Open311 GeoReport v2 for back offices; [`organisations`]: an
//!   organisation's settings (the origins that may frame its maps).
//!
//! Everything a call writes is written in one transaction: a rejected
//! feature rejects the whole load, and nothing is half-written.

pub mod citizen;
pub mod crs;
pub mod endpoint;
pub mod features;
pub mod import;
pub mod moderation;
pub mod open311;
pub mod organisations;
pub mod ratelimit;
pub mod reader;
pub mod reports;
pub mod sample;
pub mod tokens;

use partimap_model::Problem;

/// A feature that could not be taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// Which file or layer.
    pub layer: &'static str,
    /// The feature's position in its collection (from 0).
    pub index: usize,
    /// The feature's own id or key, if it has one.
    pub id: Option<String>,
    /// What is wrong, each with a JSON pointer into the input.
    pub problems: Vec<Problem>,
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} feature {}", self.layer, self.index)?;
        if let Some(id) = &self.id {
            write!(f, " ({id})")?;
        }
        for p in &self.problems {
            write!(f, "; {p}")?;
        }
        Ok(())
    }
}

/// Errors of ingestion.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("{layer}: not a GeoJSON FeatureCollection: {reason}")]
    NotGeoJson { layer: &'static str, reason: String },
    #[error("{} feature(s) rejected, nothing was written: {}", .0.len(), .0.iter().map(ToString::to_string).collect::<Vec<_>>().join(" | "))]
    Rejected(Vec<Rejection>),
    #[error(transparent)]
    Store(#[from] partimap_store::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
