//! `POST /api/v1/imports` through the real binary: GIS staff's GeoJSON in
//! NRW's CRS, streamed, validated, all-or-nothing, on the embedded store and
//! on PostGIS; and every kind of bad input with its status and message.

#![allow(clippy::unwrap_used, reason = "test fixtures: a panic fails the test")]

mod common;

use std::{
    io::Write,
    time::{Duration, Instant},
};

use common::Server;
use partimap_store::{DatabaseUrl, testing::scratch_postgres};
use serde_json::{Value, json};

/// A server with its store, and a token of Stadt Siegen and an admin token.
struct Setup {
    server: Server,
    siegen: String,
    admin: String,
    _dir: Option<tempfile::TempDir>,
}

fn setup(store_args: Vec<String>, dir: Option<tempfile::TempDir>) -> Setup {
    let args: Vec<&str> = store_args.iter().map(String::as_str).collect();
    let server = Server::start_with(&args);
    let siegen = common::token(&["--organisation", "stadt-siegen"], &args);
    let admin = common::token(&["--admin", "--label", "tests"], &args);
    Setup {
        server,
        siegen,
        admin,
        _dir: dir,
    }
}

fn embedded() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let args = vec![
        "--data-dir".to_owned(),
        dir.path().to_str().unwrap().to_owned(),
    ];
    setup(args, Some(dir))
}

fn postgis(test: &str) -> Option<Setup> {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let DatabaseUrl::Postgres(url) = runtime.block_on(scratch_postgres(test))? else {
        unreachable!()
    };
    Some(setup(vec!["--database-url".to_owned(), url], None))
}

