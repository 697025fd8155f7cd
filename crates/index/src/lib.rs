//! The spatial index of partimap: everything a tile needs, in memory, in Web
//! Mercator, without I/O.
//!
//! - [`mercator`]: the projection from WGS84 to Web Mercator (EPSG:3857) and
//!   the envelope of a [`TileCoord`].
//! - [`filter`]: [`Filter`], the selection a map asks for (status, kind,
//!   organisation with its sub-organisations, procedure, category).
//! - [`generalise`]: procedure areas simplified per zoom (tiny ones become
//!   points), computed once when a procedure enters the index, and
//! - [`grid`]: snapped to each zoom's tile grid (cleaned and oriented as
//!   MVT wants), so that a tile only translates what lies inside it.
//! - [`cluster`]: hierarchical clusters of each procedure's reports for the
//!   zooms below 14, supercluster-style, with counts per category and status.
//! - [`index`]: [`Index`], rstar R-trees — procedure bounding boxes, report
//!   points, and clusters per zoom — over the projected data, queried by
//!   envelope and filter; built in bulk, then changed in place by
//!   [`Changes`], each batch returning the [`DirtyRegion`]s it touched.
//! - [`overview`]: per overview zoom, every procedure's drawing inline and
//!   in id order ([`OverviewSlab`]), kept by the index beside the trees, so
//!   that a tile holding thousands of procedures reads one array.
//!
//! Only public reports (published, in progress, resolved) enter the index,
//! and no report carries its reporter's contact: whatever is in the index may
//! be shown to anyone.

pub mod cluster;
pub mod filter;
pub mod generalise;
pub mod grid;
pub mod index;
pub mod mercator;
pub mod overview;

pub use cluster::Cluster;
pub use filter::Filter;
pub use grid::{GridPolygons, GridShape};
pub use index::{
    DirtyRegion, Index, IndexConfig, IndexedOrganisation, IndexedProcedure, IndexedReport,
    Placement, ProcedureFacts, Shape,
};
pub use mercator::{Envelope, MAX_ZOOM, TileCoord, TileCoordError};
pub use overview::{OVERVIEW_ZOOMS, OverviewEntry, OverviewGeometry, OverviewSlab};
/// The batches [`Index::apply`] takes (defined in the model, where the
/// store's change feed makes them too).
pub use partimap_model::Changes;
