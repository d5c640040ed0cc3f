//! Every SmartHR error code through the client (wiremock, `.expect(n)` = the attempts), and
//! the rate-limit waits: honoured, proven by a lower bound on the time taken (no upper
//! bound: this machine's speed is not the test's business).

mod common;

use std::time::{Duration, Instant};

use common::*;
use hris_sync_core::{ConnectorError, EmployeeSystem, MasterKind};
use serde_json::json;
use wiremock::matchers::query_param;
use wiremock::{MockServer, ResponseTemplate};

const BAD_REQUEST: &str = include_str!("resources/error_bad_request.json");
const UNAUTHORIZED: &str = include_str!("resources/error_unauthorized.json");
const FORBIDDEN: &str = include_str!("resources/error_forbidden.json");
const NOT_FOUND: &str = include_str!("resources/error_not_found.json");
const INTERNAL: &str = include_str!("resources/error_internal.json");
const TOO_MANY: &str = include_str!("resources/error_too_many_requests.json");
const PLAN_LIMIT: &str = include_str!("resources/error_plan_limit.json");
const MAINTENANCE: &str = include_str!("resources/error_maintenance.json");

type Check = fn(&ConnectorError) -> bool;

#[tokio::test]
async fn every_error_code_is_classified_and_retried_only_when_transient() {
    // (status, body, attempts with 2 retries allowed, expected)
    let table: [(u16, &str, u64, Check); 8] = [
        (400, BAD_REQUEST, 1, |e| {
            matches!(e, ConnectorError::InvalidInput { .. })
        }),
        (401, UNAUTHORIZED, 1, |e| {
            matches!(e, ConnectorError::Unauthenticated { .. })
        }),
        (403, FORBIDDEN, 1, |e| {
            matches!(e, ConnectorError::PermissionDenied { .. })
        }),
        (404, NOT_FOUND, 1, |e| {
            matches!(e, ConnectorError::NotFound { .. })
        }),
        (500, INTERNAL, 3, |e| {
            matches!(e, ConnectorError::Unavailable { .. })
        }),
        (429, TOO_MANY, 3, |e| {
            matches!(e, ConnectorError::RateLimited { .. })
        }),
        (403, PLAN_LIMIT, 1, |e| {
            matches!(e, ConnectorError::Vendor { message, .. }
                if message.contains("employee limit") && message.contains("not retried"))
        }),
        (503, MAINTENANCE, 1, |e| {
            matches!(e, ConnectorError::MaintenanceWindow { .. })
        }),
    ];
    for (status, body, attempts, check) in table {
        let server = MockServer::start().await;
        api("GET", "/v1/biz_establishments")
            .and(query_param("page", "1"))
            .respond_with(
                ResponseTemplate::new(status).set_body_raw(body.as_bytes(), "application/json"),
            )
            .expect(attempts)
            .mount(&server)
            .await;
        catch_all(&server).await;
        let error = client(&server)
            .list_masters(MasterKind::Office)
            .await
            .unwrap_err();
        assert!(check(&error), "HTTP {status}: {error:?}");
        assert!(error.to_string().contains("SmartHR"), "{error}");
        server.verify().await;
    }
}

#[tokio::test]
async fn a_429_waits_for_the_reset_before_trying_again() {
    let server = MockServer::start().await;
    api("GET", "/v1/biz_establishments")
        .respond_with(
            ResponseTemplate::new(429)
                .set_body_raw(TOO_MANY.as_bytes(), "application/json")
                .insert_header("x-rate-limit-remaining", "0")
                .insert_header("x-rate-limit-reset", "1"),
        )
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    api("GET", "/v1/biz_establishments")
        .respond_with(page_answer(json!([{"id": "o1", "name": "本社"}]), None, 1))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    // The retry policy would wait 1 ms; the reset says a second.
    let client = builder(&server)
        .with_retry_policy(fast_retries().with_max_retry_after(Duration::from_secs(5)))
        .build()
        .unwrap();
    let started = Instant::now();
    let offices = client.list_masters(MasterKind::Office).await.unwrap();
    assert_eq!(offices.len(), 1);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "the retry went out before the reset: {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_low_remaining_budget_holds_the_next_request_until_the_reset() {
    let server = MockServer::start().await;
    api("GET", "/v1/crews")
        .and(query_param("fields", "id"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!([{"id": "a"}]))
                .insert_header("x-rate-limit-remaining", "1")
                .insert_header("x-rate-limit-reset", "1"),
        )
        .expect(2)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let client = client(&server);
    client.test_connection().await.unwrap();
    let started = Instant::now();
    client.test_connection().await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "the second request did not wait for the reset: {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_redirect_is_refused_not_followed() {
    let server = MockServer::start().await;
    api("GET", "/v1/biz_establishments")
        .respond_with(
            ResponseTemplate::new(302).insert_header("location", "http://example.com/elsewhere"),
        )
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let error = client(&server)
        .list_masters(MasterKind::Office)
        .await
        .unwrap_err();
    assert!(error.to_string().contains("base URL"), "{error}");
}
