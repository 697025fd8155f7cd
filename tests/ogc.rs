//! OGC API – Features through the real binary, read by a real client
//! (GDAL's OAPIF driver, `ogrinfo`) and checked against the sample data by
//! brute force; paging, CRS, datetime, and every kind of bad request.

#![allow(clippy::unwrap_used, reason = "test fixtures: a panic fails the test")]

mod common;

use std::{collections::BTreeSet, process::Command};

use common::{Server, sample};
use serde_json::Value;

fn get(server: &Server, path: &str) -> (u16, reqwest::header::HeaderMap, Value) {
    let response = server.get(path);
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().unwrap();
    let value =
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"));
    (status, headers, value)
}

/// The public sample reports inside a box created in `[from, to)` (RFC 3339
/// text compares in time order), counted from `data/reports.geojson`.
fn sample_reports_in(bbox: [f64; 4], from: &str, to: &str) -> usize {
    let [w, s, e, n] = bbox;
    sample("reports.geojson")["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            let p = &f["properties"];
            let c = &f["geometry"]["coordinates"];
            let (x, y) = (c[0].as_f64().unwrap(), c[1].as_f64().unwrap());
            let created = p["created"].as_str().unwrap();
            ["published", "in_progress", "resolved"].contains(&p["status"].as_str().unwrap())
                && (w..=e).contains(&x)
                && (s..=n).contains(&y)
                && created >= from
                && created < to
        })
        .count()
}

const SIEGEN: [f64; 4] = [7.9, 50.8, 8.1, 50.95];

