//! The core conformance suite, on the SmartHR client against its emulator.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_smarthr_client_keeps_the_hr_system_contract() {
    connector_smarthr::emulator::check_conformance().await;
}
