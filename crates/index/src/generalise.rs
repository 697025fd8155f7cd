//! Generalisation of procedure areas per zoom, computed once when a
//! procedure enters the index: simplified in Web Mercator with a tolerance of
//! a fraction of a pixel at that zoom, and drawn as a point where the area is
//! too small to be seen as one.

use geo::{Area, BoundingRect, InteriorPoint, MultiPolygon, Point, SimplifyVwPreserve};

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

/// Whether a box this wide and high is too small to be seen as an area at
/// a zoom whose tile unit is `unit`.
fn small(width: f64, height: f64, unit: f64) -> bool {
    width < MIN_SIDE_UNITS * unit && height < MIN_SIDE_UNITS * unit
}

/// The shapes of an area for zooms `MAX_GENERALISED_ZOOM` down to 0, each
/// simplified from the one of the next deeper zoom (not from the full
/// area): a zoom's tolerance is four times the deeper one's, so the shapes
/// differ from simplifying the full area by less than a third of a
/// tolerance, and each zoom works on the vertices the deeper one kept —
/// together a fraction of simplifying the full area 17 times.
fn generalised(area: &MultiPolygon<f64>) -> Vec<Shape> {
    let mut shapes = Vec::with_capacity(usize::from(MAX_GENERALISED_ZOOM) + 1);
    let Some(bbox) = area.bounding_rect() else {
        return vec![Shape::Polygons(area.clone()); usize::from(MAX_GENERALISED_ZOOM) + 1];
    };
    // Each part with its own bounding box (a part too small to see is
    // dropped at that zoom and every coarser one).
    let mut parts: Vec<_> = area
        .0
        .iter()
        .filter_map(|p| Some((p.bounding_rect()?, p.clone())))
        .collect();
    let mut point = None;
    for zoom in (0..=MAX_GENERALISED_ZOOM).rev() {
        let unit = unit(zoom);
        if point.is_none() && small(bbox.width(), bbox.height(), unit) {
            point = Some(
                area.interior_point()
                    .unwrap_or_else(|| Point(bbox.center())),
            );
        }
        if let Some(at) = point {
            shapes.push(Shape::Point(at));
            continue;
        }
        // The rest is simplified without creating self-intersections
        // (topology-preserving VW).
        let tolerance = AREA_TOLERANCE_UNITS * unit * unit;
        parts.retain(|(b, _)| !small(b.width(), b.height(), unit));
        for (_, part) in &mut parts {
            if !removes_nothing(part, tolerance) {
                *part = part.simplify_vw_preserve(tolerance);
            }
        }
        shapes.push(Shape::Polygons(MultiPolygon(
            parts.iter().map(|(_, p)| p.clone()).collect(),
        )));
    }
    shapes.reverse();
    shapes
}

/// Whether Visvalingam–Whyatt at `tolerance` keeps every vertex: no
/// triangle of three neighbouring vertices is that small. (It removes the
/// vertex with the smallest triangle while that is at most the tolerance;
/// when the smallest of the first triangles is larger, it stops at once.)
/// At the deeper zooms that is most areas, and this one pass replaces the
/// topology-preserving simplification's R-tree of every segment, which was
/// most of a server start's time.
fn removes_nothing(polygon: &geo::Polygon<f64>, tolerance: f64) -> bool {
    std::iter::once(polygon.exterior())
        .chain(polygon.interiors())
        .all(|ring| ring.triangles().all(|t| t.unsigned_area() > tolerance))
}

/// The shapes of an area for zooms `0..=MAX_GENERALISED_ZOOM`, each snapped
/// to the tile grid of its zoom.
pub fn pyramid(area: &MultiPolygon<f64>) -> Vec<GridShape> {
    (0..=MAX_GENERALISED_ZOOM)
        .zip(generalised(area))
        .map(|(zoom, shape)| match shape {
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
