//! Classification rules through the public API: the code's identity (issue 10, item 1), the
//! validation of what is sent (issue 11, item 1), required fields of Changed employees
//! (issue 11, item 2), and independence from the order of either list.

use chrono::NaiveDate;
use hris_sync_core::classify::{classify, ClassifyRules};
use hris_sync_core::system::CodeCharacters;
use hris_sync_core::{
    ChangeKind, ComparisonPolicy, Employee, EmployeeCode, EmployeeRecord, Field, Gender,
    InvalidReason, RecordId, ReportEntry, Side, SystemInfo,
};

fn day(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap()
}

/// Today in Japan for every test here.
fn today() -> NaiveDate {
    day(2026, 5, 1)
}

/// A KOT-like target: gender and names required, conservative codes, a short last name.
fn target_info() -> SystemInfo {
    SystemInfo::new("Attendance", Side::Attendance)
        .with_required_on_create([Field::Gender, Field::LastName, Field::FirstName])
        .with_code_characters(CodeCharacters::ascii_alphanumeric_and("-_"))
        .with_max_lengths([(Field::Code, 10), (Field::LastName, 10)])
}

fn person(code: &str) -> Employee {
    Employee::new(code)
        .with_name("山田", "太郎")
        .with_kana("ヤマダ", "タロウ")
        .with_gender(Gender::Male)
        .with_birth_date(day(1990, 5, 1))
        .with_hire_date(day(2015, 4, 1))
        .with_email("yamada@example.jp")
}

fn record(id: &str, employee: Employee) -> EmployeeRecord {
    EmployeeRecord {
        id: RecordId::new(id),
        employee,
    }
}

fn run(source: Vec<Employee>, target: &[EmployeeRecord]) -> Vec<ReportEntry> {
    let info = target_info();
    let policy = ComparisonPolicy::default();
    classify(source, target, &ClassifyRules::new(&info, &policy, today()))
}

fn code_warnings(entry: &ReportEntry) -> Vec<&str> {
    entry
        .warnings
        .iter()
        .filter(|warning| warning.field == Field::Code)
        .map(|warning| warning.message.as_str())
        .collect()
}

fn invalid_field(entry: &ReportEntry) -> Option<Field> {
    match &entry.invalid_reason {
        Some(InvalidReason::InvalidValue { field, .. }) => Some(*field),
        _ => None,
    }
}

