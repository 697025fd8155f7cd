//! Rendering one vector tile from the index.

use chrono::NaiveDate;
use partimap_index::{Filter, Index, Placement, Shape, TileCoord, cluster};
use partimap_model::{ProcedureId, ReportStatus};

use crate::{
    geometry::{self, BUFFER, EXTENT, TileTransform},
    mvt::{self, LayerBuilder, TileGeometry, Value},
};

/// The layer of procedures: areas, and points for the rest.
pub const PROCEDURES: &str = "procedures";
/// The layer of public reports (at every zoom: below the cluster zoom, the
/// reports that are not clustered with others).
pub const REPORTS: &str = "reports";
/// The layer of report clusters, below the cluster zoom.
pub const CLUSTERS: &str = "clusters";

/// Encodes the tile `tile` for `filter` on `today`; empty when nothing is in
/// it. Features are in id order, so that the same data gives the same bytes
/// (and the same ETag).
pub fn render(index: &Index, tile: TileCoord, filter: &Filter, today: NaiveDate) -> Vec<u8> {
    let transform = TileTransform::new(tile);
    let envelope = tile
        .envelope()
        .grow(tile.size() * f64::from(BUFFER) / f64::from(EXTENT));

    let mut procedures: Vec<_> = index.procedures_in(&envelope, filter, today).collect();
    procedures.sort_unstable_by_key(|p| p.facts.id);
    let mut layer = LayerBuilder::new(PROCEDURES, EXTENT);
    for p in procedures {
        let geometry = match p.shape_at(tile.z()) {
            Shape::Polygons(mp) => geometry::polygons(mp, &transform),
            Shape::Point(point) => {
                TileGeometry::Points(geometry::point(*point, &transform).into_iter().collect())
            }
        };
        let start = p.facts.start.to_string();
        let end = p.facts.end.map(|d| d.to_string());
        let mut properties = vec![
            ("id", Value::UInt(p.facts.id.0 as u64)),
            ("title", Value::Str(&p.title)),
            ("kind", Value::Str(p.facts.kind.as_str())),
            ("status", Value::Str(p.status(today).as_str())),
            ("organisation", Value::Str(&p.organisation_name)),
            (
                "organisation_id",
                Value::UInt(p.facts.organisation.0 as u64),
            ),
            ("start", Value::Str(&start)),
            ("url", Value::Str(&p.url)),
            ("placement", Value::Str(p.placement.as_str())),
        ];
        if let Some(end) = &end {
            properties.push(("end", Value::Str(end)));
        }
        debug_assert!(
            matches!(p.placement, Placement::Area) == matches!(*p.shape, Shape::Polygons(_))
        );
        layer.add_feature(p.facts.id.0 as u64, &geometry, &properties);
    }

    let mut report_layer = LayerBuilder::new(REPORTS, EXTENT);
    let mut cluster_layer = LayerBuilder::new(CLUSTERS, EXTENT);
    if tile.z() < index.config().cluster_below_zoom {
        let mut clusters: Vec<_> = index
            .clusters_in(tile.z(), &envelope, filter, today)
            .collect();
        clusters.sort_unstable_by_key(|(p, c, _)| (p.facts.id, c.id));
        for (p, c, count) in clusters {
            let Some(point) = geometry::point(geo::Point(c.position), &transform) else {
                continue;
            };
            let category = |n: u16| index.category_name(n).map(|c| &**c).unwrap_or("");
            if c.is_single() {
                let status = cluster::STATUSES[c.statuses.iter().position(|n| *n > 0).unwrap_or(0)];
                add_report(
                    &mut report_layer,
                    c.id,
                    p.facts.id,
                    category(c.categories[0].0),
                    status,
                    point,
                );
                continue;
            }
            let point = TileGeometry::Points(vec![point]);
            let keys: Vec<(String, u32)> = c
                .categories
                .iter()
                .filter(|(n, _)| {
                    filter.categories.is_empty()
                        || filter.categories.iter().any(|f| *f == category(*n))
                })
                .map(|(n, count)| (format!("category:{}", category(*n)), *count))
                .chain(
                    cluster::STATUSES
                        .iter()
                        .zip(c.statuses)
                        .filter(|(_, n)| filter.categories.is_empty() && *n > 0)
                        .map(|(s, n)| (format!("status:{}", s.as_str()), n)),
                )
                .collect();
            let mut properties = vec![
                ("count", Value::UInt(u64::from(count))),
                ("procedure_id", Value::UInt(p.facts.id.0 as u64)),
                ("expansion_zoom", Value::UInt(u64::from(c.split_zoom))),
            ];
            properties.extend(
                keys.iter()
                    .map(|(k, n)| (k.as_str(), Value::UInt(u64::from(*n)))),
            );
            cluster_layer.add_feature(c.id, &point, &properties);
        }
    } else {
        let mut reports: Vec<_> = index.reports_in(&envelope, filter, today).collect();
        reports.sort_unstable_by_key(|r| r.id);
        for r in reports {
            let Some(point) = geometry::point(geo::Point(r.position), &transform) else {
                continue;
            };
            add_report(
                &mut report_layer,
                r.id.0 as u64,
                r.procedure,
                &r.category,
                r.status,
                point,
            );
        }
    }
    mvt::encode(&[layer, cluster_layer, report_layer])
}

/// One report in the `reports` layer, whether it comes from the report tree
/// or is a cluster of one.
fn add_report(
    layer: &mut LayerBuilder,
    id: u64,
    procedure: ProcedureId,
    category: &str,
    status: ReportStatus,
    point: [i32; 2],
) {
    layer.add_feature(
        id,
        &TileGeometry::Points(vec![point]),
        &[
            ("id", Value::UInt(id)),
            ("procedure_id", Value::UInt(procedure.0 as u64)),
            ("category", Value::Str(category)),
            ("status", Value::Str(status.as_str())),
        ],
    );
}
