//! From Web Mercator metres to clean integer tile geometry: transform,
//! clip to the tile plus a buffer, snap to the grid, drop what collapsed and
//! orient the rings as the MVT specification requires.

use geo::{Coord, MultiPolygon, Point};
use partimap_index::{GridPolygons, TileCoord, grid};

use crate::mvt::{LayerBuilder, TileGeometry};

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

/// Buffers the clipper reuses from ring to ring (a tile clips thousands).
#[derive(Debug, Default)]
pub struct ClipScratch {
    ring: Vec<Coord<f64>>,
    spare: Vec<Coord<f64>>,
    snapped: Vec<[i32; 2]>,
}

/// Clips a ring to the buffered tile with the Sutherland–Hodgman algorithm,
/// which is exact for a rectangular clip window. A concave ring that leaves
/// and re-enters the window gets edges along the window's border; renderers
/// draw such rings correctly, and the border lies outside the visible tile.
/// Only the window's edges the ring's bounding box crosses are clipped
/// against (a pass against any other would keep every vertex as it is).
/// The result is left in `s.ring`.
fn clip_ring(ring: impl Iterator<Item = Coord<f64>>, s: &mut ClipScratch) {
    s.ring.clear();
    s.ring.extend(ring);
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
    for c in &s.ring {
        min = Coord {
            x: min.x.min(c.x),
            y: min.y.min(c.y),
        };
        max = Coord {
            x: max.x.max(c.x),
            y: max.y.max(c.y),
        };
    }
    if max.x < LO || min.x > HI || max.y < LO || min.y > HI {
        s.ring.clear();
        return;
    }
    let crossed = [min.x < LO, max.x > HI, min.y < LO, max.y > HI];
    for edge in (0..4).filter(|e| crossed[*e]) {
        std::mem::swap(&mut s.ring, &mut s.spare);
        s.ring.clear();
        let input = &s.spare;
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
        for &cur in input {
            match (inside(prev), inside(cur)) {
                (true, true) => s.ring.push(cur),
                (true, false) => s.ring.push(cut(prev, cur)),
                (false, true) => {
                    s.ring.push(cut(prev, cur));
                    s.ring.push(cur);
                }
                (false, false) => {}
            }
            prev = cur;
        }
    }
}

/// Clips a ring, snaps it and leaves it cleaned in `s.snapped` (see
/// [`grid::push_clean_ring`]); `false` when it collapsed.
fn clip_and_snap(
    ring: impl Iterator<Item = Coord<f64>>,
    exterior: bool,
    s: &mut ClipScratch,
) -> bool {
    clip_ring(ring, s);
    s.snapped.clear();
    push_snapped(&mut s.snapped, &s.ring, exterior)
}

/// Snaps a clipped ring and appends it to `out`, cleaned (see
/// [`grid::push_clean_ring`]); `false` when it collapsed.
fn push_snapped(out: &mut Vec<[i32; 2]>, ring: &[Coord<f64>], exterior: bool) -> bool {
    grid::push_clean_ring(
        out,
        ring.iter()
            .map(|c| [c.x.round() as i32, c.y.round() as i32]),
        exterior,
    )
}

/// The polygons of an area as they appear in one tile, from Web Mercator
/// (the deepest zooms, which have no grid shapes of their own).
pub fn polygons(mp: &MultiPolygon<f64>, t: &TileTransform) -> TileGeometry {
    let mut out = Vec::new();
    let mut s = ClipScratch::default();
    for polygon in &mp.0 {
        let ring = |ls: &geo::LineString<f64>| ls.0.iter().map(|c| t.apply(*c)).collect::<Vec<_>>();
        if !clip_and_snap(ring(polygon.exterior()).into_iter(), true, &mut s) {
            continue;
        }
        let mut rings = vec![s.snapped.clone()];
        for hole in polygon.interiors() {
            if clip_and_snap(ring(hole).into_iter(), false, &mut s) {
                rings.push(s.snapped.clone());
            }
        }
        out.push(rings);
    }
    TileGeometry::Polygons(out)
}

/// How a bounding box lies to a tile and its buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    Outside,
    Inside,
    Crossing,
}

/// Where one tile and its buffer lie on the grid of its zoom
/// (`partimap_index::grid`).
#[derive(Debug, Clone, Copy)]
pub struct Window {
    /// The tile's top-left corner.
    origin: [i32; 2],
}

impl Window {
    /// The window of `tile`; `None` beyond zoom 18, whose grid coordinates
    /// would not fit an `i32` (the index snaps no zoom that deep).
    pub fn new(tile: TileCoord) -> Option<Self> {
        let extent = EXTENT as i32;
        (tile.z() <= 18).then(|| Self {
            origin: [tile.x() as i32 * extent, tile.y() as i32 * extent],
        })
    }

