//! `forge import ADDR ID`: record an existing object as a resource of the
//! spec (see `forge_engine::import`).

use super::common;
use super::{EXIT_ERROR, EXIT_OK};
use crate::cli::StackArgs;
use anyhow::Context;
use forge_core::Address;

/// Runs `forge import`.
pub async fn run(stack: &StackArgs, address: &str, id: &str) -> anyhow::Result<u8> {
    let address = address
        .parse::<Address>()
        .with_context(|| format!("`{address}` is not a resource address"))?;
    let Some(loaded) = common::load(stack)? else {
        return Ok(EXIT_ERROR);
    };
    let r = loaded
        .engine
        .import(&loaded.stack, loaded.backend.as_ref(), &address, id)
        .await?;
    println!(
        "Imported {} {} as {address}. Nothing was changed in AWS; run `forge plan` to see how it differs from the spec.",
        r.kind,
        r.id.as_deref().unwrap_or(id)
    );
    Ok(EXIT_OK)
}
