//! The vector-tile server of partimap. It only reads: the index it draws from
//! is built and replaced by others.
//!
//! - [`geometry`]: Web Mercator to clean integer tile geometry (clip, snap,
//!   orient, drop what collapsed).
//! - [`mvt`]: the Mapbox Vector Tile 2.1 encoder.
//! - [`render`]: one tile from the index, layers `procedures` and `reports`.
//! - [`params`]: the filter query parameters shared by tiles, TileJSON and
//!   the style.
//! - [`endpoint`]: `GET /tiles/{z}/{x}/{y}.mvt` with gzip, ETag/304, 204 for
//!   empty tiles.
//! - [`tilejson`]: `GET /tiles.json` (TileJSON 3.0.0) and `GET /style.json`
//!   (a MapLibre style).
//! - [`pages`]: the overview map page and its assets, MapLibre GL JS
//!   included, all served from the binary.
//! - [`problem`]: errors as RFC 7807 problem+json.

pub mod endpoint;
pub mod geometry;
pub mod mvt;
pub mod pages;
pub mod params;
pub mod problem;
pub mod render;
pub mod tilejson;

use std::sync::{Arc, RwLock};

use axum::{Router, http::HeaderMap};
use partimap_index::Index;

/// What the tile handlers share: the current index, swapped whole when the
/// data changes, and the public base URL (when configured).
#[derive(Debug, Clone)]
pub struct TilesState {
    index: Arc<RwLock<Arc<Index>>>,
    public_url: Option<Arc<str>>,
}

impl TilesState {
    /// `public_url` (e.g. `https://karte.beteiligung.nrw.de`) is used in
    /// TileJSON and the style; without it the request's `Host` is.
    pub fn new(index: Index, public_url: Option<String>) -> Self {
        Self {
            index: Arc::new(RwLock::new(Arc::new(index))),
            public_url: public_url.map(|u| u.trim_end_matches('/').into()),
        }
    }

    /// The current index. Readers keep the `Arc` they got, so a swap never
    /// waits for a tile being rendered.
    pub fn index(&self) -> Arc<Index> {
        match self.index.read() {
            Ok(guard) => guard.clone(),
            // A writer cannot panic while holding the lock (it only swaps an
            // Arc), but a poisoned lock still holds a whole index.
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Replaces the index.
    pub fn replace_index(&self, index: Index) {
        let index = Arc::new(index);
        match self.index.write() {
            Ok(mut guard) => *guard = index,
            Err(poisoned) => *poisoned.into_inner() = index,
        }
    }

    /// The absolute base URL for links in TileJSON and the style.
    pub(crate) fn base_url(&self, headers: &HeaderMap) -> String {
        if let Some(url) = &self.public_url {
            return url.to_string();
        }
        let host = headers
            .get(axum::http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .filter(|h| {
                h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
            })
            .unwrap_or("127.0.0.1");
        format!("http://{host}")
    }
}

/// The day whose procedures count as running. Dates of procedures are
/// calendar dates in Germany; UTC's date differs from Berlin's only in the
/// first one or two hours of a day.
pub(crate) fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

/// All routes of the tile server.
pub fn router(state: TilesState) -> Router {
    // Tiles compress themselves (their ETag names the encoding); the rest
    // is compressed by tower-http.
    let documents = tilejson::router(state.clone())
        .merge(pages::router())
        .layer(tower_http::compression::CompressionLayer::new());
    Router::new()
        .merge(endpoint::router(state))
        .merge(documents)
}
