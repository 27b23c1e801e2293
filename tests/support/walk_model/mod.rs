//! A model of how long an apply or a destroy takes, from a stack's
//! resource graph and the emulator's durations table
//! (scripts/moto_patches/durations.py), with no AWS: (a) the critical path,
//! the longest chain of durations, which no scheduler can beat; (b) a
//! discrete-event simulation of Terraform's walk over the same graph
//! (docs/testing.md, "A model of Terraform's walk (parameters)"): at most
//! `parallelism` resources in flight, each holding its slot while its own
//! waiter polls it with terraform-provider-aws's schedule.
//!
//! A stack split into units (Terragrunt's, or `forge apply DIR --all`) is
//! a list of [`Unit`]s: a unit starts once the units it waits for are done,
//! and walks its own graph with its own slots (one Terraform process each).
//! Destroy walks the reverse graph and the reverse unit order.
//!
//! Times are real seconds as in the durations table; scale them by the
//! emulator's time scale to compare with a time-scaled run.

pub mod dot;
pub mod figures;
pub mod kinds;
pub mod waiter;

use std::collections::{BTreeMap, BTreeSet};
use waiter::Waiter;

/// One resource instance: its address, its forge kind, what it depends on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub address: String,
    pub kind: String,
    pub deps: Vec<String>,
}

/// A stack (or one unit of it): its resource instances.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Graph {
    pub nodes: Vec<Node>,
}

/// One unit of a split stack: its name, its graph, the units (by index,
/// earlier in the list) it waits for.
#[derive(Debug, Clone)]
pub struct Unit {
    pub name: String,
    pub graph: Graph,
    pub waits_for: Vec<usize>,
}

impl Unit {
    /// A stack that is not split: one unit, waiting for none.
    pub fn whole(name: &str, graph: Graph) -> Unit {
        Unit {
            name: name.to_string(),
            graph,
            waits_for: Vec::new(),
        }
    }
}

/// Apply (create everything) or destroy (delete everything).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Apply,
    Destroy,
}

/// What one resource costs in an operation: how long its object takes to
/// settle after the call (0 for an instant kind) and, in Terraform, the
/// waiter that polls it (none: the call returns and the resource is done).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cost {
    pub settle: f64,
    pub waiter: Option<Waiter>,
}

impl Cost {
    pub const INSTANT: Cost = Cost {
        settle: 0.0,
        waiter: None,
    };
}

/// The model's parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    /// Seconds of one API round trip (a create or delete call).
    pub latency: f64,
    /// Terraform's `-parallelism` (default 10).
    pub parallelism: usize,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            latency: 0.1,
            parallelism: 10,
        }
    }
}

/// A walk's outcome: when the last resource was done, how many waiter
/// refreshes (polling requests) it took, and the chain that set the time
/// (critical path only: addresses, first to last).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Walk {
    pub seconds: f64,
    pub polls: u64,
    pub path: Vec<String>,
}

/// A graph's dependency edges in the order an operation runs them.
struct Order<'g> {
    nodes: BTreeMap<&'g str, &'g Node>,
    /// What must be done before each node.
    before: BTreeMap<&'g str, Vec<&'g str>>,
    /// What each node lets go next.
    after: BTreeMap<&'g str, Vec<&'g str>>,
}

impl<'g> Order<'g> {
    /// How many nodes each waits for, and those that wait for none.
    fn start(&self) -> (BTreeMap<&'g str, usize>, BTreeSet<&'g str>) {
        let waiting: BTreeMap<&str, usize> =
            self.before.iter().map(|(k, v)| (*k, v.len())).collect();
        let ready = waiting
            .iter()
            .filter(|(_, d)| **d == 0)
            .map(|(k, _)| *k)
            .collect();
        (waiting, ready)
    }

    /// Marks `done` done: what it let go with nothing else to wait for
    /// joins `ready`.
    fn release(
        &self,
        done: &str,
        waiting: &mut BTreeMap<&'g str, usize>,
        ready: &mut BTreeSet<&'g str>,
    ) {
        for then in self.after.get(done).into_iter().flatten() {
            if let Some(d) = waiting.get_mut(then) {
                *d = d.saturating_sub(1);
                if *d == 0 {
                    ready.insert(then);
                }
            }
        }
    }
}

