//! The SQLite report store: the durable embedded default.
//!
//! # Schema (version 3, kept in `PRAGMA user_version`)
//!
//! - `reports`: one row per run — the id, the creation time as two integer columns (seconds
//!   and nanoseconds, so the newest-first index sorts exactly like [`ReportSummary`]'s
//!   `created_at`), the status, the summary as JSON, the master lists as JSON and the
//!   placement as JSON, and whether a purge redacted it. Index `reports_newest_first`
//!   serves [`ReportStore::list`] and the purge's search by age.
//! - `entries`: one row per report entry, keyed by `(report_id, idx)` (a `WITHOUT ROWID`
//!   table, so the key is the clustered index); the entry as JSON without its outcome, and
//!   the outcome and the write intent as JSON in their own columns (`NULL` when not
//!   selected, or before a write was sent). Recording an outcome or an intent is one
//!   single-row `UPDATE` found through the primary key: its cost does not grow with the
//!   report's size (SPEC R13).
//!
//! Version 1 lacked `entries.intent`, version 2 `reports.redacted`; opening such a file adds
//! the columns (one `ALTER TABLE` each, in the same transaction as the version bump).
//!
//! # Retention
//!
//! A purge ([`ReportStore::purge_older_than`]) turns on `secure_delete` for its transaction,
//! so the removed personal values are overwritten in the file rather than left in free
//! pages, and checkpoints the write-ahead log afterwards (`TRUNCATE`), so no copy of them
//! stays in the `-wal` file either.
//!
//! # Durability
//!
//! Write-ahead log (`journal_mode=WAL`) with `synchronous=FULL`: every trait call is one
//! transaction, and a call that returned `Ok` has been fsynced to the log, so it survives a
//! process crash *and* a power loss or OS crash. `synchronous=NORMAL` would survive a process
//! crash too but may lose the last committed calls on power loss; a lost `Created` outcome
//! is exactly what SPEC R11 is about, and one fsync per outcome is small next to the vendor
//! request each outcome stands for, so FULL is the default. A crash mid-call leaves the
//! report as it was before the call (SQLite rolls the unfinished transaction back).
//!
//! # Concurrency
//!
//! One connection behind a mutex; each call runs on Tokio's blocking pool
//! ([`tokio::task::spawn_blocking`]) so the runtime's workers never wait for the disk.
//! A dedicated thread with a channel would serialise calls the same way but needs its own
//! shutdown protocol; the blocking pool needs none, and the connection closes when the last
//! clone of the store is dropped. Calls from several tasks are serialised in this process;
//! several processes on one file are serialised by SQLite's locks, waiting up to
//! [`BUSY_TIMEOUT`] for each other (writes take the lock up front, `BEGIN IMMEDIATE`, so
//! two writers never deadlock on a lock upgrade).

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{
    params, Connection, ErrorCode, OpenFlags, OptionalExtension, Transaction, TransactionBehavior,
};

use super::{check_indices, ProgressBatch, PurgeMode, PurgeReport, ReportQuery, ReportStore};

mod housekeeping;
mod open;
use crate::error::StoreError;
use crate::model::{MasterEntry, MasterKind, Placement};
use crate::report::{
    ClaimToken, Outcome, ReportEntry, ReportId, ReportSummary, RunStatus, SyncReport,
};
use open::{configure, create_owner_only, InFile};

/// The schema version this build writes and reads (`PRAGMA user_version`).
const SCHEMA_VERSION: i64 = 3;

/// How long a call waits for another process holding the database's lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

