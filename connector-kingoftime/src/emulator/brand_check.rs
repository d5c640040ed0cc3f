//! The checks every brand of the family runs on itself against the emulator, written once
//! so the brand crates stay thin.

use std::sync::Arc;

use hris_sync_core::conformance::{self, ConformanceContext};
use hris_sync_core::{Clock, ConnectorError, EmployeeSystem, FixedClock, ListOptions, Side};

use super::KotEmulator;
use crate::config::KotClientBuilder;

/// Runs, for the brand of `builder`, against an emulator configured as that brand:
///
/// 1. the core conformance suite (`hris_sync_core::conformance::attendance_connector`), with
///    the token as a secret;
/// 2. the brand's name as [`SystemInfo::name`](hris_sync_core::SystemInfo) (what reports
///    record as the vendor), side Attendance, and the brand's maintenance windows;
/// 3. the name in a restricted-hours error, which ends when the brand's window ends.
///
/// `builder` is the brand's builder as its crate hands it out; the base URL, token and
/// clock are pointed at the emulator, and the emulator's duplicate-code error
/// ([`DUPLICATE_CODE_ERROR`](super::DUPLICATE_CODE_ERROR)) is declared. Panics with a
/// message naming the broken point.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// connector_kingoftime::emulator::check_brand(connector_kingoftime::KingOfTime::builder()).await;
/// # }
/// ```
pub async fn check_brand(builder: KotClientBuilder) {
    let brand = builder.brand().clone();
    let clock = Arc::new(FixedClock::at_japan_time(2024, 4, 1, 12, 0));
    let emulator = KotEmulator::builder()
        .with_brand(brand.clone())
        .with_clock(clock.clone())
        .start()
        .await;
    emulator.add_division("1000", "本社");
    emulator.add_working_type("1", "正社員");
    let client = builder
        .with_base_url(emulator.base_url())
        .with_token(emulator.token())
        .with_clock(clock.clone())
        .with_duplicate_code_error(super::DUPLICATE_CODE_ERROR)
        .build()
        .unwrap_or_else(|error| panic!("{}: the client must build: {error}", brand.name()));

    let context = ConformanceContext::new(clock.today_in_japan()).with_secret(emulator.token());
    conformance::attendance_connector(&client, &context).await;

    let info = client.info();
    assert_eq!(
        info.name,
        brand.name(),
        "the brand's name is the system's name"
    );
    assert_eq!(info.side, Side::Attendance);
    assert_eq!(&info.maintenance_windows, brand.maintenance_windows());

    let Some(window) = brand.maintenance_windows().windows().first().copied() else {
        return;
    };
    let inside = clock
        .today_in_japan()
        .and_time(window.start)
        .and_local_timezone(hris_sync_core::japan())
        .single()
        .expect("fixed offsets are unambiguous");
    clock.set(inside.to_utc());
    match client.list_employees(&ListOptions::all_records()).await {
        Err(
            error @ ConnectorError::MaintenanceWindow {
                ends_at: Some(end), ..
            },
        ) => {
            assert_eq!(
                end.time(),
                window.end,
                "the window ends when the brand says"
            );
            assert!(
                error.to_string().contains(brand.name()),
                "the brand's name is in its errors: {error}"
            );
        }
        other => panic!(
            "{}: a call inside the restricted hours must be MaintenanceWindow, got {other:?}",
            brand.name()
        ),
    }
}
