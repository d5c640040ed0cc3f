//! The [`ReportStore`] contract (SPEC R13), run against every store in this crate: the
//! in-memory reference, SQLite in memory and SQLite in a file. Each check is a plain async
//! function taking the store; the `contract!` macro turns them into tests per store.

mod store_support;

use std::collections::BTreeSet;
use std::sync::Arc;

use hris_sync_core::store::{ReportStore, RECENT};
use hris_sync_core::{
    ChangeKind, KindCounts, MasterKind, Outcome, Placement, RecordId, ReportId, RunStatus,
    StoreError, SyncReport,
};
use store_support::{at, created, entries, masters, summary, summary_at};

type Store = Arc<dyn ReportStore>;

mod contract {
    use super::*;

    pub(super) async fn insert_then_summary_and_load_round_trip(store: Store) {
        let summary = summary();
        store.insert(&summary).await.unwrap();
        assert_eq!(
            store.summary(summary.id).await.unwrap(),
            Some(summary.clone())
        );
        assert_eq!(
            store.load(summary.id).await.unwrap(),
            Some(SyncReport {
                summary,
                masters: Default::default(),
                placement: None,
                entries: Vec::new(),
            })
        );
    }

    pub(super) async fn insert_of_an_existing_id_fails_and_keeps_the_original(store: Store) {
        let original = summary();
        store.insert(&original).await.unwrap();
        let mut again = original.clone();
        again.vendor = "another vendor".into();
        let error = store.insert(&again).await.unwrap_err();
        assert!(
            matches!(error, StoreError::AlreadyExists(id) if id == original.id),
            "{error}"
        );
        assert!(!error.is_retryable());
        assert_eq!(store.summary(original.id).await.unwrap(), Some(original));
        assert_eq!(store.list(usize::MAX).await.unwrap().len(), 1);
    }

    pub(super) async fn update_summary_replaces_the_header_only(store: Store) {
        let mut summary = summary();
        store.insert(&summary).await.unwrap();
        let entries = entries(8);
        store
            .save_plan(&summary, &masters(), &entries)
            .await
            .unwrap();

        summary.status = RunStatus::Failed;
        summary.failure = Some("the vendor refused the token".into());
        summary.updated_at = at(60);
        summary.counts = KindCounts::of(&entries);
        store.update_summary(&summary).await.unwrap();

        let report = store.load(summary.id).await.unwrap().unwrap();
        assert_eq!(report.summary, summary);
        assert_eq!(report.entries, entries);
        assert_eq!(report.masters, masters());
        assert_eq!(store.summary(summary.id).await.unwrap(), Some(summary));
    }

    pub(super) async fn save_plan_stores_entries_masters_and_summary(store: Store) {
        let mut summary = summary();
        store.insert(&summary).await.unwrap();
        let mut entries = entries(41);
        // An outcome given with the plan is kept too.
        entries[3].outcome = Some(Outcome::Skipped {
            reason: "already there".into(),
        });
        summary.status = RunStatus::AwaitingSync;
        summary.counts = KindCounts::of(&entries);
        store
            .save_plan(&summary, &masters(), &entries)
            .await
            .unwrap();

        let report = store.load(summary.id).await.unwrap().unwrap();
        assert_eq!(report.summary, summary);
        assert_eq!(report.masters, masters());
        assert_eq!(report.placement, None);
        assert_eq!(report.entries, entries);
        assert!(report.entries.iter().any(|e| e.kind == ChangeKind::Invalid));
        assert!(report.entries.iter().any(|e| !e.differences.is_empty()));
        assert_eq!(store.summary(summary.id).await.unwrap(), Some(summary));
    }

