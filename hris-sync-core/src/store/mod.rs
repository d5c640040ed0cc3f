//! Report stores (SPEC R13): where sync reports live. [`MemoryReportStore`] for tests and
//! short-lived processes; `SqliteReportStore` (feature `sqlite`, on by default) as the
//! durable embedded default.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;

use async_trait::async_trait;

mod memory;
#[cfg(feature = "sqlite")]
mod sqlite;

pub use memory::MemoryReportStore;
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteReportStore;

use crate::error::StoreError;
use crate::model::{MasterEntry, MasterKind, Placement};
use crate::report::{Outcome, ReportEntry, ReportId, ReportSummary, SyncReport};

/// How many reports "recent" lists.
pub const RECENT: usize = 10;

/// Where sync reports are kept. Entries are addressed by their position in the report
/// (`index`), because codes can repeat among Invalid entries.
///
/// # Contract
///
/// 1. Each call is atomic: after a crash at any point a report reads back either before or
///    after the call, never half-written.
/// 2. [`record_outcome`](Self::record_outcome) costs the same whatever the report's size: it
///    writes one entry, never the whole report.
/// 3. [`list`](Self::list) returns summaries newest first (by `created_at`, then id).
/// 4. Calls on an unknown id fail with [`StoreError::NotFound`]; [`load`](Self::load) and
///    [`summary`](Self::summary) return `Ok(None)` instead.
/// 5. Calls may come concurrently from several tasks.
/// 6. [`insert`](Self::insert) of an id the store holds already fails with
///    [`StoreError::AlreadyExists`] and changes nothing.
/// 7. An entry index the report does not have fails with [`StoreError::NoSuchEntry`] and
///    changes nothing.
/// 8. [`save_selection`](Self::save_selection) sets [`Outcome::Pending`] on the given
///    entries and leaves every other entry's outcome as it was. It succeeds only while the
///    stored status is [`AwaitingSync`](crate::RunStatus::AwaitingSync); otherwise it fails with
///    [`StoreError::StatusChanged`] and changes nothing, so of two engines sharing a store
///    only one can start applying a report.
/// 9. [`transition`](Self::transition) replaces the summary only while the stored one still
///    has the status and `updated_at` the caller read; otherwise it fails with
///    [`StoreError::StatusChanged`] and changes nothing.
///
/// Every store in this crate passes the same contract tests (`tests/store_contract.rs`);
/// [`MemoryReportStore`] is the reference.
#[async_trait]
pub trait ReportStore: Send + Sync + fmt::Debug {
    /// Records a new run: its summary, no entries yet.
    async fn insert(&self, summary: &ReportSummary) -> Result<(), StoreError>;

    /// Replaces a report's summary (status, failure, counts, actors, timestamps).
    async fn update_summary(&self, summary: &ReportSummary) -> Result<(), StoreError>;

    /// Stores the classified list and the target's master lists together with the summary,
    /// in one atomic step. Replaces any entries stored before.
    async fn save_plan(
        &self,
        summary: &ReportSummary,
        masters: &BTreeMap<MasterKind, Vec<MasterEntry>>,
        entries: &[ReportEntry],
    ) -> Result<(), StoreError>;

    /// Records a selection in one atomic step: the summary, the placement, and
    /// [`Outcome::Pending`] on each selected entry (by index).
    async fn save_selection(
        &self,
        summary: &ReportSummary,
        placement: &Placement,
        selected: &[usize],
    ) -> Result<(), StoreError>;

    /// Replaces a report's summary with `to`, in one atomic step, only if the stored summary
    /// still has `from`'s status and `updated_at` (optimistic concurrency): how a caller
    /// claims a run, such as a resume, against other engines sharing the store.
    async fn transition(&self, from: &ReportSummary, to: &ReportSummary) -> Result<(), StoreError>;

    /// Records one entry's outcome.
    async fn record_outcome(
        &self,
        id: ReportId,
        index: usize,
        outcome: &Outcome,
    ) -> Result<(), StoreError>;

    /// Records several entries' outcomes, as apply does when several writes finished
    /// together. Each outcome is recorded atomically; when the call fails, the outcomes it
    /// did not record are left as they were (apply then treats them as still Pending). The
    /// default records them one after another; a store whose commits are costly records the
    /// whole batch in one step, as the SQLite store does with one transaction.
    async fn record_outcomes(
        &self,
        id: ReportId,
        outcomes: &[(usize, Outcome)],
    ) -> Result<(), StoreError> {
        for (index, outcome) in outcomes {
            self.record_outcome(id, *index, outcome).await?;
        }
        Ok(())
    }

    /// Reads a whole report.
    async fn load(&self, id: ReportId) -> Result<Option<SyncReport>, StoreError>;

    /// Reads a report's summary only.
    async fn summary(&self, id: ReportId) -> Result<Option<ReportSummary>, StoreError>;

    /// The latest `limit` summaries, newest first.
    async fn list(&self, limit: usize) -> Result<Vec<ReportSummary>, StoreError>;
}

/// The order of [`ReportStore::list`]: newest `created_at` first, then the higher id.
pub(crate) fn newest_first(a: &ReportSummary, b: &ReportSummary) -> Ordering {
    (b.created_at, b.id).cmp(&(a.created_at, a.id))
}

/// The error for [`ReportStore::insert`] of an id the store holds already.
pub(crate) fn already_exists(id: ReportId) -> StoreError {
    StoreError::AlreadyExists(id)
}

/// Checks that every index addresses one of a report's `len` entries.
pub(crate) fn check_indices(id: ReportId, len: usize, indices: &[usize]) -> Result<(), StoreError> {
    match indices.iter().find(|&&index| index >= len) {
        Some(&index) => Err(StoreError::NoSuchEntry { id, index, len }),
        None => Ok(()),
    }
}

/// Whether `stored` is still the summary a caller read as `from` (contract point 9).
pub(crate) fn unchanged_since(from: &ReportSummary, stored: &ReportSummary) -> bool {
    stored.status == from.status && stored.updated_at == from.updated_at
}
