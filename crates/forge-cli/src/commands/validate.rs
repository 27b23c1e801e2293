//! `forge validate`: load and check a stack; print OK or every problem.

use super::{EXIT_ERROR, EXIT_OK};
use crate::cli::StackArgs;
use crate::{context, output};

/// Runs `forge validate`.
pub fn run(args: &StackArgs) -> anyhow::Result<u8> {
    let registry = context::registry();
    match context::load_stack(args, &registry, context::VarsNeeded::All) {
        Ok(stack) => {
            let env = stack
                .environment
                .as_deref()
                .map(|e| format!(" ({e})"))
                .unwrap_or_default();
            println!(
                "OK: stack `{}`{env} is valid: {} resource instance{}, {} output{}.",
                stack.name,
                stack.instances.len(),
                if stack.instances.len() == 1 { "" } else { "s" },
                stack.outputs.len(),
                if stack.outputs.len() == 1 { "" } else { "s" },
            );
            // validate reads nothing from the cloud: what expands over
            // data sources is counted by a plan.
            if !stack.awaiting_data.is_empty() {
                println!(
                    "   not expanded until the data sources are read (by plan): {}",
                    stack.awaiting_data.join(", ")
                );
            }
            Ok(EXIT_OK)
        }
        Err(diags) => {
            eprint!("{}", output::render_diagnostics(&diags));
            Ok(EXIT_ERROR)
        }
    }
}
