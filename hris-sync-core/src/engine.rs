//! The sync engine: one run from base date to report (SPEC R1–R14).
//!
//! ```text
//! start(direction, base date, actor)      → report id, status Fetching (R4)
//!   background: list source (as of base date) ‖ list target (all) ‖ target masters
//!               enrolment rule → classify → status AwaitingSync (the report is the preview)
//! apply(report id, selection + placement, actor)
//!   validate (nothing written on error) → status Syncing → creates and updates
//!   → Completed | CompletedWithErrors | Interrupted (resume continues the Pending ones)
//! ```

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::NaiveDate;
use tokio::sync::watch;
use tracing::Instrument;

use crate::actor::Actor;
use crate::apply::{self, ApplyContext};
use crate::base_date;
use crate::classify::{classify, TargetRules};
use crate::clock::{Clock, SystemClock};
use crate::compare::ComparisonPolicy;
use crate::error::{ConnectorError, StoreError, SyncError};
use crate::model::{EmployeeCode, MasterEntry, MasterKind, Placement};
use crate::report::{
    ChangeKind, Direction, KindCounts, Outcome, ReportEntry, ReportId, ReportSummary, RunStatus,
    SyncReport,
};
use crate::store::{MemoryReportStore, ReportStore, RECENT};
use crate::system::{
    AttendanceConnector, EmployeeSystem, EmployeeUpdate, HrSystem, ListOptions, Side,
};

/// Settings of one connection (連携設定) that shape runs.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SyncOptions {
    /// Export sends business names instead of legal names where set (SPEC R9). Read when a
    /// run is fetched, so changing it affects later runs only. Import always uses legal names.
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
}

