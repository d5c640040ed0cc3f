//! The documented recovery of a run, with real processes: the export example runs in a
//! child process (this test binary again, see [`example_child`]), is killed with SIGKILL
//! mid-apply or stopped from another process, and `--abandon` / `--resume` finish the run.
//! Afterwards the emulator's saved state, the report and a second run must agree: one record
//! per selected code, every outcome final, and each write this run sent reported as this
//! run's (Created / Updated), never as "already in the target".

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Duration;

use connector_kingoftime::emulator::EmulatedEmployee;
use hris_sync_core::store::{ReportQuery, ReportStore};
use hris_sync_core::{
    ChangeKind, Direction, Outcome, ReportId, RunStatus, SqliteReportStore, SyncReport,
};
use hris_sync_examples::args::Args;

/// The example's arguments, as JSON, for the child process.
const CHILD_ARGS: &str = "HRIS_SYNC_EXAMPLE_CHILD_ARGS";

/// Not a test of its own: in a child process started by [`Example::spawn`], runs the export
/// example with the arguments in [`CHILD_ARGS`] exactly as its binary does (one `error: …`
/// line and the exit code on failure), then ends the process. Without the variable, does
/// nothing.
#[test]
fn example_child() {
    let Ok(json) = std::env::var(CHILD_ARGS) else {
        return;
    };
    let args: Vec<String> = serde_json::from_str(&json).unwrap();
    let result = Args::from_iter(Direction::Export, args)
        .and_then(|args| hris_sync_examples::run_args(Direction::Export, args));
    let code = match result {
        Ok(()) => 0,
        Err(failure) => {
            eprintln!("error: {failure}");
            i32::from(failure.exit_code())
        }
    };
    use std::io::Write;
    let _ = std::io::stdout().flush();
    std::process::exit(code);
}

/// One invocation of the export example in a child process, its output in files.
struct Example {
    child: Child,
    stdout: PathBuf,
    stderr: PathBuf,
}

impl Example {
    fn spawn(dir: &Path, name: &str, args: &[&str]) -> Self {
        let mut all = vec!["--data-dir".to_owned(), dir.display().to_string()];
        all.extend(args.iter().map(|arg| (*arg).to_owned()));
        let stdout = dir.join(format!("{name}.out"));
        let stderr = dir.join(format!("{name}.err"));
        let mut command = Command::new(std::env::current_exe().unwrap());
        command
            .args([
                "--exact",
                "example_child",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ARGS, serde_json::to_string(&all).unwrap())
            .stdin(Stdio::null())
            .stdout(fs::File::create(&stdout).unwrap())
            .stderr(fs::File::create(&stderr).unwrap());
        // The vendors' tokens (nothing leaves loopback), and the database URL: these tests
        // read the reports from the data directory's SQLite file.
        for var in [
            "HRIS_SYNC_DATABASE_URL",
            "KOT_TOKEN",
            "KOT_BASE_URL",
            "TOUCHONTIME_TOKEN",
            "TOUCHONTIME_BASE_URL",
            "KINKAKUJI_TOKEN",
            "KINKAKUJI_BASE_URL",
        ] {
            command.env_remove(var);
        }
        Self {
            child: command.spawn().unwrap(),
            stdout,
            stderr,
        }
    }

    /// Runs to the end: exit status, standard output, standard error.
    fn run(dir: &Path, name: &str, args: &[&str]) -> (ExitStatus, String, String) {
        let mut example = Self::spawn(dir, name, args);
        let status = example.child.wait().unwrap();
        (status, example.stdout(), example.stderr())
    }

    fn stdout(&self) -> String {
        fs::read_to_string(&self.stdout).unwrap()
    }

    fn stderr(&self) -> String {
        fs::read_to_string(&self.stderr).unwrap()
    }
}

/// The report database of a data directory, read while an example writes it.
struct Reports {
    runtime: tokio::runtime::Runtime,
    store: SqliteReportStore,
}

impl Reports {
    /// Opens the database once the example has created it.
    fn open(dir: &Path) -> Option<Self> {
        if !dir.join("reports.sqlite").exists() {
            return None;
        }
        Some(Self {
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap(),
            store: SqliteReportStore::open(dir.join("reports.sqlite")).unwrap(),
        })
    }

    /// The newest run, if any.
    fn newest(&self) -> Option<SyncReport> {
        self.runtime.block_on(async {
            let latest = self
                .store
                .list(&ReportQuery::latest(1).with_discarded(true))
                .await
                .unwrap();
            match latest.first() {
                Some(summary) => self.store.load(summary.id).await.unwrap(),
                None => None,
            }
        })
    }

