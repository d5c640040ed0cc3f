//! Classification (SPEC R5): each enrolled source employee against every target record, by
//! employee code, into New / Changed / Unchanged / Invalid.
//!
//! Linear in the number of employees (P1), and laid out for memory rather than instruction
//! count, since at 100,000 employees the lists do not fit in the caches: codes are matched
//! on compact (hash, position) pairs grouped by one counting sort (`matching`), and the
//! target records, which come in an unrelated order, are read a block ahead so their cache
//! misses overlap (`ahead`). Codes are hashed with FxHash: they come from the company's own
//! systems, so hash flooding is not a threat worth SipHash's cost here (and a flood would
//! only slow the sort of one bucket, never change a result).

mod ahead;
mod matching;

use std::collections::HashMap;

use chrono::NaiveDate;

use self::matching::Match;

use crate::compare::ComparisonPolicy;
use crate::model::{Employee, EmployeeRecord, Field, RecordId};
use crate::report::{ChangeKind, FieldDifference, InvalidReason, ReportEntry, Warning};
use crate::system::{SystemInfo, Unclearable};

/// What classification needs besides the two lists: what the target declares, the
/// comparison policy, and the run's date.
///
/// ```
/// use chrono::NaiveDate;
/// use hris_sync_core::classify::ClassifyRules;
/// use hris_sync_core::{ComparisonPolicy, Side, SystemInfo};
///
/// let target = SystemInfo::new("Attendance", Side::Attendance);
/// let policy = ComparisonPolicy::default();
/// let rules = ClassifyRules::new(&target, &policy, NaiveDate::from_ymd_opt(2026, 5, 1).unwrap());
/// assert_eq!(rules.today.to_string(), "2026-05-01");
/// ```
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct ClassifyRules<'a> {
    /// What the target declares: [`SystemInfo::required_on_create`],
    /// [`SystemInfo::max_lengths`] and [`SystemInfo::code_characters`] are read.
    pub target: &'a SystemInfo,
    /// The comparison policy (also the validation's
    /// [`minimum_age_at_hire`](ComparisonPolicy::minimum_age_at_hire)).
    pub policy: &'a ComparisonPolicy,
    /// Today's date in Japan (`Clock::today_in_japan`): a birth date after it is Invalid.
    pub today: NaiveDate,
    /// The fields the target cannot clear on some of its records
    /// ([`EmployeeSystem::cannot_clear`](crate::EmployeeSystem::cannot_clear)), by record.
    pub cannot_clear: Option<&'a HashMap<RecordId, Vec<Unclearable>>>,
}

impl<'a> ClassifyRules<'a> {
    /// The rules for a run against `target` under `policy` on `today` (Japan time).
    pub fn new(target: &'a SystemInfo, policy: &'a ComparisonPolicy, today: NaiveDate) -> Self {
        Self {
            target,
            policy,
            today,
            cannot_clear: None,
        }
    }

    /// Sets [`ClassifyRules::cannot_clear`].
    pub fn with_cannot_clear(mut self, blocked: &'a HashMap<RecordId, Vec<Unclearable>>) -> Self {
        self.cannot_clear = Some(blocked);
        self
    }
}

/// Leaves out of `differences` every clear of a field the target cannot clear on this record
/// (`blocked`), and returns a warning saying why for each one left out. What is left is what
/// an update may send; when nothing is left the employee is Unchanged, so a run right after
/// does not list the same change again.
pub fn leave_out_blocked_clears(
    differences: &mut Vec<FieldDifference>,
    blocked: &[Unclearable],
) -> Vec<Warning> {
    let mut warnings = Vec::new();
    differences.retain(|difference| {
        let clears = difference.source.is_none() && difference.target.is_some();
        match blocked.iter().find(|block| block.field == difference.field) {
            Some(block) if clears => {
                warnings.push(Warning {
                    field: block.field,
                    message: format!("not cleared: {}", block.reason),
                });
                false
            }
            _ => true,
        }
    });
    warnings
}

