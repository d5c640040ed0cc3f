//! The core conformance suite, run on the SmartHR client against the emulator.

use hris_sync_core::conformance::{self, ConformanceContext};
use hris_sync_core::{japan, EmployeeSystem, Side};

use super::SmartHrEmulator;

/// Runs the core conformance suite (`hris_sync_core::conformance::hr_system`) on a client
/// built by the emulator's [`client_builder`](SmartHrEmulator::client_builder), against a
/// fresh emulator holding one office, with the token as a secret; then checks the name and
/// side. Panics with a message naming the broken point.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// connector_smarthr::emulator::check_conformance().await;
/// # }
/// ```
pub async fn check_conformance() {
    let emulator = SmartHrEmulator::builder().start().await;
    emulator.add_office("hq-0001", "本社");
    let client = emulator
        .client_builder()
        .build()
        .unwrap_or_else(|error| panic!("SmartHR: the client must build: {error}"));
    let today = chrono::Utc::now().with_timezone(&japan()).date_naive();
    let context = ConformanceContext::new(today).with_secret(emulator.token());
    conformance::hr_system(&client, &context).await;
    assert_eq!(client.info().name, "SmartHR");
    assert_eq!(client.info().side, Side::Hr);
}
