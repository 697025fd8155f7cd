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
    Filter, GridShape, Index, IndexedProcedure, OverviewGeometry, OverviewSlab, Placement, Shape,
    TileCoord, cluster, generalise,
};
use partimap_model::{ProcedureId, ProcedureKind, ProcedureStatus, ReportStatus};

use crate::{
    geometry::{self, BUFFER, EXTENT, Relation, TileTransform, Window},
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

    /// The tags styling needs (kind, status, placement) of the feature being
    /// built, whose geometry is pushed.
    fn push_style(
        &mut self,
        kind_value: ProcedureKind,
        status_value: ProcedureStatus,
        placement_value: Placement,
    ) {
        let [_, _, kind, status, _, _, _, _, _, placement] = self.keys;
        let l = &mut self.layer;
        let v = variant(&mut self.kinds, l, kind_value as usize, kind_value.as_str());
        l.push_tag(kind, v);
        let v = variant(
            &mut self.statuses,
            l,
            status_value as usize,
            status_value.as_str(),
        );
        l.push_tag(status, v);
        let v = variant(
            &mut self.placements,
            l,
            placement_value as usize,
            placement_value.as_str(),
        );
        l.push_tag(placement, v);
    }

    /// Adds a procedure of an overview zoom (geometry already pushed) with
    /// what styling needs, if any of its geometry is in the tile.
    fn finish_styled(
        &mut self,
        id: ProcedureId,
        kind: ProcedureKind,
        status: ProcedureStatus,
        placement: Placement,
    ) {
        if self.layer.has_geometry() {
            self.push_style(kind, status, placement);
        }
        self.layer.finish_feature(id.0 as u64);
    }

    /// Adds `p` with its properties (all of them, or at overview zooms what
    /// styling needs), if any of its geometry (already pushed) is in the
    /// tile.
    fn finish(&mut self, p: &IndexedProcedure, today: NaiveDate, details: bool) {
        if !details || !self.layer.has_geometry() {
            // Without geometry nothing of it reaches into the tile: no
            // values for it either.
            self.finish_styled(p.facts.id, p.facts.kind, p.status(today), p.placement);
            return;
        }
        self.push_style(p.facts.kind, p.status(today), p.placement);
        let [
            id,
            title,
            _,
            _,
            organisation,
            organisation_id,
            start,
            end,
            url,
            _,
        ] = self.keys;
        let l = &mut self.layer;
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
    render_with(index, tile, filter, today, true)
}

/// [`render`], with the procedures of overview zooms read from the overview
/// slabs (`slabs`) or, as at deeper zooms, from the procedure tree; both give
/// the same bytes (a test holds them to it).
fn render_with(
    index: &Index,
    tile: TileCoord,
    filter: &Filter,
    today: NaiveDate,
    slabs: bool,
) -> Vec<u8> {
    let transform = TileTransform::new(tile);
    let window = Window::new(tile);
    let envelope = tile
        .envelope()
        .grow(tile.size() * f64::from(BUFFER) / f64::from(EXTENT));

    let details = tile.z() >= DETAIL_ZOOM;
    let mut layer = ProcedureLayer::new(details);
    let mut scratch = geometry::ClipScratch::default();
    match (
        index.overview(tile.z()).filter(|_| slabs && !details),
        window,
    ) {
        (Some(slab), Some(window)) => {
            overview_procedures(index, slab, &mut layer, &window, &transform, filter, today);
        }
        _ => {
            let mut procedures: Vec<_> = index.procedures_in(&envelope, filter, today).collect();
            procedures.sort_unstable_by_key(|p| p.facts.id);
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
                        if let TileGeometry::Polygons(polygons) = geometry::polygons(mp, &transform)
                        {
                            for ring in polygons.iter().flatten() {
                                layer.layer.push_ring(ring, [0, 0]);
                            }
                        }
                    }
                }
                layer.finish(p, today, details);
            }
        }
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

