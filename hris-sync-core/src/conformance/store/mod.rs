//! The [`ReportStore`] contract suite (SPEC R13, the numbered points on the trait): one
//! set of checks every store runs, the in-memory reference, SQLite and PostgreSQL alike.
//!
//! Each check is a public async function taking a fresh, empty store;
//! [`report_store_contract!`](crate::report_store_contract) turns every check into a
//! `#[test]` for one store:
//!
//! ```
//! mod memory_store {
//!     use std::sync::Arc;
//!     use hris_sync_core::conformance::store::StoreUnderTest;
//!     use hris_sync_core::store::MemoryReportStore;
//!
//!     async fn fresh() -> Option<StoreUnderTest> {
//!         Some(StoreUnderTest::new(Arc::new(MemoryReportStore::new())))
//!     }
//!
//!     hris_sync_core::report_store_contract!(fresh);
//! }
//! # fn main() {}
//! ```
//!
//! A factory that needs a server it does not have returns `None` after printing why: the
//! test then passes without checking anything, and says so on standard error.

use std::any::Any;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::store::{ReportQuery, ReportStore};

mod basics;
mod claims;
pub mod fixtures;
mod housekeeping;
mod withdrawal;

pub use basics::*;
pub use claims::*;
pub use housekeeping::*;
pub use withdrawal::*;

/// The store a check runs on.
pub type Store = Arc<dyn ReportStore>;

/// Every report, Discarded ones too.
fn all() -> ReportQuery {
    ReportQuery::latest(usize::MAX).with_discarded(true)
}

/// A fresh, empty store for one check, with what must outlive it (a temporary directory)
/// and what to do once the check is over (drop a test schema).
pub struct StoreUnderTest {
    store: Store,
    keep: Option<Box<dyn Any + Send>>,
    teardown: Option<Pin<Box<dyn Future<Output = ()> + Send>>>,
}

impl std::fmt::Debug for StoreUnderTest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreUnderTest")
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

impl StoreUnderTest {
    /// A store with nothing to keep or undo.
    pub fn new(store: Store) -> Self {
        Self {
            store,
            keep: None,
            teardown: None,
        }
    }

    /// Keeps `guard` alive until the check is over (a `TempDir` holding the database).
    pub fn keeping(mut self, guard: impl Any + Send) -> Self {
        self.keep = Some(Box::new(guard));
        self
    }

    /// Runs `teardown` once the check is over, whether it passed or not.
    pub fn with_teardown(mut self, teardown: impl Future<Output = ()> + Send + 'static) -> Self {
        self.teardown = Some(Box::pin(teardown));
        self
    }
}

/// Runs one check on a store made by `make`, on a runtime of its own with two worker
/// threads (so the concurrency checks really run in parallel). `make` returning `None`
/// skips the check. A check that panics fails the test after the teardown has run.
///
/// # Panics
/// When the check fails, or the runtime cannot be built.
pub fn run<M, MF, C, CF>(make: M, check: C)
where
    M: FnOnce() -> MF,
    MF: Future<Output = Option<StoreUnderTest>>,
    C: FnOnce(Store) -> CF,
    CF: Future<Output = ()> + Send + 'static,
{
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a Tokio runtime for the store contract");
    runtime.block_on(async move {
        let Some(subject) = make().await else {
            return;
        };
        // In a task of its own, so that a failing check still lets the teardown run.
        let result = tokio::spawn(check(subject.store.clone())).await;
        if let Some(teardown) = subject.teardown {
            teardown.await;
        }
        drop(subject.store);
        drop(subject.keep);
        if let Err(error) = result {
            match error.try_into_panic() {
                Ok(panic) => std::panic::resume_unwind(panic),
                Err(error) => panic!("the check did not finish: {error}"),
            }
        }
    });
}

/// Writes one `#[test]` per check of the store contract suite
/// ([`conformance::store`](crate::conformance::store)), each on a fresh store from
/// `$make` (an `async fn() -> Option<StoreUnderTest>`). Invoke it inside a module of its
/// own per store: the tests are named after the checks.
#[macro_export]
macro_rules! report_store_contract {
    ($make:path) => {
        $crate::report_store_contract!(@each $make;
            insert_then_summary_and_load_round_trip,
            insert_of_an_existing_id_fails_and_keeps_the_original,
            update_summary_replaces_the_header_only,
            save_plan_stores_entries_masters_and_summary,
            save_plan_replaces_the_entries_stored_before,
            save_selection_marks_exactly_the_given_indices_pending,
            save_selection_leaves_other_outcomes_alone,
            save_selection_of_an_unknown_index_changes_nothing,
            record_progress_changes_only_that_entry,
            record_progress_of_an_unknown_index_fails,
            list_is_newest_first_and_honours_the_limit,
            unknown_ids_are_not_found,
            save_selection_refuses_a_report_no_longer_awaiting_sync,
            transition_claims_only_an_unchanged_summary,
            record_progress_records_intents_and_outcomes_together,
            record_progress_withdraws_intents_of_pending_entries_only,
            claimed_calls_refuse_a_caller_without_the_claim,
            stop_requests_reach_the_holder_through_renewal,
            concurrent_record_progress_loses_nothing,
            reports_are_kept_apart,
            abandon_expired_takes_only_runs_whose_lease_expired,
            abandon_expired_gives_each_run_to_one_caller,
            purge_deletes_only_old_final_reports,
            purge_redacts_personal_values_and_keeps_the_rest,
        );
    };
    (@each $make:path; $($check:ident),* $(,)?) => {
        $(
            #[test]
            fn $check() {
                $crate::conformance::store::run($make, $crate::conformance::store::$check);
            }
        )*
    };
}
