//! Open311 GeoReport v2 through the real binary: every answer checked
//! against the field lists of the specification, in JSON and in XML (parsed
//! by an XML parser), against the sample data; a back office files a
//! request with its api_key; and the bad requests with their codes.

#![allow(clippy::unwrap_used, reason = "test fixtures: a panic fails the test")]

mod common;

use std::collections::BTreeSet;

use common::{Server, sample};
use serde_json::Value;

/// GeoReport v2's fields of a service (GET services).
const SERVICE_FIELDS: [&str; 7] = [
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
];

/// GeoReport v2's fields of a service request (GET requests), and our one
/// extension.
const REQUEST_FIELDS: [&str; 17] = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
];
const EXTENSION: &str = "detailed_status";

fn get(server: &Server, path: &str) -> (u16, String, String) {
    let r = server.get(path);
    let status = r.status().as_u16();
    let content_type = r.headers()["content-type"].to_str().unwrap().to_owned();
    (status, content_type, r.text().unwrap())
}

fn json(server: &Server, path: &str) -> Value {
    let (status, content_type, text) = get(server, path);
    assert_eq!(status, 200, "{path}: {text}");
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    serde_json::from_str(&text).unwrap()
}

/// An element's children: their names and texts.
type Fields = Vec<(String, String)>;

/// The elements of an XML answer: the root's name, and per child its name
/// and its children's names with their texts.
fn xml(server: &Server, path: &str) -> (String, Vec<(String, Fields)>) {
    let (status, content_type, text) = get(server, path);
    assert_eq!(status, 200, "{path}: {text}");
    assert!(content_type.starts_with("text/xml"), "{content_type}");
    let doc = roxmltree::Document::parse(&text)
        .unwrap_or_else(|e| panic!("{path}: not XML ({e}): {text}"));
    let root = doc.root_element();
    let items = root
        .children()
        .filter(roxmltree::Node::is_element)
        .map(|item| {
            let fields = item
                .children()
                .filter(roxmltree::Node::is_element)
                .map(|f| {
                    (
                        f.tag_name().name().to_owned(),
                        f.text().unwrap_or("").to_owned(),
                    )
                })
                .collect();
            (item.tag_name().name().to_owned(), fields)
        })
        .collect();
    (root.tag_name().name().to_owned(), items)
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object().unwrap().keys().cloned().collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| (*s).to_owned()).collect()
}

/// Siegen's defect reporter in the sample data.
fn siegen_reporter(server: &Server) -> i64 {
    let list = json(
        server,
        "/api/v1/procedures?bbox=7.9,50.8,8.1,50.95&kind=reporting",
    );
    list["items"][0]["id"].as_i64().unwrap()
}

