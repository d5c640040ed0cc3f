//! Retry policy (SPEC S1), written once for every connector: what is retried (the
//! [`ConnectorError::is_retryable`] classification) and how long to wait (exponential
//! backoff with jitter, honouring a capped `Retry-After`). Built on `backon`.
//!
//! A policy never decides to re-send a create: connectors call [`RetryPolicy::run`] with
//! [`Idempotency::NotIdempotent`] for creates, which retries only failures that prove the
//! write was not applied (rate limiting), and leaves lost responses to the engine's
//! re-read-by-code rule (R11).

use std::future::Future;
use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder, Retryable};

use crate::error::ConnectorError;

/// Whether a request may be repeated blindly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Idempotency {
    /// Reads, and writes that set absolute values (PUT): safe to repeat.
    Idempotent,
    /// Creates: repeated only when the failure proves nothing was applied.
    NotIdempotent,
}

/// How failed requests are retried.
///
/// Defaults: 4 retries, first wait 200 ms, doubling, at most 10 s per wait; full jitter; a
/// `Retry-After` of up to 60 s is honoured (longer ones are capped at 60 s).
///
/// ```
/// use std::time::Duration;
/// use hris_sync_core::retry::RetryPolicy;
/// let policy = RetryPolicy::default()
///     .with_max_retries(2)
///     .with_initial_backoff(Duration::from_millis(1));
/// assert_eq!(policy.max_retries(), 2);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct RetryPolicy {
    max_retries: usize,
    initial_backoff: Duration,
    max_backoff: Duration,
    multiplier: f32,
    jitter: bool,
    max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 4,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(10),
            multiplier: 2.0,
            jitter: true,
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// Never retry.
    pub fn never() -> Self {
        Self::default().with_max_retries(0)
    }

    /// Sets how many times a request is repeated after its first failure.
    pub fn with_max_retries(mut self, retries: usize) -> Self {
        self.max_retries = retries;
        self
    }

    /// Sets the first wait.
    pub fn with_initial_backoff(mut self, wait: Duration) -> Self {
        self.initial_backoff = wait;
        self
    }

    /// Sets the longest wait between two attempts.
    pub fn with_max_backoff(mut self, wait: Duration) -> Self {
        self.max_backoff = wait;
        self
    }

    /// Sets the factor each wait grows by (at least 1).
    pub fn with_multiplier(mut self, multiplier: f32) -> Self {
        self.multiplier = multiplier.max(1.0);
        self
    }

    /// Turns jitter on or off (on by default; off makes waits predictable in tests).
    pub fn with_jitter(mut self, jitter: bool) -> Self {
        self.jitter = jitter;
        self
    }

    /// Sets the longest `Retry-After` honoured; longer requests wait this long.
    pub fn with_max_retry_after(mut self, wait: Duration) -> Self {
        self.max_retry_after = wait;
        self
    }

    /// How many times a request is repeated at most.
    pub fn max_retries(&self) -> usize {
        self.max_retries
    }

    /// The waits between attempts, in order: at most [`max_retries`](Self::max_retries) of
    /// them, growing exponentially (with jitter when on). For callers that decide
    /// themselves when to try again, such as the engine re-sending a create after a read by
    /// code found it absent.
    ///
    /// ```
    /// use std::time::Duration;
    /// use hris_sync_core::retry::RetryPolicy;
    /// let policy = RetryPolicy::default()
    ///     .with_jitter(false)
    ///     .with_initial_backoff(Duration::from_millis(100))
    ///     .with_max_retries(3);
    /// let waits: Vec<u128> = policy.backoff().map(|wait| wait.as_millis()).collect();
    /// assert_eq!(waits, [100, 200, 400]);
    /// ```
    pub fn backoff(&self) -> impl Iterator<Item = Duration> + Send + 'static {
        self.builder().build()
    }

    fn builder(&self) -> ExponentialBuilder {
        let backoff = ExponentialBuilder::default()
            .with_min_delay(self.initial_backoff)
            .with_max_delay(self.max_backoff)
            .with_factor(self.multiplier)
            .with_max_times(self.max_retries);
        if self.jitter {
            backoff.with_jitter()
        } else {
            backoff
        }
    }

    /// Whether `error` is worth another attempt for a request of this idempotency.
    pub fn should_retry(&self, error: &ConnectorError, idempotency: Idempotency) -> bool {
        match idempotency {
            Idempotency::Idempotent => error.is_retryable(),
            Idempotency::NotIdempotent => matches!(error, ConnectorError::RateLimited { .. }),
        }
    }

    /// Runs `attempt` until it succeeds, fails for good, or the retries are spent. Each retry
    /// is logged at debug level with its attempt number, wait and the error's text — which is
    /// why a connector builds its errors without credentials or URLs carrying them (contract
    /// point 9 of [`EmployeeSystem`](crate::EmployeeSystem)). A `Retry-After` the error
    /// carries (429 or 503) replaces the computed wait, capped.
    ///
    /// # Errors
    /// The last attempt's error.
    pub async fn run<T, F, Fut>(
        &self,
        operation: &'static str,
        idempotency: Idempotency,
        attempt: F,
    ) -> Result<T, ConnectorError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, ConnectorError>>,
    {
        let mut attempt_number = 1_usize;
        attempt
            .retry(self.builder().build())
            .when(|error| self.should_retry(error, idempotency))
            .adjust(|error, wait| {
                // Past the last retry `wait` is None: stop, whatever Retry-After says.
                wait.map(|wait| match error.retry_after() {
                    Some(asked) => asked.min(self.max_retry_after),
                    None => wait,
                })
            })
            .notify(|error, wait| {
                attempt_number += 1;
                tracing::debug!(
                    operation,
                    attempt = attempt_number,
                    wait_ms = wait.as_millis() as u64,
                    error = %error,
                    "retrying"
                );
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    fn fast() -> RetryPolicy {
        RetryPolicy::default()
            .with_initial_backoff(Duration::from_millis(1))
            .with_max_backoff(Duration::from_millis(2))
            .with_jitter(false)
            .with_max_retry_after(Duration::from_millis(5))
    }

    fn unavailable() -> ConnectorError {
        ConnectorError::Unavailable {
            message: "503".into(),
            retry_after: None,
            source: None,
        }
    }

    async fn count_attempts(
        policy: &RetryPolicy,
        idempotency: Idempotency,
        failures: usize,
        error: fn() -> ConnectorError,
    ) -> (usize, Result<(), ConnectorError>) {
        let attempts = AtomicUsize::new(0);
        let result = policy
            .run("test", idempotency, || async {
                if attempts.fetch_add(1, Ordering::SeqCst) < failures {
                    Err(error())
                } else {
                    Ok(())
                }
            })
            .await;
        (attempts.load(Ordering::SeqCst), result)
    }

    #[tokio::test]
    async fn s1_retries_transient_failures_then_succeeds() {
        let (attempts, result) =
            count_attempts(&fast(), Idempotency::Idempotent, 2, unavailable).await;
        assert!(result.is_ok());
        assert_eq!(attempts, 3);
    }

    #[tokio::test]
    async fn s1_gives_up_after_max_retries_with_the_last_error() {
        let policy = fast().with_max_retries(2);
        let (attempts, result) =
            count_attempts(&policy, Idempotency::Idempotent, 10, unavailable).await;
        assert_eq!(attempts, 3);
        assert!(matches!(result, Err(ConnectorError::Unavailable { .. })));
    }

    #[tokio::test]
    async fn s1_never_retries_invalid_input() {
        let (attempts, result) = count_attempts(&fast(), Idempotency::Idempotent, 10, || {
            ConnectorError::invalid_input(None, "bad")
        })
        .await;
        assert_eq!(attempts, 1);
        assert!(matches!(result, Err(ConnectorError::InvalidInput { .. })));
    }

    #[tokio::test]
    async fn r11_a_create_is_not_retried_after_a_lost_response() {
        let (attempts, _) =
            count_attempts(&fast(), Idempotency::NotIdempotent, 10, unavailable).await;
        assert_eq!(attempts, 1);
    }

    #[tokio::test]
    async fn s1_a_create_is_retried_when_rate_limited() {
        let (attempts, result) = count_attempts(&fast(), Idempotency::NotIdempotent, 2, || {
            ConnectorError::RateLimited {
                retry_after: Some(Duration::from_secs(3600)),
                message: "Too Many Requests".into(),
                source: None,
            }
        })
        .await;
        // The hour-long Retry-After is capped at 5 ms by the policy, so this finishes.
        assert!(result.is_ok());
        assert_eq!(attempts, 3);
    }
}