const SCHEMA: &str = "
CREATE TABLE reports (
    id            TEXT    NOT NULL PRIMARY KEY,
    created_secs  INTEGER NOT NULL,
    created_nanos INTEGER NOT NULL,
    status        TEXT    NOT NULL,
    summary       TEXT    NOT NULL,
    masters       TEXT    NOT NULL DEFAULT '{}',
    placement     TEXT,
    redacted      INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX reports_newest_first ON reports (created_secs DESC, created_nanos DESC, id DESC);
CREATE TABLE entries (
    report_id TEXT    NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    idx       INTEGER NOT NULL,
    entry     TEXT    NOT NULL,
    outcome   TEXT,
    intent    TEXT,
    PRIMARY KEY (report_id, idx)
) STRICT, WITHOUT ROWID;
";

/// Each step brings a database from the version before it to the version after.
const MIGRATIONS: &[(i64, &str)] = &[
    (2, "ALTER TABLE entries ADD COLUMN intent TEXT;"),
    (
        3,
        "ALTER TABLE reports ADD COLUMN redacted INTEGER NOT NULL DEFAULT 0;",
    ),
];

/// Keeps reports in an SQLite database file: the durable embedded default (SPEC R13).
///
/// - **Durable:** WAL with `synchronous=FULL`; each call is one transaction, so after a
///   crash at any point every report reads back whole, as it was before or after the call.
/// - **Cheap outcomes:** [`record_progress`](ReportStore::record_progress) updates one row
///   per intent or outcome, whatever the report's size, in one transaction per batch; [`save_plan`](ReportStore::save_plan) inserts 100,000
///   entries in one transaction with one prepared statement.
/// - **Owner-only (SPEC S4):** on Unix a new database file is created with mode `0600`;
///   SQLite gives its `-wal` and `-shm` companions the database file's mode. An existing
///   file keeps its mode (a warning is logged when others may read it). The parent
///   directory must exist; creating it (with mode `0700` when it holds nothing else) is the
///   caller's job, so the store never chooses permissions for a directory it does not own.
/// - **Versioned:** the schema version lives in `PRAGMA user_version`; a file written by a
///   newer version, or a file that is not a report database, fails to open with
///   [`StoreError::Corrupt`].
///
/// The store is cheap to clone (the clones share one connection). Its calls need a Tokio
/// runtime (they run on the blocking pool).
#[derive(Clone)]
pub struct SqliteReportStore {
    inner: Arc<Inner>,
}

struct Inner {
    connection: Mutex<Connection>,
    path: Option<PathBuf>,
}

impl fmt::Debug for SqliteReportStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteReportStore")
            .field("path", &self.inner.path)
            .finish_non_exhaustive()
    }
}

impl SqliteReportStore {
    /// Opens the database at `path`, creating it (mode `0600` on Unix) with the current
    /// schema when it does not exist. The parent directory must exist.
    ///
    /// Opening reads the file and may recover a write-ahead log left by a crash, so it
    /// blocks briefly; call it at start-up, or on [`tokio::task::spawn_blocking`].
    ///
    /// # Errors
    ///
    /// [`StoreError::Corrupt`] when the file is not a report database or was written by a
    /// newer version of this crate; [`StoreError::Backend`] when it cannot be created or
    /// opened (missing directory, permissions, locked for longer than the busy timeout).
    ///
    /// # Example
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("reports.db");
    /// use hris_sync_core::store::{ReportQuery, ReportStore, SqliteReportStore, RECENT};
    ///
    /// let store = SqliteReportStore::open(&path)?;
    /// for summary in store.list(&ReportQuery::latest(RECENT)).await? {
    ///     println!("{} {} {}", summary.id, summary.vendor, summary.status);
    /// }
    /// # #[cfg(unix)]
    /// # {
    /// #     use std::os::unix::fs::PermissionsExt;
    /// #     assert_eq!(std::fs::metadata(&path)?.permissions().mode() & 0o777, 0o600);
    /// # }
    /// # Ok(())
    /// # }
    /// ```
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref();
        create_owner_only(path)?;
        // No SQLITE_OPEN_CREATE: the file exists now, with our permissions; SQLite never
        // creates it with its own default mode.
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let context = format!("opening {}", path.display());
        let mut connection =
            Connection::open_with_flags(path, flags).map_err(|error| db_error(&context, error))?;
        configure(&mut connection, true).map_err(|error| error.in_file(path))?;
        Ok(Self::new(connection, Some(path.to_owned())))
    }

    /// A database in memory, for tests: the same schema and code paths as a file, nothing
    /// kept after the store is dropped.
    ///
    /// # Errors
    ///
    /// [`StoreError::Backend`] when SQLite cannot allocate the database.
    pub fn open_in_memory() -> Result<Self, StoreError> {
        let mut connection = Connection::open_in_memory()
            .map_err(|error| db_error("opening an in-memory database", error))?;
        configure(&mut connection, false)?;
        Ok(Self::new(connection, None))
    }

    /// The database file's path (`None` in memory).
    pub fn path(&self) -> Option<&Path> {
        self.inner.path.as_deref()
    }

    fn new(connection: Connection, path: Option<PathBuf>) -> Self {
        Self {
            inner: Arc::new(Inner {
                connection: Mutex::new(connection),
                path,
            }),
        }
    }

    /// Runs `call` with the connection on the blocking pool.
    async fn run<T, F>(&self, operation: &'static str, call: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || {
            // A panic while the lock was held rolled its transaction back (rusqlite's
            // `Transaction` rolls back on drop), so the connection is still consistent.
            let mut connection = inner
                .connection
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            call(&mut connection)
        })
        .await
        .map_err(|error| {
            StoreError::backend(format!("{operation}: the store task failed"), error)
        })?
    }
}

