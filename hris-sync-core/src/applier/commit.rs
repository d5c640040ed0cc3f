//! Recording an apply's progress in the background (SPEC P3, S5): intents and outcomes are
//! queued and committed in batches, one `record_progress` call at a time, while the writes
//! go on. What a batch holds is durable once its commit returns: only then are its writes
//! handed out to be sent (an intent is durable before its write goes out) and its outcomes
//! reported (an outcome is durable before progress shows it).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::write::Write;
use crate::error::StoreError;
use crate::report::{ClaimToken, Outcome, ReportId};
use crate::store::{ProgressBatch, ReportStore};

/// A commit's result, with what it held.
pub(super) struct Committed {
    /// The outcomes the batch recorded (or, on failure, failed to record).
    pub(super) outcomes: Vec<(usize, Outcome)>,
    /// The writes whose intents the batch recorded: free to send on success only.
    pub(super) writes: Vec<Write>,
    /// The store's answer.
    pub(super) result: Result<(), StoreError>,
    /// How long the commit took.
    pub(super) took: Duration,
}

type Commit = Pin<Box<dyn Future<Output = Committed> + Send>>;

/// The queue of what is still to be recorded, and the one commit in flight.
pub(super) struct Committer {
    store: Arc<dyn ReportStore>,
    id: ReportId,
    claim: ClaimToken,
    outcomes: Vec<(usize, Outcome)>,
    writes: Vec<Write>,
    in_flight: Option<Commit>,
    /// How many writes the commit in flight holds.
    writes_in_flight: usize,
}

impl Committer {
    pub(super) fn new(store: Arc<dyn ReportStore>, id: ReportId, claim: ClaimToken) -> Self {
        Self {
            store,
            id,
            claim,
            outcomes: Vec::new(),
            writes: Vec::new(),
            in_flight: None,
            writes_in_flight: 0,
        }
    }

    /// Queues an outcome to record.
    pub(super) fn outcome(&mut self, index: usize, outcome: Outcome) {
        self.outcomes.push((index, outcome));
    }

    /// Queues a write whose intent is to be recorded before it is sent.
    pub(super) fn write(&mut self, write: Write) {
        self.writes.push(write);
    }

    /// Drops the queued writes whose intents are not in a commit yet: the run stops, so
    /// they will not be sent, and recording their intents would only leave more entries for
    /// resume to re-read. Their entries stay Pending with no intent.
    pub(super) fn discard_writes(&mut self) {
        self.writes.clear();
    }

    /// Puts the outcomes of a failed commit back at the head of the queue.
    pub(super) fn retry(&mut self, mut outcomes: Vec<(usize, Outcome)>) {
        outcomes.append(&mut self.outcomes);
        self.outcomes = outcomes;
    }

    /// Outcomes queued, not yet in a commit.
    pub(super) fn queued_outcomes(&self) -> usize {
        self.outcomes.len()
    }

    /// Writes whose intents are queued or being committed.
    pub(super) fn writes_ahead(&self) -> usize {
        self.writes.len() + self.writes_in_flight
    }

    /// Whether a commit is in flight.
    pub(super) fn is_busy(&self) -> bool {
        self.in_flight.is_some()
    }

    /// Starts committing everything queued, unless a commit is in flight or nothing is
    /// queued.
    pub(super) fn start(&mut self) {
        if self.in_flight.is_some() || (self.outcomes.is_empty() && self.writes.is_empty()) {
            return;
        }
        let writes = std::mem::take(&mut self.writes);
        let batch = ProgressBatch {
            intents: writes
                .iter()
                .map(|write| (write.index, write.intent.clone()))
                .collect(),
            outcomes: std::mem::take(&mut self.outcomes),
            withdrawn: Vec::new(),
        };
        let (store, id, claim) = (self.store.clone(), self.id, self.claim);
        self.writes_in_flight = writes.len();
        self.in_flight = Some(Box::pin(async move {
            let started = Instant::now();
            let result = store.record_progress(id, claim, &batch).await;
            Committed {
                outcomes: batch.outcomes,
                writes,
                result,
                took: started.elapsed(),
            }
        }));
    }

    /// Waits for the commit in flight; never returns when there is none.
    pub(super) async fn finished(&mut self) -> Committed {
        match &mut self.in_flight {
            Some(commit) => {
                let committed = commit.await;
                self.in_flight = None;
                self.writes_in_flight = 0;
                committed
            }
            None => std::future::pending().await,
        }
    }
}
