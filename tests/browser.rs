//! The overview map in a real browser: Debian's Chromium, headless, driven by
//! playwright-core (tests/js/browser-check.mjs).

mod common;

use common::{Server, node, repo_root, runs_within, sample};

/// The id of the sample's defect reporter titled `title`.
#[allow(clippy::unwrap_used, reason = "test helper: a panic fails the test")]
fn reporter(server: &Server, title: &str) -> i64 {
    let reporters: serde_json::Value = server
        .get("/api/v1/procedures?kind=reporting&limit=10")
        .json()
        .unwrap();
    reporters["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["title"] == title)
        .and_then(|p| p["id"].as_i64())
        .unwrap_or_else(|| panic!("no {title:?} in {reporters}"))
}

/// axe-core ran on the page (`--axe`) and found nothing serious or
/// critical.
fn assert_no_serious_axe_violations(check: &serde_json::Value) {
    let violations = check["axe"]["violations"]
        .as_array()
        .unwrap_or_else(|| panic!("axe ran: {check}"));
    let serious: Vec<_> = violations
        .iter()
        .filter(|v| v["impact"] == "serious" || v["impact"] == "critical")
        .collect();
    assert!(serious.is_empty(), "axe-core: {serious:?}");
}

/// Every request the page made to another origin than its own went to one
/// of `allowed` (URL prefixes).
fn assert_requests_only_to(check: &serde_json::Value, allowed: &[&str]) {
    let requests = check["third_party_requests"]
        .as_array()
        .unwrap_or_else(|| panic!("requests recorded: {check}"));
    for url in requests {
        let url = url.as_str().unwrap_or_default();
        assert!(allowed.iter().any(|a| url.starts_with(a)), "{url}: {check}");
    }
}

#[test]
fn the_overview_map_renders_procedures_and_reports_without_errors() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let out = repo_root().join("tests/output");
    std::fs::create_dir_all(&out).unwrap();
    let screenshot = out.join("overview.png");
    let url = server.url("/");
    // The list beside the map fills itself from the API once the map is
    // idle: wait (up to 5 s) for its entries. Then the pixels: on a grid
    // over the map, every point where exactly one procedure area is drawn
    // (no outline, point, report or border near it) must show the colour
    // the legend gives its kind over the white of NRW (a blend of the two:
    // the translucent fill, the pattern's lines), and every point where no
    // procedure is drawn the plain ground — read from the WebGL canvas right
    // after a frame is drawn. Last the map goes to zoom 6 for the
    // screenshot.
    let eval = r#"async () => {
        const map = window.partimapMap;
        const { sleep, until } = window.partimapTest;
        await until(() => document.querySelectorAll('#verfahren-liste li').length > 0);
        const items = Array.from(document.querySelectorAll('#verfahren-liste li')).map((li) => li.textContent);
        const status = document.getElementById('verfahren-status').textContent;

        const hex = (h) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16));
        // The colours the legend gives each kind (the swatch beside its box).
        const colours = {};
        for (const input of document.querySelectorAll('#auswahl input[name="kind"]')) {
            const swatch = input.parentElement.querySelector('.swatch');
            colours[input.value] = hex(getComputedStyle(swatch).getPropertyValue('--swatch').trim());
        }
        const white = [255, 255, 255];
        const ground = hex(map.getStyle().layers.find((l) => l.id === 'background').paint['background-color']);
        const canvas = map.getCanvas();
        const ratio = canvas.width / canvas.clientWidth;
        const others = ['procedure-outlines', 'procedure-points', 'report-clusters', 'reports', 'nrw-outline-line'];
        const result = {areaPoints: 0, areaMatches: 0, kinds: {}, groundPoints: 0, groundMatches: 0, misses: [], views: 0};
        const settled = async () => { await sleep(100); await until(() => map.loaded() && map.areTilesLoaded() && !map.isMoving()); };
        // How far a colour is from the segment white..kind colour, and where on it.
        const onSegment = (rgb, from, to) => {
            const d = to.map((v, i) => v - from[i]);
            const q = rgb.map((v, i) => v - from[i]);
            const a = q.reduce((s, v, i) => s + v * d[i], 0) / d.reduce((s, v) => s + v * v, 0);
            const off = Math.sqrt(q.reduce((s, v, i) => s + (v - a * d[i]) ** 2, 0));
            return {a, off};
        };
        // The statewide view, then Köln, Siegen and Dortmund up close.
        const views = [null, [6.96, 50.94, 11], [8.02, 50.87, 11], [7.47, 51.51, 10]];
        for (const view of views) {
        if (view) { map.jumpTo({center: [view[0], view[1]], zoom: view[2]}); await settled(); }
        result.views++;
        const points = [];
        for (let y = 8; y < canvas.clientHeight; y += 16) {
            for (let x = 8; x < canvas.clientWidth; x += 16) {
                const box = [[x - 3, y - 3], [x + 3, y + 3]];
                const near = map.queryRenderedFeatures(box, {layers: others});
                const areas = map.queryRenderedFeatures([x, y], {layers: ['procedure-areas']});
                const nrw = map.queryRenderedFeatures([x, y], {layers: ['nrw-outline-fill']}).length > 0;
                if (near.length) continue;
                const inBox = map.queryRenderedFeatures(box, {layers: ['procedure-areas']});
                if (areas.length === 1 && inBox.length === 1) points.push({x, y, kind: areas[0].properties.kind});
                else if (areas.length === 0 && inBox.length === 0) points.push({x, y, kind: null, nrw});
            }
        }
        const read = await new Promise((resolve) => {
            map.once('render', () => {
                const gl = canvas.getContext('webgl2') || canvas.getContext('webgl');
                const px = new Uint8Array(4);
                resolve(points.map((p) => {
                    gl.readPixels(Math.round(p.x * ratio), Math.round(canvas.height - p.y * ratio), 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, px);
                    return Object.assign({rgb: [px[0], px[1], px[2]]}, p);
                }));
            });
            map.triggerRepaint();
        });
        for (const p of read) {
            if (p.kind) {
                result.areaPoints++;
                const {a, off} = onSegment(p.rgb, white, colours[p.kind]);
                if (a >= 0.1 && a <= 1.05 && off <= 12) {
                    result.areaMatches++;
                    result.kinds[p.kind] = (result.kinds[p.kind] || 0) + 1;
                } else if (result.misses.length < 10) result.misses.push(p);
            } else {
                result.groundPoints++;
                const want = p.nrw ? white : ground;
                if (p.rgb.every((v, i) => Math.abs(v - want[i]) <= 3)) result.groundMatches++;
                else if (result.misses.length < 10) result.misses.push(p);
            }
        }
        }
        // The clusters' counts: a button per drawn cluster, its text the
        // cluster's count; pressing one zooms to where it splits.
        map.jumpTo({center: [8.0243, 50.8748], zoom: 12});
        await settled();
        const drawnClusters = {};
        for (const f of map.queryRenderedFeatures({layers: ['report-clusters']})) drawnClusters[f.id] = f.properties;
        const expected = Object.values(drawnClusters).map((p) => p.count).sort((a, b) => a - b);
        // The buttons follow on the map's next 'idle'.
        await until(() => document.querySelectorAll('button.cluster-count').length === expected.length);
        const buttons = Array.from(document.querySelectorAll('button.cluster-count'));
        const shownCounts = buttons.map((b) => Number(b.textContent.replace(/\./g, ''))).sort((a, b) => a - b);
        const labels = buttons.map((b) => b.getAttribute('aria-label'));
        // With the cap lowered to one, only the largest keeps its button.
        window.partimapMaxClusterButtons = 1;
        map.triggerRepaint();
        await until(() => document.querySelectorAll('button.cluster-count').length === 1);
        const capped = Array.from(document.querySelectorAll('button.cluster-count')).map((b) => Number(b.textContent.replace(/\./g, '')));
        delete window.partimapMaxClusterButtons;
        map.triggerRepaint();
        await until(() => document.querySelectorAll('button.cluster-count').length === expected.length);
        const target = buttons.map((b) => b.partimapCluster).sort((a, b) => b.count - a.count)[0];
        const pressed = buttons.find((b) => b.partimapCluster === target);
        if (!pressed) return {error: 'no cluster button', expected};
        pressed.focus();
        const focused = document.activeElement === pressed;
        pressed.click();
        await settled();
        const clusters = {expected, shownCounts, labels, capped, focused, expansion: target.expansion_zoom, zoomAfter: map.getZoom()};
        map.jumpTo({center: [7.55, 51.45], zoom: 6});
        await settled();
        return {items, status, pixels: result, clusters, zoom: map.getZoom()};
    }"#;
    let check = node(
        "browser-check.mjs",
        &[
            &url,
            "--screenshot",
            screenshot.to_str().unwrap(),
            "--eval",
            eval,
        ],
    );

    // Pixels of each procedure's colour where it lies, the ground elsewhere.
    let pixels = &check["eval"]["pixels"];
    let (area_points, area_matches) = (
        pixels["areaPoints"]
            .as_u64()
            .unwrap_or_else(|| panic!("{check}")),
        pixels["areaMatches"].as_u64().unwrap(),
    );
    assert!(area_points >= 50, "points inside single areas: {pixels}");
    assert!(
        area_matches * 100 >= area_points * 97,
        "a procedure's colour where it lies: {pixels}"
    );
    assert!(
        pixels["kinds"].as_object().unwrap().len() >= 3,
        "several kinds' colours seen: {pixels}"
    );
    let (ground_points, ground_matches) = (
        pixels["groundPoints"].as_u64().unwrap(),
        pixels["groundMatches"].as_u64().unwrap(),
    );
    assert!(ground_points >= 500, "{pixels}");
    assert!(
        ground_matches * 100 >= ground_points * 99,
        "the plain ground where no procedure lies: {pixels}"
    );
    // Every drawn cluster has its count as a button a keyboard reaches;
    // pressing it zooms to where the cluster splits.
    let clusters = &check["eval"]["clusters"];
    let expected = clusters["expected"].as_array().unwrap();
    assert!(
        expected.len() >= 2,
        "clusters around Siegen at zoom 9: {clusters}"
    );
    assert_eq!(clusters["shownCounts"], clusters["expected"], "{clusters}");
    assert!(
        clusters["labels"].as_array().unwrap().iter().all(|l| l
            .as_str()
            .unwrap()
            .ends_with("Meldungen – vergrößern")
            || l == "1 Meldung – vergrößern"),
        "{clusters}"
    );
    // Capped at one button: the largest cluster's.
    assert_eq!(
        clusters["capped"],
        serde_json::json!([expected.last().unwrap()]),
        "{clusters}"
    );
    assert_eq!(clusters["focused"], true, "{clusters}");
    let expansion = clusters["expansion"].as_f64().unwrap();
    assert!(expansion > 12.0, "{clusters}");
    assert!(
        (clusters["zoomAfter"].as_f64().unwrap() - expansion).abs() < 0.01,
        "{clusters}"
    );
    // The screenshot shows the whole state at zoom 6.
    assert_eq!(check["eval"]["zoom"], 6.0, "{check}");
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
    // Every area also carries its kind's pattern (not colour alone).
    assert_eq!(
        rendered["procedure-patterns"], rendered["procedure-areas"],
        "patterns drawn over every area: {check}"
    );
    assert_eq!(check["console_warnings"], serde_json::json!([]), "{check}");
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
    // Inside the B 1 dialogue's area in Dortmund, away from other
    // procedures (a defect reporter's area is under its cluster's count at
    // this zoom: a click there zooms in).
    let url = server.url("/");
    let check = node("browser-check.mjs", &[&url, "--click", "7.4738,51.5013"]);
    assert_eq!(check["console_errors"], serde_json::json!([]), "{check}");
    let popup = &check["popup"];
    let text = popup["text"].as_str().unwrap_or_default();
    assert!(text.contains("B 1 in Dortmund"), "{check}");
    assert!(
        text.contains("Landesbetrieb Straßenbau Nordrhein-Westfalen"),
        "{check}"
    );
    assert!(text.contains("Dialog"), "{check}");
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

