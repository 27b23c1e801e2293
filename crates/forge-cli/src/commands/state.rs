//! `forge state list|show|rm|mv`.

use super::common;
use super::{EXIT_ERROR, EXIT_OK};
use crate::cli::StateCommand;
use crate::signals;
use anyhow::Context;
use forge_core::Address;

fn address(text: &str) -> anyhow::Result<Address> {
    text.parse::<Address>()
        .with_context(|| format!("`{text}` is not a resource address"))
}

/// Runs a `forge state` subcommand.
pub async fn run(command: &StateCommand) -> anyhow::Result<u8> {
    let stack = match command {
        StateCommand::List { stack }
        | StateCommand::Show { stack, .. }
        | StateCommand::Rm { stack, .. }
        | StateCommand::Mv { stack, .. } => stack,
        StateCommand::Bootstrap { .. }
        | StateCommand::Migrate { .. }
        | StateCommand::Push { .. }
        | StateCommand::Pull { .. } => return super::state_remote::run(command).await,
    };
    let Some(loaded) = common::load_state_only(stack)? else {
        return Ok(EXIT_ERROR);
    };
    let (engine, backend) = (&loaded.engine, loaded.backend.as_ref());
    match command {
        StateCommand::List { .. } => {
            for a in engine.state_list(backend).await? {
                println!("{a}");
            }
        }
        StateCommand::Show { address: a, .. } => {
            let r = engine.state_show(backend, &address(a)?).await?;
            print!("{}", forge_cli::render::render_resource(&r));
        }
        StateCommand::Rm { address: a, .. } => {
            // Locked edits run to their end; a signal stops forge after.
            let r = signals::finish(engine.state_rm(backend, &address(a)?)).await?;
            println!(
                "Removed {} (id {}) from the state; it still exists in AWS.",
                r.address,
                r.id.as_deref().unwrap_or("none")
            );
        }
        StateCommand::Mv { from, to, .. } => {
            let (from, to) = (address(from)?, address(to)?);
            signals::finish(engine.state_mv(backend, &from, &to)).await?;
            println!("Moved {from} to {to}.");
        }
        _ => {}
    }
    Ok(EXIT_OK)
}
