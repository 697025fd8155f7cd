//! The participation API under load (issue: the participation API): N
//! citizens (default 200) post reports concurrently for S seconds (default
//! 30) into a post-moderated defect reporter of a running `partimap serve`,
//! each as fast as it is answered; afterwards every report is read back
//! through the feature API. Prints the answers by status, the latencies and
//! the check: no 5xx, every 201's report in the store, none twice.
//!
//!   cargo bench --bench citizens_load -- BASE_URL PROCEDURE_ID [CITIZENS] [SECONDS]
//!
//! `benches/citizens-load.sh` starts the server (embedded store and
//! PostGIS) and a tile load beside it. Exits 1 when the check fails.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark: a panic fails it"
)]

use std::{
    collections::{BTreeMap, HashMap},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use geo::{Contains, MultiPolygon, Point, Polygon};
use serde_json::{Value, json};

/// A small xorshift: the points and categories only need to vary.
struct Random(u64);

impl Random {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn area(base: &str, procedure: i64) -> (MultiPolygon<f64>, Vec<String>) {
    let feature: Value = reqwest::blocking::get(format!(
        "{base}/ogc/collections/procedures/items/{procedure}"
    ))
    .unwrap()
    .json()
    .unwrap();
    let polygons = feature["geometry"]["coordinates"]
        .as_array()
        .expect("a defect reporter with an area")
        .iter()
        .map(|p| {
            let rings: Vec<geo::LineString<f64>> = p
                .as_array()
                .unwrap()
                .iter()
                .map(|r| {
                    r.as_array()
                        .unwrap()
                        .iter()
                        .map(|c| (c[0].as_f64().unwrap(), c[1].as_f64().unwrap()))
                        .collect()
                })
                .collect();
            Polygon::new(rings[0].clone(), rings[1..].to_vec())
        })
        .collect();
    let categories = feature["properties"]["categories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    (MultiPolygon(polygons), categories)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    // `cargo test --all-targets` runs benches without `--bench`: nothing to
    // load then.
    if !args.iter().any(|a| a == "--bench") {
        return;
    }
    let args: Vec<String> = args
        .into_iter()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let base = args
        .first()
        .expect("BASE_URL")
        .trim_end_matches('/')
        .to_owned();
    let procedure: i64 = args.get(1).expect("PROCEDURE_ID").parse().unwrap();
    let citizens: u64 = args.get(2).map_or(200, |n| n.parse().unwrap());
    let seconds: u64 = args.get(3).map_or(30, |n| n.parse().unwrap());
    let (area, categories) = area(&base, procedure);
    let bounds = geo::BoundingRect::bounding_rect(&area).unwrap();

    // (status, report id, description) of every answer, and latencies.
    let answers = Arc::new(Mutex::new(Vec::<(u16, Option<i64>, String)>::new()));
    let latencies = Arc::new(Mutex::new(Vec::<Duration>::new()));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let threads: Vec<_> = (0..citizens)
        .map(|citizen| {
            let (base, area, categories) = (base.clone(), area.clone(), categories.clone());
            let (answers, latencies) = (answers.clone(), latencies.clone());
            std::thread::spawn(move || {
                let client = reqwest::blocking::Client::builder()
                    .timeout(Duration::from_secs(60))
                    .build()
                    .unwrap();
                let mut random = Random(
                    0x9E37_79B9_7F4A_7C15 ^ (citizen + 1).wrapping_mul(0x2545_F491_4F6C_DD1D),
                );
                let mut n = 0;
                while Instant::now() < deadline {
                    let point = loop {
                        let p = Point::new(
                            bounds.min().x + random.next() * bounds.width(),
                            bounds.min().y + random.next() * bounds.height(),
                        );
                        if area.contains(&p) {
                            break p;
                        }
                    };
                    let category = &categories
                        [(random.next() * categories.len() as f64) as usize % categories.len()];
                    let description = format!("Lasttest {citizen}-{n}");
                    n += 1;
                    let body = json!({
                        "location": {"type": "Point", "coordinates": [point.x(), point.y()]},
                        "category": category,
                        "description": description,
                        // Every other citizen insists: the rest may meet the
                        // duplicate hint (409), as citizens do.
                        "insist": citizen % 2 == 0,
                    });
                    let started = Instant::now();
                    let response = client
                        .post(format!("{base}/api/v1/procedures/{procedure}/reports"))
                        .json(&body)
                        .send();
                    let took = started.elapsed();
                    let (status, id) = match response {
                        Ok(r) => {
                            let status = r.status().as_u16();
                            let value: Value = r.json().unwrap_or(Value::Null);
                            (status, value["id"].as_i64())
                        }
                        Err(_) => (0, None),
                    };
                    latencies.lock().unwrap().push(took);
                    answers.lock().unwrap().push((status, id, description));
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let answers = answers.lock().unwrap().clone();
    let mut latencies = latencies.lock().unwrap().clone();
    latencies.sort();
    let pct = |q: f64| latencies[((latencies.len() as f64 - 1.0) * q) as usize].as_secs_f64() * 1e3;
    let mut by_status = BTreeMap::<u16, usize>::new();
    for (status, _, _) in &answers {
        *by_status.entry(*status).or_default() += 1;
    }
    println!(
        "{citizens} citizens, {seconds} s: {} answers ({:.0}/s), by status {by_status:?}, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        answers.len(),
        answers.len() as f64 / seconds as f64,
        pct(0.5),
        pct(0.99),
        pct(1.0)
    );

    // Every report the feature API holds for the procedure, by description.
    let mut stored: HashMap<String, Vec<i64>> = HashMap::new();
    let mut next = Some(format!(
        "{base}/ogc/collections/reports/items?procedure={procedure}&limit=10000"
    ));
    while let Some(url) = next {
        let page: Value = reqwest::blocking::get(&url).unwrap().json().unwrap();
        for f in page["features"].as_array().unwrap() {
            let d = f["properties"]["description"].as_str().unwrap_or("");
            if d.starts_with("Lasttest ") {
                stored
                    .entry(d.to_owned())
                    .or_default()
                    .push(f["id"].as_i64().unwrap());
            }
        }
        next = page["links"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["rel"] == "next")
            .map(|l| l["href"].as_str().unwrap().to_owned());
    }
    let server_errors = answers
        .iter()
        .filter(|(s, _, _)| *s >= 500 || *s == 0)
        .count();
    let created: Vec<_> = answers.iter().filter(|(s, _, _)| *s == 201).collect();
    let missing = created
        .iter()
        .filter(|(_, id, d)| {
            stored
                .get(d)
                .is_none_or(|ids| !ids.contains(&id.unwrap_or(-1)))
        })
        .count();
    let twice = stored.values().filter(|ids| ids.len() > 1).count();
    let unanswered = stored.len().saturating_sub(created.len());
    println!(
        "check: {server_errors} answers 5xx or failed, {} created, {missing} created but not stored, {twice} stored twice, {unanswered} stored without a 201",
        created.len()
    );
    if server_errors + missing + twice + unanswered > 0 {
        println!("FAILED");
        std::process::exit(1);
    }
    println!("OK");
}
