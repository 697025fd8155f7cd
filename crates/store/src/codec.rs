//! How domain values are written to columns and read back. Reading checks
//! again, because a database can be edited by hand: a row that does not decode
//! is reported as [`Error::Corrupt`] with its id.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use geo::{MultiPolygon, Point};
use partimap_model::{
    Area, Category, Contact, Organisation, OrganisationId, Procedure, ProcedureId, Report, ReportId,
};

use crate::{Error, ReportEvent, ReportRecord, Result};

/// A row of either database, read by column name. Both backends select the
/// same columns in the same textual forms (dates `YYYY-MM-DD`, geometries as
/// GeoJSON, timestamps RFC 3339, categories JSON), so one set of decoders
/// serves both.
pub(crate) trait Columns {
    fn text(&self, column: &str) -> Result<String>;
    fn opt_text(&self, column: &str) -> Result<Option<String>>;
    fn int(&self, column: &str) -> Result<i64>;
    fn opt_int(&self, column: &str) -> Result<Option<i64>>;
    fn float(&self, column: &str) -> Result<f64>;
    fn opt_float(&self, column: &str) -> Result<Option<f64>>;
}

/// Implements [`Columns`] for a sqlx row type.
macro_rules! columns {
    ($row:ty) => {
        impl $crate::codec::Columns for $row {
            fn text(&self, column: &str) -> $crate::Result<String> {
                Ok(sqlx::Row::try_get(self, column)?)
            }
            fn opt_text(&self, column: &str) -> $crate::Result<Option<String>> {
                Ok(sqlx::Row::try_get(self, column)?)
            }
            fn int(&self, column: &str) -> $crate::Result<i64> {
                Ok(sqlx::Row::try_get(self, column)?)
            }
            fn opt_int(&self, column: &str) -> $crate::Result<Option<i64>> {
                Ok(sqlx::Row::try_get(self, column)?)
            }
            fn float(&self, column: &str) -> $crate::Result<f64> {
                Ok(sqlx::Row::try_get(self, column)?)
            }
            fn opt_float(&self, column: &str) -> $crate::Result<Option<f64>> {
                Ok(sqlx::Row::try_get(self, column)?)
            }
        }
    };
}
pub(crate) use columns;

/// Columns: id, key, name, kind, ags, parent_id, seat, embed_origins.
pub(crate) fn organisation(row: &impl Columns) -> Result<Organisation> {
    let id = row.int("id")?;
    Ok(Organisation {
        id: OrganisationId(id),
        key: row.text("key")?,
        name: row.text("name")?,
        kind: vocabulary("organisation", id, &row.text("kind")?)?,
        ags: row
            .opt_text("ags")?
            .map(|a| vocabulary("organisation", id, &a))
            .transpose()?,
        parent: row.opt_int("parent_id")?.map(OrganisationId),
        seat: row
            .opt_text("seat")?
            .map(|s| point_from_text("organisation", id, &s))
            .transpose()?,
        embed_origins: row
            .text("embed_origins")?
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
    })
}

/// Columns: id, organisation_id, external_id, title, summary, kind,
/// start_date, end_date, status_override, url, area, categories, moderation,
/// location_precision_m.
pub(crate) fn procedure(row: &impl Columns) -> Result<Procedure> {
    let id = row.int("id")?;
    Ok(Procedure {
        id: ProcedureId(id),
        organisation: OrganisationId(row.int("organisation_id")?),
        external_id: row.text("external_id")?,
        title: row.text("title")?,
        summary: row.text("summary")?,
        kind: vocabulary("procedure", id, &row.text("kind")?)?,
        start: date("procedure", id, &row.text("start_date")?)?,
        end: row
            .opt_text("end_date")?
            .map(|e| date("procedure", id, &e))
            .transpose()?,
        status_override: row
            .opt_text("status_override")?
            .map(|s| vocabulary("procedure", id, &s))
            .transpose()?,
        url: row.text("url")?,
        area: row
            .opt_text("area")?
            .map(|a| area_from_text("procedure", id, &a))
            .transpose()?,
        categories: categories_from_text(id, &row.text("categories")?)?,
        moderation: vocabulary("procedure", id, &row.text("moderation")?)?,
        location_precision_m: row
            .opt_int("location_precision_m")?
            .map(|m| u32::try_from(m).map_err(|e| corrupt("procedure", id, e)))
            .transpose()?,
    })
}

/// Columns: id, procedure_id, external_id, category, description, status,
/// lon, lat, created. The contact is never read: reports read here feed public
/// outputs.
pub(crate) fn report(row: &impl Columns) -> Result<Report> {
    let id = row.int("id")?;
    Ok(Report {
        id: ReportId(id),
        procedure: ProcedureId(row.int("procedure_id")?),
        external_id: row.opt_text("external_id")?,
        category: row.text("category")?,
        description: row.text("description")?,
        status: vocabulary("report", id, &row.text("status")?)?,
        location: Point::new(row.float("lon")?, row.float("lat")?),
        created: DateTime::parse_from_rfc3339(&row.text("created")?)
            .map_err(|e| corrupt("report", id, e))?
            .with_timezone(&Utc),
        contact: None,
    })
}

