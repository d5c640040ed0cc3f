//! The client builder: credentials, endpoint, and the hardening knobs, each with a
//! documented default.

use std::fmt;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use hris_sync_core::retry::RetryPolicy;
use hris_sync_core::{
    Clock, CodeCharacters, ConnectorError, Field, MaintenanceWindows, SystemClock,
};
use url::{Host, Url};

use crate::brand::Brand;
use crate::client::KotClient;

/// An API token. Its `Debug` prints a placeholder; it is sent in the `Authorization` header
/// (marked sensitive) and in the path of the token check, and nowhere else.
#[derive(Clone)]
pub(crate) struct ApiToken(String);

impl ApiToken {
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiToken(<redacted>)")
    }
}

/// A request-rate limit: at most `requests` per `per`, spaced evenly (no bursts).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests allowed per period.
    pub requests: NonZeroU32,
    /// The period.
    pub per: Duration,
}

impl RateLimit {
    /// At most `requests` requests per second (0 is read as 1).
    pub fn per_second(requests: u32) -> Self {
        Self {
            requests: NonZeroU32::new(requests).unwrap_or(NonZeroU32::MIN),
            per: Duration::from_secs(1),
        }
    }

    /// The interval between two requests.
    pub(crate) fn interval(&self) -> Duration {
        (self.per / self.requests.get()).max(Duration::from_nanos(1))
    }
}

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
            max_response_bytes: crate::http::DEFAULT_MAX_RESPONSE_BYTES,
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
        builder.token = token.map(ApiToken);
        builder.base_url = base_url;
        builder
    }

    /// Sets the API token (issued in the admin screens by an all-access administrator).
    pub fn with_token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(ApiToken(token.into()));
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
        if token.expose().chars().any(|c| c.is_control() || c == ' ') {
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
        // Redirects are not followed: the API never redirects, and following one could
        // re-send a create (R11), leave https for plain http, or carry the token check's
        // path elsewhere. A redirect is reported as an error naming the base URL instead.
        let http = reqwest::Client::builder()
            .connect_timeout(self.connect_timeout)
            .timeout(self.request_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|_| invalid("the HTTP client could not be set up".into()))?;
        let client = KotClient::new(crate::http::Transport::new(
            crate::http::TransportConfig {
                brand: self.brand,
                http,
                base,
                token,
                retry: self.retry,
                max_concurrency: self.max_concurrency,
                rate_limit: self.rate_limit,
                clock: self.clock,
                max_response_bytes: self.max_response_bytes,
            },
            self.duplicate_codes,
        ));
        Ok(client.with_field_rules(self.max_lengths, self.code_characters))
    }
}

/// An absolute https URL, or http to a loopback host.
fn parse_base_url(raw: &str) -> Result<Url, String> {
    let url = Url::parse(raw.trim()).map_err(|e| format!("the base URL is not a URL ({e})"))?;
    if !url.username().is_empty() || url.password().is_some() {
        // It would show in Debug output; the API authenticates by token only.
        return Err("the base URL must not carry a user name or password".into());
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("the base URL must not carry a query or a fragment".into());
    }
    let loopback = match url.host() {
        Some(Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => return Err("the base URL has no host".into()),
    };
    match url.scheme() {
        "https" => Ok(url),
        "http" if loopback => Ok(url),
        "http" => Err("plain http is refused except to loopback; use an https base URL".into()),
        other => Err(format!("the base URL must be https, not {other}")),
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
    fn accepts_https_and_loopback_http_only() {
        assert!(parse_base_url("https://api.kingtime.jp/v1.0").is_ok());
        assert!(parse_base_url("http://127.0.0.1:8080/v1.0").is_ok());
        assert!(parse_base_url("http://[::1]:8080/").is_ok());
        assert!(parse_base_url("http://localhost/").is_ok());
        assert!(parse_base_url("http://api.kingtime.jp/v1.0").is_err());
        assert!(parse_base_url("ftp://127.0.0.1/").is_err());
        assert!(parse_base_url("not a url").is_err());
        let with_password = parse_base_url("https://user:secret@api.kingtime.jp/v1.0");
        assert!(!with_password.unwrap_err().contains("secret"));
        assert!(parse_base_url("https://api.kingtime.jp/v1.0?x=1").is_err());
        assert!(parse_base_url("https://api.kingtime.jp/v1.0#top").is_err());
    }

    #[test]
    fn rate_limit_spacing() {
        assert_eq!(
            RateLimit::per_second(4).interval(),
            Duration::from_millis(250)
        );
        assert_eq!(RateLimit::per_second(0).requests.get(), 1);
    }

    #[test]
    fn the_token_shows_in_no_debug_output() {
        let builder = KotClientBuilder::new(Brand::king_of_time()).with_token("s3cr3t-token");
        assert!(!format!("{builder:?}").contains("s3cr3t-token"));
        assert!(!format!("{:?}", ApiToken("s3cr3t-token".into())).contains("s3cr3t"));
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
