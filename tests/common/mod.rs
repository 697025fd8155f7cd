//! Running the real `partimap` binary, and the Node helpers of `tests/js`,
//! from end-to-end tests.

#![allow(dead_code, reason = "each test file uses a part of the harness")]
#![allow(clippy::expect_used, reason = "test harness: a panic fails the test")]

use std::{
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, Command, ExitStatus, Stdio},
    sync::{Arc, Mutex, mpsc},
    time::Duration,
};

/// A running `partimap serve`, stopped (SIGKILL) when dropped.
pub struct Server {
    child: Child,
    pub base: String,
    log: Arc<Mutex<String>>,
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

impl Server {
    /// Starts the server on a free port with its embedded store in
    /// `data_dir`, and waits until it listens.
    pub fn start(data_dir: &Path) -> Self {
        Self::start_with(&["--data-dir", data_dir.to_str().expect("utf-8 path")])
    }

    /// Starts `partimap serve --bind 127.0.0.1:0 ARGS…` and waits until it
    /// listens.
    pub fn start_with(args: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_partimap"))
            .args(["serve", "--bind", "127.0.0.1:0"])
            .args(args)
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start partimap");
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = mpsc::channel();
        for stream in [
            Box::new(child.stdout.take().expect("stdout")) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().expect("stderr")),
        ] {
            let log = log.clone();
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    if let Some(rest) = line.split("the overview map is at ").nth(1) {
                        let _ = tx.send(rest.trim().trim_end_matches('/').to_owned());
                    }
                    let mut log = log.lock().expect("log");
                    log.push_str(&line);
                    log.push('\n');
                }
            });
        }
        let base = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(base) => base,
            Err(_) => {
                let _ = child.kill();
                panic!(
                    "partimap did not start listening:\n{}",
                    log.lock().expect("log")
                );
            }
        };
        Self { child, base, log }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A GET without automatic decompression.
    pub fn get(&self, path: &str) -> reqwest::blocking::Response {
        reqwest::blocking::get(self.url(path)).expect("request")
    }

    pub fn log(&self) -> String {
        self.log.lock().expect("log").clone()
    }

    /// Sends SIGTERM and waits for the process to end.
    pub fn terminate(mut self) -> (ExitStatus, String) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        let exit = loop {
            if let Some(exit) = self.child.try_wait().expect("wait") {
                break exit;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "partimap did not stop after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        // Let the reader threads drain the last lines.
        std::thread::sleep(Duration::from_millis(200));
        (exit, self.log())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `node tests/js/SCRIPT ARGS…` and parses the one JSON object it prints.
pub fn node(script: &str, args: &[&str]) -> serde_json::Value {
    let dir = repo_root().join("tests/js");
    assert!(
        dir.join("node_modules").exists(),
        "tests/js/node_modules is missing: run `npm ci` in tests/js (scripts/test.sh does)"
    );
    let output = Command::new("node")
        .arg(dir.join(script))
        .args(args)
        .output()
        .expect("run node (is Node.js installed?)");
    assert!(
        output.status.success(),
        "node {script} failed: {}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "node {script} printed no JSON ({e}):\n{}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

/// The XYZ tile containing a longitude/latitude at zoom `z`.
pub fn tile_of(lon: f64, lat: f64, z: u32) -> (u32, u32) {
    let n = f64::from(1u32 << z);
    let x = ((lon + 180.0) / 360.0 * n).floor() as u32;
    let lat = lat.to_radians();
    let y = ((1.0 - lat.tan().asinh() / std::f64::consts::PI) / 2.0 * n).floor() as u32;
    (x, y)
}

/// The longitude/latitude bounds (west, south, east, north) of a tile.
pub fn tile_bounds(z: u32, x: u32, y: u32) -> [f64; 4] {
    let n = f64::from(1u32 << z);
    let lon = |x: f64| x / n * 360.0 - 180.0;
    let lat = |y: f64| {
        (std::f64::consts::PI * (1.0 - 2.0 * y / n))
            .sinh()
            .atan()
            .to_degrees()
    };
    [
        lon(f64::from(x)),
        lat(f64::from(y + 1)),
        lon(f64::from(x + 1)),
        lat(f64::from(y)),
    ]
}

/// Fetches a tile, stores it in `dir` and decodes it with MapLibre's decoder;
/// an empty tile (204) has no layers.
pub fn decoded_tile(
    server: &Server,
    dir: &Path,
    z: u32,
    x: u32,
    y: u32,
) -> (Vec<u8>, serde_json::Value) {
    let response = server.get(&format!("/tiles/{z}/{x}/{y}.mvt"));
    if response.status() == 204 {
        return (Vec::new(), serde_json::json!({"layers": {}}));
    }
    assert_eq!(response.status(), 200, "tile {z}/{x}/{y}");
    assert_eq!(
        response.headers()["content-type"],
        "application/vnd.mapbox-vector-tile"
    );
    let bytes = response.bytes().expect("body").to_vec();
    let file = dir.join(format!("{z}-{x}-{y}.mvt"));
    std::fs::write(&file, &bytes).expect("write tile");
    let decoded = node(
        "decode-tile.mjs",
        &[
            file.to_str().expect("utf-8 path"),
            &z.to_string(),
            &x.to_string(),
            &y.to_string(),
        ],
    );
    (bytes, decoded)
}

/// A sample data file of `data/`.
pub fn sample(name: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(repo_root().join("data").join(name)).expect("sample file");
    serde_json::from_str(&text).expect("sample JSON")
}

/// Whether a sample procedure's properties (`start`, `end` as ISO dates;
/// no `end`: open) run on some day of the window `from`..=`until` (either
/// end open when `None`) — the rule of the `from`/`until` filter, by hand:
/// ISO dates compare as text.
pub fn runs_within(
    properties: &serde_json::Value,
    from: Option<&str>,
    until: Option<&str>,
) -> bool {
    let start = properties["start"].as_str().expect("a start date");
    let end = properties["end"].as_str();
    until.is_none_or(|u| start <= u) && from.is_none_or(|f| end.is_none_or(|e| e >= f))
}

/// `partimap token create SCOPE… STORE_ARGS…`: the token printed.
pub fn token(scope: &[&str], store_args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_partimap"))
        .args(["token", "create"])
        .args(scope)
        .args(store_args)
        .output()
        .expect("partimap token create");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("UTF-8")
        .trim()
        .to_owned()
}
