//! Data sources end to end against the emulator: objects made with the
//! SDK (a VPC tagged Name=shared and its subnets, SSM parameters, a
//! secret, a KMS alias, an ECS cluster) are read by `data:` lookups that feed resources;
//! the plan lists the reads and hides the SecureString; the apply makes
//! the resources from what was read, verified through the SDK; lookups of
//! one type share their calls (the emulator's request counters); and a
//! lookup that finds nothing, or too much, fails the plan at its
//! declaration's position, changing nothing.

use forge_e2e::realtime::{counters, requests_where, reset_counters};
use forge_e2e::{Emulator, Forge, RunOutput, StackCopy};

const REGION: &str = "us-east-1";

const SPEC: &str = r#"stack: lookups
region: us-east-1
data:
  me:
    type: aws.sts.caller_identity
  azs:
    type: aws.ec2.availability_zones
    state: available
  shared:
    type: aws.ec2.vpc
    tags: {Name: shared}
  shared_again:
    type: aws.ec2.vpc
    tags: {Name: shared}
    default: false
  by_cidr:
    type: aws.ec2.vpc
    filters: [{name: cidr-block, values: [10.88.0.0/16]}]
  app_subnets:
    type: aws.ec2.subnets
    vpc_id: "${data.shared.id}"
    tags: {tier: app}
  app_name:
    type: aws.ssm.parameter
    name: /lookups/name
  password:
    type: aws.ssm.parameter
    name: /lookups/db/password
  api:
    type: aws.secretsmanager.secret_version
    secret_id: lookups/api
  key:
    type: aws.kms.alias
    name: alias/lookups
  cluster:
    type: aws.ecs.cluster
    cluster_name: lookups-cluster
  trust:
    type: aws.iam.policy_document
    statements:
      - actions: [sts:AssumeRole]
        principals: [{type: Service, identifiers: [ecs-tasks.amazonaws.com]}]
        conditions:
          - {test: StringEquals, variable: "aws:SourceAccount", values: ["${data.me.account_id}"]}
resources:
  sg:
    type: aws.ec2.security_group
    vpc_id: "${data.shared_again.id}"
    group_name: "${data.app_name.value}-${data.me.account_id}"
    description: "first zone ${data.azs.names[0]}, ${length(data.app_subnets.ids)} app subnets"
  subnet:
    type: aws.ec2.subnet
    vpc_id: "${data.by_cidr.id}"
    cidr_block: 10.88.9.0/24
    availability_zone: "${data.azs.names[1]}"
  copy:
    type: aws.ssm.parameter
    name: /lookups/copy
    parameter_type: SecureString
    value: "${data.password.value}:${data.api.secret_string}"
    key_id: "${data.key.target_key_id}"
  cluster_ref:
    type: aws.ssm.parameter
    name: /lookups/cluster
    value: "${data.cluster.arn}"
  role:
    type: aws.iam.role
    role_name: lookups-task
    assume_role_policy: "${data.trust.json}"
outputs:
  app_subnets:
    value: "${data.app_subnets.ids}"
"#;

/// Runs forge in the stack's folder.
fn run(forge: &Forge, stack: &StackCopy, args: &[&str]) -> RunOutput {
    forge
        .run(stack.path(), args)
        .unwrap_or_else(|e| panic!("{e}"))
}

