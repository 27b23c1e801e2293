//! Reading the outputs of the stacks a stack names under `dependencies:`,
//! from each one's own state backend (local or S3), read-only, for the
//! command being run.
//!
//! The reading itself is forge-engine's [`StackOutputsReader`] (shared with
//! the `forge.stack_outputs` data source); this module decides which
//! commands read real outputs and says when mocks stand in. A state with
//! no resources (never applied, or destroyed) counts as not applied, so
//! `mock_outputs` serve again.

use crate::cli::Command;
use crate::context::{self, VarsNeeded};
use crate::output;
use forge_core::spec::{DependencyReader, DependencyRequest, DependencyState};
use forge_engine::{StackOutputs, StackOutputsError, StackOutputsReader};
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
    let reader = StackOutputsReader::new(
        context::backends(),
        context::registry().schemas(),
        context::base_load_options(),
    );
    Some(Arc::new(StateOutputs { command, reader }))
}

/// Reads outputs from the dependencies' states (with forge-engine's
/// [`StackOutputsReader`], which `forge.stack_outputs` uses too).
#[derive(Debug)]
struct StateOutputs {
    command: &'static str,
    reader: StackOutputsReader,
}

impl DependencyReader for StateOutputs {
    fn command(&self) -> &str {
        self.command
    }

    fn read(&self, request: &DependencyRequest) -> Result<DependencyState, String> {
        match self
            .reader
            .read_blocking(&request.path, request.environment.as_deref())
        {
            Ok(StackOutputs::Applied { outputs, location }) => {
                Ok(DependencyState::Applied { outputs, location })
            }
            // Destroy runs in reverse order: a dependency already gone
            // must not stop the stacks that used it from being destroyed.
            Ok(StackOutputs::NotApplied { .. }) if self.command == "destroy" => {
                Ok(DependencyState::Unread)
            }
            Ok(StackOutputs::NotApplied { location }) => {
                Ok(DependencyState::NotApplied { location })
            }
            Err(StackOutputsError::Load(d)) => Err(format!(
                "it does not load:\n{}",
                output::render_diagnostics(&d).trim_end()
            )),
            Err(e) => Err(e.to_string()),
        }
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
