//! Persistence of partimap.
//!
//! The store is the source of truth; every tile server builds its index from
//! a [`Snapshot`] of it and then follows its change sequence
//! ([`Store::read_changes`], woken by [`Store::watch_changes`]). This crate
//! holds all SQL of the project.
//!
//! - [`url`]: [`DatabaseUrl`], which selects the database and never prints a
//!   password.
//! - [`sqlite`]: the embedded default, SQLite through sqlx, created with its
//!   migrations at first start; changes are announced in-process.
//! - [`postgres`]: PostGIS through sqlx (geometry columns with GiST
//!   indexes); changes are announced with `NOTIFY`, so every process on the
//!   database hears them.
//! - [`codec`]: how domain values map to columns and back.
//! - [`testing`] (feature `testing`): an empty PostGIS database per test.
//!
//! [`Store`] and [`WriteTx`] are the one interface over both databases.
//! Writes go through a [`WriteTx`]: nothing is visible to readers until it is
//! committed, and a dropped transaction leaves the store as it was.

mod codec;
pub mod postgres;
pub mod sqlite;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
#[cfg(test)]
mod tests;
pub mod url;

use std::{collections::BTreeMap, sync::Arc};

use chrono::{DateTime, Utc};
use partimap_model::{
    Changes, Decision, Organisation, OrganisationId, Procedure, ProcedureId, Report, ReportId,
    ReportStatus,
};
use tokio::sync::watch;

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

impl Error {
    /// Whether the database could not be reached (down, restarting, pool
    /// exhausted), as opposed to a statement it refused: worth a retry.
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            Self::Database(
                sqlx::Error::Io(_)
                    | sqlx::Error::PoolTimedOut
                    | sqlx::Error::PoolClosed
                    | sqlx::Error::Tls(_)
                    | sqlx::Error::Protocol(_)
            )
        ) || matches!(self, Self::Database(sqlx::Error::Database(e))
            // admin_shutdown, crash_shutdown, cannot_connect_now
            if e.code().is_some_and(|c| matches!(&*c, "57P01" | "57P02" | "57P03")))
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything the index needs, read in one transaction: the public reports
/// only, without their private contact and without their text (the index
/// keeps neither; `description` is empty).
#[derive(Debug, Default)]
pub struct Snapshot {
    pub organisations: Vec<Organisation>,
    pub procedures: Vec<Procedure>,
    pub reports: Vec<Report>,
    /// The change sequence the snapshot reflects.
    pub seq: i64,
}

/// What changed after a sequence number, read in one transaction: the rows
/// as they are now, and the ids of those that are gone. Reports come without
/// their private contact.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ChangeSet {
    /// The last change it holds.
    pub seq: i64,
    pub changes: Changes,
}

/// The answer of [`Store::read_changes`].
#[derive(Debug, Clone, PartialEq)]
pub enum ChangeFeed {
    /// Nothing after the given sequence number.
    UpToDate,
    Changes(ChangeSet),
    /// More ids changed than asked for (a large import): cheaper to read a
    /// new snapshot, which reflects at least `seq`.
    TooMany {
        seq: i64,
    },
}

/// A report of a bulk import, with where it stands in the file.
#[derive(Debug, Clone)]
pub struct StagedReport {
    pub report: Report,
    /// Whether the file gave the report's creation time: when it did not,
    /// a stored report keeps its own (and a new one gets the import's).
    pub created_given: bool,
    /// The feature's index in the file (from 0), line and column.
    pub feature: usize,
    pub line: u64,
    pub column: u64,
}

/// A report whose external id an earlier feature of the same file had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duplicate {
    pub feature: usize,
    /// Where the feature starts, when the store kept it: a bulk import
    /// straight into the reports table does not (the import knows).
    pub line: Option<u64>,
    pub column: Option<u64>,
    pub external_id: String,
    /// The feature that had it first.
    pub first: usize,
}

/// What merging staged reports into the store did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Merged {
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// When the file repeats external ids nothing is merged: the repeats,
    /// in file order, up to the number asked for, and how many there are.
    pub duplicates: Vec<Duplicate>,
    pub duplicate_count: u64,
}

