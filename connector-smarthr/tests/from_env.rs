//! `from_env`, alone in its test binary: changing the environment while other threads read it
//! (reqwest reads the proxy variables when a client is built) is a data race.

use connector_smarthr::{SmartHrClientBuilder, BASE_URL_ENV, TOKEN_ENV};
use hris_sync_core::{ConnectorError, EmployeeSystem};

#[test]
fn from_env_reads_the_smarthr_variables_and_requires_both() {
    std::env::set_var(TOKEN_ENV, "smarthr-secret-token");
    std::env::remove_var(BASE_URL_ENV);
    let missing = SmartHrClientBuilder::from_env().build().unwrap_err();
    assert!(matches!(missing, ConnectorError::InvalidConfig { .. }));
    let text = missing.to_string();
    assert!(
        text.contains("SMARTHR_BASE_URL") && text.contains("daruma.space"),
        "the error names the variable and the sandbox host: {text}"
    );

    std::env::set_var(BASE_URL_ENV, "  ");
    assert!(
        SmartHrClientBuilder::from_env().build().is_err(),
        "blank is unset"
    );

    std::env::set_var(BASE_URL_ENV, "https://example.smarthr.jp/api");
    let client = SmartHrClientBuilder::from_env().build().unwrap();
    assert!(!format!("{client:?}").contains("smarthr-secret-token"));
    assert_eq!(client.info().name, "SmartHR");

    std::env::remove_var(TOKEN_ENV);
    let no_token = SmartHrClientBuilder::from_env()
        .build()
        .unwrap_err()
        .to_string();
    assert!(no_token.contains("SMARTHR_TOKEN"), "{no_token}");
    std::env::remove_var(BASE_URL_ENV);
}
