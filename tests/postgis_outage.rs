//! PostGIS goes away under a running server, and comes back.
//!
//! The test runs a PostgreSQL cluster of its own (initdb in a temporary
//! directory, as the `postgres` user when run as root), so that stopping it
//! disturbs no other test. It needs what `scripts/test.sh` installs; without
//! `PARTIMAP_TEST_POSTGRES` it skips as the other PostGIS tests do (and fails
//! when `PARTIMAP_REQUIRE_POSTGRES` is set).

#![allow(clippy::unwrap_used, reason = "test fixtures: a panic fails the test")]

mod common;

use std::{
    path::PathBuf,
    process::Command,
    time::{Duration, Instant},
};

use common::Server;
use serde_json::Value;

const PG_BIN: &str = "/usr/lib/postgresql/15/bin";

fn root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

/// Runs a PostgreSQL program, as `postgres` when root (initdb refuses root).
fn pg(program: &str, args: &[&str]) -> std::process::Output {
    let path = format!("{PG_BIN}/{program}");
    let mut command = if root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--", &path]);
        c
    } else {
        Command::new(&path)
    };
    let output = command.args(args).output().unwrap();
    assert!(
        output.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

struct Cluster {
    dir: tempfile::TempDir,
    port: u16,
}

impl Cluster {
    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn start(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("server.log");
        pg(
            "pg_ctl",
            &[
                "-D",
                self.data().to_str().unwrap(),
                "-l",
                log.to_str().unwrap(),
                "-w",
                "-o",
                &options,
                "start",
            ],
        );
    }

    fn stop(&self) {
        pg(
            "pg_ctl",
            &[
                "-D",
                self.data().to_str().unwrap(),
                "-m",
                "fast",
                "-w",
                "stop",
            ],
        );
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(format!("{PG_BIN}/pg_ctl"))
            .args([
                "-D",
                self.data().to_str().unwrap_or(""),
                "-m",
                "immediate",
                "stop",
            ])
            .output();
        let _ = Command::new(format!("{PG_BIN}/pg_ctl"))
            .args([
                "-D",
                self.data().to_str().unwrap_or(""),
                "-m",
                "immediate",
                "stop",
            ])
            .output();
    }
}

fn cluster() -> Option<Cluster> {
    if std::env::var_os("PARTIMAP_TEST_POSTGRES").is_none() {
        assert!(
            std::env::var_os("PARTIMAP_REQUIRE_POSTGRES").is_none(),
            "PostGIS is required: run the tests with scripts/test.sh"
        );
        eprintln!("SKIPPED, no PostGIS (scripts/test.sh installs it)");
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    if root() {
        let status = Command::new("chown")
            .args(["postgres:", dir.path().to_str().unwrap()])
            .status()
            .unwrap();
        assert!(status.success());
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let cluster = Cluster { dir, port };
    pg(
        "initdb",
        &[
            "-D",
            cluster.data().to_str().unwrap(),
            "-U",
            "postgres",
            "--auth=trust",
            "--no-sync",
        ],
    );
    cluster.start();
    Some(cluster)
}

fn json(response: reqwest::blocking::Response) -> (u16, Option<String>, Value) {
    let status = response.status().as_u16();
    let retry = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    let text = response.text().unwrap();
    (
        status,
        retry,
        serde_json::from_str(&text).unwrap_or(Value::Null),
    )
}

fn import(server: &Server, token: &str, id: &str) -> reqwest::blocking::Response {
    let body = format!(
        r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","id":"{id}","geometry":{{"type":"Point","coordinates":[8.022248,50.882087]}},"properties":{{"procedure":"maengelmelder","category":"litter","description":"Müll","status":"published"}}}}]}}"#
    );
    reqwest::blocking::Client::new()
        .post(server.url("/api/v1/imports?layer=reports"))
        .bearer_auth(token)
        .body(body)
        .send()
        .unwrap()
}

fn wait_for(what: &str, limit: Duration, mut check: impl FnMut() -> bool) -> Duration {
    let started = Instant::now();
    while !check() {
        assert!(started.elapsed() < limit, "{what}: not after {limit:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
    started.elapsed()
}

fn report_count(server: &Server) -> u64 {
    let (_, _, ready) = json(server.get("/readyz"));
    ready["reports"].as_u64().unwrap_or(0)
}

#[test]
fn tiles_are_served_while_postgis_is_away_and_it_catches_up_when_back() {
    let Some(cluster) = cluster() else {
        return;
    };
    let url = cluster.url();
    // Also loads the sample into the new database.
    let token = common::token(
        &["--organisation", "stadt-siegen"],
        &["--database-url", &url],
    );
    let server = Server::start_with(&["--database-url", &url, "--tile-cache-mb", "0"]);
    let (status, _, ready) = json(server.get("/readyz"));
    assert_eq!((status, ready["database"].as_str()), (200, Some("up")));
    let before = report_count(&server);

    cluster.stop();
    // Tiles come from the index (the cache is off: drawn anew).
    let tile = server.get("/tiles/14/8557/5494.mvt");
    assert_eq!(tile.status(), 200, "a tile while the database is away");
    let (status, _, ready) = json(server.get("/readyz"));
    assert_eq!(status, 503, "{ready}");
    assert_eq!(ready["database"], "down");
    let (status, retry, problem) = json(import(&server, &token, "while-away"));
    assert_eq!(status, 503, "{problem}");
    assert_eq!(retry.as_deref(), Some("5"));
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("the database is unavailable; nothing was written"),
        "{problem}"
    );

    cluster.start();
    let back = wait_for(
        "readiness after the restart",
        Duration::from_secs(30),
        || server.get("/readyz").status() == 200,
    );
    eprintln!("ready again {back:?} after the database restarted");
    // A change made by another process while this one was away from the
    // database's notifications reaches it through the sequence.
    let other = Server::start_with(&["--database-url", &url, "--no-sample"]);
    let (status, _, answer) = json(import(&other, &token, "after-restart"));
    assert_eq!(status, 200, "{answer}");
    wait_for(
        "the report imported through the other process",
        Duration::from_secs(10),
        || report_count(&server) == before + 1,
    );
    assert!(server.log().contains("change feed"), "{}", server.log());
}
