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

fn text_of(o: &Output) -> String {
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
        assert!(o.status.success(), "{env}: {}", text_of(&o));
        assert!(text_of(&o).starts_with("OK: stack"), "{}", text_of(&o));
    }
}

#[test]
fn forge_var_from_the_environment_sets_a_secret() {
    let run = |value: &str| {
        Command::new(env!("CARGO_BIN_EXE_forge"))
            .args(["validate", "examples/getting-started", "-e", "prod"])
            .current_dir(root())
            .env("NO_COLOR", "1")
            .env("FORGE_VAR_app_secret", value)
            // Another stack's var in the same environment is not an error.
            .env("FORGE_VAR_not_this_stacks_var", "x")
            .output()
            .unwrap()
    };
    let o = run("from-the-environment");
    assert!(o.status.success(), "{}", text_of(&o));
    // Without it, prod's secret has no value, and the hint names FORGE_VAR_.
    let o = forge(&["validate", "examples/getting-started", "-e", "prod"]);
    assert!(!o.status.success());
    assert!(
        text_of(&o).contains("FORGE_VAR_app_secret"),
        "{}",
        text_of(&o)
    );
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
        let t = text_of(&o);
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
    assert_eq!(o.status.code(), Some(1), "{}", text_of(&o));
    let t = text_of(&o);
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
    assert!(o.status.success(), "{}", text_of(&o));
    assert!(text_of(&o).contains("flowchart"), "{}", text_of(&o));
    let o = forge(&["graph", "examples/getting-started", "-e", "dev"]);
    assert!(o.status.success(), "{}", text_of(&o));
    assert!(text_of(&o).contains("digraph"), "{}", text_of(&o));
}

/// A stack whose subnets are one per zone of a data source: `forge graph`
/// reads it as plan does; with no credentials it prints what it knows and
/// says what it leaves out.
#[test]
fn graph_warns_when_it_cannot_read_what_a_for_each_counts() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("stack.yaml"),
        r#"
stack: zones
region: us-east-1
state:
  backend: local
data:
  zones:
    type: aws.ec2.availability_zones
resources:
  vpc:
    type: aws.ec2.vpc
    cidr_block: 10.0.0.0/16
  subnet:
    type: aws.ec2.subnet
    for_each: "${toset(data.zones.names)}"
    vpc_id: "${vpc.id}"
    availability_zone: "${each.key}"
    cidr_block: "${cidrsubnet(\"10.0.0.0/16\", 8, index(sort(data.zones.names), each.key))}"
"#,
    )
    .unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_forge"))
        .args(["graph", "."])
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text_of(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("\"vpc\""), "{stdout}");
    assert!(!stdout.contains("subnet["), "{stdout}");
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("warning: the graph leaves out the instances of subnet"),
        "{stderr}"
    );
}

/// A copy of `examples/getting-started` in a temporary repository (a
/// `.git` folder marks the root includes must stay in).
fn getting_started_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    let stack = dir.path().join("stack");
    std::fs::create_dir(&stack).unwrap();
    for name in ["stack.yaml", "app.yaml"] {
        std::fs::copy(
            root().join("examples/getting-started").join(name),
            stack.join(name),
        )
        .unwrap();
    }
    dir
}

#[test]
fn a_second_yaml_document_is_refused_not_dropped() {
    let dir = getting_started_copy();
    let app = dir.path().join("stack/app.yaml");
    let text = std::fs::read_to_string(&app).unwrap();
    let line = text.lines().position(|l| l == "resources:").unwrap() + 1;
    std::fs::write(&app, text.replacen("\nresources:", "\n---\nresources:", 1)).unwrap();
    let stack = dir.path().join("stack");
    let o = forge(&["validate", stack.to_str().unwrap(), "-e", "dev"]);
    assert_eq!(o.status.code(), Some(1), "{}", text_of(&o));
    let t = text_of(&o);
    assert!(t.contains("a second YAML document starts here"), "{t}");
    assert!(t.contains(&format!("app.yaml:{line}:1")), "{t}");
}

#[test]
fn a_byte_order_mark_is_accepted() {
    let dir = getting_started_copy();
    let path = dir.path().join("stack/stack.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("\u{feff}{text}")).unwrap();
    let stack = dir.path().join("stack");
    let o = forge(&[
        "validate",
        stack.to_str().unwrap(),
        "-e",
        "dev",
        "--var",
        "app_secret=not-a-secret",
    ]);
    assert!(o.status.success(), "{}", text_of(&o));
}

#[test]
fn every_command_needs_e_on_a_stack_with_environments() {
    for args in [
        &["validate"][..],
        &["graph"],
        &["plan"],
        &["apply", "--auto-approve"],
        &["destroy", "--auto-approve"],
        &["output"],
        &["refresh", "--auto-approve"],
        &["drift"],
        &["state", "list"],
    ] {
        let mut full: Vec<&str> = args.to_vec();
        full.insert(
            if args[0] == "state" { 2 } else { 1 },
            "examples/getting-started",
        );
        let o = forge(&full);
        let t = text_of(&o);
        assert_eq!(o.status.code(), Some(1), "{full:?}: {t}");
        assert!(
            t.contains("declares environments (dev, prod) but none was chosen"),
            "{full:?}: {t}"
        );
        assert!(t.contains("-e dev"), "{full:?}: {t}");
    }
}

#[test]
fn includes_outside_the_repository_need_allow_outside_root() {
    let dir = tempfile::tempdir().unwrap();
    let secret = "hunter2-do-not-print";
    std::fs::write(
        dir.path().join("credentials.yaml"),
        format!("aws_secret_access_key: {secret}\n"),
    )
    .unwrap();
    let stack = dir.path().join("repo/stack");
    std::fs::create_dir_all(dir.path().join("repo/.git")).unwrap();
    std::fs::create_dir_all(&stack).unwrap();
    std::fs::write(
        stack.join("main.yaml"),
        "include: [../../credentials.yaml]\nstack: s\nregion: us-east-1\n",
    )
    .unwrap();
    let o = forge(&["validate", stack.to_str().unwrap()]);
    let t = text_of(&o);
    assert_eq!(o.status.code(), Some(1), "{t}");
    assert!(
        t.contains("include `../../credentials.yaml` is outside the stack's root"),
        "{t}"
    );
    assert!(t.contains("main.yaml:1:11"), "{t}");
    assert!(t.contains("--allow-outside-root"), "{t}");
    // Allowed (flag or environment), the file is read, and reported
    // without a word of its contents: it is not a forge spec.
    for (flag, env) in [(Some("--allow-outside-root"), None), (None, Some("1"))] {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_forge"));
        cmd.arg("validate").arg(&stack).env("NO_COLOR", "1");
        if let Some(f) = flag {
            cmd.arg(f);
        }
        if let Some(v) = env {
            cmd.env("FORGE_ALLOW_OUTSIDE_ROOT", v);
        }
        let o = cmd.output().unwrap();
        let t = text_of(&o);
        assert_eq!(o.status.code(), Some(1), "{t}");
        assert!(t.contains("not a forge spec file"), "{t}");
        assert!(t.contains("credentials.yaml:1:1"), "{t}");
        assert!(!t.contains(secret), "{t}");
    }
}
