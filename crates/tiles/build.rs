//! Makes MapLibre GL JS available to `include_bytes!`.
#![allow(
    clippy::expect_used,
    reason = "a build script reports failure by panicking"
)]
//!
//! partimap serves MapLibre itself (no CDN: portals must not send their
//! visitors' requests to third parties). The files come from the npm package
//! pinned in `web/package-lock.json`; when `web/node_modules` lacks them, this
//! script installs them with `npm ci`, as martin's build script does for its
//! web UI.

use std::{env, path::PathBuf, process::Command};

fn main() {
    let web = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("set by cargo")).join("web");
    let dist = web.join("node_modules/maplibre-gl/dist");
    println!("cargo:rerun-if-changed=web/package-lock.json");
    println!("cargo:rerun-if-changed=web/node_modules/maplibre-gl/dist/maplibre-gl.js");
    if !dist.join("maplibre-gl.js").exists() {
        let status = Command::new("npm")
            .args(["ci", "--omit=dev", "--no-audit", "--no-fund"])
            .current_dir(&web)
            .status();
        match status {
            Ok(s) if s.success() => {}
            Ok(s) => panic!(
                "`npm ci` in {} failed ({s}); MapLibre GL JS is needed",
                web.display()
            ),
            Err(e) => {
                panic!("could not run npm to install MapLibre GL JS (is Node.js installed?): {e}")
            }
        }
    }
    println!("cargo:rustc-env=PARTIMAP_MAPLIBRE_DIST={}", dist.display());
}
