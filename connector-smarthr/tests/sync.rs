//! SmartHR as the HR side of whole runs (the core engine, an in-memory attendance system,
//! the SmartHR emulator): refused blanks are warnings at classification, never a failed
//! write; an import creates crews in the chosen office and converges.

use std::sync::Arc;

use chrono::NaiveDate;
use connector_smarthr::emulator::{Endpoint, SmartHrEmulator};
use hris_sync_core::{
    Actor, ApplyRequest, ChangeKind, Direction, Employee, Field, FixedClock, Gender,
    InMemorySystem, InvalidReason, MasterKind, Placement, RunStatus, Selection, SyncEngine,
};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_leaves_refused_blanks_out_and_converges() {
    let emulator = SmartHrEmulator::builder().start().await;
    emulator.add_office("hq", "本社");
    let crew = Employee::new("1")
        .with_name("山田", "太郎")
        .with_kana("ヤマダ", "タロウ")
        .with_gender(Gender::Male)
        .with_hire_date(d(2020, 4, 1))
        .with_email("old@example.com");
    emulator.insert_employee(&crew, Some("hq"));
    // One 社員番号 held twice in SmartHR.
    emulator.insert_employee(&Employee::new("3").with_name("重複", "一"), Some("hq"));
    emulator.insert_employee(&Employee::new("3").with_name("重複", "二"), Some("hq"));

    let attendance = InMemorySystem::attendance("Attendance (memory)")
        .with_master(MasterKind::Division, "1000", "本社")
        .with_master(MasterKind::EmploymentType, "1", "正社員");
    // The attendance side has no kana and a new email for 1; 2 is new; 3 exists twice.
    let mut kanaless = crew.clone().with_email("new@example.com");
    kanaless.last_name_kana = None;
    kanaless.first_name_kana = None;
    let placed = Placement::new()
        .with(MasterKind::Division, "1000")
        .with(MasterKind::EmploymentType, "1");
    attendance.insert(kanaless, placed.clone());
    attendance.insert(
        Employee::new("2")
            .with_name("新規", "花子")
            .with_gender(Gender::Female)
            .with_hire_date(d(2024, 4, 1)),
        placed.clone(),
    );
    attendance.insert(
        Employee::new("3")
            .with_name("重複", "一")
            .with_gender(Gender::Male),
        placed,
    );

    let clock = Arc::new(FixedClock::at_japan_time(2025, 6, 2, 10, 30));
    let client = Arc::new(
        emulator
            .client_builder()
            .with_clock(clock.clone())
            .build()
            .unwrap(),
    );
    let engine = SyncEngine::builder()
        .with_hr(client)
        .with_attendance(Arc::new(attendance))
        .with_clock(clock)
        .build()
        .unwrap();
    let admin = Actor::administrator("admin");
    let base = d(2025, 6, 2);

    let id = engine.start(Direction::Import, base, &admin).await.unwrap();
    let report = engine.wait_until_fetched(id).await.unwrap();
    let entry = |code: &str| {
        report
            .entries
            .iter()
            .find(|e| e.code.as_str() == code)
            .unwrap()
            .clone()
    };
    let one = entry("1");
    assert_eq!(one.kind, ChangeKind::Changed);
    let fields: Vec<Field> = one.differences.iter().map(|d| d.field).collect();
    assert_eq!(fields, [Field::Email], "the kana clears are left out");
    let warned: Vec<Field> = one.warnings.iter().map(|w| w.field).collect();
    assert!(
        warned.contains(&Field::LastNameKana) && warned.contains(&Field::FirstNameKana),
        "{warned:?}"
    );
    assert_eq!(entry("2").kind, ChangeKind::New);
    assert!(matches!(
        entry("3").invalid_reason,
        Some(InvalidReason::DuplicateInTarget { count: 2 })
    ));

    emulator.reset_requests();
    let request = ApplyRequest::new(Selection::codes(["1", "2"]))
        .with_placement(Placement::new().with(MasterKind::Office, "hq"));
    let applied = engine.apply(id, request, &admin).await.unwrap();
    assert_eq!(applied.summary.status, RunStatus::Completed);
    let patches: Vec<_> = emulator
        .requests()
        .into_iter()
        .filter(|r| r.endpoint == Endpoint::UpdateCrew)
        .collect();
    assert_eq!(patches.len(), 1);
    assert_eq!(
        patches[0].body,
        Some(serde_json::json!({"email": "new@example.com"}))
    );
    assert_eq!(emulator.request_count(Endpoint::CreateCrew), 1);
    let created = &emulator.crews_with_code("2")[0];
    assert_eq!(created.text("biz_establishment_id"), Some("hq"));
    assert_eq!(created.text("last_name_yomi"), None);

    // Nothing is left to sync; the kana are still there.
    let again = engine.start(Direction::Import, base, &admin).await.unwrap();
    let report = engine.wait_until_fetched(again).await.unwrap();
    let counts = report.summary.counts;
    assert_eq!((counts.new, counts.changed), (0, 0), "{counts:?}");
    assert_eq!(
        emulator.crews_with_code("1")[0].text("last_name_yomi"),
        Some("ヤマダ")
    );
}
