//! The store: a connection pool on one schema, and the reads and writes its calls share.

use std::fmt;

use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod};
use hris_sync_core::{ReportId, ReportSummary, StoreError};
use tokio_postgres::types::Json;
use tokio_postgres::GenericClient;

use crate::error::{column, db_error, pool_error};
use crate::schema;
use crate::settings::PostgresSettings;

/// Keeps reports in PostgreSQL, so that any number of engines in any number of processes
/// share runs safely (issue 14).
///
/// - **One source of truth:** every call is one statement or one transaction. Claims are
///   compare-and-set under a row lock (`SELECT … FOR UPDATE` on the report), so of two
///   engines only one claims a run; the claimed calls hold the row with `FOR SHARE`, so a
///   takeover waits for a progress write in flight and the write after it is refused.
/// - **Cheap outcomes:** one row per entry; a progress batch is one `UPDATE … FROM
///   unnest(…)` per column, found through the primary key, whatever the report's size. A
///   plan is written with `COPY … FROM STDIN BINARY`.
/// - **Recovery:** [`abandon_expired`](hris_sync_core::ReportStore::abandon_expired) picks
///   expired runs with `FOR UPDATE SKIP LOCKED`, so several instances recovering at once
///   split the runs between them without waiting for each other.
/// - **Versioned:** migrations are applied on open ([`PostgresReportStore::open`]); a
///   schema that holds something else is refused unchanged.
///
/// Cheap to clone (the clones share the pool).
#[derive(Clone)]
pub struct PostgresReportStore {
    pub(crate) pool: Pool,
    settings: PostgresSettings,
}

impl fmt::Debug for PostgresReportStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresReportStore")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl PostgresReportStore {
    /// Connects, and brings the schema up to date (creating it when missing).
    ///
    /// # Errors
    /// [`StoreError::Backend`] when the server cannot be reached or refuses the login (the
    /// message names the redacted URL, never the password); [`StoreError::Corrupt`] when
    /// the schema holds tables that are not a report store's, or was written by a newer
    /// version of this crate (nothing is changed then).
    ///
    /// # Example
    ///
    /// ```no_run
    /// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
    /// use hris_sync_core::store::{ReportQuery, ReportStore};
    /// use hris_sync_store_postgres::{PostgresReportStore, PostgresSettings};
    ///
    /// let settings = PostgresSettings::from_env()?.ok_or("HRIS_SYNC_DATABASE_URL is unset")?;
    /// let store = PostgresReportStore::open(settings.with_schema("hris_sync")?).await?;
    /// for summary in store.list(&ReportQuery::latest(10)).await? {
    ///     println!("{} {}", summary.id, summary.status);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn open(settings: PostgresSettings) -> Result<Self, StoreError> {
        let pool = build_pool(&settings)?;
        let store = Self { pool, settings };
        let mut client = store.client("opening the store").await?;
        schema::migrate(&mut client, store.settings.schema())
            .await
            .map_err(|error| store.named(error))?;
        Ok(store)
    }

    /// The settings, for logs (`Debug` redacts the password).
    pub fn settings(&self) -> &PostgresSettings {
        &self.settings
    }

    /// A connection from the pool.
    pub(crate) async fn client(&self, context: &str) -> Result<Object, StoreError> {
        self.pool
            .get()
            .await
            .map_err(|error| self.named(pool_error(context, error)))
    }

    /// Names the database (redacted) in a connection or schema error.
    fn named(&self, error: StoreError) -> StoreError {
        match error {
            StoreError::Backend { message, source } => StoreError::Backend {
                message: format!("{}: {message}", self.settings.redacted()),
                source,
            },
            StoreError::Corrupt { message, source } => StoreError::Corrupt {
                message: format!("{}: {message}", self.settings.redacted()),
                source,
            },
            other => other,
        }
    }
}

