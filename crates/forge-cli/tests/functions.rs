//! `forge functions` lists every function of the expression language with
//! its signature and description; the listing (and its JSON form) is
//! pinned here.

#![allow(clippy::unwrap_used)]

use std::process::Command;

fn forge(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_forge"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "forge {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn lists_every_function() {
    insta::assert_snapshot!(forge(&["functions"]));
}

#[test]
fn lists_every_function_as_json() {
    let text = forge(&["functions", "--json"]);
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let list = json.as_array().unwrap();
    assert!(list.len() >= 95, "{} functions", list.len());
    for name in [
        "try",
        "cidrsubnets",
        "templatefile",
        "timestamp",
        "yamlencode",
    ] {
        assert!(list.iter().any(|f| f["name"] == name), "{name} missing");
    }
    insta::assert_snapshot!(text);
}
