//! The whole run, end to end on in-memory systems: SPEC R1, R4, R6, R7, R9–R14.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use chrono::{Duration, NaiveDate};
use hris_sync_core::in_memory::{Fault, Operation};
use hris_sync_core::{
    Actor, ApplyRequest, BusinessName, ChangeKind, DailyWindow, Direction, Employee, FixedClock,
    Gender, InMemorySystem, MaintenanceWindows, MasterKind, Outcome, Placement, PlannedWrite,
    RunStatus, Selection, SyncEngine, SyncError, SyncOptions,
};
use hris_sync_core::{
    ClaimToken, ConnectorError, EmployeeCode, EmployeeRecord, EmployeeSystem, EmployeeUpdate,
    HrSystem, ListOptions, MasterEntry, ProgressBatch, RecordId, ReportEntry, ReportId,
    ReportQuery, ReportStore, ReportSummary, StoreError, SyncReport, SystemInfo,
};
use tokio::sync::Semaphore;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn admin() -> Actor {
    Actor::administrator("admin-1")
}

fn person(code: &str, last: &str) -> Employee {
    Employee::new(code)
        .with_name(last, "太郎")
        .with_kana("ヤマダ", "タロウ")
        .with_gender(Gender::Male)
        .with_birth_date(d(1990, 5, 1))
        .with_hire_date(d(2020, 4, 1))
        .with_email(format!("e{code}@example.jp"))
}

fn export_placement() -> Placement {
    Placement::new()
        .with(MasterKind::Division, "1000")
        .with(MasterKind::EmploymentType, "1")
}

struct World {
    hr: InMemorySystem,
    attendance: InMemorySystem,
    clock: Arc<FixedClock>,
    engine: SyncEngine,
}

/// 10:30 in Japan on 2025-06-02: outside every window.
fn world_with(options: SyncOptions, windows: MaintenanceWindows) -> World {
    let clock = Arc::new(FixedClock::at_japan_time(2025, 6, 2, 10, 30));
    let hr = InMemorySystem::hr("HR (memory)").with_master(MasterKind::Office, "HQ", "本社");
    let attendance = InMemorySystem::attendance("Attendance (memory)")
        .with_master(MasterKind::Division, "1000", "本社")
        .with_master(MasterKind::EmploymentType, "1", "正社員")
        .with_maintenance_windows(windows, clock.clone());
    let engine = SyncEngine::builder()
        .with_hr(Arc::new(hr.clone()))
        .with_attendance(Arc::new(attendance.clone()))
        .with_clock(clock.clone())
        .with_options(options)
        .build()
        .unwrap();
    World {
        hr,
        attendance,
        clock,
        engine,
    }
}

fn world() -> World {
    world_with(SyncOptions::default(), MaintenanceWindows::none())
}

fn kot_windows() -> MaintenanceWindows {
    MaintenanceWindows::new(vec![
        DailyWindow::hm((8, 30), (10, 0)),
        DailyWindow::hm((17, 30), (18, 30)),
    ])
}

#[tokio::test]
async fn r1_r4_r10_export_creates_updates_and_skips() {
    let w = world();
    w.hr.insert(person("1", "山田"), Placement::new());
    w.hr.insert(person("2", "佐藤"), Placement::new());
    w.hr.insert(person("3", "鈴木"), Placement::new());
    w.attendance.insert(person("2", "佐藤"), export_placement());
    w.attendance.insert(person("3", "高橋"), export_placement());

    let id = w
        .engine
        .start(Direction::Export, d(2025, 6, 1), &admin())
        .await
        .unwrap();
    let report = w.engine.wait_until_fetched(id).await.unwrap();
    assert_eq!(report.summary.status, RunStatus::AwaitingSync);
    assert_eq!(report.summary.actor, admin());
    let kinds: Vec<_> = report.entries.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [ChangeKind::New, ChangeKind::Unchanged, ChangeKind::Changed]
    );
    assert_eq!(
        w.attendance.records().len(),
        2,
        "R4: nothing written while fetching"
    );

    let request =
        ApplyRequest::new(Selection::codes(["1", "2", "3"])).with_placement(export_placement());
    let report = w.engine.apply(id, request, &admin()).await.unwrap();
    assert_eq!(report.summary.status, RunStatus::Completed);
    let outcomes: Vec<_> = report
        .entries
        .iter()
        .map(|e| e.outcome.as_ref().unwrap().name())
        .collect();
    assert_eq!(outcomes, ["created", "skipped", "updated"]);
    assert_eq!(
        report.entries[2].outcome,
        Some(Outcome::Updated {
            fields: vec![hris_sync_core::Field::LastName]
        }),
        "R10: only the differing field is sent"
    );
    assert_eq!(w.attendance.calls(Operation::Create), 1);
    assert_eq!(w.attendance.calls(Operation::Update), 1);
    let text = report.to_string();
    assert!(text.contains("last_name: 高橋 → 鈴木"), "{text}");
    assert!(
        text.contains("created 1, updated 1, skipped 1, failed 0"),
        "{text}"
    );
    assert!(text.contains("applied by admin-1"), "{text}");

    let records = w.attendance.records();
    assert_eq!(records.len(), 3);
    let created = records
        .iter()
        .find(|r| r.employee.code.as_str() == "1")
        .unwrap();
    assert_eq!(
        w.attendance.placement_of(&created.id),
        Some(export_placement()),
        "R7: placement sent on create"
    );
    let updated = records
        .iter()
        .find(|r| r.employee.code.as_str() == "3")
        .unwrap();
    assert_eq!(updated.employee.last_name.as_deref(), Some("鈴木"));
}

#[tokio::test]
async fn r5_the_list_can_be_filtered_by_any_set_of_kinds() {
    let w = world();
    w.hr.insert(person("1", "山田"), Placement::new());
    w.hr.insert(person("2", "佐藤"), Placement::new());
    w.hr.insert(person("3", "鈴木"), Placement::new());
    w.hr.insert(Employee::new("4").with_name("無", "性別"), Placement::new());
    w.attendance.insert(person("2", "佐藤"), export_placement());
    w.attendance.insert(person("3", "高橋"), export_placement());
    let report = w
        .engine
        .fetch(Direction::Export, d(2025, 6, 1), &admin())
        .await
        .unwrap();
    let codes = |kinds: &[ChangeKind]| -> Vec<String> {
        report
            .entries_of(kinds)
            .map(|e| e.code.as_str().to_owned())
            .collect()
    };
    assert_eq!(codes(&[ChangeKind::New]), ["1"]);
    assert_eq!(
        codes(&[ChangeKind::Changed, ChangeKind::Unchanged]),
        ["2", "3"]
    );
    assert_eq!(codes(&[ChangeKind::Invalid]), ["4"]);
    assert_eq!(codes(&[]), ["1", "2", "3", "4"]);
    let counts = report.summary.counts;
    assert_eq!(
        (counts.new, counts.changed, counts.unchanged, counts.invalid),
        (1, 1, 1, 1)
    );
}

