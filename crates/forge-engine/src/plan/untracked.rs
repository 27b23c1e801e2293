//! Objects this state created but does not record, found by their
//! ownership tags at plan time.
//!
//! A create whose answer was lost, retried by a layer that did not look
//! first, leaves a second object tagged with this state's lineage and an
//! address the state already holds. Nothing in the state points at it, so
//! without this search no plan, apply or destroy would ever see it. Every
//! plan (and destroy) asks the registry's tag index for this state's
//! objects (one call per region; kinds the index does not cover are left
//! to `forge drift`) and:
//! - adopts one whose address is in the spec and has no live object in
//!   the state (it becomes an `adopt` change, as after a crash);
//! - plans the delete of every other one, as a deposed object of the
//!   address its tag names: it is this state's own leftover (the lineage
//!   says so), and leaving it would leak it.
//!
//! Objects of other states are never touched, and objects tagged by an
//! earlier forge without a state tag are left to `forge drift`, which
//! reports them for the user to confirm.

use super::ResourceChange;
use crate::drift::Orphan;
use crate::drift::orphans::{self, Search};
use crate::ownership::Owner;
use crate::plan::ChangeAction;
use crate::provider::Created;
use crate::registry::ProviderRegistry;
use crate::retry::RetryPolicy;
use crate::state::State;
use crate::values::with_id;
use forge_core::Address;
use forge_core::spec::Stack;
use std::collections::BTreeMap;

/// What the search decided.
#[derive(Debug, Default)]
pub struct Untracked {
    /// Objects to adopt, by address (added to the interrupted creates').
    pub adopt: BTreeMap<Address, Created>,
    /// Delete changes of leftover objects.
    pub deletes: Vec<ResourceChange>,
}

/// Searches for this state's untracked objects (see the module docs).
/// `pending` are the adoptions already found through pending intents.
/// Failures of the search only log: a plan never fails because the tag
/// index is not allowed or not offered.
pub async fn search(
    registry: &ProviderRegistry,
    stack: &Stack,
    state: &State,
    pending: &BTreeMap<Address, Created>,
    destroy: bool,
    retry: &RetryPolicy,
) -> Untracked {
    let mut out = Untracked::default();
    if registry.tag_index().is_none() {
        return out;
    }
    let owner = Owner::of_state(state);
    let known = orphans::known_ids(Some(state));
    let groups = orphans::groups(stack, Some(state));
    let found = orphans::find(
        registry,
        &owner,
        stack,
        groups,
        &known,
        Search::IndexOnly,
        retry,
    )
    .await;
    for e in &found.errors {
        tracing::warn!(error = %e.message, "searching for untracked objects of this state");
    }
    // What a pending intent's lookup already adopts is not untracked.
    let mut mine: Vec<Orphan> = found
        .orphans
        .into_iter()
        .filter(|o| !o.unconfirmed && !pending.values().any(|c| c.id == o.id))
        .collect();
    if mine.is_empty() {
        return out;
    }
    // The lowest id of an address is adopted, so every run picks the same.
    mine.sort_by(|a, b| (&a.address_tag, &a.id).cmp(&(&b.address_tag, &b.id)));
    let attrs = found.observed;
    for o in mine {
        let Some(before) = attrs.get(&(o.kind.clone(), o.id.clone())).cloned() else {
            continue;
        };
        let address = o
            .address_tag
            .as_deref()
            .and_then(|a| a.parse::<Address>().ok())
            .unwrap_or_else(|| Address::single(format!("untracked_{}", o.id)));
        let free = !destroy
            && stack.instance(&address).is_some_and(|i| i.kind == o.kind)
            && state.get(&address).is_none_or(|r| r.id.is_none())
            && !pending.contains_key(&address)
            && !out.adopt.contains_key(&address);
        if free {
            out.adopt.insert(address, Created::new(o.id, before));
            continue;
        }
        let why = format!(
            "{} {} carries this state's ownership tags as {address} but is not recorded in the \
             state (a duplicate left by a create retried elsewhere, or an object whose record \
             was lost); it will be destroyed",
            o.kind, o.id
        );
        out.deletes.push(ResourceChange {
            address,
            kind: o.kind,
            region: o.region,
            alias: o.alias,
            action: ChangeAction::Delete,
            before: Some(with_id(before, &o.id)),
            id: Some(o.id),
            after: None,
            changes: Vec::new(),
            pending: Vec::new(),
            replace_because: Vec::new(),
            create_before_destroy: false,
            dependencies: Default::default(),
            warnings: vec![why],
            deposed: true,
            pending_token: None,
            store_sensitive: false,
            data_loss: false,
            untracked: true,
            not_compared: Vec::new(),
            import: false,
            moved_from: None,
        });
    }
    out
}
