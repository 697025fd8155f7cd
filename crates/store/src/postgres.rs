//! The PostGIS store: PostgreSQL with PostGIS through sqlx.
//!
//! Geometries are `geometry(…, 4326)` columns with GiST indexes; they are
//! written from GeoJSON text or coordinates and read back with
//! `ST_AsGeoJSON`/`ST_X`/`ST_Y`, in the same textual forms as the embedded
//! store, so that both share the decoders of [`crate::codec`].
//!
//! The change sequence is written at commit under a transaction-scoped
//! advisory lock, so sequence numbers become visible in order (a reader that
//! sees change n sees every change before it), and the commit notifies
//! channel `partimap_changes` with the last sequence number: every process
//! on the database hears it ([`PgStore::listen`]).

use std::{
    str::FromStr,
    sync::{Arc, Mutex},
    time::Duration,
};

use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use partimap_model::{
    Decision, Organisation, OrganisationId, Procedure, ProcedureId, Report, ReportId,
};
use sqlx::{
    PgPool, Postgres, Row, Transaction,
    postgres::{PgConnectOptions, PgListener, PgPoolOptions, PgRow},
};
use tokio::sync::watch;

use crate::{
    ChangeFeed, ChangedIds, Entity, Merged, Recorded, ReportEvent, ReportQuery, ReportRecord,
    Result, Snapshot, StagedReport, TokenScope, codec,
};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The channel commits notify.
pub const CHANNEL: &str = "partimap_changes";
/// A change row whose `ids` are the first and the last of a range of ids.
const RANGE_OP: &str = "insert_range";
/// The advisory lock that orders commits of changes.
const CHANGE_LOCK: i64 = 0x7061_7274_696d_6170; // "partimap"

codec::columns!(PgRow);

const ORGANISATIONS: &str = "SELECT id, key, name, kind, ags, parent_id,
            ST_AsGeoJSON(seat, 15) AS seat, embed_origins
     FROM organisations";
const PROCEDURES: &str = "SELECT id, organisation_id, external_id, title, summary, kind,
            start_date::text AS start_date, end_date::text AS end_date, status_override, url,
            ST_AsGeoJSON(area, 15) AS area, categories::text AS categories, moderation,
            location_precision_m::int8 AS location_precision_m
     FROM procedures";
