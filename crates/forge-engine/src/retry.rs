//! Retries with exponential backoff and full jitter for errors a provider
//! classes as retryable (throttling, transient failures).

use crate::provider::ProviderError;
use rand::Rng;
use std::future::Future;
use std::time::Duration;

/// How retryable provider errors are retried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in total, including the first (at least 1).
    pub max_attempts: u32,
    /// The backoff ceiling of the first retry; doubled on each further one.
    pub base_delay: Duration,
    /// The largest backoff ceiling.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 8,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(20),
        }
    }
}

impl RetryPolicy {
    /// No retries.
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// The delay before retry number `attempt` (1-based): uniformly random
    /// in `[0, min(max, base * 2^(attempt-1))]` ("full jitter", so a herd of
    /// throttled callers spreads out).
    pub fn delay(&self, attempt: u32) -> Duration {
        let ceiling = self
            .base_delay
            .saturating_mul(
                1u32.checked_shl(attempt.saturating_sub(1))
                    .unwrap_or(u32::MAX),
            )
            .min(self.max_delay);
        let ms = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(rand::rng().random_range(0..=ms))
    }
}

/// Runs `op` until it succeeds, fails with a non-retryable error, or the
/// attempts run out. `on_retry(attempt, error, delay)` is told before each
/// backoff sleep.
pub async fn with_retry<T, F, Fut>(
    policy: &RetryPolicy,
    mut op: F,
    mut on_retry: impl FnMut(u32, &ProviderError, Duration),
) -> Result<T, ProviderError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ProviderError>>,
{
    let mut attempt = 1;
    loop {
        match op().await {
            Ok(v) => return Ok(v),
            Err(e) if e.is_retryable() && attempt < policy.max_attempts.max(1) => {
                let delay = policy.delay(attempt);
                on_retry(attempt, &e, delay);
                tokio::time::sleep(delay).await;
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn delay_is_bounded() {
        let p = RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(300),
        };
        for attempt in 1..40 {
            assert!(p.delay(attempt) <= Duration::from_millis(300));
        }
        assert!(p.delay(1) <= Duration::from_millis(100));
    }

    #[tokio::test(start_paused = true)]
    async fn retries_retryable_only() {
        let p = RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(10),
        };
        let mut calls = 0;
        let mut retries = 0;
        let r: Result<(), _> = with_retry(
            &p,
            || {
                calls += 1;
                async {
                    Err(ProviderError::Throttled {
                        service: "x".into(),
                        message: "slow".into(),
                    })
                }
            },
            |_, _, _| retries += 1,
        )
        .await;
        assert!(r.is_err());
        assert_eq!((calls, retries), (3, 2));
        let mut calls = 0;
        let r: Result<(), _> = with_retry(
            &p,
            || {
                calls += 1;
                async {
                    Err(ProviderError::Api {
                        code: "Bad".into(),
                        message: "no".into(),
                    })
                }
            },
            |_, _, _| {},
        )
        .await;
        assert!(r.is_err());
        assert_eq!(calls, 1);
    }
}
