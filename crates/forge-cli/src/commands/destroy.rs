//! `forge destroy`: plan the deletion of everything in state (reverse
//! dependency order), confirm, apply.

use super::EXIT_ERROR;
use super::common;
use crate::cli::{LockArgs, RunArgs, StackArgs};

/// Runs `forge destroy`.
pub async fn run(args: &StackArgs, lock: &LockArgs, run: &RunArgs) -> anyhow::Result<u8> {
    super::json_stream::refuse_prompt(run)?;
    let Some(loaded) = common::load(args)? else {
        return Ok(EXIT_ERROR);
    };
    let backend = loaded.backend.as_ref();
    // Held from planning to the last state write.
    common::locked(backend, lock, "destroy", async {
        let plan = common::plan(&loaded, true).await?;
        common::show_plan(&plan, run);
        if plan.only_forgets() {
            // Everything left was deleted by hand: only the state changes.
            return common::execute(&loaded.engine, &plan, backend, run).await;
        }
        if !plan.has_changes() {
            return Ok(common::nothing_to_do(&plan, run));
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
