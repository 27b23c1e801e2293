//! Making a plan: evaluate each instance in dependency order against the
//! refreshed state, let its provider diff it, honour `lifecycle`, and add
//! deletes for what left the spec and adoptions for what an interrupted run
//! left behind.

use super::{ChangeAction, OutputChange, PLAN_FORMAT_VERSION, Plan, ResourceChange};
use crate::diff::values_equal;
use crate::error::{EngineError, PlanProblem};
use crate::ignore::apply_ignore_changes;
use crate::ownership::Owner;
use crate::provider::{Created, PlannedAction, Provider, Readiness};
use crate::registry::ProviderRegistry;
use crate::state::codec::matches_hash;
use crate::state::{ResourceState, ResourceStatus, State};
use crate::values::{AttrValues, desired_attrs, resource_ctx, with_id};
use forge_core::graph::DepGraph;
use forge_core::spec::{Instance, Stack};
use forge_core::{Address, Attrs, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// Options of a plan.
#[derive(Debug, Clone)]
pub struct PlanOptions {
    /// Refresh from the cloud first (default true); without it the state's
    /// recorded attributes are the prior.
    pub refresh: bool,
    /// Resources whose sensitive attributes are stored in plain text in the
    /// state instead of as hashes.
    pub store_sensitive: BTreeSet<Address>,
    /// Retries of refresh and orphan lookups.
    pub retry: crate::retry::RetryPolicy,
    /// `forge plan --generate-spec`: import blocks whose address the spec
    /// does not declare are read for the spec to be written, not refused.
    pub generate_spec: bool,
    /// `-replace ADDR`: resources replaced though nothing forces it
    /// (see [`super::replace`]).
    pub replace: BTreeSet<Address>,
    /// `-target ADDR`: plan only these and what they depend on (see
    /// [`super::target`]).
    pub target: BTreeSet<Address>,
}

impl Default for PlanOptions {
    fn default() -> Self {
        PlanOptions {
            refresh: true,
            store_sensitive: BTreeSet::new(),
            retry: Default::default(),
            generate_spec: false,
            replace: BTreeSet::new(),
            target: BTreeSet::new(),
        }
    }
}

/// Everything the planner needs.
pub(crate) struct PlanInput<'a> {
    pub registry: &'a ProviderRegistry,
    pub stack: &'a Stack,
    /// The refreshed state (None: no state yet).
    pub state: Option<State>,
    pub options: &'a PlanOptions,
    pub destroy: bool,
    /// Resources of the recorded state the refresh found gone.
    pub gone: Vec<Address>,
    /// What the stack's `import:` blocks read.
    pub imports: super::imports::Imports,
    /// The renames and forgets of `moved:` / `removed:` blocks already
    /// made on `state`.
    pub moves: Vec<super::moves::Move>,
    /// See `moves`.
    pub unmanage: Vec<Address>,
}

/// Orphans of interrupted creates, by address.
async fn find_orphans(
    registry: &ProviderRegistry,
    state: &State,
    options: &PlanOptions,
) -> Result<BTreeMap<Address, Created>, EngineError> {
    let owner = Owner::of_state(state);
    let lookups = state
        .resources
        .iter()
        .filter(|r| r.id.is_none())
        .filter_map(|r| {
            let pending = r.pending.as_ref()?;
            let provider = registry.get(&r.kind)?.clone();
            let ctx = resource_ctx(&owner, &r.address, &r.region, r.alias.as_deref());
            let token = pending.token.clone();
            let address = r.address.clone();
            Some(async move {
                let found = crate::retry::with_retry(
                    &options.retry,
                    || provider.find_orphan(&ctx, &token),
                    |_, _, _| {},
                )
                .await
                .map_err(|source| EngineError::FindOrphan {
                    address: address.clone(),
                    source,
                })?;
                Ok::<_, EngineError>(found.map(|c| (address, c)))
            })
        });
    let found = futures::future::try_join_all(lookups).await?;
    Ok(found.into_iter().flatten().collect())
}

/// Replaces recorded hashes of sensitive values by the desired value when
/// they hash equal, so an unchanged password is not a diff.
pub(crate) fn reveal_hashed(prior: &mut Attrs, desired: &Attrs) {
    for (k, v) in prior.iter_mut() {
        if let (Value::Sensitive(inner), Some(want)) = (&*v, desired.get(k))
            && inner.get("sha256").is_some()
            && matches_hash(v, want)
        {
            *v = want.clone();
        }
    }
}

