//! The dry run of a real-account run: for each stack the real-account
//! capable tests apply, `forge plan --json` of the stack as the run would
//! write it (unique name, run tag), listed as test, address, kind, action
//! and cost class. A plan only reads, so a dry run writes nothing.

use crate::cost_class::CostClass;
use crate::emulator::repo_root;
use crate::forge::{Forge, StackCopy};
use crate::real_aws::{RUN_TAG, prepare_stack};
use std::collections::BTreeMap;

/// A stack a real-account capable test applies first (later steps of a
/// test change it; their additions are of the same kinds).
#[derive(Debug, Clone, Copy)]
pub struct RealStack {
    /// `file::test`.
    pub test: &'static str,
    /// The stack folder, relative to the repository root.
    pub dir: &'static str,
    pub env: &'static str,
    /// `--var` arguments.
    pub vars: &'static [&'static str],
    /// The region the stack is written for (its AZs); a real run in
    /// another region skips the test.
    pub region: &'static str,
}

/// The stacks of the real-account capable tests.
pub const REAL_STACKS: &[RealStack] = &[
    RealStack {
        test: "app_tier::app_tier_apply_verify_update_and_destroy",
        dir: "examples/getting-started",
        env: "dev",
        vars: &[],
        region: "us-east-1",
    },
    RealStack {
        test: "getting_started::dev_apply_verify_change_and_destroy",
        dir: "examples/getting-started",
        env: "dev",
        vars: &[],
        region: "us-east-1",
    },
    RealStack {
        test: "getting_started::prod_apply_verify_and_destroy",
        dir: "examples/getting-started",
        env: "prod",
        vars: &["app_secret=e2e-not-a-secret"],
        region: "us-east-1",
    },
];

/// One planned object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub test: String,
    pub address: String,
    pub kind: String,
    pub action: String,
    pub class: CostClass,
    /// Whether its planned tags carry the run tag with the run's id
    /// (`None`: the kind has no tags).
    pub run_tagged: Option<bool>,
}

/// The rows of a `forge plan --json` document (everything but no-ops).
pub fn rows(test: &str, plan: &serde_json::Value, run_id: &str) -> Vec<Row> {
    plan["resource_changes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["action"].as_str().is_some_and(|a| a != "no-op"))
        .map(|c| {
            let kind = c["kind"].as_str().unwrap_or_default().to_string();
            Row {
                test: test.to_string(),
                address: c["address"].as_str().unwrap_or_default().to_string(),
                class: CostClass::of(&kind),
                kind,
                action: c["action"].as_str().unwrap_or_default().to_string(),
                run_tagged: c["after"]["tags"]
                    .as_object()
                    .map(|t| t.get(RUN_TAG).and_then(|v| v.as_str()) == Some(run_id)),
            }
        })
        .collect()
}

/// Plans `stack` as a real run would write it, with `forge` (whose
/// environment says where the reads go).
pub fn list(forge: &Forge, stack: &RealStack, run_id: &str) -> Result<Vec<Row>, String> {
    let copy = StackCopy::of(&repo_root().join(stack.dir)).map_err(|e| e.to_string())?;
    prepare_stack(&copy, run_id, Some(stack.env), stack.vars).map_err(|e| e.to_string())?;
    plan_rows(forge, stack, &copy, run_id)
}

/// The rows of `forge plan --json` of `copy`, a prepared copy of `stack`
/// (a real-account test lists its own copy before applying it).
pub fn plan_rows(
    forge: &Forge,
    stack: &RealStack,
    copy: &StackCopy,
    run_id: &str,
) -> Result<Vec<Row>, String> {
    let path = copy.arg();
    let mut args = vec!["plan", path.as_str(), "-e", stack.env];
    for v in stack.vars {
        args.extend(["--var", v]);
    }
    args.push("--json");
    let out = forge.run(copy.path(), &args).map_err(|e| e.to_string())?;
    if out.code() != Some(0) {
        return Err(format!("{}: plan failed\n{out}", stack.test));
    }
    let plan: serde_json::Value = serde_json::from_str(&out.stdout)
        .map_err(|e| format!("{}: plan --json is not JSON ({e})\n{out}", stack.test))?;
    Ok(rows(stack.test, &plan, run_id))
}

/// The listing: one line per row, then the count of each class per test.
pub fn render(rows: &[Row]) -> String {
    let width = |f: fn(&Row) -> &str| rows.iter().map(|r| f(r).len()).max().unwrap_or(0);
    let (wt, wa, wk, wc) = (
        width(|r| &r.test),
        width(|r| &r.address),
        width(|r| &r.kind),
        width(|r| &r.action),
    );
    let mut out = String::new();
    for r in rows {
        out.push_str(&format!(
            "{:wt$}  {:wa$}  {:wk$}  {:wc$}  {}\n",
            r.test, r.address, r.kind, r.action, r.class
        ));
    }
    let mut totals: BTreeMap<&str, BTreeMap<CostClass, usize>> = BTreeMap::new();
    for r in rows {
        *totals
            .entry(&r.test)
            .or_default()
            .entry(r.class)
            .or_default() += 1;
    }
    for (test, classes) in totals {
        let counts: Vec<String> = classes
            .iter()
            .map(|(class, n)| format!("{n} {class}"))
            .collect();
        out.push_str(&format!("{test}: {}\n", counts.join(", ")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_of_a_plan() {
        let plan = serde_json::json!({"resource_changes": [
            {"address": "nat[0]", "kind": "aws.ec2.nat_gateway", "action": "create",
             "after": {"tags": {"forge-test-run": "r-1", "Name": "n"}}},
            {"address": "role", "kind": "aws.iam.role", "action": "create",
             "after": {"tags": {"Name": "n"}}},
            {"address": "alias", "kind": "aws.kms.alias", "action": "create", "after": {}},
            {"address": "vpc", "kind": "aws.ec2.vpc", "action": "no-op", "after": {}},
        ]});
        let rows = rows("t", &plan, "r-1");
        let got: Vec<(&str, CostClass, Option<bool>)> = rows
            .iter()
            .map(|r| (r.address.as_str(), r.class, r.run_tagged))
            .collect();
        assert_eq!(
            got,
            [
                ("nat[0]", CostClass::HourlyCheap, Some(true)),
                ("role", CostClass::Free, Some(false)),
                ("alias", CostClass::Free, None),
            ]
        );
        assert_eq!(
            render(&rows),
            "t  nat[0]  aws.ec2.nat_gateway  create  hourly-cheap\n\
             t  role    aws.iam.role         create  free\n\
             t  alias   aws.kms.alias        create  free\n\
             t: 2 free, 1 hourly-cheap\n"
        );
    }
}
