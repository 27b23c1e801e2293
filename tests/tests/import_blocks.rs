//! `import:` blocks, `forge plan --generate-spec`, `moved:` and `removed:`
//! blocks, end to end: objects of nine kinds are made with the AWS SDK
//! (as another tool would have), taken over by a stack whose resources are
//! written by `--generate-spec` from the live objects (one imported into a
//! hand-written `for_each` instance), applied without creating anything,
//! and then planned with no changes. A `moved` block renames one and a
//! `removed` block lets go of another: each is shown in the plan, and the
//! objects are checked through the SDK, not through forge's state.

// Test code: a failed call should stop the test with its error.
#![allow(clippy::unwrap_used)]

use forge_e2e::{Emulator, Forge, RunOutput, StackCopy};

const REGION: &str = "us-east-1";

struct World {
    emulator: Emulator,
    forge: Forge,
}

impl World {
    fn new() -> World {
        let emulator = Emulator::start().unwrap_or_else(|e| panic!("{e}"));
        let forge = Forge::new(emulator.env()).unwrap_or_else(|e| panic!("{e}"));
        World { emulator, forge }
    }

    fn run(&self, stack: &StackCopy, args: &[&str]) -> RunOutput {
        self.forge
            .run(stack.path(), args)
            .unwrap_or_else(|e| panic!("{e}"))
    }
}

/// The ids of what the SDK made.
struct Estate {
    vpc: String,
    subnet: String,
    sg: String,
    route_table: String,
    bucket: String,
    key: String,
    role: String,
    log_group: String,
    cluster: String,
}

const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

async fn build_estate(emu: &Emulator) -> Estate {
    let cfg = emu.sdk_config(REGION).await;
    let ec2 = aws_sdk_ec2::Client::new(&cfg);
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.42.0.0/16")
        .send()
        .await
        .unwrap()
        .vpc
        .unwrap()
        .vpc_id
        .unwrap();
    let subnet = ec2
        .create_subnet()
        .vpc_id(&vpc)
        .cidr_block("10.42.1.0/24")
        .availability_zone("us-east-1a")
        .send()
        .await
        .unwrap()
        .subnet
        .unwrap()
        .subnet_id
        .unwrap();
    let sg = ec2
        .create_security_group()
        .group_name("imported-web")
        .description("web servers")
        .vpc_id(&vpc)
        .send()
        .await
        .unwrap()
        .group_id
        .unwrap();
    let route_table = ec2
        .create_route_table()
        .vpc_id(&vpc)
        .send()
        .await
        .unwrap()
        .route_table
        .unwrap()
        .route_table_id
        .unwrap();
    let s3 = emu.s3(REGION).await;
    let bucket = "imported-assets-bucket".to_string();
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let kms = aws_sdk_kms::Client::new(&cfg);
    // AWS reports a key's usage and spec whether or not they were given;
    // the emulator only echoes what the create named, so name them.
    let key = kms
        .create_key()
        .description("imported data key")
        .key_usage(aws_sdk_kms::types::KeyUsageType::EncryptDecrypt)
        .key_spec(aws_sdk_kms::types::KeySpec::SymmetricDefault)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .key_id;
    let iam = aws_sdk_iam::Client::new(&cfg);
    let role = "imported-task".to_string();
    iam.create_role()
        .role_name(&role)
        .assume_role_policy_document(TRUST)
        .description("task role")
        .send()
        .await
        .unwrap();
    let logs = aws_sdk_cloudwatchlogs::Client::new(&cfg);
    let log_group = "/imported/app".to_string();
    logs.create_log_group()
        .log_group_name(&log_group)
        .send()
        .await
        .unwrap();
    logs.put_retention_policy()
        .log_group_name(&log_group)
        .retention_in_days(14)
        .send()
        .await
        .unwrap();
    let ecs = aws_sdk_ecs::Client::new(&cfg);
    let cluster = ecs
        .create_cluster()
        .cluster_name("imported")
        .send()
        .await
        .unwrap()
        .cluster
        .unwrap()
        .cluster_arn
        .unwrap();
    Estate {
        vpc,
        subnet,
        sg,
        route_table,
        bucket,
        key,
        role,
        log_group,
        cluster,
    }
}

