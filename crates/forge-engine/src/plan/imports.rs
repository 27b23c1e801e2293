//! `import:` blocks in a plan, and the one place an existing object is read
//! and recorded for management (`forge import ADDR ID` uses it too).
//!
//! Planning reads each block's object with its kind's `observe` and plans
//! the resource as if the state already recorded it: the change is marked
//! [`ResourceChange::import`](super::ResourceChange::import) and is
//! whatever the spec then asks of the live object (nothing, an update, a
//! replacement). Applying records the object first ([`record`]), then
//! runs that change. As in Terraform, a block whose address the state
//! already records with the same id is done (nothing planned), and one
//! recorded with another id is an error.

use super::Plan;
use crate::diff::mark_sensitive;
use crate::error::{EngineError, PlanProblem};
use crate::ownership::Owner;
use crate::provider::{ObserveCtx, Provider};
use crate::refresh::merge_observed;
use crate::registry::ProviderRegistry;
use crate::retry::{RetryPolicy, with_retry};
use crate::state::{ResourceState, State};
use forge_core::spec::{ImportBlock, Instance, Stack};
use forge_core::{Address, Attrs};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The live object of an import block whose address the spec does not
/// declare: what `forge plan --generate-spec` writes a resource from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unconfigured {
    /// The block's `to`.
    pub address: Address,
    /// The block's `kind`.
    pub kind: String,
    /// The region it was read in (the stack's).
    pub region: String,
    /// The object's id.
    pub id: String,
    /// What `observe` read of it.
    pub attrs: Attrs,
}

/// Reads the object `id` of `provider`'s kind in `region`: `Ok(None)` when
/// there is no such object. Sensitive attributes are marked as the state
/// records them.
pub(crate) async fn read_existing(
    provider: &Arc<dyn Provider>,
    (region, alias): (&str, Option<&str>),
    owner: Owner,
    id: &str,
    retry: &RetryPolicy,
) -> Result<Option<Attrs>, String> {
    let ctx = ObserveCtx {
        region: region.to_string(),
        alias: alias.map(str::to_string),
        owner,
    };
    let ids = [id.to_string()];
    let mut observed = with_retry(retry, || provider.observe(&ctx, &ids), |_, _, _| {})
        .await
        .map_err(|e| e.to_string())?;
    Ok(observed.remove(id).map(|attrs| {
        let schema = provider.schema();
        let mut attrs = merge_observed(Some(schema), &Default::default(), &attrs, id);
        mark_sensitive(provider.schema(), &mut attrs);
        attrs
    }))
}

/// The state's record of an imported object at `inst`'s address.
pub(crate) fn imported_record(inst: &Instance, id: &str, attrs: Attrs) -> ResourceState {
    let mut r = ResourceState::new(inst.address.clone(), inst.kind.clone(), inst.region.clone());
    r.id = Some(id.to_string());
    r.attributes = attrs;
    r.dependencies = inst.dependencies.clone();
    r.prevent_destroy = inst.lifecycle.prevent_destroy;
    r.alias = inst.alias.clone();
    r
}

/// "no such object" in the words both import paths use.
pub(crate) fn not_found(kind: &str, id: &str, region: &str) -> String {
    format!(
        "no {kind} with id `{id}` in {region} (the id forms of each kind are listed in \
         docs/import.md)"
    )
}

/// What planning the stack's import blocks found.
#[derive(Debug, Default)]
pub(crate) struct Imports {
    /// Records to plan against, by address, as the apply will make them.
    pub records: BTreeMap<Address, ResourceState>,
    /// Live objects of blocks with no resource in the spec.
    pub unconfigured: Vec<Unconfigured>,
}

fn at(block: &ImportBlock) -> String {
    let p = &block.pos;
    format!("{}:{}:{}", p.file.display(), p.line, p.column)
}

