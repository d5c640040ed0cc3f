//! The apply loop (SPEC R10–R13, S5, P3): sends the writes of the Pending entries with
//! bounded concurrency, recording each write's intent before it goes out and its outcome
//! after, while renewing the run's lease.
//!
//! The loop never waits on the disk while a write slot is free ([`commit`]): intents are
//! recorded in background batches ahead of the slots ([`lookahead`]), so a slot
//! that frees up takes a write whose intent is already durable, and outcomes are committed
//! in the next batch while the writes go on. When the loop ends while the run still holds
//! its claim (a stop, a maintenance window, a failing store), the intents recorded ahead
//! whose writes were never sent are withdrawn in a last commit, so the report claims only
//! the writes this run may have sent: a resume then tells a write someone else made since
//! from one of this run's. Only a crash leaves such intents behind, exactly as a crash
//! between an intent and its write does.
//!
//! Rules that keep the target free of duplicates and every outcome true:
//! - the target is re-read once before any write, so a New employee that appeared since
//!   the plan is not created again;
//! - a write's intent is durable before the write is sent, so after a crash the fresh read
//!   tells "this run sent it" (the intent is recorded) from "someone else did" (it is not);
//! - a create whose response was lost, or that was refused as existing, is confirmed by
//!   reading the code back ([`write`]);
//! - every record is conditional on the run's claim: an applier whose lease was taken over
//!   is refused and stops sending.

mod commit;
mod lease;
mod lookahead;
mod write;

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;
use tokio::task::JoinSet;
use tracing::Instrument;

use self::commit::{Committed, Committer};
use self::lease::LeaseKeeper;
use self::lookahead::Lookahead;
use self::write::{CreateRules, Current, Decision, Job, Write, WriteResult};
use crate::clock::Clock;
use crate::compare::ComparisonPolicy;
use crate::engine::{Progress, ProgressFn};
use crate::error::{StoreError, SyncError};
use crate::guards;
use crate::model::{EmployeeRecord, RecordId};
use crate::report::{ChangeKind, ClaimToken, Outcome, RunStatus, SyncReport};
use crate::retry::RetryPolicy;
use crate::store::{ProgressBatch, ReportStore};
use crate::system::{EmployeeSystem, ListOptions, Unclearable};

/// The most outcomes decided without a write (Unchanged, already done) recorded in one
/// batch, so a large selection of them is recorded in bounded steps.
const MAX_BATCH: usize = 1_000;

pub(crate) struct ApplyContext {
    pub(crate) report: SyncReport,
    pub(crate) target: Arc<dyn EmployeeSystem>,
    pub(crate) store: Arc<dyn ReportStore>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) policy: ComparisonPolicy,
    pub(crate) concurrency: usize,
    pub(crate) create_attempts: usize,
    pub(crate) create_backoff: RetryPolicy,
    pub(crate) lease_duration: Duration,
    pub(crate) claim: ClaimToken,
    pub(crate) stop: watch::Receiver<Option<String>>,
    pub(crate) progress: Option<ProgressFn>,
}

/// What the apply loop waited for.
enum Event {
    /// Writes finished (`None`: none was running).
    Joined(Option<Result<(tokio::task::Id, WriteResult), tokio::task::JoinError>>),
    /// The commit in flight returned.
    Committed(Committed),
}

/// How an apply ended.
pub(crate) struct Ending {
    pub(crate) status: RunStatus,
    pub(crate) failure: Option<String>,
}

