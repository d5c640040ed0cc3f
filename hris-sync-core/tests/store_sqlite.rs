//! What only the durable store must show (SPEC R13, S4): it survives a restart and a
//! SIGKILL mid-write, keeps its files owner-only, refuses files it cannot read with a typed
//! error, and handles 100,000-employee reports. The shared behaviour is in
//! `store_contract.rs`.

#![cfg(feature = "sqlite")]

mod store_support;

use std::path::Path;

use hris_sync_core::store::{ReportQuery, ReportStore, SqliteReportStore};
use hris_sync_core::{Outcome, RunStatus, StoreError};
use store_support::{created, entries, masters, record, select, summary};

fn all() -> ReportQuery {
    ReportQuery::latest(usize::MAX).with_discarded(true)
}

fn integrity_check(path: &Path) -> String {
    let connection = rusqlite::Connection::open(path).unwrap();
    connection
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .unwrap()
}

/// R13: everything written reads back the same after the store is closed and reopened.
#[tokio::test]
async fn r13_reports_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("reports.db");
    let store = SqliteReportStore::open(&path).unwrap();
    assert_eq!(store.path(), Some(path.as_path()));
    let mut summary = summary();
    store.insert(&summary).await.unwrap();
    summary.status = RunStatus::AwaitingSync;
    store
        .save_plan(&summary, &masters(), &entries(50))
        .await
        .unwrap();
    let (summary, claim) = select(&store, &summary, &[2, 3, 4]).await;
    record(&store, summary.id, claim, 3, created(3))
        .await
        .unwrap();
    let written = store.load(summary.id).await.unwrap().unwrap();
    drop(store);

    let reopened = SqliteReportStore::open(&path).unwrap();
    assert_eq!(reopened.load(summary.id).await.unwrap(), Some(written));
    assert_eq!(
        reopened.list(&ReportQuery::latest(10)).await.unwrap(),
        vec![summary]
    );
    assert_eq!(integrity_check(&path), "ok");
}

/// S4: the database and its write-ahead-log companions are readable by the owner only.
#[cfg(unix)]
#[tokio::test]
async fn s4_database_files_are_owner_only() {
    use std::os::unix::fs::PermissionsExt;

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("reports.db");
    let store = SqliteReportStore::open(&path).unwrap();
    let summary = summary();
    store.insert(&summary).await.unwrap();
    store
        .save_plan(&summary, &masters(), &entries(10))
        .await
        .unwrap();
    // While the store is open, the -wal and -shm files exist.
    for suffix in ["", "-wal", "-shm"] {
        let file = dir.path().join(format!("reports.db{suffix}"));
        let mode = std::fs::metadata(&file)
            .unwrap_or_else(|error| panic!("{}: {error}", file.display()))
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{} has mode {mode:o}", file.display());
    }
}

/// S4: opening an existing file does not change its mode (it is the owner's choice).
#[cfg(unix)]
#[test]
fn s4_an_existing_file_keeps_its_mode() {
    use std::os::unix::fs::PermissionsExt;

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("reports.db");
    drop(SqliteReportStore::open(&path).unwrap());
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
    drop(SqliteReportStore::open(&path).unwrap());
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o640);
}

/// R13: a file that is not a database is refused as Corrupt, naming the file, and is left
/// as it was.
#[test]
fn r13_a_file_that_is_not_a_database_is_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.txt");
    let text = "these are not the reports you are looking for\n".repeat(100);
    std::fs::write(&path, &text).unwrap();
    let error = SqliteReportStore::open(&path).unwrap_err();
    match &error {
        StoreError::Corrupt { message, .. } => {
            assert!(message.contains("notes.txt"), "{message}");
            assert!(message.contains("not an intact"), "{message}");
        }
        other => panic!("expected Corrupt, got {other:?}"),
    }
    assert!(!error.is_retryable());
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
}

/// R13: another application's SQLite database is refused, not written into.
#[test]
fn r13_a_foreign_sqlite_database_is_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.db");
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
        .unwrap();
    let error = SqliteReportStore::open(&path).unwrap_err();
    assert!(
        matches!(&error, StoreError::Corrupt { message, .. } if message.contains("not a hris-sync report database")),
        "{error:?}"
    );
    // Refused as it was found: still in its own journal mode, no log beside it.
    let mode: String = rusqlite::Connection::open(&path)
        .unwrap()
        .query_row("PRAGMA journal_mode", [], |row| row.get(0))
        .unwrap();
    assert_eq!(mode, "delete");
    assert!(!dir.path().join("other.db-wal").exists());
}