/// The stack: import blocks only, but for the subnets (declared by hand
/// with `for_each`, imported into one instance).
fn stack_file(e: &Estate) -> String {
    format!(
        r#"stack: adopted
region: {REGION}
vars:
  vpc_id: {vpc}
import:
  - to: vpc
    id: ${{vars.vpc_id}}
    kind: aws.ec2.vpc
  - to: 'subnets["a"]'
    id: {subnet}
  - to: web
    id: {sg}
    kind: aws.ec2.security_group
  - to: routes
    id: {rt}
    kind: aws.ec2.route_table
  - to: assets
    id: {bucket}
    kind: aws.s3.bucket
  - to: data_key
    id: {key}
    kind: aws.kms.key
  - to: task_role
    id: {role}
    kind: aws.iam.role
  - to: app_logs
    id: {logs}
    kind: aws.logs.log_group
  - to: cluster
    id: {cluster}
    kind: aws.ecs.cluster
resources:
  subnets:
    type: aws.ec2.subnet
    for_each:
      a: 10.42.1.0/24
    vpc_id: ${{vars.vpc_id}}
    cidr_block: ${{each.value}}
    availability_zone: us-east-1a
"#,
        vpc = e.vpc,
        subnet = e.subnet,
        sg = e.sg,
        rt = e.route_table,
        bucket = e.bucket,
        key = e.key,
        role = e.role,
        logs = e.log_group,
        cluster = e.cluster,
    )
}

fn state_list(w: &World, stack: &StackCopy) -> Vec<String> {
    let out = w.run(stack, &["state", "list", "."]);
    out.expect_success();
    out.stdout.lines().map(str::to_string).collect()
}

#[tokio::test]
async fn import_blocks_generate_spec_moved_and_removed() {
    let w = World::new();
    let estate = build_estate(&w.emulator).await;
    let stack = StackCopy::empty().unwrap();
    stack.write("main.yaml", &stack_file(&estate)).unwrap();

    // Without the resources the plan refuses, naming the block.
    let refused = w.run(&stack, &["plan", "."]);
    refused.expect_code(1);
    assert!(
        refused
            .stderr
            .contains("main.yaml:6:7: import block: vpc is not declared in the spec"),
        "{refused}"
    );

    // --generate-spec writes the eight undeclared resources.
    let generated = w.run(&stack, &["plan", ".", "--generate-spec", "generated.yaml"]);
    generated.expect_success();
    let spec = stack.read("generated.yaml").unwrap();
    for kind in [
        "aws.ec2.vpc",
        "aws.ec2.security_group",
        "aws.ec2.route_table",
        "aws.s3.bucket",
        "aws.kms.key",
        "aws.iam.role",
        "aws.logs.log_group",
        "aws.ecs.cluster",
    ] {
        assert!(spec.contains(&format!("type: {kind}")), "{kind}\n{spec}");
    }
    // Wired to the VPC by reference, not by its id; no computed field.
    assert!(spec.contains("vpc_id: ${vpc.id}"), "{spec}");
    assert!(!spec.contains(&estate.vpc), "{spec}");
    assert!(!spec.contains("arn: "), "{spec}");
    assert!(spec.contains("retention_in_days: 14"), "{spec}");
    // Writing over an existing file is refused.
    w.run(&stack, &["plan", ".", "--generate-spec", "generated.yaml"])
        .expect_code(1);

    // With the file in the stack: nine imports and nothing else.
    let plan = w.run(&stack, &["plan", ".", "--detailed-exitcode"]);
    plan.expect_code(2);
    assert_eq!(plan.stdout.matches("will be imported").count(), 9, "{plan}");
    assert!(
        plan.stdout
            .contains("Plan: 9 to import, 0 to add, 0 to change, 0 to destroy."),
        "{plan}"
    );
    // A saved plan carries the imports and applies exactly them.
    w.run(&stack, &["plan", ".", "-out", "import.plan"])
        .expect_success();
    let applied = w.run(&stack, &["apply", "import.plan"]);
    applied.expect_success();
    w.run(&stack, &["plan", ".", "--detailed-exitcode"])
        .expect_code(0);
    let listed = state_list(&w, &stack);
    assert_eq!(listed.len(), 9, "{listed:?}");
    assert!(listed.contains(&"subnets[\"a\"]".to_string()), "{listed:?}");

    // Nothing was created: one VPC of that CIDR, the same one.
    let cfg = w.emulator.sdk_config(REGION).await;
    let ec2 = aws_sdk_ec2::Client::new(&cfg);
    let vpcs = ec2.describe_vpcs().send().await.unwrap();
    let ours: Vec<_> = vpcs
        .vpcs()
        .iter()
        .filter(|v| v.cidr_block() == Some("10.42.0.0/16"))
        .collect();
    assert_eq!(ours.len(), 1);
    assert_eq!(ours[0].vpc_id(), Some(estate.vpc.as_str()));

    // moved: `app_logs` becomes `logs`.
    let spec = stack.read("generated.yaml").unwrap();
    stack
        .write(
            "generated.yaml",
            &spec.replace("  app_logs:\n", "  logs:\n"),
        )
        .unwrap();
    let main = stack.read("main.yaml").unwrap();
    stack
        .write(
            "main.yaml",
            &format!(
                "{}moved:\n  - from: app_logs\n    to: logs\n",
                main.replace("  - to: app_logs\n", "  - to: logs\n")
            ),
        )
        .unwrap();
    let plan = w.run(&stack, &["plan", ".", "--detailed-exitcode"]);
    plan.expect_code(2);
    assert!(
        plan.stdout.contains("# app_logs has moved to logs"),
        "{plan}"
    );
    assert!(!plan.stdout.contains("destroyed"), "{plan}");
    w.run(&stack, &["apply", ".", "--auto-approve"])
        .expect_success();
    let listed = state_list(&w, &stack);
    assert!(listed.contains(&"logs".to_string()), "{listed:?}");
    assert!(!listed.contains(&"app_logs".to_string()), "{listed:?}");
    let logs = aws_sdk_cloudwatchlogs::Client::new(&cfg);
    let groups = logs
        .describe_log_groups()
        .log_group_name_prefix(&estate.log_group)
        .send()
        .await
        .unwrap();
    assert_eq!(groups.log_groups().len(), 1);
    w.run(&stack, &["plan", ".", "--detailed-exitcode"])
        .expect_code(0);

    // removed: forget the cluster, leave it running.
    let spec = stack.read("generated.yaml").unwrap();
    let without: String = remove_resource(&spec, "cluster");
    stack.write("generated.yaml", &without).unwrap();
    // Its import block goes too (it has done its work).
    let main = stack.read("main.yaml").unwrap().replace(
        &format!(
            "  - to: cluster\n    id: {}\n    kind: aws.ecs.cluster\n",
            estate.cluster
        ),
        "",
    );
    stack
        .write(
            "main.yaml",
            &format!("{main}removed:\n  - from: cluster\n    lifecycle:\n      destroy: false\n"),
        )
        .unwrap();
    let plan = w.run(&stack, &["plan", ".", "--detailed-exitcode"]);
    plan.expect_code(2);
    assert!(
        plan.stdout
            .contains("# cluster will no longer be managed by forge"),
        "{plan}"
    );
    assert!(plan.stdout.contains("0 to destroy, 1 to forget."), "{plan}");
    w.run(&stack, &["apply", ".", "--auto-approve"])
        .expect_success();
    assert!(!state_list(&w, &stack).contains(&"cluster".to_string()));
    let ecs = aws_sdk_ecs::Client::new(&cfg);
    let clusters = ecs
        .describe_clusters()
        .clusters(&estate.cluster)
        .send()
        .await
        .unwrap();
    assert_eq!(clusters.clusters()[0].status(), Some("ACTIVE"));
    w.run(&stack, &["plan", ".", "--detailed-exitcode"])
        .expect_code(0);
}

