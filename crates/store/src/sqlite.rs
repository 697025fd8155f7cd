//! The embedded store: SQLite through sqlx.
//!
//! The database file is created with its migrations at first start. SQLite
//! serialises writers; the pool keeps readers concurrent through WAL mode.
//! Changes are announced in-process only: the embedded store has one
//! process.

use std::{path::Path, str::FromStr, time::Duration};

use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use partimap_model::{
    Decision, Organisation, OrganisationId, Procedure, ProcedureId, Report, ReportId,
};
use sqlx::{
    Row, Sqlite, SqlitePool, Transaction,
    sqlite::{
        SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
    },
};

use crate::{
    ChangeFeed, ChangedIds, Entity, Error, Merged, Recorded, ReportEvent, ReportQuery,
    ReportRecord, Result, Snapshot, StagedReport, TokenScope, codec,
};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

codec::columns!(SqliteRow);

const ORGANISATIONS: &str =
    "SELECT id, key, name, kind, ags, parent_id, seat, embed_origins FROM organisations";
const PROCEDURES: &str =
    "SELECT id, organisation_id, external_id, title, summary, kind, start_date, end_date,
            status_override, url, area, categories, moderation, location_precision_m
     FROM procedures";
// The contact is deliberately not selected: reports read feed public outputs.
const REPORTS: &str =
    "SELECT id, procedure_id, external_id, category, description, status, lon, lat, created
     FROM reports";
// A report with what moderation adds; `{private}` is the moderators'
// columns, or the same names as NULL for public reads.
const MODERATED_COLUMNS: &str = "original_description, contact_email, exact_lon, exact_lat";
const PUBLIC_COLUMNS: &str = "NULL AS original_description, NULL AS contact_email,
                              NULL AS exact_lon, NULL AS exact_lat";
const REPORT_RECORDS: &str =
    "SELECT id, procedure_id, external_id, category, description, status, lon, lat, created,
            status_note, {private}
     FROM reports";
/// The statuses of public reports, as an SQL list.
const PUBLIC: &str = "('published', 'in_progress', 'resolved')";
// A snapshot feeds the index, which keeps no report text: reports come
// without their description.
const SNAPSHOT_REPORTS: &str =
    "SELECT id, procedure_id, external_id, category, '' AS description, status, lon, lat,
            created
     FROM reports";

