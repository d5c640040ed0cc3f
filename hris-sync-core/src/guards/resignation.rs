//! The mass-resignation guard: warned at fetch, and a selection that would resign too many
//! of the target's employees is refused at apply unless it is acknowledged.

use chrono::NaiveDate;

use super::{MassResignationGuard, RunWarning, Share};
use crate::error::SyncError;
use crate::model::{EmployeeRecord, Field};
use crate::report::{ChangeKind, ReportEntry};

/// Whether applying `entry` sets (or moves) a resignation date in the target.
fn sets_resignation(entry: &ReportEntry) -> bool {
    entry.kind == ChangeKind::Changed
        && entry.differences.iter().any(|difference| {
            difference.field == Field::ResignationDate && difference.source.is_some()
        })
}

/// Whether `count` of `enrolled` is over the guard's threshold.
fn is_mass(guard: &MassResignationGuard, count: usize, enrolled: usize) -> bool {
    count >= guard.min_count.max(1) && Share::of(count, enrolled) > guard.max_share
}

/// The mass-resignation warning for a classified list, if the guard fires. `target` is
/// every target record; the share is of those enrolled on `base_date`.
pub(super) fn check(
    guard: &MassResignationGuard,
    entries: &[ReportEntry],
    target: &[EmployeeRecord],
    base_date: NaiveDate,
) -> Option<RunWarning> {
    let count = entries
        .iter()
        .filter(|entry| sets_resignation(entry))
        .count();
    if count == 0 {
        return None;
    }
    let enrolled = target
        .iter()
        .filter(|record| record.employee.is_enrolled_on(base_date))
        .count();
    is_mass(guard, count, enrolled).then(|| RunWarning::MassResignation {
        count,
        enrolled,
        share: Share::of(count, enrolled),
    })
}

/// Refuses a selection (indices into `entries`) that sets a resignation date on more of the
/// target's enrolled employees than `guard` allows, when the run warned about it and the
/// request did not acknowledge the warning. The share is reckoned against the enrolled
/// count the warning recorded at fetch, so the same selection gets the same answer later.
pub(crate) fn check_selection(
    guard: Option<&MassResignationGuard>,
    warnings: &[RunWarning],
    entries: &[ReportEntry],
    selected: &[usize],
    acknowledged: bool,
) -> Result<(), SyncError> {
    let (Some(guard), false) = (guard, acknowledged) else {
        return Ok(());
    };
    let Some(enrolled) = warnings.iter().find_map(|warning| match warning {
        RunWarning::MassResignation { enrolled, .. } => Some(*enrolled),
        _ => None,
    }) else {
        return Ok(());
    };
    let count = selected
        .iter()
        .filter(|index| entries.get(**index).is_some_and(sets_resignation))
        .count();
    if is_mass(guard, count, enrolled) {
        Err(SyncError::MassResignationNotAcknowledged {
            count,
            enrolled,
            share: Share::of(count, enrolled),
        })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Employee, FieldValue, RecordId};
    use crate::report::FieldDifference;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn changed(code: &str, field: Field, source: Option<FieldValue>) -> ReportEntry {
        ReportEntry {
            code: code.into(),
            kind: ChangeKind::Changed,
            invalid_reason: None,
            differences: vec![FieldDifference {
                field,
                target: None,
                source,
            }],
            warnings: Vec::new(),
            employee: Employee::new(code),
            target_id: Some(RecordId::new(code)),
            outcome: None,
            intent: None,
        }
    }

    fn resigning(code: &str) -> ReportEntry {
        changed(
            code,
            Field::ResignationDate,
            Some(FieldValue::Date(d(2025, 6, 30))),
        )
    }

    /// `enrolled` target records enrolled on 2025-06-01, and two that resigned before.
    fn target(enrolled: usize) -> Vec<EmployeeRecord> {
        (0..enrolled + 2)
            .map(|n| {
                let mut employee = Employee::new(n.to_string()).with_hire_date(d(2020, 4, 1));
                if n >= enrolled {
                    employee.resignation_date = Some(d(2024, 3, 31));
                }
                EmployeeRecord {
                    id: RecordId::new(n.to_string()),
                    employee,
                }
            })
            .collect()
    }

    fn run(entries: &[ReportEntry], enrolled: usize) -> Option<RunWarning> {
        check(
            &MassResignationGuard::default(),
            entries,
            &target(enrolled),
            d(2025, 6, 1),
        )
    }

    #[test]
    fn more_than_the_share_of_enrolled_employees_warns() {
        let entries: Vec<_> = (0..6).map(|n| resigning(&n.to_string())).collect();
        assert_eq!(
            run(&entries, 50),
            Some(RunWarning::MassResignation {
                count: 6,
                enrolled: 50,
                share: Share::percent(12),
            })
        );
        // 6 of 60 is exactly 10 %: not more than the threshold.
        assert_eq!(run(&entries, 60), None);
    }

    #[test]
    fn a_few_resignations_in_a_small_company_do_not_warn() {
        let entries: Vec<_> = (0..4).map(|n| resigning(&n.to_string())).collect();
        assert_eq!(run(&entries, 8), None, "4 is below the minimum count of 5");
    }

    #[test]
    fn only_updates_that_set_a_resignation_date_count() {
        let mut entries: Vec<_> = (0..6)
            .map(|n| changed(&n.to_string(), Field::ResignationDate, None))
            .collect();
        entries.push(changed(
            "x",
            Field::HireDate,
            Some(FieldValue::Date(d(2020, 4, 1))),
        ));
        assert_eq!(run(&entries, 20), None);
    }

    #[test]
    fn apply_refuses_a_mass_selection_unless_acknowledged() {
        let guard = MassResignationGuard::default();
        let entries: Vec<_> = (0..10).map(|n| resigning(&n.to_string())).collect();
        let warnings = [run(&entries, 50).unwrap()];
        let all: Vec<usize> = (0..10).collect();
        let refused = check_selection(Some(&guard), &warnings, &entries, &all, false);
        assert!(
            matches!(
                refused,
                Err(SyncError::MassResignationNotAcknowledged {
                    count: 10,
                    enrolled: 50,
                    ..
                })
            ),
            "{refused:?}"
        );
        assert!(check_selection(Some(&guard), &warnings, &entries, &all, true).is_ok());
        // A part of it below the threshold needs no acknowledgement.
        assert!(check_selection(Some(&guard), &warnings, &entries, &all[..5], false).is_ok());
        // Neither does a run that did not warn, nor one whose guard is off.
        assert!(check_selection(Some(&guard), &[], &entries, &all, false).is_ok());
        assert!(check_selection(None, &warnings, &entries, &all, false).is_ok());
    }
}
