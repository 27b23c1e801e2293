//! The migration of the single-state fixture
//! (`tests/fixtures/terraform/single/terraform.tfstate`): what maps, what
//! folds, what is listed, and the generated stack (pinned).

use super::*;
use crate::{AwsSettings, register_all};

const FIXTURE: &str =
    include_str!("../../../../../tests/fixtures/terraform/single/terraform.tfstate");

fn migrated() -> Migration {
    let mut registry = ProviderRegistry::new();
    register_all(&mut registry, AwsSettings::default());
    let state = tfstate::parse(FIXTURE, "terraform.tfstate").unwrap();
    map_state(&state, &registry, None)
}

#[test]
fn every_instance_is_mapped_folded_or_listed() {
    let m = migrated();
    let addresses: Vec<String> = m.resources.iter().map(|r| r.address.to_string()).collect();
    assert_eq!(
        addresses,
        [
            "vpc",
            "vpc_private_subnet[0]",
            "vpc_private_subnet[1]",
            "vpc_private_route_table",
            "web",
            "data_s3_bucket",
            "data_kms_key",
            "data_kms_alias",
            "app",
        ]
    );
    let unmapped: Vec<&str> = m.unmapped.iter().map(|u| u.tf_address.as_str()).collect();
    assert_eq!(
        unmapped,
        [
            "data.aws_caller_identity.current",
            "aws_instance.bastion",
            "random_password.db"
        ]
    );
    assert_eq!(m.region.as_deref(), Some("eu-west-1"));
    let folded: usize = m.resources.iter().map(|r| r.folded.len()).sum();
    assert_eq!(folded, 9);
}

#[test]
fn folds_and_references_land_on_the_owner() {
    let m = migrated();
    let get = |name: &str| {
        m.resources
            .iter()
            .find(|r| r.address.to_string() == name)
            .unwrap()
    };
    let sg = get("web");
    assert_eq!(sg.fields["vpc_id"], "${vpc.id}");
    assert_eq!(sg.fields["ingress"].as_array().unwrap().len(), 2);
    let rt = get("vpc_private_route_table");
    assert_eq!(
        rt.fields["subnet_ids"],
        serde_json::json!(["${vpc_private_subnet[0].id}", "${vpc_private_subnet[1].id}"])
    );
    let bucket = get("data_s3_bucket");
    assert_eq!(bucket.fields["versioning"], "Enabled");
    assert_eq!(
        bucket.fields["server_side_encryption"]["kms_master_key_id"],
        "${data_kms_key.arn}"
    );
    // Written out although all on is forge's default: the field has no
    // declared default (AWS's own is all off).
    assert_eq!(
        bucket.fields["public_access_block"]["block_public_acls"],
        true
    );
    let alias = get("data_kms_alias");
    assert_eq!(alias.fields["target_key_id"], "${data_kms_key.id}");
    let role = get("app");
    assert_eq!(role.id, "acme-app");
    assert!(role.fields["inline_policies"]["read-data"].is_string());
}

#[test]
fn the_generated_stack() {
    let m = migrated();
    insta::assert_snapshot!(spec::to_yaml(&m, "prod", "terraform.tfstate"));
}

#[test]
fn a_terragrunt_tree_is_one_state_per_unit() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/terraform/terragrunt/live");
    let units = source::read_local(&root).unwrap();
    let paths: Vec<String> = units.iter().map(|u| u.path.display().to_string()).collect();
    assert_eq!(paths, ["prod/network", "prod/storage"]);
    assert!(units[1].source_name.contains(".terragrunt-cache"));
    let mut registry = ProviderRegistry::new();
    register_all(&mut registry, AwsSettings::default());
    let counts: Vec<(usize, usize, usize)> = units
        .iter()
        .map(|u| {
            let m = map_state(
                &tfstate::parse(&u.text, &u.source_name).unwrap(),
                &registry,
                None,
            );
            let folded = m.resources.iter().map(|r| r.folded.len()).sum();
            (m.resources.len(), folded, m.unmapped.len())
        })
        .collect();
    assert_eq!(counts, [(4, 2, 0), (3, 3, 0)]);
}

#[test]
fn sensitive_attributes_go_to_the_state_not_the_spec() {
    let text = r#"{"version": 4, "resources": [{"mode": "managed", "type": "aws_db_instance",
        "name": "db", "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
        "instances": [{"schema_version": 2, "attributes": {
            "arn": "arn:aws:rds:eu-west-1:123456789012:db:app", "id": "db-ABCDEFGHIJKL",
            "identifier": "app", "instance_class": "db.t3.micro", "engine": "postgres",
            "username": "app", "password": "hunter2", "storage_encrypted": true},
          "sensitive_attributes": [[{"type": "get_attr", "value": "password"}]]}]}]}"#;
    let mut registry = ProviderRegistry::new();
    register_all(&mut registry, AwsSettings::default());
    let m = map_state(&tfstate::parse(text, "s").unwrap(), &registry, None);
    let db = &m.resources[0];
    assert_eq!(
        db.id, "app",
        "forge's id is the identifier, not provider 5's `id`"
    );
    assert_eq!(db.sensitive["master_user_password"], "hunter2");
    // The spec reads it from a sensitive var; its value is not in the spec.
    assert_eq!(
        db.fields["master_user_password"],
        "${var.db_master_user_password}"
    );
    assert_eq!(
        db.secret_vars,
        [(
            "master_user_password".to_string(),
            "db_master_user_password".to_string()
        )]
    );
    let yaml = spec::to_yaml(&m, "s", "s");
    assert!(!yaml.contains("hunter2"), "{yaml}");
    assert!(
        yaml.contains("vars:\n  db_master_user_password:\n    type: string\n"),
        "{yaml}"
    );
    assert_eq!(db.fields["db_instance_class"], "db.t3.micro");
    assert_eq!(db.fields["master_username"], "app");
}
