//! How domain values are written to columns and read back. Reading checks
//! again, because a database can be edited by hand: a row that does not decode
//! is reported as [`Error::Corrupt`] with its id.

use std::str::FromStr;

use geo::{MultiPolygon, Point};
use partimap_model::{Area, Category};

use crate::Error;

pub(crate) fn area_to_text(area: &Area) -> String {
    let value = match area {
        Area::Polygons(polygons) if polygons.0.len() == 1 => {
            geojson::GeometryValue::from(&polygons.0[0])
        }
        Area::Polygons(polygons) => geojson::GeometryValue::from(polygons),
        Area::Point(point) => geojson::GeometryValue::from(point),
    };
    geojson::Geometry::new(value).to_string()
}

pub(crate) fn point_to_text(point: &Point<f64>) -> String {
    geojson::Geometry::new(geojson::GeometryValue::from(point)).to_string()
}

fn corrupt(entity: &'static str, id: i64, reason: impl ToString) -> Error {
    Error::Corrupt {
        entity,
        id,
        reason: reason.to_string(),
    }
}

pub(crate) fn area_from_text(entity: &'static str, id: i64, text: &str) -> Result<Area, Error> {
    let geometry: geojson::Geometry = text.parse().map_err(|e| corrupt(entity, id, e))?;
    match &geometry.value {
        geojson::GeometryValue::Point { .. } => Point::try_from(&geometry.value)
            .map(Area::Point)
            .map_err(|e| corrupt(entity, id, e)),
        geojson::GeometryValue::Polygon { .. } | geojson::GeometryValue::MultiPolygon { .. } => {
            geo::Geometry::<f64>::try_from(&geometry.value)
                .map_err(|e| corrupt(entity, id, e))
                .and_then(|g| match g {
                    geo::Geometry::Polygon(p) => Ok(Area::Polygons(MultiPolygon(vec![p]))),
                    geo::Geometry::MultiPolygon(mp) => Ok(Area::Polygons(mp)),
                    other => Err(corrupt(
                        entity,
                        id,
                        format!("unexpected geometry {other:?}"),
                    )),
                })
        }
        other => Err(corrupt(
            entity,
            id,
            format!("a {} is not an area", other.type_name()),
        )),
    }
}

pub(crate) fn point_from_text(
    entity: &'static str,
    id: i64,
    text: &str,
) -> Result<Point<f64>, Error> {
    let geometry: geojson::Geometry = text.parse().map_err(|e| corrupt(entity, id, e))?;
    Point::try_from(&geometry.value).map_err(|e| corrupt(entity, id, e))
}

pub(crate) fn categories_to_text(categories: &[Category]) -> String {
    let pairs: Vec<_> = categories
        .iter()
        .map(|c| serde_json::json!({"code": c.code, "label": c.label}))
        .collect();
    serde_json::Value::Array(pairs).to_string()
}

pub(crate) fn categories_from_text(id: i64, text: &str) -> Result<Vec<Category>, Error> {
    serde_json::from_str(text).map_err(|e| corrupt("procedure", id, e))
}

/// Parses a closed-vocabulary column (kind, status).
pub(crate) fn vocabulary<T: FromStr>(entity: &'static str, id: i64, text: &str) -> Result<T, Error>
where
    T::Err: ToString,
{
    text.parse().map_err(|e: T::Err| corrupt(entity, id, e))
}

pub(crate) fn date(entity: &'static str, id: i64, text: &str) -> Result<chrono::NaiveDate, Error> {
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|e| corrupt(entity, id, e))
}

#[cfg(test)]
mod tests {
    use geo::polygon;

    use super::*;

    #[test]
    fn areas_round_trip() {
        let one = Area::Polygons(MultiPolygon(vec![polygon![
            (x: 7.0, y: 51.0), (x: 7.1, y: 51.0), (x: 7.1, y: 51.1)
        ]]));
        let two = Area::Polygons(MultiPolygon(vec![
            polygon![(x: 7.0, y: 51.0), (x: 7.1, y: 51.0), (x: 7.1, y: 51.1)],
            polygon![(x: 8.0, y: 51.0), (x: 8.1, y: 51.0), (x: 8.1, y: 51.1)],
        ]));
        let point = Area::Point(Point::new(6.95, 50.94));
        for area in [one, two, point] {
            let text = area_to_text(&area);
            assert_eq!(
                area_from_text("procedure", 1, &text).unwrap(),
                area,
                "{text}"
            );
        }
    }

    #[test]
    fn a_corrupt_row_names_itself() {
        let err = area_from_text(
            "procedure",
            42,
            r#"{"type":"LineString","coordinates":[[0,0],[1,1]]}"#,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "procedure 42 in the store is corrupt: a LineString is not an area"
        );
    }
}
