//! The administrator's console (hris-sync-console) on loopback over the embedded emulators:
//! one HR system and KING OF TIME, Touch On Time and 勤革時, with a demo administrator.
//!
//! ```text
//! cargo run --example console [-- --port 8080] [--latency-ms 300] [--simulate-window]
//!                                  [--database-url postgres://…]
//! ```
//!
//! Prints the URL to open. Everything is in memory, so stopping the process forgets it,
//! except the reports with `--database-url` (or `HRIS_SYNC_DATABASE_URL`): they stay in
//! that PostgreSQL database.

use std::process::ExitCode;
use std::time::Duration;

use hris_sync_examples::console::{serve, DemoOptions, DEMO_ADMIN};
use hris_sync_examples::error::Failure;

const HELP: &str = "\
console: the administrator's screens on 127.0.0.1 over the embedded emulators

USAGE: cargo run --example console [-- OPTIONS]

OPTIONS:
  --port N            listen on this port (default: a free one)
  --latency-ms N      delay every emulator answer by N ms (watch progress, stop, resume)
  --simulate-window   keep the vendors' maintenance windows and pin the clock to 09:00
                      Japan time, inside one (the dashboard shows the notice)
  --database-url URL  keep the reports in this PostgreSQL database (one schema per
                      vendor); default: HRIS_SYNC_DATABASE_URL if set, else in memory
  -h, --help          this text
";

fn main() -> ExitCode {
    match parse().and_then(run) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("error: {failure}");
            failure.to_exit_code()
        }
    }
}

fn parse() -> Result<Option<(DemoOptions, u16)>, Failure> {
    use lexopt::prelude::*;
    let mut options = DemoOptions {
        database_url: std::env::var("HRIS_SYNC_DATABASE_URL")
            .ok()
            .filter(|url| !url.is_empty()),
        ..DemoOptions::default()
    };
    let mut port = 0u16;
    let mut parser = lexopt::Parser::from_env();
    let number = |value: std::ffi::OsString, flag: &str| -> Result<u64, Failure> {
        value
            .to_str()
            .and_then(|text| text.parse().ok())
            .ok_or_else(|| Failure::usage(format!("{flag}: expected a whole number")))
    };
    while let Some(arg) = parser
        .next()
        .map_err(|error| Failure::usage(error.to_string()))?
    {
        let value = |parser: &mut lexopt::Parser| {
            parser
                .value()
                .map_err(|error| Failure::usage(error.to_string()))
        };
        match arg {
            Long("port") => {
                port = u16::try_from(number(value(&mut parser)?, "--port")?)
                    .map_err(|_| Failure::usage("--port: at most 65535"))?;
            }
            Long("latency-ms") => {
                options.latency =
                    Duration::from_millis(number(value(&mut parser)?, "--latency-ms")?);
            }
            Long("simulate-window") => options.simulate_window = true,
            Long("database-url") => {
                let url = value(&mut parser)?;
                let url = url
                    .into_string()
                    .map_err(|_| Failure::usage("--database-url: not valid UTF-8"))?;
                options.database_url = Some(url);
            }
            Short('h') | Long("help") => {
                print!("{HELP}");
                return Ok(None);
            }
            other => return Err(Failure::usage(other.unexpected().to_string())),
        }
    }
    Ok(Some((options, port)))
}

fn run(parsed: Option<(DemoOptions, u16)>) -> Result<(), Failure> {
    let Some((options, port)) = parsed else {
        return Ok(());
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|error| Failure::run(format!("cannot start the async runtime: {error}")))?;
    let reports = if options.database_url.is_some() {
        "reports in PostgreSQL"
    } else {
        "reports in memory"
    };
    runtime.block_on(serve(&options, port, |url| {
        println!("hris-sync console for {DEMO_ADMIN} (demo data in memory, {reports}):");
        println!("  {url}");
        println!("Stop with Ctrl-C.");
    }))
}
