//! Refresh: one batched `observe` per (kind, region, credential alias)
//! group of the state's resources, all groups concurrently. Observe results are authoritative; a
//! resource whose id is missing from its group's result is gone.

use crate::diff::mark_sensitive;
use crate::error::EngineError;
use crate::provider::ObserveCtx;
use crate::registry::ProviderRegistry;
use crate::retry::{RetryPolicy, with_retry};
use crate::state::State;
use crate::values::with_id;
use forge_core::{Attrs, KindSchema, Value};
use std::collections::BTreeMap;

/// Where resources are observed together: (kind, region, credential
/// alias). The alias is part of it because one batched call is made with
/// one set of credentials, and so in one account.
pub type Group = (String, String, Option<String>);

/// The group a recorded resource is observed in.
pub fn group_of(r: &crate::state::ResourceState) -> Group {
    (r.kind.clone(), r.region.clone(), r.alias.clone())
}

/// Observed attributes by group and id.
pub type Observed = BTreeMap<Group, BTreeMap<String, Attrs>>;

/// Observes every resource (and deposed object) in `state` that has an id.
pub async fn observe_all(
    registry: &ProviderRegistry,
    state: &State,
    policy: &RetryPolicy,
) -> Result<Observed, EngineError> {
    let mut groups: BTreeMap<Group, Vec<String>> = BTreeMap::new();
    for r in &state.resources {
        let ids = groups.entry(group_of(r)).or_default();
        ids.extend(r.id.iter().cloned());
        ids.extend(r.deposed.iter().map(|d| d.id.clone()));
    }
    let calls = groups.into_iter().filter(|(_, ids)| !ids.is_empty()).map(
        |((kind, region, alias), mut ids)| {
            ids.sort();
            ids.dedup();
            let owner = crate::ownership::Owner::of_state(state);
            async move {
                let provider = registry
                    .get(&kind)
                    .ok_or_else(|| EngineError::UnknownKind {
                        kind: kind.clone(),
                        address: "resources in the state".into(),
                    })?;
                let ctx = ObserveCtx {
                    region: region.clone(),
                    alias: alias.clone(),
                    owner,
                };
                let found = with_retry(policy, || provider.observe(&ctx, &ids), |_, _, _| {})
                    .await
                    .map_err(|source| EngineError::Refresh {
                        kind: kind.clone(),
                        region: region.clone(),
                        source,
                    })?;
                tracing::debug!(
                    kind = %kind, region = %region, recorded = ids.len(), found = found.len(),
                    "refreshed"
                );
                Ok::<_, EngineError>(((kind, region, alias), found))
            }
        },
    );
    futures::future::try_join_all(calls)
        .await
        .map(|v| v.into_iter().collect())
}

/// Merges observed attributes into a recorded attribute map: observed wins,
/// except that sensitive values the cloud does not return (passwords) are
/// kept from the record, so they are not seen as removed, and so are the
/// kind's `local` settings the object does not carry (an object forge did
/// not make, imported or migrated): the record's value, else the default.
pub fn merge_observed(
    schema: Option<&KindSchema>,
    recorded: &Attrs,
    observed: &Attrs,
    id: &str,
) -> Attrs {
    let mut out = with_id(observed.clone(), id);
    for (k, v) in recorded {
        if v.is_sensitive() && out.get(k).is_none_or(Value::is_null) {
            out.insert(k.clone(), v.clone());
        }
    }
    for (k, field) in schema.map(|s| &s.fields).into_iter().flatten() {
        if !field.local || out.get(k).is_some_and(|v| !v.is_null()) {
            continue;
        }
        let kept = recorded
            .get(k)
            .filter(|v| !v.is_null())
            .or(field.default.as_ref());
        if let Some(v) = kept {
            out.insert(k.clone(), v.clone());
        }
    }
    out
}

/// The state as the cloud has it now: attributes replaced by what was
/// observed, resources and deposed objects that are gone dropped.
/// Resources with only a pending create intent are kept (the planner looks
/// for their orphan).
pub fn apply_observed(registry: &ProviderRegistry, mut state: State, observed: &Observed) -> State {
    let empty = BTreeMap::new();
    state.resources.retain_mut(|r| {
        let group = observed.get(&group_of(r)).unwrap_or(&empty);
        r.deposed.retain(|d| group.contains_key(&d.id));
        let Some(id) = r.id.clone() else {
            return r.pending.is_some();
        };
        match group.get(&id) {
            Some(attrs) => {
                let schema = registry.get(&r.kind).map(|p| p.schema());
                let mut merged = merge_observed(schema, &r.attributes, attrs, &id);
                if let Some(p) = registry.get(&r.kind) {
                    mark_sensitive(p.schema(), &mut merged);
                }
                r.attributes = merged;
                true
            }
            None => false,
        }
    });
    state
}

/// Refreshes `state` against the cloud.
pub async fn refresh(
    registry: &ProviderRegistry,
    state: State,
    policy: &RetryPolicy,
) -> Result<State, EngineError> {
    let observed = observe_all(registry, &state, policy).await?;
    Ok(apply_observed(registry, state, &observed))
}
