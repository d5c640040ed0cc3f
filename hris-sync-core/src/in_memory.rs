//! [`InMemorySystem`]: an HR or attendance system held in memory. Always compiled; the
//! reference implementation of the [`EmployeeSystem`] contract, the system behind the quick
//! start, and a test double with fault injection and request counts.

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::clock::Clock;
use crate::error::ConnectorError;
use crate::model::{
    Employee, EmployeeCode, EmployeeRecord, Field, MasterEntry, MasterKind, Placement, RecordId,
};
use crate::system::{
    AttendanceConnector, EmployeeSystem, EmployeeUpdate, HrSystem, ListOptions, Side, SystemInfo,
};
use crate::window::MaintenanceWindows;

/// One operation of the [`EmployeeSystem`] trait, for fault injection and counting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    /// `test_connection`.
    TestConnection,
    /// `list_employees`.
    List,
    /// `get_employee`.
    Get,
    /// `create_employee`.
    Create,
    /// `update_employee`.
    Update,
    /// `list_masters`.
    ListMasters,
}

/// A failure to inject into the next calls of one operation.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Fail with [`ConnectorError::Unavailable`] without doing anything.
    Unavailable,
    /// Do the work, then fail with [`ConnectorError::Timeout`] as if the response was lost.
    LoseResponse,
    /// Fail with [`ConnectorError::MaintenanceWindow`] without doing anything.
    MaintenanceWindow,
    /// Fail with [`ConnectorError::InvalidInput`] carrying this message.
    Refuse(String),
}

/// One stored record: its id, the data, and the placement it was created with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct StoredRecord {
    id: RecordId,
    employee: Employee,
    placement: Placement,
}

/// The serialisable state of an [`InMemorySystem`], for saving it between runs.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    records: Vec<StoredRecord>,
    masters: BTreeMap<MasterKind, Vec<MasterEntry>>,
    next_id: u64,
}

#[derive(Debug, Default)]
struct State {
    snapshot: Snapshot,
    faults: BTreeMap<Operation, VecDeque<Fault>>,
    calls: BTreeMap<Operation, usize>,
}

/// An employee master in memory.
///
/// ```
/// # tokio_test_block_on(async {
/// use hris_sync_core::{Employee, EmployeeSystem, Gender, ListOptions, MasterKind, Placement};
/// use hris_sync_core::in_memory::InMemorySystem;
///
/// let attendance = InMemorySystem::attendance("Attendance (memory)")
///     .with_master(MasterKind::Division, "1000", "本社")
///     .with_master(MasterKind::EmploymentType, "1", "正社員");
/// let employee = Employee::new("1001").with_name("山田", "太郎").with_gender(Gender::Male);
/// let placement = Placement::new()
///     .with(MasterKind::Division, "1000")
///     .with(MasterKind::EmploymentType, "1");
/// attendance.create_employee(&employee, &placement).await.unwrap();
/// assert_eq!(attendance.list_employees(&ListOptions::all_records()).await.unwrap().len(), 1);
/// # });
/// # fn tokio_test_block_on<F: std::future::Future>(f: F) -> F::Output {
/// #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
/// # }
/// ```
#[derive(Clone)]
pub struct InMemorySystem {
    info: SystemInfo,
    clock: Option<Arc<dyn Clock>>,
    state: Arc<Mutex<State>>,
}

impl fmt::Debug for InMemorySystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InMemorySystem")
            .field("name", &self.info.name)
            .field("side", &self.info.side)
            .finish_non_exhaustive()
    }
}

impl InMemorySystem {
    /// An empty system described by `info`.
    pub fn new(info: SystemInfo) -> Self {
        Self {
            info,
            clock: None,
            state: Arc::default(),
        }
    }

    /// An empty HR system: creating needs last and first name and an office.
    pub fn hr(name: impl Into<String>) -> Self {
        Self::new(
            SystemInfo::new(name, Side::Hr)
                .with_required_on_create([Field::LastName, Field::FirstName])
                .with_placement_kinds([MasterKind::Office]),
        )
    }

    /// An empty attendance system with the KOT-family rules: creating needs gender, last and
    /// first name, a division and an employment type.
    pub fn attendance(name: impl Into<String>) -> Self {
        Self::new(
            SystemInfo::new(name, Side::Attendance)
                .with_required_on_create([Field::Gender, Field::LastName, Field::FirstName])
                .with_placement_kinds([MasterKind::Division, MasterKind::EmploymentType]),
        )
    }

