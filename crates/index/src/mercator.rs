//! Web Mercator (EPSG:3857) and the XYZ tile grid.

use std::fmt;

use geo::{Coord, MapCoords, MultiPolygon, Point};

/// The radius of the spherical Earth of Web Mercator, in metres.
pub const EARTH_RADIUS: f64 = 6_378_137.0;
/// Half the width of the Web Mercator world, in metres.
pub const HALF_WORLD: f64 = std::f64::consts::PI * EARTH_RADIUS;
/// The latitude where Web Mercator's square world ends.
pub const MAX_LATITUDE: f64 = 85.051_128_779_806_59;
/// The deepest zoom served.
pub const MAX_ZOOM: u8 = 22;

/// Projects a longitude/latitude to Web Mercator metres.
pub fn project(c: Coord<f64>) -> Coord<f64> {
    let lat = c.y.clamp(-MAX_LATITUDE, MAX_LATITUDE).to_radians();
    Coord {
        x: c.x.to_radians() * EARTH_RADIUS,
        y: (std::f64::consts::FRAC_PI_4 + lat / 2.0).tan().ln() * EARTH_RADIUS,
    }
}

/// Projects a point.
pub fn project_point(p: Point<f64>) -> Point<f64> {
    Point(project(p.0))
}

/// Projects an area.
pub fn project_polygons(mp: &MultiPolygon<f64>) -> MultiPolygon<f64> {
    mp.map_coords(project)
}

/// Web Mercator metres back to longitude/latitude.
pub fn unproject(c: Coord<f64>) -> Coord<f64> {
    Coord {
        x: (c.x / EARTH_RADIUS).to_degrees(),
        y: (2.0 * (c.y / EARTH_RADIUS).exp().atan() - std::f64::consts::FRAC_PI_2).to_degrees(),
    }
}

/// An axis-aligned rectangle in Web Mercator metres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Envelope {
    pub min: Coord<f64>,
    pub max: Coord<f64>,
}

impl Envelope {
    /// The envelope grown by `margin` metres on every side.
    pub fn grow(self, margin: f64) -> Self {
        Self {
            min: Coord {
                x: self.min.x - margin,
                y: self.min.y - margin,
            },
            max: Coord {
                x: self.max.x + margin,
                y: self.max.y + margin,
            },
        }
    }

    pub fn intersects(&self, other: &Envelope) -> bool {
        self.min.x <= other.max.x
            && other.min.x <= self.max.x
            && self.min.y <= other.max.y
            && other.min.y <= self.max.y
    }

    pub fn contains(&self, c: Coord<f64>) -> bool {
        (self.min.x..=self.max.x).contains(&c.x) && (self.min.y..=self.max.y).contains(&c.y)
    }
}

/// A tile of the XYZ grid (y counts down from the north, as in the URLs of
/// every web map).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TileCoord {
    z: u8,
    x: u32,
    y: u32,
}

/// Why a tile coordinate is not one of the grid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TileCoordError {
    #[error("zoom {0} is out of range: tiles exist for zoom 0 to {MAX_ZOOM}")]
    Zoom(u32),
    #[error("x {x} is out of range at zoom {z}: x must be 0 to {max}")]
    X { z: u8, x: u32, max: u32 },
    #[error("y {y} is out of range at zoom {z}: y must be 0 to {max}")]
    Y { z: u8, y: u32, max: u32 },
}

impl TileCoord {
    pub fn new(z: u32, x: u32, y: u32) -> Result<Self, TileCoordError> {
        let z = u8::try_from(z)
            .ok()
            .filter(|z| *z <= MAX_ZOOM)
            .ok_or(TileCoordError::Zoom(z))?;
        let max = (1u32 << z) - 1;
        if x > max {
            return Err(TileCoordError::X { z, x, max });
        }
        if y > max {
            return Err(TileCoordError::Y { z, y, max });
        }
        Ok(Self { z, x, y })
    }

    pub fn z(self) -> u8 {
        self.z
    }
    pub fn x(self) -> u32 {
        self.x
    }
    pub fn y(self) -> u32 {
        self.y
    }

    /// The width of this tile in metres.
    pub fn size(self) -> f64 {
        2.0 * HALF_WORLD / f64::from(1u32 << self.z)
    }

    /// The tile's extent in Web Mercator metres.
    pub fn envelope(self) -> Envelope {
        let size = self.size();
        let min_x = -HALF_WORLD + f64::from(self.x) * size;
        let max_y = HALF_WORLD - f64::from(self.y) * size;
        Envelope {
            min: Coord {
                x: min_x,
                y: max_y - size,
            },
            max: Coord {
                x: min_x + size,
                y: max_y,
            },
        }
    }
}

impl fmt::Display for TileCoord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.z, self.x, self.y)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn projection_matches_known_values() {
        // Cologne Cathedral; the expected values are PROJ's
        // (`gdaltransform -s_srs OGC:CRS84 -t_srs EPSG:3857`).
        let c = project(Coord {
            x: 6.958_1,
            y: 50.941_3,
        });
        assert!((c.x - 774_572.148_888_677).abs() < 1e-6, "{c:?}");
        assert!((c.y - 6_610_916.933_342_89).abs() < 1e-6, "{c:?}");
        let back = unproject(c);
        assert!((back.x - 6.958_1).abs() < 1e-9 && (back.y - 50.941_3).abs() < 1e-9);
    }

    #[test]
    fn tile_envelopes_cover_the_world() {
        let root = TileCoord::new(0, 0, 0).unwrap().envelope();
        assert!((root.min.x + HALF_WORLD).abs() < 1e-6 && (root.max.y - HALF_WORLD).abs() < 1e-6);
        // Zoom 14 tile of Siegen's centre.
        let t = TileCoord::new(14, 8557, 5494).unwrap();
        let siegen = project(Coord {
            x: 8.0243,
            y: 50.8748,
        });
        assert!(
            t.envelope().contains(siegen),
            "{:?} {siegen:?}",
            t.envelope()
        );
    }

    #[test]
    fn out_of_range_coordinates_say_which_part() {
        assert_eq!(
            TileCoord::new(99, 0, 0).unwrap_err().to_string(),
            "zoom 99 is out of range: tiles exist for zoom 0 to 22"
        );
        assert_eq!(
            TileCoord::new(3, 9, 0).unwrap_err().to_string(),
            "x 9 is out of range at zoom 3: x must be 0 to 7"
        );
        assert_eq!(
            TileCoord::new(3, 0, 8).unwrap_err().to_string(),
            "y 8 is out of range at zoom 3: y must be 0 to 7"
        );
    }
}
