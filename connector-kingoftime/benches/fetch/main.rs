//! Issue 15, goal 2: what a user waits for, `start` → AwaitingSync, end to end at 10,000,
//! 100,000 and 1,000,000 employees: the target through the KOT emulator (real HTTP on
//! loopback, real JSON, the real client), the HR side in memory, the plan saved into the
//! SQLite store on a file. Run with
//!
//! ```text
//! cargo bench -p connector-kingoftime --features emulator --bench fetch
//! ```
//!
//! The data is the classification bench's (`hris-sync-core/benches/classify/data.rs`: the
//! target in a random order). Each size runs in its own process, and the emulator in
//! another, so the peak RSS printed (VmHWM) is the engine side's alone: the engine, the
//! client, the HR system's data and the store. Stages come from the engine's own "fetch
//! stages timed" debug events: the two list downloads (with the masters; HTTP + JSON decode
//! for KOT), enrolment + prepare, classification, saving the plan; "other" is the rest of
//! the wall time (recording the run, handing the lists over, freeing them). The total ends
//! when the stored summary says AwaitingSync; reading the whole report back afterwards (as
//! a UI would) is shown apart. `FETCH_SIZES` and `FETCH_RUNS` (default 5) change the sizes
//! and runs.

mod stages;

#[path = "../../../hris-sync-core/benches/support/host.rs"]
mod host;

// Shared with the classification bench, which also uses `target`.
#[allow(dead_code)]
#[path = "../../../hris-sync-core/benches/classify/data.rs"]
mod data;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, ExitCode, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use connector_kingoftime::emulator::{EmulatedEmployee, KotEmulator};
use connector_kingoftime::{Brand, KotClientBuilder};
use hris_sync_core::{
    Actor, Clock, Direction, InMemorySystem, Placement, ReportStore, RunStatus, SqliteReportStore,
    SyncEngine, SystemClock,
};

/// The target's order, as in the classification bench.
const SEED: u64 = 0x5EED_0001;

fn main() -> ExitCode {
    let size = |name| {
        std::env::var(name)
            .ok()
            .and_then(|s| s.parse::<usize>().ok())
    };
    if let Some(size) = size("FETCH_EMULATOR") {
        serve(size);
        return ExitCode::SUCCESS;
    }
    if let Some(size) = size("FETCH_CHILD") {
        return measure(size);
    }
    let sizes = host::sizes("FETCH_SIZES");
    println!("fetch to AwaitingSync: KOT emulator over loopback HTTP → engine → SQLite file");
    println!("load before: {}", host::loadavg());
    println!(
        "{:>9} {:>4} {:>21} {:>21} {:>21} {:>21} {:>21} {:>12} {:>21} {:>9} {:>15}",
        "employees",
        "runs",
        "total min / median",
        "lists min / median",
        "enrol+prep min / med",
        "classify min / med",
        "save plan min / med",
        "other med",
        "non-download median",
        "peak RSS",
        "load report med"
    );
    let exe = std::env::current_exe().expect("the bench knows its own path");
    for size in sizes {
        let status = Command::new(&exe)
            .env("FETCH_CHILD", size.to_string())
            .status()
            .expect("the bench can run itself");
        if !status.success() {
            eprintln!("size {size} failed: {status}");
            return ExitCode::FAILURE;
        }
    }
    println!("load after: {}", host::loadavg());
    ExitCode::SUCCESS
}

/// The emulator process: seeds `size` source employees' target records (90 % of them, plus
/// 10 % resigned people) in a random order, prints its address, serves until stdin closes.
fn serve(size: usize) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let emulator = KotEmulator::builder().start().await;
        emulator.add_division("1000", "本社");
        emulator.add_working_type("1", "正社員");
        // One load with the keys given: adding one at a time searches the keys each time.
        let seeded = data::shuffled(size + size / 10, SEED)
            .into_iter()
            .filter_map(|n| {
                let employee = data::target_employee(n, size)?;
                let mut stored = EmulatedEmployee::from_employee(&employee, "1000", "1");
                stored.key = format!("key-{n:08x}");
                Some(stored)
            })
            .collect::<Vec<_>>();
        emulator.load(seeded).expect("the keys are unique");
        println!("{} {}", emulator.base_url(), emulator.token());
        std::io::stdout().flush().unwrap();
        // Serve until the measuring process closes our stdin.
        tokio::task::spawn_blocking(|| {
            let mut line = String::new();
            while std::io::stdin().read_line(&mut line).is_ok_and(|n| n > 0) {}
        })
        .await
        .unwrap();
        drop(emulator);
    });
}

