//! Issue 4, end to end: the real `forge` binary applies
//! `examples/getting-started` to the emulator (dev and prod), the result is
//! verified independently through the EC2 API, a second plan has no
//! changes, spec changes (SG rule, tag, subnet CIDR, removed subnet) apply
//! and verify, and destroy leaves nothing tagged with the stack.

use forge_e2e::network::{self, Expected, Observed, Rule};
use forge_e2e::{Emulator, Forge, RunOutput, StackCopy, getting_started_dir};

const STACK_FILE: &str = "stack.yaml";

/// One test's world: its own emulator, forge runner and copy of the stack.
struct World {
    emulator: Emulator,
    forge: Forge,
    stack: StackCopy,
    env: String,
}

impl World {
    fn new(env: &str) -> World {
        let emulator = Emulator::start().unwrap_or_else(|e| panic!("{e}"));
        let forge = Forge::new(emulator.env()).unwrap_or_else(|e| panic!("{e}"));
        let stack = StackCopy::of(&getting_started_dir()).unwrap_or_else(|e| panic!("{e}"));
        World {
            emulator,
            forge,
            stack,
            env: env.to_string(),
        }
    }

    /// `forge <cmd> <stack> -e <env> <extra...>`
    fn forge(&self, cmd: &str, extra: &[&str]) -> RunOutput {
        let stack = self.stack.arg();
        let mut args = vec![cmd, stack.as_str(), "-e", self.env.as_str()];
        // The app tier's secret has a placeholder in dev only (app.yaml).
        if self.env != "dev" {
            args.extend_from_slice(&["--var", "app_secret=e2e-not-a-secret"]);
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
        let ec2 = self.emulator.ec2("us-east-1").await;
        match network::verify(&ec2, exp).await {
            Ok(obs) => obs,
            Err(problems) => panic!(
                "the emulator does not hold the expected network:\n  - {}\n\nafter:\n{after}",
                problems.join("\n  - ")
            ),
        }
    }

    async fn assert_nothing_left(&self, after: &RunOutput) {
        let ec2 = self.emulator.ec2("us-east-1").await;
        let left = network::leftovers(&ec2)
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
    let w = World::new("dev");
    let mut exp = Expected::getting_started("dev");

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
    exp.vpc_name = "getting-started-dev-renamed".into();
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
    let w = World::new("prod");
    let exp = Expected::getting_started("prod");
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
