//! `forge drift`: compare the live cloud with the state and the spec,
//! read-only. One stack prints the report; several (a folder of stacks,
//! several paths, or `--all-envs`) are checked concurrently and summed up
//! in one table. Exit 0 = no drift, 2 = drift, 1 = error (the worst of all
//! stacks).

use super::common;
use super::{EXIT_CHANGES, EXIT_ERROR};
use crate::cli::{DriftArgs, StackArgs};
use crate::{context, output};
use anyhow::Context;
use forge_cli::render::{render_drift, render_summary};
use forge_core::spec::is_stack;
use forge_engine::{DriftError, DriftOptions, DriftOutcome, DriftReport, DriftSummary, StackDrift};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

/// Runs `forge drift`.
pub async fn run(args: &DriftArgs) -> anyhow::Result<u8> {
    let (targets, expanded) = if args.all {
        // `--all`: the tree under each path, found as run-all finds it.
        let found: Vec<PathBuf> = args
            .paths
            .iter()
            .flat_map(|p| forge_core::spec::find_stacks(p))
            .collect();
        if found.is_empty() {
            anyhow::bail!("no stacks under the paths given");
        }
        (found, true)
    } else {
        find_stacks(&args.paths)?
    };
    if !args.all && !args.all_envs && !expanded && targets.len() == 1 {
        return single(args, &targets[0]).await;
    }
    many(args, targets).await
}

fn stack_args(args: &DriftArgs, path: &Path, env: Option<String>) -> StackArgs {
    StackArgs {
        stack: path.to_path_buf(),
        env,
        vars: args.vars.clone(),
        var_files: args.var_files.clone(),
        region: args.region.clone(),
    }
}

fn options(args: &DriftArgs) -> DriftOptions {
    DriftOptions {
        orphans: !args.no_orphans,
        ..DriftOptions::default()
    }
}

fn write_output(path: &Path, json: &str) -> anyhow::Result<()> {
    std::fs::write(path, format!("{json}\n"))
        .with_context(|| format!("writing the drift report to {}", path.display()))
}

/// One stack: the full report.
async fn single(args: &DriftArgs, path: &Path) -> anyhow::Result<u8> {
    let Some(loaded) = common::load_read_only(&stack_args(args, path, args.env.clone()))? else {
        return Ok(EXIT_ERROR);
    };
    let report = match loaded
        .engine
        .drift(&loaded.stack, loaded.backend.as_ref(), &options(args))
        .await
    {
        Ok(report) => report,
        // Still a report, so a scheduled job reading `--output` sees the
        // error rather than a missing or stale file.
        Err(e) => error_report(
            &loaded.stack.name,
            loaded.stack.environment.clone(),
            e.to_string(),
        ),
    };
    let json = report.to_json_string();
    if args.json {
        println!("{json}");
    } else {
        print!("{}", render_drift(&report, output::color()));
    }
    if let Some(out) = &args.output {
        write_output(out, &json)?;
    }
    Ok(exit_status(report.outcome))
}

fn error_report(stack: &str, environment: Option<String>, message: String) -> DriftReport {
    let mut report = DriftReport::new(stack, environment);
    report.errors.push(DriftError {
        kind: None,
        region: None,
        address: None,
        message,
    });
    report.finish();
    report
}

/// Many stacks × environments, `--parallelism` at a time.
async fn many(args: &DriftArgs, targets: Vec<PathBuf>) -> anyhow::Result<u8> {
    let started = std::time::SystemTime::now();
    let mut jobs = Vec::new();
    let mut stacks = Vec::new();
    for path in targets {
        let envs: Vec<Option<String>> = if args.all_envs {
            match environments(args, &path) {
                Ok(names) if names.is_empty() => vec![None],
                Ok(names) => names.into_iter().map(Some).collect(),
                Err(failed) => {
                    stacks.push(*failed);
                    continue;
                }
            }
        } else {
            vec![args.env.clone()]
        };
        for env in envs {
            jobs.push(stack_args(args, &path, env));
        }
    }
    let limit = Arc::new(tokio::sync::Semaphore::new(args.parallelism.max(1)));
    let mut set = tokio::task::JoinSet::new();
    let opts = options(args);
    for job in jobs {
        let limit = Arc::clone(&limit);
        let opts = opts.clone();
        set.spawn(async move {
            // The semaphore lives as long as every task; it is never closed.
            let _permit = limit.acquire_owned().await.ok();
            check_one(job, &opts).await
        });
    }
    while let Some(done) = set.join_next().await {
        stacks.push(done.context("a drift check task failed")?);
    }
    let summary = DriftSummary::new(started.into(), stacks);
    let json = summary.to_json_string();
    if args.json {
        println!("{json}");
    } else {
        print!("{}", render_summary(&summary));
        print_problems(&summary);
    }
    if let Some(out) = &args.output {
        write_output(out, &json)?;
    }
    Ok(exit_status(summary.outcome))
}

/// The exit status of a drift check: 0 no drift, 2 drift, 1 error.
fn exit_status(outcome: DriftOutcome) -> u8 {
    match outcome {
        DriftOutcome::NoDrift => super::EXIT_OK,
        DriftOutcome::Drift => EXIT_CHANGES,
        DriftOutcome::Error => EXIT_ERROR,
    }
}

