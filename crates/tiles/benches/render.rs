//! Index query and tile render per zoom, on the shared NRW workload
//! (`../shared/bench/make-nrw-workload.py OUT`: 5,000 procedures, 1,000,000
//! reports, and the tile requests of a map user).
//!
//! `PARTIMAP_WORKLOAD=DIR cargo bench -p partimap-tiles --bench render`
//! first prints, per zoom of `tiles-mixed.txt`, the render time of every
//! tile (mean, p99, max) and the tile sizes (raw and gzip), then runs
//! criterion on a sample of each zoom's tiles. Without the variable it uses
//! `/work/wl` if present, else says how to make the workload.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark fails by panicking"
)]

use std::{
    collections::HashMap,
    io::{BufRead, BufReader, Write},
    path::{Path, PathBuf},
    time::Instant,
};

use chrono::NaiveDate;
use criterion::{BenchmarkId, Criterion};
use geo::{LineString, MultiPolygon, Point, Polygon};
use partimap_index::{Filter, Index, TileCoord};
use partimap_model::{
    Area, Category, Organisation, OrganisationId, OrganisationKind, Procedure, ProcedureId,
    ProcedureKind, Report, ReportId, ReportStatus,
};
use partimap_tiles::render::render;
use serde_json::Value;

fn features(path: &Path) -> impl Iterator<Item = Value> {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    BufReader::new(file)
        .lines()
        .map_while(Result::ok)
        .filter_map(|line| {
            let line = line.trim_start_matches(',').trim();
            line.starts_with("{\"type\":\"Feature\"")
                .then(|| serde_json::from_str(line).expect("a feature"))
        })
}

fn ring(v: &Value) -> LineString<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|p| (p[0].as_f64().unwrap(), p[1].as_f64().unwrap()))
        .collect()
}

