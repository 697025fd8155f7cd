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

use std::{collections::HashMap, path::Path, time::Instant};

use chrono::NaiveDate;
use criterion::{BenchmarkId, Criterion};
use partimap_index::{Filter, Index, TileCoord};
use partimap_tiles::render::render;

#[path = "../../../benches/workload.rs"]
mod workload;

/// Reads the workload and builds the index; the build's seconds.
fn load(dir: &Path) -> (Index, f64) {
    let w = workload::read(dir);
    let started = Instant::now();
    let index = Index::build(&w.organisations, &w.procedures, &w.reports);
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
    partimap_tiles::cache::gzip(bytes).len()
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
    let Some(dir) = workload::dir() else {
        return;
    };
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
    // For a profiler: `PARTIMAP_PROFILE_ZOOM=6,7` renders each zoom's tiles of
    // the list for three seconds, prints the time per tile and stops.
    if let Ok(zooms) = std::env::var("PARTIMAP_PROFILE_ZOOM") {
        for z in zooms.split(',').filter_map(|z| z.parse::<u8>().ok()) {
            let tiles: Vec<_> = mixed.iter().filter(|t| t.z() == z).collect();
            let started = Instant::now();
            let mut n = 0;
            while started.elapsed().as_secs() < 3 {
                std::hint::black_box(render(&index, *tiles[n % tiles.len()], &filter, today));
                n += 1;
            }
            println!("zoom {z}: {:.0} µs per tile", 3e6 / n as f64);
        }
        return;
    }
    println!(
        "zoom  tiles  mean µs   p99 µs   max µs  gzip µs  max raw KB  max gzip KB  procedures  clusters/reports"
    );
    let mut by_zoom: HashMap<u8, Vec<TileCoord>> = HashMap::new();
    for t in &mixed {
        by_zoom.entry(t.z()).or_default().push(*t);
    }
    let mut zooms: Vec<_> = by_zoom.keys().copied().collect();
    zooms.sort_unstable();
    let all = Instant::now();
    for z in &zooms {
        let mut times = Vec::new();
        let (mut raw, mut gz, mut procedures, mut points) = (0, 0, 0, 0);
        let mut gzip_time = 0.0;
        for t in &by_zoom[z] {
            let e = t.envelope();
            procedures += index.procedures_in(&e, &filter, today).count();
            points += if *z < index.config().cluster_below_zoom {
                index.clusters_in(*z, &e, &filter, today).count()
            } else {
                index.reports_in(&e, &filter, today).count()
            };
            let s = Instant::now();
            let bytes = render(&index, *t, &filter, today);
            times.push(s.elapsed().as_secs_f64() * 1e6);
            raw = raw.max(bytes.len());
            let s = Instant::now();
            gz = gz.max(gzip(&bytes));
            gzip_time += s.elapsed().as_secs_f64() * 1e6;
        }
        times.sort_by(f64::total_cmp);
        let mean = times.iter().sum::<f64>() / times.len() as f64;
        let p99 = times[(times.len() * 99 / 100).min(times.len() - 1)];
        let n = times.len();
        println!(
            "{z:>4} {n:>6} {mean:>8.0} {p99:>8.0} {:>8.0} {:>8.0} {:>11.1} {:>12.1} {:>11} {:>17}",
            times[n - 1],
            gzip_time / n as f64,
            raw as f64 / 1024.0,
            gz as f64 / 1024.0,
            procedures / n,
            points / n,
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
