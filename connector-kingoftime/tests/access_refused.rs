//! Access refused for the caller's address or the token's rights: KING OF TIME's 403 with
//! code 105 (reported from the field for an address not on the IP allow-list) and 403 with
//! code 100. Both are permission errors that are never retried, and their message tells the
//! administrator where to look; through the engine, a fetch refused so fails with that
//! message on the report.
#![cfg(feature = "emulator")]

mod common;

use std::sync::Arc;

use connector_kingoftime::emulator::{Endpoint, Fault, FaultKind, KotEmulator};
use connector_kingoftime::KotClient;
use hris_sync_core::{
    Actor, Clock, ConnectorError, Direction, Employee, EmployeeSystem, EmployeeUpdate, Field,
    Gender, InMemorySystem, ListOptions, RunStatus, SyncEngine,
};

use common::{emulator_at_noon, fast_retries};

fn client(emulator: &KotEmulator) -> KotClient {
    emulator
        .client_builder()
        .with_retry_policy(fast_retries())
        .build()
        .unwrap()
}

/// The parts of the message the administrator acts on.
fn assert_tells_where_to_look(error: &ConnectorError) {
    assert!(
        matches!(error, ConnectorError::PermissionDenied { .. }),
        "{error:?}"
    );
    assert!(!error.is_retryable());
    assert!(!error.may_have_been_applied());
    let text = error.to_string();
    for part in [
        "API token's permissions",
        "IP allow-list",
        "KING OF TIME's settings",
    ] {
        assert!(text.contains(part), "{part:?} missing from: {text}");
    }
}

#[tokio::test]
async fn code_105_is_a_permission_error_naming_the_allow_list() {
    let (emulator, _) = emulator_at_noon().await;
    emulator.inject(Fault::new(FaultKind::AddressNotAllowed).on(Endpoint::ListEmployees));
    let error = client(&emulator)
        .list_employees(&ListOptions::all_records())
        .await
        .unwrap_err();
    assert_tells_where_to_look(&error);
    assert!(
        error
            .to_string()
            .contains("address that is not on the IP allow-list"),
        "{error}"
    );
    assert!(error.to_string().contains("code 105"), "{error}");
    assert_eq!(
        emulator.request_count(Endpoint::ListEmployees),
        1,
        "not retried"
    );
}

#[tokio::test]
async fn code_100_is_a_permission_error_and_nothing_is_written() {
    let (emulator, _) = emulator_at_noon().await;
    let taro = Employee::new("1000")
        .with_name("勤怠", "太郎")
        .with_gender(Gender::Male);
    let id = emulator.add_employee(&taro, "1000", "1");
    emulator.inject(Fault::new(FaultKind::TokenWithoutRight).on(Endpoint::UpdateEmployee));
    let renamed = taro.clone().with_name("勤怠", "次郎");
    let error = client(&emulator)
        .update_employee(
            &id,
            &EmployeeUpdate::from_fields(&renamed, [Field::FirstName]),
        )
        .await
        .unwrap_err();
    assert_tells_where_to_look(&error);
    assert!(error.to_string().contains("code 100"), "{error}");
    assert_eq!(emulator.request_count(Endpoint::UpdateEmployee), 1);
    assert_eq!(
        emulator.employees_with_code("1000")[0]
            .to_employee()
            .first_name
            .as_deref(),
        Some("太郎")
    );
}

#[tokio::test]
async fn a_fetch_refused_by_address_fails_the_run_with_the_advice() {
    let (emulator, clock) = emulator_at_noon().await;
    emulator.inject(Fault::new(FaultKind::AddressNotAllowed).on(Endpoint::ListEmployees));
    let engine = SyncEngine::builder()
        .with_hr(Arc::new(InMemorySystem::hr("HR")))
        .with_attendance(Arc::new(client(&emulator)))
        .with_clock(clock.clone())
        .build()
        .unwrap();
    let report = engine
        .fetch(
            Direction::Export,
            clock.today_in_japan(),
            &Actor::administrator("admin"),
        )
        .await
        .unwrap();
    assert_eq!(report.summary.status, RunStatus::Failed);
    let failure = report.summary.failure.unwrap_or_default();
    assert!(failure.contains("IP allow-list"), "{failure}");
}
