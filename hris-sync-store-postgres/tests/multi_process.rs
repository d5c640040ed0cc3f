//! Issue 14: two processes, each with its own engine on the same PostgreSQL database and
//! the same KOT emulator (served on loopback by this, the parent, process), both try to
//! apply the same run; the one that claimed it is killed (SIGKILL) mid-apply; the other,
//! looking for expired runs as an application instance does (`recover_expired`), takes the
//! run over once the dead one's lease has run out and resumes it. At the end the emulator
//! holds exactly one record per selected code and every outcome says what was done.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use connector_kingoftime::emulator::{Endpoint, Fault, FaultKind, KotEmulator};
use hris_sync_core::{
    Actor, ApplyRequest, Direction, Employee, FixedClock, Gender, InMemorySystem,
    MaintenanceWindows, MasterKind, Outcome, Placement, ReportId, RunStatus, Selection, SyncEngine,
    SyncError, SyncOptions,
};
use hris_sync_store_postgres::{PostgresReportStore, PostgresSettings};

/// Set in a child: emulator URL, token, schema, report id, lease in ms, instance name.
const CHILD_ENV: &str = "HRIS_SYNC_MULTI_PROCESS_CHILD";
const EMPLOYEES: usize = 30;
const LEASE: Duration = Duration::from_millis(1_500);

fn admin() -> Actor {
    Actor::administrator("admin-1")
}

/// The HR side, the same in every process: employees 7001.. are New for KOT.
fn hr() -> InMemorySystem {
    let hr = InMemorySystem::hr("HR (memory)");
    for n in 0..EMPLOYEES {
        hr.insert(
            Employee::new(format!("{}", 7001 + n))
                .with_name("山田", format!("太郎{n}"))
                .with_kana("ヤマダ", "タロウ")
                .with_gender(Gender::Male)
                .with_hire_date(NaiveDate::from_ymd_opt(2020, 4, 1).unwrap()),
            Placement::new(),
        );
    }
    hr
}

fn noon() -> Arc<FixedClock> {
    Arc::new(FixedClock::at_japan_time(2024, 4, 1, 12, 0))
}

/// An engine of one process: its own pool on the shared schema, the host clock for leases
/// (compared across processes), no maintenance windows so the test runs at any hour.
async fn engine(base_url: &str, token: &str, schema: &str, name: &str) -> SyncEngine {
    let attendance = connector_kingoftime::KingOfTime::builder()
        .with_token(token)
        .with_base_url(base_url)
        .with_clock(noon())
        .with_maintenance_windows(MaintenanceWindows::none())
        .build()
        .unwrap();
    let settings = PostgresSettings::from_env()
        .unwrap()
        .unwrap()
        .with_schema(schema)
        .unwrap();
    SyncEngine::builder()
        .with_hr(Arc::new(hr()))
        .with_attendance(Arc::new(attendance))
        .with_store(Arc::new(PostgresReportStore::open(settings).await.unwrap()))
        .with_options(
            SyncOptions::default()
                .with_apply_concurrency(4)
                .with_lease_duration(LEASE),
        )
        .with_instance_name(name)
        .build()
        .unwrap()
}

fn placement() -> Placement {
    Placement::new()
        .with(MasterKind::Division, "1000")
        .with(MasterKind::EmploymentType, "1")
}

/// Not a check by itself: with [`CHILD_ENV`] set, one of the two processes. It tries to
/// apply the run (printing `claimed`, then `done <n>` per outcome); refused because the
/// other one claimed it first, it prints `refused` and looks for expired runs every
/// quarter lease, resuming what it declares abandoned (`resumed`). It ends with
/// `ended <status>` for a run it finished, or `ended elsewhere` when the run ended in the
/// other process.
#[test]
fn multi_process_child() {
    let Ok(setting) = std::env::var(CHILD_ENV) else {
        return;
    };
    let parts: Vec<&str> = setting.split('|').collect();
    let [base_url, token, schema, report, name] = parts[..] else {
        panic!("bad {CHILD_ENV}: {setting}");
    };
    let id: ReportId = report.parse().unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let engine = engine(base_url, token, schema, name).await;
        let request = ApplyRequest::new(Selection::new_and_changed())
            .with_placement(placement())
            .with_progress(|progress| println!("done {}", progress.done));
        match engine.begin_apply(id, request, &admin()).await {
            Ok(handle) => {
                println!("claimed");
                let report = handle.wait().await.unwrap();
                println!("ended {}", report.summary.status);
                return;
            }
            Err(SyncError::WrongStatus { .. } | SyncError::RunInProgress(_)) => {
                println!("refused");
            }
            Err(error) => panic!("apply: {error}"),
        }
        loop {
            let recovery = engine.recover_expired(&admin(), true).await.unwrap();
            if let Some(handle) = recovery.resumed.into_iter().next() {
                println!("resumed");
                let report = handle.wait().await.unwrap();
                println!("ended {}", report.summary.status);
                return;
            }
            let status = engine.report(id).await.unwrap().summary.status;
            if status.is_final() {
                println!("ended elsewhere");
                return;
            }
            tokio::time::sleep(LEASE / 4).await;
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

fn spawn_child(setting: String) -> (Reap, ChildStdout) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "multi_process_child",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, setting)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    (Reap(child), stdout)
}

