//! Terraform-shaped plan JSON, read by a real Terraform plan tool: the
//! `forge` binary plans a stack against the emulator, writes the plan in
//! Terraform's JSON plan representation (`forge plan --json-format
//! terraform`, and `forge show --json-format terraform PLANFILE`), and
//! checkov (pinned, in its own venv made by `scripts/checkov-venv`) reports
//! the failed checks a Terraform plan of the same resources would get.

use forge_e2e::{Emulator, Forge, StackCopy, getting_started_dir, repo_root};
use serde_json::Value as Json;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A stack with the three classic findings: a bucket without default
/// encryption configured, SSH open to the world, and RDS storage left
/// unencrypted (an Aurora cluster and a DB instance).
const INSECURE: &str = r#"
stack: insecure
region: us-east-1
resources:
  vpc:
    type: aws.ec2.vpc
    cidr_block: 10.0.0.0/16
  ssh:
    type: aws.ec2.security_group
    group_name: ssh-open
    description: SSH from anywhere
    vpc_id: "${vpc.id}"
    ingress:
      - ip_protocol: tcp
        from_port: 22
        to_port: 22
        cidr_ipv4: 0.0.0.0/0
  assets:
    type: aws.s3.bucket
    bucket: insecure-data-bucket
  aurora:
    type: aws.rds.cluster
    db_cluster_identifier: insecure-aurora
    engine: aurora-postgresql
    master_username: app
    manage_master_user_password: true
    storage_encrypted: false
    skip_final_snapshot: true
  db:
    type: aws.rds.db_instance
    db_instance_identifier: insecure-db
    db_instance_class: db.t3.micro
    engine: postgres
    allocated_storage: 20
    master_username: app
    master_user_password: plan-json-must-not-show-this
    storage_encrypted: false
    skip_final_snapshot: true
"#;

