//! The index: procedures and public reports in Web Mercator, in R-trees,
//! with generalised shapes per zoom and report clusters per procedure. It is
//! built in bulk from a snapshot and then changed in place, one batch of
//! changes at a time, reporting what each batch made dirty.

use rayon::prelude::*;
use std::{ops::Range, sync::Arc};

use chrono::NaiveDate;
use geo::{BoundingRect, Coord, Point};
// hashbrown's foldhash rather than std's SipHash: seeded per process as well,
// and much faster on the small keys a tile looks up by the thousand (every
// procedure and cluster it meets, by id).
use hashbrown::{HashMap, HashSet};
use partimap_model::{
    Area, Changes, Organisation, OrganisationId, Procedure, ProcedureId, ProcedureKind,
    ProcedureStatus, Report, ReportId, ReportStatus,
};
use rstar::{AABB, RTree, primitives::GeomWithData, primitives::Rectangle};

use crate::{
    Envelope,
    cluster::{self, Cluster, Hierarchy},
    filter::Filter,
    generalise,
    grid::GridShape,
    mercator::{self, MAX_ZOOM},
    overview::{OVERVIEW_ZOOMS, OverviewEntry, OverviewSlab},
};

/// An organisation as the map needs it.
#[derive(Debug, Clone)]
pub struct IndexedOrganisation {
    pub id: OrganisationId,
    pub key: Arc<str>,
    pub name: Arc<str>,
    pub parent: Option<OrganisationId>,
    /// The parent, its parent, and so on up to the state.
    pub ancestors: Vec<OrganisationId>,
    /// The seat in Web Mercator.
    pub seat: Option<Point<f64>>,
    /// The origins whose pages may frame its procedures' maps.
    pub embed_origins: Vec<String>,
}

/// Why a procedure is drawn where it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// Its own area.
    Area,
    /// Its own point (e.g. an event's venue).
    Point,
    /// It has no place of its own (a statewide draft law): it is drawn at its
    /// organisation's seat.
    Seat,
}

impl Placement {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Area => "area",
            Self::Point => "point",
            Self::Seat => "seat",
        }
    }
}

/// A geometry in Web Mercator metres.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    Polygons(geo::MultiPolygon<f64>),
    Point(Point<f64>),
}

/// What a filter asks of a procedure, kept apart so that the tile cache can
/// ask it of procedures as they were before a change.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcedureFacts {
    pub id: ProcedureId,
    pub kind: ProcedureKind,
    pub organisation: OrganisationId,
    /// The organisation and its ancestors.
    pub organisations: Vec<OrganisationId>,
    pub start: NaiveDate,
    pub end: Option<NaiveDate>,
    pub status_override: Option<ProcedureStatus>,
}

impl ProcedureFacts {
    /// The status on `today` (the rule of [`Procedure::status`]).
    pub fn status(&self, today: NaiveDate) -> ProcedureStatus {
        ProcedureStatus::on(today, self.start, self.end, self.status_override)
    }

    /// Whether the procedure part of `filter` admits this procedure.
    pub fn admitted_by(&self, filter: &Filter, today: NaiveDate) -> bool {
        filter.admits_procedure(
            self.kind,
            self.id,
            self.status(today),
            self.start,
            self.end,
            |wanted| self.belongs_to_any(wanted),
        )
    }

    /// Whether its organisation is one of `wanted` or below one of them.
    pub fn belongs_to_any(&self, wanted: &[OrganisationId]) -> bool {
        wanted.iter().any(|o| self.organisations.contains(o))
    }
}

/// A procedure as the map needs it: its facts (id, kind, organisation,
/// dates), and what is drawn.
#[derive(Debug, Clone)]
pub struct IndexedProcedure {
    pub facts: ProcedureFacts,
    pub organisation_name: Arc<str>,
    pub title: String,
    pub url: String,
    /// The full shape, for the deepest zooms.
    pub shape: Arc<Shape>,
    /// The generalised shapes of zooms `0..=MAX_GENERALISED_ZOOM`, snapped
    /// to each zoom's tile grid (empty for a point, which is the same at
    /// every zoom).
    pub grids: Vec<GridShape>,
    pub placement: Placement,
    pub envelope: Envelope,
}

impl IndexedProcedure {
    /// The status on `today`.
    pub fn status(&self, today: NaiveDate) -> ProcedureStatus {
        self.facts.status(today)
    }

