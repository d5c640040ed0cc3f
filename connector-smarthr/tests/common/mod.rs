//! Shared by the wiremock tests: a client pointed at the mock server, request matchers for
//! SmartHR's shapes, and a catch-all that fails the test on any request not expected.

#![allow(dead_code)]

use std::time::Duration;

use connector_smarthr::{SmartHrClient, SmartHrClientBuilder};
use hris_sync_core::retry::RetryPolicy;
use serde_json::{json, Value};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockBuilder, MockServer, ResponseTemplate};

pub(crate) const TOKEN: &str = "s3cr3t-smarthr-token";

/// The `fields` the client asks for.
pub(crate) const FIELDS: &str = "id,emp_code,last_name,first_name,last_name_yomi,first_name_yomi,\
business_last_name,business_first_name,business_last_name_yomi,business_first_name_yomi,\
gender,birth_at,entered_at,resigned_at,email";

/// Retries in milliseconds: no test sleeps on backoff.
pub(crate) fn fast_retries() -> RetryPolicy {
    RetryPolicy::default()
        .with_initial_backoff(Duration::from_millis(1))
        .with_max_backoff(Duration::from_millis(2))
        .with_jitter(false)
        .with_max_retries(2)
}

pub(crate) fn builder(server: &MockServer) -> SmartHrClientBuilder {
    SmartHrClientBuilder::new()
        .with_base_url(format!("{}/api", server.uri()))
        .with_token(TOKEN)
        .with_retry_policy(fast_retries())
}

pub(crate) fn client(server: &MockServer) -> SmartHrClient {
    builder(server).build().expect("the client builds")
}

/// A request of `verb` to `/api{route}` with the bearer token.
pub(crate) fn api(verb: &str, route: &str) -> MockBuilder {
    Mock::given(method(verb))
        .and(path(format!("/api{route}")))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
}

/// `GET /api/v1/crews` page `page` of `per_page`, asking for the synced fields.
pub(crate) fn crews_page(page: u32, per_page: u32) -> MockBuilder {
    api("GET", "/v1/crews")
        .and(query_param("page", page.to_string()))
        .and(query_param("per_page", per_page.to_string()))
        .and(query_param("fields", FIELDS))
}

/// A crew as SmartHR answers it.
pub(crate) fn crew(id: &str, code: &str, last: &str) -> Value {
    json!({
        "id": id, "emp_code": code, "last_name": last, "first_name": "太郎",
        "last_name_yomi": "ヤマダ", "first_name_yomi": "タロウ", "gender": "male",
        "birth_at": "1990-04-01", "entered_at": "2020-04-01", "resigned_at": null,
        "email": format!("{id}@example.com"),
        "created_at": "2020-04-01T00:00:00Z", "updated_at": "2024-01-01T09:00:00+09:00"
    })
}

/// A list answer with paging headers.
pub(crate) fn page_answer(items: Value, link: Option<String>, total: usize) -> ResponseTemplate {
    let mut answer = ResponseTemplate::new(200)
        .set_body_json(items)
        .insert_header("x-total-count", total.to_string().as_str())
        .insert_header("x-rate-limit-limit", "5000")
        .insert_header("x-rate-limit-remaining", "4999")
        .insert_header("x-rate-limit-reset", "3600");
    if let Some(link) = link {
        answer = answer.insert_header("link", link.as_str());
    }
    answer
}

/// A `Link` header for page `page` of `last` at `server`.
pub(crate) fn link(
    server: &MockServer,
    route: &str,
    page: u32,
    last: u32,
    per_page: u32,
) -> String {
    let at = |n: u32, rel: &str| {
        format!(
            "<{}/api{route}?page={n}&per_page={per_page}>; rel=\"{rel}\"",
            server.uri()
        )
    };
    let mut parts = vec![at(1, "first")];
    if page > 1 {
        parts.push(at(page - 1, "prev"));
    }
    if page < last {
        parts.push(at(page + 1, "next"));
    }
    parts.push(at(last, "last"));
    parts.join(", ")
}

/// Mounted last: any request no other mock took fails the test when the server drops.
pub(crate) async fn catch_all(server: &MockServer) {
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(599).set_body_string("no mock matched this request"))
        .expect(0)
        .named("unexpected request")
        .mount(server)
        .await;
}
