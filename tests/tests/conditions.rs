//! Custom conditions end to end against the emulator: a postcondition
//! that fails after a create (it reads the new VPC's id, unknown until
//! then) fails the apply, keeps the VPC in state exactly as created,
//! skips the subnet that depends on it, and fails the next plan; once the
//! condition is fixed, the apply goes on with the same VPC. Verified
//! through the EC2 API.

use forge_e2e::{Emulator, Forge, RunOutput, StackCopy};

const REGION: &str = "us-east-1";

const SPEC: &str = r#"stack: cond
region: us-east-1
resources:
  vpc:
    type: aws.ec2.vpc
    cidr_block: 10.77.0.0/16
    lifecycle:
      postcondition:
        condition: "${startswith(self.id, \"subnet-\")}"
        error_message: "${self.id} is not a subnet"
  subnet:
    type: aws.ec2.subnet
    vpc_id: "${vpc.id}"
    cidr_block: 10.77.1.0/24
"#;

/// Runs forge in the stack's folder (the stack argument defaults to `.`).
fn run(forge: &Forge, stack: &StackCopy, args: &[&str]) -> RunOutput {
    forge
        .run(stack.path(), args)
        .unwrap_or_else(|e| panic!("{e}"))
}

/// The VPCs with our CIDR, and the subnets in them.
async fn cloud(emulator: &Emulator) -> (Vec<String>, usize) {
    let ec2 = emulator.ec2(REGION).await;
    let vpcs: Vec<String> = ec2
        .describe_vpcs()
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"))
        .vpcs()
        .iter()
        .filter(|v| v.cidr_block() == Some("10.77.0.0/16"))
        .filter_map(|v| v.vpc_id().map(str::to_string))
        .collect();
    let subnets = ec2
        .describe_subnets()
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"))
        .subnets()
        .iter()
        .filter(|s| s.vpc_id().is_some_and(|v| vpcs.iter().any(|x| x == v)))
        .count();
    (vpcs, subnets)
}

#[tokio::test]
async fn a_failed_postcondition_keeps_the_created_object_and_stops_its_dependents() {
    let emulator = Emulator::start().unwrap_or_else(|e| panic!("{e}"));
    let forge = Forge::new(emulator.env()).unwrap_or_else(|e| panic!("{e}"));
    let stack = StackCopy::empty().unwrap_or_else(|e| panic!("{e}"));
    stack
        .write("main.yaml", SPEC)
        .unwrap_or_else(|e| panic!("{e}"));

    let applied = run(&forge, &stack, &["apply", "--auto-approve"]);
    applied.expect_code(1);
    assert!(
        applied.stderr.contains("postcondition of vpc failed: vpc-")
            || applied.stdout.contains("postcondition of vpc failed: vpc-"),
        "{applied}"
    );
    let (vpcs, subnets) = cloud(&emulator).await;
    assert_eq!(vpcs.len(), 1, "one VPC made");
    assert_eq!(subnets, 0, "the subnet depends on the failed VPC");

    // The state holds exactly the VPC that exists.
    let list = run(&forge, &stack, &["state", "list"]);
    list.expect_success();
    assert_eq!(list.stdout.trim(), "vpc", "{list}");
    let show = run(&forge, &stack, &["state", "show", "vpc"]);
    show.expect_success();
    assert!(show.stdout.contains(&vpcs[0]), "{show}");

    // Known now: the next plan fails on the same condition, changing nothing.
    let plan = run(&forge, &stack, &["plan"]);
    plan.expect_code(1);
    assert!(
        format!("{plan}").contains("postcondition of vpc failed"),
        "{plan}"
    );

    // Fixed: the apply goes on with the same VPC.
    stack.edit("main.yaml", r#"\"subnet-\""#, r#"\"vpc-\""#);
    run(&forge, &stack, &["apply", "--auto-approve"]).expect_success();
    let (after, subnets) = cloud(&emulator).await;
    assert_eq!(after, vpcs, "the VPC was kept, not replaced");
    assert_eq!(subnets, 1);
    run(&forge, &stack, &["plan", "--detailed-exitcode"]).expect_code(0);
}
