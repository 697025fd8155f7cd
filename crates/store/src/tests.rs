//! The store's interface, on both databases: every test runs on the embedded
//! store and on a scratch PostGIS database.

use std::time::Duration;

use geo::{MultiPolygon, Point, polygon};
use partimap_model::{
    Area, Category, Contact, Organisation, OrganisationId, OrganisationKind, Procedure,
    ProcedureId, ProcedureKind, Report, ReportId, ReportStatus,
};

use crate::{ChangeFeed, DatabaseUrl, Store, testing::scratch_postgres};

/// A new embedded store (kept alive by the returned directory) and, when a
/// test cluster is there, a new PostGIS database.
async fn databases(test: &str) -> (tempfile::TempDir, Vec<DatabaseUrl>) {
    let dir = tempfile::tempdir().unwrap();
    let mut urls = vec![DatabaseUrl::embedded(dir.path().join("nested"))];
    urls.extend(scratch_postgres(test).await);
    (dir, urls)
}

fn organisation(id: OrganisationId) -> Organisation {
    Organisation {
        id,
        key: "stadt-siegen".into(),
        name: "Stadt Siegen".into(),
        kind: OrganisationKind::Municipality,
        ags: Some("05970040".parse().unwrap()),
        parent: None,
        seat: Some(Point::new(8.0243, 50.8748)),
        embed_origins: Vec::new(),
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
        end: Some("2027-12-31".parse().unwrap()),
        status_override: None,
        url: "https://beteiligung.nrw.de/".into(),
        area: Some(Area::Polygons(MultiPolygon(vec![polygon![
            (x: 8.0, y: 50.86), (x: 8.05, y: 50.86), (x: 8.05, y: 50.89), (x: 8.000_000_012_345, y: 50.86)
        ]]))),
        categories: vec![Category {
            code: "litter".into(),
            label: "Müll".into(),
        }],
        moderation: Default::default(),
        location_precision_m: None,
    }
}

fn report(id: ReportId, procedure: ProcedureId) -> Report {
    Report {
        id,
        procedure,
        external_id: None,
        category: "litter".into(),
        description: "Müll <b>am</b> Weg".into(),
        status: ReportStatus::Published,
        location: Point::new(8.020_000_000_1, 50.87),
        created: "2026-05-01T10:00:00Z".parse().unwrap(),
        contact: Some(Contact::parse("geheim@example.org").unwrap()),
    }
}

/// Writes one organisation, procedure and report in one transaction.
async fn write_one_of_each(store: &Store) -> i64 {
    let mut tx = store.begin().await.unwrap();
    let o = tx.next_organisation_id().await.unwrap();
    tx.insert_organisation(&organisation(o)).await.unwrap();
    let p = tx.next_procedure_id().await.unwrap();
    tx.insert_procedure(&procedure(p, o)).await.unwrap();
    let r = tx.next_report_id().await.unwrap();
    tx.insert_report(&report(r, p)).await.unwrap();
    tx.commit().await.unwrap()
}

#[tokio::test]
async fn data_survives_a_restart_and_contacts_stay_out_of_snapshots() {
    let (_dir, urls) = databases("survives").await;
    for url in urls {
        {
            let store = Store::open(&url).await.unwrap();
            assert!(store.is_empty().await.unwrap());
            write_one_of_each(&store).await;
            store.close().await;
        }
        let store = Store::open(&url).await.unwrap();
        let snapshot = store.snapshot().await.unwrap();
        assert_eq!(
            snapshot.organisations,
            vec![organisation(OrganisationId(1))],
            "{url}"
        );
        assert_eq!(
            snapshot.procedures,
            vec![procedure(ProcedureId(1), OrganisationId(1))],
            "{url}"
        );
        let mut expected = report(ReportId(1), ProcedureId(1));
        expected.contact = None;
        // A snapshot feeds the index: reports without their text.
        let mut in_snapshot = expected.clone();
        in_snapshot.description = String::new();
        assert_eq!(snapshot.reports, vec![in_snapshot], "{url}");
        // The text is stored: the change feed reads whole rows.
        let ChangeFeed::Changes(set) = store.read_changes(0, 100).await.unwrap() else {
            panic!("{url}: no changes")
        };
        assert_eq!(set.changes.reports, vec![expected], "{url}");
        assert!(snapshot.seq > 0, "{url}");
    }
}

#[tokio::test]
async fn a_dropped_transaction_writes_nothing() {
    let (_dir, urls) = databases("dropped").await;
    for url in urls {
        let store = Store::open(&url).await.unwrap();
        let mut tx = store.begin().await.unwrap();
        let o = tx.next_organisation_id().await.unwrap();
        tx.insert_organisation(&organisation(o)).await.unwrap();
        drop(tx);
        assert!(store.is_empty().await.unwrap(), "{url}");
        assert_eq!(
            store.read_changes(0, 100).await.unwrap(),
            ChangeFeed::UpToDate,
            "{url}"
        );
    }
}

