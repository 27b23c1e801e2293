//! Spec changes not applied yet: the spec planned against the recorded
//! state without refreshing, and the question drift asks of it — does the
//! spec still want the recorded value of a field?

use super::compare::shown;
use super::{NotCompared, PendingChange, PendingField};
use crate::error::EngineError;
use crate::plan::build::{PlanInput, PlanOptions, build_plan};
use crate::plan::{ChangeAction, Plan};
use crate::registry::ProviderRegistry;
use crate::state::State;
use forge_core::Address;
use forge_core::spec::Stack;

/// Plans `stack` against `state` as recorded (no refresh).
pub async fn plan_against_record(
    registry: &ProviderRegistry,
    stack: &Stack,
    state: Option<State>,
    retry: &crate::retry::RetryPolicy,
) -> Result<Plan, EngineError> {
    let options = PlanOptions {
        refresh: false,
        retry: retry.clone(),
        ..PlanOptions::default()
    };
    build_plan(PlanInput {
        registry,
        stack,
        state,
        options: &options,
        destroy: false,
        gone: Vec::new(),
        imports: Default::default(),
        moves: Vec::new(),
        unmanage: Vec::new(),
    })
    .await
}

/// The plan's changes as pending spec changes (no-ops and deletes of
/// deposed objects left out: those are not spec changes).
pub fn pending_changes(plan: &Plan) -> Vec<PendingChange> {
    plan.changes
        .iter()
        .filter(|c| c.action != ChangeAction::NoOp && !c.deposed)
        .map(|c| PendingChange {
            address: c.address.to_string(),
            kind: c.kind.clone(),
            action: c.action.as_str().to_string(),
            fields: match c.action {
                ChangeAction::Create | ChangeAction::Delete => Vec::new(),
                _ => c
                    .changes
                    .iter()
                    .map(|f| PendingField {
                        path: f.path.clone(),
                        recorded: shown(&f.before),
                        desired: shown(&f.after),
                        forces_replacement: f.forces_replacement,
                    })
                    .collect(),
            },
        })
        .collect()
}

/// The fields the plan could not compare with the spec (they depend on
/// vars with no value), by resource.
pub fn not_compared(plan: &Plan) -> Vec<NotCompared> {
    plan.changes
        .iter()
        .filter(|c| !c.not_compared.is_empty())
        .map(|c| NotCompared {
            address: c.address.to_string(),
            paths: c.not_compared.clone(),
        })
        .collect()
}

/// Whether path `a` is `b`, inside it, or contains it (`tags` and
/// `tags.Name`; `ingress` and `ingress[2]`).
pub fn paths_overlap(a: &str, b: &str) -> bool {
    let inside = |x: &str, y: &str| {
        x.strip_prefix(y)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('.') || rest.starts_with('['))
    };
    inside(a, b) || inside(b, a)
}

/// Whether the spec still asks for the recorded value at `path` of
/// `address`: the resource is in the spec and the record-based plan has no
/// change touching that path. `None` plan (it could not be made): unknown,
/// so false.
pub fn spec_wants_recorded(plan: Option<&Plan>, address: &Address, path: &str) -> bool {
    let Some(plan) = plan else { return false };
    match plan.change(address) {
        None => false,
        Some(c) => match c.action {
            ChangeAction::Delete | ChangeAction::Create => false,
            _ => !c.changes.iter().any(|f| paths_overlap(&f.path, path)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_paths() {
        assert!(paths_overlap("tags", "tags.Name"));
        assert!(paths_overlap("tags.Name", "tags"));
        assert!(paths_overlap("ingress[2]", "ingress"));
        assert!(paths_overlap("size", "size"));
        assert!(!paths_overlap("tags.Name", "tags.Names"));
        assert!(!paths_overlap("size", "sizes"));
    }
}
