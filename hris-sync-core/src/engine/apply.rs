//! Preview, apply, resume and stop (SPEC R6, R7, R10–R13, S5). The writes of a run go out
//! from a task the engine owns: the caller's future only waits for it, so a caller that
//! gives up (a closed browser, a timeout) never strands a run or loses an outcome.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;
use tracing::Instrument;

use super::{lock, ApplyRequest, Inner, PlannedWrite, ProgressFn, Selection, SyncEngine};
use crate::actor::Actor;
use crate::applier::{self, ApplyContext};
use crate::error::{StoreError, SyncError};
use crate::guards;
use crate::model::MasterKind;
use crate::report::{
    ChangeKind, ClaimToken, Direction, Lease, Outcome, ReportId, RunStatus, SyncReport,
};
use crate::system::{EmployeeSystem, EmployeeUpdate};

/// An apply or resume running in the engine's task, returned once the run is claimed
/// (status Syncing). Dropping the handle leaves the apply running; [`ApplyHandle::wait`]
/// waits for its end.
#[derive(Debug)]
pub struct ApplyHandle {
    id: ReportId,
    task: JoinHandle<Option<Result<SyncReport, SyncError>>>,
}

impl ApplyHandle {
    /// The run.
    pub fn id(&self) -> ReportId {
        self.id
    }

    /// Waits until the apply ends and returns the report as it ended: Completed,
    /// CompletedWithErrors or Interrupted.
    ///
    /// # Errors
    /// A store failure mid-apply (the run is then Interrupted where the store still took
    /// that write), or [`StoreError::ClaimLost`] when another engine took the run over.
    pub async fn wait(self) -> Result<SyncReport, SyncError> {
        match self.task.await {
            Ok(Some(result)) => result,
            // The task returns None only when the claim failed, and then no handle exists.
            Ok(None) => unreachable!("an apply handle exists only for a claimed run"),
            Err(error) => match error.try_into_panic() {
                Ok(panic) => std::panic::resume_unwind(panic),
                Err(error) => {
                    Err(StoreError::backend("the apply task was cancelled", error).into())
                }
            },
        }
    }
}

/// Marks a report as being applied by this engine until dropped, and carries the signal
/// [`SyncEngine::stop`] sends.
pub(crate) struct LocalClaim {
    engine: Arc<Inner>,
    id: ReportId,
    pub(crate) stop: watch::Receiver<Option<String>>,
}

impl Drop for LocalClaim {
    fn drop(&mut self) {
        lock(&self.engine.applying).remove(&self.id);
    }
}

impl SyncEngine {
    /// The writes an apply of this selection would send, without sending anything (B2).
    ///
    /// # Errors
    /// As the validation of [`SyncEngine::apply`].
    pub async fn preview(
        &self,
        id: ReportId,
        request: &ApplyRequest,
    ) -> Result<Vec<PlannedWrite>, SyncError> {
        let report = self.report(id).await?;
        expect_status(&report, &[RunStatus::AwaitingSync], "awaiting_sync")?;
        let (_, target) = self.sides(report.summary.direction);
        let selected = validate_request(&report, request, target, &self.inner.options)?;
        // Writes come from the plan, whose differences already leave out the clears a
        // guard held back.
        Ok(selected
            .into_iter()
            .filter_map(|index| {
                let entry = &report.entries[index];
                match (entry.kind, &entry.target_id) {
                    (ChangeKind::New, _) => Some(PlannedWrite::Create {
                        employee: Box::new(entry.employee.clone()),
                        placement: request.placement.clone(),
                    }),
                    (ChangeKind::Changed, Some(id)) => Some(PlannedWrite::Update {
                        id: id.clone(),
                        update: EmployeeUpdate::from_fields(
                            &entry.employee,
                            entry.differences.iter().map(|difference| difference.field),
                        ),
                    }),
                    _ => None,
                }
            })
            .collect())
    }

    /// Applies a selection (SPEC R6, R7, R10, R11) and waits for the end: validates it
    /// against the report and the target's master lists (nothing written on error), claims
    /// the run (status Syncing), then creates the New, updates the Changed (only differing
    /// fields) and skips the Unchanged, recording each write's intent before it is sent and
    /// its outcome after. Returns the report as it ends: Completed, CompletedWithErrors, or
    /// Interrupted (resume with [`SyncEngine::resume`]).
    ///
    /// Dropping this future does not stop the apply: it goes on in the engine's task and
    /// records every outcome (see [`SyncEngine::begin_apply`] and [`SyncEngine::stop`]).
    ///
    /// # Errors
    /// Refusals before anything is recorded or written: [`SyncError::NotAdministrator`],
    /// [`SyncError::WrongStatus`], [`SyncError::RunInProgress`],
    /// [`SyncError::EmptySelection`], [`SyncError::InvalidSelection`],
    /// [`SyncError::MissingPlacement`], [`SyncError::UnknownPlacement`],
    /// [`SyncError::MassResignationNotAcknowledged`], [`SyncError::MaintenanceWindow`]; and
    /// store failures.
    pub async fn apply(
        &self,
        id: ReportId,
        request: ApplyRequest,
        actor: &Actor,
    ) -> Result<SyncReport, SyncError> {
        self.begin_apply(id, request, actor).await?.wait().await
    }

