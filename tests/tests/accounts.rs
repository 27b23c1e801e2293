//! Accounts and credentials per environment and for the state (issue 17).
//!
//! The emulator answers `AssumeRole` for a role in any account and keeps
//! each account's resources apart: calls signed with the session's keys act
//! in the role's account. So one stack whose `dev` environment assumes a
//! role in 111111111111 and whose `prod` assumes one in 222222222222 must
//! put each VPC in its account, as read back through the SDK with each
//! account's own (assumed-role) credentials; `allowed_account_ids` must
//! refuse the wrong account before anything is written; and an S3 state
//! kept with credentials of its own (an account of its own) must work.

// Test code: a failed call should stop the test with its error.
#![allow(clippy::unwrap_used)]

use aws_config::sts::AssumeRoleProvider;
use aws_sdk_ec2::types::Filter;
use forge_e2e::{Emulator, Forge, RunOutput, StackCopy};

const REGION: &str = "us-east-1";
const DEV: &str = "111111111111";
const PROD: &str = "222222222222";
const STATE: &str = "333333333333";

const SPEC: &str = r#"stack: multi
region: us-east-1
vars:
  cidr: 10.0.0.0/16
environments:
  dev:
    vars: {cidr: 10.1.0.0/16}
    aws:
      assume_role:
        role_arn: "arn:aws:iam::111111111111:role/deploy"
        session_name: "forge-${env}"
      allowed_account_ids: ["111111111111"]
  prod:
    vars: {cidr: 10.2.0.0/16}
    aws:
      assume_role:
        role_arn: "arn:aws:iam::222222222222:role/deploy"
        duration: 1h
      allowed_account_ids: ["222222222222"]
    state:
      backend: s3
      bucket: forge-states
      key: "${stack}/${env}.json"
      aws:
        assume_role:
          role_arn: "arn:aws:iam::333333333333:role/state"
  # A typo'd role: its account is not the one allowed.
  wrong:
    vars: {cidr: 10.3.0.0/16}
    aws:
      assume_role:
        role_arn: "arn:aws:iam::111111111111:role/deploy"
      allowed_account_ids: ["444444444444"]
resources:
  vpc:
    type: aws.ec2.vpc
    cidr_block: "${vars.cidr}"
    tags:
      Name: "multi-${env}"
"#;

/// An SDK configuration acting in `account` through an assumed role, or
/// with the plain test credentials (the emulator's default account,
/// 123456789012, where forge's own credentials act) for `None`.
async fn config_in(emulator: &Emulator, account: Option<&str>) -> aws_config::SdkConfig {
    let base = emulator.sdk_config(REGION).await;
    let Some(account) = account else {
        return base;
    };
    let role = AssumeRoleProvider::builder(format!("arn:aws:iam::{account}:role/verify"))
        .session_name("verify")
        .configure(&base)
        .build()
        .await;
    base.into_builder()
        .credentials_provider(aws_sdk_ec2::config::SharedCredentialsProvider::new(role))
        .build()
}

