//! forge as a library: load a stack written in forge's YAML, plan it
//! against its state and the cloud, apply the plan, check drift.
//!
//! This crate is the surface an embedder needs; the `forge` binary is built
//! on the same pieces. [`Forge`] bundles the resource kinds and the state
//! backends; [`Engine`] (from [`Forge::engine`]) plans, applies and reads
//! state, and returns data only: rendering is the caller's.
//!
//! The AWS kinds and the S3 state backend sit behind the default `aws`
//! feature. Without it, register kinds of your own ([`provider::Provider`])
//! and keep state in local files.
//!
//! ```no_run
//! use forge::{Forge, PlanOptions, ApplyOptions};
//! use forge::spec::LoadOptions;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let forge = Forge::aws(forge::aws::AwsSettings::default());
//! let options = LoadOptions { environment: Some("dev".into()), ..Default::default() };
//! let stack = forge.load("specs/multi-env".as_ref(), &options)?;
//! let backend = forge.open_backend(&stack)?;
//! let plan = forge.engine().plan(&stack, backend.as_ref(), &PlanOptions::default()).await?;
//! println!("{}", plan.to_json_string());
//! let report = forge.engine().apply(&plan, backend.as_ref(), &ApplyOptions::default()).await?;
//! assert!(report.is_success());
//! # Ok(())
//! # }
//! ```

pub use forge_core::{Address, Attrs, Diagnostic, Diagnostics, Value};
pub use forge_engine::{
    ApplyOptions, ApplyReport, CancelToken, ChangeAction, DriftOptions, DriftOutcome, DriftReport,
    Engine, EngineError, Event, Plan, PlanOptions, ResourceChange, Summary,
};

use forge_engine::state::{BackendError, BackendRegistry, StateBackend};
use std::path::Path;
use std::sync::Arc;

/// Stacks: loading them from YAML, or building them in code.
pub mod spec {
    pub use forge_core::spec::{
        Config, Instance, LoadOptions, Stack, StateBackendConfig, is_stack, load_stack,
        stack_environments,
    };
}

/// Writing a resource kind of your own: the engine's provider interface
/// and the schema a kind declares.
pub mod provider {
    pub use forge_core::{FieldMode, FieldSchema, FieldType, KindSchema};
    pub use forge_engine::{
        Created, FieldChange, ObserveCtx, PlannedChange, Provider, ProviderError, ProviderRegistry,
        Readiness, ResourceCtx,
    };
}

/// State: what forge recorded, and where it keeps it.
pub mod state {
    pub use forge_engine::state::{
        BackendError, BackendRegistry, LocalBackend, MemoryBackend, ResourceState, State,
        StateBackend, open_backend,
    };
}

/// The AWS kinds and the S3 state backend (feature `aws`, on by default).
#[cfg(feature = "aws")]
pub mod aws {
    pub use forge_aws::{AwsSettings, RetryMode};
    use forge_engine::ProviderRegistry;
    use forge_engine::state::BackendRegistry;

    /// A registry of every AWS kind forge ships, sharing one client cache
    /// (credentials from the standard AWS chain).
    pub fn registry(settings: AwsSettings) -> ProviderRegistry {
        let mut registry = ProviderRegistry::new();
        forge_aws::register_all(&mut registry, settings);
        registry
    }

    /// The state backends: local files and S3.
    pub fn backends(settings: AwsSettings) -> BackendRegistry {
        BackendRegistry::new().with_s3(forge_aws::state::default_factory(settings))
    }
}

/// The kinds and state backends a program works with, and the engine over
/// them.
#[derive(Debug, Clone)]
pub struct Forge {
    engine: Engine,
    backends: Arc<BackendRegistry>,
}

impl Forge {
    /// Every AWS kind, and state in local files or S3.
    #[cfg(feature = "aws")]
    pub fn aws(settings: aws::AwsSettings) -> Self {
        Forge::new(aws::registry(settings.clone()), aws::backends(settings))
    }

    /// The kinds of `registry`, and state in the backends of `backends`
    /// (`BackendRegistry::new()`: local files only). The
    /// `forge.stack_outputs` data source is added: it reads other stacks'
    /// outputs through those backends.
    pub fn new(mut registry: provider::ProviderRegistry, backends: BackendRegistry) -> Self {
        forge_engine::stack_outputs::data_source::register(
            &mut registry,
            backends.clone(),
            spec::LoadOptions::default(),
        );
        Forge {
            engine: Engine::new(registry),
            backends: Arc::new(backends),
        }
    }

    /// The engine: plan, apply, drift, state.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Loads and validates the stack at `path` (a folder with `forge.yaml`
    /// or a file) against the registered kinds, or returns every problem
    /// in it with its position.
    pub fn load(
        &self,
        path: &Path,
        options: &spec::LoadOptions,
    ) -> Result<spec::Stack, Diagnostics> {
        spec::load_stack(path, options, &self.engine.registry().schemas())
    }

    /// Opens the state backend the stack's `state:` names.
    pub fn open_backend(&self, stack: &spec::Stack) -> Result<Box<dyn StateBackend>, BackendError> {
        self.backends.open(stack)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_kinds_a_resource_kind_is_unknown() {
        let dir = tempfile::tempdir().expect("tempdir");
        let spec = "stack: notes\nregion: local\nresources:\n  a:\n    type: local.note\n";
        std::fs::write(dir.path().join("forge.yaml"), spec).expect("write");
        let forge = Forge::new(provider::ProviderRegistry::new(), BackendRegistry::new());
        let err = forge
            .load(dir.path(), &spec::LoadOptions::default())
            .expect_err("unknown kind");
        assert!(err.to_string().contains("local.note"), "{err}");
    }

    #[cfg(feature = "aws")]
    #[tokio::test]
    async fn an_aws_stack_loads_and_plans_without_state() {
        let dir = tempfile::tempdir().expect("tempdir");
        let spec = "stack: net\nregion: eu-west-1\nresources:\n  vpc:\n    type: aws.ec2.vpc\n    cidr_block: 10.0.0.0/16\n";
        std::fs::write(dir.path().join("forge.yaml"), spec).expect("write");
        let forge = Forge::aws(aws::AwsSettings::default());
        let stack = forge
            .load(dir.path(), &spec::LoadOptions::default())
            .expect("loads");
        let backend = forge.open_backend(&stack).expect("local backend");
        // No state yet: planning creates need no AWS call.
        let plan = forge
            .engine()
            .plan(&stack, backend.as_ref(), &PlanOptions::default())
            .await
            .expect("plans");
        let s = plan.summary();
        assert_eq!((s.add, s.change, s.destroy), (1, 0, 0));
        assert_eq!(plan.changes[0].kind, "aws.ec2.vpc");
    }
}
