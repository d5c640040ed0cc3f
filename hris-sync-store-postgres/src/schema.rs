//! The schema and its versioned migrations, applied on open.
//!
//! `hris_sync_schema` holds one row per migration applied. Opening takes a transaction-wide
//! advisory lock (two processes opening at once migrate one after the other), then:
//! - a schema with no tables gets every migration;
//! - a schema with `hris_sync_schema` gets the migrations it lacks;
//! - a schema that holds other tables and no `hris_sync_schema`, or whose version is newer
//!   than this build's, is refused, and the transaction is rolled back: nothing changes.

use hris_sync_core::StoreError;
use tokio_postgres::Client;

use crate::error::db_error;

/// The table that records which migrations were applied.
pub(crate) const VERSION_TABLE: &str = "hris_sync_schema";

/// Each migration, in order: its version, what it does, its statements.
pub(crate) const MIGRATIONS: &[(i32, &str, &str)] = &[(
    1,
    "reports and their entries",
    "
CREATE TABLE reports (
    id               uuid        NOT NULL PRIMARY KEY,
    -- The creation time as seconds and nanoseconds: timestamptz keeps microseconds only,
    -- and the listing must sort exactly as ReportSummary's created_at does.
    created_secs     bigint      NOT NULL,
    created_nanos    integer     NOT NULL,
    status           text        NOT NULL,
    -- Copies of the summary's lease, for the claim checks and the recovery's search.
    lease_token      uuid,
    lease_expires_at timestamptz,
    summary          jsonb       NOT NULL,
    masters          jsonb       NOT NULL DEFAULT '{}',
    placement        jsonb,
    redacted         boolean     NOT NULL DEFAULT false
);
CREATE INDEX reports_newest_first ON reports (created_secs DESC, created_nanos DESC, id DESC);
CREATE INDEX reports_expiring_leases ON reports (lease_expires_at) WHERE status = 'syncing';
CREATE TABLE entries (
    report_id uuid    NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    idx       integer NOT NULL,
    entry     jsonb   NOT NULL,
    outcome   jsonb,
    intent    jsonb,
    PRIMARY KEY (report_id, idx)
);
",
)];

/// The version this build writes and reads.
pub(crate) fn latest() -> i32 {
    MIGRATIONS.last().map_or(0, |(version, _, _)| *version)
}

/// Brings `schema` to the latest version, or refuses it without changing anything.
/// Returns the version found before (0 for an empty schema).
pub(crate) async fn migrate(client: &mut Client, schema: &str) -> Result<i32, StoreError> {
    let fail = |context: &str| {
        let context = format!("{context} (schema {schema})");
        move |error| db_error(&context, error)
    };
    let transaction = client
        .transaction()
        .await
        .map_err(fail("starting the migration"))?;
    transaction
        .execute(
            "SELECT pg_advisory_xact_lock(hashtext('hris-sync schema ' || $1))",
            &[&schema],
        )
        .await
        .map_err(fail("locking the schema for migration"))?;
    let exists = transaction
        .query_opt("SELECT 1 FROM pg_namespace WHERE nspname = $1", &[&schema])
        .await
        .map_err(fail("looking for the schema"))?
        .is_some();
    if !exists {
        // A checked plain identifier: safe to splice.
        transaction
            .batch_execute(&format!("CREATE SCHEMA {schema}"))
            .await
            .map_err(fail("creating the schema"))?;
    }
    let tables: Vec<String> = transaction
        .query(
            "SELECT tablename::text FROM pg_tables WHERE schemaname = $1 ORDER BY 1",
            &[&schema],
        )
        .await
        .map_err(fail("listing the schema's tables"))?
        .iter()
        .map(|row| row.get(0))
        .collect();
    let found = if tables.iter().any(|table| table == VERSION_TABLE) {
        transaction
            .query_one(
                &format!("SELECT coalesce(max(version), 0) FROM {schema}.{VERSION_TABLE}"),
                &[],
            )
            .await
            .map_err(fail("reading the schema version"))?
            .get::<_, i32>(0)
    } else if tables.is_empty() {
        transaction
            .batch_execute(&format!(
                "CREATE TABLE {schema}.{VERSION_TABLE} (
                     version     integer     NOT NULL PRIMARY KEY,
                     description text        NOT NULL,
                     applied_at  timestamptz NOT NULL DEFAULT now()
                 )"
            ))
            .await
            .map_err(fail("creating the version table"))?;
        0
    } else {
        // Dropping the transaction rolls back; nothing was created (the schema existed).
        return Err(StoreError::Corrupt {
            message: format!(
                "schema {schema} holds tables ({}) but is not a hris-sync report store (no \
                 {VERSION_TABLE} table); nothing in it was changed. Give the store a schema \
                 of its own",
                tables.join(", ")
            ),
            source: None,
        });
    };
    if found > latest() {
        return Err(StoreError::Corrupt {
            message: format!(
                "schema {schema} is at version {found}, written by a newer version of \
                 hris-sync-store-postgres (this one reads up to {}); upgrade it",
                latest()
            ),
            source: None,
        });
    }
    for (version, description, statements) in MIGRATIONS.iter().filter(|(v, _, _)| *v > found) {
        let context = format!("migrating to schema version {version} ({description})");
        transaction
            .batch_execute(&format!("SET LOCAL search_path = {schema}; {statements}"))
            .await
            .map_err(fail(&context))?;
        transaction
            .execute(
                &format!(
                    "INSERT INTO {schema}.{VERSION_TABLE} (version, description) VALUES ($1, $2)"
                ),
                &[version, description],
            )
            .await
            .map_err(fail(&context))?;
    }
    transaction
        .commit()
        .await
        .map_err(fail("committing the migration"))?;
    Ok(found)
}
