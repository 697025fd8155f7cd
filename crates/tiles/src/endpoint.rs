//! `GET /tiles/{z}/{x}/{y}.mvt`.

use std::sync::Arc;

use axum::{
    Router,
    body::Body,
    extract::{Path, RawQuery, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use partimap_index::TileCoord;

use crate::{
    TilesState,
    cache::{CacheKey, EncodedTile, Encoding},
    params,
    problem::HttpError,
    render, today,
};

pub const CONTENT_TYPE: &str = "application/vnd.mapbox-vector-tile";
/// Tiles change whenever the data does: caches must revalidate (cheaply, by
/// ETag) before reusing one.
const CACHE_CONTROL: &str = "public, no-cache";

pub fn router(state: TilesState) -> Router {
    Router::new()
        .route("/tiles/{z}/{x}/{y}", get(tile))
        .with_state(state)
}

/// Parses the three path segments, naming every part that is wrong.
pub fn parse_tile_path(z: &str, x: &str, y: &str) -> Result<TileCoord, HttpError> {
    let Some(y) = y.strip_suffix(".mvt") else {
        return Err(HttpError::not_found(format!(
            "tiles are served as /tiles/{{z}}/{{x}}/{{y}}.mvt, not /tiles/{z}/{x}/{y}"
        )));
    };
    let mut problems = Vec::new();
    let mut number = |name: &str, s: &str| match s.parse::<u32>() {
        Ok(n) => Some(n),
        Err(_) => {
            problems.push(format!("{name} {s:?} is not a whole number"));
            None
        }
    };
    let (z, x, y) = (number("zoom", z), number("x", x), number("y", y));
    match (z, x, y) {
        (Some(z), Some(x), Some(y)) => TileCoord::new(z, x, y)
            .map_err(|e| HttpError::bad_request(format!("tile {z}/{x}/{y}: {e}"))),
        _ => Err(HttpError::bad_request(format!(
            "invalid tile path: {}",
            problems.join("; ")
        ))),
    }
}

/// The coding to answer with: brotli, else gzip, else none, as the client
/// accepts them (RFC 9110 content negotiation, honouring `q=0`).
fn negotiate(headers: &HeaderMap) -> Encoding {
    let accepted = |wanted: &str| {
        headers
            .get_all(header::ACCEPT_ENCODING)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|coding| {
                let mut parts = coding.split(';').map(str::trim);
                let name = parts.next().unwrap_or("");
                let refused = parts
                    .any(|p| p.strip_prefix("q=").and_then(|q| q.parse::<f32>().ok()) == Some(0.0));
                (name.eq_ignore_ascii_case(wanted) || name == "*") && !refused
            })
    };
    if accepted("br") {
        Encoding::Brotli
    } else if accepted("gzip") {
        Encoding::Gzip
    } else {
        Encoding::Identity
    }
}

/// Whether `If-None-Match` names `etag` (weak comparison, as RFC 9110
/// prescribes for this header).
fn not_modified(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == etag || t == "*")
}

