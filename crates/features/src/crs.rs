//! The coordinate reference systems the features are offered in: CRS84
//! (WGS84 longitude/latitude, what the store holds) and ETRS89 / UTM zone
//! 32N (EPSG:25832), which the GIS staff of North Rhine-Westphalia work in
//! (OGC API – Features Part 2, by reference).

use proj4rs::proj::Proj;

/// A CRS of the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Crs {
    Crs84,
    Utm32,
}

pub const CRS84_URI: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";
pub const UTM32_URI: &str = "http://www.opengis.net/def/crs/EPSG/0/25832";

/// Both, as a collection lists them.
pub const ALL: [Crs; 2] = [Crs::Crs84, Crs::Utm32];

const UTM32: &str = "+proj=utm +zone=32 +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs";
const LONLAT: &str = "+proj=longlat +datum=WGS84 +no_defs";

impl Crs {
    pub fn uri(self) -> &'static str {
        match self {
            Self::Crs84 => CRS84_URI,
            Self::Utm32 => UTM32_URI,
        }
    }

    /// A CRS by its URI (or the usual short forms).
    pub fn parse(given: &str) -> Option<Self> {
        let lower = given.trim().to_ascii_lowercase();
        let lower = lower.trim_start_matches('[').trim_end_matches(']');
        match lower {
            "http://www.opengis.net/def/crs/ogc/1.3/crs84"
            | "https://www.opengis.net/def/crs/ogc/1.3/crs84"
            | "urn:ogc:def:crs:ogc:1.3:crs84"
            | "crs84"
            | "ogc:crs84" => Some(Self::Crs84),
            "http://www.opengis.net/def/crs/epsg/0/25832"
            | "https://www.opengis.net/def/crs/epsg/0/25832"
            | "urn:ogc:def:crs:epsg::25832"
            | "epsg:25832" => Some(Self::Utm32),
            _ => None,
        }
    }
}

/// Coordinates from WGS84 into a CRS of the API, and back.
#[derive(Debug)]
pub struct Transform {
    crs: Crs,
    projections: Option<(Proj, Proj)>,
}

impl Transform {
    pub fn new(crs: Crs) -> Self {
        let projections = match crs {
            Crs::Crs84 => None,
            Crs::Utm32 => Proj::from_proj_string(LONLAT)
                .ok()
                .zip(Proj::from_proj_string(UTM32).ok()),
        };
        Self { crs, projections }
    }

    pub fn crs(&self) -> Crs {
        self.crs
    }

    /// `[lon, lat]` in this CRS (None if it cannot be transformed).
    pub fn forward(&self, lon: f64, lat: f64) -> Option<[f64; 2]> {
        match &self.projections {
            None => Some([lon, lat]),
            Some((lonlat, utm)) => {
                let mut p = (lon.to_radians(), lat.to_radians(), 0.0);
                proj4rs::transform::transform(lonlat, utm, &mut p).ok()?;
                (p.0.is_finite() && p.1.is_finite()).then_some([p.0, p.1])
            }
        }
    }

    /// A point of this CRS in WGS84 `[lon, lat]`.
    pub fn inverse(&self, x: f64, y: f64) -> Option<[f64; 2]> {
        match &self.projections {
            None => Some([x, y]),
            Some((lonlat, utm)) => {
                let mut p = (x, y, 0.0);
                proj4rs::transform::transform(utm, lonlat, &mut p).ok()?;
                let out = [p.0.to_degrees(), p.1.to_degrees()];
                out.iter().all(|v| v.is_finite()).then_some(out)
            }
        }
    }

    /// A box of this CRS (minx, miny, maxx, maxy) as the WGS84 box that
    /// holds it: its edges are sampled, because a UTM box is curved in
    /// longitude and latitude.
    pub fn inverse_box(&self, [x0, y0, x1, y1]: [f64; 4]) -> Option<[f64; 4]> {
        if self.crs == Crs::Crs84 {
            return Some([x0, y0, x1, y1]);
        }
        const STEPS: u32 = 16;
        let mut out = [
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        ];
        for i in 0..=STEPS {
            let t = f64::from(i) / f64::from(STEPS);
            let (x, y) = (x0 + (x1 - x0) * t, y0 + (y1 - y0) * t);
            for (px, py) in [(x, y0), (x, y1), (x0, y), (x1, y)] {
                let [lon, lat] = self.inverse(px, py)?;
                out = [
                    out[0].min(lon),
                    out[1].min(lat),
                    out[2].max(lon),
                    out[3].max(lat),
                ];
            }
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utm_32_matches_proj_within_a_centimetre() {
        // Cologne cathedral; PROJ (`cs2cs EPSG:4326 EPSG:25832`, latitude first)
        // gives 356_546.210 / 5_645_282.525.
        let t = Transform::new(Crs::Utm32);
        let [x, y] = t.forward(6.958_1, 50.941_3).expect("forward");
        assert!(
            (x - 356_546.210).abs() < 0.01 && (y - 5_645_282.525).abs() < 0.01,
            "{x} {y}"
        );
        let [lon, lat] = t.inverse(x, y).expect("inverse");
        assert!((lon - 6.958_1).abs() < 1e-9 && (lat - 50.941_3).abs() < 1e-9);
    }

    #[test]
    fn crs_are_known_by_their_uris() {
        assert_eq!(Crs::parse(CRS84_URI), Some(Crs::Crs84));
        assert_eq!(Crs::parse("[EPSG:25832]"), Some(Crs::Utm32));
        assert_eq!(
            Crs::parse("http://www.opengis.net/def/crs/EPSG/0/4326"),
            None
        );
    }
}
