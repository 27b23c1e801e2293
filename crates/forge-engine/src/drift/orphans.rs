//! Orphans: resources carrying this state's ownership tags that the state
//! does not know, and conflicts: recorded resources another state claims.
//!
//! They are found, in every region the stack or its state uses, with the
//! registry's [`crate::TagIndex`] when there is one (one paged call per region
//! for every kind it covers) and with `Provider::list_tagged` for every
//! other kind the stack or its state uses (one or more calls per kind). If
//! the index fails in a region (not allowed, not offered there), that
//! region falls back to `list_tagged` for the covered kinds too, so the
//! check stays complete at the old cost. Plans and destroys search with
//! the index alone ([`Search::IndexOnly`]): one call per region.
//!
//! The index is asked for everything tagged with the stack's name, so it
//! also returns the stack's other states (other environments, folders or
//! regions of a stack of the same name). Only the `forge:state` tag decides
//! (see [`crate::ownership`]):
//! - this state's lineage and not in the state: an orphan;
//! - another state's lineage on an object this state records: a conflict
//!   (two states would each revert the other's changes);
//! - no state tag (tagged by an earlier forge): reported as an unconfirmed
//!   orphan unless its tags contradict the stack's own evaluated tags (it
//!   says `Environment = prod` while `dev` is checked), never adopted.
//!
//! Every candidate left is confirmed with its kind's batched `observe` (one
//! call per kind that has candidates, so a clean stack pays nothing): an
//! index lags behind the services and lists objects pending deletion.

use super::{Conflict, DriftError, Orphan};
use crate::ownership::{ADDRESS_TAG, Claim, Owner};
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

/// Where an orphan search looks: a region, with the stack's credentials
/// (`None`) or one of its aliases' (another account, usually).
pub type Place = (String, Option<String>);

/// The (kind, place) pairs to list: every kind × every (region, alias)
/// involved.
pub fn groups(stack: &Stack, state: Option<&State>) -> Vec<(String, Place)> {
    let mut kinds = BTreeSet::new();
    let mut places = BTreeSet::new();
    for i in &stack.instances {
        kinds.insert(i.kind.clone());
        places.insert((i.region.clone(), i.alias.clone()));
    }
    for r in state.iter().flat_map(|s| s.resources.iter()) {
        kinds.insert(r.kind.clone());
        places.insert((r.region.clone(), r.alias.clone()));
    }
    if places.is_empty() {
        places.insert((stack.region.clone(), None));
    }
    kinds
        .iter()
        .flat_map(|k| places.iter().map(move |p| (k.clone(), p.clone())))
        .collect()
}

/// Every (kind, id) the state knows (current and deposed objects), with
/// the address that records it.
pub fn known_ids(state: Option<&State>) -> Known {
    let mut ids = Known::new();
    for r in state.iter().flat_map(|s| s.resources.iter()) {
        if let Some(id) = &r.id {
            ids.insert((r.kind.clone(), id.clone()), r.address.to_string());
        }
        for d in &r.deposed {
            ids.insert((r.kind.clone(), d.id.clone()), r.address.to_string());
        }
    }
    ids
}

/// (kind, id) -> address of what a state records.
pub type Known = BTreeMap<(String, String), String>;

/// How far to search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Search {
    /// The tag index and every other kind's `list_tagged` (drift).
    Complete,
    /// As `Complete`, for a stack whose backend holds no state (lost, or
    /// never written): objects of another state of the same stack and
    /// environment are reported as unconfirmed orphans, since that state
    /// may be the lost one.
    NoState,
    /// The tag index alone, one call per region (plan and destroy); kinds
    /// it does not cover are left to drift.
    IndexOnly,
}

/// What a search found.
#[derive(Debug, Default)]
pub struct Found {
    /// Untracked objects of this state (and unconfirmed ones).
    pub orphans: Vec<Orphan>,
    /// Recorded objects another state claims.
    pub conflicts: Vec<Conflict>,
    /// What the confirming observe saw of each orphan, by (kind, id), so
    /// a caller that acts on them need not observe them again.
    pub observed: BTreeMap<(String, String), Attrs>,
    /// Failures (the search is incomplete).
    pub errors: Vec<DriftError>,
}