#[tokio::test]
async fn a_duplicate_key_is_a_database_error_naming_the_constraint() {
    let (_dir, urls) = databases("duplicate").await;
    for url in urls {
        let store = Store::open(&url).await.unwrap();
        let mut tx = store.begin().await.unwrap();
        tx.insert_organisation(&organisation(OrganisationId(1)))
            .await
            .unwrap();
        let err = tx
            .insert_organisation(&organisation(OrganisationId(2)))
            .await
            .unwrap_err()
            .to_string();
        let expected = match store.kind() {
            "sqlite" => "UNIQUE constraint failed: organisations.key",
            _ => "duplicate key value violates unique constraint \"organisations_key_key\"",
        };
        assert!(err.contains(expected), "{url}: {err}");
    }
}

#[tokio::test]
async fn committed_changes_are_announced_and_read_back_from_the_sequence() {
    let (_dir, urls) = databases("changes").await;
    for url in urls {
        let store = Store::open(&url).await.unwrap();
        // A second handle stands for a second process on the same database.
        let other = Store::open(&url).await.unwrap();
        let mut heard = store.watch_changes();
        let mut heard_by_other = other.watch_changes();
        let seq = write_one_of_each(&store).await;
        assert!(seq > 0, "{url}");
        tokio::time::timeout(Duration::from_secs(5), heard.wait_for(|s| *s >= seq))
            .await
            .unwrap()
            .unwrap();
        if store.kind() == "postgres" {
            // Heard through NOTIFY by the process that did not write.
            tokio::time::timeout(
                Duration::from_secs(5),
                heard_by_other.wait_for(|s| *s >= seq),
            )
            .await
            .unwrap()
            .unwrap();
        }
        let ChangeFeed::Changes(set) = other.read_changes(0, 100).await.unwrap() else {
            panic!("{url}: no changes read");
        };
        assert_eq!(set.seq, seq, "{url}");
        assert_eq!(
            set.changes.organisations,
            vec![organisation(OrganisationId(1))]
        );
        assert_eq!(set.changes.procedures.len(), 1);
        assert_eq!(set.changes.reports.len(), 1);
        assert_eq!(
            set.changes.reports[0].contact, None,
            "{url}: the contact is private"
        );
        assert!(
            set.changes.removed_procedures.is_empty() && set.changes.removed_reports.is_empty()
        );
        assert_eq!(
            other.read_changes(seq, 100).await.unwrap(),
            ChangeFeed::UpToDate,
            "{url}"
        );
        // More ids than the caller wants to apply one by one.
        assert_eq!(
            other.read_changes(0, 2).await.unwrap(),
            ChangeFeed::TooMany { seq },
            "{url}"
        );
    }
}

#[tokio::test]
async fn ids_given_by_the_caller_are_not_handed_out_again() {
    let (_dir, urls) = databases("ids").await;
    for url in urls {
        let store = Store::open(&url).await.unwrap();
        let mut tx = store.begin().await.unwrap();
        tx.insert_organisation(&organisation(OrganisationId(41)))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let mut tx = store.begin().await.unwrap();
        let next = tx.next_organisation_id().await.unwrap();
        assert!(next.0 > 41, "{url}: {next:?}");
    }
}

