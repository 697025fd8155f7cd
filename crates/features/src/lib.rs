//! OGC API – Features (Part 1 Core with GeoJSON, Part 2 CRS by reference)
//! over partimap's procedures and public reports, so that QGIS and GDAL
//! (`OAPIF:` data sources) load them directly.
//!
//! - `/ogc` — the landing page; `/ogc/conformance`; `/ogc/collections` and
//!   `/ogc/collections/{procedures|reports}`.
//! - `/ogc/collections/{id}/items` — a page of features with `bbox`
//!   (and `bbox-crs`), `datetime`, `limit`, `offset`, `crs`, and the map's
//!   filters (`status` — default running, as on the map —, `kind`,
//!   `organisation`, `procedure`, `category`), with `numberMatched` and
//!   `next`/`prev` links; `/ogc/collections/{id}/items/{fid}` — one.
//!
//! What is selected comes from the same index and filter as the tiles
//! ([`items`]), so a layer in QGIS holds what the map shows; the features'
//! attributes come from the store (texts the index does not keep). Output
//! is CRS84 or, on request, EPSG:25832 ([`crs`]), with `Content-Crs`.
//! Reports are public ones only, never with the reporter's contact.

pub mod crs;
pub mod items;

use axum::{
    Json, Router,
    extract::{Path, RawQuery, State},
    http::{HeaderMap, header},
    response::{IntoResponse, Response},
    routing::get,
};
use partimap_http::HttpError;
use partimap_index::{Filter, mercator};
use partimap_store::Store;
use partimap_tiles::TilesState;
use serde_json::{Value, json};

/// What the feature API needs: the store for the features' attributes, the
/// tile server's index for the selection.
#[derive(Debug, Clone)]
pub struct FeaturesState {
    pub store: Store,
    /// Also gives the base of links (its public URL, or the request's
    /// host).
    pub tiles: TilesState,
}

pub fn router(state: FeaturesState) -> Router {
    Router::new()
        .route("/ogc", get(landing))
        .route("/ogc/", get(landing))
        .route("/ogc/conformance", get(conformance))
        .route("/ogc/collections", get(collections))
        .route("/ogc/collections/{collection}", get(collection))
        .route("/ogc/collections/{collection}/items", get(items::items))
        .route("/ogc/collections/{collection}/items/{id}", get(items::item))
        .with_state(state)
}

/// The routes of the feature API.
#[derive(Debug, utoipa::OpenApi)]
#[openapi(paths(
    landing,
    conformance,
    collections,
    collection,
    items::items,
    items::item
))]
pub struct FeaturesApi;

/// The collections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Collection {
    Procedures,
    Reports,
}

impl Collection {
    pub const ALL: [Self; 2] = [Self::Procedures, Self::Reports];

    pub fn id(self) -> &'static str {
        match self {
            Self::Procedures => "procedures",
            Self::Reports => "reports",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Self::Procedures => "Beteiligungsverfahren",
            Self::Reports => "Meldungen aus Mängelmeldern",
        }
    }

    fn description(self) -> &'static str {
        match self {
            Self::Procedures => {
                "Participation procedures of the portal: areas, or the authority's seat for procedures without one"
            }
            Self::Reports => {
                "Public reports of citizens in defect reporters (published, in progress, resolved)"
            }
        }
    }

    pub(crate) fn parse(id: &str) -> Result<Self, HttpError> {
        Self::ALL.into_iter().find(|c| c.id() == id).ok_or_else(|| {
            HttpError::not_found(format!(
                "no collection {id:?}; the collections are procedures, reports"
            ))
        })
    }
}

/// The absolute base of links: the tile server's (its public URL, or the
/// request's host).
pub(crate) fn base_url(state: &FeaturesState, headers: &HeaderMap) -> String {
    state.tiles.base_url(headers)
}

/// Only `f=json` (the one format) and nothing else on the pages that take
/// no parameters.
pub(crate) fn check_plain_query(query: Option<&str>) -> Result<(), HttpError> {
    for (name, value) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        match &*name {
            "f" if matches!(&*value, "json" | "application/json") => {}
            "f" => {
                return Err(HttpError::bad_request(format!(
                    "query parameter \"f\": {value:?} is not offered; the format is json"
                )));
            }
            _ => {
                return Err(HttpError::bad_request(format!(
                    "unknown query parameter {name:?}; this page takes only f=json"
                )));
            }
        }
    }
    Ok(())
}

fn json_response(value: Value) -> Response {
    ([(header::CACHE_CONTROL, "public, max-age=60")], Json(value)).into_response()
}

