//! `-replace ADDR`: replace a resource even though nothing in its spec
//! forces it (Terraform's `-replace`, the successor of `taint`). The plan
//! records the requested addresses so the check of a saved plan before
//! its apply accepts the replacement, and so `forge show` can say why.

use super::build::PlanOptions;
use crate::error::PlanProblem;
use forge_core::Address;
use forge_core::spec::Stack;

/// Why a requested replacement happens, as the plan shows it.
pub const REASON: &str = "replacement requested with -replace";

/// The forced-replacement reason for `address`, when it was requested.
pub(crate) fn requested(options: &PlanOptions, address: &Address) -> Option<String> {
    options
        .replace
        .contains(address)
        .then(|| REASON.to_string())
}

/// A requested address the stack does not declare is a mistake (a typo
/// would otherwise plan nothing and look like success).
pub(crate) fn undeclared(stack: &Stack, options: &PlanOptions) -> Vec<PlanProblem> {
    options
        .replace
        .iter()
        .filter(|a| stack.instance(a).is_none())
        .map(|a| PlanProblem {
            address: Some(a.clone()),
            message: "-replace names a resource the configuration does not declare".into(),
        })
        .collect()
}
