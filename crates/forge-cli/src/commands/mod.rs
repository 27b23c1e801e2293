//! One module per subcommand; `run` dispatches and maps results to exit codes.

use crate::cli::{Cli, Command};
use crate::output;

mod graph;
mod schema;
mod validate;

/// Exit status for success.
pub const EXIT_OK: u8 = 0;
/// Exit status for any error.
pub const EXIT_ERROR: u8 = 1;
/// Exit status for "changes present" (`--detailed-exitcode`, drift).
pub const EXIT_CHANGES: u8 = 2;
/// Exit status after an interrupt (128 + SIGINT).
pub const EXIT_INTERRUPTED: u8 = 130;

/// Runs the chosen command and returns the process exit status.
pub async fn run(cli: Cli) -> u8 {
    let result = match cli.command {
        Command::Validate { stack } => validate::run(&stack),
        Command::Graph { stack, format } => graph::run(&stack, format),
        Command::Schema { out } => schema::run(out.as_deref()),
        other => Err(anyhow::anyhow!("`{other:?}` is not available in this build")),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            output::print_error(&err);
            EXIT_ERROR
        }
    }
}
