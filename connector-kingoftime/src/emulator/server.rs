//! The emulator's HTTP side on the shared loopback server (`hris_sync_http::loopback`), with
//! latency, faults, the rate limit, restricted hours and the request statistics.

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use hris_sync_http::loopback::{Outcome, Request, Response};
use serde_json::json;
use tokio::task::JoinHandle;

use super::api::{codes, ApiRequest, ApiResponse, Store};
use super::{Endpoint, Fault, FaultKind};
use crate::brand::Brand;
use crate::RateLimit;
use hris_sync_core::Clock;

#[derive(Debug, Default)]
struct Behaviour {
    latency: Duration,
    rate_limit: Option<RateLimit>,
    faults: VecDeque<Fault>,
    /// Arrival times of the requests the rate limit let through, within its period.
    admitted: VecDeque<Instant>,
}

/// A snapshot of the request statistics.
#[derive(Debug, Default, Clone)]
pub(super) struct Stats {
    pub(super) counts: BTreeMap<Endpoint, usize>,
    pub(super) max_in_flight: usize,
    arrivals: Vec<Instant>,
}

impl Stats {
    /// The most arrivals within any span of `window` (arrivals are in order).
    pub(super) fn max_within(&self, window: Duration) -> usize {
        let mut best = 0;
        let mut start = 0;
        for (end, at) in self.arrivals.iter().enumerate() {
            while at.duration_since(self.arrivals[start]) >= window {
                start += 1;
            }
            best = best.max(end - start + 1);
        }
        best
    }
}

/// State shared by the emulator handle and the server task.
#[derive(Debug)]
pub(super) struct Shared {
    pub(super) brand: Brand,
    pub(super) token: String,
    pub(super) clock: Arc<dyn Clock>,
    store: Mutex<Store>,
    behaviour: Mutex<Behaviour>,
    stats: Mutex<Stats>,
    in_flight: AtomicUsize,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poison| poison.into_inner())
}

/// Counts a request in flight until dropped (also when the client goes away mid-request).
struct InFlight<'a>(&'a Shared);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Shared {
    pub(super) fn new(
        brand: Brand,
        token: String,
        clock: Arc<dyn Clock>,
        latency: Duration,
        rate_limit: Option<RateLimit>,
    ) -> Self {
        Self {
            brand,
            token,
            clock,
            store: Mutex::new(Store::default()),
            behaviour: Mutex::new(Behaviour {
                latency,
                rate_limit,
                ..Behaviour::default()
            }),
            stats: Mutex::new(Stats::default()),
            in_flight: AtomicUsize::new(0),
        }
    }

    pub(super) fn with_store<T>(&self, f: impl FnOnce(&mut Store) -> T) -> T {
        f(&mut lock(&self.store))
    }

    pub(super) fn set_latency(&self, latency: Duration) {
        lock(&self.behaviour).latency = latency;
    }

    pub(super) fn set_rate_limit(&self, limit: Option<RateLimit>) {
        let mut behaviour = lock(&self.behaviour);
        behaviour.rate_limit = limit;
        behaviour.admitted.clear();
    }

    pub(super) fn inject(&self, fault: Fault) {
        if fault.times > 0 {
            lock(&self.behaviour).faults.push_back(fault);
        }
    }

    pub(super) fn clear_faults(&self) {
        lock(&self.behaviour).faults.clear();
    }

    pub(super) fn stats(&self) -> Stats {
        lock(&self.stats).clone()
    }

    pub(super) fn reset_stats(&self) {
        *lock(&self.stats) = Stats::default();
    }

