//! The tile server's part of the OpenAPI document (`/openapi.json`, composed
//! by the binary): the routes of this crate, documented on their handlers.

/// The map's filter, taken by tiles, TileJSON, the style and the APIs that
/// show what the map shows. Values are comma-separated lists.
#[derive(Debug, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FilterParams {
    /// Procedure statuses: `running` (the default), `upcoming`, `closed`.
    pub status: Option<String>,
    /// Procedure kinds: `dialog`, `survey`, `event`, `formal_procedure`,
    /// `land_use_plan`, `reporting`.
    pub kind: Option<String>,
    /// Organisations by key or id, with their sub-organisations.
    pub organisation: Option<String>,
    /// Procedures by id (the map of one procedure, for embedding).
    pub procedure: Option<String>,
    /// Report categories by code.
    pub category: Option<String>,
    /// The time window's first day (`YYYY-MM-DD`): procedures whose end is
    /// not before it.
    pub from: Option<String>,
    /// The time window's last day (`YYYY-MM-DD`): procedures whose start is
    /// not after it.
    pub until: Option<String>,
}

/// The routes of the tile server.
#[derive(Debug, utoipa::OpenApi)]
#[openapi(
    paths(
        crate::endpoint::tile,
        crate::tilejson::tilejson,
        crate::tilejson::style,
        crate::procedures::list,
        crate::procedures::one,
        crate::procedures::organisations,
        crate::metrics::metrics,
        crate::pages::overview,
        crate::pages::embed,
    ),
    components(schemas(partimap_http::ProblemDoc, partimap_http::ProblemItem))
)]
pub struct TilesApi;
