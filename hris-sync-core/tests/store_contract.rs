//! The [`ReportStore`] contract (SPEC R13), run against every store in this crate: the
//! in-memory reference, SQLite in memory and SQLite in a file. Each check is a plain async
//! function taking the store; the `contract!` macro turns them into tests per store.

mod store_support;

use std::collections::BTreeSet;
use std::sync::Arc;

use hris_sync_core::store::{ProgressBatch, ReportQuery, ReportStore, RECENT};
use hris_sync_core::{
    ChangeKind, ClaimToken, Field, KindCounts, MasterKind, Outcome, Placement, RecordId, ReportId,
    RunStatus, StoreError, SyncReport, WriteIntent,
};
use store_support::{at, created, entries, masters, record, select, summary, summary_at, syncing};

fn all() -> ReportQuery {
    ReportQuery::latest(usize::MAX).with_discarded(true)
}

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
        assert_eq!(store.list(&all()).await.unwrap().len(), 1);
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
        // A first selection that does not claim the run (the summary stays AwaitingSync),
        // then the claiming one.
        store
            .save_selection(&summary, &Placement::new(), &[1, 2])
            .await
            .unwrap();
        let (summary, claim) = select(&*store, &summary, &[4]).await;
        record(&*store, summary.id, claim, 2, created(2))
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

    pub(super) async fn record_progress_changes_only_that_entry(store: Store) {
        let summary = summary();
        store.insert(&summary).await.unwrap();
        store
            .save_plan(&summary, &masters(), &entries(12))
            .await
            .unwrap();
        let selected: Vec<usize> = (0..12).collect();
        let (summary, claim) = select(&*store, &summary, &selected).await;
        let before = store.load(summary.id).await.unwrap().unwrap();

        let outcome = Outcome::Updated {
            fields: vec![hris_sync_core::Field::Email],
        };
        record(&*store, summary.id, claim, 7, outcome.clone())
            .await
            .unwrap();

        let mut expected = before.clone();
        expected.entries[7].outcome = Some(outcome.clone());
        assert_eq!(store.load(summary.id).await.unwrap().unwrap(), expected);

        // A later outcome for the same entry replaces the earlier one.
        let failed = Outcome::Failed {
            reason: "E000007: the vendor answered 400".into(),
        };
        record(&*store, summary.id, claim, 7, failed.clone())
            .await
            .unwrap();
        expected.entries[7].outcome = Some(failed);
        assert_eq!(store.load(summary.id).await.unwrap().unwrap(), expected);
    }

    pub(super) async fn record_progress_of_an_unknown_index_fails(store: Store) {
        let summary = summary();
        store.insert(&summary).await.unwrap();
        store
            .save_plan(&summary, &masters(), &entries(3))
            .await
            .unwrap();
        let (summary, claim) = select(&*store, &summary, &[0]).await;
        let before = store.load(summary.id).await.unwrap().unwrap();
        for index in [3, usize::MAX] {
            let error = record(&*store, summary.id, claim, index, created(index))
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

        let recent = store.list(&ReportQuery::latest(RECENT)).await.unwrap();
        assert_eq!(recent.len(), RECENT);
        assert_eq!(recent, summaries[..RECENT]);
        assert_eq!(store.list(&all()).await.unwrap(), summaries);
        let three = ReportQuery::latest(3);
        assert_eq!(store.list(&three).await.unwrap(), summaries[..3]);
        assert_eq!(
            store.list(&three.with_offset(3)).await.unwrap(),
            summaries[3..6]
        );
        assert_eq!(
            store.list(&three.with_offset(12)).await.unwrap(),
            summaries[12..]
        );
        assert!(store
            .list(&ReportQuery::latest(0))
            .await
            .unwrap()
            .is_empty());

        // A changed creation time moves the report.
        let mut oldest = summaries.last().unwrap().clone();
        oldest.created_at = at(100);
        store.update_summary(&oldest).await.unwrap();
        assert_eq!(
            store.list(&ReportQuery::latest(1)).await.unwrap(),
            vec![oldest.clone()]
        );

        // Discarded runs are listed only when asked for.
        let mut discarded = oldest.clone();
        discarded.status = RunStatus::Discarded;
        store.transition(&oldest, &discarded).await.unwrap();
        assert_eq!(
            store.list(&ReportQuery::latest(1)).await.unwrap(),
            summaries[..1]
        );
        assert_eq!(
            store
                .list(&ReportQuery::latest(1).with_discarded(true))
                .await
                .unwrap(),
            vec![discarded]
        );
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
        not_found(record(&*store, id, ClaimToken::new(), 0, created(0)).await);
        not_found(store.transition(&unknown, &unknown).await);
        not_found(store.request_stop(id, "admin-1").await);
        not_found(store.finish(ClaimToken::new(), &unknown).await);
        not_found(
            store
                .renew_lease(id, ClaimToken::new(), at(0), at(60))
                .await
                .map(|_| ()),
        );
        assert_eq!(store.load(id).await.unwrap(), None);
        assert_eq!(store.summary(id).await.unwrap(), None);
        assert_eq!(store.list(&all()).await.unwrap().len(), 1);
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

    pub(super) async fn record_progress_records_intents_and_outcomes_together(store: Store) {
        let summary = summary();
        store.insert(&summary).await.unwrap();
        store
            .save_plan(&summary, &masters(), &entries(4))
            .await
            .unwrap();
        let (summary, claim) = select(&*store, &summary, &[0, 1, 2, 3]).await;
        let update = WriteIntent::Update {
            fields: vec![Field::Email],
        };
        let batch = ProgressBatch {
            intents: vec![(0, WriteIntent::Create), (2, update.clone())],
            outcomes: vec![(3, created(3)), (1, created(1))],
        };
        store
            .record_progress(summary.id, claim, &batch)
            .await
            .unwrap();
        let report = store.load(summary.id).await.unwrap().unwrap();
        assert_eq!(
            report
                .entries
                .iter()
                .map(|e| e.outcome.clone())
                .collect::<Vec<_>>(),
            [
                Some(Outcome::Pending),
                Some(created(1)),
                Some(Outcome::Pending),
                Some(created(3))
            ]
        );
        assert_eq!(
            report
                .entries
                .iter()
                .map(|e| e.intent.clone())
                .collect::<Vec<_>>(),
            [Some(WriteIntent::Create), None, Some(update), None]
        );
        // One bad index refuses the whole batch.
        let bad = ProgressBatch {
            intents: vec![(1, WriteIntent::Create)],
            outcomes: vec![(0, created(0)), (9, created(9))],
        };
        let error = store
            .record_progress(summary.id, claim, &bad)
            .await
            .unwrap_err();
        assert!(
            matches!(error, StoreError::NoSuchEntry { index: 9, .. }),
            "{error}"
        );
        assert_eq!(store.load(summary.id).await.unwrap().unwrap(), report);
    }

    /// Contract point 10: only the holder of the current claim records, renews or finishes.
    pub(super) async fn claimed_calls_refuse_a_caller_without_the_claim(store: Store) {
        let summary = summary();
        store.insert(&summary).await.unwrap();
        store
            .save_plan(&summary, &masters(), &entries(3))
            .await
            .unwrap();
        let stranger = ClaimToken::new();
        let claim_lost = |result: Result<(), StoreError>| {
            assert!(
                matches!(result, Err(StoreError::ClaimLost { .. })),
                "{result:?}"
            );
        };
        // Not claimed at all yet.
        claim_lost(record(&*store, summary.id, stranger, 0, created(0)).await);

        let (claimed, claim) = select(&*store, &summary, &[0, 1, 2]).await;
        let before = store.load(summary.id).await.unwrap().unwrap();
        claim_lost(record(&*store, summary.id, stranger, 0, created(0)).await);
        claim_lost(
            store
                .renew_lease(summary.id, stranger, at(10), at(70))
                .await
                .map(|_| ()),
        );
        let mut ended = claimed.clone();
        ended.status = RunStatus::Completed;
        ended.lease = None;
        claim_lost(store.finish(stranger, &ended).await);
        assert_eq!(store.load(summary.id).await.unwrap().unwrap(), before);

        // A renewal since the read refuses a transition based on it: the applier is alive.
        let mut renewed = claimed.clone();
        renewed.lease.as_mut().unwrap().expires_at = at(500);
        store
            .renew_lease(summary.id, claim, claimed.updated_at, at(500))
            .await
            .unwrap();
        let mut stale_abandon = claimed.clone();
        stale_abandon.status = RunStatus::Interrupted;
        stale_abandon.lease = None;
        assert!(matches!(
            store.transition(&claimed, &stale_abandon).await,
            Err(StoreError::StatusChanged { .. })
        ));
        let claimed = store.summary(summary.id).await.unwrap().unwrap();
        assert_eq!(claimed.lease, renewed.lease);

        // Another engine declares the run abandoned and takes it over: the old claim is dead.
        let mut abandoned = claimed.clone();
        abandoned.status = RunStatus::Interrupted;
        abandoned.lease = None;
        store.transition(&claimed, &abandoned).await.unwrap();
        claim_lost(record(&*store, summary.id, claim, 0, created(0)).await);
        let (taken, new_claim) = syncing(&abandoned);
        store.transition(&abandoned, &taken).await.unwrap();
        claim_lost(record(&*store, summary.id, claim, 0, created(0)).await);
        claim_lost(store.finish(claim, &ended).await);
        record(&*store, summary.id, new_claim, 0, created(0))
            .await
            .unwrap();
        store.finish(new_claim, &ended).await.unwrap();
        assert_eq!(store.summary(summary.id).await.unwrap(), Some(ended));
        // After finish the claim is gone too.
        claim_lost(record(&*store, summary.id, new_claim, 1, created(1)).await);
    }

    /// Contract point 11: a stop request reaches the holder at its next renewal, and a
    /// renewal changes nothing but the lease's times.
    pub(super) async fn stop_requests_reach_the_holder_through_renewal(store: Store) {
        let summary = summary();
        store.insert(&summary).await.unwrap();
        store
            .save_plan(&summary, &masters(), &entries(2))
            .await
            .unwrap();
        let refused = store.request_stop(summary.id, "admin-2").await.unwrap_err();
        assert!(
            matches!(
                refused,
                StoreError::StatusChanged {
                    status: RunStatus::AwaitingSync,
                    ..
                }
            ),
            "{refused:?}"
        );
        let (claimed, claim) = select(&*store, &summary, &[0, 1]).await;
        assert_eq!(
            store
                .renew_lease(summary.id, claim, at(20), at(80))
                .await
                .unwrap(),
            None
        );
        let mut expected = claimed.clone();
        let lease = expected.lease.as_mut().unwrap();
        lease.renewed_at = at(20);
        lease.expires_at = at(80);
        assert_eq!(
            store.summary(summary.id).await.unwrap(),
            Some(expected.clone())
        );

        store.request_stop(summary.id, "admin-2").await.unwrap();
        expected.stop_requested = Some("admin-2".into());
        assert_eq!(store.summary(summary.id).await.unwrap(), Some(expected));
        assert_eq!(
            store
                .renew_lease(summary.id, claim, at(40), at(100))
                .await
                .unwrap()
                .as_deref(),
            Some("admin-2")
        );
    }

    pub(super) async fn concurrent_record_progress_loses_nothing(store: Store) {
        const ENTRIES: usize = 300;
        let summary = summary();
        store.insert(&summary).await.unwrap();
        store
            .save_plan(&summary, &masters(), &entries(ENTRIES))
            .await
            .unwrap();
        let every: Vec<usize> = (0..ENTRIES).collect();
        let (summary, claim) = select(&*store, &summary, &every).await;

        // Outcomes from many tasks, interleaved with summary updates and other reports.
        let mut tasks = tokio::task::JoinSet::new();
        for index in 0..ENTRIES {
            let store = store.clone();
            let header = summary.clone();
            tasks.spawn(async move {
                record(&*store, header.id, claim, index, created(index))
                    .await
                    .unwrap();
                if index.is_multiple_of(50) {
                    let renewed_at = at(i64::try_from(index).unwrap());
                    store
                        .renew_lease(header.id, claim, renewed_at, at(1_000))
                        .await
                        .unwrap();
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
            store.list(&all()).await.unwrap().len(),
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
        }
        let (_, claim) = select(&*store, &first, &[0, 1, 2, 3]).await;
        select(&*store, &second, &[0, 1, 2, 3]).await;
        record(
            &*store,
            first.id,
            claim,
            1,
            Outcome::Created {
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
            .list(&all())
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
                record_progress_records_intents_and_outcomes_together,
                claimed_calls_refuse_a_caller_without_the_claim,
                stop_requests_reach_the_holder_through_renewal,
                transition_claims_only_an_unchanged_summary,
                save_plan_replaces_the_entries_stored_before,
                save_selection_marks_exactly_the_given_indices_pending,
                save_selection_leaves_other_outcomes_alone,
                save_selection_of_an_unknown_index_changes_nothing,
                record_progress_changes_only_that_entry,
                record_progress_of_an_unknown_index_fails,
                list_is_newest_first_and_honours_the_limit,
                unknown_ids_are_not_found,
                concurrent_record_progress_loses_nothing,
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
