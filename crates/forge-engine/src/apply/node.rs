//! One scheduler step: re-evaluate with upstream results, record the
//! intent, call the provider (with retries), wait for readiness, record
//! the result.

use super::ambiguous::{create_or_adopt, observe_one, update_replanning};
use super::graph::Node;
use super::ready::{Goal, ReadinessHub, WaitError};
use super::writer::WriterHandle;
use super::{Event, Operation, ProgressFn};
use crate::cancel::{CancelLevel, CancelToken};
use crate::diff::values_equal;
use crate::ignore::apply_ignore_changes;
use crate::ownership::Owner;
use crate::plan::{ChangeAction, Plan, ResourceChange};
use crate::provider::{PlannedAction, Provider, Readiness};
use crate::registry::ProviderRegistry;
use crate::retry::{RetryPolicy, with_retry};
use crate::state::{DeposedObject, ResourceStatus, State};
use crate::values::{AttrValues, desired_attrs, resource_ctx, with_id};
use forge_core::{Attrs, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Semaphore;

/// What every step shares.
pub struct Shared {
    /// The plan being applied.
    pub plan: Arc<Plan>,
    /// The graph's steps.
    pub nodes: Vec<Node>,
    /// Providers.
    pub registry: Arc<ProviderRegistry>,
    /// Attributes of every resource as known now.
    pub values: Mutex<AttrValues>,
    /// The state writer.
    pub writer: WriterHandle,
    /// `--parallelism`.
    pub global: Arc<Semaphore>,
    /// Per concurrency-group limits.
    pub groups: HashMap<&'static str, Arc<Semaphore>>,
    /// Readiness pollers.
    pub hub: ReadinessHub,
    /// Progress callback.
    pub progress: Option<ProgressFn>,
    /// Retry policy.
    pub retry: RetryPolicy,
    /// Operations in flight now / at most (for the report and tests).
    pub in_flight: std::sync::atomic::AtomicUsize,
    /// The most operations in flight at once.
    pub max_in_flight: std::sync::atomic::AtomicUsize,
    /// Idempotency tokens of create steps, recorded as intents up front.
    pub tokens: HashMap<usize, String>,
    /// The apply's cancellation: a drain cuts readiness waits short.
    pub cancel: CancelToken,
    /// The last status each waiting resource's poller reported
    /// ([`Event::Waiting`], also from the readiness hub): what an
    /// interrupted wait says it was in.
    pub statuses: LastStatus,
}

/// The last [`Event::Waiting`] status per address.
pub type LastStatus = Arc<Mutex<HashMap<forge_core::Address, String>>>;

/// `progress`, also recording each waiting status in `statuses`.
pub fn tracking(progress: Option<ProgressFn>, statuses: LastStatus) -> ProgressFn {
    Arc::new(move |e: &Event| {
        if let Event::Waiting {
            address, status, ..
        } = e
        {
            let mut s = statuses.lock().unwrap_or_else(|p| p.into_inner());
            s.insert(address.clone(), status.clone());
        }
        if let Some(p) = &progress {
            p(e);
        }
    })
}

/// How a step that did not fail ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepEnd {
    /// Done, readiness included.
    Done,
    /// Its call went through, but the apply was interrupted while it
    /// waited for readiness: the object is recorded as not ready.
    Interrupted,
}

/// How a readiness wait did not end in ready.
enum NotReady {
    /// It failed or timed out (the error says which).
    Failed(Attrs, String),
    /// It could not be observed (the describe kept failing): nothing is
    /// known against it, so it is recorded as not ready, and the next
    /// apply reads it and waits again.
    Unobserved(Attrs, String),
    /// The apply was interrupted first.
    Interrupted(Attrs),
}