/// Without a pointer: with the map focused, Enter opens the popup of the
/// procedures in the map's middle (focus moves into it, Escape closes it
/// and gives the focus back to the map); where nothing lies it says so.
#[test]
fn the_keyboard_opens_the_popup_of_the_procedure_in_the_middle() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let eval = r#"async () => {
        const map = window.partimapMap;
        const { sleep, until } = window.partimapTest;
        const settled = async () => { await sleep(100); await until(() => map.loaded() && map.areTilesLoaded() && !map.isMoving()); };
        const canvas = map.getCanvas();
        const key = (target, k) => target.dispatchEvent(new KeyboardEvent('keydown', {key: k, bubbles: true, cancelable: true}));
        map.jumpTo({center: [7.4738, 51.5013], zoom: 11});
        await settled();
        canvas.focus();
        const tabbable = canvas.tabIndex >= 0;
        key(canvas, 'Enter');
        const opened = await until(() => document.querySelector('.maplibregl-popup'));
        await until(() => document.activeElement && document.activeElement.closest('.maplibregl-popup'));
        const popup = document.querySelector('.maplibregl-popup').textContent;
        const focusInPopup = !!document.activeElement.closest('.maplibregl-popup');
        key(document.activeElement, 'Escape');
        const closed = await until(() => !document.querySelector('.maplibregl-popup'));
        const focusBack = document.activeElement === canvas;
        map.jumpTo({center: [9.3, 50.45], zoom: 11});
        await settled();
        key(canvas, 'Enter');
        await sleep(100);
        return {tabbable, opened, popup, focusInPopup, closed, focusBack,
            none: document.getElementById('karte-mitte').textContent,
            popupAfterNone: !!document.querySelector('.maplibregl-popup')};
    }"#;
    let check = node("browser-check.mjs", &[&server.url("/"), "--eval", eval]);
    assert_eq!(check["console_errors"], serde_json::json!([]), "{check}");
    assert_eq!(check["console_warnings"], serde_json::json!([]), "{check}");
    let e = &check["eval"];
    assert_eq!(e["tabbable"], true, "{check}");
    assert_eq!(e["opened"], true, "{check}");
    assert!(
        e["popup"].as_str().unwrap().contains("B 1 in Dortmund"),
        "{check}"
    );
    assert_eq!(e["focusInPopup"], true, "{check}");
    assert_eq!(e["closed"], true, "{check}");
    assert_eq!(e["focusBack"], true, "{check}");
    assert_eq!(
        e["none"],
        "In der Kartenmitte liegt kein Verfahren. Verschieben Sie die Karte mit den Pfeiltasten.",
        "{check}"
    );
    assert_eq!(e["popupAfterNone"], false, "{check}");
}

