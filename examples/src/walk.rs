//! One run, step by step as the seeds' help pages walk an administrator through it:
//! base date → fetch (取得中 → 同期待ち) → the classified list → selection → creation values
//! → sync → the report and the recent runs. And the recovery of a run whose process was
//! stopped or killed: `--stop`, `--abandon`, `--resume` (docs/operations.md, "Recovering a
//! run").

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use hris_sync_core::store::ReportStore;
use hris_sync_core::{
    Actor, ApplyHandle, ApplyRequest, ChangeKind, Direction, EmployeeCode, EmployeeSystem, Guards,
    MasterKind, Placement, PlannedWrite, ReportId, ReportSummary, RunStatus, Selection, SyncEngine,
    SyncError, SyncOptions, SyncReport,
};

use crate::args::{Args, Command};
use crate::error::Failure;
use crate::hr::Hr;
use crate::output::{self, Output};
use crate::reports;
use crate::state::DataDir;
use crate::vendor::Attendance;

/// The administrator the demo acts as (SPEC R14).
const ADMIN: &str = "admin@example.co.jp";

/// How often a process applying a run looks for a stop request from another process.
const STOP_POLL: Duration = Duration::from_millis(250);

/// Runs the example for `direction` with the parsed arguments. The demo's state is saved
/// after every write and whatever happens after the systems are opened.
///
/// # Errors
/// A [`Failure`] with the one-line reason.
pub async fn run(direction: Direction, args: Args) -> Result<(), Failure> {
    match args.command {
        Command::Abandon(id) => return abandon(&args, id).await,
        Command::Stop(id) => return stop(&args, id).await,
        Command::Purge(days) => {
            return reports::purge(&args, days, &Actor::administrator(ADMIN)).await
        }
        Command::Run | Command::Resume(_) => {}
    }
    let data = DataDir::open(&args.data_dir, args.reset)?;
    let attendance =
        Attendance::connect(args.vendor, &data, args.simulate_window, args.latency).await?;
    run_with(direction, args, data, attendance).await
}

/// Runs the example against an attendance side the caller connected.
///
/// # Errors
/// A [`Failure`] with the one-line reason.
pub async fn run_with(
    direction: Direction,
    args: Args,
    data: DataDir,
    attendance: Attendance,
) -> Result<(), Failure> {
    let out = Output::stdout();
    let hr = Hr::connect(args.hr, &data, attendance.clock.today_in_japan()).await?;
    // A side seeded now is saved at once: a run killed before its first write must find
    // the same employees, with the same record keys, when it is resumed.
    if hr.seeded {
        hr.save(&data)?;
    }
    if attendance.seeded {
        attendance.save(&data)?;
    }
    let result = walk(direction, &args, &out, &data, &attendance, &hr).await;
    // Each write was saved as it was applied; save both sides once more, also when the run
    // failed half-way: what was written stays written.
    let saved = hr.save(&data).and_then(|()| attendance.save(&data));
    result.and(saved)
}

