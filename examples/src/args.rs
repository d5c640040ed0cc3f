//! The command line: one parser for both examples; the flags that only make sense in one
//! direction are refused in the other.

use std::path::PathBuf;

use std::time::Duration;

use chrono::NaiveDate;
use hris_sync_core::{ChangeKind, Direction, EmployeeCode, ReportId};

use crate::error::Failure;
use crate::hr::HrChoice;
use crate::vendor::Vendor;

/// What the invocation does: a run from the base date to the report (the default), or one
/// of the recovery commands on an existing report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    /// Fetch, list, select and sync: the walk of the vendors' help pages.
    Run,
    /// Continue an interrupted run (`--resume REPORT`).
    Resume(ReportId),
    /// Declare that the process applying a run has ended (`--abandon REPORT`).
    Abandon(ReportId),
    /// Ask the process applying a run to stop gracefully (`--stop REPORT`).
    Stop(ReportId),
    /// Delete (or redact) the reports of ended runs started more than this many days ago
    /// (`--purge-reports-older-than DAYS`).
    Purge(u64),
}

impl Command {
    /// The flag that chose it.
    pub fn flag(self) -> &'static str {
        match self {
            Command::Run => "",
            Command::Resume(_) => "--resume",
            Command::Abandon(_) => "--abandon",
            Command::Stop(_) => "--stop",
            Command::Purge(_) => "--purge-reports-older-than",
        }
    }
}

/// What the user asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Args {
    /// What to do (`--resume`, `--abandon`, `--stop`; a run by default).
    pub command: Command,
    /// Which attendance system (`--vendor`).
    pub vendor: Vendor,
    /// Which HR system (`--hr`): the local file (default) or SmartHR.
    pub hr: HrChoice,
    /// The base date (`--base-date`); `None` means today in Japan.
    pub base_date: Option<NaiveDate>,
    /// The kinds the classified list shows (`--kinds`); empty shows every kind.
    pub kinds: Vec<ChangeKind>,
    /// The codes to sync (`--codes`); `None` selects every New and Changed employee.
    pub codes: Option<Vec<EmployeeCode>>,
    /// The office for new HR employees (`--office`, import only).
    pub office: Option<String>,
    /// The division for new attendance employees (`--division`, export only).
    pub division: Option<String>,
    /// The employment type for new attendance employees (`--employment-type`, export only).
    pub employment_type: Option<String>,
    /// Send business names instead of legal names where set (`--business-names`, export only).
    pub business_names: bool,
    /// Show the list and the requests an apply would send, then stop (`--dry-run`).
    pub dry_run: bool,
    /// Apply even a selection that sets resignation dates on many employees, once its
    /// warning was read (`--acknowledge-mass-resignation`).
    pub acknowledge_mass_resignation: bool,
    /// Send the clears of a field the source has empty for nearly everyone: the
    /// mass-clearing guard off (`--allow-mass-clearing`).
    pub allow_mass_clearing: bool,
    /// Where the demo keeps its state (`--data-dir`).
    pub data_dir: PathBuf,
    /// Start from the seeded data set again (`--reset`).
    pub reset: bool,
    /// Pin the demo clock inside the vendor's maintenance window (`--simulate-window`).
    pub simulate_window: bool,
    /// The applier's lease (`--lease-secs`); `None` keeps the engine's default (60 s).
    pub lease: Option<Duration>,
    /// Delay every answer of the emulator by this much (`--latency-ms`), to watch a run.
    pub latency: Option<Duration>,
    /// Keep the reports in this PostgreSQL database instead of the data directory's SQLite
    /// file (`--database-url`; [`Args::from_env`] reads `HRIS_SYNC_DATABASE_URL` when the
    /// flag is not given, [`Args::from_iter`] only the flag).
    pub database_url: Option<String>,
    /// Redact instead of delete (`--redact-reports`, with `--purge-reports-older-than`).
    pub redact_reports: bool,
    /// Print the help and stop (`--help`).
    pub help: bool,
}

