//! The coordinate reference systems GIS staff in NRW bring, and their
//! transformation to WGS84 longitude/latitude (what the store keeps).
//!
//! Transverse Mercator and the datum shift of Gauss–Krüger (DHDN, a 7-parameter
//! Helmert transformation) are done by `proj4rs`, a pure-Rust port of PROJ's
//! formulas: no C library to install, and results within millimetres of
//! PROJ's (a test compares with `cs2cs`). Web Mercator's inverse is two lines
//! of closed form.

use std::fmt;

use proj4rs::proj::Proj;

/// A supported CRS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Crs {
    /// EPSG:4326 / CRS84: longitude, latitude in degrees (GeoJSON's order).
    Wgs84,
    /// EPSG:25832, ETRS89 / UTM zone 32N: NRW's default.
    Utm32,
    /// EPSG:25833, ETRS89 / UTM zone 33N.
    Utm33,
    /// EPSG:3857, Web Mercator.
    WebMercator,
    /// EPSG:31466, DHDN / 3-degree Gauss–Krüger zone 2.
    GaussKrueger2,
    /// EPSG:31467, DHDN / 3-degree Gauss–Krüger zone 3.
    GaussKrueger3,
}

/// The CRS names accepted, for error messages.
pub const SUPPORTED: &str =
    "EPSG:4326 (default), EPSG:25832, EPSG:25833, EPSG:3857, EPSG:31466, EPSG:31467";

impl Crs {
    pub fn epsg(self) -> u32 {
        match self {
            Self::Wgs84 => 4326,
            Self::Utm32 => 25832,
            Self::Utm33 => 25833,
            Self::WebMercator => 3857,
            Self::GaussKrueger2 => 31466,
            Self::GaussKrueger3 => 31467,
        }
    }

    /// Reads `EPSG:25832`, `urn:ogc:def:crs:EPSG::25832`,
    /// `http://www.opengis.net/def/crs/EPSG/0/25832` and the CRS84 forms;
    /// `None` for anything else.
    pub fn parse(name: &str) -> Option<Self> {
        let name = name.trim();
        let lower = name.to_ascii_lowercase();
        if matches!(
            &*lower,
            "crs84"
                | "urn:ogc:def:crs:ogc:1.3:crs84"
                | "http://www.opengis.net/def/crs/ogc/1.3/crs84"
        ) {
            return Some(Self::Wgs84);
        }
        let code = lower
            .strip_prefix("epsg:")
            .or_else(|| lower.strip_prefix("urn:ogc:def:crs:epsg::"))
            .or_else(|| lower.strip_prefix("urn:ogc:def:crs:epsg:"))
            .or_else(|| lower.strip_prefix("http://www.opengis.net/def/crs/epsg/0/"))
            .or_else(|| lower.strip_prefix("https://www.opengis.net/def/crs/epsg/0/"))?;
        // `urn:ogc:def:crs:EPSG:6.6:4326` carries a version before the code.
        let code = code.rsplit(':').next()?;
        match code.parse::<u32>().ok()? {
            4326 => Some(Self::Wgs84),
            25832 => Some(Self::Utm32),
            25833 => Some(Self::Utm33),
            3857 | 900_913 => Some(Self::WebMercator),
            31466 => Some(Self::GaussKrueger2),
            31467 => Some(Self::GaussKrueger3),
            _ => None,
        }
    }

    fn proj_string(self) -> Option<String> {
        let gauss_krueger = |lon_0: u32, x_0: u32| {
            // PROJ's choice for DHDN: the BeTA2007 grid of the AdV
            // (Debian's proj-data ships it as BETA2007.gsb; PostGIS depends
            // on it), else EPSG's "DHDN to WGS 84 (2)" Helmert
            // transformation, which is off by up to a few metres.
            let datum = match beta2007() {
                Some(grid) => format!("+nadgrids={}", grid.display()),
                None => "+towgs84=598.1,73.7,418.2,0.202,0.045,-2.455,6.7".to_owned(),
            };
            format!(
                "+proj=tmerc +lat_0=0 +lon_0={lon_0} +k=1 +x_0={x_0} +y_0=0 +ellps=bessel {datum} +units=m +no_defs +type=crs"
            )
        };
        match self {
            Self::Wgs84 | Self::WebMercator => None,
            Self::Utm32 => Some("+proj=utm +zone=32 +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs +type=crs".into()),
            Self::Utm33 => Some("+proj=utm +zone=33 +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs +type=crs".into()),
            Self::GaussKrueger2 => Some(gauss_krueger(6, 2_500_000)),
            Self::GaussKrueger3 => Some(gauss_krueger(9, 3_500_000)),
        }
    }
}

