//! The apply graph: plan changes as operation nodes with ordering edges.
//!
//! Rules (A, B addresses; "up" = the create/update/adopt step of a
//! resource, "down" = a delete step, of a removed, replaced or deposed
//! object):
//! - up(A) after up(D) for each dependency D of A in the spec;
//! - a replacement is down(A) then up(A), or with create_before_destroy
//!   up(A) then down(A), after A's dependents are repointed (their up);
//! - down(A) after down(B) for every B that depended on A in the state
//!   (reverse dependency order), and a removed A after B's up (B stops
//!   referring to A first);
//! - any down(A) also after the up of every B that depends on A in the
//!   state or the spec, wherever that closes no cycle: what still points
//!   at an old object moves first. (A dependant that needs the new object
//!   of a delete-first replacement cannot move first; the planner makes
//!   that replacement create-before-destroy, or replaces the dependant
//!   with it.)

use super::Operation;
use crate::plan::{ChangeAction, Plan};
use crate::state::State;
use forge_core::Address;
use std::collections::{BTreeMap, BTreeSet};

/// One step.
#[derive(Debug, Clone)]
pub struct Node {
    /// Index into `plan.changes`.
    pub change: usize,
    /// What it does.
    pub op: Operation,
    /// For replacements, the delete of the old object.
    pub replaced_old: bool,
    /// Steps that must finish before this one.
    pub deps: Vec<usize>,
    /// Steps waiting for this one.
    pub dependents: Vec<usize>,
}

/// The graph.
#[derive(Debug, Clone, Default)]
pub struct ApplyGraph {
    /// All steps.
    pub nodes: Vec<Node>,
}

/// Whether step `a` already waits (directly or not) for step `b`.
fn waits_for(nodes: &[Node], a: usize, b: usize) -> bool {
    let mut seen = vec![false; nodes.len()];
    let mut work = vec![a];
    while let Some(i) = work.pop() {
        if i == b {
            return true;
        }
        if std::mem::replace(&mut seen[i], true) {
            continue;
        }
        work.extend(nodes[i].deps.iter().copied());
    }
    false
}