impl Default for SyncOptions {
    fn default() -> Self {
        Self {
            prefer_business_name: false,
            comparison: ComparisonPolicy::default(),
            apply_concurrency: 4,
            create_attempts: 3,
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
}

impl fmt::Debug for ApplyRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApplyRequest")
            .field("selection", &self.selection)
            .field("placement", &self.placement)
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
        }
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
                    ..self.options
                },
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
/// Interrupted), and the loser gets [`SyncError::WrongStatus`]. A run left Syncing by a
/// process that died is declared so with [`SyncEngine::mark_abandoned`], then resumed.
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
    /// Fetch jobs running in this process: their "done" signals.
    fetches: Mutex<HashMap<ReportId, watch::Receiver<bool>>>,
    /// Reports being applied in this process.
    applying: Mutex<HashSet<ReportId>>,
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

    /// Starts a run (SPEC R4): checks the actor (R14), the base date (R2) and both systems'
    /// maintenance windows (R12), records a report with status Fetching and returns its id at
    /// once; the lists are read in the background. Nothing is written to either system.
    ///
    /// # Errors
    /// [`SyncError::NotAdministrator`], [`SyncError::BaseDateOutOfRange`],
    /// [`SyncError::MaintenanceWindow`], or a store failure. Nothing is fetched then.
    pub async fn start(
        &self,
        direction: Direction,
        base_date: NaiveDate,
        actor: &Actor,
    ) -> Result<ReportId, SyncError> {
        Self::check_actor(actor)?;
        base_date::check(base_date, self.inner.clock.today_in_japan())?;
        let (source, target) = self.sides(direction);
        self.check_window(source)?;
        self.check_window(target)?;

        let now = self.inner.clock.now();
        let summary = ReportSummary {
            id: ReportId::new(),
            vendor: self.inner.attendance.info().name.clone(),
            hr_system: self.inner.hr.info().name.clone(),
            direction,
            base_date,
            actor: actor.clone(),
            applied_by: None,
            created_at: now,
            updated_at: now,
            status: RunStatus::Fetching,
            failure: None,
            counts: KindCounts::default(),
        };
        self.inner.store.insert(&summary).await?;
        let id = summary.id;
        let (done, waiter) = watch::channel(false);
        lock(&self.inner.fetches).insert(id, waiter);
        let engine = self.clone();
        let span = tracing::info_span!(
            "sync_fetch",
            report = %id,
            vendor = %summary.vendor,
            direction = %direction,
        );
        tokio::spawn(
            async move {
                let job = tokio::spawn(
                    engine
                        .clone()
                        .fetch_in_background(summary.clone())
                        .in_current_span(),
                );
                if let Err(error) = job.await {
                    // A system (or the store) panicked: record the run as Failed instead of
                    // leaving it in Fetching for ever.
                    tracing::error!(error = %error, "the fetch job ended abnormally");
                    engine
                        .record_fetch_failure(
                            summary,
                            format!("the fetch ended abnormally: {error}"),
                        )
                        .await;
                }
                let _ = done.send(true);
                lock(&engine.inner.fetches).remove(&id);
            }
            .instrument(span),
        );
        Ok(id)
    }

    /// Starts a run and waits for its classified list: the blocking variant for scripts.
    ///
    /// # Errors
    /// As [`SyncEngine::start`]; a fetch failure comes back as the report with status Failed.
    pub async fn fetch(
        &self,
        direction: Direction,
        base_date: NaiveDate,
        actor: &Actor,
    ) -> Result<SyncReport, SyncError> {
        let id = self.start(direction, base_date, actor).await?;
        self.wait_until_fetched(id).await
    }

    /// Waits until a run has left Fetching, then returns its report.
    ///
    /// # Errors
    /// [`SyncError::ReportNotFound`], or a store failure.
    pub async fn wait_until_fetched(&self, id: ReportId) -> Result<SyncReport, SyncError> {
        let waiter = lock(&self.inner.fetches).get(&id).cloned();
        if let Some(mut waiter) = waiter {
            // An error means the job ended and dropped its sender: done either way.
            let _ = waiter.wait_for(|done| *done).await;
        }
        self.report(id).await
    }

    async fn record_fetch_failure(&self, mut summary: ReportSummary, failure: String) {
        let id = summary.id;
        summary.status = RunStatus::Failed;
        summary.counts = KindCounts::default();
        summary.failure = Some(failure);
        summary.updated_at = self.inner.clock.now();
        if let Err(error) = self.inner.store.update_summary(&summary).await {
            tracing::error!(report = %id, error = %error, "report left in status fetching");
        }
    }

    async fn fetch_in_background(self, mut summary: ReportSummary) {
        let id = summary.id;
        let result = self.fetch_and_classify(&summary).await;
        summary.updated_at = self.inner.clock.now();
        let stored = match result {
            Ok((masters, entries)) => {
                summary.status = RunStatus::AwaitingSync;
                summary.counts = KindCounts::of(&entries);
                tracing::info!(
                    new = summary.counts.new,
                    changed = summary.counts.changed,
                    unchanged = summary.counts.unchanged,
                    invalid = summary.counts.invalid,
                    "classified"
                );
                self.inner
                    .store
                    .save_plan(&summary, &masters, &entries)
                    .await
            }
            Err(error) => {
                tracing::warn!(error = %error, "fetch failed");
                summary.status = RunStatus::Failed;
                summary.failure = Some(error.to_string());
                self.inner.store.update_summary(&summary).await
            }
        };
        if let Err(error) = stored {
            // There is no caller to tell: record the failure on the report if the store still
            // takes a small write, and log it loudly either way.
            tracing::error!(report = %id, error = %error, "could not record the fetched plan");
            self.record_fetch_failure(
                summary,
                format!("could not record the fetched plan: {error}"),
            )
            .await;
        }
    }

    async fn fetch_and_classify(
        &self,
        summary: &ReportSummary,
    ) -> Result<(BTreeMap<MasterKind, Vec<MasterEntry>>, Vec<ReportEntry>), SyncError> {
        let (source, target) = self.sides(summary.direction);
        let connector = |system: &dyn EmployeeSystem, operation| {
            let name = system.info().name.clone();
            move |source: ConnectorError| SyncError::Connector {
                system: name,
                operation,
                source,
            }
        };
        let source_list = async {
            source
                .list_employees(&ListOptions::enrolled_on(summary.base_date))
                .await
                .map_err(connector(source, "listing employees"))
        };
        let target_list = async {
            target
                .list_employees(&ListOptions::all_records())
                .await
                .map_err(connector(target, "listing employees"))
        };
        let masters = async {
            let mut masters = BTreeMap::new();
            for kind in &target.info().placement_kinds {
                let entries = target
                    .list_masters(*kind)
                    .await
                    .map_err(connector(target, "listing master values"))?;
                masters.insert(*kind, entries);
            }
            Ok::<_, SyncError>(masters)
        };
        let (source_records, target_records, masters) =
            tokio::try_join!(source_list, target_list, masters)?;

        let prefer_business_name =
            summary.direction == Direction::Export && self.inner.options.prefer_business_name;
        let policy = self.inner.options.comparison;
        let base_date = summary.base_date;
        let required_on_create = target.info().required_on_create.clone();
        // Classifying 100,000 employees takes a noticeable fraction of a second of CPU:
        // off the async workers, so an embedding server keeps answering meanwhile.
        let entries = tokio::task::spawn_blocking(move || {
            let enrolled: Vec<_> = source_records
                .into_iter()
                .map(|record| record.employee)
                .filter(|employee| employee.is_enrolled_on(base_date))
                .map(|employee| {
                    let mut sent = if prefer_business_name {
                        employee.with_business_name_preferred()
                    } else {
                        crate::model::Employee {
                            business_name: None,
                            ..employee
                        }
                    };
                    policy.prepare_outgoing(&mut sent);
                    sent
                })
                .collect();
            classify(
                enrolled,
                &target_records,
                TargetRules {
                    required_on_create: &required_on_create,
                    policy: &policy,
                },
            )
        })
        .await
        // A panic in classification goes on as a panic of the fetch job, which the job's
        // watcher records as a Failed run.
        .unwrap_or_else(|error| match error.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(error) => panic!("classification was cancelled: {error}"),
        });
        Ok((masters, entries))
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

    /// The latest 10 runs, newest first (SPEC R13).
    ///
    /// # Errors
    /// A store failure.
    pub async fn recent(&self) -> Result<Vec<ReportSummary>, SyncError> {
        Ok(self.inner.store.list(RECENT).await?)
    }

    /// The writes an apply of this selection would send, without sending anything (B2).
    ///
    /// # Errors
    /// As the validation of [`SyncEngine::apply`].
    pub async fn preview(
        &self,
        id: ReportId,
        request: &ApplyRequest,
    ) -> Result<Vec<PlannedWrite>, SyncError> {
        let report = self.report(id).await?;
        expect_status(&report, &[RunStatus::AwaitingSync], "awaiting_sync")?;
        let (_, target) = self.sides(report.summary.direction);
        let selected = validate_request(&report, request, target)?;
        Ok(selected
            .into_iter()
            .filter_map(|index| {
                let entry = &report.entries[index];
                match (entry.kind, &entry.target_id) {
                    (ChangeKind::New, _) => Some(PlannedWrite::Create {
                        employee: Box::new(entry.employee.clone()),
                        placement: request.placement.clone(),
                    }),
                    (ChangeKind::Changed, Some(id)) => Some(PlannedWrite::Update {
                        id: id.clone(),
                        update: EmployeeUpdate::from_fields(
                            &entry.employee,
                            entry.differences.iter().map(|difference| difference.field),
                        ),
                    }),
                    _ => None,
                }
            })
            .collect())
    }

    /// Applies a selection (SPEC R6, R7, R10, R11): validates it against the report and the
    /// target's master lists (nothing written on error), records it (status Syncing), then
    /// creates the New, updates the Changed (only differing fields) and skips the Unchanged,
    /// recording each outcome as it happens. Returns the report as it ends: Completed,
    /// CompletedWithErrors, or Interrupted (resume with [`SyncEngine::resume`]).
    ///
    /// # Errors
    /// Refusals before anything is recorded or written: [`SyncError::NotAdministrator`],
    /// [`SyncError::WrongStatus`], [`SyncError::RunInProgress`],
    /// [`SyncError::EmptySelection`], [`SyncError::InvalidSelection`],
    /// [`SyncError::MissingPlacement`], [`SyncError::UnknownPlacement`],
    /// [`SyncError::MaintenanceWindow`]; and store failures.
    pub async fn apply(
        &self,
        id: ReportId,
        request: ApplyRequest,
        actor: &Actor,
    ) -> Result<SyncReport, SyncError> {
        Self::check_actor(actor)?;
        let _running = self.claim(id)?;
        let mut report = self.report(id).await?;
        expect_status(&report, &[RunStatus::AwaitingSync], "awaiting_sync")?;
        let (_, target) = self.sides(report.summary.direction);
        let selected = validate_request(&report, &request, target)?;
        self.check_window(target)?;

        report.summary.status = RunStatus::Syncing;
        report.summary.applied_by = Some(actor.clone());
        report.summary.updated_at = self.inner.clock.now();
        self.inner
            .store
            .save_selection(&report.summary, &request.placement, &selected)
            .await
            .map_err(|error| claim_lost(error, "awaiting_sync"))?;
        for index in &selected {
            report.entries[*index].outcome = Some(Outcome::Pending);
        }
        report.placement = Some(request.placement);
        self.run_apply(report, request.progress).await
    }

    /// Continues an interrupted apply (SPEC R12, R13): only employees without a final
    /// outcome are processed, after a fresh read of the target so nothing is created twice.
    ///
    /// The run must be Interrupted. A run left Syncing by a process that ended is first
    /// declared abandoned with [`SyncEngine::mark_abandoned`]. Claiming the run is one
    /// atomic step in the store, so of two engines resuming the same report only one goes on.
    ///
    /// # Errors
    /// [`SyncError::NotAdministrator`], [`SyncError::WrongStatus`] (also when another engine
    /// claimed the run first), [`SyncError::RunInProgress`], [`SyncError::MaintenanceWindow`],
    /// store failures.
    pub async fn resume(
        &self,
        id: ReportId,
        actor: &Actor,
        progress: Option<ProgressFn>,
    ) -> Result<SyncReport, SyncError> {
        Self::check_actor(actor)?;
        let _running = self.claim(id)?;
        let mut report = self.report(id).await?;
        expect_status(&report, &[RunStatus::Interrupted], "interrupted")?;
        let (_, target) = self.sides(report.summary.direction);
        self.check_window(target)?;
        let read = report.summary.clone();
        report.summary.status = RunStatus::Syncing;
        report.summary.failure = None;
        report.summary.applied_by = Some(actor.clone());
        report.summary.updated_at = self.inner.clock.now();
        self.inner
            .store
            .transition(&read, &report.summary)
            .await
            .map_err(|error| claim_lost(error, "interrupted"))?;
        self.run_apply(report, progress).await
    }

    /// Declares that the process working on a run has ended (a crash, a deploy, a power
    /// cut), so the run does not stay in progress for ever: a Fetching run becomes Failed
    /// (start a new run; nothing was written), a Syncing run becomes Interrupted (continue it
    /// with [`SyncEngine::resume`]). The reason names the actor; no system is called.
    ///
    /// Only the operator can know that the other process is gone: the store cannot tell a
    /// run whose process died from one still running elsewhere. A run this engine is
    /// fetching or applying is refused. (Should a fetch declared abandoned still be alive,
    /// its plan may yet arrive and make the run AwaitingSync again: harmless, since nothing
    /// is written before an apply.)
    ///
    /// # Errors
    /// [`SyncError::NotAdministrator`], [`SyncError::RunInProgress`],
    /// [`SyncError::WrongStatus`] unless the run is Fetching or Syncing, store failures.
    pub async fn mark_abandoned(
        &self,
        id: ReportId,
        actor: &Actor,
    ) -> Result<ReportSummary, SyncError> {
        Self::check_actor(actor)?;
        let _running = self.claim(id)?;
        if lock(&self.inner.fetches).contains_key(&id) {
            return Err(SyncError::RunInProgress(id));
        }
        let read = self
            .inner
            .store
            .summary(id)
            .await?
            .ok_or(SyncError::ReportNotFound(id))?;
        let (status, work) = match read.status {
            RunStatus::Fetching => (RunStatus::Failed, "fetching"),
            RunStatus::Syncing => (RunStatus::Interrupted, "applying"),
            status => {
                return Err(SyncError::WrongStatus {
                    id,
                    status,
                    expected: "fetching or syncing",
                })
            }
        };
        let mut summary = read.clone();
        summary.status = status;
        summary.failure = Some(format!(
            "declared abandoned by {}: the process {work} it ended",
            actor.id
        ));
        summary.updated_at = self.inner.clock.now();
        self.inner
            .store
            .transition(&read, &summary)
            .await
            .map_err(|error| claim_lost(error, "fetching or syncing"))?;
        Ok(summary)
    }

    async fn run_apply(
        &self,
        report: SyncReport,
        progress: Option<ProgressFn>,
    ) -> Result<SyncReport, SyncError> {
        let id = report.summary.id;
        let direction = report.summary.direction;
        let target: Arc<dyn EmployeeSystem> = match direction {
            Direction::Export => self.inner.attendance.clone(),
            Direction::Import => self.inner.hr.clone(),
        };
        let span = tracing::info_span!(
            "sync_apply",
            report = %id,
            vendor = %report.summary.vendor,
            direction = %direction,
        );
        let mut summary = report.summary.clone();
        let ending = match apply::run(ApplyContext {
            report,
            target,
            store: self.inner.store.clone(),
            policy: self.inner.options.comparison,
            concurrency: self.inner.options.apply_concurrency,
            create_attempts: self.inner.options.create_attempts,
            progress,
        })
        .instrument(span)
        .await
        {
            Ok(ending) => ending,
            Err(error) => {
                // The store failed mid-apply. Say so on the report if the store still takes
                // a small write, so it does not sit in Syncing as if still running; resume
                // continues the employees whose outcome was not recorded either way.
                summary.status = RunStatus::Interrupted;
                summary.failure = Some(format!("apply stopped: {error}"));
                summary.updated_at = self.inner.clock.now();
                if let Err(also) = self.inner.store.update_summary(&summary).await {
                    tracing::error!(report = %id, error = %also, "report left in status syncing");
                }
                return Err(error);
            }
        };
        summary.status = ending.status;
        summary.failure = ending.failure;
        summary.updated_at = self.inner.clock.now();
        self.inner.store.update_summary(&summary).await?;
        self.report(id).await
    }

    fn claim(&self, id: ReportId) -> Result<Claim, SyncError> {
        if lock(&self.inner.applying).insert(id) {
            Ok(Claim {
                engine: self.inner.clone(),
                id,
            })
        } else {
            Err(SyncError::RunInProgress(id))
        }
    }
}