/// What the SDK made for the lookups to find: (VPC id, app subnet ids).
async fn seed(emulator: &Emulator) -> (String, Vec<String>) {
    let config = emulator.sdk_config(REGION).await;
    let ec2 = emulator.ec2(REGION).await;
    let tag = |k: &str, v: &str| aws_sdk_ec2::types::Tag::builder().key(k).value(v).build();
    let tags = |kind, pairs: &[(&str, &str)]| {
        aws_sdk_ec2::types::TagSpecification::builder()
            .resource_type(kind)
            .set_tags(Some(pairs.iter().map(|(k, v)| tag(k, v)).collect()))
            .build()
    };
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.88.0.0/16")
        .tag_specifications(tags(
            aws_sdk_ec2::types::ResourceType::Vpc,
            &[("Name", "shared")],
        ))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let vpc_id = vpc
        .vpc()
        .and_then(|v| v.vpc_id())
        .unwrap_or_default()
        .to_string();
    let mut subnets = Vec::new();
    for (i, tier) in [(1, "app"), (2, "app"), (3, "db")] {
        let s = ec2
            .create_subnet()
            .vpc_id(&vpc_id)
            .cidr_block(format!("10.88.{i}.0/24"))
            .tag_specifications(tags(
                aws_sdk_ec2::types::ResourceType::Subnet,
                &[("tier", tier)],
            ))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
        if tier == "app" {
            subnets.push(
                s.subnet()
                    .and_then(|s| s.subnet_id())
                    .unwrap_or_default()
                    .to_string(),
            );
        }
    }
    subnets.sort();
    let ssm = aws_sdk_ssm::Client::new(&config);
    for (name, value, kind) in [
        (
            "/lookups/name",
            "demo",
            aws_sdk_ssm::types::ParameterType::String,
        ),
        (
            "/lookups/db/password",
            "pw-s3cret",
            aws_sdk_ssm::types::ParameterType::SecureString,
        ),
    ] {
        ssm.put_parameter()
            .name(name)
            .value(value)
            .r#type(kind)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
    }
    aws_sdk_secretsmanager::Client::new(&config)
        .create_secret()
        .name("lookups/api")
        .secret_string("api-token")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let kms = aws_sdk_kms::Client::new(&config);
    let key = kms
        .create_key()
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let key_id = key
        .key_metadata()
        .map(|k| k.key_id().to_string())
        .unwrap_or_default();
    kms.create_alias()
        .alias_name("alias/lookups")
        .target_key_id(&key_id)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    aws_sdk_ecs::Client::new(&config)
        .create_cluster()
        .cluster_name("lookups-cluster")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    (vpc_id, subnets)
}

