//! partimap's MVT encoder (`partimap_tiles::mvt`) against the `mvt` crate,
//! on the same features: the standards ask hand-written code to show it is
//! better than the ecosystem's crate.
//!
//! `cargo bench -p partimap-tiles --bench encoder`
//!
//! Two tiles shaped like the shared workload's: the statewide zoom-6 tile
//! (3,000 small polygons of about 19 vertices with three repeating string
//! tags, 1,000 cluster points with a dozen integer tags) and a zoom-14 tile
//! (400 report points with four tags, 20 areas of 150 vertices with ten tags,
//! two of them unique strings). Both encoders get integer geometry that is
//! already clipped and cleaned, as the tile pipeline has it; the `mvt`
//! crate's `GeomEncoder` takes it as `f32` with its identity transform.
//! Printed first: both tiles' sizes, which must agree within the encoders'
//! freedom (order of keys and values).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark fails by panicking"
)]

use criterion::{BenchmarkId, Criterion};
use partimap_tiles::mvt::{LayerBuilder, TileGeometry, Value};

/// A feature as both encoders get it.
struct Feature {
    id: u64,
    geometry: TileGeometry,
    strings: Vec<(&'static str, String)>,
    numbers: Vec<(String, u64)>,
}

/// A small deterministic generator (xorshift), so both runs see the same tile.
struct Rng(u64);

impl Rng {
    fn next(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

fn polygon(rng: &mut Rng, vertices: usize, radius: f64) -> TileGeometry {
    let (cx, cy) = (rng.next(4000) as f64 + 48.0, rng.next(4000) as f64 + 48.0);
    // Clockwise on screen (y down): positive area, an exterior ring.
    let ring: Vec<[i32; 2]> = (0..vertices)
        .map(|i| {
            let a = std::f64::consts::TAU * i as f64 / vertices as f64;
            let r = radius * (0.7 + 0.3 * (rng.next(100) as f64 / 100.0));
            [(cx + r * a.cos()) as i32, (cy + r * a.sin()) as i32]
        })
        .collect();
    let mut clean: Vec<[i32; 2]> = Vec::new();
    for p in ring {
        if clean.last() != Some(&p) {
            clean.push(p);
        }
    }
    TileGeometry::Polygons(vec![vec![clean]])
}

fn zoom6(rng: &mut Rng) -> Vec<Feature> {
    let kinds = [
        "dialog",
        "survey",
        "event",
        "formal_procedure",
        "land_use_plan",
        "reporting",
    ];
    let mut out: Vec<Feature> = (0..3000)
        .map(|i| Feature {
            id: i,
            geometry: polygon(rng, 19, 20.0),
            strings: vec![
                ("kind", kinds[rng.next(6) as usize].to_owned()),
                ("status", "running".to_owned()),
                ("placement", "area".to_owned()),
            ],
            numbers: Vec::new(),
        })
        .collect();
    out.extend((0..1000).map(|i| {
        let mut numbers = vec![
            ("count".to_owned(), rng.next(5000) + 2),
            ("procedure_id".to_owned(), rng.next(5000)),
            ("expansion_zoom".to_owned(), 7 + rng.next(7)),
        ];
        numbers.extend((0..6).map(|c| (format!("category:c{c}"), rng.next(900))));
        numbers.extend(
            ["published", "in_progress", "resolved"]
                .iter()
                .map(|s| (format!("status:{s}"), rng.next(900))),
        );
        Feature {
            id: 10_000 + i,
            geometry: TileGeometry::Points(vec![[rng.next(4096) as i32, rng.next(4096) as i32]]),
            strings: Vec::new(),
            numbers,
        }
    }));
    out
}

fn zoom14(rng: &mut Rng) -> Vec<Feature> {
    let mut out: Vec<Feature> = (0..20)
        .map(|i| Feature {
            id: i,
            geometry: polygon(rng, 150, 1500.0),
            strings: vec![
                (
                    "title",
                    format!("Verfahren {i}: Radverkehrskonzept Innenstadt"),
                ),
                ("kind", "reporting".to_owned()),
                ("status", "running".to_owned()),
                ("organisation", "Stadt Köln".to_owned()),
                ("start", "2026-01-01".to_owned()),
                ("end", "2027-06-30".to_owned()),
                ("url", format!("https://beteiligung.example/verfahren/{i}")),
                ("placement", "area".to_owned()),
            ],
            numbers: vec![("id".to_owned(), i), ("organisation_id".to_owned(), 7)],
        })
        .collect();
    out.extend((0..400).map(|i| Feature {
        id: 1_000_000 + i,
        geometry: TileGeometry::Points(vec![[rng.next(4096) as i32, rng.next(4096) as i32]]),
        strings: vec![
            ("category", format!("c{}", rng.next(6))),
            ("status", "published".to_owned()),
        ],
        numbers: vec![
            ("id".to_owned(), 1_000_000 + i),
            ("procedure_id".to_owned(), rng.next(20)),
        ],
    }));
    out
}

fn ours(features: &[Feature]) -> Vec<u8> {
    let mut layer = LayerBuilder::new("features", 4096);
    let mut properties = Vec::new();
    for f in features {
        properties.clear();
        properties.extend(f.strings.iter().map(|(k, v)| (*k, Value::Str(v))));
        properties.extend(f.numbers.iter().map(|(k, v)| (k.as_str(), Value::UInt(*v))));
        layer.add_feature(f.id, &f.geometry, &properties);
    }
    partimap_tiles::mvt::encode(&[layer])
}

fn theirs(features: &[Feature]) -> Vec<u8> {
    let mut tile = mvt::Tile::new(4096);
    let mut layer = tile.create_layer("features");
    for f in features {
        let geometry = match &f.geometry {
            TileGeometry::Points(points) => {
                let mut e = mvt::GeomEncoder::new(mvt::GeomType::Point);
                for p in points {
                    e.add_point(p[0] as f32, p[1] as f32).unwrap();
                }
                e.encode().unwrap()
            }
            TileGeometry::Polygons(polygons) => {
                let mut e = mvt::GeomEncoder::new(mvt::GeomType::Polygon);
                for ring in polygons.iter().flatten() {
                    for p in ring {
                        e.add_point(p[0] as f32, p[1] as f32).unwrap();
                    }
                    e.complete_geom().unwrap();
                }
                e.encode().unwrap()
            }
        };
        let mut feature = layer.into_feature(geometry);
        feature.set_id(f.id);
        for (k, v) in &f.strings {
            feature.add_tag_string(k, v);
        }
        for (k, v) in &f.numbers {
            feature.add_tag_uint(k, *v);
        }
        layer = feature.into_layer();
    }
    tile.add_layer(layer).unwrap();
    tile.to_bytes().unwrap()
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("encoder: run with `cargo bench`");
        return;
    }
    let tiles = [
        ("zoom6", zoom6(&mut Rng(0x9e37_79b9_7f4a_7c15))),
        ("zoom14", zoom14(&mut Rng(0x2545_f491_4f6c_dd1d))),
    ];
    for (name, features) in &tiles {
        println!(
            "{name}: {} features, partimap {} bytes, mvt crate {} bytes",
            features.len(),
            ours(features).len(),
            theirs(features).len()
        );
    }
    let mut c = Criterion::default().configure_from_args().sample_size(30);
    let mut group = c.benchmark_group("encode");
    for (name, features) in &tiles {
        group.bench_with_input(BenchmarkId::new("partimap", name), features, |b, f| {
            b.iter(|| ours(f))
        });
        group.bench_with_input(BenchmarkId::new("mvt-crate", name), features, |b, f| {
            b.iter(|| theirs(f))
        });
    }
    group.finish();
    // The two gzip encoders on the encoded tiles (`partimap_tiles::gzip`
    // says why there are two).
    let mut group = c.benchmark_group("gzip");
    for (name, features) in &tiles {
        let raw = ours(features);
        let fast = partimap_tiles::gzip::huffman_gzip(&raw).len();
        let libdeflate = partimap_tiles::cache::gzip(&raw).len();
        println!(
            "{name}: {} raw bytes; gzip by Huffman coding alone {fast} ({:.2}), libdeflate level 1 {libdeflate} ({:.2})",
            raw.len(),
            fast as f64 / raw.len() as f64,
            libdeflate as f64 / raw.len() as f64
        );
        group.throughput(criterion::Throughput::Bytes(raw.len() as u64));
        group.bench_with_input(BenchmarkId::new("huffman", name), &raw, |b, r| {
            b.iter(|| partimap_tiles::gzip::huffman_gzip(r))
        });
        group.bench_with_input(BenchmarkId::new("libdeflate-1", name), &raw, |b, r| {
            b.iter(|| partimap_tiles::cache::gzip(r))
        });
    }
    group.finish();
    c.final_summary();
}
