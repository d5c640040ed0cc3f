//! Report stores (SPEC R13): where sync reports live. [`MemoryReportStore`] for tests and
//! short-lived processes; `SqliteReportStore` (feature `sqlite`, on by default) as the
//! durable embedded default; `PostgresReportStore` (crate `hris-sync-store-postgres`) for
//! several application instances sharing runs.
//!
//! The functions below the trait ([`check_claim`], [`unchanged_since`], [`abandoned`] …)
//! are the contract's rules written once, for every store, in this crate or outside it.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

mod memory;
mod retention;
#[cfg(feature = "sqlite")]
mod sqlite;

pub use memory::MemoryReportStore;
pub use retention::{is_older_than, redact_entry, PurgeMode, PurgeReport, REDACTED};
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteReportStore;

use crate::error::StoreError;
use crate::model::{MasterEntry, MasterKind, Placement};
use crate::report::{
    ClaimToken, Outcome, ReportEntry, ReportId, ReportSummary, RunStatus, SyncReport, WriteIntent,
};

/// How many reports "recent" lists.
pub const RECENT: usize = 10;

/// Which summaries [`ReportStore::list`] returns: newest first, `limit` of them after
/// skipping `offset`, Discarded runs left out unless asked for.
///
/// ```
/// use hris_sync_core::store::ReportQuery;
/// let second_page = ReportQuery::latest(20).with_offset(20).with_discarded(true);
/// assert_eq!(second_page.limit, 20);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReportQuery {
    /// How many at most.
    pub limit: usize,
    /// How many of the newest to skip (for paging).
    pub offset: usize,
    /// Whether Discarded runs are listed too.
    pub include_discarded: bool,
}

impl ReportQuery {
    /// The latest `limit` runs, Discarded ones left out.
    pub fn latest(limit: usize) -> Self {
        Self {
            limit,
            offset: 0,
            include_discarded: false,
        }
    }

    /// Sets [`ReportQuery::offset`].
    pub fn with_offset(mut self, offset: usize) -> Self {
        self.offset = offset;
        self
    }

    /// Sets [`ReportQuery::include_discarded`].
    pub fn with_discarded(mut self, include: bool) -> Self {
        self.include_discarded = include;
        self
    }

    /// Whether a summary belongs in the listing (offset and limit aside).
    pub fn admits(&self, summary: &ReportSummary) -> bool {
        self.include_discarded || summary.status != RunStatus::Discarded
    }
}

/// What an applier records in one step: the intents of the writes it is about to send, the
/// outcomes of the writes that finished, and the intents it withdraws (any may be empty).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProgressBatch {
    /// Entries (by index) and the write about to be sent for each.
    pub intents: Vec<(usize, WriteIntent)>,
    /// Entries (by index) and their outcomes.
    pub outcomes: Vec<(usize, Outcome)>,
    /// Entries (by index) whose intent is withdrawn: their write was recorded but never sent
    /// (the run stopped first), so the report no longer claims it (contract point 14).
    pub withdrawn: Vec<usize>,
}

impl ProgressBatch {
    /// Whether there is nothing to record.
    pub fn is_empty(&self) -> bool {
        self.intents.is_empty() && self.outcomes.is_empty() && self.withdrawn.is_empty()
    }
}

