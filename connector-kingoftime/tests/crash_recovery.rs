//! Truthful outcomes and no duplicate across real process deaths (SPEC R11, R13, S5):
//! the KOT emulator runs in this (parent) process; the applying engine runs in a child
//! process with its own SQLite store file. The parent kills the child with SIGKILL at
//! varying moments (or freezes it with SIGSTOP past its lease), then recovers as the
//! operations guide says — `mark_abandoned`, then `resume` — and checks that the emulator
//! holds exactly one record per selected code and that every outcome says what was done.

#![cfg(all(feature = "emulator", unix))]

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use connector_kingoftime::emulator::{Endpoint, Fault, FaultKind, KotEmulator};
use hris_sync_core::{
    Actor, ApplyRequest, Direction, Employee, Gender, InMemorySystem, MaintenanceWindows,
    MasterKind, Outcome, ReportId, ReportStore, RunStatus, Selection, SqliteReportStore,
    SyncEngine, SyncError, SyncOptions,
};

/// Set in the child: the emulator's base URL, the token, the store path, the lease in ms.
const CHILD_ENV: &str = "HRIS_SYNC_CRASH_CHILD";
/// New employees each run creates.
const EMPLOYEES: usize = 40;

fn admin() -> Actor {
    Actor::administrator("admin-1")
}

fn base_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 4, 1).unwrap()
}

/// The HR side, the same in parent and child: employees 5001.. as New for KOT.
fn hr() -> InMemorySystem {
    let hr = InMemorySystem::hr("HR (memory)");
    for n in 0..EMPLOYEES {
        hr.insert(
            Employee::new(format!("{}", 5001 + n))
                .with_name("山田", format!("太郎{n}"))
                .with_kana("ヤマダ", "タロウ")
                .with_gender(Gender::Male)
                .with_hire_date(NaiveDate::from_ymd_opt(2020, 4, 1).unwrap()),
            hris_sync_core::Placement::new(),
        );
    }
    hr
}

/// An engine on the real host clock (leases are compared across processes), with no
/// maintenance windows on either side so the test runs at any hour.
fn engine(base_url: &str, token: &str, store: &str, lease: Duration) -> SyncEngine {
    let attendance = connector_kingoftime::KingOfTime::builder()
        .with_token(token)
        .with_base_url(base_url)
        .with_retry_policy(common::fast_retries())
        .with_clock(common::noon())
        .with_maintenance_windows(MaintenanceWindows::none())
        .build()
        .unwrap();
    SyncEngine::builder()
        .with_hr(Arc::new(hr()))
        .with_attendance(Arc::new(attendance))
        .with_store(Arc::new(SqliteReportStore::open(store).unwrap()))
        .with_options(
            SyncOptions::default()
                .with_apply_concurrency(4)
                .with_lease_duration(lease),
        )
        .build()
        .unwrap()
}

fn placement() -> hris_sync_core::Placement {
    hris_sync_core::Placement::new()
        .with(MasterKind::Division, "1000")
        .with(MasterKind::EmploymentType, "1")
}

/// Not a check by itself: with [`CHILD_ENV`] set, the child process of the tests below. It
/// fetches, prints `report <id>`, then applies every New employee, printing `done <n>` as
/// each outcome is recorded, and `claim lost` (exit code 3) when its claim was taken.
#[test]
fn crash_child_applier() {
    let Ok(setting) = std::env::var(CHILD_ENV) else {
        return;
    };
    let parts: Vec<&str> = setting.split('|').collect();
    let [base_url, token, store, lease_ms] = parts[..] else {
        panic!("bad {CHILD_ENV}: {setting}");
    };
    let lease = Duration::from_millis(lease_ms.parse().unwrap());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let engine = engine(base_url, token, store, lease);
        let report = engine
            .fetch(Direction::Export, base_date(), &admin())
            .await
            .unwrap();
        assert_eq!(report.summary.status, RunStatus::AwaitingSync);
        println!("report {}", report.summary.id);
        let request = ApplyRequest::new(Selection::new_and_changed())
            .with_placement(placement())
            .with_progress(|progress| println!("done {}", progress.done));
        match engine.apply(report.summary.id, request, &admin()).await {
            Ok(report) => println!("ended {}", report.summary.status),
            Err(SyncError::Store(hris_sync_core::StoreError::ClaimLost { .. })) => {
                println!("claim lost");
                std::process::exit(3);
            }
            Err(error) => panic!("apply failed: {error}"),
        }
    });
}

/// Kills the child on drop, so a failing assertion leaves no process behind.
struct Reap(Child);

