//! One employee's step of an apply: what to do given the fresh read of the target
//! ([`decide`]), and the write itself ([`send`]), with the rules that keep the target free
//! of duplicates and every outcome true (SPEC R10, R11, S5).

use std::time::Duration;

use crate::classify::{differences, leave_out_blocked_clears};
use crate::compare::ComparisonPolicy;
use crate::error::ConnectorError;
use crate::model::{Employee, EmployeeRecord, Field, Placement, RecordId};
use crate::report::{ChangeKind, Outcome, WriteIntent};
use crate::system::{EmployeeSystem, EmployeeUpdate, Unclearable};

/// What the fresh read of the target says about one code.
pub(super) enum Current {
    Absent,
    One(Box<EmployeeRecord>),
    Many(usize),
}

/// A Pending entry, with what the target holds for its code now.
pub(super) struct Job {
    pub(super) index: usize,
    pub(super) kind: ChangeKind,
    pub(super) employee: Employee,
    pub(super) current: Current,
    /// The write this run recorded as sent for the entry before (an apply that was
    /// interrupted after recording it).
    pub(super) intent: Option<WriteIntent>,
    /// The fields the target cannot clear on the matched record.
    pub(super) cannot_clear: Vec<Unclearable>,
}

/// A write to send, once its intent is recorded.
pub(super) struct Write {
    pub(super) index: usize,
    pub(super) intent: WriteIntent,
    request: Request,
    /// Whether this run had sent the same write before (see [`Job::intent`]).
    sent_before: bool,
}

impl Write {
    /// Whether the entry's intent predates this attempt (an earlier, interrupted apply of
    /// the run recorded the same write): that intent must stay, the write may have gone out.
    pub(super) fn sent_before(&self) -> bool {
        self.sent_before
    }
}

enum Request {
    Create(Box<Employee>),
    Update {
        id: RecordId,
        update: EmployeeUpdate,
        fields: Vec<Field>,
    },
}

pub(super) enum Decision {
    /// Nothing to send: the outcome is known.
    Done(Outcome),
    /// Send this write (after recording its intent).
    Send(Write),
}

/// A write's result: the outcome to record (`None` leaves the entry Pending) and, when the
/// whole apply must stop sending, why.
pub(super) struct WriteResult {
    pub(super) index: usize,
    pub(super) outcome: Option<Outcome>,
    pub(super) stop: Option<String>,
}

/// Decides an entry's step from the fresh read. A write this run recorded as sent and the
/// read shows landed is reported as this run's (Created, Updated), not as somebody else's.
pub(super) fn decide(job: Job, policy: &ComparisonPolicy) -> Decision {
    let Job {
        index,
        kind,
        employee,
        current,
        intent,
        cannot_clear,
    } = job;
    let skipped = |reason: &str| {
        Decision::Done(Outcome::Skipped {
            reason: reason.to_owned(),
        })
    };
    let failed = |reason: String| Decision::Done(Outcome::Failed { reason });
    match (kind, current) {
        (ChangeKind::Unchanged, _) => skipped("unchanged"),
        (ChangeKind::New, Current::Absent) => Decision::Send(Write {
            index,
            intent: WriteIntent::Create,
            request: Request::Create(Box::new(employee)),
            sent_before: intent == Some(WriteIntent::Create),
        }),
        (ChangeKind::New, Current::One(record)) => match intent {
            Some(WriteIntent::Create) => Decision::Done(Outcome::Created { id: record.id }),
            _ => skipped(
                "already in the target (created by someone else since the plan); not created again",
            ),
        },
        (ChangeKind::New, Current::Many(count)) => match intent {
            Some(WriteIntent::Create) => failed(format!(
                "this run sent the create, and the code now appears {count} times in the \
                 target: check for a duplicate"
            )),
            _ => skipped(&format!(
                "already in the target ({count} records with this code); not created again"
            )),
        },
        (ChangeKind::Changed, Current::One(record)) => {
            let mut found = differences(policy, &record.employee, &employee);
            let left_out = leave_out_blocked_clears(&mut found, &cannot_clear);
            let fields: Vec<Field> = found
                .into_iter()
                .map(|difference| difference.field)
                .collect();
            match (fields.is_empty(), intent) {
                (true, Some(WriteIntent::Update { fields })) => {
                    Decision::Done(Outcome::Updated { fields })
                }
                (true, _) if !left_out.is_empty() => skipped(
                    &left_out
                        .iter()
                        .map(|warning| format!("{}: {}", warning.field, warning.message))
                        .collect::<Vec<_>>()
                        .join("; "),
                ),
                (true, _) => skipped("already up to date"),
                (false, intent) => Decision::Send(Write {
                    index,
                    intent: WriteIntent::Update {
                        fields: fields.clone(),
                    },
                    request: Request::Update {
                        id: record.id,
                        update: EmployeeUpdate::from_fields(&employee, fields.iter().copied()),
                        fields,
                    },
                    sent_before: intent.is_some(),
                }),
            }
        }
        (ChangeKind::Changed, Current::Absent) => failed("no longer in the target".into()),
        (ChangeKind::Changed, Current::Many(count)) => {
            failed(format!("the code now appears {count} times in the target"))
        }
        (ChangeKind::Invalid, _) => failed("invalid entries are never synced".into()),
    }
}