    pub(super) async fn save_plan_replaces_the_entries_stored_before(store: Store) {
        let summary = summary();
        store.insert(&summary).await.unwrap();
        store
            .save_plan(&summary, &masters(), &entries(30))
            .await
            .unwrap();
        let fewer = entries(5)
            .into_iter()
            .map(|mut entry| {
                entry.code = hris_sync_core::EmployeeCode::new(format!("X{}", entry.code));
                entry
            })
            .collect::<Vec<_>>();
        store
            .save_plan(&summary, &Default::default(), &fewer)
            .await
            .unwrap();
        let report = store.load(summary.id).await.unwrap().unwrap();
        assert_eq!(report.entries, fewer);
        assert!(report.masters.is_empty());
    }

    pub(super) async fn save_selection_marks_exactly_the_given_indices_pending(store: Store) {
        let mut summary = summary();
        store.insert(&summary).await.unwrap();
        let entries = entries(20);
        store
            .save_plan(&summary, &masters(), &entries)
            .await
            .unwrap();

        let placement = Placement::new()
            .with(MasterKind::Division, "1000")
            .with(MasterKind::EmploymentType, "1");
        let selected = [0, 1, 5, 18];
        summary.status = RunStatus::Syncing;
        summary.applied_by = Some(hris_sync_core::Actor::administrator("admin-2"));
        store
            .save_selection(&summary, &placement, &selected)
            .await
            .unwrap();

        let report = store.load(summary.id).await.unwrap().unwrap();
        assert_eq!(report.summary, summary);
        assert_eq!(report.placement, Some(placement));
        for (index, entry) in report.entries.iter().enumerate() {
            let expected = selected.contains(&index).then_some(Outcome::Pending);
            assert_eq!(entry.outcome, expected, "entry {index}");
            let mut unchanged = entry.clone();
            unchanged.outcome = None;
            assert_eq!(unchanged, entries[index], "entry {index}");
        }
    }

    pub(super) async fn save_selection_leaves_other_outcomes_alone(store: Store) {
        let summary = summary();
        store.insert(&summary).await.unwrap();
        store
            .save_plan(&summary, &masters(), &entries(6))
            .await
            .unwrap();
        store
            .save_selection(&summary, &Placement::new(), &[1, 2])
            .await
            .unwrap();
        store
            .record_outcome(summary.id, 2, &created(2))
            .await
            .unwrap();
        store
            .save_selection(&summary, &Placement::new(), &[4])
            .await
            .unwrap();
        let outcomes = outcomes(&*store, summary.id).await;
        assert_eq!(
            outcomes,
            vec![
                None,
                Some(Outcome::Pending),
                Some(created(2)),
                None,
                Some(Outcome::Pending),
                None
            ]
        );
    }

    pub(super) async fn save_selection_of_an_unknown_index_changes_nothing(store: Store) {
        let summary = summary();
        store.insert(&summary).await.unwrap();
        store
            .save_plan(&summary, &masters(), &entries(4))
            .await
            .unwrap();
        let before = store.load(summary.id).await.unwrap().unwrap();

        let mut changed = summary.clone();
        changed.status = RunStatus::Syncing;
        let error = store
            .save_selection(&changed, &Placement::new(), &[0, 4])
            .await
            .unwrap_err();
        assert!(
            matches!(&error, StoreError::NoSuchEntry { index: 4, .. }),
            "{error:?}"
        );
        assert_eq!(store.load(summary.id).await.unwrap().unwrap(), before);
    }

    pub(super) async fn record_outcome_changes_only_that_entry(store: Store) {
        let summary = summary();
        store.insert(&summary).await.unwrap();
        store
            .save_plan(&summary, &masters(), &entries(12))
            .await
            .unwrap();
        let selected: Vec<usize> = (0..12).collect();
        store
            .save_selection(&summary, &Placement::new(), &selected)
            .await
            .unwrap();
        let before = store.load(summary.id).await.unwrap().unwrap();

        let outcome = Outcome::Updated {
            fields: vec![hris_sync_core::Field::Email],
        };
        store.record_outcome(summary.id, 7, &outcome).await.unwrap();

        let mut expected = before.clone();
        expected.entries[7].outcome = Some(outcome.clone());
        assert_eq!(store.load(summary.id).await.unwrap().unwrap(), expected);

        // A later outcome for the same entry replaces the earlier one.
        let failed = Outcome::Failed {
            reason: "E000007: the vendor answered 400".into(),
        };
        store.record_outcome(summary.id, 7, &failed).await.unwrap();
        expected.entries[7].outcome = Some(failed);
        assert_eq!(store.load(summary.id).await.unwrap().unwrap(), expected);
    }

