//! The sync engine: one run from base date to report (SPEC R1–R14).
//!
//! ```text
//! start(direction, base date, actor)      → report id, status Fetching (R4)
//!   background: list source (as of base date) ‖ list target (all) ‖ target masters
//!               enrolment rule → classify → status AwaitingSync (the report is the preview)
//! apply(report id, selection + placement, actor)
//!   validate (nothing written on error) → claim (status Syncing, lease) → a task the
//!   engine owns: intents recorded, then creates and updates, outcomes recorded
//!   → Completed | CompletedWithErrors | Interrupted (resume continues the Pending ones)
//! stop(report id) → in-flight writes finish and are recorded, the rest stay Pending
//! mark_abandoned(report id) → a run whose applier died (lease expired) becomes Interrupted
//! recover_expired(resume) → every such run becomes Interrupted (and is resumed here)
//! discard(report id) → a never-applied run is put aside (kept for audit)
//! purge_reports_older_than(age, mode) → old final reports deleted or redacted
//! ```
//!
//! The files: `fetch.rs` (start and the background fetch), `apply.rs` (preview, apply,
//! resume, stop), `recovery.rs` (mark_abandoned, recover_expired, discard), `retention.rs`
//! (purge_reports_older_than); the apply loop itself is the
//! crate's `applier` module.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::watch;

use crate::actor::Actor;
use crate::clock::{Clock, SystemClock};
use crate::compare::ComparisonPolicy;
use crate::error::SyncError;
use crate::guards::Guards;
use crate::model::{EmployeeCode, Placement};
use crate::report::{ChangeKind, Direction, ReportId, ReportSummary, SyncReport};
use crate::retry::RetryPolicy;
use crate::store::{MemoryReportStore, ReportQuery, ReportStore, RECENT};
use crate::system::{AttendanceConnector, EmployeeSystem, EmployeeUpdate, HrSystem, Side};

mod apply;
mod fetch;
mod inspect;
mod recovery;
mod retention;

pub use apply::ApplyHandle;
pub use recovery::Recovery;

/// Settings of one connection (連携設定) that shape runs.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct SyncOptions {
    /// Export sends business names instead of legal names where set (SPEC R9). Read when a
    /// run is fetched, so changing it affects later runs only. Import always uses legal names.
    /// This is the value an engine starts with; [`SyncEngine::set_prefer_business_name`]
    /// changes it while the engine runs.
    pub prefer_business_name: bool,
    /// Which differences are cosmetic (SPEC B1).
    pub comparison: ComparisonPolicy,
    /// How many writes apply keeps in flight at once (SPEC P3). At least 1. A connector may
    /// bound its own requests too (the KOT client's `max_concurrency`, 4 by default): the
    /// concurrency reached is the lower of the two.
    pub apply_concurrency: usize,
    /// How many times a create whose response was lost is sent in all, each after a re-read
    /// by code found nothing (SPEC R11). At least 1.
    pub create_attempts: usize,
    /// The waits before a create is sent again after a lost response and an empty
    /// read-back: the policy's backoff, so an outage does not burn every attempt at once.
    pub create_backoff: RetryPolicy,
    /// How long an applier's claim on a run holds without renewal (SPEC S5). The applier
    /// renews it every third of this while it runs; a run whose lease is older can be
    /// declared abandoned by another engine. Choose it well above the clock difference
    /// between the machines sharing a store. At least one second.
    pub lease_duration: Duration,
    /// The guards against mass damage ([`guards`](crate::guards)), each on by default.
    /// Read when a run is fetched (and the mass-resignation threshold again at apply).
    pub guards: Guards,
}

impl Default for SyncOptions {
    fn default() -> Self {
        Self {
            prefer_business_name: false,
            comparison: ComparisonPolicy::default(),
            apply_concurrency: 4,
            create_attempts: 3,
            create_backoff: RetryPolicy::default(),
            lease_duration: Duration::from_secs(60),
            guards: Guards::default(),
        }
    }
}

impl SyncOptions {
    /// Sets [`SyncOptions::prefer_business_name`].
    pub fn with_prefer_business_name(mut self, prefer: bool) -> Self {
        self.prefer_business_name = prefer;
        self
    }