    /// Refuses calls inside these windows (checked against `clock`), like a real vendor.
    pub fn with_maintenance_windows(
        mut self,
        windows: MaintenanceWindows,
        clock: Arc<dyn Clock>,
    ) -> Self {
        self.info.maintenance_windows = windows;
        self.clock = Some(clock);
        self
    }

    /// Adds a master entry.
    pub fn with_master(
        self,
        kind: MasterKind,
        code: impl Into<String>,
        name: impl Into<String>,
    ) -> Self {
        self.lock()
            .snapshot
            .masters
            .entry(kind)
            .or_default()
            .push(MasterEntry::new(code, name));
        self
    }

    /// Stores a record as is, without the create validation (for seeding test data,
    /// duplicates and gaps included). Returns its id.
    pub fn insert(&self, employee: Employee, placement: Placement) -> RecordId {
        let mut state = self.lock();
        let id = next_id(&mut state.snapshot);
        state.snapshot.records.push(StoredRecord {
            id: id.clone(),
            employee,
            placement,
        });
        id
    }

    /// Every record, in insertion order.
    pub fn records(&self) -> Vec<EmployeeRecord> {
        self.lock()
            .snapshot
            .records
            .iter()
            .map(|record| EmployeeRecord {
                id: record.id.clone(),
                employee: record.employee.clone(),
            })
            .collect()
    }

    /// The placement a record was created with.
    pub fn placement_of(&self, id: &RecordId) -> Option<Placement> {
        self.lock()
            .snapshot
            .records
            .iter()
            .find(|record| &record.id == id)
            .map(|record| record.placement.clone())
    }

    /// Makes the next `times` calls of `operation` fail with `fault`.
    pub fn inject(&self, operation: Operation, fault: Fault, times: usize) {
        let mut state = self.lock();
        let queue = state.faults.entry(operation).or_default();
        queue.extend(std::iter::repeat_n(fault, times));
    }

    /// How many calls of `operation` were made, failed ones included.
    pub fn calls(&self, operation: Operation) -> usize {
        self.lock().calls.get(&operation).copied().unwrap_or(0)
    }

    /// The state, for saving between runs.
    pub fn snapshot(&self) -> Snapshot {
        self.lock().snapshot.clone()
    }

    /// Replaces the state with a saved one.
    pub fn restore(&self, snapshot: Snapshot) {
        self.lock().snapshot = snapshot;
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    /// Counts the call, then fails it if a fault is queued or a window is open. Returns the
    /// fault to apply after the work for [`Fault::LoseResponse`].
    fn enter(&self, operation: Operation) -> Result<Option<Fault>, ConnectorError> {
        let mut state = self.lock();
        *state.calls.entry(operation).or_default() += 1;
        if let Some(clock) = &self.clock {
            if let Some(ends_at) = self.info.maintenance_windows.active_at(clock.now()) {
                return Err(ConnectorError::MaintenanceWindow {
                    ends_at: Some(ends_at),
                    message: format!("{} is in maintenance", self.info.name),
                });
            }
        }
        match state
            .faults
            .get_mut(&operation)
            .and_then(VecDeque::pop_front)
        {
            None => Ok(None),
            Some(Fault::LoseResponse) => Ok(Some(Fault::LoseResponse)),
            Some(fault) => Err(fault_error(&fault, &self.info.name)),
        }
    }

    fn leave<T>(&self, fault: Option<Fault>, value: T) -> Result<T, ConnectorError> {
        match fault {
            Some(fault) => Err(fault_error(&fault, &self.info.name)),
            None => Ok(value),
        }
    }

    fn check_create(
        &self,
        snapshot: &Snapshot,
        employee: &Employee,
        placement: &Placement,
    ) -> Result<(), ConnectorError> {
        if employee.code.is_blank() {
            return Err(ConnectorError::invalid_input(
                Some(Field::Code),
                "the employee code is required",
            ));
        }
        if snapshot
            .records
            .iter()
            .any(|record| record.employee.code == employee.code)
        {
            return Err(ConnectorError::AlreadyExists {
                code: employee.code.clone(),
            });
        }
        for field in &self.info.required_on_create {
            let missing = match employee.get(*field) {
                None => true,
                Some(crate::model::FieldValue::Text(text)) => text.trim().is_empty(),
                Some(_) => false,
            };
            if missing {
                return Err(ConnectorError::invalid_input(
                    Some(*field),
                    format!("{field} is required"),
                ));
            }
        }
        for kind in &self.info.placement_kinds {
            let Some(code) = placement.get(*kind) else {
                return Err(ConnectorError::invalid_input(
                    None,
                    format!("a {kind} is required"),
                ));
            };
            let known = snapshot
                .masters
                .get(kind)
                .is_some_and(|entries| entries.iter().any(|entry| entry.code == code));
            if !known {
                return Err(ConnectorError::invalid_input(
                    None,
                    format!("unknown {kind} {code:?}"),
                ));
            }
        }
        Ok(())
    }
}

fn next_id(snapshot: &mut Snapshot) -> RecordId {
    snapshot.next_id += 1;
    RecordId::new(format!("mem-{}", snapshot.next_id))
}

fn fault_error(fault: &Fault, system: &str) -> ConnectorError {
    match fault {
        Fault::Unavailable => ConnectorError::Unavailable {
            message: format!("{system} injected failure"),
            retry_after: None,
            source: None,
        },
        Fault::LoseResponse => ConnectorError::Timeout {
            message: format!("{system} injected lost response"),
            source: None,
        },
        Fault::MaintenanceWindow => ConnectorError::MaintenanceWindow {
            ends_at: None,
            message: format!("{system} injected maintenance window"),
        },
        Fault::Refuse(message) => ConnectorError::invalid_input(None, message.clone()),
    }
}

fn record(stored: &StoredRecord) -> EmployeeRecord {
    EmployeeRecord {
        id: stored.id.clone(),
        employee: stored.employee.clone(),
    }
}

#[async_trait]
impl EmployeeSystem for InMemorySystem {
    fn info(&self) -> &SystemInfo {
        &self.info
    }