#[tokio::test]
async fn lookups_feed_resources_and_share_their_calls() {
    forge_e2e::require_emulator!("counts requests with the harness's counters");
    let emulator = Emulator::start().unwrap_or_else(|e| panic!("{e}"));
    let forge = Forge::new(emulator.env()).unwrap_or_else(|e| panic!("{e}"));
    let stack = StackCopy::empty().unwrap_or_else(|e| panic!("{e}"));
    stack
        .write("main.yaml", SPEC)
        .unwrap_or_else(|e| panic!("{e}"));
    let (vpc_id, app_subnets) = seed(&emulator).await;

    reset_counters(&emulator);
    let plan = run(&forge, &stack, &["plan"]);
    plan.expect_success();
    let counted = counters(&emulator);
    let calls = |action: &str| requests_where(&counted, |k| k.ends_with(action));
    // Three VPC lookups: the two by tags share one DescribeVpcs, the one
    // with filters makes its own.
    assert_eq!(calls(":DescribeVpcs"), 2, "{counted:#}");
    assert_eq!(calls(":DescribeAvailabilityZones"), 1, "{counted:#}");
    assert_eq!(calls(":DescribeSubnets"), 1, "{counted:#}");
    // Both parameters in one GetParameters.
    assert_eq!(calls(":GetParameters"), 1, "{counted:#}");
    assert_eq!(calls(":GetCallerIdentity"), 1, "{counted:#}");
    assert_eq!(calls(":ListAliases"), 1, "{counted:#}");
    assert_eq!(calls(":DescribeClusters"), 1, "{counted:#}");
    assert!(
        plan.stdout
            .contains(&format!("<= read data.shared (aws.ec2.vpc) [id={vpc_id}]")),
        "{plan}"
    );
    assert!(plan.stdout.contains("<= read data.azs"), "{plan}");
    assert!(
        !plan.stdout.contains("pw-s3cret"),
        "a SecureString shows: {plan}"
    );
    assert!(!plan.stdout.contains("api-token"), "a secret shows: {plan}");

    let json = run(&forge, &stack, &["plan", "--json"]);
    json.expect_success();
    let parsed: serde_json::Value =
        serde_json::from_str(&json.stdout).unwrap_or_else(|e| panic!("{e}: {json}"));
    let reads = parsed["data_sources"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(reads.len(), 12, "{parsed:#}");
    let password = reads
        .iter()
        .find(|d| d["address"] == "data.password")
        .unwrap_or_else(|| panic!("{parsed:#}"));
    assert_eq!(password["values"]["value"], "(sensitive)", "{password:#}");
    assert_eq!(password["read_during"], "plan");

    run(&forge, &stack, &["apply", "--auto-approve"]).expect_success();

    // What the apply made, through the SDK.
    let config = emulator.sdk_config(REGION).await;
    let ec2 = emulator.ec2(REGION).await;
    let groups = ec2
        .describe_security_groups()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("group-name")
                .values("demo-123456789012")
                .build(),
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let group = groups
        .security_groups()
        .first()
        .unwrap_or_else(|| panic!("no group named from the lookups"));
    assert_eq!(group.vpc_id(), Some(vpc_id.as_str()));
    assert_eq!(
        group.description(),
        Some("first zone us-east-1a, 2 app subnets")
    );
    let subnet = ec2
        .describe_subnets()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("cidr-block")
                .values("10.88.9.0/24")
                .build(),
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let subnet = subnet
        .subnets()
        .first()
        .unwrap_or_else(|| panic!("no subnet"));
    assert_eq!(subnet.vpc_id(), Some(vpc_id.as_str()));
    assert_eq!(subnet.availability_zone(), Some("us-east-1b"));
    let copy = aws_sdk_ssm::Client::new(&config)
        .get_parameter()
        .name("/lookups/copy")
        .with_decryption(true)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(
        copy.parameter().and_then(|p| p.value()),
        Some("pw-s3cret:api-token")
    );
    let cluster_ref = aws_sdk_ssm::Client::new(&config)
        .get_parameter()
        .name("/lookups/cluster")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(
        cluster_ref.parameter().and_then(|p| p.value()),
        Some("arn:aws:ecs:us-east-1:123456789012:cluster/lookups-cluster")
    );
    let role = aws_sdk_iam::Client::new(&config)
        .get_role()
        .role_name("lookups-task")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let trust = role
        .role()
        .and_then(|r| r.assume_role_policy_document())
        .map(forge_aws::iam::policy::percent_decode)
        .unwrap_or_default();
    let trust: serde_json::Value =
        serde_json::from_str(&trust).unwrap_or_else(|e| panic!("{e}: {trust}"));
    assert_eq!(
        trust["Statement"][0]["Condition"]["StringEquals"]["aws:SourceAccount"],
        "123456789012"
    );
    assert_eq!(
        trust["Statement"][0]["Principal"]["Service"],
        "ecs-tasks.amazonaws.com"
    );
    let outputs = run(&forge, &stack, &["output", "--json"]);
    outputs.expect_success();
    for id in &app_subnets {
        assert!(outputs.stdout.contains(id.as_str()), "{outputs}");
    }

    // Nothing read is a resource of the state, and a second plan is quiet.
    let listed = run(&forge, &stack, &["state", "list"]);
    assert!(!listed.stdout.contains("data."), "{listed}");
    let again = run(&forge, &stack, &["plan", "--detailed-exitcode"]);
    again.expect_code(0);
}

/// The plan's error text with the temporary folder taken out.
fn normalized(out: &RunOutput, stack: &StackCopy) -> String {
    out.stderr.replace(&stack.arg(), "<stack>")
}

#[tokio::test]
async fn a_lookup_that_finds_nothing_or_too_much_fails_at_its_declaration() {
    let emulator = Emulator::start().unwrap_or_else(|e| panic!("{e}"));
    let forge = Forge::new(emulator.env()).unwrap_or_else(|e| panic!("{e}"));
    let stack = StackCopy::empty().unwrap_or_else(|e| panic!("{e}"));
    let ec2 = emulator.ec2(REGION).await;
    for cidr in ["10.61.0.0/16", "10.62.0.0/16"] {
        ec2.create_vpc()
            .cidr_block(cidr)
            .tag_specifications(
                aws_sdk_ec2::types::TagSpecification::builder()
                    .resource_type(aws_sdk_ec2::types::ResourceType::Vpc)
                    .tags(
                        aws_sdk_ec2::types::Tag::builder()
                            .key("team")
                            .value("twins")
                            .build(),
                    )
                    .build(),
            )
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
    }
    stack
        .write(
            "main.yaml",
            r#"stack: missing
region: us-east-1
data:
  nowhere:
    type: aws.ec2.vpc
    tags: {Name: nowhere}
  twins:
    type: aws.ec2.vpc
    tags: {team: twins}
  secret:
    type: aws.ssm.parameter
    name: /not/there
resources:
  sg:
    type: aws.ec2.security_group
    vpc_id: "${data.nowhere.id}"
    group_name: never
    description: never made
"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let plan = run(&forge, &stack, &["plan"]);
    plan.expect_code(1);
    insta::assert_snapshot!(normalized(&plan, &stack));
    // Nothing was made.
    let groups = ec2
        .describe_security_groups()
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert!(
        groups
            .security_groups()
            .iter()
            .all(|g| g.group_name() != Some("never"))
    );
}
