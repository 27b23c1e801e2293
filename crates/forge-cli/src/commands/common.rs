//! What plan, apply and destroy share: loading, planning, confirming,
//! applying with live progress, and reporting.

use super::json_stream;
use super::{EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK};
use crate::cli::{LockArgs, RunArgs, StackArgs};
use crate::context::VarsNeeded;
use crate::{context, output, progress, signals};
use anyhow::{Context, bail};
use forge_cli::render::{EventStream, render_apply_summary, render_plan};
use forge_core::spec::Stack;
use forge_engine::state::{LockInfo, State};
use forge_engine::{
    ApplyOptions, ApplyReport, Engine, EngineError, LockError, Plan, PlanOptions, StateBackend,
};
use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// A loaded stack with its engine and state backend.
pub struct Loaded {
    pub engine: Engine,
    pub stack: Stack,
    pub backend: Box<dyn StateBackend>,
}

/// Loads the stack (printing diagnostics and returning `None` on errors).
pub fn load(args: &StackArgs) -> anyhow::Result<Option<Loaded>> {
    load_with(args, VarsNeeded::All)
}

/// Loads the stack for a read-only command that evaluates resources
/// (`drift`, `plan` without `-out`): a secret var with no value is left
/// unknown (see [`VarsNeeded::NoSecrets`]).
pub fn load_read_only(args: &StackArgs) -> anyhow::Result<Option<Loaded>> {
    load_with(args, VarsNeeded::NoSecrets)
}

/// Loads the stack for a command that only reads or edits the state and
/// never evaluates resources (`state list|show|rm|mv|pull|push|migrate`,
/// `output`, `force-unlock`): vars without a value are not required.
pub fn load_state_only(args: &StackArgs) -> anyhow::Result<Option<Loaded>> {
    load_with(args, VarsNeeded::None)
}

fn load_with(args: &StackArgs, needs: VarsNeeded) -> anyhow::Result<Option<Loaded>> {
    let registry = context::registry();
    let stack = match context::load_stack(args, &registry, needs) {
        Ok(stack) => stack,
        Err(diags) => {
            eprint!("{}", output::render_diagnostics(&diags));
            return Ok(None);
        }
    };
    let (registry, clients) = context::registry_for(&stack);
    // Commands that only read or edit the state never call the stack's
    // resources' credentials.
    if needs != VarsNeeded::None {
        context::verify_account(&clients, &stack.region)?;
    }
    // What expands over data sources is expanded once they are read (not
    // for commands that only touch the state: they use no instance).
    let stack = match needs {
        VarsNeeded::None => stack,
        _ => match context::expand_with_data(args, &registry, needs, stack)? {
            Ok(stack) => stack,
            Err(diags) => {
                eprint!("{}", output::render_diagnostics(&diags));
                return Ok(None);
            }
        },
    };
    let backend = context::open_backend(&stack).context("opening the state backend")?;
    Ok(Some(Loaded {
        engine: Engine::new(registry),
        stack,
        backend,
    }))
}

