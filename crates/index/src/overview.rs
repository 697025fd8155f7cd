//! Overview slabs: per overview zoom (below [`OVERVIEW_ZOOMS`]), what a
//! tile draws of every placed procedure, inline, in id order, with the MVT
//! commands of every zoom's areas in one buffer.
//!
//! Why: an overview tile holds thousands of procedures (the shared
//! workload's zoom-6 tile: 3,000), and reaching each through the procedure
//! tree, the procedure map, its vector of shapes and the shape's own
//! command buffer was four dependent cache misses per procedure — perf put
//! two thirds of the zoom-6 render's own time on them. A slab is read front
//! to back: no tree, no map, no sort (it is in id order, the order a tile's
//! features are in), and the commands of neighbouring entries lie side by
//! side. Deeper zooms, whose tiles hold few procedures and all their
//! details, read the procedures themselves.
//!
//! The slabs are derived data: [`crate::Index`] rebuilds a procedure's
//! entries whenever it changes the procedure, so that they always say what
//! the procedure's own shapes say.

use chrono::NaiveDate;
use partimap_model::{ProcedureId, ProcedureKind, ProcedureStatus};

use crate::{
    Shape,
    grid::GridShape,
    index::{IndexedProcedure, Placement},
};

/// Zooms `0..OVERVIEW_ZOOMS` have slabs.
pub const OVERVIEW_ZOOMS: u8 = 10;

/// What an overview tile draws of a procedure.
#[derive(Debug, Clone, PartialEq)]
pub enum OverviewGeometry {
    /// A procedure that is a point at every zoom (a place, or its
    /// organisation's seat), in Web Mercator metres.
    Point(geo::Coord<f64>),
    /// An area drawn as a point at this zoom, on the zoom's grid.
    GridPoint([i32; 2]),
    /// An area's polygons on the zoom's grid: their bounding box, their
    /// first vertex and where their commands lie in the slab's buffer (see
    /// [`crate::grid::GridPolygons::commands`]).
    Polygons {
        min: [i32; 2],
        max: [i32; 2],
        first: [i32; 2],
        commands: (u32, u32),
    },
}

/// One procedure at one overview zoom: what filters and styling read, and
/// what is drawn.
#[derive(Debug, Clone, PartialEq)]
pub struct OverviewEntry {
    pub id: ProcedureId,
    pub kind: ProcedureKind,
    pub placement: Placement,
    pub start: NaiveDate,
    pub end: Option<NaiveDate>,
    pub status_override: Option<ProcedureStatus>,
    pub geometry: OverviewGeometry,
}

impl OverviewEntry {
    /// The status on `today` (the rule of [`crate::ProcedureFacts::status`]).
    pub fn status(&self, today: NaiveDate) -> ProcedureStatus {
        ProcedureStatus::on(today, self.start, self.end, self.status_override)
    }
}

/// The entries of one zoom, in id order, and their commands.
#[derive(Debug, Default, Clone)]
pub struct OverviewSlab {
    zoom: u8,
    entries: Vec<OverviewEntry>,
    commands: Vec<u8>,
    /// Bytes of `commands` no entry refers to any more.
    garbage: usize,
}

impl OverviewSlab {
    /// The slab of `zoom` over `procedures`, which come in id order.
    pub(crate) fn build<'a>(
        zoom: u8,
        procedures: impl Iterator<Item = &'a IndexedProcedure>,
    ) -> Self {
        let mut slab = Self {
            zoom,
            ..Self::default()
        };
        for p in procedures {
            if let Some(e) = slab.entry(p) {
                slab.entries.push(e);
            }
        }
        slab
    }

    /// The zoom it is of.
    pub fn zoom(&self) -> u8 {
        self.zoom
    }

    /// The entries, in id order.
    pub fn entries(&self) -> &[OverviewEntry] {
        &self.entries
    }

    /// The MVT commands of an entry's polygons (empty for a point).
    pub fn commands(&self, e: &OverviewEntry) -> &[u8] {
        match e.geometry {
            OverviewGeometry::Polygons {
                commands: (start, len),
                ..
            } => &self.commands[start as usize..(start + len) as usize],
            _ => &[],
        }
    }

    /// `p`'s entry at this zoom, its commands appended to the buffer; `None`
    /// where nothing of it is drawn at this zoom.
    fn entry(&mut self, p: &IndexedProcedure) -> Option<OverviewEntry> {
        let geometry = match (p.grid_at(self.zoom), &*p.shape) {
            (Some(GridShape::Point(g)), _) => OverviewGeometry::GridPoint(*g),
            (Some(GridShape::Polygons(g)), _) => {
                if g.is_empty() {
                    return None;
                }
                let start = self.commands.len() as u32;
                self.commands.extend_from_slice(&g.commands);
                OverviewGeometry::Polygons {
                    min: g.min,
                    max: g.max,
                    first: g.first,
                    commands: (start, g.commands.len() as u32),
                }
            }
            (None, Shape::Point(point)) => OverviewGeometry::Point(point.0),
            // Every area has a grid shape at every overview zoom.
            (None, Shape::Polygons(_)) => return None,
        };
        Some(OverviewEntry {
            id: p.facts.id,
            kind: p.facts.kind,
            placement: p.placement,
            start: p.facts.start,
            end: p.facts.end,
            status_override: p.facts.status_override,
            geometry,
        })
    }

    /// Drops `id`'s entry, if it has one.
    pub(crate) fn remove(&mut self, id: ProcedureId) {
        if let Ok(i) = self.entries.binary_search_by_key(&id, |e| e.id) {
            let old = self.entries.remove(i);
            if let OverviewGeometry::Polygons {
                commands: (_, len), ..
            } = old.geometry
            {
                self.garbage += len as usize;
            }
            self.compact_if_wasteful();
        }
    }

    /// Replaces `p`'s entry (or adds it).
    pub(crate) fn upsert(&mut self, p: &IndexedProcedure) {
        self.remove(p.facts.id);
        if let Some(e) = self.entry(p) {
            let i = self.entries.partition_point(|x| x.id < e.id);
            self.entries.insert(i, e);
        }
    }

    /// Rewrites the buffer once more than half of it is garbage, so that it
    /// stays in entry order and within twice what the entries need.
    fn compact_if_wasteful(&mut self) {
        if self.garbage * 2 <= self.commands.len() {
            return;
        }
        let mut commands = Vec::with_capacity(self.commands.len() - self.garbage);
        for e in &mut self.entries {
            if let OverviewGeometry::Polygons {
                commands: (start, len),
                ..
            } = &mut e.geometry
            {
                let from = *start as usize..(*start + *len) as usize;
                *start = commands.len() as u32;
                commands.extend_from_slice(&self.commands[from]);
            }
        }
        self.commands = commands;
        self.garbage = 0;
    }

    /// The entries with their commands, independent of where in the buffer
    /// they lie (for comparing an index changed in place with a fresh one).
    pub fn contents(&self) -> Vec<(OverviewEntry, &[u8])> {
        self.entries
            .iter()
            .map(|e| {
                let mut plain = e.clone();
                if let OverviewGeometry::Polygons { commands, .. } = &mut plain.geometry {
                    *commands = (0, 0);
                }
                (plain, self.commands(e))
            })
            .collect()
    }
}
