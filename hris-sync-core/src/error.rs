//! The public error types, one per layer: [`ConnectorError`] for what a system answers,
//! [`StoreError`] for report stores, [`SyncError`] for the engine.
//!
//! Messages carry no personal data beyond an employee code (SPEC S4) and never a credential
//! (R15).

use std::time::Duration;

use chrono::{DateTime, FixedOffset, NaiveDate};

use crate::model::{EmployeeCode, Field, MasterKind};
use crate::report::{ReportId, RunStatus};

/// A boxed error kept as the `source` of another.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What a connected system (HR or attendance) answered, classified by what the caller can do
/// about it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectorError {
    /// The credentials were refused (a bad or expired token).
    #[error("authentication failed: {message}")]
    Unauthenticated {
        /// What the system said.
        message: String,
        /// The underlying error.
        #[source]
        source: Option<BoxError>,
    },
    /// The credentials lack a right this operation needs, or the request came from an
    /// address the system does not allow. Not retryable: an administrator must change the
    /// system's settings.
    #[error("permission denied: {message}")]
    PermissionDenied {
        /// What the system said.
        message: String,
        /// The underlying error.
        #[source]
        source: Option<BoxError>,
    },
    /// The addressed record does not exist.
    #[error("not found: {message}")]
    NotFound {
        /// What was not found.
        message: String,
    },
    /// A create was refused because a record with this code exists already.
    #[error("employee {code} already exists")]
    AlreadyExists {
        /// The code.
        code: EmployeeCode,
    },
    /// More than one record holds this code, where exactly one was looked for (a read by
    /// code). Some systems (SmartHR) let a tenant hold one 社員番号 twice; which record is
    /// meant is for a person to decide, never "the first one". Not retryable.
    #[error("{count} records hold employee code {code}; make the code unique in {system}")]
    DuplicateCode {
        /// The system's name.
        system: String,
        /// The code.
        code: EmployeeCode,
        /// How many records hold it (at least 2).
        count: usize,
    },
    /// Too many requests; retry after the given delay where the system said one.
    #[error("rate limited{}: {message}", retry_after.map(|d| format!(" (retry after {} ms)", d.as_millis())).unwrap_or_default())]
    RateLimited {
        /// How long the system asked to wait.
        retry_after: Option<Duration>,
        /// What the system said.
        message: String,
        /// The underlying error.
        #[source]
        source: Option<BoxError>,
    },
    /// The system refuses this kind of call during a maintenance window or restricted hours.
    #[error("inside a maintenance window{}: {message}", ends_at.map(|end| format!(" until {}", end.format("%Y-%m-%d %H:%M %:z"))).unwrap_or_default())]
    MaintenanceWindow {
        /// When the window ends, where known.
        ends_at: Option<DateTime<FixedOffset>>,
        /// What the system said.
        message: String,
    },
    /// The system failed (5xx) or is down.
    #[error("service unavailable{}: {message}", retry_after.map(|d| format!(" (retry after {} ms)", d.as_millis())).unwrap_or_default())]
    Unavailable {
        /// What the system said.
        message: String,
        /// How long the system asked to wait (a 503's `Retry-After`), where it said one.
        retry_after: Option<Duration>,
        /// The underlying error.
        #[source]
        source: Option<BoxError>,
    },
    /// No answer in time.
    #[error("timed out: {message}")]
    Timeout {
        /// What timed out.
        message: String,
        /// The underlying error.
        #[source]
        source: Option<BoxError>,
    },
    /// The connection failed or dropped.
    #[error("connection failed: {message}")]
    Connection {
        /// What failed.
        message: String,
        /// The underlying error.
        #[source]
        source: Option<BoxError>,
    },
    /// The request was refused as invalid (a missing required field, an unknown division, a
    /// value too long …).
    #[error("invalid input{}: {message}", field.map(|f| format!(" in {f}")).unwrap_or_default())]
    InvalidInput {
        /// The field at fault, where known.
        field: Option<Field>,
        /// What the system said.
        message: String,
        /// The underlying error.
        #[source]
        source: Option<BoxError>,
    },
    /// The connector is configured wrongly (missing base URL or token, plain http to a
    /// non-loopback host …). Raised before anything is sent.
    #[error("invalid configuration: {message}")]
    InvalidConfig {
        /// What is wrong and how to fix it.
        message: String,
    },
    /// The answer could not be read (malformed JSON, missing keys).
    #[error("malformed response: {message}")]
    Decode {
        /// What could not be read.
        message: String,
        /// The underlying error.
        #[source]
        source: Option<BoxError>,
    },
    /// Any other refusal, with the system's own words.
    #[error("{message}")]
    Vendor {
        /// What the system said.
        message: String,
        /// The underlying error.
        #[source]
        source: Option<BoxError>,
    },
}