    /// The generalised shape at `zoom` on its tile grid; `None` for a point
    /// and for zooms deeper than the generalised ones, which draw
    /// [`Self::shape`].
    pub fn grid_at(&self, zoom: u8) -> Option<&GridShape> {
        self.grids.get(usize::from(zoom))
    }
}

/// A public report as the map needs it: no text, no contact.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexedReport {
    pub id: ReportId,
    pub procedure: ProcedureId,
    pub category: Arc<str>,
    pub status: ReportStatus,
    /// Web Mercator metres.
    pub position: Coord<f64>,
}

/// A cluster (or single report) of one procedure at one zoom.
#[derive(Debug, Clone)]
pub struct ClusterEntry {
    pub procedure: ProcedureId,
    pub cluster: Arc<Cluster>,
}

impl PartialEq for ClusterEntry {
    fn eq(&self, other: &Self) -> bool {
        self.procedure == other.procedure && Arc::ptr_eq(&self.cluster, &other.cluster)
    }
}

type ProcedureEntry = GeomWithData<Rectangle<[f64; 2]>, ProcedureId>;
type ReportEntry = GeomWithData<[f64; 2], IndexedReport>;
type ClusterTreeEntry = GeomWithData<[f64; 2], ClusterEntry>;

/// How the index is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexConfig {
    /// Reports are clustered on zooms below this one, shown singly from it on.
    pub cluster_below_zoom: u8,
}

impl Default for IndexConfig {
    fn default() -> Self {
        Self {
            cluster_below_zoom: 14,
        }
    }
}

/// A place that a change made dirty: tiles of `zooms` meeting `envelope`
/// must be drawn again for every filter that admits `procedure` (as it was
/// before or after the change) and, for report changes, one of `categories`.
#[derive(Debug, Clone, PartialEq)]
pub struct DirtyRegion {
    pub zooms: Range<u8>,
    pub envelope: Envelope,
    /// The procedure's facts before and/or after the change.
    pub procedures: Vec<ProcedureFacts>,
    /// `None`: every category (a procedure changed); else the categories of
    /// the reports that changed.
    pub categories: Option<Vec<Arc<str>>>,
}

impl DirtyRegion {
    /// Whether the cached tile of `filter` at `zoom` with (buffered)
    /// `envelope` may have changed.
    pub fn touches(
        &self,
        zoom: u8,
        envelope: &Envelope,
        filter: &Filter,
        today: NaiveDate,
    ) -> bool {
        self.zooms.contains(&zoom)
            && self.envelope.intersects(envelope)
            && self.procedures.iter().any(|p| p.admitted_by(filter, today))
            && match &self.categories {
                None => true,
                Some(categories) => {
                    filter.categories.is_empty()
                        || categories
                            .iter()
                            .any(|c| filter.categories.iter().any(|f| **f == **c))
                }
            }
    }
}

/// The in-memory index of everything the map shows.
#[derive(Debug, Default)]
pub struct Index {
    config: IndexConfig,
    organisations: HashMap<OrganisationId, IndexedOrganisation>,
    procedures: HashMap<ProcedureId, IndexedProcedure>,
    /// Procedures that have neither a place nor an organisation seat.
    unplaced: HashSet<ProcedureId>,
    /// Procedures without a place of their own, as given: they move with
    /// their organisation's seat.
    seatless: HashMap<ProcedureId, Procedure>,
    procedure_tree: RTree<ProcedureEntry>,
    report_tree: RTree<ReportEntry>,
    /// Where each indexed report is, to find it in the tree.
    report_positions: HashMap<ReportId, (Coord<f64>, ProcedureId)>,
    /// The indexed reports of each procedure.
    members: HashMap<ProcedureId, HashSet<ReportId>>,
    hierarchies: HashMap<ProcedureId, Hierarchy>,
    /// Per zoom below `cluster_below_zoom`: every procedure's clusters.
    cluster_trees: Vec<RTree<ClusterTreeEntry>>,
    /// Category codes, shared, and their numbers in clusters.
    categories: HashMap<Arc<str>, u16>,
    category_names: Vec<Arc<str>>,
    /// Per overview zoom, every placed procedure's drawing (empty until
    /// procedures are indexed).
    overview: Vec<OverviewSlab>,
}

fn aabb(e: &Envelope) -> AABB<[f64; 2]> {
    AABB::from_corners([e.min.x, e.min.y], [e.max.x, e.max.y])
}

