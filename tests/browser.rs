//! The overview map in a real browser: Debian's Chromium, headless, driven by
//! playwright-core (tests/js/browser-check.mjs).

mod common;

use common::{Server, node, repo_root};

#[test]
fn the_overview_map_renders_procedures_and_reports_without_errors() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let out = repo_root().join("tests/output");
    std::fs::create_dir_all(&out).unwrap();
    let screenshot = out.join("overview.png");
    let url = server.url("/");
    // The list beside the map fills itself from the API once the map is
    // idle: wait (up to 5 s) for its entries.
    let list = "() => new Promise((done) => { let n = 0; const t = setInterval(() => { \
        const items = Array.from(document.querySelectorAll('#verfahren-liste li')).map((li) => li.textContent); \
        if (items.length || ++n > 100) { clearInterval(t); \
        done({items, status: document.getElementById('verfahren-status').textContent}); } }, 50); })";
    let check = node(
        "browser-check.mjs",
        &[
            &url,
            "--screenshot",
            screenshot.to_str().unwrap(),
            "--eval",
            list,
        ],
    );

    assert_eq!(check["loaded"], true, "{check}");
    assert_eq!(check["console_errors"], serde_json::json!([]), "{check}");
    assert_eq!(check["page_errors"], serde_json::json!([]), "{check}");
    assert_eq!(check["failed_requests"], serde_json::json!([]), "{check}");
    assert_eq!(
        check["third_party_requests"],
        serde_json::json!([]),
        "no request may leave the host: {check}"
    );
    assert_eq!(
        check["title"],
        "Beteiligungsverfahren in Nordrhein-Westfalen – Übersichtskarte"
    );
    let rendered = &check["rendered"]["by_layer"];
    assert!(
        rendered["procedure-areas"].as_u64().unwrap_or(0) > 10,
        "procedure areas drawn: {check}"
    );
    assert!(
        rendered["procedure-points"].as_u64().unwrap_or(0) > 0,
        "procedure points drawn: {check}"
    );
    // At the statewide zoom the reports of each of the four defect
    // reporters are drawn as clusters.
    assert!(
        rendered["report-clusters"].as_u64().unwrap_or(0) >= 4,
        "report clusters drawn: {check}"
    );
    assert!(screenshot.exists());
    // The list: the procedures in view, from the API, with the title and the
    // authority the overview tiles leave out.
    let items: Vec<&str> = check["eval"]["items"]
        .as_array()
        .unwrap_or_else(|| panic!("list entries: {check}"))
        .iter()
        .filter_map(|i| i.as_str())
        .collect();
    assert!(
        items
            .iter()
            .any(|i| i.contains("Mängelmelder Siegen") && i.contains("Stadt Siegen")),
        "{check}"
    );
    assert!(
        check["eval"]["status"]
            .as_str()
            .unwrap_or_default()
            .ends_with("Verfahren"),
        "{check}"
    );
}

#[test]
fn a_click_on_a_procedure_opens_its_popup_with_authority_and_link() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    // Inside Siegen's defect reporter, away from other procedures' areas.
    let url = server.url("/");
    let check = node("browser-check.mjs", &[&url, "--click", "8.0243,50.8748"]);
    assert_eq!(check["console_errors"], serde_json::json!([]), "{check}");
    let popup = &check["popup"];
    let text = popup["text"].as_str().unwrap_or_default();
    assert!(text.contains("Mängelmelder Siegen"), "{check}");
    assert!(text.contains("Stadt Siegen"), "{check}");
    let links = popup["links"].as_array().expect("links in the popup");
    assert!(
        links.iter().any(|l| l["text"] == "Zur Beteiligung"
            && l["href"]
                .as_str()
                .unwrap_or("")
                .starts_with("https://beteiligung.nrw.de/")),
        "{check}"
    );
}