/// The filter form, the URL, the tiles and the list show one selection: a
/// URL's filter is applied at load, a change in the form rewrites the URL
/// and redraws map and list; axe-core finds nothing serious or critical on
/// the page with the form.
#[test]
fn a_filter_change_updates_map_list_and_url() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let url = server.url("/?kind=reporting");
    let eval = r#"async () => {
        const map = window.partimapMap;
        const { sleep, until } = window.partimapTest;
        const snapshot = () => ({
            search: window.location.search,
            kinds: Array.from(new Set(map.queryRenderedFeatures({layers: ['procedure-areas', 'procedure-points']})
                .map((f) => f.properties.kind))).sort(),
            list: Array.from(document.querySelectorAll('#verfahren-liste li')).map((li) => li.textContent),
            checked: Array.from(document.querySelectorAll('#auswahl input:checked')).map((i) => i.value),
        });
        const loaded = await until(() => window.partimapListQuery === 'kind=reporting');
        const before = snapshot();
        const idle = new Promise((r) => map.once('idle', r));
        document.querySelector('#auswahl input[value="dialog"]').click();
        await idle;
        const listed = await until(() => window.partimapListQuery === 'kind=dialog,reporting');
        return {loaded, listed, before, after: snapshot()};
    }"#;
    let check = node("browser-check.mjs", &[&url, "--eval", eval, "--axe"]);
    assert_eq!(check["console_errors"], serde_json::json!([]), "{check}");
    assert_eq!(
        check["third_party_requests"],
        serde_json::json!([]),
        "{check}"
    );
    let e = &check["eval"];
    assert_eq!(e["loaded"], true, "{check}");
    assert_eq!(e["listed"], true, "{check}");
    // At load: the URL's filter is in the form, the map and the list.
    let before = &e["before"];
    assert_eq!(before["search"], "?kind=reporting", "{check}");
    assert_eq!(
        before["checked"],
        serde_json::json!(["reporting", "running"]),
        "{check}"
    );
    assert_eq!(before["kinds"], serde_json::json!(["reporting"]), "{check}");
    let list: Vec<&str> = before["list"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert!(
        !list.is_empty() && list.iter().all(|i| i.contains("Mängelmelder")),
        "{check}"
    );
    // After ticking "Dialog": URL, map and list show dialogs and reporters.
    let after = &e["after"];
    assert_eq!(after["search"], "?kind=dialog,reporting", "{check}");
    assert_eq!(
        after["kinds"],
        serde_json::json!(["dialog", "reporting"]),
        "{check}"
    );
    let list: Vec<&str> = after["list"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert!(list.iter().any(|i| i.contains("Dialog")), "{check}");
    assert!(
        list.iter()
            .all(|i| i.contains("Dialog") || i.contains("Mängelmelder")),
        "{check}"
    );
    assert_no_serious_axe_violations(&check);
}

/// The titles of the sample's procedures of `organisation` that run on some
/// day from `from` to `until` (ISO dates compare as text), by brute force
/// over `data/procedures.geojson`.
#[allow(clippy::unwrap_used, reason = "test helper: a panic fails the test")]
fn sample_titles(organisation: &str, from: &str, until: &str) -> Vec<String> {
    let mut titles: Vec<String> = sample("procedures.geojson")["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| &f["properties"])
        .filter(|p| p["organisation"] == organisation)
        .filter(|p| runs_within(p, Some(from), Some(until)))
        .map(|p| p["title"].as_str().unwrap().to_owned())
        .collect();
    titles.sort();
    titles
}

/// The authority search and the time window drive map, list and URL like
/// the other filters: a URL naming Köln and February 2027 shows exactly
/// Köln's procedures of that month (the sample's dates, by brute force);
/// an ambiguous name is said at the field and changes nothing; picking
/// "Stadt Siegen" moves the map there and lists Siegen's; a window ending
/// before it begins is said at the field and the URL keeps the last good
/// one.
#[test]
fn the_authority_search_and_the_time_window_select_what_map_and_list_show() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let url = server.url("/?status=running,upcoming,closed&organisation=stadt-koeln&from=2027-02-01&until=2027-02-28");
    let eval = r#"async () => {
        const map = window.partimapMap;
        const { sleep, until } = window.partimapTest;
        const input = document.getElementById('behoerde');
        const snapshot = () => ({
            search: window.location.search,
            authority: input.value,
            invalid: input.getAttribute('aria-invalid'),
            note: document.getElementById('behoerde-hinweis').textContent,
            from: document.getElementById('von').value,
            until: document.getElementById('bis').value,
            windowError: document.getElementById('zeitraum-fehler').textContent,
            untilInvalid: document.getElementById('bis').getAttribute('aria-invalid'),
            drawn: Array.from(new Set(map.queryRenderedFeatures({layers: ['procedure-areas', 'procedure-points']})
                .map((f) => f.properties.id !== undefined ? f.properties.id : f.id))).sort((a, b) => a - b),
            list: Array.from(document.querySelectorAll('#verfahren-liste li a, #verfahren-liste li .procedure-entry > span:first-child'))
                .map((a) => a.textContent).sort(),
            centre: map.getCenter().toArray(),
        });
        const base = 'status=running,upcoming,closed&organisation=stadt-koeln&from=2027-02-01&until=2027-02-28';
        const settled = () => until(() => map.loaded() && map.areTilesLoaded() && !map.isMoving());
        const loaded = await until(() => window.partimapListQuery === base);
        await settled();
        const koeln = snapshot();
        // An ambiguous name: said at the field, nothing else changes.
        input.value = 'Siegen';
        input.dispatchEvent(new Event('change', {bubbles: true}));
        await until(() => input.getAttribute('aria-invalid') === 'true');
        const ambiguous = snapshot();
        // A name picked from the list applies at once.
        input.value = 'Stadt Siegen';
        input.dispatchEvent(new Event('input', {bubbles: true}));
        const siegenQuery = 'status=running,upcoming,closed&organisation=stadt-siegen&from=2027-02-01&until=2027-02-28';
        const listed = await until(() => window.partimapListQuery === siegenQuery);
        await sleep(300);
        await settled();
        await until(() => document.querySelectorAll('#verfahren-liste li').length > 0);
        const siegen = snapshot();
        // A window ending before it begins.
        const bis = document.getElementById('bis');
        bis.value = '2027-01-15';
        bis.dispatchEvent(new Event('change', {bubbles: true}));
        const inverted = snapshot();
        return {loaded, listed, koeln, ambiguous, siegen, inverted};
    }"#;
    let check = node("browser-check.mjs", &[&url, "--eval", eval, "--axe"]);
    assert_eq!(check["console_errors"], serde_json::json!([]), "{check}");
    assert_eq!(check["console_warnings"], serde_json::json!([]), "{check}");
    assert_eq!(
        check["third_party_requests"],
        serde_json::json!([]),
        "{check}"
    );
    let e = &check["eval"];
    assert_eq!(e["loaded"], true, "{check}");
    assert_eq!(e["listed"], true, "{check}");

    let koeln = &e["koeln"];
    assert_eq!(koeln["authority"], "Stadt Köln", "{check}");
    assert_eq!(koeln["from"], "2027-02-01", "{check}");
    assert_eq!(koeln["until"], "2027-02-28", "{check}");
    let expected = sample_titles("stadt-koeln", "2027-02-01", "2027-02-28");
    assert!(
        expected.len() >= 3,
        "the sample has Köln procedures in February 2027: {expected:?}"
    );
    assert_eq!(koeln["list"], serde_json::json!(expected), "{check}");
    // The map draws as many procedures as the list names (fitted to Köln).
    assert_eq!(
        koeln["drawn"].as_array().unwrap().len(),
        expected.len(),
        "{check}"
    );

    let ambiguous = &e["ambiguous"];
    assert_eq!(ambiguous["invalid"], "true", "{check}");
    assert_eq!(
        ambiguous["note"], "Zu „Siegen“ passen 2 Behörden; bitte wählen Sie eine aus der Liste.",
        "{check}"
    );
    assert_eq!(ambiguous["search"], koeln["search"], "{check}");

    let siegen = &e["siegen"];
    assert_eq!(
        siegen["search"],
        "?status=running,upcoming,closed&organisation=stadt-siegen&from=2027-02-01&until=2027-02-28",
        "{check}"
    );
    assert_eq!(siegen["invalid"], serde_json::Value::Null, "{check}");
    assert_eq!(
        siegen["note"], "Gezeigt: Verfahren von Stadt Siegen und ihren nachgeordneten Stellen.",
        "{check}"
    );
    let expected = sample_titles("stadt-siegen", "2027-02-01", "2027-02-28");
    assert!(!expected.is_empty(), "{expected:?}");
    assert_eq!(siegen["list"], serde_json::json!(expected), "{check}");
    // The map moved to Siegen (8.02 E, 50.87 N).
    let centre = siegen["centre"].as_array().unwrap();
    let (lon, lat) = (centre[0].as_f64().unwrap(), centre[1].as_f64().unwrap());
    assert!(
        (lon - 8.02).abs() < 0.3 && (lat - 50.87).abs() < 0.3,
        "{check}"
    );

    let inverted = &e["inverted"];
    assert_eq!(inverted["untilInvalid"], "true", "{check}");
    assert_eq!(
        inverted["windowError"], "Der Zeitraum endet vor seinem Beginn.",
        "{check}"
    );
    assert_eq!(inverted["search"], siegen["search"], "{check}");

    assert_no_serious_axe_violations(&check);
}

