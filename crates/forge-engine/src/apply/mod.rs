//! Apply: walk the plan's dependency graph concurrently, persist state as
//! operations complete, wait for readiness, retry throttling, and report.
//!
//! - [`graph`] turns plan changes into operation nodes and ordering edges.
//! - [`scheduler`] runs them (parallelism and concurrency groups, failure
//!   propagation, cancellation).
//! - [`node`] performs one operation; [`ready`] batches readiness polling;
//!   [`writer`] is the single state writer that coalesces bursts.
//! - [`ambiguous`] retries a create whose earlier attempt may have
//!   worked: look the object up first, never create it twice.

pub mod ambiguous;
pub mod graph;
pub mod node;
pub mod ready;
pub mod run;
pub mod scheduler;
pub mod writer;

use crate::cancel::{CancelLevel, CancelToken};
use crate::plan::ChangeAction;
use crate::retry::RetryPolicy;
use crate::state::OutputState;
use forge_core::Address;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// The provider operation a scheduler step performs. A replacement is two
/// steps: a `Create` and a `Delete`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    /// `Provider::create`.
    Create,
    /// `Provider::update`.
    Update,
    /// `Provider::delete`.
    Delete,
    /// Recording an orphan (and updating it if needed).
    Adopt,
}

/// Progress of an apply, for live display.
#[derive(Debug, Clone)]
pub enum Event {
    /// An operation started.
    Started {
        /// The resource.
        address: Address,
        /// The plan's action for it.
        action: ChangeAction,
        /// The step being performed.
        operation: Operation,
    },
    /// Waiting for the resource to become ready (or gone): sent when the
    /// wait starts and after every poll that finds it still pending.
    Waiting {
        /// The resource.
        address: Address,
        /// The status the cloud reports (`creating`, `provisioning`...).
        status: String,
        /// Time since the resource's operation started.
        elapsed: Duration,
    },
    /// A wait was cut short because the apply was interrupted: the object
    /// exists and is recorded as not ready, or (a deletion) stays recorded
    /// while AWS deletes it; the next run waits for it.
    Interrupted {
        /// The resource.
        address: Address,
        /// The plan's action.
        action: ChangeAction,
        /// The last status the cloud reported.
        status: String,
        /// Time since the resource's operation started.
        elapsed: Duration,
    },
    /// A call failed with a retryable error and will be retried.
    Retrying {
        /// The resource.
        address: Address,
        /// The attempt that failed (1-based).
        attempt: u32,
        /// What went wrong.
        error: String,
        /// The backoff before the next attempt.
        delay: Duration,
    },
    /// An operation finished (including readiness).
    Finished {
        /// The resource.
        address: Address,
        /// The plan's action.
        action: ChangeAction,
        /// The step performed.
        operation: Operation,
        /// How long it took.
        elapsed: Duration,
    },
    /// An operation failed.
    Failed {
        /// The resource.
        address: Address,
        /// The plan's action.
        action: ChangeAction,
        /// The error.
        error: String,
    },
    /// An operation was not run.
    Skipped {
        /// The resource.
        address: Address,
        /// The plan's action.
        action: ChangeAction,
        /// Why.
        reason: String,
    },
}

/// A progress callback. Called from scheduler tasks: keep it quick (send
/// to a channel or update a progress bar).
pub type ProgressFn = Arc<dyn Fn(&Event) + Send + Sync>;

/// Options of an apply.
#[derive(Clone)]
pub struct ApplyOptions {
    /// Mutations in flight at most (`--parallelism`, default 10).
    pub parallelism: usize,
    /// Cancellation (Ctrl-C).
    pub cancel: CancelToken,
    /// Live progress.
    pub progress: Option<ProgressFn>,
    /// Retries of retryable provider errors.
    pub retry: RetryPolicy,
    /// Take the state lock for the apply (default true).
    pub lock: bool,
    /// The lock's expiry, for backends that honour it.
    pub lock_ttl: chrono::Duration,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions {
            parallelism: 10,
            cancel: CancelToken::new(),
            progress: None,
            retry: RetryPolicy::default(),
            lock: true,
            lock_ttl: chrono::Duration::hours(2),
        }
    }
}

impl std::fmt::Debug for ApplyOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApplyOptions")
            .field("parallelism", &self.parallelism)
            .field("cancel", &self.cancel.level())
            .field("progress", &self.progress.is_some())
            .field("retry", &self.retry)
            .field("lock", &self.lock)
            .finish()
    }
}

/// A resource whose change failed.
#[derive(Debug, Clone, PartialEq)]
pub struct FailedChange {
    /// The resource.
    pub address: Address,
    /// The plan's action.
    pub action: ChangeAction,
    /// The error, with context.
    pub error: String,
}

/// A resource whose change was not attempted.
#[derive(Debug, Clone, PartialEq)]
pub struct SkippedChange {
    /// The resource.
    pub address: Address,
    /// The plan's action.
    pub action: ChangeAction,
    /// Why (a failed dependency, cancellation).
    pub reason: String,
}

/// What an apply did.
#[derive(Debug, Clone, Default)]
pub struct ApplyReport {
    /// Changes that completed.
    pub succeeded: Vec<(Address, ChangeAction)>,
    /// Changes that failed.
    pub failed: Vec<FailedChange>,
    /// Changes not attempted.
    pub skipped: Vec<SkippedChange>,
    /// Changes whose operation was in flight when the apply was aborted
    /// (creates keep their pending intent; the next plan adopts them), or
    /// whose readiness wait a drain cut short (recorded as not ready; the
    /// next apply waits for them).
    pub interrupted: Vec<(Address, ChangeAction)>,
    /// State writes performed (bursts are coalesced into one write).
    pub state_writes: u64,
    /// How far cancellation went, if it was requested.
    pub cancelled: Option<CancelLevel>,
    /// The final state write failed (the message says why); state may lag
    /// behind the cloud until the next run adopts.
    pub state_error: Option<String>,
    /// The state as it should have been saved, when the final write failed:
    /// callers keep it somewhere safe (the CLI writes an emergency file)
    /// so it can be restored with `forge state push`.
    pub unsaved_state: Option<crate::state::State>,
    /// Outputs after the apply.
    pub outputs: BTreeMap<String, OutputState>,
    /// The state's serial after the apply.
    pub serial: u64,
    /// Wall time (on tokio's clock).
    pub elapsed: Duration,
    /// The most operations that were in flight at once.
    pub max_in_flight: usize,
    /// It applied a destroy plan (`forge destroy`).
    pub destroy: bool,
}

impl ApplyReport {
    /// True when everything planned was done and state saved.
    pub fn is_success(&self) -> bool {
        self.failed.is_empty()
            && self.skipped.is_empty()
            && self.interrupted.is_empty()
            && self.state_error.is_none()
            && self.cancelled.is_none()
    }
}
