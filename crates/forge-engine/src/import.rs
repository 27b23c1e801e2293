//! `forge import ADDR ID`: take an object that already exists under
//! management, without creating or changing anything in the cloud.
//!
//! This is how a user confirms an object forge refused to adopt (one with
//! no ownership tags, tags from an earlier forge without `forge:state`, or
//! another state's tags): the object is read with its kind's `observe` and
//! recorded at the address, and the next plan compares it with the spec
//! like any other resource (an update in place, or a replacement, shown
//! before anything is done). Like Terraform's `terraform import`, the
//! object's tags are not changed: an object still tagged as another
//! state's is reported by `forge drift` as a conflict until one of the two
//! states forgets it (`forge state rm`).
//!
//! `import:` blocks in the spec do the same through a plan; both read and
//! record the object with [`crate::plan::imports`].

use crate::engine::{Engine, check_stack, under_lock};
use crate::error::EngineError;
use crate::ownership::Owner;
use crate::plan::imports::{imported_record, not_found, read_existing};
use crate::state::{ResourceState, State, StateBackend};
use forge_core::Address;
use forge_core::spec::Stack;

impl Engine {
    /// Records the existing object `id` as the spec's resource `address`
    /// (see the module docs). Errors, changing nothing, when the address is
    /// not in the spec, is already in the state, or no such object exists.
    pub async fn import(
        &self,
        stack: &Stack,
        backend: &dyn StateBackend,
        address: &Address,
        id: &str,
    ) -> Result<ResourceState, EngineError> {
        let import_error = |message: String| EngineError::Import {
            address: address.to_string(),
            message,
        };
        let inst = stack.instance(address).ok_or_else(|| {
            import_error(
                "the spec has no resource at this address; declare it first (with its kind), \
                 then import the existing object into it"
                    .into(),
            )
        })?;
        let provider = self
            .registry()
            .get(&inst.kind)
            .ok_or_else(|| EngineError::UnknownKind {
                kind: inst.kind.clone(),
                address: address.to_string(),
            })?;
        under_lock(backend, "import", async {
            let (state, token) = backend.read().await?;
            let mut state = match state {
                Some(s) => {
                    check_stack(stack, &s, backend)?;
                    s
                }
                None => State::new(stack.name.clone(), stack.environment.clone()),
            };
            if let Some(r) = state.get(address)
                && let Some(existing) = &r.id
            {
                return Err(import_error(format!(
                    "already in the state as {existing}; `forge state rm {address}` first to \
                     manage another object there"
                )));
            }
            let attrs = read_existing(
                provider,
                (&inst.region, inst.alias.as_deref()),
                Owner::of_state(&state),
                id,
                &Default::default(),
            )
            .await
            .map_err(|e| import_error(format!("reading {} {id}: {e}", inst.kind)))?
            .ok_or_else(|| import_error(not_found(&inst.kind, id, &inst.region)))?;
            let r = imported_record(inst, id, attrs);
            state.upsert(r.clone());
            state.serial += 1;
            backend.write(&state, &token).await?;
            Ok(r)
        })
        .await
    }
}