/// A report as its moderators see it: with the reporter's private contact
/// (when read for them), the public status note and the citizen's own text
/// once a moderator edited it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportRecord {
    pub report: Report,
    pub status_note: Option<String>,
    /// The description as the citizen wrote it, once a moderator edited it.
    pub original_description: Option<String>,
    /// Where the citizen placed it, when the published `location` is
    /// snapped to the procedure's grid (moderators only).
    pub exact_location: Option<geo::Point<f64>>,
}

/// One entry of a report's audit log: who changed it when, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportEvent {
    pub at: DateTime<Utc>,
    /// The moderator's token; `None` for the citizen's submission.
    pub token: Option<i64>,
    /// `None` for the submission.
    pub old_status: Option<ReportStatus>,
    pub new_status: ReportStatus,
    pub note: Option<String>,
    pub description_edited: bool,
}

/// Which public reports to read, a page at a time (OGC API – Features).
#[derive(Debug, Clone, Default)]
pub struct ReportQuery {
    /// Reports of these procedures only.
    pub procedures: Vec<ProcedureId>,
    /// Of these categories; empty: all.
    pub categories: Vec<String>,
    /// In these (public) statuses; empty: every public one.
    pub statuses: Vec<ReportStatus>,
    /// With these ids; empty: any.
    pub ids: Vec<ReportId>,
    /// West, south, east, north in WGS84.
    pub bbox: Option<[f64; 4]>,
    /// Created at or after, at or before.
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub limit: u32,
    pub offset: u64,
}

/// Whom a write token speaks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenScope {
    pub token: i64,
    /// `None`: an admin token, for every organisation.
    pub organisation: Option<OrganisationId>,
}

/// The entities whose changes are recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Entity {
    Organisation,
    Procedure,
    Report,
}

impl Entity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Organisation => "organisation",
            Self::Procedure => "procedure",
            Self::Report => "report",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [Self::Organisation, Self::Procedure, Self::Report]
            .into_iter()
            .find(|e| e.as_str() == s)
    }
}

/// What a write did to a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Op {
    Insert,
    Update,
    Delete,
}

impl Op {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Insert => "insert",
            Self::Update => "update",
            Self::Delete => "delete",
        }
    }
}

/// The changes of one transaction, written to the change sequence at commit:
/// ids per entity and operation, and the largest id inserted per entity
/// (PostgreSQL's id sequences follow it).
#[derive(Debug, Default)]
pub(crate) struct Recorded {
    pub(crate) ids: BTreeMap<(Entity, Op), Vec<i64>>,
}

impl Recorded {
    fn push(&mut self, entity: Entity, op: Op, id: i64) {
        self.ids.entry((entity, op)).or_default().push(id);
    }

    pub(crate) fn max_inserted(&self, entity: Entity) -> Option<i64> {
        self.ids
            .get(&(entity, Op::Insert))
            .and_then(|ids| ids.iter().max().copied())
    }
}

/// Ids named by change rows, gathered per entity.
#[derive(Debug, Default)]
pub(crate) struct ChangedIds {
    pub(crate) seq: i64,
    pub(crate) organisations: Vec<i64>,
    pub(crate) procedures: Vec<i64>,
    pub(crate) reports: Vec<i64>,
}

impl ChangedIds {
    pub(crate) fn add(&mut self, seq: i64, entity: &str, ids: impl IntoIterator<Item = i64>) {
        self.seq = self.seq.max(seq);
        let list = match Entity::parse(entity) {
            Some(Entity::Organisation) => &mut self.organisations,
            Some(Entity::Procedure) => &mut self.procedures,
            Some(Entity::Report) => &mut self.reports,
            None => return,
        };
        list.extend(ids);
    }

    pub(crate) fn len(&self) -> usize {
        self.organisations.len() + self.procedures.len() + self.reports.len()
    }

    /// Sorted and without repeats.
    pub(crate) fn dedup(&mut self) {
        for list in [
            &mut self.organisations,
            &mut self.procedures,
            &mut self.reports,
        ] {
            list.sort_unstable();
            list.dedup();
        }
    }

