//! The tile server's HTTP behaviour, through its router without a socket.

#![allow(clippy::unwrap_used, reason = "test fixtures: a panic fails the test")]

use std::sync::Arc;

use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use chrono::NaiveDate;
use geo::{MultiPolygon, Point, polygon};
use http_body_util::BodyExt;
use partimap_index::Index;
use partimap_model::{
    Area, Category, Organisation, OrganisationId, OrganisationKind, Procedure, ProcedureId,
    ProcedureKind, Report, ReportId, ReportStatus,
};
use partimap_tiles::{TilesState, router};
use tower::ServiceExt;

fn fixture() -> Index {
    let state = Organisation {
        id: OrganisationId(1),
        key: "land-nrw".into(),
        name: "Land Nordrhein-Westfalen".into(),
        kind: OrganisationKind::State,
        ags: Some("05".parse().unwrap()),
        parent: None,
        seat: Some(Point::new(6.7735, 51.2277)),
        embed_origins: Vec::new(),
    };
    let siegen = Organisation {
        id: OrganisationId(2),
        key: "stadt-siegen".into(),
        name: "Stadt Siegen".into(),
        kind: OrganisationKind::Municipality,
        ags: None,
        parent: Some(state.id),
        seat: Some(Point::new(8.0243, 50.8748)),
        embed_origins: Vec::new(),
    };
    let reporter = Procedure {
        id: ProcedureId(7),
        organisation: siegen.id,
        external_id: "maengelmelder".into(),
        title: "Mängelmelder Siegen".into(),
        summary: String::new(),
        kind: ProcedureKind::Reporting,
        start: NaiveDate::from_ymd_opt(2020, 1, 1).unwrap(),
        end: None,
        status_override: None,
        url: "https://beteiligung.nrw.de/portal/stadt-siegen".into(),
        area: Some(Area::Polygons(MultiPolygon(vec![polygon![
            (x: 8.00, y: 50.86), (x: 8.05, y: 50.86), (x: 8.05, y: 50.89), (x: 8.00, y: 50.89)
        ]]))),
        categories: vec![Category {
            code: "litter".into(),
            label: "Müll".into(),
        }],
        moderation: Default::default(),
        location_precision_m: None,
    };
    let law = Procedure {
        id: ProcedureId(8),
        organisation: state.id,
        external_id: "gesetz".into(),
        title: "Entwurf eines Gesetzes".into(),
        kind: ProcedureKind::FormalProcedure,
        area: None,
        categories: Vec::new(),
        ..reporter.clone()
    };
    let report = Report {
        id: ReportId(3),
        procedure: reporter.id,
        external_id: None,
        category: "litter".into(),
        description: "Müll".into(),
        status: ReportStatus::Published,
        location: Point::new(8.0243, 50.8748),
        created: chrono::DateTime::UNIX_EPOCH,
        contact: None,
    };
    Index::build(&[state, siegen], &[reporter, law], &[report])
}

async fn get(
    uri: &str,
    headers: &[(header::HeaderName, &str)],
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    get_from(TilesState::new(fixture(), None, 0), uri, headers).await
}

async fn get_from(
    state: TilesState,
    uri: &str,
    headers: &[(header::HeaderName, &str)],
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let app = router(state);
    let mut request = Request::get(uri);
    for (name, value) in headers {
        request = request.header(name, *value);
    }
    let response = app
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    (status, headers, body)
}