impl NotReady {
    /// Records the object `id` as the wait left it (not ready, or tainted
    /// when it failed) and says how the step ends. `explain` adds to the
    /// error what the next apply does about it (after a create).
    fn record(
        self,
        shared: &Shared,
        change: &ResourceChange,
        id: String,
        cbd_old: Option<String>,
        explain: bool,
    ) -> Result<StepEnd, String> {
        let (attrs, status, error) = match self {
            NotReady::Interrupted(attrs) => (attrs, ResourceStatus::NotReady, None),
            NotReady::Failed(attrs, e) => {
                let next = "it is recorded as tainted and will be replaced by the next apply";
                (attrs, ResourceStatus::Tainted, Some((e, next)))
            }
            NotReady::Unobserved(attrs, e) => {
                let next =
                    "it is recorded as not ready, and the next apply reads it and waits for it";
                (attrs, ResourceStatus::NotReady, Some((e, next)))
            }
        };
        record_object(shared, change, id, attrs, status, cbd_old);
        match error {
            None => Ok(StepEnd::Interrupted),
            Some((e, next)) if explain => Err(format!("{e}; {next}")),
            Some((e, _)) => Err(e),
        }
    }
}

impl Shared {
    fn emit(&self, e: Event) {
        if let Some(p) = &self.progress {
            p(&e);
        }
    }

    /// Reports `change`'s wait as cut short by a drain, in the last status
    /// its poller reported (else `fallback`).
    fn interrupted(&self, change: &ResourceChange, fallback: &str, started: tokio::time::Instant) {
        let status = {
            let s = self.statuses.lock().unwrap_or_else(|p| p.into_inner());
            s.get(&change.address).cloned()
        };
        self.emit(Event::Interrupted {
            address: change.address.clone(),
            action: change.action,
            status: status.unwrap_or_else(|| fallback.to_string()),
            elapsed: started.elapsed(),
        });
    }
}

fn unmarked(attrs: &Attrs) -> Attrs {
    attrs
        .iter()
        .map(|(k, v)| (k.clone(), v.unmarked()))
        .collect()
}

fn merge(base: &Attrs, over: &Attrs) -> Attrs {
    let mut out = base.clone();
    for (k, v) in over {
        if v.is_null() && out.contains_key(k) {
            continue;
        }
        // Keep sensitivity marks of desired values the provider echoes.
        let v = match out.get(k) {
            Some(old) if old.is_sensitive() && !v.is_sensitive() && values_equal(old, v) => {
                old.clone()
            }
            _ => v.clone(),
        };
        out.insert(k.clone(), v);
    }
    out
}

fn mark_provider_sensitive(provider: &dyn Provider, mut attrs: Attrs) -> Attrs {
    crate::diff::mark_sensitive(provider.schema(), &mut attrs);
    attrs
}

fn unknown_fields(attrs: &Attrs) -> Vec<&str> {
    attrs
        .iter()
        .filter(|(_, v)| !v.is_known())
        .map(|(k, _)| k.as_str())
        .collect()
}

/// Runs step `index`. `Ok` when the step's call succeeded and it is
/// ready, or interrupted while waiting for that ([`StepEnd`]).
pub async fn run_node(shared: Arc<Shared>, index: usize) -> Result<StepEnd, String> {
    let node = &shared.nodes[index];
    let change = &shared.plan.changes[node.change];
    let provider = shared
        .registry
        .get(&change.kind)
        .cloned()
        .ok_or_else(|| format!("no provider for resource kind `{}`", change.kind))?;
    let permits = acquire(&shared, provider.as_ref()).await?;
    let started = tokio::time::Instant::now();
    shared.emit(Event::Started {
        address: change.address.clone(),
        action: change.action,
        operation: node.op,
    });
    let result = match node.op {
        Operation::Delete => delete(&shared, node, change, provider, permits, started).await,
        Operation::Create => create(&shared, index, node, change, provider, permits, started).await,
        Operation::Update | Operation::Adopt => {
            update(&shared, node, change, provider, permits, started).await
        }
    };
    match &result {
        Ok(StepEnd::Interrupted) => {}
        Ok(StepEnd::Done) => shared.emit(Event::Finished {
            address: change.address.clone(),
            action: change.action,
            operation: node.op,
            elapsed: started.elapsed(),
        }),
        Err(e) => shared.emit(Event::Failed {
            address: change.address.clone(),
            action: change.action,
            error: e.clone(),
        }),
    }
    result
}

type Permits = (
    Option<tokio::sync::OwnedSemaphorePermit>,
    tokio::sync::OwnedSemaphorePermit,
);

