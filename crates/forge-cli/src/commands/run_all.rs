//! run-all: `forge plan|apply|destroy DIR --all [--all-envs]
//! [--parallelism-stacks N]` runs every stack under a folder in
//! dependency order (destroy: reverse order), in this process.
//!
//! Each (stack, environment) is a unit. A unit starts once the units it
//! waits for have finished well, at most `--parallelism-stacks` at a
//! time; when one fails, the units waiting for it (directly or not) are
//! skipped and the independent ones carry on. A unit is loaded only when
//! it starts, so it reads the outputs its dependencies just applied.
//! Each holds its own stack's state lock while it plans and applies.
//!
//! A signal stops new units from starting; applies in flight drain (and
//! save their state) as a single apply does. Output: each stack's plan as
//! it is made, one live line per running unit on a terminal (plain lines
//! otherwise), and a summary table at the end. Exit status 1 when any
//! unit failed (or was skipped for a failure), else 0.

use super::run_all_live::{Bar, Live};
use super::{EXIT_ERROR, EXIT_OK, common, json_stream, stacks::shown};
use crate::cli::{LockArgs, RunAllArgs, RunArgs, StackArgs};
use crate::{context, output, signals};
use forge_cli::render::{EventStream, render_plan};
use forge_core::spec::{StackTree, stack_tree};
use forge_engine::{ApplyOptions, Summary};
use serde_json::json;
use std::time::{Duration, Instant};

/// What run-all does to each stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `forge plan DIR --all`.
    Plan,
    /// `forge plan DIR --all --destroy`.
    PlanDestroy,
    /// `forge apply DIR --all`.
    Apply,
    /// `forge destroy DIR --all` (or `apply --destroy`).
    Destroy,
}

impl Op {
    /// Destroys run dependents first.
    fn reversed(self) -> bool {
        matches!(self, Op::PlanDestroy | Op::Destroy)
    }

    fn writes(self) -> bool {
        matches!(self, Op::Apply | Op::Destroy)
    }

    fn verb(self) -> &'static str {
        match self {
            Op::Plan | Op::PlanDestroy => "planning",
            Op::Apply => "applying",
            Op::Destroy => "destroying",
        }
    }
}

/// One stack in one environment.
#[derive(Debug, Clone)]
struct Unit {
    args: StackArgs,
    /// `network (dev)`.
    label: String,
    /// Units that must finish well first.
    waits_for: Vec<usize>,
}

/// How a unit ended.
#[derive(Debug, Clone)]
enum Outcome {
    /// Planned or applied with these counts (all zero: no changes).
    Done(Summary),
    /// It failed; why.
    Failed(String),
    /// Not run; why.
    Skipped(String),
}

impl Outcome {
    fn ok(&self) -> bool {
        matches!(self, Outcome::Done(_))
    }
}