#[test]
fn issue10_codes_with_blanks_around_them_match_the_existing_records() {
    let mut renamed = person("1001 ");
    renamed.last_name = Some("佐藤".into());
    let target = [record("k1", person("1001")), record("k3", person("1003"))];
    let entries = run(vec![renamed, person("1003\u{3000}")], &target);

    assert_eq!(entries[0].kind, ChangeKind::Changed);
    assert_eq!(entries[0].target_id, Some(RecordId::new("k1")));
    assert_eq!(entries[1].kind, ChangeKind::Unchanged);
    assert_eq!(entries[1].target_id, Some(RecordId::new("k3")));
    // The entry keeps the source's form; the employee as sent carries the canonical code.
    assert_eq!(entries[0].code, EmployeeCode::new("1001 "));
    assert_eq!(entries[0].employee.code, EmployeeCode::new("1001"));
    assert_eq!(entries[1].code, EmployeeCode::new("1003\u{3000}"));
    assert_eq!(entries[1].employee.code, EmployeeCode::new("1003"));
    // Each says so, with the source's blanks visible.
    let warning = code_warnings(&entries[0]);
    assert_eq!(warning.len(), 1);
    assert!(warning[0].contains(r#""1001 ""#), "{}", warning[0]);
    let warning = code_warnings(&entries[1]);
    assert_eq!(warning.len(), 1);
    assert!(warning[0].contains(r#""1003\u{3000}""#), "{}", warning[0]);
}

#[test]
fn issue10_a_new_employee_is_created_with_the_canonical_code() {
    let entries = run(vec![person("1002\t"), person("１０５０")], &[]);
    for (entry, canonical) in entries.iter().zip(["1002", "1050"]) {
        assert_eq!(entry.kind, ChangeKind::New, "{:?}", entry.invalid_reason);
        assert_eq!(entry.employee.code.as_str(), canonical);
        assert_eq!(code_warnings(entry).len(), 1);
    }
    assert_eq!(entries[0].code.as_str(), "1002\t");
    assert!(code_warnings(&entries[0])[0].contains(r#""1002\t""#));
    // A canonical code gets no warning.
    let plain = run(vec![person("1002")], &[]);
    assert!(plain[0].warnings.is_empty(), "{:?}", plain[0].warnings);
}

#[test]
fn issue10_a_full_width_code_matches_its_half_width_record() {
    let entries = run(vec![person("１０４１")], &[record("k41", person("1041"))]);
    assert_eq!(entries[0].kind, ChangeKind::Unchanged);
    assert_eq!(entries[0].target_id, Some(RecordId::new("k41")));
    assert_eq!(entries[0].employee.code.as_str(), "1041");
}

#[test]
fn issue10_a_code_with_a_blank_inside_or_a_character_the_target_cannot_hold_is_invalid() {
    let entries = run(
        vec![person("10 01"), person("10\u{3000}02"), person("A.03")],
        &[],
    );
    for entry in &entries {
        assert_eq!(entry.kind, ChangeKind::Invalid, "{}", entry.code);
        assert_eq!(invalid_field(entry), Some(Field::Code), "{}", entry.code);
        assert!(!entry.is_selectable());
    }
    // An existing record holds the code already: the code is not sent, nothing to refuse.
    let existing = run(vec![person("A.03")], &[record("k", person("A.03"))]);
    assert_eq!(existing[0].kind, ChangeKind::Unchanged);
}

#[test]
fn issue10_codes_that_fold_to_one_key_are_duplicates() {
    let entries = run(vec![person("1001"), person("2"), person("1001 ")], &[]);
    for at in [0, 2] {
        assert_eq!(entries[at].kind, ChangeKind::Invalid);
        assert_eq!(
            entries[at].invalid_reason,
            Some(InvalidReason::DuplicateInSource { count: 2 })
        );
    }
    assert_eq!(entries[1].kind, ChangeKind::New);

    let target = [
        record("k1", person("1001")),
        record("k2", person("１００１\u{3000}")),
    ];
    let entries = run(vec![person("1001")], &target);
    assert_eq!(
        entries[0].invalid_reason,
        Some(InvalidReason::DuplicateInTarget { count: 2 })
    );
}

#[test]
fn issue11_only_what_is_sent_is_validated() {
    let long = "長".repeat(11);
    let long_named = |code: &str| {
        let mut employee = person(code);
        employee.last_name = Some(long.clone());
        employee
    };
    let mut email_changed = long_named("2");
    email_changed.email = Some("new@example.jp".into());
    let mut name_changed = person("3");
    name_changed.last_name = Some(long.clone());
    let target = [
        record("k1", long_named("1")),
        record("k2", long_named("2")),
        record("k3", person("3")),
    ];
    let entries = run(
        vec![
            long_named("1"),
            email_changed,
            name_changed,
            long_named("4"),
        ],
        &target,
    );
    // Unchanged: nothing is sent, the over-long name held on both sides is not checked.
    assert_eq!(entries[0].kind, ChangeKind::Unchanged);
    // Changed in the email only: the name is not sent.
    assert_eq!(entries[1].kind, ChangeKind::Changed);
    // Changed in the name: the update would send it.
    assert_eq!(entries[2].kind, ChangeKind::Invalid);
    assert_eq!(invalid_field(&entries[2]), Some(Field::LastName));
    assert_eq!(entries[2].target_id, Some(RecordId::new("k3")));
    // New: everything is sent.
    assert_eq!(entries[3].kind, ChangeKind::Invalid);
    assert_eq!(invalid_field(&entries[3]), Some(Field::LastName));
}

#[test]
fn issue11_dates_are_validated_when_sent() {
    // The issue's cases, as new employees: born after the hire date; born in the future.
    let mut born_after_hire = person("1");
    born_after_hire.birth_date = Some(day(2000, 1, 1));
    born_after_hire.hire_date = Some(day(1995, 4, 1));
    let mut unborn = person("2");
    unborn.birth_date = Some(day(2027, 5, 1));
    let mut resigned_before_hire = person("3");
    resigned_before_hire.resignation_date = Some(day(2015, 3, 31));
    let entries = run(
        vec![born_after_hire.clone(), unborn, resigned_before_hire],
        &[],
    );
    assert_eq!(invalid_field(&entries[0]), Some(Field::BirthDate));
    assert_eq!(invalid_field(&entries[1]), Some(Field::BirthDate));
    assert_eq!(invalid_field(&entries[2]), Some(Field::ResignationDate));

    // The same bad dates on both sides, and an update of the email only: not sent.
    let mut email_changed = born_after_hire.clone();
    email_changed.email = Some("new@example.jp".into());
    let entries = run(
        vec![email_changed],
        &[record("k1", born_after_hire.clone())],
    );
    assert_eq!(entries[0].kind, ChangeKind::Changed);
    // An update of the hire date that puts it before the birth date is refused.
    let mut good = born_after_hire.clone();
    good.hire_date = Some(day(2020, 4, 1));
    let entries = run(vec![born_after_hire], &[record("k1", good)]);
    assert_eq!(entries[0].kind, ChangeKind::Invalid);
    assert_eq!(invalid_field(&entries[0]), Some(Field::BirthDate));
}

#[test]
fn issue11_a_young_hire_is_a_warning_only() {
    let mut young = person("1");
    young.birth_date = Some(day(2001, 4, 2));
    young.hire_date = Some(day(2016, 4, 1));
    let entries = run(vec![young], &[]);
    assert_eq!(entries[0].kind, ChangeKind::New);
    assert!(entries[0]
        .warnings
        .iter()
        .any(|warning| warning.field == Field::BirthDate));
}

#[test]
fn issue11_a_changed_employee_is_not_blocked_by_a_required_field_it_does_not_send() {
    // Gender missing on both sides (KOT's no_selected reads as unset), last name differs.
    let mut hr = person("1");
    hr.gender = None;
    hr.last_name = Some("佐藤".into());
    let mut kot = person("1");
    kot.gender = None;
    let entries = run(vec![hr.clone()], &[record("k1", kot)]);
    assert_eq!(entries[0].kind, ChangeKind::Changed, "{:?}", entries[0]);
    let fields: Vec<Field> = entries[0].differences.iter().map(|d| d.field).collect();
    assert_eq!(fields, [Field::LastName]);

    // An update that would clear the gender the target holds is refused.
    let entries = run(vec![hr.clone()], &[record("k1", person("1"))]);
    assert_eq!(entries[0].kind, ChangeKind::Invalid);
    assert_eq!(
        entries[0].invalid_reason,
        Some(InvalidReason::MissingRequiredField {
            field: Field::Gender
        })
    );
    // A blank first name where the target has one clears it too.
    let mut blank = person("1");
    blank.first_name = Some("\u{3000}".into());
    let entries = run(vec![blank], &[record("k1", person("1"))]);
    assert_eq!(
        entries[0].invalid_reason,
        Some(InvalidReason::MissingRequiredField {
            field: Field::FirstName
        })
    );
    // A create still needs every required field.
    let entries = run(vec![hr], &[]);
    assert_eq!(
        entries[0].invalid_reason,
        Some(InvalidReason::MissingRequiredField {
            field: Field::Gender
        })
    );
}

/// A small deterministic generator (xorshift64*), enough to shuffle test data.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % n
    }

    fn shuffle<T>(&mut self, items: &mut [T]) {
        for at in (1..items.len()).rev() {
            items.swap(at, self.below(at + 1));
        }
    }
}

/// Source and target lists with every kind of entry: new, changed, unchanged, codes with
/// blanks and full-width digits, duplicates on either side, invalid codes and dates.
/// `count` employees before the odd ones.
fn mixed_lists(count: usize) -> (Vec<Employee>, Vec<EmployeeRecord>) {
    let mut source = Vec::new();
    let mut target = Vec::new();
    for n in 0..count {
        let code = format!("{:04}", 2000 + n);
        let mut employee = person(&code);
        match n % 8 {
            0 => employee.last_name = Some("佐藤".into()),
            1 => employee.code = EmployeeCode::new(format!("{code}\u{3000}")),
            2 => {
                let wide: String = code
                    .chars()
                    .map(|c| char::from_u32(c as u32 + 0xFEE0).unwrap())
                    .collect();
                employee.code = EmployeeCode::new(wide);
            }
            3 => employee.gender = None,
            4 => employee.birth_date = Some(day(2030, 1, 1)),
            _ => {}
        }
        if n % 5 != 0 {
            target.push(record(&format!("k{n}"), person(&code)));
        }
        source.push(employee);
    }
    source.push(person("2001 "));
    source.push(person("10 99"));
    source.push(person(""));
    target.push(record("dup", person("2002\t")));
    (source, target)
}

#[test]
fn r5_classification_does_not_depend_on_the_order_of_either_list() {
    same_classification_in_any_order(40, 64);
}

/// Lists long enough to span many of classification's read-ahead blocks and hash buckets.
#[test]
fn r5_long_lists_classify_the_same_in_any_order() {
    same_classification_in_any_order(3_000, 6);
}

/// Classifies `mixed_lists(count)` as given and in `rounds` random orders of both lists
/// (fixed seed): every source employee's entry must be the same.
fn same_classification_in_any_order(count: usize, rounds: usize) {
    let (source, target) = mixed_lists(count);
    let expected = run(source.clone(), &target);
    let kinds = |kind| expected.iter().filter(|entry| entry.kind == kind).count();
    assert!(
        [
            ChangeKind::New,
            ChangeKind::Changed,
            ChangeKind::Unchanged,
            ChangeKind::Invalid
        ]
        .into_iter()
        .all(|kind| kinds(kind) > 0),
        "the data covers every kind"
    );
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..rounds {
        let mut order: Vec<usize> = (0..source.len()).collect();
        rng.shuffle(&mut order);
        let mut shuffled_target = target.clone();
        rng.shuffle(&mut shuffled_target);
        let shuffled_source = order.iter().map(|at| source[*at].clone()).collect();
        let entries = run(shuffled_source, &shuffled_target);
        for (entry, at) in entries.iter().zip(&order) {
            assert_eq!(entry, &expected[*at], "source position {at}");
        }
    }
}
