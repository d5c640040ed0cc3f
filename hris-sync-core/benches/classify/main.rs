//! SPEC P1: classification time and memory at 10,000 / 100,000 / 1,000,000 employees per
//! side on realistic data (see `data.rs`; the target in a random order). Run with
//!
//! ```text
//! cargo bench -p hris-sync-core --bench classify
//! ```
//!
//! Each size runs in its own child process (so its peak RSS is its own) and prints, over
//! `P1_RUNS` runs (default 5, at least 5 unless profiling): classification's min and median,
//! the median per employee, the same run's naive HashMap implementation and floor (a bare
//! hash join of the codes; see `naive.rs`) with their ratios, the bytes classification
//! allocated on top of its inputs (a counting global allocator) and the process's peak
//! RSS (VmHWM) right after the classification runs. The naive implementation's kinds must
//! equal classification's, or the bench fails. The last lines compare the figures with the
//! P1 goals. `P1_SIZES=100000 P1_RUNS=1` limits the sizes and runs; for a profile of
//! classification alone, run one child: `P1_CHILD=100000 P1_PROFILE=1 perf record …`.
//! `P1_ORDERED=1` keeps the target in the source's order, for comparison.

// The counting allocator is the one unsafe item in the workspace: a global allocator
// cannot be written without it. It only forwards to the system allocator.
#![allow(unsafe_code)]

mod data;
#[path = "../support/host.rs"]
mod host;
mod naive;

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::process::{Command, ExitCode};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use hris_sync_core::classify::{classify, ClassifyRules};
use hris_sync_core::{ChangeKind, ComparisonPolicy, Field, ReportEntry, Side, SystemInfo};

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

/// The order of the target list is fixed, so every run and machine measures the same data.
const SEED: u64 = 0x5EED_0001;
/// The child's one line for the parent: `ROW <size> <median ns per employee> <median ms>
/// <peak RSS kB>`, then the printed row.
const ROW: &str = "ROW";

fn main() -> ExitCode {
    match std::env::var("P1_CHILD").ok().and_then(|s| s.parse().ok()) {
        Some(size) => child(size),
        None => parent(),
    }
}

fn parent() -> ExitCode {
    let sizes = host::sizes("P1_SIZES");
    println!("P1 classification, target in random order (one core; release)");
    println!("load before: {}", host::loadavg());
    println!(
        "{:>9} {:>4} {:>10} {:>10} {:>9} {:>10} {:>6} {:>9} {:>6} {:>9} {:>9}",
        "employees",
        "runs",
        "min",
        "median",
        "per empl.",
        "naive med",
        "×naive",
        "floor med",
        "×floor",
        "allocated",
        "peak RSS"
    );
    let exe = std::env::current_exe().expect("the bench knows its own path");
    let mut rows = Vec::new();
    for size in sizes {
        let output = Command::new(&exe)
            .env("P1_CHILD", size.to_string())
            .output()
            .expect("the bench can run itself");
        let stdout = String::from_utf8_lossy(&output.stdout);
        if !output.status.success() {
            eprint!("{}", String::from_utf8_lossy(&output.stderr));
            eprintln!("size {size} failed: {}", output.status);
            return ExitCode::FAILURE;
        }
        for line in stdout.lines() {
            match line.strip_prefix(ROW) {
                Some(row) => {
                    let fields: Vec<f64> = row
                        .split_whitespace()
                        .take(4)
                        .filter_map(|f| f.parse().ok())
                        .collect();
                    rows.push(fields);
                }
                None => println!("{line}"),
            }
        }
    }
    println!("load after: {}", host::loadavg());
    goals(&rows);
    ExitCode::SUCCESS
}

/// Prints the P1 goals next to the measured figures (informative: timing never fails a run).
fn goals(rows: &[Vec<f64>]) {
    let at = |size: f64| rows.iter().find(|row| row[0] == size);
    if let Some(row) = at(100_000.0) {
        println!(
            "goal 100,000 x 100,000 median < 100 ms: {:.1} ms; peak RSS < 200 MB: {:.0} MB",
            row[2],
            row[3] / 1024.0
        );
    }
    let per: Vec<f64> = rows.iter().map(|row| row[1]).collect();
    if per.len() > 1 {
        let (low, high) = per
            .iter()
            .fold((f64::MAX, 0f64), |(l, h), p| (l.min(*p), h.max(*p)));
        println!(
            "goal per-employee cost flat within 1.5x across sizes: {:.2}x ({:.0} to {:.0} ns)",
            high / low,
            low,
            high
        );
    }
}

