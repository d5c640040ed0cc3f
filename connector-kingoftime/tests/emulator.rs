//! The emulator behaves as the documented API: raw requests for the wire semantics, the
//! client for the faults, the conformance suite for the contract.
#![cfg(feature = "emulator")]

mod common;

use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use connector_kingoftime::emulator::{EmulatedEmployee, Endpoint, Fault, FaultKind, KotEmulator};
use connector_kingoftime::{KotClient, RateLimit};
use hris_sync_core::conformance::{self, ConformanceContext};
use hris_sync_core::{
    Clock, ConnectorError, Employee, EmployeeSystem, FixedClock, Gender, ListOptions, MasterKind,
    Placement,
};
use serde_json::{json, Value};

use common::{emulator_at_noon as emulator, fast_retries as fast, placement};

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn client(emulator: &KotEmulator) -> KotClient {
    emulator
        .client_builder()
        .with_retry_policy(fast())
        .with_request_timeout(Duration::from_millis(300))
        .build()
        .unwrap()
}

/// A raw GET with the emulator's token; the status and the JSON body.
async fn raw_get(emulator: &KotEmulator, path_and_query: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .get(format!("{}{path_and_query}", emulator.base_url()))
        .bearer_auth(emulator.token())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

fn person(code: &str) -> Employee {
    Employee::new(code)
        .with_name("勤怠", "太郎")
        .with_gender(Gender::Male)
}

#[tokio::test]
async fn list_honours_date_resigners_and_additional_fields() {
    let (emulator, _) = emulator().await;
    emulator.add_employee(&person("1").with_hire_date(day(2020, 1, 1)), "1000", "1");
    emulator.add_employee(&person("2").with_hire_date(day(2024, 5, 1)), "1000", "1");
    emulator.add_employee(
        &person("3").with_resignation_date(day(2024, 3, 31)),
        "1000",
        "1",
    );
    let codes = |body: &Value| -> Vec<String> {
        body.as_array()
            .unwrap()
            .iter()
            .map(|e| e["code"].as_str().unwrap().to_owned())
            .collect()
    };
    let (status, today) = raw_get(&emulator, "/employees").await;
    assert_eq!(status, 200);
    assert_eq!(codes(&today), ["1"], "today, without resigners");
    let (_, with_resigners) = raw_get(&emulator, "/employees?includeResigner=true").await;
    assert_eq!(codes(&with_resigners), ["1", "3"]);
    let (_, later) = raw_get(&emulator, "/employees?date=2024-05-01").await;
    assert_eq!(codes(&later), ["1", "2"]);
    // Additional fields only when asked; null values never.
    assert!(today[0].get("hiredDate").is_none());
    assert!(today[0].get("lastNamePhonetics").is_none());
    let (_, asked) = raw_get(&emulator, "/employees?additionalFields=hiredDate,birthDate").await;
    assert_eq!(asked[0]["hiredDate"], "2020-01-01");
    assert!(asked[0].get("birthDate").is_none(), "null is left out");
    assert_eq!(asked[0]["divisionName"], "本社");
    let (status, _) = raw_get(&emulator, "/employees?date=2021-03-31").await;
    assert_eq!(status, 400, "more than three years back");
    let (status, _) = raw_get(&emulator, "/employees?date=2025-04-02").await;
    assert_eq!(status, 400, "more than one year ahead");
}

#[tokio::test]
async fn a_wrong_token_is_refused_with_code_100() {
    let (emulator, _) = emulator().await;
    let client = emulator
        .client_builder()
        .with_token("wrong")
        .build()
        .unwrap();
    let error = client.list_masters(MasterKind::Division).await.unwrap_err();
    // 403 + code 100 does not say whether the token, its rights or the address is at fault.
    assert!(
        matches!(error, ConnectorError::PermissionDenied { .. }),
        "{error}"
    );
    assert!(error.to_string().contains("IP allow-list"), "{error}");
    assert!(emulator
        .client_builder()
        .build()
        .unwrap()
        .test_connection()
        .await
        .is_ok());
}

#[tokio::test]
async fn creates_are_validated_and_answered_with_the_new_key() {
    let (emulator, _) = emulator().await;
    let client = client(&emulator);
    let record = client
        .create_employee(&person("10").with_email("a@example.jp"), &placement())
        .await
        .unwrap();
    let stored = emulator.employees_with_code("10");
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].key, record.id.as_str());
    assert_eq!(stored[0].division_code, "1000");
    let duplicate = client
        .create_employee(&person("10"), &placement())
        .await
        .unwrap_err();
    assert!(
        matches!(duplicate, ConnectorError::AlreadyExists { .. }),
        "{duplicate}"
    );
    let unknown = Placement::new()
        .with(MasterKind::Division, "9999")
        .with(MasterKind::EmploymentType, "1");
    let error = client
        .create_employee(&person("11"), &unknown)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, ConnectorError::InvalidInput { message, .. } if message.contains("9999")),
        "{error}"
    );
    // A raw create without the required properties lists each of them.
    let response = reqwest::Client::new()
        .post(format!("{}/employees", emulator.base_url()))
        .bearer_auth(emulator.token())
        .json(&json!({"code": "12", "lastName": ""}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["errors"].as_array().unwrap().len(), 5, "{body}");
    assert_eq!(emulator.employees().len(), 1);
}

