//! Shared code of the example binaries `export` (HR → attendance) and `import`
//! (attendance → HR).
//!
//! Each example walks the steps of the vendors' help pages: pick a base date, fetch and wait
//! for 同期待ち, read the classified list, select, give the creation values for new
//! employees, sync, and read the report. With no credentials in the environment they run on
//! the embedded KOT-family emulator seeded with [`dataset::Dataset`]; the HR side is a local
//! file ([`state::DataDir`]) or, with `--hr smarthr`, SmartHR (the embedded SmartHR
//! emulator seeded with the same data set, or the real tenant with `SMARTHR_TOKEN` and
//! `SMARTHR_BASE_URL`).
//!
//! | module | job |
//! |---|---|
//! | [`args`] | the command line |
//! | [`console`] | the console demo: emulators, engines, the served router |
//! | [`dataset`] | the seeded company |
//! | [`state`] | the data directory: HR file, emulator state, report database |
//! | [`durable`] | a side saved after every write it applies |
//! | [`hr`] | the HR side: the local file or SmartHR (`--hr`) |

//! | [`reports`] | where reports live (SQLite or PostgreSQL), and their retention |
//! | [`vendor`] | the vendor: real API or emulator |
//! | [`output`] | tables, the list, the report, progress |
//! | [`walk`] | the steps of one run |
//! | [`error`] | one-line failures and exit codes |

pub mod args;
pub mod console;
pub mod dataset;
pub mod durable;
pub mod error;
pub mod hr;
pub mod output;
pub mod reports;
pub mod state;
pub mod vendor;
pub mod walk;

use std::process::ExitCode;

use hris_sync_core::Direction;

use crate::args::Args;
use crate::error::Failure;

/// Parses the arguments, runs one example and turns any failure into one line on standard
/// error and a non-zero exit code.
pub fn main(direction: Direction) -> ExitCode {
    match Args::from_env(direction).and_then(|args| run_args(direction, args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("error: {failure}");
            failure.to_exit_code()
        }
    }
}

/// Runs one example with parsed arguments on a runtime of its own, as the binaries do.
///
/// # Errors
/// A [`Failure`] with the one-line reason.
pub fn run_args(direction: Direction, args: Args) -> Result<(), Failure> {
    if args.help {
        print!("{}", args::help(direction));
        return Ok(());
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|error| Failure::run(format!("cannot start the async runtime: {error}")))?;
    runtime.block_on(walk::run(direction, args))
}