fn detail(body: &[u8]) -> String {
    let v: serde_json::Value = serde_json::from_slice(body).unwrap();
    v["detail"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn bad_tile_requests_are_answered_with_what_is_wrong() {
    let cases = [
        (
            "/tiles/99/0/0.mvt",
            StatusCode::BAD_REQUEST,
            "tile 99/0/0: zoom 99 is out of range: tiles exist for zoom 0 to 22",
        ),
        (
            "/tiles/3/9/0.mvt",
            StatusCode::BAD_REQUEST,
            "tile 3/9/0: x 9 is out of range at zoom 3: x must be 0 to 7",
        ),
        (
            "/tiles/3/0/8.mvt",
            StatusCode::BAD_REQUEST,
            "tile 3/0/8: y 8 is out of range at zoom 3: y must be 0 to 7",
        ),
        (
            "/tiles/a/b/c.mvt",
            StatusCode::BAD_REQUEST,
            "invalid tile path: zoom \"a\" is not a whole number; x \"b\" is not a whole number; y \"c\" is not a whole number",
        ),
        (
            "/tiles/-1/0/0.mvt",
            StatusCode::BAD_REQUEST,
            "invalid tile path: zoom \"-1\" is not a whole number",
        ),
        (
            "/tiles/1/0/0.png",
            StatusCode::NOT_FOUND,
            "tiles are served as /tiles/{z}/{x}/{y}.mvt, not /tiles/1/0/0.png",
        ),
        (
            "/tiles/6/33/21.mvt?colour=red",
            StatusCode::BAD_REQUEST,
            "unknown query parameter \"colour\"; expected one of: status, kind, organisation, procedure, category, from, until",
        ),
        (
            "/tiles/6/33/21.mvt?status=open",
            StatusCode::BAD_REQUEST,
            "query parameter \"status\": unknown procedure status \"open\"; expected one of: upcoming, running, closed",
        ),
        (
            "/tiles/6/33/21.mvt?kind=hearing",
            StatusCode::BAD_REQUEST,
            "query parameter \"kind\": unknown procedure kind \"hearing\"; expected one of: dialog, survey, event, formal_procedure, land_use_plan, reporting",
        ),
        (
            "/tiles/6/33/21.mvt?organisation=stadt-koeln",
            StatusCode::BAD_REQUEST,
            "query parameter \"organisation\": unknown organisation \"stadt-koeln\" (give its key or id)",
        ),
        (
            "/tiles/6/33/21.mvt?procedure=x",
            StatusCode::BAD_REQUEST,
            "query parameter \"procedure\": unknown procedure \"x\" (give its numeric id)",
        ),
        (
            "/tiles/6/33/21.mvt?procedure=7&procedure=8",
            StatusCode::BAD_REQUEST,
            "query parameter \"procedure\" is given twice; separate several values with commas",
        ),
        (
            "/tiles/6/33/21.mvt?kind=",
            StatusCode::BAD_REQUEST,
            "query parameter \"kind\" is empty",
        ),
        (
            "/tiles/6/33/21.mvt?until=2027-02-30",
            StatusCode::BAD_REQUEST,
            "query parameter \"until\": \"2027-02-30\" is not a date of the form YYYY-MM-DD",
        ),
        (
            "/tiles.json?from=2027-02-02&until=2027-02-01",
            StatusCode::BAD_REQUEST,
            "query parameters \"from\" and \"until\": the window starts (2027-02-02) after it ends (2027-02-01)",
        ),
        (
            "/tiles.json?status=open",
            StatusCode::BAD_REQUEST,
            "query parameter \"status\": unknown procedure status \"open\"; expected one of: upcoming, running, closed",
        ),
        (
            "/style.json?organisation=99",
            StatusCode::BAD_REQUEST,
            "query parameter \"organisation\": unknown organisation \"99\" (give its key or id)",
        ),
    ];
    for (uri, status, message) in cases {
        let (got, headers, body) = get(uri, &[]).await;
        assert_eq!(got, status, "{uri}");
        assert_eq!(
            headers[header::CONTENT_TYPE],
            "application/problem+json",
            "{uri}"
        );
        assert_eq!(detail(&body), message, "{uri}");
    }
}

#[tokio::test]
async fn a_tile_has_its_headers_and_revalidates_by_etag() {
    // Zoom 6 tile of Siegen.
    let (status, headers, body) =
        get("/tiles/6/33/21.mvt", &[(header::ACCEPT_ENCODING, "gzip")]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers[header::CONTENT_TYPE],
        "application/vnd.mapbox-vector-tile"
    );
    assert_eq!(headers[header::CONTENT_ENCODING], "gzip");
    assert_eq!(headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
    assert_eq!(&body[..2], &[0x1f, 0x8b], "a gzip stream");
    let mut raw = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&body[..]), &mut raw).unwrap();
    let (_, _, identity) = get("/tiles/6/33/21.mvt", &[]).await;
    assert_eq!(raw, identity, "the gzip body decodes to the tile");
    let etag = headers[header::ETAG].to_str().unwrap().to_owned();
    assert!(etag.starts_with('"') && etag.ends_with("-gz\""), "{etag}");

    let (status, headers, body) = get(
        "/tiles/6/33/21.mvt",
        &[
            (header::ACCEPT_ENCODING, "gzip"),
            (header::IF_NONE_MATCH, &etag),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert_eq!(headers[header::ETAG].to_str().unwrap(), etag);
    assert!(body.is_empty());

    let (status, headers, _) = get("/tiles/6/33/21.mvt", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers.get(header::CONTENT_ENCODING).is_none());
    assert_ne!(
        headers[header::ETAG].to_str().unwrap(),
        etag,
        "each representation has its own ETag"
    );
}

#[tokio::test]
async fn empty_tiles_are_204_and_filters_apply() {
    let (status, _, body) = get("/tiles/6/0/0.mvt", &[]).await;
    assert_eq!((status, body.len()), (StatusCode::NO_CONTENT, 0));
    // Siegen's reporter is running: a filter for closed procedures empties the tile.
    let (status, _, _) = get("/tiles/6/33/21.mvt?status=closed", &[]).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _, _) = get(
        "/tiles/6/33/21.mvt?status=running&organisation=land-nrw&kind=reporting",
        &[],
    )
    .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the state's filter includes its municipalities"
    );
}

#[tokio::test]
async fn tilejson_carries_the_filter_and_fits_the_procedure() {
    let (status, _, body) = get(
        "/tiles.json?procedure=7",
        &[(header::HOST, "karte.example:8080")],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["tilejson"], "3.0.0");
    assert_eq!(
        v["tiles"][0],
        "http://karte.example:8080/tiles/{z}/{x}/{y}.mvt?procedure=7"
    );
    let bounds: Vec<f64> = serde_json::from_value(v["bounds"].clone()).unwrap();
    let want = [8.0, 50.86, 8.05, 50.89];
    for (got, want) in bounds.iter().zip(want) {
        assert!((got - want).abs() < 1e-6, "{bounds:?}");
    }
    let layers: Vec<_> = v["vector_layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap())
        .collect();
    assert_eq!(layers, ["procedures", "clusters", "reports"]);
    assert!(v["vector_layers"][0]["fields"]["title"].is_string());

    let (status, _, body) = get(
        "/style.json?procedure=7",
        &[(header::HOST, "karte.example:8080")],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        v["sources"]["partimap"]["url"],
        "http://karte.example:8080/tiles.json?procedure=7"
    );
}

#[tokio::test]
async fn the_style_draws_the_outline_and_names_a_configured_basemap() {
    let host = [(header::HOST, "karte.example:8080")];
    let (status, _, body) = get("/style.json?status=running", &host).await;
    assert_eq!(status, StatusCode::OK);
    let plain: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        plain["sources"]["nrw-outline"]["data"],
        "http://karte.example:8080/assets/nrw-outline.geojson",
        "absolute, without the filter"
    );
    assert_eq!(
        plain["sources"]["partimap"]["url"],
        "http://karte.example:8080/tiles.json?status=running"
    );
    assert!(!String::from_utf8(body).unwrap().contains("__BASE_URL__"));
    assert!(plain["metadata"].get("partimap:basemap").is_none());

    let behind_proxy = TilesState::new(fixture(), Some("https://karte.nrw.example/".into()), 0);
    let (_, _, body) = get_from(behind_proxy, "/style.json", &host).await;
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        v["sources"]["nrw-outline"]["data"],
        "https://karte.nrw.example/assets/nrw-outline.geojson"
    );

    let basemap = "https://sgx.geodatenzentrum.de/gdz_basemapde_vektor/styles/bm_web_col.json";
    let state =
        TilesState::new(fixture(), None, 0).with_basemap_style(Some(basemap.parse().unwrap()));
    let (status, _, body) = get_from(state, "/style.json?procedure=7", &host).await;
    assert_eq!(status, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["metadata"]["partimap:basemap"], basemap);
    // Otherwise the same style: the pages put the basemap below it.
    assert_eq!(v["layers"], plain["layers"]);
    assert_eq!(v["sources"]["nrw-outline"], plain["sources"]["nrw-outline"]);
}