/// Classifies `source` (already filtered to the enrolled employees, in the form to be sent)
/// against every record of the target, resigned and future ones included.
///
/// Codes are matched, and counted for duplicates, by their
/// [`match_key`](ComparisonPolicy::match_key): `1001 `, `1001　` and `１００１` are the
/// employee `1001`. Each entry's [`code`](ReportEntry::code) is the code as the source holds
/// it; its [`employee`](ReportEntry::employee) carries the canonical code (the match key),
/// which is what a create sends. When the two differ, the entry has a warning on
/// [`Field::Code`] quoting the source's form with its blanks visible (Unchanged entries too:
/// it is about the source's data, not about a write).
///
/// Entries come out in the source's order. An employee is Invalid — with the first reason
/// found, in this order — when its code is empty, its code appears more than once in the
/// source, its code matches more than one target record, a value that will be sent is
/// refused by [`ComparisonPolicy::validate`] (code, lengths, email, dates), or a field the
/// target requires is missing: for a New employee, any of
/// [`SystemInfo::required_on_create`]; for a Changed one, only a required field its update
/// would clear. Only what will be sent is checked: everything for a New employee, the
/// differing fields for a Changed one, nothing for an Unchanged one. An Invalid employee
/// that matched one target record keeps its differences and the record's id, for the
/// administrator to see.
///
/// The outcome for each employee does not depend on the order of either list.
///
/// ```
/// use chrono::NaiveDate;
/// use hris_sync_core::classify::{classify, ClassifyRules};
/// use hris_sync_core::{ChangeKind, ComparisonPolicy, Employee, EmployeeRecord, Field, Gender,
///     RecordId, Side, SystemInfo};
///
/// let source = vec![
///     Employee::new("1").with_name("山田", "太郎").with_gender(Gender::Male),
///     Employee::new("2").with_name("佐藤", "花子").with_gender(Gender::Female),
///     Employee::new("3\u{3000}").with_name("鈴木", "一郎").with_gender(Gender::Male),
/// ];
/// let target = vec![
///     EmployeeRecord {
///         id: RecordId::new("k1"),
///         employee: Employee::new("1").with_name("山田", "次郎").with_gender(Gender::Male),
///     },
///     EmployeeRecord {
///         id: RecordId::new("k3"),
///         employee: Employee::new("3").with_name("鈴木", "一郎").with_gender(Gender::Male),
///     },
/// ];
/// let info = SystemInfo::new("Attendance", Side::Attendance)
///     .with_required_on_create([Field::Gender]);
/// let policy = ComparisonPolicy::default();
/// let today = NaiveDate::from_ymd_opt(2026, 5, 1).unwrap();
/// let entries = classify(source, &target, &ClassifyRules::new(&info, &policy, today));
/// assert_eq!(entries[0].kind, ChangeKind::Changed);
/// assert_eq!(entries[0].differences[0].field, Field::FirstName);
/// assert_eq!(entries[1].kind, ChangeKind::New);
/// assert_eq!(entries[2].kind, ChangeKind::Unchanged);
/// assert_eq!(entries[2].code.as_str(), "3\u{3000}");
/// assert_eq!(entries[2].employee.code.as_str(), "3");
/// assert_eq!(entries[2].warnings[0].field, Field::Code);
/// ```
pub fn classify(
    source: Vec<Employee>,
    target: &[EmployeeRecord],
    rules: &ClassifyRules<'_>,
) -> Vec<ReportEntry> {
    let policy = rules.policy;
    let matches = matching::match_codes(policy, &source, target);
    // The target record each source employee is compared with: its one match, if any.
    let partner = |found: &Match| {
        found
            .target
            .filter(|(_, count)| *count == 1)
            .map(|(at, _)| &target[at])
    };
    let ahead = |from: usize| {
        matches
            .get(from.min(matches.len())..(from + ahead::BLOCK).min(matches.len()))
            .unwrap_or_default()
            .iter()
            .filter_map(partner)
    };
    let mut entries = Vec::with_capacity(source.len());
    for (at, (employee, found)) in source.into_iter().zip(&matches).enumerate() {
        if at % ahead::BLOCK == 0 {
            ahead::touch_records(ahead(at + 4 * ahead::BLOCK));
            ahead::touch_texts(ahead(at + 2 * ahead::BLOCK));
        }
        let mut matched = found.target;
        if found.unconfirmed
            && !partner(found)
                .is_some_and(|record| matching::confirmed(policy, &employee, &record.employee))
        {
            matched = None;
        }
        entries.push(entry(employee, found.source_count, matched, target, rules));
    }
    entries
}

