//! The conformance suite on the reference implementations (SPEC R16).
#![cfg(feature = "conformance")]

use chrono::NaiveDate;
use hris_sync_core::conformance::{self, ConformanceContext};
use hris_sync_core::{InMemorySystem, MasterKind};

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

/// An attendance system that breaks contract point 6: its update also clears the email.
#[derive(Debug)]
struct UpdateTouchesMore(InMemorySystem);

#[async_trait::async_trait]
impl hris_sync_core::EmployeeSystem for UpdateTouchesMore {
    fn info(&self) -> &hris_sync_core::SystemInfo {
        self.0.info()
    }
    async fn test_connection(&self) -> Result<(), hris_sync_core::ConnectorError> {
        self.0.test_connection().await
    }
    async fn list_employees(
        &self,
        options: &hris_sync_core::ListOptions,
    ) -> Result<Vec<hris_sync_core::EmployeeRecord>, hris_sync_core::ConnectorError> {
        self.0.list_employees(options).await
    }
    async fn get_employee(
        &self,
        code: &hris_sync_core::EmployeeCode,
    ) -> Result<Option<hris_sync_core::EmployeeRecord>, hris_sync_core::ConnectorError> {
        self.0.get_employee(code).await
    }
    async fn create_employee(
        &self,
        employee: &hris_sync_core::Employee,
        placement: &hris_sync_core::Placement,
    ) -> Result<hris_sync_core::EmployeeRecord, hris_sync_core::ConnectorError> {
        self.0.create_employee(employee, placement).await
    }
    async fn update_employee(
        &self,
        id: &hris_sync_core::RecordId,
        update: &hris_sync_core::EmployeeUpdate,
    ) -> Result<(), hris_sync_core::ConnectorError> {
        let mut sloppy = update.clone();
        sloppy
            .changes
            .retain(|(field, _)| *field != hris_sync_core::Field::Email);
        sloppy
            .changes
            .push((hris_sync_core::Field::BirthDate, None));
        self.0.update_employee(id, &sloppy).await
    }
    async fn list_masters(
        &self,
        kind: MasterKind,
    ) -> Result<Vec<hris_sync_core::MasterEntry>, hris_sync_core::ConnectorError> {
        self.0.list_masters(kind).await
    }
}

impl hris_sync_core::AttendanceConnector for UpdateTouchesMore {}

#[tokio::test]
#[should_panic(expected = "contract 6: update changes exactly the given fields")]
async fn r16_the_suite_catches_an_update_that_changes_other_fields() {
    let system = UpdateTouchesMore(
        InMemorySystem::attendance("Sloppy")
            .with_master(MasterKind::Division, "1000", "本社")
            .with_master(MasterKind::EmploymentType, "1", "正社員"),
    );
    conformance::attendance_connector(&system, &ConformanceContext::new(today())).await;
}
