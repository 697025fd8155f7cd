//! End-to-end: `partimap serve` on a new embedded store, as a newcomer runs
//! it, with tiles checked by MapLibre's own decoder (`@mapbox/vector-tile`).

#![allow(clippy::expect_used, reason = "test helper: a panic fails the test")]

mod common;

use std::collections::BTreeSet;

use common::{Server, decoded_tile, runs_within, sample, tile_bounds, tile_of};
use geo::{Contains, Point};
use serde_json::Value;

fn public(status: &str) -> bool {
    matches!(status, "published" | "in_progress" | "resolved")
}

/// The anchor of Siegen's defect reporter (data/README.md).
const SIEGEN: (f64, f64) = (8.0243, 50.8748);

/// The property names of a decoded feature.
fn property_keys(feature: &Value) -> BTreeSet<&str> {
    feature["properties"]
        .as_object()
        .unwrap_or_else(|| panic!("a feature without properties: {feature}"))
        .keys()
        .map(String::as_str)
        .collect()
}

#[test]
fn siegens_defect_reporter_is_in_its_tile_with_every_public_report() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let (x, y) = tile_of(SIEGEN.0, SIEGEN.1, 14);
    let (bytes, tile) = decoded_tile(&server, dir.path(), 14, x, y);

    // The procedure: its area, with its properties, containing the anchor.
    let procedures = tile["layers"]["procedures"]["features"].as_array().unwrap();
    let reporter = procedures
        .iter()
        .find(|f| f["properties"]["title"] == "Mängelmelder Siegen")
        .expect("Siegen's defect reporter is in its tile");
    assert_eq!(reporter["properties"]["kind"], "reporting");
    assert_eq!(reporter["properties"]["status"], "running");
    assert_eq!(reporter["properties"]["organisation"], "Stadt Siegen");
    assert_eq!(reporter["properties"]["placement"], "area");
    assert_eq!(reporter["id"], reporter["properties"]["id"]);
    let area: geo::Geometry =
        serde_json::from_value::<geojson::Geometry>(reporter["geojson"].clone())
            .unwrap()
            .try_into()
            .unwrap();
    assert!(
        area.contains(&Point::new(SIEGEN.0, SIEGEN.1)),
        "the decoded area contains the anchor"
    );

    // Every ring as the specification wants it.
    for f in procedures.iter().filter(|f| f["type"] == "Polygon") {
        for ring in f["rings"].as_array().unwrap() {
            assert_eq!(ring["zero_length_segments"], 0, "{f}");
            assert!(ring["points"].as_u64().unwrap() >= 4, "{f}");
            assert!(ring["area"].as_f64().unwrap() != 0.0, "{f}");
        }
        assert!(
            f["rings"][0]["area"].as_f64().unwrap() > 0.0,
            "the first ring is exterior: {f}"
        );
    }

    // Reports: every public sample report of Siegen inside the tile is in
    // it, nothing else is, and nothing private.
    let [w, s, e, n] = tile_bounds(14, x, y);
    let expected: Vec<(f64, f64, String)> = sample("reports.geojson")["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["properties"]["organisation"] == "stadt-siegen")
        .map(|f| {
            let c = &f["geometry"]["coordinates"];
            (
                c[0].as_f64().unwrap(),
                c[1].as_f64().unwrap(),
                f["properties"]["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let decoded: Vec<(f64, f64, String)> = tile["layers"]["reports"]["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            assert_eq!(
                property_keys(f),
                BTreeSet::from(["category", "id", "procedure_id", "status"]),
                "no text, no contact: {f}"
            );
            assert_eq!(f["properties"]["procedure_id"], reporter["id"]);
            let c = &f["geojson"]["coordinates"];
            (
                c[0].as_f64().unwrap(),
                c[1].as_f64().unwrap(),
                f["properties"]["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let near = |a: &(f64, f64, String), b: &(f64, f64, String)| {
        (a.0 - b.0).abs() < 1e-4 && (a.1 - b.1).abs() < 1e-4 && a.2 == b.2
    };
    let inside: Vec<_> = expected
        .iter()
        .filter(|r| public(&r.2) && (w..e).contains(&r.0) && (s..n).contains(&r.1))
        .collect();
    assert!(
        inside.len() >= 10,
        "the anchor tile holds many reports ({})",
        inside.len()
    );
    for r in &inside {
        assert!(
            decoded.iter().any(|d| near(d, r)),
            "report {r:?} is missing from the tile"
        );
    }
    for d in &decoded {
        assert!(
            expected.iter().any(|r| public(&r.2) && near(d, r)),
            "decoded report {d:?} is no public sample report"
        );
    }
    let text = String::from_utf8_lossy(&bytes);
    assert!(
        !text.contains("example.org"),
        "a reporter's e-mail leaked into a tile"
    );
}

#[test]
fn the_whole_state_at_zoom_6_shows_a_statewide_draft_law_at_the_ministrys_seat() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let organisations = sample("organisations.geojson");
    let seat = organisations["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["properties"]["key"] == "justizministerium-nrw")
        .expect("the ministry of justice is in the sample")["geometry"]["coordinates"]
        .clone();
    let (lon, lat) = (seat[0].as_f64().unwrap(), seat[1].as_f64().unwrap());
    let title =
        "Entwurf eines Gesetzes zur Modernisierung des Justizvollzugs in Nordrhein-Westfalen";
    let all: Value = server.get("/api/v1/procedures?limit=500").json_or_panic();
    let listed = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["title"] == title)
        .expect("the statewide draft law is listed")
        .clone();
    let (x, y) = tile_of(lon, lat, 6);
    let (_, tile) = decoded_tile(&server, dir.path(), 6, x, y);
    let law = tile["layers"]["procedures"]["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == listed["id"])
        .expect("the statewide draft law is on the map");
    // An overview zoom: what styling needs, the rest from the API.
    assert_eq!(
        property_keys(law),
        BTreeSet::from(["kind", "placement", "status"])
    );
    let details: Value = server
        .get(&format!("/api/v1/procedures/{}", listed["id"]))
        .json_or_panic();
    assert_eq!(details, listed);
    assert_eq!(details["title"], title);
    assert_eq!(details["organisation"]["key"], "justizministerium-nrw");
    assert_eq!(details["placement"], "seat");
    assert_eq!(law["type"], "Point");
    assert_eq!(law["properties"]["placement"], "seat");
    assert_eq!(law["properties"]["kind"], "formal_procedure");
    let at = &law["geojson"]["coordinates"];
    // One tile unit at zoom 6 is 360 / 64 / 4096 ≈ 0.0014°.
    assert!(
        (at[0].as_f64().unwrap() - lon).abs() < 0.002
            && (at[1].as_f64().unwrap() - lat).abs() < 0.002,
        "{at} vs {seat}"
    );
    // Only running procedures by default.
    for f in tile["layers"]["procedures"]["features"].as_array().unwrap() {
        assert_eq!(f["properties"]["status"], "running", "{f}");
    }
}

#[test]
fn bad_requests_get_problem_details_over_the_wire() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    for (path, status, detail) in [
        (
            "/tiles/99/0/0.mvt",
            400,
            "tile 99/0/0: zoom 99 is out of range: tiles exist for zoom 0 to 22",
        ),
        (
            "/tiles/3/9/0.mvt",
            400,
            "tile 3/9/0: x 9 is out of range at zoom 3: x must be 0 to 7",
        ),
        (
            "/tiles/a/b/c.mvt",
            400,
            "invalid tile path: zoom \"a\" is not a whole number; x \"b\" is not a whole number; y \"c\" is not a whole number",
        ),
        ("/no/such/page", 404, "nothing is served at /no/such/page"),
        (
            "/api/v1/procedures/abc",
            400,
            "procedure id \"abc\" in the path is not a number",
        ),
        (
            "/api/v1/procedures/999999",
            404,
            "there is no procedure 999999 on the map",
        ),
        (
            "/api/v1/procedures?bbox=1,2,3",
            400,
            "query parameter \"bbox\": \"1,2,3\" is not four numbers W,S,E,N",
        ),
        (
            "/api/v1/procedures?bbox=9,50,8,51",
            400,
            "query parameter \"bbox\": west must not exceed east, nor south north",
        ),
        (
            "/api/v1/procedures?bbox=190,50,191,51",
            400,
            "query parameter \"bbox\": longitudes must lie between -180 and 180",
        ),
        (
            "/api/v1/procedures?limit=0",
            400,
            "query parameter \"limit\": \"0\" is not a number from 1 to 500",
        ),
        (
            "/api/v1/procedures?limit=5&limit=6",
            400,
            "query parameter \"limit\" is given twice",
        ),
        (
            "/api/v1/procedures?colour=red",
            400,
            "unknown query parameter \"colour\"; expected one of: status, kind, organisation, procedure, category, from, until, bbox, limit",
        ),
        (
            "/api/v1/procedures?from=2026-13-01",
            400,
            "query parameter \"from\": \"2026-13-01\" is not a date of the form YYYY-MM-DD",
        ),
        (
            "/api/v1/procedures?until=1.3.2027",
            400,
            "query parameter \"until\": \"1.3.2027\" is not a date of the form YYYY-MM-DD",
        ),
        (
            "/api/v1/procedures?from=2027-01-01,2027-02-01",
            400,
            "query parameter \"from\": give one date, YYYY-MM-DD",
        ),
        (
            "/api/v1/procedures?from=2027-03-01&until=2027-02-01",
            400,
            "query parameters \"from\" and \"until\": the window starts (2027-03-01) after it ends (2027-02-01)",
        ),
        (
            "/api/v1/organisations?name=koeln",
            400,
            "unknown query parameter \"name\"; expected: q",
        ),
        (
            "/api/v1/organisations?q=a&q=b",
            400,
            "query parameter \"q\" is given twice",
        ),
        (
            "/tiles/5/16/10",
            404,
            "tiles are served as /tiles/{z}/{x}/{y}.mvt, not /tiles/5/16/10",
        ),
    ] {
        let response = server.get(path);
        assert_eq!(response.status(), status, "{path}");
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json",
            "{path}"
        );
        let body: Value = response.json_or_panic();
        assert_eq!(body["status"], status, "{path}");
        assert_eq!(body["detail"], detail, "{path}");
    }
}

#[test]
fn data_survives_a_restart_and_sigterm_stops_gracefully() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let first: Value = server.get("/readyz").json_or_panic();
    assert_eq!(first["status"], "ready");
    assert_eq!(first["database"], "up");
    let procedures = sample("procedures.geojson")["features"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(first["procedures"], procedures);
    let (exit, log) = server.terminate();
    assert!(exit.success(), "exit {exit:?}:\n{log}");
    assert!(
        log.contains("SIGTERM received, shutting down") && log.contains("stopped"),
        "{log}"
    );
    assert!(
        log.contains("loaded the sample data into the new store"),
        "{log}"
    );

    let server = Server::start(dir.path());
    let second: Value = server.get("/readyz").json_or_panic();
    assert_eq!(second, first, "the same data after the restart");
    assert!(
        !server.log().contains("loaded the sample data"),
        "the sample is loaded once:\n{}",
        server.log()
    );
    let health: Value = server.get("/healthz").json_or_panic();
    assert_eq!(health["status"], "ok");
}

trait JsonOrPanic {
    fn json_or_panic(self) -> Value;
}

impl JsonOrPanic for reqwest::blocking::Response {
    fn json_or_panic(self) -> Value {
        let text = self.text().expect("a response body");
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
    }
}

#[test]
fn clusters_of_a_defect_reporter_add_up_to_its_public_reports_at_every_zoom() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    // The bounding box of Siegen's defect reporter (data/README.md).
    let (west, south, east, north) = (7.999711, 50.855428, 8.046415, 50.892939);
    let public_reports = sample("reports.geojson")["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            f["properties"]["organisation"] == "stadt-siegen"
                && public(f["properties"]["status"].as_str().unwrap())
        })
        .count() as u64;
    assert!(public_reports > 50);
    let (ax, ay) = tile_of(SIEGEN.0, SIEGEN.1, 14);
    let (_, anchor) = decoded_tile(&server, dir.path(), 14, ax, ay);
    let siegen = anchor["layers"]["procedures"]["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["properties"]["title"] == "Mängelmelder Siegen")
        .expect("Siegen's defect reporter")["id"]
        .as_u64();
    for z in [6u32, 9, 11, 13, 14] {
        let (x0, y0) = tile_of(west, north, z);
        let (x1, y1) = tile_of(east, south, z);
        // Features near a tile's edge are in its neighbour's buffer too:
        // count each feature id once.
        let mut seen = std::collections::BTreeMap::new();
        for x in x0..=x1 {
            for y in y0..=y1 {
                let (_, tile) = decoded_tile(&server, dir.path(), z, x, y);
                for (layer, count_key) in [("clusters", Some("count")), ("reports", None)] {
                    for f in tile["layers"][layer]["features"]
                        .as_array()
                        .into_iter()
                        .flatten()
                    {
                        let procedure = f["properties"]["procedure_id"].as_u64().unwrap();
                        let count = count_key.map_or(1, |k| f["properties"][k].as_u64().unwrap());
                        if layer == "clusters" {
                            assert!(z < 14, "no clusters from zoom 14 on");
                            assert!(
                                f["properties"]["expansion_zoom"].as_u64().unwrap() > u64::from(z)
                            );
                        }
                        seen.insert((layer, f["id"].as_u64().unwrap()), (procedure, count));
                    }
                }
            }
        }
        let total: u64 = seen
            .values()
            .filter(|(p, _)| Some(*p) == siegen)
            .map(|(_, n)| n)
            .sum();
        assert_eq!(total, public_reports, "zoom {z}");
    }
}

#[test]
fn the_procedure_list_holds_what_the_map_draws_there() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    // Cologne at zoom 9 (an overview zoom: ids only) and zoom 11 (details).
    for z in [9, 11] {
        let (x, y) = tile_of(6.9583, 50.9413, z);
        let (_, tile) = decoded_tile(&server, dir.path(), z, x, y);
        let drawn: BTreeSet<u64> = tile["layers"]["procedures"]["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].as_u64().unwrap())
            .collect();
        assert!(!drawn.is_empty(), "procedures in Cologne at zoom {z}");
        let listed = |bbox: [f64; 4]| -> BTreeSet<u64> {
            let bbox = bbox.map(|v| format!("{v:.7}")).join(",");
            let answer: Value = server
                .get(&format!("/api/v1/procedures?bbox={bbox}&limit=500"))
                .json_or_panic();
            let items = answer["items"].as_array().unwrap();
            assert_eq!(answer["total"].as_u64().unwrap() as usize, items.len());
            let titles: Vec<_> = items.iter().map(|p| p["title"].as_str().unwrap()).collect();
            let mut sorted = titles.clone();
            sorted.sort_by_key(|t| t.to_lowercase());
            assert_eq!(titles, sorted, "sorted by title");
            items.iter().map(|p| p["id"].as_u64().unwrap()).collect()
        };
        // The tile reaches 64 of its 4096 units beyond its edge.
        let [w, s, e, n] = tile_bounds(z, x, y);
        let (dx, dy) = ((e - w) / 64.0, (n - s) / 64.0);
        let buffered = listed([w - dx, s - dy, e + dx, n + dy]);
        assert!(drawn.is_subset(&buffered), "{drawn:?} vs {buffered:?}");
        let inside = listed([w, s, e, n]);
        assert!(inside.is_subset(&drawn), "{inside:?} vs {drawn:?}");
    }
}

/// The time window selects the procedures running on some day of it, as
/// the sample's dates say, in the list and in the tiles' bounds alike.
#[test]
fn the_time_window_selects_the_procedures_running_in_it() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let features = sample("procedures.geojson")["features"]
        .as_array()
        .unwrap()
        .clone();
    let every_status = "status=upcoming,running,closed";
    let listed = |query: &str| -> BTreeSet<String> {
        let answer: Value = server
            .get(&format!(
                "/api/v1/procedures?limit=500&{every_status}&{query}"
            ))
            .json_or_panic();
        let items = answer["items"].as_array().unwrap();
        assert_eq!(answer["total"].as_u64().unwrap() as usize, items.len());
        items
            .iter()
            .map(|p| p["title"].as_str().unwrap().to_owned())
            .collect()
    };
    let expected = |from: Option<&str>, until: Option<&str>| -> BTreeSet<String> {
        features
            .iter()
            .map(|f| &f["properties"])
            .filter(|p| runs_within(p, from, until))
            .map(|p| p["title"].as_str().unwrap().to_owned())
            .collect()
    };
    let all = listed("");
    assert_eq!(all, expected(None, None));
    for (from, until) in [
        (Some("2027-02-01"), Some("2027-02-28")),
        (Some("2026-09-19"), Some("2026-09-19")),
        (None, Some("2026-03-31")),
        (Some("2027-06-01"), None),
    ] {
        let mut query = Vec::new();
        if let Some(f) = from {
            query.push(format!("from={f}"));
        }
        if let Some(u) = until {
            query.push(format!("until={u}"));
        }
        let got = listed(&query.join("&"));
        let want = expected(from, until);
        assert!(
            !want.is_empty() && want.len() < all.len(),
            "{query:?}: {}",
            want.len()
        );
        assert_eq!(got, want, "{query:?}");
    }
    // A single day: the one-day event of 19 September 2026 is in it.
    assert!(
        listed("from=2026-09-19&until=2026-09-19")
            .iter()
            .any(|t| t.starts_with("Bürgerkonferenz Strukturwandel"))
    );
}

/// The authority search finds organisations by a part of their name or
/// key, case and umlauts folded, and names what each belongs to.
#[test]
fn the_authority_search_finds_organisations_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let organisations = sample("organisations.geojson")["features"]
        .as_array()
        .unwrap()
        .clone();
    let all: Value = server.get("/api/v1/organisations").json_or_panic();
    assert_eq!(all["total"].as_u64().unwrap() as usize, organisations.len());
    let names: Vec<&str> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), organisations.len());
    for query in ["k%C3%B6ln", "KOLN", "koeln"] {
        let found: Value = server
            .get(&format!("/api/v1/organisations?q={query}"))
            .json_or_panic();
        let keys: BTreeSet<&str> = found["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["key"].as_str().unwrap())
            .collect();
        assert!(keys.contains("stadt-koeln"), "{query}: {keys:?}");
        assert!(
            keys.iter().all(|k| k.contains("koeln")),
            "{query}: {keys:?}"
        );
    }
    let koeln: Value = server
        .get("/api/v1/organisations?q=stadt-koeln")
        .json_or_panic();
    let city = &koeln["items"][0];
    assert_eq!(city["name"], "Stadt Köln");
    assert_eq!(city["parent"]["key"], "bezirksregierung-koeln");
    let none: Value = server
        .get("/api/v1/organisations?q=Atlantis")
        .json_or_panic();
    assert_eq!(none["total"], 0);
}

