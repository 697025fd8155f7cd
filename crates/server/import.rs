//! `partimap import FILE`: the import of GIS staff from the command line,
//! against the configured store — the same reader, validation and answer as
//! `POST /api/v1/imports`, with a progress line (features/s, bytes read) on
//! stderr and the answer as JSON on stdout. Exit code 0 when committed (or a
//! clean dry run), 1 when features were rejected (nothing written).

use std::{
    io::{IsTerminal, Read, Write as _},
    path::PathBuf,
    time::{Duration, Instant},
};

use anyhow::Context;
use clap::Args;
use partimap_ingest::{
    crs::{self, Crs},
    import::{Decompress, Import, Layer, Mode, Options, Scope},
};

use crate::config::{Config, ServeArgs};

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// A GeoJSON FeatureCollection or text sequence (RFC 8142), optionally
    /// gzip-compressed; `-` reads stdin.
    pub file: PathBuf,
    /// procedures or reports.
    #[arg(long, value_parser = parse_layer)]
    pub layer: Layer,
    /// The file's CRS [default: its legacy crs member, else EPSG:4326].
    #[arg(long, value_parser = parse_crs)]
    pub crs: Option<Crs>,
    /// The key of the organisation whose data this is [default: each
    /// feature names its own].
    #[arg(long)]
    pub organisation: Option<String>,
    /// upsert, or replace (the organisation's procedures, or its imported
    /// reports, become the file's; citizens' reports stay).
    #[arg(long, default_value = "upsert", value_parser = parse_mode)]
    pub mode: Mode,
    /// Validate and count, write nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub common: ServeArgs,
}

fn parse_layer(s: &str) -> Result<Layer, String> {
    Layer::parse(s).ok_or_else(|| format!("unknown layer {s:?}; expected procedures or reports"))
}

fn parse_mode(s: &str) -> Result<Mode, String> {
    Mode::parse(s).ok_or_else(|| format!("unknown mode {s:?}; expected upsert or replace"))
}

fn parse_crs(s: &str) -> Result<Crs, String> {
    Crs::parse(s).ok_or_else(|| format!("unsupported CRS {s:?}; supported: {}", crs::SUPPORTED))
}

/// Progress on stderr: rewritten in place on a terminal, a line every few
/// seconds otherwise (logs).
struct Progress {
    started: Instant,
    last: Instant,
    every: Duration,
    terminal: bool,
    total: Option<u64>,
}

impl Progress {
    fn show(&mut self, features: usize, bytes: u64, done: bool) {
        if !done && self.last.elapsed() < self.every {
            return;
        }
        self.last = Instant::now();
        let seconds = self.started.elapsed().as_secs_f64().max(1e-3);
        let mb = bytes as f64 / 1e6;
        let of = self
            .total
            .map(|t| {
                format!(
                    " of {:.0} MB ({:.0} %)",
                    t as f64 / 1e6,
                    100.0 * bytes as f64 / t.max(1) as f64
                )
            })
            .unwrap_or_default();
        let line = format!(
            "{features} features, {mb:.0} MB read{of}, {:.0} features/s, {:.1} s",
            features as f64 / seconds,
            seconds
        );
        let mut err = std::io::stderr();
        let _ = if self.terminal {
            write!(err, "\r{line}\x1b[K{}", if done { "\n" } else { "" })
        } else {
            writeln!(err, "{line}")
        };
    }
}

pub async fn run(config: Config, args: ImportArgs) -> anyhow::Result<i32> {
    let store = crate::serve::open_store(&config).await?;
    let organisation = match &args.organisation {
        Some(key) => {
            let id = store
                .organisation_id_by_key(key)
                .await?
                .with_context(|| format!("unknown organisation {key:?}"))?;
            Some(Scope {
                id,
                key: key.clone(),
            })
        }
        None if args.mode == Mode::Replace => {
            anyhow::bail!("--mode replace needs --organisation (whose data the file replaces)")
        }
        None => None,
    };
    let (mut input, total): (Box<dyn Read + Send>, Option<u64>) = if args.file.as_os_str() == "-" {
        (Box::new(std::io::stdin()), None)
    } else {
        let file = std::fs::File::open(&args.file)
            .with_context(|| format!("cannot read {}", args.file.display()))?;
        let total = file.metadata().ok().map(|m| m.len());
        (Box::new(file), total)
    };
    let mut import = Import::begin(
        &store,
        Options {
            layer: args.layer,
            crs: args.crs,
            mode: args.mode,
            dry_run: args.dry_run,
            organisation,
        },
    )
    .await?;
    let terminal = std::io::stderr().is_terminal();
    let mut progress = Progress {
        started: Instant::now(),
        last: Instant::now(),
        every: if terminal {
            Duration::from_millis(200)
        } else {
            Duration::from_secs(5)
        },
        terminal,
        total,
    };
    let mut buffer = vec![0u8; 1 << 20];
    let mut plain = Decompress::new(false);
    let mut bytes = 0u64;
    loop {
        let n = input.read(&mut buffer).context("reading the file")?;
        if n == 0 {
            break;
        }
        bytes += n as u64;
        let piece = plain
            .feed(&buffer[..n])
            .context("the file is not valid gzip")?;
        import.push(&piece).await?;
        progress.show(import.features(), bytes, false);
    }
    let rest = plain.finish().context("the file is not valid gzip")?;
    import.push(&rest).await?;
    progress.show(import.features(), bytes, true);
    let outcome = import.finish().await?;
    store.close().await;
    for r in &outcome.rejections {
        let id =
            r.id.as_deref()
                .map(|i| format!(" ({i})"))
                .unwrap_or_default();
        for p in &r.problems {
            eprintln!(
                "feature {}{id} at line {}, column {}: {p}",
                r.index, r.line, r.column
            );
        }
    }
    if outcome.rejections_truncated {
        eprintln!("… {} rejected in all", outcome.rejected);
    }
    println!("{}", serde_json::to_string_pretty(&outcome)?);
    Ok(if outcome.rejected > 0 { 1 } else { 0 })
}