/// `spec` without the resource `name` (a key of `resources:`).
fn remove_resource(spec: &str, name: &str) -> String {
    let mut out = String::new();
    let mut skipping = false;
    for line in spec.lines() {
        if line.starts_with("  ") && !line.starts_with("   ") {
            skipping = line == format!("  {name}:");
        }
        if !skipping {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

#[tokio::test]
async fn an_import_of_an_id_that_does_not_exist_is_refused_at_its_block() {
    let w = World::new();
    let stack = StackCopy::empty().unwrap();
    stack
        .write(
            "main.yaml",
            &format!(
                "stack: missing\nregion: {REGION}\nresources:\n  net:\n    type: aws.ec2.vpc\n    cidr_block: 10.9.0.0/16\nimport:\n  - to: net\n    id: vpc-0000000000dead\n"
            ),
        )
        .unwrap();
    let out = w.run(&stack, &["plan", "."]);
    out.expect_code(1);
    assert!(
        out.stderr.contains(
            "main.yaml:8:7: import block: no aws.ec2.vpc with id `vpc-0000000000dead` in us-east-1"
        ),
        "{out}"
    );
    let out = w.run(&stack, &["apply", ".", "--auto-approve"]);
    out.expect_code(1);
    // Nothing written: no state, no VPC.
    assert!(
        !stack.path().join(".forge").join("state").exists() || state_list(&w, &stack).is_empty()
    );
    let ec2 = aws_sdk_ec2::Client::new(&w.emulator.sdk_config(REGION).await);
    let vpcs = ec2.describe_vpcs().send().await.unwrap();
    assert!(
        !vpcs
            .vpcs()
            .iter()
            .any(|v| v.cidr_block() == Some("10.9.0.0/16"))
    );
}
