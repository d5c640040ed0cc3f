//! The mass-clearing guard: a field the source returns empty for nearly everyone is not
//! cleared in the target.

use std::borrow::Cow;

use rustc_hash::FxHashMap;

use super::{MassClearingGuard, RunWarning, Share};
use crate::classify::is_missing;
use crate::compare::ComparisonPolicy;
use crate::model::{Employee, EmployeeRecord, Field, RecordId};
use crate::system::Unclearable;

/// The mass-clearing warnings for `source` (the enrolled list as sent) against `target`.
///
/// The common case costs one count over the source: only a field empty for nearly
/// everyone needs the target matched, by the policy's match key as classification does.
pub(super) fn check(
    guard: &MassClearingGuard,
    source: &[Employee],
    target: &[EmployeeRecord],
    policy: &ComparisonPolicy,
) -> Vec<RunWarning> {
    let listed = source.len();
    let suspects: Vec<(Field, usize)> = Field::COMPARED
        .into_iter()
        .map(|field| {
            let empty = source.iter().filter(|e| has_no_value(e, field)).count();
            (field, empty)
        })
        .filter(|(_, empty)| *empty > 0 && Share::of(*empty, listed) >= guard.min_empty_share)
        .collect();
    if suspects.is_empty() {
        return Vec::new();
    }
    // A code held twice in the target matches nothing (classification makes it Invalid).
    let mut by_key: FxHashMap<Cow<'_, str>, Option<&Employee>> =
        FxHashMap::with_capacity_and_hasher(target.len(), Default::default());
    for record in target {
        by_key
            .entry(policy.match_key(&record.employee.code))
            .and_modify(|matched| *matched = None)
            .or_insert(Some(&record.employee));
    }
    let mut held = vec![0usize; suspects.len()];
    for employee in source {
        let Some(Some(theirs)) = by_key.get(&policy.match_key(&employee.code)) else {
            continue;
        };
        for ((field, _), held) in suspects.iter().zip(&mut held) {
            // The same test as a clear: nothing in the source, a value in the target.
            if has_no_value(employee, *field) && !is_missing(theirs, *field) {
                *held += 1;
            }
        }
    }
    suspects
        .into_iter()
        .zip(held)
        .filter(|(_, held)| *held >= guard.min_held_by_target.max(1))
        .map(|((field, empty), held)| RunWarning::MassClearing {
            field,
            empty_in_source: empty,
            listed,
            held_by_target: held,
        })
        .collect()
}

/// No value at all (a blank text is a value: sending it is not a clear, and a conforming
/// system never returns one).
fn has_no_value(employee: &Employee, field: Field) -> bool {
    employee.text(field).is_none() && is_missing(employee, field)
}

/// Every clear of `fields` on `records`, as the target's own unclearable fields are given to
/// classification and apply: each is left out of the updates with a warning saying why.
pub(crate) fn blocked_clears<'a>(
    records: &'a [EmployeeRecord],
    fields: &'a [Field],
) -> impl Iterator<Item = (RecordId, Unclearable)> + 'a {
    records.iter().flat_map(move |record| {
        fields.iter().map(move |field| {
            (
                record.id.clone(),
                Unclearable {
                    field: *field,
                    reason: format!(
                        "held back by the mass-clearing guard (the source has no {field} for \
                         nearly anyone; see the run's warnings)"
                    ),
                },
            )
        })
    })
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::model::Gender;

    fn person(code: &str) -> Employee {
        Employee::new(code)
            .with_name("山田", "太郎")
            .with_gender(Gender::Male)
            .with_hire_date(NaiveDate::from_ymd_opt(2020, 4, 1).unwrap())
            .with_email(format!("e{code}@example.jp"))
    }

    fn records(count: usize) -> Vec<EmployeeRecord> {
        (0..count)
            .map(|n| EmployeeRecord {
                id: RecordId::new(format!("k{n}")),
                employee: person(&n.to_string()),
            })
            .collect()
    }

    fn without_email(count: usize) -> Vec<Employee> {
        (0..count)
            .map(|n| Employee {
                email: None,
                ..person(&n.to_string())
            })
            .collect()
    }

    fn run(source: &[Employee], target: &[EmployeeRecord]) -> Vec<RunWarning> {
        check(
            &MassClearingGuard::default(),
            source,
            target,
            &ComparisonPolicy::default(),
        )
    }

    #[test]
    fn a_field_empty_for_everyone_and_held_by_the_target_is_held_back() {
        let warnings = run(&without_email(20), &records(20));
        assert_eq!(
            warnings,
            [RunWarning::MassClearing {
                field: Field::Email,
                empty_in_source: 20,
                listed: 20,
                held_by_target: 20,
            }]
        );
    }

    #[test]
    fn nearly_every_is_the_threshold_share() {
        // 19 of 20 empty is 95 %: held back; 18 of 20 is 90 %: sent.
        let mut source = without_email(20);
        source[0].email = Some("kept@example.jp".into());
        assert_eq!(run(&source, &records(20)).len(), 1);
        source[1].email = Some("kept2@example.jp".into());
        assert!(run(&source, &records(20)).is_empty());
    }

    #[test]
    fn few_clears_are_sent_as_usual() {
        // Everyone's email is empty, but the target holds only four of them.
        let mut target = records(20);
        for record in &mut target[4..] {
            record.employee.email = None;
        }
        assert!(run(&without_email(20), &target).is_empty());
        target[4].employee.email = Some("fifth@example.jp".into());
        assert_eq!(run(&without_email(20), &target).len(), 1);
    }

    #[test]
    fn new_employees_count_in_the_share_but_clear_nothing() {
        // 20 listed, all without email; only 3 exist in the target.
        assert!(run(&without_email(20), &records(3)).is_empty());
    }

    #[test]
    fn codes_match_as_classification_matches_them() {
        let source: Vec<Employee> = without_email(10)
            .into_iter()
            .map(|e| Employee {
                code: format!("{}\u{3000}", e.code).into(),
                ..e
            })
            .collect();
        assert_eq!(run(&source, &records(10)).len(), 1);
    }

    #[test]
    fn blocked_clears_name_every_record_and_field() {
        let target = records(3);
        let blocked: Vec<_> = blocked_clears(&target, &[Field::Email, Field::Gender]).collect();
        assert_eq!(blocked.len(), 6);
        assert_eq!(blocked[1].0, RecordId::new("k0"));
        assert_eq!(blocked[1].1.field, Field::Gender);
        assert!(blocked[0].1.reason.contains("mass-clearing guard"));
    }
}
