//! The one send function every request goes through: bounded concurrency, the rate limit,
//! the server's pacing, timeouts, retries and a tracing span per attempt.
//!
//! Order per attempt: wait for a concurrency permit, then for the rate limiter, then until
//! the moment the server's last answer asked to hold requests to (if any), then for the
//! rate limit's window at the moment of sending, then send and read the whole answer within
//! the request timeout, then classify through the [`Protocol`].
//!
//! The rate limit is kept twice, on purpose: the limiter spaces requests evenly (no burst),
//! but a request can be delayed between the limiter and the socket (the server's pacing, a
//! busy host), so two of them can leave closer together than their spacing. The window at
//! the moment of sending makes the limit a hard bound: no period (plus a margin for the way
//! to the server) ever holds more sends than the limit allows.
//! Retries wrap the whole attempt ([`RetryPolicy::run`]), so every retry waits again.

use std::collections::VecDeque;
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use hris_sync_core::retry::{Idempotency, RetryPolicy};
use hris_sync_core::ConnectorError;
use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use reqwest::Method;
use tokio::sync::Semaphore;
use tracing::Instrument;
use url::Url;

use crate::config::{ApiToken, RateLimit};

/// One request to send. Its `Debug` leaves out the path and query: a path can carry a
/// token (KOT's token check) or personal data (a code in a filter).
pub struct Call<'a> {
    /// The operation's name in spans and errors ("list_employees").
    pub operation: &'static str,
    /// The HTTP method.
    pub method: Method,
    /// Path segments after the base URL, percent-encoded when sent.
    pub path: &'a [&'a str],
    /// Query parameters, in order.
    pub query: &'a [(&'static str, String)],
    /// A JSON body.
    pub body: Option<&'a serde_json::Value>,
    /// Whether the request may be repeated blindly.
    pub idempotency: Idempotency,
}

impl fmt::Debug for Call<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Call")
            .field("operation", &self.operation)
            .field("method", &self.method)
            .field("idempotency", &self.idempotency)
            .finish_non_exhaustive()
    }
}

/// One answer, as the protocol sees it.
#[derive(Debug, Clone, Copy)]
pub struct Answer<'a> {
    /// The HTTP status.
    pub status: u16,
    /// The response headers.
    pub headers: &'a HeaderMap,
    /// The whole body.
    pub body: &'a [u8],
}

impl Answer<'_> {
    /// A header's value as text, if present and readable.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A successful answer.
#[derive(Debug)]
pub struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// The response headers (paging links, counts).
    pub headers: HeaderMap,
    /// The whole body.
    pub body: Vec<u8>,
}

/// What a connector tells the transport about its protocol.
pub trait Protocol: Send + Sync + fmt::Debug + 'static {
    /// The system's name in errors ("KING OF TIME", "SmartHR").
    fn name(&self) -> &str;

    /// The span of one attempt. It must declare a `status` field (recorded when the answer
    /// arrives) and carry no personal data.
    fn span(&self, call: &Call<'_>, attempt: usize) -> tracing::Span;

    /// Whether an answer is a success (default: any 2xx).
    fn is_success(&self, answer: &Answer<'_>) -> bool {
        (200..300).contains(&answer.status)
    }

    /// Classifies an answer that is not a success.
    fn classify(&self, operation: &str, answer: &Answer<'_>) -> ConnectorError;

    /// How long every request must wait before the next one goes out, when this answer
    /// says so (a rate-limit budget spent or running low). Default: never.
    fn pace(&self, answer: &Answer<'_>) -> Option<Duration> {
        let _ = answer;
        None
    }
}

/// The default bound on one answer's body: 256 MiB (KOT's employee list is not paged; at
/// about 530 bytes per employee 100,000 employees take about 53 MB).
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 256 * 1024 * 1024;

/// An answer whose body is larger than the configured bound (kept as the error's source).
#[derive(Debug)]
pub struct ResponseTooLarge {
    /// The bound, in bytes.
    pub limit: usize,
    /// The HTTP status of the answer.
    pub status: u16,
}

impl fmt::Display for ResponseTooLarge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the answer (HTTP {}) is larger than the limit of {} bytes",
            self.status, self.limit
        )
    }
}

impl std::error::Error for ResponseTooLarge {}

/// What [`Transport::new`] needs.
#[derive(Debug)]
pub struct TransportConfig<P> {
    /// The protocol.
    pub protocol: P,
    /// The HTTP client ([`build_http_client`](crate::build_http_client)).
    pub http: reqwest::Client,
    /// The base URL ([`parse_base_url`](crate::parse_base_url)).
    pub base: Url,
    /// The token.
    pub token: ApiToken,
    /// How failed attempts are retried.
    pub retry: RetryPolicy,
    /// How many requests may be in flight at once (at least 1).
    pub max_concurrency: usize,
    /// A client-side request-rate limit.
    pub rate_limit: Option<RateLimit>,
    /// The bound on one answer's body.
    pub max_response_bytes: usize,
}