/// Waits (up to `--lock-timeout`) until nobody holds the state lock, so a
/// run that would block starts planning only once it can proceed.
pub async fn wait_for_lock(backend: &dyn StateBackend, lock: &LockArgs) -> anyhow::Result<()> {
    if !lock.lock {
        return Ok(());
    }
    let deadline = Instant::now() + lock.lock_timeout.unwrap_or_default();
    loop {
        match backend.lock_info().await {
            Ok(None) => return Ok(()),
            // An expired lock's run is gone: taking the lock takes it over.
            Ok(Some(info)) if info.expired(chrono::Utc::now()) => return Ok(()),
            Ok(Some(info)) if Instant::now() < deadline => {
                let _ = info;
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Ok(Some(info)) => {
                return Err(LockError::Held {
                    info: Box::new(info),
                }
                .into());
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// Plans (or plans destroy).
pub async fn plan(loaded: &Loaded, destroy: bool) -> Result<Plan, EngineError> {
    plan_with(loaded, destroy, &PlanOptions::default()).await
}

/// Plans (or plans destroy) with `-refresh` / `-replace` options.
pub async fn plan_with(
    loaded: &Loaded,
    destroy: bool,
    options: &PlanOptions,
) -> Result<Plan, EngineError> {
    if destroy {
        loaded
            .engine
            .plan_destroy(&loaded.stack, loaded.backend.as_ref(), options)
            .await
    } else {
        loaded
            .engine
            .plan(&loaded.stack, loaded.backend.as_ref(), options)
            .await
    }
}

/// Asks for `yes` unless `--auto-approve`; refuses without a terminal.
/// The answer is read off the async runtime so a signal during the prompt
/// still stops the command (and releases the lock).
pub async fn confirm(run: &RunArgs, question: &str) -> anyhow::Result<bool> {
    if run.auto_approve {
        return Ok(true);
    }
    super::json_stream::refuse_prompt(run)?;
    if !output::prompts_allowed() {
        bail!(
            "{question} needs confirmation, and there is no terminal to ask on (or -input=false was given): run with --auto-approve"
        );
    }
    print!("\n{question}\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: ");
    std::io::stdout().flush().context("writing the prompt")?;
    let answer = tokio::task::spawn_blocking(|| {
        let mut answer = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut answer)
            .map(|_| answer)
    })
    .await
    .context("reading the answer")?
    .context("reading the answer")?;
    Ok(answer.trim() == "yes")
}

/// A state lock this command holds; give it back with [`release`].
#[must_use = "a held lock must be released"]
pub struct HeldLock(Option<String>);

/// Takes the state lock for `operation` (unless `--lock=false`), waiting up
/// to `--lock-timeout` while another run holds it. An expired lock (its run
/// was killed and stopped renewing it) is taken over.
pub async fn acquire(
    backend: &dyn StateBackend,
    lock: &LockArgs,
    operation: &str,
) -> anyhow::Result<HeldLock> {
    if !lock.lock {
        return Ok(HeldLock(None));
    }
    let deadline = Instant::now() + lock.lock_timeout.unwrap_or_default();
    if let Ok(Some(info)) = backend.lock_info().await
        && info.expired(chrono::Utc::now())
    {
        eprintln!(
            "The state lock {} taken by {} for {} at {} has expired (that run stopped renewing it); taking it over.",
            info.id,
            info.who,
            info.operation,
            info.created.to_rfc3339()
        );
    }
    let mut told = false;
    loop {
        // Never cut in half by a signal: a lock taken by a request whose
        // answer was dropped would be held by nobody.
        match signals::finish(backend.lock(LockInfo::new(operation, context::lock_ttl()))).await {
            Ok(guard) => {
                tracing::debug!(
                    lock_id = %guard.info.id, operation, location = %backend.location(),
                    "took the state lock"
                );
                return Ok(HeldLock(Some(guard.info.id)));
            }
            Err(LockError::Held { info }) if Instant::now() < deadline => {
                if !told {
                    eprintln!(
                        "Waiting for the state lock held by {} for {} (lock id {})...",
                        info.who, info.operation, info.id
                    );
                    told = true;
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// Releases a lock taken with [`acquire`].
pub async fn release(backend: &dyn StateBackend, held: HeldLock) -> anyhow::Result<()> {
    if let Some(id) = held.0 {
        backend
            .unlock(&id)
            .await
            .with_context(|| format!("releasing the state lock {id}"))?;
        tracing::debug!(lock_id = %id, location = %backend.location(), "released the state lock");
    }
    Ok(())
}

/// Runs `work` holding the state lock, releasing it on every way out —
/// a signal included: the first SIGINT/SIGTERM drops `work` (unless an
/// apply inside it is draining, which it then lets finish), releases the
/// lock and returns [`signals::Interrupted`].
pub async fn locked<T>(
    backend: &dyn StateBackend,
    lock: &LockArgs,
    operation: &str,
    work: impl std::future::Future<Output = anyhow::Result<T>>,
) -> anyhow::Result<T> {
    let scope = signals::Scope::release();
    let held = tokio::select! {
        biased;
        () = scope.interrupted() => return Err(signals::Interrupted.into()),
        held = acquire(backend, lock, operation) => held?,
    };
    let out = tokio::select! {
        biased;
        () = scope.interrupted() => Err(signals::Interrupted.into()),
        out = work => out,
    };
    let holding = held.0.is_some();
    // Still inside the scope: a signal cannot cut the release short.
    let released = release(backend, held).await;
    if holding && released.is_ok() && signals::interrupted() {
        eprintln!("Released the state lock.");
    }
    drop(scope);
    match (out, released) {
        (Ok(v), Ok(())) => Ok(v),
        (Ok(_), Err(e)) => Err(e),
        (Err(e), Err(r)) => {
            eprintln!("warning: {r:#}");
            Err(e)
        }
        (Err(e), Ok(())) => Err(e),
    }
}

/// Keeps a state that could not be saved in
/// `<stack root>/.forge/emergency/<stack>-<env>-<timestamp>.json`.
pub(super) fn save_emergency(stack: &Stack, state: &State) -> anyhow::Result<PathBuf> {
    let dir = stack.root.join(".forge").join("emergency");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let name = format!(
        "{}-{}-{}.json",
        stack.name,
        stack.environment.as_deref().unwrap_or("default"),
        chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ")
    );
    let path = dir.join(name);
    let text = state.to_json_pretty().context("serializing the state")?;
    std::fs::write(&path, text + "\n").with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

/// Applies `plan` (the caller holds the lock) with live progress and
/// Ctrl-C handling; prints the summary; returns the exit status. A state
/// that could not be saved is written to an emergency file.
pub async fn execute(
    engine: &Engine,
    plan: &Plan,
    backend: &dyn StateBackend,
    run: &RunArgs,
) -> anyhow::Result<u8> {
    // The apply drains on the first signal and aborts on the second.
    let cancel = signals::cancel_token();
    let _applying = signals::Scope::applying();
    let stream = EventStream::new().masking(plan);
    let options = ApplyOptions {
        parallelism: run.parallelism.max(1),
        cancel: cancel.clone(),
        progress: Some(if run.json {
            json_stream::progress(&stream)
        } else {
            progress::reporter()
        }),
        lock: false,
        lock_ttl: context::lock_ttl(),
        ..ApplyOptions::default()
    };
    let report = engine.apply(plan, backend, &options).await?;
    if run.json {
        json_stream::emit(&stream.summary(&report));
    } else {
        print_report(&report);
    }
    if let Some(state) = &report.unsaved_state {
        let stack = &plan.config;
        match save_emergency(stack, state) {
            Ok(path) => {
                let env = stack
                    .environment
                    .as_ref()
                    .map(|e| format!(" -e {e}"))
                    .unwrap_or_default();
                eprintln!(
                    "\nforge stopped starting new work because the state could not be saved to {}.\n\
                     The state as it should be (serial {}) is kept in\n  {}\n\
                     Restore it once the backend works again with:\n  forge state push {} {}{env}",
                    backend.location(),
                    state.serial,
                    path.display(),
                    path.display(),
                    stack.root.display()
                );
            }
            Err(e) => eprintln!("\nThe state could not be kept in an emergency file either: {e:#}"),
        }
        return Ok(EXIT_ERROR);
    }
    Ok(if report.cancelled.is_some() {
        EXIT_INTERRUPTED
    } else if report.is_success() {
        EXIT_OK
    } else {
        EXIT_ERROR
    })
}

/// Shows the plan about to be applied: the human rendering, or with
/// `--json` the `planned` event.
pub fn show_plan(plan: &Plan, run: &RunArgs) {
    if run.json {
        json_stream::emit(&EventStream::new().planned(plan));
    } else {
        print!("{}", render_plan(plan, output::color()));
    }
}

/// Ends an apply that has nothing to do; with `--json`, with the
/// `summary` event a reader waits for.
pub fn nothing_to_do(plan: &Plan, run: &RunArgs) -> u8 {
    if run.json {
        let report = ApplyReport {
            destroy: plan.destroy,
            ..ApplyReport::default()
        };
        json_stream::emit(&EventStream::new().summary(&report));
    }
    EXIT_OK
}

fn print_report(report: &ApplyReport) {
    for f in &report.failed {
        eprintln!("Error: {} ({}): {}", f.address, f.action.as_str(), f.error);
    }
    for s in &report.skipped {
        eprintln!(
            "Skipped: {} ({}): {}",
            s.address,
            s.action.as_str(),
            s.reason
        );
    }
    if let Some(e) = &report.state_error {
        eprintln!("Error saving state: {e}");
    }
    println!("\n{}", render_apply_summary(report));
    if report.is_success() && !report.outputs.is_empty() {
        println!("\nOutputs:\n");
        for (name, o) in &report.outputs {
            let shown = if o.sensitive {
                "(sensitive)".to_string()
            } else {
                o.value.to_string()
            };
            println!("{name} = {shown}");
        }
    }
}