    pub(super) async fn record_outcome_of_an_unknown_index_fails(store: Store) {
        let summary = summary();
        store.insert(&summary).await.unwrap();
        store
            .save_plan(&summary, &masters(), &entries(3))
            .await
            .unwrap();
        let before = store.load(summary.id).await.unwrap().unwrap();
        for index in [3, usize::MAX] {
            let error = store
                .record_outcome(summary.id, index, &created(index))
                .await
                .unwrap_err();
            assert!(
                matches!(&error, StoreError::NoSuchEntry { index: found, .. } if *found == index),
                "{error:?}"
            );
        }
        assert_eq!(store.load(summary.id).await.unwrap().unwrap(), before);
    }

    pub(super) async fn list_is_newest_first_and_honours_the_limit(store: Store) {
        // Created out of order, two at the same instant (then the higher id first).
        let seconds = [5, 1, 12, 7, 3, 9, 9, 0, 11, 2, 8, 4, 6];
        let mut summaries = Vec::new();
        for second in seconds {
            let summary = summary_at(at(second));
            store.insert(&summary).await.unwrap();
            summaries.push(summary);
        }
        summaries.sort_by_key(|summary| std::cmp::Reverse((summary.created_at, summary.id)));

        let recent = store.list(RECENT).await.unwrap();
        assert_eq!(recent.len(), RECENT);
        assert_eq!(recent, summaries[..RECENT]);
        assert_eq!(store.list(usize::MAX).await.unwrap(), summaries);
        assert_eq!(store.list(3).await.unwrap(), summaries[..3]);
        assert!(store.list(0).await.unwrap().is_empty());

        // A changed creation time moves the report.
        let mut oldest = summaries.last().unwrap().clone();
        oldest.created_at = at(100);
        store.update_summary(&oldest).await.unwrap();
        assert_eq!(store.list(1).await.unwrap(), vec![oldest]);
    }

    pub(super) async fn unknown_ids_are_not_found(store: Store) {
        store.insert(&summary()).await.unwrap();
        let unknown = summary();
        let id = unknown.id;
        let not_found = |result: Result<(), StoreError>| {
            assert!(
                matches!(result, Err(StoreError::NotFound(missing)) if missing == id),
                "{result:?}"
            );
        };
        not_found(store.update_summary(&unknown).await);
        not_found(store.save_plan(&unknown, &masters(), &entries(2)).await);
        not_found(
            store
                .save_selection(&unknown, &Placement::new(), &[0])
                .await,
        );
        not_found(store.record_outcome(id, 0, &created(0)).await);
        not_found(store.transition(&unknown, &unknown).await);
        assert_eq!(store.load(id).await.unwrap(), None);
        assert_eq!(store.summary(id).await.unwrap(), None);
        assert_eq!(store.list(usize::MAX).await.unwrap().len(), 1);
    }

    /// Contract point 8: only one of two engines can start applying a report.
    pub(super) async fn save_selection_refuses_a_report_no_longer_awaiting_sync(store: Store) {
        let mut summary = summary();
        store.insert(&summary).await.unwrap();
        store
            .save_plan(&summary, &masters(), &entries(3))
            .await
            .unwrap();
        summary.status = RunStatus::Syncing;
        store
            .save_selection(&summary, &Placement::new(), &[0])
            .await
            .unwrap();
        let second = store
            .save_selection(
                &summary,
                &Placement::new().with(MasterKind::Office, "X"),
                &[1],
            )
            .await
            .unwrap_err();
        assert!(
            matches!(
                second,
                StoreError::StatusChanged {
                    status: RunStatus::Syncing,
                    ..
                }
            ),
            "{second:?}"
        );
        let report = store.load(summary.id).await.unwrap().unwrap();
        assert_eq!(report.placement, Some(Placement::new()), "nothing changed");
        assert_eq!(
            outcomes(&*store, summary.id).await,
            [Some(Outcome::Pending), None, None]
        );
    }

