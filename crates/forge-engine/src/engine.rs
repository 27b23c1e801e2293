//! The library entry point: [`Engine`] plans, applies and inspects state.
//! The CLI uses only this API.

use crate::apply::{ApplyOptions, ApplyReport};
use crate::error::EngineError;
use crate::plan::Plan;
use crate::plan::build::{PlanInput, PlanOptions, build_plan};
use crate::refresh::refresh;
use crate::registry::ProviderRegistry;
use crate::state::{LockInfo, OutputState, ResourceState, State, StateBackend, ops};
use forge_core::Address;
use forge_core::spec::Stack;
use std::collections::BTreeMap;
use std::sync::Arc;

/// forge's reconciler, over a registry of providers.
#[derive(Debug, Clone)]
pub struct Engine {
    registry: Arc<ProviderRegistry>,
}

impl Engine {
    /// An engine using these providers.
    pub fn new(registry: ProviderRegistry) -> Self {
        Engine {
            registry: Arc::new(registry),
        }
    }

    /// The providers.
    pub fn registry(&self) -> &ProviderRegistry {
        &self.registry
    }

    /// Reads the state (`None` if there is none yet).
    pub async fn read_state(
        &self,
        backend: &dyn StateBackend,
    ) -> Result<Option<State>, EngineError> {
        let state = backend.read().await?.0;
        match &state {
            Some(s) => tracing::debug!(
                location = %backend.location(), lineage = %s.lineage, serial = s.serial,
                resources = s.resources.len(), "read the state"
            ),
            None => tracing::debug!(location = %backend.location(), "no state yet"),
        }
        Ok(state)
    }

    async fn read_for(
        &self,
        stack: &Stack,
        backend: &dyn StateBackend,
    ) -> Result<Option<State>, EngineError> {
        let state = self.read_state(backend).await?;
        if let Some(s) = &state {
            check_stack(stack, s, backend)?;
        }
        Ok(state)
    }

    async fn plan_inner(
        &self,
        stack: &Stack,
        backend: &dyn StateBackend,
        options: &PlanOptions,
        destroy: bool,
    ) -> Result<Plan, EngineError> {
        if !destroy {
            crate::data_expand::check_expanded(stack)?;
        }
        let mut state = self.read_for(stack, backend).await?;
        // `moved:` / `removed:` blocks rearrange the records first: the
        // refresh and the plan see them at their new addresses.
        let (moves, unmanage) = match state.as_mut() {
            Some(s) => crate::plan::moves::rearrange(stack, s)?,
            None => Default::default(),
        };
        let (state, gone) = match state {
            Some(s) if options.refresh => {
                let recorded: Vec<Address> = s
                    .resources
                    .iter()
                    .filter(|r| r.id.is_some())
                    .map(|r| r.address.clone())
                    .collect();
                let refreshed = refresh(&self.registry, s, &options.retry).await?;
                // What refresh dropped is gone from the cloud; the apply
                // drops it from the state too.
                let gone: Vec<Address> = recorded
                    .into_iter()
                    .filter(|a| refreshed.get(a).is_none())
                    .collect();
                if !gone.is_empty() {
                    tracing::debug!(count = gone.len(), "refresh found recorded objects gone");
                }
                (Some(refreshed), gone)
            }
            other => (other, Vec::new()),
        };
        // Data sources are read before planning (a destroy needs none).
        let read;
        let stack = if destroy || stack.data.is_empty() {
            stack
        } else {
            read = crate::data::read_data(&self.registry, stack, &options.retry)
                .await?
                .0;
            &read
        };
        let imports = if destroy {
            Default::default()
        } else {
            crate::plan::imports::read_imports(
                &self.registry,
                stack,
                state.as_ref(),
                options.generate_spec,
                &options.retry,
            )
            .await?
        };
        build_plan(PlanInput {
            registry: &self.registry,
            stack,
            state,
            options,
            destroy,
            gone,
            imports,
            moves,
            unmanage,
        })
        .await
    }

    /// Plans `stack` against its state, refreshed from the cloud: creates,
    /// updates, replacements, deletes of what left the spec, adoptions of
    /// what an interrupted run left, no-ops. Reads state without locking.
    pub async fn plan(
        &self,
        stack: &Stack,
        backend: &dyn StateBackend,
        options: &PlanOptions,
    ) -> Result<Plan, EngineError> {
        self.plan_inner(stack, backend, options, false).await
    }

    /// Plans destroying everything in the state (`forge destroy`).
    pub async fn plan_destroy(
        &self,
        stack: &Stack,
        backend: &dyn StateBackend,
        options: &PlanOptions,
    ) -> Result<Plan, EngineError> {
        self.plan_inner(stack, backend, options, true).await
    }