/// How creates are sent.
pub(super) struct CreateRules {
    /// The creation-only values.
    pub(super) placement: Placement,
    /// How many times a create whose response was lost is sent in all.
    pub(super) attempts: usize,
    /// The waits before each re-send.
    pub(super) backoff: Vec<Duration>,
}

/// Sends one write.
pub(super) async fn send(
    write: Write,
    target: &dyn EmployeeSystem,
    rules: &CreateRules,
) -> WriteResult {
    let index = write.index;
    match write.request {
        Request::Create(employee) => {
            create(index, &employee, write.sent_before, target, rules).await
        }
        Request::Update { id, update, fields } => {
            match target.update_employee(&id, &update).await {
                Ok(()) => finish(index, Outcome::Updated { fields }),
                Err(error) => on_error(index, target, error),
            }
        }
    }
}

fn finish(index: usize, outcome: Outcome) -> WriteResult {
    WriteResult {
        index,
        outcome: Some(outcome),
        stop: None,
    }
}

/// Creates, confirming by a read of the code after every lost response and every "already
/// exists" answer (SPEC R11, S5): a create is "already in the target" only when the read
/// finds the code, and it is this run's when this run had sent it before.
async fn create(
    index: usize,
    employee: &Employee,
    sent_before: bool,
    target: &dyn EmployeeSystem,
    rules: &CreateRules,
) -> WriteResult {
    let unconfirmed = |error: &ConnectorError, read_error: ConnectorError| WriteResult {
        index,
        outcome: None,
        stop: Some(format!(
            "{}: could not confirm whether employee {} was created ({error}; the read by \
             code failed: {read_error}); resume reads it again",
            target.info().name,
            employee.code
        )),
    };
    let mut last_error = None;
    for attempt in 1..=rules.attempts {
        if attempt > 1 {
            // A lost response and an empty read-back: wait as the policy says before sending
            // again, so an outage does not burn every attempt at once.
            if let Some(wait) = rules.backoff.get(attempt - 2) {
                tokio::time::sleep(*wait).await;
            }
        }
        match target.create_employee(employee, &rules.placement).await {
            Ok(record) => return finish(index, Outcome::Created { id: record.id }),
            Err(error @ ConnectorError::AlreadyExists { .. }) => {
                return match target.get_employee(&employee.code).await {
                    // An earlier create of this run landed, though a read did not see it yet.
                    Ok(Some(record)) if attempt > 1 || sent_before => {
                        finish(index, Outcome::Created { id: record.id })
                    }
                    Ok(Some(_)) => finish(
                        index,
                        Outcome::Skipped {
                            reason: "already in the target (created by someone else since the \
                                     plan); not created again"
                                .into(),
                        },
                    ),
                    Ok(None) => finish(
                        index,
                        Outcome::Failed {
                            reason: format!(
                                "refused as already existing, but no employee with code {} is \
                                 in the target: {error}",
                                employee.code
                            ),
                        },
                    ),
                    Err(read_error) => unconfirmed(&error, read_error),
                };
            }
            Err(error) if error.may_have_been_applied() => {
                tracing::info!(attempt, "create response lost; reading the code back");
                tracing::debug!(attempt, error = %error, "the lost create's error");
                match target.get_employee(&employee.code).await {
                    Ok(Some(record)) => return finish(index, Outcome::Created { id: record.id }),
                    Ok(None) => last_error = Some(error),
                    Err(read_error) => return unconfirmed(&error, read_error),
                }
            }
            Err(error) => return on_error(index, target, error),
        }
    }
    finish(
        index,
        Outcome::Failed {
            reason: format!(
                "create failed {} times and the employee is not in the target: {}",
                rules.attempts,
                last_error
                    .map(|error| error.to_string())
                    .unwrap_or_default()
            ),
        },
    )
}

/// A write failed for good: a maintenance window stops the apply and leaves the employee
/// Pending; anything else fails this employee only.
fn on_error(index: usize, target: &dyn EmployeeSystem, error: ConnectorError) -> WriteResult {
    match error {
        ConnectorError::MaintenanceWindow { .. } => WriteResult {
            index,
            outcome: None,
            stop: Some(format!(
                "{}: {error}; resume after it ends",
                target.info().name
            )),
        },
        error => finish(
            index,
            Outcome::Failed {
                reason: error.to_string(),
            },
        ),
    }
}
