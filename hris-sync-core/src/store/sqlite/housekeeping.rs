//! Housekeeping in the SQLite store: declaring expired runs abandoned (contract point 12)
//! and purging old reports (contract point 13).

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, Transaction, TransactionBehavior};

use super::{db_error, decode, encode, SummaryRow};
use crate::error::StoreError;
use crate::report::{ReportEntry, ReportSummary};
use crate::store::{abandoned, is_abandonable, redact_entry, PurgeMode, PurgeReport};

/// Declares abandoned up to `limit` expired Syncing runs, in one write transaction.
pub(super) fn abandon_expired(
    connection: &mut Connection,
    now: DateTime<Utc>,
    by: &str,
    limit: usize,
) -> Result<Vec<ReportSummary>, StoreError> {
    let fail = |error| db_error("declaring expired runs abandoned", error);
    // The write lock up front: no other process changes a run between the check
    // and the update. Syncing runs are few; their summaries are read whole.
    let transaction = connection
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(fail)?;
    let mut expired = {
        let mut select = transaction
            .prepare_cached("SELECT id, summary FROM reports WHERE status = 'syncing'")
            .map_err(fail)?;
        let rows = select
            .query_map([], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
            })
            .map_err(fail)?;
        let mut expired = Vec::new();
        for row in rows {
            let (id, json) = row.map_err(fail)?;
            let summary: ReportSummary = decode(&id, "summary", &json)?;
            if is_abandonable(&summary, now) {
                expired.push(summary);
            }
        }
        expired
    };
    expired.sort_by_key(|summary| {
        (
            summary.lease.as_ref().map(|lease| lease.expires_at),
            summary.id,
        )
    });
    expired.truncate(limit);
    let abandoned = expired
        .iter()
        .map(|read| abandoned(read, now, by))
        .collect::<Vec<_>>();
    for summary in &abandoned {
        SummaryRow::new(summary)?
            .update(&transaction)
            .map_err(fail)?;
    }
    transaction.commit().map_err(fail)?;
    Ok(abandoned)
}

/// Deletes or redacts the final reports created before `cutoff` (seconds, nanoseconds),
/// with `secure_delete` on, and checkpoints the log afterwards.
pub(super) fn purge(
    connection: &mut Connection,
    cutoff: (i64, i64),
    mode: PurgeMode,
) -> Result<PurgeReport, StoreError> {
    let fail = |error| db_error("purging old reports", error);
    connection
        .pragma_update(None, "secure_delete", true)
        .map_err(fail)?;
    let purged = purge_in_transaction(connection, cutoff, mode);
    // Back to the default whatever happened: later calls need not pay for it.
    let reset = connection.pragma_update(None, "secure_delete", false);
    let report = purged?;
    reset.map_err(fail)?;
    if report.purged > 0 {
        // The write-ahead log still holds the old pages until a checkpoint.
        connection
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .map_err(fail)?;
    }
    Ok(report)
}

/// The condition of a report under a purge: created before the cutoff (seconds, nanos).
const OLDER: &str = "(created_secs < ?1 OR (created_secs = ?1 AND created_nanos < ?2))";

/// The statuses a purge may touch, as stored.
const FINAL: &str = "status IN ('completed', 'completed_with_errors', 'failed', 'discarded')";

/// One transaction: every old final report deleted or redacted.
fn purge_in_transaction(
    connection: &mut Connection,
    (secs, nanos): (i64, i64),
    mode: PurgeMode,
) -> Result<PurgeReport, StoreError> {
    let fail = |error| db_error("purging old reports", error);
    let transaction = connection
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(fail)?;
    let kept: i64 = transaction
        .query_row(
            &format!("SELECT count(*) FROM reports WHERE {OLDER} AND NOT {FINAL}"),
            params![secs, nanos],
            |row| row.get(0),
        )
        .map_err(fail)?;
    let purged = match mode {
        // The entries go with their report (ON DELETE CASCADE).
        PurgeMode::Delete => transaction
            .execute(
                &format!("DELETE FROM reports WHERE {OLDER} AND {FINAL}"),
                params![secs, nanos],
            )
            .map_err(fail)?,
        PurgeMode::Redact => {
            let ids = {
                let mut select = transaction
                    .prepare(&format!(
                        "SELECT id FROM reports WHERE {OLDER} AND {FINAL} AND redacted = 0"
                    ))
                    .map_err(fail)?;
                let ids = select
                    .query_map(params![secs, nanos], |row| row.get::<_, String>(0))
                    .map_err(fail)?
                    .collect::<rusqlite::Result<Vec<_>>>()
                    .map_err(fail)?;
                ids
            };
            for id in &ids {
                redact_report(&transaction, id)?;
            }
            ids.len()
        }
    };
    transaction.commit().map_err(fail)?;
    Ok(PurgeReport::new(
        purged,
        usize::try_from(kept).unwrap_or(usize::MAX),
    ))
}

/// Rewrites every entry of one report without personal values, and marks it redacted.
fn redact_report(transaction: &Transaction<'_>, id: &str) -> Result<(), StoreError> {
    let fail = |error| db_error("redacting a report", error);
    let mut select = transaction
        .prepare_cached("SELECT idx, entry FROM entries WHERE report_id = ?1")
        .map_err(fail)?;
    let mut update = transaction
        .prepare_cached("UPDATE entries SET entry = ?3 WHERE report_id = ?1 AND idx = ?2")
        .map_err(fail)?;
    let rows = select
        .query_map([id], |row| {
            Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?))
        })
        .map_err(fail)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(fail)?;
    for (index, json) in rows {
        let entry: ReportEntry = decode(id, "entry", &json)?;
        let redacted = encode("a report entry", &redact_entry(&entry))?;
        update.execute(params![id, index, redacted]).map_err(fail)?;
    }
    transaction
        .execute("UPDATE reports SET redacted = 1 WHERE id = ?1", [id])
        .map_err(fail)?;
    Ok(())
}
