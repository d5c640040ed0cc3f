//! The client builder: credentials, endpoint, paging, rate-limit handling and the hardening
//! knobs, each with a documented default.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use hris_sync_core::retry::RetryPolicy;
use hris_sync_core::{Clock, ConnectorError, Field, SystemClock};
use hris_sync_http::{build_http_client, parse_base_url, ApiToken, RateLimit, TransportConfig};

use crate::client::SmartHrClient;
use crate::protocol::{Pacing, SmartHrProtocol};

/// The environment variable holding the API token.
pub const TOKEN_ENV: &str = "SMARTHR_TOKEN";
/// The environment variable holding the API base URL.
pub const BASE_URL_ENV: &str = "SMARTHR_BASE_URL";

/// The page size asked for: 100, the commonly reported maximum of `per_page`.
pub const DEFAULT_PER_PAGE: u32 = 100;

/// Builds a [`SmartHrClient`].
///
/// Defaults: no base URL (it is the tenant's: `https://{subdomain}.smarthr.jp/api`, or
/// `https://{tenant}.daruma.space/api` in the sandbox; it must be set), the core's
/// [`RetryPolicy::default`], at most 4 requests in flight, no client-side rate limit, the
/// server's rate-limit headers honoured (a 429 waits for `x-rate-limit-reset`, at most 60 s;
/// when `x-rate-limit-remaining` falls to 2 or below every request waits for the reset, at
/// most 60 s), 100 crews per page, `fields=` sent with the synced properties, last and first
/// name required on create, connect timeout 10 s, request timeout 30 s, answers of at most
/// 64 MiB (one page), the host's clock.
///
/// ```
/// use connector_smarthr::SmartHrClientBuilder;
/// use hris_sync_core::ConnectorError;
/// // The base URL is the tenant's: required.
/// let error = SmartHrClientBuilder::new().with_token("t").build().unwrap_err();
/// assert!(matches!(error, ConnectorError::InvalidConfig { .. }));
/// assert!(error.to_string().contains("SMARTHR_BASE_URL"));
/// // Plain http only to loopback.
/// let error = SmartHrClientBuilder::new()
///     .with_token("t")
///     .with_base_url("http://example.smarthr.jp/api")
///     .build()
///     .unwrap_err();
/// assert!(error.to_string().contains("https"));
/// let client = SmartHrClientBuilder::new()
///     .with_token("t")
///     .with_base_url("https://example.smarthr.jp/api")
///     .build();
/// assert!(client.is_ok());
/// ```
#[derive(Clone)]
pub struct SmartHrClientBuilder {
    token: Option<ApiToken>,
    base_url: Option<String>,
    retry: RetryPolicy,
    max_concurrency: usize,
    rate_limit: Option<RateLimit>,
    pacing: Pacing,
    per_page: u32,
    select_fields: bool,
    required_on_create: Vec<Field>,
    connect_timeout: Duration,
    request_timeout: Duration,
    max_response_bytes: usize,
    clock: Arc<dyn Clock>,
}

impl Default for SmartHrClientBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl SmartHrClientBuilder {
    /// A builder with the defaults above, no token and no base URL.
    pub fn new() -> Self {
        Self {
            token: None,
            base_url: None,
            retry: RetryPolicy::default(),
            max_concurrency: 4,
            rate_limit: None,
            pacing: Pacing::default(),
            per_page: DEFAULT_PER_PAGE,
            select_fields: true,
            required_on_create: vec![Field::LastName, Field::FirstName],
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            max_response_bytes: 64 * 1024 * 1024,
            clock: Arc::new(SystemClock),
        }
    }

    /// A builder reading [`TOKEN_ENV`] (`SMARTHR_TOKEN`) and [`BASE_URL_ENV`]
    /// (`SMARTHR_BASE_URL`); unset or empty variables leave the setting unset.
    pub fn from_env() -> Self {
        let read = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let mut builder = Self::new();
        builder.token = read(TOKEN_ENV).map(ApiToken::new);
        builder.base_url = read(BASE_URL_ENV);
        builder
    }

