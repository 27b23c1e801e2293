//! `forge graph`: print the dependency graph as DOT or Mermaid.
//!
//! A stack whose `count` / `for_each` reads data sources is expanded the
//! way plan expands it (the data sources are read first), so the graph
//! holds every instance apply would walk. When they cannot be read (no
//! credentials, no network), the graph of what is known is printed and a
//! warning names what it leaves out.

use super::{EXIT_ERROR, EXIT_OK};
use crate::cli::{GraphFormat, StackArgs};
use crate::{context, output};
use forge_core::graph::DepGraph;
use forge_core::spec::Stack;

/// Runs `forge graph`.
pub fn run(args: &StackArgs, format: GraphFormat) -> anyhow::Result<u8> {
    let registry = context::registry();
    let graph = context::load_stack(args, &registry, context::VarsNeeded::All)
        .map(|stack| expanded(args, stack))
        .and_then(|stack| DepGraph::build(&stack));
    match graph {
        Ok(graph) => {
            match format {
                GraphFormat::Dot => print!("{}", graph.to_dot()),
                GraphFormat::Mermaid => print!("{}", graph.to_mermaid()),
            }
            Ok(EXIT_OK)
        }
        Err(diags) => {
            eprint!("{}", output::render_diagnostics(&diags));
            Ok(EXIT_ERROR)
        }
    }
}

/// `stack` with what expands over data sources expanded, or as loaded
/// (with a warning) when the data sources cannot be read.
fn expanded(args: &StackArgs, stack: Stack) -> Stack {
    if stack.awaiting_data.is_empty() {
        return stack;
    }
    let waiting = stack.awaiting_data.join(", ");
    let (registry, _) = context::registry_for(&stack);
    let why =
        match context::expand_with_data(args, &registry, context::VarsNeeded::All, stack.clone()) {
            Ok(Ok(expanded)) => return expanded,
            Ok(Err(diags)) => diags
                .0
                .first()
                .map_or_else(|| "no reason given".to_string(), |d| d.message.clone()),
            Err(e) => format!("{e:#}"),
        };
    eprintln!(
        "warning: the graph leaves out the instances of {waiting}: their count or for_each \
         reads data sources, which could not be read ({why})"
    );
    stack
}
