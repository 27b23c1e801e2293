//! `forge plan`: show what apply would change; optionally save the plan.

use super::{EXIT_CHANGES, EXIT_ERROR, EXIT_OK};
use super::{common, saved_plan, show};
use crate::cli::{JsonFormat, LockArgs, PlanArgs, PlanFormat, StackArgs};
use std::path::Path;

/// Runs `forge plan`. (One argument per flag group of the command line.)
#[allow(clippy::too_many_arguments)]
pub async fn run(
    args: &StackArgs,
    lock: &LockArgs,
    planning: &PlanArgs,
    out: Option<&Path>,
    json: Option<JsonFormat>,
    format: PlanFormat,
    detailed_exitcode: bool,
    destroy: bool,
) -> anyhow::Result<u8> {
    // A plan to save must be appliable: every var. A plan for review
    // needs no secret (what depends on one is shown as not compared).
    let loaded = match out {
        Some(_) => common::load(args)?,
        None => common::load_read_only(args)?,
    };
    let Some(loaded) = loaded else {
        return Ok(EXIT_ERROR);
    };
    // Stamped before planning, from the files just loaded: `forge apply
    // FILE` refuses the plan if the spec changes after this.
    let stamp = match out {
        Some(_) => Some(saved_plan::stamp(args, &loaded.stack)?),
        None => None,
    };
    // The lock is held only while the state is read and refreshed.
    let mut plan = common::locked(loaded.backend.as_ref(), lock, "plan", async {
        Ok(common::plan_with(&loaded, destroy, &planning.options()).await?)
    })
    .await?;
    match json {
        Some(format) => println!("{}", show::json_text(&plan, format)),
        None => print!("{}", show::text(&plan, format)),
    }
    if let Some(path) = out {
        plan.spec = stamp;
        plan.save(path)?;
        if json.is_none() && format == PlanFormat::Human {
            println!(
                "\nSaved the plan to {}. To apply exactly it, run:\n  forge apply {}",
                path.display(),
                path.display()
            );
        }
        if plan.holds_secrets() {
            // On stderr so `--json` output stays machine-readable.
            eprintln!(
                "note: {} holds hashes of the sensitive values, not the values: `forge apply {}` takes \
                 them again from --var, FORGE_VAR_* or var files and refuses any that differ",
                path.display(),
                path.display()
            );
        }
    }
    Ok(if detailed_exitcode && plan.has_changes() {
        EXIT_CHANGES
    } else {
        EXIT_OK
    })
}
