//! From Web Mercator metres to clean integer tile geometry: transform,
//! clip to the tile plus a buffer, snap to the grid, drop what collapsed and
//! orient the rings as the MVT specification requires.

use geo::{Coord, MultiPolygon, Point};
use partimap_index::TileCoord;

use crate::mvt::TileGeometry;

/// The tile extent: the side of a tile in tile coordinates.
pub const EXTENT: u32 = 4096;
/// How far geometry reaches beyond the tile's edge, in tile coordinates, so
/// that strokes and point symbols on the edge are drawn whole.
pub const BUFFER: i32 = 64;

/// Maps Web Mercator metres to the coordinates of one tile (y down).
#[derive(Debug, Clone, Copy)]
pub struct TileTransform {
    min_x: f64,
    max_y: f64,
    scale: f64,
}

impl TileTransform {
    pub fn new(tile: TileCoord) -> Self {
        let envelope = tile.envelope();
        Self {
            min_x: envelope.min.x,
            max_y: envelope.max.y,
            scale: f64::from(EXTENT) / tile.size(),
        }
    }

    fn apply(&self, c: Coord<f64>) -> Coord<f64> {
        Coord {
            x: (c.x - self.min_x) * self.scale,
            y: (self.max_y - c.y) * self.scale,
        }
    }
}

const LO: f64 = -(BUFFER as f64);
const HI: f64 = EXTENT as f64 + BUFFER as f64;

/// A point, if it lies in the tile or its buffer.
pub fn point(p: Point<f64>, t: &TileTransform) -> Option<[i32; 2]> {
    let c = t.apply(p.0);
    ((LO..=HI).contains(&c.x) && (LO..=HI).contains(&c.y))
        .then(|| [c.x.round() as i32, c.y.round() as i32])
}

/// Clips a ring to the buffered tile with the Sutherland–Hodgman algorithm,
/// which is exact for a rectangular clip window. A concave ring that leaves
/// and re-enters the window gets edges along the window's border; renderers
/// draw such rings correctly, and the border lies outside the visible tile.
fn clip_ring(ring: Vec<Coord<f64>>) -> Vec<Coord<f64>> {
    let (mut min, mut max) = (
        Coord {
            x: f64::MAX,
            y: f64::MAX,
        },
        Coord {
            x: f64::MIN,
            y: f64::MIN,
        },
    );
    for c in &ring {
        min = Coord {
            x: min.x.min(c.x),
            y: min.y.min(c.y),
        };
        max = Coord {
            x: max.x.max(c.x),
            y: max.y.max(c.y),
        };
    }
    if min.x >= LO && max.x <= HI && min.y >= LO && max.y <= HI {
        return ring;
    }
    if max.x < LO || min.x > HI || max.y < LO || min.y > HI {
        return Vec::new();
    }
    let mut ring = ring;
    for edge in 0..4 {
        let input = std::mem::take(&mut ring);
        let Some(&last) = input.last() else { break };
        let inside = |c: Coord<f64>| match edge {
            0 => c.x >= LO,
            1 => c.x <= HI,
            2 => c.y >= LO,
            _ => c.y <= HI,
        };
        let cut = |a: Coord<f64>, b: Coord<f64>| {
            if edge < 2 {
                let x = if edge == 0 { LO } else { HI };
                let t = (x - a.x) / (b.x - a.x);
                Coord {
                    x,
                    y: a.y + t * (b.y - a.y),
                }
            } else {
                let y = if edge == 2 { LO } else { HI };
                let t = (y - a.y) / (b.y - a.y);
                Coord {
                    x: a.x + t * (b.x - a.x),
                    y,
                }
            }
        };
        let mut prev = last;
        for cur in input {
            match (inside(prev), inside(cur)) {
                (true, true) => ring.push(cur),
                (true, false) => ring.push(cut(prev, cur)),
                (false, true) => {
                    ring.push(cut(prev, cur));
                    ring.push(cur);
                }
                (false, false) => {}
            }
            prev = cur;
        }
    }
    ring
}

/// Twice the signed area by the surveyor's formula, in tile coordinates.
/// Positive for an exterior ring as the specification defines it (it appears
/// clockwise on screen, y pointing down).
pub fn doubled_area(ring: &[[i32; 2]]) -> i64 {
    let n = ring.len();
    (0..n)
        .map(|i| {
            let (a, b) = (ring[i], ring[(i + 1) % n]);
            i64::from(a[0]) * i64::from(b[1]) - i64::from(b[0]) * i64::from(a[1])
        })
        .sum()
}

