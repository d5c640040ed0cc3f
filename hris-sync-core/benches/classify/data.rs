//! Realistic employee lists for the benches: Japanese names and readings; 70 % unchanged,
//! 20 % changed, 10 % new, plus resigned target-only records, with the target in a random
//! (fixed-seed) order, as real systems return it. Shared with the fetch bench of
//! connector-kingoftime (included by path, so both measure the same data).

use chrono::NaiveDate;
use hris_sync_core::{Employee, EmployeeRecord, Gender, RecordId};

const SURNAMES: [(&str, &str); 12] = [
    ("佐藤", "サトウ"),
    ("鈴木", "スズキ"),
    ("高橋", "タカハシ"),
    ("田中", "タナカ"),
    ("伊藤", "イトウ"),
    ("渡辺", "ワタナベ"),
    ("山本", "ヤマモト"),
    ("中村", "ナカムラ"),
    ("小林", "コバヤシ"),
    ("加藤", "カトウ"),
    ("吉田", "ヨシダ"),
    ("山田", "ヤマダ"),
];
const GIVEN: [(&str, &str, Gender); 8] = [
    ("太郎", "タロウ", Gender::Male),
    ("花子", "ハナコ", Gender::Female),
    ("翔太", "ショウタ", Gender::Male),
    ("美咲", "ミサキ", Gender::Female),
    ("健一", "ケンイチ", Gender::Male),
    ("陽菜", "ヒナ", Gender::Female),
    ("大輔", "ダイスケ", Gender::Male),
    ("結衣", "ユイ", Gender::Female),
];

/// Employee number `n` of the source.
pub(crate) fn employee(n: usize) -> Employee {
    let (last, last_kana) = SURNAMES[n % SURNAMES.len()];
    let (first, first_kana, gender) = GIVEN[(n / SURNAMES.len()) % GIVEN.len()];
    let day = |offset: usize| {
        NaiveDate::from_ymd_opt(2000, 1, 1).unwrap() + chrono::Days::new((offset % 9000) as u64)
    };
    Employee::new(format!("E{n:07}"))
        .with_name(last, first)
        .with_kana(last_kana, first_kana)
        .with_gender(gender)
        .with_birth_date(day(n * 7))
        .with_hire_date(day(n * 3 + 3000))
        .with_email(format!("user{n}@example.co.jp"))
}

/// The source's `size` employees, in code order.
pub(crate) fn source(size: usize) -> Vec<Employee> {
    (0..size).map(employee).collect()
}

/// What the target holds for source employee `n` (`None`: New), or for a resigned person
/// the source no longer lists when `n >= size`.
pub(crate) fn target_employee(n: usize, size: usize) -> Option<Employee> {
    if n >= size {
        return Some(
            employee(n).with_resignation_date(NaiveDate::from_ymd_opt(2020, 3, 31).unwrap()),
        );
    }
    let mut employee = employee(n);
    match n % 10 {
        0 => return None,
        1 => employee.last_name = Some("旧姓".into()),
        2 => employee.email = Some(format!("old{n}@example.co.jp")),
        _ => {}
    }
    Some(employee)
}

/// The target's records for a source of `size`: 90 % of the source (70 % identical, 20 %
/// differing in a name or an email) and `size / 10` resigned people, in a random order
/// fixed by `seed`. Records are built in that order, so their memory is laid out as a
/// decoded list in that order would be.
/// `seed` 0 keeps the source's order (the resigned people last).
pub(crate) fn target(size: usize, seed: u64) -> Vec<EmployeeRecord> {
    let order = match seed {
        0 => (0..size + size / 10).collect(),
        seed => shuffled(size + size / 10, seed),
    };
    order
        .into_iter()
        .filter_map(|n| target_employee(n, size).map(|employee| (n, employee)))
        .map(|(n, employee)| EmployeeRecord {
            id: RecordId::new(format!("key-{n:08x}")),
            employee,
        })
        .collect()
}

/// `0..len` in a random order fixed by `seed` (Fisher–Yates on SplitMix64).
pub(crate) fn shuffled(len: usize, seed: u64) -> Vec<usize> {
    let mut state = seed;
    let mut next = move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let mut order: Vec<usize> = (0..len).collect();
    for i in (1..len).rev() {
        order.swap(i, (next() % (i as u64 + 1)) as usize);
    }
    order
}
