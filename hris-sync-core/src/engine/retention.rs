//! Retention (issue 11, item 4): reports hold names, kana, dates and email addresses of
//! every listed employee; old ones are deleted or redacted.

use std::time::Duration;

use super::SyncEngine;
use crate::actor::Actor;
use crate::error::SyncError;
use crate::store::{PurgeMode, PurgeReport};

impl SyncEngine {
    /// Deletes, or redacts the personal values of, every report whose run started more
    /// than `age` ago (by this engine's clock) and has ended
    /// ([`RunStatus::is_final`](crate::RunStatus::is_final)). A run that may still be
    /// applied (AwaitingSync, Syncing, Interrupted) keeps its values and is counted in
    /// [`PurgeReport::kept_not_final`]. See contract point 13 of
    /// [`ReportStore`](crate::store::ReportStore) and docs/operations.md ("Retention").
    ///
    /// # Errors
    /// [`SyncError::NotAdministrator`], store failures (the purge is atomic per report: a
    /// failure leaves each report whole, purged or not).
    pub async fn purge_reports_older_than(
        &self,
        age: Duration,
        mode: PurgeMode,
        actor: &Actor,
    ) -> Result<PurgeReport, SyncError> {
        Self::check_actor(actor)?;
        let now = self.inner.clock.now();
        // An age beyond the calendar's range purges nothing.
        let Some(cutoff) = chrono::Duration::from_std(age)
            .ok()
            .and_then(|age| now.checked_sub_signed(age))
        else {
            return Ok(PurgeReport::default());
        };
        let report = self.inner.store.purge_older_than(cutoff, mode).await?;
        tracing::info!(
            purged = report.purged,
            kept_not_final = report.kept_not_final,
            mode = ?mode,
            %cutoff,
            by = %actor.id,
            "purged old reports"
        );
        Ok(report)
    }
}
