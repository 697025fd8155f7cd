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
    // SIGTERM stops it: the change listener and follower let the pool close.
    let (exit, log) = server.terminate();
    assert!(exit.success(), "{log}");
    assert!(log.contains("stopped"), "{log}");
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

/// A report feature in Siegen's defect reporter.
fn siegen_report(id: &str) -> String {
    format!(
        r#"{{"type":"Feature","id":"{id}","geometry":{{"type":"Point","coordinates":[8.022248,50.882087]}},"properties":{{"organisation":"stadt-siegen","procedure":"maengelmelder","category":"litter","description":"Müll","status":"published"}}}}"#
    )
}

/// `partimap import` killed with SIGKILL in the middle of a large import:
/// the store is as it was before, and the next import works.
#[test]
fn an_import_killed_midway_leaves_the_store_as_it_was() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let Some(url) = runtime.block_on(scratch_postgres("killed")) else {
        return;
    };
    let DatabaseUrl::Postgres(raw) = &url else {
        unreachable!()
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("reports.geojson");
    let features: Vec<String> = (0..400_000)
        .map(|i| siegen_report(&format!("k-{i}")))
        .collect();
    std::fs::write(
        &file,
        format!(
            "{{\"type\":\"FeatureCollection\",\"features\":[\n{}\n]}}\n",
            features.join(",\n")
        ),
    )
    .unwrap();
    let import = |path: &std::path::Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_partimap"))
            .args(["import", path.to_str().unwrap(), "--layer", "reports"])
            .args(["--database-url", raw])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    // A first, small import loads the sample into the new database.
    let small = dir.path().join("one.geojson");
    std::fs::write(
        &small,
        format!(
            "{{\"type\":\"FeatureCollection\",\"features\":[{}]}}",
            siegen_report("one")
        ),
    )
    .unwrap();
    assert!(import(&small).wait_with_output().unwrap().status.success());
    let (reports, seq) = runtime.block_on(async {
        let store = Store::open(&url).await.unwrap();
        let s = store.snapshot().await.unwrap();
        store.close().await;
        (s.reports.len(), s.seq)
    });

    let mut child = import(&file);
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        child.try_wait().unwrap().is_none(),
        "the import ended before it could be killed; make the file larger"
    );
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    runtime.block_on(async {
        let store = Store::open(&url).await.unwrap();
        let s = store.snapshot().await.unwrap();
        assert_eq!(s.reports.len(), reports, "no report of the killed import");
        assert_eq!(s.seq, seq, "no change recorded");
        store.close().await;
    });
    let output = import(&small).wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("\"unchanged\": 1"),
        "the store answers as before: {}",
        String::from_utf8_lossy(&output.stdout)
    );
}
