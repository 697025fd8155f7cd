//! The participation API through the real binary: citizens report defects,
//! moderators decide, the map follows — on the embedded store and on
//! PostGIS; the reporter's contact never leaves through a public output;
//! and every kind of bad input with its status and message.

#![allow(clippy::unwrap_used, reason = "test fixtures: a panic fails the test")]

mod common;

use std::time::{Duration, Instant};

use common::{Server, decoded_tile, tile_of};
use partimap_store::{DatabaseUrl, testing::scratch_postgres};
use serde_json::{Value, json};

/// A server with its store, a token of Stadt Siegen, one of Köln, an admin
/// token, and the ids of the procedures the setup imported.
struct Setup {
    server: Server,
    siegen: String,
    koeln: String,
    admin: String,
    /// Post-moderated defect reporter (reports public at once).
    post: i64,
    /// Pre-moderated defect reporter (reports hidden until published).
    pre: i64,
    closed: i64,
    dialog: i64,
    /// Post-moderated, publishing locations on a 100 m grid.
    grid: i64,
    store_args: Vec<String>,
    _dir: Option<tempfile::TempDir>,
}

/// The area of the test's procedures in Siegen (west, south, east, north).
const AREA: [f64; 4] = [7.99, 50.84, 8.01, 50.85];
/// A place inside it.
const INSIDE: [f64; 2] = [8.0, 50.845];