/// Where sync reports are kept. Entries are addressed by their position in the report
/// (`index`), because codes can repeat among Invalid entries.
///
/// # Contract
///
/// 1. Each call is atomic: after a crash at any point a report reads back either before or
///    after the call, never half-written.
/// 2. [`record_progress`](Self::record_progress) costs the same per entry whatever the
///    report's size: it writes the entries it names, never the whole report.
/// 3. [`list`](Self::list) returns summaries newest first (by `created_at`, then id),
///    honouring the query's offset, limit and Discarded filter.
/// 4. Calls on an unknown id fail with [`StoreError::NotFound`]; [`load`](Self::load) and
///    [`summary`](Self::summary) return `Ok(None)` instead.
/// 5. Calls may come concurrently from several tasks (and, for a shared store, from several
///    processes).
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
///    has the status, `updated_at` and lease (token and times) the caller read; otherwise it fails with
///    [`StoreError::StatusChanged`] and changes nothing.
/// 10. The claimed calls — [`record_progress`](Self::record_progress),
///     [`renew_lease`](Self::renew_lease) and [`finish`](Self::finish) — succeed only while
///     the stored run is Syncing under a lease with the caller's [`ClaimToken`]; otherwise
///     they fail with [`StoreError::ClaimLost`] and change nothing. This fences off an
///     applier that was declared dead but is still running.
/// 11. [`request_stop`](Self::request_stop) succeeds only on a Syncing run, changes nothing
///     but the summary's `stop_requested`, and a later [`renew_lease`](Self::renew_lease)
///     returns it; [`renew_lease`](Self::renew_lease) changes nothing but the lease's
///     `renewed_at` and `expires_at`.
/// 12. [`abandon_expired`](Self::abandon_expired) turns each Syncing run whose lease has
///     expired at `now` (or that has none) into the summary [`abandoned`] makes of it, each
///     in one atomic step with the same check as [`transition`](Self::transition): of
///     several callers at once, each run is returned to exactly one. A run under a fresh
///     lease, and a run in any other status, is left alone.
/// 13. [`purge_older_than`](Self::purge_older_than) deletes, or redacts with
///     [`redact_entry`], every report created before the cutoff whose status is final
///     ([`RunStatus::is_final`]), and never changes any other report. Each report is purged
///     in one atomic step; a report already redacted is not counted again. Redacted
///     reports keep their summary, master lists and placement, and stay listed.
/// 14. A [`ProgressBatch::withdrawn`] index clears the entry's intent, atomically with the
///     rest of the batch and under the same claim check (point 10), after the batch's
///     intents and outcomes: only while the entry's outcome is still
///     [`Outcome::Pending`]. An entry with any other outcome keeps its intent and outcome
///     untouched, so a withdrawal never changes what a finished write recorded. An unknown
///     index fails as in point 7.
///
/// Every store passes the same contract tests: the public suite
/// `hris_sync_core::conformance::store` (feature `conformance`), run on each store with
/// `report_store_contract!`. [`MemoryReportStore`] is the reference.
#[async_trait]
pub trait ReportStore: Send + Sync + fmt::Debug {
    /// Records a new run: its summary, no entries yet.
    async fn insert(&self, summary: &ReportSummary) -> Result<(), StoreError>;

    /// Replaces a report's summary (status, failure, counts, actors, timestamps). Used while
    /// a run is fetched; an applier uses the claimed calls instead.
    async fn update_summary(&self, summary: &ReportSummary) -> Result<(), StoreError>;

    /// Stores the classified list and the target's master lists together with the summary,
    /// in one atomic step. Replaces any entries stored before.
    async fn save_plan(
        &self,
        summary: &ReportSummary,
        masters: &BTreeMap<MasterKind, Vec<MasterEntry>>,
        entries: &[ReportEntry],
    ) -> Result<(), StoreError>;

    /// Records a selection in one atomic step: the summary (Syncing, with the applier's
    /// lease), the placement, and [`Outcome::Pending`] on each selected entry (by index).
    async fn save_selection(
        &self,
        summary: &ReportSummary,
        placement: &Placement,
        selected: &[usize],
    ) -> Result<(), StoreError>;

    /// Replaces a report's summary with `to`, in one atomic step, only if the stored summary
    /// still has `from`'s status, `updated_at` and lease (optimistic concurrency): how a
    /// caller claims a run, such as a resume, against other engines sharing the store.
    async fn transition(&self, from: &ReportSummary, to: &ReportSummary) -> Result<(), StoreError>;

    /// Records intents and outcomes of a run this caller holds the claim on, in one atomic
    /// step (contract point 10).
    async fn record_progress(
        &self,
        id: ReportId,
        claim: ClaimToken,
        batch: &ProgressBatch,
    ) -> Result<(), StoreError>;

