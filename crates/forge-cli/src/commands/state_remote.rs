//! `forge state bootstrap | migrate | push | pull`: setting up a state
//! bucket, moving state between the local file and S3, restoring a saved
//! state (such as an emergency file) and printing the stored one.

use super::common;
use super::{EXIT_ERROR, EXIT_OK};
use crate::cli::{MigrateTarget, StackArgs, StateCommand};
use crate::{context, signals};
use anyhow::{Context, bail};
use forge_aws::state::{BootstrapOptions, bootstrap, copy_state, push_state};
use forge_core::spec::StateBackendConfig;
use forge_engine::state::{LocalBackend, State, StateBackend};
use std::path::Path;

/// Runs one of the remote-state subcommands.
pub async fn run(command: &StateCommand) -> anyhow::Result<u8> {
    match command {
        StateCommand::Bootstrap {
            bucket,
            region,
            kms_key_id,
        } => run_bootstrap(bucket, region.as_deref(), kms_key_id.clone()).await,
        StateCommand::Migrate {
            stack,
            to,
            from_local,
        } => {
            let to = if *from_local {
                MigrateTarget::S3
            } else {
                to.unwrap_or(MigrateTarget::S3)
            };
            migrate(stack, to).await
        }
        StateCommand::Push { file, stack, force } => push(file, stack, *force).await,
        StateCommand::Pull { stack } => pull(stack).await,
        _ => bail!("not a remote-state command"),
    }
}

async fn run_bootstrap(
    bucket: &str,
    region: Option<&str>,
    kms_key_id: Option<String>,
) -> anyhow::Result<u8> {
    let region = region
        .map(str::to_string)
        .or_else(|| std::env::var("AWS_REGION").ok())
        .or_else(|| std::env::var("AWS_DEFAULT_REGION").ok())
        .unwrap_or_else(|| "us-east-1".into());
    let clients = forge_aws::AwsClients::new(forge_aws::AwsSettings::default());
    let config = clients.config(&region).await?;
    let client = forge_aws::s3::client(&config);
    let options = BootstrapOptions {
        bucket: bucket.to_string(),
        region: region.clone(),
        kms_key_id,
    };
    let report = bootstrap(&client, &options).await?;
    if !report.created {
        println!("Bucket {bucket} exists; its settings were brought in line.");
    }
    for step in &report.steps {
        println!("  - {step}");
    }
    println!(
        "\nUse it in a stack with:\n\nstate:\n  backend: s3\n  bucket: {bucket}\n  key: \"${{stack}}/${{env}}.json\"\n  region: {region}"
    );
    Ok(EXIT_OK)
}

/// The local state file of a stack (the default `.forge/state/` path).
fn local_of(loaded: &common::Loaded) -> LocalBackend {
    let s = &loaded.stack;
    let path = match &s.state {
        StateBackendConfig::Local { path } => path.clone(),
        StateBackendConfig::S3 { .. } => None,
    };
    LocalBackend::for_stack(&s.root, &s.name, s.environment.as_deref(), path.as_deref())
}

async fn migrate(args: &StackArgs, to: MigrateTarget) -> anyhow::Result<u8> {
    let Some(loaded) = common::load_state_only(args)? else {
        return Ok(EXIT_ERROR);
    };
    if !matches!(loaded.stack.state, StateBackendConfig::S3 { .. }) {
        bail!(
            "the stack's `state:` block names the local backend: set `state: {{backend: s3, bucket: ..., key: ...}}` \
             first, then migrate"
        );
    }
    let local = local_of(&loaded);
    let remote = loaded.backend.as_ref();
    let (from, target): (&dyn StateBackend, &dyn StateBackend) = match to {
        MigrateTarget::S3 => (&local, remote),
        MigrateTarget::Local => (remote, &local),
    };
    // Both locks are taken and released inside: never cut in half.
    let copied = signals::finish(copy_state(from, target))
        .await
        .with_context(|| format!("migrating {} to {}", from.location(), target.location()))?;
    println!(
        "Copied the state ({} resources, lineage {}) from {} to {}; it is now at serial {} and was read back and verified.",
        copied.resources,
        copied.lineage,
        from.location(),
        target.location(),
        copied.serial
    );
    if to == MigrateTarget::S3 {
        println!(
            "The local file {} is left as it was; delete it once you are happy.",
            local.path().display()
        );
    }
    Ok(EXIT_OK)
}

async fn push(file: &Path, args: &StackArgs, force: bool) -> anyhow::Result<u8> {
    let text = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let state = State::from_json(&text)
        .map_err(|e| anyhow::anyhow!("{} is not a valid forge state: {e}", file.display()))?;
    let Some(loaded) = common::load_state_only(args)? else {
        return Ok(EXIT_ERROR);
    };
    if state.stack != loaded.stack.name || state.environment != loaded.stack.environment {
        bail!(
            "{} is the state of stack `{}`{}, not of `{}`{}",
            file.display(),
            state.stack,
            state
                .environment
                .as_deref()
                .map(|e| format!(" (environment {e})"))
                .unwrap_or_default(),
            loaded.stack.name,
            loaded
                .stack
                .environment
                .as_deref()
                .map(|e| format!(" (environment {e})"))
                .unwrap_or_default()
        );
    }
    // A second instance remembers no lineage: only used when --force
    // replaces the stored history.
    let fresh = context::open_backend(&loaded.stack).context("opening the state backend")?;
    let copied = signals::finish(push_state(
        loaded.backend.as_ref(),
        Some(fresh.as_ref()),
        state,
        force,
    ))
    .await
    .with_context(|| {
        format!(
            "pushing {} to {}",
            file.display(),
            loaded.backend.location()
        )
    })?;
    println!(
        "Pushed {} to {}: {} resources, lineage {}, now serial {} (read back and verified).",
        file.display(),
        loaded.backend.location(),
        copied.resources,
        copied.lineage,
        copied.serial
    );
    Ok(EXIT_OK)
}

async fn pull(args: &StackArgs) -> anyhow::Result<u8> {
    let Some(loaded) = common::load_state_only(args)? else {
        return Ok(EXIT_ERROR);
    };
    let (state, _) = loaded.backend.read().await?;
    let Some(state) = state else {
        bail!("there is no state at {}", loaded.backend.location());
    };
    println!("{}", state.to_json_pretty()?);
    Ok(EXIT_OK)
}