impl ConnectorError {
    /// Whether repeating the same request later may succeed: rate limiting, unavailability,
    /// timeouts and connection failures. Never authentication, permission, not-found or
    /// invalid input (SPEC S1).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::RateLimited { .. }
                | Self::Unavailable { .. }
                | Self::Timeout { .. }
                | Self::Connection { .. }
        )
    }

    /// Whether a write that failed this way may still have been applied by the system (the
    /// response was lost). Such a create must be confirmed by re-reading before it is sent
    /// again (SPEC R11).
    pub fn may_have_been_applied(&self) -> bool {
        matches!(
            self,
            Self::Unavailable { .. }
                | Self::Timeout { .. }
                | Self::Connection { .. }
                | Self::Decode { .. }
        )
    }

    /// The delay the system asked for, if it said one (a 429's or 503's `Retry-After`).
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after, .. } | Self::Unavailable { retry_after, .. } => {
                *retry_after
            }
            _ => None,
        }
    }

    /// Shorthand for [`ConnectorError::InvalidInput`] without a source.
    pub fn invalid_input(field: Option<Field>, message: impl Into<String>) -> Self {
        Self::InvalidInput {
            field,
            message: message.into(),
            source: None,
        }
    }

    /// Shorthand for [`ConnectorError::InvalidConfig`].
    pub fn invalid_config(message: impl Into<String>) -> Self {
        Self::InvalidConfig {
            message: message.into(),
        }
    }

    /// Shorthand for [`ConnectorError::Decode`] without a source.
    pub fn decode(message: impl Into<String>) -> Self {
        Self::Decode {
            message: message.into(),
            source: None,
        }
    }

    /// Shorthand for [`ConnectorError::NotFound`].
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::NotFound {
            message: message.into(),
        }
    }
}

/// A report store failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The storage backend failed (I/O, database busy or locked).
    #[error("report store failed: {message}")]
    Backend {
        /// What failed.
        message: String,
        /// The underlying error.
        #[source]
        source: Option<BoxError>,
    },
    /// Stored data could not be read back (corrupt or from an incompatible version).
    #[error("stored report data unreadable: {message}")]
    Corrupt {
        /// What could not be read.
        message: String,
        /// The underlying error.
        #[source]
        source: Option<BoxError>,
    },
    /// The report does not exist in this store.
    #[error("report {0} not found")]
    NotFound(ReportId),
    /// The report changed since the caller read it (another engine or process claimed the
    /// run first); nothing was written.
    #[error("report {id} changed meanwhile: it is now {status}")]
    StatusChanged {
        /// The report.
        id: ReportId,
        /// Its status as stored now.
        status: RunStatus,
    },
    /// A report with this id is stored already.
    #[error("report {0} exists already")]
    AlreadyExists(ReportId),
    /// The caller no longer holds the claim on this run (its lease expired and the run was
    /// declared abandoned, taken over, or ended); nothing was written. An applier that gets
    /// this stops sending at once.
    #[error("report {id}: this engine's claim on the run is no longer valid ({now})")]
    ClaimLost {
        /// The report.
        id: ReportId,
        /// What the store holds now (the status, and the holder of the current claim).
        now: String,
    },
    /// The report has no entry at this index.
    #[error("report {id} has no entry {index} (it has {len})")]
    NoSuchEntry {
        /// The report.
        id: ReportId,
        /// The index asked for.
        index: usize,
        /// How many entries the report has.
        len: usize,
    },
}

impl StoreError {
    /// Whether the same call may succeed later (a busy or locked database).
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Backend { .. })
    }

    /// Shorthand for [`StoreError::Backend`] with a source.
    pub fn backend(message: impl Into<String>, source: impl Into<BoxError>) -> Self {
        Self::Backend {
            message: message.into(),
            source: Some(source.into()),
        }
    }

    /// Shorthand for [`StoreError::Corrupt`] with a source.
    pub fn corrupt(message: impl Into<String>, source: impl Into<BoxError>) -> Self {
        Self::Corrupt {
            message: message.into(),
            source: Some(source.into()),
        }
    }
}

