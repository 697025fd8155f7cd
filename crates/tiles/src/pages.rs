//! The overview map page and its assets, all compiled into the binary: the
//! page works without network access beyond partimap itself.

use axum::{
    Router,
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
    routing::get,
};

const INDEX_HTML: &str = include_str!("../web/index.html");
const OVERVIEW_JS: &str = include_str!("../web/overview.js");
const OVERVIEW_CSS: &str = include_str!("../web/overview.css");
const MAPLIBRE_JS: &[u8] =
    include_bytes!(concat!(env!("PARTIMAP_MAPLIBRE_DIST"), "/maplibre-gl.js"));
const MAPLIBRE_CSS: &[u8] =
    include_bytes!(concat!(env!("PARTIMAP_MAPLIBRE_DIST"), "/maplibre-gl.css"));

pub fn router() -> Router {
    Router::new()
        .route("/", get(overview))
        .route(
            "/assets/overview.js",
            get(|| async { asset(OVERVIEW_JS.as_bytes(), "text/javascript; charset=utf-8") }),
        )
        .route(
            "/assets/overview.css",
            get(|| async { asset(OVERVIEW_CSS.as_bytes(), "text/css; charset=utf-8") }),
        )
        .route(
            "/assets/maplibre-gl.js",
            get(|| async { asset(MAPLIBRE_JS, "text/javascript; charset=utf-8") }),
        )
        .route(
            "/assets/maplibre-gl.css",
            get(|| async { asset(MAPLIBRE_CSS, "text/css; charset=utf-8") }),
        )
}

/// The overview map of every running procedure (its script, style and
/// MapLibre GL JS are served under `/assets/`, no third-party requests).
#[utoipa::path(
    get,
    path = "/",
    tag = "pages",
    responses((status = 200, description = "The overview map page", content_type = "text/html", body = String))
)]
async fn overview() -> Response {
    asset(INDEX_HTML.as_bytes(), "text/html; charset=utf-8")
}

fn asset(body: &'static [u8], content_type: &'static str) -> Response {
    let mut response = body.into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}
