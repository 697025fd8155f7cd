//! GeoJSON features to drafts. Each function returns the draft, or every
//! problem of the feature, with JSON pointers relative to the feature
//! (`/properties/title`, `/geometry/coordinates/0/3`).

use geo::{MultiPolygon, Point};
use geojson::{Feature, GeometryValue, JsonObject, JsonValue, PolygonType};
use partimap_model::{Area, OrganisationId, Problem, Problems, ProcedureDraft, ReportDraft};

/// Reads the property `name` as a string. `Ok(None)` when absent or null.
pub fn optional_string(props: &JsonObject, name: &str) -> Result<Option<String>, Problem> {
    match props.get(name) {
        None | Some(JsonValue::Null) => Ok(None),
        Some(JsonValue::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(Problem::new(
            format!("/properties/{name}"),
            format!("must be a string, not {}", json_type(other)),
        )),
    }
}

/// Reads a required string property; records a problem when it is missing or
/// not a string, and returns an empty string then (the draft is rejected).
pub fn required_string(props: &JsonObject, name: &str, problems: &mut Problems) -> String {
    match optional_string(props, name) {
        Ok(Some(s)) => s,
        Ok(None) => {
            problems.push(format!("/properties/{name}"), "is required");
            String::new()
        }
        Err(p) => {
            problems.0.push(p);
            String::new()
        }
    }
}

/// An optional string property, recording a type problem.
pub fn string_or_none(props: &JsonObject, name: &str, problems: &mut Problems) -> Option<String> {
    optional_string(props, name).unwrap_or_else(|p| {
        problems.0.push(p);
        None
    })
}

/// An optional array of strings; missing or null is empty, anything else
/// is a problem at its pointer.
pub fn strings_or_none(props: &JsonObject, name: &str, problems: &mut Problems) -> Vec<String> {
    match props.get(name) {
        None | Some(JsonValue::Null) => Vec::new(),
        Some(JsonValue::Array(items)) => items
            .iter()
            .enumerate()
            .filter_map(|(i, v)| match v {
                JsonValue::String(s) => Some(s.clone()),
                other => {
                    problems.push(
                        format!("/properties/{name}/{i}"),
                        format!("must be a string, not {}", json_type(other)),
                    );
                    None
                }
            })
            .collect(),
        Some(other) => {
            problems.push(
                format!("/properties/{name}"),
                format!("must be an array of strings, not {}", json_type(other)),
            );
            Vec::new()
        }
    }
}

pub fn json_type(v: &JsonValue) -> &'static str {
    match v {
        JsonValue::Null => "null",
        JsonValue::Bool(_) => "a boolean",
        JsonValue::Number(_) => "a number",
        JsonValue::String(_) => "a string",
        JsonValue::Array(_) => "an array",
        JsonValue::Object(_) => "an object",
    }
}

/// The feature's properties; a feature without them has every required
/// property missing.
pub fn properties(feature: &Feature) -> &JsonObject {
    static NONE: std::sync::LazyLock<JsonObject> = std::sync::LazyLock::new(JsonObject::new);
    feature.properties.as_ref().unwrap_or(&NONE)
}

/// Checks the raw rings of a polygon before conversion: closed, at least four
/// positions, two numbers per position. (`geo` would silently close an open
/// ring; an open ring in a file is a mistake worth reporting.)
fn check_rings(rings: &PolygonType, pointer: &str, problems: &mut Problems) {
    if rings.is_empty() {
        problems.push(pointer, "a polygon needs an exterior ring");
    }
    for (r, ring) in rings.iter().enumerate() {
        let at = format!("{pointer}/{r}");
        if let Some((i, _)) = ring.iter().enumerate().find(|(_, p)| p.len() < 2) {
            problems.push(
                format!("{at}/{i}"),
                "a position needs two numbers (longitude, latitude)",
            );
            continue;
        }
        if ring.len() < 4 {
            problems.push(
                at,
                format!(
                    "a ring needs at least 4 positions, this one has {}",
                    ring.len()
                ),
            );
        } else if ring.first() != ring.last() {
            problems.push(
                at,
                "the ring is not closed: its last position must equal its first",
            );
        }
    }
}

/// A procedure's area from a feature's geometry: Polygon, MultiPolygon,
/// Point or none.
pub fn area(feature: &Feature, problems: &mut Problems) -> Option<Area> {
    let geometry = feature.geometry.as_ref()?;
    let before = problems.0.len();
    match &geometry.value {
        GeometryValue::Polygon { coordinates } => {
            check_rings(coordinates, "/geometry/coordinates", problems)
        }
        GeometryValue::MultiPolygon { coordinates } => {
            for (i, polygon) in coordinates.iter().enumerate() {
                check_rings(polygon, &format!("/geometry/coordinates/{i}"), problems);
            }
        }
        GeometryValue::Point { coordinates } if coordinates.len() < 2 => {
            problems.push(
                "/geometry/coordinates",
                "a position needs two numbers (longitude, latitude)",
            );
        }
        GeometryValue::Point { .. } => {}
        other => {
            problems.push(
                "/geometry",
                format!(
                    "a {} cannot be a procedure's place; expected Polygon, MultiPolygon, Point or null",
                    other.type_name()
                ),
            );
        }
    }
    if problems.0.len() > before {
        return None;
    }
    match geo::Geometry::<f64>::try_from(&geometry.value) {
        Ok(geo::Geometry::Polygon(p)) => Some(Area::Polygons(MultiPolygon(vec![p]))),
        Ok(geo::Geometry::MultiPolygon(mp)) => Some(Area::Polygons(mp)),
        Ok(geo::Geometry::Point(p)) => Some(Area::Point(p)),
        Ok(_) | Err(_) => {
            problems.push("/geometry", "the geometry could not be read");
            None
        }
    }
}

