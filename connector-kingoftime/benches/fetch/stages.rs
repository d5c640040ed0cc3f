//! Collects the engine's "fetch stages timed" debug events (the time of each fetch stage,
//! in microseconds, and the list sizes): a minimal `tracing` subscriber, so the bench times
//! the engine's own stages rather than a copy of them.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// The numbers the events carried, by field name (the last value of each).
#[derive(Clone, Default)]
pub(crate) struct Stages(Arc<Mutex<BTreeMap<&'static str, u64>>>);

impl Stages {
    /// Takes the numbers recorded since the last call.
    pub(crate) fn take(&self) -> BTreeMap<&'static str, u64> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// A subscriber that feeds these stages.
    pub(crate) fn subscriber(&self) -> impl Subscriber + Send + Sync {
        Collector {
            stages: self.clone(),
            next_span: AtomicU64::new(1),
        }
    }
}

struct Collector {
    stages: Stages,
    next_span: AtomicU64,
}

impl Subscriber for Collector {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.target().starts_with("hris_sync_core::engine")
    }

    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(self.next_span.fetch_add(1, Ordering::Relaxed))
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        if event.metadata().is_event() {
            let mut stages = self.stages.0.lock().unwrap_or_else(PoisonError::into_inner);
            event.record(&mut Numbers(&mut stages));
        }
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

struct Numbers<'a>(&'a mut BTreeMap<&'static str, u64>);

impl Visit for Numbers<'_> {
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name(), value);
    }

    fn record_debug(&mut self, _: &Field, _: &dyn std::fmt::Debug) {}
}
