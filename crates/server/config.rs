//! Typed configuration: defaults, overridden by a TOML file, overridden by
//! environment variables and flags (clap reads both; a flag wins over its
//! variable). Everything is checked when loaded, before anything starts.

use std::{net::SocketAddr, path::PathBuf};

use anyhow::Context;
use clap::{Args, ValueEnum};
use partimap_store::DatabaseUrl;
use serde::Deserialize;

/// The default address: loopback only, so that a first start exposes nothing.
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
/// The default tile cache budget in MiB.
pub const DEFAULT_TILE_CACHE_MB: usize = 256;
/// The default limit of citizens' reports per client address and hour.
pub const DEFAULT_REPORTS_PER_HOUR: u32 = 20;
/// The default data directory of the embedded store.
pub const DEFAULT_DATA_DIR: &str = "partimap-data";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Flags (and their environment variables) of `partimap serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// A TOML configuration file (keys: bind, database_url, data_dir,
    /// public_url, load_sample, log_format, tile_cache_mb, reports_per_hour,
    /// trust_forwarded_for, embed_origins, basemap_style, geocoder_url).
    #[arg(long, env = "PARTIMAP_CONFIG")]
    pub config: Option<PathBuf>,
    /// The address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "PARTIMAP_BIND")]
    pub bind: Option<SocketAddr>,
    /// The database: sqlite://PATH or postgres://… [default: the embedded
    /// store in the data directory].
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<DatabaseUrl>,
    /// Where the embedded store keeps its file [default: ./partimap-data].
    #[arg(long, env = "PARTIMAP_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// The public base URL used in TileJSON and the style (e.g. behind a
    /// proxy) [default: from the request's Host header].
    #[arg(long, env = "PARTIMAP_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// The tile cache's memory budget in MiB; 0 turns it off (for
    /// measurements) [default: 256].
    #[arg(long, env = "PARTIMAP_TILE_CACHE_MB")]
    pub tile_cache_mb: Option<usize>,
    /// Citizens' reports accepted per client address and hour; 0 turns the
    /// limit off [default: 20].
    #[arg(long, env = "PARTIMAP_REPORTS_PER_HOUR")]
    pub reports_per_hour: Option<u32>,
    /// Take the client's address from X-Forwarded-For (set this only
    /// behind a proxy that sets it) for the report rate limit.
    #[arg(long, env = "PARTIMAP_TRUST_FORWARDED_FOR")]
    pub trust_forwarded_for: bool,
    /// An origin (https://host[:port]) whose pages may frame every
    /// procedure's map, beside those its organisation names; repeatable.
    #[arg(long = "embed-origin", value_name = "ORIGIN")]
    pub embed_origins: Vec<String>,
    /// A basemap's MapLibre style (an http(s) URL, e.g. basemap.de's
    /// https://sgx.geodatenzentrum.de/gdz_basemapde_vektor/styles/bm_web_col.json),
    /// which the map pages draw below partimap's layers; the browser fetches
    /// it [default: none, a plain background with NRW's outline].
    #[arg(long, env = "PARTIMAP_BASEMAP_STYLE", value_name = "URL")]
    pub basemap_style: Option<String>,
    /// An address search for the defect reporter (an http(s) URL of a
    /// Nominatim-style search answering JSON or GeoJSON, e.g.
    /// https://nominatim.openstreetmap.org/search; `{query}` in it is
    /// replaced by the typed address, else `q=` is added), which the
    /// browser asks [default: none, place by map or coordinates only].
    #[arg(long, env = "PARTIMAP_GEOCODER_URL", value_name = "URL")]
    pub geocoder_url: Option<String>,
    /// Do not load the sample data into a new, empty store.
    #[arg(long)]
    pub no_sample: bool,
    /// The log format [default: text].
    #[arg(long, env = "PARTIMAP_LOG_FORMAT", value_enum)]
    pub log_format: Option<LogFormat>,
}

/// The configuration file. Unknown keys are an error: a misspelt key must
/// not be ignored silently.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    bind: Option<SocketAddr>,
    database_url: Option<String>,
    data_dir: Option<PathBuf>,
    public_url: Option<String>,
    load_sample: Option<bool>,
    log_format: Option<LogFormat>,
    tile_cache_mb: Option<usize>,
    reports_per_hour: Option<u32>,
    trust_forwarded_for: Option<bool>,
    embed_origins: Option<Vec<String>>,
    basemap_style: Option<String>,
    geocoder_url: Option<String>,
}

/// The checked configuration of `partimap serve`.
#[derive(Debug, Clone)]
pub struct Config {
    pub bind: SocketAddr,
    /// Printing it never shows a password.
    pub database: DatabaseUrl,
    pub public_url: Option<String>,
    pub load_sample: bool,
    pub log_format: LogFormat,
    pub tile_cache_mb: usize,
    pub reports_per_hour: u32,
    pub trust_forwarded_for: bool,
    /// Origins that may frame every procedure's map.
    pub embed_origins: Vec<String>,
    /// A basemap's style, named in `/style.json` for the pages.
    pub basemap_style: Option<url::Url>,
    /// An address search for the defect reporter, named in `/style.json`.
    pub geocoder_url: Option<url::Url>,
}

/// A basemap style's URL: absolute http(s), with a host, without
/// credentials (every browser reads it from `/style.json`) or whitespace.
fn basemap_style(text: &str) -> anyhow::Result<url::Url> {
    browser_url(
        text,
        "basemap style",
        "a MapLibre style, e.g. https://sgx.geodatenzentrum.de/gdz_basemapde_vektor/styles/bm_web_col.json",
    )
}

/// A geocoder's URL, checked as a basemap's.
fn geocoder_url(text: &str) -> anyhow::Result<url::Url> {
    browser_url(
        text,
        "geocoder URL",
        "a Nominatim-style search, e.g. https://nominatim.openstreetmap.org/search",
    )
}

/// A URL every browser of the pages fetches: absolute http(s), with a host,
/// without credentials or whitespace; `what` and `of` word the message.
fn browser_url(text: &str, what: &str, of: &str) -> anyhow::Result<url::Url> {
    let refused = || anyhow::anyhow!("{what} {text:?} must be an absolute http(s) URL of {of}");
    if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(refused());
    }
    let url = url::Url::parse(text).map_err(|_| refused())?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err(refused());
    }
    anyhow::ensure!(
        url.username().is_empty() && url.password().is_none(),
        "{what} {text:?} must not carry credentials: every browser reads it"
    );
    Ok(url)
}

impl Config {
    pub fn load(args: ServeArgs) -> anyhow::Result<Self> {
        let file = match &args.config {
            Some(path) => {
                let text = std::fs::read_to_string(path).with_context(|| {
                    format!("could not read the configuration file {}", path.display())
                })?;
                toml::from_str::<FileConfig>(&text)
                    .with_context(|| format!("invalid configuration file {}", path.display()))?
            }
            None => FileConfig::default(),
        };
        let file_database = file
            .database_url
            .as_deref()
            .map(str::parse::<DatabaseUrl>)
            .transpose()
            .map_err(|e| anyhow::anyhow!("database_url in the configuration file: {e}"))?;
        let data_dir = args
            .data_dir
            .or(file.data_dir)
            .unwrap_or_else(|| DEFAULT_DATA_DIR.into());
        let public_url = args.public_url.or(file.public_url);
        if let Some(url) = &public_url {
            anyhow::ensure!(
                (url.starts_with("http://") || url.starts_with("https://"))
                    && !url.contains(char::is_whitespace),
                "public URL {url:?} must be an absolute http(s) URL"
            );
        }
        let mut embed_origins = args.embed_origins;
        embed_origins.extend(file.embed_origins.unwrap_or_default());
        for origin in &embed_origins {
            anyhow::ensure!(
                partimap_model::is_origin(origin),
                "embed origin {origin:?} must be an origin: {}",
                partimap_model::ORIGIN_FORM
            );
        }
        let basemap_style = args
            .basemap_style
            .or(file.basemap_style)
            .as_deref()
            .map(basemap_style)
            .transpose()?;
        let geocoder_url = args
            .geocoder_url
            .or(file.geocoder_url)
            .as_deref()
            .map(geocoder_url)
            .transpose()?;
        let bind = match args.bind.or(file.bind) {
            Some(bind) => bind,
            None => DEFAULT_BIND.parse()?,
        };
        Ok(Self {
            bind,
            database: args
                .database_url
                .or(file_database)
                .unwrap_or_else(|| DatabaseUrl::embedded(data_dir)),
            public_url,
            load_sample: !args.no_sample && file.load_sample.unwrap_or(true),
            log_format: args
                .log_format
                .or(file.log_format)
                .unwrap_or(LogFormat::Text),
            tile_cache_mb: args
                .tile_cache_mb
                .or(file.tile_cache_mb)
                .unwrap_or(DEFAULT_TILE_CACHE_MB),
            reports_per_hour: args
                .reports_per_hour
                .or(file.reports_per_hour)
                .unwrap_or(DEFAULT_REPORTS_PER_HOUR),
            trust_forwarded_for: args.trust_forwarded_for
                || file.trust_forwarded_for.unwrap_or(false),
            embed_origins,
            basemap_style,
            geocoder_url,
        })
    }
}

/// Structured logs through `tracing` on stderr; `RUST_LOG` sets the levels.
pub fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    // Logs go to stderr: stdout carries what a command answers (a token,
    // an import's outcome).
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Test {
        #[command(flatten)]
        args: ServeArgs,
    }

    fn load(argv: &[&str]) -> anyhow::Result<Config> {
        Config::load(
            Test::try_parse_from(std::iter::once("partimap").chain(argv.iter().copied()))?.args,
        )
    }

    #[test]
    fn flags_override_the_file_which_overrides_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("partimap.toml");
        std::fs::write(
            &file,
            "bind = \"127.0.0.1:9000\"\ndata_dir = \"/var/lib/partimap\"\nload_sample = false\n",
        )
        .unwrap();
        let c = load(&["--config", file.to_str().unwrap()]).unwrap();
        assert_eq!(c.bind.to_string(), "127.0.0.1:9000");
        assert_eq!(
            c.database.to_string(),
            "sqlite:///var/lib/partimap/partimap.sqlite"
        );
        assert!(!c.load_sample);
        let c = load(&["--config", file.to_str().unwrap(), "--bind", "0.0.0.0:1234"]).unwrap();
        assert_eq!(c.bind.to_string(), "0.0.0.0:1234");
    }

    #[test]
    fn bad_configuration_says_what_is_wrong() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("partimap.toml");
        std::fs::write(&file, "bnd = \"127.0.0.1:9000\"\n").unwrap();
        let err = format!(
            "{:#}",
            load(&["--config", file.to_str().unwrap()]).unwrap_err()
        );
        assert!(err.contains("unknown field `bnd`"), "{err}");
        let err = load(&["--bind", "localhost"]).unwrap_err().to_string();
        assert!(
            err.contains("invalid value 'localhost' for '--bind"),
            "{err}"
        );
        let err = load(&["--database-url", "mysql://x"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("unsupported database URL"), "{err}");
        let err = load(&["--public-url", "karte.example"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("must be an absolute http(s) URL"), "{err}");
    }

    #[test]
    fn the_basemap_style_comes_from_the_file_or_the_flag_and_is_checked() {
        const BASEMAP_DE: &str =
            "https://sgx.geodatenzentrum.de/gdz_basemapde_vektor/styles/bm_web_col.json";
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("partimap.toml");
        std::fs::write(&file, format!("basemap_style = \"{BASEMAP_DE}\"\n")).unwrap();
        let c = load(&["--config", file.to_str().unwrap()]).unwrap();
        assert_eq!(c.basemap_style.unwrap().as_str(), BASEMAP_DE);
        let c = load(&[
            "--config",
            file.to_str().unwrap(),
            "--basemap-style",
            "http://localhost:8081/style.json",
        ])
        .unwrap();
        assert_eq!(
            c.basemap_style.unwrap().as_str(),
            "http://localhost:8081/style.json"
        );
        assert!(load(&[]).unwrap().basemap_style.is_none());
        for bad in [
            "sgx.geodatenzentrum.de/styles/bm_web_col.json",
            "/styles/bm_web_col.json",
            "file:///etc/style.json",
            "ftp://example.org/style.json",
            "https://",
            "https://example.org/a style.json",
            "",
        ] {
            let err = load(&["--basemap-style", bad]).unwrap_err().to_string();
            assert_eq!(
                err,
                format!(
                    "basemap style {bad:?} must be an absolute http(s) URL of a MapLibre style, \
                     e.g. https://sgx.geodatenzentrum.de/gdz_basemapde_vektor/styles/bm_web_col.json"
                ),
                "{bad}"
            );
        }
        let err = load(&[
            "--basemap-style",
            "https://user:secret@example.org/style.json",
        ])
        .unwrap_err()
        .to_string();
        assert!(err.contains("must not carry credentials"), "{err}");
    }

    #[test]
    fn the_geocoder_comes_from_the_file_or_the_flag_and_is_checked() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("partimap.toml");
        std::fs::write(
            &file,
            "geocoder_url = \"https://nominatim.openstreetmap.org/search\"\n",
        )
        .unwrap();
        let c = load(&["--config", file.to_str().unwrap()]).unwrap();
        assert_eq!(
            c.geocoder_url.unwrap().as_str(),
            "https://nominatim.openstreetmap.org/search"
        );
        let c = load(&[
            "--config",
            file.to_str().unwrap(),
            "--geocoder-url",
            "https://photon.example/api?q={query}&limit=5",
        ])
        .unwrap();
        assert!(
            c.geocoder_url
                .unwrap()
                .as_str()
                .starts_with("https://photon.example/api?q=")
        );
        assert!(load(&[]).unwrap().geocoder_url.is_none());
        for bad in ["nominatim.example/search", "javascript:alert(1)", ""] {
            let err = load(&["--geocoder-url", bad]).unwrap_err().to_string();
            assert_eq!(
                err,
                format!(
                    "geocoder URL {bad:?} must be an absolute http(s) URL of a Nominatim-style search, \
                     e.g. https://nominatim.openstreetmap.org/search"
                ),
                "{bad}"
            );
        }
        let err = load(&["--geocoder-url", "https://key:secret@geo.example/search"])
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "geocoder URL \"https://key:secret@geo.example/search\" must not carry credentials: every browser reads it"
        );
    }
}
