//! The apply entry point: lock, check the plan is current and consistent
//! ([`crate::plan::verify`]), run the
//! scheduler next to the state writer, save outputs, unlock.

use super::graph::ApplyGraph;
use super::node::{Shared, seed_value};
use super::ready::ReadinessHub;
use super::scheduler::{NodeStatus, schedule};
use super::{ApplyOptions, ApplyReport, FailedChange, SkippedChange, writer};
use crate::error::EngineError;
use crate::plan::{ChangeAction, Plan};
use crate::registry::ProviderRegistry;
use crate::state::{LockInfo, OutputState, PendingIntent, PendingOperation, State, StateBackend};
use crate::values::AttrValues;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use tokio::sync::Semaphore;

/// Applies `plan`, holding the lock if asked.
pub async fn apply(
    registry: Arc<ProviderRegistry>,
    plan: &Plan,
    backend: &dyn StateBackend,
    options: &ApplyOptions,
) -> Result<ApplyReport, EngineError> {
    let guard = if options.lock {
        let op = if plan.destroy { "destroy" } else { "apply" };
        Some(backend.lock(LockInfo::new(op, options.lock_ttl)).await?)
    } else {
        None
    };
    let result = apply_locked(registry, plan, backend, options).await;
    if let Some(g) = guard {
        let unlocked = backend.unlock(&g.info.id).await;
        if let (Ok(_), Err(e)) = (&result, unlocked) {
            return Err(e.into());
        }
    }
    result
}

fn check_current(plan: &Plan, state: &Option<State>) -> Result<(), EngineError> {
    let stale = |lineage: &str, serial| EngineError::StalePlan {
        plan_lineage: plan.lineage.clone(),
        plan_serial: plan.serial,
        state_lineage: lineage.to_string(),
        state_serial: serial,
    };
    match state {
        Some(s) if !plan.state_exists || s.lineage != plan.lineage || s.serial != plan.serial => {
            Err(stale(&s.lineage, s.serial))
        }
        None if plan.state_exists => Err(stale("none (the state was deleted)", 0)),
        _ => Ok(()),
    }
}

