//! Keeping an applier's lease on its run (SPEC S5): renewed every third of its duration
//! while the apply waits on anything (the fresh read, a write, the store), and the channel
//! through which a stop request reaches the applier.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::{Instant, Interval, MissedTickBehavior};

use crate::clock::Clock;
use crate::error::StoreError;
use crate::report::{ClaimToken, ReportId};
use crate::store::ReportStore;

pub(super) struct LeaseKeeper {
    store: Arc<dyn ReportStore>,
    clock: Arc<dyn Clock>,
    id: ReportId,
    claim: ClaimToken,
    span: chrono::Duration,
    interval: Interval,
    /// This engine's stop signal (from `SyncEngine::stop` in this process).
    stop: watch::Receiver<Option<String>>,
    stop_open: bool,
    /// Who asked the run to stop, locally or through the store.
    stop_requested: Option<String>,
    /// The renewal in flight, polled beside the work of every [`keep_while`](Self::keep_while).
    renewal: Option<Renewal>,
}

impl LeaseKeeper {
    pub(super) fn new(
        store: Arc<dyn ReportStore>,
        clock: Arc<dyn Clock>,
        id: ReportId,
        claim: ClaimToken,
        duration: Duration,
        stop: watch::Receiver<Option<String>>,
    ) -> Self {
        let period = duration / 3;
        let mut interval = tokio::time::interval_at(Instant::now() + period, period);
        interval.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let stop_requested = stop.borrow().clone();
        Self {
            store,
            clock,
            id,
            claim,
            span: chrono::Duration::from_std(duration).unwrap_or(chrono::Duration::MAX),
            interval,
            stop,
            stop_open: true,
            stop_requested,
            renewal: None,
        }
    }

    /// Who asked the run to stop, if anybody did.
    pub(super) fn stop_requested(&self) -> Option<&str> {
        self.stop_requested.as_deref()
    }

    /// Drives `work` to its end, renewing the lease when due and noting stop requests.
    ///
    /// A renewal runs beside the work, never instead of it: a store may serialise the two
    /// (PostgreSQL's row lock on the run, taken by a commit the work holds open), and a
    /// renewal awaited while the work stood still would wait for ever on a lock the work
    /// can only release when it is polled again. For the same reason a renewal still in
    /// flight when the work ends is not awaited here (the caller may hold a commit open
    /// outside this work): the next call goes on with it, and [`settle`](Self::settle)
    /// ends it once nothing else is in flight.
    ///
    /// # Errors
    /// [`StoreError::ClaimLost`] as soon as a renewal finds the claim gone: the caller must
    /// stop sending (the work is dropped unfinished). Other renewal failures are logged and
    /// tried again at the next tick.
    pub(super) async fn keep_while<F: Future>(&mut self, work: F) -> Result<F::Output, StoreError> {
        tokio::pin!(work);
        loop {
            tokio::select! {
                biased;
                output = &mut work => return Ok(output),
                renewed = in_flight(&mut self.renewal) => {
                    self.renewal = None;
                    self.renewed(renewed)?;
                }
                _ = self.interval.tick(), if self.renewal.is_none() => {
                    self.renewal = Some(self.start_renewal());
                }
                changed = self.stop.changed(), if self.stop_open => match changed {
                    Ok(()) => {
                        if let Some(by) = self.stop.borrow_and_update().clone() {
                            self.stop_requested.get_or_insert(by);
                        }
                    }
                    Err(_) => self.stop_open = false,
                },
            }
        }
    }

    /// Waits for the renewal in flight, if any. Called when the apply has nothing else in
    /// flight (no commit holds the run), before the run's end is recorded.
    ///
    /// # Errors
    /// [`StoreError::ClaimLost`] when the renewal found the claim gone.
    pub(super) async fn settle(&mut self) -> Result<(), StoreError> {
        match self.renewal.take() {
            Some(renewal) => self.renewed(renewal.await),
            None => Ok(()),
        }
    }

    /// A renewal of the lease from now, owning what it needs so it can run beside the work.
    fn start_renewal(&self) -> Renewal {
        let (store, id, claim) = (self.store.clone(), self.id, self.claim);
        let now = self.clock.now();
        let expires_at = now + self.span;
        Box::pin(async move { store.renew_lease(id, claim, now, expires_at).await })
    }

    /// Takes a renewal's answer: a stop request it carried is noted, a lost claim ends the
    /// apply, any other failure is tried again at the next tick.
    fn renewed(&mut self, answer: Result<Option<String>, StoreError>) -> Result<(), StoreError> {
        match answer {
            Ok(stop) => {
                if let Some(by) = stop {
                    self.stop_requested.get_or_insert(by);
                }
                Ok(())
            }
            Err(error @ StoreError::ClaimLost { .. }) => Err(error),
            Err(error) => {
                tracing::warn!(error = %error, "could not renew the lease; trying again");
                Ok(())
            }
        }
    }
}

/// A renewal in flight: the store's answer, a stop request it carried or a failure.
type Renewal = Pin<Box<dyn Future<Output = Result<Option<String>, StoreError>> + Send>>;

/// Waits for the renewal in flight; never returns when there is none.
async fn in_flight(renewal: &mut Option<Renewal>) -> Result<Option<String>, StoreError> {
    match renewal {
        Some(renewal) => renewal.await,
        None => std::future::pending().await,
    }
}