/// `partimap serve` on a store in `dir` with `args`, which must refuse to
/// start: its standard error.
fn refused_start(dir: &std::path::Path, args: &[&str]) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_partimap"))
        .args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
        .arg(dir)
        .args(args)
        .output()
        .expect("partimap serve runs");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "{args:?} started: {stderr}");
    stderr
}

/// A server-wide embed origin that is no origin stops the start with a
/// message naming it, before anything is opened.
#[test]
fn a_bad_embed_origin_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    for bad in ["https://portal.example/seite", "portal.example", "*"] {
        let stderr = refused_start(dir.path(), &["--embed-origin", bad]);
        assert!(
            stderr.contains(&format!(
                "embed origin {bad:?} must be an origin: https://host or https://host:port, lowercase, without a path"
            )),
            "{bad}: {stderr}"
        );
    }
    assert!(
        std::fs::read_dir(dir.path()).unwrap().next().is_none(),
        "no store was made"
    );
}

/// Without a basemap the map's ground is NRW's outline, served by partimap
/// itself and named in the style by an absolute URL under the server's base;
/// the style names no other host.
#[test]
fn the_outline_is_served_and_drawn_without_a_basemap() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let response = server.get("/assets/nrw-outline.geojson");
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/geo+json");
    let outline: geojson::GeoJson = response.text().unwrap().parse().unwrap();
    let geojson::GeoJson::FeatureCollection(outline) = outline else {
        panic!("the outline is no FeatureCollection");
    };
    assert_eq!(outline.features.len(), 1);
    let polygon =
        geo::Polygon::<f64>::try_from(outline.features[0].geometry.clone().unwrap().value)
            .expect("one Polygon");
    let bbox = geo::BoundingRect::bounding_rect(&polygon).unwrap();
    for (got, want) in [bbox.min().x, bbox.min().y, bbox.max().x, bbox.max().y]
        .into_iter()
        .zip([5.86, 50.32, 9.46, 52.53])
    {
        assert!((got - want).abs() < 0.02, "bbox {bbox:?}");
    }
    for seat in sample("organisations.geojson")["features"]
        .as_array()
        .unwrap()
    {
        let c = &seat["geometry"]["coordinates"];
        let point = Point::new(c[0].as_f64().unwrap(), c[1].as_f64().unwrap());
        assert!(polygon.contains(&point), "{}", seat["properties"]["key"]);
    }

    let style: Value = server.get("/style.json").json_or_panic();
    assert_eq!(
        style["sources"]["nrw-outline"]["data"],
        server.url("/assets/nrw-outline.geojson")
    );
    assert!(style["metadata"].get("partimap:basemap").is_none());
    for source in style["sources"].as_object().unwrap().values() {
        let url = source.get("url").or(source.get("data")).unwrap();
        assert!(url.as_str().unwrap().starts_with(&server.url("/")), "{url}");
    }
}