#[tokio::test]
async fn r1_import_uses_the_same_algorithm_with_the_sides_swapped() {
    let w = world();
    w.attendance.insert(person("7", "伊藤"), export_placement());
    let report = w
        .engine
        .fetch(Direction::Import, d(2025, 6, 1), &admin())
        .await
        .unwrap();
    assert_eq!(report.entries[0].kind, ChangeKind::New);
    let request = ApplyRequest::new(Selection::new_and_changed())
        .with_placement(Placement::new().with(MasterKind::Office, "HQ"));
    let report = w
        .engine
        .apply(report.summary.id, request, &admin())
        .await
        .unwrap();
    assert_eq!(report.summary.status, RunStatus::Completed);
    let hr = w.hr.records();
    assert_eq!(hr.len(), 1);
    assert_eq!(
        w.hr.placement_of(&hr[0].id),
        Some(Placement::new().with(MasterKind::Office, "HQ"))
    );
}

#[tokio::test]
async fn r3_source_is_filtered_by_the_core_enrolment_rule() {
    let w = world();
    let base = d(2023, 1, 1);
    w.hr.insert(person("1", "山田").with_hire_date(base), Placement::new());
    w.hr.insert(
        person("2", "山田").with_hire_date(d(2023, 1, 2)),
        Placement::new(),
    );
    w.hr.insert(
        person("3", "山田").with_resignation_date(base),
        Placement::new(),
    );
    w.hr.insert(
        person("4", "山田").with_resignation_date(d(2023, 1, 2)),
        Placement::new(),
    );
    let mut no_hire = person("5", "山田");
    no_hire.hire_date = None;
    w.hr.insert(no_hire, Placement::new());
    let report = w
        .engine
        .fetch(Direction::Export, base, &admin())
        .await
        .unwrap();
    let codes: Vec<_> = report.entries.iter().map(|e| e.code.as_str()).collect();
    assert_eq!(codes, ["1", "4", "5"]);
}

