//! The in-memory report store: the reference implementation of [`ReportStore`].

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::sync::{Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{
    check_claim, check_indices, check_syncing, is_abandonable, is_older_than, redact_entry,
    ProgressBatch, PurgeMode, PurgeReport, ReportQuery, ReportStore,
};
use crate::error::StoreError;
use crate::model::{MasterEntry, MasterKind, Placement};
use crate::report::{
    ClaimToken, Outcome, ReportEntry, ReportId, ReportSummary, RunStatus, SyncReport,
};

/// Keeps reports in memory, for tests and short-lived processes; nothing survives the
/// process. Always compiled; the reference implementation of the [`ReportStore`] contract
/// (every other store must behave like it).
///
/// Safe to share between tasks (`Arc<MemoryReportStore>`): each call takes one lock for its
/// whole duration and never holds it across an `.await`, so every call is atomic.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), hris_sync_core::StoreError> {
/// use hris_sync_core::store::{MemoryReportStore, ReportStore};
///
/// let store = MemoryReportStore::new();
/// use hris_sync_core::store::ReportQuery;
/// assert!(store.list(&ReportQuery::latest(10)).await?.is_empty());
/// # Ok(())
/// # }
/// ```
#[derive(Default)]
pub struct MemoryReportStore {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    reports: HashMap<ReportId, SyncReport>,
    /// Reports redacted by a purge, so that a later purge does not count them again.
    redacted: HashSet<ReportId>,
}

impl MemoryReportStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while the lock was held cannot leave a report half-changed: every call
        // validates first and then mutates with operations that do not panic.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn reports(&self) -> ReportsGuard<'_> {
        ReportsGuard(self.state())
    }
}

/// The lock on the state, seen as the map of reports most calls need.
struct ReportsGuard<'a>(MutexGuard<'a, State>);

impl std::ops::Deref for ReportsGuard<'_> {
    type Target = HashMap<ReportId, SyncReport>;

    fn deref(&self) -> &Self::Target {
        &self.0.reports
    }
}

impl std::ops::DerefMut for ReportsGuard<'_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0.reports
    }
}

impl fmt::Debug for MemoryReportStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryReportStore")
            .field("reports", &self.reports().len())
            .finish()
    }
}

#[async_trait]
impl ReportStore for MemoryReportStore {
    async fn insert(&self, summary: &ReportSummary) -> Result<(), StoreError> {
        let mut reports = self.reports();
        if reports.contains_key(&summary.id) {
            return Err(super::already_exists(summary.id));
        }
        reports.insert(
            summary.id,
            SyncReport {
                summary: summary.clone(),
                masters: BTreeMap::new(),
                placement: None,
                entries: Vec::new(),
            },
        );
        Ok(())
    }

    async fn update_summary(&self, summary: &ReportSummary) -> Result<(), StoreError> {
        let mut reports = self.reports();
        let report = reports
            .get_mut(&summary.id)
            .ok_or(StoreError::NotFound(summary.id))?;
        report.summary = summary.clone();
        Ok(())
    }

    async fn save_plan(
        &self,
        summary: &ReportSummary,
        masters: &BTreeMap<MasterKind, Vec<MasterEntry>>,
        entries: &[ReportEntry],
    ) -> Result<(), StoreError> {
        let mut reports = self.reports();
        let report = reports
            .get_mut(&summary.id)
            .ok_or(StoreError::NotFound(summary.id))?;
        report.summary = summary.clone();
        report.masters = masters.clone();
        report.entries = entries.to_vec();
        Ok(())
    }

    async fn save_selection(
        &self,
        summary: &ReportSummary,
        placement: &Placement,
        selected: &[usize],
    ) -> Result<(), StoreError> {
        let mut reports = self.reports();
        let report = reports
            .get_mut(&summary.id)
            .ok_or(StoreError::NotFound(summary.id))?;
        if report.summary.status != RunStatus::AwaitingSync {
            return Err(StoreError::StatusChanged {
                id: summary.id,
                status: report.summary.status,
            });
        }
        check_indices(summary.id, report.entries.len(), selected)?;
        report.summary = summary.clone();
        report.placement = Some(placement.clone());
        for &index in selected {
            report.entries[index].outcome = Some(Outcome::Pending);
        }
        Ok(())
    }

    async fn transition(&self, from: &ReportSummary, to: &ReportSummary) -> Result<(), StoreError> {
        let mut reports = self.reports();
        let report = reports
            .get_mut(&from.id)
            .ok_or(StoreError::NotFound(from.id))?;
        if !super::unchanged_since(from, &report.summary) {
            return Err(StoreError::StatusChanged {
                id: from.id,
                status: report.summary.status,
            });
        }
        report.summary = to.clone();
        Ok(())
    }

