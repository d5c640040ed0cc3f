//! A stateful emulator of the SmartHR API (feature `emulator`), for tests and examples.
//!
//! It serves HTTP/1.1 on `127.0.0.1` (the shared loopback server of `hris-sync-http`) under
//! `/api`, and keeps crews and offices in memory. What it emulates:
//!
//! - the bearer token (`401` + code 2 when wrong);
//! - `GET /v1/crews` with `page` (default 1), `per_page` (default 10, at most 100, else
//!   `400`), `emp_code` (exact), `fields` (only those properties are shown), answering the
//!   `Link` header (`first`, `prev`, `next`, `last`) and `x-total-count`;
//!   `GET /v1/crews/{id}` with `fields`;
//! - `POST /v1/crews` (`201`): last and first name required, gender `male|female`, dates
//!   `YYYY-MM-DD`, a known `biz_establishment_id`, `emp_status` defaulting to `employed`;
//!   **a held `emp_code` is accepted again**, as SmartHR does; the plan's employee cap
//!   ([`SmartHrEmulator::set_plan_limit`]) answers `403` + code 7;
//! - `PATCH /v1/crews/{id}` changing only the properties sent (`null` or `""` clears),
//!   refusing to blank names, kana, gender and birth date once set (`400` + code 1 naming
//!   the field), and changing nothing when it refuses;
//! - `GET /v1/biz_establishments` (paged, `id` and `name`);
//! - rate-limit headers on every answer (`x-rate-limit-limit`, `-remaining`, `-reset` in
//!   seconds) from a fixed window ([`RateLimitWindow`], generous by default), and `429` +
//!   code 6 past it; maintenance (`503` + code 9, [`SmartHrEmulator::set_maintenance`]);
//! - injected [`Fault`]s: an error status, a 429, maintenance, a dropped connection after
//!   the write, a truncated JSON body, a `null` list element, a held answer;
//! - a log of every request ([`SmartHrEmulator::requests`]) and counts per [`Endpoint`].
//!
//! Errors have SmartHR's shape `{"code","type","message","errors"}`.

mod conformance;
mod server;
mod store;

pub use conformance::check_conformance;

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hris_sync_core::{Employee, Gender};
use serde_json::{json, Map, Value};

use crate::config::SmartHrClientBuilder;
use crate::wire::property_of;
use server::Shared;

/// One endpoint, as the emulator counts requests and targets faults.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Endpoint {
    /// `GET /v1/crews`.
    ListCrews,
    /// `GET /v1/crews/{id}`.
    GetCrew,
    /// `POST /v1/crews`.
    CreateCrew,
    /// `PATCH /v1/crews/{id}`.
    UpdateCrew,
    /// `GET /v1/biz_establishments`.
    BizEstablishments,
    /// Anything else (answered 404).
    Other,
}

impl Endpoint {
    fn of(method: &str, segments: &[&str]) -> Self {
        match (method, segments) {
            ("GET", ["v1", "crews"]) => Endpoint::ListCrews,
            ("GET", ["v1", "crews", _]) => Endpoint::GetCrew,
            ("POST", ["v1", "crews"]) => Endpoint::CreateCrew,
            ("PATCH", ["v1", "crews", _]) => Endpoint::UpdateCrew,
            ("GET", ["v1", "biz_establishments"]) => Endpoint::BizEstablishments,
            _ => Endpoint::Other,
        }
    }
}

/// What an injected fault does to a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FaultKind {
    /// Answer this status with a SmartHR error body; nothing is applied.
    Status(u16),
    /// Answer 429 + code 6 with `x-rate-limit-remaining: 0` and `x-rate-limit-reset: 1`;
    /// nothing is applied.
    RateLimited,
    /// Answer 503 + code 9; nothing is applied.
    Maintenance,
    /// Apply the request, then close the connection without answering.
    DropAfterApply,
    /// Apply the request, then answer its success status with a truncated JSON body.
    MalformedJson,
    /// Answer a list with a `null` element first (SmartHR lists may hold them).
    NullElement,
    /// Apply the request, then hold the answer this long.
    Hang(Duration),
}

