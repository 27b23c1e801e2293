//! Reading the outputs of the stacks a stack names under `dependencies:`,
//! from each one's own state backend (local or S3), read-only.
//!
//! The dependency's spec is loaded only far enough to know its state
//! backend and key for the environment asked (its vars need no values),
//! then its state is read without taking the lock: a read never blocks a
//! run that holds it, and the outputs it sees are those of the last
//! completed write. A state with no resources (never applied, or
//! destroyed) counts as not applied, so `mock_outputs` serve again.

use crate::cli::{Command, StackArgs};
use crate::context::{self, VarsNeeded};
use crate::output;
use forge_core::spec::{
    DependencyReader, DependencyRequest, DependencyState, LoadOptions, load_stack,
    stack_environments,
};
use forge_core::value::Value;
use std::sync::{Arc, OnceLock};

/// The command this process runs, as `mock_outputs_allowed_commands`
/// names it; set once by the dispatcher.
static COMMAND: OnceLock<&'static str> = OnceLock::new();

/// Records the command being run (see [`command_name`]).
pub fn set_command(command: &Command) {
    let _ = COMMAND.set(command_name(command));
}

/// How a command reads its dependencies: `validate` and `graph` read
/// none (mocks, else unknown), state-only commands none either, `plan`
/// and `drift` may use mocks, everything that writes reads the real ones.
fn command_name(command: &Command) -> &'static str {
    match command {
        Command::Validate { .. } | Command::Graph { .. } => "validate",
        Command::Plan { .. } => "plan",
        Command::Drift(_) => "drift",
        Command::Destroy { .. } => "destroy",
        Command::Apply { destroy: true, .. } => "destroy",
        _ => "apply",
    }
}

/// The reader for a load needing `needs`; `None` when the command reads
/// no dependency (its outputs are then their mocks, else unknown).
pub fn reader(needs: VarsNeeded) -> Option<Arc<dyn DependencyReader>> {
    let command = match (COMMAND.get().copied().unwrap_or("apply"), needs) {
        (_, VarsNeeded::None) | ("validate", _) => return None,
        // A plan saved to be applied is made as apply would make it.
        ("plan", VarsNeeded::All) => "apply",
        (command, _) => command,
    };
    Some(Arc::new(StateOutputs { command }))
}

/// Reads outputs from the dependencies' states.
#[derive(Debug)]
struct StateOutputs {
    command: &'static str,
}

impl DependencyReader for StateOutputs {
    fn command(&self) -> &str {
        self.command
    }

    fn read(&self, request: &DependencyRequest) -> Result<DependencyState, String> {
        let args = StackArgs {
            stack: request.path.clone(),
            env: None,
            vars: Vec::new(),
            var_files: Vec::new(),
            region: None,
        };
        // No `--var` is given, so the options always build.
        let base = context::load_options(&args).unwrap_or_default();
        let declared = stack_environments(&request.path, &base)
            .map_err(|d| format!("it does not load:\n{}", output::render_diagnostics(&d)))?;
        // A stack without environments is read as it is, whatever
        // environment the dependent one is loaded with.
        let environment = if declared.is_empty() {
            None
        } else {
            request.environment.clone()
        };
        let opts = LoadOptions {
            environment,
            allow_unset_vars: true,
            ..base
        };
        let registry = context::registry();
        let stack = load_stack(&request.path, &opts, &registry.schemas()).map_err(|d| {
            format!(
                "it does not load:\n{}",
                output::render_diagnostics(&d).trim_end()
            )
        })?;
        let backend = context::open_backend(&stack).map_err(|e| e.to_string())?;
        let location = backend.location();
        // The loader is synchronous and may run on the async runtime's
        // threads: the read gets a thread and a small runtime of its own.
        let read = std::thread::scope(|s| {
            s.spawn(|| {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| format!("cannot start a runtime: {e}"))?
                    .block_on(backend.read())
                    .map_err(|e| e.to_string())
            })
            .join()
            .unwrap_or_else(|_| Err("reading the state failed".into()))
        })?;
        let state = match read.0 {
            Some(state) if !state.resources.is_empty() => state,
            // Destroy runs in reverse order: a dependency already gone
            // must not stop the stacks that used it from being destroyed.
            _ if self.command == "destroy" => return Ok(DependencyState::Unread),
            _ => return Ok(DependencyState::NotApplied { location }),
        };
        let outputs = state
            .outputs
            .iter()
            .map(|(name, o)| {
                let v = Value::from_json(&o.value);
                (name.clone(), if o.sensitive { v.sensitive() } else { v })
            })
            .collect();
        Ok(DependencyState::Applied { outputs, location })
    }

    fn mocked(&self, request: &DependencyRequest, names: &[String]) {
        let env = request
            .environment
            .as_ref()
            .map(|e| format!(" -e {e}"))
            .unwrap_or_default();
        // On stderr, so `--json` output stays machine-readable.
        eprintln!(
            "note: dependency `{}` ({}{env}) has no value for {} yet: its mock_outputs stand in for this {}",
            request.name,
            request.path.display(),
            names.join(", "),
            self.command
        );
    }
}
