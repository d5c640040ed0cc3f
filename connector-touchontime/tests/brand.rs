//! Touch On Time as a brand: the shared checks against the emulator, and its configuration.

#[tokio::test]
async fn passes_conformance_and_the_brand_checks_on_the_emulator() {
    connector_kingoftime::emulator::check_brand(connector_touchontime::builder()).await;
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
