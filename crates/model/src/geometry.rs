//! Rules for geometries in WGS84 longitude/latitude (RFC 7946), the form in
//! which every geometry is stored.

use geo::{Coord, MultiPolygon, Point, Validation};

use crate::problem::Problems;

/// Checks that a coordinate is a finite longitude/latitude.
pub fn check_lon_lat(coord: Coord<f64>, pointer: &str, problems: &mut Problems) {
    if !coord.x.is_finite() || !coord.y.is_finite() {
        problems.push(pointer, "coordinates must be finite numbers");
    } else if !(-180.0..=180.0).contains(&coord.x) || !(-90.0..=90.0).contains(&coord.y) {
        problems.push(
            pointer,
            format!(
                "coordinate ({}, {}) is outside longitude -180..180 / latitude -90..90",
                coord.x, coord.y
            ),
        );
    }
}

/// Checks a point in longitude/latitude.
pub fn check_point(point: Point<f64>, pointer: &str) -> Result<Point<f64>, Problems> {
    let mut problems = Problems::default();
    check_lon_lat(point.0, pointer, &mut problems);
    problems.into_result(|| point)
}

/// Checks an area: finite in-range coordinates, and valid in the sense of OGC
/// simple features (rings of at least 4 positions, no self-intersection,
/// holes inside their shell, no overlapping parts), as `geo` validates it.
pub fn check_area(area: MultiPolygon<f64>, pointer: &str) -> Result<MultiPolygon<f64>, Problems> {
    let mut problems = Problems::default();
    if area.0.is_empty() {
        problems.push(pointer, "an area needs at least one polygon");
    }
    for (p, polygon) in area.0.iter().enumerate() {
        for (r, ring) in std::iter::once(polygon.exterior())
            .chain(polygon.interiors())
            .enumerate()
        {
            if let Some(bad) = ring.0.iter().find(|c| {
                !(c.x.is_finite()
                    && c.y.is_finite()
                    && (-180.0..=180.0).contains(&c.x)
                    && (-90.0..=90.0).contains(&c.y))
            }) {
                check_lon_lat(*bad, &format!("{pointer}/{p}/{r}"), &mut problems);
            }
        }
    }
    if problems.is_empty() {
        for error in area.validation_errors() {
            problems.push(pointer, error.to_string());
        }
    }
    problems.into_result(|| area)
}

#[cfg(test)]
mod tests {
    use geo::{MultiPolygon, polygon};

    use super::*;

    #[test]
    fn a_bow_tie_is_rejected_with_its_reason() {
        let bow_tie =
            polygon![(x: 7.0, y: 51.0), (x: 7.1, y: 51.1), (x: 7.1, y: 51.0), (x: 7.0, y: 51.1)];
        let problems = check_area(MultiPolygon(vec![bow_tie]), "/geometry").unwrap_err();
        assert_eq!(problems.0.len(), 1, "{problems}");
        assert_eq!(problems.0[0].pointer, "/geometry");
        assert!(
            problems.0[0].message.contains("self-intersection"),
            "{problems}"
        );
    }

    #[test]
    fn coordinates_out_of_range_are_named() {
        let far = polygon![(x: 700.0, y: 51.0), (x: 7.1, y: 51.1), (x: 7.1, y: 51.0)];
        let problems = check_area(MultiPolygon(vec![far]), "/geometry").unwrap_err();
        assert_eq!(problems.0[0].pointer, "/geometry/0/0");
        assert!(problems.0[0].message.contains("(700, 51)"), "{problems}");
    }

    #[test]
    fn a_simple_area_is_valid() {
        let square =
            polygon![(x: 7.0, y: 51.0), (x: 7.1, y: 51.0), (x: 7.1, y: 51.1), (x: 7.0, y: 51.1)];
        assert!(check_area(MultiPolygon(vec![square]), "/geometry").is_ok());
    }
}
