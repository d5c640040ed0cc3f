//! SPEC R15 / S4: the token appears in no error (message, `Debug`, source chain) and in no
//! log line or span field, on the paths where it is most at risk: the token check carries it
//! in its URL path, and `reqwest` errors quote the URL.

mod common;

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use hris_sync_core::retry::RetryPolicy;
use hris_sync_core::{ConnectorError, EmployeeSystem};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Writes every span name, event and field value, at every level, into one string.
#[derive(Clone, Default)]
struct Capture {
    text: Arc<Mutex<String>>,
    next_id: Arc<AtomicU64>,
}

impl Capture {
    fn text(&self) -> String {
        self.text.lock().unwrap().clone()
    }
}

impl Visit for &Capture {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let mut text = self.text.lock().unwrap();
        text.push_str(&format!(" {}={value:?}", field.name()));
    }
}

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, span: &Attributes<'_>) -> Id {
        self.text.lock().unwrap().push_str(span.metadata().name());
        span.record(&mut &*self);
        Id::from_u64(self.next_id.fetch_add(1, Ordering::Relaxed) + 1)
    }

    fn record(&self, _: &Id, values: &Record<'_>) {
        values.record(&mut &*self);
    }

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        event.record(&mut &*self);
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

/// The error's message, `Debug` and every source's, in one string.
fn everything_about(error: &ConnectorError) -> String {
    let mut text = format!("{error} {error:?}");
    let mut source = std::error::Error::source(error);
    while let Some(inner) = source {
        text.push_str(&format!(" {inner} {inner:?}"));
        source = inner.source();
    }
    text
}

/// The error of a token check by a client built from `builder`.
async fn failed_check(builder: connector_kingoftime::KotClientBuilder) -> ConnectorError {
    let client = builder.build().expect("valid configuration");
    client.test_connection().await.unwrap_err()
}

/// A loopback address nothing listens on.
fn closed_port() -> std::net::SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

#[tokio::test]
async fn the_token_appears_in_no_error_and_no_log_line() {
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(capture.clone());

    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/v1.0/tokens/{TOKEN}/available")))
        .respond_with(ResponseTemplate::new(403).set_body_raw(
            include_str!("resources/error_authentication.json"),
            "application/json",
        ))
        .expect(1)
        .named("refused token check")
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/slow/tokens/{TOKEN}/available")))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_millis(500)))
        .expect(2)
        .named("slow token check")
        .mount(&server)
        .await;
    catch_all(&server, 0).await;

    // Refused by the vendor.
    let refused = client(&server).test_connection().await.unwrap_err();
    assert!(
        matches!(refused, ConnectorError::PermissionDenied { .. }),
        "{refused:?}"
    );
    // No answer in time (retried once, so the retry's log line is covered too).
    let timed_out = failed_check(
        builder(&server)
            .with_base_url(format!("{}/slow", server.uri()))
            .with_retry_policy(fast_retries().with_max_retries(1))
            .with_request_timeout(Duration::from_millis(50)),
    )
    .await;
    assert!(
        matches!(timed_out, ConnectorError::Timeout { .. }),
        "{timed_out:?}"
    );
    // Nobody listening: reqwest's own error would quote the URL, path and token included.
    let unreachable = failed_check(
        builder(&server)
            .with_base_url(format!("http://{}/v1.0", closed_port()))
            .with_retry_policy(RetryPolicy::never()),
    )
    .await;
    assert!(
        matches!(unreachable, ConnectorError::Connection { .. }),
        "{unreachable:?}"
    );

    for error in [&refused, &timed_out, &unreachable] {
        let text = everything_about(error);
        assert!(!text.contains(TOKEN), "token leaked: {text}");
    }
    let logged = capture.text();
    assert!(
        logged.contains("kot_request") && logged.contains("retrying"),
        "the capture saw the requests: {logged}"
    );
    assert!(!logged.contains(TOKEN), "token logged: {logged}");
}
