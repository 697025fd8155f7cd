//! Test support: an empty PostGIS database per test.
//!
//! `scripts/test.sh` starts a throwaway cluster (`scripts/postgis.sh`) and
//! exports its admin URL as `PARTIMAP_TEST_POSTGRES`; each call here copies
//! the cluster's `partimap_template` (PostGIS installed) into a new database.
//! Without the variable a PostGIS test says that it skips — unless
//! `PARTIMAP_REQUIRE_POSTGRES` is set (the test command sets it), when it
//! fails: no PostGIS test is skipped silently in CI.

use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::{Connection, PgConnection};

use crate::DatabaseUrl;

/// The admin URL of the test cluster.
pub const ADMIN_URL_VARIABLE: &str = "PARTIMAP_TEST_POSTGRES";
/// Set: a PostGIS test without a cluster fails instead of skipping.
pub const REQUIRE_VARIABLE: &str = "PARTIMAP_REQUIRE_POSTGRES";

/// A new empty database with PostGIS for one test, or `None` (after saying
/// so on stderr) when no test cluster is configured and none is required.
///
/// # Panics
/// When a cluster is required but not configured, or cannot be reached.
pub async fn scratch_postgres(test: &str) -> Option<DatabaseUrl> {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let Ok(admin) = std::env::var(ADMIN_URL_VARIABLE) else {
        assert!(
            std::env::var_os(REQUIRE_VARIABLE).is_none(),
            "{test}: {REQUIRE_VARIABLE} is set but {ADMIN_URL_VARIABLE} is not: \
             run the tests with scripts/test.sh, which starts PostGIS"
        );
        eprintln!(
            "{test}: SKIPPED, no PostGIS ({ADMIN_URL_VARIABLE} unset; scripts/test.sh starts one)"
        );
        return None;
    };
    let name = format!(
        "test_{}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed),
        test.chars()
            .filter(char::is_ascii_alphanumeric)
            .take(30)
            .collect::<String>()
            .to_lowercase()
    );
    let mut admin_connection = match PgConnection::connect(&admin).await {
        Ok(c) => c,
        Err(e) => panic!("{test}: cannot reach the test cluster {admin}: {e}"),
    };
    if let Err(e) = sqlx::query(sqlx::AssertSqlSafe(format!(
        "CREATE DATABASE {name} TEMPLATE partimap_template"
    )))
    .execute(&mut admin_connection)
    .await
    {
        panic!("{test}: cannot create database {name}: {e}");
    }
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
    Some(DatabaseUrl::Postgres(format!("{base}/{name}")))
}
