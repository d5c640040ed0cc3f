//! The [`ReportStore`] contract, in SQL: the writes. The reads are in `reads.rs`, retention
//! and recovery in `housekeeping.rs`.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use hris_sync_core::store::{
    check_claim, check_syncing, unchanged_since, ProgressBatch, PurgeMode, PurgeReport,
    ReportQuery, ReportStore,
};
use hris_sync_core::{
    ClaimToken, MasterEntry, MasterKind, Outcome, Placement, ReportEntry, ReportId, ReportSummary,
    RunStatus, StoreError, SyncReport,
};
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::{Json, ToSql, Type};
use tokio_postgres::GenericClient;

use crate::error::db_error;
use crate::store::{missing_entry, sql_index, stored_summary, Header, PostgresReportStore};

#[async_trait]
impl ReportStore for PostgresReportStore {
    async fn insert(&self, summary: &ReportSummary) -> Result<(), StoreError> {
        let header = Header::new(summary);
        let client = self.client("inserting a report").await?;
        let inserted = client
            .execute(
                "INSERT INTO reports (id, created_secs, created_nanos, status, lease_token, \
                 lease_expires_at, summary) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 ON CONFLICT (id) DO NOTHING",
                &[
                    &header.id,
                    &header.created_secs,
                    &header.created_nanos,
                    &header.status,
                    &header.lease_token,
                    &header.lease_expires_at,
                    &header.summary,
                ],
            )
            .await
            .map_err(|error| db_error("inserting a report", error))?;
        if inserted == 0 {
            return Err(StoreError::AlreadyExists(summary.id));
        }
        Ok(())
    }

    async fn update_summary(&self, summary: &ReportSummary) -> Result<(), StoreError> {
        let client = self.client("updating a report summary").await?;
        if Header::new(summary)
            .update(&**client, "updating a report summary")
            .await?
        {
            Ok(())
        } else {
            Err(StoreError::NotFound(summary.id))
        }
    }

    /// One transaction: the header, then the entries streamed with binary `COPY`, so a
    /// plan of 100,000 employees is one round trip of rows and bounded memory on both ends.
    async fn save_plan(
        &self,
        summary: &ReportSummary,
        masters: &BTreeMap<MasterKind, Vec<MasterEntry>>,
        entries: &[ReportEntry],
    ) -> Result<(), StoreError> {
        let context = "saving a plan";
        let fail = |error| db_error(context, error);
        let mut client = self.client(context).await?;
        let transaction = client.transaction().await.map_err(fail)?;
        let header = Header::new(summary);
        if !header.update(&*transaction, context).await? {
            return Err(StoreError::NotFound(summary.id));
        }
        transaction
            .execute(
                "UPDATE reports SET masters = $2 WHERE id = $1",
                &[&header.id, &Json(masters)],
            )
            .await
            .map_err(fail)?;
        transaction
            .execute("DELETE FROM entries WHERE report_id = $1", &[&header.id])
            .await
            .map_err(fail)?;
        let sink = transaction
            .copy_in("COPY entries (report_id, idx, entry, outcome, intent) FROM STDIN BINARY")
            .await
            .map_err(fail)?;
        let writer = BinaryCopyInWriter::new(
            sink,
            &[
                Type::UUID,
                Type::INT4,
                Type::JSONB,
                Type::JSONB,
                Type::JSONB,
            ],
        );
        let mut writer = std::pin::pin!(writer);
        for (index, entry) in entries.iter().enumerate() {
            let index = i32::try_from(index).map_err(|_| StoreError::Backend {
                message: format!("{context}: more than {} entries", i32::MAX),
                source: None,
            })?;
            // The outcome and the intent have columns of their own (one-row updates).
            let bare = ReportEntry {
                outcome: None,
                intent: None,
                ..entry.clone()
            };
            let row: [&(dyn ToSql + Sync); 5] = [
                &header.id,
                &index,
                &Json(&bare),
                &entry.outcome.as_ref().map(Json),
                &entry.intent.as_ref().map(Json),
            ];
            writer.as_mut().write(&row).await.map_err(fail)?;
        }
        writer.as_mut().finish().await.map_err(fail)?;
        transaction.commit().await.map_err(fail)
    }

