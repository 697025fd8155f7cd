//! Rendering one vector tile from the index.
//!
//! The work per feature is kept to what the tile needs: procedure areas come
//! snapped to the zoom's grid from the index (only rings crossing the tile's
//! buffered edge are clipped here), keys are looked up once per tile, and the
//! values that repeat (kinds, statuses, organisations, dates, categories) are
//! looked up once per tile and value, so that a feature costs a few buffer
//! writes and no allocation of its own.

use chrono::NaiveDate;
use hashbrown::HashMap;
use partimap_index::{
    Filter, GridShape, Index, IndexedProcedure, Shape, TileCoord, cluster, generalise,
};
use partimap_model::{ProcedureId, ReportStatus};

use crate::{
    geometry::{self, BUFFER, EXTENT, TileTransform, Window},
    mvt::{LayerBuilder, Slots, TileGeometry, Value},
};

/// The layer of procedures: areas, and points for the rest.
pub const PROCEDURES: &str = "procedures";
/// From this zoom on, procedures carry what is read about them (id, title,
/// authority, dates, link). Below it — the overview zooms, where a tile holds
/// thousands of procedures — only what styling needs (kind, status,
/// placement): the rest is fetched for the few a user looks at
/// (`/api/v1/procedures`), which makes the statewide tile several times
/// smaller and faster.
pub const DETAIL_ZOOM: u8 = 10;
/// The layer of public reports (at every zoom: below the cluster zoom, the
/// reports that are not clustered with others).
pub const REPORTS: &str = "reports";
/// The layer of report clusters, below the cluster zoom.
pub const CLUSTERS: &str = "clusters";

/// Value indices of a layer, remembered per tile for values that repeat.
#[derive(Debug, Default)]
struct Memo<K>(HashMap<K, u32>);

impl<K: std::hash::Hash + Eq> Memo<K> {
    fn get(&mut self, layer: &mut LayerBuilder, key: K, value: impl FnOnce() -> String) -> u32 {
        *self
            .0
            .entry(key)
            .or_insert_with(|| layer.value(Value::Str(&value())))
    }
}

/// The value index of a small enum's variant (its discriminant), looked up
/// at first use.
fn variant(slots: &mut Slots, layer: &mut LayerBuilder, i: usize, value: &str) -> u32 {
    slots.get_or(i, || layer.value(Value::Str(value)))
}

/// The procedures layer of one tile.
struct ProcedureLayer {
    layer: LayerBuilder,
    keys: [u32; 10],
    kinds: Slots,
    statuses: Slots,
    placements: Slots,
    organisations: HashMap<i64, [u32; 2]>,
    dates: Memo<NaiveDate>,
}

impl ProcedureLayer {
    const KEYS: [&'static str; 10] = [
        "id",
        "title",
        "kind",
        "status",
        "organisation",
        "organisation_id",
        "start",
        "end",
        "url",
        "placement",
    ];

    fn new(details: bool) -> Self {
        let mut layer = LayerBuilder::new(PROCEDURES, EXTENT);
        // Only the keys used go into the layer: the overview zooms use three.
        let keys = Self::KEYS.map(|k| {
            if details || ["kind", "status", "placement"].contains(&k) {
                layer.key(k)
            } else {
                u32::MAX
            }
        });
        Self {
            layer,
            keys,
            kinds: Slots::default(),
            statuses: Slots::default(),
            placements: Slots::default(),
            organisations: HashMap::new(),
            dates: Memo::default(),
        }
    }

