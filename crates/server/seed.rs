//! `partimap seed`: the tiles of a bounding box and zoom range, written to a
//! PMTiles archive for static hosting.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use partimap_tiles::{
    params,
    seed::{SeedOptions, seed},
    tilejson,
};

use crate::{
    config::{Config, ServeArgs},
    serve::open_and_index,
};

#[derive(Debug, Args)]
pub struct SeedArgs {
    /// The archive to write.
    #[arg(long, default_value = "tiles/nrw.pmtiles")]
    pub output: PathBuf,
    /// West,south,east,north in degrees [default: North Rhine-Westphalia].
    #[arg(long, value_parser = parse_bounds)]
    pub bounds: Option<[f64; 4]>,
    #[arg(long, default_value_t = 5)]
    pub min_zoom: u8,
    #[arg(long, default_value_t = 14)]
    pub max_zoom: u8,
    /// A filter as in tile URLs, e.g. "procedure=45" or "kind=reporting".
    #[arg(long)]
    pub filter: Option<String>,
    #[command(flatten)]
    pub common: ServeArgs,
}

fn parse_bounds(s: &str) -> Result<[f64; 4], String> {
    params::four_numbers(s)
        .ok_or_else(|| format!("bounds {s:?} must be four numbers: west,south,east,north"))
}

pub async fn run(config: Config, args: SeedArgs) -> anyhow::Result<()> {
    let (store, index, _) = open_and_index(&config).await?;
    store.close().await;
    let filter = params::parse(args.filter.as_deref(), &index)
        .map_err(|e| anyhow::anyhow!("--filter: {}", e.detail))?;
    let options = SeedOptions {
        bounds: args.bounds.unwrap_or(tilejson::NRW_BOUNDS),
        min_zoom: args.min_zoom,
        max_zoom: args.max_zoom,
        filter,
        today: chrono::Utc::now().date_naive(),
    };
    let metadata = serde_json::json!({
        "name": "partimap",
        "format": "pbf",
        "vector_layers": tilejson::field_descriptions(index.config().cluster_below_zoom),
    });
    let output = args.output.clone();
    let started = std::time::Instant::now();
    let summary = tokio::task::spawn_blocking(move || {
        seed(&index, &options, &output, &metadata, |zoom, tiles| {
            tracing::info!(zoom, tiles, "seeded zoom");
        })
    })
    .await?
    .with_context(|| format!("could not seed {}", args.output.display()))?;
    tracing::info!(
        tiles = summary.tiles,
        empty = summary.empty,
        bytes = summary.bytes,
        seconds = started.elapsed().as_secs_f64(),
        output = %args.output.display(),
        "seeded"
    );
    Ok(())
}
