//! `forge console` as a user runs it: expressions over vars, locals, the
//! environment, functions and resource attributes from the state, from
//! `--expr` or stdin, printed as `terraform console` prints them.

#![allow(clippy::unwrap_used)]

use forge_core::{Address, Value};
use forge_engine::state::State;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

const SPEC: &str = "stack: web\nregion: us-east-1\nvars:\n  azs: [us-east-1a, us-east-1b]\n  secret: {type: string, sensitive: true, default: hunter2}\nenvironments:\n  dev: {vars: {azs: [us-east-1c]}}\n  prod: {}\nlocals:\n  name: \"${stack}-${env}\"\n  vpc: \"${vpc.id}\"\nresources:\n  vpc:\n    type: aws.ec2.vpc\n    cidr_block: 10.0.0.0/16\n    tags: {Name: \"${local.name}\"}\n  subnet:\n    type: aws.ec2.subnet\n    vpc_id: \"${local.vpc}\"\n    cidr_block: 10.0.1.0/24\n";

fn stack_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    std::fs::write(dir.path().join("main.yaml"), SPEC).unwrap();
    dir
}

/// Records the VPC (not the subnet) in the dev environment's state.
fn write_state(dir: &Path) {
    let mut st = State::new("web", Some("dev".into()));
    let r = st.entry(&Address::single("vpc"), "aws.ec2.vpc", "us-east-1");
    r.id = Some("vpc-0abc".into());
    r.attributes
        .insert("cidr_block".into(), Value::from("10.0.0.0/16"));
    r.attributes
        .insert("enable_dns_support".into(), Value::Bool(true));
    let path = dir.join(".forge/state/web-dev.json");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, st.to_json_pretty().unwrap()).unwrap();
}

fn forge(dir: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_forge"))
        .arg("console")
        .arg(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn text(o: &Output, dir: &Path) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
    .replace(&format!("{}/", dir.display()), "")
}

#[test]
fn expressions_over_vars_locals_and_state() {
    let dir = stack_dir();
    write_state(dir.path());
    let o = forge(
        dir.path(),
        &[
            "-e",
            "dev",
            "--expr",
            "local.name",
            "--expr",
            "vars.azs",
            "--expr",
            "vpc",
            "--expr",
            "subnet.id",
            "--expr",
            "local.vpc",
            "--expr",
            "var.secret",
            "--expr",
            "{for k, v in vpc : k => upper(tostring(v)) if k != \"id\"}",
            "--expr",
            "cidrsubnet(vpc.cidr_block, 8, length(vars.azs))",
        ],
        "",
    );
    assert!(o.status.success(), "{}", text(&o, dir.path()));
    insta::assert_snapshot!(text(&o, dir.path()));
}

#[test]
fn reads_stdin_one_expression_per_line_and_fails_on_errors() {
    let dir = stack_dir();
    let o = forge(
        dir.path(),
        &["-e", "prod", "--json"],
        "local.name\n\nvars.azs\nvcp.id\nupper(1, 2)\nsubnet.id\n",
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o, dir.path()));
    insta::assert_snapshot!(text(&o, dir.path()));
}