    /// The change set of the rows found for these ids; an id without a row
    /// was deleted.
    pub(crate) fn into_change_set(
        self,
        organisations: Vec<Organisation>,
        procedures: Vec<Procedure>,
        reports: Vec<Report>,
    ) -> ChangeSet {
        // The ids asked for that no row answered (rows come sorted by id).
        fn gone(asked: &[i64], found: impl Iterator<Item = i64>) -> Vec<i64> {
            let mut found: Vec<i64> = found.collect();
            found.sort_unstable();
            asked
                .iter()
                .filter(|i| found.binary_search(i).is_err())
                .copied()
                .collect()
        }
        let removed_procedures = gone(&self.procedures, procedures.iter().map(|p| p.id.0))
            .into_iter()
            .map(ProcedureId)
            .collect();
        let removed_reports = gone(&self.reports, reports.iter().map(|r| r.id.0))
            .into_iter()
            .map(ReportId)
            .collect();
        ChangeSet {
            seq: self.seq,
            changes: Changes {
                organisations,
                procedures,
                removed_procedures,
                reports,
                removed_reports,
            },
        }
    }
}

/// Raises the known sequence number to `seq` (never lowers it), waking
/// those who wait on it.
pub(crate) fn raise(committed: &watch::Sender<i64>, seq: i64) {
    committed.send_if_modified(|known| {
        let newer = seq > *known;
        *known = (*known).max(seq);
        newer
    });
}

#[derive(Debug, Clone)]
enum Backend {
    Sqlite(sqlite::SqliteStore),
    Postgres(postgres::PgStore),
}

/// A handle on the store, whichever database it is; cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    backend: Backend,
    /// The last committed change this process knows of.
    committed: Arc<watch::Sender<i64>>,
}

/// Calls the same method on whichever backend `$self` holds.
macro_rules! dispatch {
    ($self:expr, $b:ident => $call:expr) => {
        match $self {
            Backend::Sqlite($b) => $call,
            Backend::Postgres($b) => $call,
        }
    };
}

/// [`dispatch`] for transactions.
macro_rules! dispatch_tx {
    ($self:expr, $t:ident => $call:expr) => {
        match $self {
            Tx::Sqlite($t) => $call,
            Tx::Postgres($t) => $call,
        }
    };
}

impl Store {
    /// Opens (creating if needed) and migrates the database `url` selects.
    pub async fn open(url: &DatabaseUrl) -> Result<Self> {
        let backend = match url {
            DatabaseUrl::Sqlite(path) => Backend::Sqlite(sqlite::SqliteStore::open(path).await?),
            DatabaseUrl::Postgres(url) => Backend::Postgres(postgres::PgStore::open(url).await?),
        };
        Ok(Self {
            backend,
            committed: Arc::new(watch::channel(0).0),
        })
    }

