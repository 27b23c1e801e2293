//! Renaming a resource others use, end to end: `vpc` becomes `main_vpc` in
//! `examples/getting-started` (network + app tier, dev). Everything in the
//! VPC is replaced; the target group keeps its name, so it cannot be made
//! beside the old one, and the listener forwarding to it is replaced with
//! it (it goes first) instead of meeting `ResourceInUse`. Verified through
//! the ELBv2 and EC2 APIs: one VPC, the listener forwards to a live target
//! group in it, and a second plan has no changes.

use forge_e2e::{Emulator, Forge, RunOutput, StackCopy, getting_started_dir};
use serde_json::Value as Json;

const REGION: &str = "us-east-1";

struct World {
    emulator: Emulator,
    forge: Forge,
    stack: StackCopy,
}

impl World {
    fn run(&self, cmd: &str, extra: &[&str]) -> RunOutput {
        let stack = self.stack.arg();
        let mut args = vec![cmd, stack.as_str(), "-e", "dev"];
        args.extend_from_slice(extra);
        self.forge
            .run(self.stack.path(), &args)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// Renames the `vpc` resource to `main_vpc`, and its references.
    fn rename_vpc(&self) {
        self.stack
            .edit("stack.yaml", "\n  vpc:\n", "\n  main_vpc:\n");
        for file in ["stack.yaml", "app.yaml"] {
            let text = self.stack.read(file).unwrap_or_else(|e| panic!("{e}"));
            self.stack
                .write(file, &text.replace("${vpc.", "${main_vpc."))
                .unwrap_or_else(|e| panic!("{e}"));
        }
    }
}

fn action_of(plan: &Json, address: &str) -> String {
    plan["resource_changes"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["address"] == address)
        .and_then(|c| c["action"].as_str())
        .unwrap_or_else(|| panic!("{address} is not in the plan"))
        .to_string()
}

#[tokio::test]
async fn renaming_the_vpc_applies_in_one_go() {
    let emulator = Emulator::start().unwrap_or_else(|e| panic!("{e}"));
    let forge = Forge::new(emulator.env()).unwrap_or_else(|e| panic!("{e}"));
    let stack = StackCopy::of(&getting_started_dir()).unwrap_or_else(|e| panic!("{e}"));
    let w = World {
        emulator,
        forge,
        stack,
    };
    w.run("apply", &["--auto-approve"]).expect_success();

    w.rename_vpc();
    let out = w.run("plan", &["--json"]);
    out.expect_success();
    let plan: Json = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}\n{out}"));
    assert_eq!(action_of(&plan, "vpc"), "delete");
    assert_eq!(action_of(&plan, "main_vpc"), "create");
    assert_eq!(action_of(&plan, "app_tg"), "replace");
    // The target group's name stays: the listener makes way for it.
    assert_eq!(action_of(&plan, "http"), "replace");

    let applied = w.run("apply", &["--auto-approve"]);
    applied.expect_success();
    w.run("plan", &["--detailed-exitcode"]).expect_code(0);

    let config = w.emulator.sdk_config(REGION).await;
    let ec2 = aws_sdk_ec2::Client::new(&config);
    let vpcs = ec2
        .describe_vpcs()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("tag-key")
                .values("forge:stack")
                .build(),
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let vpc_ids: Vec<&str> = vpcs.vpcs().iter().filter_map(|v| v.vpc_id()).collect();
    assert_eq!(vpc_ids.len(), 1, "one VPC after the rename: {vpc_ids:?}");

    let elb = aws_sdk_elasticloadbalancingv2::Client::new(&config);
    let groups = elb
        .describe_target_groups()
        .names("getting-started-dev-app")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let group = &groups.target_groups()[0];
    assert_eq!(
        group.vpc_id(),
        Some(vpc_ids[0]),
        "the group is in the new VPC"
    );
    let lb_arn = group.load_balancer_arns()[0].clone();
    let listeners = elb
        .describe_listeners()
        .load_balancer_arn(&lb_arn)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let forwards: Vec<&str> = listeners
        .listeners()
        .iter()
        .flat_map(|l| l.default_actions())
        .filter_map(|a| a.target_group_arn())
        .collect();
    assert_eq!(forwards, [group.target_group_arn().unwrap_or_default()]);

    w.run("destroy", &["--auto-approve"]).expect_success();
}