/// A vector tile (Mapbox Vector Tile 2.1) of the map's layers
/// `procedures`, `clusters` (below the cluster zoom) and `reports`.
#[utoipa::path(
    get,
    path = "/tiles/{z}/{x}/{y}.mvt",
    tag = "tiles",
    params(
        ("z" = u8, Path, description = "Zoom, 0 to 22"),
        ("x" = u32, Path, description = "Column, 0 to 2^z - 1"),
        ("y" = u32, Path, description = "Row, 0 to 2^z - 1 (XYZ, from the north)"),
        crate::openapi::FilterParams,
    ),
    responses(
        (status = 200, description = "The tile; brotli or gzip by Accept-Encoding, strong ETag", content_type = "application/vnd.mapbox-vector-tile", body = Vec<u8>),
        (status = 204, description = "Nothing of the selection is in the tile"),
        (status = 304, description = "The tile is the one of If-None-Match"),
        (status = 400, description = "A malformed tile address or filter parameter, named", body = partimap_http::ProblemDoc, content_type = "application/problem+json"),
    )
)]
async fn tile(
    State(state): State<TilesState>,
    Path((z, x, y)): Path<(String, String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    let started = std::time::Instant::now();
    let coord = parse_tile_path(&z, &x, &y)?;
    let filter = params::parse(query.as_deref(), &state.index())?;
    let key = CacheKey {
        tile: coord,
        filter,
        day: today(),
    };
    let encoding = negotiate(&headers);
    let (tile, hit) = match state.cache().get(&key) {
        Some(tile) => (tile, true),
        None => {
            let _turn = state.render_permit().await;
            let generation = state.cache().generation();
            let rendering = state.clone();
            let k = key.clone();
            let tile = tokio::task::spawn_blocking(move || {
                let raw = render::render(&rendering.index(), k.tile, &k.filter, k.day);
                let tile = Arc::new(EncodedTile::new(k.tile.z(), raw));
                // Compressing here keeps it off the async threads.
                tile.body(encoding);
                tile
            })
            .await
            .map_err(|e| HttpError::internal(&e))?;
            state.cache().insert(key, tile.clone(), generation);
            (tile, false)
        }
    };
    let mut response = if tile.raw.is_empty() {
        StatusCode::NO_CONTENT.into_response()
    } else {
        let etag = tile.etag(encoding);
        let mut response = if not_modified(&headers, &etag) {
            StatusCode::NOT_MODIFIED.into_response()
        } else {
            let body = if tile.needs(encoding) {
                let _turn = state.render_permit().await;
                let t = tile.clone();
                tokio::task::spawn_blocking(move || t.body(encoding))
                    .await
                    .map_err(|e| HttpError::internal(&e))?
            } else {
                tile.body(encoding)
            };
            let mut r = Response::new(Body::from(body));
            if let Some(coding) = encoding.header() {
                r.headers_mut()
                    .insert(header::CONTENT_ENCODING, HeaderValue::from_static(coding));
            }
            r
        };
        let h = response.headers_mut();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
        if let Ok(etag) = HeaderValue::from_str(&etag) {
            h.insert(header::ETAG, etag);
        }
        response
    };
    let h = response.headers_mut();
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(CACHE_CONTROL),
    );
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert(
        "x-partimap-cache",
        HeaderValue::from_static(if hit { "hit" } else { "miss" }),
    );
    state
        .metrics()
        .observe(coord.z(), started.elapsed(), tile.raw.len(), hit);
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_paths_name_every_wrong_part() {
        let err = |z, x, y| parse_tile_path(z, x, y).unwrap_err();
        assert_eq!(
            err("99", "0", "0.mvt").detail,
            "tile 99/0/0: zoom 99 is out of range: tiles exist for zoom 0 to 22"
        );
        assert_eq!(
            err("3", "9", "0.mvt").detail,
            "tile 3/9/0: x 9 is out of range at zoom 3: x must be 0 to 7"
        );
        assert_eq!(
            err("a", "b", "c.mvt").detail,
            "invalid tile path: zoom \"a\" is not a whole number; x \"b\" is not a whole number; y \"c\" is not a whole number"
        );
        assert_eq!(err("1", "0", "0.png").status, StatusCode::NOT_FOUND);
        assert_eq!(
            parse_tile_path("3", "7", "7.mvt").unwrap(),
            TileCoord::new(3, 7, 7).unwrap()
        );
    }

    #[test]
    fn content_negotiation_honours_q_zero() {
        let with = |v: &'static str| {
            let mut h = HeaderMap::new();
            h.insert(header::ACCEPT_ENCODING, HeaderValue::from_static(v));
            negotiate(&h)
        };
        assert_eq!(with("gzip, deflate, br"), Encoding::Brotli);
        assert_eq!(with("br;q=0, gzip;q=0.8"), Encoding::Gzip);
        assert_eq!(with("gzip;q=0"), Encoding::Identity);
        assert_eq!(with("deflate"), Encoding::Identity);
        assert_eq!(negotiate(&HeaderMap::new()), Encoding::Identity);
    }
}
