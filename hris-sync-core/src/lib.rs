#![doc = include_str!("../README.md")]

pub mod actor;
mod applier;
pub mod base_date;
pub mod classify;
pub mod clock;
pub mod compare;
#[cfg(feature = "conformance")]
pub mod conformance;
pub mod engine;
pub mod error;
pub mod guards;
pub mod in_memory;
pub mod model;
pub mod report;
pub mod retry;
pub mod store;
pub mod system;
pub mod window;

pub use actor::{Actor, Role};
pub use clock::{japan, Clock, FixedClock, SystemClock};
pub use compare::{ComparisonPolicy, Validation};
pub use engine::{
    ApplyHandle, ApplyRequest, PlannedWrite, Progress, ProgressFn, Recovery, Selection, SyncEngine,
    SyncEngineBuilder, SyncOptions,
};
pub use error::{BoxError, ConnectorError, StoreError, SyncError};
pub use guards::{Guards, RunWarning};
pub use in_memory::InMemorySystem;
pub use model::{
    BusinessName, Employee, EmployeeCode, EmployeeRecord, Field, FieldTypeMismatch, FieldValue,
    Gender, MasterEntry, MasterKind, Placement, RecordId,
};
pub use report::{
    ChangeKind, ClaimToken, Direction, FieldDifference, InvalidReason, KindCounts, Lease, Outcome,
    OutcomeCounts, ReportEntry, ReportId, ReportSummary, RunStatus, SyncReport, Warning,
    WriteIntent,
};
#[cfg(feature = "sqlite")]
pub use store::SqliteReportStore;
pub use store::{MemoryReportStore, ProgressBatch, ReportQuery, ReportStore};
pub use system::{
    AttendanceConnector, CodeCharacters, EmployeeSystem, EmployeeUpdate, HrSystem, ListOptions,
    Side, SystemInfo, Unclearable,
};
pub use window::{DailyWindow, MaintenanceWindows};