fn unknown_placeholder() -> Attrs {
    Attrs::from([("id".to_string(), Value::Unknown)])
}

fn delete_change(
    r: &ResourceState,
    id: Option<String>,
    before: Attrs,
    deposed: bool,
) -> ResourceChange {
    ResourceChange {
        address: r.address.clone(),
        kind: r.kind.clone(),
        region: r.region.clone(),
        alias: r.alias.clone(),
        action: ChangeAction::Delete,
        id,
        before: Some(before),
        after: None,
        changes: Vec::new(),
        pending: Vec::new(),
        replace_because: Vec::new(),
        create_before_destroy: false,
        dependencies: r.dependencies.clone(),
        warnings: Vec::new(),
        deposed,
        pending_token: None,
        store_sensitive: r.store_sensitive,
        data_loss: false,
        untracked: false,
        not_compared: Vec::new(),
        import: false,
        moved_from: None,
    }
}

/// Builds the plan.
pub(crate) async fn build_plan(input: PlanInput<'_>) -> Result<Plan, EngineError> {
    let PlanInput {
        registry,
        stack,
        state,
        options,
        destroy,
        gone,
        imports,
        moves,
        unmanage,
    } = input;
    let state_exists = state.is_some();
    let mut state =
        state.unwrap_or_else(|| State::new(stack.name.clone(), stack.environment.clone()));
    let mut orphans = find_orphans(registry, &state, options).await?;
    let untracked = if state_exists && options.refresh {
        super::untracked::search(registry, stack, &state, &orphans, destroy, &options.retry).await
    } else {
        Default::default()
    };
    orphans.extend(untracked.adopt);
    // Imported objects are planned as the records the apply makes of them.
    for r in imports.records.values() {
        state.upsert(r.clone());
    }
    let mut problems = super::replace::undeclared(stack, options);
    let recorded: BTreeSet<Address> = state.resources.iter().map(|r| r.address.clone()).collect();
    problems.extend(super::target::problems(stack, &recorded, options, destroy));
    let scope = super::target::scope(stack, options);
    let in_scope = |a: &Address| scope.as_ref().is_none_or(|s| s.contains(a));
    let mut changes: Vec<ResourceChange> = Vec::new();
    let mut values = AttrValues::new();
    // Where each planned address is in `changes`, and the replacements
    // whose old object must go before the new one is made because the
    // objects that refer to it are replaced with it (see `move_first`).
    let mut planned: BTreeMap<Address, usize> = BTreeMap::new();
    let mut delete_first: BTreeSet<Address> = BTreeSet::new();

    if !destroy {
        for inst in dependency_order(stack)? {
            let addr = &inst.address;
            if !in_scope(addr) {
                continue;
            }
            let Some(provider) = registry.get(&inst.kind) else {
                problems.push(PlanProblem {
                    address: Some(addr.clone()),
                    message: format!("no provider for resource kind `{}`", inst.kind),
                });
                values.insert(addr.clone(), unknown_placeholder());
                continue;
            };
            let recorded = state.get(addr);
            let plan_it = |force_replace: Option<String>| {
                plan_instance(
                    stack,
                    inst,
                    provider,
                    recorded,
                    orphans.get(addr),
                    &values,
                    options,
                    force_replace,
                )
            };
            let mut result = plan_it(super::replace::requested(options, addr));
            if let Ok(change) = &result
                && change.action == ChangeAction::Update
                && let Some(reason) = move_first(
                    registry,
                    &mut changes,
                    &planned,
                    &delete_first,
                    inst,
                    recorded,
                    provider.as_ref(),
                )
            {
                delete_first.insert(addr.clone());
                result = plan_it(Some(reason));
            }
            match result {
                Ok(change) => {
                    // Custom conditions decidable now; the rest wait for apply.
                    use crate::conditions::{When, check};
                    let checks = [
                        check(stack, inst, &values, None, When::Plan),
                        match &change.after {
                            Some(after) => check(stack, inst, &values, Some(after), When::Plan),
                            None => Ok(()),
                        },
                    ];
                    for failed in checks.into_iter().filter_map(Result::err) {
                        problems.push(PlanProblem {
                            address: Some(addr.clone()),
                            message: failed,
                        });
                    }
                    let adopting =
                        orphans.contains_key(addr) && recorded.is_none_or(|r| r.id.is_none());
                    if adopting && change.action == ChangeAction::Replace {
                        problems.push(PlanProblem {
                            address: Some(addr.clone()),
                            message: format!(
                                "found {} (tagged as this state's {addr}, never recorded), but the spec \
                                 would replace it (because of {}): forge does not adopt an object only \
                                 to destroy it. Change the spec back so the object can be adopted as it \
                                 is, or delete the object by hand if it is not wanted",
                                change.id.as_deref().unwrap_or("?"),
                                change.replace_because.join(", ")
                            ),
                        });
                    }
                    if inst.lifecycle.prevent_destroy && change.action == ChangeAction::Replace {
                        problems.push(PlanProblem {
                            address: Some(addr.clone()),
                            message: format!(
                                "must be replaced (because of {}) but lifecycle.prevent_destroy is set; \
                                 change the configuration back or remove prevent_destroy",
                                change.replace_because.join(", ")
                            ),
                        });
                    }
                    values.insert(
                        addr.clone(),
                        change.after.clone().unwrap_or_else(unknown_placeholder),
                    );
                    planned.insert(addr.clone(), changes.len());
                    changes.push(change);
                }
                Err(e) => {
                    problems.push(PlanProblem {
                        address: Some(addr.clone()),
                        message: e.to_string(),
                    });
                    values.insert(addr.clone(), unknown_placeholder());
                }
            }
        }
    }

    // Deletes: what left the spec (everything, for destroy), and deposed
    // objects of any resource.
    let in_spec = |a: &Address| !destroy && stack.instance(a).is_some();
    for r in state
        .resources
        .iter()
        .filter(|r| in_scope(&r.address) || stack.instance(&r.address).is_none())
    {
        for d in r.deposed.iter().filter(|_| in_scope(&r.address)) {
            changes.push(delete_change(
                r,
                Some(d.id.clone()),
                d.attributes.clone(),
                true,
            ));
        }
        if in_spec(&r.address) || !super::target::deletes(options, &r.address) {
            continue;
        }
        let protected = r.prevent_destroy
            || stack
                .instance(&r.address)
                .is_some_and(|i| i.lifecycle.prevent_destroy);
        let (id, before) = match (&r.id, orphans.get(&r.address)) {
            (Some(id), _) => (id.clone(), r.attributes.clone()),
            (None, Some(o)) => (o.id.clone(), with_id(o.attrs.clone(), &o.id)),
            // Only an intent whose create never happened: nothing to delete.
            (None, None) => continue,
        };
        if protected {
            problems.push(PlanProblem {
                address: Some(r.address.clone()),
                message: if destroy {
                    "cannot be destroyed: lifecycle.prevent_destroy is set".into()
                } else {
                    "was removed from the spec but lifecycle.prevent_destroy is set; \
                     put it back, or remove prevent_destroy first (or `forge state rm` it to keep it unmanaged)"
                        .into()
                },
            });
            continue;
        }
        changes.push(delete_change(r, Some(id), before, false));
    }

    changes.extend(
        untracked
            .deletes
            .into_iter()
            .filter(|c| super::target::deletes(options, &c.address)),
    );
    propagate_create_before_destroy(&mut changes, stack);
    guard_data(registry, &mut changes, &mut problems);
    changes.sort_by(|a, b| (&a.address, a.deposed, &a.id).cmp(&(&b.address, b.deposed, &b.id)));
    for c in changes.iter_mut().filter(|c| !c.deposed) {
        c.import = imports.records.contains_key(&c.address);
        c.moved_from = moves
            .iter()
            .find(|m| m.to == c.address)
            .map(|m| m.from.clone());
    }

    // A targeted plan leaves outputs alone: those reading resources
    // outside it could not be evaluated.
    let output_changes = match scope {
        None => plan_outputs(stack, &state, &values, destroy, &mut problems),
        Some(_) => Vec::new(),
    };
    if !problems.is_empty() {
        return Err(EngineError::Plan {
            stack: stack.name.clone(),
            problems,
        });
    }
    Ok(Plan {
        format_version: PLAN_FORMAT_VERSION.into(),
        stack: stack.name.clone(),
        environment: stack.environment.clone(),
        lineage: state.lineage.clone(),
        serial: state.serial,
        state_exists,
        created_at: chrono::Utc::now(),
        destroy,
        changes,
        output_changes,
        forget: gone,
        moves,
        unmanage,
        unconfigured: imports.unconfigured,
        replace: options.replace.iter().cloned().collect(),
        target: options.target.iter().cloned().collect(),
        config: with_absolute_root(stack),
        spec: None,
    })
}

