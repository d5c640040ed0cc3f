//! The one send function every request goes through: rate limit, bounded concurrency,
//! timeouts, retries and a tracing span per attempt.
//!
//! Order per attempt: wait for a concurrency permit, then for the rate limiter, then send and
//! read the whole answer within the request timeout, then classify. Retries wrap the whole
//! attempt ([`RetryPolicy::run`]), so every retry waits for a permit and the limiter again.

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use hris_sync_core::retry::{Idempotency, RetryPolicy};
use hris_sync_core::{Clock, ConnectorError};
use reqwest::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use reqwest::Method;
use tokio::sync::Semaphore;
use tracing::Instrument;
use url::Url;

use crate::brand::Brand;
use crate::config::{ApiToken, RateLimit};
use crate::error::{classify, is_rate_limit_body, transport, Answer};

/// One request to send. Its `Debug` leaves out the path and query: the token check carries
/// the token in its path.
pub(crate) struct Call<'a> {
    /// The operation's name in spans and errors ("list_employees").
    pub(crate) operation: &'static str,
    /// The HTTP method.
    pub(crate) method: Method,
    /// Path segments after the base URL, percent-encoded when sent.
    pub(crate) path: &'a [&'a str],
    /// Query parameters.
    pub(crate) query: &'a [(&'static str, String)],
    /// A JSON body.
    pub(crate) body: Option<&'a serde_json::Value>,
    /// Whether the request may be repeated blindly.
    pub(crate) idempotency: Idempotency,
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

/// A successful answer: its whole body.
#[derive(Debug)]
pub(crate) struct Reply {
    /// The body.
    pub(crate) body: Vec<u8>,
}

/// The default bound on one answer's body: 256 MiB. The largest answer is the employee
/// list, which the API does not page. The emulator's JSON takes about 430 bytes per employee
/// with every synced field; a real record with a 64-digit key and two employee groups about
/// 530. So 100,000 employees are about 53 MB, and this default leaves room for five times
/// that, while a misbehaving server or proxy still cannot make the client buffer without end.
pub(crate) const DEFAULT_MAX_RESPONSE_BYTES: usize = 256 * 1024 * 1024;

/// An answer whose body is larger than the configured bound (kept as the error's source).
#[derive(Debug)]
pub(crate) struct ResponseTooLarge {
    /// The bound, in bytes.
    pub(crate) limit: usize,
    /// The HTTP status of the answer.
    pub(crate) status: u16,
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
pub(crate) struct TransportConfig {
    pub(crate) brand: Brand,
    pub(crate) http: reqwest::Client,
    pub(crate) base: Url,
    pub(crate) token: ApiToken,
    pub(crate) retry: RetryPolicy,
    pub(crate) max_concurrency: usize,
    pub(crate) rate_limit: Option<RateLimit>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) max_response_bytes: usize,
}

/// The HTTP side of a client.
pub(crate) struct Transport {
    pub(crate) brand: Brand,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) duplicate_codes: Vec<i64>,
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
}

impl Transport {
    pub(crate) fn new(config: TransportConfig, duplicate_codes: Vec<i64>) -> Self {
        // The builder refused tokens with spaces or control characters, so this is valid
        // header text; an invalid one would only ever be refused by the server.
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
            brand: config.brand,
            clock: config.clock,
            duplicate_codes,
            http: config.http,
            base: config.base,
            token: config.token,
            authorization,
            retry: config.retry,
            permits: Semaphore::new(config.max_concurrency),
            max_concurrency: config.max_concurrency,
            rate_limit: config.rate_limit,
            limiter,
            max_response_bytes: config.max_response_bytes,
        }
    }

    /// The token, for the one path that carries it (the token check).
    pub(crate) fn token(&self) -> &str {
        self.token.expose()
    }

    /// Sends `call` with retries; a success is a 2xx answer that is not the rate-limit body.
    pub(crate) async fn send(&self, call: &Call<'_>) -> Result<Reply, ConnectorError> {
        let attempts = AtomicUsize::new(0);
        self.retry
            .run(call.operation, call.idempotency, || {
                let attempt = attempts.fetch_add(1, Ordering::Relaxed) + 1;
                let span = tracing::info_span!(
                    "kot_request",
                    vendor = %self.brand.name(),
                    operation = call.operation,
                    method = %call.method,
                    attempt,
                    status = tracing::field::Empty,
                );
                self.attempt(call, span.clone()).instrument(span)
            })
            .await
    }

    /// One attempt, inside its `span` (passed in so the status is recorded on it directly,
    /// whatever the subscriber knows of the current span).
    async fn attempt(&self, call: &Call<'_>, span: tracing::Span) -> Result<Reply, ConnectorError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| ConnectorError::Connection {
                message: format!("{}: the client is shutting down", self.brand.name()),
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
        let started = std::time::Instant::now();
        let response = request
            .send()
            .await
            .map_err(|e| transport(&self.brand, call.operation, e))?;
        let status = response.status().as_u16();
        span.record("status", status);
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = self.read_body(call, status, response).await?;
        tracing::debug!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            bytes = body.len(),
            "answered"
        );
        if (200..300).contains(&status) && !is_rate_limit_body(&body) {
            return Ok(Reply { body });
        }
        let answer = Answer {
            status,
            retry_after: retry_after.as_deref(),
            body: &body,
        };
        let error = classify(&self.brand, call.operation, self.clock.now(), answer);
        // The vendor's message may quote submitted values: debug level only (SPEC B3).
        tracing::info!(retryable = error.is_retryable(), "refused");
        tracing::debug!(error = %error, "refusal");
        Err(error)
    }
}

impl Transport {
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
        let too_large = || {
            let cause = ResponseTooLarge { limit, status };
            ConnectorError::Decode {
                message: format!(
                    "{}: {}: {cause}; raise it with with_max_response_bytes if the answer is \
                     genuine",
                    self.brand.name(),
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
            .map_err(|e| transport(&self.brand, call.operation, e))?
        {
            if chunk.len() > limit - body.len() {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transport")
            .field("brand", &self.brand.name())
            .field("base_url", &self.base.as_str())
            .field("token", &self.token)
            .field("max_concurrency", &self.max_concurrency)
            .field("rate_limit", &self.rate_limit)
            .field("retry", &self.retry)
            .field("max_response_bytes", &self.max_response_bytes)
            .finish_non_exhaustive()
    }
}