#[tokio::test]
async fn the_outline_is_one_polygon_around_nrw() {
    let (status, headers, body) = get("/assets/nrw-outline.geojson", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "application/geo+json");
    assert_eq!(headers[header::CACHE_CONTROL], "public, max-age=300");
    let text = String::from_utf8(body).unwrap();
    let geojson: geojson::GeoJson = text.parse().unwrap();
    let geojson::GeoJson::FeatureCollection(collection) = geojson else {
        panic!("not a FeatureCollection");
    };
    assert_eq!(collection.features.len(), 1);
    let feature = &collection.features[0];
    assert_eq!(feature.property("name").unwrap(), "Nordrhein-Westfalen");
    assert!(
        feature
            .property("license")
            .unwrap()
            .as_str()
            .unwrap()
            .contains("public domain")
    );
    let polygon = geo::Polygon::<f64>::try_from(feature.geometry.clone().unwrap().value).unwrap();
    let vertices = polygon.exterior().0.len() - 1;
    assert!((300..=2000).contains(&vertices), "{vertices}");
    let bbox = geo::BoundingRect::bounding_rect(&polygon).unwrap();
    let got = [bbox.min().x, bbox.min().y, bbox.max().x, bbox.max().y];
    for (got, want) in got.iter().zip(partimap_tiles::tilejson::NRW_BOUNDS) {
        assert!((got - want).abs() < 0.02, "{got:?} against {want}");
    }
    assert!(geo::Validation::is_valid(&polygon));
    for (city, lon, lat) in [
        ("Köln", 6.9583, 50.9375),
        ("Siegen", 8.0243, 50.8748),
        ("Münster", 7.6282, 51.9618),
        ("Bielefeld", 8.5325, 52.0212),
        ("Aachen", 6.0839, 50.7762),
    ] {
        assert!(
            geo::Contains::contains(&polygon, &Point::new(lon, lat)),
            "{city}"
        );
    }
    for (city, lon, lat) in [("Koblenz", 7.5942, 50.3569), ("Venlo", 6.1681, 51.3704)] {
        assert!(
            !geo::Contains::contains(&polygon, &Point::new(lon, lat)),
            "{city}"
        );
    }
}