    /// Extends the caller's lease (contract points 10 and 11). Returns who asked the run to
    /// stop, if somebody did.
    async fn renew_lease(
        &self,
        id: ReportId,
        claim: ClaimToken,
        renewed_at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<Option<String>, StoreError>;

    /// Asks the applier of a Syncing run to stop (contract point 11).
    async fn request_stop(&self, id: ReportId, by: &str) -> Result<(), StoreError>;

    /// Ends the caller's claim: replaces the summary with `summary` (its final or Interrupted
    /// status, no lease) if the caller still holds the claim (contract point 10).
    async fn finish(&self, claim: ClaimToken, summary: &ReportSummary) -> Result<(), StoreError>;

    /// Reads a whole report.
    async fn load(&self, id: ReportId) -> Result<Option<SyncReport>, StoreError>;

    /// Reads a report's summary only.
    async fn summary(&self, id: ReportId) -> Result<Option<ReportSummary>, StoreError>;

    /// The summaries the query asks for, newest first.
    async fn list(&self, query: &ReportQuery) -> Result<Vec<ReportSummary>, StoreError>;

    /// Declares abandoned up to `limit` Syncing runs whose lease has expired at `now`
    /// (contract point 12): each becomes [`abandoned`]`(run, now, by)`. Returns the new
    /// summaries, the earliest expired lease first. A shared store lets concurrent callers
    /// split the runs between them without waiting for each other.
    async fn abandon_expired(
        &self,
        now: DateTime<Utc>,
        by: &str,
        limit: usize,
    ) -> Result<Vec<ReportSummary>, StoreError>;

    /// Deletes or redacts the final reports created before `cutoff` (contract point 13).
    async fn purge_older_than(
        &self,
        cutoff: DateTime<Utc>,
        mode: PurgeMode,
    ) -> Result<PurgeReport, StoreError>;
}

/// The order of [`ReportStore::list`]: newest `created_at` first, then the higher id.
pub fn newest_first(a: &ReportSummary, b: &ReportSummary) -> Ordering {
    (b.created_at, b.id).cmp(&(a.created_at, a.id))
}

/// The error for [`ReportStore::insert`] of an id the store holds already.
pub(crate) fn already_exists(id: ReportId) -> StoreError {
    StoreError::AlreadyExists(id)
}

/// Checks that every index addresses one of a report's `len` entries (contract point 7):
/// [`StoreError::NoSuchEntry`] names the first that does not.
pub fn check_indices(id: ReportId, len: usize, indices: &[usize]) -> Result<(), StoreError> {
    match indices.iter().find(|&&index| index >= len) {
        Some(&index) => Err(StoreError::NoSuchEntry { id, index, len }),
        None => Ok(()),
    }
}

/// Whether `stored` is still the summary a caller read as `from` (contract point 9).
pub fn unchanged_since(from: &ReportSummary, stored: &ReportSummary) -> bool {
    // The whole lease: a renewal since the read (a live applier) refuses the transition.
    stored.status == from.status
        && stored.updated_at == from.updated_at
        && stored.lease == from.lease
}

/// Checks that the caller still holds the claim on a stored run (contract point 10):
/// [`StoreError::ClaimLost`] says what the store holds instead.
pub fn check_claim(stored: &ReportSummary, claim: ClaimToken) -> Result<(), StoreError> {
    let held = stored.status == RunStatus::Syncing
        && stored
            .lease
            .as_ref()
            .is_some_and(|lease| lease.token == claim);
    if held {
        return Ok(());
    }
    let now = match &stored.lease {
        Some(lease) if stored.status == RunStatus::Syncing => {
            format!("syncing under another claim, held by {}", lease.holder)
        }
        _ => format!("the run is {}", stored.status),
    };
    Err(StoreError::ClaimLost { id: stored.id, now })
}

/// Checks that a run is Syncing, as [`ReportStore::request_stop`] needs.
pub fn check_syncing(stored: &ReportSummary) -> Result<(), StoreError> {
    if stored.status == RunStatus::Syncing {
        Ok(())
    } else {
        Err(StoreError::StatusChanged {
            id: stored.id,
            status: stored.status,
        })
    }
}

/// Whether a run may be declared abandoned at `now`: it is Syncing and its lease has
/// expired (or it has none). A live applier renews its lease, so a fresh one means the run
/// is still being applied somewhere.
pub fn is_abandonable(summary: &ReportSummary, now: DateTime<Utc>) -> bool {
    summary.status == RunStatus::Syncing
        && summary
            .lease
            .as_ref()
            .is_none_or(|lease| !lease.is_fresh_at(now))
}

/// The summary of a Syncing run declared abandoned by `by` at `now`: Interrupted (resume
/// continues it), no lease, the stop request it had (if an administrator asked the run to
/// stop before its applier died), and a failure that says who declared it and since when
/// the lease had expired. What [`ReportStore::abandon_expired`] and
/// `SyncEngine::mark_abandoned` write.
pub fn abandoned(read: &ReportSummary, now: DateTime<Utc>, by: &str) -> ReportSummary {
    let work = match &read.lease {
        Some(lease) => format!(
            "applying it ({}, lease expired {} s ago)",
            lease.holder,
            (now - lease.expires_at).num_seconds()
        ),
        None => "applying it".to_owned(),
    };
    // A stop asked for before the applier died stays on record: the run was meant to stop,
    // so recovery leaves it Interrupted (an administrator's own resume clears it).
    let asked = match &read.stop_requested {
        Some(asker) => format!("; {asker} had asked it to stop"),
        None => String::new(),
    };
    ReportSummary {
        status: RunStatus::Interrupted,
        failure: Some(format!(
            "declared abandoned by {by}: the process {work} ended{asked}"
        )),
        updated_at: now,
        lease: None,
        stop_requested: read.stop_requested.clone(),
        ..read.clone()
    }
}