/// Classifies one source employee, given how many source employees share its code and the
/// target records that carry it (the first one's position and their count).
fn entry(
    mut employee: Employee,
    source_count: usize,
    matched: Option<(usize, usize)>,
    target: &[EmployeeRecord],
    rules: &ClassifyRules<'_>,
) -> ReportEntry {
    let policy = rules.policy;
    let required = rules.target.required_on_create.as_slice();
    let record = matched
        .filter(|(_, count)| *count == 1)
        .map(|(at, _)| &target[at]);
    let mut warnings = Vec::new();
    // The entry keeps the source's form; the employee, as sent, the canonical code.
    let code = match policy.canonical_code(&employee.code) {
        Some((canonical, warning)) => {
            warnings.push(warning);
            std::mem::replace(&mut employee.code, canonical)
        }
        None => employee.code.clone(),
    };
    let mut invalid = if employee.code.is_blank() {
        Some(InvalidReason::EmptyCode)
    } else if source_count > 1 {
        Some(InvalidReason::DuplicateInSource {
            count: source_count,
        })
    } else if let Some((_, count @ 2..)) = matched {
        Some(InvalidReason::DuplicateInTarget { count })
    } else {
        None
    };
    let differences = match (&invalid, record) {
        (None, Some(record)) => {
            let mut found = differences(policy, &record.employee, &employee);
            if let Some(blocked) = rules.cannot_clear.and_then(|map| map.get(&record.id)) {
                warnings.extend(leave_out_blocked_clears(&mut found, blocked));
            }
            found
        }
        _ => Vec::new(),
    };
    // Only what will be sent is checked: an Unchanged employee sends nothing.
    let unchanged = invalid.is_none() && record.is_some() && differences.is_empty();
    if invalid.is_none() && !unchanged {
        let updated: Vec<Field>;
        let sent: &[Field] = if record.is_none() {
            &Field::ALL
        } else {
            updated = differences
                .iter()
                .map(|difference| difference.field)
                .collect();
            &updated
        };
        let validation = policy.validate(&employee, sent, rules.target, rules.today);
        warnings.extend(validation.warnings);
        invalid = validation.errors.into_iter().next().or_else(|| {
            // A create needs every required field; an update must not clear one.
            let missing = match record {
                None => required
                    .iter()
                    .copied()
                    .find(|field| is_missing(&employee, *field)),
                Some(_) => sent
                    .iter()
                    .copied()
                    .find(|field| required.contains(field) && is_missing(&employee, *field)),
            };
            missing.map(|field| InvalidReason::MissingRequiredField { field })
        });
    }
    let kind = match (&invalid, record) {
        (Some(_), _) => ChangeKind::Invalid,
        (None, None) => ChangeKind::New,
        (None, Some(_)) if unchanged => ChangeKind::Unchanged,
        (None, Some(_)) => ChangeKind::Changed,
    };
    ReportEntry {
        code,
        kind,
        invalid_reason: invalid,
        differences,
        warnings,
        employee,
        target_id: record.map(|record| record.id.clone()),
        outcome: None,
        intent: None,
    }
}

/// The synced fields in which `source` differs from `target` under `policy`, in field order.
pub fn differences(
    policy: &ComparisonPolicy,
    target: &Employee,
    source: &Employee,
) -> Vec<FieldDifference> {
    Field::COMPARED
        .into_iter()
        .filter(|field| !same(policy, *field, target, source))
        .map(|field| FieldDifference {
            field,
            target: target.get(field),
            source: source.get(field),
        })
        .collect()
}

/// Equal under the policy; two texts are compared without wrapping them in `FieldValue`s.
fn same(policy: &ComparisonPolicy, field: Field, target: &Employee, source: &Employee) -> bool {
    if let (Some(a), Some(b)) = (target.text(field), source.text(field)) {
        return policy.equivalent_text(field, a, b);
    }
    match field {
        Field::Gender => target.gender == source.gender,
        Field::BirthDate => target.birth_date == source.birth_date,
        Field::HireDate => target.hire_date == source.hire_date,
        Field::ResignationDate => target.resignation_date == source.resignation_date,
        // A text against no text: the policy decides (an empty text may count as unset).
        _ => policy.equivalent(
            field,
            target.get(field).as_ref(),
            source.get(field).as_ref(),
        ),
    }
}

