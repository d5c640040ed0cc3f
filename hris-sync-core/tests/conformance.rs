//! The conformance suite on the reference implementations (SPEC R16).
#![cfg(feature = "conformance")]

use chrono::NaiveDate;
use hris_sync_core::conformance::{self, ConformanceContext};
use hris_sync_core::{
    AttendanceConnector, ConnectorError, Employee, EmployeeCode, EmployeeRecord, EmployeeSystem,
    EmployeeUpdate, Field, InMemorySystem, ListOptions, MasterEntry, MasterKind, Placement,
    RecordId, SystemInfo,
};

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 4, 1).unwrap()
}

#[tokio::test]
async fn r16_in_memory_attendance_connector_keeps_the_contract() {
    let system = InMemorySystem::attendance("Attendance (memory)")
        .with_master(MasterKind::Division, "1000", "本社")
        .with_master(MasterKind::EmploymentType, "1", "正社員");
    conformance::attendance_connector(&system, &ConformanceContext::new(today())).await;
}

#[tokio::test]
async fn r16_in_memory_hr_system_keeps_the_contract() {
    let system = InMemorySystem::hr("HR (memory)").with_master(MasterKind::Office, "HQ", "本社");
    conformance::hr_system(&system, &ConformanceContext::new(today())).await;
}

#[tokio::test]
#[should_panic(expected = "contract 1: an AttendanceConnector declares side Attendance")]
async fn r16_the_suite_catches_a_system_on_the_wrong_side() {
    let system = InMemorySystem::hr("HR (memory)").with_master(MasterKind::Office, "HQ", "本社");
    conformance::attendance_connector(&system, &ConformanceContext::new(today())).await;
}

/// How a [`Broken`] system breaks the contract.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Breakage {
    /// Point 6: its update also clears the birth date and ignores the email.
    UpdateTouchesMore,
    /// Point 4: get finds a record by code prefix.
    GetByPrefix,
    /// Point 5: a create without a placement value succeeds anyway.
    CreateWithoutPlacement,
    /// Point 8: refusals are classified as transient failures (retryable).
    RetryableRefusals,
}

/// An attendance system that keeps the contract except for one [`Breakage`]: proof that
/// each check of the suite can fail.
#[derive(Debug)]
struct Broken(InMemorySystem, Breakage);

fn refusal_as_retryable(error: ConnectorError) -> ConnectorError {
    match error {
        ConnectorError::InvalidInput { message, .. } => ConnectorError::Unavailable {
            message,
            retry_after: None,
            source: None,
        },
        other => other,
    }
}

#[async_trait::async_trait]
impl EmployeeSystem for Broken {
    fn info(&self) -> &SystemInfo {
        self.0.info()
    }
    async fn test_connection(&self) -> Result<(), ConnectorError> {
        self.0.test_connection().await
    }
    async fn list_employees(
        &self,
        options: &ListOptions,
    ) -> Result<Vec<EmployeeRecord>, ConnectorError> {
        self.0.list_employees(options).await
    }
    async fn get_employee(
        &self,
        code: &EmployeeCode,
    ) -> Result<Option<EmployeeRecord>, ConnectorError> {
        if self.1 != Breakage::GetByPrefix {
            return self.0.get_employee(code).await;
        }
        let all = self.0.list_employees(&ListOptions::all_records()).await?;
        Ok(all
            .into_iter()
            .find(|record| record.employee.code.as_str().starts_with(code.as_str())))
    }
    async fn create_employee(
        &self,
        employee: &Employee,
        placement: &Placement,
    ) -> Result<EmployeeRecord, ConnectorError> {
        match self.1 {
            Breakage::CreateWithoutPlacement => {
                let mut filled = placement.clone();
                for kind in self.info().placement_kinds.clone() {
                    if placement.get(kind).is_none() {
                        let first = self.0.list_masters(kind).await?.remove(0);
                        filled = filled.with(kind, first.code);
                    }
                }
                self.0.create_employee(employee, &filled).await
            }
            Breakage::RetryableRefusals => self
                .0
                .create_employee(employee, placement)
                .await
                .map_err(refusal_as_retryable),
            _ => self.0.create_employee(employee, placement).await,
        }
    }
    async fn update_employee(
        &self,
        id: &RecordId,
        update: &EmployeeUpdate,
    ) -> Result<(), ConnectorError> {
        if self.1 != Breakage::UpdateTouchesMore {
            return self.0.update_employee(id, update).await;
        }
        let mut sloppy = update.clone();
        sloppy.changes.retain(|(field, _)| *field != Field::Email);
        sloppy.changes.push((Field::BirthDate, None));
        self.0.update_employee(id, &sloppy).await
    }
    async fn list_masters(&self, kind: MasterKind) -> Result<Vec<MasterEntry>, ConnectorError> {
        self.0.list_masters(kind).await
    }
}

impl AttendanceConnector for Broken {}

async fn run_on_broken(breakage: Breakage) {
    let system = Broken(
        InMemorySystem::attendance("Broken")
            .with_master(MasterKind::Division, "1000", "本社")
            .with_master(MasterKind::EmploymentType, "1", "正社員"),
        breakage,
    );
    conformance::attendance_connector(&system, &ConformanceContext::new(today())).await;
}

#[tokio::test]
#[should_panic(expected = "contract 6: update changes exactly the given fields")]
async fn r16_the_suite_catches_an_update_that_changes_other_fields() {
    run_on_broken(Breakage::UpdateTouchesMore).await;
}

#[tokio::test]
#[should_panic(expected = "contract 4: get_employee finds a record by its exact code only")]
async fn r16_the_suite_catches_a_get_by_prefix() {
    run_on_broken(Breakage::GetByPrefix).await;
}

#[tokio::test]
#[should_panic(expected = "contract 5: a create without a division must be InvalidInput")]
async fn r16_the_suite_catches_a_create_without_placement() {
    run_on_broken(Breakage::CreateWithoutPlacement).await;
}

#[tokio::test]
#[should_panic(expected = "contract 5: a create without required gender must be InvalidInput")]
async fn r16_the_suite_catches_a_refusal_misclassified_as_unavailable() {
    run_on_broken(Breakage::RetryableRefusals).await;
}