/// The procedures of an overview tile, from the zoom's slab: front to
/// back, already in id order. Only areas that cross the tile's buffered
/// edge are read from the procedure itself (to be clipped).
fn overview_procedures(
    index: &Index,
    slab: &OverviewSlab,
    layer: &mut ProcedureLayer,
    window: &Window,
    transform: &TileTransform,
    filter: &Filter,
    today: NaiveDate,
) {
    /// Where an entry reaches into the tile.
    enum Reach {
        Point([i32; 2]),
        Inside([i32; 2]),
        Crossing,
    }
    let mut scratch = geometry::ClipScratch::default();
    for e in slab.entries() {
        // Where it lies first: most entries of a slab are outside a tile.
        let reach = match e.geometry {
            OverviewGeometry::Point(c) => {
                geometry::point(geo::Point(c), transform).map(Reach::Point)
            }
            OverviewGeometry::GridPoint(g) => window.point(g).map(Reach::Point),
            OverviewGeometry::Polygons {
                min, max, first, ..
            } => match window.relation(min, max) {
                Relation::Outside => None,
                Relation::Inside => Some(Reach::Inside(window.local(first))),
                Relation::Crossing => Some(Reach::Crossing),
            },
        };
        let Some(reach) = reach else {
            continue;
        };
        if !index.admits_entry(e, filter, today) {
            continue;
        }
        match reach {
            Reach::Point(point) => layer.layer.push_point(point),
            Reach::Inside(first) => layer.layer.push_encoded_polygons(first, slab.commands(e)),
            Reach::Crossing => {
                if let Some(GridShape::Polygons(g)) =
                    index.procedure(e.id).and_then(|p| p.grid_at(slab.zoom()))
                {
                    geometry::push_polygons(&mut layer.layer, g, window, &mut scratch);
                }
            }
        }
        layer.finish_styled(e.id, e.kind, e.status(today), e.placement);
    }
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail by panicking")]

    use geo::{LineString, MultiPolygon, Point, Polygon};
    use partimap_model::{
        Area, Changes, Organisation, OrganisationId, OrganisationKind, Procedure, ProcedureStatus,
    };

    use super::*;

    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> f64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    fn organisation(id: i64, parent: Option<i64>, seat: Option<Point<f64>>) -> Organisation {
        Organisation {
            id: OrganisationId(id),
            key: format!("o{id}"),
            name: format!("Organisation {id}"),
            kind: if parent.is_none() {
                OrganisationKind::State
            } else {
                OrganisationKind::District
            },
            ags: None,
            parent: parent.map(OrganisationId),
            seat,
            embed_origins: Vec::new(),
        }
    }

    /// Areas from a few metres to tens of kilometres across (some with a
    /// hole, some in two parts), points, and procedures at their
    /// organisation's seat, of every kind and status, all over NRW.
    fn procedure(rng: &mut Rng, id: i64) -> Procedure {
        let (lon, lat) = (5.8 + 3.6 * rng.next(), 50.3 + 2.2 * rng.next());
        let radius = 10f64.powf(-4.0 + 3.5 * rng.next());
        let ring = |cx: f64, cy: f64, r: f64, n: usize, rng: &mut Rng| {
            LineString::from(
                (0..n)
                    .map(|i| {
                        let a = std::f64::consts::TAU * i as f64 / n as f64;
                        let r = r * (0.6 + 0.4 * rng.next());
                        (cx + r * a.cos(), cy + 0.6 * r * a.sin())
                    })
                    .collect::<Vec<_>>(),
            )
        };
        let area = match id % 7 {
            0 => Some(Area::Point(Point::new(lon, lat))),
            1 => None,
            2 => Some(Area::Polygons(MultiPolygon(vec![Polygon::new(
                ring(lon, lat, radius, 24, rng),
                vec![
                    ring(lon, lat, radius / 3.0, 8, rng)
                        .into_iter()
                        .rev()
                        .collect(),
                ],
            )]))),
            3 => Some(Area::Polygons(MultiPolygon(vec![
                Polygon::new(ring(lon, lat, radius, 12, rng), vec![]),
                Polygon::new(ring(lon + 0.5, lat - 0.3, radius / 2.0, 12, rng), vec![]),
            ]))),
            _ => Some(Area::Polygons(MultiPolygon(vec![Polygon::new(
                ring(lon, lat, radius, 5 + (id % 40) as usize, rng),
                vec![],
            )]))),
        };
        let day =
            |d: f64| NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + chrono::Days::new(d as u64);
        Procedure {
            id: ProcedureId(id),
            organisation: OrganisationId(2 + id % 4),
            external_id: format!("p{id}"),
            title: format!("Procedure {id}"),
            summary: String::new(),
            kind: ProcedureKind::ALL[(id % 6) as usize],
            start: day(300.0 * rng.next()),
            end: (id % 5 != 0).then(|| day(300.0 + 300.0 * rng.next())),
            status_override: (id % 11 == 0).then_some(ProcedureStatus::Closed),
            url: format!("https://example.org/{id}"),
            area,
            categories: Vec::new(),
            moderation: Default::default(),
            location_precision_m: None,
        }
    }

    fn tile_of(lon: f64, lat: f64, z: u8) -> (u32, u32) {
        let n = f64::from(1u32 << z);
        let lat = lat.to_radians();
        (
            ((lon + 180.0) / 360.0 * n) as u32,
            ((1.0 - lat.tan().asinh() / std::f64::consts::PI) / 2.0 * n) as u32,
        )
    }

    fn assert_slabs_draw_what_the_tree_draws(index: &Index, today: NaiveDate) {
        let filters = [
            Filter::default(),
            Filter::everything(),
            Filter {
                kinds: vec![ProcedureKind::Dialog, ProcedureKind::Event],
                ..Filter::everything()
            },
            Filter {
                organisations: vec![OrganisationId(3)],
                ..Filter::default()
            },
            Filter {
                procedures: vec![ProcedureId(12), ProcedureId(30)],
                ..Filter::everything()
            },
            // About a third of the procedures start by 11 April.
            Filter {
                from: NaiveDate::from_ymd_opt(2026, 3, 1),
                until: NaiveDate::from_ymd_opt(2026, 4, 11),
                ..Filter::everything()
            },
        ];
        let mut drawn = 0;
        for z in 0..partimap_index::OVERVIEW_ZOOMS {
            let (lo, hi) = (tile_of(5.5, 52.8, z), tile_of(9.8, 50.0, z));
            for x in lo.0..=hi.0 {
                for y in lo.1..=hi.1 {
                    let tile = TileCoord::new(u32::from(z), x, y).unwrap();
                    for f in &filters {
                        let slab = render_with(index, tile, f, today, true);
                        let tree = render_with(index, tile, f, today, false);
                        assert!(slab == tree, "tile {z}/{x}/{y}, {f:?}");
                        drawn += usize::from(!slab.is_empty());
                    }
                }
            }
        }
        assert!(drawn > 200, "{drawn} tiles with something in them");
    }

    #[test]
    fn overview_slabs_draw_the_bytes_the_procedure_tree_draws_also_after_changes() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let organisations = vec![
            organisation(1, None, Some(Point::new(6.77, 51.22))),
            organisation(2, Some(1), Some(Point::new(7.47, 51.51))),
            organisation(3, Some(1), Some(Point::new(8.02, 50.87))),
            organisation(4, Some(3), None),
            organisation(5, Some(3), Some(Point::new(6.96, 50.94))),
        ];
        let mut procedures: Vec<_> = (1..=600).map(|id| procedure(&mut rng, id)).collect();
        let today = NaiveDate::from_ymd_opt(2026, 9, 1).unwrap();
        let mut index = Index::build(&organisations, &procedures, &[]);
        assert_slabs_draw_what_the_tree_draws(&index, today);

        // Changed in place: moved and reshaped, removed, added, and an
        // organisation's seat moved (its seated procedures move with it).
        let mut changes = Changes::default();
        for id in (5..600).step_by(9) {
            let mut p = procedure(&mut rng, id);
            p.id = ProcedureId(id);
            procedures[id as usize - 1] = p.clone();
            changes.procedures.push(p);
        }
        changes.removed_procedures = (7..600).step_by(13).map(ProcedureId).collect();
        changes
            .procedures
            .extend((601..=650).map(|id| procedure(&mut rng, id)));
        changes.organisations = vec![organisation(2, Some(1), Some(Point::new(8.5, 52.0)))];
        index.apply(&changes);
        assert_slabs_draw_what_the_tree_draws(&index, today);
    }
}
