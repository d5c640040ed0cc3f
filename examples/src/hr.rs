//! Which HR system the examples talk to (`--hr`): the local demo file (the default), or
//! SmartHR — the real tenant when `SMARTHR_TOKEN` and `SMARTHR_BASE_URL` are set, otherwise
//! the embedded SmartHR emulator seeded with the demo's data set and saved in the data
//! directory like the attendance emulator.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use chrono::NaiveDate;
use connector_smarthr::emulator::{EmulatedCrew, SmartHrEmulator};
use connector_smarthr::{SmartHrClient, SmartHrClientBuilder, TOKEN_ENV};
use hris_sync_core::{EmployeeSystem, HrSystem, InMemorySystem, MasterKind};

use crate::dataset::{Dataset, OFFICES};
use crate::durable::durable;
use crate::error::Failure;
use crate::state::DataDir;

/// The HR system chosen with `--hr`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum HrChoice {
    /// The demo's local file (`hr.json`).
    #[default]
    File,
    /// SmartHR: the real tenant with credentials, else the embedded emulator.
    SmartHr,
}

impl HrChoice {
    /// The name on the command line.
    pub fn slug(self) -> &'static str {
        match self {
            HrChoice::File => "file",
            HrChoice::SmartHr => "smarthr",
        }
    }
}

impl fmt::Display for HrChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.slug())
    }
}

impl FromStr for HrChoice {
    type Err = Failure;

    fn from_str(name: &str) -> Result<Self, Failure> {
        match name.trim().to_ascii_lowercase().as_str() {
            "file" => Ok(HrChoice::File),
            "smarthr" => Ok(HrChoice::SmartHr),
            _ => Err(Failure::usage(format!(
                "--hr: unknown HR system {name:?}; use file or smarthr"
            ))),
        }
    }
}

/// Whether `SMARTHR_TOKEN` is set (then `--hr smarthr` uses the real tenant).
pub fn smarthr_has_credentials() -> bool {
    std::env::var(TOKEN_ENV).is_ok_and(|token| !token.trim().is_empty())
}

enum Inner {
    File(InMemorySystem),
    SmartHr {
        client: Arc<SmartHrClient>,
        emulator: Option<Arc<SmartHrEmulator>>,
    },
}

/// The HR side of a run.
pub struct Hr {
    inner: Inner,
    /// Whether the side was seeded from the data set in this run.
    pub seeded: bool,
}

impl Hr {
    /// Opens the HR side `choice`: the file (restored, or seeded as of `today`), the real
    /// SmartHR tenant, or a SmartHR emulator holding the state saved in `data` (or the data
    /// set as of `today` on the first run).
    ///
    /// # Errors
    /// A [`Failure`] when the saved state is unreadable or the SmartHR client cannot be
    /// configured (a missing `SMARTHR_BASE_URL`, say).
    pub async fn connect(
        choice: HrChoice,
        data: &DataDir,
        today: NaiveDate,
    ) -> Result<Self, Failure> {
        match choice {
            HrChoice::File => {
                let (hr, seeded) = data.open_hr(today)?;
                Ok(Self {
                    inner: Inner::File(hr),
                    seeded,
                })
            }
            HrChoice::SmartHr if smarthr_has_credentials() => Ok(Self {
                inner: Inner::SmartHr {
                    client: Arc::new(SmartHrClientBuilder::from_env().build()?),
                    emulator: None,
                },
                seeded: false,
            }),
            HrChoice::SmartHr => {
                let emulator = SmartHrEmulator::builder().start().await;
                for (id, name) in OFFICES {
                    emulator.add_office(id, name);
                }
                let saved: Option<Vec<EmulatedCrew>> = data.load(&data.smarthr_path())?;
                let seeded = saved.is_none();
                match saved {
                    Some(crews) => {
                        for crew in crews {
                            emulator.insert(crew);
                        }
                    }
                    None => {
                        for (employee, placement) in Dataset::new(today).hr {
                            emulator.insert_employee(&employee, placement.get(MasterKind::Office));
                        }
                    }
                }
                let client = emulator.client_builder().build()?;
                Ok(Self {
                    inner: Inner::SmartHr {
                        client: Arc::new(client),
                        emulator: Some(Arc::new(emulator)),
                    },
                    seeded,
                })
            }
        }
    }

    /// Whether this side lives in this process (the file or the emulator), so the demo may
    /// pick creation values by itself.
    pub fn is_local(&self) -> bool {
        match &self.inner {
            Inner::File(_) => true,
            Inner::SmartHr { emulator, .. } => emulator.is_some(),
        }
    }

    /// One line saying what the HR side is.
    pub fn describe(&self, data: &DataDir) -> String {
        let seeded = if self.seeded {
            "seeded now"
        } else {
            "from the last run"
        };
        match &self.inner {
            Inner::File(hr) => format!(
                "{} records in {} ({seeded})",
                hr.records().len(),
                data.hr_path().display()
            ),
            Inner::SmartHr {
                emulator: Some(emulator),
                ..
            } => format!(
                "SmartHR, embedded emulator at {}: {} crews in {} ({seeded})",
                emulator.base_url(),
                emulator.crews().len(),
                data.smarthr_path().display()
            ),
            Inner::SmartHr { client, .. } => format!(
                "{}, the real tenant (token from {TOKEN_ENV})",
                client.info().name
            ),
        }
    }

    /// Saves the side for the next run (nothing for the real tenant).
    ///
    /// # Errors
    /// As [`DataDir::save`].
    pub fn save(&self, data: &DataDir) -> Result<(), Failure> {
        match &self.inner {
            Inner::File(hr) => data.save_hr(hr),
            Inner::SmartHr {
                emulator: Some(emulator),
                ..
            } => data.save(&data.smarthr_path(), &emulator.crews()),
            Inner::SmartHr { .. } => Ok(()),
        }
    }

    /// The system the engine uses: a local side saves itself after every write (see
    /// [`crate::durable`]); the real tenant keeps its own state.
    pub fn system(&self, data: &DataDir) -> Arc<dyn HrSystem> {
        let data = data.clone();
        match &self.inner {
            Inner::File(hr) => {
                let saved = hr.clone();
                durable(Arc::new(hr.clone()), Box::new(move || data.save_hr(&saved)))
            }
            Inner::SmartHr {
                client,
                emulator: Some(emulator),
            } => {
                let emulator = Arc::clone(emulator);
                durable(
                    Arc::clone(client),
                    Box::new(move || data.save(&data.smarthr_path(), &emulator.crews())),
                )
            }
            Inner::SmartHr { client, .. } => client.clone(),
        }
    }
}

impl fmt::Debug for Hr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match &self.inner {
            Inner::File(_) => "file",
            Inner::SmartHr {
                emulator: Some(_), ..
            } => "smarthr emulator",
            Inner::SmartHr { .. } => "smarthr",
        };
        f.debug_struct("Hr")
            .field("kind", &kind)
            .field("seeded", &self.seeded)
            .finish_non_exhaustive()
    }
}
