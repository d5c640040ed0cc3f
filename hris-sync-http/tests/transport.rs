//! The shared transport on its own, with a minimal protocol: the server's pacing holds the
//! next request, a create is not repeated after a lost answer, an answer past the body
//! bound is refused, redirects are not followed, the token stays out of Debug output.

use std::time::{Duration, Instant};

use hris_sync_core::retry::{Idempotency, RetryPolicy};
use hris_sync_core::ConnectorError;
use hris_sync_http::{
    build_http_client, parse_base_url, Answer, ApiToken, Call, Protocol, Transport, TransportConfig,
};
use reqwest::Method;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "s3cr3t-transport-token";

/// Success is 2xx; 5xx is Unavailable, anything else InvalidInput; an `x-hold-ms` header
/// asks to hold the next request that long.
#[derive(Debug)]
struct Plain;

impl Protocol for Plain {
    fn name(&self) -> &str {
        "Plain"
    }

    fn span(&self, call: &Call<'_>, attempt: usize) -> tracing::Span {
        tracing::info_span!(
            "plain_request",
            operation = call.operation,
            attempt,
            status = tracing::field::Empty
        )
    }

    fn classify(&self, operation: &str, answer: &Answer<'_>) -> ConnectorError {
        let message = format!("Plain: {operation}: HTTP {}", answer.status);
        if answer.status >= 500 {
            ConnectorError::Unavailable {
                message,
                retry_after: None,
                source: None,
            }
        } else {
            ConnectorError::invalid_input(None, message)
        }
    }

    fn pace(&self, answer: &Answer<'_>) -> Option<Duration> {
        answer
            .header("x-hold-ms")
            .and_then(|ms| ms.parse().ok())
            .map(Duration::from_millis)
    }
}

fn transport(server: &MockServer, max_response_bytes: usize) -> Transport<Plain> {
    Transport::new(TransportConfig {
        max_response_bytes,
        ..config(server)
    })
}

fn config(server: &MockServer) -> TransportConfig<Plain> {
    TransportConfig {
        protocol: Plain,
        http: build_http_client(Duration::from_secs(5), Duration::from_secs(10)).unwrap(),
        base: parse_base_url(&server.uri()).unwrap(),
        token: ApiToken::new(TOKEN),
        retry: RetryPolicy::default()
            .with_initial_backoff(Duration::from_millis(1))
            .with_jitter(false),
        max_concurrency: 2,
        rate_limit: None,
        max_response_bytes: 1024,
    }
}

fn get<'a>(operation: &'static str, route: &'a [&'a str]) -> Call<'a> {
    Call {
        operation,
        method: Method::GET,
        path: route,
        query: &[],
        body: None,
        idempotency: Idempotency::Idempotent,
    }
}

#[tokio::test]
async fn the_servers_pacing_holds_the_next_request() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/things"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(ResponseTemplate::new(200).insert_header("x-hold-ms", "300"))
        .expect(2)
        .mount(&server)
        .await;
    let transport = transport(&server, 1024);
    transport.send(&get("first", &["things"])).await.unwrap();
    let started = Instant::now();
    let reply = transport.send(&get("second", &["things"])).await.unwrap();
    assert_eq!(reply.status, 200);
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn a_create_is_not_repeated_but_a_read_is() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/things"))
        .respond_with(ResponseTemplate::new(503))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/things"))
        .respond_with(ResponseTemplate::new(503))
        .expect(5)
        .mount(&server)
        .await;
    let transport = transport(&server, 1024);
    let body = serde_json::json!({"name": "x"});
    let create = Call {
        operation: "create",
        method: Method::POST,
        path: &["things"],
        query: &[],
        body: Some(&body),
        idempotency: Idempotency::NotIdempotent,
    };
    assert!(transport
        .send(&create)
        .await
        .unwrap_err()
        .may_have_been_applied());
    assert!(transport.send(&get("read", &["things"])).await.is_err());
}

#[tokio::test]
async fn an_answer_past_the_bound_is_refused_and_redirects_are_not_followed() {
    let server = MockServer::start().await;
    Mock::given(path("/big"))
        .respond_with(ResponseTemplate::new(200).set_body_string("x".repeat(2048)))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/moved"))
        .respond_with(ResponseTemplate::new(301).insert_header("location", "/elsewhere"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/elsewhere"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let transport = transport(&server, 1024);
    let error = transport.send(&get("big", &["big"])).await.unwrap_err();
    assert!(matches!(error, ConnectorError::Decode { .. }));
    assert!(error.to_string().contains("1024"), "{error}");
    let error = transport.send(&get("moved", &["moved"])).await.unwrap_err();
    assert!(
        matches!(error, ConnectorError::InvalidInput { .. }),
        "{error:?}"
    );
    assert!(!format!("{transport:?}").contains(TOKEN));
}

/// Answers 200 and notes when each request arrived.
struct Arrivals(std::sync::Arc<std::sync::Mutex<Vec<Instant>>>);

impl wiremock::Respond for Arrivals {
    fn respond(&self, _: &wiremock::Request) -> ResponseTemplate {
        self.0.lock().unwrap().push(Instant::now());
        ResponseTemplate::new(200)
    }
}

/// The requests the limiter let through while the server's pacing held them would all
/// leave together when the hold ends; the window at the moment of sending keeps them within
/// the rate limit over every period, as the server counts them.
#[tokio::test]
async fn a_pacing_hold_releases_no_burst_past_the_rate_limit() {
    let server = MockServer::start().await;
    Mock::given(path("/first"))
        .respond_with(ResponseTemplate::new(200).insert_header("x-hold-ms", "400"))
        .expect(1)
        .mount(&server)
        .await;
    let arrivals = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    Mock::given(path("/things"))
        .respond_with(Arrivals(arrivals.clone()))
        .expect(9)
        .mount(&server)
        .await;
    let period = Duration::from_millis(300);
    let limit = hris_sync_http::RateLimit {
        requests: std::num::NonZeroU32::new(3).unwrap(),
        per: period,
    };
    let transport = std::sync::Arc::new(Transport::new(TransportConfig {
        max_concurrency: 8,
        rate_limit: Some(limit),
        ..config(&server)
    }));
    transport.send(&get("first", &["first"])).await.unwrap();
    let sends: Vec<_> = (0..9)
        .map(|_| {
            let transport = transport.clone();
            tokio::spawn(async move { transport.send(&get("next", &["things"])).await })
        })
        .collect();
    for send in sends {
        send.await.unwrap().unwrap();
    }
    let mut arrived = arrivals.lock().unwrap().clone();
    arrived.sort();
    for (i, pair) in arrived.windows(4).enumerate() {
        assert!(
            pair[3] - pair[0] >= period,
            "requests {i}..={} arrived within {:?}, more than 3 per {period:?}",
            i + 3,
            pair[3] - pair[0]
        );
    }
}
