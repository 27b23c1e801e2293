//! forge-engine: the reconciler.
//!
//! It refreshes state through batched provider `observe` calls, plans each
//! resource instance through its provider, applies the plan by walking the
//! dependency graph concurrently, and keeps state safe (local file or S3,
//! with locking) so an interrupted apply loses nothing.

pub mod diff;
pub mod provider;
pub mod registry;

pub use provider::{
    Created, FieldChange, ObserveCtx, PlannedAction, PlannedChange, Provider, ProviderError,
    Readiness, ResourceCtx,
};
pub use registry::ProviderRegistry;
