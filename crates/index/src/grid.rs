//! Shapes snapped to the tile grid of one zoom, computed once when a
//! procedure enters the index.
//!
//! The grid of zoom `z` counts [`EXTENT`] units per tile side across the
//! whole world, x to the east and y down from the north edge, so that a
//! tile's own coordinates are the grid coordinates minus the tile's origin
//! (`x * EXTENT`, `y * EXTENT`). Snapping once here, rather than per tile
//! request, means a tile whose buffered window holds a ring whole only has to
//! translate it: the vertices are already rounded, repeated points and
//! collapsed rings already gone, and the winding already as the MVT
//! specification wants it (translation keeps all of that). Only rings that
//! cross the window's edge are clipped per request.
//!
//! Grid coordinates fit an `i32` up to zoom 18 (`2^18 · 4096 = 2^30`); the
//! index snaps zooms up to [`crate::generalise::MAX_GENERALISED_ZOOM`].

use geo::{Coord, LineString, MultiPolygon};

use crate::mercator::HALF_WORLD;

/// Grid units per tile side (the MVT extent).
pub const EXTENT: i32 = 4096;

/// The size of one grid unit at `zoom`, in Web Mercator metres.
pub fn unit(zoom: u8) -> f64 {
    2.0 * HALF_WORLD / f64::from(1u32 << zoom) / f64::from(EXTENT)
}

/// Web Mercator metres to (unrounded) grid coordinates of `zoom`.
pub fn to_grid(c: Coord<f64>, zoom: u8) -> [f64; 2] {
    let unit = unit(zoom);
    [(c.x + HALF_WORLD) / unit, (HALF_WORLD - c.y) / unit]
}

/// Twice the signed area by the surveyor's formula. Positive for an exterior
/// ring as the MVT specification defines it (clockwise on screen, y down).
pub fn doubled_area(ring: &[[i32; 2]]) -> i64 {
    let n = ring.len();
    (0..n)
        .map(|i| {
            let (a, b) = (ring[i], ring[(i + 1) % n]);
            i64::from(a[0]) * i64::from(b[1]) - i64::from(b[0]) * i64::from(a[1])
        })
        .sum()
}

/// Appends the ring `points` (snapped already, open or closed) to `out`
/// cleaned for the MVT specification: open, no repeated points (zero-length
/// segments), at least three points enclosing an area, oriented as an
/// exterior or an interior ring. Returns `false`, leaving `out` as it was,
/// when the ring collapsed.
pub fn push_clean_ring(
    out: &mut Vec<[i32; 2]>,
    points: impl IntoIterator<Item = [i32; 2]>,
    exterior: bool,
) -> bool {
    let start = out.len();
    for p in points {
        if out.len() == start || out.last() != Some(&p) {
            out.push(p);
        }
    }
    while out.len() > start + 1 && out[start] == out[out.len() - 1] {
        out.pop();
    }
    let ring = &mut out[start..];
    let area = if ring.len() < 3 {
        0
    } else {
        doubled_area(ring)
    };
    if area == 0 {
        out.truncate(start);
        return false;
    }
    if (area > 0) != exterior {
        ring.reverse();
    }
    true
}

/// One ring of [`GridPolygons`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GridRing {
    /// Where the ring ends in [`GridPolygons::vertices`].
    pub end: u32,
    /// An exterior ring starts a polygon; its holes follow it.
    pub exterior: bool,
}

/// Polygons on the grid of one zoom, cleaned (see [`push_clean_ring`]); a
/// polygon whose exterior collapsed is left out with its holes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GridPolygons {
    /// The vertices of every ring, one ring after the other.
    pub vertices: Vec<[i32; 2]>,
    pub rings: Vec<GridRing>,
    /// The bounding box of the vertices (meaningless when there are none).
    pub min: [i32; 2],
    pub max: [i32; 2],
    /// The first vertex, kept beside the bounding box: a tile holding the
    /// polygons whole reads only these and [`Self::commands`].
    pub first: [i32; 2],
    /// The MVT geometry commands of all rings (specification 4.3), except
    /// the first MoveTo and its point: every other parameter is a delta
    /// from the point before, so the same bytes serve every tile that holds
    /// the polygons whole, after a MoveTo to the first vertex in that
    /// tile's coordinates.
    pub commands: Box<[u8]>,
}