/// The default data directory: `target/hris-sync-demo` of this workspace.
pub fn default_data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(|workspace| workspace.join("target").join("hris-sync-demo"))
        .unwrap_or_else(|| PathBuf::from("target/hris-sync-demo"))
}

impl Args {
    /// Parses the process's arguments.
    ///
    /// # Errors
    /// A usage [`Failure`] naming the flag at fault.
    pub fn from_env(direction: Direction) -> Result<Self, Failure> {
        let mut args = Self::parse(direction, lexopt::Parser::from_env())?;
        if args.database_url.is_none() {
            args.database_url = database_url_from_env()?;
        }
        Ok(args)
    }

    /// Parses the given arguments (without the program name).
    ///
    /// # Errors
    /// A usage [`Failure`] naming the flag at fault.
    pub fn from_iter<I>(direction: Direction, args: I) -> Result<Self, Failure>
    where
        I: IntoIterator,
        I::Item: Into<std::ffi::OsString>,
    {
        Self::parse(direction, lexopt::Parser::from_args(args))
    }

    fn parse(direction: Direction, mut parser: lexopt::Parser) -> Result<Self, Failure> {
        use lexopt::Arg::{Long, Short, Value};

        let mut args = Args {
            command: Command::Run,
            vendor: Vendor::KingOfTime,
            hr: HrChoice::File,
            base_date: None,
            kinds: Vec::new(),
            codes: None,
            office: None,
            division: None,
            employment_type: None,
            business_names: false,
            dry_run: false,
            acknowledge_mass_resignation: false,
            allow_mass_clearing: false,
            data_dir: default_data_dir(),
            reset: false,
            simulate_window: false,
            lease: None,
            latency: None,
            database_url: None,
            redact_reports: false,
            help: false,
        };
        // The run-shaping flags given, to refuse them next to a recovery command.
        let mut shaping: Vec<&'static str> = Vec::new();
        while let Some(arg) = parser.next().map_err(usage)? {
            match arg {
                Short('h') | Long("help") => args.help = true,
                Long("vendor") => args.vendor = value(&mut parser)?.parse()?,
                Long("hr") => args.hr = value(&mut parser)?.parse()?,
                Long("base-date") => {
                    shaping.push("--base-date");
                    args.base_date = Some(parse_date(&value(&mut parser)?)?);
                }
                Long("kinds") => {
                    shaping.push("--kinds");
                    args.kinds = parse_kinds(&value(&mut parser)?)?;
                }
                Long("codes") => {
                    shaping.push("--codes");
                    args.codes = Some(parse_codes(&value(&mut parser)?)?);
                }
                Long("office") => {
                    only(direction, Direction::Import, "--office")?;
                    shaping.push("--office");
                    args.office = Some(non_empty("--office", value(&mut parser)?)?);
                }
                Long("division") => {
                    only(direction, Direction::Export, "--division")?;
                    shaping.push("--division");
                    args.division = Some(non_empty("--division", value(&mut parser)?)?);
                }
                Long("employment-type") => {
                    only(direction, Direction::Export, "--employment-type")?;
                    shaping.push("--employment-type");
                    args.employment_type =
                        Some(non_empty("--employment-type", value(&mut parser)?)?);
                }
                Long("business-names") => {
                    only(direction, Direction::Export, "--business-names")?;
                    shaping.push("--business-names");
                    args.business_names = true;
                }
                Long("dry-run") => {
                    shaping.push("--dry-run");
                    args.dry_run = true;
                }
                Long("acknowledge-mass-resignation") => {
                    shaping.push("--acknowledge-mass-resignation");
                    args.acknowledge_mass_resignation = true;
                }
                Long("allow-mass-clearing") => {
                    shaping.push("--allow-mass-clearing");
                    args.allow_mass_clearing = true;
                }
                Long("data-dir") => args.data_dir = PathBuf::from(value(&mut parser)?),
                Long("reset") => {
                    shaping.push("--reset");
                    args.reset = true;
                }
                Long("simulate-window") => args.simulate_window = true,
                Long("resume") => {
                    let id = parse_report("--resume", &value(&mut parser)?)?;
                    args.set_command(Command::Resume(id))?;
                }
                Long("abandon") => {
                    let id = parse_report("--abandon", &value(&mut parser)?)?;
                    args.set_command(Command::Abandon(id))?;
                }
                Long("stop") => {
                    let id = parse_report("--stop", &value(&mut parser)?)?;
                    args.set_command(Command::Stop(id))?;
                }
                Long("database-url") => {
                    args.database_url = Some(non_empty("--database-url", value(&mut parser)?)?);
                }
                Long("purge-reports-older-than") => {
                    let days = parse_number("--purge-reports-older-than", &value(&mut parser)?)?;
                    args.set_command(Command::Purge(days))?;
                }
                Long("redact-reports") => args.redact_reports = true,
                Long("lease-secs") => {
                    let secs = parse_number("--lease-secs", &value(&mut parser)?)?;
                    if secs == 0 {
                        return Err(Failure::usage("--lease-secs needs at least 1 second"));
                    }
                    args.lease = Some(Duration::from_secs(secs));
                }
                Long("latency-ms") => {
                    let millis = parse_number("--latency-ms", &value(&mut parser)?)?;
                    args.latency = Some(Duration::from_millis(millis));
                }
                Value(value) => {
                    return Err(Failure::usage(format!(
                        "unexpected argument {:?}; see --help",
                        value.to_string_lossy()
                    )))
                }
                other => return Err(usage(other.unexpected())),
            }
        }
        args.check_command(&shaping)?;
        Ok(args)
    }

