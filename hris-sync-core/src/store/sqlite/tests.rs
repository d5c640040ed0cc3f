//! What only the SQLite store's internals can show; the shared behaviour is in
//! `tests/store_contract.rs`, files and crashes in `tests/store_sqlite.rs`.

use super::*;
use crate::actor::Actor;
use crate::report::{Direction, KindCounts, RunStatus};

fn summary() -> ReportSummary {
    let now = chrono::Utc::now();
    ReportSummary {
        id: ReportId::new(),
        vendor: "test".into(),
        hr_system: "test".into(),
        direction: Direction::Export,
        base_date: now.date_naive(),
        actor: Actor::administrator("admin"),
        applied_by: None,
        created_at: now,
        updated_at: now,
        status: RunStatus::AwaitingSync,
        failure: None,
        counts: KindCounts::default(),
        lease: None,
        stop_requested: None,
        warnings: Vec::new(),
    }
}

fn plan_of(connection: &Connection, sql: &str) -> String {
    let mut explain = connection
        .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
        .unwrap();
    let details = explain
        .query_map([], |row| row.get::<_, String>(3))
        .unwrap()
        .collect::<rusqlite::Result<Vec<_>>>()
        .unwrap();
    details.join("; ")
}

/// R13: recording an outcome is found through the primary key (cost independent of
/// the report's size), and listing walks the newest-first index without sorting.
#[test]
fn r13_outcome_update_and_list_use_indexes() {
    let store = SqliteReportStore::open_in_memory().unwrap();
    let connection = store.inner.connection.lock().unwrap();
    let update = plan_of(
        &connection,
        "UPDATE entries SET outcome = 'x' WHERE report_id = 'r' AND idx = 1",
    );
    assert!(
        update.contains("USING PRIMARY KEY (report_id=? AND idx=?)"),
        "{update}"
    );
    let list = plan_of(
        &connection,
        "SELECT id, summary FROM reports WHERE 0 OR status <> 'discarded' \
         ORDER BY created_secs DESC, created_nanos DESC, id DESC LIMIT 10 OFFSET 10",
    );
    assert!(list.contains("USING INDEX reports_newest_first"), "{list}");
    assert!(!list.contains("TEMP B-TREE"), "{list}");
}

/// R13: recording an outcome in a large report changes exactly one row.
#[tokio::test]
async fn r13_record_progress_writes_one_row_per_outcome_whatever_the_size() {
    use crate::store::ReportStore;
    let store = SqliteReportStore::open_in_memory().unwrap();
    let summary = summary();
    store.insert(&summary).await.unwrap();
    let entries = (0..20_000)
        .map(|n| ReportEntry {
            code: crate::model::EmployeeCode::new(format!("E{n:06}")),
            kind: crate::report::ChangeKind::New,
            invalid_reason: None,
            differences: Vec::new(),
            warnings: Vec::new(),
            employee: crate::model::Employee::new(format!("E{n:06}")).with_name("山田", "太郎"),
            target_id: None,
            outcome: None,
            intent: None,
        })
        .collect::<Vec<_>>();
    store
        .save_plan(&summary, &BTreeMap::new(), &entries)
        .await
        .unwrap();
    let claim = ClaimToken::new();
    let syncing = ReportSummary {
        status: RunStatus::Syncing,
        lease: Some(crate::report::Lease {
            token: claim,
            holder: "test".into(),
            renewed_at: summary.created_at,
            expires_at: summary.created_at + chrono::Duration::minutes(1),
        }),
        ..summary.clone()
    };
    store
        .save_selection(&syncing, &crate::model::Placement::new(), &[12_345])
        .await
        .unwrap();
    let before = store.inner.connection.lock().unwrap().total_changes();
    let batch = ProgressBatch {
        intents: Vec::new(),
        outcomes: vec![(
            12_345,
            Outcome::Skipped {
                reason: "test".into(),
            },
        )],
        withdrawn: Vec::new(),
    };
    store
        .record_progress(summary.id, claim, &batch)
        .await
        .unwrap();
    let after = store.inner.connection.lock().unwrap().total_changes();
    assert_eq!(after - before, 1);
}
