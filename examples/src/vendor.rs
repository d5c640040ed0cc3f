//! Which attendance system the examples talk to, and how: the real vendor when its
//! credentials are in the environment, otherwise the embedded emulator branded as that
//! vendor and seeded with the demo's data set.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use connector_kingoftime::emulator::{EmulatedEmployee, KotEmulator};
use connector_kingoftime::{Brand, KingOfTime, KotClient, KotClientBuilder};
use hris_sync_core::{AttendanceConnector, Clock, FixedClock, MaintenanceWindows, SystemClock};

use crate::dataset::{Dataset, DIVISIONS, EMPLOYMENT_TYPES};
use crate::durable::durable;
use crate::error::Failure;
use crate::state::DataDir;

/// A member of the KOT family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Vendor {
    /// KING OF TIME.
    KingOfTime,
    /// Touch On Time.
    TouchOnTime,
    /// 勤革時.
    Kinkakuji,
}

impl Vendor {
    /// Every vendor.
    pub const ALL: [Vendor; 3] = [Vendor::KingOfTime, Vendor::TouchOnTime, Vendor::Kinkakuji];

    /// The name used on the command line and for state files.
    pub fn slug(self) -> &'static str {
        match self {
            Vendor::KingOfTime => "kingoftime",
            Vendor::TouchOnTime => "touchontime",
            Vendor::Kinkakuji => "kinkakuji",
        }
    }

    /// The brand: name, environment variables, base URL, maintenance windows.
    pub fn brand(self) -> Brand {
        match self {
            Vendor::KingOfTime => KingOfTime::brand(),
            Vendor::TouchOnTime => connector_touchontime::brand(),
            Vendor::Kinkakuji => connector_kinkakuji::brand(),
        }
    }

    /// A client builder configured from the vendor's environment variables.
    pub fn from_env(self) -> KotClientBuilder {
        match self {
            Vendor::KingOfTime => KingOfTime::from_env(),
            Vendor::TouchOnTime => connector_touchontime::from_env(),
            Vendor::Kinkakuji => connector_kinkakuji::from_env(),
        }
    }

    /// Whether the vendor's token variable is set (then the examples use the real vendor).
    pub fn has_credentials(self) -> bool {
        std::env::var(self.brand().token_env_var()).is_ok_and(|token| !token.trim().is_empty())
    }
}

impl fmt::Display for Vendor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.slug())
    }
}

impl FromStr for Vendor {
    type Err = Failure;

    fn from_str(name: &str) -> Result<Self, Failure> {
        Vendor::ALL
            .into_iter()
            .find(|vendor| vendor.slug() == name.trim().to_ascii_lowercase())
            .ok_or_else(|| {
                Failure::usage(format!(
                    "--vendor: unknown vendor {name:?}; use kingoftime, touchontime or kinkakuji"
                ))
            })
    }
}

/// The attendance side of a run.
#[derive(Debug)]
pub struct Attendance {
    /// The client the engine uses.
    pub client: Arc<KotClient>,
    /// The clock of the whole run (the engine's, the client's and the emulator's).
    pub clock: Arc<dyn Clock>,
    /// The emulator, in emulator mode.
    emulator: Option<Arc<KotEmulator>>,
    vendor: Vendor,
    /// Whether the emulator was seeded from the data set in this run.
    pub seeded: bool,
}

impl Attendance {
    /// Connects to `vendor`: the real API when its token is in the environment, otherwise a
    /// fresh emulator holding the state saved in `data` (or the data set as of today on the
    /// first run).
    ///
    /// In emulator mode the vendor's restricted hours (08:30–10:00 and 17:30–18:30 Japan
    /// time) are switched off so the demo works at any hour, unless `simulate_window`, which
    /// keeps them and pins the clock to 09:00 Japan time today, inside the first. With
    /// `latency`, the emulator delays every answer by that much.
    ///
    /// # Errors
    /// A [`Failure`] when the client cannot be configured (a missing base URL for a brand
    /// without a public one, plain http to a remote host …) or the saved state is unreadable.
    pub async fn connect(
        vendor: Vendor,
        data: &DataDir,
        simulate_window: bool,
        latency: Option<Duration>,
    ) -> Result<Self, Failure> {
        if vendor.has_credentials() {
            for (flag, given) in [
                ("--simulate-window", simulate_window),
                ("--latency-ms", latency.is_some()),
            ] {
                if given {
                    return Err(Failure::usage(format!(
                        "{flag} works on the emulator only; unset the vendor's token to use it"
                    )));
                }
            }
            return Self::real(vendor, vendor.from_env());
        }

        let (clock, brand): (Arc<dyn Clock>, Brand) = if simulate_window {
            let today = SystemClock.today_in_japan();
            let nine = FixedClock::at_japan_time(
                chrono::Datelike::year(&today),
                chrono::Datelike::month(&today),
                chrono::Datelike::day(&today),
                9,
                0,
            );
            (Arc::new(nine), vendor.brand())
        } else {
            (
                Arc::new(SystemClock),
                vendor
                    .brand()
                    .with_maintenance_windows(MaintenanceWindows::none()),
            )
        };
        let emulator = start_emulator(brand, clock.clone(), latency.unwrap_or_default()).await;
        let saved: Option<Vec<EmulatedEmployee>> = data.load(&data.attendance_path(vendor))?;
        let seeded = saved.is_none();
        match saved {
            Some(employees) => {
                for employee in employees {
                    emulator.insert(employee);
                }
            }
            None => seed_emulator(&emulator, clock.today_in_japan()),
        }
        let client = emulator.client_builder().build()?;
        Ok(Self {
            client: Arc::new(client),
            clock,
            emulator: Some(Arc::new(emulator)),
            vendor,
            seeded,
        })
    }

