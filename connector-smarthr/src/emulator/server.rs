//! The emulator's HTTP side on the shared loopback server: the token check, maintenance,
//! the rate limit and its headers, injected faults, and the request log.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use hris_sync_http::loopback::{Outcome, Request, Response};
use serde_json::Value;

use super::store::{codes, ApiResponse, Store};
use super::{Endpoint, Fault, FaultKind, RateLimitWindow, RecordedRequest};

#[derive(Debug)]
struct Behaviour {
    faults: VecDeque<Fault>,
    maintenance: bool,
    limit: RateLimitWindow,
    window_started: Instant,
    used: u32,
}

/// State shared by the emulator handle and the server.
#[derive(Debug)]
pub(super) struct Shared {
    pub(super) token: String,
    store: Mutex<Store>,
    behaviour: Mutex<Behaviour>,
    log: Mutex<Vec<RecordedRequest>>,
    counts: Mutex<BTreeMap<Endpoint, usize>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poison| poison.into_inner())
}

impl Shared {
    pub(super) fn new(token: String, limit: RateLimitWindow) -> Self {
        Self {
            token,
            store: Mutex::new(Store::default()),
            behaviour: Mutex::new(Behaviour {
                faults: VecDeque::new(),
                maintenance: false,
                limit,
                window_started: Instant::now(),
                used: 0,
            }),
            log: Mutex::new(Vec::new()),
            counts: Mutex::new(BTreeMap::new()),
        }
    }

    pub(super) fn with_store<T>(&self, f: impl FnOnce(&mut Store) -> T) -> T {
        f(&mut lock(&self.store))
    }

    pub(super) fn inject(&self, fault: Fault) {
        if fault.times > 0 {
            lock(&self.behaviour).faults.push_back(fault);
        }
    }

    pub(super) fn set_maintenance(&self, on: bool) {
        lock(&self.behaviour).maintenance = on;
    }

    pub(super) fn set_rate_limit(&self, limit: RateLimitWindow) {
        let mut behaviour = lock(&self.behaviour);
        behaviour.limit = limit;
        behaviour.used = 0;
        behaviour.window_started = Instant::now();
    }

    pub(super) fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.log).clone()
    }

    pub(super) fn count(&self, endpoint: Endpoint) -> usize {
        lock(&self.counts).get(&endpoint).copied().unwrap_or(0)
    }

    pub(super) fn reset_log(&self) {
        lock(&self.log).clear();
        lock(&self.counts).clear();
    }

    fn take_fault(&self, endpoint: Endpoint) -> Option<FaultKind> {
        let mut behaviour = lock(&self.behaviour);
        let index = behaviour
            .faults
            .iter()
            .position(|f| f.endpoint.is_none_or(|e| e == endpoint))?;
        let fault = &mut behaviour.faults[index];
        let kind = fault.kind;
        fault.times -= 1;
        if fault.times == 0 {
            behaviour.faults.remove(index);
        }
        Some(kind)
    }

    /// Counts one request against the window; returns the headers, and whether it is over
    /// the limit.
    fn meter(&self) -> (Vec<(String, String)>, bool) {
        let mut behaviour = lock(&self.behaviour);
        let now = Instant::now();
        if now.duration_since(behaviour.window_started) >= behaviour.limit.window {
            behaviour.window_started = now;
            behaviour.used = 0;
        }
        let over = behaviour.used >= behaviour.limit.requests;
        if !over {
            behaviour.used += 1;
        }
        let left = behaviour
            .limit
            .window
            .saturating_sub(now.duration_since(behaviour.window_started));
        // Whole seconds, rounded up, so a client that waits this long finds a fresh window.
        let reset = left.as_secs() + u64::from(left.subsec_nanos() > 0);
        let remaining = behaviour.limit.requests.saturating_sub(behaviour.used);
        let headers = vec![
            (
                "x-rate-limit-limit".to_owned(),
                behaviour.limit.requests.to_string(),
            ),
            ("x-rate-limit-remaining".to_owned(), remaining.to_string()),
            ("x-rate-limit-reset".to_owned(), reset.to_string()),
        ];
        (headers, over)
    }

    fn record(&self, request: &Request, endpoint: Endpoint) {
        *lock(&self.counts).entry(endpoint).or_default() += 1;
        lock(&self.log).push(RecordedRequest {
            endpoint,
            method: request.method.clone(),
            path: format!("/{}", request.segments.join("/")),
            query: request.query.clone(),
            body: serde_json::from_slice(&request.body).ok(),
        });
    }

    /// Serves one request.
    pub(super) async fn serve(self: Arc<Self>, request: Request) -> Outcome {
        let segments: Vec<&str> = request
            .segments
            .iter()
            .map(String::as_str)
            .skip_while(|segment| *segment == "api")
            .collect();
        let endpoint = Endpoint::of(&request.method, &segments);
        self.record(&request, endpoint);
        let (rate_headers, over) = self.meter();
        let fault = self.take_fault(endpoint);
        let expected = format!("Bearer {}", self.token);
        let maintenance = lock(&self.behaviour).maintenance;
        let answer = if request.authorization.as_deref() != Some(expected.as_str()) {
            ApiResponse::error(401, codes::UNAUTHORIZED, "アクセストークンが無効です", None)
        } else if maintenance || fault == Some(FaultKind::Maintenance) {
            ApiResponse::error(503, codes::MAINTENANCE, "メンテナンス中です", None)
        } else if over || fault == Some(FaultKind::RateLimited) {
            ApiResponse::error(
                429,
                codes::TOO_MANY_REQUESTS,
                "リクエスト数が上限を超えました",
                None,
            )
        } else if let Some(FaultKind::Status(status)) = fault {
            ApiResponse::error(status, codes::of_status(status), "注入された障害です", None)
        } else {
            self.with_store(|store| store.handle(&request, &segments))
        };
        let mut body = if answer.body.is_null() {
            Vec::new()
        } else {
            answer.body.to_string().into_bytes()
        };
        match fault {
            Some(FaultKind::DropAfterApply) => return Outcome::Drop,
            Some(FaultKind::MalformedJson) if answer.is_success() => {
                body.truncate(body.len() / 2);
            }
            Some(FaultKind::NullElement) if answer.is_success() => {
                if let Value::Array(mut items) = answer.body.clone() {
                    items.insert(0, Value::Null);
                    body = Value::Array(items).to_string().into_bytes();
                }
            }
            Some(FaultKind::Hang(duration)) => tokio::time::sleep(duration).await,
            _ => {}
        }
        let mut headers = if fault == Some(FaultKind::RateLimited) {
            // An injected refusal of its own: the budget is spent until the next second.
            vec![
                ("x-rate-limit-remaining".to_owned(), "0".to_owned()),
                ("x-rate-limit-reset".to_owned(), "1".to_owned()),
            ]
        } else {
            rate_headers
        };
        headers.extend(answer.headers);
        Outcome::Answer(Response {
            status: answer.status,
            headers,
            body,
        })
    }
}

/// A window long enough that the default limit never bites in tests or examples.
pub(super) const DEFAULT_WINDOW: Duration = Duration::from_secs(3600);
