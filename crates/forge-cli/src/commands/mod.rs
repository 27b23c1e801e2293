//! One module per subcommand; `run` dispatches and maps results to exit codes.

use crate::cli::{Cli, Command};
use crate::{output, signals};

mod apply;
mod common;
mod console;
mod destroy;
mod drift;
mod fmt;
mod force_unlock;
mod functions;
mod generate_spec;
mod graph;
mod import;
mod json_stream;
mod migrate_terraform;
mod modules;
mod outputs;
mod plan;
mod refresh;
mod run_all;
mod run_all_live;
mod saved_plan;
mod schema;
mod show;
mod stacks;
mod state;
mod state_remote;
mod validate;

/// Exit status for success.
pub const EXIT_OK: u8 = 0;
/// Exit status for any error.
pub const EXIT_ERROR: u8 = 1;
/// Exit status for "changes present" (`--detailed-exitcode`, drift).
pub const EXIT_CHANGES: u8 = 2;
/// Exit status after an interrupt (128 + SIGINT).
pub const EXIT_INTERRUPTED: u8 = 130;

/// Runs the chosen command and returns the process exit status: 130 once
/// SIGINT or SIGTERM arrived (see [`signals`] for what each command does
/// with it first).
pub async fn run(cli: Cli) -> u8 {
    signals::install();
    let result = tokio::select! {
        biased;
        () = signals::outside_scopes() => Err(signals::Interrupted.into()),
        result = dispatch(cli) => result,
    };
    match result {
        _ if signals::interrupted() => {
            if let Err(err) = &result
                && err.downcast_ref::<signals::Interrupted>().is_none()
            {
                output::print_error(err);
            }
            EXIT_INTERRUPTED
        }
        Ok(code) => code,
        Err(err) => {
            output::print_error(&err);
            EXIT_ERROR
        }
    }
}

async fn dispatch(cli: Cli) -> anyhow::Result<u8> {
    crate::dependency_outputs::set_command(&cli.command);
    match cli.command {
        Command::Validate { stack } => validate::run(&stack),
        Command::Graph { stack, format } => graph::run(&stack, format),
        Command::Schema { out } => schema::run(out.as_deref()),
        Command::Functions { json } => functions::run(json),
        Command::Fmt { paths, check } => fmt::run(&paths, check),
        Command::Modules {
            action: crate::cli::ModulesAction::Update { stack },
        } => modules::update(&stack),
        Command::Console { stack, expr, json } => console::run(&stack, &expr, json).await,
        Command::Plan {
            stack,
            lock,
            generate_spec: Some(file),
            ..
        } => generate_spec::run(&stack, &lock, &file).await,
        Command::Plan {
            stack,
            lock,
            planning,
            out,
            json,
            json_format,
            detailed_exitcode,
            format,
            destroy,
            generate_spec: None,
            all,
        } => {
            if all.all {
                if out.is_some() || json || detailed_exitcode {
                    anyhow::bail!(
                        "--out, --json and --detailed-exitcode are for one stack; with --all, plan the stacks one by one to save or print their plans"
                    );
                }
                let op = if destroy {
                    run_all::Op::PlanDestroy
                } else {
                    run_all::Op::Plan
                };
                return run_all::run(op, &stack, &lock, None, &all).await;
            }
            plan::run(
                &stack,
                &lock,
                &planning,
                out.as_deref(),
                show::json_kind(json, json_format),
                format,
                detailed_exitcode,
                destroy,
            )
            .await
        }
        Command::Migrate {
            from: crate::cli::MigrateFrom::Terraform(args),
        } => migrate_terraform::run(&args).await,
        Command::Show {
            plan,
            json,
            json_format,
            format,
        } => show::run(&plan, show::json_kind(json, json_format), format),
        Command::Apply {
            stack,
            lock,
            run,
            destroy,
            all,
            ..
        } if all.all => {
            let op = if destroy {
                run_all::Op::Destroy
            } else {
                run_all::Op::Apply
            };
            json_stream::reporting(run.json, run_all::run(op, &stack, &lock, Some(&run), &all))
                .await
        }
        Command::Apply {
            stack,
            lock,
            planning,
            run,
            plan_stack,
            destroy,
            ..
        } => {
            let work = apply::run(
                &stack,
                &lock,
                &planning,
                &run,
                plan_stack.as_deref(),
                destroy,
            );
            json_stream::reporting(run.json, work).await
        }
        Command::Destroy {
            stack,
            lock,
            run,
            all,
        } if all.all => {
            let work = run_all::run(run_all::Op::Destroy, &stack, &lock, Some(&run), &all);
            json_stream::reporting(run.json, work).await
        }
        Command::Destroy {
            stack, lock, run, ..
        } => json_stream::reporting(run.json, destroy::run(&stack, &lock, &run)).await,
        Command::Stacks(args) => stacks::run(&args),
        Command::Output { stack, name, json } => outputs::run(&stack, name.as_deref(), json).await,
        Command::State { command } => state::run(&command).await,
        Command::ForceUnlock { lock_id, stack } => force_unlock::run(&lock_id, &stack).await,
        Command::Drift(args) => drift::run(&args).await,
        Command::Import { address, id, stack } => import::run(&stack, &address, &id).await,
        Command::Refresh {
            stack,
            lock,
            auto_approve,
        } => refresh::run(&stack, &lock, auto_approve).await,
    }
}
