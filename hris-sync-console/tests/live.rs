//! A report page while its run syncs: the outcome rows recorded so far, and the status
//! endpoint the page polls, which reads the run's header only, also for a run that another
//! process (another engine sharing the store) applies.

mod common;

use std::sync::Arc;

use async_trait::async_trait;
use common::*;
use hris_sync_core::{
    Actor, ApplyRequest, AttendanceConnector, ConnectorError, Employee, EmployeeCode,
    EmployeeRecord, EmployeeSystem, EmployeeUpdate, Gender, HrSystem, InMemorySystem, ListOptions,
    MasterEntry, MasterKind, MemoryReportStore, Placement, RecordId, ReportId, ReportStore,
    RunStatus, Selection, SyncEngine, SystemInfo,
};
use tokio::sync::Semaphore;

/// An attendance system whose creates wait for a permit: the test decides how far an apply
/// gets.
#[derive(Debug)]
struct Gated {
    inner: InMemorySystem,
    permits: Arc<Semaphore>,
}

impl AttendanceConnector for Gated {}

#[async_trait]
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
        self.permits
            .acquire()
            .await
            .expect("the gate stays open")
            .forget();
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

/// Two engines over the same systems and the same report store: the console's, and
/// "another process" whose creates pass one at a time through `permits`.
fn two_engines(permits: Arc<Semaphore>) -> (SyncEngine, SyncEngine) {
    let hr = InMemorySystem::hr("HR").with_master(MasterKind::Office, "HQ", "本社");
    for n in 1..=3 {
        hr.insert(
            Employee::new(format!("{n:05}"))
                .with_name("山田", format!("太郎{n}"))
                .with_gender(Gender::Male),
            Placement::new().with(MasterKind::Office, "HQ"),
        );
    }
    let attendance = InMemorySystem::attendance("KOT")
        .with_master(MasterKind::Division, "1000", "本社")
        .with_master(MasterKind::EmploymentType, "1", "正社員");
    let store: Arc<dyn ReportStore> = Arc::new(MemoryReportStore::new());
    let hr: Arc<dyn HrSystem> = Arc::new(hr);
    let console = SyncEngine::builder()
        .with_hr(Arc::clone(&hr))
        .with_attendance(Arc::new(attendance.clone()))
        .with_store(Arc::clone(&store))
        .with_clock(noon())
        .build()
        .unwrap();
    let other = SyncEngine::builder()
        .with_hr(hr)
        .with_attendance(Arc::new(Gated {
            inner: attendance,
            permits,
        }))
        .with_store(store)
        .with_clock(noon())
        .build()
        .unwrap();
    (console, other)
}

async fn status_json(router: &axum::Router, id: ReportId) -> serde_json::Value {
    let answer = get(
        router,
        &format!("/c/kot/reports/{id}/status"),
        Some("admin"),
    )
    .await;
    serde_json::from_str(&answer.body).unwrap()
}

#[tokio::test]
async fn a_run_another_process_applies_shows_its_recorded_rows_and_polls_the_header_only() {
    let permits = Arc::new(Semaphore::new(1));
    let (console, other) = two_engines(Arc::clone(&permits));
    let router = router(&console);
    let token = admin_token(&router).await;
    let id = fetched_export(&router, &console, &token).await;
    let placement = Placement::new()
        .with(MasterKind::Division, "1000")
        .with(MasterKind::EmploymentType, "1");
    let request =
        ApplyRequest::new(Selection::codes(["00001", "00002", "00003"])).with_placement(placement);
    let handle = other
        .begin_apply(id, request, &Actor::administrator("batch"))
        .await
        .unwrap();
    // The first create passes the gate and is recorded; the others wait.
    while console.report(id).await.unwrap().outcome_counts().created < 1 {
        tokio::task::yield_now().await;
    }

    // The poll: the header's status and the lease's renewal; no count it would have to
    // read the whole report for.
    let json = status_json(&router, id).await;
    assert_eq!(json["status"], "syncing");
    assert!(json["progress"].is_null(), "{json}");
    let renewed = json["renewed"].as_str().unwrap().to_owned();
    assert!(!renewed.is_empty());

    // The page: what the store holds, and what the script compares the poll with.
    let page = get(&router, &format!("/c/kot/reports/{id}"), Some("admin")).await;
    assert!(page.body.contains("data-done=\"1\""), "{}", page.body);
    assert!(page.body.contains(&format!("data-renewed=\"{}\"", renewed)));
    assert!(page.body.contains("data-reload-ms=\"6000\""));
    assert!(page.body.contains("<p id=\"progress-text\">1 / 3</p>"));
    assert_eq!(page.body.matches("data-outcome=\"created\"").count(), 1);
    assert_eq!(page.body.matches("data-outcome=\"pending\"").count(), 2);

    permits.add_permits(2);
    let report = handle.wait().await.unwrap();
    assert_eq!(report.summary.status, RunStatus::Completed);
    let json = status_json(&router, id).await;
    assert_eq!(json["status"], "completed");
    assert_eq!(json["renewed"], "");
    let page = get(&router, &format!("/c/kot/reports/{id}"), Some("admin")).await;
    assert_eq!(page.body.matches("data-outcome=\"created\"").count(), 3);
    assert!(
        !page.body.contains("data-status-url"),
        "nothing left to poll"
    );
}

#[tokio::test]
async fn a_run_this_process_applies_reports_its_live_count_to_the_poll() {
    let permits = Arc::new(Semaphore::new(1));
    // Here the console's own engine is the gated one.
    let (_, gated) = two_engines(Arc::clone(&permits));
    let router = router(&gated);
    let token = admin_token(&router).await;
    let id = fetched_export(&router, &gated, &token).await;
    let select = format!("/c/kot/reports/{id}/select");
    post(
        &router,
        &select,
        Some("admin"),
        &token,
        &[("csrf", &token), ("kind", "new"), ("action", "all")],
    )
    .await;
    post(
        &router,
        &format!("/c/kot/reports/{id}/placement"),
        Some("admin"),
        &token,
        &[
            ("csrf", &token),
            ("division", "1000"),
            ("employment_type", "1"),
        ],
    )
    .await;
    let preview = get(
        &router,
        &format!("/c/kot/reports/{id}/preview"),
        Some("admin"),
    )
    .await;
    assert_eq!(preview.body.matches("data-write=\"create\"").count(), 3);
    let version = version_of(&preview.body);
    let applied = post(
        &router,
        &format!("/c/kot/reports/{id}/apply"),
        Some("admin"),
        &token,
        &[("csrf", &token), ("version", &version)],
    )
    .await;
    assert_eq!(applied.status, axum::http::StatusCode::SEE_OTHER);
    let json = loop {
        let json = status_json(&router, id).await;
        if json["progress"]["done"] == 1 {
            break json;
        }
        tokio::task::yield_now().await;
    };
    assert_eq!(json["progress"]["total"], 3);
    // The page was drawn with the same count: the script has nothing to reload for.
    let page = get(&router, &format!("/c/kot/reports/{id}"), Some("admin")).await;
    assert!(page.body.contains("data-done=\"1\""));
    assert_eq!(page.body.matches("data-outcome=\"created\"").count(), 1);
    permits.add_permits(2);
    while gated.summary(id).await.unwrap().status == RunStatus::Syncing {
        tokio::task::yield_now().await;
    }
    assert_eq!(status_json(&router, id).await["status"], "completed");
}
