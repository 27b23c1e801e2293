//! Settings of the AWS providers: retry behaviour and credentials.
//!
//! Region is not here on purpose: it comes with every call (from the spec,
//! possibly overridden on the command line), so one process can manage
//! stacks in several regions.

use std::time::Duration;

/// How the SDK retries a failed request before the engine sees the error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RetryMode {
    /// The SDK's standard mode: exponential backoff with jitter.
    #[default]
    Standard,
    /// Standard plus a client-side rate limiter that slows down when AWS
    /// throttles (useful for very large stacks).
    Adaptive,
}

/// Settings shared by all AWS providers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsSettings {
    /// Attempts per read request, including the first. Kept small because
    /// the engine retries throttled and transient failures itself, with its
    /// own backoff; two layers of long retries would multiply the wait.
    /// Calls that change something are always sent once by the SDK (see
    /// [`crate::retry_guard`]): only the engine, which looks a lost create
    /// up before repeating it, retries them.
    pub max_attempts: u32,
    /// SDK retry mode.
    pub retry_mode: RetryMode,
    /// Named profile from `~/.aws/config` (default: `AWS_PROFILE` or
    /// `default`, as the aws-config chain decides).
    pub profile: Option<String>,
    /// Timeout of one attempt of one request (connect + response).
    pub attempt_timeout: Option<Duration>,
    /// The spec's `aws:` credentials (profile, role, allowed accounts);
    /// unset: the process's chain, with `profile` above.
    pub credentials: Option<crate::credentials::CredentialSet>,
    /// The spec's `aws.aliases`: named credential sets, each used by the
    /// resources that name it (`aws: NAME`), with its own account check.
    pub aliases: std::collections::BTreeMap<String, crate::credentials::CredentialSet>,
}

impl Default for AwsSettings {
    fn default() -> Self {
        AwsSettings {
            max_attempts: 3,
            retry_mode: RetryMode::Standard,
            profile: None,
            attempt_timeout: Some(Duration::from_secs(60)),
            credentials: None,
            aliases: std::collections::BTreeMap::new(),
        }
    }
}