async fn walk(
    direction: Direction,
    args: &Args,
    out: &Output,
    data: &DataDir,
    attendance: &Attendance,
    hr: &Hr,
) -> Result<(), Failure> {
    let vendor_name = attendance.client.info().name.clone();
    let (from, to) = match direction {
        Direction::Export => ("HR", vendor_name.as_str()),
        Direction::Import => (vendor_name.as_str(), "HR"),
    };
    out.line(format!("hris-sync {direction}: {from} → {to}"));
    out.line(format!(
        "  attendance: {vendor_name}, {}",
        attendance.describe()
    ));
    if attendance.is_emulated() {
        if args.simulate_window {
            out.line("  clock pinned to 09:00 Japan time today, inside the restricted hours (--simulate-window)");
        } else {
            out.line("  restricted hours 08:30–10:00 and 17:30–18:30 switched off in the emulator (see --simulate-window)");
        }
        if let Some(latency) = args.latency {
            out.line(format!(
                "  every answer of the emulator delayed by {} ms (--latency-ms)",
                latency.as_millis()
            ));
        }
    }
    let seeded = |yes: bool| {
        if yes {
            "seeded now"
        } else {
            "from the last run"
        }
    };
    out.line(format!("  HR side: {}", hr.describe(data)));
    if let Some(count) = attendance.emulated_count() {
        out.line(format!(
            "  {vendor_name}: {count} records ({})",
            seeded(attendance.seeded)
        ));
    }
    let (store, reports_shown) = reports::open(args).await?;
    out.line(format!("  reports: {reports_shown}"));

    // Both sides save themselves after every write they apply (crate::durable).
    let hr_side = hr.system(data);
    let mut options = SyncOptions::default().with_prefer_business_name(args.business_names);
    if args.allow_mass_clearing {
        options = options.with_guards(Guards::default().with_mass_clearing(None));
    }
    if let Some(lease) = args.lease {
        options = options.with_lease_duration(lease);
    }
    let engine = SyncEngine::builder()
        .with_hr(hr_side)
        .with_attendance(attendance.connector(data))
        .with_store(store.clone())
        .with_clock(attendance.clock.clone())
        .with_options(options)
        .build()?;
    let admin = Actor::administrator(ADMIN);
    let context = Context {
        direction,
        args,
        out,
        attendance,
        hr_local: hr.is_local(),
        engine: &engine,
        store,
        admin: &admin,
    };
    match args.command {
        Command::Resume(id) => context.resume(id).await,
        _ => context.fresh_run().await,
    }
}

/// What the steps of one invocation share.
struct Context<'a> {
    direction: Direction,
    args: &'a Args,
    out: &'a Output,
    attendance: &'a Attendance,
    /// Whether the HR side lives in this process (the file or the SmartHR emulator).
    hr_local: bool,
    engine: &'a SyncEngine,
    store: Arc<dyn ReportStore>,
    admin: &'a Actor,
}

