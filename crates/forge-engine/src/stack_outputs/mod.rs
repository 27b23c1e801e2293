//! Reading another stack's outputs from its state backend (local or S3),
//! read-only: the one home of what `dependencies:` (through the CLI's
//! [`forge_core::spec::DependencyReader`]) and the `forge.stack_outputs`
//! data source ([`data_source`]) both need.
//!
//! The other stack's spec is loaded only far enough to know its state
//! backend and key for the environment asked (its vars need no values),
//! then its state is read without taking the lock: a read never blocks a
//! run that holds it, and the outputs it sees are those of the last
//! completed write. A state with no resources (never applied, or
//! destroyed) counts as not applied.

pub mod data_source;

use crate::state::{BackendError, BackendRegistry, State, StateBackend};
use forge_core::spec::{LoadOptions, Stack, load_stack, stack_environments};
use forge_core::{Diagnostics, SchemaRegistry, Value};
use std::collections::BTreeMap;
use std::path::Path;

/// What a stack's state holds of its outputs.
#[derive(Debug, Clone, PartialEq)]
pub enum StackOutputs {
    /// It has been applied: its outputs (sensitive ones marked), and where
    /// its state is.
    Applied {
        /// The recorded outputs.
        outputs: BTreeMap<String, Value>,
        /// The state's location (a file path or an `s3://` URL).
        location: String,
    },
    /// It has no state yet, or one without resources (never applied, or
    /// destroyed).
    NotApplied {
        /// Where the state would be.
        location: String,
    },
}

/// Why a stack's outputs could not be read.
#[derive(Debug, thiserror::Error)]
pub enum StackOutputsError {
    /// The other stack's spec has errors.
    #[error("it does not load:\n{0}")]
    Load(Diagnostics),
    /// Its backend cannot be opened or read.
    #[error(transparent)]
    Backend(#[from] BackendError),
    /// No runtime could be started for a synchronous read.
    #[error("cannot start a runtime: {0}")]
    Runtime(String),
}

/// Reads other stacks' outputs through the state backends a program has.
#[derive(Debug, Clone)]
pub struct StackOutputsReader {
    backends: BackendRegistry,
    schemas: SchemaRegistry,
    base: LoadOptions,
}

impl StackOutputsReader {
    /// A reader opening states with `backends`, loading the other stacks
    /// against `schemas` with `base` options (`FORGE_VAR_`s, the root
    /// confinement; its environment, vars and dependency reader are
    /// replaced).
    pub fn new(backends: BackendRegistry, schemas: SchemaRegistry, base: LoadOptions) -> Self {
        StackOutputsReader {
            backends,
            schemas,
            base,
        }
    }

    /// The options other stacks are loaded with.
    pub fn base_options(&self) -> &LoadOptions {
        &self.base
    }

    /// Opens the backend of an explicit state configuration (held by
    /// `stack`; see [`BackendRegistry::open`]).
    pub fn open(&self, stack: &Stack) -> Result<Box<dyn StateBackend>, BackendError> {
        self.backends.open(stack)
    }

    /// The state backend of the stack at `path` in `environment`. A stack
    /// that declares no environments is read as it is, whatever
    /// environment is asked.
    pub fn backend_of(
        &self,
        path: &Path,
        environment: Option<&str>,
    ) -> Result<Box<dyn StateBackend>, StackOutputsError> {
        let declared = stack_environments(path, &self.base).map_err(StackOutputsError::Load)?;
        let opts = LoadOptions {
            environment: if declared.is_empty() {
                None
            } else {
                environment.map(str::to_string)
            },
            vars: Vec::new(),
            var_files: Vec::new(),
            allow_unset_vars: true,
            dependency_reader: None,
            ..self.base.clone()
        };
        let stack = load_stack(path, &opts, &self.schemas).map_err(StackOutputsError::Load)?;
        Ok(self.backends.open(&stack)?)
    }

    /// The outputs recorded in `backend`'s state.
    pub async fn read(backend: &dyn StateBackend) -> Result<StackOutputs, StackOutputsError> {
        let location = backend.location();
        Ok(match backend.read().await?.0 {
            Some(state) if !state.resources.is_empty() => StackOutputs::Applied {
                outputs: outputs(&state),
                location,
            },
            _ => StackOutputs::NotApplied { location },
        })
    }

    /// Reads the outputs of the stack at `path` in `environment` from a
    /// synchronous caller (the spec loader), which may itself run on an
    /// async runtime's thread: the read gets a thread and a small runtime
    /// of its own.
    pub fn read_blocking(
        &self,
        path: &Path,
        environment: Option<&str>,
    ) -> Result<StackOutputs, StackOutputsError> {
        let backend = self.backend_of(path, environment)?;
        std::thread::scope(|s| {
            s.spawn(|| {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| StackOutputsError::Runtime(e.to_string()))?
                    .block_on(Self::read(backend.as_ref()))
            })
            .join()
            .unwrap_or_else(|_| Err(StackOutputsError::Runtime("the read panicked".into())))
        })
    }
}

/// A state's outputs as values, sensitive ones marked.
fn outputs(state: &State) -> BTreeMap<String, Value> {
    state
        .outputs
        .iter()
        .map(|(name, o)| {
            let v = Value::from_json(&o.value);
            (name.clone(), if o.sensitive { v.sensitive() } else { v })
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
