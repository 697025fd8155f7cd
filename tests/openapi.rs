//! `/openapi.json` describes what the binary serves: every documented
//! operation is routed (a request to it never meets the fallback), every
//! operation that takes input documents its client errors as problem+json
//! (Open311 its own list), and the routes a reader of the README looks for
//! are all in it.

#![allow(clippy::unwrap_used, reason = "test fixtures: a panic fails the test")]

mod common;

use common::Server;
use serde_json::Value;

/// A concrete path for a documented one.
fn concrete(method: &str, path: &str) -> String {
    let file = if method == "post" {
        "requests.json"
    } else {
        "services.json"
    };
    path.replace("{z}/{x}/{y}", "6/33/21")
        .replace("{collection}", "reports")
        .replace("{file}", file)
        .replace("{id}", "1")
}

#[test]
fn the_openapi_document_describes_every_route() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let doc: Value = serde_json::from_str(&server.get("/openapi.json").text().unwrap()).unwrap();
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    let paths = doc["paths"].as_object().unwrap();
    let client = reqwest::blocking::Client::new();
    let mut operations = 0;
    for (path, item) in paths {
        for (method, operation) in item.as_object().unwrap() {
            operations += 1;
            let url = server.url(&concrete(method, path));
            let response = client
                .request(method.to_uppercase().parse().unwrap(), &url)
                .send()
                .unwrap();
            let status = response.status().as_u16();
            let body = response.text().unwrap();
            assert!(
                status != 405 && !body.contains("nothing is served at"),
                "{method} {path} is documented but not routed: {status} {body}"
            );
            let takes_input =
                operation.get("parameters").is_some() || operation.get("requestBody").is_some();
            let responses = operation["responses"].as_object().unwrap();
            if takes_input {
                let client_error = responses.iter().find(|(code, _)| code.starts_with('4'));
                let (_, error) = client_error
                    .unwrap_or_else(|| panic!("{method} {path} documents no client error"));
                let types: Vec<_> = error["content"].as_object().unwrap().keys().collect();
                assert!(
                    types.iter().any(|t| *t == "application/problem+json")
                        || path.starts_with("/open311/"),
                    "{method} {path}: errors are problem+json, not {types:?}"
                );
            }
            assert!(
                operation["description"]
                    .as_str()
                    .or(operation["summary"].as_str())
                    .is_some_and(|d| !d.is_empty()),
                "{method} {path} has no description"
            );
        }
    }
    for route in [
        "/tiles/{z}/{x}/{y}.mvt",
        "/tiles.json",
        "/style.json",
        "/api/v1/procedures",
        "/api/v1/procedures/{id}",
        "/api/v1/imports",
        "/api/v1/procedures/{id}/reports",
        "/api/v1/reports/{id}",
        "/api/v1/reports/{id}/history",
        "/open311/v2/{file}",
        "/ogc",
        "/ogc/collections/{collection}/items",
        "/healthz",
        "/readyz",
        "/metrics",
    ] {
        assert!(paths.contains_key(route), "{route} is not documented");
    }
    assert!(operations >= 25, "{operations} operations");
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    // The feature API points clients to the document.
    let landing: Value = serde_json::from_str(&server.get("/ogc").text().unwrap()).unwrap();
    assert!(
        landing["links"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["rel"] == "service-desc"
                && l["href"].as_str().unwrap().ends_with("/openapi.json"))
    );
}