impl Context<'_> {
    /// Base date → fetch → list → selection → sync → report. A run that is not applied in
    /// the end (a dry run, nothing to sync, a refused selection) is discarded, so it does
    /// not crowd the recent runs.
    async fn fresh_run(&self) -> Result<(), Failure> {
        let Self {
            direction,
            args,
            out,
            attendance,
            engine,
            admin,
            ..
        } = self;

        // Steps 4–5: the base date, then fetch until 同期待ち.
        let base_date = args
            .base_date
            .unwrap_or_else(|| attendance.clock.today_in_japan());
        out.step(&format!("base date {base_date} (従業員情報取得基準日)"));
        let id = engine.start(*direction, base_date, admin).await?;
        out.line(format!("  report {id} started"));
        let report = out.while_fetching(engine.wait_until_fetched(id)).await?;
        if report.summary.status != RunStatus::AwaitingSync {
            let reason = report
                .summary
                .failure
                .as_deref()
                .unwrap_or("no reason recorded");
            return Err(Failure::run(format!("fetching failed: {reason}")));
        }
        let elapsed = report.summary.updated_at - report.summary.created_at;
        out.line(format!(
            "  status awaiting_sync (同期待ち) after {:.1} s",
            elapsed.num_milliseconds() as f64 / 1000.0
        ));

        match self.choose_and_apply(&report).await {
            Ok(Some(report)) => self.finish(report).await,
            Ok(None) => {
                self.discard_unapplied(id).await?;
                self.recent().await
            }
            Err(failure) => {
                // The refusal is what the user needs to read; a failed discard changes
                // nothing about it (the run then stays awaiting_sync).
                let _ = self.discard_unapplied(id).await;
                Err(failure)
            }
        }
    }

    /// Steps 6 onwards: the list, the selection, the creation values, and the sync.
    /// `None` when nothing was applied (a dry run, or nothing to sync).
    async fn choose_and_apply(&self, report: &SyncReport) -> Result<Option<SyncReport>, Failure> {
        let Self {
            direction,
            args,
            out,
            attendance,
            engine,
            admin,
            ..
        } = self;
        let id = report.summary.id;

        // What the guards against mass damage found, above the list it is about.
        if !report.summary.warnings.is_empty() {
            out.step("run warnings (guards against mass damage)");
            print!("{}", output::run_warnings(report));
        }

        // Step 6: the classified list, filtered by kind.
        out.step("employees (変更差分)");
        print!("{}", output::classified(report, &args.kinds));

        // Selection.
        let selection = match &args.codes {
            Some(codes) => Selection::Codes(codes.clone()),
            None => Selection::new_and_changed(),
        };
        let selected = selected_entries(report, &selection);
        if args.codes.is_none() && selected.is_empty() {
            out.step("sync");
            out.line("  nothing new or changed to sync; the systems agree");
            return Ok(None);
        }

        // Creation values (R7), when new employees are selected.
        let needs_create = selected.contains(&ChangeKind::New);
        let placement = if needs_create {
            out.step("creation values for new employees");
            let target_local = match direction {
                Direction::Export => attendance.is_emulated(),
                Direction::Import => self.hr_local,
            };
            placement(*direction, args, out, report, target_local)?
        } else {
            Placement::new()
        };

        let mut request = ApplyRequest::new(selection).with_placement(placement);
        if args.acknowledge_mass_resignation {
            request = request.acknowledging_mass_resignation();
        }
        if args.dry_run {
            out.step("dry run: the requests an apply would send");
            for write in engine.preview(id, &request).await.map_err(refusal)? {
                out.line(format!("  {}", describe(&write, report)));
            }
            out.line("  nothing sent");
            return Ok(None);
        }

        // Validate the whole request (codes, creation values) before saying anything is
        // synced; the engine checks it again on apply.
        engine.preview(id, &request).await.map_err(refusal)?;
        out.step(&format!("sync {} selected (同期を開始)", selected.len()));
        let handle = engine
            .begin_apply(id, request.with_progress(out.apply_progress()), admin)
            .await
            .map_err(refusal)?;
        Ok(Some(self.until_applied(handle).await?))
    }

    /// Waits for a claimed run to end, saying first who applies it and how to stop it.
    ///
    /// Meanwhile it watches the report for a stop request from another process (`--stop`)
    /// and passes it on to the engine at once: without that, the applier would see the
    /// request at its next lease renewal, up to a third of the lease (20 s by default) later.
    async fn until_applied(&self, handle: ApplyHandle) -> Result<SyncReport, Failure> {
        let id = handle.id();
        self.applying(id).await;
        let engine = self.engine.clone();
        let store = self.store.clone();
        let watcher = tokio::spawn(async move {
            loop {
                tokio::time::sleep(STOP_POLL).await;
                match store.summary(id).await {
                    Ok(Some(summary)) if summary.status == RunStatus::Syncing => {
                        if let Some(by) = summary.stop_requested {
                            let _ = engine.stop(id, &Actor::administrator(by)).await;
                            return;
                        }
                    }
                    Ok(_) => return,
                    // The applier itself reports a store that fails.
                    Err(_) => {}
                }
            }
        });
        let report = handle.wait().await;
        watcher.abort();
        Ok(report?)
    }

    /// Says who applies the run and how to stop it, once it is claimed.
    async fn applying(&self, id: ReportId) {
        let lease = match self.engine.report(id).await {
            Ok(report) => report.summary.lease,
            Err(_) => None,
        };
        let holder = lease.map_or_else(String::new, |lease| {
            let span = (lease.expires_at - lease.renewed_at).num_seconds();
            format!(" by {}, lease {span} s", lease.holder)
        });
        self.out.line(format!(
            "  report {id} syncing (同期中){holder}; from another terminal: --stop {id}"
        ));
    }

    /// `--resume REPORT`: continues an interrupted run and prints its report.
    async fn resume(&self, id: ReportId) -> Result<(), Failure> {
        let Self {
            direction,
            out,
            attendance,
            engine,
            admin,
            ..
        } = self;
        out.step(&format!("resume report {id} (同期を再開)"));
        let report = engine.report(id).await?;
        let summary = &report.summary;
        if summary.direction != *direction {
            return Err(Failure::usage(format!(
                "report {id} is an {} run; resume it with the {} example",
                summary.direction, summary.direction
            )));
        }
        let vendor = &attendance.client.info().name;
        if &summary.vendor != vendor {
            return Err(Failure::usage(format!(
                "report {id} is a run with {}, not {vendor}; give the --vendor it was made with",
                summary.vendor
            )));
        }
        match summary.status {
            RunStatus::Interrupted => {}
            RunStatus::Syncing => {
                return Err(Failure::run(format!(
                    "report {id} is still syncing: if its process is running, stop it with \
                     --stop {id}; if it has ended (killed, crashed), declare so with --abandon \
                     {id}, then --resume {id}"
                )))
            }
            RunStatus::Fetching => {
                return Err(Failure::run(format!(
                    "report {id} is still fetching: nothing was written; if its process has \
                     ended, --abandon {id} and start a new run"
                )))
            }
            RunStatus::AwaitingSync => {
                return Err(Failure::run(format!(
                    "report {id} was never applied: nothing to resume; start a new run"
                )))
            }
            status => {
                return Err(Failure::run(format!(
                    "report {id} is {status}: nothing is left to resume"
                )))
            }
        }
        out.line(format!(
            "  status interrupted: {}",
            summary.failure.as_deref().unwrap_or("no reason recorded")
        ));
        let counts = report.outcome_counts();
        out.line(format!(
            "  {} of {} selected still pending; the target is read afresh before anything is sent",
            counts.pending,
            counts.selected()
        ));
        let handle = engine
            .begin_resume(id, admin, Some(Arc::new(out.apply_progress())))
            .await?;
        let report = self.until_applied(handle).await?;
        self.finish(report).await
    }

    /// Prints an applied run's report and the recent runs; a run that did not complete is
    /// a failure with what to do next.
    async fn finish(&self, report: SyncReport) -> Result<(), Failure> {
        let out = self.out;
        let id = report.summary.id;
        out.step("sync report (連携レポート)");
        print!("{}", output::applied(&report));
        self.recent().await?;
        match report.summary.status {
            RunStatus::Completed => Ok(()),
            RunStatus::CompletedWithErrors => Err(Failure::run(format!(
                "{} employees failed; see report {id} above",
                report.outcome_counts().failed
            ))),
            RunStatus::Interrupted => Err(Failure::run(format!(
                "the run ended interrupted: {}; continue it with --resume {id}",
                report
                    .summary
                    .failure
                    .as_deref()
                    .unwrap_or("see the report above")
            ))),
            status => Err(Failure::run(format!(
                "the run ended {status}: {}",
                report
                    .summary
                    .failure
                    .as_deref()
                    .unwrap_or("see the report above")
            ))),
        }
    }

    /// Discards the run if it was never applied.
    async fn discard_unapplied(&self, id: ReportId) -> Result<(), Failure> {
        let status = self.engine.report(id).await?.summary.status;
        if status != RunStatus::AwaitingSync {
            return Ok(());
        }
        self.engine.discard(id, self.admin).await?;
        self.out.line(format!(
            "  report {id} discarded: never applied (kept for audit, left out of the recent runs)"
        ));
        Ok(())
    }

    async fn recent(&self) -> Result<(), Failure> {
        recent(self.out, self.engine).await
    }
}

