//! The token shows in no Debug output, error or log line (contract point 9), even at trace
//! level and when the server refuses it.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::*;
use connector_smarthr::SmartHrClientBuilder;
use hris_sync_core::{ConnectorError, EmployeeSystem, ListOptions};
use wiremock::{MockServer, ResponseTemplate};

const UNAUTHORIZED: &str = include_str!("resources/error_unauthorized.json");

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn the_token_is_in_no_debug_output_error_or_log() {
    let server = MockServer::start().await;
    api("GET", "/v1/crews")
        .respond_with(
            ResponseTemplate::new(401).set_body_raw(UNAUTHORIZED.as_bytes(), "application/json"),
        )
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let builder = builder(&server);
    assert!(!format!("{builder:?}").contains(TOKEN));
    let client = builder.build().unwrap();
    assert!(!format!("{client:?}").contains(TOKEN));

    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let error = {
        let _guard = tracing::subscriber::set_default(subscriber);
        client
            .list_employees(&ListOptions::all_records())
            .await
            .unwrap_err()
    };
    assert!(matches!(error, ConnectorError::Unauthenticated { .. }));
    let shown = format!("{error} {error:?} {:?}", std::error::Error::source(&error));
    assert!(!shown.contains(TOKEN), "{shown}");
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("smarthr_request"),
        "the span was logged: {logs}"
    );
    assert!(!logs.contains(TOKEN), "{logs}");
}

#[test]
fn configuration_errors_never_quote_the_token() {
    for token in ["bad token", "bad\ntoken"] {
        let error = SmartHrClientBuilder::new()
            .with_token(token)
            .with_base_url("https://example.smarthr.jp/api")
            .build()
            .unwrap_err();
        assert!(!error.to_string().contains("token\n") && !error.to_string().contains(token));
    }
    let error = SmartHrClientBuilder::new()
        .with_token(TOKEN)
        .with_base_url("https://user:pw@example.smarthr.jp/api")
        .build()
        .unwrap_err();
    assert!(!error.to_string().contains("pw@") && !error.to_string().contains(TOKEN));
}
