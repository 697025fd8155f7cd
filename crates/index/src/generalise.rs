//! Generalisation of procedure areas per zoom, computed once when a
//! procedure enters the index: simplified in Web Mercator with a tolerance of
//! a fraction of a pixel at that zoom, and drawn as a point where the area is
//! too small to be seen as one.

use geo::{BoundingRect, InteriorPoint, MultiPolygon, Point, SimplifyVwPreserve};

use crate::{
    Shape,
    grid::{self, GridPolygons, GridShape},
};

/// Zooms up to this one get their own generalised shape; deeper zooms draw
/// the full geometry (a tile unit there is below 2.5 cm).
pub const MAX_GENERALISED_ZOOM: u8 = 16;
/// Vertices whose removal cannot be seen go: Visvalingam–Whyatt removes a
/// vertex whose triangle with its neighbours is smaller than this many square
/// tile units — one square pixel on a 512-pixel tile, where a pixel is 8
/// units. Measured on the shared workload's zoom-6 tile: 2 square units
/// kept some 50 vertices per area 4 pixels wide, 16 still 41 (99,619
/// vertices in all), 64 keeps what a pixel grid can show.
const AREA_TOLERANCE_UNITS: f64 = 64.0;
/// An area whose bounding box is narrower and lower than this (four pixels
/// on a 512-pixel tile) is drawn as a point, so that it stays visible.
const MIN_SIDE_UNITS: f64 = 32.0;

pub use grid::unit;

/// The shape of an area at `zoom`.
pub fn generalise(area: &MultiPolygon<f64>, zoom: u8) -> Shape {
    let unit = unit(zoom);
    let Some(bbox) = area.bounding_rect() else {
        return Shape::Polygons(area.clone());
    };
    let small = |w: f64, h: f64| w < MIN_SIDE_UNITS * unit && h < MIN_SIDE_UNITS * unit;
    if small(bbox.width(), bbox.height()) {
        let at = area
            .interior_point()
            .unwrap_or_else(|| Point(bbox.center()));
        return Shape::Point(at);
    }
    // Parts too small to see are dropped; the rest is simplified without
    // creating self-intersections (topology-preserving VW).
    let parts: Vec<_> = area
        .0
        .iter()
        .filter(|p| {
            p.bounding_rect()
                .is_some_and(|b| !small(b.width(), b.height()))
        })
        .map(|p| p.simplify_vw_preserve(AREA_TOLERANCE_UNITS * unit * unit))
        .collect();
    Shape::Polygons(MultiPolygon(parts))
}

/// The shapes of an area for zooms `0..=MAX_GENERALISED_ZOOM`, each snapped
/// to the tile grid of its zoom.
pub fn pyramid(area: &MultiPolygon<f64>) -> Vec<GridShape> {
    (0..=MAX_GENERALISED_ZOOM)
        .map(|zoom| match generalise(area, zoom) {
            Shape::Point(p) => {
                let [x, y] = grid::to_grid(p.0, zoom);
                GridShape::Point([x.round() as i32, y.round() as i32])
            }
            Shape::Polygons(mp) => GridShape::Polygons(GridPolygons::snap(&mp, zoom)),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use geo::{Coord, LineString, Polygon};

    use super::*;

    /// A circle-like polygon of `n` vertices with radius `r` metres at `c`.
    fn circle(c: Coord<f64>, r: f64, n: usize) -> MultiPolygon<f64> {
        let ring: LineString<f64> = (0..=n)
            .map(|i| {
                let a = std::f64::consts::TAU * (i % n) as f64 / n as f64;
                Coord {
                    x: c.x + r * a.cos(),
                    y: c.y + r * a.sin(),
                }
            })
            .collect();
        MultiPolygon(vec![Polygon::new(ring, vec![])])
    }

    #[test]
    fn coarser_zooms_keep_fewer_vertices_and_tiny_areas_become_points() {
        // A 20 km wide area of 400 vertices near Cologne.
        let area = circle(
            Coord {
                x: 775_000.0,
                y: 6_610_000.0,
            },
            10_000.0,
            400,
        );
        let shapes = pyramid(&area);
        let count = |s: &GridShape| match s {
            GridShape::Polygons(g) => g.vertices.len(),
            GridShape::Point(_) => 1,
        };
        // At zoom 6 a tile unit is 153 m: 20 km are 131 units, an area.
        assert!(matches!(shapes[6], GridShape::Polygons(_)));
        // At zoom 2 the area is 8 units wide: a point.
        assert!(matches!(shapes[2], GridShape::Point(_)));
        let counts: Vec<_> = (6..=16).map(|z| count(&shapes[z as usize])).collect();
        assert!(counts.windows(2).all(|w| w[0] <= w[1]), "{counts:?}");
        assert!(counts[0] < 60, "{counts:?}");
        assert_eq!(counts[10], 400, "no simplification at zoom 16");
    }
}
