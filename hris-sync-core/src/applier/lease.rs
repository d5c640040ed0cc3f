//! Keeping an applier's lease on its run (SPEC S5): renewed every third of its duration
//! while the apply waits on anything (the fresh read, a write, the store), and the channel
//! through which a stop request reaches the applier.

use std::future::Future;
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
        }
    }

    /// Who asked the run to stop, if anybody did.
    pub(super) fn stop_requested(&self) -> Option<&str> {
        self.stop_requested.as_deref()
    }

    /// Drives `work` to its end, renewing the lease when due and noting stop requests.
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
                _ = self.interval.tick() => self.renew().await?,
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

    async fn renew(&mut self) -> Result<(), StoreError> {
        let now = self.clock.now();
        match self
            .store
            .renew_lease(self.id, self.claim, now, now + self.span)
            .await
        {
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
