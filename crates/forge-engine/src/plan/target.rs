//! `-target ADDR`: a partial plan of the targeted resources and everything
//! they depend on, as Terraform's `-target`. A target without an instance
//! key (`web`) takes every instance of the resource (`web["a"]`, `web[0]`).
//! What lies outside is left as it is: not planned, not applied, not
//! deleted (a removed resource is deleted only when targeted itself).

use super::build::PlanOptions;
use crate::error::PlanProblem;
use forge_core::Address;
use forge_core::spec::Stack;
use std::collections::BTreeSet;

/// The warning a targeted plan carries, worded as Terraform's.
pub const WARNING: &str = "Resource targeting is in effect: this plan may not include every change the \
     configuration needs. Use -target to work around mistakes or for exceptional cases, \
     not routinely; plan again without -target to see the whole picture.";

/// Whether `target` names `address` (itself, or all instances of it).
pub fn matches(target: &Address, address: &Address) -> bool {
    target == address
        || (target.key.is_none() && target.name == address.name)
        || address.is_in_module(target)
}

/// The addresses a targeted plan covers: the declared instances matched
/// by a target, and what they depend on, transitively. `None`: no target,
/// everything is planned.
pub(crate) fn scope(stack: &Stack, options: &PlanOptions) -> Option<BTreeSet<Address>> {
    if options.target.is_empty() {
        return None;
    }
    let mut scope = BTreeSet::new();
    let mut todo: Vec<&Address> = stack
        .instances
        .iter()
        .map(|i| &i.address)
        .filter(|a| options.target.iter().any(|t| matches(t, a)))
        .collect();
    while let Some(address) = todo.pop() {
        if !scope.insert(address.clone()) {
            continue;
        }
        if let Some(inst) = stack.instance(address) {
            todo.extend(inst.dependencies.iter());
        }
    }
    Some(scope)
}

/// Whether a recorded resource outside the configuration is deleted by
/// this plan: always without targets, else only when targeted itself.
pub(crate) fn deletes(options: &PlanOptions, address: &Address) -> bool {
    options.target.is_empty() || options.target.iter().any(|t| matches(t, address))
}

/// Targets that match nothing declared or recorded are mistakes (a typo
/// would plan nothing and look like success); a targeted destroy is not
/// supported.
pub(crate) fn problems(
    stack: &Stack,
    recorded: &BTreeSet<Address>,
    options: &PlanOptions,
    destroy: bool,
) -> Vec<PlanProblem> {
    if destroy && !options.target.is_empty() {
        return vec![PlanProblem {
            address: None,
            message: "-target is not supported with a destroy plan; remove the resource from the \
                      spec (or add a `removed:` block) and plan with -target instead"
                .into(),
        }];
    }
    options
        .target
        .iter()
        .filter(|t| {
            !stack.instances.iter().any(|i| matches(t, &i.address))
                && !recorded.iter().any(|a| matches(t, a))
        })
        .map(|t| PlanProblem {
            address: Some(t.clone()),
            message: "-target names a resource neither the configuration nor the state has".into(),
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_target_without_key_takes_every_instance() {
        let web: Address = "web".parse().unwrap();
        assert!(matches(&web, &"web[\"a\"]".parse().unwrap()));
        assert!(matches(&web, &web));
        assert!(!matches(
            &"web[0]".parse().unwrap(),
            &"web[1]".parse().unwrap()
        ));
        assert!(!matches(&web, &"webs".parse().unwrap()));
    }
}