/// Maps a database error: damaged or foreign data is [`StoreError::Corrupt`], everything
/// else (I/O, busy, locked, full) [`StoreError::Backend`].
fn db_error(context: &str, error: rusqlite::Error) -> StoreError {
    let corrupt = matches!(
        error.sqlite_error_code(),
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt)
    ) || matches!(
        error,
        rusqlite::Error::FromSqlConversionFailure(..)
            | rusqlite::Error::InvalidColumnType(..)
            | rusqlite::Error::IntegralValueOutOfRange(..)
    );
    if corrupt {
        StoreError::corrupt(
            format!("{context}: not an intact hris-sync report database"),
            error,
        )
    } else {
        StoreError::backend(context.to_owned(), error)
    }
}

fn encode<T: serde::Serialize + ?Sized>(what: &str, value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value)
        .map_err(|error| StoreError::backend(format!("encoding {what}"), error))
}

fn decode<T: serde::de::DeserializeOwned>(
    id: &str,
    what: &str,
    json: &str,
) -> Result<T, StoreError> {
    serde_json::from_str(json)
        .map_err(|error| StoreError::corrupt(format!("report {id}: {what} unreadable"), error))
}

/// A summary as the `reports` table's columns.
struct SummaryRow {
    id: String,
    created_secs: i64,
    created_nanos: i64,
    status: &'static str,
    json: String,
}

impl SummaryRow {
    fn new(summary: &ReportSummary) -> Result<Self, StoreError> {
        Ok(Self {
            id: summary.id.to_string(),
            created_secs: summary.created_at.timestamp(),
            created_nanos: i64::from(summary.created_at.timestamp_subsec_nanos()),
            status: summary.status.name(),
            json: encode("the report summary", summary)?,
        })
    }

    /// Updates the row's summary columns; `false` when the report does not exist.
    fn update(&self, connection: &Connection) -> rusqlite::Result<bool> {
        let changed = connection
            .prepare_cached(
                "UPDATE reports SET created_secs = ?2, created_nanos = ?3, status = ?4, \
                 summary = ?5 WHERE id = ?1",
            )?
            .execute(params![
                self.id,
                self.created_secs,
                self.created_nanos,
                self.status,
                self.json
            ])?;
        Ok(changed == 1)
    }
}

/// Begins a write transaction that replaces the report's summary and one more column
/// (`set`, with `?1` the id and `?2` the value); NotFound when the report does not exist,
/// StatusChanged when `expected` is given and the stored status differs.
fn begin_update<'c>(
    connection: &'c mut Connection,
    context: &str,
    id: ReportId,
    row: &SummaryRow,
    expected: Option<RunStatus>,
    (set, value): (&str, &str),
) -> Result<Transaction<'c>, StoreError> {
    let fail = |error| db_error(context, error);
    let transaction = connection
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(fail)?;
    if let Some(expected) = expected {
        let stored = stored_summary(&transaction, id)?.ok_or(StoreError::NotFound(id))?;
        if stored.status != expected {
            return Err(StoreError::StatusChanged {
                id,
                status: stored.status,
            });
        }
    }
    if !row.update(&transaction).map_err(fail)? {
        return Err(StoreError::NotFound(id));
    }
    transaction
        .execute(set, params![row.id, value])
        .map_err(fail)?;
    Ok(transaction)
}