#[tokio::test]
async fn an_email_update_keeps_the_spare_address_and_empty_values_clear() {
    let (emulator, _) = emulator().await;
    let mut seeded = EmulatedEmployee::from_employee(
        &person("20").with_birth_date(day(1990, 1, 1)),
        "1000",
        "1",
    );
    seeded.email_addresses = vec!["old@example.jp".into(), "spare@example.jp".into()];
    let key = emulator.insert(seeded);
    let update = hris_sync_core::EmployeeUpdate {
        changes: vec![
            (
                hris_sync_core::Field::Email,
                Some(hris_sync_core::FieldValue::Text("new@example.jp".into())),
            ),
            (hris_sync_core::Field::BirthDate, None),
        ],
    };
    client(&emulator)
        .update_employee(&key, &update)
        .await
        .unwrap();
    let stored = &emulator.employees_with_code("20")[0];
    assert_eq!(
        stored.email_addresses,
        ["new@example.jp", "spare@example.jp"]
    );
    assert_eq!(stored.birth_date, None);
    assert_eq!(
        stored.last_name.as_deref(),
        Some("勤怠"),
        "unsent: unchanged"
    );
}

/// Issue 10 item 3, as demo employee 1034 went: [new…, mobile34…] → [mobile34…] → [] over
/// three runs. Clearing the email of [a, b] is refused with nothing sent, as often as it is
/// asked: the record keeps [a, b] and never becomes [b].
#[tokio::test]
async fn clearing_the_email_never_turns_two_addresses_into_the_spare() {
    let (emulator, _) = emulator().await;
    let mut seeded = EmulatedEmployee::from_employee(&person("34"), "1000", "1");
    seeded.email_addresses = vec!["new34@example.jp".into(), "mobile34@example.jp".into()];
    let key = emulator.insert(seeded);
    let client = client(&emulator);
    let clear = hris_sync_core::EmployeeUpdate {
        changes: vec![(hris_sync_core::Field::Email, None)],
    };
    for _run in 0..3 {
        // Each run lists the target first, as the engine does.
        let records = client
            .list_employees(&ListOptions::all_records())
            .await
            .unwrap();
        assert_eq!(
            records[0].employee.email.as_deref(),
            Some("new34@example.jp")
        );
        let error = client.update_employee(&key, &clear).await.unwrap_err();
        assert!(
            matches!(
                error,
                ConnectorError::InvalidInput {
                    field: Some(hris_sync_core::Field::Email),
                    ..
                }
            ),
            "{error}"
        );
        assert_eq!(
            emulator.employees_with_code("34")[0].email_addresses,
            ["new34@example.jp", "mobile34@example.jp"]
        );
    }
    assert_eq!(emulator.request_count(Endpoint::UpdateEmployee), 0);
}