/// A scheduler slot for a call to `provider`: its concurrency group's, then
/// a global one (a step waiting for its group must not hold a global slot
/// other groups could use).
async fn acquire(shared: &Shared, provider: &dyn Provider) -> Result<Permits, String> {
    let group = provider
        .concurrency()
        .and_then(|(g, _)| shared.groups.get(g).cloned());
    let group_permit = match group {
        Some(s) => Some(
            s.acquire_owned()
                .await
                .map_err(|_| "scheduler closed".to_string())?,
        ),
        None => None,
    };
    let global_permit = shared
        .global
        .clone()
        .acquire_owned()
        .await
        .map_err(|_| "scheduler closed".to_string())?;
    let now = shared
        .in_flight
        .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
        + 1;
    shared
        .max_in_flight
        .fetch_max(now, std::sync::atomic::Ordering::SeqCst);
    Ok((group_permit, global_permit))
}

fn release(shared: &Shared, permits: Permits) {
    drop(permits);
    shared
        .in_flight
        .fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
}

fn on_retry<'a>(
    shared: &'a Shared,
    change: &'a ResourceChange,
) -> impl FnMut(u32, &crate::ProviderError, Duration) + 'a {
    move |attempt, error, delay| {
        shared.emit(Event::Retrying {
            address: change.address.clone(),
            attempt,
            error: error.to_string(),
            delay,
        })
    }
}

async fn delete(
    shared: &Shared,
    node: &Node,
    change: &ResourceChange,
    provider: Arc<dyn Provider>,
    permits: Permits,
    started: tokio::time::Instant,
) -> Result<StepEnd, String> {
    let Some(id) = change.id.clone() else {
        release(shared, permits);
        return Ok(StepEnd::Done);
    };
    let ctx = resource_ctx(
        &Owner::of_plan(&shared.plan),
        &change.address,
        &change.region,
        change.alias.as_deref(),
    );
    let prior = change.before.as_ref().map(unmarked).unwrap_or_default();
    // An object an interrupted run already asked to delete is only waited
    // for: asking again is refused by some APIs.
    let already = provider.await_deletion() && provider.deleting(&prior);
    let r = match already {
        true => Ok(()),
        false => {
            with_retry(
                &shared.retry,
                || provider.delete(&ctx, &id, &prior),
                on_retry(shared, change),
            )
            .await
        }
    };
    release(shared, permits);
    r.map_err(|e| format!("deleting {} {id}: {e}", change.kind))?;
    // Slow deletes (databases, caches) must be gone before what they use
    // (their subnet group, their KMS key's alias...) is deleted after them;
    // the object stays recorded until then, so an interrupted wait loses
    // nothing and the next run waits again. A drain (the first Ctrl-C)
    // ends the wait at once: the deletion goes on in AWS, the state keeps
    // the object, and what it uses is not deleted in this run.
    if provider.await_deletion() {
        let timeout = timeout_for(shared, change, provider.as_ref(), Operation::Delete);
        shared.emit(Event::Waiting {
            address: change.address.clone(),
            status: "deleting".into(),
            elapsed: started.elapsed(),
        });
        let wait = shared.hub.wait(
            provider.clone(),
            (&change.region, change.alias.as_deref()),
            &id,
            &change.address,
            Goal::Gone,
            timeout,
            started,
        );
        tokio::select! {
            biased;
            _ = shared.cancel.reached(CancelLevel::Drain) => {
                shared.interrupted(change, "deleting", started);
                return Ok(StepEnd::Interrupted);
            }
            waited = wait => {
                waited.map_err(|e| format!("waiting for {} {id} to be deleted: {e}", change.kind))?;
            }
        }
    }
    let address = change.address.clone();
    let deposed = change.deposed || node.replaced_old;
    let remove_whole = !deposed && (change.action != ChangeAction::Replace);
    let delete_first_replace = node.replaced_old && !change.create_before_destroy;
    shared.writer.record(Box::new(move |s: &mut State| {
        if remove_whole || delete_first_replace {
            if s.get(&address)
                .is_some_and(|r| r.id.as_deref() == Some(id.as_str()))
            {
                s.remove(&address);
            }
        } else if let Some(r) = s.get_mut(&address) {
            r.deposed.retain(|d| d.id != id);
        }
    }));
    if remove_whole && let Ok(mut v) = shared.values.lock() {
        v.remove(&change.address);
    }
    Ok(StepEnd::Done)
}

