//! Recovery and housekeeping of runs: declaring a dead applier's run abandoned (one run,
//! or every expired one), and discarding a run that was never applied.

use super::apply::claim_lost;
use super::{lock, ApplyHandle, SyncEngine};
use crate::actor::Actor;
use crate::error::SyncError;
use crate::report::{ReportId, ReportSummary, RunStatus};
use crate::store;

impl SyncEngine {
    /// Declares that the process working on a run has ended (a crash, a deploy, a power
    /// cut), so the run does not stay in progress for ever: a Fetching run becomes Failed
    /// (start a new run; nothing was written), a Syncing run becomes Interrupted (continue it
    /// with [`SyncEngine::resume`]). The reason names the actor; no system is called.
    ///
    /// A Syncing run is taken only once its applier's lease has expired: a live applier
    /// renews it, so a fresh lease means the run is still being applied somewhere, and it
    /// is refused with [`SyncError::LeaseHeld`] (stop it with [`SyncEngine::stop`]). Should
    /// the old applier still be running after all (hung, not dead), its next write to the
    /// report is refused and it stops sending. (A fetch declared abandoned that is still
    /// alive may yet save its plan and make the run AwaitingSync again: harmless, since
    /// nothing is written before an apply.)
    ///
    /// # Errors
    /// [`SyncError::NotAdministrator`], [`SyncError::RunInProgress`] (this engine is working
    /// on it), [`SyncError::LeaseHeld`], [`SyncError::WrongStatus`] unless the run is
    /// Fetching or Syncing, store failures.
    pub async fn mark_abandoned(
        &self,
        id: ReportId,
        actor: &Actor,
    ) -> Result<ReportSummary, SyncError> {
        Self::check_actor(actor)?;
        let _local = self.claim_locally(id)?;
        if lock(&self.inner.fetches).contains_key(&id) {
            return Err(SyncError::RunInProgress(id));
        }
        let read = self.stored_summary(id).await?;
        let now = self.inner.clock.now();
        let summary = match read.status {
            RunStatus::Fetching => ReportSummary {
                status: RunStatus::Failed,
                failure: Some(format!(
                    "declared abandoned by {}: the process fetching it ended",
                    actor.id
                )),
                updated_at: now,
                lease: None,
                stop_requested: None,
                ..read.clone()
            },
            RunStatus::Syncing => match &read.lease {
                Some(lease) if lease.is_fresh_at(now) => {
                    return Err(SyncError::LeaseHeld {
                        id,
                        holder: lease.holder.clone(),
                        renewed_secs_ago: (now - lease.renewed_at).num_seconds(),
                        expires_in_secs: (lease.expires_at - now).num_seconds(),
                    })
                }
                _ => store::abandoned(&read, now, &actor.id),
            },
            status => {
                return Err(SyncError::WrongStatus {
                    id,
                    status,
                    expected: "fetching or syncing",
                })
            }
        };
        self.inner
            .store
            .transition(&read, &summary)
            .await
            .map_err(|error| claim_lost(error, "fetching or syncing"))?;
        Ok(summary)
    }

    /// Declares abandoned every Syncing run whose applier's lease has expired, in whichever
    /// engine or process it was applied (contract point 12 of
    /// [`ReportStore`](crate::store::ReportStore)): each becomes Interrupted, as
    /// [`SyncEngine::mark_abandoned`] would make it. With `resume`, this engine then
    /// resumes each run it declared abandoned (never a run an administrator stopped).
    ///
    /// What an application instance calls at start-up and then every lease or so: of
    /// several instances doing it at once, each expired run is taken by exactly one. Runs
    /// under a fresh lease are left alone, so a live applier is never disturbed.
    ///
    /// # Errors
    /// [`SyncError::NotAdministrator`], store failures while declaring. A resume that is
    /// refused (another engine claimed the run first, a maintenance window) is reported in
    /// [`Recovery::not_resumed`], not as an error.
    pub async fn recover_expired(
        &self,
        actor: &Actor,
        resume: bool,
    ) -> Result<Recovery, SyncError> {
        Self::check_actor(actor)?;
        let mut recovery = Recovery::default();
        loop {
            let now = self.inner.clock.now();
            let batch = self
                .inner
                .store
                .abandon_expired(now, &actor.id, RECOVERY_BATCH)
                .await?;
            let done = batch.len() < RECOVERY_BATCH;
            recovery.abandoned.extend(batch);
            if done {
                break;
            }
        }
        if resume {
            for summary in &recovery.abandoned {
                if let Some(asker) = &summary.stop_requested {
                    // The run was meant to stop: only an administrator's own resume goes on.
                    recovery.left_stopped.push((summary.id, asker.clone()));
                    continue;
                }
                match self.begin_resume(summary.id, actor, None).await {
                    Ok(handle) => recovery.resumed.push(handle),
                    Err(error) => recovery.not_resumed.push((summary.id, error)),
                }
            }
        }
        Ok(recovery)
    }

    /// Puts aside a run that was never applied (a dry run, a refused selection): its status
    /// becomes Discarded, it is kept for audit, and [`SyncEngine::recent`] no longer lists it
    /// ([`SyncEngine::list`] does when asked).
    ///
    /// # Errors
    /// [`SyncError::NotAdministrator`], [`SyncError::ReportNotFound`],
    /// [`SyncError::WrongStatus`] unless the run is AwaitingSync (also when another engine
    /// started applying it meanwhile), store failures.
    pub async fn discard(&self, id: ReportId, actor: &Actor) -> Result<ReportSummary, SyncError> {
        Self::check_actor(actor)?;
        let read = self.stored_summary(id).await?;
        if read.status != RunStatus::AwaitingSync {
            return Err(SyncError::WrongStatus {
                id,
                status: read.status,
                expected: "awaiting_sync",
            });
        }
        let mut summary = read.clone();
        summary.status = RunStatus::Discarded;
        summary.failure = Some(format!("discarded by {} without being applied", actor.id));
        summary.updated_at = self.inner.clock.now();
        self.inner
            .store
            .transition(&read, &summary)
            .await
            .map_err(|error| claim_lost(error, "awaiting_sync"))?;
        Ok(summary)
    }

    pub(super) async fn stored_summary(&self, id: ReportId) -> Result<ReportSummary, SyncError> {
        self.inner
            .store
            .summary(id)
            .await?
            .ok_or(SyncError::ReportNotFound(id))
    }
}

/// How many runs [`SyncEngine::recover_expired`] declares abandoned per store call.
const RECOVERY_BATCH: usize = 100;

/// What [`SyncEngine::recover_expired`] did.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct Recovery {
    /// The runs declared abandoned (now Interrupted, as stored), earliest expired first.
    pub abandoned: Vec<ReportSummary>,
    /// The resumes this engine started (when asked to resume): wait on each for its end.
    pub resumed: Vec<ApplyHandle>,
    /// Runs declared abandoned that this engine did not resume, and why (another engine
    /// claimed the run first, a maintenance window).
    pub not_resumed: Vec<(ReportId, SyncError)>,
    /// Runs declared abandoned that an administrator had asked to stop before their
    /// applier ended, and who asked: left Interrupted, never resumed by recovery.
    pub left_stopped: Vec<(ReportId, String)>,
}