/// English, the second language: `?lang=en` gives the page, the form, the
/// list and MapLibre's controls in English (no German text left without
/// an English one: a missing one is a console warning), keeps the
/// selection in the switch back to German, and axe finds nothing serious.
#[test]
fn the_overview_speaks_english_with_lang_en() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let url = server.url("/?kind=reporting&lang=en");
    let eval = r#"async () => {
        const { sleep, until } = window.partimapTest;
        const listed = await until(() => document.querySelectorAll('#verfahren-liste li').length > 0);
        const link = document.getElementById('sprache');
        return {
            listed,
            lang: document.documentElement.lang,
            title: document.title,
            h1: document.querySelector('h1').textContent,
            skip: document.querySelector('.skip-link').textContent,
            legends: Array.from(document.querySelectorAll('#auswahl legend')).map((l) => l.textContent),
            kinds: Array.from(document.querySelectorAll('#auswahl input[name="kind"]')).map((i) => i.parentElement.textContent),
            status: document.getElementById('verfahren-status').textContent,
            list: Array.from(document.querySelectorAll('#verfahren-liste li .org')).map((s) => s.textContent),
            zoomIn: document.querySelector('.maplibregl-ctrl-zoom-in').getAttribute('aria-label'),
            switchText: link.textContent,
            switchHref: link.getAttribute('href'),
            switchLang: link.getAttribute('lang'),
            search: window.location.search,
        };
    }"#;
    let check = node("browser-check.mjs", &[&url, "--eval", eval, "--axe"]);
    assert_eq!(check["console_errors"], serde_json::json!([]), "{check}");
    assert_eq!(check["console_warnings"], serde_json::json!([]), "{check}");
    assert_eq!(
        check["third_party_requests"],
        serde_json::json!([]),
        "{check}"
    );
    let e = &check["eval"];
    assert_eq!(e["listed"], true, "{check}");
    assert_eq!(e["lang"], "en", "{check}");
    assert_eq!(
        e["title"], "Participation procedures in North Rhine-Westphalia – overview map",
        "{check}"
    );
    assert_eq!(
        e["h1"], "Participation procedures in North Rhine-Westphalia",
        "{check}"
    );
    assert_eq!(
        e["skip"], "Skip to the legend and the list of procedures",
        "{check}"
    );
    assert_eq!(
        e["legends"],
        serde_json::json!(["Kind of procedure", "Status", "Authority", "Period"]),
        "{check}"
    );
    assert_eq!(
        e["kinds"],
        serde_json::json!([
            "Dialogue",
            "Survey",
            "Event",
            "Formal procedure",
            "Land-use planning",
            "Defect reporter"
        ]),
        "{check}"
    );
    assert!(
        e["status"].as_str().unwrap().ends_with("procedures"),
        "{check}"
    );
    let list = e["list"].as_array().unwrap();
    assert!(!list.is_empty(), "{check}");
    for entry in list {
        let entry = entry.as_str().unwrap();
        assert!(entry.starts_with("Defect reporter · "), "{check}");
        assert!(
            entry.contains(" to ") || entry.contains("until further notice"),
            "{check}"
        );
    }
    assert_eq!(e["zoomIn"], "Zoom in", "{check}");
    assert_eq!(e["switchText"], "Deutsch", "{check}");
    assert_eq!(e["switchLang"], "de", "{check}");
    assert_eq!(e["switchHref"], "/?kind=reporting", "{check}");
    assert_eq!(e["search"], "?kind=reporting&lang=en", "{check}");
    assert_no_serious_axe_violations(&check);
}

/// Before sending, the reporter shows the public reports of the chosen
/// category near the place (here on an English embed: every text in
/// English, none missing): placed on a published report, that report is
/// listed 0 m away with its description.
#[test]
fn the_reporter_shows_nearby_reports_of_the_category_before_sending_in_english() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let id = reporter(&server, "Mängelmelder Siegen");
    let items: serde_json::Value = server
        .get(&format!(
            "/ogc/collections/reports/items?f=json&procedure={id}&limit=1"
        ))
        .json()
        .unwrap();
    let known = &items["features"][0];
    let (lon, lat) = (
        known["geometry"]["coordinates"][0].as_f64().unwrap(),
        known["geometry"]["coordinates"][1].as_f64().unwrap(),
    );
    let category = known["properties"]["category"].as_str().unwrap();
    let eval = format!(
        r#"async () => {{
    const {{ sleep, until }} = window.partimapTest;
    const $ = (s) => document.querySelector(s);
    await until(() => !$('#melden').hidden && $('#melden-kategorie').options.length > 1);
    const set = (el, v) => {{ el.value = v; el.dispatchEvent(new Event('change', {{bubbles: true}})); }};
    set($('#melden-lon'), '{lon}');
    set($('#melden-lat'), '{lat}');
    set($('#melden-kategorie'), '{category}');
    const listed = await until(() => window.partimapNearby !== undefined);
    return {{
        listed,
        nearby: window.partimapNearby,
        title: $('#melden-naehe-titel').textContent,
        items: Array.from(document.querySelectorAll('#melden-naehe-liste li')).map((li) => li.textContent),
        heading: $('#melden-titel').textContent,
        send: $('#melden-senden').textContent,
        lang: document.documentElement.lang,
        address: !$('#melden-adresse-zeile').hidden,
    }};
}}"#
    );
    let check = node(
        "browser-check.mjs",
        &[
            &server.url(&format!("/embed/procedures/{id}?lang=en")),
            "--eval",
            &eval,
            "--axe",
        ],
    );
    assert_eq!(check["console_errors"], serde_json::json!([]), "{check}");
    assert_eq!(check["console_warnings"], serde_json::json!([]), "{check}");
    assert_eq!(
        check["third_party_requests"],
        serde_json::json!([]),
        "{check}"
    );
    let e = &check["eval"];
    assert_eq!(e["listed"], true, "{check}");
    assert_eq!(e["lang"], "en", "{check}");
    assert_eq!(e["heading"], "Report a defect", "{check}");
    assert_eq!(e["send"], "Send report", "{check}");
    assert_eq!(
        e["address"], false,
        "no geocoder, no address field: {check}"
    );
    assert!(
        e["title"]
            .as_str()
            .unwrap()
            .starts_with("Reported nearby ("),
        "{check}"
    );
    let first = &e["nearby"][0];
    assert_eq!(first["id"], known["id"], "{check}");
    assert_eq!(first["distance"], 0, "{check}");
    let description = known["properties"]["description"].as_str().unwrap_or("");
    assert!(
        e["items"][0].as_str().unwrap().contains(description)
            && e["items"][0].as_str().unwrap().ends_with("0 m away"),
        "{check}"
    );
    assert_no_serious_axe_violations(&check);
}

/// A stand-in for a third party (a basemap's host, a geocoder) on another
/// port of this host, so another origin: it answers every request with
/// `answer(path)` (content type, body), allows any origin to read it
/// (CORS, as such services do), and records the paths asked for.
#[allow(clippy::unwrap_used, reason = "test helper: a panic fails the test")]
fn third_party(
    answer: fn(&str) -> (&'static str, String),
) -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let asked = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = asked.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut request = [0u8; 8192];
            let n = stream.read(&mut request).unwrap_or(0);
            let head = String::from_utf8_lossy(&request[..n]);
            let path = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
            log.lock().unwrap().push(path.clone());
            let (content_type, body) = answer(&path);
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\naccess-control-allow-origin: *\r\n\
                 content-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (origin, asked)
}

