//! The vector-tile server of partimap. It only reads: the index it draws from
//! is built and replaced by others.
//!
//! - [`geometry`]: Web Mercator to clean integer tile geometry (clip, snap,
//!   orient, drop what collapsed).
//! - [`mvt`]: the Mapbox Vector Tile 2.1 encoder.
//! - [`render`]: one tile from the index, layers `procedures` and `reports`.
//! - [`params`]: the filter query parameters shared by tiles, TileJSON and
//!   the style.
//! - [`cache`]: encoded tiles in memory up to a budget, invalidated exactly
//!   where the index says a change touched.
//! - [`endpoint`]: `GET /tiles/{z}/{x}/{y}.mvt` with gzip and brotli, ETag per
//!   encoding, 304, 204 for empty tiles.
//! - [`tilejson`]: `GET /tiles.json` (TileJSON 3.0.0) and `GET /style.json`
//!   (a MapLibre style).
//! - [`pages`]: the overview map page and its assets, MapLibre GL JS
//!   included, all served from the binary.
//! - [`procedures`]: `GET /api/v1/procedures[/{id}]`, what the overview
//!   zooms' tiles leave out (title, authority, dates, link), from the index.
//! - [`metrics`]: Prometheus metrics at `/metrics`.
//! - [`problem`]: errors as RFC 7807 problem+json.
//! - [`seed`]: a tile pyramid written to a PMTiles archive.

pub mod cache;
pub mod endpoint;
pub mod geometry;
pub mod gzip;
pub mod metrics;
pub mod mvt;
pub mod openapi;
pub mod pages;
pub mod params;
pub mod problem;
pub mod procedures;
pub mod render;
pub mod seed;
pub mod tilejson;

use std::sync::{Arc, RwLock, RwLockReadGuard};

use axum::{Router, http::HeaderMap};
use partimap_index::{Changes, Index};

use crate::{cache::TileCache, metrics::TileMetrics};

/// What the tile handlers share: the index (changed in place by
/// [`TilesState::apply`]), the tile cache and the public base URL.
#[derive(Debug, Clone)]
pub struct TilesState {
    index: Arc<RwLock<Index>>,
    cache: Arc<TileCache>,
    metrics: Arc<TileMetrics>,
    public_url: Option<Arc<str>>,
    /// Two permits per core for rendering and compressing tiles: requests
    /// beyond that wait their turn in arrival order (the semaphore is fair)
    /// instead of all sharing the cores at once. With a map user's mix (an
    /// overview tile costs ten times a street tile) sharing made every
    /// request as slow as the number of renders running, so that p99
    /// followed the overview tiles times the concurrency. Measured on the
    /// shared workload, 16 connections, 2 cores: unlimited p99 59–63 ms,
    /// one permit per core 22–25 ms but 16 % fewer tiles/s (the cores idle
    /// between a permit's release and the next render's start), two per
    /// core 22–25 ms at the unlimited tiles/s.
    renders: Arc<tokio::sync::Semaphore>,
    /// Origins whose pages may frame every procedure's map (beside those of
    /// the procedure's organisation).
    embed_origins: Arc<[String]>,
    /// A basemap's MapLibre style, drawn by the pages below partimap's
    /// layers; none: the plain background and NRW's outline.
    basemap_style: Option<Arc<url::Url>>,
    /// An address search the defect reporter offers; none: place by map or
    /// coordinates only.
    geocoder: Option<Arc<url::Url>>,
}

impl TilesState {
    /// `public_url` (e.g. `https://karte.beteiligung.nrw.de`) is used in
    /// TileJSON and the style; without it the request's `Host` is.
    /// `cache_bytes` is the tile cache's budget; 0 turns it off.
    pub fn new(index: Index, public_url: Option<String>, cache_bytes: usize) -> Self {
        Self {
            index: Arc::new(RwLock::new(index)),
            cache: Arc::new(TileCache::new(cache_bytes)),
            metrics: Arc::new(TileMetrics::default()),
            public_url: public_url.map(|u| u.trim_end_matches('/').into()),
            renders: Arc::new(tokio::sync::Semaphore::new(
                2 * std::thread::available_parallelism().map_or(2, std::num::NonZero::get),
            )),
            embed_origins: Arc::from([]),
            basemap_style: None,
            geocoder: None,
        }
    }

    /// Lets pages of `origins` frame every procedure's map.
    pub fn with_embed_origins(mut self, origins: Vec<String>) -> Self {
        self.embed_origins = origins.into();
        self
    }

    /// The origins that may frame every procedure's map.
    pub fn embed_origins(&self) -> &[String] {
        &self.embed_origins
    }

    /// Names a basemap's MapLibre style (an absolute http(s) URL, checked
    /// by the caller) in `/style.json`, for the pages to draw below
    /// partimap's layers.
    pub fn with_basemap_style(mut self, style: Option<url::Url>) -> Self {
        self.basemap_style = style.map(Arc::new);
        self
    }

    /// Names an address search (an absolute http(s) URL, checked by the
    /// caller) in `/style.json`, for the defect reporter.
    pub fn with_geocoder(mut self, url: Option<url::Url>) -> Self {
        self.geocoder = url.map(Arc::new);
        self
    }

    /// The address search, when one is configured.
    pub fn geocoder(&self) -> Option<&url::Url> {
        self.geocoder.as_deref()
    }

    /// The basemap's style, when one is configured.
    pub fn basemap_style(&self) -> Option<&url::Url> {
        self.basemap_style.as_deref()
    }

    /// Waits for a turn to render or compress a tile (see
    /// [`TilesState::renders`]).
    pub async fn render_permit(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        // The semaphore is never closed.
        self.renders.acquire().await.ok()
    }

    /// Reads the index. Hold the guard briefly: a change waits for it.
    pub fn index(&self) -> RwLockReadGuard<'_, Index> {
        // Writers only run `Index::apply`, which does not panic on data it
        // accepted; a poisoned lock still holds a whole index.
        self.index
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn cache(&self) -> &TileCache {
        &self.cache
    }

    pub fn metrics(&self) -> &TileMetrics {
        &self.metrics
    }

    /// Applies a batch of changes to the index and drops the cached tiles
    /// they touched; returns how many were dropped.
    pub fn apply(&self, changes: &Changes) -> usize {
        let dirty = {
            let mut index = self
                .index
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            index.apply(changes)
        };
        self.cache.invalidate(&dirty)
    }

    /// Replaces the whole index (after a change too large to apply in
    /// place) and empties the cache; returns how many tiles were dropped.
    pub fn replace(&self, index: Index) -> usize {
        let old = {
            let mut current = self
                .index
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            std::mem::replace(&mut *current, index)
        };
        // Freed outside the lock: dropping a million reports takes a while.
        drop(old);
        self.cache.clear()
    }

    /// The absolute base URL for links (TileJSON, the style, the feature
    /// API): [`partimap_http::base_url`] with the configured public URL.
    pub fn base_url(&self, headers: &HeaderMap) -> String {
        partimap_http::base_url(self.public_url.as_deref(), headers)
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
        .merge(procedures::router(state.clone()))
        .merge(pages::router(state.clone()))
        .layer(tower_http::compression::CompressionLayer::new());
    Router::new()
        .merge(endpoint::router(state.clone()))
        .merge(metrics::router(state))
        .merge(documents)
}