impl Graph {
    /// The edges in the order `op` runs them: (before, after). Dependencies
    /// that name no node of the graph are ignored (they are another
    /// unit's, or a data source's).
    fn order(&self, op: Op) -> Order<'_> {
        let nodes: BTreeMap<&str, &Node> =
            self.nodes.iter().map(|n| (n.address.as_str(), n)).collect();
        let mut before: BTreeMap<&str, Vec<&str>> =
            nodes.keys().map(|k| (*k, Vec::new())).collect();
        let mut after: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for n in &self.nodes {
            for d in n.deps.iter().filter(|d| nodes.contains_key(d.as_str())) {
                let (first, then) = match op {
                    Op::Apply => (d.as_str(), n.address.as_str()),
                    Op::Destroy => (n.address.as_str(), d.as_str()),
                };
                before.entry(then).or_default().push(first);
                after.entry(first).or_default().push(then);
            }
        }
        Order {
            nodes,
            before,
            after,
        }
    }

    /// The longest chain of `latency + settle` through the graph.
    pub fn critical_path(&self, op: Op, params: &Params, cost: impl Fn(&Node) -> Cost) -> Walk {
        let order = self.order(op);
        let (mut waiting, mut ready) = order.start();
        // Done at, and through which node; relaxed in a topological order.
        let mut done: BTreeMap<&str, (f64, Option<&str>)> = BTreeMap::new();
        while let Some(a) = ready.pop_first() {
            let (start, via) = order.before[a]
                .iter()
                .map(|b| (done[b].0, Some(*b)))
                .fold((0.0, None), |m, x| if x.0 > m.0 { x } else { m });
            let c = cost(order.nodes[a]);
            done.insert(a, (start + params.latency + c.settle, via));
            order.release(a, &mut waiting, &mut ready);
        }
        let Some((last, (seconds, _))) = done.iter().fold(
            None,
            |m: Option<(&str, (f64, Option<&str>))>, (k, v)| match m {
                Some((_, mv)) if mv.0 >= v.0 => m,
                _ => Some((k, *v)),
            },
        ) else {
            return Walk::default();
        };
        let mut path = vec![last.to_string()];
        let mut at = last;
        while let Some(prev) = done[at].1 {
            path.push(prev.to_string());
            at = prev;
        }
        path.reverse();
        Walk {
            seconds,
            polls: 0,
            path,
        }
    }

    /// Terraform's walk: a resource starts once everything it waits for is
    /// done and one of `parallelism` slots is free (ready resources in
    /// address order), makes its call, then its waiter polls it alone
    /// until it is seen settled; it holds the slot throughout.
    pub fn terraform_walk(&self, op: Op, params: &Params, cost: impl Fn(&Node) -> Cost) -> Walk {
        let order = self.order(op);
        let (mut waiting, mut ready) = order.start();
        // In flight: (finish time, address).
        let mut running: Vec<(f64, &str)> = Vec::new();
        let (mut polls, mut end) = (0_u64, 0.0_f64);
        let slots = params.parallelism.max(1);
        loop {
            while running.len() < slots {
                let Some(a) = ready.pop_first() else { break };
                let c = cost(order.nodes[a]);
                let (waited, n) = match c.waiter {
                    Some(w) => w.run(c.settle),
                    None => (c.settle, 0),
                };
                polls += n;
                running.push((end + params.latency + waited, a));
            }
            // The next to finish (the earliest; ties by address).
            let Some(i) = (0..running.len()).min_by(|x, y| {
                running[*x]
                    .0
                    .total_cmp(&running[*y].0)
                    .then(running[*x].1.cmp(running[*y].1))
            }) else {
                break;
            };
            let (t, a) = running.swap_remove(i);
            end = t;
            order.release(a, &mut waiting, &mut ready);
        }
        Walk {
            seconds: end,
            polls,
            path: Vec::new(),
        }
    }
}

/// Runs `walk` over each unit in unit order (destroy: dependents first):
/// a unit starts when the units it waits for (destroy: the units waiting
/// for it) are done. Returns the whole run (its path: the units' paths
/// joined, the last unit's chain last, addresses prefixed `unit:` when
/// there is more than one unit) and each unit's own walk.
pub fn across_units(
    units: &[Unit],
    op: Op,
    mut walk: impl FnMut(&Graph) -> Walk,
) -> (Walk, Vec<Walk>) {
    let n = units.len();
    let mut first: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, u) in units.iter().enumerate() {
        for &w in &u.waits_for {
            match op {
                Op::Apply => first[i].push(w),
                Op::Destroy => first[w].push(i),
            }
        }
    }
    let order: Vec<usize> = match op {
        Op::Apply => (0..n).collect(),
        Op::Destroy => (0..n).rev().collect(),
    };
    let mut finish: Vec<(f64, Option<usize>)> = vec![(0.0, None); n];
    let mut each: Vec<Walk> = vec![Walk::default(); n];
    let mut polls = 0;
    for i in order {
        let (start, via) = first[i]
            .iter()
            .map(|&w| (finish[w].0, Some(w)))
            .fold((0.0, None), |m, x| if x.0 > m.0 { x } else { m });
        let w = walk(&units[i].graph);
        polls += w.polls;
        finish[i] = (start + w.seconds, via);
        each[i] = w;
    }
    let Some(last) = (0..n).max_by(|a, b| finish[*a].0.total_cmp(&finish[*b].0)) else {
        return (Walk::default(), each);
    };
    let mut chain = vec![last];
    while let Some(prev) = finish[chain[chain.len() - 1]].1 {
        chain.push(prev);
    }
    chain.reverse();
    let path = chain
        .iter()
        .flat_map(|&u| {
            each[u].path.iter().map(move |a| match n {
                1 => a.clone(),
                _ => format!("{}:{a}", units[u].name),
            })
        })
        .collect();
    (
        Walk {
            seconds: finish[last].0,
            polls,
            path,
        },
        each,
    )
}

#[cfg(test)]
mod tests;