    /// Sets the access token (issued in 共通設定 > 外部システム連携; see docs/smarthr.md for
    /// the rights it needs).
    pub fn with_token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(ApiToken::new(token));
        self
    }

    /// Sets the API base URL, e.g. `https://example.smarthr.jp/api` (without `/v1`). Plain
    /// `http` is accepted for loopback hosts only (tests, the emulator).
    pub fn with_base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// Sets how failed requests are retried.
    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Sets how many requests may be in flight at once (at least 1).
    pub fn with_max_concurrency(mut self, requests: usize) -> Self {
        self.max_concurrency = requests;
        self
    }

    /// Limits the request rate on the client's side too (SmartHR publishes no numbers; the
    /// server's headers are honoured whatever this says).
    pub fn with_rate_limit(mut self, limit: RateLimit) -> Self {
        self.rate_limit = Some(limit);
        self
    }

    /// Sets when the client waits for the rate limit's reset before sending more: once
    /// `x-rate-limit-remaining` is at or below `remaining` (default 2; 0 waits only after
    /// the budget is spent).
    pub fn with_pace_below(mut self, remaining: u64) -> Self {
        self.pacing.pace_below = remaining;
        self
    }

    /// Sets the longest wait for a rate limit's reset (default 60 s). A reset further away
    /// is waited for this long, then the request is tried again (and may be refused again).
    pub fn with_max_rate_limit_wait(mut self, wait: Duration) -> Self {
        self.pacing.max_wait = wait;
        self
    }

    /// Sets the page size asked for (`per_page`, 1 to 100; default 100).
    pub fn with_per_page(mut self, per_page: u32) -> Self {
        self.per_page = per_page;
        self
    }

    /// Whether reads send `fields=` with only the synced properties (default on; turn it off
    /// for a tenant whose API predates the parameter).
    pub fn with_field_selection(mut self, on: bool) -> Self {
        self.select_fields = on;
        self
    }

    /// Sets the fields a create must carry (default last and first name). SmartHR's own
    /// description is contradictory here (see docs/smarthr.md); a stricter tenant can add
    /// the kana readings and the gender.
    pub fn with_required_on_create(mut self, fields: impl IntoIterator<Item = Field>) -> Self {
        self.required_on_create = fields.into_iter().collect();
        self
    }

    /// Sets how long establishing a connection may take.
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sets how long one attempt may take, from sending to the last byte of the answer.
    pub fn with_request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Bounds the body of one answer (default 64 MiB; lists are paged, so one page is the
    /// largest answer).
    pub fn with_max_response_bytes(mut self, bytes: usize) -> Self {
        self.max_response_bytes = bytes;
        self
    }

    /// Sets the clock that gives "today" in Japan (the status of a new crew).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Builds the client.
    ///
    /// # Errors
    /// [`ConnectorError::InvalidConfig`] when the token is missing, empty or not header
    /// text, the base URL is missing or not an absolute https URL (http only to loopback),
    /// the page size is outside 1..=100, the concurrency or body bound is 0, or the HTTP
    /// client cannot be set up.
    pub fn build(self) -> Result<SmartHrClient, ConnectorError> {
        let invalid = |what: String| ConnectorError::invalid_config(format!("SmartHR: {what}"));
        let token = self.token.clone().ok_or_else(|| {
            invalid(format!(
                "no access token set; issue one in 共通設定 > 外部システム連携 and pass it with \
                 with_token or {TOKEN_ENV}"
            ))
        })?;
        if let Some(problem) = token.problem() {
            return Err(invalid(problem.to_owned()));
        }
        let raw = self.base_url.clone().ok_or_else(|| {
            invalid(format!(
                "no API base URL set; it is your tenant's, https://<subdomain>.smarthr.jp/api \
                 (sandbox: https://<tenant>.daruma.space/api); pass it with with_base_url or \
                 {BASE_URL_ENV}"
            ))
        })?;
        let base = parse_base_url(&raw).map_err(invalid)?;
        if !(1..=100).contains(&self.per_page) {
            return Err(invalid("per_page must be between 1 and 100".into()));
        }
        if self.max_concurrency == 0 {
            return Err(invalid("max concurrency must be at least 1".into()));
        }
        if self.max_response_bytes == 0 {
            return Err(invalid(
                "the response size limit must be at least 1 byte".into(),
            ));
        }
        let http =
            build_http_client(self.connect_timeout, self.request_timeout).map_err(invalid)?;
        let transport = hris_sync_http::Transport::new(TransportConfig {
            protocol: SmartHrProtocol::new(self.pacing, self.clock.clone()),
            http,
            base,
            token,
            retry: self.retry,
            max_concurrency: self.max_concurrency,
            rate_limit: self.rate_limit,
            max_response_bytes: self.max_response_bytes,
        });
        Ok(SmartHrClient::new(
            transport,
            crate::client::Settings {
                per_page: self.per_page,
                select_fields: self.select_fields,
                required_on_create: self.required_on_create,
                clock: self.clock,
            },
        ))
    }
}

impl fmt::Debug for SmartHrClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmartHrClientBuilder")
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("base_url", &self.base_url)
            .field("max_concurrency", &self.max_concurrency)
            .field("rate_limit", &self.rate_limit)
            .field("pacing", &self.pacing)
            .field("per_page", &self.per_page)
            .field("select_fields", &self.select_fields)
            .field("required_on_create", &self.required_on_create)
            .finish_non_exhaustive()
    }
}
