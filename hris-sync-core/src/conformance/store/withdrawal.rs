//! The contract's point on withdrawn intents (point 14): an applier that stops clears the
//! intents of the writes it recorded but never sent.

use super::fixtures::{created, entries, masters, select, summary};
use super::Store;
use crate::store::ProgressBatch;
use crate::{ClaimToken, Outcome, StoreError, SyncReport, WriteIntent};

/// The entries' intents, in order.
fn intents(report: &SyncReport) -> Vec<Option<WriteIntent>> {
    report.entries.iter().map(|e| e.intent.clone()).collect()
}

/// The entries' outcomes, in order.
fn outcomes(report: &SyncReport) -> Vec<Option<Outcome>> {
    report.entries.iter().map(|e| e.outcome.clone()).collect()
}

/// Contract point 14: a withdrawal clears the intents of Pending entries only, with the
/// rest of its batch, under the claim, and an unknown index changes nothing.
pub async fn record_progress_withdraws_intents_of_pending_entries_only(store: Store) {
    let summary = summary();
    store.insert(&summary).await.unwrap();
    store
        .save_plan(&summary, &masters(), &entries(4))
        .await
        .unwrap();
    let (summary, claim) = select(&*store, &summary, &[0, 1, 2, 3]).await;
    let recorded = ProgressBatch {
        intents: (0..4).map(|index| (index, WriteIntent::Create)).collect(),
        outcomes: vec![(1, created(1))],
        withdrawn: Vec::new(),
    };
    store
        .record_progress(summary.id, claim, &recorded)
        .await
        .unwrap();
    let before = store.load(summary.id).await.unwrap().unwrap();

    // Without the claim: refused, nothing changes.
    let withdraw = |indices: Vec<usize>| ProgressBatch {
        withdrawn: indices,
        ..ProgressBatch::default()
    };
    assert!(
        !withdraw(vec![0]).is_empty(),
        "a withdrawal is something to record"
    );
    let refused = store
        .record_progress(summary.id, ClaimToken::new(), &withdraw(vec![0]))
        .await
        .unwrap_err();
    assert!(
        matches!(refused, StoreError::ClaimLost { .. }),
        "{refused:?}"
    );
    assert_eq!(store.load(summary.id).await.unwrap().unwrap(), before);

    // An unknown index refuses the whole batch.
    let unknown = store
        .record_progress(summary.id, claim, &withdraw(vec![0, 9]))
        .await
        .unwrap_err();
    assert!(
        matches!(unknown, StoreError::NoSuchEntry { index: 9, .. }),
        "{unknown:?}"
    );
    assert_eq!(store.load(summary.id).await.unwrap().unwrap(), before);

    // With the claim: entry 0 (Pending) loses its intent; entry 1 (Created before) and
    // entry 2 (Created in the same batch) keep theirs; entry 3 is not named.
    let batch = ProgressBatch {
        outcomes: vec![(2, created(2))],
        ..withdraw(vec![0, 1, 2])
    };
    store
        .record_progress(summary.id, claim, &batch)
        .await
        .unwrap();
    let after = store.load(summary.id).await.unwrap().unwrap();
    assert_eq!(
        intents(&after),
        [
            None,
            Some(WriteIntent::Create),
            Some(WriteIntent::Create),
            Some(WriteIntent::Create)
        ]
    );
    assert_eq!(
        outcomes(&after),
        [
            Some(Outcome::Pending),
            Some(created(1)),
            Some(created(2)),
            Some(Outcome::Pending)
        ],
        "a withdrawal never changes an outcome"
    );
    // Withdrawing again, or an entry with no intent, is harmless.
    store
        .record_progress(summary.id, claim, &withdraw(vec![0, 0]))
        .await
        .unwrap();
    assert_eq!(store.load(summary.id).await.unwrap().unwrap(), after);
}
