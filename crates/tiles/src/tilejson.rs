//! `GET /tiles.json` (TileJSON 3.0.0) and `GET /style.json` (a MapLibre
//! style). Both carry the filter of their query into the URLs they name, so
//! that a portal embedding one procedure asks for `/style.json?procedure=7`
//! and gets that procedure's tiles and bounds.
//!
//! The style draws NRW's outline (`/assets/nrw-outline.geojson`) on a plain
//! background, so the map needs nothing from another host. With a basemap
//! configured (`--basemap-style`), the style names it in its metadata
//! (`partimap:basemap`) and the pages draw it below partimap's layers
//! (`basemap.js`): the browser fetches the basemap from its host, the
//! server never does.

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

/// Where the style template names partimap's base URL.
const BASE_URL: &str = "__BASE_URL__";

/// The metadata key naming the basemap's style URL.
pub const BASEMAP_KEY: &str = "partimap:basemap";
/// The style's metadata key naming the defect reporter's address search.
pub const GEOCODER_KEY: &str = "partimap:geocoder";

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
    // The tile source carries the filter; the outline is the same for all.
    let text = STYLE_TEMPLATE
        .replace(
            &format!("{BASE_URL}/tiles.json"),
            &format!("{base}/tiles.json{}", canonical_query(query.as_deref())),
        )
        .replace(BASE_URL, &base);
    let mut value: Value = serde_json::from_str(&text).map_err(|e| HttpError::internal(&e))?;
    if let Some(basemap) = state.basemap_style() {
        value["metadata"][BASEMAP_KEY] = Value::String(basemap.to_string());
    }
    if let Some(geocoder) = state.geocoder() {
        value["metadata"][GEOCODER_KEY] = Value::String(geocoder.to_string());
    }
    Ok(json_response(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_style_template_has_the_tiles_and_the_outline_and_nothing_else() {
        let style: Value = serde_json::from_str(STYLE_TEMPLATE).unwrap();
        assert_eq!(style["version"], 8);
        assert_eq!(
            style["sources"]["partimap"]["url"],
            "__BASE_URL__/tiles.json"
        );
        assert_eq!(style["sources"]["nrw-outline"]["type"], "geojson");
        assert_eq!(
            style["sources"]["nrw-outline"]["data"],
            "__BASE_URL__/assets/nrw-outline.geojson"
        );
        assert_eq!(style["sources"].as_object().unwrap().len(), 2);
        assert!(style.get("glyphs").is_none() && style.get("sprite").is_none());
        assert!(style["metadata"].get(BASEMAP_KEY).is_none());
        // Every URL in the template is partimap's own.
        for source in style["sources"].as_object().unwrap().values() {
            let url = source.get("url").or(source.get("data")).unwrap();
            assert!(url.as_str().unwrap().starts_with(BASE_URL), "{url}");
        }
    }

    #[test]
    fn the_outline_lies_above_the_background_and_below_the_procedures() {
        let style: Value = serde_json::from_str(STYLE_TEMPLATE).unwrap();
        let layers = style["layers"].as_array().unwrap();
        let ids: Vec<&str> = layers.iter().map(|l| l["id"].as_str().unwrap()).collect();
        assert_eq!(
            ids[..4],
            [
                "background",
                "nrw-outline-fill",
                "nrw-outline-line",
                "procedure-areas"
            ]
        );
        assert_eq!(layers[1]["source"], "nrw-outline");
        assert_eq!(layers[2]["source"], "nrw-outline");
        assert!(
            ids[3..]
                .iter()
                .all(|id| !id.starts_with("nrw-outline") && *id != "background")
        );
    }

    /// WCAG 2.x relative luminance of `#rrggbb`.
    fn luminance(hex: &str) -> f64 {
        let channel = |i: usize| {
            let c = f64::from(u8::from_str_radix(&hex[i..i + 2], 16).unwrap()) / 255.0;
            if c <= 0.040_45 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5)
    }

    fn contrast(a: &str, b: &str) -> f64 {
        let (la, lb) = (luminance(a), luminance(b));
        (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
    }

    #[test]
    fn the_border_has_non_text_contrast_on_both_sides() {
        assert!((contrast("#ffffff", "#000000") - 21.0).abs() < 1e-9);
        let style: Value = serde_json::from_str(STYLE_TEMPLATE).unwrap();
        let paint = |id: &str, key: &str| {
            let layer = style["layers"]
                .as_array()
                .unwrap()
                .iter()
                .find(|l| l["id"] == id)
                .unwrap();
            layer["paint"][key].as_str().unwrap().to_owned()
        };
        let line = paint("nrw-outline-line", "line-color");
        for side in [
            paint("background", "background-color"),
            paint("nrw-outline-fill", "fill-color"),
        ] {
            let ratio = contrast(&line, &side);
            assert!(ratio >= 3.0, "{line} on {side}: {ratio:.2}");
        }
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