    /// Applies `plan` exactly, refusing it if the state changed since it
    /// was made. Failures of individual resources are in the report
    /// ([`ApplyReport::is_success`]); `Err` means the apply could not run
    /// at all (stale plan, lock held, state unreadable).
    pub async fn apply(
        &self,
        plan: &Plan,
        backend: &dyn StateBackend,
        options: &ApplyOptions,
    ) -> Result<ApplyReport, EngineError> {
        let unset = plan.config.unset_vars();
        if !unset.is_empty() {
            return Err(EngineError::UnsetVars(
                unset.into_iter().map(str::to_string).collect(),
            ));
        }
        crate::apply::run::apply(self.registry.clone(), plan, backend, options).await
    }

    async fn mutate<T>(
        &self,
        backend: &dyn StateBackend,
        operation: &str,
        f: impl FnOnce(&mut State) -> Result<T, EngineError>,
    ) -> Result<T, EngineError> {
        under_lock(backend, operation, async {
            let (state, token) = backend.read().await?;
            let mut state =
                state.ok_or_else(|| EngineError::NotInState("(there is no state yet)".into()))?;
            let out = f(&mut state)?;
            state.serial += 1;
            backend.write(&state, &token).await?;
            Ok(out)
        })
        .await
    }

    /// Refreshes the state from the cloud and saves it (`forge refresh`):
    /// attributes updated, vanished resources dropped.
    pub async fn refresh_state(
        &self,
        stack: &Stack,
        backend: &dyn StateBackend,
    ) -> Result<State, EngineError> {
        let current = self.read_for(stack, backend).await?;
        let Some(current) = current else {
            return Ok(State::new(stack.name.clone(), stack.environment.clone()));
        };
        let refreshed = refresh(&self.registry, current, &Default::default()).await?;
        self.mutate(backend, "refresh", move |s| {
            let serial = s.serial;
            *s = refreshed;
            s.serial = serial;
            Ok(s.clone())
        })
        .await
        .map(|mut s| {
            s.serial += 1;
            s
        })
    }

    /// The recorded outputs.
    pub async fn outputs(
        &self,
        backend: &dyn StateBackend,
    ) -> Result<BTreeMap<String, OutputState>, EngineError> {
        Ok(self
            .read_state(backend)
            .await?
            .map(|s| s.outputs)
            .unwrap_or_default())
    }

    /// `forge state list`.
    pub async fn state_list(
        &self,
        backend: &dyn StateBackend,
    ) -> Result<Vec<Address>, EngineError> {
        Ok(self
            .read_state(backend)
            .await?
            .map(|s| ops::list(&s))
            .unwrap_or_default())
    }

    /// `forge state show ADDR`.
    pub async fn state_show(
        &self,
        backend: &dyn StateBackend,
        address: &Address,
    ) -> Result<ResourceState, EngineError> {
        self.read_state(backend)
            .await?
            .and_then(|s| s.get(address).cloned())
            .ok_or_else(|| EngineError::NotInState(address.to_string()))
    }

    /// `forge state rm ADDR`: forget a resource (it stays in the cloud).
    pub async fn state_rm(
        &self,
        backend: &dyn StateBackend,
        address: &Address,
    ) -> Result<ResourceState, EngineError> {
        self.mutate(backend, "state rm", |s| ops::rm(s, address))
            .await
    }

    /// `forge state mv FROM TO`.
    pub async fn state_mv(
        &self,
        backend: &dyn StateBackend,
        from: &Address,
        to: &Address,
    ) -> Result<(), EngineError> {
        self.mutate(backend, "state mv", |s| ops::mv(s, from, to))
            .await
    }

    /// `forge force-unlock ID`.
    pub async fn force_unlock(
        &self,
        backend: &dyn StateBackend,
        id: &str,
    ) -> Result<(), EngineError> {
        Ok(backend.force_unlock(id).await?)
    }
}

/// Refuses a state that belongs to another stack or environment than
/// `stack` (a backend key shared by mistake).
pub(crate) fn check_stack(
    stack: &Stack,
    state: &State,
    backend: &dyn StateBackend,
) -> Result<(), EngineError> {
    if state.stack == stack.name && state.environment == stack.environment {
        return Ok(());
    }
    let show = |n: &str, e: &Option<String>| match e {
        Some(e) => format!("{n} (environment {e})"),
        None => n.to_string(),
    };
    Err(EngineError::WrongStack {
        location: backend.location(),
        expected: show(&stack.name, &stack.environment),
        found: show(&state.stack, &state.environment),
    })
}

/// Runs `work` holding the state lock for `operation`, and releases the
/// lock whatever `work` returned (its error wins over an unlock error).
pub(crate) async fn under_lock<T>(
    backend: &dyn StateBackend,
    operation: &str,
    work: impl std::future::Future<Output = Result<T, EngineError>>,
) -> Result<T, EngineError> {
    let guard = backend
        .lock(LockInfo::new(operation, chrono::Duration::minutes(10)))
        .await?;
    let result = work.await;
    let unlocked = backend.unlock(&guard.info.id).await;
    match (result, unlocked) {
        (Ok(v), Ok(())) => Ok(v),
        (Ok(_), Err(e)) => Err(e.into()),
        (Err(e), _) => Err(e),
    }
}