/// R13: a version-1 database (before write intents and redaction) is migrated on open and
/// keeps its reports.
#[tokio::test]
async fn r13_a_version_1_database_is_migrated_and_keeps_its_reports() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("reports.db");
    let summary = summary();
    {
        let store = SqliteReportStore::open(&path).unwrap();
        store.insert(&summary).await.unwrap();
        store
            .save_plan(&summary, &masters(), &entries(3))
            .await
            .unwrap();
    }
    // Back to version 1's shape: no intent column, no redacted column.
    let connection = rusqlite::Connection::open(&path).unwrap();
    connection
        .execute_batch(
            "ALTER TABLE entries DROP COLUMN intent; ALTER TABLE reports DROP COLUMN redacted; \
             PRAGMA user_version = 1;",
        )
        .unwrap();
    drop(connection);
    let store = SqliteReportStore::open(&path).unwrap();
    let report = store.load(summary.id).await.unwrap().unwrap();
    assert_eq!(report.entries, entries(3));
    let (_, claim) = select(&store, &summary, &[0]).await;
    let batch = hris_sync_core::ProgressBatch {
        intents: vec![(0, hris_sync_core::WriteIntent::Create)],
        outcomes: Vec::new(),
        withdrawn: Vec::new(),
    };
    store
        .record_progress(summary.id, claim, &batch)
        .await
        .unwrap();
    let version: i64 = rusqlite::Connection::open(&path)
        .unwrap()
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .unwrap();
    assert_eq!(version, 3);
}

/// Issue 10 item 9: an open that fails says the operating system's reason.
#[test]
fn r13_an_open_error_carries_the_os_reason() {
    let dir = tempfile::tempdir().unwrap();
    let error = SqliteReportStore::open(dir.path()).unwrap_err();
    assert!(
        error.to_string().contains("Is a directory"),
        "the OS reason is lost: {error}"
    );
}

/// R13: a database written by a newer schema version is refused with a clear message.
#[test]
fn r13_a_newer_schema_version_is_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("reports.db");
    drop(SqliteReportStore::open(&path).unwrap());
    rusqlite::Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", 4)
        .unwrap();
    let error = SqliteReportStore::open(&path).unwrap_err();
    assert!(
        matches!(&error, StoreError::Corrupt { message, .. }
            if message.contains("schema version 4") && message.contains("newer")),
        "{error:?}"
    );
}

/// The parent directory is the caller's to create: a missing one is a Backend error.
#[test]
fn r13_a_missing_directory_is_a_backend_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing").join("reports.db");
    let error = SqliteReportStore::open(&path).unwrap_err();
    assert!(
        matches!(&error, StoreError::Backend { message, .. } if message.contains("missing")),
        "{error:?}"
    );
    assert!(!dir.path().join("missing").exists());
}

/// R13: a 100,000-employee plan is stored in one call and read back whole; an outcome in
/// it is recorded and read back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r13_a_plan_of_100000_entries_round_trips() {
    const SIZE: usize = 100_000;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("reports.db");
    let store = SqliteReportStore::open(&path).unwrap();
    let summary = summary();
    store.insert(&summary).await.unwrap();
    let entries = entries(SIZE);
    store
        .save_plan(&summary, &masters(), &entries)
        .await
        .unwrap();
    let (summary, claim) = select(&store, &summary, &[0, SIZE - 1]).await;
    record(&store, summary.id, claim, SIZE - 1, created(SIZE - 1))
        .await
        .unwrap();
    drop(store);

    let report = SqliteReportStore::open(&path)
        .unwrap()
        .load(summary.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(report.entries.len(), SIZE);
    assert_eq!(report.entries[0].outcome, Some(Outcome::Pending));
    assert_eq!(report.entries[SIZE - 1].outcome, Some(created(SIZE - 1)));
    assert!(report.entries[1..SIZE - 1]
        .iter()
        .all(|e| e.outcome.is_none()));
    assert_eq!(report.entries[54_321].employee, entries[54_321].employee);
}