/// The stack's instances in dependency order (forge-core's [`DepGraph`]:
/// dependencies first, ties by address, so plans are stable). A stack
/// built by hand, not by the loader, may name an unknown dependency or
/// hold a cycle: each is a plan problem.
fn dependency_order(stack: &Stack) -> Result<Vec<&Instance>, EngineError> {
    let graph = DepGraph::build(stack).map_err(|diags| EngineError::Plan {
        stack: stack.name.clone(),
        problems: diags
            .0
            .into_iter()
            .map(|d| PlanProblem {
                address: None,
                message: d.message,
            })
            .collect(),
    })?;
    // By address, not `Stack::instance`: a hand-built stack need not be sorted.
    let by_address: BTreeMap<&Address, &Instance> =
        stack.instances.iter().map(|i| (&i.address, i)).collect();
    Ok(graph
        .topo_order()
        .iter()
        .filter_map(|a| by_address.get(a).copied())
        .collect())
}

/// The stack as the plan keeps it: with its root absolute, so a saved plan
/// applied from another directory opens the same state (a relative root
/// would be resolved against wherever the apply runs, and start a second,
/// empty state there).
fn with_absolute_root(stack: &Stack) -> Stack {
    let mut config = stack.clone();
    if let Ok(root) = std::path::absolute(&stack.root) {
        config.root = root;
    }
    config
}