    fn set_command(&mut self, command: Command) -> Result<(), Failure> {
        if self.command != Command::Run && self.command.flag() != command.flag() {
            return Err(Failure::usage(format!(
                "{} and {} do not go together; give one",
                self.command.flag(),
                command.flag()
            )));
        }
        self.command = command;
        Ok(())
    }

    /// Refuses flags that mean nothing to the recovery command given: a report carries its
    /// own base date, selection and creation values, and `--reset` would delete it.
    fn check_command(&self, shaping: &[&str]) -> Result<(), Failure> {
        if self.redact_reports && !matches!(self.command, Command::Purge(_)) {
            return Err(Failure::usage(
                "--redact-reports goes with --purge-reports-older-than DAYS",
            ));
        }
        if self.command == Command::Run {
            return Ok(());
        }
        let command = self.command.flag();
        if let (Command::Purge(_), Some(flag)) = (self.command, shaping.first()) {
            return Err(Failure::usage(format!(
                "{flag} does not go with {command}, which only purges old reports"
            )));
        }
        if let Some(flag) = shaping.first() {
            return Err(Failure::usage(format!(
                "{flag} does not go with {command}: the report holds its base date, selection \
                 and creation values (and --reset would delete it)"
            )));
        }
        if matches!(
            self.command,
            Command::Abandon(_) | Command::Stop(_) | Command::Purge(_)
        ) {
            let flags = [
                ("--lease-secs", self.lease.is_some()),
                ("--latency-ms", self.latency.is_some()),
                ("--simulate-window", self.simulate_window),
            ];
            if let Some((flag, _)) = flags.iter().find(|(_, given)| *given) {
                return Err(Failure::usage(format!(
                    "{flag} does not go with {command}, which sends nothing and only changes \
                     the report (the lease it waits for is the one the applying process \
                     took: give --lease-secs to that run or to --resume)"
                )));
            }
        }
        Ok(())
    }
}

