//! Apply (SPEC R10, R11, R12): sends the writes of the Pending entries with bounded
//! concurrency and records each outcome as it happens.
//!
//! Two rules keep the target free of duplicates: the target is re-read once before any
//! write, so a New employee that appeared since the plan is not created again; and a create
//! whose response was lost is confirmed by reading the code back before it is ever re-sent.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::task::JoinSet;
use tracing::Instrument;

use crate::classify::differences;
use crate::compare::ComparisonPolicy;
use crate::engine::{Progress, ProgressFn};
use crate::error::{ConnectorError, SyncError};
use crate::model::{Employee, EmployeeRecord, Placement};
use crate::report::{ChangeKind, Outcome, RunStatus, SyncReport};
use crate::store::ReportStore;
use crate::system::{EmployeeSystem, EmployeeUpdate, ListOptions};

pub(crate) struct ApplyContext {
    pub(crate) report: SyncReport,
    pub(crate) target: Arc<dyn EmployeeSystem>,
    pub(crate) store: Arc<dyn ReportStore>,
    pub(crate) policy: ComparisonPolicy,
    pub(crate) concurrency: usize,
    pub(crate) create_attempts: usize,
    pub(crate) progress: Option<ProgressFn>,
}

/// How an apply ended.
pub(crate) struct Ending {
    pub(crate) status: RunStatus,
    pub(crate) failure: Option<String>,
}

/// What the fresh read of the target says about one code.
enum Current {
    Absent,
    One(Box<EmployeeRecord>),
    Many(usize),
}

struct Job {
    index: usize,
    kind: ChangeKind,
    employee: Employee,
    current: Current,
}

/// A job's result: the outcome to record (`None` leaves the entry Pending) and, when the
/// whole apply must stop sending, why.
struct JobResult {
    index: usize,
    outcome: Option<Outcome>,
    stop: Option<String>,
}