async fn apply_locked(
    registry: Arc<ProviderRegistry>,
    plan: &Plan,
    backend: &dyn StateBackend,
    options: &ApplyOptions,
) -> Result<ApplyReport, EngineError> {
    let started = tokio::time::Instant::now();
    let (state, token) = backend.read().await?;
    check_current(plan, &state)?;
    let mut state = state.unwrap_or_else(|| {
        State::with_lineage(
            plan.stack.clone(),
            plan.environment.clone(),
            plan.lineage.clone(),
        )
    });
    // The renames and forgets of `moved:` / `removed:` blocks, as planned.
    crate::plan::moves::replay(plan, &mut state)?;
    // Objects the plan's refresh found deleted outside forge (a create in
    // the plan records a fresh entry for those still in the spec).
    for address in &plan.forget {
        state.remove(address);
    }
    // Objects of `import:` blocks are recorded before they are acted on.
    crate::plan::imports::record(plan, &mut state);
    // Every action must follow from the plan's own configuration and
    // recorded states: an edited plan is refused before anything runs.
    crate::plan::verify::check_actions(plan, &state, &registry)?;
    let graph = ApplyGraph::build(plan, &state).map_err(|message| EngineError::Plan {
        stack: plan.stack.clone(),
        problems: vec![crate::error::PlanProblem {
            address: None,
            message,
        }],
    })?;

    let mut values = AttrValues::new();
    for c in &plan.changes {
        if c.deposed {
            continue;
        }
        // A resource on its way out is no longer in the spec: expressions
        // (`${subnet[*].id}`) must not see it, or an update running before
        // its delete would keep pointing at it.
        if let Some(v) = seed_value(c).filter(|_| c.action != ChangeAction::Delete) {
            values.insert(c.address.clone(), v);
        }
        // Record what refresh saw of unchanged resources.
        if c.action == ChangeAction::NoOp
            && let (Some(before), Some(r)) = (&c.before, state.get_mut(&c.address))
        {
            r.attributes = before.clone();
        }
    }

    let mut groups: HashMap<&'static str, Arc<Semaphore>> = HashMap::new();
    for kind in registry.kinds() {
        if let Some((g, limit)) = registry.get(kind).and_then(|p| p.concurrency()) {
            groups
                .entry(g)
                .or_insert_with(|| Arc::new(Semaphore::new(limit.max(1))));
        }
    }
    // Every create's intent (address + idempotency token) is recorded in
    // the first write, before any create is called: one durable write
    // instead of one per create on the critical path.
    let mut tokens = HashMap::new();
    for (i, node) in graph.nodes.iter().enumerate() {
        if node.op == super::Operation::Create {
            let c = &plan.changes[node.change];
            let token = c
                .pending_token
                .clone()
                .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
            let r = state.entry(&c.address, &c.kind, &c.region);
            r.alias = c.alias.clone();
            r.pending = Some(PendingIntent {
                operation: PendingOperation::Create,
                token: token.clone(),
                started_at: chrono::Utc::now(),
            });
            tokens.insert(i, token);
        }
    }
    let has_creates = !tokens.is_empty();
    let (handle, rx) = writer::channel();
    let plan_arc = Arc::new(plan.clone());
    let statuses = super::node::LastStatus::default();
    let progress = Some(super::node::tracking(
        options.progress.clone(),
        statuses.clone(),
    ));
    let shared = Arc::new(Shared {
        plan: plan_arc.clone(),
        nodes: graph.nodes,
        registry,
        values: std::sync::Mutex::new(values),
        writer: handle.clone(),
        global: Arc::new(Semaphore::new(options.parallelism.max(1))),
        groups,
        hub: ReadinessHub::new(
            crate::ownership::Owner::of_plan(plan),
            options.retry.clone(),
            progress.clone(),
        ),
        progress,
        retry: options.retry.clone(),
        in_flight: Default::default(),
        max_in_flight: Default::default(),
        tokens,
        cancel: options.cancel.clone(),
        statuses,
    });

    let scheduler = async {
        if has_creates && let Err(e) = handle.durable(Box::new(|_| {})).await {
            handle.close();
            return Err(e);
        }
        let (status, cancelled) = schedule(shared.clone(), &options.cancel).await;
        // Creates that never started cannot have left anything behind.
        let unstarted: Vec<_> = status
            .iter()
            .enumerate()
            .filter(|(i, st)| {
                shared.nodes[*i].op == super::Operation::Create
                    && matches!(st, NodeStatus::Skipped(_))
            })
            .map(|(i, _)| {
                (
                    plan.changes[shared.nodes[i].change].address.clone(),
                    shared.tokens.get(&i).cloned(),
                )
            })
            .collect();
        handle.record(Box::new(move |s: &mut State| {
            for (address, token) in unstarted {
                let Some(r) = s.get_mut(&address) else {
                    continue;
                };
                if r.pending.as_ref().map(|p| &p.token) == token.as_ref() {
                    r.pending = None;
                    if r.id.is_none() {
                        s.remove(&address);
                    }
                }
            }
        }));
        if cancelled != Some(crate::cancel::CancelLevel::Abort) {
            let outputs = evaluate_outputs(&shared);
            let destroy = plan.destroy;
            handle.record(Box::new(move |s: &mut State| {
                if destroy {
                    s.outputs.clear();
                } else {
                    apply_outputs(s, outputs);
                }
            }));
        }
        handle.close();
        Ok((status, cancelled))
    };
    state.sort();
    let (outcome, sched) = tokio::join!(
        writer::run(backend, state, token, rx, &options.cancel),
        scheduler
    );
    let (status, cancelled) = sched.map_err(|e| {
        EngineError::State(crate::state::BackendError::Other(format!(
            "recording create intents failed, nothing was changed: {e}"
        )))
    })?;

    let mut report = ApplyReport {
        state_writes: outcome.writes,
        cancelled,
        unsaved_state: outcome.error.is_some().then(|| outcome.state.clone()),
        state_error: outcome.error,
        outputs: outcome.state.outputs.clone(),
        serial: outcome.state.serial,
        destroy: plan.destroy,
        max_in_flight: shared
            .max_in_flight
            .load(std::sync::atomic::Ordering::SeqCst),
        ..Default::default()
    };
    // One line per change: a replacement is two steps.
    let mut per_change: BTreeMap<usize, Vec<&NodeStatus>> = BTreeMap::new();
    for (i, st) in status.iter().enumerate() {
        per_change
            .entry(shared.nodes[i].change)
            .or_default()
            .push(st);
    }
    for (ci, sts) in per_change {
        let c = &plan.changes[ci];
        if let Some(NodeStatus::Failed(e)) = sts.iter().find(|s| matches!(s, NodeStatus::Failed(_)))
        {
            report.failed.push(FailedChange {
                address: c.address.clone(),
                action: c.action,
                error: e.clone(),
            });
        } else if sts
            .iter()
            .any(|s| matches!(s, NodeStatus::Running | NodeStatus::Interrupted))
        {
            report.interrupted.push((c.address.clone(), c.action));
        } else if let Some(NodeStatus::Skipped(r)) =
            sts.iter().find(|s| matches!(s, NodeStatus::Skipped(_)))
        {
            report.skipped.push(SkippedChange {
                address: c.address.clone(),
                action: c.action,
                reason: r.clone(),
            });
        } else {
            report.succeeded.push((c.address.clone(), c.action));
        }
    }
    report.elapsed = started.elapsed();
    Ok(report)
}

/// Outputs whose value is fully known now and whose preconditions hold
/// (others keep their old value).
fn evaluate_outputs(shared: &Shared) -> Vec<(String, Option<OutputState>)> {
    let Ok(values) = shared.values.lock() else {
        return Vec::new();
    };
    let stack = &shared.plan.config;
    stack
        .outputs
        .iter()
        .map(|def| {
            let holds = crate::conditions::check_output(
                stack,
                &def.name,
                &def.preconditions,
                &*values,
                crate::conditions::When::Plan,
            )
            .is_ok();
            let v = stack
                .evaluate_output(def, &*values)
                .ok()
                .filter(|v| holds && v.is_known());
            (
                def.name.clone(),
                v.map(|v| OutputState {
                    value: v.unmarked().to_json(),
                    sensitive: def.sensitive,
                }),
            )
        })
        .collect()
}

fn apply_outputs(state: &mut State, outputs: Vec<(String, Option<OutputState>)>) {
    let names: std::collections::BTreeSet<String> =
        outputs.iter().map(|(n, _)| n.clone()).collect();
    state.outputs.retain(|k, _| names.contains(k));
    for (name, value) in outputs {
        if let Some(v) = value {
            state.outputs.insert(name, v);
        }
    }
}
