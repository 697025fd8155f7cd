//! Hierarchical clusters of a procedure's reports, in the manner of
//! supercluster: built once from the deepest clustered zoom up to zoom 0,
//! each level merging what lies within a radius of a few dozen pixels at that
//! zoom. A cluster keeps its id on every zoom where it is not merged further,
//! and knows the zoom at which it splits, so clusters are stable as a map
//! zooms.
//!
//! Clusters are built per procedure. Every filter but `category` selects
//! whole procedures, so a filtered map shows whole hierarchies and the counts
//! of a tile's clusters always add up to its reports; a `category` filter
//! counts only the cluster's reports of those categories, which each cluster
//! keeps.

use std::sync::Arc;

use geo::Coord;
use partimap_model::{ReportId, ReportStatus};
use rstar::{RTree, primitives::GeomWithData};
use smallvec::{SmallVec, smallvec};

use crate::generalise::unit;

/// The cluster radius in tile units (40 pixels of a 512-pixel tile, as
/// supercluster's default).
pub const RADIUS_UNITS: f64 = 320.0;

/// The public report statuses, in the order of [`Cluster::statuses`].
pub const STATUSES: [ReportStatus; 3] = [
    ReportStatus::Published,
    ReportStatus::InProgress,
    ReportStatus::Resolved,
];

/// A report or a cluster of reports of one procedure.
#[derive(Debug, Clone, PartialEq)]
pub struct Cluster {
    /// For a single report its id; for a cluster an id unique in the layer.
    pub id: u64,
    /// Web Mercator metres; a cluster's is the centroid of its reports.
    pub position: Coord<f64>,
    pub count: u32,
    /// Reports per category: (category number of the index, count), sorted
    /// by category number. Kept inline up to four categories (a single
    /// report has one): a tile reads thousands of clusters, and a pointer
    /// to chase per cluster was a cache miss each.
    pub categories: SmallVec<[(u16, u32); 4]>,
    /// Reports per public status, indexed like [`STATUSES`].
    pub statuses: [u32; 3],
    /// The zoom at which this cluster falls apart (0 for a single report).
    pub split_zoom: u8,
}

impl Cluster {
    /// A single report.
    pub fn single(id: ReportId, position: Coord<f64>, category: u16, status: ReportStatus) -> Self {
        let mut statuses = [0; 3];
        if let Some(i) = STATUSES.iter().position(|s| *s == status) {
            statuses[i] = 1;
        }
        Self {
            id: id.0 as u64,
            position,
            count: 1,
            categories: smallvec![(category, 1)],
            statuses,
            split_zoom: 0,
        }
    }

    pub fn is_single(&self) -> bool {
        self.count == 1 && self.split_zoom == 0
    }

    /// How many of its reports are of one of `categories`.
    pub fn count_of(&self, categories: &[u16]) -> u32 {
        self.categories
            .iter()
            .filter(|(c, _)| categories.contains(c))
            .map(|(_, n)| n)
            .sum()
    }
}

/// The clusters of one procedure for each zoom `0..levels.len()`.
#[derive(Debug, Clone, Default)]
pub struct Hierarchy {
    pub levels: Vec<Vec<Arc<Cluster>>>,
}

/// The id of a cluster made at `zoom`: unique among clusters of all
/// procedures (procedure ids stay below 2^32, clusters per level below 2^27).
fn cluster_id(procedure: i64, zoom: u8, index: usize) -> u64 {
    ((procedure as u64) << 32) | (u64::from(zoom) << 27) | (index as u64 & ((1 << 27) - 1))
}

