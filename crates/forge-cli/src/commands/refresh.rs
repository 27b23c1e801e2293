//! `forge refresh`: accept the drift. Shows, plan-style, what the state
//! will take from the live cloud, asks, then writes it under the state
//! lock. `forge apply` afterwards reverts whatever the spec still asks
//! otherwise.

use super::common;
use super::{EXIT_ERROR, EXIT_OK};
use crate::cli::{LockArgs, RunArgs, StackArgs};
use crate::{output, signals};
use anyhow::bail;
use forge_cli::render::{render_drift, render_refresh_preview};
use forge_engine::{DriftOptions, RetryPolicy};

/// Runs `forge refresh`.
pub async fn run(args: &StackArgs, lock: &LockArgs, auto_approve: bool) -> anyhow::Result<u8> {
    let Some(loaded) = common::load(args)? else {
        return Ok(EXIT_ERROR);
    };
    common::wait_for_lock(loaded.backend.as_ref(), lock).await?;
    let report = loaded
        .engine
        .drift(
            &loaded.stack,
            loaded.backend.as_ref(),
            &DriftOptions::default(),
        )
        .await?;
    if report.state_lineage.is_none() {
        bail!(
            "stack `{}` has no state yet: there is nothing to refresh",
            report.stack
        );
    }
    if !report.errors.is_empty() {
        print!("{}", render_drift(&report, output::color()));
        bail!("the live cloud could not be read completely; the state was not changed");
    }
    let Some(preview) = render_refresh_preview(&report, output::color()) else {
        println!("No changes. The state matches the live cloud.");
        return Ok(EXIT_OK);
    };
    print!("{preview}");
    if !report.orphans.is_empty() {
        println!(
            "\nNote: {} resource(s) tagged as stack {}'s are not in the state; refresh does not adopt them (`forge drift` lists them, `forge import` takes one over).",
            report.orphans.len(),
            report.stack
        );
    }
    let run = RunArgs {
        auto_approve,
        parallelism: 1,
        json: false,
    };
    if !common::confirm(
        &run,
        "Do you want to record these live values in the state?",
    )
    .await?
    {
        println!("\nRefresh cancelled.");
        return Ok(EXIT_ERROR);
    }
    // Takes the lock, writes, releases: a signal waits for it to end.
    let state = signals::finish(loaded.engine.accept_drift(
        &loaded.stack,
        loaded.backend.as_ref(),
        &report,
        &RetryPolicy::default(),
    ))
    .await?;
    println!(
        "\nRefresh complete: the state (serial {}) now records the live cloud. `forge plan` shows what apply would change back.",
        state.serial
    );
    Ok(EXIT_OK)
}