/// The venv's checkov (installed on first use; see scripts/checkov-venv).
fn checkov() -> PathBuf {
    let script = repo_root().join("scripts/checkov-venv");
    let out = Command::new(&script)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", script.display()));
    assert!(
        out.status.success(),
        "scripts/checkov-venv failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

/// checkov's failed checks on a plan file: `(check id, resource)`.
fn failed_checks(plan_json: &Path) -> BTreeSet<(String, String)> {
    let out = Command::new(checkov())
        .args(["--quiet", "--compact", "--skip-download", "-o", "json"])
        .args(["--framework", "terraform_plan", "-f"])
        .arg(plan_json)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("running checkov: {e}"));
    let text = String::from_utf8_lossy(&out.stdout);
    // checkov exits 1 when a check fails; anything it cannot parse would
    // show as no report at all.
    let report: Json = serde_json::from_str(&text).unwrap_or_else(|e| {
        panic!(
            "checkov printed no JSON report ({e}):\n{text}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let reports = match report {
        Json::Array(items) => items,
        one => vec![one],
    };
    reports
        .iter()
        .filter(|r| r["check_type"] == "terraform_plan")
        .flat_map(|r| {
            r["results"]["failed_checks"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .map(|c| {
            (
                c["check_id"].as_str().unwrap_or_default().to_string(),
                c["resource"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn has(failed: &BTreeSet<(String, String)>, id: &str, resource: &str) -> bool {
    failed.contains(&(id.to_string(), resource.to_string()))
}

#[test]
fn checkov_reports_the_insecure_stacks_findings_on_forges_plan() {
    let emulator = Emulator::start().unwrap_or_else(|e| panic!("{e}"));
    let forge = Forge::new(emulator.env()).unwrap_or_else(|e| panic!("{e}"));
    let stack = StackCopy::empty().unwrap_or_else(|e| panic!("{e}"));
    stack
        .write("stack.yaml", INSECURE)
        .unwrap_or_else(|e| panic!("{e}"));
    let dir = stack.path();
    let arg = stack.arg();

    // Straight from `forge plan`.
    let planned = forge
        .run(dir, &["plan", &arg, "--json-format", "terraform"])
        .unwrap_or_else(|e| panic!("{e}"));
    planned.expect_success();
    let json: Json = serde_json::from_str(&planned.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{planned}"));
    assert_eq!(json["format_version"], "1.2");
    assert!(
        !planned.stdout.contains("plan-json-must-not-show-this"),
        "a sensitive value is in the plan JSON"
    );
    let db = json["resource_changes"]
        .as_array()
        .and_then(|r| r.iter().find(|c| c["address"] == "aws_db_instance.db"))
        .unwrap_or_else(|| panic!("no aws_db_instance.db:\n{planned}"));
    assert_eq!(db["change"]["actions"], serde_json::json!(["create"]));
    assert_eq!(db["change"]["after_sensitive"]["password"], true);

    // From a saved plan, through `forge show`: the same document.
    forge
        .run(dir, &["plan", &arg, "-out", "plan.bin"])
        .unwrap_or_else(|e| panic!("{e}"))
        .expect_success();
    let shown = forge
        .run(dir, &["show", "--json-format", "terraform", "plan.bin"])
        .unwrap_or_else(|e| panic!("{e}"));
    shown.expect_success();
    let shown_json: Json =
        serde_json::from_str(&shown.stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{shown}"));
    assert_eq!(
        shown_json["resource_changes"], json["resource_changes"],
        "forge show of the saved plan differs from forge plan"
    );
    let plan_json = dir.join("plan.json");
    std::fs::write(&plan_json, &shown.stdout).unwrap_or_else(|e| panic!("{e}"));

    let failed = failed_checks(&plan_json);
    let expected = [
        // Security group allows ingress from 0.0.0.0/0 to port 22.
        ("CKV_AWS_24", "aws_security_group.ssh"),
        // RDS instance storage not encrypted.
        ("CKV_AWS_16", "aws_db_instance.db"),
        // Aurora cluster storage not encrypted.
        ("CKV_AWS_96", "aws_rds_cluster.aurora"),
        // S3 bucket without default encryption configured.
        ("CKV_AWS_145", "aws_s3_bucket.assets"),
    ];
    let missing: Vec<_> = expected
        .iter()
        .filter(|(id, r)| !has(&failed, id, r))
        .collect();
    assert!(
        missing.is_empty(),
        "checkov did not report {missing:?}; it reported {failed:#?}"
    );
}

#[test]
fn checkov_reads_the_getting_started_plan() {
    let emulator = Emulator::start().unwrap_or_else(|e| panic!("{e}"));
    let forge = Forge::new(emulator.env()).unwrap_or_else(|e| panic!("{e}"));
    let stack = StackCopy::of(&getting_started_dir()).unwrap_or_else(|e| panic!("{e}"));
    let arg = stack.arg();
    let planned = forge
        .run(
            stack.path(),
            &["plan", &arg, "-e", "dev", "--json-format", "terraform"],
        )
        .unwrap_or_else(|e| panic!("{e}"));
    planned.expect_success();
    let plan_json = stack.path().join("plan.json");
    std::fs::write(&plan_json, &planned.stdout).unwrap_or_else(|e| panic!("{e}"));
    let failed = failed_checks(&plan_json);
    // The list docs/terraform.md shows (printed with --nocapture).
    for (id, resource) in &failed {
        println!("{id}\t{resource}");
    }
    // Every resource checkov looked at is one of the stack's, by its
    // Terraform address; the network tier's open HTTP/HTTPS ingress is
    // reported, as on the same Terraform stack.
    assert!(
        failed
            .iter()
            .any(|(_, r)| r.starts_with("aws_security_group.")),
        "{failed:#?}"
    );
    // The bucket's public access block and versioning (set in the spec)
    // are also written as the separate resources graph checks look for,
    // connected to the bucket.
    assert!(
        !has(&failed, "CKV2_AWS_6", "aws_s3_bucket.assets"),
        "{failed:#?}"
    );
    assert!(
        !has(&failed, "CKV_AWS_21", "aws_s3_bucket.assets"),
        "versioning is on: {failed:#?}"
    );
}