/// With `--basemap-style` the style names the basemap for the pages, and
/// the pages' `basemap.js` (as served) puts its sources and layers under
/// prefixed ids with absolute URLs.
#[test]
fn a_configured_basemap_is_named_in_the_style_for_the_pages() {
    let dir = tempfile::tempdir().unwrap();
    let basemap = "https://sgx.geodatenzentrum.de/gdz_basemapde_vektor/styles/bm_web_col.json";
    let server = Server::start_with(&[
        "--data-dir",
        dir.path().to_str().unwrap(),
        "--basemap-style",
        basemap,
    ]);
    let style: Value = server.get("/style.json?status=running").json_or_panic();
    assert_eq!(style["metadata"]["partimap:basemap"], basemap);
    assert_eq!(
        style["sources"]["nrw-outline"]["data"],
        server.url("/assets/nrw-outline.geojson")
    );

    // A basemap style with relative URLs, as a publisher might write it.
    let script = dir.path().join("basemap.cjs");
    std::fs::write(&script, server.get("/assets/basemap.js").text().unwrap()).unwrap();
    let base_style = dir.path().join("basemap-style.json");
    std::fs::write(
        &base_style,
        serde_json::json!({
            "version": 8,
            "sprite": "../sprites/bm_web_col",
            "glyphs": "../fonts/{fontstack}/{range}.pbf",
            "sources": {
                "smarttiles_de": {"type": "vector", "url": "../tiles/v1/bm_web_de_3857/tiles.json"},
                "partimap": {"type": "vector", "tiles": ["https://tiles.example/{z}/{x}/{y}.pbf"]}
            },
            "layers": [
                {"id": "background", "type": "background", "paint": {"background-color": "#eee"}},
                {"id": "Siedlung", "type": "fill", "source": "smarttiles_de", "source-layer": "Siedlungsflaeche"},
                {"id": "Andere", "type": "line", "source": "partimap", "source-layer": "x"}
            ]
        })
        .to_string(),
    )
    .unwrap();
    let prepared = common::node(
        "basemap-prepare.mjs",
        &[
            script.to_str().unwrap(),
            base_style.to_str().unwrap(),
            basemap,
        ],
    );
    let root = "https://sgx.geodatenzentrum.de/gdz_basemapde_vektor";
    assert_eq!(prepared["sprite"], format!("{root}/sprites/bm_web_col"));
    assert_eq!(
        prepared["glyphs"],
        format!("{root}/fonts/{{fontstack}}/{{range}}.pbf")
    );
    assert_eq!(
        prepared["sources"]["basemap:smarttiles_de"]["url"],
        format!("{root}/tiles/v1/bm_web_de_3857/tiles.json")
    );
    assert_eq!(
        prepared["sources"]["basemap:partimap"]["tiles"][0],
        "https://tiles.example/{z}/{x}/{y}.pbf"
    );
    let layers: Vec<(&str, Option<&str>)> = prepared["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["id"].as_str().unwrap(), l["source"].as_str()))
        .collect();
    assert_eq!(
        layers,
        [
            ("basemap:background", None),
            ("basemap:Siedlung", Some("basemap:smarttiles_de")),
            ("basemap:Andere", Some("basemap:partimap")),
        ]
    );
}

/// A basemap style that is no absolute http(s) URL stops the start with a
/// message naming it, before anything is opened.
#[test]
fn a_bad_basemap_style_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    for bad in [
        "bm_web_col.json",
        "file:///etc/passwd",
        "https://",
        "https://example.org/a style.json",
    ] {
        let stderr = refused_start(dir.path(), &["--basemap-style", bad]);
        assert!(
            stderr.contains(&format!(
                "basemap style {bad:?} must be an absolute http(s) URL of a MapLibre style"
            )),
            "{bad}: {stderr}"
        );
    }
    let stderr = refused_start(
        dir.path(),
        &["--basemap-style", "https://user:pw@example.org/style.json"],
    );
    assert!(stderr.contains("must not carry credentials"), "{stderr}");
    assert!(
        std::fs::read_dir(dir.path()).unwrap().next().is_none(),
        "no store was made"
    );
}
