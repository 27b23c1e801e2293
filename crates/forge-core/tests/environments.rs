//! Choosing the environment: `-e NAME`, else `default_environment`; a stack
//! that declares environments and has neither is an error (it would
//! otherwise plan a nameless environment: `${env}` empty in every name).

use forge_core::spec::testing::network_schemas;
use forge_core::spec::{LoadOptions, Stack, load_stack};
use forge_core::{Diagnostics, Value};

const STACK: &str = "stack: mini\nregion: us-east-1\nvars:\n  cidr: 10.0.0.0/16\nenvironments:\n  dev:\n    vars: {cidr: 10.1.0.0/16}\n  prod:\n    vars: {cidr: 10.2.0.0/16}\ntags:\n  Name: \"${stack}-${env}\"\nresources:\n  vpc:\n    type: aws.ec2.vpc\n    cidr_block: \"${vars.cidr}\"\n";

fn load(text: &str, env: Option<&str>) -> Result<Stack, Diagnostics> {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("main.yaml");
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
    let opts = LoadOptions {
        environment: env.map(str::to_string),
        ..Default::default()
    };
    load_stack(&path, &opts, &network_schemas())
}

fn cidr(stack: &Stack) -> Option<Value> {
    stack.vars.get("cidr").cloned()
}

#[test]
fn a_stack_with_environments_needs_one() {
    let err = load(STACK, None).err().unwrap_or_default();
    assert_eq!(err.0.len(), 1, "{err}");
    let d = &err.0[0];
    assert!(d.message.contains("(dev, prod) but none was chosen"), "{d}");
    assert!(
        d.hint.as_deref().is_some_and(|h| h.contains("-e dev")),
        "{d}"
    );
    assert_eq!(d.pos.as_ref().map(|p| p.line), Some(5), "{d}");
}

#[test]
fn e_picks_the_environment() {
    let stack = load(STACK, Some("prod")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(stack.environment.as_deref(), Some("prod"));
    assert_eq!(cidr(&stack), Some(Value::from("10.2.0.0/16")));
    assert_eq!(
        stack.tags.get("Name").map(String::as_str),
        Some("mini-prod")
    );
}

#[test]
fn default_environment_applies_without_e_and_e_overrides_it() {
    let text = STACK.replace("environments:", "default_environment: dev\nenvironments:");
    let stack = load(&text, None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(stack.environment.as_deref(), Some("dev"));
    assert_eq!(cidr(&stack), Some(Value::from("10.1.0.0/16")));
    assert_eq!(stack.tags.get("Name").map(String::as_str), Some("mini-dev"));
    let stack = load(&text, Some("prod")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(stack.environment.as_deref(), Some("prod"));
}

#[test]
fn a_stack_without_environments_loads_without_e() {
    let text = STACK
        .split("environments:")
        .next()
        .map(|head| format!("{head}resources:\n  vpc:\n    type: aws.ec2.vpc\n    cidr_block: \"${{vars.cidr}}\"\n"))
        .unwrap_or_default();
    let stack = load(&text, None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(stack.environment, None);
}

#[test]
fn default_environment_must_name_a_declared_one() {
    let text = STACK.replace("environments:", "default_environment: [dev]\nenvironments:");
    let err = load(&text, Some("dev")).err().unwrap_or_default();
    assert!(
        err.0[0].message.contains("must be an environment's name"),
        "{err}"
    );
    let text = "stack: s\nregion: us-east-1\ndefault_environment: dev\n";
    let err = load(text, None).err().unwrap_or_default();
    assert!(
        err.0[0]
            .hint
            .as_deref()
            .is_some_and(|h| h.contains("declares no `environments`")),
        "{err}"
    );
}