/// POSTs `body` to the import endpoint; status and JSON answer.
fn post(
    setup: &Setup,
    query: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> (u16, Value) {
    let client = reqwest::blocking::Client::new();
    let mut request = client
        .post(setup.server.url(&format!("/api/v1/imports?{query}")))
        .body(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().unwrap();
    let status = response.status().as_u16();
    let text = response.text().unwrap();
    let value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"));
    (status, value)
}

fn collection(features: Vec<Value>) -> Vec<u8> {
    serde_json::to_vec_pretty(&json!({"type": "FeatureCollection", "features": features})).unwrap()
}

/// A square procedure area in Siegen, in EPSG:25832 (metres).
fn utm_square(x: f64, y: f64, size: f64) -> Value {
    json!({"type": "Polygon", "coordinates": [[
        [x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]
    ]]})
}

fn procedure(external_id: &str, title: &str, geometry: Value) -> Value {
    json!({"type": "Feature", "geometry": geometry, "properties": {
        "external_id": external_id,
        "title": title,
        "kind": "dialog",
        "start": "2026-01-01",
        "end": "2030-12-31",
        "url": "https://beteiligung.nrw.de/portal/stadt-siegen/beteiligung/themen/1"
    }})
}

/// The titles the procedure API lists in a box around Siegen.
fn titles_in_siegen(server: &Server) -> Vec<String> {
    let text = server
        .get("/api/v1/procedures?bbox=7.9,50.8,8.2,50.95&limit=500")
        .text()
        .unwrap();
    let list: Value = serde_json::from_str(&text).unwrap();
    list["items"]
        .as_array()
        .unwrap_or_else(|| panic!("{list}"))
        .iter()
        .map(|p| p["title"].as_str().unwrap().to_owned())
        .collect()
}

/// Waits until `check` holds (the change feed applies commits within a
/// second); how long it took.
fn eventually(what: &str, mut check: impl FnMut() -> bool) -> Duration {
    let started = Instant::now();
    while !check() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{what}: not after 10 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    started.elapsed()
}

fn imports_reach_the_map(setup: &Setup) {
    let square = utm_square(431_000.0, 5_635_800.0, 400.0);
    let body = collection(vec![procedure(
        "radweg-1",
        "Radweg Hüttental",
        square.clone(),
    )]);
    let (status, answer) = post(
        setup,
        "layer=procedures&crs=EPSG:25832",
        Some(&setup.siegen),
        &[],
        body,
    );
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["inserted"], 1, "{answer}");
    assert_eq!(answer["committed"], true);
    assert_eq!(answer["crs"], "EPSG:25832");
    let took = eventually("the imported procedure in the API", || {
        titles_in_siegen(&setup.server).contains(&"Radweg Hüttental".to_owned())
    });
    eprintln!("imported procedure listed {took:?} after the answer");

    // Again: unchanged. With a new title: updated, in place.
    let body = collection(vec![procedure(
        "radweg-1",
        "Radweg Hüttental",
        square.clone(),
    )]);
    let (status, answer) = post(
        setup,
        "layer=procedures&crs=EPSG:25832",
        Some(&setup.siegen),
        &[],
        body,
    );
    assert_eq!(
        (status, answer["unchanged"].clone()),
        (200, json!(1)),
        "{answer}"
    );
    let body = collection(vec![procedure(
        "radweg-1",
        "Radweg Hüttental (2. Abschnitt)",
        square,
    )]);
    let (status, answer) = post(
        setup,
        "layer=procedures&crs=EPSG:25832",
        Some(&setup.siegen),
        &[],
        body,
    );
    assert_eq!(
        (status, answer["updated"].clone()),
        (200, json!(1)),
        "{answer}"
    );
    eventually("the new title", || {
        let titles = titles_in_siegen(&setup.server);
        titles.contains(&"Radweg Hüttental (2. Abschnitt)".to_owned())
            && !titles.contains(&"Radweg Hüttental".to_owned())
    });

    // Reports as a gzip-compressed GeoJSON text sequence (RFC 8142), in
    // EPSG:25832 from the file's legacy crs member is not possible in a
    // sequence: the parameter says it.
    let mut sequence = Vec::new();
    for (i, (x, y)) in [(431_218.46, 5_637_168.0), (430_835.46, 5_636_541.03)]
        .into_iter()
        .enumerate()
    {
        sequence.push(0x1e);
        serde_json::to_writer(
            &mut sequence,
            &json!({"type": "Feature", "id": format!("gis-{i}"),
                    "geometry": {"type": "Point", "coordinates": [x, y]},
                    "properties": {"procedure": "maengelmelder", "category": "litter",
                                   "description": "Sperrmüll am Straßenrand", "status": "published"}}),
        )
        .unwrap();
        sequence.push(b'\n');
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&sequence).unwrap();
    let gzipped = gz.finish().unwrap();
    let (status, answer) = post(
        setup,
        "layer=reports&crs=EPSG:25832",
        Some(&setup.siegen),
        &[("content-encoding", "gzip")],
        gzipped.clone(),
    );
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["inserted"], 2, "{answer}");
    // The same file again matches on the reports' ids: nothing changes, also
    // a second later (the file gives no creation time: the stored one
    // stays). The gzip magic bytes are recognised without Content-Encoding.
    std::thread::sleep(Duration::from_millis(1100));
    let (status, answer) = post(
        setup,
        "layer=reports&crs=EPSG:25832",
        Some(&setup.siegen),
        &[],
        gzipped,
    );
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        (answer["inserted"].clone(), answer["unchanged"].clone()),
        (json!(0), json!(2)),
        "{answer}"
    );
    let changed = String::from_utf8(sequence).unwrap().replacen(
        "Sperrmüll am Straßenrand",
        "Sperrmüll, abgeholt",
        1,
    );
    let (status, answer) = post(
        setup,
        "layer=reports&crs=EPSG:25832",
        Some(&setup.siegen),
        &[],
        changed.into_bytes(),
    );
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        (answer["updated"].clone(), answer["unchanged"].clone()),
        (json!(1), json!(1)),
        "{answer}"
    );

    // An admin's import for several organisations: each feature names its
    // organisation (and a report's procedure is found there).
    let (status, answer) = post(
        setup,
        "layer=reports",
        Some(&setup.admin),
        &[],
        collection(vec![
            json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [8.022248, 50.882087]},
            "properties": {"organisation": "stadt-siegen", "procedure": "maengelmelder", "category": "road_damage",
                           "description": "Schlagloch", "status": "published"}}),
        ]),
    );
    assert_eq!(
        (status, answer["inserted"].clone()),
        (200, json!(1)),
        "{answer}"
    );
    assert_eq!(answer["organisation"], "*");

    // Replace: the organisation's procedures become the file's.
    let keep = procedure(
        "radweg-1",
        "Radweg Hüttental (2. Abschnitt)",
        utm_square(431_000.0, 5_635_800.0, 400.0),
    );
    let (status, answer) = post(
        setup,
        "layer=procedures&crs=EPSG:25832&mode=replace&dry_run=true",
        Some(&setup.siegen),
        &[],
        collection(vec![keep]),
    );
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["dry_run"], true);
    assert_eq!(answer["committed"], false);
    assert!(
        answer["deleted"].as_u64().unwrap() >= 3,
        "Siegen's sample procedures: {answer}"
    );
    assert!(
        titles_in_siegen(&setup.server).contains(&"Mängelmelder Siegen".to_owned()),
        "a dry run deletes nothing"
    );
}