    /// `"sqlite"` or `"postgres"`.
    pub fn kind(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<()> {
        dispatch!(&self.backend, b => b.ping().await)
    }

    /// Whether no organisation has been stored yet (a new store).
    pub async fn is_empty(&self) -> Result<bool> {
        dispatch!(&self.backend, b => b.is_empty().await)
    }

    /// Reads everything the index needs, consistently (one transaction).
    pub async fn snapshot(&self) -> Result<Snapshot> {
        self.snapshot_with(|_, _| {}).await
    }

    /// As [`Store::snapshot`]; `early` sees the organisations and procedures
    /// as soon as they are read, before the reports (so that a server start
    /// can index the procedures while the reports arrive).
    pub async fn snapshot_with(
        &self,
        early: impl FnOnce(&[Organisation], &[Procedure]) + Send,
    ) -> Result<Snapshot> {
        dispatch!(&self.backend, b => b.snapshot(early).await)
    }

    /// What changed after `after`, up to the last committed change, read in
    /// one transaction; [`ChangeFeed::TooMany`] when more than `max_ids`
    /// rows changed.
    pub async fn read_changes(&self, after: i64, max_ids: usize) -> Result<ChangeFeed> {
        dispatch!(&self.backend, b => b.read_changes(after, max_ids).await)
    }

    /// The last committed change this process has heard of: its own commits
    /// at once, and for PostGIS every process's (by `LISTEN`). A follower
    /// waits on it and still polls [`Store::read_changes`] now and then, for
    /// a notification missed while the database was away.
    pub fn watch_changes(&self) -> watch::Receiver<i64> {
        if let Backend::Postgres(b) = &self.backend {
            b.listen(Arc::clone(&self.committed));
        }
        self.committed.subscribe()
    }

    /// The id of the organisation with this key.
    pub async fn organisation_id_by_key(&self, key: &str) -> Result<Option<OrganisationId>> {
        // A transaction that writes nothing and is dropped.
        self.begin().await?.organisation_id_by_key(key).await
    }

    /// The procedures with these ids, in id order (ids without a row are
    /// left out).
    pub async fn procedures_by_ids(&self, ids: &[ProcedureId]) -> Result<Vec<Procedure>> {
        let ids: Vec<i64> = ids.iter().map(|i| i.0).collect();
        dispatch!(&self.backend, b => b.procedures_by_ids(&ids).await)
    }

    /// The name of the organisation with this id, if there is one.
    pub async fn organisation_name(&self, id: OrganisationId) -> Result<Option<String>> {
        dispatch!(&self.backend, b => b.organisation_name(id).await)
    }

    /// The organisation with this key and its procedures (in id order), if
    /// there is one.
    pub async fn procedures_of_key(
        &self,
        key: &str,
    ) -> Result<Option<(OrganisationId, Vec<Procedure>)>> {
        dispatch!(&self.backend, b => b.procedures_of_key(key).await)
    }

    /// A public report (published, in progress or resolved) without its
    /// contact and without the citizen's original text.
    pub async fn public_report(&self, id: ReportId) -> Result<Option<ReportRecord>> {
        Ok(self
            .public_reports(&ReportQuery::default(), Some(id))
            .await?
            .0
            .into_iter()
            .next())
    }

    /// A page of the public reports `query` selects, in id order, without
    /// contact or original text; and how many it selects in all.
    pub async fn public_reports_page(
        &self,
        query: &ReportQuery,
    ) -> Result<(Vec<ReportRecord>, u64)> {
        self.public_reports(query, None).await
    }

    async fn public_reports(
        &self,
        query: &ReportQuery,
        id: Option<ReportId>,
    ) -> Result<(Vec<ReportRecord>, u64)> {
        // The backends select the moderators' columns (original text,
        // contact, exact place) as NULL here.
        dispatch!(&self.backend, b => b.public_reports(query, id).await)
    }

    /// Stores a token's hash (never the token) with its scope; its id.
    pub async fn create_token(
        &self,
        hash: &str,
        organisation: Option<OrganisationId>,
        label: &str,
    ) -> Result<i64> {
        dispatch!(&self.backend, b => b.create_token(hash, organisation, label).await)
    }

    /// The scope of the token with this hash, if there is one.
    pub async fn token_scope(&self, hash: &str) -> Result<Option<TokenScope>> {
        dispatch!(&self.backend, b => b.token_scope(hash).await)
    }

    /// Starts a write transaction.
    pub async fn begin(&self) -> Result<WriteTx> {
        let inner = match &self.backend {
            Backend::Sqlite(b) => Tx::Sqlite(b.begin().await?),
            Backend::Postgres(b) => Tx::Postgres(b.begin().await?),
        };
        Ok(WriteTx {
            inner,
            recorded: Recorded::default(),
            committed: Arc::clone(&self.committed),
        })
    }

    /// Closes the pool, waiting for running queries.
    pub async fn close(&self) {
        dispatch!(&self.backend, b => b.close().await);
    }
}

#[derive(Debug)]
enum Tx {
    Sqlite(sqlite::SqliteTx),
    Postgres(postgres::PgTx),
}

/// A write transaction: all of it is committed, or none of it. The changes it
/// makes are appended to the change sequence when it commits.
#[derive(Debug)]
pub struct WriteTx {
    inner: Tx,
    recorded: Recorded,
    committed: Arc<watch::Sender<i64>>,
}

impl WriteTx {
    /// The id the next organisation inserted in this transaction gets.
    pub async fn next_organisation_id(&mut self) -> Result<OrganisationId> {
        dispatch_tx!(&mut self.inner, t => t.next_id(Entity::Organisation).await)
            .map(OrganisationId)
    }

    pub async fn next_procedure_id(&mut self) -> Result<ProcedureId> {
        dispatch_tx!(&mut self.inner, t => t.next_id(Entity::Procedure).await).map(ProcedureId)
    }

    pub async fn next_report_id(&mut self) -> Result<ReportId> {
        dispatch_tx!(&mut self.inner, t => t.next_id(Entity::Report).await).map(ReportId)
    }

