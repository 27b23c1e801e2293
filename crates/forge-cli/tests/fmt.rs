//! `forge fmt` as a user and CI run it: `--check` lists what is not laid
//! out and exits 1 without writing; a run rewrites specs only (not other
//! YAML) and a second run finds nothing to do.

#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Output};

fn forge(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_forge"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

const SPEC: &str = "resources:\n    vpc:\n        cidr_block: '10.0.0.0/16'   # the range\n        type: aws.ec2.vpc\nstack: demo\n";
const LAID_OUT: &str = "stack: demo\nresources:\n  vpc:\n    type: aws.ec2.vpc\n    cidr_block: \"10.0.0.0/16\"   # the range\n";
const WORKFLOW: &str = "on:\n    push: {}\njobs:\n    x:\n        runs-on: ubuntu-latest\n";

#[test]
fn check_lists_then_fmt_rewrites_specs_only() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("net/.forge")).unwrap();
    std::fs::write(root.join("net/stack.yaml"), SPEC).unwrap();
    std::fs::write(root.join("net/.forge/ignored.yaml"), SPEC).unwrap();
    std::fs::write(root.join("ci.yml"), WORKFLOW).unwrap();

    let check = forge(root, &["fmt", "--check"]);
    assert_eq!(check.status.code(), Some(1), "{check:?}");
    let listed = String::from_utf8_lossy(&check.stdout);
    assert_eq!(listed.trim(), "./net/stack.yaml", "{listed}");
    assert_eq!(
        std::fs::read_to_string(root.join("net/stack.yaml")).unwrap(),
        SPEC
    );

    let fmt = forge(root, &["fmt"]);
    assert_eq!(fmt.status.code(), Some(0), "{fmt:?}");
    assert_eq!(
        std::fs::read_to_string(root.join("net/stack.yaml")).unwrap(),
        LAID_OUT
    );
    // Not specs, or in hidden folders: untouched.
    assert_eq!(
        std::fs::read_to_string(root.join("ci.yml")).unwrap(),
        WORKFLOW
    );
    assert_eq!(
        std::fs::read_to_string(root.join("net/.forge/ignored.yaml")).unwrap(),
        SPEC
    );

    let again = forge(root, &["fmt", "--check", "net"]);
    assert_eq!(again.status.code(), Some(0), "{again:?}");
    assert!(again.stdout.is_empty(), "{again:?}");
}

#[test]
fn files_it_cannot_lay_out_are_reported_and_not_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.yaml");
    // An alias: kept as written, reported, not a failure.
    std::fs::write(&path, "stack: a\nvars: &v {x: 1}\ntags: *v\n").unwrap();
    let out = forge(dir.path(), &["fmt", "--check", "broken.yaml"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("broken.yaml: line 2: a YAML anchor"), "{err}");
    // A named file that is not valid YAML fails, and is not written.
    std::fs::write(&path, "stack: [a\n").unwrap();
    let out = forge(dir.path(), &["fmt", "broken.yaml"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("broken.yaml: 2:1: not valid YAML"), "{err}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "stack: [a\n");
    // A named YAML file that is not a spec is reported and skipped.
    std::fs::write(&path, "jobs: {}\n").unwrap();
    let out = forge(dir.path(), &["fmt", "--check", "broken.yaml"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a forge spec; skipped"));
}