#[tokio::test]
async fn r2_base_date_out_of_range_fetches_nothing() {
    let w = world();
    // Japan today is 2025-06-02: the range is 2022-06-02 ..= 2026-06-02.
    for base in [d(2022, 6, 1), d(2026, 6, 3)] {
        let error = w
            .engine
            .start(Direction::Export, base, &admin())
            .await
            .unwrap_err();
        assert!(
            matches!(error, SyncError::BaseDateOutOfRange { .. }),
            "{error}"
        );
    }
    assert_eq!(w.hr.calls(Operation::List), 0);
    assert!(
        w.engine.recent().await.unwrap().is_empty(),
        "no report recorded"
    );
    for base in [d(2022, 6, 2), d(2026, 6, 2)] {
        w.engine
            .fetch(Direction::Export, base, &admin())
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn r4_fetch_failure_is_recorded_as_failed_with_the_reason() {
    let w = world();
    w.attendance.inject(Operation::List, Fault::Unavailable, 1);
    let report = w
        .engine
        .fetch(Direction::Export, d(2025, 6, 1), &admin())
        .await
        .unwrap();
    assert_eq!(report.summary.status, RunStatus::Failed);
    let reason = report.summary.failure.unwrap();
    assert!(reason.contains("Attendance (memory)"), "{reason}");
}

#[tokio::test]
async fn r6_selection_errors_name_the_codes_and_write_nothing() {
    let w = world();
    w.hr.insert(person("1", "山田"), Placement::new());
    w.hr.insert(Employee::new("2").with_name("無", "性別"), Placement::new());
    let report = w
        .engine
        .fetch(Direction::Export, d(2025, 6, 1), &admin())
        .await
        .unwrap();
    let id = report.summary.id;
    assert_eq!(report.entries[1].kind, ChangeKind::Invalid);

    let error = w
        .engine
        .apply(
            id,
            ApplyRequest::new(Selection::codes(["1", "2", "99"]))
                .with_placement(export_placement()),
            &admin(),
        )
        .await
        .unwrap_err();
    match &error {
        SyncError::InvalidSelection { invalid, unknown } => {
            assert_eq!(invalid[0].as_str(), "2");
            assert_eq!(unknown[0].as_str(), "99");
        }
        other => panic!("{other}"),
    }
    assert!(error.to_string().contains("99"));
    let empty = w
        .engine
        .apply(
            id,
            ApplyRequest::new(Selection::codes(Vec::<String>::new())),
            &admin(),
        )
        .await
        .unwrap_err();
    assert!(matches!(empty, SyncError::EmptySelection));
    assert_eq!(w.attendance.calls(Operation::Create), 0);
    let after = w.engine.report(id).await.unwrap();
    assert_eq!(
        after.summary.status,
        RunStatus::AwaitingSync,
        "nothing recorded"
    );
}

#[tokio::test]
async fn r7_missing_or_unknown_placement_writes_nothing() {
    let w = world();
    w.hr.insert(person("1", "山田"), Placement::new());
    let id = fetched(&w).await;
    let missing = w
        .engine
        .apply(
            id,
            ApplyRequest::new(Selection::codes(["1"]))
                .with_placement(Placement::new().with(MasterKind::Division, "1000")),
            &admin(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&missing, SyncError::MissingPlacement { kinds } if kinds == &[MasterKind::EmploymentType]),
        "{missing}"
    );
    let unknown = w
        .engine
        .apply(
            id,
            ApplyRequest::new(Selection::codes(["1"])).with_placement(
                Placement::new()
                    .with(MasterKind::Division, "9999")
                    .with(MasterKind::EmploymentType, "1"),
            ),
            &admin(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&unknown, SyncError::UnknownPlacement { kind: MasterKind::Division, code, .. } if code == "9999"),
        "{unknown}"
    );
    assert_eq!(w.attendance.calls(Operation::Create), 0);
}

#[tokio::test]
async fn r7_placement_is_not_needed_without_new_employees_and_never_sent_on_update() {
    let w = world();
    w.hr.insert(person("1", "山田"), Placement::new());
    let other = Placement::new()
        .with(MasterKind::Division, "2000")
        .with(MasterKind::EmploymentType, "2");
    let id_in_target = w.attendance.insert(person("1", "佐藤"), other.clone());
    let id = fetched(&w).await;
    let report = w
        .engine
        .apply(id, ApplyRequest::new(Selection::codes(["1"])), &admin())
        .await
        .unwrap();
    assert_eq!(report.summary.status, RunStatus::Completed);
    assert_eq!(w.attendance.placement_of(&id_in_target), Some(other));
}

#[tokio::test]
async fn r9_business_name_is_sent_on_export_when_configured() {
    let w = world_with(
        SyncOptions::default().with_prefer_business_name(true),
        MaintenanceWindows::none(),
    );
    let business = BusinessName {
        last_name: Some("旧姓".into()),
        first_name: None,
        last_name_kana: Some("キュウセイ".into()),
        first_name_kana: None,
    };
    w.hr.insert(
        person("1", "山田").with_business_name(business),
        Placement::new(),
    );
    w.hr.insert(person("2", "佐藤"), Placement::new());
    let report = w
        .engine
        .fetch(Direction::Export, d(2025, 6, 1), &admin())
        .await
        .unwrap();
    assert_eq!(
        report.entries[0].employee.last_name.as_deref(),
        Some("旧姓")
    );
    assert_eq!(
        report.entries[0].employee.first_name.as_deref(),
        Some("太郎")
    );
    assert_eq!(
        report.entries[0].employee.last_name_kana.as_deref(),
        Some("キュウセイ")
    );
    assert_eq!(
        report.entries[1].employee.last_name.as_deref(),
        Some("佐藤")
    );

    let legal = world();
    legal.hr.insert(
        person("1", "山田").with_business_name(BusinessName {
            last_name: Some("旧姓".into()),
            ..BusinessName::default()
        }),
        Placement::new(),
    );
    let report = legal
        .engine
        .fetch(Direction::Export, d(2025, 6, 1), &admin())
        .await
        .unwrap();
    assert_eq!(
        report.entries[0].employee.last_name.as_deref(),
        Some("山田")
    );
    assert_eq!(report.entries[0].employee.business_name, None);
}

#[tokio::test]
async fn r11_new_employee_created_since_the_plan_is_not_created_again() {
    let w = world();
    w.hr.insert(person("1", "山田"), Placement::new());
    let id = fetched(&w).await;
    // Someone creates the employee in the target while the plan waits.
    w.attendance.insert(person("1", "山田"), export_placement());
    let report = apply_one(&w, id).await.unwrap();
    assert!(matches!(
        report.entries[0].outcome,
        Some(Outcome::Skipped { .. })
    ));
    assert_eq!(w.attendance.calls(Operation::Create), 0);
    assert_eq!(w.attendance.records().len(), 1);
}

/// A create that failed with an unknown outcome is read back by code before anything is
/// sent again: confirmed when the write had landed (never re-sent), sent once more when it
/// had not.
#[tokio::test]
async fn r11_a_create_whose_outcome_is_unknown_is_read_back_before_any_resend() {
    // (fault, creates sent, reads by code)
    let cases = [(Fault::LoseResponse, 1, 1), (Fault::Unavailable, 2, 1)];
    for (fault, creates, reads) in cases {
        let w = world();
        w.hr.insert(person("1", "山田"), Placement::new());
        w.attendance.inject(Operation::Create, fault.clone(), 1);
        let id = fetched(&w).await;
        let report = apply_one(&w, id).await.unwrap();
        assert!(
            matches!(report.entries[0].outcome, Some(Outcome::Created { .. })),
            "{fault:?}"
        );
        assert_eq!(w.attendance.calls(Operation::Create), creates, "{fault:?}");
        assert_eq!(w.attendance.calls(Operation::Get), reads, "{fault:?}");
        assert_eq!(w.attendance.records().len(), 1, "{fault:?}: one record");
    }
}

#[tokio::test]
async fn r10_one_failure_never_stops_the_others() {
    let w = world_with(
        SyncOptions::default().with_apply_concurrency(1),
        MaintenanceWindows::none(),
    );
    for code in ["1", "2", "3"] {
        w.hr.insert(person(code, "山田"), Placement::new());
    }
    w.attendance
        .inject(Operation::Create, Fault::Refuse("name too long".into()), 1);
    let id = fetched(&w).await;
    let report = w
        .engine
        .apply(
            id,
            ApplyRequest::new(Selection::new_and_changed()).with_placement(export_placement()),
            &admin(),
        )
        .await
        .unwrap();
    assert_eq!(report.summary.status, RunStatus::CompletedWithErrors);
    let counts = report.outcome_counts();
    assert_eq!((counts.failed, counts.created), (1, 2));
    let failed = report
        .entries
        .iter()
        .find_map(|e| match &e.outcome {
            Some(Outcome::Failed { reason }) => Some(reason.clone()),
            _ => None,
        })
        .unwrap();
    assert!(failed.contains("name too long"), "{failed}");
}

#[tokio::test]
async fn r12_start_and_apply_are_refused_inside_a_window_with_its_end() {
    let w = world_with(SyncOptions::default(), kot_windows());
    w.hr.insert(person("1", "山田"), Placement::new());
    let id = fetched(&w).await;
    // 17:45 Japan time: inside 17:30–18:30.
    w.clock.advance(Duration::minutes(7 * 60 + 15));
    let error = w
        .engine
        .start(Direction::Export, d(2025, 6, 1), &admin())
        .await
        .unwrap_err();
    assert!(error.to_string().contains("18:30"), "{error}");
    let error = apply_one(&w, id).await.unwrap_err();
    assert!(
        matches!(&error, SyncError::MaintenanceWindow { system, .. } if system == "Attendance (memory)"),
        "{error}"
    );
    assert!(error.is_retryable());
    assert_eq!(w.attendance.calls(Operation::Create), 0);
}

#[tokio::test]
async fn r12_r13_window_mid_apply_leaves_the_rest_pending_and_resume_finishes() {
    let w = world_with(
        SyncOptions::default().with_apply_concurrency(1),
        MaintenanceWindows::none(),
    );
    for n in 1..=6 {
        w.hr.insert(person(&n.to_string(), "山田"), Placement::new());
    }
    let id = fetched(&w).await;
    // The third create meets the vendor's "outside allowed hours" answer.
    let creates_before_window = 2;
    let seen = Arc::new(AtomicUsize::new(0));
    let attendance = w.attendance.clone();
    let progress_seen = seen.clone();
    let request = ApplyRequest::new(Selection::new_and_changed())
        .with_placement(export_placement())
        .with_progress(move |progress| {
            let done = progress_seen.fetch_add(1, Ordering::SeqCst) + 1;
            assert_eq!(progress.total, 6);
            if done == creates_before_window {
                attendance.inject(Operation::Create, Fault::MaintenanceWindow, 1);
            }
        });
    let report = w.engine.apply(id, request, &admin()).await.unwrap();
    assert_eq!(report.summary.status, RunStatus::Interrupted);
    assert!(report
        .summary
        .failure
        .as_deref()
        .unwrap()
        .contains("resume"));
    let counts = report.outcome_counts();
    assert_eq!((counts.created, counts.pending), (2, 4));
    assert_eq!(
        w.attendance.calls(Operation::Create),
        3,
        "no send after the window answer"
    );

    let resumed = w.engine.resume(id, &admin(), None).await.unwrap();
    assert_eq!(resumed.summary.status, RunStatus::Completed);
    assert_eq!(resumed.outcome_counts().created, 6);
    assert_eq!(
        w.attendance.records().len(),
        6,
        "exactly one record per code"
    );
    assert_eq!(w.attendance.calls(Operation::Create), 7);
}

#[tokio::test]
async fn r13_reports_are_listed_newest_first_and_recent_is_ten() {
    let w = world();
    let mut ids = Vec::new();
    for _ in 0..12 {
        ids.push(
            w.engine
                .fetch(Direction::Export, d(2025, 6, 1), &admin())
                .await
                .unwrap()
                .summary
                .id,
        );
        w.clock.advance(Duration::seconds(1));
    }
    let recent = w.engine.recent().await.unwrap();
    assert_eq!(recent.len(), 10);
    let listed: Vec<_> = recent.iter().map(|s| s.id).collect();
    let expected: Vec<_> = ids.iter().rev().take(10).copied().collect();
    assert_eq!(listed, expected);
}

#[tokio::test]
async fn r14_non_administrators_are_refused_and_the_actor_is_recorded() {
    let w = world();
    w.hr.insert(person("1", "山田"), Placement::new());
    let member = Actor::member("staff-9");
    let error = w
        .engine
        .start(Direction::Export, d(2025, 6, 1), &member)
        .await
        .unwrap_err();
    assert!(matches!(error, SyncError::NotAdministrator { .. }));
    let report = w
        .engine
        .fetch(Direction::Export, d(2025, 6, 1), &admin())
        .await
        .unwrap();
    let error = w
        .engine
        .apply(
            report.summary.id,
            ApplyRequest::new(Selection::codes(["1"])).with_placement(export_placement()),
            &member,
        )
        .await
        .unwrap_err();
    assert!(matches!(error, SyncError::NotAdministrator { .. }));
    let applied = w
        .engine
        .apply(
            report.summary.id,
            ApplyRequest::new(Selection::codes(["1"])).with_placement(export_placement()),
            &Actor::administrator("admin-2"),
        )
        .await
        .unwrap();
    assert_eq!(applied.summary.actor.id, "admin-1");
    assert_eq!(applied.summary.applied_by.unwrap().id, "admin-2");
}

#[tokio::test]
async fn b2_preview_lists_the_exact_writes_without_sending() {
    let w = world();
    w.hr.insert(person("1", "山田"), Placement::new());
    w.hr.insert(person("2", "佐藤"), Placement::new());
    let target_id = w.attendance.insert(person("2", "伊藤"), export_placement());
    let id = fetched(&w).await;
    let request =
        ApplyRequest::new(Selection::new_and_changed()).with_placement(export_placement());
    let writes = w.engine.preview(id, &request).await.unwrap();
    assert_eq!(writes.len(), 2);
    assert!(
        matches!(&writes[0], PlannedWrite::Create { employee, placement }
        if employee.code.as_str() == "1" && placement == &export_placement())
    );
    match &writes[1] {
        PlannedWrite::Update { id, update } => {
            assert_eq!(id, &target_id);
            assert_eq!(
                update.fields().collect::<Vec<_>>(),
                [hris_sync_core::Field::LastName]
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(w.attendance.calls(Operation::Create), 0);
    assert_eq!(w.attendance.calls(Operation::Update), 0);
}

#[tokio::test]
async fn p2_a_selection_of_unchanged_employees_sends_nothing_and_reads_nothing_more() {
    let w = world();
    w.hr.insert(person("1", "山田"), Placement::new());
    w.attendance.insert(person("1", "山田"), export_placement());
    let report = w
        .engine
        .fetch(Direction::Export, d(2025, 6, 1), &admin())
        .await
        .unwrap();
    assert_eq!(report.entries[0].kind, ChangeKind::Unchanged);
    let report = w
        .engine
        .apply(
            report.summary.id,
            ApplyRequest::new(Selection::codes(["1"])),
            &admin(),
        )
        .await
        .unwrap();
    assert_eq!(report.summary.status, RunStatus::Completed);
    assert!(matches!(
        report.entries[0].outcome,
        Some(Outcome::Skipped { .. })
    ));
    assert_eq!(
        w.attendance.calls(Operation::List),
        1,
        "the fetch's list only"
    );
    assert_eq!(w.attendance.calls(Operation::Create), 0);
    assert_eq!(w.attendance.calls(Operation::Update), 0);
}

#[tokio::test]
async fn r10_a_finished_run_cannot_be_applied_twice() {
    let w = world();
    w.hr.insert(person("1", "山田"), Placement::new());
    let id = fetched(&w).await;
    let request = ApplyRequest::new(Selection::codes(["1"])).with_placement(export_placement());
    w.engine.apply(id, request.clone(), &admin()).await.unwrap();
    let again = w.engine.apply(id, request, &admin()).await.unwrap_err();
    assert!(matches!(
        again,
        SyncError::WrongStatus {
            status: RunStatus::Completed,
            ..
        }
    ));
    assert_eq!(w.attendance.records().len(), 1);
}

#[cfg(feature = "sqlite")]
#[tokio::test]
async fn r13_a_run_whose_process_died_mid_apply_resumes_from_its_durable_report() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("reports.db");
    let clock = Arc::new(FixedClock::at_japan_time(2025, 6, 2, 10, 30));
    let hr = InMemorySystem::hr("HR (memory)");
    let attendance = InMemorySystem::attendance("Attendance (memory)")
        .with_master(MasterKind::Division, "1000", "本社")
        .with_master(MasterKind::EmploymentType, "1", "正社員");
    for n in 1..=8 {
        hr.insert(person(&n.to_string(), "山田"), Placement::new());
    }
    let engine = |store: Arc<dyn ReportStore>| {
        SyncEngine::builder()
            .with_hr(Arc::new(hr.clone()))
            .with_attendance(Arc::new(attendance.clone()))
            .with_store(store)
            .with_clock(clock.clone())
            .with_options(SyncOptions::default().with_apply_concurrency(1))
            .build()
            .unwrap()
    };

    let first = engine(Arc::new(Troubled::dies_on_record(
        hris_sync_core::SqliteReportStore::open(&path).unwrap(),
        3,
    )));
    let id = first
        .fetch(Direction::Export, d(2025, 6, 1), &admin())
        .await
        .unwrap()
        .summary
        .id;
    // The process "dies" recording its third batch of outcomes: the store panics.
    let request =
        ApplyRequest::new(Selection::new_and_changed()).with_placement(export_placement());
    let crashed = tokio::spawn(async move { first.apply(id, request, &admin()).await });
    assert!(crashed.await.unwrap_err().is_panic());

    // A new process opens the same file.
    let second = engine(Arc::new(
        hris_sync_core::SqliteReportStore::open(&path).unwrap(),
    ));
    let report = second.report(id).await.unwrap();
    assert_eq!(report.summary.status, RunStatus::Syncing);
    let recorded = report.outcome_counts();
    assert_eq!(recorded.selected(), 8);
    // Outcomes are committed in batches while the writes go on, so how many made it before
    // the crash depends on timing; the batch that died held at least one sent create.
    assert!(
        recorded.created >= 2 && recorded.created < attendance.calls(Operation::Create),
        "a create was sent but never recorded: {recorded:?}, {} sent",
        attendance.calls(Operation::Create)
    );

    // Resume takes only an Interrupted run: the operator declares the old process gone.
    let refused = second.resume(id, &admin(), None).await.unwrap_err();
    assert!(
        matches!(
            refused,
            SyncError::WrongStatus {
                status: RunStatus::Syncing,
                ..
            }
        ),
        "{refused}"
    );
    // The dead applier's lease is still fresh: not declared abandoned yet.
    let held = second.mark_abandoned(id, &admin()).await.unwrap_err();
    assert!(matches!(held, SyncError::LeaseHeld { .. }), "{held}");
    clock.advance(Duration::seconds(61));
    let marked = second.mark_abandoned(id, &admin()).await.unwrap();
    assert_eq!(marked.status, RunStatus::Interrupted);
    assert!(marked.failure.unwrap().contains("admin-1"));

    let resumed = second.resume(id, &admin(), None).await.unwrap();
    assert_eq!(resumed.summary.status, RunStatus::Completed);
    let counts = resumed.outcome_counts();
    assert_eq!(
        (counts.created, counts.skipped, counts.pending),
        (8, 0, 0),
        "S5: the create sent before the crash is reported as this run's"
    );
    assert_eq!(
        attendance.calls(Operation::Create),
        8,
        "the unrecorded create is not re-sent"
    );
    let mut codes: Vec<_> = attendance
        .records()
        .into_iter()
        .map(|r| r.employee.code.as_str().to_owned())
        .collect();
    codes.sort();
    codes.dedup();
    assert_eq!(codes.len(), 8);
    assert_eq!(attendance.records().len(), 8, "exactly one record per code");
}

/// A report store that behaves like `inner` but panics, as a dying process would, on the
/// `dies_at`-th `record_progress` holding outcomes (before storing it), or fails it with a
/// backend error when `dies_at` is 0 (from the first call on); `usize::MAX` never does.
///
/// With `run_row` set, it also serialises as PostgreSQL does: each `record_progress` holds
/// the run's row (the mutex) for that long before storing, and `renew_lease` waits for it.
/// `renewals` counts the lease renewals that reached the store.
#[derive(Debug)]
struct Troubled<S> {
    inner: S,
    recorded: AtomicUsize,
    dies_at: usize,
    run_row: Option<(tokio::sync::Mutex<()>, std::time::Duration)>,
    renewals: AtomicUsize,
}

impl<S> Troubled<S> {
    fn dies_on_record(inner: S, dies_at: usize) -> Self {
        Self {
            inner,
            recorded: AtomicUsize::new(0),
            dies_at,
            run_row: None,
            renewals: AtomicUsize::new(0),
        }
    }

    fn holds_the_run_row(inner: S, held: std::time::Duration) -> Self {
        Self {
            inner,
            recorded: AtomicUsize::new(0),
            dies_at: usize::MAX,
            run_row: Some((tokio::sync::Mutex::new(()), held)),
            renewals: AtomicUsize::new(0),
        }
    }
}

#[async_trait::async_trait]
impl<S: ReportStore> ReportStore for Troubled<S> {
    async fn insert(&self, summary: &ReportSummary) -> Result<(), StoreError> {
        self.inner.insert(summary).await
    }
    async fn update_summary(&self, summary: &ReportSummary) -> Result<(), StoreError> {
        self.inner.update_summary(summary).await
    }
    async fn save_plan(
        &self,
        summary: &ReportSummary,
        masters: &BTreeMap<MasterKind, Vec<MasterEntry>>,
        entries: &[ReportEntry],
    ) -> Result<(), StoreError> {
        self.inner.save_plan(summary, masters, entries).await
    }
    async fn save_selection(
        &self,
        summary: &ReportSummary,
        placement: &Placement,
        selected: &[usize],
    ) -> Result<(), StoreError> {
        self.inner
            .save_selection(summary, placement, selected)
            .await
    }
    async fn transition(&self, from: &ReportSummary, to: &ReportSummary) -> Result<(), StoreError> {
        self.inner.transition(from, to).await
    }
    async fn record_progress(
        &self,
        id: ReportId,
        claim: ClaimToken,
        batch: &ProgressBatch,
    ) -> Result<(), StoreError> {
        let _row = match &self.run_row {
            Some((row, held)) => {
                let locked = row.lock().await;
                tokio::time::sleep(*held).await;
                Some(locked)
            }
            None => None,
        };
        // Batches of intents alone go through: the store dies when recording outcomes.
        if batch.outcomes.is_empty() {
            return self.inner.record_progress(id, claim, batch).await;
        }
        let call = self.recorded.fetch_add(1, Ordering::SeqCst) + 1;
        if self.dies_at == 0 {
            return Err(StoreError::Backend {
                message: "disk full".into(),
                source: None,
            });
        }
        if call == self.dies_at {
            panic!("simulated crash before recording outcome batch {call}");
        }
        self.inner.record_progress(id, claim, batch).await
    }
    async fn renew_lease(
        &self,
        id: ReportId,
        claim: ClaimToken,
        renewed_at: chrono::DateTime<chrono::Utc>,
        expires_at: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<String>, StoreError> {
        self.renewals.fetch_add(1, Ordering::SeqCst);
        let _row = match &self.run_row {
            Some((row, _)) => Some(row.lock().await),
            None => None,
        };
        self.inner
            .renew_lease(id, claim, renewed_at, expires_at)
            .await
    }
    async fn request_stop(&self, id: ReportId, by: &str) -> Result<(), StoreError> {
        self.inner.request_stop(id, by).await
    }
    async fn finish(&self, claim: ClaimToken, summary: &ReportSummary) -> Result<(), StoreError> {
        self.inner.finish(claim, summary).await
    }
    async fn load(&self, id: ReportId) -> Result<Option<SyncReport>, StoreError> {
        self.inner.load(id).await
    }
    async fn summary(&self, id: ReportId) -> Result<Option<ReportSummary>, StoreError> {
        self.inner.summary(id).await
    }
    async fn list(&self, query: &ReportQuery) -> Result<Vec<ReportSummary>, StoreError> {
        self.inner.list(query).await
    }
    async fn abandon_expired(
        &self,
        now: chrono::DateTime<chrono::Utc>,
        by: &str,
        limit: usize,
    ) -> Result<Vec<ReportSummary>, StoreError> {
        self.inner.abandon_expired(now, by, limit).await
    }
    async fn purge_older_than(
        &self,
        cutoff: chrono::DateTime<chrono::Utc>,
        mode: hris_sync_core::store::PurgeMode,
    ) -> Result<hris_sync_core::store::PurgeReport, StoreError> {
        self.inner.purge_older_than(cutoff, mode).await
    }
}

/// A system that behaves like `inner`, but whose `list_employees` first takes a permit from
/// `gate` (so a test decides when a list answers), or panics when `panics` is set.
#[derive(Debug)]
struct Gated {
    inner: InMemorySystem,
    gate: Arc<Semaphore>,
    panics: bool,
}

impl Gated {
    fn new(inner: InMemorySystem) -> Self {
        Self {
            inner,
            gate: Arc::new(Semaphore::new(0)),
            panics: false,
        }
    }
}

#[async_trait::async_trait]
impl EmployeeSystem for Gated {
    fn info(&self) -> &SystemInfo {
        self.inner.info()
    }
    async fn test_connection(&self) -> Result<(), ConnectorError> {
        self.inner.test_connection().await
    }
    async fn list_employees(
        &self,
        options: &ListOptions,
    ) -> Result<Vec<EmployeeRecord>, ConnectorError> {
        assert!(!self.panics, "simulated bug in a connector");
        self.gate.acquire().await.unwrap().forget();
        self.inner.list_employees(options).await
    }
    async fn get_employee(
        &self,
        code: &EmployeeCode,
    ) -> Result<Option<EmployeeRecord>, ConnectorError> {
        self.inner.get_employee(code).await
    }
    async fn create_employee(
        &self,
        employee: &Employee,
        placement: &Placement,
    ) -> Result<EmployeeRecord, ConnectorError> {
        self.inner.create_employee(employee, placement).await
    }
    async fn update_employee(
        &self,
        id: &RecordId,
        update: &EmployeeUpdate,
    ) -> Result<(), ConnectorError> {
        self.inner.update_employee(id, update).await
    }
    async fn list_masters(&self, kind: MasterKind) -> Result<Vec<MasterEntry>, ConnectorError> {
        self.inner.list_masters(kind).await
    }
}

impl HrSystem for Gated {}

fn engine_with_hr(hr: Arc<Gated>, attendance: &InMemorySystem) -> SyncEngine {
    SyncEngine::builder()
        .with_hr(hr)
        .with_attendance(Arc::new(attendance.clone()))
        .with_clock(Arc::new(FixedClock::at_japan_time(2025, 6, 2, 10, 30)))
        .build()
        .unwrap()
}

fn attendance_system() -> InMemorySystem {
    InMemorySystem::attendance("Attendance (memory)")
        .with_master(MasterKind::Division, "1000", "本社")
        .with_master(MasterKind::EmploymentType, "1", "正社員")
}

#[tokio::test]
async fn r4_start_returns_at_once_with_status_fetching_and_writes_nothing() {
    let hr = InMemorySystem::hr("HR (memory)").with_master(MasterKind::Office, "HQ", "本社");
    hr.insert(person("1", "山田"), Placement::new());
    let gated = Arc::new(Gated::new(hr));
    let attendance = attendance_system();
    let engine = engine_with_hr(gated.clone(), &attendance);

    // The HR list does not answer until the gate opens: start must not wait for it.
    let id = engine
        .start(Direction::Export, d(2025, 6, 1), &admin())
        .await
        .unwrap();
    let report = engine.report(id).await.unwrap();
    assert_eq!(report.summary.status, RunStatus::Fetching);
    assert!(report.entries.is_empty());
    let error = engine
        .apply(
            id,
            ApplyRequest::new(Selection::codes(["1"])).with_placement(export_placement()),
            &admin(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            SyncError::WrongStatus {
                status: RunStatus::Fetching,
                ..
            }
        ),
        "{error}"
    );

    gated.gate.add_permits(1);
    let report = engine.wait_until_fetched(id).await.unwrap();
    assert_eq!(report.summary.status, RunStatus::AwaitingSync);
    assert_eq!(report.entries.len(), 1);
    assert_eq!(attendance.calls(Operation::Create), 0, "nothing written");
    assert_eq!(attendance.calls(Operation::Update), 0, "nothing written");
}

#[tokio::test]
async fn r4_a_fetch_that_panics_ends_failed_not_fetching_for_ever() {
    let hr = InMemorySystem::hr("HR (memory)").with_master(MasterKind::Office, "HQ", "本社");
    let gated = Arc::new(Gated {
        panics: true,
        ..Gated::new(hr)
    });
    let engine = engine_with_hr(gated, &attendance_system());
    let report = engine
        .fetch(Direction::Export, d(2025, 6, 1), &admin())
        .await
        .unwrap();
    assert_eq!(report.summary.status, RunStatus::Failed);
    let failure = report.summary.failure.unwrap();
    assert!(failure.contains("ended abnormally"), "{failure}");
}

#[tokio::test]
async fn r10_a_second_apply_of_a_running_report_is_refused() {
    let hr = InMemorySystem::hr("HR (memory)").with_master(MasterKind::Office, "HQ", "本社");
    let gated = Arc::new(Gated::new(hr.clone()));
    let attendance = attendance_system();
    attendance.insert(person("1", "山田"), export_placement());
    let engine = engine_with_hr(gated.clone(), &attendance);
    let (id, request, first) = apply_held_in_its_target_read(&engine, &gated).await;
    let second = engine.apply(id, request, &admin()).await.unwrap_err();
    assert!(
        matches!(second, SyncError::RunInProgress(run) if run == id),
        "{second}"
    );
    let resumed = engine.resume(id, &admin(), None).await.unwrap_err();
    assert!(matches!(resumed, SyncError::RunInProgress(_)), "{resumed}");

    gated.gate.add_permits(1);
    let report = first.await.unwrap().unwrap();
    assert_eq!(report.summary.status, RunStatus::Completed);
    assert_eq!(hr.records().len(), 1, "created once");
}

#[tokio::test]
async fn r11_a_failed_read_back_leaves_the_employee_pending_and_resume_decides() {
    let w = world();
    w.hr.insert(person("1", "山田"), Placement::new());
    w.hr.insert(person("2", "佐藤"), Placement::new());
    let id = fetched(&w).await;
    // The create lands but its response is lost, and the confirming read fails too.
    w.attendance
        .inject(Operation::Create, Fault::LoseResponse, 1);
    w.attendance.inject(Operation::Get, Fault::Unavailable, 1);
    let report = apply_one(&w, id).await.unwrap();
    assert_eq!(report.summary.status, RunStatus::Interrupted);
    assert_eq!(report.entries[0].outcome, Some(Outcome::Pending));
    let failure = report.summary.failure.unwrap();
    assert!(
        failure.contains("could not confirm whether employee 1"),
        "{failure}"
    );
    assert!(!failure.contains("山田"), "S4: no personal data: {failure}");
    assert_eq!(
        w.attendance.calls(Operation::Create),
        1,
        "never re-sent blindly"
    );

    let resumed = w.engine.resume(id, &admin(), None).await.unwrap();
    assert_eq!(resumed.summary.status, RunStatus::Completed);
    assert!(
        matches!(resumed.entries[0].outcome, Some(Outcome::Created { .. })),
        "S5: the create this run sent is its own: {:?}",
        resumed.entries[0].outcome
    );
    assert_eq!(w.attendance.calls(Operation::Create), 1);
    assert_eq!(w.attendance.records().len(), 1, "exactly one record");
}

#[tokio::test]
async fn r13_a_store_failure_mid_apply_marks_the_run_interrupted_and_resumable() {
    let clock = Arc::new(FixedClock::at_japan_time(2025, 6, 2, 10, 30));
    let store = Arc::new(Troubled::dies_on_record(
        hris_sync_core::MemoryReportStore::new(),
        0,
    ));
    let hr = InMemorySystem::hr("HR (memory)");
    hr.insert(person("1", "山田"), Placement::new());
    let attendance = attendance_system();
    let engine = engine_on(store, hr, &attendance, clock, SyncOptions::default());
    let id = export_fetched(&engine).await;
    let error = engine
        .apply(
            id,
            ApplyRequest::new(Selection::codes(["1"])).with_placement(export_placement()),
            &admin(),
        )
        .await
        .unwrap_err();
    assert!(matches!(error, SyncError::Store(_)), "{error}");
    let report = engine.report(id).await.unwrap();
    assert_eq!(report.summary.status, RunStatus::Interrupted);
    assert!(report.summary.failure.unwrap().contains("disk full"));
    assert_eq!(report.entries[0].outcome, Some(Outcome::Pending));
    assert_eq!(attendance.records().len(), 1);
}

/// A lease renewal that falls due while a commit holds the run's row (as a PostgreSQL
/// transaction does) waits for that commit, so the commit must go on meanwhile: awaited
/// instead of it, the renewal would wait for ever on a lock only the commit can release.
/// Every commit here holds the row for longer than the renewal period.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s5_a_renewal_due_while_a_commit_holds_the_run_row_never_deadlocks_the_apply() {
    let lease = std::time::Duration::from_secs(1); // the shortest a lease may be
    let store = Arc::new(Troubled::holds_the_run_row(
        hris_sync_core::MemoryReportStore::new(),
        lease / 2,
    ));
    let hr = InMemorySystem::hr("HR (memory)");
    for n in 1..=6 {
        hr.insert(person(&n.to_string(), "山田"), Placement::new());
    }
    let attendance = attendance_system();
    let options = SyncOptions::default()
        .with_apply_concurrency(2)
        .with_lease_duration(lease);
    let clock = Arc::new(FixedClock::at_japan_time(2025, 6, 2, 10, 30));
    let engine = engine_on(store.clone(), hr, &attendance, clock, options);
    let id = export_fetched(&engine).await;
    let request =
        ApplyRequest::new(Selection::new_and_changed()).with_placement(export_placement());
    let report = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        engine.apply(id, request, &admin()),
    )
    .await
    .expect("the apply ended (a renewal awaited instead of the commit holding the row never ends)")
    .unwrap();
    assert_eq!(report.summary.status, RunStatus::Completed, "{report}");
    assert_eq!(attendance.records().len(), 6, "one record per code");
    assert!(
        store.renewals.load(Ordering::SeqCst) >= 1,
        "no renewal fell due during the apply: the test did not exercise the case"
    );
}

#[tokio::test]
async fn r13_resume_refuses_a_run_that_was_never_applied() {
    let w = world();
    w.hr.insert(person("1", "山田"), Placement::new());
    let id = fetched(&w).await;
    let error = w.engine.resume(id, &admin(), None).await.unwrap_err();
    assert!(
        matches!(
            error,
            SyncError::WrongStatus {
                status: RunStatus::AwaitingSync,
                ..
            }
        ),
        "{error}"
    );
    assert_eq!(
        w.attendance.calls(Operation::List),
        1,
        "only the plan's read"
    );
}

/// Fetches an export on 2025-06-01 and returns the report's id.
async fn fetched(w: &World) -> ReportId {
    export_fetched(&w.engine).await
}

/// Fetches an export on 2025-06-01 with `engine` and returns the report's id.
async fn export_fetched(engine: &SyncEngine) -> ReportId {
    engine
        .fetch(Direction::Export, d(2025, 6, 1), &admin())
        .await
        .unwrap()
        .summary
        .id
}

/// An engine over `store`, `hr` and `attendance`, at `clock`, with `options`.
fn engine_on(
    store: Arc<dyn ReportStore>,
    hr: InMemorySystem,
    attendance: &InMemorySystem,
    clock: Arc<FixedClock>,
    options: SyncOptions,
) -> SyncEngine {
    SyncEngine::builder()
        .with_hr(Arc::new(hr))
        .with_attendance(Arc::new(attendance.clone()))
        .with_store(store)
        .with_clock(clock)
        .with_options(options)
        .build()
        .unwrap()
}

/// Applies the selection of employee "1" with the export placement, as the administrator.
async fn apply_one(w: &World, id: ReportId) -> Result<SyncReport, SyncError> {
    let request = ApplyRequest::new(Selection::codes(["1"])).with_placement(export_placement());
    w.engine.apply(id, request, &admin()).await
}

/// Two engines (two processes, say) sharing one store: while one applies a report, the
/// other can neither apply nor resume it (SPEC R11: never a duplicate). The race of two
/// claims made at the same instant is the store's atomic step, tested by the store contract
/// (`save_selection_refuses_a_report_no_longer_awaiting_sync`, `transition_claims_only_an_unchanged_summary`).
#[tokio::test]
async fn r11_two_engines_sharing_a_store_never_apply_the_same_report_twice() {
    let hr = InMemorySystem::hr("HR (memory)").with_master(MasterKind::Office, "HQ", "本社");
    let gated = Arc::new(Gated::new(hr.clone()));
    let attendance = attendance_system();
    attendance.insert(person("1", "山田"), export_placement());
    let store: Arc<dyn ReportStore> = Arc::new(hris_sync_core::MemoryReportStore::new());
    let engine = |hr: Arc<Gated>| {
        SyncEngine::builder()
            .with_hr(hr)
            .with_attendance(Arc::new(attendance.clone()))
            .with_store(store.clone())
            .with_clock(Arc::new(FixedClock::at_japan_time(2025, 6, 2, 10, 30)))
            .build()
            .unwrap()
    };
    let (first, second) = (engine(gated.clone()), engine(gated.clone()));
    let (id, request, applying) = apply_held_in_its_target_read(&first, &gated).await;
    let refused = second.apply(id, request, &admin()).await.unwrap_err();
    assert!(
        matches!(
            refused,
            SyncError::WrongStatus {
                status: RunStatus::Syncing,
                ..
            }
        ),
        "{refused}"
    );
    let refused = second.resume(id, &admin(), None).await.unwrap_err();
    assert!(
        matches!(refused, SyncError::WrongStatus { .. }),
        "{refused}"
    );

    gated.gate.add_permits(1);
    let report = applying.await.unwrap().unwrap();
    assert_eq!(report.summary.status, RunStatus::Completed);
    assert_eq!(hr.records().len(), 1, "created once");
}

/// Fetches an import of employee "1" (the HR side, gated, is the target), then starts its
/// apply in a task and returns once the run is Syncing: the apply is then held in its fresh
/// read of the target until the test adds a permit to the gate.
async fn apply_held_in_its_target_read(
    engine: &SyncEngine,
    gated: &Gated,
) -> (
    ReportId,
    ApplyRequest,
    tokio::task::JoinHandle<Result<SyncReport, SyncError>>,
) {
    gated.gate.add_permits(1); // the plan's read of the target
    let id = engine
        .fetch(Direction::Import, d(2025, 6, 1), &admin())
        .await
        .unwrap()
        .summary
        .id;
    let request = ApplyRequest::new(Selection::codes(["1"]))
        .with_placement(Placement::new().with(MasterKind::Office, "HQ"));
    let applying = tokio::spawn({
        let (engine, request) = (engine.clone(), request.clone());
        async move { engine.apply(id, request, &admin()).await }
    });
    while engine.report(id).await.unwrap().summary.status != RunStatus::Syncing {
        tokio::task::yield_now().await;
    }
    (id, request, applying)
}

/// A run whose fetching process died would stay Fetching for ever: the operator declares it
/// abandoned and it ends Failed. A fetch running in this engine cannot be declared so.
#[tokio::test]
async fn r4_a_fetch_whose_process_died_is_declared_abandoned_and_ends_failed() {
    let hr = InMemorySystem::hr("HR (memory)").with_master(MasterKind::Office, "HQ", "本社");
    hr.insert(person("1", "山田"), Placement::new());
    let gated = Arc::new(Gated::new(hr));
    let store: Arc<dyn ReportStore> = Arc::new(hris_sync_core::MemoryReportStore::new());
    let engine = || {
        SyncEngine::builder()
            .with_hr(gated.clone())
            .with_attendance(Arc::new(attendance_system()))
            .with_store(store.clone())
            .with_clock(Arc::new(FixedClock::at_japan_time(2025, 6, 2, 10, 30)))
            .build()
            .unwrap()
    };
    // The first "process" starts a fetch that never gets its source list.
    let first = engine();
    let id = first
        .start(Direction::Export, d(2025, 6, 1), &admin())
        .await
        .unwrap();
    let refused = first.mark_abandoned(id, &admin()).await.unwrap_err();
    assert!(
        matches!(refused, SyncError::RunInProgress(run) if run == id),
        "{refused}"
    );

    // A second one, sharing the store, is told by the operator that the first is gone.
    let second = engine();
    let marked = second.mark_abandoned(id, &admin()).await.unwrap();
    assert_eq!(marked.status, RunStatus::Failed);
    assert!(marked.failure.unwrap().contains("fetching"));
    assert_eq!(
        second.report(id).await.unwrap().summary.status,
        RunStatus::Failed
    );
    let again = second.mark_abandoned(id, &admin()).await.unwrap_err();
    assert!(
        matches!(
            again,
            SyncError::WrongStatus {
                status: RunStatus::Failed,
                ..
            }
        ),
        "{again}"
    );
    gated.gate.add_permits(2);
}
