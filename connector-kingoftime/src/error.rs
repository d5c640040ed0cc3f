//! Error classification: every HTTP status and KOT error body becomes one
//! [`ConnectorError`] here, and nowhere else.
//!
//! | answer | error |
//! |---|---|
//! | body `{"code":"303","message":"Too Many Requests"}` (any status) or HTTP 429 | [`ConnectorError::RateLimited`], `Retry-After` (seconds or HTTP-date) parsed |
//! | 5xx (e.g. 500 + code 300) | [`ConnectorError::Unavailable`] |
//! | 403 + code 104 (restricted hours) | [`ConnectorError::MaintenanceWindow`], ending at the end of the brand's current window (unknown outside the windows) |
//! | 403 + code 105 (address not on the allow-list) or 403 + code 100 | [`ConnectorError::PermissionDenied`], telling the administrator to check the token's rights and the IP allow-list |
//! | code 100 with another status, when its message speaks of rights (権限, permission) | [`ConnectorError::PermissionDenied`] |
//! | code 100 with another status otherwise, or 401 | [`ConnectorError::Unauthenticated`] |
//! | other 403 | [`ConnectorError::PermissionDenied`] |
//! | 404 | [`ConnectorError::NotFound`] |
//! | 408 | [`ConnectorError::Timeout`] |
//! | other 4xx | [`ConnectorError::InvalidInput`] with the vendor's message (or, for a body not in the KOT shape, its size) |
//! | 3xx (redirects are not followed) | [`ConnectorError::Vendor`] saying to check the base URL |
//! | any other status, e.g. 1xx | [`ConnectorError::Decode`] |
//!
//! A 4xx is a refusal whatever its body: the request was read and not applied, so it is never
//! [`ConnectorError::may_have_been_applied`] (a proxy's HTML error page included). Only an
//! unreadable *success* body is a [`ConnectorError::Decode`] (see `decode`).
//!
//! 403 + code 100 covers a bad token, an address not allowed and a token without the right
//! for the item, and the vendor does not tell them apart; 403 + code 105 is reported from the
//! field for calls from an address missing from the company's IP allow-list (typical of
//! cloud hosts whose outgoing address changes). Both are answered the same way: a
//! non-retryable `PermissionDenied` whose message tells the administrator where to look
//! (the token's rights and the allowed addresses in the brand's settings). With another
//! status, code 100's message is the only hint: one about rights becomes `PermissionDenied`
//! and everything else `Unauthenticated`. None of them is retried.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};
use hris_sync_core::ConnectorError;
use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::brand::Brand;

/// The vendor's code for "too many requests" (sent as a string).
const RATE_LIMITED: i64 = 303;
/// The vendor's code for "authentication failed".
const AUTHENTICATION_FAILED: i64 = 100;
/// The vendor's code for "inside the restricted hours".
const RESTRICTED_HOURS: i64 = 104;
/// The code reported from the field for "the address is not on the IP allow-list".
const ADDRESS_NOT_ALLOWED: i64 = 105;

/// A code in an error body: a number in the `errors` shape, a string in the 303 shape.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum WireCode {
    Number(i64),
    Text(String),
}

impl WireCode {
    fn value(&self) -> Option<i64> {
        match self {
            WireCode::Number(code) => Some(*code),
            WireCode::Text(code) => code.trim().parse().ok(),
        }
    }
}

#[derive(Debug, Deserialize)]
struct WireError {
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    code: Option<WireCode>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum WireErrorBody {
    List { errors: Vec<WireError> },
    Single(WireError),
}

/// A KOT error body, read.
#[derive(Debug, Default)]
pub(crate) struct VendorErrors {
    codes: Vec<i64>,
    messages: Vec<String>,
}

impl VendorErrors {
    /// Reads an error body; `None` when it is not one of the two documented shapes.
    pub(crate) fn parse(body: &[u8]) -> Option<Self> {
        let errors = match serde_json::from_slice::<WireErrorBody>(body).ok()? {
            WireErrorBody::List { errors } => errors,
            WireErrorBody::Single(error) if error.code.is_some() => vec![error],
            WireErrorBody::Single(_) => return None,
        };
        Some(Self {
            codes: errors
                .iter()
                .filter_map(|e| e.code.as_ref()?.value())
                .collect(),
            messages: errors.into_iter().filter_map(|e| e.message).collect(),
        })
    }

    pub(crate) fn has_code(&self, code: i64) -> bool {
        self.codes.contains(&code)
    }