    pub async fn organisation_id_by_key(&mut self, key: &str) -> Result<Option<OrganisationId>> {
        dispatch_tx!(&mut self.inner, t => t.organisation_id_by_key(key).await)
    }

    pub async fn organisation_key_by_id(&mut self, id: OrganisationId) -> Result<Option<String>> {
        dispatch_tx!(&mut self.inner, t => t.organisation_key_by_id(id).await)
    }

    /// The keys and ids of all organisations.
    pub async fn organisation_keys(&mut self) -> Result<Vec<(String, OrganisationId)>> {
        dispatch_tx!(&mut self.inner, t => t.organisation_keys().await)
    }

    /// The procedures of an organisation, or all.
    pub async fn procedures_in(
        &mut self,
        organisation: Option<OrganisationId>,
    ) -> Result<Vec<Procedure>> {
        dispatch_tx!(&mut self.inner, t => t.procedures_in(organisation).await)
    }

    pub async fn procedure(&mut self, id: ProcedureId) -> Result<Option<Procedure>> {
        dispatch_tx!(&mut self.inner, t => t.procedure(id).await)
    }

    pub async fn procedure_by_external_id(
        &mut self,
        organisation: OrganisationId,
        external_id: &str,
    ) -> Result<Option<Procedure>> {
        dispatch_tx!(&mut self.inner, t => t.procedure_by_external_id(organisation, external_id).await)
    }

    /// Replaces the origins whose pages may frame the organisation's maps.
    pub async fn set_embed_origins(
        &mut self,
        id: OrganisationId,
        origins: &[String],
    ) -> Result<()> {
        dispatch_tx!(&mut self.inner, t => t.set_embed_origins(id, origins).await)?;
        self.recorded.push(Entity::Organisation, Op::Update, id.0);
        Ok(())
    }

    /// An organisation in this transaction's view.
    pub async fn organisation(&mut self, id: OrganisationId) -> Result<Option<Organisation>> {
        dispatch_tx!(&mut self.inner, t => t.organisation(id).await)
    }

    pub async fn insert_organisation(&mut self, o: &Organisation) -> Result<()> {
        dispatch_tx!(&mut self.inner, t => t.insert_organisation(o).await)?;
        self.recorded.push(Entity::Organisation, Op::Insert, o.id.0);
        Ok(())
    }

    pub async fn insert_procedure(&mut self, p: &Procedure) -> Result<()> {
        dispatch_tx!(&mut self.inner, t => t.insert_procedure(p).await)?;
        self.recorded.push(Entity::Procedure, Op::Insert, p.id.0);
        Ok(())
    }

    /// The ids and external ids of an organisation's procedures.
    pub async fn procedures_of(
        &mut self,
        organisation: OrganisationId,
    ) -> Result<Vec<(ProcedureId, String)>> {
        dispatch_tx!(&mut self.inner, t => t.procedures_of(organisation).await)
    }

    /// Deletes a procedure and its reports.
    pub async fn delete_procedure(&mut self, id: ProcedureId) -> Result<()> {
        let reports = dispatch_tx!(&mut self.inner, t => t.delete_procedure(id).await)?;
        for r in reports {
            self.recorded.push(Entity::Report, Op::Delete, r);
        }
        self.recorded.push(Entity::Procedure, Op::Delete, id.0);
        Ok(())
    }

    /// Overwrites the procedure with `p.id`.
    pub async fn update_procedure(&mut self, p: &Procedure) -> Result<()> {
        dispatch_tx!(&mut self.inner, t => t.update_procedure(p).await)?;
        self.recorded.push(Entity::Procedure, Op::Update, p.id.0);
        Ok(())
    }

    pub async fn insert_report(&mut self, r: &Report) -> Result<()> {
        dispatch_tx!(&mut self.inner, t => t.insert_report(r).await)?;
        self.recorded.push(Entity::Report, Op::Insert, r.id.0);
        Ok(())
    }

    /// A report as its moderators see it: status note, original text, the
    /// reporter's contact and exact place (on PostGIS the row is locked
    /// until the transaction ends). Public reads are
    /// [`Store::public_report`].
    pub async fn report_record(&mut self, id: ReportId) -> Result<Option<ReportRecord>> {
        dispatch_tx!(&mut self.inner, t => t.report_record(id).await)
    }