#[tokio::test]
async fn postgis_keeps_geometries_in_indexed_wgs84_columns() {
    let Some(url) = scratch_postgres("geometries").await else {
        return;
    };
    let store = Store::open(&url).await.unwrap();
    write_one_of_each(&store).await;
    let DatabaseUrl::Postgres(raw) = &url else {
        unreachable!()
    };
    let pool = sqlx::PgPool::connect(raw).await.unwrap();
    let row: (i32, String, i32, String, bool) = sqlx::query_as(
        "SELECT ST_SRID(area), GeometryType(area), ST_SRID(r.location), GeometryType(r.location),
                ST_Contains(area, r.location)
         FROM procedures p JOIN reports r ON r.procedure_id = p.id",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(row, (4326, "POLYGON".into(), 4326, "POINT".into(), true));
    let gist: Vec<(String,)> = sqlx::query_as(
        "SELECT indexname::text FROM pg_indexes WHERE indexdef LIKE '%USING gist%' ORDER BY 1",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        gist.into_iter().map(|(n,)| n).collect::<Vec<_>>(),
        ["organisations_seat", "procedures_area", "reports_location"]
    );
}

/// `n` staged reports of procedure 1 with ids `r0`, `r1`, …; `repeat` makes
/// the last one repeat the first one's id.
fn staged(n: usize, repeat: bool) -> Vec<crate::StagedReport> {
    (0..n)
        .map(|i| {
            let mut r = report(ReportId(0), ProcedureId(1));
            r.external_id = Some(if repeat && i == n - 1 {
                "r0".to_owned()
            } else {
                format!("r{i}")
            });
            r.contact = None;
            crate::StagedReport {
                report: r,
                created_given: true,
                feature: i,
                line: i as u64 + 2,
                column: 1,
            }
        })
        .collect()
}

/// Large imports on PostGIS rebuild the reports' indexes and keys: straight
/// into the table when no stored report has an external id (`direct`),
/// else through the staging table and a bulk merge. Afterwards indexes and
/// constraints are all there again; a repeated id undoes the bulk work and
/// is listed (where it starts only from the staging table: the import knows
/// that in the direct case).
async fn bulk_import(test: &str, direct: bool) {
    let Some(url) = scratch_postgres(test).await else {
        return;
    };
    let store = Store::open(&url).await.unwrap();
    write_one_of_each(&store).await;
    if !direct {
        // A stored report the file's ids could match.
        let mut tx = store.begin().await.unwrap();
        let r = tx.next_report_id().await.unwrap();
        let mut stored = report(r, ProcedureId(1));
        stored.external_id = Some("stored".into());
        tx.insert_report(&stored).await.unwrap();
        tx.commit().await.unwrap();
    }
    let stored = if direct { 1 } else { 2 };
    let schema = || async {
        let DatabaseUrl::Postgres(raw) = &url else {
            unreachable!()
        };
        let pool = sqlx::PgPool::connect(raw).await.unwrap();
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'reports'
             UNION ALL SELECT pg_get_constraintdef(oid) FROM pg_constraint
             WHERE conrelid = 'reports'::regclass ORDER BY 1",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        rows.into_iter().map(|(d,)| d).collect::<Vec<_>>()
    };
    let before = schema().await;
    assert!(before.len() >= 5, "{before:?}");

    let n = 120_000;
    let mut tx = store.begin().await.unwrap();
    for batch in staged(n, true).chunks(10_000) {
        tx.stage_reports(batch).await.unwrap();
    }
    let merged = tx.merge_staged_reports(10).await.unwrap();
    assert_eq!(merged.duplicate_count, 1);
    let (line, column) = if direct {
        (None, None)
    } else {
        (Some(n as u64 + 1), Some(1))
    };
    assert_eq!(
        merged.duplicates,
        vec![crate::Duplicate {
            feature: n - 1,
            line,
            column,
            external_id: "r0".into(),
            first: 0,
        }]
    );
    drop(tx);
    assert_eq!(store.snapshot().await.unwrap().reports.len(), stored);
    assert_eq!(
        schema().await,
        before,
        "a rolled back import leaves the schema"
    );

    let mut tx = store.begin().await.unwrap();
    for batch in staged(n, false).chunks(10_000) {
        tx.stage_reports(batch).await.unwrap();
    }
    // A direct import numbers its rows itself: until it ends, another
    // transaction's next id waits, and then comes after the import's.
    let waiting = direct.then(|| {
        let other = store.clone();
        tokio::spawn(async move {
            let mut tx = other.begin().await.unwrap();
            tx.next_report_id().await.unwrap()
        })
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    if let Some(waiting) = &waiting {
        assert!(!waiting.is_finished(), "the sequence is the import's");
    }
    let merged = tx.merge_staged_reports(10).await.unwrap();
    assert_eq!((merged.inserted, merged.duplicate_count), (n as u64, 0));
    let seq = tx.commit().await.unwrap();
    assert_eq!(schema().await, before, "indexes and constraints are back");
    let snapshot = store.snapshot().await.unwrap();
    assert_eq!(snapshot.reports.len(), n + stored);
    let mut ids: Vec<_> = snapshot.reports.iter().map(|r| r.id.0).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), n + stored, "ids are unique");
    // The change feed names every inserted report.
    let ChangeFeed::Changes(set) = store.read_changes(seq - 1, 1_000_000).await.unwrap() else {
        panic!("no changes")
    };
    assert_eq!(set.changes.reports.len(), n);
    // Later reports get ids after the import's.
    let mut tx = store.begin().await.unwrap();
    let next = tx.next_report_id().await.unwrap();
    assert!(next.0 > *ids.last().unwrap(), "{next:?}");
    if let Some(waiting) = waiting {
        let id = waiting.await.unwrap();
        assert!(id.0 > *ids.last().unwrap(), "{id:?}");
    }
}

#[tokio::test]
async fn a_first_bulk_import_goes_straight_into_the_table() {
    bulk_import("bulk_direct", true).await;
}

#[tokio::test]
async fn a_bulk_import_with_ids_to_match_is_merged_in_bulk() {
    bulk_import("bulk_merge", false).await;
}