/// Forwards a child's lines, tagged with its number, to one channel.
/// (A thread per child and an async channel: the parent's runtime workers never block,
/// since they serve the emulator the children talk to.)
fn forward(
    number: usize,
    stdout: ChildStdout,
    lines: tokio::sync::mpsc::UnboundedSender<(usize, String)>,
) {
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            // The test harness may print its "test … " prefix on the same line.
            let line = line
                .rsplit("... ")
                .next()
                .unwrap_or(&line)
                .trim()
                .to_owned();
            if lines.send((number, line)).is_err() {
                return;
            }
        }
        let _ = lines.send((number, "eof".to_owned()));
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_one_killed_mid_apply_one_record_per_code() {
    let Some((store, schema)) = support::store_in_fresh_schema("the multi-process test").await
    else {
        return;
    };
    drop(store);
    let emulator = KotEmulator::builder().with_clock(noon()).start().await;
    emulator.add_division("1000", "本社");
    emulator.add_working_type("1", "正社員");
    // Writes are applied at once and answered later: a kill finds some applied but
    // unrecorded, which the resume must report as this run's.
    emulator.inject(
        Fault::new(FaultKind::Hang(Duration::from_millis(120)))
            .times(10_000)
            .on(Endpoint::CreateEmployee),
    );
    let parent = engine(&emulator.base_url(), emulator.token(), &schema, "parent").await;
    let report = parent
        .fetch(
            Direction::Export,
            NaiveDate::from_ymd_opt(2024, 4, 1).unwrap(),
            &admin(),
        )
        .await
        .unwrap();
    assert_eq!(report.summary.status, RunStatus::AwaitingSync);
    assert_eq!(report.summary.counts.new, EMPLOYEES);
    let id = report.summary.id;

    let (sender, mut lines) = tokio::sync::mpsc::unbounded_channel();
    let mut children = Vec::new();
    for number in 0..2 {
        let setting = format!(
            "{}|{}|{schema}|{id}|process-{number}",
            emulator.base_url(),
            emulator.token()
        );
        let (child, stdout) = spawn_child(setting);
        forward(number, stdout, sender.clone());
        children.push(Some(child));
    }
    drop(sender);

    // Whoever claimed the run is killed after a few outcomes.
    let (mut claimed, mut refused, mut killed) = (None, None, false);
    let mut seen = Vec::new();
    let mut ended = Vec::new();
    while let Ok(Some((number, line))) =
        tokio::time::timeout(Duration::from_secs(120), lines.recv()).await
    {
        seen.push(format!("{number}: {line}"));
        match line.as_str() {
            "claimed" => {
                assert_eq!(claimed.replace(number), None, "two claims: {seen:?}");
            }
            "refused" => refused = Some(number),
            _ if line.starts_with("done ") && Some(number) == claimed && !killed => {
                let done: usize = line["done ".len()..].parse().unwrap();
                if done >= 6 {
                    let mut child = children[number].take().unwrap();
                    child.0.kill().unwrap(); // SIGKILL
                    child.0.wait().unwrap();
                    killed = true;
                }
            }
            _ if line.starts_with("ended ") => ended.push((number, line.clone())),
            "eof" if ended.iter().any(|(n, _)| *n == number) || Some(number) == claimed => {}
            "eof" => panic!("process {number} ended without a word: {seen:?}"),
            _ => {}
        }
        if killed && !ended.is_empty() {
            break;
        }
    }
    let (claimed, refused) = (claimed.unwrap(), refused.unwrap());
    assert!(killed, "the applier was never killed: {seen:?}");
    assert_ne!(claimed, refused);
    assert_eq!(
        ended,
        vec![(refused, "ended completed".to_owned())],
        "the survivor resumed and finished the run: {seen:?}"
    );
    assert!(
        seen.contains(&format!("{refused}: resumed")),
        "the survivor took the run over: {seen:?}"
    );

    emulator.clear_faults();
    for n in 0..EMPLOYEES {
        let code = format!("{}", 7001 + n);
        assert_eq!(
            emulator.employees_with_code(&code).len(),
            1,
            "exactly one record for {code}"
        );
    }
    let report = parent.report(id).await.unwrap();
    assert_eq!(report.summary.status, RunStatus::Completed);
    assert_eq!(report.summary.failure, None, "{report}");
    for entry in &report.entries {
        assert!(
            matches!(entry.outcome, Some(Outcome::Created { .. })),
            "{}: created by this run, and the report must say so: {:?}",
            entry.code,
            entry.outcome
        );
    }
    drop(children);
    support::execute(&format!("DROP SCHEMA {schema} CASCADE")).await;
}
