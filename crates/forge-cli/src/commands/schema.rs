//! `forge schema`: the JSON Schema of the spec format, with every
//! registered kind's fields, for YAML editors.

use super::EXIT_OK;
use crate::context;
use anyhow::Context;
use std::path::Path;

/// The schema document as pretty JSON (with a trailing newline).
pub fn render() -> anyhow::Result<String> {
    let schema = forge_core::spec::json_schema(&context::registry().schemas());
    Ok(serde_json::to_string_pretty(&schema).context("serializing the spec schema")? + "\n")
}

/// Runs `forge schema`.
pub fn run(out: Option<&Path>) -> anyhow::Result<u8> {
    let text = render()?;
    match out {
        Some(path) => {
            std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?
        }
        None => print!("{text}"),
    }
    Ok(EXIT_OK)
}
