//! Operations endpoints: `/healthz` (the process answers) and `/readyz` (it
//! can serve: the index is built and the database answers).

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
        .route("/healthz", get(|| async { Json(json!({"status": "ok"})) }))
        .route("/readyz", get(readyz))
        .with_state(state)
}

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