async fn check_one(args: StackArgs, options: &DriftOptions) -> StackDrift {
    let start = Instant::now();
    let path = args.stack.display().to_string();
    let env = args.env.clone();
    let loaded = match common::load_read_only(&args) {
        Ok(Some(loaded)) => loaded,
        Ok(None) => {
            let message = "the stack has errors (printed above)".to_string();
            return StackDrift::failed(path, env, start.elapsed().as_secs_f64(), message);
        }
        Err(e) => {
            return StackDrift::failed(path, env, start.elapsed().as_secs_f64(), format!("{e:#}"));
        }
    };
    match loaded
        .engine
        .drift(&loaded.stack, loaded.backend.as_ref(), options)
        .await
    {
        Ok(report) => StackDrift::checked(path, env, start.elapsed().as_secs_f64(), report),
        Err(e) => StackDrift::failed(path, env, start.elapsed().as_secs_f64(), e.to_string()),
    }
}

/// Below the table: what drifted and what failed, one line each, so a
/// cron mail says where to look.
fn print_problems(summary: &DriftSummary) {
    for s in &summary.stacks {
        let env = s
            .environment
            .as_deref()
            .map(|e| format!(" -e {e}"))
            .unwrap_or_default();
        if let Some(e) = &s.error {
            eprintln!("error: {}{env}: {e}", s.path);
        }
        let Some(r) = &s.report else { continue };
        for e in &r.errors {
            eprintln!("error: {}{env}: {}", s.path, e.message);
        }
        if r.has_drift() {
            let mut what: Vec<String> = r
                .drifted
                .iter()
                .map(|d| format!("{} changed", d.address))
                .collect();
            what.extend(r.deleted.iter().map(|d| format!("{} deleted", d.address)));
            what.extend(
                r.orphans
                    .iter()
                    .map(|o| format!("{} {} not in state", o.kind, o.id)),
            );
            println!("drift: {}{env}: {}", s.path, what.join(", "));
        }
    }
}

/// The stacks the paths name, and whether any path was a folder of stacks
/// (which makes it a many-stack check). A path that is a stack is used as
/// is; a folder that is not one contributes its subfolders that are
/// stacks (not `_`- or `.`-prefixed ones, which hold includes).
fn find_stacks(paths: &[PathBuf]) -> anyhow::Result<(Vec<PathBuf>, bool)> {
    let mut out = Vec::new();
    let mut expanded = false;
    for path in paths {
        if is_stack(path) {
            out.push(path.clone());
            continue;
        }
        if !path.is_dir() {
            anyhow::bail!(
                "{} is neither a stack nor a folder of stacks",
                path.display()
            );
        }
        let mut subs = forge_core::spec::subfolders(path)
            .with_context(|| format!("reading {}", path.display()))?;
        subs.retain(|p| is_stack(p));
        if subs.is_empty() {
            anyhow::bail!(
                "no stacks in {}: a stack is a folder with a YAML file holding `stack:` or `resources:`",
                path.display()
            );
        }
        out.extend(subs);
        expanded = true;
    }
    Ok((out, expanded))
}

/// The environments the stack declares (its included files' too), for
/// `--all-envs`; a stack whose files cannot be read is a failed entry
/// (its diagnostics printed, as a failed load prints them).
fn environments(args: &DriftArgs, path: &Path) -> Result<Vec<String>, Box<StackDrift>> {
    let found = context::load_options(&stack_args(args, path, None))
        .and_then(|opts| forge_core::spec::stack_environments(path, &opts));
    found.map_err(|diags| {
        eprint!("{}", output::render_diagnostics(&diags));
        Box::new(StackDrift::failed(
            path.display().to_string(),
            None,
            0.0,
            "the stack has errors (printed above)".into(),
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_status_is_0_no_drift_2_drift_1_error() {
        assert_eq!(exit_status(DriftOutcome::NoDrift), 0);
        assert_eq!(exit_status(DriftOutcome::Drift), 2);
        assert_eq!(exit_status(DriftOutcome::Error), 1);
    }

    #[test]
    fn folders_of_stacks_expand_and_skip_includes() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let root = dir.path();
        for (sub, text) in [
            ("a", "stack: a\nresources: {}\n"),
            ("b", "resources: {}\n"),
            ("_envcommon", "stack: common\n"),
            ("docs", "title: not a stack\n"),
        ] {
            std::fs::create_dir(root.join(sub)).unwrap_or_else(|e| panic!("{e}"));
            std::fs::write(root.join(sub).join("main.yaml"), text)
                .unwrap_or_else(|e| panic!("{e}"));
        }
        let (found, expanded) =
            find_stacks(&[root.to_path_buf()]).unwrap_or_else(|e| panic!("{e}"));
        assert!(expanded);
        assert_eq!(found, [root.join("a"), root.join("b")]);
        let (found, expanded) = find_stacks(&[root.join("a")]).unwrap_or_else(|e| panic!("{e}"));
        assert!(!expanded);
        assert_eq!(found, [root.join("a")]);
        assert!(find_stacks(&[root.join("docs")]).is_err());
    }
}
