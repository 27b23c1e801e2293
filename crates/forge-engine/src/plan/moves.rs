//! `moved:` and `removed:` blocks: renames and forgets of the state's
//! records, planned first and replayed by the apply before anything else,
//! with Terraform's semantics.
//!
//! - A block whose `from` and `to` have no key moves a whole resource
//!   (every instance keeps its key); otherwise it moves one instance
//!   (`a` to `a[0]` puts a keyless resource under `count`).
//! - Blocks chain: `a` to `b` and `b` to `c` put `a`'s record at `c`,
//!   whatever order they are written in.
//! - A `from` the state does not record is ignored (the move happened in
//!   an earlier apply, or never had anything to move); a `to` the state
//!   already records for another object is an error.
//! - `removed:` without `destroy: true` drops the records of the resource
//!   (every instance, when `from` has no key) and leaves the objects.
//!
//! Planning works on the state as these leave it ([`rearrange`]), so the
//! plan compares the spec with the renamed records; the apply replays the
//! same renames ([`replay`]) and writes them even when nothing else changes.

use super::Plan;
use crate::error::{EngineError, PlanProblem};
use crate::state::{State, ops};
use forge_core::Address;
use forge_core::spec::{MovedBlock, Stack};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// One rename of a state record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Move {
    /// The recorded address.
    pub from: Address,
    /// Where it goes.
    pub to: Address,
}

fn at(block: &MovedBlock) -> String {
    let p = &block.pos;
    format!("{}:{}:{}", p.file.display(), p.line, p.column)
}

/// Where `address` goes after one block, if that block applies to it.
fn step(block: &MovedBlock, address: &Address) -> Option<Address> {
    if block.from.key.is_none() && block.to.key.is_none() {
        (address.name == block.from.name).then(|| Address {
            name: block.to.name.clone(),
            key: address.key.clone(),
        })
    } else {
        (address == &block.from).then(|| block.to.clone())
    }
}

/// The renames the stack's `moved:` blocks make of `state`'s records, in
/// an order that never renames onto a record not yet moved away.
pub fn resolve(stack: &Stack, state: &State) -> Result<Vec<Move>, EngineError> {
    let blocks = &stack.adoption.moved;
    let mut problems = Vec::new();
    let recorded: BTreeSet<&Address> = state.resources.iter().map(|r| &r.address).collect();
    let mut moves: Vec<(Move, &MovedBlock)> = Vec::new();
    for address in &recorded {
        let mut current = (*address).clone();
        let mut last = None;
        let mut circle = true;
        // A chain longer than the number of blocks goes round in a circle.
        for _ in 0..=blocks.len() {
            match blocks
                .iter()
                .find_map(|b| step(b, &current).map(|to| (to, b)))
            {
                Some((to, b)) => {
                    current = to;
                    last = Some(b);
                }
                None => {
                    circle = false;
                    break;
                }
            }
        }
        let Some(block) = last else {
            continue;
        };
        if circle {
            problems.push(PlanProblem {
                address: Some((*address).clone()),
                message: format!(
                    "{}: moved block: the moves of {address} go round in a circle",
                    at(block)
                ),
            });
            continue;
        }
        if &current != *address {
            moves.push((
                Move {
                    from: (*address).clone(),
                    to: current,
                },
                block,
            ));
        }
    }
    let sources: BTreeSet<&Address> = moves.iter().map(|(m, _)| &m.from).collect();
    let mut targets: BTreeMap<&Address, &Address> = BTreeMap::new();
    for (m, block) in &moves {
        if let Some(other) = targets.insert(&m.to, &m.from) {
            problems.push(PlanProblem {
                address: Some(m.to.clone()),
                message: format!(
                    "{}: moved block: both {other} and {} would move to {}",
                    at(block),
                    m.from,
                    m.to
                ),
            });
        } else if recorded.contains(&m.to) && !sources.contains(&m.to) {
            problems.push(PlanProblem {
                address: Some(m.to.clone()),
                message: format!(
                    "{}: moved block: cannot move {} to {}: the state already records an object \
                     there; `forge state rm {}` it first, or remove the block",
                    at(block),
                    m.from,
                    m.to,
                    m.to
                ),
            });
        }
    }
    if !problems.is_empty() {
        return Err(EngineError::Plan {
            stack: stack.name.clone(),
            problems,
        });
    }
    order(moves.into_iter().map(|(m, _)| m).collect()).map_err(|stuck| EngineError::Plan {
        stack: stack.name.clone(),
        problems: vec![PlanProblem {
            address: None,
            message: format!(
                "moved blocks swap addresses ({}); move through an unused address in two applies",
                stuck.join(", ")
            ),
        }],
    })
}

