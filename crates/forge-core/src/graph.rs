//! The dependency graph of a stack's instances (petgraph): edges run from
//! a dependency to its dependent, so a topological order is a valid create
//! order. Cycles are reported whole (`cycle: a -> b -> c -> a`).

use crate::address::Address;
use crate::diag::{Diagnostic, Diagnostics, SourcePos};
use crate::spec::model::Stack;
use petgraph::Direction;
use petgraph::algo::{tarjan_scc, toposort};
use petgraph::graph::{DiGraph, NodeIndex};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

/// A stack's instances and their dependencies.
#[derive(Debug, Clone)]
pub struct DepGraph {
    graph: DiGraph<Address, ()>,
    index: BTreeMap<Address, NodeIndex>,
    kinds: BTreeMap<Address, String>,
    name: String,
}

impl DepGraph {
    /// Builds the graph; errors when a dependency names no instance of the
    /// stack or when there are cycles (each cycle listed in full).
    pub fn build(stack: &Stack) -> Result<DepGraph, Diagnostics> {
        let mut graph = DiGraph::with_capacity(stack.instances.len(), stack.instances.len() * 2);
        let mut index = BTreeMap::new();
        let mut kinds = BTreeMap::new();
        for inst in &stack.instances {
            index.insert(inst.address.clone(), graph.add_node(inst.address.clone()));
            kinds.insert(inst.address.clone(), inst.kind.clone());
        }
        let mut diags = Diagnostics::default();
        for inst in &stack.instances {
            let to = index[&inst.address];
            for dep in &inst.dependencies {
                match index.get(dep) {
                    Some(from) => {
                        graph.add_edge(*from, to, ());
                    }
                    None => diags.push(Diagnostic {
                        pos: inst.pos.as_ref().map(SourcePos::from),
                        message: format!(
                            "`{}` depends on `{dep}`, which is not in the stack",
                            inst.address
                        ),
                        snippet: None,
                        hint: None,
                    }),
                }
            }
        }
        let g = DepGraph {
            graph,
            index,
            kinds,
            name: stack.name.clone(),
        };
        for cycle in g.cycles() {
            let first = &cycle[0];
            let pos = stack
                .instance(first)
                .and_then(|i| i.pos.as_ref())
                .map(SourcePos::from);
            let mut names: Vec<String> = cycle.iter().map(ToString::to_string).collect();
            names.push(first.to_string());
            let places: Vec<String> = cycle
                .iter()
                .filter_map(|a| {
                    stack
                        .instance(a)
                        .and_then(|i| i.pos.as_ref())
                        .map(|p| format!("`{a}` at {}", SourcePos::from(p)))
                })
                .collect();
            diags.push(Diagnostic {
                pos,
                message: format!("cycle: {}", names.join(" -> ")),
                snippet: None,
                hint: Some(if places.is_empty() {
                    "break the cycle by removing a reference or a depends_on".into()
                } else {
                    format!(
                        "break the cycle by removing a reference or a depends_on; {}",
                        places.join(", ")
                    )
                }),
            });
        }
        if diags.is_empty() { Ok(g) } else { Err(diags) }
    }

