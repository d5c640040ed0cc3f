//! The KOT family's [`Protocol`] for the shared transport (`hris-sync-http`): how an answer
//! is classified (`crate::error::classify`), the rate-limit body that may come with a 2xx,
//! and the `kot_request` span of each attempt. Retries, rate limiting, the body bound and
//! redaction are the shared transport's.

use std::fmt;
use std::sync::Arc;

use hris_sync_core::{Clock, ConnectorError};
use hris_sync_http::{Answer, Call, Protocol};
use reqwest::header::RETRY_AFTER;

use crate::brand::Brand;
use crate::error::{classify, is_rate_limit_body};

pub(crate) use hris_sync_http::Reply;

/// The transport of a KOT-family client.
pub(crate) type Transport = hris_sync_http::Transport<KotProtocol>;

/// The KOT-family protocol: the brand, the clock that places its restricted hours, and the
/// vendor codes declared to mean "this employee code is taken".
pub(crate) struct KotProtocol {
    pub(crate) brand: Brand,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) duplicate_codes: Vec<i64>,
}

impl fmt::Debug for KotProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KotProtocol")
            .field("brand", &self.brand.name())
            .field("duplicate_codes", &self.duplicate_codes)
            .finish_non_exhaustive()
    }
}

impl Protocol for KotProtocol {
    fn name(&self) -> &str {
        self.brand.name()
    }

    fn span(&self, call: &Call<'_>, attempt: usize) -> tracing::Span {
        tracing::info_span!(
            "kot_request",
            vendor = %self.brand.name(),
            operation = call.operation,
            method = %call.method,
            attempt,
            status = tracing::field::Empty,
        )
    }

    /// A 2xx carrying the rate-limit body is a refusal.
    fn is_success(&self, answer: &Answer<'_>) -> bool {
        (200..300).contains(&answer.status) && !is_rate_limit_body(answer.body)
    }

    fn classify(&self, operation: &str, answer: &Answer<'_>) -> ConnectorError {
        let answer = crate::error::Answer {
            status: answer.status,
            retry_after: answer.header(RETRY_AFTER.as_str()),
            body: answer.body,
        };
        classify(&self.brand, operation, self.clock.now(), answer)
    }
}