/// The HTTP side of a client. See the module docs for the order of the waits.
pub struct Transport<P> {
    protocol: P,
    http: reqwest::Client,
    base: Url,
    token: ApiToken,
    authorization: HeaderValue,
    retry: RetryPolicy,
    permits: Semaphore,
    max_concurrency: usize,
    rate_limit: Option<RateLimit>,
    limiter: Option<DefaultDirectRateLimiter>,
    max_response_bytes: usize,
    /// No request goes out before this moment (the server's pacing).
    hold_until: Mutex<Option<tokio::time::Instant>>,
    /// When the requests of the rate limit's last period were sent, oldest first.
    sent: Mutex<VecDeque<tokio::time::Instant>>,
}

/// Added to the rate limit's period when counting sends: what the way from this process to
/// the server may add to one request's delay and not to another's, so that the server's
/// count over any period stays within the limit too.
const SEND_MARGIN: Duration = Duration::from_millis(50);

impl<P: Protocol> Transport<P> {
    /// A transport; a token that is not valid header text is sent as an empty bearer (the
    /// builders refuse such tokens before this, see [`ApiToken::problem`]).
    pub fn new(config: TransportConfig<P>) -> Self {
        let mut authorization = HeaderValue::from_str(&format!("Bearer {}", config.token.expose()))
            .unwrap_or_else(|_| HeaderValue::from_static("Bearer"));
        authorization.set_sensitive(true);
        let limiter = config.rate_limit.map(|limit| {
            let quota = Quota::with_period(limit.interval())
                .expect("the interval is positive")
                .allow_burst(std::num::NonZeroU32::MIN);
            RateLimiter::direct(quota)
        });
        Self {
            protocol: config.protocol,
            http: config.http,
            base: config.base,
            token: config.token,
            authorization,
            retry: config.retry,
            permits: Semaphore::new(config.max_concurrency.max(1)),
            max_concurrency: config.max_concurrency,
            rate_limit: config.rate_limit,
            limiter,
            max_response_bytes: config.max_response_bytes,
            hold_until: Mutex::new(None),
            sent: Mutex::new(VecDeque::new()),
        }
    }

    /// The protocol.
    pub fn protocol(&self) -> &P {
        &self.protocol
    }

    /// The token, for a protocol that must send it elsewhere too (KOT's token check).
    pub fn token(&self) -> &str {
        self.token.expose()
    }

    /// The base URL.
    pub fn base_url(&self) -> &Url {
        &self.base
    }

    /// Sends `call` with retries.
    ///
    /// # Errors
    /// The last attempt's classified error.
    pub async fn send(&self, call: &Call<'_>) -> Result<Reply, ConnectorError> {
        let attempts = AtomicUsize::new(0);
        self.retry
            .run(call.operation, call.idempotency, || {
                let attempt = attempts.fetch_add(1, Ordering::Relaxed) + 1;
                let span = self.protocol.span(call, attempt);
                self.attempt(call, span.clone()).instrument(span)
            })
            .await
    }