impl ApplyGraph {
    /// Builds the graph of `plan` against the state it was planned on.
    pub fn build(plan: &Plan, state: &State) -> Result<ApplyGraph, String> {
        let mut nodes: Vec<Node> = Vec::new();
        let mut up: BTreeMap<&Address, usize> = BTreeMap::new();
        let mut down: BTreeMap<&Address, Vec<usize>> = BTreeMap::new();
        let push = |nodes: &mut Vec<Node>, change, op, replaced_old| {
            nodes.push(Node {
                change,
                op,
                replaced_old,
                deps: Vec::new(),
                dependents: Vec::new(),
            });
            nodes.len() - 1
        };
        for (i, c) in plan.changes.iter().enumerate() {
            match c.action {
                ChangeAction::NoOp => {}
                ChangeAction::Create => {
                    up.insert(&c.address, push(&mut nodes, i, Operation::Create, false));
                }
                ChangeAction::Update => {
                    up.insert(&c.address, push(&mut nodes, i, Operation::Update, false));
                }
                ChangeAction::Adopt => {
                    up.insert(&c.address, push(&mut nodes, i, Operation::Adopt, false));
                }
                ChangeAction::Delete => down.entry(&c.address).or_default().push(push(
                    &mut nodes,
                    i,
                    Operation::Delete,
                    false,
                )),
                ChangeAction::Replace => {
                    let create = push(&mut nodes, i, Operation::Create, false);
                    let delete = push(&mut nodes, i, Operation::Delete, true);
                    up.insert(&c.address, create);
                    down.entry(&c.address).or_default().push(delete);
                    if c.create_before_destroy {
                        nodes[delete].deps.push(create);
                    } else {
                        nodes[create].deps.push(delete);
                    }
                }
            }
        }
        // Who depended on whom when last applied (state), and now (spec).
        let mut state_dependents: BTreeMap<&Address, BTreeSet<&Address>> = BTreeMap::new();
        for r in &state.resources {
            for d in &r.dependencies {
                state_dependents.entry(d).or_default().insert(&r.address);
            }
        }
        let mut spec_dependents: BTreeMap<&Address, BTreeSet<&Address>> = BTreeMap::new();
        for inst in &plan.config.instances {
            for d in &inst.dependencies {
                spec_dependents.entry(d).or_default().insert(&inst.address);
            }
        }
        let mut edges: Vec<(usize, usize)> = Vec::new();
        // Edges kept only when they close no cycle.
        let mut soft: Vec<(usize, usize)> = Vec::new();
        for (addr, &n) in &up {
            let change = &plan.changes[nodes[n].change];
            for dep in &change.dependencies {
                if let Some(&d) = up.get(dep) {
                    edges.push((d, n));
                }
            }
            let _ = addr;
        }
        let empty = BTreeSet::new();
        for (addr, downs) in &down {
            let state_deps = state_dependents.get(addr).unwrap_or(&empty);
            for &n in downs {
                let change = &plan.changes[nodes[n].change];
                let removed = change.action == ChangeAction::Delete && !change.deposed;
                let cbd = nodes[n].replaced_old && change.create_before_destroy || change.deposed;
                for b in state_deps {
                    for &bd in down.get(b).map(Vec::as_slice).unwrap_or(&[]) {
                        edges.push((bd, n));
                    }
                    if (removed || cbd)
                        && let Some(&bu) = up.get(b)
                    {
                        edges.push((bu, n));
                    }
                }
                if cbd {
                    for b in spec_dependents.get(addr).unwrap_or(&empty) {
                        if let Some(&bu) = up.get(b) {
                            edges.push((bu, n));
                        }
                    }
                }
                // Whatever still points at the old object moves first
                // where that can be ordered at all (a dependant that needs
                // the new object of a delete-first replacement cannot; the
                // planner replaces such dependants with it).
                for b in state_deps
                    .iter()
                    .chain(spec_dependents.get(addr).unwrap_or(&empty))
                {
                    if let Some(&bu) = up.get(b) {
                        soft.push((bu, n));
                    }
                }
            }
        }
        for (from, to) in edges {
            if from != to {
                nodes[to].deps.push(from);
            }
        }
        for (from, to) in soft {
            if from != to && !nodes[to].deps.contains(&from) && !waits_for(&nodes, from, to) {
                nodes[to].deps.push(from);
            }
        }
        for i in 0..nodes.len() {
            nodes[i].deps.sort_unstable();
            nodes[i].deps.dedup();
            for d in nodes[i].deps.clone() {
                nodes[d].dependents.push(i);
            }
        }
        let graph = ApplyGraph { nodes };
        graph.check_acyclic(plan)?;
        Ok(graph)
    }

    fn check_acyclic(&self, plan: &Plan) -> Result<(), String> {
        let mut indeg: Vec<usize> = self.nodes.iter().map(|n| n.deps.len()).collect();
        let mut stack: Vec<usize> = (0..self.nodes.len()).filter(|&i| indeg[i] == 0).collect();
        let mut seen = 0;
        while let Some(i) = stack.pop() {
            seen += 1;
            for &d in &self.nodes[i].dependents {
                indeg[d] -= 1;
                if indeg[d] == 0 {
                    stack.push(d);
                }
            }
        }
        if seen == self.nodes.len() {
            return Ok(());
        }
        let stuck: BTreeSet<String> = (0..self.nodes.len())
            .filter(|&i| indeg[i] > 0)
            .map(|i| plan.changes[self.nodes[i].change].address.to_string())
            .collect();
        Err(format!(
            "the plan's operations cannot be ordered (cycle among {})",
            stuck.into_iter().collect::<Vec<_>>().join(", ")
        ))
    }
}
