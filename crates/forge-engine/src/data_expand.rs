//! Stacks whose `count` / `for_each` read data sources
//! (`for_each: "${toset(data.azs.names)}"`).
//!
//! The loader expands resources before anything is read from the cloud,
//! so such a resource (module call, data source) has no instances in the
//! first load; the stack lists it in [`Stack::awaiting_data`].
//! [`expand_with_data`] reads the data sources that can be read, loads the
//! stack again with their values known (as vars are), and repeats while a
//! round reads something new (a data source expanded over another one).
//! When a round reads nothing new, one last load reports what still
//! cannot be expanded (it reads a data source known only during apply), at
//! its place in the spec. Terraform does the same inside its plan walk:
//! data sources are read before what expands over them.

use crate::data::read_data;
use crate::error::EngineError;
use crate::registry::ProviderRegistry;
use crate::retry::RetryPolicy;
use forge_core::Diagnostics;
use forge_core::spec::{DataPass, Stack};

/// At most this many rounds: each is one level of data sources expanded
/// over data sources; real stacks need one or two.
const MAX_ROUNDS: usize = 8;

/// Expands `stack` (a first load) over its data sources: returns it as
/// loaded with every expansion done and [`Stack::data_values`] filled
/// with what was read (so planning it reads nothing again). A stack that
/// awaits nothing is returned as it is, with nothing read. `reload` loads
/// the same stack, with the same options, plus [`forge_core::spec::LoadOptions::data`].
pub async fn expand_with_data<F>(
    registry: &ProviderRegistry,
    stack: Stack,
    retry: &RetryPolicy,
    mut reload: F,
) -> Result<Stack, EngineError>
where
    F: FnMut(DataPass) -> Result<Stack, Diagnostics>,
{
    let mut stack = stack;
    let mut round = 0;
    while !stack.awaiting_data.is_empty() {
        round += 1;
        let before = stack.data_values.len();
        let (read, _) = read_data(registry, &stack, retry).await?;
        let values = read.data_values;
        let last = values.len() == before || round >= MAX_ROUNDS;
        tracing::debug!(
            round,
            read = values.len() - before,
            awaiting = stack.awaiting_data.len(),
            "loading the stack again with its data sources' values"
        );
        let mut next = reload(DataPass {
            values: values.clone(),
            last,
        })
        .map_err(EngineError::Data)?;
        // What was read stays read: the next round, and the plan, read
        // only what the new expansions added.
        let names: std::collections::BTreeSet<&str> =
            next.data.iter().map(|i| i.address.name.as_str()).collect();
        next.data_values = values
            .into_iter()
            .filter(|(name, _)| names.contains(name.as_str()))
            .collect();
        stack = next;
        if last {
            break;
        }
    }
    Ok(stack)
}

/// Refuses to plan or check a stack still waiting for its data sources:
/// it lacks the instances of what expands over them, which a plan would
/// read as deleted from the spec.
pub(crate) fn check_expanded(stack: &Stack) -> Result<(), EngineError> {
    if stack.awaiting_data.is_empty() {
        return Ok(());
    }
    let mut d = Diagnostics::default();
    d.push(
        forge_core::Diagnostic::general(format!(
            "the `count` / `for_each` of {} reads data sources that were not read yet",
            stack
                .awaiting_data
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ))
        .with_hint("expand the stack with forge_engine::expand_with_data before planning it"),
    );
    Err(EngineError::Data(d))
}