    /// Sets [`SyncOptions::comparison`].
    pub fn with_comparison(mut self, policy: ComparisonPolicy) -> Self {
        self.comparison = policy;
        self
    }

    /// Sets [`SyncOptions::apply_concurrency`] (values below 1 count as 1).
    pub fn with_apply_concurrency(mut self, concurrency: usize) -> Self {
        self.apply_concurrency = concurrency.max(1);
        self
    }

    /// Sets [`SyncOptions::create_attempts`] (values below 1 count as 1).
    pub fn with_create_attempts(mut self, attempts: usize) -> Self {
        self.create_attempts = attempts.max(1);
        self
    }

    /// Sets [`SyncOptions::create_backoff`].
    pub fn with_create_backoff(mut self, policy: RetryPolicy) -> Self {
        self.create_backoff = policy;
        self
    }

    /// Sets [`SyncOptions::lease_duration`] (values below one second count as one second).
    pub fn with_lease_duration(mut self, duration: Duration) -> Self {
        self.lease_duration = duration.max(MIN_LEASE);
        self
    }

    /// Sets [`SyncOptions::guards`] ([`Guards::off`] opts out of every guard).
    pub fn with_guards(mut self, guards: Guards) -> Self {
        self.guards = guards;
        self
    }
}

/// Which listed employees to sync (SPEC R6).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selection {
    /// These codes (as the source holds them).
    Codes(Vec<EmployeeCode>),
    /// Every entry of these kinds (Invalid is never selected).
    Kinds(Vec<ChangeKind>),
}

impl Selection {
    /// The given codes.
    pub fn codes<I, C>(codes: I) -> Self
    where
        I: IntoIterator<Item = C>,
        C: Into<EmployeeCode>,
    {
        Self::Codes(codes.into_iter().map(Into::into).collect())
    }

    /// Every New and Changed employee: what an administrator usually picks.
    pub fn new_and_changed() -> Self {
        Self::Kinds(vec![ChangeKind::New, ChangeKind::Changed])
    }
}

/// A progress event, for progress bars.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Progress {
    /// The run.
    pub report: ReportId,
    /// Selected employees with a final outcome.
    pub done: usize,
    /// Selected employees in all.
    pub total: usize,
}

/// A callback receiving [`Progress`] after each outcome.
pub type ProgressFn = Arc<dyn Fn(Progress) + Send + Sync>;

/// What the administrator chose for one apply.
#[derive(Clone)]
pub struct ApplyRequest {
    /// The employees to sync.
    pub selection: Selection,
    /// The creation-only values for new employees (SPEC R7).
    pub placement: Placement,
    /// Called after each outcome.
    pub progress: Option<ProgressFn>,
    /// The administrator has seen the run's mass-resignation warning and means it: without
    /// this, a selection over the guard's threshold is refused
    /// ([`SyncError::MassResignationNotAcknowledged`]).
    pub acknowledge_mass_resignation: bool,
}

impl fmt::Debug for ApplyRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApplyRequest")
            .field("selection", &self.selection)
            .field("placement", &self.placement)
            .field(
                "acknowledge_mass_resignation",
                &self.acknowledge_mass_resignation,
            )
            .finish_non_exhaustive()
    }
}

impl ApplyRequest {
    /// A request for `selection`, with no placement.
    pub fn new(selection: Selection) -> Self {
        Self {
            selection,
            placement: Placement::new(),
            progress: None,
            acknowledge_mass_resignation: false,
        }
    }

    /// Says the administrator has seen the run's mass-resignation warning and wants the
    /// selection applied anyway (see [`guards`](crate::guards)).
    ///
    /// ```
    /// use hris_sync_core::{ApplyRequest, Selection};
    ///
    /// let request = ApplyRequest::new(Selection::codes(["1001", "1002"]))
    ///     .acknowledging_mass_resignation();
    /// assert!(request.acknowledge_mass_resignation);
    /// ```
    pub fn acknowledging_mass_resignation(mut self) -> Self {
        self.acknowledge_mass_resignation = true;
        self
    }

    /// Sets the creation-only values.
    pub fn with_placement(mut self, placement: Placement) -> Self {
        self.placement = placement;
        self
    }

    /// Sets the progress callback.
    pub fn with_progress(mut self, progress: impl Fn(Progress) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(progress));
        self
    }
}

