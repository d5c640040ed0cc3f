//! An apply's life beyond its caller (SPEC R10, R11, R13, S5): a dropped or timed-out
//! caller, a graceful stop (locally and through a shared store), discarding a run that was
//! never applied, an "already exists" refusal that a read does not confirm, and the
//! backoff between re-sent creates.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use hris_sync_core::in_memory::{Fault, Operation};
use hris_sync_core::retry::RetryPolicy;
use hris_sync_core::store::ReportQuery;
use hris_sync_core::{
    Actor, ApplyRequest, ConnectorError, Direction, Employee, EmployeeCode, EmployeeRecord,
    EmployeeSystem, EmployeeUpdate, FixedClock, Gender, InMemorySystem, ListOptions, MasterEntry,
    MasterKind, MemoryReportStore, Outcome, Placement, RecordId, ReportId, ReportStore, RunStatus,
    Selection, SyncEngine, SyncError, SyncOptions, SystemInfo,
};

const EMPLOYEES: usize = 10;

fn admin() -> Actor {
    Actor::administrator("admin-1")
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn placement() -> Placement {
    Placement::new()
        .with(MasterKind::Division, "1000")
        .with(MasterKind::EmploymentType, "1")
}

/// An attendance system whose creates take `delay` (the work done first, as a slow vendor
/// would), and which can answer every create with "already exists" without creating.
#[derive(Debug)]
struct Slow {
    inner: InMemorySystem,
    delay: Duration,
    refuse_as_existing: AtomicBool,
    creates_started: AtomicUsize,
}

#[async_trait::async_trait]
impl EmployeeSystem for Slow {
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
        self.creates_started.fetch_add(1, Ordering::SeqCst);
        if self.refuse_as_existing.load(Ordering::SeqCst) {
            return Err(ConnectorError::AlreadyExists {
                code: employee.code.clone(),
            });
        }
        let created = self.inner.create_employee(employee, placement).await;
        tokio::time::sleep(self.delay).await;
        created
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

impl hris_sync_core::AttendanceConnector for Slow {}

struct World {
    attendance: Arc<Slow>,
    store: Arc<MemoryReportStore>,
    clock: Arc<FixedClock>,
    hr: InMemorySystem,
}

fn world(delay: Duration) -> World {
    let hr = InMemorySystem::hr("HR (memory)");
    for n in 0..EMPLOYEES {
        hr.insert(
            Employee::new(format!("{}", 100 + n))
                .with_name("山田", format!("太郎{n}"))
                .with_kana("ヤマダ", "タロウ")
                .with_gender(Gender::Male)
                .with_hire_date(d(2020, 4, 1)),
            Placement::new(),
        );
    }
    World {
        attendance: Arc::new(Slow {
            inner: InMemorySystem::attendance("Attendance (memory)")
                .with_master(MasterKind::Division, "1000", "本社")
                .with_master(MasterKind::EmploymentType, "1", "正社員"),
            delay,
            refuse_as_existing: AtomicBool::new(false),
            creates_started: AtomicUsize::new(0),
        }),
        store: Arc::new(MemoryReportStore::new()),
        clock: Arc::new(FixedClock::at_japan_time(2025, 6, 2, 10, 30)),
        hr,
    }
}

fn engine(w: &World, options: SyncOptions) -> SyncEngine {
    SyncEngine::builder()
        .with_hr(Arc::new(w.hr.clone()))
        .with_attendance(w.attendance.clone())
        .with_store(w.store.clone())
        .with_clock(w.clock.clone())
        .with_options(options)
        .build()
        .unwrap()
}

async fn fetched(engine: &SyncEngine) -> ReportId {
    let report = engine
        .fetch(Direction::Export, d(2025, 6, 1), &admin())
        .await
        .unwrap();
    assert_eq!(report.summary.status, RunStatus::AwaitingSync);
    report.summary.id
}

fn all_new() -> ApplyRequest {
    ApplyRequest::new(Selection::new_and_changed()).with_placement(placement())
}

/// Waits (bounded) until the run's status is final.
async fn until_final(engine: &SyncEngine, id: ReportId) -> hris_sync_core::SyncReport {
    for _ in 0..500 {
        let report = engine.report(id).await.unwrap();
        if report.summary.status.is_final() || report.summary.status == RunStatus::Interrupted {
            return report;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the run never ended");
}

/// Issue 10 item 5: a caller that gives up (here `tokio::time::timeout`, as a web handler
/// whose client disconnects) does not stop the apply, strand the run or lose an outcome.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s5_a_timed_out_apply_call_still_completes_and_records_every_outcome() {
    let w = world(Duration::from_millis(40));
    let engine = engine(&w, SyncOptions::default().with_apply_concurrency(2));
    let id = fetched(&engine).await;
    let gave_up = tokio::time::timeout(
        Duration::from_millis(60),
        engine.apply(id, all_new(), &admin()),
    )
    .await;
    assert!(gave_up.is_err(), "the call should time out mid-apply");
    let report = until_final(&engine, id).await;
    assert_eq!(report.summary.status, RunStatus::Completed, "{report}");
    assert_eq!(report.outcome_counts().created, EMPLOYEES);
    assert_eq!(w.attendance.inner.records().len(), EMPLOYEES);
    assert_eq!(report.summary.lease, None, "the claim is released");
}

/// Issue 10 item 5: `stop` lets the writes in flight finish and be recorded, leaves the
/// rest Pending (Interrupted, resumable), and resume completes the run with no duplicate.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s5_stop_ends_gracefully_and_resume_completes() {
    let w = world(Duration::from_millis(40));
    let engine = engine(&w, SyncOptions::default().with_apply_concurrency(2));
    let id = fetched(&engine).await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let request = all_new().with_progress(move |progress| {
        let _ = tx.send(progress.done);
    });
    let handle = engine.begin_apply(id, request, &admin()).await.unwrap();
    assert_eq!(handle.id(), id);
    assert_eq!(
        engine.report(id).await.unwrap().summary.status,
        RunStatus::Syncing
    );
    while rx.recv().await.unwrap() < 2 {}
    engine.stop(id, &admin()).await.unwrap();
    let stopped = handle.wait().await.unwrap();
    assert_eq!(stopped.summary.status, RunStatus::Interrupted);
    assert!(
        stopped
            .summary
            .failure
            .as_deref()
            .unwrap()
            .contains("admin-1"),
        "{:?}",
        stopped.summary.failure
    );
    let counts = stopped.outcome_counts();
    assert!(counts.pending > 0, "stopped before the end: {counts:?}");
    assert_eq!(
        w.attendance.inner.records().len(),
        counts.created,
        "every write that went out is recorded"
    );
    assert_eq!(
        w.attendance.creates_started.load(Ordering::SeqCst),
        counts.created
    );

    let resumed = engine.resume(id, &admin(), None).await.unwrap();
    assert_eq!(resumed.summary.status, RunStatus::Completed);
    assert_eq!(resumed.outcome_counts().created, EMPLOYEES);
    assert_eq!(w.attendance.inner.records().len(), EMPLOYEES);
}

/// A stop asked of another engine sharing the store reaches the applier at its next lease
/// renewal.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s5_stop_through_the_store_reaches_another_engines_apply() {
    let w = world(Duration::from_millis(60));
    let applier = engine(
        &w,
        SyncOptions::default()
            .with_apply_concurrency(1)
            .with_lease_duration(Duration::from_secs(1)),
    );
    let other = engine(&w, SyncOptions::default());
    let id = fetched(&applier).await;
    let handle = applier.begin_apply(id, all_new(), &admin()).await.unwrap();
    other
        .stop(id, &Actor::administrator("admin-2"))
        .await
        .unwrap();
    let stopped = handle.wait().await.unwrap();
    assert_eq!(stopped.summary.status, RunStatus::Interrupted);
    assert!(stopped
        .summary
        .failure
        .as_deref()
        .unwrap()
        .contains("admin-2"));
    assert!(stopped.outcome_counts().pending > 0);
    assert_eq!(stopped.summary.stop_requested, None, "cleared once stopped");
    // Only a Syncing run can be asked to stop.
    let refused = other.stop(id, &admin()).await.unwrap_err();
    assert!(
        matches!(
            refused,
            SyncError::WrongStatus {
                status: RunStatus::Interrupted,
                ..
            }
        ),
        "{refused}"
    );
}

/// Issue 10 item 9: a never-applied run can be discarded: kept for audit, out of "recent",
/// and never applied afterwards.
#[tokio::test]
async fn r13_a_never_applied_run_is_discarded_out_of_recent() {
    let w = world(Duration::ZERO);
    let engine = engine(&w, SyncOptions::default());
    let kept = fetched(&engine).await;
    let dropped = fetched(&engine).await;
    let discarded = engine.discard(dropped, &admin()).await.unwrap();
    assert_eq!(discarded.status, RunStatus::Discarded);
    let recent: Vec<ReportId> = engine
        .recent()
        .await
        .unwrap()
        .iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(recent, vec![kept]);
    let everything = engine
        .list(&ReportQuery::latest(10).with_discarded(true))
        .await
        .unwrap();
    assert_eq!(everything.len(), 2);
    let refused = engine
        .apply(dropped, all_new(), &admin())
        .await
        .unwrap_err();
    assert!(
        matches!(refused, SyncError::WrongStatus { .. }),
        "{refused}"
    );
    assert_eq!(w.attendance.inner.records().len(), 0);
    // Only an AwaitingSync run is discarded.
    engine.apply(kept, all_new(), &admin()).await.unwrap();
    let refused = engine.discard(kept, &admin()).await.unwrap_err();
    assert!(
        matches!(refused, SyncError::WrongStatus { .. }),
        "{refused}"
    );
}

/// Issue 10 item 2: "already exists" is believed only when a read by code finds the
/// employee; otherwise the employee Failed with the vendor's reason, never Skipped.
#[tokio::test]
async fn r11_an_unconfirmed_already_exists_is_a_failure_with_the_vendors_reason() {
    let w = world(Duration::ZERO);
    w.attendance
        .refuse_as_existing
        .store(true, Ordering::SeqCst);
    let engine = engine(&w, SyncOptions::default());
    let id = fetched(&engine).await;
    let report = engine.apply(id, all_new(), &admin()).await.unwrap();
    assert_eq!(report.summary.status, RunStatus::CompletedWithErrors);
    for entry in &report.entries {
        match &entry.outcome {
            Some(Outcome::Failed { reason }) => {
                assert!(reason.contains("refused as already existing"), "{reason}");
                assert!(reason.contains(entry.code.as_str()), "{reason}");
            }
            other => panic!("{}: {other:?}", entry.code),
        }
    }
}

/// Issue 10 item 9: after a lost create response and an empty read-back, the create is
/// sent again only after the policy's backoff.
#[tokio::test(start_paused = true)]
async fn r11_a_create_is_re_sent_only_after_the_backoff() {
    let w = world(Duration::ZERO);
    let engine = engine(
        &w,
        SyncOptions::default()
            .with_create_attempts(2)
            .with_create_backoff(
                RetryPolicy::default()
                    .with_jitter(false)
                    .with_initial_backoff(Duration::from_secs(3)),
            ),
    );
    let id = fetched(&engine).await;
    // The first create fails before doing anything; its response says nothing.
    w.attendance
        .inner
        .inject(Operation::Create, Fault::Unavailable, 1);
    let started = tokio::time::Instant::now();
    let request = ApplyRequest::new(Selection::codes(["100"])).with_placement(placement());
    let report = engine.apply(id, request, &admin()).await.unwrap();
    assert!(matches!(
        report.entries[0].outcome,
        Some(Outcome::Created { .. })
    ));
    assert_eq!(w.attendance.inner.calls(Operation::Create), 2);
    assert!(
        started.elapsed() >= Duration::from_secs(3),
        "re-sent after {:?}",
        started.elapsed()
    );
    assert_eq!(w.attendance.inner.records().len(), 1);
}

/// The store's view, to check the lease is gone once a run ends.
#[tokio::test]
async fn s5_a_finished_run_holds_no_lease() {
    let w = world(Duration::ZERO);
    let engine = engine(&w, SyncOptions::default());
    let id = fetched(&engine).await;
    engine.apply(id, all_new(), &admin()).await.unwrap();
    let summary = w.store.summary(id).await.unwrap().unwrap();
    assert_eq!(summary.status, RunStatus::Completed);
    assert_eq!(summary.lease, None);
}
