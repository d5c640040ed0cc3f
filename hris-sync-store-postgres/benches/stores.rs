//! Issue 14: what the durable report stores cost at the size of a large company, SQLite
//! and PostgreSQL side by side, the same calls on each:
//!
//! - save a plan of N employees (`insert` + `save_plan`, N = 100,000 by default);
//! - select all of them (`save_selection`);
//! - record N outcomes in batches of 100, and again in batches of 4 (`record_progress`,
//!   one call per batch, as an applier with 4 writes in flight records them);
//! - load the whole report;
//! - list the 10 newest of 1,000 reports (`list`, the "recent" page).
//!
//! Each figure is the min and the median over the runs (5 by default), each run on a fresh
//! store (a new SQLite file; a new PostgreSQL schema, dropped afterwards). Run with
//!
//! ```sh
//! HRIS_SYNC_DATABASE_URL=postgres://… cargo bench -p hris-sync-store-postgres --bench stores
//! ```
//!
//! Without the variable only SQLite is measured. `STORE_BENCH_EMPLOYEES` and
//! `STORE_BENCH_RUNS` change N and the number of runs.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hris_sync_core::conformance::store::fixtures::{at, entries, masters, summary_at, syncing};
use hris_sync_core::store::{ProgressBatch, ReportQuery, ReportStore};
use hris_sync_core::{Outcome, Placement, RecordId, SqliteReportStore};
use hris_sync_store_postgres::{PostgresReportStore, PostgresSettings};

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

/// The timings of one run, in the order of [`STEPS`].
type Timings = Vec<Duration>;

const STEPS: [&str; 6] = [
    "save_plan",
    "save_selection",
    "record, batches of 100",
    "record, batches of 4",
    "load",
    "list 10 of 1,000",
];

async fn timed<T>(call: impl Future<Output = T>) -> (T, Duration) {
    let started = Instant::now();
    let value = call.await;
    (value, started.elapsed())
}

/// One run of every step on a fresh, empty store.
async fn run(store: Arc<dyn ReportStore>, employees: usize) -> Timings {
    let mut timings = Vec::new();
    let plan = entries(employees);
    let summary = summary_at(at(0));
    let ((), took) = timed(async {
        store.insert(&summary).await.unwrap();
        store.save_plan(&summary, &masters(), &plan).await.unwrap();
    })
    .await;
    timings.push(took);

    let all: Vec<usize> = (0..employees).collect();
    let (claimed, claim) = syncing(&summary);
    let ((), took) = timed(async {
        store
            .save_selection(&claimed, &Placement::new(), &all)
            .await
            .unwrap();
    })
    .await;
    timings.push(took);

    for batch in [100, 4] {
        let ((), took) = timed(async {
            for chunk in all.chunks(batch) {
                let outcomes = chunk
                    .iter()
                    .map(|&index| {
                        let id = RecordId::new(format!("R{index}-{batch}"));
                        (index, Outcome::Created { id })
                    })
                    .collect();
                let progress = ProgressBatch {
                    intents: Vec::new(),
                    outcomes,
                    withdrawn: Vec::new(),
                };
                store
                    .record_progress(summary.id, claim, &progress)
                    .await
                    .unwrap();
            }
        })
        .await;
        timings.push(took);
    }

    let (report, took) = timed(store.load(summary.id)).await;
    assert_eq!(report.unwrap().unwrap().entries.len(), employees);
    timings.push(took);

    for seconds in 0..999_i64 {
        let summary = summary_at(at(seconds));
        store.insert(&summary).await.unwrap();
    }
    let mut listings = Vec::new();
    for _ in 0..50 {
        let (listed, took) = timed(store.list(&ReportQuery::latest(10))).await;
        assert_eq!(listed.unwrap().len(), 10);
        listings.push(took);
    }
    listings.sort();
    timings.push(listings[listings.len() / 2]);
    timings
}

fn min_and_median(runs: &[Timings], step: usize) -> (Duration, Duration) {
    let mut values: Vec<Duration> = runs.iter().map(|run| run[step]).collect();
    values.sort();
    (values[0], values[values.len() / 2])
}

fn show(duration: Duration) -> String {
    if duration >= Duration::from_secs(1) {
        format!("{:.2} s", duration.as_secs_f64())
    } else {
        format!("{:.2} ms", duration.as_secs_f64() * 1e3)
    }
}

async fn postgres_store(settings: &PostgresSettings, run: usize) -> (Arc<dyn ReportStore>, String) {
    let schema = format!("hris_bench_{}_{run}", std::process::id());
    let settings = settings.clone().with_schema(schema.clone()).unwrap();
    let store = PostgresReportStore::open(settings).await.unwrap();
    (Arc::new(store), schema)
}

async fn drop_schema(url: &str, schema: &str) {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    let task = tokio::spawn(connection);
    client
        .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
        .await
        .unwrap();
    drop(client);
    let _ = task.await;
}

fn main() {
    let employees = setting("STORE_BENCH_EMPLOYEES", 100_000);
    let runs = setting("STORE_BENCH_RUNS", 5).max(1);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let postgres = PostgresSettings::from_env().unwrap();
    let url = std::env::var(hris_sync_store_postgres::DATABASE_URL_ENV).unwrap_or_default();
    let mut columns: Vec<(String, Vec<Timings>)> = Vec::new();

    let mut sqlite_runs = Vec::new();
    for run_number in 0..runs {
        let dir = std::env::temp_dir().join(format!(
            "hris-sync-store-bench-{}-{run_number}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let store = Arc::new(SqliteReportStore::open(dir.join("reports.db")).unwrap());
        let timings = runtime.block_on(run(store, employees));
        std::fs::remove_dir_all(&dir).unwrap();
        eprintln!("sqlite run {run_number}: {timings:?}");
        sqlite_runs.push(timings);
    }
    columns.push(("SQLite (file, WAL, synchronous=FULL)".into(), sqlite_runs));

    match &postgres {
        Some(settings) => {
            let mut postgres_runs = Vec::new();
            for run_number in 0..runs {
                let timings = runtime.block_on(async {
                    let (store, schema) = postgres_store(settings, run_number).await;
                    let timings = run(store, employees).await;
                    drop_schema(&url, &schema).await;
                    timings
                });
                eprintln!("postgres run {run_number}: {timings:?}");
                postgres_runs.push(timings);
            }
            println!("PostgreSQL: {} (schemas of its own)", settings.redacted());
            columns.push(("PostgreSQL".into(), postgres_runs));
        }
        None => eprintln!(
            "PostgreSQL skipped: set {} to measure it too",
            hris_sync_store_postgres::DATABASE_URL_ENV
        ),
    }

    println!("{employees} employees, {runs} runs each; min / median");
    print!("| step |");
    for (name, _) in &columns {
        print!(" {name} |");
    }
    println!();
    println!("|---|{}", "---:|".repeat(columns.len()));
    for (step, label) in STEPS.iter().enumerate() {
        print!("| {label} |");
        for (_, runs) in &columns {
            let (min, median) = min_and_median(runs, step);
            print!(" {} / {} |", show(min), show(median));
        }
        println!();
    }
}
