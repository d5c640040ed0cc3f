//! A side of the demo that saves itself after every write it applies.
//!
//! A real vendor keeps its own state: a write it answered stays written whatever happens to
//! the process that sent it. The demo's sides live in this process (the emulator and the
//! in-memory HR system) and are saved to the data directory, so the same must hold for the
//! files. [`Durable`] wraps a side and, after each create or update returns (answered,
//! refused or lost, since a lost answer may still have been applied), saves the side's whole
//! state atomically before handing the answer to the engine. The engine records an outcome
//! only after it has the answer, so every write a report records as done is in the files;
//! a write the process was killed before saving is lost as if the vendor never received it,
//! and its recorded intent lets `--resume` send it again.

use std::fmt;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use hris_sync_core::{
    AttendanceConnector, ConnectorError, Employee, EmployeeCode, EmployeeRecord, EmployeeSystem,
    EmployeeUpdate, HrSystem, ListOptions, MasterEntry, MasterKind, Placement, RecordId,
    SystemInfo, Unclearable,
};

use crate::error::Failure;

/// Saves one side's whole state to its file.
pub type SaveFn = Box<dyn Fn() -> Result<(), Failure> + Send + Sync>;

/// A side saved after every write. Reads pass straight through.
pub struct Durable<S> {
    inner: Arc<S>,
    /// Serialises saves: each takes its snapshot inside the lock, so the file always ends
    /// with the newest state, and two saves never share the temporary file.
    save: Arc<Mutex<SaveFn>>,
}

impl<S> Durable<S> {
    /// Wraps `inner`, saving it with `save` after each write.
    pub fn new(inner: Arc<S>, save: SaveFn) -> Self {
        Self {
            inner,
            save: Arc::new(Mutex::new(save)),
        }
    }

    /// Saves now, off the async workers (the save flushes a file to disk). A side that
    /// cannot be saved ends the process, as a crash at this moment would: the write just
    /// applied must not be reported as done when it is in no file. The recovery
    /// (`--abandon`, then `--resume`) sends it again.
    async fn save_now(&self) {
        let save = Arc::clone(&self.save);
        let saved = tokio::task::spawn_blocking(move || {
            let save = save.lock().unwrap_or_else(|poison| poison.into_inner());
            save()
        })
        .await
        .unwrap_or_else(|error| Err(Failure::run(format!("the save task failed: {error}"))));
        if let Err(failure) = saved {
            eprintln!(
                "error: {failure}; stopping here as a crash would, so the report records \
                 nothing the files lack (recover with --abandon REPORT, then --resume REPORT)"
            );
            std::process::exit(1);
        }
    }
}

impl<S: fmt::Debug> fmt::Debug for Durable<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Durable")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl<S: EmployeeSystem> EmployeeSystem for Durable<S> {
    fn info(&self) -> &SystemInfo {
        self.inner.info()
    }

    async fn test_connection(&self) -> Result<(), ConnectorError> {
        self.inner.test_connection().await
    }

    async fn list_employees(
        &self,
        options: &ListOptions,
    ) -> Result<Vec<EmployeeRecord>, ConnectorError> {
        self.inner.list_employees(options).await
    }

    async fn get_employee(
        &self,
        code: &EmployeeCode,
    ) -> Result<Option<EmployeeRecord>, ConnectorError> {
        self.inner.get_employee(code).await
    }

    async fn create_employee(
        &self,
        employee: &Employee,
        placement: &Placement,
    ) -> Result<EmployeeRecord, ConnectorError> {
        let answer = self.inner.create_employee(employee, placement).await;
        self.save_now().await;
        answer
    }

    async fn update_employee(
        &self,
        id: &RecordId,
        update: &EmployeeUpdate,
    ) -> Result<(), ConnectorError> {
        let answer = self.inner.update_employee(id, update).await;
        self.save_now().await;
        answer
    }

    async fn list_masters(&self, kind: MasterKind) -> Result<Vec<MasterEntry>, ConnectorError> {
        self.inner.list_masters(kind).await
    }

    fn cannot_clear(&self, records: &[EmployeeRecord]) -> Vec<(RecordId, Unclearable)> {
        self.inner.cannot_clear(records)
    }
}

impl<S: AttendanceConnector> AttendanceConnector for Durable<S> {}

impl<S: HrSystem> HrSystem for Durable<S> {}

/// Wraps `side` for the engine.
pub fn durable<S>(side: Arc<S>, save: SaveFn) -> Arc<Durable<S>> {
    Arc::new(Durable::new(side, save))
}
