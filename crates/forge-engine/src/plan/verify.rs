//! Re-deriving a plan's actions before applying it: every action must
//! follow from the plan's configuration, the state it was made against and
//! its own recorded before/after, so an edited plan (a `no_op` turned into
//! `delete`, an update into a replacement, another object's id) is refused
//! before anything runs.
//!
//! The plan's stack and environment must be its configuration's and the
//! state's. The rules, per resource change:
//! - a delete is for an address the configuration no longer declares (or
//!   any address, in a destroy plan), of the object the state records
//!   there, or of a deposed object the state records;
//! - an address the configuration declares is created when the plan
//!   recorded no object for it (none in the state, or refresh found it
//!   gone), and otherwise acts on the object the state records;
//! - a replacement is what the provider's own plan of the recorded before
//!   and after says, a tainted object's, or one that moves the object off
//!   a dependency replaced delete-first, or one the plan was asked to
//!   replace (`-replace`); an object needing none is never replaced;
//! - kind, region and dependencies are the configuration's (the state's,
//!   for deletes);
//! - an output is deleted only when the configuration no longer declares
//!   it.

use super::{ChangeAction, Plan, ResourceChange};
use crate::error::{EngineError, PlanProblem};
use crate::ignore::apply_ignore_changes;
use crate::provider::PlannedAction;
use crate::registry::ProviderRegistry;
use crate::state::{ResourceState, ResourceStatus, State};
use forge_core::spec::Instance;
use std::collections::BTreeSet;

/// Checks what can be checked of `plan` without its state: its stack and
/// environment are its configuration's. (A saved plan with nothing to do
/// is never applied, but an edited header is still refused.)
pub fn check_header(plan: &Plan) -> Result<(), EngineError> {
    let problems = header_problems(plan);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(EngineError::PlanMismatch { problems })
    }
}

fn header_problems(plan: &Plan) -> Vec<PlanProblem> {
    let mut problems = Vec::new();
    if plan.stack != plan.config.name || plan.environment != plan.config.environment {
        problems.push(PlanProblem {
            address: None,
            message: format!(
                "the plan is headed stack `{}` environment {}, but its configuration is stack `{}` environment {}",
                plan.stack,
                plan.environment.as_deref().unwrap_or("(none)"),
                plan.config.name,
                plan.config.environment.as_deref().unwrap_or("(none)")
            ),
        });
    }
    problems
}

