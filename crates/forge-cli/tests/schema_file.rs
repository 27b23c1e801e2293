//! The checked-in JSON Schema of the spec format must match what `forge

#![allow(clippy::unwrap_used)]
//! schema` generates, so editors never validate against a stale schema.
//! Regenerate with `forge schema --out specs/forge-spec.schema.json`
//! (or run this test with `FORGE_UPDATE_SCHEMA=1`).

use std::path::PathBuf;
use std::process::Command;

#[test]
fn checked_in_spec_schema_is_current() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let path = root.join("specs/forge-spec.schema.json");
    let out = Command::new(env!("CARGO_BIN_EXE_forge"))
        .arg("schema")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "forge schema failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let generated = String::from_utf8(out.stdout).unwrap();
    if std::env::var_os("FORGE_UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == generated,
        "specs/forge-spec.schema.json is stale: run `FORGE_UPDATE_SCHEMA=1 cargo test -p forge-cli --test schema_file`"
    );
    let json: serde_json::Value = serde_json::from_str(&generated).unwrap();
    let text = json.to_string();
    for kind in ["aws.ec2.vpc", "aws.ec2.subnet", "aws.ec2.security_group"] {
        assert!(text.contains(kind), "schema lacks {kind}");
    }
}