/// One write an apply would send (SPEC B2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PlannedWrite {
    /// Create this employee with this placement.
    Create {
        /// The employee as sent.
        employee: Box<crate::model::Employee>,
        /// The creation-only values.
        placement: Placement,
    },
    /// Update this record with these changes.
    Update {
        /// The target record.
        id: crate::model::RecordId,
        /// The changes sent.
        update: EmployeeUpdate,
    },
}

/// Builds a [`SyncEngine`].
#[derive(Default)]
pub struct SyncEngineBuilder {
    hr: Option<Arc<dyn HrSystem>>,
    attendance: Option<Arc<dyn AttendanceConnector>>,
    store: Option<Arc<dyn ReportStore>>,
    clock: Option<Arc<dyn Clock>>,
    options: SyncOptions,
    instance: Option<String>,
}

impl fmt::Debug for SyncEngineBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SyncEngineBuilder")
            .field("hr", &self.hr)
            .field("attendance", &self.attendance)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl SyncEngineBuilder {
    /// The HR system (required).
    pub fn with_hr(mut self, hr: Arc<dyn HrSystem>) -> Self {
        self.hr = Some(hr);
        self
    }

    /// The attendance system (required).
    pub fn with_attendance(mut self, attendance: Arc<dyn AttendanceConnector>) -> Self {
        self.attendance = Some(attendance);
        self
    }

    /// Where reports are kept (default: a [`MemoryReportStore`]).
    pub fn with_store(mut self, store: Arc<dyn ReportStore>) -> Self {
        self.store = Some(store);
        self
    }

    /// The clock base dates and windows are reckoned by (default: the host's).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// The connection's settings.
    pub fn with_options(mut self, options: SyncOptions) -> Self {
        self.options = options;
        self
    }

    /// This engine's name in the leases it holds, shown to an administrator who finds a run
    /// being applied (default: the process id and a random suffix, such as `pid 4242/7f3a`).
    /// Give each application instance a name that says where it runs.
    pub fn with_instance_name(mut self, name: impl Into<String>) -> Self {
        self.instance = Some(name.into());
        self
    }

    /// Builds the engine.
    ///
    /// # Errors
    /// [`SyncError::InvalidConfig`] when a system is missing or declares the wrong side.
    pub fn build(self) -> Result<SyncEngine, SyncError> {
        let hr = self
            .hr
            .ok_or_else(|| SyncError::InvalidConfig("no HR system given".into()))?;
        let attendance = self
            .attendance
            .ok_or_else(|| SyncError::InvalidConfig("no attendance system given".into()))?;
        for (system, side) in [
            (&*hr as &dyn EmployeeSystem, Side::Hr),
            (&*attendance as &dyn EmployeeSystem, Side::Attendance),
        ] {
            if system.info().side != side {
                return Err(SyncError::InvalidConfig(format!(
                    "{} declares side {:?} but is used as the {side:?} side",
                    system.info().name,
                    system.info().side
                )));
            }
        }
        Ok(SyncEngine {
            inner: Arc::new(Inner {
                hr,
                attendance,
                store: self
                    .store
                    .unwrap_or_else(|| Arc::new(MemoryReportStore::new())),
                clock: self.clock.unwrap_or_else(|| Arc::new(SystemClock)),
                options: SyncOptions {
                    apply_concurrency: self.options.apply_concurrency.max(1),
                    create_attempts: self.options.create_attempts.max(1),
                    lease_duration: self.options.lease_duration.max(MIN_LEASE),
                    ..self.options
                },
                instance: self.instance.unwrap_or_else(default_instance_name),
                prefer_business_name: AtomicBool::new(self.options.prefer_business_name),
                fetches: Mutex::default(),
                applying: Mutex::default(),
            }),
        })
    }
}