/// The landing page of OGC API – Features.
#[utoipa::path(get, path = "/ogc", tag = "ogc",
    responses((status = 200, description = "Links to conformance, collections and this document", content_type = "application/json", body = Object),
              (status = 400, description = "A parameter other than f=json", body = partimap_http::ProblemDoc, content_type = "application/problem+json")))]
async fn landing(
    State(state): State<FeaturesState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, HttpError> {
    check_plain_query(query.as_deref())?;
    let base = base_url(&state, &headers);
    Ok(json_response(json!({
        "title": "partimap: Beteiligungsverfahren und Meldungen",
        "description": "The participation procedures of the portal and the public reports of its defect reporters, as OGC API – Features",
        "links": [
            {"href": format!("{base}/ogc"), "rel": "self", "type": "application/json", "title": "this document"},
            {"href": format!("{base}/openapi.json"), "rel": "service-desc",
             "type": "application/vnd.oai.openapi+json;version=3.1", "title": "the OpenAPI document of partimap"},
            {"href": format!("{base}/ogc/conformance"), "rel": "conformance", "type": "application/json",
             "title": "the conformance classes implemented"},
            {"href": format!("{base}/ogc/collections"), "rel": "data", "type": "application/json",
             "title": "the collections"},
        ],
    })))
}

/// The conformance classes implemented.
pub const CONFORMS_TO: [&str; 3] = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
];

/// The conformance classes: Part 1 core and GeoJSON, Part 2 CRS.
#[utoipa::path(get, path = "/ogc/conformance", tag = "ogc",
    responses((status = 200, description = "conformsTo", content_type = "application/json", body = Object),
              (status = 400, description = "A parameter other than f=json", body = partimap_http::ProblemDoc, content_type = "application/problem+json")))]
async fn conformance(RawQuery(query): RawQuery) -> Result<Response, HttpError> {
    check_plain_query(query.as_deref())?;
    Ok(json_response(json!({ "conformsTo": CONFORMS_TO })))
}

/// A collection's description, with its extent (of everything in it).
fn describe(state: &FeaturesState, base: &str, c: Collection) -> Value {
    let index = state.tiles.index();
    let bbox = index
        .bounds(&Filter::everything(), chrono::Utc::now().date_naive())
        .map(|e| {
            let min = mercator::unproject(e.min);
            let max = mercator::unproject(e.max);
            [min.x, min.y, max.x, max.y]
        });
    let mut value = json!({
        "id": c.id(),
        "title": c.title(),
        "description": c.description(),
        "itemType": "feature",
        "crs": crs::ALL.map(crs::Crs::uri),
        "storageCrs": crs::CRS84_URI,
        "links": [
            {"href": format!("{base}/ogc/collections/{}", c.id()), "rel": "self", "type": "application/json"},
            {"href": format!("{base}/ogc/collections/{}/items", c.id()), "rel": "items",
             "type": "application/geo+json", "title": c.title()},
        ],
    });
    if let Some(bbox) = bbox {
        value["extent"] = json!({"spatial": {"bbox": [bbox], "crs": crs::CRS84_URI}});
    }
    value
}

/// The collections procedures and reports.
#[utoipa::path(get, path = "/ogc/collections", tag = "ogc",
    responses((status = 200, description = "Both collections with extent and CRS", content_type = "application/json", body = Object),
              (status = 400, description = "A parameter other than f=json", body = partimap_http::ProblemDoc, content_type = "application/problem+json")))]
async fn collections(
    State(state): State<FeaturesState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, HttpError> {
    check_plain_query(query.as_deref())?;
    let base = base_url(&state, &headers);
    let all: Vec<Value> = Collection::ALL
        .iter()
        .map(|c| describe(&state, &base, *c))
        .collect();
    Ok(json_response(json!({
        "links": [{"href": format!("{base}/ogc/collections"), "rel": "self", "type": "application/json"}],
        "collections": all,
    })))
}

/// One collection.
#[utoipa::path(get, path = "/ogc/collections/{collection}", tag = "ogc",
    params(("collection" = String, Path, description = "procedures or reports")),
    responses((status = 200, description = "The collection", content_type = "application/json", body = Object),
              (status = 404, description = "No such collection", body = partimap_http::ProblemDoc, content_type = "application/problem+json")))]
async fn collection(
    State(state): State<FeaturesState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, HttpError> {
    check_plain_query(query.as_deref())?;
    let c = Collection::parse(&id)?;
    let base = base_url(&state, &headers);
    Ok(json_response(describe(&state, &base, c)))
}