/// Marks a report as being applied in this process until dropped.
struct Claim {
    engine: Arc<Inner>,
    id: ReportId,
}

impl Drop for Claim {
    fn drop(&mut self) {
        lock(&self.engine.applying).remove(&self.id);
    }
}

/// A store's refusal to let this engine claim a run, as the engine reports it.
fn claim_lost(error: StoreError, expected: &'static str) -> SyncError {
    match error {
        StoreError::StatusChanged { id, status } => SyncError::WrongStatus {
            id,
            status,
            expected,
        },
        error => error.into(),
    }
}

fn expect_status(
    report: &SyncReport,
    allowed: &[RunStatus],
    expected: &'static str,
) -> Result<(), SyncError> {
    if allowed.contains(&report.summary.status) {
        Ok(())
    } else {
        Err(SyncError::WrongStatus {
            id: report.summary.id,
            status: report.summary.status,
            expected,
        })
    }
}

/// The indices of the selected entries, after every check of SPEC R6 and R7.
fn validate_request(
    report: &SyncReport,
    request: &ApplyRequest,
    target: &dyn EmployeeSystem,
) -> Result<Vec<usize>, SyncError> {
    let selected: Vec<usize> = match &request.selection {
        Selection::Kinds(kinds) => report
            .entries
            .iter()
            .enumerate()
            .filter(|(_, entry)| entry.is_selectable() && kinds.contains(&entry.kind))
            .map(|(index, _)| index)
            .collect(),
        Selection::Codes(codes) => {
            let mut by_code: HashMap<&EmployeeCode, Vec<usize>> = HashMap::new();
            for (index, entry) in report.entries.iter().enumerate() {
                by_code.entry(&entry.code).or_default().push(index);
            }
            let (mut invalid, mut unknown, mut selected) = (Vec::new(), Vec::new(), Vec::new());
            let mut seen = HashSet::new();
            for code in codes {
                if !seen.insert(code) {
                    continue;
                }
                match by_code.get(code).map(Vec::as_slice) {
                    None => unknown.push(code.clone()),
                    Some([index]) if report.entries[*index].is_selectable() => {
                        selected.push(*index)
                    }
                    Some(_) => invalid.push(code.clone()),
                }
            }
            if !invalid.is_empty() || !unknown.is_empty() {
                return Err(SyncError::InvalidSelection { invalid, unknown });
            }
            selected.sort_unstable();
            selected
        }
    };
    if selected.is_empty() {
        return Err(SyncError::EmptySelection);
    }
    let creates = selected
        .iter()
        .any(|index| report.entries[*index].kind == ChangeKind::New);
    if creates {
        let info = target.info();
        let missing: Vec<MasterKind> = info
            .placement_kinds
            .iter()
            .copied()
            .filter(|kind| {
                request
                    .placement
                    .get(*kind)
                    .is_none_or(|code| code.trim().is_empty())
            })
            .collect();
        if !missing.is_empty() {
            return Err(SyncError::MissingPlacement { kinds: missing });
        }
        for kind in &info.placement_kinds {
            let code = request.placement.get(*kind).unwrap_or_default();
            let known = report
                .masters
                .get(kind)
                .is_some_and(|entries| entries.iter().any(|entry| entry.code == code));
            if !known {
                return Err(SyncError::UnknownPlacement {
                    system: info.name.clone(),
                    kind: *kind,
                    code: code.to_owned(),
                });
            }
        }
    }
    Ok(selected)
}
