//! Writes the shared NRW workload into a partimap store: for the tile
//! benchmark (`benches/tiles-vs-martin.sh`, which then serves it with
//! `partimap serve --data-dir DIR`), and with `--no-reports` the
//! organisations and procedures that the import benchmark
//! (`benches/import-vs-ogr2ogr.sh`) then imports the reports into.
//!
//! `PARTIMAP_WORKLOAD=WL cargo bench --bench load_workload -- --bench DIR|postgres://… [--no-reports]`
//!
//! It goes through the store's own write interface in one transaction (the
//! path the sample data takes), not through the GeoJSON import of GIS staff,
//! which reads another layout (see `workload.rs`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark fails by panicking"
)]

mod workload;

use std::time::Instant;

use partimap_store::{DatabaseUrl, Store};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    // `cargo test --all-targets` runs benches without `--bench`.
    if !args.iter().any(|a| a == "--bench") {
        println!("load_workload: run with `cargo bench`");
        return;
    }
    let Some(target) = args.iter().skip(1).find(|a| !a.starts_with("--")) else {
        eprintln!("usage: cargo bench --bench load_workload -- --bench DATA_DIR");
        std::process::exit(2);
    };
    let Some(dir) = workload::dir() else {
        std::process::exit(2);
    };
    let started = Instant::now();
    let w = workload::read(&dir);
    println!(
        "read {} organisations, {} procedures, {} reports in {:.1} s",
        w.organisations.len(),
        w.procedures.len(),
        w.reports.len(),
        started.elapsed().as_secs_f64()
    );
    let no_reports = args.iter().any(|a| a == "--no-reports");
    let url = if target.starts_with("postgres://") {
        DatabaseUrl::Postgres(target.clone())
    } else {
        DatabaseUrl::embedded(target)
    };
    let started = Instant::now();
    let store = Store::open(&url).await.unwrap();
    assert!(
        store.is_empty().await.unwrap(),
        "{target} already holds a store"
    );
    let mut tx = store.begin().await.unwrap();
    for o in &w.organisations {
        tx.insert_organisation(o).await.unwrap();
    }
    for p in &w.procedures {
        tx.insert_procedure(p).await.unwrap();
    }
    if !no_reports {
        for r in &w.reports {
            tx.insert_report(r).await.unwrap();
        }
    }
    tx.commit().await.unwrap();
    store.close().await;
    println!(
        "wrote them{} into the store in {url} in {:.1} s",
        if no_reports { " (without reports)" } else { "" },
        started.elapsed().as_secs_f64()
    );
}
