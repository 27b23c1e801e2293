//! `forge apply`: plan, confirm and apply a stack — or apply exactly a plan
//! saved with `forge plan -out FILE`, recognized by its content.

use super::EXIT_ERROR;
use super::{common, destroy, saved_plan};
use crate::cli::{LockArgs, PlanArgs, RunArgs, StackArgs};
use crate::context;
use anyhow::{Context, bail};
use forge_engine::plan::secrets;
use forge_engine::{Engine, Plan, RetryPolicy};
use std::path::Path;

/// Runs `forge apply`. `stack` is the optional stack path after a saved
/// plan; `destroy` is `-destroy`.
pub async fn run(
    args: &StackArgs,
    lock: &LockArgs,
    planning: &PlanArgs,
    run: &RunArgs,
    stack: Option<&Path>,
    destroy: bool,
) -> anyhow::Result<u8> {
    if saved_plan::is_plan_file(&args.stack) {
        if planning.is_set() {
            // As Terraform: a saved plan is applied exactly as it was made.
            bail!(
                "-refresh, -replace and -target shape a new plan; {} is a saved plan and is applied as it was made\n  \
                 hint: pass them to `forge plan -out` instead",
                args.stack.display()
            );
        }
        return apply_saved(args, lock, run, stack, destroy).await;
    }
    if let Some(extra) = stack {
        bail!(
            "{} is not a saved plan, so a second path ({}) means nothing here\n  hint: `forge apply STACK`, \
             or `forge apply PLANFILE` for a plan saved with `forge plan -out PLANFILE`",
            args.stack.display(),
            extra.display()
        );
    }
    super::json_stream::refuse_prompt(run)?;
    if destroy {
        // `apply -destroy` is Terraform's spelling of `destroy`.
        return destroy::run(args, lock, run).await;
    }
    let Some(loaded) = common::load(args)? else {
        return Ok(EXIT_ERROR);
    };
    let backend = loaded.backend.as_ref();
    // Held from planning to the last state write, so the plan applied is
    // the plan made against the state as it is.
    common::locked(backend, lock, "apply", async {
        let plan = common::plan_with(&loaded, false, &planning.options()).await?;
        common::show_plan(&plan, run);
        if plan.only_forgets() {
            // Nothing to do in the cloud: record what refresh saw, unasked.
            return common::execute(&loaded.engine, &plan, backend, run).await;
        }
        if !plan.has_changes() {
            return Ok(common::nothing_to_do(&plan, run));
        }
        if !common::confirm(run, "Do you want to perform these actions?").await? {
            println!("\nApply cancelled.");
            return Ok(EXIT_ERROR);
        }
        common::execute(&loaded.engine, &plan, backend, run).await
    })
    .await
}

/// Applies a saved plan exactly: refused if the file was edited, if flags
/// contradict it, if the spec changed since, or (by the engine) if the
/// state moved or an action does not follow from the plan.
async fn apply_saved(
    args: &StackArgs,
    lock: &LockArgs,
    run: &RunArgs,
    stack: Option<&Path>,
    destroy: bool,
) -> anyhow::Result<u8> {
    let path = &args.stack;
    let mut plan =
        Plan::load(path).with_context(|| format!("reading the saved plan {}", path.display()))?;
    forge_engine::plan::verify::check_header(&plan)?;
    let Some(stamp) = &plan.spec else {
        bail!(
            "the saved plan {} does not record the spec it was made from, so it cannot be checked\n  \
             hint: make it with `forge plan -out FILE`",
            path.display()
        );
    };
    saved_plan::check_flags(path, &plan, stamp, args, stack, destroy)?;
    let fresh = saved_plan::verify_spec(stamp, args)?;
    // The plan's root is absolute: the state is the stack's, wherever
    // this runs from.
    let backend = context::open_backend(&plan.config).context("opening the state backend")?;
    let (registry, clients) = context::registry_for(&plan.config);
    clients.verify_account(&plan.config.region).await?;
    // The file holds hashes of the secrets: put the values back from the
    // spec just loaded (and what its data sources read now), refusing any
    // whose hash differs.
    let fresh = if secrets::needs_data(&plan) {
        forge_engine::read_data(&registry, &fresh, &RetryPolicy::default())
            .await?
            .0
    } else {
        fresh
    };
    secrets::restore(&mut plan, &fresh)?;
    let engine = Engine::new(registry);
    common::show_plan(&plan, run);
    if !plan.has_changes() && !plan.only_forgets() {
        return Ok(common::nothing_to_do(&plan, run));
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