// The contact is deliberately not selected: reports read feed public outputs.
const REPORTS: &str = "SELECT id, procedure_id, external_id, category, description, status,
            ST_X(location) AS lon, ST_Y(location) AS lat,
            to_char(created AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS created
     FROM reports";
// A report with what moderation adds; `{private}` is the moderators'
// columns, or the same names as NULL for public reads.
const MODERATED_COLUMNS: &str = "original_description, contact_email,
            ST_X(exact_location) AS exact_lon, ST_Y(exact_location) AS exact_lat";
const PUBLIC_COLUMNS: &str = "NULL::text AS original_description, NULL::text AS contact_email,
            NULL::float8 AS exact_lon, NULL::float8 AS exact_lat";
const REPORT_RECORDS: &str = "SELECT id, procedure_id, external_id, category, description, status,
            ST_X(location) AS lon, ST_Y(location) AS lat,
            to_char(created AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS created,
            status_note, {private}
     FROM reports";
// A snapshot feeds the index, which keeps no report text and no external
// id: reports come without them, in typed columns (binary on the wire; no
// time formatted as text and parsed again).
const SNAPSHOT_REPORTS: &str = "SELECT id, procedure_id, category, status,
            ST_X(location) AS lon, ST_Y(location) AS lat, created
     FROM reports";

/// The PostGIS store's pool.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
    /// The notification listener, once started; stopped by `close` (it
    /// holds a connection, which the pool's close would wait for).
    listener: Arc<Mutex<Option<tokio::task::JoinHandle<()>>>>,
}

impl PgStore {
    pub(crate) async fn open(url: &str) -> Result<Self> {
        let options = PgConnectOptions::from_str(url)?.application_name("partimap");
        let pool = PgPoolOptions::new()
            .max_connections(16)
            // A request waiting for a database that is away gets its answer
            // (503) within seconds, not after the default half minute.
            .acquire_timeout(Duration::from_secs(3))
            .connect_with(options)
            .await?;
        MIGRATOR.run(&pool).await?;
        Ok(Self {
            pool,
            listener: Arc::new(Mutex::new(None)),
        })
    }

    pub(crate) async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub(crate) async fn is_empty(&self) -> Result<bool> {
        let row = sqlx::query("SELECT EXISTS (SELECT 1 FROM organisations) AS any")
            .fetch_one(&self.pool)
            .await?;
        Ok(!row.try_get::<bool, _>("any")?)
    }

    /// A read-only transaction that sees one state of the database.
    async fn read_tx(&self) -> Result<Transaction<'static, Postgres>> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *tx)
            .await?;
        Ok(tx)
    }

    pub(crate) async fn snapshot(
        &self,
        early: impl FnOnce(&[Organisation], &[Procedure]) + Send,
    ) -> Result<Snapshot> {
        let mut tx = self.read_tx().await?;
        let seq = last_seq(&mut tx).await?;
        let organisations: Vec<Organisation> =
            sqlx::query(codec::assembled(format!("{ORGANISATIONS} ORDER BY id")))
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(codec::organisation)
                .collect::<Result<_>>()?;
        let procedures: Vec<Procedure> =
            sqlx::query(codec::assembled(format!("{PROCEDURES} ORDER BY id")))
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(codec::procedure)
                .collect::<Result<_>>()?;
        early(&organisations, &procedures);
        let mut reports = Vec::new();
        {
            let mut rows = sqlx::query(codec::assembled(format!(
                "{SNAPSHOT_REPORTS} {} ORDER BY id",
                codec::public_reports()
            )))
            .fetch(&mut *tx);
            while let Some(row) = rows.try_next().await? {
                reports.push(codec::snapshot_report(
                    &row,
                    row.try_get::<chrono::DateTime<chrono::Utc>, _>("created")?,
                )?);
            }
        }
        reports.shrink_to_fit();
        tx.commit().await?;
        Ok(Snapshot {
            organisations,
            procedures,
            reports,
            seq,
        })
    }

    pub(crate) async fn read_changes(&self, after: i64, max_ids: usize) -> Result<ChangeFeed> {
        let mut tx = self.read_tx().await?;
        let mut changed = ChangedIds::default();
        let mut too_many = false;
        {
            let mut rows =
                sqlx::query("SELECT seq, entity, op, ids FROM changes WHERE seq > $1 ORDER BY seq")
                    .bind(after)
                    .fetch(&mut *tx);
            while let Some(row) = rows.try_next().await? {
                let entity: String = row.try_get("entity")?;
                let op: String = row.try_get("op")?;
                let ids: Vec<i64> = row.try_get("ids")?;
                let seq = row.try_get("seq")?;
                match (&*op, &*ids) {
                    // A direct import's ids: first and last of a range.
                    (RANGE_OP, [first, last]) => {
                        let n = usize::try_from(last - first + 1).unwrap_or(0);
                        if changed.len() + n > max_ids {
                            too_many = true;
                            break;
                        }
                        changed.add(seq, &entity, *first..=*last);
                    }
                    _ => changed.add(seq, &entity, ids),
                }
                if changed.len() > max_ids {
                    too_many = true;
                    break;
                }
            }
        }
        if changed.len() == 0 && !too_many {
            return Ok(ChangeFeed::UpToDate);
        }
        if too_many {
            return Ok(ChangeFeed::TooMany {
                seq: last_seq(&mut tx).await?,
            });
        }
        changed.dedup();
        let organisations = by_ids(&mut tx, ORGANISATIONS, &changed.organisations)
            .await?
            .iter()
            .map(codec::organisation)
            .collect::<Result<_>>()?;
        let procedures = by_ids(&mut tx, PROCEDURES, &changed.procedures)
            .await?
            .iter()
            .map(codec::procedure)
            .collect::<Result<_>>()?;
        let reports = by_ids(&mut tx, REPORTS, &changed.reports)
            .await?
            .iter()
            .map(codec::report)
            .collect::<Result<_>>()?;
        tx.commit().await?;
        Ok(ChangeFeed::Changes(changed.into_change_set(
            organisations,
            procedures,
            reports,
        )))
    }

    /// Starts (once per store) a task that listens on [`CHANNEL`] and
    /// passes every sequence number heard to `committed`. When the
    /// connection is lost it connects again, every second, until the pool is
    /// closed; what was said meanwhile is caught up by reading the sequence.
    pub(crate) fn listen(&self, committed: Arc<watch::Sender<i64>>) {
        let mut listener = self
            .listener
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if listener.is_some() {
            return;
        }
        let pool = self.pool.clone();
        *listener = Some(tokio::spawn(async move {
            while !pool.is_closed() {
                if let Err(e) = listen_once(&pool, &committed).await {
                    tracing::warn!(error = %e, "change notifications: connection lost, reconnecting");
                }
                // Wake the follower: it reads the sequence, which covers
                // whatever was notified while nobody listened.
                committed.send_modify(|_| {});
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }));
    }

    pub(crate) async fn create_token(
        &self,
        hash: &str,
        organisation: Option<OrganisationId>,
        label: &str,
    ) -> Result<i64> {
        Ok(sqlx::query(
            "INSERT INTO tokens (hash, organisation_id, label) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(hash)
        .bind(organisation.map(|o| o.0))
        .bind(label)
        .fetch_one(&self.pool)
        .await?
        .try_get("id")?)
    }

    pub(crate) async fn token_scope(&self, hash: &str) -> Result<Option<TokenScope>> {
        let row = sqlx::query("SELECT id, organisation_id FROM tokens WHERE hash = $1")
            .bind(hash)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok(TokenScope {
                token: r.try_get("id")?,
                organisation: r
                    .try_get::<Option<i64>, _>("organisation_id")?
                    .map(OrganisationId),
            })
        })
        .transpose()
    }

    pub(crate) async fn organisation_name(&self, id: OrganisationId) -> Result<Option<String>> {
        let mut tx = self.read_tx().await?;
        Ok(
            sqlx::query_scalar("SELECT name FROM organisations WHERE id = $1")
                .bind(id.0)
                .fetch_optional(&mut *tx)
                .await?,
        )
    }

    pub(crate) async fn procedures_of_key(
        &self,
        key: &str,
    ) -> Result<Option<(OrganisationId, Vec<Procedure>)>> {
        let mut tx = self.read_tx().await?;
        let id: Option<i64> = sqlx::query_scalar("SELECT id FROM organisations WHERE key = $1")
            .bind(key)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(id) = id else {
            return Ok(None);
        };
        let procedures = sqlx::query(codec::assembled(format!(
            "{PROCEDURES} WHERE organisation_id = $1 ORDER BY id"
        )))
        .bind(id)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(codec::procedure)
        .collect::<Result<_>>()?;
        Ok(Some((OrganisationId(id), procedures)))
    }

    pub(crate) async fn procedures_by_ids(&self, ids: &[i64]) -> Result<Vec<Procedure>> {
        let mut tx = self.read_tx().await?;
        by_ids(&mut tx, PROCEDURES, ids)
            .await?
            .iter()
            .map(codec::procedure)
            .collect()
    }

    /// Public reports by `query`, or the one with `id` if public.
    pub(crate) async fn public_reports(
        &self,
        query: &ReportQuery,
        id: Option<ReportId>,
    ) -> Result<(Vec<ReportRecord>, u64)> {
        let select = REPORT_RECORDS.replace("{private}", PUBLIC_COLUMNS);
        let mut tx = self.read_tx().await?;
        if let Some(id) = id {
            let row = sqlx::query(codec::assembled(format!(
                "{select} WHERE id = $1 AND status IN ('published', 'in_progress', 'resolved')"
            )))
            .bind(id.0)
            .fetch_optional(&mut *tx)
            .await?;
            let found: Vec<_> = row
                .iter()
                .map(codec::report_record)
                .collect::<Result<_>>()?;
            let n = found.len() as u64;
            return Ok((found, n));
        }
        let procedures: Vec<i64> = query.procedures.iter().map(|p| p.0).collect();
        let categories = (!query.categories.is_empty()).then(|| query.categories.clone());
        let [w, s, e, n] = query.bbox.map_or([None; 4], |b| b.map(Some));
        let statuses = (!query.statuses.is_empty()).then(|| {
            query
                .statuses
                .iter()
                .map(|s| s.as_str().to_owned())
                .collect::<Vec<_>>()
        });
        let ids =
            (!query.ids.is_empty()).then(|| query.ids.iter().map(|i| i.0).collect::<Vec<_>>());
        // $1 to $10 select; the page's limit and offset are $11 and $12.
        let filter = "WHERE procedure_id = ANY($1)
                        AND status IN ('published', 'in_progress', 'resolved')
                        AND ($2::text[] IS NULL OR category = ANY($2))
                        AND ($3::float8 IS NULL
                             OR location && ST_MakeEnvelope($3, $4, $5, $6, 4326))
                        AND ($7::timestamptz IS NULL OR created >= $7)
                        AND ($8::timestamptz IS NULL OR created <= $8)
                        AND ($9::text[] IS NULL OR status = ANY($9))
                        AND ($10::int8[] IS NULL OR id = ANY($10))";
        let bind = |q: sqlx::query::Query<'static, Postgres, sqlx::postgres::PgArguments>| {
            q.bind(procedures.clone())
                .bind(categories.clone())
                .bind(w)
                .bind(s)
                .bind(e)
                .bind(n)
                .bind(query.from)
                .bind(query.to)
                .bind(statuses.clone())
                .bind(ids.clone())
        };
        let matched: i64 = bind(sqlx::query(codec::assembled(format!(
            "SELECT count(*) AS n FROM reports {filter}"
        ))))
        .fetch_one(&mut *tx)
        .await?
        .try_get("n")?;
        let rows = bind(sqlx::query(codec::assembled(format!(
            "{select} {filter} ORDER BY id LIMIT $11 OFFSET $12"
        ))))
        .bind(i64::from(query.limit))
        .bind(i64::try_from(query.offset).unwrap_or(i64::MAX))
        .fetch_all(&mut *tx)
        .await?;
        let found = rows
            .iter()
            .map(codec::report_record)
            .collect::<Result<_>>()?;
        Ok((found, u64::try_from(matched).unwrap_or(0)))
    }

    pub(crate) async fn begin(&self) -> Result<PgTx> {
        Ok(PgTx {
            tx: self.pool.begin().await?,
            staging: Staging::None,
            merged_direct: false,
            placeholders: Vec::new(),
        })
    }

    pub(crate) async fn close(&self) {
        let listener = self
            .listener
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(task) = listener {
            task.abort();
            // Its connection goes back when the task is gone.
            let _ = task.await;
        }
        self.pool.close().await;
    }
}

