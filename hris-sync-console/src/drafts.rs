//! What the console keeps between requests, in memory: the selection and creation values an
//! administrator is putting together for a run (until it is applied or discarded), the live
//! progress of the applies this process started, and a few fetched plans so paging through
//! 10,000 employees does not read the whole report from the store on every page.
//!
//! None of it is the run's truth (the report in the store is): losing it on a restart only
//! loses an unfinished selection.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use hris_sync_core::{
    Placement, Progress, ProgressFn, ReportId, RunStatus, SyncEngine, SyncError, SyncReport,
};

/// How many plans are kept.
const CACHED_PLANS: usize = 4;

/// A selection being made for one run.
#[derive(Clone, Debug, Default)]
pub(crate) struct Draft {
    /// Selected entries, by their index in the report.
    pub(crate) selected: BTreeSet<usize>,
    /// The creation values chosen.
    pub(crate) placement: Placement,
    /// Bumped by every change, so a confirmation can tell it saw the latest one.
    pub(crate) version: u64,
}

/// See the module's documentation.
#[derive(Default)]
pub(crate) struct Drafts {
    selections: Mutex<HashMap<ReportId, Draft>>,
    progress: Arc<Mutex<HashMap<ReportId, Progress>>>,
    plans: Mutex<Vec<Arc<SyncReport>>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poison| poison.into_inner())
}

impl Drafts {
    /// The run's selection so far (empty when none was made).
    pub(crate) fn draft(&self, id: ReportId) -> Draft {
        lock(&self.selections).get(&id).cloned().unwrap_or_default()
    }

    /// Changes the run's selection.
    pub(crate) fn update(&self, id: ReportId, change: impl FnOnce(&mut Draft)) {
        let mut selections = lock(&self.selections);
        let draft = selections.entry(id).or_default();
        change(draft);
        draft.version += 1;
    }

    /// Forgets the run's selection and plan (applied or discarded).
    pub(crate) fn forget(&self, id: ReportId) {
        lock(&self.selections).remove(&id);
        lock(&self.plans).retain(|plan| plan.summary.id != id);
    }

    /// A callback recording an apply's progress for [`Drafts::progress`].
    pub(crate) fn progress_callback(&self) -> ProgressFn {
        let progress = Arc::clone(&self.progress);
        Arc::new(move |event: Progress| {
            lock(&progress).insert(event.report, event);
        })
    }

    /// The latest progress of an apply this process started.
    pub(crate) fn progress(&self, id: ReportId) -> Option<Progress> {
        lock(&self.progress).get(&id).cloned()
    }

    /// Forgets the progress of a run that is no longer syncing.
    pub(crate) fn forget_progress(&self, id: ReportId) {
        lock(&self.progress).remove(&id);
    }

    /// The run's report while it awaits a selection, from the cache when it is there (an
    /// AwaitingSync plan does not change until it is applied or discarded, which a cheap
    /// read of the header tells); otherwise read whole from the engine.
    pub(crate) async fn report(
        &self,
        engine: &SyncEngine,
        id: ReportId,
    ) -> Result<Arc<SyncReport>, SyncError> {
        let summary = engine.summary(id).await?;
        if summary.status == RunStatus::AwaitingSync {
            let cached = lock(&self.plans)
                .iter()
                .find(|plan| plan.summary == summary)
                .cloned();
            if let Some(plan) = cached {
                return Ok(plan);
            }
        }
        let report = Arc::new(engine.report(id).await?);
        let mut plans = lock(&self.plans);
        plans.retain(|plan| plan.summary.id != id);
        if report.summary.status == RunStatus::AwaitingSync {
            if plans.len() >= CACHED_PLANS {
                plans.remove(0);
            }
            plans.push(Arc::clone(&report));
        }
        Ok(report)
    }
}