#[test]
fn imports_reach_the_map_on_the_embedded_store() {
    imports_reach_the_map(&embedded());
}

#[test]
fn imports_reach_the_map_on_postgis() {
    if let Some(setup) = postgis("imports") {
        imports_reach_the_map(&setup);
    }
}

/// `replace` for reports: the organisation's imported reports become the
/// file's (changed ones updated, missing ones deleted); the sample's
/// citizens' reports in the same procedure, which have no id, stay — else
/// they would be counted as deleted. A dry run counts and keeps.
fn reports_replace(setup: &Setup) {
    let report = |id: &str, description: &str| {
        json!({"type": "Feature", "id": id,
               "geometry": {"type": "Point", "coordinates": [8.022248, 50.882087]},
               "properties": {"procedure": "maengelmelder", "category": "litter",
                              "description": description}})
    };
    let import = |query: &str, features: Vec<Value>| {
        let (status, answer) = post(setup, query, Some(&setup.siegen), &[], collection(features));
        assert_eq!(status, 200, "{answer}");
        let count = |k: &str| answer[k].as_u64().unwrap();
        [
            count("inserted"),
            count("updated"),
            count("unchanged"),
            count("deleted"),
        ]
    };
    let three = vec![
        report("a", "eins"),
        report("b", "zwei"),
        report("c", "drei"),
    ];
    assert_eq!(import("layer=reports", three), [3, 0, 0, 0]);
    let two = || vec![report("a", "eins"), report("b", "zwei, geändert")];
    assert_eq!(
        import("layer=reports&mode=replace&dry_run=true", two()),
        [0, 1, 1, 1]
    );
    assert_eq!(import("layer=reports&mode=replace", two()), [0, 1, 1, 1]);
    assert_eq!(import("layer=reports&mode=replace", two()), [0, 0, 2, 0]);
    let (status, answer) = post(
        setup,
        "layer=reports&mode=replace",
        Some(&setup.admin),
        &[],
        collection(two()),
    );
    assert_eq!(status, 400, "{answer}");
    assert_eq!(
        answer["detail"],
        "organisation: replace needs the organisation whose data the file replaces"
    );
}

#[test]
fn reports_replace_on_the_embedded_store() {
    reports_replace(&embedded());
}

#[test]
fn reports_replace_on_postgis() {
    if let Some(setup) = postgis("reports_replace") {
        reports_replace(&setup);
    }
}

