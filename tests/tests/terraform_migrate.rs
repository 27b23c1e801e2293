//! `forge migrate terraform`, end to end: an estate built with the AWS SDK
//! (VPC, subnets, internet gateway, route table with a route and an
//! association, security group with rules, S3 bucket with versioning,
//! encryption and public access block, KMS key and alias, IAM role with an
//! inline and a managed policy, an Aurora cluster and instance, an ALB with
//! a target group and listener, an ECS cluster, task definition and
//! service), described by the Terraform v4 state terraform-provider-aws
//! would record for it (modules, `count`, sub-resources, an unknown type);
//! migrated; the first plan has no changes and the apply changes nothing;
//! a changed field applies and is verified through the SDK; destroy leaves
//! nothing. Bad input (garbage, a truncated state, version 3, a missing S3
//! object) is refused with a clear error and nothing written.

// Setting up the estate through the SDK: a failed call is a failed test.
#![allow(clippy::unwrap_used)]

use forge_e2e::{Emulator, Forge, RunOutput, StackCopy};
use serde_json::{Value as Json, json};
use std::path::Path;

#[path = "terraform_migrate/app_estate.rs"]
mod app_estate;

const PROVIDER: &str = "provider[\"registry.terraform.io/hashicorp/aws\"]";
const ACCOUNT: &str = "123456789012";
const REGION: &str = "us-east-1";
const BUCKET: &str = "acme-migrate-data";

/// The ids of the estate the SDK made.
struct Estate {
    vpc: String,
    subnets: [String; 2],
    igw: String,
    rtb: String,
    assoc: String,
    sg: String,
    key_id: String,
    key_arn: String,
    app: app_estate::AppEstate,
}

fn ec2_arn(kind: &str, id: &str) -> String {
    format!("arn:aws:ec2:{REGION}:{ACCOUNT}:{kind}/{id}")
}

fn resource(module: Option<&str>, ty: &str, name: &str, instances: Vec<Json>) -> Json {
    let mut r = json!({"mode": "managed", "type": ty, "name": name, "provider": PROVIDER, "instances": instances});
    if let Some(m) = module {
        r["module"] = json!(m);
    }
    r
}

fn instance(attrs: Json) -> Json {
    json!({"schema_version": 0, "attributes": attrs, "sensitive_attributes": []})
}

fn counted(index: usize, attrs: Json) -> Json {
    json!({"index_key": index, "schema_version": 1, "attributes": attrs, "sensitive_attributes": []})
}