/// The stored summary of a report, read inside the caller's transaction.
fn stored_summary(
    connection: &Connection,
    id: ReportId,
) -> Result<Option<ReportSummary>, StoreError> {
    let key = id.to_string();
    connection
        .prepare_cached("SELECT summary FROM reports WHERE id = ?1")
        .and_then(|mut select| {
            select
                .query_row([&key], |row| row.get::<_, String>(0))
                .optional()
        })
        .map_err(|error| db_error("reading a report summary", error))?
        .map(|json| decode(&key, "summary", &json))
        .transpose()
}

/// Begins a write transaction on a run the caller holds the claim on (contract point 10),
/// returning the stored summary with it.
fn begin_claimed(
    connection: &mut Connection,
    id: ReportId,
    claim: ClaimToken,
) -> Result<(Transaction<'_>, ReportSummary), StoreError> {
    let transaction = connection
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|error| db_error("checking the claim on a run", error))?;
    let summary = stored_summary(&transaction, id)?.ok_or(StoreError::NotFound(id))?;
    super::check_claim(&summary, claim)?;
    Ok((transaction, summary))
}

/// The error for an index no entry has (after an update changed no row), or NotFound.
fn missing_entry(
    connection: &Connection,
    id: ReportId,
    key: &str,
    index: usize,
) -> Result<StoreError, StoreError> {
    let context = "checking the report";
    let exists = connection
        .query_row("SELECT 1 FROM reports WHERE id = ?1", [key], |_| Ok(()))
        .optional()
        .map_err(|error| db_error(context, error))?
        .is_some();
    if !exists {
        return Ok(StoreError::NotFound(id));
    }
    let len: i64 = connection
        .query_row(
            "SELECT count(*) FROM entries WHERE report_id = ?1",
            [key],
            |row| row.get(0),
        )
        .map_err(|error| db_error(context, error))?;
    let len = usize::try_from(len).unwrap_or(usize::MAX);
    Ok(check_indices(id, len, &[index])
        .err()
        .unwrap_or_else(|| StoreError::Corrupt {
            message: format!("report {id}: entry {index} could not be written"),
            source: None,
        }))
}

fn sql_index(index: usize) -> i64 {
    // An index beyond i64 addresses no row, and is reported as missing.
    i64::try_from(index).unwrap_or(i64::MAX)
}

#[async_trait]
impl ReportStore for SqliteReportStore {
    async fn insert(&self, summary: &ReportSummary) -> Result<(), StoreError> {
        let row = SummaryRow::new(summary)?;
        let id = summary.id;
        self.run("insert", move |connection| {
            let inserted = connection
                .execute(
                    "INSERT INTO reports (id, created_secs, created_nanos, status, summary) \
                     VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (id) DO NOTHING",
                    params![
                        row.id,
                        row.created_secs,
                        row.created_nanos,
                        row.status,
                        row.json
                    ],
                )
                .map_err(|error| db_error("inserting a report", error))?;
            if inserted == 0 {
                return Err(super::already_exists(id));
            }
            Ok(())
        })
        .await
    }

    async fn update_summary(&self, summary: &ReportSummary) -> Result<(), StoreError> {
        let row = SummaryRow::new(summary)?;
        let id = summary.id;
        self.run("update_summary", move |connection| {
            if row
                .update(connection)
                .map_err(|error| db_error("updating a report summary", error))?
            {
                Ok(())
            } else {
                Err(StoreError::NotFound(id))
            }
        })
        .await
    }