/// Builds the hierarchy of `reports` for the zooms below `max_zoom`.
pub fn build(procedure: i64, reports: Vec<Cluster>, max_zoom: u8) -> Hierarchy {
    let mut levels = vec![Vec::new(); usize::from(max_zoom)];
    let mut current: Vec<Arc<Cluster>> = reports.into_iter().map(Arc::new).collect();
    for zoom in (0..max_zoom).rev() {
        let radius = RADIUS_UNITS * unit(zoom);
        let tree = RTree::bulk_load(
            current
                .iter()
                .enumerate()
                .map(|(i, c)| GeomWithData::new([c.position.x, c.position.y], i))
                .collect(),
        );
        let mut taken = vec![false; current.len()];
        let mut next = Vec::new();
        for i in 0..current.len() {
            if taken[i] {
                continue;
            }
            taken[i] = true;
            let here = &current[i];
            let neighbours: Vec<usize> = tree
                .locate_within_distance([here.position.x, here.position.y], radius * radius)
                .map(|e| e.data)
                .filter(|j| !taken[*j])
                .collect();
            if neighbours.is_empty() {
                next.push(here.clone());
                continue;
            }
            let mut merged = Cluster {
                id: cluster_id(procedure, zoom, next.len()),
                position: Coord { x: 0.0, y: 0.0 },
                count: 0,
                categories: SmallVec::new(),
                statuses: [0; 3],
                split_zoom: zoom + 1,
            };
            let mut categories: SmallVec<[(u16, u32); 4]> = SmallVec::new();
            for j in std::iter::once(i).chain(neighbours) {
                taken[j] = true;
                let c = &current[j];
                for (category, n) in c.categories.iter() {
                    match categories.binary_search_by_key(category, |(k, _)| *k) {
                        Ok(at) => categories[at].1 += n,
                        Err(at) => categories.insert(at, (*category, *n)),
                    }
                }
                let w = f64::from(c.count);
                merged.position.x += c.position.x * w;
                merged.position.y += c.position.y * w;
                merged.count += c.count;
                for (sum, n) in merged.statuses.iter_mut().zip(c.statuses) {
                    *sum += n;
                }
            }
            merged.categories = categories;
            let n = f64::from(merged.count);
            merged.position = Coord {
                x: merged.position.x / n,
                y: merged.position.y / n,
            };
            next.push(Arc::new(merged));
        }
        levels[usize::from(zoom)] = next.clone();
        current = next;
    }
    Hierarchy { levels }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(i: i64, x: f64, y: f64, category: u16) -> Cluster {
        Cluster::single(
            ReportId(i),
            Coord { x, y },
            category,
            ReportStatus::Published,
        )
    }

    #[test]
    fn every_level_keeps_every_report_and_clusters_are_stable() {
        // Two groups 20 km apart, 50 reports each, within 100 m.
        let reports: Vec<_> = (0..100)
            .map(|i| {
                let base = if i < 50 { 0.0 } else { 20_000.0 };
                report(
                    i,
                    base + (i % 7) as f64 * 10.0,
                    (i % 11) as f64 * 10.0,
                    (i % 2) as u16,
                )
            })
            .collect();
        let h = build(9, reports, 14);
        for (zoom, level) in h.levels.iter().enumerate() {
            let total: u32 = level.iter().map(|c| c.count).sum();
            assert_eq!(total, 100, "zoom {zoom}");
            let by_category: u32 = level.iter().map(|c| c.count_of(&[1])).sum();
            assert_eq!(by_category, 50, "zoom {zoom}");
        }
        // At zoom 13 (the radius is 380 m) each group is one cluster; at
        // zoom 8 (radius 12 km) still two; at zoom 7 (24 km) one.
        assert_eq!(h.levels[13].len(), 2);
        assert_eq!(h.levels[8].len(), 2);
        assert_eq!(h.levels[7].len(), 1);
        assert_eq!(h.levels[7][0].split_zoom, 8);
        // A cluster that is not merged further keeps its id on coarser zooms.
        let ids13: Vec<_> = h.levels[13].iter().map(|c| c.id).collect();
        let ids8: Vec<_> = h.levels[8].iter().map(|c| c.id).collect();
        assert_eq!(ids13, ids8);
        assert!(
            h.levels[8]
                .iter()
                .all(|c| c.split_zoom == 14 && c.count == 50)
        );
    }
}
