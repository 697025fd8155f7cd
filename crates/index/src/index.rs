//! The index: procedures and public reports in Web Mercator, in R-trees.

use std::{collections::HashMap, sync::Arc};

use chrono::NaiveDate;
use geo::{BoundingRect, Coord, MultiPolygon, Point};
use partimap_model::{
    Area, Organisation, OrganisationId, Procedure, ProcedureId, ProcedureKind, ProcedureStatus,
    Report, ReportId, ReportStatus,
};
use rstar::{AABB, RTree, primitives::GeomWithData, primitives::Rectangle};

use crate::{
    Envelope,
    filter::{Filter, admits},
    mercator,
};

/// An organisation as the map needs it.
#[derive(Debug, Clone)]
pub struct IndexedOrganisation {
    pub id: OrganisationId,
    pub key: Arc<str>,
    pub name: Arc<str>,
    /// The parent, its parent, and so on up to the state.
    pub ancestors: Vec<OrganisationId>,
    /// The seat in Web Mercator.
    pub seat: Option<Point<f64>>,
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
    Polygons(MultiPolygon<f64>),
    Point(Point<f64>),
}

/// A procedure as the map needs it.
#[derive(Debug, Clone)]
pub struct IndexedProcedure {
    pub id: ProcedureId,
    pub organisation: OrganisationId,
    pub organisation_name: Arc<str>,
    pub title: String,
    pub kind: ProcedureKind,
    pub start: NaiveDate,
    pub end: Option<NaiveDate>,
    pub status_override: Option<ProcedureStatus>,
    pub url: String,
    pub shape: Shape,
    pub placement: Placement,
    pub envelope: Envelope,
}

impl IndexedProcedure {
    /// The status on `today` (same rule as [`Procedure::status`]).
    pub fn status(&self, today: NaiveDate) -> ProcedureStatus {
        if let Some(status) = self.status_override {
            status
        } else if today < self.start {
            ProcedureStatus::Upcoming
        } else if self.end.is_some_and(|end| today > end) {
            ProcedureStatus::Closed
        } else {
            ProcedureStatus::Running
        }
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

type ProcedureEntry = GeomWithData<Rectangle<[f64; 2]>, ProcedureId>;
type ReportEntry = GeomWithData<[f64; 2], IndexedReport>;

/// The in-memory index of everything the map shows.
#[derive(Debug, Default)]
pub struct Index {
    organisations: HashMap<OrganisationId, IndexedOrganisation>,
    procedures: HashMap<ProcedureId, IndexedProcedure>,
    procedure_tree: RTree<ProcedureEntry>,
    report_tree: RTree<ReportEntry>,
    /// Procedures that have neither a place nor an organisation seat.
    unplaced: usize,
}

fn aabb(e: &Envelope) -> AABB<[f64; 2]> {
    AABB::from_corners([e.min.x, e.min.y], [e.max.x, e.max.y])
}

impl Index {
    /// Builds the index from the store's contents. Reports that are not
    /// public, and reports of unknown procedures, are left out.
    pub fn build(
        organisations: &[Organisation],
        procedures: &[Procedure],
        reports: &[Report],
    ) -> Self {
        let parents: HashMap<_, _> = organisations.iter().map(|o| (o.id, o.parent)).collect();
        let organisations: HashMap<_, _> = organisations
            .iter()
            .map(|o| {
                let mut ancestors = Vec::new();
                let mut next = o.parent;
                // The length bound guards against a cycle in corrupt data.
                while let Some(parent) = next.filter(|_| ancestors.len() < parents.len()) {
                    ancestors.push(parent);
                    next = parents.get(&parent).copied().flatten();
                }
                let indexed = IndexedOrganisation {
                    id: o.id,
                    key: o.key.as_str().into(),
                    name: o.name.as_str().into(),
                    ancestors,
                    seat: o.seat.map(mercator::project_point),
                };
                (o.id, indexed)
            })
            .collect();
        let mut index = Self {
            organisations,
            ..Self::default()
        };
        let mut entries = Vec::with_capacity(procedures.len());
        for procedure in procedures {
            match index.index_procedure(procedure) {
                Some(p) => {
                    entries.push(ProcedureEntry::new(
                        Rectangle::from_aabb(aabb(&p.envelope)),
                        p.id,
                    ));
                    index.procedures.insert(p.id, p);
                }
                None => index.unplaced += 1,
            }
        }
        index.procedure_tree = RTree::bulk_load(entries);
        let mut categories: HashMap<&str, Arc<str>> = HashMap::new();
        let entries = reports
            .iter()
            .filter(|r| r.status.is_public() && index.procedures.contains_key(&r.procedure))
            .map(|r| {
                let category = categories
                    .entry(r.category.as_str())
                    .or_insert_with(|| r.category.as_str().into())
                    .clone();
                let position = mercator::project(r.location.0);
                ReportEntry::new(
                    [position.x, position.y],
                    IndexedReport {
                        id: r.id,
                        procedure: r.procedure,
                        category,
                        status: r.status,
                        position,
                    },
                )
            })
            .collect();
        index.report_tree = RTree::bulk_load(entries);
        index
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
            Shape::Point(point) => Envelope {
                min: point.0,
                max: point.0,
            },
        };
        Some(IndexedProcedure {
            id: p.id,
            organisation: p.organisation,
            organisation_name: organisation.name.clone(),
            title: p.title.clone(),
            kind: p.kind,
            start: p.start,
            end: p.end,
            status_override: p.status_override,
            url: p.url.clone(),
            shape,
            placement,
            envelope,
        })
    }

    pub fn organisation(&self, id: OrganisationId) -> Option<&IndexedOrganisation> {
        self.organisations.get(&id)
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
        (self.procedures.len(), self.unplaced)
    }

    /// How many public reports are on the map.
    pub fn report_count(&self) -> usize {
        self.report_tree.size()
    }

    /// Whether `procedure` passes the procedure part of `filter` on `today`.
    pub fn admits(&self, procedure: &IndexedProcedure, filter: &Filter, today: NaiveDate) -> bool {
        admits(&filter.kinds, &procedure.kind)
            && admits(&filter.procedures, &procedure.id)
            && (filter.organisations.is_empty()
                || filter.organisations.iter().any(|o| {
                    *o == procedure.organisation
                        || self
                            .organisations
                            .get(&procedure.organisation)
                            .is_some_and(|org| org.ancestors.contains(o))
                }))
            && admits(&filter.statuses, &procedure.status(today))
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
            .filter(move |r| {
                (filter.categories.is_empty()
                    || filter.categories.iter().any(|c| **c == *r.category))
                    && self
                        .procedures
                        .get(&r.procedure)
                        .is_some_and(|p| self.admits(p, filter, today))
            })
    }

    /// The envelope of everything `filter` admits, for a map to fit to.
    pub fn bounds(&self, filter: &Filter, today: NaiveDate) -> Option<Envelope> {
        self.procedures
            .values()
            .filter(|p| self.admits(p, filter, today))
            .map(|p| p.envelope)
            .reduce(|a, b| Envelope {
                min: Coord {
                    x: a.min.x.min(b.min.x),
                    y: a.min.y.min(b.min.y),
                },
                max: Coord {
                    x: a.max.x.max(b.max.x),
                    y: a.max.y.max(b.max.y),
                },
            })
    }
}

#[cfg(test)]
mod tests;