/// The sample's public reports of Siegen: (status, created).
fn siegen_sample() -> Vec<(String, String)> {
    sample("reports.geojson")["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| &f["properties"])
        .filter(|p| p["organisation"] == "stadt-siegen")
        .filter(|p| {
            ["published", "in_progress", "resolved"].contains(&p["status"].as_str().unwrap())
        })
        .map(|p| {
            (
                p["status"].as_str().unwrap().to_owned(),
                p["created"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn back_offices_read_and_file_requests_as_georeport_v2_says() {
    let dir = tempfile::tempdir().unwrap();
    let store = ["--data-dir", dir.path().to_str().unwrap()];
    let siegen_key = common::token(&["--organisation", "stadt-siegen"], &store);
    let koeln_key = common::token(&["--organisation", "stadt-koeln"], &store);
    let server = Server::start(dir.path());
    let id = siegen_reporter(&server);

    // Discovery.
    let discovery = json(&server, "/open311/v2/discovery.json");
    assert_eq!(
        discovery["endpoints"][0]["specification"],
        "http://wiki.open311.org/GeoReport_v2"
    );
    let (root, items) = xml(&server, "/open311/v2/discovery.xml");
    assert_eq!(root, "discovery");
    assert!(items.iter().any(|(name, _)| name == "endpoints"));

    // Services: the reporter's categories, by its id or its organisation.
    let services = json(
        &server,
        &format!("/open311/v2/services.json?jurisdiction_id={id}"),
    );
    let by_key = json(
        &server,
        "/open311/v2/services.json?jurisdiction_id=stadt-siegen",
    );
    assert_eq!(services, by_key);
    let codes: Vec<_> = services
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["service_code"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        codes,
        [
            "road_damage",
            "street_light",
            "litter",
            "playground",
            "winter_service"
        ]
    );
    for s in services.as_array().unwrap() {
        assert_eq!(keys(s), set(&SERVICE_FIELDS), "{s}");
        assert_eq!(s["metadata"], false);
        assert_eq!(s["type"], "realtime");
    }
    let (root, items) = xml(
        &server,
        &format!("/open311/v2/services.xml?jurisdiction_id={id}"),
    );
    assert_eq!(root, "services");
    assert_eq!(items.len(), 5);
    for (name, fields) in &items {
        assert_eq!(name, "service");
        assert_eq!(
            fields
                .iter()
                .map(|(f, _)| f.clone())
                .collect::<BTreeSet<_>>(),
            set(&SERVICE_FIELDS)
        );
    }

    // Requests: every public report of the sample, open or closed.
    let sample = siegen_sample();
    let all = json(
        &server,
        &format!("/open311/v2/requests.json?jurisdiction_id={id}&start_date=2020-01-01T00:00:00Z"),
    );
    let all = all.as_array().unwrap();
    assert_eq!(all.len(), sample.len());
    let mut fields = set(&REQUEST_FIELDS);
    fields.insert(EXTENSION.to_owned());
    for r in all {
        assert_eq!(keys(r), fields, "{r}");
        let detailed = r["detailed_status"].as_str().unwrap();
        let expected = if detailed == "resolved" {
            "closed"
        } else {
            "open"
        };
        assert_eq!(r["status"], expected, "{r}");
        assert!(r["lat"].as_f64().is_some() && r["long"].as_f64().is_some());
        assert_eq!(r["agency_responsible"], "Stadt Siegen", "{r}");
        assert!(
            !r.to_string().contains("example.org"),
            "a reporter's e-mail: {r}"
        );
    }
    let closed = json(
        &server,
        &format!(
            "/open311/v2/requests.json?jurisdiction_id={id}&start_date=2020-01-01T00:00:00Z&status=closed"
        ),
    );
    assert_eq!(
        closed.as_array().unwrap().len(),
        sample.iter().filter(|(s, _)| s == "resolved").count()
    );
    let march = json(
        &server,
        &format!(
            "/open311/v2/requests.json?jurisdiction_id={id}&start_date=2026-03-01T00:00:00Z&end_date=2026-03-31T23:59:59Z"
        ),
    );
    let in_march = sample
        .iter()
        .filter(|(_, c)| c.as_str() >= "2026-03-01" && c.as_str() < "2026-04-01")
        .count();
    assert_eq!(march.as_array().unwrap().len(), in_march);
    // Paging.
    let page2 = json(
        &server,
        &format!(
            "/open311/v2/requests.json?jurisdiction_id={id}&start_date=2020-01-01T00:00:00Z&page_size=10&page=2"
        ),
    );
    assert_eq!(page2.as_array().unwrap(), &all[10..20]);
    // By id, in XML.
    let first = all[0]["service_request_id"].as_str().unwrap();
    let (root, items) = xml(
        &server,
        &format!("/open311/v2/requests/{first}.xml?jurisdiction_id={id}"),
    );
    assert_eq!(root, "service_requests");
    assert_eq!(items.len(), 1);
    let (name, got) = &items[0];
    assert_eq!(name, "request");
    assert_eq!(
        got.iter().map(|(f, _)| f.clone()).collect::<BTreeSet<_>>(),
        fields
    );
    assert!(got.contains(&("service_request_id".to_owned(), first.to_owned())));

    // A back office files a request (form-encoded, with its api_key); the
    // Siegen reporter publishes at once.
    let client = reqwest::blocking::Client::new();
    let post = |form: &[(&str, &str)], fmt: &str| {
        let r = client
            .post(server.url(&format!("/open311/v2/requests.{fmt}")))
            .form(form)
            .send()
            .unwrap();
        (r.status().as_u16(), r.text().unwrap())
    };
    let id_text = id.to_string();
    let good = [
        ("api_key", siegen_key.as_str()),
        ("jurisdiction_id", id_text.as_str()),
        ("service_code", "street_light"),
        ("lat", "50.8745"),
        ("long", "8.0225"),
        ("description", "Laterne flackert"),
        ("email", "marker-311@example.net"),
    ];
    let (status, text) = post(&good, "json");
    assert_eq!(status, 201, "{text}");
    let answer: Value = serde_json::from_str(&text).unwrap();
    let new_id = answer[0]["service_request_id"].as_str().unwrap().to_owned();
    assert_eq!(
        keys(&answer[0]),
        set(&["service_request_id", "service_notice", "account_id"])
    );
    let filed = json(
        &server,
        &format!("/open311/v2/requests/{new_id}.json?jurisdiction_id={id}"),
    );
    assert_eq!(filed[0]["description"], "Laterne flackert");
    assert_eq!(filed[0]["status"], "open");
    assert!(
        !filed.to_string().contains("marker-311"),
        "the e-mail is private"
    );

    // Bad requests: Open311's error list, with the code as the status.
    type Form<'a> = Vec<(&'a str, &'a str)>;
    let cases: Vec<(Form, u16, &str)> = vec![
        (
            good.iter()
                .filter(|(k, _)| *k != "api_key")
                .copied()
                .collect(),
            403,
            "api_key is required to file a request",
        ),
        (
            good.iter()
                .map(|&(k, v)| {
                    if k == "api_key" {
                        (k, "pmt_nonsense")
                    } else {
                        (k, v)
                    }
                })
                .collect(),
            403,
            "api_key is not known",
        ),
        (
            good.iter()
                .map(|&(k, v)| {
                    if k == "api_key" {
                        (k, koeln_key.as_str())
                    } else {
                        (k, v)
                    }
                })
                .collect(),
            403,
            "this api_key files requests for its own organisation's defect reporters",
        ),
        (
            good.iter().filter(|(k, _)| *k != "lat").copied().collect(),
            400,
            "lat and long are required",
        ),
        (
            good.iter()
                .map(|&(k, v)| {
                    if k == "service_code" {
                        (k, "potholes")
                    } else {
                        (k, v)
                    }
                })
                .collect(),
            400,
            "service_code: unknown category \"potholes\"",
        ),
        (
            good.iter()
                .map(|&(k, v)| if k == "lat" { (k, "52.0") } else { (k, v) })
                .collect(),
            400,
            "lat/long: the point",
        ),
        (
            good.iter()
                .map(|&(k, v)| if k == "lat" { (k, "north") } else { (k, v) })
                .collect(),
            400,
            "lat: \"north\" is not a number",
        ),
        (
            good.iter().copied().chain([("colour", "red")]).collect(),
            400,
            "unknown parameter \"colour\"",
        ),
    ];
    for (form, want_status, want) in cases {
        for fmt in ["json", "xml"] {
            let (status, text) = post(&form, fmt);
            let description = if fmt == "json" {
                let v: Value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("{text}"));
                assert_eq!(v[0]["code"], want_status, "{text}");
                v[0]["description"].as_str().unwrap().to_owned()
            } else {
                let doc = roxmltree::Document::parse(&text).unwrap();
                assert_eq!(doc.root_element().tag_name().name(), "errors");
                let error = doc
                    .descendants()
                    .find(|n| n.has_tag_name("description"))
                    .unwrap();
                error.text().unwrap().to_owned()
            };
            assert!(
                status == want_status && description.starts_with(want),
                "{form:?}: {status} {text}"
            );
        }
    }
    let gets: [(String, u16, &str); 8] = [
        (
            format!("/open311/v2/requests.json?jurisdiction_id={id}&bbox=7.9,50.8,x,8.1,50.95"),
            400,
            "bbox: \"7.9,50.8,x,8.1,50.95\" is not four numbers west,south,east,north in WGS84",
        ),
        (
            "/open311/v2/services.json".into(),
            400,
            "jurisdiction_id is required",
        ),
        (
            "/open311/v2/services.json?jurisdiction_id=stadt-nirgendwo".into(),
            404,
            "jurisdiction_id \"stadt-nirgendwo\": no defect reporter",
        ),
        (
            "/open311/v2/services.json?jurisdiction_id=land-nrw".into(),
            404,
            "jurisdiction_id \"land-nrw\": the organisation runs no defect reporter",
        ),
        (
            format!("/open311/v2/requests.json?jurisdiction_id={id}&status=pending"),
            400,
            "status: \"pending\" is neither open nor closed",
        ),
        (
            format!("/open311/v2/requests.json?jurisdiction_id={id}&start_date=yesterday"),
            400,
            "start_date: \"yesterday\" is not a W3C date-time",
        ),
        (
            format!("/open311/v2/requests/999999.json?jurisdiction_id={id}"),
            404,
            "no public request \"999999\"",
        ),
        (
            "/open311/v2/services.csv?jurisdiction_id=stadt-siegen".into(),
            404,
            "format \"csv\" is not offered",
        ),
    ];
    for (path, want_status, want) in gets {
        let (status, _, text) = get(&server, &path);
        let v: Value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("{path}: {text}"));
        let description = v[0]["description"].as_str().unwrap_or("");
        assert!(
            status == want_status && description.starts_with(want),
            "{path}: {status} {text}"
        );
    }
}