    /// Adds `p` with its properties (all of them, or at overview zooms what
    /// styling needs), if any of its geometry (already pushed) is in the
    /// tile.
    fn finish(&mut self, p: &IndexedProcedure, today: NaiveDate, details: bool) {
        let [
            id,
            title,
            kind,
            status,
            organisation,
            organisation_id,
            start,
            end,
            url,
            placement,
        ] = self.keys;
        let l = &mut self.layer;
        if !l.has_geometry() {
            // Nothing of it reaches into the tile: no values for it either.
            l.finish_feature(p.facts.id.0 as u64);
            return;
        }
        let v = variant(
            &mut self.kinds,
            l,
            p.facts.kind as usize,
            p.facts.kind.as_str(),
        );
        l.push_tag(kind, v);
        let s = p.status(today);
        let v = variant(&mut self.statuses, l, s as usize, s.as_str());
        l.push_tag(status, v);
        let v = variant(
            &mut self.placements,
            l,
            p.placement as usize,
            p.placement.as_str(),
        );
        l.push_tag(placement, v);
        if !details {
            l.finish_feature(p.facts.id.0 as u64);
            return;
        }
        let v = l.value(Value::UInt(p.facts.id.0 as u64));
        l.push_tag(id, v);
        let v = l.value(Value::Str(&p.title));
        l.push_tag(title, v);
        let [name, number] = *self
            .organisations
            .entry(p.facts.organisation.0)
            .or_insert_with(|| {
                [
                    l.value(Value::Str(&p.organisation_name)),
                    l.value(Value::UInt(p.facts.organisation.0 as u64)),
                ]
            });
        l.push_tag(organisation, name);
        l.push_tag(organisation_id, number);
        let v = self
            .dates
            .get(l, p.facts.start, || p.facts.start.to_string());
        l.push_tag(start, v);
        if let Some(e) = p.facts.end {
            let v = self.dates.get(l, e, || e.to_string());
            l.push_tag(end, v);
        }
        let v = l.value(Value::Str(&p.url));
        l.push_tag(url, v);
        l.finish_feature(p.facts.id.0 as u64);
    }
}