fn desired_now(
    shared: &Shared,
    change: &ResourceChange,
    provider: &dyn Provider,
) -> Result<Attrs, String> {
    let inst = shared
        .plan
        .config
        .instance(&change.address)
        .ok_or_else(|| format!("{} is not in the plan's configuration", change.address))?;
    let values = shared
        .values
        .lock()
        .map_err(|_| "values lock poisoned".to_string())?;
    desired_attrs(&shared.plan.config, inst, provider, &values).map_err(|e| e.to_string())
}

/// The longest readiness (or deletion) wait for `op` on this change: the
/// resource's `timeouts:` if set, else the kind's default.
fn timeout_for(
    shared: &Shared,
    change: &ResourceChange,
    provider: &dyn Provider,
    op: Operation,
) -> Duration {
    let set = shared
        .plan
        .config
        .instance(&change.address)
        .map(|i| i.lifecycle.timeouts)
        .unwrap_or_default();
    let secs = match op {
        Operation::Create => set.create,
        Operation::Delete => set.delete,
        Operation::Update | Operation::Adopt => set.update,
    };
    secs.map(Duration::from_secs)
        .unwrap_or_else(|| provider.ready_timeout())
}

/// Waits until the object is ready; with `read_back` (a create that left
/// the rest of the object to be read, [`crate::Created::read_back`]),
/// reads it back first through the group's batched poller. A drain (the
/// first Ctrl-C) ends the wait at once: the call that made or changed the
/// object went through, and the object is worth recording with its id now
/// rather than minutes later (the caller records it as not ready).
#[allow(clippy::too_many_arguments)]
async fn await_ready(
    shared: &Shared,
    change: &ResourceChange,
    provider: &Arc<dyn Provider>,
    id: &str,
    attrs: Attrs,
    op: Operation,
    started: tokio::time::Instant,
    read_back: bool,
) -> Result<Attrs, NotReady> {
    // What the create knew is not the object: its readiness is read too.
    let known = if read_back {
        Readiness::Pending("reading back".into())
    } else {
        provider.readiness(&attrs)
    };
    match known {
        Readiness::Ready => Ok(attrs),
        Readiness::Failed(status) => Err(NotReady::Failed(
            attrs,
            format!("{} {id} is `{status}`", change.kind),
        )),
        Readiness::Pending(status) => {
            if !read_back {
                shared.emit(Event::Waiting {
                    address: change.address.clone(),
                    status: status.clone(),
                    elapsed: started.elapsed(),
                });
            }
            let wait = shared.hub.wait(
                provider.clone(),
                (&change.region, change.alias.as_deref()),
                id,
                &change.address,
                if read_back {
                    Goal::ReadBack
                } else {
                    Goal::Ready
                },
                timeout_for(shared, change, provider.as_ref(), op),
                started,
            );
            tokio::select! {
                biased;
                _ = shared.cancel.reached(CancelLevel::Drain) => {
                    shared.interrupted(change, &status, started);
                    Err(NotReady::Interrupted(attrs))
                }
                waited = wait => match waited {
                    Ok(observed) => Ok(merge(
                        &attrs,
                        &with_id(mark_provider_sensitive(provider.as_ref(), observed), id),
                    )),
                    Err(WaitError::Unobserved(e)) => Err(NotReady::Unobserved(attrs, e)),
                    Err(WaitError::Failed(e)) => Err(NotReady::Failed(attrs, e)),
                },
            }
        }
    }
}

fn record_object(
    shared: &Shared,
    change: &ResourceChange,
    id: String,
    attrs: Attrs,
    status: ResourceStatus,
    cbd_old: Option<String>,
) {
    let inst = shared.plan.config.instance(&change.address);
    let deps = inst.map(|i| i.dependencies.clone()).unwrap_or_default();
    let prevent_destroy = inst.is_some_and(|i| i.lifecycle.prevent_destroy);
    let (address, kind, region, alias, store_sensitive) = (
        change.address.clone(),
        change.kind.clone(),
        change.region.clone(),
        change.alias.clone(),
        change.store_sensitive,
    );
    let old_attrs = change.before.clone().unwrap_or_default();
    shared.writer.record(Box::new(move |s: &mut State| {
        let r = s.entry(&address, &kind, &region);
        r.alias = alias;
        if let Some(old) = cbd_old
            && r.id.as_deref() == Some(old.as_str())
            && !r.deposed.iter().any(|d| d.id == old)
        {
            r.deposed.push(DeposedObject {
                id: old,
                attributes: old_attrs,
            });
        }
        r.id = Some(id);
        r.attributes = attrs;
        r.pending = None;
        r.status = status;
        r.dependencies = deps;
        r.prevent_destroy = prevent_destroy;
        r.store_sensitive = store_sensitive;
    }));
}