    pub(crate) fn message(&self) -> String {
        self.messages.join("; ")
    }

    fn describe(&self) -> String {
        let codes = self
            .codes
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        match (self.messages.is_empty(), codes.is_empty()) {
            (true, true) => "no message".to_owned(),
            (true, false) => format!("code {codes}"),
            (false, true) => self.message(),
            (false, false) => format!("{} (code {codes})", self.message()),
        }
    }
}

/// True when a body is the rate-limit shape, whatever the status it came with.
pub(crate) fn is_rate_limit_body(body: &[u8]) -> bool {
    VendorErrors::parse(body).is_some_and(|errors| errors.has_code(RATE_LIMITED))
}

/// The source kept under a classified vendor refusal: the status and what the vendor said.
#[derive(Debug)]
pub(crate) struct VendorRefusal {
    brand: String,
    pub(crate) status: u16,
    pub(crate) codes: Vec<i64>,
    detail: String,
}

impl fmt::Display for VendorRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: HTTP {}: {}", self.brand, self.status, self.detail)
    }
}

impl std::error::Error for VendorRefusal {}

/// One HTTP answer that was not a success, as the send function hands it over.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Answer<'a> {
    /// The HTTP status.
    pub(crate) status: u16,
    /// The `Retry-After` header, if any.
    pub(crate) retry_after: Option<&'a str>,
    /// The body.
    pub(crate) body: &'a [u8],
}

/// Classifies a refused request (see the module table). `now` places the restricted hours.
pub(crate) fn classify(
    brand: &Brand,
    operation: &str,
    now: DateTime<Utc>,
    answer: Answer<'_>,
) -> ConnectorError {
    let vendor = VendorErrors::parse(answer.body);
    let status = answer.status;
    let detail = vendor
        .as_ref()
        .map(VendorErrors::describe)
        .unwrap_or_else(|| format!("{} bytes not in the KOT error shape", answer.body.len()));
    let message = format!("{}: {operation}: {detail} (HTTP {status})", brand.name());
    let source = || -> Option<hris_sync_core::BoxError> {
        Some(Box::new(VendorRefusal {
            brand: brand.name().to_owned(),
            status,
            codes: vendor.as_ref().map(|v| v.codes.clone()).unwrap_or_default(),
            detail: detail.clone(),
        }))
    };
    let has = |code| vendor.as_ref().is_some_and(|v| v.has_code(code));

    if status == 429 || has(RATE_LIMITED) {
        return ConnectorError::RateLimited {
            retry_after: answer.retry_after.and_then(|v| parse_retry_after(v, now)),
            message,
            source: source(),
        };
    }
    if status >= 500 {
        return ConnectorError::Unavailable {
            message,
            retry_after: answer.retry_after.and_then(|v| parse_retry_after(v, now)),
            source: source(),
        };
    }
    if has(RESTRICTED_HOURS) {
        return ConnectorError::MaintenanceWindow {
            ends_at: brand.maintenance_windows().active_at(now),
            message,
        };
    }
    if status == 403 && (has(ADDRESS_NOT_ALLOWED) || has(AUTHENTICATION_FAILED)) {
        let what = if has(ADDRESS_NOT_ALLOWED) {
            "the request probably came from an address that is not on the IP allow-list"
        } else {
            "the API token was refused (wrong, without the right for this item, or used \
             from an address that is not allowed)"
        };
        return ConnectorError::PermissionDenied {
            message: format!(
                "{message}: {what}; check the API token's permissions and the IP allow-list \
                 (allowed IP addresses) in {}'s settings",
                brand.name()
            ),
            source: source(),
        };
    }
    if has(AUTHENTICATION_FAILED) || status == 401 {
        let lowered = detail.to_lowercase();
        return if lowered.contains("権限") || lowered.contains("permission") {
            ConnectorError::PermissionDenied {
                message,
                source: source(),
            }
        } else {
            ConnectorError::Unauthenticated {
                message,
                source: source(),
            }
        };
    }
    match status {
        403 => ConnectorError::PermissionDenied {
            message,
            source: source(),
        },
        404 => ConnectorError::NotFound { message },
        408 => ConnectorError::Timeout {
            message,
            source: source(),
        },
        400..=499 => ConnectorError::InvalidInput {
            field: None,
            message,
            source: source(),
        },
        300..=399 => ConnectorError::Vendor {
            message: format!(
                "{}: {operation}: the server answered with a redirect (HTTP {status}), which \
                 the API never does; check the configured base URL",
                brand.name()
            ),
            source: source(),
        },
        _ => ConnectorError::Decode {
            message,
            source: source(),
        },
    }
}

