//! Error classification: every HTTP status and SmartHR error body becomes one
//! [`ConnectorError`] here, and nowhere else. It branches on the status and the body's
//! numeric `code` only, never on the message (Japanese prose, shown to the administrator).
//!
//! The body: `{"code":N,"type":"…","message":"…","errors":[{"message","resource","field"}]|null}`.
//!
//! | answer | error |
//! |---|---|
//! | 429, or code 6 (too_many_requests) | [`ConnectorError::RateLimited`], waiting for `x-rate-limit-reset` |
//! | code 9 (service_maintenance, 503) | [`ConnectorError::MaintenanceWindow`] (end unknown) |
//! | other 5xx, or code 5 (internal_server_error) | [`ConnectorError::Unavailable`] |
//! | 401, or code 2 (unauthorized_token) | [`ConnectorError::Unauthenticated`] |
//! | code 7 (plan_limit_exceeded, 403) | [`ConnectorError::Vendor`]: the plan's employee cap, not retryable |
//! | other 403, or code 3 (forbidden) | [`ConnectorError::PermissionDenied`] |
//! | 404, or code 4 (not_found) | [`ConnectorError::NotFound`] |
//! | 408 | [`ConnectorError::Timeout`] |
//! | other 4xx, or code 1 (bad_request) | [`ConnectorError::InvalidInput`], the field named where the body names a synced one |
//! | 3xx (redirects are not followed) | [`ConnectorError::Vendor`] saying to check the base URL |
//! | anything else | [`ConnectorError::Decode`] |

use std::fmt;

use hris_sync_core::{ConnectorError, Field};
use hris_sync_http::Answer;
use serde::Deserialize;

use crate::protocol::reset_after;

/// SmartHR's error codes.
pub(crate) mod codes {
    /// bad_request (400).
    pub(crate) const BAD_REQUEST: i64 = 1;
    /// unauthorized_token (401).
    pub(crate) const UNAUTHORIZED: i64 = 2;
    /// forbidden (403).
    pub(crate) const FORBIDDEN: i64 = 3;
    /// not_found (404).
    pub(crate) const NOT_FOUND: i64 = 4;
    /// internal_server_error (500).
    pub(crate) const INTERNAL: i64 = 5;
    /// too_many_requests (429).
    pub(crate) const TOO_MANY_REQUESTS: i64 = 6;
    /// plan_limit_exceeded (403): the plan's employee cap.
    pub(crate) const PLAN_LIMIT: i64 = 7;
    /// service_maintenance (503).
    pub(crate) const MAINTENANCE: i64 = 9;
}

/// One item of `errors`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct WireErrorItem {
    message: Option<String>,
    resource: Option<String>,
    field: Option<String>,
}

/// The error body; every key optional, so a partial body is still read.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct WireErrorBody {
    code: Option<i64>,
    #[serde(rename = "type")]
    kind: Option<String>,
    message: Option<String>,
    errors: Option<Vec<Option<WireErrorItem>>>,
}

/// The source kept under a classified refusal: the status and what SmartHR said.
#[derive(Debug)]
pub(crate) struct VendorRefusal {
    status: u16,
    detail: String,
}

impl fmt::Display for VendorRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SmartHR: HTTP {}: {}", self.status, self.detail)
    }
}

impl std::error::Error for VendorRefusal {}

/// The synced field a SmartHR property name stands for.
pub(crate) fn field_of_property(property: &str) -> Option<Field> {
    Some(match property {
        "emp_code" => Field::Code,
        "last_name" => Field::LastName,
        "first_name" => Field::FirstName,
        "last_name_yomi" => Field::LastNameKana,
        "first_name_yomi" => Field::FirstNameKana,
        "gender" => Field::Gender,
        "birth_at" => Field::BirthDate,
        "entered_at" => Field::HireDate,
        "resigned_at" => Field::ResignationDate,
        "email" => Field::Email,
        _ => return None,
    })
}

