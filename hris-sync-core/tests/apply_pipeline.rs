//! The apply loop records progress in the background (issue 15, goal 3; SPEC S5, P3):
//! whatever the batching, a write goes out only once its intent is durable, progress reports
//! only outcomes that are durable, and an intent recorded ahead for a write that was never
//! sent (the run stopped first) is withdrawn at the stop, so resume sends the write once
//! and tells a write someone else made meanwhile from this run's.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use chrono::NaiveDate;
use hris_sync_core::{
    Actor, ApplyRequest, AttendanceConnector, ConnectorError, Direction, Employee, EmployeeCode,
    EmployeeRecord, EmployeeSystem, EmployeeUpdate, FixedClock, Gender, InMemorySystem,
    ListOptions, MasterEntry, MasterKind, Outcome, Placement, RecordId, ReportId, ReportStore,
    RunStatus, Selection, SqliteReportStore, SyncEngine, SyncOptions, SystemInfo, WriteIntent,
};

const EMPLOYEES: usize = 40;

fn admin() -> Actor {
    Actor::administrator("admin-1")
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// An attendance system that, as each create goes out, reads the durable report and notes
/// a create whose intent it does not hold.
#[derive(Debug)]
struct Watched {
    inner: InMemorySystem,
    store: Arc<dyn ReportStore>,
    run: OnceLock<ReportId>,
    /// How long each create takes once made.
    delay: Duration,
    creates: AtomicUsize,
    sent_without_intent: Mutex<Vec<String>>,
}

#[async_trait::async_trait]
impl EmployeeSystem for Watched {
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
        self.creates.fetch_add(1, Ordering::SeqCst);
        let run = *self.run.get().expect("the run is known before apply");
        let report = self.store.load(run).await.unwrap().unwrap();
        let durable = report.entries.iter().any(|entry| {
            entry.employee.code == employee.code && entry.intent == Some(WriteIntent::Create)
        });
        if !durable {
            self.sent_without_intent
                .lock()
                .unwrap()
                .push(employee.code.as_str().to_owned());
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

impl AttendanceConnector for Watched {}

struct World {
    engine: SyncEngine,
    attendance: Arc<Watched>,
    store: Arc<dyn ReportStore>,
    _dir: tempfile::TempDir,
}

/// A durable store on a file (real commits), `EMPLOYEES` new employees, concurrency 4.
fn world() -> World {
    world_with(Duration::from_millis(3))
}

/// [`world`] with creates taking `delay`.
fn world_with(delay: Duration) -> World {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn ReportStore> =
        Arc::new(SqliteReportStore::open(dir.path().join("reports.sqlite")).unwrap());
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
    let attendance = Arc::new(Watched {
        inner: InMemorySystem::attendance("Attendance (memory)")
            .with_master(MasterKind::Division, "1000", "本社")
            .with_master(MasterKind::EmploymentType, "1", "正社員"),
        store: store.clone(),
        run: OnceLock::new(),
        delay,
        creates: AtomicUsize::new(0),
        sent_without_intent: Mutex::new(Vec::new()),
    });
    let engine = SyncEngine::builder()
        .with_hr(Arc::new(hr))
        .with_attendance(attendance.clone())
        .with_store(store.clone())
        .with_clock(Arc::new(FixedClock::at_japan_time(2025, 6, 2, 10, 30)))
        .with_options(SyncOptions::default().with_apply_concurrency(4))
        .build()
        .unwrap();
    World {
        engine,
        attendance,
        store,
        _dir: dir,
    }
}

async fn fetched(w: &World) -> ReportId {
    let report = w
        .engine
        .fetch(Direction::Export, d(2025, 6, 1), &admin())
        .await
        .unwrap();
    assert_eq!(report.summary.status, RunStatus::AwaitingSync);
    w.attendance.run.set(report.summary.id).unwrap();
    report.summary.id
}

fn all_new() -> ApplyRequest {
    ApplyRequest::new(Selection::new_and_changed()).with_placement(
        Placement::new()
            .with(MasterKind::Division, "1000")
            .with(MasterKind::EmploymentType, "1"),
    )
}

/// The outcomes the store holds for the run right now (read from a progress callback).
fn durable_outcomes(store: &Arc<dyn ReportStore>, id: ReportId) -> usize {
    tokio::task::block_in_place(|| {
        tokio::runtime::Handle::current().block_on(async {
            let report = store.load(id).await.unwrap().unwrap();
            report
                .entries
                .iter()
                .filter(|entry| matches!(entry.outcome, Some(ref o) if o.is_final()))
                .count()
        })
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s5_writes_follow_durable_intents_and_progress_follows_durable_outcomes() {
    let w = world();
    let id = fetched(&w).await;
    let reported_ahead = Arc::new(Mutex::new(Vec::new()));
    let (store, seen) = (w.store.clone(), reported_ahead.clone());
    let request = all_new().with_progress(move |progress| {
        let durable = durable_outcomes(&store, progress.report);
        if progress.done > durable {
            seen.lock().unwrap().push((progress.done, durable));
        }
    });
    let report = w.engine.apply(id, request, &admin()).await.unwrap();
    assert_eq!(report.summary.status, RunStatus::Completed);
    assert_eq!(report.outcome_counts().created, EMPLOYEES);
    assert_eq!(w.attendance.creates.load(Ordering::SeqCst), EMPLOYEES);
    assert_eq!(
        *w.attendance.sent_without_intent.lock().unwrap(),
        Vec::<String>::new(),
        "creates sent before their intent was durable"
    );
    assert_eq!(
        *reported_ahead.lock().unwrap(),
        Vec::<(usize, usize)>::new(),
        "progress (done, durable) reported outcomes not yet durable"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s5_an_intent_recorded_ahead_of_a_write_never_sent_is_sent_once_on_resume() {
    let w = world();
    let id = fetched(&w).await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let request = all_new().with_progress(move |progress| {
        let _ = tx.send(progress.done);
    });
    let handle = w.engine.begin_apply(id, request, &admin()).await.unwrap();
    while rx.recv().await.unwrap() < 4 {}
    w.engine.stop(id, &admin()).await.unwrap();
    let stopped = handle.wait().await.unwrap();
    assert_eq!(stopped.summary.status, RunStatus::Interrupted);
    let created: Vec<EmployeeCode> = w
        .attendance
        .inner
        .records()
        .into_iter()
        .map(|record| record.employee.code)
        .collect();
    assert_eq!(created.len(), w.attendance.creates.load(Ordering::SeqCst));
    assert!(created.len() < EMPLOYEES, "stopped before the end");
    // Every create that went out is recorded as this run's; a Pending entry's write never
    // went out.
    for entry in &stopped.entries {
        let sent = created.contains(&entry.employee.code);
        match &entry.outcome {
            Some(Outcome::Created { .. }) => assert!(sent),
            Some(Outcome::Pending) => assert!(!sent, "{} was sent", entry.code.as_str()),
            other => panic!("unexpected outcome {other:?}"),
        }
    }

    let resumed = w.engine.resume(id, &admin(), None).await.unwrap();
    assert_eq!(resumed.summary.status, RunStatus::Completed);
    assert_eq!(resumed.outcome_counts().created, EMPLOYEES);
    assert_eq!(
        w.attendance.creates.load(Ordering::SeqCst),
        EMPLOYEES,
        "each employee created exactly once"
    );
    assert_eq!(w.attendance.inner.records().len(), EMPLOYEES);
    assert!(w.attendance.sent_without_intent.lock().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s5_a_stop_withdraws_the_intents_of_writes_never_sent() {
    // Slow writes: while the slots are busy, intents are recorded ahead of them (the
    // lookahead), so the stop finds writes whose intents are durable but that never went out.
    let w = world_with(Duration::from_millis(60));
    let id = fetched(&w).await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let request = all_new().with_progress(move |progress| {
        let _ = tx.send(progress.done);
    });
    let handle = w.engine.begin_apply(id, request, &admin()).await.unwrap();
    while rx.recv().await.unwrap() < 4 {}
    w.engine.stop(id, &admin()).await.unwrap();
    let stopped = handle.wait().await.unwrap();
    assert_eq!(stopped.summary.status, RunStatus::Interrupted);
    let sent: Vec<EmployeeCode> = w
        .attendance
        .inner
        .records()
        .into_iter()
        .map(|record| record.employee.code)
        .collect();
    assert_eq!(sent.len(), w.attendance.creates.load(Ordering::SeqCst));
    // The durable report, not only the one returned: it is what a resume reads.
    let durable = w.store.load(id).await.unwrap().unwrap();
    assert_eq!(durable.entries, stopped.entries);
    let pending: Vec<_> = durable
        .entries
        .iter()
        .filter(|entry| entry.outcome == Some(Outcome::Pending))
        .collect();
    assert!(!pending.is_empty(), "stopped before the end");
    for entry in &pending {
        assert!(
            !sent.contains(&entry.employee.code),
            "{} was sent",
            entry.code.as_str()
        );
        assert_eq!(
            entry.intent,
            None,
            "{} claims a write this run never sent",
            entry.code.as_str()
        );
    }

    // Someone else creates the first Pending employee (whose intent was recorded ahead of
    // the slots, in order) before the resume: it is theirs, not this run's.
    let theirs = pending[0].employee.clone();
    w.attendance.inner.insert(theirs.clone(), Placement::new());
    let resumed = w.engine.resume(id, &admin(), None).await.unwrap();
    assert_eq!(resumed.summary.status, RunStatus::Completed);
    let entry = resumed
        .entries
        .iter()
        .find(|entry| entry.employee.code == theirs.code)
        .unwrap();
    assert!(
        matches!(entry.outcome, Some(Outcome::Skipped { .. })),
        "made by someone else, reported as {:?}",
        entry.outcome
    );
    assert_eq!(resumed.outcome_counts().created, EMPLOYEES - 1);
    assert_eq!(
        w.attendance.creates.load(Ordering::SeqCst),
        EMPLOYEES - 1,
        "each employee created once, and theirs not again"
    );
    assert_eq!(w.attendance.inner.records().len(), EMPLOYEES);
    assert!(w.attendance.sent_without_intent.lock().unwrap().is_empty());
}