/// A configured basemap is drawn below partimap's layers: the overview
/// started with `--basemap-style` (a stand-in basemap host on another
/// origin) has the basemap's layers, prefixed, under the procedures, its
/// ground in place of partimap's, its relative data URL resolved against
/// the style's; the browser asks the basemap's host for its style and data
/// only — the one third party the operator chose.
#[test]
fn a_configured_basemap_is_drawn_below_the_procedures() {
    let (basemap, asked) = third_party(|path| {
        if path.ends_with("/land.geojson") {
            (
                "application/geo+json",
                r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[2,47],[15,47],[15,56],[2,56],[2,47]]]}}]}"#.to_owned(),
            )
        } else {
            (
                "application/json",
                r##"{"version":8,"name":"Stand-in basemap","sources":{"land":{"type":"geojson","data":"land.geojson","attribution":"Stand-in basemap"}},"layers":[{"id":"ground","type":"background","paint":{"background-color":"#dde8f0"}},{"id":"land","type":"fill","source":"land","paint":{"fill-color":"#e4eedd"}}]}"##.to_owned(),
            )
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(&[
        "--data-dir",
        dir.path().to_str().unwrap(),
        "--basemap-style",
        &format!("{basemap}/styles/basemap.json"),
    ]);
    let eval = r#"async () => {
        const map = window.partimapMap;
        const { sleep, until } = window.partimapTest;
        const drawn = await until(() => map.getLayer('basemap:land') && map.loaded() && map.areTilesLoaded());
        const layers = map.getStyle().layers.map((l) => l.id);
        // A point with nothing of partimap's near it: the basemap's land.
        const canvas = map.getCanvas();
        const rgb = await new Promise((resolve) => {
            map.once('render', () => {
                const gl = canvas.getContext('webgl2') || canvas.getContext('webgl');
                const px = new Uint8Array(4);
                const at = map.project([9.3, 50.45]);
                const ratio = canvas.width / canvas.clientWidth;
                gl.readPixels(Math.round(at.x * ratio), Math.round(canvas.height - at.y * ratio), 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, px);
                resolve([px[0], px[1], px[2]]);
            });
            map.triggerRepaint();
        });
        return {drawn, layers, rgb, attribution: document.querySelector('.maplibregl-ctrl-attrib').textContent};
    }"#;
    let check = node("browser-check.mjs", &[&server.url("/"), "--eval", eval]);
    assert_eq!(check["console_errors"], serde_json::json!([]), "{check}");
    assert_eq!(check["console_warnings"], serde_json::json!([]), "{check}");
    let e = &check["eval"];
    assert_eq!(e["drawn"], true, "{check}");
    let layers: Vec<&str> = e["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    let at = |id: &str| {
        layers
            .iter()
            .position(|l| *l == id)
            .unwrap_or_else(|| panic!("{id} in {layers:?}"))
    };
    assert!(at("basemap:ground") < at("basemap:land"), "{layers:?}");
    assert!(at("basemap:land") < at("nrw-outline-line"), "{layers:?}");
    assert!(at("nrw-outline-line") < at("procedure-areas"), "{layers:?}");
    assert!(
        !layers.contains(&"background") && !layers.contains(&"nrw-outline-fill"),
        "the basemap draws the ground: {layers:?}"
    );
    // #e4eedd, the stand-in's land, near Siegen's south-east where no
    // procedure is drawn.
    assert_eq!(e["rgb"], serde_json::json!([0xe4, 0xee, 0xdd]), "{check}");
    assert!(
        e["attribution"]
            .as_str()
            .unwrap()
            .contains("Stand-in basemap"),
        "{check}"
    );
    // The browser asked the basemap's host for its style and its data, and
    // no other host than partimap's and the basemap's.
    let asked = asked.lock().unwrap().clone();
    assert!(
        asked.contains(&"/styles/basemap.json".to_owned()),
        "{asked:?}"
    );
    assert!(
        asked.contains(&"/styles/land.geojson".to_owned()),
        "{asked:?}"
    );
    assert_requests_only_to(&check, &[&basemap]);
}

/// Where a geocoder is configured, the reporter takes an address: typed,
/// searched (the browser asks the geocoder — a stand-in on another origin
/// answering as Nominatim does — with the text and the map's view), a hit
/// chosen places the marker there and fills the coordinates. Without one
/// the address field is not offered (the other reporter tests).
#[test]
fn the_reporter_places_the_marker_at_an_address_from_the_geocoder() {
    let (geocoder, asked) = third_party(|_| {
        (
            "application/json",
            r#"[{"display_name":"Koblenzer Straße 5, 57072 Siegen","lat":"50.8602","lon":"8.0108"},{"display_name":"Koblenzer Straße 5, 56073 Koblenz","lat":"50.3480","lon":"7.5760"}]"#.to_owned(),
        )
    });
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(&[
        "--data-dir",
        dir.path().to_str().unwrap(),
        "--geocoder-url",
        &format!("{geocoder}/search"),
    ]);
    let id = reporter(&server, "Mängelmelder Siegen");
    let eval = r#"async () => {
        const { sleep, until } = window.partimapTest;
        const $ = (s) => document.querySelector(s);
        const offered = await until(() => !$('#melden').hidden && !$('#melden-adresse-zeile').hidden);
        $('#melden-adresse').value = 'Koblenzer Straße 5';
        $('#melden-adresse-suchen').click();
        const found = await until(() => document.querySelectorAll('#melden-adresse-treffer button').length === 2);
        const hits = Array.from(document.querySelectorAll('#melden-adresse-treffer button')).map((b) => b.textContent);
        const note = $('#melden-adresse-hinweis').textContent;
        document.querySelector('#melden-adresse-treffer button').click();
        const chosen = {lon: $('#melden-lon').value, lat: $('#melden-lat').value,
            marker: !!document.querySelector('.report-marker'), placed: $('#melden-adresse-hinweis').textContent};
        // Wait for the map to arrive there: --drag drags the marker next.
        const map = window.partimapMap;
        await sleep(100);
        await until(() => !map.isMoving());
        const at = map.project([Number(chosen.lon), Number(chosen.lat)]);
        const expected = map.unproject([at.x + 80, at.y]);
        return Object.assign({offered, found, hits, note, expected: {lon: expected.lng, lat: expected.lat}}, chosen);
    }"#;
    let check = node(
        "browser-check.mjs",
        &[
            &server.url(&format!("/embed/procedures/{id}")),
            "--eval",
            eval,
            "--drag",
            ".report-marker@80,0",
            "--then-eval",
            "async () => { await new Promise((r) => setTimeout(r, 200)); \
             return {lon: Number(document.getElementById('melden-lon').value), \
             lat: Number(document.getElementById('melden-lat').value)}; }",
            "--axe",
        ],
    );
    assert_eq!(check["console_errors"], serde_json::json!([]), "{check}");
    assert_eq!(check["console_warnings"], serde_json::json!([]), "{check}");
    let e = &check["eval"];
    assert_eq!(e["offered"], true, "{check}");
    assert_eq!(e["found"], true, "{check}");
    assert_eq!(
        e["hits"],
        serde_json::json!([
            "Koblenzer Straße 5, 57072 Siegen",
            "Koblenzer Straße 5, 56073 Koblenz"
        ]),
        "{check}"
    );
    assert_eq!(
        e["note"], "2 Treffer – wählen Sie einen, um den Ort zu setzen:",
        "{check}"
    );
    assert_eq!(e["lon"], "8.010800", "{check}");
    assert_eq!(e["lat"], "50.860200", "{check}");
    assert_eq!(e["marker"], true, "{check}");
    assert_eq!(
        e["placed"],
        "Ort gesetzt: Koblenzer Straße 5, 57072 Siegen. Ziehen Sie die Markierung, um ihn zu korrigieren.",
        "{check}"
    );
    // Dragged 80 px east with the real mouse: the coordinates follow to
    // where it was dropped (to the metre).
    let dragged = &check["then_eval"];
    let (lon, lat) = (
        dragged["lon"].as_f64().unwrap(),
        dragged["lat"].as_f64().unwrap(),
    );
    let (want_lon, want_lat) = (
        e["expected"]["lon"].as_f64().unwrap(),
        e["expected"]["lat"].as_f64().unwrap(),
    );
    assert!(lon > 8.0108 + 1e-4, "moved east: {check}");
    assert!(
        (lon - want_lon).abs() < 2e-5 && (lat - want_lat).abs() < 2e-5,
        "where it was dropped: {check}"
    );
    // The geocoder was asked once, with the text and the map's view.
    let asked = asked.lock().unwrap().clone();
    assert_eq!(asked.len(), 1, "{asked:?}");
    let url = reqwest::Url::parse(&format!("{geocoder}{}", asked[0])).unwrap();
    let query: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(url.path(), "/search", "{asked:?}");
    assert_eq!(query["q"], "Koblenzer Straße 5", "{asked:?}");
    assert_eq!(query["format"], "jsonv2", "{asked:?}");
    assert_eq!(query["viewbox"].split(',').count(), 4, "{asked:?}");
    assert_requests_only_to(&check, &[&geocoder]);
    assert_no_serious_axe_violations(&check);
}