/// R13: two stores on one file (as two processes would be) wait for each other's locks
/// instead of failing, and lose nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r13_two_connections_to_one_file_lose_nothing() {
    const ENTRIES: usize = 200;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("reports.db");
    let first = SqliteReportStore::open(&path).unwrap();
    let second = SqliteReportStore::open(&path).unwrap();
    let summary = summary();
    first.insert(&summary).await.unwrap();
    first
        .save_plan(&summary, &masters(), &entries(ENTRIES))
        .await
        .unwrap();
    let every: Vec<usize> = (0..ENTRIES).collect();
    let (summary, claim) = select(&first, &summary, &every).await;
    let mut tasks = tokio::task::JoinSet::new();
    for index in 0..ENTRIES {
        let store = if index.is_multiple_of(2) {
            first.clone()
        } else {
            second.clone()
        };
        let id = summary.id;
        tasks.spawn(async move { record(&store, id, claim, index, created(index)).await });
    }
    while let Some(joined) = tasks.join_next().await {
        joined.unwrap().unwrap();
    }
    let report = second.load(summary.id).await.unwrap().unwrap();
    for (index, entry) in report.entries.iter().enumerate() {
        assert_eq!(entry.outcome, Some(created(index)), "entry {index}");
    }
}

/// The environment variable that turns [`crash_child_writer`] into the crash test's child.
const CHILD_ENV: &str = "HRIS_SYNC_STORE_CRASH_CHILD";
/// Entries in the crash test's applied report.
const CRASH_ENTRIES: usize = 1_500;
/// Entries in each plan the child saves while it records outcomes: more than SQLite's page
/// cache holds, so the transaction writes to the log before it commits.
const CRASH_PLAN_ENTRIES: usize = 20_000;
/// The child saves a plan after this many outcomes.
const PLAN_EVERY: usize = 250;

/// Not a check by itself: with [`CHILD_ENV`] set to a database path, this is the child
/// process of [`r13_sqlite_survives_sigkill_mid_write`]. Like a resumed apply it records an
/// outcome for every Pending entry of every Syncing report, printing `ack <id> <index>`
/// after each returns; every [`PLAN_EVERY`] outcomes it also inserts a report (printing
/// `planning <id>`) and saves a large plan for it (printing `plan <id>`). Without the variable it returns at once.
#[test]
fn crash_child_writer() {
    let Ok(path) = std::env::var(CHILD_ENV) else {
        return;
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let store = SqliteReportStore::open(&path).unwrap();
        let plan = entries(CRASH_PLAN_ENTRIES);
        let mut written = 0usize;
        for summary in store.list(&all()).await.unwrap() {
            if summary.status != RunStatus::Syncing {
                continue;
            }
            // The child carries on as the applier that holds the run's claim.
            let claim = summary.lease.as_ref().unwrap().token;
            let report = store.load(summary.id).await.unwrap().unwrap();
            for (index, entry) in report.entries.iter().enumerate() {
                if entry.outcome != Some(Outcome::Pending) {
                    continue;
                }
                record(&store, summary.id, claim, index, created(index))
                    .await
                    .unwrap();
                println!("ack {} {index}", summary.id);
                written += 1;
                if written.is_multiple_of(PLAN_EVERY) {
                    let mut extra = store_support::summary();
                    extra.status = RunStatus::Fetching;
                    store.insert(&extra).await.unwrap();
                    println!("planning {}", extra.id);
                    extra.status = RunStatus::AwaitingSync;
                    store.save_plan(&extra, &masters(), &plan).await.unwrap();
                    println!("plan {}", extra.id);
                }
            }
        }
    });
}

