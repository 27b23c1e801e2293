//! Loading what a command needs: the provider registry and the stack.

use crate::cli::StackArgs;
use forge_aws::AwsClients;
use forge_core::Diagnostics;
use forge_core::spec::{LoadOptions, Stack};
use forge_engine::ProviderRegistry;
use forge_engine::state::{BackendError, BackendRegistry, StateBackend};
use std::sync::Arc;

/// The registry of every kind forge ships.
pub fn registry() -> ProviderRegistry {
    let mut registry = forge::aws::registry(forge_aws::AwsSettings::default());
    with_stack_outputs(&mut registry);
    registry
}

/// Adds the `forge.stack_outputs` data source (last: it loads other
/// stacks against the kinds registered before it).
fn with_stack_outputs(registry: &mut ProviderRegistry) {
    forge_engine::stack_outputs::data_source::register(registry, backends(), base_load_options());
}

/// The options other stacks are loaded with when their outputs are read:
/// no `--var`s, but `FORGE_VAR_<name>` and `--allow-outside-root`.
pub fn base_load_options() -> LoadOptions {
    let args = StackArgs {
        stack: std::path::PathBuf::new(),
        env: None,
        vars: Vec::new(),
        var_files: Vec::new(),
        region: None,
    };
    // No `--var` is given, so the options always build.
    load_options(&args).unwrap_or_default()
}

/// The registry for a loaded stack, and the client cache its kinds share:
/// they use the stack's `aws:` credentials, whose account is checked
/// against its `allowed_account_ids` before any other call.
pub fn registry_for(stack: &Stack) -> (ProviderRegistry, Arc<AwsClients>) {
    let clients = Arc::new(AwsClients::new(forge_aws::AwsSettings {
        credentials: forge_aws::credentials::stack_set(stack),
        aliases: forge_aws::credentials::alias_sets(stack),
        ..forge_aws::AwsSettings::default()
    }));
    let mut registry = ProviderRegistry::new();
    forge_aws::register_with(&mut registry, clients.clone());
    with_stack_outputs(&mut registry);
    (registry, clients)
}

/// Refuses, before anything else talks to AWS, credentials that act in an
/// account the stack's `allowed_account_ids` does not list (one STS
/// `GetCallerIdentity`, remembered by `clients`). Called by the loading of
/// every command that reads or changes resources, which is synchronous:
/// on the CLI's multi-threaded runtime the check runs on it (so the
/// connections it opens stay usable), elsewhere on a runtime of its own.
pub fn verify_account(clients: &AwsClients, region: &str) -> anyhow::Result<()> {
    block_on(async {
        clients
            .verify_account(region)
            .await
            .map_err(anyhow::Error::from)
    })
}

/// Runs `work` to its end from the synchronous loading code: on the CLI's
/// multi-threaded runtime on it (so the connections it opens stay usable),
/// elsewhere on a runtime of its own.
fn block_on<T: Send>(
    work: impl std::future::Future<Output = anyhow::Result<T>> + Send,
) -> anyhow::Result<T> {
    match tokio::runtime::Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(|| handle.block_on(work))
        }
        _ => std::thread::scope(|s| {
            s.spawn(|| {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| anyhow::anyhow!("cannot start a runtime: {e}"))
                    .and_then(|rt| rt.block_on(work))
            })
            .join()
            .unwrap_or_else(|_| Err(anyhow::anyhow!("loading the stack failed")))
        }),
    }
}

/// Expands a stack whose `count` / `for_each` read data sources
/// ([`Stack::awaiting_data`]): reads them with `registry` and loads the
/// stack again with their values (see [`forge_engine::expand_with_data`]).
/// `Ok(Err(..))`: problems in the spec, at their places.
pub fn expand_with_data(
    args: &StackArgs,
    registry: &ProviderRegistry,
    needs: VarsNeeded,
    stack: Stack,
) -> anyhow::Result<Result<Stack, Diagnostics>> {
    if stack.awaiting_data.is_empty() {
        return Ok(Ok(stack));
    }
    let retry = forge_engine::RetryPolicy::default();
    let reload =
        |pass: forge_core::spec::DataPass| load_stack_with(args, registry, needs, Some(pass));
    let expanded = block_on(async {
        Ok(forge_engine::expand_with_data(registry, stack, &retry, reload).await)
    })?;
    match expanded {
        Ok(stack) => Ok(Ok(stack)),
        Err(forge_engine::EngineError::Data(diags)) => Ok(Err(diags)),
        Err(e) => Err(e.into()),
    }
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

/// The `FORGE_VAR_<name>` variables among `vars` (the process
/// environment), as `(name, value)`; names or values that are not UTF-8
/// are left out.
fn forge_vars(
    vars: impl IntoIterator<Item = (std::ffi::OsString, std::ffi::OsString)>,
) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = vars
        .into_iter()
        .filter_map(|(k, v)| {
            let name = k.to_str()?.strip_prefix("FORGE_VAR_")?.to_string();
            (!name.is_empty()).then_some((name, v.into_string().ok()?))
        })
        .collect();
    // The environment's order is arbitrary: sorted, so runs agree.
    out.sort();
    out
}

/// Turns `--var`, `--var-file`, `-e` and `--region` into loader options
/// (with `FORGE_VAR_<name>` from the environment).
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
        env_vars: forge_vars(std::env::vars_os()),
        region: args.region.clone(),
        allow_unset_vars: false,
        allow_unset_secrets: false,
        allow_outside_root: ALLOW_OUTSIDE_ROOT.load(std::sync::atomic::Ordering::Relaxed),
        dependency_reader: None,
        update_modules: false,
        data: None,
    })
}

/// Which vars a command needs values for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VarsNeeded {
    /// Every var: the command applies, or saves a plan to apply.
    All,
    /// All but secrets: a read-only command that evaluates resources
    /// (`drift`, `plan` without `-out`), so a review or a scheduled check
    /// needs no secret. A sensitive var with no value is unknown, and the
    /// fields that depend on it are reported as not compared.
    NoSecrets,
    /// None: the command only reads or edits the state and never
    /// evaluates resources.
    None,
}

/// Loads and validates the stack, or returns every problem in it, with
/// the vars the command needs.
pub fn load_stack(
    args: &StackArgs,
    registry: &ProviderRegistry,
    needs: VarsNeeded,
) -> Result<Stack, Diagnostics> {
    load_stack_with(args, registry, needs, None)
}

/// [`load_stack`], in a pass after the data sources were read.
fn load_stack_with(
    args: &StackArgs,
    registry: &ProviderRegistry,
    needs: VarsNeeded,
    data: Option<forge_core::spec::DataPass>,
) -> Result<Stack, Diagnostics> {
    let mut opts = load_options(args)?;
    opts.allow_unset_vars = needs == VarsNeeded::None;
    opts.allow_unset_secrets = needs == VarsNeeded::NoSecrets;
    opts.dependency_reader = crate::dependency_outputs::reader(needs);
    opts.data = data;
    forge_core::spec::load_stack(&args.stack, &opts, &registry.schemas())
}
