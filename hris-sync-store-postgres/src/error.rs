//! Driver and pool errors as [`StoreError`]s. Messages name what was being done and the
//! server's reason; they never hold the connection URL or its password (the driver's errors
//! do not carry them, and this crate never adds them).

use hris_sync_core::StoreError;

/// A driver error while doing `context`: a retryable [`StoreError::Backend`] (connection,
/// server, lock). Values that do not decode are found by [`column`] instead.
pub(crate) fn db_error(context: &str, error: tokio_postgres::Error) -> StoreError {
    StoreError::backend(context.to_owned(), error)
}

/// Reads a JSON column of a row as `T`: a value that does not decode is
/// [`StoreError::Corrupt`] naming the report and what it was.
pub(crate) fn column<T: serde::de::DeserializeOwned>(
    row: &tokio_postgres::Row,
    index: usize,
    id: impl std::fmt::Display,
    what: &str,
) -> Result<T, StoreError> {
    row.try_get::<_, tokio_postgres::types::Json<T>>(index)
        .map(|json| json.0)
        .map_err(|error| StoreError::corrupt(format!("report {id}: {what} unreadable"), error))
}

/// Reads a nullable JSON column of a row as `Option<T>`.
pub(crate) fn optional_column<T: serde::de::DeserializeOwned>(
    row: &tokio_postgres::Row,
    index: usize,
    id: impl std::fmt::Display,
    what: &str,
) -> Result<Option<T>, StoreError> {
    row.try_get::<_, Option<tokio_postgres::types::Json<T>>>(index)
        .map(|json| json.map(|json| json.0))
        .map_err(|error| StoreError::corrupt(format!("report {id}: {what} unreadable"), error))
}

/// A pool error while getting a connection.
pub(crate) fn pool_error(context: &str, error: deadpool_postgres::PoolError) -> StoreError {
    // The pool's message carries the driver's reason ("connection refused", "password
    // authentication failed for user …"), never the password.
    StoreError::backend(format!("{context}: no database connection: {error}"), error)
}