    async fn test_connection(&self) -> Result<(), ConnectorError> {
        let fault = self.enter(Operation::TestConnection)?;
        self.leave(fault, ())
    }

    async fn list_employees(
        &self,
        options: &ListOptions,
    ) -> Result<Vec<EmployeeRecord>, ConnectorError> {
        let fault = self.enter(Operation::List)?;
        let records = self
            .lock()
            .snapshot
            .records
            .iter()
            .filter(|stored| {
                options
                    .enrolled_on
                    .is_none_or(|date| stored.employee.is_enrolled_on(date))
            })
            .map(record)
            .collect();
        self.leave(fault, records)
    }

    async fn get_employee(
        &self,
        code: &EmployeeCode,
    ) -> Result<Option<EmployeeRecord>, ConnectorError> {
        let fault = self.enter(Operation::Get)?;
        let found = self
            .lock()
            .snapshot
            .records
            .iter()
            .find(|stored| &stored.employee.code == code)
            .map(record);
        self.leave(fault, found)
    }

    async fn create_employee(
        &self,
        employee: &Employee,
        placement: &Placement,
    ) -> Result<EmployeeRecord, ConnectorError> {
        let fault = self.enter(Operation::Create)?;
        let created = {
            let mut state = self.lock();
            self.check_create(&state.snapshot, employee, placement)?;
            let id = next_id(&mut state.snapshot);
            let placement = Placement::from_iter(
                self.info
                    .placement_kinds
                    .iter()
                    .filter_map(|kind| placement.get(*kind).map(|code| (*kind, code))),
            );
            let stored = StoredRecord {
                id,
                employee: Employee {
                    business_name: None,
                    ..employee.clone()
                },
                placement,
            };
            let created = record(&stored);
            state.snapshot.records.push(stored);
            created
        };
        self.leave(fault, created)
    }

    async fn update_employee(
        &self,
        id: &RecordId,
        update: &EmployeeUpdate,
    ) -> Result<(), ConnectorError> {
        let fault = self.enter(Operation::Update)?;
        {
            let mut state = self.lock();
            let stored = state
                .snapshot
                .records
                .iter_mut()
                .find(|stored| &stored.id == id)
                .ok_or_else(|| ConnectorError::not_found(format!("record {id}")))?;
            let mut changed = stored.employee.clone();
            for (field, value) in &update.changes {
                if *field == Field::Code {
                    return Err(ConnectorError::invalid_input(
                        Some(Field::Code),
                        "a sync never changes the employee code",
                    ));
                }
                changed.set(*field, value.clone()).map_err(|error| {
                    ConnectorError::invalid_input(Some(*field), error.to_string())
                })?;
            }
            stored.employee = changed;
        }
        self.leave(fault, ())
    }

    async fn list_masters(&self, kind: MasterKind) -> Result<Vec<MasterEntry>, ConnectorError> {
        let fault = self.enter(Operation::ListMasters)?;
        let entries = self
            .lock()
            .snapshot
            .masters
            .get(&kind)
            .cloned()
            .unwrap_or_default();
        self.leave(fault, entries)
    }
}

impl AttendanceConnector for InMemorySystem {}

impl HrSystem for InMemorySystem {}