async fn listen_once(pool: &PgPool, committed: &watch::Sender<i64>) -> Result<()> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.ignore_pool_close_event(true);
    listener.listen(CHANNEL).await?;
    tracing::debug!("listening for change notifications");
    // What was committed before this listener heard anything: from the
    // sequence itself.
    let last: i64 = sqlx::query_scalar("SELECT coalesce(max(seq), 0) FROM changes")
        .fetch_one(pool)
        .await?;
    crate::raise(committed, last);
    // `try_recv` answers `None` when the connection is lost, instead of
    // reconnecting silently: the caller then says so and catches up.
    while let Some(n) = listener.try_recv().await? {
        if let Ok(seq) = n.payload().parse::<i64>() {
            crate::raise(committed, seq);
        }
    }
    Ok(())
}

async fn last_seq(tx: &mut Transaction<'static, Postgres>) -> Result<i64> {
    Ok(
        sqlx::query("SELECT coalesce(max(seq), 0) AS seq FROM changes")
            .fetch_one(&mut **tx)
            .await?
            .try_get("seq")?,
    )
}

/// The rows of `select` (a statement without WHERE) whose id is in `ids`.
async fn by_ids(
    tx: &mut Transaction<'static, Postgres>,
    select: &str,
    ids: &[i64],
) -> Result<Vec<PgRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(sqlx::query(codec::assembled(format!(
        "{select} WHERE id = ANY($1) ORDER BY id"
    )))
    .bind(ids)
    .fetch_all(&mut **tx)
    .await?)
}

/// Binds a procedure's columns as parameters 1 (id) to 14
/// (location_precision_m).
fn bind_procedure<'q>(
    query: sqlx::query::Query<'q, Postgres, sqlx::postgres::PgArguments>,
    p: &'q Procedure,
) -> sqlx::query::Query<'q, Postgres, sqlx::postgres::PgArguments> {
    query
        .bind(p.id.0)
        .bind(p.organisation.0)
        .bind(&p.external_id)
        .bind(&p.title)
        .bind(&p.summary)
        .bind(p.kind.as_str())
        .bind(p.start)
        .bind(p.end)
        .bind(p.status_override.map(|s| s.as_str()))
        .bind(&p.url)
        .bind(p.area.as_ref().map(codec::area_to_text))
        .bind(codec::categories_to_text(&p.categories))
        .bind(p.moderation.as_str())
        .bind(p.location_precision_m.map(i64::from))
}

/// A write transaction on PostGIS.
#[derive(Debug)]
pub struct PgTx {
    tx: Transaction<'static, Postgres>,
    /// Where staged reports (imports) go.
    staging: Staging,
    /// Whether the staged reports went straight into `reports` (then no
    /// stored report could match, and the file's are all there is).
    merged_direct: bool,
    /// Change rows written before commit under negative placeholder
    /// numbers (bulk imports record their ids in the database); they get
    /// their sequence numbers at commit, under the change lock.
    placeholders: Vec<i64>,
}

/// From this many staged reports, and a quarter of the table, a merge
/// rebuilds the reports' secondary indexes instead of updating them row by
/// row: for a million rows about four times faster.
const BULK: i64 = 100_000;

/// From this many staged reports, and a quarter of the table, an import
/// with nothing to match writes straight into `reports` (see
/// [`Staging::Direct`]): on an empty table from the first batch.
const DIRECT_FROM: i64 = 10_000;

/// Where the reports of an import go.
#[derive(Debug, Default)]
enum Staging {
    /// Nowhere yet.
    #[default]
    None,
    /// Into the temporary table `import_reports`, merged when the file is
    /// through. `matching`: whether stored reports have external ids the
    /// file's could match; `direct_from`: how many staged reports make the
    /// rest go straight into `reports` (none when stored ones could match).
    Table {
        staged: i64,
        matching: bool,
        direct_from: Option<i64>,
    },
    /// Straight into `reports` by binary COPY while the file is read, its
    /// secondary indexes and foreign keys dropped inside savepoint `bulk`
    /// and built again at the merge. The rows with ids `after + 1` to
    /// `after + staged` are this import's, in file order: the import holds
    /// the id sequence (no other transaction can take a number until it
    /// ends) and numbers its rows itself — COPY calling `nextval` for every
    /// row took a third of its time.
    Direct {
        staged: i64,
        after: i64,
        dropped: Dropped,
    },
}

/// An import's rows in the staging table, where each feature starts.
const STAGED_ROWS: &str =
    "SELECT feature, line, col, procedure_id, external_id FROM import_reports";
/// An import's rows written straight into `reports` (ids above `$2`): their
/// ids give their features, not where these start.
const DIRECT_ROWS: &str =
    "SELECT id - $2 - 1 AS feature, NULL::bigint AS line, NULL::bigint AS col,
            procedure_id, external_id
     FROM reports WHERE id > $2";

/// The secondary indexes and foreign keys of `reports` a bulk write dropped:
/// (name, definition) each.
#[derive(Debug, Default)]
struct Dropped {
    primary_key: Option<(String, String)>,
    indexes: Vec<(String, String)>,
    foreign_keys: Vec<(String, String)>,
}

/// The columns of `reports` an import writes (the id from the sequence).
const REPORT_COLUMNS: &str =
    "procedure_id, external_id, category, description, status, location, created, contact_email";
/// The columns of [`binary_reports`]: with the id.
const DIRECT_COLUMNS: &str = "id, procedure_id, external_id, category, description, status, location, created, contact_email";