/// Runs `op` over the tree under `args.stack`.
pub async fn run(
    op: Op,
    args: &StackArgs,
    lock: &LockArgs,
    run: Option<&RunArgs>,
    all: &RunAllArgs,
) -> anyhow::Result<u8> {
    let opts = match context::load_options(args) {
        Ok(opts) => opts,
        Err(diags) => {
            eprint!("{}", output::render_diagnostics(&diags));
            return Ok(EXIT_ERROR);
        }
    };
    let tree = match stack_tree(&args.stack, &opts) {
        Ok(tree) => tree,
        Err(diags) => {
            eprint!("{}", output::render_diagnostics(&diags));
            return Ok(EXIT_ERROR);
        }
    };
    let units = units(&tree, args, all.all_envs, op.reversed());
    let run = run.cloned().unwrap_or(RunArgs {
        auto_approve: false,
        parallelism: 10,
        json: false,
    });
    if op.writes() {
        json_stream::refuse_prompt(&run)?;
        let question = format!(
            "Do you want to {} {} stack{} under {} ({}), in dependency order?",
            if op == Op::Destroy {
                "destroy"
            } else {
                "apply"
            },
            units.len(),
            if units.len() == 1 { "" } else { "s" },
            args.stack.display(),
            units
                .iter()
                .map(|u| u.label.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
        if !common::confirm(&run, &question).await? {
            println!("\nCancelled.");
            return Ok(EXIT_ERROR);
        }
    }
    // Signals are handled here for every unit: no new unit after one,
    // applies in flight drain through the shared cancel token.
    let _applying = signals::Scope::applying();
    let started = Instant::now();
    let live = Live::new();
    let results = schedule(op, &units, lock, &run, all.parallelism_stacks.max(1), &live).await;
    live.clear();
    if run.json {
        json_stream::emit(&summary_line(&units, &results, started.elapsed()));
    } else {
        print!("{}", table(&units, &results));
    }
    for (unit, (outcome, _)) in units.iter().zip(&results) {
        if let Outcome::Failed(why) = outcome {
            eprintln!("error: {}: {why}", unit.label);
        }
    }
    if run.json {
        // The summary line said it all.
    } else {
        println!(
            "\n{} stack{} in {:.1}s.",
            units.len(),
            if units.len() == 1 { "" } else { "s" },
            started.elapsed().as_secs_f64()
        );
    }
    Ok(if results.iter().all(|(o, _)| o.ok()) {
        EXIT_OK
    } else {
        EXIT_ERROR
    })
}

/// The units of the tree: each stack in the chosen environment (`-e`,
/// skipping stacks that do not declare it; else its default), or in every
/// one it declares (`--all-envs`). A unit waits
/// for its dependencies' units in the environment it reads from them
/// (for a destroy: the units that read from it).
fn units(tree: &StackTree, args: &StackArgs, all_envs: bool, reversed: bool) -> Vec<Unit> {
    let mut units: Vec<(usize, Option<String>, Unit)> = Vec::new();
    for (i, s) in tree.stacks.iter().enumerate() {
        // A stack without environments runs once, as it is, whatever
        // `-e` names for the others.
        let envs: Vec<Option<String>> = if s.environments.is_empty() {
            vec![None]
        } else if all_envs {
            s.environments.iter().cloned().map(Some).collect()
        } else {
            match &args.env {
                // `-e dev` runs the stacks that have a dev; the others
                // are not part of it (their outputs are still read).
                Some(env) if !s.environments.contains(env) => continue,
                env => vec![env.clone()],
            }
        };
        for env in envs {
            let label = match &env {
                Some(e) => format!("{} ({e})", shown(&s.path)),
                None => shown(&s.path),
            };
            let mut unit_args = args.clone();
            unit_args.stack = s.path.clone();
            unit_args.env = env.clone();
            units.push((
                i,
                env,
                Unit {
                    args: unit_args,
                    label,
                    waits_for: Vec::new(),
                },
            ));
        }
    }
    let mut edges: Vec<(usize, usize)> = Vec::new();
    for (u, (i, env, _)) in units.iter().enumerate() {
        for d in &tree.stacks[*i].dependencies {
            let Some(t) = tree.find(&d.path) else {
                continue;
            };
            let wanted = if tree.stacks[t].environments.is_empty() {
                None
            } else {
                d.environment.clone().or_else(|| env.clone())
            };
            if let Some(v) = units.iter().position(|(j, e, _)| {
                *j == t && (e == &wanted || tree.stacks[t].environments.is_empty())
            }) {
                edges.push((u, v));
            }
        }
    }
    for (u, v) in edges {
        let (waiter, waited) = if reversed { (v, u) } else { (u, v) };
        units[waiter].2.waits_for.push(waited);
    }
    units.into_iter().map(|(_, _, u)| u).collect()
}

/// Runs the units as their dependencies allow; returns each one's outcome
/// and time, in unit order.
async fn schedule(
    op: Op,
    units: &[Unit],
    lock: &LockArgs,
    run: &RunArgs,
    limit: usize,
    live: &Live,
) -> Vec<(Outcome, Duration)> {
    let mut results: Vec<Option<(Outcome, Duration)>> = vec![None; units.len()];
    let mut running = vec![false; units.len()];
    let mut set = tokio::task::JoinSet::new();
    loop {
        for u in 0..units.len() {
            if results[u].is_some() || running[u] {
                continue;
            }
            let blocked = units[u]
                .waits_for
                .iter()
                .find(|&&w| results[w].as_ref().is_some_and(|(o, _)| !o.ok()));
            if let Some(&w) = blocked {
                let why = format!("{} did not finish", units[w].label);
                live.line(&format!("{}: skipped ({why})", units[u].label));
                unit_event(run, &units[u], "stack_skipped", json!({ "reason": why }));
                results[u] = Some((Outcome::Skipped(why), Duration::ZERO));
                continue;
            }
            let ready = units[u].waits_for.iter().all(|&w| results[w].is_some());
            if !ready || set.len() >= limit {
                continue;
            }
            if signals::interrupted() {
                results[u] = Some((Outcome::Skipped("interrupted".into()), Duration::ZERO));
                continue;
            }
            running[u] = true;
            let unit = units[u].clone();
            let (lock, run) = (lock.clone(), run.clone());
            let bar = live.start(&unit.label, op.verb());
            unit_event(
                &run,
                &unit,
                "stack_started",
                json!({ "operation": op.verb() }),
            );
            set.spawn(async move {
                let start = Instant::now();
                let outcome = run_unit(op, &unit, &lock, &run, bar.clone()).await;
                (u, outcome, start.elapsed(), bar)
            });
        }
        let Some(done) = set.join_next().await else {
            break;
        };
        match done {
            Ok((u, outcome, elapsed, bar)) => {
                live.finish(bar, &format!("{}: {}", units[u].label, describe(&outcome)));
                unit_ended(run, &units[u], &outcome, elapsed);
                running[u] = false;
                results[u] = Some((outcome, elapsed));
            }
            // A unit's task panicked: it cannot be told apart, so every
            // unit still running is reported failed when the set drains.
            Err(e) => {
                for u in 0..units.len() {
                    if running[u] && results[u].is_none() {
                        running[u] = false;
                        results[u] = Some((
                            Outcome::Failed(format!("the run stopped unexpectedly: {e}")),
                            Duration::ZERO,
                        ));
                        break;
                    }
                }
            }
        }
    }
    results
        .into_iter()
        .map(|r| r.unwrap_or((Outcome::Skipped("not reached".into()), Duration::ZERO)))
        .collect()
}

/// Plans (and applies) one unit under its stack's lock.
async fn run_unit(op: Op, unit: &Unit, lock: &LockArgs, run: &RunArgs, bar: Bar) -> Outcome {
    let loaded = match op {
        // A plan for review needs no secret; one to apply needs them all.
        Op::Plan | Op::PlanDestroy => common::load_read_only(&unit.args),
        Op::Apply | Op::Destroy => common::load(&unit.args),
    };
    let loaded = match loaded {
        Ok(Some(loaded)) => loaded,
        Ok(None) => return Outcome::Failed("the stack has errors (printed above)".into()),
        Err(e) => return Outcome::Failed(format!("{e:#}")),
    };
    let backend = loaded.backend.as_ref();
    let operation = match op {
        Op::Plan | Op::PlanDestroy => "plan",
        Op::Apply => "apply",
        Op::Destroy => "destroy",
    };
    let held = match common::acquire(backend, lock, operation).await {
        Ok(held) => held,
        Err(e) => return Outcome::Failed(format!("{e:#}")),
    };
    let outcome = async {
        let plan = common::plan(&loaded, op.reversed())
            .await
            .map_err(|e| e.to_string())?;
        let summary = plan.summary();
        if !plan.has_changes() && !plan.only_forgets() {
            return Ok(Summary::default());
        }
        let stream = unit_stream(unit).masking(&plan);
        if run.json {
            json_stream::emit(&stream.planned(&plan));
        } else {
            print!(
                "\n── {} ──\n{}",
                unit.label,
                render_plan(&plan, output::color())
            );
        }
        if !op.writes() {
            return Ok(summary);
        }
        let options = ApplyOptions {
            parallelism: run.parallelism.max(1),
            cancel: signals::cancel_token(),
            progress: Some(if run.json {
                json_stream::progress(&stream)
            } else {
                bar.progress(&unit.label)
            }),
            lock: false,
            lock_ttl: context::lock_ttl(),
            ..ApplyOptions::default()
        };
        let report = loaded
            .engine
            .apply(&plan, backend, &options)
            .await
            .map_err(|e| e.to_string())?;
        if let Some(state) = &report.unsaved_state {
            let kept = match common::save_emergency(&plan.config, state) {
                Ok(path) => format!(
                    "the state could not be saved; it is kept in {} (restore it with `forge state push`)",
                    path.display()
                ),
                Err(e) => format!("the state could not be saved, nor kept: {e:#}"),
            };
            return Err(kept);
        }
        if report.is_success() {
            return Ok(summary);
        }
        let first = report
            .failed
            .first()
            .map(|f| format!(": {} ({}): {}", f.address, f.action.as_str(), f.error))
            .unwrap_or_default();
        Err(stream.mask(&format!(
            "{} change{} failed{first}",
            report.failed.len().max(1),
            if report.failed.len() > 1 { "s" } else { "" }
        )))
    }
    .await;
    let released = common::release(backend, held).await;
    match (outcome, released) {
        (Ok(summary), Ok(())) => Outcome::Done(summary),
        (Ok(_), Err(e)) => Outcome::Failed(format!("{e:#}")),
        (Err(e), _) => Outcome::Failed(e),
    }
}

/// The event stream of one unit (`--json`): its lines name the stack and
/// environment.
fn unit_stream(unit: &Unit) -> EventStream {
    EventStream::new().for_unit(&shown(&unit.args.stack), unit.args.env.as_deref())
}

/// Writes a unit's event with `--json`.
fn unit_event(run: &RunArgs, unit: &Unit, kind: &str, fields: serde_json::Value) {
    if run.json {
        json_stream::emit(&unit_stream(unit).line(kind, fields));
    }
}

/// Writes how a unit ended with `--json`: `stack_finished` (with its
/// counts), `stack_failed` or `stack_skipped`.
fn unit_ended(run: &RunArgs, unit: &Unit, outcome: &Outcome, elapsed: Duration) {
    let elapsed_ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX);
    let (kind, fields) = match outcome {
        Outcome::Done(s) => (
            "stack_finished",
            json!({"add": s.add, "change": s.change, "destroy": s.destroy, "elapsed_ms": elapsed_ms}),
        ),
        Outcome::Failed(why) => (
            "stack_failed",
            json!({"error": why, "elapsed_ms": elapsed_ms}),
        ),
        Outcome::Skipped(why) => ("stack_skipped", json!({ "reason": why })),
    };
    unit_event(run, unit, kind, fields);
}

/// The `summary` line of a run-all with `--json`: how many units ended
/// each way, and whether all went well.
fn summary_line(units: &[Unit], results: &[(Outcome, Duration)], elapsed: Duration) -> String {
    let count = |f: fn(&Outcome) -> bool| results.iter().filter(|(o, _)| f(o)).count();
    EventStream::new().line(
        "summary",
        json!({
            "success": results.iter().all(|(o, _)| o.ok()),
            "stacks": units.len(),
            "finished": count(|o| matches!(o, Outcome::Done(_))),
            "failed": count(|o| matches!(o, Outcome::Failed(_))),
            "skipped": count(|o| matches!(o, Outcome::Skipped(_))),
            "elapsed_ms": u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
        }),
    )
}

fn describe(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Done(s) if *s == Summary::default() => "no changes".into(),
        Outcome::Done(s) => format!("+{} ~{} -{}", s.add, s.change, s.destroy),
        Outcome::Failed(why) => format!("failed: {why}"),
        Outcome::Skipped(why) => format!("skipped ({why})"),
    }
}

