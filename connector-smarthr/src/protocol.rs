//! SmartHR's [`Protocol`] for the shared transport: the `smarthr_request` span, the one
//! classification function (`crate::error::classify`), and the rate-limit headers.
//!
//! Every answer carries `x-rate-limit-limit`, `x-rate-limit-remaining` and
//! `x-rate-limit-reset` (seconds until the budget resets), and a second family
//! `x-intensive-rate-limit-*` for costly calls. SmartHR documents no `Retry-After`, so:
//!
//! - a 429 holds every request until the later reset of the two families (capped);
//! - when `remaining` of either family falls to the pacing threshold, every request waits
//!   for that family's reset (capped), instead of running into a 429.
//!
//! A reset larger than 10⁹ is read as a Unix time rather than a number of seconds: the
//! documentation says seconds, and a server that sends the other form is still honoured.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use hris_sync_core::{Clock, ConnectorError};
use hris_sync_http::{Answer, Call, Protocol};

use crate::error::classify;

/// The rate-limit header families, by prefix.
const FAMILIES: [&str; 2] = ["x-rate-limit", "x-intensive-rate-limit"];

/// How the client paces itself on the server's rate-limit headers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Pacing {
    /// Wait for the reset once `remaining` is at or below this.
    pub(crate) pace_below: u64,
    /// The longest wait for a reset.
    pub(crate) max_wait: Duration,
}

impl Default for Pacing {
    fn default() -> Self {
        Self {
            pace_below: 2,
            max_wait: Duration::from_secs(60),
        }
    }
}

/// The SmartHR protocol.
pub(crate) struct SmartHrProtocol {
    pacing: Pacing,
    clock: Arc<dyn Clock>,
}

impl SmartHrProtocol {
    pub(crate) fn new(pacing: Pacing, clock: Arc<dyn Clock>) -> Self {
        Self { pacing, clock }
    }
}

impl fmt::Debug for SmartHrProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmartHrProtocol")
            .field("pacing", &self.pacing)
            .finish_non_exhaustive()
    }
}

/// The time until one family's reset, if the answer says it.
fn reset_of(answer: &Answer<'_>, family: &str, now_unix: i64) -> Option<Duration> {
    let raw: u64 = answer
        .header(&format!("{family}-reset"))?
        .trim()
        .parse()
        .ok()?;
    if raw > 1_000_000_000 {
        let seconds = i64::try_from(raw).ok()? - now_unix;
        Some(Duration::from_secs(seconds.max(0) as u64))
    } else {
        Some(Duration::from_secs(raw))
    }
}

fn remaining_of(answer: &Answer<'_>, family: &str) -> Option<u64> {
    answer
        .header(&format!("{family}-remaining"))?
        .trim()
        .parse()
        .ok()
}

/// The wait a 429 asks for: the later reset of the two families (uncapped; the retry
/// policy and the pacing cap it).
pub(crate) fn reset_after(answer: &Answer<'_>, now_unix: i64) -> Option<Duration> {
    FAMILIES
        .iter()
        .filter_map(|family| reset_of(answer, family, now_unix))
        .max()
}

impl Protocol for SmartHrProtocol {
    fn name(&self) -> &str {
        "SmartHR"
    }

    fn span(&self, call: &Call<'_>, attempt: usize) -> tracing::Span {
        tracing::info_span!(
            "smarthr_request",
            vendor = "SmartHR",
            operation = call.operation,
            method = %call.method,
            attempt,
            status = tracing::field::Empty,
        )
    }

    fn classify(&self, operation: &str, answer: &Answer<'_>) -> ConnectorError {
        classify(operation, self.clock.now().timestamp(), answer)
    }

    fn pace(&self, answer: &Answer<'_>) -> Option<Duration> {
        let now = self.clock.now().timestamp();
        let wait = if answer.status == 429 {
            reset_after(answer, now)
        } else {
            FAMILIES
                .iter()
                .filter(|family| {
                    remaining_of(answer, family).is_some_and(|left| left <= self.pacing.pace_below)
                })
                .filter_map(|family| reset_of(answer, family, now))
                .max()
        }?;
        Some(wait.min(self.pacing.max_wait))
    }
}

#[cfg(test)]
mod tests {
    use hris_sync_core::FixedClock;
    use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(
                HeaderName::from_static(name),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        map
    }

    fn pace(status: u16, pairs: &[(&'static str, &str)]) -> Option<Duration> {
        let clock = Arc::new(FixedClock::at_japan_time(2024, 4, 1, 12, 0));
        let protocol = SmartHrProtocol::new(Pacing::default(), clock);
        let map = headers(pairs);
        protocol.pace(&Answer {
            status,
            headers: &map,
            body: b"",
        })
    }

    #[test]
    fn paces_when_the_budget_runs_low_or_is_spent() {
        let secs = Duration::from_secs;
        assert_eq!(
            pace(
                200,
                &[
                    ("x-rate-limit-remaining", "50"),
                    ("x-rate-limit-reset", "9")
                ]
            ),
            None
        );
        assert_eq!(
            pace(
                200,
                &[("x-rate-limit-remaining", "2"), ("x-rate-limit-reset", "9")]
            ),
            Some(secs(9))
        );
        // The intensive family counts too, and the later reset wins on a 429.
        assert_eq!(
            pace(
                429,
                &[
                    ("x-rate-limit-remaining", "0"),
                    ("x-rate-limit-reset", "3"),
                    ("x-intensive-rate-limit-reset", "7"),
                ]
            ),
            Some(secs(7))
        );
        // Capped at a minute.
        assert_eq!(pace(429, &[("x-rate-limit-reset", "3600")]), Some(secs(60)));
        // A Unix time is read as one.
        let clock = FixedClock::at_japan_time(2024, 4, 1, 12, 0);
        let at = (clock.now().timestamp() + 5).to_string();
        assert_eq!(
            pace(429, &[("x-rate-limit-reset", at.as_str())]),
            Some(secs(5))
        );
        // No headers, no pacing: the retry policy's backoff applies.
        assert_eq!(pace(429, &[]), None);
        assert_eq!(pace(200, &[("x-rate-limit-remaining", "0")]), None);
    }
}
