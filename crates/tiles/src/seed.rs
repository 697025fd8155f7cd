//! Seeding: a pyramid of tiles written to a PMTiles (v3) archive, for static
//! hosting on a CDN; MapLibre reads it without partimap (pmtiles protocol).

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use geo::Coord;
use partimap_index::{Filter, Index, TileCoord, mercator};

use crate::render;

/// What to seed.
#[derive(Debug, Clone)]
pub struct SeedOptions {
    /// West, south, east, north in degrees.
    pub bounds: [f64; 4],
    pub min_zoom: u8,
    pub max_zoom: u8,
    pub filter: Filter,
    pub today: NaiveDate,
}

/// What was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeedSummary {
    /// Tiles rendered (in the bounds, over the zoom range).
    pub tiles: u64,
    /// Of those, the empty ones (not stored: an archive has no empty tiles).
    pub empty: u64,
    /// Bytes of the archive.
    pub bytes: u64,
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SeedError {
    #[error("invalid seeding options: {0}")]
    Options(String),
    #[error("could not write {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("could not write the archive {path}: {reason}")]
    Archive { path: PathBuf, reason: String },
}

/// The tiles of `zoom` covering `bounds`.
fn tile_range(bounds: [f64; 4], zoom: u8) -> (u32, u32, u32, u32) {
    let n = f64::from(1u32 << zoom);
    let size = 2.0 * mercator::HALF_WORLD / n;
    let sw = mercator::project(Coord {
        x: bounds[0],
        y: bounds[1],
    });
    let ne = mercator::project(Coord {
        x: bounds[2],
        y: bounds[3],
    });
    let max = (1u32 << zoom) - 1;
    let col = |x: f64| (((x + mercator::HALF_WORLD) / size).floor().max(0.0) as u32).min(max);
    let row = |y: f64| (((mercator::HALF_WORLD - y) / size).floor().max(0.0) as u32).min(max);
    (col(sw.x), row(ne.y), col(ne.x), row(sw.y))
}

/// Renders every tile of the options' pyramid into a PMTiles archive at
/// `output`. The archive is written beside it under a temporary name and
/// renamed when complete: a failed or interrupted seed leaves no half archive.
/// `progress` is called after each zoom with (zoom, tiles so far).
pub fn seed(
    index: &Index,
    options: &SeedOptions,
    output: &Path,
    metadata: &serde_json::Value,
    mut progress: impl FnMut(u8, u64),
) -> Result<SeedSummary, SeedError> {
    let [w, s, e, n] = options.bounds;
    let longitude = -180.0..=180.0;
    let latitude = -85.06..=85.06;
    let valid = w < e
        && s < n
        && longitude.contains(&w)
        && longitude.contains(&e)
        && latitude.contains(&s)
        && latitude.contains(&n);
    if !valid {
        return Err(SeedError::Options(format!(
            "bounds {w},{s},{e},{n} must be west,south,east,north with west < east and south < north, in degrees (latitudes within ±85.05)"
        )));
    }
    if options.min_zoom > options.max_zoom || options.max_zoom > partimap_index::MAX_ZOOM {
        return Err(SeedError::Options(format!(
            "zooms {}..{} must be ascending and at most {}",
            options.min_zoom,
            options.max_zoom,
            partimap_index::MAX_ZOOM
        )));
    }
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| SeedError::Io { path, source }
    };
    let archive = |reason: pmtiles::PmtError| SeedError::Archive {
        path: output.to_owned(),
        reason: reason.to_string(),
    };
    if let Some(dir) = output.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
    }
    let partial = output.with_extension("pmtiles.partial");
    let file = std::fs::File::create(&partial).map_err(io(&partial))?;
    let centre = [(w + e) / 2.0, (s + n) / 2.0];
    let mut writer = pmtiles::PmTilesWriter::new(pmtiles::TileType::Mvt)
        .min_zoom(options.min_zoom)
        .max_zoom(options.max_zoom)
        .bounds(w, s, e, n)
        .center(centre[0], centre[1])
        .center_zoom(options.min_zoom)
        .metadata(metadata.to_string())
        .create(std::io::BufWriter::new(file))
        .map_err(archive)?;
    let mut summary = SeedSummary {
        tiles: 0,
        empty: 0,
        bytes: 0,
    };
    for zoom in options.min_zoom..=options.max_zoom {
        let (x0, y0, x1, y1) = tile_range(options.bounds, zoom);
        for x in x0..=x1 {
            for y in y0..=y1 {
                let Ok(tile) = TileCoord::new(u32::from(zoom), x, y) else {
                    continue;
                };
                let bytes = render::render(index, tile, &options.filter, options.today);
                summary.tiles += 1;
                if bytes.is_empty() {
                    summary.empty += 1;
                    continue;
                }
                let coord = pmtiles::TileCoord::new(zoom, x, y).map_err(archive)?;
                writer.add_tile(coord, &bytes).map_err(archive)?;
            }
        }
        progress(zoom, summary.tiles);
    }
    writer.finalize().map_err(archive)?;
    std::fs::rename(&partial, output).map_err(io(output))?;
    summary.bytes = std::fs::metadata(output).map_err(io(output))?.len();
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_range_covers_the_bounds() {
        // NRW at zoom 5: columns 16–16, rows 10–10 (one tile).
        assert_eq!(tile_range([5.86, 50.32, 9.46, 52.53], 5), (16, 10, 16, 10));
        assert_eq!(
            tile_range([5.86, 50.32, 9.46, 52.53], 8),
            (132, 83, 134, 86)
        );
    }
}
