//! The reads: a whole report from one snapshot, and the newest-first listing.

use hris_sync_core::store::ReportQuery;
use hris_sync_core::{ReportEntry, ReportId, ReportSummary, StoreError, SyncReport};
use tokio_postgres::IsolationLevel;

use crate::error::{column, db_error, optional_column};
use crate::store::PostgresReportStore;

/// [`ReportStore::load`](hris_sync_core::ReportStore::load).
pub(crate) async fn load(
    store: &PostgresReportStore,
    id: ReportId,
) -> Result<Option<SyncReport>, StoreError> {
    let context = "loading a report";
    let fail = |error| db_error(context, error);
    let mut client = store.client(context).await?;
    // One snapshot: the header and the entries as of the same moment.
    let transaction = client
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await
        .map_err(fail)?;
    let Some(header) = transaction
        .query_opt(
            "SELECT summary, masters, placement FROM reports WHERE id = $1",
            &[&id.as_uuid()],
        )
        .await
        .map_err(fail)?
    else {
        return Ok(None);
    };
    let summary: ReportSummary = column(&header, 0, id, "summary")?;
    let masters = column(&header, 1, id, "master lists")?;
    let placement = optional_column(&header, 2, id, "placement")?;
    let rows = transaction
        .query(
            "SELECT idx, entry, outcome, intent FROM entries WHERE report_id = $1 \
             ORDER BY idx",
            &[&id.as_uuid()],
        )
        .await
        .map_err(fail)?;
    let mut entries = Vec::with_capacity(rows.len());
    for row in &rows {
        let index: i32 = row.get(0);
        if usize::try_from(index).ok() != Some(entries.len()) {
            return Err(StoreError::Corrupt {
                message: format!(
                    "report {id}: entry {} is missing (found entry {index})",
                    entries.len()
                ),
                source: None,
            });
        }
        let mut entry: ReportEntry = column(row, 1, id, "entry")?;
        entry.outcome = optional_column(row, 2, id, "outcome")?;
        entry.intent = optional_column(row, 3, id, "intent")?;
        entries.push(entry);
    }
    transaction.commit().await.map_err(fail)?;
    Ok(Some(SyncReport {
        summary,
        masters,
        placement,
        entries,
    }))
}

/// [`ReportStore::list`](hris_sync_core::ReportStore::list), through the newest-first index.
pub(crate) async fn list(
    store: &PostgresReportStore,
    query: &ReportQuery,
) -> Result<Vec<ReportSummary>, StoreError> {
    let limit = i64::try_from(query.limit).unwrap_or(i64::MAX);
    let offset = i64::try_from(query.offset).unwrap_or(i64::MAX);
    let client = store.client("listing reports").await?;
    let rows = client
        .query(
            "SELECT id, summary FROM reports WHERE $3 OR status <> 'discarded' \
             ORDER BY created_secs DESC, created_nanos DESC, id DESC LIMIT $1 OFFSET $2",
            &[&limit, &offset, &query.include_discarded],
        )
        .await
        .map_err(|error| db_error("listing reports", error))?;
    rows.iter()
        .map(|row| column(row, 1, row.get::<_, uuid::Uuid>(0), "summary"))
        .collect()
}
