//! The `forge.stack_outputs` data source end to end: a network stack with
//! its state in S3 is applied, then an app stack reads its outputs (by
//! `stack:`, and by naming the S3 state directly) and puts a subnet in
//! its VPC, verified through the SDK. Before the network is applied the
//! app's plan fails at the data source naming the state's location, and
//! a reference to an output the network does not have fails at the
//! reference with a did-you-mean.

use forge_e2e::{Emulator, Forge, RunOutput, StackCopy, network};

const REGION: &str = "us-east-1";

const NETWORK: &str = r#"stack: outputs-network
region: us-east-1
state:
  backend: s3
  bucket: outputs-state
  key: "${stack}/${env}.json"
  region: us-east-1
environments:
  dev: {}
default_environment: dev
resources:
  vpc:
    type: aws.ec2.vpc
    cidr_block: 10.61.0.0/16
    tags: {Name: outputs-network}
outputs:
  vpc_id: "${vpc.id}"
  cidr: 10.61.0.0/16
  secret_note:
    value: not-for-eyes
    sensitive: true
"#;

const APP: &str = r#"stack: outputs-app
region: us-east-1
environments:
  dev: {}
default_environment: dev
data:
  net:
    type: forge.stack_outputs
    stack: ../network
  same:
    type: forge.stack_outputs
    state: {backend: s3, bucket: outputs-state, key: outputs-network/dev.json, region: us-east-1}
resources:
  subnet:
    type: aws.ec2.subnet
    vpc_id: "${data.net.outputs.vpc_id}"
    cidr_block: "${cidrsubnet(data.same.outputs.cidr, 8, 2)}"
    availability_zone: us-east-1a
    tags: {Name: outputs-app}
outputs:
  note: "${data.net.outputs.secret_note}"
"#;

fn run(forge: &Forge, tree: &StackCopy, args: &[&str]) -> RunOutput {
    forge
        .run(tree.path(), args)
        .unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn a_stack_reads_another_stacks_outputs_from_its_s3_state() {
    let emulator = Emulator::start().unwrap_or_else(|e| panic!("{e}"));
    let forge = Forge::new(emulator.env()).unwrap_or_else(|e| panic!("{e}"));
    let tree = StackCopy::empty().unwrap_or_else(|e| panic!("{e}"));
    std::fs::create_dir(tree.path().join(".git")).unwrap_or_else(|e| panic!("{e}"));
    for (file, text) in [("network/main.yaml", NETWORK), ("app/main.yaml", APP)] {
        std::fs::create_dir_all(tree.path().join(file).parent().unwrap_or(tree.path()))
            .unwrap_or_else(|e| panic!("{e}"));
        tree.write(file, text).unwrap_or_else(|e| panic!("{e}"));
    }
    // A plain bucket: a bootstrapped one refuses the emulator's plain HTTP.
    emulator
        .s3(REGION)
        .await
        .create_bucket()
        .bucket("outputs-state")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));

    // Not applied yet: an error at each data source, naming the state.
    let out = run(&forge, &tree, &["plan", "app"]);
    out.expect_code(1);
    assert!(
        out.stderr.contains(
            "error: data.net: forge.stack_outputs: there is no applied state at s3://outputs-state/outputs-network/dev.json\n  --> app/main.yaml:7:3\n   = hint: apply that stack first (`forge apply network -e dev`)"
        ),
        "{out}"
    );
    assert!(
        out.stderr
            .contains("data.same: forge.stack_outputs: there is no applied state"),
        "{out}"
    );
    assert!(out.stderr.contains("--> app/main.yaml:10:3"), "{out}");

    run(&forge, &tree, &["apply", "network", "--auto-approve"]).expect_success();
    let ec2 = emulator.ec2(REGION).await;
    let vpc = network::vpc_named(&ec2, "outputs-network")
        .await
        .unwrap_or_else(|| panic!("no network VPC"));

    // The plan shows the reads; the sensitive output stays masked.
    let out = run(&forge, &tree, &["plan", "app"]);
    out.expect_success();
    assert!(
        out.stdout
            .contains("<= read data.net (forge.stack_outputs)"),
        "{out}"
    );
    assert!(out.stdout.contains(&vpc), "{out}");
    assert!(!out.stdout.contains("not-for-eyes"), "{out}");

    run(&forge, &tree, &["apply", "app", "--auto-approve"]).expect_success();
    let subnet = network::subnet_named(&ec2, "outputs-app")
        .await
        .unwrap_or_else(|| panic!("no app subnet"));
    assert_eq!(subnet.vpc_id(), Some(vpc.as_str()));
    assert_eq!(subnet.cidr_block(), Some("10.61.2.0/24"));
    let out = run(&forge, &tree, &["plan", "app", "--detailed-exitcode"]);
    assert_eq!(out.code(), Some(0), "{out}");

    // An output the network does not have: at the reference.
    tree.write(
        "app/main.yaml",
        &APP.replace("outputs.vpc_id", "outputs.vpc_idd"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let out = run(&forge, &tree, &["plan", "app"]);
    out.expect_code(1);
    assert!(
        out.stderr
            .contains("error: data.net has no output `vpc_idd`\n  --> app/main.yaml:16:13"),
        "{out}"
    );
    assert!(
        out.stderr.contains(
            "hint: did you mean `vpc_id`? (data.net.outputs has: cidr, secret_note, vpc_id)"
        ),
        "{out}"
    );
}