fn union(a: Envelope, b: Envelope) -> Envelope {
    Envelope {
        min: Coord {
            x: a.min.x.min(b.min.x),
            y: a.min.y.min(b.min.y),
        },
        max: Coord {
            x: a.max.x.max(b.max.x),
            y: a.max.y.max(b.max.y),
        },
    }
}

fn point_envelope(c: Coord<f64>) -> Envelope {
    Envelope { min: c, max: c }
}

impl Index {
    /// Builds the index from the store's contents in bulk. Reports that are
    /// not public, and reports of unknown procedures, are left out.
    pub fn build(
        organisations: &[Organisation],
        procedures: &[Procedure],
        reports: &[Report],
    ) -> Self {
        Self::build_with(IndexConfig::default(), organisations, procedures, reports)
    }

    pub fn build_with(
        config: IndexConfig,
        organisations: &[Organisation],
        procedures: &[Procedure],
        reports: &[Report],
    ) -> Self {
        let mut index = Self::with_procedures(config, organisations, procedures);
        index.load_reports(reports);
        index
    }

    /// The first half of [`Index::build_with`]: organisations and procedures,
    /// no reports yet (a server start does this while the reports are read).
    pub fn with_procedures(
        config: IndexConfig,
        organisations: &[Organisation],
        procedures: &[Procedure],
    ) -> Self {
        let mut index = Self {
            config,
            ..Self::default()
        };
        for o in organisations {
            index.organisations.insert(o.id, index_organisation(o));
        }
        index.refresh_ancestors();
        let mut entries = Vec::with_capacity(procedures.len());
        // Generalising every area for every zoom is most of the procedures'
        // cost: on every core (rayon), then entered in order.
        let indexed: Vec<Option<IndexedProcedure>> = {
            let this = &index;
            procedures
                .par_iter()
                .map(|p| this.index_procedure(p))
                .collect()
        };
        for (procedure, indexed) in procedures.iter().zip(indexed) {
            if procedure.area.is_none() {
                index.seatless.insert(procedure.id, procedure.clone());
            }
            match indexed {
                Some(p) => {
                    entries.push(ProcedureEntry::new(
                        Rectangle::from_aabb(aabb(&p.envelope)),
                        p.facts.id,
                    ));
                    index.procedures.insert(p.facts.id, p);
                }
                None => {
                    index.unplaced.insert(procedure.id);
                }
            }
        }
        index.procedure_tree = RTree::bulk_load(entries);
        let mut placed: Vec<&IndexedProcedure> = index.procedures.values().collect();
        placed.sort_unstable_by_key(|p| p.facts.id);
        index.overview = (0..OVERVIEW_ZOOMS)
            .into_par_iter()
            .map(|z| OverviewSlab::build(z, placed.iter().copied()))
            .collect();
        index
    }

    /// The overview slab of `zoom` (below [`OVERVIEW_ZOOMS`]).
    pub fn overview(&self, zoom: u8) -> Option<&OverviewSlab> {
        self.overview.get(usize::from(zoom))
    }

    /// Whether `filter` admits the procedure of an overview entry
    /// ([`Filter::admits_procedure`], read from the entry but for the
    /// organisations, which only a filter by organisation needs).
    pub fn admits_entry(&self, e: &OverviewEntry, filter: &Filter, today: NaiveDate) -> bool {
        filter.admits_procedure(e.kind, e.id, e.status(today), e.start, e.end, |wanted| {
            self.procedures
                .get(&e.id)
                .is_some_and(|p| p.facts.belongs_to_any(wanted))
        })
    }

    /// Brings `id`'s overview entries in line with the procedure as indexed
    /// (or drops them where it is not).
    fn refresh_overview(&mut self, id: ProcedureId) {
        if self.overview.is_empty() {
            self.overview = (0..OVERVIEW_ZOOMS)
                .map(|z| OverviewSlab::build(z, std::iter::empty()))
                .collect();
        }
        let procedure = self.procedures.get(&id);
        for slab in &mut self.overview {
            match procedure {
                Some(p) => slab.upsert(p),
                None => slab.remove(id),
            }
        }
    }

