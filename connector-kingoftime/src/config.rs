//! The client builder: credentials, endpoint, and the hardening knobs, each with a
//! documented default.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use hris_sync_core::retry::RetryPolicy;
use hris_sync_core::{
    Clock, CodeCharacters, ConnectorError, Field, MaintenanceWindows, SystemClock,
};
use hris_sync_http::{build_http_client, parse_base_url, ApiToken, RateLimit, TransportConfig};

use crate::brand::Brand;
use crate::client::KotClient;

/// Builds a [`KotClient`] for one brand of the KOT family.
///
/// Defaults: the brand's base URL (none for Touch On Time and 勤革時: it must be set), the
/// core's [`RetryPolicy::default`] (4 retries, 200 ms doubling to 10 s, jitter, `Retry-After`
/// honoured up to 60 s), at most 4 requests in flight, no request-rate limit (the vendor
/// publishes none; its 303 answer is retried with backoff — set one with
/// [`with_rate_limit`](Self::with_rate_limit) when your contract names a limit), connect
/// timeout 10 s, request timeout 30 s, answers of at most 256 MiB
/// ([`with_max_response_bytes`](Self::with_max_response_bytes)), the host's clock.
///
/// ```
/// use connector_kingoftime::{Brand, KotClientBuilder};
/// use hris_sync_core::ConnectorError;
/// // An empty token is refused before anything is sent.
/// let error = KotClientBuilder::new(Brand::king_of_time()).with_token("").build().unwrap_err();
/// assert!(matches!(error, ConnectorError::InvalidConfig { .. }));
/// // Plain http only to loopback.
/// let error = KotClientBuilder::new(Brand::king_of_time())
///     .with_token("t")
///     .with_base_url("http://example.com/v1.0")
///     .build()
///     .unwrap_err();
/// assert!(error.to_string().contains("https"));
/// ```
#[derive(Clone)]
pub struct KotClientBuilder {
    brand: Brand,
    token: Option<ApiToken>,
    base_url: Option<String>,
    retry: RetryPolicy,
    max_concurrency: usize,
    rate_limit: Option<RateLimit>,
    connect_timeout: Duration,
    request_timeout: Duration,
    clock: Arc<dyn Clock>,
    duplicate_codes: Vec<i64>,
    max_response_bytes: usize,
    max_lengths: Vec<(Field, usize)>,
    code_characters: CodeCharacters,
}

/// The longest values assumed for the KOT family (unpublished; see docs/field-mapping.md).
const DEFAULT_MAX_LENGTHS: [(Field, usize); 6] = [
    (Field::Code, 20),
    (Field::LastName, 50),
    (Field::FirstName, 50),
    (Field::LastNameKana, 50),
    (Field::FirstNameKana, 50),
    (Field::Email, 254),
];

impl KotClientBuilder {
    /// A builder for `brand` with the defaults above and no token.
    pub fn new(brand: Brand) -> Self {
        Self {
            brand,
            token: None,
            base_url: None,
            retry: RetryPolicy::default(),
            max_concurrency: 4,
            rate_limit: None,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            clock: Arc::new(SystemClock),
            duplicate_codes: Vec::new(),
            max_response_bytes: hris_sync_http::DEFAULT_MAX_RESPONSE_BYTES,
            max_lengths: DEFAULT_MAX_LENGTHS.to_vec(),
            code_characters: CodeCharacters::ascii_alphanumeric_and("-_"),
        }
    }

    /// Sets the longest value (in characters) the vendor is assumed to hold in `field`;
    /// longer values make an employee Invalid before anything is sent. The KOT family
    /// publishes no limits: the defaults (code 20, names and kana 50, email 254) are
    /// conservative assumptions, documented in docs/field-mapping.md.
    pub fn with_max_length(mut self, field: Field, characters: usize) -> Self {
        self.max_lengths.retain(|(known, _)| *known != field);
        self.max_lengths.push((field, characters));
        self
    }

    /// Sets the characters a new employee's code may hold (default: ASCII letters, digits,
    /// `-` and `_`, an assumption; see docs/field-mapping.md).
    pub fn with_code_characters(mut self, characters: CodeCharacters) -> Self {
        self.code_characters = characters;
        self
    }

    /// A builder reading `{PREFIX}_TOKEN` and `{PREFIX}_BASE_URL` (see
    /// [`Brand::token_env_var`]); unset or empty variables leave the setting unset.
    pub fn from_env(brand: Brand) -> Self {
        let read = |name: String| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let token = read(brand.token_env_var());
        let base_url = read(brand.base_url_env_var());
        let mut builder = Self::new(brand);
        builder.token = token.map(ApiToken::new);
        builder.base_url = base_url;
        builder
    }