    async fn save_selection(
        &self,
        summary: &ReportSummary,
        placement: &Placement,
        selected: &[usize],
    ) -> Result<(), StoreError> {
        let context = "saving a selection";
        let fail = |error| db_error(context, error);
        let id = summary.id;
        let mut client = self.client(context).await?;
        let transaction = client.transaction().await.map_err(fail)?;
        // The row lock makes the status check and the writes one step (contract point 8).
        let stored = stored_summary(&*transaction, id, true)
            .await?
            .ok_or(StoreError::NotFound(id))?;
        if stored.status != RunStatus::AwaitingSync {
            return Err(StoreError::StatusChanged {
                id,
                status: stored.status,
            });
        }
        let mut indices: Vec<i32> = selected.iter().map(|&index| sql_index(index)).collect();
        indices.sort_unstable();
        indices.dedup();
        let marked = transaction
            .execute(
                "UPDATE entries SET outcome = $3 WHERE report_id = $1 AND idx = ANY($2)",
                &[&id.as_uuid(), &indices, &Json(Outcome::Pending)],
            )
            .await
            .map_err(fail)?;
        if usize::try_from(marked).ok() != Some(indices.len()) {
            // Dropping the transaction rolls every change of this call back.
            return Err(missing_entry(&*transaction, id, selected).await);
        }
        let header = Header::new(summary);
        header.update(&*transaction, context).await?;
        transaction
            .execute(
                "UPDATE reports SET placement = $2 WHERE id = $1",
                &[&header.id, &Json(placement)],
            )
            .await
            .map_err(fail)?;
        transaction.commit().await.map_err(fail)
    }

    async fn transition(&self, from: &ReportSummary, to: &ReportSummary) -> Result<(), StoreError> {
        let context = "claiming a report";
        let fail = |error| db_error(context, error);
        let mut client = self.client(context).await?;
        let transaction = client.transaction().await.map_err(fail)?;
        let stored = stored_summary(&*transaction, from.id, true)
            .await?
            .ok_or(StoreError::NotFound(from.id))?;
        if !unchanged_since(from, &stored) {
            return Err(StoreError::StatusChanged {
                id: from.id,
                status: stored.status,
            });
        }
        Header::new(to).update(&*transaction, context).await?;
        transaction.commit().await.map_err(fail)
    }

    /// One transaction, one statement per column however many entries the batch names.
    async fn record_progress(
        &self,
        id: ReportId,
        claim: ClaimToken,
        batch: &ProgressBatch,
    ) -> Result<(), StoreError> {
        let context = "recording progress";
        let fail = |error| db_error(context, error);
        let mut client = self.client(context).await?;
        let transaction = client.transaction().await.map_err(fail)?;
        check_claim_shared(&transaction, id, claim).await?;
        let named: Vec<usize> = batch
            .intents
            .iter()
            .map(|(index, _)| *index)
            .chain(batch.outcomes.iter().map(|(index, _)| *index))
            .chain(batch.withdrawn.iter().copied())
            .collect();
        for (column, values) in [
            ("intent", last_per_index(&batch.intents)?),
            ("outcome", last_per_index(&batch.outcomes)?),
        ] {
            if values.is_empty() {
                continue;
            }
            let (indices, json): (Vec<i32>, Vec<serde_json::Value>) = values.into_iter().unzip();
            let changed = transaction
                .execute(
                    &format!(
                        "UPDATE entries AS e SET {column} = v.value \
                         FROM unnest($2::int4[], $3::jsonb[]) AS v (idx, value) \
                         WHERE e.report_id = $1 AND e.idx = v.idx"
                    ),
                    &[&id.as_uuid(), &indices, &json],
                )
                .await
                .map_err(fail)?;
            if usize::try_from(changed).ok() != Some(indices.len()) {
                return Err(missing_entry(&*transaction, id, &named).await);
            }
        }
        if !batch.withdrawn.is_empty() {
            withdraw(&*transaction, id, &batch.withdrawn, &named).await?;
        }
        transaction.commit().await.map_err(fail)
    }