    fn arrive(&self, endpoint: Endpoint) -> InFlight<'_> {
        let now_in_flight = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        let mut stats = lock(&self.stats);
        *stats.counts.entry(endpoint).or_default() += 1;
        stats.arrivals.push(Instant::now());
        stats.max_in_flight = stats.max_in_flight.max(now_in_flight);
        InFlight(self)
    }

    /// Takes one use of the first queued fault matching `endpoint`.
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

    /// False when the rate limit refuses one more request now.
    fn admit(&self) -> bool {
        let mut behaviour = lock(&self.behaviour);
        let Some(limit) = behaviour.rate_limit else {
            return true;
        };
        let now = Instant::now();
        while behaviour
            .admitted
            .front()
            .is_some_and(|at| now.duration_since(*at) >= limit.per)
        {
            behaviour.admitted.pop_front();
        }
        if behaviour.admitted.len() >= limit.requests.get() as usize {
            return false;
        }
        behaviour.admitted.push_back(now);
        true
    }

    fn restricted_hours(&self) -> ApiResponse {
        let windows = self
            .brand
            .maintenance_windows()
            .windows()
            .iter()
            .map(|w| format!("{}〜{}", w.start.format("%H:%M"), w.end.format("%H:%M")))
            .collect::<Vec<_>>()
            .join("、");
        ApiResponse::error(
            403,
            codes::RESTRICTED_HOURS,
            format!(
                "{} のこのAPIは {windows} の間はご利用いただけません。",
                self.brand.name()
            ),
        )
    }

    fn rate_limited() -> ApiResponse {
        ApiResponse {
            status: 429,
            body: json!({"code": "303", "message": "Too Many Requests"}),
        }
    }

    /// The answer of the API, with no fault.
    fn respond(&self, request: &ApiRequest, endpoint: Endpoint) -> ApiResponse {
        let expected = format!("Bearer {}", self.token);
        if request.authorization.as_deref() != Some(expected.as_str()) {
            return ApiResponse::error(403, codes::AUTHENTICATION, "認証に失敗しました。");
        }
        if endpoint == Endpoint::TokenAvailable {
            let available = request.segments.get(1) == Some(&self.token);
            return ApiResponse {
                status: 200,
                body: json!({ "available": available }),
            };
        }
        let now = self.clock.now();
        if self.brand.maintenance_windows().active_at(now).is_some() {
            return self.restricted_hours();
        }
        if !self.admit() {
            return Self::rate_limited();
        }
        let today = self.clock.today_in_japan();
        self.with_store(|store| store.handle(request, today))
    }

    /// Serves one HTTP request.
    async fn serve(self: Arc<Self>, request: Request) -> Outcome {
        let request = api_request(request);
        let endpoint = request.endpoint();
        let _in_flight = self.arrive(endpoint);
        let latency = lock(&self.behaviour).latency;
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        let fault = self.take_fault(endpoint);
        let answer = match fault {
            Some(FaultKind::Status(status)) => {
                let code = if status >= 500 {
                    codes::SERVER
                } else {
                    codes::VALIDATION
                };
                ApiResponse::error(
                    status,
                    code,
                    format!("注入された障害です（HTTP {status}）。"),
                )
            }
            Some(FaultKind::RateLimited) => Self::rate_limited(),
            Some(FaultKind::RestrictedHours) => self.restricted_hours(),
            // The vendor's wording is not published; these say what the code means.
            Some(FaultKind::AddressNotAllowed) => ApiResponse::error(
                403,
                codes::ADDRESS_NOT_ALLOWED,
                "許可されていないIPアドレスからのアクセスです。",
            ),
            Some(FaultKind::TokenWithoutRight) => ApiResponse::error(
                403,
                codes::AUTHENTICATION,
                "認証に失敗しました。この項目へのアクセス権限がありません。",
            ),
            _ => self.respond(&request, endpoint),
        };
        let mut body = answer.body.to_string().into_bytes();
        match fault {
            Some(FaultKind::Hang(duration)) => tokio::time::sleep(duration).await,
            Some(FaultKind::DropAfterApply) => return Outcome::Drop,
            Some(FaultKind::MalformedJson) if answer.is_success() => {
                body.truncate(body.len() / 2);
            }
            _ => {}
        }
        Outcome::Answer(Response {
            status: answer.status,
            headers: Vec::new(),
            body,
        })
    }
}

/// The API's view of a request: the path after the optional `v1.0` prefix.
fn api_request(request: Request) -> ApiRequest {
    let mut segments = request.segments;
    if segments.first().is_some_and(|s| s == "v1.0") {
        segments.remove(0);
    }
    ApiRequest {
        method: request.method,
        segments,
        query: request.query.into_iter().collect(),
        authorization: request.authorization,
        body: request.body,
    }
}

/// Binds a loopback port and serves until the returned task is aborted; aborting it drops
/// every connection.
pub(super) async fn serve(shared: Arc<Shared>) -> (SocketAddr, JoinHandle<()>) {
    hris_sync_http::loopback::serve(move |request| Arc::clone(&shared).serve(request)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_within_counts_the_densest_window() {
        let start = Instant::now();
        let at = |ms| start + Duration::from_millis(ms);
        let stats = Stats {
            arrivals: vec![at(0), at(10), at(20), at(500), at(505)],
            ..Stats::default()
        };
        assert_eq!(stats.max_within(Duration::from_millis(100)), 3);
        assert_eq!(stats.max_within(Duration::from_millis(5)), 1);
        assert_eq!(stats.max_within(Duration::from_secs(1)), 5);
    }
}
