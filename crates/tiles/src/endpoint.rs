//! `GET /tiles/{z}/{x}/{y}.mvt`.

use std::io::Write;

use axum::{
    Router,
    body::Body,
    extract::{Path, RawQuery, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use flate2::{Compression, write::GzEncoder};
use partimap_index::TileCoord;

use crate::{TilesState, params, problem::HttpError, render, today};

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

/// Whether the client accepts gzip (RFC 9110 content negotiation, honouring
/// `q=0`).
fn accepts_gzip(headers: &HeaderMap) -> bool {
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
            (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
        })
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

async fn tile(
    State(state): State<TilesState>,
    Path((z, x, y)): Path<(String, String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    let coord = parse_tile_path(&z, &x, &y)?;
    let index = state.index();
    let filter = params::parse(query.as_deref(), &index)?;
    let bytes =
        tokio::task::spawn_blocking(move || render::render(&index, coord, &filter, today()))
            .await
            .map_err(|e| HttpError::internal(&e))?;
    if bytes.is_empty() {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    let gzip = accepts_gzip(&headers);
    let hash = xxhash_rust::xxh3::xxh3_128(&bytes);
    let etag = if gzip {
        format!("\"{hash:032x}-gz\"")
    } else {
        format!("\"{hash:032x}\"")
    };
    let mut response = if not_modified(&headers, &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else if gzip {
        let mut encoder = GzEncoder::new(Vec::with_capacity(bytes.len() / 2), Compression::fast());
        encoder
            .write_all(&bytes)
            .map_err(|e| HttpError::internal(&e))?;
        let body = encoder.finish().map_err(|e| HttpError::internal(&e))?;
        let mut r = Response::new(Body::from(body));
        r.headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        r
    } else {
        Response::new(Body::from(bytes))
    };
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(CACHE_CONTROL),
    );
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    if let Ok(etag) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, etag);
    }
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
            accepts_gzip(&h)
        };
        assert!(with("gzip, deflate, br"));
        assert!(with("br;q=1.0, gzip;q=0.8"));
        assert!(!with("gzip;q=0"));
        assert!(!with("br"));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }
}