/// Orders renames so each target is free when its rename runs; the
/// addresses of a cycle (a swap) otherwise.
fn order(mut pending: Vec<Move>) -> Result<Vec<Move>, Vec<String>> {
    let mut out = Vec::new();
    while !pending.is_empty() {
        let ready = pending
            .iter()
            .position(|m| !pending.iter().any(|o| o.from == m.to));
        match ready {
            Some(i) => out.push(pending.remove(i)),
            None => return Err(pending.iter().map(|m| m.from.to_string()).collect()),
        }
    }
    Ok(out)
}

/// The records `removed:` blocks without `destroy: true` let go of.
pub fn unmanaged(stack: &Stack, state: &State) -> Vec<Address> {
    state
        .resources
        .iter()
        .filter(|r| {
            stack
                .adoption
                .removed
                .iter()
                .any(|b| !b.destroy && b.covers(&r.address))
        })
        .map(|r| r.address.clone())
        .collect()
}

/// Applies renames and forgets to `state`.
fn rearrange_with(
    state: &mut State,
    moves: &[Move],
    unmanage: &[Address],
) -> Result<(), EngineError> {
    for m in moves {
        ops::mv(state, &m.from, &m.to)?;
    }
    for a in unmanage {
        ops::rm(state, a)?;
    }
    Ok(())
}

/// The stack's renames and forgets of `state`, made on it: what planning
/// works on, and what the plan records for the apply.
pub(crate) fn rearrange(
    stack: &Stack,
    state: &mut State,
) -> Result<(Vec<Move>, Vec<Address>), EngineError> {
    let moves = resolve(stack, state)?;
    rearrange_with(state, &moves, &[])?;
    let unmanage = unmanaged(stack, state);
    rearrange_with(state, &[], &unmanage)?;
    Ok((moves, unmanage))
}

/// Replays a plan's renames and forgets on the state it was planned
/// against (the apply's first step).
pub(crate) fn replay(plan: &Plan, state: &mut State) -> Result<(), EngineError> {
    rearrange_with(state, &plan.moves, &plan.unmanage)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::state::ResourceState;
    use forge_core::spec::SerdePos;

    fn block(from: &str, to: &str) -> MovedBlock {
        MovedBlock {
            from: from.parse().unwrap(),
            to: to.parse().unwrap(),
            pos: SerdePos {
                file: "s.yaml".into(),
                line: 3,
                column: 5,
            },
        }
    }

    fn state(addresses: &[&str]) -> State {
        let mut s = State::new("t", None);
        for a in addresses {
            let mut r = ResourceState::new(a.parse().unwrap(), "k", "r");
            r.id = Some(format!("id-{a}"));
            s.upsert(r);
        }
        s
    }

    fn stack(blocks: Vec<MovedBlock>) -> Stack {
        let mut s = forge_testkit::stack("t", Vec::new());
        s.adoption.moved = blocks;
        s
    }

    fn moved(blocks: Vec<MovedBlock>, addresses: &[&str]) -> Vec<String> {
        let mut s = state(addresses);
        rearrange(&stack(blocks), &mut s).unwrap();
        s.resources
            .iter()
            .map(|r| format!("{}={}", r.address, r.id.as_deref().unwrap()))
            .collect()
    }

    #[test]
    fn moves_whole_resources_instances_and_chains() {
        assert_eq!(
            moved(vec![block("a", "b")], &["a[0]", "a[1]", "c"]),
            ["b[0]=id-a[0]", "b[1]=id-a[1]", "c=id-c"]
        );
        assert_eq!(moved(vec![block("a", "a[0]")], &["a"]), ["a[0]=id-a"]);
        assert_eq!(
            moved(vec![block("s[\"x\"]", "t")], &["s[\"x\"]", "s[\"y\"]"]),
            ["s[\"y\"]=id-s[\"y\"]", "t=id-s[\"x\"]"]
        );
        // Written in either order, a chain ends at its last address.
        assert_eq!(
            moved(vec![block("b", "c"), block("a", "b")], &["a"]),
            ["c=id-a"]
        );
        // A `from` the state does not record is ignored.
        assert_eq!(moved(vec![block("zz", "y")], &["a"]), ["a=id-a"]);
    }

    #[test]
    fn a_target_already_recorded_or_a_swap_is_an_error() {
        let mut s = state(&["a", "b"]);
        let err = rearrange(&stack(vec![block("a", "b")]), &mut s)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("s.yaml:3:5: moved block: cannot move a to b"),
            "{err}"
        );
        let mut s = state(&["a", "b"]);
        let err = rearrange(&stack(vec![block("a", "b"), block("b", "a")]), &mut s)
            .unwrap_err()
            .to_string();
        assert!(err.contains("circle") || err.contains("swap"), "{err}");
    }
}