fn square() -> Value {
    let [w, s, e, n] = AREA;
    json!({"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]})
}

fn procedure(external_id: &str, kind: &str, extra: Value) -> Value {
    let mut f = json!({"type": "Feature", "geometry": square(), "properties": {
        "external_id": external_id,
        "title": format!("Test {external_id}"),
        "kind": kind,
        "start": "2026-01-01",
        "end": "2030-12-31",
        "url": "https://beteiligung.nrw.de/portal/stadt-siegen/beteiligung/themen/9"
    }});
    for (k, v) in extra.as_object().unwrap() {
        f["properties"][k] = v.clone();
    }
    f
}

fn categories() -> Value {
    json!([{"code": "road_damage", "label": "Straßenschäden"}, {"code": "litter", "label": "Müll"}])
}

fn setup(store_args: Vec<String>, extra_args: &[&str], dir: Option<tempfile::TempDir>) -> Setup {
    let mut args: Vec<&str> = store_args.iter().map(String::as_str).collect();
    let siegen = common::token(&["--organisation", "stadt-siegen"], &args);
    let koeln = common::token(&["--organisation", "stadt-koeln"], &args);
    let admin = common::token(&["--admin", "--label", "tests"], &args);
    args.extend_from_slice(extra_args);
    let server = Server::start_with(&args);
    let body = json!({"type": "FeatureCollection", "features": [
        procedure("melder-post", "reporting", json!({"categories": categories(), "moderation": "post"})),
        procedure("melder-pre", "reporting", json!({"categories": categories()})),
        procedure("melder-closed", "reporting", json!({"categories": categories(), "start": "2025-01-01", "end": "2025-12-31"})),
        procedure("dialog", "dialog", json!({})),
        procedure("melder-grid", "reporting", json!({"categories": categories(), "moderation": "post", "location_precision_m": 100})),
    ]});
    let (status, answer, _) = send(
        &server,
        "POST",
        "/api/v1/imports?layer=procedures",
        Some(&siegen),
        Some("application/geo+json"),
        body.to_string().into_bytes(),
    );
    assert_eq!(status, 200, "{answer}");
    let ids = eventually("the imported procedures in the API", || {
        let list: Value = serde_json::from_str(
            &server
                .get(
                    "/api/v1/procedures?bbox=7.99,50.84,8.01,50.85&limit=100&status=running,closed",
                )
                .text()
                .unwrap(),
        )
        .unwrap();
        let id = |title: &str| {
            list["items"]
                .as_array()?
                .iter()
                .find(|p| p["title"] == title)?["id"]
                .as_i64()
        };
        Some((
            id("Test melder-post")?,
            id("Test melder-pre")?,
            id("Test melder-closed")?,
            id("Test dialog")?,
            id("Test melder-grid")?,
        ))
    });
    let (post, pre, closed, dialog, grid) = ids;
    Setup {
        server,
        siegen,
        koeln,
        admin,
        post,
        pre,
        closed,
        dialog,
        grid,
        store_args,
        _dir: dir,
    }
}

fn embedded(extra_args: &[&str]) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let args = vec![
        "--data-dir".to_owned(),
        dir.path().to_str().unwrap().to_owned(),
    ];
    setup(args, extra_args, Some(dir))
}

fn postgis(test: &str) -> Option<Setup> {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let DatabaseUrl::Postgres(url) = runtime.block_on(scratch_postgres(test))? else {
        unreachable!()
    };
    Some(setup(vec!["--database-url".to_owned(), url], &[], None))
}

/// Sends a request; status, JSON answer (Null for an empty body) and headers.
fn send(
    server: &Server,
    method: &str,
    path: &str,
    token: Option<&str>,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> (u16, Value, reqwest::header::HeaderMap) {
    let client = reqwest::blocking::Client::new();
    let mut request = client
        .request(method.parse().unwrap(), server.url(path))
        .body(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    let response = request.send().unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().unwrap();
    let value = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"))
    };
    (status, value, headers)
}

fn report(setup: &Setup, procedure: i64, body: &Value) -> (u16, Value, reqwest::header::HeaderMap) {
    send(
        &setup.server,
        "POST",
        &format!("/api/v1/procedures/{procedure}/reports"),
        None,
        Some("application/json"),
        body.to_string().into_bytes(),
    )
}

fn decide(setup: &Setup, report: i64, token: Option<&str>, body: &Value) -> (u16, Value) {
    let (status, answer, _) = send(
        &setup.server,
        "PATCH",
        &format!("/api/v1/reports/{report}"),
        token,
        Some("application/json"),
        body.to_string().into_bytes(),
    );
    (status, answer)
}

fn citizen(lon: f64, lat: f64, category: &str, description: &str) -> Value {
    json!({
        "location": {"type": "Point", "coordinates": [lon, lat]},
        "category": category,
        "description": description,
    })
}

/// Waits until `check` gives a value (the change feed applies commits
/// within a second).
fn eventually<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let started = Instant::now();
    loop {
        if let Some(v) = check() {
            return v;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{what}: not after 10 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The ids of the reports in the zoom-16 tile of `lon`/`lat`, decoded by
/// MapLibre's decoder.
fn reports_in_tile(server: &Server, lon: f64, lat: f64) -> Vec<i64> {
    let dir = tempfile::tempdir().unwrap();
    let (x, y) = tile_of(lon, lat, 16);
    let (_, tile) = decoded_tile(server, dir.path(), 16, x, y);
    tile["layers"]["reports"]["features"]
        .as_array()
        .map(|fs| fs.iter().filter_map(|f| f["id"].as_i64()).collect())
        .unwrap_or_default()
}

fn id_of(answer: &Value) -> i64 {
    answer["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("no id: {answer}"))
}

const MARKER: &str = "marker-7f3a9c@example.org";

fn citizens_report_and_moderators_decide(setup: &Setup) {
    let server = &setup.server;
    let [lon, lat] = INSIDE;

    // Pre-moderation: taken (201, after commit), hidden until published.
    let mut body = citizen(
        lon,
        lat,
        "road_damage",
        "Tiefes Schlagloch vor Hausnummer 12",
    );
    body["contact_email"] = json!(MARKER);
    let (status, answer, headers) = report(setup, setup.pre, &body);
    assert_eq!(status, 201, "{answer}");
    let hidden = id_of(&answer);
    assert_eq!(answer["properties"]["status"], "submitted");
    assert_eq!(answer["properties"]["procedure_id"], setup.pre);
    assert_eq!(headers["location"], format!("/api/v1/reports/{hidden}"));
    assert!(
        answer["properties"].get("contact_email").is_none(),
        "{answer}"
    );
    let (status, answer, _) = send(
        server,
        "GET",
        &format!("/api/v1/reports/{hidden}"),
        None,
        None,
        vec![],
    );
    assert_eq!(
        (status, answer["detail"].as_str()),
        (404, Some(&*format!("no public report {hidden}")))
    );

    // Post-moderation: public at once, on the map within a second.
    let (status, answer, _) = report(
        setup,
        setup.post,
        &citizen(lon + 0.002, lat, "litter", "Wilder Müll am Parkplatz"),
    );
    assert_eq!(status, 201, "{answer}");
    let public = id_of(&answer);
    assert_eq!(answer["properties"]["status"], "published");
    eventually("the post-moderated report on the map", || {
        reports_in_tile(server, lon + 0.002, lat)
            .contains(&public)
            .then_some(())
    });
    assert!(
        !reports_in_tile(server, lon, lat).contains(&hidden),
        "a submitted report is not on the map"
    );

    // A moderator publishes the hidden one: it reaches the map.
    let (status, answer) = decide(
        setup,
        hidden,
        Some(&setup.siegen),
        &json!({"status": "published"}),
    );
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["properties"]["status"], "published");
    assert_eq!(
        answer["properties"]["contact_email"], MARKER,
        "moderators see the contact"
    );
    let history = answer["properties"]["history"].as_array().unwrap();
    assert_eq!(history.len(), 2, "{answer}");
    assert_eq!(
        (history[0]["from"].clone(), history[0]["to"].clone()),
        (Value::Null, json!("submitted"))
    );
    assert_eq!(
        (history[1]["from"].clone(), history[1]["to"].clone()),
        (json!("submitted"), json!("published"))
    );
    assert!(history[1]["token_id"].as_i64().is_some());
    let started = Instant::now();
    eventually("the published report on the map", || {
        reports_in_tile(server, lon, lat)
            .contains(&hidden)
            .then_some(())
    });
    eprintln!(
        "published report on the map {:?} after the answer",
        started.elapsed()
    );
    let (status, answer, _) = send(
        server,
        "GET",
        &format!("/api/v1/reports/{hidden}"),
        None,
        None,
        vec![],
    );
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        answer["properties"]["description"],
        "Tiefes Schlagloch vor Hausnummer 12"
    );

    // A likely duplicate: same category, 10 m away, still open.
    let (status, answer, _) = report(
        setup,
        setup.pre,
        &citizen(lon + 0.0001, lat + 0.00003, "road_damage", "Schlagloch"),
    );
    assert_eq!(status, 409, "{answer}");
    assert_eq!(answer["duplicate"]["id"], hidden);
    assert!(
        answer["detail"].as_str().unwrap().starts_with(&format!(
            "report {hidden} of the same category, 8 m away, is still open: it is likely the same place"
        )),
        "{answer}"
    );
    // Another category there, or insisting, is taken.
    let (status, answer, _) = report(
        setup,
        setup.pre,
        &citizen(lon + 0.0001, lat + 0.00003, "litter", "Müll"),
    );
    assert_eq!(status, 201, "{answer}");
    let mut insisting = citizen(
        lon + 0.0001,
        lat + 0.00003,
        "road_damage",
        "Ein zweites Loch",
    );
    insisting["insist"] = json!(true);
    let (status, answer, _) = report(setup, setup.pre, &insisting);
    assert_eq!(status, 201, "{answer}");
    let second = id_of(&answer);

    // Moderation rules.
    let foreign = format!(
        "report {second} belongs to procedure {} of another organisation",
        setup.pre
    );
    let cases: Vec<(Option<&str>, Value, u16, &str, &str)> = vec![
        (
            None,
            json!({"status": "published"}),
            401,
            "/detail",
            "a bearer token is required",
        ),
        (
            Some("pmt_nonsense"),
            json!({"status": "published"}),
            401,
            "/detail",
            "the bearer token is not known",
        ),
        (
            Some(&setup.koeln),
            json!({"status": "published"}),
            403,
            "/detail",
            &foreign,
        ),
        (
            Some(&setup.siegen),
            json!({"status": "rejected"}),
            422,
            "/problems/0/message",
            "a rejection needs a reason: the note is shown with the report's status",
        ),
        (
            Some(&setup.siegen),
            json!({"status": "resolved"}),
            422,
            "/problems/0/message",
            "a report cannot go from submitted to resolved; from submitted it can go to published, rejected",
        ),
        (
            Some(&setup.siegen),
            json!({"status": 3}),
            422,
            "/problems/0/message",
            "must be a string, not a number",
        ),
        (
            Some(&setup.siegen),
            json!({"colour": "red"}),
            422,
            "/problems/0/pointer",
            "/colour",
        ),
        (
            Some(&setup.siegen),
            json!({}),
            422,
            "/problems/0/message",
            "nothing to decide: give a status, a note or a description",
        ),
    ];
    for (token, body, want_status, pointer, want) in cases {
        let (status, answer) = decide(setup, second, token, &body);
        let got = answer
            .pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or("");
        assert!(
            status == want_status && got.starts_with(want),
            "{body} with {token:?}: {status} {answer}"
        );
    }
    let (status, answer) = decide(
        setup,
        999_999,
        Some(&setup.siegen),
        &json!({"status": "published"}),
    );
    assert_eq!(
        (status, answer["detail"].as_str()),
        (404, Some("no report 999999"))
    );
    // An admin may decide for every organisation; a rejection with its reason.
    let (status, answer) = decide(
        setup,
        second,
        Some(&setup.admin),
        &json!({"status": "rejected", "note": "Doppelt gemeldet"}),
    );
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["properties"]["status_note"], "Doppelt gemeldet");
    // Rejected is final.
    let (status, answer) = decide(
        setup,
        second,
        Some(&setup.siegen),
        &json!({"status": "published"}),
    );
    assert_eq!(status, 422, "{answer}");
    assert_eq!(
        answer["problems"][0]["message"],
        "a report cannot go from rejected to published: rejected is final"
    );

    // Along the way to resolved, with an edited text: the citizen's is kept.
    let (status, answer) = decide(
        setup,
        hidden,
        Some(&setup.siegen),
        &json!({
            "status": "in_progress", "note": "Auftrag an den Bauhof", "description": "Schlagloch vor Nr. 12"
        }),
    );
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["properties"]["description"], "Schlagloch vor Nr. 12");
    assert_eq!(
        answer["properties"]["original_description"],
        "Tiefes Schlagloch vor Hausnummer 12"
    );
    let (status, answer) = decide(
        setup,
        hidden,
        Some(&setup.siegen),
        &json!({"status": "resolved", "note": "Repariert"}),
    );
    assert_eq!(status, 200, "{answer}");
    let (status, history, _) = send(
        server,
        "GET",
        &format!("/api/v1/reports/{hidden}/history"),
        Some(&setup.siegen),
        None,
        vec![],
    );
    assert_eq!(status, 200, "{history}");
    let steps: Vec<_> = history["properties"]["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["to"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(steps, ["submitted", "published", "in_progress", "resolved"]);
    assert_eq!(
        history["properties"]["history"][2]["description_edited"],
        true
    );
    let (status, _, _) = send(
        server,
        "GET",
        &format!("/api/v1/reports/{hidden}/history"),
        Some(&setup.koeln),
        None,
        vec![],
    );
    assert_eq!(status, 403);
    // The public sees the moderator's text and note, not the original.
    let (_, public_view, _) = send(
        server,
        "GET",
        &format!("/api/v1/reports/{hidden}"),
        None,
        None,
        vec![],
    );
    assert_eq!(public_view["properties"]["status"], "resolved");
    assert_eq!(public_view["properties"]["status_note"], "Repariert");
    assert!(
        !public_view.to_string().contains("Tiefes Schlagloch"),
        "{public_view}"
    );

    // A reporter that publishes on a 100 m grid: the public place is
    // snapped, the exact one is for moderators.
    let (exact_lon, exact_lat) = (lon - 0.003_21, lat + 0.001_17);
    let (status, answer, _) = report(
        setup,
        setup.grid,
        &citizen(exact_lon, exact_lat, "litter", "Müll im Gebüsch"),
    );
    assert_eq!(status, 201, "{answer}");
    let snapped = id_of(&answer);
    let c = &answer["geometry"]["coordinates"];
    let (shown_lon, shown_lat) = (c[0].as_f64().unwrap(), c[1].as_f64().unwrap());
    let step = 100.0 / 111_320.0;
    assert!(
        ((shown_lat / step) - (shown_lat / step).round()).abs() < 1e-6,
        "latitude on the grid: {shown_lat}"
    );
    let (dx, dy) = (
        (shown_lon - exact_lon) * 111_320.0 * shown_lat.to_radians().cos(),
        (shown_lat - exact_lat) * 111_320.0,
    );
    assert!(
        (dx != 0.0 || dy != 0.0) && dx.abs() <= 50.1 && dy.abs() <= 50.1,
        "{dx} {dy}"
    );
    let (_, moderated, _) = send(
        server,
        "GET",
        &format!("/api/v1/reports/{snapped}/history"),
        Some(&setup.siegen),
        None,
        vec![],
    );
    assert_eq!(
        moderated["properties"]["exact_location"]["coordinates"],
        json!([exact_lon, exact_lat])
    );
    assert_eq!(moderated["geometry"], answer["geometry"]);
    let (_, public_view, _) = send(
        server,
        "GET",
        &format!("/api/v1/reports/{snapped}"),
        None,
        None,
        vec![],
    );
    assert!(public_view["properties"].get("exact_location").is_none());
    assert!(
        !public_view.to_string().contains(&exact_lon.to_string()),
        "{public_view}"
    );

    // Privacy: the marker address is in the store (moderators read it),
    // and in no public output: tiles of every zoom, the public report, the
    // procedure API, the log.
    assert_eq!(history["properties"]["contact_email"], MARKER);
    let mut public_bytes = Vec::new();
    for z in [6, 10, 13, 14, 16] {
        let (x, y) = tile_of(lon, lat, z);
        for path in [
            format!("/tiles/{z}/{x}/{y}.mvt"),
            format!("/tiles/{z}/{x}/{y}.mvt?status=running,closed,upcoming"),
        ] {
            let r = reqwest::blocking::Client::new()
                .get(server.url(&path))
                .header("accept-encoding", "identity")
                .send()
                .unwrap();
            public_bytes.extend(r.bytes().unwrap());
        }
    }
    let pre = setup.pre;
    for path in [
        format!("/api/v1/reports/{hidden}"),
        format!("/api/v1/procedures/{pre}"),
        format!("/ogc/collections/reports/items?procedure={pre}&limit=1000"),
        format!("/ogc/collections/reports/items/{hidden}"),
        format!("/ogc/collections/reports/items/{hidden}?crs=EPSG:25832"),
        format!("/open311/v2/requests.json?jurisdiction_id={pre}&start_date=2020-01-01T00:00:00Z"),
        format!("/open311/v2/requests.xml?jurisdiction_id={pre}&start_date=2020-01-01T00:00:00Z"),
        format!("/open311/v2/requests/{hidden}.json?jurisdiction_id={pre}"),
        "/api/v1/procedures?bbox=7.9,50.8,8.1,50.9&limit=500".to_owned(),
        "/tiles.json".to_owned(),
    ] {
        public_bytes.extend(server.get(&path).bytes().unwrap());
    }
    let public_text = String::from_utf8_lossy(&public_bytes);
    assert!(
        public_text.contains("Schlagloch vor Nr. 12"),
        "the scan reads the report's outputs"
    );
    assert!(
        !public_text.contains(MARKER),
        "the contact leaked into a public output"
    );
    assert!(
        !server.log().contains(MARKER),
        "the contact leaked into the log"
    );
}

#[test]
fn citizens_report_and_moderators_decide_on_the_embedded_store() {
    citizens_report_and_moderators_decide(&embedded(&[]));
}

#[test]
fn citizens_report_and_moderators_decide_on_postgis() {
    let Some(setup) = postgis("citizens_report_and_moderators_decide") else {
        return;
    };
    citizens_report_and_moderators_decide(&setup);
}

/// (procedure, content type, body, status, JSON pointer, start of the text there)
type Case = (i64, &'static str, Vec<u8>, u16, &'static str, String);

#[test]
fn bad_reports_are_refused_with_what_and_where_and_write_nothing() {
    // Without the rate limit: every request counts against it.
    let setup = embedded(&["--reports-per-hour", "0"]);
    let [lon, lat] = INSIDE;
    let good = || citizen(lon, lat, "road_damage", "Schlagloch");
    let with = |k: &str, v: Value| {
        let mut b = good();
        b[k] = v;
        b.to_string().into_bytes()
    };
    let without = |k: &str| {
        let mut b = good();
        b.as_object_mut().unwrap().remove(k);
        b.to_string().into_bytes()
    };
    let json_type = "application/json";
    let (post, closed, dialog) = (setup.post, setup.closed, setup.dialog);
    let cases: Vec<Case> = vec![
        (
            post,
            json_type,
            b"{\"category\": \"litter\",\n \"description\": }".to_vec(),
            400,
            "/detail",
            "the body is not JSON: expected value at line 2, column 17".into(),
        ),
        (
            post,
            json_type,
            b"[1, 2]".to_vec(),
            422,
            "/problems/0/message",
            "must be a JSON object, not an array".into(),
        ),
        (
            post,
            "text/plain",
            good().to_string().into_bytes(),
            415,
            "/detail",
            "the body must be JSON (Content-Type: application/json)".into(),
        ),
        (
            post,
            json_type,
            with("category", json!(7)),
            422,
            "/problems/0/message",
            "must be a string, not a number".into(),
        ),
        (
            post,
            json_type,
            without("description"),
            422,
            "/problems/0/pointer",
            "/description".into(),
        ),
        (
            post,
            json_type,
            without("description"),
            422,
            "/problems/0/message",
            "is required".into(),
        ),
        (
            post,
            json_type,
            without("location"),
            422,
            "/problems/0/message",
            "is required".into(),
        ),
        (
            post,
            json_type,
            with("location", json!([8.0, 50.8])),
            422,
            "/problems/0/message",
            "must be a GeoJSON Point".into(),
        ),
        (
            post,
            json_type,
            with("location", json!({"type": "Point", "coordinates": [8.0]})),
            422,
            "/problems/0/pointer",
            "/location/coordinates".into(),
        ),
        (
            post,
            json_type,
            with(
                "location",
                json!({"type": "Point", "coordinates": [8.1, 50.9]}),
            ),
            422,
            "/problems/0/message",
            "the point (8.1, 50.9) lies outside the area of procedure \"melder-post\"".into(),
        ),
        (
            post,
            json_type,
            with(
                "location",
                json!({"type": "Point", "coordinates": [8.0, 95.0]}),
            ),
            422,
            "/problems/0/pointer",
            "/location".into(),
        ),
        (
            post,
            json_type,
            with("category", json!("potholes")),
            422,
            "/problems/0/message",
            "unknown category \"potholes\"; procedure \"melder-post\" has: road_damage, litter"
                .into(),
        ),
        (
            post,
            json_type,
            with("description", json!("x".repeat(4001))),
            422,
            "/problems/0/message",
            "is 4001 characters long; at most 4000 are allowed".into(),
        ),
        (
            post,
            json_type,
            with("description", json!(" ")),
            422,
            "/problems/0/message",
            "must not be empty".into(),
        ),
        (
            post,
            json_type,
            with("contact_email", json!("nobody")),
            422,
            "/problems/0/message",
            "is not a plausible e-mail address".into(),
        ),
        (
            post,
            json_type,
            with("status", json!("published")),
            422,
            "/problems/0/message",
            "unknown member; expected location, category, description, contact_email, insist"
                .into(),
        ),
        (
            post,
            json_type,
            with("insist", json!("yes")),
            422,
            "/problems/0/message",
            "must be true or false, not a string".into(),
        ),
        (
            post,
            json_type,
            with("description", json!("x".repeat(30_000))),
            413,
            "/detail",
            "the body is larger than 20480 bytes".into(),
        ),
        (
            closed,
            json_type,
            good().to_string().into_bytes(),
            409,
            "/detail",
            format!(
                "procedure {closed} (\"Test melder-closed\") is closed: it took reports until 2025-12-31"
            ),
        ),
        (
            dialog,
            json_type,
            good().to_string().into_bytes(),
            409,
            "/detail",
            format!(
                "procedure {dialog} (\"Test dialog\") is a dialog, not a defect reporter: it takes no reports"
            ),
        ),
        (
            999_999,
            json_type,
            good().to_string().into_bytes(),
            404,
            "/detail",
            "no procedure 999999".into(),
        ),
    ];
    for (procedure, content_type, body, want_status, pointer, want) in cases {
        let (status, answer, headers) = send(
            &setup.server,
            "POST",
            &format!("/api/v1/procedures/{procedure}/reports"),
            None,
            Some(content_type),
            body,
        );
        let got = answer
            .pointer(pointer)
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
            .unwrap_or_default();
        assert!(
            status == want_status && got.starts_with(&want),
            "expected {want_status} with {pointer} = {want:?}, got {status} {answer}"
        );
        assert_eq!(headers["content-type"], "application/problem+json");
    }
    let (status, answer, _) = send(
        &setup.server,
        "POST",
        "/api/v1/procedures/abc/reports",
        None,
        Some(json_type),
        vec![],
    );
    assert_eq!(
        (status, answer["detail"].as_str()),
        (404, Some("no procedure \"abc\": ids are positive numbers"))
    );
    // Nothing of it was written: the procedure's first report gets through
    // without a duplicate hint, and nothing else is on the map there.
    let (status, answer, _) = report(&setup, setup.post, &good());
    assert_eq!(status, 201, "{answer}");
    let id = id_of(&answer);
    eventually("the report on the map", || {
        (reports_in_tile(&setup.server, lon, lat) == [id]).then_some(())
    });

    // Text is stored as given and comes back as text (JSON-escaped), never
    // as markup.
    let script = "<script>alert('x')</script> & \"Anführungszeichen\"";
    let (status, answer, headers) = report(
        &setup,
        setup.post,
        &citizen(lon - 0.005, lat, "litter", script),
    );
    assert_eq!(status, 201, "{answer}");
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(answer["properties"]["description"], script);
    let (_, stored, _) = send(
        &setup.server,
        "GET",
        &format!("/api/v1/reports/{}", id_of(&answer)),
        None,
        None,
        vec![],
    );
    assert_eq!(stored["properties"]["description"], script);
    let _ = setup.store_args;
}

#[test]
fn a_client_sending_too_many_reports_is_told_when_to_try_again() {
    let setup = embedded(&["--reports-per-hour", "2"]);
    let [lon, lat] = INSIDE;
    for i in 0..2 {
        let (status, answer, _) = report(
            &setup,
            setup.post,
            &citizen(lon - 0.001 * f64::from(i), lat, "litter", "Müll"),
        );
        assert_eq!(status, 201, "{answer}");
    }
    let (status, answer, headers) = report(
        &setup,
        setup.post,
        &citizen(lon - 0.004, lat, "litter", "Müll"),
    );
    assert_eq!(status, 429, "{answer}");
    assert!(
        answer["detail"]
            .as_str()
            .unwrap()
            .starts_with("too many reports from this address: at most 2 an hour; try again in "),
        "{answer}"
    );
    let wait: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=1801).contains(&wait), "{wait}");
}