    async fn renew_lease(
        &self,
        id: ReportId,
        claim: ClaimToken,
        renewed_at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<Option<String>, StoreError> {
        let context = "renewing a lease";
        let fail = |error| db_error(context, error);
        let mut client = self.client(context).await?;
        let transaction = client.transaction().await.map_err(fail)?;
        let mut summary = stored_summary(&*transaction, id, true)
            .await?
            .ok_or(StoreError::NotFound(id))?;
        check_claim(&summary, claim)?;
        if let Some(lease) = &mut summary.lease {
            lease.renewed_at = renewed_at;
            lease.expires_at = expires_at;
        }
        Header::new(&summary).update(&*transaction, context).await?;
        transaction.commit().await.map_err(fail)?;
        Ok(summary.stop_requested)
    }

    async fn request_stop(&self, id: ReportId, by: &str) -> Result<(), StoreError> {
        let context = "asking a run to stop";
        let fail = |error| db_error(context, error);
        let mut client = self.client(context).await?;
        let transaction = client.transaction().await.map_err(fail)?;
        let mut summary = stored_summary(&*transaction, id, true)
            .await?
            .ok_or(StoreError::NotFound(id))?;
        check_syncing(&summary)?;
        summary.stop_requested = Some(by.to_owned());
        Header::new(&summary).update(&*transaction, context).await?;
        transaction.commit().await.map_err(fail)
    }

    async fn finish(&self, claim: ClaimToken, summary: &ReportSummary) -> Result<(), StoreError> {
        let context = "ending a run";
        let fail = |error| db_error(context, error);
        let mut client = self.client(context).await?;
        let transaction = client.transaction().await.map_err(fail)?;
        let stored = stored_summary(&*transaction, summary.id, true)
            .await?
            .ok_or(StoreError::NotFound(summary.id))?;
        check_claim(&stored, claim)?;
        Header::new(summary).update(&*transaction, context).await?;
        transaction.commit().await.map_err(fail)
    }

    async fn load(&self, id: ReportId) -> Result<Option<SyncReport>, StoreError> {
        crate::reads::load(self, id).await
    }

    async fn summary(&self, id: ReportId) -> Result<Option<ReportSummary>, StoreError> {
        let client = self.client("reading a report summary").await?;
        stored_summary(&**client, id, false).await
    }

    async fn list(&self, query: &ReportQuery) -> Result<Vec<ReportSummary>, StoreError> {
        crate::reads::list(self, query).await
    }

    async fn abandon_expired(
        &self,
        now: DateTime<Utc>,
        by: &str,
        limit: usize,
    ) -> Result<Vec<ReportSummary>, StoreError> {
        crate::housekeeping::abandon_expired(self, now, by, limit).await
    }

    async fn purge_older_than(
        &self,
        cutoff: DateTime<Utc>,
        mode: PurgeMode,
    ) -> Result<PurgeReport, StoreError> {
        crate::housekeeping::purge_older_than(self, cutoff, mode).await
    }
}

/// Checks the claim (contract point 10) and holds the report's row with `FOR SHARE` until
/// the transaction ends: progress writes of one holder go on side by side, while a
/// takeover (`FOR UPDATE`) waits for them, and the writes after it see the new claim.
async fn check_claim_shared(
    transaction: &deadpool_postgres::Transaction<'_>,
    id: ReportId,
    claim: ClaimToken,
) -> Result<(), StoreError> {
    let row = transaction
        .query_opt(
            "SELECT status = 'syncing' AND lease_token = $2 FROM reports WHERE id = $1 \
             FOR SHARE",
            &[&id.as_uuid(), &claim.as_uuid()],
        )
        .await
        .map_err(|error| db_error("checking the claim on a run", error))?
        .ok_or(StoreError::NotFound(id))?;
    if row.get::<_, Option<bool>>(0) == Some(true) {
        return Ok(());
    }
    // Refused: the summary says what holds the run now.
    let stored = stored_summary(&**transaction, id, false)
        .await?
        .ok_or(StoreError::NotFound(id))?;
    check_claim(&stored, claim)?;
    Err(StoreError::Corrupt {
        message: format!("report {id}: the lease columns disagree with the summary"),
        source: None,
    })
}

/// The batch's values as JSON, one per index (the last one given wins, as in the
/// reference store), in index order.
fn last_per_index<T: serde::Serialize>(
    values: &[(usize, T)],
) -> Result<Vec<(i32, serde_json::Value)>, StoreError> {
    values
        .iter()
        .map(|(index, value)| (sql_index(*index), value))
        .collect::<BTreeMap<_, _>>()
        .into_iter()
        .map(|(index, value)| {
            let json = serde_json::to_value(value)
                .map_err(|error| StoreError::backend("encoding progress", error))?;
            Ok((index, json))
        })
        .collect()
}

/// Clears the intents of `withdrawn` entries still Pending, after the batch's outcomes
/// (contract point 14): a finished write keeps its intent. Every index must exist.
async fn withdraw(
    client: &impl GenericClient,
    id: ReportId,
    withdrawn: &[usize],
    named: &[usize],
) -> Result<(), StoreError> {
    let fail = |error| db_error("withdrawing intents", error);
    let indices: Vec<i32> = withdrawn
        .iter()
        .map(|index| sql_index(*index))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let pending = serde_json::to_value(Outcome::Pending)
        .map_err(|error| StoreError::backend("encoding progress", error))?;
    // One statement: the matched rows count the indices that exist, the update touches
    // only those still Pending.
    let row = client
        .query_one(
            "WITH named AS ( \
                 SELECT e.idx FROM entries AS e \
                 WHERE e.report_id = $1 AND e.idx = ANY($2::int4[]) \
             ), cleared AS ( \
                 UPDATE entries AS e SET intent = NULL \
                 WHERE e.report_id = $1 AND e.idx = ANY($2::int4[]) AND e.outcome = $3::jsonb \
                 RETURNING 1 \
             ) SELECT (SELECT count(*) FROM named), (SELECT count(*) FROM cleared)",
            &[&id.as_uuid(), &indices, &pending],
        )
        .await
        .map_err(fail)?;
    if usize::try_from(row.get::<_, i64>(0)).ok() != Some(indices.len()) {
        return Err(missing_entry(client, id, named).await);
    }
    Ok(())
}
