//! `partimap serve`.

use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use partimap_index::Index;
use partimap_ingest::ratelimit::{Limit, RateLimiter};
use partimap_store::Store;
use partimap_tiles::TilesState;
use tower_http::trace::TraceLayer;

use crate::{config::Config, follow, ops};

/// Composes every router of the service.
pub fn app(store: Store, tiles: TilesState, config: &Config) -> Router {
    let reports = partimap_ingest::reports::ReportsState {
        store: store.clone(),
        limiter: Arc::new(RateLimiter::new(Limit::per_hour(config.reports_per_hour))),
        trust_forwarded_for: config.trust_forwarded_for,
        public_url: config.public_url.clone(),
    };
    Router::new()
        .merge(partimap_tiles::router(tiles.clone()))
        .merge(partimap_ingest::endpoint::router(
            partimap_ingest::endpoint::ImportState {
                store: store.clone(),
            },
        ))
        .merge(partimap_ingest::reports::router(reports.clone()))
        .merge(partimap_ingest::open311::router(reports))
        .merge(partimap_features::router(
            partimap_features::FeaturesState {
                store: store.clone(),
                tiles: tiles.clone(),
            },
        ))
        .merge(ops::router(ops::OpsState { store, tiles }))
        .fallback(partimap_tiles::problem::not_found)
        .layer(TraceLayer::new_for_http())
}

/// Opens the store, loading the sample data into a new one unless told not
/// to.
pub async fn open_store(config: &Config) -> anyhow::Result<Store> {
    let store = Store::open(&config.database)
        .await
        .with_context(|| format!("could not open the store {}", config.database))?;
    if config.load_sample
        && let Some(summary) = partimap_ingest::sample::load_if_empty(&store)
            .await
            .context("could not load the sample data")?
    {
        tracing::info!(?summary, "loaded the sample data into the new store");
    }
    Ok(store)
}

/// Opens the store (see [`open_store`]) and builds the index from it; the
/// change sequence number it reflects.
pub async fn open_and_index(config: &Config) -> anyhow::Result<(Store, Index, i64)> {
    let store = open_store(config).await?;
    let (index, seq) = follow::read_and_index(&store).await?;
    Ok((store, index, seq))
}

pub async fn run(config: Config) -> anyhow::Result<()> {
    tracing::info!(database = %config.database, bind = %config.bind, "starting");
    let (store, index, seq) = open_and_index(&config).await?;
    let tiles = TilesState::new(
        index,
        config.public_url.clone(),
        config.tile_cache_mb * 1024 * 1024,
    )
    .with_embed_origins(config.embed_origins.clone())
    .with_basemap_style(config.basemap_style.clone())
    .with_geocoder(config.geocoder_url.clone());
    let follower = follow::spawn(store.clone(), tiles.clone(), seq);
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .with_context(|| format!("could not listen on {}", config.bind))?;
    let address = listener.local_addr()?;
    tracing::info!("the overview map is at http://{address}/");
    // With the peer's address: the report rate limit is per client.
    let service = app(store.clone(), tiles, &config)
        .into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, service)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    // The follower borrows connections; stopped first, the pool closes at
    // once.
    follower.abort();
    let _ = follower.await;
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on SIGTERM or Ctrl-C: running requests are finished, new
/// connections are refused.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "could not listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "could not listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("Ctrl-C received, shutting down"),
        () = terminate => tracing::info!("SIGTERM received, shutting down"),
    }
}