    /// Contract point 9: a transition succeeds only on the summary the caller read.
    pub(super) async fn transition_claims_only_an_unchanged_summary(store: Store) {
        let read = summary();
        store.insert(&read).await.unwrap();
        let mut first = read.clone();
        first.status = RunStatus::Syncing;
        first.updated_at += chrono::Duration::seconds(1);
        first.applied_by = Some(hris_sync_core::Actor::administrator("admin-2"));
        store.transition(&read, &first).await.unwrap();

        let mut second = read.clone();
        second.status = RunStatus::Syncing;
        second.updated_at += chrono::Duration::seconds(2);
        second.applied_by = Some(hris_sync_core::Actor::administrator("admin-3"));
        let refused = store.transition(&read, &second).await.unwrap_err();
        assert!(
            matches!(
                refused,
                StoreError::StatusChanged {
                    status: RunStatus::Syncing,
                    ..
                }
            ),
            "{refused:?}"
        );
        assert!(!refused.is_retryable());
        assert_eq!(store.summary(read.id).await.unwrap(), Some(first.clone()));
        // The same status with another updated_at is a change too.
        let mut stale = first.clone();
        stale.updated_at += chrono::Duration::seconds(5);
        assert!(store.transition(&stale, &second).await.is_err());
        store.transition(&first, &second).await.unwrap();
        assert_eq!(store.summary(read.id).await.unwrap(), Some(second));
    }

    pub(super) async fn record_outcomes_records_a_batch(store: Store) {
        let mut summary = summary();
        store.insert(&summary).await.unwrap();
        store
            .save_plan(&summary, &masters(), &entries(4))
            .await
            .unwrap();
        summary.status = RunStatus::Syncing;
        store
            .save_selection(&summary, &Placement::new(), &[0, 1, 2, 3])
            .await
            .unwrap();
        store
            .record_outcomes(summary.id, &[(3, created(3)), (1, created(1))])
            .await
            .unwrap();
        assert_eq!(
            outcomes(&*store, summary.id).await,
            [
                Some(Outcome::Pending),
                Some(created(1)),
                Some(Outcome::Pending),
                Some(created(3))
            ]
        );
        let error = store
            .record_outcomes(summary.id, &[(9, created(9))])
            .await
            .unwrap_err();
        assert!(
            matches!(error, StoreError::NoSuchEntry { index: 9, .. }),
            "{error}"
        );
    }

    pub(super) async fn concurrent_record_outcome_loses_nothing(store: Store) {
        const ENTRIES: usize = 300;
        let summary = summary();
        store.insert(&summary).await.unwrap();
        store
            .save_plan(&summary, &masters(), &entries(ENTRIES))
            .await
            .unwrap();
        let all: Vec<usize> = (0..ENTRIES).collect();
        store
            .save_selection(&summary, &Placement::new(), &all)
            .await
            .unwrap();

        // Outcomes from many tasks, interleaved with summary updates and other reports.
        let mut tasks = tokio::task::JoinSet::new();
        for index in 0..ENTRIES {
            let store = store.clone();
            let mut header = summary.clone();
            tasks.spawn(async move {
                store
                    .record_outcome(header.id, index, &created(index))
                    .await
                    .unwrap();
                if index.is_multiple_of(50) {
                    header.updated_at = at(i64::try_from(index).unwrap());
                    store.update_summary(&header).await.unwrap();
                    store.insert(&summary_at(at(-1))).await.unwrap();
                }
            });
        }
        while let Some(joined) = tasks.join_next().await {
            joined.unwrap();
        }

        let outcomes = outcomes(&*store, summary.id).await;
        assert_eq!(outcomes.len(), ENTRIES);
        for (index, outcome) in outcomes.into_iter().enumerate() {
            assert_eq!(outcome, Some(created(index)), "entry {index}");
        }
        assert_eq!(
            store.list(usize::MAX).await.unwrap().len(),
            1 + ENTRIES.div_ceil(50)
        );
    }

