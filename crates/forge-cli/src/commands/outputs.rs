//! `forge output`: print the outputs recorded by the last apply.

use super::common;
use super::{EXIT_ERROR, EXIT_OK};
use crate::cli::StackArgs;
use anyhow::bail;

/// Runs `forge output [NAME] [--json]`. One named output prints raw
/// (strings unquoted) even when sensitive, as Terraform does, so scripts
/// can capture it; the full listing masks sensitive values.
pub async fn run(args: &StackArgs, name: Option<&str>, json: bool) -> anyhow::Result<u8> {
    let Some(loaded) = common::load_state_only(args)? else {
        return Ok(EXIT_ERROR);
    };
    let outputs = loaded.engine.outputs(loaded.backend.as_ref()).await?;
    if let Some(name) = name {
        let Some(o) = outputs.get(name) else {
            let known: Vec<&str> = outputs.keys().map(String::as_str).collect();
            bail!(
                "no output `{name}` in the state (outputs: {})",
                if known.is_empty() {
                    "none".into()
                } else {
                    known.join(", ")
                }
            );
        };
        match (&o.value, json) {
            (serde_json::Value::String(s), false) => println!("{s}"),
            (v, _) => println!("{}", serde_json::to_string_pretty(v)?),
        }
        return Ok(EXIT_OK);
    }
    if json {
        let all: serde_json::Map<String, serde_json::Value> = outputs
            .iter()
            .map(|(k, o)| {
                (
                    k.clone(),
                    serde_json::json!({ "value": o.value, "sensitive": o.sensitive }),
                )
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&all)?);
    } else {
        for (k, o) in &outputs {
            let shown = if o.sensitive {
                "(sensitive)".to_string()
            } else {
                o.value.to_string()
            };
            println!("{k} = {shown}");
        }
    }
    Ok(EXIT_OK)
}