    /// As [`SyncEngine::apply`], but returns as soon as the run is claimed (status
    /// Syncing), with a handle to wait on: what a web handler calls before it redirects to
    /// the report's page.
    ///
    /// # Errors
    /// The refusals of [`SyncEngine::apply`].
    pub async fn begin_apply(
        &self,
        id: ReportId,
        request: ApplyRequest,
        actor: &Actor,
    ) -> Result<ApplyHandle, SyncError> {
        Self::check_actor(actor)?;
        let local = self.claim_locally(id)?;
        let mut report = self.report(id).await?;
        expect_status(&report, &[RunStatus::AwaitingSync], "awaiting_sync")?;
        let (_, target) = self.sides(report.summary.direction);
        let selected = validate_request(&report, &request, target, &self.inner.options)?;
        self.check_window(target)?;

        let claim = ClaimToken::new();
        let now = self.inner.clock.now();
        report.summary.status = RunStatus::Syncing;
        report.summary.applied_by = Some(actor.clone());
        report.summary.updated_at = now;
        report.summary.lease = Some(self.lease(claim, now));
        report.summary.stop_requested = None;
        for index in &selected {
            report.entries[*index].outcome = Some(Outcome::Pending);
        }
        report.placement = Some(request.placement.clone());
        let store = self.inner.store.clone();
        let summary = report.summary.clone();
        let placement = request.placement;
        self.spawn_claimed(report, claim, local, request.progress, async move {
            store
                .save_selection(&summary, &placement, &selected)
                .await
                .map_err(|error| claim_lost(error, "awaiting_sync"))
        })
        .await
    }

    /// Continues an interrupted apply (SPEC R12, R13) and waits for the end: only employees
    /// without a final outcome are processed, after a fresh read of the target so nothing
    /// is created twice. An employee whose write this run had recorded as sent is reported
    /// as what this run did (Created, Updated) when the fresh read shows the write landed.
    ///
    /// The run must be Interrupted. A run left Syncing by a process that ended is first
    /// declared abandoned with [`SyncEngine::mark_abandoned`]. Claiming the run is one
    /// atomic step in the store, so of two engines resuming the same report only one goes on.
    ///
    /// # Errors
    /// [`SyncError::NotAdministrator`], [`SyncError::WrongStatus`] (also when another engine
    /// claimed the run first), [`SyncError::RunInProgress`], [`SyncError::MaintenanceWindow`],
    /// store failures.
    pub async fn resume(
        &self,
        id: ReportId,
        actor: &Actor,
        progress: Option<ProgressFn>,
    ) -> Result<SyncReport, SyncError> {
        self.begin_resume(id, actor, progress).await?.wait().await
    }

    /// As [`SyncEngine::resume`], but returns as soon as the run is claimed.
    ///
    /// # Errors
    /// The refusals of [`SyncEngine::resume`].
    pub async fn begin_resume(
        &self,
        id: ReportId,
        actor: &Actor,
        progress: Option<ProgressFn>,
    ) -> Result<ApplyHandle, SyncError> {
        Self::check_actor(actor)?;
        let local = self.claim_locally(id)?;
        let mut report = self.report(id).await?;
        expect_status(&report, &[RunStatus::Interrupted], "interrupted")?;
        let (_, target) = self.sides(report.summary.direction);
        self.check_window(target)?;
        let read = report.summary.clone();
        let claim = ClaimToken::new();
        let now = self.inner.clock.now();
        report.summary.status = RunStatus::Syncing;
        report.summary.failure = None;
        report.summary.applied_by = Some(actor.clone());
        report.summary.updated_at = now;
        report.summary.lease = Some(self.lease(claim, now));
        report.summary.stop_requested = None;
        let store = self.inner.store.clone();
        let summary = report.summary.clone();
        self.spawn_claimed(report, claim, local, progress, async move {
            store
                .transition(&read, &summary)
                .await
                .map_err(|error| claim_lost(error, "interrupted"))
        })
        .await
    }

