//! The contract's basic points: round trips, replacement, selection, progress, listing,
//! unknown ids and indices (points 1–8).

use super::fixtures::{
    at, created, entries, masters, outcomes, record, select, summary, summary_at,
};
use super::{all, Store};
use crate::store::{ReportQuery, RECENT};
use crate::{
    ChangeKind, ClaimToken, KindCounts, MasterKind, Outcome, Placement, RunStatus, StoreError,
    SyncReport,
};

/// Checks that insert then summary and load round trip.
pub async fn insert_then_summary_and_load_round_trip(store: Store) {
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

/// Checks that insert of an existing id fails and keeps the original.
pub async fn insert_of_an_existing_id_fails_and_keeps_the_original(store: Store) {
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

/// Checks that update summary replaces the header only.
pub async fn update_summary_replaces_the_header_only(store: Store) {
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

/// Checks that save plan stores entries masters and summary.
pub async fn save_plan_stores_entries_masters_and_summary(store: Store) {
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

/// Checks that save plan replaces the entries stored before.
pub async fn save_plan_replaces_the_entries_stored_before(store: Store) {
    let summary = summary();
    store.insert(&summary).await.unwrap();
    store
        .save_plan(&summary, &masters(), &entries(30))
        .await
        .unwrap();
    let fewer = entries(5)
        .into_iter()
        .map(|mut entry| {
            entry.code = crate::EmployeeCode::new(format!("X{}", entry.code));
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

/// Checks that save selection marks exactly the given indices pending.
pub async fn save_selection_marks_exactly_the_given_indices_pending(store: Store) {
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
    summary.applied_by = Some(crate::Actor::administrator("admin-2"));
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

/// Checks that save selection leaves other outcomes alone.
pub async fn save_selection_leaves_other_outcomes_alone(store: Store) {
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

/// Checks that save selection of an unknown index changes nothing.
pub async fn save_selection_of_an_unknown_index_changes_nothing(store: Store) {
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

/// Checks that record progress changes only that entry.
pub async fn record_progress_changes_only_that_entry(store: Store) {
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
        fields: vec![crate::Field::Email],
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

/// Checks that record progress of an unknown index fails.
pub async fn record_progress_of_an_unknown_index_fails(store: Store) {
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

/// Checks that list is newest first and honours the limit.
pub async fn list_is_newest_first_and_honours_the_limit(store: Store) {
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

/// Checks that unknown ids are not found.
pub async fn unknown_ids_are_not_found(store: Store) {
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