/// A refused apply as the example reports it: the engine's reason, and for a refusal the
/// command line can overcome, the flag that does.
fn refusal(error: SyncError) -> Failure {
    match error {
        SyncError::MassResignationNotAcknowledged { .. } => Failure::run(format!(
            "{error}: read the run warning above, and once the dates are right run again with \
             --acknowledge-mass-resignation (or choose fewer with --codes)"
        )),
        error => error.into(),
    }
}

/// The kinds of the entries a selection picks (codes not in the list are left to the
/// engine, which refuses them by name).
fn selected_entries(report: &SyncReport, selection: &Selection) -> Vec<ChangeKind> {
    match selection {
        Selection::Kinds(kinds) => report
            .entries
            .iter()
            .filter(|entry| entry.is_selectable() && kinds.contains(&entry.kind))
            .map(|entry| entry.kind)
            .collect(),
        Selection::Codes(codes) => {
            let codes: HashSet<&EmployeeCode> = codes.iter().collect();
            report
                .entries
                .iter()
                .filter(|entry| codes.contains(&entry.code))
                .map(|entry| entry.kind)
                .collect()
        }
    }
}

/// The creation values from the flags. A missing one is the first entry of the target's
/// list in emulator mode (said so in the output); with a real vendor the choices are listed
/// and the run stops. An unknown one lists the choices and stops.
fn placement(
    direction: Direction,
    args: &Args,
    out: &Output,
    report: &SyncReport,
    emulated: bool,
) -> Result<Placement, Failure> {
    let wanted: Vec<(MasterKind, &str, Option<&String>)> = match direction {
        Direction::Export => vec![
            (MasterKind::Division, "--division", args.division.as_ref()),
            (
                MasterKind::EmploymentType,
                "--employment-type",
                args.employment_type.as_ref(),
            ),
        ],
        Direction::Import => vec![(MasterKind::Office, "--office", args.office.as_ref())],
    };
    let mut placement = Placement::new();
    let mut missing = Vec::new();
    for (kind, flag, given) in wanted {
        let entries = report.masters.get(&kind).map(Vec::as_slice).unwrap_or(&[]);
        match given {
            Some(code) => {
                let Some(entry) = entries.iter().find(|entry| &entry.code == code) else {
                    out.line(format!("  {kind} choices:"));
                    print!("{}", output::masters(entries));
                    return Err(Failure::usage(format!(
                        "{flag} {code:?} is not a {kind} of the target; choose one listed above"
                    )));
                };
                out.line(format!("  {kind}: {} {}", entry.code, entry.name));
                placement = placement.with(kind, code.as_str());
            }
            None if emulated && !entries.is_empty() => {
                let first = &entries[0];
                out.line(format!(
                    "  {kind}: {} {} — no {flag} given, so the demo uses the first {kind} (emulator mode only)",
                    first.code, first.name
                ));
                placement = placement.with(kind, first.code.as_str());
            }
            None => {
                out.line(format!("  {kind} choices:"));
                print!("{}", output::masters(entries));
                missing.push(flag);
            }
        }
    }
    if missing.is_empty() {
        Ok(placement)
    } else {
        Err(Failure::usage(format!(
            "new employees are selected and need {}; choose from the lists above",
            missing.join(" and ")
        )))
    }
}