/// The BeTA2007 grid (NTv2), where PROJ keeps it.
pub fn beta2007() -> Option<std::path::PathBuf> {
    std::env::var_os("PROJ_DATA")
        .or_else(|| std::env::var_os("PROJ_LIB"))
        .map(std::path::PathBuf::from)
        .into_iter()
        .chain([std::path::PathBuf::from("/usr/share/proj")])
        .map(|dir| dir.join("BETA2007.gsb"))
        .find(|p| p.is_file())
}

impl fmt::Display for Crs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EPSG:{}", self.epsg())
    }
}

/// Transforms coordinates of one CRS to WGS84 longitude/latitude.
#[derive(Debug)]
pub struct ToWgs84 {
    crs: Crs,
    projections: Option<(Proj, Proj)>,
}

impl ToWgs84 {
    pub fn new(crs: Crs) -> Self {
        // proj4rs reads grid files only once told how (its catalog is
        // process-wide).
        static GRID_FILES: std::sync::Once = std::sync::Once::new();
        GRID_FILES.call_once(|| {
            proj4rs::nadgrids::catalog::set_builder(proj4rs::nadgrids::files::read_from_file);
        });
        let projections = crs.proj_string().and_then(|s| {
            let from = Proj::from_proj_string(&s).ok()?;
            let to =
                Proj::from_proj_string("+proj=longlat +datum=WGS84 +no_defs +type=crs").ok()?;
            Some((from, to))
        });
        Self { crs, projections }
    }

    pub fn crs(&self) -> Crs {
        self.crs
    }

    /// `[x, y]` in the CRS to `[longitude, latitude]`; `None` when the
    /// point cannot be transformed (outside the projection's domain, not
    /// finite).
    pub fn transform(&self, x: f64, y: f64) -> Option<[f64; 2]> {
        if !x.is_finite() || !y.is_finite() {
            return None;
        }
        let out = match (self.crs, &self.projections) {
            (Crs::Wgs84, _) => [x, y],
            (Crs::WebMercator, _) => {
                const R: f64 = 6_378_137.0;
                [(x / R).to_degrees(), (y / R).sinh().atan().to_degrees()]
            }
            (_, Some((from, to))) => {
                let mut point = (x, y, 0.0);
                proj4rs::transform::transform(from, to, &mut point).ok()?;
                [point.0.to_degrees(), point.1.to_degrees()]
            }
            (_, None) => return None,
        };
        out.iter().all(|v| v.is_finite()).then_some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_a_crs_are_read_in_their_usual_forms() {
        for name in [
            "EPSG:25832",
            "epsg:25832",
            "urn:ogc:def:crs:EPSG::25832",
            "http://www.opengis.net/def/crs/EPSG/0/25832",
        ] {
            assert_eq!(Crs::parse(name), Some(Crs::Utm32), "{name}");
        }
        assert_eq!(
            Crs::parse("urn:ogc:def:crs:OGC:1.3:CRS84"),
            Some(Crs::Wgs84)
        );
        assert_eq!(Crs::parse("EPSG:2056"), None);
        assert_eq!(Crs::parse("nonsense"), None);
    }

    /// Reference values from PROJ 9.1 through GDAL (`echo X Y | gdaltransform
    /// -s_srs EPSG:x -t_srs OGC:CRS84`, Debian bookworm, without the BeTA2007
    /// grid): points in Cologne.
    /// Within a centimetre: 1e-7 degrees is about 1 cm of latitude and 0.7 cm
    /// of longitude here.
    #[test]
    fn coordinates_match_proj_within_a_centimetre() {
        assert!(
            beta2007().is_some(),
            "PROJ's BeTA2007 grid is missing: install Debian's proj-data (PostGIS depends on it)"
        );
        let cases: [(Crs, [f64; 2], [f64; 2]); 5] = [
            (
                Crs::Utm32,
                [356_559.0, 5_645_268.0],
                [6.958_287_644, 50.941_172_649],
            ),
            (
                Crs::Utm33,
                [-64_928.0, 5_668_944.0],
                [6.961_852_115, 50.894_584_642],
            ),
            (
                Crs::WebMercator,
                [774_566.0, 6_610_930.0],
                [6.958_044_764, 50.941_373_963],
            ),
            (
                Crs::GaussKrueger2,
                [2_567_460.0, 5_645_987.0],
                [6.959_260_391, 50.945_185_124],
            ),
            (
                Crs::GaussKrueger3,
                [3_356_659.0, 5_647_178.0],
                [6.959_424_338, 50.942_022_491],
            ),
        ];
        for (crs, [x, y], expected) in cases {
            let [lon, lat] = ToWgs84::new(crs).transform(x, y).unwrap();
            assert!(
                (lon - expected[0]).abs() < 1e-7 && (lat - expected[1]).abs() < 1e-7,
                "{crs}: ({lon:.9}, {lat:.9}) vs PROJ ({:.9}, {:.9})",
                expected[0],
                expected[1]
            );
        }
    }
}
