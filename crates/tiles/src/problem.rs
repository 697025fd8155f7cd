//! Errors as RFC 7807 `application/problem+json`: [`partimap_http`], shared
//! with the ingestion service.

pub use partimap_http::{HttpError, not_found};
