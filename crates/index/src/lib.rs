//! The spatial index of partimap: everything a tile needs, in memory, in Web
//! Mercator, without I/O.
//!
//! - [`mercator`]: the projection from WGS84 to Web Mercator (EPSG:3857) and
//!   the envelope of a [`TileCoord`].
//! - [`filter`]: [`Filter`], the selection a map asks for (status, kind,
//!   organisation with its sub-organisations, procedure, category).
//! - [`index`]: [`Index`], two rstar R-trees — procedure bounding boxes and
//!   report points — over the projected data, queried by envelope and filter.
//!
//! Only public reports (published, in progress, resolved) enter the index,
//! and no report carries its reporter's contact: whatever is in the index may
//! be shown to anyone.

pub mod filter;
pub mod index;
pub mod mercator;

pub use filter::Filter;
pub use index::{Index, IndexedOrganisation, IndexedProcedure, IndexedReport, Placement, Shape};
pub use mercator::{Envelope, MAX_ZOOM, TileCoord, TileCoordError};