/// The help text of one example.
pub fn help(direction: Direction) -> String {
    let (title, only) = match direction {
        Direction::Export => (
            "export: HR → attendance (SmartHR→KING OF TIME in the seed's words)",
            "  --division CODE         division (所属) of new attendance employees\n  \
             --employment-type CODE  employment type (雇用区分) of new attendance employees\n  \
             --business-names        send business names instead of legal names where set\n",
        ),
        Direction::Import => (
            "import: attendance → HR (KING OF TIME→SmartHR in the seed's words)",
            "  --office CODE           office (所属事業所) of new HR employees\n",
        ),
    };
    format!(
        "{title}\n\n\
         usage: cargo run --example {direction} -- [options]\n\n\
         options:\n  \
         --vendor NAME           kingoftime (default), touchontime or kinkakuji\n  \
         --hr NAME               file (default: the demo's local HR file) or smarthr\n  \
         --base-date YYYY-MM-DD  base date (従業員情報取得基準日); default today in Japan\n  \
         --kinds LIST            kinds to list: new,changed,unchanged,invalid (default all)\n  \
         --codes LIST            employee codes to sync (default: every new and changed)\n\
         {only}  \
         --dry-run               list the requests an apply would send, send nothing\n  \
         --acknowledge-mass-resignation\n                          \
         apply although the run warns that it sets many resignation dates\n  \
         --allow-mass-clearing   clear a field even when the source has it empty for nearly\n                          \
         everyone (the mass-clearing guard off)\n  \
         --data-dir DIR          where the demo keeps its state (default {})\n  \
         --reset                 start again from the seeded data set\n  \
         --simulate-window       pin the demo clock inside the vendor's maintenance window\n  \
         --latency-ms N          delay every answer of the emulator by N ms (to watch a run)\n  \
         --lease-secs N          the applier's lease on its run (default 60): how long a run\n                          \
         whose process was killed stays refused to --abandon\n  \
         -h, --help              this text\n\n\
         recovering a run (see docs/operations.md, \"Recovering a run\"):\n  \
         --stop REPORT           ask the process applying REPORT to stop after the writes in\n                          \
         flight, and wait until it has\n  \
         --abandon REPORT        declare that the process applying REPORT has ended (killed,\n                          \
         crashed); refused while its lease is fresh\n  \
         --resume REPORT         continue an interrupted REPORT and print its report\n\n\
         reports (see docs/operations.md, \"Choosing a store\" and \"Retention\"):\n  \
         --database-url URL      keep the reports in PostgreSQL (postgres://user:pw@host/db,\n                          \
         schema hris_sync_demo) instead of the data directory's SQLite\n                          \
         file; default: HRIS_SYNC_DATABASE_URL when set\n  \
         --purge-reports-older-than DAYS\n                          \
         delete the reports of runs that ended and started more than\n                          \
         DAYS ago (runs not ended are kept); nothing else is run\n  \
         --redact-reports        with --purge-reports-older-than: keep those reports, without\n                          \
         names, kana, dates or email addresses\n\n\
         With no credentials in the environment the example runs on the embedded emulator.\n\
         With KOT_TOKEN (KING OF TIME; KOT_BASE_URL optional), TOUCHONTIME_TOKEN and\n\
         TOUCHONTIME_BASE_URL, or KINKAKUJI_TOKEN and KINKAKUJI_BASE_URL set, it talks to the\n\
         real vendor. The HR side is the local file in the data directory, or with --hr smarthr\n\
         the embedded SmartHR emulator (saved in the data directory too), or the real tenant\n\
         when SMARTHR_TOKEN and SMARTHR_BASE_URL are set.\n",
        default_data_dir().display()
    )
}

/// `HRIS_SYNC_DATABASE_URL`, when set and not empty.
fn database_url_from_env() -> Result<Option<String>, Failure> {
    let name = hris_sync_store_postgres::DATABASE_URL_ENV;
    match std::env::var(name) {
        Ok(url) if !url.trim().is_empty() => Ok(Some(url.trim().to_owned())),
        Ok(_) | Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => {
            Err(Failure::usage(format!("{name} is not valid UTF-8")))
        }
    }
}

fn usage(error: lexopt::Error) -> Failure {
    Failure::usage(format!("{error}; see --help"))
}

fn value(parser: &mut lexopt::Parser) -> Result<String, Failure> {
    let value = parser.value().map_err(usage)?;
    value
        .into_string()
        .map_err(|raw| Failure::usage(format!("{:?} is not valid UTF-8", raw.to_string_lossy())))
}

fn only(direction: Direction, allowed: Direction, flag: &str) -> Result<(), Failure> {
    if direction == allowed {
        Ok(())
    } else {
        Err(Failure::usage(format!(
            "{flag} applies to the {allowed} example only; see --help"
        )))
    }
}