#[tokio::test]
async fn the_page_and_its_assets_are_served_from_the_binary() {
    for (uri, content_type) in [
        ("/", "text/html; charset=utf-8"),
        ("/assets/maplibre-gl.js", "text/javascript; charset=utf-8"),
        ("/assets/maplibre-gl.css", "text/css; charset=utf-8"),
        ("/assets/overview.js", "text/javascript; charset=utf-8"),
        ("/assets/overview.css", "text/css; charset=utf-8"),
        ("/assets/basemap.js", "text/javascript; charset=utf-8"),
        ("/assets/nrw-outline.geojson", "application/geo+json"),
    ] {
        let (status, headers, body) = get(uri, &[]).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
        assert_eq!(headers[header::CONTENT_TYPE], content_type, "{uri}");
        assert!(body.len() > 500, "{uri}");
    }
    let (_, _, body) = get("/", &[]).await;
    let html = String::from_utf8(body).unwrap();
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no third-party URL in the page"
    );
}

async fn fetch(
    app: &axum::Router,
    uri: &str,
    encoding: &str,
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let request = Request::get(uri)
        .header(header::ACCEPT_ENCODING, encoding)
        .body(Body::empty())
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    (
        status,
        headers,
        response
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec(),
    )
}

fn cache_state(headers: &axum::http::HeaderMap) -> &str {
    headers["x-partimap-cache"].to_str().unwrap()
}

/// A second public report in Siegen's defect reporter.
fn second_report_in_siegen() -> Report {
    Report {
        id: ReportId(4),
        procedure: ProcedureId(7),
        external_id: None,
        category: "litter".into(),
        description: "Noch mehr Müll".into(),
        status: ReportStatus::Published,
        location: Point::new(8.0260, 50.8750),
        created: chrono::DateTime::UNIX_EPOCH,
        contact: None,
    }
}