/// The embedded store's pool.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    pub(crate) async fn open(path: &Path) -> Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| Error::DataDir {
                path: dir.to_owned(),
                source,
            })?;
        }
        let options = SqliteConnectOptions::from_str("sqlite:")?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // WAL with NORMAL is durable against a process crash; FULL also
            // against a power cut, at the price of an fsync per commit.
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        MIGRATOR.run(&pool).await?;
        Ok(Self { pool })
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

    pub(crate) async fn snapshot(
        &self,
        early: impl FnOnce(&[Organisation], &[Procedure]) + Send,
    ) -> Result<Snapshot> {
        let mut tx = self.pool.begin().await?;
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
        // Row by row: a million rows held at once would take several times
        // the memory of the reports made of them.
        let mut reports = Vec::new();
        {
            let mut rows = sqlx::query(codec::assembled(format!(
                "{SNAPSHOT_REPORTS} {} ORDER BY id",
                codec::public_reports()
            )))
            .fetch(&mut *tx);
            while let Some(row) = rows.try_next().await? {
                reports.push(codec::report(&row)?);
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
        let mut tx = self.pool.begin().await?;
        let mut changed = ChangedIds::default();
        {
            let limit = i64::try_from(max_ids).unwrap_or(i64::MAX).saturating_add(1);
            let mut rows = sqlx::query(
                "SELECT seq, entity, entity_id FROM changes WHERE seq > ? ORDER BY seq LIMIT ?",
            )
            .bind(after)
            .bind(limit)
            .fetch(&mut *tx);
            while let Some(row) = rows.try_next().await? {
                let entity: String = row.try_get("entity")?;
                changed.add(row.try_get("seq")?, &entity, [row.try_get("entity_id")?]);
            }
        }
        if changed.len() == 0 {
            return Ok(ChangeFeed::UpToDate);
        }
        if changed.len() > max_ids {
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

    pub(crate) async fn create_token(
        &self,
        hash: &str,
        organisation: Option<OrganisationId>,
        label: &str,
    ) -> Result<i64> {
        Ok(sqlx::query("INSERT INTO tokens (hash, organisation_id, label, created) VALUES (?, ?, ?, ?) RETURNING id")
            .bind(hash)
            .bind(organisation.map(|o| o.0))
            .bind(label)
            .bind(codec::timestamp(Utc::now()))
            .fetch_one(&self.pool)
            .await?
            .try_get("id")?)
    }

    pub(crate) async fn token_scope(&self, hash: &str) -> Result<Option<TokenScope>> {
        let row = sqlx::query("SELECT id, organisation_id FROM tokens WHERE hash = ?")
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
        let mut tx = self.pool.begin().await?;
        Ok(
            sqlx::query_scalar("SELECT name FROM organisations WHERE id = ?")
                .bind(id.0)
                .fetch_optional(&mut *tx)
                .await?,
        )
    }

    pub(crate) async fn procedures_of_key(
        &self,
        key: &str,
    ) -> Result<Option<(OrganisationId, Vec<Procedure>)>> {
        let mut tx = self.pool.begin().await?;
        let id: Option<i64> = sqlx::query_scalar("SELECT id FROM organisations WHERE key = ?")
            .bind(key)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(id) = id else {
            return Ok(None);
        };
        let procedures = sqlx::query(codec::assembled(format!(
            "{PROCEDURES} WHERE organisation_id = ? ORDER BY id"
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
        let mut tx = self.pool.begin().await?;
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
        let mut tx = self.pool.begin().await?;
        if let Some(id) = id {
            let row = sqlx::query(codec::assembled(format!(
                "{select} WHERE id = ? AND status IN {PUBLIC}"
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
        let procedures =
            serde_json::to_string(&query.procedures.iter().map(|p| p.0).collect::<Vec<_>>())
                .unwrap_or_else(|_| "[]".into());
        let categories = (!query.categories.is_empty())
            .then(|| serde_json::to_string(&query.categories).unwrap_or_else(|_| "[]".into()));
        let [w, s, e, n] = query.bbox.map_or([None; 4], |b| b.map(Some));
        let statuses = (!query.statuses.is_empty()).then(|| {
            serde_json::to_string(
                &query
                    .statuses
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>(),
            )
            .unwrap_or_else(|_| "[]".into())
        });
        let ids = (!query.ids.is_empty()).then(|| {
            serde_json::to_string(&query.ids.iter().map(|i| i.0).collect::<Vec<_>>())
                .unwrap_or_else(|_| "[]".into())
        });
        // ?1 to ?10 select; the page's limit and offset are ?11 and ?12.
        let filter = "WHERE procedure_id IN (SELECT value FROM json_each(?1))
                        AND status IN ('published', 'in_progress', 'resolved')
                        AND (?2 IS NULL OR category IN (SELECT value FROM json_each(?2)))
                        AND (?3 IS NULL OR (lon BETWEEN ?3 AND ?5 AND lat BETWEEN ?4 AND ?6))
                        AND (?7 IS NULL OR created >= ?7) AND (?8 IS NULL OR created <= ?8)
                        AND (?9 IS NULL OR status IN (SELECT value FROM json_each(?9)))
                        AND (?10 IS NULL OR id IN (SELECT value FROM json_each(?10)))";
        let bind = |q: sqlx::query::Query<'static, Sqlite, sqlx::sqlite::SqliteArguments>| {
            q.bind(procedures.clone())
                .bind(categories.clone())
                .bind(w)
                .bind(s)
                .bind(e)
                .bind(n)
                .bind(query.from.map(codec::timestamp))
                .bind(query.to.map(codec::timestamp))
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
            "{select} {filter} ORDER BY id LIMIT ?11 OFFSET ?12"
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

    pub(crate) async fn begin(&self) -> Result<SqliteTx> {
        // IMMEDIATE: the write lock from the start. A deferred transaction
        // that read before another one committed could not write at all
        // (SQLITE_BUSY_SNAPSHOT, which no busy timeout waits out): two
        // citizens reporting at once would fail one of them.
        Ok(SqliteTx {
            tx: self.pool.begin_with("BEGIN IMMEDIATE").await?,
            staging: false,
        })
    }

    pub(crate) async fn close(&self) {
        self.pool.close().await;
    }
}

async fn last_seq(tx: &mut Transaction<'static, Sqlite>) -> Result<i64> {
    Ok(
        sqlx::query("SELECT coalesce(max(seq), 0) AS seq FROM changes")
            .fetch_one(&mut **tx)
            .await?
            .try_get("seq")?,
    )
}

/// The rows of `select` (a statement without WHERE) whose id is in `ids`.
async fn by_ids(
    tx: &mut Transaction<'static, Sqlite>,
    select: &str,
    ids: &[i64],
) -> Result<Vec<SqliteRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let ids = serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
    Ok(sqlx::query(codec::assembled(format!(
        "{select} WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id"
    )))
    .bind(ids)
    .fetch_all(&mut **tx)
    .await?)
}

/// Binds a procedure's columns as parameters 1 (id) to 14
/// (location_precision_m).
fn bind_procedure<'q>(
    query: sqlx::query::Query<'q, Sqlite, sqlx::sqlite::SqliteArguments>,
    p: &'q Procedure,
) -> sqlx::query::Query<'q, Sqlite, sqlx::sqlite::SqliteArguments> {
    query
        .bind(p.id.0)
        .bind(p.organisation.0)
        .bind(&p.external_id)
        .bind(&p.title)
        .bind(&p.summary)
        .bind(p.kind.as_str())
        .bind(p.start.to_string())
        .bind(p.end.map(|d| d.to_string()))
        .bind(p.status_override.map(|s| s.as_str()))
        .bind(&p.url)
        .bind(p.area.as_ref().map(codec::area_to_text))
        .bind(codec::categories_to_text(&p.categories))
        .bind(p.moderation.as_str())
        .bind(p.location_precision_m.map(i64::from))
}

/// A write transaction on the embedded store.
#[derive(Debug)]
pub struct SqliteTx {
    tx: Transaction<'static, Sqlite>,
    /// Whether this transaction made its staging tables (bulk imports).
    staging: bool,
}

impl SqliteTx {
    pub(crate) async fn report_record(&mut self, id: ReportId) -> Result<Option<ReportRecord>> {
        let sql = REPORT_RECORDS.replace("{private}", MODERATED_COLUMNS);
        sqlx::query(codec::assembled(format!("{sql} WHERE id = ?")))
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
            "{REPORTS} WHERE procedure_id = ? AND category = ?
                         AND status IN ('published', 'in_progress')
                         AND lon BETWEEN ? AND ? AND lat BETWEEN ? AND ? AND created >= ?
             ORDER BY id"
        )))
        .bind(procedure.0)
        .bind(category)
        .bind(west)
        .bind(east)
        .bind(south)
        .bind(north)
        .bind(codec::timestamp(since))
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
            "UPDATE reports SET status = ?2, status_note = coalesce(?3, status_note),
                    description = coalesce(?4, description),
                    original_description = coalesce(original_description, ?5)
             WHERE id = ?1",
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
        sqlx::query("UPDATE reports SET exact_lon = ?, exact_lat = ? WHERE id = ?")
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
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(id.0)
        .bind(codec::timestamp(e.at))
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
            "SELECT report_id, at, token_id, old_status, new_status, note, description_edited
             FROM report_events WHERE report_id = ? ORDER BY id",
        )
        .bind(id.0)
        .fetch_all(&mut *self.tx)
        .await?
        .iter()
        .map(|row| codec::report_event(row, row.try_get::<bool, _>("description_edited")?))
        .collect()
    }

    pub(crate) async fn next_id(&mut self, entity: Entity) -> Result<i64> {
        let sql = match entity {
            Entity::Organisation => "SELECT coalesce(max(id), 0) + 1 AS id FROM organisations",
            Entity::Procedure => "SELECT coalesce(max(id), 0) + 1 AS id FROM procedures",
            Entity::Report => "SELECT coalesce(max(id), 0) + 1 AS id FROM reports",
        };
        Ok(sqlx::query(sql)
            .fetch_one(&mut *self.tx)
            .await?
            .try_get("id")?)
    }

    pub(crate) async fn organisation_id_by_key(
        &mut self,
        key: &str,
    ) -> Result<Option<OrganisationId>> {
        let row = sqlx::query("SELECT id FROM organisations WHERE key = ?")
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
        let row = sqlx::query("SELECT key FROM organisations WHERE id = ?")
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
            "{PROCEDURES} WHERE ?1 IS NULL OR organisation_id = ?1 ORDER BY id"
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
        let row = sqlx::query(codec::assembled(format!("{ORGANISATIONS} WHERE id = ?")))
            .bind(id.0)
            .fetch_optional(&mut *self.tx)
            .await?;
        row.as_ref().map(codec::organisation).transpose()
    }

    pub(crate) async fn procedure(&mut self, id: ProcedureId) -> Result<Option<Procedure>> {
        let row = sqlx::query(codec::assembled(format!("{PROCEDURES} WHERE id = ?")))
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
            "{PROCEDURES} WHERE organisation_id = ? AND external_id = ?"
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
            "SELECT id, external_id FROM procedures WHERE organisation_id = ? ORDER BY id",
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
            sqlx::query("DELETE FROM reports WHERE procedure_id = ? RETURNING id")
                .bind(id.0)
                .fetch_all(&mut *self.tx)
                .await?
                .iter()
                .map(|r| r.try_get("id"))
                .collect::<Result<_, _>>()?;
        sqlx::query("DELETE FROM procedures WHERE id = ?")
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
        sqlx::query("UPDATE organisations SET embed_origins = ? WHERE id = ?")
            .bind(origins.join(" "))
            .bind(id.0)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    pub(crate) async fn insert_organisation(&mut self, o: &Organisation) -> Result<()> {
        sqlx::query(
            "INSERT INTO organisations (id, key, name, kind, ags, parent_id, seat, embed_origins)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(o.id.0)
        .bind(&o.key)
        .bind(&o.name)
        .bind(o.kind.as_str())
        .bind(o.ags.as_ref().map(|a| a.as_str().to_owned()))
        .bind(o.parent.map(|p| p.0))
        .bind(o.seat.as_ref().map(codec::point_to_text))
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
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
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
                "UPDATE procedures SET organisation_id = ?2, external_id = ?3, title = ?4,
                        summary = ?5, kind = ?6, start_date = ?7, end_date = ?8,
                        status_override = ?9, url = ?10, area = ?11, categories = ?12,
                        moderation = ?13, location_precision_m = ?14
                 WHERE id = ?1",
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
                                  lon, lat, created, contact_email)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(r.id.0)
        .bind(r.procedure.0)
        .bind(&r.external_id)
        .bind(&r.category)
        .bind(&r.description)
        .bind(r.status.as_str())
        .bind(r.location.x())
        .bind(r.location.y())
        .bind(codec::timestamp(r.created))
        .bind(r.contact.as_ref().map(|c| c.email().to_owned()))
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    pub(crate) async fn stage_reports(&mut self, batch: &[StagedReport]) -> Result<()> {
        if !self.staging {
            // Temporary tables belong to the connection: dropped at commit,
            // and their creation undone with the transaction.
            sqlx::query(
                "CREATE TEMP TABLE import_reports (
                     feature INTEGER NOT NULL, line INTEGER NOT NULL, col INTEGER NOT NULL,
                     procedure_id INTEGER NOT NULL, external_id TEXT, category TEXT NOT NULL,
                     description TEXT NOT NULL, status TEXT NOT NULL,
                     lon REAL NOT NULL, lat REAL NOT NULL, created TEXT,
                     contact_email TEXT)",
            )
            .execute(&mut *self.tx)
            .await?;
            sqlx::query(
                "CREATE TEMP TABLE import_changed (entity TEXT NOT NULL, op TEXT NOT NULL, id INTEGER NOT NULL)",
            )
            .execute(&mut *self.tx)
            .await?;
            self.staging = true;
        }
        for s in batch {
            let r = &s.report;
            sqlx::query(
                "INSERT INTO import_reports (feature, line, col, procedure_id, external_id, category,
                                             description, status, lon, lat, created, contact_email)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(i64::try_from(s.feature).unwrap_or(i64::MAX))
            .bind(i64::try_from(s.line).unwrap_or(i64::MAX))
            .bind(i64::try_from(s.column).unwrap_or(i64::MAX))
            .bind(r.procedure.0)
            .bind(&r.external_id)
            .bind(&r.category)
            .bind(&r.description)
            .bind(r.status.as_str())
            .bind(r.location.x())
            .bind(r.location.y())
            .bind(s.created_given.then(|| codec::timestamp(r.created)))
            .bind(r.contact.as_ref().map(|c| c.email().to_owned()))
            .execute(&mut *self.tx)
            .await?;
        }
        Ok(())
    }

    pub(crate) async fn delete_reports_not_staged(
        &mut self,
        organisation: OrganisationId,
    ) -> Result<Vec<i64>> {
        if !self.staging {
            return Ok(Vec::new());
        }
        Ok(sqlx::query_scalar(codec::DELETE_REPORTS_NOT_STAGED)
            .bind(organisation.0)
            .fetch_all(&mut *self.tx)
            .await?)
    }

    pub(crate) async fn merge_staged_reports(&mut self, listed: usize) -> Result<Merged> {
        if !self.staging {
            return Ok(Merged::default());
        }
        let repeated: bool = sqlx::query_scalar(codec::REPEATS_AN_ID)
            .fetch_one(&mut *self.tx)
            .await?;
        if repeated {
            let rows = sqlx::query(
                "WITH d AS (
                     SELECT feature, line, col, external_id,
                            min(feature) OVER (PARTITION BY procedure_id, external_id) AS first,
                            count(*) OVER (PARTITION BY procedure_id, external_id) AS n
                     FROM import_reports WHERE external_id IS NOT NULL),
                 r AS (SELECT * FROM d WHERE n > 1 AND feature <> first)
                 SELECT feature, line, col, external_id, first, (SELECT count(*) FROM r) AS total
                 FROM r ORDER BY feature LIMIT ?",
            )
            .bind(i64::try_from(listed).unwrap_or(i64::MAX))
            .fetch_all(&mut *self.tx)
            .await?;
            return codec::duplicates(&rows);
        }
        let staged: i64 = sqlx::query_scalar("SELECT count(*) FROM import_reports")
            .fetch_one(&mut *self.tx)
            .await?;
        const DIFFERS: &str = "s.external_id IS NOT NULL
               AND r.procedure_id = s.procedure_id AND r.external_id = s.external_id
               AND (r.category <> s.category OR r.description <> s.description
                    OR r.status <> s.status OR r.created <> coalesce(s.created, r.created)
                    OR r.lon <> s.lon OR r.lat <> s.lat)";
        let updated = sqlx::query(codec::assembled(format!(
            "INSERT INTO import_changed (entity, op, id)
             SELECT 'report', 'update', r.id FROM reports r, import_reports s WHERE {DIFFERS}"
        )))
        .execute(&mut *self.tx)
        .await?
        .rows_affected();
        sqlx::query(codec::assembled(format!(
            "UPDATE reports AS r SET category = s.category, description = s.description,
                    status = s.status, created = coalesce(s.created, r.created), lon = s.lon,
                    lat = s.lat
             FROM import_reports AS s WHERE {DIFFERS}"
        )))
        .execute(&mut *self.tx)
        .await?;
        let before: i64 = sqlx::query_scalar("SELECT coalesce(max(id), 0) FROM reports")
            .fetch_one(&mut *self.tx)
            .await?;
        let inserted = sqlx::query(
            "INSERT INTO reports (procedure_id, external_id, category, description, status, lon, lat,
                                  created, contact_email)
             SELECT procedure_id, external_id, category, description, status, lon, lat,
                    coalesce(created, ?), contact_email
             FROM import_reports s
             WHERE s.external_id IS NULL OR NOT EXISTS (
                 SELECT 1 FROM reports r
                 WHERE r.procedure_id = s.procedure_id AND r.external_id = s.external_id)
             ORDER BY feature",
        )
        .bind(codec::timestamp(Utc::now()))
        .execute(&mut *self.tx)
        .await?
        .rows_affected();
        // Rowids of a table without AUTOINCREMENT grow past the largest one,
        // and this transaction is the only writer.
        sqlx::query(
            "INSERT INTO import_changed (entity, op, id) SELECT 'report', 'insert', id FROM reports WHERE id > ?",
        )
        .bind(before)
        .execute(&mut *self.tx)
        .await?;
        let staged = u64::try_from(staged).unwrap_or(0);
        Ok(Merged {
            inserted,
            updated,
            unchanged: staged.saturating_sub(inserted + updated),
            ..Merged::default()
        })
    }

    /// Appends the recorded changes to the sequence (one row per id) and
    /// commits; the last sequence number.
    pub(crate) async fn commit(mut self, recorded: &Recorded) -> Result<i64> {
        let at = codec::timestamp(Utc::now());
        if self.staging {
            sqlx::query(
                "INSERT INTO changes (entity, entity_id, op, at)
                 SELECT entity, id, op, ? FROM import_changed ORDER BY entity, op, id",
            )
            .bind(&at)
            .execute(&mut *self.tx)
            .await?;
            sqlx::query("DROP TABLE temp.import_reports")
                .execute(&mut *self.tx)
                .await?;
            sqlx::query("DROP TABLE temp.import_changed")
                .execute(&mut *self.tx)
                .await?;
        }
        for ((entity, op), ids) in &recorded.ids {
            for id in ids {
                sqlx::query("INSERT INTO changes (entity, entity_id, op, at) VALUES (?, ?, ?, ?)")
                    .bind(entity.as_str())
                    .bind(id)
                    .bind(op.as_str())
                    .bind(&at)
                    .execute(&mut *self.tx)
                    .await?;
            }
        }
        let seq = last_seq(&mut self.tx).await?;
        self.tx.commit().await?;
        Ok(seq)
    }
}
