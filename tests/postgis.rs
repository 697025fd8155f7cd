//! The real binary on PostGIS: `partimap serve --database-url postgres://…`
//! on a scratch database of the test cluster (`scripts/test.sh` starts it;
//! see `partimap_store::testing`).

#![allow(clippy::unwrap_used, reason = "test fixtures: a panic fails the test")]

mod common;

use std::time::{Duration, Instant};

use common::{Server, decoded_tile, tile_of};
use geo::InteriorPoint;
use partimap_model::{Area, ProcedureKind, Report, ReportId, ReportStatus};
use partimap_store::{DatabaseUrl, Store, testing::scratch_postgres};
use serde_json::Value;

fn serve_on(url: &DatabaseUrl) -> Server {
    let DatabaseUrl::Postgres(raw) = url else {
        unreachable!("a PostGIS URL")
    };
    Server::start_with(&["--database-url", raw])
}

fn report_ids_in(tile: &Value) -> Vec<u64> {
    tile["layers"]["reports"]["features"]
        .as_array()
        .map(|features| features.iter().filter_map(|f| f["id"].as_u64()).collect())
        .unwrap_or_default()
}

#[test]
fn serve_on_postgis_loads_the_sample_and_reports_ready() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let Some(url) = runtime.block_on(scratch_postgres("serve")) else {
        return;
    };
    let server = serve_on(&url);
    let ready: Value = serde_json::from_str(&server.get("/readyz").text().unwrap()).unwrap();
    assert_eq!(ready["status"], "ready");
    assert_eq!(ready["database"], "up");
    assert_eq!(ready["procedures"], 50, "the sample's procedures: {ready}");
    let snapshot = runtime.block_on(async {
        let store = Store::open(&url).await.unwrap();
        store.snapshot().await.unwrap()
    });
    assert_eq!(snapshot.procedures.len(), 50);
    assert_eq!(snapshot.organisations.len(), 24);
}

/// Two server processes on one database; a report written by a third party
/// (this test, through the store) appears in both processes' tiles, heard
/// through `NOTIFY`, without a restart.
#[test]
fn a_change_reaches_the_tiles_of_every_process_on_the_database() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let Some(url) = runtime.block_on(scratch_postgres("feed")) else {
        return;
    };
    // The first loads the sample into the new database; the second finds it.
    let first = serve_on(&url);
    let second = serve_on(&url);
    assert!(second.log().contains("index built"), "{}", second.log());

    let store = runtime.block_on(Store::open(&url)).unwrap();
    let snapshot = runtime.block_on(store.snapshot()).unwrap();
    let reporter = snapshot
        .procedures
        .iter()
        .find(|p| {
            p.kind == ProcedureKind::Reporting
                && matches!(p.area, Some(Area::Polygons(_)))
                && !p.categories.is_empty()
                && p.status(chrono::Utc::now().date_naive()).as_str() == "running"
        })
        .expect("a running defect reporter with an area in the sample");
    let Some(Area::Polygons(area)) = &reporter.area else {
        unreachable!()
    };
    let place = area.interior_point().unwrap();
    let (x, y) = tile_of(place.x(), place.y(), 16);
    let dir = tempfile::tempdir().unwrap();

    let written = Instant::now();
    let id = runtime.block_on(async {
        let mut tx = store.begin().await.unwrap();
        let id = tx.next_report_id().await.unwrap();
        tx.insert_report(&Report {
            id,
            procedure: reporter.id,
            external_id: None,
            category: reporter.categories[0].code.clone(),
            description: "Schlagloch".into(),
            status: ReportStatus::Published,
            location: place,
            created: chrono::Utc::now(),
            contact: None,
        })
        .await
        .unwrap();
        tx.commit().await.unwrap();
        id
    });
    let ReportId(raw_id) = id;
    for (name, server) in [("first", &first), ("second", &second)] {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let (_, tile) = decoded_tile(server, dir.path(), 16, x, y);
            if report_ids_in(&tile).contains(&(raw_id as u64)) {
                eprintln!(
                    "{name} process: the report is in its tile {:?} after the commit",
                    written.elapsed()
                );
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{name} process: report {raw_id} not in tile 16/{x}/{y} after 10 s:\n{}",
                server.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(
            server.log().contains("change feed: applied"),
            "{}",
            server.log()
        );
    }
}
