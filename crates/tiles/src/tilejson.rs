//! `GET /tiles.json` (TileJSON 3.0.0) and `GET /style.json` (a MapLibre
//! style). Both carry the filter of their query into the URLs they name, so
//! that a portal embedding one procedure asks for `/style.json?procedure=7`
//! and gets that procedure's tiles and bounds.

use axum::{
    Json, Router,
    extract::{RawQuery, State},
    http::{HeaderMap, HeaderValue, header},
    response::{IntoResponse, Response},
    routing::get,
};
use geo::Coord;
use partimap_index::{MAX_ZOOM, mercator};
use serde_json::{Value, json};

use crate::{TilesState, params, problem::HttpError, render, today};

/// The extent of North Rhine-Westphalia (west, south, east, north): the
/// bounds when a filter admits nothing.
pub const NRW_BOUNDS: [f64; 4] = [5.86, 50.32, 9.46, 52.53];

const STYLE_TEMPLATE: &str = include_str!("../web/style.json");

pub fn router(state: TilesState) -> Router {
    Router::new()
        .route("/tiles.json", get(tilejson))
        .route("/style.json", get(style))
        .with_state(state)
}

/// The query string re-encoded from the parameters we understand, in a fixed
/// order, so equal filters give equal URLs (and share cache entries).
fn canonical_query(query: Option<&str>) -> String {
    let mut pairs: Vec<(String, String)> = form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    pairs.sort_by_key(|(k, _)| params::NAMES.iter().position(|n| n == k));
    if pairs.is_empty() {
        return String::new();
    }
    let mut s = form_urlencoded::Serializer::for_suffix(String::from("?"), 1);
    for (k, v) in &pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

pub fn field_descriptions(cluster_below_zoom: u8) -> Value {
    json!([
        {
            "id": render::PROCEDURES,
            "description": "Participation procedures: their areas, or a point (their own, or their organisation's seat when they have no place)",
            "minzoom": 0,
            "maxzoom": MAX_ZOOM,
            "fields": {
                "id": "Number: the procedure's id (also the feature id)",
                "title": "String",
                "kind": "String: dialog, survey, event, formal_procedure, land_use_plan or reporting",
                "status": "String: upcoming, running or closed",
                "organisation": "String: the name of the organisation running it",
                "organisation_id": "Number",
                "start": "String: YYYY-MM-DD",
                "end": "String: YYYY-MM-DD, absent when open-ended",
                "url": "String: the procedure's page on the portal",
                "placement": "String: area, point or seat"
            }
        },
        {
            "id": render::CLUSTERS,
            "description": "Clusters of public reports of one procedure, below the zoom where reports are shown singly",
            "minzoom": 0,
            "maxzoom": cluster_below_zoom.saturating_sub(1),
            "fields": {
                "count": "Number: reports in the cluster (of the filter's categories)",
                "procedure_id": "Number",
                "expansion_zoom": "Number: the zoom at which the cluster splits",
                "category:<code>": "Number: reports of that category",
                "status:<status>": "Number: reports in that status (published, in_progress, resolved)"
            }
        },
        {
            "id": render::REPORTS,
            "description": "Public reports of defect reporters",
            "minzoom": 0,
            "maxzoom": MAX_ZOOM,
            "fields": {
                "id": "Number: the report's id (also the feature id)",
                "procedure_id": "Number",
                "category": "String: the category code",
                "status": "String: published, in_progress or resolved"
            }
        }
    ])
}

fn json_response(value: Value) -> Response {
    let mut response = Json(value).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, no-cache"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    response
}

/// TileJSON 3.0.0 of the tiles, the filter carried into the tile URLs, the
/// bounds of what the filter selects.
#[utoipa::path(
    get,
    path = "/tiles.json",
    tag = "tiles",
    params(crate::openapi::FilterParams),
    responses(
        (status = 200, description = "TileJSON 3.0.0", content_type = "application/json", body = Object),
        (status = 400, description = "An unknown filter parameter or value, named", body = partimap_http::ProblemDoc, content_type = "application/problem+json"),
    )
)]
async fn tilejson(
    State(state): State<TilesState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    let index = state.index();
    let filter = params::parse(query.as_deref(), &index)?;
    let bounds = index
        .bounds(&filter, today())
        .map(|e| {
            let (min, max) = (mercator::unproject(e.min), mercator::unproject(e.max));
            // Six decimals are about 10 cm: enough for fitting a map.
            [min.x, min.y, max.x, max.y].map(|v| (v * 1e6).round() / 1e6)
        })
        .unwrap_or(NRW_BOUNDS);
    // The centre in Web Mercator, where the map's middle is.
    let (sw, ne) = (
        mercator::project(Coord {
            x: bounds[0],
            y: bounds[1],
        }),
        mercator::project(Coord {
            x: bounds[2],
            y: bounds[3],
        }),
    );
    let centre = mercator::unproject(Coord {
        x: (sw.x + ne.x) / 2.0,
        y: (sw.y + ne.y) / 2.0,
    });
    let base = state.base_url(&headers);
    let query = canonical_query(query.as_deref());
    Ok(json_response(json!({
        "tilejson": "3.0.0",
        "name": "partimap",
        "description": "Participation procedures and defect reports in North Rhine-Westphalia",
        "attribution": "Beteiligung NRW",
        "scheme": "xyz",
        "tiles": [format!("{base}/tiles/{{z}}/{{x}}/{{y}}.mvt{query}")],
        "minzoom": 0,
        "maxzoom": MAX_ZOOM,
        "bounds": bounds,
        "center": [centre.x, centre.y, 8],
        "vector_layers": field_descriptions(index.config().cluster_below_zoom),
    })))
}

/// A MapLibre style drawing the layers, for the filter (`procedure=ID`: the
/// map of one procedure).
#[utoipa::path(
    get,
    path = "/style.json",
    tag = "tiles",
    params(crate::openapi::FilterParams),
    responses(
        (status = 200, description = "A MapLibre GL style", content_type = "application/json", body = Object),
        (status = 400, description = "An unknown filter parameter or value, named", body = partimap_http::ProblemDoc, content_type = "application/problem+json"),
    )
)]
async fn style(
    State(state): State<TilesState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    // Checked here so that a bad filter fails at once, not in every tile.
    drop(params::parse(query.as_deref(), &state.index())?);
    let base = state.base_url(&headers);
    let text = STYLE_TEMPLATE.replace(
        "__BASE_URL__/tiles.json",
        &format!("{base}/tiles.json{}", canonical_query(query.as_deref())),
    );
    let value: Value = serde_json::from_str(&text).map_err(|e| HttpError::internal(&e))?;
    Ok(json_response(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_style_template_is_json_with_one_source() {
        let style: Value = serde_json::from_str(STYLE_TEMPLATE).unwrap();
        assert_eq!(style["version"], 8);
        assert_eq!(
            style["sources"]["partimap"]["url"],
            "__BASE_URL__/tiles.json"
        );
        assert_eq!(style["sources"].as_object().unwrap().len(), 1);
        assert!(style.get("glyphs").is_none() && style.get("sprite").is_none());
    }

    #[test]
    fn queries_are_canonical() {
        assert_eq!(
            canonical_query(Some("category=a%20b&status=running")),
            "?status=running&category=a+b"
        );
        assert_eq!(canonical_query(None), "");
    }
}
