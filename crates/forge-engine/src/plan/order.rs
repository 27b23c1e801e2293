//! Dependency order of a stack's instances.

use crate::error::PlanProblem;
use forge_core::Address;
use forge_core::spec::Instance;
use std::collections::{BTreeMap, BTreeSet};

/// Indices of `instances` in dependency order (dependencies first; ties
/// by address, so the order is stable). Unknown dependencies and cycles are
/// reported as problems.
pub fn topo_order(instances: &[Instance]) -> Result<Vec<usize>, Vec<PlanProblem>> {
    let index: BTreeMap<&Address, usize> = instances
        .iter()
        .enumerate()
        .map(|(i, inst)| (&inst.address, i))
        .collect();
    let mut problems = Vec::new();
    let mut indegree = vec![0usize; instances.len()];
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); instances.len()];
    for (i, inst) in instances.iter().enumerate() {
        for dep in &inst.dependencies {
            match index.get(dep) {
                Some(&d) => {
                    indegree[i] += 1;
                    dependents[d].push(i);
                }
                None => problems.push(PlanProblem {
                    address: Some(inst.address.clone()),
                    message: format!("depends on {dep}, which is not in the stack"),
                }),
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut ready: BTreeSet<(&Address, usize)> = (0..instances.len())
        .filter(|&i| indegree[i] == 0)
        .map(|i| (&instances[i].address, i))
        .collect();
    let mut out = Vec::with_capacity(instances.len());
    while let Some(first) = ready.pop_first() {
        let i = first.1;
        out.push(i);
        for &d in &dependents[i] {
            indegree[d] -= 1;
            if indegree[d] == 0 {
                ready.insert((&instances[d].address, d));
            }
        }
    }
    if out.len() < instances.len() {
        let stuck: Vec<String> = (0..instances.len())
            .filter(|i| indegree[*i] > 0)
            .map(|i| instances[i].address.to_string())
            .collect();
        return Err(vec![PlanProblem {
            address: None,
            message: format!("dependency cycle among: {}", stuck.join(", ")),
        }]);
    }
    Ok(out)
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

    #[test]
    fn orders_dependencies_first_and_reports_cycles() {
        let v = vec![inst("a", &["c"]), inst("b", &[]), inst("c", &["b"])];
        let order = topo_order(&v).unwrap();
        let names: Vec<_> = order.iter().map(|&i| v[i].address.name.as_str()).collect();
        assert_eq!(names, ["b", "c", "a"]);
        let cyc = vec![inst("a", &["b"]), inst("b", &["a"])];
        assert!(topo_order(&cyc).unwrap_err()[0].message.contains("cycle"));
        assert!(topo_order(&[inst("a", &["zz"])]).is_err());
    }
}