    /// Every cycle: one per strongly connected component (and self-loop),
    /// as the shortest loop through the component's least address.
    fn cycles(&self) -> Vec<Vec<Address>> {
        let mut out = Vec::new();
        for scc in tarjan_scc(&self.graph) {
            let members: BTreeSet<NodeIndex> = scc.iter().copied().collect();
            let Some(start) = scc
                .iter()
                .copied()
                .min_by(|a, b| self.graph[*a].cmp(&self.graph[*b]))
            else {
                continue;
            };
            let self_loop = self.graph.contains_edge(start, start);
            if scc.len() < 2 && !self_loop {
                continue;
            }
            if self_loop {
                out.push(vec![self.graph[start].clone()]);
                continue;
            }
            // Breadth-first from `start` inside the component back to `start`.
            let mut prev: BTreeMap<NodeIndex, NodeIndex> = BTreeMap::new();
            let mut queue = std::collections::VecDeque::from([start]);
            let mut end = None;
            'bfs: while let Some(n) = queue.pop_front() {
                let mut next: Vec<NodeIndex> = self
                    .graph
                    .neighbors_directed(n, Direction::Outgoing)
                    .filter(|m| members.contains(m))
                    .collect();
                next.sort_by(|a, b| self.graph[*a].cmp(&self.graph[*b]));
                for m in next {
                    if m == start {
                        end = Some(n);
                        break 'bfs;
                    }
                    if let std::collections::btree_map::Entry::Vacant(e) = prev.entry(m) {
                        e.insert(n);
                        queue.push_back(m);
                    }
                }
            }
            let Some(mut n) = end else { continue };
            let mut path = vec![n];
            while n != start {
                let Some(p) = prev.get(&n) else { break };
                n = *p;
                path.push(n);
            }
            path.reverse();
            out.push(path.into_iter().map(|i| self.graph[i].clone()).collect());
        }
        out.sort();
        out
    }

    /// Instances in an order where every dependency comes before its
    /// dependents (ties broken by address, so the order is stable).
    pub fn topo_order(&self) -> Vec<Address> {
        let mut indegree: BTreeMap<NodeIndex, usize> = self
            .graph
            .node_indices()
            .map(|n| {
                (
                    n,
                    self.graph
                        .neighbors_directed(n, Direction::Incoming)
                        .count(),
                )
            })
            .collect();
        let mut ready: BTreeSet<(Address, NodeIndex)> = indegree
            .iter()
            .filter(|(_, d)| **d == 0)
            .map(|(n, _)| (self.graph[*n].clone(), *n))
            .collect();
        let mut out = Vec::with_capacity(self.graph.node_count());
        while let Some((addr, n)) = ready.pop_first() {
            out.push(addr);
            for m in self.graph.neighbors_directed(n, Direction::Outgoing) {
                if let Some(d) = indegree.get_mut(&m) {
                    *d = d.saturating_sub(1);
                    if *d == 0 {
                        ready.insert((self.graph[m].clone(), m));
                    }
                }
            }
        }
        // Only a cyclic graph leaves nodes behind, and build() rejects those.
        debug_assert!(toposort(&self.graph, None).is_ok());
        out
    }

    /// The instances `address` depends on directly.
    pub fn dependencies(&self, address: &Address) -> Vec<Address> {
        self.neighbors(address, Direction::Incoming)
    }

    /// The instances that depend directly on `address`.
    pub fn dependents(&self, address: &Address) -> Vec<Address> {
        self.neighbors(address, Direction::Outgoing)
    }

    fn neighbors(&self, address: &Address, dir: Direction) -> Vec<Address> {
        let Some(n) = self.index.get(address) else {
            return Vec::new();
        };
        let mut v: Vec<Address> = self
            .graph
            .neighbors_directed(*n, dir)
            .map(|m| self.graph[m].clone())
            .collect();
        v.sort();
        v.dedup();
        v
    }

    /// Number of instances.
    pub fn len(&self) -> usize {
        self.graph.node_count()
    }

    /// True when the stack has no instances.
    pub fn is_empty(&self) -> bool {
        self.graph.node_count() == 0
    }

    fn edges(&self) -> Vec<(&Address, &Address)> {
        let mut e: Vec<(&Address, &Address)> = self
            .graph
            .edge_indices()
            .filter_map(|e| self.graph.edge_endpoints(e))
            .map(|(a, b)| (&self.graph[a], &self.graph[b]))
            .collect();
        e.sort();
        e.dedup();
        e
    }

    /// Graphviz DOT, nodes labelled with address and kind.
    pub fn to_dot(&self) -> String {
        let q = |s: &str| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
        let mut out = String::new();
        let _ = writeln!(out, "digraph {} {{", q(&self.name));
        let _ = writeln!(out, "  rankdir=LR;");
        let _ = writeln!(out, "  node [shape=box, fontname=\"Helvetica\"];");
        for (addr, kind) in &self.kinds {
            let _ = writeln!(
                out,
                "  {} [label={}];",
                q(&addr.to_string()),
                q(&format!("{addr}\n{kind}")).replace('\n', "\\n")
            );
        }
        for (a, b) in self.edges() {
            let _ = writeln!(out, "  {} -> {};", q(&a.to_string()), q(&b.to_string()));
        }
        out.push_str("}\n");
        out
    }

    /// A Mermaid `flowchart TD`, nodes labelled with address and kind.
    pub fn to_mermaid(&self) -> String {
        let ids: BTreeMap<&Address, String> = self
            .kinds
            .keys()
            .enumerate()
            .map(|(i, a)| (a, format!("n{i}")))
            .collect();
        let esc = |s: &str| s.replace('"', "#quot;");
        let mut out = String::from("flowchart TD\n");
        for (addr, kind) in &self.kinds {
            let _ = writeln!(
                out,
                "  {}[\"{}<br/><small>{}</small>\"]",
                ids[addr],
                esc(&addr.to_string()),
                esc(kind)
            );
        }
        for (a, b) in self.edges() {
            let _ = writeln!(out, "  {} --> {}", ids[a], ids[b]);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::model::{Instance, StateBackendConfig};

    fn stack(instances: Vec<Instance>) -> Stack {
        let mut instances = instances;
        instances.sort_by(|a, b| a.address.cmp(&b.address));
        Stack {
            name: "t".into(),
            environment: None,
            region: "r".into(),
            root: ".".into(),
            state: StateBackendConfig::default(),
            tags: BTreeMap::new(),
            vars: BTreeMap::new(),
            locals: BTreeMap::new(),
            instances,
            outputs: Vec::new(),
            adoption: Default::default(),
            data: Vec::new(),
            data_values: BTreeMap::new(),
            dependency_outputs: BTreeMap::new(),
            aws: None,
            aws_aliases: Default::default(),
            modules: BTreeMap::new(),
            awaiting_data: Vec::new(),
        }
    }

    fn inst(name: &str, deps: &[&str]) -> Instance {
        let mut i = Instance::new(Address::single(name), "aws.ec2.vpc", "r");
        for d in deps {
            i = i.with_dependency(Address::single(*d));
        }
        i
    }

    #[test]
    fn topo_order_puts_dependencies_first() {
        let s = stack(vec![
            inst("c", &["b"]),
            inst("b", &["a"]),
            inst("a", &[]),
            inst("d", &["a"]),
        ]);
        let g = DepGraph::build(&s).unwrap_or_else(|e| panic!("{e}"));
        let order: Vec<String> = g.topo_order().iter().map(ToString::to_string).collect();
        assert_eq!(order, ["a", "b", "c", "d"]);
        assert_eq!(
            g.dependents(&Address::single("a")),
            vec![Address::single("b"), Address::single("d")]
        );
    }

    #[test]
    fn cycles_are_listed_whole() {
        let s = stack(vec![
            inst("a", &["c"]),
            inst("b", &["a"]),
            inst("c", &["b"]),
            inst("x", &["x"]),
            inst("y", &[]),
        ]);
        let err = DepGraph::build(&s).err().unwrap_or_default();
        let messages: Vec<&str> = err.0.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(messages, ["cycle: a -> b -> c -> a", "cycle: x -> x"]);
    }

    #[test]
    fn renders_dot_and_mermaid() {
        let s = stack(vec![inst("vpc", &[]), inst("subnet", &["vpc"])]);
        let g = DepGraph::build(&s).unwrap_or_else(|e| panic!("{e}"));
        insta::assert_snapshot!(g.to_dot());
        insta::assert_snapshot!(g.to_mermaid());
    }
}
