//! SPEC P1: classification time and peak memory at 1,000 / 10,000 / 100,000 employees per
//! side, realistic data (Japanese names and readings; 70 % unchanged, 20 % changed, 10 % new,
//! plus resigned target-only records). Prints a table; run with
//! `cargo bench -p hris-sync-core --bench classify`.
//!
//! `P1_SIZES=10000 P1_RUNS=1` limits the sizes and runs (for profiling under callgrind).
//!
//! Peak memory is measured by a counting global allocator: the bytes allocated by
//! classification on top of the inputs it is given; process peak RSS (VmHWM) is shown too.

// The counting allocator is the one unsafe item in the workspace: a global allocator
// cannot be written without it. It only forwards to the system allocator.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use hris_sync_core::classify::{classify, ClassifyRules};
use hris_sync_core::{ComparisonPolicy, Employee, EmployeeRecord, Field, Gender, RecordId};

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards every call unchanged to the system allocator and only counts sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let now = CURRENT.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(now, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

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

fn employee(n: usize) -> Employee {
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

/// `size` source employees and `size` target records: 70 % identical, 20 % differing in a
/// name or an email, 10 % source-only (New); the target's remaining 10 % are resigned people
/// the source no longer lists.
fn data(size: usize) -> (Vec<Employee>, Vec<EmployeeRecord>) {
    let source: Vec<Employee> = (0..size).map(employee).collect();
    let mut target = Vec::with_capacity(size);
    for (n, employee) in source.iter().enumerate() {
        match n % 10 {
            0 => continue, // New
            1 => {
                let mut changed = employee.clone();
                changed.last_name = Some("旧姓".into());
                target.push(changed);
            }
            2 => {
                let mut changed = employee.clone();
                changed.email = Some(format!("old{n}@example.co.jp"));
                target.push(changed);
            }
            _ => target.push(employee.clone()),
        }
    }
    for n in size..size + size / 10 {
        target
            .push(employee(n).with_resignation_date(NaiveDate::from_ymd_opt(2020, 3, 31).unwrap()));
    }
    let target = target
        .into_iter()
        .enumerate()
        .map(|(n, employee)| EmployeeRecord {
            id: RecordId::new(format!("key-{n:08x}")),
            employee,
        })
        .collect();
    (source, target)
}

fn main() {
    let policy = ComparisonPolicy::default();
    let info = hris_sync_core::SystemInfo::new("target", hris_sync_core::Side::Attendance)
        .with_required_on_create([Field::Gender, Field::LastName, Field::FirstName]);
    let today = chrono::NaiveDate::from_ymd_opt(2026, 5, 1).unwrap();
    let rules = ClassifyRules::new(&info, &policy, today);
    println!("P1 classification (one core; median of runs; peak = bytes allocated by classify)");
    println!(
        "{:>9} {:>8} {:>12} {:>12} {:>14} {:>12}",
        "employees", "runs", "median", "min", "per employee", "peak memory"
    );
    let sizes: Vec<usize> = std::env::var("P1_SIZES")
        .ok()
        .map(|sizes| {
            sizes
                .split(',')
                .filter_map(|s| s.trim().parse().ok())
                .collect()
        })
        .unwrap_or_else(|| vec![1_000, 10_000, 100_000]);
    let fixed_runs: Option<usize> = std::env::var("P1_RUNS").ok().and_then(|r| r.parse().ok());
    for size in sizes {
        let runs = fixed_runs
            .unwrap_or(if size >= 100_000 { 11 } else { 31 })
            .max(1);
        let mut times = Vec::with_capacity(runs);
        let mut peak = 0;
        let mut counts = [0usize; 4];
        for _ in 0..runs {
            let (source, target) = data(size);
            let before = CURRENT.load(Ordering::Relaxed);
            PEAK.store(before, Ordering::Relaxed);
            let started = Instant::now();
            let entries = classify(black_box(source), black_box(&target), &rules);
            times.push(started.elapsed());
            peak = peak.max(PEAK.load(Ordering::Relaxed) - before);
            counts = [0; 4];
            for entry in &entries {
                counts[entry.kind as usize] += 1;
            }
            drop(black_box(entries));
        }
        times.sort();
        let median = times[runs / 2];
        let per = median / size as u32;
        println!(
            "{:>9} {:>8} {:>12} {:>12} {:>14} {:>9.1} MB   (new {}, changed {}, unchanged {}, invalid {})",
            size,
            runs,
            format_duration(median),
            format_duration(times[0]),
            format_duration(per),
            peak as f64 / 1_000_000.0,
            counts[0],
            counts[1],
            counts[2],
            counts[3],
        );
    }
    if let Some(peak_rss) = peak_rss() {
        println!("process peak RSS (inputs, outputs and all): {peak_rss}");
    }
}

/// The process's peak resident set size, as Linux reports it.
fn peak_rss() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .map(|value| value.trim().to_owned())
}

fn format_duration(duration: Duration) -> String {
    if duration >= Duration::from_millis(1) {
        format!("{:.2} ms", duration.as_secs_f64() * 1000.0)
    } else {
        format!("{:.0} ns", duration.as_nanos())
    }
}
