//! Orphans: resources carrying `forge:stack=<stack>` that the state does
//! not know.
//!
//! They are found, in every region the stack or its state uses, with the
//! registry's [`crate::TagIndex`] when there is one (one paged call per region
//! for every kind it covers) and with `Provider::list_tagged` for every
//! other kind the stack or its state uses (one or more calls per kind). If
//! the index fails in a region (not allowed, not offered there), that
//! region falls back to `list_tagged` for the covered kinds too, so the
//! check stays complete at the old cost.
//!
//! `forge:stack` holds the stack's name only, so the environments of one
//! stack deployed in the same account carry the same ownership tag. A
//! candidate whose tags contradict the stack's own evaluated tags (it says
//! `Environment = prod` while `dev` is checked) belongs to a sibling
//! environment and is not reported. Every candidate left is confirmed with
//! its kind's batched `observe` (one call per kind that has candidates, so
//! a clean stack pays nothing): an index lags behind the services and
//! lists objects pending deletion, and the observed tags settle the
//! environment for kinds listed without tags.

use super::{DriftError, Orphan};
use crate::provider::{ObserveCtx, ProviderError};
use crate::registry::ProviderRegistry;
use crate::retry::{RetryPolicy, with_retry};
use crate::state::State;
use crate::tag_index::TaggedResource;
use forge_core::spec::Stack;
use forge_core::{Attrs, Value};
use std::collections::BTreeMap;
use std::collections::BTreeSet;
use std::sync::Arc;

/// The ownership tag naming the resource's address (see the AWS
/// providers' tags module; the engine only reads it).
const ADDRESS_TAG: &str = "forge:address";

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

/// A resource found by its ownership tag, not yet confirmed.
#[derive(Debug, Clone)]
struct Candidate {
    /// The kinds it can be, most likely first; the first is tried next.
    kinds: Vec<String>,
    region: String,
    id: String,
    address_tag: Option<String>,
}

/// What one region's search produced.
type RegionFound = (Vec<Candidate>, Vec<DriftError>);

/// Finds the orphans of `stack`: resources of the `groups` (kind, region)
/// pairs, and of every kind the tag index covers in those regions, that
/// carry the stack's ownership tag, are not in `known`, do not belong to a
/// sibling environment, and exist (see the module docs).
pub async fn find(
    registry: &ProviderRegistry,
    stack: &Stack,
    groups: Vec<(String, String)>,
    known: &BTreeSet<(String, String)>,
    retry: &RetryPolicy,
) -> (Vec<Orphan>, Vec<DriftError>) {
    let mut kinds_by_region: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (kind, region) in groups {
        kinds_by_region.entry(region).or_default().push(kind);
    }
    let searches = kinds_by_region
        .into_iter()
        .map(|(region, kinds)| search_region(registry, stack, region, kinds, retry));
    let mut candidates = Vec::new();
    let mut errors = Vec::new();
    for (found, errs) in futures::future::join_all(searches).await {
        candidates.extend(found);
        errors.extend(errs);
    }
    candidates.retain(|c| {
        !c.kinds
            .iter()
            .any(|k| known.contains(&(k.clone(), c.id.clone())))
    });
    let (orphans, confirm_errors) = confirm(registry, stack, candidates, retry).await;
    errors.extend(confirm_errors);
    (orphans, errors)
}

/// One region: the tag index for what it covers (falling back to
/// `list_tagged` if it fails), `list_tagged` for the rest.
async fn search_region(
    registry: &ProviderRegistry,
    stack: &Stack,
    region: String,
    kinds: Vec<String>,
    retry: &RetryPolicy,
) -> RegionFound {
    let ctx = ObserveCtx {
        region: region.clone(),
        stack: stack.name.clone(),
    };
    let mut found = Vec::new();
    let mut errors = Vec::new();
    let mut listed_kinds = kinds;
    if let Some(index) = registry.tag_index() {
        match with_retry(retry, || index.tagged(&ctx), |_, _, _| {}).await {
            Ok(tagged) => {
                found.extend(indexed_candidates(registry, stack, &region, tagged));
                listed_kinds.retain(|k| !index.covers(k));
            }
            Err(e) => {
                tracing::warn!(region = %region, error = %e, "tag index failed; listing each kind instead");
            }
        }
    }
    let lists = listed_kinds
        .into_iter()
        .map(|kind| list_kind(registry, &ctx, kind, retry));
    for result in futures::future::join_all(lists).await {
        match result {
            Ok(listed) => found.extend(listed),
            Err(e) => errors.push(e),
        }
    }
    (found, errors)
}

