//! The examples end to end, in process: the demo's persistence between runs, and the
//! failures that must stop a run before anything is written.

use std::path::Path;

use connector_kingoftime::emulator::{Endpoint, KotEmulator};
use connector_kingoftime::KingOfTime;
use hris_sync_core::store::{ReportQuery, ReportStore, RECENT};
use hris_sync_core::{Direction, KindCounts, MaintenanceWindows, RunStatus, SqliteReportStore};
use hris_sync_examples::args::Args;
use hris_sync_examples::state::DataDir;
use hris_sync_examples::vendor::{Attendance, Vendor};
use hris_sync_examples::walk;

fn args(direction: Direction, dir: &Path, more: &[&str]) -> Args {
    let mut all = vec!["--data-dir".to_owned(), dir.display().to_string()];
    all.extend(more.iter().map(|arg| (*arg).to_owned()));
    Args::from_iter(direction, all).unwrap()
}

/// The recent runs, as the examples list them (discarded ones left out).
async fn latest(dir: &Path) -> Vec<hris_sync_core::ReportSummary> {
    let store = SqliteReportStore::open(dir.join("reports.sqlite")).unwrap();
    store.list(&ReportQuery::latest(RECENT)).await.unwrap()
}

/// Every run, discarded ones included.
async fn all(dir: &Path) -> Vec<hris_sync_core::ReportSummary> {
    let store = SqliteReportStore::open(dir.join("reports.sqlite")).unwrap();
    store
        .list(&ReportQuery::latest(RECENT).with_discarded(true))
        .await
        .unwrap()
}

fn counts(new: usize, changed: usize, unchanged: usize, invalid: usize) -> KindCounts {
    KindCounts {
        new,
        changed,
        unchanged,
        invalid,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_run_sees_the_first_runs_effect() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();

    walk::run(Direction::Export, args(Direction::Export, dir, &[]))
        .await
        .unwrap();
    let reports = latest(dir).await;
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].status, RunStatus::Completed);
    assert_eq!(reports[0].counts, counts(10, 9, 32, 5));

    // The second export finds every new and changed employee synced: both sides persisted.
    // With nothing to apply, its run is discarded: kept, but not listed as recent.
    walk::run(Direction::Export, args(Direction::Export, dir, &[]))
        .await
        .unwrap();
    assert_eq!(latest(dir).await.len(), 1);
    let reports = all(dir).await;
    assert_eq!(reports.len(), 2);
    assert_eq!(reports[0].counts, counts(0, 0, 51, 5));
    assert_eq!(reports[0].status, RunStatus::Discarded, "nothing to apply");

    // Import brings the attendance-only part-timers into HR, then finds nothing more.
    walk::run(Direction::Import, args(Direction::Import, dir, &[]))
        .await
        .unwrap();
    walk::run(Direction::Import, args(Direction::Import, dir, &[]))
        .await
        .unwrap();
    let reports = all(dir).await;
    assert_eq!(reports[1].direction, Direction::Import);
    assert_eq!(reports[1].status, RunStatus::Completed);
    assert_eq!(reports[1].counts, counts(6, 0, 51, 1));
    assert_eq!(reports[0].counts, counts(0, 0, 57, 1));
    assert_eq!(reports[0].status, RunStatus::Discarded);

    // --reset starts from the seeded data set again.
    walk::run(
        Direction::Export,
        args(Direction::Export, dir, &["--reset", "--dry-run"]),
    )
    .await
    .unwrap();
    assert!(latest(dir).await.is_empty(), "a dry run is discarded");
    let reports = all(dir).await;
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].counts, counts(10, 9, 32, 5));
    assert_eq!(
        reports[0].status,
        RunStatus::Discarded,
        "a dry run sends nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_selection_or_a_window_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let failure = walk::run(
        Direction::Export,
        args(Direction::Export, dir, &["--codes", "1041,9999"]),
    )
    .await
    .unwrap_err();
    assert_eq!(failure.exit_code(), 1);
    assert!(failure.to_string().contains("9999"), "{failure}");
    assert!(
        latest(dir).await.is_empty(),
        "a refused selection is discarded"
    );
    assert_eq!(all(dir).await[0].status, RunStatus::Discarded);

    let failure = walk::run(
        Direction::Export,
        args(Direction::Export, dir, &["--simulate-window"]),
    )
    .await
    .unwrap_err();
    assert!(
        failure.to_string().contains("maintenance window until"),
        "{failure}"
    );
    assert_eq!(all(dir).await.len(), 1, "a refused start records no run");

    // Nothing was written: the next run still finds the seeded differences.
    walk::run(
        Direction::Export,
        args(Direction::Export, dir, &["--dry-run"]),
    )
    .await
    .unwrap();
    assert_eq!(all(dir).await[0].counts, counts(10, 9, 32, 5));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_real_vendor_missing_creation_values_stop_the_run() {
    // The emulator stands in for the real API: the example treats it as a vendor reached
    // with credentials, so it must not pick creation values by itself.
    let emulator = KotEmulator::builder()
        .with_brand(KingOfTime::brand().with_maintenance_windows(MaintenanceWindows::none()))
        .start()
        .await;
    emulator.add_division("1000", "本社");
    emulator.add_working_type("1", "正社員");
    let dir = tempfile::tempdir().unwrap();
    let attendance = Attendance::real(Vendor::KingOfTime, emulator.client_builder()).unwrap();
    let data = DataDir::open(dir.path(), false).unwrap();
    let failure = walk::run_with(
        Direction::Export,
        args(Direction::Export, dir.path(), &[]),
        data,
        attendance,
    )
    .await
    .unwrap_err();
    assert_eq!(failure.exit_code(), 2);
    assert!(
        failure
            .to_string()
            .contains("need --division and --employment-type"),
        "{failure}"
    );
    assert_eq!(emulator.request_count(Endpoint::CreateEmployee), 0);
    assert_eq!(emulator.request_count(Endpoint::UpdateEmployee), 0);
    assert_eq!(all(dir.path()).await[0].status, RunStatus::Discarded);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_example_at_a_time_works_on_a_data_directory() {
    let dir = tempfile::tempdir().unwrap();
    let held = DataDir::open(dir.path(), false).unwrap();
    let failure = walk::run(Direction::Export, args(Direction::Export, dir.path(), &[]))
        .await
        .unwrap_err();
    assert!(
        failure
            .to_string()
            .contains("another example is working on"),
        "{failure}"
    );
    drop(held);
    walk::run(
        Direction::Export,
        args(Direction::Export, dir.path(), &["--dry-run"]),
    )
    .await
    .unwrap();
}
