//! `partimap token create`: a bearer token for writes (imports), scoped to
//! one organisation or, with `--admin`, to all. The token is printed once;
//! the store keeps only its hash.

use anyhow::Context;
use clap::{Args, Subcommand};
use partimap_ingest::tokens;

use crate::config::{Config, ServeArgs};

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token and print it (once).
    Create(CreateArgs),
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The key of the organisation the token imports for (e.g.
    /// stadt-siegen).
    #[arg(long, required_unless_present = "admin", conflicts_with = "admin")]
    pub organisation: Option<String>,
    /// A token for every organisation.
    #[arg(long)]
    pub admin: bool,
    /// What the token is for, kept with it.
    #[arg(long, default_value = "")]
    pub label: String,
    #[command(flatten)]
    pub common: ServeArgs,
}

pub async fn run(config: Config, command: TokenCommand) -> anyhow::Result<()> {
    let TokenCommand::Create(args) = command;
    let store = crate::serve::open_store(&config).await?;
    let organisation = match &args.organisation {
        Some(key) => {
            let id = store
                .organisation_id_by_key(key)
                .await?
                .with_context(|| format!("unknown organisation {key:?}"))?;
            Some(id)
        }
        None => None,
    };
    let token = tokens::generate().context("no randomness for a token")?;
    let id = store
        .create_token(&tokens::hash(&token), organisation, &args.label)
        .await
        .context("could not store the token")?;
    store.close().await;
    let scope = args
        .organisation
        .as_deref()
        .unwrap_or("every organisation (admin)");
    eprintln!("token {id} for {scope}; it is shown only now:");
    println!("{token}");
    Ok(())
}
