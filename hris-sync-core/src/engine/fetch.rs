//! Starting a run and fetching its lists in the background (SPEC R2–R5).

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use tokio::sync::watch;
use tracing::Instrument;

use super::{lock, SyncEngine};
use crate::actor::Actor;
use crate::base_date;
use crate::classify::{classify, ClassifyRules};
use crate::error::{ConnectorError, SyncError};
use crate::guards::{self, RunWarning};
use crate::model::{MasterEntry, MasterKind, RecordId};
use crate::report::{
    Direction, KindCounts, ReportEntry, ReportId, ReportSummary, RunStatus, SyncReport,
};
use crate::system::{EmployeeSystem, ListOptions, Unclearable};

impl SyncEngine {
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
            lease: None,
            stop_requested: None,
            warnings: Vec::new(),
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
            Ok((masters, entries, warnings)) => {
                summary.status = RunStatus::AwaitingSync;
                summary.counts = KindCounts::of(&entries);
                tracing::info!(
                    new = summary.counts.new,
                    changed = summary.counts.changed,
                    unchanged = summary.counts.unchanged,
                    invalid = summary.counts.invalid,
                    "classified"
                );
                // Counts and codes only: a run warning names no personal data.
                for warning in &warnings {
                    tracing::warn!(warning = %warning, "a guard against mass damage fired");
                }
                summary.warnings = warnings;
                let saving = std::time::Instant::now();
                let saved = self
                    .inner
                    .store
                    .save_plan(&summary, &masters, &entries)
                    .await;
                tracing::debug!(
                    save_plan_us = saving.elapsed().as_micros() as u64,
                    "fetch stages timed"
                );
                saved
            }
            Err(error) => {
                // A vendor's text may quote personal data: it goes to the report, and to the
                // log at debug level only.
                tracing::warn!("fetch failed; the reason is on the report");
                tracing::debug!(error = %error, "fetch failed");
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

    async fn fetch_and_classify(&self, summary: &ReportSummary) -> Result<Fetched, SyncError> {
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
        let listing = std::time::Instant::now();
        let (source_records, target_records, masters) =
            tokio::try_join!(source_list, target_list, masters)?;
        let listed = listing.elapsed();

        let prefer_business_name =
            summary.direction == Direction::Export && self.prefer_business_name();
        let policy = self.inner.options.comparison;
        let base_date = summary.base_date;
        let info = target.info().clone();
        let today = self.inner.clock.today_in_japan();
        let guards = self.inner.options.guards;
        let mut cannot_clear: HashMap<RecordId, Vec<Unclearable>> = HashMap::new();
        for (id, blocked) in target.cannot_clear(&target_records) {
            cannot_clear.entry(id).or_default().push(blocked);
        }
        // Classifying 100,000 employees takes a noticeable fraction of a second of CPU:
        // off the async workers, so an embedding server keeps answering meanwhile.
        let (entries, warnings) = tokio::task::spawn_blocking(move || {
            // Where a fetch spends its time, for an operator (debug level, counts only).
            let started = std::time::Instant::now();
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
                .collect::<Vec<_>>();
            // Clears the source almost certainly did not mean are left out as the target's
            // own unclearable fields are: each entry says so in a warning.
            let mut warnings = guards.before_classify(&enrolled, &target_records, &policy);
            let held_back = guards::held_back_fields(&warnings);
            for (id, blocked) in guards::blocked_clears(&target_records, &held_back) {
                cannot_clear.entry(id).or_default().push(blocked);
            }
            let prepared = started.elapsed();
            let enrolled_count = enrolled.len();
            let started = std::time::Instant::now();
            let entries = classify(
                enrolled,
                &target_records,
                &ClassifyRules::new(&info, &policy, today).with_cannot_clear(&cannot_clear),
            );
            tracing::debug!(
                lists_us = listed.as_micros() as u64,
                enrolled = enrolled_count,
                target_records = target_records.len(),
                enrolment_and_prepare_us = prepared.as_micros() as u64,
                classify_us = started.elapsed().as_micros() as u64,
                "fetch stages timed"
            );
            warnings.extend(guards.after_classify(&entries, &target_records, &policy, base_date));
            (entries, warnings)
        })
        .await
        // A panic in classification goes on as a panic of the fetch job, which the job's
        // watcher records as a Failed run.
        .unwrap_or_else(|error| match error.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(error) => panic!("classification was cancelled: {error}"),
        });
        Ok((masters, entries, warnings))
    }
}

/// What a fetch produces: the target's master lists, the classified list, and what the
/// guards found.
type Fetched = (
    BTreeMap<MasterKind, Vec<MasterEntry>>,
    Vec<ReportEntry>,
    Vec<RunWarning>,
);
