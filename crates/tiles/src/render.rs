//! Rendering one vector tile from the index.

use chrono::NaiveDate;
use partimap_index::{Filter, Index, Placement, Shape, TileCoord};

use crate::{
    geometry::{self, BUFFER, EXTENT, TileTransform},
    mvt::{self, LayerBuilder, TileGeometry, Value},
};

/// The layer of procedures: areas, and points for the rest.
pub const PROCEDURES: &str = "procedures";
/// The layer of public reports.
pub const REPORTS: &str = "reports";

/// Encodes the tile `tile` for `filter` on `today`; empty when nothing is in
/// it. Features are in id order, so that the same data gives the same bytes
/// (and the same ETag).
pub fn render(index: &Index, tile: TileCoord, filter: &Filter, today: NaiveDate) -> Vec<u8> {
    let transform = TileTransform::new(tile);
    let envelope = tile
        .envelope()
        .grow(tile.size() * f64::from(BUFFER) / f64::from(EXTENT));

    let mut procedures: Vec<_> = index.procedures_in(&envelope, filter, today).collect();
    procedures.sort_unstable_by_key(|p| p.id);
    let mut layer = LayerBuilder::new(PROCEDURES, EXTENT);
    for p in procedures {
        let geometry = match &p.shape {
            Shape::Polygons(mp) => geometry::polygons(mp, &transform),
            Shape::Point(point) => {
                TileGeometry::Points(geometry::point(*point, &transform).into_iter().collect())
            }
        };
        let start = p.start.to_string();
        let end = p.end.map(|d| d.to_string());
        let mut properties = vec![
            ("id", Value::UInt(p.id.0 as u64)),
            ("title", Value::Str(&p.title)),
            ("kind", Value::Str(p.kind.as_str())),
            ("status", Value::Str(p.status(today).as_str())),
            ("organisation", Value::Str(&p.organisation_name)),
            ("organisation_id", Value::UInt(p.organisation.0 as u64)),
            ("start", Value::Str(&start)),
            ("url", Value::Str(&p.url)),
            ("placement", Value::Str(p.placement.as_str())),
        ];
        if let Some(end) = &end {
            properties.push(("end", Value::Str(end)));
        }
        debug_assert!(
            matches!(p.placement, Placement::Area) == matches!(p.shape, Shape::Polygons(_))
        );
        layer.add_feature(p.id.0 as u64, &geometry, &properties);
    }

    let mut reports: Vec<_> = index.reports_in(&envelope, filter, today).collect();
    reports.sort_unstable_by_key(|r| r.id);
    let mut report_layer = LayerBuilder::new(REPORTS, EXTENT);
    for r in reports {
        let Some(point) = geometry::point(geo::Point(r.position), &transform) else {
            continue;
        };
        report_layer.add_feature(
            r.id.0 as u64,
            &TileGeometry::Points(vec![point]),
            &[
                ("id", Value::UInt(r.id.0 as u64)),
                ("procedure_id", Value::UInt(r.procedure.0 as u64)),
                ("category", Value::Str(&r.category)),
                ("status", Value::Str(r.status.as_str())),
            ],
        );
    }
    mvt::encode(&[layer, report_layer])
}
