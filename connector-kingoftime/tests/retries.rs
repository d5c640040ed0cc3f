//! The retry table (SPEC S1): what is retried, how often, and what comes back when the
//! retries are spent. Backoff is in milliseconds: no test sleeps.

mod common;

use std::time::Duration;

use common::*;
use hris_sync_core::{ConnectorError, Employee, EmployeeSystem, Gender, MasterKind};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const DIVISIONS: &str = include_str!("resources/divisions.json");
const TOO_MANY: &str = include_str!("resources/error_too_many_requests.json");
const SERVER: &str = include_str!("resources/error_server.json");
const VALIDATION: &str = include_str!("resources/error_validation.json");
const AUTHENTICATION: &str = include_str!("resources/error_authentication.json");
const CREATED: &str = include_str!("resources/employee_created.json");

fn kot_json(status: u16, body: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body.to_owned(), "application/json")
}

/// `failing` answers `times` times first, then the divisions list succeeds.
async fn divisions_after(server: &MockServer, failing: ResponseTemplate, times: u64) {
    Mock::given(method("GET"))
        .and(path("/v1.0/divisions"))
        .respond_with(failing)
        .up_to_n_times(times)
        .expect(times)
        .named("failing answers")
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/divisions"))
        .respond_with(kot_json(200, DIVISIONS))
        .expect(1)
        .named("success")
        .mount(server)
        .await;
    catch_all(server, 0).await;
}

#[tokio::test]
async fn s1_503_twice_then_200_succeeds() {
    let server = MockServer::start().await;
    divisions_after(&server, kot_json(503, SERVER), 2).await;
    let divisions = client(&server)
        .list_masters(MasterKind::Division)
        .await
        .unwrap();
    assert_eq!(divisions.len(), 2);
}

#[tokio::test]
async fn s1_retry_after_on_429_and_503_replaces_the_backoff_in_seconds_and_as_an_http_date() {
    // The backoff is an hour: the retry comes within the deadline only if Retry-After
    // (capped at 5 ms by `fast_retries`) replaced it. 03:00:01 GMT is one second after the
    // client's clock (12:00 in Japan).
    let cases = [
        (429, TOO_MANY, "1"),
        (429, TOO_MANY, "Mon, 01 Apr 2024 03:00:01 GMT"),
        (503, SERVER, "1"),
    ];
    for (status, body, retry_after) in cases {
        let server = MockServer::start().await;
        let refusal = kot_json(status, body).insert_header("Retry-After", retry_after);
        divisions_after(&server, refusal, 1).await;
        let an_hour = Duration::from_secs(3600);
        let client = builder(&server)
            .with_retry_policy(
                fast_retries()
                    .with_initial_backoff(an_hour)
                    .with_max_backoff(an_hour),
            )
            .build()
            .unwrap();
        let call = client.list_masters(MasterKind::Division);
        tokio::time::timeout(Duration::from_secs(10), call)
            .await
            .unwrap_or_else(|_| panic!("{status} Retry-After {retry_after:?} was not honoured"))
            .unwrap();
        server.verify().await;
    }
}

#[tokio::test]
async fn s1_the_303_body_is_rate_limiting_whatever_its_status() {
    let server = MockServer::start().await;
    divisions_after(&server, kot_json(403, TOO_MANY), 2).await;
    client(&server)
        .list_masters(MasterKind::Division)
        .await
        .unwrap();
}

#[tokio::test]
async fn s1_a_timeout_is_retried() {
    let server = MockServer::start().await;
    divisions_after(
        &server,
        kot_json(200, DIVISIONS).set_delay(Duration::from_millis(300)),
        1,
    )
    .await;
    builder(&server)
        .with_request_timeout(Duration::from_millis(50))
        .build()
        .unwrap()
        .list_masters(MasterKind::Division)
        .await
        .unwrap();
}

#[tokio::test]
async fn s1_client_errors_are_never_retried() {
    type Check = fn(&ConnectorError) -> bool;
    let table: [(u16, &str, Check); 4] = [
        (400, VALIDATION, |e| {
            matches!(e, ConnectorError::InvalidInput { .. })
        }),
        (401, AUTHENTICATION, |e| {
            matches!(e, ConnectorError::Unauthenticated { .. })
        }),
        (403, AUTHENTICATION, |e| {
            matches!(e, ConnectorError::PermissionDenied { .. })
        }),
        (404, VALIDATION, |e| {
            matches!(e, ConnectorError::NotFound { .. })
        }),
    ];
    for (status, body, check) in table {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/v1.0/divisions"))
            .respond_with(kot_json(status, body))
            .expect(1)
            .mount(&server)
            .await;
        catch_all(&server, 0).await;
        let error = client(&server)
            .list_masters(MasterKind::Division)
            .await
            .unwrap_err();
        assert!(check(&error), "HTTP {status}: {error:?}");
        server.verify().await;
    }
}

#[tokio::test]
async fn s1_exhausted_retries_return_the_last_error_with_its_source() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1.0/divisions"))
        .respond_with(kot_json(503, SERVER))
        .expect(3)
        .mount(&server)
        .await;
    catch_all(&server, 0).await;
    let error = builder(&server)
        .with_retry_policy(fast_retries().with_max_retries(2))
        .build()
        .unwrap()
        .list_masters(MasterKind::Division)
        .await
        .unwrap_err();
    assert!(
        matches!(error, ConnectorError::Unavailable { .. }),
        "{error:?}"
    );
    let source = std::error::Error::source(&error).expect("the vendor refusal is kept");
    assert!(source.to_string().contains("HTTP 503"), "{source}");
    assert!(error.to_string().contains("KING OF TIME"), "{error}");
}

fn employee() -> Employee {
    Employee::new("2000")
        .with_name("新規", "花子")
        .with_gender(Gender::Female)
}

#[tokio::test]
async fn r11_a_create_whose_answer_was_lost_is_not_resent() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1.0/employees"))
        .respond_with(kot_json(503, SERVER))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server, 0).await;
    let error = client(&server)
        .create_employee(&employee(), &placement())
        .await
        .unwrap_err();
    assert!(error.may_have_been_applied(), "{error:?}");
}

#[tokio::test]
async fn s1_a_rate_limited_create_is_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1.0/employees"))
        .respond_with(kot_json(429, TOO_MANY))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1.0/employees"))
        .respond_with(kot_json(201, CREATED))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server, 0).await;
    let record = client(&server)
        .create_employee(&employee(), &placement())
        .await
        .unwrap();
    assert_eq!(record.id.as_str(), "new-key-2000");
}
