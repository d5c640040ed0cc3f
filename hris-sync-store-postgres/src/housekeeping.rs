//! Recovery of runs whose applier died, and retention of old reports.

use chrono::{DateTime, Utc};
use hris_sync_core::store::{abandoned, is_abandonable, redact_entry, PurgeMode, PurgeReport};
use hris_sync_core::{ReportEntry, ReportSummary, StoreError};
use tokio_postgres::types::Json;

use crate::error::{column, db_error};
use crate::store::{Header, PostgresReportStore};

/// Contract point 12. `SKIP LOCKED`: a run another instance is declaring abandoned right
/// now (or whose holder is writing progress) is left to it, so concurrent recoveries split
/// the runs without waiting or taking one twice.
pub(crate) async fn abandon_expired(
    store: &PostgresReportStore,
    now: DateTime<Utc>,
    by: &str,
    limit: usize,
) -> Result<Vec<ReportSummary>, StoreError> {
    let context = "declaring expired runs abandoned";
    let fail = |error| db_error(context, error);
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut client = store.client(context).await?;
    let transaction = client.transaction().await.map_err(fail)?;
    // The column keeps microseconds: one more lets through a lease that expired within the
    // rounding, and the exact check below on the summary decides.
    let rows = transaction
        .query(
            "SELECT id, summary FROM reports WHERE status = 'syncing' AND \
             (lease_expires_at IS NULL OR lease_expires_at <= $1::timestamptz + interval '1 microsecond') \
             ORDER BY lease_expires_at ASC NULLS FIRST, id LIMIT $2 FOR UPDATE SKIP LOCKED",
            &[&now, &limit],
        )
        .await
        .map_err(fail)?;
    let mut taken = Vec::with_capacity(rows.len());
    for row in &rows {
        let read: ReportSummary = column(row, 1, row.get::<_, uuid::Uuid>(0), "summary")?;
        if !is_abandonable(&read, now) {
            continue;
        }
        let summary = abandoned(&read, now, by);
        Header::new(&summary).update(&*transaction, context).await?;
        taken.push(summary);
    }
    transaction.commit().await.map_err(fail)?;
    Ok(taken)
}

/// The condition of a report under a purge: created before the cutoff.
const OLDER: &str = "(created_secs, created_nanos) < ($1, $2)";

/// The statuses a purge may touch, as stored.
const FINAL: &str = "status IN ('completed', 'completed_with_errors', 'failed', 'discarded')";

/// Contract point 13. Deleting is one statement (the entries go with their report);
/// redacting is one transaction per report, each re-checked under its row lock.
pub(crate) async fn purge_older_than(
    store: &PostgresReportStore,
    cutoff: DateTime<Utc>,
    mode: PurgeMode,
) -> Result<PurgeReport, StoreError> {
    let context = "purging old reports";
    let fail = |error| db_error(context, error);
    let secs = cutoff.timestamp();
    let nanos = i32::try_from(cutoff.timestamp_subsec_nanos()).unwrap_or(i32::MAX);
    let mut client = store.client(context).await?;
    let kept: i64 = client
        .query_one(
            &format!("SELECT count(*) FROM reports WHERE {OLDER} AND NOT {FINAL}"),
            &[&secs, &nanos],
        )
        .await
        .map_err(fail)?
        .get(0);
    let kept = usize::try_from(kept).unwrap_or(usize::MAX);
    let purged = match mode {
        PurgeMode::Delete => client
            .execute(
                &format!("DELETE FROM reports WHERE {OLDER} AND {FINAL}"),
                &[&secs, &nanos],
            )
            .await
            .map_err(fail)?,
        PurgeMode::Redact => {
            let ids: Vec<uuid::Uuid> = client
                .query(
                    &format!("SELECT id FROM reports WHERE {OLDER} AND {FINAL} AND NOT redacted"),
                    &[&secs, &nanos],
                )
                .await
                .map_err(fail)?
                .iter()
                .map(|row| row.get(0))
                .collect();
            let mut redacted = 0;
            for id in ids {
                if redact_report(&mut client, id).await? {
                    redacted += 1;
                }
            }
            redacted
        }
    };
    Ok(PurgeReport::new(
        usize::try_from(purged).unwrap_or(usize::MAX),
        kept,
    ))
}

/// Rewrites one report's entries without personal values; `false` when it was redacted or
/// removed meanwhile.
async fn redact_report(
    client: &mut deadpool_postgres::Object,
    id: uuid::Uuid,
) -> Result<bool, StoreError> {
    let context = "redacting a report";
    let fail = |error| db_error(context, error);
    let transaction = client.transaction().await.map_err(fail)?;
    let still = transaction
        .query_opt(
            &format!("SELECT 1 FROM reports WHERE id = $1 AND {FINAL} AND NOT redacted FOR UPDATE"),
            &[&id],
        )
        .await
        .map_err(fail)?;
    if still.is_none() {
        return Ok(false);
    }
    let rows = transaction
        .query(
            "SELECT idx, entry FROM entries WHERE report_id = $1",
            &[&id],
        )
        .await
        .map_err(fail)?;
    let mut indices = Vec::with_capacity(rows.len());
    let mut entries = Vec::with_capacity(rows.len());
    for row in &rows {
        let entry: ReportEntry = column(row, 1, id, "entry")?;
        indices.push(row.get::<_, i32>(0));
        entries.push(Json(redact_entry(&entry)));
    }
    transaction
        .execute(
            "UPDATE entries AS e SET entry = v.entry \
             FROM unnest($2::int4[], $3::jsonb[]) AS v (idx, entry) \
             WHERE e.report_id = $1 AND e.idx = v.idx",
            &[&id, &indices, &entries],
        )
        .await
        .map_err(fail)?;
    transaction
        .execute("UPDATE reports SET redacted = true WHERE id = $1", &[&id])
        .await
        .map_err(fail)?;
    transaction.commit().await.map_err(fail)?;
    Ok(true)
}