/// The embed of one procedure: fitted to its area, its reports drawn, the
/// wheel left to the host page, the snippet for a portal editor, nothing
/// serious or critical for axe-core, no request to another origin; an
/// unknown procedure is a 404 that says so.
#[test]
fn the_embed_fits_to_its_procedure_and_offers_the_snippet() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let id = reporter(&server, "Mängelmelder Siegen");

    // Framed by partimap itself and by the organisation's portal only.
    let page = server.get(&format!("/embed/procedures/{id}"));
    assert_eq!(page.status(), 200);
    assert_eq!(
        page.headers()["content-security-policy"],
        "frame-ancestors 'self' https://beteiligung.nrw.de"
    );

    let missing = server.get("/embed/procedures/999999");
    assert_eq!(missing.status(), 404);
    assert_eq!(
        missing.headers()["content-type"],
        "application/problem+json"
    );
    let body: serde_json::Value = missing.json().unwrap();
    assert_eq!(body["detail"], "no procedure \"999999\" is on the map");
    assert_eq!(server.get("/embed/procedures/siegen").status(), 404);

    let out = repo_root().join("tests/output");
    std::fs::create_dir_all(&out).unwrap();
    let screenshot = out.join("embed.png");
    let eval = "() => { const m = window.partimapMap; const b = m.getBounds(); \
        return {zoom: m.getZoom(), bounds: [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()], \
        title: document.getElementById('embed-titel').textContent, \
        snippet: document.getElementById('embed-code').value, \
        snippet_hidden: document.getElementById('embed-snippet').hidden, \
        cooperative: m.cooperativeGestures.isEnabled(), host: window.partimapHostOrigin, \
        procedures: Array.from(new Set(m.queryRenderedFeatures({layers: ['procedure-areas', 'procedure-points']}) \
            .map((f) => f.properties.id !== undefined ? f.properties.id : f.id)))}; }";
    let check = node(
        "browser-check.mjs",
        &[
            &server.url(&format!("/embed/procedures/{id}")),
            "--eval",
            eval,
            "--axe",
            "--screenshot",
            screenshot.to_str().unwrap(),
        ],
    );
    assert_eq!(check["loaded"], true, "{check}");
    assert_eq!(check["console_errors"], serde_json::json!([]), "{check}");
    assert_eq!(check["failed_requests"], serde_json::json!([]), "{check}");
    assert_eq!(
        check["third_party_requests"],
        serde_json::json!([]),
        "{check}"
    );
    assert_eq!(check["title"], "Karte: Mängelmelder Siegen", "{check}");
    let e = &check["eval"];
    // Fitted: the view holds Siegen's reporter (its area is about 7 by 4 km
    // around 8.02 E, 50.87 N) and not much more.
    let b: Vec<f64> = e["bounds"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_f64())
        .collect();
    assert!(
        b[0] < 8.0 && b[2] > 8.05 && b[1] < 50.86 && b[3] > 50.89,
        "{check}"
    );
    assert!(b[2] - b[0] < 0.5, "fitted, not the state: {check}");
    assert!(e["zoom"].as_f64().unwrap() > 11.0, "{check}");
    // Its area and its reports (clusters and single ones) are drawn, and
    // no other procedure.
    let rendered = &check["rendered"]["by_layer"];
    assert!(
        rendered["procedure-areas"].as_u64().unwrap_or(0) > 0,
        "{check}"
    );
    assert!(
        rendered["reports"].as_u64().unwrap_or(0)
            + rendered["report-clusters"].as_u64().unwrap_or(0)
            >= 3,
        "{check}"
    );
    assert_eq!(e["procedures"], serde_json::json!([id]), "{check}");
    assert_eq!(
        e["cooperative"], true,
        "the wheel scrolls the host page: {check}"
    );
    assert_eq!(
        e["host"],
        serde_json::Value::Null,
        "opened on its own: {check}"
    );
    assert_eq!(e["snippet_hidden"], false, "{check}");
    let snippet = e["snippet"].as_str().unwrap();
    assert!(snippet.starts_with("<iframe "), "{snippet}");
    assert!(
        snippet.contains(&format!("/embed/procedures/{id}\"")),
        "{snippet}"
    );
    assert!(
        snippet.contains("title=\"Karte: Mängelmelder Siegen\""),
        "{snippet}"
    );
    assert!(snippet.contains("loading=\"lazy\""), "{snippet}");
    assert_no_serious_axe_violations(&check);
    assert!(screenshot.exists());
}

