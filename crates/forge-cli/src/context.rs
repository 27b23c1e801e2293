//! Loading what a command needs: the provider registry and the stack.

use crate::cli::StackArgs;
use forge_core::spec::{LoadOptions, Stack};
use forge_core::Diagnostics;
use forge_engine::ProviderRegistry;

/// The registry of every kind forge ships.
pub fn registry() -> ProviderRegistry {
    let mut registry = ProviderRegistry::new();
    forge_aws::register_all(&mut registry, forge_aws::AwsSettings::default());
    registry
}

/// Turns `--var`, `--var-file`, `-e` and `--region` into loader options.
pub fn load_options(args: &StackArgs) -> Result<LoadOptions, Diagnostics> {
    let mut vars = Vec::new();
    let mut bad = Diagnostics::default();
    for v in &args.vars {
        match v.split_once('=') {
            Some((k, val)) if !k.trim().is_empty() => vars.push((k.trim().to_string(), val.to_string())),
            _ => bad.push(
                forge_core::Diagnostic::general(format!("invalid --var `{v}`"))
                    .with_hint("write it as --var name=value"),
            ),
        }
    }
    if !bad.is_empty() {
        return Err(bad);
    }
    Ok(LoadOptions {
        environment: args.env.clone(),
        vars,
        var_files: args.var_files.clone(),
        region: args.region.clone(),
    })
}

/// Loads and validates the stack, or returns every problem in it.
pub fn load_stack(args: &StackArgs, registry: &ProviderRegistry) -> Result<Stack, Diagnostics> {
    let opts = load_options(args)?;
    forge_core::spec::load_stack(&args.stack, &opts, &registry.schemas())
}