/// Reports in PostgreSQL's binary COPY format (header, tuples, trailer) for
/// `COPY reports (DIRECT_COLUMNS) FROM STDIN (FORMAT binary)`, numbered from
/// `first_id`: no number or time is formatted as text and parsed again. The
/// location is EWKB, which PostGIS's binary input reads.
fn binary_reports(batch: &[StagedReport], first_id: i64) -> Vec<u8> {
    /// Microseconds from the Unix epoch to PostgreSQL's, 2000-01-01.
    const PG_EPOCH_MICROS: i64 = 946_684_800_000_000;
    fn text(out: &mut Vec<u8>, s: Option<&str>) {
        match s {
            Some(s) => {
                out.extend_from_slice(&i32::try_from(s.len()).unwrap_or(i32::MAX).to_be_bytes());
                out.extend_from_slice(s.as_bytes());
            }
            None => out.extend_from_slice(&(-1i32).to_be_bytes()),
        }
    }
    let mut out = Vec::with_capacity(19 + batch.len() * 160);
    out.extend_from_slice(b"PGCOPY\n\xff\r\n\0");
    out.extend_from_slice(&[0; 8]); // flags, header extension length
    for (id, s) in (first_id..).zip(batch) {
        let r = &s.report;
        out.extend_from_slice(&9i16.to_be_bytes());
        out.extend_from_slice(&8i32.to_be_bytes());
        out.extend_from_slice(&id.to_be_bytes());
        out.extend_from_slice(&8i32.to_be_bytes());
        out.extend_from_slice(&r.procedure.0.to_be_bytes());
        text(&mut out, r.external_id.as_deref());
        text(&mut out, Some(&r.category));
        text(&mut out, Some(&r.description));
        text(&mut out, Some(r.status.as_str()));
        // EWKB: little endian, Point with SRID 4326.
        out.extend_from_slice(&25i32.to_be_bytes());
        out.push(1);
        out.extend_from_slice(&0x2000_0001u32.to_le_bytes());
        out.extend_from_slice(&4326u32.to_le_bytes());
        out.extend_from_slice(&r.location.x().to_le_bytes());
        out.extend_from_slice(&r.location.y().to_le_bytes());
        out.extend_from_slice(&8i32.to_be_bytes());
        out.extend_from_slice(&(r.created.timestamp_micros() - PG_EPOCH_MICROS).to_be_bytes());
        text(&mut out, r.contact.as_ref().map(|c| c.email()));
    }
    out.extend_from_slice(&(-1i16).to_be_bytes());
    out
}

/// Appends `s` in `COPY … FROM STDIN` text format (backslash escapes).
fn copy_text(out: &mut Vec<u8>, s: &str) {
    for b in s.bytes() {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            _ => out.push(b),
        }
    }
}

fn copy_optional(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => copy_text(out, s),
        None => out.extend_from_slice(b"\\N"),
    }
}

fn id_sequence(entity: Entity) -> &'static str {
    match entity {
        Entity::Organisation => "organisations_id_seq",
        Entity::Procedure => "procedures_id_seq",
        Entity::Report => "reports_id_seq",
    }
}

impl PgTx {
    pub(crate) async fn report_record(&mut self, id: ReportId) -> Result<Option<ReportRecord>> {
        // A moderator's read locks the row until the decision is written:
        // two moderators deciding at once are serialised, each against the
        // status the other left.
        let sql = REPORT_RECORDS.replace("{private}", MODERATED_COLUMNS);
        sqlx::query(codec::assembled(format!("{sql} WHERE id = $1 FOR UPDATE")))
            .bind(id.0)
            .fetch_optional(&mut *self.tx)
            .await?
            .map(|row| codec::report_record(&row))
            .transpose()
    }

    pub(crate) async fn open_reports_near(
        &mut self,
        procedure: ProcedureId,
        category: &str,
        [west, south, east, north]: [f64; 4],
        since: DateTime<Utc>,
    ) -> Result<Vec<Report>> {
        sqlx::query(codec::assembled(format!(
            "{REPORTS} WHERE procedure_id = $1 AND category = $2
                         AND status IN ('published', 'in_progress')
                         AND location && ST_MakeEnvelope($3, $4, $5, $6, 4326)
                         AND created >= $7
             ORDER BY id"
        )))
        .bind(procedure.0)
        .bind(category)
        .bind(west)
        .bind(south)
        .bind(east)
        .bind(north)
        .bind(since)
        .fetch_all(&mut *self.tx)
        .await?
        .iter()
        .map(codec::report)
        .collect()
    }

    pub(crate) async fn moderate_report(
        &mut self,
        id: ReportId,
        decision: &Decision,
        original: Option<&str>,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE reports SET status = $2, status_note = coalesce($3, status_note),
                    description = coalesce($4, description),
                    original_description = coalesce(original_description, $5)
             WHERE id = $1",
        )
        .bind(id.0)
        .bind(decision.status.as_str())
        .bind(&decision.note)
        .bind(&decision.description)
        .bind(original)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    pub(crate) async fn set_exact_location(
        &mut self,
        id: ReportId,
        p: geo::Point<f64>,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE reports SET exact_location = ST_SetSRID(ST_MakePoint($1, $2), 4326) WHERE id = $3",
        )
        .bind(p.x())
        .bind(p.y())
        .bind(id.0)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    pub(crate) async fn log_report_event(&mut self, id: ReportId, e: &ReportEvent) -> Result<()> {
        sqlx::query(
            "INSERT INTO report_events (report_id, at, token_id, old_status, new_status, note,
                                        description_edited)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id.0)
        .bind(e.at)
        .bind(e.token)
        .bind(e.old_status.map(|s| s.as_str()))
        .bind(e.new_status.as_str())
        .bind(&e.note)
        .bind(e.description_edited)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    pub(crate) async fn report_events(&mut self, id: ReportId) -> Result<Vec<ReportEvent>> {
        sqlx::query(
            "SELECT report_id,
                    to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS at,
                    token_id, old_status, new_status, note, description_edited
             FROM report_events WHERE report_id = $1 ORDER BY id",
        )
        .bind(id.0)
        .fetch_all(&mut *self.tx)
        .await?
        .iter()
        .map(|row| codec::report_event(row, row.try_get::<bool, _>("description_edited")?))
        .collect()
    }

    pub(crate) async fn next_id(&mut self, entity: Entity) -> Result<i64> {
        Ok(sqlx::query("SELECT nextval($1::regclass) AS id")
            .bind(id_sequence(entity))
            .fetch_one(&mut *self.tx)
            .await?
            .try_get("id")?)
    }

