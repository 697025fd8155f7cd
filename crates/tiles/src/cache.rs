//! The tile cache: encoded tiles in memory up to a byte budget, least
//! recently used first out, invalidated precisely — a change drops exactly
//! the cached tiles whose area it touches, at every zoom, for every filter
//! that admits the changed procedure, and nothing else.

use std::{
    cell::RefCell,
    sync::{
        Arc, Mutex, OnceLock,
        atomic::{AtomicU64, Ordering},
    },
};

use axum::body::Bytes;
use chrono::NaiveDate;
use lru::LruCache;
use partimap_index::{DirtyRegion, Filter, TileCoord};

use crate::geometry::{BUFFER, EXTENT};

/// What a cached tile is cached under. The day is part of it because
/// procedure statuses follow the date.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CacheKey {
    pub tile: TileCoord,
    pub filter: Filter,
    pub day: NaiveDate,
}

/// An encoded tile and its compressed forms, made when first asked for.
#[derive(Debug)]
pub struct EncodedTile {
    pub raw: Bytes,
    /// The tile's zoom, which picks the gzip encoder.
    zoom: u8,
    /// xxh3-128 of `raw`: the ETag's base.
    pub hash: u128,
    gzip: OnceLock<Bytes>,
    brotli: OnceLock<Bytes>,
}

thread_local! {
    /// A compressor per thread: making one costs more than a small tile's
    /// compression.
    static GZIP: RefCell<libdeflater::Compressor> = RefCell::new(libdeflater::Compressor::new(
        // Level 1: libdeflate's level 0 ("fastest") stores without compressing.
        libdeflater::CompressionLvl::new(1).unwrap_or_default(),
    ));
}

/// Below this zoom tiles are gzipped by Huffman coding alone
/// ([`crate::gzip`]), from it on with libdeflate (level 1). Measured on the
/// shared workload: zooms 6–11 are three quarters of the bytes a map user's
/// mix asks for, and Huffman coding alone compresses them at 4× libdeflate's
/// speed to 0.76–0.83 of their size where libdeflate reaches 0.61–0.72
/// (zoom 6: 0.76/0.65, zoom 7: 0.79/0.72, zoom 10: 0.83/0.61); from zoom 12
/// on, where reports and their repeated keys make most of a tile, LZ77 takes
/// a third more off (zoom 14: 0.45 against 0.72) and libdeflate is kept.
/// With the tile cache off the mixed list went 1,605–1,729 → 2,055–2,121
/// tiles/s from a limit of 10 to 12 (CPU per tile −20 %). Browsers ask for
/// brotli over HTTPS, which this does not touch; a gzip client pays
/// 15–36 % more bytes below zoom 12.
pub const FAST_GZIP_BELOW: u8 = 12;

/// The gzip form of a tile of zoom `zoom`: see [`FAST_GZIP_BELOW`].
pub fn gzip_tile(zoom: u8, raw: &[u8]) -> Bytes {
    if zoom < FAST_GZIP_BELOW {
        crate::gzip::huffman_gzip(raw).into()
    } else {
        gzip(raw)
    }
}

/// Gzip at the fastest level, with libdeflate: on the shared workload's
/// zoom-6 tile (218 KB) it takes 2.8 ms for 211 KB where flate2's default
/// backend (miniz_oxide, level 1) takes 3.6 ms for 219 KB, and 0.17 ms where
/// miniz takes 0.23 ms on a zoom-12 tile.
pub fn gzip(raw: &[u8]) -> Bytes {
    GZIP.with(|c| {
        let mut c = c.borrow_mut();
        let mut out = vec![0; c.gzip_compress_bound(raw.len())];
        // The buffer is as large as the bound: compression cannot run out of
        // room, the only error libdeflate reports.
        let n = c.gzip_compress(raw, &mut out).unwrap_or(0);
        out.truncate(n);
        out.into()
    })
}

impl EncodedTile {
    pub fn new(zoom: u8, raw: Vec<u8>) -> Self {
        let hash = xxhash_rust::xxh3::xxh3_128(&raw);
        Self {
            raw: raw.into(),
            zoom,
            hash,
            gzip: OnceLock::new(),
            brotli: OnceLock::new(),
        }
    }

    /// What it counts against the budget: the raw bytes, room for both
    /// compressed forms (each smaller than the raw tile) made on demand, and
    /// the entry itself.
    fn charge(&self) -> usize {
        3 * self.raw.len() + 256
    }

    pub fn gzip(&self) -> Bytes {
        self.gzip
            .get_or_init(|| gzip_tile(self.zoom, &self.raw))
            .clone()
    }

    pub fn brotli(&self) -> Bytes {
        self.brotli
            .get_or_init(|| {
                let mut out = Vec::with_capacity(self.raw.len() / 2);
                // Quality 5 compresses tiles better than gzip at a similar speed.
                let params = brotli::enc::BrotliEncoderParams {
                    quality: 5,
                    lgwin: 22,
                    ..Default::default()
                };
                let _ = brotli::BrotliCompress(&mut &self.raw[..], &mut out, &params);
                out.into()
            })
            .clone()
    }

