//! `from_env`, alone in its test binary (setting variables while another thread reads the
//! environment is a data race).

#[test]
fn from_env_takes_the_kinkakuji_variables_and_keeps_the_token_out_of_debug() {
    std::env::remove_var("KINKAKUJI_BASE_URL");
    std::env::set_var("KINKAKUJI_TOKEN", "kkj-secret");
    let without_url = connector_kinkakuji::from_env().build().unwrap_err();
    assert!(
        without_url.to_string().contains("勤革時 support"),
        "says whom to ask: {without_url}"
    );

    std::env::set_var(
        "KINKAKUJI_BASE_URL",
        "https://kinkakuji.example.invalid/v1.0",
    );
    let client = connector_kinkakuji::from_env()
        .build()
        .expect("both variables set");
    assert!(!format!("{client:?}").contains("kkj-secret"));
    assert_eq!(client.brand().name(), "勤革時");
}