    fn load(&self, id: ReportId) -> SyncReport {
        self.runtime
            .block_on(self.store.load(id))
            .unwrap()
            .unwrap_or_else(|| panic!("no report {id}"))
    }
}

fn report(dir: &Path, id: ReportId) -> SyncReport {
    Reports::open(dir).expect("a report database").load(id)
}

fn final_outcomes(report: &SyncReport) -> usize {
    report
        .entries
        .iter()
        .filter(|entry| entry.outcome.as_ref().is_some_and(Outcome::is_final))
        .count()
}

/// Waits until the run being applied has recorded `at_least` final outcomes and returns it.
/// Panics if the example ends first.
fn wait_for_outcomes(example: &mut Example, dir: &Path, at_least: usize) -> SyncReport {
    let mut reports = None;
    loop {
        if reports.is_none() {
            reports = Reports::open(dir);
        }
        if let Some(report) = reports.as_ref().and_then(Reports::newest) {
            if report.summary.status == RunStatus::Syncing && final_outcomes(&report) >= at_least {
                return report;
            }
        }
        if let Some(status) = example.child.try_wait().unwrap() {
            panic!(
                "the example ended ({status}) before {at_least} outcomes were recorded:\n{}\n{}",
                example.stdout(),
                example.stderr()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The emulator's employees as saved in the data directory.
fn saved_attendance(dir: &Path) -> Vec<EmulatedEmployee> {
    serde_json::from_slice(&fs::read(dir.join("kingoftime.json")).unwrap()).unwrap()
}

/// What must hold once the documented recovery has finished a run: the report completed,
/// every selected employee with what this run did, and exactly one saved record per code,
/// the one the report names.
fn assert_recovered(dir: &Path, id: ReportId) {
    let report = report(dir, id);
    assert_eq!(report.summary.status, RunStatus::Completed, "{report}");
    let saved = saved_attendance(dir);
    let mut by_code: HashMap<&str, Vec<&EmulatedEmployee>> = HashMap::new();
    for employee in &saved {
        by_code.entry(&employee.code).or_default().push(employee);
    }
    for (code, records) in &by_code {
        assert_eq!(
            records.len(),
            1,
            "code {code} is held {} times",
            records.len()
        );
    }
    let mut selected = 0;
    for entry in &report.entries {
        let Some(outcome) = &entry.outcome else {
            continue;
        };
        selected += 1;
        let records = by_code
            .get(entry.code.as_str())
            .unwrap_or_else(|| panic!("{} is not in the saved emulator state", entry.code));
        match (entry.kind, outcome) {
            (ChangeKind::New, Outcome::Created { id }) => {
                assert_eq!(id.as_str(), records[0].key, "{}", entry.code);
            }
            (ChangeKind::Changed, Outcome::Updated { fields }) => {
                // The update the report records is in the saved state.
                assert!(!fields.is_empty(), "{}", entry.code);
                let held = records[0].to_employee();
                for field in fields {
                    assert_eq!(
                        held.get(*field),
                        entry.employee.get(*field),
                        "{} {field}: the report says updated, the saved state disagrees",
                        entry.code
                    );
                }
            }
            (kind, outcome) => panic!("{} ({kind}): {outcome}", entry.code),
        }
    }
    assert_eq!(selected, 19, "the seeded new and changed employees");
}

/// A second export finds nothing left to sync: the sides agree with each other.
fn assert_nothing_left(dir: &Path) {
    let (status, stdout, stderr) = Example::run(dir, "again", &["--kinds", "new,changed"]);
    assert!(status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("new 0, changed 0"), "{stdout}");
}

#[test]
fn a_run_killed_while_updates_are_in_flight_is_recovered_with_abandon_and_resume() {
    // The eight changed employees come first: the first outcome is an update's.
    kill_and_recover(1);
}

#[test]
fn a_run_killed_while_creates_are_in_flight_is_recovered_with_abandon_and_resume() {
    // Past the eight updates: creates are in flight.
    kill_and_recover(9);
}

/// Kills an export with SIGKILL once `outcomes` outcomes are recorded, then follows the
/// documented recovery.
fn kill_and_recover(outcomes: usize) {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();

    // The run, slowed down so it can be killed while writes are in flight.
    let mut run = Example::spawn(dir, "run", &["--latency-ms", "300", "--lease-secs", "4"]);
    let before = wait_for_outcomes(&mut run, dir, outcomes);
    run.child.kill().unwrap(); // SIGKILL
    run.child.wait().unwrap();
    let id = before.summary.id;
    assert!(run.stdout().contains(&format!("report {id} started")));
    let killed = report(dir, id);
    assert_eq!(killed.summary.status, RunStatus::Syncing);
    assert!(
        killed.outcome_counts().pending > 0,
        "killed before the end: {killed}"
    );

    // --resume refuses a run that is still syncing, and says what to do.
    let (status, _, stderr) = Example::run(dir, "resume-too-early", &["--resume", &id.to_string()]);
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(
        stderr.starts_with("error: ") && stderr.lines().count() == 1,
        "{stderr}"
    );
    assert!(stderr.contains("--abandon"), "{stderr}");

    // --abandon refuses while the dead process's lease is fresh, then accepts.
    let lease = killed
        .summary
        .lease
        .clone()
        .expect("a syncing run has a lease");
    let abandoned = loop {
        let started = chrono::Utc::now();
        let (status, stdout, stderr) =
            Example::run(dir, "abandon", &["--abandon", &id.to_string()]);
        let ended = chrono::Utc::now();
        if status.success() {
            assert!(
                ended >= lease.expires_at,
                "accepted a fresh lease: {stdout}"
            );
            break stdout;
        }
        assert_eq!(status.code(), Some(1), "{stderr}");
        assert!(
            stderr.starts_with("error: ") && stderr.lines().count() == 1,
            "{stderr}"
        );
        assert!(stderr.contains("still being applied by"), "{stderr}");
        assert!(stderr.contains(&lease.holder), "{stderr}");
        assert!(
            started < lease.expires_at,
            "refused an expired lease: {stderr}"
        );
        std::thread::sleep(Duration::from_millis(250));
    };
    assert!(abandoned.contains("status interrupted"), "{abandoned}");
    assert!(abandoned.contains(&format!("--resume {id}")), "{abandoned}");

    // --resume finishes the run: every employee reported as what this run did.
    let (status, stdout, stderr) = Example::run(dir, "resume", &["--resume", &id.to_string()]);
    assert!(status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("status completed"), "{stdout}");
    assert!(!stdout.contains("already"), "{stdout}");
    assert_recovered(dir, id);
    assert_nothing_left(dir);
}

#[test]
fn stop_from_another_process_interrupts_the_run_and_resume_finishes_it() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();

    // The default lease (60 s, renewed every 20 s): the example watches its report for a
    // stop request, so the stop comes long before the last write, not at a renewal.
    let mut run = Example::spawn(dir, "run", &["--latency-ms", "1000"]);
    let id = wait_for_outcomes(&mut run, dir, 1).summary.id;
    let (status, stdout, stderr) = Example::run(dir, "stop", &["--stop", &id.to_string()]);
    assert!(status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("status interrupted"), "{stdout}");

    // The stopped run ends on its own: the writes in flight recorded, the rest pending.
    let status = run.child.wait().unwrap();
    assert_eq!(status.code(), Some(1), "{}", run.stdout());
    let stderr = run.stderr();
    assert!(
        stderr.starts_with("error: the run ended interrupted: stopped by"),
        "{stderr}"
    );
    assert!(stderr.contains(&format!("--resume {id}")), "{stderr}");
    let stopped = report(dir, id);
    assert_eq!(stopped.summary.status, RunStatus::Interrupted);
    assert!(stopped.outcome_counts().pending > 0, "{stopped}");

    let (status, stdout, stderr) = Example::run(dir, "resume", &["--resume", &id.to_string()]);
    assert!(status.success(), "{stdout}\n{stderr}");
    assert_recovered(dir, id);
    assert_nothing_left(dir);
}

#[test]
fn recovery_commands_refuse_what_they_cannot_do() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let unknown = ReportId::new().to_string();

    // No report database yet.
    let (status, _, stderr) = Example::run(dir, "abandon", &["--abandon", &unknown]);
    assert_eq!(status.code(), Some(1));
    assert!(stderr.contains("no reports in"), "{stderr}");

    // A finished run: nothing to abandon, stop or resume.
    let (status, stdout, stderr) = Example::run(dir, "run", &[]);
    assert!(status.success(), "{stdout}\n{stderr}");
    let id = Reports::open(dir)
        .and_then(|reports| reports.newest())
        .unwrap()
        .summary
        .id
        .to_string();
    for (flag, expected) in [
        ("--abandon", "this needs fetching or syncing"),
        ("--stop", "not syncing"),
        ("--resume", "nothing is left to resume"),
    ] {
        let (status, _, stderr) = Example::run(dir, "refused", &[flag, &id]);
        assert_eq!(status.code(), Some(1), "{flag}: {stderr}");
        assert!(
            stderr.starts_with("error: ") && stderr.lines().count() == 1,
            "{stderr}"
        );
        assert!(stderr.contains(expected), "{flag}: {stderr}");
    }
    let (status, _, stderr) = Example::run(dir, "unknown", &["--resume", &unknown]);
    assert_eq!(status.code(), Some(1));
    assert!(
        stderr.contains(&format!("no sync report {unknown}")),
        "{stderr}"
    );
}