/// Reads `Retry-After`: delay seconds, or an HTTP-date (a date in the past means "now").
pub(crate) fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = DateTime::parse_from_rfc2822(value).ok()?;
    Some(
        (at.with_timezone(&Utc) - now)
            .to_std()
            .unwrap_or(Duration::ZERO),
    )
}

/// Why a body could not be read, without the body's content: serde's messages can quote the
/// values (names, emails), and errors carry no personal data (SPEC S4).
#[derive(Debug)]
struct DecodeFailure {
    category: &'static str,
    line: usize,
    column: usize,
}

impl fmt::Display for DecodeFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} error at line {} column {}",
            self.category, self.line, self.column
        )
    }
}

impl std::error::Error for DecodeFailure {}

/// Decodes a success body, or a [`ConnectorError::Decode`] naming the brand and operation.
pub(crate) fn decode<T: DeserializeOwned>(
    brand: &Brand,
    operation: &str,
    body: &[u8],
) -> Result<T, ConnectorError> {
    serde_json::from_slice(body).map_err(|error| {
        let failure = DecodeFailure {
            category: match error.classify() {
                serde_json::error::Category::Io => "I/O",
                serde_json::error::Category::Syntax => "JSON syntax",
                serde_json::error::Category::Data => "unexpected data",
                serde_json::error::Category::Eof => "truncated JSON",
            },
            line: error.line(),
            column: error.column(),
        };
        ConnectorError::Decode {
            message: format!("{}: {operation}: {failure}", brand.name()),
            source: Some(Box::new(failure)),
        }
    })
}

