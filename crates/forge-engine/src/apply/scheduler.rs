//! The DAG walk: start every step whose predecessors succeeded, bounded by
//! the semaphores in [`Shared`]; a failure skips its transitive
//! dependents while independent branches go on; drain stops starting new
//! steps, abort stops waiting.

use super::Event;
use super::node::{Shared, StepEnd, run_node};
use crate::cancel::{CancelLevel, CancelToken};
use std::collections::VecDeque;
use std::sync::Arc;
use tokio::task::JoinSet;

/// Where a step ended up.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeStatus {
    /// Not started.
    Waiting,
    /// Started, not finished (only after an abort).
    Running,
    /// Its call went through, its readiness wait was cut short by a drain:
    /// recorded as not ready.
    Interrupted,
    /// Succeeded.
    Done,
    /// Failed with this error.
    Failed(String),
    /// Not run, for this reason.
    Skipped(String),
}

/// Runs all steps; returns each step's status and how far cancellation went.
pub async fn schedule(
    shared: Arc<Shared>,
    cancel: &CancelToken,
) -> (Vec<NodeStatus>, Option<CancelLevel>) {
    let n = shared.nodes.len();
    let mut status = vec![NodeStatus::Waiting; n];
    let mut indeg: Vec<usize> = shared.nodes.iter().map(|x| x.deps.len()).collect();
    let mut ready: VecDeque<usize> = (0..n).filter(|&i| indeg[i] == 0).collect();
    let mut tasks: JoinSet<(usize, Result<StepEnd, String>)> = JoinSet::new();
    let mut draining = cancel.level() >= CancelLevel::Drain;
    let mut aborted = cancel.level() >= CancelLevel::Abort;
    while !aborted {
        if !draining {
            while let Some(i) = ready.pop_front() {
                status[i] = NodeStatus::Running;
                let s = shared.clone();
                tasks.spawn(async move { (i, run_node(s, i).await) });
            }
        }
        if tasks.is_empty() {
            break;
        }
        tokio::select! {
            biased;
            _ = cancel.reached(CancelLevel::Abort) => {
                aborted = true;
            }
            _ = cancel.reached(CancelLevel::Drain), if !draining => {
                draining = true;
            }
            joined = tasks.join_next() => {
                let Some(joined) = joined else { continue };
                let (i, result) = match joined {
                    Ok(r) => r,
                    Err(e) => {
                        // A panicking step: find nothing to attribute it to
                        // but still stop the walk from hanging.
                        tracing::error!("apply step task failed: {e}");
                        continue;
                    }
                };
                match result {
                    // Its dependents wait: the drain starts nothing new.
                    Ok(StepEnd::Interrupted) => status[i] = NodeStatus::Interrupted,
                    Ok(StepEnd::Done) => {
                        status[i] = NodeStatus::Done;
                        for &d in &shared.nodes[i].dependents {
                            indeg[d] -= 1;
                            if indeg[d] == 0 && status[d] == NodeStatus::Waiting {
                                ready.push_back(d);
                            }
                        }
                    }
                    Err(e) => {
                        status[i] = NodeStatus::Failed(e);
                        skip_dependents(&shared, &mut status, i);
                    }
                }
            }
        }
    }
    // Steps still running after an abort are left to die with the task set;
    // creates among them keep their recorded intent.
    tasks.abort_all();
    let level = cancel.level();
    let reason = match level {
        CancelLevel::None => "not started".to_string(),
        _ => "not started: the apply was cancelled".to_string(),
    };
    for (i, st) in status.iter_mut().enumerate() {
        if *st == NodeStatus::Waiting {
            *st = NodeStatus::Skipped(reason.clone());
            emit_skip(&shared, i, &reason);
        }
    }
    (status, (level != CancelLevel::None).then_some(level))
}

fn emit_skip(shared: &Shared, i: usize, reason: &str) {
    if let Some(p) = &shared.progress {
        let c = &shared.plan.changes[shared.nodes[i].change];
        p(&Event::Skipped {
            address: c.address.clone(),
            action: c.action,
            reason: reason.to_string(),
        });
    }
}

fn skip_dependents(shared: &Shared, status: &mut [NodeStatus], failed: usize) {
    let cause = shared.plan.changes[shared.nodes[failed].change]
        .address
        .to_string();
    let reason = format!("{cause} failed");
    let mut work: Vec<usize> = shared.nodes[failed].dependents.clone();
    while let Some(i) = work.pop() {
        if status[i] == NodeStatus::Waiting {
            status[i] = NodeStatus::Skipped(reason.clone());
            emit_skip(shared, i, &reason);
            work.extend(shared.nodes[i].dependents.iter().copied());
        }
    }
}