    /// The real vendor, through a client built from `builder` (credentials and endpoint
    /// set) on the host's clock. No data set is seeded and nothing is saved for it.
    ///
    /// # Errors
    /// A [`Failure`] when the client cannot be built.
    pub fn real(vendor: Vendor, builder: KotClientBuilder) -> Result<Self, Failure> {
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let client = builder.with_clock(clock.clone()).build()?;
        Ok(Self {
            client: Arc::new(client),
            clock,
            emulator: None,
            vendor,
            seeded: false,
        })
    }

    /// Whether this is the emulator.
    pub fn is_emulated(&self) -> bool {
        self.emulator.is_some()
    }

    /// Where the client sends requests (the emulator's loopback address in emulator mode).
    pub fn describe(&self) -> String {
        match &self.emulator {
            Some(emulator) => format!("embedded emulator at {}", emulator.base_url()),
            None => format!(
                "the real API (token from {})",
                self.vendor.brand().token_env_var()
            ),
        }
    }

    /// How many employees the emulator holds (`None` for the real vendor).
    pub fn emulated_count(&self) -> Option<usize> {
        self.emulator.as_ref().map(|e| e.employees().len())
    }

    /// Saves the emulator's employees for the next run (nothing for the real vendor).
    ///
    /// # Errors
    /// As [`DataDir::save`].
    pub fn save(&self, data: &DataDir) -> Result<(), Failure> {
        let Some(emulator) = &self.emulator else {
            return Ok(());
        };
        data.save(&data.attendance_path(self.vendor), &emulator.employees())
    }

    /// The connector the engine uses. In emulator mode it saves the emulator's employees
    /// to `data` after every write, before the engine sees the answer (see
    /// [`crate::durable`]): the vendor's own durability, for a vendor that lives in this
    /// process. The real vendor keeps its own state.
    pub fn connector(&self, data: &DataDir) -> Arc<dyn AttendanceConnector> {
        let Some(emulator) = &self.emulator else {
            return self.client.clone();
        };
        let emulator = Arc::clone(emulator);
        let data = data.clone();
        let path = data.attendance_path(self.vendor);
        durable(
            Arc::clone(&self.client),
            Box::new(move || data.save(&path, &emulator.employees())),
        )
    }
}

/// An emulator branded `brand` on `clock`, answering after `latency`, with the data set's
/// divisions and employment types and no employee yet.
pub async fn start_emulator(brand: Brand, clock: Arc<dyn Clock>, latency: Duration) -> KotEmulator {
    let emulator = KotEmulator::builder()
        .with_brand(brand)
        .with_clock(clock)
        .with_latency(latency)
        .start()
        .await;
    for (code, name) in DIVISIONS {
        emulator.add_division(code, name);
    }
    for (code, name) in EMPLOYMENT_TYPES {
        emulator.add_working_type(code, name);
    }
    emulator
}

/// Seeds an emulator with the data set's attendance employees as of `today`.
pub fn seed_emulator(emulator: &KotEmulator, today: chrono::NaiveDate) {
    for seed in Dataset::new(today).attendance {
        let mut employee =
            EmulatedEmployee::from_employee(&seed.employee, seed.division, seed.employment_type);
        employee.email_addresses.extend(seed.more_emails);
        if employee.gender.is_none() {
            // What the vendor's screens store when no gender is chosen.
            employee.gender = Some("no_selected".to_owned());
        }
        emulator.insert(employee);
    }
}