/// Lets `dependant` (planned as an in-place update) move off the old
/// objects of the dependencies it refers to (in the state and in the spec)
/// that are being replaced, before those old objects are deleted — AWS
/// refuses to delete a target group a listener forwards to, a subnet a
/// load balancer sits in. Each such replacement becomes
/// create-before-destroy (new object, then the dependant's update, then
/// the old object's delete), unless the new object cannot exist beside the
/// old one (same unique name, [`Provider::unique_fields`]) or must be
/// deleted first itself: then the dependant is replaced too (its old object
/// goes first), and the reason for that is returned.
fn move_first(
    registry: &ProviderRegistry,
    changes: &mut [ResourceChange],
    planned: &BTreeMap<Address, usize>,
    delete_first: &BTreeSet<Address>,
    dependant: &forge_core::spec::Instance,
    recorded: Option<&ResourceState>,
    provider: &dyn Provider,
) -> Option<String> {
    let recorded = recorded?;
    // Replacing the dependant must be safe and orderable: not data, not
    // protected, and its own old object deleted first.
    let replaceable = !provider.holds_data()
        && !dependant.lifecycle.prevent_destroy
        && !dependant.lifecycle.create_before_destroy
        && !provider.always_create_before_destroy();
    // The delete-first replacements it refers to, and whether each could
    // be made create-before-destroy instead.
    let mut replaced: Vec<(usize, bool)> = Vec::new();
    for dep in &dependant.dependencies {
        if !recorded.dependencies.contains(dep) {
            continue;
        }
        let Some(&j) = planned.get(dep) else {
            continue;
        };
        let x = &changes[j];
        if x.action != ChangeAction::Replace || x.create_before_destroy {
            continue;
        }
        let cannot_coexist = delete_first.contains(dep)
            || registry
                .get(&x.kind)
                .is_some_and(|p| keeps_unique_fields(p.unique_fields(), x));
        replaced.push((j, cannot_coexist));
    }
    let blocking: Vec<String> = replaced
        .iter()
        .filter(|(_, cannot_coexist)| *cannot_coexist)
        .map(|&(j, _)| changes[j].address.to_string())
        .collect();
    if !blocking.is_empty() && replaceable {
        // Replaced itself, it is deleted before all of them: none needs
        // to become create-before-destroy for it.
        let (verb, them) = if blocking.len() == 1 {
            ("is", "it")
        } else {
            ("are", "them")
        };
        return Some(format!(
            "{} {verb} replaced delete-first (a new object cannot exist beside the old one), and this refers to {them}",
            blocking.join(", ")
        ));
    }
    for (j, _) in replaced {
        let x = &mut changes[j];
        x.create_before_destroy = true;
        x.warnings.push(format!(
            "replaced create-before-destroy so {} can move to the new object before the old one is deleted",
            dependant.address
        ));
    }
    None
}