impl Drop for Reap {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

struct Run {
    child: Reap,
    lines: std::io::Lines<BufReader<std::process::ChildStdout>>,
    report: ReportId,
}

/// An emulator whose writes are applied, then answered only after `hang` (so a kill finds
/// writes applied but not yet answered), and a child applying a run against it.
async fn start_run(
    dir: &std::path::Path,
    round: usize,
    lease: Duration,
    hang: Duration,
) -> (KotEmulator, Run, String) {
    let (emulator, _clock) = common::emulator_at_noon().await;
    emulator.inject(
        Fault::new(FaultKind::Hang(hang))
            .times(10_000)
            .on(Endpoint::CreateEmployee),
    );
    let store = dir
        .join(format!("reports-{round}.db"))
        .display()
        .to_string();
    let setting = format!(
        "{}|{}|{}|{}",
        emulator.base_url(),
        emulator.token(),
        store,
        lease.as_millis()
    );
    let mut child = Reap(
        Command::new(std::env::current_exe().unwrap())
            .args([
                "crash_child_applier",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, setting)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut lines = BufReader::new(child.0.stdout.take().unwrap()).lines();
    let mut seen = Vec::new();
    let report = loop {
        let Some(line) = lines.next() else {
            panic!("the child ended without a report: {seen:?}");
        };
        let line = line.unwrap();
        // The test harness prints its "test … ..." prefix on the same line.
        if let Some((_, id)) = line.split_once("report ") {
            break id.trim().parse().unwrap();
        }
        seen.push(line);
    };
    (
        emulator,
        Run {
            child,
            lines,
            report,
        },
        store,
    )
}

/// Reads the child's output until `done n` with n ≥ `at_least`.
fn wait_for_done(run: &mut Run, at_least: usize) {
    for line in run.lines.by_ref() {
        let line = line.unwrap();
        if let Some(done) = line.strip_prefix("done ") {
            if done.parse::<usize>().unwrap() >= at_least {
                return;
            }
        }
    }
    panic!("the child ended before {at_least} outcomes");
}

/// Recovers as docs/operations.md says: waits out the dead applier's lease, marks the run
/// abandoned, resumes it; then checks one record per code and true outcomes.
async fn recover_and_check(
    emulator: &KotEmulator,
    store: &str,
    id: ReportId,
    lease: Duration,
) -> (usize, usize) {
    let engine = engine(
        &emulator.base_url(),
        emulator.token(),
        store,
        Duration::from_secs(60),
    );
    emulator.clear_faults();
    let abandoned = loop {
        match engine.mark_abandoned(id, &admin()).await {
            Ok(summary) => break summary,
            Err(SyncError::LeaseHeld { .. }) => tokio::time::sleep(lease / 4).await,
            Err(error) => panic!("mark_abandoned: {error}"),
        }
    };
    assert_eq!(abandoned.status, RunStatus::Interrupted);
    let before = engine.report(id).await.unwrap().outcome_counts();
    let report = engine.resume(id, &admin(), None).await.unwrap();
    assert_eq!(report.summary.status, RunStatus::Completed, "{report}");

    for n in 0..EMPLOYEES {
        let code = format!("{}", 5001 + n);
        assert_eq!(
            emulator.employees_with_code(&code).len(),
            1,
            "exactly one record for {code}"
        );
    }
    assert_eq!(emulator.employees().len(), EMPLOYEES);
    for entry in &report.entries {
        assert!(
            matches!(entry.outcome, Some(Outcome::Created { .. })),
            "{}: every employee was created by this run, and the report must say so: {:?}",
            entry.code,
            entry.outcome
        );
    }
    (before.created, before.pending)
}

/// S5, item 4 of issue 10: after `kill -9` of the applying process at varying moments,
/// the documented recovery leaves exactly one record per code, and every outcome says what
/// this run did (Created), including the writes that landed but were never answered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s5_kill_9_mid_apply_then_recovery_reports_what_this_run_did() {
    let dir = tempfile_dir();
    let lease = Duration::from_millis(1_500);
    for (round, kill_after) in [1, 9, 23].into_iter().enumerate() {
        let (emulator, mut run, store) =
            start_run(dir.path(), round, lease, Duration::from_millis(150)).await;
        wait_for_done(&mut run, kill_after);
        kill_with_a_write_unrecorded(&mut run, &emulator, &store).await;
        let applied = emulator.employees().len();
        let (recorded, pending) = recover_and_check(&emulator, &store, run.report, lease).await;
        eprintln!(
            "round {round}: killed after {kill_after} outcomes; the emulator held {applied}, \
             the report had {recorded} recorded and {pending} pending"
        );
        assert!(
            applied > recorded,
            "round {round}: the kill should find writes applied but unrecorded \
             ({applied} applied, {recorded} recorded)"
        );
    }
}

/// S5, item 6 of issue 10: an applier frozen past its lease (SIGSTOP: alive, but not
/// renewing) is declared abandoned and its run taken over; when it wakes up (SIGCONT) its
/// next write to the report is refused, it stops sending, and the target still holds one
/// record per code with every outcome true.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s5_a_frozen_applier_is_fenced_off_after_a_takeover() {
    let dir = tempfile_dir();
    let lease = Duration::from_millis(1_500);
    let (emulator, mut run, store) =
        start_run(dir.path(), 0, lease, Duration::from_millis(100)).await;
    wait_for_done(&mut run, 6);
    let pid = run.child.0.id().to_string();
    freeze_outside_a_transaction(&pid, &store).await;
    recover_and_check(&emulator, &store, run.report, lease).await;
    signal("-CONT", &pid);
    let rest: Vec<String> = run.lines.by_ref().map(Result::unwrap).collect();
    let status = run.child.0.wait().unwrap();
    assert!(
        rest.iter().any(|line| line == "claim lost"),
        "the woken applier must find its claim gone: {rest:?}"
    );
    assert_eq!(status.code(), Some(3));
    // Whatever it had in flight when frozen did not make a second record.
    for n in 0..EMPLOYEES {
        let code = format!("{}", 5001 + n);
        assert_eq!(emulator.employees_with_code(&code).len(), 1, "{code}");
    }
    let engine = engine(&emulator.base_url(), emulator.token(), &store, lease);
    let report = engine.report(run.report).await.unwrap();
    assert_eq!(report.summary.status, RunStatus::Completed);
    assert_eq!(report.outcome_counts().created, EMPLOYEES);
}

/// How many times a helper below freezes the child and looks before it gives up: each look
/// lets the child run ~10 ms, so this is minutes of a child that never reaches the moment.
const LOOKS: usize = 20_000;

/// Kills the child (SIGKILL) at a moment when at least one write has landed in the emulator
/// but its outcome is not yet in the report, the case recovery must tell apart. It freezes
/// the child (SIGSTOP) and compares the emulator with the report's committed outcomes; if
/// every landed write is already recorded it lets the child go on (SIGCONT) and looks again.
/// A loaded machine can make such moments rare, never absent: writes hang after landing.
async fn kill_with_a_write_unrecorded(run: &mut Run, emulator: &KotEmulator, store: &str) {
    let pid = run.child.0.id().to_string();
    let reader = SqliteReportStore::open(store).unwrap();
    for _ in 0..LOOKS {
        signal("-STOP", &pid);
        let applied = emulator.employees().len();
        let report = reader.load(run.report).await.unwrap().unwrap();
        let recorded = report.outcome_counts().created;
        if applied > recorded {
            run.child.0.kill().unwrap(); // SIGKILL, also of a stopped process
            run.child.0.wait().unwrap();
            return;
        }
        signal("-CONT", &pid);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the child never had a write landed but unrecorded");
}

/// Freezes the child (SIGSTOP) at a moment when it holds no write transaction on its SQLite
/// store. SQLite's lock is the file's: a process frozen inside a write transaction keeps
/// every other writer out until it wakes or dies, so a takeover cannot be tested from there
/// (docs/operations.md says why several instances use PostgreSQL instead).
async fn freeze_outside_a_transaction(pid: &str, store: &str) {
    let probe = rusqlite::Connection::open(store).unwrap();
    for _ in 0..LOOKS {
        signal("-STOP", pid);
        match probe.execute_batch("BEGIN IMMEDIATE; ROLLBACK;") {
            Ok(()) => return,
            Err(rusqlite::Error::SqliteFailure(error, _))
                if error.code == rusqlite::ErrorCode::DatabaseBusy
                    || error.code == rusqlite::ErrorCode::DatabaseLocked =>
            {
                signal("-CONT", pid);
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            Err(error) => panic!("probing the child's store: {error}"),
        }
    }
    panic!("the child never left its write transaction");
}

fn signal(which: &str, pid: &str) {
    let status = Command::new("kill").args([which, pid]).status().unwrap();
    assert!(status.success(), "kill {which} {pid}");
}

fn tempfile_dir() -> TempDir {
    TempDir::new()
}

/// A temporary directory removed on drop (no extra crate for one directory).
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new() -> Self {
        let path = std::env::temp_dir().join(format!(
            "hris-sync-crash-{}-{}",
            std::process::id(),
            ReportId::new()
        ));
        std::fs::create_dir_all(&path).unwrap();
        Self(path)
    }

    fn path(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
