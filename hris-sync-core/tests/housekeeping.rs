//! The engine's housekeeping through its public API: recovering every run whose applier
//! died (`recover_expired`, contract point 12) and retention (`purge_reports_older_than`,
//! issue 11 item 4).

use std::sync::Arc;

use chrono::{Duration, NaiveDate};
use hris_sync_core::store::{PurgeMode, PurgeReport};
use hris_sync_core::{
    Actor, ApplyRequest, ClaimToken, Clock, Direction, Employee, FixedClock, Gender,
    InMemorySystem, Lease, MasterKind, MemoryReportStore, Outcome, Placement, ReportStore,
    RunStatus, Selection, SyncEngine, SyncError,
};

fn admin() -> Actor {
    Actor::administrator("admin-1")
}

fn export_placement() -> Placement {
    Placement::new()
        .with(MasterKind::Division, "1000")
        .with(MasterKind::EmploymentType, "1")
}

struct World {
    attendance: InMemorySystem,
    clock: Arc<FixedClock>,
    store: Arc<MemoryReportStore>,
    engine: SyncEngine,
}

fn world() -> World {
    let clock = Arc::new(FixedClock::at_japan_time(2025, 6, 2, 10, 30));
    let hr = InMemorySystem::hr("HR (memory)");
    for n in 1..=5 {
        hr.insert(
            Employee::new(n.to_string())
                .with_name("山田", format!("太郎{n}"))
                .with_kana("ヤマダ", "タロウ")
                .with_gender(Gender::Male)
                .with_hire_date(NaiveDate::from_ymd_opt(2020, 4, 1).unwrap())
                .with_email(format!("taro{n}@example.jp")),
            Placement::new(),
        );
    }
    let attendance = InMemorySystem::attendance("Attendance (memory)")
        .with_master(MasterKind::Division, "1000", "本社")
        .with_master(MasterKind::EmploymentType, "1", "正社員");
    let store = Arc::new(MemoryReportStore::new());
    let engine = SyncEngine::builder()
        .with_hr(Arc::new(hr))
        .with_attendance(Arc::new(attendance.clone()))
        .with_store(store.clone())
        .with_clock(clock.clone())
        .build()
        .unwrap();
    World {
        attendance,
        clock,
        store,
        engine,
    }
}

/// S5: a run claimed by an engine that then died stays Syncing until its lease expires;
/// `recover_expired` then declares it abandoned and resumes it, and every employee ends
/// in the target once.
#[tokio::test]
async fn s5_recover_expired_takes_over_the_runs_of_a_dead_applier() {
    let world = world();
    let id = world
        .engine
        .fetch(
            Direction::Export,
            NaiveDate::from_ymd_opt(2025, 6, 1).unwrap(),
            &admin(),
        )
        .await
        .unwrap()
        .summary
        .id;
    // Another process claimed the run and died before sending anything.
    let read = world.store.summary(id).await.unwrap().unwrap();
    let now = world.clock.now();
    let claimed = hris_sync_core::ReportSummary {
        status: RunStatus::Syncing,
        lease: Some(Lease {
            token: ClaimToken::new(),
            holder: "pid 9999/dead".into(),
            renewed_at: now,
            expires_at: now + Duration::seconds(60),
        }),
        ..read
    };
    world
        .store
        .save_selection(&claimed, &export_placement(), &[0, 1, 2, 3, 4])
        .await
        .unwrap();

    let refused = world
        .engine
        .recover_expired(&Actor::member("member-1"), true)
        .await
        .unwrap_err();
    assert!(
        matches!(refused, SyncError::NotAdministrator { .. }),
        "{refused}"
    );
    let fresh = world.engine.recover_expired(&admin(), true).await.unwrap();
    assert!(fresh.abandoned.is_empty() && fresh.resumed.is_empty());
    assert_eq!(
        world.store.summary(id).await.unwrap().unwrap().status,
        RunStatus::Syncing,
        "a fresh lease is left alone"
    );

    world.clock.advance(Duration::seconds(61));
    let recovery = world.engine.recover_expired(&admin(), true).await.unwrap();
    assert_eq!(recovery.abandoned.len(), 1);
    assert_eq!(recovery.abandoned[0].id, id);
    assert!(recovery.abandoned[0]
        .failure
        .as_deref()
        .unwrap()
        .contains("pid 9999/dead"));
    assert!(
        recovery.not_resumed.is_empty(),
        "{:?}",
        recovery.not_resumed
    );
    let mut resumed = recovery.resumed;
    assert_eq!(resumed.len(), 1);
    let report = resumed.pop().unwrap().wait().await.unwrap();
    assert_eq!(report.summary.status, RunStatus::Completed);
    assert!(report
        .entries
        .iter()
        .all(|entry| matches!(entry.outcome, Some(Outcome::Created { .. }))));
    assert_eq!(world.attendance.records().len(), 5, "one record per code");
    let again = world.engine.recover_expired(&admin(), true).await.unwrap();
    assert!(again.abandoned.is_empty());
}