    /// The second half of [`Index::build_with`]: the reports, into an index
    /// that has none yet (else nothing happens: change it with `apply`).
    pub fn load_reports(&mut self, reports: &[Report]) {
        if !self.report_positions.is_empty() {
            return;
        }
        let index = self;
        let config = index.config;
        let entries: Vec<_> = reports
            .iter()
            .filter_map(|r| index.index_report(r))
            .collect();
        // Three independent parts, side by side: the report tree (one
        // thread), each procedure's clusters (every core, the largest
        // procedures first so that a hot one does not finish alone at the
        // end), and the maps from reports to places and procedures.
        let this = &*index;
        let (report_tree, (hierarchies, (report_positions, members))) = rayon::join(
            || RTree::bulk_load(entries.clone()),
            || {
                rayon::join(
                    || {
                        let mut by_procedure: HashMap<ProcedureId, Vec<&IndexedReport>> =
                            HashMap::new();
                        for e in &entries {
                            by_procedure
                                .entry(e.data.procedure)
                                .or_default()
                                .push(&e.data);
                        }
                        let mut by_procedure: Vec<_> = by_procedure.into_iter().collect();
                        by_procedure.sort_unstable_by_key(|(id, reports)| {
                            (std::cmp::Reverse(reports.len()), *id)
                        });
                        by_procedure
                            .into_par_iter()
                            .map(|(procedure, reports)| {
                                (procedure, this.hierarchy(procedure, reports.into_iter()))
                            })
                            .collect::<Vec<(ProcedureId, Hierarchy)>>()
                    },
                    || {
                        let mut positions = HashMap::with_capacity(entries.len());
                        let mut members: HashMap<ProcedureId, HashSet<ReportId>> = HashMap::new();
                        for e in &entries {
                            positions.insert(e.data.id, (e.data.position, e.data.procedure));
                            members
                                .entry(e.data.procedure)
                                .or_default()
                                .insert(e.data.id);
                        }
                        (positions, members)
                    },
                )
            },
        );
        index.report_tree = report_tree;
        index.report_positions = report_positions;
        index.members = members;
        let mut cluster_entries = vec![Vec::new(); usize::from(config.cluster_below_zoom)];
        for (procedure, hierarchy) in hierarchies {
            for (zoom, level) in hierarchy.levels.iter().enumerate() {
                cluster_entries[zoom]
                    .extend(level.iter().map(|c| cluster_tree_entry(procedure, c)));
            }
            index.hierarchies.insert(procedure, hierarchy);
        }
        index.cluster_trees = cluster_entries
            .into_par_iter()
            .map(RTree::bulk_load)
            .collect();
    }

    fn refresh_ancestors(&mut self) {
        let parents: HashMap<_, _> = self
            .organisations
            .values()
            .map(|o| (o.id, o.parent))
            .collect();
        for o in self.organisations.values_mut() {
            let mut ancestors = Vec::new();
            let mut next = o.parent;
            // The length bound guards against a cycle in corrupt data.
            while let Some(parent) = next.filter(|_| ancestors.len() < parents.len()) {
                ancestors.push(parent);
                next = parents.get(&parent).copied().flatten();
            }
            o.ancestors = ancestors;
        }
    }

    fn category(&mut self, code: &str) -> Arc<str> {
        if let Some((name, _)) = self.categories.get_key_value(code) {
            return name.clone();
        }
        let name: Arc<str> = code.into();
        // More than 65,535 distinct categories would be a data error; they
        // then share the last number (counts stay right in total).
        let number = u16::try_from(self.category_names.len()).unwrap_or(u16::MAX);
        self.categories.insert(name.clone(), number);
        self.category_names.push(name.clone());
        name
    }

    /// The number of a category code in clusters.
    pub fn category_number(&self, code: &str) -> Option<u16> {
        self.categories.get(code).copied()
    }

    /// The code of a category number.
    pub fn category_name(&self, number: u16) -> Option<&Arc<str>> {
        self.category_names.get(usize::from(number))
    }

    fn index_procedure(&self, p: &Procedure) -> Option<IndexedProcedure> {
        let organisation = self.organisations.get(&p.organisation)?;
        let (shape, placement) = match &p.area {
            Some(Area::Polygons(mp)) => (
                Shape::Polygons(mercator::project_polygons(mp)),
                Placement::Area,
            ),
            Some(Area::Point(point)) => (
                Shape::Point(mercator::project_point(*point)),
                Placement::Point,
            ),
            None => (Shape::Point(organisation.seat?), Placement::Seat),
        };
        let envelope = match &shape {
            Shape::Polygons(mp) => {
                let rect = mp.bounding_rect()?;
                Envelope {
                    min: rect.min(),
                    max: rect.max(),
                }
            }
            Shape::Point(point) => point_envelope(point.0),
        };
        let shape = Arc::new(shape);
        let grids = match &*shape {
            Shape::Polygons(mp) => generalise::pyramid(mp),
            Shape::Point(_) => Vec::new(),
        };
        let mut organisations = vec![p.organisation];
        organisations.extend(organisation.ancestors.iter().copied());
        let organisation_name = organisation.name.clone();
        Some(IndexedProcedure {
            facts: ProcedureFacts {
                id: p.id,
                kind: p.kind,
                organisation: p.organisation,
                organisations,
                start: p.start,
                end: p.end,
                status_override: p.status_override,
            },
            organisation_name,
            title: p.title.clone(),
            url: p.url.clone(),
            shape,
            grids,
            placement,
            envelope,
        })
    }