/// Runs syncs between one HR system and one attendance system.
///
/// Cheap to clone; clones share the systems, the store and the running jobs. Background
/// fetches are spawned on the current Tokio runtime.
///
/// Only one apply or resume of a report runs at a time: within an engine (and its clones)
/// a second one is refused with [`SyncError::RunInProgress`]; across engines or processes
/// sharing one store, claiming the run is an atomic step in the store
/// ([`ReportStore::save_selection`] from AwaitingSync, [`ReportStore::transition`] from
/// Interrupted), and the loser gets [`SyncError::WrongStatus`]. The applier holds a lease
/// on the run that it renews while it works; every outcome it records is conditional on
/// still holding it. A run left Syncing by a process that died is declared so with
/// [`SyncEngine::mark_abandoned`] once its lease has expired, then resumed.
///
/// An apply runs in a task the engine owns: dropping the future of
/// [`apply`](SyncEngine::apply) (a client that disconnects, a timeout) never stops it half
/// way; [`stop`](SyncEngine::stop) does, gracefully.
#[derive(Clone)]
pub struct SyncEngine {
    inner: Arc<Inner>,
}

struct Inner {
    hr: Arc<dyn HrSystem>,
    attendance: Arc<dyn AttendanceConnector>,
    store: Arc<dyn ReportStore>,
    clock: Arc<dyn Clock>,
    options: SyncOptions,
    /// This engine's name in its leases.
    instance: String,
    /// The business-name setting in force (SPEC R9): starts as the options' value and can
    /// be changed while the engine runs ([`SyncEngine::set_prefer_business_name`]).
    prefer_business_name: AtomicBool,
    /// Fetch jobs running in this process: their "done" signals.
    fetches: Mutex<HashMap<ReportId, watch::Receiver<bool>>>,
    /// Reports being applied by this engine: how to ask each to stop.
    applying: Mutex<HashMap<ReportId, watch::Sender<Option<String>>>>,
}

/// The shortest lease: renewals every third of it must stay sensible.
const MIN_LEASE: Duration = Duration::from_secs(1);

fn default_instance_name() -> String {
    // The random tail of a version-7 UUID tells two engines of one process apart.
    let id = uuid::Uuid::now_v7().simple().to_string();
    format!("pid {}/{}", std::process::id(), &id[id.len() - 4..])
}

impl fmt::Debug for SyncEngine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SyncEngine")
            .field("hr", &self.inner.hr)
            .field("attendance", &self.inner.attendance)
            .field("store", &self.inner.store)
            .field("options", &self.inner.options)
            .finish_non_exhaustive()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poison| poison.into_inner())
}

impl SyncEngine {
    /// A builder.
    pub fn builder() -> SyncEngineBuilder {
        SyncEngineBuilder::default()
    }

    /// The source and target of a direction.
    fn sides(&self, direction: Direction) -> (&dyn EmployeeSystem, &dyn EmployeeSystem) {
        let hr: &dyn EmployeeSystem = &*self.inner.hr;
        let attendance: &dyn EmployeeSystem = &*self.inner.attendance;
        match direction {
            Direction::Export => (hr, attendance),
            Direction::Import => (attendance, hr),
        }
    }

    fn check_actor(actor: &Actor) -> Result<(), SyncError> {
        if actor.is_administrator() {
            Ok(())
        } else {
            Err(SyncError::NotAdministrator {
                actor: actor.id.clone(),
            })
        }
    }

    fn check_window(&self, system: &dyn EmployeeSystem) -> Result<(), SyncError> {
        let info = system.info();
        match info.maintenance_windows.active_at(self.inner.clock.now()) {
            Some(ends_at) => Err(SyncError::MaintenanceWindow {
                system: info.name.clone(),
                ends_at,
            }),
            None => Ok(()),
        }
    }

    /// Reads a report.
    ///
    /// # Errors
    /// [`SyncError::ReportNotFound`], or a store failure.
    pub async fn report(&self, id: ReportId) -> Result<SyncReport, SyncError> {
        self.inner
            .store
            .load(id)
            .await?
            .ok_or(SyncError::ReportNotFound(id))
    }

    /// The latest 10 runs, newest first (SPEC R13), Discarded ones left out.
    ///
    /// # Errors
    /// A store failure.
    pub async fn recent(&self) -> Result<Vec<ReportSummary>, SyncError> {
        self.list(&ReportQuery::latest(RECENT)).await
    }

    /// The runs a query asks for, newest first (for a paged list of all reports).
    ///
    /// # Errors
    /// A store failure.
    pub async fn list(&self, query: &ReportQuery) -> Result<Vec<ReportSummary>, SyncError> {
        Ok(self.inner.store.list(query).await?)
    }
}