fn non_empty(flag: &str, value: String) -> Result<String, Failure> {
    if value.trim().is_empty() {
        Err(Failure::usage(format!("{flag} needs a code")))
    } else {
        Ok(value.trim().to_owned())
    }
}

/// A `YYYY-MM-DD` date.
fn parse_date(text: &str) -> Result<NaiveDate, Failure> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| {
        Failure::usage(format!(
            "--base-date {text:?} is not a date; expected YYYY-MM-DD, e.g. 2024-04-01"
        ))
    })
}

/// `new,changed,…` into kinds.
fn parse_kinds(text: &str) -> Result<Vec<ChangeKind>, Failure> {
    let mut kinds = Vec::new();
    for name in text
        .split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
    {
        let kind = ChangeKind::ALL
            .into_iter()
            .find(|kind| kind.to_string() == name.to_ascii_lowercase())
            .ok_or_else(|| {
                Failure::usage(format!(
                    "--kinds: unknown kind {name:?}; use new, changed, unchanged or invalid"
                ))
            })?;
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    if kinds.is_empty() {
        return Err(Failure::usage("--kinds needs at least one kind"));
    }
    Ok(kinds)
}

/// A report id as printed by the examples.
fn parse_report(flag: &str, text: &str) -> Result<ReportId, Failure> {
    text.trim().parse().map_err(|_| {
        Failure::usage(format!(
            "{flag} {text:?} is not a report id; copy one from \"report …\" or the recent runs"
        ))
    })
}

/// A whole number of at most 86 400 000.
fn parse_number(flag: &str, text: &str) -> Result<u64, Failure> {
    match text.trim().parse::<u64>() {
        Ok(number) if number <= 86_400_000 => Ok(number),
        _ => Err(Failure::usage(format!(
            "{flag} {text:?} is not a whole number (at most 86400000)"
        ))),
    }
}

/// `a,b,c` into codes.
fn parse_codes(text: &str) -> Result<Vec<EmployeeCode>, Failure> {
    let codes: Vec<EmployeeCode> = text
        .split(',')
        .map(str::trim)
        .filter(|code| !code.is_empty())
        .map(EmployeeCode::from)
        .collect();
    if codes.is_empty() {
        return Err(Failure::usage("--codes needs at least one employee code"));
    }
    Ok(codes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(direction: Direction, args: &[&str]) -> Result<Args, Failure> {
        Args::from_iter(direction, args.iter().copied())
    }

    #[test]
    fn defaults() {
        let args = parse(Direction::Export, &[]).unwrap();
        assert_eq!(args.vendor, Vendor::KingOfTime);
        assert_eq!(args.base_date, None);
        assert!(args.kinds.is_empty());
        assert_eq!(args.codes, None);
        assert!(args.data_dir.ends_with("target/hris-sync-demo"));
    }

    #[test]
    fn every_flag() {
        let args = parse(
            Direction::Export,
            &[
                "--vendor=touchontime",
                "--base-date",
                "2024-04-01",
                "--kinds",
                "new, Changed,new",
                "--codes=1001,1002,",
                "--division",
                "1000",
                "--employment-type=1",
                "--business-names",
                "--dry-run",
                "--acknowledge-mass-resignation",
                "--allow-mass-clearing",
                "--data-dir",
                "/tmp/x",
                "--reset",
                "--simulate-window",
            ],
        )
        .unwrap();
        assert_eq!(args.vendor, Vendor::TouchOnTime);
        assert_eq!(args.base_date, NaiveDate::from_ymd_opt(2024, 4, 1));
        assert_eq!(args.kinds, vec![ChangeKind::New, ChangeKind::Changed]);
        assert_eq!(
            args.codes,
            Some(vec![EmployeeCode::from("1001"), EmployeeCode::from("1002")])
        );
        assert_eq!(args.division.as_deref(), Some("1000"));
        assert_eq!(args.employment_type.as_deref(), Some("1"));
        assert!(args.business_names && args.dry_run && args.reset && args.simulate_window);
        assert!(args.acknowledge_mass_resignation && args.allow_mass_clearing);
        assert_eq!(args.data_dir, PathBuf::from("/tmp/x"));
    }

    #[test]
    fn reports_flags() {
        let args = parse(
            Direction::Import,
            &[
                "--database-url",
                "postgres://hris@localhost/hr",
                "--purge-reports-older-than=90",
                "--redact-reports",
            ],
        )
        .unwrap();
        assert_eq!(
            args.database_url.as_deref(),
            Some("postgres://hris@localhost/hr")
        );
        assert_eq!(args.command, Command::Purge(90));
        assert!(args.redact_reports);
        for (refused, says) in [
            (
                &["--redact-reports"][..],
                "goes with --purge-reports-older-than",
            ),
            (
                &["--purge-reports-older-than", "9", "--kinds", "new"][..],
                "only purges old reports",
            ),
            (
                &["--purge-reports-older-than", "x"][..],
                "not a whole number",
            ),
            (&["--database-url", " "][..], "--database-url"),
        ] {
            let error = parse(Direction::Export, refused).unwrap_err();
            assert!(error.to_string().contains(says), "{refused:?}: {error}");
        }
    }

    #[test]
    fn recovery_commands_and_watching_flags() {
        let id = ReportId::new();
        let text = id.to_string();
        let args = parse(
            Direction::Export,
            &["--resume", &text, "--lease-secs=3", "--latency-ms", "250"],
        )
        .unwrap();
        assert_eq!(args.command, Command::Resume(id));
        assert_eq!(args.lease, Some(Duration::from_secs(3)));
        assert_eq!(args.latency, Some(Duration::from_millis(250)));
        let args = parse(Direction::Import, &["--abandon", &text]).unwrap();
        assert_eq!(args.command, Command::Abandon(id));
        let args = parse(Direction::Export, &["--stop", &text, "--stop", &text]).unwrap();
        assert_eq!(args.command, Command::Stop(id));
        let args = parse(Direction::Export, &["--latency-ms", "0"]).unwrap();
        assert_eq!(args.command, Command::Run);
        assert_eq!(args.latency, Some(Duration::ZERO));

        let cases: [&[&str]; 9] = [
            &["--resume", "1234"],
            &["--resume", &text, "--abandon", &text],
            &["--resume", &text, "--reset"],
            &["--dry-run", "--abandon", &text],
            &["--stop", &text, "--codes", "1041"],
            &["--abandon", &text, "--lease-secs", "3"],
            &["--resume", &text, "--acknowledge-mass-resignation"],
            &["--lease-secs", "0"],
            &["--latency-ms", "-5"],
        ];
        for args in cases {
            let failure = parse(Direction::Export, args).unwrap_err();
            assert_eq!(failure.exit_code(), 2, "{args:?}");
            assert!(!failure.to_string().contains('\n'), "{args:?}: {failure}");
        }
    }

    #[test]
    fn bad_input_is_a_usage_failure_naming_the_flag() {
        let cases: [(Direction, &[&str], &str); 8] = [
            (
                Direction::Export,
                &["--base-date", "2024-13-01"],
                "--base-date",
            ),
            (Direction::Export, &["--base-date"], "--base-date"),
            (Direction::Export, &["--kinds", "new,moved"], "moved"),
            (Direction::Export, &["--codes", ","], "--codes"),
            (
                Direction::Export,
                &["--office", "HQ"],
                "import example only",
            ),
            (
                Direction::Import,
                &["--division", "1000"],
                "export example only",
            ),
            (Direction::Export, &["--vendor", "acme"], "acme"),
            (Direction::Import, &["--frobnicate"], "frobnicate"),
        ];
        for (direction, args, expected) in cases {
            let failure = parse(direction, args).unwrap_err();
            assert_eq!(failure.exit_code(), 2, "{args:?}");
            let message = failure.to_string();
            assert!(message.contains(expected), "{args:?}: {message}");
            assert!(!message.contains('\n'), "{args:?}: {message}");
        }
    }
}
