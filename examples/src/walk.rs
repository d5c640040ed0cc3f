//! One run, step by step as the seeds' help pages walk an administrator through it:
//! base date → fetch (取得中 → 同期待ち) → the classified list → selection → creation values
//! → sync → the report and the recent runs.

use std::collections::HashSet;
use std::sync::Arc;

use hris_sync_core::{
    Actor, ApplyRequest, ChangeKind, Direction, EmployeeCode, EmployeeSystem, MasterKind,
    Placement, PlannedWrite, RunStatus, Selection, SqliteReportStore, SyncEngine, SyncOptions,
    SyncReport,
};

use crate::args::Args;
use crate::error::Failure;
use crate::output::{self, Output};
use crate::state::DataDir;
use crate::vendor::Attendance;

/// The administrator the demo acts as (SPEC R14).
const ADMIN: &str = "admin@example.co.jp";

/// Runs the example for `direction` with the parsed arguments. The demo's state is saved
/// whatever happens after the systems are opened.
///
/// # Errors
/// A [`Failure`] with the one-line reason.
pub async fn run(direction: Direction, args: Args) -> Result<(), Failure> {
    let data = DataDir::open(&args.data_dir, args.reset)?;
    let attendance = Attendance::connect(args.vendor, &data, args.simulate_window).await?;
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
    let (hr, hr_seeded) = data.open_hr(attendance.clock.today_in_japan())?;
    let result = walk(
        direction,
        &args,
        &out,
        &data,
        &attendance,
        hr.clone(),
        hr_seeded,
    )
    .await;
    // Save both sides even when the run failed half-way: what was written stays written.
    let saved = data.save_hr(&hr).and_then(|()| attendance.save(&data));
    result.and(saved)
}

async fn walk(
    direction: Direction,
    args: &Args,
    out: &Output,
    data: &DataDir,
    attendance: &Attendance,
    hr: hris_sync_core::InMemorySystem,
    hr_seeded: bool,
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
    }
    let seeded = |yes: bool| {
        if yes {
            "seeded now"
        } else {
            "from the last run"
        }
    };
    out.line(format!(
        "  HR side: {} records in {} ({})",
        hr.records().len(),
        data.hr_path().display(),
        seeded(hr_seeded)
    ));
    if let Some(count) = attendance.emulated_count() {
        out.line(format!(
            "  {vendor_name}: {count} records ({})",
            seeded(attendance.seeded)
        ));
    }
    out.line(format!("  reports: {}", data.reports_path().display()));

    let store = SqliteReportStore::open(data.reports_path())?;
    let engine = SyncEngine::builder()
        .with_hr(Arc::new(hr))
        .with_attendance(attendance.client.clone())
        .with_store(Arc::new(store))
        .with_clock(attendance.clock.clone())
        .with_options(SyncOptions::default().with_prefer_business_name(args.business_names))
        .build()?;
    let admin = Actor::administrator(ADMIN);

    // Steps 4–5: the base date, then fetch until 同期待ち.
    let base_date = args
        .base_date
        .unwrap_or_else(|| attendance.clock.today_in_japan());
    out.step(&format!("base date {base_date} (従業員情報取得基準日)"));
    let id = engine.start(direction, base_date, &admin).await?;
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

    // Step 6: the classified list, filtered by kind.
    out.step("employees (変更差分)");
    print!("{}", output::classified(&report, &args.kinds));

    // Selection.
    let selection = match &args.codes {
        Some(codes) => Selection::Codes(codes.clone()),
        None => Selection::new_and_changed(),
    };
    let selected = selected_entries(&report, &selection);
    if args.codes.is_none() && selected.is_empty() {
        out.step("sync");
        out.line("  nothing new or changed to sync; the systems agree");
        return recent(out, &engine).await;
    }

    // Creation values (R7), when new employees are selected.
    let needs_create = selected.contains(&ChangeKind::New);
    let placement = if needs_create {
        out.step("creation values for new employees");
        placement(direction, args, out, &report, attendance.is_emulated())?
    } else {
        Placement::new()
    };

    let request = ApplyRequest::new(selection).with_placement(placement);
    if args.dry_run {
        out.step("dry run: the requests an apply would send");
        for write in engine.preview(id, &request).await? {
            out.line(format!("  {}", describe(&write, &report)));
        }
        out.line(format!(
            "  nothing sent; report {id} stays awaiting_sync (同期待ち)"
        ));
        return recent(out, &engine).await;
    }

    // Validate the whole request (codes, creation values) before saying anything is synced;
    // the engine checks it again on apply.
    engine.preview(id, &request).await?;
    out.step(&format!("sync {} selected (同期を開始)", selected.len()));
    let report = engine
        .apply(id, request.with_progress(out.apply_progress()), &admin)
        .await?;
    out.step("sync report (連携レポート)");
    print!("{}", output::applied(&report));
    recent(out, &engine).await?;
    match report.summary.status {
        RunStatus::Completed => Ok(()),
        RunStatus::CompletedWithErrors => Err(Failure::run(format!(
            "{} employees failed; see report {id} above",
            report.outcome_counts().failed
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
    print!("{}", output::recent(&engine.recent().await?));
    Ok(())
}