/// Brings an object found after a failed create attempt (it was created,
/// but the attempt did not finish) in line with the spec, so the apply ends
/// where a clean create would have.
async fn converge_adopted(
    shared: &Shared,
    change: &ResourceChange,
    provider: &Arc<dyn Provider>,
    ctx: &crate::provider::ResourceCtx,
    found: crate::provider::Created,
    desired: &Attrs,
    send: &Attrs,
) -> Result<crate::provider::Created, crate::provider::ProviderError> {
    let prior = provider.normalize(found.attrs.clone());
    let planned = provider.plan(Some(&prior), desired);
    if planned.action != PlannedAction::Update {
        return Ok(found);
    }
    let attrs = update_replanning(
        &shared.retry,
        provider.as_ref(),
        ctx,
        &found.id,
        &prior,
        send,
        &planned.changes,
        |live| provider.plan(Some(live), desired),
        on_retry(shared, change),
    )
    .await?;
    Ok(crate::provider::Created::new(found.id, attrs))
}

async fn create(
    shared: &Shared,
    index: usize,
    node: &Node,
    change: &ResourceChange,
    provider: Arc<dyn Provider>,
    permits: Permits,
    started: tokio::time::Instant,
) -> Result<StepEnd, String> {
    let desired = match desired_now(shared, change, provider.as_ref()) {
        Ok(d) => d,
        Err(e) => {
            release(shared, permits);
            return Err(e);
        }
    };
    if let Err(e) = check_conditions(shared, change, None) {
        release(shared, permits);
        // Nothing was sent: the create's intent (recorded up front) goes.
        let address = change.address.clone();
        shared.writer.record(Box::new(move |s: &mut State| {
            if s.get(&address)
                .is_some_and(|r| r.id.is_none() && r.deposed.is_empty())
            {
                s.remove(&address);
            }
        }));
        return Err(e);
    }
    let unknown = unknown_fields(&desired);
    if !unknown.is_empty() {
        release(shared, permits);
        return Err(format!(
            "cannot create {}: {} still unknown after its dependencies were applied",
            change.address,
            unknown.join(", ")
        ));
    }
    // The intent was made durable before the walk started (run.rs), so the
    // create can go ahead without a write of its own.
    let Some(token) = shared.tokens.get(&index).cloned() else {
        release(shared, permits);
        return Err(format!("no create intent recorded for {}", change.address));
    };
    let ctx = resource_ctx(
        &Owner::of_plan(&shared.plan),
        &change.address,
        &change.region,
        change.alias.as_deref(),
    );
    let send = unmarked(&desired);
    // Counted while in its call: the kind's read-backs wait for it, so a
    // wave's creates are read back in one describe (ready.rs).
    let calling = shared
        .hub
        .calling(provider.as_ref(), (&change.region, change.alias.as_deref()));
    // Retried with a lookup first after any failed attempt, so a create
    // whose answer was lost is adopted, never sent twice (ambiguous.rs).
    let created = match create_or_adopt(
        &shared.retry,
        provider.as_ref(),
        &ctx,
        &send,
        &token,
        on_retry(shared, change),
    )
    .await
    {
        Ok(out) if out.adopted => {
            converge_adopted(
                shared,
                change,
                &provider,
                &ctx,
                out.created,
                &desired,
                &send,
            )
            .await
        }
        Ok(out) => Ok(out.created),
        Err(e) => Err(e),
    };
    drop(calling);
    release(shared, permits);
    let created = created.map_err(|e| format!("creating {}: {e}", change.kind))?;
    let read_back = created.read_back;
    let attrs = merge(
        &desired,
        &mark_provider_sensitive(provider.as_ref(), with_id(created.attrs, &created.id)),
    );
    let cbd_old = if node.op == Operation::Create
        && change.action == ChangeAction::Replace
        && change.create_before_destroy
    {
        change.id.clone()
    } else {
        None
    };
    match await_ready(
        shared,
        change,
        &provider,
        &created.id,
        attrs,
        Operation::Create,
        started,
        read_back,
    )
    .await
    {
        Ok(attrs) => {
            if let Ok(mut v) = shared.values.lock() {
                v.insert(change.address.clone(), attrs.clone());
            }
            record_object(
                shared,
                change,
                created.id,
                attrs.clone(),
                ResourceStatus::Ready,
                cbd_old,
            );
            check_conditions(shared, change, Some(&attrs)).map(|()| StepEnd::Done)
        }
        Err(not_ready) => not_ready.record(shared, change, created.id, cbd_old, true),
    }
}