/// Classifies a refused request (see the module table). `now_unix` reads a reset given as
/// a Unix time.
pub(crate) fn classify(operation: &str, now_unix: i64, answer: &Answer<'_>) -> ConnectorError {
    let status = answer.status;
    let body: Option<WireErrorBody> = serde_json::from_slice(answer.body).ok();
    let code = body.as_ref().and_then(|b| b.code);
    let items: Vec<WireErrorItem> = body
        .as_ref()
        .and_then(|b| b.errors.as_ref())
        .map(|list| {
            list.iter()
                .flatten()
                .map(|item| WireErrorItem {
                    message: item.message.clone(),
                    resource: item.resource.clone(),
                    field: item.field.clone(),
                })
                .collect()
        })
        .unwrap_or_default();
    let detail = describe(body.as_ref(), &items, answer.body.len());
    let message = format!("SmartHR: {operation}: {detail} (HTTP {status})");
    let source = || -> Option<hris_sync_core::BoxError> {
        Some(Box::new(VendorRefusal {
            status,
            detail: detail.clone(),
        }))
    };
    let is = |wanted: i64| code == Some(wanted);

    if status == 429 || is(codes::TOO_MANY_REQUESTS) {
        return ConnectorError::RateLimited {
            retry_after: reset_after(answer, now_unix),
            message,
            source: source(),
        };
    }
    if is(codes::MAINTENANCE) {
        return ConnectorError::MaintenanceWindow {
            ends_at: None,
            message,
        };
    }
    if status >= 500 || is(codes::INTERNAL) {
        return ConnectorError::Unavailable {
            message,
            retry_after: None,
            source: source(),
        };
    }
    if status == 401 || is(codes::UNAUTHORIZED) {
        return ConnectorError::Unauthenticated {
            message: format!(
                "{message}; check the access token (共通設定 > 外部システム連携) and the base URL"
            ),
            source: source(),
        };
    }
    if is(codes::PLAN_LIMIT) {
        return ConnectorError::Vendor {
            message: format!(
                "SmartHR: {operation}: the plan's employee limit is reached, so no more crews \
                 can be created; raise the plan's limit with SmartHR or remove crews that are \
                 not needed, then sync again (not retried) (HTTP {status}: {detail})"
            ),
            source: source(),
        };
    }
    if status == 403 || is(codes::FORBIDDEN) {
        return ConnectorError::PermissionDenied {
            message: format!(
                "{message}; give the token the rights listed in docs/smarthr.md (crews read and \
                 write, offices read)"
            ),
            source: source(),
        };
    }
    if status == 404 || is(codes::NOT_FOUND) {
        return ConnectorError::NotFound { message };
    }
    match status {
        408 => ConnectorError::Timeout {
            message,
            source: source(),
        },
        _ if (400..=499).contains(&status) || is(codes::BAD_REQUEST) => {
            ConnectorError::InvalidInput {
                field: items
                    .iter()
                    .filter_map(|item| item.field.as_deref())
                    .find_map(field_of_property),
                message,
                source: source(),
            }
        }
        300..=399 => ConnectorError::Vendor {
            message: format!(
                "SmartHR: {operation}: the server answered with a redirect (HTTP {status}), \
                 which the API never does; check the configured base URL"
            ),
            source: source(),
        },
        _ => ConnectorError::Decode {
            message,
            source: source(),
        },
    }
}