/// One size: `FETCH_RUNS` fetches, each a fresh run on the same systems and store.
fn measure(size: usize) -> ExitCode {
    let runs: usize = std::env::var("FETCH_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(5)
        .max(1);
    let mut emulator = Command::new(std::env::current_exe().unwrap())
        .env("FETCH_EMULATOR", size.to_string())
        .env_remove("FETCH_CHILD")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the emulator process starts");
    let mut address = String::new();
    BufReader::new(emulator.stdout.take().unwrap())
        .read_line(&mut address)
        .unwrap();
    let (url, token) = address
        .trim()
        .split_once(' ')
        .expect("the emulator prints its address and token");

    let stages = stages::Stages::default();
    tracing::subscriber::set_global_default(stages.subscriber()).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = std::env::temp_dir().join(format!("hris-sync-fetch-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut rows: Vec<Row> = Vec::new();
    let mut counts = String::new();
    runtime.block_on(async {
        let hr = InMemorySystem::hr("HR (memory)");
        for employee in data::source(size) {
            hr.insert(employee, Placement::new());
        }
        let client = KotClientBuilder::new(Brand::king_of_time())
            .with_token(token)
            .with_base_url(url)
            // 1,000,000 employees are more JSON than the default limit of 256 MiB.
            .with_max_response_bytes(1 << 30)
            .build()
            .unwrap();
        let store = Arc::new(SqliteReportStore::open(dir.join("reports.sqlite")).unwrap());
        let engine = SyncEngine::builder()
            .with_hr(Arc::new(hr))
            .with_attendance(Arc::new(client))
            .with_store(store.clone())
            .build()
            .unwrap();
        let admin = Actor::administrator("bench");
        // The system clock on both sides: the client checks the date against today.
        let base_date = SystemClock.today_in_japan();
        for _ in 0..runs {
            stages.take();
            let started = Instant::now();
            let id = engine
                .start(Direction::Export, base_date, &admin)
                .await
                .unwrap();
            // AwaitingSync is when the summary says so: polled, so reading the whole
            // report back (what a UI then does) is timed apart.
            while store.summary(id).await.unwrap().unwrap().status == RunStatus::Fetching {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            let total = started.elapsed();
            let loading = Instant::now();
            let report = engine.report(id).await.unwrap();
            let load = loading.elapsed();
            assert_eq!(
                report.summary.status,
                RunStatus::AwaitingSync,
                "{:?}",
                report.summary.failure
            );
            let c = report.summary.counts;
            counts = format!(
                "new {}, changed {}, unchanged {}, invalid {}",
                c.new, c.changed, c.unchanged, c.invalid
            );
            drop(report);
            let stage = stages.take();
            let micros = |name: &str| Duration::from_micros(stage.get(name).copied().unwrap_or(0));
            rows.push(Row {
                total,
                lists: micros("lists_us"),
                prepare: micros("enrolment_and_prepare_us"),
                classify: micros("classify_us"),
                save: micros("save_plan_us"),
                load,
            });
        }
    });
    drop(emulator.stdin.take());
    let _ = emulator.wait();
    let _ = std::fs::remove_dir_all(&dir);

    let pick = |f: fn(&Row) -> Duration| {
        let mut times: Vec<Duration> = rows.iter().map(f).collect();
        times.sort();
        (times[0], times[times.len() / 2])
    };
    let pair = |(min, median): (Duration, Duration)| format!("{} / {}", ms(min), ms(median));
    let other = pick(|r| {
        r.total
            .saturating_sub(r.lists + r.prepare + r.classify + r.save)
    });
    let non_download = pick(|r| r.total.saturating_sub(r.lists));
    let classify = pick(|r| r.classify);
    println!(
        "{:>9} {:>4} {:>21} {:>21} {:>21} {:>21} {:>21} {:>12} {:>21} {:>6} MB {:>15}   ({counts})",
        size,
        runs,
        pair(pick(|r| r.total)),
        pair(pick(|r| r.lists)),
        pair(pick(|r| r.prepare)),
        pair(classify),
        pair(pick(|r| r.save)),
        ms(other.1),
        format!(
            "{} = {:.2}× classify",
            ms(non_download.1),
            non_download.1.as_secs_f64() / classify.1.as_secs_f64()
        ),
        host::peak_rss_kb().unwrap_or(0) / 1024,
        ms(pick(|r| r.load).1),
    );
    ExitCode::SUCCESS
}

/// One fetch's stages.
struct Row {
    total: Duration,
    lists: Duration,
    prepare: Duration,
    classify: Duration,
    save: Duration,
    /// Reading the whole report back afterwards (not part of the total).
    load: Duration,
}

fn ms(duration: Duration) -> String {
    format!("{:.0} ms", duration.as_secs_f64() * 1000.0)
}