/// Re-plans an update against the values known now. `None`: nothing left
/// to change.
fn replan(
    shared: &Shared,
    change: &ResourceChange,
    provider: &dyn Provider,
    prior: &Attrs,
) -> Result<Option<(Attrs, Vec<crate::FieldChange>)>, String> {
    let mut prior = prior.clone();
    let desired = desired_now(shared, change, provider)?;
    crate::plan::build::reveal_hashed(&mut prior, &desired);
    let inst = shared.plan.config.instance(&change.address);
    let ignore = inst
        .map(|i| i.lifecycle.ignore_changes.clone())
        .unwrap_or_default();
    let planned =
        apply_ignore_changes(&ignore, Some(&prior), provider.plan(Some(&prior), &desired));
    match planned.action {
        PlannedAction::NoOp => Ok(None),
        PlannedAction::Update => {
            let unknown = unknown_fields(&planned.predicted);
            let unknown: Vec<&str> = unknown
                .into_iter()
                .filter(|k| desired.contains_key(*k))
                .collect();
            if !unknown.is_empty() {
                return Err(format!(
                    "cannot update {}: {} still unknown",
                    change.address,
                    unknown.join(", ")
                ));
            }
            Ok(Some((planned.predicted, planned.changes)))
        }
        PlannedAction::Replace | PlannedAction::Create => Err(format!(
            "{} now needs replacement (a value known only at apply time forces it); run plan again",
            change.address
        )),
    }
}

