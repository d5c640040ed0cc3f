//! Touch On Time as a brand: the shared checks against the emulator, and its configuration.

use hris_sync_core::ConnectorError;

#[tokio::test]
async fn passes_conformance_and_the_brand_checks_on_the_emulator() {
    connector_kingoftime::emulator::check_brand(connector_touchontime::builder()).await;
}

#[test]
fn from_env_reads_the_touchontime_variables() {
    // The only test of this binary that touches the environment.
    std::env::set_var("TOUCHONTIME_TOKEN", "tot-secret-token");
    std::env::remove_var("TOUCHONTIME_BASE_URL");
    let missing = connector_touchontime::from_env().build().unwrap_err();
    assert!(matches!(missing, ConnectorError::InvalidConfig { .. }));
    let text = missing.to_string();
    assert!(
        text.starts_with("invalid configuration: Touch On Time:"),
        "{text}"
    );
    assert!(
        text.contains("ask the vendor") && text.contains("TOUCHONTIME_BASE_URL"),
        "{text}"
    );

    std::env::set_var("TOUCHONTIME_BASE_URL", "https://tot.example.invalid/v1.0");
    let client = connector_touchontime::from_env().build().unwrap();
    assert!(!format!("{client:?}").contains("tot-secret-token"));
    assert_eq!(client.brand().name(), connector_touchontime::NAME);
    std::env::remove_var("TOUCHONTIME_TOKEN");
    let no_token = connector_touchontime::from_env()
        .build()
        .unwrap_err()
        .to_string();
    assert!(no_token.contains("TOUCHONTIME_TOKEN"), "{no_token}");
}

#[test]
fn has_no_default_host() {
    assert_eq!(connector_touchontime::brand().default_base_url(), None);
    let plain = connector_touchontime::builder()
        .with_token("t")
        .with_base_url("http://tot.example.invalid")
        .build()
        .unwrap_err();
    assert!(plain.to_string().contains("plain http"), "{plain}");
}
