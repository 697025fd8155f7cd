//! An organisation's settings through the real binary, on the embedded
//! store and on PostGIS: its token (or an admin's) names the portals that
//! may frame its procedures' maps, the embeds' CSP follows, and every bad
//! request is refused with its status and message and changes nothing.

#![allow(clippy::unwrap_used, reason = "test fixtures: a panic fails the test")]

mod common;

use std::time::{Duration, Instant};

use common::Server;
use partimap_store::{DatabaseUrl, testing::scratch_postgres};
use serde_json::{Value, json};

/// PATCH /api/v1/organisations/{key}: status and JSON answer.
fn patch(
    server: &Server,
    key: &str,
    token: Option<&str>,
    content_type: &str,
    body: &str,
) -> (u16, Value) {
    let mut request = reqwest::blocking::Client::new()
        .patch(server.url(&format!("/api/v1/organisations/{key}")))
        .header("content-type", content_type)
        .body(body.to_owned());
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().unwrap();
    let status = response.status().as_u16();
    let text = response.text().unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}")),
    )
}

/// The CSP of the embed of the sample's Siegen defect reporter.
fn siegen_policy(server: &Server) -> String {
    let reporters: Value = server
        .get("/api/v1/procedures?kind=reporting&limit=10")
        .json()
        .unwrap();
    let id = reporters["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["title"] == "Mängelmelder Siegen")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    server.get(&format!("/embed/procedures/{id}")).headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned()
}

fn embed_origins_are_set_by_the_organisation(store_args: &[&str]) {
    let siegen = common::token(&["--organisation", "stadt-siegen"], store_args);
    let koeln = common::token(&["--organisation", "stadt-koeln"], store_args);
    let admin = common::token(&["--admin", "--label", "tests"], store_args);
    let server = Server::start_with(store_args);
    let before = siegen_policy(&server);
    assert_eq!(before, "frame-ancestors 'self' https://beteiligung.nrw.de");

    let json = "application/json";
    let body = json!({"embed_origins": ["https://www.siegen.de", "https://beteiligung.nrw.de"]})
        .to_string();
    for (token, key, content_type, body, status, detail) in [
        (
            None,
            "stadt-siegen",
            json,
            body.as_str(),
            401,
            "a bearer token is required (Authorization: Bearer …; create one with `partimap token create`)",
        ),
        (
            Some("nonsense"),
            "stadt-siegen",
            json,
            body.as_str(),
            401,
            "the bearer token is not known",
        ),
        (
            Some(koeln.as_str()),
            "stadt-siegen",
            json,
            body.as_str(),
            403,
            "this token speaks for another organisation; only a token of \"stadt-siegen\" or an admin token may change its settings",
        ),
        (
            Some(siegen.as_str()),
            "stadt-atlantis",
            json,
            body.as_str(),
            404,
            "there is no organisation \"stadt-atlantis\"",
        ),
        (
            Some(siegen.as_str()),
            "stadt-siegen",
            "text/plain",
            body.as_str(),
            415,
            "the body must be JSON (Content-Type: application/json)",
        ),
        (
            Some(siegen.as_str()),
            "stadt-siegen",
            json,
            "{\"embed_origins\": [",
            400,
            "",
        ),
        (
            Some(siegen.as_str()),
            "stadt-siegen",
            json,
            "{}",
            422,
            "/embed_origins: is required",
        ),
        (
            Some(siegen.as_str()),
            "stadt-siegen",
            json,
            "{\"embed_origins\": \"https://www.siegen.de\"}",
            422,
            "/embed_origins: must be an array of origins, not a string",
        ),
        (
            Some(siegen.as_str()),
            "stadt-siegen",
            json,
            "{\"embed_origins\": [\"https://www.siegen.de/karte\", 7, \"https://ok.example\"], \"name\": \"x\"}",
            422,
            "/embed_origins/1: must be a string, not a number; /name: unknown member; expected embed_origins; /embed_origins/0: \"https://www.siegen.de/karte\" is no origin: expected https://host or https://host:port, lowercase, without a path",
        ),
    ] {
        let (got, answer) = patch(&server, key, token, content_type, body);
        assert_eq!(got, status, "{key} {body}: {answer}");
        if !detail.is_empty() {
            assert_eq!(answer["detail"], detail, "{key} {body}: {answer}");
        } else {
            assert!(
                answer["detail"].as_str().unwrap().contains("line 1"),
                "{answer}"
            );
        }
    }
    let many: Vec<String> = (0..21).map(|i| format!("https://p{i}.example")).collect();
    let (got, answer) = patch(
        &server,
        "stadt-siegen",
        Some(&siegen),
        json,
        &json!({"embed_origins": many}).to_string(),
    );
    assert_eq!(got, 422, "{answer}");
    assert_eq!(
        answer["problems"][0]["pointer"], "/embed_origins",
        "{answer}"
    );
    assert_eq!(
        answer["problems"][0]["message"], "at most 20 origins, not 21",
        "{answer}"
    );
    // Nothing of the refused requests was written.
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(siegen_policy(&server), before);

    // The city's own token sets its portals; the embeds follow.
    let (got, answer) = patch(&server, "stadt-siegen", Some(&siegen), json, &body);
    assert_eq!(got, 200, "{answer}");
    assert_eq!(answer["key"], "stadt-siegen");
    assert_eq!(answer["name"], "Stadt Siegen");
    assert_eq!(
        answer["embed_origins"],
        json!(["https://www.siegen.de", "https://beteiligung.nrw.de"])
    );
    let wanted = "frame-ancestors 'self' https://www.siegen.de https://beteiligung.nrw.de";
    let start = Instant::now();
    while siegen_policy(&server) != wanted {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the embed's CSP: {}",
            siegen_policy(&server)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // An admin may empty it (by id): then only partimap itself frames it.
    let id = answer["id"].as_i64().unwrap();
    let (got, answer) = patch(
        &server,
        &id.to_string(),
        Some(&admin),
        json,
        "{\"embed_origins\": []}",
    );
    assert_eq!(got, 200, "{answer}");
    assert_eq!(answer["embed_origins"], json!([]));
    let start = Instant::now();
    while siegen_policy(&server) != "frame-ancestors 'self'" {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the embed's CSP: {}",
            siegen_policy(&server)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // What is stored survives a restart.
    let (exit, log) = server.terminate();
    assert!(exit.success(), "{log}");
    assert!(log.contains("embed origins changed"), "{log}");
    let server = Server::start_with(store_args);
    assert_eq!(siegen_policy(&server), "frame-ancestors 'self'");
}

#[test]
fn embed_origins_are_set_by_the_organisation_on_the_embedded_store() {
    let dir = tempfile::tempdir().unwrap();
    embed_origins_are_set_by_the_organisation(&["--data-dir", dir.path().to_str().unwrap()]);
}

#[test]
fn embed_origins_are_set_by_the_organisation_on_postgis() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let Some(DatabaseUrl::Postgres(url)) =
        runtime.block_on(scratch_postgres("organisation_settings"))
    else {
        return;
    };
    embed_origins_are_set_by_the_organisation(&["--database-url", &url]);
}