fn describe(write: &PlannedWrite, report: &SyncReport) -> String {
    match write {
        PlannedWrite::Create {
            employee,
            placement,
        } => {
            let values: Vec<String> = placement
                .iter()
                .map(|(kind, code)| format!("{kind} {code}"))
                .collect();
            format!("create {} ({})", employee.code, values.join(", "))
        }
        PlannedWrite::Update { id, update } => {
            let fields: Vec<&str> = update.fields().map(|field| field.name()).collect();
            let code = report
                .entries
                .iter()
                .find(|entry| entry.target_id.as_ref() == Some(id))
                .map_or_else(String::new, |entry| format!("{} ", entry.code));
            format!("update {code}(record {id}): {}", fields.join(", "))
        }
    }
}

async fn recent(out: &Output, engine: &SyncEngine) -> Result<(), Failure> {
    out.step("recent runs (newest first, latest 10)");
    let runs = engine.recent().await?;
    print!("{}", output::recent(&runs));
    let now = chrono::Utc::now();
    for run in &runs {
        if let Some(hint) = recovery_hint(run, now) {
            out.line(format!("  {hint}"));
        }
    }
    Ok(())
}

/// What to do about a run left unfinished, for the list of recent runs. The example
/// printing the list holds the data directory, so no other example is applying a run
/// there: one still `syncing` was left so by a process that ended.
fn recovery_hint(run: &ReportSummary, now: chrono::DateTime<chrono::Utc>) -> Option<String> {
    let id = run.id;
    match (run.status, &run.lease) {
        (RunStatus::Interrupted, _) => Some(format!(
            "report {id} is interrupted: continue it with --resume {id}"
        )),
        (RunStatus::Syncing, Some(lease)) if lease.is_fresh_at(now) => Some(format!(
            "report {id} is syncing, but no example is applying it ({} ended): once its lease \
             expires in {} s, --abandon {id}, then --resume {id}",
            lease.holder,
            (lease.expires_at - now).num_seconds().max(1)
        )),
        (RunStatus::Syncing, _) => Some(format!(
            "report {id} is syncing, but its process ended: --abandon {id}, then --resume {id}"
        )),
        _ => None,
    }
}