#[test]
fn gis_clients_read_procedures_and_reports() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());

    let (status, _, landing) = get(&server, "/ogc");
    assert_eq!(status, 200, "{landing}");
    let rels: Vec<_> = landing["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["rel"].as_str().unwrap())
        .collect();
    assert!(
        rels.contains(&"conformance") && rels.contains(&"data"),
        "{landing}"
    );
    let (_, _, conformance) = get(&server, "/ogc/conformance");
    assert!(
        conformance["conformsTo"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson")
    );
    let (_, _, collections) = get(&server, "/ogc/collections");
    let ids: Vec<_> = collections["collections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["procedures", "reports"]);
    assert_eq!(
        collections["collections"][0]["crs"],
        serde_json::json!([
            "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
            "http://www.opengis.net/def/crs/EPSG/0/25832"
        ])
    );

    // Reports in a box: the count and every page, by following the links.
    let bbox = SIEGEN.map(|v| v.to_string()).join(",");
    let expected = sample_reports_in(SIEGEN, "", "9");
    assert!(expected > 20, "the sample has Siegen's reports: {expected}");
    let mut next = Some(server.url(&format!(
        "/ogc/collections/reports/items?bbox={bbox}&limit=7"
    )));
    let mut seen = BTreeSet::new();
    let mut pages = 0;
    while let Some(url) = next {
        let path = url.strip_prefix(&server.base).unwrap().to_owned();
        let (status, headers, page) = get(&server, &path);
        assert_eq!(status, 200, "{page}");
        assert_eq!(headers["content-type"], "application/geo+json");
        assert_eq!(
            headers["content-crs"],
            "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>"
        );
        assert_eq!(page["numberMatched"], expected, "{path}");
        for f in page["features"].as_array().unwrap() {
            assert!(
                seen.insert(f["id"].as_i64().unwrap()),
                "a report on two pages: {f}"
            );
            let c = &f["geometry"]["coordinates"];
            assert!(
                (SIEGEN[0]..=SIEGEN[2]).contains(&c[0].as_f64().unwrap()),
                "{f}"
            );
            assert!(f["properties"].get("contact_email").is_none());
        }
        assert!(
            !page.to_string().contains("example.org"),
            "a reporter's e-mail in the API"
        );
        next = page["links"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["rel"] == "next")
            .map(|l| l["href"].as_str().unwrap().to_owned());
        pages += 1;
    }
    assert_eq!(seen.len(), expected);
    assert_eq!(pages, expected.div_ceil(7));

    // datetime: the reports of March 2026.
    let march = sample_reports_in(SIEGEN, "2026-03-01", "2026-04-01");
    let (_, _, page) = get(
        &server,
        &format!(
            "/ogc/collections/reports/items?bbox={bbox}&datetime=2026-03-01/2026-03-31&limit=1"
        ),
    );
    assert_eq!(page["numberMatched"], march, "{page}");
    assert!(march > 0 && march < expected);

    // In EPSG:25832, as NRW's GIS staff work.
    let (status, headers, page) = get(
        &server,
        &format!(
            "/ogc/collections/reports/items?bbox={bbox}&limit=3&crs=http://www.opengis.net/def/crs/EPSG/0/25832"
        ),
    );
    assert_eq!(status, 200);
    assert_eq!(
        headers["content-crs"],
        "<http://www.opengis.net/def/crs/EPSG/0/25832>"
    );
    for f in page["features"].as_array().unwrap() {
        let c = &f["geometry"]["coordinates"];
        let (x, y) = (c[0].as_f64().unwrap(), c[1].as_f64().unwrap());
        assert!(
            (400_000.0..460_000.0).contains(&x) && (5_600_000.0..5_660_000.0).contains(&y),
            "{f}"
        );
    }
    // One report by id, the same; a report that is not public is not found.
    let first = page["features"][0]["id"].as_i64().unwrap();
    let (status, _, one) = get(
        &server,
        &format!("/ogc/collections/reports/items/{first}?crs=EPSG:25832"),
    );
    assert_eq!(status, 200, "{one}");
    assert_eq!(one["geometry"], page["features"][0]["geometry"]);

    // Procedures: the map's default (running) and all of them.
    let (_, _, running) = get(&server, "/ogc/collections/procedures/items?limit=1");
    let (_, _, all) = get(
        &server,
        "/ogc/collections/procedures/items?limit=1&status=running,upcoming,closed",
    );
    let statuses = sample("procedures.geojson")["features"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(all["numberMatched"], statuses, "{all}");
    assert!(running["numberMatched"].as_u64().unwrap() < all["numberMatched"].as_u64().unwrap());
    let (_, _, list) = get(&server, "/api/v1/procedures?limit=500");
    assert_eq!(
        running["numberMatched"], list["total"],
        "the feature API and the map's list agree"
    );

    // A real client: GDAL's OGC API driver lists both collections and
    // counts the reports of the box as the sample does.
    let url = format!("OAPIF:{}/ogc", server.base);
    let out = Command::new("ogrinfo")
        .args(["-ro", "-so", &url])
        .output()
        .expect("ogrinfo (gdal-bin)");
    let listing = String::from_utf8_lossy(&out.stdout);
    assert!(
        listing.contains("1: procedures") && listing.contains("2: reports"),
        "{listing}"
    );
    let spat: Vec<String> = SIEGEN.iter().map(ToString::to_string).collect();
    let out = Command::new("ogrinfo")
        .args([
            "-ro", "-so", "-spat", &spat[0], &spat[1], &spat[2], &spat[3], &url, "reports",
        ])
        .output()
        .unwrap();
    let summary = String::from_utf8_lossy(&out.stdout);
    assert!(
        summary.contains(&format!("Feature Count: {expected}\n")),
        "{summary}"
    );
}

#[test]
fn bad_feature_requests_say_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let items = "/ogc/collections/reports/items";
    let cases: [(String, u16, &str); 12] = [
        (
            format!("{items}?bbox=1,2,3"),
            400,
            "query parameter \"bbox\": \"1,2,3\" is not four numbers minx,miny,maxx,maxy",
        ),
        (
            format!("{items}?bbox=8,51,7,52"),
            400,
            "query parameter \"bbox\": \"8,51,7,52\": the minimum must not exceed the maximum",
        ),
        (
            format!("{items}?bbox=7,51,8,95"),
            400,
            "longitudes lie between -180 and 180, latitudes between -90 and 90",
        ),
        (
            format!("{items}?limit=0"),
            400,
            "query parameter \"limit\": \"0\" is not a whole number of at least 1",
        ),
        (
            format!("{items}?offset=-1"),
            400,
            "query parameter \"offset\": \"-1\" is not a whole number of at least 0",
        ),
        (
            format!("{items}?datetime=gestern"),
            400,
            "query parameter \"datetime\": \"gestern\" is neither an RFC 3339 time nor a date",
        ),
        (
            format!("{items}?crs=EPSG:4326"),
            400,
            "query parameter \"crs\": \"EPSG:4326\" is not offered",
        ),
        (
            format!("{items}?bbox-crs=EPSG:3857&bbox=1,2,3,4"),
            400,
            "query parameter \"bbox-crs\": \"EPSG:3857\" is not offered",
        ),
        (
            format!("{items}?colour=red"),
            400,
            "unknown query parameter \"colour\"",
        ),
        (format!("{items}?status=finished"), 400, "status"),
        (
            "/ogc/collections/parks/items".to_owned(),
            404,
            "no collection \"parks\"; the collections are procedures, reports",
        ),
        (
            format!("{items}/99999999"),
            404,
            "no feature \"99999999\" in reports",
        ),
    ];
    for (path, want_status, want) in cases {
        let (status, headers, answer) = get(&server, &path);
        let detail = answer["detail"].as_str().unwrap_or("");
        assert!(
            status == want_status && detail.contains(want),
            "{path}: {status} {answer}"
        );
        assert_eq!(
            headers["content-type"], "application/problem+json",
            "{path}"
        );
    }
    // A larger limit than served is no error: the largest page is served.
    let (status, _, page) = get(&server, &format!("{items}?limit=999999"));
    assert_eq!(status, 200);
    assert!(page["numberReturned"].as_u64().unwrap() <= 10_000);
    // A submitted (unmoderated) sample report is not a public feature.
    let hidden = sample("reports.geojson")["features"]
        .as_array()
        .unwrap()
        .iter()
        .position(|f| f["properties"]["status"] == "submitted")
        .unwrap();
    // Sample reports are numbered from 1 in file order.
    let (status, _, _) = get(&server, &format!("{items}/{}", hidden + 1));
    assert_eq!(status, 404);
}
