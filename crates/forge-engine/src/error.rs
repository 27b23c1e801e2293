//! The engine's error type.

use crate::provider::ProviderError;
use crate::state::{BackendError, LockError};
use forge_core::{Address, Diagnostics};

/// One problem found while planning; a plan reports all of them at once.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanProblem {
    /// The resource concerned, if any.
    pub address: Option<Address>,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for PlanProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.address {
            Some(a) => write!(f, "{a}: {}", self.message),
            None => write!(f, "{}", self.message),
        }
    }
}

fn list(problems: &[PlanProblem]) -> String {
    problems.iter().map(|p| format!("\n  - {p}")).collect()
}

/// Everything that can go wrong in the engine's public operations.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The plan could not be made; every problem is listed.
    #[error("cannot plan stack `{stack}`:{}", list(.problems))]
    Plan {
        /// The stack.
        stack: String,
        /// Every problem found.
        problems: Vec<PlanProblem>,
    },
    /// Reading the stack's data sources failed, or loading it again with
    /// what they read did (see [`crate::expand_with_data`]); every problem
    /// is listed at its place in the spec.
    #[error("{0}")]
    Data(Diagnostics),
    /// A resource uses a kind no provider is registered for.
    #[error("no provider for resource kind `{kind}` (used by {address})")]
    UnknownKind {
        /// The kind.
        kind: String,
        /// Who uses it.
        address: String,
    },
    /// Evaluating a resource's configuration failed.
    #[error("evaluating {address}:\n{diagnostics}")]
    Evaluate {
        /// The resource.
        address: Address,
        /// What the evaluator said.
        diagnostics: Diagnostics,
    },
    /// Refreshing the state from the cloud failed.
    #[error("refreshing {kind} in {region}: {source}")]
    Refresh {
        /// The kind whose observe failed.
        kind: String,
        /// The region.
        region: String,
        /// The provider's error.
        #[source]
        source: ProviderError,
    },
    /// Looking for a resource left by an interrupted run failed.
    #[error("looking for an orphan of {address}: {source}")]
    FindOrphan {
        /// The resource.
        address: Address,
        /// The provider's error.
        #[source]
        source: ProviderError,
    },
    /// The saved plan was made against another version of the state.
    #[error(
        "the saved plan is stale: it was made against state lineage {plan_lineage} serial {plan_serial}, \
         but the state is now lineage {state_lineage} serial {state_serial}; run `forge plan` again"
    )]
    StalePlan {
        /// Lineage the plan was made against.
        plan_lineage: String,
        /// Serial the plan was made against.
        plan_serial: u64,
        /// Current lineage (or `none`).
        state_lineage: String,
        /// Current serial.
        state_serial: u64,
    },
    /// The state belongs to a different stack or environment.
    #[error("the state at {location} belongs to stack `{found}`, not `{expected}`")]
    WrongStack {
        /// Where the state is.
        location: String,
        /// The stack being planned.
        expected: String,
        /// The stack recorded in the state.
        found: String,
    },
    /// Reading or writing state failed.
    #[error("state: {0}")]
    State(#[from] BackendError),
    /// The state lock could not be taken or released.
    #[error(transparent)]
    Lock(#[from] LockError),
    /// The plan was made for review without some vars (a read-only plan
    /// leaves a secret it was not given unknown): it cannot be applied.
    #[error(
        "this plan was made without a value for {}: it is for review only; \
         plan again with every var (--var, a var file or FORGE_VAR_<name>) to apply",
        .0.iter().map(|v| format!("var `{v}`")).collect::<Vec<_>>().join(", ")
    )]
    UnsetVars(Vec<String>),
    /// A `state` subcommand was given an address that is not in the state.
    #[error("no resource {0} in the state")]
    NotInState(String),
    /// `forge import` could not record the object; nothing was changed.
    #[error("cannot import {address}: {message}")]
    Import {
        /// The address imported into.
        address: String,
        /// Why.
        message: String,
    },
    /// A `state mv` target already exists.
    #[error("{0} already exists in the state")]
    AlreadyInState(String),
    /// Reading or writing a plan file failed.
    #[error("plan file {path}: {message}")]
    PlanFile {
        /// The file.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// A saved plan's content does not match the digest it was written
    /// with: it was edited (or damaged) after `forge plan -out`.
    #[error(
        "the plan file {path} was modified after it was written (its content no longer matches its digest); \
         make a new plan with `forge plan -out FILE`"
    )]
    PlanModified {
        /// The file.
        path: String,
    },
    /// A saved plan keeps hashes of its secrets: the values given to apply
    /// it are missing or are not the ones it was made with.
    #[error("the saved plan's secrets: {detail}")]
    PlanSecrets {
        /// Which, and how to give them.
        detail: String,
    },
    /// The spec a saved plan was made from is not the spec on disk now.
    #[error("the spec changed since this plan was made: plan again ({detail})")]
    SpecChanged {
        /// What differs, or why the spec could not be checked.
        detail: String,
    },
    /// A plan's actions do not follow from its own recorded states and
    /// configuration (an edited plan): nothing was applied.
    #[error(
        "the plan does not follow from its own recorded states, so it was edited or is corrupt; \
         nothing was applied: make a new plan with `forge plan`:{}",
        list(.problems)
    )]
    PlanMismatch {
        /// Every inconsistency found.
        problems: Vec<PlanProblem>,
    },
    /// The plan's format version is not one this engine reads.
    #[error("plan format version {found} is not supported (expected {expected})")]
    PlanFormat {
        /// What the file says.
        found: String,
        /// What this engine writes.
        expected: String,
    },
}