/// Loads the workload into domain values (one organisation per name, below
/// the state) and builds the index.
fn load(dir: &Path) -> (Index, f64) {
    let mut organisations = vec![Organisation {
        id: OrganisationId(1),
        key: "land-nrw".into(),
        name: "Land Nordrhein-Westfalen".into(),
        kind: OrganisationKind::State,
        ags: None,
        parent: None,
        seat: Some(Point::new(6.7735, 51.2277)),
    }];
    let mut org_ids: HashMap<String, OrganisationId> = HashMap::new();
    let mut procedures = Vec::new();
    let mut procedure_ids = HashMap::new();
    for f in features(&dir.join("procedures.geojson")) {
        let p = &f["properties"];
        let name = p["organisation"].as_str().unwrap().to_owned();
        let next = OrganisationId(organisations.len() as i64 + 1);
        let organisation = *org_ids.entry(name.clone()).or_insert_with(|| {
            organisations.push(Organisation {
                id: next,
                key: format!("o{}", next.0),
                name,
                kind: OrganisationKind::Municipality,
                ags: None,
                parent: Some(OrganisationId(1)),
                seat: None,
            });
            next
        });
        let coordinates = &f["geometry"]["coordinates"];
        let polygon = |rings: &Value| {
            let rings = rings.as_array().unwrap();
            Polygon::new(ring(&rings[0]), rings[1..].iter().map(ring).collect())
        };
        let area = match f["geometry"]["type"].as_str() {
            Some("Polygon") => MultiPolygon(vec![polygon(coordinates)]),
            Some("MultiPolygon") => MultiPolygon(
                coordinates
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(polygon)
                    .collect(),
            ),
            other => panic!("unexpected geometry {other:?}"),
        };
        let id = ProcedureId(procedures.len() as i64 + 1);
        procedure_ids.insert(p["id"].as_str().unwrap().to_owned(), id);
        procedures.push(Procedure {
            id,
            organisation,
            external_id: p["id"].as_str().unwrap().to_owned(),
            title: p["title"].as_str().unwrap().to_owned(),
            summary: String::new(),
            kind: p["kind"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap_or(ProcedureKind::Dialog),
            start: p["start"].as_str().unwrap().parse().unwrap(),
            end: p["end"].as_str().and_then(|e| e.parse().ok()),
            status_override: p["status"].as_str().and_then(|s| s.parse().ok()),
            url: p["url"].as_str().unwrap().to_owned(),
            area: Some(Area::Polygons(area)),
            categories: Vec::new(),
        });
    }
    let mut reports = Vec::with_capacity(1_000_000);
    for f in features(&dir.join("reports.geojson")) {
        let p = &f["properties"];
        let procedure = procedure_ids[p["procedure"].as_str().unwrap()];
        let category = p["category"].as_str().unwrap().to_owned();
        let categories = &mut procedures[procedure.0 as usize - 1].categories;
        if !categories.iter().any(|c| c.code == category) {
            categories.push(Category {
                code: category.clone(),
                label: category.clone(),
            });
        }
        let c = &f["geometry"]["coordinates"];
        reports.push(Report {
            id: ReportId(reports.len() as i64 + 1),
            procedure,
            category,
            description: String::new(),
            status: p["status"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap_or(ReportStatus::Published),
            location: Point::new(c[0].as_f64().unwrap(), c[1].as_f64().unwrap()),
            created: chrono::DateTime::UNIX_EPOCH,
            contact: None,
        });
    }
    let started = Instant::now();
    let index = Index::build(&organisations, &procedures, &reports);
    (index, started.elapsed().as_secs_f64())
}

fn tiles(dir: &Path, name: &str) -> Vec<TileCoord> {
    std::fs::read_to_string(dir.join(name))
        .unwrap()
        .lines()
        .map(|l| {
            let n: Vec<u32> = l.split('/').map(|p| p.parse().unwrap()).collect();
            TileCoord::new(n[0], n[1], n[2]).unwrap()
        })
        .collect()
}

fn gzip(bytes: &[u8]) -> usize {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap().len()
}

fn rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn main() {
    // `cargo test --all-targets` runs benches without `--bench`: loading a
    // million reports is no test, so do nothing then.
    if !std::env::args().any(|a| a == "--bench") {
        println!("render: run with `cargo bench`");
        return;
    }
    let dir = std::env::var_os("PARTIMAP_WORKLOAD")
        .map(PathBuf::from)
        .unwrap_or_else(|| "/work/wl".into());
    if !dir.join("reports.geojson").exists() {
        eprintln!(
            "no workload in {}: run ../shared/bench/make-nrw-workload.py DIR and set PARTIMAP_WORKLOAD=DIR",
            dir.display()
        );
        return;
    }
    let started = Instant::now();
    let (index, build) = load(&dir);
    println!(
        "loaded {} procedures, {} public reports in {:.1} s (index build {:.1} s), RSS {:.0} MB",
        index.procedure_counts().0,
        index.report_count(),
        started.elapsed().as_secs_f64(),
        build,
        rss_mb()
    );
    let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
    let filter = Filter::default();
    let mixed = tiles(&dir, "tiles-mixed.txt");
    println!("zoom  tiles  mean µs   p99 µs   max µs  max raw KB  max gzip KB");
    let mut by_zoom: HashMap<u8, Vec<TileCoord>> = HashMap::new();
    for t in &mixed {
        by_zoom.entry(t.z()).or_default().push(*t);
    }
    let mut zooms: Vec<_> = by_zoom.keys().copied().collect();
    zooms.sort_unstable();
    let all = Instant::now();
    for z in &zooms {
        let mut times = Vec::new();
        let (mut raw, mut gz) = (0, 0);
        for t in &by_zoom[z] {
            let s = Instant::now();
            let bytes = render(&index, *t, &filter, today);
            times.push(s.elapsed().as_secs_f64() * 1e6);
            raw = raw.max(bytes.len());
            gz = gz.max(gzip(&bytes));
        }
        times.sort_by(f64::total_cmp);
        let mean = times.iter().sum::<f64>() / times.len() as f64;
        let p99 = times[(times.len() * 99 / 100).min(times.len() - 1)];
        println!(
            "{z:>4} {:>6} {mean:>8.0} {p99:>8.0} {:>8.0} {:>11.1} {:>12.1}",
            times.len(),
            times[times.len() - 1],
            raw as f64 / 1024.0,
            gz as f64 / 1024.0
        );
    }
    println!(
        "whole mixed list, one thread: {:.0} tiles/s",
        mixed.len() as f64 / all.elapsed().as_secs_f64()
    );

    let mut c = Criterion::default().configure_from_args().sample_size(20);
    let mut group = c.benchmark_group("render");
    for z in &zooms {
        let sample: Vec<_> = by_zoom[z].iter().take(50).copied().collect();
        group.bench_with_input(BenchmarkId::new("zoom", z), &sample, |b, sample| {
            let mut i = 0;
            b.iter(|| {
                i = (i + 1) % sample.len();
                render(&index, sample[i], &filter, today)
            });
        });
    }
    group.finish();
    let mut group = c.benchmark_group("query");
    for z in [6u8, 10, 14] {
        let sample: Vec<_> = by_zoom[&z].iter().take(50).copied().collect();
        group.bench_with_input(
            BenchmarkId::new("reports_or_clusters", z),
            &sample,
            |b, sample| {
                let mut i = 0;
                b.iter(|| {
                    i = (i + 1) % sample.len();
                    let e = sample[i].envelope();
                    if z < index.config().cluster_below_zoom {
                        index.clusters_in(z, &e, &filter, today).count()
                    } else {
                        index.reports_in(&e, &filter, today).count()
                    }
                });
            },
        );
    }
    group.finish();
    c.final_summary();
}
