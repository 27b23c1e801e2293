//! `forge force-unlock ID`: remove a lock left by a run that is gone.

use super::common;
use super::{EXIT_ERROR, EXIT_OK};
use crate::cli::StackArgs;

/// Runs `forge force-unlock`.
pub async fn run(id: &str, args: &StackArgs) -> anyhow::Result<u8> {
    let Some(loaded) = common::load_state_only(args)? else {
        return Ok(EXIT_ERROR);
    };
    loaded
        .engine
        .force_unlock(loaded.backend.as_ref(), id)
        .await?;
    println!("The state lock {id} has been removed.");
    Ok(EXIT_OK)
}