#[tokio::test]
async fn restricted_hours_follow_the_emulator_clock() {
    let (emulator, clock) = emulator().await;
    let client = client(&emulator);
    clock.set(FixedClock::at_japan_time(2024, 4, 1, 17, 45).now());
    let error = client
        .list_employees(&ListOptions::all_records())
        .await
        .unwrap_err();
    let ConnectorError::MaintenanceWindow { ends_at, message } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(
        ends_at
            .map(|end| end.format("%H:%M").to_string())
            .as_deref(),
        Some("18:30")
    );
    assert!(message.contains("17:30〜18:30"), "{message}");
    assert!(message.contains("KING OF TIME"), "{message}");
    // The token check works during the restricted hours.
    client.test_connection().await.unwrap();
    assert_eq!(
        emulator.request_count(Endpoint::ListEmployees),
        1,
        "not retried"
    );
}

#[tokio::test]
async fn the_rate_limit_answers_303_and_the_client_backs_off() {
    let (emulator, _) = emulator().await;
    emulator.set_rate_limit(Some(RateLimit {
        requests: std::num::NonZeroU32::new(2).unwrap(),
        per: Duration::from_secs(60),
    }));
    let client = emulator
        .client_builder()
        .with_retry_policy(fast().with_max_retries(1))
        .build()
        .unwrap();
    client.list_masters(MasterKind::Division).await.unwrap();
    client.list_masters(MasterKind::Division).await.unwrap();
    let error = client.list_masters(MasterKind::Division).await.unwrap_err();
    assert!(
        matches!(error, ConnectorError::RateLimited { .. }),
        "{error}"
    );
    assert_eq!(emulator.request_count(Endpoint::Divisions), 4);
}

#[tokio::test]
async fn faults_hit_the_next_matching_requests() {
    let (emulator, _) = emulator().await;
    let client = client(&emulator);
    emulator.inject(
        Fault::new(FaultKind::Status(503))
            .times(2)
            .on(Endpoint::Divisions),
    );
    client.list_masters(MasterKind::Division).await.unwrap();
    assert_eq!(emulator.request_count(Endpoint::Divisions), 3);

    // A create whose connection drops after the write: applied once, reported as lost.
    emulator.inject(Fault::new(FaultKind::DropAfterApply).on(Endpoint::CreateEmployee));
    let error = client
        .create_employee(&person("30"), &placement())
        .await
        .unwrap_err();
    assert!(error.may_have_been_applied(), "{error:?}");
    assert_eq!(emulator.employees_with_code("30").len(), 1);

    // Malformed JSON after a write: applied, answer unreadable.
    emulator.inject(Fault::new(FaultKind::MalformedJson).on(Endpoint::CreateEmployee));
    let error = client
        .create_employee(&person("31"), &placement())
        .await
        .unwrap_err();
    assert!(matches!(error, ConnectorError::Decode { .. }), "{error:?}");
    assert_eq!(emulator.employees_with_code("31").len(), 1);

    // A hang past the client's timeout: applied, timed out, not re-sent.
    emulator
        .inject(Fault::new(FaultKind::Hang(Duration::from_secs(5))).on(Endpoint::CreateEmployee));
    let error = client
        .create_employee(&person("32"), &placement())
        .await
        .unwrap_err();
    assert!(matches!(error, ConnectorError::Timeout { .. }), "{error:?}");
    assert_eq!(emulator.employees_with_code("32").len(), 1);
    assert_eq!(emulator.request_count(Endpoint::CreateEmployee), 3);
}

