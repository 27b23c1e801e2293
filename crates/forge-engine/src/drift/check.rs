//! [`Engine::drift`]: the read-only drift check.

use super::compare::{compare, shown};
use super::pending::{not_compared, pending_changes, plan_against_record, spec_wants_recorded};
use super::{
    ClassifiedChange, DeletedResource, DriftError, DriftField, DriftOptions, DriftReport,
    DriftedResource, MaintenanceField, PendingMaintenance, orphans,
};
use crate::engine::Engine;
use crate::error::EngineError;
use crate::provider::{ObserveCtx, ProviderError};
use crate::refresh::{Group, group_of};
use crate::registry::ProviderRegistry;
use crate::retry::{RetryPolicy, with_retry};
use crate::state::{State, StateBackend};
use forge_core::Attrs;
use forge_core::spec::Stack;
use std::collections::BTreeMap;

/// The outcome of one batched observe: attributes by id, or the failure.
type GroupResult = Result<BTreeMap<String, Attrs>, String>;

/// One batched `observe` per (kind, region) of the state's resources, all
/// concurrently, like [`crate::refresh::observe_all`], except that a failed
/// group does not hide the others: its error is kept and the rest of the
/// stack is still checked.
pub async fn observe_each(
    registry: &ProviderRegistry,
    state: &State,
    retry: &RetryPolicy,
) -> BTreeMap<Group, GroupResult> {
    let mut groups: BTreeMap<Group, Vec<String>> = BTreeMap::new();
    for r in &state.resources {
        if let Some(id) = &r.id {
            groups.entry(group_of(r)).or_default().push(id.clone());
        }
    }
    let calls = groups
        .into_iter()
        .map(|((kind, region, alias), mut ids)| async move {
            ids.sort();
            ids.dedup();
            let result = match registry.get(&kind) {
                None => Err(format!("no provider for resource kind `{kind}`")),
                Some(provider) => {
                    let ctx = ObserveCtx {
                        region: region.clone(),
                        alias: alias.clone(),
                        owner: crate::ownership::Owner::of_state(state),
                    };
                    with_retry(retry, || provider.observe(&ctx, &ids), |_, _, _| {})
                        .await
                        .map_err(|source: ProviderError| {
                            EngineError::Refresh {
                                kind: kind.clone(),
                                region: region.clone(),
                                source,
                            }
                            .to_string()
                        })
                }
            };
            ((kind, region, alias), result)
        });
    futures::future::join_all(calls).await.into_iter().collect()
}