async fn update(
    shared: &Shared,
    node: &Node,
    change: &ResourceChange,
    provider: Arc<dyn Provider>,
    permits: Permits,
    started: tokio::time::Instant,
) -> Result<StepEnd, String> {
    let (Some(id), Some(prior)) = (change.id.clone(), change.before.clone()) else {
        release(shared, permits);
        return Err(format!(
            "{} has no recorded object to update",
            change.address
        ));
    };
    if let Err(e) = check_conditions(shared, change, None) {
        release(shared, permits);
        return Err(e);
    }
    // A recorded secret the plan holds only as its hash (a saved plan keeps
    // no secret values, see plan::secrets; the state hashes them too) is
    // read again from the object, so the update is planned against its
    // value; a value the object never returns (write-only) stays a hash.
    let prior = if prior
        .values()
        .any(|v| v.is_sensitive() && crate::state::codec::is_hash(v))
    {
        let ctx = resource_ctx(
            &Owner::of_plan(&shared.plan),
            &change.address,
            &change.region,
            change.alias.as_deref(),
        );
        observe_one(provider.as_ref(), &ctx, &id, &prior)
            .await
            .unwrap_or(prior)
    } else {
        prior
    };
    // An object still on its way to ready (an orphan a killed run left
    // `creating`, or one an interrupted run recorded not ready) is waited
    // for before it is changed: AWS refuses changes meanwhile
    // (InvalidDBClusterStateFault, IncorrectState). The wait holds no slot.
    let (prior, permits) = match provider.readiness(&prior) {
        Readiness::Pending(_) => {
            release(shared, permits);
            let waited = await_ready(
                shared, change, &provider, &id, prior, node.op, started, false,
            )
            .await;
            let ready = match waited {
                Ok(ready) => ready,
                Err(not_ready) => return not_ready.record(shared, change, id, None, false),
            };
            (ready, acquire(shared, provider.as_ref()).await?)
        }
        _ => (prior, permits),
    };
    let work = if change.action == ChangeAction::Adopt && change.changes.is_empty() {
        Ok(None)
    } else {
        replan(shared, change, provider.as_ref(), &prior)
    };
    // What the update asked for, to tell whether it landed once ready.
    let asked = match &work {
        Ok(Some((desired, _))) => Some(unmarked(desired)),
        _ => None,
    };
    let attrs = match work {
        Err(e) => {
            release(shared, permits);
            if change.action == ChangeAction::Adopt {
                // Adopt what exists even if its update cannot proceed.
                record_object(
                    shared,
                    change,
                    id.clone(),
                    prior,
                    ResourceStatus::Ready,
                    None,
                );
            }
            return Err(e);
        }
        Ok(None) => {
            release(shared, permits);
            prior.clone()
        }
        Ok(Some((desired, changes))) => {
            let ctx = resource_ctx(
                &Owner::of_plan(&shared.plan),
                &change.address,
                &change.region,
                change.alias.as_deref(),
            );
            let (p, d) = (unmarked(&prior), unmarked(&desired));
            // After a lost answer, what is left is planned against the live
            // object, keeping the resource's ignore_changes (ambiguous.rs).
            let ignore = shared
                .plan
                .config
                .instance(&change.address)
                .map(|i| i.lifecycle.ignore_changes.clone())
                .unwrap_or_default();
            let r = update_replanning(
                &shared.retry,
                provider.as_ref(),
                &ctx,
                &id,
                &p,
                &d,
                &changes,
                |live| apply_ignore_changes(&ignore, Some(live), provider.plan(Some(live), &d)),
                on_retry(shared, change),
            )
            .await;
            release(shared, permits);
            match r {
                Ok(returned) => merge(
                    &desired,
                    &mark_provider_sensitive(provider.as_ref(), with_id(returned, &id)),
                ),
                Err(e) => {
                    if change.action == ChangeAction::Adopt {
                        record_object(
                            shared,
                            change,
                            id.clone(),
                            prior,
                            ResourceStatus::Ready,
                            None,
                        );
                    }
                    return Err(format!("updating {} {id}: {e}", change.kind));
                }
            }
        }
    };
    let attrs = with_id(attrs, &id);
    match await_ready(
        shared, change, &provider, &id, attrs, node.op, started, false,
    )
    .await
    {
        Ok(attrs) => {
            if let Ok(mut v) = shared.values.lock() {
                v.insert(change.address.clone(), attrs.clone());
            }
            // Settled, but maybe not on what was asked (rolled back): the
            // live object is recorded as it is, ready, so the next plan
            // shows the update again; the apply fails with AWS's reason.
            let missed = asked
                .as_ref()
                .and_then(|d| provider.not_landed(d, &unmarked(&attrs)));
            record_object(
                shared,
                change,
                id.clone(),
                attrs.clone(),
                ResourceStatus::Ready,
                None,
            );
            if let Some(reason) = missed {
                return Err(format!("{} {id}: {reason}", change.kind));
            }
            check_conditions(shared, change, Some(&attrs)).map(|()| StepEnd::Done)
        }
        Err(not_ready) => not_ready.record(shared, change, id, None, false),
    }
}

/// Checks the resource's preconditions (`post` = `None`, before its call)
/// or postconditions (after it, with the object's attributes) against the
/// values known now. The object is recorded before its postconditions
/// are checked: a failure leaves the state exact and stops the resource's
/// dependents.
fn check_conditions(
    shared: &Shared,
    change: &ResourceChange,
    post: Option<&Attrs>,
) -> Result<(), String> {
    let config = &shared.plan.config;
    let Some(inst) = config.instance(&change.address) else {
        return Ok(());
    };
    if inst.conditions.is_empty() {
        return Ok(());
    }
    let values = shared
        .values
        .lock()
        .map_err(|_| "values lock poisoned".to_string())?;
    crate::conditions::check(config, inst, &*values, post, crate::conditions::When::Apply)
}

/// Unknown-free attributes used to seed the values of a resource.
pub fn seed_value(change: &ResourceChange) -> Option<Attrs> {
    match change.action {
        ChangeAction::Create => None,
        _ => change.before.clone().map(|b| {
            b.into_iter()
                .filter(|(_, v)| !matches!(v, Value::Unknown))
                .collect()
        }),
    }
}