/// A first import of many reports on PostGIS goes straight into the reports
/// table (its indexes built again afterwards): an id the file repeats is
/// still named with both features and where the repeat starts, and nothing
/// is written; without the repeat all are inserted, and the same file again
/// finds them all unchanged (matched on their ids).
#[test]
fn a_large_import_on_postgis_names_a_repeated_id_with_its_place() {
    let Some(setup) = postgis("large_import") else {
        return;
    };
    let n = 12_000;
    let file = |repeat: bool| {
        let mut body = String::from("{\"type\": \"FeatureCollection\", \"features\": [\n");
        for i in 0..n {
            let id = if repeat && i == n - 1 { 5 } else { i };
            let comma = if i + 1 < n { "," } else { "" };
            body.push_str(&format!(
                "{{\"type\": \"Feature\", \"id\": \"r-{id}\", \"geometry\": {{\"type\": \"Point\", \"coordinates\": [8.022248, 50.882087]}}, \"properties\": {{\"procedure\": \"maengelmelder\", \"category\": \"litter\", \"description\": \"Nr. {i}\"}}}}{comma}\n"
            ));
        }
        body.push_str("]}\n");
        body.into_bytes()
    };
    let (status, answer) = post(
        &setup,
        "layer=reports",
        Some(&setup.siegen),
        &[],
        file(true),
    );
    assert_eq!(status, 422, "{answer}");
    assert_eq!(answer["rejected"], 1, "{answer}");
    assert_eq!(answer["inserted"], 0, "{answer}");
    let rejection = &answer["rejections"][0];
    assert_eq!(rejection["index"], n - 1, "{answer}");
    assert_eq!(rejection["id"], "r-5", "{answer}");
    // Feature i starts on line i + 2 (after the collection's first line).
    assert_eq!(
        (&rejection["line"], &rejection["column"]),
        (&json!(n + 1), &json!(1))
    );
    assert_eq!(
        rejection["problems"][0],
        json!({"pointer": "/id", "message": "\"r-5\" appears twice in the file (first in feature 5)"})
    );

    let (status, answer) = post(
        &setup,
        "layer=reports",
        Some(&setup.siegen),
        &[],
        file(false),
    );
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        (&answer["inserted"], &answer["rejected"]),
        (&json!(n), &json!(0)),
        "{answer}"
    );
    let (status, answer) = post(
        &setup,
        "layer=reports",
        Some(&setup.siegen),
        &[],
        file(false),
    );
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        (&answer["unchanged"], &answer["inserted"]),
        (&json!(n), &json!(0)),
        "{answer}"
    );
}

/// A bad request: query, token, body, expected status, a JSON pointer into
/// the answer, and the text expected there.
type Case<'a> = (&'a str, Option<&'a str>, Vec<u8>, u16, &'a str, &'a str);

