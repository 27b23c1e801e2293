//! `forge validate` and `forge graph` as a user runs them.

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn forge(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_forge"))
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn getting_started_validates_in_both_environments() {
    for env in ["dev", "prod"] {
        let o = forge(&[
            "validate",
            "examples/getting-started",
            "-e",
            env,
            // The app tier's secret has a placeholder in dev only (app.yaml).
            "--var",
            "app_secret=not-a-secret",
        ]);
        assert!(o.status.success(), "{env}: {}", text(&o));
        assert!(text(&o).starts_with("OK: stack"), "{}", text(&o));
    }
}

#[test]
fn prod_has_more_instances_than_dev() {
    let count = |env: &str| -> usize {
        let o = forge(&[
            "validate",
            "examples/getting-started",
            "-e",
            env,
            // The app tier's secret has a placeholder in dev only (app.yaml).
            "--var",
            "app_secret=not-a-secret",
        ]);
        let t = text(&o);
        let after = t.split("valid: ").nth(1).unwrap_or_default();
        after
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .parse()
            .unwrap_or(0)
    };
    let (dev, prod) = (count("dev"), count("prod"));
    assert!(dev > 0 && prod > dev, "dev {dev} prod {prod}");
}

#[test]
fn errors_are_reported_with_positions_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("stack.yaml"),
        "stack: broken\nregion: us-east-1\nresources:\n  vpc:\n    type: aws.ec2.vpc\n    cidr: 10.0.0.0/16\n  sub:\n    type: aws.ec2.subnet\n    vpc_id: ${vcp.id}\n    cidr_block: 10.0.1.0/24\n",
    )
    .unwrap();
    let o = forge(&["validate", dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("stack.yaml:6:"), "{t}");
    assert!(t.contains("cidr_block"), "{t}");
    assert!(t.contains("vcp"), "{t}");
    assert!(!dir.path().join(".forge").exists());
}

#[test]
fn graph_renders_dot_and_mermaid() {
    let o = forge(&[
        "graph",
        "examples/getting-started",
        "-e",
        "dev",
        "--format",
        "mermaid",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("flowchart"), "{}", text(&o));
    let o = forge(&["graph", "examples/getting-started", "-e", "dev"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("digraph"), "{}", text(&o));
}
