//! What faults the proxy injects, how often, and to which actions.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// Selects the actions faults apply to (all requests are still counted).
#[derive(Clone)]
pub struct ActionFilter(Arc<dyn Fn(&str) -> bool + Send + Sync>);

impl ActionFilter {
    /// Faults only for actions whose name satisfies `pred`.
    pub fn new(pred: impl Fn(&str) -> bool + Send + Sync + 'static) -> Self {
        ActionFilter(Arc::new(pred))
    }

    /// Faults only for actions whose name starts with `prefix`
    /// (e.g. `"S3:PUT"`, `"ec2:"`).
    pub fn prefix(prefix: &str) -> Self {
        let prefix = prefix.to_string();
        ActionFilter::new(move |key| key.starts_with(&prefix))
    }

    pub fn matches(&self, key: &str) -> bool {
        (self.0)(key)
    }
}

impl fmt::Debug for ActionFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ActionFilter(..)")
    }
}

/// Rates are probabilities per request, drawn in this order from one uniform
/// number: throttle, 500, drop, drop-after, 500-after; their sum should be
/// <= 1.
/// Latency is drawn independently.
#[derive(Debug, Clone, Default)]
pub struct FaultConfig {
    pub seed: u64,
    /// Answer with the protocol's throttling error.
    pub throttle_rate: f64,
    /// Answer HTTP 500 InternalError.
    pub error_rate: f64,
    /// Close the connection without forwarding or answering.
    pub drop_rate: f64,
    /// Forward, then close without answering (the call did happen).
    pub drop_after_rate: f64,
    /// Forward, then answer HTTP 500 instead of the emulator's response
    /// (the call did happen; the caller sees a server error).
    pub error_after_rate: f64,
    /// Added before forwarding, to `latency_rate` of requests.
    pub latency: Duration,
    pub latency_rate: f64,
    pub filter: Option<ActionFilter>,
}

impl FaultConfig {
    /// Forward everything untouched (counting only).
    pub fn none() -> Self {
        FaultConfig::default()
    }

    /// `rate` of requests fail, half throttled and half HTTP 500.
    pub fn throttle_and_errors(rate: f64, seed: u64) -> Self {
        FaultConfig {
            seed,
            throttle_rate: rate / 2.0,
            error_rate: rate / 2.0,
            ..FaultConfig::default()
        }
    }

    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    pub fn with_throttle(mut self, rate: f64) -> Self {
        self.throttle_rate = rate;
        self
    }

    pub fn with_errors(mut self, rate: f64) -> Self {
        self.error_rate = rate;
        self
    }

    pub fn with_drops(mut self, rate: f64) -> Self {
        self.drop_rate = rate;
        self
    }

    pub fn with_drops_after_forward(mut self, rate: f64) -> Self {
        self.drop_after_rate = rate;
        self
    }

    pub fn with_errors_after_forward(mut self, rate: f64) -> Self {
        self.error_after_rate = rate;
        self
    }

    pub fn with_latency(mut self, latency: Duration, rate: f64) -> Self {
        self.latency = latency;
        self.latency_rate = rate;
        self
    }

    pub fn only(mut self, filter: ActionFilter) -> Self {
        self.filter = Some(filter);
        self
    }
}
