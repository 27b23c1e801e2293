//! `forge destroy`: plan the deletion of everything in state (reverse
//! dependency order), confirm, apply.

use super::common;
use super::{EXIT_ERROR, EXIT_OK};
use crate::cli::{LockArgs, RunArgs, StackArgs};
use crate::output;
use forge_cli::render::render_plan;

/// Runs `forge destroy`.
pub async fn run(args: &StackArgs, lock: &LockArgs, run: &RunArgs) -> anyhow::Result<u8> {
    let Some(loaded) = common::load(args)? else {
        return Ok(EXIT_ERROR);
    };
    let backend = loaded.backend.as_ref();
    // Held from planning to the last state write.
    common::locked(backend, lock, "destroy", async {
        let plan = common::plan(&loaded, true).await?;
        print!("{}", render_plan(&plan, output::color()));
        if plan.only_forgets() {
            // Everything left was deleted by hand: only the state changes.
            return common::execute(&loaded.engine, &plan, backend, run).await;
        }
        if !plan.has_changes() {
            return Ok(EXIT_OK);
        }
        if !common::confirm(
            run,
            "Do you really want to destroy all resources of this stack?",
        )
        .await?
        {
            println!("\nDestroy cancelled.");
            return Ok(EXIT_ERROR);
        }
        common::execute(&loaded.engine, &plan, backend, run).await
    })
    .await
}