/// A point geometry (an organisation's seat, a report's location).
pub fn point(feature: &Feature, required: bool, problems: &mut Problems) -> Option<Point<f64>> {
    match feature.geometry.as_ref().map(|g| &g.value) {
        None if required => {
            problems.push("/geometry", "a Point is required");
            None
        }
        None => None,
        Some(GeometryValue::Point { coordinates }) if coordinates.len() >= 2 => {
            Some(Point::new(coordinates[0], coordinates[1]))
        }
        Some(GeometryValue::Point { .. }) => {
            problems.push(
                "/geometry/coordinates",
                "a position needs two numbers (longitude, latitude)",
            );
            None
        }
        Some(other) => {
            problems.push(
                "/geometry",
                format!("expected a Point, not a {}", other.type_name()),
            );
            None
        }
    }
}

/// The categories of a reporting procedure: `[{"code": …, "label": …}]`.
pub fn categories(props: &JsonObject, problems: &mut Problems) -> Vec<(String, String)> {
    match props.get("categories") {
        None | Some(JsonValue::Null) => Vec::new(),
        Some(JsonValue::Array(items)) => items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| {
                let code = item.get("code").and_then(JsonValue::as_str);
                let label = item.get("label").and_then(JsonValue::as_str);
                match (code, label) {
                    (Some(code), Some(label)) => Some((code.to_owned(), label.to_owned())),
                    _ => {
                        problems.push(
                            format!("/properties/categories/{i}"),
                            "a category is an object with the strings \"code\" and \"label\"",
                        );
                        None
                    }
                }
            })
            .collect(),
        Some(other) => {
            problems.push(
                "/properties/categories",
                format!("must be an array, not {}", json_type(other)),
            );
            Vec::new()
        }
    }
}

/// A report draft from a feature (the procedure is resolved by the caller).
pub fn report_draft(feature: &Feature, problems: &mut Problems) -> Option<ReportDraft<'static>> {
    let props = properties(feature);
    let category = required_string(props, "category", problems);
    let description = required_string(props, "description", problems);
    let status = string_or_none(props, "status", problems);
    let created = string_or_none(props, "created", problems);
    let contact_email = string_or_none(props, "contact_email", problems);
    let location = point(feature, true, problems)?;
    Some(ReportDraft {
        category: category.into(),
        description: description.into(),
        status: status.map(Into::into),
        location,
        created: created.map(Into::into),
        contact_email: contact_email.map(Into::into),
    })
}

/// A procedure feature's draft, for `organisation` (resolved by the caller
/// from the `organisation` property or the import's scope).
pub fn procedure_draft(
    feature: &Feature,
    props: &JsonObject,
    organisation: Option<OrganisationId>,
    problems: &mut Problems,
) -> ProcedureDraft {
    ProcedureDraft {
        organisation,
        external_id: required_string(props, "external_id", problems),
        title: required_string(props, "title", problems),
        summary: string_or_none(props, "summary", problems).unwrap_or_default(),
        kind: required_string(props, "kind", problems),
        start: required_string(props, "start", problems),
        end: string_or_none(props, "end", problems),
        status: string_or_none(props, "status", problems),
        url: required_string(props, "url", problems),
        area: area(feature, problems),
        categories: categories(props, problems),
        moderation: string_or_none(props, "moderation", problems),
        location_precision_m: match props.get("location_precision_m") {
            None | Some(JsonValue::Null) => None,
            Some(JsonValue::Number(n)) if n.as_i64().is_some() => n.as_i64(),
            Some(other) => {
                problems.push(
                    "/properties/location_precision_m",
                    format!("must be a whole number of metres, not {}", json_type(other)),
                );
                None
            }
        },
    }
}

/// A draft's problems seen from its feature: the draft names its geometry
/// `/geometry`, everything else relative to the properties.
pub fn in_feature(found: Problems) -> Problems {
    Problems(
        found
            .0
            .into_iter()
            .map(|p| {
                if p.pointer.starts_with("/geometry") {
                    p
                } else {
                    p.within("/properties")
                }
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feature(json: &str) -> Feature {
        json.parse().unwrap()
    }

    #[test]
    fn open_rings_and_wrong_types_are_named() {
        let f = feature(
            r#"{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[7,51],[7.1,51],[7.1,51.1],[7,51.05]]]}}"#,
        );
        let mut problems = Problems::default();
        assert!(area(&f, &mut problems).is_none());
        assert_eq!(problems.0[0].pointer, "/geometry/coordinates/0");
        assert!(problems.0[0].message.contains("not closed"));

        let f = feature(
            r#"{"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[7,51],[7.1,51]]}}"#,
        );
        let mut problems = Problems::default();
        assert!(area(&f, &mut problems).is_none());
        assert!(
            problems.0[0]
                .message
                .starts_with("a LineString cannot be a procedure's place")
        );

        let f = feature(r#"{"type":"Feature","properties":{"title":5},"geometry":null}"#);
        let mut problems = Problems::default();
        assert_eq!(required_string(properties(&f), "title", &mut problems), "");
        assert_eq!(
            problems.0[0].to_string(),
            "/properties/title: must be a string, not a number"
        );
    }
}