pub(crate) async fn run(context: ApplyContext) -> Result<Ending, SyncError> {
    let ApplyContext {
        report,
        target,
        store,
        policy,
        concurrency,
        create_attempts,
        progress,
    } = context;
    let id = report.summary.id;
    let name = target.info().name.clone();
    let mut outcomes: Vec<Option<Outcome>> = report
        .entries
        .iter()
        .map(|entry| entry.outcome.clone())
        .collect();
    let total = outcomes.iter().filter(|outcome| outcome.is_some()).count();

    // Only creates and updates need the fresh read; Unchanged employees are skipped anyway.
    let writes_pending = report.entries.iter().any(|entry| {
        entry.outcome == Some(Outcome::Pending)
            && matches!(entry.kind, ChangeKind::New | ChangeKind::Changed)
    });
    let fresh = if !writes_pending {
        Ok(Vec::new())
    } else {
        target.list_employees(&ListOptions::all_records()).await
    };
    let fresh = match fresh {
        Ok(records) => records,
        Err(error) => {
            tracing::warn!(error = %error, "could not re-read the target before writing");
            return Ok(Ending {
                status: RunStatus::Interrupted,
                failure: Some(format!(
                    "{name}: re-reading the target before writing failed: {error}; nothing was written"
                )),
            });
        }
    };
    let mut by_key: HashMap<String, Vec<EmployeeRecord>> = HashMap::with_capacity(fresh.len());
    for record in fresh {
        by_key
            .entry(policy.match_key(&record.employee.code).into_owned())
            .or_default()
            .push(record);
    }
    let jobs: Vec<Job> = report
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
            Job {
                index,
                kind: entry.kind,
                employee: entry.employee,
                current,
            }
        })
        .collect();
    drop(by_key);

    let placement = Arc::new(report.placement.unwrap_or_default());
    let policy = Arc::new(policy);
    let mut stop: Option<String> = None;
    let mut store_error: Option<SyncError> = None;
    let mut running = JoinSet::new();
    let mut done = outcomes
        .iter()
        .filter(|outcome| outcome.as_ref().is_some_and(Outcome::is_final))
        .count();

    let mut jobs = jobs.into_iter();
    // Which entry each running task works on, so a task that panicked leaves its entry
    // Pending (a write may have been sent: resume decides after a fresh read).
    let mut running_index: HashMap<tokio::task::Id, usize> = HashMap::new();
    let mut spawn_up_to_concurrency = |running: &mut JoinSet<JobResult>,
                                       running_index: &mut HashMap<tokio::task::Id, usize>,
                                       stop: &Option<String>,
                                       failed: bool| {
        while stop.is_none() && !failed && running.len() < concurrency {
            let Some(job) = jobs.next() else { break };
            let target = target.clone();
            let placement = placement.clone();
            let policy = policy.clone();
            let index = job.index;
            let span = tracing::debug_span!("apply_employee", index = job.index, kind = %job.kind);
            let handle = running.spawn(
                async move { run_job(job, &*target, &placement, &policy, create_attempts).await }
                    .instrument(span),
            );
            running_index.insert(handle.id(), index);
        }
    };
    loop {
        spawn_up_to_concurrency(
            &mut running,
            &mut running_index,
            &stop,
            store_error.is_some(),
        );
        let Some(first) = running.join_next_with_id().await else {
            break;
        };
        // Every write that finished meanwhile is recorded in the same batch.
        let mut finished = vec![first];
        while let Some(more) = running.try_join_next_with_id() {
            finished.push(more);
        }
        let mut batch = Vec::with_capacity(finished.len());
        for joined in finished {
            let result = match joined {
                Ok((task, result)) => {
                    running_index.remove(&task);
                    result
                }
                Err(error) => {
                    let entry = running_index
                        .remove(&error.id())
                        .map_or_else(|| "an entry".to_owned(), |index| format!("entry {index}"));
                    tracing::error!(%entry, error = %error, "an apply task failed; stopping");
                    stop.get_or_insert_with(|| {
                        format!(
                            "the write of {entry} ended abnormally ({error}); resume re-reads it"
                        )
                    });
                    continue;
                }
            };
            if let Some(reason) = result.stop {
                stop.get_or_insert(reason);
            }
            if let Some(outcome) = result.outcome {
                batch.push((result.index, outcome));
            }
        }
        if batch.is_empty() || store_error.is_some() {
            // After a store failure nothing more is recorded: those entries stay Pending
            // and resume decides about them after a fresh read.
            continue;
        }
        // The next writes go out while this batch is being recorded.
        spawn_up_to_concurrency(&mut running, &mut running_index, &stop, false);
        // Durable first, then visible: a progress callback never reports an outcome the
        // store does not hold, and a callback that panics cannot lose a recorded write.
        if let Err(error) = store.record_outcomes(id, &batch).await {
            tracing::error!(error = %error, "could not record outcomes; stopping");
            stop.get_or_insert_with(|| format!("recording outcomes failed: {error}"));
            store_error.get_or_insert(error.into());
            continue;
        }
        for (index, outcome) in batch {
            outcomes[index] = Some(outcome);
            done += 1;
            if let Some(progress) = &progress {
                progress(Progress {
                    report: id,
                    done,
                    total,
                });
            }
        }
    }
    if let Some(error) = store_error {
        return Err(error);
    }

    let pending = outcomes
        .iter()
        .filter(|outcome| matches!(outcome, Some(Outcome::Pending)))
        .count();
    let failed = outcomes
        .iter()
        .filter(|outcome| matches!(outcome, Some(Outcome::Failed { .. })))
        .count();
    Ok(if pending > 0 {
        Ending {
            status: RunStatus::Interrupted,
            failure: Some(stop.unwrap_or_else(|| format!("{pending} employees still pending"))),
        }
    } else if failed > 0 {
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

async fn run_job(
    job: Job,
    target: &dyn EmployeeSystem,
    placement: &Placement,
    policy: &ComparisonPolicy,
    create_attempts: usize,
) -> JobResult {
    let index = job.index;
    let finish = |outcome: Outcome| JobResult {
        index,
        outcome: Some(outcome),
        stop: None,
    };
    match (job.kind, job.current) {
        (ChangeKind::Unchanged, _) => finish(Outcome::Skipped {
            reason: "unchanged".into(),
        }),
        (ChangeKind::New, Current::Absent) => {
            create(index, &job.employee, target, placement, create_attempts).await
        }
        (ChangeKind::New, _) => finish(Outcome::Skipped {
            reason: "already in the target (created since the plan); not created again".into(),
        }),
        (ChangeKind::Changed, Current::One(record)) => {
            let fields: Vec<_> = differences(policy, &record.employee, &job.employee)
                .into_iter()
                .map(|difference| difference.field)
                .collect();
            if fields.is_empty() {
                return finish(Outcome::Skipped {
                    reason: "already up to date".into(),
                });
            }
            let update = EmployeeUpdate::from_fields(&job.employee, fields.iter().copied());
            match target.update_employee(&record.id, &update).await {
                Ok(()) => finish(Outcome::Updated { fields }),
                Err(error) => on_error(index, target, error),
            }
        }
        (ChangeKind::Changed, Current::Absent) => finish(Outcome::Failed {
            reason: "no longer in the target".into(),
        }),
        (ChangeKind::Changed, Current::Many(count)) => finish(Outcome::Failed {
            reason: format!("the code now appears {count} times in the target"),
        }),
        (ChangeKind::Invalid, _) => finish(Outcome::Failed {
            reason: "invalid entries are never synced".into(),
        }),
    }
}

/// Creates, confirming by a read of the code after every lost response (SPEC R11).
async fn create(
    index: usize,
    employee: &Employee,
    target: &dyn EmployeeSystem,
    placement: &Placement,
    attempts: usize,
) -> JobResult {
    let finish = |outcome: Outcome| JobResult {
        index,
        outcome: Some(outcome),
        stop: None,
    };
    let mut last_error = None;
    for attempt in 1..=attempts {
        match target.create_employee(employee, placement).await {
            Ok(record) => return finish(Outcome::Created { id: record.id }),
            Err(ConnectorError::AlreadyExists { .. }) if attempt > 1 => {
                // An earlier create whose response was lost landed after all, though the
                // read-back did not see it yet: it is ours.
                if let Ok(Some(record)) = target.get_employee(&employee.code).await {
                    return finish(Outcome::Created { id: record.id });
                }
                return finish(Outcome::Skipped {
                    reason: "already in the target (probably an earlier attempt whose response \
                             was lost); not created again"
                        .into(),
                });
            }
            Err(ConnectorError::AlreadyExists { .. }) => {
                return finish(Outcome::Skipped {
                    reason: "already in the target; not created again".into(),
                })
            }
            Err(error) if error.may_have_been_applied() => {
                tracing::info!(attempt, error = %error, "create response lost; reading the code back");
                match target.get_employee(&employee.code).await {
                    Ok(Some(record)) => return finish(Outcome::Created { id: record.id }),
                    Ok(None) => last_error = Some(error),
                    Err(read_error) => {
                        return JobResult {
                            index,
                            outcome: None,
                            stop: Some(format!(
                                "{}: could not confirm whether employee {} was created ({error}; \
                                 re-read failed: {read_error}); resume re-reads it",
                                target.info().name,
                                employee.code
                            )),
                        }
                    }
                }
            }
            Err(error) => return on_error(index, target, error),
        }
    }
    finish(Outcome::Failed {
        reason: format!(
            "create failed {attempts} times and the employee is not in the target: {}",
            last_error
                .map(|error| error.to_string())
                .unwrap_or_default()
        ),
    })
}

/// A write failed for good: a maintenance window stops the apply and leaves the employee
/// Pending; anything else fails this employee only.
fn on_error(index: usize, target: &dyn EmployeeSystem, error: ConnectorError) -> JobResult {
    match error {
        ConnectorError::MaintenanceWindow { .. } => JobResult {
            index,
            outcome: None,
            stop: Some(format!(
                "{}: {error}; resume after it ends",
                target.info().name
            )),
        },
        error => JobResult {
            index,
            outcome: Some(Outcome::Failed {
                reason: error.to_string(),
            }),
            stop: None,
        },
    }
}
