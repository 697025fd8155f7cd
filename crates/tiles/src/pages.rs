//! The overview map page and its assets, all compiled into the binary: the
//! page works without network access beyond partimap itself.

use axum::{
    Router,
    extract::{Path, State},
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
    routing::get,
};
use partimap_model::ProcedureId;

use crate::{TilesState, problem::HttpError};

const INDEX_HTML: &str = include_str!("../web/index.html");
const OVERVIEW_JS: &str = include_str!("../web/overview.js");
const OVERVIEW_CSS: &str = include_str!("../web/overview.css");
const EMBED_HTML: &str = include_str!("../web/embed.html");
const EMBED_JS: &str = include_str!("../web/embed.js");
const EMBED_LOADER_JS: &str = include_str!("../web/embed-loader.js");
const PATTERNS_JS: &str = include_str!("../web/patterns.js");
const I18N_JS: &str = include_str!("../web/i18n.js");
const CLUSTERS_JS: &str = include_str!("../web/clusters.js");
const BASEMAP_JS: &str = include_str!("../web/basemap.js");
/// NRW's state boundary (Natural Earth, public domain; see data/README.md),
/// the style's `nrw-outline` source: the map's ground without a basemap.
pub const NRW_OUTLINE: &str = include_str!("../../../data/nrw-outline.geojson");
const MAPLIBRE_JS: &[u8] =
    include_bytes!(concat!(env!("PARTIMAP_MAPLIBRE_DIST"), "/maplibre-gl.js"));
const MAPLIBRE_CSS: &[u8] =
    include_bytes!(concat!(env!("PARTIMAP_MAPLIBRE_DIST"), "/maplibre-gl.css"));

pub fn router(state: TilesState) -> Router {
    Router::new()
        .route("/", get(overview))
        .route("/embed/procedures/{id}", get(embed))
        .route(
            "/assets/patterns.js",
            get(|| async { asset(PATTERNS_JS.as_bytes(), "text/javascript; charset=utf-8") }),
        )
        .route(
            "/assets/clusters.js",
            get(|| async { asset(CLUSTERS_JS.as_bytes(), "text/javascript; charset=utf-8") }),
        )
        .route(
            "/assets/i18n.js",
            get(|| async { asset(I18N_JS.as_bytes(), "text/javascript; charset=utf-8") }),
        )
        .route(
            "/assets/basemap.js",
            get(|| async { asset(BASEMAP_JS.as_bytes(), "text/javascript; charset=utf-8") }),
        )
        .route(
            "/assets/nrw-outline.geojson",
            get(|| async { asset(NRW_OUTLINE.as_bytes(), "application/geo+json") }),
        )
        .route(
            "/assets/embed-loader.js",
            get(|| async { asset(EMBED_LOADER_JS.as_bytes(), "text/javascript; charset=utf-8") }),
        )
        .route(
            "/assets/embed.js",
            get(|| async { asset(EMBED_JS.as_bytes(), "text/javascript; charset=utf-8") }),
        )
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
        .with_state(state)
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

/// The map of one procedure, made for an iframe in a portal's page: fitted
/// to the procedure's area, with its reports, and (opened on its own) the
/// snippet a portal editor copies. Its script reads the procedure from the
/// path.
#[utoipa::path(
    get,
    path = "/embed/procedures/{id}",
    tag = "pages",
    params(("id" = i64, Path, description = "The procedure")),
    responses(
        (status = 200, description = "The embeddable map page", content_type = "text/html", body = String),
        (status = 404, description = "No such procedure on the map", content_type = "application/problem+json", body = partimap_http::ProblemDoc),
    )
)]
async fn embed(
    State(state): State<TilesState>,
    Path(id): Path<String>,
) -> Result<Response, HttpError> {
    let ancestors = {
        let index = state.index();
        let procedure = id
            .parse::<i64>()
            .ok()
            .and_then(|n| index.procedure(ProcedureId(n)));
        let Some(procedure) = procedure else {
            return Err(HttpError::not_found(format!(
                "no procedure {id:?} is on the map"
            )));
        };
        frame_ancestors(
            index
                .organisation(procedure.facts.organisation)
                .map(|o| o.embed_origins.as_slice())
                .unwrap_or_default(),
            state.embed_origins(),
        )
    };
    let mut response = asset(EMBED_HTML.as_bytes(), "text/html; charset=utf-8");
    if let Ok(policy) = HeaderValue::from_str(&ancestors) {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    Ok(response)
}

/// The CSP of an embed: partimap itself, the procedure's organisation's
/// origins and the server-wide ones may frame it, no other page. The
/// origins were checked when they were configured (`is_origin`), so they
/// hold no character that could end the directive.
fn frame_ancestors(organisation: &[String], everywhere: &[String]) -> String {
    let mut policy = String::from("frame-ancestors 'self'");
    for origin in organisation.iter().chain(everywhere) {
        policy.push(' ');
        policy.push_str(origin);
    }
    policy
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
