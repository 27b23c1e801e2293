//! Issue 4, end to end: the real `forge` binary applies
//! `examples/getting-started` to the emulator (dev and prod), the result is
//! verified independently through the EC2 API, a second plan has no
//! changes, spec changes (SG rule, tag, subnet CIDR, removed subnet) apply
//! and verify, and destroy leaves nothing tagged with the stack.
//!
//! Real-account capable: with `FORGE_TEST_REAL_AWS=1` (and region
//! us-east-1, which the stack's AZs are written for) the same steps run
//! against AWS, under a stack name unique to the run and with the run tag
//! (docs/testing.md, "Real-account acceptance runs").

use forge_e2e::network::{self, Expected, Observed, Rule};
use forge_e2e::target::RealCapable;
use forge_e2e::{Forge, RunOutput, StackCopy, Target};

const STACK_FILE: &str = "stack.yaml";

/// One test's world: its own target (emulator or account), forge runner
/// and copy of the stack.
struct World {
    target: Target,
    forge: Forge,
    stack: StackCopy,
    env: String,
    /// `--var` arguments of every run.
    vars: &'static [&'static str],
    /// The stack's name in a real run (unique to the run).
    real_name: Option<String>,
}

impl World {
    /// The world of `test` (its entry in `REAL_STACKS`), or `None` when
    /// the test does not run here (dry run, other region; printed).
    fn new(test: &str) -> Option<World> {
        let r = RealCapable::start(test)?;
        Some(World {
            target: r.target,
            forge: r.forge,
            stack: r.stack,
            env: r.spec.env.to_string(),
            vars: r.spec.vars,
            real_name: r.real_name,
        })
    }

    /// What the stack must look like in `env`, under its name here.
    fn expected(&self) -> Expected {
        let exp = Expected::getting_started(&self.env);
        match &self.real_name {
            Some(name) => exp.named(name),
            None => exp,
        }
    }