/// A fault for the next requests: [`SmartHrEmulator::inject`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fault {
    kind: FaultKind,
    times: usize,
    endpoint: Option<Endpoint>,
}

impl Fault {
    /// The fault for the next request (any endpoint).
    pub fn new(kind: FaultKind) -> Self {
        Self {
            kind,
            times: 1,
            endpoint: None,
        }
    }

    /// For the next `n` matching requests.
    pub fn times(mut self, n: usize) -> Self {
        self.times = n;
        self
    }

    /// Only for requests to `endpoint`.
    pub fn on(mut self, endpoint: Endpoint) -> Self {
        self.endpoint = Some(endpoint);
        self
    }
}

/// The emulator's rate limit: at most `requests` per fixed `window`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimitWindow {
    /// Requests allowed per window.
    pub requests: u32,
    /// The window.
    pub window: Duration,
}

impl Default for RateLimitWindow {
    /// 10,000 requests an hour: never reached by the tests and examples that do not set one.
    fn default() -> Self {
        Self {
            requests: 10_000,
            window: server::DEFAULT_WINDOW,
        }
    }
}

/// One request as the emulator received it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecordedRequest {
    /// The endpoint.
    pub endpoint: Endpoint,
    /// The method.
    pub method: String,
    /// The path, decoded, e.g. `/api/v1/crews`.
    pub path: String,
    /// The query's pairs, in order.
    pub query: Vec<(String, String)>,
    /// The JSON body, if any.
    pub body: Option<Value>,
}

impl RecordedRequest {
    /// A query parameter's value.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// One crew as the emulator stores it: its id and its properties in SmartHR's names
/// (`null` ones left out). Serialisable, so a tenant can be saved and loaded again.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EmulatedCrew {
    /// The crew's id.
    pub id: String,
    /// The properties.
    pub properties: Map<String, Value>,
}

impl EmulatedCrew {
    /// A crew (no id yet) carrying `employee`'s synced fields and business name, placed in
    /// `office`.
    pub fn from_employee(employee: &Employee, office: Option<&str>) -> Self {
        let mut properties = Map::new();
        for field in hris_sync_core::Field::ALL {
            if let Some(value) = employee.get(field) {
                properties.insert(property_of(field).to_owned(), json!(value.to_string()));
            }
        }
        if let Some(business) = &employee.business_name {
            for (key, value) in [
                ("business_last_name", &business.last_name),
                ("business_first_name", &business.first_name),
                ("business_last_name_yomi", &business.last_name_kana),
                ("business_first_name_yomi", &business.first_name_kana),
            ] {
                if let Some(value) = value {
                    properties.insert(key.to_owned(), json!(value));
                }
            }
        }
        if let Some(office) = office {
            properties.insert("biz_establishment_id".to_owned(), json!(office));
        }
        properties.insert("emp_status".to_owned(), json!("employed"));
        Self {
            id: String::new(),
            properties,
        }
    }

    /// A text property, when set and not blank.
    pub fn text(&self, key: &str) -> Option<&str> {
        self.properties
            .get(key)
            .and_then(Value::as_str)
            .filter(|v| !v.trim().is_empty())
    }

    /// The gender as stored.
    pub fn gender(&self) -> Option<Gender> {
        match self.text("gender") {
            Some("male") => Some(Gender::Male),
            Some("female") => Some(Gender::Female),
            _ => None,
        }
    }
}

/// Configures a [`SmartHrEmulator`].
#[derive(Debug, Clone)]
pub struct EmulatorBuilder {
    token: String,
    rate_limit: RateLimitWindow,
}

impl EmulatorBuilder {
    /// Sets the token the emulator accepts (default `emulator-token`).
    pub fn with_token(mut self, token: impl Into<String>) -> Self {
        self.token = token.into();
        self
    }