/// Why the engine refused or failed a request. Nothing was written to either system when a
/// request is refused before its first write (every variant but [`SyncError::Connector`] and
/// [`SyncError::Store`] raised mid-apply).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SyncError {
    /// Only administrators may start or apply runs (SPEC R14).
    #[error("actor {actor} is not an administrator")]
    NotAdministrator {
        /// The actor's id.
        actor: String,
    },
    /// The base date is outside the allowed range (SPEC R2).
    #[error(
        "base date {base_date} is outside the allowed range {earliest} to {latest} (Japan time)"
    )]
    BaseDateOutOfRange {
        /// The date asked for.
        base_date: NaiveDate,
        /// The earliest allowed date.
        earliest: NaiveDate,
        /// The latest allowed date.
        latest: NaiveDate,
    },
    /// A system is inside a maintenance window (SPEC R12).
    #[error("{system} is in a maintenance window until {}; try again after that", ends_at.format("%Y-%m-%d %H:%M %:z"))]
    MaintenanceWindow {
        /// The system's name.
        system: String,
        /// When the window ends (Japan time).
        ends_at: DateTime<FixedOffset>,
    },
    /// No report with this id.
    #[error("no sync report {0}")]
    ReportNotFound(ReportId),
    /// The report is not in a status that allows this request.
    #[error("sync report {id} is {status}; this needs {expected}")]
    WrongStatus {
        /// The report.
        id: ReportId,
        /// Its status.
        status: RunStatus,
        /// The statuses the request needs.
        expected: &'static str,
    },
    /// Another apply of this report is running in this engine.
    #[error("sync report {0} is being applied already")]
    RunInProgress(ReportId),
    /// The run is Syncing under a lease that is still being renewed: its applier looks
    /// alive, so it is not declared abandoned.
    #[error(
        "sync report {id} is being applied by {holder} (lease renewed {renewed_secs_ago} s ago, \
         expires in {expires_in_secs} s); stop it with stop(), or wait for the lease to expire"
    )]
    LeaseHeld {
        /// The report.
        id: ReportId,
        /// Who holds the lease.
        holder: String,
        /// Seconds since the last renewal.
        renewed_secs_ago: i64,
        /// Seconds until the lease expires.
        expires_in_secs: i64,
    },
    /// Nothing was selected (SPEC R6).
    #[error("no employee selected")]
    EmptySelection,
    /// Some selected codes cannot be synced (SPEC R6).
    #[error("selection refused: {}", describe_selection(invalid, unknown))]
    InvalidSelection {
        /// Codes listed as Invalid.
        invalid: Vec<EmployeeCode>,
        /// Codes not in the report's list.
        unknown: Vec<EmployeeCode>,
    },
    /// New employees are selected but a creation-only value is missing (SPEC R7).
    #[error("new employees need a creation value for: {}", kinds.iter().map(|k| k.name()).collect::<Vec<_>>().join(", "))]
    MissingPlacement {
        /// The missing kinds.
        kinds: Vec<MasterKind>,
    },
    /// A creation-only value is not in the target's master list (SPEC R7).
    #[error("unknown {kind} {code:?} in {system}")]
    UnknownPlacement {
        /// The system whose list lacks it.
        system: String,
        /// The kind.
        kind: MasterKind,
        /// The code given.
        code: String,
    },
    /// The selection sets a resignation date on more of the target's enrolled employees
    /// than the mass-resignation guard allows, and the request did not acknowledge the
    /// run's warning ([`ApplyRequest::acknowledging_mass_resignation`](crate::ApplyRequest::acknowledging_mass_resignation)).
    /// Nothing was recorded or written.
    #[error(
        "the selection sets a resignation date on {count} of the target's {enrolled} enrolled \
         employees ({share}); check the source's resignation dates, then apply again \
         acknowledging the run's mass-resignation warning"
    )]
    MassResignationNotAcknowledged {
        /// Selected employees whose update sets a resignation date.
        count: usize,
        /// The target's employees enrolled on the base date, when the run was fetched.
        enrolled: usize,
        /// `count` as a share of `enrolled`.
        share: crate::guards::Share,
    },
    /// The engine is configured wrongly.
    #[error("invalid engine configuration: {0}")]
    InvalidConfig(String),
    /// A connected system failed.
    #[error("{system}: {operation} failed: {source}")]
    Connector {
        /// The system's name.
        system: String,
        /// What was being done.
        operation: &'static str,
        /// What the system answered.
        #[source]
        source: ConnectorError,
    },
    /// The report store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl SyncError {
    /// Whether the same request may succeed later: a retryable system or store failure, or a
    /// maintenance window that will end.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::MaintenanceWindow { .. } | Self::RunInProgress(_) | Self::LeaseHeld { .. } => {
                true
            }
            Self::Connector { source, .. } => {
                source.is_retryable() || matches!(source, ConnectorError::MaintenanceWindow { .. })
            }
            Self::Store(error) => error.is_retryable(),
            _ => false,
        }
    }
}

fn describe_selection(invalid: &[EmployeeCode], unknown: &[EmployeeCode]) -> String {
    let join = |codes: &[EmployeeCode]| {
        codes
            .iter()
            .map(EmployeeCode::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    };
    match (invalid.is_empty(), unknown.is_empty()) {
        (false, false) => format!("invalid: {}; not listed: {}", join(invalid), join(unknown)),
        (false, true) => format!("invalid: {}", join(invalid)),
        _ => format!("not listed: {}", join(unknown)),
    }
}