    /// Asks a Syncing run to stop gracefully: writes in flight finish and are recorded, the
    /// rest stay Pending, and the run ends Interrupted (resumable). Returns at once; the
    /// apply's own future or handle returns the Interrupted report when it has stopped.
    ///
    /// A run applied by this engine hears of it at once; one applied by another engine
    /// sharing the store hears of it at its next lease renewal (within a third of
    /// [`SyncOptions::lease_duration`](super::SyncOptions::lease_duration)).
    ///
    /// # Errors
    /// [`SyncError::NotAdministrator`], [`SyncError::ReportNotFound`],
    /// [`SyncError::WrongStatus`] unless the run is Syncing, store failures.
    pub async fn stop(&self, id: ReportId, actor: &Actor) -> Result<(), SyncError> {
        Self::check_actor(actor)?;
        if let Some(stop) = lock(&self.inner.applying).get(&id) {
            stop.send_replace(Some(actor.id.clone()));
            return Ok(());
        }
        self.inner
            .store
            .request_stop(id, &actor.id)
            .await
            .map_err(|error| match error {
                StoreError::NotFound(id) => SyncError::ReportNotFound(id),
                error => claim_lost(error, "syncing"),
            })
    }

    /// A fresh lease for this engine.
    pub(crate) fn lease(&self, token: ClaimToken, now: chrono::DateTime<chrono::Utc>) -> Lease {
        Lease {
            token,
            holder: self.inner.instance.clone(),
            renewed_at: now,
            expires_at: now + lease_span(&self.inner.options),
        }
    }

    /// Registers a report as applied by this engine; refused if it is already.
    pub(crate) fn claim_locally(&self, id: ReportId) -> Result<LocalClaim, SyncError> {
        let mut applying = lock(&self.inner.applying);
        if applying.contains_key(&id) {
            return Err(SyncError::RunInProgress(id));
        }
        let (sender, receiver) = watch::channel(None);
        applying.insert(id, sender);
        Ok(LocalClaim {
            engine: self.inner.clone(),
            id,
            stop: receiver,
        })
    }

    /// Claims the run with `claim_in_store` and applies it, both in the engine's task;
    /// returns once the claim is decided.
    async fn spawn_claimed<C>(
        &self,
        report: SyncReport,
        claim: ClaimToken,
        local: LocalClaim,
        progress: Option<ProgressFn>,
        claim_in_store: C,
    ) -> Result<ApplyHandle, SyncError>
    where
        C: std::future::Future<Output = Result<(), SyncError>> + Send + 'static,
    {
        let id = report.summary.id;
        let engine = self.clone();
        let (claimed, decided) = oneshot::channel();
        let task = tokio::spawn(async move {
            if let Err(error) = claim_in_store.await {
                let _ = claimed.send(Err(error));
                return None;
            }
            let _ = claimed.send(Ok(()));
            Some(engine.run_apply(report, claim, local, progress).await)
        });
        match decided.await {
            Ok(Ok(())) => Ok(ApplyHandle { id, task }),
            Ok(Err(error)) => Err(error),
            // The task ended before deciding: it panicked; show that panic.
            Err(_) => match task.await {
                Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
                _ => Err(StoreError::backend(
                    "the apply task ended before claiming the run",
                    "no claim decision",
                )
                .into()),
            },
        }
    }

    async fn run_apply(
        &self,
        report: SyncReport,
        claim: ClaimToken,
        local: LocalClaim,
        progress: Option<ProgressFn>,
    ) -> Result<SyncReport, SyncError> {
        let id = report.summary.id;
        let direction = report.summary.direction;
        let target: Arc<dyn EmployeeSystem> = match direction {
            Direction::Export => self.inner.attendance.clone(),
            Direction::Import => self.inner.hr.clone(),
        };
        let span = tracing::info_span!(
            "sync_apply",
            report = %id,
            vendor = %report.summary.vendor,
            direction = %direction,
        );
        let mut summary = report.summary.clone();
        let options = &self.inner.options;
        let result = applier::run(ApplyContext {
            report,
            target,
            store: self.inner.store.clone(),
            clock: self.inner.clock.clone(),
            policy: options.comparison,
            concurrency: options.apply_concurrency,
            create_attempts: options.create_attempts,
            create_backoff: options.create_backoff.clone(),
            lease_duration: options.lease_duration,
            claim,
            stop: local.stop.clone(),
            progress,
        })
        .instrument(span)
        .await;
        summary.lease = None;
        summary.stop_requested = None;
        summary.updated_at = self.inner.clock.now();
        let ending = match result {
            Ok(ending) => ending,
            Err(error @ SyncError::Store(StoreError::ClaimLost { .. })) => {
                // Another engine holds the run now: nothing more is ours to write.
                tracing::warn!(error = %error, "the claim on the run was lost; stopped sending");
                return Err(error);
            }
            Err(error) => {
                // The store failed mid-apply. Say so on the report if the store still takes
                // a small write, so it does not sit in Syncing as if still running; resume
                // continues the employees whose outcome was not recorded either way.
                summary.status = RunStatus::Interrupted;
                summary.failure = Some(format!("apply stopped: {error}"));
                if let Err(also) = self.inner.store.finish(claim, &summary).await {
                    tracing::error!(report = %id, error = %also, "report left in status syncing");
                }
                return Err(error);
            }
        };
        summary.status = ending.status;
        summary.failure = ending.failure;
        self.inner.store.finish(claim, &summary).await?;
        drop(local);
        self.report(id).await
    }
}

