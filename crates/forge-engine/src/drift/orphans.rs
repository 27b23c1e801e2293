//! Orphans: resources carrying `forge:stack=<stack>` that the state does
//! not know, found with `Provider::list_tagged` for every kind the stack or
//! its state uses, in every region either uses.
//!
//! `forge:stack` holds the stack's name only, so the environments of one
//! stack deployed in the same account carry the same ownership tag. A
//! candidate whose tags contradict the stack's own evaluated tags (it says
//! `Environment = prod` while `dev` is checked) belongs to a sibling
//! environment and is not reported; telling them apart costs one batched
//! observe per kind that has candidates.

use super::{DriftError, Orphan};
use crate::provider::ObserveCtx;
use crate::registry::ProviderRegistry;
use crate::retry::{RetryPolicy, with_retry};
use crate::state::State;
use forge_core::Value;
use forge_core::spec::Stack;
use std::collections::BTreeMap;
use std::collections::BTreeSet;

/// The (kind, region) pairs to list: every kind × every region involved.
pub fn groups(stack: &Stack, state: Option<&State>) -> Vec<(String, String)> {
    let mut kinds = BTreeSet::new();
    let mut regions = BTreeSet::new();
    for i in &stack.instances {
        kinds.insert(i.kind.clone());
        regions.insert(i.region.clone());
    }
    for r in state.iter().flat_map(|s| s.resources.iter()) {
        kinds.insert(r.kind.clone());
        regions.insert(r.region.clone());
    }
    if regions.is_empty() {
        regions.insert(stack.region.clone());
    }
    kinds
        .iter()
        .flat_map(|k| regions.iter().map(move |r| (k.clone(), r.clone())))
        .collect()
}

/// Every id the state knows (current and deposed objects).
pub fn known_ids(state: Option<&State>) -> BTreeSet<(String, String)> {
    let mut ids = BTreeSet::new();
    for r in state.iter().flat_map(|s| s.resources.iter()) {
        if let Some(id) = &r.id {
            ids.insert((r.kind.clone(), id.clone()));
        }
        for d in &r.deposed {
            ids.insert((r.kind.clone(), d.id.clone()));
        }
    }
    ids
}

/// Lists tagged resources of every group concurrently and keeps those the
/// state does not know.
pub async fn find(
    registry: &ProviderRegistry,
    stack_name: &str,
    groups: Vec<(String, String)>,
    known: &BTreeSet<(String, String)>,
    retry: &RetryPolicy,
) -> (Vec<Orphan>, Vec<DriftError>) {
    let calls = groups.into_iter().map(|(kind, region)| async move {
        let Some(provider) = registry.get(&kind) else {
            return Err(DriftError {
                kind: Some(kind.clone()),
                region: Some(region),
                address: None,
                message: format!("no provider for resource kind `{kind}`"),
            });
        };
        let ctx = ObserveCtx {
            region: region.clone(),
            stack: stack_name.to_string(),
        };
        with_retry(retry, || provider.list_tagged(&ctx), |_, _, _| {})
            .await
            .map(|found| (kind.clone(), region.clone(), found))
            .map_err(|e| DriftError {
                kind: Some(kind.clone()),
                region: Some(region.clone()),
                address: None,
                message: format!("listing {kind} tagged forge:stack={stack_name} in {region}: {e}"),
            })
    });
    let mut orphans = Vec::new();
    let mut errors = Vec::new();
    for result in futures::future::join_all(calls).await {
        match result {
            Ok((kind, region, found)) => {
                for (id, address_tag) in found {
                    if !known.contains(&(kind.clone(), id.clone())) {
                        orphans.push(Orphan {
                            kind: kind.clone(),
                            region: region.clone(),
                            id,
                            address_tag,
                        });
                    }
                }
            }
            Err(e) => errors.push(e),
        }
    }
    (orphans, errors)
}

/// Whether observed `attrs` carry a tag of `stack_tags` with another value.
fn contradicts(stack_tags: &BTreeMap<String, String>, attrs: &forge_core::Attrs) -> bool {
    let Some(Value::Map(tags)) = attrs.get("tags") else {
        return false;
    };
    stack_tags.iter().any(|(k, want)| {
        tags.get(k)
            .and_then(Value::as_str)
            .is_some_and(|have| have != want)
    })
}

/// Drops candidates that belong to another environment of the same stack
/// name (see the module docs). Candidates of kinds without tags, or whose
/// observe finds them gone, are kept as they are.
pub async fn drop_other_environments(
    registry: &ProviderRegistry,
    stack: &Stack,
    candidates: Vec<Orphan>,
    retry: &RetryPolicy,
) -> (Vec<Orphan>, Vec<DriftError>) {
    if stack.tags.is_empty() || candidates.is_empty() {
        return (candidates, Vec::new());
    }
    let mut groups: BTreeMap<(String, String), Vec<Orphan>> = BTreeMap::new();
    for o in candidates {
        groups
            .entry((o.kind.clone(), o.region.clone()))
            .or_default()
            .push(o);
    }
    let calls = groups
        .into_iter()
        .map(|((kind, region), found)| async move {
            let Some(provider) = registry.get(&kind) else {
                return Ok(found);
            };
            if provider.schema().field("tags").is_none() {
                return Ok(found);
            }
            let ids: Vec<String> = found.iter().map(|o| o.id.clone()).collect();
            let ctx = ObserveCtx {
                region: region.clone(),
                stack: stack.name.clone(),
            };
            let observed = with_retry(retry, || provider.observe(&ctx, &ids), |_, _, _| {})
                .await
                .map_err(|e| DriftError {
                    kind: Some(kind.clone()),
                    region: Some(region.clone()),
                    address: None,
                    message: format!("observing untracked {kind} in {region}: {e}"),
                })?;
            Ok(found
                .into_iter()
                .filter(|o| {
                    observed
                        .get(&o.id)
                        .is_none_or(|attrs| !contradicts(&stack.tags, attrs))
                })
                .collect())
        });
    let mut kept = Vec::new();
    let mut errors = Vec::new();
    for result in futures::future::join_all(calls).await {
        match result {
            Ok(found) => kept.extend(found),
            Err(e) => errors.push(e),
        }
    }
    (kept, errors)
}