/// Columns: those of [`report`], and status_note, original_description,
/// contact_email, exact_lon, exact_lat (the last four NULL where the caller
/// is not to see them).
pub(crate) fn report_record(row: &impl Columns) -> Result<ReportRecord> {
    let mut report = report(row)?;
    report.contact = row
        .opt_text("contact_email")?
        .map(|e| Contact::parse(&e).map_err(|e| corrupt("report", report.id.0, e)))
        .transpose()?;
    let exact_location = row
        .opt_float("exact_lon")?
        .zip(row.opt_float("exact_lat")?)
        .map(|(x, y)| Point::new(x, y));
    Ok(ReportRecord {
        report,
        status_note: row.opt_text("status_note")?,
        original_description: row.opt_text("original_description")?,
        exact_location,
    })
}

/// Columns: report_id, at, token_id, old_status, new_status, note (and
/// description_edited, read by the caller: its type differs by database).
pub(crate) fn report_event(row: &impl Columns, description_edited: bool) -> Result<ReportEvent> {
    let id = row.int("report_id")?;
    Ok(ReportEvent {
        at: DateTime::parse_from_rfc3339(&row.text("at")?)
            .map_err(|e| corrupt("report event of report", id, e))?
            .with_timezone(&Utc),
        token: row.opt_int("token_id")?,
        old_status: row
            .opt_text("old_status")?
            .map(|s| vocabulary("report", id, &s))
            .transpose()?,
        new_status: vocabulary("report", id, &row.text("new_status")?)?,
        note: row.opt_text("note")?,
        description_edited,
    })
}

/// A report of a snapshot (columns id, procedure_id, category, status,
/// lon, lat; `created` decoded by the caller): no text, no external id.
pub(crate) fn snapshot_report(row: &impl Columns, created: DateTime<Utc>) -> Result<Report> {
    let id = row.int("id")?;
    Ok(Report {
        id: ReportId(id),
        procedure: ProcedureId(row.int("procedure_id")?),
        external_id: None,
        category: row.text("category")?,
        description: String::new(),
        status: vocabulary("report", id, &row.text("status")?)?,
        location: Point::new(row.float("lon")?, row.float("lat")?),
        created,
        contact: None,
    })
}

/// A statement assembled with `format!` from this crate's constant
/// statements and clauses — never from input, which is always bound.
pub(crate) fn assembled(sql: String) -> sqlx::AssertSqlSafe<String> {
    sqlx::AssertSqlSafe(sql)
}

/// Whether a staged import repeats an external id within a procedure (the
/// same statement on both databases).
pub(crate) const REPEATS_AN_ID: &str = "SELECT EXISTS (
    SELECT 1 FROM import_reports WHERE external_id IS NOT NULL
    GROUP BY procedure_id, external_id HAVING count(*) > 1)";

/// `replace` for reports: the organisation's (`$1`/`?1`) imported reports
/// the staging table does not hold go; their ids are returned (the same
/// statement on both databases).
pub(crate) const DELETE_REPORTS_NOT_STAGED: &str = "DELETE FROM reports
    WHERE external_id IS NOT NULL
      AND procedure_id IN (SELECT id FROM procedures WHERE organisation_id = $1)
      AND NOT EXISTS (
          SELECT 1 FROM import_reports s
          WHERE s.procedure_id = reports.procedure_id AND s.external_id = reports.external_id)
    RETURNING id";

/// Columns: feature, line, col, external_id, first, total — a repeated id of
/// a staged import, and how many repeats there are.
pub(crate) fn duplicate(row: &impl Columns) -> Result<(crate::Duplicate, u64)> {
    let count = |n: i64| u64::try_from(n).unwrap_or(0);
    let index = |n: i64| usize::try_from(n).unwrap_or(0);
    Ok((
        crate::Duplicate {
            feature: index(row.int("feature")?),
            line: row.opt_int("line")?.map(count),
            column: row.opt_int("col")?.map(count),
            external_id: row.text("external_id")?,
            first: index(row.int("first")?),
        },
        count(row.int("total")?),
    ))
}

/// What the repeated ids of a staged import make of a merge.
pub(crate) fn duplicates(rows: &[impl Columns]) -> Result<crate::Merged> {
    let mut merged = crate::Merged::default();
    for row in rows {
        let (duplicate, total) = duplicate(row)?;
        merged.duplicate_count = total;
        merged.duplicates.push(duplicate);
    }
    Ok(merged)
}

/// `WHERE` for the reports a snapshot holds: the public ones (the index
/// keeps no other), as an SQL list built from the model's statuses.
pub(crate) fn public_reports() -> String {
    let statuses: Vec<String> = partimap_model::ReportStatus::ALL
        .into_iter()
        .filter(|s| s.is_public())
        .map(|s| format!("'{}'", s.as_str()))
        .collect();
    format!("WHERE status IN ({})", statuses.join(", "))
}

/// A timestamp as stored: RFC 3339, UTC, whole seconds.
pub(crate) fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

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

pub(crate) fn categories_from_text(id: i64, text: &str) -> Result<Vec<Category>> {
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