async fn build_estate(emulator: &Emulator) -> Estate {
    let config = emulator.sdk_config(REGION).await;
    let ec2 = emulator.ec2(REGION).await;
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.30.0.0/16")
        .send()
        .await
        .unwrap()
        .vpc
        .and_then(|v| v.vpc_id)
        .unwrap();
    let mut subnets = Vec::new();
    for (cidr, az) in [
        ("10.30.1.0/24", "us-east-1a"),
        ("10.30.2.0/24", "us-east-1b"),
    ] {
        let id = ec2
            .create_subnet()
            .vpc_id(&vpc)
            .cidr_block(cidr)
            .availability_zone(az)
            .send()
            .await
            .unwrap()
            .subnet
            .and_then(|s| s.subnet_id)
            .unwrap();
        subnets.push(id);
    }
    let igw = ec2
        .create_internet_gateway()
        .send()
        .await
        .unwrap()
        .internet_gateway
        .and_then(|g| g.internet_gateway_id)
        .unwrap();
    ec2.attach_internet_gateway()
        .internet_gateway_id(&igw)
        .vpc_id(&vpc)
        .send()
        .await
        .unwrap();
    let rtb = ec2
        .create_route_table()
        .vpc_id(&vpc)
        .send()
        .await
        .unwrap()
        .route_table
        .and_then(|r| r.route_table_id)
        .unwrap();
    ec2.create_route()
        .route_table_id(&rtb)
        .destination_cidr_block("0.0.0.0/0")
        .gateway_id(&igw)
        .send()
        .await
        .unwrap();
    let assoc = ec2
        .associate_route_table()
        .route_table_id(&rtb)
        .subnet_id(&subnets[0])
        .send()
        .await
        .unwrap()
        .association_id
        .unwrap();
    let sg = ec2
        .create_security_group()
        .group_name("web")
        .description("web tier")
        .vpc_id(&vpc)
        .send()
        .await
        .unwrap()
        .group_id
        .unwrap();
    ec2.authorize_security_group_ingress()
        .group_id(&sg)
        .ip_protocol("tcp")
        .from_port(443)
        .to_port(443)
        .cidr_ip("0.0.0.0/0")
        .send()
        .await
        .unwrap();

    let s3 = emulator.s3(REGION).await;
    s3.create_bucket().bucket(BUCKET).send().await.unwrap();
    use aws_sdk_s3::types::{
        BucketVersioningStatus, PublicAccessBlockConfiguration, ServerSideEncryption,
        ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration, ServerSideEncryptionRule,
        VersioningConfiguration,
    };
    s3.put_bucket_versioning()
        .bucket(BUCKET)
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let by_default = ServerSideEncryptionByDefault::builder()
        .sse_algorithm(ServerSideEncryption::Aes256)
        .build()
        .unwrap();
    s3.put_bucket_encryption()
        .bucket(BUCKET)
        .server_side_encryption_configuration(
            ServerSideEncryptionConfiguration::builder()
                .rules(
                    ServerSideEncryptionRule::builder()
                        .apply_server_side_encryption_by_default(by_default)
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    s3.put_public_access_block()
        .bucket(BUCKET)
        .public_access_block_configuration(
            PublicAccessBlockConfiguration::builder()
                .block_public_acls(true)
                .ignore_public_acls(true)
                .block_public_policy(true)
                .restrict_public_buckets(true)
                .build(),
        )
        .send()
        .await
        .unwrap();

    app_estate::assert_gone(&config).await;
    let kms = aws_sdk_kms::Client::new(&config);
    let key = kms
        .create_key()
        .description("data at rest")
        // moto leaves KeyUsage/KeySpec out of DescribeKey unless they are
        // given at creation; AWS always reports them.
        .key_usage(aws_sdk_kms::types::KeyUsageType::EncryptDecrypt)
        .key_spec(aws_sdk_kms::types::KeySpec::SymmetricDefault)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    kms.create_alias()
        .alias_name("alias/acme-migrate")
        .target_key_id(key.key_id())
        .send()
        .await
        .unwrap();

    let iam = aws_sdk_iam::Client::new(&config);
    iam.create_role()
        .role_name("acme-app")
        .assume_role_policy_document(ASSUME)
        .send()
        .await
        .unwrap();
    iam.put_role_policy()
        .role_name("acme-app")
        .policy_name("read-data")
        .policy_document(READ_DATA)
        .send()
        .await
        .unwrap();

    let key_arn = key.arn().unwrap_or_default().to_string();
    let app = app_estate::build(&config, &vpc, &subnets, &sg, &key_arn).await;
    Estate {
        app,
        vpc,
        subnets: [subnets[0].clone(), subnets[1].clone()],
        igw,
        rtb,
        assoc,
        sg,
        key_id: key.key_id().to_string(),
        key_arn,
    }
}

const ASSUME: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
const READ_DATA: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::acme-migrate-data/*"}]}"#;

/// The state terraform-provider-aws records for the estate.
fn tfstate(e: &Estate) -> Json {
    let net = Some("module.network");
    let sg_rule = |protocol: &str, port: i64, description: &str| {
        json!({"cidr_blocks": ["0.0.0.0/0"], "description": description, "from_port": port,
               "ipv6_cidr_blocks": [], "prefix_list_ids": [], "protocol": protocol,
               "security_groups": [], "self": false, "to_port": port})
    };
    let subnet = |i: usize, cidr: &str, az: &str| {
        counted(
            i,
            json!({"arn": ec2_arn("subnet", &e.subnets[i]), "assign_ipv6_address_on_creation": false,
                   "availability_zone": az, "cidr_block": cidr, "id": e.subnets[i],
                   "map_public_ip_on_launch": false, "owner_id": ACCOUNT, "tags": {}, "tags_all": {},
                   "vpc_id": e.vpc}),
        )
    };
    let bucket_arn = format!("arn:aws:s3:::{BUCKET}");
    let mut state = json!({
        "version": 4,
        "terraform_version": "1.6.3",
        "serial": 7,
        "lineage": "0b9c7f64-2f3c-4c55-8a3e-6f1d2e3c4b5a",
        "outputs": {},
        "resources": [
            resource(net, "aws_vpc", "this", vec![instance(json!({
                "arn": ec2_arn("vpc", &e.vpc), "assign_generated_ipv6_cidr_block": false,
                "cidr_block": "10.30.0.0/16", "enable_dns_hostnames": false, "enable_dns_support": true,
                "id": e.vpc, "instance_tenancy": "default", "ipv6_cidr_block": "", "owner_id": ACCOUNT,
                "tags": {}, "tags_all": {}}))]),
            resource(net, "aws_subnet", "private", vec![
                subnet(0, "10.30.1.0/24", "us-east-1a"),
                subnet(1, "10.30.2.0/24", "us-east-1b"),
            ]),
            resource(net, "aws_internet_gateway", "this", vec![instance(json!({
                "arn": ec2_arn("internet-gateway", &e.igw), "id": e.igw, "owner_id": ACCOUNT,
                "tags": {}, "tags_all": {}, "vpc_id": e.vpc}))]),
            resource(net, "aws_route_table", "public", vec![instance(json!({
                "arn": ec2_arn("route-table", &e.rtb), "id": e.rtb, "owner_id": ACCOUNT,
                "propagating_vgws": [],
                "route": [{"carrier_gateway_id": "", "cidr_block": "0.0.0.0/0", "core_network_arn": "",
                           "destination_prefix_list_id": "", "egress_only_gateway_id": "",
                           "gateway_id": e.igw, "ipv6_cidr_block": "", "local_gateway_id": "",
                           "nat_gateway_id": "", "network_interface_id": "", "transit_gateway_id": "",
                           "vpc_endpoint_id": "", "vpc_peering_connection_id": ""}],
                "tags": {}, "tags_all": {}, "vpc_id": e.vpc}))]),
            resource(net, "aws_route_table_association", "public", vec![counted(0, json!({
                "gateway_id": "", "id": e.assoc, "route_table_id": e.rtb, "subnet_id": e.subnets[0]}))]),
            resource(None, "aws_security_group", "web", vec![instance(json!({
                "arn": ec2_arn("security-group", &e.sg), "description": "web tier",
                "egress": [sg_rule("-1", 0, "")], "id": e.sg,
                "ingress": [sg_rule("tcp", 443, "")], "name": "web", "name_prefix": "",
                "owner_id": ACCOUNT, "revoke_rules_on_delete": false, "tags": {}, "tags_all": {},
                "vpc_id": e.vpc}))]),
            resource(None, "aws_s3_bucket", "data", vec![instance(json!({
                "arn": bucket_arn, "bucket": BUCKET, "force_destroy": false, "id": BUCKET,
                "region": REGION, "tags": {}, "tags_all": {},
                "versioning": [{"enabled": true, "mfa_delete": false}]}))]),
            resource(None, "aws_s3_bucket_versioning", "data", vec![instance(json!({
                "bucket": BUCKET, "expected_bucket_owner": "", "id": BUCKET, "mfa": null,
                "versioning_configuration": [{"mfa_delete": "", "status": "Enabled"}]}))]),
            resource(None, "aws_s3_bucket_server_side_encryption_configuration", "data", vec![instance(json!({
                "bucket": BUCKET, "expected_bucket_owner": "", "id": BUCKET,
                "rule": [{"apply_server_side_encryption_by_default": [{"kms_master_key_id": "", "sse_algorithm": "AES256"}],
                          "bucket_key_enabled": false}]}))]),
            resource(None, "aws_s3_bucket_public_access_block", "data", vec![instance(json!({
                "block_public_acls": true, "block_public_policy": true, "bucket": BUCKET, "id": BUCKET,
                "ignore_public_acls": true, "restrict_public_buckets": true}))]),
            resource(None, "aws_kms_key", "data", vec![instance(json!({
                "arn": e.key_arn, "customer_master_key_spec": "SYMMETRIC_DEFAULT",
                "deletion_window_in_days": 30, "description": "data at rest", "enable_key_rotation": false,
                "id": e.key_id, "is_enabled": true, "key_id": e.key_id, "key_usage": "ENCRYPT_DECRYPT",
                "multi_region": false, "tags": {}, "tags_all": {}}))]),
            resource(None, "aws_kms_alias", "data", vec![instance(json!({
                "arn": format!("arn:aws:kms:{REGION}:{ACCOUNT}:alias/acme-migrate"), "id": "alias/acme-migrate",
                "name": "alias/acme-migrate", "name_prefix": "", "target_key_arn": e.key_arn,
                "target_key_id": e.key_id}))]),
            resource(None, "aws_iam_role", "app", vec![instance(json!({
                "arn": format!("arn:aws:iam::{ACCOUNT}:role/acme-app"), "assume_role_policy": ASSUME,
                "description": "", "force_detach_policies": false, "id": "acme-app",
                "inline_policy": [{"name": "read-data", "policy": READ_DATA}],
                "managed_policy_arns": [], "max_session_duration": 3600, "name": "acme-app",
                "name_prefix": "", "path": "/", "permissions_boundary": "", "tags": {}, "tags_all": {},
                "unique_id": "AROAEXAMPLE"}))]),
            resource(None, "aws_iam_role_policy", "read_data", vec![instance(json!({
                "id": "acme-app:read-data", "name": "read-data", "name_prefix": "", "policy": READ_DATA,
                "role": "acme-app"}))]),
            resource(None, "aws_sqs_queue", "jobs", vec![instance(json!({
                "arn": format!("arn:aws:sqs:{REGION}:{ACCOUNT}:jobs"), "id": "https://sqs.us-east-1.amazonaws.com/123456789012/jobs",
                "name": "jobs"}))]),
        ]
    });
    if let Some(list) = state["resources"].as_array_mut() {
        list.extend(app_estate::tf_resources(&e.app));
    }
    state
}

fn run(forge: &Forge, dir: &Path, args: &[&str]) -> RunOutput {
    forge.run(dir, args).unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn a_terraform_estate_migrates_with_no_changes_then_changes_and_destroys() {
    let emulator = Emulator::start().unwrap_or_else(|e| panic!("{e}"));
    let forge = Forge::new(emulator.env()).unwrap_or_else(|e| panic!("{e}"));
    let estate = build_estate(&emulator).await;
    let work = StackCopy::empty().unwrap_or_else(|e| panic!("{e}"));
    let dir = work.path();
    let state_text = serde_json::to_string_pretty(&tfstate(&estate)).unwrap();
    std::fs::write(dir.join("terraform.tfstate"), &state_text).unwrap();

    let out = dir.join("forge");
    let migrated = run(
        &forge,
        dir,
        &[
            "migrate",
            "terraform",
            "terraform.tfstate",
            "--out",
            "forge",
            "--stack-name",
            "acme",
        ],
    );
    migrated.expect_success();
    assert!(
        migrated.stdout.contains("not mapped: aws_sqs_queue.jobs"),
        "{migrated}"
    );
    assert!(
        migrated
            .stdout
            .contains("19 resources mapped (6 Terraform sub-resources folded in), 1 not mapped"),
        "{migrated}"
    );
    // The Terraform state is only read.
    assert_eq!(
        std::fs::read_to_string(dir.join("terraform.tfstate")).unwrap(),
        state_text
    );
    let spec = std::fs::read_to_string(out.join("stack.yaml")).unwrap();
    let out_arg = out.display().to_string();

    let plan = run(&forge, dir, &["plan", &out_arg, "--detailed-exitcode"]);
    assert_eq!(
        plan.code(),
        Some(0),
        "the first plan of the migrated stack must show no changes\n{plan}\n--- stack.yaml ---\n{spec}"
    );
    // The first plan could not compare the Aurora master password: the
    // spec reads it from a sensitive var, and the plan names it.
    assert!(
        plan.stdout
            .contains("data_rds_cluster_master_user_password"),
        "{plan}"
    );
    assert!(
        spec.contains("master_user_password: ${var.data_rds_cluster_master_user_password}")
            && !spec.contains(app_estate::DB_PASSWORD),
        "{spec}"
    );
    // Applying asks for it; the recorded hash matches, so nothing changes.
    let secret = format!(
        "data_rds_cluster_master_user_password={}",
        app_estate::DB_PASSWORD
    );
    let apply = |forge: &Forge| {
        run(
            forge,
            dir,
            &["apply", &out_arg, "--auto-approve", "--var", &secret],
        )
    };
    let first = apply(&forge);
    first.expect_success();
    assert!(
        !first.stdout.contains("will be updated") && !first.stdout.contains("will be replaced"),
        "{first}"
    );
    run(
        &forge,
        dir,
        &["plan", &out_arg, "--detailed-exitcode", "--var", &secret],
    )
    .expect_code(0);

    // One field changed in the generated spec applies to the real object.
    let edited = spec.replace("versioning: Enabled", "versioning: Suspended");
    assert_ne!(
        edited, spec,
        "the generated bucket sets versioning:\n{spec}"
    );
    std::fs::write(out.join("stack.yaml"), edited).unwrap();
    apply(&forge).expect_success();
    let s3 = emulator.s3(REGION).await;
    let versioning = s3
        .get_bucket_versioning()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap();
    assert_eq!(versioning.status().map(|s| s.as_str()), Some("Suspended"));

    // Destroy: nothing of the estate is left.
    run(
        &forge,
        dir,
        &["destroy", &out_arg, "--auto-approve", "--var", &secret],
    )
    .expect_success();
    let ec2 = emulator.ec2(REGION).await;
    let vpcs = ec2.describe_vpcs().vpc_ids(&estate.vpc).send().await;
    assert!(
        vpcs.map(|o| o.vpcs().is_empty()).unwrap_or(true),
        "the VPC is left"
    );
    assert!(
        s3.head_bucket().bucket(BUCKET).send().await.is_err(),
        "the bucket is left"
    );
    let config = emulator.sdk_config(REGION).await;
    let iam = aws_sdk_iam::Client::new(&config);
    assert!(
        iam.get_role().role_name("acme-app").send().await.is_err(),
        "the role is left"
    );
    app_estate::assert_gone(&config).await;
    let kms = aws_sdk_kms::Client::new(&config);
    let key = kms
        .describe_key()
        .key_id(&estate.key_id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        key.key_metadata()
            .and_then(|m| m.key_state())
            .map(|s| s.as_str()),
        Some("PendingDeletion")
    );
}

#[tokio::test]
async fn bad_input_is_refused_and_nothing_is_written() {
    let emulator = Emulator::start().unwrap_or_else(|e| panic!("{e}"));
    let forge = Forge::new(emulator.env()).unwrap_or_else(|e| panic!("{e}"));
    let work = StackCopy::empty().unwrap_or_else(|e| panic!("{e}"));
    let dir = work.path();
    let cases: [(&str, &str, &str); 3] = [
        (
            "garbage.tfstate",
            "\u{1f}\u{8b}not json at all",
            "garbage.tfstate:1:1: not a Terraform state",
        ),
        (
            "truncated.tfstate",
            "{\n  \"version\": 4,\n  \"resources\": [\n    {\"mode\": \"managed\", \"type\": \"aws_vpc\"",
            "truncated.tfstate:4:",
        ),
        (
            "v3.tfstate",
            "{\"version\": 3, \"terraform_version\": \"0.11.14\", \"modules\": []}",
            "Terraform state format version 3",
        ),
    ];
    for (file, text, expected) in cases {
        std::fs::write(dir.join(file), text).unwrap();
        let out = run(&forge, dir, &["migrate", "terraform", file, "--out", "out"]);
        out.expect_code(1);
        assert!(out.stderr.contains(expected), "{file}: {out}");
        assert!(!dir.join("out").exists(), "{file}: something was written");
    }
    // A backend bucket without the state object.
    let s3 = emulator.s3(REGION).await;
    s3.create_bucket().bucket("tf-state").send().await.unwrap();
    let missing = run(
        &forge,
        dir,
        &[
            "migrate",
            "terraform",
            "s3://tf-state/prod/terraform.tfstate",
            "--out",
            "out",
        ],
    );
    missing.expect_code(1);
    assert!(
        missing
            .stderr
            .contains("s3://tf-state/prod/terraform.tfstate: no such object"),
        "{missing}"
    );
    assert!(!dir.join("out").exists());
    // An S3 state object migrates like a file.
    let state = include_str!("../fixtures/terraform/single/terraform.tfstate");
    s3.put_object()
        .bucket("tf-state")
        .key("prod/terraform.tfstate")
        .body(state.as_bytes().to_vec().into())
        .send()
        .await
        .unwrap();
    // (The fixture's objects are not in this emulator: mapping works,
    // recording them fails, which says so per object.)
    let from_s3 = run(
        &forge,
        dir,
        &[
            "migrate",
            "terraform",
            "s3://tf-state/prod/terraform.tfstate",
            "--out",
            "out",
        ],
    );
    assert!(
        from_s3
            .stdout
            .contains("9 resources mapped (9 Terraform sub-resources folded in), 3 not mapped"),
        "{from_s3}"
    );

    // A Terragrunt tree's remote states: every state under the prefix is
    // a unit, named by its folder.
    let units = [
        (
            "live/prod/network/terraform.tfstate",
            include_str!("../fixtures/terraform/terragrunt/live/prod/network/terraform.tfstate"),
        ),
        (
            "live/prod/storage/terraform.tfstate",
            include_str!(
                "../fixtures/terraform/terragrunt/live/prod/storage/.terragrunt-cache/Xy12abc/Zq98def/modules/storage/terraform.tfstate"
            ),
        ),
    ];
    for (key, text) in units {
        s3.put_object()
            .bucket("tf-state")
            .key(key)
            .body(text.as_bytes().to_vec().into())
            .send()
            .await
            .unwrap();
    }
    let tree = run(
        &forge,
        dir,
        &[
            "migrate",
            "terraform",
            "s3://tf-state/live/",
            "--out",
            "tree",
        ],
    );
    for expected in [
        "s3://tf-state/live/prod/network/terraform.tfstate: 4 resources mapped (2 Terraform sub-resources folded in), 0 not mapped",
        "s3://tf-state/live/prod/storage/terraform.tfstate: 3 resources mapped (3 Terraform sub-resources folded in), 0 not mapped",
    ] {
        assert!(tree.stdout.contains(expected), "{tree}");
    }
    // An empty prefix is refused with nothing written.
    let none = run(
        &forge,
        dir,
        &[
            "migrate",
            "terraform",
            "s3://tf-state/nothing/",
            "--out",
            "none",
        ],
    );
    none.expect_code(1);
    assert!(none.stderr.contains("no Terraform state found"), "{none}");
    assert!(!dir.join("none").exists());
}
