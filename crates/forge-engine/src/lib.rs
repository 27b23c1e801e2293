//! forge-engine: the reconciler.
//!
//! It refreshes state through batched provider `observe` calls, plans each
//! resource instance through its provider, applies the plan by walking the
//! dependency graph concurrently, and keeps state safe (local file or S3,
//! with locking) so an interrupted apply loses nothing.
//!
//! The entry point is [`Engine`]:
//!
//! ```text
//! let engine = Engine::new(registry);
//! let backend = open_backend(&stack)?;
//! let plan = engine.plan(&stack, backend.as_ref(), &PlanOptions::default()).await?;
//! println!("{}", plan.to_json_string());
//! let report = engine.apply(&plan, backend.as_ref(), &ApplyOptions::default()).await?;
//! ```
//!
//! The engine returns data (plans, reports, their JSON forms); rendering
//! them for people, colours and exit statuses are the `forge` binary's
//! (forge-cli's `render` module).
//!
//! A runnable example with a provider of its own is in forge-testkit's
//! crate docs and in `examples/embed`.

pub mod apply;
pub mod cancel;
mod conditions;
pub mod data;
mod data_expand;
pub mod deferred;
pub mod diff;
pub mod drift;
pub mod engine;
pub mod error;
pub mod ignore;
pub mod import;
pub mod ownership;
pub mod plan;
pub mod provider;
pub mod refresh;
pub mod registry;
pub mod retry;
pub mod stack_outputs;
pub mod state;
pub mod tag_index;
pub mod values;

pub use apply::{
    ApplyOptions, ApplyReport, Event, FailedChange, Operation, ProgressFn, SkippedChange,
};
pub use cancel::{CancelLevel, CancelToken};
pub use data::{DataError, DataRead, DataRequest, DataSource, PlannedRead, read_data};
pub use data_expand::expand_with_data;
pub use drift::{
    ClassifiedChange, Conflict, DRIFT_FORMAT_VERSION, DeletedResource, DriftError, DriftField,
    DriftOptions, DriftOutcome, DriftReport, DriftSummary, DriftedResource, MaintenanceField,
    NotCompared, Orphan, PendingChange, PendingField, PendingMaintenance, StackDrift,
};
pub use engine::Engine;
pub use error::{EngineError, PlanProblem};
pub use ownership::{Claim, ClaimedBy, Owner};
pub use plan::build::PlanOptions;
pub use plan::{ChangeAction, OutputChange, Plan, ResourceChange, Summary};
pub use provider::{
    Created, FieldChange, ObserveCtx, PlannedAction, PlannedChange, Provider, ProviderError,
    Readiness, ResourceCtx,
};
pub use registry::ProviderRegistry;
pub use retry::RetryPolicy;
pub use stack_outputs::{StackOutputs, StackOutputsError, StackOutputsReader};
pub use state::{
    BackendError, BackendFactory, BackendRegistry, LocalBackend, LockError, LockInfo,
    MemoryBackend, OutputState, ResourceState, State, StateBackend, VersionToken, open_backend,
};
pub use tag_index::{TagIndex, TaggedResource};
