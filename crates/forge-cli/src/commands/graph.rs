//! `forge graph`: print the dependency graph as DOT or Mermaid.

use super::{EXIT_ERROR, EXIT_OK};
use crate::cli::{GraphFormat, StackArgs};
use crate::{context, output};
use forge_core::graph::DepGraph;

/// Runs `forge graph`.
pub fn run(args: &StackArgs, format: GraphFormat) -> anyhow::Result<u8> {
    let registry = context::registry();
    let graph = context::load_stack(args, &registry, context::VarsNeeded::All)
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
