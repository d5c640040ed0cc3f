//! Bad data never reaches the target, as the examples meet it: the seeded employees whose
//! values no administrator would accept are Invalid, the one whose gender is missing on both
//! sides still gets its new name; and for the guards against mass damage the HR file is
//! changed after a first sync the way a broken export or a permission change would change
//! it, and the next run must warn, hold back or refuse until the flag that overrides it is
//! given.

use std::path::Path;

use hris_sync_core::store::{ReportQuery, ReportStore, RECENT};
use hris_sync_core::{
    ChangeKind, Clock, Direction, EmployeeCode, EmployeeSystem, EmployeeUpdate, Field,
    InvalidReason, Outcome, ReportSummary, RunStatus, RunWarning, SqliteReportStore, SystemClock,
};
use hris_sync_examples::args::Args;
use hris_sync_examples::state::DataDir;
use hris_sync_examples::walk;

fn args(dir: &Path, more: &[&str]) -> Args {
    let mut all = vec!["--data-dir".to_owned(), dir.display().to_string()];
    all.extend(more.iter().map(|arg| (*arg).to_owned()));
    Args::from_iter(Direction::Export, all).unwrap()
}

/// Every run, newest first, discarded ones included.
async fn runs(dir: &Path) -> Vec<ReportSummary> {
    let store = SqliteReportStore::open(dir.join("reports.sqlite")).unwrap();
    store
        .list(&ReportQuery::latest(RECENT).with_discarded(true))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seeded_bad_values_are_invalid_and_a_missing_gender_blocks_no_rename() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    walk::run(Direction::Export, args(dir, &[])).await.unwrap();
    let store = SqliteReportStore::open(dir.join("reports.sqlite")).unwrap();
    let report = store.load(runs(dir).await[0].id).await.unwrap().unwrap();
    let entry = |code: &str| report.entry(&EmployeeCode::from(code)).unwrap();
    let invalid_field = |code: &str| match &entry(code).invalid_reason {
        Some(InvalidReason::InvalidValue { field, message }) => (*field, message.clone()),
        other => panic!("{code}: {other:?}"),
    };

    let (field, message) = invalid_field("1057");
    assert_eq!(field, Field::BirthDate);
    assert!(message.contains("in the future"), "{message}");
    let (field, message) = invalid_field("1058");
    assert_eq!(field, Field::FirstName);
    assert!(message.contains("104 characters"), "{message}");
    for code in ["1057", "1058"] {
        assert_eq!(entry(code).kind, ChangeKind::Invalid);
        assert_eq!(entry(code).outcome, None, "never selected");
    }

    let renamed = entry("1059");
    assert_eq!(renamed.kind, ChangeKind::Changed);
    assert_eq!(renamed.employee.gender, None);
    assert_eq!(
        renamed.outcome,
        Some(Outcome::Updated {
            fields: vec![Field::LastName, Field::LastNameKana]
        })
    );
}

/// Syncs the seeded company once, then changes `field` of the HR records whose code is in
/// `codes` (all of them when empty) with `change`, as the next run's source.
async fn synced_then_changed(
    dir: &Path,
    codes: &[&str],
    field: Field,
    change: impl Fn(&mut hris_sync_core::Employee),
) {
    walk::run(Direction::Export, args(dir, &[])).await.unwrap();
    let data = DataDir::open(dir, false).unwrap();
    let (hr, _) = data.open_hr(SystemClock.today_in_japan()).unwrap();
    for record in hr.records() {
        if !codes.is_empty() && !codes.contains(&record.employee.code.as_str()) {
            continue;
        }
        let mut employee = record.employee.clone();
        change(&mut employee);
        let update = EmployeeUpdate::from_fields(&employee, [field]);
        hr.update_employee(&record.id, &update).await.unwrap();
    }
    data.save_hr(&hr).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mass_resignation_needs_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let month_end = SystemClock.today_in_japan() + chrono::Days::new(30);
    let codes: Vec<String> = (1001..=1010).map(|n| n.to_string()).collect();
    let codes: Vec<&str> = codes.iter().map(String::as_str).collect();
    synced_then_changed(dir, &codes, Field::ResignationDate, |employee| {
        employee.resignation_date = Some(month_end);
    })
    .await;

    let failure = walk::run(Direction::Export, args(dir, &[]))
        .await
        .unwrap_err();
    let text = failure.to_string();
    assert!(
        text.contains("sets a resignation date on 10 of")
            && text.contains("--acknowledge-mass-resignation"),
        "{text}"
    );
    let refused = &runs(dir).await[0];
    assert_eq!(refused.status, RunStatus::Discarded, "nothing was applied");
    assert!(matches!(
        refused.warnings[..],
        [RunWarning::MassResignation { count: 10, .. }]
    ));

    walk::run(
        Direction::Export,
        args(dir, &["--acknowledge-mass-resignation"]),
    )
    .await
    .unwrap();
    let applied = &runs(dir).await[0];
    assert_eq!(applied.status, RunStatus::Completed);
    assert_eq!(applied.counts.changed, 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emails_gone_from_the_source_are_kept_unless_clearing_is_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    synced_then_changed(dir, &[], Field::Email, |employee| employee.email = None).await;

    // Nothing but the emails differs: with the clears held back there is nothing to sync.
    walk::run(Direction::Export, args(dir, &[])).await.unwrap();
    let held_back = &runs(dir).await[0];
    assert_eq!(held_back.status, RunStatus::Discarded);
    assert_eq!(held_back.counts.changed, 0);
    assert!(matches!(
        held_back.warnings[..],
        [RunWarning::MassClearing {
            field: Field::Email,
            ..
        }]
    ));

    walk::run(Direction::Export, args(dir, &["--allow-mass-clearing"]))
        .await
        .unwrap_or_else(|failure| panic!("{failure}"));
    let cleared = &runs(dir).await[0];
    assert!(cleared.warnings.is_empty());
    assert!(cleared.counts.changed > 40, "{:?}", cleared.counts);
}