/// The defect reporter of the embed, driven like a citizen: sending without
/// a place asks for one, the API's problems show at their fields (in
/// German), a report placed by typed coordinates and sent is stored (read
/// back from the API, its text verbatim) and — Siegen's reporter publishes
/// at once — drawn on the map.
#[test]
fn a_report_placed_and_sent_in_the_embed_is_stored_and_drawn() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let id = reporter(&server, "Mängelmelder Siegen");
    let eval = r#"async () => {
    const map = window.partimapMap;
    const { sleep, until } = window.partimapTest;
    const $ = (s) => document.querySelector(s);
    const shown = await until(() => !$('#melden').hidden && $('#melden-kategorie').options.length > 1);
    const categories = Array.from($('#melden-kategorie').options).map((o) => o.value);
    // Sent without place: asked for one. Then with a place but nothing else.
    $('#melden-senden').click();
    const unplaced = $('#melden-ort-fehler').textContent;
    const set = (el, v) => { el.value = v; el.dispatchEvent(new Event('change', {bubbles: true})); };
    set($('#melden-lon'), '8.0108');
    set($('#melden-lat'), '50.8602');
    $('#melden-senden').click();
    await until(() => $('#melden-kategorie-fehler').textContent !== '');
    const problems = {
        category: $('#melden-kategorie-fehler').textContent,
        description: $('#melden-beschreibung-fehler').textContent,
        invalid: Array.from(document.querySelectorAll('[aria-invalid="true"]')).map((e) => e.id),
        notice: $('#melden-hinweis').textContent,
    };
    set($('#melden-kategorie'), 'litter');
    $('#melden-beschreibung').value = 'Wilder Müll am <b>Wegrand</b>';
    $('#melden-senden').click();
    await until(() => window.partimapLastReport || !$('#melden-trotzdem').hidden);
    let duplicate = null;
    if (!window.partimapLastReport) {
        duplicate = $('#melden-hinweis').textContent;
        $('#melden-trotzdem').click();
        await until(() => window.partimapLastReport);
    }
    const report = window.partimapLastReport;
    const notice = $('#melden-hinweis').textContent;
    const drawn = await until(() => map.loaded() && map.queryRenderedFeatures({layers: ['reports']})
        .some((f) => f.properties.id === report.id));
    return {shown, categories, unplaced, problems, duplicate, report, notice, drawn, zoom: map.getZoom()};
}"#;
    let check = node(
        "browser-check.mjs",
        &[
            &server.url(&format!("/embed/procedures/{id}")),
            "--eval",
            eval,
            "--axe",
        ],
    );
    // The one error the console shows is the browser's own line for the
    // 422 the test provokes.
    let errors = check["console_errors"].as_array().unwrap();
    assert!(
        errors
            .iter()
            .all(|e| e["text"].as_str().unwrap_or("").contains("422")),
        "{check}"
    );
    assert_eq!(
        check["third_party_requests"],
        serde_json::json!([]),
        "{check}"
    );
    let e = &check["eval"];
    assert_eq!(e["shown"], true, "{check}");
    assert_eq!(
        e["categories"],
        serde_json::json!([
            "",
            "road_damage",
            "street_light",
            "litter",
            "playground",
            "winter_service"
        ]),
        "{check}"
    );
    assert_eq!(
        e["unplaced"], "Bitte setzen Sie zuerst den Ort auf der Karte.",
        "{check}"
    );
    assert_eq!(
        e["problems"]["category"], "Bitte wählen Sie eine Kategorie.",
        "{check}"
    );
    assert_eq!(
        e["problems"]["description"], "Bitte beschreiben Sie den Mangel (höchstens 4.000 Zeichen).",
        "{check}"
    );
    assert_eq!(
        e["problems"]["invalid"],
        serde_json::json!(["melden-kategorie", "melden-beschreibung"]),
        "{check}"
    );
    assert_eq!(
        e["notice"], "Danke! Ihre Meldung ist eingegangen und auf der Karte zu sehen.",
        "{check}"
    );
    assert_eq!(e["drawn"], true, "the report is on the map: {check}");
    // In the store, as sent.
    let report_id = e["report"]["id"].as_i64().unwrap();
    let stored: serde_json::Value = server
        .get(&format!("/api/v1/reports/{report_id}"))
        .json()
        .unwrap();
    assert_eq!(
        stored["properties"]["description"],
        "Wilder Müll am <b>Wegrand</b>"
    );
    assert_eq!(stored["properties"]["category"], "litter");
    assert_eq!(stored["properties"]["procedure_id"], id);
    let at = stored["geometry"]["coordinates"].as_array().unwrap();
    assert!((at[0].as_f64().unwrap() - 8.0108).abs() < 1e-6, "{stored}");
    assert!((at[1].as_f64().unwrap() - 50.8602).abs() < 1e-6, "{stored}");
    assert_no_serious_axe_violations(&check);
}

/// A pre-moderated defect reporter (Köln's): a report sent in the embed is
/// stored but not drawn, the citizen is told it appears once checked; after
/// the city's moderator publishes it, the embed draws it.
#[test]
fn a_pre_moderated_report_appears_on_the_map_once_published() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().to_str().unwrap();
    let moderator = common::token(
        &["--organisation", "stadt-koeln"],
        &["--data-dir", data_dir],
    );
    let server = Server::start(dir.path());
    let id = reporter(&server, "Mängelmelder Köln-Innenstadt");
    // A place inside the reporter's area: one of its public reports; sent
    // in another category, so that it is no duplicate.
    let existing: serde_json::Value = server
        .get(&format!(
            "/ogc/collections/reports/items?procedure={id}&limit=1"
        ))
        .json()
        .unwrap();
    let first = &existing["features"][0];
    let at = first["geometry"]["coordinates"].as_array().unwrap();
    let (lon, lat) = (at[0].as_f64().unwrap(), at[1].as_f64().unwrap());
    let category = if first["properties"]["category"] == "litter" {
        "road_damage"
    } else {
        "litter"
    };
    let send = format!(
        r#"async () => {{
        const map = window.partimapMap;
        const {{ sleep, until }} = window.partimapTest;
        const $ = (s) => document.querySelector(s);
        await until(() => !$('#melden').hidden && $('#melden-kategorie').options.length > 1);
        const set = (el, v) => {{ el.value = v; el.dispatchEvent(new Event('change', {{bubbles: true}})); }};
        set($('#melden-lon'), '{lon}');
        set($('#melden-lat'), '{lat}');
        set($('#melden-kategorie'), '{category}');
        $('#melden-beschreibung').value = 'Vor Prüfung nicht zu sehen';
        $('#melden-senden').click();
        await until(() => window.partimapLastReport);
        const report = window.partimapLastReport;
        await sleep(1500);
        await until(() => map.loaded());
        const drawn = map.queryRenderedFeatures({{layers: ['reports']}}).some((f) => f.properties.id === report.id);
        return {{report, drawn, notice: $('#melden-hinweis').textContent, zoom: map.getZoom()}};
    }}"#
    );
    let embed = server.url(&format!("/embed/procedures/{id}"));
    let check = node("browser-check.mjs", &[&embed, "--eval", &send]);
    let e = &check["eval"];
    assert_eq!(
        e["notice"],
        "Danke! Ihre Meldung ist eingegangen. Sie erscheint auf der Karte, sobald sie geprüft ist.",
        "{check}"
    );
    assert_eq!(e["report"]["properties"]["status"], "submitted", "{check}");
    assert_eq!(e["drawn"], false, "not drawn before moderation: {check}");
    assert!(e["zoom"].as_f64().unwrap() >= 15.0, "{check}");
    let report = e["report"]["id"].as_i64().unwrap();
    assert_eq!(
        server.get(&format!("/api/v1/reports/{report}")).status(),
        404
    );

    let published = reqwest::blocking::Client::new()
        .patch(server.url(&format!("/api/v1/reports/{report}")))
        .bearer_auth(&moderator)
        .json(&serde_json::json!({"status": "published"}))
        .send()
        .unwrap();
    assert_eq!(published.status(), 200, "{:?}", published.text());

    let look = format!(
        r#"async () => {{
        const map = window.partimapMap;
        const {{ sleep, until }} = window.partimapTest;
        map.jumpTo({{center: [{lon}, {lat}], zoom: 16}});
        for (let i = 0; i < 100; i++) {{
            await sleep(100);
            if (map.loaded() && map.queryRenderedFeatures({{layers: ['reports']}}).some((f) => f.properties.id === {report})) return true;
        }}
        return false;
    }}"#
    );
    let check = node("browser-check.mjs", &[&embed, "--eval", &look]);
    assert_eq!(check["eval"], true, "drawn once published: {check}");
    assert_eq!(check["console_errors"], serde_json::json!([]), "{check}");
}

/// Done inside the embed's frame of a portal's page: a rendered report
/// (or cluster) chosen on the map, then a report sent through the form.
const FRAME_ACTIONS: &str = r#"async () => {
    const { sleep, until } = window.partimapTest;
    const $ = (s) => document.querySelector(s);
    await until(() => window.partimapIdle && !$('#melden').hidden && $('#melden-kategorie').options.length > 1);
    const map = window.partimapMap;
    const hit = map.queryRenderedFeatures({layers: ['reports', 'report-clusters']})[0];
    const lngLat = {lng: hit.geometry.coordinates[0], lat: hit.geometry.coordinates[1]};
    map.fire('click', {point: map.project(lngLat), lngLat, originalEvent: new MouseEvent('click')});
    const selected = {layer: hit.sourceLayer, id: hit.properties.id !== undefined ? hit.properties.id : hit.id};
    const set = (el, v) => { el.value = v; el.dispatchEvent(new Event('change', {bubbles: true})); };
    set($('#melden-lon'), '8.0131');
    set($('#melden-lat'), '50.8711');
    set($('#melden-kategorie'), 'road_damage');
    $('#melden-beschreibung').value = 'Schlagloch vor dem Portal';
    $('#melden-senden').click();
    await until(() => window.partimapLastReport || !$('#melden-trotzdem').hidden);
    if (!window.partimapLastReport) { $('#melden-trotzdem').click(); await until(() => window.partimapLastReport); }
    return {selected, report: window.partimapLastReport && window.partimapLastReport.id};
}"#;

