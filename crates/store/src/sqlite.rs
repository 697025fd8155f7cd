//! The embedded store: SQLite through sqlx.
//!
//! The database file is created with its migrations at first start. SQLite
//! serialises writers; the pool keeps readers concurrent through WAL mode.

use std::{str::FromStr, time::Duration};

use chrono::{DateTime, SecondsFormat, Utc};
use futures_util::TryStreamExt;
use partimap_model::{Organisation, OrganisationId, Procedure, ProcedureId, Report, ReportId};
use sqlx::{
    Row, Sqlite, SqlitePool, Transaction,
    sqlite::{
        SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
    },
};

use crate::{DatabaseUrl, Error, Result, Snapshot, codec};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// A handle on the store; cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
}

impl Store {
    /// Opens (creating if needed) and migrates the database.
    pub async fn open(url: &DatabaseUrl) -> Result<Self> {
        let path = match url {
            DatabaseUrl::Sqlite(path) => path,
            DatabaseUrl::Postgres(_) => {
                return Err(Error::Unsupported(format!(
                    "{url}: PostGIS support is not built yet; use the embedded store (omit --database-url)"
                )));
            }
        };
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

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Whether no organisation has been stored yet (a new store).
    pub async fn is_empty(&self) -> Result<bool> {
        let row = sqlx::query("SELECT EXISTS (SELECT 1 FROM organisations) AS any")
            .fetch_one(&self.pool)
            .await?;
        Ok(!row.try_get::<bool, _>("any")?)
    }

    /// Reads everything the index needs, consistently (one transaction).
    pub async fn snapshot(&self) -> Result<Snapshot> {
        let mut tx = self.pool.begin().await?;
        let seq: i64 = sqlx::query("SELECT coalesce(max(seq), 0) AS seq FROM changes")
            .fetch_one(&mut *tx)
            .await?
            .try_get("seq")?;
        let organisations = sqlx::query(
            "SELECT id, key, name, kind, ags, parent_id, seat FROM organisations ORDER BY id",
        )
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(organisation_from_row)
        .collect::<Result<_>>()?;
        let procedures = sqlx::query(
            "SELECT id, organisation_id, external_id, title, summary, kind, start_date, end_date,
                    status_override, url, area, categories
             FROM procedures ORDER BY id",
        )
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(procedure_from_row)
        .collect::<Result<_>>()?;
        // The contact is deliberately not selected: a snapshot feeds public
        // outputs.
        // Row by row: a million rows held at once would take several times
        // the memory of the reports made of them.
        let mut reports = Vec::new();
        {
            let mut rows = sqlx::query(
                "SELECT id, procedure_id, category, description, status, lon, lat, created
                 FROM reports ORDER BY id",
            )
            .fetch(&mut *tx);
            while let Some(row) = rows.try_next().await? {
                reports.push(report_from_row(&row)?);
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

    /// Starts a write transaction.
    pub async fn begin(&self) -> Result<WriteTx> {
        Ok(WriteTx {
            tx: self.pool.begin().await?,
        })
    }

    /// Closes the pool, waiting for running queries.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

fn organisation_from_row(row: &SqliteRow) -> Result<Organisation> {
    let id: i64 = row.try_get("id")?;
    let ags: Option<String> = row.try_get("ags")?;
    let seat: Option<String> = row.try_get("seat")?;
    Ok(Organisation {
        id: OrganisationId(id),
        key: row.try_get("key")?,
        name: row.try_get("name")?,
        kind: codec::vocabulary("organisation", id, row.try_get("kind")?)?,
        ags: ags
            .map(|a| codec::vocabulary("organisation", id, &a))
            .transpose()?,
        parent: row
            .try_get::<Option<i64>, _>("parent_id")?
            .map(OrganisationId),
        seat: seat
            .map(|s| codec::point_from_text("organisation", id, &s))
            .transpose()?,
    })
}

fn procedure_from_row(row: &SqliteRow) -> Result<Procedure> {
    let id: i64 = row.try_get("id")?;
    let end: Option<String> = row.try_get("end_date")?;
    let status: Option<String> = row.try_get("status_override")?;
    let area: Option<String> = row.try_get("area")?;
    Ok(Procedure {
        id: ProcedureId(id),
        organisation: OrganisationId(row.try_get("organisation_id")?),
        external_id: row.try_get("external_id")?,
        title: row.try_get("title")?,
        summary: row.try_get("summary")?,
        kind: codec::vocabulary("procedure", id, row.try_get("kind")?)?,
        start: codec::date("procedure", id, row.try_get("start_date")?)?,
        end: end.map(|e| codec::date("procedure", id, &e)).transpose()?,
        status_override: status
            .map(|s| codec::vocabulary("procedure", id, &s))
            .transpose()?,
        url: row.try_get("url")?,
        area: area
            .map(|a| codec::area_from_text("procedure", id, &a))
            .transpose()?,
        categories: codec::categories_from_text(id, row.try_get("categories")?)?,
    })
}

fn report_from_row(row: &SqliteRow) -> Result<Report> {
    let id: i64 = row.try_get("id")?;
    let created: String = row.try_get("created")?;
    Ok(Report {
        id: ReportId(id),
        procedure: ProcedureId(row.try_get("procedure_id")?),
        category: row.try_get("category")?,
        description: row.try_get("description")?,
        status: codec::vocabulary("report", id, row.try_get("status")?)?,
        location: geo::Point::new(row.try_get("lon")?, row.try_get("lat")?),
        created: DateTime::parse_from_rfc3339(&created)
            .map_err(|e| Error::Corrupt {
                entity: "report",
                id,
                reason: e.to_string(),
            })?
            .with_timezone(&Utc),
        contact: None,
    })
}

fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A write transaction: all of it is committed, or none of it.
#[derive(Debug)]
pub struct WriteTx {
    tx: Transaction<'static, Sqlite>,
}

impl WriteTx {
    /// `sql` selects the next free id of one table as `id`.
    async fn next_id(&mut self, sql: &'static str) -> Result<i64> {
        Ok(sqlx::query(sql)
            .fetch_one(&mut *self.tx)
            .await?
            .try_get("id")?)
    }

    /// The id the next organisation inserted in this transaction gets.
    pub async fn next_organisation_id(&mut self) -> Result<OrganisationId> {
        self.next_id("SELECT coalesce(max(id), 0) + 1 AS id FROM organisations")
            .await
            .map(OrganisationId)
    }

    pub async fn next_procedure_id(&mut self) -> Result<ProcedureId> {
        self.next_id("SELECT coalesce(max(id), 0) + 1 AS id FROM procedures")
            .await
            .map(ProcedureId)
    }

    pub async fn next_report_id(&mut self) -> Result<ReportId> {
        self.next_id("SELECT coalesce(max(id), 0) + 1 AS id FROM reports")
            .await
            .map(ReportId)
    }

    async fn record_change(&mut self, entity: &str, id: i64, op: &str) -> Result<()> {
        sqlx::query("INSERT INTO changes (entity, entity_id, op, at) VALUES (?, ?, ?, ?)")
            .bind(entity)
            .bind(id)
            .bind(op)
            .bind(timestamp(Utc::now()))
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    pub async fn organisation_id_by_key(&mut self, key: &str) -> Result<Option<OrganisationId>> {
        let row = sqlx::query("SELECT id FROM organisations WHERE key = ?")
            .bind(key)
            .fetch_optional(&mut *self.tx)
            .await?;
        Ok(row
            .map(|r| r.try_get("id"))
            .transpose()?
            .map(OrganisationId))
    }

    pub async fn procedure_by_external_id(
        &mut self,
        organisation: OrganisationId,
        external_id: &str,
    ) -> Result<Option<Procedure>> {
        let row = sqlx::query(
            "SELECT id, organisation_id, external_id, title, summary, kind, start_date, end_date,
                    status_override, url, area, categories
             FROM procedures WHERE organisation_id = ? AND external_id = ?",
        )
        .bind(organisation.0)
        .bind(external_id)
        .fetch_optional(&mut *self.tx)
        .await?;
        row.as_ref().map(procedure_from_row).transpose()
    }

    pub async fn insert_organisation(&mut self, o: &Organisation) -> Result<()> {
        sqlx::query(
            "INSERT INTO organisations (id, key, name, kind, ags, parent_id, seat)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(o.id.0)
        .bind(&o.key)
        .bind(&o.name)
        .bind(o.kind.as_str())
        .bind(o.ags.as_ref().map(|a| a.as_str().to_owned()))
        .bind(o.parent.map(|p| p.0))
        .bind(o.seat.as_ref().map(codec::point_to_text))
        .execute(&mut *self.tx)
        .await?;
        self.record_change("organisation", o.id.0, "insert").await
    }

    pub async fn insert_procedure(&mut self, p: &Procedure) -> Result<()> {
        sqlx::query(
            "INSERT INTO procedures (id, organisation_id, external_id, title, summary, kind,
                                     start_date, end_date, status_override, url, area, categories)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
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
        .execute(&mut *self.tx)
        .await?;
        self.record_change("procedure", p.id.0, "insert").await
    }

    pub async fn insert_report(&mut self, r: &Report) -> Result<()> {
        sqlx::query(
            "INSERT INTO reports (id, procedure_id, category, description, status, lon, lat,
                                  created, contact_email)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(r.id.0)
        .bind(r.procedure.0)
        .bind(&r.category)
        .bind(&r.description)
        .bind(r.status.as_str())
        .bind(r.location.x())
        .bind(r.location.y())
        .bind(timestamp(r.created))
        .bind(r.contact.as_ref().map(|c| c.email().to_owned()))
        .execute(&mut *self.tx)
        .await?;
        self.record_change("report", r.id.0, "insert").await
    }

    /// Commits; only then do readers see the changes.
    pub async fn commit(self) -> Result<()> {
        self.tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use geo::{MultiPolygon, Point, polygon};
    use partimap_model::{Area, Category, Contact, OrganisationKind, ProcedureKind, ReportStatus};

    use super::*;

    fn organisation(id: OrganisationId) -> Organisation {
        Organisation {
            id,
            key: "stadt-siegen".into(),
            name: "Stadt Siegen".into(),
            kind: OrganisationKind::Municipality,
            ags: Some("05970040".parse().unwrap()),
            parent: None,
            seat: Some(Point::new(8.0243, 50.8748)),
        }
    }

    fn procedure(id: ProcedureId, organisation: OrganisationId) -> Procedure {
        Procedure {
            id,
            organisation,
            external_id: "maengelmelder".into(),
            title: "Mängelmelder".into(),
            summary: "Melden".into(),
            kind: ProcedureKind::Reporting,
            start: "2026-01-01".parse().unwrap(),
            end: None,
            status_override: None,
            url: "https://beteiligung.nrw.de/".into(),
            area: Some(Area::Polygons(MultiPolygon(vec![polygon![
                (x: 8.0, y: 50.86), (x: 8.05, y: 50.86), (x: 8.05, y: 50.89)
            ]]))),
            categories: vec![Category {
                code: "litter".into(),
                label: "Müll".into(),
            }],
        }
    }

    #[tokio::test]
    async fn data_survives_a_restart_and_contacts_stay_out_of_snapshots() {
        let dir = tempfile::tempdir().unwrap();
        let url = DatabaseUrl::embedded(dir.path().join("nested"));
        {
            let store = Store::open(&url).await.unwrap();
            assert!(store.is_empty().await.unwrap());
            let mut tx = store.begin().await.unwrap();
            let o = tx.next_organisation_id().await.unwrap();
            tx.insert_organisation(&organisation(o)).await.unwrap();
            let p = tx.next_procedure_id().await.unwrap();
            tx.insert_procedure(&procedure(p, o)).await.unwrap();
            let r = tx.next_report_id().await.unwrap();
            tx.insert_report(&Report {
                id: r,
                procedure: p,
                category: "litter".into(),
                description: "Müll".into(),
                status: ReportStatus::Published,
                location: Point::new(8.02, 50.87),
                created: "2026-05-01T10:00:00Z".parse().unwrap(),
                contact: Some(Contact::parse("geheim@example.org").unwrap()),
            })
            .await
            .unwrap();
            tx.commit().await.unwrap();
            store.close().await;
        }
        let store = Store::open(&url).await.unwrap();
        let snapshot = store.snapshot().await.unwrap();
        assert_eq!(
            snapshot.organisations,
            vec![organisation(OrganisationId(1))]
        );
        assert_eq!(
            snapshot.procedures,
            vec![procedure(ProcedureId(1), OrganisationId(1))]
        );
        assert_eq!(snapshot.reports.len(), 1);
        assert_eq!(snapshot.reports[0].contact, None);
        assert_eq!(snapshot.seq, 3);
    }

    #[tokio::test]
    async fn a_dropped_transaction_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&DatabaseUrl::embedded(dir.path()))
            .await
            .unwrap();
        let mut tx = store.begin().await.unwrap();
        let o = tx.next_organisation_id().await.unwrap();
        tx.insert_organisation(&organisation(o)).await.unwrap();
        drop(tx);
        assert!(store.is_empty().await.unwrap());
    }

    #[tokio::test]
    async fn a_duplicate_key_is_a_database_error() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&DatabaseUrl::embedded(dir.path()))
            .await
            .unwrap();
        let mut tx = store.begin().await.unwrap();
        tx.insert_organisation(&organisation(OrganisationId(1)))
            .await
            .unwrap();
        let err = tx
            .insert_organisation(&organisation(OrganisationId(2)))
            .await
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("UNIQUE constraint failed: organisations.key"),
            "{err}"
        );
    }
}