    /// The open (published, in progress) reports of `procedure` in
    /// `category` inside the box (west, south, east, north) created since
    /// `since`, in id order: the candidates for a duplicate.
    pub async fn open_reports_near(
        &mut self,
        procedure: ProcedureId,
        category: &str,
        bbox: [f64; 4],
        since: DateTime<Utc>,
    ) -> Result<Vec<Report>> {
        dispatch_tx!(&mut self.inner, t => t.open_reports_near(procedure, category, bbox, since).await)
    }

    /// A citizen's new report, with the first entry of its audit log;
    /// `exact` is where the citizen placed it when `r.location` is the
    /// published, snapped place.
    pub async fn submit_report(
        &mut self,
        r: &Report,
        exact: Option<geo::Point<f64>>,
    ) -> Result<()> {
        self.insert_report(r).await?;
        if let Some(exact) = exact {
            dispatch_tx!(&mut self.inner, t => t.set_exact_location(r.id, exact).await)?;
        }
        let event = ReportEvent {
            at: r.created,
            token: None,
            old_status: None,
            new_status: r.status,
            note: None,
            description_edited: false,
        };
        dispatch_tx!(&mut self.inner, t => t.log_report_event(r.id, &event).await)
    }

    /// A moderator's decision on `old` (read with [`WriteTx::report_record`]
    /// in this transaction) by `token`, with its entry in the audit log; the
    /// citizen's text is kept when the description is edited the first time.
    pub async fn moderate_report(
        &mut self,
        old: &ReportRecord,
        decision: &Decision,
        token: i64,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let edited = decision
            .description
            .as_ref()
            .is_some_and(|d| *d != old.report.description);
        let original = edited.then_some(old.report.description.as_str());
        let id = old.report.id;
        dispatch_tx!(&mut self.inner, t => t.moderate_report(id, decision, original).await)?;
        let event = ReportEvent {
            at,
            token: Some(token),
            old_status: Some(old.report.status),
            new_status: decision.status,
            note: decision.note.clone(),
            description_edited: edited,
        };
        dispatch_tx!(&mut self.inner, t => t.log_report_event(id, &event).await)?;
        self.recorded.push(Entity::Report, Op::Update, id.0);
        Ok(())
    }

    /// A report's audit log, oldest first.
    pub async fn report_events(&mut self, id: ReportId) -> Result<Vec<ReportEvent>> {
        dispatch_tx!(&mut self.inner, t => t.report_events(id).await)
    }

    /// Stages reports of a bulk import in a temporary table of the
    /// transaction (PostGIS: `COPY`); [`WriteTx::merge_staged_reports`]
    /// writes them. The file's rows are never all in this process's memory.
    pub async fn stage_reports(&mut self, batch: &[StagedReport]) -> Result<()> {
        dispatch_tx!(&mut self.inner, t => t.stage_reports(batch).await)
    }

    /// Merges the staged reports: those whose (procedure, external id)
    /// exists are updated where they differ, the others inserted (with ids
    /// from the store). Nothing is merged when the file repeats an external
    /// id within a procedure: then the repeats are listed (up to `listed`).
    pub async fn merge_staged_reports(&mut self, listed: usize) -> Result<Merged> {
        dispatch_tx!(&mut self.inner, t => t.merge_staged_reports(listed).await)
    }

    /// `replace` for reports, after [`WriteTx::merge_staged_reports`]: deletes
    /// the organisation's imported reports (those with an external id) that
    /// the staged file does not hold; citizens' reports (no external id)
    /// stay. How many were deleted.
    pub async fn delete_reports_not_staged(&mut self, organisation: OrganisationId) -> Result<u64> {
        let ids =
            dispatch_tx!(&mut self.inner, t => t.delete_reports_not_staged(organisation).await)?;
        for id in &ids {
            self.recorded.push(Entity::Report, Op::Delete, *id);
        }
        Ok(u64::try_from(ids.len()).unwrap_or(u64::MAX))
    }

    /// Appends the changes to the sequence and commits; only then do readers
    /// see them. Returns the sequence number of the last change (the one
    /// before, when nothing changed).
    pub async fn commit(self) -> Result<i64> {
        let seq = match self.inner {
            Tx::Sqlite(t) => t.commit(&self.recorded).await?,
            Tx::Postgres(t) => t.commit(&self.recorded).await?,
        };
        raise(&self.committed, seq);
        Ok(seq)
    }
}