    fn held_until(&self) -> Option<tokio::time::Instant> {
        *self.hold_until.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn hold(&self, wait: Duration) {
        let until = tokio::time::Instant::now() + wait;
        let mut held = self.hold_until.lock().unwrap_or_else(|p| p.into_inner());
        if held.is_none_or(|current| current < until) {
            *held = Some(until);
        }
    }

    /// Waits until one more send keeps the rate limit over every period (plus
    /// [`SEND_MARGIN`]), and counts it as sent now.
    async fn wait_for_the_window(&self) {
        let Some(limit) = self.rate_limit else {
            return;
        };
        let span = limit.per + SEND_MARGIN;
        let allowed = limit.requests.get() as usize;
        loop {
            let until = {
                let mut sent = self.sent.lock().unwrap_or_else(|p| p.into_inner());
                let now = tokio::time::Instant::now();
                while sent
                    .front()
                    .is_some_and(|at| now.duration_since(*at) >= span)
                {
                    sent.pop_front();
                }
                if sent.len() < allowed {
                    sent.push_back(now);
                    return;
                }
                sent[0] + span
            };
            tokio::time::sleep_until(until).await;
        }
    }

    /// One attempt, inside its `span` (passed in so the status is recorded on it directly).
    async fn attempt(&self, call: &Call<'_>, span: tracing::Span) -> Result<Reply, ConnectorError> {
        let name = self.protocol.name();
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| ConnectorError::Connection {
                message: format!("{name}: the client is shutting down"),
                source: None,
            })?;
        if let Some(limiter) = &self.limiter {
            limiter.until_ready().await;
        }
        let mut url = self.base.clone();
        url.path_segments_mut()
            .expect("the base URL is http(s), which has path segments")
            .pop_if_empty()
            .extend(call.path);
        if !call.query.is_empty() {
            url.query_pairs_mut().extend_pairs(call.query);
        }
        let mut request = self
            .http
            .request(call.method.clone(), url)
            .header(AUTHORIZATION, self.authorization.clone());
        if let Some(body) = call.body {
            request = request
                .header(CONTENT_TYPE, "application/json; charset=utf-8")
                .body(body.to_string());
        }
        // A hold the server set while this request waited for the window applies to it too:
        // look again after the window, and wait for both anew (a slot counted before the hold
        // only makes the window stricter).
        loop {
            if let Some(until) = self.held_until() {
                if until > tokio::time::Instant::now() {
                    tracing::debug!(
                        wait_ms = (until - tokio::time::Instant::now()).as_millis() as u64,
                        "holding for the server's rate limit"
                    );
                    tokio::time::sleep_until(until).await;
                }
            }
            self.wait_for_the_window().await;
            if self
                .held_until()
                .is_none_or(|until| until <= tokio::time::Instant::now())
            {
                break;
            }
        }
        let started = std::time::Instant::now();
        let response = request
            .send()
            .await
            .map_err(|e| transport_error(name, call.operation, e))?;
        let status = response.status().as_u16();
        span.record("status", status);
        let headers = response.headers().clone();
        let body = self.read_body(call, status, response).await?;
        tracing::debug!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            bytes = body.len(),
            "answered"
        );
        let answer = Answer {
            status,
            headers: &headers,
            body: &body,
        };
        if let Some(wait) = self.protocol.pace(&answer) {
            self.hold(wait);
        }
        if self.protocol.is_success(&answer) {
            return Ok(Reply {
                status,
                headers,
                body,
            });
        }
        let error = self.protocol.classify(call.operation, &answer);
        // The vendor's message may quote submitted values: debug level only (SPEC B3).
        tracing::info!(retryable = error.is_retryable(), "refused");
        tracing::debug!(error = %error, "refusal");
        Err(error)
    }

    /// Reads the whole body, at most `max_response_bytes` of it: a larger answer (by its
    /// `Content-Length`, or as it streams in) is a [`ConnectorError::Decode`] naming the
    /// limit, whatever its status — not retryable, and for a write "maybe applied", since
    /// the server did answer. Nothing beyond the limit is buffered.
    async fn read_body(
        &self,
        call: &Call<'_>,
        status: u16,
        mut response: reqwest::Response,
    ) -> Result<Vec<u8>, ConnectorError> {
        let limit = self.max_response_bytes;
        let name = self.protocol.name();
        let too_large = || {
            let cause = ResponseTooLarge { limit, status };
            ConnectorError::Decode {
                message: format!(
                    "{name}: {}: {cause}; raise it with with_max_response_bytes if the answer \
                     is genuine",
                    call.operation
                ),
                source: Some(Box::new(cause)),
            }
        };
        let announced = response.content_length();
        if announced.is_some_and(|length| length > limit as u64) {
            return Err(too_large());
        }
        // Trust the announced length for the first 8 MiB only: the rest grows as it arrives.
        let mut body =
            Vec::with_capacity(announced.map_or(0, |length| length.min(1 << 23) as usize));
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| transport_error(name, call.operation, e))?
        {
            if chunk.len() > limit - body.len() {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

impl<P: Protocol> fmt::Debug for Transport<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transport")
            .field("protocol", &self.protocol)
            .field("base_url", &self.base.as_str())
            .field("token", &self.token)
            .field("max_concurrency", &self.max_concurrency)
            .field("rate_limit", &self.rate_limit)
            .field("retry", &self.retry)
            .field("max_response_bytes", &self.max_response_bytes)
            .finish_non_exhaustive()
    }
}

/// Classifies a transport failure (no answer at all). The URL is stripped first: a path or
/// query can carry a token or personal data.
pub fn transport_error(name: &str, operation: &str, error: reqwest::Error) -> ConnectorError {
    let error = error.without_url();
    let timed_out = error.is_timeout();
    let kind = if timed_out {
        "no answer in time"
    } else if error.is_connect() {
        "could not connect"
    } else {
        "the connection failed before an answer was read"
    };
    let message = format!("{name}: {operation}: {kind}");
    let source = Some(Box::new(error) as hris_sync_core::BoxError);
    if timed_out {
        ConnectorError::Timeout { message, source }
    } else {
        ConnectorError::Connection { message, source }
    }
}