/// Waits (polling, bounded) until the write-ahead log changes: the child's transaction has
/// begun writing pages. Not a timing assertion: if the bound passes, the kill lands later.
#[cfg(unix)]
fn wait_for_log_write(wal: &Path, child: &std::process::Child) {
    let state = || {
        std::fs::metadata(wal)
            .ok()
            .map(|metadata| (metadata.len(), metadata.modified().ok()))
    };
    let before = state();
    for _ in 0..10_000 {
        if state() != before {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    eprintln!(
        "child {}: the log did not change; killing anyway",
        child.id()
    );
}

/// R13: a process SIGKILLed while recording outcomes and saving plans loses no report and
/// leaves nothing half-written: after each kill the file passes `PRAGMA integrity_check`,
/// every acknowledged outcome is there, every other entry is as before (Pending), and every
/// report has either no entries (killed before its plan committed) or all of them. Rounds
/// continue, like resumes, until the report is complete.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r13_sqlite_survives_sigkill_mid_write() {
    use std::collections::BTreeSet;
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    /// Kills the child if the test fails before it does.
    struct Reap(std::process::Child);
    impl Drop for Reap {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("reports.db");
    let mut summary = summary();
    {
        let store = SqliteReportStore::open(&path).unwrap();
        store.insert(&summary).await.unwrap();
        summary.status = RunStatus::AwaitingSync;
        store
            .save_plan(&summary, &masters(), &entries(CRASH_ENTRIES))
            .await
            .unwrap();
        let every: Vec<usize> = (0..CRASH_ENTRIES).collect();
        summary = select(&store, &summary, &every).await.0;
    }

    let mut acked = BTreeSet::new();
    let mut planned = BTreeSet::new();
    let mut kills = 0;
    let mut kills_mid_plan = 0;
    let wal = dir.path().join("reports.db-wal");
    for round in 0..40 {
        let child = Command::new(std::env::current_exe().unwrap())
            .args([
                "crash_child_writer",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, &path)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut child = Reap(child);
        let stdout = BufReader::new(child.0.stdout.take().unwrap());
        // Even rounds: kill amid outcomes, after a different number each round. Odd rounds:
        // kill amid a plan's transaction, once it has started writing to the log.
        let mid_plan = round % 2 == 1;
        let kill_after = 150 + 37 * round;
        let mut seen = 0;
        let mut killed = false;
        for line in stdout.lines() {
            let line = line.unwrap();
            let mut words = line.split_whitespace();
            match (words.next(), words.next(), words.next()) {
                (Some("ack"), Some(id), Some(index)) => {
                    assert_eq!(id, summary.id.to_string());
                    acked.insert(index.parse::<usize>().unwrap());
                    seen += 1;
                    if !mid_plan && seen == kill_after {
                        child.0.kill().unwrap(); // SIGKILL
                        killed = true;
                        break;
                    }
                }
                (Some("planning"), Some(_), None) if mid_plan => {
                    wait_for_log_write(&wal, &child.0);
                    child.0.kill().unwrap(); // SIGKILL
                    killed = true;
                    kills_mid_plan += 1;
                    break;
                }
                (Some("plan"), Some(id), None) => {
                    planned.insert(id.to_owned());
                }
                _ => {}
            }
        }
        let status = child.0.wait().unwrap();
        if killed {
            kills += 1;
        } else {
            assert!(status.success(), "the child failed: {status}");
        }

        // After the crash: the file is intact and every report whole.
        assert_eq!(integrity_check(&path), "ok", "round {round}");
        let store = SqliteReportStore::open(&path).unwrap();
        let report = store.load(summary.id).await.unwrap().unwrap();
        assert_eq!(report.entries.len(), CRASH_ENTRIES);
        for (index, entry) in report.entries.iter().enumerate() {
            if acked.contains(&index) {
                assert_eq!(entry.outcome, Some(created(index)), "acknowledged {index}");
            } else {
                assert!(
                    entry.outcome == Some(Outcome::Pending)
                        || entry.outcome == Some(created(index)),
                    "entry {index} is {:?}",
                    entry.outcome
                );
            }
        }
        for other in store.list(&all()).await.unwrap() {
            if other.id == summary.id {
                continue;
            }
            let plan = store.load(other.id).await.unwrap().unwrap();
            if planned.contains(&other.id.to_string()) {
                assert_eq!(plan.entries.len(), CRASH_PLAN_ENTRIES);
            } else {
                assert!(
                    plan.entries.is_empty() || plan.entries.len() == CRASH_PLAN_ENTRIES,
                    "report {} has {} entries",
                    other.id,
                    plan.entries.len()
                );
            }
            assert_eq!(
                plan.entries.is_empty(),
                other.status == RunStatus::Fetching,
                "a plan's entries and summary are saved together"
            );
        }
        if !killed {
            break;
        }
    }
    eprintln!(
        "killed {kills} times ({kills_mid_plan} mid-plan); {} outcomes acknowledged, {} plans saved",
        acked.len(),
        planned.len()
    );
    assert!(kills >= 2, "the child was killed {kills} times");
    assert!(kills_mid_plan >= 1, "no kill landed amid a plan");
    let report = SqliteReportStore::open(&path)
        .unwrap()
        .load(summary.id)
        .await
        .unwrap()
        .unwrap();
    for (index, entry) in report.entries.iter().enumerate() {
        assert_eq!(entry.outcome, Some(created(index)), "entry {index}");
    }
}
