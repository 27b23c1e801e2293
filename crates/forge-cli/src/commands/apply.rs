//! `forge apply`: plan, confirm and apply a stack — or apply exactly a plan
//! saved with `forge plan -out FILE`.

use super::common;
use super::{EXIT_ERROR, EXIT_OK};
use crate::cli::{LockArgs, RunArgs, StackArgs};
use crate::{context, output};
use anyhow::Context;
use forge_engine::{Engine, Plan};
use std::path::Path;

/// Whether `path` names a saved plan rather than a stack.
fn is_plan_file(path: &Path) -> bool {
    path.is_file() && path.extension().is_some_and(|e| e == "json")
}

/// Runs `forge apply`.
pub async fn run(args: &StackArgs, lock: &LockArgs, run: &RunArgs) -> anyhow::Result<u8> {
    if is_plan_file(&args.stack) {
        return apply_saved(&args.stack, lock, run).await;
    }
    let Some(loaded) = common::load(args)? else {
        return Ok(EXIT_ERROR);
    };
    let backend = loaded.backend.as_ref();
    // Held from planning to the last state write, so the plan applied is
    // the plan made against the state as it is.
    common::locked(backend, lock, "apply", async {
        let plan = common::plan(&loaded, false).await?;
        print!("{}", plan.render(output::color()));
        if plan.only_forgets() {
            // Nothing to do in the cloud: record what refresh saw, unasked.
            return common::execute(&loaded.engine, &plan, backend, run).await;
        }
        if !plan.has_changes() {
            return Ok(EXIT_OK);
        }
        if !common::confirm(run, "Do you want to perform these actions?").await? {
            println!("\nApply cancelled.");
            return Ok(EXIT_ERROR);
        }
        common::execute(&loaded.engine, &plan, backend, run).await
    })
    .await
}

/// Applies a saved plan exactly; the engine refuses it if the state moved.
async fn apply_saved(path: &Path, lock: &LockArgs, run: &RunArgs) -> anyhow::Result<u8> {
    let plan =
        Plan::load(path).with_context(|| format!("reading the saved plan {}", path.display()))?;
    let backend = context::open_backend(&plan.config).context("opening the state backend")?;
    let engine = Engine::new(context::registry());
    print!("{}", plan.render(output::color()));
    if !plan.has_changes() && !plan.only_forgets() {
        return Ok(EXIT_OK);
    }
    // A saved plan was reviewed when it was made: apply it without asking
    // again, as Terraform does.
    common::locked(
        backend.as_ref(),
        lock,
        "apply",
        common::execute(&engine, &plan, backend.as_ref(), run),
    )
    .await
}