/// Whether a replacement keeps every unique field's value (known on both
/// sides), so its new object would clash with the old one.
fn keeps_unique_fields(fields: &[&str], change: &ResourceChange) -> bool {
    let (Some(before), Some(after)) = (&change.before, &change.after) else {
        return false;
    };
    !fields.is_empty()
        && fields
            .iter()
            .all(|f| match (before.get(*f), after.get(*f)) {
                (Some(b), Some(a)) => values_equal(b, a),
                _ => false,
            })
}

#[allow(clippy::too_many_arguments)]
fn plan_instance(
    stack: &Stack,
    inst: &forge_core::spec::Instance,
    provider: &Arc<dyn Provider>,
    recorded: Option<&ResourceState>,
    orphan: Option<&Created>,
    values: &AttrValues,
    options: &PlanOptions,
    force_replace: Option<String>,
) -> Result<ResourceChange, EngineError> {
    let desired = desired_attrs(stack, inst, provider.as_ref(), values)?;
    let mut warnings = Vec::new();
    let mut adopting = false;
    let mut prior: Option<Attrs> = match recorded {
        Some(r) if r.id.is_some() => Some(r.attributes.clone()),
        _ => match orphan {
            Some(o) => {
                adopting = true;
                warnings.push(format!(
                    "found {} created by an interrupted run (never recorded in state); it will be adopted, not created again",
                    o.id
                ));
                Some(with_id(o.attrs.clone(), &o.id))
            }
            None => None,
        },
    };
    if let Some(p) = prior.as_mut() {
        reveal_hashed(p, &desired);
    }
    let id = prior
        .as_ref()
        .and_then(|p| p.get("id"))
        .and_then(|v| v.as_str())
        .map(str::to_string);
    let planned = provider.plan(prior.as_ref(), &desired);
    // A read-only plan made without a secret var: the fields that depend on
    // it cannot be compared. They are left out like ignored changes (the
    // recorded value kept) and named in a warning; such a plan is never
    // applied (see `Stack::unset_vars`).
    let unset = stack.unset_vars();
    let not_compared: Vec<String> = match unset.is_empty() {
        true => Vec::new(),
        false => planned
            .changes
            .iter()
            .filter(|c| {
                c.after
                    .as_ref()
                    .is_some_and(|v| v.is_sensitive() && !v.is_known())
            })
            .map(|c| c.path.clone())
            .collect(),
    };
    if !not_compared.is_empty() {
        let vars: Vec<String> = unset.iter().map(|v| format!("`{v}`")).collect();
        warnings.push(format!(
            "not compared: {} (depends on vars with no value: {})",
            not_compared.join(", "),
            vars.join(", ")
        ));
    }
    let ignored: Vec<String> = inst
        .lifecycle
        .ignore_changes
        .iter()
        .chain(&not_compared)
        .cloned()
        .collect();
    let mut planned = apply_ignore_changes(&ignored, prior.as_ref(), planned);
    let mut replace_because: Vec<String> = planned
        .changes
        .iter()
        .filter(|c| c.forces_replacement)
        .map(|c| c.path.clone())
        .collect();
    // An object an interrupted apply left on its way to ready: waited for
    // again (below), or replaced like a tainted one if it failed meanwhile.
    let not_ready =
        recorded.is_some_and(|r| r.status == ResourceStatus::NotReady && r.id.is_some());
    let live_status = prior.as_ref().map(|p| provider.readiness(p));
    let tainted = recorded.is_some_and(|r| r.status == ResourceStatus::Tainted && r.id.is_some())
        || (not_ready && matches!(live_status, Some(Readiness::Failed(_))));
    let forced = match force_replace {
        Some(reason) => Some(reason),
        None if tainted => Some("tainted (it never became ready)".to_string()),
        None => None,
    };
    if let Some(reason) = forced
        && planned.action != PlannedAction::Create
    {
        if planned.action != PlannedAction::Replace {
            planned.predicted = crate::diff::predict_created(provider.schema(), &desired);
        }
        planned.action = PlannedAction::Replace;
        replace_because.push(reason);
    }
    let action = match (planned.action, adopting) {
        (PlannedAction::Create, _) => ChangeAction::Create,
        (PlannedAction::Replace, _) => ChangeAction::Replace,
        (PlannedAction::Update | PlannedAction::NoOp, true) => ChangeAction::Adopt,
        (PlannedAction::Update, false) => ChangeAction::Update,
        (PlannedAction::NoOp, false) => ChangeAction::NoOp,
    };
    // Nothing to change, but the apply must wait for it (and record it
    // ready): an update with no field changes, which the apply turns into
    // the wait alone.
    let action = if not_ready && action == ChangeAction::NoOp {
        let status = match &live_status {
            Some(Readiness::Pending(s)) => format!("`{s}`"),
            _ => "ready now".to_string(),
        };
        warnings.push(format!(
            "not ready when an earlier apply was interrupted ({status}): the apply waits for it, it is not created again"
        ));
        ChangeAction::Update
    } else {
        action
    };
    let mut after = planned.predicted;
    match (action, &id) {
        (ChangeAction::Create | ChangeAction::Replace, _) => {
            after.insert("id".into(), Value::Unknown);
        }
        (_, Some(id)) => {
            after.insert("id".into(), Value::from(id.as_str()));
        }
        _ => {}
    }
    // A create reuses the token of an interrupted create of this address so
    // the provider's idempotency (client tokens) can recognise it.
    let pending_token = match action {
        ChangeAction::Create => recorded
            .and_then(|r| r.pending.as_ref())
            .map(|p| p.token.clone()),
        _ => None,
    };
    let changes = if action == ChangeAction::NoOp {
        Vec::new()
    } else {
        planned.changes
    };
    let pending = match action {
        ChangeAction::Create | ChangeAction::Replace => Vec::new(),
        _ => planned.pending,
    };
    Ok(ResourceChange {
        address: inst.address.clone(),
        kind: inst.kind.clone(),
        region: inst.region.clone(),
        alias: inst.alias.clone(),
        action,
        id: if action == ChangeAction::Create {
            None
        } else {
            id
        },
        before: prior,
        after: Some(after),
        changes,
        pending,
        replace_because,
        // Some kinds can only be replaced new-first (an ECS task definition
        // revision must exist before services move off the old one).
        create_before_destroy: (inst.lifecycle.create_before_destroy
            || provider.always_create_before_destroy())
            && action == ChangeAction::Replace,
        dependencies: inst.dependencies.clone(),
        warnings,
        deposed: false,
        pending_token,
        store_sensitive: options.store_sensitive.contains(&inst.address)
            || recorded.is_some_and(|r| r.store_sensitive),
        data_loss: false,
        untracked: false,
        not_compared,
        import: false,
        moved_from: None,
    })
}

