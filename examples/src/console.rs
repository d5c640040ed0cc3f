//! The console demo: the administrator's screens ([`hris_sync_console`]) over one HR system
//! and an emulator per vendor (KING OF TIME, Touch On Time, 勤革時), all in memory and on
//! loopback, with one demo administrator; the reports in memory too, or in PostgreSQL with
//! `--database-url`. `cargo run --example console` serves it; the browser test drives the
//! same setup.

use std::sync::Arc;
use std::time::Duration;

use connector_kingoftime::emulator::KotEmulator;
use hris_sync_console::Console;
use hris_sync_core::store::ReportStore;
use hris_sync_core::{
    Actor, Clock, FixedClock, InMemorySystem, MaintenanceWindows, MemoryReportStore, SyncEngine,
    SystemClock,
};
use hris_sync_store_postgres::{PostgresReportStore, PostgresSettings};

use crate::error::Failure;
use crate::state::seeded_hr;
use crate::vendor::{seed_emulator, start_emulator, Vendor};

/// The administrator the demo signs everybody in as (it listens on loopback only).
pub const DEMO_ADMIN: &str = "admin@example.co.jp";

/// How the demo is set up.
#[derive(Clone, Debug, Default)]
pub struct DemoOptions {
    /// Every emulator answer is delayed by this much (to watch progress, stop and resume).
    pub latency: Duration,
    /// Keep the vendors' maintenance windows and pin the clock to 09:00 Japan time today,
    /// inside the first one, to see the dashboard's notice. Otherwise the windows are off
    /// so the demo works at any hour.
    pub simulate_window: bool,
    /// Keep the reports in this PostgreSQL database (one schema per vendor, so that each
    /// connection's dashboard lists its own runs) instead of in memory.
    pub database_url: Option<String>,
}

/// Where `vendor`'s connection keeps its reports: in memory, or in the schema
/// `hris_sync_console_<vendor>` of `--database-url`'s database.
async fn report_store(
    options: &DemoOptions,
    vendor: Vendor,
) -> Result<Arc<dyn ReportStore>, Failure> {
    let Some(url) = &options.database_url else {
        return Ok(Arc::new(MemoryReportStore::new()));
    };
    let settings = PostgresSettings::from_url(url)
        .and_then(|settings| settings.with_schema(format!("hris_sync_console_{}", vendor.slug())))
        .map_err(|error| Failure::usage(format!("--database-url: {error}")))?;
    Ok(Arc::new(PostgresReportStore::open(settings).await?))
}

/// One HR system, one emulator and one engine per vendor.
#[derive(Debug)]
pub struct Demo {
    /// The HR side, shared by the three connections.
    pub hr: InMemorySystem,
    /// Each vendor's emulator and the engine syncing it with the HR side.
    pub connections: Vec<(Vendor, Arc<KotEmulator>, SyncEngine)>,
}

impl Demo {
    /// Starts the emulators and builds the engines, every side seeded from the data set as
    /// of today (Japan time).
    ///
    /// # Errors
    /// A [`Failure`] when a client or an engine cannot be built.
    pub async fn start(options: &DemoOptions) -> Result<Self, Failure> {
        let clock: Arc<dyn Clock> = if options.simulate_window {
            let today = SystemClock.today_in_japan();
            use chrono::Datelike;
            Arc::new(FixedClock::at_japan_time(
                today.year(),
                today.month(),
                today.day(),
                9,
                0,
            ))
        } else {
            Arc::new(SystemClock)
        };
        let today = clock.today_in_japan();
        let hr = seeded_hr(today);
        let mut connections = Vec::new();
        for vendor in Vendor::ALL {
            let brand = if options.simulate_window {
                vendor.brand()
            } else {
                vendor
                    .brand()
                    .with_maintenance_windows(MaintenanceWindows::none())
            };
            let emulator = start_emulator(brand, clock.clone(), options.latency).await;
            seed_emulator(&emulator, today);
            let client = emulator.client_builder().build()?;
            let engine = SyncEngine::builder()
                .with_hr(Arc::new(hr.clone()))
                .with_attendance(Arc::new(client))
                .with_store(report_store(options, vendor).await?)
                .with_clock(clock.clone())
                .build()?;
            connections.push((vendor, Arc::new(emulator), engine));
        }
        Ok(Self { hr, connections })
    }

    /// A console over the demo's engines whose every request comes from `actor`.
    ///
    /// # Errors
    /// A [`Failure`] if a connection name were refused (the vendors' slugs are not).
    pub fn console(&self, actor: Actor) -> Result<Console, Failure> {
        let mut console = Console::new(move |_: &axum::http::request::Parts| Some(actor.clone()))
            // The demo serves plain http on loopback.
            .with_secure_cookies(false);
        for (vendor, _, engine) in &self.connections {
            console = console
                .with_connection(vendor.slug(), engine.clone())
                .map_err(|error| Failure::run(error.to_string()))?;
        }
        Ok(console)
    }

    /// The emulator of a vendor.
    pub fn emulator(&self, vendor: Vendor) -> &KotEmulator {
        self.connections
            .iter()
            .find(|(v, _, _)| *v == vendor)
            .map(|(_, emulator, _)| &**emulator)
            .expect("the demo has every vendor")
    }

    /// The engine of a vendor.
    pub fn engine(&self, vendor: Vendor) -> &SyncEngine {
        self.connections
            .iter()
            .find(|(v, _, _)| *v == vendor)
            .map(|(_, _, engine)| engine)
            .expect("the demo has every vendor")
    }
}

/// Serves the demo console for [`DEMO_ADMIN`] on 127.0.0.1 at `port` (0: a free one),
/// calling `ready` with the URL once it listens, until the process ends.
///
/// # Errors
/// A [`Failure`] when the demo cannot start or the port cannot be bound.
pub async fn serve(
    options: &DemoOptions,
    port: u16,
    ready: impl FnOnce(&str),
) -> Result<(), Failure> {
    let demo = Demo::start(options).await?;
    let router = demo.console(Actor::administrator(DEMO_ADMIN))?.router();
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|error| Failure::run(format!("cannot listen on 127.0.0.1:{port}: {error}")))?;
    let address = listener
        .local_addr()
        .map_err(|error| Failure::run(error.to_string()))?;
    ready(&format!("http://{address}/"));
    axum::serve(listener, router)
        .await
        .map_err(|error| Failure::run(format!("the console server stopped: {error}")))
}
