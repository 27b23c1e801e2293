//! Reads the graph `forge graph DIR -e ENV` prints (Graphviz DOT, from
//! `forge_core::graph::DepGraph::to_dot`): a node line per instance,
//! `"address" [label="address\nkind"];`, and an edge line per dependency,
//! `"dependency" -> "dependent";`. So the model walks the graph forge
//! itself builds, not one written by hand.

use super::{Graph, Node};
use std::collections::BTreeMap;

/// The quoted strings of a DOT line, unescaped (`\"`, `\\`; `\n` stays
/// the two characters it is in a label).
fn quoted(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c != '"' {
            continue;
        }
        let mut s = String::new();
        while let Some(c) = chars.next() {
            match c {
                '"' => break,
                '\\' => match chars.next() {
                    Some('n') => s.push_str("\\n"),
                    Some(other) => s.push(other),
                    None => {}
                },
                other => s.push(other),
            }
        }
        out.push(s);
    }
    out
}

/// The instances and dependencies of a DOT graph; `None` if it holds no
/// graph at all (not `digraph ... {`).
pub fn parse(dot: &str) -> Option<Graph> {
    if !dot.trim_start().starts_with("digraph") {
        return None;
    }
    let mut kinds: BTreeMap<String, String> = BTreeMap::new();
    let mut deps: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in dot.lines().map(str::trim) {
        let q = quoted(line);
        if line.contains(" -> ") && q.len() == 2 {
            deps.entry(q[1].clone()).or_default().push(q[0].clone());
        } else if line.contains("[label=") && q.len() == 2 {
            let kind = q[1].rsplit("\\n").next().unwrap_or_default().to_string();
            kinds.insert(q[0].clone(), kind);
        }
    }
    let nodes = kinds
        .into_iter()
        .map(|(address, kind)| Node {
            deps: deps.remove(&address).unwrap_or_default(),
            address,
            kind,
        })
        .collect();
    Some(Graph { nodes })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_kinds_and_edges_with_quoted_keys() {
        let dot = r#"digraph "net" {
  rankdir=LR;
  node [shape=box, fontname="Helvetica"];
  "subnet[\"a\"]" [label="subnet[\"a\"]\naws.ec2.subnet"];
  "vpc" [label="vpc\naws.ec2.vpc"];
  "vpc" -> "subnet[\"a\"]";
}
"#;
        let g = parse(dot).expect("a graph");
        assert_eq!(
            g.nodes,
            vec![
                Node {
                    address: "subnet[\"a\"]".into(),
                    kind: "aws.ec2.subnet".into(),
                    deps: vec!["vpc".into()],
                },
                Node {
                    address: "vpc".into(),
                    kind: "aws.ec2.vpc".into(),
                    deps: vec![],
                },
            ]
        );
        assert_eq!(parse("error: no stack"), None);
    }
}