/// Every kind of bad input: status, and the message naming what and where.
#[test]
fn bad_imports_are_refused_with_what_and_where_and_write_nothing() {
    let setup = embedded();
    let good = || procedure("ok-1", "Gut", utm_square(431_000.0, 5_635_800.0, 300.0));
    let utm = "layer=procedures&crs=EPSG:25832";
    let before = titles_in_siegen(&setup.server);

    let admin = setup.admin.as_str();
    let siegen = setup.siegen.as_str();
    let feature = |props: Value, geometry: Value| {
        let mut f = good();
        for (k, v) in props.as_object().unwrap() {
            f["properties"][k] = v.clone();
        }
        f["geometry"] = geometry;
        f
    };
    let square = utm_square(431_000.0, 5_635_800.0, 300.0);
    let cases: Vec<Case> = vec![
        (utm, None, collection(vec![good()]), 401, "/detail", "a bearer token is required"),
        (utm, Some("pmt_nonsense"), collection(vec![good()]), 401, "/detail", "the bearer token is not known"),
        ("layer=procedures&organisation=stadt-koeln", Some(siegen), collection(vec![good()]), 403, "/detail",
         "this token may import only for its own organisation, not for \"stadt-koeln\""),
        ("layer=procedures", Some(admin), collection(vec![good()]), 422, "/rejections/0/problems/0/message",
         "is required in an import for several organisations (no organisation parameter)"),
        ("layer=procedures&mode=replace", Some(admin), collection(vec![good()]), 400, "/detail",
         "organisation: replace needs the organisation whose data the file replaces"),
        ("crs=EPSG:25832", Some(siegen), collection(vec![good()]), 400, "/detail", "layer: required (procedures or reports)"),
        ("layer=parks", Some(siegen), collection(vec![good()]), 400, "/detail", "layer: unknown layer \"parks\""),
        ("layer=procedures&crs=EPSG:2056", Some(siegen), collection(vec![good()]), 400, "/detail", "crs: unsupported \"EPSG:2056\""),
        ("layer=procedures&dry_run=maybe", Some(siegen), collection(vec![good()]), 400, "/detail", "dry_run: expected true or false, not \"maybe\""),
        ("layer=procedures&mode=merge", Some(siegen), collection(vec![good()]), 400, "/detail", "mode: unknown mode \"merge\""),
        ("layer=procedures&format=x", Some(siegen), collection(vec![good()]), 400, "/detail", "unknown parameter \"format\""),
        (utm, Some(siegen), b"[1, 2]".to_vec(), 400, "/detail",
         "the body is not GeoJSON: expected a GeoJSON FeatureCollection or Feature, not an array at line 1, column 1; nothing was written"),
        (utm, Some(siegen), b"{\"type\": \"FeatureCollection\", \"features\": [".to_vec(), 400, "/detail",
         "unexpected end of the body (a value is not closed)"),
        (utm, Some(siegen), b"{\"type\": \"Topology\", \"features\": []}".to_vec(), 400, "/detail",
         "expected a FeatureCollection, not \"Topology\""),
        (utm, Some(siegen), b"\x1f\x8b\x08\x00garbage".to_vec(), 400, "/detail", "the body is not valid gzip"),
        (utm, Some(siegen),
         br#"{"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::31467"}}, "features": []}"#.to_vec(),
         400, "/detail", "the file's crs member (EPSG:31467, at line 1, column 38) contradicts the crs parameter (EPSG:25832)"),
        (utm, Some(siegen), b"{\"type\": \"FeatureCollection\",\n \"features\": [\n  {\"type\": \"Feature\", \"properties\": {\"title\": \"x\",}}]}".to_vec(),
         422, "/rejections/0/problems/0/message", "malformed JSON at line 3, column 51: trailing comma"),
        (utm, Some(siegen), collection(vec![json!({"type": "Point", "coordinates": [1, 2]})]), 422,
         "/rejections/0/problems/0/message", "not a GeoJSON Feature (type \"Point\")"),
        (utm, Some(siegen), collection(vec![feature(json!({"title": 5}), square.clone())]), 422,
         "/rejections/0/problems/0", "/properties/title: must be a string, not a number"),
        (utm, Some(siegen), collection(vec![feature(json!({"kind": "party"}), square.clone())]), 422,
         "/rejections/0/problems/0/pointer", "/properties/kind"),
        (utm, Some(siegen), collection(vec![feature(json!({"organisation": "stadt-koeln"}), square.clone())]), 422,
         "/rejections/0/problems/0/message", "belongs to \"stadt-koeln\"; this import is for \"stadt-siegen\""),
        (utm, Some(siegen), collection(vec![feature(json!({}), json!({"type": "LineString", "coordinates": [[431000, 5635800], [431100, 5635900]]}))]), 422,
         "/rejections/0/problems/0/message", "a LineString cannot be a procedure's place"),
        (utm, Some(siegen), collection(vec![feature(json!({}), json!({"type": "Polygon", "coordinates": [[[431000, 5635800], [431300, 5636100], [431300, 5635800], [431000, 5636100], [431000, 5635800]]]}))]), 422,
         "/rejections/0/problems/0/message", "self-intersect"),
        (utm, Some(siegen), collection(vec![feature(json!({}), json!({"type": "Polygon", "coordinates": [[[431000, 5635800], [431300, 5635800], [431300, 5636100], [431000, 5636100]]]}))]), 422,
         "/rejections/0/problems/0/message", "not closed"),
        (utm, Some(siegen), collection(vec![feature(json!({}), json!({"type": "Polygon", "coordinates": [[[431000, 5635800], [431300, 5635800], [431000, 5635800]]]}))]), 422,
         "/rejections/0/problems/0/message", "at least 4 positions"),
        ("layer=procedures", Some(siegen), collection(vec![feature(json!({}), json!({"type": "Point", "coordinates": [431000, 5635800]}))]), 422,
         "/rejections/0/problems/0/message", "longitude"),
        (utm, Some(siegen), collection(vec![good(), good()]), 422,
         "/rejections/0/problems/0", "/properties/external_id: \"ok-1\" appears twice in the file (first in feature 0)"),
        ("layer=reports", Some(siegen), collection(vec![json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [7.0, 51.5]},
            "properties": {"procedure": "maengelmelder", "category": "litter", "description": "x"}})]), 422,
         "/rejections/0/problems/0/message", "outside"),
        ("layer=reports", Some(siegen), collection(vec![json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [8.02, 50.88]},
            "properties": {"procedure": "gibt-es-nicht", "category": "litter", "description": "x"}})]), 422,
         "/rejections/0/problems/0", "/properties/procedure: unknown procedure \"gibt-es-nicht\" of organisation \"stadt-siegen\""),
        ("layer=reports", Some(siegen), collection(vec![
            json!({"type": "Feature", "id": "d-1", "geometry": {"type": "Point", "coordinates": [8.022248, 50.882087]},
                   "properties": {"procedure": "maengelmelder", "category": "litter", "description": "x"}}),
            json!({"type": "Feature", "id": "d-1", "geometry": {"type": "Point", "coordinates": [8.022248, 50.882087]},
                   "properties": {"procedure": "maengelmelder", "category": "litter", "description": "y"}})]), 422,
         "/rejections/0/problems/0", "/id: \"d-1\" appears twice in the file (first in feature 0)"),
        ("layer=reports", Some(admin), collection(vec![json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [8.02, 50.88]},
            "properties": {"procedure": "maengelmelder", "category": "litter", "description": "x"}})]), 422,
         "/rejections/0/problems/0/message", "procedure \"maengelmelder\" exists in"),
        ("layer=reports", Some(siegen), collection(vec![json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [8.02, 50.88]},
            "properties": {"procedure": "", "category": "litter", "description": "x"}})]), 422,
         "/rejections/0/problems/0", "/properties/procedure: must not be empty"),
    ];
    for (query, token, body, status, pointer, expected) in cases {
        let (got, answer) = post(&setup, query, token, &[], body);
        assert_eq!(got, status, "{query}: {answer}");
        let found = match answer.pointer(pointer) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Object(problem)) => format!(
                "{}: {}",
                problem["pointer"].as_str().unwrap_or(""),
                problem["message"].as_str().unwrap_or("")
            ),
            other => panic!("{query}: nothing at {pointer} in {answer} ({other:?})"),
        };
        assert!(
            found.contains(expected),
            "{query}: {found:?} lacks {expected:?}\n{answer}"
        );
        if status == 422 {
            assert_eq!(answer["committed"], false, "{answer}");
            assert!(
                answer["rejections"][0]["line"].as_u64().is_some(),
                "{answer}"
            );
        }
    }

    // All or nothing: two good features and one bad one write nothing.
    let body = collection(vec![
        procedure(
            "ok-2",
            "Zweiter Weg",
            utm_square(431_500.0, 5_635_800.0, 300.0),
        ),
        procedure(
            "ok-3",
            "Dritter Weg",
            utm_square(432_000.0, 5_635_800.0, 300.0),
        ),
        feature(json!({"start": "gestern"}), square),
    ]);
    // Where the third feature starts in the pretty-printed file (its
    // elements are indented by four spaces).
    let third = String::from_utf8_lossy(&body)
        .lines()
        .enumerate()
        .filter(|(_, l)| *l == "    {")
        .nth(2)
        .map(|(i, _)| i + 1)
        .unwrap();
    let (status, answer) = post(&setup, utm, Some(siegen), &[], body);
    assert_eq!(status, 422, "{answer}");
    assert_eq!(
        answer["detail"],
        "1 of 3 features rejected; nothing was written"
    );
    assert_eq!(answer["inserted"], 0, "nothing was inserted: {answer}");
    assert_eq!(answer["rejections"][0]["index"], 2);
    assert_eq!(answer["rejections"][0]["line"], third, "{answer}");
    assert_eq!(answer["rejections"][0]["column"], 5, "{answer}");
    assert_eq!(
        answer["rejections"][0]["problems"][0],
        json!({"pointer": "/properties/start", "message": "expected a date as YYYY-MM-DD, not \"gestern\""})
    );
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(
        titles_in_siegen(&setup.server),
        before,
        "nothing was written"
    );
}