/// A replaced dependency of a create-before-destroy replacement must be
/// create-before-destroy too, or the order would be cyclic (the new
/// dependent needs the new dependency, which could only be created after
/// the old dependent is gone).
fn propagate_create_before_destroy(changes: &mut [ResourceChange], stack: &Stack) {
    let index: BTreeMap<Address, usize> = changes
        .iter()
        .enumerate()
        .filter(|(_, c)| !c.deposed)
        .map(|(i, c)| (c.address.clone(), i))
        .collect();
    let mut work: Vec<usize> = (0..changes.len())
        .filter(|&i| changes[i].create_before_destroy)
        .collect();
    while let Some(i) = work.pop() {
        let Some(inst) = stack.instance(&changes[i].address) else {
            continue;
        };
        for dep in &inst.dependencies {
            if let Some(&j) = index.get(dep)
                && changes[j].action == ChangeAction::Replace
                && !changes[j].create_before_destroy
            {
                changes[j].create_before_destroy = true;
                changes[j].warnings.push(format!(
                    "replaced create-before-destroy because {} is",
                    changes[i].address
                ));
                work.push(j);
            }
        }
    }
}

fn plan_outputs(
    stack: &Stack,
    state: &State,
    values: &AttrValues,
    destroy: bool,
    problems: &mut Vec<PlanProblem>,
) -> Vec<OutputChange> {
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    if !destroy {
        for def in &stack.outputs {
            seen.insert(def.name.clone());
            if let Err(failed) = crate::conditions::check_output(
                stack,
                &def.name,
                &def.preconditions,
                values,
                crate::conditions::When::Plan,
            ) {
                problems.push(PlanProblem {
                    address: None,
                    message: failed,
                });
            }
            let after = match stack.evaluate_output(def, values) {
                Ok(v) => v,
                Err(d) => {
                    problems.push(PlanProblem {
                        address: None,
                        message: format!("output `{}`: {d}", def.name),
                    });
                    continue;
                }
            };
            let before = state.outputs.get(&def.name).map(|o| {
                let v = Value::from_json(&o.value);
                if o.sensitive { v.sensitive() } else { v }
            });
            let action = match &before {
                None => ChangeAction::Create,
                Some(b) if values_equal(b, &after) => ChangeAction::NoOp,
                Some(_) => ChangeAction::Update,
            };
            out.push(OutputChange {
                name: def.name.clone(),
                action,
                before,
                after: Some(after),
                sensitive: def.sensitive,
            });
        }
    }
    for (name, o) in &state.outputs {
        if seen.contains(name) {
            continue;
        }
        let v = Value::from_json(&o.value);
        out.push(OutputChange {
            name: name.clone(),
            action: ChangeAction::Delete,
            before: Some(if o.sensitive { v.sensitive() } else { v }),
            after: None,
            sensitive: o.sensitive,
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// Flags deletes and replacements of objects that hold data (so the plan
/// says so loudly) and refuses those of objects whose deletion protection
/// is on: AWS would refuse the delete half-way through an apply, after the
/// replacement's other steps had run, so the plan fails first, changing
/// nothing.
fn guard_data(
    registry: &ProviderRegistry,
    changes: &mut [ResourceChange],
    problems: &mut Vec<PlanProblem>,
) {
    for c in changes.iter_mut() {
        if !matches!(c.action, ChangeAction::Replace | ChangeAction::Delete) {
            continue;
        }
        let Some(provider) = registry.get(&c.kind) else {
            continue;
        };
        let verb = if c.action == ChangeAction::Replace {
            "replaced"
        } else {
            "destroyed"
        };
        if c.before
            .as_ref()
            .is_some_and(|b| provider.deletion_protected(b))
        {
            let why = if c.replace_because.is_empty() {
                String::new()
            } else {
                format!(" (because of {})", c.replace_because.join(", "))
            };
            problems.push(PlanProblem {
                address: Some(c.address.clone()),
                message: format!(
                    "would be {verb}{why} but its deletion protection is on; \
                     set `deletion_protection: false` and apply that first if you really mean to lose it"
                ),
            });
        }
        if provider.holds_data() {
            c.data_loss = true;
            c.warnings.push(format!(
                "{} {} holds data: it will be {verb} and its data lost",
                c.kind,
                c.id.as_deref().unwrap_or("")
            ));
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn inst(name: &str, deps: &[&str]) -> Instance {
        deps.iter()
            .fold(Instance::new(Address::single(name), "k", "r"), |i, d| {
                i.with_dependency(Address::single(*d))
            })
    }

    /// Unsorted, as a hand-built stack may be.
    fn stack(instances: Vec<Instance>) -> Stack {
        let mut s = forge_testkit::stack("t", Vec::new());
        s.instances = instances;
        s
    }

    #[test]
    fn orders_dependencies_first_and_reports_cycles_and_unknown_dependencies() {
        let s = stack(vec![inst("a", &["c"]), inst("b", &[]), inst("c", &["b"])]);
        let order = dependency_order(&s).unwrap();
        let names: Vec<_> = order.iter().map(|i| i.address.name.as_str()).collect();
        assert_eq!(names, ["b", "c", "a"]);
        let problems = |s: &Stack| match dependency_order(s) {
            Err(EngineError::Plan { problems, .. }) => problems,
            other => panic!("{other:?}"),
        };
        let cyc = stack(vec![inst("a", &["b"]), inst("b", &["a"])]);
        assert_eq!(problems(&cyc)[0].message, "cycle: a -> b -> a");
        let unknown = stack(vec![inst("a", &["zz"])]);
        assert!(
            problems(&unknown)[0]
                .message
                .contains("`zz`, which is not in the stack")
        );
    }
}