/// A resource found by its ownership tag, not yet confirmed.
#[derive(Debug, Clone)]
struct Candidate {
    /// The kinds it can be, most likely first; the first is tried next.
    kinds: Vec<String>,
    region: String,
    /// The credential alias it was found with.
    alias: Option<String>,
    id: String,
    address_tag: Option<String>,
    /// Tagged by an earlier forge (no state tag): reported, never adopted.
    unconfirmed: bool,
}

/// What one region's search produced.
type RegionFound = (Vec<Candidate>, Vec<Conflict>, Vec<DriftError>);

/// Finds the orphans of the state `owner`: resources of the `groups`
/// (kind, region) pairs, and of every kind the tag index covers in those
/// regions, that carry its ownership tags (or, unconfirmed, the stack's
/// name without a state tag), are not in `known`, and exist; and the
/// recorded resources another state claims (see the module docs).
pub async fn find(
    registry: &ProviderRegistry,
    owner: &Owner,
    stack: &Stack,
    groups: Vec<(String, Place)>,
    known: &Known,
    search: Search,
    retry: &RetryPolicy,
) -> Found {
    let mut kinds_by_place: BTreeMap<Place, Vec<String>> = BTreeMap::new();
    for (kind, place) in groups {
        kinds_by_place.entry(place).or_default().push(kind);
    }
    let searches = kinds_by_place.into_iter().map(|(place, kinds)| {
        search_region(registry, owner, stack, place, kinds, known, search, retry)
    });
    let mut candidates = Vec::new();
    let mut found = Found::default();
    for (c, conflicts, errs) in futures::future::join_all(searches).await {
        candidates.extend(c);
        found.conflicts.extend(conflicts);
        found.errors.extend(errs);
    }
    candidates.retain(|c| {
        !c.kinds
            .iter()
            .any(|k| known.contains_key(&(k.clone(), c.id.clone())))
    });
    let (orphans, observed, confirm_errors) =
        confirm(registry, owner, stack, candidates, retry).await;
    found.orphans = orphans;
    found.observed = observed;
    found.errors.extend(confirm_errors);
    found
}