/// The summary table: one row per unit.
fn table(units: &[Unit], results: &[(Outcome, Duration)]) -> String {
    let head = ["STACK", "ENV", "RESULT", "ADD", "CHANGE", "DESTROY", "TIME"];
    let rows: Vec<[String; 7]> = units
        .iter()
        .zip(results)
        .map(|(unit, (outcome, elapsed))| {
            let (result, counts) = match outcome {
                Outcome::Done(s) if *s == Summary::default() => {
                    ("no changes".to_string(), Some(*s))
                }
                Outcome::Done(s) => ("ok".to_string(), Some(*s)),
                Outcome::Failed(_) => ("failed".to_string(), None),
                Outcome::Skipped(why) => (format!("skipped: {why}"), None),
            };
            let count = |f: fn(&Summary) -> usize| counts.map_or("-".into(), |s| f(&s).to_string());
            [
                shown(&unit.args.stack),
                unit.args.env.clone().unwrap_or_else(|| "-".into()),
                result,
                count(|s| s.add),
                count(|s| s.change),
                count(|s| s.destroy),
                if matches!(outcome, Outcome::Skipped(_)) {
                    "-".into()
                } else {
                    format!("{:.1}s", elapsed.as_secs_f64())
                },
            ]
        })
        .collect();
    let mut widths = head.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let text: Vec<String> = cells
            .iter()
            .zip(widths)
            .enumerate()
            .map(|(i, (c, w))| {
                // Counts and times right-aligned.
                if i >= 3 {
                    format!("{c:>w$}")
                } else {
                    format!("{c:<w$}")
                }
            })
            .collect();
        format!("{}\n", text.join("  ").trim_end())
    };
    let mut out = format!("\n{}", line(head.to_vec()));
    for row in &rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn write(dir: &Path, name: &str, text: &str) {
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{e}"));
        }
        std::fs::write(path, text).unwrap_or_else(|e| panic!("{e}"));
    }

    fn args(dir: &Path, env: Option<&str>) -> StackArgs {
        StackArgs {
            stack: dir.to_path_buf(),
            env: env.map(str::to_string),
            vars: Vec::new(),
            var_files: Vec::new(),
            region: None,
        }
    }

    /// `label <- waited-for labels`, one per unit.
    fn waits(units: &[Unit]) -> Vec<String> {
        units
            .iter()
            .map(|u| {
                let on: Vec<&str> = u
                    .waits_for
                    .iter()
                    .map(|&w| units[w].label.as_str())
                    .collect();
                format!("{} <- [{}]", u.label, on.join(", "))
            })
            .collect()
    }

    #[test]
    fn units_wait_for_their_dependencies_in_the_environment_they_read() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let root = dir.path();
        write(
            root,
            "network/main.yaml",
            "stack: n\nenvironments: {dev: {}, prod: {}}\n",
        );
        write(
            root,
            "shared/main.yaml",
            "stack: s\nenvironments: {ops: {}}\n",
        );
        write(root, "tools/main.yaml", "stack: t\n");
        write(
            root,
            "app/main.yaml",
            "stack: a\nenvironments: {dev: {}, prod: {}}\ndependencies:\n  network: {path: ../network}\n  shared: {path: ../shared, environment: ops}\n  tools: {path: ../tools}\n",
        );
        let tree = stack_tree(root, &Default::default()).unwrap_or_else(|e| panic!("{e}"));
        let prefix = format!("{}/", root.display());
        let strip = |v: Vec<String>| -> Vec<String> {
            v.into_iter().map(|s| s.replace(&prefix, "")).collect()
        };
        let all = units(&tree, &args(root, None), true, false);
        assert_eq!(
            strip(waits(&all)),
            [
                "network (dev) <- []",
                "network (prod) <- []",
                "shared (ops) <- []",
                "tools <- []",
                "app (dev) <- [network (dev), shared (ops), tools]",
                "app (prod) <- [network (prod), shared (ops), tools]",
            ]
        );
        // Destroy: the other way round; `-e dev` runs the stacks that have
        // a dev (and those without environments), not `shared`.
        let dev = units(&tree, &args(root, Some("dev")), false, true);
        assert_eq!(
            strip(waits(&dev)),
            [
                "network (dev) <- [app (dev)]",
                "tools <- [app (dev)]",
                "app (dev) <- []",
            ]
        );
    }

    #[test]
    fn the_summary_table_shows_every_unit() {
        let unit = |label: &str, env: Option<&str>| Unit {
            args: args(Path::new(label), env),
            label: label.to_string(),
            waits_for: Vec::new(),
        };
        let units = [
            unit("network", Some("dev")),
            unit("tools", None),
            unit("app", Some("dev")),
        ];
        let results = [
            (Outcome::Failed("boom".into()), Duration::from_millis(100)),
            (
                Outcome::Done(Summary {
                    add: 1,
                    ..Summary::default()
                }),
                Duration::from_millis(2500),
            ),
            (
                Outcome::Skipped("network (dev) did not finish".into()),
                Duration::ZERO,
            ),
        ];
        insta::assert_snapshot!(table(&units, &results));
    }
}
