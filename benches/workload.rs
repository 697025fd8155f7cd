//! Reads the shared NRW benchmark workload (`../shared/bench/make-nrw-workload.py
//! OUT`) into domain values. Shared by the render bench
//! (`crates/tiles/benches/render.rs`) and the store loader of the load
//! benchmark (`benches/load_workload.rs`).
//!
//! The workload names each procedure's authority by name and gives
//! procedures and reports ids of its own ("P000123", "R0000042"): every
//! authority becomes an organisation below the state, procedures keep their
//! id as external id, and reports refer to their procedure by it. The files
//! hold one feature per line, which this reader relies on (it is not the
//! import path of GIS staff).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    dead_code,
    reason = "a benchmark fails by panicking; each user takes what it needs"
)]

use std::{
    collections::HashMap,
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
};

use geo::{LineString, MultiPolygon, Point, Polygon};
use partimap_model::{
    Area, Category, Organisation, OrganisationId, OrganisationKind, Procedure, ProcedureId,
    ProcedureKind, Report, ReportId, ReportStatus,
};
use serde_json::Value;

/// The workload's directory: `PARTIMAP_WORKLOAD`, else `/work/wl`; `None`
/// (after saying how to make one) when it holds no workload.
pub fn dir() -> Option<PathBuf> {
    let dir = std::env::var_os("PARTIMAP_WORKLOAD")
        .map(PathBuf::from)
        .unwrap_or_else(|| "/work/wl".into());
    if dir.join("reports.geojson").exists() {
        Some(dir)
    } else {
        eprintln!(
            "no workload in {}: run ../shared/bench/make-nrw-workload.py DIR and set PARTIMAP_WORKLOAD=DIR",
            dir.display()
        );
        None
    }
}

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

/// The workload as domain values.
pub struct Workload {
    pub organisations: Vec<Organisation>,
    pub procedures: Vec<Procedure>,
    pub reports: Vec<Report>,
}

pub fn read(dir: &Path) -> Workload {
    let mut organisations = vec![Organisation {
        id: OrganisationId(1),
        key: "land-nrw".into(),
        name: "Land Nordrhein-Westfalen".into(),
        kind: OrganisationKind::State,
        ags: None,
        parent: None,
        seat: Some(Point::new(6.7735, 51.2277)),
        embed_origins: Vec::new(),
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
                embed_origins: Vec::new(),
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
            moderation: Default::default(),
            location_precision_m: None,
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
            external_id: None,
            category,
            description: p["description"].as_str().unwrap_or_default().to_owned(),
            status: p["status"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap_or(ReportStatus::Published),
            location: Point::new(c[0].as_f64().unwrap(), c[1].as_f64().unwrap()),
            created: p["created"]
                .as_str()
                .and_then(|t| t.parse().ok())
                .unwrap_or(chrono::DateTime::UNIX_EPOCH),
            contact: None,
        });
    }
    Workload {
        organisations,
        procedures,
        reports,
    }
}