#[tokio::test]
async fn concurrency_and_rate_limits_are_observed() {
    let (emulator, _) = emulator().await;
    emulator.set_latency(Duration::from_millis(20));
    let client = Arc::new(
        emulator
            .client_builder()
            .with_max_concurrency(3)
            .build()
            .unwrap(),
    );
    let calls = (0..12).map(|_| {
        let client = Arc::clone(&client);
        tokio::spawn(async move { client.list_masters(MasterKind::EmploymentType).await })
    });
    for call in calls.collect::<Vec<_>>() {
        call.await.unwrap().unwrap();
    }
    assert_eq!(emulator.request_count(Endpoint::WorkingTypes), 12);
    assert!(
        emulator.max_concurrency() <= 3,
        "{}",
        emulator.max_concurrency()
    );
    assert!(emulator.max_concurrency() >= 2, "requests did overlap");

    emulator.reset_stats();
    emulator.set_latency(Duration::ZERO);
    let limited = Arc::new(
        emulator
            .client_builder()
            .with_rate_limit(RateLimit::per_second(100))
            .build()
            .unwrap(),
    );
    let started = std::time::Instant::now();
    for _ in 0..10 {
        limited.list_masters(MasterKind::Division).await.unwrap();
    }
    // 100 per second, evenly spaced: ten requests need at least nine intervals of 10 ms.
    // Only a lower bound is asserted: a slow machine makes the run longer, never shorter.
    assert!(
        started.elapsed() >= Duration::from_millis(90),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(emulator.request_count(Endpoint::Divisions), 10);
}

#[tokio::test]
async fn conformance_suite_passes_against_the_emulator() {
    let (emulator, clock) = emulator().await;

    let context = ConformanceContext::new(clock.today_in_japan()).with_secret(emulator.token());
    conformance::attendance_connector(&client(&emulator), &context).await;
    // Every created record exists exactly once.
    let stored = emulator.employees();
    for employee in &stored {
        assert_eq!(emulator.employees_with_code(&employee.code).len(), 1);
    }
}

#[tokio::test]
async fn king_of_time_passes_the_brand_checks() {
    connector_kingoftime::emulator::check_brand(connector_kingoftime::KingOfTime::builder()).await;
}

/// Issue 10 item 7: the examples save `employees()` and load it into a new emulator. A
/// loaded key must never be generated again, or a new record shares a loaded record's key
/// and an update meant for the new one changes the old one.
#[tokio::test]
async fn loaded_keys_are_never_reused_by_later_creates() {
    let (first, _) = emulator().await;
    let creator = client(&first);
    for code in ["1001", "1002"] {
        creator
            .create_employee(&person(code), &placement())
            .await
            .unwrap();
    }
    let saved = first.employees();
    drop(first);

    let (second, _) = emulator().await;
    let loaded = second.load(saved.clone()).unwrap();
    assert_eq!(loaded.len(), 2);
    let writer = client(&second);
    let new = writer
        .create_employee(&person("1042"), &placement())
        .await
        .unwrap();
    assert!(
        saved.iter().all(|e| e.key != new.id.as_str()),
        "the new record reuses a loaded key: {}",
        new.id
    );
    let rename = hris_sync_core::EmployeeUpdate {
        changes: vec![(
            hris_sync_core::Field::LastName,
            Some(hris_sync_core::FieldValue::Text("新姓".into())),
        )],
    };
    writer.update_employee(&new.id, &rename).await.unwrap();
    assert_eq!(
        second.employees_with_code("1001")[0].last_name.as_deref(),
        Some("勤怠"),
        "the update reached a loaded record"
    );
    assert_eq!(
        second.employees_with_code("1042")[0].last_name.as_deref(),
        Some("新姓")
    );
    // `insert` one by one (what the examples do today) keeps keys apart the same way.
    let (third, _) = emulator().await;
    for employee in saved.clone() {
        third.insert(employee);
    }
    let created = client(&third)
        .create_employee(&person("1043"), &placement())
        .await
        .unwrap();
    assert!(saved.iter().all(|e| e.key != created.id.as_str()));
}

#[tokio::test]
async fn a_duplicate_key_in_loaded_state_is_refused_and_nothing_is_loaded() {
    let (emulator, _) = emulator().await;
    let mut one = EmulatedEmployee::from_employee(&person("1"), "1000", "1");
    one.key = "k-1".into();
    let mut two = EmulatedEmployee::from_employee(&person("2"), "1000", "1");
    two.key = "k-1".into();
    let error = emulator.load([one.clone(), two]).unwrap_err();
    assert_eq!(
        error,
        connector_kingoftime::emulator::EmulatorError::DuplicateKey { key: "k-1".into() }
    );
    assert!(error.to_string().contains("k-1"), "{error}");
    assert!(emulator.employees().is_empty(), "all or nothing");
    // A key already stored is refused too, by `load` and by `try_insert`.
    emulator.load([one.clone()]).unwrap();
    let again = emulator.try_insert(one.clone()).unwrap_err();
    assert!(matches!(
        again,
        connector_kingoftime::emulator::EmulatorError::DuplicateKey { .. }
    ));
    assert!(emulator.load([one]).is_err());
    assert_eq!(emulator.employees().len(), 1);
}