/// Reads the objects of the stack's import blocks against `state` (after
/// its moves). Blocks without a resource in the spec are an error unless
/// `generating` (`forge plan --generate-spec`). Every problem is reported
/// at its block's position; nothing is written.
pub(crate) async fn read_imports(
    registry: &ProviderRegistry,
    stack: &Stack,
    state: Option<&State>,
    generating: bool,
    retry: &RetryPolicy,
) -> Result<Imports, EngineError> {
    let owner = match state {
        Some(s) => Owner::of_state(s),
        None => Owner::of_state(&State::new(stack.name.clone(), stack.environment.clone())),
    };
    let mut problems = Vec::new();
    let mut out = Imports::default();
    let mut reads = Vec::new();
    for block in &stack.adoption.imports {
        let problem = |message: String| PlanProblem {
            address: Some(block.to.clone()),
            message: format!("{}: import block: {message}", at(block)),
        };
        let inst = stack.instance(&block.to);
        let kind = match (inst, &block.kind) {
            (Some(i), _) => i.kind.clone(),
            (None, Some(k)) if generating => k.clone(),
            (None, _) => {
                problems.push(problem(format!(
                    "{} is not declared in the spec; declare it, or run `forge plan \
                     --generate-spec FILE` to write it from the live object",
                    block.to
                )));
                continue;
            }
        };
        match state
            .and_then(|s| s.get(&block.to))
            .and_then(|r| r.id.as_deref())
        {
            // Already imported: the block is done (Terraform's rule).
            Some(recorded) if recorded == block.id => continue,
            Some(recorded) => {
                problems.push(problem(format!(
                    "the state already records {recorded} at {}, not {}; `forge state rm {}` \
                     first to manage another object there",
                    block.to, block.id, block.to
                )));
                continue;
            }
            None => {}
        }
        let Some(provider) = registry.get(&kind) else {
            problems.push(problem(format!("unknown resource kind `{kind}`")));
            continue;
        };
        let region = inst.map_or(stack.region.as_str(), |i| i.region.as_str());
        reads.push((block, inst, kind, provider, region));
    }
    // The objects are read concurrently: a stack taking over many objects
    // waits for the slowest describe, not for their sum.
    let read = futures::future::join_all(reads.into_iter().map(
        |(block, inst, kind, provider, region)| {
            let owner = owner.clone();
            async move {
                let found = read_existing(
                    provider,
                    (region, inst.and_then(|i| i.alias.as_deref())),
                    owner,
                    &block.id,
                    retry,
                )
                .await;
                (block, inst, kind, region, found)
            }
        },
    ))
    .await;
    for (block, inst, kind, region, found) in read {
        let problem = |message: String| PlanProblem {
            address: Some(block.to.clone()),
            message: format!("{}: import block: {message}", at(block)),
        };
        match found {
            Err(e) => problems.push(problem(format!("reading {kind} {}: {e}", block.id))),
            Ok(None) => problems.push(problem(not_found(&kind, &block.id, region))),
            Ok(Some(attrs)) => match inst {
                Some(inst) => {
                    out.records
                        .insert(block.to.clone(), imported_record(inst, &block.id, attrs));
                }
                None => out.unconfigured.push(Unconfigured {
                    address: block.to.clone(),
                    kind,
                    region: region.to_string(),
                    id: block.id.clone(),
                    attrs,
                }),
            },
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(EngineError::Plan {
            stack: stack.name.clone(),
            problems,
        })
    }
}

/// Records the plan's imported objects in `state` (the apply's first
/// step), as planning assumed them: the object's live attributes at
/// planning time, the spec's dependencies.
pub(crate) fn record(plan: &Plan, state: &mut State) {
    for c in plan.changes.iter().filter(|c| c.import && !c.deposed) {
        let (Some(id), Some(before), Some(inst)) =
            (&c.id, &c.before, plan.config.instance(&c.address))
        else {
            continue;
        };
        if state.get(&c.address).is_some_and(|r| r.id.is_some()) {
            continue;
        }
        state.upsert(imported_record(inst, id, before.clone()));
    }
}
