//! Operations endpoints: `/healthz` (the process answers) and `/readyz` (it
//! can serve: the index is built and the database answers), and
//! `/openapi.json`, the OpenAPI document of every route.

use axum::{Json, Router, extract::State, http::StatusCode, response::IntoResponse, routing::get};
use partimap_store::Store;
use partimap_tiles::TilesState;
use serde_json::json;

#[derive(Debug, Clone)]
pub struct OpsState {
    pub store: Store,
    pub tiles: TilesState,
}

pub fn router(state: OpsState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/openapi.json", get(openapi))
        .with_state(state)
}

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "{\"status\": \"ok\"}", content_type = "application/json", body = Object)))]
async fn healthz() -> impl IntoResponse {
    Json(json!({"status": "ok"}))
}

/// The OpenAPI document of every route, composed from the annotations on
/// the handlers of each crate.
#[derive(Debug, utoipa::OpenApi)]
#[openapi(
    info(
        title = "partimap",
        description = "Vector tiles, imports and participation APIs of a state-wide citizen-participation map. Errors are RFC 7807 application/problem+json (Open311 answers its own error list).",
    ),
    paths(healthz, readyz, openapi),
    modifiers(&BearerTokens),
    tags(
        (name = "tiles", description = "Vector tiles, TileJSON and the MapLibre style"),
        (name = "procedures", description = "What the map shows of procedures"),
        (name = "imports", description = "GeoJSON imports of GIS staff"),
        (name = "reports", description = "Citizens' reports in defect reporters"),
        (name = "moderation", description = "Moderators' decisions and the audit log"),
        (name = "open311", description = "Open311 GeoReport v2"),
        (name = "ogc", description = "OGC API – Features"),
        (name = "operations", description = "Health, readiness, metrics"),
        (name = "pages", description = "The map pages"),
    )
)]
pub struct ApiDoc;

/// The bearer tokens of `partimap token create`.
struct BearerTokens;

impl utoipa::Modify for BearerTokens {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme(
                "bearer",
                SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
            );
    }
}

/// The whole document: this crate's routes and every library crate's.
pub fn document() -> utoipa::openapi::OpenApi {
    use utoipa::OpenApi;
    let mut doc = ApiDoc::openapi();
    doc.merge(partimap_tiles::openapi::TilesApi::openapi());
    doc.merge(partimap_ingest::reports::IngestApi::openapi());
    doc.merge(partimap_features::FeaturesApi::openapi());
    doc
}

/// This document.
#[utoipa::path(get, path = "/openapi.json", tag = "operations",
    responses((status = 200, description = "OpenAPI 3.1", content_type = "application/json", body = Object)))]
async fn openapi() -> impl IntoResponse {
    Json(document())
}

/// Readiness: the index is built and the database answers (503 while it
/// is away; tiles are still served from the index).
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses((status = 200, description = "Ready, with the index's counts", content_type = "application/json", body = Object),
              (status = 503, description = "The database is down", content_type = "application/json", body = Object)))]
async fn readyz(State(state): State<OpsState>) -> impl IntoResponse {
    let (procedures, reports) = {
        let index = state.tiles.index();
        (index.procedure_counts().0, index.report_count())
    };
    match state.store.ping().await {
        Ok(()) => (
            StatusCode::OK,
            Json(
                json!({"status": "ready", "database": "up", "procedures": procedures, "reports": reports}),
            ),
        ),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check: database down");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(
                    json!({"status": "not ready", "database": "down", "procedures": procedures, "reports": reports}),
                ),
            )
        }
    }
}