/// S5: a run an administrator asked to stop, whose applier died before it saw the
/// request, is declared abandoned but not resumed by recovery: it stays Interrupted with
/// the request on record, and nothing is sent until an administrator resumes it.
#[tokio::test]
async fn s5_recover_expired_leaves_a_run_asked_to_stop_interrupted() {
    let world = world();
    let id = world
        .engine
        .fetch(
            Direction::Export,
            NaiveDate::from_ymd_opt(2025, 6, 1).unwrap(),
            &admin(),
        )
        .await
        .unwrap()
        .summary
        .id;
    let read = world.store.summary(id).await.unwrap().unwrap();
    let now = world.clock.now();
    let claimed = hris_sync_core::ReportSummary {
        status: RunStatus::Syncing,
        lease: Some(Lease {
            token: ClaimToken::new(),
            holder: "pid 9999/dead".into(),
            renewed_at: now,
            expires_at: now + Duration::seconds(60),
        }),
        ..read
    };
    world
        .store
        .save_selection(&claimed, &export_placement(), &[0, 1, 2, 3, 4])
        .await
        .unwrap();
    world.store.request_stop(id, "admin-2").await.unwrap();

    world.clock.advance(Duration::seconds(61));
    let recovery = world.engine.recover_expired(&admin(), true).await.unwrap();
    assert_eq!(recovery.abandoned.len(), 1);
    assert!(
        recovery.resumed.is_empty(),
        "a run asked to stop is not resumed"
    );
    assert_eq!(recovery.left_stopped, vec![(id, "admin-2".to_owned())]);
    let stored = world.store.summary(id).await.unwrap().unwrap();
    assert_eq!(stored.status, RunStatus::Interrupted);
    assert_eq!(stored.stop_requested.as_deref(), Some("admin-2"));
    assert!(stored
        .failure
        .as_deref()
        .unwrap()
        .contains("admin-2 had asked it to stop"));
    assert!(world.attendance.records().is_empty(), "nothing was sent");

    // An administrator's own resume goes on, and clears the request.
    let report = world.engine.resume(id, &admin(), None).await.unwrap();
    assert_eq!(report.summary.status, RunStatus::Completed);
    assert_eq!(report.summary.stop_requested, None);
    assert_eq!(world.attendance.records().len(), 5, "one record per code");
}

/// Issue 11 item 4: old final reports lose their personal values (or go), a run that may
/// still be applied keeps them, and only administrators purge.
#[tokio::test]
async fn retention_purges_old_final_reports_only() {
    let world = world();
    let base = NaiveDate::from_ymd_opt(2025, 6, 1).unwrap();
    let done = world
        .engine
        .fetch(Direction::Export, base, &admin())
        .await
        .unwrap()
        .summary
        .id;
    let request =
        ApplyRequest::new(Selection::new_and_changed()).with_placement(export_placement());
    world.engine.apply(done, request, &admin()).await.unwrap();
    let waiting = world
        .engine
        .fetch(Direction::Export, base, &admin())
        .await
        .unwrap()
        .summary
        .id;
    let ninety_days = std::time::Duration::from_secs(90 * 24 * 3600);

    let refused = world
        .engine
        .purge_reports_older_than(ninety_days, PurgeMode::Delete, &Actor::member("member-1"))
        .await
        .unwrap_err();
    assert!(
        matches!(refused, SyncError::NotAdministrator { .. }),
        "{refused}"
    );
    assert_eq!(
        world
            .engine
            .purge_reports_older_than(ninety_days, PurgeMode::Delete, &admin())
            .await
            .unwrap(),
        PurgeReport::new(0, 0),
        "nothing is 90 days old yet"
    );

    world.clock.advance(Duration::days(91));
    let redacted = world
        .engine
        .purge_reports_older_than(ninety_days, PurgeMode::Redact, &admin())
        .await
        .unwrap();
    assert_eq!(redacted, PurgeReport::new(1, 1));
    let report = world.engine.report(done).await.unwrap();
    assert_eq!(report.summary.status, RunStatus::Completed);
    assert_eq!(report.entries.len(), 5);
    for entry in &report.entries {
        assert_eq!(entry.employee, Employee::new(entry.code.clone()));
        assert!(matches!(entry.outcome, Some(Outcome::Created { .. })));
    }
    let kept = world.engine.report(waiting).await.unwrap();
    assert!(kept
        .entries
        .iter()
        .all(|entry| entry.employee.last_name.as_deref() == Some("山田")));

    let deleted = world
        .engine
        .purge_reports_older_than(ninety_days, PurgeMode::Delete, &admin())
        .await
        .unwrap();
    assert_eq!(deleted, PurgeReport::new(1, 1));
    assert!(matches!(
        world.engine.report(done).await,
        Err(SyncError::ReportNotFound(_))
    ));
    assert_eq!(world.engine.recent().await.unwrap().len(), 1);
}
