//! Choosing a backend from a stack's `state:` setting.
//!
//! Local state is built in. Other kinds (S3, written in forge-aws) are
//! registered as factories by the CLI or an embedding program, so this
//! crate never depends on the AWS SDK.

use super::backend::{BackendError, StateBackend};
use super::local::LocalBackend;
use forge_core::spec::{Stack, StateBackendConfig};
use std::sync::Arc;

/// Builds a backend for a stack's state configuration. Factories must not
/// block; backends needing async setup (an AWS client) do it lazily on
/// first use.
pub type BackendFactory = Arc<
    dyn Fn(&Stack, &StateBackendConfig) -> Result<Box<dyn StateBackend>, BackendError>
        + Send
        + Sync,
>;

/// Backend factories by kind (`local` is always available).
#[derive(Clone, Default)]
pub struct BackendRegistry {
    s3: Option<BackendFactory>,
}

impl std::fmt::Debug for BackendRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackendRegistry")
            .field("s3", &self.s3.is_some())
            .finish()
    }
}

impl BackendRegistry {
    /// Only the local backend.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers the factory used for `backend: s3`.
    pub fn with_s3(mut self, factory: BackendFactory) -> Self {
        self.s3 = Some(factory);
        self
    }

    /// Opens the backend the stack's `state:` names.
    pub fn open(&self, stack: &Stack) -> Result<Box<dyn StateBackend>, BackendError> {
        match &stack.state {
            StateBackendConfig::Local { path } => Ok(Box::new(LocalBackend::for_stack(
                &stack.root,
                &stack.name,
                stack.environment.as_deref(),
                path.as_deref(),
            ))),
            cfg @ StateBackendConfig::S3 { bucket, key, .. } => match &self.s3 {
                Some(factory) => factory(stack, cfg),
                None => Err(BackendError::Unavailable(format!(
                    "state backend s3 (s3://{bucket}/{key}) is not registered in this program; \
                     register one with BackendRegistry::with_s3"
                ))),
            },
        }
    }
}

/// Opens a stack's backend with only the built-in kinds.
pub fn open_backend(stack: &Stack) -> Result<Box<dyn StateBackend>, BackendError> {
    BackendRegistry::new().open(stack)
}