/// The lease's length as a calendar span.
pub(crate) fn lease_span(options: &super::SyncOptions) -> chrono::Duration {
    chrono::Duration::from_std(options.lease_duration).unwrap_or(chrono::Duration::MAX)
}

/// A store's refusal to let this engine claim a run, as the engine reports it.
pub(crate) fn claim_lost(error: StoreError, expected: &'static str) -> SyncError {
    match error {
        StoreError::StatusChanged { id, status } => SyncError::WrongStatus {
            id,
            status,
            expected,
        },
        error => error.into(),
    }
}

pub(crate) fn expect_status(
    report: &SyncReport,
    allowed: &[RunStatus],
    expected: &'static str,
) -> Result<(), SyncError> {
    if allowed.contains(&report.summary.status) {
        Ok(())
    } else {
        Err(SyncError::WrongStatus {
            id: report.summary.id,
            status: report.summary.status,
            expected,
        })
    }
}

/// The indices of the selected entries, after every check of SPEC R6 and R7. A requested
/// code matches an entry when both fold to the same match key (surrounding blanks and
/// full-width forms are cosmetic, SPEC B1).
fn validate_request(
    report: &SyncReport,
    request: &ApplyRequest,
    target: &dyn EmployeeSystem,
    options: &super::SyncOptions,
) -> Result<Vec<usize>, SyncError> {
    let policy = &options.comparison;
    let selected: Vec<usize> = match &request.selection {
        Selection::Kinds(kinds) => report
            .entries
            .iter()
            .enumerate()
            .filter(|(_, entry)| entry.is_selectable() && kinds.contains(&entry.kind))
            .map(|(index, _)| index)
            .collect(),
        Selection::Codes(codes) => {
            let mut by_key: HashMap<String, Vec<usize>> = HashMap::new();
            for (index, entry) in report.entries.iter().enumerate() {
                by_key
                    .entry(policy.match_key(&entry.code).into_owned())
                    .or_default()
                    .push(index);
            }
            let (mut invalid, mut unknown, mut selected) = (Vec::new(), Vec::new(), Vec::new());
            let mut seen = HashSet::new();
            for code in codes {
                let key = policy.match_key(code).into_owned();
                match by_key.get(&key).map(Vec::as_slice) {
                    None => unknown.push(code.clone()),
                    Some(_) if !seen.insert(key) => {}
                    Some([index]) if report.entries[*index].is_selectable() => {
                        selected.push(*index)
                    }
                    Some(_) => invalid.push(code.clone()),
                }
            }
            if !invalid.is_empty() || !unknown.is_empty() {
                return Err(SyncError::InvalidSelection { invalid, unknown });
            }
            selected.sort_unstable();
            selected
        }
    };
    if selected.is_empty() {
        return Err(SyncError::EmptySelection);
    }
    guards::check_selection(
        options.guards.mass_resignation.as_ref(),
        &report.summary.warnings,
        &report.entries,
        &selected,
        request.acknowledge_mass_resignation,
    )?;
    let creates = selected
        .iter()
        .any(|index| report.entries[*index].kind == ChangeKind::New);
    if creates {
        let info = target.info();
        let missing: Vec<MasterKind> = info
            .placement_kinds
            .iter()
            .copied()
            .filter(|kind| {
                request
                    .placement
                    .get(*kind)
                    .is_none_or(|code| code.trim().is_empty())
            })
            .collect();
        if !missing.is_empty() {
            return Err(SyncError::MissingPlacement { kinds: missing });
        }
        for kind in &info.placement_kinds {
            let code = request.placement.get(*kind).unwrap_or_default();
            let known = report
                .masters
                .get(kind)
                .is_some_and(|entries| entries.iter().any(|entry| entry.code == code));
            if !known {
                return Err(SyncError::UnknownPlacement {
                    system: info.name.clone(),
                    kind: *kind,
                    code: code.to_owned(),
                });
            }
        }
    }
    Ok(selected)
}