fn child(size: usize) -> ExitCode {
    let runs: usize = std::env::var("P1_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(5)
        .max(1);
    let policy = ComparisonPolicy::default();
    let info = SystemInfo::new("target", Side::Attendance).with_required_on_create([
        Field::Gender,
        Field::LastName,
        Field::FirstName,
    ]);
    let today = chrono::NaiveDate::from_ymd_opt(2026, 5, 1).unwrap();
    let rules = ClassifyRules::new(&info, &policy, today);
    let seed = match std::env::var("P1_ORDERED") {
        Ok(_) => 0,
        Err(_) => SEED,
    };
    let target = data::target(size, seed);

    let mut allocated = 0;
    let mut kinds = Vec::new();
    let times = measure(runs, || {
        // Built outside the timing (classify takes the source by value), and afresh each
        // run, so no second copy inflates the peak RSS.
        let input = data::source(size);
        let before = CURRENT.load(Ordering::Relaxed);
        PEAK.store(before, Ordering::Relaxed);
        let started = Instant::now();
        let entries = classify(black_box(input), black_box(&target), &rules);
        let took = started.elapsed();
        allocated = allocated.max(PEAK.load(Ordering::Relaxed) - before);
        kinds = kinds_of(&entries);
        drop(black_box(entries));
        took
    });
    let peak_rss = host::peak_rss_kb().unwrap_or(0);
    let source = data::source(size);
    if std::env::var("P1_PROFILE").is_ok() {
        println!("classify median {}", ms(times[runs / 2]));
        return ExitCode::SUCCESS;
    }
    let naive_times = measure(runs, || {
        let input = source.clone();
        let started = Instant::now();
        let entries = naive::naive(black_box(input), black_box(&target), &rules);
        let took = started.elapsed();
        if kinds_of(&entries) != kinds {
            eprintln!("the naive implementation classified differently");
            std::process::exit(2);
        }
        drop(black_box(entries));
        took
    });
    let floor_times = measure(runs, || {
        let started = Instant::now();
        let joined = naive::floor(black_box(&source), black_box(&target));
        let took = started.elapsed();
        drop(black_box(joined));
        took
    });
    let count = |kind: ChangeKind| kinds.iter().filter(|k| **k == kind).count();
    let median = times[runs / 2];
    let per = median.as_nanos() as f64 / size as f64;
    let (naive_median, floor_median) = (naive_times[runs / 2], floor_times[runs / 2]);
    println!(
        "{ROW} {size} {per:.1} {:.2} {peak_rss}",
        median.as_secs_f64() * 1000.0
    );
    println!(
        "{:>9} {:>4} {:>10} {:>10} {:>9} {:>10} {:>6.1} {:>9} {:>6.1} {:>6.1} MB {:>6.1} MB   \
         (new {}, changed {}, unchanged {}, invalid {})",
        size,
        runs,
        ms(times[0]),
        ms(median),
        format!("{per:.0} ns"),
        ms(naive_median),
        naive_median.as_secs_f64() / median.as_secs_f64(),
        ms(floor_median),
        median.as_secs_f64() / floor_median.as_secs_f64(),
        allocated as f64 / 1e6,
        peak_rss as f64 / 1024.0,
        count(ChangeKind::New),
        count(ChangeKind::Changed),
        count(ChangeKind::Unchanged),
        count(ChangeKind::Invalid),
    );
    ExitCode::SUCCESS
}

/// `runs` timings of `run`, sorted (min first).
fn measure(runs: usize, mut run: impl FnMut() -> Duration) -> Vec<Duration> {
    let mut times: Vec<Duration> = (0..runs).map(|_| run()).collect();
    times.sort();
    times
}

fn kinds_of(entries: &[ReportEntry]) -> Vec<ChangeKind> {
    entries.iter().map(|entry| entry.kind).collect()
}

fn ms(duration: Duration) -> String {
    format!("{:.2} ms", duration.as_secs_f64() * 1000.0)
}