/// A portal's page on another origin frames the embed: allowed by
/// `--embed-origin`, it receives `partimap:ready` by `postMessage`
/// addressed to its origin (a message to any other origin would not
/// arrive) and makes no request beyond portal and partimap; a portal that
/// neither its organisation nor the server names is refused the frame
/// (CSP `frame-ancestors`) and hears nothing. A third portal uses the
/// optional embed script: the iframe is put into its element, the frame's
/// height follows the map page, and what is done in the frame (a report
/// chosen on the map, a report sent) reaches the portal as DOM events.
#[test]
fn the_embed_tells_an_allowed_host_page_it_is_ready_and_refuses_others() {
    use std::io::{Read, Write};

    /// A portal: another port of the same host is another origin. Every
    /// request gets a page around the body that `body` holds then.
    fn portal(body: std::sync::Arc<std::sync::Mutex<String>>) -> String {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let origin = format!("http://{}", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut request = [0u8; 4096];
                let _ = stream.read(&mut request);
                let body = body.lock().unwrap().clone();
                let page = format!(
                    "<!DOCTYPE html><html lang=\"de\"><head><meta charset=\"utf-8\"><title>Portal</title>\
                     <link rel=\"icon\" href=\"data:,\"></head><body><main><h1>Portal</h1>\
                     <script>window.messages = []; window.addEventListener('message', function (e) {{ \
                     window.messages.push({{origin: e.origin, data: e.data}}); }});</script>\
                     {body}</main></body></html>"
                );
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{page}",
                    page.len()
                );
            }
        });
        origin
    }

    let body = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let allowed = portal(body.clone());
    let other = portal(body.clone());
    let scripted = portal(body.clone());
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(&[
        "--data-dir",
        dir.path().to_str().unwrap(),
        "--embed-origin",
        &allowed,
        "--embed-origin",
        &scripted,
    ]);
    let id = reporter(&server, "Mängelmelder Siegen");
    *body.lock().unwrap() = format!(
        "<iframe src=\"{}\" title=\"Karte\" width=\"900\" height=\"700\"></iframe>",
        server.url(&format!("/embed/procedures/{id}"))
    );
    let policy = server.get(&format!("/embed/procedures/{id}"));
    assert_eq!(
        policy.headers()["content-security-policy"],
        format!("frame-ancestors 'self' https://beteiligung.nrw.de {allowed} {scripted}").as_str()
    );

    let ready = "window.messages && window.messages.some((m) => m.data && m.data.type === 'partimap:ready')";
    let check = node(
        "browser-check.mjs",
        &[
            &format!("{allowed}/verfahren/maengelmelder-siegen"),
            "--wait-for",
            ready,
            "--eval",
            "() => window.messages",
        ],
    );
    assert_eq!(check["loaded"], true, "{check}");
    assert_eq!(check["console_errors"], serde_json::json!([]), "{check}");
    let partimap_origin = server.url("");
    let partimap_origin = partimap_origin.trim_end_matches('/');
    let messages = check["eval"]
        .as_array()
        .unwrap_or_else(|| panic!("{check}"));
    let message = messages
        .iter()
        .find(|m| m["data"]["type"] == "partimap:ready")
        .unwrap_or_else(|| panic!("{check}"));
    assert_eq!(message["origin"], partimap_origin, "{check}");
    assert_eq!(message["data"]["procedure"], id, "{check}");
    // The portal's page asks partimap (through the frame) and nobody else.
    assert_requests_only_to(
        &check,
        &[partimap_origin, &format!("blob:{partimap_origin}")],
    );

    // Another portal: the frame is refused, nothing is heard.
    let check = node(
        "browser-check.mjs",
        &[
            &format!("{other}/verfahren/maengelmelder-siegen"),
            "--wait-for",
            ready,
            "--timeout-ms",
            "6000",
            "--eval",
            "() => window.messages",
        ],
    );
    assert_eq!(check["loaded"], false, "{check}");
    assert_eq!(check["eval"], serde_json::json!([]), "{check}");
    // Nothing of the map was loaded into the refused frame.
    let requests = check["requests"].as_array().unwrap();
    assert!(
        !requests
            .iter()
            .any(|r| r.as_str().unwrap_or_default().contains("/assets/embed.js")),
        "{check}"
    );

    // The optional script (as the snippet offers it): it puts the iframe
    // into the element, the map's messages arrive as DOM events on it, and
    // the frame's height follows the map page's.
    *body.lock().unwrap() = format!(
        "<div id=\"karte\" data-partimap-procedure=\"{id}\" data-title=\"Karte: Mängelmelder Siegen\"></div>\
         <script>window.events = []; ['partimap:ready', 'partimap:feature-selected', 'partimap:report-submitted']\
         .forEach(function (type) {{ document.getElementById('karte').addEventListener(type, \
         function (e) {{ window.events.push(e.detail); }}); }});</script>\
         <script src=\"{}\" async></script>",
        server.url("/assets/embed-loader.js")
    );
    let check = node(
        "browser-check.mjs",
        &[
            &format!("{scripted}/verfahren/maengelmelder-siegen"),
            "--wait-for",
            "window.events && window.events.length > 0 && Number(document.querySelector('#karte iframe').height) !== 480",
            "--frame-eval",
            FRAME_ACTIONS,
            "--eval",
            "async () => { const f = document.querySelector('#karte iframe'); \
             for (let i = 0; i < 100 && !window.events.some((e) => e.type === 'partimap:report-submitted'); i++) \
             await new Promise((r) => setTimeout(r, 50)); \
             return {events: window.events, src: f.src, title: f.title, loading: f.loading, height: Number(f.height)}; }",
        ],
    );
    assert_eq!(check["loaded"], true, "{check}");
    assert_eq!(check["console_errors"], serde_json::json!([]), "{check}");
    let e = &check["eval"];
    assert_eq!(e["events"][0]["type"], "partimap:ready", "{check}");
    assert_eq!(e["events"][0]["procedure"], id, "{check}");
    // What was done in the frame reached the portal's page as events: the
    // report feature chosen, the report sent (its id, published at once in
    // Siegen's post-moderated reporter).
    let frame = &check["frame_eval"];
    let selected = e["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["type"] == "partimap:feature-selected")
        .unwrap_or_else(|| panic!("{check}"));
    assert_eq!(selected["procedure"], id, "{check}");
    assert_eq!(selected["layer"], frame["selected"]["layer"], "{check}");
    assert_eq!(selected["id"], frame["selected"]["id"], "{check}");
    let submitted = e["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["type"] == "partimap:report-submitted")
        .unwrap_or_else(|| panic!("{check}"));
    assert_eq!(submitted["report"], frame["report"], "{check}");
    assert_eq!(submitted["published"], true, "{check}");
    let stored: serde_json::Value = server
        .get(&format!("/api/v1/reports/{}", frame["report"]))
        .json()
        .unwrap();
    assert_eq!(
        stored["properties"]["description"], "Schlagloch vor dem Portal",
        "{check}"
    );
    assert_eq!(
        e["src"],
        server.url(&format!("/embed/procedures/{id}")),
        "{check}"
    );
    assert_eq!(e["title"], "Karte: Mängelmelder Siegen", "{check}");
    assert_eq!(e["loading"], "lazy", "{check}");
    let height = e["height"].as_f64().unwrap();
    assert!(
        (500.0..=2000.0).contains(&height),
        "the frame follows the page: {check}"
    );
    assert_requests_only_to(
        &check,
        &[partimap_origin, &format!("blob:{partimap_origin}")],
    );
}
