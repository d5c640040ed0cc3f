//! What every HTTP connector's builder checks the same way: the token, the base URL, the
//! request-rate limit, the HTTP client's settings.

use std::fmt;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use url::{Host, Url};

/// An API token. Its `Debug` prints a placeholder; the transport sends it only in the
/// `Authorization` header, marked sensitive.
#[derive(Clone)]
pub struct ApiToken(String);

impl ApiToken {
    /// Wraps a token.
    pub fn new(token: impl Into<String>) -> Self {
        Self(token.into())
    }

    /// The token itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Why the token cannot be used, if it cannot: empty (or blank), or holding spaces or
    /// control characters (it would not be valid header text).
    pub fn problem(&self) -> Option<&'static str> {
        if self.0.trim().is_empty() {
            Some("the API token is empty")
        } else if self.0.chars().any(|c| c.is_control() || c == ' ') {
            Some("the API token contains spaces or control characters")
        } else {
            None
        }
    }
}

impl fmt::Debug for ApiToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiToken(<redacted>)")
    }
}

/// A request-rate limit: at most `requests` per `per`, spaced evenly (no bursts).
///
/// ```
/// use std::time::Duration;
/// use hris_sync_http::RateLimit;
/// assert_eq!(RateLimit::per_second(4).interval(), Duration::from_millis(250));
/// assert_eq!(RateLimit::per_second(0).requests.get(), 1);
/// ```
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
    pub fn interval(&self) -> Duration {
        (self.per / self.requests.get()).max(Duration::from_nanos(1))
    }
}

/// Parses a base URL: absolute https, or http to a loopback host (tests, emulators); no
/// user name or password (it would show in `Debug` output), no query, no fragment.
///
/// # Errors
/// What is wrong, in words for the administrator (never quoting a password).
pub fn parse_base_url(raw: &str) -> Result<Url, String> {
    let url = Url::parse(raw.trim()).map_err(|e| format!("the base URL is not a URL ({e})"))?;
    if !url.username().is_empty() || url.password().is_some() {
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

/// The HTTP client every connector uses: the given timeouts, and redirects never followed
/// (the APIs never redirect, and following one could re-send a create, leave https for
/// plain http, or carry the token elsewhere; a redirect is classified as an error instead).
///
/// # Errors
/// A short reason when the TLS backend cannot be set up.
pub fn build_http_client(
    connect_timeout: Duration,
    request_timeout: Duration,
) -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .connect_timeout(connect_timeout)
        .timeout(request_timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|_| "the HTTP client could not be set up".to_owned())
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
    fn tokens_are_checked_and_redacted() {
        assert!(ApiToken::new("").problem().is_some());
        assert!(ApiToken::new("  ").problem().is_some());
        assert!(ApiToken::new("a b").problem().is_some());
        assert!(ApiToken::new("a\nb").problem().is_some());
        assert!(ApiToken::new("s3cr3t").problem().is_none());
        assert!(!format!("{:?}", ApiToken::new("s3cr3t")).contains("s3cr3t"));
    }
}
