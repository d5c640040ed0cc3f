//! The examples with `--hr smarthr`: the SmartHR emulator as the HR side, persisted in the
//! data directory between runs, both directions converging.

use std::path::Path;

use connector_smarthr::emulator::EmulatedCrew;
use hris_sync_core::store::{ReportQuery, ReportStore, RECENT};
use hris_sync_core::{Direction, KindCounts, RunStatus, SqliteReportStore};
use hris_sync_examples::args::Args;
use hris_sync_examples::walk;

fn args(direction: Direction, dir: &Path) -> Args {
    let all = [
        "--data-dir".to_owned(),
        dir.display().to_string(),
        "--hr".to_owned(),
        "smarthr".to_owned(),
    ];
    Args::from_iter(direction, all).unwrap()
}

async fn every_run(dir: &Path) -> Vec<hris_sync_core::ReportSummary> {
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
async fn smarthr_and_kot_converge_in_both_directions() {
    assert!(
        std::env::var("SMARTHR_TOKEN").is_err() && std::env::var("KOT_TOKEN").is_err(),
        "unset SMARTHR_TOKEN and KOT_TOKEN: this test must not reach a real tenant"
    );
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    for direction in [
        Direction::Export,
        Direction::Export,
        Direction::Import,
        Direction::Import,
    ] {
        walk::run(direction, args(direction, dir)).await.unwrap();
    }
    let runs = every_run(dir).await;
    assert_eq!(runs.len(), 4);
    // Newest first: import again, import, export again, export.
    assert_eq!(runs[3].counts, counts(10, 9, 32, 5));
    assert_eq!(runs[3].vendor, "KING OF TIME");
    assert_eq!(runs[2].counts, counts(0, 0, 51, 5));
    assert_eq!(runs[1].counts, counts(6, 0, 51, 1));
    assert_eq!(runs[1].status, RunStatus::Completed);
    assert_eq!(runs[0].counts, counts(0, 0, 57, 1));

    // The tenant persisted: the imported part-timers are crews in the saved state.
    let saved: Vec<EmulatedCrew> =
        serde_json::from_slice(&std::fs::read(dir.join("smarthr.json")).unwrap()).unwrap();
    assert!(saved
        .iter()
        .any(|crew| crew.text("emp_code") == Some("2001")));
    assert!(
        !dir.join("hr.json").exists(),
        "the file HR side was not used"
    );
}

#[test]
fn an_unknown_hr_system_is_a_usage_error() {
    let failure = Args::from_iter(Direction::Export, ["--hr", "workday"]).unwrap_err();
    assert_eq!(failure.exit_code(), 2);
    assert!(failure.to_string().contains("file or smarthr"), "{failure}");
}