    async fn record_progress(
        &self,
        id: ReportId,
        claim: ClaimToken,
        batch: &ProgressBatch,
    ) -> Result<(), StoreError> {
        let mut reports = self.reports();
        let report = reports.get_mut(&id).ok_or(StoreError::NotFound(id))?;
        check_claim(&report.summary, claim)?;
        let indices: Vec<usize> = batch
            .intents
            .iter()
            .map(|(index, _)| *index)
            .chain(batch.outcomes.iter().map(|(index, _)| *index))
            .chain(batch.withdrawn.iter().copied())
            .collect();
        check_indices(id, report.entries.len(), &indices)?;
        for (index, intent) in &batch.intents {
            report.entries[*index].intent = Some(intent.clone());
        }
        for (index, outcome) in &batch.outcomes {
            report.entries[*index].outcome = Some(outcome.clone());
        }
        for &index in &batch.withdrawn {
            let entry = &mut report.entries[index];
            // A finished write keeps the intent it was recorded with (contract point 14).
            if entry.outcome == Some(Outcome::Pending) {
                entry.intent = None;
            }
        }
        Ok(())
    }

    async fn renew_lease(
        &self,
        id: ReportId,
        claim: ClaimToken,
        renewed_at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<Option<String>, StoreError> {
        let mut reports = self.reports();
        let report = reports.get_mut(&id).ok_or(StoreError::NotFound(id))?;
        check_claim(&report.summary, claim)?;
        if let Some(lease) = &mut report.summary.lease {
            lease.renewed_at = renewed_at;
            lease.expires_at = expires_at;
        }
        Ok(report.summary.stop_requested.clone())
    }

    async fn request_stop(&self, id: ReportId, by: &str) -> Result<(), StoreError> {
        let mut reports = self.reports();
        let report = reports.get_mut(&id).ok_or(StoreError::NotFound(id))?;
        check_syncing(&report.summary)?;
        report.summary.stop_requested = Some(by.to_owned());
        Ok(())
    }

    async fn finish(&self, claim: ClaimToken, summary: &ReportSummary) -> Result<(), StoreError> {
        let mut reports = self.reports();
        let report = reports
            .get_mut(&summary.id)
            .ok_or(StoreError::NotFound(summary.id))?;
        check_claim(&report.summary, claim)?;
        report.summary = summary.clone();
        Ok(())
    }

    async fn load(&self, id: ReportId) -> Result<Option<SyncReport>, StoreError> {
        Ok(self.reports().get(&id).cloned())
    }

    async fn summary(&self, id: ReportId) -> Result<Option<ReportSummary>, StoreError> {
        Ok(self.reports().get(&id).map(|report| report.summary.clone()))
    }

    async fn list(&self, query: &ReportQuery) -> Result<Vec<ReportSummary>, StoreError> {
        let reports = self.reports();
        let mut summaries: Vec<&ReportSummary> = reports
            .values()
            .map(|report| &report.summary)
            .filter(|summary| query.admits(summary))
            .collect();
        summaries.sort_unstable_by(|a, b| super::newest_first(a, b));
        Ok(summaries
            .into_iter()
            .skip(query.offset)
            .take(query.limit)
            .cloned()
            .collect())
    }

    async fn abandon_expired(
        &self,
        now: DateTime<Utc>,
        by: &str,
        limit: usize,
    ) -> Result<Vec<ReportSummary>, StoreError> {
        let mut reports = self.reports();
        let mut expired: Vec<&mut SyncReport> = reports
            .values_mut()
            .filter(|report| is_abandonable(&report.summary, now))
            .collect();
        expired.sort_by_key(|report| {
            let expires_at = report.summary.lease.as_ref().map(|lease| lease.expires_at);
            (expires_at, report.summary.id)
        });
        Ok(expired
            .into_iter()
            .take(limit)
            .map(|report| {
                report.summary = super::abandoned(&report.summary, now, by);
                report.summary.clone()
            })
            .collect())
    }

    async fn purge_older_than(
        &self,
        cutoff: DateTime<Utc>,
        mode: PurgeMode,
    ) -> Result<PurgeReport, StoreError> {
        let mut state = self.state();
        let State { reports, redacted } = &mut *state;
        let old: Vec<ReportId> = reports
            .values()
            .filter(|report| is_older_than(&report.summary, cutoff))
            .map(|report| report.summary.id)
            .collect();
        let (mut purged, mut kept) = (0, 0);
        for id in old {
            let Some(report) = reports.get_mut(&id) else {
                continue;
            };
            if !report.summary.status.is_final() {
                kept += 1;
                continue;
            }
            match mode {
                PurgeMode::Delete => {
                    reports.remove(&id);
                    redacted.remove(&id);
                    purged += 1;
                }
                PurgeMode::Redact => {
                    if redacted.insert(id) {
                        for entry in &mut report.entries {
                            *entry = redact_entry(entry);
                        }
                        purged += 1;
                    }
                }
            }
        }
        Ok(PurgeReport::new(purged, kept))
    }
}
