//! Persistence of partimap.
//!
//! The store is the source of truth; every tile server builds its index from
//! a [`Snapshot`] of it. This crate holds all SQL of the project.
//!
//! - [`url`]: [`DatabaseUrl`], which selects the database and never prints a
//!   password.
//! - [`sqlite`]: the embedded default, SQLite through sqlx, created with its
//!   migrations at first start. (PostGIS, through the same interface, is the
//!   work of the ingestion issue.)
//! - [`codec`]: how domain values map to columns and back.
//!
//! Writes go through a [`WriteTx`]: nothing is visible to readers until it is
//! committed, and a dropped transaction leaves the store as it was.

mod codec;
pub mod sqlite;
pub mod url;

use partimap_model::{Organisation, Procedure, Report};

pub use sqlite::{Store, WriteTx};
pub use url::DatabaseUrl;

/// Errors of the store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("could not migrate the database: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("could not create the data directory {path}: {source}")]
    DataDir {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    /// A row that does not decode into a domain value: the database was
    /// changed behind partimap's back.
    #[error("{entity} {id} in the store is corrupt: {reason}")]
    Corrupt {
        entity: &'static str,
        id: i64,
        reason: String,
    },
    #[error("{0}")]
    Unsupported(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything the index needs, read in one transaction. Reports come without
/// their private contact.
#[derive(Debug, Default)]
pub struct Snapshot {
    pub organisations: Vec<Organisation>,
    pub procedures: Vec<Procedure>,
    pub reports: Vec<Report>,
    /// The change sequence the snapshot reflects.
    pub seq: i64,
}
