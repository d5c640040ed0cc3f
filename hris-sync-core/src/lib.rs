#![doc = include_str!("../README.md")]

pub mod actor;
pub mod clock;
pub mod compare;
pub mod error;
pub mod model;
pub mod report;
pub mod retry;
pub mod store;
pub mod system;
pub mod window;

pub use actor::{Actor, Role};
pub use clock::{japan, Clock, FixedClock, SystemClock};
pub use compare::{ComparisonPolicy, Validation};
pub use error::{BoxError, ConnectorError, StoreError, SyncError};
pub use model::{
    BusinessName, Employee, EmployeeCode, EmployeeRecord, Field, FieldTypeMismatch, FieldValue,
    Gender, MasterEntry, MasterKind, Placement, RecordId,
};
pub use report::{
    ChangeKind, Direction, FieldDifference, InvalidReason, KindCounts, Outcome, OutcomeCounts,
    ReportEntry, ReportId, ReportSummary, RunStatus, SyncReport, Warning,
};
pub use store::ReportStore;
pub use system::{
    AttendanceConnector, EmployeeSystem, EmployeeUpdate, HrSystem, ListOptions, Side, SystemInfo,
};
pub use window::{DailyWindow, MaintenanceWindows};