/// Checks `plan` against the state it is about to be applied to (already
/// known to be the state it was made against) and the providers.
pub fn check_actions(
    plan: &Plan,
    state: &State,
    registry: &ProviderRegistry,
) -> Result<(), EngineError> {
    let mut problems = header_problems(plan);
    if state.stack != plan.stack || state.environment != plan.environment {
        problems.push(PlanProblem {
            address: None,
            message: format!(
                "the plan is for stack `{}` environment {}, but the state belongs to stack `{}` environment {}",
                plan.stack,
                plan.environment.as_deref().unwrap_or("(none)"),
                state.stack,
                state.environment.as_deref().unwrap_or("(none)")
            ),
        });
    }
    let mut seen = BTreeSet::new();
    for c in &plan.changes {
        let mut bad = |message: String| {
            problems.push(PlanProblem {
                address: Some(c.address.clone()),
                message,
            })
        };
        if !c.deposed && !seen.insert(&c.address) {
            bad("is planned twice".into());
            continue;
        }
        let declared = (!plan.destroy)
            .then(|| plan.config.instance(&c.address))
            .flatten();
        let recorded = state.get(&c.address);
        let result = if c.deposed {
            check_deposed(c, recorded)
        } else {
            match declared {
                None => check_removed(plan, c, recorded),
                Some(inst) => check_declared(plan, c, inst, recorded, registry),
            }
        };
        if let Err(message) = result {
            bad(message);
        }
    }
    for o in &plan.output_changes {
        let declared = !plan.destroy && plan.config.outputs.iter().any(|d| d.name == o.name);
        if o.action == ChangeAction::Delete && declared {
            problems.push(PlanProblem {
                address: None,
                message: format!(
                    "output `{}` is planned as a delete, but the configuration still declares it",
                    o.name
                ),
            });
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(EngineError::PlanMismatch { problems })
    }
}

fn check_deposed(c: &ResourceChange, recorded: Option<&ResourceState>) -> Result<(), String> {
    if c.action != ChangeAction::Delete {
        return Err(format!(
            "is a deposed object planned as {}: only a delete fits",
            c.action.as_str()
        ));
    }
    let id = c.id.as_deref().unwrap_or("(none)");
    // An untracked object (found by this state's ownership tags, never
    // recorded) is deposed without a record; the plan's seal vouches for
    // it having been found so.
    if c.untracked {
        return Ok(());
    }
    if !recorded.is_some_and(|r| r.deposed.iter().any(|d| d.id == id)) {
        return Err(format!(
            "deletes deposed object {id}, which the state does not record"
        ));
    }
    Ok(())
}

/// An address the configuration does not declare (or a destroy plan's).
fn check_removed(
    plan: &Plan,
    c: &ResourceChange,
    recorded: Option<&ResourceState>,
) -> Result<(), String> {
    if c.action != ChangeAction::Delete {
        return Err(if plan.destroy {
            format!(
                "is planned as {} in a destroy plan, which only deletes",
                c.action.as_str()
            )
        } else {
            format!(
                "is planned as {}, but the configuration does not declare it",
                c.action.as_str()
            )
        });
    }
    let Some(r) = recorded else {
        return Err("is planned as a delete, but the state holds no such resource".into());
    };
    if c.kind != r.kind || c.region != r.region {
        return Err(format!(
            "is planned as a delete of a {} in {}, but the state records a {} in {}",
            c.kind, c.region, r.kind, r.region
        ));
    }
    match (&r.id, &c.id) {
        (Some(live), Some(id)) if live == id => {}
        // An object an interrupted create left behind (found by its tags
        // when planning): the state records only the intent.
        (None, Some(_)) if r.pending.is_some() => {}
        (live, id) => {
            return Err(format!(
                "is planned as a delete of {}, but the state records {}",
                id.as_deref().unwrap_or("no object"),
                live.as_deref().unwrap_or("no object")
            ));
        }
    }
    if c.dependencies != r.dependencies {
        return Err("its dependencies are not the ones the state records".into());
    }
    Ok(())
}

/// An address the configuration declares.
fn check_declared(
    plan: &Plan,
    c: &ResourceChange,
    inst: &Instance,
    recorded: Option<&ResourceState>,
    registry: &ProviderRegistry,
) -> Result<(), String> {
    if c.action == ChangeAction::Delete {
        return Err(
            "is planned as a delete, but the configuration still declares it (a removed resource is deleted; a declared one never is)"
                .into(),
        );
    }
    if c.kind != inst.kind || c.region != inst.region {
        return Err(format!(
            "is planned as a {} in {}, but the configuration declares a {} in {}",
            c.kind, c.region, inst.kind, inst.region
        ));
    }
    if c.dependencies != inst.dependencies {
        return Err("its dependencies are not the configuration's".into());
    }
    let live = recorded.and_then(|r| r.id.as_deref());
    let Some(before) = &c.before else {
        // A recorded object refresh found gone is created again.
        return match c.action {
            ChangeAction::Create => Ok(()),
            action => Err(format!(
                "is planned as {} without a recorded object to act on",
                action.as_str()
            )),
        };
    };
    match (live, c.id.as_deref()) {
        (Some(live), Some(id)) if live == id => {}
        // Adopting (or replacing) what an interrupted create left behind.
        (None, Some(_)) if recorded.is_some_and(|r| r.pending.is_some()) => {}
        (live, id) => {
            return Err(format!(
                "is planned to act on {}, but the state records {}",
                id.unwrap_or("no object"),
                live.unwrap_or("no object")
            ));
        }
    }
    if c.action == ChangeAction::Create {
        return Err("is planned as a create, but it exists".into());
    }
    if c.action == ChangeAction::Adopt && live.is_some() {
        return Err("is planned as an adoption, but the state already records it".into());
    }
    if c.action != ChangeAction::Replace {
        return Ok(());
    }
    // A replacement destroys the object: it must be what the provider's
    // own plan of before -> after says, a tainted object's, or one made so
    // the object moves off a dependency whose old object goes first.
    let tainted = recorded.is_some_and(|r| r.status == ResourceStatus::Tainted);
    let with_dependency = recorded.is_some_and(|r| {
        inst.dependencies
            .iter()
            .filter(|d| r.dependencies.contains(*d))
            .filter_map(|d| plan.change(d))
            .any(|d| d.action == ChangeAction::Replace && !d.create_before_destroy)
    });
    if tainted || with_dependency || plan.replace.contains(&c.address) {
        return Ok(());
    }
    let Some(provider) = registry.get(&c.kind) else {
        return Err(format!("no provider for resource kind `{}`", c.kind));
    };
    let Some(after) = &c.after else {
        return Err("is planned as a replacement without the attributes to create".into());
    };
    let planned = apply_ignore_changes(
        &inst.lifecycle.ignore_changes,
        Some(before),
        provider.plan(Some(before), after),
    );
    if planned.action == PlannedAction::Replace {
        Ok(())
    } else {
        Err(
            "is planned as a replacement, but its recorded before and after differ in nothing that forces one"
                .into(),
        )
    }
}
