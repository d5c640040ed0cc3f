//! SPEC S2: for each fault class, an export of 200 employees into the emulator ends with
//! exactly one target record per selected code and an outcome for every selected employee;
//! a restricted-hours window starting mid-apply leaves the rest Pending and a resume after
//! the window completes them.
#![cfg(feature = "emulator")]

mod common;

use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use connector_kingoftime::emulator::{Endpoint, Fault, FaultKind, KotEmulator};
use hris_sync_core::retry::RetryPolicy;
use hris_sync_core::{
    Actor, ApplyRequest, Clock, Direction, Employee, FixedClock, Gender, InMemorySystem, Outcome,
    Placement, RunStatus, Selection, SyncEngine, SyncOptions, SyncReport,
};

const EMPLOYEES: usize = 200;
/// Employees 0..EXISTING are in the target already, with another last name (Changed).
const EXISTING: usize = 40;

fn employee(n: usize) -> Employee {
    Employee::new(format!("E{n:04}"))
        .with_name("山田", format!("社員{n}"))
        .with_gender(if n.is_multiple_of(2) {
            Gender::Male
        } else {
            Gender::Female
        })
        .with_hire_date(NaiveDate::from_ymd_opt(2020, 4, 1).unwrap())
}

struct Run {
    emulator: KotEmulator,
    clock: Arc<FixedClock>,
    engine: SyncEngine,
    actor: Actor,
}

async fn setup() -> Run {
    let (emulator, clock) = common::emulator_at_noon().await;
    let hr = InMemorySystem::hr("HR (memory)");
    for n in 0..EMPLOYEES {
        hr.insert(employee(n), Placement::new());
        if n < EXISTING {
            let stale = employee(n).with_name("旧姓", format!("社員{n}"));
            emulator.add_employee(&stale, "1000", "1");
        }
    }
    let client = emulator
        .client_builder()
        .with_retry_policy(
            RetryPolicy::default()
                .with_initial_backoff(Duration::from_millis(1))
                .with_max_backoff(Duration::from_millis(4))
                // More retries than any test injects faults: rate limits never exhaust them.
                .with_max_retries(16)
                .with_max_retry_after(Duration::from_millis(5)),
        )
        .with_request_timeout(Duration::from_millis(150))
        .build()
        .unwrap();
    let engine = SyncEngine::builder()
        .with_hr(Arc::new(hr))
        .with_attendance(Arc::new(client))
        .with_clock(clock.clone())
        // More create attempts than any test injects faults: a create whose answer was lost
        // is re-read and re-sent until it lands, so every selected code ends with one record.
        .with_options(SyncOptions::default().with_create_attempts(16))
        .build()
        .unwrap();
    Run {
        emulator,
        clock,
        engine,
        actor: Actor::administrator("admin"),
    }
}

fn request() -> ApplyRequest {
    ApplyRequest::new(Selection::new_and_changed()).with_placement(common::placement())
}

impl Run {
    async fn fetch(&self) -> SyncReport {
        let today = self.clock.today_in_japan();
        let report = self
            .engine
            .fetch(Direction::Export, today, &self.actor)
            .await
            .unwrap();
        assert_eq!(report.summary.status, RunStatus::AwaitingSync);
        report
    }

    /// Exactly one target record per code, and a final outcome for every employee.
    fn assert_exactly_once(&self, report: &SyncReport) {
        assert_eq!(
            report.summary.status,
            RunStatus::Completed,
            "{:?}",
            report.summary.failure
        );
        for n in 0..EMPLOYEES {
            let code = format!("E{n:04}");
            assert_eq!(
                self.emulator.employees_with_code(&code).len(),
                1,
                "one record for {code}"
            );
        }
        assert_eq!(self.emulator.employees().len(), EMPLOYEES);
        let selected: Vec<_> = report
            .entries
            .iter()
            .filter(|e| e.outcome.is_some())
            .collect();
        assert_eq!(selected.len(), EMPLOYEES, "every employee was selected");
        for entry in selected {
            let outcome = entry.outcome.as_ref().unwrap();
            assert!(outcome.is_final(), "{}: {outcome:?}", entry.code);
        }
    }
}

async fn run_with(fault: Fault) -> (Run, SyncReport) {
    let run = setup().await;
    let report = run.fetch().await;
    run.emulator.inject(fault);
    let report = run
        .engine
        .apply(report.summary.id, request(), &run.actor)
        .await
        .unwrap();
    run.assert_exactly_once(&report);
    (run, report)
}

#[tokio::test]
async fn s2_rate_limiting() {
    let (run, _) = run_with(Fault::new(FaultKind::RateLimited).times(12)).await;
    // The 12 refused attempts were retried.
    let writes = run.emulator.request_count(Endpoint::CreateEmployee)
        + run.emulator.request_count(Endpoint::UpdateEmployee);
    assert!(writes >= EMPLOYEES, "{writes}");
}

#[tokio::test]
async fn s2_server_errors() {
    let (_, report) = run_with(
        Fault::new(FaultKind::Status(503))
            .times(10)
            .on(Endpoint::CreateEmployee),
    )
    .await;
    assert!(
        report.summary.status.is_final(),
        "{:?}",
        report.summary.status
    );
}

#[tokio::test]
async fn s2_server_errors_on_updates() {
    let (_, report) = run_with(
        Fault::new(FaultKind::Status(500))
            .times(6)
            .on(Endpoint::UpdateEmployee),
    )
    .await;
    // Updates are idempotent and retried: all of them land.
    assert_eq!(report.summary.status, RunStatus::Completed);
}

#[tokio::test]
async fn s2_timeouts_after_the_write() {
    let hang = FaultKind::Hang(Duration::from_millis(400));
    run_with(Fault::new(hang).times(4).on(Endpoint::CreateEmployee)).await;
}

#[tokio::test]
async fn s2_dropped_connections_after_the_write() {
    let drop = Fault::new(FaultKind::DropAfterApply)
        .times(10)
        .on(Endpoint::CreateEmployee);
    let (run, _) = run_with(drop).await;
    // Each lost create was re-read, found, and not sent again.
    assert_eq!(
        run.emulator.request_count(Endpoint::CreateEmployee),
        EMPLOYEES - EXISTING
    );
}

#[tokio::test]
async fn s2_malformed_json() {
    let (run, _) = run_with(
        Fault::new(FaultKind::MalformedJson)
            .times(10)
            .on(Endpoint::CreateEmployee),
    )
    .await;
    assert_eq!(
        run.emulator.request_count(Endpoint::CreateEmployee),
        EMPLOYEES - EXISTING
    );
}

#[tokio::test]
async fn s2_a_window_starting_mid_apply_then_resume() {
    let run = setup().await;
    let report = run.fetch().await;
    // The window starts as the writes begin: the vendor answers 104 to every create.
    run.emulator.inject(
        Fault::new(FaultKind::RestrictedHours)
            .times(usize::MAX)
            .on(Endpoint::CreateEmployee),
    );
    let report = run
        .engine
        .apply(report.summary.id, request(), &run.actor)
        .await
        .unwrap();
    assert_eq!(report.summary.status, RunStatus::Interrupted);
    let pending = report
        .entries
        .iter()
        .filter(|e| matches!(e.outcome, Some(Outcome::Pending)))
        .count();
    assert!(pending > 0, "the rest stays Pending");

    // After the window: resume processes only the Pending employees.
    run.emulator.clear_faults();
    let resumed = run
        .engine
        .resume(report.summary.id, &run.actor, None)
        .await
        .unwrap();
    assert_eq!(resumed.summary.status, RunStatus::Completed);
    run.assert_exactly_once(&resumed);
}
