//! `from_env`, alone in its test binary: changing the environment while other threads read it
//! (reqwest reads the proxy variables when a client is built) is a data race.

use hris_sync_core::ConnectorError;

#[test]
fn from_env_reads_the_touchontime_variables() {
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