/// Applies the Pending entries of a claimed run.
///
/// # Errors
/// [`StoreError::ClaimLost`] when another engine took the run over (nothing more was
/// recorded or sent); another store failure when outcomes could not be recorded (those
/// entries stay Pending for resume).
pub(crate) async fn run(context: ApplyContext) -> Result<Ending, SyncError> {
    let ApplyContext {
        report,
        target,
        store,
        clock,
        policy,
        concurrency,
        create_attempts,
        create_backoff,
        lease_duration,
        claim,
        stop,
        progress,
    } = context;
    let id = report.summary.id;
    let name = target.info().name.clone();
    let mut lease = LeaseKeeper::new(store.clone(), clock, id, claim, lease_duration, stop);
    let mut tally = Tally::of(&report);
    let rules = Arc::new(CreateRules {
        placement: report.placement.clone().unwrap_or_default(),
        attempts: create_attempts,
        backoff: create_backoff.backoff().collect(),
    });
    let jobs = match lease
        .keep_while(fresh_jobs(report, &*target, &policy))
        .await?
    {
        Ok(jobs) => jobs,
        Err(error) => {
            tracing::warn!("could not re-read the target before writing; nothing was written");
            tracing::debug!(error = %error, "re-reading the target failed");
            lease.settle().await?;
            return Ok(Ending {
                status: RunStatus::Interrupted,
                failure: Some(format!(
                    "{name}: re-reading the target before writing failed: {error}; nothing was written"
                )),
            });
        }
    };
    let mut jobs = jobs.into_iter();

    let mut running: JoinSet<WriteResult> = JoinSet::new();
    // Which entry each running task works on, so a task that panicked leaves its entry
    // Pending (its intent is recorded: resume decides after a fresh read).
    // (It also notes when each write started, for the lookahead.)
    let mut running_index: HashMap<tokio::task::Id, (usize, Instant)> = HashMap::new();
    let mut committer = Committer::new(store.clone(), id, claim);
    // Writes whose intents are durable, in order: a slot that frees up takes the next.
    let mut ready: VecDeque<Write> = VecDeque::new();
    // Intents are recorded ahead of the slots, so a commit's fsync runs while writes are
    // in flight rather than between them.
    let mut ahead = Lookahead::new(concurrency);
    let mut stop: Option<String> = None;
    let mut store_error: Option<StoreError> = None;
    // After a failed commit, the next one waits for a write to finish (or for no write to
    // be left), so a failing store is not hammered.
    let mut hold_commit = false;
    let mut pending_left = 0_usize;
    // Writes of a commit the store refused: not sent, but a networked store may have
    // committed their intents before its answer was lost, so they are withdrawn at the end.
    let mut refused_writes: Vec<usize> = Vec::new();
    loop {
        if let Some(by) = lease.stop_requested() {
            stop.get_or_insert_with(|| format!("stopped by {by}; resume continues the rest"));
        }
        // Send: every free slot takes a write whose intent is durable.
        while stop.is_none() && running.len() < concurrency {
            let Some(write) = ready.pop_front() else {
                break;
            };
            let target = target.clone();
            let rules = rules.clone();
            let index = write.index;
            let span = tracing::debug_span!("apply_employee", index);
            let handle = running
                .spawn(async move { write::send(write, &*target, &rules).await }.instrument(span));
            running_index.insert(handle.id(), (index, Instant::now()));
        }
        // Decide the next entries, as far ahead as intents are recorded.
        while stop.is_none()
            && store_error.is_none()
            && ready.len() + committer.writes_ahead() < ahead.writes()
            && committer.queued_outcomes() < MAX_BATCH
        {
            let Some(job) = jobs.next() else { break };
            let index = job.index;
            match write::decide(job, &policy) {
                Decision::Done(outcome) => committer.outcome(index, outcome),
                Decision::Send(write) => committer.write(write),
            }
        }
        if stop.is_some() {
            committer.discard_writes();
        }
        if !hold_commit || running.is_empty() {
            committer.start();
        }
        if running.is_empty() && !committer.is_busy() {
            // Nothing in flight and nothing more may start: the queue is empty (else a
            // commit would have started), and either the jobs are done or the run stops.
            break;
        }
        // Wait for a write or the commit to finish (renewing the lease meanwhile).
        let event = lease
            .keep_while(async {
                tokio::select! {
                    joined = running.join_next_with_id(), if !running.is_empty() => {
                        Event::Joined(joined)
                    }
                    committed = committer.finished() => Event::Committed(committed),
                }
            })
            .await?;
        match event {
            Event::Joined(None) => {}
            Event::Joined(Some(first)) => {
                hold_commit = false;
                let mut joined = vec![first];
                while let Some(more) = running.try_join_next_with_id() {
                    joined.push(more);
                }
                for result in joined {
                    match result {
                        Ok((task, result)) => {
                            if let Some((_, started)) = running_index.remove(&task) {
                                ahead.write_took(started.elapsed());
                            }
                            if let Some(reason) = result.stop {
                                stop.get_or_insert(reason);
                            }
                            if let Some(outcome) = result.outcome {
                                committer.outcome(result.index, outcome);
                            }
                        }
                        Err(error) => {
                            let entry = running_index.remove(&error.id()).map_or_else(
                                || "an entry".to_owned(),
                                |(index, _)| format!("entry {index}"),
                            );
                            tracing::error!(%entry, error = %error, "an apply task failed; stopping");
                            stop.get_or_insert_with(|| {
                                format!(
                                    "the write of {entry} ended abnormally ({error}); resume re-reads it"
                                )
                            });
                        }
                    }
                }
            }
            Event::Committed(Committed {
                outcomes,
                writes,
                result,
                took,
            }) => match result {
                Ok(()) => {
                    ahead.commit_took(took);
                    // Durable now: the writes may go out, the outcomes may be reported.
                    ready.extend(writes);
                    for (_, outcome) in &outcomes {
                        tally.record(outcome);
                        if let Some(progress) = &progress {
                            progress(Progress {
                                report: id,
                                done: tally.done,
                                total: tally.selected,
                            });
                        }
                    }
                    store_error = None;
                }
                Err(error @ StoreError::ClaimLost { .. }) => {
                    running.detach_all();
                    return Err(error.into());
                }
                Err(error) => {
                    // The batch counts as not recorded: its writes are not sent (their
                    // entries stay Pending, their intents are withdrawn at the end in case
                    // the store did commit them), its outcomes are tried again with the
                    // next batch.
                    tracing::error!(error = %error, "could not record progress; stopping");
                    stop.get_or_insert_with(|| format!("recording outcomes failed: {error}"));
                    refused_writes.extend(
                        writes
                            .iter()
                            .filter(|write| !write.sent_before())
                            .map(|write| write.index),
                    );
                    committer.retry(outcomes);
                    hold_commit = true;
                    if store_error.replace(error).is_some() && running.is_empty() {
                        // The store refused twice and nothing is in flight: give up.
                        pending_left = committer.queued_outcomes();
                        break;
                    }
                }
            },
        }
    }
    // Still holding the claim (a lost claim returned above): the writes whose intents are
    // durable but that never went out are withdrawn, else a resume would take a write
    // someone else makes meanwhile for this run's.
    let unsent: Vec<usize> = ready
        .iter()
        .filter(|write| !write.sent_before())
        .map(|write| write.index)
        .chain(refused_writes)
        .collect();
    if !unsent.is_empty() {
        let batch = ProgressBatch {
            withdrawn: unsent,
            ..ProgressBatch::default()
        };
        match lease
            .keep_while(store.record_progress(id, claim, &batch))
            .await?
        {
            Ok(()) => {
                tracing::debug!(withdrawn = batch.withdrawn.len(), "withdrew unsent intents");
            }
            Err(error @ StoreError::ClaimLost { .. }) => return Err(error.into()),
            Err(error) => {
                tracing::error!(
                    unsent = batch.withdrawn.len(),
                    error = %error,
                    "could not withdraw the intents of writes never sent"
                );
                store_error.get_or_insert(error);
            }
        }
    }
    // Nothing is in flight any more: a renewal still running ends before the run's end is
    // recorded.
    lease.settle().await?;
    if let Some(error) = store_error {
        pending_left = pending_left.max(committer.queued_outcomes());
        tracing::error!(unrecorded = pending_left, "outcomes left unrecorded");
        return Err(error.into());
    }
    Ok(if tally.pending > 0 {
        Ending {
            status: RunStatus::Interrupted,
            failure: Some(
                stop.unwrap_or_else(|| format!("{} employees still pending", tally.pending)),
            ),
        }
    } else if tally.failed > 0 {
        Ending {
            status: RunStatus::CompletedWithErrors,
            failure: None,
        }
    } else {
        Ending {
            status: RunStatus::Completed,
            failure: None,
        }
    })
}

