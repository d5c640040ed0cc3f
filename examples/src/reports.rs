//! Where the reports live: the SQLite file of the data directory, or a PostgreSQL database
//! (`--database-url`, or `HRIS_SYNC_DATABASE_URL`) shared by every process that uses it.
//! And `--purge-reports-older-than DAYS`: retention of the reports' personal data.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use hris_sync_core::store::{PurgeMode, ReportStore};
use hris_sync_core::{Actor, InMemorySystem, SqliteReportStore, SyncEngine};
use hris_sync_store_postgres::{PostgresReportStore, PostgresSettings};

use crate::args::Args;
use crate::error::Failure;
use crate::output::Output;
use crate::state::{self, HR_NAME};

/// The schema the examples keep their reports in on a PostgreSQL server.
pub const SCHEMA: &str = "hris_sync_demo";

/// The report store the arguments ask for, and how to name it in the output (the
/// database URL without its password).
///
/// # Errors
/// A usage [`Failure`] for a malformed URL; a run failure when the store cannot be opened.
pub async fn open(args: &Args) -> Result<(Arc<dyn ReportStore>, String), Failure> {
    match postgres_settings(args)? {
        Some(settings) => {
            let shown = settings.redacted();
            let store = PostgresReportStore::open(settings).await?;
            Ok((Arc::new(store), shown))
        }
        None => {
            let path = state::reports_path(&args.data_dir);
            let store = SqliteReportStore::open(&path)?;
            Ok((Arc::new(store), path.display().to_string()))
        }
    }
}

/// The PostgreSQL settings of `--database-url` (or the environment variable, which
/// [`Args::from_env`] read into it); `None` for SQLite.
fn postgres_settings(args: &Args) -> Result<Option<PostgresSettings>, Failure> {
    args.database_url
        .as_deref()
        .map(|url| PostgresSettings::from_url(url).and_then(|s| s.with_schema(SCHEMA)))
        .transpose()
        .map_err(|error| Failure::usage(format!("--database-url: {error}")))
}

/// The engine of the commands that change reports only (`--stop`, `--abandon`,
/// `--purge-reports-older-than`): the report store and no system (none of them calls one,
/// and none may touch the sides' files, which a run they act on may be writing).
///
/// # Errors
/// A [`Failure`] when there are no reports where the arguments point.
pub async fn reports_only_engine(args: &Args) -> Result<(SyncEngine, String), Failure> {
    if postgres_settings(args)?.is_none() {
        let path = state::reports_path(&args.data_dir);
        if !Path::new(&path).exists() {
            return Err(Failure::run(format!(
                "no reports in {} (check --data-dir)",
                args.data_dir.display()
            )));
        }
    }
    let (store, shown) = open(args).await?;
    let engine = SyncEngine::builder()
        .with_hr(Arc::new(InMemorySystem::hr(HR_NAME)))
        .with_attendance(Arc::new(InMemorySystem::attendance("(not connected)")))
        .with_store(store)
        .build()?;
    Ok((engine, shown))
}

/// `--purge-reports-older-than DAYS` (with `--redact-reports`): deletes, or redacts, the
/// reports of runs that started more than DAYS ago and have ended.
///
/// # Errors
/// A [`Failure`] when the store fails.
pub async fn purge(args: &Args, days: u64, admin: &Actor) -> Result<(), Failure> {
    let out = Output::stdout();
    let mode = if args.redact_reports {
        PurgeMode::Redact
    } else {
        PurgeMode::Delete
    };
    let (engine, shown) = reports_only_engine(args).await?;
    let verb = match mode {
        PurgeMode::Redact => "redact the personal data of",
        PurgeMode::Delete => "delete",
    };
    out.line(format!(
        "hris-sync: {verb} the reports of runs that ended and started more than {days} days ago"
    ));
    out.line(format!("  reports: {shown}"));
    let age = Duration::from_secs(days.saturating_mul(24 * 3600));
    let report = engine.purge_reports_older_than(age, mode, admin).await?;
    out.line(format!(
        "  {} {}, {} kept (not final: still to be applied, resumed or discarded)",
        report.purged,
        match mode {
            PurgeMode::Redact => "redacted",
            PurgeMode::Delete => "deleted",
        },
        report.kept_not_final
    ));
    Ok(())
}
