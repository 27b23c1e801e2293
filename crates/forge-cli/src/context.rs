//! Loading what a command needs: the provider registry and the stack.

use crate::cli::StackArgs;
use forge_core::Diagnostics;
use forge_core::spec::{LoadOptions, Stack};
use forge_engine::ProviderRegistry;
use forge_engine::state::{BackendError, BackendRegistry, StateBackend};

/// The registry of every kind forge ships.
pub fn registry() -> ProviderRegistry {
    forge::aws::registry(forge_aws::AwsSettings::default())
}

/// The state backends forge ships: local files and S3.
pub fn backends() -> BackendRegistry {
    forge::aws::backends(forge_aws::AwsSettings::default())
}

/// Opens the backend a stack's `state:` names (local or S3).
pub fn open_backend(stack: &Stack) -> Result<Box<dyn StateBackend>, BackendError> {
    backends().open(stack)
}

/// How long a state lock lives without a heartbeat: `FORGE_LOCK_TTL`
/// (`30s`, `5m`) or 10 minutes. The S3 backend renews it every third of
/// that while forge runs, so only a killed run's lock ever expires.
pub fn lock_ttl() -> chrono::Duration {
    std::env::var("FORGE_LOCK_TTL")
        .ok()
        .and_then(|v| humantime::parse_duration(v.trim()).ok())
        .and_then(|d| chrono::Duration::from_std(d).ok())
        .unwrap_or_else(|| chrono::Duration::minutes(10))
}

/// `--allow-outside-root` (global, so set once from `main`).
static ALLOW_OUTSIDE_ROOT: std::sync::atomic::AtomicBool =
    std::sync::atomic::AtomicBool::new(false);

/// Records `--allow-outside-root` / `FORGE_ALLOW_OUTSIDE_ROOT` for every
/// stack this process loads.
pub fn allow_outside_root(allow: bool) {
    ALLOW_OUTSIDE_ROOT.store(allow, std::sync::atomic::Ordering::Relaxed);
    // File functions evaluated at plan time follow the same rule.
    forge_core::expr::allow_files_outside_root(allow);
}

/// Turns `--var`, `--var-file`, `-e` and `--region` into loader options.
pub fn load_options(args: &StackArgs) -> Result<LoadOptions, Diagnostics> {
    let mut vars = Vec::new();
    let mut bad = Diagnostics::default();
    for v in &args.vars {
        match v.split_once('=') {
            Some((k, val)) if !k.trim().is_empty() => {
                vars.push((k.trim().to_string(), val.to_string()))
            }
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
        allow_unset_vars: false,
        allow_outside_root: ALLOW_OUTSIDE_ROOT.load(std::sync::atomic::Ordering::Relaxed),
    })
}

/// Loads and validates the stack, or returns every problem in it.
/// `state_only`: the command only reads or edits the state and never
/// evaluates resources, so vars without a value (a secret given only to
/// plan and apply) are left unknown instead of refused.
pub fn load_stack(
    args: &StackArgs,
    registry: &ProviderRegistry,
    state_only: bool,
) -> Result<Stack, Diagnostics> {
    let mut opts = load_options(args)?;
    opts.allow_unset_vars = state_only;
    forge_core::spec::load_stack(&args.stack, &opts, &registry.schemas())
}