    /// Sets the API token (issued in the admin screens by an all-access administrator).
    pub fn with_token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(ApiToken::new(token));
        self
    }

    /// Sets the API base URL, e.g. `https://api.kingtime.jp/v1.0`. Plain `http` is accepted
    /// for loopback hosts only (tests, the emulator).
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

    /// Limits the request rate (every attempt counts, retries included).
    pub fn with_rate_limit(mut self, limit: RateLimit) -> Self {
        self.rate_limit = Some(limit);
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

    /// Bounds the body of one answer (default 256 MiB, at least 1 byte). The employee list
    /// is the largest answer and is not paged: at about 530 bytes per employee, 100,000
    /// employees take about 53 MB. A larger answer is refused, not buffered, with
    /// [`ConnectorError::Decode`] naming the limit (not retried).
    pub fn with_max_response_bytes(mut self, bytes: usize) -> Self {
        self.max_response_bytes = bytes;
        self
    }

    /// Sets the clock that gives "today" in Japan and places the maintenance windows.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Replaces the brand's maintenance windows.
    pub fn with_maintenance_windows(mut self, windows: MaintenanceWindows) -> Self {
        self.brand = self.brand.with_maintenance_windows(windows);
        self
    }

    /// Declares a vendor error code that means "this employee code exists already" on create
    /// (call it again for more codes). The vendor publishes none, so by default only HTTP 409
    /// reads as [`ConnectorError::AlreadyExists`]; every other refusal, whatever its words,
    /// is [`ConnectorError::InvalidInput`] with the vendor's message and code. Either way
    /// `AlreadyExists` is a hint: the engine confirms it by reading the code back.
    pub fn with_duplicate_code_error(mut self, code: i64) -> Self {
        self.duplicate_codes.push(code);
        self
    }

    /// The brand being configured.
    pub fn brand(&self) -> &Brand {
        &self.brand
    }

    /// Builds the client.
    ///
    /// # Errors
    /// [`ConnectorError::InvalidConfig`] naming the brand when the token is missing or empty,
    /// the base URL is missing (for brands without a public one, with what to ask the vendor
    /// for) or not an absolute https URL (http only to loopback), or the HTTP client cannot
    /// be set up.
    pub fn build(self) -> Result<KotClient, ConnectorError> {
        let name = self.brand.name().to_owned();
        let invalid = |what: String| ConnectorError::invalid_config(format!("{name}: {what}"));
        let token = self
            .token
            .clone()
            .filter(|t| !t.expose().trim().is_empty())
            .ok_or_else(|| {
                invalid(format!(
                    "no API token set; issue one in the admin screens (an all-access \
                     administrator can) and pass it with with_token or {}",
                    self.brand.token_env_var()
                ))
            })?;
        if token.problem().is_some() {
            return Err(invalid(
                "the API token contains spaces or control characters".into(),
            ));
        }
        let raw = self
            .base_url
            .clone()
            .or_else(|| self.brand.default_base_url().map(str::to_owned))
            .ok_or_else(|| {
                invalid(format!(
                    "no API base URL set; ask the vendor ({name} support) for the API base URL \
                     and pass it with with_base_url or {}",
                    self.brand.base_url_env_var()
                ))
            })?;
        let base = parse_base_url(&raw).map_err(invalid)?;
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
        let client = KotClient::new(crate::http::Transport::new(TransportConfig {
            protocol: crate::http::KotProtocol {
                brand: self.brand,
                clock: self.clock,
                duplicate_codes: self.duplicate_codes,
            },
            http,
            base,
            token,
            retry: self.retry,
            max_concurrency: self.max_concurrency,
            rate_limit: self.rate_limit,
            max_response_bytes: self.max_response_bytes,
        }));
        Ok(client.with_field_rules(self.max_lengths, self.code_characters))
    }
}

impl fmt::Debug for KotClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KotClientBuilder")
            .field("brand", &self.brand)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("base_url", &self.base_url)
            .field("max_concurrency", &self.max_concurrency)
            .field("rate_limit", &self.rate_limit)
            .field("request_timeout", &self.request_timeout)
            .field("max_response_bytes", &self.max_response_bytes)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_shows_in_no_debug_output() {
        let builder = KotClientBuilder::new(Brand::king_of_time()).with_token("s3cr3t-token");
        assert!(!format!("{builder:?}").contains("s3cr3t-token"));
        assert!(!format!("{:?}", ApiToken::new("s3cr3t-token")).contains("s3cr3t"));
        let client = builder.build().unwrap();
        assert!(!format!("{client:?}").contains("s3cr3t-token"));
    }

    #[test]
    fn configuration_errors_name_the_brand_and_the_fix() {
        let brand = Brand::new("Touch On Time", "TOUCHONTIME");
        let error = KotClientBuilder::new(brand.clone())
            .with_token("t")
            .build()
            .unwrap_err()
            .to_string();
        assert!(error.contains("Touch On Time"), "{error}");
        assert!(error.contains("ask the vendor"), "{error}");
        assert!(error.contains("TOUCHONTIME_BASE_URL"), "{error}");
        let error = KotClientBuilder::new(brand)
            .with_token("   ")
            .with_base_url("https://example.invalid")
            .build()
            .unwrap_err()
            .to_string();
        assert!(error.contains("no API token"), "{error}");
        let error = KotClientBuilder::new(Brand::king_of_time())
            .with_token("a b")
            .build()
            .unwrap_err()
            .to_string();
        assert!(!error.contains("a b"), "{error}");
        let error = KotClientBuilder::new(Brand::king_of_time())
            .with_token("t")
            .with_max_concurrency(0)
            .build()
            .unwrap_err();
        assert!(matches!(error, ConnectorError::InvalidConfig { .. }));
    }
}