/// Whether `employee` has no value in `field` (a text of blanks only counts as none).
pub(crate) fn is_missing(employee: &Employee, field: Field) -> bool {
    match field {
        Field::Gender => employee.gender.is_none(),
        Field::BirthDate => employee.birth_date.is_none(),
        Field::HireDate => employee.hire_date.is_none(),
        Field::ResignationDate => employee.resignation_date.is_none(),
        text => employee
            .text(text)
            .is_none_or(|value| value.trim().is_empty()),
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::model::{FieldValue, Gender, RecordId};
    use crate::system::Side;

    fn person(code: &str) -> Employee {
        Employee::new(code)
            .with_name("山田", "太郎")
            .with_kana("ヤマダ", "タロウ")
            .with_gender(Gender::Male)
            .with_hire_date(NaiveDate::from_ymd_opt(2020, 4, 1).unwrap())
            .with_email("yamada@example.jp")
    }

    fn record(id: &str, employee: Employee) -> EmployeeRecord {
        EmployeeRecord {
            id: RecordId::new(id),
            employee,
        }
    }

    fn run(source: Vec<Employee>, target: &[EmployeeRecord]) -> Vec<ReportEntry> {
        let policy = ComparisonPolicy::default();
        let info = SystemInfo::new("target", Side::Attendance).with_required_on_create([
            Field::Gender,
            Field::LastName,
            Field::FirstName,
        ]);
        let today = NaiveDate::from_ymd_opt(2026, 5, 1).unwrap();
        classify(source, target, &ClassifyRules::new(&info, &policy, today))
    }

    #[test]
    fn r5_new_changed_unchanged() {
        let mut changed = person("2");
        changed.last_name = Some("佐藤".into());
        changed.email = None;
        let target = [record("k1", person("1")), record("k2", person("2"))];
        let entries = run(vec![person("1"), changed, person("3")], &target);
        assert_eq!(entries[0].kind, ChangeKind::Unchanged);
        assert_eq!(entries[0].target_id, Some(RecordId::new("k1")));
        assert_eq!(entries[1].kind, ChangeKind::Changed);
        assert_eq!(
            entries[1].differences,
            vec![
                FieldDifference {
                    field: Field::LastName,
                    target: Some(FieldValue::Text("山田".into())),
                    source: Some(FieldValue::Text("佐藤".into())),
                },
                FieldDifference {
                    field: Field::Email,
                    target: Some(FieldValue::Text("yamada@example.jp".into())),
                    source: None,
                },
            ]
        );
        assert_eq!(entries[2].kind, ChangeKind::New);
        assert_eq!(entries[2].target_id, None);
    }

    #[test]
    fn r5_matches_resigned_and_future_target_records_so_no_duplicate_is_created() {
        let resigned =
            person("1").with_resignation_date(NaiveDate::from_ymd_opt(2021, 3, 31).unwrap());
        let future = person("2").with_hire_date(NaiveDate::from_ymd_opt(2030, 4, 1).unwrap());
        let target = [record("k1", resigned), record("k2", future)];
        let entries = run(vec![person("1"), person("2")], &target);
        assert!(entries
            .iter()
            .all(|entry| entry.kind == ChangeKind::Changed));
        assert_eq!(entries[0].differences[0].field, Field::ResignationDate);
        assert_eq!(entries[1].differences[0].field, Field::HireDate);
    }

    #[test]
    fn r5_invalid_empty_code() {
        let entries = run(vec![person(""), person("　")], &[]);
        for entry in entries {
            assert_eq!(entry.kind, ChangeKind::Invalid);
            assert_eq!(entry.invalid_reason, Some(InvalidReason::EmptyCode));
        }
    }

    #[test]
    fn r5_invalid_duplicate_in_source_marks_every_copy() {
        let entries = run(vec![person("1"), person("2"), person("1")], &[]);
        assert_eq!(entries[0].kind, ChangeKind::Invalid);
        assert_eq!(
            entries[0].invalid_reason,
            Some(InvalidReason::DuplicateInSource { count: 2 })
        );
        assert_eq!(entries[1].kind, ChangeKind::New);
        assert_eq!(entries[2].kind, ChangeKind::Invalid);
    }

    #[test]
    fn r5_invalid_duplicate_in_target() {
        let target = [record("k1", person("1")), record("k2", person("1"))];
        let entries = run(vec![person("1")], &target);
        assert_eq!(
            entries[0].invalid_reason,
            Some(InvalidReason::DuplicateInTarget { count: 2 })
        );
        assert_eq!(entries[0].target_id, None);
    }

    #[test]
    fn r5_invalid_missing_required_field() {
        let mut no_gender = person("1");
        no_gender.gender = None;
        let mut blank_name = person("2");
        blank_name.first_name = Some("  ".into());
        let entries = run(vec![no_gender, blank_name], &[]);
        assert_eq!(
            entries[0].invalid_reason,
            Some(InvalidReason::MissingRequiredField {
                field: Field::Gender
            })
        );
        assert_eq!(
            entries[1].invalid_reason,
            Some(InvalidReason::MissingRequiredField {
                field: Field::FirstName
            })
        );
    }

    #[test]
    fn r5_missing_required_field_is_invalid_for_existing_employees_too() {
        // An update would blank a field the target requires.
        let mut no_gender = person("1");
        no_gender.gender = None;
        let entries = run(vec![no_gender], &[record("k1", person("1"))]);
        assert_eq!(entries[0].kind, ChangeKind::Invalid);
        assert_eq!(entries[0].target_id, Some(RecordId::new("k1")));
    }

    #[test]
    fn b1_only_what_is_sent_is_checked() {
        let odd = |code: &str| person(code).with_name("山田①", "太郎");
        let mut changed = odd("2");
        changed.email = Some("new@example.jp".into());
        let mut renamed = odd("4");
        renamed.first_name = Some("次郎㈱".into());
        let target = [
            record("k1", odd("1")),
            record("k2", odd("2")),
            record("k4", odd("4")),
        ];
        let entries = run(vec![odd("1"), changed, odd("3"), renamed], &target);
        assert_eq!(entries[0].kind, ChangeKind::Unchanged);
        assert!(entries[0].warnings.is_empty(), "nothing is sent for it");
        // The update sends the email only: the last name's ① is not sent.
        assert_eq!(entries[1].kind, ChangeKind::Changed);
        assert!(entries[1].warnings.is_empty(), "{:?}", entries[1].warnings);
        assert_eq!(entries[2].kind, ChangeKind::New);
        assert_eq!(entries[2].warnings[0].field, Field::LastName);
        // The update sends the first name, and its ㈱ is flagged.
        assert_eq!(entries[3].kind, ChangeKind::Changed);
        let fields: Vec<Field> = entries[3].warnings.iter().map(|w| w.field).collect();
        assert_eq!(fields, [Field::FirstName]);
    }

    #[test]
    fn r8_every_synced_field_is_compared() {
        let target = person("1");
        let source = Employee::new("1")
            .with_name("佐藤", "花子")
            .with_kana("サトウ", "ハナコ")
            .with_gender(Gender::Female)
            .with_birth_date(NaiveDate::from_ymd_opt(1991, 1, 1).unwrap())
            .with_hire_date(NaiveDate::from_ymd_opt(2021, 4, 1).unwrap())
            .with_resignation_date(NaiveDate::from_ymd_opt(2025, 3, 31).unwrap())
            .with_email("sato@example.jp");
        let entries = run(vec![source], &[record("k1", target)]);
        let fields: Vec<Field> = entries[0].differences.iter().map(|d| d.field).collect();
        assert_eq!(fields, Field::COMPARED);
    }

    #[test]
    fn r5_output_keeps_the_source_order() {
        let codes: Vec<String> = (0..50).map(|n| format!("{:03}", 50 - n)).collect();
        let entries = run(codes.iter().map(|code| person(code)).collect(), &[]);
        let out: Vec<&str> = entries.iter().map(|entry| entry.code.as_str()).collect();
        assert_eq!(out, codes.iter().map(String::as_str).collect::<Vec<_>>());
    }
}