/// How a recovery command names a run.
fn title(summary: &ReportSummary) -> String {
    format!(
        "report {} ({} {}, base date {})",
        summary.id, summary.vendor, summary.direction, summary.base_date
    )
}

/// `--abandon REPORT`: declares that the process applying (or fetching) a run has ended.
async fn abandon(args: &Args, id: ReportId) -> Result<(), Failure> {
    let out = Output::stdout();
    let admin = Actor::administrator(ADMIN);
    let (engine, shown) = reports::reports_only_engine(args).await?;
    let report = engine.report(id).await?;
    out.line(format!(
        "hris-sync: declare {} abandoned",
        title(&report.summary)
    ));
    out.line(format!("  reports: {shown}"));
    let summary = match engine.mark_abandoned(id, &admin).await {
        Ok(summary) => summary,
        Err(SyncError::LeaseHeld {
            holder,
            renewed_secs_ago,
            expires_in_secs,
            ..
        }) => {
            return Err(Failure::run(format!(
                "report {id} is still being applied by {holder} (lease renewed \
                 {renewed_secs_ago} s ago, expires in {expires_in_secs} s): if that process \
                 has ended, run --abandon {id} again once the lease has expired; to stop a \
                 running one, --stop {id}"
            )))
        }
        Err(SyncError::WrongStatus {
            status: RunStatus::Interrupted,
            ..
        }) => {
            return Err(Failure::run(format!(
                "report {id} is interrupted already: continue it with --resume {id}"
            )))
        }
        Err(error) => return Err(error.into()),
    };
    out.line(format!(
        "  status {}: {}",
        summary.status,
        summary.failure.as_deref().unwrap_or("")
    ));
    if summary.status == RunStatus::Interrupted {
        let counts = engine.report(id).await?.outcome_counts();
        out.line(format!(
            "  {} of {} selected have an outcome, {} pending; continue with --resume {id}",
            counts.selected() - counts.pending,
            counts.selected(),
            counts.pending
        ));
    } else {
        out.line("  nothing was written; start a new run");
    }
    Ok(())
}

/// `--stop REPORT`: asks the process applying a run to stop, and waits until it has
/// (or until its lease runs out unrenewed: then that process has ended).
async fn stop(args: &Args, id: ReportId) -> Result<(), Failure> {
    let out = Output::stdout();
    let admin = Actor::administrator(ADMIN);
    let (engine, shown) = reports::reports_only_engine(args).await?;
    let report = engine.report(id).await?;
    out.line(format!("hris-sync: stop {}", title(&report.summary)));
    out.line(format!("  reports: {shown}"));
    engine.stop(id, &admin).await.map_err(|error| match error {
        SyncError::WrongStatus { status, .. } => Failure::run(format!(
            "report {id} is {status}, not syncing: there is nothing to stop"
        )),
        error => error.into(),
    })?;
    out.line(
        "  stop requested: an example applying it sees it within a second (another applier at \
         its next lease renewal), lets the writes in flight finish and ends the run interrupted",
    );
    loop {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let summary = engine.report(id).await?.summary;
        match (summary.status, &summary.lease) {
            (RunStatus::Syncing, Some(lease)) if lease.is_fresh_at(chrono::Utc::now()) => {}
            (RunStatus::Syncing, _) => {
                return Err(Failure::run(format!(
                    "report {id}'s lease expired without a renewal: the process applying it \
                     has ended; declare so with --abandon {id}, then --resume {id}"
                )))
            }
            (status, _) => {
                let counts = engine.report(id).await?.outcome_counts();
                out.line(format!(
                    "  status {status}: {} of {} selected have an outcome, {} pending",
                    counts.selected() - counts.pending,
                    counts.selected(),
                    counts.pending
                ));
                if status == RunStatus::Interrupted {
                    out.line(format!("  continue with --resume {id}"));
                }
                return Ok(());
            }
        }
    }
}
