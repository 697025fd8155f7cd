//! `partimap seed`: a PMTiles archive that the `pmtiles` reader (MapLibre's
//! pmtiles protocol) reads, holding exactly the tiles the server serves.

#![allow(clippy::expect_used, reason = "test helper: a panic fails the test")]

mod common;

use std::process::Command;

use common::{Server, node, tile_of};

fn seed(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_partimap"))
        .arg("seed")
        .args(args)
        .output()
        .expect("run partimap seed")
}

#[test]
fn the_archive_holds_the_served_tiles() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let archive = dir.path().join("nrw.pmtiles");
    let out = seed(&[
        "--data-dir",
        data.to_str().unwrap(),
        "--output",
        archive.to_str().unwrap(),
        "--min-zoom",
        "5",
        "--max-zoom",
        "14",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(!dir.path().join("nrw.pmtiles.partial").exists());

    let server = Server::start(&data);
    let (siegen_x, siegen_y) = tile_of(8.0243, 50.8748, 14);
    let (z10x, z10y) = tile_of(8.0243, 50.8748, 10);
    let (z6x, z6y) = tile_of(6.96, 50.94, 6);
    for (z, x, y) in [(14, siegen_x, siegen_y), (10, z10x, z10y), (6, z6x, z6y)] {
        let served = server
            .get(&format!("/tiles/{z}/{x}/{y}.mvt"))
            .bytes()
            .unwrap()
            .to_vec();
        assert!(!served.is_empty(), "{z}/{x}/{y} has data");
        let file = dir.path().join(format!("{z}-{x}-{y}.mvt"));
        let read = node(
            "read-pmtiles.mjs",
            &[
                archive.to_str().unwrap(),
                &z.to_string(),
                &x.to_string(),
                &y.to_string(),
                file.to_str().unwrap(),
            ],
        );
        assert_eq!(read["tile"]["found"], true, "{read}");
        assert_eq!(
            std::fs::read(&file).unwrap(),
            served,
            "tile {z}/{x}/{y} as served"
        );
        assert_eq!(read["header"]["minZoom"], 5);
        assert_eq!(read["header"]["maxZoom"], 14);
        assert_eq!(read["header"]["tileType"], 1, "MVT");
        let layers: Vec<_> = read["metadata"]["vector_layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["id"].clone())
            .collect();
        assert_eq!(layers, ["procedures", "clusters", "reports"]);
    }
    // An empty tile is not in the archive (the format has no empty tiles).
    let read = node(
        "read-pmtiles.mjs",
        &[archive.to_str().unwrap(), "14", "8200", "5400"],
    );
    assert_eq!(read["tile"]["found"], false, "{read}");
}

#[test]
fn bad_seed_options_say_what_is_wrong_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let archive = dir.path().join("x.pmtiles");
    for (args, message) in [
        (
            vec!["--bounds", "1,2,3"],
            "bounds \"1,2,3\" must be four numbers: west,south,east,north",
        ),
        (
            vec!["--bounds", "9,50,6,52"],
            "must be west,south,east,north with west < east",
        ),
        (
            vec!["--min-zoom", "9", "--max-zoom", "3"],
            "zooms 9..3 must be ascending and at most 22",
        ),
        (
            vec!["--filter", "kind=hearing"],
            "--filter: query parameter \"kind\": unknown procedure kind \"hearing\"",
        ),
    ] {
        let mut all = vec![
            "--data-dir",
            data.to_str().unwrap(),
            "--output",
            archive.to_str().unwrap(),
        ];
        all.extend(args.iter().copied());
        let out = seed(&all);
        assert!(!out.status.success(), "{args:?}");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(text.contains(message), "{args:?}: {text}");
        assert!(!archive.exists(), "{args:?}");
    }
}