/// Snaps a clipped ring to the integer grid, opens it, drops repeated points
/// (zero-length segments) and orients it; `None` when it collapsed.
fn clean_ring(ring: &[Coord<f64>], exterior: bool) -> Option<Vec<[i32; 2]>> {
    let mut out: Vec<[i32; 2]> = Vec::with_capacity(ring.len());
    for c in ring {
        let p = [c.x.round() as i32, c.y.round() as i32];
        if out.last() != Some(&p) {
            out.push(p);
        }
    }
    while out.len() > 1 && out.first() == out.last() {
        out.pop();
    }
    if out.len() < 3 {
        return None;
    }
    let area = doubled_area(&out);
    if area == 0 {
        return None;
    }
    if (area > 0) != exterior {
        out.reverse();
    }
    Some(out)
}

/// The polygons of an area as they appear in one tile.
pub fn polygons(mp: &MultiPolygon<f64>, t: &TileTransform) -> TileGeometry {
    let mut out = Vec::new();
    for polygon in &mp.0 {
        let ring =
            |ls: &geo::LineString<f64>| clip_ring(ls.0.iter().map(|c| t.apply(*c)).collect());
        let Some(exterior) = clean_ring(&ring(polygon.exterior()), true) else {
            continue;
        };
        let mut rings = vec![exterior];
        rings.extend(
            polygon
                .interiors()
                .iter()
                .filter_map(|hole| clean_ring(&ring(hole), false)),
        );
        out.push(rings);
    }
    TileGeometry::Polygons(out)
}

#[cfg(test)]
mod tests {
    use geo::polygon;

    use super::*;

    fn transform() -> TileTransform {
        // A tile whose coordinates equal Mercator metres: scale 1, origin at
        // (0, 4096), so that tile y = 4096 - Mercator y.
        TileTransform {
            min_x: 0.0,
            max_y: 4096.0,
            scale: 1.0,
        }
    }

    #[test]
    fn a_ring_crossing_the_edge_is_clipped_to_the_buffer() {
        let mp = MultiPolygon(vec![
            polygon![(x: 100.0, y: 100.0), (x: 9000.0, y: 100.0), (x: 9000.0, y: 200.0), (x: 100.0, y: 200.0)],
        ]);
        let TileGeometry::Polygons(p) = polygons(&mp, &transform()) else {
            panic!()
        };
        let xs: Vec<_> = p[0][0].iter().map(|c| c[0]).collect();
        assert_eq!(xs.iter().max(), Some(&(4096 + BUFFER)));
        assert!(doubled_area(&p[0][0]) > 0);
    }

    #[test]
    fn rings_are_oriented_whatever_their_input_winding() {
        let ccw = polygon!(
            exterior: [(x: 10.0, y: 10.0), (x: 100.0, y: 10.0), (x: 100.0, y: 100.0), (x: 10.0, y: 100.0)],
            interiors: [[(x: 20.0, y: 20.0), (x: 30.0, y: 20.0), (x: 30.0, y: 30.0), (x: 20.0, y: 30.0)]],
        );
        let mut cw = ccw.clone();
        cw.exterior_mut(|r| r.0.reverse());
        cw.interiors_mut(|rs| rs[0].0.reverse());
        for poly in [ccw, cw] {
            let TileGeometry::Polygons(p) = polygons(&MultiPolygon(vec![poly]), &transform())
            else {
                panic!()
            };
            assert!(doubled_area(&p[0][0]) > 0);
            assert!(doubled_area(&p[0][1]) < 0);
        }
    }

    #[test]
    fn collapsed_rings_and_repeated_points_are_dropped() {
        let tiny = polygon![(x: 10.0, y: 10.0), (x: 10.2, y: 10.1), (x: 10.1, y: 10.3)];
        let thin = polygon![(x: 10.0, y: 10.0), (x: 10.2, y: 10.0), (x: 50.0, y: 10.0), (x: 50.0, y: 10.2)];
        let outside = polygon![(x: -900.0, y: 10.0), (x: -800.0, y: 10.0), (x: -800.0, y: 90.0)];
        let TileGeometry::Polygons(p) =
            polygons(&MultiPolygon(vec![tiny, thin, outside]), &transform())
        else {
            panic!()
        };
        assert!(p.is_empty(), "{p:?}");
        let repeated = polygon![(x: 10.0, y: 10.0), (x: 10.1, y: 10.0), (x: 60.0, y: 10.0), (x: 60.0, y: 60.0)];
        let TileGeometry::Polygons(p) = polygons(&MultiPolygon(vec![repeated]), &transform())
        else {
            panic!()
        };
        assert_eq!(p[0][0].len(), 3, "{p:?}");
    }

    #[test]
    fn points_outside_the_buffer_are_left_out() {
        assert_eq!(
            point(Point::new(10.0, 4000.0), &transform()),
            Some([10, 96])
        );
        assert_eq!(point(Point::new(-100.0, 4000.0), &transform()), None);
    }
}