impl GridPolygons {
    /// Snaps `mp` (Web Mercator) to the grid of `zoom`.
    pub fn snap(mp: &MultiPolygon<f64>, zoom: u8) -> Self {
        let mut out = Self::default();
        fn snapped(ring: &LineString<f64>, zoom: u8) -> impl Iterator<Item = [i32; 2]> + '_ {
            ring.0.iter().map(move |c| {
                let [x, y] = to_grid(*c, zoom);
                [x.round() as i32, y.round() as i32]
            })
        }
        for polygon in &mp.0 {
            if !out.push_ring(snapped(polygon.exterior(), zoom), true) {
                continue;
            }
            for hole in polygon.interiors() {
                out.push_ring(snapped(hole, zoom), false);
            }
        }
        out.vertices.shrink_to_fit();
        out.rings.shrink_to_fit();
        let (mut min, mut max) = ([i32::MAX; 2], [i32::MIN; 2]);
        for p in &out.vertices {
            min = [min[0].min(p[0]), min[1].min(p[1])];
            max = [max[0].max(p[0]), max[1].max(p[1])];
        }
        out.min = min;
        out.max = max;
        out.first = out.vertices.first().copied().unwrap_or_default();
        out.commands = out.encode().into();
        out
    }

    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.vertices.len() * 3 + self.rings.len() * 4);
        let mut cursor = self.first;
        for (ring, _) in self.rings() {
            put_ring(&mut out, &mut cursor, ring, [0, 0]);
        }
        // Encoded from the first vertex, the stream opens with a MoveTo to
        // where it already is, [MoveTo(1), 0, 0]: that MoveTo is each tile's
        // to write.
        let opening = out.len().min(3);
        debug_assert!(out.is_empty() || out[..3] == [9, 0, 0]);
        out.drain(..opening);
        out
    }

    fn push_ring(&mut self, points: impl IntoIterator<Item = [i32; 2]>, exterior: bool) -> bool {
        let kept = push_clean_ring(&mut self.vertices, points, exterior);
        if kept {
            self.rings.push(GridRing {
                end: self.vertices.len() as u32,
                exterior,
            });
        }
        kept
    }

    pub fn is_empty(&self) -> bool {
        self.rings.is_empty()
    }

    /// The rings in order, each with whether it is an exterior.
    pub fn rings(&self) -> impl Iterator<Item = (&[[i32; 2]], bool)> {
        let mut start = 0;
        self.rings.iter().map(move |r| {
            let ring = &self.vertices[start..r.end as usize];
            start = r.end as usize;
            (ring, r.exterior)
        })
    }
}

/// MVT command ids (specification 4.3.3).
pub const MOVE_TO: u32 = 1;
pub const LINE_TO: u32 = 2;
pub const CLOSE_PATH: u32 = 7;

/// An MVT command integer: id and repeat count.
#[inline]
pub fn command(id: u32, count: usize) -> u32 {
    // A count never exceeds 2^29 - 1 here: rings are bounded by a tile.
    (id & 0x7) | ((count as u32) << 3)
}

/// Zigzag encoding of a parameter (specification 4.3.2).
#[inline]
pub fn zigzag(n: i32) -> u32 {
    ((n << 1) ^ (n >> 31)) as u32
}

/// Appends `v` as a protobuf varint.
#[inline]
pub fn put_varint(buf: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        buf.push((v as u8 & 0x7f) | 0x80);
        v >>= 7;
    }
    buf.push(v as u8);
}

/// Appends `p` as zigzag deltas from `cursor` and moves the cursor to it.
#[inline]
pub fn put_delta(out: &mut Vec<u8>, cursor: &mut [i32; 2], p: [i32; 2]) {
    put_varint(out, u64::from(zigzag(p[0].wrapping_sub(cursor[0]))));
    put_varint(out, u64::from(zigzag(p[1].wrapping_sub(cursor[1]))));
    *cursor = p;
}

/// Appends the MVT commands of one clean ring, moved by `-origin`: a MoveTo
/// to its first point, a LineTo through the rest, a ClosePath; parameters
/// are deltas from `cursor`, which ends on the ring's last point.
pub fn put_ring(out: &mut Vec<u8>, cursor: &mut [i32; 2], ring: &[[i32; 2]], origin: [i32; 2]) {
    debug_assert!(ring.len() >= 3, "rings are cleaned before encoding");
    let at = |p: [i32; 2]| [p[0] - origin[0], p[1] - origin[1]];
    put_varint(out, u64::from(command(MOVE_TO, 1)));
    put_delta(out, cursor, at(ring[0]));
    put_varint(out, u64::from(command(LINE_TO, ring.len() - 1)));
    for p in &ring[1..] {
        put_delta(out, cursor, at(*p));
    }
    put_varint(out, u64::from(command(CLOSE_PATH, 1)));
}

/// A shape on the grid of one zoom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GridShape {
    Point([i32; 2]),
    Polygons(GridPolygons),
}

#[cfg(test)]
mod tests {
    use geo::polygon;

    use super::*;

    #[test]
    fn snapping_cleans_orients_and_drops_collapsed_polygons_with_their_holes() {
        let u = unit(12);
        // In grid units at zoom 12, around the world's centre: a square of
        // 100 units (counter-clockwise on screen) with a hole, a sliver that
        // snaps to a line, and a repeated vertex.
        let at = |x: f64, y: f64| Coord {
            x: x * u,
            y: -y * u,
        };
        let square = geo::Polygon::new(
            LineString(vec![
                at(0.0, 0.0),
                at(0.0, 100.0),
                at(0.0, 100.2),
                at(100.0, 100.0),
                at(100.0, 0.0),
                at(0.0, 0.0),
            ]),
            vec![LineString(vec![
                at(10.0, 10.0),
                at(20.0, 10.0),
                at(20.0, 20.0),
                at(10.0, 10.0),
            ])],
        );
        let sliver = polygon![(x: 0.0, y: 0.0), (x: 500.0 * u, y: 0.1 * u), (x: 900.0 * u, y: 0.0)];
        let g = GridPolygons::snap(&MultiPolygon(vec![square, sliver]), 12);
        let rings: Vec<_> = g.rings().collect();
        assert_eq!(rings.len(), 2, "{rings:?}");
        let half = (1 << 11) * EXTENT;
        assert_eq!(rings[0].0.len(), 4, "repeated point dropped: {rings:?}");
        assert!(rings[0].1 && doubled_area(rings[0].0) > 0);
        assert!(!rings[1].1 && doubled_area(rings[1].0) < 0);
        assert_eq!((g.min, g.max), ([half, half], [half + 100, half + 100]));
    }
}