    pub(super) async fn reports_are_kept_apart(store: Store) {
        let first = summary();
        let second = summary();
        for summary in [&first, &second] {
            store.insert(summary).await.unwrap();
            store
                .save_plan(summary, &masters(), &entries(4))
                .await
                .unwrap();
            store
                .save_selection(summary, &Placement::new(), &[0, 1, 2, 3])
                .await
                .unwrap();
        }
        store
            .record_outcome(
                first.id,
                1,
                &Outcome::Created {
                    id: RecordId::new("only-first"),
                },
            )
            .await
            .unwrap();
        let second_outcomes = outcomes(&*store, second.id).await;
        assert!(second_outcomes
            .iter()
            .all(|outcome| outcome == &Some(Outcome::Pending)));
        let ids: BTreeSet<ReportId> = store
            .list(usize::MAX)
            .await
            .unwrap()
            .into_iter()
            .map(|summary| summary.id)
            .collect();
        assert_eq!(ids, BTreeSet::from([first.id, second.id]));
    }

    async fn outcomes(store: &dyn ReportStore, id: ReportId) -> Vec<Option<Outcome>> {
        store
            .load(id)
            .await
            .unwrap()
            .unwrap()
            .entries
            .into_iter()
            .map(|entry| entry.outcome)
            .collect()
    }
}

/// A store under test, with whatever must outlive it (a temporary directory).
struct Subject {
    store: Store,
    _keep: Option<tempfile::TempDir>,
}

fn memory() -> Subject {
    Subject {
        store: Arc::new(hris_sync_core::store::MemoryReportStore::new()),
        _keep: None,
    }
}

#[cfg(feature = "sqlite")]
fn sqlite_in_memory() -> Subject {
    Subject {
        store: Arc::new(hris_sync_core::store::SqliteReportStore::open_in_memory().unwrap()),
        _keep: None,
    }
}

#[cfg(feature = "sqlite")]
fn sqlite_file() -> Subject {
    let dir = tempfile::tempdir().unwrap();
    let store =
        hris_sync_core::store::SqliteReportStore::open(dir.path().join("reports.db")).unwrap();
    Subject {
        store: Arc::new(store),
        _keep: Some(dir),
    }
}

macro_rules! contract {
    ($store:ident: $($check:ident),* $(,)?) => {
        mod $store {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $check() {
                    let subject = super::$store();
                    super::contract::$check(subject.store.clone()).await;
                }
            )*
        }
    };
    ($($store:ident),* $(,)?) => {
        $(
            contract!($store:
                insert_then_summary_and_load_round_trip,
                insert_of_an_existing_id_fails_and_keeps_the_original,
                update_summary_replaces_the_header_only,
                save_plan_stores_entries_masters_and_summary,
                save_selection_refuses_a_report_no_longer_awaiting_sync,
                record_outcomes_records_a_batch,
                transition_claims_only_an_unchanged_summary,
                save_plan_replaces_the_entries_stored_before,
                save_selection_marks_exactly_the_given_indices_pending,
                save_selection_leaves_other_outcomes_alone,
                save_selection_of_an_unknown_index_changes_nothing,
                record_outcome_changes_only_that_entry,
                record_outcome_of_an_unknown_index_fails,
                list_is_newest_first_and_honours_the_limit,
                unknown_ids_are_not_found,
                concurrent_record_outcome_loses_nothing,
                reports_are_kept_apart,
            );
        )*
    };
}

mod r13_contract {
    use super::*;

    contract!(memory);
    #[cfg(feature = "sqlite")]
    contract!(sqlite_in_memory, sqlite_file);
}
