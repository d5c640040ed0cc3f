//! Helpers shared by the wiremock tests.
#![allow(dead_code, unreachable_pub)]

use std::sync::Arc;
use std::time::Duration;

use connector_kingoftime::{KingOfTime, KotClient, KotClientBuilder};
use hris_sync_core::retry::RetryPolicy;
use hris_sync_core::{FixedClock, MasterKind, Placement};
use wiremock::matchers::any;
use wiremock::{Match, Mock, MockServer, Request, ResponseTemplate};

pub const TOKEN: &str = "test-token-0123456789";
pub const AUTH: &str = "Bearer test-token-0123456789";
/// Today in Japan for every test: 2024-04-01, at noon (outside the restricted hours).
pub const TODAY: &str = "2024-04-01";
/// The as-of date that reaches every record: today + 1 year - 1 day.
pub const AS_OF_ALL: &str = "2025-03-31";
pub const FIELDS: &str =
    "lastNamePhonetics,firstNamePhonetics,hiredDate,birthDate,resignationDate,emailAddresses";

/// Millisecond backoff, no jitter, Retry-After capped at 5 ms: no test sleeps.
pub fn fast_retries() -> RetryPolicy {
    RetryPolicy::default()
        .with_initial_backoff(Duration::from_millis(1))
        .with_max_backoff(Duration::from_millis(2))
        .with_jitter(false)
        .with_max_retry_after(Duration::from_millis(5))
}

/// A clock at 2024-04-01 12:00 Japan time: [`TODAY`], outside the restricted hours.
pub fn noon() -> Arc<FixedClock> {
    Arc::new(FixedClock::at_japan_time(2024, 4, 1, 12, 0))
}

/// The placement every create in the tests uses: division 1000, employment type 1.
pub fn placement() -> Placement {
    Placement::new()
        .with(MasterKind::Division, "1000")
        .with(MasterKind::EmploymentType, "1")
}

pub fn builder(server: &MockServer) -> KotClientBuilder {
    KingOfTime::builder()
        .with_token(TOKEN)
        .with_base_url(format!("{}/v1.0", server.uri()))
        .with_retry_policy(fast_retries())
        .with_clock(noon())
}

/// An emulator whose clock is [`noon`] (never the host clock: the restricted hours would
/// fail a test run at 08:30–10:00 or 17:30–18:30 Japan time), holding division 1000 and
/// working type 1.
#[cfg(feature = "emulator")]
pub async fn emulator_at_noon() -> (connector_kingoftime::emulator::KotEmulator, Arc<FixedClock>) {
    let clock = noon();
    let emulator = connector_kingoftime::emulator::KotEmulator::builder()
        .with_clock(clock.clone())
        .start()
        .await;
    emulator.add_division("1000", "本社");
    emulator.add_working_type("1", "正社員");
    (emulator, clock)
}

pub fn client(server: &MockServer) -> KotClient {
    builder(server).build().expect("valid configuration")
}

/// Matches when the query holds exactly these pairs, in any order, and nothing else.
pub struct ExactQuery(pub Vec<(&'static str, String)>);

impl Match for ExactQuery {
    fn matches(&self, request: &Request) -> bool {
        let mut got: Vec<(String, String)> = request.url.query_pairs().into_owned().collect();
        let mut want: Vec<(String, String)> = self
            .0
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect();
        got.sort();
        want.sort();
        got == want
    }
}

/// The employee-list query for an as-of date.
pub fn employee_query(date: &str) -> ExactQuery {
    ExactQuery(vec![
        ("date", date.to_owned()),
        ("includeResigner", "true".to_owned()),
        ("additionalFields", FIELDS.to_owned()),
    ])
}

/// Mounted last: answers any request no other mock matched with a KOT-shaped error naming
/// it, so the failing assertion says what was missed; `.expect(unmatched)`.
pub async fn catch_all(server: &MockServer, unmatched: u64) {
    Mock::given(any())
        .respond_with(|request: &Request| {
            let body = serde_json::json!({"errors": [{
                "message": format!(
                    "no mock matched {} {} (body: {})",
                    request.method,
                    request.url,
                    String::from_utf8_lossy(&request.body)
                ),
                "code": 0
            }]});
            ResponseTemplate::new(418).set_body_json(body)
        })
        .with_priority(u8::MAX)
        .expect(unmatched)
        .named("catch-all")
        .mount(server)
        .await;
}