fn build_pool(settings: &PostgresSettings) -> Result<Pool, StoreError> {
    let config = settings.driver_config();
    // Fast recycling: a connection that broke is found by its next statement, which fails
    // as a retryable Backend error; checking each one before use would add a round trip.
    let manager_config = ManagerConfig {
        recycling_method: RecyclingMethod::Fast,
    };
    #[cfg(feature = "tls")]
    let manager = match settings.tls() {
        Some(tls) => Manager::from_config(
            config,
            tokio_postgres_rustls::MakeRustlsConnect::new(tls.clone()),
            manager_config,
        ),
        None => Manager::from_config(config, tokio_postgres::NoTls, manager_config),
    };
    #[cfg(not(feature = "tls"))]
    let manager = Manager::from_config(config, tokio_postgres::NoTls, manager_config);
    Pool::builder(manager)
        .max_size(settings.pool_size())
        .runtime(deadpool_postgres::Runtime::Tokio1)
        .build()
        .map_err(|error| {
            StoreError::backend(
                format!("{}: building the connection pool", settings.redacted()),
                error,
            )
        })
}

/// The parameters of the `reports` columns that mirror a summary.
pub(crate) struct Header<'a> {
    pub(crate) id: uuid::Uuid,
    pub(crate) created_secs: i64,
    pub(crate) created_nanos: i32,
    pub(crate) status: &'static str,
    pub(crate) lease_token: Option<uuid::Uuid>,
    pub(crate) lease_expires_at: Option<chrono::DateTime<chrono::Utc>>,
    pub(crate) summary: Json<&'a ReportSummary>,
}

impl<'a> Header<'a> {
    pub(crate) fn new(summary: &'a ReportSummary) -> Self {
        Self {
            id: summary.id.as_uuid(),
            created_secs: summary.created_at.timestamp(),
            // Below 2e9 (a leap second's nanoseconds included): fits.
            created_nanos: i32::try_from(summary.created_at.timestamp_subsec_nanos())
                .unwrap_or(i32::MAX),
            status: summary.status.name(),
            lease_token: summary.lease.as_ref().map(|lease| lease.token.as_uuid()),
            lease_expires_at: summary.lease.as_ref().map(|lease| lease.expires_at),
            summary: Json(summary),
        }
    }

    /// Replaces the report's summary columns; `false` when the report does not exist.
    pub(crate) async fn update(
        &self,
        client: &impl GenericClient,
        context: &str,
    ) -> Result<bool, StoreError> {
        let changed = client
            .execute(
                "UPDATE reports SET created_secs = $2, created_nanos = $3, status = $4, \
                 lease_token = $5, lease_expires_at = $6, summary = $7 WHERE id = $1",
                &[
                    &self.id,
                    &self.created_secs,
                    &self.created_nanos,
                    &self.status,
                    &self.lease_token,
                    &self.lease_expires_at,
                    &self.summary,
                ],
            )
            .await
            .map_err(|error| db_error(context, error))?;
        Ok(changed == 1)
    }
}

/// The stored summary of a report; with `lock`, the row stays locked (`FOR UPDATE`) until
/// the caller's transaction ends.
pub(crate) async fn stored_summary(
    client: &impl GenericClient,
    id: ReportId,
    lock: bool,
) -> Result<Option<ReportSummary>, StoreError> {
    let sql = if lock {
        "SELECT summary FROM reports WHERE id = $1 FOR UPDATE"
    } else {
        "SELECT summary FROM reports WHERE id = $1"
    };
    let row = client
        .query_opt(sql, &[&id.as_uuid()])
        .await
        .map_err(|error| db_error("reading a report summary", error))?;
    row.map(|row| column(&row, 0, id, "summary")).transpose()
}

/// The error for an index no entry has, after a write changed fewer rows than it named:
/// NoSuchEntry for the first index past the report's entries.
pub(crate) async fn missing_entry(
    client: &impl GenericClient,
    id: ReportId,
    indices: &[usize],
) -> StoreError {
    let len = match client
        .query_one(
            "SELECT count(*) FROM entries WHERE report_id = $1",
            &[&id.as_uuid()],
        )
        .await
    {
        Ok(row) => usize::try_from(row.get::<_, i64>(0)).unwrap_or(usize::MAX),
        Err(error) => return db_error("counting a report's entries", error),
    };
    hris_sync_core::store::check_indices(id, len, indices)
        .err()
        .unwrap_or_else(|| StoreError::Corrupt {
            message: format!("report {id}: an entry could not be written"),
            source: None,
        })
}

/// An entry index as the `idx` column holds it; one past the column's range addresses no
/// row, and is reported as missing.
pub(crate) fn sql_index(index: usize) -> i32 {
    i32::try_from(index).unwrap_or(-1)
}
