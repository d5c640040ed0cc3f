//! Retention (issue 11, item 4): reports keep names, kana, dates and email addresses of
//! every listed employee, so old ones are removed or stripped of those values.

use chrono::{DateTime, Utc};

use crate::model::Employee;
use crate::report::{InvalidReason, ReportEntry, ReportSummary};

/// What [`ReportStore::purge_older_than`](super::ReportStore::purge_older_than) does to an
/// old final report.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PurgeMode {
    /// Remove the whole report: summary, master lists, placement and entries.
    #[default]
    Delete,
    /// Keep the report for audit (codes, kinds, which fields differed, outcomes, who ran
    /// it and when) and remove every personal value (see [`redact_entry`]).
    Redact,
}

/// What a purge did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PurgeReport {
    /// Final reports older than the cutoff that were deleted or redacted by this call
    /// (reports redacted by an earlier call are not counted again).
    pub purged: usize,
    /// Reports older than the cutoff left alone because their run is not final
    /// (Fetching, AwaitingSync, Syncing, Interrupted): they may still be applied, and an
    /// applier needs the values. Discard or finish them to let them go.
    pub kept_not_final: usize,
}

impl PurgeReport {
    /// A report of `purged` and `kept_not_final` reports.
    pub fn new(purged: usize, kept_not_final: usize) -> Self {
        Self {
            purged,
            kept_not_final,
        }
    }
}

/// What a redacted personal text reads as.
pub const REDACTED: &str = "(redacted)";

/// Whether a report falls under a purge with this cutoff: created strictly before it.
/// Whether it is then purged or kept depends on its status ([`RunStatus::is_final`]).
///
/// [`RunStatus::is_final`]: crate::RunStatus::is_final
pub fn is_older_than(summary: &ReportSummary, cutoff: DateTime<Utc>) -> bool {
    summary.created_at < cutoff
}

/// An entry without personal values: the employee keeps only its code; each difference
/// keeps its field but loses both values; warnings and an invalid value's reason keep
/// their field but lose their message (a message may quote the value). The code, kind,
/// target record id, outcome and intent stay: they say what was done to whom, and an
/// outcome's reason carries no personal data beyond the code by contract.
///
/// Redacting twice gives the same entry.
///
/// ```
/// use hris_sync_core::store::redact_entry;
/// use hris_sync_core::{ChangeKind, Employee, EmployeeCode, ReportEntry};
///
/// let entry = ReportEntry {
///     code: EmployeeCode::new("1001"),
///     kind: ChangeKind::New,
///     invalid_reason: None,
///     differences: Vec::new(),
///     warnings: Vec::new(),
///     employee: Employee::new("1001").with_name("山田", "太郎"),
///     target_id: None,
///     outcome: None,
///     intent: None,
/// };
/// let redacted = redact_entry(&entry);
/// assert_eq!(redacted.employee, Employee::new("1001"));
/// assert_eq!(redact_entry(&redacted), redacted);
/// ```
pub fn redact_entry(entry: &ReportEntry) -> ReportEntry {
    ReportEntry {
        code: entry.code.clone(),
        kind: entry.kind,
        invalid_reason: entry.invalid_reason.as_ref().map(redact_reason),
        differences: entry
            .differences
            .iter()
            .map(|difference| crate::report::FieldDifference {
                field: difference.field,
                target: None,
                source: None,
            })
            .collect(),
        warnings: entry
            .warnings
            .iter()
            .map(|warning| crate::report::Warning {
                field: warning.field,
                message: REDACTED.to_owned(),
            })
            .collect(),
        employee: Employee::new(entry.employee.code.clone()),
        target_id: entry.target_id.clone(),
        outcome: entry.outcome.clone(),
        intent: entry.intent.clone(),
    }
}

fn redact_reason(reason: &InvalidReason) -> InvalidReason {
    match reason {
        InvalidReason::InvalidValue { field, .. } => InvalidReason::InvalidValue {
            field: *field,
            message: REDACTED.to_owned(),
        },
        other => other.clone(),
    }
}