/// The selected entries' outcomes as recorded so far.
struct Tally {
    selected: usize,
    done: usize,
    pending: usize,
    failed: usize,
}

impl Tally {
    fn of(report: &SyncReport) -> Self {
        let counts = report.outcome_counts();
        Self {
            selected: counts.selected(),
            done: counts.selected() - counts.pending,
            pending: counts.pending,
            failed: counts.failed,
        }
    }

    /// A Pending entry's final outcome was recorded.
    fn record(&mut self, outcome: &Outcome) {
        self.done += 1;
        self.pending -= 1;
        if matches!(outcome, Outcome::Failed { .. }) {
            self.failed += 1;
        }
    }
}

/// Reads the target afresh and pairs each Pending entry with what the target holds for its
/// code now. Only creates and updates need the read; when nothing but Unchanged employees
/// is pending, none is made.
async fn fresh_jobs(
    report: SyncReport,
    target: &dyn EmployeeSystem,
    policy: &ComparisonPolicy,
) -> Result<Vec<Job>, crate::error::ConnectorError> {
    let writes_pending = report.entries.iter().any(|entry| {
        entry.outcome == Some(Outcome::Pending)
            && matches!(entry.kind, ChangeKind::New | ChangeKind::Changed)
    });
    let fresh = if writes_pending {
        target.list_employees(&ListOptions::all_records()).await?
    } else {
        Vec::new()
    };
    // The target's own unclearable fields, and the clears the run's guards held back at
    // fetch: both stay out of the writes built from this fresh read.
    let held_back = guards::held_back_fields(&report.summary.warnings);
    let mut blocked: HashMap<RecordId, Vec<Unclearable>> = HashMap::new();
    for (id, field) in target
        .cannot_clear(&fresh)
        .into_iter()
        .chain(guards::blocked_clears(&fresh, &held_back))
    {
        blocked.entry(id).or_default().push(field);
    }
    let mut by_key: HashMap<String, Vec<EmployeeRecord>> = HashMap::with_capacity(fresh.len());
    for record in fresh {
        by_key
            .entry(policy.match_key(&record.employee.code).into_owned())
            .or_default()
            .push(record);
    }
    Ok(report
        .entries
        .into_iter()
        .enumerate()
        .filter(|(_, entry)| entry.outcome == Some(Outcome::Pending))
        .map(|(index, entry)| {
            let current = match by_key.get(policy.match_key(&entry.code).as_ref()) {
                None => Current::Absent,
                Some(records) if records.len() == 1 => Current::One(Box::new(records[0].clone())),
                Some(records) => Current::Many(records.len()),
            };
            let cannot_clear = match &current {
                Current::One(record) => blocked.get(&record.id).cloned().unwrap_or_default(),
                _ => Vec::new(),
            };
            Job {
                index,
                kind: entry.kind,
                employee: entry.employee,
                current,
                intent: entry.intent,
                cannot_clear,
            }
        })
        .collect())
}