/// Encodes the tile `tile` for `filter` on `today`; empty when nothing is in
/// it. Features are in id order, so that the same data gives the same bytes
/// (and the same ETag).
pub fn render(index: &Index, tile: TileCoord, filter: &Filter, today: NaiveDate) -> Vec<u8> {
    let transform = TileTransform::new(tile);
    let window = Window::new(tile);
    let envelope = tile
        .envelope()
        .grow(tile.size() * f64::from(BUFFER) / f64::from(EXTENT));

    let mut procedures: Vec<_> = index.procedures_in(&envelope, filter, today).collect();
    procedures.sort_unstable_by_key(|p| p.facts.id);
    let details = tile.z() >= DETAIL_ZOOM;
    let mut layer = ProcedureLayer::new(details);
    let mut scratch = Vec::new();
    for p in procedures {
        match (p.grid_at(tile.z()).zip(window.as_ref()), &*p.shape) {
            (Some((GridShape::Polygons(g), window)), _) => {
                geometry::push_polygons(&mut layer.layer, g, window, &mut scratch);
            }
            (Some((GridShape::Point(g), window)), _) => {
                if let Some(point) = window.point(*g) {
                    layer.layer.push_point(point);
                }
            }
            (None, Shape::Point(point)) => {
                if let Some(point) = geometry::point(*point, &transform) {
                    layer.layer.push_point(point);
                }
            }
            (None, Shape::Polygons(mp)) => {
                debug_assert!(tile.z() > generalise::MAX_GENERALISED_ZOOM);
                if let TileGeometry::Polygons(polygons) = geometry::polygons(mp, &transform) {
                    for ring in polygons.iter().flatten() {
                        layer.layer.push_ring(ring, [0, 0]);
                    }
                }
            }
        }
        layer.finish(p, today, details);
    }

    let mut reports = ReportLayer::new();
    let mut cluster_layer = LayerBuilder::new(CLUSTERS, EXTENT);
    if tile.z() < index.config().cluster_below_zoom {
        let mut clusters: Vec<_> = index
            .clusters_in(tile.z(), &envelope, filter, today)
            .collect();
        clusters.sort_unstable_by_key(|(p, c, _)| (p.facts.id, c.id));
        let [count_key, procedure_key, expansion_key] =
            ["count", "procedure_id", "expansion_zoom"].map(|k| cluster_layer.key(k));
        let status_keys =
            cluster::STATUSES.map(|s| cluster_layer.key(&format!("status:{}", s.as_str())));
        // Key indices by category number, looked up at first use.
        let mut category_keys = Slots::default();
        let category = |n: u16| index.category_name(n).map(|c| &**c).unwrap_or("");
        let wanted = |n: u16| {
            filter.categories.is_empty() || filter.categories.iter().any(|f| *f == category(n))
        };
        for (p, c, count) in clusters {
            let Some(point) = geometry::point(geo::Point(c.position), &transform) else {
                continue;
            };
            if c.is_single() {
                let status = cluster::STATUSES[c.statuses.iter().position(|n| *n > 0).unwrap_or(0)];
                reports.add(c.id, p.facts.id, category(c.categories[0].0), status, point);
                continue;
            }
            let l = &mut cluster_layer;
            l.push_point(point);
            let v = l.value(Value::UInt(u64::from(count)));
            l.push_tag(count_key, v);
            let v = l.value(Value::UInt(p.facts.id.0 as u64));
            l.push_tag(procedure_key, v);
            let v = l.value(Value::UInt(u64::from(c.split_zoom)));
            l.push_tag(expansion_key, v);
            for (n, count) in c.categories.iter().filter(|(n, _)| wanted(*n)) {
                let k = category_keys.get_or(usize::from(*n), || {
                    l.key(&format!("category:{}", category(*n)))
                });
                let v = l.value(Value::UInt(u64::from(*count)));
                l.push_tag(k, v);
            }
            if filter.categories.is_empty() {
                for (k, n) in status_keys.iter().zip(c.statuses).filter(|(_, n)| *n > 0) {
                    let v = l.value(Value::UInt(u64::from(n)));
                    l.push_tag(*k, v);
                }
            }
            l.finish_feature(c.id);
        }
    } else {
        let mut found: Vec<_> = index.reports_in(&envelope, filter, today).collect();
        found.sort_unstable_by_key(|r| r.id);
        for r in found {
            let Some(point) = geometry::point(geo::Point(r.position), &transform) else {
                continue;
            };
            reports.add(r.id.0 as u64, r.procedure, &r.category, r.status, point);
        }
    }
    crate::mvt::encode(&[layer.layer, cluster_layer, reports.layer])
}

/// The reports layer of one tile, fed by the report tree or by clusters of
/// one.
struct ReportLayer {
    layer: LayerBuilder,
    keys: [u32; 4],
    categories: HashMap<(*const u8, usize), u32>,
    statuses: Slots,
}

impl ReportLayer {
    fn new() -> Self {
        let mut layer = LayerBuilder::new(REPORTS, EXTENT);
        let keys = ["id", "procedure_id", "category", "status"].map(|k| layer.key(k));
        Self {
            layer,
            keys,
            categories: HashMap::new(),
            statuses: Slots::default(),
        }
    }

    fn add(
        &mut self,
        id: u64,
        procedure: ProcedureId,
        category: &str,
        status: ReportStatus,
        point: [i32; 2],
    ) {
        let [id_key, procedure_key, category_key, status_key] = self.keys;
        let l = &mut self.layer;
        l.push_point(point);
        let v = l.value(Value::UInt(id));
        l.push_tag(id_key, v);
        let v = l.value(Value::UInt(procedure.0 as u64));
        l.push_tag(procedure_key, v);
        // Category names are shared (`Arc<str>` in the index): remembered by
        // address, and the address only ever stands for one name here.
        let v = *self
            .categories
            .entry((category.as_ptr(), category.len()))
            .or_insert_with(|| l.value(Value::Str(category)));
        l.push_tag(category_key, v);
        let v = variant(&mut self.statuses, l, status as usize, status.as_str());
        l.push_tag(status_key, v);
        l.finish_feature(id);
    }
}
