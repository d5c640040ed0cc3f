//! The contract's points on housekeeping: declaring expired runs abandoned (point 12) and
//! purging old reports (point 13).

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

use super::fixtures::{at, created, entries, masters, record, select, summary_at};
use super::{all, Store};
use crate::store::{abandoned, redact_entry, PurgeMode, PurgeReport, ReportStore};
use crate::{ClaimToken, Placement, ReportId, ReportSummary, RunStatus, StoreError, SyncReport};

/// A report created at `created_at` with three entries, claimed by an applier whose lease
/// runs out at `expires_at`.
async fn syncing_until(
    store: &dyn ReportStore,
    created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> (ReportSummary, ClaimToken) {
    let summary = summary_at(created_at);
    store.insert(&summary).await.unwrap();
    store
        .save_plan(&summary, &masters(), &entries(3))
        .await
        .unwrap();
    let (mut claimed, claim) = select(store, &summary, &[0, 1, 2]).await;
    store
        .renew_lease(summary.id, claim, created_at, expires_at)
        .await
        .unwrap();
    let lease = claimed.lease.as_mut().unwrap();
    lease.renewed_at = created_at;
    lease.expires_at = expires_at;
    (claimed, claim)
}

/// Contract point 12: only Syncing runs whose lease has expired are declared abandoned,
/// the earliest expired first, each as [`abandoned`] says; the old holder loses its claim.
pub async fn abandon_expired_takes_only_runs_whose_lease_expired(store: Store) {
    let (early, early_claim) = syncing_until(&*store, at(0), at(60)).await;
    let (late, _) = syncing_until(&*store, at(1), at(600)).await;
    let (middle, _) = syncing_until(&*store, at(2), at(400)).await;
    let waiting = summary_at(at(3));
    store.insert(&waiting).await.unwrap();
    let mut stopped = summary_at(at(4));
    store.insert(&stopped).await.unwrap();
    let interrupted = ReportSummary {
        status: RunStatus::Interrupted,
        ..stopped.clone()
    };
    store.transition(&stopped, &interrupted).await.unwrap();
    stopped = interrupted;

    // One nanosecond before the lease runs out it is still fresh.
    let fresh_until = at(60) - chrono::Duration::nanoseconds(1);
    assert_eq!(
        store
            .abandon_expired(fresh_until, "admin-9", 10)
            .await
            .unwrap(),
        Vec::new()
    );
    let taken = store.abandon_expired(at(60), "admin-9", 10).await.unwrap();
    let expected = abandoned(&early, at(60), "admin-9");
    assert_eq!(taken, vec![expected.clone()]);
    assert_eq!(expected.status, RunStatus::Interrupted);
    assert_eq!(store.summary(early.id).await.unwrap(), Some(expected));
    assert!(matches!(
        record(&*store, early.id, early_claim, 0, created(0)).await,
        Err(StoreError::ClaimLost { .. })
    ));
    assert_eq!(
        store.abandon_expired(at(60), "admin-9", 10).await.unwrap(),
        Vec::new(),
        "an abandoned run is not taken twice"
    );

    // The limit takes the earliest expired lease first.
    let first = store
        .abandon_expired(at(1_000), "admin-9", 1)
        .await
        .unwrap();
    assert_eq!(first, vec![abandoned(&middle, at(1_000), "admin-9")]);
    let rest = store
        .abandon_expired(at(1_000), "admin-9", 10)
        .await
        .unwrap();
    assert_eq!(rest, vec![abandoned(&late, at(1_000), "admin-9")]);
    assert_eq!(store.summary(waiting.id).await.unwrap(), Some(waiting));
    assert_eq!(store.summary(stopped.id).await.unwrap(), Some(stopped));
}

/// Contract point 12: callers recovering at the same time never take the same run.
pub async fn abandon_expired_gives_each_run_to_one_caller(store: Store) {
    const RUNS: usize = 24;
    let mut ids = BTreeSet::new();
    for n in 0..RUNS {
        let seconds = i64::try_from(n).unwrap();
        let (claimed, _) = syncing_until(&*store, at(seconds), at(100 + seconds)).await;
        ids.insert(claimed.id);
    }
    let mut workers = tokio::task::JoinSet::new();
    for worker in 0..4 {
        let store = store.clone();
        workers.spawn(async move {
            let mut taken = Vec::new();
            loop {
                let batch = store
                    .abandon_expired(at(10_000), &format!("worker-{worker}"), 2)
                    .await
                    .unwrap();
                if batch.is_empty() {
                    return taken;
                }
                taken.extend(batch.into_iter().map(|summary| summary.id));
            }
        });
    }
    let mut taken: Vec<ReportId> = Vec::new();
    while let Some(joined) = workers.join_next().await {
        taken.extend(joined.unwrap());
    }
    taken.sort();
    assert_eq!(taken.len(), RUNS, "each run exactly once: {taken:?}");
    assert_eq!(taken.into_iter().collect::<BTreeSet<_>>(), ids);
    for summary in store.list(&all()).await.unwrap() {
        assert_eq!(summary.status, RunStatus::Interrupted);
    }
}

/// Reports of every status, created at `created_at`; returns them with their status.
async fn one_of_each_status(
    store: &dyn ReportStore,
    created_at: DateTime<Utc>,
) -> Vec<(ReportId, RunStatus)> {
    let mut made = Vec::new();
    for status in [
        RunStatus::Fetching,
        RunStatus::AwaitingSync,
        RunStatus::Interrupted,
        RunStatus::Completed,
        RunStatus::CompletedWithErrors,
        RunStatus::Failed,
        RunStatus::Discarded,
    ] {
        let mut summary = summary_at(created_at);
        store.insert(&summary).await.unwrap();
        store
            .save_plan(&summary, &masters(), &entries(3))
            .await
            .unwrap();
        summary.status = status;
        store.update_summary(&summary).await.unwrap();
        made.push((summary.id, status));
    }
    let (syncing, _) =
        syncing_until(store, created_at, created_at + chrono::Duration::days(400)).await;
    made.push((syncing.id, RunStatus::Syncing));
    made
}

async fn load_all(
    store: &dyn ReportStore,
    ids: &[(ReportId, RunStatus)],
) -> Vec<Option<SyncReport>> {
    let mut reports = Vec::new();
    for (id, _) in ids {
        reports.push(store.load(*id).await.unwrap());
    }
    reports
}

/// Contract point 13: a purge deletes the final reports created before the cutoff and
/// nothing else: not a run that may still be applied, not a report created at the cutoff
/// or after.
pub async fn purge_deletes_only_old_final_reports(store: Store) {
    let old = one_of_each_status(&*store, at(0)).await;
    let at_cutoff = one_of_each_status(&*store, at(500)).await;
    let kept_before = load_all(&*store, &at_cutoff).await;
    let not_final: Vec<_> = old.iter().filter(|(_, s)| !s.is_final()).copied().collect();
    let not_final_before = load_all(&*store, &not_final).await;

    let report = store
        .purge_older_than(at(500), PurgeMode::Delete)
        .await
        .unwrap();
    assert_eq!(report, PurgeReport::new(4, 4));
    for (id, status) in &old {
        let found = store.load(*id).await.unwrap();
        assert_eq!(found.is_none(), status.is_final(), "{status}");
    }
    assert_eq!(load_all(&*store, &not_final).await, not_final_before);
    assert_eq!(load_all(&*store, &at_cutoff).await, kept_before);
    assert_eq!(store.list(&all()).await.unwrap().len(), 4 + 8);
    assert_eq!(
        store
            .purge_older_than(at(500), PurgeMode::Delete)
            .await
            .unwrap(),
        PurgeReport::new(0, 4)
    );
}

/// Contract point 13: a redacting purge keeps what was done to whom and removes every
/// personal value, once; a later deleting purge removes the redacted report.
pub async fn purge_redacts_personal_values_and_keeps_the_rest(store: Store) {
    let summary = summary_at(at(0));
    store.insert(&summary).await.unwrap();
    store
        .save_plan(&summary, &masters(), &entries(8))
        .await
        .unwrap();
    let (claimed, claim) = select(&*store, &summary, &[0, 1, 5]).await;
    record(&*store, summary.id, claim, 1, created(1))
        .await
        .unwrap();
    let ended = ReportSummary {
        status: RunStatus::CompletedWithErrors,
        lease: None,
        ..claimed
    };
    store.finish(claim, &ended).await.unwrap();
    let unfinished = summary_at(at(1));
    store.insert(&unfinished).await.unwrap();
    store
        .save_plan(&unfinished, &masters(), &entries(2))
        .await
        .unwrap();
    let unfinished_before = store.load(unfinished.id).await.unwrap();
    let before = store.load(summary.id).await.unwrap().unwrap();

    let report = store
        .purge_older_than(at(500), PurgeMode::Redact)
        .await
        .unwrap();
    assert_eq!(report, PurgeReport::new(1, 1));
    let after = store.load(summary.id).await.unwrap().unwrap();
    assert_eq!(after.summary, before.summary);
    assert_eq!(after.masters, before.masters);
    assert_eq!(after.placement, Some(Placement::new()));
    let expected: Vec<_> = before.entries.iter().map(redact_entry).collect();
    assert_eq!(after.entries, expected);
    assert_eq!(after.entries[1].outcome, Some(created(1)));
    let shown = format!("{:?}", after.entries);
    for personal in ["山田", "ヤマダ", "example.com", "2020-04-01", "①"] {
        assert!(!shown.contains(personal), "{personal} left in {shown}");
    }
    assert_eq!(store.load(unfinished.id).await.unwrap(), unfinished_before);

    assert_eq!(
        store
            .purge_older_than(at(500), PurgeMode::Redact)
            .await
            .unwrap(),
        PurgeReport::new(0, 1),
        "a redacted report is not redacted again"
    );
    assert_eq!(
        store
            .purge_older_than(at(500), PurgeMode::Delete)
            .await
            .unwrap(),
        PurgeReport::new(1, 1)
    );
    assert_eq!(store.load(summary.id).await.unwrap(), None);
}
