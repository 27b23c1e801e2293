//! `aws:` credentials on a stack, an environment and the S3 state: how they
//! merge, that they may use expressions, and the positioned errors for bad
//! values (pinned by insta).

use forge_core::spec::testing::network_schemas;
use forge_core::spec::{AwsCredentials, LoadOptions, Stack, StateBackendConfig, load_stack};

const STACK: &str = r#"stack: app
region: us-east-1
vars:
  prod_account: "222222222222"
aws:
  profile: ops
  assume_role:
    role_arn: arn:aws:iam::111111111111:role/deploy
    session_name: "forge-${stack}"
  allowed_account_ids: ["111111111111"]
environments:
  dev: {}
  prod:
    aws:
      assume_role:
        role_arn: "arn:aws:iam::${vars.prod_account}:role/deploy"
        external_id: "${env}-ext"
        duration: 2h
      allowed_account_ids: ["${vars.prod_account}"]
state:
  backend: s3
  bucket: states
  key: "${stack}/${env}.json"
  aws:
    profile: state-admin
"#;

/// Loads `text` as a stack's one file; errors rendered, paths relative.
fn load(text: &str, env: Option<&str>) -> Result<Stack, String> {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("main.yaml");
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
    let opts = LoadOptions {
        environment: env.map(str::to_string),
        ..Default::default()
    };
    load_stack(&path, &opts, &network_schemas()).map_err(|d| {
        d.to_string()
            .replace(&format!("{}/", dir.path().display()), "")
    })
}

fn aws(stack: &Stack) -> AwsCredentials {
    stack.aws.clone().unwrap_or_default()
}

#[test]
fn the_stack_credentials_apply_when_the_environment_sets_none() {
    let stack = load(STACK, Some("dev")).unwrap_or_else(|e| panic!("{e}"));
    let aws = aws(&stack);
    assert_eq!(aws.profile.as_deref(), Some("ops"));
    let role = aws.assume_role.clone().unwrap_or_default();
    assert_eq!(role.role_arn, "arn:aws:iam::111111111111:role/deploy");
    assert_eq!(role.session_name.as_deref(), Some("forge-app"));
    assert_eq!(aws.allowed_account_ids, ["111111111111"]);
}

#[test]
fn an_environment_overrides_key_by_key_with_expressions() {
    let stack = load(STACK, Some("prod")).unwrap_or_else(|e| panic!("{e}"));
    let aws = aws(&stack);
    // Not named by the environment: kept from the stack.
    assert_eq!(aws.profile.as_deref(), Some("ops"));
    let role = aws.assume_role.clone().unwrap_or_default();
    assert_eq!(role.role_arn, "arn:aws:iam::222222222222:role/deploy");
    assert_eq!(role.external_id.as_deref(), Some("prod-ext"));
    assert_eq!(role.duration, Some(7200));
    assert_eq!(aws.allowed_account_ids, ["222222222222"]);
    assert_eq!(aws.role_account(), Some("222222222222"));
}

#[test]
fn the_state_has_credentials_of_its_own() {
    let stack = load(STACK, Some("prod")).unwrap_or_else(|e| panic!("{e}"));
    let StateBackendConfig::S3 {
        aws: Some(state), ..
    } = &stack.state
    else {
        panic!("expected s3 state with aws: {:?}", stack.state);
    };
    assert_eq!(state.profile.as_deref(), Some("state-admin"));
    assert_eq!(state.assume_role, None);
}

#[test]
fn no_aws_block_means_the_process_chain() {
    let stack = load("stack: t\nregion: us-east-1\n", None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(stack.aws, None);
    assert_eq!(stack.state, StateBackendConfig::Local { path: None });
}

#[test]
fn bad_values_are_positioned_errors() {
    let text = r#"stack: t
region: us-east-1
aws:
  profil: ops
  assume_role:
    role_arn: arn:aws:iam::1234:user/deploy
    duration: 5m
    session_name: "a b"
    policy: x
  allowed_account_ids: ["12345", 111111111111]
environments:
  base: {}
  dev:
    aws:
      assume_role:
        duration: 13h
      allowed_account_ids: "111111111111"
state:
  backend: s3
  bucket: b
  key: k
  aws: {assume_role: {external_id: x}}
"#;
    // `base` adds nothing: the stack's own mistakes alone.
    let err = load(text, Some("base")).err().unwrap_or_default();
    insta::assert_snapshot!("bad_values", err);
    let err = load(text, Some("dev")).err().unwrap_or_default();
    insta::assert_snapshot!("bad_environment_values", err);
}

const ALIASES: &str = r#"stack: app
region: us-east-1
aws:
  aliases:
    shared:
      profile: ops
      assume_role:
        role_arn: arn:aws:iam::222222222222:role/dns
      allowed_account_ids: ["222222222222"]
environments:
  dev: {}
  prod:
    aws:
      aliases:
        shared:
          assume_role:
            role_arn: arn:aws:iam::333333333333:role/dns
          allowed_account_ids: ["333333333333"]
resources:
  main:
    type: aws.ec2.vpc
    cidr_block: 10.0.0.0/16
  zone:
    type: aws.ec2.vpc
    aws: shared
    cidr_block: 10.1.0.0/16
"#;

#[test]
fn resources_pick_an_alias_merged_per_environment() {
    let dev = load(ALIASES, Some("dev")).unwrap_or_else(|e| panic!("{e}"));
    // Only aliases: the stack's other resources keep the process's chain.
    assert_eq!(dev.aws, None);
    let shared = &dev.aws_aliases["shared"];
    assert_eq!(shared.profile.as_deref(), Some("ops"));
    assert_eq!(shared.role_account(), Some("222222222222"));
    let alias_of = |s: &Stack, name: &str| {
        s.instances
            .iter()
            .find(|i| i.address.to_string() == name)
            .and_then(|i| i.alias.clone())
    };
    assert_eq!(alias_of(&dev, "zone").as_deref(), Some("shared"));
    assert_eq!(alias_of(&dev, "main"), None);

    // prod's alias keeps the stack's profile and takes its own role.
    let prod = load(ALIASES, Some("prod")).unwrap_or_else(|e| panic!("{e}"));
    let shared = &prod.aws_aliases["shared"];
    assert_eq!(shared.profile.as_deref(), Some("ops"));
    assert_eq!(shared.role_account(), Some("333333333333"));
    assert_eq!(shared.allowed_account_ids, ["333333333333"]);
}

#[test]
fn an_unknown_alias_is_a_positioned_error() {
    let text = ALIASES.replace("aws: shared", "aws: shraed");
    let err = load(&text, Some("dev")).err().unwrap_or_default();
    insta::assert_snapshot!(err);
    let err = load(
        &text.replace("  aliases:\n    shared:", "  aliases_:\n    shared:"),
        Some("dev"),
    )
    .err()
    .unwrap_or_default();
    assert!(err.contains("aliases_"), "{err}");
}