    /// Whether the form for `encoding` still has to be made.
    pub fn needs(&self, encoding: Encoding) -> bool {
        match encoding {
            Encoding::Brotli => self.brotli.get().is_none(),
            Encoding::Gzip => self.gzip.get().is_none(),
            Encoding::Identity => false,
        }
    }

    /// The body for `encoding`.
    pub fn body(&self, encoding: Encoding) -> Bytes {
        match encoding {
            Encoding::Brotli => self.brotli(),
            Encoding::Gzip => self.gzip(),
            Encoding::Identity => self.raw.clone(),
        }
    }

    /// The strong ETag of the form for `encoding`: each encoding is its own
    /// representation.
    pub fn etag(&self, encoding: Encoding) -> String {
        let suffix = match encoding {
            Encoding::Brotli => "-br",
            Encoding::Gzip => "-gz",
            Encoding::Identity => "",
        };
        format!("\"{:032x}{suffix}\"", self.hash)
    }
}

/// A content coding of a tile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Brotli,
    Gzip,
    Identity,
}

impl Encoding {
    pub fn header(self) -> Option<&'static str> {
        match self {
            Self::Brotli => Some("br"),
            Self::Gzip => Some("gzip"),
            Self::Identity => None,
        }
    }
}

/// Counters of the cache, for metrics and tests.
#[derive(Debug, Default)]
pub struct CacheStats {
    pub hits: AtomicU64,
    pub misses: AtomicU64,
    pub invalidated: AtomicU64,
    pub evicted: AtomicU64,
}

#[derive(Debug)]
struct Entries {
    lru: LruCache<CacheKey, Arc<EncodedTile>>,
    bytes: usize,
    /// Advanced by every invalidation: a tile rendered before one may be
    /// stale and is not kept (see [`TileCache::insert`]).
    generation: u64,
}

/// The cache. A budget of 0 turns it off (every tile is rendered).
#[derive(Debug)]
pub struct TileCache {
    entries: Mutex<Entries>,
    budget: usize,
    pub stats: CacheStats,
}

impl TileCache {
    pub fn new(budget_bytes: usize) -> Self {
        Self {
            entries: Mutex::new(Entries {
                lru: LruCache::unbounded(),
                bytes: 0,
                generation: 0,
            }),
            budget: budget_bytes,
            stats: CacheStats::default(),
        }
    }

    pub fn enabled(&self) -> bool {
        self.budget > 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        // Nothing panics while holding the lock; a poisoned one is still whole.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn get(&self, key: &CacheKey) -> Option<Arc<EncodedTile>> {
        if !self.enabled() {
            return None;
        }
        let found = self.lock().lru.get(key).cloned();
        let counter = if found.is_some() {
            &self.stats.hits
        } else {
            &self.stats.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    /// The invalidation generation; read it before rendering a tile and pass
    /// it to [`TileCache::insert`].
    pub fn generation(&self) -> u64 {
        self.lock().generation
    }

    /// Keeps a tile rendered when the cache was at `generation`, evicting
    /// the least recently used beyond the budget — unless an invalidation
    /// came in between: the tile may have been drawn from the index before
    /// the change, and the invalidation that should have dropped it is past.
    pub fn insert(&self, key: CacheKey, tile: Arc<EncodedTile>, generation: u64) {
        if !self.enabled() {
            return;
        }
        let weight = tile.charge();
        let mut entries = self.lock();
        if entries.generation != generation {
            return;
        }
        if let Some(old) = entries.lru.put(key, tile) {
            entries.bytes = entries.bytes.saturating_sub(old.charge());
        }
        entries.bytes += weight;
        while entries.bytes > self.budget {
            let Some((_, old)) = entries.lru.pop_lru() else {
                break;
            };
            entries.bytes = entries.bytes.saturating_sub(old.charge());
            self.stats.evicted.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Drops every cached tile a change touched; returns how many.
    pub fn invalidate(&self, regions: &[DirtyRegion]) -> usize {
        if regions.is_empty() || !self.enabled() {
            return 0;
        }
        let mut entries = self.lock();
        entries.generation += 1;
        let stale: Vec<CacheKey> = entries
            .lru
            .iter()
            .filter(|(key, _)| {
                let envelope = key
                    .tile
                    .envelope()
                    .grow(key.tile.size() * f64::from(BUFFER) / f64::from(EXTENT));
                regions
                    .iter()
                    .any(|r| r.touches(key.tile.z(), &envelope, &key.filter, key.day))
            })
            .map(|(key, _)| key.clone())
            .collect();
        for key in &stale {
            if let Some(old) = entries.lru.pop(key) {
                entries.bytes = entries.bytes.saturating_sub(old.charge());
            }
        }
        self.stats
            .invalidated
            .fetch_add(stale.len() as u64, Ordering::Relaxed);
        stale.len()
    }

    /// Drops every cached tile (the index was replaced); returns how many.
    pub fn clear(&self) -> usize {
        let mut entries = self.lock();
        entries.generation += 1;
        let n = entries.lru.len();
        entries.lru.clear();
        entries.bytes = 0;
        self.stats
            .invalidated
            .fetch_add(n as u64, Ordering::Relaxed);
        n
    }

    /// How many tiles and bytes are cached.
    pub fn size(&self) -> (usize, usize) {
        let entries = self.lock();
        (entries.lru.len(), entries.bytes)
    }
}