    pub(crate) async fn organisation_id_by_key(
        &mut self,
        key: &str,
    ) -> Result<Option<OrganisationId>> {
        let row = sqlx::query("SELECT id FROM organisations WHERE key = $1")
            .bind(key)
            .fetch_optional(&mut *self.tx)
            .await?;
        Ok(row
            .map(|r| r.try_get("id"))
            .transpose()?
            .map(OrganisationId))
    }

    pub(crate) async fn organisation_key_by_id(
        &mut self,
        id: OrganisationId,
    ) -> Result<Option<String>> {
        let row = sqlx::query("SELECT key FROM organisations WHERE id = $1")
            .bind(id.0)
            .fetch_optional(&mut *self.tx)
            .await?;
        Ok(row.map(|r| r.try_get("key")).transpose()?)
    }

    pub(crate) async fn organisation_keys(&mut self) -> Result<Vec<(String, OrganisationId)>> {
        let rows = sqlx::query("SELECT key, id FROM organisations ORDER BY id")
            .fetch_all(&mut *self.tx)
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("key")?, OrganisationId(r.try_get("id")?))))
            .collect()
    }

    pub(crate) async fn procedures_in(
        &mut self,
        organisation: Option<OrganisationId>,
    ) -> Result<Vec<Procedure>> {
        sqlx::query(codec::assembled(format!(
            "{PROCEDURES} WHERE $1::bigint IS NULL OR organisation_id = $1 ORDER BY id"
        )))
        .bind(organisation.map(|o| o.0))
        .fetch_all(&mut *self.tx)
        .await?
        .iter()
        .map(codec::procedure)
        .collect()
    }

    pub(crate) async fn organisation(
        &mut self,
        id: OrganisationId,
    ) -> Result<Option<Organisation>> {
        let row = sqlx::query(codec::assembled(format!("{ORGANISATIONS} WHERE id = $1")))
            .bind(id.0)
            .fetch_optional(&mut *self.tx)
            .await?;
        row.as_ref().map(codec::organisation).transpose()
    }

    pub(crate) async fn procedure(&mut self, id: ProcedureId) -> Result<Option<Procedure>> {
        let row = sqlx::query(codec::assembled(format!("{PROCEDURES} WHERE id = $1")))
            .bind(id.0)
            .fetch_optional(&mut *self.tx)
            .await?;
        row.as_ref().map(codec::procedure).transpose()
    }

    pub(crate) async fn procedure_by_external_id(
        &mut self,
        organisation: OrganisationId,
        external_id: &str,
    ) -> Result<Option<Procedure>> {
        let row = sqlx::query(codec::assembled(format!(
            "{PROCEDURES} WHERE organisation_id = $1 AND external_id = $2"
        )))
        .bind(organisation.0)
        .bind(external_id)
        .fetch_optional(&mut *self.tx)
        .await?;
        row.as_ref().map(codec::procedure).transpose()
    }

    pub(crate) async fn procedures_of(
        &mut self,
        organisation: OrganisationId,
    ) -> Result<Vec<(ProcedureId, String)>> {
        let rows = sqlx::query(
            "SELECT id, external_id FROM procedures WHERE organisation_id = $1 ORDER BY id",
        )
        .bind(organisation.0)
        .fetch_all(&mut *self.tx)
        .await?;
        rows.iter()
            .map(|r| Ok((ProcedureId(r.try_get("id")?), r.try_get("external_id")?)))
            .collect()
    }

    /// Deletes a procedure and its reports; the ids of the reports.
    pub(crate) async fn delete_procedure(&mut self, id: ProcedureId) -> Result<Vec<i64>> {
        let reports: Vec<i64> =
            sqlx::query("DELETE FROM reports WHERE procedure_id = $1 RETURNING id")
                .bind(id.0)
                .fetch_all(&mut *self.tx)
                .await?
                .iter()
                .map(|r| r.try_get("id"))
                .collect::<Result<_, _>>()?;
        sqlx::query("DELETE FROM procedures WHERE id = $1")
            .bind(id.0)
            .execute(&mut *self.tx)
            .await?;
        Ok(reports)
    }

    pub(crate) async fn set_embed_origins(
        &mut self,
        id: OrganisationId,
        origins: &[String],
    ) -> Result<()> {
        sqlx::query("UPDATE organisations SET embed_origins = $1 WHERE id = $2")
            .bind(origins.join(" "))
            .bind(id.0)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    pub(crate) async fn insert_organisation(&mut self, o: &Organisation) -> Result<()> {
        sqlx::query(
            "INSERT INTO organisations (id, key, name, kind, ags, parent_id, seat, embed_origins)
             VALUES ($1, $2, $3, $4, $5, $6, ST_SetSRID(ST_MakePoint($7, $8), 4326), $9)",
        )
        .bind(o.id.0)
        .bind(&o.key)
        .bind(&o.name)
        .bind(o.kind.as_str())
        .bind(o.ags.as_ref().map(|a| a.as_str().to_owned()))
        .bind(o.parent.map(|p| p.0))
        .bind(o.seat.map(|s| s.x()))
        .bind(o.seat.map(|s| s.y()))
        .bind(o.embed_origins.join(" "))
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    pub(crate) async fn insert_procedure(&mut self, p: &Procedure) -> Result<()> {
        bind_procedure(
            sqlx::query(
                "INSERT INTO procedures (id, organisation_id, external_id, title, summary, kind,
                                         start_date, end_date, status_override, url, area,
                                         categories, moderation, location_precision_m)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,
                         ST_SetSRID(ST_GeomFromGeoJSON($11), 4326), $12::jsonb, $13, $14)",
            ),
            p,
        )
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    pub(crate) async fn update_procedure(&mut self, p: &Procedure) -> Result<()> {
        bind_procedure(
            sqlx::query(
                "UPDATE procedures SET organisation_id = $2, external_id = $3, title = $4,
                        summary = $5, kind = $6, start_date = $7, end_date = $8,
                        status_override = $9, url = $10,
                        area = ST_SetSRID(ST_GeomFromGeoJSON($11), 4326), categories = $12::jsonb,
                        moderation = $13, location_precision_m = $14
                 WHERE id = $1",
            ),
            p,
        )
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    pub(crate) async fn insert_report(&mut self, r: &Report) -> Result<()> {
        sqlx::query(
            "INSERT INTO reports (id, procedure_id, external_id, category, description, status,
                                  location, created, contact_email)
             VALUES ($1, $2, $3, $4, $5, $6, ST_SetSRID(ST_MakePoint($7, $8), 4326), $9, $10)",
        )
        .bind(r.id.0)
        .bind(r.procedure.0)
        .bind(&r.external_id)
        .bind(&r.category)
        .bind(&r.description)
        .bind(r.status.as_str())
        .bind(r.location.x())
        .bind(r.location.y())
        .bind(r.created)
        .bind(r.contact.as_ref().map(|c| c.email().to_owned()))
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    pub(crate) async fn stage_reports(&mut self, batch: &[StagedReport]) -> Result<()> {
        if matches!(self.staging, Staging::None) {
            self.start_staging().await?;
        }
        let len = i64::try_from(batch.len()).unwrap_or(i64::MAX);
        match &mut self.staging {
            Staging::Direct { staged, after, .. } => {
                let first_id = *after + *staged + 1;
                *staged += len;
                let mut copy = self
                    .tx
                    .copy_in_raw(&format!(
                        "COPY reports ({DIRECT_COLUMNS}) FROM STDIN (FORMAT binary)"
                    ))
                    .await?;
                copy.send(binary_reports(batch, first_id)).await?;
                copy.finish().await?;
                Ok(())
            }
            Staging::Table {
                staged,
                direct_from,
                ..
            } => {
                *staged += len;
                let go_direct = direct_from.is_some_and(|from| *staged >= from);
                self.copy_into_table(batch).await?;
                if go_direct {
                    self.go_direct().await?;
                }
                Ok(())
            }
            Staging::None => unreachable!("staging started above"),
        }
    }

    /// The staging table, and whether this import may write straight into
    /// `reports`: when no stored report has an external id (nothing to
    /// match, as in a first import) and the import turns out large.
    async fn start_staging(&mut self) -> Result<()> {
        sqlx::query(
            "CREATE TEMP TABLE import_reports (
                 feature BIGINT NOT NULL, line BIGINT NOT NULL, col BIGINT NOT NULL,
                 procedure_id BIGINT NOT NULL, external_id TEXT, category TEXT NOT NULL,
                 description TEXT NOT NULL, status TEXT NOT NULL,
                 lon DOUBLE PRECISION NOT NULL, lat DOUBLE PRECISION NOT NULL,
                 created TIMESTAMPTZ, contact_email TEXT
             ) ON COMMIT DROP",
        )
        .execute(&mut *self.tx)
        .await?;
        // Hash aggregates and index builds of a million rows in memory, for
        // this transaction only.
        sqlx::query("SET LOCAL work_mem = '256MB'")
            .execute(&mut *self.tx)
            .await?;
        sqlx::query("SET LOCAL maintenance_work_mem = '512MB'")
            .execute(&mut *self.tx)
            .await?;
        let matching: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM reports WHERE external_id IS NOT NULL)",
        )
        .fetch_one(&mut *self.tx)
        .await?;
        let rows: f32 = sqlx::query_scalar(
            "SELECT greatest(reltuples, 0)::real FROM pg_class WHERE oid = 'reports'::regclass",
        )
        .fetch_one(&mut *self.tx)
        .await?;
        self.staging = Staging::Table {
            staged: 0,
            matching,
            direct_from: (!matching).then(|| DIRECT_FROM.max((rows / 4.0) as i64)),
        };
        Ok(())
    }

    async fn copy_into_table(&mut self, batch: &[StagedReport]) -> Result<()> {
        use std::io::Write;
        let mut data = Vec::with_capacity(batch.len() * 200);
        for s in batch {
            let r = &s.report;
            // Writing into a Vec cannot fail.
            let _ = write!(
                data,
                "{}\t{}\t{}\t{}\t",
                s.feature, s.line, s.column, r.procedure.0
            );
            copy_optional(&mut data, r.external_id.as_deref());
            data.push(b'\t');
            copy_text(&mut data, &r.category);
            data.push(b'\t');
            copy_text(&mut data, &r.description);
            let _ = write!(
                data,
                "\t{}\t{}\t{}\t{}\t",
                r.status.as_str(),
                r.location.x(),
                r.location.y(),
                if s.created_given {
                    codec::timestamp(r.created)
                } else {
                    "\\N".to_owned()
                }
            );
            copy_optional(&mut data, r.contact.as_ref().map(|c| c.email()));
            data.push(b'\n');
        }
        let mut copy = self
            .tx
            .copy_in_raw(
                "COPY import_reports (feature, line, col, procedure_id, external_id, category,
                                      description, status, lon, lat, created, contact_email)
                 FROM STDIN",
            )
            .await?;
        copy.send(data).await?;
        copy.finish().await?;
        Ok(())
    }

    /// From now on reports go straight into `reports`: its secondary indexes
    /// and foreign keys are dropped (which locks the table until commit),
    /// and the reports staged so far move there in file order.
    async fn go_direct(&mut self) -> Result<()> {
        let Staging::Table { staged, .. } = self.staging else {
            return Ok(());
        };
        sqlx::query("SAVEPOINT bulk").execute(&mut *self.tx).await?;
        let mut dropped = self.drop_secondary().await?;
        // The primary key too, unless another table refers to it: COPY
        // maintaining it takes a third longer than building it afterwards.
        let key: Option<(String, String)> = sqlx::query_as(
            "SELECT conname::text, pg_get_constraintdef(oid) FROM pg_constraint
             WHERE conrelid = 'reports'::regclass AND contype = 'p'
               AND NOT EXISTS (SELECT 1 FROM pg_constraint
                               WHERE confrelid = 'reports'::regclass AND contype = 'f')",
        )
        .fetch_optional(&mut *self.tx)
        .await?;
        if let Some((name, definition)) = key {
            sqlx::query(codec::assembled(format!(
                "ALTER TABLE reports DROP CONSTRAINT \"{name}\""
            )))
            .execute(&mut *self.tx)
            .await?;
            dropped.primary_key = Some((name, definition));
        }
        // The id sequence, until commit: an ALTER SEQUENCE holds a lock that
        // every nextval waits for (as inserts wait for the table's lock).
        sqlx::query("ALTER SEQUENCE reports_id_seq INCREMENT BY 1")
            .execute(&mut *self.tx)
            .await?;
        // Ids above the largest stored or handed out are this import's.
        let after: i64 = sqlx::query_scalar(
            "SELECT greatest(
                 (SELECT max(id) FROM reports),
                 (SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END
                  FROM reports_id_seq),
                 0)",
        )
        .fetch_one(&mut *self.tx)
        .await?;
        sqlx::query(codec::assembled(format!(
            "INSERT INTO reports ({DIRECT_COLUMNS})
             SELECT $1 + row_number() OVER (ORDER BY feature), procedure_id, external_id,
                    category, description, status,
                    ST_SetSRID(ST_MakePoint(lon, lat), 4326), coalesce(created, now()),
                    contact_email
             FROM import_reports"
        )))
        .bind(after)
        .execute(&mut *self.tx)
        .await?;
        sqlx::query("TRUNCATE import_reports")
            .execute(&mut *self.tx)
            .await?;
        self.staging = Staging::Direct {
            staged,
            after,
            dropped,
        };
        Ok(())
    }

    /// Drops the secondary indexes and foreign keys of `reports`, for a bulk
    /// write (inside a savepoint); what [`Self::restore_secondary`] builds again.
    async fn drop_secondary(&mut self) -> Result<Dropped> {
        let foreign_keys: Vec<(String, String)> = sqlx::query_as(
            "SELECT conname::text, pg_get_constraintdef(oid) FROM pg_constraint
             WHERE conrelid = 'reports'::regclass AND contype = 'f' ORDER BY conname",
        )
        .fetch_all(&mut *self.tx)
        .await?;
        for (name, _) in &foreign_keys {
            sqlx::query(codec::assembled(format!(
                "ALTER TABLE reports DROP CONSTRAINT \"{name}\""
            )))
            .execute(&mut *self.tx)
            .await?;
        }
        // Unique ones first: when one cannot be built again, the others
        // need not be.
        let indexes: Vec<(String, String)> = sqlx::query_as(
            "SELECT i.relname::text, pg_get_indexdef(i.oid)
             FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
             WHERE x.indrelid = 'reports'::regclass AND NOT x.indisprimary
             ORDER BY x.indisunique DESC, i.relname",
        )
        .fetch_all(&mut *self.tx)
        .await?;
        for (name, _) in &indexes {
            sqlx::query(codec::assembled(format!("DROP INDEX \"{name}\"")))
                .execute(&mut *self.tx)
                .await?;
        }
        Ok(Dropped {
            primary_key: None,
            indexes,
            foreign_keys,
        })
    }

    /// Builds the dropped indexes and foreign keys again; `Ok(false)` when a
    /// unique index cannot be built because the rows repeat a key (the
    /// transaction is then back at savepoint `restore`, before the attempt).
    async fn restore_secondary(&mut self, dropped: &Dropped) -> Result<bool> {
        if let Some((name, definition)) = &dropped.primary_key {
            // Ids come from the sequence: they do not repeat.
            sqlx::query(codec::assembled(format!(
                "ALTER TABLE reports ADD CONSTRAINT \"{name}\" {definition}"
            )))
            .execute(&mut *self.tx)
            .await?;
        }
        for (_, definition) in &dropped.indexes {
            sqlx::query("SAVEPOINT restore")
                .execute(&mut *self.tx)
                .await?;
            match sqlx::query(codec::assembled(definition.clone()))
                .execute(&mut *self.tx)
                .await
            {
                Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("23505") => {
                    sqlx::query("ROLLBACK TO SAVEPOINT restore")
                        .execute(&mut *self.tx)
                        .await?;
                    return Ok(false);
                }
                other => other?,
            };
            sqlx::query("RELEASE SAVEPOINT restore")
                .execute(&mut *self.tx)
                .await?;
        }
        for (name, definition) in &dropped.foreign_keys {
            sqlx::query(codec::assembled(format!(
                "ALTER TABLE reports ADD CONSTRAINT \"{name}\" {definition}"
            )))
            .execute(&mut *self.tx)
            .await?;
        }
        Ok(true)
    }

    pub(crate) async fn merge_staged_reports(&mut self, listed: usize) -> Result<Merged> {
        match std::mem::take(&mut self.staging) {
            Staging::None => Ok(Merged::default()),
            Staging::Table {
                staged, matching, ..
            } => self.merge_table(staged, matching, listed).await,
            Staging::Direct {
                staged,
                after,
                dropped,
            } => {
                self.merged_direct = true;
                self.merge_direct(staged, after, &dropped, listed).await
            }
        }
    }

    pub(crate) async fn delete_reports_not_staged(
        &mut self,
        organisation: OrganisationId,
    ) -> Result<Vec<i64>> {
        // A direct import wrote into a table without external ids: the
        // organisation's imported reports are the file's.
        let staged: bool =
            sqlx::query_scalar("SELECT to_regclass('pg_temp.import_reports') IS NOT NULL")
                .fetch_one(&mut *self.tx)
                .await?;
        if self.merged_direct || !staged {
            return Ok(Vec::new());
        }
        Ok(sqlx::query_scalar(codec::DELETE_REPORTS_NOT_STAGED)
            .bind(organisation.0)
            .fetch_all(&mut *self.tx)
            .await?)
    }

    /// The end of a direct import: indexes and foreign keys back, the
    /// inserted ids recorded for the change feed.
    async fn merge_direct(
        &mut self,
        staged: i64,
        after: i64,
        dropped: &Dropped,
        listed: usize,
    ) -> Result<Merged> {
        if !self.restore_secondary(dropped).await? {
            // The rows are still there: their ids give their features.
            let repeats = self.duplicates(listed, DIRECT_ROWS, Some(after)).await?;
            sqlx::query("ROLLBACK TO SAVEPOINT bulk")
                .execute(&mut *self.tx)
                .await?;
            return Ok(repeats);
        }
        if staged > 0 {
            let placeholder = self.placeholder().await?;
            // The ids are one range: recorded as its ends (an array of a
            // million ids took a quarter of a second to build and store).
            sqlx::query(
                "INSERT INTO changes (seq, entity, op, ids)
                 VALUES ($1, 'report', 'insert_range', ARRAY[$2 + 1, $2 + $3])",
            )
            .bind(placeholder)
            .bind(after)
            .bind(staged)
            .execute(&mut *self.tx)
            .await?;
            self.placeholders.push(placeholder);
        }
        sqlx::query("RELEASE SAVEPOINT bulk")
            .execute(&mut *self.tx)
            .await?;
        // The sequence past the ids taken (it is this transaction's until
        // commit).
        if staged > 0 {
            sqlx::query("SELECT setval('reports_id_seq', $1)")
                .bind(after + staged)
                .execute(&mut *self.tx)
                .await?;
        }
        let inserted = u64::try_from(staged).unwrap_or(0);
        Ok(Merged {
            inserted,
            ..Merged::default()
        })
    }

    async fn merge_table(&mut self, staged: i64, matching: bool, listed: usize) -> Result<Merged> {
        let rows: f32 = sqlx::query_scalar(
            "SELECT greatest(reltuples, 0)::real FROM pg_class WHERE oid = 'reports'::regclass",
        )
        .fetch_one(&mut *self.tx)
        .await?;
        let bulk = staged >= BULK && (staged as f32) * 4.0 >= rows;
        if !bulk {
            let repeated: bool = sqlx::query_scalar(codec::REPEATS_AN_ID)
                .fetch_one(&mut *self.tx)
                .await?;
            if repeated {
                return self.duplicates(listed, STAGED_ROWS, None).await;
            }
        }
        let mut updated = 0;
        if matching {
            let placeholder = self.placeholder().await?;
            updated = sqlx::query(
                "WITH upd AS (
                     UPDATE reports r SET category = s.category, description = s.description,
                            status = s.status, created = coalesce(s.created, r.created),
                            location = ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326)
                     FROM import_reports s
                     WHERE s.external_id IS NOT NULL
                       AND r.procedure_id = s.procedure_id AND r.external_id = s.external_id
                       AND (r.category <> s.category OR r.description <> s.description
                            OR r.status <> s.status OR r.created <> coalesce(s.created, r.created)
                            OR ST_X(r.location) <> s.lon OR ST_Y(r.location) <> s.lat)
                     RETURNING r.id)
                 INSERT INTO changes (seq, entity, op, ids)
                 SELECT $1, 'report', 'update', array_agg(id) FROM upd HAVING count(*) > 0",
            )
            .bind(placeholder)
            .execute(&mut *self.tx)
            .await?
            .rows_affected();
            if updated > 0 {
                self.placeholders.push(placeholder);
                updated = sqlx::query_scalar::<_, i32>(
                    "SELECT cardinality(ids) FROM changes WHERE seq = $1",
                )
                .bind(placeholder)
                .fetch_one(&mut *self.tx)
                .await?
                .try_into()
                .unwrap_or(0);
            }
        }
        let mut dropped = Dropped::default();
        if bulk {
            // Repeated ids show when the unique index is built again; then
            // all of this is undone and they are listed.
            sqlx::query("SAVEPOINT bulk").execute(&mut *self.tx).await?;
            dropped = self.drop_secondary().await?;
        }
        let placeholder = self.placeholder().await?;
        let not_stored = if matching {
            "WHERE s.external_id IS NULL OR NOT EXISTS (
                 SELECT 1 FROM reports r
                 WHERE r.procedure_id = s.procedure_id AND r.external_id = s.external_id)"
        } else {
            ""
        };
        let inserted: Option<i32> = sqlx::query_scalar(codec::assembled(format!(
            "WITH ins AS (
                 INSERT INTO reports ({REPORT_COLUMNS})
                 SELECT procedure_id, external_id, category, description, status,
                        ST_SetSRID(ST_MakePoint(lon, lat), 4326), coalesce(created, now()),
                        contact_email
                 FROM import_reports s {not_stored}
                 RETURNING id),
             c AS (INSERT INTO changes (seq, entity, op, ids)
                   SELECT $1, 'report', 'insert', array_agg(id) FROM ins HAVING count(*) > 0
                   RETURNING cardinality(ids) AS n)
             SELECT n FROM c"
        )))
        .bind(placeholder)
        .fetch_optional(&mut *self.tx)
        .await?;
        let inserted = u64::try_from(inserted.unwrap_or(0)).unwrap_or(0);
        if inserted > 0 {
            self.placeholders.push(placeholder);
        }
        if bulk {
            if !self.restore_secondary(&dropped).await? {
                sqlx::query("ROLLBACK TO SAVEPOINT bulk")
                    .execute(&mut *self.tx)
                    .await?;
                self.placeholders.retain(|p| *p != placeholder);
                return self.duplicates(listed, STAGED_ROWS, None).await;
            }
            sqlx::query("RELEASE SAVEPOINT bulk")
                .execute(&mut *self.tx)
                .await?;
        }
        let staged = u64::try_from(staged).unwrap_or(0);
        Ok(Merged {
            inserted,
            updated,
            unchanged: staged.saturating_sub(inserted + updated),
            ..Merged::default()
        })
    }

    /// The reports of this import (`rows`: [`STAGED_ROWS`], or
    /// [`DIRECT_ROWS`] with the id they start after) whose (procedure,
    /// external id) an earlier one of the file had, up to `listed`, with how
    /// many there are.
    async fn duplicates(
        &mut self,
        listed: usize,
        rows: &str,
        after: Option<i64>,
    ) -> Result<Merged> {
        let mut query = sqlx::query(codec::assembled(format!(
            "WITH ours AS ({rows}),
             d AS (
                 SELECT feature, line, col, external_id,
                        min(feature) OVER (PARTITION BY procedure_id, external_id) AS first,
                        count(*) OVER (PARTITION BY procedure_id, external_id) AS n
                 FROM ours WHERE external_id IS NOT NULL)
             SELECT feature, line, col, external_id, first, count(*) OVER () AS total
             FROM d WHERE n > 1 AND feature <> first ORDER BY feature LIMIT $1"
        )))
        .bind(i64::try_from(listed).unwrap_or(i64::MAX));
        if let Some(after) = after {
            query = query.bind(after);
        }
        codec::duplicates(&query.fetch_all(&mut *self.tx).await?)
    }

    /// A placeholder number for a change row written before commit.
    async fn placeholder(&mut self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT -nextval('changes_seq_seq')")
            .fetch_one(&mut *self.tx)
            .await?)
    }

    /// Appends the recorded changes to the sequence (one row per entity and
    /// operation) under the change lock, moves the id sequences past the ids
    /// inserted, notifies, and commits; the last sequence number.
    pub(crate) async fn commit(mut self, recorded: &Recorded) -> Result<i64> {
        if recorded.ids.is_empty() && self.placeholders.is_empty() {
            let seq = last_seq(&mut self.tx).await?;
            self.tx.commit().await?;
            return Ok(seq);
        }
        // Held until the commit is visible: sequence numbers are taken in
        // commit order.
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(CHANGE_LOCK)
            .execute(&mut *self.tx)
            .await?;
        let mut seq = 0;
        if !self.placeholders.is_empty() {
            // Changes of bulk imports, written before: numbered now.
            let last: Option<i64> = sqlx::query_scalar(
                "WITH c AS (
                     UPDATE changes SET seq = nextval('changes_seq_seq')
                     WHERE seq = ANY($1) RETURNING seq)
                 SELECT max(seq) FROM c",
            )
            .bind(&self.placeholders)
            .fetch_one(&mut *self.tx)
            .await?;
            seq = last.unwrap_or(0);
        }
        for ((entity, op), ids) in &recorded.ids {
            seq = sqlx::query(
                "INSERT INTO changes (entity, op, ids) VALUES ($1, $2, $3) RETURNING seq",
            )
            .bind(entity.as_str())
            .bind(op.as_str())
            .bind(ids)
            .fetch_one(&mut *self.tx)
            .await?
            .try_get("seq")?;
        }
        for entity in [Entity::Organisation, Entity::Procedure, Entity::Report] {
            if let Some(max) = recorded.max_inserted(entity) {
                // Ids given by the caller (not taken from the sequence) must
                // not be handed out again.
                sqlx::query(
                    "SELECT setval($1::regclass, $2) FROM pg_sequences
                     WHERE schemaname = current_schema() AND sequencename = $1
                       AND coalesce(last_value, 0) < $2",
                )
                .bind(id_sequence(entity))
                .bind(max)
                .execute(&mut *self.tx)
                .await?;
            }
        }
        if seq == 0 {
            seq = last_seq(&mut self.tx).await?;
        }
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANNEL)
            .bind(seq.to_string())
            .execute(&mut *self.tx)
            .await?;
        self.tx.commit().await?;
        Ok(seq)
    }
}
