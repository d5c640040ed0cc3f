//! Issue 10 item 3, end to end through the engine: clearing the email of a KOT record that
//! holds spare addresses is never sent (KOT would promote a spare into the email's place);
//! the entry says why, the rest of the update still goes out, and a run right after lists
//! nothing again — the state converges instead of flapping.

#![cfg(feature = "emulator")]

mod common;

use std::sync::Arc;

use chrono::NaiveDate;
use connector_kingoftime::emulator::{EmulatedEmployee, Endpoint};
use hris_sync_core::{
    Actor, ApplyRequest, ChangeKind, Direction, Employee, Field, Gender, InMemorySystem, Outcome,
    Placement, Selection, SyncEngine,
};

fn person(code: &str, last: &str, email: Option<&str>) -> Employee {
    let employee = Employee::new(code)
        .with_name(last, "太郎")
        .with_kana("ヤマダ", "タロウ")
        .with_gender(Gender::Male)
        .with_hire_date(NaiveDate::from_ymd_opt(2020, 4, 1).unwrap());
    match email {
        Some(email) => employee.with_email(email),
        None => employee,
    }
}

#[tokio::test]
async fn r8_an_email_clear_that_would_promote_a_spare_is_left_out_and_converges() {
    let (emulator, clock) = common::emulator_at_noon().await;
    // 34: only the email differs (HR has none). 35: the email and the last name differ.
    // 36: a single address, which can be cleared.
    for (code, addresses) in [
        ("34", vec!["new34@example.jp", "mobile34@example.jp"]),
        ("35", vec!["new35@example.jp", "mobile35@example.jp"]),
        ("36", vec!["only36@example.jp"]),
    ] {
        let mut seeded = EmulatedEmployee::from_employee(&person(code, "山田", None), "1000", "1");
        seeded.email_addresses = addresses.into_iter().map(str::to_owned).collect();
        emulator.insert(seeded);
    }
    let hr = InMemorySystem::hr("HR (memory)");
    hr.insert(person("34", "山田", None), Placement::new());
    hr.insert(person("35", "佐藤", None), Placement::new());
    hr.insert(person("36", "山田", None), Placement::new());
    let kot = emulator
        .client_builder()
        .with_retry_policy(common::fast_retries())
        .with_clock(clock.clone())
        .build()
        .unwrap();
    let engine = SyncEngine::builder()
        .with_hr(Arc::new(hr))
        .with_attendance(Arc::new(kot))
        .with_clock(clock)
        .build()
        .unwrap();
    let admin = Actor::administrator("admin-1");
    let base = NaiveDate::from_ymd_opt(2024, 4, 1).unwrap();

    let plan = engine.fetch(Direction::Export, base, &admin).await.unwrap();
    let entry = |code: &str| plan.entry(&code.into()).unwrap().clone();
    let only_email = entry("34");
    assert_eq!(only_email.kind, ChangeKind::Unchanged, "{only_email:?}");
    assert!(
        only_email
            .warnings
            .iter()
            .any(|w| w.field == Field::Email && w.message.contains("not cleared")),
        "{only_email:?}"
    );
    let name_too = entry("35");
    assert_eq!(name_too.kind, ChangeKind::Changed);
    assert_eq!(
        name_too
            .differences
            .iter()
            .map(|d| d.field)
            .collect::<Vec<_>>(),
        [Field::LastName]
    );
    assert_eq!(
        entry("36").kind,
        ChangeKind::Changed,
        "one address is cleared"
    );

    let applied = engine
        .apply(
            plan.summary.id,
            ApplyRequest::new(Selection::new_and_changed()),
            &admin,
        )
        .await
        .unwrap();
    let outcome = |code: &str| applied.entry(&code.into()).unwrap().outcome.clone();
    assert_eq!(
        outcome("35"),
        Some(Outcome::Updated {
            fields: vec![Field::LastName]
        })
    );
    assert_eq!(
        outcome("36"),
        Some(Outcome::Updated {
            fields: vec![Field::Email]
        })
    );
    assert_eq!(
        emulator.employees_with_code("35")[0].email_addresses,
        ["new35@example.jp", "mobile35@example.jp"],
        "the spare address is never promoted"
    );
    assert_eq!(
        emulator.employees_with_code("34")[0].email_addresses,
        ["new34@example.jp", "mobile34@example.jp"]
    );
    assert!(emulator.employees_with_code("36")[0]
        .email_addresses
        .is_empty());
    assert_eq!(emulator.request_count(Endpoint::UpdateEmployee), 2);

    // A run right after finds nothing to send.
    let again = engine.fetch(Direction::Export, base, &admin).await.unwrap();
    assert_eq!(
        (again.summary.counts.new, again.summary.counts.changed),
        (0, 0),
        "{again}"
    );
}
