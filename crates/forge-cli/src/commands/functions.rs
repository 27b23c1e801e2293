//! `forge functions`: every function available inside `${ ... }`, with how
//! it is called and what it does (`--json` for tools).

use super::EXIT_OK;
use anyhow::Context;
use forge_core::expr::functions::FUNCTIONS;

/// The listing for people: one line per function, signatures aligned.
pub fn render() -> String {
    let width = FUNCTIONS
        .iter()
        .map(|f| f.signature.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for f in FUNCTIONS {
        out.push_str(&format!("{:<width$}  {}\n", f.signature, f.description));
    }
    out
}

/// The listing as JSON: a list of `{name, signature, min_args, max_args,
/// description}` (`max_args` null for variadic functions).
pub fn render_json() -> anyhow::Result<String> {
    let list: Vec<serde_json::Value> = FUNCTIONS
        .iter()
        .map(|f| {
            serde_json::json!({
                "name": f.name,
                "signature": f.signature,
                "min_args": f.min_args,
                "max_args": f.max_args,
                "description": f.description,
            })
        })
        .collect();
    Ok(serde_json::to_string_pretty(&list).context("serializing the function list")? + "\n")
}

/// Runs `forge functions`.
pub fn run(json: bool) -> anyhow::Result<u8> {
    print!("{}", if json { render_json()? } else { render() });
    Ok(EXIT_OK)
}
