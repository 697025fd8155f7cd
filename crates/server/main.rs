//! `partimap`: the binary. It parses the command line, loads the
//! configuration, wires the library crates together and runs them.
//!
//! - `config`: typed configuration from file, environment and flags.
//! - `serve`: `partimap serve` — open the store, load the sample data into a
//!   new one, build the index, serve tiles and pages until SIGTERM.
//! - `follow`: the change feed — every committed change reaches the index
//!   and the tile cache.
//! - `ops`: `/healthz` and `/readyz`.
//! - `seed`: `partimap seed` — write a tile pyramid to a PMTiles archive.
//! - `token`: `partimap token create` — bearer tokens for imports.
//! - `import`: `partimap import FILE` — GeoJSON into the store, with
//!   progress, the same answer as the HTTP import.

mod config;
mod follow;
mod import;
mod ops;
mod seed;
mod serve;
mod token;

use clap::{Parser, Subcommand};

/// mimalloc instead of glibc's allocator: an import allocates and frees a
/// few small buffers per feature (texts, the feature's bytes), which took a
/// sixth of its CPU under glibc (measured with perf on the shared workload).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Vector tiles, imports and participation APIs for a state-wide
/// citizen-participation map.
#[derive(Debug, Parser)]
#[command(name = "partimap", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the map: tiles, TileJSON, style and the overview page.
    Serve(config::ServeArgs),
    /// Write a zoom range of a bounding box to a PMTiles archive.
    Seed(seed::SeedArgs),
    /// Import GeoJSON (procedures or reports) into the store.
    Import(import::ImportArgs),
    /// Bearer tokens for imports.
    #[command(subcommand)]
    Token(token::TokenCommand),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => {
            let config = config::Config::load(args)?;
            config::init_logging(config.log_format);
            serve::run(config).await
        }
        Command::Seed(args) => {
            let config = config::Config::load(args.common.clone())?;
            config::init_logging(config.log_format);
            seed::run(config, args).await
        }
        Command::Import(args) => {
            let config = config::Config::load(args.common.clone())?;
            config::init_logging(config.log_format);
            let code = import::run(config, args).await?;
            if code != 0 {
                std::process::exit(code);
            }
            Ok(())
        }
        Command::Token(command) => {
            let token::TokenCommand::Create(args) = &command;
            let config = config::Config::load(args.common.clone())?;
            config::init_logging(config.log_format);
            token::run(config, command).await
        }
    }
}
