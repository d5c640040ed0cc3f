//! 勤革時 as a brand of the KOT family.

use connector_kingoftime::emulator::check_brand;
use hris_sync_core::{ConnectorError, DailyWindow, MaintenanceWindows};

#[tokio::test]
async fn the_shared_checks_pass_with_default_windows() {
    check_brand(connector_kinkakuji::builder()).await;
}

#[tokio::test]
async fn the_shared_checks_pass_with_the_older_morning_window() {
    let windows = MaintenanceWindows::new(vec![DailyWindow::hm((8, 0), (10, 0))]);
    check_brand(connector_kinkakuji::builder().with_maintenance_windows(windows)).await;
}

#[test]
fn a_missing_base_url_or_token_is_a_configuration_error_naming_kinkakuji() {
    let cases = [
        (
            connector_kinkakuji::builder().with_token("k"),
            "KINKAKUJI_BASE_URL",
        ),
        (
            connector_kinkakuji::builder().with_base_url("https://kinkakuji.example.invalid"),
            "KINKAKUJI_TOKEN",
        ),
    ];
    for (builder, variable) in cases {
        match builder.build() {
            Err(ConnectorError::InvalidConfig { message }) => {
                assert!(message.starts_with("勤革時: "), "{message}");
                assert!(message.contains(variable), "{message}");
            }
            other => panic!("expected InvalidConfig, got {other:?}"),
        }
    }
}

#[test]
fn environment_names_use_the_kinkakuji_prefix() {
    let brand = connector_kinkakuji::brand();
    assert_eq!(
        (brand.token_env_var(), brand.base_url_env_var()),
        (
            "KINKAKUJI_TOKEN".to_owned(),
            "KINKAKUJI_BASE_URL".to_owned()
        )
    );
    assert_eq!(brand.name(), connector_kinkakuji::NAME);
}