/// The index's findings as candidates, keeping only kinds the registry
/// has a provider for (an index may know kinds a library user left out)
/// and leaving out, by the tags the index returned, those of a sibling
/// environment, so a shared account costs no observe for them.
fn indexed_candidates<'a>(
    registry: &'a ProviderRegistry,
    stack: &'a Stack,
    region: &'a str,
    tagged: Vec<TaggedResource>,
) -> impl Iterator<Item = Candidate> + 'a {
    tagged.into_iter().filter_map(move |t| {
        let sibling = stack
            .tags
            .iter()
            .any(|(k, want)| t.tags.get(k).is_some_and(|have| have != want));
        if sibling {
            return None;
        }
        let kinds: Vec<String> = t
            .kinds
            .into_iter()
            .filter(|k| registry.get(k).is_some())
            .collect();
        (!kinds.is_empty()).then(|| Candidate {
            kinds,
            region: region.to_string(),
            address_tag: t.tags.get(ADDRESS_TAG).cloned(),
            id: t.id,
        })
    })
}

/// One kind's `list_tagged` in one region.
async fn list_kind(
    registry: &ProviderRegistry,
    ctx: &ObserveCtx,
    kind: String,
    retry: &RetryPolicy,
) -> Result<Vec<Candidate>, DriftError> {
    let error = |message: String| DriftError {
        kind: Some(kind.clone()),
        region: Some(ctx.region.clone()),
        address: None,
        message,
    };
    let Some(provider) = registry.get(&kind) else {
        return Err(error(format!("no provider for resource kind `{kind}`")));
    };
    let listed = with_retry(retry, || provider.list_tagged(ctx), |_, _, _| {})
        .await
        .map_err(|e| {
            error(format!(
                "listing {kind} tagged forge:stack={} in {}: {e}",
                ctx.stack, ctx.region
            ))
        })?;
    Ok(listed
        .into_iter()
        .map(|(id, address_tag)| Candidate {
            kinds: vec![kind.clone()],
            region: ctx.region.clone(),
            id,
            address_tag,
        })
        .collect())
}

/// Whether observed `attrs` carry a tag of `stack_tags` with another value.
fn contradicts(stack_tags: &BTreeMap<String, String>, attrs: &Attrs) -> bool {
    let Some(Value::Map(tags)) = attrs.get("tags") else {
        return false;
    };
    stack_tags.iter().any(|(k, want)| {
        tags.get(k)
            .and_then(Value::as_str)
            .is_some_and(|have| have != want)
    })
}

/// Confirms candidates with one batched `observe` per (kind, region):
/// those observed and not of a sibling environment become orphans; those
/// not observed are tried as their next possible kind, or dropped (gone,
/// pending deletion, or not really of that kind).
async fn confirm(
    registry: &ProviderRegistry,
    stack: &Stack,
    mut pending: Vec<Candidate>,
    retry: &RetryPolicy,
) -> (Vec<Orphan>, Vec<DriftError>) {
    let mut orphans = Vec::new();
    let mut errors = Vec::new();
    while !pending.is_empty() {
        let mut groups: BTreeMap<(String, String), Vec<Candidate>> = BTreeMap::new();
        for c in pending.drain(..) {
            if let Some(kind) = c.kinds.first() {
                groups
                    .entry((kind.clone(), c.region.clone()))
                    .or_default()
                    .push(c);
            }
        }
        let rounds = groups
            .into_iter()
            .map(|((kind, region), found)| async move {
                let observed = match registry.get(&kind) {
                    Some(provider) => observe_ids(provider, stack, &region, &found, retry)
                        .await
                        .map_err(|e| DriftError {
                            kind: Some(kind.clone()),
                            region: Some(region.clone()),
                            address: None,
                            message: format!("observing untracked {kind} in {region}: {e}"),
                        })?,
                    None => BTreeMap::new(),
                };
                Ok::<_, DriftError>((kind, found, observed))
            });
        for result in futures::future::join_all(rounds).await {
            let (kind, found, observed) = match result {
                Ok(r) => r,
                Err(e) => {
                    errors.push(e);
                    continue;
                }
            };
            for mut c in found {
                match observed.get(&c.id) {
                    Some(attrs) if contradicts(&stack.tags, attrs) => {}
                    Some(_) => orphans.push(Orphan {
                        kind: kind.clone(),
                        region: c.region,
                        id: c.id,
                        address_tag: c.address_tag,
                    }),
                    None => {
                        c.kinds.remove(0);
                        if !c.kinds.is_empty() {
                            pending.push(c);
                        }
                    }
                }
            }
        }
    }
    (orphans, errors)
}

/// One batched observe of the candidates' ids.
async fn observe_ids(
    provider: &Arc<dyn crate::Provider>,
    stack: &Stack,
    region: &str,
    found: &[Candidate],
    retry: &RetryPolicy,
) -> Result<BTreeMap<String, Attrs>, ProviderError> {
    let mut ids: Vec<String> = found.iter().map(|c| c.id.clone()).collect();
    ids.sort();
    ids.dedup();
    let ctx = ObserveCtx {
        region: region.to_string(),
        stack: stack.name.clone(),
    };
    with_retry(retry, || provider.observe(&ctx, &ids), |_, _, _| {}).await
}
