//! Prometheus metrics of the tile server at `GET /metrics`: render latency
//! and tile size per zoom, cache hits, misses, invalidations and size.

use std::{sync::atomic::Ordering, time::Duration};

use axum::{
    Router,
    extract::State,
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
    routing::get,
};
use prometheus_client::{
    encoding::{EncodeLabelSet, text::encode},
    metrics::{
        counter::Counter,
        family::Family,
        gauge::Gauge,
        histogram::{Histogram, exponential_buckets},
    },
    registry::Registry,
};

use crate::{TilesState, problem::HttpError};

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Zoom {
    zoom: u8,
}

type PerZoom = Family<Zoom, Histogram, fn() -> Histogram>;

/// The tile server's metrics.
#[derive(Debug)]
pub struct TileMetrics {
    registry: Registry,
    /// Seconds from request to response body, hits and misses alike.
    latency: PerZoom,
    /// Bytes of the uncompressed tile.
    size: PerZoom,
    hits: Counter,
    misses: Counter,
    invalidated: Gauge,
    cached_tiles: Gauge,
    cached_bytes: Gauge,
}

fn latency_buckets() -> Histogram {
    // 50 µs to about 1.6 s.
    Histogram::new(exponential_buckets(0.000_05, 2.0, 16))
}

fn size_buckets() -> Histogram {
    // 256 bytes to 8 MiB.
    Histogram::new(exponential_buckets(256.0, 2.0, 16))
}

impl Default for TileMetrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("partimap");
        let latency = PerZoom::new_with_constructor(latency_buckets);
        let size = PerZoom::new_with_constructor(size_buckets);
        let metrics = Self {
            latency,
            size,
            hits: Counter::default(),
            misses: Counter::default(),
            invalidated: Gauge::default(),
            cached_tiles: Gauge::default(),
            cached_bytes: Gauge::default(),
            registry: Registry::default(),
        };
        registry.register(
            "tile_seconds",
            "Time to answer a tile request, by zoom",
            metrics.latency.clone(),
        );
        registry.register(
            "tile_bytes",
            "Size of a tile before compression, by zoom",
            metrics.size.clone(),
        );
        registry.register(
            "tile_cache_hits",
            "Tile requests answered from the cache",
            metrics.hits.clone(),
        );
        registry.register(
            "tile_cache_misses",
            "Tile requests that rendered the tile",
            metrics.misses.clone(),
        );
        registry.register(
            "tile_cache_invalidated",
            "Cached tiles dropped because a change touched them",
            metrics.invalidated.clone(),
        );
        registry.register(
            "tile_cache_tiles",
            "Tiles in the cache",
            metrics.cached_tiles.clone(),
        );
        registry.register(
            "tile_cache_bytes",
            "Bytes charged to the cache budget",
            metrics.cached_bytes.clone(),
        );
        Self {
            registry,
            ..metrics
        }
    }
}

impl TileMetrics {
    /// Records one answered tile request.
    pub fn observe(&self, zoom: u8, elapsed: Duration, bytes: usize, hit: bool) {
        self.latency
            .get_or_create(&Zoom { zoom })
            .observe(elapsed.as_secs_f64());
        self.size
            .get_or_create(&Zoom { zoom })
            .observe(bytes as f64);
        if hit { &self.hits } else { &self.misses }.inc();
    }
}

pub fn router(state: TilesState) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .with_state(state)
}

/// Prometheus metrics: tile latency and size per zoom, the tile cache.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    responses((status = 200, description = "OpenMetrics text", content_type = "application/openmetrics-text", body = String))
)]
async fn metrics(State(state): State<TilesState>) -> Result<Response, HttpError> {
    let m = state.metrics();
    let (tiles, bytes) = state.cache().size();
    m.cached_tiles.set(tiles as i64);
    m.cached_bytes.set(bytes as i64);
    m.invalidated
        .set(state.cache().stats.invalidated.load(Ordering::Relaxed) as i64);
    let mut text = String::new();
    encode(&mut text, &m.registry).map_err(|e| HttpError::internal(&e))?;
    let mut response = text.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
    );
    Ok(response)
}
