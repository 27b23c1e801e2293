//! Retrying S3 calls of the state protocol that failed transiently
//! (throttling, `SlowDown`, 5xx, dropped connections), with exponential
//! backoff and jitter, on top of the SDK's own few attempts.
//!
//! A state write that cannot be made is serious (the apply stops and
//! keeps an emergency copy), so it is worth waiting several seconds for S3
//! to recover before giving up.

use super::errors::S3Failure;
use std::future::Future;
use std::time::Duration;

/// How often and how long to retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateRetry {
    /// Attempts in all, including the first.
    pub attempts: u32,
    /// Delay after the first failure; doubled after each further one.
    pub base: Duration,
    /// The longest delay between two attempts.
    pub max: Duration,
}

impl Default for StateRetry {
    fn default() -> Self {
        StateRetry {
            attempts: 6,
            base: Duration::from_millis(200),
            max: Duration::from_secs(5),
        }
    }
}

impl StateRetry {
    /// The default, with `FORGE_STATE_RETRIES` (attempts) if set: a test or
    /// an impatient CI job can give up sooner.
    pub fn from_env() -> Self {
        let mut r = StateRetry::default();
        if let Some(n) = std::env::var("FORGE_STATE_RETRIES")
            .ok()
            .and_then(|v| v.trim().parse::<u32>().ok())
        {
            r.attempts = n.max(1);
        }
        r
    }

    /// The delay after failed attempt `attempt` (1-based): exponential,
    /// capped, with up to 50% random jitter so concurrent writers spread out.
    pub fn delay(&self, attempt: u32) -> Duration {
        let exp = self
            .base
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
        let capped = exp.min(self.max);
        let jitter = capped.mul_f64(0.5 * jitter_fraction());
        capped.saturating_sub(capped / 4) + jitter
    }

    /// Runs `call` until it succeeds, fails with a non-transient failure,
    /// or the attempts are used up (the last failure is returned).
    pub async fn run<T, F, Fut>(&self, mut call: F) -> Result<T, S3Failure>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, S3Failure>>,
    {
        let mut attempt = 1;
        loop {
            match call().await {
                Err(e) if e.is_transient() && attempt < self.attempts => {
                    tokio::time::sleep(self.delay(attempt)).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }
}

/// A number in [0, 1) that differs between calls and processes, without a
/// random number generator dependency.
fn jitter_fraction() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    // RandomState is seeded randomly per process and per instance.
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    (h.finish() % 1024) as f64 / 1024.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[test]
    fn delays_grow_and_are_capped() {
        let r = StateRetry {
            attempts: 10,
            base: Duration::from_millis(100),
            max: Duration::from_secs(1),
        };
        assert!(
            r.delay(1) >= Duration::from_millis(75) && r.delay(1) <= Duration::from_millis(125)
        );
        assert!(r.delay(3) >= Duration::from_millis(300));
        assert!(r.delay(30) <= Duration::from_millis(1250));
    }

    #[tokio::test(start_paused = true)]
    async fn transient_failures_are_retried_until_success_or_exhaustion() {
        let r = StateRetry {
            attempts: 4,
            ..StateRetry::default()
        };
        let calls = AtomicU32::new(0);
        let ok = r
            .run(|| async {
                if calls.fetch_add(1, Ordering::SeqCst) < 2 {
                    Err(S3Failure::Transient("503".into()))
                } else {
                    Ok(7)
                }
            })
            .await;
        assert_eq!(ok, Ok(7));
        assert_eq!(calls.load(Ordering::SeqCst), 3);

        // A transient failure is retried up to the attempts; a fatal one
        // is not retried.
        for (failure, tries) in [
            (S3Failure::Transient("503".into()), 4),
            (S3Failure::Fatal("AccessDenied".into()), 1),
        ] {
            calls.store(0, Ordering::SeqCst);
            let result: Result<(), _> = r
                .run(|| async {
                    calls.fetch_add(1, Ordering::SeqCst);
                    Err(failure.clone())
                })
                .await;
            assert!(result.is_err());
            assert_eq!(calls.load(Ordering::SeqCst), tries, "{failure:?}");
        }
    }
}
