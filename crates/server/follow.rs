//! Following the store: every committed change, made by this process or by
//! any other on the same database, reaches this process's index and tile
//! cache.
//!
//! The follower reads the change sequence from the last number it applied
//! whenever the store announces a commit ([`Store::watch_changes`]: in
//! process for the embedded store, `LISTEN` for PostGIS) and at least every
//! [`POLL`], so a notification lost while the database was away is caught up
//! from the sequence. A batch larger than [`MAX_IN_PLACE`] rows (a big
//! import) is not applied row by row: a fresh snapshot replaces the index.

use std::time::Duration;

use anyhow::Context;
use partimap_index::{Index, IndexConfig};
use partimap_store::{ChangeFeed, Store};
use partimap_tiles::TilesState;

/// The longest a change waits for this process when a notification is lost.
pub const POLL: Duration = Duration::from_secs(1);
/// Beyond this many changed rows, building a new index from a snapshot is
/// cheaper than applying them in place.
pub const MAX_IN_PLACE: usize = 50_000;

/// Reads a snapshot and builds the index from it, with the change sequence
/// number it stands at. The procedures (their areas generalised for every
/// zoom, on every core) are indexed while the reports are still being read;
/// the reports are indexed once they are all there. Seconds for a million
/// reports; the work happens off the async threads.
pub async fn read_and_index(store: &Store) -> anyhow::Result<(Index, i64)> {
    let started = std::time::Instant::now();
    let mut procedures = None;
    let snapshot = store
        .snapshot_with(|organisations, list| {
            let (organisations, list) = (organisations.to_vec(), list.to_vec());
            procedures = Some(tokio::task::spawn_blocking(move || {
                Index::with_procedures(IndexConfig::default(), &organisations, &list)
            }));
        })
        .await
        .context("could not read the store")?;
    let read = started.elapsed();
    let mut index = match procedures {
        Some(task) => task.await.context("indexing the procedures")?,
        None => Index::default(),
    };
    let seq = snapshot.seq;
    let index = tokio::task::spawn_blocking(move || {
        index.load_reports(&snapshot.reports);
        index
    })
    .await
    .context("indexing the reports")?;
    let (procedures, unplaced) = index.procedure_counts();
    tracing::info!(
        procedures,
        unplaced,
        reports = index.report_count(),
        seq,
        read_ms = read.as_millis() as u64,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "index built"
    );
    Ok((index, seq))
}

/// Follows the store from change `seq` on, until the runtime stops.
pub fn spawn(store: Store, tiles: TilesState, seq: i64) -> tokio::task::JoinHandle<()> {
    tokio::spawn(run(store, tiles, seq))
}

async fn run(store: Store, tiles: TilesState, mut seq: i64) {
    let mut heard = store.watch_changes();
    let mut failing = false;
    loop {
        match step(&store, &tiles, seq).await {
            Ok(next) => {
                if failing {
                    tracing::info!(
                        seq = next,
                        "change feed: the database answers again, caught up"
                    );
                }
                failing = false;
                seq = next;
            }
            Err(e) => {
                // Said once per outage, not once per second.
                if !failing {
                    tracing::warn!(error = %format!("{e:#}"), seq, "change feed: cannot read changes; tiles are served from the index as it is");
                }
                failing = true;
            }
        }
        tokio::select! {
            changed = heard.changed() => {
                if changed.is_err() {
                    return;
                }
            }
            () = tokio::time::sleep(POLL) => {}
        }
    }
}

/// Applies what changed after `seq`; the sequence number now reflected.
async fn step(store: &Store, tiles: &TilesState, seq: i64) -> anyhow::Result<i64> {
    match store.read_changes(seq, MAX_IN_PLACE).await? {
        ChangeFeed::UpToDate => Ok(seq),
        ChangeFeed::Changes(set) => {
            let next = set.seq;
            let changes = set.changes;
            let rows = changes.len();
            let tiles = tiles.clone();
            let dropped = tokio::task::spawn_blocking(move || tiles.apply(&changes))
                .await
                .context("applying changes to the index")?;
            tracing::info!(
                seq = next,
                rows,
                tiles_dropped = dropped,
                "change feed: applied"
            );
            Ok(next)
        }
        ChangeFeed::TooMany { .. } => {
            let (index, next) = read_and_index(store).await?;
            let dropped = tiles.replace(index);
            tracing::info!(
                seq = next,
                tiles_dropped = dropped,
                "change feed: index replaced from a new snapshot"
            );
            Ok(next)
        }
    }
}