    /// `forge <cmd> <stack> -e <env> <extra...>`
    fn forge(&self, cmd: &str, extra: &[&str]) -> RunOutput {
        let stack = self.stack.arg();
        let mut args = vec![cmd, stack.as_str(), "-e", self.env.as_str()];
        // The app tier's secret has a placeholder in dev only (app.yaml):
        // prod's REAL_STACKS entry gives one.
        for v in self.vars {
            args.extend_from_slice(&["--var", v]);
        }
        args.extend_from_slice(extra);
        self.forge
            .run(self.stack.path(), &args)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    fn apply(&self) -> RunOutput {
        let out = self.forge("apply", &["--auto-approve"]);
        out.expect_success();
        out
    }

    /// A plan with `--detailed-exitcode` must say "no changes" (exit 0).
    fn assert_no_changes(&self) {
        self.forge("plan", &["--detailed-exitcode"]).expect_code(0);
    }

    async fn verify(&self, exp: &Expected, after: &RunOutput) -> Observed {
        let ec2 = self.target.ec2("us-east-1").await;
        match network::verify(&ec2, exp).await {
            Ok(obs) => obs,
            Err(problems) => panic!(
                "AWS does not hold the expected network:\n  - {}\n\nafter:\n{after}",
                problems.join("\n  - ")
            ),
        }
    }

    async fn assert_nothing_left(&self, after: &RunOutput) {
        let ec2 = self.target.ec2("us-east-1").await;
        let left = network::leftovers_in(&ec2, self.real_name.as_deref())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            left.is_empty(),
            "still tagged forge:stack after destroy: {left:?}\n\nafter:\n{after}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dev_apply_verify_change_and_destroy() {
    let Some(w) = World::new("getting_started::dev_apply_verify_change_and_destroy") else {
        return;
    };
    let mut exp = w.expected();

    // The first plan proposes changes (exit 2 with --detailed-exitcode).
    w.forge("plan", &["--detailed-exitcode"]).expect_code(2);
    let out = w.apply();
    let first = w.verify(&exp, &out).await;
    w.assert_no_changes();

    // In-place changes: a new ingress rule and a changed tag. Ids stay, and
    // the rules that did not change keep their rule ids (rules are diffed
    // one by one, not revoked and re-added).
    w.stack.edit(
        STACK_FILE,
        "      - {ip_protocol: tcp, from_port: 443, to_port: 443, cidr_ipv4: 0.0.0.0/0, description: HTTPS}\n",
        "      - {ip_protocol: tcp, from_port: 443, to_port: 443, cidr_ipv4: 0.0.0.0/0, description: HTTPS}\n      - {ip_protocol: tcp, from_port: 8443, to_port: 8443, cidr_ipv4: 10.0.0.0/8, description: Admin}\n",
    );
    w.stack.edit(
        STACK_FILE,
        "      Name: \"${stack}-${env}\"\n",
        "      Name: \"${stack}-${env}-renamed\"\n",
    );
    exp.alb_rules
        .insert(Rule::ingress_tcp(8443, "cidr:10.0.0.0/8", "Admin"));
    exp.vpc_name = format!("{}-renamed", exp.vpc_name);
    let out = w.apply();
    let second = w.verify(&exp, &out).await;
    assert_eq!(
        second.vpc_id, first.vpc_id,
        "a tag change must not replace the VPC\n{out}"
    );
    assert_eq!(
        second.groups, first.groups,
        "adding a rule must not replace the group\n{out}"
    );
    for (key, id) in &first.rule_ids {
        assert_eq!(
            second.rule_ids.get(key),
            Some(id),
            "unchanged rule {key:?} was revoked and re-added\n{out}"
        );
    }
    w.assert_no_changes();

    // A subnet CIDR change forces replacement of the private subnets.
    w.stack.edit(
        STACK_FILE,
        "cidrsubnet(vars.cidr, 8, 10 + index(vars.azs, each.key))",
        "cidrsubnet(vars.cidr, 8, 20 + index(vars.azs, each.key))",
    );
    exp.private_offset = 20;
    let out = w.apply();
    let third = w.verify(&exp, &out).await;
    for az in &exp.azs {
        let name = format!("private-{az}");
        assert_ne!(
            third.subnets.get(&name),
            second.subnets.get(&name),
            "{name} must be replaced by a new subnet\n{out}"
        );
        let public = format!("public-{az}");
        assert_eq!(
            third.subnets.get(&public),
            second.subnets.get(&public),
            "{public} did not change and must be kept\n{out}"
        );
    }
    assert_eq!(third.vpc_id, first.vpc_id);
    w.assert_no_changes();

    // Removing an AZ removes its subnets and private route table.
    w.stack.edit(
        STACK_FILE,
        "azs: [us-east-1a, us-east-1b, us-east-1c]",
        "azs: [us-east-1a, us-east-1b]",
    );
    exp.azs.pop();
    let out = w.apply();
    let fourth = w.verify(&exp, &out).await;
    assert_eq!(fourth.vpc_id, first.vpc_id);
    assert_eq!(
        fourth.nat_ids, first.nat_ids,
        "the NAT in us-east-1a must stay\n{out}"
    );
    w.assert_no_changes();

    let out = w.forge("destroy", &["--auto-approve"]);
    out.expect_success();
    w.assert_nothing_left(&out).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prod_apply_verify_and_destroy() {
    let Some(w) = World::new("getting_started::prod_apply_verify_and_destroy") else {
        return;
    };
    let exp = w.expected();
    let out = w.apply();
    w.verify(&exp, &out).await;
    w.assert_no_changes();

    let outputs = w.forge("output", &["--json"]);
    outputs.expect_success();
    let json: serde_json::Value = serde_json::from_str(&outputs.stdout)
        .unwrap_or_else(|e| panic!("forge output --json is not JSON ({e})\n{outputs}"));
    let ids = |name: &str| {
        json.get(name)
            .and_then(|v| v.get("value").or(Some(v)))
            .and_then(|v| v.as_array())
            .map(|a| a.len())
    };
    assert_eq!(ids("public_subnet_ids"), Some(3), "{outputs}");
    assert_eq!(ids("private_subnet_ids"), Some(3), "{outputs}");
    assert_eq!(
        ids("nat_public_ips"),
        Some(3),
        "one NAT per AZ in prod\n{outputs}"
    );

    let out = w.forge("destroy", &["--auto-approve"]);
    out.expect_success();
    w.assert_nothing_left(&out).await;
}