/// The CIDRs of the stack's VPCs (by the ownership tag) in `account`.
async fn vpcs_in(emulator: &Emulator, account: Option<&str>) -> Vec<String> {
    let ec2 = aws_sdk_ec2::Client::new(&config_in(emulator, account).await);
    let out = ec2
        .describe_vpcs()
        .filters(
            Filter::builder()
                .name("tag:forge:stack")
                .values("multi")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let mut cidrs: Vec<String> = out
        .vpcs()
        .iter()
        .filter_map(|v| v.cidr_block().map(str::to_string))
        .collect();
    cidrs.sort();
    cidrs
}

struct World {
    forge: Forge,
    stack: StackCopy,
}

impl World {
    fn run(&self, args: &[&str]) -> RunOutput {
        self.forge
            .run(self.stack.path(), args)
            .unwrap_or_else(|e| panic!("{e}"))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_environment_lives_in_its_account_and_the_wrong_one_is_refused() {
    let emulator = Emulator::start().unwrap_or_else(|e| panic!("{e}"));
    let stack = StackCopy::empty().unwrap_or_else(|e| panic!("{e}"));
    stack
        .write("main.yaml", SPEC)
        .unwrap_or_else(|e| panic!("{e}"));
    let w = World {
        forge: Forge::new(emulator.env()).unwrap_or_else(|e| panic!("{e}")),
        stack,
    };
    // The state bucket lives in the state account.
    let state_s3 = forge_e2e::s3_client(&config_in(&emulator, Some(STATE)).await);
    state_s3
        .create_bucket()
        .bucket("forge-states")
        .send()
        .await
        .unwrap();

    w.run(&["apply", ".", "-e", "dev", "--auto-approve"])
        .expect_success();
    w.run(&["apply", ".", "-e", "prod", "--auto-approve"])
        .expect_success();

    // Each VPC in its environment's account, none where forge's own
    // credentials act, none in the state's account.
    assert_eq!(vpcs_in(&emulator, Some(DEV)).await, ["10.1.0.0/16"]);
    assert_eq!(vpcs_in(&emulator, Some(PROD)).await, ["10.2.0.0/16"]);
    assert_eq!(vpcs_in(&emulator, None).await, Vec::<String>::new());
    assert_eq!(vpcs_in(&emulator, Some(STATE)).await, Vec::<String>::new());

    // prod's state is in the state account's bucket, and records the VPC.
    let object = state_s3
        .get_object()
        .bucket("forge-states")
        .key("multi/prod.json")
        .send()
        .await
        .unwrap();
    let body = object.body.collect().await.unwrap().into_bytes();
    let state: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let recorded = state["resources"].to_string();
    assert!(recorded.contains("10.2.0.0/16"), "{state:#}");

    // Both environments re-plan with no changes: refresh reads each VPC in
    // its account (from the other account it would look deleted).
    for env in ["dev", "prod"] {
        let out = w.run(&["plan", ".", "-e", env, "--detailed-exitcode"]);
        out.expect_success();
    }

    // The wrong account: refused before any write, naming the account,
    // the allowed ones and the environment.
    for args in [
        &["plan", ".", "-e", "wrong"][..],
        &["apply", ".", "-e", "wrong", "--auto-approve"][..],
    ] {
        let out = w.run(args);
        out.expect_code(1);
        for needle in [
            DEV,
            "444444444444",
            "environment `wrong`",
            "allowed_account_ids",
        ] {
            assert!(out.stderr.contains(needle), "missing {needle}\n{out}");
        }
    }
    assert_eq!(vpcs_in(&emulator, Some(DEV)).await, ["10.1.0.0/16"]);
    let out = w.run(&["state", "list", ".", "-e", "wrong"]);
    out.expect_success();
    assert_eq!(out.stdout.trim(), "", "{out}");

    // Destroy works per account too, and leaves the other alone.
    w.run(&["destroy", ".", "-e", "dev", "--auto-approve"])
        .expect_success();
    assert_eq!(vpcs_in(&emulator, Some(DEV)).await, Vec::<String>::new());
    assert_eq!(vpcs_in(&emulator, Some(PROD)).await, ["10.2.0.0/16"]);
}

const ALIASED: &str = r#"stack: aliased
region: us-east-1
aws:
  assume_role:
    role_arn: "arn:aws:iam::111111111111:role/deploy"
  allowed_account_ids: ["111111111111"]
  aliases:
    shared:
      assume_role:
        role_arn: "arn:aws:iam::222222222222:role/dns"
      allowed_account_ids: ["222222222222"]
environments:
  main: {}
  # The alias's account is not the one its environment allows.
  wrong:
    aws:
      aliases:
        shared:
          allowed_account_ids: ["444444444444"]
resources:
  app:
    type: aws.ec2.vpc
    cidr_block: 10.10.0.0/16
  zone:
    type: aws.ec2.vpc
    aws: shared
    cidr_block: 10.20.0.0/16
"#;

/// The CIDRs of the `aliased` stack's VPCs in `account`.
async fn aliased_vpcs_in(emulator: &Emulator, account: &str) -> Vec<String> {
    let ec2 = aws_sdk_ec2::Client::new(&config_in(emulator, Some(account)).await);
    let out = ec2
        .describe_vpcs()
        .filters(
            Filter::builder()
                .name("tag:forge:stack")
                .values("aliased")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let mut cidrs: Vec<String> = out
        .vpcs()
        .iter()
        .filter_map(|v| v.cidr_block().map(str::to_string))
        .collect();
    cidrs.sort();
    cidrs
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resource_with_an_alias_lives_in_the_alias_account() {
    let emulator = Emulator::start().unwrap_or_else(|e| panic!("{e}"));
    let stack = StackCopy::empty().unwrap_or_else(|e| panic!("{e}"));
    stack
        .write("main.yaml", ALIASED)
        .unwrap_or_else(|e| panic!("{e}"));
    let w = World {
        forge: Forge::new(emulator.env()).unwrap_or_else(|e| panic!("{e}")),
        stack,
    };

    // An alias in the wrong account is refused before any write, naming
    // the alias.
    let out = w.run(&["apply", ".", "-e", "wrong", "--auto-approve"]);
    out.expect_code(1);
    for needle in [PROD, "444444444444", "alias `shared`"] {
        assert!(out.stderr.contains(needle), "missing {needle}\n{out}");
    }
    assert_eq!(aliased_vpcs_in(&emulator, DEV).await, Vec::<String>::new());
    assert_eq!(aliased_vpcs_in(&emulator, PROD).await, Vec::<String>::new());

    w.run(&["apply", ".", "-e", "main", "--auto-approve"])
        .expect_success();
    // Each VPC in its credentials' account, and only there.
    assert_eq!(aliased_vpcs_in(&emulator, DEV).await, ["10.10.0.0/16"]);
    assert_eq!(aliased_vpcs_in(&emulator, PROD).await, ["10.20.0.0/16"]);

    // Refresh reads each with its credentials: no changes, no drift (the
    // orphan scan looks in each account too, and finds nothing foreign).
    w.run(&["plan", ".", "-e", "main", "--detailed-exitcode"])
        .expect_success();
    w.run(&["drift", ".", "-e", "main"]).expect_success();

    // Destroy removes both, each with its own credentials.
    w.run(&["destroy", ".", "-e", "main", "--auto-approve"])
        .expect_success();
    assert_eq!(aliased_vpcs_in(&emulator, DEV).await, Vec::<String>::new());
    assert_eq!(aliased_vpcs_in(&emulator, PROD).await, Vec::<String>::new());
}