    fn index_report(&mut self, r: &Report) -> Option<ReportEntry> {
        // Reports of a procedure that cannot be placed stay in the tree (and
        // out of every answer) until it can.
        let known =
            self.procedures.contains_key(&r.procedure) || self.unplaced.contains(&r.procedure);
        if !r.status.is_public() || !known {
            return None;
        }
        let position = mercator::project(r.location.0);
        let category = self.category(&r.category);
        Some(ReportEntry::new(
            [position.x, position.y],
            IndexedReport {
                id: r.id,
                procedure: r.procedure,
                category,
                status: r.status,
                position,
            },
        ))
    }

    /// The cluster hierarchy of one procedure's reports.
    fn hierarchy<'a>(
        &self,
        procedure: ProcedureId,
        reports: impl Iterator<Item = &'a IndexedReport>,
    ) -> Hierarchy {
        if !self.procedures.contains_key(&procedure) {
            return Hierarchy::default();
        }
        let mut singles: Vec<Cluster> = reports
            .map(|r| {
                Cluster::single(
                    r.id,
                    r.position,
                    self.category_number(&r.category).unwrap_or(u16::MAX),
                    r.status,
                )
            })
            .collect();
        // Ids order the input, so that the same reports give the same clusters
        // however they were loaded.
        singles.sort_unstable_by_key(|c| c.id);
        cluster::build(procedure.0, singles, self.config.cluster_below_zoom)
    }

    pub fn config(&self) -> IndexConfig {
        self.config
    }

    pub fn organisation(&self, id: OrganisationId) -> Option<&IndexedOrganisation> {
        self.organisations.get(&id)
    }

    /// Every organisation, in no particular order.
    pub fn organisations(&self) -> impl Iterator<Item = &IndexedOrganisation> {
        self.organisations.values()
    }

    /// Resolves an organisation given by its key (`stadt-koeln`) or its id.
    pub fn organisation_by_key_or_id(&self, given: &str) -> Option<OrganisationId> {
        match given.parse::<i64>() {
            Ok(id) => self
                .organisations
                .contains_key(&OrganisationId(id))
                .then_some(OrganisationId(id)),
            Err(_) => self
                .organisations
                .values()
                .find(|o| &*o.key == given)
                .map(|o| o.id),
        }
    }

    pub fn procedure(&self, id: ProcedureId) -> Option<&IndexedProcedure> {
        self.procedures.get(&id)
    }

    /// How many procedures are on the map, and how many could not be placed.
    pub fn procedure_counts(&self) -> (usize, usize) {
        (self.procedures.len(), self.unplaced.len())
    }

    /// How many public reports are on the map.
    pub fn report_count(&self) -> usize {
        self.report_tree.size()
    }

    /// Whether `procedure` passes the procedure part of `filter` on `today`.
    pub fn admits(&self, procedure: &IndexedProcedure, filter: &Filter, today: NaiveDate) -> bool {
        procedure.facts.admitted_by(filter, today)
    }

    /// The procedures whose bounding box meets `envelope` and that pass
    /// `filter`, in no particular order.
    pub fn procedures_in<'a>(
        &'a self,
        envelope: &Envelope,
        filter: &'a Filter,
        today: NaiveDate,
    ) -> impl Iterator<Item = &'a IndexedProcedure> + 'a {
        self.procedure_tree
            .locate_in_envelope_intersecting(&aabb(envelope))
            .filter_map(|entry| self.procedures.get(&entry.data))
            .filter(move |p| self.admits(p, filter, today))
    }

    fn report_admitted(&self, r: &IndexedReport, filter: &Filter, today: NaiveDate) -> bool {
        (filter.categories.is_empty() || filter.categories.iter().any(|c| **c == *r.category))
            && self
                .procedures
                .get(&r.procedure)
                .is_some_and(|p| self.admits(p, filter, today))
    }

    /// The public reports inside `envelope` whose procedure passes `filter`
    /// and whose category is admitted, in no particular order.
    pub fn reports_in<'a>(
        &'a self,
        envelope: &Envelope,
        filter: &'a Filter,
        today: NaiveDate,
    ) -> impl Iterator<Item = &'a IndexedReport> + 'a {
        self.report_tree
            .locate_in_envelope(&aabb(envelope))
            .map(|entry| &entry.data)
            .filter(move |r| self.report_admitted(r, filter, today))
    }

    /// The clusters at `zoom` (below `cluster_below_zoom`) inside `envelope`
    /// of procedures `filter` admits, each with its count under the filter's
    /// categories; clusters with none of them are left out.
    pub fn clusters_in<'a>(
        &'a self,
        zoom: u8,
        envelope: &Envelope,
        filter: &'a Filter,
        today: NaiveDate,
    ) -> impl Iterator<Item = (&'a IndexedProcedure, &'a Cluster, u32)> + 'a {
        let query = aabb(envelope);
        let wanted: Vec<u16> = filter
            .categories
            .iter()
            .filter_map(|c| self.category_number(c))
            .collect();
        let mut last: Option<(ProcedureId, Option<&IndexedProcedure>)> = None;
        self.cluster_trees
            .get(usize::from(zoom))
            .into_iter()
            .flat_map(move |tree| tree.locate_in_envelope(&query))
            .filter_map(move |entry| {
                // Neighbours in the tree are mostly of one procedure: its
                // lookup and filter are remembered from one to the next.
                let id = entry.data.procedure;
                let p = match last {
                    Some((last_id, p)) if last_id == id => p,
                    _ => {
                        let p = self
                            .procedures
                            .get(&id)
                            .filter(|p| self.admits(p, filter, today));
                        last = Some((id, p));
                        p
                    }
                }?;
                let c = &*entry.data.cluster;
                let count = if filter.categories.is_empty() {
                    c.count
                } else {
                    c.count_of(&wanted)
                };
                (count > 0).then_some((p, c, count))
            })
    }

    /// The envelope of everything `filter` admits, for a map to fit to.
    pub fn bounds(&self, filter: &Filter, today: NaiveDate) -> Option<Envelope> {
        self.procedures
            .values()
            .filter(|p| self.admits(p, filter, today))
            .map(|p| p.envelope)
            .reduce(union)
    }

    /// Applies a batch of changes in place and says what it made dirty.
    pub fn apply(&mut self, changes: &Changes) -> Vec<DirtyRegion> {
        let all_zooms = 0..MAX_ZOOM + 1;
        let mut dirty = Vec::new();
        // Procedures whose clusters must be rebuilt.
        let mut recluster: HashSet<ProcedureId> = HashSet::new();

        if !changes.organisations.is_empty() {
            for o in &changes.organisations {
                self.organisations.insert(o.id, index_organisation(o));
            }
            self.refresh_ancestors();
            // Names, seats and ancestors reach procedures: those of the
            // changed organisations and of their descendants.
            let changed: HashSet<_> = changes.organisations.iter().map(|o| o.id).collect();
            let affected: Vec<ProcedureId> = self
                .procedures
                .values()
                .filter(|p| p.facts.organisations.iter().any(|o| changed.contains(o)))
                .map(|p| p.facts.id)
                .collect();
            for id in affected {
                if let Some(source) = self.seatless.get(&id).cloned() {
                    dirty.extend(self.upsert_procedure(&source, &mut recluster));
                } else if let Some(p) = self.procedures.get(&id) {
                    let before = p.facts.clone();
                    let organisation = self.organisations.get(&p.facts.organisation);
                    let name = organisation.map(|o| o.name.clone());
                    let ancestors = organisation
                        .map(|o| o.ancestors.clone())
                        .unwrap_or_default();
                    if let Some(p) = self.procedures.get_mut(&id) {
                        if let Some(name) = name {
                            p.organisation_name = name;
                        }
                        p.facts.organisations = std::iter::once(p.facts.organisation)
                            .chain(ancestors)
                            .collect();
                        dirty.push(DirtyRegion {
                            zooms: all_zooms.clone(),
                            envelope: p.envelope,
                            procedures: vec![before, p.facts.clone()],
                            categories: None,
                        });
                    }
                }
            }
            // Procedures that had no seat to be drawn at may have one now.
            let waiting: Vec<Procedure> = self
                .unplaced
                .iter()
                .filter_map(|id| self.seatless.get(id).cloned())
                .collect();
            for p in &waiting {
                dirty.extend(self.upsert_procedure(p, &mut recluster));
            }
        }
        for p in &changes.procedures {
            dirty.extend(self.upsert_procedure(p, &mut recluster));
        }
        for id in &changes.removed_procedures {
            self.unplaced.remove(id);
            self.seatless.remove(id);
            if let Some(old) = self.procedures.remove(id) {
                self.refresh_overview(*id);
                self.procedure_tree.remove(&ProcedureEntry::new(
                    Rectangle::from_aabb(aabb(&old.envelope)),
                    old.facts.id,
                ));
                dirty.push(DirtyRegion {
                    zooms: all_zooms.clone(),
                    envelope: old.envelope,
                    procedures: vec![old.facts.clone()],
                    categories: None,
                });
                // Its reports go with it.
                let reports: Vec<_> = self.reports_of(*id).map(|r| r.id).collect();
                for r in reports {
                    self.remove_report(r);
                }
                self.remove_hierarchy(*id);
            }
        }
        for r in &changes.reports {
            dirty.extend(self.upsert_report(r, &mut recluster));
        }
        for id in &changes.removed_reports {
            if let Some(old) = self.remove_report(*id) {
                recluster.insert(old.procedure);
                dirty.extend(self.report_region(&old));
            }
        }
        for procedure in recluster {
            dirty.extend(self.rebuild_hierarchy(procedure));
        }
        dirty
    }

    fn upsert_procedure(
        &mut self,
        p: &Procedure,
        recluster: &mut HashSet<ProcedureId>,
    ) -> Vec<DirtyRegion> {
        let mut dirty = Vec::new();
        let old = self.procedures.remove(&p.id);
        if let Some(old) = &old {
            self.procedure_tree.remove(&ProcedureEntry::new(
                Rectangle::from_aabb(aabb(&old.envelope)),
                old.facts.id,
            ));
        }
        self.unplaced.remove(&p.id);
        if p.area.is_none() {
            self.seatless.insert(p.id, p.clone());
        } else {
            self.seatless.remove(&p.id);
        }
        let new = self.index_procedure(p);
        let mut facts = Vec::new();
        let mut envelope = None;
        if let Some(old) = &old {
            facts.push(old.facts.clone());
            envelope = Some(old.envelope);
        }
        match new {
            Some(new) => {
                facts.push(new.facts.clone());
                envelope = Some(envelope.map_or(new.envelope, |e| union(e, new.envelope)));
                self.procedure_tree.insert(ProcedureEntry::new(
                    Rectangle::from_aabb(aabb(&new.envelope)),
                    new.facts.id,
                ));
                self.procedures.insert(new.facts.id, new);
            }
            None => {
                self.unplaced.insert(p.id);
            }
        }
        self.refresh_overview(p.id);
        recluster.insert(p.id);
        if let Some(envelope) = envelope {
            dirty.push(DirtyRegion {
                zooms: 0..MAX_ZOOM + 1,
                envelope,
                procedures: facts,
                categories: None,
            });
        }
        dirty
    }

    fn reports_of(&self, procedure: ProcedureId) -> impl Iterator<Item = &IndexedReport> + '_ {
        self.members
            .get(&procedure)
            .into_iter()
            .flatten()
            .filter_map(move |id| {
                let (at, _) = self.report_positions.get(id)?;
                self.report_tree
                    .locate_all_at_point(&[at.x, at.y])
                    .map(|e| &e.data)
                    .find(|r| r.id == *id)
            })
    }

    fn remove_report(&mut self, id: ReportId) -> Option<IndexedReport> {
        let (position, procedure) = self.report_positions.remove(&id)?;
        if let Some(members) = self.members.get_mut(&procedure) {
            members.remove(&id);
            if members.is_empty() {
                self.members.remove(&procedure);
            }
        }
        self.report_tree
            .remove_with_selection_function(SelectReport {
                at: [position.x, position.y],
                id,
            })
            .map(|e| e.data)
    }

    fn report_region(&self, r: &IndexedReport) -> Option<DirtyRegion> {
        let p = self.procedures.get(&r.procedure)?;
        Some(DirtyRegion {
            zooms: self.config.cluster_below_zoom..MAX_ZOOM + 1,
            envelope: point_envelope(r.position),
            procedures: vec![p.facts.clone()],
            categories: Some(vec![r.category.clone()]),
        })
    }

    fn upsert_report(
        &mut self,
        r: &Report,
        recluster: &mut HashSet<ProcedureId>,
    ) -> Vec<DirtyRegion> {
        let mut dirty = Vec::new();
        if let Some(old) = self.remove_report(r.id) {
            recluster.insert(old.procedure);
            dirty.extend(self.report_region(&old));
        }
        if let Some(entry) = self.index_report(r) {
            recluster.insert(entry.data.procedure);
            dirty.extend(self.report_region(&entry.data));
            self.report_positions
                .insert(r.id, (entry.data.position, entry.data.procedure));
            self.members
                .entry(entry.data.procedure)
                .or_default()
                .insert(r.id);
            self.report_tree.insert(entry);
        }
        dirty
    }

    fn remove_hierarchy(&mut self, procedure: ProcedureId) -> Option<Hierarchy> {
        let old = self.hierarchies.remove(&procedure)?;
        for (zoom, level) in old.levels.iter().enumerate() {
            if let Some(tree) = self.cluster_trees.get_mut(zoom) {
                for c in level {
                    tree.remove(&cluster_tree_entry(procedure, c));
                }
            }
        }
        Some(old)
    }

    /// Rebuilds one procedure's clusters; the dirty regions are where
    /// clusters went away or appeared, per zoom.
    fn rebuild_hierarchy(&mut self, procedure: ProcedureId) -> Vec<DirtyRegion> {
        let old = self.remove_hierarchy(procedure).unwrap_or_default();
        let reports: Vec<IndexedReport> = self.reports_of(procedure).cloned().collect();
        let new = self.hierarchy(procedure, reports.iter());
        if self.cluster_trees.len() < usize::from(self.config.cluster_below_zoom) {
            self.cluster_trees
                .resize_with(usize::from(self.config.cluster_below_zoom), RTree::new);
        }
        let mut dirty = Vec::new();
        let facts = self.procedures.get(&procedure).map(|p| p.facts.clone());
        for zoom in 0..usize::from(self.config.cluster_below_zoom) {
            let before = old.levels.get(zoom).map(Vec::as_slice).unwrap_or_default();
            let after = new.levels.get(zoom).map(Vec::as_slice).unwrap_or_default();
            let changed = before
                .iter()
                .filter(|c| !after.contains(c))
                .chain(after.iter().filter(|c| !before.contains(c)))
                .map(|c| point_envelope(c.position))
                .reduce(union);
            if let (Some(envelope), Some(facts)) = (changed, &facts) {
                dirty.push(DirtyRegion {
                    zooms: zoom as u8..zoom as u8 + 1,
                    envelope,
                    procedures: vec![facts.clone()],
                    categories: None,
                });
            }
            for c in after {
                self.cluster_trees[zoom].insert(cluster_tree_entry(procedure, c));
            }
        }
        if !new.levels.iter().all(Vec::is_empty) {
            self.hierarchies.insert(procedure, new);
        }
        dirty
    }
}

fn index_organisation(o: &Organisation) -> IndexedOrganisation {
    IndexedOrganisation {
        id: o.id,
        key: o.key.as_str().into(),
        name: o.name.as_str().into(),
        parent: o.parent,
        ancestors: Vec::new(),
        seat: o.seat.map(mercator::project_point),
        embed_origins: o.embed_origins.clone(),
    }
}

fn cluster_tree_entry(procedure: ProcedureId, c: &Arc<Cluster>) -> ClusterTreeEntry {
    ClusterTreeEntry::new(
        [c.position.x, c.position.y],
        ClusterEntry {
            procedure,
            cluster: c.clone(),
        },
    )
}

/// Selects one report in the tree by its position and id.
struct SelectReport {
    at: [f64; 2],
    id: ReportId,
}

impl rstar::SelectionFunction<ReportEntry> for SelectReport {
    fn should_unpack_parent(&self, envelope: &AABB<[f64; 2]>) -> bool {
        use rstar::Envelope as _;
        envelope.contains_point(&self.at)
    }

    fn should_unpack_leaf(&self, leaf: &ReportEntry) -> bool {
        leaf.data.id == self.id
    }
}

#[cfg(test)]
mod tests;