fn describe(body: Option<&WireErrorBody>, items: &[WireErrorItem], len: usize) -> String {
    let Some(body) = body else {
        return format!("{len} bytes not in the SmartHR error shape");
    };
    let mut parts = Vec::new();
    if let Some(message) = body.message.as_deref().filter(|m| !m.trim().is_empty()) {
        parts.push(message.to_owned());
    }
    for item in items {
        let place = [item.resource.as_deref(), item.field.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(".");
        match (place.is_empty(), item.message.as_deref()) {
            (false, Some(text)) => parts.push(format!("{place}: {text}")),
            (true, Some(text)) => parts.push(text.to_owned()),
            (false, None) => parts.push(place),
            (true, None) => {}
        }
    }
    let mut text = if parts.is_empty() {
        "no message".to_owned()
    } else {
        parts.join("; ")
    };
    match (body.code, body.kind.as_deref()) {
        (Some(code), Some(kind)) => text.push_str(&format!(" (code {code} {kind})")),
        (Some(code), None) => text.push_str(&format!(" (code {code})")),
        (None, Some(kind)) => text.push_str(&format!(" ({kind})")),
        (None, None) => {}
    }
    text
}

/// Why a body could not be read, without the body's content: serde's messages can quote
/// values (names, emails), and errors carry no personal data (SPEC S4).
#[derive(Debug)]
pub(crate) struct DecodeFailure {
    category: &'static str,
    line: usize,
    column: usize,
}

impl DecodeFailure {
    pub(crate) fn of(error: &serde_json::Error) -> Self {
        Self {
            category: match error.classify() {
                serde_json::error::Category::Io => "I/O",
                serde_json::error::Category::Syntax => "JSON syntax",
                serde_json::error::Category::Data => "unexpected data",
                serde_json::error::Category::Eof => "truncated JSON",
            },
            line: error.line(),
            column: error.column(),
        }
    }
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

/// A [`ConnectorError::Decode`] for `what` in `operation`, keeping the cause.
pub(crate) fn decode_error(operation: &str, what: &str, cause: DecodeFailure) -> ConnectorError {
    ConnectorError::Decode {
        message: format!("SmartHR: {operation}: {what}: {cause}"),
        source: Some(Box::new(cause)),
    }
}

#[cfg(test)]
mod tests {
    use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

    use super::*;

    const BAD_REQUEST: &str = include_str!("../tests/resources/error_bad_request.json");
    const UNAUTHORIZED: &str = include_str!("../tests/resources/error_unauthorized.json");
    const FORBIDDEN: &str = include_str!("../tests/resources/error_forbidden.json");
    const NOT_FOUND: &str = include_str!("../tests/resources/error_not_found.json");
    const INTERNAL: &str = include_str!("../tests/resources/error_internal.json");
    const TOO_MANY: &str = include_str!("../tests/resources/error_too_many_requests.json");
    const PLAN_LIMIT: &str = include_str!("../tests/resources/error_plan_limit.json");
    const MAINTENANCE: &str = include_str!("../tests/resources/error_maintenance.json");

    fn run(status: u16, body: &str) -> ConnectorError {
        run_with(status, body, &[])
    }

    fn run_with(status: u16, body: &str, headers: &[(&'static str, &str)]) -> ConnectorError {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.insert(
                HeaderName::from_static(name),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        classify(
            "create_employee",
            1_700_000_000,
            &Answer {
                status,
                headers: &map,
                body: body.as_bytes(),
            },
        )
    }

    #[test]
    fn classifies_every_documented_code() {
        type Check = fn(&ConnectorError) -> bool;
        let table: [(u16, &str, Check); 14] = [
            (400, BAD_REQUEST, |e| {
                matches!(
                    e,
                    ConnectorError::InvalidInput {
                        field: Some(Field::LastName),
                        ..
                    }
                )
            }),
            (401, UNAUTHORIZED, |e| {
                matches!(e, ConnectorError::Unauthenticated { .. })
            }),
            (403, FORBIDDEN, |e| {
                matches!(e, ConnectorError::PermissionDenied { .. })
            }),
            (404, NOT_FOUND, |e| {
                matches!(e, ConnectorError::NotFound { .. })
            }),
            (500, INTERNAL, |e| {
                matches!(e, ConnectorError::Unavailable { .. })
            }),
            (429, TOO_MANY, |e| {
                matches!(e, ConnectorError::RateLimited { .. })
            }),
            (
                403,
                PLAN_LIMIT,
                |e| matches!(e, ConnectorError::Vendor { message, .. } if message.contains("employee limit")),
            ),
            (503, MAINTENANCE, |e| {
                matches!(e, ConnectorError::MaintenanceWindow { ends_at: None, .. })
            }),
            // Status alone, whatever the body.
            (502, "<html>bad gateway</html>", |e| {
                matches!(e, ConnectorError::Unavailable { .. })
            }),
            (503, "", |e| matches!(e, ConnectorError::Unavailable { .. })),
            (401, "", |e| {
                matches!(e, ConnectorError::Unauthenticated { .. })
            }),
            (422, "{}", |e| {
                matches!(e, ConnectorError::InvalidInput { field: None, .. })
            }),
            (
                302,
                "",
                |e| matches!(e, ConnectorError::Vendor { message, .. } if message.contains("base URL")),
            ),
            (408, "", |e| matches!(e, ConnectorError::Timeout { .. })),
        ];
        for (status, body, check) in table {
            let error = run(status, body);
            assert!(
                check(&error),
                "HTTP {status} {body:?} classified as {error:?}"
            );
        }
    }

    #[test]
    fn only_transient_refusals_are_retryable() {
        assert!(run(429, TOO_MANY).is_retryable());
        assert!(run(500, INTERNAL).is_retryable());
        for (status, body) in [
            (400, BAD_REQUEST),
            (401, UNAUTHORIZED),
            (403, FORBIDDEN),
            (403, PLAN_LIMIT),
            (404, NOT_FOUND),
            (503, MAINTENANCE),
        ] {
            assert!(!run(status, body).is_retryable(), "{status} {body}");
            assert!(!run(status, body).may_have_been_applied(), "{status}");
        }
    }

    #[test]
    fn the_code_decides_not_the_message() {
        // The same words with another code, and a code with any words.
        let body =
            r#"{"code":7,"type":"plan_limit_exceeded","message":"権限がありません","errors":null}"#;
        assert!(matches!(run(403, body), ConnectorError::Vendor { .. }));
        let body = r#"{"code":3,"type":"forbidden","message":"上限に達しました","errors":null}"#;
        assert!(matches!(
            run(403, body),
            ConnectorError::PermissionDenied { .. }
        ));
    }

    #[test]
    fn a_429_waits_for_the_reset() {
        let error = run_with(429, TOO_MANY, &[("x-rate-limit-reset", "12")]);
        assert_eq!(
            error.retry_after(),
            Some(std::time::Duration::from_secs(12))
        );
        assert_eq!(run(429, TOO_MANY).retry_after(), None);
    }

    #[test]
    fn partial_and_null_error_items_are_read() {
        let body = r#"{"code":1,"errors":[null,{"field":"email"},{"message":"不正です"}]}"#;
        let error = run(400, body);
        assert!(
            matches!(&error, ConnectorError::InvalidInput { field: Some(Field::Email), message, .. } if message.contains("不正です")),
            "{error:?}"
        );
    }
}
