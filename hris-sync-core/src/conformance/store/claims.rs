//! The contract's points on sharing a store: claims, transitions, leases, stop requests
//! and concurrent writers (points 5, 8–11).

use std::collections::BTreeSet;

use super::fixtures::{
    at, created, entries, masters, outcomes, record, select, summary, summary_at, syncing,
};
use super::{all, Store};
use crate::store::ProgressBatch;
use crate::{
    ClaimToken, Field, MasterKind, Outcome, Placement, RecordId, ReportId, RunStatus, StoreError,
    WriteIntent,
};

/// Contract point 8: only one of two engines can start applying a report.
pub async fn save_selection_refuses_a_report_no_longer_awaiting_sync(store: Store) {
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
pub async fn transition_claims_only_an_unchanged_summary(store: Store) {
    let read = summary();
    store.insert(&read).await.unwrap();
    let mut first = read.clone();
    first.status = RunStatus::Syncing;
    first.updated_at += chrono::Duration::seconds(1);
    first.applied_by = Some(crate::Actor::administrator("admin-2"));
    store.transition(&read, &first).await.unwrap();

    let mut second = read.clone();
    second.status = RunStatus::Syncing;
    second.updated_at += chrono::Duration::seconds(2);
    second.applied_by = Some(crate::Actor::administrator("admin-3"));
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

/// Checks that record progress records intents and outcomes together.
pub async fn record_progress_records_intents_and_outcomes_together(store: Store) {
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
        withdrawn: Vec::new(),
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
        withdrawn: Vec::new(),
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
pub async fn claimed_calls_refuse_a_caller_without_the_claim(store: Store) {
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
pub async fn stop_requests_reach_the_holder_through_renewal(store: Store) {
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

/// Checks that concurrent record progress loses nothing.
pub async fn concurrent_record_progress_loses_nothing(store: Store) {
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

/// Checks that reports are kept apart.
pub async fn reports_are_kept_apart(store: Store) {
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