/// One region: the tag index for what it covers (falling back to
/// `list_tagged` if it fails), `list_tagged` for the rest.
#[allow(clippy::too_many_arguments)]
async fn search_region(
    registry: &ProviderRegistry,
    owner: &Owner,
    stack: &Stack,
    (region, alias): Place,
    kinds: Vec<String>,
    known: &Known,
    search: Search,
    retry: &RetryPolicy,
) -> RegionFound {
    let ctx = ObserveCtx {
        region: region.clone(),
        alias,
        owner: owner.clone(),
    };
    let mut found = Vec::new();
    let mut conflicts = Vec::new();
    let mut errors = Vec::new();
    let mut listed_kinds = kinds;
    if let Some(index) = registry.tag_index() {
        match with_retry(retry, || index.tagged(&ctx), |_, _, _| {}).await {
            Ok(tagged) => {
                let (c, x) =
                    indexed_candidates(registry, owner, stack, &ctx, tagged, known, search);
                found.extend(c);
                conflicts.extend(x);
                listed_kinds.retain(|k| !index.covers(k));
            }
            Err(e) => {
                tracing::warn!(region = %region, error = %e, "tag index failed; listing each kind instead");
            }
        }
    }
    if search == Search::IndexOnly {
        return (found, conflicts, errors);
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
    (found, conflicts, errors)
}

/// The index's findings as candidates and conflicts, keeping only kinds
/// the registry has a provider for (an index may know kinds a library
/// user left out). Other states' objects are candidates of nothing (a
/// shared account costs no observe for them) but conflicts when this
/// state records them; unconfirmed objects whose tags contradict the
/// stack's (a sibling environment's, from before the state tag) are left
/// out.
fn indexed_candidates(
    registry: &ProviderRegistry,
    owner: &Owner,
    stack: &Stack,
    ctx: &ObserveCtx,
    tagged: Vec<TaggedResource>,
    known: &Known,
    search: Search,
) -> (Vec<Candidate>, Vec<Conflict>) {
    let mut candidates = Vec::new();
    let mut conflicts = Vec::new();
    for t in tagged {
        let kinds: Vec<String> = t
            .kinds
            .into_iter()
            .filter(|k| registry.get(k).is_some())
            .collect();
        let claim = owner.claim(t.tags.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let unconfirmed = match claim {
            Claim::Ours => false,
            Claim::Unconfirmed(_) => {
                let sibling = stack
                    .tags
                    .iter()
                    .any(|(k, want)| t.tags.get(k).is_some_and(|have| have != want));
                if sibling {
                    continue;
                }
                true
            }
            Claim::OtherState(by) => {
                let recorded = kinds
                    .iter()
                    .find_map(|k| known.get(&(k.clone(), t.id.clone())).map(|a| (k, a)));
                // With no state, a state of this stack and environment
                // may be the lost one: reported, unconfirmed.
                let lost = search == Search::NoState
                    && by.stack.as_deref() == Some(owner.stack.as_str())
                    && by.environment == owner.environment;
                if lost {
                    true
                } else {
                    if let Some((kind, address)) = recorded {
                        conflicts.push(Conflict {
                            address: address.clone(),
                            kind: kind.clone(),
                            region: ctx.region.clone(),
                            id: t.id.clone(),
                            claimed_by: by.to_string(),
                            claimed_by_lineage: by.lineage.clone(),
                        });
                    }
                    continue;
                }
            }
            Claim::Unowned => continue,
        };
        if !kinds.is_empty() {
            candidates.push(Candidate {
                kinds,
                region: ctx.region.clone(),
                alias: ctx.alias.clone(),
                address_tag: t.tags.get(ADDRESS_TAG).cloned(),
                id: t.id,
                unconfirmed,
            });
        }
    }
    (candidates, conflicts)
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
                "listing {kind} tagged forge:state={} in {}: {e}",
                ctx.owner.lineage, ctx.region
            ))
        })?;
    Ok(listed
        .into_iter()
        .map(|(id, address_tag)| Candidate {
            kinds: vec![kind.clone()],
            region: ctx.region.clone(),
            alias: ctx.alias.clone(),
            id,
            address_tag,
            unconfirmed: false,
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
    owner: &Owner,
    stack: &Stack,
    mut pending: Vec<Candidate>,
    retry: &RetryPolicy,
) -> (
    Vec<Orphan>,
    BTreeMap<(String, String), Attrs>,
    Vec<DriftError>,
) {
    let mut orphans = Vec::new();
    let mut seen = BTreeMap::new();
    let mut errors = Vec::new();
    while !pending.is_empty() {
        let mut groups: BTreeMap<(String, Place), Vec<Candidate>> = BTreeMap::new();
        for c in pending.drain(..) {
            if let Some(kind) = c.kinds.first() {
                groups
                    .entry((kind.clone(), (c.region.clone(), c.alias.clone())))
                    .or_default()
                    .push(c);
            }
        }
        let rounds = groups
            .into_iter()
            .map(|((kind, (region, alias)), found)| async move {
                let ctx = ObserveCtx {
                    region: region.clone(),
                    alias,
                    owner: owner.clone(),
                };
                let observed =
                    match registry.get(&kind) {
                        Some(provider) => observe_ids(provider, &ctx, &found, retry)
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
                    Some(attrs) if c.unconfirmed && contradicts(&stack.tags, attrs) => {}
                    Some(attrs) => {
                        seen.insert((kind.clone(), c.id.clone()), attrs.clone());
                        orphans.push(Orphan {
                            kind: kind.clone(),
                            region: c.region,
                            alias: c.alias,
                            id: c.id,
                            address_tag: c.address_tag,
                            unconfirmed: c.unconfirmed,
                        });
                    }
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
    (orphans, seen, errors)
}

/// One batched observe of the candidates' ids.
async fn observe_ids(
    provider: &Arc<dyn crate::Provider>,
    ctx: &ObserveCtx,
    found: &[Candidate],
    retry: &RetryPolicy,
) -> Result<BTreeMap<String, Attrs>, ProviderError> {
    let mut ids: Vec<String> = found.iter().map(|c| c.id.clone()).collect();
    ids.sort();
    ids.dedup();
    with_retry(retry, || provider.observe(ctx, &ids), |_, _, _| {}).await
}