    fn min(&self) -> [i32; 2] {
        [self.origin[0] - BUFFER, self.origin[1] - BUFFER]
    }

    fn max(&self) -> [i32; 2] {
        let far = EXTENT as i32 + BUFFER;
        [self.origin[0] + far, self.origin[1] + far]
    }

    /// A grid point in tile coordinates.
    pub fn local(&self, p: [i32; 2]) -> [i32; 2] {
        [p[0] - self.origin[0], p[1] - self.origin[1]]
    }

    /// How a bounding box on the grid lies to the buffered tile.
    pub fn relation(&self, lo: [i32; 2], hi: [i32; 2]) -> Relation {
        let (min, max) = (self.min(), self.max());
        if hi[0] < min[0] || lo[0] > max[0] || hi[1] < min[1] || lo[1] > max[1] {
            Relation::Outside
        } else if min[0] <= lo[0] && hi[0] <= max[0] && min[1] <= lo[1] && hi[1] <= max[1] {
            Relation::Inside
        } else {
            Relation::Crossing
        }
    }

    /// A grid point in tile coordinates, if it lies in the tile or its
    /// buffer.
    pub fn point(&self, p: [i32; 2]) -> Option<[i32; 2]> {
        let (min, max) = (self.min(), self.max());
        (min[0] <= p[0] && p[0] <= max[0] && min[1] <= p[1] && p[1] <= max[1])
            .then(|| [p[0] - self.origin[0], p[1] - self.origin[1]])
    }
}

/// Adds the polygons `g` (on the grid of the window's zoom) to the feature
/// `layer` is building, as far as they reach into the window. Polygons
/// wholly inside are only moved; the others are clipped to the window and
/// cleaned again. `scratch` is a buffer to reuse.
pub fn push_polygons(
    layer: &mut LayerBuilder,
    g: &GridPolygons,
    window: &Window,
    scratch: &mut ClipScratch,
) {
    if g.is_empty() {
        return;
    }
    match window.relation(g.min, g.max) {
        Relation::Outside => return,
        Relation::Inside => {
            layer.push_encoded_polygons(window.local(g.first), &g.commands);
            return;
        }
        Relation::Crossing => {}
    }
    let mut holes = false;
    for (ring, exterior) in g.rings() {
        if !exterior && !holes {
            continue;
        }
        let local = ring.iter().map(|p| Coord {
            x: f64::from(p[0] - window.origin[0]),
            y: f64::from(p[1] - window.origin[1]),
        });
        let kept = clip_and_snap(local, exterior, scratch);
        if exterior {
            holes = kept;
        }
        if kept {
            layer.push_ring(&scratch.snapped, [0, 0]);
        }
    }
}

#[cfg(test)]
mod tests {
    use geo::polygon;

    use partimap_index::grid::doubled_area;

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
    fn a_polygon_inside_the_window_is_moved_as_its_prepared_commands() {
        use geo::{Coord, LineString, Polygon};
        // Two polygons, the first with a hole, near tile 2/1 of zoom 3.
        let u = grid::unit(3);
        let ring = |pts: &[(f64, f64)]| -> LineString<f64> {
            pts.iter()
                .map(|&(x, y)| Coord {
                    x: -partimap_index::mercator::HALF_WORLD + x * u,
                    y: partimap_index::mercator::HALF_WORLD - y * u,
                })
                .collect()
        };
        let mp = MultiPolygon(vec![
            Polygon::new(
                ring(&[
                    (8292.0, 4196.0),
                    (8492.0, 4196.0),
                    (8492.0, 4396.0),
                    (8292.0, 4396.0),
                ]),
                vec![ring(&[
                    (8320.0, 4220.0),
                    (8340.0, 4220.0),
                    (8340.0, 4240.0),
                ])],
            ),
            Polygon::new(
                ring(&[(9000.0, 5000.0), (9100.0, 5000.0), (9000.0, 5100.0)]),
                vec![],
            ),
        ]);
        let g = GridPolygons::snap(&mp, 3);
        let window = Window::new(TileCoord::new(3, 2, 1).unwrap()).unwrap();
        let mut moved = LayerBuilder::new("a", 4096);
        push_polygons(&mut moved, &g, &window, &mut ClipScratch::default());
        let mut rings = LayerBuilder::new("a", 4096);
        for (ring, _) in g.rings() {
            rings.push_ring(ring, window.origin);
        }
        assert_eq!(g.rings().count(), 3);
        assert!(moved.finish_feature(1) && rings.finish_feature(1));
        assert_eq!(crate::mvt::encode(&[moved]), crate::mvt::encode(&[rings]));
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