impl Engine {
    /// Checks `stack` for drift (`forge drift`): read-only, no lock. See
    /// [`crate::drift`] for what the report holds. `Err` only when the state
    /// cannot be read or belongs to another stack; every other failure is
    /// in the report's `errors` (outcome [`super::DriftOutcome::Error`]).
    pub async fn drift(
        &self,
        stack: &Stack,
        backend: &dyn StateBackend,
        options: &DriftOptions,
    ) -> Result<DriftReport, EngineError> {
        crate::data_expand::check_expanded(stack)?;
        let state = self.read_state(backend).await?;
        if let Some(s) = &state {
            crate::engine::check_stack(stack, s, backend)?;
        }
        let registry = self.registry();
        // The spec's fields may read data sources: read them as a plan does.
        let (read, _) = crate::data::read_data(registry, stack, &options.retry).await?;
        let stack = &read;
        let mut report = DriftReport::new(stack.name.clone(), stack.environment.clone());
        if let Some(s) = &state {
            report.state_lineage = Some(s.lineage.clone());
            report.state_serial = s.serial;
        }
        let empty = State::new(stack.name.clone(), stack.environment.clone());
        let recorded = state.as_ref().unwrap_or(&empty);
        let known = orphans::known_ids(state.as_ref());
        let orphan_groups = if options.orphans {
            orphans::groups(stack, state.as_ref())
        } else {
            Vec::new()
        };
        let owner = crate::ownership::Owner::of_state(recorded);
        let (observed, found, plan) = tokio::join!(
            observe_each(registry, recorded, &options.retry),
            orphans::find(
                registry,
                &owner,
                stack,
                orphan_groups,
                &known,
                if state.is_some() {
                    orphans::Search::Complete
                } else {
                    orphans::Search::NoState
                },
                &options.retry
            ),
            plan_against_record(registry, stack, state.clone(), &options.retry),
        );

        let plan = match plan {
            Ok(plan) => {
                report.pending_spec_changes = pending_changes(&plan);
                report.not_compared = not_compared(&plan);
                report.unset_vars = stack.unset_vars().iter().map(|v| v.to_string()).collect();
                Some(plan)
            }
            Err(EngineError::Plan { problems, .. }) => {
                report
                    .errors
                    .extend(problems.into_iter().map(|p| DriftError {
                        kind: None,
                        region: None,
                        address: p.address.as_ref().map(ToString::to_string),
                        message: format!("planning the spec against the state: {}", p.message),
                    }));
                None
            }
            Err(e) => {
                report.errors.push(DriftError {
                    kind: None,
                    region: None,
                    address: None,
                    message: format!("planning the spec against the state: {e}"),
                });
                None
            }
        };

        for ((kind, region, _), result) in &observed {
            if let Err(message) = result {
                report.errors.push(DriftError {
                    kind: Some(kind.clone()),
                    region: Some(region.clone()),
                    address: None,
                    message: message.clone(),
                });
            }
        }
        for r in &recorded.resources {
            let Some(id) = &r.id else { continue };
            let Some(Ok(group)) = observed.get(&group_of(r)) else {
                continue;
            };
            let Some(provider) = registry.get(&r.kind) else {
                continue;
            };
            report.resources_checked += 1;
            let address = r.address.to_string();
            let instance = stack.instance(&r.address);
            let Some(live) = group.get(id) else {
                report.deleted.push(DeletedResource {
                    address,
                    kind: r.kind.clone(),
                    region: r.region.clone(),
                    id: id.clone(),
                    in_spec: instance.is_some(),
                });
                continue;
            };
            let ignore = instance
                .map(|i| i.lifecycle.ignore_changes.as_slice())
                .unwrap_or_default();
            let compared = compare(provider.as_ref(), ignore, &r.attributes, live, id);
            for (c, reason) in compared.classified {
                report.classified.push(ClassifiedChange {
                    address: address.clone(),
                    kind: r.kind.clone(),
                    id: id.clone(),
                    path: c.path.clone(),
                    recorded: shown(&c.before),
                    live: shown(&c.after),
                    reason,
                });
            }
            if !compared.pending.is_empty() {
                report.pending_maintenance.push(PendingMaintenance {
                    address: address.clone(),
                    kind: r.kind.clone(),
                    id: id.clone(),
                    fields: compared
                        .pending
                        .iter()
                        .map(|c| MaintenanceField {
                            path: c.path.clone(),
                            live: shown(&c.before),
                            pending: shown(&c.after),
                        })
                        .collect(),
                });
            }
            if !compared.drifted.is_empty() {
                let fields = compared
                    .drifted
                    .iter()
                    .map(|c| DriftField {
                        path: c.path.clone(),
                        recorded: shown(&c.before),
                        live: shown(&c.after),
                        spec_wants_recorded: spec_wants_recorded(
                            plan.as_ref(),
                            &r.address,
                            &c.path,
                        ),
                    })
                    .collect();
                report.drifted.push(DriftedResource {
                    address,
                    kind: r.kind.clone(),
                    region: r.region.clone(),
                    id: id.clone(),
                    fields,
                });
            }
        }
        report.orphans = found.orphans;
        report.conflicts = found.conflicts;
        report.errors.extend(found.errors);
        report.finish();
        Ok(report)
    }
}