#[tokio::test]
async fn a_change_invalidates_exactly_the_cached_tiles_it_touches() {
    let state = TilesState::new(fixture(), None, 64 << 20);
    let app = router(state.clone());
    // Zoom 14 tiles: Siegen's reporter (with its report), and the state's
    // seat in Düsseldorf (the draft law).
    let siegen = "/tiles/14/8557/5494.mvt";
    let duesseldorf = "/tiles/14/8500/5468.mvt";
    let siegen_dialogs = "/tiles/14/8557/5494.mvt?kind=dialog";
    for uri in [siegen, duesseldorf, siegen_dialogs] {
        let (_, headers, _) = fetch(&app, uri, "gzip").await;
        assert_eq!(cache_state(&headers), "miss", "{uri}");
        let (_, headers, _) = fetch(&app, uri, "gzip").await;
        assert_eq!(cache_state(&headers), "hit", "{uri}");
    }
    let (status, _, _) = fetch(&app, duesseldorf, "gzip").await;
    assert_eq!(status, StatusCode::OK, "the draft law is drawn at the seat");
    let (_, before, _) = fetch(&app, siegen, "identity").await;

    let report = second_report_in_siegen();
    let dropped = state.apply(&partimap_index::Changes {
        reports: vec![report],
        ..Default::default()
    });
    assert_eq!(
        dropped, 1,
        "one cached tile (Siegen's, unfiltered) showed the change"
    );

    let (_, headers, _) = fetch(&app, siegen, "identity").await;
    assert_eq!(cache_state(&headers), "miss");
    assert_ne!(
        headers[header::ETAG],
        before[header::ETAG],
        "the new tile has a new ETag"
    );
    let (_, headers, _) = fetch(&app, duesseldorf, "gzip").await;
    assert_eq!(cache_state(&headers), "hit", "a tile far away stays cached");
    let (_, headers, _) = fetch(&app, siegen_dialogs, "gzip").await;
    assert_eq!(
        cache_state(&headers),
        "hit",
        "a filter that excludes the reporter stays cached"
    );
    assert_eq!(
        state
            .cache()
            .stats
            .invalidated
            .load(std::sync::atomic::Ordering::Relaxed),
        1
    );
}

#[tokio::test]
async fn brotli_is_preferred_and_has_its_own_etag() {
    let app = router(TilesState::new(fixture(), None, 64 << 20));
    let (status, headers, body) = fetch(&app, "/tiles/6/33/21.mvt", "gzip, br").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_ENCODING], "br");
    assert!(headers[header::ETAG].to_str().unwrap().ends_with("-br\""));
    let mut raw = Vec::new();
    brotli::BrotliDecompress(&mut &body[..], &mut raw).unwrap();
    let (_, _, identity) = fetch(&app, "/tiles/6/33/21.mvt", "identity").await;
    assert_eq!(raw, identity, "the brotli body decodes to the tile");
}

#[tokio::test]
async fn metrics_count_tiles_per_zoom_and_cache_hits() {
    let app = router(TilesState::new(fixture(), None, 64 << 20));
    for _ in 0..3 {
        fetch(&app, "/tiles/6/33/21.mvt", "gzip").await;
    }
    let (status, headers, body) = fetch(&app, "/metrics", "identity").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    let text = String::from_utf8(body).unwrap();
    for line in [
        "partimap_tile_seconds_count{zoom=\"6\"} 3",
        "partimap_tile_bytes_count{zoom=\"6\"} 3",
        "partimap_tile_cache_hits_total 2",
        "partimap_tile_cache_misses_total 1",
        "partimap_tile_cache_tiles 1",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "{line} missing from:\n{text}"
        );
    }
}

#[tokio::test]
async fn a_tile_rendered_before_an_invalidation_is_not_cached_after_it() {
    use partimap_tiles::cache::{CacheKey, EncodedTile};
    let state = TilesState::new(fixture(), None, 64 << 20);
    let key = CacheKey {
        tile: partimap_index::TileCoord::new(14, 8557, 5494).unwrap(),
        filter: partimap_index::Filter::default(),
        day: NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
    };
    let cache = state.cache();
    let before = cache.generation();
    // A change lands while the tile is being drawn from the old index.
    let report = second_report_in_siegen();
    state.apply(&partimap_index::Changes {
        reports: vec![report],
        ..Default::default()
    });
    cache.insert(
        key.clone(),
        Arc::new(EncodedTile::new(12, vec![1, 2, 3])),
        before,
    );
    assert!(
        cache.get(&key).is_none(),
        "the possibly stale tile was not kept"
    );
    cache.insert(
        key.clone(),
        Arc::new(EncodedTile::new(12, vec![1, 2, 3])),
        cache.generation(),
    );
    assert!(cache.get(&key).is_some(), "a tile drawn after it is kept");
    assert_eq!(
        state.replace(fixture()),
        1,
        "replacing the index empties the cache"
    );
    assert!(cache.get(&key).is_none());
}