/// A failure to read a value inside a decoded body (a malformed date, say).
pub(crate) fn bad_value(brand: &Brand, operation: &str, what: &str) -> ConnectorError {
    ConnectorError::decode(format!("{}: {operation}: {what}", brand.name()))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use hris_sync_core::japan;

    use super::*;

    const RESTRICTED: &str = include_str!("../tests/resources/error_restricted_hours.json");
    const AUTH: &str = include_str!("../tests/resources/error_authentication.json");
    const PERMISSION: &str = include_str!("../tests/resources/error_permission.json");
    const ADDRESS: &str = include_str!("../tests/resources/error_address_not_allowed.json");
    const TOO_MANY: &str = include_str!("../tests/resources/error_too_many_requests.json");
    const SERVER: &str = include_str!("../tests/resources/error_server.json");
    const VALIDATION: &str = include_str!("../tests/resources/error_validation.json");

    /// 09:00 Japan time, inside the morning window.
    fn at_nine() -> DateTime<Utc> {
        japan()
            .with_ymd_and_hms(2024, 4, 1, 9, 0, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn run(status: u16, retry_after: Option<&str>, body: &str) -> ConnectorError {
        let answer = Answer {
            status,
            retry_after,
            body: body.as_bytes(),
        };
        classify(&Brand::king_of_time(), "list", at_nine(), answer)
    }

    #[test]
    fn classifies_the_documented_bodies() {
        type Check = fn(&ConnectorError) -> bool;
        let table: [(u16, &str, Check); 18] = [
            (403, RESTRICTED, |e| {
                matches!(e, ConnectorError::MaintenanceWindow { ends_at: Some(end), .. }
                    if *end == japan().with_ymd_and_hms(2024, 4, 1, 10, 0, 0).unwrap())
            }),
            (403, AUTH, |e| {
                matches!(e, ConnectorError::PermissionDenied { message, .. }
                    if message.contains("token was refused") && message.contains("allow-list"))
            }),
            (403, ADDRESS, |e| {
                matches!(e, ConnectorError::PermissionDenied { message, .. }
                    if message.contains("not on the IP allow-list")
                        && message.contains("API token's permissions")
                        && message.contains("in KING OF TIME's settings"))
            }),
            // Code 100 with another status keeps reading the message.
            (400, AUTH, |e| {
                matches!(e, ConnectorError::Unauthenticated { .. })
            }),
            (400, PERMISSION, |e| {
                matches!(e, ConnectorError::PermissionDenied { .. })
            }),
            (403, PERMISSION, |e| {
                matches!(e, ConnectorError::PermissionDenied { .. })
            }),
            (401, "", |e| {
                matches!(e, ConnectorError::Unauthenticated { .. })
            }),
            (429, TOO_MANY, |e| {
                matches!(e, ConnectorError::RateLimited { .. })
            }),
            (403, TOO_MANY, |e| {
                matches!(e, ConnectorError::RateLimited { .. })
            }),
            (200, TOO_MANY, |e| {
                matches!(e, ConnectorError::RateLimited { .. })
            }),
            (500, SERVER, |e| {
                matches!(e, ConnectorError::Unavailable { .. })
            }),
            (502, "<html>bad gateway</html>", |e| {
                matches!(e, ConnectorError::Unavailable { .. })
            }),
            (404, VALIDATION, |e| {
                matches!(e, ConnectorError::NotFound { .. })
            }),
            (400, VALIDATION, |e| {
                matches!(e, ConnectorError::InvalidInput { message, .. }
                    if message.contains("divisionCode は必須です") && message.contains("KING OF TIME"))
            }),
            // A proxy's error page is still a refusal, not a lost answer.
            (400, "<html>not json</html>", |e| {
                matches!(e, ConnectorError::InvalidInput { .. }) && !e.may_have_been_applied()
            }),
            (413, "", |e| {
                matches!(e, ConnectorError::InvalidInput { .. })
            }),
            (
                301,
                "",
                |e| matches!(e, ConnectorError::Vendor { message, .. } if message.contains("base URL")),
            ),
            (403, "", |e| {
                matches!(e, ConnectorError::PermissionDenied { .. })
            }),
        ];
        for (status, body, check) in table {
            let error = run(status, None, body);
            assert!(
                check(&error),
                "HTTP {status} {body:?} classified as {error:?}"
            );
            // RateLimited's own message has no room for text: the brand is in its source.
            let chain = format!(
                "{error} / {}",
                std::error::Error::source(&error)
                    .map(|s| s.to_string())
                    .unwrap_or_default()
            );
            assert!(chain.contains("KING OF TIME"), "brand missing: {chain}");
        }
    }

    #[test]
    fn only_transient_refusals_are_retryable() {
        assert!(run(429, None, "").is_retryable());
        assert!(run(503, None, SERVER).is_retryable());
        for status in [400, 401, 403, 404] {
            assert!(!run(status, None, VALIDATION).is_retryable(), "{status}");
        }
        assert!(!run(403, None, RESTRICTED).is_retryable());
        assert!(!run(403, None, ADDRESS).is_retryable());
        assert!(!run(403, None, AUTH).is_retryable());
    }

    #[test]
    fn restricted_hours_outside_the_known_windows_have_no_end() {
        let noon = japan()
            .with_ymd_and_hms(2024, 4, 1, 12, 0, 0)
            .unwrap()
            .with_timezone(&Utc);
        let answer = Answer {
            status: 403,
            retry_after: None,
            body: RESTRICTED.as_bytes(),
        };
        let error = classify(&Brand::king_of_time(), "list", noon, answer);
        assert!(matches!(
            error,
            ConnectorError::MaintenanceWindow { ends_at: None, .. }
        ));
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = at_nine();
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        let later = (now + chrono::Duration::seconds(30)).to_rfc2822();
        assert_eq!(
            parse_retry_after(&later, now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Mon, 01 Jan 2001 00:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        let error = run(429, Some("7"), TOO_MANY);
        assert_eq!(error.retry_after(), Some(Duration::from_secs(7)));
        // The 303 body with another status carries the header too, in either form.
        let error = run(403, Some(&later), TOO_MANY);
        assert_eq!(error.retry_after(), Some(Duration::from_secs(30)));
        assert_eq!(run(429, Some("soon"), TOO_MANY).retry_after(), None);
    }

    #[test]
    fn the_vendor_refusal_is_kept_as_source() {
        let error = run(400, None, VALIDATION);
        let source = std::error::Error::source(&error).expect("a source");
        assert!(source.to_string().contains("HTTP 400"));
    }

    #[test]
    fn decode_errors_do_not_quote_the_body() {
        let body = r#"[{"code":1,"lastName":"山田"}]"#.as_bytes();
        let error = decode::<Vec<std::collections::BTreeMap<String, u32>>>(
            &Brand::king_of_time(),
            "list",
            body,
        )
        .unwrap_err();
        assert!(matches!(error, ConnectorError::Decode { .. }));
        assert!(!error.to_string().contains("山田"), "{error}");
        assert!(error.to_string().contains("KING OF TIME"));
    }
}