    /// Sets the rate limit.
    pub fn with_rate_limit(mut self, limit: RateLimitWindow) -> Self {
        self.rate_limit = limit;
        self
    }

    /// Binds a loopback port and starts serving.
    pub async fn start(self) -> SmartHrEmulator {
        let shared = Arc::new(Shared::new(self.token, self.rate_limit));
        let handler = Arc::clone(&shared);
        let (address, task) =
            hris_sync_http::loopback::serve(move |request| Arc::clone(&handler).serve(request))
                .await;
        shared.with_store(|store| store.base_url = format!("http://{address}/api"));
        SmartHrEmulator {
            shared,
            address,
            task,
        }
    }
}

/// A running emulator; dropping it stops the server.
pub struct SmartHrEmulator {
    shared: Arc<Shared>,
    address: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl SmartHrEmulator {
    /// A builder with the default token and rate limit.
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder {
            token: "emulator-token".into(),
            rate_limit: RateLimitWindow::default(),
        }
    }

    /// The base URL to give a client (`http://127.0.0.1:port/api`).
    pub fn base_url(&self) -> String {
        format!("http://{}/api", self.address)
    }

    /// The token it accepts.
    pub fn token(&self) -> &str {
        &self.shared.token
    }

    /// A client builder pointed at this emulator with its token.
    pub fn client_builder(&self) -> SmartHrClientBuilder {
        SmartHrClientBuilder::new()
            .with_base_url(self.base_url())
            .with_token(self.token())
    }

    /// Adds an office (所属事業所).
    pub fn add_office(&self, id: impl Into<String>, name: impl Into<String>) {
        let (id, name) = (id.into(), name.into());
        self.shared
            .with_store(|store| store.offices.push((id, name)));
    }

    /// Stores a crew as given (a fresh id when it has none) and returns its id. A held
    /// `emp_code` is stored again, as SmartHR allows.
    pub fn insert(&self, mut crew: EmulatedCrew) -> String {
        self.shared.with_store(|store| {
            if crew.id.is_empty() || store.crews.iter().any(|held| held.id == crew.id) {
                crew.id = store.new_id();
            }
            let id = crew.id.clone();
            store.crews.push(crew);
            id
        })
    }

    /// Stores `employee` as a crew placed in `office`; returns its id.
    pub fn insert_employee(&self, employee: &Employee, office: Option<&str>) -> String {
        self.insert(EmulatedCrew::from_employee(employee, office))
    }

    /// Every crew, in creation order.
    pub fn crews(&self) -> Vec<EmulatedCrew> {
        self.shared.with_store(|store| store.crews.clone())
    }

    /// The crews holding `code`.
    pub fn crews_with_code(&self, code: &str) -> Vec<EmulatedCrew> {
        self.crews()
            .into_iter()
            .filter(|crew| crew.text("emp_code") == Some(code))
            .collect()
    }

    /// Caps the number of crews (the plan's limit); a create past it is `403` + code 7.
    pub fn set_plan_limit(&self, limit: Option<usize>) {
        self.shared.with_store(|store| store.plan_limit = limit);
    }

    /// Answers every request with `503` + code 9 while on.
    pub fn set_maintenance(&self, on: bool) {
        self.shared.set_maintenance(on);
    }

    /// Replaces the rate limit (and starts a fresh window).
    pub fn set_rate_limit(&self, limit: RateLimitWindow) {
        self.shared.set_rate_limit(limit);
    }

    /// Queues a fault.
    pub fn inject(&self, fault: Fault) {
        self.shared.inject(fault);
    }

    /// Every request received, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.requests()
    }

    /// How many requests `endpoint` received.
    pub fn request_count(&self, endpoint: Endpoint) -> usize {
        self.shared.count(endpoint)
    }

    /// Forgets the request log and counts.
    pub fn reset_requests(&self) {
        self.shared.reset_log();
    }
}

impl fmt::Debug for SmartHrEmulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmartHrEmulator")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

impl Drop for SmartHrEmulator {
    fn drop(&mut self) {
        self.task.abort();
    }
}