    async fn save_plan(
        &self,
        summary: &ReportSummary,
        masters: &BTreeMap<MasterKind, Vec<MasterEntry>>,
        entries: &[ReportEntry],
    ) -> Result<(), StoreError> {
        let row = SummaryRow::new(summary)?;
        let id = summary.id;
        let masters = encode("the master lists", masters)?;
        // Encoded here: the blocking task needs owned data, and the JSON is the smallest.
        let rows = entries
            .iter()
            .map(|entry| {
                let outcome = entry
                    .outcome
                    .as_ref()
                    .map(|outcome| encode("an outcome", outcome))
                    .transpose()?;
                let intent = entry
                    .intent
                    .as_ref()
                    .map(|intent| encode("an intent", intent))
                    .transpose()?;
                let entry = encode(
                    "a report entry",
                    &ReportEntry {
                        outcome: None,
                        intent: None,
                        ..entry.clone()
                    },
                )?;
                Ok((entry, outcome, intent))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        self.run("save_plan", move |connection| {
            let context = "saving a plan";
            let fail = |error| db_error(context, error);
            let transaction = begin_update(
                connection,
                context,
                id,
                &row,
                None,
                ("UPDATE reports SET masters = ?2 WHERE id = ?1", &masters),
            )?;
            transaction
                .execute("DELETE FROM entries WHERE report_id = ?1", [&row.id])
                .map_err(fail)?;
            {
                let mut insert = transaction
                    .prepare(
                        "INSERT INTO entries (report_id, idx, entry, outcome, intent) \
                         VALUES (?1, ?2, ?3, ?4, ?5)",
                    )
                    .map_err(fail)?;
                for (index, (entry, outcome, intent)) in rows.iter().enumerate() {
                    insert
                        .execute(params![row.id, sql_index(index), entry, outcome, intent])
                        .map_err(fail)?;
                }
            }
            transaction.commit().map_err(fail)
        })
        .await
    }

    async fn save_selection(
        &self,
        summary: &ReportSummary,
        placement: &Placement,
        selected: &[usize],
    ) -> Result<(), StoreError> {
        let row = SummaryRow::new(summary)?;
        let id = summary.id;
        let placement = encode("the placement", placement)?;
        let pending = encode("an outcome", &Outcome::Pending)?;
        let selected = selected.to_vec();
        self.run("save_selection", move |connection| {
            let context = "saving a selection";
            let fail = |error| db_error(context, error);
            let transaction = begin_update(
                connection,
                context,
                id,
                &row,
                Some(RunStatus::AwaitingSync),
                (
                    "UPDATE reports SET placement = ?2 WHERE id = ?1",
                    &placement,
                ),
            )?;
            {
                let mut mark = transaction
                    .prepare("UPDATE entries SET outcome = ?3 WHERE report_id = ?1 AND idx = ?2")
                    .map_err(fail)?;
                for &index in &selected {
                    if mark
                        .execute(params![row.id, sql_index(index), pending])
                        .map_err(fail)?
                        == 0
                    {
                        // Dropping the transaction rolls every change of this call back.
                        return Err(missing_entry(&transaction, id, &row.id, index)?);
                    }
                }
            }
            transaction.commit().map_err(fail)
        })
        .await
    }

    async fn transition(&self, from: &ReportSummary, to: &ReportSummary) -> Result<(), StoreError> {
        let row = SummaryRow::new(to)?;
        let from = from.clone();
        self.run("transition", move |connection| {
            let context = "claiming a report";
            let fail = |error| db_error(context, error);
            let transaction = connection
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(fail)?;
            let stored =
                stored_summary(&transaction, from.id)?.ok_or(StoreError::NotFound(from.id))?;
            if !super::unchanged_since(&from, &stored) {
                return Err(StoreError::StatusChanged {
                    id: from.id,
                    status: stored.status,
                });
            }
            row.update(&transaction).map_err(fail)?;
            transaction.commit().map_err(fail)
        })
        .await
    }

    /// One transaction for the whole batch: one sync to disk however many entries it holds.
    async fn record_progress(
        &self,
        id: ReportId,
        claim: ClaimToken,
        batch: &ProgressBatch,
    ) -> Result<(), StoreError> {
        let intents = batch
            .intents
            .iter()
            .map(|(index, intent)| Ok((*index, encode("an intent", intent)?)))
            .collect::<Result<Vec<_>, StoreError>>()?;
        let outcomes = batch
            .outcomes
            .iter()
            .map(|(index, outcome)| Ok((*index, encode("an outcome", outcome)?)))
            .collect::<Result<Vec<_>, StoreError>>()?;
        let withdrawn = batch.withdrawn.clone();
        let pending = encode("an outcome", &Outcome::Pending)?;
        self.run("record_progress", move |connection| {
            let key = id.to_string();
            let fail = |error| db_error("recording progress", error);
            let transaction = begin_claimed(connection, id, claim)?.0;
            for (column, rows) in [("intent", &intents), ("outcome", &outcomes)] {
                // One row per entry, found through the primary key: the cost does not
                // depend on the report's size.
                let mut update = transaction
                    .prepare_cached(&format!(
                        "UPDATE entries SET {column} = ?3 WHERE report_id = ?1 AND idx = ?2"
                    ))
                    .map_err(fail)?;
                for (index, value) in rows {
                    let changed = update
                        .execute(params![key, sql_index(*index), value])
                        .map_err(fail)?;
                    if changed == 0 {
                        // Dropping the transaction rolls the whole batch back.
                        return Err(missing_entry(&transaction, id, &key, *index)?);
                    }
                }
            }
            // After the outcomes, and only on entries still Pending: a finished write keeps
            // its intent (contract point 14).
            let mut withdraw = transaction
                .prepare_cached(
                    "UPDATE entries SET intent = NULL \
                     WHERE report_id = ?1 AND idx = ?2 AND outcome = ?3",
                )
                .map_err(fail)?;
            let mut exists = transaction
                .prepare_cached("SELECT 1 FROM entries WHERE report_id = ?1 AND idx = ?2")
                .map_err(fail)?;
            for index in &withdrawn {
                let changed = withdraw
                    .execute(params![key, sql_index(*index), pending])
                    .map_err(fail)?;
                if changed == 0
                    && exists
                        .query_row(params![key, sql_index(*index)], |_| Ok(()))
                        .optional()
                        .map_err(fail)?
                        .is_none()
                {
                    return Err(missing_entry(&transaction, id, &key, *index)?);
                }
            }
            drop((withdraw, exists));
            transaction.commit().map_err(fail)
        })
        .await
    }

    async fn renew_lease(
        &self,
        id: ReportId,
        claim: ClaimToken,
        renewed_at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<Option<String>, StoreError> {
        self.run("renew_lease", move |connection| {
            let fail = |error| db_error("renewing a lease", error);
            let (transaction, mut summary) = begin_claimed(connection, id, claim)?;
            if let Some(lease) = &mut summary.lease {
                lease.renewed_at = renewed_at;
                lease.expires_at = expires_at;
            }
            SummaryRow::new(&summary)?
                .update(&transaction)
                .map_err(fail)?;
            transaction.commit().map_err(fail)?;
            Ok(summary.stop_requested)
        })
        .await
    }

    async fn request_stop(&self, id: ReportId, by: &str) -> Result<(), StoreError> {
        let by = by.to_owned();
        self.run("request_stop", move |connection| {
            let fail = |error| db_error("asking a run to stop", error);
            let transaction = connection
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(fail)?;
            let mut summary = stored_summary(&transaction, id)?.ok_or(StoreError::NotFound(id))?;
            super::check_syncing(&summary)?;
            summary.stop_requested = Some(by);
            SummaryRow::new(&summary)?
                .update(&transaction)
                .map_err(fail)?;
            transaction.commit().map_err(fail)
        })
        .await
    }

    async fn finish(&self, claim: ClaimToken, summary: &ReportSummary) -> Result<(), StoreError> {
        let row = SummaryRow::new(summary)?;
        let id = summary.id;
        self.run("finish", move |connection| {
            let fail = |error| db_error("ending a run", error);
            let transaction = begin_claimed(connection, id, claim)?.0;
            row.update(&transaction).map_err(fail)?;
            transaction.commit().map_err(fail)
        })
        .await
    }

    async fn load(&self, id: ReportId) -> Result<Option<SyncReport>, StoreError> {
        self.run("load", move |connection| {
            let key = id.to_string();
            let fail = |error| db_error("loading a report", error);
            // One read transaction: the header and the entries from the same snapshot.
            let transaction = connection.transaction().map_err(fail)?;
            let Some((summary, masters, placement)) = transaction
                .query_row(
                    "SELECT summary, masters, placement FROM reports WHERE id = ?1",
                    [&key],
                    |row| {
                        Ok((
                            row.get::<_, String>(0)?,
                            row.get::<_, String>(1)?,
                            row.get::<_, Option<String>>(2)?,
                        ))
                    },
                )
                .optional()
                .map_err(fail)?
            else {
                return Ok(None);
            };
            let summary: ReportSummary = decode(&key, "summary", &summary)?;
            let masters = decode(&key, "master lists", &masters)?;
            let placement = placement
                .map(|placement| decode(&key, "placement", &placement))
                .transpose()?;
            let mut select = transaction
                .prepare(
                    "SELECT idx, entry, outcome, intent FROM entries WHERE report_id = ?1 \
                     ORDER BY idx",
                )
                .map_err(fail)?;
            let mut rows = select.query([&key]).map_err(fail)?;
            let mut entries = Vec::new();
            while let Some(row) = rows.next().map_err(fail)? {
                let index: i64 = row.get(0).map_err(fail)?;
                if usize::try_from(index).ok() != Some(entries.len()) {
                    return Err(StoreError::Corrupt {
                        message: format!(
                            "report {key}: entry {} is missing (found entry {index})",
                            entries.len()
                        ),
                        source: None,
                    });
                }
                let entry: String = row.get(1).map_err(fail)?;
                let mut entry: ReportEntry = decode(&key, "entry", &entry)?;
                entry.outcome = row
                    .get::<_, Option<String>>(2)
                    .map_err(fail)?
                    .map(|outcome| decode(&key, "outcome", &outcome))
                    .transpose()?;
                entry.intent = row
                    .get::<_, Option<String>>(3)
                    .map_err(fail)?
                    .map(|intent| decode(&key, "intent", &intent))
                    .transpose()?;
                entries.push(entry);
            }
            Ok(Some(SyncReport {
                summary,
                masters,
                placement,
                entries,
            }))
        })
        .await
    }

    async fn summary(&self, id: ReportId) -> Result<Option<ReportSummary>, StoreError> {
        self.run("summary", move |connection| stored_summary(connection, id))
            .await
    }

    async fn list(&self, query: &ReportQuery) -> Result<Vec<ReportSummary>, StoreError> {
        let limit = i64::try_from(query.limit).unwrap_or(i64::MAX);
        let offset = i64::try_from(query.offset).unwrap_or(i64::MAX);
        let discarded = query.include_discarded;
        self.run("list", move |connection| {
            let fail = |error| db_error("listing reports", error);
            let mut select = connection
                .prepare_cached(
                    "SELECT id, summary FROM reports WHERE ?3 OR status <> 'discarded' \
                     ORDER BY created_secs DESC, created_nanos DESC, id DESC \
                     LIMIT ?1 OFFSET ?2",
                )
                .map_err(fail)?;
            let rows = select
                .query_map(params![limit, offset, discarded], |row| {
                    Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
                })
                .map_err(fail)?;
            rows.map(|row| {
                let (id, json) = row.map_err(fail)?;
                decode(&id, "summary", &json)
            })
            .collect()
        })
        .await
    }

    async fn abandon_expired(
        &self,
        now: DateTime<Utc>,
        by: &str,
        limit: usize,
    ) -> Result<Vec<ReportSummary>, StoreError> {
        let by = by.to_owned();
        self.run("abandon_expired", move |connection| {
            housekeeping::abandon_expired(connection, now, &by, limit)
        })
        .await
    }

    async fn purge_older_than(
        &self,
        cutoff: DateTime<Utc>,
        mode: PurgeMode,
    ) -> Result<PurgeReport, StoreError> {
        let cutoff = (
            cutoff.timestamp(),
            i64::from(cutoff.timestamp_subsec_nanos()),
        );
        self.run("purge_older_than", move |connection| {
            housekeeping::purge(connection, cutoff, mode)
        })
        .await
    }
}

#[cfg(test)]
mod tests;
